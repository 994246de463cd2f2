// Server-sent events over fetch(): EventSource cannot send an Authorization header, and /v1 may need one.
"use strict";

/** Parses the text/event-stream format incrementally; calls onEvent(type, data) for each event. */
class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = "";
    this.type = "";
    this.data = [];
  }

  push(text) {
    this.buffer += text;
    // a line ends at CRLF, LF or CR; a CR at the very end may be half of a CRLF still to come
    const lines = this.buffer.split(/\r\n|\n|\r(?!$)/);
    this.buffer = lines.pop();
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === "") {
      if (this.data.length > 0) this.onEvent(this.type || "message", this.data.join("\n"));
      this.type = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return; // a comment: the server's heartbeat
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
  }
}

/** Thrown for an answer that is not 2xx; detail is the problem+json detail when there is one. */
class HttpProblem extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** The detail of a problem+json answer, or the status line when the body is something else. */
async function problemOf(response) {
  let detail = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && body.detail) detail = body.detail;
  } catch (e) {
    // not JSON: keep the status line
  }
  return new HttpProblem(response.status, detail);
}

/**
 * Reads one event stream to its end. Resolves when the server ends it, rejects on an error
 * answer (an HttpProblem), a broken connection, or the signal's abort.
 */
async function readEvents(url, headers, signal, onEvent) {
  const response = await fetch(url, { headers: { Accept: "text/event-stream", ...headers }, signal, cache: "no-store" });
  if (!response.ok) throw await problemOf(response);
  const parser = new SseParser(onEvent);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parser.push(value);
  }
}
