#!/usr/bin/env bash
# Anvil benchmark: raw compute limit, HTTP throughput, /health responsiveness under load,
# dispatch overhead, 1 -> N node scaling, balance across nodes, and memory, all in one run on
# this machine, reported as ratios (the machine is shared and noisy; ratios within one run are not).
#
#   bench/run.sh             full run: 3 rounds of each measurement, medians; ~5 minutes
#   bench/run.sh --smoke     every step for about a second: checks the script still works
#   options: --runs N  --no-build
#
# Writes bench/results/latest.json (smoke: bench/results/smoke.json) and
# docs/health-latency.png (full runs only), and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0 RUNS=3 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --runs) RUNS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then
  RUNS=1 D=1 RAW=1 PROBE=1 WARM=1 OUT=bench/results/smoke.json
else
  D=10 RAW=8 PROBE=10 WARM=20 OUT=bench/results/latest.json
fi

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1
  fi
fi
[ "$BUILD" = 1 ] && mvn -B -q package -DskipTests
JAR=target/anvil.jar
CORES=$(nproc)
PRIMES='{"limit":2000000}'       # the throughput task: ~2 ms of one core
PRIMES10='{"limit":10000000}'    # the scaling task: the 10 ms class
EMPTY='{"ms":0}'                 # a near-empty task
WORK=$(mktemp -d)
MEASURE="$WORK/measure.jsonl"
CSV="$WORK/health.csv"
PIDS=()
mkdir -p bench/results docs

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
record() { printf '{"run":%s,"name":"%s","value":%s}\n' "$1" "$2" "$3" >> "$MEASURE"; }
free_ports() { # N consecutive free loopback ports; prints the first
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randint(20000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
wait_for() { # FILE PATTERN SECONDS
  local end=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -ge $end ] && { echo "timed out waiting for '$2' in $1:" >&2; tail -20 "$1" >&2; exit 1; }
    sleep 0.2
  done
}
post_rps() { # URL BODY CONNECTIONS SECONDS -> "requests/s non-2xx"
  local out rps non
  out=$(BODY="$2" wrk -t1 -c"$3" -d"$4"s --timeout 10s -s bench/post.lua "$1")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  non=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "${rps:-0} ${non:-0}"
}
get_rps() { # URL CONNECTIONS SECONDS
  wrk -t1 -c"$2" -d"$3"s --timeout 10s "$1" | awk '/Requests\/sec/ {print $2}'
}
rss_mib() { # PID... -> the largest resident set, MiB
  local max=0 kb
  for pid in "$@"; do
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$max" ] && max=$kb
  done
  echo $((max / 1024))
}
start_cluster() { # NODES WORKERS LOG -> sets SUP
  local cbase; cbase=$(free_ports $(($1 * 2)))
  ANVIL_CLUSTER_PORT=$cbase ANVIL_WORKERS=$2 java -jar "$JAR" start --nodes "$1" --http-port "$HTTP" > "$3" 2>&1 &
  SUP=$!; PIDS+=("$SUP")
  wait_for "$3" "Anvil is up" 120
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

HTTP=$(free_ports 1)
URL="http://127.0.0.1:$HTTP"

say "raw compute limit: primes 2M in a tight loop on $CORES threads, one JVM"
for r in $(seq 1 "$RUNS"); do
  raw=$(java -cp "$JAR" bench/RawCompute.java "$CORES" "$RAW" 2000000 | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasksPerSecond"])')
  record "$r" raw_tps "$raw"
done

say "cluster of $CORES nodes (start): throughput, /health under load, overhead, memory"
start_cluster "$CORES" 0 "$WORK/cluster.log"
NODE_PIDS=$(pgrep -P "$SUP" | tr '\n' ' ')
post_rps "$URL/v1/tasks/primes" "$PRIMES" 16 "$WARM" >/dev/null     # JIT warm-up
post_rps "$URL/v1/tasks/spin" "$EMPTY" 16 "$WARM" >/dev/null
get_rps "$URL/health" 16 "$WARM" >/dev/null
record 1 rss_rest_mib "$(rss_mib $NODE_PIDS)"
for r in $(seq 1 "$RUNS"); do
  idle=$(java bench/HealthProbe.java "$URL/health" 100 "$PROBE" "idle" "$CSV")
  for f in p50 p99 max; do record "$r" "health_idle_$f" "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['$f'])" "$idle")"; done
  post_rps "$URL/v1/tasks/primes" "$PRIMES" 16 $((D + 2)) > "$WORK/sat.txt" &
  WRK=$!
  sleep 1
  loaded=$(java bench/HealthProbe.java "$URL/health" 100 "$PROBE" "loaded" "$CSV")
  record "$r" rss_load_mib "$(rss_mib $NODE_PIDS)"
  wait "$WRK"
  read -r tps non < "$WORK/sat.txt"
  record "$r" http_tps "$tps"; record "$r" http_non2xx "$non"
  for f in p50 p99 max; do record "$r" "health_loaded_$f" "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['$f'])" "$loaded")"; done
  read -r empty non < <(post_rps "$URL/v1/tasks/spin" "$EMPTY" 16 "$D")
  record "$r" empty_rps "$empty"; record "$r" empty_non2xx "$non"
  record "$r" health_rps "$(get_rps "$URL/health" 16 "$D")"
  read -r t2 non < <(post_rps "$URL/v1/tasks/primes" "$PRIMES10" 8 "$D")
  record "$r" scale_n_tps "$t2"
  # keep the chart of the first full round: idle then loaded, nothing else
  [ "$r" = 1 ] && cp "$CSV" "$WORK/chart.csv"
done
stop "$SUP"

say "one node with one worker: the scaling baseline"
start_cluster 1 1 "$WORK/one.log"
post_rps "$URL/v1/tasks/primes" "$PRIMES10" 8 "$WARM" >/dev/null
for r in $(seq 1 "$RUNS"); do
  read -r t1 non < <(post_rps "$URL/v1/tasks/primes" "$PRIMES10" 8 "$D")
  record "$r" scale_1_tps "$t1"
done
stop "$SUP"

say "balance: two nodes by hand, every request into the first"
CA=$(free_ports 1); CB=$(free_ports 1); HA=$(free_ports 1); HB=$(free_ports 1)
java -XX:ActiveProcessorCount=1 -Xmx1g -jar "$JAR" node --http-port "$HA" --cluster-port "$CA" > "$WORK/a.log" 2>&1 &
A=$!; PIDS+=("$A")
java -XX:ActiveProcessorCount=1 -Xmx1g -jar "$JAR" node --http-port "$HB" --cluster-port "$CB" \
  --seed-nodes "127.0.0.1:$CA" > "$WORK/b.log" 2>&1 &
B=$!; PIDS+=("$B")
wait_for "$WORK/a.log" "serving http" 90
wait_for "$WORK/b.log" "serving http" 90
wait_for "$WORK/b.log" "is Up in the cluster" 90
completed() { # tasks completed by node A and node B, as A sees them; -1 while unknown
  curl -s "http://127.0.0.1:$HA/v1/cluster" | python3 -c '
import json, sys
try:
    members = json.load(sys.stdin)["members"]
    print(" ".join(str(m.get("load", {}).get("completed", -1)) for m in sorted(members, key=lambda m: m["node"])))
except ValueError:
    print("-1 -1")'
}
end=$((SECONDS + 30)); until [ "$(completed | wc -w)" = 2 ] && ! completed | grep -q -- -1; do
  [ $SECONDS -ge $end ] && { echo "nodes did not see each other" >&2; exit 1; }; sleep 0.3; done
post_rps "http://127.0.0.1:$HA/v1/tasks/primes" "$PRIMES" 16 "$WARM" >/dev/null
for r in $(seq 1 "$RUNS"); do
  read -r a0 b0 <<<"$(completed)"
  post_rps "http://127.0.0.1:$HA/v1/tasks/primes" "$PRIMES" 16 "$D" >/dev/null
  read -r a1 b1 <<<"$(completed)"
  record "$r" balance_a $((a1 - a0)); record "$r" balance_b $((b1 - b0))
done
stop "$A"; stop "$B"

[ "$SMOKE" = 0 ] && java bench/LatencyChart.java "$WORK/chart.csv" docs/health-latency.png \
  "GET /health latency at 100 req/s: idle, then while HTTP primes saturate all $CORES cores"
python3 bench/summarize.py "$MEASURE" "$OUT" "$SMOKE" "$0 $*"
