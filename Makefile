# SPDX-License-Identifier: GPL-2.0
#
# fanout top-level Makefile. `make check` is the whole test: it installs
# what is missing, builds module, library and selftests warning-free,
# runs sparse and checkpatch, boots a QEMU guest and runs the suite there.

# The Debian 12 kernel to build for and boot: the newest installed 6.1
# headers unless KVER is given (e.g. make check KVER=6.12.38+deb12-amd64).
KVER ?= $(shell ls -d /usr/src/linux-headers-6.1*-amd64 2>/dev/null | \
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build
VMLINUZ ?= /boot/vmlinuz-$(KVER)

BUILD := $(CURDIR)/build
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
	linux-source-6.1 busybox-static cpio xz-utils sparse liburing-dev \
	libmnl-dev pkg-config perl

LIB_SO_VERSION := 0.1.0
LIB_SONAME := libfanout.so.0
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_A := $(BUILD)/lib/libfanout.a
LIB_SO := $(BUILD)/lib/$(LIB_SONAME)

TEST_SRCS := $(sort $(wildcard selftests/*_test.c))
TESTS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(TEST_SRCS))
# The harness header trips -Wextra's sign-compare and prototype checks.
TEST_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare
TEST_CFLAGS := -D_GNU_SOURCE -pthread \
	-I$(dir $(HARNESS)) $(UAPI_INC) $(LIB_INC)

TOOLS := $(BUILD)/tools/fanout-demo
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

KERNEL_SRCS := $(wildcard kmod/*.c kmod/*.h) include/uapi/linux/fanout.h

VM_RUN := tools/vm-run.sh --kernel $(VMLINUZ) --module $(CURDIR)/fanout.ko \
	--cache $(CACHE)/vm

.PHONY: all deps module lib tests tools examples sparse checkpatch \
	check check-run demo clean

all: module lib tests tools examples

# ---- dependencies ----------------------------------------------------

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "missing packages; run as root:"; \
		echo "  apt-get update && apt-get install -y --no-install-recommends $$missing"; \
		exit 1; \
	fi; \
	echo "installing: $$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && \
	apt-get install -y -q --no-install-recommends $$missing

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

module: fanout.ko

fanout.ko: Kbuild $(KERNEL_SRCS)
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 KCFLAGS=-Werror modules

# sparse on every kernel file, warnings are errors.
sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 KCFLAGS=-Werror C=2 \
		CHECKFLAGS=-Wsparse-error modules

checkpatch: $(CHECKPATCH)
	perl $(CHECKPATCH) --no-tree --strict --quiet --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $(KERNEL_SRCS)

# ---- library ---------------------------------------------------------

lib: $(LIB_A) $(LIB_SO) $(BUILD)/lib/fanout.pc

$(BUILD)/lib/%.o: lib/%.c lib/include/libfanout.h include/uapi/linux/fanout.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden $(UAPI_INC) \
		$(LIB_INC) -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS) lib/libfanout.map
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libfanout.map -o $@ $(LIB_OBJS)
	ln -sf $(LIB_SONAME) $(BUILD)/lib/libfanout.so

$(BUILD)/lib/fanout.pc: lib/fanout.pc.in
	sed -e 's|@VERSION@|$(LIB_SO_VERSION)|' $< > $@

# ---- selftests, tools, examples (static against libfanout.a) ---------

tests: $(TESTS)

$(BUILD)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(LIB_A) $(HARNESS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_WARN) $(TEST_CFLAGS) -o $@ $< $(LIB_A) \
		-luring -lmnl

tools: $(TOOLS)

$(BUILD)/tools/%: tools/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE $(UAPI_INC) $(LIB_INC) \
		-pthread -o $@ $< $(LIB_A)

examples: $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE $(UAPI_INC) $(LIB_INC) \
		-pthread -o $@ $< $(LIB_A)

# ---- running ---------------------------------------------------------

check: deps
	$(MAKE) check-run

check-run: all sparse checkpatch
	$(VM_RUN) --mode check --smp 2 --tests "$(TESTS)"

demo: deps
	$(MAKE) all
	$(VM_RUN) --mode demo --smp 2 --demo $(BUILD)/tools/fanout-demo

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	rm -rf $(BUILD)
