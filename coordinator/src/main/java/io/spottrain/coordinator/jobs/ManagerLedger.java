package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.cost.Allocation;
import io.spottrain.coordinator.cost.Budget;
import io.spottrain.coordinator.cost.BudgetStatus;
import io.spottrain.coordinator.cost.Budgets;
import io.spottrain.coordinator.cost.CostReport;
import io.spottrain.coordinator.cost.LedgerEntry;
import io.spottrain.coordinator.cost.Metering;
import io.spottrain.coordinator.cost.StoragePrices;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.settings.WatchedFile;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.PriorityClass;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The job manager's side of the cost ledger: every change of a worker node's record is stored (the
 * node history) and becomes ledger segments ({@link Metering}), both through this ledger's own store
 * writer: a burst of placements (three puts per node) is written beside the jobs' changes, never in
 * the batch a job's generation waits for (docs/benchmarks.md, "Coordinator at scale"). Every tick
 * ({@code spottrain.coordinator.ledger-tick}, 15 s) the open segments are written again with the
 * time they reached, so a report on any control node is at most a tick old even without a change (and a job manager that dies loses at
 * most a tick of metering). On the same tick the budgets are checked against the stored ledger (off
 * the actor); their statuses are stored for the API, and an exceeded {@code block-scale-up} budget
 * keeps the autoscaler from adding nodes for the jobs it selects. An exceeded
 * {@code stop-low-priority} budget does that too, requeues the running low-priority jobs it selects
 * (each checkpoints and gives its nodes back) and holds them out of placement until it is within
 * its limit again.
 */
final class ManagerLedger {
    /** The key of the budgets' statuses in {@link Table#BUDGETS}. */
    static final String STATUSES = "statuses";
    private static final String HELD = "held: ";

    /** Time to write the open segments again (and check the budgets). */
    enum Tick implements JobManager.Command { INSTANCE }

    /** The budgets as the stored ledger has them now (or why they could not be checked). */
    record BudgetsChecked(List<Budget> checked, List<BudgetStatus> statuses, Throwable error) implements JobManager.Command {}

    private final ActorContext<JobManager.Command> ctx;
    private final Metering metering = new Metering();
    /** The node history's and the ledger's writer, fenced like the job manager's; null until {@link #open}. */
    private ActorRef<StoreWriter.Command> writer;
    private final Function<String, Map<String, String>> labelsOf;
    private final Function<String, Optional<JobSpec>> specOf;
    /** Jobs that can be requeued now (running, every rank attached): only those are asked to step aside. */
    private final Predicate<String> requeueable;
    /** The masters of the jobs in progress, by job id (a budget's firing is an event in each job it selects). */
    private final Supplier<Map<String, ActorRef<JobMaster.Command>>> live;
    private final StateStore store;
    private final Executor blocking;
    /** The budgets in force; the file they come from is read again at every tick when it changed. */
    private List<Budget> budgets = List.of();
    private final WatchedFile<List<Budget>> budgetsFile;
    private final Duration tick;
    /** What the remote tier costs: checkpoints' bytes, S3 requests, how long ended jobs' checkpoints stay. */
    private final StoragePrices prices;
    private final Map<String, Boolean> exceeded = new HashMap<>();
    private final Set<String> blockingBudgets = new HashSet<>();
    private final Set<String> stoppingBudgets = new HashSet<>();
    private boolean checking;

    ManagerLedger(ActorContext<JobManager.Command> ctx, Function<String, Optional<JobSpec>> specOf,
            Supplier<Map<String, ActorRef<JobMaster.Command>>> live, Predicate<String> requeueable,
            StateStore store, Executor blocking, String budgetsFile, Duration tick, StoragePrices prices) {
        this.ctx = ctx;
        this.tick = tick;
        this.prices = prices;
        this.specOf = specOf;
        this.labelsOf = id -> specOf.apply(id).map(s -> s.metadata().labels()).orElse(Map.of());
        this.requeueable = requeueable;
        this.live = live;
        this.store = store;
        this.blocking = blocking;
        this.budgetsFile = budgetsFile == null || budgetsFile.isBlank() ? null : new WatchedFile<>(Path.of(budgetsFile), Budgets::parse);
        pollBudgets();
    }

