package dev.anvil.http;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatcher0;
import org.apache.pekko.http.javadsl.server.PathMatcher1;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Every endpoint of the HTTP API, once: its methods and its path template, with at most one
 * variable. The routes take their path directive from here ({@link #route}), the HTTP metrics
 * their route label ({@link #routeOf}), the task fast path its kind ({@link #capture}), and
 * OpenApiTest the list the document must cover ({@link #TEMPLATES}).
 */
public enum Endpoint {
  DASHBOARD_INDEX("/", "GET"),
  HEALTH("/health", "GET"),
  READY("/ready", "GET"),
  METRICS("/metrics", "GET"),
  OPENAPI("/openapi.json", "GET"),
  KINDS("/v1/kinds", "GET"),
  CLUSTER("/v1/cluster", "GET"),
  CLUSTER_EVENTS("/v1/cluster/events", "GET"),
  CLUSTER_HISTORY("/v1/cluster/history", "GET"),
  JOBS("/v1/jobs", "GET"),
  TASK("/v1/tasks/{kind}", "POST"),
  JOB("/v1/jobs/{id}", "GET", "DELETE"),
  JOB_SUBMIT("/v1/jobs/{kind}", "POST"),
  JOB_EVENTS("/v1/jobs/{id}/events", "GET"),
  BATCH("/v1/batches/{kind}", "POST"),
  DASHBOARD_FILE("/dashboard/{file}", "GET");

  /** Every template, in the table's order (EndpointTest: each once). */
  public static final List<String> TEMPLATES = Arrays.stream(values()).map(e -> e.template).toList();

  private static final Directives DIRECTIVES = new Directives();

  private final String template;
  private final Set<String> methods;
  /** For a template with a variable: what comes before it and after it; else the whole template and "". */
  private final String prefix;
  private final String suffix;
  private final boolean variable;

  Endpoint(String template, String... methods) {
    this.template = template;
    this.methods = Set.of(methods);
    int open = template.indexOf('{');
    this.variable = open >= 0;
    this.prefix = variable ? template.substring(0, open) : template;
    this.suffix = variable ? template.substring(template.indexOf('}') + 1) : "";
  }

  public String template() {
    return template;
  }

  /**
   * The variable's value in {@code path}, one non-empty segment, or null when the path is not
   * this endpoint's; for a template without a variable, "" when the path is the template.
   */
  public String capture(String path) {
    if (!variable) {
      return path.equals(template) ? "" : null;
    }
    int end = path.length() - suffix.length();
    if (end <= prefix.length() || !path.startsWith(prefix) || !path.endsWith(suffix)) {
      return null;
    }
    int slash = path.indexOf('/', prefix.length());
    if (slash >= 0 && slash < end) {
      return null;
    }
    return path.substring(prefix.length(), end);
  }

  /**
   * The route template a request belongs to, for labels that must not take every value a client
   * may send: among the endpoints whose path matches, the one that takes this method, else the
   * first (a wrong method still counts under its path); "other" when no path matches.
   */
  public static String routeOf(String method, String path) {
    Endpoint first = null;
    for (Endpoint e : values()) {
      if (e.capture(path) != null) {
        if (e.methods.contains(method)) {
          return e.template;
        }
        if (first == null) {
          first = e;
        }
      }
    }
    return first == null ? "other" : first.template;
  }

  /** This endpoint's path, matched whole, around {@code inner}: for a template without a variable. */
  public Route route(Supplier<Route> inner) {
    if (variable) {
      throw new IllegalStateException(template + " has a variable: use route(Function)");
    }
    return template.equals("/") ? DIRECTIVES.pathSingleSlash(inner) : DIRECTIVES.path(segments(prefix), inner);
  }

  /** This endpoint's path, matched whole, around {@code inner}, which gets the variable's value. */
  public Route route(Function<String, Route> inner) {
    if (!variable) {
      throw new IllegalStateException(template + " has no variable: use route(Supplier)");
    }
    PathMatcher1<String> matcher = segments(prefix).slash(PathMatchers.segment());
    if (!suffix.isEmpty()) {
      matcher = matcher.slash(segments(suffix));
    }
    return DIRECTIVES.path(matcher, inner);
  }

  /** "/v1/jobs/" as a matcher of its segments (v1, then jobs), without leading or trailing slash. */
  private static PathMatcher0 segments(String path) {
    String trimmed = path.replaceAll("^/+|/+$", "");
    return PathMatchers.separateOnSlashes(trimmed);
  }

  private static final class Directives extends AllDirectives {}
}
