// SPDX-License-Identifier: GPL-2.0
/*
 * The fan-out core: replies gathered from 1, 8 and 256 agents, failure
 * notices for dead, silent, declining and absent agents, the wake
 * conditions, signals, subsets, coordinator death and wake-up counts.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fanout_agents.h"

/* Receive with a buffer large enough for any test payload. */
static int recv_one(int fd, __u32 flags, struct fanout_recv *rcv)
{
	static __thread char buf[AGENT_BUF];

	memset(rcv, 0, sizeof(*rcv));
	rcv->buf = (unsigned long)buf;
	rcv->buf_len = sizeof(buf);
	rcv->flags = flags;
	return fanout_recv(fd, rcv);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

FIXTURE(group) {
	char name[FANOUT_NAME_MAX];
	int co;
};

FIXTURE_SETUP(group)
{
	self->co = -EBADF;
	fanout_test_name(self->name, "core");
	self->co = fanout_test_create(self->name, 512, 0);
	ASSERT_LE(0, self->co);
}

FIXTURE_TEARDOWN(group)
{
	if (self->co >= 0)
		fanout_close(self->co);
}

/* Fan out to @n echoing agents and check every reply byte for byte. */
static void echo_round(struct __test_metadata *_metadata, int co,
		       const char *name, int n)
{
	struct agent *a = calloc(n, sizeof(*a));
	char payload[200], want[AGENT_BUF + 16];
	struct fanout_call c;
	struct results r;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, agents_start(a, n, name));
	for (int i = 0; i < (int)sizeof(payload); i++)
		payload[i] = i * 7 + n;
	results_init(&r, n);
	call_init(&c, &r, payload, sizeof(payload));
	ASSERT_EQ(0, fanout_call(co, &c));
	EXPECT_EQ(n, c.send.ntargets);
	EXPECT_EQ(n, c.results.count);
	EXPECT_EQ(n, c.results.nreplied);
	EXPECT_EQ(0, c.results.nfailed);
	for (int i = 0; i < n; i++) {
		size_t len = agent_echo(want, sizeof(want), i, payload,
					sizeof(payload));

		EXPECT_EQ(i, r.res[i].member);
		EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[i].state);
		EXPECT_EQ(0, r.res[i].status);
		ASSERT_EQ(len, r.res[i].reply_len);
		EXPECT_EQ(0, memcmp(want, r.buf[i], len));
	}
	agents_stop(a, n, co, name);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(1, a[i].handled);
		EXPECT_EQ(-EIDRM, a[i].error);
	}
	results_free(&r);
	free(a);
}

TEST_F(group, replies_1)
{
	echo_round(_metadata, self->co, self->name, 1);
}

TEST_F(group, replies_8)
{
	echo_round(_metadata, self->co, self->name, 8);
}

/* 256 threads take long on a debug kernel under emulation. */
TEST_F_TIMEOUT(group, replies_256, 300)
{
	echo_round(_metadata, self->co, self->name, 256);
}

/* A distinct payload per target reaches exactly its target. */
TEST_F(group, per_target_payloads)
{
	struct fanout_buf bufs[4];
	char payload[4][16], want[64];
	__u64 bits = 0xf;
	struct agent a[4];
	struct fanout_call c;
	struct results r;

	ASSERT_EQ(0, agents_start(a, 4, self->name));
	for (int i = 0; i < 4; i++) {
		snprintf(payload[i], sizeof(payload[i]), "for member %d", i);
		bufs[i] = (struct fanout_buf){
			.addr = (unsigned long)payload[i],
			.len = strlen(payload[i]),
		};
	}
	results_init(&r, 4);
	call_init(&c, &r, bufs, 4);
	c.send.flags = FANOUT_SEND_PER_TARGET;
	c.send.targets = (unsigned long)&bits;
	c.send.targets_bits = 4;
	ASSERT_EQ(0, fanout_call(self->co, &c));
	for (int i = 0; i < 4; i++) {
		size_t len = agent_echo(want, sizeof(want), i, payload[i],
					strlen(payload[i]));

		ASSERT_EQ(len, r.res[i].reply_len);
		EXPECT_EQ(0, memcmp(want, r.buf[i], len));
	}
	agents_stop(a, 4, self->co, self->name);
	results_free(&r);
}

