package io.spottrain.coordinator.scheduling;

import io.spottrain.coordinator.membership.NodeEnd;
import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * The Spot interruption risk of each pool (instance type x zone, where EC2 prices and reclaims Spot capacity), in
 * interruptions per node-hour: {@code (k + 1) / (h + 1/prior)} over the pool's Spot node lives in a window, k of them
 * {@link NodeEnd#INTERRUPTED}, h node-hours in all (live ones up to now). The prior counts as one interruption per
 * {@code 1/prior} node-hours, so a pool seen for an hour is neither trusted to be safe nor condemned by one loss; as
 * node-hours accumulate the observations dominate. The same estimator as the auto checkpoint interval's. Pure and
 * immutable: the job manager computes one from its node lives at each decision, the API from the stored history.
 */
public final class PoolRisks {

    /** Where EC2 prices and reclaims Spot capacity. */
    public record Pool(String instanceType, String zone) {
        public String label() {
            return instanceType + " in " + zone;
        }
    }

    /** A pool's estimate and what it rests on; {@code gpus}: its instance type's GPUs per node. */
    public record Risk(double perNodeHour, int interruptions, double nodeHours, int gpus) {
        public String describe() {
            return String.format(Locale.ROOT, "%.3f interruptions per node-hour (%d in %.1f node-hours)", perNodeHour, interruptions, nodeHours);
        }
    }

    /**
     * The prior of each Spot instance type: {@code byType} where a named capacity pool of the autoscaling policy sets one
     * ({@code interruptionPrior}), else {@code otherwise} (the cluster's, or a catch-all Spot pool's).
     */
    public record Priors(double otherwise, Map<String, Double> byType) {
        public Priors {
            byType = Map.copyOf(byType);
        }

        public static Priors of(double prior) {
            return new Priors(prior, Map.of());
        }

        public double of(String instanceType) {
            return instanceType == null ? otherwise : byType.getOrDefault(instanceType, otherwise);
        }
    }

    /** Nothing observed and no prior: every pool's risk is 0 (tests, and placement where risk does not apply). */
    public static final PoolRisks NONE = new PoolRisks(Map.of(), Priors.of(0));

    private final Map<Pool, Risk> observed;
    private final Priors priors;

    private PoolRisks(Map<Pool, Risk> observed, Priors priors) {
        this.observed = Map.copyOf(observed);
        this.priors = priors;
    }

    /** Interruptions per node-hour from {@code events} in {@code nodeHours}, with one pseudo-event per {@code 1/prior} node-hours. */
    public static double perNodeHour(int events, double nodeHours, double prior) {
        if (prior <= 0) return 0;
        return (events + 1.0) / (nodeHours + 1.0 / prior);
    }

    /**
     * The risks from these node lives (any market; only Spot ones count) as of {@code now}: the part of each life inside
     * {@code window} counts, and an interruption when it ended inside it.
     */
    public static PoolRisks from(List<NodeRecord> lives, Instant now, Duration window, double prior) {
        return from(lives, now, window, Priors.of(prior));
    }

    /** As above, with a prior per instance type. */
    public static PoolRisks from(List<NodeRecord> lives, Instant now, Duration window, Priors priors) {
        Instant from = now.minus(window);
        var hours = new HashMap<Pool, Double>();
        var events = new HashMap<Pool, Integer>();
        var gpus = new HashMap<Pool, Integer>();
        for (NodeRecord n : lives) {
            if (n.info().market() != NodeMarket.SPOT || n.registeredAt() == null) continue;
            Instant start = Instant.parse(n.registeredAt());
            Instant end = n.terminatedAt() == null ? now : Instant.parse(n.terminatedAt());
            if (end.isBefore(from)) continue;
            if (start.isBefore(from)) start = from;
            var pool = new Pool(n.info().instanceType(), n.info().zone());
            hours.merge(pool, Math.max(0, Duration.between(start, end).toMillis()) / 3_600_000.0, Double::sum);
            events.merge(pool, n.terminatedAt() != null && n.end() == NodeEnd.INTERRUPTED ? 1 : 0, Integer::sum);
            gpus.put(pool, n.info().gpus());
        }
        var out = new HashMap<Pool, Risk>();
        hours.forEach((pool, h) -> {
            int k = events.getOrDefault(pool, 0);
            out.put(pool, new Risk(perNodeHour(k, h, priors.of(pool.instanceType())), k, h, gpus.getOrDefault(pool, 0)));
        });
        return new PoolRisks(out, priors);
    }

    /** A pool's risk: what was observed, else the prior alone (a pool never seen). */
    public Risk risk(String instanceType, String zone) {
        var r = observed.get(new Pool(instanceType, zone));
        return r != null ? r : new Risk(perNodeHour(0, 0, priors.of(instanceType)), 0, 0, 0);
    }

    /** The risk a node of this market, type and zone runs: its pool's for Spot, 0 for any other market. */
    public double of(NodeMarket market, String instanceType, String zone) {
        return market == NodeMarket.SPOT ? risk(instanceType, zone).perNodeHour() : 0;
    }

    /** The node's risk (see {@link #of(NodeMarket, String, String)}). */
    public double of(NodeRecord n) {
        return of(n.info().market(), n.info().instanceType(), n.info().zone());
    }

    /**
     * Whether no Spot pool a job could use ({@code fits}: instance type, GPUs per node) is known to be within {@code max}:
     * none seen in the window is at or below it, and either some were seen or a pool never seen (the prior alone) is riskier
     * too (of the types with a prior of their own, one the job could use; a type's GPUs per node are not known before it was
     * seen, so such a type is taken to have enough). A Spot launch for such a job most likely gives it nothing.
     */
    public boolean noPoolWithin(double max, BiPredicate<String, Integer> fits) {
        return noPoolWithin(max, fits, List.of());
    }

    /**
     * As above for a job pinned to {@code pinned} instance types (empty: any): a type without a prior of its own stands for
     * the cluster's prior only when the job could use such a type.
     */
    public boolean noPoolWithin(double max, BiPredicate<String, Integer> fits, List<String> pinned) {
        var seen = observed.entrySet().stream().filter(e -> fits.test(e.getKey().instanceType(), e.getValue().gpus())).toList();
        if (seen.stream().anyMatch(e -> e.getValue().perNodeHour() <= max)) return false;
        if (!seen.isEmpty()) return true;
        boolean others = pinned.isEmpty() || pinned.stream().anyMatch(t -> !priors.byType().containsKey(t));
        double unseen = priors.byType().entrySet().stream().filter(e -> fits.test(e.getKey(), Integer.MAX_VALUE))
                .mapToDouble(Map.Entry::getValue).reduce(others ? priors.otherwise() : Double.MAX_VALUE, Math::min);
        return unseen == Double.MAX_VALUE || perNodeHour(0, 0, unseen) > max;
    }

    /** Every pool with Spot lives in the window. */
    public Map<Pool, Risk> pools() {
        return observed;
    }

    /** The prior of a Spot type no named pool sets one for. */
    public double prior() {
        return priors.otherwise();
    }

    /** Whether this Spot type's risk is estimated at all (a prior of 0 turns it off). */
    public boolean estimated(String instanceType) {
        return priors.of(instanceType) > 0;
    }
}
