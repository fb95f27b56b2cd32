package io.spottrain.coordinator.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Browser sessions of the console: a login with an API token gets a random session id (sent back
 * only as an HttpOnly, SameSite=Strict cookie) and a CSRF token (sent back in the body, for the
 * page to echo in {@code X-CSRF-Token} on every change). A session is as good as its token: it
 * ends when the token is revoked, at logout, or after {@link #TTL}. Kept in memory on the control
 * node that served the login (a console that loses it logs in again).
 */
public final class Sessions {
    public static final String COOKIE = "spottrain_session";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    public static final Duration TTL = Duration.ofHours(12);
    /** Sessions kept at most (the oldest go first): a login flood cannot exhaust memory. */
    static final int MAX = 10_000;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** One session: whose token, its CSRF token, when it expires. */
    public record Session(String id, String tokenId, String csrf, Instant expires) {}

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Clock clock;

    public Sessions(Clock clock) {
        this.clock = clock;
    }

    public Session open(Principal p) {
        if (sessions.size() >= MAX) {
            sessions.values().stream().min((a, b) -> a.expires().compareTo(b.expires())).ifPresent(s -> sessions.remove(s.id()));
        }
        var s = new Session(random(), p.tokenId(), random(), clock.instant().plus(TTL));
        sessions.put(s.id(), s);
        return s;
    }

    /** The live session of a cookie value, if any (an expired one is dropped). */
    public Optional<Session> find(String cookie) {
        if (cookie == null || cookie.isBlank()) return Optional.empty();
        Session s = sessions.get(cookie);
        if (s == null) return Optional.empty();
        if (clock.instant().isAfter(s.expires())) {
            sessions.remove(cookie);
            return Optional.empty();
        }
        return Optional.of(s);
    }

    public void close(String cookie) {
        if (cookie != null) sessions.remove(cookie);
    }

    /** Constant-time check of the page's CSRF header against the session's token. */
    public static boolean csrfMatches(Session s, String header) {
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), s.csrf().getBytes(StandardCharsets.UTF_8));
    }

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
