// SPDX-License-Identifier: GPL-2.0
/*
 * Agent message queues keyed by UUID (SPEC rule 6): all requests of one
 * conversation on one member reach one agent at a time, in send order,
 * while other conversations run on other agents; a queue is freed once
 * empty with nothing of its UUID in flight. The pool of queues, its
 * backlog, the death of a bound agent, and 1,000 conversations at once.
 */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <stdint.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fanout_agents.h"

/* Conversation @conv's UUID: the number in its first four bytes. */
static void conv_uuid(__u8 uuid[FANOUT_UUID_LEN], unsigned int conv)
{
	memset(uuid, 0, FANOUT_UUID_LEN);
	memcpy(uuid, &conv, sizeof(conv));
	uuid[15] = 0xc0;	/* never all zero */
}

/* Send @payload in conversation @conv to the members in @mask. */
static int send_conv(int fd, unsigned int conv, const char *payload,
		     __u64 mask, unsigned int bits, __u64 *id)
{
	struct fanout_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.flags = FANOUT_SEND_UUID;
	conv_uuid(s.uuid, conv);
	s.payload = (uintptr_t)payload;
	s.payload_len = strlen(payload);
	s.targets = (uintptr_t)&mask;
	s.targets_bits = bits;
	ret = fanout_send(fd, &s);
	if (!ret && id)
		*id = s.id;
	return ret;
}

/* Receive without blocking into @buf (NUL-terminated). */
static int take(int fd, char *buf, size_t size, struct fanout_recv *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->buf = (uintptr_t)buf;
	r->buf_len = size - 1;
	r->flags = FANOUT_RECV_NONBLOCK;
	ret = fanout_recv(fd, r);
	buf[ret ? 0 : r->len] = '\0';
	return ret;
}

static int answer(int fd, __u64 id)
{
	struct fanout_reply rep;

	memset(&rep, 0, sizeof(rep));
	rep.id = id;
	return fanout_reply(fd, &rep);
}

/* The status of target @idx of request @id. */
static int target_status(int fd, __u64 id, unsigned int idx, __u32 *state)
{
	struct fanout_results r;
	struct fanout_result res;
	int ret;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	r.id = id;
	r.results = (uintptr_t)&res;
	r.first = idx;
	r.count = 1;
	ret = fanout_results(fd, &r);
	if (ret)
		return ret;
	*state = res.state;
	return res.status;
}

static int create_group(const char *name, unsigned int members,
			unsigned int flags, unsigned int max_queues,
			unsigned int max_queue)
{
	struct fanout_group_params p;

	fanout_test_params(&p, name, members);
	p.flags = flags;
	p.max_queues = max_queues;
	p.max_queue = max_queue;
	p.deadline_ms = 120000;
	return fanout_test_create_params(&p);
}

static struct fanout_group_stats stats_of(int fd)
{
	struct fanout_group_stats st;

	memset(&st, 0xff, sizeof(st));
	fanout_group_stats(fd, &st);
	return st;
}

/* A one-member group served by agents ag[0..2]. */
FIXTURE(conv) {
	char name[FANOUT_NAME_MAX];
	int co;
	int ag[3];
};

FIXTURE_SETUP(conv)
{
	self->co = -EBADF;
	for (int i = 0; i < 3; i++)
		self->ag[i] = -EBADF;
}

FIXTURE_TEARDOWN(conv)
{
	for (int i = 0; i < 3; i++)
		if (self->ag[i] >= 0)
			fanout_close(self->ag[i]);
	if (self->co >= 0)
		fanout_close(self->co);
}

/* Create the group with these options and join the three agents. */
static void conv_start(struct __test_metadata *_metadata,
		       FIXTURE_DATA(conv) *self, unsigned int flags,
		       unsigned int max_queues, unsigned int max_queue)
{
	fanout_test_name(self->name, "amq");
	self->co = create_group(self->name, 1, flags, max_queues, max_queue);
	ASSERT_LE(0, self->co);
	for (int i = 0; i < 3; i++) {
		self->ag[i] = fanout_test_agent(self->name, 0);
		ASSERT_LE(0, self->ag[i]);
	}
}

/*
 * Two conversations, two agents: each agent gets all of one
 * conversation, in order, and both hold a request at the same time; a
 * third agent gets nothing while both conversations are bound.
 */
