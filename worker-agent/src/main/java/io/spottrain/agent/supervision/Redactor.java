package io.spottrain.agent.supervision;

import java.nio.charset.StandardCharsets;
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
    /** The secrets as UTF-8 bytes: a log is cut by bytes. */
    private final List<byte[]> secretBytes;

    public Redactor(List<String> secrets) {
        var s = new ArrayList<String>();
        for (String v : secrets) if (v != null && v.length() >= MIN_LENGTH && !s.contains(v)) s.add(v);
        s.sort(Comparator.comparingInt(String::length).reversed()); // a longer secret first, if one contains another
        this.secrets = List.copyOf(s);
        this.secretBytes = this.secrets.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
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

    /** The longest secret in UTF-8 bytes (0: none): a window of a log holds twice this, so a whole secret fits in it. */
    public int longestBytes() {
        return secretBytes.stream().mapToInt(b -> b.length).max().orElse(0);
    }

    /**
     * Where to cut the first {@code len} bytes of {@code buf} at or before {@code end} (a line end, or a
     * piece of a long line) so that what is shown never holds part of a secret: before a secret that
     * spans {@code end} (after it, when it starts the buffer: a reader always moves on), and before the
     * start of a secret that the shown part ends with (a secret being written, one that goes on past
     * the window, or one with a newline in it, such as a PEM key). The cut is on a UTF-8 character boundary.
     */
    public int safeCut(byte[] buf, int len, int end) {
        for (int round = 0; round < 64; round++) {
            int moved = end;
            for (byte[] s : secretBytes) {
                for (int i = indexOf(buf, len, s, 0); i >= 0 && i < moved; i = indexOf(buf, len, s, i + 1)) {
                    if (moved < i + s.length) moved = i > 0 ? i : i + s.length;
                }
                // the shown part ends with the start of this secret (its rest is not here yet, or past the window)
                for (int k = Math.min(s.length - 1, moved); k > 0; k--) {
                    if (moved - k >= 0 && moved - k + s.length > len && startsWith(buf, moved - k, s, k)) {
                        moved = moved - k;
                        break;
                    }
                }
            }
            if (moved == end) break;
            end = moved;
        }
        while (end > 0 && end < len && (buf[end] & 0xC0) == 0x80) end--; // not inside a character
        return end;
    }

    /**
     * Where a window may start at or after {@code start} of {@code buf} without showing the rest of a secret that began
     * before it (one with a newline in it, such as a PEM key, is not caught by starting at a whole line): after every secret
     * that spans {@code start}. The caller reads {@link #longestBytes()} bytes before the window, so that such a secret's
     * start is in {@code buf}.
     */
    public int safeStart(byte[] buf, int len, int start) {
        for (int round = 0; round < 64; round++) {
            int moved = start;
            for (byte[] s : secretBytes) {
                for (int i = indexOf(buf, len, s, Math.max(0, moved - s.length + 1)); i >= 0 && i < moved; i = indexOf(buf, len, s, i + 1)) {
                    if (i + s.length > moved) moved = i + s.length;
                }
            }
            if (moved == start) break;
            start = moved;
        }
        return start;
    }

    private static int indexOf(byte[] buf, int len, byte[] s, int from) {
        outer:
        for (int i = Math.max(0, from); i + s.length <= len; i++) {
            for (int j = 0; j < s.length; j++) if (buf[i + j] != s[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** Whether {@code buf[at, at+k)} is the first {@code k} bytes of {@code s}. */
    private static boolean startsWith(byte[] buf, int at, byte[] s, int k) {
        for (int j = 0; j < k; j++) if (buf[at + j] != s[j]) return false;
        return true;
    }

    public String redact(String text) {
        if (text == null || secrets.isEmpty()) return text;
        String out = text;
        for (String s : secrets) if (out.contains(s)) out = out.replace(s, MASK);
        return out;
    }
}
