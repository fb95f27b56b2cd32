package io.spottrain.checkpoint.bench;

import io.spottrain.checkpoint.Progress;
import io.spottrain.checkpoint.remote.AwsS3ObjectStore;
import io.spottrain.checkpoint.remote.EmbeddedS3;
import io.spottrain.checkpoint.remote.MinioObjectStore;
import io.spottrain.checkpoint.remote.ObjectStore;
import io.spottrain.protocol.checkpoint.CheckpointDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.transfer.s3.S3TransferManager;

/**
 * Benchmark of the checkpoint store (not part of the suite: the name does not end in Test).
 * Everything runs side by side in one invocation against the same disk and the same S3 server:
 * <ul>
 *   <li>local tier write (fsync + manifest) vs {@code dd ... conv=fsync} of the same size;</li>
 *   <li>the writer's stall (in-memory snapshot) vs the full persist time;</li>
 *   <li>upload: our AWS-SDK backend (parallel multipart) and the MinIO backend vs a plain AWS SDK
 *       transfer-manager upload.</li>
 * </ul>
 * <pre>mvn -B -q -pl checkpoint-store -am test -Dtest=StoreBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dbench.mb=64</pre>
 */
class StoreBenchmark {
    static final int MB = Integer.getInteger("bench.mb", 64);
    static final int REPS = Integer.getInteger("bench.reps", 5);

    @Test
    void run() throws Exception {
        Path tmp = Files.createTempDirectory("store-bench");
        byte[] data = new byte[MB * 1024 * 1024];
        new Random(7).nextBytes(data);
        var out = new StringBuilder(String.format(Locale.ROOT, "%n## StoreBenchmark: %d MiB, median of %d%n%n", MB, REPS));

        // local tier vs dd, and stall vs persist
        var write = new ArrayList<Double>();
        var dd = new ArrayList<Double>();
        var stall = new ArrayList<Double>();
        for (int r = 0; r < REPS; r++) {
            long t0 = System.nanoTime();
            byte[] snapshot = data.clone(); // what a trainer's snapshot costs
            stall.add((System.nanoTime() - t0) / 1e6);
            t0 = System.nanoTime();
            new CheckpointDir(tmp.resolve("local" + r)).write(1, 1, 1, "b", Map.of("w.bin", snapshot), Map.of(), Map.of());
            write.add((System.nanoTime() - t0) / 1e6);
            t0 = System.nanoTime();
            Process p = new ProcessBuilder("dd", "if=/dev/zero", "of=" + tmp.resolve("dd" + r), "bs=1M", "count=" + MB, "conv=fsync")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
            dd.add((System.nanoTime() - t0) / 1e6);
        }
        double w = median(write);
        double d = median(dd);
        out.append(String.format(Locale.ROOT, "| local write | ms | MB/s |%n| --- | --- | --- |%n"));
        out.append(String.format(Locale.ROOT, "| CheckpointDir.write (sha256, fsync, manifest) | %.0f | %.0f |%n", w, MB / (w / 1000)));
        out.append(String.format(Locale.ROOT, "| dd bs=1M conv=fsync (same disk) | %.0f | %.0f |%n", d, MB / (d / 1000)));
        out.append(String.format(Locale.ROOT, "ratio write/dd time: %.2f%n%n", w / d));
        out.append(String.format(Locale.ROOT, "stall (snapshot in memory) p50 %.1f ms vs persist p50 %.0f ms: stall/persist %.3f%n%n",
                median(stall), w, median(stall) / w));

        // uploads, same file, same server
        Path file = tmp.resolve("upload.bin");
        Files.write(file, data);
        try (EmbeddedS3 s3 = EmbeddedS3.start(tmp.resolve("s3"))) {
            var ours = new ArrayList<Double>();
            var minio = new ArrayList<Double>();
            var tm = new ArrayList<Double>();
            var single = new ArrayList<Double>();
            try (ObjectStore a = new AwsS3ObjectStore(s3.settings("bench-a"));
                    ObjectStore a1 = new AwsS3ObjectStore(s3.settings("bench-s").withPartSize((long) MB * 1024 * 1024));
                    ObjectStore m = new MinioObjectStore(s3.settings("bench-m"));
                    S3AsyncClient async = S3AsyncClient.builder().endpointOverride(s3.endpoint()).forcePathStyle(true)
                            // S3Proxy answers 501 to the SDK's Java multipart path (it adds checksum headers S3Proxy does not
                            // implement), so the baseline is the transfer manager's single-request upload
                            .region(Region.US_EAST_1).multipartEnabled(false)
                            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                            .build();
                    S3TransferManager manager = S3TransferManager.builder().s3Client(async).build()) {
                a.ensureBucket();
                a1.ensureBucket();
                m.ensureBucket();
                async.createBucket(b -> b.bucket("bench-t")).join();
                for (int r = 0; r < REPS; r++) {
                    long t0 = System.nanoTime();
                    a.putFile("k" + r, file, Progress.NONE);
                    ours.add((System.nanoTime() - t0) / 1e6);
                    t0 = System.nanoTime();
                    a1.putFile("k" + r, file, Progress.NONE);
                    single.add((System.nanoTime() - t0) / 1e6);
                    t0 = System.nanoTime();
                    m.putFile("k" + r, file, Progress.NONE);
                    minio.add((System.nanoTime() - t0) / 1e6);
                    int rr = r;
                    t0 = System.nanoTime();
                    manager.uploadFile(u -> u.putObjectRequest(p -> p.bucket("bench-t").key("k" + rr)).source(file)).completionFuture().join();
                    tm.add((System.nanoTime() - t0) / 1e6);
                }
            }
            double o = median(ours);
            double t = median(tm);
            out.append(String.format(Locale.ROOT, "| upload to S3Proxy (loopback) | ms | MB/s | vs transfer manager |%n| --- | --- | --- | --- |%n"));
            out.append(String.format(Locale.ROOT, "| AwsS3ObjectStore (8 MiB parts x4, Content-MD5, size check) | %.0f | %.0f | %.2f |%n", o, MB / (o / 1000), t / o));
            double sg = median(single);
            out.append(String.format(Locale.ROOT, "| AwsS3ObjectStore, one request (part size >= file) | %.0f | %.0f | %.2f |%n", sg, MB / (sg / 1000), t / sg));
            double mi = median(minio);
            out.append(String.format(Locale.ROOT, "| MinioObjectStore (client multipart) | %.0f | %.0f | %.2f |%n", mi, MB / (mi / 1000), t / mi));
            out.append(String.format(Locale.ROOT, "| AWS SDK S3TransferManager, single request (baseline) | %.0f | %.0f | 1.00 |%n", t, MB / (t / 1000)));
        }
        System.out.println(out);
    }

    static double median(List<Double> v) {
        var s = v.stream().sorted().toList();
        return s.get(s.size() / 2);
    }
}
