package io.spottrain.coordinator.api;

/** A control node as it records itself at start: its id, cluster address, process and API. */
public record ControlNodeRecord(String id, String address, long pid, String apiUrl, String startedAt) {}
