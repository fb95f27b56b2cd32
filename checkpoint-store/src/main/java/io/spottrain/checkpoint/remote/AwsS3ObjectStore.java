package io.spottrain.checkpoint.remote;

import io.spottrain.checkpoint.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.transfer.s3.S3TransferManager;
import software.amazon.awssdk.transfer.s3.model.DownloadFileRequest;
import software.amazon.awssdk.transfer.s3.model.UploadFileRequest;
import software.amazon.awssdk.transfer.s3.progress.TransferListener;

/**
 * {@link ObjectStore} on the AWS SDK v2's {@link S3TransferManager} over the async S3 client
 * (Java multipart, Netty HTTP): files stream from and to disk, above {@code partSize} in parts of
 * that size (two parts read ahead per file), several files at once; {@code parallelism} sizes the
 * connection pool (8 connections each, at least 16).
 *
 * <p>Integrity, one pass: a file that fits one request carries the manifest's SHA-256 as its S3
 * checksum ({@code x-amz-checksum-sha256}), so S3 or MinIO reject it unless the bytes they got
 * hash to what the checkpoint's manifest says; a multipart file carries a CRC32C per part the SDK
 * computes as it streams. Servers that accept no checksum headers ({@code checksumsWhenRequired},
 * S3Proxy) get none (see {@link CompatibleHeaders}); there, as everywhere, a restore verifies
 * every file's SHA-256 against the manifest. No Content-MD5, no HEAD per object.
 */
public final class AwsS3ObjectStore implements ObjectStore {
    private final S3Settings settings;
    private final S3AsyncClient s3;
    private final S3TransferManager transfers;
    private final boolean serverChecksums;
    private final SdkEventLoopGroup eventLoops;
    private volatile Boolean conditional;
    private final RequestCounter requests = new RequestCounter();

