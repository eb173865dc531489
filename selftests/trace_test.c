// SPDX-License-Identifier: GPL-2.0
/*
 * The trace events: one fan-out to two agents, one replying and one
 * declining, traced in a tracefs instance of its own, must leave the
 * expected events, in order, with the right fields.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

#define TRACEFS		"/sys/kernel/tracing"
#define TRACEFS_DEBUG	"/sys/kernel/debug/tracing"

/* Write @val to @dir/@file: 0 or -errno. */
static int write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

/* The whole of @dir/@file, NUL-terminated (malloc'd), or NULL. */
static char *read_file(const char *dir, const char *file)
{
	size_t len = 0, size = 65536;
	char path[PATH_MAX], *buf = malloc(size), *tmp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		goto err;
	for (;;) {
		if (size - len < 4096) {
			size *= 2;
			tmp = realloc(buf, size);
			if (!tmp)
				goto err;
			buf = tmp;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0)
			goto err;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
err:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static bool is_file(const char *dir, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return !stat(path, &st);
}

struct waiter_arg {
	int co;
	__u64 id;
	pid_t tid;
	int ret;
	struct fanout_wait w;
};

static void *wait_thread(void *arg)
{
	struct waiter_arg *wa = arg;

	memset(&wa->w, 0, sizeof(wa->w));
	wa->w.id = wa->id;
	__atomic_store_n(&wa->tid, gettid(), __ATOMIC_RELEASE);
	wa->ret = fanout_wait(wa->co, &wa->w);
	return NULL;
}

static int recv_nonblock(int fd, struct fanout_recv *rcv, char *buf,
			 size_t len)
{
	memset(rcv, 0, sizeof(*rcv));
	rcv->buf = (unsigned long)buf;
	rcv->buf_len = len;
	rcv->flags = FANOUT_RECV_NONBLOCK;
	return fanout_recv(fd, rcv);
}

static int reply(int fd, __u64 id, int status, const char *payload)
{
	struct fanout_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.id = id;
	rep.status = status;
	if (payload) {
		rep.buf = (unsigned long)payload;
		rep.len = strlen(payload);
	}
	return fanout_reply(fd, &rep);
}

/*
 * Count the lines of @trace whose event is @event ("fanout_send") and
 * whose fields contain @fields. With @from, the match must come after
 * *@from, and *@from is moved past it.
 */
static int trace_count(const char *trace, const char *event,
		       const char *fields, const char **from)
{
	const char *line = from ? *from : trace, *end, *p;
	char tag[64];
	int n = 0;

	snprintf(tag, sizeof(tag), " %s: ", event);
	for (; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		p = memmem(line, end - line, tag, strlen(tag));
		/* Up to and with the newline, so @fields may end in one. */
		if (!p || !memmem(p, end - p + !!*end, fields, strlen(fields)))
			continue;
		n++;
		if (from) {
			*from = *end ? end + 1 : end;
			break;
		}
	}
	return n;
}

FIXTURE(trace) {
	char name[FANOUT_NAME_MAX];
	char inst[256];		/* our tracefs instance, "" if none */
	bool mounted;		/* tracefs mounted by us */
	int co, ag[2];
};

FIXTURE_SETUP(trace)
{
	self->co = -EBADF;
	self->ag[0] = -EBADF;
	self->ag[1] = -EBADF;
	fanout_test_name(self->name, "trace");
}

FIXTURE_TEARDOWN(trace)
{
	for (int i = 0; i < 2; i++)
		if (self->ag[i] >= 0)
			fanout_close(self->ag[i]);
	if (self->co >= 0)
		fanout_close(self->co);
	if (self->inst[0]) {
		/* Disable, clear, then remove the instance and its buffer. */
		write_file(self->inst, "events/fanout/enable", "0");
		write_file(self->inst, "trace", "");
		if (rmdir(self->inst))
			TH_LOG("rmdir %s: %s", self->inst, strerror(errno));
	}
	if (self->mounted)
		umount(TRACEFS);
}

/*
 * The root of tracefs: /sys/kernel/tracing (mounted here if need be) or
 * debugfs's tracing directory; NULL when there is none.
 */
static const char *tracefs_root(bool *mounted)
{
	if (is_file(TRACEFS, "trace"))
		return TRACEFS;
	if (!mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		if (is_file(TRACEFS, "trace")) {
			*mounted = true;
			return TRACEFS;
		}
		umount(TRACEFS);
	}
	if (is_file(TRACEFS_DEBUG, "trace"))
		return TRACEFS_DEBUG;
	return NULL;
}

/*
 * Trace the fanout events into an instance of our own. Returns NULL, or
 * why the test cannot run.
 */
static const char *trace_start(struct __test_metadata *_metadata,
			       FIXTURE_DATA(trace) *self)
{
	const char *root = tracefs_root(&self->mounted);

	if (!root)
		return "tracefs not available";
	if (!is_file(root, "events"))
		return "no event tracing in this kernel";
	EXPECT_TRUE(is_file(root, "events/fanout/enable"))
		TH_LOG("the module's events are missing from %s/events", root);
	snprintf(self->inst, sizeof(self->inst), "%s/instances/fanout-%d",
		 root, getpid());
	if (mkdir(self->inst, 0755)) {
		self->inst[0] = '\0';
		return "no tracing instances";
	}
	ASSERT_EQ(0, write_file(self->inst, "trace", ""));
	ASSERT_EQ(0, write_file(self->inst, "events/fanout/enable", "1"));
	ASSERT_EQ(0, write_file(self->inst, "tracing_on", "1"));
	return NULL;
}

/* Stop tracing; the trace (malloc'd). */
static char *trace_stop(struct __test_metadata *_metadata,
			FIXTURE_DATA(trace) *self)
{
	char *trace;

	EXPECT_EQ(0, write_file(self->inst, "events/fanout/enable", "0"));
	trace = read_file(self->inst, "trace");
	ASSERT_NE(NULL, trace);
	return trace;
}

#define WANT_LEN	200

/*
 * Each @want[k] (see WANT()) is the end of a line of event @events[k],
 * in this order, other lines between them.
 */
static void trace_expect(struct __test_metadata *_metadata, const char *trace,
			 const char *const *events, char (*want)[WANT_LEN],
			 int n)
{
	const char *pos = trace;

	for (int k = 0; k < n && _metadata->passed; k++) {
		EXPECT_EQ(1, trace_count(trace, events[k], want[k], &pos))
			TH_LOG("missing, or out of order: %s%s", events[k],
			       want[k]);
	}
}

/* The fields of the next expected event, from its name's colon to the end. */
#define WANT(fmt, ...) snprintf(want[k++], WANT_LEN, ": " fmt "\n", \
				__VA_ARGS__)

/* The UUID all requests are sent with, and as %pUb prints it. */
static const __u8 test_uuid[FANOUT_UUID_LEN] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

#define TEST_UUID	"10111213-1415-1617-1819-1a1b1c1d1e1f"

static void send_init(struct fanout_send *s, __u32 deadline_ms)
{
	memset(s, 0, sizeof(*s));
	s->flags = FANOUT_SEND_UUID;
	memcpy(s->uuid, test_uuid, sizeof(test_uuid));
	s->payload = (unsigned long)"ping";
	s->payload_len = 4;
	s->deadline_ms = deadline_ms;
}

/* A group of @max_members members; agents join members 0 and 1. */
static void group_start(struct __test_metadata *_metadata,
			FIXTURE_DATA(trace) *self, unsigned int max_members)
{
	self->co = fanout_test_create(self->name, max_members, 0);
	ASSERT_LE(0, self->co);
	for (int m = 0; m < 2; m++) {
		self->ag[m] = fanout_test_agent(self->name, m);
		ASSERT_LE(0, self->ag[m]);
	}
}

/* Replied by one agent, declined by the other while the sender waits. */
TEST_F(trace, reply_and_decline)
{
	static const char *const events[] = {
		"fanout_member_join", "fanout_member_join", "fanout_send",
		"fanout_queue", "fanout_queue",
		"fanout_recv", "fanout_reply", "fanout_settle",
		"fanout_recv", "fanout_reply", "fanout_settle", "fanout_wake",
		"fanout_reply",
		"fanout_member_leave", "fanout_member_leave",
	};
	char want[ARRAY_SIZE(events)][WANT_LEN];
	struct waiter_arg wa = { .co = -EBADF };
	const char *skip, *name = self->name;
	struct fanout_recv rcv;
	struct fanout_send s;
	char buf[64], *trace;
	pid_t pid = getpid();
	unsigned long long i;
	pthread_t th;
	int k = 0;

	skip = trace_start(_metadata, self);
	if (skip)
		SKIP(return, "%s", skip);

	/* Two agents; a fan-out to both. */
	group_start(_metadata, self, 2);
	send_init(&s, 60000);
	ASSERT_EQ(0, fanout_send(self->co, &s));
	ASSERT_EQ(2, s.ntargets);
	i = s.id;

	/* Member 0 replies before anyone waits. */
	ASSERT_EQ(0, recv_nonblock(self->ag[0], &rcv, buf, sizeof(buf)));
	ASSERT_EQ(i, rcv.id);
	ASSERT_EQ(0, reply(self->ag[0], i, 0, "pong"));
	/* Member 1 takes its copy; the coordinator then parks. */
	ASSERT_EQ(0, recv_nonblock(self->ag[1], &rcv, buf, sizeof(buf)));
	ASSERT_EQ(1, rcv.member);
	wa.co = self->co;
	wa.id = i;
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_thread, &wa));
	while (!__atomic_load_n(&wa.tid, __ATOMIC_ACQUIRE) ||
	       !thread_sleeping(wa.tid))
		sched_yield();
	/* Member 1 declines: that settles the request and wakes the waiter. */
	ASSERT_EQ(0, reply(self->ag[1], i, -EPERM, NULL));
	pthread_join(th, NULL);
	ASSERT_EQ(0, wa.ret);
	EXPECT_EQ(1, wa.w.nreplied);
	EXPECT_EQ(1, wa.w.nfailed);
	/* A duplicate is traced with what the agent is told. */
	EXPECT_EQ(-EALREADY, reply(self->ag[0], i, 0, "again"));
	EXPECT_EQ(0, fanout_release(self->co, i));
	for (int m = 0; m < 2; m++) {
		fanout_close(self->ag[m]);
		self->ag[m] = -EBADF;
	}
	trace = trace_stop(_metadata, self);

	WANT("group=%s member=0 nagents=1 pid=%d", name, pid);
	WANT("group=%s member=1 nagents=1 pid=%d", name, pid);
	WANT("group=%s id=%llu uuid=" TEST_UUID " ntargets=2 deadline_ms=60000",
	     name, i);
	WANT("id=%llu member=0 to=ready agent=%d", i, 0);
	WANT("id=%llu member=1 to=ready agent=%d", i, 0);
	WANT("id=%llu member=0 pid=%d", i, pid);
	WANT("id=%llu member=0 status=0 ret=%d", i, 0);
	WANT("id=%llu member=0 from=taken state=replied status=0 open=%d", i, 1);
	WANT("id=%llu member=1 pid=%d", i, pid);
	WANT("id=%llu member=1 status=%d ret=0", i, -EPERM);
	WANT("id=%llu member=1 from=taken state=failed status=%d open=0",
	     i, -EPERM);
	WANT("id=%llu ntargets=2 nreplied=1 nfailed=1 mode=all quorum=%d", i, 0);
	WANT("id=%llu member=0 status=0 ret=%d", i, -EALREADY);
	WANT("group=%s member=0 nagents=0 pid=%d", name, pid);
	WANT("group=%s member=1 nagents=0 pid=%d", name, pid);
	ASSERT_EQ(ARRAY_SIZE(events), k);
	trace_expect(_metadata, trace, events, want, k);
	/* Nothing else happened to the request: one settle each, no deadline. */
	EXPECT_EQ(2, trace_count(trace, "fanout_settle", "", NULL));
	EXPECT_EQ(1, trace_count(trace, "fanout_wake", "", NULL));
	EXPECT_EQ(0, trace_count(trace, "fanout_deadline", "", NULL));
	/* FANOUT_TRACE_SHOW=1 (vm-run.sh --cmdline) shows it when passing. */
	if (!_metadata->passed || getenv("FANOUT_TRACE_SHOW"))
		TH_LOG("the trace:\n%s", trace);
	free(trace);
}

