// Follows GET /v1/cluster/events: the nodes table, the totals, the failures and the throughput chart.
"use strict";

const CHART_SECONDS = 300;
const MAX_NODE_SERIES = 8; // past that the chart shows the total only: more lines do not read
const STALE_MS = 5000; // snapshots come every second; none for this long means the stream is stuck
const COLORS = ["#2f6fdf", "#e0712c", "#2a9d6a", "#b4459b", "#8c6d1f", "#4aa3b5", "#d1453b", "#6b5bd2"];

/** Follows one event stream for ever: reconnects with backoff when it ends, fails or goes quiet. */
class ClusterStream {
  constructor(url, onSnapshot, onState) {
    this.url = url;
    this.onSnapshot = onSnapshot;
    this.onState = onState;
    this.generation = 0;
    this.controller = null;
  }

  restart() {
    this.generation++;
    if (this.controller) this.controller.abort();
    this.loop(this.generation);
  }

  async loop(generation) {
    let backoff = 500;
    while (generation === this.generation) {
      const controller = new AbortController();
      this.controller = controller;
      let watchdog = setTimeout(() => controller.abort(), STALE_MS);
      this.onState("connecting");
      let why = "the stream ended";
      try {
        await readEvents(this.url, authHeaders(), controller.signal, (type, data) => {
          if (type !== "snapshot") return;
          clearTimeout(watchdog);
          watchdog = setTimeout(() => controller.abort(), STALE_MS);
          backoff = 500;
          this.onSnapshot(JSON.parse(data));
          this.onState("live");
        });
      } catch (e) {
        why = controller.signal.aborted ? "no snapshot for a while"
          : e instanceof TypeError ? "the server cannot be reached" : e.message; // fetch's own "Failed to fetch"
        if (e instanceof HttpProblem && (e.status === 401 || e.status === 403) && generation === this.generation) {
          clearTimeout(watchdog);
          this.onState("token needed", `${e.message}: enter an API token above`);
          return; // trying again cannot help: the next try comes with the token (restart)
        }
      }
      clearTimeout(watchdog);
      controller.abort();
      if (generation !== this.generation) return;
      this.onState("reconnecting", `${why}; reconnecting in ${Math.max(1, Math.round(backoff / 1000))} s`);
      await delay(backoff);
      backoff = Math.min(backoff * 2, 15000);
    }
  }
}

function onStreamState(state, detail) {
  const pill = $("connection");
  pill.dataset.state = state;
  pill.textContent = state;
  $("stream-error").textContent = detail || "";
  show($("stream-error"), Boolean(detail));
  if (state === "live" && kinds.size === 0 && !kindsLoading) loadKinds();
}

/** Per node: the last completed count and its time, for tasks/s. */
const lastLoad = new Map();
/** The chart's data: seconds, the cluster total, and one series per node (aligned, null where unknown). */
const history = { times: [], total: [], nodes: new Map() };
let chart = null;
let chartNodes = "";
let lastFailures = "";
let snapshots = 0;

function rateOf(node, load, time) {
  if (!load) return null; // no answer this time: the next delta spans the gap
  const previous = lastLoad.get(node);
  lastLoad.set(node, { time, completed: load.completed });
  if (!previous || time <= previous.time || load.completed < previous.completed) return null;
  return ((load.completed - previous.completed) * 1000) / (time - previous.time);
}

function onSnapshot(snapshot) {
  const members = snapshot.members || [];
  const rates = new Map();
  for (const m of members) rates.set(m.node, rateOf(m.node, m.load, snapshot.time));
  for (const node of [...lastLoad.keys()]) if (!rates.has(node)) lastLoad.delete(node);

  snapshots++;
  document.body.dataset.snapshots = String(snapshots); // for tests: how many have been drawn
  setText("self", snapshot.self || "–");
  setText("updated", fmtTime(snapshot.time));
  renderTotals(members, rates, snapshot.failures || []);
  renderNodes(snapshot.self, members, rates);
  renderSupervisor(snapshot.supervisor);
  renderFailures(snapshot.failures || []);
  record(snapshot.time, rates);
  drawChart();
}

