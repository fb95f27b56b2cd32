package io.spottrain.launchers.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.CompatibleHeaders;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.RemoteTier;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.transfer.s3.S3TransferManager;

/**
 * {@code spottrain bench checkpoint}: one checkpoint of N MiB (a few shard files of random bytes),
 * each path side by side with its baseline in one run, on the same disk and the same embedded S3
 * server (S3Proxy, loopback), median of R repetitions:
 * <ul>
 *   <li>local tier: {@code CheckpointDir.write} (sha256, write, fsync, manifest commit) vs
 *       {@code dd bs=1M conv=fsync} of the same size;</li>
 *   <li>upload: {@code RemoteTier.upload} (all files at once through the transfer manager,
 *       integrity as configured, manifest, latest) vs the AWS SDK's {@code S3TransferManager} used
 *       directly on the same files, all at once, SDK defaults;</li>
 *   <li>download: {@code RemoteTier.download} (every file verified, local commit) vs the transfer
 *       manager's {@code downloadFile} of the same objects.</li>
 * </ul>
 */
public final class CheckpointBench {
    private CheckpointBench() {}

    public record Options(int mb, int files, int reps, Path dir, Consumer<String> say) {}

    /** Medians in milliseconds; ratios are baseline time / our time (>= 1: we are at least as fast). */
    public record Result(int mb, int files, int reps, double localMs, double ddMs, double uploadMs, double managerUploadMs,
            double downloadMs, double managerDownloadMs, String server) {
        public double localVsDd() {
            return ddMs / localMs;
        }

        public double uploadVsManager() {
            return managerUploadMs / uploadMs;
        }

        public double downloadVsManager() {
            return managerDownloadMs / downloadMs;
        }
    }

