package io.spottrain.coordinator.jobs;

import static io.spottrain.coordinator.jobs.Jobs.aJob;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.protocol.wire.AgentProtocol;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a recovery asks again of a member whose node came back to a job manager that took over mid-recovery. */
class JobReattachTest {

    static Stream<Arguments> stillNeeded() {
        return Stream.of(
                Arguments.of("a survivor owes the agreed step", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.agreed(118).checkpointed(1)).build(), 2, "RequestCheckpoint 118"),
                Arguments.of("a notice's survivor, no step agreed yet: the collective request again", aJob().running(3)
                        .recovering(RecoveryKind.NOTICE, "node1").build(), 1, "RequestCheckpoint -1"),
                Arguments.of("a loss before the survivors agreed: nothing to ask yet", aJob().running(3)
                        .recovering(RecoveryKind.KILL, "node1").build(), 1, "-"),
                Arguments.of("it wrote the agreed step: nothing", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.agreed(118).checkpointed(1)).build(), 1, "-"),
                Arguments.of("every survivor wrote it: parked for the re-form", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.agreed(118).checkpointed(1).checkpointed(2)).build(), 2, "StopGeneration park"),
                Arguments.of("the lost node's rank, back after all: stopped", aJob().running(3).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.agreed(118).checkpointed(1).checkpointed(2)).build(), 0, "StopGeneration stop"),
                Arguments.of("a rank that exited: nothing", aJob().running(3).exited(2, 75).recovering(RecoveryKind.KILL, "node1")
                        .recovery(r -> r.agreed(118).checkpointed(1)).build(), 2, "-"),
                Arguments.of("no recovery: nothing", aJob().running(3).build(), 1, "-"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void stillNeeded(String what, Job job, int rank, String expected) {
        Member m = job.members().stream().filter(x -> x.rank() == rank).findFirst().orElseThrow();
        assertEquals(expected, describe(JobReattach.stillNeeded(job, m)));
    }

    private static String describe(Optional<AgentProtocol.Command> c) {
        if (c.isEmpty()) return "-";
        if (c.get() instanceof AgentProtocol.RequestCheckpoint r) return "RequestCheckpoint " + r.step();
        if (c.get() instanceof AgentProtocol.StopGeneration s) return "StopGeneration " + (s.park() ? "park" : "stop");
        return c.get().toString();
    }
}
