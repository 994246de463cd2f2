#!/usr/bin/env bash
# Anvil's benchmark, side by side with what a user would pick instead, all in one run on this
# machine, reported as ratios within each round (the machine is shared and noisy; ratios of
# figures taken seconds apart are not):
#
#   anvil  java -jar target/anvil.jar start: one node JVM per core, the sieve added as a user's kind
#   node   the seed's design: Node.js cluster (one process per core) + a Piscina worker_threads
#          pool in each (bench/node), the same sieve ported to JavaScript
#   floor  the least Pekko HTTP needs: one JVM, route -> CompletableFuture on a dispatcher
#   raw    the same sieve in a tight loop on every core, no server: Java and JavaScript
#
# at three task sizes (a plain sieve: limit 10 near-empty, 200,000 about 1 ms, 2,000,000 about
# 10 ms of one core), plus /health latency idle and loaded, plain /health req/s, one-connection
# latency, overload (200 connections), the CPU cost of a 429, memory per node, and balance
# between two nodes. Within a round each task size is measured on every system back to back,
# right after the raw limit at that size. Tenant isolation (issue 23): on an Anvil of two
# tenants, one client's ~10 ms tasks alone, then beside another tenant's flood of 200 connections.
#
#   bench/run.sh             full run: 3 rounds, medians; about 10 minutes with the build, plus about 3
#                            for tenant isolation
#   bench/run.sh --smoke     every step for about a second: checks the script still works
#   options: --runs N  --no-build  --tenant-seconds N (each tenant-isolation phase; default 8)
#            --only tenants  (that step alone: bench/results/tenants.json, smoke tenants-smoke.json)
#
# Writes bench/results/latest.json (smoke: bench/results/smoke.json) and, on full runs,
# docs/throughput.png and docs/health-latency.png; prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SMOKE=0 RUNS=3 BUILD=1 ONLY="" TEN_S=""
ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --runs) RUNS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --tenant-seconds) TEN_S="$2"; shift ;;
    --only)
      [ "${2:-}" = tenants ] || { echo "--only takes: tenants" >&2; exit 2; }
      ONLY="$2"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$SMOKE" = 1 ]; then
  RUNS=1 D=1 RAW=0.5 PROBE=1 LAT=1 WARM_ANVIL=1 WARM_JVM=1 WARM_NODE=1 WARM_STEPS=1 WARM_STEP_S=1 SCALE_S=1
  BATCH_EMPTY=50000 BATCH_1MS=1000 BATCH_RSS=100000
  TEN_S=${TEN_S:-1}
  OUT=bench/results/smoke.json
else
  D=3 RAW=2 PROBE=3 LAT=1 WARM_ANVIL=20 WARM_JVM=6 WARM_NODE=3 WARM_STEPS=10 WARM_STEP_S=8
  SCALE_S=8 # load-protocol phases; 4 s gave a noisy 24-over-4 ratio (2.3)
  # batches: enough items to outlast the probes run beside them; the memory run streams 10 million
  BATCH_EMPTY=800000 BATCH_1MS=16000 BATCH_RSS=10000000
  # tenant isolation: seconds of each phase (one client's sequential ~10 ms tasks: ~1,000 idle)
  TEN_S=${TEN_S:-8}
  OUT=bench/results/latest.json
fi
if [ -n "$ONLY" ]; then
  OUT=bench/results/$ONLY.json
  [ "$SMOKE" = 0 ] || OUT=bench/results/$ONLY-smoke.json
fi

for tool in wrk python3 $([ -z "$ONLY" ] && echo node npm); do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is missing (see README: Benchmarks)" >&2; exit 1; }
done
if [ "$BUILD" = 1 ] || [ ! -f target/anvil.jar ]; then
  mvn -B -q package -DskipTests
fi
bench/kinds/build.sh
[ -n "$ONLY" ] || (cd bench/node && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)

JAR=target/anvil.jar
CORES=$(nproc)
declare -A LIMIT=([empty]=10 [1ms]=200000 [10ms]=2000000)
declare -A CONNS=([empty]=16 [1ms]=8 [10ms]=8)
SIZES="empty 1ms 10ms"
WORK=$(mktemp -d)
# The Java helpers are compiled once, so no compiler runs beside a measurement.
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$JAR:bench/kinds/sieve.jar" bench/*.java
CP="$WORK/classes:$JAR:bench/kinds/sieve.jar"
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

