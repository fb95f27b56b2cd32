package io.spottrain.agent.supervision;

import io.spottrain.protocol.wire.AgentProtocol;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * Reads the end of a rank's output for {@link AgentProtocol.TailRankLog}: at most the bytes asked
 * (capped), from the first whole line on (a secret cut in half at the start is dropped, not shown
 * half-masked), with every secret the agent knows masked. Job ids name files here, so one that is
 * not a plain label is refused.
 */
public final class RankLogs {
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][-A-Za-z0-9_.]{0,127}");

    private RankLogs() {}

    public static AgentProtocol.RankLog read(String nodeId, ProcessSupervisor supervisor, AgentProtocol.TailRankLog m, Redactor redactor) {
        if (!JOB_ID.matcher(m.jobId()).matches() || m.jobId().contains("..")) {
            return answer(nodeId, m, "", 0, "", "not a job id: " + m.jobId());
        }
        Path dir = supervisor.logDir().toAbsolutePath().normalize();
        Path file = supervisor.logFile(m.jobId(), m.generation(), m.rank());
        if (m.file() != null && !m.file().isBlank()) {
            Path reported = Path.of(m.file()).toAbsolutePath().normalize();
            if (!reported.startsWith(dir) || reported.equals(dir)) {
                return answer(nodeId, m, m.file(), 0, "", "not a rank log of node " + nodeId + ": " + m.file());
            }
            file = reported; // a rank re-formed in place writes on to its first generation's file
        }
        return read(nodeId, file, m, redactor);
    }

    static AgentProtocol.RankLog read(String nodeId, Path file, AgentProtocol.TailRankLog m, Redactor redactor) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) { // a link a rank planted is no log: never followed
            return answer(nodeId, m, file.toString(), 0, "", "node " + nodeId + " has no output of job " + m.jobId() + " generation "
                    + m.generation() + " rank " + m.rank() + " (" + file + ")");
        }
        int max = Math.max(1, Math.min(m.maxBytes(), AgentProtocol.MAX_LOG_BYTES));
        try (var raf = new RandomAccessFile(file.toFile(), "r")) { // (a race that swaps in a link now is bounded to the rank's own user's files)
            long size = raf.length();
            if (m.from() != null) return follow(nodeId, m, file, raf, size, max, redactor);
            long from = Math.max(0, size - max);
            // read from where a secret that spans the window's start begins (and the byte before it: a line's end, or not)
            long context = Math.max(0, from - Math.max(1, redactor.longestBytes()));
            byte[] buf = new byte[(int) (size - context)];
            raf.seek(context);
            raf.readFully(buf);
            int start = (int) (from - context);
            if (from > 0) { // from the first whole line after the rest of any secret that began before the window (a PEM key)
                start = redactor.safeStart(buf, buf.length, start);
                if (start < buf.length && buf[start - 1] != '\n') {
                    int nl = indexOfNewline(buf, start, buf.length);
                    start = nl < 0 ? buf.length : nl + 1;
                }
            }
            // a line still being written is shown up to where a secret may be starting in it (next: where to follow on)
            int end = Math.max(start, redactor.safeCut(buf, buf.length, buf.length));
            String text = new String(buf, start, end - start, StandardCharsets.UTF_8);
            return new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), nodeId, file.toString(), size, redactor.redact(text), null,
                    context + end);
        } catch (IOException e) {
            return answer(nodeId, m, file.toString(), 0, "", "cannot read " + file + " on node " + nodeId + ": " + e.getMessage());
        }
    }

    /** A file not written for this long has its last line complete even without a newline (the rank is done). */
    static final Duration QUIET = Duration.ofSeconds(2);

    /**
     * What follows {@code m.from()} (bytes): whole lines only, {@code next} after the last one (the
     * last line of a file quiet for {@link #QUIET} counts as whole); a line longer than the window
     * comes in pieces, each short of its end by what could be the start of a secret; never through a
     * secret ({@link Redactor#safeCut}). The window holds at least twice the longest secret. An offset
     * past the end (the file was replaced) starts again at 0.
     */
    private static AgentProtocol.RankLog follow(String nodeId, AgentProtocol.TailRankLog m, Path file, RandomAccessFile raf, long size, int max,
            Redactor redactor) throws IOException {
        long from = m.from() < 0 || m.from() > size ? 0 : m.from();
        int window = Math.max(max, Math.min(AgentProtocol.MAX_LOG_BYTES, 2 * redactor.longestBytes() + 8));
        byte[] buf = new byte[(int) Math.min(window, size - from)];
        raf.seek(from);
        raf.readFully(buf);
        int end = lastIndexOfNewline(buf) + 1;
        boolean atEof = from + buf.length == size;
        if (atEof && buf.length > end && quiet(file)) {
            end = buf.length; // the rank is done writing: its last line is whole
        } else if (end == 0 && buf.length == window) {
            end = Math.max(1, buf.length - Math.max(4, redactor.longestBytes() - 1)); // one very long line: a piece of it
        }
        end = redactor.safeCut(buf, buf.length, end);
        String text = new String(buf, 0, end, StandardCharsets.UTF_8);
        return new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), nodeId, file.toString(), size, redactor.redact(text), null, from + end);
    }

    private static boolean quiet(Path file) {
        try {
            return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(Instant.now().minus(QUIET));
        } catch (IOException e) {
            return false;
        }
    }

    private static int indexOfNewline(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) if (buf[i] == '\n') return i;
        return -1;
    }

    private static int lastIndexOfNewline(byte[] buf) {
        for (int i = buf.length - 1; i >= 0; i--) if (buf[i] == '\n') return i;
        return -1;
    }

    private static AgentProtocol.RankLog answer(String nodeId, AgentProtocol.TailRankLog m, String file, long size, String text, String error) {
        return new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), nodeId, file, size, text, error, size);
    }
}
