import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

/**
 * Measures GET /health latency at a steady rate, as a monitoring probe would see it: one
 * keep-alive connection, one request every 1/RATE s, latency counted from the moment the
 * request was due (so a stall delays and counts against the requests behind it).
 * Appends "phase,secondsSinceStart,latencyMs" rows to CSV and prints a JSON summary.
 *
 * Usage: java bench/HealthProbe.java URL RATE SECONDS PHASE CSV
 */
public class HealthProbe {
  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    int rate = Integer.parseInt(args[1]);
    double seconds = Double.parseDouble(args[2]);
    String phase = args[3];
    Path csv = Path.of(args[4]);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build();
    for (int i = 0; i < 20; i++) { // open the connection and warm the client
      client.send(request, HttpResponse.BodyHandlers.discarding());
    }
    int total = (int) (rate * seconds);
    long period = 1_000_000_000L / rate;
    double[] latencies = new double[total];
    int errors = 0;
    long start = System.nanoTime();
    try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(csv,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
      for (int i = 0; i < total; i++) {
        long due = start + i * period;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        try {
          HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() != 200) {
            errors++;
          }
        } catch (IOException e) {
          errors++;
        }
        latencies[i] = (System.nanoTime() - due) / 1e6;
        out.printf("%s,%.3f,%.3f%n", phase, (due - start) / 1e9, latencies[i]);
      }
    }
    double[] sorted = latencies.clone();
    Arrays.sort(sorted);
    System.out.printf("{\"phase\":\"%s\",\"count\":%d,\"errors\":%d,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}%n",
        phase, total, errors, at(sorted, 0.50), at(sorted, 0.99), sorted[sorted.length - 1]);
  }

  private static double at(double[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  }
}
