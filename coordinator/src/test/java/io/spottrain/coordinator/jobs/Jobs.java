package io.spottrain.coordinator.jobs;

import io.spottrain.protocol.spec.JobSpec;
import io.spottrain.protocol.spec.JobSpecParser;
import io.spottrain.protocol.spec.NodeMarket;
import io.spottrain.protocol.spec.ScaleUp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.UnaryOperator;

/** Job fixtures that read as prose: {@code aJob().world(3).running().attachedAll()}. */
final class Jobs {
    static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private Job job;
    private int min = 1;
    private int max = 4;
    private int maxRestarts = 3;
    private ScaleUp scaleUp = ScaleUp.AUTO;

    private Jobs() {}

    static Jobs aJob() {
        return new Jobs();
    }

    static JobSpec spec(int min, int max, int maxRestarts) {
        return parse("""
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: j}
                spec: {workers: {min: %d, max: %d, gpusPerWorker: 0}, command: [x], maxRestarts: %d}
                """.formatted(min, max, maxRestarts));
    }

    static JobSpec parse(String yaml) {
        try {
            return JobSpecParser.parse(yaml);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Jobs workers(int min, int max) {
        this.min = min;
        this.max = max;
        return this;
    }

    Jobs scaleUp(ScaleUp s) {
        this.scaleUp = s;
        return this;
    }

    Jobs maxRestarts(int n) {
        this.maxRestarts = n;
        return this;
    }

    /** PENDING, nothing placed. */
    Job pending() {
        var base = spec(min, max, maxRestarts);
        var sp = base.spec();
        var spec = new JobSpec(base.apiVersion(), base.kind(), base.metadata(), new JobSpec.Spec(sp.workers(), sp.command(), sp.args(),
                sp.env(), sp.workingDir(), sp.placement(), sp.checkpoint(), sp.priority(), sp.maxRestarts(),
                new JobSpec.Elastic(0, scaleUp), sp.secrets()));
        return Job.submitted("j-1", spec, T0);
    }

    /** Generation 1 forming on node1..nodeN (nothing started yet). */
    Jobs forming(int world) {
        var ms = new ArrayList<Member>();
        for (int r = 0; r < world; r++) ms.add(Member.assigned(r, "node" + (r + 1), NodeMarket.SPOT, 0.42, 1.0));
        job = pending().startGeneration(ms, T0.plusSeconds(1)).withRendezvous("127.0.0.1", 29500);
        return this;
    }

    /** Generation 1 on node1..nodeN, every rank started and said hello, RUNNING. */
    Jobs running(int world) {
        forming(world);
        for (int r = 0; r < world; r++) {
            int rank = r;
            job = job.withMember(rank, m -> m.started(1000 + rank, "log" + rank)).withElastic(e -> e.attach(rank));
        }
        job = job.transition(JobState.RUNNING, "all running", T0.plusSeconds(2));
        return this;
    }

    Jobs notAttached(int rank) {
        var attached = new HashSet<>(job.elastic().attached());
        attached.remove(rank);
        job = job.withElastic(e -> new Elastic(attached, e.stalls(), e.firstStallAt(), e.recovery(), e.resumeStep(), e.preemptions(),
                e.restarts()));
        return this;
    }

    /** As if an earlier generation left {@code step} to resume from (generation 2). */
    Jobs resumedFrom(long step) {
        job = job.copy(c -> {
            c.generation = 2;
            c.elastic = new Elastic(c.elastic.attached(), c.elastic.stalls(), null, null, step, List.of(), c.elastic.restarts());
        });
        return this;
    }

    Jobs restartsUsed(int n) {
        job = job.withElastic(e -> new Elastic(e.attached(), e.stalls(), e.firstStallAt(), e.recovery(), e.resumeStep(), e.preemptions(), n));
        return this;
    }

    Jobs stalled(int rank, long step) {
        job = job.withElastic(e -> e.stalled(rank, step, T0.plusSeconds(10)));
        return this;
    }

    Jobs exited(int rank, int code) {
        job = job.withMember(rank, m -> m.exited(code));
        return this;
    }

    Jobs step(long s) {
        job = job.withTraining(t -> t.progress(s, 1.0, 10, 0));
        return this;
    }

    Jobs committed(long step, int... ranks) {
        for (int r : ranks) job = job.withTraining(t -> t.committed(step, job.generation(), r, "node" + (r + 1), 100, 1, 2, "digest" + r));
        return this;
    }

    /** RECOVERING from {@code kind} on {@code node}, as the policy would begin it. */
    Jobs recovering(RecoveryKind kind, String node) {
        var rec = Recovery.begin(kind, node, ElasticPolicy.survivors(job, kind, node), T0.plusSeconds(20).toString(), 1.2,
                job.training().step());
        job = job.withElastic(e -> e.withRecovery(rec)).transition(JobState.RECOVERING, "test", T0.plusSeconds(20));
        return this;
    }

    Jobs recovery(UnaryOperator<Recovery> change) {
        job = job.withElastic(e -> e.withRecovery(change.apply(e.recovery())));
        return this;
    }

    /** The generation closed (RECOVERING, no recovery: waiting for nodes). */
    Jobs closed() {
        job = job.withElastic(e -> e.nextGeneration(100, List.of(), null));
        return this;
    }

    Job build() {
        return job;
    }
}