/* Only the members named in the bitmap are targets. */
TEST_F(group, subset)
{
	__u64 bits[2] = { (1ULL << 1) | (1ULL << 3) | (1ULL << 6), 0 };
	int members[] = { 1, 3, 6 };
	struct fanout_recv rcv;
	struct fanout_call c;
	struct agent a[8];
	struct results r;

	/* Members 0..7 are up; only 1, 3 and 6 echo, the rest must idle. */
	for (int i = 0; i < 8; i++) {
		if (i == 1 || i == 3 || i == 6) {
			ASSERT_EQ(0, agent_start(&a[i], self->name, i,
						 AGENT_ECHO));
		} else {
			memset(&a[i], 0, sizeof(a[i]));
			a[i].fd = fanout_test_agent(self->name, i);
			ASSERT_LE(0, a[i].fd);
		}
	}
	results_init(&r, 8);
	call_init(&c, &r, "x", 1);
	c.send.targets = (unsigned long)bits;
	c.send.targets_bits = 128;
	ASSERT_EQ(0, fanout_call(self->co, &c));
	ASSERT_EQ(3, c.send.ntargets);
	ASSERT_EQ(3, c.results.count);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(members[i], r.res[i].member);
		EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[i].state);
	}
	for (int i = 0; i < 8; i++) {
		if (i == 1 || i == 3 || i == 6)
			continue;
		EXPECT_EQ(-EAGAIN, recv_one(a[i].fd, FANOUT_RECV_NONBLOCK,
					    &rcv));
	}
	fanout_group_destroy(self->co, self->name);
	for (int i = 0; i < 8; i++) {
		if (i == 1 || i == 3 || i == 6)
			pthread_join(a[i].thread, NULL);
		fanout_close(a[i].fd);
	}
	results_free(&r);
}

/* A member with no agent gets -ENOTCONN at once. */
TEST_F(group, member_not_up)
{
	__u64 bits = 1ULL << 5;
	struct fanout_call c;
	struct results r;

	results_init(&r, 1);
	call_init(&c, &r, "x", 1);
	c.send.targets = (unsigned long)&bits;
	c.send.targets_bits = 64;
	ASSERT_EQ(0, fanout_call(self->co, &c));
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[0].state);
	EXPECT_EQ(-ENOTCONN, r.res[0].status);
	results_free(&r);
}

/* Send to members 0..n-1; return the request id. */
static __u64 send_to(struct __test_metadata *_metadata, int co,
		     unsigned int deadline_ms)
{
	struct fanout_send s;

	memset(&s, 0, sizeof(s));
	s.payload = (unsigned long)"ping";
	s.payload_len = 4;
	s.deadline_ms = deadline_ms;
	EXPECT_EQ(0, fanout_send(co, &s));
	return s.id;
}

static void read_results(struct __test_metadata *_metadata, int co, __u64 id,
			 struct results *r, __u32 flags)
{
	struct fanout_results q;

	memset(&q, 0, sizeof(q));
	q.id = id;
	q.results = (unsigned long)r->res;
	q.count = r->n;
	q.flags = flags;
	ASSERT_EQ(0, fanout_results(co, &q));
	ASSERT_EQ(r->n, q.count);
}

/*
 * A child process joins @member, receives one request, reports its id on
 * the pipe *taken_rd and holds it without answering until killed. Returns
 * once the child has joined.
 */
static pid_t holder_process(struct __test_metadata *_metadata,
			    const char *name, int member, int *taken_rd)
{
	char ready;
	int p[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct fanout_recv rcv;
		int fd = fanout_test_agent(name, member);

		close(p[0]);
		if (fd < 0 || write(p[1], "j", 1) != 1)
			_exit(1);
		if (recv_one(fd, 0, &rcv) ||
		    write(p[1], &rcv.id, sizeof(rcv.id)) != sizeof(rcv.id))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &ready, 1));
	*taken_rd = p[0];
	return pid;
}

