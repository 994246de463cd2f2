package dev.anvil.jobs;

import static org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling.toEventStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.http.BearerAuth;
import dev.anvil.http.Endpoint;
import dev.anvil.http.JsonResponses;
import dev.anvil.http.SubmissionBody;
import dev.anvil.http.TaskRequests;
import dev.anvil.jobs.JobRecord.Status;
import dev.anvil.security.AccessControl;
import dev.anvil.security.Caller;
import dev.anvil.security.Quotas;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.CompletionStrategy;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The jobs API: {@code POST /v1/jobs/{kind}}, {@code GET /v1/jobs/{id}}, its
 * {@code /events} (server-sent events), {@code DELETE /v1/jobs/{id}}, {@code GET /v1/jobs};
 * and {@code POST /v1/tasks/{kind}} with {@code Prefer: respond-async}.
 */
public final class JobRoutes extends AllDirectives {

  private final SubmissionBody bodies;
  private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*(\\d{1,9})");
  /** How often an events stream tells the job's entity again that it watches. */
  private static final Duration REWATCH = Duration.ofSeconds(3);
  /**
   * Continuations of futures from Scala (asks, toStrict) run on the thread that completes them:
   * their plain thenApply and kin go to the common pool, which on a node JVM of one core starts a
   * new thread per call (CompletableFuture's ThreadPerTaskExecutor).
   */
  private static final java.util.concurrent.Executor DIRECT = Runnable::run;

  /** {@code anvil.jobs}. */
  public record Settings(Duration defaultTimeout, Duration maxTimeout, long maxInputBytes, Jobs.Settings jobs) {}

  /** How long a client waits before it submits again when the jobs' database did not answer. */
  private static final int RETRY_AFTER_SECONDS = 5;

  private final ActorSystem<?> system;
  private final Jobs jobs;
  private final TaskCatalog catalog;
  private final JsonResponses json;
  private final ObjectMapper mapper;
  private final Settings settings;
  private final String node;
  private final JobViews views;
  private final BearerAuth auth;
  private final Quotas quotas;

  public JobRoutes(ActorSystem<?> system, Jobs jobs, TaskCatalog catalog, JsonResponses json, BearerAuth auth,
      Settings settings, String node, Duration bodyReadTimeout) {
    this.auth = auth;
    this.quotas = AccessControl.get(system).quotas();
    this.bodies = new SubmissionBody(system, json, catalog, bodyReadTimeout, node);
    this.system = system;
    this.jobs = jobs;
    this.catalog = catalog;
    this.json = json;
    this.mapper = json.mapper();
    this.settings = settings;
    this.node = node;
    this.views = new JobViews(json, node);
  }

  public Route routes() {
    return concat(
        Endpoint.JOBS.route(() -> get(() -> extractRequest(r -> completeWithFuture(list(r))))),
        Endpoint.JOB_SUBMIT.route(kind -> post(() -> extractRequest(r -> completeWithFuture(submitPlain(r, kind))))),
        Endpoint.JOB.route(id -> extractRequest(r -> concat(
            get(() -> completeWithFuture(view(Caller.of(r), id))),
            delete(() -> completeWithFuture(cancel(Caller.of(r), id)))))),
        Endpoint.JOB_EVENTS.route(id -> get(() -> extractRequest(r -> events(Caller.of(r), id)))));
  }

  // --- submission

  /**
   * {@code POST /v1/tasks/{kind}} with {@code Prefer: respond-async[, wait=N]}: a job; with
   * {@code wait}, the task's own answer if the job ends within N seconds.
   */
  public CompletionStage<HttpResponse> preferAsync(HttpRequest request, String kind, String prefer) {
    Matcher wait = WAIT.matcher(prefer);
    Optional<Duration> waitFor = wait.find()
        ? Optional.of(Duration.ofSeconds(Math.min(Long.parseLong(wait.group(1)), settings.maxTimeout().toSeconds())))
        : Optional.empty();
    return submitRequest(request, kind, waitFor);
  }

