package io.spottrain.agent.node;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;

/**
 * Reads this machine's attributes from the EC2 instance metadata service (IMDSv2, AWS SDK v2
 * {@code imds} client). Absent metadata is not an error: off-cloud there is no IMDS, and the
 * agent falls back to its configuration.
 */
public final class InstanceMetadata implements AutoCloseable {
    /** The link-local address every EC2 instance reaches its IMDS at. */
    public static final URI EC2_ENDPOINT = URI.create("http://169.254.169.254");

    /** What IMDS told us; a field is null when IMDS did not have it. */
    public record Attributes(String instanceId, String instanceType, String zone, String lifeCycle, String localIpv4) {}

    private final Ec2MetadataClient client;

    public InstanceMetadata(URI endpoint, Duration timeout) {
        this.client = Ec2MetadataClient.builder()
                .endpoint(endpoint)
                .tokenTtl(Duration.ofMinutes(10))
                .retryPolicy(r -> r.numRetries(1))
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout).build())
                .build();
    }

    /** The attributes, or empty when no IMDS answers at the endpoint. */
    public Optional<Attributes> read() {
        String id = get("/latest/meta-data/instance-id");
        if (id == null) return Optional.empty();
        return Optional.of(new Attributes(id, get("/latest/meta-data/instance-type"),
                get("/latest/meta-data/placement/availability-zone"), get("/latest/meta-data/instance-life-cycle"),
                get("/latest/meta-data/local-ipv4")));
    }

    /** A value exactly as served (a signed document: its bytes matter), or null like {@link #get}. */
    public String raw(String path) {
        try {
            return client.get(path).asString();
        } catch (SdkClientException e) {
            return null;
        }
    }

    /** A metadata value, or null for 404 (not there) and when IMDS cannot be reached. */
    public String get(String path) {
        try {
            return client.get(path).asString().strip();
        } catch (Ec2MetadataClientException e) {
            return null; // 404: no such metadata (e.g. no interruption notice)
        } catch (SdkClientException e) {
            return null; // no IMDS here
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
