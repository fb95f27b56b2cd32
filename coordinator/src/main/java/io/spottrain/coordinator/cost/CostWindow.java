package io.spottrain.coordinator.cost;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** A report's time window {@code [from, to)}: {@code 1d | 7d | 30d | Nh} back from now, or {@code FROM..TO} (instants or UTC dates). */
public record CostWindow(Instant from, Instant to) {

    public static final String FORMS = "1d, 7d, 30d, Nd or Nh (back from now), or FROM..TO (ISO-8601 instants or dates, UTC)";

    /** Parses {@code w} (null or blank: 30d). Throws {@link IllegalArgumentException} naming the accepted forms. */
    public static CostWindow parse(String w, Instant now) {
        String s = w == null || w.isBlank() ? "30d" : w.trim();
        int dots = s.indexOf("..");
        if (dots >= 0) {
            Instant from = instant(s.substring(0, dots), false);
            Instant to = instant(s.substring(dots + 2), true);
            if (!to.isAfter(from)) throw new IllegalArgumentException("window: " + s + " ends before it starts");
            return new CostWindow(from, to);
        }
        try {
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            if (n <= 0) throw new NumberFormatException();
            Duration d = switch (s.charAt(s.length() - 1)) {
                case 'd' -> Duration.ofDays(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
            return new CostWindow(now.minus(d), now);
        } catch (NumberFormatException | StringIndexOutOfBoundsException | ArithmeticException | DateTimeException e) {
            throw new IllegalArgumentException("window: '" + s + "' is not one of " + FORMS);
        }
    }

    private static Instant instant(String s, boolean end) {
        try {
            return Instant.parse(s.trim());
        } catch (DateTimeParseException e) {
            try {
                LocalDate d = LocalDate.parse(s.trim());
                return (end ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant(); // a date's whole day
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("window: '" + s.trim() + "' is neither an ISO-8601 instant nor a date (" + FORMS + ")");
            }
        }
    }
}
