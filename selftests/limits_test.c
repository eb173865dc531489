// SPDX-License-Identifier: GPL-2.0
/*
 * Every limit and every bad input of /dev/fanout, one test per rejected
 * input, each asserting the exact errno: unknown flag bits, non-zero
 * reserved fields, structure sizes, payload and pending limits, full
 * queues, bad pointers, group and endpoint state errors, requests of
 * other endpoints, bad replies, destroyed groups, and no kernel memory
 * reaching user space through output structures. Fields documented as
 * outputs are ignored on input (<linux/fanout.h>): those tests check
 * that garbage there is overwritten, not refused.
 *
 * Most tests build the ioctl argument by hand so that every byte the
 * kernel sees is under control.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

/* Member count of the test groups; target bitmaps use this many bits. */
#define NMEMB	4

/* A request id no test ever reaches. */
#define UNKNOWN_ID	0x7fffffff00000000ULL

/* @cmd with its size field replaced by @size. */
static unsigned long ioc_resize(unsigned long cmd, size_t size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

/* Every command that takes an argument structure. */
static const unsigned long arg_cmds[] = {
	FANOUT_IOC_VERSION,
	FANOUT_IOC_GROUP_CREATE,
	FANOUT_IOC_GROUP_OPEN,
	FANOUT_IOC_GROUP_DESTROY,
	FANOUT_IOC_GROUP_INFO,
	FANOUT_IOC_GROUP_STATS,
	FANOUT_IOC_JOIN,
	FANOUT_IOC_RECV,
	FANOUT_IOC_REPLY,
	FANOUT_IOC_REPLY_RECV,
	FANOUT_IOC_HUB_ADD,
	FANOUT_IOC_HUB_SERVE,
	FANOUT_IOC_SEND,
	FANOUT_IOC_WAIT,
	FANOUT_IOC_CALL,
	FANOUT_IOC_RESULTS,
	FANOUT_IOC_CANCEL,
	FANOUT_IOC_RELEASE,
	FANOUT_IOC_STATE_SET,
	FANOUT_IOC_CONFIRM,
	FANOUT_IOC_STATE_WAIT,
	FANOUT_IOC_STATE_GET,
};

#define NCMDS	(sizeof(arg_cmds) / sizeof(arg_cmds[0]))

/* Size of a command's first ABI version: anything smaller is refused. */
static size_t first_size(unsigned long cmd)
{
	/* fanout_group_stats grew with FANOUT_FEATURE_STATE. */
	if (_IOC_NR(cmd) == _IOC_NR(FANOUT_IOC_GROUP_STATS))
		return offsetof(struct fanout_group_stats, confirms);
	return _IOC_SIZE(cmd);
}

/* Large enough for any argument structure plus a tail. */
#define ARGBUF	1024

static void params_init(struct fanout_group_params *p, const char *name,
			__u32 max_members)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->mode = 0666;
	p->max_members = max_members;
}

static void name_init(struct fanout_group_name *n, const char *name)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
}

/* A send argument for @len bytes at @payload to the members in *@mask. */
static void send_init(struct fanout_send *s, const void *payload, __u32 len,
		      const __u64 *mask)
{
	memset(s, 0, sizeof(*s));
	s->payload = (uintptr_t)payload;
	s->payload_len = len;
	if (mask) {
		s->targets = (uintptr_t)mask;
		s->targets_bits = NMEMB;
	}
}

/* Send @len bytes to the members in @mask (0: every member up). */
static int send_to(int fd, const void *payload, __u32 len, __u64 mask,
		   __u64 *id)
{
	struct fanout_send s;
	int ret;

	send_init(&s, payload, len, mask ? &mask : NULL);
	ret = fanout_send(fd, &s);
	if (!ret && id)
		*id = s.id;
	return ret;
}

/* Read the result of target @idx of request @id. */
static int get_result(int fd, __u64 id, __u32 idx, struct fanout_result *res)
{
	struct fanout_results r;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.id = id;
	r.results = (uintptr_t)res;
	r.first = idx;
	r.count = 1;
	return fanout_results(fd, &r);
}

/* Receive into @buf of @len bytes. */
static int recv_into(int fd, void *buf, __u32 len, __u32 flags,
		     struct fanout_recv *r)
{
	memset(r, 0, sizeof(*r));
	r->buf = (uintptr_t)buf;
	r->buf_len = len;
	r->flags = flags;
	return fanout_recv(fd, r);
}

static void reply_init(struct fanout_reply *r, __u64 id, const void *buf,
		       __u32 len, __s32 status)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->buf = (uintptr_t)buf;
	r->len = len;
	r->status = status;
}

static void wait_init(struct fanout_wait *w, __u64 id)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->mode = FANOUT_WAIT_ALL;
}

static void results_init(struct fanout_results *r, __u64 id,
			 struct fanout_result *res, __u32 count)
{
	memset(r, 0, sizeof(*r));
	memset(res, 0, count * sizeof(*res));
	r->id = id;
	r->results = (uintptr_t)res;
	r->count = count;
}

static void id_init(struct fanout_id *i, __u64 id)
{
	memset(i, 0, sizeof(*i));
	i->id = id;
}

/* A fresh endpoint bound to group @name, not joined. */
static int bound_ep(const char *name)
{
	int fd = fanout_open(0);
	int ret;

	if (fd < 0)
		return fd;
	ret = fanout_group_open(fd, name);
	if (ret) {
		fanout_close(fd);
		return ret;
	}
	return fd;
}

/* Whether the @len bytes at @p are all @byte. */
static int all_bytes(const void *p, int byte, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != byte)
			return 0;
	return 1;
}

static int all_zero(const void *p, size_t len)
{
	return all_bytes(p, 0, len);
}

static int max_payload(int fd)
{
	struct fanout_version v;
	int ret = fanout_version(fd, &v);

	return ret ? ret : (int)v.max_payload;
}

/*
 * A group of NMEMB members, mode 0666, created by @co, with one agent
 * @ag joined as member 0.
 */
FIXTURE(grp) {
	char name[FANOUT_NAME_MAX];
	int co;
	int ag;
};

FIXTURE_SETUP(grp)
{
	self->co = -EBADF;
	self->ag = -EBADF;
	fanout_test_name(self->name, "limits");
	self->co = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, self->co);
	self->ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->ag);
}

FIXTURE_TEARDOWN(grp)
{
	if (self->ag >= 0)
		EXPECT_EQ(0, fanout_close(self->ag));
	if (self->co >= 0) {
		/* Some tests destroy the group themselves. */
		fanout_group_destroy(self->co, self->name);
		EXPECT_EQ(0, fanout_close(self->co));
	}
}

/* An unbound endpoint and a fresh name; the group, if made, is destroyed. */
FIXTURE(ep) {
	char name[FANOUT_NAME_MAX];
	int fd;
};

FIXTURE_SETUP(ep)
{
	self->fd = -EBADF;
	fanout_test_name(self->name, "limits");
	self->fd = fanout_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ep)
{
	if (self->fd >= 0) {
		fanout_group_destroy(self->fd, self->name);
		EXPECT_EQ(0, fanout_close(self->fd));
	}
}

/* ---- unknown flag bits ------------------------------------------------ */

TEST_F(ep, create_unknown_flags)
{
	struct fanout_group_params p;

	for (int bit = 0; bit < 32; bit++) {
		if ((1U << bit) & FANOUT_GROUP_FLAGS)
			continue;
		params_init(&p, self->name, NMEMB);
		p.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
	}
	EXPECT_EQ(-ENOENT, fanout_group_open(self->fd, self->name));
}

TEST_F(grp, open_unknown_flags)
{
	struct fanout_group_name n;
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	for (int bit = 0; bit < 32; bit++) {
		name_init(&n, self->name);
		n.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(fd, FANOUT_IOC_GROUP_OPEN, &n));
	}
	/* Still unbound. */
	EXPECT_EQ(0, fanout_group_open(fd, self->name));
	close(fd);
}

TEST_F(grp, destroy_unknown_flags)
{
	struct fanout_group_name n;

	for (int bit = 0; bit < 32; bit++) {
		name_init(&n, self->name);
		n.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_GROUP_DESTROY,
					  &n));
	}
	/* The group is still there. */
	EXPECT_EQ(0, send_to(self->co, "x", 1, 0, NULL));
}

TEST_F(grp, join_unknown_flags)
{
	struct fanout_join j;
	int fd = bound_ep(self->name);

	ASSERT_LE(0, fd);
	for (int bit = 0; bit < 32; bit++) {
		memset(&j, 0, sizeof(j));
		j.member = 1;
		j.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(fd, FANOUT_IOC_JOIN, &j));
	}
	EXPECT_EQ(1, fanout_join(fd, 1));
	close(fd);
}

TEST_F(grp, send_unknown_flags)
{
	struct fanout_send s;
	struct fanout_group_stats st;

	for (int bit = 0; bit < 32; bit++) {
		if ((1U << bit) & FANOUT_SEND_FLAGS)
			continue;
		send_init(&s, "x", 1, NULL);
		s.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
	}
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
}

TEST_F(grp, wait_unknown_flags)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int bit = 0; bit < 32; bit++) {
		if ((1U << bit) & FANOUT_WAIT_FLAGS)
			continue;
		wait_init(&w, id);
		w.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
	}
}

