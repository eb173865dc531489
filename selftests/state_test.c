// SPDX-License-Identifier: GPL-2.0
/*
 * Expected state and redelivery through the ioctls: set-state, confirm,
 * state waits that return exactly when every up member confirmed (a
 * member going down stops holding them, one coming up holds them again),
 * duplicate and stale confirmations refused and counted, redelivery of a
 * request whose agent was SIGKILLed. The bad inputs of the state ioctls
 * are in state_limits_test.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_state.h"

/* A thread parked in a state wait. */
struct waiter {
	pthread_t thread;
	int fd;
	__u64 gen;
	pid_t tid;
	int ret;
	__u64 up, conf;
	struct fanout_state_wait w;
};

static void *waiter_run(void *arg)
{
	struct waiter *wt = arg;

	wt->tid = syscall(SYS_gettid);
	memset(&wt->w, 0, sizeof(wt->w));
	wt->w.generation = wt->gen;
	wt->w.bitmap_bits = NMEMB;
	wt->w.up = (uintptr_t)&wt->up;
	wt->w.confirmed = (uintptr_t)&wt->conf;
	wt->ret = fanout_state_wait(wt->fd, &wt->w);
	return NULL;
}

/* Start @wt and return once it sleeps in the kernel. */
static void waiter_start(struct waiter *wt, int fd, __u64 gen)
{
	memset(wt, 0, sizeof(*wt));
	wt->fd = fd;
	wt->gen = gen;
	wt->ret = 1;
	pthread_create(&wt->thread, NULL, waiter_run, wt);
	while (!__atomic_load_n(&wt->tid, __ATOMIC_ACQUIRE) ||
	       !thread_sleeping(wt->tid))
		usleep(1000);
}

static int confirm_all(int *ag, __u64 gen, int skip)
{
	for (int m = 0; m < NMEMB; m++) {
		if (ag[m] < 0 || m == skip)
			continue;
		if (fanout_confirm(ag[m], gen))
			return -1;
	}
	return 0;
}

TEST_F(st, version_features)
{
	struct fanout_version v;

	ASSERT_EQ(0, fanout_version(self->co, &v));
	EXPECT_TRUE(v.features & FANOUT_FEATURE_STATE);
	EXPECT_TRUE(v.features & FANOUT_FEATURE_NETLINK);
}

TEST_F(st, set_and_get)
{
	struct fanout_state s = { 0 };
	char blob[16] = { 0 };
	__u64 gen;

	ASSERT_EQ(0, fanout_state_get(self->co, &s));
	EXPECT_EQ(0, s.generation);
	ASSERT_EQ(0, fanout_state_set(self->co, 7, "abc", 3, &gen));
	EXPECT_EQ(1, gen);
	ASSERT_EQ(0, fanout_state_set(self->co, 8, "hello", 5, &gen));
	EXPECT_EQ(2, gen);
	s.blob = (uintptr_t)blob;
	s.blob_len = sizeof(blob);
	ASSERT_EQ(0, fanout_state_get(self->ag[0], &s));
	EXPECT_EQ(2, s.generation);
	EXPECT_EQ(8, s.code);
	EXPECT_EQ(5, s.blob_len);
	EXPECT_EQ(0, memcmp(blob, "hello", 5));
}

/*
 * 16 members, one down: once the 15 up confirmed, the wait returns; the
 * 16th comes up unconfirmed and holds the wait until it confirms.
 */
