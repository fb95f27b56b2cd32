package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.protocol.checkpoint.CheckpointTier;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The catalog follows retention: which steps a tier still holds after the reports so far. */
class CheckpointRetentionTest {

    static Stream<Arguments> rows() {
        var none = CheckpointRetention.NONE;
        var remote = none.reported(CheckpointTier.REMOTE, "node1", List.of(400L, 300L));
        var local = none.reported(CheckpointTier.LOCAL, "node1", List.of(400L, 300L)).reported(CheckpointTier.LOCAL, "node2", List.of(300L));
        return Stream.of(
                Arguments.of("nothing reported: every step is held", none, CheckpointTier.REMOTE, "node1", 100L, true),
                Arguments.of("kept remotely", remote, CheckpointTier.REMOTE, "node1", 300L, true),
                Arguments.of("older than the kept: removed remotely", remote, CheckpointTier.REMOTE, "node1", 200L, false),
                Arguments.of("newer than the report: uploaded since", remote, CheckpointTier.REMOTE, "node1", 500L, true),
                Arguments.of("a remote report says nothing of local tiers", remote, CheckpointTier.LOCAL, "node1", 200L, true),
                Arguments.of("kept on node1", local, CheckpointTier.LOCAL, "node1", 400L, true),
                Arguments.of("removed on node1", local, CheckpointTier.LOCAL, "node1", 200L, false),
                Arguments.of("node2 reported only 300: 400 came later", local, CheckpointTier.LOCAL, "node2", 400L, true),
                Arguments.of("node2 removed 200", local, CheckpointTier.LOCAL, "node2", 200L, false),
                Arguments.of("node3 never reported", local, CheckpointTier.LOCAL, "node3", 100L, true),
                Arguments.of("an empty report removes nothing known", none.reported(CheckpointTier.REMOTE, "n", List.of()),
                        CheckpointTier.REMOTE, "n", 100L, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void holds(String why, CheckpointRetention r, CheckpointTier tier, String node, long step, boolean held) {
        assertEquals(held, tier == CheckpointTier.REMOTE ? r.remoteHas(step) : r.localHas(node, step), why);
    }
}