TEST_F(conv, two_conversations)
{
	char buf[64];
	struct fanout_recv r;
	struct fanout_group_stats st;
	__u64 x1, y1, x2, y2, x3;

	conv_start(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, send_conv(self->co, 1, "x1", 1, 1, &x1));
	ASSERT_EQ(0, send_conv(self->co, 2, "y1", 1, 1, &y1));
	/* The oldest conversation first, then the next, in parallel. */
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("x1", buf);
	ASSERT_EQ(0, take(self->ag[1], buf, sizeof(buf), &r));
	EXPECT_STREQ("y1", buf);
	st = stats_of(self->co);
	EXPECT_EQ(2, st.amqs_busy);

	ASSERT_EQ(0, send_conv(self->co, 1, "x2", 1, 1, &x2));
	ASSERT_EQ(0, send_conv(self->co, 2, "y2", 1, 1, &y2));
	ASSERT_EQ(0, send_conv(self->co, 1, "x3", 1, 1, &x3));
	/* Bound: each agent sees only its own conversation. */
	ASSERT_EQ(0, take(self->ag[1], buf, sizeof(buf), &r));
	EXPECT_STREQ("y2", buf);
	EXPECT_EQ(-EAGAIN, take(self->ag[2], buf, sizeof(buf), &r));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("x2", buf);
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));

	/* Y ends and its queue is freed; X stays bound to ag[0]. */
	EXPECT_EQ(0, answer(self->ag[1], y1));
	EXPECT_EQ(0, answer(self->ag[1], y2));
	st = stats_of(self->co);
	EXPECT_EQ(1, st.amqs_busy);
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("x3", buf);
	EXPECT_EQ(0, answer(self->ag[0], x1));
	EXPECT_EQ(0, answer(self->ag[0], x2));
	EXPECT_EQ(0, answer(self->ag[0], x3));
	st = stats_of(self->co);
	EXPECT_EQ(0, st.amqs_busy);
	/* A conversation ended is a new one for any agent. */
	ASSERT_EQ(0, send_conv(self->co, 1, "x4", 1, 1, NULL));
	ASSERT_EQ(0, take(self->ag[2], buf, sizeof(buf), &r));
	EXPECT_STREQ("x4", buf);
}

/*
 * Send @payload to member 0 in conversation @uuid, or with @uuid NULL in
 * a new one, whose UUID the kernel generates into @out.
 */
static int send_to_one(int fd, const char *payload, const __u8 *uuid,
		       __u8 *out, __u64 *id)
{
	struct fanout_send s;
	__u64 mask = 1;
	int ret;

	memset(&s, 0, sizeof(s));
	if (uuid) {
		s.flags = FANOUT_SEND_UUID;
		memcpy(s.uuid, uuid, FANOUT_UUID_LEN);
	}
	s.payload = (uintptr_t)payload;
	s.payload_len = strlen(payload);
	s.targets = (uintptr_t)&mask;
	s.targets_bits = 1;
	ret = fanout_send(fd, &s);
	if (!ret && out)
		memcpy(out, s.uuid, FANOUT_UUID_LEN);
	if (!ret)
		*id = s.id;
	return ret;
}

/*
 * A conversation whose UUID the kernel generated goes on with requests
 * that name it: queued behind the first (before any agent took it) or
 * sent once an agent took it, they reach the same agent, and no other;
 * once it is over, the UUID starts a conversation like any other.
 */
TEST_F(conv, generated_uuid_continued)
{
	__u8 uuid[FANOUT_UUID_LEN];
	__u64 id1, id2, id3;
	struct fanout_recv r;
	char buf[64];

	conv_start(_metadata, self, 0, 4, 0);
	ASSERT_EQ(0, send_to_one(self->co, "first", NULL, uuid, &id1));
	ASSERT_EQ(0, send_to_one(self->co, "second", uuid, NULL, &id2));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_EQ(id1, r.id);
	EXPECT_EQ(0, memcmp(uuid, r.uuid, FANOUT_UUID_LEN));
	/* The second waits for the agent of the first. */
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));
	EXPECT_EQ(-EAGAIN, take(self->ag[2], buf, sizeof(buf), &r));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_EQ(id2, r.id);
	EXPECT_STREQ("second", buf);
	/* Sent while the agent holds both: it goes to that agent too. */
	ASSERT_EQ(0, send_to_one(self->co, "third", uuid, NULL, &id3));
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_EQ(id3, r.id);
	EXPECT_EQ(0, answer(self->ag[0], id1));
	EXPECT_EQ(0, answer(self->ag[0], id2));
	EXPECT_EQ(0, answer(self->ag[0], id3));
	EXPECT_EQ(0, stats_of(self->co).amqs_busy);
	/* Over and released: the UUID reaches any agent again. */
	EXPECT_EQ(0, fanout_release(self->co, id1));
	ASSERT_EQ(0, send_to_one(self->co, "fourth", uuid, NULL, &id2));
	ASSERT_EQ(0, take(self->ag[1], buf, sizeof(buf), &r));
	EXPECT_STREQ("fourth", buf);
	EXPECT_EQ(0, answer(self->ag[1], id2));
}