function renderTotals(members, rates, failures) {
  const sum = (f) => members.reduce((acc, m) => acc + (m.load ? f(m.load) : 0), 0);
  const known = [...rates.values()].filter((r) => r != null);
  setText("total-members", `${members.filter((m) => m.status === "Up").length} / ${members.length}`);
  setText("total-rate", known.length ? fmtRate(known.reduce((a, b) => a + b, 0)) : "–");
  setText("total-busy", `${sum((l) => l.running)} / ${sum((l) => l.workers)}`);
  setText("total-queued", fmtCount(sum((l) => l.queued)));
  setText("total-failures", String(failures.length));
}

const NODE_FIELDS = ["node", "status", "reachable", "busy", "queued", "rate", "completed", "p50", "p99", "ok", "notOk"];
const NUMERIC = new Set(["queued", "rate", "completed", "p50", "p99", "ok", "notOk"]);

function nodeRow(tbody, node) {
  for (const row of tbody.rows) if (row.dataset.node === node) return row;
  const row = tbody.insertRow();
  row.dataset.node = node;
  for (const field of NODE_FIELDS) {
    const cell = row.insertCell();
    cell.dataset.field = field;
    if (NUMERIC.has(field)) cell.className = "num";
  }
  const busy = row.cells[NODE_FIELDS.indexOf("busy")];
  const meter = document.createElement("span");
  meter.className = "meter";
  meter.appendChild(document.createElement("span")).className = "fill";
  busy.append(meter, document.createElement("span"));
  return row;
}

function renderNodes(self, members, rates) {
  const tbody = $("nodes").tBodies[0];
  const present = new Set(members.map((m) => m.node));
  for (const row of [...tbody.rows]) if (!present.has(row.dataset.node)) row.remove();
  members.forEach((m, i) => {
    const row = nodeRow(tbody, m.node);
    if (row.sectionRowIndex !== i) tbody.insertBefore(row, tbody.rows[i]);
    const cell = (field) => row.cells[NODE_FIELDS.indexOf(field)];
    const load = m.load;
    const stats = m.stats;
    const tasks = stats && stats.tasks;
    row.dataset.status = m.status;
    row.dataset.reachable = String(m.reachable);
    row.classList.toggle("self", m.node === self);
    row.classList.toggle("stale", !load);

    cell("node").textContent = m.node === self ? `${m.node} (this node)` : m.node;
    cell("status").textContent = m.status;
    cell("status").className = `status status-${m.status.toLowerCase()}`;
    cell("reachable").textContent = m.reachable ? "yes" : "no";
    cell("reachable").className = m.reachable ? "" : "bad";
    const busy = cell("busy");
    busy.lastChild.textContent = load ? `${load.running} / ${load.workers}` : "no answer";
    busy.querySelector(".fill").style.width = load && load.workers ? `${(100 * load.running) / load.workers}%` : "0";
    busy.title = load && load.stuck ? `${load.stuck} stuck worker thread(s) replaced` : "";
    cell("queued").textContent = load ? fmtCount(load.queued) : "–";
    cell("rate").textContent = fmtRate(rates.get(m.node));
    cell("completed").textContent = load ? fmtCount(load.completed) : "–";
    cell("p50").textContent = stats ? fmtMs(stats.computeP50Ms) : "–";
    cell("p99").textContent = stats ? fmtMs(stats.computeP99Ms) : "–";
    cell("ok").textContent = tasks ? fmtCount(tasks.succeeded) : "–";
    const notOk = cell("notOk");
    if (tasks) {
      const bad = (tasks.failed || 0) + (tasks.rejected || 0) + (tasks.timed_out || 0) + (tasks.cancelled || 0);
      notOk.textContent = fmtCount(bad);
      notOk.title = `failed ${tasks.failed}, rejected ${tasks.rejected}, timed out ${tasks.timed_out}, `
        + `cancelled ${tasks.cancelled}`;
      notOk.classList.toggle("bad", bad > 0);
    } else {
      notOk.textContent = "–";
      notOk.title = "";
    }
  });
}

