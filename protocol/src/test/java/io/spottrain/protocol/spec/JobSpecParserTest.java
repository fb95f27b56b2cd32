package io.spottrain.protocol.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobSpecParserTest {

    static final String GOOD = """
            apiVersion: spottrain/v1
            kind: TrainingJob
            metadata:
              name: mlp-elastic
              labels: {team: research, project: mlp}
            spec:
              workers: {min: 2, max: 4, gpusPerWorker: 0}
              command: [python3, train.py]
              args: ["--steps", 100]
              env: {SEED: 7, DEBUG: "yes"}
              placement:
                market: spot-with-fallback
                instanceTypes: [g5.xlarge, g6.xlarge]
                maxPricePerHour: 0.9
                maxInterruptRisk: 0.05
              checkpoint: {interval: 25, keep: 2, remote: "s3://ckpt-bucket/jobs"}
              priority: 10
              maxRestarts: 5
              elastic: {capacityTimeout: 30m}
              secrets: [HF_TOKEN]
            """;

    /** A minimal valid spec with one line replaced, for the error table. */
    @Test
    void priorityClassesAreNamesForRanges() throws Exception {
        assertEquals(900, JobSpecParser.parse(minimal("{min: 1}", "priority: high\nplacement: {market: on-demand}")).spec().priority());
        assertEquals(100, JobSpecParser.parse(minimal("{min: 1}", "priority: low")).spec().priority());
        assertEquals(PriorityClass.HIGH, PriorityClass.of(700));
        assertEquals(PriorityClass.NORMAL, PriorityClass.of(699));
        assertEquals(PriorityClass.LOW, PriorityClass.of(0));
        assertEquals(PriorityClass.NORMAL, PriorityClass.of(JobSpecParser.parse(minimal("{min: 1}", "priority: 300")).spec().priority()));
    }

    static String minimal(String workers, String extra) {
        return """
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata: {name: job}
                spec:
                  workers: %s
                  command: [./train]
                %s""".formatted(workers, extra.indent(2));
    }

    @Test
    void goodSpecParsesWithEveryField() throws Exception {
        JobSpec s = JobSpecParser.parse(GOOD);
        assertEquals("mlp-elastic", s.metadata().name());
        assertEquals("research", s.metadata().labels().get("team"));
        assertEquals(new JobSpec.Workers(2, 4, 0), s.spec().workers());
        assertEquals(List.of("python3", "train.py", "--steps", "100"), s.spec().argv());
        assertEquals("7", s.spec().env().get("SEED"));
        assertEquals(Market.SPOT_WITH_FALLBACK, s.spec().placement().market());
        assertEquals(List.of("g5.xlarge", "g6.xlarge"), s.spec().placement().instanceTypes());
        assertEquals(0.9, s.spec().placement().maxPricePerHour());
        assertEquals(0.05, s.spec().placement().maxInterruptRisk());
        assertEquals(new JobSpec.Checkpoint(25, false, 2, "s3://ckpt-bucket/jobs"), s.spec().checkpoint());
        assertEquals(10, s.spec().priority());
        assertEquals(5, s.spec().maxRestarts());
        assertEquals(Duration.ofMinutes(30), s.spec().elastic().capacityTimeout().orElseThrow());
        assertEquals(List.of("HF_TOKEN"), s.spec().secrets());
    }

    @Test
    void defaultsAreFilledIn() throws Exception {
        JobSpec s = JobSpecParser.parse(minimal("{min: 3}", ""));
        assertEquals(new JobSpec.Workers(3, 3, 1), s.spec().workers());
        assertEquals(Market.SPOT, s.spec().placement().market());
        assertEquals(0.0, s.spec().placement().maxPricePerHour());
        assertEquals(0.0, s.spec().placement().maxInterruptRisk(), "no bound");
        assertEquals(new JobSpec.Checkpoint(50, false, 3, null), s.spec().checkpoint());
        assertEquals(500, s.spec().priority(), "normal, the default");
        assertEquals(3, s.spec().maxRestarts());
        assertTrue(s.spec().elastic().capacityTimeout().isEmpty(), "waits for good");
        assertTrue(s.spec().env().isEmpty());
        assertTrue(s.spec().args().isEmpty());
    }

    @Test
    void autoCheckpointIntervalLeavesTheStepsToTheJobManager() throws Exception {
        var s = JobSpecParser.parse(minimal("{min: 1}", "checkpoint: {interval: auto, keep: 2}"));
        assertEquals(new JobSpec.Checkpoint(0, true, 2, null), s.spec().checkpoint());
    }

    static Stream<Arguments> badSpecs() {
        return Stream.of(
                Arguments.of(minimal("{min: 0}", ""), "spec.workers.min", "must be >= 1, got 0"),
                Arguments.of(minimal("{min: 3, max: 2}", ""), "spec.workers.max", "must be >= spec.workers.min (3), got 2"),
                Arguments.of(minimal("{min: 1, max: 5000}", ""), "spec.workers.max", "must be <= 1024"),
                Arguments.of(minimal("{min: two}", ""), "spec.workers.min", "must be an integer, got string \"two\""),
                Arguments.of(minimal("{min: 1.5}", ""), "spec.workers.min", "must be an integer, got number 1.5"),
                Arguments.of(minimal("{min: 1, gpusPerWorker: -1}", ""), "spec.workers.gpusPerWorker", "between 0 and 64"),
                Arguments.of(minimal("{min: 1, maxx: 2}", ""), "spec.workers.maxx", "unknown field (did you mean \"max\"?)"),
                Arguments.of(minimal("{min: 1}", "comand: [x]"), "spec.comand", "did you mean \"command\"?"),
                Arguments.of(minimal("{min: 1}", "zzz: 1"), "spec.zzz", "unknown field; known fields here: workers, command"),
                Arguments.of(minimal("{min: 1}", "placement: {market: spott}"), "spec.placement.market",
                        "must be one of spot, on-demand, spot-with-fallback, got \"spott\" (did you mean \"spot\"?)"),
                Arguments.of(minimal("{min: 1}", "placement: {maxPricePerHour: 0}"), "spec.placement.maxPricePerHour", "must be > 0"),
                Arguments.of(minimal("{min: 1}", "placement: {gpuModels: [A100, H1OO]}"), "spec.placement.gpuModels[1]",
                        "must be a GPU model of T4, T4G, A10G, L4, L40S, V100, A100, H100, H200, got \"H1OO\" (did you mean \"H100\"?)"),
                Arguments.of(minimal("{min: 1}", "placement: {minGpuMemoryGiB: 0}"), "spec.placement.minGpuMemoryGiB", "between 1 and 1024"),
                Arguments.of(minimal("{min: 1}", "placement: {maxInterruptRisk: 0}"), "spec.placement.maxInterruptRisk",
                        "must be > 0 and <= 100 (Spot interruptions per node-hour), got 0.0"),
                Arguments.of(minimal("{min: 1}", "placement: {maxInterruptRisk: low}"), "spec.placement.maxInterruptRisk", "must be a number"),
                Arguments.of(minimal("{min: 1}", "placement: {market: on-demand, maxInterruptRisk: 0.1}"), "spec.placement.maxInterruptRisk",
                        "bounds Spot pools, and market on-demand runs on none"),
                Arguments.of(minimal("{min: 1}", "placement: {maxInteruptRisk: 0.1}"), "spec.placement.maxInteruptRisk",
                        "did you mean \"maxInterruptRisk\"?"),
                Arguments.of(minimal("{min: 1}", "placement: {instanceTypes: [G5 XL]}"), "spec.placement.instanceTypes[0]",
                        "must be an instance type like g5.xlarge"),
                Arguments.of(minimal("{min: 1}", "checkpoint: {interval: 0}"), "spec.checkpoint.interval",
                        "must be a positive number of steps"),
                Arguments.of(minimal("{min: 1}", "checkpoint: {interval: often}"), "spec.checkpoint.interval", "got string \"often\""),
                Arguments.of(minimal("{min: 1}", "checkpoint: {keep: 0}"), "spec.checkpoint.keep", "between 1 and 1000"),
                Arguments.of(minimal("{min: 1}", "checkpoint: {remote: /tmp/x}"), "spec.checkpoint.remote", "must be an s3:// URI"),
                Arguments.of(minimal("{min: 1}", "env: {RANK: 3}"), "spec.env.RANK", "cannot be overridden"),
                Arguments.of(minimal("{min: 1}", "env: {SPOTTRAIN_JOB: x}"), "spec.env.SPOTTRAIN_JOB", "cannot be overridden"),
                Arguments.of(minimal("{min: 1}", "env: {\"1BAD\": x}"), "spec.env.1BAD", "not a valid environment variable name"),
                Arguments.of(minimal("{min: 1}", "env: {A: [1]}"), "spec.env.A", "must be a string, got a list"),
                Arguments.of(minimal("{min: 1}", "priority: 5000"), "spec.priority", "between 0 and 1000"),
                Arguments.of(minimal("{min: 1}", "priority: urgent"), "spec.priority", "must be high, normal, low or a whole number"),
                Arguments.of(minimal("{min: 1}", "priority: high"), "spec.priority", "high (900) runs on on-demand or reserved capacity only, but "
                        + "spec.placement.market is spot"),
                Arguments.of(minimal("{min: 1}", "priority: 750\nplacement: {market: spot-with-fallback}"), "spec.priority",
                        "runs on on-demand or reserved capacity only"),
                Arguments.of(minimal("{min: 1}", "maxRestarts: -1"), "spec.maxRestarts", "between 0 and 1000"),
                Arguments.of(minimal("{min: 1}", "elastic: {capacityTimeout: soon}"), "spec.elastic.capacityTimeout", "such as 90s, 30m"),
                Arguments.of(minimal("{min: 1}", "elastic: {capacityTimeout: 5s}"), "spec.elastic.capacityTimeout", "from 10s to 30d"),
                Arguments.of(minimal("{min: 1}", "elastic: {capacityTimeout: 31d}"), "spec.elastic.capacityTimeout", "from 10s to 30d"),
                Arguments.of(minimal("{min: 1}", "elastic: {scaleUp: sometimes}"), "spec.elastic.scaleUp", "must be auto or never"),
                Arguments.of(minimal("{min: 1}", "secrets: [SPOTTRAIN_TOKEN]"), "spec.secrets", "not an environment variable name a job may set"),
                Arguments.of(minimal("{min: 1}", "secrets: [HF_TOKEN, HF_TOKEN]"), "spec.secrets", "named twice"),
                Arguments.of(minimal("{min: 1}", "env: {HF_TOKEN: x}\nsecrets: [HF_TOKEN]"), "spec.secrets", "never from the spec"),
                Arguments.of(minimal("{min: 1}", "args: {a: 1}"), "spec.args", "must be a list of strings, got a mapping"),
                Arguments.of(minimal("{min: 1}", "placement: spot"), "spec.placement", "must be a mapping, got string \"spot\""),
                Arguments.of(GOOD.replace("spottrain/v1", "spottrain/v2"), "apiVersion", "must be \"spottrain/v1\""),
                Arguments.of(GOOD.replace("kind: TrainingJob", "kind: Job"), "kind", "must be \"TrainingJob\""),
                Arguments.of(GOOD.replace("name: mlp-elastic", "name: MLP_elastic"), "metadata.name", "must be a DNS label"),
                Arguments.of(GOOD.replace("command: [python3, train.py]", "command: []"), "spec.command", "must not be empty"),
                Arguments.of(GOOD.replace("command: [python3, train.py]", "command: python3 train.py"), "spec.command",
                        "must be a list of strings, got string"),
                Arguments.of(GOOD.replace("team: research", "team: \"a b\""), "metadata.labels.team", "label values"),
                Arguments.of("- just\n- a list\n", "", "must be a mapping with apiVersion, kind, metadata and spec"));
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("badSpecs")
    void badSpecNamesTheField(String yaml, String path, String message) {
        List<FieldError> errors = JobSpecParser.validate(yaml);
        assertTrue(errors.stream().anyMatch(e -> e.path().equals(path) && e.message().contains(message)),
                () -> "expected " + path + ": " + message + " in " + errors);
    }

    @Test
    void emptySpecReportsEveryMissingFieldAtOnce() {
        List<String> errors = JobSpecParser.validate("").stream().map(FieldError::toString).toList();
        assertEquals(List.of(
                "apiVersion: required",
                "kind: required",
                "metadata.name: required",
                "spec.workers.min: required",
                "spec.command: required"), errors);
    }

    @Test
    void manyMistakesAreAllReportedWithLines() {
        String yaml = """
                apiVersion: spottrain/v1
                kind: TrainingJob
                metadata:
                  name: Bad_Name
                spec:
                  workers: {min: 0, max: -1}
                  command: [train]
                  placement:
                    market: cheap
                  prioritty: 3
                """;
        JobSpecException e = assertThrows(JobSpecException.class, () -> JobSpecParser.parse(yaml));
        List<String> paths = e.errors().stream().map(FieldError::path).toList();
        // every mistake, in the order of the file
        assertEquals(List.of("metadata.name", "spec.workers.min", "spec.workers.max", "spec.placement.market",
                "spec.prioritty"), paths);
        FieldError name = e.errors().stream().filter(f -> f.path().equals("metadata.name")).findFirst().orElseThrow();
        assertEquals(4, name.line());
        FieldError market = e.errors().stream().filter(f -> f.path().equals("spec.placement.market")).findFirst().orElseThrow();
        assertEquals(9, market.line());
        assertTrue(e.getMessage().startsWith(e.errors().size() + " errors: "), e.getMessage());
    }

    @Test
    void yamlSyntaxErrorGivesLineAndColumn() {
        String yaml = "apiVersion: spottrain/v1\nkind: TrainingJob\nmetadata:\n  name: [unclosed\nspec: {}\n";
        List<FieldError> errors = JobSpecParser.validate(yaml);
        assertEquals(1, errors.size(), errors::toString);
        assertTrue(errors.get(0).message().startsWith("YAML syntax error at line "), errors.get(0).message());
        assertEquals("YAML syntax error at line 5, column 5: while parsing a flow sequence: expected ',' or ']', but got :",
                errors.get(0).message());
        assertEquals(5, errors.get(0).line());
    }

    @Test
    void duplicateKeysAreErrors() {
        String yaml = GOOD.replace("priority: 10", "priority: 10\n  priority: 11");
        List<FieldError> errors = JobSpecParser.validate(yaml);
        assertFalse(errors.isEmpty());
        assertTrue(errors.get(0).message().contains("Duplicate field 'priority'"), errors::toString);
    }

    @Test
    void didYouMeanOnlySuggestsCloseNames() {
        assertEquals("gpusPerWorker", JobSpecParser.didYouMean("gpuPerWorker", JobSpecParser.FIELDS.get("spec.workers")));
        assertEquals("min", JobSpecParser.didYouMean("MIN", JobSpecParser.FIELDS.get("spec.workers")));
        assertEquals(null, JobSpecParser.didYouMean("replicas", JobSpecParser.FIELDS.get("spec.workers")));
    }

    @Test
    void gpuModelsAreNamedAsTheCatalogSpellsThemAndMemoryIsPerGpu() throws Exception {
        var s = JobSpecParser.parse(minimal("{min: 1}", "placement: {gpuModels: [a100, H100], minGpuMemoryGiB: 40}"));
        assertEquals(List.of("A100", "H100"), s.spec().placement().gpuModels());
        assertEquals(40, s.spec().placement().minGpuMemoryGiB());
        var none = JobSpecParser.parse(minimal("{min: 1}", ""));
        assertEquals(List.of(), none.spec().placement().gpuModels());
        assertEquals(0, none.spec().placement().minGpuMemoryGiB());
        assertEquals(new GpuCatalog.Gpu("A10G", 24), GpuCatalog.of("g5.12xlarge").orElseThrow());
        assertEquals(new GpuCatalog.Gpu("A100", 80), GpuCatalog.of("p4de.24xlarge").orElseThrow());
        assertTrue(GpuCatalog.of("m5.large").isEmpty() && GpuCatalog.of("local.cpu").isEmpty());
    }
}