TEST_F(grp, results_unknown_flags)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int bit = 0; bit < 32; bit++) {
		if ((1U << bit) & FANOUT_RESULTS_FLAGS)
			continue;
		results_init(&r, id, &res, 1);
		r.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, fanout_results(self->co, &r));
	}
	/* Not released by accident. */
	EXPECT_EQ(0, get_result(self->co, id, 0, &res));
}

TEST_F(grp, recv_unknown_flags)
{
	struct fanout_recv r;
	char buf[16];
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int bit = 0; bit < 32; bit++) {
		/* The redelivery mark is an output, ignored on input. */
		if ((1U << bit) & (FANOUT_RECV_FLAGS | FANOUT_RECV_REDELIVERED))
			continue;
		/* With NONBLOCK, so that a kernel ignoring the bit returns. */
		EXPECT_EQ(-EINVAL, recv_into(self->ag, buf, sizeof(buf),
					     FANOUT_RECV_NONBLOCK | 1U << bit,
					     &r));
	}
	/* The request was not taken. */
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(id, r.id);
}

TEST_F(grp, reply_unknown_flags)
{
	struct fanout_reply rep;
	struct fanout_recv r;
	struct fanout_result res;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	for (int bit = 0; bit < 32; bit++) {
		reply_init(&rep, r.id, "y", 1, 0);
		rep.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, fanout_reply(self->ag, &rep));
	}
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	reply_init(&rep, r.id, "y", 1, 0);
	EXPECT_EQ(0, fanout_reply(self->ag, &rep));
}

TEST_F(grp, cancel_unknown_flags)
{
	struct fanout_result res;
	struct fanout_id i;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int bit = 0; bit < 32; bit++) {
		id_init(&i, id);
		i.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_CANCEL, &i));
	}
	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
}

TEST_F(grp, release_unknown_flags)
{
	struct fanout_result res;
	struct fanout_id i;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int bit = 0; bit < 32; bit++) {
		id_init(&i, id);
		i.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_RELEASE, &i));
	}
	EXPECT_EQ(0, get_result(self->co, id, 0, &res));
}

TEST_F(grp, call_unknown_send_flags)
{
	struct fanout_call c;

	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	c.send.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, fanout_call(self->co, &c));
}

TEST_F(grp, call_unknown_wait_flags)
{
	struct fanout_call c;

	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	c.wait.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, fanout_call(self->co, &c));
}

TEST_F(grp, call_unknown_results_flags)
{
	struct fanout_group_stats st;
	struct fanout_call c;

	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	c.results.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, fanout_call(self->co, &c));
	/* Refused before anything was sent. */
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
}

/* ---- reserved fields, and output fields ignored on input --------------- */

/* More agent message queues per member than FANOUT_QUEUES_MAX. */
TEST_F(ep, create_too_many_queues)
{
	struct fanout_group_params p;

	params_init(&p, self->name, NMEMB);
	p.max_queues = FANOUT_QUEUES_MAX + 1;
	EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
	p.max_queues = ~0U;
	EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
	EXPECT_EQ(-ENOENT, fanout_group_open(self->fd, self->name));
}

/* max_queues FANOUT_QUEUES_MAX, the largest pool: accepted and reported. */
TEST_F(ep, create_queues_bounds)
{
	struct fanout_group_params p;

	params_init(&p, self->name, NMEMB);
	p.max_queues = FANOUT_QUEUES_MAX;
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	ASSERT_EQ(0, fanout_group_info(self->fd, &p));
	EXPECT_EQ(FANOUT_QUEUES_MAX, p.max_queues);
}

TEST_F(ep, create_reserved)
{
	struct fanout_group_params p;

	for (int i = 0; i < 2; i++) {
		params_init(&p, self->name, NMEMB);
		p.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
	}
}

/*
 * uid and gid are outputs (of GROUP_INFO): ignored on input, they do not
 * choose the owner.
 */
TEST_F(ep, create_uid_gid_ignored)
{
	struct fanout_group_params p, info;

	params_init(&p, self->name, NMEMB);
	p.uid = 1000;
	p.gid = 2000;
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	ASSERT_EQ(0, fanout_group_info(self->fd, &info));
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(getegid(), info.gid);
}

TEST_F(grp, open_reserved)
{
	struct fanout_group_name n;
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	name_init(&n, self->name);
	n.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, FANOUT_IOC_GROUP_OPEN, &n));
	close(fd);
}

TEST_F(grp, destroy_reserved)
{
	struct fanout_group_name n;

	name_init(&n, self->name);
	n.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_GROUP_DESTROY, &n));
	EXPECT_EQ(0, send_to(self->co, "x", 1, 0, NULL));
}

TEST_F(grp, join_reserved)
{
	struct fanout_join j;
	int fd = bound_ep(self->name);

	ASSERT_LE(0, fd);
	memset(&j, 0, sizeof(j));
	j.member = 1;
	j.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(fd, FANOUT_IOC_JOIN, &j));
	close(fd);
}

TEST_F(grp, send_reserved0)
{
	struct fanout_send s;

	send_init(&s, "x", 1, NULL);
	s.reserved0 = 1;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, send_reserved)
{
	struct fanout_send s;

	for (int i = 0; i < 2; i++) {
		send_init(&s, "x", 1, NULL);
		s.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
	}
}

/* id, ntargets and (without FANOUT_SEND_UUID) uuid are outputs. */
TEST_F(grp, send_outputs_ignored)
{
	struct fanout_send s;
	struct fanout_recv r;
	__u64 mask = 3;
	char buf[16];

	send_init(&s, "x", 1, &mask);
	s.id = ~0ULL;
	s.ntargets = 0xa5a5a5a5;
	memset(s.uuid, 0xa5, sizeof(s.uuid));
	ASSERT_EQ(0, fanout_send(self->co, &s));
	EXPECT_NE(~0ULL, s.id);
	EXPECT_NE(0, s.id);
	EXPECT_EQ(2, s.ntargets);
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(s.id, r.id);
	/* The kernel generated the uuid and reported it. */
	EXPECT_EQ(0, memcmp(s.uuid, r.uuid, sizeof(r.uuid)));
	EXPECT_FALSE(all_bytes(r.uuid, 0xa5, sizeof(r.uuid)));
}

TEST_F(grp, send_per_target_buf_reserved)
{
	struct fanout_buf bufs[2] = {
		{ .addr = (uintptr_t)"a", .len = 1 },
		{ .addr = (uintptr_t)"b", .len = 1, .reserved = 1 },
	};
	__u64 mask = 3;
	struct fanout_send s;

	send_init(&s, bufs, 2, &mask);
	s.flags = FANOUT_SEND_PER_TARGET;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, send_targets_bits_without_targets)
{
	struct fanout_send s;

	send_init(&s, "x", 1, NULL);
	s.targets_bits = NMEMB;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, send_targets_without_bits)
{
	__u64 mask = 1;
	struct fanout_send s;

	send_init(&s, "x", 1, &mask);
	s.targets_bits = 0;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, send_targets_bits_over_members)
{
	__u64 mask = 1;
	struct fanout_send s;

	send_init(&s, "x", 1, &mask);
	s.targets_bits = NMEMB + 1;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, send_targets_empty)
{
	__u64 mask = 0;
	struct fanout_send s;

	send_init(&s, "x", 1, &mask);
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, send_per_target_count_mismatch)
{
	struct fanout_buf bufs[2] = {
		{ .addr = (uintptr_t)"a", .len = 1 },
		{ .addr = (uintptr_t)"b", .len = 1 },
	};
	__u64 mask = 3;
	struct fanout_send s;

	send_init(&s, bufs, 1, &mask);
	s.flags = FANOUT_SEND_PER_TARGET;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

/* One payload per target needs a target set the caller knows. */
TEST_F(grp, send_per_target_without_targets)
{
	struct fanout_buf buf = { .addr = (uintptr_t)"a", .len = 1 };
	struct fanout_send s;

	send_init(&s, &buf, 1, NULL);
	s.flags = FANOUT_SEND_PER_TARGET;
	EXPECT_EQ(-EINVAL, fanout_send(self->co, &s));
}

TEST_F(grp, wait_reserved)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int i = 0; i < 2; i++) {
		wait_init(&w, id);
		w.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
	}
}

TEST_F(grp, wait_outputs_ignored)
{
	struct fanout_wait w;
	__u64 id;

	/* Member 1 is down: settled at once, one failure. */
	ASSERT_EQ(0, send_to(self->co, "x", 1, 2, &id));
	wait_init(&w, id);
	w.ntargets = 0xa5a5a5a5;
	w.nreplied = 0xa5a5a5a5;
	w.nfailed = 0xa5a5a5a5;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(1, w.ntargets);
	EXPECT_EQ(0, w.nreplied);
	EXPECT_EQ(1, w.nfailed);
	EXPECT_EQ(0, w.reserved[0]);
	EXPECT_EQ(0, w.reserved[1]);
}

TEST_F(grp, results_reserved)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	for (int i = 0; i < 2; i++) {
		results_init(&r, id, &res, 1);
		r.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, fanout_results(self->co, &r));
	}
}

