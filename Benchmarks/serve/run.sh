#!/bin/sh
# `redline serve` beside nginx in the same run (issue 13): wrk on /changes?since=0 of a 100,000-record feed
# against nginx serving the same JSONL, 1,000 event-stream subscribers through a burst of 1,000 records the
# daemon writes (durable mark -> every subscriber, serve's RSS), and the time to first byte of a 1,000-version
# history page against nginx serving the same HTML. Writes Benchmarks/results/serve.txt and serve.json.
# Needs: wrk, nginx (nginx-light), python3. About 2 minutes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. "$root/Benchmarks/binaries.sh"
need_redline
need_redline_bench
for tool in wrk nginx; do
    command -v $tool >/dev/null || [ -x /usr/sbin/$tool ] || { echo "serve bench: $tool missing (make bench-deps)" >&2; exit 1; }
done
PATH="$PATH:/usr/sbin"
article="$root/../shared/corpus/000_e5aa263bf61808cb.txt"
[ -f "$article" ] || article="$root/Tests/IntegrationTests/corpus/000_e5aa263bf61808cb.txt"
mkdir -p "$root/Benchmarks/results"
exec python3 "$here/serve_bench.py" --redline "$REDLINE_BIN" --bench "$REDLINE_BENCH_BIN" \
    --records "${RECORDS:-100000}" --subscribers "${SUBSCRIBERS:-1000}" --burst "${BURST:-1000}" \
    --versions "${VERSIONS:-1000}" --article "$article" --out "$root/Benchmarks/results/serve.txt"
