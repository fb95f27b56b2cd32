package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.launchers.ec2.EnrollmentPolicy.Accept;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Outcome;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Refuse;
import io.spottrain.launchers.ec2.EnrollmentPolicy.Seen;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Who gets a certificate of its own (pure). */
class EnrollmentPolicyTest {
    static final Instant NOW = Instant.parse("2026-12-04T02:00:00Z");
    static final InstanceIdentity ID = new InstanceIdentity("i-0abc12345678", "123456789012", "us-east-1", "us-east-1a", "10.0.1.23",
            "g5.xlarge", NOW.minusSeconds(120));
    static final Map<String, String> OURS = Map.of(FleetRequests.TAG_CLUSTER, "research");

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("a fresh running machine of the cluster", true, ID, new Seen("running", OURS, "10.0.1.23"),
                        new Accept("i-0abc12345678", List.of("10.0.1.23"))),
                Arguments.of("... still pending", true, ID, new Seen("pending", OURS, "10.0.1.23"), new Accept("i-0abc12345678", List.of("10.0.1.23"))),
                Arguments.of("not signed by AWS", false, ID, new Seen("running", OURS, "10.0.1.23"), new Refuse(403, EnrollmentPolicy.UNSIGNED)),
                Arguments.of("another region", true, new InstanceIdentity("i-0abc12345678", "1", "eu-west-1", "", "10.0.1.23", "", NOW), null,
                        new Refuse(403, "instance i-0abc12345678 is in region eu-west-1, cluster research in us-east-1")),
                Arguments.of("EC2 does not know it", true, ID, null, new Refuse(403, "EC2 knows no instance i-0abc12345678 in this account and region")),
                Arguments.of("terminated", true, ID, new Seen("terminated", OURS, "10.0.1.23"), new Refuse(403, "instance i-0abc12345678 is terminated")),
                Arguments.of("untagged", true, ID, new Seen("running", Map.of(), "10.0.1.23"),
                        new Refuse(403, "instance i-0abc12345678 is not a machine of cluster research (tag spottrain:cluster missing)")),
                Arguments.of("claims another address", true, ID, new Seen("running", OURS, "10.0.9.9"),
                        new Refuse(403, "instance i-0abc12345678 claims address 10.0.1.23, EC2 says 10.0.9.9")),
                Arguments.of("started an hour ago", true, new InstanceIdentity("i-0abc12345678", "1", "us-east-1", "", "10.0.1.23", "",
                        NOW.minus(Duration.ofHours(1))), new Seen("running", OURS, "10.0.1.23"), new Refuse(403, "instance i-0abc12345678 started at "
                        + NOW.minus(Duration.ofHours(1)) + ", more than 30 min ago: a machine enrolls when it boots (an older one keeps the "
                        + "certificate it got then)")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, boolean signed, InstanceIdentity id, Seen seen, Outcome expected) {
        assertEquals(expected, EnrollmentPolicy.decide(signed, id, seen, "research", "us-east-1", NOW, Duration.ofMinutes(30)));
    }
}
