package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.wire.WireMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A job and its current generation, immutable. Every change returns a new {@code Job}; state
 * changes go through {@link JobStateMachine} and are recorded as {@link JobEvent}s.
 *
 * @param pendingReason      why a PENDING job is not running yet (null otherwise)
 * @param reason             why the job ended (FAILED, CANCELLED), or null
 * @param generationOpenedAt when the current generation opened (for its cost)
 * @param actualUsd          node cost of closed generations (node-seconds x node price)
 * @param onDemandUsd        what the same node-seconds cost on-demand
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
        String generationOpenedAt,
        double actualUsd,
        double onDemandUsd,
        Training training,
        Elastic elastic,
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
                now.toString(), null, null, null, 0, 0, Training.NONE, Elastic.NONE, List.of(submitted));
    }

    /** Changes state (checked against the table) and records it; ending a job closes its generation's cost. */
    public Job transition(JobState to, String why, Instant now) {
        JobStateMachine.check(id, state, to);
        Job j = to.terminal() ? closeGenerationCost(now) : this;
        String finished = to.terminal() ? now.toString() : j.finishedAt;
        String started = to == JobState.RUNNING && j.startedAt == null ? now.toString() : j.startedAt;
        String failure = to == JobState.FAILED || to == JobState.CANCELLED ? why : j.reason;
        var ev = new JobEvent(now.toString(), to.name(), generation, null, -1, why);
        return new Job(id, spec, to, failure, to == JobState.PENDING || to == JobState.RECOVERING ? pendingReason : null, generation, members,
                masterAddr, masterPort, submittedAt, started, finished, j.generationOpenedAt, j.actualUsd, j.onDemandUsd,
                training, elastic, j.append(ev));
    }

    /** Opens a generation on these members (rank i = members[i]) and moves to STARTING. */
    public Job startGeneration(List<Member> assigned, Instant now) {
        long g = generation + 1;
        String nodes = String.join(", ", assigned.stream().map(Member::nodeId).toList());
        var opened = new Job(id, spec, state, reason, pendingReason, g, assigned, null, 0, submittedAt, startedAt,
                finishedAt, now.toString(), actualUsd, onDemandUsd, training, elastic, append(new JobEvent(now.toString(),
                        "GENERATION_OPENED", g, null, -1, "world size " + assigned.size() + " on " + nodes)));
        return opened.transition(JobState.STARTING, "generation " + g + " forming on " + assigned.size() + " nodes", now);
    }

    /** Convenience for tests and simple callers: members without prices. */
    public Job startGenerationOn(List<String> nodeIds, Instant now) {
        var ms = new ArrayList<Member>();
        for (int r = 0; r < nodeIds.size(); r++) ms.add(Member.assigned(r, nodeIds.get(r), "spot", 0, 0));
        return startGeneration(ms, now);
    }

    public Job withRendezvous(String addr, int port) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, addr, port, submittedAt, startedAt,
                finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, elastic, events);
    }

    public Job withPendingReason(String why) {
        return new Job(id, spec, state, reason, why, generation, members, masterAddr, masterPort, submittedAt, startedAt,
                finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, elastic, events);
    }

    public Job withMember(int rank, UnaryOperator<Member> change) {
        var ms = new ArrayList<>(members);
        ms.set(rank, change.apply(ms.get(rank)));
        return new Job(id, spec, state, reason, pendingReason, generation, ms, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, elastic, events);
    }

    public Job withTraining(UnaryOperator<Training> change) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, generationOpenedAt, actualUsd, onDemandUsd, change.apply(training), elastic, events);
    }

    public Job withElastic(UnaryOperator<Elastic> change) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, change.apply(elastic), events);
    }

    /** Closes the current generation's cost (a recovery ends it) and clears its members' running state. */
    public Job closeGeneration(Instant now) {
        return closeGenerationCost(now);
    }

    public Job withEvent(String type, String node, int rank, String message, Instant now) {
        return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, elastic,
                append(new JobEvent(now.toString(), type, generation, node, rank, message)));
    }

    /** Cost so far: closed generations plus the open one up to {@code now}. */
    public double[] costAt(Instant now) {
        double[] open = openGenerationCost(now);
        return new double[] {actualUsd + open[0], onDemandUsd + open[1]};
    }

    private Job closeGenerationCost(Instant now) {
        double[] open = openGenerationCost(now);
        return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort, submittedAt,
                startedAt, finishedAt, null, actualUsd + open[0], onDemandUsd + open[1], training, elastic, events);
    }

    private double[] openGenerationCost(Instant now) {
        if (generationOpenedAt == null) return new double[] {0, 0};
        double hours = Duration.between(Instant.parse(generationOpenedAt), now).toMillis() / 3_600_000.0;
        double actual = 0;
        double onDemand = 0;
        for (Member m : members) {
            actual += m.pricePerHour() * hours;
            onDemand += m.onDemandPricePerHour() * hours;
        }
        return new double[] {actual, onDemand};
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
