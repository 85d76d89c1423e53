#!/bin/sh
# Redline on a tree of ARTICLES (default 100,000) articles: warm/cold start, start after 1% changed, memory,
# idle CPU and disk, beside git status, sha256sum, inotifywait and git's objects in the same run (issue 11).
# Writes Benchmarks/results/scale.txt and scale.json (QUICK=1: 10,000 articles, short phases, scale-quick.*).
# Needs: git, inotify-tools, jq, python3. ~15 min at 100,000.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. "$root/Benchmarks/binaries.sh"
need_redline
article="$root/../shared/corpus/000_e5aa263bf61808cb.txt"
[ -f "$article" ] || article="$root/Tests/IntegrationTests/corpus/000_e5aa263bf61808cb.txt"
mkdir -p "$root/Benchmarks/results"
quick=""
[ -n "${QUICK:-}" ] && quick="--quick"
exec python3 "$here/scale_bench.py" --redline "$REDLINE_BIN" --article "$article" $quick \
    --articles "${ARTICLES:-100000}" --idle-s "${IDLE_S:-30}" --out "$root/Benchmarks/results/scale${QUICK:+-quick}.txt"
