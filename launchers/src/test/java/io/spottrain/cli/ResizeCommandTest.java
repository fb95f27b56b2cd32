package io.spottrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.protocol.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResizeCommandTest {
    @Test
    void theAnswerSaysWhatHappensNext() throws Exception {
        record Row(String outcome, int from, int to, int running, String expected) {}
        for (Row r : List.of(
                new Row("accepted", 2, 4, 2, "job j: accepted: 2 -> 4 workers (running 2 in generation 3): grows to 4 at its next safe point"),
                new Row("accepted", 3, 1, 3, "job j: accepted: 3 -> 1 workers (running 3 in generation 3): shrinks to 1 at its next safe point"),
                // desired was unset (max 3) while 2 ran: setting 3 is accepted, and the job still grows
                new Row("accepted", 3, 3, 2, "job j: accepted: 3 -> 3 workers (running 2 in generation 3): grows to 3 at its next safe point"),
                new Row("accepted", 4, 2, 2, "job j: accepted: 4 -> 2 workers (running 2 in generation 3): runs at 2 already"),
                new Row("unchanged", 2, 2, 2, "job j: unchanged: already set to 2 workers (running 2 in generation 3)"))) {
            var request = Json.MAPPER.readTree("{\"outcome\":\"" + r.outcome() + "\",\"from\":" + r.from() + ",\"to\":" + r.to() + "}");
            var scale = Json.MAPPER.readTree("{\"running\":" + r.running() + ",\"generation\":3}");
            assertEquals(r.expected(), ResizeCommand.line("j", request, scale), r.toString());
        }
        assertEquals("job j: answered (running 2 in generation 3): see scaling-events j", ResizeCommand.line("j", Json.MAPPER.missingNode(),
                Json.MAPPER.readTree("{\"running\":2,\"generation\":3}")));
    }
}
