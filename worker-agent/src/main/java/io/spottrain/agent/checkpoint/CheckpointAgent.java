package io.spottrain.agent.checkpoint;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.local.LocalTier;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.MinioObjectStore;
import io.spottrain.checkpoint.remote.ObjectStore;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.checkpoint.remote.RequestCounts;
import io.spottrain.checkpoint.reshard.Resharder;
import io.spottrain.checkpoint.restore.CheckpointSource;
import io.spottrain.checkpoint.restore.PeerSource;
import io.spottrain.checkpoint.restore.PeerTierServer;
import io.spottrain.checkpoint.restore.RemoteSource;
import io.spottrain.checkpoint.restore.Restorer;
import io.spottrain.checkpoint.upload.AsyncUploader;
import io.spottrain.checkpoint.upload.UploaderSettings;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.checkpoint.CheckpointException;
import io.spottrain.protocol.checkpoint.CheckpointTier;
import io.spottrain.protocol.checkpoint.ManifestFile;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's part of tiered checkpoints: serves this node's local tier to peers, uploads what
 * rank 0 commits to the remote tier in the background (replicated data-parallel checkpoints are
 * the same on every rank: one upload is enough), applies retention per tier without ever deleting
 * a step that is not yet remote, and restores a step into the local tier before a rank starts.
 */
