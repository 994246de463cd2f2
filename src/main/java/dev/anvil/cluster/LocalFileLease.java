package dev.anvil.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * A lease that the processes of one machine share through a file: the arbiter that Pekko's
 * {@code lease-majority} downing needs, for clusters whose nodes all run on this machine.
 *
 * <p>On one machine the truth about a node is whether its process lives: a node that is dead
 * cannot hold the lease, and one that is frozen (SIGSTOP, a long pause) stops renewing it. So
 * when a node is lost, the side that can still act takes the lease and downs the other; a node
 * that comes back from a freeze finds the lease taken, downs itself and is restarted, instead of
 * going on as a cluster of its own. Keep-oldest cannot do this with two nodes (losing the oldest
 * downs the survivor too), and keep-majority cannot with an even split.
 *
 * <p>The file is {@code <dir>/<lease name>-<oldest member>.lease}: both sides of a split see the
 * same oldest member, so they contend for the same file, while separate clusters on the machine
 * (two {@code start}s, tests) never share one. It holds the owner, its process id and the time
 * of its last renewal; changes happen under an exclusive file lock. Another owner may take it
 * when the holder's process is gone or its renewal is older than {@code heartbeat-timeout}.
 */
public final class LocalFileLease extends Lease {

  /** One JVM may run several nodes (tests): file locks are per process, so also lock per file here. */
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

  private final LeaseSettings settings;
  private final Path dir;
  private final Supplier<String> oldestMember;
  private final long pid = ProcessHandle.current().pid();
  private final ScheduledExecutorService timer;
  private volatile Path file;
  private volatile boolean held;
  private volatile Consumer<Optional<Throwable>> onLost = lost -> {};

  public LocalFileLease(LeaseSettings settings, ExtendedActorSystem system) {
    this(settings, Path.of(settings.leaseConfig().getString("dir")), () -> oldestMember(system));
  }

  LocalFileLease(LeaseSettings settings, Path dir, Supplier<String> oldestMember) {
    this.settings = settings;
    this.dir = dir;
    this.oldestMember = oldestMember;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "anvil-lease-" + settings.leaseName());
      t.setDaemon(true);
      return t;
    });
    long interval = settings.timeoutSettings().getHeartbeatInterval().toMillis();
    timer.scheduleWithFixedDelay(this::renew, interval, interval, TimeUnit.MILLISECONDS);
  }

  private static String oldestMember(ExtendedActorSystem system) {
    Member oldest = null;
    for (Member m : Cluster.get(Adapter.toTyped(system)).state().getMembers()) {
      if ((m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving()
          || m.status() == MemberStatus.exiting()) && (oldest == null || m.isOlderThan(oldest))) {
        oldest = m;
      }
    }
    return oldest == null ? "none" : oldest.address().host().get() + "-" + oldest.address().port().get();
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return acquire(lost -> {});
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    return CompletableFuture.supplyAsync(() -> {
      Path target = dir.resolve(settings.leaseName() + "-" + oldestMember.get() + ".lease");
      boolean acquired = locked(target, () -> {
        Holder holder = read(target);
        long now = System.currentTimeMillis();
        if (holder == null || holder.isMe() || !holder.alive(now)) {
          write(target, now);
          return true;
        }
        return false;
      });
      if (acquired) {
        file = target;
        onLost = leaseLostCallback;
        held = true;
      }
      return acquired;
    }, timer);
  }

  @Override
  public CompletionStage<Boolean> release() {
    return CompletableFuture.supplyAsync(() -> {
      Path target = file;
      held = false;
      if (target == null) {
        return true;
      }
      return locked(target, () -> {
        Holder holder = read(target);
        if (holder != null && holder.isMe()) {
          Files.deleteIfExists(target);
        }
        return true;
      });
    }, timer);
  }

  @Override
  public boolean checkLease() {
    return held;
  }

  /** While held: renew the file's time, or learn that another owner took it. */
  private void renew() {
    Path target = file;
    if (!held || target == null) {
      return;
    }
    try {
      boolean stillMine = locked(target, () -> {
        Holder holder = read(target);
        if (holder != null && holder.isMe()) {
          write(target, System.currentTimeMillis());
          return true;
        }
        return false;
      });
      if (!stillMine) {
        held = false;
        onLost.accept(Optional.empty());
      }
    } catch (RuntimeException e) {
      held = false;
      onLost.accept(Optional.of(e));
    }
  }

  private record Holder(String owner, long pid, long renewedMillis, String me, long myPid, long ttlMillis) {
    boolean isMe() {
      return owner.equals(me) && pid == myPid;
    }

    /** A process that is gone holds nothing; one that stopped renewing holds nothing once its time is up. */
    boolean alive(long now) {
      boolean processAlive = pid == myPid || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      return processAlive && now - renewedMillis < ttlMillis;
    }
  }

  private Holder read(Path target) throws IOException {
    String text;
    try {
      text = Files.readString(target, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException e) {
      return null;
    }
    String[] parts = text.split(" ");
    if (parts.length != 3) {
      return null; // torn or foreign content: treat as free
    }
    try {
      return new Holder(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]), settings.ownerName(), pid,
          settings.timeoutSettings().getHeartbeatTimeout().toMillis());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private void write(Path target, long now) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + "." + pid + ".tmp");
    Files.writeString(tmp, settings.ownerName() + " " + pid + " " + now + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private interface IoAction<T> {
    T run() throws IOException;
  }

  private <T> T locked(Path target, IoAction<T> action) {
    ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(target, p -> new ReentrantLock());
    local.lock();
    try {
      Files.createDirectories(dir);
      try (FileChannel channel = FileChannel.open(target.resolveSibling(target.getFileName() + ".lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
        return action.run();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("lease file " + target + ": " + e.getMessage(), e);
    } finally {
      local.unlock();
    }
  }
}
