import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One batch over one connection, as a client that streams: a writer thread sends COUNT copies of
 * INPUT as a chunked NDJSON body while this thread reads the answer's lines as they come, so the
 * server's backpressure is the only limit. Counts the items, those that succeeded, and the items
 * each node ran (the answers' "node"). Prints a JSON line:
 * {"items","succeeded","seconds","itemsPerSecond","nodes":{node:count},"summary":...}.
 *
 * Usage: java -cp CLASSES BatchLoad URL KIND INPUT COUNT   (URL: http://host:port)
 */
public class BatchLoad {
  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    String kind = args[1];
    byte[] line = (args[2] + "\n").getBytes(StandardCharsets.UTF_8);
    long count = Long.parseLong(args[3]);
    long start = System.nanoTime();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(base.getHost(), base.getPort()));
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/batches/" + kind + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\n"
          + "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      AtomicReference<Throwable> writeError = new AtomicReference<>();
      Thread writer = new Thread(() -> {
        try {
          int perChunk = Math.max(1, 16384 / line.length);
          byte[] chunk = new byte[perChunk * line.length];
          for (int i = 0; i < perChunk; i++) {
            System.arraycopy(line, 0, chunk, i * line.length, line.length);
          }
          for (long sent = 0; sent < count; ) {
            int n = (int) Math.min(perChunk, count - sent);
            int bytes = n * line.length;
            out.write((Integer.toHexString(bytes) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(chunk, 0, bytes);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            sent += n;
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } catch (Throwable e) {
          writeError.set(e);
        }
      }, "batch-writer");
      writer.start();
      InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
      String status = readLine(in);
      if (status == null || !status.startsWith("HTTP/1.1 200")) {
        throw new IllegalStateException("the batch was refused: " + status);
      }
      boolean chunked = false;
      for (String header = readLine(in); header != null && !header.isEmpty(); header = readLine(in)) {
        chunked |= header.toLowerCase().startsWith("transfer-encoding: chunked");
      }
      if (!chunked) {
        throw new IllegalStateException("the answer is not chunked");
      }
      long items = 0;
      long succeeded = 0;
      String summary = null;
      Map<String, Long> nodes = new TreeMap<>();
      StringBuilder pending = new StringBuilder();
      while (true) {
        int size = Integer.parseInt(readLine(in).trim().split(";")[0], 16);
        if (size == 0) {
          break;
        }
        byte[] data = in.readNBytes(size);
        readLine(in); // the CRLF after the chunk
        pending.append(new String(data, StandardCharsets.UTF_8));
        int nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
          String answer = pending.substring(0, nl);
          pending.delete(0, nl + 1);
          if (answer.startsWith("{\"summary\"")) {
            summary = answer;
            continue;
          }
          items++;
          if (answer.contains("\"status\":200,")) {
            succeeded++;
            int at = answer.lastIndexOf("\"node\":\"");
            if (at >= 0) {
              nodes.merge(answer.substring(at + 8, answer.indexOf('"', at + 8)), 1L, Long::sum);
            }
          }
        }
      }
      writer.join();
      if (writeError.get() != null) {
        throw new IllegalStateException("the writer failed", writeError.get());
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      StringBuilder json = new StringBuilder("{\"items\":" + items + ",\"succeeded\":" + succeeded
          + ",\"seconds\":" + String.format("%.3f", seconds) + ",\"itemsPerSecond\":"
          + String.format("%.1f", items / seconds) + ",\"nodes\":{");
      String sep = "";
      for (Map.Entry<String, Long> e : nodes.entrySet()) {
        json.append(sep).append('"').append(e.getKey()).append("\":").append(e.getValue());
        sep = ",";
      }
      json.append("},\"summary\":").append(summary == null ? "null" : summary.substring(11, summary.length() - 1))
          .append('}');
      System.out.println(json);
    }
  }

  private static String readLine(InputStream in) throws java.io.IOException {
    StringBuilder s = new StringBuilder();
    for (int b = in.read(); b >= 0; b = in.read()) {
      if (b == '\n') {
        int n = s.length();
        return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
      }
      s.append((char) b);
    }
    return s.length() == 0 ? null : s.toString();
  }
}
