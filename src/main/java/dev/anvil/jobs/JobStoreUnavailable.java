package dev.anvil.jobs;

/** The listing's query failed (the jobs' database is down or did not answer): 503. */
public final class JobStoreUnavailable extends RuntimeException {
  public JobStoreUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
