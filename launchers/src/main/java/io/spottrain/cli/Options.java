package io.spottrain.cli;

import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import io.spottrain.launchers.local.AdminToken;
import io.spottrain.launchers.local.ClusterState;
import io.spottrain.launchers.local.ControlNodeState;
import io.spottrain.launchers.local.LocalCluster;
import io.spottrain.protocol.tls.NodeTls;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/** Options most commands share: where the local cluster lives, the API address, the output format. */
final class Options {
    private Options() {}

    enum Format { text, json }

    static final class Output {
        @Option(names = {"-o", "--output"}, description = "text or json (default: ${DEFAULT-VALUE})", defaultValue = "text")
        Format format;

        boolean json() {
            return format == Format.json;
        }
    }

    static final class Cluster {
        @Option(names = "--state-dir", description = "where a local cluster keeps its state (default: $SPOTTRAIN_STATE_DIR or ./.spottrain)")
        Path stateDir;

        @Option(names = "--api", description = "coordinator API address, e.g. http://10.0.0.5:8080 (default: $SPOTTRAIN_API, else the local cluster's)")
        String api;

        @Option(names = "--token-file", description = "file holding the API token (default: $SPOTTRAIN_TOKEN, else <state-dir>/token)")
        Path tokenFile;

        @Option(names = "--api-ca", description = "PEM certificate(s) to trust for an https API (default: $SPOTTRAIN_API_CA, else the "
                + "local cluster's <state-dir>/api.crt, else the JVM's CAs)")
        Path apiCa;

        /** Trust for an https API: --api-ca, $SPOTTRAIN_API_CA, the local cluster's api.crt, or null (the JVM's CAs). */
        SSLContext trust() {
            if (apiCa != null) return NodeTls.trusting(apiCa);
            String env = System.getenv("SPOTTRAIN_API_CA");
            if (env != null && !env.isBlank()) return NodeTls.trusting(Path.of(env));
            return LocalCluster.apiTrust(stateDir());
        }

        /** The API token: --token-file, else $SPOTTRAIN_TOKEN, else the local cluster's; null when there is none. */
        String token() {
            if (tokenFile != null) {
                return AdminToken.read(tokenFile).orElseThrow(() -> new CliException("--token-file " + tokenFile + " does not exist"));
            }
            String env = System.getenv("SPOTTRAIN_TOKEN");
            if (env != null && !env.isBlank()) return env.strip();
            return AdminToken.read(AdminToken.file(stateDir())).orElse(null);
        }

        Path stateDir() {
            if (stateDir != null) return stateDir.toAbsolutePath();
            String env = System.getenv("SPOTTRAIN_STATE_DIR");
            return Path.of(env == null || env.isBlank() ? ".spottrain" : env).toAbsolutePath();
        }

        ApiClient client() {
            String token = token();
            if (api != null) return new ApiClient(api, token, trust());
            String env = System.getenv("SPOTTRAIN_API");
            if (env != null && !env.isBlank()) return new ApiClient(env, token, trust());
            Path dir = stateDir();
            ClusterState s = ClusterState.read(dir).orElseThrow(() -> new CliException("no local cluster found under " + dir
                    + " (start one with ./spottrain up, or pass --api URL)"));
            if (!s.alive()) {
                // the first control node is gone: any other control node serves the same API and state
                for (var c : ControlNodeState.all(dir)) if (c.alive()) return new ApiClient(c.apiUrl(), token, trust());
            }
            return new ApiClient(s.apiUrl(), token, trust());
        }
    }
}
