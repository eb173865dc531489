#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-kernels.sh LOGDIR KVER...: build the module for each kernel, run
# the whole suite on it in a guest (make check-run KVER=...), and end with
# one line totalling every kernel: "N passed, N failed, N skipped".
# Exits non-zero when any kernel's run failed or a kernel is missing.
set -uo pipefail

logdir=$1
shift
mkdir -p "$logdir"
passed=0 failed=0 skipped=0 bad=0

for kver in "$@"; do
	log=$logdir/$kver.log
	echo "# ==== kernel $kver ===="
	if [ ! -e "/boot/vmlinuz-$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
		echo "# kernel $kver: image or headers not installed (make deps)"
		failed=$((failed + 1)) bad=1
		continue
	fi
	make --no-print-directory check-run KVER="$kver" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$last" ]; then
		echo "# kernel $kver: no result line (build or runner failed)"
		failed=$((failed + 1)) bad=1
		continue
	fi
	read -r p _ f _ s _ <<<"${last//,/}"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	[ "$rc" -eq 0 ] || bad=1
	echo "# kernel $kver: $last"
done

[ $# -gt 0 ] || { echo "# no kernel given"; bad=1; }
echo "$passed passed, $failed failed, $skipped skipped"
[ "$bad" -eq 0 ] && [ "$failed" -eq 0 ]
