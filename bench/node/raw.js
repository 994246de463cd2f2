'use strict';

// The raw compute limit of JavaScript on this machine: count(LIMIT) in a tight loop on THREADS
// worker_threads for SECONDS seconds, after a 2 s warm-up on each thread; no server, no pool.
// Prints {"threads":T,"seconds":S,"limit":L,"tasksPerSecond":X} (X in total across threads;
// S is the measured time, from the start signal until the last thread stopped).
//
//   node raw.js THREADS SECONDS LIMIT

const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { count } = require('./sieve');

const WARM_MS = 2000;

if (isMainThread) {
  const [threads, seconds, limit] = process.argv.slice(2).map(Number);
  if (!(Number.isInteger(threads) && threads >= 1 && seconds > 0 && Number.isInteger(limit) && limit >= 0)) {
    console.error('usage: node raw.js THREADS SECONDS LIMIT');
    process.exit(2);
  }
  // [0] go, [1] stop: set by this thread, read by the workers
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const workers = [];
  let ready = 0;
  let finished = 0;
  let done = 0;
  let start = 0;
  for (let i = 0; i < threads; i++) {
    const w = new Worker(__filename, { workerData: { limit, flags } });
    w.on('error', (e) => { console.error(e); process.exit(1); });
    w.on('message', (msg) => {
      if (msg.type === 'ready' && ++ready === threads) {
        start = performance.now();
        Atomics.store(flags, 0, 1);
        Atomics.notify(flags, 0);
        setTimeout(() => Atomics.store(flags, 1, 1), seconds * 1000);
      } else if (msg.type === 'done') {
        done += msg.tasks;
        if (++finished === threads) {
          const elapsed = (performance.now() - start) / 1000;
          console.log(JSON.stringify({
            threads,
            seconds: Math.round(elapsed * 100) / 100,
            limit,
            tasksPerSecond: Math.round((done / elapsed) * 10) / 10,
          }));
          for (const x of workers) x.terminate();
        }
      }
    });
    workers.push(w);
  }
} else {
  const { limit, flags } = workerData;
  let sink = 0;
  const warmEnd = performance.now() + WARM_MS;
  while (performance.now() < warmEnd) sink += count(limit);
  parentPort.postMessage({ type: 'ready' });
  Atomics.wait(flags, 0, 0);
  let tasks = 0;
  while (Atomics.load(flags, 1) === 0) {
    if (count(limit) >= 0) tasks++;
  }
  parentPort.postMessage({ type: 'done', tasks, sink });
}
