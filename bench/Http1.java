import java.io.InputStream;
import java.io.OutputStream;

/** What the bench's plain-socket HTTP/1.1 clients (HealthProbe, RateLoad, TenantProbe) share. */
final class Http1 {
  private Http1() {}

  /** An answer's status and body. */
  record Answer(int status, byte[] body) {}

  /** Sends one request and reads the whole answer (headers, then Content-Length bytes); returns the status. */
  static int exchange(OutputStream out, InputStream in, byte[] request) throws Exception {
    return answer(out, in, request).status();
  }

  /** {@link #exchange}, keeping the body. */
  static Answer answer(OutputStream out, InputStream in, byte[] request) throws Exception {
    out.write(request);
    out.flush();
    StringBuilder head = new StringBuilder();
    while (!(head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n"))) {
      int c = in.read();
      if (c < 0) {
        throw new IllegalStateException("connection closed");
      }
      head.append((char) c);
    }
    String h = head.toString();
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return new Answer(Integer.parseInt(h.substring(9, 12)), body);
  }

  /** The value at quantile {@code p} of sorted latencies; 0 when there are none. */
  static double at(double[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  }
}
