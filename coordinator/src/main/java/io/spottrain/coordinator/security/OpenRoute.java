package io.spottrain.coordinator.security;

import io.javalin.security.RouteRole;

/**
 * Marks the routes anyone may call without a token: the health check (it says nothing but "ok"),
 * the console's login (it takes a token in its body) and the console's static page and scripts
 * (they hold no data: every read they make is an API call with the session).
 */
public enum OpenRoute implements RouteRole {
    HEALTH,
    LOGIN,
    CONSOLE
}
