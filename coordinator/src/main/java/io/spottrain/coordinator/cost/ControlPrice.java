package io.spottrain.coordinator.cost;

/**
 * What a control node costs an hour and where that number comes from: set in the configuration, or
 * the shipped catalog's on-demand price for its instance type and region (with the catalog's date).
 */
public record ControlPrice(String instanceType, String region, double usdPerHour, String source) {

    /** The setting that sets the price (named in errors). */
    public static final String SETTING = "spottrain.coordinator.control.price-per-hour";

    /**
     * {@code configured} > 0 wins; otherwise the catalog must have the type in the region, or this
     * throws {@link IllegalArgumentException} naming the settings to fix. Pure.
     */
    public static ControlPrice resolve(String instanceType, String region, double configured, PriceCatalog catalog) {
        if (configured < 0) throw new IllegalArgumentException(SETTING + ": " + configured + " is below 0");
        if (instanceType == null || instanceType.isBlank()) {
            throw new IllegalArgumentException("spottrain.coordinator.control.instance-type: must name the control nodes' instance type");
        }
        if (configured > 0) return new ControlPrice(instanceType, region, configured, SETTING);
        return catalog.onDemand(region, instanceType)
                .map(usd -> new ControlPrice(instanceType, region, usd, "on-demand catalog as of " + catalog.asOf()))
                .orElseThrow(() -> new IllegalArgumentException("spottrain.coordinator.control.instance-type: " + instanceType + " in "
                        + region + " is not in the shipped on-demand price catalog (as of " + catalog.asOf() + "); set " + SETTING));
    }
}
