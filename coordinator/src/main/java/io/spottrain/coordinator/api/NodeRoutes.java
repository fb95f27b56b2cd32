package io.spottrain.coordinator.api;

import io.javalin.http.Context;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.wire.ClusterConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/** The node routes: list control and worker nodes (with the history), launch one, preempt one (through the cluster's launcher). */
final class NodeRoutes {
    private final ActorSystem<?> system;
    private final JobReads reads;
    private final AtomicReference<NodeLauncher> launcher;

    NodeRoutes(ActorSystem<?> system, JobReads reads, AtomicReference<NodeLauncher> launcher) {
        this.system = system;
        this.reads = reads;
        this.launcher = launcher;
    }

    void nodes(Context ctx) {
        boolean all = "true".equals(ctx.queryParam("all"));
        var views = new ArrayList<NodeView>();
        Cluster cluster = Cluster.get(system);
        var status = new LinkedHashMap<String, String>();
        for (Member m : cluster.state().getMembers()) {
            if (m.hasRole(ClusterConfig.ROLE_CONTROL)) status.put(m.address().toString(), m.status().toString().toUpperCase());
        }
        for (var c : reads.controlNodes()) {
            String s = status.remove(c.address());
            if (s != null || all) views.add(NodeView.control(c, s == null ? "GONE" : s));
        }
        status.forEach((address, s) -> views.add(NodeView.control(new ControlNodeRecord(address, address, 0, null, null, null, null, 0), s)));
        views.sort(Comparator.comparing(NodeView::id));
        var lives = reads.workers(true);
        var risks = reads.risks(lives);
        lives.stream().filter(n -> all || n.terminatedAt() == null).forEach(n -> views.add(NodeView.worker(n, risks)));
        HttpApi.json(ctx, 200, views);
    }

    /** Launches a node through this cluster's launcher (local clusters, preemption replay). */
    void launchNode(Context ctx) {
        var l = requireLauncher();
        NodeLauncher.NodeRequest r;
        try {
            r = Json.MAPPER.readValue(ctx.body(), NodeLauncher.NodeRequest.class);
        } catch (IOException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad node request: " + e.getMessage().lines().findFirst().orElse("unreadable JSON")));
        }
        if (r.market() == null || r.instanceType() == null || r.zone() == null) {
            throw new HttpApi.ApiException(400, ApiError.of("bad node request: market (spot, on-demand or reserved), instanceType and zone are required"));
        }
        if (r.nodeId() != null && !r.nodeId().matches("[a-z0-9][-a-z0-9]{0,62}")) {
            throw new HttpApi.ApiException(400, ApiError.of("bad node request: nodeId must be a DNS label (or left out: the launcher names it)"));
        }
        try {
            HttpApi.json(ctx, 202, l.launch(r));
        } catch (NodeLauncher.LaunchException e) {
            throw new HttpApi.ApiException(409, ApiError.of(e.getMessage()));
        }
    }

    /**
     * Preempts a launched node: {@code notice} publishes a Spot interruption notice in the node's
     * IMDS and takes the node {@code leadSeconds} later (default 20; AWS gives 120); {@code kill}
     * is SIGKILL at once, with no notice.
     */
    void preemptNode(Context ctx) {
        var l = requireLauncher();
        String id = ctx.pathParam("id");
        String kind;
        long leadSeconds;
        try {
            var body = ctx.body().isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(ctx.body());
            kind = body.path("kind").asText("notice");
            leadSeconds = body.path("leadSeconds").asLong(20);
        } catch (IOException e) {
            throw new HttpApi.ApiException(400, ApiError.of("bad preempt request: expected {\"kind\": \"notice\"|\"kill\", \"leadSeconds\": n}"));
        }
        if (leadSeconds < 1 || leadSeconds > 600) throw new HttpApi.ApiException(400, ApiError.of("leadSeconds must be between 1 and 600"));
        if (l.nodes().stream().noneMatch(n -> n.nodeId().equals(id))) {
            throw new HttpApi.ApiException(404, ApiError.of("no running node " + id + " launched by this cluster"));
        }
        switch (kind) {
            case "kill" -> l.kill(id);
            case "notice" -> l.notice(id, Duration.ofSeconds(leadSeconds));
            default -> throw new HttpApi.ApiException(400, ApiError.of("kind must be notice or kill, got \"" + kind + "\""));
        }
        HttpApi.json(ctx, 202, Map.of("node", id, "kind", kind, "leadSeconds", kind.equals("notice") ? leadSeconds : 0));
    }

    private NodeLauncher requireLauncher() {
        var l = launcher.get();
        if (l == null) throw new HttpApi.ApiException(409, ApiError.of("this cluster has no node launcher (only local clusters launch nodes)"));
        return l;
    }

}
