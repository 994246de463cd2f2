import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * POSTs a JSON body at a fixed offered rate (open loop, as clients that do not wait for each other
 * do) and reports the answers' latency from the moment each request was due, so a stall counts
 * against every request queued behind it (no coordinated omission). wrk keeps its connections
 * busy instead, which measures latency only at saturation.
 *
 * <p>The rate is spread over CONNECTIONS keep-alive HTTP/1.1 connections, each a plain blocking
 * socket on its own thread sending every CONNECTIONS/RATE s. A connection whose answer comes late
 * sends its next requests at once until it is back on schedule.
 *
 * <p>Usage: javac -d CLASSES bench/RateLoad.java bench/Http1.java; java -cp CLASSES RateLoad URL BODY RATE CONNECTIONS
 * SECONDS -> one JSON line:
 * {"offered":..,"rate":..,"count":..,"non2xx":..,"errors":..,"p50":..,"p99":..,"max":..} (ms)
 */
public class RateLoad {
  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    byte[] body = args[1].getBytes(StandardCharsets.UTF_8);
    double rate = Double.parseDouble(args[2]);
    int connections = Integer.parseInt(args[3]);
    double seconds = Double.parseDouble(args[4]);
    byte[] head = ("POST " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
        + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] request = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, request, head.length, body.length);

    int perConnection = (int) Math.ceil(rate * seconds / connections);
    long period = (long) (1e9 * connections / rate);
    double[][] latencies = new double[connections][perConnection];
    AtomicInteger non2xx = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    Thread[] threads = new Thread[connections];
    long start = System.nanoTime() + 200_000_000L; // every connection open before the first is due
    for (int c = 0; c < connections; c++) {
      int conn = c;
      long offset = period * c / connections; // the connections' requests interleave evenly
      threads[c] = new Thread(() -> {
        try (Socket socket = new Socket()) {
          socket.setTcpNoDelay(true);
          socket.setSoTimeout(30_000);
          socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
          OutputStream out = socket.getOutputStream();
          InputStream in = new BufferedInputStream(socket.getInputStream());
          for (int i = 0; i < perConnection; i++) {
            long due = start + offset + i * period;
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
              LockSupport.parkNanos(wait);
            }
            int status = Http1.exchange(out, in, request);
            latencies[conn][i] = (System.nanoTime() - due) / 1e6;
            if (status < 200 || status > 299) {
              non2xx.incrementAndGet();
            }
          }
        } catch (Exception e) {
          errors.incrementAndGet();
        }
      });
      threads[c].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long took = System.nanoTime() - start;
    double[] all = Arrays.stream(latencies).flatMapToDouble(Arrays::stream).filter(l -> l > 0).sorted().toArray();
    System.out.printf("{\"offered\":%.1f,\"rate\":%.1f,\"count\":%d,\"non2xx\":%d,\"errors\":%d,"
        + "\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}%n", rate, all.length / (took / 1e9), all.length, non2xx.get(),
        errors.get(), Http1.at(all, 0.50), Http1.at(all, 0.99), all.length == 0 ? 0 : all[all.length - 1]);
  }
}