/* An agent killed while holding a request: -EPIPE for it alone. */
TEST_F(group, agent_sigkill)
{
	struct agent a[3];
	struct fanout_wait w;
	struct results r;
	int taken, status;
	__u64 id, got;
	pid_t pid;

	ASSERT_EQ(0, agents_start(a, 3, self->name));
	pid = holder_process(_metadata, self->name, 3, &taken);
	id = send_to(_metadata, self->co, 0);
	ASSERT_EQ(8, read(taken, &got, 8));
	ASSERT_EQ(id, got);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	memset(&w, 0, sizeof(w));
	w.id = id;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(3, w.nreplied);
	EXPECT_EQ(1, w.nfailed);
	results_init(&r, 4);
	read_results(_metadata, self->co, id, &r, FANOUT_RESULTS_RELEASE);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[i].state);
	EXPECT_EQ(3, r.res[3].member);
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[3].state);
	EXPECT_EQ(-EPIPE, r.res[3].status);
	agents_stop(a, 3, self->co, self->name);
	results_free(&r);
	close(taken);
}

/*
 * Targets that fail at send time leave the member's queue accounting
 * alone: with room for one queued request, a member that was down for
 * many requests still takes one once up.
 */
TEST(down_member_keeps_queue_room)
{
	struct fanout_group_params p = { .mode = 0600, .max_members = 1,
					 .max_queue = 1 };
	char name[FANOUT_NAME_MAX];
	struct fanout_call c;
	struct results r;
	int co, ag;

	fanout_test_name(name, "room");
	snprintf(p.name, sizeof(p.name), "%s", name);
	co = fanout_open(0);
	ASSERT_LE(0, co);
	ASSERT_EQ(0, fanout_group_create(co, &p));
	results_init(&r, 1);
	for (int i = 0; i < 3; i++) {
		__u64 bits = 1;

		call_init(&c, &r, "x", 1);
		c.send.targets = (unsigned long)&bits;
		c.send.targets_bits = 1;
		ASSERT_EQ(0, fanout_call(co, &c));
		EXPECT_EQ(-ENOTCONN, r.res[0].status);
	}
	ag = fanout_test_agent(name, 0);
	ASSERT_LE(0, ag);
	call_init(&c, &r, "x", 1);
	c.results.flags = 0;
	c.wait.flags = FANOUT_WAIT_TIMEOUT;
	EXPECT_EQ(-ETIME, fanout_call(co, &c));
	EXPECT_EQ(0, c.wait.nfailed);
	read_results(_metadata, co, c.send.id, &r, FANOUT_RESULTS_RELEASE);
	EXPECT_EQ(FANOUT_TARGET_QUEUED, r.res[0].state);
	fanout_close(ag);
	fanout_close(co);
	results_free(&r);
}

/* A silent agent: -ETIMEDOUT at the deadline, replies for the rest. */
TEST_F(group, deadline)
{
	const long deadline = 300;
	struct agent a[3], silent;
	struct fanout_wait w;
	struct results r;
	long start, took;
	__u64 id;

	ASSERT_EQ(0, agents_start(a, 3, self->name));
	silent.fd = fanout_test_agent(self->name, 3);
	ASSERT_LE(0, silent.fd);
	start = now_ms();
	id = send_to(_metadata, self->co, deadline);
	memset(&w, 0, sizeof(w));
	w.id = id;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	took = now_ms() - start;
	EXPECT_LE(deadline, took);
	/* Timer slack and a slow emulated guest: a generous margin. */
	EXPECT_GT(deadline + 500, took);
	results_init(&r, 4);
	read_results(_metadata, self->co, id, &r, FANOUT_RESULTS_RELEASE);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[i].state);
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[3].state);
	EXPECT_EQ(-ETIMEDOUT, r.res[3].status);
	agents_stop(a, 3, self->co, self->name);
	fanout_close(silent.fd);
	results_free(&r);
}

