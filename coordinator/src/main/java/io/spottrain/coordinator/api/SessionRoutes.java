package io.spottrain.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import io.spottrain.coordinator.security.Access;
import io.spottrain.coordinator.security.Principal;
import io.spottrain.coordinator.security.Sessions;
import io.spottrain.coordinator.security.Tokens;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The console's login and logout: {@code POST /api/v1/session {"token": ...}} answers with the
 * session in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS) and the CSRF token in the body;
 * {@code POST /api/v1/session/logout} ends it. Every other route accepts the cookie in place of a
 * bearer token, and a change made with it must carry the CSRF token in {@code X-CSRF-Token}.
 */
final class SessionRoutes {
    private final Tokens tokens;
    private final Sessions sessions;

    SessionRoutes(Tokens tokens, Sessions sessions) {
        this.tokens = tokens;
        this.sessions = sessions;
    }

    void login(Context ctx) {
        String token;
        try {
            JsonNode body = Json.MAPPER.readTree(ctx.body());
            token = body == null ? null : body.path("token").asText(null);
        } catch (IOException e) {
            token = null;
        }
        if (token == null) throw new HttpApi.ApiException(400, ApiError.of("bad login: expected {\"token\": \"st....\"}"));
        var credential = tokens.authenticate("Bearer " + token);
        if (!(credential instanceof Access.Valid v)) {
            throw new HttpApi.ApiException(401, ApiError.of(((Access.Invalid) credential).why()));
        }
        var s = sessions.open(v.principal());
        ctx.cookie(new Cookie(Sessions.COOKIE, s.id(), "/", (int) Sessions.TTL.toSeconds(), ctx.scheme().equals("https"), true, null,
                SameSite.STRICT));
        reply(ctx, 200, Map.of("name", v.principal().name(), "role", v.principal().role().label(), "tokenId", v.principal().tokenId(),
                "csrfToken", s.csrf(), "expiresAt", s.expires().toString()));
    }

    /**
     * Who is asking (the token's name, role and id) and, with a console session, its CSRF token and
     * expiry: a console page loaded again finds its session here.
     */
    void whoami(Context ctx) {
        Principal p = ctx.attribute(HttpApi.PRINCIPAL);
        var out = new LinkedHashMap<String, Object>(Map.of("name", p.name(), "role", p.role().label(), "tokenId", p.tokenId()));
        sessions.find(ctx.cookie(Sessions.COOKIE)).ifPresent(s -> {
            out.put("csrfToken", s.csrf());
            out.put("expiresAt", s.expires().toString());
        });
        reply(ctx, 200, out);
    }

    void logout(Context ctx) {
        sessions.close(ctx.cookie(Sessions.COOKIE));
        ctx.removeCookie(Sessions.COOKIE, "/");
        reply(ctx, 200, Map.of("status", "logged out"));
    }

    /**
     * The credential of a request that sent no bearer token but a session cookie: the session's
     * token, still valid (a revoked token ends its sessions), and for a change the CSRF header.
     */
    Optional<Access.Credential> fromCookie(Context ctx) {
        String cookie = ctx.cookie(Sessions.COOKIE);
        if (cookie == null) return Optional.empty();
        var s = sessions.find(cookie);
        if (s.isEmpty()) return Optional.of(new Access.Invalid("the console session expired or was closed: log in again"));
        var rec = tokens.find(s.get().tokenId());
        if (rec.isEmpty() || rec.get().revoked()) {
            sessions.close(cookie);
            return Optional.of(new Access.Invalid("the session's API token " + s.get().tokenId() + " was revoked"));
        }
        boolean change = !ctx.method().name().equals("GET") && !ctx.method().name().equals("HEAD");
        if (change && !Sessions.csrfMatches(s.get(), ctx.header(Sessions.CSRF_HEADER))) {
            throw new HttpApi.ApiException(403, ApiError.of("a change made with a console session needs its " + Sessions.CSRF_HEADER
                    + " header (missing or wrong)"));
        }
        return Optional.of(new Access.Valid(rec.get().principal()));
    }

    private static void reply(Context ctx, int status, Object body) {
        ctx.status(HttpStatus.forStatus(status)).contentType("application/json").result(Json.write(body));
    }
}
