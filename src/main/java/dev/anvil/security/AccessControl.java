package dev.anvil.security;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.MemberStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call this node, and how much: the tokens (from {@code anvil.http.api-tokens} and the
 * tokens file, which it reads again when it changes), each tenant's quotas, and the audit line of
 * each refusal. One per node (ActorSystem), shared by the API's routes and the management port's
 * {@code /metrics}.
 */
public final class AccessControl implements Extension {

  private static final Logger log = LoggerFactory.getLogger(AccessControl.class);
  /** The audit logger: one line per refusal, at most one per tenant per second. */
  private static final Logger audit = LoggerFactory.getLogger("anvil.audit");
  private static final long AUDIT_EVERY_NANOS = 1_000_000_000L;

  private static final ExtensionId<AccessControl> ID = new ExtensionId<>() {
    @Override
    public AccessControl createExtension(ActorSystem<?> system) {
      return new AccessControl(system);
    }
  };

  private final Optional<Path> file;
  private final List<String> plainTokens;
  private volatile ApiTokens tokens;
  private byte[] loaded;
  private String lastComplaint;
  private final Quotas quotas;
  private volatile int upNodes = 1;
  private final Map<String, AtomicLong> lastAudit = new ConcurrentHashMap<>();

  public static AccessControl get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private AccessControl(ActorSystem<?> system) {
    Config config = system.settings().config();
    Config http = config.getConfig("anvil.http");
    this.plainTokens = ApiTokens.parse(http.getString("api-tokens"));
    String path = http.getString("tokens-file");
    this.file = path.isBlank() ? Optional.empty() : Optional.of(Path.of(path));
    this.quotas = new Quotas(TenantPolicy.All.fromConfig(config.getConfig("anvil.tenants")), () -> upNodes);
    if (file.isEmpty()) {
      this.tokens = ApiTokens.of(plainTokens);
    } else {
      try {
        this.loaded = Files.readAllBytes(file.get());
        this.tokens = ApiTokens.parseFile(lines(loaded), plainTokens);
      } catch (IOException e) {
        throw new IllegalArgumentException("the tokens file " + file.get() + " (anvil.http.tokens-file,"
            + " ANVIL_TOKENS_FILE) cannot be read: " + e, e);
      } catch (ApiTokens.BadFile e) {
        throw new IllegalArgumentException("the tokens file " + file.get() + " cannot be used: " + e.getMessage(), e);
      }
      log.info("Tokens file {}: {} tokens of tenants {}", file.get(), tokens.size(), tokens.tenants());
    }
    Duration every = http.getDuration("tokens-reload-interval");
    boolean clustered = config.getString("pekko.actor.provider").equals("cluster");
    var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    var tick = system.scheduler().scheduleWithFixedDelay(every, every, () -> {
      if (file.isPresent()) {
        reload();
      }
      if (clustered) {
        upNodes = countUp(system);
      }
    }, blocking);
    system.getWhenTerminated().thenRun(tick::cancel);
  }

  private static int countUp(ActorSystem<?> system) {
    int up = 0;
    for (var m : org.apache.pekko.cluster.typed.Cluster.get(system).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return Math.max(1, up);
  }

  public ApiTokens tokens() {
    return tokens;
  }

  public Quotas quotas() {
    return quotas;
  }

  /**
   * Reads the tokens file again if it changed. A file that cannot be used leaves the tokens as
   * they were, and says why once (naming the line) until it changes again.
   */
  public synchronized void reload() {
    byte[] now;
    try {
      now = Files.readAllBytes(file.orElseThrow());
    } catch (IOException e) {
      complain("the tokens file " + file.get() + " cannot be read (" + e + "); keeping the " + tokens.size()
          + " tokens loaded before");
      return;
    }
    if (Arrays.equals(now, loaded)) {
      return;
    }
    try {
      ApiTokens fresh = ApiTokens.parseFile(lines(now), plainTokens);
      tokens = fresh;
      loaded = now;
      lastComplaint = null;
      log.info("Tokens file {} reloaded: {} tokens of tenants {}", file.get(), fresh.size(), fresh.tenants());
    } catch (ApiTokens.BadFile e) {
      loaded = now; // said once; a later change is read again
      complain("the tokens file " + file.get() + " was not reloaded: " + e.getMessage() + "; keeping the "
          + tokens.size() + " tokens loaded before");
    }
  }

  private void complain(String line) {
    if (!line.equals(lastComplaint)) {
      log.error(line);
      lastComplaint = line;
    }
  }

  private static List<String> lines(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8).lines().toList();
  }

  /**
   * A refused request: a line on {@code anvil.audit}, at most one per tenant per second (a flood
   * of refusals must not flood the log).
   *
   * @param tenant the caller's tenant, or null when its token named none (401)
   */
  public void refused(String tenant, int status, String reason, String method, String path) {
    String who = tenant == null ? "(no valid token)" : tenant;
    AtomicLong last = lastAudit.computeIfAbsent(who, t -> new AtomicLong(System.nanoTime() - AUDIT_EVERY_NANOS));
    long now = System.nanoTime();
    long before = last.get();
    if (now - before >= AUDIT_EVERY_NANOS && last.compareAndSet(before, now)) {
      audit.warn("refused {} {} {} for tenant {}: {}", status, method, path, who, reason);
    }
  }
}
