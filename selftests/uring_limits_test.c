// SPDX-License-Identifier: GPL-2.0
/*
 * Every bad IORING_OP_URING_CMD SQE on /dev/fanout, one test per rejected
 * input, each asserting the CQE's errno: unknown and unsupported cmd_op,
 * non-zero reserved bytes (SQE128 rings included), bad and short
 * argument structures, and the ioctl's own errors arriving as CQEs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "uring_util.h"

/* An SQE whose cmd_op is no fanout command. */
TEST_F(uring, sqe_unknown_cmd_op)
{
	struct fanout_id id = { 0 };

	EXPECT_EQ(-ENOTTY, ring_run(&self->ring, self->owner, 0x1234, &id));
}

/* An ioctl that the ring does not run (group management). */
TEST_F(uring, sqe_ioctl_not_on_ring)
{
	struct fanout_group_name n = { 0 };

	EXPECT_EQ(-ENOTTY, ring_run(&self->ring, self->owner,
				    FANOUT_IOC_GROUP_DESTROY, &n));
}

/* A non-zero reserved field in the command area. */
TEST_F(uring, sqe_reserved_nonzero)
{
	struct fanout_uring_cmd cmd;
	struct io_uring_sqe *sqe;
	struct slot s;

	slot_init(&s, 0, "x");
	sqe = ring_cmd(&self->ring, self->owner, FANOUT_IOC_CALL, &s.c);
	memcpy(&cmd, sqe->cmd, sizeof(cmd));
	cmd.reserved = 1;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	EXPECT_EQ(-EINVAL, ring_reap(&self->ring, NULL));
	EXPECT_EQ(0, s.c.send.id);
}

/* A non-zero byte past the 16-byte command on an SQE128 ring. */
TEST_F(uring, sqe128_tail_nonzero)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct slot s;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));
	slot_init(&s, 0, "x");
	sqe = ring_cmd(&ring, self->owner, FANOUT_IOC_CALL, &s.c);
	/* The SQE is 128 bytes: its command area is 80. */
	((__u8 *)sqe->cmd)[40] = 1;
	EXPECT_EQ(-EINVAL, ring_reap(&ring, NULL));
	EXPECT_EQ(0, s.c.send.id);
	io_uring_queue_exit(&ring);
}

/* A command on an SQE128 ring, its tail zero, runs as on a plain ring. */
TEST_F(uring, sqe128_ring_accepted)
{
	struct fanout_version v;
	struct io_uring ring;
	struct slot s;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, IORING_SETUP_SQE128));
	slot_init(&s, 0, "x");
	ring_cmd(&ring, self->owner, FANOUT_IOC_SEND, &s.c.send);
	/* No member is up: a send with no target. */
	EXPECT_EQ(0, ring_reap(&ring, NULL));
	ASSERT_EQ(0, fanout_version(self->owner, &v));
	EXPECT_EQ(0, fanout_release(self->owner, s.c.send.id));
	io_uring_queue_exit(&ring);
}

/* The argument pointer faults. */
TEST_F(uring, sqe_bad_arg_pointer)
{
	EXPECT_EQ(-EFAULT, ring_run(&self->ring, self->owner, FANOUT_IOC_CALL,
				    (void *)(uintptr_t)bad_addr()));
}

/* A NULL argument pointer. */
TEST_F(uring, sqe_null_arg_pointer)
{
	EXPECT_EQ(-EFAULT, ring_run(&self->ring, self->owner, FANOUT_IOC_WAIT,
				    NULL));
}

/* A cmd_op whose size field is below the structure's first version. */
TEST_F(uring, sqe_short_struct)
{
	struct fanout_call c = { 0 };
	unsigned int op = _IOC(_IOC_DIR(FANOUT_IOC_CALL),
			       _IOC_TYPE(FANOUT_IOC_CALL),
			       _IOC_NR(FANOUT_IOC_CALL), 8);

	EXPECT_EQ(-EINVAL, ring_run(&self->ring, self->owner, op, &c));
}

/* A call on the ring from an endpoint bound to no group. */
TEST_F(uring, sqe_call_unbound)
{
	struct slot s;
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	slot_init(&s, 0, "x");
	EXPECT_EQ(-EBADFD, ring_run(&self->ring, fd, FANOUT_IOC_CALL, &s.c));
	fanout_close(fd);
}

/* A call with a non-zero reserved field of its send. */
TEST_F(uring, sqe_call_reserved)
{
	struct slot s;

	slot_init(&s, 0, "x");
	s.c.send.reserved0 = 1;
	EXPECT_EQ(-EINVAL, ring_run(&self->ring, self->owner, FANOUT_IOC_CALL,
				    &s.c));
}

