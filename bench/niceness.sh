#!/usr/bin/env bash
# The compute threads' niceness (anvil.compute.thread-niceness), side by side: two Anvils
# (`start`, one node JVM per core) on this machine, one with niceness 10 (the default) and one
# with 0, measured in turn within each round on the same ~1 ms sieve tasks: tasks/s at 8
# connections, and /health's p99 (200 probes/s) under that load. Reports the medians over the
# rounds, and the ratios 0-over-10 of each round (the machine is shared and noisy: a ratio of
# figures taken seconds apart is what can be compared).
#
#   bench/niceness.sh [--runs N] [--no-build]      about 1 minute a round, plus start-up
#
# Writes bench/results/niceness.json; prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=5
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for tool in wrk python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing (see README: Benchmarks)" >&2; exit 1; }
done
if [ "$BUILD" = 1 ] || [ ! -f target/anvil.jar ]; then
  mvn -B -q package -DskipTests
fi
bench/kinds/build.sh

JAR=target/anvil.jar
WORK=$(mktemp -d)
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$JAR:bench/kinds/sieve.jar" bench/HealthProbe.java bench/Http1.java
CP="$WORK/classes:$JAR:bench/kinds/sieve.jar"
BODY_1MS='{"limit":200000}'
D=8       # seconds of load per measurement
PROBE=5   # seconds of /health probes inside it
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cp "$WORK"/anvil-*.log /tmp/ 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

tps() { # URL SECONDS -> requests/s of ~1 ms tasks at 8 connections
  BODY="$BODY_1MS" wrk -t1 -c8 -d"$2"s --timeout 10s -s bench/post.lua "$1/v1/tasks/sieve" \
    | awk '/Requests\/sec/ {print $2}'
}

declare -A URL
for nice in 10 0; do
  port=$(free_ports 1)
  URL[$nice]="http://127.0.0.1:$port"
  # JAVA_TOOL_OPTIONS reaches the node JVMs that start launches, not only the supervisor
  JAVA_TOOL_OPTIONS="-Danvil.compute.thread-niceness=$nice" ANVIL_CLUSTER_PORT=$(free_ports 4) \
    ANVIL_MANAGEMENT_PORT=$(free_ports 4) \
    java -cp "$CP" dev.anvil.Main start --http-port "$port" --data-dir "$WORK/data-$nice" > "$WORK/anvil-$nice.log" 2>&1 &
  PIDS+=("$!")
done
for nice in 10 0; do
  wait_for "$WORK/anvil-$nice.log" "Anvil is up" 180
done
echo "warm-up: 30 s of ~1 ms tasks on each" >&2
for nice in 10 0; do tps "${URL[$nice]}" 30 >/dev/null; done

RESULTS="$WORK/rounds.jsonl"
for r in $(seq 1 "$RUNS"); do
  for nice in 10 0; do
    tps "${URL[$nice]}" "$D" > "$WORK/tps.txt" &
    load=$!
    sleep 1
    health=$(java -cp "$WORK/classes" HealthProbe "${URL[$nice]}/health" 200 "$PROBE" "nice-$nice" "$WORK/health.csv")
    wait "$load"
    python3 - "$r" "$nice" "$(cat "$WORK/tps.txt")" "$health" >> "$RESULTS" <<'PY'
import json, sys
print(json.dumps({"round": int(sys.argv[1]), "niceness": int(sys.argv[2]), "tps": float(sys.argv[3]),
                  "health_p99_ms": json.loads(sys.argv[4])["p99"]}))
PY
    echo "round $r, niceness $nice: $(tail -1 "$RESULTS")" >&2
  done
done

mkdir -p bench/results
python3 - "$RESULTS" "$(nproc)" <<'PY' | tee /dev/stderr > bench/results/niceness.json
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {n: [r for r in rows if r["niceness"] == n] for n in (10, 0)}
rounds = sorted({r["round"] for r in rows})
def get(n, rd, k): return next(r[k] for r in by[n] if r["round"] == rd)
out = {
    "cores": int(sys.argv[2]),
    "rounds": len(rounds),
    "tps_median": {str(n): statistics.median(r["tps"] for r in by[n]) for n in by},
    "health_p99_ms_median": {str(n): statistics.median(r["health_p99_ms"] for r in by[n]) for n in by},
    "tps_0_over_10_per_round": [round(get(0, rd, "tps") / get(10, rd, "tps"), 3) for rd in rounds],
    "health_p99_0_over_10_per_round": [round(get(0, rd, "health_p99_ms") / get(10, rd, "health_p99_ms"), 3)
                                       for rd in rounds],
    "rows": rows,
}
print(json.dumps(out, indent=1))
PY