  /** {@code POST /v1/jobs/{kind}}: no Prefer to apply, so no Preference-Applied. */
  private CompletionStage<HttpResponse> submitPlain(HttpRequest request, String kind) {
    return submitRequest(request, kind, Optional.<Duration>empty())
        .thenApplyAsync(response -> response.removeHeader("Preference-Applied"), DIRECT);
  }

  private CompletionStage<HttpResponse> submitRequest(HttpRequest request, String kind, Optional<Duration> wait) {
    ComputeTask<?, ?> task = catalog.find(kind).orElse(null);
    if (task == null) {
      return done(json.unknownKind(kind));
    }
    if (!TaskRequests.isJson(request.entity().getContentType())) {
      return done(json.notJson(request.entity().getContentType()));
    }
    long timeoutMs;
    String key;
    try {
      timeoutMs = TaskRequests.timeoutMs(request.getUri(), settings.defaultTimeout(), settings.maxTimeout(),
          " for a job");
      key = idempotencyKey(request);
    } catch (InvalidInputException e) {
      return done(json.invalidInput(e));
    }
    return bodies.read(request, settings.maxInputBytes(), "a job's input, anvil.jobs.max-input-bytes",
        body -> submit(request, task, body, timeoutMs, key, wait));
  }

  private CompletionStage<HttpResponse> submit(HttpRequest request, ComputeTask<?, ?> task, byte[] body,
      long timeoutMs, String key, Optional<Duration> wait) {
    SubmissionBody.Input read = bodies.input(task, body); // every bad input is refused now, not when the job runs
    if (read.problem() != null) {
      return done(read.problem());
    }
    Optional<String> refused = jobs.refusal();
    if (refused.isPresent()) {
      return done(unavailable("journal-not-shared", refused.get()));
    }
    Caller caller = Caller.of(request);
    String tenant = caller.tenant();
    if (quotas.policies().of(tenant).maxJobs() <= 0) {
      return store(caller, task, body, timeoutMs, key, wait);
    }
    return jobs.stored(tenant).handleAsync((stored, error) -> {
      if (error != null) {
        return done(storeDown());
      }
      Quotas.Refusal full = quotas.storeJob(tenant, stored);
      if (full == null) {
        return store(caller, task, body, timeoutMs, key, wait);
      }
      if (key == null) {
        return done(auth.refuse(request, caller, full));
      }
      // a retry of a job stored already stores nothing: it gets its job (or its 422), quota or not
      return jobs.get(Jobs.newId(tenant, key)).handleAsync((found, lookupError) -> lookupError == null
          && found.record() != null ? store(caller, task, body, timeoutMs, key, wait)
          : done(auth.refuse(request, caller, full)), DIRECT).thenComposeAsync(r -> r, DIRECT);
    }, DIRECT).thenComposeAsync(r -> r, DIRECT);
  }

  private CompletionStage<HttpResponse> store(Caller caller, ComputeTask<?, ?> task, byte[] body, long timeoutMs,
      String key, Optional<Duration> wait) {
    String hash = hash(task.kind(), body);
    return jobs.submit(caller.tenant(), task.kind(), body, timeoutMs, key, hash)
        .handleAsync((result, error) -> {
          if (error != null) {
            return done(unavailable("not-recorded", "the job was not stored within "
                + settings.jobs().askTimeout().toSeconds() + " s (is the jobs' database down, or the cluster still"
                + " forming?); submit it again later" + (key == null
                    ? ". It may still be stored and run: an Idempotency-Key makes submitting again safe"
                    : " with the same Idempotency-Key, which gives the one job if it was stored after all")));
          }
          if (result instanceof JobEntity.Accepted accepted) {
            if (!accepted.existing()) {
              jobs.acceptedHere(caller.tenant());
            }
            return wait.isPresent() ? awaitThenAnswer(accepted.record(), wait.get()) : done(accepted(accepted.record()));
          }
          return done(json.problem(StatusCodes.UNPROCESSABLE_ENTITY, "idempotency-key-reused",
              ((JobEntity.KeyReused) result).detail(), "Idempotency-Key"));
        }, DIRECT)
        .thenComposeAsync(r -> r, DIRECT);
  }

