'use strict';

// The Piscina task module: runs one task on a worker thread.
// Takes {kind, input}, returns {result, computeMs}.

const { performance } = require('node:perf_hooks');
const { count } = require('./sieve');

const kinds = {
  sieve(input) {
    return { limit: input.limit, count: count(input.limit) };
  },
};

module.exports = function run({ kind, input }) {
  const task = kinds[kind];
  if (!task) throw new Error(`unknown kind ${kind}`);
  const start = performance.now();
  const result = task(input);
  return { result, computeMs: performance.now() - start };
};
