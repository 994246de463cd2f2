package dev.anvil.compute.catalog;

/**
 * A kind that cannot be run, or a kinds folder that holds none: one line for whoever installed
 * it, naming the jar or class at fault and what is wrong. A node refuses to start on it.
 */
public final class BadKind extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public BadKind(String message) {
    super(message);
  }
}
