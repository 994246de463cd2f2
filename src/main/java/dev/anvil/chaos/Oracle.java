package dev.anvil.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * What each built-in kind must answer, computed here a second way (not by the kind's code): a
 * plain sieve for primes, the JDK's own PBKDF2 for pbkdf2, a two-pass mean for stats. A result
 * is right when it agrees; {@code null} from {@link #check} means it does.
 */
public final class Oracle {
  private Oracle() {}

  /** Why {@code result} is not the answer to {@code input} of {@code kind}, or null when it is. */
  static String check(String kind, JsonNode input, JsonNode result) {
    if (result == null || result.isMissingNode() || result.isNull()) {
      return "no result";
    }
    switch (kind) {
      case "primes" -> {
        int limit = input.path("limit").asInt();
        long expected = primesUpTo(limit);
        return result.path("count").asLong(-1) == expected ? null
            : "primes up to " + limit + ": " + expected + ", answered " + result.path("count");
      }
      case "pbkdf2" -> {
        String expected = pbkdf2(input.path("password").asText(), input.path("salt").asText(),
            input.path("iterations").asInt(), input.path("keyBytes").asInt(32));
        return expected.equals(result.path("hex").asText()) ? null
            : "pbkdf2 of " + input + ": " + expected + ", answered " + result.path("hex");
      }
      case "stats" -> {
        double[] values = new double[input.path("values").size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = input.path("values").get(i).asDouble();
        }
        double mean = Arrays.stream(values).sum() / values.length;
        double min = Arrays.stream(values).min().orElse(Double.NaN);
        double max = Arrays.stream(values).max().orElse(Double.NaN);
        boolean right = result.path("count").asInt() == values.length && close(result.path("mean").asDouble(), mean)
            && result.path("min").asDouble() == min && result.path("max").asDouble() == max;
        return right ? null : "stats of " + values.length + " values: mean " + mean + ", min " + min + ", max " + max
            + "; answered " + result;
      }
      case "spin" -> {
        return result.path("ms").asInt(-1) == input.path("ms").asInt() && result.path("iterations").asLong() > 0
            ? null : "spin " + input + ": answered " + result;
      }
      default -> {
        return null; // a kind with no second computation here: only its status is checked
      }
    }
  }

  private static boolean close(double a, double b) {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  }

  /** The plainest sieve there is: a boolean per number (PrimesTest checks the kind against it too). */
  public static long primesUpTo(int limit) {
    if (limit < 2) {
      return 0;
    }
    boolean[] composite = new boolean[limit + 1];
    long count = 0;
    for (int i = 2; i <= limit; i++) {
      if (!composite[i]) {
        count++;
        for (long j = (long) i * i; j <= limit; j += i) {
          composite[(int) j] = true;
        }
      }
    }
    return count;
  }

  static String pbkdf2(String password, String salt, int iterations, int keyBytes) {
    try {
      byte[] key = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(new PBEKeySpec(
          password.toCharArray(), salt.getBytes(StandardCharsets.UTF_8), iterations, keyBytes * 8)).getEncoded();
      return HexFormat.of().formatHex(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
