package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spottrain.coordinator.cost.CostGrouping;
import io.spottrain.coordinator.cost.CostReport;
import io.spottrain.coordinator.cost.CostWindow;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobState;
import io.spottrain.coordinator.jobs.Preemption;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.metrics.ControlMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /metrics} (viewer token, as Prometheus' {@code authorization} sends it): Prometheus text
 * exposition of what this control node's copy of the state store holds — jobs by state, workers by
 * market and state, the fleet's burn rate, each job in progress (world size, step, upload backlog,
 * cost), recoveries by kind with their detect / resume / back-to-training histograms, the cost and
 * Spot savings of the last day, each budget's spend, limit and whether it is exceeded, store writes — and this JVM. Gauges are read at scrape time; each
 * recovery enters the histograms once, when a scrape first sees it finished (a new control node
 * counts the history again from zero, as a restarted process does). Thread-safe (scrapes are serialized).
 */
final class MetricsRoutes implements AutoCloseable {
    static final double[] SECONDS_BUCKETS = {0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600};

    private final JobReads reads;
    private final PrometheusMeterRegistry registry;
    private final MultiGauge jobsByState;
    private final MultiGauge nodes;
    private final MultiGauge burn;
    private final MultiGauge jobState;
    private final MultiGauge worldSize;
    private final MultiGauge ranks;
    private final MultiGauge step;
    private final MultiGauge backlogSteps;
    private final MultiGauge backlogBytes;
    private final MultiGauge jobCost;
    private final MultiGauge cost;
    private final MultiGauge budgetSpent;
    private final MultiGauge budgetLimit;
    private final MultiGauge budgetExceeded;
    private final Set<String> resumed = new HashSet<>();
    private final Set<String> trained = new HashSet<>();
    /** Ended jobs whose every recovery was counted: never read again. */
    private final Set<String> done = new HashSet<>();

    /** Listens to the JVM's GC notifications until {@link #close}: a coordinator stopped in a JVM that goes on leaves none behind. */
    private final JvmGcMetrics gc = new JvmGcMetrics();

    MetricsRoutes(JobReads reads, ControlMetrics metrics) {
        this.registry = metrics.registry();
        this.reads = reads;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gc.bindTo(registry);
        jobsByState = MultiGauge.builder("spottrain.jobs").description("Jobs by state").register(registry);
        nodes = MultiGauge.builder("spottrain.nodes").description("Live worker nodes by market and state").register(registry);
        burn = MultiGauge.builder("spottrain.fleet.cost.per.hour").baseUnit("usd").description("What the live workers cost per hour, "
                + "at their price and at on-demand price").register(registry);
        jobState = MultiGauge.builder("spottrain.job.state").description("1 for each job in progress, in its state (an alert's "
                + "'for:' then says how long a job has been in it)").register(registry);
        worldSize = MultiGauge.builder("spottrain.job.world.size").description("Workers of each job in progress").register(registry);
        ranks = MultiGauge.builder("spottrain.node.rank").description("1 for each rank of a job in progress, on its node, in its state "
                + "(the job's, or EXITED once its process ended)").register(registry);
        step = MultiGauge.builder("spottrain.job.step").description("Newest training step of each job in progress").register(registry);
        backlogSteps = MultiGauge.builder("spottrain.checkpoint.upload.backlog.steps").description("Committed steps not yet uploaded")
                .register(registry);
        backlogBytes = MultiGauge.builder("spottrain.checkpoint.upload.backlog").baseUnit("bytes").description("Bytes not yet uploaded")
                .register(registry);
        jobCost = MultiGauge.builder("spottrain.job.cost").baseUnit("usd").description("Node cost of each job in progress so far")
                .register(registry);
        cost = MultiGauge.builder("spottrain.cost.last.day").baseUnit("usd").description("Cost ledger over the last 24 h: cost, "
                + "on-demand equivalent, Spot savings, recovery").register(registry);
        budgetSpent = MultiGauge.builder("spottrain.budget.spent").baseUnit("usd").description("Each budget's spend in its current "
                + "period, as the job manager last checked it").register(registry);
        budgetLimit = MultiGauge.builder("spottrain.budget.limit").baseUnit("usd").description("Each budget's limit per period")
                .register(registry);
        budgetExceeded = MultiGauge.builder("spottrain.budget.exceeded").description("1 while a budget is over its limit")
                .register(registry);
        FunctionCounter.builder("spottrain.store.writes", reads, r -> r.storeStats().writes()).description("State store writes")
                .register(registry);
        FunctionCounter.builder("spottrain.store.write.time", reads, r -> r.storeStats().writeNanos() / 1e9).baseUnit("seconds")
                .description("Time spent in state store writes").register(registry);
    }

    void scrape(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(text());
    }

    /** What a scrape answers now. */
    synchronized String text() {
        refresh();
        return registry.scrape();
    }

