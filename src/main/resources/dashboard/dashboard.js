// The live dashboard: what the other scripts share, and the start. Plain scripts, no framework,
// no build; every value goes into the page with textContent. cluster.js follows the cluster,
// run.js runs tasks and jobs, jobs.js lists the jobs, sse.js reads event streams; this one loads last.
"use strict";

const TOKEN_KEY = "anvil.token";

const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function authHeaders() {
  return token() ? { Authorization: `Bearer ${token()}` } : {};
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", ...authHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body, cache: "no-store" });
  if (!response.ok) throw await problemOf(response);
  return response;
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fmtRate(r) {
  if (r == null) return "–";
  return r >= 100 ? String(Math.round(r)) : r.toFixed(1);
}

function fmtMs(ms) {
  if (ms == null) return "–";
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(ms >= 10 ? 1 : 2);
}

const fmtCount = (n) => (n == null ? "–" : n.toLocaleString("en-US"));
const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

function show(element, visible) {
  element.hidden = !visible;
}

function setText(id, text) {
  $(id).textContent = text;
}

const stream = new ClusterStream("/v1/cluster/events", onSnapshot, onStreamState);

function onToken(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  stream.restart();
  loadKinds();
  loadJobs();
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = token();
  $("token-form").addEventListener("submit", onToken);
  $("kind").addEventListener("change", onKindChosen);
  $("submit-form").addEventListener("submit", onSubmit);
  $("job-cancel").addEventListener("click", cancelJob);
  $("jobs-filter").addEventListener("change", () => loadJobs());
  $("jobs-newer").addEventListener("click", newerJobs);
  $("jobs-older").addEventListener("click", olderJobs);
  $("jobs").tBodies[0].addEventListener("click", onJobRowClicked);
  drawChart();
  // the stream's snapshots carry on from the history's last second, so the history comes first
  loadHistory().finally(() => stream.restart());
  loadKinds();
  loadJobs();
});
