#!/bin/sh
# SPDX-License-Identifier: MIT
# ranges.sh - the ranges over several boots of fanout-bench.
#
# Usage: tools/bench/ranges.sh OUT_FILE RUN_DIR...
#
# Every RUN_DIR holds one boot's results.csv (collect.sh). OUT_FILE gets
# one line per measurement (row or extra, N, bytes, parameter) present in
# any run, with the lowest and highest p50, fan-outs per second and
# context switches per fan-out over the runs, and how many runs had it.
# Also prints it. Exits non-zero when a run directory has no results.
set -eu

out=$1
shift
for d in "$@"; do
	if [ ! -s "$d/results.csv" ]; then
		echo "ranges.sh: no results.csv in $d" >&2
		exit 1
	fi
done

for d in "$@"; do
	# Labels and notes may hold commas: the label's become ";", the
	# note is dropped.
	awk -F'"' 'NR > 1 && NF >= 3 { gsub(/,/, ";", $2); print $1 $2 $3 }' \
		"$d/results.csv"
done | awk -F, -v runs=$# '
	# fields: section,key,"label",n,size,param,iters,p50,p99,per_s,
	#         co_sw,ag_sw,sw_per_fanout,value
	function lo_hi(name, v) {
		if (!((k, name, "lo") in r) || v < r[k, name, "lo"])
			r[k, name, "lo"] = v
		if (!((k, name, "hi") in r) || v > r[k, name, "hi"])
			r[k, name, "hi"] = v
	}
	{
		label = $3
		gsub(/;/, ",", label)
		if ($8 <= 0 && $10 <= 0 && $14 <= 0)
			next			# n/a or failed in this run
		k = $1 SUBSEP $2 SUBSEP $4 SUBSEP $5 SUBSEP $6
		if (!(k in seen)) {
			seen[k] = ++nk
			key[nk] = k
			name[k] = label
			where[k] = sprintf("%-4d %5d %8s", $4, $5,
					   $6 == 0 ? "-" : $6)
		}
		count[k]++
		lo_hi("p50", $8)
		lo_hi("per_s", $10)
		lo_hi("sw", $13)
		lo_hi("value", $14)
	}
	END {
		printf "%d boots; lowest-highest over the boots that measured it\n", runs
		printf "%-42s %-4s %5s %8s %21s %19s %15s %5s\n", "row", "N",
		       "bytes", "param", "p50 us", "fanouts/s",
		       "switches", "boots"
		for (i = 1; i <= nk; i++) {
			k = key[i]
			if (r[k, "p50", "hi"] > 0 || r[k, "per_s", "hi"] > 0)
				printf "%-42s %s %10.1f-%-10.1f %9.0f-%-9.0f " \
				       "%7.2f-%-7.2f %5d\n", name[k], where[k],
				       r[k, "p50", "lo"], r[k, "p50", "hi"],
				       r[k, "per_s", "lo"], r[k, "per_s", "hi"],
				       r[k, "sw", "lo"], r[k, "sw", "hi"], count[k]
			else
				printf "%-42s %s %21s %19s %15s %5d  value " \
				       "%.1f-%.1f\n", name[k], where[k], "-",
				       "-", "-", count[k], r[k, "value", "lo"],
				       r[k, "value", "hi"]
		}
	}' | tee "$out"
