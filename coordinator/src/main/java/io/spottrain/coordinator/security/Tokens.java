package io.spottrain.coordinator.security;

import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The API tokens of this cluster, kept in the state store (table {@code TOKENS}, keyed by token
 * id) as hashes only. Every control node authenticates from its own copy; a revocation written on
 * one is refused on all.
 */
public final class Tokens {
    /** Longest token name. */
    public static final int MAX_NAME = 64;

    private final StateStore store;
    private final Clock clock;

    public Tokens(StateStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A new token, shown once: the caller must hand {@code token} to its owner; only its hash is kept. */
    public record Created(String token, TokenRecord record) {}

    /** What an {@code Authorization} header value amounts to. */
    public Access.Credential authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) return new Access.Missing();
        String[] parts = authorization.trim().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            return new Access.Invalid("the Authorization header must be \"Bearer <token>\"");
        }
        String token = parts[1].trim();
        var id = ApiToken.id(token);
        if (id.isEmpty()) return new Access.Invalid("not a spottrain API token (expected st.<id>.<secret>)");
        var rec = find(id.get());
        if (rec.isEmpty() || !ApiToken.sameHash(rec.get().hash(), ApiToken.hash(token))) {
            return new Access.Invalid("unknown API token " + id.get());
        }
        if (rec.get().revoked()) return new Access.Invalid("API token " + id.get() + " was revoked at " + rec.get().revokedAt());
        return new Access.Valid(rec.get().principal());
    }

    public Created create(String name, Role role, String by) {
        String n = checkName(name);
        String token = ApiToken.generate();
        var rec = new TokenRecord(TokenRecord.SCHEMA_VERSION, ApiToken.id(token).orElseThrow(), n, role, ApiToken.hash(token),
                clock.instant().toString(), by, null, null);
        put(rec);
        return new Created(token, rec);
    }

    /**
     * Registers a token made elsewhere (a local cluster's {@code <state-dir>/token}) unless its id
     * is known already: a token revoked once stays revoked across restarts.
     */
    public void register(String token, String name, Role role, String by) {
        String id = ApiToken.id(token).orElseThrow(() -> new IllegalArgumentException("not a spottrain API token (expected st.<id>.<secret>)"));
        if (find(id).isPresent()) return;
        put(new TokenRecord(TokenRecord.SCHEMA_VERSION, id, checkName(name), role, ApiToken.hash(token), clock.instant().toString(), by,
                null, null));
    }

    /** Every token ever made here, revoked ones included, oldest first. */
    public List<TokenRecord> list() {
        return store.values(Table.TOKENS).stream().map(Tokens::read).sorted(Comparator.comparing(TokenRecord::createdAt)).toList();
    }

    public Optional<TokenRecord> find(String id) {
        return store.get(Table.TOKENS, id).map(Tokens::read);
    }

    /**
     * Revokes a token. Refused (with the reason) when it does not exist, is revoked already, or is
     * the last admin token (nobody could manage tokens any more).
     */
    public TokenRecord revoke(String id, String by) {
        var rec = find(id).orElseThrow(() -> new TokenException(404, "no API token " + id));
        if (rec.revoked()) throw new TokenException(409, "API token " + id + " was already revoked at " + rec.revokedAt());
        if (rec.role() == Role.ADMIN && list().stream().filter(t -> !t.revoked() && t.role() == Role.ADMIN).count() <= 1) {
            throw new TokenException(409, "API token " + id + " is the last admin token; create another admin token first");
        }
        var revoked = rec.revoke(clock.instant().toString(), by);
        put(revoked);
        return revoked;
    }

    private void put(TokenRecord rec) {
        store.write(List.of(new StateStore.Put(Table.TOKENS, rec.id(), Json.write(rec))));
    }

    private static String checkName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][-A-Za-z0-9_.@]{0," + (MAX_NAME - 1) + "}")) {
            throw new TokenException(400, "a token name is 1.." + MAX_NAME + " letters, digits or -_.@ (starting with a letter or digit), got "
                    + (name == null ? "none" : "\"" + (name.length() > MAX_NAME ? name.substring(0, MAX_NAME) + "..." : name) + "\""));
        }
        return name;
    }

    private static TokenRecord read(String json) {
        try {
            var rec = Json.MAPPER.readValue(json, TokenRecord.class);
            if (rec.schemaVersion() != TokenRecord.SCHEMA_VERSION) {
                throw new IllegalStateException("a stored API token has schema version " + rec.schemaVersion() + "; this build reads version "
                        + TokenRecord.SCHEMA_VERSION);
            }
            return rec;
        } catch (IOException e) {
            throw new IllegalStateException("unreadable API token record: " + e.getMessage(), e);
        }
    }

    /** A refused token request with its HTTP status. */
    public static final class TokenException extends RuntimeException {
        public final int status;

        public TokenException(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
