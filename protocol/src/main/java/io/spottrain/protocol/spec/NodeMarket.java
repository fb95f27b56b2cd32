package io.spottrain.protocol.spec;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** The market a machine was bought on. Spot machines can be taken back; on-demand ones are not. JSON: the label. */
public enum NodeMarket {
    SPOT("spot"),
    ON_DEMAND("on-demand");

    private final String label;

    NodeMarket(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    public static Optional<NodeMarket> fromLabel(String label) {
        return Arrays.stream(values()).filter(m -> m.label.equalsIgnoreCase(label)).findFirst();
    }
}
