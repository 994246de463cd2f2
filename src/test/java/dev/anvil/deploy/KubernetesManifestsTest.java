package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import dev.anvil.node.RunningNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * deploy/k8s agrees with itself, with the Dockerfile next to it, and with what Anvil reads. No
 * Kubernetes cluster is needed: these are the mistakes that otherwise show only on one (a selector
 * that selects nothing, a probe on a port that does not exist, a variable nothing reads, a Role
 * that grants too much, a placeholder token applied for real).
 */
class KubernetesManifestsTest {

  private static final Path DIR = Path.of("deploy/k8s");
  /** Anvil's own files: the settings it gives its libraries, over its defaults (anvil { }). */
  private static final Path APPLICATION_CONF = Path.of("src/main/resources/application.conf");
  private static final Path REFERENCE_CONF = Path.of("src/main/resources/reference.conf");
  /** The example Secret: its token is a public placeholder, so kustomization.yaml leaves it out. */
  private static final String SECRET_EXAMPLE = "secret-example.yaml";
  private static final String JOURNAL_SECRET_EXAMPLE = "secret-journal-example.yaml";

  /**
   * Variables read by pekko-management-cluster-bootstrap 1.1.1's reference.conf
   * (contact-point-discovery.service-name and .port-name). Checked against the reference.conf on
   * the class path when the module is there; on a branch without it, this list stands in.
   */
  private static final Set<String> PEKKO_BOOTSTRAP_VARIABLES =
      Set.of("PEKKO_CLUSTER_BOOTSTRAP_PORT_NAME");
  private static final String BOOTSTRAP_CLASS = "org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap";

  /** pekko-discovery-kubernetes-api 1.1.1's default pod-label-selector. */
  private static final String DEFAULT_POD_LABEL_SELECTOR = "app=%s";

  private static Map<String, Map<String, Object>> byKind;
  private static Map<String, Object> kustomization;
  private static Map<String, Object> deployment;
  private static Map<String, Object> podSpec;
  private static Map<String, Object> container;
  private static Map<String, Map<String, Object>> env;
  private static String applicationConfText;
  private static Config applicationConf;

  @BeforeAll
  static void load() throws IOException {
    kustomization = yaml(DIR.resolve("kustomization.yaml"));
    byKind = new LinkedHashMap<>();
    for (String file : strings(kustomization.get("resources"))) {
      Map<String, Object> resource = yaml(DIR.resolve(file));
      assertThat(byKind.put(string(resource.get("kind")), resource)).as("one %s in deploy/k8s", resource.get("kind"))
          .isNull();
    }
    deployment = byKind.get("Deployment");
    assertThat(deployment).as("a Deployment in kustomization.yaml").isNotNull();
    podSpec = map(at(deployment, "spec", "template", "spec"));
    List<Map<String, Object>> containers = maps(podSpec.get("containers"));
    assertThat(containers).as("one node per pod: one container").hasSize(1);
    container = containers.get(0);
    env = new LinkedHashMap<>();
    for (Map<String, Object> variable : maps(container.get("env"))) {
      assertThat(env.put(string(variable.get("name")), variable)).as("env %s set once", variable.get("name")).isNull();
    }
    applicationConfText = Files.readString(APPLICATION_CONF) + Files.readString(REFERENCE_CONF);
    // Without the environment: ${?ANVIL_...} fall back to the file's defaults, whatever the shell has.
    applicationConf = ConfigFactory.parseFile(APPLICATION_CONF.toFile())
        .withFallback(ConfigFactory.parseFile(REFERENCE_CONF.toFile()))
        .withFallback(ConfigFactory.parseMap(Map.of("java.io.tmpdir", "/tmp")))
        .resolve(ConfigResolveOptions.noSystem());
  }

  @Test
  void kustomizationListsEveryManifestButThePlaceholderSecret() throws IOException {
    Set<String> manifests;
    try (Stream<Path> files = Files.list(DIR)) {
      manifests = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
          .filter(n -> !n.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));
    }
    Set<String> listed = new TreeSet<>(strings(kustomization.get("resources")));
    assertThat(listed).doesNotContain(SECRET_EXAMPLE, JOURNAL_SECRET_EXAMPLE);
    assertThat(listed).as("resources of kustomization.yaml")
        .isEqualTo(without(without(manifests, SECRET_EXAMPLE), JOURNAL_SECRET_EXAMPLE));
    assertThat(byKind.keySet()).contains("Deployment", "Service", "ServiceAccount", "Role", "RoleBinding",
        "PodDisruptionBudget");

