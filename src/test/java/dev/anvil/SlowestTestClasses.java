package dev.anvil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prints the ten slowest test classes of the run, from surefire's and failsafe's reports, so the
 * cost of the tiers stays in sight. The pom runs it last in {@code verify}.
 */
public final class SlowestTestClasses {
  private SlowestTestClasses() {}

  private static final Pattern SUITE = Pattern.compile("<testsuite\\b[^>]*>");
  private static final Pattern NAME = Pattern.compile("\\bname=\"([^\"]+)\"");
  private static final Pattern TIME = Pattern.compile("\\btime=\"([0-9.,]+)\"");

  public static void main(String[] args) throws IOException {
    Map<String, Double> took = new HashMap<>();
    for (String reports : args) {
      Path dir = Path.of(reports);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.filter(f -> f.getFileName().toString().matches("TEST-.*\\.xml")).toList()) {
          String head = Files.readString(file, StandardCharsets.UTF_8);
          Matcher suite = SUITE.matcher(head);
          if (suite.find()) {
            Matcher name = NAME.matcher(suite.group());
            Matcher time = TIME.matcher(suite.group());
            if (name.find() && time.find()) {
              took.merge(name.group(1), Double.parseDouble(time.group(1).replace(",", "")), Double::sum);
            }
          }
        }
      }
    }
    if (took.isEmpty()) {
      return;
    }
    System.out.println("Slowest test classes of this run (two run at a time):");
    List<Map.Entry<String, Double>> slowest = took.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(10).toList();
    for (Map.Entry<String, Double> e : slowest) {
      System.out.println(String.format(Locale.ROOT, "  %6.1f s  %s", e.getValue(), e.getKey()));
    }
  }
}
