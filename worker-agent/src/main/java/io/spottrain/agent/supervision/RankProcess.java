package io.spottrain.agent.supervision;

import io.spottrain.protocol.contract.ControlServer;
import java.nio.file.Path;

/** One running training process: which job, generation and rank, its output, and its contract endpoint. */
public record RankProcess(String jobId, long generation, int rank, Process process, Path logFile, ControlServer control) {
    public long pid() {
        return process.pid();
    }
}