/*
 * The first request of a generated conversation released while a later
 * one of it is still queued: the conversation goes on in its queue.
 */
TEST_F(conv, generated_uuid_outlives_first)
{
	__u8 uuid[FANOUT_UUID_LEN];
	__u64 id1, id2, id3;
	struct fanout_recv r;
	char buf[64];

	conv_start(_metadata, self, 0, 4, 0);
	ASSERT_EQ(0, send_to_one(self->co, "first", NULL, uuid, &id1));
	ASSERT_EQ(0, send_to_one(self->co, "second", uuid, NULL, &id2));
	EXPECT_EQ(0, fanout_release(self->co, id1));
	ASSERT_EQ(0, send_to_one(self->co, "third", uuid, NULL, &id3));
	EXPECT_EQ(1, stats_of(self->co).amqs_busy);
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("second", buf);
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("third", buf);
	EXPECT_EQ(0, answer(self->ag[0], id2));
	EXPECT_EQ(0, answer(self->ag[0], id3));
	EXPECT_EQ(0, stats_of(self->co).amqs_busy);
}

/* Without a backlog, a conversation beyond the pool fails -ENOBUFS. */
TEST_F(conv, pool_exhausted)
{
	__u32 state;
	__u64 a, b, c, a2;

	conv_start(_metadata, self, 0, 2, 0);
	ASSERT_EQ(0, send_conv(self->co, 1, "a", 1, 1, &a));
	ASSERT_EQ(0, send_conv(self->co, 2, "b", 1, 1, &b));
	ASSERT_EQ(0, send_conv(self->co, 3, "c", 1, 1, &c));
	EXPECT_EQ(-ENOBUFS, target_status(self->co, c, 0, &state));
	EXPECT_EQ(FANOUT_TARGET_FAILED, state);
	/* A busy conversation still takes more. */
	ASSERT_EQ(0, send_conv(self->co, 1, "a2", 1, 1, &a2));
	EXPECT_EQ(0, target_status(self->co, a2, 0, &state));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, state);
	EXPECT_EQ(2, stats_of(self->co).amqs_busy);
	EXPECT_EQ(0, stats_of(self->co).amqs_free);
}

/*
 * With a backlog, a conversation beyond the pool waits, in order, and
 * goes through once a queue frees; a full backlog gives -ENOBUFS.
 */
TEST_F(conv, backlog_waits)
{
	char buf[64];
	struct fanout_recv r;
	__u32 state;
	__u64 a, b, c, d;

	/* One queue; one request queued and two waiting fill max_queue. */
	conv_start(_metadata, self, FANOUT_GROUP_BACKLOG, 1, 3);
	ASSERT_EQ(0, send_conv(self->co, 1, "a", 1, 1, &a));
	ASSERT_EQ(0, send_conv(self->co, 2, "b", 1, 1, &b));
	ASSERT_EQ(0, send_conv(self->co, 3, "c", 1, 1, &c));
	EXPECT_EQ(2, stats_of(self->co).backlog);
	/* One queued and two waiting: max_queue (3) reached. */
	ASSERT_EQ(0, send_conv(self->co, 4, "d", 1, 1, &d));
	EXPECT_EQ(-ENOBUFS, target_status(self->co, d, 0, &state));
	EXPECT_EQ(0, target_status(self->co, b, 0, &state));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, state);

	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("a", buf);
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));
	EXPECT_EQ(0, answer(self->ag[0], a));
	/* The queue freed: b, the oldest of the backlog, got it. */
	EXPECT_EQ(1, stats_of(self->co).backlog);
	ASSERT_EQ(0, take(self->ag[1], buf, sizeof(buf), &r));
	EXPECT_STREQ("b", buf);
	/* Cancelling b frees the queue for c. */
	EXPECT_EQ(0, fanout_cancel(self->co, b));
	EXPECT_EQ(0, stats_of(self->co).backlog);
	ASSERT_EQ(0, take(self->ag[2], buf, sizeof(buf), &r));
	EXPECT_STREQ("c", buf);
	EXPECT_EQ(-EALREADY, answer(self->ag[1], b));
	EXPECT_EQ(0, answer(self->ag[2], c));
	EXPECT_EQ(0, stats_of(self->co).amqs_busy);
}

