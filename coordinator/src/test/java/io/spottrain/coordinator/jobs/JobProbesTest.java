package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.protocol.spec.NodeMarket;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which silent ranks a probe's time-out judges lost: those probed whose agent did not answer. */
class JobProbesTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("probed, no answer", List.of("a"), Set.of("a"), Set.of(), List.of("a")),
                Arguments.of("probed, answered", List.of("a"), Set.of("a"), Set.of("a"), List.of()),
                Arguments.of("not probed (no agent known): the grace judges it", List.of("a"), Set.of(), Set.of(), List.of()),
                Arguments.of("two silent, one answered", List.of("a", "b"), Set.of("a", "b"), Set.of("b"), List.of("a")),
                Arguments.of("an answer from a node that is no longer silent", List.of("a"), Set.of("a", "b"), Set.of("b"), List.of("a")),
                Arguments.of("nobody silent any more (it reported)", List.of(), Set.of("a"), Set.of(), List.of()),
                Arguments.of("order of the silent kept", List.of("c", "a"), Set.of("a", "c"), Set.of(), List.of("c", "a")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void unanswered(String name, List<String> silent, Set<String> probed, Set<String> answered, List<String> lost) {
        var members = silent.stream().map(n -> Member.assigned(0, n, NodeMarket.SPOT, 1, 3)).toList();
        assertEquals(lost, JobProbes.unanswered(members, probed, answered).stream().map(Member::nodeId).toList());
    }
}
