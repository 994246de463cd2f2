package dev.anvil.jobs;

/** The jobs' database did not answer in time, or this node's journal is not the cluster's: 503. */
public final class JobStoreUnavailable extends RuntimeException {
  public JobStoreUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
