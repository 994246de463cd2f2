// Follows GET /v1/cluster/events: the nodes table, the totals, the failures, and the throughput and
// latency charts, which start from the last five minutes of GET /v1/cluster/history.
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
/** Per node: the last count of its batches' answered items and its time, for their items/s. */
const lastBatchItems = new Map();
/**
 * The charts' data: seconds, the cluster total, one rate series per node, and per node its compute
 * p50 and p99 (aligned, null where unknown).
 */
const chartData = { times: [], total: [], nodes: new Map(), p50: new Map(), p99: new Map() };
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

/** Items/s of the batches a node reads, or null while it reads none (or no earlier count is known). */
function batchRateOf(node, stats, time) {
  if (!stats || stats.batchItems == null) return null;
  const previous = lastBatchItems.get(node);
  lastBatchItems.set(node, { time, items: stats.batchItems });
  if (!previous || time <= previous.time || stats.batchItems < previous.items) return null;
  return ((stats.batchItems - previous.items) * 1000) / (time - previous.time);
}

function onSnapshot(snapshot) {
  const members = snapshot.members || [];
  const rates = new Map();
  for (const m of members) rates.set(m.node, rateOf(m.node, m.load, snapshot.time));
  for (const node of [...lastLoad.keys()]) if (!rates.has(node)) lastLoad.delete(node);
  const batchRates = new Map();
  for (const m of members) batchRates.set(m.node, batchRateOf(m.node, m.stats, snapshot.time));
  for (const node of [...lastBatchItems.keys()]) if (!batchRates.has(node)) lastBatchItems.delete(node);

  snapshots++;
  document.body.dataset.snapshots = String(snapshots); // for tests: how many have been drawn
  setText("self", snapshot.self || "–");
  setText("updated", fmtTime(snapshot.time));
  renderTotals(members, rates, snapshot.failures || []);
  renderNodes(snapshot.self, members, rates, batchRates);
  renderSupervisor(snapshot.supervisor);
  renderFailures(snapshot.failures || []);
  renderTenants(members);
  const latencies = new Map();
  for (const m of members) {
    if (m.stats) latencies.set(m.node, { p50: m.stats.computeP50Ms ?? null, p99: m.stats.computeP99Ms ?? null });
  }
  record(Math.round(snapshot.time / 1000), rates, latencies);
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

const NODE_FIELDS = ["node", "status", "reachable", "busy", "queued", "rate", "completed", "p50", "p99", "ok", "notOk",
  "batches"];
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

function renderNodes(self, members, rates, batchRates) {
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
    const batches = cell("batches");
    const batchRate = batchRates.get(m.node);
    batches.textContent = stats && stats.batches > 0
      ? `${stats.batches} · ${batchRate == null ? "–" : fmtRate(batchRate)} items/s` : "–";
    batches.title = stats ? `${fmtCount(stats.batchItems)} items of this node's batches answered so far` : "";
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

/** Running and queued tasks by tenant, summed over the members that answered. */
function renderTenants(members) {
  const totals = new Map();
  for (const m of members) {
    for (const [tenant, load] of Object.entries(m.tenants || {})) {
      const t = totals.get(tenant) || { running: 0, queued: 0 };
      t.running += load.running;
      t.queued += load.queued;
      totals.set(tenant, t);
    }
  }
  const busy = [...totals.entries()].filter(([, t]) => t.running + t.queued > 0)
    .sort((a, b) => (b[1].running + b[1].queued) - (a[1].running + a[1].queued) || a[0].localeCompare(b[0]));
  const tbody = $("tenants").tBodies[0];
  tbody.replaceChildren();
  for (const [tenant, t] of busy) {
    const row = tbody.insertRow();
    row.dataset.tenant = tenant;
    for (const [field, text] of [["tenant", tenant], ["running", fmtCount(t.running)], ["queued", fmtCount(t.queued)]]) {
      const cell = row.insertCell();
      cell.dataset.field = field;
      cell.textContent = text;
      if (field !== "tenant") cell.className = "num";
    }
  }
  show($("no-tenants"), busy.length === 0);
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

/** Appends one second: the nodes' rates and latencies (null where unknown); drops what is older than the window. */
function record(seconds, rates, latencies) {
  const h = chartData;
  if (h.times.length && seconds <= h.times[h.times.length - 1]) return; // the history already has it
  const known = [...rates.values()].filter((r) => r != null);
  h.times.push(seconds);
  h.total.push(known.length ? known.reduce((a, b) => a + b, 0) : null);
  for (const node of rates.keys()) {
    if (!h.nodes.has(node)) h.nodes.set(node, new Array(h.times.length - 1).fill(null));
  }
  for (const [node, series] of h.nodes) series.push(rates.has(node) ? rates.get(node) : null);
  for (const [node, l] of latencies) {
    for (const [map, value] of [[h.p50, l.p50], [h.p99, l.p99]]) {
      if (!map.has(node)) map.set(node, new Array(h.times.length - 1).fill(null));
    }
  }
  for (const [map, key] of [[h.p50, "p50"], [h.p99, "p99"]]) {
    for (const [node, series] of map) series.push(latencies.has(node) ? latencies.get(node)[key] : null);
  }
  while (h.times.length && h.times[0] < seconds - CHART_SECONDS) {
    h.times.shift();
    h.total.shift();
    for (const map of [h.nodes, h.p50, h.p99]) for (const series of map.values()) series.shift();
  }
  for (const map of [h.nodes, h.p50, h.p99]) {
    for (const [node, series] of map) if (series.every((v) => v == null)) map.delete(node);
  }
}

/**
 * The last five minutes as every node kept them (GET /v1/cluster/history), so that a new tab
 * shows them at once; the live snapshots carry on from its last second.
 */
async function loadHistory() {
  let body;
  try {
    body = await (await api("GET", "/v1/cluster/history")).json();
  } catch (e) {
    return; // the live stream still fills the charts, from now on
  }
  // each node samples at its own instant within the second: one row per whole second
  const bySecond = new Map();
  for (const n of body.nodes) {
    for (const s of n.samples) {
      const second = Math.round(s.time / 1000);
      if (!bySecond.has(second)) bySecond.set(second, new Map());
      bySecond.get(second).set(n.node, s);
    }
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  const last = new Map(); // a node's sample of the second before, for a second it has none (phase drift)
  for (const second of seconds) {
    const rates = new Map();
    const latencies = new Map();
    for (const n of body.nodes) {
      let s = bySecond.get(second).get(n.node);
      const before = last.get(n.node);
      if (s) last.set(n.node, { second, s });
      else if (before && second - before.second <= 2) s = before.s;
      if (!s) continue;
      rates.set(n.node, s.rate);
      latencies.set(n.node, { p50: s.computeP50Ms ?? null, p99: s.computeP99Ms ?? null });
    }
    record(second, rates, latencies);
  }
  document.body.dataset.historyPoints = String(chartData.times.length); // for tests: what came from the server
  drawChart();
}

function localTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], {
    hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

/** The legend's time: the same clock as the axis (uPlot's default is a date at minute precision). */
function timeSeries() { // a new object per chart: uPlot writes its state into each series
  return { value: (u, v) => (v == null ? "–" : localTime(v)) };
}

/** Local wall-clock labels for the time axis (uPlot's own would follow its scale's unit and locale). */
function timeLabels(u, splits) {
  const labels = splits.map((s) => (s == null ? "" : localTime(s)));
  u.root.parentElement.dataset.xLabels = labels.join(" "); // for tests: what the axis shows
  return labels;
}

function timeScale() {
  // the window grows to CHART_SECONDS, from a minute: a few points do not fill the width
  return {
    time: true,
    range: (u, min, max) => {
      const end = max == null ? Date.now() / 1000 : max;
      const start = min == null ? end - 60 : min;
      return [end - Math.min(CHART_SECONDS, Math.max(60, end - start)), end];
    },
  };
}

function chartOptions(nodes) {
  const series = [{ label: "total", stroke: "#1d2533", width: 2, value: (u, v) => fmtRate(v) }];
  nodes.forEach((node, i) => series.push({
    label: node, stroke: COLORS[i % COLORS.length], width: 1.25, value: (u, v) => fmtRate(v),
  }));
  return timeChartOptions($("chart"), 240, series, "tasks/s");
}

/** p99 of every node (solid) and its p50 (dashed), when there are at most MAX_NODE_SERIES / 2 nodes; else p99 only. */
function latencyOptions(nodes, withP50) {
  const series = [];
  nodes.forEach((node, i) => {
    series.push({ label: `${node} p99`, stroke: COLORS[i % COLORS.length], width: 1.5, value: (u, v) => fmtMs(v) });
    if (withP50) {
      series.push({
        label: `${node} p50`, stroke: COLORS[i % COLORS.length], width: 1, dash: [4, 4], value: (u, v) => fmtMs(v),
      });
    }
  });
  return timeChartOptions($("latency"), 200, series, "compute ms");
}

/** A chart over local time: its time series, then `series`; y from 0; no drag-zoom. */
function timeChartOptions(element, height, series, yLabel) {
  return {
    width: chartWidth(element),
    height,
    series: [timeSeries(), ...series],
    scales: { x: timeScale(), y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    axes: [{ values: timeLabels }, { label: yLabel, size: 56 }],
    cursor: { drag: { x: false, y: false } },
  };
}

function chartWidth(element) {
  return Math.max(300, element.clientWidth);
}

let latency = null;
let latencyNodes = "";

function drawChart() {
  // one line per node when there are a few (one node alone would only repeat the total)
  const count = chartData.nodes.size;
  const nodes = count > 1 && count <= MAX_NODE_SERIES ? [...chartData.nodes.keys()] : [];
  const data = [chartData.times, chartData.total, ...nodes.map((n) => chartData.nodes.get(n))];
  const key = nodes.join(",");
  if (chart && key === chartNodes) {
    chart.setData(data);
  } else {
    if (chart) chart.destroy();
    chartNodes = key;
    chart = new uPlot(chartOptions(nodes), data, $("chart"));
  }
  // the legend shows the latest rates unless the pointer is over the chart
  if (chart.cursor.left == null || chart.cursor.left < 0) chart.setLegend({ idx: chartData.times.length - 1 });
  drawLatency();
}

function drawLatency() {
  const nodes = [...chartData.p99.keys()].slice(0, MAX_NODE_SERIES);
  const withP50 = nodes.length <= MAX_NODE_SERIES / 2;
  const data = [chartData.times];
  for (const node of nodes) {
    data.push(chartData.p99.get(node));
    if (withP50) data.push(chartData.p50.get(node) || new Array(chartData.times.length).fill(null));
  }
  const key = `${nodes.join(",")}|${withP50}`;
  if (latency && key === latencyNodes) {
    latency.setData(data);
  } else {
    if (latency) latency.destroy();
    latencyNodes = key;
    latency = new uPlot(latencyOptions(nodes, withP50), data, $("latency"));
  }
  if (latency.cursor.left == null || latency.cursor.left < 0) latency.setLegend({ idx: chartData.times.length - 1 });
}

window.addEventListener("resize", () => {
  if (chart) chart.setSize({ width: chartWidth($("chart")), height: 240 });
  if (latency) latency.setSize({ width: chartWidth($("latency")), height: 200 });
});
