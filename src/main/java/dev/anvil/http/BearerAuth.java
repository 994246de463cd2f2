package dev.anvil.http;

import dev.anvil.metrics.AnvilMetrics;
import dev.anvil.security.AccessControl;
import dev.anvil.security.ApiTokens;
import dev.anvil.security.Caller;
import dev.anvil.security.Quotas;
import dev.anvil.security.Scope;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The gate of {@code /v1} and {@code /metrics}: who calls (anyone, as tenant {@code default} with
 * every scope, when no tokens are configured; else the tenant of a valid bearer token), whether
 * its token's scopes allow the request, and whether the tenant's request rate does. Every refusal
 * is a problem+json, audited and counted.
 */
public final class BearerAuth {

  private static final String BEARER = "Bearer ";

  /** A request let through with its caller, or the refusal to answer it with. */
  public record Gate(Caller caller, HttpResponse refusal) {
    public boolean passed() {
      return refusal == null;
    }
  }

  private final AccessControl access;
  private final JsonResponses json;
  private final AnvilMetrics metrics;

  public BearerAuth(AccessControl access, JsonResponses json, AnvilMetrics metrics) {
    this.access = access;
    this.json = json;
    this.metrics = metrics;
  }

  /** What a request needs: reading for GET and HEAD, submitting for whatever changes something. */
  public static Scope needed(HttpRequest request) {
    return request.method() == HttpMethods.GET || request.method() == HttpMethods.HEAD ? Scope.READ : Scope.SUBMIT;
  }

  /** Authenticates {@code request}, then checks its scope and its tenant's rate. */
  public Gate admit(HttpRequest request) {
    ApiTokens tokens = access.tokens();
    Caller caller;
    if (tokens.isEmpty()) {
      caller = Caller.OPEN;
    } else {
      Optional<String> token = request.getHeader("Authorization").map(HttpHeader::value)
          .filter(h -> h.regionMatches(true, 0, BEARER, 0, BEARER.length()))
          .map(h -> h.substring(BEARER.length()).trim());
      caller = token.flatMap(tokens::find).orElse(null);
      if (caller == null) {
        String detail = token.isPresent() ? "the bearer token is not valid"
            : "this endpoint needs an 'Authorization: Bearer <token>' header";
        return refuse(request, null, json.problem(StatusCodes.UNAUTHORIZED, "unauthorized", detail)
            .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"anvil\"")), "unauthorized", detail);
      }
    }
    Scope needed = needed(request);
    if (!caller.may(needed)) {
      String detail = "this token of tenant '" + caller.tenant() + "' has the scopes " + words(caller) + "; "
          + request.method().value() + " " + TaskRequests.abbreviate(request.getUri().path()) + " needs '"
          + needed.word() + "'";
      return refuse(request, caller.tenant(), json.problem(StatusCodes.FORBIDDEN, "scope-missing", detail),
          "scope-missing", detail);
    }
    Quotas.Refusal rate = access.quotas().request(caller.tenant());
    if (rate != null) {
      return refuse(request, caller.tenant(), quotaExceeded(rate), rate.quota(), rate.detail());
    }
    metrics.tenantSeen(caller.tenant());
    return new Gate(caller, null);
  }

  /** The 429 of a quota: its type names the quota, and Retry-After says when to come back. */
  public HttpResponse quotaExceeded(Quotas.Refusal refusal) {
    return json.problem(StatusCodes.TOO_MANY_REQUESTS, refusal.quota(), refusal.detail())
        .addHeader(RawHeader.create("Retry-After", Integer.toString(refusal.retryAfterSeconds())));
  }

  /** A refusal after the gate (a quota a route checks): audited and counted as the gate's are. */
  public HttpResponse refuse(HttpRequest request, Caller caller, Quotas.Refusal refusal) {
    return refuse(request, caller.tenant(), quotaExceeded(refusal), refusal.quota(), refusal.detail()).refusal();
  }

  private Gate refuse(HttpRequest request, String tenant, HttpResponse response, String reason, String detail) {
    access.refused(tenant, response.status().intValue(), detail, request.method().value(),
        TaskRequests.abbreviate(request.getUri().path()));
    metrics.tenantRefused(tenant, reason);
    return new Gate(null, response);
  }

  private static String words(Caller caller) {
    return caller.scopes().stream().map(Scope::word).sorted().toList().toString();
  }
}
