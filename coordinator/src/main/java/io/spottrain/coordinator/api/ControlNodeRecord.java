package io.spottrain.coordinator.api;

/**
 * A control node as it records itself at start: its id, cluster address, process and API, when it
 * started, and the machine it is metered as (instance type, region, on-demand price per hour; absent
 * in records stored before control nodes were metered).
 */
public record ControlNodeRecord(String id, String address, long pid, String apiUrl, String startedAt, String instanceType, String zone,
        double pricePerHour) {}