    /**
     * Reads the budgets file again if it changed: a version that can be used is in force from now on (a budget no longer in
     * it stops holding and blocking at once; the others are checked again at this tick); one that cannot is logged and
     * changes nothing.
     */
    private void pollBudgets() {
        if (budgetsFile == null) return;
        var change = budgetsFile.poll();
        if (change instanceof WatchedFile.Refused<List<Budget>> r) {
            ctx.getLog().error(budgets.isEmpty() ? "no budgets: {}" : "the budgets in force stay: {}", r.why());
        } else if (change instanceof WatchedFile.Changed<List<Budget>> c) {
            budgets = c.value();
            ctx.getLog().info("{} budget(s) from {}, checked every {} s", budgets.size(), budgetsFile.path(), tick.toSeconds());
            // at once, before the next check: a budget removed, or whose action no longer holds or blocks, stops doing so (a
            // changed limit is judged by the check this tick starts)
            var byName = budgets.stream().collect(Collectors.toMap(Budget::name, Budget::action));
            exceeded.keySet().retainAll(byName.keySet());
            blockingBudgets.removeIf(n -> byName.get(n) == null || byName.get(n) == Budget.Action.ALERT);
            if (stoppingBudgets.removeIf(n -> byName.get(n) != Budget.Action.STOP_LOW_PRIORITY)) {
                ctx.getSelf().tell(new JobManager.OfferCapacity(null)); // the jobs it held may run
            }
            if (budgets.isEmpty()) writeStatuses(List.of());
        }
    }

    /** What the stored ledger holds when a job manager starts: where each node's segments end, and the segments left open. */
    /** {@code exceeded}: the budgets' states as the last job manager stored them (a firing it recorded is not recorded again). */
    record Stored(Map<String, Instant> tails, List<LedgerEntry> open, int unreadable, Map<String, Boolean> exceeded) {}

    /**
     * Reads the stored ledger (with the jobs, when a job manager starts): boot time is billed once, and
     * segments an earlier job manager left open are closed where it last saw them (this one is now
     * the only writer). An unreadable segment is skipped, never a reason not to start.
     */
    static Stored stored(StateStore store) {
        var tails = new HashMap<String, Instant>();
        var open = new ArrayList<LedgerEntry>();
        int unreadable = 0;
        for (String json : store.values(Table.LEDGER)) {
            LedgerEntry e;
            try {
                e = JobDocument.readValue(json, LedgerEntry.class);
                Instant.parse(e.to());
            } catch (RuntimeException bad) {
                unreadable++;
                continue;
            }
            tails.merge(e.nodeId(), Instant.parse(e.to()), (a, b) -> a.isAfter(b) ? a : b);
            // a live control node keeps its own segment; an ended job's kept checkpoints stay open until deleted
            if (e.open() && e.allocation() != Allocation.CONTROL && !e.kept()) open.add(e);
        }
        var exceeded = new HashMap<String, Boolean>();
        try {
            store.get(Table.BUDGETS, STATUSES).ifPresent(j -> {
                for (BudgetStatus s : JobDocument.readValue(j, BudgetStatus[].class)) exceeded.put(s.name(), s.exceeded());
            });
        } catch (RuntimeException e) {
            // unreadable statuses: the budgets over their limit fire once more
        }
        return new Stored(tails, open, unreadable, exceeded);
    }

    /**
     * Starts its writer, fenced by the job manager's epoch, and returns it: a newer job manager's fence stops it, and the job
     * manager (watching it, as its own writer) then stops acting too, even if it has no job to write.
     */
    ActorRef<StoreWriter.Command> open(StateStore.Fence fence) {
        writer = ctx.spawn(StoreWriter.create(store, fence), "history-writer", StoreWriter.props());
        ctx.watch(writer);
        return writer;
    }

    /** Starts from what the stored ledger holds (see {@link #stored}); clears the budgets' statuses of an earlier configuration. */
    void resume(Stored stored) {
        metering.resume(stored.tails());
        exceeded.putAll(stored.exceeded()); // a hand-over or restart does not fire a budget again
        for (Budget b : budgets) {
            // until the first check, the stored states hold: a job a budget stopped is not placed in between
            if (!Boolean.TRUE.equals(exceeded.get(b.name())) || b.action() == Budget.Action.ALERT) continue;
            blockingBudgets.add(b.name());
            if (b.action() == Budget.Action.STOP_LOW_PRIORITY) stoppingBudgets.add(b.name());
        }
        if (stored.unreadable() > 0) ctx.getLog().warn("cost ledger: {} unreadable segment(s) skipped", stored.unreadable());
        write(stored.open().stream().map(e -> e.until(Instant.parse(e.to()), false)).toList());
        if (budgets.isEmpty()) writeStatuses(List.of());
    }

