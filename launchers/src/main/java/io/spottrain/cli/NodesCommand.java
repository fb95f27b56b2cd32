package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "nodes", description = "List the cluster's nodes: role, market, instance type, price, state, job, pid.")
final class NodesCommand implements Callable<Integer> {
    @Option(names = "--all", description = "also nodes that are gone (the node history: launched, registered, terminated, why)")
    boolean all;

    @Mixin
    Options.Cluster cluster;

    @Mixin
    Options.Output output;

    @Override
    public Integer call() {
        JsonNode nodes = cluster.client().get("/api/v1/nodes" + (all ? "?all=true" : ""));
        if (output.json()) {
            System.out.println(Json.pretty(nodes));
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode n : nodes) {
            boolean worker = n.path("role").asText().equals("worker");
            rows.add(List.of(n.path("id").asText(), n.path("role").asText(), n.path("market").asText(),
                    n.path("instanceType").asText().isEmpty() ? "-" : n.path("instanceType").asText(), worker ? n.path("gpus").asText() : "-",
                    n.path("pricePerHour").asDouble() > 0 ? String.format("%.3f", n.path("pricePerHour").asDouble()) : "-",
                    n.path("zone").asText().isEmpty() ? "-" : n.path("zone").asText(),
                    // the Spot pool's estimated interruptions per node-hour (docs/autoscaler.md)
                    n.path("interruptRisk").isNumber() ? String.format("%.3f", n.path("interruptRisk").asDouble()) : "-",
                    n.path("state").asText(), Text.or(n.get("job"), "-"), n.path("pid").asLong() > 0 ? n.path("pid").asText() : "-"));
        }
        System.out.print(Text.table(List.of("NODE", "ROLE", "MARKET", "TYPE", "GPUS", "$/H", "ZONE", "INTERRUPTS/H", "STATE", "JOB", "PID"), rows));
        return 0;
    }
}
