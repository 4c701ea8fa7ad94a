# median.awk summarises `go test -bench` output: for every benchmark and
# every metric (ns/op and the custom ones) it prints the median over the
# runs (-count) and the number of runs, so that RESULTS.md can quote medians
# without benchstat. Several files may be given; a benchmark's runs are
# pooled across them, so give one file per variant and label them with -v
# label=... to keep variants apart:
#
#	awk -f bench/median.awk -v label=before before.txt
#
# Output: one line per benchmark and metric,
#
#	label  benchmark  metric  median  (runs)
#
# ns/op is also shown in seconds.
/^Benchmark/ {
	name = $1
	sub(/-[0-9]+$/, "", name) # GOMAXPROCS suffix
	for (i = 3; i + 1 <= NF; i += 2) {
		key = name SUBSEP $(i + 1)
		n[key]++
		v[key, n[key]] = $i
		if (!(key in seen)) {
			seen[key] = 1
			order[++keys] = key
		}
	}
}
END {
	for (k = 1; k <= keys; k++) {
		key = order[k]
		m = n[key]
		# insertion sort of this metric's values
		for (i = 1; i <= m; i++) a[i] = v[key, i] + 0
		for (i = 2; i <= m; i++) {
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
		med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		split(key, parts, SUBSEP)
		unit = parts[2]
		shown = sprintf("%.6g", med)
		if (unit == "ns/op") shown = sprintf("%.3f s", med / 1e9)
		printf "%s\t%-50s\t%-16s\t%s\t(%d)\n", label, parts[1], unit, shown, m
	}
}