/* FAILFAST wakes on the first failure notice, leaving the rest open. */
TEST_F(group, failfast)
{
	struct agent decl, hold[2];
	struct fanout_wait w;
	struct results r;
	__u64 id;

	ASSERT_EQ(0, agent_start(&decl, self->name, 0, AGENT_DECLINE));
	for (int i = 0; i < 2; i++) {
		hold[i].fd = fanout_test_agent(self->name, i + 1);
		ASSERT_LE(0, hold[i].fd);
	}
	id = send_to(_metadata, self->co, 0);
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.mode = FANOUT_WAIT_FAILFAST;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(1, w.nfailed);
	EXPECT_EQ(0, w.nreplied);
	results_init(&r, 3);
	read_results(_metadata, self->co, id, &r, 0);
	EXPECT_EQ(-EPERM, r.res[0].status);
	EXPECT_EQ(FANOUT_TARGET_QUEUED, r.res[1].state);
	EXPECT_EQ(FANOUT_TARGET_QUEUED, r.res[2].state);
	/* Cancel: the open targets fail with -ECANCELED. */
	ASSERT_EQ(0, fanout_cancel(self->co, id));
	read_results(_metadata, self->co, id, &r, FANOUT_RESULTS_RELEASE);
	EXPECT_EQ(-ECANCELED, r.res[1].status);
	EXPECT_EQ(-ECANCELED, r.res[2].status);
	agents_stop(&decl, 1, self->co, self->name);
	for (int i = 0; i < 2; i++)
		fanout_close(hold[i].fd);
	results_free(&r);
}

/* QUORUM k wakes after k replies. */
TEST_F(group, quorum)
{
	struct agent a[2];
	int idle[2];
	struct fanout_wait w;
	__u64 id;

	ASSERT_EQ(0, agents_start(a, 2, self->name));
	for (int i = 0; i < 2; i++) {
		idle[i] = fanout_test_agent(self->name, 2 + i);
		ASSERT_LE(0, idle[i]);
	}
	id = send_to(_metadata, self->co, 0);
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.mode = FANOUT_WAIT_QUORUM;
	w.quorum = 2;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(4, w.ntargets);
	EXPECT_EQ(2, w.nreplied);
	EXPECT_EQ(0, w.nfailed);
	/* A wait bounded by a timeout does not cancel the request. */
	w.mode = FANOUT_WAIT_ALL;
	w.quorum = 0;
	w.flags = FANOUT_WAIT_TIMEOUT;
	w.timeout_ns = 10 * 1000 * 1000;
	w.ntargets = w.nreplied = w.nfailed = 0;
	EXPECT_EQ(-ETIME, fanout_wait(self->co, &w));
	EXPECT_EQ(2, w.nreplied);
	EXPECT_EQ(0, fanout_release(self->co, id));
	EXPECT_EQ(-ENOENT, fanout_release(self->co, id));
	agents_stop(a, 2, self->co, self->name);
	for (int i = 0; i < 2; i++)
		fanout_close(idle[i]);
}

static void on_signal(int sig)
{
}

struct waiter_arg {
	int co;
	__u64 id;
	pid_t tid;
	int ret;
};

static void *wait_thread(void *arg)
{
	struct waiter_arg *wa = arg;
	struct fanout_wait w;

	memset(&w, 0, sizeof(w));
	w.id = wa->id;
	__atomic_store_n(&wa->tid, gettid(), __ATOMIC_RELEASE);
	wa->ret = fanout_wait(wa->co, &w);
	return NULL;
}

