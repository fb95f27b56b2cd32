package io.spottrain.protocol.spec;

import java.util.Arrays;
import java.util.Optional;

/** Where a job's workers may run. The wire and YAML form is the lower-case, dashed {@link #label()}. */
public enum Market {
    SPOT("spot"),
    ON_DEMAND("on-demand"),
    SPOT_WITH_FALLBACK("spot-with-fallback");

    private final String label;

    Market(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Optional<Market> fromLabel(String label) {
        return Arrays.stream(values()).filter(m -> m.label.equals(label)).findFirst();
    }

    /**
     * Can a node on {@code nodeMarket} run a worker of this placement? Reserved capacity takes every job: it is paid for
     * already (so a Spot job loses nothing there) and never taken back (so an on-demand job keeps its guarantee).
     */
    public boolean admits(NodeMarket nodeMarket) {
        if (nodeMarket == NodeMarket.RESERVED) return true;
        return switch (this) {
            case SPOT -> nodeMarket == NodeMarket.SPOT;
            case ON_DEMAND -> nodeMarket == NodeMarket.ON_DEMAND;
            case SPOT_WITH_FALLBACK -> true;
        };
    }
}
