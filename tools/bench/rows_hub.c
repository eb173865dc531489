// SPDX-License-Identifier: MIT
/*
 * fanout hub agents: one agent process serves every member through a
 * hub. It opens an endpoint per member, joins it and attaches it to one
 * hub endpoint (FANOUT_IOC_HUB_ADD); then each FANOUT_IOC_HUB_SERVE
 * replies to everything the previous one received and receives what is
 * queued by then, blocking only when there is nothing. The serve is
 * a uring_cmd on a ring (hub_agent_uring) or the blocking ioctl
 * (hub_agent_ioctl): one system call per wake-up either way. The group
 * and the coordinators are those of rows_fanout.c and rows_uring.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bench.h"
#include "libfanout_uring.h"

/*
 * Requests one serve may take: the hub's limit. An agent endpoint serves
 * one conversation at a time, and each request of these rows is a
 * conversation of its own (kernel UUIDs), so a serve takes one request
 * per member that has one: at most N.
 */
#define HUB_MSGS	FANOUT_HUB_SLOTS_MAX

struct hub {
	int fd;			/* the hub endpoint */
	struct io_uring ring;	/* the serve's ring (hub_agent_uring) */
	struct fanout_hub_serve serve;
	struct fanout_hub_reply *replies;
	struct fanout_hub_msg *msgs;
	char *buf;		/* the payloads received, and replied */
};

/*
 * The hub and its N member endpoints, joined and attached: 0 or -errno.
 * The hub holds the attached files, so their descriptors are closed.
 */
static int hub_open(struct hub *h, const struct fo_ctx *c)
{
	h->replies = calloc(HUB_MSGS, sizeof(*h->replies));
	h->msgs = calloc(HUB_MSGS, sizeof(*h->msgs));
	h->buf = malloc((size_t)HUB_MSGS * BENCH_MAX_PAYLOAD);
	h->fd = fanout_open(0);
	if (!h->replies || !h->msgs || !h->buf)
		return -ENOMEM;
	if (h->fd < 0)
		return h->fd;
	for (int i = 0; i < c->n; i++) {
		struct fanout_hub_add add = { .fd = fanout_open(0) };
		int ret = add.fd;

		if (ret >= 0)
			ret = fanout_group_open(add.fd, c->name);
		if (!ret)
			ret = fanout_join(add.fd, i) == i ? 0 : -EIO;
		if (!ret && ioctl(h->fd, FANOUT_IOC_HUB_ADD, &add) < 0)
			ret = -errno;
		if (add.fd >= 0)
			fanout_close(add.fd);
		if (ret)
			return ret;
	}
	h->serve.replies = (unsigned long)h->replies;
	h->serve.msgs = (unsigned long)h->msgs;
	h->serve.buf = (unsigned long)h->buf;
	h->serve.buf_len = HUB_MSGS * BENCH_MAX_PAYLOAD;
	return 0;
}

static int hub_serve_ioctl(struct hub *h)
{
	return ioctl(h->fd, FANOUT_IOC_HUB_SERVE, &h->serve) < 0 ? -errno : 0;
}

/*
 * The same serve as one SQE: io_uring_submit_and_wait() submits it and
 * waits for its completion in one io_uring_enter(); the CQE is then
 * read without a system call.
 */
static int hub_serve_uring(struct hub *h)
{
	struct io_uring_cqe *cqe;
	int ret;

	fanout_prep_cmd(io_uring_get_sqe(&h->ring), h->fd,
			FANOUT_IOC_HUB_SERVE, &h->serve);
	ret = io_uring_submit_and_wait(&h->ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_peek_cqe(&h->ring, &cqe);
	if (ret < 0)
		return ret;
	ret = fanout_cqe_decode(cqe, NULL);
	io_uring_cqe_seen(&h->ring, cqe);
	return ret;
}

/*
 * Serve until every slot reported its end (the group destroyed) or the
 * serve fails. Each request is answered with its own payload, straight
 * from where the serve put it: the next serve does the replies before it
 * receives into the buffer again.
 */
static void hub_run(struct hub *h, int idx, int n, int (*serve)(struct hub *h))
{
	int live = n;

	h->serve.nreplies = 0;
	while (live > 0) {
		unsigned int nr = 0;

		h->serve.nmsgs = HUB_MSGS;
		if (serve(h))
			break;
		for (unsigned int i = 0; i < h->serve.nmsgs; i++) {
			const struct fanout_hub_msg *m = &h->msgs[i];
			struct fanout_hub_reply *r = &h->replies[nr];

			if (m->error) {
				live--;
				continue;
			}
			agent_tick(idx);
			memset(r, 0, sizeof(*r));
			r->id = m->id;
			r->buf = (unsigned long)(h->buf + m->offset);
			r->len = m->len;
			r->slot = m->slot;
			nr++;
		}
		h->serve.nreplies = nr;
	}
}

void hub_agent_ioctl(int idx, void *arg)
{
	const struct fo_ctx *c = arg;
	struct hub h = { 0 };

	if (hub_open(&h, c))
		return;
	agent_ready(idx);
	hub_run(&h, idx, c->n, hub_serve_ioctl);
}

/* One serve in flight: a ring of a few entries is plenty. */
void hub_agent_uring(int idx, void *arg)
{
	const struct fo_ctx *c = arg;
	struct hub h = { 0 };

	if (hub_open(&h, c) || uring_bench_ring(4, &h.ring))
		return;
	agent_ready(idx);
	hub_run(&h, idx, c->n, hub_serve_uring);
	io_uring_queue_exit(&h.ring);
}
