package dev.anvil.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The training run behind the class-data archive ({@code target/anvil.jsa}) that makes a node JVM
 * start in about half the time: {@code mvn package} runs this once under
 * {@code -XX:ArchiveClassesAtExit}, and the JVM writes every class it loaded to the archive as it
 * exits. So it does what a node does in its first seconds: one node on free ports with its own
 * journal, a task of every kind, a job, the dashboard's reads, then a graceful stop.
 * {@code start} gives its nodes the archive when it is there and newer than the jar
 * ({@code anvil.launcher.class-data-archive}).
 */
public final class ClassDataTraining {

  private ClassDataTraining() {}

  public static void main(String[] args) throws Exception {
    // its log is the build's, not a node's: warnings only
    LoggerContext logs = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.getLoggerList().stream().filter(l -> l.getLevel() != null).forEach(l -> l.setLevel(Level.WARN));
    logs.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
    Path dataDir = Files.createTempDirectory("anvil-class-data");
    try {
      RunningNode node = RunningNode.start(NodeConfig.load(Map.of(
          "anvil.http.port", 0, "anvil.cluster.port", 0, "anvil.management.port", 0,
          "anvil.data-dir", dataDir.toString())));
      try {
        exercise("http://127.0.0.1:" + node.httpPort());
      } finally {
        node.close();
      }
    } finally {
      TempFolders.deleteQuietly(dataDir);
    }
    System.exit(0);
  }

  private static void exercise(String base) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    ObjectMapper mapper = new ObjectMapper();
    for (String path : new String[] {"/health", "/ready", "/v1/cluster", "/v1/cluster/history", "/metrics",
        "/openapi.json", "/", "/v1/jobs"}) {
      get(client, base + path);
    }
    JsonNode kinds = mapper.readTree(get(client, base + "/v1/kinds"));
    for (JsonNode kind : kinds) {
      post(client, base + "/v1/tasks/" + kind.at("/kind").asText(), kind.at("/example").toString());
    }
    post(client, base + "/v1/tasks/primes", "{\"limit\":");
    String id = mapper.readTree(post(client, base + "/v1/jobs/primes", "{\"limit\":1000}")).at("/id").asText();
    for (int i = 0; i < 100 && !mapper.readTree(get(client, base + "/v1/jobs/" + id)).at("/status").asText()
        .equals("succeeded"); i++) {
      Thread.sleep(50); // a bounded poll of a job that takes milliseconds
    }
  }

  private static String get(HttpClient client, String url) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static String post(HttpClient client, String url, String body) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }
}