/* A target behind the backlog never overtakes an older one of its UUID. */
TEST_F(conv, backlog_keeps_order)
{
	char buf[64];
	struct fanout_recv r;
	__u64 a, b, b2;

	conv_start(_metadata, self, FANOUT_GROUP_BACKLOG, 1, 3);
	ASSERT_EQ(0, send_conv(self->co, 1, "a", 1, 1, &a));
	ASSERT_EQ(0, send_conv(self->co, 2, "b1", 1, 1, &b));
	ASSERT_EQ(0, send_conv(self->co, 2, "b2", 1, 1, &b2));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_EQ(0, answer(self->ag[0], a));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("b1", buf);
	EXPECT_EQ(-EAGAIN, take(self->ag[1], buf, sizeof(buf), &r));
	ASSERT_EQ(0, take(self->ag[0], buf, sizeof(buf), &r));
	EXPECT_STREQ("b2", buf);
}

/*
 * Reply-and-receive by an agent whose conversation's next request is
 * already queued takes it without sleeping.
 */
TEST_F(conv, reply_recv_does_not_sleep)
{
	char in[64];
	struct fanout_reply_recv rr;
	struct fanout_recv r;
	long before;

	conv_start(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, send_conv(self->co, 7, "n1", 1, 1, NULL));
	ASSERT_EQ(0, send_conv(self->co, 7, "n2", 1, 1, NULL));
	ASSERT_EQ(0, take(self->ag[0], in, sizeof(in), &r));
	memset(&rr, 0, sizeof(rr));
	rr.reply.id = r.id;
	rr.recv.buf = (uintptr_t)in;
	rr.recv.buf_len = sizeof(in);
	before = thread_nvcsw();
	ASSERT_EQ(0, fanout_reply_recv(self->ag[0], &rr));
	EXPECT_EQ(0, thread_nvcsw() - before);
	EXPECT_EQ(0, memcmp(in, "n2", 2));
}

