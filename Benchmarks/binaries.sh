# Sourced by each Benchmarks/*/run.sh once it has set $root: the release binaries `make bench` passes in
# REDLINE_BIN and REDLINE_BENCH_BIN, built here (as `make bench` builds them) when a script runs alone.
need_redline() {
    if [ -z "${REDLINE_BIN:-}" ]; then
        (cd "$root" && swift build -c release --static-swift-stdlib --product redline >&2)
        REDLINE_BIN="$root/.build/release/redline"
    fi
}
need_redline_bench() {
    if [ -z "${REDLINE_BENCH_BIN:-}" ]; then
        (cd "$root" && swift build -c release --static-swift-stdlib --product redline-bench >&2)
        REDLINE_BENCH_BIN="$root/.build/release/redline-bench"
    fi
}
