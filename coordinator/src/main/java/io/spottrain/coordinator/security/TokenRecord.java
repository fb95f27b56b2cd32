package io.spottrain.coordinator.security;

/**
 * A stored API token: never the token itself, only its SHA-256 ({@code hash}, hex). The token is
 * 256 random bits, so a plain hash cannot be reversed or guessed; a slow password hash would only
 * slow every request. {@code revokedAt} is set once the token is revoked (the record stays, so a
 * revoked id is never accepted or registered again).
 */
public record TokenRecord(int schemaVersion, String id, String name, Role role, String hash, String createdAt, String createdBy,
        String revokedAt, String revokedBy) {
    public static final int SCHEMA_VERSION = 1;

    public boolean revoked() {
        return revokedAt != null;
    }

    public TokenRecord revoke(String at, String by) {
        return new TokenRecord(schemaVersion, id, name, role, hash, createdAt, createdBy, at, by);
    }

    public Principal principal() {
        return new Principal(id, name, role);
    }
}
