// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits: groups created, unreleased requests and kernel memory
 * held per user id, whatever the group. The limits are writable module
 * parameters; each test lowers one and restores it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

#define PARAM_DIR "/sys/module/fanout/parameters/"

static long param_read(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static int param_write(const char *name, long val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", val) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

FIXTURE(limit) {
	const char *param;
	long saved;
	int fd[4];
	char name[2][FANOUT_NAME_MAX];
};

FIXTURE_SETUP(limit)
{
	for (int i = 0; i < 4; i++)
		self->fd[i] = -EBADF;
	self->param = NULL;
	self->saved = -1;
}

FIXTURE_TEARDOWN(limit)
{
	for (int i = 0; i < 4; i++)
		if (self->fd[i] >= 0)
			fanout_close(self->fd[i]);
	if (self->param)
		EXPECT_EQ(0, param_write(self->param, self->saved));
}

/* Lower @param to @val for this test. */
static void limit_set(struct __test_metadata *_metadata,
		      FIXTURE_DATA(limit) *self, const char *param, long val)
{
	self->saved = param_read(param);
	ASSERT_LE(0, self->saved);
	self->param = param;
	ASSERT_EQ(0, param_write(param, val));
}

static int send_bytes(int fd, size_t len)
{
	static char payload[65536];
	struct fanout_send s;

	memset(&s, 0, sizeof(s));
	s.payload = (unsigned long)payload;
	s.payload_len = len;
	return fanout_send(fd, &s);
}

/*
 * As a user that has no groups yet (groups outlive their endpoints, so
 * root's count depends on the tests before): 0 when all steps hold,
 * else the number of the step that failed.
 */
static int groups_per_user_steps(void)
{
	char name[3][FANOUT_NAME_MAX];
	int fd[3];

	if (setresgid(4242, 4242, 4242) || setresuid(4242, 4242, 4242))
		return 1;
	for (int i = 0; i < 3; i++)
		fanout_test_name(name[i], "ulim");
	for (int i = 0; i < 2; i++) {
		fd[i] = fanout_test_create(name[i], 1, 0);
		if (fd[i] < 0)
			return 2;
	}
	if (fanout_test_create(name[2], 1, 0) != -ENOSPC)
		return 3;
	/* A group outlives its creator's endpoint until destroyed... */
	fanout_close(fd[0]);
	if (fanout_test_create(name[2], 1, 0) != -ENOSPC)
		return 4;
	/* ...and once destroyed and unreferenced, it is uncharged. */
	if (fanout_group_destroy(fd[1], name[0]))
		return 5;
	fd[2] = fanout_test_create(name[2], 1, 0);
	if (fd[2] < 0)
		return 6;
	fanout_group_destroy(fd[2], name[1]);
	fanout_group_destroy(fd[2], name[2]);
	return 0;
}

TEST_F(limit, groups_per_user)
{
	int status;
	pid_t pid;

	limit_set(_metadata, self, "max_user_groups", 2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(groups_per_user_steps());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Requests count per user across all groups. */
TEST_F(limit, requests_per_user)
{
	for (int i = 0; i < 2; i++) {
		fanout_test_name(self->name[i], "ureq");
		self->fd[i] = fanout_test_create(self->name[i], 1, 0);
		ASSERT_LE(0, self->fd[i]);
	}
	limit_set(_metadata, self, "max_user_requests", 3);
	EXPECT_EQ(0, send_bytes(self->fd[0], 1));
	EXPECT_EQ(0, send_bytes(self->fd[0], 1));
	EXPECT_EQ(0, send_bytes(self->fd[1], 1));
	EXPECT_EQ(-EAGAIN, send_bytes(self->fd[1], 1));
	EXPECT_EQ(-EAGAIN, send_bytes(self->fd[0], 1));
	/* Closing an endpoint frees its requests and their charge. */
	fanout_close(self->fd[0]);
	self->fd[0] = -EBADF;
	EXPECT_EQ(0, send_bytes(self->fd[1], 1));
}

TEST_F(limit, bytes_per_user)
{
	fanout_test_name(self->name[0], "ubyt");
	self->fd[0] = fanout_test_create(self->name[0], 1, 0);
	ASSERT_LE(0, self->fd[0]);
	limit_set(_metadata, self, "max_user_bytes", 50000);
	EXPECT_EQ(0, send_bytes(self->fd[0], 20000));
	EXPECT_EQ(0, send_bytes(self->fd[0], 20000));
	EXPECT_EQ(-EAGAIN, send_bytes(self->fd[0], 20000));
	EXPECT_EQ(0, send_bytes(self->fd[0], 1000));
}

/*
 * Replies are held for the coordinator, so they count against its user;
 * a reply that does not fit fails the target with -ENOBUFS.
 */
TEST_F(limit, reply_bytes_charge_coordinator)
{
	static char big[30000];
	struct fanout_reply rep;
	struct fanout_recv rcv;
	struct fanout_results q;
	struct fanout_result res;
	char buf[16];

	fanout_test_name(self->name[0], "urep");
	self->fd[0] = fanout_test_create(self->name[0], 1, 0);
	ASSERT_LE(0, self->fd[0]);
	self->fd[1] = fanout_test_agent(self->name[0], 0);
	ASSERT_LE(0, self->fd[1]);
	limit_set(_metadata, self, "max_user_bytes", 20000);
	ASSERT_EQ(0, send_bytes(self->fd[0], 10));

	memset(&rcv, 0, sizeof(rcv));
	rcv.buf = (unsigned long)buf;
	rcv.buf_len = sizeof(buf);
	ASSERT_EQ(0, fanout_recv(self->fd[1], &rcv));
	memset(&rep, 0, sizeof(rep));
	rep.id = rcv.id;
	rep.buf = (unsigned long)big;
	rep.len = sizeof(big);
	EXPECT_EQ(-ENOBUFS, fanout_reply(self->fd[1], &rep));

	memset(&q, 0, sizeof(q));
	memset(&res, 0, sizeof(res));
	q.id = rcv.id;
	q.results = (unsigned long)&res;
	q.count = 1;
	ASSERT_EQ(0, fanout_results(self->fd[0], &q));
	EXPECT_EQ(FANOUT_TARGET_FAILED, res.state);
	EXPECT_EQ(-ENOBUFS, res.status);
}

TEST_HARNESS_MAIN
