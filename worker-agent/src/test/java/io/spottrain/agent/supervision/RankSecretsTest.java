package io.spottrain.agent.supervision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.wire.AgentProtocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a rank can see of its agent: the inherited environment, argv expansion, and redaction. */
class RankSecretsTest {
    static final Map<String, String> AGENT_ENV = Map.of(
            "PATH", "/usr/bin", "HOME", "/root", "LC_ALL", "C.UTF-8", "NCCL_DEBUG", "INFO", "CUDA_VISIBLE_DEVICES", "0,1",
            "SPOTTRAIN_S3_ACCESS_KEY", "AKIAEXAMPLEKEY01", "SPOTTRAIN_S3_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLE", "SPOTTRAIN_TOKEN", "st.abcdefghij.secretsecretsecret", "DATABASE_URL",
            "postgres://u:p@h/db");

    @Test
    void ranksInheritOnlyWhatProgramsNeedNeverTheAgentsCredentials() {
        var env = RankEnvironment.inherited(AGENT_ENV);
        assertEquals(Map.of("PATH", "/usr/bin", "HOME", "/root", "LC_ALL", "C.UTF-8", "NCCL_DEBUG", "INFO", "CUDA_VISIBLE_DEVICES", "0,1"),
                env);
    }

    @Test
    void argvExpandsOnlyFromTheJobsOwnVariables() {
        var jobEnv = Map.of("STEPS", "100", "RANK", "2");
        assertEquals("--steps=100 rank 2", ProcessSupervisor.expand("--steps=${STEPS} rank ${RANK}", jobEnv));
        assertEquals("${SPOTTRAIN_S3_SECRET_KEY}", ProcessSupervisor.expand("${SPOTTRAIN_S3_SECRET_KEY}", jobEnv),
                "an unknown name stays as written");
    }

    @Test
    void secretsOfTheAgentAreMaskedInWhatItPassesOn() {
        var r = Redactor.of(AGENT_ENV);
        String leaked = "Traceback: key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY id=AKIAEXAMPLEKEY01 token=st.abcdefghij.secretsecretsecret"
                + " path=/usr/bin";
        String out = r.redact(leaked);
        assertFalse(out.contains("wJalrXUtnFEMI") || out.contains("AKIAEXAMPLEKEY01") || out.contains("secretsecret"), out);
        assertTrue(out.contains("key=[redacted] id=[redacted] token=[redacted] path=/usr/bin"), out);
        assertEquals("nothing here", r.redact("nothing here"));
        assertEquals(null, r.redact(null));
    }

    @Test
    void shortValuesAreNotTreatedAsSecrets() {
        var r = Redactor.of(Map.of("API_KEY", "abc"));
        assertEquals("abcabc", r.redact("abcabc"), "masking 3-letter values would wreck every log");
    }

    @Test
    void aRankGetsTheSecretsItsSpecNamesFromTheNodeAndNothingElse(@TempDir Path dir) throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(secrets.resolve("HF_TOKEN"), "hf_secretsecretsecret\n");
        Files.writeString(secrets.resolve("OTHER_KEY"), "other-secret-value\n");
        var supervisor = new ProcessSupervisor("node1", dir.resolve("work"), dir, null, new JobSecrets(secrets));
        var start = new AgentProtocol.StartGeneration("j", 1, 0, 1, "127.0.0.1", 1, 0, 0, 1, null, List.of(), Map.of(),
                List.of("/bin/sh", "-c", "echo token=$HF_TOKEN other=${OTHER_KEY:-none}; echo argv=${HF_TOKEN}"), Map.of(), List.of("HF_TOKEN"),
                null, null);
        var rank = supervisor.start(start, m -> { });
        assertTrue(rank.process().waitFor(20, TimeUnit.SECONDS));
        rank.control().close();
        assertEquals(List.of("token=hf_secretsecretsecret other=none", "argv=hf_secretsecretsecret"),
                Files.readString(rank.logFile()).strip().lines().toList());
        assertTrue(Redactor.of(Map.of(), supervisor.secretValues()).redact("x hf_secretsecretsecret y").equals("x [redacted] y"));

        var missing = new AgentProtocol.StartGeneration("j", 2, 0, 1, "127.0.0.1", 1, 0, 0, 1, null, List.of(), Map.of(),
                List.of("/bin/true"), Map.of(), List.of("WANDB_API_KEY"), null, null);
        var e = assertThrows(IOException.class, () -> supervisor.start(missing, m -> { }));
        assertEquals("secret WANDB_API_KEY is not provisioned on this node (no file " + secrets.resolve("WANDB_API_KEY") + ")", e.getMessage());
    }
}
