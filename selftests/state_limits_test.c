// SPDX-License-Identifier: GPL-2.0
/*
 * Every bad input of the expected-state ioctls, one test each, with the
 * exact errno: unknown flags, reserved fields, sizes, blob limits, bad
 * pointers, generations out of range, endpoints not bound or not joined,
 * missing permission; and the redelivery mark of a receive, an output
 * ignored on input.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_state.h"

/* The redelivery mark is an output: set on input it is ignored. */
TEST_F(st, recv_redelivered_flag_ignored_on_input)
{
	char buf[16];
	struct fanout_recv r = {
		.buf = (uintptr_t)buf, .buf_len = sizeof(buf),
		.flags = FANOUT_RECV_NONBLOCK | FANOUT_RECV_REDELIVERED,
	};
	__u64 id = send_to(self->co, 2, 0, 0);

	ASSERT_NE(0, id);
	ASSERT_EQ(0, fanout_recv(self->ag[2], &r));
	EXPECT_EQ(id, r.id);
	EXPECT_EQ(FANOUT_RECV_NONBLOCK, r.flags);
}

TEST_F(st, set_state_unknown_flags)
{
	struct fanout_state s = { .flags = 1 };

	EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_STATE_SET, &s));
}

TEST_F(st, set_state_reserved)
{
	struct fanout_state s = { .reserved = { 0, 1 } };

	EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_STATE_SET, &s));
	s.reserved[1] = 0;
	s.reserved0 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->co, FANOUT_IOC_STATE_SET, &s));
}

TEST_F(st, set_state_blob_too_large)
{
	static char blob[FANOUT_STATE_BLOB_MAX + 1];

	EXPECT_EQ(-EMSGSIZE, fanout_state_set(self->co, 1, blob,
					      sizeof(blob), NULL));
	EXPECT_EQ(0, fanout_state_set(self->co, 1, blob, sizeof(blob) - 1,
				      NULL));
}

TEST_F(st, set_state_blob_bad_pointer)
{
	struct fanout_state s = { .blob = bad_addr(), .blob_len = 4 };
	struct fanout_state g = { 0 };

	EXPECT_EQ(-EFAULT, xioctl(self->co, FANOUT_IOC_STATE_SET, &s));
	ASSERT_EQ(0, fanout_state_get(self->co, &g));
	EXPECT_EQ(0, g.generation);
}

/* Set-state needs send permission: an agent-only user gets -EACCES. */
TEST_F(st, set_state_without_send_permission)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, fanout_group_destroy(self->co, self->name));
	close(self->co);
	self->co = fanout_test_create_mode(self->name, NMEMB, 0, 0644);
	ASSERT_LE(0, self->co);
	pid = fork();
	if (!pid) {
		int fd;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		fd = fanout_open(0);
		if (fd < 0 || fanout_group_open(fd, self->name))
			_exit(3);
		_exit(fanout_state_set(fd, 1, NULL, 0, NULL) == -EACCES ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(st, set_state_unbound)
{
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, fanout_state_set(fd, 1, NULL, 0, NULL));
	close(fd);
}

TEST_F(st, get_state_blob_buffer_too_small)
{
	struct fanout_state s = { 0 };
	char buf[2];

	ASSERT_EQ(0, fanout_state_set(self->co, 1, "abcd", 4, NULL));
	s.blob = (uintptr_t)buf;
	s.blob_len = sizeof(buf);
	EXPECT_EQ(-EMSGSIZE, fanout_state_get(self->co, &s));
	EXPECT_EQ(4, s.blob_len);
}

TEST_F(st, get_state_reserved)
{
	struct fanout_state s = { .reserved = { 1, 0 } };

	EXPECT_EQ(-EINVAL, fanout_state_get(self->co, &s));
}

TEST_F(st, confirm_unknown_flags)
{
	struct fanout_confirm c = { .flags = 1 };

	EXPECT_EQ(-EINVAL, xioctl(self->ag[0], FANOUT_IOC_CONFIRM, &c));
}

TEST_F(st, confirm_reserved)
{
	struct fanout_confirm c = { .reserved = 1 };

	EXPECT_EQ(-EINVAL, xioctl(self->ag[0], FANOUT_IOC_CONFIRM, &c));
}

TEST_F(st, confirm_future_generation)
{
	EXPECT_EQ(-EINVAL, fanout_confirm(self->ag[0], 1));
	EXPECT_EQ(0, STAT(self->co, confirms));
}

/* Generation 0 is no state, before and after the first set. */
TEST_F(st, confirm_generation_zero)
{
	EXPECT_EQ(-EINVAL, fanout_confirm(self->ag[0], 0));
	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, fanout_confirm(self->ag[0], 0));
	EXPECT_EQ(0, STAT(self->co, confirms));
	EXPECT_EQ(0, STAT(self->co, stale_confirms));
}