    /** A worker node's record changed: the record (the node history) and the ledger segments it closes and opens are stored. */
    void onChange(NodeRecord n, Instant now) {
        if (writer == null) return; // not before the job manager has read the store (everything else waits for that too)
        var puts = new ArrayList<StateStore.Put>();
        puts.add(new StateStore.Put(Table.NODES, n.key(), Json.write(n)));
        puts.addAll(puts(metering.onChange(n, now, labelsOf)));
        writer.tell(new StoreWriter.Write(puts, null, 0));
    }

    <T> Behavior<T> onJobPhase(JobManager.JobPhase p, Instant now, Behavior<T> same) {
        write(metering.onJobPhase(p.jobId(), p.recovering(), now));
        return same;
    }

    /** A job's checkpoints in the remote tier changed size (0: none, or it ended): its storage segment follows. */
    <T> Behavior<T> onStorage(JobManager.JobStorage s, Instant now, Behavior<T> same) {
        write(s.ended() ? metering.onStorageKept(s.jobId(), labelsOf.apply(s.jobId()), s.bytes(), prices.usdPerGibMonth(), prices.keptFor(), now)
                : metering.onStorage(s.jobId(), labelsOf.apply(s.jobId()), s.bytes(), prices.usdPerGibMonth(), now));
        return same;
    }

    /** A job's agents made S3 requests (with an upload report): charged at the next tick, one segment per job. */
    <T> Behavior<T> onRequests(JobManager.JobRequests r, Behavior<T> same) {
        metering.onRequests(r.jobId(), labelsOf.apply(r.jobId()), r.put(), r.get());
        return same;
    }

    <T> Behavior<T> onTick(Instant now, Behavior<T> same) {
        write(metering.refresh(now));
        write(metering.requestCharges(prices, now));
        pollBudgets();
        check(now);
        return same;
    }

