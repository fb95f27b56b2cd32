package io.spottrain.launchers.ec2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code spottrain ec2 plan --dry-run} as a user runs it: the SDK's default credential chain and
 * endpoint settings (here system properties, as the environment would be on a real machine) reach
 * the fake; a zero Spot quota makes the command exit 1 and say why.
 */
class Ec2PlanDryRunTest {
    FakeEc2 fake;
    static final List<String> PROPS = List.of("aws.endpointUrlEc2", "aws.endpointUrlServiceQuotas", "aws.accessKeyId", "aws.secretAccessKey");

    @BeforeEach
    void start() throws Exception {
        fake = new FakeEc2();
        System.setProperty("aws.endpointUrlEc2", fake.endpoint());
        System.setProperty("aws.endpointUrlServiceQuotas", fake.endpoint());
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "not-a-secret");
        fake.quotas.put(PreflightTest.P_SPOT, 0.0);
        fake.quotas.put(PreflightTest.G_SPOT, 64.0);
    }

    @AfterEach
    void stop() {
        PROPS.forEach(System::clearProperty);
        fake.close();
    }

    @Test
    void aDryRunSaysWhyTheAccountCannotLaunchTheGangAndExits1() {
        var out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.run("ec2", "plan", "--config", Ec2ConfigParserTest.EXAMPLE.toString(), "--workers", "2", "--market", "spot",
                    "--dry-run");
        } finally {
            System.setOut(saved);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, text);
        assertTrue(text.contains("dry run against AWS (us-east-1; nothing launched):"), text);
        assertTrue(text.contains("  OK   CreateFleet spot (2 node(s)): allowed (DryRunOperation)"), text);
        assertTrue(text.contains("  FAIL spot quota \"" + PreflightTest.P_SPOT + "\""), text);
        assertTrue(text.contains("a check failed: a launch of this gang would not succeed as configured"), text);
        assertTrue(fake.instances.isEmpty());
        assertTrue(!text.contains("not-a-secret"));
    }
}
