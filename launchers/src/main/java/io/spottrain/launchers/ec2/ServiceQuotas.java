package io.spottrain.launchers.ec2;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The account's EC2 quotas from the Service Quotas API ({@code ListServiceQuotas}, AWS JSON 1.1,
 * SigV4), sent with the SDK's own signer and HTTP client: the SDK's {@code servicequotas} module is
 * not among the artifacts our registry serves, and one paginated call does not need it. The endpoint
 * is {@code servicequotas.<region>.amazonaws.com} unless {@code AWS_ENDPOINT_URL_SERVICE_QUOTAS} (or the
 * system property {@code aws.endpointUrlServiceQuotas}) says otherwise, as the SDK's clients do.
 */
final class ServiceQuotas implements Preflight.QuotaSource, AutoCloseable {

    /** One quota: its code, its name as AWS shows it ("All G and VT Spot Instance Requests"), its value (vCPUs for these). */
    record Quota(String code, String name, double value) {}

    /** The API refused or failed: {@code code} is its error type (AccessDeniedException ...), or the HTTP status. */
    static final class QuotaException extends IOException {
        final String code;

        QuotaException(String code, String message) {
            super(code + ": " + message);
            this.code = code;
        }
    }

    private final String region;
    private final URI endpoint;
    private final AwsCredentialsProvider credentials;
    private final SdkHttpClient http = UrlConnectionHttpClient.create();

    ServiceQuotas(String region, URI endpoint, AwsCredentialsProvider credentials) {
        this.region = region;
        this.endpoint = endpoint;
        this.credentials = credentials;
    }

    static URI endpoint(String region) {
        String override = System.getProperty("aws.endpointUrlServiceQuotas", System.getenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS"));
        return URI.create(override != null && !override.isBlank() ? override : "https://servicequotas." + region + ".amazonaws.com");
    }

    /** Every quota of service {@code ec2} (all pages). */
    @Override
    public List<Quota> ec2Quotas() throws IOException {
        var out = new ArrayList<Quota>();
        String token = null;
        do {
            var body = new LinkedHashMap<String, Object>();
            body.put("ServiceCode", "ec2");
            body.put("MaxResults", 100);
            if (token != null) body.put("NextToken", token);
            JsonNode page = call("ListServiceQuotas", Json.write(body));
            for (JsonNode q : page.path("Quotas")) out.add(new Quota(q.path("QuotaCode").asText(), q.path("QuotaName").asText(), q.path("Value").asDouble()));
            token = page.path("NextToken").isTextual() && !page.path("NextToken").asText().isEmpty() ? page.path("NextToken").asText() : null;
        } while (token != null);
        return out;
    }

    private JsonNode call(String action, String json) throws IOException {
        var request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST).uri(endpoint)
                .putHeader("Content-Type", "application/x-amz-json-1.1")
                .putHeader("X-Amz-Target", "ServiceQuotasV20190624." + action).build();
        var signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials.resolveCredentials()).request(request)
                .payload(ContentStreamProvider.fromUtf8String(json))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "servicequotas")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region));
        var response = http.prepareRequest(HttpExecuteRequest.builder().request(signed.request())
                .contentStreamProvider(signed.payload().orElse(null)).build()).call();
        String text;
        try (InputStream in = response.responseBody().map(b -> (InputStream) b).orElse(InputStream.nullInputStream())) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        JsonNode node = text.isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(text);
        int status = response.httpResponse().statusCode();
        if (status / 100 != 2) {
            String type = node.path("__type").asText("HTTP " + status);
            String code = type.substring(type.indexOf('#') + 1);
            throw new QuotaException(code, node.path("message").asText(node.path("Message").asText("no message")));
        }
        return node;
    }

    @Override
    public void close() {
        http.close();
    }
}
