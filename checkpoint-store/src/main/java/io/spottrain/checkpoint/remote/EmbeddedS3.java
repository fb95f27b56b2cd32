package io.spottrain.checkpoint.remote;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server in this JVM (S3Proxy over a directory, jclouds filesystem backend) for the
 * local demo and tests: objects live under {@code dir}, on an ephemeral loopback port, with
 * random credentials (SigV2/V4 checked).
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String accessKey;
    private final String secretKey;

    private EmbeddedS3(S3Proxy proxy, BlobStoreContext context, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.context = context;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    public static EmbeddedS3 start(Path dir) throws Exception {
        return start(dir, 0);
    }

    /** Starts on {@code port} (0: any free port) with fresh random credentials. */
    public static EmbeddedS3 start(Path dir, int port) throws Exception {
        var rnd = new SecureRandom();
        byte[] a = new byte[10];
        byte[] s = new byte[20];
        rnd.nextBytes(a);
        rnd.nextBytes(s);
        return start(dir, port, "local" + HexFormat.of().formatHex(a), HexFormat.of().formatHex(s));
    }

    /** Starts on {@code port} with these credentials (a restart that clients must not notice) and waits until it serves. */
    public static EmbeddedS3 start(Path dir, int port, String access, String secret) throws Exception {
        Files.createDirectories(dir);
        var props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
        BlobStoreContext ctx = ContextBuilder.newBuilder("filesystem").overrides(props).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(ctx.getBlobStore()).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, access, secret).build();
        proxy.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.currentTimeMillis() > deadline) {
                proxy.stop();
                ctx.close();
                throw new IllegalStateException("S3Proxy did not start within 30s (state " + proxy.getState() + ")");
            }
            Thread.sleep(20);
        }
        return new EmbeddedS3(proxy, ctx, access, secret);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public S3Settings settings(String bucket) {
        return S3Settings.compatible(endpoint(), bucket, accessKey, secretKey);
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception ignored) {
            // stopping
        }
        context.close();
    }
}
