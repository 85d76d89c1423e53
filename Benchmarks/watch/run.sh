#!/bin/sh
# End-to-end latency (close() -> record in the feed) and burst ingest of the redline daemon, beside raw inotify
# (inotifywait) measured in the same run. Writes Benchmarks/results/watch.txt and watch.json.
# Needs: inotify-tools (inotifywait), python3. Env: EDITS (default 1000), BURST (10000), SETTLE_MS (50).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
command -v inotifywait >/dev/null || { echo "watch bench: inotifywait missing (apt-get install inotify-tools)" >&2; exit 1; }
. "$root/Benchmarks/binaries.sh"
need_redline
article="$root/../shared/corpus/000_e5aa263bf61808cb.txt"
[ -f "$article" ] || article="$root/Tests/IntegrationTests/corpus/000_e5aa263bf61808cb.txt"
mkdir -p "$root/Benchmarks/results"
exec python3 "$here/watch_bench.py" \
    --redline "$REDLINE_BIN" --article "$article" \
    --edits "${EDITS:-1000}" --burst "${BURST:-10000}" --settle-ms "${SETTLE_MS:-50}" \
    --out "$root/Benchmarks/results/watch.txt"
