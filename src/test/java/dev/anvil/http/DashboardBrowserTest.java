package dev.anvil.http;

import static dev.anvil.HttpTestClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.anvil.HttpTestClient;
import dev.anvil.TestNodes;
import dev.anvil.Tiers;
import dev.anvil.node.RunningNode;
import dev.anvil.testkit.ClusterView;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium, against two clustered nodes in this JVM and the
 * real event stream. {@code -Ddashboard.screenshot=docs/dashboard.png} writes a screenshot of
 * the page under load.
 */
@Tag(Tiers.BROWSER)
class DashboardBrowserTest {

  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String SCREENSHOT = System.getProperty("dashboard.screenshot", "").isBlank() ? null
      : System.getProperty("dashboard.screenshot");

  private static RunningNode a;
  private static RunningNode b;
  private static HttpTestClient http;
  private static ChromeDriver browser;

  @BeforeAll
  static void start() {
    assertThat(new File(CHROMEDRIVER)).as("the browser test needs Debian's chromium and chromium-driver").exists();
    a = TestNodes.start(Map.of("anvil.compute.workers", 2));
    b = TestNodes.start(Map.of("anvil.compute.workers", 2, "anvil.cluster.seed-nodes", a.nodeId()));
    http = new HttpTestClient(a.httpPort());
    await().atMost(Duration.ofSeconds(30)).until(() -> ClusterView.read(a.httpPort()).up() == 2);
    browser = chromium();
  }

  /** The system's Chromium and its driver, named explicitly, so Selenium Manager downloads nothing. */
  private static ChromeDriver chromium() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1320");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER))
        .build();
    return new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  @BeforeEach
  void openDashboard() {
    browser.get("http://127.0.0.1:" + a.httpPort() + "/");
    until(Duration.ofSeconds(10), () -> "live".equals(text(By.id("connection"))));
  }

  @AfterEach
  void noConsoleErrors() {
    List<LogEntry> severe = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .toList();
    assertThat(severe).as("console errors").isEmpty();
  }

  @Test
  void thePageShowsEveryNode() {
    until(Duration.ofSeconds(10), () -> browser.findElements(By.cssSelector("#nodes tbody tr")).size() == 2);
    for (RunningNode node : List.of(a, b)) {
      assertThat(cell(node, "status")).isEqualTo("Up");
      assertThat(cell(node, "reachable")).isEqualTo("yes");
      assertThat(cell(node, "busy")).endsWith("/ 2");
    }
    assertThat(text(By.id("self"))).isEqualTo(a.nodeId());
    assertThat(text(By.id("total-members"))).isEqualTo("2 / 2");
    assertThat(browser.findElements(By.cssSelector("#chart canvas"))).isNotEmpty();
  }

  @Test
  void itsNumbersMoveUnderLoad() throws Exception {
    until(Duration.ofSeconds(10), () -> !cell(a, "completed").equals("–") && !cell(b, "completed").equals("–"));
    double before = number(cell(a, "completed")) + number(cell(b, "completed"));
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService load = load(stop);
    try {
      until(Duration.ofSeconds(20), () -> number(cell(a, "completed")) + number(cell(b, "completed")) >= before + 100
          && rate(a) + rate(b) > 0 && !text(By.id("total-rate")).equals("–") && number(text(By.id("total-rate"))) > 0);
      until(Duration.ofSeconds(10), () -> !cell(a, "p50").equals("–") || !cell(b, "p50").equals("–"));
      if (SCREENSHOT != null) {
        screenshotUnderLoad();
      }
    } finally {
      stop.set(true);
      load.shutdown();
      assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aRunningBatchShowsItsRateOnTheNodeThatReadsIt() {
    String body = String.join("\n", java.util.Collections.nCopies(3000, "{\"ms\":4}")) + "\n"; // ~3 s on 4 workers
    CompletableFuture<HttpResponse<String>> batch = HttpClient.newHttpClient().sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.httpPort() + "/v1/batches/spin"))
            .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    // "1 · 812 items/s": one batch read by a, and its items answered per second
    until(Duration.ofSeconds(20), () -> cell(a, "batches").matches("1 · [0-9.]+ items/s")
        && !cell(a, "batches").startsWith("1 · 0 "));
    assertThat(cell(b, "batches")).isEqualTo("–");
    // the batch's items by tenant: the open API's requests are tenant default's
    until(Duration.ofSeconds(10), () -> browser.findElements(By.cssSelector("#tenants tbody tr[data-tenant='default']"))
        .size() == 1 && !browser.findElement(By.id("no-tenants")).isDisplayed());
    assertThat(batch.join().body()).contains("\"succeeded\":3000");
    until(Duration.ofSeconds(10), () -> browser.findElement(By.id("no-tenants")).isDisplayed());
    until(Duration.ofSeconds(10), () -> cell(a, "batches").equals("–"));
  }

