package dev.anvil.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.config.ClusterSettings;
import dev.anvil.config.HttpSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP port belongs to one cluster. With SO_REUSEPORT any process of the same user could
 * bind it beside the nodes already there and take a share of their connections, answering as
 * a cluster of its own. So before it binds, a node asks whoever serves the port who it is, and
 * refuses to start unless that is a node of its own cluster (one of its seed nodes, or under
 * discovery one of the nodes of its own {@code start}, {@code anvil.cluster.port-peers}).
 */
final class PortOwnership {
  private PortOwnership() {}

  /** Why this node must not bind its HTTP port, or empty when it may. */
  static Optional<String> conflict(HttpSettings http, ClusterSettings cluster) {
    if (http.port() == 0 || http.keyStore().isPresent()) {
      return Optional.empty(); // a fresh port; or HTTPS, whose peers this probe cannot verify
    }
    String host = http.host().equals("0.0.0.0") ? "127.0.0.1" : http.host().equals("::") ? "::1" : http.host();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, http.port()), 1000);
    } catch (IOException e) {
      return Optional.empty(); // nobody serves it
    }
    String where = host + ":" + http.port();
    String other = anvilNodeAt(host, http.port());
    if (other == null) {
      return Optional.of("HTTP port " + where + " is already in use by another server; give another --http-port");
    }
    boolean ours = java.util.stream.Stream.concat(cluster.seedNodes().stream(), cluster.portPeers().stream())
        .anyMatch(seed -> (seed.host() + ":" + seed.port()).equals(other));
    return ours ? Optional.empty() : Optional.of("HTTP port " + where + " is already served by Anvil node " + other
        + ", which is not one of this node's seed nodes; give --seed-nodes " + other
        + " to join its cluster, or another --http-port");
  }

  /** The node id an Anvil node on that port gives in /health, or null when it is not Anvil. */
  private static String anvilNodeAt(String host, int port) {
    try {
      // generous: a node that just came up on a loaded machine may take seconds to answer its first /health
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String authority = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://" + authority + "/health"))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      JsonNode node = new ObjectMapper().readTree(response.body()).get("node");
      return node != null && node.isTextual() ? node.asText() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
