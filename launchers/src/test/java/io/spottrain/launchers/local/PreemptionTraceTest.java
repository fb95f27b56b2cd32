package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.spottrain.client.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreemptionTraceTest {
    @TempDir
    Path dir;

    @Test
    void readsTheSharedTraceFormatSortedWithNoticeAsDefault() throws Exception {
        Path f = dir.resolve("t.csv");
        Files.writeString(f, "# comment\n5000,remove,node2\n0,add,node1\n\n9000,remove,node3,kill\n");
        var t = PreemptionTrace.read(f);
        assertEquals(List.of(new PreemptionTrace.Event(0, "add", "node1", null), new PreemptionTrace.Event(5000, "remove", "node2", "notice"),
                new PreemptionTrace.Event(9000, "remove", "node3", "kill")), t.events());
    }

    @Test
    void theRepositoryTracesParse() {
        Path shared = TestCluster.ROOT.getParent().resolve("shared/traces/synthetic-5m.csv");
        if (Files.isRegularFile(shared)) {
            var t = PreemptionTrace.read(shared);
            assertEquals(30, t.events().stream().filter(e -> e.op().equals("add")).count());
        }
        assertEquals(3, PreemptionTrace.demoDefault().events().size());
    }

    @Test
    void badLinesNameTheirNumber() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "0,add,node1\nsoon,remove,node2\n");
        assertEquals("bad.csv:2: time_ms must be a whole number, got \"soon\"",
                assertThrows(CliException.class, () -> PreemptionTrace.read(f)).getMessage());
        Files.writeString(f, "0,drop,node1\n");
        assertEquals("bad.csv:1: expected add or remove, got \"drop\"", assertThrows(CliException.class, () -> PreemptionTrace.read(f)).getMessage());
        Files.writeString(f, "0,remove,node1,evict\n");
        assertEquals("bad.csv:1: expected notice or kill, got \"evict\"", assertThrows(CliException.class, () -> PreemptionTrace.read(f)).getMessage());
    }
}
