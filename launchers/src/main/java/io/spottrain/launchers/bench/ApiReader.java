package io.spottrain.launchers.bench;

import io.spottrain.client.ApiClient;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ScaleBench}'s reader: GETs while the jobs run, a job view (most) or the job list (every tenth), 20 ms apart, each
 * read to its last byte and not parsed (since 2026-12-04 d: parsing a 1,400-job list took this JVM's CPU from the
 * coordinator's on the same 2 cores, and counted in the latency). It reads from the first warm-up wave on (a coordinator that has run a while has served reads all along: their code is compiled); only
 * what it measured since the last {@link #measure} counts.
 */
final class ApiReader implements Runnable {
    final ApiClient api;
    /** The jobs whose views it reads (replaced, never changed). */
    private volatile List<String> jobs = List.of();
    final ConcurrentLinkedQueue<Double> gets = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Double> lists = new ConcurrentLinkedQueue<>();
    final AtomicBoolean stop = new AtomicBoolean();
    /** Which measurement a read belongs to: one that began before {@link #measure} is not counted in the next. */
    private final AtomicInteger epoch = new AtomicInteger();

    ApiReader(ApiClient api) {
        this.api = api;
    }

    /** From now on: read these jobs' views, and measure afresh. */
    void measure(List<String> ids) {
        jobs = List.copyOf(ids);
        epoch.incrementAndGet();
        gets.clear();
        lists.clear();
    }

    private void add(ConcurrentLinkedQueue<Double> into, long since, int begun) {
        if (epoch.get() == begun) into.add((System.nanoTime() - since) / 1e6);
    }

    @Override
    public void run() {
        var rnd = new Random(7 + Thread.currentThread().getName().hashCode()); // each reader its own jobs, not all in step
        for (int i = 0; !stop.get(); i++) {
            int begun = epoch.get();
            long t = System.nanoTime();
            try {
                if (i % 10 == 9) {
                    api.read("/api/v1/jobs");
                    add(lists, t, begun);
                } else {
                    var ids = jobs;
                    api.read("/api/v1/jobs/" + ids.get(rnd.nextInt(ids.size())));
                    add(gets, t, begun);
                }
            } catch (RuntimeException e) {
                add(gets, t, begun); // a failed read counts with its time
            }
            try {
                Thread.sleep(20); // also after a failure: a coordinator that is gone is not hammered
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
