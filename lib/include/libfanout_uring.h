/* SPDX-License-Identifier: MIT */
/*
 * libfanout over io_uring (liburing): asynchronous calls, waits and
 * receives that complete as CQEs.
 *
 * The fanout_prep_*() functions fill an SQE of the caller's own ring, so
 * fanout composes with the program's other I/O; fanout_cqe_decode()
 * reads the CQE back. struct fanout_uring is a small convenience layer
 * that owns a ring. The argument structure, and every buffer it names
 * that the kernel writes (receive buffer, results array, reply buffers;
 * a hub serve's replies, messages and buffer), must stay valid until the
 * command's CQE; see fanout_prep_cmd(3).
 */
#ifndef LIBFANOUT_URING_H
#define LIBFANOUT_URING_H

#include <liburing.h>

#include "libfanout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SQEs on the caller's ring; user_data is set to the argument's address */
void fanout_prep_cmd(struct io_uring_sqe *sqe, int fd, unsigned int cmd_op,
		     void *arg);
void fanout_prep_call(struct io_uring_sqe *sqe, int fd,
		      struct fanout_call *call);
void fanout_prep_wait(struct io_uring_sqe *sqe, int fd,
		      struct fanout_wait *wait);
void fanout_prep_recv(struct io_uring_sqe *sqe, int fd,
		      struct fanout_recv *recv);
void fanout_prep_reply_recv(struct io_uring_sqe *sqe, int fd,
			    struct fanout_reply_recv *rr);
void fanout_prep_hub_serve(struct io_uring_sqe *sqe, int hub_fd,
			   struct fanout_hub_serve *serve);
int fanout_cqe_decode(const struct io_uring_cqe *cqe, void **data);

/* A ring of its own */
struct fanout_uring;

int fanout_uring_open(unsigned int entries, struct fanout_uring **ring);
void fanout_uring_close(struct fanout_uring *ring);
struct io_uring *fanout_uring_ring(struct fanout_uring *ring);
int fanout_uring_queue(struct fanout_uring *ring, int fd,
		       unsigned int cmd_op, void *arg, void *data);
int fanout_uring_submit(struct fanout_uring *ring);
int fanout_uring_complete(struct fanout_uring *ring, int wait, void **data);

#ifdef __cplusplus
}
#endif

#endif /* LIBFANOUT_URING_H */
