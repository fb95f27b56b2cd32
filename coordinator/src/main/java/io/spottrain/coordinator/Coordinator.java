package io.spottrain.coordinator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.spottrain.coordinator.api.ControlNodeRecord;
import io.spottrain.coordinator.api.HttpApi;
import io.spottrain.coordinator.api.JobReads;
import io.spottrain.coordinator.api.LogArchive;
import io.spottrain.coordinator.autoscale.AutoscalePolicy;
import io.spottrain.coordinator.cost.ControlPrice;
import io.spottrain.coordinator.cost.PriceCatalog;
import io.spottrain.coordinator.jobs.JobDocument;
import io.spottrain.coordinator.jobs.JobManager;
import io.spottrain.coordinator.launch.NodeLauncher;
import io.spottrain.coordinator.membership.ControlDowning;
import io.spottrain.coordinator.membership.WorkerDowning;
import io.spottrain.coordinator.security.Role;
import io.spottrain.coordinator.security.Tokens;
import io.spottrain.coordinator.settings.CoordinatorSettings;
import io.spottrain.coordinator.state.StateStore;
import io.spottrain.coordinator.state.StateStores;
import io.spottrain.coordinator.state.Table;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.tls.NodeTls;
import io.spottrain.protocol.wire.ClusterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control-plane node: a Pekko cluster member with role {@code control} that hosts (or proxies
 * to) the job manager singleton and serves the HTTP API.
 */
