#!/bin/bash
# vm-run.sh - boot a kernel in QEMU with a busybox initramfs, load the fanout
# module, run kselftest-style (TAP) test programs or a demo program, and judge
# the result from the captured serial console.
#
# Usage:
#   tools/vm-run.sh --kernel /boot/vmlinuz-VER --module path/fanout.ko --cache DIR
#       [--kmod-dir DIR] [--extra-mod NAME ...] [--smp N] [--mem MB]
#       [--timeout SECONDS] [--mode check|demo] [--tests "FILE ..."]
#       [--demo FILE] [--cmdline "k=v ..."] [--copy HOSTPATH:GUESTPATH ...]
#
# Environment: VM_ACCEL=kvm|tcg forces the accelerator (default: probe KVM).
set -euo pipefail

PROG=${0##*/}
die() { echo "$PROG: error: $*" >&2; exit 2; }
note() { echo "# fanout-vm: $*"; }

usage() {
	sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

KERNEL='' MODULE='' CACHE='' KMOD_DIR='' SMP=2 MEM=1024 TIMEOUT=900 MODE=check
TESTS='' DEMO='' CMDLINE=''
EXTRA_MODS=() COPIES=() ACCEL=()

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) usage ;;
		--kernel | --module | --cache | --kmod-dir | --extra-mod | --smp | --mem | \
		--timeout | --mode | --tests | --demo | --cmdline | --copy)
			[ $# -ge 2 ] || die "option $1 needs an argument" ;;
		*) echo "$PROG: unknown option '$1'" >&2; usage ;;
		esac
		case $1 in
		--kernel) KERNEL=$2 ;;
		--module) MODULE=$2 ;;
		--cache) CACHE=$2 ;;
		--kmod-dir) KMOD_DIR=$2 ;;
		--extra-mod) EXTRA_MODS+=("$2") ;;
		--smp) SMP=$2 ;;
		--mem) MEM=$2 ;;
		--timeout) TIMEOUT=$2 ;;
		--mode) MODE=$2 ;;
		--tests) TESTS=$2 ;;
		--demo) DEMO=$2 ;;
		--cmdline) CMDLINE=$2 ;;
		--copy) COPIES+=("$2") ;;
		esac
		shift 2
	done
	if [ -z "$KERNEL" ] || [ -z "$MODULE" ] || [ -z "$CACHE" ]; then
		die "--kernel, --module and --cache are required"
	fi
	[ -f "$KERNEL" ] || die "kernel image not found: $KERNEL"
	[ -f "$MODULE" ] || die "module not found: $MODULE"
	case $MODE in check | demo) ;; *) die "--mode must be check or demo" ;; esac
	for n in "$SMP" "$MEM" "$TIMEOUT"; do
		[[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
	done
	if [ "$MODE" = demo ]; then
		[ -n "$DEMO" ] || die "--mode demo needs --demo FILE"
		[ -f "$DEMO" ] || die "demo program not found: $DEMO"
	fi
	if [ -z "$KMOD_DIR" ]; then
		local base=${KERNEL##*/}
		KMOD_DIR=/lib/modules/${base#vmlinuz-}
	fi
	mkdir -p "$CACHE" || die "cannot create cache dir $CACHE"
}

# Print the path of a bootable kernel: the ELF vmlinux extracted (once, cached)
# from an XZ-compressed bzImage, or the image itself for anything else.
kernel_image() {
	local img=$1 magic out off tmp
	magic=$(head -c 4 "$img" | od -An -c | tr -d ' ')
	if [ "$magic" = '177ELF' ]; then echo "$img"; return; fi
	out=$CACHE/vmlinux-${img##*/}-$(stat -c %s "$img")-$(stat -c %Y "$img")
	if [ -f "$out" ]; then echo "$out"; return; fi
	off=$(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$img" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
	if [ -z "$off" ]; then echo "$img"; return; fi
	tmp=$out.tmp.$$
	# xz complains about the trailing garbage after the stream: ignore it.
	tail -c +$((off + 1)) "$img" | xz -dc >"$tmp" 2>/dev/null || true
	if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		mv -f "$tmp" "$out"
		echo "$out"
	else
		rm -f "$tmp"
		echo "$img"
	fi
}

# Copy a file to the same absolute path below the initramfs root.
copy_abs() { mkdir -p "$ROOT$(dirname "$1")" && cp -L "$1" "$ROOT$1"; }

# Copy the shared libraries and dynamic loader a dynamic executable needs.
copy_libs() {
	local lib
	[ -x "$1" ] || return 0
	ldd "$1" >/dev/null 2>&1 || return 0  # static or not an executable
	for lib in $(ldd "$1" | grep -o '/[^ ]*' | sort -u); do
		[ -e "$ROOT$lib" ] || copy_abs "$lib"
	done
}

# Install a kernel module (possibly compressed) as $2.
install_mod() {
	case $1 in
	*.xz) xz -dc "$1" >"$2" ;;
	*.gz) gzip -dc "$1" >"$2" ;;
	*.zst) zstd -qdc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# Resolve an in-tree module name to its modules.dep path (relative to KMOD_DIR).
mod_path() {
	awk -F: -v want="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n)
		gsub(/-/, "_", n); w = want; gsub(/-/, "_", w)
		if (n == w) { print $1; exit } }' "$KMOD_DIR/modules.dep"
}

# Append a module and (first) its dependencies to EXTRA_ORDER, depth first.
declare -A SEEN=()
EXTRA_ORDER=()
resolve_mod() {
	local rel=$1 dep deps
	[ -z "${SEEN[$rel]:-}" ] || return 0
	SEEN[$rel]=1
	deps=$(awk -F: -v m="$rel" '$1 == m { print $2; exit }' "$KMOD_DIR/modules.dep")
	for dep in $deps; do resolve_mod "$dep"; done
	EXTRA_ORDER+=("$rel")
}

# Check a guest-visible program name is safe to embed in /init.
safe_name() { [[ $1 =~ ^[A-Za-z0-9._+-]+$ ]] || die "unsupported file name: $1"; }

build_initramfs() {
	local a f rel name test_names='' extra_names='' guest host
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib/extra,proc,sys,dev,tmp,run,tests}
	cp /bin/busybox "$ROOT/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$ROOT/bin/$a"
	done
	cp "$MODULE" "$ROOT/lib/fanout.ko"

	if [ ${#EXTRA_MODS[@]} -gt 0 ]; then
		[ -f "$KMOD_DIR/modules.dep" ] || die "no modules.dep in $KMOD_DIR (use --kmod-dir)"
		for name in "${EXTRA_MODS[@]}"; do
			rel=$(mod_path "$name")
			[ -n "$rel" ] || die "module $name not found in $KMOD_DIR/modules.dep"
			resolve_mod "$rel"
		done
		for rel in "${EXTRA_ORDER[@]}"; do
			[ -f "$KMOD_DIR/$rel" ] || die "module file missing: $KMOD_DIR/$rel"
			f=${rel##*/}; f=${f%.xz}; f=${f%.gz}; f=${f%.zst}
			install_mod "$KMOD_DIR/$rel" "$ROOT/lib/extra/$f"
			extra_names+="$f "
		done
	fi

	if [ "$MODE" = check ]; then
		for f in $TESTS; do
			[ -f "$f" ] || die "test program not found: $f"
			name=${f##*/}; safe_name "$name"
			[ ! -e "$ROOT/tests/$name" ] || die "duplicate test name: $name"
			cp -L "$f" "$ROOT/tests/$name"; chmod +x "$ROOT/tests/$name"
			copy_libs "$f"
			test_names+="$name "
		done
	else
		name=${DEMO##*/}; safe_name "$name"
		cp -L "$DEMO" "$ROOT/tests/$name"; chmod +x "$ROOT/tests/$name"
		copy_libs "$DEMO"
		test_names=$name
	fi
	TEST_NAMES=$test_names

	for a in ${COPIES[@]+"${COPIES[@]}"}; do
		host=${a%%:*}; guest=${a#*:}
		if [ "$host" = "$a" ] || [ "${guest#/}" = "$guest" ]; then
			die "--copy wants HOSTPATH:/ABS/GUESTPATH, got '$a'"
		fi
		[ -e "$host" ] || die "--copy source not found: $host"
		mkdir -p "$ROOT$(dirname "$guest")"
		cp -a "$host" "$ROOT$guest"
		[ -d "$host" ] || copy_libs "$host"
	done

	write_init "$test_names" "$extra_names" >"$ROOT/init"
	chmod +x "$ROOT/init"
	(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
		cpio -o -H newc --null --quiet -R 0:0) >"$WORK/initramfs.cpio"
}

# Emit the guest's /init (busybox sh). $1: test names, $2: extra module files.
write_init() {
	cat <<EOF
#!/bin/sh
# generated by $PROG
MODE=$MODE
TESTS="$1"
EXTRA="$2"
RMMOD_NAME=$RMMOD_NAME
EOF
	cat <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export FANOUT_MODULE=/lib/fanout.ko
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
f=/proc/sys/kernel/hung_task_timeout_secs
[ -w $f ] && echo 30 >$f

off() { sync; poweroff -f; sleep 10; }
for m in $EXTRA /lib/fanout.ko; do
	case $m in /*) ;; *) m=/lib/extra/$m ;; esac
	insmod "$m" || { echo "FANOUT-VM: insmod failed: $m"; off; }
done
echo "FANOUT-VM: start"

if [ "$MODE" = demo ]; then
	(cd /tmp && "/tests/$TESTS")
else
	for t in $TESTS; do
		echo "FANOUT-VM: begin $t"
		(cd /tmp && "/tests/$t")
		echo "FANOUT-VM: end $t rc=$?"
	done
	rmmod "$RMMOD_NAME"
	echo "FANOUT-VM: rmmod rc=$?"
	k=/sys/kernel/debug/kmemleak
	if [ -e $k ]; then
		echo scan >$k; sleep 6; echo scan >$k
		echo "FANOUT-VM: kmemleak-begin"
		cat $k
		echo "FANOUT-VM: kmemleak-end"
	fi
fi
echo "FANOUT-VM: done"
off
EOF
}

# Can KVM really run a guest, and fast? SeaBIOS must finish its POST (it prints
# "No bootable device" on the debug port) within 3 s; TCG needs ~0.2 s for it,
# a broken or nested-emulated KVM may crawl. On failure, prints a short reason.
# Run it only through choose_accel: a QEMU that dies on SIGABRT (a /dev/kvm
# that exists but does not work) makes bash print "... Aborted ..." on the
# shell's own stderr, which no redirection of the qemu command catches.
kvm_probe() {
	local dbg=$WORK/kvm-probe.txt err=$WORK/kvm-probe.err pid rc _
	[ -e /dev/kvm ] || { echo "no /dev/kvm"; return 1; }
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] ||
		{ echo "/dev/kvm not accessible"; return 1; }
	{ exec 3<>/dev/kvm; } 2>/dev/null || { echo "/dev/kvm cannot be opened"; return 1; }
	exec 3>&-
	qemu-system-x86_64 -accel kvm -cpu host -m 64 -nodefaults -display none \
		-monitor none -debugcon "file:$dbg" -global isa-debugcon.iobase=0x402 \
		</dev/null >"$err" 2>&1 &
	pid=$!
	for _ in $(seq 30); do
		grep -qs 'No bootable device' "$dbg" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" && rc=0 || rc=$?
	grep -qs 'No bootable device' "$dbg" && return 0
	if [ -s "$err" ]; then
		echo "qemu: $(grep -m 1 . "$err" | cut -c 1-60)"
	elif [ "$rc" -gt 128 ] && [ "$rc" -ne 143 ]; then
		echo "qemu killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
	else
		echo "guest firmware too slow under KVM"
	fi
	return 1
}

# Pick the accelerator (VM_ACCEL or the probe) into ACCEL and say so in one
# line. The probe runs in a subshell whose own stderr, where bash reports
# children killed by a signal, goes to $WORK/kvm-probe.log.
choose_accel() {
	local reason
	case ${VM_ACCEL:-} in
	kvm) ACCEL=(-accel kvm -cpu host); note "accelerator: kvm (VM_ACCEL)" ;;
	tcg) ACCEL=(-accel tcg -cpu qemu64); note "accelerator: tcg (VM_ACCEL)" ;;
	*)
		if reason=$(kvm_probe 2>>"$WORK/kvm-probe.log"); then
			ACCEL=(-accel kvm -cpu host)
			note "accelerator: kvm"
		else
			ACCEL=(-accel tcg -cpu qemu64)
			note "accelerator: tcg (KVM unavailable: ${reason:-probe failed})"
		fi
		;;
	esac
}

run_qemu() {
	local accel
	choose_accel
	accel=("${ACCEL[@]}")
	note "booting $KIMG (${accel[1]}, smp $SMP, ${MEM}M, timeout ${TIMEOUT}s)"
	set +e
	timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 "${accel[@]}" \
		-m "$MEM" -smp "$SMP" -display none -no-reboot -nodefaults \
		-monitor none -serial stdio -kernel "$KIMG" -initrd "$WORK/initramfs.cpio" \
		-append "console=ttyS0 quiet loglevel=5 printk.time=1 panic=-1 rdinit=/init $CMDLINE" \
		</dev/null 2>&1 | sed -u 's/\r//g' | tee "$LOG"
	QEMU_RC=${PIPESTATUS[0]}
	set -e
}

# Judge the console log; prints explanations and (check mode) the summary line.
verdict() {
	awk -v mode="$MODE" -v tests="$TEST_NAMES" -v qrc="$QEMU_RC" -v tmo="$TIMEOUT" '
	function kreport(b,   l) {
		if (b ~ /BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|possible (circular|recursive) locking|inconsistent lock state|RCU stall|rcu_sched self-detected stall|rcu: INFO:|hung task|blocked for more than|Kernel panic|Call Trace:/)
			return 1
		l = tolower(b)
		return (l ~ /lockdep/ && l !~ /max_lockdep|lock dependency validator/) ||
			l ~ /unreferenced object|kmemleak: .*suspected memory leak/
	}
	# Kernel lines carry a printk timestamp (printk.time=1), possibly after
	# interleaved user output; test output itself is not scanned.
	match($0, /\[ *[0-9]+\.[0-9]+\] /) {
		b = substr($0, RSTART + RLENGTH)
		if (kreport(b)) { print "# fanout-vm: kernel: " b; krep++ }
	}
	{ m = match($0, /FANOUT-VM: /) ? substr($0, RSTART + 11) : "" }
	m ~ /^insmod failed/ { print "# fanout-vm: " m; insfail = 1 }
	/Kernel panic/ { panic = 1 }
	m ~ /^begin / { cur = substr(m, 7); began[cur] = 1; next }
	m ~ /^end / { split(substr(m, 5), w, " rc="); ended[w[1]] = 1; rc[w[1]] = w[2]; cur = ""; next }
	m ~ /^rmmod rc=/ { rmrc = substr(m, 10) }
	m ~ /^kmemleak-begin/ { inleak = 1; next }
	m ~ /^kmemleak-end/ { inleak = 0 }
	m ~ /^done/ { done = 1 }
	inleak && /unreferenced object/ { leaks++ }
	cur != "" && /^1\.\.[0-9]+/ { plan[cur] = substr($1, 4) + 0 }
	cur != "" && /^ok [0-9]+/ {
		res[cur]++
		if (tolower($0) ~ /#[ \t]*skip/) skip++; else pass++
	}
	cur != "" && /^not ok [0-9]+/ { res[cur]++; nok[cur]++; fail++ }
	END {
		if (!done) {
			fail++
			if (qrc == 124 || qrc == 137) print "# fanout-vm: guest timed out after " tmo "s"
			else print "# fanout-vm: guest did not reach FANOUT-VM: done (qemu rc=" qrc \
				(panic ? ", kernel panic" : insfail ? ", insmod failed" : "") ")"
		}
		if (krep) { fail++; print "# fanout-vm: " krep " kernel report line(s)" }
		if (mode == "demo") exit (fail ? 1 : 0)
		n = split(tests, T, " ")
		for (i = 1; i <= n; i++) {
			t = T[i]; why = ""
			if (!began[t]) why = "did not run"
			else if (!ended[t]) why = "no end marker (hung or crashed)"
			else if (!(t in plan)) why = "no TAP plan"
			else if (plan[t] != res[t]) why = "plan 1.." plan[t] " but " res[t] + 0 " results"
			else if (rc[t] != 0 && !nok[t]) why = "exit status " rc[t] " without a failing test"
			if (why != "") { fail++; print "# fanout-vm: " t ": " why }
		}
		if (done && rmrc != "0") { fail++; print "# fanout-vm: rmmod failed (rc=" rmrc ")" }
		if (leaks) { fail++; print "# fanout-vm: kmemleak: " leaks " unreferenced object(s)" }
		printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
		exit (fail == 0 && pass > 0) ? 0 : 1
	}' "$LOG"
}

main() {
	parse_args "$@"
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed"
	[ -x /bin/busybox ] || die "/bin/busybox missing (install busybox-static)"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vm-run.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	ROOT=$WORK/root
	# Private to this run (runs may share a cache); kept as last-console.log.
	LOG=$WORK/console.log
	RMMOD_NAME=$(modinfo -F name "$MODULE" 2>/dev/null || true)
	[ -n "$RMMOD_NAME" ] || { RMMOD_NAME=${MODULE##*/}; RMMOD_NAME=${RMMOD_NAME%.ko}; }
	safe_name "$RMMOD_NAME"
	KIMG=$(kernel_image "$KERNEL")
	build_initramfs
	run_qemu
	cp "$LOG" "$CACHE/last-console.log.$$" &&
		mv -f "$CACHE/last-console.log.$$" "$CACHE/last-console.log"
	verdict
}

main "$@"
