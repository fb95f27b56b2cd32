package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The cluster's autoscaler: its policy, the metric now, the fleet and capacity in flight, its last decisions with their numbers. */
@Command(name = "autoscaler", description = "The cluster's autoscaler.", subcommands = AutoscalerCommand.Status.class)
final class AutoscalerCommand {

    @Command(name = "status", description = "The policy, the metric now, nodes and capacity in flight (by pool), provisioning time, the last decisions.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() {
            JsonNode s = cluster.client().get("/api/v1/autoscaler");
            if (output.json()) {
                System.out.println(Json.pretty(s));
                return 0;
            }
            if (!s.path("enabled").asBoolean()) {
                System.out.println("autoscaler: off (start the cluster with --autoscale FILE; see examples/cluster/autoscale.yaml)");
                return 0;
            }
            System.out.printf("autoscaler: %s now %s (grows above %s); %d node(s), %d in flight; limits %d..%d nodes; provisioning p50 %s%n",
                    s.path("metric").asText(), num(s.path("lastMetric").asDouble()), num(s.path("threshold").asDouble()), s.path("nodes").asInt(),
                    s.path("inFlight").size(), s.path("minNodes").asInt(), s.path("maxNodes").asInt(),
                    s.path("provisioningMsP50").isNumber() ? String.format("%.1f s", s.path("provisioningMsP50").asLong() / 1000.0) : "-");
            List<List<String>> pools = new ArrayList<>();
            for (JsonNode p : s.path("pools")) {
                pools.add(List.of(p.path("pool").asText(), p.path("market").asText(), p.path("zone").isTextual() ? p.path("zone").asText() : "any",
                        p.path("nodes").asText(), p.path("inFlight").asText(), p.path("minNodes").asInt() + ".." + p.path("maxNodes").asInt()));
            }
            if (!pools.isEmpty()) System.out.print(Text.table(List.of("POOL", "MARKET", "ZONE", "NODES", "IN FLIGHT", "LIMITS"), pools));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode e : s.path("decisions")) {
                String at = e.path("at").asText();
                rows.add(List.of(at.length() >= 19 ? at.substring(11, 19) : at, e.path("action").asText(), e.path("reason").asText()));
            }
            if (!rows.isEmpty()) System.out.print(Text.table(List.of("AT", "ACTION", "WHY"), rows));
            return 0;
        }

        private static String num(double d) {
            return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.1f", d);
        }
    }
}
