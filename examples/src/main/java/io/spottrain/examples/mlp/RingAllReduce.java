package io.spottrain.examples.mlp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Ring all-reduce (sum) of {@code long[]} among the ranks of one generation, over TCP.
 *
 * <p>Rendezvous: rank 0 listens on MASTER_ADDR:MASTER_PORT; every rank opens its own listening
 * socket and tells rank 0 where (with its world size and generation, which must match); rank 0
 * answers everyone with the table. Then each rank connects to its successor and accepts its
 * predecessor. All-reduce is the bandwidth-optimal reduce-scatter + all-gather, 2(W-1) steps of
 * 1/W of the vector. Every read has a time-out: a dead or hung peer surfaces as {@link PeerLostException}
 * within {@code peerTimeoutMs}, never as a hang.
 */
final class RingAllReduce implements AutoCloseable {
    private final int rank;
    private final int world;
    private final Socket toNext;
    private final Socket fromPrev;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final ExecutorService sender;

    /** A peer died, closed, hung past the time-out, or broke the protocol. */
    static final class PeerLostException extends IOException {
        PeerLostException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private RingAllReduce(int rank, int world, Socket toNext, Socket fromPrev) throws IOException {
        this.rank = rank;
        this.world = world;
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        this.out = toNext == null ? null : new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
        this.in = fromPrev == null ? null : new DataInputStream(new BufferedInputStream(fromPrev.getInputStream(), 1 << 16));
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ring-send");
            t.setDaemon(true);
            return t;
        });
    }

    static RingAllReduce connect(int rank, int world, long generation, String masterAddr, int masterPort, int timeoutMs)
            throws IOException {
        if (world == 1) return new RingAllReduce(0, 1, null, null);
        InetAddress bindAddr = InetAddress.getByName(masterAddr);
        // rank 0 takes MASTER_PORT before anything else binds here: the agent just freed it, and the
        // next ephemeral bind on this machine (our own ring socket included) could otherwise get it
        ServerSocket master = null;
        if (rank == 0) {
            master = new ServerSocket();
            master.setReuseAddress(true);
            master.bind(new InetSocketAddress(bindAddr, masterPort), world);
        }
        try (ServerSocket mine = new ServerSocket(); ServerSocket masterSocket = master) {
            mine.bind(new InetSocketAddress(bindAddr, 0), world);
            mine.setSoTimeout(timeoutMs);
            String[] hosts = new String[world];
            int[] ports = new int[world];
            if (rank == 0) {
                hosts[0] = bindAddr.getHostAddress();
                ports[0] = mine.getLocalPort();
                gatherTable(masterSocket, world, generation, timeoutMs, hosts, ports);
            } else {
                sendHelloAndReadTable(rank, world, generation, masterAddr, masterPort, timeoutMs, bindAddr, mine.getLocalPort(),
                        hosts, ports);
            }
            int next = (rank + 1) % world;
            Socket toNext = connectWithRetry(hosts[next], ports[next], timeoutMs);
            new DataOutputStream(toNext.getOutputStream()).writeInt(rank);
            Socket fromPrev;
            try {
                fromPrev = mine.accept();
            } catch (SocketTimeoutException e) {
                toNext.close();
                throw new PeerLostException("rank " + ((rank - 1 + world) % world) + " did not connect within " + timeoutMs + " ms", e);
            }
            fromPrev.setSoTimeout(timeoutMs);
            toNext.setSoTimeout(timeoutMs);
            toNext.setTcpNoDelay(true);
            int prev = new DataInputStream(fromPrev.getInputStream()).readInt();
            if (prev != (rank - 1 + world) % world) throw new IOException("ring miswired: expected rank " + (rank - 1 + world) % world
                    + ", got " + prev);
            return new RingAllReduce(rank, world, toNext, fromPrev);
        }
    }

    private static void gatherTable(ServerSocket master, int world, long generation, int timeoutMs, String[] hosts, int[] ports)
            throws IOException {
        {
            master.setSoTimeout(timeoutMs);
            Socket[] peers = new Socket[world];
            try {
                for (int i = 1; i < world; i++) {
                    Socket s;
                    try {
                        s = master.accept();
                    } catch (SocketTimeoutException e) {
                        throw new PeerLostException("rank 0 saw " + (i - 1) + " of " + (world - 1) + " peers within " + timeoutMs + " ms", e);
                    }
                    s.setSoTimeout(timeoutMs);
                    var din = new DataInputStream(s.getInputStream());
                    int r = din.readInt();
                    int w = din.readInt();
                    long g = din.readLong();
                    String host = din.readUTF();
                    int p = din.readInt();
                    if (w != world || g != generation || r <= 0 || r >= world || peers[r] != null) {
                        s.close();
                        throw new IOException("bad rendezvous hello from rank " + r + " (world " + w + ", generation " + g
                                + "; expected world " + world + ", generation " + generation + ")");
                    }
                    peers[r] = s;
                    hosts[r] = host;
                    ports[r] = p;
                }
                for (int r = 1; r < world; r++) {
                    var dout = new DataOutputStream(peers[r].getOutputStream());
                    for (int i = 0; i < world; i++) {
                        dout.writeUTF(hosts[i]);
                        dout.writeInt(ports[i]);
                    }
                    dout.flush();
                }
            } finally {
                for (Socket s : peers) if (s != null) s.close();
            }
        }
    }

    private static void sendHelloAndReadTable(int rank, int world, long generation, String addr, int port, int timeoutMs,
            InetAddress self, int myPort, String[] hosts, int[] ports) throws IOException {
        try (Socket s = connectWithRetry(addr, port, timeoutMs)) {
            s.setSoTimeout(timeoutMs);
            var dout = new DataOutputStream(s.getOutputStream());
            dout.writeInt(rank);
            dout.writeInt(world);
            dout.writeLong(generation);
            dout.writeUTF(self.getHostAddress());
            dout.writeInt(myPort);
            dout.flush();
            var din = new DataInputStream(s.getInputStream());
            for (int i = 0; i < world; i++) {
                hosts[i] = din.readUTF();
                ports[i] = din.readInt();
            }
        } catch (SocketTimeoutException e) {
            throw new PeerLostException("rank 0 did not answer the rendezvous within " + timeoutMs + " ms", e);
        }
    }

    private static Socket connectWithRetry(String host, int port, int timeoutMs) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), Math.max(100, Math.min(1000, timeoutMs)));
                return s;
            } catch (IOException e) {
                s.close();
                if (System.currentTimeMillis() > deadline) {
                    throw new PeerLostException("cannot reach " + host + ":" + port + " within " + timeoutMs + " ms", e);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ie);
                }
            }
        }
    }

    /**
     * Sums {@code v} across all ranks in place. Exact: the result is the same bits on every rank.
     * On failure the ring is torn down at once, so the neighbours see it too (an EOF, not a
     * time-out): one lost rank is noticed by every survivor within milliseconds.
     */
    void allReduce(long[] v) throws PeerLostException {
        try {
            reduce(v);
        } catch (PeerLostException e) {
            close();
            throw e;
        }
    }

    private void reduce(long[] v) throws PeerLostException {
        if (world == 1) return;
        int n = v.length;
        int[] lo = new int[world + 1];
        for (int c = 0; c <= world; c++) lo[c] = (int) ((long) n * c / world);
        try {
            for (int k = 0; k < world - 1; k++) { // reduce-scatter
                int sendC = Math.floorMod(rank - k, world);
                int recvC = Math.floorMod(rank - k - 1, world);
                Future<?> sent = sendAsync(v, lo[sendC], lo[sendC + 1]);
                for (int i = lo[recvC]; i < lo[recvC + 1]; i++) v[i] += in.readLong();
                sent.get();
            }
            for (int k = 0; k < world - 1; k++) { // all-gather
                int sendC = Math.floorMod(rank - k + 1, world);
                int recvC = Math.floorMod(rank - k, world);
                Future<?> sent = sendAsync(v, lo[sendC], lo[sendC + 1]);
                for (int i = lo[recvC]; i < lo[recvC + 1]; i++) v[i] = in.readLong();
                sent.get();
            }
        } catch (SocketTimeoutException e) {
            throw new PeerLostException("a peer did not answer within the time-out", e);
        } catch (IOException e) {
            throw new PeerLostException("a peer closed the connection (" + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage()) + ")", e);
        } catch (ExecutionException e) {
            throw new PeerLostException("sending to rank " + (rank + 1) % world + " failed (" + e.getCause().getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerLostException("interrupted", e);
        }
    }

    private Future<?> sendAsync(long[] v, int from, int to) {
        long[] copy = Arrays.copyOfRange(v, from, to);
        return sender.submit(() -> {
            for (long x : copy) out.writeLong(x);
            out.flush();
            return null;
        });
    }

    @Override
    public void close() {
        sender.shutdownNow();
        try {
            if (toNext != null) toNext.close();
            if (fromPrev != null) fromPrev.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