TEST_F(st, late_member_holds_wait_until_it_confirms)
{
	__u64 gen, up, conf;
	struct waiter wt;

	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, &gen));
	EXPECT_EQ(-ETIME, state_poll(self->co, gen, &up, &conf));
	EXPECT_EQ(0, conf);
	ASSERT_EQ(0, confirm_all(self->ag, gen, -1));
	ASSERT_EQ(0, state_poll(self->co, gen, &up, &conf));
	EXPECT_EQ(0x7fffULL, up);
	EXPECT_EQ(0x7fffULL, conf);

	self->ag[DOWN] = fanout_test_agent(self->name, DOWN);
	ASSERT_LE(0, self->ag[DOWN]);
	EXPECT_EQ(-ETIME, state_poll(self->co, gen, &up, &conf));
	EXPECT_EQ(0xffffULL, up);
	EXPECT_EQ(0x7fffULL, conf);

	waiter_start(&wt, self->co, gen);
	EXPECT_EQ(1, wt.ret);
	ASSERT_EQ(0, fanout_confirm(self->ag[DOWN], gen));
	pthread_join(wt.thread, NULL);
	EXPECT_EQ(0, wt.ret);
	EXPECT_EQ(0xffffULL, wt.up);
	EXPECT_EQ(0xffffULL, wt.conf);
	EXPECT_EQ(16, wt.w.nup);
	EXPECT_EQ(16, wt.w.nconfirmed);
	EXPECT_EQ(gen, wt.w.generation);
	EXPECT_EQ(1, wt.w.code);
	EXPECT_EQ(NMEMB, wt.w.members);
}

/* A member that goes down instead of confirming releases the wait. */
TEST_F(st, member_down_releases_wait)
{
	struct waiter wt;
	__u64 gen;

	ASSERT_EQ(0, fanout_state_set(self->co, 2, NULL, 0, &gen));
	ASSERT_EQ(0, confirm_all(self->ag, gen, 3));
	waiter_start(&wt, self->co, 0);
	EXPECT_EQ(1, wt.ret);
	close(self->ag[3]);
	self->ag[3] = -1;
	pthread_join(wt.thread, NULL);
	EXPECT_EQ(0, wt.ret);
	EXPECT_EQ(0x7ff7ULL, wt.up);
	EXPECT_EQ(0x7ff7ULL, wt.conf);
	EXPECT_EQ(14, wt.w.nup);
}

/* A member that comes up again must confirm again. */
TEST_F(st, member_up_again_confirms_again)
{
	__u64 gen, up, conf;

	ASSERT_EQ(0, fanout_state_set(self->co, 3, NULL, 0, &gen));
	ASSERT_EQ(0, confirm_all(self->ag, gen, -1));
	ASSERT_EQ(0, fanout_leave(self->ag[5]));
	ASSERT_EQ(5, fanout_join(self->ag[5], 5));
	EXPECT_EQ(-ETIME, state_poll(self->co, gen, &up, &conf));
	EXPECT_EQ(0x7fdfULL, conf);
	EXPECT_EQ(0, fanout_confirm(self->ag[5], gen));
	EXPECT_EQ(0, state_poll(self->co, gen, &up, &conf));
}

/* A duplicate confirmation: -EALREADY, counted, bitmap unchanged. */
TEST_F(st, duplicate_confirm_counted)
{
	__u64 gen, up, conf;

	ASSERT_EQ(0, fanout_state_set(self->co, 4, NULL, 0, &gen));
	ASSERT_EQ(0, fanout_confirm(self->ag[0], gen));
	EXPECT_EQ(-EALREADY, fanout_confirm(self->ag[0], gen));
	EXPECT_EQ(-EALREADY, fanout_confirm(self->ag[0], gen));
	EXPECT_EQ(-ETIME, state_poll(self->co, gen, &up, &conf));
	EXPECT_EQ(1, conf);
	EXPECT_EQ(2, STAT(self->co, dup_confirms));
	EXPECT_EQ(1, STAT(self->co, confirms));
}

