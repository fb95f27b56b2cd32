package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.wire.AgentProtocol;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.Behavior;

/**
 * What a {@link JobMaster}'s ranks report in any live state: progress, hello, stalls, committed
 * checkpoints and uploads (the catalog, staged for the store with the next write), final hashes.
 */
final class JobTraining {
    private final JobHandlers h;
    private final CheckpointWindows windows;
    /** The newest series slot written per ring ({@link ProgressSeries}); after a hand-over the current slot is written again. */
    private final long[] seriesWritten = {-1, -1};
    /** Rank 0's newest report, and the newest of an earlier generation (what {@link TrainingPause} measures from); in memory. */
    private Report last;
    private Report before;

    private record Report(long generation, Instant at, long step, double stepsPerSec) {}

    JobTraining(JobHandlers h) {
        this.h = h;
        this.windows = new CheckpointWindows(h.metrics());
    }

    Behavior<JobMaster.Command> onProgress(AgentProtocol.RankProgress p) {
        if (!h.current(p) || p.rank() != 0) return h.unchanged();
        Job job = h.job();
        Job next = job.withTraining(t -> t.progress(p.step(), p.loss(), p.samplesPerSec(), p.samples())
                .withPace(t.pace().observe(p.generation(), job.worldSize(), p.step(), p.totalSteps(), h.now())));
        if (next.state() == JobState.RUNNING && p.step() > next.elastic().resumeStep() && next.elastic().awaitsTraining()) {
            double rate = next.training().pace().stepsPerSec();
            double lag = rate > 0 ? (p.step() - next.elastic().resumeStep() - 1) / rate : 0;
            Report from = last != null && last.generation() < p.generation() ? last : before;
            long resume = next.elastic().resumeStep();
            Double paused = from == null ? null
                    : TrainingPause.seconds(from.at(), from.step(), from.stepsPerSec(), resume, h.now(), p.step(), rate);
            next = next.withElastic(e -> e.trained(h.now(), lag, paused));
        }
        if (last != null && last.generation() < p.generation()) before = last;
        double rate = next.training().pace().stepsPerSec();
        last = new Report(p.generation(), h.now(), p.step(), rate > 0 ? rate : last == null ? 0 : last.stepsPerSec());
        for (var put : ProgressSeries.due(next, h.now(), seriesWritten)) h.outbox.stageWithProgress(put);
        return h.done(next);
    }

    Behavior<JobMaster.Command> onAttached(AgentProtocol.RankAttached a) {
        if (!h.current(a)) return h.unchanged();
        h.staging.attached(a);
        boolean was = ElasticPolicy.recoverable(h.job());
        h.done(h.job().withElastic(e -> e.attach(a.rank())));
        if (!was && ElasticPolicy.recoverable(h.job()) && h.job().state() == JobState.RUNNING) {
            var acted = h.notices.actOnHeldNotices(); // a notice that came before every rank had attached
            if (acted != null) return acted; // decided (a recovery, or a notice window that a growth now would cut short)
        }
        if (!was && ElasticPolicy.recoverable(h.job()) && h.job().state() == JobState.RUNNING
                && h.job().worldSize() < h.job().targetWorkers()) {
            // an offer of free nodes made before every rank was attached was ignored, and nothing else may offer them again
            h.deps.manager().tell(new JobManager.OfferCapacity(null));
        }
        return h.staging.maybeGrow(); // newcomers staged for a growth wait for every rank to be attached
    }

    Behavior<JobMaster.Command> onDone(AgentProtocol.RankDone d) {
        if (!h.current(d)) return h.unchanged();
        return h.done(h.job().withTraining(t -> t.done(d.rank(), d.step(), d.loss(), d.paramsSha256()))
                .withEvent(JobEventType.RANK_DONE, d.nodeId(), d.rank(), "step " + d.step() + " params-sha256 " + d.paramsSha256(), h.now()));
    }

