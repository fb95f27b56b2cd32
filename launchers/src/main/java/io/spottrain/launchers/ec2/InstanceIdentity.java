package io.spottrain.launchers.ec2;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * An EC2 instance identity document, what instance metadata serves every instance about itself
 * ({@code /latest/dynamic/instance-identity/document}) with AWS's PKCS#7 signature over it
 * ({@code .../pkcs7}): a machine proves which instance it is, in which account and region, and an
 * enrolling agent sends both. The signature is verified with AWS's public certificate for the region
 * (AWS publishes it; the control node is given it: {@code --aws-identity-cert}), never with anything
 * the request carries.
 */
public record InstanceIdentity(String instanceId, String accountId, String region, String availabilityZone, String privateIp,
        String instanceType, Instant pendingTime) {

    static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,32}");

    /** The document's fields; an unreadable or incomplete document is an {@link IllegalArgumentException} naming the field. */
    public static InstanceIdentity parse(String document) {
        JsonNode d;
        try {
            d = Json.MAPPER.readTree(document);
        } catch (IOException e) {
            throw new IllegalArgumentException("the instance identity document is not JSON");
        }
        if (d == null || !d.isObject()) throw new IllegalArgumentException("the instance identity document is not a JSON object");
        String id = text(d, "instanceId");
        if (!INSTANCE_ID.matcher(id).matches()) throw new IllegalArgumentException("instanceId \"" + id + "\" is not an EC2 instance id");
        Instant pending;
        try {
            pending = Instant.parse(text(d, "pendingTime"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("pendingTime is not an ISO-8601 instant");
        }
        return new InstanceIdentity(id, text(d, "accountId"), text(d, "region"), d.path("availabilityZone").asText(""),
                text(d, "privateIp"), d.path("instanceType").asText(""), pending);
    }

    private static String text(JsonNode d, String field) {
        JsonNode n = d.get(field);
        if (n == null || !n.isTextual() || n.asText().isBlank()) throw new IllegalArgumentException("the instance identity document has no " + field);
        return n.asText();
    }

    /**
     * Whether {@code pkcs7} (DER) is one signature over exactly {@code document} (the document as sent, whatever copy the
     * signature may hold inside) by the key of one of {@code trusted}; certificates inside it are not looked at. Anything
     * malformed is false.
     */
    public static boolean signedBy(byte[] document, byte[] pkcs7, List<X509Certificate> trusted) {
        try {
            var signed = new CMSSignedData(new CMSProcessableByteArray(document), pkcs7);
            var signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) return false; // AWS signs once; hundreds of signers would be as many verifications
            for (SignerInformation si : signers) {
                for (X509Certificate c : trusted) {
                    try {
                        if (si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(c))) return true;
                    } catch (CMSException | OperatorCreationException wrongKeyOrDigest) {
                        // not this certificate's signature, or not over this document: try the next
                    }
                }
            }
            return false;
        } catch (CMSException | RuntimeException malformed) {
            return false;
        }
    }

    /** The PEM certificates in {@code file} (AWS's for the region; several while AWS rotates it). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            var out = new ArrayList<X509Certificate>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) out.add((X509Certificate) c);
            if (out.isEmpty()) throw new IOException(file + " holds no certificate");
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }
}
