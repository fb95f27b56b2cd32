package io.spottrain.coordinator.security;

import io.javalin.security.RouteRole;
import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who may call a route, as pure decisions (table-tested): the credential a request carries against
 * the role its route needs, where a browser request comes from, and what a change may be sent as.
 */
public final class Access {
    private Access() {}

    /** What a request's {@code Authorization} header amounts to. */
    public sealed interface Credential {}

    /** No {@code Authorization: Bearer} header. */
    public record Missing() implements Credential {}

    /** A header that names no valid token; {@code why} is safe to show (it never echoes the token). */
    public record Invalid(String why) implements Credential {}

    public record Valid(Principal principal) implements Credential {}

    /** The answer to a request before its handler runs. */
    public sealed interface Verdict {}

    /** Go on; {@code principal} is null on the open route. */
    public record Allowed(Principal principal) implements Verdict {}

    public record Denied(int status, String reason) implements Verdict {}

    /**
     * 401 without or with a bad token, 403 when the token's role is below the route's. A route
     * marked {@link OpenRoute} needs nothing; a route with no role at all needs {@code admin}
     * (a route someone forgot to mark is closed, not open).
     */
    public static Verdict decide(Set<? extends RouteRole> routeRoles, String route, Credential credential) {
        if (routeRoles.stream().anyMatch(r -> r instanceof OpenRoute)) return new Allowed(null);
        Role required = routeRoles.stream().filter(r -> r instanceof Role).map(r -> (Role) r).min(Role::compareTo).orElse(Role.ADMIN);
        if (credential instanceof Missing) {
            return new Denied(401, route + " needs an API token (Authorization: Bearer <token>); ./spottrain token create makes one");
        }
        if (credential instanceof Invalid i) return new Denied(401, i.why());
        Principal p = ((Valid) credential).principal();
        if (!p.role().allows(required)) {
            return new Denied(403, route + " needs role " + required.label() + "; token " + p.tokenId() + " (" + p.name() + ") is "
                    + p.role().label());
        }
        return new Allowed(p);
    }

    /**
     * A request that a browser sent from another site's page (its {@code Origin} is not this API's
     * own address) is refused: no page an operator visits may drive the API with their session.
     * Requests without {@code Origin} (the CLI, curl) pass.
     */
    public static Optional<String> originProblem(String origin, String scheme, String host) {
        if (origin == null || origin.isBlank()) return Optional.empty();
        String own = (scheme + "://" + host).toLowerCase(Locale.ROOT);
        String theirs;
        try {
            URI u = URI.create(origin.trim());
            theirs = (u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return Optional.of("refused: malformed Origin header");
        }
        if (theirs.equals(own) || theirs.equals(withDefaultPort(own))) return Optional.empty();
        return Optional.of("refused: requests from " + theirs + " are not allowed (this API is " + own + ")");
    }

    private static String withDefaultPort(String own) {
        if (own.startsWith("http://") && own.endsWith(":80")) return own.substring(0, own.length() - 3);
        if (own.startsWith("https://") && own.endsWith(":443")) return own.substring(0, own.length() - 4);
        return own;
    }

    /**
     * A change must be sent as JSON or YAML: the content types a web form or a cross-site
     * {@code fetch} without a preflight cannot send. Returns the 415 reason, or empty.
     */
    public static Optional<String> contentTypeProblem(String method, String contentType) {
        if (!method.equals("POST") && !method.equals("PUT") && !method.equals("PATCH") && !method.equals("DELETE")) return Optional.empty();
        String type = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (type.equals("application/json") || type.equals("application/yaml") || type.equals("application/x-yaml")) {
            return Optional.empty();
        }
        return Optional.of(method + " needs Content-Type application/json or application/yaml, got "
                + (type.isEmpty() ? "none" : "\"" + type + "\""));
    }
}
