package io.spottrain.cli;

import io.spottrain.agent.AgentMain;
import io.spottrain.client.ApiClient;
import io.spottrain.client.CliException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code spottrain} command line. Every command takes {@code --output json}; failures are one line, exit 1. */
@Command(name = "spottrain", mixinStandardHelpOptions = true, version = "spottrain 0.1.0",
        description = "Train on Spot GPU machines without losing work.",
        subcommands = {
            DemoCommand.class, UpCommand.class, DownCommand.class, ValidateCommand.class, SubmitCommand.class,
            StatusCommand.class, CancelCommand.class, CheckpointCommand.class, ResizeCommand.class, ScalingEventsCommand.class, ExplainCommand.class, LogsCommand.class, CheckpointsCommand.class, NodesCommand.class,
            TokenCommand.class, PkiCommand.class, CostCommand.class, BenchCommand.class, Ec2Command.class, AutoscalerCommand.class, CoordinatorProcess.class, AgentMain.class, SimAgentsProcess.class, CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI in this process and returns its exit code (used by tests). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        var cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            boolean expected = e instanceof CliException || e instanceof ApiClient.ApiError;
            cmd.getErr().println("error: " + (expected ? msg : e.getClass().getSimpleName() + ": " + msg));
            if (!expected && System.getenv("SPOTTRAIN_DEBUG") != null) e.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
