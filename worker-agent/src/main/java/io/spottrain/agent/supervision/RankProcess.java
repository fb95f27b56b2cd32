package io.spottrain.agent.supervision;

import java.nio.file.Path;

/** One running training process: which job, generation and rank, and where its output goes. */
public record RankProcess(String jobId, long generation, int rank, Process process, Path logFile) {
    public long pid() {
        return process.pid();
    }
}
