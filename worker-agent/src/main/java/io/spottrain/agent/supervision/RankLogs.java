package io.spottrain.agent.supervision;

import io.spottrain.protocol.wire.AgentProtocol;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
            byte[] buf = new byte[(int) (size - from)];
            raf.seek(from);
            raf.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8);
            if (from > 0) {
                int nl = text.indexOf('\n');
                text = nl < 0 ? "" : text.substring(nl + 1);
            }
            return answer(nodeId, m, file.toString(), size, redactor.redact(text), null);
        } catch (IOException e) {
            return answer(nodeId, m, file.toString(), 0, "", "cannot read " + file + " on node " + nodeId + ": " + e.getMessage());
        }
    }

    /**
     * What follows {@code m.from()}: whole lines only (a secret is never cut in two), {@code next}
     * after the last one; a single line longer than {@code max} is given in pieces, each holding back
     * what could be the start of a secret. An offset past the end (the file was replaced) starts again at 0.
     */
    private static AgentProtocol.RankLog follow(String nodeId, AgentProtocol.TailRankLog m, Path file, RandomAccessFile raf, long size, int max,
            Redactor redactor) throws IOException {
        long from = m.from() < 0 || m.from() > size ? 0 : m.from();
        max = Math.max(max, Math.min(AgentProtocol.MAX_LOG_BYTES, 2 * redactor.longest() + 8)); // a window always holds a whole secret
        byte[] buf = new byte[(int) Math.min(max, size - from)];
        raf.seek(from);
        raf.readFully(buf);
        String all = new String(buf, StandardCharsets.UTF_8);
        int end = all.lastIndexOf('\n') + 1;
        if (end == 0 && buf.length == max) {
            // one line longer than the window: a piece of it, short of the end by what could start a secret (or a cut
            // character), and never through a secret the piece holds
            end = redactor.safeCut(all, Math.max(1, all.length() - Math.max(4, redactor.longest() - 1)));
        }
        String text = all.substring(0, Math.min(end, all.length()));
        long next = from + text.getBytes(StandardCharsets.UTF_8).length;
        return new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), nodeId, file.toString(), size, redactor.redact(text), null, next);
    }

    private static AgentProtocol.RankLog answer(String nodeId, AgentProtocol.TailRankLog m, String file, long size, String text, String error) {
        return new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), nodeId, file, size, text, error, size);
    }
}
