package io.spottrain.agent.supervision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces known secret values with {@code [redacted]} in whatever the agent sends on (reasons,
 * log tails, stall reasons): the values of the agent's environment variables whose names say they
 * are secret (KEY, SECRET, TOKEN, PASSWORD, CREDENTIAL), at least 8 characters long. A rank that
 * prints a secret it was given on purpose cannot leak it into job events and API answers this way.
 */
public final class Redactor {
    public static final String MASK = "[redacted]";
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL).*");
    private static final int MIN_LENGTH = 8;

    private final List<String> secrets;

    public Redactor(List<String> secrets) {
        var s = new ArrayList<String>();
        for (String v : secrets) if (v != null && v.length() >= MIN_LENGTH && !s.contains(v)) s.add(v);
        s.sort(Comparator.comparingInt(String::length).reversed()); // a longer secret first, if one contains another
        this.secrets = List.copyOf(s);
    }

    /** The secrets of an environment (the agent's own). */
    public static Redactor of(Map<String, String> env) {
        return of(env, List.of());
    }

    /** ... and {@code more} known secret values (the node's job secrets). */
    public static Redactor of(Map<String, String> env, List<String> more) {
        var values = new ArrayList<String>(more);
        env.forEach((k, v) -> {
            if (SECRET_NAME.matcher(k).matches()) values.add(v);
        });
        return new Redactor(values);
    }

    /** The length of the longest secret (0: none): a reader that must cut a line holds back one less than this. */
    public int longest() {
        return secrets.isEmpty() ? 0 : secrets.get(0).length();
    }

    /**
     * A place at or near {@code end} to cut {@code text} where no secret in it is cut in two: before
     * a secret that spans {@code end}, or after it when it starts the text (so a reader always moves on).
     */
    public int safeCut(String text, int end) {
        for (int round = 0; round < 64; round++) {
            int moved = end;
            for (String s : secrets) {
                for (int i = text.indexOf(s); i >= 0 && i < moved; i = text.indexOf(s, i + 1)) {
                    if (i < moved && moved < i + s.length()) moved = i > 0 ? i : i + s.length();
                }
            }
            if (moved == end) return end;
            end = moved;
        }
        return end;
    }

    public String redact(String text) {
        if (text == null || secrets.isEmpty()) return text;
        String out = text;
        for (String s : secrets) if (out.contains(s)) out = out.replace(s, MASK);
        return out;
    }
}
