package io.spottrain.checkpoint.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.spottrain.protocol.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * A copy of the end of a rank's output file in the job's remote tier, so the output outlives the
 * machine (a Spot node taken back takes its disk with it). Object key
 * {@code <prefix>_logs/<job>/g<G>-rank<R>-<node>.log}: the generation and rank the file was started for (a rank
 * re-formed in place writes on to that file) and the node (a staged process for the same rank on
 * another node writes its own); all logs under one prefix, so one S3 lifecycle rule expires them
 * ({@code _} starts no job id). The object is one header line ({@value #MAGIC} and JSON: node, the
 * file, the byte range of it the text covers, when it was copied) and then the text, secrets already
 * masked by the agent (so the text's length need not match the range).
 *
 * @param file the output file's path on its node
 * @param from byte offset in the file where {@code text} starts (whole lines from there)
 * @param to   the file's size when it was copied ({@code text} ends there, or just before a secret being written)
 */
public record ArchivedRankLog(String jobId, long fileGeneration, int fileRank, String nodeId, String file, long from, long to,
        String archivedAt, String text) {
    /** The most of a file's end an archive keeps (a chatty rank's whole output would cost more to keep than it tells). */
    public static final int MAX_BYTES = 1 << 20;

    static final String MAGIC = "#spottrain-rank-log ";

    record Header(String jobId, long fileGeneration, int fileRank, String nodeId, String file, long from, long to, String archivedAt) {}

    /** The key, under the tier's prefix, of the copy of the file a rank started on {@code nodeId} as {@code fileRank} in {@code fileGeneration}. */
    public static String key(String jobId, long fileGeneration, int fileRank, String nodeId) {
        return "_logs/" + jobId + "/g" + fileGeneration + "-rank" + fileRank + "-" + nodeId + ".log";
    }

    public byte[] encode() {
        String header = Json.write(new Header(jobId, fileGeneration, fileRank, nodeId, file, from, to, archivedAt));
        return (MAGIC + header + "\n" + text).getBytes(StandardCharsets.UTF_8);
    }

    /** The archive these bytes hold; empty when they are not one (another object at that key, a torn write). */
    public static Optional<ArchivedRankLog> decode(byte[] bytes) {
        byte[] magic = MAGIC.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < magic.length || !Arrays.equals(bytes, 0, magic.length, magic, 0, magic.length)) return Optional.empty();
        int nl = -1;
        for (int i = magic.length; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) return Optional.empty();
        try {
            Header h = Json.MAPPER.readValue(new String(bytes, magic.length, nl - magic.length, StandardCharsets.UTF_8), Header.class);
            String text = new String(bytes, nl + 1, bytes.length - nl - 1, StandardCharsets.UTF_8);
            return Optional.of(new ArchivedRankLog(h.jobId(), h.fileGeneration(), h.fileRank(), h.nodeId(), h.file(), h.from(),
                    h.to(), h.archivedAt(), text));
        } catch (JsonProcessingException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
