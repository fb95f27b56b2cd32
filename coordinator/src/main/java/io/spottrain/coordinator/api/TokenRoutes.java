package io.spottrain.coordinator.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.spottrain.coordinator.security.Role;
import io.spottrain.coordinator.security.TokenRecord;
import io.spottrain.coordinator.security.Tokens;
import io.spottrain.protocol.json.Json;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The admin's token routes: list (never a token or its hash), create (the token is shown once), revoke. */
final class TokenRoutes {
    private final Tokens tokens;

    TokenRoutes(Tokens tokens) {
        this.tokens = tokens;
    }

    void list(Context ctx) {
        reply(ctx, 200, tokens.list().stream().map(TokenRoutes::view).toList());
    }

    void create(Context ctx) {
        JsonNode body;
        try {
            body = ctx.body().isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(ctx.body());
        } catch (IOException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad token request: expected {\"name\": \"...\", \"role\": \"viewer|operator|admin\"}"));
        }
        Role role;
        try {
            role = Role.parse(body.path("role").asText(null));
        } catch (IllegalArgumentException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad token request: " + e.getMessage()));
        }
        try {
            var created = tokens.create(body.path("name").asText(null), role, HttpApi.actor(ctx));
            var out = view(created.record());
            out.put("token", created.token());
            reply(ctx, 201, out);
        } catch (Tokens.TokenException e) {
            throw new HttpApi.ApiException(e.status, ApiError.of(e.getMessage()));
        }
    }

    void revoke(Context ctx) {
        try {
            reply(ctx, 200, view(tokens.revoke(ctx.pathParam("id"), HttpApi.actor(ctx))));
        } catch (Tokens.TokenException e) {
            throw new HttpApi.ApiException(e.status, ApiError.of(e.getMessage()));
        }
    }

    private static Map<String, Object> view(TokenRecord t) {
        var m = new LinkedHashMap<String, Object>();
        m.put("id", t.id());
        m.put("name", t.name());
        m.put("role", t.role().label());
        m.put("createdAt", t.createdAt());
        m.put("createdBy", t.createdBy());
        m.put("revokedAt", t.revokedAt());
        m.put("revokedBy", t.revokedBy());
        return m;
    }

    private static void reply(Context ctx, int status, Object body) {
        ctx.status(HttpStatus.forStatus(status)).contentType("application/json").result(Json.write(body));
    }
}
