package dev.anvil;

import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints the ten slowest test classes when a test JVM's run ends (once for the unit and clustered
 * tests, once for the real-JVM ones), so the cost of the tiers stays in sight. Registered through
 * src/test/resources/META-INF/services/org.junit.platform.launcher.TestExecutionListener.
 */
public final class SlowestTestClasses implements TestExecutionListener {

  private final Map<String, Long> started = new ConcurrentHashMap<>();
  private final Map<String, Long> took = new ConcurrentHashMap<>();

  @Override
  public void executionStarted(TestIdentifier id) {
    if (id.getSource().orElse(null) instanceof ClassSource) {
      started.put(id.getUniqueId(), System.nanoTime());
    }
  }

  @Override
  public void executionFinished(TestIdentifier id, TestExecutionResult result) {
    Long start = started.remove(id.getUniqueId());
    if (start != null && id.getSource().orElse(null) instanceof ClassSource source) {
      took.merge(source.getClassName(), System.nanoTime() - start, Long::sum);
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    if (took.isEmpty()) {
      return;
    }
    StringBuilder out = new StringBuilder("Slowest test classes of this run:\n");
    took.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(10)
        .forEach(e -> out.append(String.format(Locale.ROOT, "  %6.1f s  %s%n", e.getValue() / 1e9, e.getKey())));
    System.out.print(out);
  }
}