/* debugfs fanout/amqs lists a busy queue: member, UUID, depth, agent. */
TEST_F(conv, debugfs_lists_busy_queues)
{
	char buf[64], line[256], want[128];
	struct fanout_recv r;
	int found = 0;
	FILE *f;
	struct fanout_live live;

	conv_start(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, fanout_live_read(&live));	/* mounts debugfs */
	ASSERT_EQ(0, send_conv(self->co, 0x01020304, "q1", 1, 1, NULL));
	ASSERT_EQ(0, send_conv(self->co, 0x01020304, "q2", 1, 1, NULL));
	ASSERT_EQ(0, take(self->ag[1], buf, sizeof(buf), &r));
	snprintf(want, sizeof(want),
		 "%s 0 04030201-0000-0000-0000-0000000000c0 1 1 %d\n",
		 self->name, getpid());
	f = fopen("/sys/kernel/debug/fanout/amqs", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found += !strcmp(line, want);
	fclose(f);
	EXPECT_EQ(1, found) {
		TH_LOG("no line '%s'", want);
	}
}

/* A task blocked in a receive on @fd. */
struct receiver {
	pthread_t thread;
	int fd;
	_Atomic pid_t tid;
	int ret;
	char buf[64];
	struct fanout_recv r;
};

static void *receiver_loop(void *arg)
{
	struct receiver *rc = arg;

	atomic_store(&rc->tid, gettid());
	memset(&rc->r, 0, sizeof(rc->r));
	rc->r.buf = (uintptr_t)rc->buf;
	rc->r.buf_len = sizeof(rc->buf);
	rc->ret = fanout_recv(rc->fd, &rc->r);
	return NULL;
}

/* Start @rc receiving on @fd and return once it sleeps in the receive. */
static int receiver_start(struct receiver *rc, int fd)
{
	memset(rc, 0, sizeof(*rc));
	rc->fd = fd;
	if (pthread_create(&rc->thread, NULL, receiver_loop, rc))
		return -1;
	while (!atomic_load(&rc->tid) || !thread_sleeping(rc->tid))
		sched_yield();
	return 0;
}

static int receiver_joined_within(struct receiver *rc, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return pthread_timedjoin_np(rc->thread, NULL, &ts);
}

/*
 * Two tasks of one agent and a second agent wait, unbound, in that order.
 * The first task takes conversation U, binding its endpoint; the wake-up
 * for conversation V then reaches the second task, which can no longer
 * take V: it must pass the wake-up on, and the second agent take V.
 */
TEST_F(conv, wakeup_passed_on_when_bound_meanwhile)
{
	struct receiver t1, t2, other;

	conv_start(_metadata, self, 0, 0, 0);
	ASSERT_EQ(0, receiver_start(&t1, self->ag[0]));
	ASSERT_EQ(0, receiver_start(&t2, self->ag[0]));
	ASSERT_EQ(0, receiver_start(&other, self->ag[1]));
	ASSERT_EQ(0, send_conv(self->co, 1, "u", 1, 1, NULL));
	ASSERT_EQ(0, receiver_joined_within(&t1, 20));
	ASSERT_EQ(0, t1.ret);
	ASSERT_EQ(0, send_conv(self->co, 2, "v", 1, 1, NULL));
	/* Not taken, V would wait for its deadline (120 s). */
	ASSERT_EQ(0, receiver_joined_within(&other, 20));
	EXPECT_EQ(0, other.ret);
	EXPECT_EQ(0, memcmp(other.buf, "v", 1));
	/* The second task is still waiting: the group's end frees it. */
	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	pthread_join(t2.thread, NULL);
	EXPECT_EQ(-EIDRM, t2.ret);
}

/* ---- the bound agent dies ----------------------------------------------- */

/*
 * The agent bound to a conversation is SIGKILLed holding its first
 * request: that one fails -EPIPE, the rest reach another agent, in order.
 */
TEST(bound_agent_killed)
{
	char name[FANOUT_NAME_MAX], buf[64];
	struct fanout_recv r;
	int co, ag, sync[2], status;
	__u32 state;
	__u64 m1, m2, m3;
	pid_t pid;

	fanout_test_name(name, "amqkill");
	co = create_group(name, 1, 0, 0, 0);
	ASSERT_LE(0, co);
	ag = fanout_test_agent(name, 0);
	ASSERT_LE(0, ag);
	ASSERT_EQ(0, send_conv(co, 9, "m1", 1, 1, &m1));
	ASSERT_EQ(0, send_conv(co, 9, "m2", 1, 1, &m2));
	ASSERT_EQ(0, send_conv(co, 9, "m3", 1, 1, &m3));
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = fanout_test_agent(name, 0);

		close(sync[0]);
		if (fd < 0 || take(fd, buf, sizeof(buf), &r) ||
		    strcmp(buf, "m1"))
			_exit(1);
		if (write(sync[1], "t", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sync[1]);
	/* The child took m1 and holds it. */
	ASSERT_EQ(1, read(sync[0], buf, 1));
	/* Bound to the child: nothing of it for this agent. */
	EXPECT_EQ(-EAGAIN, take(ag, buf, sizeof(buf), &r));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(-EPIPE, target_status(co, m1, 0, &state));
	ASSERT_EQ(0, take(ag, buf, sizeof(buf), &r));
	EXPECT_STREQ("m2", buf);
	ASSERT_EQ(0, take(ag, buf, sizeof(buf), &r));
	EXPECT_STREQ("m3", buf);
	EXPECT_EQ(0, answer(ag, m2));
	EXPECT_EQ(0, answer(ag, m3));
	EXPECT_EQ(0, stats_of(co).amqs_busy);
	close(sync[0]);
	fanout_close(ag);
	fanout_close(co);
}

/* ---- 1,000 conversations ------------------------------------------------ */

#define MEMBERS		4
#define AGENTS		8	/* per member */
#define CONVS		1000
#define ROUNDS		3	/* requests per conversation */

struct many {
	char name[FANOUT_NAME_MAX];
	/* Per member and conversation: the agent serving it, or 0. */
	atomic_int owner[MEMBERS][CONVS];
	/* Per member and conversation: the last round received. */
	int last[MEMBERS][CONVS];
	atomic_long handled;
	atomic_int disorder, overlap, bad;
};

struct many_agent {
	pthread_t thread;
	struct many *mn;
	int fd, member, id;
};

/*
 * Serve one member: each request's payload names its conversation and
 * round. The agent claims the conversation while it handles it, so a
 * second agent in the same conversation at the same time is caught, and
 * checks the rounds arrive in order.
 */
static void *many_agent_loop(void *arg)
{
	struct many_agent *a = arg;
	struct many *mn = a->mn;
	struct fanout_reply_recv rr;
	unsigned int conv, round;
	char in[64];
	int ret, expect;

	memset(&rr, 0, sizeof(rr));
	for (;;) {
		memset(&rr.recv, 0, sizeof(rr.recv));
		rr.recv.buf = (uintptr_t)in;
		rr.recv.buf_len = sizeof(in) - 1;
		ret = fanout_reply_recv(a->fd, &rr);
		if (ret)
			break;
		in[rr.recv.len] = '\0';
		if (sscanf(in, "%u/%u", &conv, &round) != 2 || conv >= CONVS) {
			atomic_fetch_add(&mn->bad, 1);
			break;
		}
		expect = 0;
		if (!atomic_compare_exchange_strong(&mn->owner[a->member][conv],
						    &expect, a->id))
			atomic_fetch_add(&mn->overlap, 1);
		if ((int)round != mn->last[a->member][conv] + 1)
			atomic_fetch_add(&mn->disorder, 1);
		mn->last[a->member][conv] = round;
		atomic_fetch_add(&mn->handled, 1);
		/* Released before the reply: the next one may follow it. */
		atomic_store(&mn->owner[a->member][conv], 0);
		memset(&rr.reply, 0, sizeof(rr.reply));
		rr.reply.id = rr.recv.id;
	}
	return NULL;
}

FIXTURE(many) {
	struct many *mn;
	struct many_agent agents[MEMBERS * AGENTS];
	int co;
};

FIXTURE_SETUP(many)
{
	self->co = -EBADF;
	self->mn = calloc(1, sizeof(*self->mn));
	ASSERT_NE(NULL, self->mn);
	for (int i = 0; i < MEMBERS * AGENTS; i++)
		self->agents[i].fd = -EBADF;
	fanout_test_name(self->mn->name, "amqmany");
	self->co = create_group(self->mn->name, MEMBERS, 0, 0, 4096);
	ASSERT_LE(0, self->co);
	for (int i = 0; i < MEMBERS * AGENTS; i++) {
		struct many_agent *a = &self->agents[i];

		a->mn = self->mn;
		a->member = i % MEMBERS;
		a->id = i + 1;
		a->fd = fanout_test_agent(self->mn->name, a->member);
		ASSERT_LE(0, a->fd);
		ASSERT_EQ(0, pthread_create(&a->thread, NULL,
					    many_agent_loop, a));
	}
}

FIXTURE_TEARDOWN(many)
{
	if (self->co >= 0)
		fanout_group_destroy(self->co, self->mn->name);
	for (int i = 0; i < MEMBERS * AGENTS; i++) {
		if (self->agents[i].fd < 0)
			continue;
		pthread_join(self->agents[i].thread, NULL);
		fanout_close(self->agents[i].fd);
	}
	if (self->co >= 0)
		fanout_close(self->co);
	free(self->mn);
}

/*
 * 1,000 interleaved conversations of 3 requests each, to 4 members of 8
 * agents: per-UUID order holds on every member, one agent at a time per
 * conversation, every target answered once.
 */
TEST_F_TIMEOUT(many, conversations, 600)
{
	static __u64 ids[CONVS * ROUNDS];
	struct many *mn = self->mn;
	char payload[32];
	int n = 0, unanswered = 0;

	for (int round = 1; round <= ROUNDS; round++) {
		for (int conv = 0; conv < CONVS; conv++) {
			snprintf(payload, sizeof(payload), "%d/%d", conv,
				 round);
			ASSERT_EQ(0, send_conv(self->co, conv, payload,
					       (1 << MEMBERS) - 1, MEMBERS,
					       &ids[n++]));
		}
	}
	for (int i = 0; i < n; i++) {
		struct fanout_wait w;

		memset(&w, 0, sizeof(w));
		w.id = ids[i];
		ASSERT_EQ(0, fanout_wait(self->co, &w));
		unanswered += MEMBERS - w.nreplied;
		ASSERT_EQ(0, fanout_release(self->co, ids[i]));
	}
	EXPECT_EQ(0, unanswered);
	EXPECT_EQ(CONVS * ROUNDS * MEMBERS, atomic_load(&mn->handled));
	EXPECT_EQ(0, atomic_load(&mn->disorder));
	EXPECT_EQ(0, atomic_load(&mn->overlap));
	EXPECT_EQ(0, atomic_load(&mn->bad));
	EXPECT_EQ(0, stats_of(self->co).amqs_busy);
	for (int m = 0; m < MEMBERS; m++)
		for (int c = 0; c < CONVS; c++)
			EXPECT_EQ(ROUNDS, mn->last[m][c]);
}

TEST_HARNESS_MAIN
