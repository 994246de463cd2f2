package dev.anvil.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker finds each kind of broken promise planted in a history, and none in a clean one. */
class CheckerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Checker checker = new Checker(5_000, 0.10, 120_000);

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A history that keeps every promise: tasks, a keyed job submitted twice, reads, a fault, memory. */
  private static List<Operation> clean() {
    List<Operation> h = new ArrayList<>();
    h.add(Operation.task("primes", json("{\"limit\":1000}"), 200, json("{\"limit\":1000,\"count\":168}"), 0, 5));
    h.add(Operation.task("pbkdf2", json("{\"password\":\"password\",\"salt\":\"salt\",\"iterations\":1,\"keyBytes\":32}"),
        200, json("{\"hex\":\"120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b\"}"), 6, 9));
    h.add(Operation.task("stats", json("{\"values\":[1,2,3,4]}"), 200,
        json("{\"count\":4,\"mean\":2.5,\"stddev\":1.118,\"min\":1,\"max\":4,\"p50\":2.5,\"p90\":3.7,\"p99\":3.97}"), 10, 12));
    h.add(Operation.task("spin", json("{\"ms\":5}"), 429, null, 13, 14)); // a refusal is not wrong
    h.add(Operation.submit("primes", json("{\"limit\":100}"), "k1", 202, "job-1", "queued", 20, 25));
    h.add(Operation.submit("primes", json("{\"limit\":100}"), "k1", 202, "job-1", "running", 26, 30));
    h.add(Operation.read("job-1", 200, "running", null, 31, 33));
    h.add(Operation.read("job-1", 200, "succeeded", json("{\"limit\":100,\"count\":25}"), 40, 42));
    h.add(Operation.read("job-1", 200, "succeeded", json("{\"limit\":100,\"count\":25}"), 50, 52));
    h.add(Operation.fault("kill", "node-2", 60, 1_000));
    h.add(Operation.task("spin", json("{\"ms\":5}"), 503, null, 1_001, 1_002)); // still recovering
    h.add(Operation.task("spin", json("{\"ms\":5}"), 200, json("{\"ms\":5,\"iterations\":9}"), 1_500, 1_510));
    h.add(Operation.rss("node-1", 0, 100_000_000L)); // its warm-up, not counted
    h.add(Operation.rss("node-1", 120_000, 300_000_000L));
    h.add(Operation.rss("node-1", 300_000, 320_000_000L));
    return h;
  }

  private List<String> rules(List<Operation> history) {
    return checker.check(history).violations().stream().map(Checker.Violation::rule).toList();
  }

  private List<String> rulesWith(Operation planted) {
    List<Operation> h = clean();
    h.add(planted);
    return rules(h);
  }

  @Test
  void aCleanHistoryHasNoViolation() {
    Checker.Report report = checker.check(clean());
    assertThat(report.violations()).isEmpty();
    assertThat(report.operations()).isEqualTo(11);
    assertThat(report.faults()).isEqualTo(1);
    assertThat(report.worstRecoveryMs()).isEqualTo(510);
    assertThat(report.summary()).isEqualTo("operations=11 faults=1 violations=0 worst-recovery-ms=510 rss-growth=6.7%");
  }

  @Test
  void a500IsFound() {
    assertThat(rulesWith(Operation.task("spin", json("{\"ms\":1}"), 500, null, 2_000, 2_001))).containsExactly("no-500");
  }

  @Test
  void aWrongTaskResultIsFoundForEveryCheckedKind() {
    assertThat(rulesWith(Operation.task("primes", json("{\"limit\":1000}"), 200, json("{\"count\":167}"), 2_000, 2_001)))
        .containsExactly("wrong-result");
    assertThat(rulesWith(Operation.task("pbkdf2", json("{\"password\":\"p\",\"salt\":\"s\",\"iterations\":2}"), 200,
        json("{\"hex\":\"00\"}"), 2_000, 2_001))).containsExactly("wrong-result");
    assertThat(rulesWith(Operation.task("stats", json("{\"values\":[1,2]}"), 200,
        json("{\"count\":2,\"mean\":1.4,\"min\":1,\"max\":2}"), 2_000, 2_001))).containsExactly("wrong-result");
    assertThat(rulesWith(Operation.task("spin", json("{\"ms\":3}"), 200, json("{\"ms\":4,\"iterations\":1}"), 2_000,
        2_001))).containsExactly("wrong-result");
  }

  @Test
  void aWrongJobResultIsFound() {
    List<Operation> h = clean();
    h.add(Operation.submit("primes", json("{\"limit\":10}"), null, 202, "job-2", "queued", 100, 101));
    h.add(Operation.read("job-2", 200, "succeeded", json("{\"limit\":10,\"count\":5}"), 200, 201));
    assertThat(rules(h)).containsExactly("wrong-result");
  }

  @Test
  void aJobAcceptedThenUnknownIsFound() {
    assertThat(rulesWith(Operation.read("job-1", 404, null, null, 60, 61))).containsExactly("lost-job");
    // unless its client deleted it
    List<Operation> h = clean();
    h.add(Operation.cancel("job-1", 204, 55, 56));
    h.add(Operation.read("job-1", 404, null, null, 60, 61));
    assertThat(rules(h)).isEmpty();
  }

  @Test
  void aFinalStatusThatChangesIsFound() {
    assertThat(rulesWith(Operation.read("job-1", 200, "running", null, 70, 71))).containsExactly("final-changed");
    assertThat(rulesWith(Operation.read("job-1", 200, "failed", null, 70, 71))).containsExactly("final-changed");
    assertThat(rulesWith(Operation.read("job-1", 200, "succeeded", json("{\"limit\":100,\"count\":26}"), 70, 71)))
        .contains("final-changed");
    // a read that overlapped the first final one may still have seen the job before it ended
    assertThat(rulesWith(Operation.read("job-1", 200, "running", null, 39, 45))).isEmpty();
  }

  @Test
  void oneKeyAndBodyGivingTwoJobsIsFound() {
    assertThat(rulesWith(Operation.submit("primes", json("{\"limit\":100}"), "k1", 202, "job-9", "queued", 80, 81)))
        .containsExactly("idempotency");
    // another body under the key is the client's 422, not two jobs for one submission
    assertThat(rulesWith(Operation.submit("primes", json("{\"limit\":101}"), "k1", 422, null, null, 80, 81))).isEmpty();
  }

  private static Operation batch(String lines) {
    return Operation.batch("primes", json("[{\"limit\":10},{\"limit\":100}]"), 200, json(lines), 90, 95);
  }

  @Test
  void aBatchWithAWrongItemAMissingOrRepeatedIndexOrAWrongSummaryIsFound() {
    String item0 = "{\"index\":0,\"status\":200,\"result\":{\"limit\":10,\"count\":4}}";
    String item1 = "{\"index\":1,\"status\":200,\"result\":{\"limit\":100,\"count\":25}}";
    String summary = "{\"summary\":{\"items\":2,\"succeeded\":2,\"failed\":0,\"ms\":5}}";
    assertThat(rulesWith(batch("[" + item1 + "," + item0 + "," + summary + "]"))).isEmpty();
    assertThat(rulesWith(batch("[" + item1 + ",{\"index\":0,\"status\":200,\"result\":{\"count\":5}}," + summary
        + "]"))).containsExactly("wrong-result");
    assertThat(rulesWith(batch("[" + item1 + "," + summary + "]"))).containsExactlyInAnyOrder("batch-index",
        "batch-summary");
    assertThat(rulesWith(batch("[" + item1 + "," + item0 + "," + item0 + "," + summary + "]")))
        .contains("batch-index");
    assertThat(rulesWith(batch("[" + item1 + "," + item0 + "]"))).containsExactly("batch-summary");
    // an item's own refusal is not wrong; an item's 500 is
    String refused = "{\"index\":0,\"status\":429,\"error\":{\"status\":429}}";
    String failedSummary = "{\"summary\":{\"items\":2,\"succeeded\":1,\"failed\":1,\"ms\":5}}";
    assertThat(rulesWith(batch("[" + item1 + "," + refused + "," + failedSummary + "]"))).isEmpty();
    assertThat(rulesWith(batch("[" + item1 + "," + refused.replace("429", "500") + "," + failedSummary + "]")))
        .containsExactly("no-500");
    // a stream that broke (a node killed under it) is not checked line by line
    assertThat(rulesWith(Operation.batch("primes", json("[{\"limit\":10}]"), 0, json("[]"), 90, 95))).isEmpty();
  }

  @Test
  void aJobNeverReadInAFinalStatusIsFoundWhenTheRunReadsEveryJobAtItsEnd() {
    Checker sweeping = new Checker(5_000, 0.10, 120_000, true);
    assertThat(sweeping.check(clean()).violations()).isEmpty();
    List<Operation> h = clean();
    h.add(Operation.submit("spin", json("{\"ms\":5}"), null, 202, "job-3", "queued", 100, 101));
    h.add(Operation.read("job-3", 200, "running", null, 200, 201));
    assertThat(sweeping.check(h).violations()).extracting(Checker.Violation::rule).containsExactly("not-final");
    h.add(Operation.watch("job-3", 200, "succeeded", json("{\"ms\":5,\"iterations\":3}"), 300, 301));
    assertThat(sweeping.check(h).violations()).isEmpty();
  }

  @Test
  void aSlowOrMissingRecoveryIsFound() {
    List<Operation> h = clean();
    h.add(Operation.fault("sigstop", "node-1", 2_000, 3_000));
    h.add(Operation.task("spin", json("{\"ms\":1}"), 0, null, 3_001, 8_000)); // no answer
    h.add(Operation.task("spin", json("{\"ms\":1}"), 200, json("{\"ms\":1,\"iterations\":3}"), 8_100, 9_000));
    assertThat(rules(h)).containsExactly("slow-recovery");
    assertThat(checker.check(h).worstRecoveryMs()).isEqualTo(6_000);

    List<Operation> never = clean();
    never.add(Operation.fault("cut", "host-2", 2_000, 3_000));
    never.add(Operation.task("spin", json("{\"ms\":1}"), 0, null, 9_000, 9_001));
    assertThat(rules(never)).containsExactly("no-recovery");
  }

  @Test
  void memoryGrowthPastTheBoundIsFoundFromEachNodesOwnMinuteTwo() {
    assertThat(rulesWith(Operation.rss("node-1", 400_000, 340_000_000L))).containsExactly("rss-growth");
    // a node started again by a fault is a new JVM: measured from its own minute 2, not the run's
    List<Operation> h = clean();
    h.add(Operation.rss("node-2", 200_000, 100_000_000L));
    h.add(Operation.rss("node-2", 300_000, 200_000_000L));
    assertThat(rules(h)).isEmpty();
    h.add(Operation.rss("node-2", 320_000, 300_000_000L));
    h.add(Operation.rss("node-2", 340_000, 340_000_000L));
    assertThat(rules(h)).as("20 s past its minute 2: one heap expansion, not a trend").isEmpty();
    h.add(Operation.rss("node-2", 400_000, 340_000_000L));
    assertThat(rules(h)).containsExactly("rss-growth");
  }

  @Test
  void aJobCancelledWhileItRanStaysKnownButOneItsClientDeletedMayBeMadeAgain() {
    // 202: cancelled where it runs; it must still be read (as cancelled), never unknown
    List<Operation> h = clean();
    h.add(Operation.submit("spin", json("{\"ms\":900}"), null, 202, "job-4", "queued", 100, 101));
    h.add(Operation.cancel("job-4", 202, 110, 111));
    h.add(Operation.read("job-4", 200, "cancelled", null, 120, 121));
    assertThat(rules(h)).isEmpty();
    h.add(Operation.read("job-4", 404, null, null, 130, 131));
    assertThat(rules(h)).containsExactly("lost-job");
    // 204: a finished job deleted; its key then makes a new job under the same id, with its own result
    List<Operation> d = clean();
    d.add(Operation.cancel("job-1", 204, 60, 61));
    d.add(Operation.submit("primes", json("{\"limit\":100}"), "k1", 202, "job-1", "queued", 70, 71));
    d.add(Operation.read("job-1", 200, "running", null, 80, 81));
    assertThat(rules(d)).isEmpty();
    assertThat(new Checker(5_000, 0.10, 120_000, true).check(d).violations()).isEmpty();
    // a read that began before the delete and ended after it may have been served after it
    List<Operation> overlap = clean();
    overlap.add(Operation.read("job-1", 404, null, null, 58, 65));
    overlap.add(Operation.cancel("job-1", 204, 60, 61));
    assertThat(rules(overlap)).isEmpty();
    // a DELETE with no answer, or a 503, may have been done: a later 404 is no lost job
    List<Operation> indeterminate = clean();
    indeterminate.add(Operation.cancel("job-1", 503, 60, 65));
    indeterminate.add(Operation.read("job-1", 404, null, null, 70, 71));
    assertThat(rules(indeterminate)).isEmpty();
    // but not one that ended before the delete began
    List<Operation> before = clean();
    before.add(Operation.read("job-1", 404, null, null, 55, 59));
    before.add(Operation.cancel("job-1", 204, 60, 61));
    assertThat(rules(before)).containsExactly("lost-job");
  }

  @Test
  void theOraclesAgreeWithKnownValues() {
    assertThat(Oracle.primesUpTo(1_000_000)).isEqualTo(78_498);
    assertThat(Oracle.primesUpTo(1)).isZero();
    // RFC 7914 section 11's PBKDF2-HMAC-SHA256 vector, c = 1
    assertThat(Oracle.pbkdf2("passwd", "salt", 1, 64)).startsWith("55ac046e56e3089fec1691c22544b605");
  }

  @Test
  void aHistoryReadsBackAsItWasWritten(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = dir.resolve("history.jsonl");
    try (History history = new History(file)) {
      clean().forEach(history::add);
    }
    assertThat(History.read(file)).isEqualTo(clean());
  }
}
