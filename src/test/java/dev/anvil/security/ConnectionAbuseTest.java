package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.node.RunningNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Idle connections and slow, partial requests: the node keeps serving others and frees them. */
class ConnectionAbuseTest {

  private RunningNode node;
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void start() {
    node = TestNodes.start(Map.of("anvil.http.max-connections", 64, "anvil.http.body-read-timeout", "1s"));
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    node.close();
  }

  private Socket open() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), node.httpPort());
    s.setSoTimeout(15_000);
    sockets.add(s);
    return s;
  }

  @Test
  void idleConnectionsAndSlowBodiesDoNotStopTheNodeServingOthers() throws Exception {
    for (int i = 0; i < 40; i++) {
      open(); // connected, never says anything
    }
    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Socket s = open();
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/tasks/primes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"limit\":").getBytes(StandardCharsets.US_ASCII));
      out.flush(); // ...and the other 91 bytes never come
      slow.add(s);
    }

    HttpTestClient http = new HttpTestClient(node.httpPort());
    assertThat(http.get("/health").statusCode()).isEqualTo(200);
    assertThat(http.postTask("primes", "{\"limit\":1000}").statusCode()).isEqualTo(200);

    // each slow body is answered 408 once the body read timeout passes, and its connection freed
    for (Socket s : slow) {
      String response = readResponseHead(s.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 408");
      assertThat(response).contains("application/problem+json");
    }
    assertThat(http.get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void aJobBodyThatDoesNotArriveInTimeIs408LikeATasks() throws Exception {
    Socket s = open();
    OutputStream out = s.getOutputStream();
    out.write(("POST /v1/jobs/primes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: 100\r\n\r\n{\"limit\":").getBytes(StandardCharsets.US_ASCII));
    out.flush(); // ...and the rest never comes
    String response = readResponseHead(s.getInputStream());
    assertThat(response).startsWith("HTTP/1.1 408");
    assertThat(response).contains("application/problem+json");
  }

  @Test
  void aHeaderFloodIsRefused() throws Exception {
    Socket s = open();
    OutputStream out = s.getOutputStream();
    StringBuilder request = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 200; i++) {
      request.append("X-Junk-").append(i).append(": ").append("y".repeat(100)).append("\r\n");
    }
    out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    assertThat(readResponseHead(s.getInputStream())).matches("HTTP/1.1 4\\d\\d[\\s\\S]*");
    assertThat(new HttpTestClient(node.httpPort()).get("/health").statusCode()).isEqualTo(200);
  }

  private static String readResponseHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      head.append((char) c);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return head.toString();
  }
}
