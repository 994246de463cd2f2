#!/usr/bin/env bash
# The jobs' listing with ROWS jobs stored (default 1,000,000), on H2 (a file, as start keeps it)
# and on PostgreSQL: fills the listing's table and times the listing's own query for a first
# page, filtered pages and a page half-way down through a cursor (bench/JobListing.java). H2's
# cache of query results is off, so a repeated query is timed, not its cached answer.
#   bench/listing.sh [ROWS]      (needs target/anvil.jar and a local PostgreSQL, as bench/jobs.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp target/anvil.jar bench/JobListing.java
echo "H2 (file):"
java -cp "$WORK/classes:target/anvil.jar" JobListing "jdbc:h2:file:$WORK/jobs;WRITE_DELAY=0;QUERY_CACHE_SIZE=0" anvil pw "$ROWS"
DB="anvil_listing_$$"
PW="${ANVIL_TEST_PG_PASSWORD:-anvil}"
PGPASSWORD="$PW" psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB"
echo "PostgreSQL:"
java -cp "$WORK/classes:target/anvil.jar" JobListing "jdbc:postgresql://127.0.0.1:5432/$DB" postgres "$PW" "$ROWS" || true
PGPASSWORD="$PW" psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $DB WITH (FORCE)"
