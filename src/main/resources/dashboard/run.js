// Runs a task (POST /v1/tasks/{kind}) or a job (POST /v1/jobs/{kind}) from the form, and follows the job's events.
"use strict";

const FINAL = new Set(["succeeded", "failed", "cancelled"]);

const kinds = new Map();
let kindsLoading = false;

async function loadKinds() {
  kindsLoading = true;
  try {
    const list = await (await api("GET", "/v1/kinds")).json();
    kinds.clear();
    const select = $("kind");
    const chosen = select.value;
    select.replaceChildren();
    for (const k of list) {
      kinds.set(k.kind, k);
      select.add(new Option(k.kind, k.kind));
    }
    if (kinds.has(chosen)) select.value = chosen;
    onKindChosen();
    fillJobKinds();
    showSubmitError("");
  } catch (e) {
    showSubmitError(`Could not list the kinds: ${e.message}`);
  } finally {
    kindsLoading = false;
  }
}

function onKindChosen() {
  const k = kinds.get($("kind").value);
  $("input").value = k ? JSON.stringify(k.example, null, 2) : "";
  setText("kind-description", k ? k.description : "");
}

function showSubmitError(text) {
  setText("submit-error", text);
  show($("submit-error"), Boolean(text));
}

function submitPath(mode) {
  const timeout = $("timeout").value.trim();
  const kind = encodeURIComponent($("kind").value);
  return `/v1/${mode === "job" ? "jobs" : "tasks"}/${kind}${timeout ? `?timeoutMs=${encodeURIComponent(timeout)}` : ""}`;
}

async function onSubmit(event) {
  event.preventDefault();
  const mode = event.submitter && event.submitter.value === "job" ? "job" : "task";
  showSubmitError("");
  if (!$("kind").value) {
    showSubmitError("No kind to run: the kinds could not be listed.");
    return;
  }
  const button = mode === "job" ? $("submit-job") : $("run-task");
  button.disabled = true;
  try {
    if (mode === "job") await submitJob();
    else await runTask();
  } catch (e) {
    showSubmitError(e.message);
  } finally {
    button.disabled = false;
  }
}

async function runTask() {
  const panel = $("task");
  setTaskStatus("running", "running");
  setText("task-meta", "");
  setText("task-result", "");
  show($("task-image"), false);
  show(panel, true);
  const started = performance.now();
  try {
    const answer = await (await api("POST", submitPath("task"), $("input").value)).json();
    const took = Math.round(performance.now() - started);
    setTaskStatus("succeeded", "succeeded");
    setText("task-meta", `computed by ${answer.node}, received by ${answer.receivedBy}; `
      + `queued ${answer.queueMs} ms, computed ${answer.computeMs} ms, ${took} ms in all`);
    showResult(answer.result, $("task-result"), $("task-image"));
  } catch (e) {
    setTaskStatus("failed", e.status ? `failed (${e.status})` : "failed");
    setText("task-result", e.message);
  }
}

function setTaskStatus(status, text) {
  $("task").dataset.status = status;
  $("task-status").dataset.status = status;
  setText("task-status", text);
}

/** Pretty JSON of a result; a base64 PNG (mandelbrot) is drawn instead of printed. */
function showResult(result, pre, img) {
  let shown = result;
  if (result && typeof result.png === "string") {
    img.src = `data:image/png;base64,${result.png}`;
    show(img, true);
    shown = { ...result, png: `(${result.png.length} characters of base64 PNG, drawn above)` };
  } else {
    show(img, false);
  }
  pre.textContent = JSON.stringify(shown, null, 2);
  show(pre, true);
}

let jobWatch = null;

async function submitJob() {
  const response = await api("POST", submitPath("job"), $("input").value);
  const view = await response.json();
  openJob(view, response.headers.get("Location") || `/v1/jobs/${encodeURIComponent(view.id)}`);
  showJobsPage(); // the table shows it too
}

/** Shows a job in the job panel and follows it until it ends (submitted here, or chosen in the jobs table). */
function openJob(view, location) {
  show($("job"), true);
  show($("job-error"), false);
  show($("job-result"), false);
  show($("job-image"), false);
  setText("job-id", view.id);
  $("job").dataset.id = view.id;
  showJob(view);
  if (FINAL.has(view.status)) {
    if (jobWatch) jobWatch.abort();
  } else {
    watchJob(view.id, location);
  }
}

/** Follows a job's events until its final status; reconnects (the stream starts with the status) if cut. */
async function watchJob(id, location) {
  if (jobWatch) jobWatch.abort();
  const controller = new AbortController();
  jobWatch = controller;
  let final = false;
  let backoff = 500;
  while (!final && !controller.signal.aborted) {
    try {
      await readEvents(`${location}/events`, authHeaders(), controller.signal, (type, data) => {
        if (type === "status") {
          const view = JSON.parse(data);
          showJob(view);
          final = FINAL.has(view.status);
        } else if (type === "progress") {
          showProgress(JSON.parse(data).progress);
        }
      });
    } catch (e) {
      if (controller.signal.aborted) return;
      if (e instanceof HttpProblem && e.status < 500) {
        showJobError(e.message);
        return;
      }
    }
    if (!final) {
      await delay(backoff);
      backoff = Math.min(backoff * 2, 10000);
    }
  }
}

function showProgress(progress) {
  const percent = Math.max(0, Math.min(100, Math.round(progress * 100)));
  $("job").dataset.progress = String(percent);
  $("job-bar").style.width = `${percent}%`;
  $("job-bar").parentElement.setAttribute("aria-valuenow", String(percent));
  setText("job-progress", `${percent} %`);
}

function showJob(view) {
  const job = $("job");
  job.dataset.status = view.status;
  setText("job-status", view.status);
  $("job-status").dataset.status = view.status;
  showProgress(view.status === "succeeded" ? 1 : view.progress || 0);
  const parts = [];
  if (view.node) parts.push(`on ${view.node}`);
  if (view.attempts > 1) parts.push(`attempt ${view.attempts}`);
  if (FINAL.has(view.status)) parts.push(`queued ${view.queueMs} ms, computed ${view.computeMs} ms`);
  setText("job-meta", parts.join(" · "));
  show($("job-cancel"), !FINAL.has(view.status));
  if (view.error) showJobError(view.error.detail || view.error.title);
  if (view.status === "succeeded" && view.result !== undefined) showResult(view.result, $("job-result"), $("job-image"));
}

function showJobError(text) {
  setText("job-error", text);
  show($("job-error"), true);
}

async function cancelJob() {
  const id = $("job").dataset.id;
  try {
    await api("DELETE", `/v1/jobs/${encodeURIComponent(id)}`);
  } catch (e) {
    showJobError(e.message);
  }
}
