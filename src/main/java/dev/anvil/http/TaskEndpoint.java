package dev.anvil.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.task.Outcome;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskRun;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.config.ComputeSettings;
import dev.anvil.config.HttpSettings;
import dev.anvil.metrics.AnvilMetrics;
import dev.anvil.security.AccessControl;
import dev.anvil.security.Caller;
import dev.anvil.security.Quotas;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/tasks/{kind}}: checks a task on arrival, gives it to the
 * {@link LocalScheduler}, and answers its outcome.
 *
 * <p>This is the one resource served by a plain request handler instead of a {@code Route}:
 * the Java routing DSL completes futures through Scala's global execution context and the
 * default dispatcher, two more thread hand-offs per request than the task needs. Here the
 * worker that computes the result completes the response, and Pekko HTTP's connection stage
 * picks it up: a task that runs on this node crosses threads twice, to its worker and back.
 * Everything else a client may send to this path (another method, a malformed path) falls
 * through to the routes, sealed as ever.
 */
public final class TaskEndpoint extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(TaskEndpoint.class);

  private final TaskCatalog catalog;
  private final TaskIntake scheduler;
  private final ClassicActorSystemProvider system;
  private final JsonResponses json;
  private final BearerAuth auth;
  private final HttpSettings http;
  private final ComputeSettings compute;
  private final String node;
  private final SubmissionBody bodies;
  private final byte[] nodeJson;
  /** Refusals are made once: under overload they must cost less than the tasks they turn away. */
  private final HttpResponse queueFull;
  private final HttpResponse unavailable;
  private final AsyncTasks async;
  private final TaskStats stats;
  private final Quotas quotas;
  private final AnvilMetrics metrics;

  /** {@code Prefer: respond-async}: the request becomes a job (see JobRoutes). */
  @FunctionalInterface
  public interface AsyncTasks {
    CompletionStage<HttpResponse> submit(HttpRequest request, String kind, String prefer);
  }

  public TaskEndpoint(TaskCatalog catalog, TaskIntake scheduler, ClassicActorSystemProvider system,
      JsonResponses json, BearerAuth auth, HttpSettings http, ComputeSettings compute, String node,
      AsyncTasks async) {
    this.async = async;
    var typed = org.apache.pekko.actor.typed.javadsl.Adapter.toTyped(system.classicSystem());
    this.stats = TaskStats.get(typed);
    this.quotas = AccessControl.get(typed).quotas();
    this.metrics = AnvilMetrics.get(typed);
    this.catalog = catalog;
    this.scheduler = scheduler;
    this.system = system;
    this.json = json;
    this.auth = auth;
    this.http = http;
    this.compute = compute;
    this.node = node;
    this.bodies = new SubmissionBody(system, json, catalog, http.bodyReadTimeout(), node);
    this.nodeJson = quoted(node);
    this.queueFull = json.tooManyRequests("every worker of the cluster is busy and this node's queue is full", 1);
    this.unavailable = json.problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable",
        "no node of the cluster can take tasks now");
  }

  /**
   * The same resource as a route, for what the fast path does not take: another method (405),
   * or a path whose kind segment is escaped.
   */
  public Route routes() {
    return Endpoint.TASK.route(kind -> post(() -> extractRequest(request -> completeWithFuture(handle(request, kind)))));
  }

  /** The kind this request posts a task of, or null when it is not {@code POST /v1/tasks/{kind}}. */
  public static String kindOf(HttpRequest request) {
    if (request.method() != HttpMethods.POST) {
      return null;
    }
    return Endpoint.TASK.capture(request.getUri().path());
  }

  public CompletionStage<HttpResponse> handle(HttpRequest request, String kind) {
    return handle(request, kind, null);
  }

  /** Where the fast path serves a connection: a client that goes away cancels its task. */
  ClientConnection connection() {
    return new ClientConnection(scheduler, node);
  }

  /** @param connection the client's connection, or null when served through the routes */
  CompletionStage<HttpResponse> handle(HttpRequest request, String kind, ClientConnection connection) {
    try {
      Caller known = request.getAttribute(Caller.KEY).orElse(null); // through the routes: admitted there
      BearerAuth.Gate gate = known != null ? new BearerAuth.Gate(known, null) : auth.admit(request);
      if (!gate.passed()) {
        return done(gate.refusal());
      }
      Caller caller = gate.caller();
      String prefer = prefer(request);
      if (prefer != null) {
        return async.submit(request.addAttribute(Caller.KEY, caller), kind, prefer);
      }
      ComputeTask<?, ?> task = catalog.find(kind).orElse(null);
      if (task == null) {
        return done(json.unknownKind(kind));
      }
      if (!TaskRequests.isJson(request.entity().getContentType())) {
        return done(json.notJson(request.entity().getContentType()));
      }
      long timeoutMs = TaskRequests.timeoutMs(request.getUri(), compute.defaultTimeout(), compute.maxTimeout(), "");
      return bodies.read(request, http.maxBodyBytes(), "anvil.http.max-body-bytes",
          body -> run(request, caller, task, body, timeoutMs, connection));
    } catch (InvalidInputException e) {
      return done(json.invalidInput(e));
    } catch (RuntimeException e) {
      log.error("Unexpected failure while serving a task request", e);
      return done(json.problem(StatusCodes.INTERNAL_SERVER_ERROR, "internal",
          "the server failed to handle the request; the failure is logged"));
    }
  }

  /** The Prefer header when it asks for respond-async (RFC 7240), else null. */
  private static String prefer(HttpRequest request) {
    for (org.apache.pekko.http.javadsl.model.HttpHeader header : request.getHeaders()) {
      if (header.is("prefer") && header.value().toLowerCase(java.util.Locale.ROOT).contains("respond-async")) {
        return header.value().toLowerCase(java.util.Locale.ROOT);
      }
    }
    return null;
  }

  private CompletionStage<HttpResponse> run(HttpRequest request, Caller caller, ComputeTask<?, ?> task, byte[] body,
      long timeoutMs, ClientConnection connection) {
    SubmissionBody.Input read = bodies.input(task, body);
    if (read.problem() != null) {
      return done(read.problem());
    }
    String tenant = caller.tenant();
    Quotas.Refusal overQuota = quotas.enter(tenant);
    if (overQuota != null) {
      return done(auth.refuse(request, caller, overQuota));
    }
    Object input = read.value();
    CompletableFuture<TaskOutcome> outcome = new CompletableFuture<>();
    TaskRun job = new TaskRun(scheduler.nextId(), task, body, input, timeoutMs, System.nanoTime(), tenant,
        outcome::complete);
    if (connection != null && !connection.waitFor(job)) {
      quotas.leave(tenant);
      return done(unavailable); // the client has gone already; nobody reads this
    }
    return switch (scheduler.submit(job)) {
      case STARTED, QUEUED -> outcome.thenApply(o -> {
        quotas.leave(tenant);
        if (connection != null) {
          connection.answered(job);
        }
        stats.answered(job.kind(), tenant, o);
        metrics.tenantTask(tenant, o);
        return toResponse(o);
      });
      case REJECTED -> {
        quotas.leave(tenant);
        stats.refused(job.kind());
        yield done(queueFull);
      }
      case UNAVAILABLE -> {
        quotas.leave(tenant);
        stats.refused(job.kind());
        yield done(unavailable);
      }
    };
  }

  private HttpResponse toResponse(TaskOutcome outcome) {
    if (outcome instanceof TaskOutcome.Completed c) {
      return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, body(c));
    }
    TaskOutcome.Failed f = (TaskOutcome.Failed) outcome;
    StatusCode status = StatusCodes.get(Outcome.status(f));
    return switch (f.failure()) {
      case REJECTED -> json.tooManyRequests(f.detail(), 1);
      case CRASHED -> json.problem(status, Outcome.problemSlug(f.failure()),
          "the task failed on node " + f.node() + ": " + TaskRequests.abbreviate(f.detail()));
      case TIMED_OUT, UNAVAILABLE, ABANDONED, CANCELLED -> json.problem(status, Outcome.problemSlug(f.failure()),
          f.detail());
    };
  }

  /**
   * {@code {"kind","result","node","receivedBy","queueMs","computeMs"}}, written once around
   * the result's JSON as the worker wrote it.
   */
  private byte[] body(TaskOutcome.Completed c) {
    byte[] result = c.result();
    ByteArrayOutputStream out = new ByteArrayOutputStream(result.length + 160);
    out.writeBytes(KIND);
    out.writeBytes(quoted(c.kind()));
    out.writeBytes(RESULT);
    out.writeBytes(result);
    out.writeBytes(NODE);
    out.writeBytes(c.node().equals(node) ? nodeJson : quoted(c.node()));
    out.writeBytes(RECEIVED_BY);
    out.writeBytes(nodeJson);
    out.writeBytes(ascii("\",\"queueMs\":" + c.queueMs() + ",\"computeMs\":" + c.computeMs() + "}"));
    return out.toByteArray();
  }

  private static final byte[] KIND = ascii("{\"kind\":\"");
  private static final byte[] RESULT = ascii("\",\"result\":");
  private static final byte[] NODE = ascii(",\"node\":\"");
  private static final byte[] RECEIVED_BY = ascii("\",\"receivedBy\":\"");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] quoted(String s) {
    return JsonStringEncoder.getInstance().quoteAsUTF8(s);
  }

  /** A body sent without a length (chunked) can still turn out too large, or too slow. */
  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
