#!/usr/bin/env bash
# What metrics cost: two `start`s of Anvil side by side, one with metrics on (the default) and one
# with ANVIL_METRICS_ENABLED=false, measured in turn (the other idles meanwhile), round after
# round, on near-empty tasks (where a per-task cost shows most) and plain /health requests.
# Reports each figure as on ÷ off per round and their median.
#
#   bench/metrics-cost.sh             5 rounds of 5 s per figure and side; about 3 minutes
#   bench/metrics-cost.sh --rounds N --seconds S --no-build
#
# Writes bench/results/metrics-cost.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=5 S=5 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift ;;
    --seconds) S="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
if [ "$BUILD" = 1 ] || [ ! -f target/anvil.jar ]; then
  mvn -B -q package -DskipTests
fi
bench/kinds/build.sh
CP="target/anvil.jar:bench/kinds/sieve.jar"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HZ=$(getconf CLK_TCK)
cpu_ticks() { # PID... -> utime+stime of those processes, in clock ticks
  local sum=0 pid
  for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  echo "$sum"
}
# SIDE URL-PATH [BODY] -> "requests/s CPU-microseconds-per-request" of that side's node JVMs
measure() {
  local side=$1 out c0 c1 rps n
  c0=$(cpu_ticks ${NODES[$side]})
  if [ -n "${3:-}" ]; then
    out=$(BODY="$3" wrk -t1 -c16 -d"$S"s -s bench/post.lua "${URL[$side]}$2")
  else
    out=$(wrk -t1 -c16 -d"$S"s "${URL[$side]}$2")
  fi
  c1=$(cpu_ticks ${NODES[$side]})
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  n=$(awk '/ requests in / {print $1}' <<<"$out")
  echo "$rps $(python3 -c "print(round(($c1 - $c0) / $HZ * 1e6 / max(1, $n), 2))")"
}

declare -A URL NODES
for side in on off; do
  port=$(free_port)
  URL[$side]="http://127.0.0.1:$port"
  enabled=true; [ "$side" = off ] && enabled=false
  ANVIL_METRICS_ENABLED=$enabled java -cp "$CP" dev.anvil.Main start --http-port "$port" --data-dir "$WORK/$side-data" \
    > "$WORK/$side.log" 2>&1 &
  PIDS+=("$!")
  wait_for "$WORK/$side.log" "Anvil is up" 120
  NODES[$side]=$(pgrep -P "${PIDS[-1]}" | tr '\n' ' ')
done
curl -fsS "${URL[on]}/metrics" | grep -q '^anvil_workers' || { echo "metrics are not on where they should be" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "${URL[off]}/metrics")" = 404 ] || { echo "metrics are not off" >&2; exit 1; }

say "warm-up (the JIT of every node JVM)"
for side in on off; do
  BODY='{"limit":10}' wrk -t1 -c16 -d15s -s bench/post.lua "${URL[$side]}/v1/tasks/sieve" >/dev/null
  wrk -t1 -c16 -d5s "${URL[$side]}/health" >/dev/null
done

: > "$WORK/rounds.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  say "round $r of $ROUNDS"
  # which side goes first alternates, so neither always follows the other's load
  order="on off"; [ $((r % 2)) = 0 ] && order="off on"
  declare -A T TC H HC
  for side in $order; do
    read -r T[$side] TC[$side] <<<"$(measure "$side" /v1/tasks/sieve '{"limit":10}')"
    read -r H[$side] HC[$side] <<<"$(measure "$side" /health)"
  done
  printf '{"round":%s,"tasks_on":%s,"tasks_off":%s,"tasks_cpu_us_on":%s,"tasks_cpu_us_off":%s,"health_on":%s,"health_off":%s,"health_cpu_us_on":%s,"health_cpu_us_off":%s}\n' \
    "$r" "${T[on]}" "${T[off]}" "${TC[on]}" "${TC[off]}" "${H[on]}" "${H[off]}" "${HC[on]}" "${HC[off]}" \
    | tee -a "$WORK/rounds.jsonl"
done

mkdir -p bench/results
python3 - "$WORK/rounds.jsonl" <<'PY'
import json, statistics, sys, datetime
rounds = [json.loads(l) for l in open(sys.argv[1])]
med = lambda k: statistics.median(r[k] for r in rounds)
ratio = lambda a, b: statistics.median(r[a] / r[b] for r in rounds)
out = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "rounds": rounds,
    "tasks_per_s_on": med("tasks_on"), "tasks_per_s_off": med("tasks_off"),
    "health_per_s_on": med("health_on"), "health_per_s_off": med("health_off"),
    "tasks_on_over_off": ratio("tasks_on", "tasks_off"),
    "health_on_over_off": ratio("health_on", "health_off"),
    "tasks_cpu_us_on": med("tasks_cpu_us_on"), "tasks_cpu_us_off": med("tasks_cpu_us_off"),
    "health_cpu_us_on": med("health_cpu_us_on"), "health_cpu_us_off": med("health_cpu_us_off"),
    "tasks_cpu_on_over_off": ratio("tasks_cpu_us_on", "tasks_cpu_us_off"),
    "health_cpu_on_over_off": ratio("health_cpu_us_on", "health_cpu_us_off"),
}
json.dump(out, open("bench/results/metrics-cost.json", "w"), indent=1)
print(f"near-empty tasks/s: on {out['tasks_per_s_on']:.0f}, off {out['tasks_per_s_off']:.0f}, "
      f"on/off {out['tasks_on_over_off']:.3f} (median of per-round ratios)")
print(f"/health req/s:      on {out['health_per_s_on']:.0f}, off {out['health_per_s_off']:.0f}, "
      f"on/off {out['health_on_over_off']:.3f}")
print(f"CPU us per task:    on {out['tasks_cpu_us_on']:.1f}, off {out['tasks_cpu_us_off']:.1f}, "
      f"on/off {out['tasks_cpu_on_over_off']:.3f}")
print(f"CPU us per /health: on {out['health_cpu_us_on']:.1f}, off {out['health_cpu_us_off']:.1f}, "
      f"on/off {out['health_cpu_on_over_off']:.3f}")
PY
