#!/usr/bin/env bash
# Builds bench/kinds/sieve.jar, the benchmark's kind, the way the README adds a user's kind.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
javac -cp ../../target/anvil.jar -d "$out" src/com/example/*.java
cp -r src/META-INF "$out/"
jar cf sieve.jar -C "$out" .
