#!/usr/bin/env bash
# The chaos runner: a real Anvil cluster under mixed load and a seeded schedule of faults, every
# call recorded in a history that is checked at the end (docs/reliability.md).
#   bash chaos/run.sh --minutes 30 --seed 42        # as root: three network-namespace hosts
#   bash chaos/run.sh --help                        # every option
# Builds target/anvil.jar first when it is missing. Exit status: 0 no violation, 1 violations
# (each printed), 2 the cluster did not start.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/anvil.jar ]; then
  mvn -B -q package -DskipTests
fi
exec java -cp target/anvil.jar dev.anvil.chaos.Runner "$@"
