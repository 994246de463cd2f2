package dev.anvil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 by hand over a socket, for what java.net.http will not send: malformed request
 * lines and headers, other protocol versions, a client that goes away mid-request.
 */
public final class RawHttp {
  private RawHttp() {}

  /** A response as read off the wire; headers by lower-case name. */
  public record Response(int status, Map<String, String> headers, String body) {
    public String contentType() {
      return headers.getOrDefault("content-type", "");
    }
  }

  /** Sends {@code request} as is and reads the answer until the server closes the connection. */
  public static Response exchange(int port, String request) {
    return exchange(port, request, Duration.ofSeconds(15));
  }

  /** As {@link #exchange(int, String)}, giving up (SocketTimeoutException inside) after {@code timeout}. */
  public static Response exchange(int port, String request, Duration timeout) {
    try (Socket socket = open(port)) {
      socket.setSoTimeout((int) timeout.toMillis());
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return read(socket.getInputStream(), request.startsWith("HEAD "));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Socket open(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(15_000);
    return socket;
  }

  private static Response read(InputStream in, boolean headOnly) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int headerEnd = -1;
    long contentLength = -1;
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        bytes.write(buffer, 0, n);
        String text = bytes.toString(StandardCharsets.ISO_8859_1);
        if (headerEnd < 0 && (headerEnd = text.indexOf("\r\n\r\n")) >= 0) {
          contentLength = parseHeaders(text.substring(0, headerEnd)).entrySet().stream()
              .filter(e -> e.getKey().equals("content-length")).mapToLong(e -> Long.parseLong(e.getValue().trim()))
              .findFirst().orElse(-1);
        }
        if (headerEnd >= 0 && (headOnly || contentLength >= 0 && bytes.size() >= headerEnd + 4 + contentLength)) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new java.io.UncheckedIOException("no complete answer in time; got: '"
          + bytes.toString(StandardCharsets.UTF_8) + "'", e);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    if (headerEnd < 0) {
      throw new AssertionError("not an HTTP response: '" + text + "'");
    }
    String head = text.substring(0, headerEnd);
    int status = Integer.parseInt(head.split(" ", 3)[1]);
    return new Response(status, parseHeaders(head), text.substring(headerEnd + 4));
  }

  private static Map<String, String> parseHeaders(String head) {
    Map<String, String> headers = new TreeMap<>();
    String[] lines = head.split("\r\n");
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    return headers;
  }
}
