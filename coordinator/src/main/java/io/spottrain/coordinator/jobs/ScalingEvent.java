package io.spottrain.coordinator.jobs;

/**
 * One resize request, accepted or not (Nomad's scaling event): when, at which generation, the
 * desired worker count before ({@code from}) and asked for ({@code to}), the world size running
 * then, the operator's message, who asked (the token's name, role and id), from where, what came
 * of it, and why when refused.
 */
public record ScalingEvent(String at, long generation, int from, int to, int running, String message, String actor,
        ScalingSource source, ScalingOutcome outcome, String reason) {}
