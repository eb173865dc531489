// SPDX-License-Identifier: MIT
/*
 * fanout io_uring rows: a coordinator keeping 1, 64 or 1024 calls in
 * flight on one ring (each timed fan-out is one completion), and one
 * agent process serving every member through one ring of
 * reply-and-receives, against blocking coordinator calls. The group and
 * the agents are those of rows_fanout.c (struct fo_ctx).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "libfanout_uring.h"

/*
 * A ring whose task work runs only when its (single) task asks for
 * completions: a completion then costs no signal or IPI, and a burst of
 * them one wake-up (IORING_SETUP_DEFER_TASKRUN, 6.1). Older kernels:
 * cooperative task work, or none of it.
 */
int uring_bench_ring(unsigned int entries, struct io_uring *ring)
{
	static const unsigned int flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int ret = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		ret = io_uring_queue_init(entries, ring, flags[i]);
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

/* A coordinator's ring and its calls in flight. */
struct uring_co {
	struct fo_ctx *fo;
	struct io_uring ring;
	int slots;		/* calls kept in flight */
	int inflight;
	int *free;		/* stack of idle slots */
	int nfree;
	struct fanout_call *calls;
	struct fanout_result *res;	/* fo->n entries per slot */
};

int uring_co_setup(const struct bench_row *row, int n, long param, void **ctx)
{
	struct uring_co *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	u->slots = row->variant;
	u->calls = calloc(u->slots, sizeof(*u->calls));
	u->res = calloc((size_t)u->slots * n, sizeof(*u->res));
	u->free = calloc(u->slots, sizeof(*u->free));
	if (!u->calls || !u->res || !u->free) {
		ret = -ENOMEM;
		goto err;
	}
	for (int i = 0; i < u->slots; i++)
		u->free[u->nfree++] = i;
	ret = uring_bench_ring(u->slots, &u->ring);
	if (ret)
		goto err;
	ret = fo_setup(row, n, param, (void **)&u->fo);
	if (ret) {
		io_uring_queue_exit(&u->ring);
		goto err;
	}
	*ctx = u;
	return 0;
err:
	free(u->calls);
	free(u->res);
	free(u->free);
	free(u);
	return ret;
}

/* Start a call in an idle slot: the payload is copied at submission. */
static void uring_co_start(struct uring_co *u, const void *req, size_t size)
{
	int slot = u->free[--u->nfree];
	struct fanout_call *c = &u->calls[slot];
	struct fanout_result *res = u->res + (size_t)slot * u->fo->n;

	memset(c, 0, sizeof(*c));
	c->send.payload = (unsigned long)req;
	c->send.payload_len = size;
	/* Every target's status, no reply payload: a copy per target less. */
	memset(res, 0, u->fo->n * sizeof(*res));
	c->results.results = (unsigned long)res;
	c->results.count = u->fo->n;
	c->results.flags = FANOUT_RESULTS_RELEASE;
	fanout_prep_call(io_uring_get_sqe(&u->ring), u->fo->co, c);
	u->inflight++;
}

/* Take completion @cqe: its call (*@cp) goes back to the idle slots. */
static int uring_co_reap(struct uring_co *u, struct io_uring_cqe *cqe,
			 struct fanout_call **cp)
{
	int ret = fanout_cqe_decode(cqe, (void **)cp);

	io_uring_cqe_seen(&u->ring, cqe);
	u->inflight--;
	u->free[u->nfree++] = *cp - u->calls;
	return ret;
}

/*
 * Return at the next completion. Completions already posted are taken
 * without a system call; once none is left, every idle slot gets a new
 * call and one io_uring_enter() submits them all and waits: the agents
 * then find many requests queued at each wake-up.
 */
int uring_co_fanout(void *ctx, const void *req, size_t size)
{
	struct uring_co *u = ctx;
	struct io_uring_cqe *cqe;
	struct fanout_call *c;
	int ret;

	while (io_uring_peek_cqe(&u->ring, &cqe)) {
		while (u->nfree)
			uring_co_start(u, req, size);
		ret = io_uring_submit_and_wait(&u->ring, 1);
		if (ret < 0)
			return ret;
	}
	ret = uring_co_reap(u, cqe, &c);
	if (ret)
		return ret;
	return c->results.nreplied == (unsigned int)u->fo->n ? 0 : -EIO;
}

/* Complete every call in flight; how many, or -errno. */
int uring_co_drain(void *ctx)
{
	struct uring_co *u = ctx;
	int done = 0;

	while (u->inflight) {
		struct io_uring_cqe *cqe;
		struct fanout_call *c;
		int ret = io_uring_wait_cqe(&u->ring, &cqe);

		if (ret < 0)
			return ret;
		ret = uring_co_reap(u, cqe, &c);
		if (ret)
			return ret;
		done++;
	}
	return done;
}

void uring_co_teardown(void *ctx)
{
	struct uring_co *u = ctx;

	/* Destroying the group completes what is in flight: collect it. */
	fo_teardown(u->fo);
	while (u->inflight) {
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe(&u->ring, &cqe))
			break;
		io_uring_cqe_seen(&u->ring, cqe);
		u->inflight--;
	}
	io_uring_queue_exit(&u->ring);
	free(u->calls);
	free(u->res);
	free(u->free);
	free(u);
}

/* ---- one agent process, every member, one ring --------------------------- */

struct uring_member {
	int fd;
	struct fanout_reply_recv rr;
	char buf[BENCH_MAX_PAYLOAD];
};

static void uring_member_arm(struct io_uring *ring, struct uring_member *m)
{
	m->rr.recv.buf = (unsigned long)m->buf;
	m->rr.recv.buf_len = sizeof(m->buf);
	fanout_prep_reply_recv(io_uring_get_sqe(ring), m->fd, &m->rr);
}

void uring_agent(int idx, void *arg)
{
	struct fo_ctx *c = arg;
	struct uring_member *ms = calloc(c->n, sizeof(*ms));
	struct io_uring ring;
	int live = c->n;

	if (!ms || uring_bench_ring(c->n, &ring))
		return;
	for (int i = 0; i < c->n; i++) {
		ms[i].fd = fanout_open(0);
		if (ms[i].fd < 0 || fanout_group_open(ms[i].fd, c->name) ||
		    fanout_join(ms[i].fd, i) != i)
			return;
		uring_member_arm(&ring, &ms[i]);
	}
	if (io_uring_submit(&ring) != c->n)
		return;
	agent_ready(idx);
	/*
	 * One system call per wake-up: it submits every reply-and-receive
	 * re-armed since the last one and waits; then every completion
	 * posted is handled before the next.
	 */
	while (live) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (io_uring_submit_and_wait(&ring, 1) < 0)
			break;
		io_uring_for_each_cqe(&ring, head, cqe) {
			struct fanout_reply_recv *rr;
			struct uring_member *m;

			seen++;
			if (fanout_cqe_decode(cqe, (void **)&rr)) {
				live--;		/* the group is gone */
				continue;
			}
			agent_tick(idx);
			m = (struct uring_member *)((char *)rr -
						    offsetof(struct uring_member, rr));
			m->rr.reply.id = m->rr.recv.id;
			m->rr.reply.buf = (unsigned long)m->buf;
			m->rr.reply.len = m->rr.recv.len;
			uring_member_arm(&ring, m);
		}
		io_uring_cq_advance(&ring, seen);
	}
	io_uring_queue_exit(&ring);
}
