package io.spottrain.coordinator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a control node is metered at: the configured price, else the shipped catalog's, else a clear error. */
class ControlPriceTest {
    static final PriceCatalog CATALOG = PriceCatalog.parse(List.of("# as-of: 2025-06-01", "# source: test", "region,instanceType,usdPerHour",
            "us-east-1,m6i.large,0.096", "eu-west-1,m6i.large,0.107"));

    @Test
    void theCatalogPriceOfTheTypeInTheRegionWithItsDate() {
        var p = ControlPrice.resolve("m6i.large", "eu-west-1", 0, CATALOG);
        assertEquals(0.107, p.usdPerHour(), 1e-12);
        assertEquals("on-demand catalog as of 2025-06-01", p.source());
        assertEquals(0.096, ControlPrice.resolve("m6i.large", "us-east-1", 0, CATALOG).usdPerHour(), 1e-12);
    }

    @Test
    void aConfiguredPriceWinsEvenForATypeTheCatalogLacks() {
        var p = ControlPrice.resolve("x9.huge", "us-east-1", 0.5, CATALOG);
        assertEquals(0.5, p.usdPerHour(), 1e-12);
        assertEquals(ControlPrice.SETTING, p.source());
    }

    @Test
    void anUnknownTypeOrABadPriceIsAnErrorNamingTheSettingToFix() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> ControlPrice.resolve("x9.huge", "us-east-1", 0, CATALOG));
        assertEquals("spottrain.coordinator.control.instance-type: x9.huge in us-east-1 is not in the shipped on-demand price catalog "
                + "(as of 2025-06-01); set spottrain.coordinator.control.price-per-hour", unknown.getMessage());
        var otherRegion = assertThrows(IllegalArgumentException.class, () -> ControlPrice.resolve("m6i.large", "ap-south-1", 0, CATALOG));
        assertTrue(otherRegion.getMessage().contains("m6i.large in ap-south-1"), otherRegion.getMessage());
        var negative = assertThrows(IllegalArgumentException.class, () -> ControlPrice.resolve("m6i.large", "us-east-1", -1, CATALOG));
        assertEquals("spottrain.coordinator.control.price-per-hour: -1.0 is below 0", negative.getMessage());
        var blank = assertThrows(IllegalArgumentException.class, () -> ControlPrice.resolve(" ", "us-east-1", 0, CATALOG));
        assertTrue(blank.getMessage().startsWith("spottrain.coordinator.control.instance-type:"), blank.getMessage());
    }

    @Test
    void theShippedCatalogIsDatedSourcedAndHasTheDefaultControlType() {
        var shipped = PriceCatalog.shipped();
        assertTrue(shipped.asOf().matches("\\d{4}-\\d{2}-\\d{2}"), shipped.asOf());
        assertTrue(!shipped.source().isBlank());
        assertEquals(0.096, shipped.onDemand("us-east-1", "m6i.large").orElseThrow(), 1e-12, "the default control node");
        assertEquals(1.006, shipped.onDemand("us-east-1", "g5.xlarge").orElseThrow(), 1e-12, "the local fleet's on-demand price");
    }

    @Test
    void aBrokenCatalogLineIsNamed() {
        var fields = assertThrows(IllegalArgumentException.class, () -> PriceCatalog.parse(List.of("# as-of: 2025-06-01", "# source: t",
                "us-east-1,m6i.large")));
        assertEquals("on-demand-prices.csv line 3: want region,instanceType,usdPerHour: us-east-1,m6i.large", fields.getMessage());
        var number = assertThrows(IllegalArgumentException.class, () -> PriceCatalog.parse(List.of("# as-of: 2025-06-01", "# source: t",
                "us-east-1,m6i.large,cheap")));
        assertEquals("on-demand-prices.csv line 3: usdPerHour 'cheap' is not a number", number.getMessage());
        var undated = assertThrows(IllegalArgumentException.class, () -> PriceCatalog.parse(List.of("us-east-1,m6i.large,0.1")));
        assertTrue(undated.getMessage().contains("as-of"), undated.getMessage());
    }
}
