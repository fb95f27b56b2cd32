package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Staged newcomers (training contract v2). When a recovery begins and every rank that stays can
 * re-form in place, free nodes that fit are reserved for the job's next generation and a process
 * is started on each ahead of time ({@code StartGeneration} with {@code standby}: started, model
 * built, parked; the step it joins at is fetched from a peer at the re-form, since training goes
 * on meanwhile), so the next generation waits for a re-form, not for a process start
 * (JVM, Python, {@code import torch}, model build). At the close the reserved nodes are released
 * with the generation's and preferred right after the survivors; staged processes the next
 * generation does not take are stopped. Newcomers that are still starting at the close do not hold
 * the next generation back when the nodes that stay are enough for the job's min
 * ({@link StagingPolicy#carryStaged}): they stay reserved and join by an in-place growth once they
 * are up. Growth itself stages first: free nodes offered to a running job get a staged process,
 * and the job grows (one in-place re-form) only when every newcomer is up
 * ({@link StagingPolicy#onStagedReady}), so growing no longer stops training for a process start;
 * at the staging time-out it grows with those that are up, and newcomers that take more than
 * {@link StagingPolicy#STAGING_TIMEOUTS} time-outs are let go ({@link StagingPolicy#onStagingTimedOut}).
 * Kept in memory: after a hand-over a staged process stops on its own (the agent's park timeout)
 * and its node is free again.
 */
final class JobStaging {
    private final JobHandlers h;
    /** Ranks of the current generation that said they can re-form in place. */
    private final Set<Integer> reformable = new HashSet<>();
    private final List<JobMaster.Assignment> reserved = new ArrayList<>();
    private final Set<String> ready = new HashSet<>();
    private long stagedFor = -1;
    /** A notice-window swap waits for its staged newcomer to be ready (then the recovery begins). */
    private String swapWaiting;
    /** A growth waits for its staged newcomers to be ready (then it begins: one in-place re-form). */
    private boolean growWaiting;
    /** Not-ready newcomers kept reserved past a recovery's close, to grow into once they are up. */
    private final Set<String> carrying = new HashSet<>();
    /** How long a growth waits for its staged newcomers before it grows with those that are up ({@link StagingPolicy#onStagingTimedOut}). */
    static final Duration STAGING_TIMEOUT = Duration.ofSeconds(45);
    /** Staging time-outs the newcomers staged for {@link #stagedFor} took so far (kept while they are carried). */
    private int timeouts;

    JobStaging(JobHandlers h) {
        this.h = h;
    }

    void attached(AgentProtocol.RankAttached a) {
        if (a.reformable()) reformable.add(a.rank());
    }

    /** A recovery began: ask for nodes to stage when every rank that stays can re-form in place and the job has room. */
    void recoveryBegun(Job job) {
        growWaiting = false; // a growth that waited for its newcomers: the recovery takes them along
        var rec = job.elastic().recovery();
        if (rec == null) return;
        var departing = rec.departing();
        reserve(job, job.members().stream().filter(m -> rec.survivors().contains(m.rank()) && !departing.contains(m.nodeId())).toList());
    }

    /**
     * The notice window: a replacement is free while {@code node} trains on under notice. Stage the
     * newcomer first and swap once it is ready ({@link #onStaged}); false when nothing can be
     * staged (the swap begins now).
     */
    boolean stageForSwap(Job job, String node) {
        if (!reserve(job, job.members().stream().filter(m -> !m.nodeId().equals(node)).toList())) return false;
        swapWaiting = node;
        return true;
    }

    /** Newcomers are staged or carried for a growth or a swap of this generation. */
    boolean busy() {
        return growWaiting || swapWaiting != null || !carrying.isEmpty();
    }

    /** A growth waits for staged newcomers (free nodes were offered, a process is staged on each). */
    boolean growing() {
        return growWaiting;
    }

    /**
     * Free nodes fit the running job and it may grow: stage a newcomer on each first and grow once
     * they are up ({@link #maybeGrow}); false when nothing can be staged (some rank cannot re-form
     * in place, or a staging is under way): the growth begins now, as a plain re-form.
     */
    boolean stageForGrowth(Job job) {
        if (!reserve(job, job.members())) return false;
        growWaiting = true;
        h.timers.startSingleTimer(new JobMaster.StagingTimedOut(stagedFor), STAGING_TIMEOUT);
        return true;
    }

    private boolean reserve(Job job, List<Member> staying) {
        if (!reserved.isEmpty() || stagedFor == job.generation() + 1) return false;
        timeouts = 0;
        int room = job.targetWorkers() - staying.size();
        if (staying.isEmpty() || room <= 0 || !staying.stream().allMatch(m -> reformable.contains(m.rank()))) return false;
        stagedFor = job.generation() + 1;
        h.deps.manager().tell(new JobManager.Reserve(job.id(), job.spec(), room));
        return true;
    }

    /** A staged newcomer is ready; a swap or a growth that waited for it begins now. */
    Behavior<JobMaster.Command> onStaged(AgentProtocol.RankStaged s) {
        if (s.generation() != stagedFor) return h.unchanged();
        ready.add(s.nodeId());
        if (swapWaiting != null && job().state() == JobState.RUNNING && allReady()) {
            String node = swapWaiting;
            swapWaiting = null;
            h.log.info("job {}: the staged replacement is ready: swapping out {}", job().id(), node);
            return h.notices.swapNow(node);
        }
        return maybeGrow();
    }

    /** A growth that waited for its newcomers begins once they are up and every rank of the job can re-form in place. */
    Behavior<JobMaster.Command> maybeGrow() {
        if (!growWaiting || !allReady()) return h.unchanged();
        Job job = job();
        if (!(StagingPolicy.onStagedReady(job, allReformable(job)) instanceof ElasticPolicy.BeginRecovery)) return h.unchanged();
        growWaiting = false;
        h.timers.cancel(new JobMaster.StagingTimedOut(stagedFor));
        h.log.info("job {} grows: staged newcomer(s) on {} are up; world size {} of {}", job.id(), reservedIds(), job.worldSize(),
                job.targetWorkers());
        return growOrSwap(job);
    }

    /**
     * The growth's re-form; when a node of the job is in its notice window meanwhile, the same re-form
     * swaps it out (a notice recovery that takes the staged newcomers along), so the interruption is
     * recorded as one, not hidden in a growth.
     */
    private Behavior<JobMaster.Command> growOrSwap(Job job) {
        String noticed = h.notices.deferredNode();
        if (noticed != null) {
            h.log.info("job {}: {} is under notice: the growth swaps it out in the same re-form", job.id(), noticed);
            return h.notices.swapNow(noticed);
        }
        return h.recoveries.begin(job, RecoveryKind.GROW, null, 0);
    }

    /**
     * The newcomers of a growth were not all up in time: grow with those that are up, wait once more when none is, and let
     * go of those still starting after {@link StagingPolicy#STAGING_TIMEOUTS} time-outs ({@link StagingPolicy#onStagingTimedOut}).
     */
    Behavior<JobMaster.Command> onTimedOut(JobMaster.StagingTimedOut t) {
        if (!growWaiting || t.stagedFor() != stagedFor) return h.unchanged();
        Job job = job();
        timeouts++;
        var notUp = reservedIds().stream().filter(n -> !ready.contains(n)).toList();
        if (job.state() == JobState.RECOVERING) { // the recovery's next generation takes them
            growWaiting = false;
            return h.unchanged();
        }
        var decision = StagingPolicy.onStagingTimedOut(job, allReformable(job), reserved.size() - notUp.size(), timeouts);
        h.log.warn("job {}: staged newcomer(s) on {} not up within {} s (time-out {} of {}): {}", job.id(), notUp, STAGING_TIMEOUT.toSeconds(),
                timeouts, StagingPolicy.STAGING_TIMEOUTS, decision);
        switch (decision) {
            case WAIT -> {
                h.timers.startSingleTimer(new JobMaster.StagingTimedOut(stagedFor), STAGING_TIMEOUT);
                return h.unchanged();
            }
            case GROW -> {
                growWaiting = false;
                if (StagingPolicy.outOfTime(timeouts)) letGo(job, notUp, "not up within " + timeouts + " staging time-outs");
                return growOrSwap(job);
            }
            default -> {
                letGo(job, reservedIds(), "the growth did not happen: not up within " + timeouts + " staging time-outs");
                reset();
                return h.done(job.withEvent(JobEventType.GROWTH_SKIPPED, String.join(",", notUp), -1, "let go of the staged newcomer(s) on "
                        + notUp + ": not up within " + timeouts * STAGING_TIMEOUT.toSeconds() + " s; their nodes are free again", h.now()));
            }
        }
    }

    /** Stops the staged processes on {@code nodes} and gives their nodes back. */
    private void letGo(Job job, List<String> nodes, String why) {
        if (nodes.isEmpty()) return;
        h.deps.manager().tell(new JobManager.ReleaseNodes(job.id(), nodes));
        for (var a : reserved) {
            if (nodes.contains(a.info().nodeId())) a.agent().tell(new AgentProtocol.StopGeneration(job.id(), stagedFor, why));
        }
        reserved.removeIf(a -> nodes.contains(a.info().nodeId()));
        ready.removeAll(nodes);
        carrying.removeAll(nodes);
    }

    private boolean allReady() {
        return !reserved.isEmpty() && ready.containsAll(reservedIds());
    }

    private boolean allReformable(Job job) {
        return job.members().stream().allMatch(m -> reformable.contains(m.rank()));
    }

    private Job job() {
        return h.job();
    }

    /** Nodes reserved for the next generation: a process is staged on each (or they go back when no longer needed). */
    Behavior<JobMaster.Command> onReserved(JobMaster.Reserved r) {
        Job job = h.job();
        if (r.nodes().isEmpty()) {
            stagedFor = -1;
            growWaiting = false; // nothing free to grow into any more
            if (swapWaiting != null) { // nothing free to stage on any more: swap now
                String node = swapWaiting;
                swapWaiting = null;
                return h.notices.swapNow(node);
            }
            return h.unchanged();
        }
        boolean ahead = (swapWaiting != null || growWaiting) && job.state() == JobState.RUNNING;
        boolean recovering = job.state() == JobState.RECOVERING && job.elastic().recovery() != null;
        if ((!ahead && !recovering) || job.generation() + 1 != stagedFor) {
            h.deps.manager().tell(new JobManager.ReleaseNodes(job.id(), ids(r.nodes())));
            growWaiting = false;
            if (swapWaiting != null && job.state() == JobState.RUNNING) return h.notices.swapNow(swapWaiting); // nothing to stage on
            return h.unchanged();
        }
        // no restore ahead: the job trains on, so the step the newcomer joins at is only known at the re-form; then a
        // ring-state trainer takes it over the new ring, any other's agent fetches it from a peer (a step restored now would
        // be stale, or already gone from the peers' tiers)
        var spec = job.spec().spec();
        // the members' peer servers: the newcomer's agent warms its client for them (its re-form fetches from one)
        List<String> peers = job.members().stream().map(m -> h.peerUrls.get(m.nodeId())).filter(Objects::nonNull).toList();
        for (var a : r.nodes()) {
            reserved.add(a);
            a.agent().tell(new AgentProtocol.StartGeneration(job.id(), stagedFor, 0, 1, a.info().host(), 0, 0,
                    spec.checkpoint().intervalSteps(), spec.checkpoint().keep(), spec.checkpoint().remote(), peers, Map.of(), spec.argv(),
                    spec.env(), spec.secrets(), spec.workingDir(), h.deps.reports(), true));
        }
        String why = growWaiting ? "the job grows into it once it is up" : swapWaiting != null ? "it replaces " + swapWaiting + " once it is up"
                : "it joins generation " + stagedFor;
        h.log.info("job {}: staging a process for generation {} on {}: {}", job.id(), stagedFor, ids(r.nodes()), why);
        return h.done(job.withEvent(JobEventType.NEWCOMER_STAGED, String.join(",", ids(r.nodes())), -1, "starting a process on "
                + ids(r.nodes()) + " ahead of generation " + stagedFor + ": " + why, h.now()));
    }

    /**
     * At a recovery's close: the reserved nodes that go back with the generation's (placed again
     * right after the survivors). Newcomers still starting stay reserved when the nodes that stay
     * and the ready newcomers are enough ({@link StagingPolicy#carryStaged}): the next generation
     * opens without waiting for them and grows into them once they are up.
     */
    List<String> releaseAtClose(Job job, int staying) {
        var readyIds = reservedIds().stream().filter(ready::contains).toList();
        var notReady = reservedIds().stream().filter(n -> !ready.contains(n)).toList();
        if (!StagingPolicy.carryStaged(job, staying, readyIds.size(), notReady.size())) return reservedIds();
        carrying.addAll(notReady);
        h.log.info("job {}: generation {} opens without {} (still starting); the job grows into them once they are up", job.id(),
                job.generation() + 1, notReady);
        return readyIds;
    }

    /** How many newcomers still starting are carried into the next generation's growth (not placed in it). */
    int carried() {
        return carrying.size();
    }

    /** Reserved nodes, released with the generation's nodes at its close and preferred after the survivors. */
    List<String> reservedIds() {
        return ids(reserved);
    }

    /**
     * The next generation is placed: staged processes it did not take stop (their nodes were
     * released at the close), except those carried for a growth once they are up.
     */
    void placed(Job next, List<String> placed) {
        var carried = new ArrayList<JobMaster.Assignment>();
        for (var a : reserved) {
            String id = a.info().nodeId();
            if (placed.contains(id)) continue;
            if (carrying.contains(id)) {
                carried.add(a);
            } else {
                a.agent().tell(new AgentProtocol.StopGeneration(next.id(), stagedFor, "not needed in generation " + next.generation()));
            }
        }
        long carriedFor = stagedFor;
        int carriedTimeouts = timeouts;
        var readyCarried = ids(carried).stream().filter(ready::contains).toList();
        reset();
        if (!carried.isEmpty()) {
            reserved.addAll(carried);
            ready.addAll(readyCarried);
            stagedFor = carriedFor; // the staged processes keep the generation they were started for
            timeouts = carriedTimeouts; // and the time they had to come up
            growWaiting = true;
            h.timers.startSingleTimer(new JobMaster.StagingTimedOut(stagedFor), STAGING_TIMEOUT);
        }
    }

    private void reset() {
        reserved.clear();
        ready.clear();
        reformable.clear();
        carrying.clear();
        stagedFor = -1;
        timeouts = 0;
        swapWaiting = null;
        growWaiting = false;
    }

    /** The job ended: staged processes stop; returns their nodes, to go back with the job's. */
    List<String> ended(Job job) {
        for (var a : reserved) a.agent().tell(new AgentProtocol.StopGeneration(job.id(), stagedFor, "the job ended"));
        var ids = ids(reserved);
        reset();
        return ids;
    }

    private static List<String> ids(List<JobMaster.Assignment> nodes) {
        return nodes.stream().map(a -> a.info().nodeId()).toList();
    }
}