TEST_F(st, confirm_not_joined)
{
	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, NULL));
	EXPECT_EQ(-ENOTCONN, fanout_confirm(self->co, 1));
}

TEST_F(st, confirm_unbound)
{
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, fanout_confirm(fd, 1));
	close(fd);
}

TEST_F(st, state_wait_unknown_flags)
{
	struct fanout_state_wait w = { .flags = 2 };

	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_reserved)
{
	struct fanout_state_wait w = { .flags = FANOUT_STATE_WAIT_TIMEOUT,
				       .reserved = { 0, 1 } };

	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_timeout_without_flag)
{
	struct fanout_state_wait w = { .timeout_ns = 1 };

	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_bitmap_too_small)
{
	struct fanout_state_wait w;
	__u64 up, conf;

	poll_init(&w, 0, &up, &conf);
	w.bitmap_bits = NMEMB - 1;
	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_bitmap_over_max)
{
	static __u64 up[FANOUT_MEMBERS_MAX / 64 + 1], conf[FANOUT_MEMBERS_MAX / 64 + 1];
	struct fanout_state_wait w;

	poll_init(&w, 0, up, conf);
	w.bitmap_bits = FANOUT_MEMBERS_MAX + 1;
	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_bits_without_bitmap)
{
	struct fanout_state_wait w = { .flags = FANOUT_STATE_WAIT_TIMEOUT,
				       .bitmap_bits = NMEMB };

	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_future_generation)
{
	struct fanout_state_wait w = { .flags = FANOUT_STATE_WAIT_TIMEOUT,
				       .generation = 1 };

	EXPECT_EQ(-EINVAL, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_older_generation)
{
	struct fanout_state_wait w = { .flags = FANOUT_STATE_WAIT_TIMEOUT,
				       .generation = 1 };

	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, NULL));
	ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, NULL));
	EXPECT_EQ(-ESTALE, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_bitmap_bad_pointer)
{
	struct fanout_state_wait w;
	__u64 conf;

	poll_init(&w, 0, NULL, &conf);
	w.up = bad_addr();
	EXPECT_EQ(-EFAULT, fanout_state_wait(self->co, &w));
}

TEST_F(st, state_wait_unbound)
{
	struct fanout_state_wait w = { 0 };
	int fd = fanout_open(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, fanout_state_wait(fd, &w));
	close(fd);
}

/*
 * fanout_group_stats grew: its 64-byte first version is still accepted
 * (and only that much written), anything shorter refused with -EINVAL.
 */
TEST_F(st, stats_first_version_size)
{
	struct fanout_group_stats st;
	unsigned long cmd = _IOC(_IOC_READ, FANOUT_IOC_MAGIC, 0x05,
				 offsetof(struct fanout_group_stats, confirms));

	memset(&st, 0xff, sizeof(st));
	ASSERT_EQ(0, xioctl(self->co, cmd, &st));
	EXPECT_EQ(NMEMB - 1, st.members_up);
	EXPECT_EQ(~0ULL, st.confirms);
	EXPECT_EQ(-EINVAL, xioctl(self->co, _IOC(_IOC_READ, FANOUT_IOC_MAGIC,
						 0x05, 56), &st));
}

TEST_HARNESS_MAIN
