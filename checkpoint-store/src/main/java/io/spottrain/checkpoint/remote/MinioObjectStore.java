package io.spottrain.checkpoint.remote;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.UploadObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import io.spottrain.checkpoint.Progress;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link ObjectStore} on the MinIO Java client (second backend): multipart is the client's own
 * (parts of {@code partSize}, sequential); payloads are signed (SHA-256), so corruption in
 * transit is rejected by the server.
 */
public final class MinioObjectStore implements ObjectStore {
    private final S3Settings settings;
    private final MinioClient client;
    private volatile Boolean conditional;

    public MinioObjectStore(S3Settings settings) {
        this.settings = settings;
        var b = MinioClient.builder().endpoint(settings.endpoint().toString()).region(settings.region());
        if (settings.accessKey() != null) b.credentials(settings.accessKey(), settings.secretKey());
        this.client = b.build();
        client.setTimeout(5_000, 60_000, 60_000);
    }

    @Override
    public String describe() {
        return "minio s3://" + settings.bucket() + " at " + settings.endpoint();
    }

    @Override
    public void ensureBucket() throws IOException {
        call(() -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(settings.bucket()).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(settings.bucket()).build());
            }
            return null;
        });
    }

    @Override
    public void putFile(String key, Path file, String sha256, Progress progress) throws IOException { // the client checksums its parts itself
        long size = Files.size(file);
        call(() -> client.uploadObject(UploadObjectArgs.builder().bucket(settings.bucket()).object(key)
                .filename(file.toString(), settings.partSize()).build()));
        progress.update(size, size);
        long stored = size(key).orElseThrow(() -> new IOException("upload of " + key + " did not leave an object"));
        if (stored != size) throw new IOException("upload of " + key + " stored " + stored + " bytes, expected " + size);
    }

    @Override
    public boolean putBytes(String key, byte[] data, boolean ifAbsent) throws IOException {
        boolean cas = ifAbsent && conditionalWrites();
        try {
            call(() -> client.putObject(PutObjectArgs.builder().bucket(settings.bucket()).object(key)
                    .stream(new ByteArrayInputStream(data), data.length, -1)
                    .headers(cas ? Map.of("If-None-Match", "*") : Map.of()).build()));
            return true;
        } catch (IOException e) {
            if (status(e) == 412) return false;
            throw e;
        }
    }

    @Override
    public Optional<byte[]> getBytes(String key) throws IOException {
        try (InputStream in = call(() -> client.getObject(GetObjectArgs.builder().bucket(settings.bucket()).object(key).build()))) {
            return Optional.of(in.readAllBytes());
        } catch (IOException e) {
            if (status(e) == 404) return Optional.empty();
            throw e;
        }
    }

    @Override
    public void getFile(String key, Path dest, Progress progress) throws IOException {
        long total = size(key).orElse(-1L);
        Downloads.toFile(call(() -> client.getObject(GetObjectArgs.builder().bucket(settings.bucket()).object(key).build())), dest, total,
                progress);
    }

    @Override
    public Optional<Long> size(String key) throws IOException {
        try {
            return Optional.of(call(() -> client.statObject(StatObjectArgs.builder().bucket(settings.bucket()).object(key).build()).size()));
        } catch (IOException e) {
            if (status(e) == 404) return Optional.empty();
            throw e;
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return call(() -> {
            var keys = new ArrayList<String>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(settings.bucket()).prefix(prefix)
                    .recursive(true).build())) {
                String k = r.get().objectName();
                if (!k.endsWith("/")) keys.add(k); // directory markers (S3Proxy's filesystem backend) are not objects
            }
            keys.sort(null);
            return keys;
        });
    }

    @Override
    public void delete(String key) throws IOException {
        call(() -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(settings.bucket()).object(key).build());
            return null;
        });
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

    private boolean probeConditional() {
        String key = ".spottrain-probe/" + UUID.randomUUID();
        try {
            put(key, new byte[] {1});
            try {
                put(key, new byte[] {2});
                return false;
            } catch (ErrorResponseException e) {
                return e.response().code() == 412;
            } finally {
                client.removeObject(RemoveObjectArgs.builder().bucket(settings.bucket()).object(key).build());
            }
        } catch (Exception e) {
            return false;
        }
    }

    private void put(String key, byte[] b) throws Exception {
        client.putObject(PutObjectArgs.builder().bucket(settings.bucket()).object(key).stream(new ByteArrayInputStream(b), b.length, -1)
                .headers(Map.of("If-None-Match", "*")).build());
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception ignored) {
            // closing
        }
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private static <T> T call(Call<T> c) throws IOException {
        try {
            return c.run();
        } catch (IOException e) {
            throw e;
        } catch (ErrorResponseException e) {
            throw new IOException("S3 " + e.response().code() + " " + e.errorResponse().code() + ": " + e.errorResponse().message(), e);
        } catch (Exception e) {
            throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private static int status(IOException e) {
        return e.getCause() instanceof ErrorResponseException ere ? ere.response().code() : -1;
    }
}
