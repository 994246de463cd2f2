package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.node.RunningNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cluster traffic over TLS with mutual authentication, and HTTPS, with key stores made at test time. */
@Tag(Tiers.SLOW)
class TlsClusterTest {

  @TempDir static Path dir;
  private static Keystores stores;
  private final List<RunningNode> nodes = new ArrayList<>();

  @BeforeAll
  static void keys() throws Exception {
    stores = Keystores.create(dir, "anvil-test");
  }

  @AfterEach
  void stop() {
    // the last started first: the plain node that keeps dialling the TLS ones stops before them
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private RunningNode node(boolean tls, String seed) {
    Map<String, Object> c = new HashMap<>();
    c.put("anvil.cluster.seed-nodes", seed == null ? "" : seed);
    if (tls) {
      c.put("anvil.cluster.tls.enabled", "on");
      c.put("anvil.cluster.tls.key-store", stores.keyStore.toString());
      c.put("anvil.cluster.tls.trust-store", stores.trustStore.toString());
      c.put("anvil.cluster.tls.password", Keystores.PASSWORD);
    }
    RunningNode node = TestNodes.start(c);
    nodes.add(node);
    return node;
  }

  private static boolean up(RunningNode node) {
    return Cluster.get(node.system()).selfMember().status() == MemberStatus.up();
  }

  @Test
  void twoNodesFormAClusterOverTlsAndAPlainTcpNodeCannotJoinIt() {
    RunningNode a = node(true, null);
    RunningNode b = node(true, a.nodeId());
    assertThat(a.system().settings().config().getString("pekko.remote.artery.transport")).isEqualTo("tls-tcp");
    await().atMost(Duration.ofSeconds(20)).until(() -> up(b) && Cluster.get(a.system()).state().members().size() == 2);

    RunningNode plain = node(false, a.nodeId());
    await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).until(() -> !up(plain));
    assertThat(Cluster.get(a.system()).state().members().size()).isEqualTo(2);
  }

  @Test
  void servesHttpsFromAPkcs12KeyStore() throws Exception {
    RunningNode node = TestNodes.start(Map.of("anvil.http.tls.key-store", stores.keyStore.toString(),
        "anvil.http.tls.key-store-password", Keystores.PASSWORD));
    nodes.add(node);
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(stores.trustStore)).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(
        URI.create("https://localhost:" + node.httpPort() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"status\":\"UP\"");
  }

  private static SSLContext trusting(Path trustStore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(trustStore)) {
      store.load(in, Keystores.PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
