// SPDX-License-Identifier: GPL-2.0
/*
 * fanout over io_uring (IORING_OP_URING_CMD): many calls in flight from
 * one thread, one process serving many members through one ring, the
 * same results as the blocking ioctls, and teardown with commands
 * pending (SIGKILL, ring closed, group destroyed). The bad SQEs are in
 * uring_limits_test.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "uring_util.h"

/* ---- behaviour -------------------------------------------------------- */

TEST_F(uring, version_has_feature)
{
	struct fanout_version v;

	ASSERT_EQ(0, fanout_version(self->owner, &v));
	EXPECT_TRUE(v.features & FANOUT_FEATURE_URING);
}

/* A call completes as a CQE with the ioctl's results. */
TEST_F(uring, call_one)
{
	struct agent a[NMEMB];
	struct slot s;
	void *data;

	ASSERT_EQ(0, agents_start(a, NMEMB, self->name));
	slot_init(&s, 0, "one");
	/* A timeout that does not pass. */
	s.c.wait.flags = FANOUT_WAIT_TIMEOUT;
	s.c.wait.timeout_ns = 60ULL * 1000 * 1000 * 1000;
	fanout_prep_call(io_uring_get_sqe(&self->ring), self->owner, &s.c);
	ASSERT_EQ(0, ring_reap(&self->ring, &data));
	EXPECT_EQ(&s.c, data);
	EXPECT_NE(0, s.c.send.id);
	EXPECT_EQ(s.c.send.id, s.c.results.id);
	EXPECT_EQ(NMEMB, s.c.wait.nreplied);
	EXPECT_EQ(NMEMB, s.c.results.count);
	for (int i = 0; i < NMEMB; i++)
		EXPECT_TRUE(slot_echoed(&s, i, "one"));
	agents_stop(a, NMEMB, self->owner, self->name);
}

/* A call and a receive on a ring of @flags, then the ring closed. */
static void ring_flavour(struct __test_metadata *_metadata, const char *name,
			 int owner, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags, .sq_thread_idle = 100 };
	struct fanout_reply rep;
	struct agent a[NMEMB];
	struct io_uring ring;
	struct fanout_recv r;
	char in[16];
	struct slot s;
	void *data;
	int ag;

	ASSERT_EQ(0, io_uring_queue_init_params(8, &ring, &p));
	ASSERT_EQ(0, agents_start(a, NMEMB - 1, name));
	ag = fanout_test_agent(name, NMEMB - 1);
	ASSERT_LE(0, ag);
	recv_init(&r, in, sizeof(in));
	slot_init(&s, 0, "fl");
	fanout_prep_recv(io_uring_get_sqe(&ring), ag, &r);
	fanout_prep_call(io_uring_get_sqe(&ring), owner, &s.c);
	ASSERT_LE(0, io_uring_submit(&ring));
	/* The receive takes the call's target for member 3, not answered. */
	ASSERT_EQ(0, ring_reap(&ring, &data));
	ASSERT_EQ(&r, data);
	EXPECT_EQ(2, r.len);
	EXPECT_EQ(0, memcmp(in, "fl", 2));
	memset(&rep, 0, sizeof(rep));
	rep.id = r.id;
	ASSERT_EQ(0, fanout_reply(ag, &rep));
	ASSERT_EQ(0, ring_reap(&ring, &data));
	ASSERT_EQ(&s.c, data);
	EXPECT_EQ(NMEMB, s.c.results.nreplied);
	for (int i = 0; i < NMEMB - 1; i++)
		EXPECT_TRUE(slot_echoed(&s, i, "fl"));
	/* A receive left pending when the ring closes. */
	fanout_prep_recv(io_uring_get_sqe(&ring), ag, &r);
	ASSERT_LE(0, io_uring_submit(&ring));
	io_uring_queue_exit(&ring);
	agents_stop(a, NMEMB - 1, owner, name);
	fanout_close(ag);
}