  private HttpResponse unavailable(String slug, String detail) {
    return json.problem(StatusCodes.SERVICE_UNAVAILABLE, slug, detail)
        .addHeader(RawHeader.create("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)));
  }

  private CompletionStage<HttpResponse> awaitThenAnswer(JobRecord record, Duration wait) {
    if (wait.isZero()) {
      return done(accepted(record));
    }
    return jobs.awaitFinal(record.id(), wait)
        .handleAsync((finished, error) -> finished, DIRECT)
        .thenComposeAsync(finished -> {
          if (finished == null) {
            return get(record.id()).thenApplyAsync(now -> accepted(now.orElse(record)), DIRECT);
          }
          return done(views.asTaskAnswer(finished).addHeader(RawHeader.create("Preference-Applied", "wait=" + wait.toSeconds())));
        }, DIRECT);
  }

  private HttpResponse accepted(JobRecord record) {
    return json.json(StatusCodes.ACCEPTED, views.view(record))
        .addHeader(Location.create("/v1/jobs/" + record.id()))
        .addHeader(RawHeader.create("Preference-Applied", "respond-async"));
  }

  private static String idempotencyKey(HttpRequest request) {
    List<String> keys = new java.util.ArrayList<>();
    request.getHeaders().forEach(h -> {
      if (h.is("idempotency-key")) {
        keys.add(h.value());
      }
    });
    if (keys.isEmpty()) {
      return null;
    }
    InvalidInputException.require(keys.size() == 1, "Idempotency-Key", "Idempotency-Key is given "
        + keys.size() + " times; give it once");
    String key = keys.get(0);
    InvalidInputException.require(!key.isEmpty() && key.length() <= 255 && key.chars().allMatch(c -> c > 32 && c < 127),
        "Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters");
    return key;
  }

  private static String hash(String kind, byte[] body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(kind.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(body);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- reading, cancelling, listing

  private CompletionStage<Optional<JobRecord>> get(String id) {
    if (!Jobs.isId(id)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return jobs.get(id).thenApplyAsync(found -> Optional.ofNullable(found.record()), DIRECT);
  }

  /** The job if it exists and {@code caller} may see it (its own, or any for an admin): others get 404, as for none. */
  private CompletionStage<Optional<JobRecord>> get(Caller caller, String id) {
    return get(id).thenApplyAsync(found -> found.filter(r -> caller.sees(r.tenant())), DIRECT);
  }

  private CompletionStage<HttpResponse> view(Caller caller, String id) {
    return get(caller, id).handleAsync((found, error) -> error != null ? storeDown()
        : found.map(r -> json.ok(views.view(r))).orElseGet(() -> notFound(id)), DIRECT);
  }

  private CompletionStage<HttpResponse> cancel(Caller caller, String id) {
    if (!Jobs.isId(id)) {
      return done(notFound(id));
    }
    return jobs.cancel(id, caller.admin() ? null : caller.tenant())
        .handleAsync((found, error) -> {
          if (error != null) {
            return storeDown();
          }
          if (found.record() == null) {
            return notFound(id);
          }
          JobRecord record = found.record();
          if (record.isFinal()) { // it was deleted: 404 from now on, and its key is free again
            return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
          }
          return json.json(StatusCodes.ACCEPTED, views.view(record));
        }, DIRECT);
  }

  private CompletionStage<HttpResponse> list(HttpRequest request) {
    ListQuery query;
    try {
      query = ListQuery.parse(request.getUri().query().toMultiMap());
    } catch (InvalidInputException e) {
      return done(json.invalidInput(e));
    }
    Caller caller = Caller.of(request);
    return jobs.list(caller.admin() ? null : caller.tenant(), query.status(), query.kind(), query.limit(),
            query.cursor())
        .handleAsync((page, error) -> {
          if (error != null) {
            return storeDown();
          }
          ObjectNode body = mapper.createObjectNode();
          var array = body.putArray("jobs");
          page.jobs().forEach(r -> array.add(views.view(r)));
          if (page.next() != null) {
            body.put("next", page.next());
          }
          return json.ok(body);
        }, DIRECT);
  }

  /** {@code text/event-stream}: "status" at once and on every change, "progress" in between; ends when final. */
  private Route events(Caller caller, String id) {
    return onSuccess(get(caller, id).handleAsync((found, error) -> error == null ? found : null, DIRECT), found -> {
      if (found == null) {
        return complete(storeDown());
      }
      if (found.isEmpty()) {
        return complete(notFound(id));
      }
      java.util.concurrent.atomic.AtomicReference<org.apache.pekko.actor.Cancellable> rewatch =
          new java.util.concurrent.atomic.AtomicReference<>();
      Source<ServerSentEvent, NotUsed> events = Source.<JobRecord>actorRef(
              message -> Optional.<CompletionStrategy>empty(), message -> Optional.empty(), 64,
              OverflowStrategy.dropHead())
          .mapMaterializedValue(ref -> {
            jobs.watch(id, Adapter.toTyped(ref));
            // again every few seconds: an entity that started anew (its node was lost, or a
            // rebalance) knows no watchers; a second watch of one that does is a no-op
            rewatch.set(system.scheduler().scheduleAtFixedRate(REWATCH, REWATCH,
                () -> jobs.watch(id, Adapter.toTyped(ref)), system.executionContext()));
            return NotUsed.getInstance();
          })
          .mapAsync(1, jobs::withResult) // the end of a job whose result is kept beside it: read it
          .watchTermination((notUsed, done) -> {
            done.whenComplete((d, error) -> rewatch.get().cancel());
            return notUsed;
          })
          .statefulMap(() -> new JobRecord[1], (last, record) -> {
            JobRecord previous = last[0];
            last[0] = record;
            Optional<ServerSentEvent> event;
            if (previous != null && previous.status() == record.status() && !record.isFinal()) {
              event = previous.progress() == record.progress() ? Optional.empty() : Optional.of(ServerSentEvent.create(
                  "{\"progress\":" + record.progress() + "}", "progress"));
            } else {
              event = Optional.of(ServerSentEvent.create(mapper.writeValueAsString(views.view(record)), "status"));
            }
            return org.apache.pekko.japi.Pair.create(last, event);
          }, last -> Optional.empty())
          .filter(Optional::isPresent)
          .map(Optional::get)
          .takeWhile(event -> !isFinalStatus(event), true)
          .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat);
      return completeOK(events, toEventStream());
    });
  }

  private static boolean isFinalStatus(ServerSentEvent event) {
    return event.getEventType().filter("status"::equals).isPresent()
        && (event.getData().contains("\"status\":\"succeeded\"") || event.getData().contains("\"status\":\"failed\"")
        || event.getData().contains("\"status\":\"cancelled\""));
  }

  private HttpResponse notFound(String id) {
    return json.problem(StatusCodes.NOT_FOUND, "unknown-job", "there is no job '" + TaskRequests.abbreviate(id)
        + "' (never submitted, deleted with DELETE, or removed " + settings.jobs().resultTtl().toSeconds()
        + " s after it finished; unfinished jobs are kept through restarts)");
  }

  /** A read the jobs' store did not answer in time. */
  private HttpResponse storeDown() {
    return unavailable("jobs-unavailable", "the jobs' store did not answer within "
        + settings.jobs().askTimeout().toSeconds() + " s (is the jobs' database down?); try again");
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
