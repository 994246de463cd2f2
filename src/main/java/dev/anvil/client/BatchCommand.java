package dev.anvil.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code anvil batch KIND FILE|-}: runs a batch, results to stdout as they come, progress on stderr. */
@Command(name = "batch", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
    description = {"Runs a batch: every line of FILE (or of stdin, for -) is one input of KIND.",
        "Streams the file to POST /v1/batches/KIND and writes the answer's NDJSON lines to stdout as they",
        "come (one per input, then the summary), with a progress bar on stderr:",
        "  seq 1 100000 | sed 's/.*/{\"limit\":&}/' | anvil batch primes - > results.ndjson"},
    exitCodeListHeading = ClientCommand.EXIT_HEADING,
    exitCodeList = {"0:every item succeeded",
        "1:an item failed, or the batch was refused (its detail is printed)",
        ClientCommand.EXIT_USAGE, ClientCommand.EXIT_UNREACHABLE})
public final class BatchCommand extends ClientCommand {

  @Parameters(index = "0", paramLabel = "KIND", description = "The kind of every item, e.g. primes (see GET /v1/kinds)")
  String kind;

  @Parameters(index = "1", paramLabel = "FILE", description = "NDJSON inputs, one per line; - reads stdin")
  String file;

  @Option(names = "--ordered", description = "Answers in input order (default: as they end)")
  boolean ordered;

  @Option(names = "--timeout-ms", paramLabel = "MS",
      description = "Each item's deadline (query timeoutMs; default: the server's, 30 s)")
  Long timeoutMs;

  /**
   * Pekko HTTP's client, not the JDK's: a batch's answer streams back while its input still
   * streams out, and the JDK's HTTP/1.1 client reads no answer before it has sent the whole body
   * (the two would wait for each other as soon as the socket buffers fill).
   */
  @Override
  int run(ApiClient client) throws ClientException, InterruptedException {
    Path path = file.equals("-") ? null : Path.of(file);
    if (path != null && !Files.isReadable(path)) {
      throw new ParameterException(spec.commandLine(), "cannot read the file '" + file + "'");
    }
    long total = path == null ? -1 : countLines(path);
    Config config = ConfigFactory.parseString("""
        pekko.loglevel = ERROR
        pekko.stdout-loglevel = ERROR
        pekko.log-dead-letters = off
        pekko.http.client.idle-timeout = 180s
        pekko.http.client.connecting-timeout = 5s
        """).withFallback(ConfigFactory.defaultReference());
    // SLF4J first, on this thread: else the ActorSystem's threads log while it starts and SLF4J warns of a replay
    org.slf4j.LoggerFactory.getILoggerFactory();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "anvil-batch", config);
    try {
      return send(client, system, path, total);
    } finally {
      system.terminate();
    }
  }

  private int send(ApiClient client, ActorSystem<Void> system, Path path, long total)
      throws ClientException, InterruptedException {
    Source<ByteString, ?> body = path == null ? StreamConverters.fromInputStream(() -> System.in) : FileIO.fromPath(path);
    String uri = client.base() + "/v1/batches/" + ApiClient.segment(kind) + "?ordered=" + ordered
        + (timeoutMs == null ? "" : "&timeoutMs=" + timeoutMs);
    HttpRequest request = HttpRequest.POST(uri)
        .withEntity(HttpEntities.create(ContentTypes.parse("application/x-ndjson"), body));
    if (client.token() != null) {
      request = request.addHeader(Authorization.oauth2(client.token()));
    }
    HttpResponse response;
    try {
      response = await(Http.get(system).singleRequest(request));
    } catch (ExecutionException e) {
      throw ClientException.unreachable("cannot reach Anvil at " + client.base() + ": " + e.getCause().getMessage());
    }
    if (response.status().intValue() >= 400) {
      String problem;
      try {
        problem = await(response.entity().toStrict(10_000, system)).getData().utf8String();
      } catch (ExecutionException e) {
        problem = "";
      }
      throw ClientException.failed(client.problem(response.status().intValue(), problem));
    }
    Lines lines = new Lines(total);
    try (ProgressDisplay progress = ProgressDisplay.start(err(), "batch " + kind, total < 0 ? 0 : total)) {
      lines.progress = progress;
      await(response.entity().getDataBytes()
          .via(Framing.delimiter(ByteString.fromString("\n"), Integer.MAX_VALUE, FramingTruncation.ALLOW))
          .runWith(Sink.foreach(line -> lines.take(line.utf8String())), system));
      lines.show();
    } catch (ExecutionException e) {
      throw ClientException.unreachable("the connection to " + client.base() + " broke after " + lines.done
          + " items: " + e.getCause().getMessage());
    }
    out().flush();
    if (lines.summary == null) {
      throw ClientException.failed("the batch's answer ended before its summary line, after " + lines.done + " items");
    }
    return lines.failed == 0 ? OK : FAILED;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage)
      throws ExecutionException, InterruptedException {
    return stage.toCompletableFuture().get();
  }

  /** The answer's lines as they come: to stdout, and counted for the progress bar. */
  private final class Lines {
    final long total;
    final long start = System.nanoTime();
    ProgressDisplay progress;
    long done;
    long failed;
    String summary;

    Lines(long total) {
      this.total = total;
    }

    void take(String line) {
      out().println(line);
      if (line.startsWith("{\"summary\"")) {
        summary = line;
        return;
      }
      done++;
      if (!line.contains("\"status\":200,")) {
        failed++;
      }
      if (done % 512 == 0) {
        show();
      }
    }

    void show() {
      double seconds = Math.max(1e-3, (System.nanoTime() - start) / 1e9);
      progress.stepTo(done);
      progress.message(String.format("%d%s items, %.0f/s%s", done, total < 0 ? "" : "/" + total, done / seconds,
          failed == 0 ? "" : ", " + failed + " failed"));
    }
  }

  /** Non-blank lines: the items the server will number. */
  private long countLines(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      long count = 0;
      boolean blank = true;
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        for (int i = 0; i < n; i++) {
          byte b = buffer[i];
          if (b == '\n') {
            count += blank ? 0 : 1;
            blank = true;
          } else if (b != ' ' && b != '\t' && b != '\r') {
            blank = false;
          }
        }
      }
      return count + (blank ? 0 : 1);
    } catch (NoSuchFileException e) {
      throw new ParameterException(spec.commandLine(), "no such file: " + path);
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "cannot read " + path + ": " + e.getMessage());
    }
  }
}