function renderSupervisor(supervisor) {
  const p = $("supervisor");
  if (!supervisor || !Array.isArray(supervisor.slots)) {
    show(p, false);
    return;
  }
  const slots = supervisor.slots.map((s) => `slot ${s.slot} ${s.state}${s.node ? ` (${s.node})` : ""}`);
  p.textContent = `Supervisor, pid ${supervisor.supervisor}: ${slots.join(" · ")}`;
  show(p, true);
}

function renderFailures(failures) {
  const key = JSON.stringify(failures);
  if (key === lastFailures) return; // unchanged: keep the rows (and any text selected in them)
  lastFailures = key;
  const tbody = $("failures").tBodies[0];
  tbody.replaceChildren();
  for (const f of failures) {
    const row = tbody.insertRow();
    row.dataset.outcome = f.outcome;
    for (const [field, text] of [["time", fmtTime(f.time)], ["node", f.node], ["kind", f.kind],
      ["outcome", f.outcome], ["status", f.status], ["detail", f.detail]]) {
      const cell = row.insertCell();
      cell.dataset.field = field;
      cell.textContent = text == null ? "" : String(text);
      if (field === "status") cell.className = "num";
    }
  }
  show($("no-failures"), failures.length === 0);
}

function record(timeMs, rates) {
  const h = history;
  const known = [...rates.values()].filter((r) => r != null);
  h.times.push(timeMs / 1000);
  h.total.push(known.length ? known.reduce((a, b) => a + b, 0) : null);
  for (const [node, rate] of rates) {
    if (!h.nodes.has(node)) h.nodes.set(node, new Array(h.times.length - 1).fill(null));
  }
  for (const [node, series] of h.nodes) series.push(rates.has(node) ? rates.get(node) : null);
  while (h.times.length && h.times[0] < timeMs / 1000 - CHART_SECONDS) {
    h.times.shift();
    h.total.shift();
    for (const series of h.nodes.values()) series.shift();
  }
  for (const [node, series] of h.nodes) if (series.every((v) => v == null)) h.nodes.delete(node);
}

function chartOptions(nodes) {
  const series = [{}, { label: "total", stroke: "#1d2533", width: 2, value: (u, v) => fmtRate(v) }];
  nodes.forEach((node, i) => series.push({
    label: node, stroke: COLORS[i % COLORS.length], width: 1.25, value: (u, v) => fmtRate(v),
  }));
  return {
    width: chartWidth(),
    height: 240,
    series,
    scales: {
      // the window grows to CHART_SECONDS, from a minute: a few points do not fill the width
      x: { time: true, range: (u, min, max) => [max - Math.min(CHART_SECONDS, Math.max(60, max - min)), max] },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] },
    },
    axes: [{}, { label: "tasks/s", size: 56 }],
    cursor: { drag: { x: false, y: false } },
  };
}

function chartWidth() {
  return Math.max(300, $("chart").clientWidth);
}

function drawChart() {
  // one line per node when there are a few (one node alone would only repeat the total)
  const count = history.nodes.size;
  const nodes = count > 1 && count <= MAX_NODE_SERIES ? [...history.nodes.keys()] : [];
  const data = [history.times, history.total, ...nodes.map((n) => history.nodes.get(n))];
  const key = nodes.join(",");
  if (chart && key === chartNodes) {
    chart.setData(data);
  } else {
    if (chart) chart.destroy();
    chartNodes = key;
    chart = new uPlot(chartOptions(nodes), data, $("chart"));
  }
  // the legend shows the latest rates unless the pointer is over the chart
  if (chart.cursor.left == null || chart.cursor.left < 0) chart.setLegend({ idx: history.times.length - 1 });
}

window.addEventListener("resize", () => {
  if (chart) chart.setSize({ width: chartWidth(), height: 240 });
});
