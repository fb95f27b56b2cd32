package io.spottrain.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** API tokens: create (printed once, never stored in clear), list, revoke. Needs an admin token. */
@Command(name = "token", description = "Manage API tokens (needs an admin token).",
        subcommands = {TokenCommand.Create.class, TokenCommand.Ls.class, TokenCommand.Revoke.class})
final class TokenCommand {

    enum RoleName { viewer, operator, admin }

    @Command(name = "create", description = "Create a token; it is printed once: hand it to its owner (e.g. in a 0600 file for --token-file).")
    static final class Create implements Callable<Integer> {
        @Option(names = "--role", required = true, description = "viewer (reads), operator (jobs), admin (nodes, shutdown, tokens)")
        RoleName role;

        @Option(names = "--name", description = "who or what holds it, shown in job events (default: <role>-<date>)")
        String name;

        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() {
            String n = name != null ? name : role + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            JsonNode t = cluster.client().post("/api/v1/tokens", Json.write(Map.of("name", n, "role", role.name())), "application/json");
            if (output.json()) {
                System.out.println(Json.pretty(t));
            } else {
                System.out.println(t.path("token").asText());
                System.err.println("created " + t.path("role").asText() + " token " + t.path("id").asText() + " (" + t.path("name").asText()
                        + "); it is shown only now");
            }
            return 0;
        }
    }

    @Command(name = "ls", description = "List tokens: id, name, role, when created and revoked (never the tokens).")
    static final class Ls implements Callable<Integer> {
        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() {
            JsonNode all = cluster.client().get("/api/v1/tokens");
            if (output.json()) {
                System.out.println(Json.pretty(all));
                return 0;
            }
            var rows = new ArrayList<List<String>>();
            for (JsonNode t : all) {
                rows.add(List.of(t.path("id").asText(), t.path("name").asText(), t.path("role").asText(), t.path("createdAt").asText(),
                        t.path("revokedAt").isNull() || t.path("revokedAt").isMissingNode() ? "-" : t.path("revokedAt").asText()));
            }
            System.out.print(Text.table(List.of("ID", "NAME", "ROLE", "CREATED", "REVOKED"), rows));
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a token by id: it is refused from now on, on every control node.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Mixin
        Options.Cluster cluster;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() {
            JsonNode t = cluster.client().post("/api/v1/tokens/" + id + "/revoke", "", "application/json");
            System.out.println(output.json() ? Json.pretty(t) : "revoked token " + t.path("id").asText() + " (" + t.path("name").asText() + ")");
            return 0;
        }
    }
}
