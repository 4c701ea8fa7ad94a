#!/usr/bin/env bash
# compare-terraform.sh runs the planner benchmark shapes through stagecraft
# (bench/cmd/stagebench: the planner driven from Go, sim provider in memory,
# local state backend with its fsynced journal; no stagecraft binary needed)
# and, when `terraform` is on PATH, the same shapes through Terraform with
# its built-in terraform_data resource, and prints the medians side by side.
#
# Runs are interleaved (stagecraft, then terraform, shape after shape, run
# after run) so that both tools see the same noise on a shared machine; the
# medians and ratios of one invocation are comparable, numbers of different
# invocations less so.
#
# Every run is recorded as a line in Go's benchmark format,
#
#   BenchmarkCompare/shape=independent-1000/tool=stagecraft 1 352000000 ns/op 35651584 peak-rss-B
#
# and benchstat (the version go.mod pins as a tool) summarises them: the
# median of the runs with a 95% confidence interval, terraform against
# stagecraft per shape. Benchstat asks for 6 runs or more before it gives
# an interval, and 4 before it calls a difference significant.
#
# Usage:
#   bench/compare-terraform.sh
#   RUNS=5 SHAPES="independent-1000 layers10-1000" bench/compare-terraform.sh
#
# Environment:
#   RUNS         runs per shape and tool (default 3)
#   SHAPES       shapes to run (default: all of those below)
#                  independent-N   N resources without dependencies
#                  layersL-N       N resources in L layers; layer k's input
#                                  is layer k-1's id, instance by instance
#                  noop-N          apply N independent resources (untimed),
#                                  then time a plan that changes nothing
#                  latencyL-W      L layers of W resources with 100 ms per
#                                  create (sim latency; Terraform: a
#                                  local-exec "sleep 0.1"), timed against
#                                  the critical path L x 100 ms
#   PARALLELISM  both tools' parallelism (default 10, Terraform's default)
#   TIMEOUT      seconds one run may take before it counts as "timeout"
#                (default 900)
#   NO_TERRAFORM=1  skip Terraform even when it is on PATH
#   OUT          file to keep the benchmark lines in (default: a temporary
#                file, kept)
#
# Terraform needs no network here: terraform_data is built in, so
# `terraform init` installs nothing, and CHECKPOINT_DISABLE=1 stops the
# version check. TF_CLI_CONFIG_FILE points at an empty file so that a
# missing ~/.terraformrc named by the environment does not warn.
set -euo pipefail

RUNS=${RUNS:-3}
SHAPES=${SHAPES:-"independent-1000 layers10-1000 independent-5000 layers10-5000 noop-5000 latency10-5"}
PARALLELISM=${PARALLELISM:-10}
TIMEOUT=${TIMEOUT:-900}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-terraform.XXXXXX")
trap 'rm -rf "$work"' EXIT
benchfile=${OUT:-$(mktemp "${TMPDIR:-/tmp}/compare-terraform-runs.XXXXXX")}
: >"$benchfile"

(cd "$root" && go build -o "$work/stagebench" ./bench/cmd/stagebench)

tf=""
if [[ -z "${NO_TERRAFORM:-}" ]] && command -v terraform >/dev/null 2>&1; then
	tf=$(command -v terraform)
	: >"$work/empty.tfrc"
	export TF_CLI_CONFIG_FILE="$work/empty.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
	echo "terraform: $("$tf" version | head -1)"
else
	echo "terraform: not on PATH (or NO_TERRAFORM set); running stagecraft only"
fi
echo "go: $(go version)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "runs: $RUNS, parallelism: $PARALLELISM"
echo "benchmark lines: $benchfile"
echo

# shape_args SHAPE prints: n layers latency noop
shape_args() {
	case "$1" in
	independent-*) echo "${1#independent-} 1 0 0" ;;
	noop-*) echo "${1#noop-} 1 0 1" ;;
	layers*-*)
		local l=${1#layers}
		l=${l%%-*}
		echo "${1##*-} $l 0 0"
		;;
	latency*-*)
		local l=${1#latency}
		l=${l%%-*}
		echo "$((l * ${1##*-})) $l 100 0"
		;;
	*)
		echo "unknown shape $1" >&2
		exit 2
		;;
	esac
}

now_ns() { date +%s%N; }

# tf_config DIR N LAYERS LATENCY_MS writes the Terraform version of a shape.
tf_config() {
	local dir=$1 n=$2 layers=$3 latency=$4 per k
	per=$((n / layers))
	mkdir -p "$dir"
	{
		for ((k = 0; k < layers; k++)); do
			echo "resource \"terraform_data\" \"l$k\" {"
			echo "  count = $per"
			if ((k > 0)); then
				echo "  input = terraform_data.l$((k - 1))[count.index].id"
			fi
			if ((latency > 0)); then
				echo "  provisioner \"local-exec\" {"
				echo "    command = \"sleep $(awk -v ms="$latency" 'BEGIN { print ms / 1000 }')\""
				echo "  }"
			fi
			echo "}"
		done
	} >"$dir/main.tf"
	(cd "$dir" && "$tf" init -input=false -no-color >/dev/null)
}

