package io.spottrain.launchers.local;

import io.spottrain.protocol.contract.Contract;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A misbehaving training process (for SecurityIT): says hello properly, then sends one 100 MB line. */
public final class FloodingRank {
    private FloodingRank() {}

    public static void main(String[] args) throws Exception {
        String[] hp = System.getenv(Contract.CONTROL).split(":");
        try (var s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
            OutputStream out = s.getOutputStream();
            out.write(("{\"type\":\"hello\",\"token\":\"" + System.getenv(Contract.CONTROL_TOKEN) + "\",\"rank\":0,\"worldSize\":1}\n")
                    .getBytes(StandardCharsets.UTF_8));
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'x');
            try {
                for (int i = 0; i < 100; i++) out.write(chunk);
            } catch (IOException e) {
                // the agent cut the control channel, as it should
            }
            Thread.sleep(60_000); // the agent stops this process
        }
    }
}