/* An older generation: -ESTALE, counted, bitmap unchanged. */
TEST_F(st, stale_confirm_counted)
{
	__u64 g1, g2, up, conf;

	ASSERT_EQ(0, fanout_state_set(self->co, 5, NULL, 0, &g1));
	ASSERT_EQ(0, fanout_confirm(self->ag[1], g1));
	ASSERT_EQ(0, fanout_state_set(self->co, 6, NULL, 0, &g2));
	EXPECT_EQ(-ESTALE, fanout_confirm(self->ag[0], g1));
	EXPECT_EQ(-ESTALE, fanout_confirm(self->ag[1], g1));
	EXPECT_EQ(-ETIME, state_poll(self->co, g2, &up, &conf));
	EXPECT_EQ(0, conf);
	EXPECT_EQ(2, STAT(self->co, stale_confirms));
	EXPECT_EQ(0, fanout_confirm(self->ag[1], g2));
}

/* A newer state set during a wait ends it with -ESTALE. */
TEST_F(st, wait_superseded_is_stale)
{
	struct waiter wt;
	__u64 gen;

	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, &gen));
	waiter_start(&wt, self->co, gen);
	ASSERT_EQ(0, fanout_state_set(self->co, 2, NULL, 0, NULL));
	pthread_join(wt.thread, NULL);
	EXPECT_EQ(-ESTALE, wt.ret);
}

/* A destroyed group ends a state wait with -EIDRM. */
TEST_F(st, wait_group_destroyed)
{
	struct waiter wt;
	__u64 gen;

	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, &gen));
	waiter_start(&wt, self->co, gen);
	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	pthread_join(wt.thread, NULL);
	EXPECT_EQ(-EIDRM, wt.ret);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A signal interrupts a state wait with -EINTR. */
TEST_F(st, wait_interrupted)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct waiter wt;
	__u64 gen;

	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, &gen));
	waiter_start(&wt, self->co, gen);
	pthread_kill(wt.thread, SIGUSR1);
	pthread_join(wt.thread, NULL);
	EXPECT_EQ(-EINTR, wt.ret);
}

/* No state set: nothing to wait for. */
/* No state set: nothing to confirm, the members up hold nothing. */
TEST_F(st, wait_without_state_returns)
{
	__u64 up, conf;

	EXPECT_EQ(0, state_poll(self->co, 0, &up, &conf));
	EXPECT_EQ(0x7fffULL, up);
}

/* ---- redelivery ------------------------------------------------------- */

static int result_of(int fd, __u64 id, struct fanout_result *res,
		     char *buf, size_t len)
{
	struct fanout_results r = {
		.id = id, .results = (uintptr_t)res, .count = 1,
	};

	memset(res, 0, sizeof(*res));
	res->reply_buf = (uintptr_t)buf;
	res->reply_buf_len = len;
	return fanout_results(fd, &r);
}

/*
 * A child process joins member @m, tells it joined through the pipe,
 * receives one request, tells its id and waits to be killed. Returns
 * its pid once it joined; *@rfd reads the id.
 */
static pid_t agent_child(const char *name, int m, int *rfd)
{
	__u64 joined = 0;
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		char buf[64];
		struct fanout_recv r = {
			.buf = (uintptr_t)buf, .buf_len = sizeof(buf),
		};
		int fd = fanout_test_agent(name, m);

		joined = fd >= 0;
		if (write(p[1], &joined, sizeof(joined)) != sizeof(joined))
			_exit(1);
		if (fd < 0 || fanout_recv(fd, &r))
			r.id = 0;
		if (write(p[1], &r.id, sizeof(r.id)) != sizeof(r.id))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	*rfd = p[0];
	if (read(p[0], &joined, sizeof(joined)) != sizeof(joined) || !joined) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(p[0]);
		return -1;
	}
	return pid;
}

