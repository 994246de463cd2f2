#!/usr/bin/env bash
# Celery + Redis side of the side-by-side jobs benchmark.
#
# usage: bash bench/celery/run.sh [COUNT] [CONCURRENCY]     (defaults 2000 8)
#
# Starts a private redis-server on a free port (AOF on, fsync every second),
# a Celery worker (prefork, 2 processes), submits COUNT noop tasks from
# CONCURRENCY client threads (submit.py), waits for every result, stops
# everything it started and prints one JSON line as the last line of stdout.
# Run bench/celery/setup.sh first.
set -euo pipefail

COUNT="${1:-2000}"
CONC="${2:-8}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"
VENV="${CELERY_VENV:-/tmp/anvil-celery-venv}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="$VENV/bin/python"

case "$COUNT$CONC" in *[!0-9]*|"") echo "usage: run.sh [COUNT] [CONCURRENCY]" >&2; exit 2 ;; esac
if [ ! -x "$PY" ] || ! "$PY" -c 'import celery, redis' 2>/dev/null; then
  echo "run.sh: no Celery venv at $VENV; run: bash $HERE/setup.sh" >&2
  exit 2
fi
command -v redis-server >/dev/null || { echo "run.sh: redis-server missing; run setup.sh" >&2; exit 2; }

TMP="$(mktemp -d /tmp/anvil-celery-run.XXXXXX)"
REDIS_PID=""
WORKER_PID=""

stop_group() { # $1 = pid started under setsid (so it leads its own group)
  local pid="$1" target
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  if [ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]; then target="-$pid"; else target="$pid"; fi
  kill -TERM -- "$target" 2>/dev/null || true
  for _ in $(seq 1 100); do              # up to 10 s for a clean shutdown
    kill -0 -- "$target" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "$target" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_group "$WORKER_PID"
  stop_group "$REDIS_PID"
  if [ "$rc" != 0 ] && [ -s "$TMP/worker.log" ]; then
    echo "run.sh: last worker log lines:" >&2
    tail -n 20 "$TMP/worker.log" >&2
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    raise SystemExit("no free port in 20000-32000")
PY
}

# ---- redis ----------------------------------------------------------------
for attempt in 1 2 3 4 5; do
  REDIS_PORT="$(free_port)"
  mkdir -p "$TMP/redis"
  setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
    --dir "$TMP/redis" --appendonly yes --appendfsync everysec --save '' \
    --daemonize no --logfile "$TMP/redis.log" </dev/null >/dev/null 2>&1 &
  REDIS_PID=$!
  up=0
  for _ in $(seq 1 100); do               # up to 10 s
    if [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; then up=1; break; fi
    kill -0 "$REDIS_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ "$up" = 1 ] && break
  stop_group "$REDIS_PID"; REDIS_PID=""
  echo "run.sh: redis did not start on port $REDIS_PORT (attempt $attempt)" >&2
  tail -n 5 "$TMP/redis.log" >&2 || true
done
[ -n "$REDIS_PID" ] || { echo "run.sh: could not start redis-server" >&2; exit 1; }
export REDIS_PORT
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
echo "run.sh: redis-server pid $REDIS_PID on port $REDIS_PORT (appendonly, fsync everysec)" >&2

# ---- celery worker --------------------------------------------------------
cd "$HERE"
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1   # leave no __pycache__ in the checkout
NODE="anvilbench-$$@$(hostname)"
setsid "$PY" -m celery -A tasks worker --pool prefork --concurrency "$WORKER_CONCURRENCY" \
  -n "$NODE" --without-gossip --without-mingle --loglevel WARNING \
  --logfile "$TMP/worker.log" </dev/null >>"$TMP/worker.log" 2>&1 &
WORKER_PID=$!

ready=0
deadline=$(( $(date +%s) + 60 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  kill -0 "$WORKER_PID" 2>/dev/null || { echo "run.sh: celery worker exited" >&2; exit 1; }
  if timeout 20 "$PY" -m celery -A tasks inspect ping -d "$NODE" --timeout 1 >/dev/null 2>&1; then
    ready=1; break
  fi
  sleep 0.2
done
[ "$ready" = 1 ] || { echo "run.sh: worker not ready within 60 s" >&2; exit 1; }
echo "run.sh: celery worker pid $WORKER_PID ready (prefork, concurrency $WORKER_CONCURRENCY)" >&2

# ---- load -----------------------------------------------------------------
# Hard bound on the client: its own result timeout plus margin.
SUBMIT_LIMIT=$(( 180 + COUNT / 50 ))
timeout "$SUBMIT_LIMIT" "$PY" "$HERE/submit.py" "$COUNT" "$CONC" >"$TMP/result.json"
RESULT="$(tail -n 1 "$TMP/result.json")"

# Stop worker and redis now (the trap does it again harmlessly), so the JSON
# line is the last thing printed.
stop_group "$WORKER_PID"; WORKER_PID=""
stop_group "$REDIS_PID"; REDIS_PID=""
echo "$RESULT"
