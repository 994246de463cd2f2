package dev.anvil.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** A task's input from the command line: JSON text, {@code @file}, or {@code -} for stdin; {@code {}} when absent. */
final class TaskInput {
  private TaskInput() {}

  static final String HELP = "The kind's input: JSON, @FILE to read it from a file, or - for stdin (default {})";

  static String read(String arg, CommandSpec spec, InputStream stdin) {
    String text;
    String from;
    if (arg == null) {
      return "{}";
    } else if (arg.equals("-")) {
      from = "stdin";
      try {
        text = new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "cannot read the input from stdin: " + e.getMessage());
      }
    } else if (arg.startsWith("@")) {
      from = arg.substring(1);
      try {
        text = Files.readString(Path.of(from), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new ParameterException(spec.commandLine(), "cannot read the input file '" + from + "': " + e);
      }
    } else {
      from = null;
      text = arg;
    }
    // The server would refuse it too; checked here for the shell's classic trap: {"a":1} unquoted arrives as {a:1}.
    try {
      Json.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ParameterException(spec.commandLine(), "the input " + (from == null ? "'" + abbreviate(text) + "'"
          : "from " + from) + " is not JSON (" + e.getOriginalMessage() + "); in a shell, quote it: '{\"limit\":1000}'");
    }
    return text;
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }
}
