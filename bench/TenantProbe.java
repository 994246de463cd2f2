import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One tenant's single client: sequential POSTs of one body with one bearer token, each sent as
 * soon as the answer before it came, for SECONDS or MAX requests, whichever ends first; the
 * latency of each from send to the whole answer. Up to 10 requests or 1 s of warm-up go first
 * and are not counted. One keep-alive HTTP/1.1 connection on a plain blocking socket, as
 * HealthProbe and RateLoad use: no client thread pools beside the server on a shared machine.
 *
 * <p>Every answer counts in the percentiles, a 429 too (its latency is how long the client
 * waited to be refused); a request that fails (timeout, closed connection) counts as an error at
 * the time it took, and the next one opens a new connection. Bounded in count by MAX and in
 * time by SECONDS plus the warm-up's 1 s, each overrun by at most one request's 10 s socket timeout.
 *
 * <p>Where the time went, from the task answers' own fields: queueMs (waited for a worker) and
 * computeMs (ran), their p50 and p99 over the 2xx answers, and how many ran on another node than
 * the one that received them ("elsewhere": the router moved them). With CSV, each request is
 * appended to it as "phase,secondsSinceStart,latencyMs,status,queueMs,computeMs,here|elsewhere"
 * (status -1: no answer; -1 for the times of a non-2xx).
 *
 * <p>Usage: javac -d CLASSES bench/TenantProbe.java bench/Http1.java; java -cp CLASSES TenantProbe URL BODY TOKEN
 * SECONDS MAX PHASE [CSV] -> one JSON line (ms): {"phase":..,"count":..,"ok":..,"status429":..,"non2xx":..,
 * "errors":..,"elsewhere":..,"p50":..,"p99":..,"max":..,"queue_p50":..,"queue_p99":..,"compute_p50":..,"compute_p99":..}
 */
public class TenantProbe {
  private static final int TIMEOUT_MS = 10_000;
  private static final Pattern QUEUE = Pattern.compile("\"queueMs\":(\\d+)");
  private static final Pattern COMPUTE = Pattern.compile("\"computeMs\":(\\d+)");
  private static final Pattern NODE = Pattern.compile("\"node\":\"([^\"]*)\"");
  private static final Pattern RECEIVED_BY = Pattern.compile("\"receivedBy\":\"([^\"]*)\"");

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    byte[] body = args[1].getBytes(StandardCharsets.UTF_8);
    String token = args[2];
    double seconds = Double.parseDouble(args[3]);
    int max = Integer.parseInt(args[4]);
    String phase = args[5];
    StringBuilder rows = args.length > 6 ? new StringBuilder() : null;
    byte[] head = ("POST " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
        + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nAuthorization: Bearer " + token
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] request = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, request, head.length, body.length);

    double[] latencies = new double[max];
    double[] queue = new double[max];
    double[] compute = new double[max];
    int count = 0;
    int ok = 0;
    int status429 = 0;
    int non2xx = 0;
    int errors = 0;
    int elsewhere = 0;
    Conn conn = null;
    try {
      long warmEnd = System.nanoTime() + 1_000_000_000L;
      for (int i = 0; i < 10 && System.nanoTime() < warmEnd; i++) {
        try {
          conn = conn == null ? Conn.open(uri) : conn;
          conn.exchange(request);
        } catch (Exception e) {
          conn = close(conn);
        }
      }
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      while (count < max && System.nanoTime() < end) {
        long sent = System.nanoTime();
        Http1.Answer answer;
        try {
          conn = conn == null ? Conn.open(uri) : conn;
          answer = conn.exchange(request);
        } catch (Exception e) {
          conn = close(conn);
          answer = null;
        }
        double latency = (System.nanoTime() - sent) / 1e6;
        latencies[count++] = latency;
        double queued = -1;
        double computed = -1;
        boolean moved = false;
        if (answer == null) {
          errors++;
        } else if (answer.status() >= 200 && answer.status() <= 299) {
          String text = new String(answer.body(), StandardCharsets.UTF_8);
          queued = queue[ok] = field(QUEUE, text);
          computed = compute[ok] = field(COMPUTE, text);
          moved = !text(NODE, text).equals(text(RECEIVED_BY, text));
          elsewhere += moved ? 1 : 0;
          ok++;
        } else {
          non2xx++;
          if (answer.status() == 429) {
            status429++;
          }
        }
        if (rows != null) {
          rows.append(String.format("%s,%.3f,%.3f,%d,%.0f,%.0f,%s%n", phase, (sent - start) / 1e9, latency,
              answer == null ? -1 : answer.status(), queued, computed, moved ? "elsewhere" : "here"));
        }
      }
    } finally {
      close(conn);
    }
    if (rows != null) {
      Files.writeString(Path.of(args[6]), rows, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    double[] all = sorted(latencies, count);
    double[] q = sorted(queue, ok);
    double[] c = sorted(compute, ok);
    System.out.printf("{\"phase\":\"%s\",\"count\":%d,\"ok\":%d,\"status429\":%d,\"non2xx\":%d,\"errors\":%d,"
        + "\"elsewhere\":%d,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"queue_p50\":%.0f,\"queue_p99\":%.0f,\"compute_p50\":%.0f,"
        + "\"compute_p99\":%.0f}%n", phase, count, ok, status429, non2xx, errors, elsewhere, Http1.at(all, 0.50),
        Http1.at(all, 0.99), count == 0 ? 0 : all[count - 1], Http1.at(q, 0.50), Http1.at(q, 0.99),
        Http1.at(c, 0.50), Http1.at(c, 0.99));
  }

  private static double[] sorted(double[] values, int n) {
    double[] s = Arrays.copyOf(values, n);
    Arrays.sort(s);
    return s;
  }

  /** A whole-number field of the answer's JSON; 0 when it has none. */
  private static double field(Pattern pattern, String json) {
    Matcher m = pattern.matcher(json);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static String text(Pattern pattern, String json) {
    Matcher m = pattern.matcher(json);
    return m.find() ? m.group(1) : "";
  }

  /** A keep-alive connection and its streams (the input buffered: Http1 reads the head byte by byte). */
  private record Conn(Socket socket, InputStream in, OutputStream out) {
    static Conn open(URI uri) throws Exception {
      Socket socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(TIMEOUT_MS);
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
      return new Conn(socket, new BufferedInputStream(socket.getInputStream()), socket.getOutputStream());
    }

    Http1.Answer exchange(byte[] request) throws Exception {
      return Http1.answer(out, in, request);
    }
  }

  private static Conn close(Conn conn) {
    if (conn != null) {
      try {
        conn.socket().close();
      } catch (Exception ignored) {
        // closing a broken connection
      }
    }
    return null;
  }
}
