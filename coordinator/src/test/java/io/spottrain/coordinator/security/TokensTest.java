package io.spottrain.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.coordinator.state.InMemoryStateStore;
import io.spottrain.coordinator.state.Table;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class TokensTest {
    final InMemoryStateStore store = new InMemoryStateStore();
    final Tokens tokens = new Tokens(store, Clock.systemUTC());

    @Test
    void aTokenIsStoredOnlyAsItsHashAndAuthenticates() {
        var created = tokens.create("alice", Role.OPERATOR, "test");
        String stored = store.get(Table.TOKENS, created.record().id()).orElseThrow();
        assertFalse(stored.contains(created.token().substring(14)), "the secret is not stored");
        assertTrue(stored.contains(ApiToken.hash(created.token())));
        var c = assertInstanceOf(Access.Valid.class, tokens.authenticate("Bearer " + created.token()));
        assertEquals(new Principal(created.record().id(), "alice", Role.OPERATOR), c.principal());
        assertInstanceOf(Access.Valid.class, tokens.authenticate("bearer   " + created.token() + " "));
    }

    @Test
    void badHeadersAreInvalidWithAReasonThatNeverEchoesTheToken() {
        var created = tokens.create("alice", Role.OPERATOR, "test");
        String wrongSecret = created.token().substring(0, created.token().length() - 1) + (created.token().endsWith("A") ? "B" : "A");
        assertEquals(new Access.Invalid("unknown API token " + created.record().id()), tokens.authenticate("Bearer " + wrongSecret));
        assertInstanceOf(Access.Missing.class, tokens.authenticate(null));
        assertInstanceOf(Access.Missing.class, tokens.authenticate(" "));
        var basic = assertInstanceOf(Access.Invalid.class, tokens.authenticate("Basic dXNlcjpwYXNz"));
        assertFalse(basic.why().contains("dXNlcjpwYXNz"));
        var garbage = assertInstanceOf(Access.Invalid.class, tokens.authenticate("Bearer s3cr3t"));
        assertFalse(garbage.why().contains("s3cr3t"));
    }

    @Test
    void revokedTokensAreRefusedAndStayRevokedWhenRegisteredAgain() {
        var admin = ApiToken.generate();
        tokens.register(admin, "local-admin", Role.ADMIN, "up");
        var other = tokens.create("bob", Role.ADMIN, "test");
        tokens.revoke(ApiToken.id(admin).orElseThrow(), "bob");
        var refused = assertInstanceOf(Access.Invalid.class, tokens.authenticate("Bearer " + admin));
        assertTrue(refused.why().contains("was revoked at"), refused.why());
        tokens.register(admin, "local-admin", Role.ADMIN, "up"); // a restart of `up` with the same file
        assertInstanceOf(Access.Invalid.class, tokens.authenticate("Bearer " + admin));
        var last = assertThrows(Tokens.TokenException.class, () -> tokens.revoke(other.record().id(), "bob"));
        assertEquals(409, last.status);
        assertTrue(last.getMessage().contains("last admin token"));
        assertEquals(404, assertThrows(Tokens.TokenException.class, () -> tokens.revoke("nosuchtokn", "bob")).status);
    }

    @Test
    void namesAreChecked() {
        assertEquals(400, assertThrows(Tokens.TokenException.class, () -> tokens.create("", Role.VIEWER, "t")).status);
        assertEquals(400, assertThrows(Tokens.TokenException.class, () -> tokens.create("a b", Role.VIEWER, "t")).status);
        assertEquals(400, assertThrows(Tokens.TokenException.class, () -> tokens.create("x".repeat(65), Role.VIEWER, "t")).status);
        assertEquals("ci-bot@team.a", tokens.create("ci-bot@team.a", Role.VIEWER, "t").record().name());
    }

    @Test
    void generatedTokensAreDistinctAndParse() {
        String a = ApiToken.generate();
        String b = ApiToken.generate();
        assertFalse(a.equals(b));
        assertEquals(a.split("\\.")[1], ApiToken.id(a).orElseThrow());
        assertTrue(ApiToken.id("st.short.x").isEmpty());
    }
}
