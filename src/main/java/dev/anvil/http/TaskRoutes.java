package dev.anvil.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.anvil.compute.TaskCatalog;
import dev.anvil.compute.TaskOutcome;
import dev.anvil.compute.TaskRouter;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.config.ComputeSettings;
import dev.anvil.config.HttpSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/** {@code POST /v1/tasks/{kind}}: checks a task on arrival, hands it to the router, answers its outcome. */
public final class TaskRoutes extends AllDirectives {

  /** The body of a 200; {@code result} is the kind's own JSON, passed through as is. */
  public record TaskResponse(String kind, @JsonRawValue String result, String node, String receivedBy, long queueMs,
      long computeMs) {}

  /** Time given to the router beyond the task's deadline; it always answers by then. */
  private static final Duration ASK_SLACK = Duration.ofSeconds(5);

  private final TaskCatalog catalog;
  private final ActorRef<TaskRouter.Command> router;
  private final ActorSystem<?> system;
  private final JsonResponses json;
  private final HttpSettings http;
  private final ComputeSettings compute;
  private final String node;

  public TaskRoutes(TaskCatalog catalog, ActorRef<TaskRouter.Command> router, ActorSystem<?> system,
      JsonResponses json, HttpSettings http, ComputeSettings compute, String node) {
    this.catalog = catalog;
    this.router = router;
    this.system = system;
    this.json = json;
    this.http = http;
    this.compute = compute;
    this.node = node;
  }

  public Route routes() {
    return path(segment("v1").slash("tasks").slash(segment()), kind -> post(() -> submit(kind)));
  }

  private Route submit(String kind) {
    Optional<ComputeTask<?, ?>> task = catalog.find(kind);
    if (task.isEmpty()) {
      return complete(json.problem(StatusCodes.NOT_FOUND, "unknown-kind",
          "there is no kind named '" + abbreviate(kind) + "'; GET /v1/kinds lists them"));
    }
    return parameterOptional("timeoutMs", timeout -> extractRequestEntity(entity -> {
      if (!isJson(entity.getContentType())) {
        return complete(json.problem(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "not-json",
            "the body must be application/json, was " + entity.getContentType()));
      }
      long timeoutMs;
      try {
        timeoutMs = timeoutMs(timeout);
      } catch (InvalidInputException e) {
        return invalid(e);
      }
      long max = http.maxBodyBytes();
      if (entity.getContentLengthOption().orElse(0) > max) {
        return complete(tooLarge());
      }
      return onComplete(entity.toStrict(http.bodyReadTimeout().toMillis(), max, system), body -> body.isSuccess()
          ? run(task.get(), body.get().getData().toArray(), timeoutMs)
          : complete(unreadable(body.failed().get())));
    }));
  }

  /** A body sent without a length (chunked) can still turn out too large, or too slow. */
  private HttpResponse unreadable(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof EntityStreamSizeException) {
        return tooLarge();
      }
    }
    return json.problem(StatusCodes.REQUEST_TIMEOUT, "body-not-received",
        "the body did not arrive within " + http.bodyReadTimeout().toMillis() + " ms");
  }

  private HttpResponse tooLarge() {
    return json.problem(StatusCodes.PAYLOAD_TOO_LARGE, "body-too-large",
        "the body is larger than the limit of " + http.maxBodyBytes() + " bytes");
  }

  private Route run(ComputeTask<?, ?> task, byte[] body, long timeoutMs) {
    try {
      catalog.readInput(task, body);
    } catch (InvalidInputException e) {
      return invalid(e);
    }
    CompletionStage<TaskOutcome> outcome = AskPattern.ask(router,
        replyTo -> new TaskRouter.RunTask(task.kind(), body, timeoutMs, replyTo),
        Duration.ofMillis(timeoutMs).plus(ASK_SLACK), system.scheduler());
    return completeWithFuture(outcome.handle((o, error) -> o != null ? toResponse(o) : json.problem(
        StatusCodes.GATEWAY_TIMEOUT, "deadline", "no answer from the cluster within the deadline of " + timeoutMs
            + " ms")));
  }

  private HttpResponse toResponse(TaskOutcome outcome) {
    if (outcome instanceof TaskOutcome.Completed c) {
      return json.ok(new TaskResponse(c.kind(), new String(c.result(), StandardCharsets.UTF_8), c.node(), node,
          c.queueMs(), c.computeMs()));
    }
    TaskOutcome.Failed f = (TaskOutcome.Failed) outcome;
    return switch (f.failure()) {
      case REJECTED -> json.tooManyRequests(f.detail(), 1);
      case TIMED_OUT -> json.problem(StatusCodes.GATEWAY_TIMEOUT, "deadline", f.detail());
      case UNAVAILABLE, ABANDONED -> json.problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", f.detail());
      case CRASHED -> json.problem(StatusCodes.INTERNAL_SERVER_ERROR, "task-failed",
          "the task failed on node " + f.node() + ": " + abbreviate(f.detail()));
    };
  }

  private long timeoutMs(Optional<String> timeout) {
    long max = compute.maxTimeout().toMillis();
    if (timeout.isEmpty()) {
      return Math.min(compute.defaultTimeout().toMillis(), max);
    }
    String text = timeout.get().trim();
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("timeoutMs", "timeoutMs must be a whole number of milliseconds, was '"
          + abbreviate(text) + "'");
    }
    InvalidInputException.require(value >= 1 && value <= max, "timeoutMs",
        "timeoutMs must be between 1 and " + max + ", was " + value);
    return value;
  }

  private Route invalid(InvalidInputException e) {
    return complete(json.problem(StatusCodes.BAD_REQUEST, "invalid-input", e.getMessage(),
        e.field().isEmpty() ? null : e.field()));
  }

  private static boolean isJson(ContentType type) {
    MediaType media = type.mediaType();
    return media.mainType().equals("application")
        && (media.subType().equals("json") || media.subType().endsWith("+json"));
  }

  static String abbreviate(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "...";
  }
}