  @Test
  void aPageOpenedAfterLoadShowsTheMinutesBeforeItWithLocalTimes() throws Exception {
    long loadStarted = System.currentTimeMillis();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService load = load(stop);
    try {
      // some seconds of load that no page saw: each node keeps its own samples
      await().atMost(Duration.ofSeconds(30)).until(() -> busySeconds(a) >= 4 && busySeconds(b) >= 4);
    } finally {
      stop.set(true);
      load.shutdown();
      assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    long opened = System.currentTimeMillis();
    browser.get("http://127.0.0.1:" + a.httpPort() + "/");
    until(Duration.ofSeconds(10), () -> browser.findElement(By.tagName("body")).getDomAttribute("data-history-points")
        != null);
    // what the charts hold now came from the server: seconds before the page opened, for both nodes
    @SuppressWarnings("unchecked")
    Map<String, Object> charts = (Map<String, Object>) browser.executeScript("""
        const before = (series) => series.filter((v, i) => v != null && v > 0 && chartData.times[i] * 1000 < arguments[0]);
        return {
          busySeconds: before(chartData.total).length,
          ratesOf: [...chartData.nodes.keys()].filter((n) => before(chartData.nodes.get(n)).length > 0),
          p99Of: [...chartData.p99.keys()].filter((n) => before(chartData.p99.get(n)).length > 0),
          first: chartData.times[0] * 1000,
        };""", opened);
    assertThat((Long) charts.get("busySeconds")).isGreaterThanOrEqualTo(4);
    assertThat((List<Object>) charts.get("ratesOf")).containsExactlyInAnyOrder(a.nodeId(), b.nodeId());
    assertThat((List<Object>) charts.get("p99Of")).containsExactlyInAnyOrder(a.nodeId(), b.nodeId());
    assertThat(((Number) charts.get("first")).longValue()).isLessThan(loadStarted + 2000);
    // both time axes read as the browser's own wall clock, within the last minutes
    for (String chart : List.of("chart", "latency")) {
      String labels = browser.findElement(By.id(chart)).getDomAttribute("data-x-labels");
      assertThat(labels).as(chart).isNotBlank();
      long now = clockSeconds((String) browser.executeScript(
          "return new Date().toLocaleTimeString([], {hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit'})"));
      for (String label : labels.trim().split(" ")) {
        assertThat(label).as(chart + " axis label").matches("\\d\\d:\\d\\d:\\d\\d");
        // signed, across midnight; a tick may round up a little past the browser's second (a CI run had one 1 s
        // ahead), while a wrong time zone would be hours off
        long ago = Math.floorMod(now - clockSeconds(label) + 43_200, 86_400) - 43_200;
        assertThat(ago).as(chart + " axis label " + label + " seconds ago").isBetween(-60L, 6 * 60L);
      }
    }
  }

  @Test
  void theJobsTableListsFiltersPagesAndOpensAJob() {
    String failed = json(http.post("/v1/jobs/test-fail", "{}", "application/json")).at("/id").asText();
    java.util.List<String> primes = new java.util.ArrayList<>();
    for (int i = 0; i < 23; i++) { // more than a page of 20
      primes.add(json(http.post("/v1/jobs/primes", "{\"limit\":" + (100 + i) + "}", "application/json")).at("/id")
          .asText());
    }
    String running = json(http.post("/v1/jobs/spin", "{\"ms\":15000}", "application/json")).at("/id").asText();
    browser.navigate().refresh();
    until(Duration.ofSeconds(10), () -> !browser.findElements(By.cssSelector("#jobs-kind option[value='primes']"))
        .isEmpty());

    // newest first, as the listing orders them (jobs stored in the same millisecond by id): the spin job
    // and primes jobs from the last submitted
    until(Duration.ofSeconds(15), () -> jobRows().size() == 20 && jobRows().contains(running)
        && jobRows().equals(listed("/v1/jobs?limit=20")));
    assertThat(jobRows()).contains(primes.get(22)).doesNotContain(primes.get(0), failed);

    new Select(browser.findElement(By.id("jobs-status"))).selectByValue("failed");
    until(Duration.ofSeconds(10), () -> jobRows().contains(failed) && browser.findElements(By.cssSelector(
        "#jobs tbody tr:not([data-status='failed'])")).isEmpty());
    new Select(browser.findElement(By.id("jobs-status"))).selectByValue("");
    new Select(browser.findElement(By.id("jobs-kind"))).selectByValue("primes");
    until(Duration.ofSeconds(10), () -> jobRows().size() == 20 && jobKinds().stream().allMatch("primes"::equals)
        && jobRows().equals(listed("/v1/jobs?kind=primes&limit=20")));
    List<String> firstPage = jobRows();
    assertThat(firstPage).contains(primes.get(22));
    browser.findElement(By.id("jobs-older")).click();
    until(Duration.ofSeconds(10), () -> !jobRows().isEmpty() && !jobRows().get(0).equals(firstPage.get(0)));
    List<String> older = new java.util.ArrayList<>(primes);
    older.removeAll(firstPage);
    assertThat(jobRows()).hasSize(3).containsExactlyInAnyOrderElementsOf(older);
    browser.findElement(By.id("jobs-newer")).click();
    until(Duration.ofSeconds(10), () -> jobRows().equals(firstPage));

    // a finished job opens with its result
    until(Duration.ofSeconds(10), () -> "succeeded".equals(browser.findElement(By.cssSelector(
        "#jobs tr[data-id='" + primes.get(22) + "']")).getDomAttribute("data-status")));
    clickJob(primes.get(22));
    until(Duration.ofSeconds(10), () -> primes.get(22).equals(text(By.id("job-id")))
        && "succeeded".equals(text(By.id("job-status"))));
    assertThat(text(By.id("job-result"))).contains("\"count\": 30");

    // a running one opens with its progress, which moves
    new Select(browser.findElement(By.id("jobs-kind"))).selectByValue("spin");
    until(Duration.ofSeconds(10), () -> jobRows().contains(running));
    clickJob(running);
    until(Duration.ofSeconds(10), () -> running.equals(text(By.id("job-id"))) && "running".equals(text(By.id("job-status"))));
    int seen = progress();
    until(Duration.ofSeconds(10), () -> progress() > seen && progress() < 100);
    until(Duration.ofSeconds(30), () -> "succeeded".equals(text(By.id("job-status"))));
    assertThat(progress()).isEqualTo(100);
  }

  @Test
  void aJobSubmittedThroughTheFormRunsToOneHundredPercent() {
    submitJob("{\"ms\":1500}");
    // the bar moves while the job runs (spin reports its progress, the job's events carry it)
    until(Duration.ofSeconds(10), () -> progress() > 0 && progress() < 100);
    until(Duration.ofSeconds(20), () -> "succeeded".equals(browser.findElement(By.id("job")).getDomAttribute("data-status")));
    assertThat(text(By.id("job-progress"))).isEqualTo("100 %");
    assertThat(text(By.id("job-status"))).isEqualTo("succeeded");
    assertThat(text(By.id("job-result"))).contains("\"ms\": 1500", "iterations");
    assertThat(browser.findElement(By.id("job-error")).isDisplayed()).isFalse();
  }

  @Test
  void recentFailuresAreListed() {
    timeOut();
    until(Duration.ofSeconds(10), () -> !browser.findElements(By.cssSelector(
        "#failures tbody tr[data-outcome='timed_out']")).isEmpty());
    WebElement row = browser.findElement(By.cssSelector("#failures tbody tr[data-outcome='timed_out']"));
    assertThat(row.findElement(By.cssSelector("[data-field='kind']")).getText()).isEqualTo("spin");
    assertThat(row.findElement(By.cssSelector("[data-field='status']")).getText()).isEqualTo("504");
    assertThat(browser.findElement(By.id("no-failures")).isDisplayed()).isFalse();
  }

  @Test
  void aProblemIsShownByItsDetail() {
    until(Duration.ofSeconds(10), () -> !browser.findElements(By.cssSelector("#kind option[value='primes']")).isEmpty());
    new Select(browser.findElement(By.id("kind"))).selectByValue("primes");
    WebElement input = browser.findElement(By.id("input"));
    input.clear();
    input.sendKeys("{\"limit\":-1}");
    browser.findElement(By.id("run-task")).click();
    until(Duration.ofSeconds(10), () -> "failed".equals(browser.findElement(By.id("task")).getDomAttribute("data-status")));
    assertThat(text(By.id("task-result"))).isEqualTo("limit must be between 0 and 200000000, was -1");
    // the browser logs every 4xx answer as a console error; this one is the test's own doing
    browser.manage().logs().get(LogType.BROWSER);
  }

  @Test
  void withApiTokensThePageAsksForOneAndGoesLiveWithIt() {
    try (RunningNode guarded = TestNodes.start(Map.of("anvil.compute.workers", 1, "anvil.http.api-tokens", "s3cret"))) {
      browser.get("http://127.0.0.1:" + guarded.httpPort() + "/");
      until(Duration.ofSeconds(10), () -> "token needed".equals(text(By.id("connection"))));
      assertThat(text(By.id("stream-error"))).contains("Authorization: Bearer");
      browser.manage().logs().get(LogType.BROWSER); // the 401s, logged by the browser, are the point here
      browser.findElement(By.id("token")).sendKeys("s3cret");
      browser.findElement(By.id("token-save")).click();
      until(Duration.ofSeconds(10), () -> "live".equals(text(By.id("connection")))
          && !browser.findElements(By.cssSelector("#kind option[value='spin']")).isEmpty());
      assertThat(browser.findElement(By.id("stream-error")).isDisplayed()).isFalse();
      assertThat(browser.findElement(By.id("submit-error")).isDisplayed()).isFalse();
      browser.get("about:blank"); // before the node stops, so no stream breaks in the page
    }
  }

  /** A spin task that outlives its deadline: a 504, listed among the recent failures. */
  private static void timeOut() {
    assertThat(http.post("/v1/tasks/spin?timeoutMs=100", "{\"ms\":5000}", "application/json").statusCode())
        .isEqualTo(504);
  }

  /** A spin job, submitted through the page's form with the kind's example replaced by {@code input}. */
  private static void submitJob(String input) {
    until(Duration.ofSeconds(10), () -> !browser.findElements(By.cssSelector("#kind option[value='spin']")).isEmpty());
    new Select(browser.findElement(By.id("kind"))).selectByValue("spin");
    WebElement field = browser.findElement(By.id("input"));
    assertThat(field.getDomProperty("value")).as("the kind's example").contains("\"ms\"");
    field.clear();
    field.sendKeys(input);
    browser.findElement(By.id("submit-job")).click();
  }

  /** The ids of the jobs table's rows, top to bottom. */
  /**
   * The ids of the table's rows, read in one script: the table is redrawn every few seconds, so rows found first and
   * read one by one may be gone by then (StaleElementReferenceException).
   */
  @SuppressWarnings("unchecked")
  private static List<String> jobRows() {
    return (List<String>) browser.executeScript(
        "return [...document.querySelectorAll('#jobs tbody tr')].map((r) => r.dataset.id);");
  }

  /** The ids of a page of the listing, in the API's order. */
  private static List<String> listed(String path) {
    List<String> ids = new java.util.ArrayList<>();
    json(http.get(path)).at("/jobs").forEach(job -> ids.add(job.at("/id").asText()));
    return ids;
  }

  /** The kinds shown in the table's rows, read in one script (see jobRows). */
  @SuppressWarnings("unchecked")
  private static List<String> jobKinds() {
    return (List<String>) browser.executeScript(
        "return [...document.querySelectorAll(\"#jobs tbody td[data-field='kind']\")].map((td) => td.textContent);");
  }

  /** Seconds in which {@code node}'s workers completed tasks, among those it keeps ({@code /v1/cluster/history}). */
  private static int busySeconds(RunningNode node) {
    for (com.fasterxml.jackson.databind.JsonNode each : json(http.get("/v1/cluster/history")).at("/nodes")) {
      if (each.at("/node").asText().equals(node.nodeId())) {
        int busy = 0;
        for (com.fasterxml.jackson.databind.JsonNode sample : each.at("/samples")) {
          busy += sample.at("/rate").asDouble() > 0 ? 1 : 0;
        }
        return busy;
      }
    }
    return 0;
  }

  private static long clockSeconds(String hhmmss) {
    String[] parts = hhmmss.split(":");
    return Long.parseLong(parts[0]) * 3600 + Long.parseLong(parts[1]) * 60 + Long.parseLong(parts[2]);
  }

  private static int progress() {
    String percent = browser.findElement(By.id("job")).getDomAttribute("data-progress");
    return percent == null ? 0 : Integer.parseInt(percent);
  }

  private static int snapshots() {
    String n = browser.findElement(By.tagName("body")).getDomAttribute("data-snapshots");
    return n == null ? 0 : Integer.parseInt(n);
  }

  /** Four threads send small tasks to node A until stopped, at most 2,000 each. */
  private static ExecutorService load(AtomicBoolean stop) {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      pool.execute(() -> {
        for (int i = 0; i < 2000 && !stop.get(); i++) {
          http.postTask("spin", "{\"ms\":20}");
        }
      });
    }
    return pool;
  }

