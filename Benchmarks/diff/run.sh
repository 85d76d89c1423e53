#!/bin/sh
# Diff benchmark: Redline's diff+classify beside Python difflib (in process) and git --minimal word diff
# (whole process), on corpus-derived pairs of ~5,000 and ~50,000 words in a light and a heavy regime.
# Writes Benchmarks/results/diff.txt and diff.json. Needs: python3, git; hyperfine if installed.
# Env: REDLINE_BIN, REDLINE_BENCH_BIN (default: release builds), QUICK=1 for fewer runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. "$root/Benchmarks/binaries.sh"
need_redline
need_redline_bench
article="$root/../shared/corpus/000_e5aa263bf61808cb.txt"
[ -f "$article" ] || article="$root/Tests/RedlineDiffTests/Fixtures/corpus/000_e5aa263bf61808cb.txt"
work="$root/Benchmarks/work/diff"
mkdir -p "$work" "$root/Benchmarks/results"
python3 "$here/gen.py" --corpus "$article" --out "$work"
exec python3 "$here/bench.py" --redline "$REDLINE_BIN" --bench "$REDLINE_BENCH_BIN" --work "$work" \
    --out "$root/Benchmarks/results/diff.txt" ${QUICK:+--quick}
