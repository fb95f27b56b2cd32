package io.spottrain.launchers.local;

import io.spottrain.client.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A preemption trace: lines {@code time_ms,add|remove,node[,notice|kill]} (the format of
 * {@code shared/traces/}); {@code remove} defaults to a notice. Blank lines and {@code #} comments
 * are skipped; a bad line is an error naming its number.
 */
public record PreemptionTrace(List<Event> events) {

    public record Event(long timeMs, String op, String node, String kind) {}

    /** The demo's default: two notices and one kill. */
    public static PreemptionTrace demoDefault() {
        return new PreemptionTrace(List.of(new Event(4000, "remove", "node2", "notice"), new Event(14000, "remove", "node3", "kill"),
                new Event(26000, "remove", "node1", "notice")));
    }

    public static PreemptionTrace read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new CliException("cannot read the preemption trace " + file + ": " + e.getMessage());
        }
        var events = new ArrayList<Event>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith("time_ms")) continue;
            String[] f = l.split(",");
            String where = file.getFileName() + ":" + (i + 1) + ": ";
            if (f.length < 3 || f.length > 4) throw new CliException(where + "expected time_ms,add|remove,node[,notice|kill], got \"" + l + "\"");
            long t;
            try {
                t = Long.parseLong(f[0].strip());
            } catch (NumberFormatException e) {
                throw new CliException(where + "time_ms must be a whole number, got \"" + f[0] + "\"");
            }
            String op = f[1].strip();
            if (!op.equals("add") && !op.equals("remove")) throw new CliException(where + "expected add or remove, got \"" + op + "\"");
            String node = f[2].strip();
            if (!node.matches("[a-z0-9][-a-z0-9]{0,62}")) throw new CliException(where + "bad node name \"" + node + "\"");
            String kind = f.length == 4 ? f[3].strip() : "notice";
            if (!kind.equals("notice") && !kind.equals("kill")) throw new CliException(where + "expected notice or kill, got \"" + kind + "\"");
            if (t < 0) throw new CliException(where + "time_ms must be >= 0");
            events.add(new Event(t, op, node, op.equals("add") ? null : kind));
        }
        events.sort(Comparator.comparingLong(Event::timeMs));
        return new PreemptionTrace(List.copyOf(events));
    }
}
