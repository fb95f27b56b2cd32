package io.spottrain.coordinator.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API token format: {@code st.<id>.<secret>}, where {@code id} (10 characters of [a-z0-9])
 * names the token in listings, events and revocation, and {@code secret} is 256 random bits
 * (base64url). Only {@link #hash} of the whole token is ever stored.
 */
public final class ApiToken {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final Pattern FORMAT = Pattern.compile("st\\.([a-z0-9]{10})\\.([A-Za-z0-9_-]{43})");

    private ApiToken() {}

    /** A new random token. */
    public static String generate() {
        var id = new StringBuilder();
        for (int i = 0; i < 10; i++) id.append(ID_CHARS.charAt(RANDOM.nextInt(ID_CHARS.length())));
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return "st." + id + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** The token's id, or empty when it is not a token of this format. */
    public static Optional<String> id(String token) {
        if (token == null) return Optional.empty();
        var m = FORMAT.matcher(token);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** SHA-256 of the token, hex. */
    public static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Constant-time comparison of two hashes (hex). */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