public final class CheckpointAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CheckpointAgent.class);

    /** Where upload results go (the agent forwards them to the job manager). */
    public interface Reports {
        /**
         * A step is committed to the remote tier. {@code requests}: the S3 requests this node made to that tier since its last
         * upload report (the upload's, the retention after the one before, a restore's reads), for the cost ledger.
         */
        void uploaded(String job, long step, long bytes, long millis, int attempts, AsyncUploader.Backlog backlog, RequestCounts requests);

        /** Retention ran on a tier: what it still holds of the job (newest first). */
        void retained(String job, CheckpointTier tier, List<Long> kept);
    }

    private final Path workDir;
    private final RemoteSettings remote;
    private final PeerTierServer server;
    private final Map<String, Remote> remotes = new ConcurrentHashMap<>();
    /** The S3 requests of every remote tier's store at the last {@link #takeRequests}. */
    private RequestCounts requestsTaken = RequestCounts.NONE;
    private final Map<String, Set<Long>> uploaded = new ConcurrentHashMap<>();

    private record Remote(ObjectStore store, RemoteTier tier, AsyncUploader uploader) {}

    private final SSLContext tls;
    /** One client for every peer fetch of this agent (connections and TLS sessions reused). */
    private final HttpClient peerClient;

    /**
     * @param tls this node's identity in the cluster (serves the local tier over HTTPS to holders of
     *            a cluster certificate only, and fetches from peers with it); null: plain HTTP (tests)
     */
    public CheckpointAgent(Path workDir, RemoteSettings remote, String host, int peerPort, SSLContext tls) throws IOException {
        this.workDir = workDir;
        this.remote = remote;
        this.tls = tls;
        this.peerClient = PeerSource.client(tls);
        // only jobs this node holds a tier of: a request naming another job is 404 and creates nothing
        this.server = new PeerTierServer(host, peerPort,
                job -> Files.isDirectory(workDir.resolve("checkpoints").resolve(job)) ? tier(job).dir() : null, tls);
        // the S3 client takes seconds to build on a busy node: build the default one now, off the
        // agent's actor, so that the first checkpoint (often an emergency one) does not wait for it
        if (remote.uriFor(null) != null) {
            background.execute(() -> {
                try {
                    remoteFor(null);
                } catch (RuntimeException e) {
                    log.warn("remote tier not ready: {}", e.getMessage());
                }
            });
        }
    }

    /** Bookkeeping after a commit (upload queueing, retention) runs here, in commit order, off the caller's thread. */
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "checkpoint-agent");
        t.setDaemon(true);
        return t;
    });

    public String peerUrl() {
        return server.url();
    }

    private final Map<String, LocalTier> tiers = new ConcurrentHashMap<>();

    /** The job's local tier on this node: one instance per job, so pins are seen by retention. */
    public LocalTier tier(String job) {
        return tiers.computeIfAbsent(job, j -> new LocalTier(workDir.resolve("checkpoints").resolve(j)));
    }

    /**
     * A rank committed {@code step} to this node's local tier. Rank 0 queues it for upload; every
     * rank applies local retention (keep the newest {@code keep}; steps waiting for upload stay).
     */
    public void committed(String job, int rank, long step, int keep, String jobRemote, Reports reports) {
        background.execute(() -> {
            try {
                commit(job, rank, step, keep, jobRemote, reports);
            } catch (RuntimeException e) {
                log.warn("job {}: step {} bookkeeping failed: {}", job, step, e.toString());
            }
        });
    }

    private void commit(String job, int rank, long step, int keep, String jobRemote, Reports reports) {
        LocalTier tier = tier(job);
        Remote r = remoteFor(jobRemote);
        reportsByJob.put(job, reports);
        if (r != null && rank == 0) {
            uploaded.computeIfAbsent(job, j -> ConcurrentHashMap.newKeySet());
            if (!r.uploader().submit(job, tier.dir(), step)) {
                log.warn("upload queue full: step {} of {} stays local until it drains", step, job);
            }
            keepByJob.put(job, keep);
        }
        retainLocal(job, rank, keep, r != null && rank == 0);
    }

    private final Map<String, Reports> reportsByJob = new ConcurrentHashMap<>();
    private final Map<String, Integer> keepByJob = new ConcurrentHashMap<>();

    private void retainLocal(String job, int rank, int keep, boolean uploader) {
        try {
            Set<Long> up = uploaded.getOrDefault(job, Set.of());
            List<Long> deleted = tier(job).retain(keep, step -> !uploader || up.contains(step));
            if (!deleted.isEmpty()) {
                log.info("job {}: local retention removed steps {}", job, deleted);
                Reports r = reportsByJob.get(job);
                if (r != null) r.retained(job, CheckpointTier.LOCAL, tier(job).dir().committedSteps());
            }
        } catch (IOException e) {
            log.warn("job {}: local retention failed: {}", job, e.getMessage());
        }
    }

    /**
     * Warms the peer client for {@code job}'s peers (a staged newcomer's, before its re-form): one
     * small request to each, so the re-form's fetch finds the client's classes loaded, its TLS
     * sessions and connections open, instead of paying a cold start (0.7 s measured on this
     * machine for a few-KB step) while the job waits. Best effort, on a thread of its own.
     */
    public void warmPeers(String job, Collection<String> peerUrls) {
        if (peerUrls.isEmpty()) return;
        var urls = List.copyOf(peerUrls);
        Thread t = new Thread(() -> { // its own thread: a peer that hangs must not hold up commits or restores
            for (String url : urls) new PeerSource(url, url, peerClient, null).steps(job); // a dead peer just answers nothing
        }, "peer-warmup");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Brings {@code step} into the local tier, verified: from here, a peer, or the remote tier.
     * {@code peers} maps each peer's URL to the manifest digest the coordinator recorded for the
     * step on that node: a peer's copy is taken only if its manifest has that digest (and each file
     * the manifest's hash). Returns where it came from; throws naming why it is complete nowhere.
     */
    public Restorer.Restored restore(String job, long step, Map<String, String> peers, String jobRemote) throws IOException {
        return restore(job, step, peers, jobRemote, 0);
    }

    /**
     * As above; when {@code worldSize} > 0 and the step holds rank-sharded files written by another
     * world size, they are regrouped for {@code worldSize} ranks in the local tier (replicated files
     * unchanged) before the rank starts.
     */
    public Restorer.Restored restore(String job, long step, Map<String, String> peers, String jobRemote, int worldSize) throws IOException {
        var sources = new ArrayList<CheckpointSource>();
        for (var p : new TreeMap<>(peers).entrySet()) sources.add(new PeerSource(p.getKey(), p.getKey(), peerClient, p.getValue()));
        String uri = remote.uriFor(jobRemote);
        if (uri != null) sources.add(new RemoteSource(() -> remoteFor(jobRemote).tier(), uri));
        Restorer.Restored result;
        // pinned from now until the rank that resumes from it has read it (released by release(job))
        AutoCloseable pin = tier(job).pin(step);
        resumePins.merge(job, pin, (old, neu) -> {
            closeQuietly(old);
            return neu;
        });
        result = new Restorer(tier(job).dir(), sources).restoreStep(job, step, Progress.NONE);
        if (!result.found()) {
            throw new IOException("checkpoint step " + step + " of " + job + " is complete nowhere"
                    + (result.skipped().isEmpty() ? " (no tier has it)" : ": " + String.join("; ", result.skipped())));
        }
        if (worldSize > 0) reshardIfNeeded(job, step, worldSize);
        return result;
    }

    private void reshardIfNeeded(String job, long step, int worldSize) throws IOException {
        var dir = tier(job).dir();
        try {
            var m = dir.verify(step);
            if (m.worldSize() == worldSize || m.files().stream().noneMatch(ManifestFile::sharded)) return;
            var resharded = Resharder.reshard(dir, step, worldSize);
            Path staging = workDir.resolve("checkpoints").resolve(".reshard-" + job);
            var tmp = new CheckpointDir(staging);
            resharded.writeTo(tmp, worldSize, m.generation());
            Path target = dir.stepDir(step);
            Path old = dir.root().resolve(".resharded-from-" + m.worldSize() + "-step-" + step);
            Files.move(target, old);
            Files.move(tmp.stepDir(step), target);
            CheckpointDir.deleteTree(old);
            CheckpointDir.deleteTree(staging);
            log.info("job {} step {}: resharded from world size {} to {}", job, step, m.worldSize(), worldSize);
        } catch (CheckpointException e) {
            throw new IOException("cannot reshard step " + step + " of " + job + " to world size " + worldSize + ": " + e.getMessage(), e);
        }
    }

    private final Map<String, AutoCloseable> resumePins = new ConcurrentHashMap<>();

    /** The job's rank on this node ended: the step it resumed from may now be retained away. */
    public void release(String job) {
        AutoCloseable pin = resumePins.remove(job);
        if (pin != null) closeQuietly(pin);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // a pin's close cannot fail
        }
    }

    /**
     * The S3 requests this node made to every remote tier since the last call (each is reported once, with an upload or in
     * the agent's own report; a node runs one job at a time, whose they are).
     */
    public synchronized RequestCounts takeRequests() {
        long put = 0;
        long get = 0;
        for (Remote r : remotes.values()) {
            var c = r.store().requests();
            put += c.put();
            get += c.get();
        }
        var now = new RequestCounts(put, get);
        var since = now.minus(requestsTaken);
        requestsTaken = now;
        return since;
    }

    /** The remote tier of a job's {@code spec.checkpoint.remote} (null: this node's default); empty when it has none. */
    public Optional<RemoteTier> remoteTier(String jobRemote) {
        Remote r = remoteFor(jobRemote);
        return r == null ? Optional.empty() : Optional.of(r.tier());
    }

    private Remote remoteFor(String jobRemote) {
        String uri = remote.uriFor(jobRemote);
        if (uri == null) return null;
        return remotes.computeIfAbsent(uri, u -> {
            String[] bp = RemoteSettings.parse(u);
            ObjectStore store = remote.backend().equals("minio") ? new MinioObjectStore(remote.s3(bp[0]))
                    : new AwsS3ObjectStore(remote.s3(bp[0]));
            try {
                store.ensureBucket();
            } catch (IOException e) {
                log.warn("remote tier {} not reachable yet ({}); uploads will retry", store.describe(), e.getMessage());
            }
            RemoteTier tier = new RemoteTier(store, bp[1]);
            var settings = UploaderSettings.defaults().withBytesPerSecond(remote.bytesPerSecond());
            AsyncUploader uploader = new AsyncUploader(tier, settings, new AsyncUploader.Listener() {
                @Override
                public void uploaded(String job, long step, long bytes, long millis, int attempts) {
                    uploaded.computeIfAbsent(job, j -> ConcurrentHashMap.newKeySet()).add(step);
                    int keep = keepByJob.getOrDefault(job, 3);
                    Reports r = reportsByJob.get(job);
                    if (r != null) r.uploaded(job, step, bytes, millis, attempts, remotes.get(u).uploader().backlog(), takeRequests());
                    try {
                        var retention = tier.retain(job, keep, tier(job).pinned());
                        if (!retention.deleted().isEmpty()) {
                            log.info("job {}: remote retention removed steps {}, kept {}", job, retention.deleted(), retention.kept());
                        }
                        // after every upload, not only when something went: the newest report is the whole truth
                        if (r != null) r.retained(job, CheckpointTier.REMOTE, retention.kept());
                    } catch (IOException | RuntimeException e) {
                        log.warn("job {}: remote retention failed: {}", job, e.toString());
                    }
                    retainLocal(job, 0, keep, true);
                }
            });
            log.info("remote tier for {}: {}", u, store.describe());
            return new Remote(store, tier, uploader);
        });
    }

    /** Waits (bounded) for pending uploads; true when none is left. */
    public boolean drain(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        try {
            background.submit(() -> { }).get(millis, TimeUnit.MILLISECONDS); // commits queued before this call
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
        for (Remote r : remotes.values()) {
            if (!r.uploader().awaitIdle(Math.max(0, deadline - System.currentTimeMillis()))) return false;
        }
        return true;
    }

    @Override
    public void close() {
        background.shutdown();
        try {
            background.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        remotes.values().forEach(r -> {
            r.uploader().close();
            r.store().close();
        });
    }

    /**
     * The digest of the manifest a rank committed for {@code step} in the local tier {@code tier}
     * (what peers restoring from this node are checked against), or null when it cannot be read:
     * then no peer will be asked for this node's copy.
     */
    public String manifestDigest(Path tier, long step) {
        try {
            return new CheckpointDir(tier).manifest(step).digest();
        } catch (CheckpointException | RuntimeException e) {
            log.warn("cannot read the manifest of step {} in {}: {}", step, tier, e.getMessage());
            return null;
        }
    }
}