# run_stagecraft SHAPE prints the measured nanoseconds (or
# "timeout"/"error") and the peak RSS in bytes (or "-").
run_stagecraft() {
	local n layers latency noop out field
	read -r n layers latency noop <<<"$(shape_args "$1")"
	local args=(-n "$n" -layers "$layers" -parallelism "$PARALLELISM")
	((latency > 0)) && args+=(-latency "${latency}ms")
	((noop)) && args+=(-noop)
	field=total_s
	((noop)) && field=noop_plan_s
	((latency > 0)) && field=apply_s
	local rc=0
	out=$(timeout "$TIMEOUT" "$work/stagebench" "${args[@]}" 2>&1) || rc=$?
	case $rc in
	0) ;;
	124) echo "timeout -"; return ;;
	*) echo "error -"; echo "$out" >&2; return ;;
	esac
	awk -v s="$(sed -n "s/.* $field=\([0-9.]*\).*/\1/p" <<<"$out")" -v mb="$(sed -n 's/.*maxrss_mb=\([0-9.]*\).*/\1/p' <<<"$out")" \
		'BEGIN { if (s == "") { print "error -"; exit } printf "%.0f %s\n", s * 1e9, (mb == "" ? "-" : sprintf("%.0f", mb * 1048576)) }'
}

# run_terraform SHAPE prints the measured nanoseconds (or
# "timeout"/"error").
run_terraform() {
	local n layers latency noop dir start end
	read -r n layers latency noop <<<"$(shape_args "$1")"
	dir="$work/tf-$1"
	[[ -f "$dir/main.tf" ]] || tf_config "$dir" "$n" "$layers" "$latency"
	rm -f "$dir/terraform.tfstate" "$dir/terraform.tfstate.backup"
	cd "$dir"
	if ((noop)); then
		if ! timeout "$TIMEOUT" "$tf" apply -auto-approve -input=false -no-color -parallelism="$PARALLELISM" >"$dir/log" 2>&1; then
			cd "$root"; echo "error"; return
		fi
		start=$(now_ns)
		local rc=0
		timeout "$TIMEOUT" "$tf" plan -input=false -no-color -detailed-exitcode -parallelism="$PARALLELISM" >"$dir/log" 2>&1 || rc=$?
		end=$(now_ns)
		cd "$root"
		if ((rc != 0)); then echo "error"; else echo $((end - start)); fi
		return
	fi
	start=$(now_ns)
	local rc=0
	timeout "$TIMEOUT" "$tf" apply -auto-approve -input=false -no-color -parallelism="$PARALLELISM" >"$dir/log" 2>&1 || rc=$?
	end=$(now_ns)
	cd "$root"
	case $rc in
	0) echo $((end - start)) ;;
	124) echo "timeout" ;;
	*) echo "error" ;;
	esac
}

# record SHAPE TOOL NS [RSS] appends one run in Go's benchmark format to
# $benchfile; a run that failed or timed out is left out, so the run counts
# benchstat prints show it.
record() {
	[[ $3 =~ ^[0-9]+$ ]] || return 0
	local line="BenchmarkCompare/shape=$1/tool=$2 1 $3 ns/op"
	[[ ${4:-} =~ ^[0-9]+$ ]] && line+=" $4 peak-rss-B"
	echo "$line" >>"$benchfile"
}

# shown NS prints nanoseconds as seconds, or passes "timeout"/"error" on.
shown() { if [[ $1 =~ ^[0-9]+$ ]]; then awk -v n="$1" 'BEGIN { printf "%.3fs", n / 1e9 }'; else echo "$1"; fi; }

for ((run = 1; run <= RUNS; run++)); do
	for shape in $SHAPES; do
		read -r t rss <<<"$(run_stagecraft "$shape")"
		record "$shape" stagecraft "$t" "$rss"
		line="run $run/$RUNS $shape: stagecraft $(shown "$t")"
		if [[ -n $tf ]]; then
			tt=$(run_terraform "$shape")
			record "$shape" terraform "$tt"
			line+=", terraform $(shown "$tt")"
		fi
		echo "$line" >&2
	done
done

echo
(cd "$root" && go tool benchstat -col /tool -row /shape "$benchfile")

# The medians benchstat found, one "shape tool seconds" line each, for the
# figures below: the first table of its CSV output is sec/op.
medians=$(cd "$root" && go tool benchstat -format csv -col /tool -row /shape "$benchfile" 2>/dev/null | awk -F, '
	NR == 1 { for (i = 2; i <= NF; i++) if ($i != "") tool[i] = $i; next }
	NR == 2 { next }
	$0 == "" { exit }
	$1 != "geomean" { for (i in tool) if ($i != "") print $1, tool[i], $i }')
# median SHAPE TOOL prints benchstat's median in seconds, or nothing.
median() { awk -v s="$1" -v t="$2" '$1 == s && $2 == t { print $3 }' <<<"$medians"; }
# ratio A B prints A/B with two decimals, or "-" when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

echo
for shape in $SHAPES; do
	line="$shape:"
	[[ -n $tf ]] && line+=" terraform/stagecraft $(ratio "$(median "$shape" terraform)" "$(median "$shape" stagecraft)")x"
	case $shape in
	latency*-*)
		l=${shape#latency}
		l=${l%%-*}
		crit=$(awk -v l="$l" 'BEGIN { printf "%.3f", l * 0.1 }')
		line+="${tf:+;} critical path ${crit}s; stagecraft apply $(ratio "$(median "$shape" stagecraft)" "$crit")x${tf:+, terraform apply (incl. its plan and a process per sleep) $(ratio "$(median "$shape" terraform)" "$crit")x} of it"
		;;
	esac
	[[ $line != "$shape:" ]] && echo "$line"
done
# Growth from 1,000 to 5,000 resources, from the medians of this run.
for pair in "independent-1000 independent-5000" "layers10-1000 layers10-5000"; do
	read -r a b <<<"$pair"
	if [[ " $SHAPES " == *" $a "* && " $SHAPES " == *" $b "* ]]; then
		line="$b / $a: stagecraft $(ratio "$(median "$b" stagecraft)" "$(median "$a" stagecraft)")x"
		[[ -n $tf ]] && line+=", terraform $(ratio "$(median "$b" terraform)" "$(median "$a" terraform)")x"
		echo "$line (5.00x is linear)"
	fi
done
