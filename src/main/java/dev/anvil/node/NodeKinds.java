package dev.anvil.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.anvil.compute.catalog.BadKind;
import dev.anvil.compute.catalog.KindsFolder;
import dev.anvil.compute.catalog.TaskCatalog;
import dev.anvil.compute.spi.ComputeTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.ReflectiveDynamicAccess;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperFactory;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import scala.Option;

/**
 * The kinds a node runs: those on Anvil's class path (the built-in ones among them) and those of
 * the kinds folder ({@code anvil.kinds-dir}), checked as the node's catalog checks them before
 * anything starts, so that a bad kind is one line, not a node that fails once its ports are bound,
 * nor a supervisor's crash loop. {@code start} loads them once to check them, and each node again.
 */
public final class NodeKinds implements AutoCloseable {

  /** The binding of the mapper that reads task inputs ({@code pekko.serialization.jackson.anvil-http}). */
  public static final String JSON_BINDING = "anvil-http";

  private final List<ComputeTask<?, ?>> tasks;
  private final KindsFolder folder;

  private NodeKinds(List<ComputeTask<?, ?>> tasks, KindsFolder folder) {
    this.tasks = List.copyOf(tasks);
    this.folder = folder;
  }

  /**
   * Loads and checks the kinds that {@code config} gives a node.
   *
   * @throws BadKind naming the jar or kind at fault and what is wrong
   */
  public static NodeKinds load(Config config) {
    ClassLoader anvil = NodeKinds.class.getClassLoader();
    List<ComputeTask<?, ?>> tasks = new ArrayList<>(TaskCatalog.onClassPath(anvil));
    String dir = config.getString("anvil.kinds-dir");
    KindsFolder folder = dir.isBlank() ? null : KindsFolder.open(Path.of(dir), anvil);
    try {
      if (folder != null) {
        tasks.addAll(folder.kinds());
      }
      TaskCatalog.load(mapper(config, folder == null ? anvil : folder.loader()), tasks);
      return new NodeKinds(tasks, folder);
    } catch (RuntimeException | Error e) {
      if (folder != null) {
        folder.close();
      }
      throw e;
    }
  }

  /** One instance of each kind: those on the class path, then the folder's. */
  public List<ComputeTask<?, ?>> tasks() {
    return tasks;
  }

  /** The loader of the folder's classes (over Anvil's); empty when there is no folder. */
  public Optional<ClassLoader> folderLoader() {
    return Optional.ofNullable(folder).map(KindsFolder::loader);
  }

  /** Releases the folder's jars: for {@code start}, which checks the kinds and runs none. */
  @Override
  public void close() {
    if (folder != null) {
      folder.close();
    }
  }

  /**
   * The mapper a node reads task inputs with, made as Pekko makes it for the node's ActorSystem
   * (same binding config, same modules) but without one: Pekko keeps this for exactly that use
   * ({@code @InternalStableApi}).
   */
  static ObjectMapper mapper(Config config, ClassLoader loader) {
    return JacksonObjectMapperProvider.createObjectMapper(JSON_BINDING, Option.empty(),
        new JacksonObjectMapperFactory(), JacksonObjectMapperProvider.configForBinding(JSON_BINDING, config),
        new ReflectiveDynamicAccess(loader), Option.empty());
  }
}
