package dev.anvil.launcher;

import dev.anvil.node.NodeCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code anvil start}: runs Anvil on this machine with its defaults. */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = "Runs Anvil on this machine: one node JVM per core, one cluster, one HTTP port.")
public final class StartCommand implements Callable<Integer> {

  @Mixin StartOptions options = new StartOptions();

  @Override
  public Integer call() {
    return run(options);
  }

  public static int run(StartOptions options) {
    // Until the supervisor lands, start runs a single node in this JVM.
    List<String> args = new ArrayList<>();
    if (options.httpPort != null) {
      args.addAll(List.of("--http-port", options.httpPort.toString()));
    }
    if (options.httpHost != null) {
      args.addAll(List.of("--http-host", options.httpHost));
    }
    return new CommandLine(new NodeCommand()).execute(args.toArray(String[]::new));
  }
}
