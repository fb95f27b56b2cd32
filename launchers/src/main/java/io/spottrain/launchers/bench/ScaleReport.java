package io.spottrain.launchers.bench;

import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.Map;

/** {@link ScaleBench.Result} as the bench prints it: text for people, JSON for scripts. */
public final class ScaleReport {
    private ScaleReport() {}

    public static String text(ScaleBench.Result r) {
        return String.format("""
                scale: %d simulated agents on %d host JVMs, %d jobs of 1-8 workers, %.0f s
                  jobs: %s (%d reached RUNNING)%s
                  scheduling (submit -> every rank started): p50 %.1f ms, p99 %.1f ms; by phase (p50/p99 ms): %s%s
                  rendezvous ports: %d offered by rank 0's agent, %d asked of it
                  API GET /jobs/{id} under load%s: p50 %.1f ms, p99 %.1f ms (%d requests); GET /jobs (%d jobs) p99 %.1f ms
                  store: %.1f writes/s (%.2f ms each), %.0f bytes/s; bytes/s per 5 s window as jobs age: %s
                  store writes while the jobs were submitted and started: p99 <= %s, slowest <= %s
                  lost host: %d agents gone from the live registry %.2f s after kill -9
                  hung agent: found by its silent heartbeat %.2f s after it hung
                  coordinator heap: %d MiB used of %d MiB
                  CPU while the jobs were submitted and started (%.1f s of wall, 2 x that on 2 cores): coordinator %.1f s (its JIT compilers %.1f s), host JVMs %.1f s%s, this bench's JVM (client, readers) %.1f s
                """, r.agents(), r.hosts(), r.jobs(), r.wallSeconds(), r.outcomes(), r.reachedRunning(),
                r.failures().isEmpty() ? "" : "; failed: " + String.join("; ", r.failures()), r.schedulingMsP50(),
                r.schedulingMsP99(), phasesText(r.schedulingPhasesMs()),
                r.warmupWaves() > 0 ? " (after " + r.warmupWaves() + " warm-up wave(s) of " + r.jobs() + " jobs, the last as the burst's)" : " (cold: no warm-up)",
                r.rendezvousOffered(), r.rendezvousAsked(),
                r.apiReaders() == 0 ? " (no readers: --api-readers 0)" : " (" + r.apiReaders() + " reader(s))", r.apiGetMsP50(), r.apiGetMsP99(), r.apiGets(), r.listedJobs(), r.apiListMsP99(), r.storeWritesPerSec(),
                r.storeWriteMsMean(), r.storeBytesPerSec(), r.storeBytesPerSecWindows(), bound(r.burstStoreWriteMsP99()),
                bound(r.burstStoreWriteMsMax()), r.killedHostAgents(), r.killedHostDetectSeconds(), r.hungDetectSeconds(),
                r.coordinatorHeapUsedMb(), r.coordinatorHeapMaxMb(), r.burstSeconds(), r.burstCpuSecondsCoordinator(), r.burstJitSecondsCoordinator(), r.burstCpuSecondsHosts(),
                r.hostNice() > 0 ? " (hosts at nice " + r.hostNice() + ")" : "", r.burstCpuSecondsBench());
    }

    private static String bound(double ms) {
        if (ms == ScaleBench.NOT_REPORTED) return "(not reported by this coordinator)";
        return ms < 0 ? "(no write)" : ms >= ScaleBench.BEYOND_BUCKETS ? "beyond its last bucket" : String.format("%.0f ms", ms);
    }

    private static String phasesText(Map<String, double[]> phases) {
        var parts = new ArrayList<String>();
        phases.forEach((k, v) -> parts.add(String.format("%s %.0f/%.0f", k, v[0], v[1])));
        return String.join(", ", parts);
    }

    public static String json(ScaleBench.Result r) {
        return Json.pretty(r);
    }
}
