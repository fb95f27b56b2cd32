package io.spottrain.launchers.bench;

import io.spottrain.client.ApiClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@link ScaleBench}'s reader: GETs while the jobs run, a job view (most) or the job list (every tenth), 20 ms apart. */
final class ApiReader implements Runnable {
    final ApiClient api;
    final List<String> jobs = new ArrayList<>();
    final ConcurrentLinkedQueue<Double> gets = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Double> lists = new ConcurrentLinkedQueue<>();
    final AtomicBoolean stop = new AtomicBoolean();

    ApiReader(ApiClient api) {
        this.api = api;
    }

    @Override
    public void run() {
        var rnd = new Random(7 + Thread.currentThread().getName().hashCode()); // each reader its own jobs, not all in step
        for (int i = 0; !stop.get(); i++) {
            long t = System.nanoTime();
            try {
                if (i % 10 == 9) {
                    api.get("/api/v1/jobs");
                    lists.add((System.nanoTime() - t) / 1e6);
                } else {
                    api.get("/api/v1/jobs/" + jobs.get(rnd.nextInt(jobs.size())));
                    gets.add((System.nanoTime() - t) / 1e6);
                }
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                gets.add((System.nanoTime() - t) / 1e6); // a failed read counts with its time
            }
        }
    }
}
