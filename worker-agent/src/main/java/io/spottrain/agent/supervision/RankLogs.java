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

    private static AgentProtocol.RankLog answer(String nodeId, AgentProtocol.TailRankLog m, String file, long size, String text, String error) {
        return new AgentProtocol.RankLog(m.jobId(), m.generation(), m.rank(), nodeId, file, size, text, error);
    }
}
