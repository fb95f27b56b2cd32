package io.spottrain.coordinator.state;

import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.cache.Cache;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.Ignition;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.cache.CachePeekMode;
import org.apache.ignite.cache.CacheWriteSynchronizationMode;
import org.apache.ignite.cache.affinity.rendezvous.RendezvousAffinityFunction;
import org.apache.ignite.cluster.ClusterNode;
import org.apache.ignite.cluster.ClusterState;
import org.apache.ignite.configuration.CacheConfiguration;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.configuration.WALMode;
import org.apache.ignite.events.DiscoveryEvent;
import org.apache.ignite.events.Event;
import org.apache.ignite.events.EventType;
import org.apache.ignite.failure.StopNodeFailureHandler;
import org.apache.ignite.lang.IgnitePredicate;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;
import org.apache.ignite.transactions.Transaction;
import org.apache.ignite.transactions.TransactionConcurrency;
import org.apache.ignite.transactions.TransactionIsolation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's state in embedded Apache Ignite 2 with native persistence: one Ignite
 * server node per control node, discovering the others at the control nodes' addresses. Every
 * {@link Table} is a REPLICATED, FULL_SYNC, transactional cache of JSON documents: a write is one
 * transaction over the tables it touches and returns once every live control node has it; reads
 * are served from this node's own copy. The WAL is fsynced per commit, so an acknowledged write
 * survives the loss of the process and of the machine's power. Baseline auto-adjust follows the control nodes as they come
 * and go; a stopped cluster activates again when its nodes return with their stable consistent ids.
 */
public final class IgniteStateStore extends CountingStore {
    private static final Logger log = LoggerFactory.getLogger(IgniteStateStore.class);
    static final String COUNTERS = "spottrain-counters";
    /** The layout before schema versions: one document per job with its whole history. Not read. */
    static final String OLD_JOBS = "spottrain-jobs";

    /**
     * @param nodeId        stable name of this control node (Ignite consistent id: its data dir)
     * @param workDir       where persistence, WAL and metadata live
     * @param host          address to bind
     * @param discoveryPort this node's discovery port (communication uses {@code commPort})
     * @param peers         host:port discovery addresses of every control node (this one included)
     * @param tls           this node's certificate, key and the cluster CA: discovery and communication over mutual TLS
     *                      (null: plain TCP, for tests in one JVM only)
     */
    public record Settings(String nodeId, Path workDir, String host, int discoveryPort, int commPort, List<String> peers, NodeTls tls) {}

    private final Ignite ignite;
    private final Map<Table, IgniteCache<String, String>> tables = new EnumMap<>(Table.class);
    private final IgniteCache<String, Long> counters;
    private final Settings settings;

    private IgniteStateStore(Ignite ignite, Settings settings, int partitions) {
        this.ignite = ignite;
        this.settings = settings;
        for (Table t : Table.values()) {
            tables.put(t, whileStateChanges(() -> ignite.getOrCreateCache(IgniteStateStore.<String>cache(t.cacheName(), partitions))));
        }
        this.counters = whileStateChanges(() -> ignite.getOrCreateCache(cache(COUNTERS, partitions)));
        if (ignite.cacheNames().contains(OLD_JOBS)) {
            log.warn("this state dir holds jobs in the layout before schema version 1 (cache {}); they are not read", OLD_JOBS);
        }
    }

    /** The most off-heap page memory the store takes (it starts at 32 MiB and grows as pages are loaded). */
    static final long REGION_MAX_BYTES = 512L * 1024 * 1024;
    /** How often dirty pages are written to the partition files (Ignite's default: 3 minutes). */
    static final Duration CHECKPOINT_FREQUENCY = Duration.ofSeconds(30);

    /**
     * Partitions of each table created by this store. Ignite's default is 1,024: with 14 caches that was ~4,000 partition files
     * on a coordinator of 1,400 jobs (680 MB, most of it partition metadata), a checkpoint that fsyncs each file it touched, and a
     * job list that scans 1,024 partitions of two tables. The tables are REPLICATED (every control node holds all of each), so
     * partitions buy no spread here, only parallel rebalancing; 32 is plenty for 3-5 control nodes. A table that exists keeps the
     * partitioning it was created with (Ignite stores a cache's configuration with its data): stores made before keep 1,024.
     */
    static final int PARTITIONS = 32;

    public static IgniteStateStore start(Settings s) {
        return start(s, PARTITIONS);
    }

