package io.spottrain.launchers.ec2;

import io.spottrain.launchers.ec2.FleetRequests.Gang;
import io.spottrain.launchers.ec2.ServiceQuotas.Quota;
import io.spottrain.protocol.spec.Market;
import io.spottrain.protocol.spec.NodeMarket;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;

/**
 * {@code ec2 plan --dry-run}: what the account would say to a launch of a gang, asked without
 * launching anything. EC2's {@code DryRun} on the launcher's calls (template, RunInstances with the
 * config's image, subnet, security groups and instance profile, CreateFleet per market) answers
 * whether the credentials may make them; {@code DescribeInstanceTypes} gives each type's vCPUs, and
 * the account's vCPU quotas (Spot and on-demand, per instance family) say whether a gang fits:
 * new accounts often have 0 vCPUs of Spot for GPU families, which this says plainly.
 */
public final class Preflight {

    public enum Status { OK, WARN, FAIL }

    /** One finding. */
    public record Check(Status status, String what, String detail) {}

    private Preflight() {}

    public static List<Check> run(Ec2Config c, int workers, Market market, Ec2Client ec2, QuotaSource quotas) {
        var out = new ArrayList<Check>();
        dryRun(out, "CreateLaunchTemplate (the first launch makes spottrain-" + c.cluster() + ")", () -> ec2.createLaunchTemplate(
                FleetRequests.launchTemplate(c).toBuilder().dryRun(true).build()));
        var first = FleetRequests.pools(c).get(0);
        dryRun(out, "RunInstances " + first.instanceType() + " in " + first.subnetId() + " with " + c.imageId() + " and instance profile "
                + c.instanceProfile(), () -> ec2.runInstances(RunInstancesRequest.builder().dryRun(true).minCount(1).maxCount(1)
                .imageId(c.imageId()).instanceType(first.instanceType()).subnetId(first.subnetId()).securityGroupIds(c.securityGroups())
                .iamInstanceProfile(IamInstanceProfileSpecification.builder().name(c.instanceProfile()).build()).build()));
        for (NodeMarket m : FleetRequests.markets(market)) {
            dryRun(out, "CreateFleet " + m.label() + " (" + workers + " node(s))", () -> ec2.createFleet(FleetRequests.createFleet(c,
                    new Gang("preflight", Map.of(), workers, m, "preflight"), "$Latest").toBuilder().dryRun(true).build()));
        }
        Map<String, Integer> vcpus = new LinkedHashMap<>();
        try {
            ec2.describeInstanceTypes(r -> r.instanceTypesWithStrings(c.instanceTypes().stream().map(Ec2Config.InstanceType::type).toList()))
                    .instanceTypes().forEach(t -> vcpus.put(t.instanceTypeAsString(), t.vCpuInfo().defaultVCpus()));
            for (var t : c.instanceTypes()) {
                if (!vcpus.containsKey(t.type())) out.add(new Check(Status.FAIL, "instance type " + t.type(), "not offered in " + c.region()));
            }
        } catch (Ec2Exception e) {
            out.add(new Check(Status.FAIL, "DescribeInstanceTypes", code(e) + ": " + message(e)));
        } catch (SdkClientException e) {
            out.add(new Check(Status.FAIL, "DescribeInstanceTypes", "did not reach EC2: " + e.getMessage()));
        }
        if (!vcpus.isEmpty()) quotas(out, c, workers, market, vcpus, quotas);
        return out;
    }

    /** Where the account's quotas come from ({@link ServiceQuotas} against AWS). */
    public interface QuotaSource extends AutoCloseable {
        List<Quota> ec2Quotas() throws IOException;

        @Override
        default void close() {}
    }

    /** The account's quotas in {@code region}, read with {@code credentials}. */
    public static QuotaSource quotas(String region, AwsCredentialsProvider credentials) {
        return new ServiceQuotas(region, ServiceQuotas.endpoint(region), credentials);
    }

