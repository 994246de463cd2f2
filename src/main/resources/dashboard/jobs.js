// The jobs table: GET /v1/jobs, newest first, by status and kind, a page at a time (the listing's
// cursors); a click shows the job in the job panel and follows it live (run.js).
"use strict";

const JOBS_PAGE = 20;
const JOBS_REFRESH_MS = 3000;

/** Cursors of the pages before the one shown (to go back); the shown page's own cursor (null: the newest). */
const pageCursors = [];
let pageCursor = null;
let jobsRequest = 0;

function jobsQuery(cursor) {
  const query = new URLSearchParams({ limit: String(JOBS_PAGE) });
  if ($("jobs-status").value) query.set("status", $("jobs-status").value);
  if ($("jobs-kind").value) query.set("kind", $("jobs-kind").value);
  if (cursor) query.set("cursor", cursor);
  return `/v1/jobs?${query}`;
}

/** The newest page (a filter changed, or the token). */
function loadJobs() {
  pageCursors.length = 0;
  pageCursor = null;
  return showJobsPage();
}

function olderJobs() {
  const next = $("jobs-older").dataset.cursor;
  if (!next) return;
  pageCursors.push(pageCursor);
  pageCursor = next;
  showJobsPage();
}

function newerJobs() {
  if (!pageCursors.length) return;
  pageCursor = pageCursors.pop();
  showJobsPage();
}

async function showJobsPage() {
  const request = ++jobsRequest;
  try {
    const page = await (await api("GET", jobsQuery(pageCursor))).json();
    if (request !== jobsRequest) return; // a newer request was made meanwhile
    renderJobs(page.jobs);
    $("jobs-older").dataset.cursor = page.next || "";
    $("jobs-older").disabled = !page.next;
    $("jobs-newer").disabled = pageCursors.length === 0;
    setText("jobs-page", pageCursors.length === 0 ? "newest" : `page ${pageCursors.length + 1}`);
    show($("jobs-error"), false);
  } catch (e) {
    if (request !== jobsRequest) return;
    setText("jobs-error", `Could not list the jobs: ${e.message}`);
    show($("jobs-error"), true);
  }
}

const JOB_FIELDS = ["id", "kind", "status", "attempts", "node", "submitted", "queueMs", "computeMs"];

function renderJobs(jobs) {
  const tbody = $("jobs").tBodies[0];
  tbody.replaceChildren();
  for (const job of jobs) {
    const row = tbody.insertRow();
    row.dataset.id = job.id;
    row.dataset.status = job.status;
    row.tabIndex = 0;
    row.title = "show this job";
    row.classList.toggle("chosen", job.id === $("job").dataset.id);
    const values = {
      id: job.id, kind: job.kind, status: job.status, attempts: job.attempts, node: job.node || "–",
      submitted: job.submittedAt ? fmtTime(job.submittedAt) : "–",
      queueMs: FINAL.has(job.status) ? job.queueMs : "–", computeMs: FINAL.has(job.status) ? job.computeMs : "–",
    };
    for (const field of JOB_FIELDS) {
      const cell = row.insertCell();
      cell.dataset.field = field;
      if (field === "status") {
        const pill = cell.appendChild(document.createElement("span"));
        pill.className = "pill";
        pill.dataset.status = job.status;
        pill.textContent = job.status;
      } else {
        cell.textContent = String(values[field]);
      }
      if (["attempts", "queueMs", "computeMs"].includes(field)) cell.className = "num";
      if (field === "id") { // the first 8 of its 24 hex digits, as git shows a commit; the whole id on hover
        cell.className = "id";
        cell.title = job.id;
        cell.textContent = job.id.slice(0, 8) + "…";
      }
    }
  }
  show($("no-jobs"), jobs.length === 0);
}

/** The kinds the filter offers: those the cluster has (run.js lists them). */
function fillJobKinds() {
  const select = $("jobs-kind");
  const chosen = select.value;
  select.replaceChildren(new Option("any kind", ""));
  for (const kind of kinds.keys()) select.add(new Option(kind, kind));
  select.value = kinds.has(chosen) ? chosen : "";
}

async function onJobRowClicked(event) {
  const row = event.target.closest("tr");
  if (!row || !row.dataset.id) return;
  for (const r of row.parentElement.rows) r.classList.toggle("chosen", r === row);
  try {
    const view = await (await api("GET", `/v1/jobs/${encodeURIComponent(row.dataset.id)}`)).json();
    openJob(view, `/v1/jobs/${encodeURIComponent(view.id)}`);
    $("job").scrollIntoView({ block: "nearest" });
  } catch (e) {
    setText("jobs-error", e.message);
    show($("jobs-error"), true);
  }
}

// the newest page follows new jobs and their ends; an older page stays as it was read
setInterval(() => {
  if (pageCursor === null && !document.hidden) showJobsPage();
}, JOBS_REFRESH_MS);