    /** A store whose new tables have {@code partitions} partitions (tests: one made as before {@link #PARTITIONS}). */
    static IgniteStateStore start(Settings s, int partitions) {
        System.setProperty("IGNITE_NO_ASCII", "true");
        System.setProperty("IGNITE_UPDATE_NOTIFIER", "false");
        var finder = new TcpDiscoveryVmIpFinder().setAddresses(s.peers());
        var discovery = new TcpDiscoverySpi().setIpFinder(finder).setLocalAddress(s.host()).setLocalPort(s.discoveryPort())
                .setLocalPortRange(0).setJoinTimeout(0);
        var communication = new TcpCommunicationSpi().setLocalAddress(s.host()).setLocalPort(s.commPort()).setLocalPortRange(0);
        // The region is a page cache over the files (persistence): pages beyond it are read from disk, but only clean ones can be
        // evicted. With 128 MiB, the default 3-minute checkpoints and no throttling, a coordinator under the scale bench's load
        // (1,200 jobs on 2 busy cores) dirtied every loaded page before a checkpoint ran and Ignite stopped the node
        // (IgniteOutOfMemoryException: "no pages to replace", dirtyPages 15,872 of 15,881). Now: writers are slowed as dirty pages
        // near the limit (throttling), a checkpoint every 30 s keeps fewer dirty, and the region may grow to 512 MiB
        // (docs/benchmarks.md, 2026-12-04 b).
        var storage = new DataStorageConfiguration()
                .setWalMode(WALMode.FSYNC)
                .setWalSegmentSize(16 * 1024 * 1024)
                .setWalSegments(4)
                .setWriteThrottlingEnabled(true)
                .setCheckpointFrequency(CHECKPOINT_FREQUENCY.toMillis())
                .setDefaultDataRegionConfiguration(new DataRegionConfiguration().setName("control").setPersistenceEnabled(true)
                        .setInitialSize(32L * 1024 * 1024).setMaxSize(REGION_MAX_BYTES));
        var cfg = new IgniteConfiguration()
                .setIgniteInstanceName(s.nodeId())
                .setConsistentId(s.nodeId())
                .setWorkDirectory(s.workDir().toAbsolutePath().toString())
                .setLocalHost(s.host())
                .setDiscoverySpi(discovery)
                .setCommunicationSpi(communication)
                .setDataStorageConfiguration(storage)
                .setFailureHandler(new StopNodeFailureHandler())
                .setGridLogger(new IgniteSlf4jLogger(LoggerFactory.getLogger("org.apache.ignite")))
                .setMetricsLogFrequency(0)
                .setClientConnectorConfiguration(null) // no thin-client/JDBC port (10800..): nothing but this JVM uses the store
                .setConnectorConfiguration(null)
                .setPeerClassLoadingEnabled(false)
                .setIncludeEventTypes(EventType.EVT_NODE_FAILED, EventType.EVT_NODE_LEFT);
        if (s.tls() != null) cfg.setSslContextFactory(new TlsContextFactory(s.tls()));
        long t0 = System.nanoTime();
        Ignite ignite = Ignition.start(cfg);
        try {
            var cluster = ignite.cluster();
            if (cluster.state() != ClusterState.ACTIVE) {
                // first start of this cluster (no baseline yet), or a restart whose baseline is all back
                whileStateChanges(() -> {
                    // another control node may have activated it meanwhile (its activation refused this one's)
                    if (cluster.state() != ClusterState.ACTIVE) cluster.state(ClusterState.ACTIVE);
                    return null;
                });
            }
            cluster.baselineAutoAdjustEnabled(true);
            cluster.baselineAutoAdjustTimeout(0);
            var store = new IgniteStateStore(ignite, s, partitions);
            log.info("state store up in {} ms: {}", (System.nanoTime() - t0) / 1_000_000, store.describe());
            return store;
        } catch (RuntimeException e) {
            ignite.close();
            throw e;
        }
    }