/* A signal interrupts the wait with -EINTR; waiting again succeeds. */
TEST_F(group, signal_interrupts_wait)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct waiter_arg wa = { .co = self->co };
	struct fanout_recv rcv;
	struct fanout_reply rep;
	struct fanout_wait w;
	pthread_t th;
	int ag;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);
	wa.id = send_to(_metadata, self->co, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, wait_thread, &wa));
	while (!__atomic_load_n(&wa.tid, __ATOMIC_ACQUIRE) ||
	       !thread_sleeping(wa.tid))
		sched_yield();
	ASSERT_EQ(0, pthread_kill(th, SIGUSR1));
	pthread_join(th, NULL);
	EXPECT_EQ(-EINTR, wa.ret);

	ASSERT_EQ(0, recv_one(ag, 0, &rcv));
	memset(&rep, 0, sizeof(rep));
	rep.id = rcv.id;
	rep.status = 7;
	ASSERT_EQ(0, fanout_reply(ag, &rep));
	memset(&w, 0, sizeof(w));
	w.id = wa.id;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	EXPECT_EQ(1, w.nreplied);
	EXPECT_EQ(0, fanout_release(self->co, wa.id));
	fanout_close(ag);
}

/*
 * The coordinator dies mid-request: its request goes, the agent's late
 * reply gets -ENOENT.
 */
TEST_F(group, coordinator_killed)
{
	struct fanout_group_stats st;
	struct fanout_recv rcv;
	struct fanout_reply rep;
	int ag, status;
	pid_t pid;

	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int co = fanout_open(0);
		struct fanout_wait w = { 0 };

		if (co < 0 || fanout_group_open(co, self->name))
			_exit(1);
		w.id = send_to(_metadata, co, 0);
		fanout_wait(co, &w);
		_exit(2);
	}
	ASSERT_EQ(0, recv_one(ag, 0, &rcv));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	memset(&rep, 0, sizeof(rep));
	rep.id = rcv.id;
	EXPECT_EQ(-ENOENT, fanout_reply(ag, &rep));
	ASSERT_EQ(0, fanout_group_stats(self->co, &st));
	EXPECT_EQ(0, st.pending);
	EXPECT_EQ(1, st.stale_replies);
	fanout_close(ag);
}

/*
 * Of two agents of one member, the one that dies fails what it took
 * with -EPIPE; what is still queued goes to the other. When the last
 * agent leaves, queued targets fail with -ENOTCONN.
 */
TEST_F(group, pool_agent_dies)
{
	struct fanout_recv rcv;
	struct results r;
	__u64 id1, id2, id3;
	int a1, a2;

	a1 = fanout_test_agent(self->name, 0);
	a2 = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, a1);
	ASSERT_LE(0, a2);
	id1 = send_to(_metadata, self->co, 0);
	id2 = send_to(_metadata, self->co, 0);
	ASSERT_EQ(0, recv_one(a1, 0, &rcv));
	ASSERT_EQ(id1, rcv.id);
	fanout_close(a1);

	results_init(&r, 1);
	read_results(_metadata, self->co, id1, &r, FANOUT_RESULTS_RELEASE);
	EXPECT_EQ(-EPIPE, r.res[0].status);
	read_results(_metadata, self->co, id2, &r, 0);
	EXPECT_EQ(FANOUT_TARGET_QUEUED, r.res[0].state);
	ASSERT_EQ(0, recv_one(a2, FANOUT_RECV_NONBLOCK, &rcv));
	EXPECT_EQ(id2, rcv.id);

	id3 = send_to(_metadata, self->co, 0);
	ASSERT_EQ(0, fanout_leave(a2));
	read_results(_metadata, self->co, id2, &r, FANOUT_RESULTS_RELEASE);
	EXPECT_EQ(-EPIPE, r.res[0].status);
	read_results(_metadata, self->co, id3, &r, FANOUT_RESULTS_RELEASE);
	EXPECT_EQ(-ENOTCONN, r.res[0].status);
	fanout_close(a2);
	results_free(&r);
}

/*
 * Wake-ups at the floor: a blocking call parks the coordinator once,
 * and an agent switches at most twice per request it receives.
 */
