import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures GET /health latency at a steady rate, as a monitoring probe would see it: one
 * keep-alive HTTP/1.1 connection on a plain blocking socket (no client thread pools in the
 * way), one request every 1/RATE s, latency counted from the moment the request was due, so a
 * stall also counts against the requests queued behind it.
 * Appends "phase,secondsSinceStart,latencyMs" rows to CSV and prints a JSON summary.
 *
 * Usage: javac -d CLASSES bench/HealthProbe.java bench/Http1.java; java -cp CLASSES HealthProbe URL RATE SECONDS PHASE CSV
 */
public class HealthProbe {
  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    int rate = Integer.parseInt(args[1]);
    double seconds = Double.parseDouble(args[2]);
    String phase = args[3];
    Path csv = Path.of(args[4]);
    byte[] request = ("GET " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    int total = (int) (rate * seconds);
    long period = 1_000_000_000L / rate;
    double[] latencies = new double[total];
    int errors = 0;
    try (Socket socket = new Socket();
        PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND))) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(10_000);
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
      OutputStream o = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int i = 0; i < 50; i++) { // warm the path up
        Http1.exchange(o, in, request);
      }
      long start = System.nanoTime();
      for (int i = 0; i < total; i++) {
        long due = start + i * period;
        // parkNanos, not Thread.sleep(ms, ns): that one rounds to whole milliseconds, and its
        // oversleep (up to 1 ms, 0.5 ms typical) would count as the server's latency
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
          LockSupport.parkNanos(wait);
        }
        if (Http1.exchange(o, in, request) != 200) {
          errors++;
        }
        latencies[i] = (System.nanoTime() - due) / 1e6;
        out.printf("%s,%.3f,%.3f%n", phase, (due - start) / 1e9, latencies[i]);
      }
    }
    double[] sorted = latencies.clone();
    Arrays.sort(sorted);
    System.out.printf("{\"phase\":\"%s\",\"count\":%d,\"errors\":%d,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}%n",
        phase, total, errors, Http1.at(sorted, 0.50), Http1.at(sorted, 0.99), sorted[sorted.length - 1]);
  }
}