/* The same on a ring whose task work runs only when it waits. */
TEST_F(uring, defer_taskrun_ring)
{
	ring_flavour(_metadata, self->name, self->owner,
		     IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
}

/* The same on a ring whose submissions a kernel thread polls. */
TEST_F(uring, sqpoll_ring)
{
	ring_flavour(_metadata, self->name, self->owner, IORING_SETUP_SQPOLL);
}

/* Sync and async calls, waits and sends interleaved on one endpoint. */
TEST_F(uring, sync_async_interleaved)
{
	struct fanout_results r;
	struct fanout_wait w;
	struct agent a[NMEMB];
	char payload[16];
	struct slot s;

	ASSERT_EQ(0, agents_start(a, NMEMB, self->name));
	for (int k = 0; k < 16; k++) {
		snprintf(payload, sizeof(payload), "k%d", k);
		slot_init(&s, 0, payload);
		if (k % 2) {
			ASSERT_EQ(0, fanout_call(self->owner, &s.c));
		} else {
			ASSERT_EQ(0, ring_run(&self->ring, self->owner,
					      FANOUT_IOC_CALL, &s.c));
		}
		for (int i = 0; i < NMEMB; i++)
			EXPECT_TRUE(slot_echoed(&s, i, payload));
	}
	/* Sent by ioctl, waited for on the ring, read by ioctl. */
	slot_init(&s, 0, "sw");
	ASSERT_EQ(0, fanout_send(self->owner, &s.c.send));
	memset(&w, 0, sizeof(w));
	w.id = s.c.send.id;
	ASSERT_EQ(0, ring_run(&self->ring, self->owner, FANOUT_IOC_WAIT, &w));
	EXPECT_EQ(NMEMB, w.nreplied);
	r = s.c.results;
	r.id = w.id;
	ASSERT_EQ(0, fanout_results(self->owner, &r));
	s.c.results = r;
	for (int i = 0; i < NMEMB; i++)
		EXPECT_TRUE(slot_echoed(&s, i, "sw"));
	/* Sent on the ring (at once), waited for by ioctl. */
	slot_init(&s, 0, "rs");
	ASSERT_EQ(0, ring_run(&self->ring, self->owner, FANOUT_IOC_SEND,
			      &s.c.send));
	ASSERT_NE(0, s.c.send.id);
	memset(&w, 0, sizeof(w));
	w.id = s.c.send.id;
	ASSERT_EQ(0, fanout_wait(self->owner, &w));
	EXPECT_EQ(NMEMB, w.nreplied);
	ASSERT_EQ(0, fanout_release(self->owner, w.id));
	agents_stop(a, NMEMB, self->owner, self->name);
}

/* The other thread of blocking_wait_survives_ring_completion. */
struct nudge {
	const char *name;
	struct io_uring *ring;
	int holder;		/* member 0's agent: holds the waited request */
	pid_t waiter;		/* the thread parked in the wait */
	int ret;
};

/*
 * Send to member 1, whose receive is pending on the waiting thread's
 * ring; once its CQE is posted (the waiter's task work ran), answer the
 * waited request.
 */
static void *nudge_then_reply(void *arg)
{
	struct nudge *n = arg;
	struct fanout_reply rep = { 0 };
	struct fanout_recv r;
	struct io_uring_cqe *cqe;
	struct slot s;
	char in[64];
	int co = coordinator(n->name);

	n->ret = -1;
	recv_init(&r, in, sizeof(in));
	if (co < 0 || fanout_recv(n->holder, &r))
		return NULL;
	/* The waiter is parked: the completion must find it there. */
	while (!thread_sleeping(n->waiter))
		sched_yield();
	slot_init(&s, 2, "nudge");
	if (fanout_send(co, &s.c.send))
		return NULL;
	while (io_uring_peek_cqe(n->ring, &cqe))
		sched_yield();
	rep.id = r.id;
	n->ret = fanout_reply(n->holder, &rep);
	fanout_release(co, s.c.send.id);
	fanout_close(co);
	return NULL;
}

/*
 * A blocking wait whose thread has a receive pending on its own ring:
 * the receive completing (io_uring's task work, TIF_NOTIFY_SIGNAL) does
 * not end the wait with -EINTR; it goes on until its request settles.
 */
TEST_F(uring, blocking_wait_survives_ring_completion)
{
	struct nudge n = {
		.name = self->name, .ring = &self->ring, .waiter = gettid(),
	};
	struct fanout_recv r;
	struct fanout_wait w;
	struct slot s;
	pthread_t t;
	char in[64];
	void *data;
	int ag;

	n.holder = fanout_test_agent(self->name, 0);
	ag = fanout_test_agent(self->name, 1);
	ASSERT_LE(0, n.holder);
	ASSERT_LE(0, ag);
	recv_init(&r, in, sizeof(in));
	fanout_prep_recv(io_uring_get_sqe(&self->ring), ag, &r);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	slot_init(&s, 1, "wait");
	ASSERT_EQ(0, fanout_send(self->owner, &s.c.send));
	ASSERT_EQ(0, pthread_create(&t, NULL, nudge_then_reply, &n));
	memset(&w, 0, sizeof(w));
	w.id = s.c.send.id;
	EXPECT_EQ(0, fanout_wait(self->owner, &w));
	EXPECT_EQ(1, w.nreplied);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, n.ret);
	ASSERT_EQ(0, ring_reap(&self->ring, &data));
	EXPECT_EQ(&r, data);
	ASSERT_EQ(0, fanout_release(self->owner, w.id));
	fanout_close(ag);
	fanout_close(n.holder);
}

