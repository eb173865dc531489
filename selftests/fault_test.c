// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every allocation the module makes for an operation is
 * failed in turn (the module's fault attribute fanout/fail_alloc driven
 * by /proc/thread-self/fail-nth, so nothing outside the module fails).
 * Each attempt must fail cleanly with -ENOMEM, leave no trace
 * behind (no group registered, no request pending, the target state
 * unchanged) and leak nothing: the module's live counters return to
 * their baseline, and the runner's kmemleak scan finds nothing.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS (make check-debug);
 * skipped elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

#define DEBUGFS "/sys/kernel/debug/"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

#define FAIL_ALLOC DEBUGFS "fanout/fail_alloc/"

/*
 * The module's allocations consult the fault attribute fanout/fail_alloc;
 * fail-nth then fails the Nth of them in this thread, quietly. failslab
 * and fail_page_alloc are filtered out, as fail-nth counts their calls
 * too.
 */
static int faults_setup(void)
{
	static const char *const settings[][2] = {
		{ DEBUGFS "failslab/cache-filter", "Y" },
		{ DEBUGFS "fail_page_alloc/min-order", "11" },
		{ FAIL_ALLOC "probability", "0" },
		{ FAIL_ALLOC "verbose", "0" },
	};

	for (unsigned int i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (write_file(settings[i][0], settings[i][1]))
			return -1;
	return 0;
}

/* Fail the @nth fault-injectable call of this thread from now on. */
static int fail_nth_set(int nth)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", nth);
	return write_file("/proc/thread-self/fail-nth", buf);
}

/* Whether the armed fault was used up (0 left); disarms it either way. */
static int fail_nth_consumed(void)
{
	char buf[16] = "";
	int fd = open("/proc/thread-self/fail-nth", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	fail_nth_set(0);
	return n > 0 && atoi(buf) == 0;
}

/*
 * The 6.1 harness runs a test body even after its setup skipped: each
 * test checks for itself.
 */
#define REQUIRE_FAULTS()						\
	do {								\
		if (self->unsupported)					\
			SKIP(return,					\
			     "no fault injection (run make check-debug)"); \
	} while (0)

FIXTURE(fault) {
	bool unsupported;
	char name[FANOUT_NAME_MAX];
	int co, ag;
	struct fanout_live base;
};

FIXTURE_SETUP(fault)
{
	self->co = -EBADF;
	self->ag = -EBADF;
	self->unsupported = access("/proc/thread-self/fail-nth", W_OK) ||
			    access(FAIL_ALLOC "probability", W_OK);
	if (self->unsupported)
		return;
	ASSERT_EQ(0, faults_setup());
	ASSERT_EQ(0, fanout_live_read(&self->base));
	fanout_test_name(self->name, "fault");
	self->co = fanout_test_create(self->name, 4, 0);
	ASSERT_LE(0, self->co);
	self->ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->ag);
}

FIXTURE_TEARDOWN(fault)
{
	struct fanout_live now;

	fail_nth_set(0);
	if (self->ag >= 0)
		fanout_close(self->ag);
	if (self->co >= 0) {
		fanout_group_destroy(self->co, self->name);
		fanout_close(self->co);
	}
	/* Everything this test made is gone: back to the baseline. */
	if (self->co >= 0 && !fanout_live_read(&now)) {
		EXPECT_EQ(self->base.groups, now.groups);
		EXPECT_EQ(self->base.requests, now.requests);
		EXPECT_EQ(self->base.bytes, now.bytes);
	}
}

/*
 * Run @op with its 1st, 2nd, ... allocation failing, until it runs
 * through without using the fault. Every failed attempt must give -ENOMEM
 * (a failure is never swallowed) and pass @check; the last must succeed.
 * Returns the number of allocations seen.
 */
#define EACH_FAULT(op, check)						\
({									\
	int __nth, __ret;						\
	for (__nth = 1;; __nth++) {					\
		ASSERT_EQ(0, fail_nth_set(__nth));			\
		__ret = (op);						\
		if (!fail_nth_consumed()) {				\
			ASSERT_EQ(0, __ret);				\
			break;						\
		}							\
		ASSERT_EQ(-ENOMEM, __ret)				\
			TH_LOG("allocation %d", __nth);			\
		check;							\
	}								\
	/* A run that failed nothing tested nothing. */			\
	ASSERT_LE(2, __nth);						\
	__nth - 1;							\
})

