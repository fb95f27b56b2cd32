package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class JavaCommandTest {
    @Test
    void extraFlagsSplitOnWhitespaceAndNothingIsNothing() {
        assertEquals(List.of(), JavaCommand.extraFlags(null));
        assertEquals(List.of(), JavaCommand.extraFlags("  "));
        assertEquals(List.of("-XX:TieredStopAtLevel=1"), JavaCommand.extraFlags(" -XX:TieredStopAtLevel=1\n"));
        assertEquals(List.of("-Xlog:gc", "-XX:+UseSerialGC"), JavaCommand.extraFlags("-Xlog:gc \t -XX:+UseSerialGC"));
    }

    @Test
    void clusterFlagsComeAfterTheProcessOwn() {
        var c = JavaCommand.current(List.of("-Xmx1g")).withClusterFlags(List.of("-Xss512k"));
        assertEquals("-Xss512k", c.jvmFlags().get(0));
        assertEquals(List.of("-Xss512k").size() + JavaCommand.extraFlags(System.getenv(JavaCommand.EXTRA_FLAGS_ENV)).size(), c.jvmFlags().size());
    }
}