TEST_F(grp, results_outputs_ignored)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 3, &id));
	results_init(&r, id, &res, 1);
	r.ntargets = 0xa5a5a5a5;
	r.nreplied = 0xa5a5a5a5;
	r.nfailed = 0xa5a5a5a5;
	ASSERT_EQ(0, fanout_results(self->co, &r));
	EXPECT_EQ(1, r.count);
	EXPECT_EQ(2, r.ntargets);
	EXPECT_EQ(0, r.nreplied);
	EXPECT_EQ(1, r.nfailed);
	EXPECT_EQ(0, r.reserved[0]);
	EXPECT_EQ(0, r.reserved[1]);
}

TEST_F(grp, result_entry_reserved)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	results_init(&r, id, &res, 1);
	res.reserved = 1;
	EXPECT_EQ(-EINVAL, fanout_results(self->co, &r));
}

TEST_F(grp, results_first_beyond_targets)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	results_init(&r, id, &res, 1);
	r.first = 2;
	EXPECT_EQ(-EINVAL, fanout_results(self->co, &r));
	/* first == ntargets reads nothing. */
	results_init(&r, id, &res, 1);
	r.first = 1;
	EXPECT_EQ(0, fanout_results(self->co, &r));
	EXPECT_EQ(0, r.count);
	EXPECT_EQ(1, r.ntargets);
}

TEST_F(grp, recv_reserved)
{
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	for (int i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.buf = (uintptr_t)buf;
		r.buf_len = sizeof(buf);
		r.flags = FANOUT_RECV_NONBLOCK;
		r.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, fanout_recv(self->ag, &r));
	}
}

/*
 * id, uuid, len and member are outputs: a structure reused after the
 * previous receive (or prefilled with garbage) works.
 */
TEST_F(grp, recv_outputs_ignored)
{
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];
	__u64 id1, id2;

	ASSERT_EQ(0, send_to(self->co, "one", 3, 1, &id1));
	ASSERT_EQ(0, send_to(self->co, "second", 6, 1, &id2));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(id1, r.id);
	EXPECT_EQ(3, r.len);
	/* Answered, so the agent is free for the next conversation. */
	reply_init(&rep, id1, NULL, 0, 0);
	ASSERT_EQ(0, fanout_reply(self->ag, &rep));
	/* Again with the same structure, outputs left in place. */
	ASSERT_EQ(0, fanout_recv(self->ag, &r));
	EXPECT_EQ(id2, r.id);
	EXPECT_EQ(6, r.len);
	EXPECT_EQ(0, memcmp(buf, "second", 6));
}

TEST_F(grp, reply_reserved0)
{
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "y", 1, 0);
	rep.reserved0 = 1;
	EXPECT_EQ(-EINVAL, fanout_reply(self->ag, &rep));
}

TEST_F(grp, reply_reserved)
{
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "y", 1, 0);
	rep.reserved = 1;
	EXPECT_EQ(-EINVAL, fanout_reply(self->ag, &rep));
}

TEST_F(grp, cancel_reserved)
{
	struct fanout_id i;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	id_init(&i, id);
	i.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_CANCEL, &i));
}

TEST_F(grp, release_reserved)
{
	struct fanout_id i;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	id_init(&i, id);
	i.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_RELEASE, &i));
}

/* The kernel sets the ids of a call's wait and results: outputs. */
TEST_F(grp, call_ids_ignored)
{
	struct fanout_call c;

	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	/* Members 1..3 are down: the call completes at once. */
	c.send.targets = (uintptr_t)&(__u64){ 0xe };
	c.send.targets_bits = NMEMB;
	c.wait.id = UNKNOWN_ID;
	c.results.id = UNKNOWN_ID;
	ASSERT_EQ(0, fanout_call(self->co, &c));
	EXPECT_EQ(3, c.send.ntargets);
	EXPECT_EQ(c.send.id, c.wait.id);
	EXPECT_EQ(c.send.id, c.results.id);
	EXPECT_EQ(3, c.wait.nfailed);
}

/* ---- structure sizes --------------------------------------------------- */

/* A structure smaller than the ABI's first version. */
TEST_F(grp, size_short)
{
	char buf[ARGBUF];

	for (unsigned int i = 0; i < NCMDS; i++) {
		size_t size = first_size(arg_cmds[i]);
		size_t shorter[] = { 0, size / 2, size - 1 };

		for (unsigned int k = 0; k < 3; k++) {
			memset(buf, 0, sizeof(buf));
			EXPECT_EQ(-EINVAL,
				  xioctl(self->co,
					 ioc_resize(arg_cmds[i], shorter[k]),
					 buf)) {
				TH_LOG("cmd %#lx size %zu", arg_cmds[i],
				       shorter[k]);
			}
		}
	}
}

/* A larger structure whose unknown tail is not zero. */
TEST_F(grp, size_long_nonzero_tail)
{
	char buf[ARGBUF];

	for (unsigned int i = 0; i < NCMDS; i++) {
		size_t size = _IOC_SIZE(arg_cmds[i]);

		if (!(_IOC_DIR(arg_cmds[i]) & _IOC_WRITE))
			continue;
		memset(buf, 0, sizeof(buf));
		buf[size + 7] = 1;
		EXPECT_EQ(-E2BIG, xioctl(self->co,
					 ioc_resize(arg_cmds[i], size + 8),
					 buf)) {
			TH_LOG("cmd %#lx", arg_cmds[i]);
		}
		memset(buf, 0, sizeof(buf));
		buf[size] = 1;
		EXPECT_EQ(-E2BIG, xioctl(self->co,
					 ioc_resize(arg_cmds[i], size + 64),
					 buf)) {
			TH_LOG("cmd %#lx", arg_cmds[i]);
		}
	}
}

TEST_F(ep, create_long_zero_tail)
{
	struct {
		struct fanout_group_params p;
		__u64 newer[4];
	} big;
	struct fanout_group_params info;

	memset(&big, 0, sizeof(big));
	params_init(&big.p, self->name, NMEMB);
	ASSERT_EQ(0, xioctl(self->fd, ioc_resize(FANOUT_IOC_GROUP_CREATE,
						 sizeof(big)), &big));
	ASSERT_EQ(0, fanout_group_info(self->fd, &info));
	EXPECT_STREQ(self->name, info.name);
	EXPECT_EQ(NMEMB, info.max_members);
}

/* Output of a larger _IOWR structure: the tail comes back zero. */
TEST_F(grp, send_long_zero_tail)
{
	struct {
		struct fanout_send s;
		__u64 newer[4];
	} big;
	__u64 mask = 1;

	memset(&big, 0, sizeof(big));
	send_init(&big.s, "x", 1, &mask);
	ASSERT_EQ(0, xioctl(self->co, ioc_resize(FANOUT_IOC_SEND, sizeof(big)),
			    &big));
	EXPECT_NE(0, big.s.id);
	EXPECT_EQ(1, big.s.ntargets);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, big.newer[i]);
}

TEST_F(grp, recv_long_zero_tail)
{
	struct {
		struct fanout_recv r;
		__u64 newer[2];
	} big;
	char buf[16];
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "hello", 5, 1, &id));
	memset(&big, 0, sizeof(big));
	big.r.buf = (uintptr_t)buf;
	big.r.buf_len = sizeof(buf);
	big.r.flags = FANOUT_RECV_NONBLOCK;
	ASSERT_EQ(0, xioctl(self->ag, ioc_resize(FANOUT_IOC_RECV, sizeof(big)),
			    &big));
	EXPECT_EQ(id, big.r.id);
	EXPECT_EQ(5, big.r.len);
	EXPECT_EQ(0, big.newer[0]);
	EXPECT_EQ(0, big.newer[1]);
}

/* ---- payload size ------------------------------------------------------ */

TEST_F(grp, send_payload_over_max)
{
	struct fanout_group_stats st;
	int max = max_payload(self->co);
	char *p;

	ASSERT_LT(0, max);
	p = calloc(1, max + 1);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-EMSGSIZE, send_to(self->co, p, max + 1, 1, NULL));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
	free(p);
}

/* The limit itself is accepted and delivered whole. */
TEST_F(grp, send_payload_max)
{
	int max = max_payload(self->co);
	struct fanout_recv r;
	char *p, *q;
	__u64 id;

	ASSERT_LT(0, max);
	p = malloc(max);
	q = calloc(1, max);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, q);
	for (int i = 0; i < max; i++)
		p[i] = i * 31;
	ASSERT_EQ(0, send_to(self->co, p, max, 1, &id));
	ASSERT_EQ(0, recv_into(self->ag, q, max, FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(max, r.len);
	EXPECT_EQ(0, memcmp(p, q, max));
	free(p);
	free(q);
}

TEST_F(grp, send_per_target_payload_over_max)
{
	int max = max_payload(self->co);
	struct fanout_buf bufs[2];
	struct fanout_group_stats st;
	struct fanout_send s;
	__u64 mask = 3;
	char *p;

	ASSERT_LT(0, max);
	p = calloc(1, max + 1);
	ASSERT_NE(NULL, p);
	memset(bufs, 0, sizeof(bufs));
	bufs[0].addr = (uintptr_t)p;
	bufs[0].len = 1;
	bufs[1].addr = (uintptr_t)p;
	bufs[1].len = max + 1;
	send_init(&s, bufs, 2, &mask);
	s.flags = FANOUT_SEND_PER_TARGET;
	EXPECT_EQ(-EMSGSIZE, fanout_send(self->co, &s));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
	free(p);
}

TEST_F(grp, reply_payload_over_max)
{
	int max = max_payload(self->co);
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16], *p;

	ASSERT_LT(0, max);
	p = calloc(1, max + 1);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, p, max + 1, 0);
	EXPECT_EQ(-EMSGSIZE, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	/* The limit itself is accepted. */
	reply_init(&rep, r.id, p, max, 0);
	EXPECT_EQ(0, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res.state);
	EXPECT_EQ(max, res.reply_len);
	free(p);
}