    private void refresh() {
        var byState = new HashMap<String, Integer>();
        for (JobState s : JobState.values()) byState.put(s.name(), 0);
        var states = new ArrayList<MultiGauge.Row<?>>();
        var world = new ArrayList<MultiGauge.Row<?>>();
        var onNodes = new ArrayList<MultiGauge.Row<?>>();
        var steps = new ArrayList<MultiGauge.Row<?>>();
        var bSteps = new ArrayList<MultiGauge.Row<?>>();
        var bBytes = new ArrayList<MultiGauge.Row<?>>();
        var costs = new ArrayList<MultiGauge.Row<?>>();
        var now = reads.now();
        for (JobDocument d : reads.documents()) { // one read of the jobs per scrape
            var summary = JobSummary.of(d, now);
            byState.merge(summary.state(), 1, Integer::sum);
            if (done.contains(d.id())) continue;
            boolean ended = d.state().terminal();
            if (!ended) {
                // job_id, not job: Prometheus gives every series its scrape job's name as the label job
                Tags job = Tags.of("job_id", d.id());
                states.add(MultiGauge.Row.of(job.and("state", d.state().name()), 1));
                world.add(MultiGauge.Row.of(job, d.members().size()));
                for (var m : d.members()) {
                    onNodes.add(MultiGauge.Row.of(job.and("node", m.nodeId(), "rank", Integer.toString(m.rank()), "state",
                            m.exitCode() == null ? d.state().name() : "EXITED"), 1));
                }
                steps.add(MultiGauge.Row.of(job, d.training().step()));
                bSteps.add(MultiGauge.Row.of(job, d.training().checkpoints().backlogSteps()));
                bBytes.add(MultiGauge.Row.of(job, d.training().checkpoints().backlogBytes()));
                costs.add(MultiGauge.Row.of(job, summary.cost().actualUsd()));
            }
            for (Preemption p : d.elastic().preemptions()) record(d.id(), p);
            if (ended) { // nothing of an ended job changes any more: counted, never read again
                done.add(d.id());
                resumed.removeIf(k -> k.startsWith(d.id() + "/"));
                trained.removeIf(k -> k.startsWith(d.id() + "/"));
            }
        }
        jobsByState.register(byState.entrySet().stream().map(e -> MultiGauge.Row.of(Tags.of("state", e.getKey()), e.getValue())).toList(),
                true);
        jobState.register(states, true);
        worldSize.register(world, true);
        ranks.register(onNodes, true);
        step.register(steps, true);
        backlogSteps.register(bSteps, true);
        backlogBytes.register(bBytes, true);
        jobCost.register(costs, true);
        fleet();
        var budgets = reads.budgets();
        budgetSpent.register(budgets.stream().map(b -> MultiGauge.Row.of(Tags.of("budget", b.name()), b.spentUsd())).toList(), true);
        budgetLimit.register(budgets.stream().map(b -> MultiGauge.Row.of(Tags.of("budget", b.name()), b.limitUsd())).toList(), true);
        budgetExceeded.register(budgets.stream().map(b -> MultiGauge.Row.of(Tags.of("budget", b.name()), b.exceeded() ? 1 : 0)).toList(),
                true);
        var report = CostReport.of(reads.ledger(), CostGrouping.parse("job"), CostWindow.parse("1d", reads.now()), reads.now(),
                CostReport.FRESH);
        var t = report.total();
        cost.register(List.of(MultiGauge.Row.of(Tags.of("kind", "cost"), t.costUsd()), MultiGauge.Row.of(Tags.of("kind", "on-demand"),
                t.onDemandUsd()), MultiGauge.Row.of(Tags.of("kind", "savings"), t.savingsUsd()), MultiGauge.Row.of(Tags.of("kind",
                "recovery"), t.recoveryUsd())), true);
    }

    private void fleet() {
        var counts = new HashMap<Tags, Integer>();
        double price = 0;
        double onDemand = 0;
        for (NodeRecord n : reads.workers(false)) {
            counts.merge(Tags.of("market", n.info().market().label(), "state", n.state().name()), 1, Integer::sum);
            price += n.info().pricePerHour();
            onDemand += n.info().onDemandPricePerHour();
        }
        nodes.register(counts.entrySet().stream().map(e -> MultiGauge.Row.of(e.getKey(), e.getValue())).toList(), true);
        burn.register(List.of(MultiGauge.Row.of(Tags.of("price", "actual"), price), MultiGauge.Row.of(Tags.of("price", "on-demand"),
                onDemand)), true);
    }

    /** Counts a finished recovery once (its resume, and its return to training when that comes). */
    private void record(String jobId, Preemption p) {
        String key = jobId + "/" + p.startedAt() + "/" + p.node() + "/" + p.kind().label();
        Tags kind = Tags.of("kind", p.kind().label());
        if (p.resumeSeconds() != null && resumed.add(key)) {
            registry.counter("spottrain.recoveries", kind).increment();
            summary("spottrain.recovery.detect", "From the interruption to its detection", kind).record(p.detectSeconds());
            summary("spottrain.recovery.resume", "From the interruption to the next generation running", kind).record(p.resumeSeconds());
            if (p.lostSteps() != null) registry.counter("spottrain.recovery.lost.steps", kind).increment(p.lostSteps());
        }
        if (p.backToTrainingSeconds() != null && trained.add(key)) {
            summary("spottrain.recovery.back.to.training", "From the interruption to the first step trained after it", kind)
                    .record(p.backToTrainingSeconds());
            if (p.pausedSeconds() != null) {
                summary("spottrain.recovery.paused", "Training time the interruption cost (from the last step before it to the first after)",
                        kind).record(p.pausedSeconds());
            }
        }
    }

    private DistributionSummary summary(String name, String description, Tags tags) {
        return DistributionSummary.builder(name).baseUnit("seconds").description(description).tags(tags)
                .serviceLevelObjectives(SECONDS_BUCKETS).register(registry);
    }

    @Override
    public void close() {
        gc.close();
    }
}