static int pending(int co)
{
	struct fanout_group_stats st;

	return fanout_group_stats(co, &st) ? -1 : (int)st.pending;
}

static int send_small(int co, __u64 *id)
{
	struct fanout_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.payload = (unsigned long)"fault";
	s.payload_len = 5;
	ret = fanout_send(co, &s);
	*id = s.id;
	return ret;
}

TEST_F(fault, open_endpoint)
{
	int fd = -1;
	int n;

	REQUIRE_FAULTS();
	n = EACH_FAULT((fd = fanout_open(0)) < 0 ? fd : 0, (void)0);
	TH_LOG("open: %d allocations", n);
	fanout_close(fd);
}

TEST_F(fault, group_create)
{
	char name[FANOUT_NAME_MAX];
	int fd = -1, n;

	REQUIRE_FAULTS();
	fanout_test_name(name, "fcreate");
	n = EACH_FAULT((fd = fanout_test_create(name, 4096, 0)) < 0 ? fd : 0,
		       EXPECT_EQ(-ENOENT, fanout_group_destroy(self->co,
							       name)));
	TH_LOG("create: %d allocations", n);
	EXPECT_EQ(0, fanout_group_destroy(fd, name));
	fanout_close(fd);
}

TEST_F(fault, send)
{
	__u64 id = 0;
	int n;

	REQUIRE_FAULTS();
	n = EACH_FAULT(send_small(self->co, &id),
		       EXPECT_EQ(0, pending(self->co)));
	TH_LOG("send: %d allocations", n);
	EXPECT_EQ(1, pending(self->co));
	EXPECT_EQ(0, fanout_release(self->co, id));
}

TEST_F(fault, send_per_target)
{
	struct fanout_buf bufs[2] = {
		{ .addr = (unsigned long)"a", .len = 1 },
		{ .addr = (unsigned long)"bb", .len = 2 },
	};
	__u64 bits = 0x3;
	struct fanout_send s;
	int n;

	REQUIRE_FAULTS();
	memset(&s, 0, sizeof(s));
	s.payload = (unsigned long)bufs;
	s.payload_len = 2;
	s.flags = FANOUT_SEND_PER_TARGET;
	s.targets = (unsigned long)&bits;
	s.targets_bits = 2;
	n = EACH_FAULT(fanout_send(self->co, &s),
		       EXPECT_EQ(0, pending(self->co)));
	TH_LOG("per-target send: %d allocations", n);
	EXPECT_EQ(0, fanout_release(self->co, s.id));
}

/* A reply that cannot be stored leaves the target taken, to retry. */
TEST_F(fault, reply)
{
	struct fanout_reply rep;
	struct fanout_recv rcv;
	struct fanout_results q;
	struct fanout_result res;
	char buf[16];
	__u64 id;
	int n;

	REQUIRE_FAULTS();
	ASSERT_EQ(0, send_small(self->co, &id));
	memset(&rcv, 0, sizeof(rcv));
	rcv.buf = (unsigned long)buf;
	rcv.buf_len = sizeof(buf);
	ASSERT_EQ(0, fanout_recv(self->ag, &rcv));
	memset(&rep, 0, sizeof(rep));
	rep.id = id;
	rep.buf = (unsigned long)"reply";
	rep.len = 5;
	memset(&q, 0, sizeof(q));
	q.id = id;
	q.results = (unsigned long)&res;
	q.count = 1;
	n = EACH_FAULT(fanout_reply(self->ag, &rep), ({
		memset(&res, 0, sizeof(res));
		EXPECT_EQ(0, fanout_results(self->co, &q));
		EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	}));
	TH_LOG("reply: %d allocations", n);
	memset(&res, 0, sizeof(res));
	EXPECT_EQ(0, fanout_results(self->co, &q));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res.state);
	EXPECT_EQ(0, fanout_release(self->co, id));
}

TEST_HARNESS_MAIN
