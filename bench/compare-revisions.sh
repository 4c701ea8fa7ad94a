#!/usr/bin/env bash
# compare-revisions.sh measures two revisions of the tree side by side: the
# planner's Go benchmarks (planner/bench_test.go) and whole stagebench
# processes (bench/cmd/stagebench), built from each revision and run
# interleaved (old, new, old, new, ...) so that the machine's noise falls on
# both alike. benchstat then sets the two against each other.
#
# Usage:
#   bench/compare-revisions.sh OLD [NEW]      # NEW defaults to the work tree
#   RUNS=6 BENCH='PlanApply' bench/compare-revisions.sh main~5
#
# Environment:
#   RUNS       interleaved rounds (default 6: benchstat's minimum for an interval)
#   BENCH      -bench pattern for the planner benchmarks (default ".")
#   BENCHTIME  -benchtime (default 1x)
#   SHAPES     stagebench runs, "N:LAYERS" or "N:LAYERS:noop" (default
#              "1000:1 1000:10 5000:10 5000:10:noop")
#   OUT        directory to keep the raw outputs in (default: a temporary one)
set -euo pipefail

old=${1:?usage: compare-revisions.sh OLD [NEW]}
new=${2:-}
RUNS=${RUNS:-6}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-1x}
SHAPES=${SHAPES:-"1000:1 1000:10 5000:10 5000:10:noop"}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/compare-revisions.XXXXXX")}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-revisions-src.XXXXXX")
cleanup() {
	git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true
	[ -n "$new" ] && git -C "$root" worktree remove --force "$work/new" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# build REV_DIR NAME: the planner's test binary and stagebench of one tree.
build() {
	(cd "$1" && go test -c -o "$work/$2.planner.test" ./planner && go build -o "$work/$2.stagebench" ./bench/cmd/stagebench)
}
git -C "$root" worktree add --detach "$work/old" "$old" >/dev/null
build "$work/old" old
if [ -n "$new" ]; then
	git -C "$root" worktree add --detach "$work/new" "$new" >/dev/null
	build "$work/new" new
else
	build "$root" new
fi

echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "old: $(git -C "$root" rev-parse --short "$old")  new: ${new:-work tree at $(git -C "$root" rev-parse --short HEAD)}"
echo "raw outputs: $out"
echo

# stagebench LINE -> Go benchmark lines, so benchstat reads them.
to_bench() {
	awk -v name="$1" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		t = (f["noop_plan_s"] != "") ? f["noop_plan_s"] : f["total_s"]
		printf "BenchmarkStagebench/%s 1 %.0f ns/op %.0f peak-rss-B\n", name, t * 1e9, f["maxrss_mb"] * 1048576
	}'
}

for ((i = 1; i <= RUNS; i++)); do
	for side in old new; do
		# Revisions before 2026-12-08 label their MiB figures "-MB".
		(cd "$root/planner" && "$work/$side.planner.test" -test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1 -test.timeout 60m) |
			grep -E '^(Benchmark|goos|goarch|pkg|cpu)' | sed -E 's/ ([a-z-]+)-MB([[:space:]]|$)/ \1-MiB\2/g' >>"$out/$side.planner.txt"
		for s in $SHAPES; do
			IFS=: read -r n layers noop <<<"$s"
			args=(-n "$n" -layers "$layers")
			name="n=$n/layers=$layers"
			if [ "${noop:-}" = noop ]; then args+=(-noop); name="$name/noop"; fi
			"$work/$side.stagebench" "${args[@]}" | tail -1 | to_bench "$name" >>"$out/$side.stagebench.txt"
		done
	done
	echo "round $i of $RUNS done" >&2
done

echo "== planner benchmarks (in-process)"
(cd "$root" && go tool benchstat "$out/old.planner.txt" "$out/new.planner.txt")
echo
echo "== stagebench (whole process; noop rows time the no-op plan)"
(cd "$root" && go tool benchstat "$out/old.stagebench.txt" "$out/new.stagebench.txt")
