package dev.anvil.http;

import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.local.Worker;
import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a submission's body and input are read, for a task and for a job alike: a declared
 * length over the limit gets 413 and its body is dropped, never kept; a body that came whole is used as it is;
 * a streamed one is read within {@code anvil.http.body-read-timeout} (408 when it does not arrive,
 * 413 when it grows past the limit); then the kind reads its input, strictly (400 naming the
 * field), and a kind whose own code fails while reading fails this request alone (500).
 */
public final class SubmissionBody {

  private static final Logger log = LoggerFactory.getLogger(SubmissionBody.class);

  /**
   * A body refused by its declared length is read and dropped before the 413 when it is at most
   * this large (and arrives within the read timeout): most clients send the whole body before they
   * read, and a connection closed on a body left unread ends in a reset that loses the answer.
   * A larger body is answered at once, and its connection closed.
   */
  static final long DRAIN_BYTES = 16L << 20;

  private final ClassicActorSystemProvider system;
  private final JsonResponses json;
  private final TaskCatalog catalog;
  private final Duration readTimeout;
  private final String node;

  public SubmissionBody(ClassicActorSystemProvider system, JsonResponses json, TaskCatalog catalog,
      Duration readTimeout, String node) {
    this.system = system;
    this.json = json;
    this.catalog = catalog;
    this.readTimeout = readTimeout;
    this.node = node;
  }

  /**
   * Reads the body of {@code request}, at most {@code maxBytes}, and hands it to {@code next};
   * answers with the problem itself when the body cannot be had.
   *
   * @param limit what the 413 says of the limit, e.g. "anvil.http.max-body-bytes"
   */
  public CompletionStage<HttpResponse> read(HttpRequest request, long maxBytes, String limit,
      Function<byte[], CompletionStage<HttpResponse>> next) {
    RequestEntity entity = request.entity();
    long declared = entity.getContentLengthOption().orElse(0);
    if (declared > maxBytes) {
      return declared > DRAIN_BYTES ? done(tooLarge(maxBytes, limit)) : drained(entity, tooLarge(maxBytes, limit));
    }
    if (entity instanceof HttpEntity.Strict strict) {
      // a body that came whole: toStrict would run a stream (and an actor) per request to copy it
      return next.apply(strict.getData().toArray());
    }
    // toStrict's future comes from Scala: its plain handle() would hop to the common pool
    return entity.toStrict(readTimeout.toMillis(), maxBytes, system)
        .handleAsync((body, error) -> error != null ? done(unreadable(error, maxBytes, limit))
            : next.apply(body.getData().toArray()), Runnable::run)
        .thenComposeAsync(response -> response, Runnable::run);
  }

  /** {@code answer} once the body is read and dropped, or could not be within the read timeout. */
  private CompletionStage<HttpResponse> drained(RequestEntity entity, HttpResponse answer) {
    return entity.withoutSizeLimit().getDataBytes()
        .completionTimeout(readTimeout)
        .runWith(Sink.ignore(), Materializer.matFromSystem(system))
        .handleAsync((done, error) -> answer, Runnable::run);
  }

  /** The kind's input read from {@code body}, or the problem that answers the request instead. */
  public Input input(ComputeTask<?, ?> task, byte[] body) {
    try {
      return new Input(catalog.readInput(task, body), null);
    } catch (InvalidInputException e) {
      return new Input(null, json.invalidInput(e));
    } catch (RuntimeException | LinkageError | StackOverflowError e) {
      // The kind's own code runs here too (its input record, its validate): its failure is the
      // kind's, a 500 for this request alone, never an error that reaches Pekko and stops the JVM.
      log.warn("Kind {} failed to read its input", task.kind(), e);
      return new Input(null, json.problem(StatusCodes.INTERNAL_SERVER_ERROR, "task-failed", "the kind '"
          + task.kind() + "' failed to read its input on node " + node + ": "
          + TaskRequests.abbreviate(Worker.describe(e))));
    }
  }

  /** Either the input, or the problem that answers the request. */
  public record Input(Object value, HttpResponse problem) {}

  private HttpResponse unreadable(Throwable error, long maxBytes, String limit) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof EntityStreamSizeException) {
        return tooLarge(maxBytes, limit);
      }
    }
    return json.problem(StatusCodes.REQUEST_TIMEOUT, "body-not-received",
        "the body did not arrive within " + readTimeout.toMillis() + " ms");
  }

  private HttpResponse tooLarge(long maxBytes, String limit) {
    return json.problem(StatusCodes.PAYLOAD_TOO_LARGE, "body-too-large",
        "the body is larger than the limit of " + maxBytes + " bytes (" + limit + ")");
  }

  private static CompletionStage<HttpResponse> done(HttpResponse response) {
    return CompletableFuture.completedFuture(response);
  }
}
