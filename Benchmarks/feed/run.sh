#!/usr/bin/env bash
# Feed benchmark (issue 4): append throughput per fsync policy, then `redline check` and
# `redline replay --verify` on a feed of >= 100,000 records beside `jq -c . >/dev/null` and `wc -l`
# on the same files, measured in this run. Figures go to stdout and Benchmarks/results/feed.txt.
# Usage: Benchmarks/feed/run.sh [RECORDS]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${1:-100000}
RESULTS=Benchmarks/results/feed.txt
mkdir -p Benchmarks/results
# `make bench` passes the binaries it built; run alone, this builds them.
if [ -z "${REDLINE_BIN:-}" ] || [ -z "${REDLINE_BENCH_BIN:-}" ]; then
    swift build -c release --product redline >/dev/null
    swift build -c release --product redline-bench >/dev/null
    REDLINE_BIN=$(swift build -c release --show-bin-path)/redline
    REDLINE_BENCH_BIN=$(swift build -c release --show-bin-path)/redline-bench
fi
BIN=$(dirname "$REDLINE_BIN")
WORK=$(mktemp -d /tmp/redline-feed-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# Best (minimum) wall time in seconds of N runs of a command.
best() {
    local runs=$1; shift
    local best=""
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null
        t1=$(date +%s%N)
        local ms=$(( (t1 - t0) / 1000 ))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    awk -v us="$best" 'BEGIN { printf "%.4f", us / 1e6 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

{
echo "# redline feed benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cores  $(uname -r)  load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
echo "## append throughput (records with real patches/changes; one append call per batch)"
"$BIN/redline-bench" feed append "$WORK/a1" 2000 always 1
"$BIN/redline-bench" feed append "$WORK/a2" 20000 always 64
"$BIN/redline-bench" feed append "$WORK/a3" 20000 interval:100 1
"$BIN/redline-bench" feed append "$WORK/a4" "$RECORDS" never 1
rm -rf "$WORK"/a1 "$WORK"/a2 "$WORK"/a3 "$WORK"/a4

echo "## readers on one feed of $RECORDS records ($("$BIN/redline-bench" feed info))"
"$BIN/redline-bench" feed generate "$WORK/feed" "$RECORDS"
# Sealed segments in seq order, then the active file: the order every reader uses.
FILES=$( (ls "$WORK"/feed/changes-*.jsonl 2>/dev/null || true; echo "$WORK/feed/changes.jsonl") | tr '\n' ' ')
BYTES=$(cat $FILES | wc -c)
LINES=$(cat $FILES | wc -l)
echo "feed: $LINES lines, $BYTES bytes, $(echo $FILES | wc -w) segment files"
"$BIN/redline" check --feed "$WORK/feed"
cat $FILES >/dev/null  # warm the page cache for every reader alike

CHECK=$(best 5 "$BIN/redline" check --feed "$WORK/feed")
REPLAY=$(best 3 "$BIN/redline" replay --verify --feed "$WORK/feed")
# shellcheck disable=SC2086  # FILES is a list of paths without spaces
JQ=$(best 3 jq -c . $FILES)
WC=$(best 5 wc -l $FILES)

rate() { awk -v n="$LINES" -v s="$1" 'BEGIN { printf "%d", n / s }'; }
printf "%-26s %9s s  %10s records/s\n" "redline check" "$CHECK" "$(rate "$CHECK")"
printf "%-26s %9s s  %10s records/s\n" "redline replay --verify" "$REPLAY" "$(rate "$REPLAY")"
printf "%-26s %9s s  %10s records/s\n" "jq -c . >/dev/null" "$JQ" "$(rate "$JQ")"
printf "%-26s %9s s  %10s records/s\n" "wc -l" "$WC" "$(rate "$WC")"
echo "## ratios (goal: check >= 5x faster than jq, and within 4x of wc -l)"
echo "jq / check           = $(ratio "$JQ" "$CHECK")x"
echo "check / wc -l        = $(ratio "$CHECK" "$WC")x"
echo "jq / replay --verify = $(ratio "$JQ" "$REPLAY")x"
} | tee "$RESULTS"
