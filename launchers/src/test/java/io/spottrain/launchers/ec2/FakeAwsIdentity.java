package io.spottrain.launchers.ec2;

import io.spottrain.agent.node.Enrollment;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/** AWS's side of instance identity in tests: a signing key and certificate, documents and their detached PKCS#7 signatures. */
final class FakeAwsIdentity {
    final KeyPair key;
    final X509Certificate cert;

    FakeAwsIdentity() throws Exception {
        var g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        Instant now = Instant.now();
        cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=AWS test signer"),
                BigInteger.ONE, Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("CN=AWS test signer"),
                key.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())));
    }

    String certPem() throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    static String document(String id, String ip, Instant pending) {
        return """
                {
                  "accountId" : "123456789012",
                  "availabilityZone" : "us-east-1a",
                  "instanceId" : "%s",
                  "instanceType" : "g5.xlarge",
                  "pendingTime" : "%s",
                  "privateIp" : "%s",
                  "region" : "us-east-1",
                  "version" : "2017-09-30"
                }""".formatted(id, pending, ip);
    }

    /** AWS serves the signature as base64 lines, the document outside it (detached). */
    String sign(String document) throws Exception {
        var gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate()), cert));
        return Base64.getMimeEncoder().encodeToString(gen.generate(new CMSProcessableByteArray(document.getBytes(StandardCharsets.UTF_8)), false)
                .getEncoded());
    }

    static Enrollment.Identity identity(String document, String pkcs7) {
        return new Enrollment.Identity() {
            @Override
            public String document() {
                return document;
            }

            @Override
            public String pkcs7() {
                return pkcs7;
            }
        };
    }

    /** A machine's signed identity. */
    Enrollment.Identity of(String document) throws Exception {
        return identity(document, sign(document));
    }
}
