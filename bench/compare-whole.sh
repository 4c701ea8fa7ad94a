#!/usr/bin/env bash
# compare-whole.sh measures what users run: the stagecraft binary, a fresh
# process per command, on N autoscaling groups in 10 dependency layers
# (bench/shape), the sim provider's cloud persisted in a file and the
# state in the local backend, and, side by side, Terraform with its
# built-in terraform_data on the same shape. For every N it times, in
# this order, an apply from nothing, a no-op plan against what the apply
# made, and a destroy, with the peak RSS of each process (/usr/bin/time),
# and repeats the three RUNS times, the tools interleaved so that both see
# the machine's noise alike.
#
# Every run is one line in Go's benchmark format,
#
#   BenchmarkWhole/n=1000/op=apply/tool=stagecraft 1 352000000 ns/op 35651584 peak-rss-B
#
# kept in OUT; the table of medians (and benchstat's summary) is printed,
# and with RESULTS=FILE inserted into FILE (bench/RESULTS.md) as a new
# section, newest first, with the date, machine and command.
#
# Usage:
#   bench/compare-whole.sh
#   RUNS=3 SIZES="1000 5000 10000 100000" TF_SIZES="1000" RESULTS=bench/RESULTS.md bench/compare-whole.sh
#
# Environment:
#   RUNS        rounds (default 3)
#   SIZES       resource counts for stagecraft (default "1000 5000 10000 100000")
#   LAYERS      dependency layers (default 10)
#   TF_SIZES    the counts Terraform runs too (default "1000"; Terraform
#               takes minutes from 5,000 on), TF_RUNS its rounds (default
#               RUNS); NO_TERRAFORM=1 skips it
#   PARALLELISM both tools' parallelism (default 10, Terraform's default)
#   TIMEOUT     seconds one command may take (default 900)
#   OUT         file for the benchmark lines (default: a temporary file, kept)
#   RESULTS     file to insert the table into (default: none)
set -euo pipefail

RUNS=${RUNS:-3}
SIZES=${SIZES:-"1000 5000 10000 100000"}
LAYERS=${LAYERS:-10}
TF_SIZES=${TF_SIZES:-"1000"}
TF_RUNS=${TF_RUNS:-$RUNS}
PARALLELISM=${PARALLELISM:-10}
TIMEOUT=${TIMEOUT:-900}
RESULTS=${RESULTS:-}

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-whole.XXXXXX")
trap 'rm -rf "$work"' EXIT
benchfile=${OUT:-$(mktemp "${TMPDIR:-/tmp}/compare-whole-runs.XXXXXX")}
: >"$benchfile"

(cd "$root" && go build -o "$work/stagecraft" ./cmd/stagecraft && go build -o "$work/stagebench" ./bench/cmd/stagebench)

tf=""
if [[ -z "${NO_TERRAFORM:-}" ]] && command -v terraform >/dev/null 2>&1; then
	tf=$(command -v terraform)
	: >"$work/empty.tfrc"
	export TF_CLI_CONFIG_FILE="$work/empty.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
else
	TF_SIZES=""
fi

command_line="RUNS=$RUNS SIZES=\"$SIZES\" LAYERS=$LAYERS TF_SIZES=\"$TF_SIZES\" TF_RUNS=$TF_RUNS bench/compare-whole.sh"
header() {
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-4)"
	echo "- stagecraft: $(git -C "$root" rev-parse --short HEAD)${tf:+; terraform: $("$tf" version | head -1)}"
	echo "- command: \`$command_line\`"
}
started=$(header)
echo "$started"
echo "- benchmark lines: $benchfile"
echo

# timed DIR LOG CMD... runs CMD in DIR and prints "NANOSECONDS PEAK_RSS_BYTES",
# or "error"/"timeout" (the log keeps the output).
timed() {
	local dir=$1 log=$2 rc=0
	shift 2
	(cd "$dir" && timeout "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$log.time" "$@" >"$log" 2>&1) || rc=$?
	case $rc in
	0) awk '{ printf "%.0f %.0f\n", $1 * 1e9, $2 * 1024 }' "$log.time" ;;
	124) echo "timeout" ;;
	*) echo "error" ;;
	esac
}

# record N OP TOOL RESULT appends one run; a failed one is reported and
# left out, so the run counts show it.
record() {
	local n=$1 op=$2 tool=$3 ns rss
	read -r ns rss <<<"$4"
	if ! [[ $ns =~ ^[0-9]+$ ]]; then
		echo "n=$n $op $tool: $ns (see $work)" >&2
		return 0
	fi
	echo "BenchmarkWhole/n=$n/op=$op/tool=$tool 1 $ns ns/op $rss peak-rss-B" >>"$benchfile"
	printf 'n=%s %-7s %-10s %8.2fs %6.0f MiB\n' "$n" "$op" "$tool" "$(awk -v n="$ns" 'BEGIN { print n / 1e9 }')" "$(awk -v r="$rss" 'BEGIN { print r / 1048576 }')" >&2
}

