package io.spottrain.checkpoint.remote;

import io.spottrain.checkpoint.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link ObjectStore} on the AWS SDK v2 (sync client, url-connection HTTP client): parallel
 * multipart uploads done here — parts of {@code partSize} read into memory, {@code parallelism}
 * at a time, each with its Content-MD5 so the server rejects a corrupted part.
 */
public final class AwsS3ObjectStore implements ObjectStore {
    private final S3Settings settings;
    private final S3Client s3;
    private final ExecutorService parts;
    private volatile Boolean conditional;

    public AwsS3ObjectStore(S3Settings settings) {
        this.settings = settings;
        var b = S3Client.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(java.time.Duration.ofSeconds(5))
                        .socketTimeout(java.time.Duration.ofSeconds(60)).build())
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1))); // retries are the uploader's job
        if (settings.endpoint() != null) b.endpointOverride(settings.endpoint());
        if (settings.accessKey() != null) {
            b.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
        }
        if (settings.checksumsWhenRequired()) {
            b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        this.s3 = b.build();
        this.parts = Executors.newFixedThreadPool(settings.parallelism(), r -> {
            Thread t = new Thread(r, "s3-part");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String describe() {
        return "aws-sdk s3://" + settings.bucket() + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
    }

    @Override
    public void ensureBucket() throws IOException {
        call(() -> {
            try {
                s3.headBucket(r -> r.bucket(settings.bucket()));
            } catch (S3Exception e) {
                if (e.statusCode() != 404) throw e;
                s3.createBucket(r -> r.bucket(settings.bucket()));
            }
            return null;
        });
    }

    @Override
    public void putFile(String key, Path file, Progress progress) throws IOException {
        long size = Files.size(file);
        if (size <= settings.partSize()) {
            byte[] data = Files.readAllBytes(file);
            call(() -> s3.putObject(r -> r.bucket(settings.bucket()).key(key).contentMD5(md5(data, 0, data.length)),
                    RequestBody.fromBytes(data)));
            progress.update(size, size);
        } else {
            multipart(key, file, size, progress);
        }
        long stored = size(key).orElseThrow(() -> new IOException("upload of " + key + " did not leave an object"));
        if (stored != size) throw new IOException("upload of " + key + " stored " + stored + " bytes, expected " + size);
    }

    private void multipart(String key, Path file, long size, Progress progress) throws IOException {
        String uploadId = call(() -> s3.createMultipartUpload(r -> r.bucket(settings.bucket()).key(key)).uploadId());
        var done = new AtomicLong();
        var futures = new ArrayList<Future<CompletedPart>>();
        try {
            int n = (int) ((size + settings.partSize() - 1) / settings.partSize());
            for (int i = 0; i < n; i++) {
                int part = i + 1;
                long offset = (long) i * settings.partSize();
                int len = (int) Math.min(settings.partSize(), size - offset);
                futures.add(parts.submit(() -> {
                    byte[] buf = new byte[len];
                    try (var raf = new RandomAccessFile(file.toFile(), "r")) {
                        raf.seek(offset);
                        raf.readFully(buf);
                    }
                    String etag = s3.uploadPart(r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId).partNumber(part)
                            .contentLength((long) len).contentMD5(md5(buf, 0, len)), RequestBody.fromBytes(buf)).eTag();
                    progress.update(done.addAndGet(len), size);
                    return CompletedPart.builder().partNumber(part).eTag(etag).build();
                }));
            }
            var completed = new ArrayList<CompletedPart>();
            for (Future<CompletedPart> f : futures) completed.add(f.get());
            call(() -> s3.completeMultipartUpload(r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(key, uploadId, futures);
            throw new IOException("interrupted uploading " + key, e);
        } catch (ExecutionException | IOException | RuntimeException e) {
            abort(key, uploadId, futures);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IOException("multipart upload of " + key + " failed: " + message(cause), cause);
        }
    }

    private void abort(String key, String uploadId, List<Future<CompletedPart>> futures) {
        futures.forEach(f -> f.cancel(true));
        try {
            s3.abortMultipartUpload(r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException ignored) {
            // the store is down; a bucket lifecycle rule cleans up stale uploads
        }
    }

    @Override
    public boolean putBytes(String key, byte[] data, boolean ifAbsent) throws IOException {
        boolean cas = ifAbsent && conditionalWrites();
        try {
            call(() -> s3.putObject(r -> {
                r.bucket(settings.bucket()).key(key).contentMD5(md5(data, 0, data.length));
                if (cas) r.ifNoneMatch("*");
            }, RequestBody.fromBytes(data)));
            return true;
        } catch (IOException e) {
            if (e.getCause() instanceof S3Exception se && se.statusCode() == 412) return false;
            throw e;
        }
    }

    @Override
    public Optional<byte[]> getBytes(String key) throws IOException {
        try {
            ResponseBytes<GetObjectResponse> b = call(() -> s3.getObjectAsBytes(r -> r.bucket(settings.bucket()).key(key)));
            return Optional.of(b.asByteArray());
        } catch (IOException e) {
            if (notFound(e)) return Optional.empty();
            throw e;
        }
    }

    @Override
    public void getFile(String key, Path dest, Progress progress) throws IOException {
        long total = size(key).orElse(-1L);
        Downloads.toFile(call(() -> s3.getObject(r -> r.bucket(settings.bucket()).key(key))), dest, total, progress);
    }

    @Override
    public Optional<Long> size(String key) throws IOException {
        try {
            return Optional.of(call(() -> s3.headObject(r -> r.bucket(settings.bucket()).key(key)).contentLength()));
        } catch (IOException e) {
            if (notFound(e)) return Optional.empty();
            throw e;
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return call(() -> s3.listObjectsV2Paginator(r -> r.bucket(settings.bucket()).prefix(prefix)).contents().stream()
                .map(S3Object::key).filter(k -> !k.endsWith("/")).sorted().toList()); // no directory markers
    }

    @Override
    public void delete(String key) throws IOException {
        call(() -> s3.deleteObject(r -> r.bucket(settings.bucket()).key(key)));
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
        String key = ".spottrain-probe/" + java.util.UUID.randomUUID();
        try {
            s3.putObject(r -> r.bucket(settings.bucket()).key(key).ifNoneMatch("*"), RequestBody.fromBytes(new byte[] {1}));
            try {
                s3.putObject(r -> r.bucket(settings.bucket()).key(key).ifNoneMatch("*"), RequestBody.fromBytes(new byte[] {2}));
                return false;
            } catch (S3Exception e) {
                return e.statusCode() == 412;
            } finally {
                s3.deleteObject(r -> r.bucket(settings.bucket()).key(key));
            }
        } catch (SdkException e) {
            return false;
        }
    }

    @Override
    public void close() {
        parts.shutdownNow();
        s3.close();
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private static <T> T call(Call<T> c) throws IOException {
        try {
            return c.run();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(message(e), e);
        }
    }

    private static boolean notFound(IOException e) {
        return e.getCause() instanceof NoSuchKeyException
                || (e.getCause() instanceof S3Exception se && se.statusCode() == 404);
    }

    private static String message(Throwable e) {
        if (e instanceof S3Exception se && se.awsErrorDetails() != null) {
            return "S3 " + se.statusCode() + " " + se.awsErrorDetails().errorCode() + ": " + se.awsErrorDetails().errorMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    static String md5(byte[] data, int off, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(data, off, len);
            return Base64.getEncoder().encodeToString(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
