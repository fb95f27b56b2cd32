package io.spottrain.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.wire.AgentProtocol;
import java.util.concurrent.atomic.AtomicReference;

/** The {@link Agent}'s messages to itself: what its threads and timers tell it (never sent over the wire). */
final class AgentCommands {
    private AgentCommands() {}

    /** A rank's process ended (local only). */
    record RankProcessExited(LiveRank rank, int exitCode) implements AgentProtocol.Command {}

    /** A parked rank was not re-formed in time: it is stopped (local only). */
    record ParkTimedOut(String jobId, long generation) implements AgentProtocol.Command {}

    /** A re-forming rank did not answer {@code reformed} in time: a fresh process replaces it (local only). */
    record ReformTimedOut(String jobId, long generation) implements AgentProtocol.Command {}

    /**
     * The restore before a resumed rank starts (or, {@code reforming} not null, before a parked
     * process re-forms at another step) has finished (local only); {@code error} null on success.
     */
    record RestoreFinished(AgentProtocol.StartGeneration start, String source, String error, LiveRank reforming)
            implements AgentProtocol.Command {}

    /** A line a rank sent over SPOTTRAIN_CONTROL (local only): {@code rank} is set before the actor reads it. */
    record ContractMessage(AtomicReference<LiveRank> rank, JsonNode message) implements AgentProtocol.Command {}

    /** Time to send the job manager's directory a heartbeat (local only). */
    enum Beat implements AgentProtocol.Command { INSTANCE }
}
