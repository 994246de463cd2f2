package dev.anvil.security;

import java.util.Locale;

/**
 * What a token may do. Each is independent, except that {@code admin} implies the others and
 * reaches every tenant's jobs.
 */
public enum Scope {
  /** Submit tasks, jobs and batches, and cancel one's own jobs. */
  SUBMIT,
  /** Read: kinds, one's own jobs and their events, the cluster, metrics. */
  READ,
  /** Every scope, over every tenant's jobs. */
  ADMIN;

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code "submit"} to SUBMIT; null for anything else. */
  public static Scope parse(String word) {
    for (Scope s : values()) {
      if (s.word().equals(word)) {
        return s;
      }
    }
    return null;
  }
}
