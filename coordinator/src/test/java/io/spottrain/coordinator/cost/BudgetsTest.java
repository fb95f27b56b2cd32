package io.spottrain.coordinator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spottrain.protocol.spec.NodeMarket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetsTest {
    static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    @Test
    void theExampleParses() throws Exception {
        var b = Budgets.parse("budgets.yaml", Files.readString(Path.of("../examples/cluster/budgets.yaml")));
        assertEquals(2, b.size());
        assertEquals(new Budget("research-daily", new Budget.Selector("team", "research", null), 50.0, Budget.Period.DAILY,
                Budget.Action.BLOCK_SCALE_UP), b.get(0));
        assertEquals(Budget.Action.ALERT, b.get(1).action());
    }

    @Test
    void stopLowPriorityIsAnAction() throws Exception {
        var b = Budgets.parse("b.yaml", "budgets: [{name: frugal, selector: {label: team=x}, limit: 1, period: monthly, action: stop-low-priority}]");
        assertEquals(Budget.Action.STOP_LOW_PRIORITY, b.get(0).action());
        assertEquals("stop-low-priority", b.get(0).action().label());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no list                  | budgets: {}                                                                      | budgets: required: a list
            bad name                 | budgets: [{name: A B, selector: {job: j}, limit: 1, period: daily}]               | budgets[0].name: required
            selector both            | budgets: [{name: a, selector: {job: j, label: t=x}, limit: 1, period: daily}]     | budgets[0].selector: required: {label: KEY=VALUE} or {job: JOB-ID}
            label without value      | budgets: [{name: a, selector: {label: team}, limit: 1, period: daily}]            | budgets[0].selector.label: must be KEY=VALUE
            zero limit               | budgets: [{name: a, selector: {job: j}, limit: 0, period: daily}]                 | budgets[0].limit: required: USD per period
            weekly                   | budgets: [{name: a, selector: {job: j}, limit: 1, period: weekly}]                | budgets[0].period: must be daily or monthly
            unknown action           | budgets: [{name: a, selector: {job: j}, limit: 1, period: daily, action: stop-all}] | budgets[0].action: must be alert, block-scale-up or stop-low-priority, got "stop-all"
            unknown field            | budgets: [{name: a, selector: {job: j}, limit: 1, period: daily, owner: me}]      | budgets[0].owner: unknown field
            a name twice             | budgets: [{name: a, selector: {job: j}, limit: 1, period: daily}, {name: a, selector: {job: k}, limit: 1, period: daily}] | budgets[1].name: "a" is used twice
            """)
    void everyMistakeIsNamedByItsField(String what, String yaml, String message) {
        var e = assertThrows(Budgets.BudgetsException.class, () -> Budgets.parse("b.yaml", yaml));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    static LedgerEntry seg(String job, Map<String, String> labels, Allocation a, String from, String to, boolean open) {
        return new LedgerEntry(1, "n1", from, NodeMarket.SPOT, "g5.xlarge", "z", 1, 0.36, 1.0, a, job, labels, from, to, open);
    }

    @Test
    void spendCountsTheSelectedJobsInTheCurrentPeriodOnly() {
        var team = new Budget("t", new Budget.Selector("team", "vision", null), 0.5, Budget.Period.DAILY, Budget.Action.BLOCK_SCALE_UP);
        var month = new Budget("m", new Budget.Selector("team", "vision", null), 5, Budget.Period.MONTHLY, Budget.Action.ALERT);
        var job = new Budget("j", new Budget.Selector(null, null, "b-2"), 1, Budget.Period.DAILY, Budget.Action.ALERT);
        var ledger = List.of(
                // yesterday: counts for the month only
                seg("a-1", Map.of("team", "vision"), Allocation.JOB, "2026-12-01T10:00:00Z", "2026-12-01T12:00:00Z", false),
                // today 10:00-11:00, and its recovery 11:00-11:30
                seg("a-1", Map.of("team", "vision"), Allocation.JOB, "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z", false),
                seg("a-1", Map.of("team", "vision"), Allocation.RECOVERY, "2026-12-02T11:00:00Z", "2026-12-02T11:30:00Z", false),
                // still running: refreshed 10 s ago, counts to now
                seg("b-2", Map.of("team", "nlp"), Allocation.JOB, "2026-12-02T11:00:00Z", "2026-12-02T11:59:50Z", true),
                // idle time belongs to no budget
                seg(null, Map.of(), Allocation.IDLE, "2026-12-02T00:00:00Z", "2026-12-02T10:00:00Z", false));
        var s = BudgetStatus.check(List.of(team, month, job), ledger, NOW, Duration.ofSeconds(45));
        assertEquals(1.5 * 0.36, s.get(0).spentUsd(), 1e-9);
        assertTrue(s.get(0).exceeded(), "0.54 > 0.50");
        assertEquals("2026-12-02T00:00:00Z", s.get(0).periodStart());
        assertEquals(3.5 * 0.36, s.get(1).spentUsd(), 1e-9);
        assertEquals("2026-12-01T00:00:00Z", s.get(1).periodStart());
        assertEquals(0.36, s.get(2).spentUsd(), 1e-9, "the open segment counts to now");
        assertEquals(List.of(true, false, false), s.stream().map(BudgetStatus::exceeded).toList());
    }
}
