#!/bin/sh
# Classification on real edits (issue 12): ../shared/eval3's runner three ways in one run (no word lists,
# the default word lists, the default lists plus an archive), the lexicon's cost (peak RSS, start-up, time
# per pair), beside the previous run's figures. Writes Benchmarks/results/eval3.txt and eval3.json.
# Env: REDLINE_BIN (default: the release build).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. "$root/Benchmarks/binaries.sh"
need_redline
eval3="$root/../shared/eval3"
if [ ! -f "$eval3/run_eval3.py" ]; then
    echo "eval3: $eval3/run_eval3.py not found; skipping (it ships beside the repository, in ../shared)" >&2
    exit 0
fi
mkdir -p "$root/Benchmarks/results"
exec python3 "$here/bench.py" --redline "$REDLINE_BIN" --eval3 "$eval3" --out "$root/Benchmarks/results/eval3.txt"
