'use strict';

// The seed's design, as a competent Node user would build it:
// `cluster` for I/O (one process per core, all on one port), `worker_threads` for CPU
// (one Piscina pool per process). Serves the same contract as Anvil:
//   GET  /health           -> {"status":"UP","node":"<pid>","members":N}
//   POST /v1/tasks/sieve   -> {"kind","result","node","receivedBy","queueMs","computeMs"}
//
//   node server.js --port P [--processes N] [--threads T]     (or env PORT, PROCESSES, THREADS)

const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const MAX_BODY = 1024 * 1024; // 1 MiB
const MAX_LIMIT = 200000000;

function options(argv, env) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(port|processes|threads)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument: ${argv[i]}`);
    flags[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  const cores = os.availableParallelism();
  const int = (name, value, fallback, min) => {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, was '${value}'`);
    return n;
  };
  const port = int('port', flags.port ?? env.PORT, undefined, 0);
  if (port === undefined) throw new Error('a port is required: --port P or PORT');
  const processes = int('processes', flags.processes ?? env.PROCESSES, cores, 1);
  const threads = int('threads', flags.threads ?? env.THREADS, Math.max(1, Math.floor(cores / processes)), 1);
  return { port, processes, threads };
}

let opts;
try {
  opts = cluster.isPrimary
    ? options(process.argv.slice(2), process.env)
    : JSON.parse(process.env.ANVIL_NODE_OPTIONS);
} catch (e) {
  console.error(e.message);
  process.exit(2);
}

if (cluster.isPrimary) primary(opts);
else worker(opts);

// ---- the primary: forks the processes, says when all listen, stops them on SIGTERM ----

function primary({ port, processes, threads }) {
  const env = { ANVIL_NODE_OPTIONS: JSON.stringify({ port, processes, threads }) };
  const listening = new Set();
  let announced = false;
  let stopping = false;

  const fork = () => {
    const w = cluster.fork(env);
    w.on('message', (msg) => {
      if (msg && msg.type === 'listening') {
        listening.add(w.id);
        if (!announced && listening.size === processes) {
          announced = true;
          console.log(`node cluster serving http://127.0.0.1:${port} with ${processes} processes x ${threads} threads`);
        }
      }
    });
  };

  cluster.on('exit', (w, code, signal) => {
    listening.delete(w.id);
    if (stopping) {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
      return;
    }
    console.error(`worker ${w.process.pid} exited (${signal || code}); forking a new one`);
    fork();
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const left = Object.values(cluster.workers);
    if (left.length === 0) process.exit(0);
    for (const w of left) w.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
      process.exit(0);
    }, 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  for (let i = 0; i < processes; i++) fork();
}

// ---- a worker process: one HTTP server, one Piscina pool ----

function worker({ port, processes, threads }) {
  const { Piscina } = require('piscina');
  const pool = new Piscina({
    filename: path.resolve(__dirname, 'task.js'),
    minThreads: threads,
    maxThreads: threads,
  });
  const node = String(process.pid);

  const kinds = { sieve: readSieveInput };

  const server = http.createServer((req, res) => {
    const url = req.url;
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);

    if (pathname === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET');
      return json(res, 200, { status: 'UP', node, members: processes });
    }

    const m = /^\/v1\/tasks\/([^/]+)$/.exec(pathname);
    if (!m) return problem(res, 404, 'not-found', `there is no resource at ${abbreviate(pathname)}`);
    if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
    const kind = m[1];
    const readInput = kinds[kind];
    if (!readInput) {
      return problem(res, 404, 'unknown-kind', `there is no kind named '${abbreviate(kind)}'`);
    }
    const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (!(type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))) {
      return problem(res, 415, 'not-json', `the body must be application/json, was ${type || 'none'}`);
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > MAX_BODY) return tooLarge(res);

    const chunks = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk) => {
      if (aborted) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        aborted = true;
        tooLarge(res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (aborted) return;
      let input;
      try {
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
        } catch (e) {
          throw new InvalidInput('', size === 0 ? 'the body is empty; it must be a JSON object' : `malformed JSON: ${e.message}`);
        }
        input = readInput(body);
      } catch (e) {
        if (e instanceof InvalidInput) return problem(res, 400, 'invalid-input', e.message, e.field || undefined);
        throw e;
      }
      const submitted = performance.now();
      pool.run({ kind, input }).then(
        ({ result, computeMs }) => {
          const total = performance.now() - submitted;
          json(res, 200, {
            kind,
            result,
            node,
            receivedBy: node,
            queueMs: Math.max(0, Math.round(total - computeMs)),
            computeMs: Math.round(computeMs),
          });
        },
        (err) => problem(res, 500, 'task-failed', `the task failed on node ${node}: ${abbreviate(String(err && err.message))}`),
      );
    });
  });

  server.listen(port, '127.0.0.1', () => process.send({ type: 'listening' }));

  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    pool.destroy().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown); // the primary went away
}

// ---- input and responses ----

class InvalidInput extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function readSieveInput(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInput('', `the body must be a JSON object, was ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`);
  }
  for (const key of Object.keys(body)) {
    if (key !== 'limit') throw new InvalidInput(key, `unknown field '${abbreviate(key)}'; known fields: [limit]`);
  }
  const limit = body.limit;
  if (limit === undefined || limit === null) throw new InvalidInput('limit', 'limit is required');
  if (typeof limit !== 'number' || !Number.isInteger(limit)) {
    throw new InvalidInput('limit', `limit has a value of the wrong type: ${abbreviate(JSON.stringify(limit))} is not an integer`);
  }
  if (limit < 0 || limit > MAX_LIMIT) {
    throw new InvalidInput('limit', `limit must be between 0 and ${MAX_LIMIT}, was ${limit}`);
  }
  return { limit };
}

function json(res, status, body, type = 'application/json') {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function problem(res, status, slug, detail, field) {
  const body = { type: `urn:anvil:problem:${slug}`, title: http.STATUS_CODES[status], status, detail };
  if (field !== undefined) body.field = field;
  json(res, status, body, 'application/problem+json');
}

function tooLarge(res) {
  // the rest of the body is not read, so this connection cannot be reused
  res.setHeader('Connection', 'close');
  problem(res, 413, 'body-too-large', `the body is larger than the limit of ${MAX_BODY} bytes`);
}

function methodNotAllowed(req, res, allowed) {
  res.setHeader('Allow', allowed);
  problem(res, 405, 'method-not-allowed', `${abbreviate(req.method)} is not supported here; use ${allowed}`);
}

function abbreviate(s) {
  return s.length <= 100 ? s : `${s.slice(0, 100)}...`;
}
