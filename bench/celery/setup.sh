#!/usr/bin/env bash
# Idempotent setup for the Celery side of the jobs benchmark (Debian, as root).
#
#  - installs redis-server (Debian package) if missing;
#  - creates a Python venv at ${CELERY_VENV:-/tmp/anvil-celery-venv} holding a
#    pinned Celery with the redis transport/result backend.
#
# Where Celery comes from (CELERY_INSTALL, default "auto"):
#   pip  - pip-install celery[redis]==$PIP_CELERY and redis==$PIP_REDIS_PY
#          into the venv (needs a package index that has them);
#   apt  - Debian's python3-celery / python3-redis (bookworm: celery 5.2.6,
#          kombu 5.2.4, redis-py 4.3.4), seen by the venv through
#          --system-site-packages;
#   auto - pip, and apt if pip cannot resolve the pinned set.
# The venv records which one it got in $VENV/.anvil-celery; run.sh prints
# the versions in its JSON line so results from the two are never mixed up.
set -euo pipefail

PIP_CELERY="5.6.3"     # newest celery 5.x
PIP_REDIS_PY="6.4.0"   # newest redis-py allowed by kombu 5.6.x (redis<6.5)
APT_CELERY="5.2.6-5"   # Debian bookworm python3-celery
APT_REDIS_PY="4.3.4-3" # Debian bookworm python3-redis

VENV="${CELERY_VENV:-/tmp/anvil-celery-venv}"
MODE="${CELERY_INSTALL:-auto}"
MARK="$VENV/.anvil-celery"

log() { echo "setup: $*" >&2; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---- redis-server ---------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  log "installing redis-server"
  apt_install redis-server redis-tools
  # The package may start a system instance on :6379. run.sh never uses it
  # (it starts its own on a free port); stop it so it does not sit there.
  { systemctl stop redis-server || service redis-server stop || true; } >/dev/null 2>&1
fi

# ---- python ---------------------------------------------------------------
# Debian's interpreter, so the apt mode (dist-packages) and the pip mode use
# the same Python.
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
  log "installing python3"
  apt_install python3 python3-venv
fi

make_venv() { # $1 = extra venv flags
  rm -rf "$VENV"
  if ! "$PY" -m venv $1 "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    log "installing python3-venv"
    apt_install python3-venv
    "$PY" -m venv $1 "$VENV"
  fi
}

versions() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
print(f"celery=={m.version('celery')} redis=={m.version('redis')}")
PY
}

already_ok() {
  [ -x "$VENV/bin/python" ] && [ -f "$MARK" ] || return 1
  local mode; mode="$(cat "$MARK")"
  case "$MODE" in auto|"$mode") ;; *) return 1 ;; esac
  "$VENV/bin/python" -c 'import celery, kombu, redis' 2>/dev/null || return 1
  if [ "$mode" = pip ]; then
    [ "$(versions)" = "celery==$PIP_CELERY redis==$PIP_REDIS_PY" ] || return 1
  fi
  return 0
}

try_pip() {
  log "creating venv at $VENV (pip mode)"
  make_venv ""
  log "pip-installing celery[redis]==$PIP_CELERY redis==$PIP_REDIS_PY"
  if "$VENV/bin/python" -m pip install -q --retries 1 --timeout 20 \
       "celery[redis]==$PIP_CELERY" "redis==$PIP_REDIS_PY"; then
    echo pip >"$MARK"
    return 0
  fi
  return 1
}

do_apt() {
  log "installing Debian python3-celery / python3-redis (apt mode)"
  apt_install "python3-celery=$APT_CELERY" "python3-redis=$APT_REDIS_PY" \
    || apt_install python3-celery python3-redis
  log "creating venv at $VENV (apt mode, --system-site-packages)"
  make_venv "--system-site-packages"
  echo apt >"$MARK"
}

if already_ok; then
  log "venv at $VENV already set up ($(cat "$MARK") mode)"
else
  case "$MODE" in
    pip)  try_pip || { log "pip install failed"; exit 1; } ;;
    apt)  do_apt ;;
    auto) try_pip || { log "pip could not resolve the pinned set; falling back to Debian packages"; do_apt; } ;;
    *)    log "CELERY_INSTALL must be auto, pip or apt (got '$MODE')"; exit 2 ;;
  esac
fi

"$VENV/bin/python" -c 'import celery, kombu, redis, billiard, sys; print("setup: ok (%s mode) python %s celery %s kombu %s billiard %s redis-py %s" % (open(sys.argv[1]).read().strip(), sys.version.split()[0], celery.__version__, kombu.__version__, billiard.__version__, redis.__version__))' "$MARK"
echo "setup: $(redis-server --version)"