    /** Checks the budgets in force against the stored ledger, off the actor (one check at a time). */
    private void check(Instant now) {
        if (budgets.isEmpty() || checking) return;
        checking = true;
        var checked = budgets;
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> BudgetStatus.check(checked,
                store.values(Table.LEDGER).stream().map(j -> JobDocument.readValue(j, LedgerEntry.class)).toList(), now, CostReport.FRESH), blocking),
                (statuses, error) -> new BudgetsChecked(checked, statuses, error));
    }

    <T> Behavior<T> onChecked(BudgetsChecked c, Instant now, Behavior<T> same) {
        checking = false;
        if (c.error() != null) {
            ctx.getLog().warn("budgets not checked: {}", Causes.root(c.error()));
            return same;
        }
        if (!c.checked().equals(budgets)) { // the file changed while they were checked: the new ones are checked now
            check(now);
            return same;
        }
        for (int i = 0; i < c.statuses().size(); i++) {
            BudgetStatus s = c.statuses().get(i);
            Boolean was = exceeded.put(s.name(), s.exceeded());
            if (s.exceeded() && !Boolean.TRUE.equals(was)) {
                String text = String.format(Locale.ROOT, "budget %s exceeded: %s spent $%.4f of $%s %s since %s; action %s", s.name(),
                        s.selector(), s.spentUsd(), s.limitUsd(), s.period().label(), s.periodStart(), s.action().label());
                ctx.getLog().warn("{}", text);
                fired(budgets.get(i), text);
            } else if (!s.exceeded() && Boolean.TRUE.equals(was)) {
                ctx.getLog().info("budget {} is within its limit again (a new {} period, or a changed limit)", s.name(), s.period().label());
            }
        }
        blockingBudgets.clear();
        var wasStopping = Set.copyOf(stoppingBudgets);
        stoppingBudgets.clear();
        for (int i = 0; i < budgets.size(); i++) {
            if (!c.statuses().get(i).exceeded() || budgets.get(i).action() == Budget.Action.ALERT) continue;
            blockingBudgets.add(budgets.get(i).name()); // stop-low-priority blocks scale-up too
            if (budgets.get(i).action() == Budget.Action.STOP_LOW_PRIORITY) stoppingBudgets.add(budgets.get(i).name());
        }
        writeStatuses(c.statuses());
        // the running low-priority jobs an exceeded stop-low-priority budget selects step aside (asked again each check
        // while they still run: one that had not attached yet is asked once it has)
        live.get().forEach((id, master) -> {
            String why = holdReason(id);
            if (why != null && requeueable.test(id)) master.tell(new JobMaster.Requeue(why.substring(HELD.length())));
        });
        // a budget within its limit again (a new period): the jobs it held may be placed now
        if (!stoppingBudgets.containsAll(wasStopping)) ctx.getSelf().tell(new JobManager.OfferCapacity(null));
        return same;
    }

    /**
     * Why the job must not run now (null: it may): an exceeded {@code stop-low-priority} budget
     * selects it and it is of the {@code low} priority class. Held jobs wait in the queue, placed
     * on nothing, until the budget is within its limit again.
     */
    String holdReason(String jobId) {
        if (stoppingBudgets.isEmpty()) return null;
        var spec = specOf.apply(jobId);
        if (spec.isEmpty() || PriorityClass.of(spec.get().spec().priority()) != PriorityClass.LOW) return null;
        var labels = spec.get().metadata().labels();
        for (Budget b : budgets) {
            if (stoppingBudgets.contains(b.name()) && b.selector().matches(jobId, labels)) {
                return HELD + "budget " + b.name() + " (" + b.selector() + ", $" + b.limitUsd() + " " + b.period().label()
                        + ") is exceeded and stops its low-priority jobs until its next period";
            }
        }
        return null;
    }

    /** A budget's firing is an event, with its numbers, in the history of every job in progress it selects. */
    private void fired(Budget budget, String text) {
        live.get().forEach((id, master) -> {
            if (budget.selector().matches(id, labelsOf.apply(id))) master.tell(new JobMaster.BudgetExceeded(text));
        });
    }

    /** One document holds every status: a budget removed from the configuration leaves no stale row behind. */
    private void writeStatuses(List<BudgetStatus> statuses) {
        if (writer != null) writer.tell(new StoreWriter.Write(List.of(new StateStore.Put(Table.BUDGETS, STATUSES, Json.write(statuses))), null, 0));
    }

    /** Whether an exceeded {@code block-scale-up} budget selects this job: the autoscaler adds no node for it. */
    boolean scaleUpBlocked(String jobId) {
        if (blockingBudgets.isEmpty()) return false;
        var labels = labelsOf.apply(jobId);
        return budgets.stream().anyMatch(b -> blockingBudgets.contains(b.name()) && b.selector().matches(jobId, labels));
    }

    /**
     * The job manager stops (the cluster is shut down, or it hands over): its open segments are
     * stored up to now, synchronously (the writer has stopped), so a restarted cluster's ledger
     * covers the time up to the stop (a newer job manager's fence refuses it after a hand-over).
     */
    <T> Behavior<T> flush(StateStore.Fence fence, Instant now, Behavior<T> same) {
        var entries = metering.refresh(now).stream().map(e -> e.until(now, false)).toList(); // closed: the next job manager writes on
        if (entries.isEmpty() || fence == null) return same;
        try {
            store.write(puts(entries), fence);
        } catch (RuntimeException e) {
            ctx.getLog().warn("the cost ledger's open segments were not stored at the stop: {}: {}", e.getClass().getSimpleName(),
                    e.getMessage());
        }
        return same;
    }

    private static List<StateStore.Put> puts(List<LedgerEntry> entries) {
        return entries.stream().map(e -> new StateStore.Put(Table.LEDGER, e.key(), Json.write(e))).toList();
    }

    /**
     * Stores {@code entries} in writes of at most {@link StoreWriter#MAX_BATCH_PUTS}: a tick refreshes every open segment (one
     * per node, 1,000 and more), and as one transaction that held the job manager's epoch lock for 27-135 ms while every job's
     * write waited (docs/benchmarks.md "2026-12-04 e").
     */
    private void write(List<LedgerEntry> entries) {
        if (entries.isEmpty() || writer == null) return;
        var puts = puts(entries);
        for (int i = 0; i < puts.size(); i += StoreWriter.MAX_BATCH_PUTS) {
            writer.tell(new StoreWriter.Write(puts.subList(i, Math.min(puts.size(), i + StoreWriter.MAX_BATCH_PUTS)), null, 0));
        }
    }
}
