'use strict';

// The plain sieve of Eratosthenes, ported line for line from the Java reference:
// one flag per number in a Uint8Array (the Java byte[]), no odd-only or segmented tricks.

/** The number of primes <= limit. */
function count(limit) {
  if (limit < 2) return 0;
  const composite = new Uint8Array(limit + 1);
  let count = 0;
  for (let i = 2; i <= limit; i++) {
    if (composite[i] === 0) {
      count++;
      if (i * i <= limit) {
        for (let j = i * i; j <= limit; j += i) composite[j] = 1;
      }
    }
  }
  return count;
}

module.exports = { count };
