package io.spottrain.agent.checkpoint;

import com.typesafe.config.Config;
import io.spottrain.checkpoint.remote.S3Settings;
import java.net.URI;
import java.util.Map;

/**
 * The agent's remote tier: a default {@code s3://bucket/prefix}, the S3 API endpoint (empty for
 * AWS), and the names of the environment variables holding the keys (never the keys themselves:
 * secrets stay out of config files, command lines and logs).
 */
public record RemoteSettings(String defaultUri, String endpoint, String region, String backend, boolean pathStyle,
        boolean checksumsWhenRequired, String accessKey, String secretKey, long partSize, int parallelism, long bytesPerSecond) {

    public static RemoteSettings create(Config root, Map<String, String> env) {
        Config c = root.getConfig("spottrain.agent.checkpoint.remote");
        String access = c.getString("access-key").isBlank() ? env.get(c.getString("access-key-env")) : c.getString("access-key");
        String secret = c.getString("secret-key").isBlank() ? env.get(c.getString("secret-key-env")) : c.getString("secret-key");
        return new RemoteSettings(c.getString("uri"), c.getString("endpoint"), c.getString("region"), c.getString("backend"),
                c.getBoolean("path-style"), c.getBoolean("checksums-when-required"), access, secret, c.getBytes("part-size"),
                c.getInt("parallelism"), c.getBytes("bandwidth"));
    }

    /** The job's remote ({@code s3://bucket/prefix}) or this agent's default; null when neither is set. */
    public String uriFor(String jobRemote) {
        if (jobRemote != null && !jobRemote.isBlank()) return jobRemote;
        return defaultUri.isBlank() ? null : defaultUri;
    }

    public S3Settings s3(String bucket) {
        return new S3Settings(endpoint.isBlank() ? null : URI.create(endpoint), region, bucket, accessKey, secretKey, pathStyle,
                checksumsWhenRequired, Math.max(partSize, S3Settings.MIN_PART), parallelism);
    }

    /** Splits {@code s3://bucket/prefix} into bucket and prefix; throws naming the URI when it is not one. */
    public static String[] parse(String uri) {
        if (uri == null || !uri.startsWith("s3://") || uri.length() <= 5) {
            throw new IllegalArgumentException("not an s3://bucket/prefix URI: " + uri);
        }
        String rest = uri.substring(5);
        int slash = rest.indexOf('/');
        return slash < 0 ? new String[] {rest, ""} : new String[] {rest.substring(0, slash), rest.substring(slash + 1)};
    }

    @Override
    public String toString() {
        return "RemoteSettings[uri=" + defaultUri + ", endpoint=" + endpoint + ", backend=" + backend + ", keys="
                + (accessKey == null ? "default chain" : "from env") + "]";
    }
}