say() { printf '\033[1m== [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
record() { printf '{"run":%s,"name":"%s","value":%s}\n' "$1" "$2" "${3:-null}" >> "$MEASURE"; }
json_field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
# POST load: URL BODY CONNECTIONS SECONDS -> "requests/s non2xx requests"
post() {
  local out
  out=$(BODY="$2" wrk -t1 -c"$3" -d"$4"s --timeout 10s -s bench/post.lua "$1")
  awk '/Requests\/sec/ {r=$2} /Non-2xx/ {n=$5} / requests in / {t=$1} END {print (r ? r : 0), (n ? n : 0), (t ? t : 0)}' <<<"$out"
}
get_rps() { wrk -t1 -c"$2" -d"$3"s --timeout 10s "$1" | awk '/Requests\/sec/ {print $2}'; }
p50_us() { # wrk --latency output -> p50 in microseconds
  awk '/^ +50%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else {sub(/s/,"",v); print v*1e6}}'
}
p_ms() { # PERCENTILE < wrk --latency output -> milliseconds
  awk -v p="$1%" '$1 == p {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v); print v} else {sub(/s/,"",v); print v*1000}}'
}
rss_mib() { # PID... -> the largest resident set, MiB
  local max=0 kb
  for pid in "$@"; do
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$max" ] && max=$kb
  done
  echo $((max / 1024))
}
cpu_ticks() { # PID [io] -> utime+stime of its threads, in clock ticks; io: all but the compute threads
  local sum=0 t name task
  for task in /proc/"$1"/task/*; do
    name=$(cat "$task/comm" 2>/dev/null || true)
    [ "${2:-}" = io ] && [[ "$name" == anvil-anvil.com* ]] && continue
    t=$(awk '{print $14 + $15}' "$task/stat" 2>/dev/null || echo 0)
    sum=$((sum + t))
  done
  echo "$sum"
}
probe() { # URL SECONDS PHASE -> JSON summary
  java -cp "$WORK/classes" HealthProbe "$1/health" 200 "$2" "$3" "$CSV"
}

# Tenant isolation (issue 23): one Anvil (start, one node JVM per core) with a tokens file of two
# tenants of the same weight. The ~10 ms task is run.sh's: the sieve at 2,000,000, fixed work
# (the built-in spin kind burns wall-clock time, so it would hide a starved CPU). Each round:
#   idle   the quiet tenant's one connection of sequential tasks, nothing else running
#   quiet  the same while the flood tenant keeps 200 connections of the same tasks busy (wrk,
#          429s expected: its own wait queue is full); the fair queue takes the quiet lane's task
#          next, so it waits for about one running task
#   fifo   the reference without fair share, same run: the one connection uses a flood token, so
#          its tasks queue first come first served behind the flood, as all did before tenants
# The target: quiet's p99 <= 3 x idle's p99 (the ratio of each round, median of the rounds).
TEN_BODY='{"limit":2000000}'
FLOOD_TOKEN=tok-flood-0001 QUIET_TOKEN=tok-quiet-0001
tenant_flood() { # SECONDS -> "completed/s 429s other": the flood tenant's 200 connections
  local out
  out=$(BODY="$TEN_BODY" wrk -t1 -c200 -d"$1"s --timeout 10s -H "Authorization: Bearer $FLOOD_TOKEN" \
    -s bench/post-statuses.lua "$TEN_URL")
  # other: answers neither 200 nor 429, and wrk's socket errors (connect, read, write, timeout)
  awk '/^status / {if ($2 == 200) ok += $3; else if ($2 == 429) r += $3; else o += $3}
    / requests in / {t = $4; sub(/s,$/, "", t)}
    /Socket errors/ {gsub(/,/, ""); o += $4 + $6 + $8 + $10}
    END {printf "%.1f %d %d\n", (t > 0 ? ok / t : 0), r, o}' <<<"$out"
}
tenant_probe() { # TOKEN PHASE -> JSON: one connection of sequential tasks for TEN_S seconds (at most 100,000)
  java -cp "$WORK/classes" TenantProbe "$TEN_URL" "$TEN_BODY" "$1" "$TEN_S" 100000 "$2"
}
tenant_isolation() {
  say "tenant isolation: an anvil with tenants flood and quiet; the quiet tenant's ~10 ms tasks alone, then beside the flood's 200 connections"
  printf '%s\n' "# bench/run.sh: tenant isolation" "flood submit,read $FLOOD_TOKEN" "quiet submit,read $QUIET_TOKEN" \
    > "$WORK/tokens"
  local port tpid fpid r mode token line ok_s n429 other
  port=$(free_ports 1)
  TEN_URL="http://127.0.0.1:$port/v1/tasks/sieve"
  ANVIL_TOKENS_FILE="$WORK/tokens" ANVIL_CLUSTER_PORT=$(free_ports $((CORES * 2))) java -cp "$CP" dev.anvil.Main start \
    --http-port "$port" --management-port 0 --data-dir "$WORK/tenants-data" > "$WORK/tenants.log" 2>&1 &
  tpid=$!; PIDS+=("$tpid")
  wait_for "$WORK/tenants.log" "Anvil is up" 120
  # warm-up: the flood's paths (its tasks, its 429s), then the one connection's
  tenant_flood "$WARM_JVM" >/dev/null
  sleep 2
  TEN_S=$WARM_JVM tenant_probe "$QUIET_TOKEN" warm-up >/dev/null
  for r in $(seq 1 "$RUNS"); do
    say "round $r of $RUNS: tenant isolation, $TEN_S s a phase: the quiet tenant idle, under the flood, and a flood token's connection (fifo)"
    line=$(tenant_probe "$QUIET_TOKEN" idle)
    record "$r" tenant_quiet_idle_p50_ms "$(json_field "$line" p50)"
    record "$r" tenant_quiet_idle_p99_ms "$(json_field "$line" p99)"
    record "$r" tenant_quiet_idle_count "$(json_field "$line" count)"
    record "$r" tenant_quiet_idle_compute_p99_ms "$(json_field "$line" compute_p99)"
    for mode in quiet fifo; do
      token=$([ "$mode" = quiet ] && echo "$QUIET_TOKEN" || echo "$FLOOD_TOKEN")
      # the flood outlasts the probe: its JVM's start, its warm-up (1 s, and the request then under
      # way: about 1 s behind the flood), the phase, and its last request
      tenant_flood $((TEN_S + 5)) > "$WORK/flood.txt" &
      fpid=$!
      sleep 1
      line=$(tenant_probe "$token" "$mode-flood")
      wait "$fpid"
      read -r ok_s n429 other < "$WORK/flood.txt"
      for f in p50 p99 count status429; do
        record "$r" "tenant_${mode}_flood_${f}$([[ $f == p* ]] && echo _ms)" "$(json_field "$line" "$f")"
      done
      record "$r" "tenant_${mode}_flood_failed" "$(( $(json_field "$line" non2xx) - $(json_field "$line" status429) \
        + $(json_field "$line" errors) ))"
      record "$r" "tenant_${mode}_flood_queue_p99_ms" "$(json_field "$line" queue_p99)"
      record "$r" "tenant_${mode}_flood_compute_p99_ms" "$(json_field "$line" compute_p99)"
      record "$r" "tenant_flood_completed_per_s_$mode" "$ok_s"
      record "$r" "tenant_flood_429_$mode" "$n429"
      record "$r" "tenant_flood_other_$mode" "$other"
      sleep 2 # the flood's last waiting and admitting tasks end (admission-wait is 1 s)
    done
  done
  kill -TERM "$tpid" 2>/dev/null || true; wait "$tpid" 2>/dev/null || true
}
if [ "$ONLY" = tenants ]; then
  tenant_isolation
  python3 bench/summarize.py "$MEASURE" "$OUT" "$SMOKE" "$0 $ARGS" tenants
  exit 0
fi

HZ=$(getconf CLK_TCK)
P4=$(free_ports 4); PA=$P4; PN=$((P4 + 1)); PF=$((P4 + 2)); PR=$((P4 + 3))
declare -A URL=([anvil]="http://127.0.0.1:$PA" [node]="http://127.0.0.1:$PN" [floor]="http://127.0.0.1:$PF")
REJECTOR="http://127.0.0.1:$PR"

say "starting anvil (start, $CORES nodes), the Node.js cluster + Piscina, and the Pekko HTTP floor"
CBASE=$(free_ports $((CORES * 2)))
# each Anvil below has a jobs' database of its own (--data-dir): on the default folder, the
# supervisor's H2 server and a lone node's in-process H2 would race for the same file
ANVIL_CLUSTER_PORT=$CBASE java -cp "$CP" dev.anvil.Main start --http-port "$PA" --data-dir "$WORK/anvil-data" \
  > "$WORK/anvil.log" 2>&1 &
SUP=$!; PIDS+=("$SUP")
node bench/node/server.js --port "$PN" > "$WORK/node.log" 2>&1 &
PIDS+=("$!")
java -Xmx1g -cp "$CP" Floor "$PF" "$CORES" > "$WORK/floor.log" 2>&1 &
PIDS+=("$!")
# What a refusal costs is measured on a node that refuses at once (admission-wait 0), so that
# it refuses at full speed: one worker and its queue of 16 (the default), which takes the 16
# connections of near-empty tasks without a refusal, and refuses all of them once 17 long tasks
# hold the worker and fill the queue.
REJ_QUEUE=16
java -XX:ActiveProcessorCount=1 -Danvil.compute.admission-wait=0 -Danvil.compute.queue-per-worker=$REJ_QUEUE -cp "$CP" \
  dev.anvil.Main node --http-port "$PR" --cluster-port "$(free_ports 1)" --management-port 0 \
  --data-dir "$WORK/rejector-data" > "$WORK/rejector.log" 2>&1 &
REJ=$!; PIDS+=("$REJ")
wait_for "$WORK/anvil.log" "Anvil is up" 120
wait_for "$WORK/rejector.log" "serving http" 60
wait_for "$WORK/node.log" "node cluster serving" 60
wait_for "$WORK/floor.log" "floor serving" 60
NODE_PIDS=$(pgrep -P "$SUP" | tr '\n' ' ')

say "warm-up (the JIT of each JVM, and of each 1-core node JVM's single compiler thread)"
for sys in anvil floor node; do
  case $sys in anvil) w=$WARM_ANVIL ;; floor) w=$WARM_JVM ;; *) w=$WARM_NODE ;; esac
  post "${URL[$sys]}/v1/tasks/sieve" '{"limit":10}' 16 "$w" >/dev/null
  post "${URL[$sys]}/v1/tasks/sieve" '{"limit":200000}' 8 "$w" >/dev/null
  get_rps "${URL[$sys]}/health" 16 $(( (w + 1) / 2 )) >/dev/null
done
fill_rejector() { # SECONDS: hold the rejector's worker and fill its queue with long tasks
  FILLERS=()
  for i in $(seq 0 "$REJ_QUEUE"); do
    curl -s -o /dev/null -m $(($1 + 8)) -H 'Content-Type: application/json' -d "{\"ms\":$(($1 * 1000))}" \
      "$REJECTOR/v1/tasks/spin?timeoutMs=$(( ($1 + 6) * 1000 ))" &
    FILLERS+=("$!")
  done
  sleep 1
}
post "$REJECTOR/v1/tasks/sieve" '{"limit":10}' 16 "$WARM_JVM" >/dev/null
fill_rejector $((WARM_JVM + 2)) # the refusal's path compiled too
post "$REJECTOR/v1/tasks/sieve" '{"limit":10}' 16 "$WARM_JVM" >/dev/null
wait "${FILLERS[@]}" 2>/dev/null || true
sleep 2
record 1 rss_rest_mib "$(rss_mib $NODE_PIDS)"

load_size() { # ROUND SYSTEM SIZE: throughput, errors and /health p99 under that load
  local r=$1 sys=$2 size=$3 u=${URL[$2]} wrk_pid loaded tps non total
  post "$u/v1/tasks/sieve" "{\"limit\":${LIMIT[$size]}}" "${CONNS[$size]}" $((PROBE + 2)) > "$WORK/sat.txt" &
  wrk_pid=$!
  sleep 1
  loaded=$(probe "$u" "$PROBE" "loaded-$sys-$size")
  [ "$sys" = anvil ] && record "$r" rss_load_mib "$(rss_mib $NODE_PIDS)"
  wait "$wrk_pid"
  read -r tps non total < "$WORK/sat.txt"
  record "$r" "${sys}_tps_$size" "$tps"
  record "$r" "${sys}_non2xx_$size" "$non"
  record "$r" "${sys}_health_loaded_p99_$size" "$(json_field "$loaded" p99)"
  if [ "$r" = 1 ] && [ "$sys" = anvil ] && [ "$size" = 10ms ]; then cp "$CSV" "$WORK/chart.csv"; fi
}

for r in $(seq 1 "$RUNS"); do
  for sys in anvil node floor; do
    say "round $r of $RUNS: $sys idle, /health, one connection"
    u=${URL[$sys]}
    : > "$CSV"
    idle=$(probe "$u" "$PROBE" "idle")
    record "$r" "${sys}_health_idle_p50" "$(json_field "$idle" p50)"
    record "$r" "${sys}_health_idle_p99" "$(json_field "$idle" p99)"
    record "$r" "${sys}_health_rps" "$(get_rps "$u/health" 16 "$D")"
    record "$r" "${sys}_latency1_empty_us" "$(BODY='{"limit":10}' wrk -t1 -c1 -d"$LAT"s --latency -s bench/post.lua \
      "$u/v1/tasks/sieve" | p50_us)"
    record "$r" "${sys}_latency1_health_us" "$(wrk -t1 -c1 -d"$LAT"s --latency "$u/health" | p50_us)"
  done
  for size in $SIZES; do
    say "round $r of $RUNS: $size tasks, raw limits then each system"
    if [ "$size" != empty ]; then
      line=$(java -cp "$CP" RawCompute "$CORES" "$RAW" "${LIMIT[$size]}")
      record "$r" "raw_java_${LIMIT[$size]}" "$(json_field "$line" tasksPerSecond)"
      line=$(node bench/node/raw.js "$CORES" "$RAW" "${LIMIT[$size]}")
      record "$r" "raw_js_${LIMIT[$size]}" "$(json_field "$line" tasksPerSecond)"
    fi
    for sys in anvil node floor; do
      if [ "$r" = 1 ] && [ "$sys" = anvil ] && [ "$size" = 10ms ]; then : > "$CSV"; probe "${URL[anvil]}" "$PROBE" idle >/dev/null; fi
      load_size "$r" "$sys" "$size"
    done
  done

  say "round $r of $RUNS: batches over one connection, with /health and one client's tasks beside them"
  for size in empty 1ms; do
    n=$([ "$size" = empty ] && echo "$BATCH_EMPTY" || echo "$BATCH_1MS")
    # alone: items/s and balance
    line=$(java -cp "$WORK/classes" BatchLoad "${URL[anvil]}" sieve "{\"limit\":${LIMIT[$size]}}" "$n")
    record "$r" "anvil_batch_ips_$size" "$(json_field "$line" itemsPerSecond)"
    record "$r" "anvil_batch_failed_$size" "$(( $(json_field "$line" items) - $(json_field "$line" succeeded) ))"
    record "$r" "anvil_batch_balance_$size" "$(python3 -c "import json,sys; n=json.loads(sys.argv[1])['nodes'].values(); \
print(max(n) / min(n) if len(n) > 1 and min(n) > 0 else 'null')" "$line")"
    # again, with /health probed and one interactive client's ~1 ms tasks beside it
    java -cp "$WORK/classes" BatchLoad "${URL[anvil]}" sieve "{\"limit\":${LIMIT[$size]}}" "$n" > "$WORK/batch.json" &
    bpid=$!
    sleep 1
    loaded=$(probe "${URL[anvil]}" "$PROBE" "batch-$size")
    out=$(BODY='{"limit":200000}' wrk -t1 -c1 -d"$LAT"s --latency -s bench/post.lua "${URL[anvil]}/v1/tasks/sieve")
    wait "$bpid"
    record "$r" "anvil_batch_health_p99_$size" "$(json_field "$loaded" p99)"
    record "$r" "anvil_batch_task_p99_ms_$size" "$(p_ms 99 <<<"$out")"
  done
  # the same client's ~1 ms tasks with nothing else running, for the p99 above
  out=$(BODY='{"limit":200000}' wrk -t1 -c1 -d"$LAT"s --latency -s bench/post.lua "${URL[anvil]}/v1/tasks/sieve")
  record "$r" anvil_task_idle_p99_ms "$(p_ms 99 <<<"$out")"

  say "round $r of $RUNS: anvil under overload (200 connections), and what a refusal costs"
  read -r tps non total <<<"$(post "${URL[anvil]}/v1/tasks/sieve" '{"limit":200000}' 200 "$D")"
  record "$r" anvil_overload_goodput "$(python3 -c "print(($total - $non) / $D)")"
  record "$r" anvil_overload_429 "$non"
  c0=$(cpu_ticks $REJ)
  read -r tps non total <<<"$(post "$REJECTOR/v1/tasks/sieve" '{"limit":10}' 16 "$D")"
  c1=$(cpu_ticks $REJ)
  record "$r" anvil_cpu_us_per_empty "$(python3 -c "print(($c1 - $c0) / $HZ * 1e6 / max(1, $total))")"
  record "$r" anvil_empty_refused_share "$(python3 -c "print($non / max(1, $total))")"
  fill_rejector $((D + 3))
  # the fillers spin on the compute thread meanwhile: a refusal's cost is what the other threads spend
  c0=$(cpu_ticks $REJ io)
  read -r tps non total <<<"$(post "$REJECTOR/v1/tasks/sieve" '{"limit":10}' 16 "$D")"
  c1=$(cpu_ticks $REJ io)
  record "$r" anvil_rejected_share "$(python3 -c "print($non / max(1, $total))")"
  record "$r" anvil_cpu_us_per_429 "$(python3 -c "print(($c1 - $c0) / $HZ * 1e6 / max(1, $total))")"
  wait "${FILLERS[@]}" 2>/dev/null || true
done
say "batch memory: the nodes' resident set before and after streaming $BATCH_RSS near-empty items"
rss0=$(rss_mib $NODE_PIDS)
line=$(java -cp "$WORK/classes" BatchLoad "${URL[anvil]}" sieve '{"limit":10}' "$BATCH_RSS")
record 1 batch_rss_items "$(json_field "$line" items)"
record 1 batch_rss_growth_mib "$(( $(rss_mib $NODE_PIDS) - rss0 ))"
kill -TERM "$SUP" "$REJ" 2>/dev/null || true; wait "$SUP" "$REJ" 2>/dev/null || true

say "balance: two nodes by hand, one core each, every request into the first"
# four ports from one call: separate calls may return the same port (it happened: "Address already in use")
P4=$(free_ports 4); CA=$P4; CB=$((P4 + 1)); HA=$((P4 + 2)); HB=$((P4 + 3))
java -XX:ActiveProcessorCount=1 -Xmx1g -cp "$CP" dev.anvil.Main node --http-port "$HA" --cluster-port "$CA" --management-port 0 \
  --data-dir "$WORK/a-data" > "$WORK/a.log" 2>&1 &
A=$!; PIDS+=("$A")
java -XX:ActiveProcessorCount=1 -Xmx1g -cp "$CP" dev.anvil.Main node --http-port "$HB" --cluster-port "$CB" --management-port 0 \
  --seed-nodes "127.0.0.1:$CA" --data-dir "$WORK/b-data" > "$WORK/b.log" 2>&1 &
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
BAL='{"limit":2000000}'
post "http://127.0.0.1:$HA/v1/tasks/sieve" "$BAL" 16 "$WARM_JVM" >/dev/null
for r in $(seq 1 "$RUNS"); do
  read -r a0 b0 <<<"$(completed)"
  post "http://127.0.0.1:$HA/v1/tasks/sieve" "$BAL" 16 "$D" >/dev/null
  read -r a1 b1 <<<"$(completed)"
  record "$r" balance_a $((a1 - a0)); record "$r" balance_b $((b1 - b0))
done
kill -TERM "$A" "$B" 2>/dev/null || true; wait "$A" "$B" 2>/dev/null || true

tenant_isolation

say "jobs: near-empty jobs accepted per second and the 202's latency, three nodes (start --nodes 3)"
PJ=$(free_ports 1)
# a short result TTL: the load keeps far more jobs than a client normally would; the jobs' H2
# database of its own, in the work folder (bench/jobs.sh compares it with PostgreSQL and Celery)
ANVIL_CLUSTER_PORT=$(free_ports 6) ANVIL_DATA_DIR="$WORK/jobs-data" ANVIL_JOBS_RESULT_TTL=10s java -cp "$CP" dev.anvil.Main start --nodes 3 \
  --http-port "$PJ" --management-port 0 > "$WORK/jobs.log" 2>&1 &
J=$!; PIDS+=("$J")
wait_for "$WORK/jobs.log" "Anvil is up" 150
# A job's path runs through far more code than a task's (replication, serialization, Artery),
# and each node JVM of one core compiles it with one C2 thread on a shared core: after 20 s of
# load its compiler still takes a third of the CPU. So the warm-up goes on in steps until the
# rate stops rising: two steps in a row less than 5 % above the best before them (one flat step
# is not enough: the rate pauses while C2 works through a batch), at most 10 steps (it took 9-12).
best=0 flat=0
for step in $(seq 1 "$WARM_STEPS"); do
  read -r rate _ _ <<<"$(post "http://127.0.0.1:$PJ/v1/jobs/sieve" '{"limit":10}' 16 "$WARM_STEP_S")"
  say "jobs warm-up step $step: $rate jobs/s"
  if python3 -c "import sys; sys.exit(0 if $rate < 1.05 * $best else 1)"; then
    flat=$((flat + 1)); [ "$flat" -ge 2 ] && break
  else
    flat=0
  fi
  best=$(python3 -c "print(max($rate, $best))")
done
record 1 jobs_warmup_s $((step * WARM_STEP_S))
for r in $(seq 1 "$RUNS"); do
  out=$(BODY='{"limit":10}' wrk -t1 -c16 -d"$D"s --latency --timeout 10s -s bench/post.lua \
    "http://127.0.0.1:$PJ/v1/jobs/sieve")
  record "$r" jobs_accepted_per_s "$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  record "$r" jobs_non2xx "$(awk '/Non-2xx/ {n=$5} END {print n ? n : 0}' <<<"$out")"
  record "$r" jobs_202_p50_ms "$(p_ms 50 <<<"$out")"
  record "$r" jobs_202_p99_ms "$(p_ms 99 <<<"$out")"
  # wrk's 16 connections keep the cluster saturated, where the 202's latency is mostly queueing
  # (Little's law); the latency at an offered rate of 1,000 jobs/s (open loop) is what the
  # target asks about
  line=$(java -cp "$WORK/classes" RateLoad "http://127.0.0.1:$PJ/v1/jobs/sieve" '{"limit":10}' 1000 16 "$D")
  record "$r" jobs_at_1000_rate "$(json_field "$line" rate)"
  record "$r" jobs_at_1000_non2xx "$(( $(json_field "$line" non2xx) + $(json_field "$line" errors) ))"
  record "$r" jobs_at_1000_202_p50_ms "$(json_field "$line" p50)"
  record "$r" jobs_at_1000_202_p99_ms "$(json_field "$line" p99)"
done
kill -TERM "$J" 2>/dev/null || true; wait "$J" 2>/dev/null || true

say "scaling: load-protocol messages per node per second by cluster size (one-worker nodes in one JVM)"
# 4 and 24 nodes, what the target compares (docs/scaling.md has the whole curve and its method)
SCALE_N="4 24"
# shellcheck disable=SC2086
ANVIL_LOG_LEVEL=WARN java -cp "$CP" LoadScaling "$SCALE_S" 3 $SCALE_N 2> "$WORK/scaling.log" | grep '^{' \
  > "$WORK/scaling.jsonl"
python3 - "$WORK/scaling.jsonl" >> "$MEASURE" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    phase = r["phase"].replace("-", "_")
    if phase == "idle":
        print(json.dumps({"run": 1, "name": f"scaling_idle_msgs_per_node_s_{r['nodes']}", "value": r["msgs_per_node_s"]}))
        continue
    for key in ["msgs_per_node_s", "waited_while_free_share", "queue_p99_ms", "pools_followed_per_node"]:
        print(json.dumps({"run": 1, "name": f"scaling_{phase}_{key}_{r['nodes']}", "value": r[key]}))
PY
cp "$WORK/scaling.jsonl" "bench/results/scaling$([ "$SMOKE" = 1 ] && echo -smoke).jsonl"

if [ "$SMOKE" = 0 ]; then
  java -cp "$WORK/classes" LatencyChart "$WORK/chart.csv" docs/health-latency.png \
    "GET /health latency at 200 req/s on Anvil: idle, then while ~10 ms tasks saturate all $CORES cores"
fi
python3 bench/summarize.py "$MEASURE" "$OUT" "$SMOKE" "$0 $ARGS"
if [ "$SMOKE" = 0 ]; then
  java -cp "$WORK/classes" ThroughputChart "$OUT" docs/throughput.png
fi
