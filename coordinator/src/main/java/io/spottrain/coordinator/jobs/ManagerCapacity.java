package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.GangScheduler;
import io.spottrain.coordinator.scheduling.TeamQuotas;
import io.spottrain.coordinator.settings.WatchedFile;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.wire.NodeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.slf4j.Logger;

/**
 * The job manager's free capacity for running jobs: offers to jobs below their max
 * ({@link CapacityOffers}) and reservations of free nodes for staged newcomers, both only while no
 * job waits (a waiting job comes first). Not thread-safe: the job manager's.
 */
final class ManagerCapacity {
    private final WorkerNodes nodes;
    private final PlacementQueue queue;
    private final Map<String, Job> jobs;
    private final Map<String, ActorRef<JobMaster.Command>> masters;
    private final Supplier<Instant> clock;
    /** Jobs that judged a growth not worth it, until when they are left out of offers (then asked again). */
    private final Map<String, Instant> declinedUntil = new HashMap<>();
    /** How long a job that declined a growth is left out of capacity offers. */
    static final Duration DECLINE_HOLD = Duration.ofSeconds(60);

    /** Why a waiting job must not be placed now (null: it may): a budget holds it (a team's quota is the queue's, TeamQuotas). */
    private Function<String, String> holdReason = id -> null;
    private WatchedFile<TeamQuotas> quotasFile;
    private Logger log;

    ManagerCapacity(WorkerNodes nodes, PlacementQueue queue, Map<String, Job> jobs, Map<String, ActorRef<JobMaster.Command>> masters,
            Supplier<Instant> clock) {
        this.nodes = nodes;
        this.clock = clock;
        this.queue = queue;
        this.jobs = jobs;
        this.masters = masters;
    }

    /**
     * No job waits that could be placed (a job a budget or its team's quota holds waits for that, not for nodes): free nodes go
     * to running jobs.
     */
    private boolean noneWaits() {
        if (queue.isEmpty()) return true;
        var byQuota = quotaHeld();
        return queue.requests().stream().allMatch(w -> holdReason.apply(w.jobId()) != null || byQuota.contains(w.jobId()));
    }

    /**
     * What holds waiting jobs back: the budgets ({@code reason}), and the teams' quotas from {@code file} (none when it is
     * blank), read again whenever it changes ({@link #pollQuotas}). Set once, after the ledger is made.
     */
    void holdBy(Function<String, String> reason, String file, Logger log) {
        this.holdReason = reason;
        this.log = log;
        if (file != null && !file.isBlank()) {
            quotasFile = new WatchedFile<>(Path.of(file), TeamQuotas::parse);
            pollQuotas();
        }
    }

    /**
     * Reads the quotas file again if it changed since the last look: a version that can be used replaces the quotas in force
     * (returns true: the waiting jobs are to be placed again); one that cannot is logged and changes nothing.
     */
    boolean pollQuotas() {
        if (quotasFile == null) return false;
        var change = quotasFile.poll();
        if (change instanceof WatchedFile.Changed<TeamQuotas> c) {
            queue.quotas(c.value());
            log.info("{} team quota(s) from {}", c.value().quotas().size(), quotasFile.path());
            return true;
        }
        if (change instanceof WatchedFile.Refused<TeamQuotas> r) {
            log.error(queue.quotas().isEmpty() ? "no quotas: {}" : "the team quotas in force stay: {}", r.why());
        }
        return false;
    }



    /**
     * Places waiting jobs on free nodes (and considers preempting lower classes for those still
     * waiting); with {@code offer} (where free nodes may have appeared: registration, release,
     * reachable again) the rest is offered to running jobs below their max. After a loss there is
     * nothing to offer: a burst of losses must not plan offers for every job.
     */
    void schedule(boolean offer, Instant now, ManagerPreemption preemption) {
        if (queue.isEmpty()) {
            if (offer) offer(now);
            return;
        }
        placeWaiting();
        // a held job waits for its budget or its team's quota, not for nodes: nobody is preempted for it, nor for one the quota
        // leaves too few fitting nodes (preempting others would not give it more)
        var byQuota = quotaHeld();
        preemption.consider(queue.requests().stream().filter(w -> holdReason.apply(w.jobId()) == null && !byQuota.contains(w.jobId())
                && !queue.quotaLimited(w.jobId())).toList(), nodes, jobs, masters, now);
        if (offer && noneWaits()) offer(now);
    }

    /** Places waiting jobs on free nodes in the queue's order, telling each job where it runs or why it waits. */
    void placeWaiting() {
        for (var o : queue.next(nodes.free(), teamUse(), holdReason, nodes.risks(clock.get()))) {
            var master = masters.get(o.job().jobId());
            if (master == null) {
                queue.remove(o.job().jobId());
                continue;
            }
            if (o.waitReason() != null) {
                master.tell(new JobMaster.Waiting(o.waitReason()));
                continue;
            }
            var assigned = new ArrayList<JobMaster.Assignment>();
            for (String n : o.placement().nodeIds()) {
                nodes.assign(n, o.job().jobId());
                // rank 0's node (the first) gives the port it offers: the generation starts without asking it for one
                assigned.add(new JobMaster.Assignment(nodes.info(n), nodes.agent(n), assigned.isEmpty() ? nodes.takeRendezvousPort(n) : 0));
            }
            master.tell(new JobMaster.Placed(assigned));
        }
    }

