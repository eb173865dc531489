#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh - build (once, cached) the debug guest kernel for
# `make check-debug`: KASAN, lockdep, kmemleak, fault injection, from
# Debian's linux-source-6.1, configured as x86_64_defconfig +
# kvm_guest.config + tools/debug-kernel.config.
#
# Usage: tools/debug-kernel.sh [--out DIR] [--jobs N] [--force]
#
# DIR (default .cache/debug-kernel) receives:
#   src/          the kernel tree: src/arch/x86/boot/bzImage to boot (not
#                 src/vmlinux: its PVH entry runs instrumented code before
#                 KASAN's shadow exists and triple-faults), usable as
#                 `make -C DIR/src M=...` after modules_prepare
#   mods/         modules_install output (INSTALL_MOD_PATH)
#   kmod          symlink to mods/lib/modules/RELEASE (vm-run.sh --kmod-dir)
#   build.log     the last build's full output
# The build is redone only when this script, the config fragment, the
# source package or the compiler changes (hash in DIR/stamp).
set -euo pipefail

PROG=${0##*/}
die() { echo "$PROG: error: $*" >&2; exit 2; }
note() { echo "# debug-kernel: $*"; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
SCRIPT=$REPO/tools/debug-kernel.sh
FRAG=$REPO/tools/debug-kernel.config
TARBALL=/usr/src/linux-source-6.1.tar.xz
OUT=$REPO/.cache/debug-kernel
JOBS=$(($(nproc) + 1))
FORCE=0

while [ $# -gt 0 ]; do
	case $1 in
	--out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a number"; JOBS=$2; shift 2 ;;
	--force) FORCE=1; shift ;;
	-h | --help) sed -n '8,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	*) die "unknown option '$1'" ;;
	esac
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $JOBS"

[ -f "$TARBALL" ] || die "$TARBALL missing: install linux-source-6.1 (make deps)"
[ -f "$FRAG" ] || die "$FRAG missing"
for t in gcc make flex bison bc perl xz depmod; do
	command -v $t >/dev/null || die "$t not found (make check-debug installs it)"
done
[ -f /usr/include/gelf.h ] || die "libelf-dev missing (needed by objtool)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SRC=$OUT/src
LOG=$OUT/build.log
STAMP=$OUT/stamp

# One build at a time per output directory.
exec 9>"$OUT/.lock"
flock 9

tarball_id=$(stat -c '%n %s %Y' "$TARBALL")
want=$( {
	cat "$SCRIPT" "$FRAG"
	echo "$tarball_id"
	gcc --version | head -n 1
} | sha256sum | cut -d' ' -f1)

if [ $FORCE = 0 ] && [ -f "$SRC/arch/x86/boot/bzImage" ] && [ -L "$OUT/kmod" ] &&
	[ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
	note "up to date: $SRC/arch/x86/boot/bzImage ($(readlink "$OUT/kmod" | sed 's|.*/||'))"
	exit 0
fi
rm -f "$STAMP"

start=$(date +%s)

# ---- sources: extracted once per source package version ----
if [ "$(cat "$SRC/.fanout-source" 2>/dev/null)" != "$tarball_id" ]; then
	note "extracting $TARBALL into $SRC"
	rm -rf "$SRC" "$SRC.extract"
	mkdir -p "$SRC.extract"
	tar -xJf "$TARBALL" -C "$SRC.extract" --strip-components=1
	echo "$tarball_id" >"$SRC.extract/.fanout-source"
	mv "$SRC.extract" "$SRC"
fi

# ---- configuration ----
kmake() { make -C "$SRC" "$@"; }
note "configuring: x86_64_defconfig + kvm_guest.config + ${FRAG#"$REPO"/}"
# The base goes through savedefconfig first: the fragment's merge then
# acts on explicit choices only, and what the options it disables select
# (crypto, keyrings, PHY support...) is dropped with them.
{
	kmake x86_64_defconfig
	kmake kvm_guest.config
	kmake savedefconfig
	cp "$SRC/defconfig" "$SRC/.config"
	(cd "$SRC" && scripts/kconfig/merge_config.sh -m .config "$FRAG")
	kmake olddefconfig
} >"$LOG" 2>&1 || { tail -n 30 "$LOG"; die "configuration failed (log: $LOG)"; }

# Every setting of the fragment must have survived olddefconfig: a symbol
# with unmet dependencies is dropped silently otherwise.
bad=0
while read -r sym val; do
	got=$(sed -n "s/^$sym=//p; s/^# $sym is not set\$/n/p" "$SRC/.config")
	if [ "${got:-n}" != "$val" ]; then
		echo "$PROG: $sym: wanted $val, got ${got:-n} (dependency missing?)" >&2
		bad=1
	fi
done < <(sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p
	s/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 n/p' "$FRAG")
[ $bad = 0 ] || die "${FRAG#"$REPO"/} does not match the resulting .config"

# ---- build ----
note "building bzImage and modules with -j$JOBS (log: $LOG)"
(
	# No orphaned sleep may keep the lock or the caller's output open.
	exec 9>&-
	nap=''
	trap 'kill $nap 2>/dev/null; exit 0' TERM
	while :; do
		sleep 60 &
		nap=$!
		wait $nap
		n=$(grep -c '^  CC ' "$LOG" || true)
		note "$((($(date +%s) - start) / 60)) min, $n files compiled"
	done
) &
beat=$!
set +e
{
	kmake -j"$JOBS" bzImage modules &&
		kmake modules_prepare &&
		rm -rf "$OUT/mods" &&
		kmake INSTALL_MOD_PATH="$OUT/mods" modules_install
} >>"$LOG" 2>&1
rc=$?
set -e
kill "$beat" 2>/dev/null || true
wait "$beat" 2>/dev/null || true
if [ $rc != 0 ]; then
	grep -E 'error|Error' "$LOG" | tail -n 20 >&2 || true
	tail -n 20 "$LOG" >&2
	die "kernel build failed (log: $LOG)"
fi

release=$(kmake -s --no-print-directory kernelrelease)
[ -d "$OUT/mods/lib/modules/$release" ] || die "modules_install left no lib/modules/$release"
ln -sfn "mods/lib/modules/$release" "$OUT/kmod"
echo "$want" >"$STAMP"
secs=$(($(date +%s) - start))
note "built $release in $((secs / 60))m$((secs % 60))s: $SRC/arch/x86/boot/bzImage"
