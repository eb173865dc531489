# SPDX-License-Identifier: GPL-2.0
#
# fanout top-level Makefile. `make check` is the whole test: it installs
# what is missing, builds module, library and selftests warning-free,
# runs sparse and checkpatch, boots a QEMU guest and runs the suite there.

# The Debian 12 kernels: the newest installed 6.1 and 6.12 builds. KVER
# selects the one to build for and boot (default 6.1); `make check` runs
# the suite on both.
newest_kernel = $(shell ls -d /usr/src/linux-headers-$(1).*-amd64 2>/dev/null | \
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
KVER_6_1 = $(call newest_kernel,6.1)
KVER_6_12 = $(call newest_kernel,6.12)
KVER ?= $(KVER_6_1)
KDIR ?= /lib/modules/$(KVER)/build
VMLINUZ ?= /boot/vmlinuz-$(KVER)

BUILD := $(CURDIR)/build
# The module is built out of tree, per kernel, from a copy of its sources.
MOD_DIR ?= $(BUILD)/kmod-$(KVER)
MODULE := $(MOD_DIR)/fanout.ko
CACHE := $(CURDIR)/.cache
KSRC := $(CACHE)/linux-source-6.1
HARNESS := $(KSRC)/tools/testing/selftests/kselftest_harness.h
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
CFLAGS ?= -O2 -g
UAPI_INC := -I$(CURDIR)/include/uapi
LIB_INC := -I$(CURDIR)/lib/include

DEB_PACKAGES := qemu-system-x86 linux-image-amd64 linux-headers-amd64 \
	linux-image-6.12-amd64 linux-headers-6.12-amd64 \
	linux-source-6.1 busybox-static cpio xz-utils sparse \
	pkg-config perl man-db groff-base liburing-dev libmnl-dev

# The version, in one place: the first entry of debian/changelog (without
# a Debian revision). The library, fanout.pc, the DKMS tree and the Debian
# packages all take it from here.
FANOUT_VERSION := $(shell sed -n '1{s/^[^(]*(\([^)]*\)).*/\1/;s/-[^-]*$$//;p;q}' \
	debian/changelog)
LIB_SO_VERSION := $(FANOUT_VERSION)
LIB_SONAME := libfanout.so.0
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_A := $(BUILD)/lib/libfanout.a
LIB_SO := $(BUILD)/lib/$(LIB_SONAME)
# lib/uring.c (liburing) and the status API (lib/status*.c, lib/nl.c:
# generic netlink with libmnl): what a program linking libfanout.a
# statically needs too.
LIB_LIBS := -luring -lmnl
LIB_HDRS := $(wildcard lib/*.h lib/include/*.h) include/uapi/linux/fanout.h \
	include/uapi/linux/fanout_netlink.h

TEST_SRCS := $(sort $(wildcard selftests/*_test.c))
TESTS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(TEST_SRCS))
# The harness header trips -Wextra's sign-compare and prototype checks.
TEST_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare
TEST_CFLAGS := -D_GNU_SOURCE -pthread \
	-I$(dir $(HARNESS)) $(UAPI_INC) $(LIB_INC)

TOOLS := $(BUILD)/tools/fanout-demo $(BUILD)/tools/fanout-bench \
	$(BUILD)/tools/fanoutctl
FANOUTCTL_SRCS := $(wildcard tools/fanoutctl/*.c)
BENCH_SRCS := $(wildcard tools/bench/*.c)
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

KERNEL_SRCS := $(wildcard kmod/*.c kmod/*.h) include/uapi/linux/fanout.h \
	include/uapi/linux/fanout_netlink.h

# status_test runs fanoutctl from beside itself in the guest.
FANOUTCTL_COPY := --copy $(BUILD)/tools/fanoutctl:/tests/fanoutctl

VM_RUN := tools/vm-run.sh --kernel $(VMLINUZ) --module $(MODULE) \
	--cache $(CACHE)/vm

.PHONY: all deps module lib tests tools examples sparse checkpatch \
	check check-static check-run demo bench clean install

all: module lib tests tools examples

# ---- dependencies ----------------------------------------------------

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -qE 'ok (installed|triggers-(pending|awaited))' || \
		echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "missing packages; run as root:"; \
		echo "  apt-get update && apt-get install -y --no-install-recommends $$missing"; \
		exit 1; \
	fi; \
	echo "installing: $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && \
	apt-get install -y -q -o DPkg::Lock::Timeout=1200 \
		--no-install-recommends $$missing

# Kernel files this project uses but never commits, from Debian's
# linux-source-6.1: the kselftest harness and checkpatch.
$(HARNESS) $(CHECKPATCH):
	@mkdir -p $(CACHE)
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C $(CACHE) --wildcards \
		'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch'
	@touch $(HARNESS) $(CHECKPATCH)

# ---- kernel module ---------------------------------------------------

module: $(MODULE)

# cp -p keeps timestamps, so rebuilds stay incremental.
$(MOD_DIR)/.sources: Kbuild $(KERNEL_SRCS)
	@mkdir -p $(MOD_DIR)/kmod $(MOD_DIR)/include/uapi/linux
	cp -p Kbuild $(MOD_DIR)/
	cp -p kmod/*.c kmod/*.h $(MOD_DIR)/kmod/
	cp -p include/uapi/linux/fanout*.h $(MOD_DIR)/include/uapi/linux/
	@touch $@

$(MODULE): $(MOD_DIR)/.sources
	$(MAKE) -C $(KDIR) M=$(MOD_DIR) W=1 KCFLAGS=-Werror modules

# sparse on every kernel file, warnings are errors.
sparse: $(MOD_DIR)/.sources
	$(MAKE) -C $(KDIR) M=$(MOD_DIR) W=1 KCFLAGS=-Werror C=2 \
		CHECKFLAGS=-Wsparse-error modules

checkpatch: $(CHECKPATCH)
	perl $(CHECKPATCH) --no-tree --strict --quiet --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $(KERNEL_SRCS)

# ---- library ---------------------------------------------------------

lib: $(LIB_A) $(LIB_SO) $(BUILD)/lib/fanout.pc

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden $(UAPI_INC) \
		$(LIB_INC) -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS) lib/libfanout.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libfanout.map -o $@ $(LIB_OBJS) \
		$(LIB_LIBS)
	ln -sf $(LIB_SONAME) $(BUILD)/lib/libfanout.so

# The version comes from debian/changelog: a new entry rewrites the file.
$(BUILD)/lib/fanout.pc: lib/fanout.pc.in debian/changelog
	sed -e 's|@VERSION@|$(LIB_SO_VERSION)|' $< > $@

# ---- selftests, tools, examples (static against libfanout.a) ---------

tests: $(TESTS)

# Libraries a test needs beyond libfanout: only the tests that call them.
TEST_LIBS :=
$(BUILD)/selftests/netlink_test: TEST_LIBS := -lmnl
$(BUILD)/selftests/netlink_limits_test: TEST_LIBS := -lmnl

$(BUILD)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(LIB_A) $(HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_WARN) $(TEST_CFLAGS) -o $@ $< $(LIB_A) $(LIB_LIBS) \
		$(TEST_LIBS)

tools: $(TOOLS)

.PHONY: fanoutctl
fanoutctl: $(BUILD)/tools/fanoutctl

$(BUILD)/tools/%: tools/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE $(UAPI_INC) $(LIB_INC) \
		-pthread -o $@ $< $(LIB_A) $(LIB_LIBS)

# fanoutctl: libfanout's public API (status queries, set-state, wait-state).
$(BUILD)/tools/fanoutctl: $(FANOUTCTL_SRCS) $(wildcard tools/fanoutctl/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(WARN) -D_GNU_SOURCE $(UAPI_INC) $(LIB_INC) \
		-o $@ $(FANOUTCTL_SRCS) $(LIB_A) $(LIB_LIBS)

# fanout-bench: the driver and one file per kind of row (tools/bench/).
$(BUILD)/tools/fanout-bench: $(BENCH_SRCS) tools/bench/bench.h $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE $(UAPI_INC) $(LIB_INC) \
		-pthread -o $@ $(BENCH_SRCS) $(LIB_A) $(LIB_LIBS)

examples: $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE $(UAPI_INC) $(LIB_INC) \
		-pthread -o $@ $< $(LIB_A) $(LIB_LIBS)

# ---- the table of bad inputs -------------------------------------------

# Documentation/bad-inputs.rst is generated from these tests.
ERRTABLE_TESTS := selftests/limits_test.c selftests/perm_test.c \
	selftests/user_limits_test.c selftests/device_test.c \
	selftests/uring_limits_test.c selftests/state_limits_test.c \
	selftests/netlink_limits_test.c selftests/hub_limits_test.c
ERRTABLE := Documentation/bad-inputs.rst

.PHONY: errtable errtable-check
errtable:
	tools/errtable.sh $(ERRTABLE_TESTS) > $(ERRTABLE)

errtable-check:
	@tools/errtable.sh $(ERRTABLE_TESTS) | diff -u $(ERRTABLE) - || \
		{ echo "$(ERRTABLE) is stale: run make errtable"; exit 1; }

# ---- running ---------------------------------------------------------

# The whole test, on both Debian 12 kernels; one total line at the end.
check: deps
	$(MAKE) check-static
	tools/check-kernels.sh $(BUILD)/check $(KVER_6_1) $(KVER_6_12)

# What needs no guest: builds, sparse, checkpatch, man pages.
check-static: all sparse checkpatch man-check errtable-check

# The suite on one kernel (KVER), as check-kernels.sh runs it.
check-run: module sparse $(BUILD)/tools/fanoutctl
	$(VM_RUN) --mode check --smp 2 --tests "$(TESTS)" $(FANOUTCTL_COPY)

demo: deps
	$(MAKE) all
	$(VM_RUN) --mode demo --smp 2 --demo $(BUILD)/tools/fanout-demo

# fanout against UDS+epoll, pipes+poll, TIPC groups and binder, all in
# one guest boot (KVER selects the kernel); results in build/bench/
# (table.txt, results.csv, results.json, bench.svg). Numbers under TCG
# emulation are relative, not absolute. See Documentation/performance.rst.
# Lists are comma-separated: BENCH_N=1,8,64,256,4096 BENCH_ROWS=fanout,uds
# BENCH_RUNS (default 3) boots that often (build/bench/bootK/) and writes the
# ranges over the boots to build/bench/ranges.txt.
BENCH_SECONDS ?= 1
BENCH_N ?= 1,8,64,256
BENCH_SIZES ?= 64,4096
BENCH_ROWS ?=
BENCH_EXTRA ?= 1
BENCH_MEM ?= 1024
BENCH_SMP ?= 2
BENCH_TIMEOUT ?= 3600
BENCH_MODS ?= tipc binder_linux
BENCH_RUNS ?= 3
BENCH_OUT := $(BUILD)/bench
BENCH_DEB_PACKAGES := gnuplot-nox

.PHONY: bench-run
bench:
	$(MAKE) deps DEB_PACKAGES="$(DEB_PACKAGES) $(BENCH_DEB_PACKAGES)"
	$(MAKE) bench-run

bench-run: module tools
	@rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	@rc=0; for i in $$(seq $(BENCH_RUNS)); do \
		dir=$(BENCH_OUT); \
		[ $(BENCH_RUNS) -eq 1 ] || dir=$(BENCH_OUT)/boot$$i; \
		mkdir -p $$dir; \
		echo "# bench: boot $$i of $(BENCH_RUNS), results in $$dir"; \
		{ $(VM_RUN) --mode demo --smp $(BENCH_SMP) --mem $(BENCH_MEM) \
			--timeout $(BENCH_TIMEOUT) \
			$(addprefix --extra-mod ,$(BENCH_MODS)) \
			--demo $(BUILD)/tools/fanout-bench \
			--cmdline "BENCH_SECONDS=$(BENCH_SECONDS) BENCH_N=$(BENCH_N) \
			BENCH_SIZES=$(BENCH_SIZES) BENCH_ROWS=$(BENCH_ROWS) \
			BENCH_EXTRA=$(BENCH_EXTRA)"; \
			echo $$? >$$dir/vm-rc; } | tee $$dir/console.log; \
		tools/bench/collect.sh $$dir/console.log $$dir || rc=1; \
		[ "$$(cat $$dir/vm-rc)" = 0 ] || rc=1; \
	done; \
	[ $(BENCH_RUNS) -eq 1 ] || \
		tools/bench/ranges.sh $(BENCH_OUT)/ranges.txt \
			$(BENCH_OUT)/boot* || rc=1; \
	exit $$rc

clean:
	rm -rf $(BUILD)

# ---- installing --------------------------------------------------------

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SBINDIR ?= $(PREFIX)/sbin

install: lib fanoutctl
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libfanout.so.$(LIB_SO_VERSION)
	ln -sf libfanout.so.$(LIB_SO_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libfanout.so
	install -m 644 lib/include/libfanout.h lib/include/libfanout_uring.h \
		lib/include/libfanout_status.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/uapi/linux/fanout*.h $(DESTDIR)$(INCLUDEDIR)/linux/
	sed -e 's|^prefix=.*|prefix=$(PREFIX)|' \
		-e 's|^libdir=.*|libdir=$(LIBDIR)|' \
		-e 's|^includedir=.*|includedir=$(INCLUDEDIR)|' \
		$(BUILD)/lib/fanout.pc > $(DESTDIR)$(LIBDIR)/pkgconfig/fanout.pc
	install -m 644 man/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	# fanoutctl.
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BUILD)/tools/fanoutctl $(DESTDIR)$(SBINDIR)/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/

# Debug lane: the same suite on a KASAN + lockdep + kmemleak + fault
# injection kernel built from linux-source-6.1 (tools/debug-kernel.sh, once,
# cached). fanout.ko is built from a copy of the sources so the normal
# ./fanout.ko stays untouched; the copy keeps their times, so Kbuild
# rebuilds only what changed and runs side by side (make fuzz GUEST=debug
# next to make soak GUEST=debug) never delete each other's module; -g only
# for faddr2line on its stack traces.
DEBUG_KERNEL := $(CACHE)/debug-kernel
DEBUG_MOD := $(CACHE)/debug-build
DEBUG_DEB_PACKAGES := flex bison bc libelf-dev libssl-dev

.PHONY: debug-kernel check-debug check-debug-run

debug-kernel:
	tools/debug-kernel.sh --out $(DEBUG_KERNEL)

check-debug:
	$(MAKE) deps DEB_PACKAGES="$(DEB_PACKAGES) $(DEBUG_DEB_PACKAGES)"
	$(MAKE) check-debug-run

DEBUG_VM_RUN := tools/vm-run.sh \
	--kernel $(DEBUG_KERNEL)/src/arch/x86/boot/bzImage \
	--module $(DEBUG_MOD)/fanout.ko --kmod-dir $(DEBUG_KERNEL)/kmod \
	--cache $(CACHE)/vm-debug --mem 2048

.PHONY: debug-module
debug-module: debug-kernel
	mkdir -p $(DEBUG_MOD)/kmod
	cp -pr Kbuild include $(DEBUG_MOD)/
	cp -p kmod/*.c kmod/*.h $(DEBUG_MOD)/kmod/
	$(MAKE) -C $(DEBUG_KERNEL)/src M=$(DEBUG_MOD) KCFLAGS=-g modules

check-debug-run: tests debug-module $(BUILD)/tools/fanoutctl
	$(DEBUG_VM_RUN) --mode check --smp 2 --timeout 2400 --tests "$(TESTS)" \
		$(FANOUTCTL_COPY) \
		--cmdline "STRESS_FANOUTS=200 FUZZ_ITER=5000 LOCKHOLD_REQUESTS=25"

# The guest of `make fuzz` and `make soak`: GUEST=stock (the Debian
# kernel KVER) or GUEST=debug (the debug lane's kernel, built if missing).
GUEST ?= stock
ifeq ($(GUEST),debug)
LONG_RUN_DEPS := tests debug-module
LONG_VM_RUN := $(DEBUG_VM_RUN)
else ifeq ($(GUEST),stock)
LONG_RUN_DEPS := tests module
LONG_VM_RUN := $(VM_RUN)
else
$(error GUEST must be stock or debug, not $(GUEST))
endif

# ---- man pages -------------------------------------------------------

# Every man page renders without a single groff or man warning.
.PHONY: man-check
man-check:
	@if ! command -v man >/dev/null 2>&1; then \
		echo "man-check: man is not installed, skipped"; exit 0; fi; \
	fail=0; \
	for f in man/*.3 man/*.7 man/*.8; do \
		out=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -E UTF-8 \
			-l $$f 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "$$f:"; echo "$$out"; fail=1; fi; \
	done; \
	exit $$fail

# ---- fuzzing -----------------------------------------------------------

# selftests/fuzz_test alone in the guest: ITER ioctl calls from several
# processes, from seed SEED (printed; rerun with it to replay).
ITER ?= 1000000
SEED ?= 1
FUZZ_TIMEOUT ?= $(if $(filter debug,$(GUEST)),14400,7200)

.PHONY: fuzz
fuzz: $(LONG_RUN_DEPS)
	$(LONG_VM_RUN) --mode check --smp 2 --timeout $(FUZZ_TIMEOUT) \
		--tests "$(BUILD)/selftests/fuzz_test" \
		--cmdline "FUZZ_ITER=$(ITER) FUZZ_SEED=$(SEED)"

# ---- soak --------------------------------------------------------------

# selftests/soak_test alone in the guest: a random workload for DURATION
# seconds with every invariant checked (make check runs it for 10 s).
DURATION ?= 600

.PHONY: soak
soak: $(LONG_RUN_DEPS)
	$(LONG_VM_RUN) --mode check --smp 2 --timeout $$(($(DURATION) + 900)) \
		--tests "$(BUILD)/selftests/soak_test" \
		--cmdline "SOAK_SECONDS=$(DURATION)"

# ---- packaging -----------------------------------------------------------

# The DKMS source tree: dkms.conf (version filled in), Kbuild, kmod/ and
# include/; DKMS builds it with Kbuild alone. Add it by hand with
# `dkms add $(DKMS_TREE)`, or install the fanout-dkms package (make deb).
DKMS_TREE ?= $(BUILD)/dkms/fanout-$(FANOUT_VERSION)

.PHONY: dkms-tree deb check-packages check-packages-run
dkms-tree:
	rm -rf $(DKMS_TREE)
	mkdir -p $(DKMS_TREE)/kmod $(DKMS_TREE)/include/uapi/linux
	cp Kbuild $(DKMS_TREE)/
	cp kmod/*.c kmod/*.h $(DKMS_TREE)/kmod/
	cp include/uapi/linux/fanout*.h $(DKMS_TREE)/include/uapi/linux/
	sed 's/#MODULE_VERSION#/$(FANOUT_VERSION)/' dkms.conf > $(DKMS_TREE)/dkms.conf

# What make deb needs beyond gcc and make (dpkg-buildpackage checks for
# build-essential itself).
PKG_DEB_PACKAGES := build-essential dpkg-dev debhelper dh-dkms fakeroot lintian
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/src/fanout-$(FANOUT_VERSION)

# fanout-dkms, libfanout0 and libfanout-dev in build/deb/, built by
# dpkg-buildpackage from a copy of the tree (its results land in the
# copy's parent, build/deb/src, and are moved up), then checked by
# lintian: any error or warning fails (overrides are in debian/). The
# debug symbols (libfanout0-dbgsym) go to build/deb/dbgsym/, so that
# `apt install ./build/deb/*.deb` installs the three packages.
deb:
	$(MAKE) deps DEB_PACKAGES="$(PKG_DEB_PACKAGES)"
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.cache --exclude=./.git . | \
		tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes \
		$(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	lintian --fail-on error,warning --display-info \
		$(DEB_DIR)/fanout_$(FANOUT_VERSION)_*.changes
	mkdir -p $(DEB_DIR)/dbgsym
	mv $(DEB_DIR)/*-dbgsym_*.deb $(DEB_DIR)/dbgsym/
	@ls -1 $(DEB_DIR)/*.deb $(DEB_DIR)/dbgsym/*.deb

# The packages on this host: install them (apt pulls dkms), DKMS builds
# the module for both Debian 12 kernels, a guest boots each kernel with
# the DKMS-built module and runs fanout-demo built against the installed
# libfanout (pkg-config), then the packages are purged and nothing of
# them may be left. Changes the host: run it as root on a test machine.
check-packages:
	$(MAKE) deps DEB_PACKAGES="$(DEB_PACKAGES) $(PKG_DEB_PACKAGES)"
	$(MAKE) deb
	$(MAKE) check-packages-run

check-packages-run:
	tools/check-packages.sh --debs $(DEB_DIR) --version $(FANOUT_VERSION) \
		--cache $(CACHE)/vm-pkg $(KVER_6_1) $(KVER_6_12)
