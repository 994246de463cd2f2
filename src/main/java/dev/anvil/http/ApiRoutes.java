package dev.anvil.http;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole HTTP API, sealed: the one place where every rejection and exception becomes a
 * problem+json response, so no client ever sees a plain-text or HTML error.
 */
public final class ApiRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(ApiRoutes.class);

  private final JsonResponses json;
  private final BearerAuth auth;
  private final Route open;
  private final Route metrics;
  private final Route api;

  /**
   * @param open routes anyone may call ({@code /health}, {@code /ready})
   * @param metrics {@code /metrics}, which needs a token like {@code /v1} (Prometheus sends one)
   * @param api the {@code /v1} routes, which need a bearer token when tokens are configured, and read
   *     the caller with {@link dev.anvil.security.Caller#of}
   */
  public ApiRoutes(JsonResponses json, BearerAuth auth, Route open, Route metrics, Route... api) {
    this.json = json;
    this.auth = auth;
    this.open = open;
    this.metrics = metrics;
    this.api = concat(api[0], java.util.Arrays.copyOfRange(api, 1, api.length));
  }

  public Route routes() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(),
        () -> concat(open, pathPrefixTest("v1", () -> authenticated(api)), pathPrefixTest("metrics", () -> authenticated(metrics)))));
  }

  /** The gate (token, scope, rate); what passes carries its caller to the routes as an attribute. */
  private Route authenticated(Route inner) {
    return extractRequest(request -> {
      BearerAuth.Gate gate = auth.admit(request);
      return gate.passed()
          ? mapRequest(r -> r.addAttribute(dev.anvil.security.Caller.KEY, gate.caller()), () -> inner)
          : complete(gate.refusal());
    });
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> complete(json.problem(StatusCodes.PAYLOAD_TOO_LARGE,
            "body-too-large", "the body is larger than the limit of " + e.limit() + " bytes")))
        .match(IllegalRequestException.class, e -> complete(e.status().intValue() == 413
            ? json.problem(StatusCodes.PAYLOAD_TOO_LARGE, "body-too-large", e.info().summary())
            : json.problem(e.status(), "bad-request", e.info().summary())))
        .matchAny(e -> {
          log.error("Unexpected failure while serving a request", e);
          return complete(json.problem(StatusCodes.INTERNAL_SERVER_ERROR, "internal",
              "the server failed to handle the request; the failure is logged"));
        })
        .build();
  }

  /** Pekko's own rejection handling decides the status; this only turns its text into problem+json. */
  private RejectionHandler rejections() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(this::asProblem);
  }

  private HttpResponse asProblem(HttpResponse response) {
    if (response.entity().getContentType().equals(JsonResponses.PROBLEM_JSON)) {
      return response;
    }
    String detail = response.entity() instanceof HttpEntity.Strict strict
        ? strict.getData().utf8String()
        : response.status().defaultMessage();
    StatusCode status = response.status();
    String slug = status.reason().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    return json.problem(status, slug, detail).withHeaders(response.getHeaders());
  }
}