    Behavior<JobMaster.Command> onStalled(AgentProtocol.RankStalled s) {
        if (!h.current(s)) return h.unchanged();
        Job next = h.job().withEvent(JobEventType.RANK_STALLED, s.nodeId(), s.rank(), "stalled at step " + s.step() + ": " + s.reason(), h.now())
                .withElastic(e -> e.stalled(s.rank(), s.step(), h.now()));
        if (next.state() == JobState.RUNNING) return h.recoveries.afterStall(next);
        if (next.state() == JobState.RECOVERING) {
            // a rank that stalled at or past a collective's agreed step is asked for it (unless the recovery becomes a loss)
            boolean ask = ElasticPolicy.outOfReach(next).isEmpty() && ElasticPolicy.owed(next).contains(s.rank());
            return h.recoveries.agree(ask ? h.recoveries.askOwed(next, List.of(s.rank())) : next);
        }
        return h.done(next);
    }

    Behavior<JobMaster.Command> onCheckpointReported(AgentProtocol.CheckpointReported c) {
        if (!h.current(c)) return h.unchanged();
        Job next = h.job().withTraining(t -> t.committed(c.step(), c.generation(), c.rank(), c.nodeId(), c.bytes(), c.stallMs(), c.persistMs(),
                c.manifestDigest()));
        if (c.dir() != null) windows.checkpoint(c.nodeId(), c.jobId(), c.stallMs(), c.persistMs()); // (a replayed report has no times)
        next = stageCatalog(next, c.step());
        return next.state() == JobState.RECOVERING ? h.recoveries.onCheckpoint(next, c) : h.done(next);
    }

    /** Uploads finish after a generation (or the job) may have ended: recorded for any generation up to the current one. */
    Behavior<JobMaster.Command> onUploaded(AgentProtocol.CheckpointUploaded u) {
        if (u.generation() > h.job().generation()) return h.unchanged();
        if (u.putRequests() > 0 || u.getRequests() > 0) { // the cost ledger's: they were made, whatever the job's state
            h.deps.ledger().tell(new JobManager.JobRequests(u.jobId(), u.putRequests(), u.getRequests()));
        }
        Job next = h.job().withTraining(t -> t.uploaded(u.step(), u.generation(), u.bytes(), u.millis(), u.backlogSteps(), u.backlogBytes()));
        windows.upload(u.millis());
        return h.done(stageCatalog(next, u.step()));
    }

    /** A node's S3 requests for this job (any generation, whatever the job's state): the cost ledger's. */
    Behavior<JobMaster.Command> onRequests(AgentProtocol.S3Requests r) {
        if (r.putRequests() > 0 || r.getRequests() > 0) h.deps.ledger().tell(new JobManager.JobRequests(r.jobId(), r.putRequests(), r.getRequests()));
        return h.unchanged();
    }

    /** A tier's retention ran: the catalog stops listing what it removed (any generation up to the current one). */
    Behavior<JobMaster.Command> onRetained(AgentProtocol.CheckpointsRetained r) {
        if (r.generation() > h.job().generation()) return h.unchanged();
        return h.done(h.job().withTraining(t -> t.retained(r.tier(), r.nodeId(), r.kept())));
    }

    private Job stageCatalog(Job next, long step) {
        // a window is empty after a hand-over until new reports come: the stored medians stay until then
        Job j = next.withTraining(t -> t.withP50s(or(windows.stallP50(), t.checkpoints().stallMsP50()),
                or(windows.persistP50(), t.checkpoints().persistMsP50()), or(windows.uploadP50(), t.checkpoints().uploadMsP50())));
        j.training().entry(step).ifPresent(e -> h.outbox.stage(new StateStore.Put(Table.CHECKPOINTS, Table.seqKey(j.id(), e.seq()),
                Json.write(e))));
        return j;
    }

    private static Double or(Double a, Double b) {
        return a != null ? a : b;
    }
}