    public static Result run(Options o) throws Exception {
        Files.createDirectories(o.dir());
        var shards = shards(o.mb(), o.files());
        var local = new ArrayList<Double>();
        var dd = new ArrayList<Double>();
        var up = new ArrayList<Double>();
        var tmUp = new ArrayList<Double>();
        var down = new ArrayList<Double>();
        var tmDown = new ArrayList<Double>();
        try (EmbeddedS3 s3 = EmbeddedS3.start(o.dir().resolve("s3"));
                var store = new AwsS3ObjectStore(s3.settings("bench-ours"));
                var async = baselineClient(s3);
                var manager = S3TransferManager.builder().s3Client(async).build()) {
            store.ensureBucket();
            async.createBucket(b -> b.bucket("bench-sdk")).join();
            var tier = new RemoteTier(store, "bench");
            for (int r = 0; r < o.reps(); r++) {
                o.say().accept("repetition " + (r + 1) + " of " + o.reps());
                var dir = new CheckpointDir(o.dir().resolve("local-" + r));
                long t0 = System.nanoTime();
                var m = dir.write(r + 1, 1, 1, "bench", shards, Map.of(), Map.of());
                local.add(ms(t0));
                t0 = System.nanoTime();
                dd(o.dir().resolve("dd-" + r), o.mb());
                dd.add(ms(t0));

                t0 = System.nanoTime();
                tier.upload("job", dir, r + 1, Progress.NONE);
                up.add(ms(t0));
                int rep = r;
                t0 = System.nanoTime();
                var uploads = new ArrayList<CompletableFuture<?>>();
                for (var f : m.files()) {
                    Path src = dir.stepDir(r + 1).resolve(f.name());
                    uploads.add(manager.uploadFile(u -> u.putObjectRequest(p -> p.bucket("bench-sdk").key(rep + "/" + f.name()))
                            .source(src)).completionFuture());
                }
                CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new)).join();
                tmUp.add(ms(t0));

                var into = new CheckpointDir(o.dir().resolve("restored-" + r));
                t0 = System.nanoTime();
                tier.download("job", r + 1, into, Progress.NONE);
                down.add(ms(t0));
                Path plain = Files.createDirectories(o.dir().resolve("sdk-" + r));
                t0 = System.nanoTime();
                var downloads = new ArrayList<CompletableFuture<?>>();
                for (var f : m.files()) {
                    downloads.add(manager.downloadFile(d -> d.getObjectRequest(g -> g.bucket("bench-sdk").key(rep + "/" + f.name()))
                            .destination(plain.resolve(f.name()))).completionFuture());
                }
                CompletableFuture.allOf(downloads.toArray(CompletableFuture[]::new)).join();
                tmDown.add(ms(t0));
                for (String gone : List.of("local-" + r, "dd-" + r, "restored-" + r, "sdk-" + r)) deleteTree(o.dir().resolve(gone));
            }
            return new Result(o.mb(), o.files(), o.reps(), median(local), median(dd), median(up), median(tmUp), median(down),
                    median(tmDown), "S3Proxy (embedded, loopback)");
        } finally {
            deleteTree(o.dir().resolve("s3"));
        }
    }

    /** The baseline: the transfer manager on the async client with SDK defaults (8 MiB parts), as S3Proxy accepts it. */
    private static S3AsyncClient baselineClient(EmbeddedS3 s3) {
        return S3AsyncClient.builder().endpointOverride(s3.endpoint()).forcePathStyle(true).region(Region.US_EAST_1)
                .multipartEnabled(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new CompatibleHeaders()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .build();
    }

    /** {@code files} shard files of random bytes summing to {@code mb} MiB. */
    static Map<String, byte[]> shards(int mb, int files) {
        long total = (long) mb * 1024 * 1024;
        var random = new Random(7);
        var out = new LinkedHashMap<String, byte[]>();
        for (int i = 0; i < files; i++) {
            long from = total * i / files;
            long to = total * (i + 1) / files;
            byte[] b = new byte[(int) (to - from)];
            random.nextBytes(b);
            out.put("shard-" + i + ".bin", b);
        }
        return out;
    }

    private static void dd(Path to, int mb) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("dd", "if=/dev/zero", "of=" + to, "bs=1M", "count=" + mb, "conv=fsync").redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IOException("dd exited with " + p.exitValue());
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    static double median(List<Double> v) {
        var s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static void deleteTree(Path p) throws IOException {
        CheckpointDir.deleteTree(p);
    }

    public static String text(Result r) {
        var sb = new StringBuilder(String.format(Locale.ROOT, "checkpoint of %d MiB in %d files, median of %d, %s%n%n", r.mb(), r.files(),
                r.reps(), r.server()));
        sb.append(String.format(Locale.ROOT, "%-58s %9s %8s  %s%n", "", "ms", "MiB/s", "ratio"));
        row(sb, "local write (sha256, fsync, manifest)", r.localMs(), r.mb(), r.localVsDd(), "x dd");
        row(sb, "dd bs=1M conv=fsync", r.ddMs(), r.mb(), 1, "");
        row(sb, "upload: RemoteTier.upload", r.uploadMs(), r.mb(), r.uploadVsManager(), "x transfer manager");
        row(sb, "upload: S3TransferManager.uploadFile, files at once", r.managerUploadMs(), r.mb(), 1, "");
        row(sb, "download: RemoteTier.download (verified, committed)", r.downloadMs(), r.mb(), r.downloadVsManager(), "x transfer manager");
        row(sb, "download: S3TransferManager.downloadFile, files at once", r.managerDownloadMs(), r.mb(), 1, "");
        sb.append(String.format(Locale.ROOT, "%nratio = baseline time / ours (>= 1: ours is as fast or faster). Goals: local >= 0.8x dd, "
                + "upload and download >= 0.9x the transfer manager.%n"));
        return sb.toString();
    }

    private static void row(StringBuilder sb, String what, double ms, int mb, double ratio, String of) {
        sb.append(String.format(Locale.ROOT, "%-58s %9.0f %8.0f  %s%n", what, ms, mb / (ms / 1000),
                of.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f %s", ratio, of)));
    }

    public static String json(Result r) {
        ObjectNode n = Json.MAPPER.valueToTree(r);
        n.put("localVsDd", r.localVsDd()).put("uploadVsManager", r.uploadVsManager())
                .put("downloadVsManager", r.downloadVsManager());
        return n.toString();
    }
}
