package io.spottrain.launchers.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spottrain.protocol.json.Json;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}):
 * an operator logs in with a token, sees the running job, resizes it from 2 to 3 workers (the third
 * node is launched for it), sees the new generation and the scaling event with the actor, cancels
 * with the two-step confirm; a viewer finds every control disabled and told why. Skipped, saying
 * so, where Chromium is absent; {@code .ci/run} installs it and sets {@code SPOTTRAIN_REQUIRE_CHROMIUM},
 * so CI never skips it. Screenshots of each page go to {@code target/console-screenshots}.
 */
@Timeout(300)
class ConsoleIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = TestCluster.ROOT.resolve("launchers/target/console-screenshots");

    @TempDir
    Path dir;

    @Test
    void anOperatorResizesAndCancelsAViewerOnlyLooks() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (!present && System.getenv("SPOTTRAIN_REQUIRE_CHROMIUM") != null) {
            throw new AssertionError("SPOTTRAIN_REQUIRE_CHROMIUM is set but " + CHROMIUM + " or " + DRIVER + " is missing");
        }
        Assumptions.assumeTrue(present, "the console's browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", "
                + DRIVER + "): apt-get install chromium chromium-driver");
        Files.createDirectories(SHOTS);
        try (TestCluster cluster = TestCluster.start(dir.resolve("state"), 2)) {
            String operator = token(cluster, "alice", "operator");
            String viewer = token(cluster, "victor", "viewer");
            String id = cluster.submit(TestCluster.javaJob("console", 1, 3, "io.spottrain.examples.mlp.MlpTrainer", "--steps", "100000",
                    "--step-delay-ms", "20", "--log-every", "10", "--checkpoint-every", "200")).path("id").asText();
            cluster.awaitJob(id, j -> j.path("state").asText().equals("RUNNING") && j.path("worldSize").asInt() == 2
                    && j.path("steps").asLong() >= 20, Duration.ofSeconds(90));
            String base = cluster.state.apiUrl();
            WebDriver browser = chromium();
            try {
                // the page re-renders its tables every 2 s: an element found before may be gone; look again
                var wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(100));
                wait.ignoring(StaleElementReferenceException.class);
                login(browser, wait, base, operator);
                wait.until(b -> text(b, "who-name").equals("alice (operator)"));
                wait.until(b -> !b.findElements(By.cssSelector("[data-node]")).isEmpty());
                shot(browser, "cluster");

                browser.findElement(By.id("nav-jobs")).click();
                wait.until(b -> b.findElement(By.cssSelector("tr[data-job='" + id + "']")).getText().contains("RUNNING"));
                shot(browser, "jobs");
                wait.until(b -> {
                    b.findElement(By.cssSelector("a[data-job-link='" + id + "']")).click();
                    return true;
                });
                wait.until(b -> text(b, "job-generation").equals("1") && b.findElement(By.id("resize-button")).isEnabled());
                assertEquals("2", browser.findElement(By.id("workers")).getAttribute("value"));
                // where it runs and why, as ./spottrain explain says it
                wait.until(b -> text(b, "explain-answer").startsWith("running on 2 node(s), generation 1: "));
                assertTrue(text(browser, "explain-why").contains("reserved first, then Spot"), text(browser, "explain-why"));
                // the trainer says where it ends: the step out of its total, and the ETA at the measured rate
                wait.until(b -> text(b, "job-step").endsWith(" of 100000") && text(b, "job-eta").matches("\\d+ [hm] \\d\\d [ms] at \\d+\\.\\d\\d steps/s"));
                // the charts draw the coordinator's stored record of the job (GET /api/v1/jobs/{id}/series), not only what the page saw
                wait.until(b -> b.findElement(By.cssSelector("#chart-step svg")).getAttribute("aria-label").matches("step: [1-9]\\d*, world size: 2"));
                // a rank's log one click away (read by its node's agent)
                browser.findElement(By.cssSelector("button[data-log-rank='0']")).click();
                wait.until(b -> text(b, "rank-log-title").startsWith("Rank 0 on node") && !text(b, "rank-log").isEmpty());
                // and followed: each update adds what the rank wrote since (the job trains on)
                assertTrue(browser.findElement(By.id("rank-log-follow")).isSelected(), "following by default");
                String shown = text(browser, "rank-log");
                wait.until(b -> text(b, "rank-log").length() > shown.length() && text(b, "rank-log").startsWith(shown));
                browser.findElement(By.id("workers-up")).click();
                browser.findElement(By.id("workers-up")).click(); // bounded: max is 3
                assertEquals("3", browser.findElement(By.id("workers")).getAttribute("value"), "the stepper stops at the spec's max");
                browser.findElement(By.id("resize-message")).sendKeys("more capacity for the sweep");
                assertFalse(browser.findElement(By.id("resize-confirm")).isDisplayed(), "nothing to confirm yet");
                browser.findElement(By.id("resize-button")).click();
                wait.until(b -> b.findElement(By.id("resize-confirm")).isDisplayed());
                assertTrue(text(browser, "resize-question").startsWith("Resize from 2 to 3 workers"), text(browser, "resize-question"));
                browser.findElement(By.id("resize-confirm")).click();
                wait.until(b -> text(b, "scaling-table").contains("accepted"));
                String scaling = text(browser, "scaling-table");
                assertTrue(scaling.contains("alice (operator token"), "the actor is the token's: " + scaling);
                assertTrue(scaling.contains("console") && scaling.contains("more capacity for the sweep"), scaling);
                new WebDriverWait(browser, Duration.ofSeconds(150), Duration.ofMillis(250)).ignoring(StaleElementReferenceException.class)
                        .until(b -> text(b, "job-generation").equals("2") && text(b, "job-world").startsWith("3 ")
                                && text(b, "job-state").equals("RUNNING"));
                // the growth is listed with what it cost (no interruption: a row of its own kind)
                wait.until(b -> text(b, "recoveries-table").contains("grow 2 → 3"));
                // the job's lines of the cost ledger: node time and its checkpoints in S3 (read every 30 s)
                new WebDriverWait(browser, Duration.ofSeconds(70), Duration.ofMillis(500)).ignoring(StaleElementReferenceException.class)
                        .until(b -> text(b, "job-ledger").contains("job $") && text(b, "job-ledger").contains("storage $"));
                // an earlier generation's rank log is one form away
                var generation = browser.findElement(By.id("past-log-generation"));
                generation.clear();
                generation.sendKeys("1");
                browser.findElement(By.id("past-log-button")).click();
                wait.until(b -> text(b, "rank-log-title").contains("generation 1: the last") && text(b, "rank-log").contains("step"));
                shot(browser, "job");

                assertFalse(browser.findElement(By.id("cancel-confirm")).isDisplayed(), "nothing to confirm yet");
                browser.findElement(By.id("cancel-button")).click();
                assertTrue(browser.findElement(By.id("cancel-confirm")).isDisplayed(), "cancelling asks first");
                assertEquals("RUNNING", cluster.api.get("/api/v1/jobs/" + id).path("state").asText(), "one click cancels nothing");
                browser.findElement(By.id("cancel-confirm")).click();
                wait.until(b -> text(b, "job-state").equals("CANCELLED"));
                JsonNode cancelled = cluster.api.get("/api/v1/jobs/" + id);
                assertEquals("CANCELLED", cancelled.path("state").asText());
                assertTrue(cancelled.path("events").toString().contains("alice (operator token"), "the cancel is attributed");

                browser.findElement(By.id("logout")).click();
                wait.until(b -> b.findElement(By.id("login-view")).isDisplayed());
                login(browser, wait, base, viewer);
                wait.until(b -> text(b, "who-name").equals("victor (viewer)"));
                browser.get(base + "/console#/jobs/" + id);
                wait.until(b -> text(b, "job-state").equals("CANCELLED"));
                for (String control : List.of("resize-button", "workers", "workers-up", "checkpoint-button", "cancel-button")) {
                    assertFalse(browser.findElement(By.id(control)).isEnabled(), control + " is disabled for a viewer");
                }
                assertTrue(text(browser, "actions-why").contains("viewer token"), text(browser, "actions-why"));
                shot(browser, "job-viewer");
            } finally {
                browser.quit();
            }
        }
    }

    static WebDriver chromium() {
        var options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu");
        var service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    static void login(WebDriver browser, WebDriverWait wait, String base, String token) {
        browser.get(base + "/console");
        WebElement input = wait.until(b -> {
            var t = b.findElement(By.id("token"));
            return t.isDisplayed() ? t : null;
        });
        input.sendKeys(token);
        browser.findElement(By.id("login-button")).click();
    }

    static String token(TestCluster cluster, String name, String role) {
        return cluster.api.post("/api/v1/tokens", Json.write(Map.of("name", name, "role", role)), "application/json").path("token").asText();
    }

    /** The rendered text of the element with {@code id}, read in one script call (no stale element between find and read). */
    static String text(WebDriver b, String id) {
        Object t = ((JavascriptExecutor) b).executeScript("var e = document.getElementById(arguments[0]); return e ? e.innerText : '';", id);
        return t == null ? "" : t.toString().strip();
    }

    static void shot(WebDriver b, String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) b).getScreenshotAs(OutputType.BYTES));
    }
}
