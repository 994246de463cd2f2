package dev.anvil.compute.spi;

/** An input broke a rule of its kind; the client gets 400 naming {@link #field()}. */
public final class InvalidInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidInputException(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  /** The offending field as a JSON path ({@code values[3]}, {@code limit}); empty for the body. */
  public String field() {
    return field;
  }

  /** Throws unless {@code condition} holds. */
  public static void require(boolean condition, String field, String message) {
    if (!condition) {
      throw new InvalidInputException(field, message);
    }
  }

  /** Returns {@code value}, or throws saying that {@code field} is required. */
  public static <T> T required(T value, String field) {
    if (value == null) {
      throw new InvalidInputException(field, field + " is required");
    }
    return value;
  }

  /** Checks {@code min <= value <= max} of a required integer field, and returns it. */
  public static long inRange(Number value, String field, long min, long max) {
    long v = required(value, field).longValue();
    require(v >= min && v <= max, field, field + " must be between " + min + " and " + max + ", was " + v);
    return v;
  }
}
