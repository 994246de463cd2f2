package dev.anvil.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A chaos run's history on disk: one {@link Operation} a line (JSON Lines), appended as calls
 * end, so a run that dies keeps what it did up to then. Thread-safe.
 */
public final class History implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter out;

  public History(Path file) throws IOException {
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  public synchronized void add(Operation operation) {
    try {
      out.write(JSON.writeValueAsString(operation));
      out.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }

  public static List<Operation> read(Path file) throws IOException {
    List<Operation> operations = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        operations.add(JSON.readValue(line, Operation.class));
      }
    }
    return operations;
  }

  /**
   * {@code java -cp target/anvil.jar dev.anvil.chaos.History FILE [RECOVERY_MS]}: checks the history
   * of a run that ended as the runner does, prints every violation and the summary line; exit
   * status 1 when any.
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: History FILE [RECOVERY_BOUND_MS]");
      System.exit(2);
    }
    long bound = args.length > 1 ? Long.parseLong(args[1]) : 45_000;
    // as the runner checks a run it ended: every accepted job read final by its last sweep
    Checker.Report report = new Checker(bound, 0.10, 120_000, true).check(read(Path.of(args[0])));
    report.violations().forEach(v -> System.out.println("violation " + v));
    System.out.println(report.summary());
    System.exit(report.violations().isEmpty() ? 0 : 1);
  }
}
