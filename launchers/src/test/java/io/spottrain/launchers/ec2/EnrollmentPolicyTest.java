package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.spottrain.launchers.ec2.EnrollmentPolicy.Accept;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Fleet;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Outcome;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Refuse;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Seen;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Who gets a certificate of its own (pure). */
class EnrollmentPolicyTest {
    static final Instant NOW = Instant.parse("2026-12-04T02:00:00Z");
    static final InstanceIdentity ID = new InstanceIdentity("i-0abc12345678", "123456789012", "us-east-1", "us-east-1a", "10.0.1.23",
            "g5.xlarge", NOW.minusSeconds(120));
    static final Map<String, String> OURS = Map.of(FleetRequests.TAG_CLUSTER, "research");
    static final String PROFILE = "arn:aws:iam::123456789012:instance-profile/spottrain-agent";
    static final Fleet FLEET = new Fleet("research", "us-east-1", "spottrain-agent", List.of("subnet-a", "subnet-b"));

    static Seen seen(String state, Map<String, String> tags, String ip) {
        return new Seen(state, tags, ip, PROFILE, "subnet-a");
    }

    static Stream<Arguments> table() {
        var ok = new Accept("i-0abc12345678", List.of("10.0.1.23"));
        return Stream.of(
                Arguments.of("a fresh running machine of the fleet", true, ID, seen("running", OURS, "10.0.1.23"), ok),
                Arguments.of("... still pending", true, ID, seen("pending", OURS, "10.0.1.23"), ok),
                Arguments.of("not signed by AWS", false, ID, seen("running", OURS, "10.0.1.23"), new Refuse(403, EnrollmentPolicy.UNSIGNED)),
                Arguments.of("another region", true, new InstanceIdentity("i-0abc12345678", "1", "eu-west-1", "", "10.0.1.23", "", NOW), null,
                        new Refuse(403, "instance i-0abc12345678 is in region eu-west-1, cluster research in us-east-1")),
                Arguments.of("EC2 does not know it", true, ID, null, new Refuse(403, "EC2 knows no instance i-0abc12345678 in this account and region")),
                Arguments.of("terminated", true, ID, seen("terminated", OURS, "10.0.1.23"), new Refuse(403, "instance i-0abc12345678 is terminated")),
                Arguments.of("untagged", true, ID, seen("running", Map.of(), "10.0.1.23"),
                        new Refuse(403, "instance i-0abc12345678 is not a machine of cluster research (tag spottrain:cluster missing)")),
                Arguments.of("tagged, but with another instance profile (anyone allowed to tag could make one)", true, ID,
                        new Seen("running", OURS, "10.0.1.23", "arn:aws:iam::123456789012:instance-profile/admin", "subnet-a"),
                        new Refuse(403, "instance i-0abc12345678 runs with instance profile arn:aws:iam::123456789012:instance-profile/admin, "
                                + "not the fleet's spottrain-agent")),
                Arguments.of("... or none", true, ID, new Seen("running", OURS, "10.0.1.23", null, "subnet-a"),
                        new Refuse(403, "instance i-0abc12345678 runs with instance profile null, not the fleet's spottrain-agent")),
                Arguments.of("... or outside the fleet's subnets", true, ID, new Seen("running", OURS, "10.0.1.23", PROFILE, "subnet-z"),
                        new Refuse(403, "instance i-0abc12345678 is in subnet subnet-z, none of the fleet's [subnet-a, subnet-b]")),
                Arguments.of("claims another address", true, ID, seen("running", OURS, "10.0.9.9"),
                        new Refuse(403, "instance i-0abc12345678 claims address 10.0.1.23, EC2 says 10.0.9.9")),
                Arguments.of("started an hour ago", true, new InstanceIdentity("i-0abc12345678", "1", "us-east-1", "", "10.0.1.23", "",
                        NOW.minus(Duration.ofHours(1))), seen("running", OURS, "10.0.1.23"), new Refuse(403, "instance i-0abc12345678 started at "
                        + NOW.minus(Duration.ofHours(1)) + ", more than 30 min ago: a machine enrolls when it boots (an older one keeps the "
                        + "certificate it got then)")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, boolean signed, InstanceIdentity id, Seen seen, Outcome expected) {
        assertEquals(expected, EnrollmentPolicy.decide(signed, id, seen, FLEET, NOW, Duration.ofMinutes(30)));
    }

    @Test
    void theSignedDocumentAloneDecidesWhatItCanBeforeEc2IsAsked() {
        assertNull(EnrollmentPolicy.early(true, ID, FLEET, NOW, Duration.ofMinutes(30)), "a fresh document of the region: ask EC2");
        assertEquals(403, EnrollmentPolicy.early(false, ID, FLEET, NOW, Duration.ofMinutes(30)).status());
        assertEquals(403, EnrollmentPolicy.early(true, ID, FLEET, NOW.plus(Duration.ofHours(1)), Duration.ofMinutes(30)).status());
    }

    @Test
    void theFleetsProfileMatchesByNameOrArn() {
        var byArn = new Fleet("research", "us-east-1", PROFILE, List.of("subnet-a"));
        assertEquals(new Accept("i-0abc12345678", List.of("10.0.1.23")), EnrollmentPolicy.decide(true, ID, seen("running", OURS, "10.0.1.23"),
                byArn, NOW, Duration.ofMinutes(30)));
        var other = new Fleet("research", "us-east-1", "spottrain-agent-2", List.of("subnet-a"));
        assertEquals(403, ((Refuse) EnrollmentPolicy.decide(true, ID, seen("running", OURS, "10.0.1.23"), other, NOW, Duration.ofMinutes(30)))
                .status(), "a profile whose name only ends like the fleet's is not it");
    }
}
