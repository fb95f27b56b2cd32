package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.membership.NodeRecord;
import io.spottrain.coordinator.scheduling.PoolRisks;
import io.spottrain.protocol.spec.NodeMarket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The Spot node lives the pools' interruption risks ({@link PoolRisks}) are estimated from: the ended ones in the
 * window (from the stored node history when the job manager starts, then as lives end) plus the live ones. The
 * estimate is recomputed when a Spot life ends, else at most once a minute (live lives only add hours).
 * Not thread-safe: the job manager's.
 */
final class SpotRiskBook {
    private static final Duration REFRESH = Duration.ofMinutes(1);

    private Duration window = Duration.ofDays(7);
    private PoolRisks.Priors prior = PoolRisks.Priors.of(0);
    private final List<NodeRecord> ended = new ArrayList<>();
    private PoolRisks cached;
    private Instant cachedAt;

    void configure(Duration window, PoolRisks.Priors prior) {
        this.window = window;
        this.prior = prior;
        cached = null;
    }

    /** Lives that ended before this job manager started (the stored history). */
    void ended(List<NodeRecord> stored) {
        stored.forEach(this::onChange);
    }

    /** A node record changed (the history hears every change). */
    void onChange(NodeRecord n) {
        if (n.info().market() != NodeMarket.SPOT) return;
        if (n.terminatedAt() == null) return; // a new life adds no hours yet; live hours are counted at each refresh
        ended.add(n);
        cached = null;
    }

    /** The risks as of {@code now}, the live nodes ({@code live}) counted up to now. */
    PoolRisks risks(Supplier<List<NodeRecord>> live, Instant now) {
        if (cached != null && cachedAt.plus(REFRESH).isAfter(now)) return cached;
        Instant from = now.minus(window);
        ended.removeIf(n -> Instant.parse(n.terminatedAt()).isBefore(from));
        var lives = new ArrayList<>(ended);
        lives.addAll(live.get());
        cached = PoolRisks.from(lives, now, window, prior);
        cachedAt = now;
        return cached;
    }
}
