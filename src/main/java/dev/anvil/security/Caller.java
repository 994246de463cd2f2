package dev.anvil.security;

import java.util.EnumSet;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.AttributeKey;

/**
 * Who sent a request, as its token says: a tenant and the scopes the token grants. Put on the
 * request as an attribute once it is authenticated ({@link #KEY}), so every route reads the same.
 */
public record Caller(String tenant, Set<Scope> scopes) {

  /** The tenant of {@code ANVIL_API_TOKENS}' tokens, and of every request when the API is open. */
  public static final String DEFAULT_TENANT = "default";

  /** Every request when no tokens are configured: the API is open to whoever reaches it. */
  public static final Caller OPEN = new Caller(DEFAULT_TENANT, EnumSet.allOf(Scope.class));

  public static final AttributeKey<Caller> KEY = AttributeKey.create("anvil-caller", Caller.class);

  public Caller {
    scopes = Set.copyOf(scopes);
  }

  public boolean may(Scope scope) {
    return scopes.contains(scope) || scopes.contains(Scope.ADMIN);
  }

  public boolean admin() {
    return scopes.contains(Scope.ADMIN);
  }

  /** Whether this caller may see a job of {@code owner}: its own, or any for an admin. */
  public boolean sees(String owner) {
    return admin() || tenant.equals(owner == null || owner.isEmpty() ? DEFAULT_TENANT : owner);
  }

  /** No tenant and no scope: what a request that somehow skipped authentication is (fail closed). */
  public static final Caller NOBODY = new Caller("", Set.of());

  /** The request's caller, set by authentication; {@link #NOBODY} if it has none. */
  public static Caller of(org.apache.pekko.http.javadsl.model.HttpRequest request) {
    return request.getAttribute(KEY).orElse(NOBODY);
  }
}
