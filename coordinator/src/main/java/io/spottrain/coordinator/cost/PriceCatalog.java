package io.spottrain.coordinator.cost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The shipped on-demand price catalog ({@code on-demand-prices.csv} beside this class): USD per hour
 * by region and instance type, with the date it was recorded and its source, for machines whose
 * price nobody reports (control nodes). Prices change: every report that uses one can say as of when.
 */
public record PriceCatalog(String asOf, String source, Map<String, Double> prices) {
    private static final String RESOURCE = "on-demand-prices.csv";

    public PriceCatalog {
        prices = Map.copyOf(prices);
    }

    /** The catalog this build ships. */
    public static PriceCatalog shipped() {
        var in = PriceCatalog.class.getResourceAsStream(RESOURCE);
        if (in == null) throw new IllegalStateException("the price catalog " + RESOURCE + " is missing from the build");
        try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return parse(r.lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses the catalog's lines: {@code # as-of:} and {@code # source:} comments, a header, then {@code region,type,usdPerHour}. */
    static PriceCatalog parse(Iterable<String> lines) {
        String asOf = null;
        String source = null;
        var prices = new TreeMap<String, Double>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.startsWith("# as-of:")) asOf = line.substring("# as-of:".length()).strip();
            if (line.startsWith("# source:")) source = line.substring("# source:".length()).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("region,")) continue;
            String[] f = line.split(",");
            if (f.length != 3) throw new IllegalArgumentException(RESOURCE + " line " + n + ": want region,instanceType,usdPerHour: " + line);
            double usd;
            try {
                usd = Double.parseDouble(f[2].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(RESOURCE + " line " + n + ": usdPerHour '" + f[2].strip() + "' is not a number");
            }
            if (!(usd > 0)) throw new IllegalArgumentException(RESOURCE + " line " + n + ": usdPerHour must be above 0");
            prices.put(key(f[0].strip(), f[1].strip()), usd);
        }
        if (asOf == null || source == null) throw new IllegalArgumentException(RESOURCE + ": needs '# as-of:' and '# source:' lines");
        return new PriceCatalog(asOf, source, prices);
    }

    /** The on-demand price of {@code instanceType} in {@code region}, if the catalog has it. */
    public Optional<Double> onDemand(String region, String instanceType) {
        return Optional.ofNullable(prices.get(key(region, instanceType)));
    }

    private static String key(String region, String type) {
        return region + "/" + type;
    }
}
