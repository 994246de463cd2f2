# Helpers the bench scripts share; sourced by run.sh, jobs.sh, metrics-cost.sh and niceness.sh.

free_ports() { # N consecutive free loopback ports; prints the first
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randint(20000, 32000 - n)  # below Linux's ephemeral ports (32768-60999)
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

wait_for() { # FILE PATTERN SECONDS: until FILE has a line matching PATTERN; else its tail, and exit 1
  local end=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -ge $end ] && { echo "timed out waiting for '$2' in $1:" >&2; tail -20 "$1" >&2; exit 1; }
    sleep 0.2
  done
}
