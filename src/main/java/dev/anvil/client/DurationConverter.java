package dev.anvil.client;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code 500ms}, {@code 10s}, {@code 1.5m}, {@code 1h}: a positive duration of at most a day. */
final class DurationConverter implements ITypeConverter<Duration> {

  private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    Matcher m = FORM.matcher(value.trim());
    if (!m.matches()) {
      throw new TypeConversionException("'" + value + "' is not a duration like 500ms, 10s, 1m or 1h");
    }
    double millis = Double.parseDouble(m.group(1)) * switch (m.group(2)) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      default -> 3_600_000;
    };
    if (millis < 1 || millis > Duration.ofDays(1).toMillis()) {
      throw new TypeConversionException("'" + value + "' is out of range: from 1ms to 24h");
    }
    return Duration.ofMillis(Math.round(millis));
  }
}