/* An agent's receive and reply-and-receive on the ring. */
TEST_F(uring, recv_and_reply_recv)
{
	struct fanout_reply_recv rr;
	char in[64], out[64];
	struct slot s;
	void *data;
	int ag;

	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);
	memset(&rr, 0, sizeof(rr));
	recv_init(&rr.recv, in, sizeof(in));
	/* Pending before anything is sent. */
	fanout_prep_recv(io_uring_get_sqe(&self->ring), ag, &rr.recv);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	slot_init(&s, 1, "rq");
	ASSERT_EQ(0, fanout_send(self->owner, &s.c.send));
	ASSERT_EQ(0, ring_reap(&self->ring, &data));
	EXPECT_EQ(&rr.recv, data);
	EXPECT_EQ(s.c.send.id, rr.recv.id);
	EXPECT_EQ(2, rr.recv.len);
	EXPECT_EQ(0, memcmp(in, "rq", 2));
	/* Reply, and receive the next one: nothing queued, stays pending. */
	rr.reply.id = rr.recv.id;
	rr.reply.buf = (uintptr_t)out;
	rr.reply.len = agent_echo(out, sizeof(out), 0, in, rr.recv.len);
	recv_init(&rr.recv, in, sizeof(in));
	fanout_prep_reply_recv(io_uring_get_sqe(&self->ring), ag, &rr);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	memset(&s.c.wait, 0, sizeof(s.c.wait));
	s.c.wait.id = s.c.send.id;
	ASSERT_EQ(0, fanout_wait(self->owner, &s.c.wait));
	EXPECT_EQ(1, s.c.wait.nreplied);
	/* Leaving ends the pending receive, as a blocking one. */
	ASSERT_EQ(0, fanout_leave(ag));
	EXPECT_EQ(-ENOTCONN, ring_reap(&self->ring, NULL));
	EXPECT_EQ(0, rr.reply.id);
	ASSERT_EQ(0, fanout_release(self->owner, s.c.send.id));
	fanout_close(ag);
}

