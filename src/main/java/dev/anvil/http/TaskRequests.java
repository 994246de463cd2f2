package dev.anvil.http;

import dev.anvil.compute.spi.InvalidInputException;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.Uri;

/**
 * What a request that submits work must get right, read the same way for a task and for a job:
 * a JSON body, and a query that holds at most one {@code timeoutMs} within its bounds.
 */
public final class TaskRequests {
  private TaskRequests() {}

  /**
   * The deadline the query asks for, or {@code defaultTimeout}.
   *
   * @param what appended to the range message, e.g. " for a job"; empty for a task
   * @throws InvalidInputException naming the parameter at fault
   */
  public static long timeoutMs(Uri uri, Duration defaultTimeout, Duration maxTimeout, String what) {
    return timeoutMs(uri, defaultTimeout, maxTimeout, what, List.of("timeoutMs"));
  }

  /**
   * The same, for a request whose query may also hold the other {@code parameters} (read by its
   * caller); any other parameter is refused, naming the ones there are.
   */
  public static long timeoutMs(Uri uri, Duration defaultTimeout, Duration maxTimeout, String what,
      List<String> parameters) {
    long max = maxTimeout.toMillis();
    if (uri.rawQueryString().isEmpty()) {
      return Math.min(defaultTimeout.toMillis(), max);
    }
    for (String name : uri.query().toMultiMap().keySet()) {
      if (!parameters.contains(name)) {
        throw new InvalidInputException(abbreviate(name), "unknown query parameter '" + abbreviate(name)
            + (parameters.size() == 1 ? "'; the only one is " + parameters.get(0)
                : "'; the parameters are " + String.join(", ", parameters)));
      }
    }
    List<String> values = uri.query().getAll("timeoutMs");
    if (values.isEmpty()) {
      return Math.min(defaultTimeout.toMillis(), max);
    }
    InvalidInputException.require(values.size() == 1, "timeoutMs", "timeoutMs is given " + values.size()
        + " times; give it once");
    String text = values.get(0).trim();
    InvalidInputException.require(text.matches("-?[0-9]{1,1000}"), "timeoutMs",
        "timeoutMs must be a whole number of milliseconds, was '" + abbreviate(text) + "'");
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) { // digits beyond a long: out of range either way
      value = text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    InvalidInputException.require(value >= 1 && value <= max, "timeoutMs",
        "timeoutMs must be between 1 and " + max + what + ", was " + abbreviate(text));
    return value;
  }

  public static boolean isJson(ContentType type) {
    MediaType media = type.mediaType();
    return media.mainType().equals("application")
        && (media.subType().equals("json") || media.subType().endsWith("+json"));
  }

  /** A client's text, cut short for a message. */
  public static String abbreviate(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "...";
  }
}