/* ---- pending requests and queues --------------------------------------- */

TEST_F(ep, pending_cap)
{
	struct fanout_group_params p;
	struct fanout_group_stats st;
	__u64 id[3];

	params_init(&p, self->name, NMEMB);
	p.max_pending = 2;
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	ASSERT_EQ(0, send_to(self->fd, "x", 1, 0, &id[0]));
	ASSERT_EQ(0, send_to(self->fd, "x", 1, 0, &id[1]));
	EXPECT_EQ(-EAGAIN, send_to(self->fd, "x", 1, 0, &id[2]));
	ASSERT_EQ(0, fanout_group_stats(self->fd, &st));
	EXPECT_EQ(2, st.pending);
	EXPECT_EQ(2, st.requests);

	ASSERT_EQ(0, fanout_release(self->fd, id[0]));
	ASSERT_EQ(0, send_to(self->fd, "x", 1, 0, &id[2]));
	EXPECT_EQ(-EAGAIN, send_to(self->fd, "x", 1, 0, NULL));
	ASSERT_EQ(0, fanout_group_stats(self->fd, &st));
	EXPECT_EQ(2, st.pending);
	EXPECT_EQ(3, st.requests);
}

/* The cap is per group: another coordinator is refused as well. */
TEST_F(ep, pending_cap_group_wide)
{
	struct fanout_group_params p;
	int co2;

	params_init(&p, self->name, NMEMB);
	p.max_pending = 2;
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	co2 = bound_ep(self->name);
	ASSERT_LE(0, co2);
	ASSERT_EQ(0, send_to(self->fd, "x", 1, 0, NULL));
	ASSERT_EQ(0, send_to(co2, "x", 1, 0, NULL));
	EXPECT_EQ(-EAGAIN, send_to(self->fd, "x", 1, 0, NULL));
	EXPECT_EQ(-EAGAIN, send_to(co2, "x", 1, 0, NULL));
	/* Closing an endpoint releases its requests. */
	EXPECT_EQ(0, fanout_close(co2));
	EXPECT_EQ(0, send_to(self->fd, "x", 1, 0, NULL));
}

TEST_F(ep, queue_full)
{
	struct fanout_group_params p;
	struct fanout_group_stats st;
	struct fanout_result res;
	struct fanout_results r;
	__u64 id1, id2;
	int ag;

	params_init(&p, self->name, NMEMB);
	p.max_queue = 1;
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);

	ASSERT_EQ(0, send_to(self->fd, "x", 1, 1, &id1));
	ASSERT_EQ(0, send_to(self->fd, "x", 1, 1, &id2));

	ASSERT_EQ(0, get_result(self->fd, id1, 0, &res));
	EXPECT_EQ(0, res.member);
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);

	results_init(&r, id2, &res, 1);
	ASSERT_EQ(0, fanout_results(self->fd, &r));
	EXPECT_EQ(1, r.count);
	EXPECT_EQ(1, r.nfailed);
	EXPECT_EQ(0, res.member);
	EXPECT_EQ(FANOUT_TARGET_FAILED, res.state);
	EXPECT_EQ(-ENOBUFS, res.status);

	ASSERT_EQ(0, fanout_group_stats(self->fd, &st));
	EXPECT_EQ(1, st.failures);
	close(ag);
}

/* ---- bad pointers ------------------------------------------------------ */

TEST_F(grp, send_bad_payload)
{
	struct fanout_group_stats st;
	struct fanout_send s;
	__u64 mask = 1;

	send_init(&s, NULL, 16, &mask);
	s.payload = bad_addr();
	EXPECT_EQ(-EFAULT, fanout_send(self->co, &s));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
	EXPECT_EQ(0, st.pending);
}

TEST_F(grp, send_bad_targets)
{
	struct fanout_send s;

	send_init(&s, "x", 1, NULL);
	s.targets = bad_addr();
	s.targets_bits = NMEMB;
	EXPECT_EQ(-EFAULT, fanout_send(self->co, &s));
}

TEST_F(grp, send_bad_per_target_array)
{
	struct fanout_send s;
	__u64 mask = 3;

	send_init(&s, NULL, 2, &mask);
	s.payload = bad_addr();
	s.flags = FANOUT_SEND_PER_TARGET;
	EXPECT_EQ(-EFAULT, fanout_send(self->co, &s));
}

TEST_F(grp, send_bad_per_target_buf)
{
	struct fanout_buf bufs[2] = {
		{ .addr = (uintptr_t)"a", .len = 1 },
		{ .addr = bad_addr(), .len = 1 },
	};
	struct fanout_group_stats st;
	struct fanout_send s;
	__u64 mask = 3;

	send_init(&s, bufs, 2, &mask);
	s.flags = FANOUT_SEND_PER_TARGET;
	EXPECT_EQ(-EFAULT, fanout_send(self->co, &s));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
}

TEST_F(grp, results_bad_array)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	results_init(&r, id, &res, 1);
	r.results = bad_addr();
	EXPECT_EQ(-EFAULT, fanout_results(self->co, &r));
	/* With RELEASE, a fault leaves the request in place. */
	results_init(&r, id, &res, 1);
	r.results = bad_addr();
	r.flags = FANOUT_RESULTS_RELEASE;
	EXPECT_EQ(-EFAULT, fanout_results(self->co, &r));
	EXPECT_EQ(0, get_result(self->co, id, 0, &res));
}

TEST_F(grp, results_bad_reply_buf)
{
	struct fanout_results r;
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv rcv;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &rcv));
	reply_init(&rep, rcv.id, "reply", 5, 0);
	ASSERT_EQ(0, fanout_reply(self->ag, &rep));
	results_init(&r, rcv.id, &res, 1);
	res.reply_buf = bad_addr();
	res.reply_buf_len = sizeof(buf);
	EXPECT_EQ(-EFAULT, fanout_results(self->co, &r));
}

TEST_F(grp, reply_bad_buf)
{
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, NULL, 8, 0);
	rep.buf = bad_addr();
	EXPECT_EQ(-EFAULT, fanout_reply(self->ag, &rep));
	/* The target is still the agent's to answer. */
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	reply_init(&rep, r.id, "ok", 2, 0);
	EXPECT_EQ(0, fanout_reply(self->ag, &rep));
}

/* A fault on the receive buffer leaves the request queued. */
TEST_F(grp, recv_bad_buf)
{
	struct fanout_result res;
	struct fanout_recv r;
	char buf[16];
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "hello", 5, 1, &id));
	memset(&r, 0, sizeof(r));
	r.buf = bad_addr();
	r.buf_len = sizeof(buf);
	r.flags = FANOUT_RECV_NONBLOCK;
	EXPECT_EQ(-EFAULT, fanout_recv(self->ag, &r));
	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(5, r.len);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/* The ioctl argument itself, for every command that has one. */
TEST_F(grp, bad_ioctl_arg)
{
	for (unsigned int i = 0; i < NCMDS; i++) {
		EXPECT_EQ(-EFAULT, xioctl(self->co, arg_cmds[i],
					  (void *)(uintptr_t)bad_addr())) {
			TH_LOG("cmd %#lx", arg_cmds[i]);
		}
		EXPECT_EQ(-EFAULT, xioctl(self->co, arg_cmds[i], NULL)) {
			TH_LOG("cmd %#lx", arg_cmds[i]);
		}
	}
}

/*
 * A copy of the @len bytes at @src in a page of its own that can be read
 * but not written: an ioctl argument the kernel cannot write back.
 */
static void *readonly_copy(const void *src, size_t len)
{
	void *page = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return NULL;
	memcpy(page, src, len);
	if (mprotect(page, getpagesize(), PROT_READ)) {
		munmap(page, getpagesize());
		return NULL;
	}
	return page;
}

/* Requests of the group not yet released, from the group's counters. */
static int pending_of(int fd)
{
	struct fanout_group_stats st;

	return fanout_group_stats(fd, &st) ? -1 : (int)st.pending;
}

/* A receive into a read-only structure takes nothing: it stays queued. */
TEST_F(grp, recv_readonly_arg)
{
	struct fanout_result res;
	struct fanout_recv r, *ro;
	char buf[16];
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "hello", 5, 1, &id));
	memset(&r, 0, sizeof(r));
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	r.flags = FANOUT_RECV_NONBLOCK;
	ro = readonly_copy(&r, sizeof(r));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, fanout_recv(self->ag, ro));
	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
	munmap(ro, getpagesize());

	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(id, r.id);
}

/*
 * Reply-and-receive into a read-only structure accepts no reply (the
 * caller could not see reply.id cleared) and takes nothing.
 */
