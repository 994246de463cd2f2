#!/usr/bin/env bash
# Jobs, side by side in one run on this machine: near-empty jobs through Anvil with its embedded
# database (start --nodes 2, H2 served by the supervisor), through Anvil on PostgreSQL (the same,
# ANVIL_JOURNAL_URL), and through Celery 5 on Redis with appendonly (bench/celery). For each:
#
#   accepted/s    wrk, 16 connections, D seconds of POST /v1/jobs/primes {"limit":10}
#   completed/s   the jobs accepted in that run / the time until the last of them ended
#   202 p50, p99  at an offered 1,000 jobs/s (open loop, bench/RateLoad.java), D seconds
#   celery        the same count submitted from 16 threads (.delay(): the message is in Redis),
#                 completed/s until the last result is in
#
#   bench/jobs.sh [--seconds D] [--warm-up W] [--no-build]    (about 4 minutes with D=10)
#
# Each Anvil cluster first takes W seconds (default 30) of the same load, unmeasured: a node JVM
# of one core needs that long for its JIT to compile the job path (10 s of warm-up measured 20
# jobs/s in the next 10 s, and 120-165/s after 30 s). Celery on CPython has no JIT to wait for.
#
# Needs wrk, PostgreSQL running locally (.ci/run starts it; password from ANVIL_TEST_PG_PASSWORD,
# default anvil) and what bench/celery/setup.sh installs. Prints a table and writes
# bench/results/jobs.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

D=10 W=30 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) D="$2"; shift ;;
    --warm-up) W="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for tool in wrk psql curl; do
  command -v "$tool" >/dev/null || { echo "bench/jobs.sh needs $tool (apt-get install wrk postgresql curl)" >&2; exit 2; }
done
[ "$BUILD" = 1 ] && mvn -B -q package -DskipTests
JAR=target/anvil.jar
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$WORK/classes" bench/results
javac -d "$WORK/classes" bench/RateLoad.java bench/Http1.java
say() { printf '\033[1m== [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
free_port() {
  python3 -c 'import random,socket
for _ in range(200):
    p = random.randint(20000, 32000); s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()'
}
p_ms() { # PERCENTILE < wrk --latency output -> ms
  awk -v p="$1%" '$1 == p {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); print v} else {sub(/s/,"",v); print v*1000}}'
}
json_field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
unfinished() { # PORT -> queued + running jobs, as the listing has them
  local q r
  q=$(curl -s "http://127.0.0.1:$1/v1/jobs?status=queued&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
  r=$(curl -s "http://127.0.0.1:$1/v1/jobs?status=running&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
  echo $((q + r))
}
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"

anvil() { # NAME [ENV=VALUE...]: start --nodes 2, measure, stop
  local name="$1"; shift
  local port; port=$(free_port)
  env "$@" ANVIL_DATA_DIR="$WORK/$name-data" ANVIL_JOBS_RESULT_TTL=10m \
    java -jar "$JAR" start --nodes 2 --http-port "$port" --management-port 0 > "$WORK/$name.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_for "$WORK/$name.log" "Anvil is up" 150
  local url="http://127.0.0.1:$port/v1/jobs/primes"
  say "$name: warm-up ($W s)"
  BODY='{"limit":10}' wrk -t1 -c16 -d"$W"s --timeout 10s -s bench/post.lua "$url" > /dev/null
  until [ "$(unfinished "$port")" = 0 ]; do sleep 0.2; done
  say "$name: accepted/s (16 connections, $D s), then completed/s"
  local start_ns out accepted end_ns
  start_ns=$(date +%s%N)
  out=$(BODY='{"limit":10}' wrk -t1 -c16 -d"$D"s --latency --timeout 10s -s bench/post.lua "$url")
  accepted=$(awk '/ requests in / {t=$1} /Non-2xx/ {n=$5} END {print t - n}' <<<"$out")
  until [ "$(unfinished "$port")" = 0 ]; do sleep 0.1; done
  end_ns=$(date +%s%N)
  local aps cps
  aps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  cps=$(python3 -c "print(round($accepted / (($end_ns - $start_ns) / 1e9), 1))")
  local non2xx; non2xx=$(awk '/Non-2xx/ {n=$5} END {print n ? n : 0}' <<<"$out")
  say "$name: 202 latency at an offered 1,000/s ($D s)"
  local line; line=$(java -cp "$WORK/classes" RateLoad "$url" '{"limit":10}' 1000 16 "$D")
  until [ "$(unfinished "$port")" = 0 ]; do sleep 0.2; done
  printf '{"system":"%s","accepted_per_s":%s,"non2xx":%s,"completed_per_s":%s,"wrk16_p50_ms":%s,"wrk16_p99_ms":%s,"at1000_rate":%s,"at1000_p50_ms":%s,"at1000_p99_ms":%s,"at1000_errors":%s}\n' \
    "$name" "$aps" "$non2xx" "$cps" "$(p_ms 50 <<<"$out")" "$(p_ms 99 <<<"$out")" \
    "$(json_field "$line" rate)" "$(json_field "$line" p50)" "$(json_field "$line" p99)" \
    "$(( $(json_field "$line" non2xx) + $(json_field "$line" errors) ))" >> "$RESULTS"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

anvil anvil-h2

PG_DB="anvil_bench_$$"
PGPASSWORD="${ANVIL_TEST_PG_PASSWORD:-anvil}" psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB"
anvil anvil-postgres ANVIL_JOURNAL_URL="jdbc:postgresql://127.0.0.1:5432/$PG_DB" ANVIL_JOURNAL_USER=postgres \
  ANVIL_JOURNAL_PASSWORD="${ANVIL_TEST_PG_PASSWORD:-anvil}"
PGPASSWORD="${ANVIL_TEST_PG_PASSWORD:-anvil}" psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $PG_DB WITH (FORCE)"

say "celery on redis (appendonly): the same number of near-empty tasks as Anvil-h2 accepted"
count=$(python3 -c "import json; print(int([json.loads(l) for l in open('$RESULTS')][0]['accepted_per_s'] * $D))")
bash bench/celery/setup.sh > "$WORK/celery-setup.log" 2>&1
bash bench/celery/run.sh "$count" 16 2> "$WORK/celery.log" | grep '^{' | tail -1 >> "$RESULTS"

python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump(rows, open("bench/results/jobs.json", "w"), indent=1)
by = {r["system"]: r for r in rows}
print(f"{'system':16} {'accepted/s':>11} {'completed/s':>12} {'202 p50 @1000/s':>16} {'202 p99 @1000/s':>16}")
for r in rows:
    acc = r.get("accepted_per_s", r.get("submitted_per_s"))
    print(f"{r['system']:16} {acc:>11} {r['completed_per_s']:>12} {r.get('at1000_p50_ms', r.get('submit_p50_ms', '-')):>16} {r.get('at1000_p99_ms', r.get('submit_p99_ms', '-')):>16}")
c = by.get("celery-redis")
if c:
    for s in ("anvil-h2", "anvil-postgres"):
        if s in by:
            print(f"{s} completed/s / celery's: {by[s]['completed_per_s'] / c['completed_per_s']:.2f}")
PY