public final class Coordinator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

    private final ActorSystem<Void> system;
    private final ActorRef<JobManager.Command> jobManager;
    private final HttpApi api;
    private final StateStore store;
    private final JobReads reads;
    private final ControlMeter meter;

    private Coordinator(ActorSystem<Void> system, ActorRef<JobManager.Command> jobManager, HttpApi api, StateStore store, JobReads reads,
            ControlMeter meter) {
        this.meter = meter;
        this.system = system;
        this.jobManager = jobManager;
        this.api = api;
        this.store = store;
        this.reads = reads;
    }

    /**
     * Starts a control node.
     *
     * @param seeds    host:port of control nodes to join; empty makes this node found a new cluster
     * @param shutdown what {@code POST /api/v1/shutdown} runs (a local cluster stops its nodes and exits)
     */
    public static Coordinator start(String host, int port, List<String> seeds, Config overrides, Runnable shutdown) {
        return start(host, port, seeds, overrides, shutdown, new AtomicReference<>(), false);
    }

    /**
     * As above, with this cluster's node launcher (may be set after start): the API launches and
     * preempts nodes through it, and with {@code replacements} the job manager replaces lost nodes.
     */
    public static Coordinator start(String host, int port, List<String> seeds, Config overrides, Runnable shutdown,
            AtomicReference<NodeLauncher> launcher, boolean replacements) {
        Config config = ClusterConfig.node(ClusterConfig.ROLE_CONTROL, host, port, seeds, overrides);
        if (!config.getString("pekko.remote.artery.transport").equals("tls-tcp")) {
            log.warn("the cluster port {}:{} is plain TCP without authentication: for tests in one process only (spottrain coordinator "
                    + "always uses TLS)", host, port);
        }
        Instant startedAt = Instant.now();
        CoordinatorSettings early = CoordinatorSettings.create(config.withFallback(ConfigFactory.load()));
        Config control = config.withFallback(ConfigFactory.load()).getConfig("spottrain.coordinator.control");
        // before anything starts: a control node whose price cannot be known says which setting to fix
        ControlPrice price = ControlPrice.resolve(control.getString("instance-type"), control.getString("region"),
                control.getDouble("price-per-hour"), PriceCatalog.shipped());
        // the store first: the job manager singleton may start on this node as soon as it joins
        var store = StateStores.create(config.withFallback(ConfigFactory.load()), early.nodeId(), host);
        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Behaviors.empty(), ClusterConfig.SYSTEM_NAME, config);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        try {
            Cluster cluster = Cluster.get(system);
            if (seeds.isEmpty()) {
                cluster.manager().tell(Join.create(cluster.selfMember().address()));
            }
            CoordinatorSettings settings = CoordinatorSettings.create(system.settings().config());
            ActorRef<JobManager.Command> jobManager = ClusterSingleton.get(system).init(
                    SingletonActor.of(JobManager.create(settings, Clock.systemUTC(), replacements ? launcher : new AtomicReference<>(), launcher, store),
                            "job-manager").withSettings(ClusterSingletonSettings.create(system).withRole(ClusterConfig.ROLE_CONTROL)));
            var downing = system.systemActorOf(ControlDowning.create(controlEvidence(store)), "control-downing", Props.empty());
            store.onMemberLeft(nodeId -> downing.tell(new ControlDowning.StoreLeft(nodeId)));
            system.systemActorOf(WorkerDowning.create(), "worker-downing", Props.empty());
            Runnable onShutdown = shutdown == null ? system::terminate : shutdown;
            var reads = new JobReads(store, Clock.systemUTC(), settings.interruptionRiskWindow(),
                    AutoscalePolicy.priors(settings.autoscalePolicyFile(), settings.preemptionPrior()));
            var tokens = new Tokens(store, Clock.systemUTC());
            registerTokenFile(tokens, system.settings().config().getString("spottrain.coordinator.security.token-file"));
            Config apiConf = system.settings().config().getConfig("spottrain.coordinator.api");
            SSLContext apiTls = apiTls(apiConf.getString("tls-cert-file"), apiConf.getString("tls-key-file"));
            String scheme = apiTls == null ? "http" : "https";
            HttpApi api = new HttpApi(system, jobManager, reads, tokens, settings.apiHost(), settings.apiPort(), apiTls, settings.askTimeout(),
                    onShutdown,
                    launcher);
            String address = cluster.selfMember().address().toString();
            store.write(List.of(new StateStore.Put(Table.CONTROL, settings.nodeId(), Json.write(new ControlNodeRecord(settings.nodeId(),
                    address, ProcessHandle.current().pid(), scheme + "://" + settings.apiHost() + ":" + api.port(), startedAt.toString(),
                    price.instanceType(), price.region(), price.usdPerHour())))));
            var meter = ControlMeter.start(system, store, Clock.systemUTC(), settings.nodeId(), startedAt, price, settings.ledgerTick());
            log.info("coordinator {} up; API on {}://{}:{}", address, scheme, settings.apiHost(), api.port());
            log.info("control state: {}", store.describe());
            return new Coordinator(system, jobManager, api, store, reads, meter);
        } catch (RuntimeException e) {
            system.terminate();
            store.close();
            throw e;
        }
    }

    /** Where the control nodes said they run (their records in the store) and whose stores are up. */
    private static ControlDowning.Evidence controlEvidence(StateStore store) {
        return new ControlDowning.Evidence() {
            @Override
            public Map<String, String> addresses() {
                var byId = new HashMap<String, String>();
                for (String json : store.values(Table.CONTROL)) {
                    var record = JobDocument.readValue(json, ControlNodeRecord.class);
                    byId.put(record.id(), record.address());
                }
                return byId;
            }

            @Override
            public Set<String> storeMembers() {
                return store.members();
            }
        };
    }

    /** The API's HTTPS context, or null for plain HTTP; one file without the other is an error naming both settings. */
    private static SSLContext apiTls(String cert, String key) {
        if (cert.isBlank() && key.isBlank()) return null;
        if (cert.isBlank() || key.isBlank()) {
            throw new IllegalArgumentException("spottrain.coordinator.api.tls-cert-file and tls-key-file go together (got only "
                    + (cert.isBlank() ? "the key" : "the certificate") + ")");
        }
        return NodeTls.server(Path.of(cert), Path.of(key));
    }

    /**
     * A local cluster's admin token ({@code <state-dir>/token}, written by {@code up}): its hash is
     * registered unless its id is known (a revoked one stays revoked). The file must be private.
     */
    private static void registerTokenFile(Tokens tokens, String file) {
        if (file.isBlank()) return;
        Path f = Path.of(file);
        try {
            if (!Files.isRegularFile(f)) throw new IllegalStateException("the admin token file " + f + " does not exist");
            var perms = Files.getPosixFilePermissions(f);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IllegalStateException("the admin token file " + f + " is readable by others; chmod 600 it");
            }
            tokens.register(Files.readString(f).strip(), "local-admin", Role.ADMIN, "spottrain up");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the admin token file " + f + ": " + e.getMessage(), e);
        }
    }

    public static Coordinator start(String host, int port, List<String> seeds) {
        return start(host, port, seeds, ConfigFactory.empty(), null);
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public ActorRef<JobManager.Command> jobManager() {
        return jobManager;
    }

    /** What the API reads: this control node's copy of the state. */
    public JobReads reads() {
        return reads;
    }

    /** Rank logs of nodes that cannot answer come from these copies from now on ({@link LogArchive}). */
    public void useLogArchive(LogArchive archive) {
        api.useLogArchive(archive);
    }

    public int apiPort() {
        return api.port();
    }

    /**
     * Claims {@code instanceId}'s one enrollment for the whole control plane (the replicated store: another control node's
     * claim counts too) with {@code record} (when, the key's hash); null where this call claimed it, else the record of
     * the claim made before.
     */
    public String claimEnrollment(String instanceId, String record) {
        if (store.putIfAbsent(Table.ENROLLMENTS, instanceId, record)) return null;
        return store.get(Table.ENROLLMENTS, instanceId).orElse("");
    }

    /** The record of an instance's enrollment, if it enrolled. */
    public Optional<String> enrollment(String instanceId) {
        return store.get(Table.ENROLLMENTS, instanceId);
    }

    /** host:port of this node's Artery endpoint, for agents' seed lists. */
    public String clusterEndpoint() {
        Address a = Cluster.get(system).selfMember().address();
        return a.host().get() + ":" + a.port().get();
    }

    @Override
    public void close() {
        try {
            meter.stop();
            api.close();
        } finally {
            system.terminate();
            try {
                system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("coordinator did not stop within 30s: {}", e.toString());
            }
            store.close();
        }
    }
}
