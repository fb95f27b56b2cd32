package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.wire.WireMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A job and its current generation, immutable. Every change returns a new {@code Job}; state
 * changes go through {@link JobStateMachine} and are recorded as {@link JobEvent}s.
 *
 * @param pendingReason why a PENDING job is not running yet (null otherwise)
 * @param reason        why the job ended (FAILED, CANCELLED), or null
 */
public record Job(
        String id,
        JobSpec spec,
        JobState state,
        String reason,
        String pendingReason,
        long generation,
        List<Member> members,
        String masterAddr,
        int masterPort,
        String submittedAt,
        String startedAt,
        String finishedAt,
        List<JobEvent> events) implements WireMessage {

    public Job {
        members = List.copyOf(members);
        events = List.copyOf(events);
    }

    public static Job submitted(String id, JobSpec spec, Instant now) {
        var submitted = new JobEvent(now.toString(), "SUBMITTED", 0, null, -1,
                "workers " + spec.spec().workers().min() + ".." + spec.spec().workers().max() + ", placement "
                        + spec.spec().placement().market().label());
        return new Job(id, spec, JobState.PENDING, null, "waiting for the scheduler", 0, List.of(), null, 0,
                now.toString(), null, null, List.of(submitted));
    }

    /** Changes state (checked against the table) and records it. */
    public Job transition(JobState to, String why, Instant now) {
        JobStateMachine.check(id, state, to);
        String finished = to.terminal() ? now.toString() : finishedAt;
        String started = to == JobState.RUNNING && startedAt == null ? now.toString() : startedAt;
        String failure = to == JobState.FAILED || to == JobState.CANCELLED ? why : reason;
        var ev = new JobEvent(now.toString(), to.name(), generation, null, -1, why);
        return new Job(id, spec, to, failure, to == JobState.PENDING ? pendingReason : null, generation, members,
                masterAddr, masterPort, submittedAt, started, finished, append(ev));
    }

    /** Opens a generation on these nodes (rank i on nodes[i]) and moves to STARTING. */
    public Job startGeneration(List<String> nodeIds, Instant now) {
        var ms = new ArrayList<Member>();
        for (int r = 0; r < nodeIds.size(); r++) {
            ms.add(Member.assigned(r, nodeIds.get(r)));
        }
        long g = generation + 1;
        var opened = new Job(id, spec, state, reason, pendingReason, g, ms, null, 0, submittedAt, startedAt,
                finishedAt, append(new JobEvent(now.toString(), "GENERATION_OPENED", g, null, -1,
                        "world size " + nodeIds.size() + " on " + String.join(", ", nodeIds))));
        return opened.transition(JobState.STARTING, "generation " + g + " forming on " + nodeIds.size() + " nodes", now);
    }

    public Job withRendezvous(String addr, int port) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, addr, port, submittedAt,
                startedAt, finishedAt, events);
    }

    public Job withPendingReason(String why) {
        return new Job(id, spec, state, reason, why, generation, members, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, events);
    }

    public Job withMember(int rank, UnaryOperator<Member> change) {
        var ms = new ArrayList<>(members);
        ms.set(rank, change.apply(ms.get(rank)));
        return new Job(id, spec, state, reason, pendingReason, generation, ms, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, events);
    }

    public Job withEvent(String type, String node, int rank, String message, Instant now) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort,
                submittedAt, startedAt, finishedAt, append(new JobEvent(now.toString(), type, generation, node, rank,
                        message)));
    }

    public Optional<Member> memberOn(String nodeId) {
        return members.stream().filter(m -> m.nodeId().equals(nodeId)).findFirst();
    }

    public boolean active() {
        return state == JobState.STARTING || state == JobState.RUNNING;
    }

    public int worldSize() {
        return members.size();
    }

    private List<JobEvent> append(JobEvent e) {
        var all = new ArrayList<>(events);
        all.add(e);
        return all;
    }
}
