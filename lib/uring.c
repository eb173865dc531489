// SPDX-License-Identifier: MIT
/*
 * libfanout over io_uring: SQEs for /dev/fanout's uring_cmd, and a small
 * layer that owns a ring. liburing before 2.5 has no uring_cmd helper:
 * the SQE is filled by hand, in fanout_prep_cmd() only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libfanout_uring.h"

#define FANOUT_API __attribute__((visibility("default")))

/**
 * struct fanout_uring - a ring owned by libfanout
 * @ring: the liburing ring
 */
struct fanout_uring {
	struct io_uring ring;
};

FANOUT_API void fanout_prep_cmd(struct io_uring_sqe *sqe, int fd,
				unsigned int cmd_op, void *arg)
{
	struct fanout_uring_cmd cmd = { .arg = (uintptr_t)arg };

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	io_uring_sqe_set_data(sqe, arg);
}

FANOUT_API void fanout_prep_call(struct io_uring_sqe *sqe, int fd,
				 struct fanout_call *call)
{
	fanout_prep_cmd(sqe, fd, FANOUT_IOC_CALL, call);
}

FANOUT_API void fanout_prep_wait(struct io_uring_sqe *sqe, int fd,
				 struct fanout_wait *wait)
{
	fanout_prep_cmd(sqe, fd, FANOUT_IOC_WAIT, wait);
}

FANOUT_API void fanout_prep_recv(struct io_uring_sqe *sqe, int fd,
				 struct fanout_recv *recv)
{
	fanout_prep_cmd(sqe, fd, FANOUT_IOC_RECV, recv);
}

FANOUT_API void fanout_prep_reply_recv(struct io_uring_sqe *sqe, int fd,
				       struct fanout_reply_recv *rr)
{
	fanout_prep_cmd(sqe, fd, FANOUT_IOC_REPLY_RECV, rr);
}

FANOUT_API void fanout_prep_hub_serve(struct io_uring_sqe *sqe, int hub_fd,
				      struct fanout_hub_serve *serve)
{
	fanout_prep_cmd(sqe, hub_fd, FANOUT_IOC_HUB_SERVE, serve);
}

FANOUT_API int fanout_cqe_decode(const struct io_uring_cqe *cqe, void **data)
{
	if (data)
		*data = io_uring_cqe_get_data(cqe);
	return cqe->res;
}

FANOUT_API int fanout_uring_open(unsigned int entries,
				 struct fanout_uring **ring)
{
	struct fanout_uring *r = calloc(1, sizeof(*r));
	struct io_uring_params p = { 0 };
	int ret;

	if (!r)
		return -ENOMEM;
	/* Completions may outnumber the SQ: let the CQ hold them all. */
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = entries * 2;
	ret = io_uring_queue_init_params(entries, &r->ring, &p);
	if (ret < 0) {
		free(r);
		return ret;
	}
	*ring = r;
	return 0;
}

FANOUT_API void fanout_uring_close(struct fanout_uring *ring)
{
	if (!ring)
		return;
	io_uring_queue_exit(&ring->ring);
	free(ring);
}

FANOUT_API struct io_uring *fanout_uring_ring(struct fanout_uring *ring)
{
	return &ring->ring;
}

FANOUT_API int fanout_uring_queue(struct fanout_uring *ring, int fd,
				  unsigned int cmd_op, void *arg, void *data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring->ring);
	int ret;

	if (!sqe) {
		/* The SQ is full: hand it to the kernel and try once more. */
		ret = io_uring_submit(&ring->ring);
		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(&ring->ring);
		if (!sqe)
			return -EBUSY;
	}
	fanout_prep_cmd(sqe, fd, cmd_op, arg);
	io_uring_sqe_set_data(sqe, data);
	return 0;
}

FANOUT_API int fanout_uring_submit(struct fanout_uring *ring)
{
	return io_uring_submit(&ring->ring);
}

FANOUT_API int fanout_uring_complete(struct fanout_uring *ring, int wait,
				     void **data)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (wait)
		ret = io_uring_wait_cqe(&ring->ring, &cqe);
	else
		ret = io_uring_peek_cqe(&ring->ring, &cqe);
	if (ret < 0)
		return ret;	/* -EAGAIN: nothing completed (peek) */
	ret = fanout_cqe_decode(cqe, data);
	io_uring_cqe_seen(&ring->ring, cqe);
	return ret;
}