    String image = string(container.get("image"));
    assertThat(maps(kustomization.get("images"))).as("kustomization's images name the container's image")
        .anySatisfy(i -> assertThat(i.get("name")).isEqualTo(image));
  }

  @Test
  void everySelectorSelectsThePodsOfTheDeployment() {
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    Map<String, Object> selector = map(at(deployment, "spec", "selector", "matchLabels"));
    assertThat(selector).as("the Deployment's selector").isNotEmpty();
    assertThat(podLabels).as("pod template labels").containsAllEntriesOf(selector);
    assertThat(at(byKind.get("Service"), "spec", "selector")).as("the Service's selector").isEqualTo(selector);
    assertThat(at(byKind.get("PodDisruptionBudget"), "spec", "selector", "matchLabels")).as("the PDB's selector")
        .isEqualTo(selector);
    assertThat(at(byKind.get("PodDisruptionBudget"), "spec", "maxUnavailable")).isEqualTo(1);
    for (Map<String, Object> spread : maps(podSpec.getOrDefault("topologySpreadConstraints", List.of()))) {
      assertThat(at(spread, "labelSelector", "matchLabels")).as("topologySpreadConstraints' selector")
          .isEqualTo(selector);
    }
    for (Map<String, Object> resource : byKind.values()) {
      assertThat(map(at(resource, "metadata", "labels"))).as("labels of the %s", resource.get("kind"))
          .containsAllEntriesOf(selector);
    }
    assertThat((Integer) at(deployment, "spec", "replicas") % 2)
        .as("an odd number of replicas, so keep-majority always has a majority side").isEqualTo(1);
  }

  @Test
  void discoverySelectsThePodsOfTheDeploymentByTheirManagementPort() {
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    assertThat(value("ANVIL_CLUSTER_DISCOVERY")).isEqualTo("kubernetes-api");

    // The name discovery looks up: anvil.cluster.service-name (ANVIL_SERVICE_NAME, else application.conf's)
    String serviceName = env.containsKey("ANVIL_SERVICE_NAME") ? resolve(env.get("ANVIL_SERVICE_NAME"), podLabels)
        : configured("anvil.cluster.service-name");
    assertThat(serviceName).as("the service name discovery looks up").isNotBlank();
    String selector = configured("pekko.discovery.kubernetes-api.pod-label-selector");
    selector = String.format(selector == null ? DEFAULT_POD_LABEL_SELECTOR : selector, serviceName);
    for (String term : selector.split(",")) {
      String[] kv = term.split("=", 2);
      assertThat(kv).as("selector term '%s' (only key=value is checked here)", term).hasSize(2);
      assertThat(podLabels).as("pod labels against discovery's selector '%s'", selector)
          .containsEntry(kv[0].trim(), kv[1].trim());
    }

    // The container port discovery returns for each pod (application.conf's port-name, else the
    // variable's). It must be the management port Anvil binds. (An empty port-name makes Bootstrap
    // fall back to pekko.management.http.port, which is Anvil's management port too.)
    int management = anvilPort("ANVIL_MANAGEMENT_PORT", "anvil.management.port");
    String portName = configured("pekko.management.cluster.bootstrap.contact-point-discovery.port-name");
    if (portName == null) {
      portName = value("PEKKO_CLUSTER_BOOTSTRAP_PORT_NAME");
    }
    if (portName.isEmpty()) {
      assertThat(containerPorts()).as("the fallback port is a container port").containsValue(management);
    } else {
      assertThat(portName).as("discovery's port name").isEqualTo("management");
      assertThat(containerPorts()).as("container ports by name").containsKey(portName);
      assertThat(containerPorts().get(portName)).as("the port discovery returns is the management port Anvil binds")
          .isEqualTo(management);
    }

    assertThat(at(env.get("ANVIL_CLUSTER_HOSTNAME"), "valueFrom", "fieldRef", "fieldPath"))
        .as("the cluster host, which the management port binds too, is the pod's IP").isEqualTo("status.podIP");
  }

  @Test
  void portsAgreeBetweenContainerProbesServiceAnvilAndTheDockerfile() throws IOException {
    Map<String, Integer> ports = containerPorts();
    assertThat(ports).containsOnlyKeys("http", "remoting", "management");
    assertThat(ports.get("http")).isEqualTo(anvilPort("ANVIL_HTTP_PORT", "anvil.http.port"));
    assertThat(ports.get("remoting")).isEqualTo(anvilPort("ANVIL_CLUSTER_PORT", "anvil.cluster.port"));
    assertThat(ports.get("management")).isEqualTo(anvilPort("ANVIL_MANAGEMENT_PORT", "anvil.management.port"));

    assertThat(at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/ready");
    assertThat(at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/alive");
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      if (container.containsKey(probe)) {
        assertThat(at(container, probe, "httpGet", "port")).as(probe + "'s port").isEqualTo("management");
      }
    }

    List<Map<String, Object>> servicePorts = maps(at(byKind.get("Service"), "spec", "ports"));
    assertThat(servicePorts).hasSize(1);
    assertThat(servicePorts.get(0).get("name")).isEqualTo("http");
    assertThat(servicePorts.get(0).get("targetPort")).as("the Service's targetPort").isEqualTo("http");

    Dockerfile docker = Dockerfile.read(DIR.resolve("Dockerfile"));
    assertThat(docker.exposed).as("the Dockerfile's EXPOSE").isEqualTo(new TreeSet<>(ports.values()));
  }

  @Test
  void theEnvironmentNamesOnlySettingsThatAreRead() {
    assertThat(value("ANVIL_HTTP_HOST")).isEqualTo("0.0.0.0");
    assertThat(value("ANVIL_DOWNING")).isEqualTo("keep-majority");
    boolean bootstrapOnClassPath = onClassPath(BOOTSTRAP_CLASS);
    String referenceConfs = bootstrapOnClassPath ? referenceConfs() : "";
    for (String name : env.keySet()) {
      if (name.startsWith("ANVIL_")) {
        assertThat(applicationConfText).as("%s is read by application.conf or reference.conf", name).contains("${?" + name + "}");
      } else if (name.startsWith("PEKKO_")) {
        if (bootstrapOnClassPath) {
          assertThat(referenceConfs).as("%s is read by a reference.conf on the class path", name)
              .contains("${?" + name + "}");
        } else {
          assertThat(PEKKO_BOOTSTRAP_VARIABLES).as("%s is read by Cluster Bootstrap's reference.conf", name)
              .contains(name);
        }
      } else {
        assertThat(name).as("a variable outside ANVIL_* and PEKKO_*: the JVM's only").isEqualTo("JAVA_TOOL_OPTIONS");
      }
    }
    assertThat(podSpec.get("enableServiceLinks")).as("no ANVIL_SERVICE_HOST, ANVIL_PORT... from the Service")
        .isEqualTo(false);

    String jvm = value("JAVA_TOOL_OPTIONS");
    assertThat(jvm).as("heap sized from the container's memory limit").contains("-XX:MaxRAMPercentage=")
        .doesNotContain("-Xmx", "-XX:MaxRAM=");
  }

  @Test
  void theRoleGrantsExactlyReadingPodsToTheDeploymentsServiceAccount() {
    Map<String, Object> role = byKind.get("Role");
    List<Map<String, Object>> rules = maps(role.get("rules"));
    assertThat(rules).hasSize(1);
    Map<String, Object> rule = rules.get(0);
    assertThat(rule).containsOnlyKeys("apiGroups", "resources", "verbs");
    assertThat(strings(rule.get("apiGroups"))).containsExactly("");
    assertThat(strings(rule.get("resources"))).containsExactly("pods");
    assertThat(strings(rule.get("verbs"))).containsExactlyInAnyOrder("get", "watch", "list");
    assertThat(byKind).doesNotContainKeys("ClusterRole", "ClusterRoleBinding");

    String account = string(podSpec.get("serviceAccountName"));
    assertThat(at(byKind.get("ServiceAccount"), "metadata", "name")).isEqualTo(account);
    Map<String, Object> binding = byKind.get("RoleBinding");
    assertThat(map(binding.get("roleRef"))).containsEntry("kind", "Role")
        .containsEntry("name", at(role, "metadata", "name"))
        .containsEntry("apiGroup", "rbac.authorization.k8s.io");
    List<Map<String, Object>> subjects = maps(binding.get("subjects"));
    assertThat(subjects).hasSize(1);
    assertThat(subjects.get(0)).containsEntry("kind", "ServiceAccount").containsEntry("name", account);
    assertThat(podSpec.get("automountServiceAccountToken")).as("discovery needs the account's token")
        .isNotEqualTo(false);
  }

  @Test
  void oneWholeCorePerNodeAndMemoryThatIsReserved() {
    Map<String, Object> requests = map(at(container, "resources", "requests"));
    Map<String, Object> limits = map(at(container, "resources", "limits"));
    assertThat(millicores(requests.get("cpu"))).as("CPU request").isEqualTo(1000);
    assertThat(millicores(limits.get("cpu"))).as("CPU limit").isEqualTo(1000);
    assertThat(requests.get("memory")).as("memory request = limit").isNotNull().isEqualTo(limits.get("memory"));
  }

  @Test
  void theApiTokenComesFromASecretAndTheExampleIsAPlaceholder() throws IOException {
    Map<String, Object> tokens = env.get("ANVIL_API_TOKENS");
    assertThat(tokens).as("ANVIL_API_TOKENS is set").isNotNull().doesNotContainKey("value");
    Map<String, Object> ref = map(at(tokens, "valueFrom", "secretKeyRef"));
    assertThat(ref.get("optional")).as("a node on 0.0.0.0 without tokens refuses to start").isNotEqualTo(true);
    for (Map.Entry<String, Map<String, Object>> variable : env.entrySet()) {
      if (variable.getKey().matches(".*(TOKEN|PASSWORD|SECRET).*") && !variable.getKey().endsWith("_FILE")) {
        assertThat(variable.getValue()).as("%s is not a literal", variable.getKey()).doesNotContainKey("value");
      }
    }
    // a secret given as a file (ANVIL_JOURNAL_PASSWORD_FILE) is in a volume mounted from a Secret
    String passwordFile = string(env.get("ANVIL_JOURNAL_PASSWORD_FILE").get("value"));
    Map<String, Object> mount = maps(container.get("volumeMounts")).stream()
        .filter(m -> passwordFile.startsWith(string(m.get("mountPath")) + "/")).findFirst().orElseThrow();
    Map<String, Object> volume = maps(podSpec.get("volumes")).stream()
        .filter(v -> v.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
    assertThat(at(volume, "secret", "secretName")).as("the journal's password comes from a Secret")
        .isEqualTo("anvil-journal");
    Map<String, Object> journalExample = yaml(DIR.resolve(JOURNAL_SECRET_EXAMPLE));
    assertThat(at(journalExample, "metadata", "name")).isEqualTo("anvil-journal");
    assertThat(string(map(journalExample.get("stringData")).get("password"))).startsWith("PLACEHOLDER");

    Map<String, Object> example = yaml(DIR.resolve(SECRET_EXAMPLE));
    assertThat(example.get("kind")).isEqualTo("Secret");
    assertThat(at(example, "metadata", "name")).isEqualTo(ref.get("name"));
    Map<String, Object> data = map(example.get("stringData"));
    assertThat(data).containsOnlyKeys(string(ref.get("key")));
    assertThat(string(data.get(ref.get("key")))).as("the example's token").startsWith("PLACEHOLDER");
  }

  @Test
  void theGracePeriodCoversTheDrain() {
    int sleep = 0;
    List<String> preStop = strings(at(container, "lifecycle", "preStop", "exec", "command"));
    if (!preStop.isEmpty()) {
      assertThat(preStop).hasSize(2).first().isEqualTo("sleep");
      sleep = Integer.parseInt(preStop.get(1));
    }
    long drainMs = applicationConf.getDuration("anvil.compute.drain-timeout").toMillis()
        + applicationConf.getDuration("anvil.http.shutdown-linger").toMillis()
        + applicationConf.getDuration("anvil.http.shutdown-deadline").toMillis();
    int grace = (Integer) podSpec.get("terminationGracePeriodSeconds");
    assertThat(grace * 1000L).as("terminationGracePeriodSeconds against preStop %d s + drain, linger and deadline"
        + " %d ms, with room to leave the cluster", sleep, drainMs).isGreaterThanOrEqualTo(sleep * 1000L + drainMs + 5000);
  }

  @Test
  void theDockerfileRunsOneNodeAsAnUnprivilegedUser() throws IOException {
    Dockerfile docker = Dockerfile.read(DIR.resolve("Dockerfile"));
    assertThat(docker.from).isEqualTo("eclipse-temurin:17-jre");
    assertThat(docker.entrypoint).as("ENTRYPOINT").startsWith("java").contains("-jar").last().isEqualTo("node");
    assertThat(docker.copies).anySatisfy(c -> assertThat(c).startsWith("target/anvil.jar "));
    assertThat(docker.user).as("USER: numeric, so runAsNonRoot can check it").matches("[1-9][0-9]*(:[0-9]+)?");
    assertThat(at(podSpec, "securityContext", "runAsNonRoot")).isEqualTo(true);
    assertThat(String.valueOf(at(podSpec, "securityContext", "runAsUser"))).isEqualTo(docker.user.split(":")[0]);
  }

  // ---- the Dockerfile, as far as these checks need it

  private record Dockerfile(String from, List<String> entrypoint, Set<Integer> exposed, List<String> copies,
      String user) {
    static Dockerfile read(Path file) throws IOException {
      String from = null;
      String user = null;
      List<String> entrypoint = List.of();
      Set<Integer> exposed = new TreeSet<>();
      List<String> copies = new ArrayList<>();
      // join continuation lines, drop comments
      String text = Files.readString(file).replaceAll("(?m)^\\s*#.*\\n", "").replace("\\\n", " ");
      for (String line : text.split("\n")) {
        String[] parts = line.trim().split("\\s+", 2);
        if (parts.length < 2) {
          continue;
        }
        String args = parts[1].trim();
        switch (parts[0].toUpperCase()) {
          case "FROM" -> from = args;
          case "USER" -> user = args;
          case "EXPOSE" -> {
            for (String port : args.split("\\s+")) {
              exposed.add(Integer.parseInt(port.replace("/tcp", "")));
            }
          }
          case "COPY" -> copies.add(args);
          case "ENTRYPOINT" -> {
            assertThat(args).as("ENTRYPOINT in exec form, so the JVM is PID 1 and gets SIGTERM").startsWith("[");
            Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(args);
            List<String> words = new ArrayList<>();
            while (m.find()) {
              words.add(m.group(1));
            }
            entrypoint = words;
          }
          default -> { }
        }
      }
      return new Dockerfile(from, entrypoint, exposed, copies, user);
    }
  }

  // ---- helpers

  /** The literal value of a variable the Deployment sets. */
  private static String value(String name) {
    assertThat(env).as("the Deployment sets %s", name).containsKey(name);
    assertThat(env.get(name)).as("%s is a literal", name).containsKey("value");
    return string(env.get(name).get("value"));
  }

  /** A variable's value: literal, or a fieldRef to one of the pod's labels. */
  private static String resolve(Map<String, Object> variable, Map<String, Object> podLabels) {
    if (variable.containsKey("value")) {
      return string(variable.get("value"));
    }
    String path = string(at(variable, "valueFrom", "fieldRef", "fieldPath"));
    Matcher label = Pattern.compile("metadata\\.labels\\['([^']+)'\\]").matcher(path);
    assertThat(label.matches()).as("%s from a pod label (%s)", variable.get("name"), path).isTrue();
    assertThat(podLabels).containsKey(label.group(1));
    return string(podLabels.get(label.group(1)));
  }

  /** The port Anvil binds: the Deployment's variable if it sets one, else Anvil's default. */
  private static int anvilPort(String variable, String path) {
    return env.containsKey(variable) ? Integer.parseInt(value(variable)) : applicationConf.getInt(path);
  }

  /** A setting Anvil's files give explicitly (not a library's reference.conf default), or null. */
  private static String configured(String path) {
    return applicationConf.hasPath(path) ? applicationConf.getString(path) : null;
  }

  private static Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (Map<String, Object> port : maps(container.get("ports"))) {
      assertThat(ports.put(string(port.get("name")), (Integer) port.get("containerPort"))).isNull();
    }
    return ports;
  }

  private static int millicores(Object quantity) {
    String q = String.valueOf(quantity);
    return q.endsWith("m") ? Integer.parseInt(q.substring(0, q.length() - 1))
        : (int) Math.round(Double.parseDouble(q) * 1000);
  }

  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, KubernetesManifestsTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static String referenceConfs() {
    try {
      StringBuilder all = new StringBuilder();
      var urls = KubernetesManifestsTest.class.getClassLoader().getResources("reference.conf");
      while (urls.hasMoreElements()) {
        try (var in = urls.nextElement().openStream()) {
          all.append(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).append('\n');
        }
      }
      return all.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    assertThat(doc).as("%s holds one YAML mapping", file).isInstanceOf(Map.class);
    return map(doc);
  }

  private static Object at(Object node, String... path) {
    Object current = node;
    for (String key : path) {
      assertThat(current).as("%s in %s", key, String.join(".", path)).isInstanceOf(Map.class);
      current = ((Map<?, ?>) current).get(key);
    }
    return current;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : new HashMap<>((Map<String, Object>) o);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> maps(Object o) {
    return o == null ? List.of() : (List<Map<String, Object>>) o;
  }

  private static List<String> strings(Object o) {
    return o == null ? List.of() : ((List<?>) o).stream().map(String::valueOf).toList();
  }

  private static String string(Object o) {
    return o == null ? null : String.valueOf(o);
  }

  private static Set<String> without(Set<String> set, String element) {
    Set<String> copy = new LinkedHashSet<>(set);
    copy.remove(element);
    return new TreeSet<>(copy);
  }
}