TEST_F(grp, reply_recv_readonly_arg)
{
	struct fanout_reply_recv rr, *ro;
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];
	__u64 id, next;

	ASSERT_EQ(0, send_to(self->co, "one", 3, 1, &id));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	ASSERT_EQ(0, send_to(self->co, "two", 3, 1, &next));
	memset(&rr, 0, sizeof(rr));
	reply_init(&rr.reply, id, "ok", 2, 0);
	rr.recv.buf = (uintptr_t)buf;
	rr.recv.buf_len = sizeof(buf);
	rr.recv.flags = FANOUT_RECV_NONBLOCK;
	ro = readonly_copy(&rr, sizeof(rr));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, fanout_reply_recv(self->ag, ro));
	EXPECT_EQ(id, ro->reply.id);
	munmap(ro, getpagesize());

	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	ASSERT_EQ(0, get_result(self->co, next, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
	/* The reply still goes through, once. */
	reply_init(&rep, id, "ok", 2, 0);
	EXPECT_EQ(0, fanout_reply(self->ag, &rep));
	EXPECT_EQ(-EALREADY, fanout_reply(self->ag, &rep));
}

/* A send from a read-only structure starts no request. */
TEST_F(grp, send_readonly_arg)
{
	struct fanout_send s, *ro;
	__u64 mask = 1;

	send_init(&s, "x", 1, &mask);
	ro = readonly_copy(&s, sizeof(s));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, fanout_send(self->co, ro));
	munmap(ro, getpagesize());
	EXPECT_EQ(0, pending_of(self->co));
}

/* A call from a read-only structure starts no request. */
TEST_F(grp, call_readonly_arg)
{
	struct fanout_call c, *ro;
	__u64 mask = 1;

	memset(&c, 0, sizeof(c));
	send_init(&c.send, "x", 1, &mask);
	c.wait.flags = FANOUT_WAIT_TIMEOUT;
	ro = readonly_copy(&c, sizeof(c));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, fanout_call(self->co, ro));
	munmap(ro, getpagesize());
	EXPECT_EQ(0, pending_of(self->co));
}

/* A send that starts nothing hands back no id, count or UUID. */
TEST_F(grp, send_failure_clears_outputs)
{
	int max = max_payload(self->co);
	struct fanout_send s;
	char *big;

	ASSERT_LT(0, max);
	big = calloc(1, max + 1);
	ASSERT_NE(NULL, big);
	send_init(&s, big, max + 1, NULL);
	s.id = 0x123456;
	s.ntargets = 7;
	memset(s.uuid, 0xab, sizeof(s.uuid));
	EXPECT_EQ(-EMSGSIZE, fanout_send(self->co, &s));
	EXPECT_EQ(0, s.id);
	EXPECT_EQ(0, s.ntargets);
	EXPECT_TRUE(all_zero(s.uuid, sizeof(s.uuid)));

	/* A caller's UUID is an input: it stays. */
	s.flags = FANOUT_SEND_UUID;
	memset(s.uuid, 0xab, sizeof(s.uuid));
	EXPECT_EQ(-EMSGSIZE, fanout_send(self->co, &s));
	EXPECT_TRUE(all_bytes(s.uuid, 0xab, sizeof(s.uuid)));
	free(big);
}

/* A call that starts nothing names no request in any of its parts. */
TEST_F(grp, call_failure_clears_outputs)
{
	struct fanout_call c;

	memset(&c, 0, sizeof(c));
	send_init(&c.send, "x", 1, NULL);
	c.send.reserved0 = 1;
	c.send.id = c.wait.id = c.results.id = 0x123456;
	c.wait.ntargets = c.results.ntargets = 9;
	EXPECT_EQ(-EINVAL, fanout_call(self->co, &c));
	EXPECT_EQ(0, c.send.id);
	EXPECT_EQ(0, c.wait.id);
	EXPECT_EQ(0, c.results.id);
	EXPECT_EQ(0, c.wait.ntargets);
	EXPECT_EQ(0, c.results.ntargets);
}

/* A receive that takes nothing hands back no id. */
TEST_F(grp, recv_failure_clears_outputs)
{
	struct fanout_recv r;
	char buf[8];

	memset(&r, 0, sizeof(r));
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	r.flags = FANOUT_RECV_NONBLOCK;
	r.id = 0x123456;
	r.member = 3;
	EXPECT_EQ(-EAGAIN, fanout_recv(self->ag, &r));
	EXPECT_EQ(0, r.id);
	EXPECT_EQ(0, r.member);
}

/* ---- group create, open, destroy --------------------------------------- */

TEST_F(ep, create_empty_name)
{
	struct fanout_group_params p;

	params_init(&p, "", NMEMB);
	EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
}

TEST_F(ep, create_unterminated_name)
{
	struct fanout_group_params p;

	params_init(&p, self->name, NMEMB);
	memset(p.name, 'a', sizeof(p.name));
	EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
}

/* The longest name that fits is accepted. */
TEST_F(ep, create_longest_name)
{
	struct fanout_group_params p;
	char name[FANOUT_NAME_MAX];
	int fd;

	params_init(&p, self->name, NMEMB);
	memset(p.name, 'z', sizeof(p.name) - 1);
	memcpy(p.name, self->name, strlen(self->name));
	memcpy(name, p.name, sizeof(name));
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	fd = bound_ep(name);
	EXPECT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, fanout_group_destroy(self->fd, name));
}

TEST_F(ep, create_zero_members)
{
	struct fanout_group_params p;

	params_init(&p, self->name, 0);
	EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
}

TEST_F(ep, create_too_many_members)
{
	struct fanout_group_params p;

	params_init(&p, self->name, FANOUT_MEMBERS_MAX + 1);
	EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p));
}

TEST_F(ep, create_max_members)
{
	struct fanout_group_params p;

	params_init(&p, self->name, FANOUT_MEMBERS_MAX);
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	EXPECT_EQ(FANOUT_MEMBERS_MAX - 1,
		  fanout_join(self->fd, FANOUT_MEMBERS_MAX - 1));
}

TEST_F(ep, create_mode_bits)
{
	static const __u32 bad[] = { 01000, 02000, 04000, 010000, 01777,
				     1U << 31 };
	struct fanout_group_params p;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		params_init(&p, self->name, NMEMB);
		p.mode = bad[i];
		EXPECT_EQ(-EINVAL, fanout_group_create(self->fd, &p)) {
			TH_LOG("mode %#o", bad[i]);
		}
	}
}

TEST_F(grp, create_duplicate)
{
	struct fanout_group_params p;
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	params_init(&p, self->name, NMEMB);
	EXPECT_EQ(-EEXIST, fanout_group_create(fd, &p));
	/* The endpoint stays unbound. */
	EXPECT_EQ(0, fanout_group_open(fd, self->name));
	close(fd);
}

TEST_F(grp, create_bound)
{
	struct fanout_group_params p;
	char other[FANOUT_NAME_MAX];

	fanout_test_name(other, "limits");
	params_init(&p, other, NMEMB);
	EXPECT_EQ(-EISCONN, fanout_group_create(self->co, &p));
	/* Nothing was registered under the new name. */
	EXPECT_EQ(-ENOENT, fanout_group_destroy(self->co, other));
}

TEST_F(grp, open_bound)
{
	EXPECT_EQ(-EISCONN, fanout_group_open(self->co, self->name));
	EXPECT_EQ(-EISCONN, fanout_group_open(self->ag, self->name));
}

TEST_F(ep, open_unknown)
{
	EXPECT_EQ(-ENOENT, fanout_group_open(self->fd, self->name));
}

TEST_F(ep, open_empty_name)
{
	struct fanout_group_name n;

	name_init(&n, "");
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FANOUT_IOC_GROUP_OPEN, &n));
}

TEST_F(ep, open_unterminated_name)
{
	struct fanout_group_name n;

	name_init(&n, "");
	memset(n.name, 'a', sizeof(n.name));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FANOUT_IOC_GROUP_OPEN, &n));
}

TEST_F(ep, destroy_unknown)
{
	EXPECT_EQ(-ENOENT, fanout_group_destroy(self->fd, self->name));
}

TEST_F(ep, destroy_unterminated_name)
{
	struct fanout_group_name n;

	name_init(&n, "");
	memset(n.name, 'a', sizeof(n.name));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FANOUT_IOC_GROUP_DESTROY, &n));
}

/* ---- operations on an unbound endpoint --------------------------------- */

TEST_F(ep, unbound_info)
{
	struct fanout_group_params p;

	EXPECT_EQ(-EBADFD, fanout_group_info(self->fd, &p));
}

TEST_F(ep, unbound_stats)
{
	struct fanout_group_stats st;

	EXPECT_EQ(-EBADFD, fanout_group_stats(self->fd, &st));
}

TEST_F(ep, unbound_join)
{
	EXPECT_EQ(-EBADFD, fanout_join(self->fd, 0));
}

TEST_F(ep, unbound_leave)
{
	EXPECT_EQ(-EBADFD, fanout_leave(self->fd));
}

TEST_F(ep, unbound_recv)
{
	struct fanout_recv r;
	char buf[16];

	EXPECT_EQ(-EBADFD, recv_into(self->fd, buf, sizeof(buf), 0, &r));
}

TEST_F(ep, unbound_reply)
{
	struct fanout_reply rep;

	reply_init(&rep, 1, "x", 1, 0);
	EXPECT_EQ(-EBADFD, fanout_reply(self->fd, &rep));
}

TEST_F(ep, unbound_reply_recv)
{
	struct fanout_reply_recv rr;

	memset(&rr, 0, sizeof(rr));
	rr.reply.id = 1;
	EXPECT_EQ(-EBADFD, fanout_reply_recv(self->fd, &rr));
}

