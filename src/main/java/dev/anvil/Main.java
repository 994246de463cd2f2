package dev.anvil;

import dev.anvil.client.BatchCommand;
import dev.anvil.client.JobsCommand;
import dev.anvil.client.LoadCommand;
import dev.anvil.client.StatusCommand;
import dev.anvil.client.SubmitCommand;
import dev.anvil.config.AnvilVersion;
import dev.anvil.launcher.Commands;
import dev.anvil.launcher.StartCommand;
import dev.anvil.launcher.StartOptions;
import dev.anvil.node.NodeCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The command line: {@code start} (the default) runs a node JVM per core; {@code node} runs one node
 * here; {@code roll} and {@code stop} control a running {@code start}; {@code submit}, {@code jobs},
 * {@code status} and {@code load} are clients of the HTTP API.
 */
@Command(
    name = "anvil",
    mixinStandardHelpOptions = true,
    versionProvider = AnvilVersion.class,
    description = {"Anvil: an actor-based distributed compute server. Without a command, runs 'start'.",
        "start, node, roll and stop run Anvil; submit, jobs, status and load are clients of its HTTP API"
            + " (each takes --url and --token)."},
    commandListHeading = "%nCommands:%n",
    subcommands = {StartCommand.class, NodeCommand.class, Commands.Roll.class, Commands.Stop.class,
        SubmitCommand.class, BatchCommand.class, JobsCommand.class, StatusCommand.class, LoadCommand.class})
public final class Main implements Callable<Integer> {

  @Mixin StartOptions options = new StartOptions();

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line as {@link #main} runs it. Picocli's {@code @file} argument files are off: an
   * {@code @file} argument of {@code submit} and {@code load} is the task's JSON input, which picocli
   * would otherwise split into words.
   */
  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setExpandAtFiles(false);
  }

  @Override
  public Integer call() throws InterruptedException {
    return StartCommand.run(options);
  }
}
