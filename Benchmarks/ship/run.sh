#!/bin/sh
# redline ship into a private PostgreSQL 15 (issue 14): records per second shipped beside psql \copy of the same
# records in the same run, then ship's lag while the daemon records RATE (default 1,000) edits a second.
# Writes Benchmarks/results/ship.txt and ship.json. Needs: postgresql (15), python3. About 3 minutes.
# RECORDS=N (default 100000), SUSTAIN_S=S (default 30).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. "$root/Benchmarks/binaries.sh"
need_redline
if [ ! -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
    echo "ship bench: PostgreSQL 15 is not installed (make bench-deps installs postgresql)" >&2
    exit 1
fi
article="$root/../shared/corpus/000_e5aa263bf61808cb.txt"
[ -f "$article" ] || article="$root/Tests/IntegrationTests/corpus/000_e5aa263bf61808cb.txt"
mkdir -p "$root/Benchmarks/results"
exec python3 "$here/ship_bench.py" --redline "$REDLINE_BIN" --article "$article" --records "${RECORDS:-100000}" \
    --rate "${RATE:-1000}" --sustain-s "${SUSTAIN_S:-30}" --out "$root/Benchmarks/results/ship.txt"
