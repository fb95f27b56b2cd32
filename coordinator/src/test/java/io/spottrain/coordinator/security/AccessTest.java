package io.spottrain.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.javalin.security.RouteRole;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AccessTest {
    static final Principal VIEWER = new Principal("v000000000", "vic", Role.VIEWER);
    static final Principal OPERATOR = new Principal("o000000000", "alice", Role.OPERATOR);
    static final Principal ADMIN = new Principal("a000000000", "root", Role.ADMIN);

    static Stream<Arguments> decisions() {
        Access.Credential none = new Access.Missing();
        Access.Credential bad = new Access.Invalid("unknown API token x");
        return Stream.of(
                // route roles, credential, expected status (200 = allowed)
                Arguments.of(Set.of(OpenRoute.HEALTH), none, 200),
                Arguments.of(Set.of(OpenRoute.HEALTH), bad, 200),
                Arguments.of(Set.of(Role.VIEWER), none, 401),
                Arguments.of(Set.of(Role.VIEWER), bad, 401),
                Arguments.of(Set.of(Role.VIEWER), new Access.Valid(VIEWER), 200),
                Arguments.of(Set.of(Role.VIEWER), new Access.Valid(ADMIN), 200),
                Arguments.of(Set.of(Role.OPERATOR), new Access.Valid(VIEWER), 403),
                Arguments.of(Set.of(Role.OPERATOR), new Access.Valid(OPERATOR), 200),
                Arguments.of(Set.of(Role.ADMIN), new Access.Valid(OPERATOR), 403),
                Arguments.of(Set.of(Role.ADMIN), new Access.Valid(ADMIN), 200),
                // a route nobody marked is closed: admin only
                Arguments.of(Set.<RouteRole>of(), new Access.Valid(OPERATOR), 403),
                Arguments.of(Set.<RouteRole>of(), new Access.Valid(ADMIN), 200),
                Arguments.of(Set.<RouteRole>of(), none, 401));
    }

    @ParameterizedTest
    @MethodSource("decisions")
    void decide(Set<RouteRole> roles, Access.Credential credential, int status) {
        var v = Access.decide(roles, "GET /x", credential);
        assertEquals(status, v instanceof Access.Denied d ? d.status() : 200, v::toString);
    }

    static Stream<Arguments> origins() {
        return Stream.of(
                Arguments.of(null, "http", "127.0.0.1:8080", true),
                Arguments.of("", "http", "127.0.0.1:8080", true),
                Arguments.of("http://127.0.0.1:8080", "http", "127.0.0.1:8080", true),
                Arguments.of("HTTP://127.0.0.1:8080", "http", "127.0.0.1:8080", true),
                Arguments.of("http://localhost:8080", "http", "127.0.0.1:8080", false),
                Arguments.of("http://127.0.0.1:8081", "http", "127.0.0.1:8080", false),
                Arguments.of("https://127.0.0.1:8080", "http", "127.0.0.1:8080", false),
                Arguments.of("http://console.example", "http", "console.example:80", true),
                Arguments.of("null", "http", "127.0.0.1:8080", false),
                Arguments.of("http://evil.example", "http", "127.0.0.1:8080", false));
    }

    @ParameterizedTest
    @MethodSource("origins")
    void origin(String origin, String scheme, String host, boolean allowed) {
        assertEquals(allowed, Access.originProblem(origin, scheme, host).isEmpty(), () -> Access.originProblem(origin, scheme, host).toString());
    }

    static Stream<Arguments> contentTypes() {
        return Stream.of(
                Arguments.of("GET", null, true),
                Arguments.of("POST", "application/json", true),
                Arguments.of("POST", "application/json; charset=utf-8", true),
                Arguments.of("POST", "Application/YAML", true),
                Arguments.of("POST", "application/x-yaml", true),
                Arguments.of("POST", "text/plain", false),
                Arguments.of("POST", "application/x-www-form-urlencoded", false),
                Arguments.of("POST", "multipart/form-data; boundary=x", false),
                Arguments.of("POST", null, false),
                Arguments.of("DELETE", null, false));
    }

    @ParameterizedTest
    @MethodSource("contentTypes")
    void contentType(String method, String type, boolean allowed) {
        Optional<String> problem = Access.contentTypeProblem(method, type);
        assertEquals(allowed, problem.isEmpty(), problem::toString);
    }
}
