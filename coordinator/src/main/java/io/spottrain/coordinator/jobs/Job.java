package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.JobSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A job and its current generation as its {@link JobMaster} holds it, immutable: every change
 * returns a new {@code Job}. State changes go through {@link JobStateMachine} and, like every
 * other change worth remembering, add a {@link JobEvent} to {@code newEvents} (not yet stored;
 * {@code eventCount} counts all, stored or not). Stored as a {@link JobDocument}, shown as the API's view.
 *
 * @param pendingReason      why a PENDING or waiting job is not running (null otherwise)
 * @param reason             why the job ended (FAILED, CANCELLED), or null
 * @param generationOpenedAt when the current generation opened (for its cost)
 * @param actualUsd          node cost of closed generations (node-seconds x node price)
 * @param onDemandUsd        what the same node-seconds cost on-demand
 * @param scaling            the operator's desired worker count and the recent resize requests
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
        Scaling scaling,
        long eventCount,
        List<JobEvent> newEvents) {

    public Job {
        members = List.copyOf(members);
        scaling = scaling == null ? Scaling.NONE : scaling;
        newEvents = List.copyOf(newEvents);
    }

    public static Job submitted(String id, JobSpec spec, Instant now) {
        return submitted(id, spec, now, null);
    }

    public static Job submitted(String id, JobSpec spec, Instant now, String by) {
        var w = spec.spec().workers();
        return new Job(id, spec, JobState.PENDING, null, "waiting for the scheduler", 0, List.of(), null, 0, now.toString(), null, null,
                null, 0, 0, Training.NONE, Elastic.NONE, Scaling.NONE, 0, List.of())
                .withEvent(JobEventType.SUBMITTED, null, -1, "workers " + w.min() + ".." + w.max() + ", placement "
                        + spec.spec().placement().market().label(), now, by);
    }

    /** Changes state (checked against the table) and records it; ending a job closes its generation's cost. */
    public Job transition(JobState to, String why, Instant now) {
        JobStateMachine.check(id, state, to);
        Job j = to.terminal() ? closeGeneration(now) : this;
        return j.copy(c -> {
            c.state = to;
            if (to.terminal()) c.finishedAt = now.toString();
            if (to == JobState.RUNNING && c.startedAt == null) c.startedAt = now.toString();
            if (to == JobState.FAILED || to == JobState.CANCELLED) c.reason = why;
            if (to != JobState.PENDING && to != JobState.RECOVERING) c.pendingReason = null;
        }).withEvent(JobEventType.of(to), null, -1, why, now);
    }

    /** Opens a generation on these members (rank i = members[i]) and moves to STARTING. */
    public Job startGeneration(List<Member> assigned, Instant now) {
        long g = generation + 1;
        String nodes = String.join(", ", assigned.stream().map(Member::nodeId).toList());
        Job opened = copy(c -> {
            c.generation = g;
            c.members = assigned;
            c.masterAddr = null;
            c.masterPort = 0;
            c.generationOpenedAt = now.toString();
        });
        return opened.withEvent(JobEventType.GENERATION_OPENED, null, -1, "world size " + assigned.size() + " on " + nodes, now)
                .transition(JobState.STARTING, "generation " + g + " forming on " + assigned.size() + " nodes", now);
    }

    public Job withRendezvous(String addr, int port) {
        return copy(c -> {
            c.masterAddr = addr;
            c.masterPort = port;
        });
    }

    public Job withPendingReason(String why) {
        return copy(c -> c.pendingReason = why);
    }

    /** Changes one rank; a rank this generation does not have is a bug elsewhere and fails loudly. */
    public Job withMember(int rank, UnaryOperator<Member> change) {
        if (rank < 0 || rank >= members.size()) {
            throw new IllegalArgumentException("job " + id + " generation " + generation + " has no rank " + rank + " (world size "
                    + members.size() + ")");
        }
        var ms = new ArrayList<>(members);
        ms.set(rank, change.apply(ms.get(rank)));
        return copy(c -> c.members = ms);
    }

    public Job withTraining(UnaryOperator<Training> change) {
        return copy(c -> c.training = change.apply(training));
    }

    public Job withElastic(UnaryOperator<Elastic> change) {
        return copy(c -> c.elastic = change.apply(elastic));
    }

    /** A resize request recorded; {@code desired} is the desired worker count after it (null: none set). */
    public Job withScaling(ScalingEvent e, Integer desired) {
        return copy(c -> c.scaling = scaling.record(e, desired));
    }

    /** The desired worker count alone (the job manager's copy, for capacity offers). */
    Job withDesired(Integer desired) {
        return copy(c -> c.scaling = new Scaling(desired, scaling.events()));
    }

    /** How many workers the job grows to: the operator's desired count, else its spec's {@code workers.max}. */
    public int targetWorkers() {
        return scaling.desired() != null ? scaling.desired() : spec.spec().workers().max();
    }

    public Job withEvent(JobEventType type, String node, int rank, String message, Instant now) {
        return withEvent(type, node, rank, message, now, null);
    }

    /** An event asked for through the API by {@code by} (see {@link JobEvent#by}). */
    public Job withEvent(JobEventType type, String node, int rank, String message, Instant now, String by) {
        var ev = new ArrayList<>(newEvents);
        ev.add(new JobEvent(eventCount, now.toString(), type, generation, node, rank, message, by));
        return copy(c -> {
            c.newEvents = ev;
            c.eventCount = eventCount + 1;
        });
    }

    /** The events not yet stored have been handed to the store. */
    public Job withoutNewEvents() {
        return newEvents.isEmpty() ? this : copy(c -> c.newEvents = List.of());
    }

    /** Closes the current generation's cost (a recovery or the end of the job ends it). */
    public Job closeGeneration(Instant now) {
        double[] open = Member.cost(members, generationOpenedAt, now);
        return copy(c -> {
            c.generationOpenedAt = null;
            c.actualUsd = actualUsd + open[0];
            c.onDemandUsd = onDemandUsd + open[1];
        });
    }

    public Optional<Member> memberOn(String nodeId) {
        return members.stream().filter(m -> m.nodeId().equals(nodeId)).findFirst();
    }

    public boolean active() {
        return state == JobState.STARTING || state == JobState.RUNNING;
    }

    /** A generation is open or closing (running, forming, or a recovery that has not closed it yet). */
    public boolean inProgress() {
        return active() || (state == JobState.RECOVERING && elastic.recovery() != null);
    }

    public int worldSize() {
        return members.size();
    }

    Job copy(Consumer<Copy> change) {
        var c = new Copy(this);
        change.accept(c);
        return c.build();
    }

    /** The fields of a job being changed (records have no withers). */
    static final class Copy {
        final String id;
        final JobSpec spec;
        JobState state;
        String reason;
        String pendingReason;
        long generation;
        List<Member> members;
        String masterAddr;
        int masterPort;
        final String submittedAt;
        String startedAt;
        String finishedAt;
        String generationOpenedAt;
        double actualUsd;
        double onDemandUsd;
        Training training;
        Elastic elastic;
        Scaling scaling;
        long eventCount;
        List<JobEvent> newEvents;

        Copy(Job j) {
            id = j.id;
            spec = j.spec;
            state = j.state;
            reason = j.reason;
            pendingReason = j.pendingReason;
            generation = j.generation;
            members = j.members;
            masterAddr = j.masterAddr;
            masterPort = j.masterPort;
            submittedAt = j.submittedAt;
            startedAt = j.startedAt;
            finishedAt = j.finishedAt;
            generationOpenedAt = j.generationOpenedAt;
            actualUsd = j.actualUsd;
            onDemandUsd = j.onDemandUsd;
            training = j.training;
            elastic = j.elastic;
            scaling = j.scaling;
            eventCount = j.eventCount;
            newEvents = j.newEvents;
        }

        Job build() {
            return new Job(id, spec, state, reason, pendingReason, generation, members, masterAddr, masterPort, submittedAt, startedAt,
                    finishedAt, generationOpenedAt, actualUsd, onDemandUsd, training, elastic, scaling, eventCount, newEvents);
        }
    }
}
