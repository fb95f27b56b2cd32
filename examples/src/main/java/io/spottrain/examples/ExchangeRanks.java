package io.spottrain.examples;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * The smallest real distributed program: every rank connects to rank 0 at MASTER_ADDR:MASTER_PORT,
 * sends a value that depends on its RANK, rank 0 sums them and sends the sum back, and every rank
 * checks the sum against the one WORLD_SIZE predicts. A wrong rendezvous (ranks, world size, address
 * or port) makes it fail or time out, never pass. Every wait is bounded by {@code --timeout-s}.
 */
public final class ExchangeRanks {

    public static void main(String[] args) throws Exception {
        int rank = intEnv("RANK");
        int world = intEnv("WORLD_SIZE");
        String addr = env("MASTER_ADDR");
        int port = intEnv("MASTER_PORT");
        int timeoutMs = 1000 * (args.length > 1 && args[0].equals("--timeout-s") ? Integer.parseInt(args[1]) : 30);
        long value = contribution(rank);
        long expected = 0;
        for (int r = 0; r < world; r++) expected += contribution(r);

        long sum = rank == 0 ? serve(addr, port, world, value, timeoutMs) : join(addr, port, rank, value, timeoutMs);
        if (sum != expected) {
            System.out.printf("rank %d of %d: sum=%d but expected %d: wrong rendezvous%n", rank, world, sum, expected);
            System.exit(1);
        }
        System.out.printf("rank %d of %d: sum=%d ok%n", rank, world, sum);
    }

    static long contribution(int rank) {
        return (long) rank * rank + 1;
    }

    static long serve(String addr, int port, int world, long own, int timeoutMs) throws IOException {
        try (var server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(addr), port));
            server.setSoTimeout(timeoutMs);
            List<Socket> peers = new ArrayList<>();
            boolean[] seen = new boolean[world];
            seen[0] = true;
            long sum = own;
            try {
                while (peers.size() < world - 1) {
                    Socket s = server.accept();
                    s.setSoTimeout(timeoutMs);
                    peers.add(s);
                    var in = new DataInputStream(s.getInputStream());
                    int r = in.readInt();
                    int w = in.readInt();
                    if (r <= 0 || r >= world || seen[r] || w != world) {
                        throw new IOException("bad peer hello: rank " + r + " world " + w + " (expected world " + world + ")");
                    }
                    seen[r] = true;
                    sum += in.readLong();
                }
                for (Socket s : peers) {
                    new DataOutputStream(s.getOutputStream()).writeLong(sum);
                }
            } catch (SocketTimeoutException e) {
                throw new IOException("rank 0 saw " + peers.size() + " of " + (world - 1) + " peers within " + timeoutMs + " ms");
            } finally {
                for (Socket s : peers) s.close();
            }
            return sum;
        }
    }

    static long join(String addr, int port, int rank, long own, int timeoutMs) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try (var s = new Socket()) {
                s.connect(new InetSocketAddress(addr, port), 1000);
                s.setSoTimeout(timeoutMs);
                var out = new DataOutputStream(s.getOutputStream());
                out.writeInt(rank);
                out.writeInt(intEnv("WORLD_SIZE"));
                out.writeLong(own);
                out.flush();
                return new DataInputStream(s.getInputStream()).readLong();
            } catch (ConnectException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IOException("rank " + rank + " could not reach rank 0 at " + addr + ":" + port + " within "
                            + timeoutMs + " ms");
                }
                Thread.sleep(100);
            }
        }
    }

    static String env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            System.err.println(name + " is not set: run me under spottrain (or torchrun-style env)");
            System.exit(2);
        }
        return v;
    }

    static int intEnv(String name) {
        return Integer.parseInt(env(name));
    }
}