    /**
     * Runs {@code action} again while Ignite refuses it because the cluster's state is changing: control nodes of a service
     * start together, and one activating the cluster or adjusting its baseline as another joins makes the other's cache
     * creation fail for a moment ("cluster state change is in progress"); failing the start there stopped that node and left
     * the other with lost partitions. Bounded (60 s); any other failure is thrown at once.
     */
    static <T> T whileStateChanges(Supplier<T> action) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return action.get();
            } catch (RuntimeException e) {
                if (!stateChanging(e) || System.nanoTime() > deadline) throw e;
                log.info("state store: the cluster's state is changing (another control node starting); trying again");
                try {
                    Thread.sleep(250);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static boolean stateChanging(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            // "cluster state change is in progress", and an activation refused while another node's runs: "Failed to activate
            // cluster, because another state change operation is currently in progress" (seen in ControlDistributionIT)
            if (m != null && (m.contains("state change is in progress") || m.contains("state change operation is currently in progress"))) {
                return true;
            }
        }
        return false;
    }

    private static <V> CacheConfiguration<String, V> cache(String name, int partitions) {
        return new CacheConfiguration<String, V>(name)
                .setAffinity(new RendezvousAffinityFunction(false, partitions))
                .setCacheMode(CacheMode.REPLICATED)
                .setAtomicityMode(CacheAtomicityMode.TRANSACTIONAL)
                .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC);
    }

    @Override
    void apply(List<Put> puts, Fence fence) {
        // one transaction over every table touched; keys in a stable order per table. A fenced write
        // locks the fence's counter (pessimistic): a newer job manager's next() waits for this commit,
        // and every write of ours after it sees the new epoch and is refused.
        var byTable = new EnumMap<Table, TreeMap<String, String>>(Table.class);
        for (Put p : puts) byTable.computeIfAbsent(p.table(), t -> new TreeMap<>()).put(p.key(), p.json());
        try (Transaction tx = fence == null
                ? ignite.transactions().txStart(TransactionConcurrency.OPTIMISTIC, TransactionIsolation.READ_COMMITTED)
                : ignite.transactions().txStart(TransactionConcurrency.PESSIMISTIC, TransactionIsolation.REPEATABLE_READ)) {
            if (fence != null) {
                Long current = counters.get(fence.counter());
                long now = current == null ? 0 : current;
                if (now != fence.epoch()) throw new FencedException(fence, now);
            }
            byTable.forEach((t, docs) -> tables.get(t).putAll(docs));
            tx.commit();
        }
    }

    /** How many partitions {@code table} has (as created: see {@link #PARTITIONS}). */
    int partitions(Table table) {
        return ignite.affinity(table.cacheName()).partitions();
    }

    @Override
    public long current(String counter) {
        Long v = counters.get(counter);
        return v == null ? 0 : v;
    }

    @Override
    public Optional<String> get(Table table, String key) {
        return Optional.ofNullable(tables.get(table).get(key));
    }

    @Override
    public boolean putIfAbsent(Table table, String key, String json) {
        return whileStateChanges(() -> tables.get(table).putIfAbsent(key, json));
    }

    @Override
    public Map<String, String> getAll(Table table, Collection<String> keys) {
        Map<String, String> found = tables.get(table).getAll(new HashSet<>(keys));
        var ordered = new LinkedHashMap<String, String>();
        for (String k : keys) {
            String v = found.get(k);
            if (v != null) ordered.put(k, v);
        }
        return ordered;
    }

    @Override
    public List<String> values(Table table) {
        var all = new ArrayList<String>();
        for (Cache.Entry<String, String> e : tables.get(table).localEntries(CachePeekMode.PRIMARY, CachePeekMode.BACKUP)) {
            all.add(e.getValue());
        }
        return all;
    }

    @Override
    public Map<String, String> entries(Table table) {
        var all = new HashMap<String, String>();
        for (Cache.Entry<String, String> e : tables.get(table).localEntries(CachePeekMode.PRIMARY, CachePeekMode.BACKUP)) {
            all.put(e.getKey(), e.getValue());
        }
        return all;
    }

    @Override
    public long next(String counter) {
        return reserve(counter, 1);
    }

    @Override
    public long reserve(String counter, int count) {
        long last = counters.invoke(counter, (entry, args) -> {
            long v = (entry.exists() ? entry.getValue() : 0L) + (Integer) args[0];
            entry.setValue(v);
            return v;
        }, count);
        return last - count + 1;
    }

    @Override
    public Set<String> members() {
        var ids = new HashSet<String>();
        for (ClusterNode n : ignite.cluster().forServers().nodes()) ids.add(String.valueOf(n.consistentId()));
        return ids;
    }

    @Override
    public void onMemberLeft(Consumer<String> listener) {
        ignite.events().localListen((IgnitePredicate<Event>) e -> {
            listener.accept(String.valueOf(((DiscoveryEvent) e).eventNode().consistentId()));
            return true;
        }, EventType.EVT_NODE_FAILED, EventType.EVT_NODE_LEFT);
    }

    @Override
    public String describe() {
        return "ignite (" + ignite.cluster().forServers().nodes().size() + " control node(s), persistence in " + settings.workDir() + ")";
    }

    @Override
    public void close() {
        ignite.close();
    }
}
