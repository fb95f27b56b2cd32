package io.spottrain.coordinator.security;

import io.javalin.security.RouteRole;

/** Marks the one route anyone may call without a token: the health check (it says nothing but "ok"). */
public enum OpenRoute implements RouteRole {
    HEALTH
}
