package io.spottrain.coordinator.cost;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A spending limit: what {@code selector} selects (jobs with a label {@code key=value}, or one job)
 * may cost at most {@code limitUsd} per {@code period} (UTC days or months); past it, {@code action}.
 */
public record Budget(String name, Selector selector, double limitUsd, Period period, Action action) {

    /** Jobs with label {@code labelKey=labelValue}, or the job {@code jobId} (one of the two). */
    public record Selector(String labelKey, String labelValue, String jobId) {
        public boolean matches(String job, Map<String, String> labels) {
            if (jobId != null) return jobId.equals(job);
            return labels != null && labelValue.equals(labels.get(labelKey));
        }

        @Override
        public String toString() {
            return jobId != null ? "job " + jobId : "label " + labelKey + "=" + labelValue;
        }
    }

    public enum Period {
        DAILY, MONTHLY;

        /** The start (UTC) of the period that holds {@code now}. */
        public Instant start(Instant now) {
            LocalDate d = now.atZone(ZoneOffset.UTC).toLocalDate();
            return (this == DAILY ? d : d.withDayOfMonth(1)).atStartOfDay(ZoneOffset.UTC).toInstant();
        }

        @JsonValue
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Action {
        /** A warning in the log and the budget's status: nothing else changes. */
        ALERT("alert"),
        /** Also: the autoscaler adds no node for jobs the budget selects while it is exceeded (they still run on what is free). */
        BLOCK_SCALE_UP("block-scale-up"),
        /**
         * Also (on top of block-scale-up): the {@code low}-priority jobs it selects are requeued (every rank checkpoints,
         * every node goes back) and held out of placement until it is within its limit again (a new period); jobs of
         * other classes run on.
         */
        STOP_LOW_PRIORITY("stop-low-priority");

        private final String label;

        Action(String label) {
            this.label = label;
        }

        @JsonValue
        public String label() {
            return label;
        }

        public static Optional<Action> fromLabel(String s) {
            for (Action a : values()) if (a.label.equals(s)) return Optional.of(a);
            return Optional.empty();
        }
    }
}
