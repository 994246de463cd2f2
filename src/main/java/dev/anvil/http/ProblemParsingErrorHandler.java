package dev.anvil.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests that Pekko HTTP's parser refuses before any route sees them (a path or header too
 * long, too many headers, a bad Host or Content-Length, an unknown method, HTTP/2.0 on the
 * request line) get problem+json like every other error, not Pekko's plain text. Set as
 * {@code pekko.http.server.parsing.error-handler}; Pekko makes it with its no-argument constructor.
 * They are the client's mistakes, so they are logged at DEBUG only.
 */
public final class ProblemParsingErrorHandler extends ParsingErrorHandler {

  private final JsonResponses json = new JsonResponses(new ObjectMapper());

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    if (log.isDebugEnabled()) {
      log.debug("Illegal request, responding with status '{}': {}", status, info.formatPretty());
    }
    String slug = status.reason().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    String detail = info.summary().isEmpty() ? status.defaultMessage() : info.summary();
    return json.problem(status, slug, TaskRequests.abbreviate(detail));
  }
}
