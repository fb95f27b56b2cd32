package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.cost.Budget;
import io.spottrain.coordinator.cost.BudgetStatus;
import io.spottrain.coordinator.cost.Budgets;
import io.spottrain.coordinator.cost.LedgerEntry;
import io.spottrain.coordinator.cost.Metering;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StoreWriter;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The job manager's side of the cost ledger: every change of a worker node's record becomes ledger
 * segments ({@link Metering}), written through the store writer like the node history; every
 * {@link #TICK} the open segments are written again with the time they reached, so a report on any
 * control node is at most a tick old even without a change (and a job manager that dies loses at
 * most a tick of metering). On the same tick the budgets are checked against the stored ledger (off
 * the actor); their statuses are stored for the API, and an exceeded {@code block-scale-up} budget
 * keeps the autoscaler from adding nodes for the jobs it selects.
 */
final class ManagerLedger {
    static final Duration TICK = Duration.ofSeconds(15);
    /** An open segment refreshed within this is still running (three ticks). */
    static final Duration FRESH = TICK.multipliedBy(3);

    /** Time to write the open segments again (and check the budgets). */
    enum Tick implements JobManager.Command { INSTANCE }

    /** The budgets as the stored ledger has them now (or why they could not be checked). */
    record BudgetsChecked(List<BudgetStatus> statuses, Throwable error) implements JobManager.Command {}

    private final ActorContext<JobManager.Command> ctx;
    private final Metering metering = new Metering();
    private final Supplier<ActorRef<StoreWriter.Command>> writer;
    private final Function<String, Map<String, String>> labelsOf;
    private final StateStore store;
    private final Executor blocking;
    private final List<Budget> budgets;
    private final Map<String, Boolean> exceeded = new HashMap<>();
    private final Set<String> blockingBudgets = new HashSet<>();
    private boolean checking;

    ManagerLedger(ActorContext<JobManager.Command> ctx, Supplier<ActorRef<StoreWriter.Command>> writer,
            Function<String, Map<String, String>> labelsOf, StateStore store, Executor blocking, String budgetsFile) {
        this.ctx = ctx;
        this.writer = writer;
        this.labelsOf = labelsOf;
        this.store = store;
        this.blocking = blocking;
        this.budgets = budgets(ctx, budgetsFile);
    }

    private static List<Budget> budgets(ActorContext<JobManager.Command> ctx, String file) {
        if (file == null || file.isBlank()) return List.of();
        try {
            var b = Budgets.parse(file, Files.readString(Path.of(file)));
            ctx.getLog().info("{} budget(s) from {}, checked every {} s", b.size(), file, TICK.toSeconds());
            return b;
        } catch (IOException | Budgets.BudgetsException e) {
            ctx.getLog().error("no budgets: {} cannot be used: {}", file, e.getMessage());
            return List.of();
        }
    }

    /** Where each node's stored ledger ends (read with the jobs when a job manager starts: boot time is billed once). */
    static Map<String, Instant> tails(StateStore store) {
        var tails = new HashMap<String, Instant>();
        for (String json : store.values(Table.LEDGER)) {
            var e = JobDocument.readValue(json, LedgerEntry.class);
            tails.merge(e.nodeId(), Instant.parse(e.to()), (a, b) -> a.isAfter(b) ? a : b);
        }
        return tails;
    }

    void resume(Map<String, Instant> tails) {
        metering.resume(tails);
    }

    void onChange(NodeRecord n, Instant now) {
        write(metering.onChange(n, now, labelsOf));
    }

    void onJobPhase(JobManager.JobPhase p, Instant now) {
        write(metering.onJobPhase(p.jobId(), p.recovering(), now));
    }

    void onTick(Instant now) {
        write(metering.refresh(now));
        if (budgets.isEmpty() || checking) return;
        checking = true;
        ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> BudgetStatus.check(budgets,
                store.values(Table.LEDGER).stream().map(j -> JobDocument.readValue(j, LedgerEntry.class)).toList(), now, FRESH), blocking),
                BudgetsChecked::new);
    }

    void onChecked(BudgetsChecked c) {
        checking = false;
        if (c.error() != null) {
            ctx.getLog().warn("budgets not checked: {}", Causes.root(c.error()));
            return;
        }
        for (BudgetStatus s : c.statuses()) {
            Boolean was = exceeded.put(s.name(), s.exceeded());
            if (s.exceeded() && !Boolean.TRUE.equals(was)) {
                ctx.getLog().warn("budget {} exceeded: {} spent ${} of ${} {} since {}; action {}", s.name(), s.selector(),
                        String.format("%.4f", s.spentUsd()), s.limitUsd(), s.period(), s.periodStart(), s.action());
            } else if (!s.exceeded() && Boolean.TRUE.equals(was)) {
                ctx.getLog().info("budget {} is within its limit again (a new {} period)", s.name(), s.period());
            }
        }
        blockingBudgets.clear();
        for (int i = 0; i < budgets.size(); i++) {
            if (c.statuses().get(i).exceeded() && budgets.get(i).action() == Budget.Action.BLOCK_SCALE_UP) blockingBudgets.add(budgets.get(i).name());
        }
        var w = writer.get();
        if (w != null) {
            w.tell(new StoreWriter.Write(c.statuses().stream().map(s -> new StateStore.Put(Table.BUDGETS, s.name(), Json.write(s))).toList(),
                    null, 0));
        }
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
     * covers the time up to the stop. Returns the error, or null.
     */
    String flush(StateStore.Fence fence, Instant now) {
        var entries = metering.refresh(now);
        if (entries.isEmpty() || fence == null) return null;
        try {
            store.write(puts(entries), fence);
            return null;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static List<StateStore.Put> puts(List<LedgerEntry> entries) {
        return entries.stream().map(e -> new StateStore.Put(Table.LEDGER, e.key(), Json.write(e))).toList();
    }

    private void write(List<LedgerEntry> entries) {
        var w = writer.get();
        if (entries.isEmpty() || w == null) return;
        w.tell(new StoreWriter.Write(puts(entries), null, 0));
    }
}