TEST_F_TIMEOUT(group, context_switches, 300)
{
	const int n = 8, calls = 200;
	struct agent a[8];
	struct fanout_call c;
	struct results r;
	long before, coord;

	ASSERT_EQ(0, agents_start(a, n, self->name));
	results_init(&r, n);
	before = thread_nvcsw();
	for (int i = 0; i < calls; i++) {
		call_init(&c, &r, "ctx", 3);
		ASSERT_EQ(0, fanout_call(self->co, &c));
		ASSERT_EQ(n, c.results.nreplied);
	}
	coord = thread_nvcsw() - before;
	agents_stop(a, n, self->co, self->name);
	TH_LOG("coordinator: %ld voluntary switches for %d calls", coord,
	       calls);
	EXPECT_GE(2 * calls, coord);
	for (int i = 0; i < n; i++) {
		TH_LOG("agent %d: %ld switches for %ld requests", i,
		       a[i].nvcsw, a[i].handled);
		EXPECT_EQ(calls, a[i].handled);
		EXPECT_GE(2 * a[i].handled, a[i].nvcsw);
	}
	results_free(&r);
}

/*
 * reply_recv: reply.id 0 means receive only; an accepted reply comes back
 * with reply.id 0, so a failed receive does not hide a lost reply; and
 * the output fields of the previous round need no clearing.
 */
TEST_F(group, reply_recv_marks_reply_done)
{
	struct fanout_reply_recv rr;
	char buf[64];
	__u64 id1, id2;
	int ag;

	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);
	id1 = send_to(_metadata, self->co, 0);
	memset(&rr, 0, sizeof(rr));
	rr.recv.buf = (unsigned long)buf;
	rr.recv.buf_len = sizeof(buf);
	rr.recv.flags = FANOUT_RECV_NONBLOCK;
	ASSERT_EQ(0, fanout_reply_recv(ag, &rr));
	ASSERT_EQ(id1, rr.recv.id);

	/* Reply; nothing else is queued: -EAGAIN, but the reply went. */
	rr.reply.id = rr.recv.id;
	EXPECT_EQ(-EAGAIN, fanout_reply_recv(ag, &rr));
	EXPECT_EQ(0, rr.reply.id);
	id2 = send_to(_metadata, self->co, 0);
	EXPECT_EQ(0, fanout_reply_recv(ag, &rr));
	EXPECT_EQ(id2, rr.recv.id);
	EXPECT_EQ(4, rr.recv.len);
	EXPECT_EQ(0, fanout_release(self->co, id1));
	EXPECT_EQ(0, fanout_release(self->co, id2));
	fanout_close(ag);
}

/* An endpoint opened with O_NONBLOCK never blocks in receive. */
TEST_F(group, o_nonblock_receive)
{
	struct fanout_recv rcv;
	int ag;

	ag = fanout_open(O_NONBLOCK);
	ASSERT_LE(0, ag);
	ASSERT_EQ(0, fanout_group_open(ag, self->name));
	ASSERT_EQ(0, fanout_join(ag, 0));
	EXPECT_EQ(-EAGAIN, recv_one(ag, 0, &rcv));
	fanout_close(ag);
}

/* poll() and epoll report an agent readable exactly while it has work. */
TEST_F(group, poll_readiness)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd pfd;
	struct fanout_recv rcv;
	int ag, ep;
	__u64 id;

	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);
	pfd = (struct pollfd){ .fd = ag, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ag, &ev));

	id = send_to(_metadata, self->co, 0);
	/* Blocks until the queued request makes the agent readable. */
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, -1));
	EXPECT_TRUE(ev.events & EPOLLIN);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, recv_one(ag, FANOUT_RECV_NONBLOCK, &rcv));
	EXPECT_EQ(id, rcv.id);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(ep);
	fanout_close(ag);
}

/*
 * A request wakes one idle agent of its member, not the whole pool:
 * four agents serving one member switch about once per request in all,
 * where a thundering herd would switch four times.
 */