/* A wait on the ring whose timeout passes: the request goes on. */
TEST_F(uring, sqe_wait_timeout)
{
	struct fanout_wait w = { 0 };
	struct slot s;
	int idle = fanout_test_agent(self->name, 0);

	ASSERT_LE(0, idle);
	slot_init(&s, 1, "x");
	ASSERT_EQ(0, fanout_send(self->owner, &s.c.send));
	w.id = s.c.send.id;
	w.flags = FANOUT_WAIT_TIMEOUT;
	w.timeout_ns = 1000000;
	EXPECT_EQ(-ETIME, ring_run(&self->ring, self->owner, FANOUT_IOC_WAIT,
				   &w));
	EXPECT_EQ(1, w.ntargets);
	EXPECT_EQ(0, w.nreplied + w.nfailed);
	/* A timeout of 0 polls. */
	w.timeout_ns = 0;
	EXPECT_EQ(-ETIME, ring_run(&self->ring, self->owner, FANOUT_IOC_WAIT,
				   &w));
	EXPECT_EQ(0, fanout_release(self->owner, w.id));
	fanout_close(idle);
}

/* A call on the ring whose wait times out: its id names the request. */
TEST_F(uring, sqe_call_timeout)
{
	struct slot s;
	int idle = fanout_test_agent(self->name, 0);

	ASSERT_LE(0, idle);
	slot_init(&s, 1, "x");
	s.c.wait.flags = FANOUT_WAIT_TIMEOUT;
	s.c.wait.timeout_ns = 1000000;
	EXPECT_EQ(-ETIME, ring_run(&self->ring, self->owner, FANOUT_IOC_CALL,
				   &s.c));
	ASSERT_NE(0, s.c.send.id);
	EXPECT_EQ(0, fanout_release(self->owner, s.c.send.id));
	fanout_close(idle);
}

/* A wait on the ring for a request that does not exist. */
TEST_F(uring, sqe_wait_unknown_id)
{
	struct fanout_wait w = { .id = 0x7fffffff00000000ULL };

	EXPECT_EQ(-ENOENT, ring_run(&self->ring, self->owner, FANOUT_IOC_WAIT,
				    &w));
}

/* A non-blocking receive on the ring with nothing queued. */
TEST_F(uring, sqe_recv_nonblock_empty)
{
	struct fanout_recv r = { .flags = FANOUT_RECV_NONBLOCK };
	int ag = fanout_test_agent(self->name, 0);

	ASSERT_LE(0, ag);
	EXPECT_EQ(-EAGAIN, ring_run(&self->ring, ag, FANOUT_IOC_RECV, &r));
	fanout_close(ag);
}

/* A receive on the ring from an endpoint that joined no member. */
TEST_F(uring, sqe_recv_not_joined)
{
	struct fanout_recv r = { 0 };
	int fd = coordinator(self->name);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, ring_run(&self->ring, fd, FANOUT_IOC_RECV, &r));
	fanout_close(fd);
}

/* A pending receive's buffer faults when a request comes: it stays queued. */
TEST_F(uring, sqe_recv_bad_buffer)
{
	struct fanout_recv r = { 0 };
	char in[16];
	struct slot s;
	int ag = fanout_test_agent(self->name, 0);

	ASSERT_LE(0, ag);
	r.buf = bad_addr();
	r.buf_len = 16;
	fanout_prep_recv(io_uring_get_sqe(&self->ring), ag, &r);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	slot_init(&s, 1, "x");
	ASSERT_EQ(0, fanout_send(self->owner, &s.c.send));
	EXPECT_EQ(-EFAULT, ring_reap(&self->ring, NULL));
	recv_init(&r, in, sizeof(in));
	r.flags = FANOUT_RECV_NONBLOCK;
	EXPECT_EQ(0, fanout_recv(ag, &r));
	EXPECT_EQ(s.c.send.id, r.id);
	EXPECT_EQ(0, fanout_release(self->owner, s.c.send.id));
	fanout_close(ag);
}

/* A reply-and-receive on the ring whose reply names no taken request. */
TEST_F(uring, sqe_reply_recv_stale)
{
	struct fanout_reply_recv rr = { 0 };
	int ag = fanout_test_agent(self->name, 0);

	ASSERT_LE(0, ag);
	rr.reply.id = 0x7fffffff00000000ULL;
	EXPECT_EQ(-ENOENT, ring_run(&self->ring, ag, FANOUT_IOC_REPLY_RECV,
				    &rr));
	fanout_close(ag);
}

TEST_HARNESS_MAIN
