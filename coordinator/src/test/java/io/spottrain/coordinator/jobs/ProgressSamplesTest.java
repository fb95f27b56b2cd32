package io.spottrain.coordinator.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spottrain.protocol.json.Json;
import org.junit.jupiter.api.Test;

/** The samples a trainer counts ride with its progress, and records stored before they existed still read. */
class ProgressSamplesTest {
    @Test
    void samplesAreAHighWaterMarkLikeTheStep() {
        Training t = Training.NONE.progress(100, 0.5, 10, 25_600).progress(90, 0.6, 10, 23_040); // a rollback after a recovery
        assertEquals(100, t.step());
        assertEquals(25_600, t.samples(), "samples trained are not taken back by a rollback, as steps are not");
        assertEquals(25_600, t.progress(110, 0.4, 10, 0).samples(), "a report that does not say keeps the count");
    }

    @Test
    void aProgressRecordAndTrainingStoredBeforeSamplesReadAsZero() throws Exception {
        var p = JobDocument.readValue("{\"id\":\"j-1\",\"step\":7,\"loss\":0.5,\"samplesPerSec\":3.0,\"totalSteps\":10,\"stepsPerSec\":1.0}",
                JobProgress.class);
        assertEquals(0, p.samples());
        assertEquals(7, p.step());
        String stored = Json.write(Training.NONE.progress(5, 0.5, 1, 0)).replace("\"samples\":0,", "");
        assertEquals(0, JobDocument.readValue(stored, Training.class).samples(), stored);
    }
}