TEST_F(ep, unbound_send)
{
	EXPECT_EQ(-EBADFD, send_to(self->fd, "x", 1, 0, NULL));
}

TEST_F(ep, unbound_wait)
{
	struct fanout_wait w;

	wait_init(&w, 1);
	EXPECT_EQ(-EBADFD, fanout_wait(self->fd, &w));
}

TEST_F(ep, unbound_call)
{
	struct fanout_call c;

	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	EXPECT_EQ(-EBADFD, fanout_call(self->fd, &c));
}

TEST_F(ep, unbound_results)
{
	struct fanout_results r;
	struct fanout_result res;

	results_init(&r, 1, &res, 1);
	EXPECT_EQ(-EBADFD, fanout_results(self->fd, &r));
}

TEST_F(ep, unbound_cancel)
{
	EXPECT_EQ(-EBADFD, fanout_cancel(self->fd, 1));
}

TEST_F(ep, unbound_release)
{
	EXPECT_EQ(-EBADFD, fanout_release(self->fd, 1));
}

/* ---- join, leave, receive ---------------------------------------------- */

TEST_F(grp, join_member_out_of_range)
{
	int fd = bound_ep(self->name);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, fanout_join(fd, NMEMB));
	EXPECT_EQ(-EINVAL, fanout_join(fd, FANOUT_MEMBER_ANY - 1));
	EXPECT_EQ(NMEMB - 1, fanout_join(fd, NMEMB - 1));
	close(fd);
}

TEST_F(grp, join_twice)
{
	EXPECT_EQ(-EISCONN, fanout_join(self->ag, 0));
	EXPECT_EQ(-EISCONN, fanout_join(self->ag, 1));
	EXPECT_EQ(-EISCONN, fanout_join(self->ag, FANOUT_MEMBER_ANY));
}

TEST_F(ep, join_any_all_taken)
{
	struct fanout_group_params p;
	int a0, a1, fd;

	params_init(&p, self->name, 2);
	ASSERT_EQ(0, fanout_group_create(self->fd, &p));
	a0 = fanout_test_agent(self->name, FANOUT_MEMBER_ANY);
	ASSERT_LE(0, a0);
	a1 = fanout_test_agent(self->name, FANOUT_MEMBER_ANY);
	ASSERT_LE(0, a1);
	fd = bound_ep(self->name);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOSPC, fanout_join(fd, FANOUT_MEMBER_ANY));
	/* An explicit index still adds an agent to a member. */
	EXPECT_EQ(1, fanout_join(fd, 1));
	close(fd);
	close(a1);
	close(a0);
}

TEST_F(grp, leave_not_joined)
{
	EXPECT_EQ(-ENOTCONN, fanout_leave(self->co));
	EXPECT_EQ(0, fanout_leave(self->ag));
	EXPECT_EQ(-ENOTCONN, fanout_leave(self->ag));
}

TEST_F(grp, recv_not_joined)
{
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	/* Blocking: an endpoint that is no agent must not sleep. */
	EXPECT_EQ(-ENOTCONN, recv_into(self->co, buf, sizeof(buf), 0, &r));
	EXPECT_EQ(-ENOTCONN, recv_into(self->co, buf, sizeof(buf),
				       FANOUT_RECV_NONBLOCK, &r));
}

TEST_F(grp, recv_nonblock_empty)
{
	struct fanout_recv r;
	char buf[16];

	EXPECT_EQ(-EAGAIN, recv_into(self->ag, buf, sizeof(buf),
				     FANOUT_RECV_NONBLOCK, &r));
}

/* An endpoint opened with O_NONBLOCK never blocks in receive. */
TEST_F(grp, recv_nonblock_endpoint_empty)
{
	struct fanout_recv r;
	char buf[16];
	int fd;

	fd = fanout_open(O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanout_group_open(fd, self->name));
	ASSERT_EQ(1, fanout_join(fd, 1));
	EXPECT_EQ(-EAGAIN, recv_into(fd, buf, sizeof(buf), 0, &r));
	close(fd);
}

TEST_F(grp, recv_small_buffer)
{
	struct fanout_result res;
	struct fanout_recv r;
	char payload[100], buf[128];
	__u64 id;

	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = i;
	ASSERT_EQ(0, send_to(self->co, payload, sizeof(payload), 1, &id));
	EXPECT_EQ(-EMSGSIZE, recv_into(self->ag, buf, sizeof(payload) - 1,
				       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(sizeof(payload), r.len);
	EXPECT_EQ(0, r.id);
	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);

	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(sizeof(payload), r.len);
	EXPECT_EQ(0, memcmp(buf, payload, sizeof(payload)));
}

/* ---- request ids ------------------------------------------------------- */

TEST_F(grp, wait_unknown_id)
{
	struct fanout_wait w;

	wait_init(&w, UNKNOWN_ID);
	EXPECT_EQ(-ENOENT, fanout_wait(self->co, &w));
	wait_init(&w, 0);
	EXPECT_EQ(-ENOENT, fanout_wait(self->co, &w));
}

TEST_F(grp, results_unknown_id)
{
	struct fanout_results r;
	struct fanout_result res;

	results_init(&r, UNKNOWN_ID, &res, 1);
	EXPECT_EQ(-ENOENT, fanout_results(self->co, &r));
}

TEST_F(grp, cancel_unknown_id)
{
	EXPECT_EQ(-ENOENT, fanout_cancel(self->co, UNKNOWN_ID));
}

TEST_F(grp, release_unknown_id)
{
	EXPECT_EQ(-ENOENT, fanout_release(self->co, UNKNOWN_ID));
}

/* A released id is unknown from then on. */
TEST_F(grp, released_id)
{
	struct fanout_result res;
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	ASSERT_EQ(0, fanout_release(self->co, id));
	EXPECT_EQ(-ENOENT, fanout_release(self->co, id));
	EXPECT_EQ(-ENOENT, fanout_cancel(self->co, id));
	EXPECT_EQ(-ENOENT, get_result(self->co, id, 0, &res));
	wait_init(&w, id);
	EXPECT_EQ(-ENOENT, fanout_wait(self->co, &w));
}

/* The request of another coordinator is not ours to touch. */
FIXTURE(foreign) {
	char name[FANOUT_NAME_MAX];
	int co;
	int ag;
	int other;
	__u64 id;
};

FIXTURE_SETUP(foreign)
{
	self->co = -EBADF;
	self->ag = -EBADF;
	self->other = -EBADF;
	fanout_test_name(self->name, "limits");
	self->co = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, self->co);
	self->ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->ag);
	self->other = bound_ep(self->name);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, send_to(self->other, "x", 1, 1, &self->id));
}

FIXTURE_TEARDOWN(foreign)
{
	struct fanout_result res;

	if (self->other >= 0) {
		/* Untouched: still there for its owner, still queued. */
		EXPECT_EQ(0, get_result(self->other, self->id, 0, &res));
		EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
		EXPECT_EQ(0, fanout_release(self->other, self->id));
		EXPECT_EQ(0, fanout_close(self->other));
	}
	if (self->ag >= 0)
		EXPECT_EQ(0, fanout_close(self->ag));
	if (self->co >= 0) {
		EXPECT_EQ(0, fanout_group_destroy(self->co, self->name));
		EXPECT_EQ(0, fanout_close(self->co));
	}
}

TEST_F(foreign, wait)
{
	struct fanout_wait w;

	wait_init(&w, self->id);
	EXPECT_EQ(-ENOENT, fanout_wait(self->co, &w));
}

TEST_F(foreign, results)
{
	struct fanout_results r;
	struct fanout_result res;

	results_init(&r, self->id, &res, 1);
	EXPECT_EQ(-ENOENT, fanout_results(self->co, &r));
	results_init(&r, self->id, &res, 1);
	r.flags = FANOUT_RESULTS_RELEASE;
	EXPECT_EQ(-ENOENT, fanout_results(self->co, &r));
}

TEST_F(foreign, cancel)
{
	EXPECT_EQ(-ENOENT, fanout_cancel(self->co, self->id));
}

TEST_F(foreign, release)
{
	EXPECT_EQ(-ENOENT, fanout_release(self->co, self->id));
}

/* ---- wait arguments ---------------------------------------------------- */

TEST_F(grp, wait_unknown_mode)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	wait_init(&w, id);
	w.mode = FANOUT_WAIT_QUORUM + 1;
	EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
	wait_init(&w, id);
	w.mode = ~0U;
	EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
}

TEST_F(grp, wait_quorum_zero)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	wait_init(&w, id);
	w.mode = FANOUT_WAIT_QUORUM;
	EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
}

TEST_F(grp, wait_all_with_quorum)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	wait_init(&w, id);
	w.quorum = 1;
	EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
}

TEST_F(grp, wait_failfast_with_quorum)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	wait_init(&w, id);
	w.mode = FANOUT_WAIT_FAILFAST;
	w.quorum = 1;
	EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
}

/* A timeout without FANOUT_WAIT_TIMEOUT would be silently ignored. */
TEST_F(grp, wait_timeout_without_flag)
{
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	wait_init(&w, id);
	w.timeout_ns = 1000;
	EXPECT_EQ(-EINVAL, fanout_wait(self->co, &w));
}

