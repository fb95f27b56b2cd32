package io.spottrain.coordinator.autoscale;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.spottrain.coordinator.autoscale.Autoscaler.Event;
import io.spottrain.coordinator.autoscale.Autoscaler.Launching;
import io.spottrain.protocol.json.Json;
import java.util.List;

/**
 * What the autoscaler keeps in the state store, so that a job manager taking over on another control
 * node goes on where this one stopped: when the fleet last grew (for the queue, for a minimum) and shrank (the cooldowns run on),
 * its last decisions (for {@code autoscaler status}) and the launches not registered yet (capacity
 * in flight, never asked for twice). One small document, rewritten when any of it changes.
 */
public record AutoscalerState(int schema, String lastUp, String lastDown, String lastFloor, List<Event> decisions, List<Launching> inFlight,
        List<Long> provisioningMs) {
    public static final int SCHEMA = 1;
    /** Its key in {@code Table.AUTOSCALER}. */
    public static final String KEY = "state";

    public AutoscalerState {
        decisions = decisions == null ? List.of() : List.copyOf(decisions);
        inFlight = inFlight == null ? List.of() : List.copyOf(inFlight);
        provisioningMs = provisioningMs == null ? List.of() : List.copyOf(provisioningMs);
    }

    public String json() {
        return Json.write(this);
    }

    /** The stored document; a newer schema than this build knows is refused (its fields may mean something else). */
    public static AutoscalerState parse(String json) throws JsonProcessingException {
        var s = Json.MAPPER.readValue(json, AutoscalerState.class);
        if (s.schema() > SCHEMA) throw new IllegalArgumentException("stored by a newer build (schema " + s.schema() + " > " + SCHEMA + ")");
        return s;
    }
}
