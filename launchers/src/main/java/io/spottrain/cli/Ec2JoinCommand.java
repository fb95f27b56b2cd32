package io.spottrain.cli;

import io.spottrain.agent.node.JoinMaterial;
import io.spottrain.client.CliException;
import io.spottrain.launchers.ec2.Ec2Config;
import io.spottrain.launchers.local.ClusterPki;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.tls.NodeTls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterTier;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * {@code spottrain ec2 publish-join}: the agents' join material, where their instance role reads
 * it ({@link JoinMaterial}): an agent certificate issued by the cluster's CA (the state dir's
 * {@code pki/}), put with the cluster CA and the key as three {@code SecureString} parameters under
 * the fleet config's {@code agent.joinParameter} (KMS: the account's default key, or
 * {@code --kms-key}). Agents read it when they start, so publishing again (before the certificate
 * expires) rotates it for agents that start afterwards. Prints names, sizes and the certificate's
 * validity; never a value. Where the fleet config enrolls its agents ({@code agent.enrollPort}), only
 * the CA is put: each agent gets a certificate of its own, and no key is shared by the fleet.
 */
@Command(name = "publish-join", description = "Issue an agent certificate from the cluster's CA and put it, the CA and its key into SSM "
        + "(SecureString, under the fleet config's agent.joinParameter), where launched agents read them with the instance role. "
        + "Prints names and validity, never a value. Credentials from the SDK's default chain.")
final class Ec2JoinCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "fleet config, e.g. examples/cluster/ec2.yaml")
    Path config;

    @Option(names = "--state-dir", description = "the cluster's state dir, whose pki/ holds its CA (default: $SPOTTRAIN_STATE_DIR or ./.spottrain)")
    Path stateDir;

    @Option(names = "--ca-dir", description = "the cluster CA's directory (ca.crt, ca.key) of a control plane run as a service; "
            + "instead of --state-dir's pki/")
    Path caDir;

    @Option(names = "--kms-key", description = "KMS key id or alias that encrypts the parameters (default: the account's aws/ssm key)")
    String kmsKey;

    @Option(names = "--plan", description = "print what would be put, calling nothing")
    boolean plan;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() throws IOException {
        Ec2Config c = Ec2Command.load(config);
        Path state = stateDir != null ? stateDir.toAbsolutePath() : Path.of(System.getenv().getOrDefault("SPOTTRAIN_STATE_DIR", ".spottrain"));
        ClusterPki pki = caDir != null ? ClusterPki.existingIn(caDir) : ClusterPki.existing(state);
        Path caAt = caDir != null ? caDir.toAbsolutePath() : ClusterPki.dir(state);
        if (c.agent().enrollPort() != null) return caOnly(c, pki);
        Path tmp = Files.createTempDirectory("spottrain-join");
        try {
            pki.issue("agent-" + c.cluster(), tmp);
            var m = new JoinMaterial.Material(Files.readString(tmp.resolve(NodeTls.CA)), Files.readString(tmp.resolve(NodeTls.CERT)),
                    Files.readString(tmp.resolve(NodeTls.KEY)));
            try {
                JoinMaterial.check(m); // what every agent will check before it writes anything
            } catch (JoinMaterial.JoinException e) {
                throw new CliException("the issued join material does not check: " + e.getMessage());
            }
            var names = JoinMaterial.names(c.agent().joinParameter());
            var values = List.of(m.ca(), m.cert(), m.key());
            X509Certificate cert = certificate(m.cert());
            if (!plan) put(c, names, values);
            var out = new LinkedHashMap<String, Object>();
            out.put("cluster", c.cluster());
            out.put("region", c.region());
            out.put("parameters", names);
            out.put("type", "SecureString");
            out.put("kmsKey", kmsKey == null ? "alias/aws/ssm" : kmsKey);
            out.put("certificate", cert.getSubjectX500Principal().getName());
            out.put("caSha256", pki.fingerprint());
            out.put("notAfter", cert.getNotAfter().toInstant().toString());
            out.put("published", !plan);
            if (output.json()) {
                System.out.println(Json.pretty(out));
                return 0;
            }
            System.out.println((plan ? "would put" : "put") + " the join material of cluster " + c.cluster() + " (" + c.region() + ", SecureString, "
                    + out.get("kmsKey") + "):");
            for (int i = 0; i < names.size(); i++) {
                System.out.println("  " + names.get(i) + "  (" + values.get(i).getBytes(StandardCharsets.US_ASCII).length + " bytes)");
            }
            System.out.println("agent certificate " + out.get("certificate") + ", signed by the CA in " + caAt + " (SHA-256 "
                    + out.get("caSha256") + "), valid until " + out.get("notAfter") + ": publish again before then (agents read it each time "
                    + "they start)");
            return 0;
        } finally {
            delete(tmp); // the key never stays behind
        }
    }

    private static void delete(Path tmp) {
        try (Stream<Path> files = Files.list(tmp)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            System.err.println("could not remove " + tmp + " (it holds the agent key; remove it): " + e.getMessage());
        }
    }

    /** Enrolling agents need the CA only (to check the control nodes they enroll with): no agent key is made or put. */
    private Integer caOnly(Ec2Config c, ClusterPki pki) {
        var all = JoinMaterial.names(c.agent().joinParameter());
        var names = List.of(all.get(0));
        var shared = all.subList(1, all.size()); // a shared agent certificate and key published before: gone, readable by nobody
        if (!plan) {
            put(c, names, List.of(pki.caPem()));
            try (SsmClient ssm = ssm(c)) {
                ssm.deleteParameters(r -> r.names(shared)); // names that do not exist come back as invalid, not as an error
            } catch (SdkException e) {
                throw new CliException("the CA is put, but deleting the shared agent key " + shared + " from SSM failed: " + e.getMessage());
            }
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("cluster", c.cluster());
        out.put("region", c.region());
        out.put("parameters", names);
        out.put("type", "SecureString");
        out.put("caSha256", pki.fingerprint());
        out.put("enrollment", c.agent().enrollUrls());
        out.put("deleted", plan ? List.of() : shared);
        out.put("published", !plan);
        if (output.json()) {
            System.out.println(Json.pretty(out));
            return 0;
        }
        System.out.println((plan ? "would put" : "put") + " the cluster CA of " + c.cluster() + " (" + c.region() + ") as " + names.get(0)
                + " (SHA-256 " + pki.fingerprint() + "); no agent key: agents enroll for certificates of their own at " + c.agent().enrollUrls()
                + (plan ? "; would delete " : "; deleted ") + String.join(", ", shared) + " (a shared key published before)");
        return 0;
    }

    private void put(Ec2Config c, List<String> names, List<String> values) {
        var done = new ArrayList<String>();
        try (SsmClient ssm = ssm(c)) {
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                String value = values.get(i);
                ssm.putParameter(r -> r.name(name).value(value).type(ParameterType.SECURE_STRING).overwrite(true).tier(ParameterTier.STANDARD)
                        .keyId(kmsKey).description("spottrain join material of cluster " + c.cluster() + " (agents read it at start)"));
                done.add(name);
            }
        } catch (SdkException e) {
            throw new CliException("putting the join material into SSM failed" + (done.isEmpty() ? "" : " after " + done) + ": " + e.getMessage());
        }
    }

    private static SsmClient ssm(Ec2Config c) {
        return SsmClient.builder().region(Region.of(c.region())).httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(DefaultCredentialsProvider.builder().build()).build();
    }

    private static X509Certificate certificate(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new CliException("the issued certificate does not read: " + e.getMessage());
        }
    }
}