TEST_F(grp, wait_timeout_zero_unsettled)
{
	struct fanout_result res;
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.flags = FANOUT_WAIT_TIMEOUT;
	EXPECT_EQ(-ETIME, fanout_wait(self->co, &w));
	EXPECT_EQ(1, w.ntargets);
	EXPECT_EQ(0, w.nreplied);
	EXPECT_EQ(0, w.nfailed);
	EXPECT_EQ(0, w.reserved[0]);
	EXPECT_EQ(0, w.reserved[1]);
	/* The request goes on. */
	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
}

/* The same poll on a settled request succeeds. */
TEST_F(grp, wait_timeout_zero_settled)
{
	struct fanout_wait w;
	__u64 id;

	/* Member 1 is down: its target fails at once. */
	ASSERT_EQ(0, send_to(self->co, "x", 1, 2, &id));
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.flags = FANOUT_WAIT_TIMEOUT;
	EXPECT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(1, w.ntargets);
	EXPECT_EQ(1, w.nfailed);
}

/* ---- replies ----------------------------------------------------------- */

TEST_F(grp, reply_not_received)
{
	struct fanout_group_stats st;
	struct fanout_result res;
	struct fanout_reply rep;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	reply_init(&rep, id, "y", 1, 0);
	EXPECT_EQ(-ENOENT, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, get_result(self->co, id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(1, st.stale_replies);
	EXPECT_EQ(0, st.replies);
}

TEST_F(grp, reply_not_joined)
{
	struct fanout_reply rep;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	reply_init(&rep, id, "y", 1, 0);
	EXPECT_EQ(-ENOTCONN, fanout_reply(self->co, &rep));
}

TEST_F(grp, reply_unknown_id)
{
	struct fanout_reply rep;

	reply_init(&rep, UNKNOWN_ID, "y", 1, 0);
	EXPECT_EQ(-ENOENT, fanout_reply(self->ag, &rep));
}

TEST_F(grp, reply_other_member)
{
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];
	int ag1;

	ag1 = fanout_test_agent(self->name, 1);
	ASSERT_LE(0, ag1);
	/* To member 0 only. */
	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "y", 1, 0);
	EXPECT_EQ(-ENOENT, fanout_reply(ag1, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	reply_init(&rep, r.id, "y", 1, 0);
	ASSERT_EQ(0, fanout_reply(self->ag, &rep));

	/* To members 0 and 1: member 1's agent has not taken its copy. */
	ASSERT_EQ(0, send_to(self->co, "x", 1, 3, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "y", 1, 0);
	EXPECT_EQ(-ENOENT, fanout_reply(ag1, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	ASSERT_EQ(0, get_result(self->co, r.id, 1, &res));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
	close(ag1);
}

/* Another agent of the same member did not take the request either. */
TEST_F(grp, reply_other_agent_same_member)
{
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];
	int ag2;

	ag2 = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag2);
	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "y", 1, 0);
	EXPECT_EQ(-ENOENT, fanout_reply(ag2, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	EXPECT_EQ(0, fanout_reply(self->ag, &rep));
	close(ag2);
}

TEST_F(grp, reply_duplicate)
{
	struct fanout_group_stats st;
	struct fanout_results rs;
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16], rbuf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "first", 5, 7);
	ASSERT_EQ(0, fanout_reply(self->ag, &rep));
	reply_init(&rep, r.id, "second!", 7, 9);
	EXPECT_EQ(-EALREADY, fanout_reply(self->ag, &rep));
	reply_init(&rep, r.id, NULL, 0, -EIO);
	EXPECT_EQ(-EALREADY, fanout_reply(self->ag, &rep));

	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(2, st.dup_replies);
	EXPECT_EQ(1, st.replies);
	EXPECT_EQ(0, st.failures);

	memset(rbuf, 0, sizeof(rbuf));
	results_init(&rs, r.id, &res, 1);
	res.reply_buf = (uintptr_t)rbuf;
	res.reply_buf_len = sizeof(rbuf);
	ASSERT_EQ(0, fanout_results(self->co, &rs));
	EXPECT_EQ(1, rs.nreplied);
	EXPECT_EQ(0, rs.nfailed);
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res.state);
	EXPECT_EQ(7, res.status);
	EXPECT_EQ(5, res.reply_len);
	EXPECT_STREQ("first", rbuf);
}

TEST_F(grp, reply_decline_with_payload)
{
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, "why", 3, -EPERM);
	EXPECT_EQ(-EINVAL, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
}

TEST_F(grp, reply_status_below_errno_range)
{
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, r.id, NULL, 0, -4096);
	EXPECT_EQ(-EINVAL, fanout_reply(self->ag, &rep));
	reply_init(&rep, r.id, NULL, 0, INT32_MIN);
	EXPECT_EQ(-EINVAL, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	/* -4095, the last errno, is a valid decline. */
	reply_init(&rep, r.id, NULL, 0, -4095);
	EXPECT_EQ(0, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_FAILED, res.state);
	EXPECT_EQ(-4095, res.status);
}

/*
 * REPLY_RECV with a bad argument in either half: the whole call is
 * refused before anything is done, so the reply is not applied either
 * (an -EINVAL after an accepted reply could not be told from a refused
 * reply) and reply.id, which the kernel clears once the reply is
 * accepted, is left alone.
 */
static void reply_recv_refused(struct __test_metadata *_metadata,
			       FIXTURE_DATA(grp) *self,
			       void (*spoil)(struct fanout_reply_recv *rr))
{
	struct fanout_reply_recv rr;
	struct fanout_result res;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	memset(&rr, 0, sizeof(rr));
	reply_init(&rr.reply, r.id, "y", 1, 0);
	rr.recv.buf = (uintptr_t)buf;
	rr.recv.buf_len = sizeof(buf);
	rr.recv.flags = FANOUT_RECV_NONBLOCK;
	spoil(&rr);
	EXPECT_EQ(-EINVAL, fanout_reply_recv(self->ag, &rr));
	EXPECT_EQ(r.id, rr.reply.id);
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_TAKEN, res.state);
	reply_init(&rr.reply, r.id, "y", 1, 0);
	EXPECT_EQ(0, fanout_reply(self->ag, &rr.reply));
}

static void spoil_reply_flags(struct fanout_reply_recv *rr)
{
	rr->reply.flags = 1;
}

static void spoil_recv_flags(struct fanout_reply_recv *rr)
{
	rr->recv.flags |= 1U << 31;
}

static void spoil_recv_reserved(struct fanout_reply_recv *rr)
{
	rr->recv.reserved[1] = 1;
}

TEST_F(grp, reply_recv_unknown_reply_flags)
{
	reply_recv_refused(_metadata, self, spoil_reply_flags);
}

TEST_F(grp, reply_recv_unknown_recv_flags)
{
	reply_recv_refused(_metadata, self, spoil_recv_flags);
}

TEST_F(grp, reply_recv_recv_reserved)
{
	reply_recv_refused(_metadata, self, spoil_recv_reserved);
}

/*
 * The reply is accepted, the receive fails: reply.id comes back 0 so the
 * caller knows the reply went through.
 */
TEST_F(grp, reply_recv_reply_done_recv_fails)
{
	struct fanout_reply_recv rr;
	struct fanout_result res;
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, NULL));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	memset(&rr, 0, sizeof(rr));
	reply_init(&rr.reply, r.id, "y", 1, 0);
	rr.recv.buf = (uintptr_t)buf;
	rr.recv.buf_len = sizeof(buf);
	rr.recv.flags = FANOUT_RECV_NONBLOCK;
	EXPECT_EQ(-EAGAIN, fanout_reply_recv(self->ag, &rr));
	EXPECT_EQ(0, rr.reply.id);
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res.state);
	/* Calling again with reply.id 0 only receives. */
	EXPECT_EQ(-EAGAIN, fanout_reply_recv(self->ag, &rr));
	ASSERT_EQ(0, send_to(self->co, "z", 1, 1, NULL));
	ASSERT_EQ(0, fanout_reply_recv(self->ag, &rr));
	EXPECT_EQ(1, rr.recv.len);
	EXPECT_EQ('z', buf[0]);
	ASSERT_EQ(0, get_result(self->co, r.id, 0, &res));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res.state);
	EXPECT_EQ(1, res.reply_len);
}

/* ---- destroyed group --------------------------------------------------- */

TEST_F(grp, destroyed_send)
{
	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	EXPECT_EQ(-EIDRM, send_to(self->co, "x", 1, 1, NULL));
	EXPECT_EQ(-EIDRM, send_to(self->co, "x", 1, 0, NULL));
}

TEST_F(grp, destroyed_call)
{
	struct fanout_call c;

	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	EXPECT_EQ(-EIDRM, fanout_call(self->co, &c));
}

TEST_F(grp, destroyed_join)
{
	int fd = bound_ep(self->name);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	EXPECT_EQ(-EIDRM, fanout_join(fd, 1));
	EXPECT_EQ(-EIDRM, fanout_join(fd, FANOUT_MEMBER_ANY));
	close(fd);
}

TEST_F(grp, destroyed_recv)
{
	struct fanout_recv r;
	char buf[16];

	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	/* Blocking: a destroyed group never delivers again. */
	EXPECT_EQ(-EIDRM, recv_into(self->ag, buf, sizeof(buf), 0, &r));
}