TEST_F(group, pool_wakes_one_agent)
{
	const int pool = 4, calls = 100;
	struct agent a[4];
	struct fanout_call c;
	struct results r;
	long handled = 0, switches = 0;

	for (int i = 0; i < pool; i++)
		ASSERT_EQ(0, agent_start(&a[i], self->name, 0, AGENT_ECHO));
	results_init(&r, 1);
	for (int i = 0; i < calls; i++) {
		call_init(&c, &r, "pool", 4);
		ASSERT_EQ(0, fanout_call(self->co, &c));
		ASSERT_EQ(1, c.results.nreplied);
	}
	agents_stop(a, pool, self->co, self->name);
	for (int i = 0; i < pool; i++) {
		handled += a[i].handled;
		switches += a[i].nvcsw;
	}
	TH_LOG("pool of %d: %ld switches for %ld requests", pool, switches,
	       handled);
	EXPECT_EQ(calls, handled);
	EXPECT_GE(2 * calls, switches);
	results_free(&r);
}

/* Two threads releasing one id at once, round after round. */
struct release_race {
	pthread_barrier_t start, done;
	int fd;
	__u64 id;
	int rounds;
	int ret[2];
};

static void *release_racer(void *arg)
{
	struct release_race *rr = arg;

	/* The test's own thread releases as ret[0], this one as ret[1]. */
	for (int i = 0; i < rr->rounds; i++) {
		pthread_barrier_wait(&rr->start);
		rr->ret[1] = fanout_release(rr->fd, rr->id);
		pthread_barrier_wait(&rr->done);
	}
	return NULL;
}

/* Of two releases of one request racing, exactly one succeeds. */
TEST_F(group, release_race)
{
	struct release_race rr = { .fd = self->co, .rounds = 1000 };
	int both = 0, none = 0;
	pthread_t racer;

	ASSERT_EQ(0, pthread_barrier_init(&rr.start, NULL, 2));
	ASSERT_EQ(0, pthread_barrier_init(&rr.done, NULL, 2));
	ASSERT_EQ(0, pthread_create(&racer, NULL, release_racer, &rr));
	for (int i = 0; i < rr.rounds; i++) {
		struct fanout_send s;

		memset(&s, 0, sizeof(s));
		ASSERT_EQ(0, fanout_send(self->co, &s));
		rr.id = s.id;
		pthread_barrier_wait(&rr.start);
		rr.ret[0] = fanout_release(self->co, rr.id);
		pthread_barrier_wait(&rr.done);
		if (!rr.ret[0] && !rr.ret[1])
			both++;
		else if (rr.ret[0] && rr.ret[1])
			none++;
		else
			EXPECT_EQ(-ENOENT, rr.ret[0] ?: rr.ret[1]);
	}
	pthread_join(racer, NULL);
	EXPECT_EQ(0, both);
	EXPECT_EQ(0, none);
}

/* A thread releasing the next request id, again and again. */
struct next_releaser {
	int fd;
	_Atomic __u64 next;
	_Atomic int stop;
	long released;
};

static void *next_releaser_loop(void *arg)
{
	struct next_releaser *nr = arg;

	while (!atomic_load(&nr->stop))
		nr->released += !fanout_release(nr->fd, atomic_load(&nr->next));
	return NULL;
}

/*
 * A send's answer names the request it started even when another thread
 * releases that request (its id is easy to guess) before the send
 * returns; the debug lane's KASAN sees any read of the freed request.
 */
TEST_F(group, send_answer_survives_release)
{
	struct next_releaser nr = { .fd = self->co };
	pthread_t racer;
	__u64 last = 0;

	ASSERT_EQ(0, pthread_create(&racer, NULL, next_releaser_loop, &nr));
	for (int i = 0; i < 2000; i++) {
		struct fanout_send s;

		memset(&s, 0, sizeof(s));
		atomic_store(&nr.next, last + 1);
		ASSERT_EQ(0, fanout_send(self->co, &s));
		EXPECT_EQ(last + 1, s.id);
		EXPECT_EQ(0, s.ntargets);	/* no member is up */
		last = s.id;
		fanout_release(self->co, s.id);
	}
	atomic_store(&nr.stop, 1);
	pthread_join(racer, NULL);
	TH_LOG("%ld of 2000 requests released by the other thread",
	       nr.released);
}

TEST_HARNESS_MAIN
