package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.coordinator.autoscale.AutoscalePolicy;
import io.spottrain.coordinator.cost.Budgets;
import io.spottrain.coordinator.scheduling.TeamQuotas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code --autoscale} policy, {@code --budgets} and {@code --quotas} files, checked before anything starts: every error with its field. */
final class Autoscaling {
    private Autoscaling() {}

    static Path check(Path file) {
        try {
            AutoscalePolicy.parse(file.toString(), Files.readString(file));
        } catch (AutoscalePolicy.PolicyException e) {
            throw new CliException(e.getMessage());
        } catch (IOException e) {
            throw new CliException("cannot read --autoscale " + file + ": " + e);
        }
        return file.toAbsolutePath();
    }

    /** The {@code --quotas} file, checked the same way. */
    static Path checkQuotas(Path file) {
        try {
            TeamQuotas.parse(file.toString(), Files.readString(file));
        } catch (TeamQuotas.QuotasException e) {
            throw new CliException(e.getMessage());
        } catch (IOException e) {
            throw new CliException("cannot read --quotas " + file + ": " + e);
        }
        return file.toAbsolutePath();
    }

    /** The {@code --budgets} file, checked the same way. */
    static Path checkBudgets(Path file) {
        try {
            Budgets.parse(file.toString(), Files.readString(file));
        } catch (Budgets.BudgetsException e) {
            throw new CliException(e.getMessage());
        } catch (IOException e) {
            throw new CliException("cannot read --budgets " + file + ": " + e);
        }
        return file.toAbsolutePath();
    }
}
