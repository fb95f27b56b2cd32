package io.spottrain.coordinator.security;

/** Who made a request: the token's id (public, not secret), its name and role. */
public record Principal(String tokenId, String name, Role role) {
    /** How a change is attributed in a job's events, e.g. {@code alice (operator token 8f2k3m1x0q)}. */
    public String actor() {
        return name + " (" + role.label() + " token " + tokenId + ")";
    }
}
