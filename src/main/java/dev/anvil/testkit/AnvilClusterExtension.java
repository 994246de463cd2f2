package dev.anvil.testkit;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5: an {@link AnvilCluster} for a test class, started before its tests and stopped after.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final AnvilClusterExtension anvil = AnvilClusterExtension.nodes(3);
 *
 * @Test
 * void survivesACrash() {
 *   anvil.cluster().crash(2);
 *   ...
 * }
 * }</pre>
 *
 * In a static field the cluster serves every test of the class; in an instance field each test
 * gets a cluster of its own.
 */
public final class AnvilClusterExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    AfterEachCallback {

  private final UnaryOperator<AnvilCluster.Builder> settings;
  private AnvilCluster cluster;
  private boolean perTest;

  private AnvilClusterExtension(UnaryOperator<AnvilCluster.Builder> settings) {
    this.settings = settings;
  }

  /** N nodes, 2 workers each. */
  public static AnvilClusterExtension nodes(int nodes) {
    return new AnvilClusterExtension(b -> b.nodes(nodes));
  }

  /** A cluster as the builder makes it: {@code configured(b -> b.nodes(3).workersPerNode(1))}. */
  public static AnvilClusterExtension configured(UnaryOperator<AnvilCluster.Builder> settings) {
    return new AnvilClusterExtension(settings);
  }

  public AnvilCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("the cluster starts before the tests: register the extension with"
          + " @RegisterExtension");
    }
    return cluster;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster = settings.apply(AnvilCluster.builder()).start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (cluster == null) {
      perTest = true;
      cluster = settings.apply(AnvilCluster.builder()).start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (perTest) {
      close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private void close() {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }
}
