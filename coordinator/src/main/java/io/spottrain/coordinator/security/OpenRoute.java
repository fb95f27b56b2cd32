package io.spottrain.coordinator.security;

import io.javalin.security.RouteRole;

/**
 * Marks the routes anyone may call without a token: the health check (it says nothing but "ok")
 * and the console's login (it takes a token in its body).
 */
public enum OpenRoute implements RouteRole {
    HEALTH,
    LOGIN
}
