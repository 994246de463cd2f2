package dev.anvil.http;

import dev.anvil.security.ApiTokens;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Who may call {@code /v1}: anyone when no tokens are configured, else a valid bearer token. */
public final class BearerAuth {

  private static final String BEARER = "Bearer ";

  private final ApiTokens tokens;
  private final JsonResponses json;

  public BearerAuth(ApiTokens tokens, JsonResponses json) {
    this.tokens = tokens;
    this.json = json;
  }

  public boolean required() {
    return !tokens.isEmpty();
  }

  /** The 401 for a request without a valid bearer token, or null when it may pass. */
  public HttpResponse deny(HttpRequest request) {
    if (tokens.isEmpty()) {
      return null;
    }
    Optional<String> token = request.getHeader("Authorization").map(HttpHeader::value)
        .filter(h -> h.regionMatches(true, 0, BEARER, 0, BEARER.length()))
        .map(h -> h.substring(BEARER.length()).trim());
    if (token.isPresent() && tokens.accepts(token.get())) {
      return null;
    }
    String detail = token.isPresent() ? "the bearer token is not valid"
        : "this endpoint needs an 'Authorization: Bearer <token>' header";
    return json.problem(StatusCodes.UNAUTHORIZED, "unauthorized", detail)
        .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"anvil\""));
  }
}