TEST_F(grp, destroyed_pending_fail)
{
	struct fanout_group_stats st;
	struct fanout_results rs;
	struct fanout_result res[2];
	struct fanout_reply rep;
	struct fanout_recv r;
	struct fanout_wait w;
	char buf[16];
	__u64 id;
	int ag1;

	ag1 = fanout_test_agent(self->name, 1);
	ASSERT_LE(0, ag1);
	ASSERT_EQ(0, send_to(self->co, "x", 1, 3, &id));
	/* Member 0's copy is taken, member 1's still queued. */
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	ASSERT_EQ(id, r.id);

	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));

	/* Settled at once: a zero-timeout poll succeeds. */
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.flags = FANOUT_WAIT_TIMEOUT;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(2, w.ntargets);
	EXPECT_EQ(2, w.nfailed);
	EXPECT_EQ(0, w.nreplied);

	results_init(&rs, id, res, 2);
	ASSERT_EQ(0, fanout_results(self->co, &rs));
	EXPECT_EQ(2, rs.count);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(i, res[i].member);
		EXPECT_EQ(FANOUT_TARGET_FAILED, res[i].state);
		EXPECT_EQ(-EIDRM, res[i].status);
	}
	/* A late reply does not change the result. */
	reply_init(&rep, id, "y", 1, 0);
	EXPECT_EQ(-EALREADY, fanout_reply(self->ag, &rep));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(2, st.failures);
	EXPECT_EQ(0, st.replies);
	/* The owner can still release it. */
	EXPECT_EQ(0, fanout_release(self->co, id));
	close(ag1);
}

/* The name is free again; the new group is another group. */
TEST_F(grp, destroyed_name_reusable)
{
	int fd;

	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	EXPECT_EQ(-ENOENT, fanout_group_destroy(self->co, self->name));
	fd = fanout_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, fanout_group_open(fd, self->name));
	close(fd);
	fd = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EIDRM, send_to(self->co, "x", 1, 0, NULL));
	EXPECT_EQ(0, send_to(fd, "x", 1, 0, NULL));
	EXPECT_EQ(0, fanout_group_destroy(fd, self->name));
	close(fd);
}

/* ---- nothing of the kernel's leaks out --------------------------------- */

TEST_F(grp, version_no_leak)
{
	struct fanout_version v;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, fanout_version(self->co, &v));
	EXPECT_EQ(FANOUT_ABI_VERSION, v.abi_version);
	EXPECT_EQ(FANOUT_MEMBERS_MAX, v.max_members);
	EXPECT_EQ(FANOUT_TEST_FEATURES, v.features);
	EXPECT_EQ(0, v.reserved[0]);
	EXPECT_EQ(0, v.reserved[1]);
}

TEST_F(grp, info_no_leak)
{
	struct {
		struct fanout_group_params p;
		__u64 newer[4];
	} big;
	size_t len = strlen(self->name);

	memset(&big, 0xa5, sizeof(big));
	ASSERT_EQ(0, xioctl(self->co, ioc_resize(FANOUT_IOC_GROUP_INFO,
						 sizeof(big)), &big));
	EXPECT_STREQ(self->name, big.p.name);
	/* The name is padded with zeros, not with stale bytes. */
	EXPECT_TRUE(all_zero(big.p.name + len, sizeof(big.p.name) - len));
	EXPECT_EQ(0, big.p.flags);
	EXPECT_EQ(0666, big.p.mode);
	EXPECT_EQ(NMEMB, big.p.max_members);
	EXPECT_NE(0, big.p.max_pending);
	EXPECT_NE(0, big.p.max_queue);
	EXPECT_NE(0, big.p.deadline_ms);
	EXPECT_NE(0, big.p.status_interval_ms);
	EXPECT_EQ(getuid(), big.p.uid);
	EXPECT_EQ(getgid(), big.p.gid);
	EXPECT_EQ(big.p.max_queue, big.p.max_queues);	/* the default */
	EXPECT_EQ(0, big.p.reserved[0]);
	EXPECT_EQ(0, big.p.reserved[1]);
	EXPECT_TRUE(all_zero(big.newer, sizeof(big.newer)));
}

TEST_F(grp, stats_no_leak)
{
	struct fanout_group_stats st;

	memset(&st, 0xa5, sizeof(st));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.requests);
	EXPECT_EQ(0, st.replies);
	EXPECT_EQ(0, st.failures);
	EXPECT_EQ(0, st.dup_replies);
	EXPECT_EQ(0, st.stale_replies);
	EXPECT_EQ(0, st.pending);
	EXPECT_EQ(1, st.members_up);
	EXPECT_EQ(0, st.amqs_busy);
	EXPECT_EQ(0, st.backlog);
	EXPECT_EQ((__u64)NMEMB * 1024, st.amqs_free);
}

/*
 * Every output comes back exact over a prefilled structure, reserved
 * fields zero, and the buffer past the payload untouched.
 */
TEST_F(grp, recv_no_leak)
{
	unsigned char buf[64];
	struct fanout_send s;
	struct fanout_recv r;
	__u64 mask = 1;

	send_init(&s, "abc", 3, &mask);
	ASSERT_EQ(0, fanout_send(self->co, &s));
	memset(buf, 0xa5, sizeof(buf));
	memset(&r, 0xa5, sizeof(r));
	r.reserved[0] = 0;
	r.reserved[1] = 0;
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	r.flags = FANOUT_RECV_NONBLOCK;
	ASSERT_EQ(0, fanout_recv(self->ag, &r));
	EXPECT_EQ((uintptr_t)buf, r.buf);
	EXPECT_EQ(sizeof(buf), r.buf_len);
	EXPECT_EQ(FANOUT_RECV_NONBLOCK, r.flags);
	EXPECT_EQ(s.id, r.id);
	EXPECT_EQ(0, memcmp(s.uuid, r.uuid, sizeof(r.uuid)));
	EXPECT_EQ(3, r.len);
	EXPECT_EQ(0, r.member);
	EXPECT_EQ(0, r.reserved[0]);
	EXPECT_EQ(0, r.reserved[1]);
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	for (unsigned int i = 3; i < sizeof(buf); i++)
		EXPECT_EQ(0xa5, buf[i]);
}

TEST_F(grp, results_no_leak)
{
	struct fanout_result res[3];
	struct fanout_results rs;
	struct fanout_reply rep;
	struct fanout_recv r;
	char buf[16];
	__u64 id;

	/* Member 0 replies, member 1 is down. */
	ASSERT_EQ(0, send_to(self->co, "x", 1, 3, &id));
	ASSERT_EQ(0, recv_into(self->ag, buf, sizeof(buf),
			       FANOUT_RECV_NONBLOCK, &r));
	reply_init(&rep, id, "ok", 2, 3);
	ASSERT_EQ(0, fanout_reply(self->ag, &rep));

	memset(res, 0xa5, sizeof(res));
	for (int i = 0; i < 3; i++) {
		res[i].reply_buf = 0;
		res[i].reply_buf_len = 0;
		res[i].reserved = 0;
	}
	memset(&rs, 0, sizeof(rs));
	rs.id = id;
	rs.results = (uintptr_t)res;
	rs.count = 3;
	ASSERT_EQ(0, fanout_results(self->co, &rs));
	EXPECT_EQ(2, rs.count);
	EXPECT_EQ(2, rs.ntargets);
	EXPECT_EQ(1, rs.nreplied);
	EXPECT_EQ(1, rs.nfailed);
	EXPECT_EQ(0, rs.reserved[0]);
	EXPECT_EQ(0, rs.reserved[1]);

	EXPECT_EQ(0, res[0].member);
	EXPECT_EQ(3, res[0].status);
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res[0].state);
	EXPECT_EQ(2, res[0].reply_len);
	EXPECT_EQ(0, res[0].reply_buf);
	EXPECT_EQ(0, res[0].reply_buf_len);
	EXPECT_EQ(0, res[0].reserved);

	EXPECT_EQ(1, res[1].member);
	EXPECT_EQ(-ENOTCONN, res[1].status);
	EXPECT_EQ(FANOUT_TARGET_FAILED, res[1].state);
	EXPECT_EQ(0, res[1].reply_len);
	EXPECT_EQ(0, res[1].reserved);

	/* Past the target count nothing is written. */
	EXPECT_EQ(0xa5a5a5a5, res[2].member);
	EXPECT_EQ(0xa5a5a5a5, res[2].state);
	EXPECT_EQ(0xa5a5a5a5, res[2].reply_len);
}

/* An open target reads as status 0 and no reply, whatever was there. */
TEST_F(grp, results_open_target_no_leak)
{
	struct fanout_result res;
	struct fanout_results rs;
	__u64 id;

	ASSERT_EQ(0, send_to(self->co, "x", 1, 1, &id));
	memset(&res, 0xa5, sizeof(res));
	res.reply_buf = 0;
	res.reply_buf_len = 0;
	res.reserved = 0;
	memset(&rs, 0, sizeof(rs));
	rs.id = id;
	rs.results = (uintptr_t)&res;
	rs.count = 1;
	ASSERT_EQ(0, fanout_results(self->co, &rs));
	EXPECT_EQ(0, res.member);
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
	EXPECT_EQ(0, res.status);
	EXPECT_EQ(0, res.reply_len);
	EXPECT_EQ(0, res.reserved);
}

TEST_HARNESS_MAIN