  /** For the README: some minutes' worth of chart is too long for a test, a dozen seconds do; a job and a failure. */
  private static void screenshotUnderLoad() throws IOException {
    timeOut();
    submitJob("{\"ms\":30000}"); // still running in the picture
    int from = snapshots();
    until(Duration.ofSeconds(60), () -> snapshots() >= from + 12 && progress() >= 25);
    browser.executeScript("window.scrollTo(0, 0)");
    Path file = Path.of(SCREENSHOT);
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.write(file, browser.getScreenshotAs(OutputType.BYTES));
  }

  /** Clicks the job's row: found again if the table redrew (every 3 s) between finding and clicking it. */
  private static void clickJob(String id) {
    until(Duration.ofSeconds(10), () -> {
      browser.findElement(By.cssSelector("#jobs tr[data-id='" + id + "']")).click();
      return true;
    });
  }

  private static void until(Duration timeout, java.util.function.BooleanSupplier condition) {
    new WebDriverWait(browser, timeout, Duration.ofMillis(100))
        .ignoring(StaleElementReferenceException.class)
        .until(driver -> condition.getAsBoolean());
  }

  private static String text(By by) {
    return browser.findElement(by).getText().trim();
  }

  private static String cell(RunningNode node, String field) {
    return text(By.cssSelector("#nodes tr[data-node='" + node.nodeId() + "'] td[data-field='" + field + "']"));
  }

  private static double rate(RunningNode node) {
    String rate = cell(node, "rate");
    return rate.equals("–") ? 0 : number(rate);
  }

  private static double number(String text) {
    return text.equals("–") ? 0 : Double.parseDouble(text.replace(",", ""));
  }
}
