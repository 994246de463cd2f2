"""Turns run.sh's raw measurements into the figures, their ratios and the targets.

Each ratio is computed within one round (both sides measured minutes apart on the same
machine), then the median over rounds is reported.
"""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

measure_file, out_file, smoke, command = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
runs = defaultdict(dict)
for line in open(measure_file):
    m = json.loads(line)
    runs[m["run"]][m["name"]] = float(m["value"])


def ratio(a, b):
    return a / b if b else float("nan")


def per_run(f):
    values = []
    for r in sorted(runs):
        try:
            values.append(f(runs[r]))
        except KeyError:
            pass
    return values


def median(values):
    return statistics.median(values) if values else float("nan")


def figure(name):
    return median(per_run(lambda r: r[name]))


ratios = {
    "throughput_over_raw": per_run(lambda r: ratio(r["http_tps"], r["raw_tps"])),
    "health_p99_loaded_over_idle": per_run(lambda r: ratio(r["health_loaded_p99"], r["health_idle_p99"])),
    "empty_task_over_health_rps": per_run(lambda r: ratio(r["empty_rps"], r["health_rps"])),
    "scaling_n_over_1": per_run(lambda r: ratio(r["scale_n_tps"], r["scale_1_tps"])),
    "balance_max_over_min": per_run(lambda r: ratio(max(r["balance_a"], r["balance_b"]),
                                                    min(r["balance_a"], r["balance_b"]))),
}
targets = {
    "throughput_over_raw": (">=", 0.92),
    "health_p99_loaded_over_idle": ("<=", 2.0),
    "health_loaded_p99_ms": ("<=", 5.0),
    "empty_task_over_health_rps": (">=", 0.6),
    "scaling_n_over_1": (">=", 1.8),
    "balance_max_over_min": ("<=", 1.10),
}
figures = {
    "raw_tasks_per_s": figure("raw_tps"),
    "http_tasks_per_s": figure("http_tps"),
    "http_non2xx": figure("http_non2xx"),
    "health_idle_p50_ms": figure("health_idle_p50"),
    "health_idle_p99_ms": figure("health_idle_p99"),
    "health_idle_max_ms": figure("health_idle_max"),
    "health_loaded_p50_ms": figure("health_loaded_p50"),
    "health_loaded_p99_ms": figure("health_loaded_p99"),
    "health_loaded_max_ms": figure("health_loaded_max"),
    "empty_task_rps": figure("empty_rps"),
    "health_rps": figure("health_rps"),
    "scale_1_node_tasks_per_s": figure("scale_1_tps"),
    "scale_n_nodes_tasks_per_s": figure("scale_n_tps"),
    "balance_tasks_node_a": figure("balance_a"),
    "balance_tasks_node_b": figure("balance_b"),
    "rss_rest_mib_per_node": figure("rss_rest_mib"),
    "rss_load_mib_per_node": figure("rss_load_mib"),
}
figures.update({k: median(v) for k, v in ratios.items()})


def met(name):
    if name not in targets:
        return None
    op, bound = targets[name]
    v = figures[name]
    return v >= bound if op == ">=" else v <= bound


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
result = {
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "command": command.strip(),
    "smoke": smoke,
    "rounds": len(runs),
    "machine": {"cores": os.cpu_count(), "cpu": cpu_model(), "java": java, "kernel": platform.release(),
                "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
    "figures": figures,
    "per_round_ratios": ratios,
    "targets": {k: {"op": op, "bound": b, "met": met(k)} for k, (op, b) in targets.items()},
}
with open(out_file, "w") as f:
    json.dump(result, f, indent=2)

rows = [
    ("raw compute limit (primes 2M, tasks/s)", "raw_tasks_per_s", ""),
    ("HTTP throughput (tasks/s)", "http_tasks_per_s", ""),
    ("  throughput / raw limit", "throughput_over_raw", ">= 0.92"),
    ("/health idle p50 / p99 / max (ms)", None, ""),
    ("/health loaded p50 / p99 / max (ms)", None, ""),
    ("  loaded p99 (ms)", "health_loaded_p99_ms", "<= 5"),
    ("  loaded p99 / idle p99", "health_p99_loaded_over_idle", "<= 2.0"),
    ("near-empty task (req/s)", "empty_task_rps", ""),
    ("/health (req/s)", "health_rps", ""),
    ("  empty task / health", "empty_task_over_health_rps", ">= 0.6"),
    ("1 node, 1 worker (primes 10M, tasks/s)", "scale_1_node_tasks_per_s", ""),
    (f"{os.cpu_count()} nodes (primes 10M, tasks/s)", "scale_n_nodes_tasks_per_s", ""),
    ("  scaling N / 1", "scaling_n_over_1", ">= 1.8"),
    ("balance: tasks on node A / node B", None, ""),
    ("  balance max / min", "balance_max_over_min", "<= 1.10"),
    ("memory per node at rest / under load (MiB)", None, ""),
]
special = {
    "/health idle p50 / p99 / max (ms)": "%.2f / %.2f / %.2f" % (
        figures["health_idle_p50_ms"], figures["health_idle_p99_ms"], figures["health_idle_max_ms"]),
    "/health loaded p50 / p99 / max (ms)": "%.2f / %.2f / %.2f" % (
        figures["health_loaded_p50_ms"], figures["health_loaded_p99_ms"], figures["health_loaded_max_ms"]),
    "balance: tasks on node A / node B": "%d / %d" % (figures["balance_tasks_node_a"], figures["balance_tasks_node_b"]),
    "memory per node at rest / under load (MiB)": "%d / %d" % (
        figures["rss_rest_mib_per_node"], figures["rss_load_mib_per_node"]),
}
print()
print(f"Anvil benchmark{' (smoke: figures mean nothing)' if smoke else ''}, {len(runs)} round(s), "
      f"{os.cpu_count()} cores, {cpu_model()}")
print(f"{'figure':48} {'value':>22}  target")
for label, key, target in rows:
    value = special.get(label) if key is None else "%.3f" % figures[key] if figures[key] < 100 else "%.1f" % figures[key]
    verdict = "" if key is None or met(key) is None else ("  ok" if met(key) else "  MISSED")
    print(f"{label:48} {value:>22}  {target}{verdict}")
print(f"\nwritten: {out_file}")
