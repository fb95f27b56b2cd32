package io.spottrain.agent;

import io.spottrain.agent.supervision.RankProcess;
import io.spottrain.protocol.wire.AgentProtocol;

/**
 * A rank process this agent runs and the generation it serves now: an in-place re-form (training
 * contract v2) moves the same process to the next generation, so its contract messages and its
 * exit are reported for the assignment it has when they happen. Owned by the agent's actor
 * ({@code assignment} is read by the control endpoint's thread only through the actor's messages).
 */
final class LiveRank {

    enum State {
        /** Staged (a newcomer started ahead of its generation, contract v2): not yet parked. */
        STAGING,
        /** Training (or stalled) in its generation. */
        RUNNING,
        /** Asked to park; not yet parked. */
        PARKING,
        /** Parked: its generation is closed, it holds its state and waits for the next generation's re-form. */
        PARKED,
        /** Asked to re-form for {@link #assignment}; not yet answered. */
        REFORMING,
        /** Replaced by a fresh process (a re-form that failed): its exit is not reported. */
        ABANDONED,
        /** Told to stop while it re-formed (its generation restarts or ended): its exit is reported, nothing replaces it. */
        STOPPING
    }

    final RankProcess process;
    AgentProtocol.StartGeneration assignment;
    State state = State.RUNNING;
    /** Its hello declared {@code reform} (contract v2). */
    boolean reformable;
    /** Its hello declared {@code ring-state}: a staged newcomer takes the resume step over the re-formed collective. */
    boolean ringState;
    long parkedStep = -1;
    /** Started ahead of its generation (a staged newcomer): nothing it says is reported until it is re-formed. */
    boolean standby;
    /** The generation a staged process joins once it is parked (it came before the process was ready). */
    AgentProtocol.StartGeneration pending;

    LiveRank(RankProcess process, AgentProtocol.StartGeneration assignment) {
        this.process = process;
        this.assignment = assignment;
    }

    String jobId() {
        return assignment.jobId();
    }

    long generation() {
        return assignment.generation();
    }
}