    private static void quotas(List<Check> out, Ec2Config c, int workers, Market market, Map<String, Integer> vcpus, QuotaSource source) {
        List<Quota> quotas;
        try {
            quotas = source.ec2Quotas();
        } catch (IOException e) {
            out.add(new Check(Status.WARN, "vCPU quotas", "not read (" + e.getMessage() + "): a gang may still meet "
                    + "MaxSpotInstanceCountExceeded or VcpuLimitExceeded; the coordinator needs servicequotas:ListServiceQuotas to check"));
            return;
        }
        var markets = FleetRequests.markets(market);
        for (NodeMarket m : markets) {
            // the worst case per quota: the gang all on the type of that family with the most vCPUs
            Map<Quota, Integer> need = new LinkedHashMap<>();
            for (var t : c.instanceTypes()) {
                Integer v = vcpus.get(t.type());
                if (v == null) continue;
                var q = quotaFor(t.type(), m, quotas);
                if (q.isEmpty()) {
                    out.add(new Check(Status.WARN, m.label() + " quota of " + t.type(), "no quota of this account names its family"));
                    continue;
                }
                need.merge(q.get(), workers * v, Math::max);
            }
            boolean fallbackOnly = markets.size() > 1;
            need.forEach((q, vcpu) -> {
                // under spot-with-fallback a short Spot quota only sends launches to on-demand; on-demand is the last resort
                Status shortfall = fallbackOnly && m == NodeMarket.SPOT ? Status.WARN : Status.FAIL;
                String what = m.label() + " quota \"" + q.name() + "\" (" + q.code() + ")";
                if (q.value() <= 0) {
                    out.add(new Check(shortfall, what, "0 vCPUs in " + c.region() + ": this account may not launch these "
                            + m.label() + " instances at all (new accounts often start at 0 for GPU families); request an increase in "
                            + "the Service Quotas console (Amazon EC2, \"" + q.name() + "\")"
                            + (fallbackOnly && m == NodeMarket.SPOT ? "; until then every launch falls back to on-demand" : "")));
                } else if (q.value() < vcpu) {
                    out.add(new Check(shortfall, what, (long) q.value() + " vCPUs, a gang of " + workers + " needs up to " + vcpu
                            + " (shared with every other " + m.label() + " instance of the family in the region)"));
                } else {
                    out.add(new Check(Status.OK, what, (long) q.value() + " vCPUs, a gang of " + workers + " needs up to " + vcpu));
                }
            });
        }
    }

    private static final Pattern SPOT_QUOTA = Pattern.compile("All (.+) Spot Instance Requests");
    private static final Pattern ON_DEMAND_QUOTA = Pattern.compile("Running On-Demand (.+) instances");
    private static final Pattern FAMILY = Pattern.compile("([a-z]+)(\\d*)");

    /**
     * The vCPU quota an instance type counts against on {@code market}, by the quotas' names (their
     * codes are not documented together, their names are): a quota that names the type's family
     * with its generation ("P4, P3 and P2": p3.2xlarge) wins over one that names the letters only
     * ("P", "G and VT", "Inf"), which wins over the standard families' "Standard (A, C, ... Z)".
     */
    public static Optional<Quota> quotaFor(String instanceType, NodeMarket market, List<Quota> quotas) {
        Matcher f = FAMILY.matcher(instanceType.substring(0, instanceType.indexOf('.') < 0 ? instanceType.length() : instanceType.indexOf('.')));
        if (!f.lookingAt()) return Optional.empty();
        String letters = f.group(1).toUpperCase(Locale.ROOT);
        String generation = letters + f.group(2);
        Pattern named = market == NodeMarket.SPOT ? SPOT_QUOTA : ON_DEMAND_QUOTA;
        Quota best = null;
        int bestScore = 0;
        for (Quota q : quotas) {
            Matcher m = named.matcher(q.name());
            if (!m.matches()) continue;
            int score = score(m.group(1), letters, generation);
            if (score > bestScore) {
                best = q;
                bestScore = score;
            }
        }
        return Optional.ofNullable(best);
    }

    /** 3: the family with its generation; 2: its letters; 1: a standard family's letter; 0: another family. */
    static int score(String families, String letters, String generation) {
        String list = families.toUpperCase(Locale.ROOT);
        if (list.startsWith("STANDARD")) {
            int open = list.indexOf('(');
            if (open < 0) return 0;
            for (String l : list.substring(open + 1, list.indexOf(')', open) < 0 ? list.length() : list.indexOf(')', open)).split(",\\s*")) {
                if (l.trim().equals(letters)) return 1;
            }
            return 0;
        }
        int best = 0;
        for (String token : list.split(",\\s*|\\s+AND\\s+")) {
            String t = token.trim();
            if (t.equals(generation)) return 3;
            if (t.equals(letters)) best = 2;
        }
        return best;
    }

    private static void dryRun(List<Check> out, String what, Runnable call) {
        try {
            call.run();
            out.add(new Check(Status.WARN, what, "EC2 answered a dry run without DryRunOperation: nothing was checked"));
        } catch (Ec2Exception e) {
            String code = code(e);
            switch (code) {
                case "DryRunOperation" -> out.add(new Check(Status.OK, what, "allowed (DryRunOperation)"));
                case "UnauthorizedOperation" -> out.add(new Check(Status.FAIL, what, "not allowed for these credentials: " + message(e)
                        + " (see the IAM policy in docs/operations.md)"));
                case "AuthFailure" -> out.add(new Check(Status.FAIL, what, "the credentials were refused: " + message(e)));
                default -> out.add(new Check(Status.FAIL, what, code + ": " + message(e)));
            }
        } catch (SdkClientException e) {
            out.add(new Check(Status.FAIL, what, "did not reach EC2: " + e.getMessage()));
        }
    }

    private static String code(Ec2Exception e) {
        return e.awsErrorDetails() == null ? "HTTP " + e.statusCode() : e.awsErrorDetails().errorCode();
    }

    private static String message(Ec2Exception e) {
        return e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
    }

    /** The worst status of a run (OK when empty). */
    public static Status worst(List<Check> checks) {
        return checks.stream().map(Check::status).max(Comparator.naturalOrder()).orElse(Status.OK);
    }
}
