package io.spottrain.coordinator.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.spottrain.coordinator.membership.WorkerDowning.Decision;
import io.spottrain.coordinator.membership.WorkerDowning.DownMember;
import io.spottrain.coordinator.membership.WorkerDowning.Skip;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** When a control node downs an unreachable member itself (a worker, from a majority side) and when it leaves it to others. */
class WorkerDowningTest {

    static Stream<Arguments> decide() {
        return Stream.of(
                Arguments.of("a worker, the only control node up", Set.of("worker"), true, 1, 1, DownMember.class),
                Arguments.of("a worker, 2 of 3 control members reachable", Set.of("worker"), true, 3, 2, DownMember.class),
                Arguments.of("a control member: never here", Set.of("control"), true, 3, 2, Skip.class),
                Arguments.of("a member with both roles counts as control", Set.of("control", "worker"), true, 3, 3, Skip.class),
                Arguments.of("a member with neither role", Set.of(), true, 1, 1, Skip.class),
                Arguments.of("already leaving or down", Set.of("worker"), false, 1, 1, Skip.class),
                Arguments.of("a control node cut off from the others: 1 of 3", Set.of("worker"), true, 3, 1, Skip.class),
                Arguments.of("half is no majority: 1 of 2", Set.of("worker"), true, 2, 1, Skip.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void decide(String what, Set<String> roles, boolean live, int controls, int reachable, Class<? extends Decision> expected) {
        assertInstanceOf(expected, WorkerDowning.decide(roles, live, controls, reachable), what);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decide")
    void aSkipSaysWhy(String what, Set<String> roles, boolean live, int controls, int reachable, Class<? extends Decision> expected) {
        if (WorkerDowning.decide(roles, live, controls, reachable) instanceof Skip s) assertEquals(false, s.why().isBlank(), what);
    }
}