/*
 * Failure notices: a member not up, an agent that closes holding its
 * target, and the deadline for a target nobody took.
 */
TEST_F(trace, failures)
{
	static const char *const events[] = {
		"fanout_send", "fanout_queue", "fanout_queue", "fanout_settle",
		"fanout_recv", "fanout_member_leave", "fanout_settle",
		"fanout_deadline", "fanout_settle", "fanout_wake",
	};
	char want[ARRAY_SIZE(events)][WANT_LEN];
	const char *skip, *name = self->name;
	__u64 bits = 0x7;	/* members 0, 1 and 2 */
	struct fanout_recv rcv;
	struct fanout_send s;
	struct fanout_wait w;
	char buf[64], *trace;
	pid_t pid = getpid();
	unsigned long long i;
	int k = 0;

	skip = trace_start(_metadata, self);
	if (skip)
		SKIP(return, "%s", skip);

	/* Agents for members 0 and 1; member 2 is not up. */
	group_start(_metadata, self, 3);
	send_init(&s, 3000);
	s.targets = (unsigned long)&bits;
	s.targets_bits = 3;
	ASSERT_EQ(0, fanout_send(self->co, &s));
	ASSERT_EQ(3, s.ntargets);
	i = s.id;
	/* Member 1's agent takes its target and closes. */
	ASSERT_EQ(0, recv_nonblock(self->ag[1], &rcv, buf, sizeof(buf)));
	fanout_close(self->ag[1]);
	self->ag[1] = -EBADF;
	/* Member 0's target waits for the deadline. */
	memset(&w, 0, sizeof(w));
	w.id = i;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(3, w.nfailed);
	EXPECT_EQ(0, fanout_release(self->co, i));
	trace = trace_stop(_metadata, self);

	WANT("group=%s id=%llu uuid=" TEST_UUID " ntargets=3 deadline_ms=3000",
	     name, i);
	WANT("id=%llu member=0 to=ready agent=%d", i, 0);
	WANT("id=%llu member=1 to=ready agent=%d", i, 0);
	WANT("id=%llu member=2 from=queued state=failed status=%d open=2",
	     i, -ENOTCONN);
	WANT("id=%llu member=1 pid=%d", i, pid);
	WANT("group=%s member=1 nagents=0 pid=%d", name, pid);
	WANT("id=%llu member=1 from=taken state=failed status=%d open=1",
	     i, -EPIPE);
	WANT("id=%llu open=%d", i, 1);
	WANT("id=%llu member=0 from=queued state=failed status=%d open=0",
	     i, -ETIMEDOUT);
	WANT("id=%llu ntargets=3 nreplied=0 nfailed=3 mode=all quorum=%d", i, 0);
	ASSERT_EQ(ARRAY_SIZE(events), k);
	trace_expect(_metadata, trace, events, want, k);
	EXPECT_EQ(3, trace_count(trace, "fanout_settle", "", NULL));
	EXPECT_EQ(1, trace_count(trace, "fanout_deadline", "", NULL));
	if (!_metadata->passed || getenv("FANOUT_TRACE_SHOW"))
		TH_LOG("the trace:\n%s", trace);
	free(trace);
}

TEST_HARNESS_MAIN