    /**
     * What each team's jobs hold now (quotas, fair share); none counted where that changes nothing (no quota in force and at most
     * one team's jobs waiting): counting is a scan of every node, once per scheduling round.
     */
    Map<String, TeamQuotas.Use> teamUse() {
        if (!queue.teamUseMatters()) return Map.of();
        return TeamQuotas.use(nodes.all(), id -> Optional.ofNullable(jobs.get(id)).map(Job::spec));
    }

    /**
     * The waiting jobs their teams' quotas hold now, in the queue's order, each counting what those before it (not held) would
     * start with: two jobs that each fit a quota alone but not together are not both taken for launchable.
     */
    Set<String> quotaHeld() {
        if (queue.quotas().isEmpty()) return Set.of();
        var use = new HashMap<>(teamUse());
        var held = new HashSet<String>();
        for (var w : queue.requests()) {
            if (holdReason.apply(w.jobId()) != null) continue;
            String team = TeamQuotas.team(w.spec());
            var used = use.getOrDefault(team, TeamQuotas.Use.NONE);
            int reserved = w.spec().spec().placement().market() != Market.ON_DEMAND ? 0
                    : TeamQuotas.reserved(GangScheduler.fitting(w.spec(), nodes.free(), nodes.risks(clock.get())));
            if (queue.quotas().hold(w.spec(), used, reserved) != null) {
                held.add(w.jobId());
            } else {
                boolean onDemand = w.spec().spec().placement().market() == Market.ON_DEMAND;
                int min = w.spec().spec().workers().min();
                int per = TeamQuotas.perNode(w.spec());
                use.put(team, used.plus(Math.max(0, min - reserved) * per, onDemand).plus(Math.min(min, reserved) * per, false));
            }
        }
        return held;
    }

    /** A job's desired worker count changed: offers to it stop there. */
    <T> Behavior<T> onResized(JobManager.Resized r, Behavior<T> same) {
        jobs.computeIfPresent(r.jobId(), (id, j) -> j.withDesired(r.desired()));
        queue.capAt(r.jobId(), r.desired()); // a pending job is placed on no more than that
        return same;
    }

    /** The masters of the jobs in progress (an ended job's master may linger for late uploads). */
    Map<String, ActorRef<JobMaster.Command>> liveMasters() {
        var live = new HashMap<String, ActorRef<JobMaster.Command>>();
        jobs.keySet().forEach(id -> Optional.ofNullable(masters.get(id)).ifPresent(m -> live.put(id, m)));
        return live;
    }

    /**
     * The launches a resize needs ({@code canLaunch}: there is a launcher): what free fitting nodes do
     * not cover (none are free while a job waits), each a node like {@code u.like()}.
     */
    List<JobManager.RequestReplacement> launchesFor(JobManager.ScaleUp u, boolean canLaunch) {
        var job = jobs.get(u.jobId());
        if (job == null || !canLaunch) return List.of();
        int free = noneWaits() ? GangScheduler.fitting(job.spec(), nodes.free(), nodes.risks(clock.get())).size() : 0;
        var market = Replacements.launchMarket(nodes.lastKnown(u.like()).map(NodeInfo::market).orElse(NodeMarket.SPOT),
                job.spec().spec().placement().market()); // what the growth is launched on
        int more = Math.min(u.more(), queue.quotas().room(job.spec(), teamUse().getOrDefault(TeamQuotas.team(job.spec()), TeamQuotas.Use.NONE),
                market));
        return Collections.nCopies(Math.max(0, more - free), new JobManager.RequestReplacement(u.jobId(), u.like()));
    }

    /** A job judged a growth not worth it: the next offers go to the others. */
    void declined(String jobId, Instant now) {
        declinedUntil.put(jobId, now.plus(DECLINE_HOLD));
    }

    /** With no job waiting, free nodes are offered to running jobs below their max (but those that just declined). */
    void offer(Instant now) {
        declinedUntil.entrySet().removeIf(e -> !e.getValue().isAfter(now) || !jobs.containsKey(e.getKey()));
        var live = jobs.values().stream().filter(j -> masters.containsKey(j.id()) && !declinedUntil.containsKey(j.id())).toList();
        var free = nodes.free();
        if (free.isEmpty()) return;
        var assigned = nodes.assignedCounts();
        for (var o : CapacityOffers.plan(live, free, id -> assigned.getOrDefault(id, 0L), nodes.risks(now), queue.quotas(), teamUse())) {
            masters.get(o.jobId()).tell(new JobMaster.CapacityFree(o.nodes()));
        }
    }

    /** Up to {@code count} free nodes that fit, reserved for the job's staged newcomers; none while a job waits. */
    <T> Behavior<T> onReserve(JobManager.Reserve r, Behavior<T> same) {
        var master = masters.get(r.jobId());
        if (master == null) return same;
        var given = new ArrayList<JobMaster.Assignment>();
        if (noneWaits()) {
            var fitting = GangScheduler.fitting(r.spec(), nodes.free(), nodes.risks(clock.get()));
            for (NodeRecord n : queue.quotas().within(r.spec(), fitting, teamUse().getOrDefault(TeamQuotas.team(r.spec()), TeamQuotas.Use.NONE))) {
                if (given.size() >= r.count()) break;
                nodes.assign(n.nodeId(), r.jobId());
                given.add(new JobMaster.Assignment(nodes.info(n.nodeId()), nodes.agent(n.nodeId())));
            }
        }
        master.tell(new JobMaster.Reserved(given));
        return same;
    }
}
