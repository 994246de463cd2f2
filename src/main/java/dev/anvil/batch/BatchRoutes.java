package dev.anvil.batch;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.anvil.batch.BatchProtocol.Item;
import dev.anvil.batch.BatchProtocol.ItemOutcome;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.ThreadNice;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.task.Outcome;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskStats;
import dev.anvil.config.ComputeSettings;
import dev.anvil.security.Caller;
import dev.anvil.http.ClientConnection;
import dev.anvil.http.Endpoint;
import dev.anvil.http.JsonResponses;
import dev.anvil.http.Problem;
import dev.anvil.http.SubmissionBody;
import dev.anvil.http.TaskRequests;
import dev.anvil.metrics.AnvilMetrics;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code POST /v1/batches/{kind}}: a stream of inputs, one JSON document per line, answered by
 * a stream of outcomes, one line per input, then a summary line. Input is read only as fast as
 * the cluster computes: lines are checked as they arrive, gathered into groups, and the groups
 * handed to this node's {@link BatchDispatcher}, at most what the cluster's runners may hold in
 * flight; a client that stops reading stops the reading of its input, and one that goes away
 * cancels the items that have not ended.
 */
public final class BatchRoutes extends AllDirectives {

  public static final ContentType.WithFixedCharset NDJSON =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("x-ndjson", HttpCharsets.UTF_8));

  /**
   * @param groupSize most items in one group sent to a node
   * @param groupBytes most input bytes in one group (an item larger than this goes alone)
   * @param maxLineBytes the largest input line; a longer one fails alone (413)
   * @param maxGroupsInFlight per batch, whatever the cluster's size
   */
  public record Settings(int groupSize, long groupBytes, int maxLineBytes, int maxGroupsInFlight,
      Duration groupWithin, int niceness) {}

  /** Where a batch's stream runs: see {@code anvil.batch.stream-dispatcher}. */
  static final String STREAM_DISPATCHER = "anvil.batch.stream-dispatcher";

  private final TaskCatalog catalog;
  private final BatchDispatcher.Handle dispatcher;
  private final JsonResponses json;
  private final SubmissionBody bodies;
  private final ComputeSettings compute;
  private final Settings settings;
  private final AnvilMetrics metrics;
  private final String node;
  private final AtomicLong batches = new AtomicLong();
  private final TaskStats stats;
  private final ClassicActorSystemProvider system;
  private final Duration bodyReadTimeout;

  public BatchRoutes(ClassicActorSystemProvider system, TaskCatalog catalog, BatchDispatcher.Handle dispatcher,
      JsonResponses json, SubmissionBody bodies, ComputeSettings compute, Duration bodyReadTimeout, Settings settings,
      AnvilMetrics metrics, String node) {
    this.system = system;
    this.stats = TaskStats.get(Adapter.toTyped(system.classicSystem()));
    this.bodyReadTimeout = bodyReadTimeout;
    this.catalog = catalog;
    this.dispatcher = dispatcher;
    this.json = json;
    this.bodies = bodies;
    this.compute = compute;
    this.settings = settings;
    this.metrics = metrics;
    this.node = node;
  }

  public Route routes() {
    return Endpoint.BATCH.route(kind -> post(() -> extractRequest(request -> completeWithFuture(
        whole(request).handle((whole, error) -> error != null
            ? json.problem(StatusCodes.REQUEST_TIMEOUT, "body-not-received",
                "the body did not arrive within " + bodyReadTimeout.toMillis() + " ms")
            : handle(whole, kind))))));
  }

  /**
   * A small body (a declared length up to {@value #WHOLE_BYTES} bytes) is read whole before the
   * batch starts: its answer then begins after its request ended, so the connection can tell this
   * batch at once when its client goes away (see {@link #handle}).
   */
  private CompletionStage<HttpRequest> whole(HttpRequest request) {
    long length = request.entity().getContentLengthOption().orElse(-1);
    if (request.entity() instanceof HttpEntity.Strict || length < 0 || length > WHOLE_BYTES) {
      return CompletableFuture.completedFuture(request);
    }
    return request.entity().toStrict(bodyReadTimeout.toMillis(), system)
        .thenApply(strict -> request.withEntity(strict));
  }

  private static final long WHOLE_BYTES = 1024 * 1024;

  HttpResponse handle(HttpRequest request, String kind) {
    ComputeTask<?, ?> task = catalog.find(kind).orElse(null);
    if (task == null) {
      return json.unknownKind(kind);
    }
    MediaType media = request.entity().getContentType().mediaType();
    if (!(media.mainType().equals("application") && media.subType().equals("x-ndjson"))) {
      return json.problem(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "not-ndjson",
          "a batch's body must be application/x-ndjson (one input per line), was " + request.entity().getContentType());
    }
    long timeoutMs;
    boolean ordered;
    try {
      timeoutMs = TaskRequests.timeoutMs(request.getUri(), compute.defaultTimeout(), compute.maxTimeout(), "",
          List.of("timeoutMs", "ordered"));
      ordered = ordered(request);
    } catch (InvalidInputException e) {
      return json.invalidInput(e);
    }
    String batch = node + "/" + batches.incrementAndGet();
    // A client that closes its connection cancels the batch: while it still sends, its body's
    // stream fails; once it has sent all, a write to it fails, at the next answered item. A body
    // that came whole (a small batch) is told of the close at once, even while nothing is written,
    // by the connection. (Not so for a streamed body: Pekko HTTP ends a connection's requests once
    // a body read after its response began is whole, long before the client goes.)
    Runnable forget = request.entity() instanceof HttpEntity.Strict
        ? request.getAttribute(ClientConnection.KEY).map(c -> c.onClose(() -> dispatcher.cancel(batch)))
            .orElse(() -> {})
        : () -> {};
    Source<ByteString, NotUsed> lines = run(task, batch, Caller.of(request).tenant(), timeoutMs, ordered,
        request.entity().withoutSizeLimit().getDataBytes().mapMaterializedValue(m -> NotUsed.getInstance()), forget);
    return HttpResponse.create().withEntity(HttpEntities.create(NDJSON, lines));
  }

  private static boolean ordered(HttpRequest request) {
    List<String> values = request.getUri().query().getAll("ordered");
    if (values.isEmpty()) {
      return false;
    }
    InvalidInputException.require(values.size() == 1, "ordered", "ordered is given " + values.size()
        + " times; give it once");
    String value = values.get(0);
    InvalidInputException.require(value.equals("true") || value.equals("false"), "ordered",
        "ordered must be true or false, was '" + TaskRequests.abbreviate(value) + "'");
    return value.equals("true");
  }

  /** The batch's answer: a line per input, in completion order (or input order), then the summary. */
  Source<ByteString, NotUsed> run(ComputeTask<?, ?> task, String batch, String tenant, long timeoutMs, boolean ordered,
      Source<ByteString, NotUsed> body, Runnable ended) {
    long startNanos = System.nanoTime();
    Summary summary = new Summary();
    int parallelism = Math.max(2, Math.min(settings.maxGroupsInFlight(),
        dispatcher.capacity() / Math.max(1, settings.groupSize()) + 2));
    Source<List<Parsed>, NotUsed> groups = body
        .map(bytes -> {
          ThreadNice.lowerCurrentThread(settings.niceness()); // once per thread of the stream dispatcher
          return bytes;
        })
        .via(NdjsonLines.flow(settings.maxLineBytes()))
        .map(line -> parse(task, line))
        .groupedWeightedWithin(settings.groupBytes(), settings.groupSize(), Parsed::weight, settings.groupWithin());
    // In input order, a group's lines wait for the whole group; else each goes as its item ends.
    Source<List<ByteString>, NotUsed> answered = ordered
        ? groups.mapAsync(parallelism, group -> answer(task, batch, tenant, timeoutMs, group, summary))
        : groups.flatMapMerge(parallelism, group -> stream(task, batch, tenant, timeoutMs, group, summary));
    return answered
        .mapConcat(list -> list)
        .concatLazy(Source.lazySingle(() -> summary.line(startNanos)))
        .async(STREAM_DISPATCHER)
        .watchTermination((notUsed, done) -> {
          stats.batch(true);
          done.whenComplete((d, error) -> {
            stats.batch(false);
            ended.run();
            dispatcher.cancel(batch);
          });
          return NotUsed.getInstance();
        });
  }

  /** A line as read: an item to run, or the answer already (its problem). */
  private record Parsed(Item item, ByteString answer) {
    long weight() {
      return item == null ? 1 : Math.max(1, item.input().length);
    }
  }

  private Parsed parse(ComputeTask<?, ?> task, NdjsonLines.Line line) {
    if (line.tooLong()) {
      return new Parsed(null, problemLine(line.index(), StatusCodes.PAYLOAD_TOO_LARGE.intValue(), "item-too-large",
          "the line is longer than the limit of " + settings.maxLineBytes() + " bytes (anvil.batch.max-line-bytes)"));
    }
    SubmissionBody.Input input = bodies.input(task, line.bytes());
    if (input.problem() != null) {
      HttpEntity.Strict problem = (HttpEntity.Strict) input.problem().entity();
      return new Parsed(null, errorLine(line.index(), input.problem().status().intValue(), problem.getData()));
    }
    return new Parsed(new Item(line.index(), line.bytes()), null);
  }

  /** A group in input order: its refused lines and its items' lines, once all have ended. */
  private CompletionStage<List<ByteString>> answer(ComputeTask<?, ?> task, String batch, String tenant, long timeoutMs,
      List<Parsed> group, Summary summary) {
    List<Item> items = items(task, group, summary);
    if (items.isEmpty()) {
      return CompletableFuture.completedFuture(group.stream().map(Parsed::answer).toList());
    }
    return dispatcher.run(batch, tenant, task.kind(), timeoutMs, items).thenApply(outcomes -> {
      List<ItemOutcome> sorted = new ArrayList<>(outcomes);
      sorted.sort(Comparator.comparingLong(ItemOutcome::index));
      List<ByteString> lines = new ArrayList<>(group.size());
      int next = 0;
      for (Parsed parsed : group) {
        lines.add(parsed.item() == null ? parsed.answer() : line(task.kind(), sorted.get(next++), summary));
      }
      return lines;
    });
  }

  /**
   * A group in completion order: its refused lines at once, then its items' lines in the parts
   * the dispatcher tells as they end. The queue never holds more parts than the group has items.
   */
  private Source<List<ByteString>, NotUsed> stream(ComputeTask<?, ?> task, String batch, String tenant, long timeoutMs,
      List<Parsed> group, Summary summary) {
    List<Item> items = items(task, group, summary);
    List<ByteString> refused = group.stream().filter(p -> p.item() == null).map(Parsed::answer).toList();
    if (items.isEmpty()) {
      return Source.single(refused);
    }
    Source<List<ByteString>, NotUsed> outcomes = Source.<List<ItemOutcome>>queue(items.size() + 1)
        .mapMaterializedValue(queue -> {
          dispatcher.run(batch, tenant, task.kind(), timeoutMs, items, new BatchDispatcher.Answers() {
            @Override
            public void part(List<ItemOutcome> part) {
              queue.offer(part);
            }

            @Override
            public void done() {
              queue.complete();
            }
          });
          return NotUsed.getInstance();
        })
        .map(part -> {
          List<ByteString> lines = new ArrayList<>(part.size());
          for (ItemOutcome outcome : part) {
            lines.add(line(task.kind(), outcome, summary));
          }
          return lines;
        });
    return refused.isEmpty() ? outcomes : Source.single(refused).concat(outcomes);
  }

  /** The group's items to run; its refused lines are counted here. */
  private List<Item> items(ComputeTask<?, ?> task, List<Parsed> group, Summary summary) {
    List<Item> items = new ArrayList<>(group.size());
    for (Parsed parsed : group) {
      if (parsed.item() != null) {
        items.add(parsed.item());
      } else {
        stats.batchItemAnswered();
        summary.failed.incrementAndGet();
        metrics.batchItem(task.kind(), "invalid");
      }
    }
    return items;
  }

  private ByteString line(String kind, ItemOutcome item, Summary summary) {
    TaskOutcome outcome = item.outcome();
    metrics.batchItem(kind, Outcome.of(outcome).label());
    stats.batchItemAnswered();
    if (outcome instanceof TaskOutcome.Completed c) {
      summary.succeeded.incrementAndGet();
      ByteArrayOutputStream out = new ByteArrayOutputStream(c.result().length + 64);
      out.writeBytes(ascii("{\"index\":" + item.index() + ",\"status\":200,\"result\":"));
      out.writeBytes(c.result());
      out.writeBytes(ascii(",\"node\":\""));
      out.writeBytes(JsonStringEncoder.getInstance().quoteAsUTF8(c.node()));
      out.writeBytes(ascii("\"}\n"));
      return ByteString.fromArrayUnsafe(out.toByteArray());
    }
    summary.failed.incrementAndGet();
    TaskOutcome.Failed f = (TaskOutcome.Failed) outcome;
    int status = Outcome.status(f);
    String detail = f.failure() == TaskOutcome.Failure.CRASHED
        ? "the task failed on node " + f.node() + ": " + TaskRequests.abbreviate(f.detail()) : f.detail();
    return problemLine(item.index(), status, Outcome.problemSlug(f.failure()), detail);
  }

  private ByteString problemLine(long index, int status, String slug, String detail) {
    Problem problem = new Problem("urn:anvil:problem:" + slug, StatusCodes.get(status).reason(), status, detail, null);
    try {
      return errorLine(index, status, ByteString.fromArrayUnsafe(json.mapper().writeValueAsBytes(problem)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write a problem as JSON", e);
    }
  }

  private static ByteString errorLine(long index, int status, ByteString problem) {
    return ByteString.fromString("{\"index\":" + index + ",\"status\":" + status + ",\"error\":")
        .concat(problem).concat(ByteString.fromString("}\n"));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The counts of one batch, for its last line. */
  private static final class Summary {
    final AtomicLong succeeded = new AtomicLong();
    final AtomicLong failed = new AtomicLong();

    ByteString line(long startNanos) {
      long s = succeeded.get();
      long f = failed.get();
      return ByteString.fromString("{\"summary\":{\"items\":" + (s + f) + ",\"succeeded\":" + s + ",\"failed\":" + f
          + ",\"ms\":" + (System.nanoTime() - startNanos) / 1_000_000 + "}}\n");
    }
  }
}
