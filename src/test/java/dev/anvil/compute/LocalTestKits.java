package dev.anvil.compute;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.TestNodes;
import dev.anvil.compute.catalog.TaskCatalog;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/** A non-clustered ActorTestKit with Anvil's configuration, and the catalog its nodes would load. */
public final class LocalTestKits {
  private LocalTestKits() {}

  public static ActorTestKit create() {
    return ActorTestKit.create(TestNodes.config(Map.of("pekko.actor.provider", "local")));
  }

  /** Every kind on the test class path (the built-in ones and the test-only ones). */
  public static TaskCatalog catalog(ActorTestKit testKit) {
    ObjectMapper mapper = JacksonObjectMapperProvider.get(testKit.system()).getOrCreate("anvil-http", Optional.empty());
    return TaskCatalog.load(mapper, LocalTestKits.class.getClassLoader());
  }
}
