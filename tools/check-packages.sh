#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-packages.sh --debs DIR --version V --cache DIR KVER...: the Debian
# packages from `make deb`, end to end, on this host (as root):
#
#   1. apt installs fanout-dkms, libfanout0, libfanout-dev and
#      fanout-tools from DIR (pulling dkms and what it needs);
#   2. DKMS has built and installed fanout.ko for every KVER (the package's
#      postinst builds for the installed kernels; whatever it left out is
#      built here with `dkms install`), and the kernel postinst hook
#      rebuilds it for the first KVER after it was removed (an upgrade);
#   3. tools/fanout-demo.c and the examples are built against the
#      INSTALLED library (pkg-config fanout, dynamic link);
#   4. for each KVER a QEMU guest boots /boot/vmlinuz-KVER with the
#      DKMS-built module and runs that demo, with the packaged
#      libfanout.so.0;
#   5. the packages are purged and nothing of them may be left: no
#      library, header, pkg-config file, /usr/src/fanout-*,
#      /var/lib/dkms/fanout or fanout.ko under /lib/modules/*/updates.
#
# Ends with "check-packages: PASS" and status 0, or "check-packages: FAIL"
# and a non-zero status. On failure the packages are purged all the same.
set -uo pipefail

PROG=${0##*/}
PKGS=(fanout-dkms libfanout0 libfanout-dev fanout-tools)
DEBS='' VERSION='' CACHE=''
while [ $# -gt 0 ]; do
	case $1 in
	--debs) DEBS=$2; shift 2 ;;
	--version) VERSION=$2; shift 2 ;;
	--cache) CACHE=$2; shift 2 ;;
	--*) echo "$PROG: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
