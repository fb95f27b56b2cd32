package io.spottrain.coordinator.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.coordinator.membership.ControlDowning.ControlMember;
import io.spottrain.coordinator.membership.ControlDowning.DownMember;
import io.spottrain.coordinator.membership.ControlDowning.Skip;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * When a control node's store fails, this node downs its cluster member only from a majority side.
 * Members are written {@code name:flags} with flags {@code L} live (Up), {@code R} reachable from
 * here, {@code S} in this node's store topology; {@code c1} failed, this node is {@code c2}.
 */
class ControlDowningTest {

    @ParameterizedTest(name = "{0} (back in store: {1}) -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            c1:LR  c2:LRS c3:LRS | false | down                                                                         | killed: the other two see each other and their stores
            c1:L   c2:LRS c3:LRS | false | down                                                                         | killed, the failure detector already noticed
            c1:LR  c2:LRS c3:LR  | false | skip: no majority here: 1 of 3 control nodes are up, reachable and in the store | c3's store is gone too (from here)
            c1:LR  c2:LRS c3:LS  | false | skip: no majority here: 1 of 3 control nodes are up, reachable and in the store | c3 unreachable: this side may be the minority
            c1:LR  c2:LRS        | false | skip: no majority here: 1 of 2 control nodes are up, reachable and in the store | two control nodes: 1 of 2 is no majority
            c1:LR  c2:LRS c3:LRS c4:LRS c5:LR | false | down                                                           | five, one other store also gone: 3 of 5
            c1:LR  c2:LRS c3:LRS | true  | skip: control1 is in the store's topology again                              | it came back (a restart under the same id)
            c1:-R  c2:LRS c3:LRS | false | skip: c1 is not an up control member (already down, leaving or gone)         | leaving: a graceful stop, Pekko's own path
            c2:LRS c3:LRS        | false | skip: c1 is not an up control member (already down, leaving or gone)         | already removed
            c1:LR  c2:-RS c3:LRS | false | skip: no majority here: 1 of 3 control nodes are up, reachable and in the store | this node is itself leaving
            """)
    void downsOnlyFromAMajoritySide(String members, boolean backInStore, String expected, String why) {
        var controls = new ArrayList<ControlMember>();
        for (String m : members.trim().split("\\s+")) {
            String[] parts = m.split(":");
            String flags = parts[1];
            controls.add(new ControlMember(parts[0], flags.contains("L"), flags.contains("R"), flags.contains("S")));
        }
        var decision = ControlDowning.decide("control1", "c1", backInStore, controls, "c2");
        assertEquals(expected.equals("down") ? new DownMember("c1") : new Skip(expected.substring("skip: ".length())), decision, why);
    }

    @ParameterizedTest(name = "address {0}")
    @CsvSource(delimiter = '|', textBlock = """
            ''  | skip: no cluster address is recorded for control node control1
            c2  | skip: control1 is this node
            """)
    void unknownOrOwnAddressIsNeverDowned(String address, String expected) {
        var controls = List.of(new ControlMember("c2", true, true, true), new ControlMember("c3", true, true, true));
        var decision = ControlDowning.decide("control1", address.isEmpty() ? null : address, false, controls, "c2");
        assertEquals(new Skip(expected.substring("skip: ".length())), decision);
    }
}
