package io.spottrain.cli;

import io.spottrain.client.CliException;
import io.spottrain.coordinator.autoscale.AutoscalePolicy;
import io.spottrain.coordinator.cost.Budgets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code --autoscale} policy and {@code --budgets} files, checked before anything starts: every error with its field. */
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
