package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.launchers.ec2.Ec2Config;
import io.spottrain.launchers.ec2.Ec2ConfigParser;
import io.spottrain.launchers.ec2.FleetRequests;
import io.spottrain.launchers.ec2.FleetRequests.Gang;
import io.spottrain.launchers.ec2.Preflight;
import io.spottrain.protocol.json.Json;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;

/** EC2 fleets: check a fleet config and see the exact requests the launcher would send, without calling AWS. */
@Command(name = "ec2", description = "EC2 fleets of a cluster.", subcommands = {Ec2Command.Plan.class, Ec2JoinCommand.class})
final class Ec2Command {

    /** The fleet config, validated (every error with its field: the command fails with them). */
    static Ec2Config load(Path config) throws IOException {
        if (!Files.isRegularFile(config)) throw new CliException("--config " + config + ": no such file");
        try {
            return Ec2ConfigParser.parse(config.toString(), Files.readString(config));
        } catch (Ec2ConfigParser.Ec2ConfigException e) {
            throw new CliException(e.getMessage());
        }
    }

    @Command(name = "plan", description = "Validate an EC2 fleet config (every error with its field) and print, without calling AWS, the "
            + "launch template version and the CreateFleet request(s) a launch of --workers machines sends, user data decoded.")
    static final class Plan implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "fleet config, e.g. examples/cluster/ec2.yaml")
        Path config;

        @Option(names = "--workers", defaultValue = "1", description = "machines in the gang (default: ${DEFAULT-VALUE})")
        int workers;

        @Option(names = "--market", defaultValue = "spot-with-fallback", description = "spot, on-demand or spot-with-fallback (default: ${DEFAULT-VALUE})")
        String market;

        @Option(names = "--job", defaultValue = "plan", description = "job id the machines are tagged with (default: ${DEFAULT-VALUE})")
        String job;

        @Option(names = "--label", description = "a job label KEY=VALUE, tagged on the machines (repeatable)")
        List<String> labels = new ArrayList<>();

        @Option(names = "--dry-run", description = "also ask AWS, launching nothing: EC2's DryRun on every call the launcher makes, each "
                + "type's vCPUs, and the account's Spot and on-demand vCPU quotas (credentials from the SDK's default chain); exit 1 when "
                + "a check fails")
        boolean dryRun;

        @Mixin
        Options.Output output;

        @Override
        public Integer call() throws IOException {
            if (workers < 1 || workers > 1024) throw new CliException("--workers must be 1..1024, got " + workers);
            Market m = Market.fromLabel(market).orElseThrow(() -> new CliException("--market must be spot, on-demand or spot-with-fallback, got \""
                    + market + "\""));
            var tags = new TreeMap<String, String>();
            for (String l : labels) {
                int eq = l.indexOf('=');
                if (eq < 1) throw new CliException("--label must be KEY=VALUE, got \"" + l + "\"");
                tags.put(l.substring(0, eq), l.substring(eq + 1));
            }
            Ec2Config c = load(config);
            var template = FleetRequests.launchTemplateVersion(c);
            String userData = new String(Base64.getDecoder().decode(template.launchTemplateData().userData()), StandardCharsets.UTF_8);
            var fleets = new ArrayList<CreateFleetRequest>();
            for (NodeMarket nm : FleetRequests.markets(m)) fleets.add(FleetRequests.createFleet(c, new Gang(job, tags, workers, nm, "plan"), "$Latest"));
            List<Preflight.Check> checks = dryRun ? preflight(c, m) : List.of();
            int code = Preflight.worst(checks) == Preflight.Status.FAIL ? 1 : 0;
            if (output.json()) {
                var out = new LinkedHashMap<String, Object>();
                out.put("launchTemplateVersion", Map.of("request", template.toString(), "userData", userData));
                out.put("createFleet", fleets.stream().map(CreateFleetRequest::toString).toList());
                if (dryRun) out.put("preflight", checks);
                System.out.println(Json.pretty(out));
                return code;
            }
            System.out.println("config " + config + ": valid (cluster " + c.cluster() + ", " + c.region() + ", " + c.instanceTypes().size()
                    + " instance type(s) x " + c.subnets().size() + " subnet(s) = " + c.instanceTypes().size() * c.subnets().size() + " pools)");
            // the SDK prints user data as redacted: it is decoded below
            System.out.println("\n1. CreateLaunchTemplateVersion (once per config change):\n   " + template);
            System.out.println("\n   user data (no secret in it: the agent reads " + c.agent().joinParameter() + " with the instance role):");
            userData.lines().forEach(l -> System.out.println("   | " + l));
            for (int i = 0; i < fleets.size(); i++) {
                System.out.println("\n" + (i + 2) + ". CreateFleet" + (i > 0 ? " (only after the Spot request found no capacity)" : "") + ":\n   "
                        + fleets.get(i).toString());
            }
            if (dryRun) {
                System.out.println("\ndry run against AWS (" + c.region() + "; nothing launched):");
                for (var check : checks) System.out.printf("  %-4s %s: %s%n", check.status(), check.what(), check.detail());
                System.out.println(code == 0 ? "no check failed" : "a check failed: a launch of this gang would not succeed as configured");
            }
            return code;
        }

        private List<Preflight.Check> preflight(Ec2Config c, Market m) {
            var credentials = DefaultCredentialsProvider.builder().build();
            try (var ec2 = Ec2Client.builder().region(Region.of(c.region())).credentialsProvider(credentials)
                    .httpClient(UrlConnectionHttpClient.create()).build();
                    var quotas = Preflight.quotas(c.region(), credentials)) {
                return Preflight.run(c, workers, m, ec2, quotas);
            }
        }
    }
}
