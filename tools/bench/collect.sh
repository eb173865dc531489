#!/bin/sh
# SPDX-License-Identifier: MIT
# collect.sh - pull fanout-bench's results out of a guest console log.
#
# Usage: tools/bench/collect.sh CONSOLE_LOG OUT_DIR
#
# Writes OUT_DIR/table.txt, results.csv and results.json (the text the
# guest printed between its BENCH-*-BEGIN/END markers, kernel log lines
# dropped) and, when gnuplot is installed, OUT_DIR/bench.svg: p50 time
# and context switches per fan-out against N for every row (64-byte
# payloads). Exits non-zero when the log holds no results.
set -eu

log=$1
out=$2
here=$(dirname "$0")
mkdir -p "$out"

# Lines between "NAME-BEGIN" and "NAME-END", without kernel messages.
section() {
	awk -v b="$1-BEGIN" -v e="$1-END" '
		$0 == e { on = 0 }
		on && !/^\[ *[0-9]+\.[0-9]+\] / { print }
		$0 == b { on = 1 }' "$log"
}

section BENCH-TABLE >"$out/table.txt"
section BENCH-CSV >"$out/results.csv"
section BENCH-JSON >"$out/results.json"
if [ ! -s "$out/results.csv" ]; then
	echo "collect.sh: no BENCH-CSV section in $log" >&2
	exit 1
fi

# The plot's data: one block per row key (two blank lines apart), each
# line "N p50_us switches_per_fanout"; the keys in block order.
awk -F, '
	NR == 1 { next }
	{ gsub(/"[^"]*"/, "x") }	# labels and notes may hold commas
	$1 == "row" && $5 == 64 && $8 > 0 {
		if (!($2 in seen)) { seen[$2] = ++nkeys; key[nkeys] = $2 }
		data[$2] = data[$2] sprintf("%s %s %s\n", $4, $8, $13)
	}
	END {
		for (i = 1; i <= nkeys; i++)
			printf "%s%s", (i > 1 ? "\n\n" : ""), data[key[i]] > "/dev/stdout"
		for (i = 1; i <= nkeys; i++)
			printf "%s%s", (i > 1 ? " " : ""), key[i] > "/dev/stderr"
	}' "$out/results.csv" >"$out/plot.dat" 2>"$out/plot.keys"

if command -v gnuplot >/dev/null 2>&1 && [ -s "$out/plot.dat" ]; then
	gnuplot -e "datafile='$out/plot.dat'; keys='$(cat "$out/plot.keys")'; \
		outfile='$out/bench.svg'" "$here/plot.gp"
	echo "collect.sh: $out/bench.svg"
else
	echo "collect.sh: gnuplot missing or nothing to plot, no SVG" >&2
fi
echo "collect.sh: $out/table.txt $out/results.csv $out/results.json"