KVERS=("$@")
if [ -z "$DEBS" ] || [ -z "$VERSION" ] || [ -z "$CACHE" ] || [ ${#KVERS[@]} -eq 0 ]; then
	echo "usage: $PROG --debs DIR --version V --cache DIR KVER..." >&2
	exit 2
fi
[ "$(id -u)" = 0 ] || { echo "$PROG: must run as root (installs packages)" >&2; exit 2; }
cd "$(dirname "$0")/.." || exit 2

START=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-packages.XXXXXX")
FAILS=0
step() { echo "# ---- check-packages: $*"; }
fail() { echo "# check-packages: FAILED: $*"; FAILS=$((FAILS + 1)); }
# Wait for another apt or dpkg (up to 20 minutes) instead of failing.
APT=(apt-get -y -q -o DPkg::Lock::Timeout=1200)
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${db:Status-Abbrev}\n' "$@" 2>/dev/null | grep -q '^[ihr]'; }

purge() {
	local p present=()
	for p in "${PKGS[@]}"; do installed "$p" && present+=("$p"); done
	[ ${#present[@]} -eq 0 ] || "${APT[@]}" purge "${present[@]}"
}

cleanup() {
	local rc=$?
	if [ "${PURGED:-0}" = 0 ]; then
		echo "# check-packages: purging after a failure"
		purge >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT

# ---- 0. the packages --------------------------------------------------
files=()
for p in "${PKGS[@]}"; do
	f=$(ls "$DEBS/${p}_${VERSION}_"*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || { echo "# check-packages: no $p $VERSION in $DEBS (make deb)"; exit 1; }
	files+=("$(readlink -f "$f")")
done
for k in "${KVERS[@]}"; do
	[ -d "/lib/modules/$k/build" ] && [ -e "/boot/vmlinuz-$k" ] ||
		{ echo "# check-packages: kernel $k: image or headers not installed"; exit 1; }
done

# A leftover from an interrupted run would hide what this run installs.
purge >/dev/null || { echo "# check-packages: cannot purge old packages"; exit 1; }

# ---- 1. install ---------------------------------------------------------
step "apt install ${files[*]##*/}"
"${APT[@]}" install --no-install-recommends "${files[@]}" >"$WORK/install.log" 2>&1
rc=$?
grep -E -i 'Building for|Building initial module|DKMS: install completed|error' "$WORK/install.log"
if [ $rc -ne 0 ]; then
	cat "$WORK/install.log"
	echo "# check-packages: FAILED: apt install (rc=$rc)"
	exit 1
fi
for p in "${PKGS[@]}"; do
	installed "$p" || fail "$p is not installed"
done

# ---- 2. DKMS, per kernel --------------------------------------------------
# A kernel upgrade, as DKMS sees it: the kernel package's postinst runs
# /etc/kernel/postinst.d/dkms VERSION. Drop the first kernel's module and
# let that hook build it again (AUTOINSTALL in dkms.conf).
k=${KVERS[0]}
step "kernel hook: /etc/kernel/postinst.d/dkms $k rebuilds fanout.ko"
if dkms remove "fanout/$VERSION" -k "$k" >"$WORK/hook.log" 2>&1 &&
	[ -z "$(find "/lib/modules/$k/updates" -name 'fanout.ko*' 2>/dev/null)" ] &&
	/etc/kernel/postinst.d/dkms "$k" >>"$WORK/hook.log" 2>&1 &&
	dkms status "fanout/$VERSION" -k "$k" 2>/dev/null | grep -q ': installed'; then
	echo "# rebuilt and installed by the kernel hook"
else
	cat "$WORK/hook.log"
	fail "the kernel postinst hook did not rebuild fanout.ko for $k"
fi

declare -A MOD=()
for k in "${KVERS[@]}"; do
	step "DKMS for $k"
	# (dkms status: readelf warns about .ko.xz files on stderr)
	if ! dkms status "fanout/$VERSION" -k "$k" 2>/dev/null | grep -q ': installed'; then
		echo "# postinst did not build for $k: dkms install"
		dkms install "fanout/$VERSION" -k "$k" >"$WORK/dkms-$k.log" 2>&1 ||
			{ cat "$WORK/dkms-$k.log"; fail "dkms install for $k"; continue; }
	fi
	f=$(find "/lib/modules/$k/updates/dkms" -name 'fanout.ko*' 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then fail "no fanout.ko in /lib/modules/$k/updates/dkms"; continue; fi
	vm=$(modinfo -F vermagic "$f" | cut -d' ' -f1)
	[ "$vm" = "$k" ] || { fail "$f: vermagic $vm, not $k"; continue; }
	[ "$(modinfo -k "$k" -n fanout 2>/dev/null)" = "$f" ] ||
		fail "modprobe -S $k would not find $f (depmod)"
	# vm-run.sh copies the module as is: give it an uncompressed one.
	case $f in
	*.xz) xz -dc "$f" >"$WORK/fanout-$k.ko" ;;
	*.zst) zstd -qdc "$f" >"$WORK/fanout-$k.ko" ;;
	*.gz) gzip -dc "$f" >"$WORK/fanout-$k.ko" ;;
	*) cp "$f" "$WORK/fanout-$k.ko" ;;
	esac
	MOD[$k]=$WORK/fanout-$k.ko
	echo "# $f (vermagic $vm)"
done
dkms status fanout 2>/dev/null

# ---- 3. build against the installed library ----------------------------
step "build against the installed libfanout-dev (pkg-config)"
pc_cflags=$(pkg-config --cflags fanout) && pc_libs=$(pkg-config --libs fanout) ||
	fail "pkg-config fanout"
echo "# pkg-config --cflags --libs fanout: $pc_cflags $pc_libs"
echo "# pkg-config --modversion fanout: $(pkg-config --modversion fanout)"
[ "$(pkg-config --modversion fanout)" = "$VERSION" ] || fail "fanout.pc version is not $VERSION"
# From a directory of its own, so no header of the source tree is found.
mkdir -p "$WORK/src"
cp tools/fanout-demo.c examples/*.c "$WORK/src/"
for prog in fanout-demo coordinator agent status_monitor state_agent; do
	# shellcheck disable=SC2086
	cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $pc_cflags \
		-o "$WORK/$prog" "$WORK/src/$prog.c" $pc_libs ||
		fail "$prog does not build against the installed library"
done
# ldd may name it by /lib (merged /usr): compare the files themselves.
so=$(ldd "$WORK/fanout-demo" 2>/dev/null | awk '/libfanout\.so/ { print $3 }')
owner=$(dpkg -S "$(readlink -f "${so:-/nonexistent}")" 2>/dev/null | cut -d: -f1)
echo "# fanout-demo uses $so -> $(readlink -f "${so:-/nonexistent}") (package ${owner:-none})"
[ "$owner" = libfanout0 ] ||
	fail "fanout-demo is not linked to the packaged libfanout.so.0 ($so)"
/usr/sbin/fanoutctl -h >/dev/null || fail "the packaged fanoutctl does not run"

# ---- 4. a fan-out in a guest, per kernel -------------------------------------
for k in "${KVERS[@]}"; do
	[ -n "${MOD[$k]:-}" ] || continue
	step "guest $k: DKMS-built fanout.ko, packaged libfanout.so.0, fanout-demo"
	if tools/vm-run.sh --kernel "/boot/vmlinuz-$k" --module "${MOD[$k]}" \
		--cache "$CACHE" --mode demo --smp 2 --timeout 600 \
		--demo "$WORK/fanout-demo" >"$WORK/guest-$k.log" 2>&1; then
		grep -v '^\[ *[0-9]' "$WORK/guest-$k.log" | grep -v '^$'
	else
		cat "$WORK/guest-$k.log"
		fail "guest $k: the demo failed"
	fi
done

# ---- 5. purge and look for leftovers --------------------------------------
step "apt purge ${PKGS[*]}"
purge >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "apt purge"; }
PURGED=1
grep -E -i 'Deleting module|error' "$WORK/purge.log"
left=$(
	ls -d /usr/lib/*/libfanout* /usr/lib/*/pkgconfig/fanout.pc \
		/usr/include/libfanout.h /usr/include/linux/fanout.h \
		/usr/src/fanout-* /var/lib/dkms/fanout \
		/lib/udev/rules.d/*fanout* /usr/lib/udev/rules.d/*fanout* \
		/usr/share/doc/fanout-dkms /usr/share/doc/libfanout0 \
		/usr/share/doc/libfanout-dev /usr/share/man/man3/fanout_* \
		/usr/share/man/man7/fanout.7* /usr/include/libfanout_status.h \
		/usr/include/linux/fanout_netlink.h /usr/sbin/fanoutctl \
		/usr/share/doc/fanout-tools /usr/share/man/man8/fanoutctl.8* \
		2>/dev/null
	find /lib/modules/*/updates -name 'fanout.ko*' 2>/dev/null
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" 2>/dev/null |
		grep -v '^un ' | sed 's/^/dpkg: /'
)
if [ -n "$left" ]; then
	echo "$left" | sed 's/^/# left behind: /'
	fail "the purge left files behind"
else
	echo "# nothing left behind"
fi

echo "# check-packages: $(($(date +%s) - START)) s"
if [ $FAILS -eq 0 ]; then
	echo "check-packages: PASS"
	exit 0
fi
echo "check-packages: FAIL ($FAILS failure(s))"
exit 1
