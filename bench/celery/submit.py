"""Submit COUNT noop tasks from CONCURRENCY threads and wait for all results.

usage: python submit.py COUNT CONCURRENCY

Each `noop.delay(i)` is timed on its own: when it returns, the message is in
the broker (Celery's equivalent of an HTTP 202). After its share is
submitted, each thread waits for its own results (ResultSet.join_native,
bounded by RESULT_TIMEOUT_S). completed_per_s is COUNT over the time from
the first timed submission to the moment the last result was seen.

Before the timed part each thread submits and awaits WARMUP tasks (default
1) so connection set-up is not measured. Prints one JSON line on stdout.
Environment: REDIS_PORT / REDIS_URL (see tasks.py), RESULT_TIMEOUT_S,
WARMUP.
"""
import json
import os
import sys
import threading
import time

import billiard
import celery
import kombu
import redis
from celery.result import ResultSet


def pct(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: submit.py COUNT CONCURRENCY")
    count = int(sys.argv[1])
    conc = int(sys.argv[2])
    if count < 1 or not 1 <= conc <= 256:
        sys.exit("COUNT must be >= 1 and CONCURRENCY in 1..256")
    conc = min(conc, count)
    result_timeout = float(os.environ.get("RESULT_TIMEOUT_S", str(max(60.0, count / 100.0))))
    warmup = int(os.environ.get("WARMUP", "1"))

    # Enough pooled broker connections that CONCURRENCY publishers never queue
    # on the pool (must be set before tasks.app is first used).
    os.environ.setdefault("CELERY_BROKER_POOL_LIMIT", str(max(10, conc + 2)))
    from tasks import app, noop, BROKER_URL

    next_i = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(conc + 1)
    per_thread = [None] * conc  # (latencies_s, first_start, last_submit_end, done_at, error)

    def take():
        with lock:
            i = next_i[0]
            if i >= count:
                return None
            next_i[0] = i + 1
            return i

    def worker(tid):
        lat = []
        first = last = done = None
        err = None
        try:
            # Warm-up: opens this thread's broker connection and its result
            # subscriber (Celery keeps one backend per thread).
            for _ in range(warmup):
                noop.delay(-1).get(timeout=30)
        except Exception as e:  # noqa: BLE001
            err = "warmup: %r" % (e,)
        barrier.wait(timeout=60)
        if err:
            per_thread[tid] = (lat, first, last, done, err)
            return
        results, ids = [], []
        try:
            while True:
                i = take()
                if i is None:
                    break
                t = time.perf_counter()
                r = noop.delay(i)
                e = time.perf_counter()
                if first is None:
                    first = t
                last = e
                lat.append(e - t)
                results.append(r)
                ids.append(i)
            if results:
                values = ResultSet(results, app=app).join_native(timeout=result_timeout, propagate=True)
                done = time.perf_counter()
                bad = [i for i, v in zip(ids, values) if v != {"x": i}]
                if bad:
                    err = "%d wrong results, e.g. task %d" % (len(bad), bad[0])
        except Exception as e:  # noqa: BLE001
            err = "%s: %s" % (type(e).__name__, e)
        per_thread[tid] = (lat, first, last, done, err)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(conc)]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    deadline = time.monotonic() + result_timeout + 60
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        sys.exit("submit.py: threads still running past the deadline")

    errors = [p[4] for p in per_thread if p and p[4]]
    if errors:
        sys.exit("submit.py: %d thread(s) failed: %s" % (len(errors), errors[0]))
    lats = sorted(x for p in per_thread for x in p[0])
    if len(lats) != count:
        sys.exit("submit.py: submitted %d of %d" % (len(lats), count))
    first = min(p[1] for p in per_thread if p[1] is not None)
    last_sub = max(p[2] for p in per_thread if p[2] is not None)
    done = max(p[3] for p in per_thread if p[3] is not None)

    try:
        redis_server = redis.Redis.from_url(BROKER_URL).info("server").get("redis_version")
    except Exception:  # noqa: BLE001
        redis_server = None

    out = {
        "system": "celery-redis",
        "count": count,
        "submitted_per_s": round(count / (last_sub - first), 1),
        "completed_per_s": round(count / (done - first), 1),
        "submit_p50_ms": round(pct(lats, 50) * 1000, 3),
        "submit_p99_ms": round(pct(lats, 99) * 1000, 3),
        "concurrency": conc,
        "submit_max_ms": round(lats[-1] * 1000, 3),
        "submit_s": round(last_sub - first, 3),
        "complete_s": round(done - first, 3),
        "celery": celery.__version__,
        "kombu": kombu.__version__,
        "billiard": billiard.__version__,
        "redis_py": redis.__version__,
        "redis_server": redis_server,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
