package io.spottrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.json.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TextTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "before the first step: nothing | {\"steps\":0} | ''",
            "a trainer that does not say where it ends | {\"steps\":12,\"totalSteps\":null,\"stepsPerSec\":2.5,\"etaSeconds\":null} | step 12, 2.50 steps/s",
            "length, rate and ETA | {\"steps\":120,\"totalSteps\":1000,\"stepsPerSec\":2.5,\"etaSeconds\":352.0} | step 120 of 1000, 2.50 steps/s, ETA 5 m 52 s",
            "hours | {\"steps\":1,\"totalSteps\":100000,\"stepsPerSec\":8.8,\"etaSeconds\":11236.2} | step 1 of 100000, 8.80 steps/s, ETA 3 h 07 m"})
    void progressSaysWhatIsKnown(String what, String json, String expected) throws Exception {
        assertEquals(expected, Text.progress(Json.MAPPER.readTree(json)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a growth with its cost | {\"growths\":[{\"atStep\":250,\"fromWorkers\":2,\"toWorkers\":3,\"resumeSeconds\":0.4,\"inPlaceRanks\":2,\"backToTrainingSeconds\":0.9}]} | 2 -> 3 workers at step 250: resume 0.4 s, training again 0.9 s, 2 rank(s) re-formed in place",
            "a growth with its pause | {\"growths\":[{\"atStep\":250,\"fromWorkers\":2,\"toWorkers\":3,\"resumeSeconds\":0.4,\"backToTrainingSeconds\":0.9,\"pausedSeconds\":0.52}]} | 2 -> 3 workers at step 250: resume 0.4 s, training again 0.9 s (training paused 0.5 s)",
            "a growth not yet resumed | {\"growths\":[{\"atStep\":250,\"fromWorkers\":2,\"toWorkers\":null}]} | 2 -> ? workers at step 250: resume -, training again -"})
    void theSummaryListsGrowths(String what, String json, String expected) throws Exception {
        String text = Text.summaryText(Json.MAPPER.readTree(json));
        assertTrue(text.contains("growths 1:"), text);
        assertTrue(text.contains(expected), text);
    }
}
