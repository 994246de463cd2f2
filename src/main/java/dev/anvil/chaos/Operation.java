package dev.anvil.chaos;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One line of a chaos run's history: a call, its answer, and when it started and ended; or a
 * fault as it was injected and healed; or a sample of a node's memory.
 *
 * @param type {@code task}, {@code submit}, {@code read}, {@code cancel}, {@code watch},
 *     {@code batch}; {@code fault} (with {@code fault} and {@code healed}); {@code rss}
 * @param kind the task's kind, for a task, a submission or a batch
 * @param input the input sent (a task, a submission), to check the result against
 * @param key the Idempotency-Key of a submission, if any
 * @param job the job's id: the one a submission got, or the one read, watched or cancelled
 * @param status the HTTP status; 0 when the call got no answer (connection refused, timeout)
 * @param jobStatus the job's status in the answer (a submission's or a read's), if any
 * @param result the result in the answer, if any
 * @param startMs when the call was sent (or the fault injected), ms since the run began
 * @param endMs when the answer came (or the fault healed)
 * @param node the node of an {@code rss} sample, or the node a fault hit
 * @param rssBytes an {@code rss} sample
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Operation(
    String type,
    String kind,
    JsonNode input,
    String key,
    String job,
    int status,
    String jobStatus,
    JsonNode result,
    long startMs,
    long endMs,
    String fault,
    String node,
    Long rssBytes) {

  public static Operation task(String kind, JsonNode input, int status, JsonNode result, long startMs, long endMs) {
    return new Operation("task", kind, input, null, null, status, null, result, startMs, endMs, null, null, null);
  }

  public static Operation submit(String kind, JsonNode input, String key, int status, String job, String jobStatus,
      long startMs, long endMs) {
    return new Operation("submit", kind, input, key, job, status, jobStatus, null, startMs, endMs, null, null, null);
  }

  public static Operation read(String job, int status, String jobStatus, JsonNode result, long startMs, long endMs) {
    return new Operation("read", null, null, null, job, status, jobStatus, result, startMs, endMs, null, null, null);
  }

  /** An SSE watch of a job's events: the last status it showed, with its result. */
  public static Operation watch(String job, int status, String jobStatus, JsonNode result, long startMs, long endMs) {
    return new Operation("watch", null, null, null, job, status, jobStatus, result, startMs, endMs, null, null, null);
  }

  /**
   * A batch: {@code inputs} an array of the inputs sent, {@code lines} an array of the lines
   * answered (the summary last); status 0 when the stream broke before its summary.
   */
  public static Operation batch(String kind, JsonNode inputs, int status, JsonNode lines, long startMs, long endMs) {
    return new Operation("batch", kind, inputs, null, null, status, null, lines, startMs, endMs, null, null, null);
  }

  public static Operation cancel(String job, int status, long startMs, long endMs) {
    return new Operation("cancel", null, null, null, job, status, null, null, startMs, endMs, null, null, null);
  }

  public static Operation fault(String fault, String node, long injectedMs, long healedMs) {
    return new Operation("fault", null, null, null, null, 0, null, null, injectedMs, healedMs, fault, node, null);
  }

  public static Operation rss(String node, long atMs, long bytes) {
    return new Operation("rss", null, null, null, null, 0, null, null, atMs, atMs, null, node, bytes);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isFinal() {
    return "succeeded".equals(jobStatus) || "failed".equals(jobStatus) || "cancelled".equals(jobStatus);
  }

  /** A call that reached the service and was served (any answer but 5xx, and not none). */
  boolean succeeded() {
    return status >= 200 && status < 500;
  }
}
