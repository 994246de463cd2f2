package dev.anvil.jobs;

import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.http.TaskRequests;
import dev.anvil.jobs.JobRecord.Status;
import java.util.List;
import java.util.Map;

/**
 * The query of {@code GET /v1/jobs}: {@code status}, {@code kind}, {@code limit} (1 to 1000,
 * default 100) and {@code cursor} (a previous page's {@code next}), each at most once.
 */
record ListQuery(Status status, String kind, int limit, JobIndex.Cursor cursor) {

  static final int MAX_LIST = 1000;

  /** @throws InvalidInputException naming the parameter at fault */
  static ListQuery parse(Map<String, List<String>> query) {
    Status status = null;
    String kind = null;
    int limit = 100;
    JobIndex.Cursor cursor = null;
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      String name = e.getKey();
      InvalidInputException.require(e.getValue().size() == 1, TaskRequests.abbreviate(name),
          TaskRequests.abbreviate(name) + " is given " + e.getValue().size() + " times; give it once");
      String value = e.getValue().get(0);
      switch (name) {
        case "status" -> {
          status = Status.parse(value);
          InvalidInputException.require(status != null, "status", "status must be one of queued, running,"
              + " succeeded, failed, cancelled; was '" + TaskRequests.abbreviate(value) + "'");
        }
        case "kind" -> kind = value;
        case "limit" -> {
          InvalidInputException.require(value.matches("[0-9]{1,4}") && Integer.parseInt(value) >= 1
              && Integer.parseInt(value) <= MAX_LIST, "limit", "limit must be between 1 and " + MAX_LIST
              + ", was '" + TaskRequests.abbreviate(value) + "'");
          limit = Integer.parseInt(value);
        }
        case "cursor" -> {
          try {
            cursor = JobIndex.Cursor.parse(value);
          } catch (IllegalArgumentException bad) {
            throw new InvalidInputException("cursor", "cursor must be the 'next' of a previous page");
          }
        }
        default -> throw new InvalidInputException(TaskRequests.abbreviate(name), "unknown query parameter '"
            + TaskRequests.abbreviate(name) + "'; known: status, kind, limit, cursor");
      }
    }
    return new ListQuery(status, kind, limit, cursor);
  }
}