/* Calls in flight from one thread, every CQE once with its own result. */
TEST_F_TIMEOUT(uring, calls_in_flight, 600)
{
	int n = fanout_test_env_int("URING_CALLS", 10000);
	struct fanout_group_params p;
	char name[FANOUT_NAME_MAX];
	struct io_uring_params up;
	struct io_uring ring;
	struct agent a[NMEMB * 2];
	struct big {
		struct fanout_call c;
		struct fanout_result res[NMEMB * 2];
		char buf[NMEMB * 2][32];
		char payload[12];
		int seen;
	} *calls;
	unsigned char *ids;
	int owner, queued = 0, done = 0;

	fanout_test_name(name, "inflight");
	fanout_test_params(&p, name, NMEMB * 2);
	p.max_pending = n + 64;
	p.max_queue = n + 64;
	p.deadline_ms = 600000;
	owner = fanout_test_create_params(&p);
	ASSERT_LE(0, owner);
	ASSERT_EQ(0, agents_start(a, NMEMB * 2, name));
	memset(&up, 0, sizeof(up));
	up.flags = IORING_SETUP_CQSIZE;
	up.cq_entries = n;
	ASSERT_EQ(0, io_uring_queue_init_params(1024, &ring, &up));
	calls = calloc(n, sizeof(*calls));
	ids = calloc(n + 1, 1);
	ASSERT_TRUE(calls && ids);

	for (int k = 0; k < n; k++) {
		struct big *b = &calls[k];
		struct io_uring_sqe *sqe;

		snprintf(b->payload, sizeof(b->payload), "%d", k);
		b->c.send.payload = (uintptr_t)b->payload;
		b->c.send.payload_len = strlen(b->payload);
		for (int i = 0; i < NMEMB * 2; i++) {
			b->res[i].reply_buf = (uintptr_t)b->buf[i];
			b->res[i].reply_buf_len = sizeof(b->buf[i]);
		}
		b->c.results.results = (uintptr_t)b->res;
		b->c.results.count = NMEMB * 2;
		b->c.results.flags = FANOUT_RESULTS_RELEASE;
		sqe = io_uring_get_sqe(&ring);
		if (!sqe) {
			ASSERT_LE(0, io_uring_submit(&ring));
			sqe = io_uring_get_sqe(&ring);
		}
		fanout_prep_call(sqe, owner, &b->c);
		io_uring_sqe_set_data64(sqe, k);
		queued++;
	}
	ASSERT_LE(0, io_uring_submit(&ring));
	while (done < queued) {
		struct io_uring_cqe *cqe;
		struct big *b;
		__u64 k;

		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		k = io_uring_cqe_get_data64(cqe);
		ASSERT_GT((__u64)n, k);
		b = &calls[k];
		EXPECT_EQ(0, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		ASSERT_EQ(0, b->seen++);
		/* A fresh group: ids 1..n, each once. */
		ASSERT_TRUE(b->c.send.id >= 1 && b->c.send.id <= (__u64)n);
		ASSERT_EQ(0, ids[b->c.send.id]++);
		EXPECT_EQ(b->c.send.id, b->c.results.id);
		EXPECT_EQ(NMEMB * 2, b->c.results.nreplied);
		for (int i = 0; i < NMEMB * 2; i++) {
			char want[32];
			size_t len = agent_echo(want, sizeof(want), i,
						b->payload,
						strlen(b->payload));

			ASSERT_EQ(len, b->res[i].reply_len);
			ASSERT_EQ(0, memcmp(b->buf[i], want, len));
		}
		done++;
	}
	io_uring_queue_exit(&ring);
	agents_stop(a, NMEMB * 2, owner, name);
	fanout_close(owner);
	free(calls);
	free(ids);
}

/* ---- one process, many members ---------------------------------------- */

#define RING_MEMBERS	64

/* One member served by the ring agent. */
struct member_slot {
	int fd;
	int member;
	struct fanout_reply_recv rr;
	char in[64];
	char out[96];
};

struct ring_agent {
	pthread_t thread;
	struct member_slot m[RING_MEMBERS];
	long handled;
	int error;	/* first error that was not the group's end */
};

/* Queue the next reply-and-receive of slot @s (reply unless id 0). */
static void member_rearm(struct io_uring *ring, struct member_slot *s)
{
	recv_init(&s->rr.recv, s->in, sizeof(s->in));
	fanout_prep_reply_recv(io_uring_get_sqe(ring), s->fd, &s->rr);
}

/* Serve every member through one ring until the group is destroyed. */
static void *ring_agent_loop(void *arg)
{
	struct ring_agent *ra = arg;
	struct io_uring ring;
	int live = RING_MEMBERS;

	if (io_uring_queue_init(RING_MEMBERS * 2, &ring, 0)) {
		ra->error = -ENOMEM;
		return NULL;
	}
	for (int i = 0; i < RING_MEMBERS; i++) {
		memset(&ra->m[i].rr.reply, 0, sizeof(ra->m[i].rr.reply));
		member_rearm(&ring, &ra->m[i]);
	}
	while (live) {
		struct fanout_reply_recv *rr;
		struct member_slot *s;
		int ret = ring_reap(&ring, (void **)&rr);

		if (ret < 0 && !rr) {
			ra->error = ret;
			break;
		}
		s = (struct member_slot *)((char *)rr -
					   offsetof(struct member_slot, rr));
		if (ret) {
			if (ret != -EIDRM && !ra->error)
				ra->error = ret;
			live--;
			continue;
		}
		ra->handled++;
		memset(&s->rr.reply, 0, sizeof(s->rr.reply));
		s->rr.reply.id = s->rr.recv.id;
		s->rr.reply.buf = (uintptr_t)s->out;
		s->rr.reply.len = agent_echo(s->out, sizeof(s->out), s->member,
					     s->in, s->rr.recv.len);
		member_rearm(&ring, s);
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

/* A blocking coordinator's calls to every member. */
struct sync_coord {
	pthread_t thread;
	int fd;
	int calls;
	int bad;
};

static void *sync_coord_loop(void *arg)
{
	struct sync_coord *sc = arg;
	struct fanout_result *res = calloc(RING_MEMBERS, sizeof(*res));
	char (*buf)[96] = calloc(RING_MEMBERS, sizeof(*buf));
	struct fanout_call c;

	for (int k = 0; k < sc->calls; k++) {
		memset(&c, 0, sizeof(c));
		c.send.payload = (uintptr_t)"sync";
		c.send.payload_len = 4;
		for (int i = 0; i < RING_MEMBERS; i++) {
			res[i].reply_buf = (uintptr_t)buf[i];
			res[i].reply_buf_len = sizeof(buf[i]);
		}
		c.results.results = (uintptr_t)res;
		c.results.count = RING_MEMBERS;
		c.results.flags = FANOUT_RESULTS_RELEASE;
		if (fanout_call(sc->fd, &c) ||
		    c.results.nreplied != RING_MEMBERS) {
			sc->bad++;
			continue;
		}
		for (int i = 0; i < RING_MEMBERS; i++) {
			char want[96];
			size_t n = agent_echo(want, sizeof(want), i, "sync", 4);

			if (res[i].reply_len != n || memcmp(buf[i], want, n))
				sc->bad++;
		}
	}
	free(res);
	free(buf);
	return NULL;
}

/*
 * One thread serves 64 members through one ring, answering blocking
 * coordinators and an asynchronous one at the same time.
 */
TEST_F_TIMEOUT(uring, one_process_many_members, 600)
{
	int calls = fanout_test_env_int("URING_MEMBER_CALLS", 50);
	struct fanout_uring *fr;
	struct fanout_result (*res)[RING_MEMBERS];
	char name[FANOUT_NAME_MAX];
	struct sync_coord sc[2];
	struct ring_agent *ra;
	struct fanout_call *c;
	int owner, async_fd;

	fanout_test_name(name, "members");
	owner = fanout_test_create(name, RING_MEMBERS, 600000);
	ASSERT_LE(0, owner);
	ra = calloc(1, sizeof(*ra));
	ASSERT_NE(NULL, ra);
	for (int i = 0; i < RING_MEMBERS; i++) {
		ra->m[i].member = i;
		ra->m[i].fd = fanout_test_agent(name, i);
		ASSERT_LE(0, ra->m[i].fd);
	}
	ASSERT_EQ(0, pthread_create(&ra->thread, NULL, ring_agent_loop, ra));
	for (int j = 0; j < 2; j++) {
		sc[j].fd = coordinator(name);
		sc[j].calls = calls;
		sc[j].bad = 0;
		ASSERT_LE(0, sc[j].fd);
		ASSERT_EQ(0, pthread_create(&sc[j].thread, NULL,
					    sync_coord_loop, &sc[j]));
	}
	/* The asynchronous coordinator: all its calls in flight at once. */
	async_fd = coordinator(name);
	ASSERT_LE(0, async_fd);
	ASSERT_EQ(0, fanout_uring_open(calls, &fr));
	c = calloc(calls, sizeof(*c));
	res = calloc(calls, sizeof(*res));
	ASSERT_TRUE(c && res);
	for (int k = 0; k < calls; k++) {
		c[k].send.payload = (uintptr_t)"async";
		c[k].send.payload_len = 5;
		c[k].results.results = (uintptr_t)res[k];
		c[k].results.count = RING_MEMBERS;
		c[k].results.flags = FANOUT_RESULTS_RELEASE;
		ASSERT_EQ(0, fanout_uring_queue(fr, async_fd, FANOUT_IOC_CALL,
						&c[k], &c[k]));
	}
	ASSERT_EQ(calls, fanout_uring_submit(fr));
	for (int k = 0; k < calls; k++) {
		struct fanout_call *done;

		ASSERT_EQ(0, fanout_uring_complete(fr, 1, (void **)&done));
		EXPECT_EQ(RING_MEMBERS, done->results.nreplied);
		for (int i = 0; i < RING_MEMBERS; i++)
			EXPECT_EQ(FANOUT_TARGET_REPLIED,
				  res[done - c][i].state);
	}
	fanout_uring_close(fr);
	for (int j = 0; j < 2; j++) {
		pthread_join(sc[j].thread, NULL);
		EXPECT_EQ(0, sc[j].bad);
		fanout_close(sc[j].fd);
	}
	ASSERT_EQ(0, fanout_group_destroy(owner, name));
	pthread_join(ra->thread, NULL);
	EXPECT_EQ(0, ra->error);
	EXPECT_EQ(calls * 3 * RING_MEMBERS, ra->handled);
	for (int i = 0; i < RING_MEMBERS; i++)
		fanout_close(ra->m[i].fd);
	fanout_close(async_fd);
	fanout_close(owner);
	free(ra);
	free(c);
	free(res);
}

/* ---- teardown with commands pending ----------------------------------- */

/* How the process holding commands goes. */
enum pending_end {
	PENDING_KILLED,		/* SIGKILL */
	PENDING_EXEC,		/* execs /bin/true, which exits 0 */
};

/*
 * The ring (set up with @ring_flags) of a process holding a call (to
 * member 0) and a receive (as member 1) pending: it reports on @ready
 * once both are submitted, then waits for its SIGKILL or execs.
 */
static void pending_child(const char *name, unsigned int ring_flags,
			  enum pending_end end, int ready)
{
	static struct slot s;
	static struct fanout_recv r;
	static char in[64];
	struct io_uring ring;
	int coord, ag;

	coord = coordinator(name);
	ag = fanout_test_agent(name, 1);
	if (coord < 0 || ag < 0 || io_uring_queue_init(8, &ring, ring_flags))
		_exit(1);
	if (call_and_recv(&ring, coord, &s, "held", ag, &r, in,
			  sizeof(in)) != 2 || write(ready, "r", 1) != 1)
		_exit(1);
	if (end == PENDING_EXEC) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(1);
	}
	for (;;)
		pause();
}

/*
 * A process with a call and a receive pending ends (@end): it goes, its
 * request is cancelled (the agent holding it is told -ENOENT), its
 * endpoints are released and nothing stays charged.
 */
static void pending_ends(struct __test_metadata *_metadata,
			 FIXTURE_DATA(uring) *self, unsigned int ring_flags,
			 enum pending_end end)
{
	struct fanout_live before;
	struct fanout_reply rep;
	struct fanout_recv r;
	char in[64];
	int holder, pipefd[2], status;
	pid_t pid;
	char c;

	holder = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, fanout_live_read(&before));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		pending_child(self->name, ring_flags, end, pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	/* The call reached the agent: it is pending in the child's ring. */
	recv_init(&r, in, sizeof(in));
	ASSERT_EQ(0, fanout_recv(holder, &r));
	if (end == PENDING_KILLED)
		ASSERT_EQ(0, kill(pid, SIGKILL));
	/* An exec that waited for the commands would hang here. */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (end == PENDING_KILLED) {
		EXPECT_TRUE(WIFSIGNALED(status));
	} else {
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	/* Its commands complete, its endpoints close: member 1 goes down. */
	ASSERT_EQ(0, stats_reach(self->owner, 0, 1));
	memset(&rep, 0, sizeof(rep));
	rep.id = r.id;
	EXPECT_EQ(-ENOENT, fanout_reply(holder, &rep));
	/* What it held is uncharged once its last command is freed. */
	EXPECT_EQ(0, live_reach(&before));
	fanout_close(holder);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(uring, sigkill_with_commands_pending)
{
	pending_ends(_metadata, self, 0, PENDING_KILLED);
}

/* The submitter is the SQPOLL thread, which the kill takes down too. */
TEST_F(uring, sigkill_sqpoll_with_commands_pending)
{
	pending_ends(_metadata, self, IORING_SETUP_SQPOLL, PENDING_KILLED);
}

/*
 * exec cancels the task's io_uring requests and waits for them with the
 * ring still open: the commands must complete then, not hang the exec.
 */
TEST_F(uring, exec_with_commands_pending)
{
	pending_ends(_metadata, self, 0, PENDING_EXEC);
}

/*
 * The ring is closed with a call and a receive pending: both are
 * cancelled, the request released, and the endpoints serve a new ring.
 */
TEST_F(uring, ring_closed_with_commands_pending)
{
	struct fanout_reply rep;
	struct fanout_recv r, hr;
	char in[64], hin[64];
	struct slot s, s2;
	void *data;
	int holder, ag;

	holder = fanout_test_agent(self->name, 0);
	ag = fanout_test_agent(self->name, 1);
	ASSERT_LE(0, holder);
	ASSERT_LE(0, ag);
	ASSERT_EQ(2, call_and_recv(&self->ring, self->owner, &s, "held", ag,
				   &r, in, sizeof(in)));
	recv_init(&hr, hin, sizeof(hin));
	ASSERT_EQ(0, fanout_recv(holder, &hr));
	io_uring_queue_exit(&self->ring);
	ASSERT_EQ(0, stats_reach(self->owner, 0, 2));
	memset(&rep, 0, sizeof(rep));
	rep.id = hr.id;
	EXPECT_EQ(-ENOENT, fanout_reply(holder, &rep));
	/* A new ring on the same endpoints. */
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
	recv_init(&r, in, sizeof(in));
	fanout_prep_recv(io_uring_get_sqe(&self->ring), ag, &r);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	slot_init(&s2, 2, "again");
	ASSERT_EQ(0, fanout_send(self->owner, &s2.c.send));
	ASSERT_EQ(0, ring_reap(&self->ring, &data));
	EXPECT_EQ(&r, data);
	EXPECT_EQ(s2.c.send.id, r.id);
	ASSERT_EQ(0, fanout_release(self->owner, s2.c.send.id));
	fanout_close(ag);
	fanout_close(holder);
}

/*
 * The group is destroyed with a call and a receive pending: the call
 * completes with its target failed (-EIDRM), the receive with -EIDRM.
 */
TEST_F(uring, group_destroyed_with_commands_pending)
{
	struct fanout_recv r;
	char in[64];
	struct slot s;
	int idle, ag, got = 0;

	idle = fanout_test_agent(self->name, 0);
	ag = fanout_test_agent(self->name, 1);
	ASSERT_LE(0, idle);
	ASSERT_LE(0, ag);
	ASSERT_EQ(2, call_and_recv(&self->ring, self->owner, &s, "queued", ag,
				   &r, in, sizeof(in)));
	ASSERT_EQ(0, fanout_group_destroy(self->owner, self->name));
	for (int k = 0; k < 2; k++) {
		void *data;
		int ret = ring_reap(&self->ring, &data);

		if (data == &s.c) {
			EXPECT_EQ(0, ret);
			EXPECT_EQ(1, s.c.results.nfailed);
			EXPECT_EQ(-EIDRM, s.res[0].status);
			got |= 1;
		} else {
			EXPECT_EQ(&r, data);
			EXPECT_EQ(-EIDRM, ret);
			got |= 2;
		}
	}
	EXPECT_EQ(3, got);
	fanout_close(ag);
	fanout_close(idle);
}

TEST_HARNESS_MAIN
