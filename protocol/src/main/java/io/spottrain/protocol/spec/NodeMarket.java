package io.spottrain.protocol.spec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/**
 * The market a machine was bought on. Spot machines can be taken back; on-demand and reserved ones are not. A reserved
 * machine's hours are paid by a commitment made ahead (a reservation, a savings plan, machines a team owns): it costs
 * nothing more to use and saves nothing to give back. JSON: the label.
 */
public enum NodeMarket {
    SPOT("spot"),
    ON_DEMAND("on-demand"),
    RESERVED("reserved");

    private final String label;

    NodeMarket(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    /** Whether the provider may take a machine of this market back (a notice, or none). */
    public boolean interruptible() {
        return this == SPOT;
    }

    /**
     * Where a worker goes first, lowest first: reserved (already paid, never taken back), then Spot (cheap), then on-demand
     * (the full price). Giving nodes back goes the other way.
     */
    public int preference() {
        return switch (this) {
            case RESERVED -> 0;
            case SPOT -> 1;
            case ON_DEMAND -> 2;
        };
    }

    public static Optional<NodeMarket> fromLabel(String label) {
        return Arrays.stream(values()).filter(m -> m.label.equalsIgnoreCase(label)).findFirst();
    }
}