/* The id the child received; its pipe closed. */
static __u64 child_got(int rfd)
{
	__u64 id;

	if (read(rfd, &id, sizeof(id)) != sizeof(id))
		id = 0;
	close(rfd);
	return id;
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * Send a request with @flags to member DOWN, served by a child agent that
 * takes it and is SIGKILLed. Returns its id, or 0.
 */
static __u64 taken_by_killed_agent(const char *name, int co, __u32 flags,
				   __u32 deadline_ms)
{
	pid_t pid;
	__u64 id;
	int rfd;

	pid = agent_child(name, DOWN, &rfd);
	if (pid <= 0)
		return 0;
	id = send_to(co, DOWN, flags, deadline_ms);
	if (id && child_got(rfd) != id)
		id = 0;
	kill_child(pid);
	return id;
}

/*
 * The agent holding a request sent with FANOUT_SEND_REDELIVER is
 * SIGKILLed: the target stays queued for the member (down now), the next
 * agent receives it marked as a redelivery, and its reply reaches the
 * coordinator.
 */
TEST_F(st, redelivery_after_sigkill)
{
	struct fanout_result res;
	struct fanout_wait w = { 0 };
	struct fanout_reply rep = { 0 };
	char buf[64];
	struct fanout_recv r = {
		.buf = (uintptr_t)buf, .buf_len = sizeof(buf),
		.flags = FANOUT_RECV_NONBLOCK,
	};
	__u64 id;

	id = taken_by_killed_agent(self->name, self->co,
				   FANOUT_SEND_REDELIVER, 0);
	ASSERT_NE(0, id);

	ASSERT_EQ(0, result_of(self->co, id, &res, NULL, 0));
	EXPECT_EQ(FANOUT_TARGET_QUEUED, res.state);
	EXPECT_EQ(1, STAT(self->co, redelivered));

	self->ag[DOWN] = fanout_test_agent(self->name, DOWN);
	ASSERT_LE(0, self->ag[DOWN]);
	ASSERT_EQ(0, fanout_recv(self->ag[DOWN], &r));
	EXPECT_EQ(id, r.id);
	EXPECT_TRUE(r.flags & FANOUT_RECV_REDELIVERED);
	rep.id = id;
	rep.buf = (uintptr_t)"again";
	rep.len = 5;
	ASSERT_EQ(0, fanout_reply(self->ag[DOWN], &rep));

	w.id = id;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	ASSERT_EQ(0, result_of(self->co, id, &res, buf, sizeof(buf)));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, res.state);
	EXPECT_EQ(5, res.reply_len);
	EXPECT_EQ(0, memcmp(buf, "again", 5));
}

/* Members down at send time still fail at once, flag or not. */
TEST_F(st, redelivery_member_down_at_send)
{
	struct fanout_result res;
	__u64 id = send_to(self->co, DOWN, FANOUT_SEND_REDELIVER, 0);

	ASSERT_NE(0, id);
	ASSERT_EQ(0, result_of(self->co, id, &res, NULL, 0));
	EXPECT_EQ(-ENOTCONN, res.status);
}

/* Without the flag the same death is a failure notice, -EPIPE. */
TEST_F(st, no_redelivery_without_flag)
{
	struct fanout_result res;
	struct fanout_wait w = { 0 };
	__u64 id;

	id = taken_by_killed_agent(self->name, self->co, 0, 0);
	ASSERT_NE(0, id);
	w.id = id;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	ASSERT_EQ(0, result_of(self->co, id, &res, NULL, 0));
	EXPECT_EQ(-EPIPE, res.status);
	EXPECT_EQ(0, STAT(self->co, redelivered));
}

/* A request kept for redelivery still fails at its deadline. */
TEST_F(st, redelivery_until_deadline)
{
	struct fanout_result res;
	struct fanout_wait w = { 0 };
	__u64 id;

	id = taken_by_killed_agent(self->name, self->co,
				   FANOUT_SEND_REDELIVER, 300);
	ASSERT_NE(0, id);
	w.id = id;
	ASSERT_EQ(0, fanout_wait(self->co, &w));
	ASSERT_EQ(0, result_of(self->co, id, &res, NULL, 0));
	EXPECT_EQ(-ETIMEDOUT, res.status);
}

TEST_HARNESS_MAIN