    public AwsS3ObjectStore(S3Settings settings) {
        this.settings = settings;
        this.serverChecksums = !settings.checksumsWhenRequired();
        // our own event loops, shut down without Netty's 2 s quiet period (the client's own would make every close take 2 s)
        this.eventLoops = SdkEventLoopGroup.builder().numberOfThreads(Math.min(4, Runtime.getRuntime().availableProcessors())).build();
        var b = S3AsyncClient.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .eventLoopGroup(eventLoops)
                        .maxConcurrency(Math.max(16, settings.parallelism() * 8))
                        .connectionTimeout(Duration.ofSeconds(5))
                        .readTimeout(Duration.ofSeconds(60))
                        .writeTimeout(Duration.ofSeconds(60)))
                .multipartEnabled(true)
                .multipartConfiguration(m -> m.thresholdInBytes(settings.partSize()).minimumPartSizeInBytes(settings.partSize())
                        .apiCallBufferSizeInBytes(settings.partSize() * 2)) // read-ahead per file: agents run in small heaps
                .overrideConfiguration(c -> {
                    // A few quick SDK attempts: a pooled connection the server closed under a request ("connection was closed during
                    // the request") is retried at once (S3 calls are idempotent); outages longer than that are the uploader's to wait out.
                    c.retryStrategy(r -> r.maxAttempts(3));
                    if (!serverChecksums) c.addExecutionInterceptor(new CompatibleHeaders());
                    c.addExecutionInterceptor(requests); // what the remote tier costs in requests (the cost ledger)
                });
        if (settings.endpoint() != null) b.endpointOverride(settings.endpoint());
        if (settings.accessKey() != null) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
        }
        if (!serverChecksums) {
            b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        this.s3 = b.build();
        this.transfers = S3TransferManager.builder().s3Client(s3).build();
    }

    @Override
    public RequestCounts requests() {
        return requests.counts();
    }

    @Override
    public String describe() {
        return "aws-sdk s3://" + settings.bucket() + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
    }

    @Override
    public void ensureBucket() throws IOException {
        try {
            await(s3.headBucket(r -> r.bucket(settings.bucket())));
        } catch (IOException e) {
            if (!(e.getCause() instanceof S3Exception se) || se.statusCode() != 404) throw e;
            await(s3.createBucket(r -> r.bucket(settings.bucket())));
        }
    }

    @Override
    public void putFile(String key, Path file, String sha256, Progress progress) throws IOException {
        await(putFileAsync(key, file, sha256, progress));
    }

    @Override
    public CompletableFuture<Void> putFileAsync(String key, Path file, String sha256, Progress progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        var put = PutObjectRequest.builder().bucket(settings.bucket()).key(key);
        if (serverChecksums) {
            if (size <= settings.partSize() && sha256 != null) put.checksumSHA256(base64(sha256)); // the manifest's hash, checked by S3
            else put.checksumAlgorithm(ChecksumAlgorithm.CRC32_C); // per part, computed as the file streams
        }
        var request = UploadFileRequest.builder().putObjectRequest(put.build()).source(file).addTransferListener(listener(progress, size));
        return transfers.uploadFile(request.build()).completionFuture().thenApply(done -> null);
    }

    @Override
    public boolean serverChecksSha256(long size) {
        return serverChecksums && size <= settings.partSize();
    }

    @Override
    public boolean putBytes(String key, byte[] data, boolean ifAbsent) throws IOException {
        boolean cas = ifAbsent && conditionalWrites();
        try {
            await(s3.putObject(r -> {
                r.bucket(settings.bucket()).key(key);
                if (serverChecksums) r.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
                if (cas) r.ifNoneMatch("*");
            }, AsyncRequestBody.fromBytes(data)));
            return true;
        } catch (IOException e) {
            if (e.getCause() instanceof S3Exception se && se.statusCode() == 412) return false;
            throw e;
        }
    }

    @Override
    public Optional<byte[]> getBytes(String key) throws IOException {
        try {
            return Optional.of(await(s3.getObject(r -> r.bucket(settings.bucket()).key(key), AsyncResponseTransformer.toBytes()))
                    .asByteArray());
        } catch (IOException e) {
            if (notFound(e)) return Optional.empty();
            throw e;
        }
    }

    @Override
    public void getFile(String key, Path dest, Progress progress) throws IOException {
        await(getFileAsync(key, dest, progress));
    }

    /** Streams the object to {@code <dest>.part}, renamed to {@code dest} once complete. */
    @Override
    public CompletableFuture<Void> getFileAsync(String key, Path dest, Progress progress) {
        Path tmp = dest.resolveSibling(dest.getFileName() + ".part");
        var request = DownloadFileRequest.builder().getObjectRequest(g -> g.bucket(settings.bucket()).key(key)).destination(tmp)
                .addTransferListener(listener(progress, -1)).build();
        return transfers.downloadFile(request).completionFuture().thenApply(done -> {
            try {
                Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return null;
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    @Override
    public Optional<Long> size(String key) throws IOException {
        try {
            return Optional.of(await(s3.headObject(r -> r.bucket(settings.bucket()).key(key))).contentLength());
        } catch (IOException e) {
            if (notFound(e)) return Optional.empty();
            throw e;
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        var keys = new ArrayList<String>();
        await(s3.listObjectsV2Paginator(r -> r.bucket(settings.bucket()).prefix(prefix)).contents().subscribe((S3Object o) -> {
            if (!o.key().endsWith("/")) keys.add(o.key()); // no directory markers
        }));
        return keys.stream().sorted().toList();
    }

    @Override
    public void delete(String key) throws IOException {
        await(s3.deleteObject(r -> r.bucket(settings.bucket()).key(key)));
    }

    @Override
    public boolean conditionalWrites() {
        if (conditional == null) {
            synchronized (this) {
                if (conditional == null) conditional = probeConditional();
            }
        }
        return conditional;
    }

    /** Writes a probe twice with If-None-Match: *; a server that honours it refuses the second. */
    private boolean probeConditional() {
        String key = ".spottrain-probe/" + UUID.randomUUID();
        try {
            await(s3.putObject(r -> r.bucket(settings.bucket()).key(key).ifNoneMatch("*"), AsyncRequestBody.fromBytes(new byte[] {1})));
            try {
                await(s3.putObject(r -> r.bucket(settings.bucket()).key(key).ifNoneMatch("*"), AsyncRequestBody.fromBytes(new byte[] {2})));
                return false;
            } catch (IOException e) {
                return e.getCause() instanceof S3Exception se && se.statusCode() == 412;
            } finally {
                await(s3.deleteObject(r -> r.bucket(settings.bucket()).key(key)));
            }
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        transfers.close();
        s3.close();
        eventLoops.eventLoopGroup().shutdownGracefully(0, 5, TimeUnit.SECONDS);
    }

    private static TransferListener listener(Progress progress, long size) {
        return new TransferListener() {
            @Override
            public void bytesTransferred(Context.BytesTransferred context) {
                var snapshot = context.progressSnapshot();
                progress.update(snapshot.transferredBytes(), snapshot.totalBytes().orElse(size));
            }
        };
    }

    /** Waits for an SDK future; its failure as an IOException naming the S3 error (the cause kept). */
    static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof IOException io && !(cause.getCause() instanceof S3Exception)) throw io;
            throw new IOException(message(cause), cause);
        }
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    private static boolean notFound(IOException e) {
        return e.getCause() instanceof NoSuchKeyException || (e.getCause() instanceof S3Exception se && se.statusCode() == 404);
    }

    static String message(Throwable e) {
        if (e instanceof S3Exception se && se.awsErrorDetails() != null) {
            return "S3 " + se.statusCode() + " " + se.awsErrorDetails().errorCode() + ": " + se.awsErrorDetails().errorMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** A hex SHA-256 (the manifest's form) as S3 wants it: base64 of the 32 bytes. */
    static String base64(String hexSha256) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hexSha256));
    }
}
