package io.spottrain.coordinator.jobs;

import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A job's progress over time (step, world size, loss), what the console charts: two rings of
 * fixed size in the store (table {@code SERIES}), so what a job stores never grows with its age and
 * a point costs one small put. The fine ring holds a point per {@link Ring#FINE} interval (10 s)
 * for the last 4 hours, the coarse ring one per {@link Ring#COARSE} interval (5 min) for the last
 * 48 hours. A point's slot is its time: {@code seq = epochSeconds / interval}, key
 * {@code <job>#<ring><seq mod slots>}, so a job manager that takes over writes where its
 * predecessor would have, with no bookkeeping; a slot still holding an older lap is told apart by
 * the point's own {@code seq}. Pure, apart from reading the store.
 */
public final class ProgressSeries {

    private ProgressSeries() {}

    /** One ring: how often it takes a point and how many it keeps. */
    public enum Ring {
        FINE('f', 10, 1440),
        COARSE('c', 300, 576);

        final char tag;
        public final long seconds;
        final int slots;

        Ring(char tag, long seconds, int slots) {
            this.tag = tag;
            this.seconds = seconds;
            this.slots = slots;
        }

        long seq(long epochSecond) {
            return epochSecond / seconds;
        }

        String key(String job, long seq) {
            return job + "#" + tag + String.format(Locale.ROOT, "%05d", seq % slots);
        }
    }

    /** One point: {@code t} epoch seconds, {@code at} the same as an instant. */
    public record Point(long seq, long t, String at, long generation, int worldSize, long step, Double loss) {}

    /**
     * The puts for a rank-0 report at {@code now}: a point in each ring whose current slot the job
     * has not written yet ({@code written[ring]} is the newest seq it wrote, updated here).
     */
    static List<StateStore.Put> due(Job job, Instant now, long[] written) {
        var puts = new ArrayList<StateStore.Put>();
        for (Ring r : Ring.values()) {
            long seq = r.seq(now.getEpochSecond());
            if (seq <= written[r.ordinal()]) continue;
            written[r.ordinal()] = seq;
            var t = job.training();
            var p = new Point(seq, now.getEpochSecond(), now.toString(), job.generation(), job.worldSize(), t.step(),
                    Double.isNaN(t.loss()) ? null : t.loss());
            puts.add(new StateStore.Put(Table.SERIES, r.key(job.id(), seq), Json.write(p)));
        }
        return puts;
    }

    /**
     * The job's points newer than {@code after} (epoch seconds; 0: all), oldest first: the fine
     * ring's for its window, the coarse ring's for the time before it.
     */
    public static List<Point> read(StateStore store, String job, long after, Instant now) {
        long nowSec = now.getEpochSecond();
        var fine = points(store, job, Ring.FINE, after, nowSec);
        long fineFrom = (Ring.FINE.seq(nowSec) - Ring.FINE.slots + 1) * Ring.FINE.seconds;
        long firstFine = fine.isEmpty() ? Long.MAX_VALUE : fine.get(0).t();
        var out = new ArrayList<Point>();
        for (Point p : points(store, job, Ring.COARSE, after, nowSec)) if (p.t() < Math.max(fineFrom, Math.min(firstFine, nowSec))) out.add(p);
        out.addAll(fine);
        return out;
    }

    private static List<Point> points(StateStore store, String job, Ring r, long after, long nowSec) {
        long newest = r.seq(nowSec);
        long oldest = Math.max(newest - r.slots + 1, after <= 0 ? 0 : r.seq(after));
        var keys = new ArrayList<String>();
        for (long s = oldest; s <= newest; s++) keys.add(r.key(job, s));
        var out = new ArrayList<Point>();
        for (Map.Entry<String, String> e : store.getAll(Table.SERIES, keys).entrySet()) {
            Point p = JobDocument.readValue(e.getValue(), Point.class);
            if (p.seq() >= oldest && p.seq() <= newest && p.t() > after) out.add(p); // an older lap's point is not this window's
        }
        out.sort(Comparator.comparingLong(Point::t));
        return out;
    }
}
