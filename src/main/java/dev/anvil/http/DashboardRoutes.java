package dev.anvil.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /}: the live dashboard, and {@code GET /dashboard/{file}}: its scripts, styles and
 * vendored uPlot, read once from the jar. Only the listed files are served (anything else under
 * {@code /dashboard/} is rejected, so the sealed API answers 404 problem+json); token-free, as the
 * page asks for a token itself before it reads {@code /v1}.
 */
public final class DashboardRoutes extends AllDirectives {

  private static final String ROOT = "/dashboard/";

  /** A file in the jar, under {@code /dashboard/}. */
  private record File(String resource, String contentType) {}

  /**
   * The files under {@code /dashboard/}, by their name in the URL: one path segment each, so the
   * metrics' route label {@code /dashboard/{file}} covers them all.
   */
  private static final Map<String, File> ASSETS = Map.of(
      "dashboard.css", new File("dashboard.css", "text/css; charset=UTF-8"),
      "dashboard.js", new File("dashboard.js", "text/javascript; charset=UTF-8"),
      "sse.js", new File("sse.js", "text/javascript; charset=UTF-8"),
      "cluster.js", new File("cluster.js", "text/javascript; charset=UTF-8"),
      "run.js", new File("run.js", "text/javascript; charset=UTF-8"),
      "jobs.js", new File("jobs.js", "text/javascript; charset=UTF-8"),
      "uPlot.iife.min.js", new File("vendor/uplot/uPlot.iife.min.js", "text/javascript; charset=UTF-8"),
      "uPlot.min.css", new File("vendor/uplot/uPlot.min.css", "text/css; charset=UTF-8"),
      "uPlot-LICENSE.txt", new File("vendor/uplot/LICENSE", "text/plain; charset=UTF-8"));

  /**
   * Scripts and styles only from this origin, nothing inline (the page has none), no framing:
   * a token typed into the page cannot be read by injected script. Images may be data: URLs
   * (a mandelbrot result is shown as one).
   */
  private static final List<HttpHeader> SECURITY = List.of(
      RawHeader.create("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
          + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"));

  private final Asset index;
  private final Map<String, Asset> assets;

  /** One file, with an ETag of its content: the file names carry no version, so browsers revalidate. */
  private record Asset(HttpResponse response, EntityTag etag) {}

  public DashboardRoutes() {
    this.index = load("index.html", "text/html; charset=UTF-8");
    this.assets = ASSETS.entrySet().stream()
        .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
            e -> load(e.getValue().resource(), e.getValue().contentType())));
  }

  public Route routes() {
    return concat(
        Endpoint.DASHBOARD_INDEX.route(() -> get(() -> serve(index))),
        Endpoint.DASHBOARD_FILE.route(file -> {
          Asset asset = assets.get(file);
          return asset == null ? reject() : get(() -> serve(asset));
        }));
  }

  private Route serve(Asset asset) {
    // no-cache: use the cached copy only after asking (a 304 when the ETag still matches)
    return conditional(asset.etag(), () -> complete(asset.response()));
  }

  private static Asset load(String file, String contentType) {
    byte[] bytes;
    try (InputStream in = DashboardRoutes.class.getResourceAsStream(ROOT + file)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard file " + ROOT + file + " is missing from the class path");
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ContentType type = ContentTypes.parse(contentType);
    HttpResponse response = HttpResponse.create()
        .withEntity(type, bytes)
        .addHeaders(SECURITY)
        .addHeader(RawHeader.create("Cache-Control", "no-cache"));
    return new Asset(response, EntityTag.create(sha256(bytes).substring(0, 16), false));
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
