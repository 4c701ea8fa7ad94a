#!/usr/bin/env bash
# run-benchmarks.sh runs the planner's Go benchmarks (planner/bench_test.go)
# and summarises them with benchstat (the version go.mod pins as a tool):
# for every benchmark and metric the median over the runs with a 95%
# confidence interval, the numbers that bench/RESULTS.md quotes. Benchstat
# asks for 6 runs or more before it gives an interval.
#
# Usage:
#   bench/run-benchmarks.sh                 # every benchmark, 3x per run, 5 runs
#   COUNT=10 BENCH='PlanApply/independent' bench/run-benchmarks.sh
#
# Environment:
#   BENCH      -bench pattern (default "." : all)
#   BENCHTIME  -benchtime (default 3x: each run is 3 operations, averaged)
#   COUNT      -count (default 5)
#   OUT        file to keep the raw output in (default: a temporary file)
#
# The raw output is kept, so two runs (before and after a change) can be
# compared with `go tool benchstat before.txt after.txt`.
set -euo pipefail

BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-3x}
COUNT=${COUNT:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$(mktemp "${TMPDIR:-/tmp}/planner-bench.XXXXXX")}

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "go: $(go version)"
echo "command: go test ./planner -run '^\$' -bench '$BENCH' -benchtime $BENCHTIME -count $COUNT -timeout 120m"
echo "raw output: $out"
echo
(cd "$root" && go test ./planner -run '^$' -bench "$BENCH" -benchtime "$BENCHTIME" -count "$COUNT" -timeout 120m) | tee "$out" | grep -E '^(Benchmark|ok|FAIL|---)' >&2
echo
(cd "$root" && go tool benchstat "$out")