# tf_config DIR N writes the Terraform version of the shape.
tf_config() {
	local dir=$1 n=$2 per k
	per=$((n / LAYERS))
	mkdir -p "$dir"
	for ((k = 0; k < LAYERS; k++)); do
		echo "resource \"terraform_data\" \"l$k\" {"
		echo "  count = $per"
		((k > 0)) && echo "  input = terraform_data.l$((k - 1))[count.index].id"
		echo "}"
	done >"$dir/main.tf"
	(cd "$dir" && "$tf" init -input=false -no-color >/dev/null)
}

for n in $SIZES; do
	"$work/stagebench" -n "$n" -layers "$LAYERS" -write "$work/sc-$n"
	[[ " $TF_SIZES " == *" $n "* ]] && tf_config "$work/tf-$n" "$n"
done

sc() { "$work/stagecraft" --parallelism "$PARALLELISM" "$@"; }
for ((run = 1; run <= RUNS; run++)); do
	for n in $SIZES; do
		d="$work/sc-$n"
		rm -rf "$d/.stagecraft"
		record "$n" apply stagecraft "$(timed "$d" "$d/apply.log" "$work/stagecraft" --parallelism "$PARALLELISM" apply --auto-approve)"
		record "$n" noop stagecraft "$(timed "$d" "$d/plan.log" "$work/stagecraft" --parallelism "$PARALLELISM" plan --detailed-exitcode)"
		record "$n" destroy stagecraft "$(timed "$d" "$d/destroy.log" "$work/stagecraft" --parallelism "$PARALLELISM" destroy --auto-approve)"
		if [[ " $TF_SIZES " == *" $n "* ]] && ((run <= TF_RUNS)); then
			d="$work/tf-$n"
			rm -f "$d/terraform.tfstate" "$d/terraform.tfstate.backup"
			record "$n" apply terraform "$(timed "$d" "$d/apply.log" "$tf" apply -auto-approve -input=false -no-color -parallelism="$PARALLELISM")"
			record "$n" noop terraform "$(timed "$d" "$d/plan.log" "$tf" plan -input=false -no-color -detailed-exitcode -parallelism="$PARALLELISM")"
			record "$n" destroy terraform "$(timed "$d" "$d/destroy.log" "$tf" destroy -auto-approve -input=false -no-color -parallelism="$PARALLELISM")"
		fi
	done
	echo "round $run of $RUNS done" >&2
done

echo
(cd "$root" && go tool benchstat -col /tool "$benchfile") || true

# The table: medians (and the runs) per size and operation, both tools.
table=$(awk -v sizes="$SIZES" '
	function median(list,   a, k, i, j, t) {
		k = split(list, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k == 0 ? "" : (k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2)
	}
	function runs(list,   a, k, i, s) {
		k = split(list, a, " "); s = ""
		for (i = 1; i <= k; i++) s = s (i > 1 ? " " : "") sprintf("%.2f", a[i] / 1e9)
		return s
	}
	{
		split($1, p, "/"); sub("n=", "", p[2]); sub("op=", "", p[3]); sub("tool=", "", p[4])
		key = p[2] SUBSEP p[3] SUBSEP p[4]
		ns[key] = ns[key] " " $3; rss[key] = rss[key] " " $5
	}
	END {
		print "| resources | command | stagecraft (median; runs) | peak RSS | terraform (median; runs) | terraform / stagecraft |"
		print "|---|---|---|---|---|---|"
		split("apply noop destroy", ops, " ")
		split(sizes, ns_, " ")
		for (s = 1; s in ns_; s++) for (o = 1; o <= 3; o++) {
			n = ns_[s]; op = ops[o]
			a = n SUBSEP op SUBSEP "stagecraft"; b = n SUBSEP op SUBSEP "terraform"
			if (!(a in ns)) continue
			ms = median(ns[a]); mr = median(rss[a])
			line = sprintf("| %s | %s | %.2f s; %s | %.0f MiB | ", n, (op == "noop" ? "no-op plan" : op), ms / 1e9, runs(ns[a]), mr / 1048576)
			if (b in ns) {
				mt = median(ns[b])
				line = line sprintf("%.2f s; %s | %.1fx |", mt / 1e9, runs(ns[b]), mt / ms)
			} else line = line "— | — |"
			print line
		}
	}' "$benchfile")
echo
echo "$table"

if [[ -n $RESULTS ]]; then
	section=$(
		echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), whole process side by side with Terraform"
		echo
		echo "$started"
		echo "- each command a fresh process (\`stagecraft apply --auto-approve\`, \`plan --detailed-exitcode\`, \`destroy --auto-approve\`; \`terraform\` the same) on N groups in $LAYERS layers, sim cloud persisted, parallelism $PARALLELISM; peak RSS from /usr/bin/time"
		echo
		echo "$table"
		echo
	)
	awk -v section="$section" '!done && /^## / { print section; done = 1 } { print }' "$RESULTS" >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
	echo "inserted into $RESULTS"
fi
