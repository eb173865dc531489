// SPDX-License-Identifier: GPL-2.0
/*
 * What the generic netlink family "fanout" refuses, one test each:
 * malformed messages (missing, oversized, wrong-type, unexpected and
 * unknown attributes, unknown commands) answered with an extended ack
 * naming the attribute, unknown groups, and what an unprivileged process
 * and another network namespace may see (nothing).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_util.h"
#include "fanout_nl.h"

#define NMEMB	16

FIXTURE(nlt) {
	char name[FANOUT_NAME_MAX];
	int co;
	struct nl nl;
};

FIXTURE_SETUP(nlt)
{
	fanout_test_name(self->name, "nllim");
	self->co = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, self->co);
	ASSERT_EQ(0, nl_open(&self->nl));
	ASSERT_NE(0, self->nl.family);
}

FIXTURE_TEARDOWN(nlt)
{
	fanout_group_destroy(self->co, self->name);
	close(self->co);
	nl_close(&self->nl);
}

/* ---- malformed messages ----------------------------------------------- */

TEST_F(nlt, missing_group_name)
{
	struct found f = { 0 };
	struct ext ext;

	EXPECT_EQ(-EINVAL, query(&self->nl, FANOUT_CMD_GET_STATS, 0, NULL,
				 &f, &ext));
	EXPECT_NE(NULL, strstr(ext.msg, "group-name"));
	EXPECT_EQ(FANOUT_A_GROUP_NAME, ext.miss_type);
}

TEST_F(nlt, missing_group_name_in_dump)
{
	struct found f = { 0 };
	struct ext ext;

	EXPECT_EQ(-EINVAL, query(&self->nl, FANOUT_CMD_GET_MEMBERS,
				 NLM_F_DUMP, NULL, &f, &ext));
	TH_LOG("extack \"%s\" missing type %u", ext.msg, ext.miss_type);
	EXPECT_NE(NULL, strstr(ext.msg, "group-name"));
}

TEST_F(nlt, oversized_group_name)
{
	struct nlmsghdr *nlh = group_msg(&self->nl, FANOUT_CMD_GET_STATS, 0,
					 NULL);
	char long_name[FANOUT_NAME_MAX + 8];
	struct ext ext;
	int ret;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	mnl_attr_put_strz(nlh, FANOUT_A_GROUP_NAME, long_name);
	ret = nl_talk(&self->nl, nlh, NULL, NULL, &ext);
	EXPECT_TRUE(ret == -ERANGE || ret == -EINVAL);
	EXPECT_NE(0, ext.offs);
	EXPECT_NE(0, ext.msg[0]);
}

TEST_F(nlt, group_name_wrong_type)
{
	struct nlmsghdr *nlh = group_msg(&self->nl, FANOUT_CMD_GET_STATS, 0,
					 NULL);
	struct ext ext;

	/* A u32, not a NUL-terminated string. */
	mnl_attr_put_u32(nlh, FANOUT_A_GROUP_NAME, 0x41414141);
	EXPECT_EQ(-EINVAL, nl_talk(&self->nl, nlh, NULL, NULL, &ext));
	EXPECT_NE(0, ext.offs);
}

TEST_F(nlt, unexpected_attribute)
{
	struct nlmsghdr *nlh = group_msg(&self->nl, FANOUT_CMD_GET_STATS, 0,
					 self->name);
	struct ext ext;

	mnl_attr_put_u64(nlh, FANOUT_A_GENERATION, 1);
	EXPECT_EQ(-EINVAL, nl_talk(&self->nl, nlh, NULL, NULL, &ext));
	EXPECT_NE(0, ext.offs);
}

TEST_F(nlt, unknown_attribute)
{
	struct nlmsghdr *nlh = group_msg(&self->nl, FANOUT_CMD_GET_STATS, 0,
					 self->name);
	struct ext ext;

	mnl_attr_put_u32(nlh, FANOUT_A_MAX + 10, 1);
	EXPECT_EQ(-EINVAL, nl_talk(&self->nl, nlh, NULL, NULL, &ext));
	EXPECT_NE(0, ext.offs);
}

TEST_F(nlt, unknown_command)
{
	struct ext ext;

	EXPECT_EQ(-EOPNOTSUPP, nl_talk(&self->nl,
				       group_msg(&self->nl, FANOUT_CMD_MAX + 1,
						 0, self->name),
				       NULL, NULL, &ext));
}

TEST_F(nlt, status_command_is_not_a_request)
{
	EXPECT_EQ(-EOPNOTSUPP, nl_talk(&self->nl,
				       group_msg(&self->nl, FANOUT_CMD_STATUS,
						 0, self->name),
				       NULL, NULL, NULL));
}

TEST_F(nlt, unknown_group)
{
	struct found f = { 0 };
	struct ext ext;

	EXPECT_EQ(-ENOENT, query(&self->nl, FANOUT_CMD_GET_STATS, 0,
				 "no-such-group", &f, &ext));
	EXPECT_NE(0, ext.offs);
}

/* ---- who sees what ---------------------------------------------------- */

/* In a child as uid 65534: the checks, exit status 0 when all held. */
static int unprivileged(const char *readable, const char *hidden)
{
	struct found f = { 0 };
	struct nl nl;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 2;
	if (nl_open(&nl))
		return 3;
	if (nl_subscribe(&nl) != -EPERM)
		return 4;
	if (query(&nl, FANOUT_CMD_GET_GROUP, NLM_F_DUMP, NULL, &f, NULL) !=
	    -EPERM)
		return 5;
	if (query(&nl, FANOUT_CMD_GET_STATUS, NLM_F_DUMP, NULL, &f, NULL) !=
	    -EPERM)
		return 6;
	if (query(&nl, FANOUT_CMD_GET_STATS, 0, hidden, &f, NULL) != -EACCES)
		return 7;
	if (query(&nl, FANOUT_CMD_GET_PENDING, NLM_F_DUMP, hidden, &f,
		  NULL) != -EACCES)
		return 8;
	if (query(&nl, FANOUT_CMD_GET_STATS, 0, readable, &f, NULL))
		return 9;
	nl_close(&nl);
	return 0;
}

TEST(unprivileged_sees_nothing)
{
	char hidden[FANOUT_NAME_MAX], readable[FANOUT_NAME_MAX];
	int h, r, status;
	pid_t pid;

	fanout_test_name(hidden, "nlhid");
	fanout_test_name(readable, "nlread");
	h = fanout_test_create_mode(hidden, 4, 0, 0600);
	r = fanout_test_create_mode(readable, 4, 0, 0644);
	ASSERT_LE(0, h);
	ASSERT_LE(0, r);
	pid = fork();
	if (!pid)
		_exit(unprivileged(readable, hidden));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	fanout_group_destroy(h, hidden);
	fanout_group_destroy(r, readable);
	close(h);
	close(r);
}

/*
 * In a new network namespace: no group of the parent is listed or found,
 * and its broadcast (sent and delivered in the parent's namespace before
 * the child creates its own group) never reaches the child, which sees
 * its own group's broadcast.
 */
static int other_netns(const char *parent_group, int go)
{
	char own[FANOUT_NAME_MAX];
	struct found f = { .name = parent_group };
	struct status s;
	int foreign = 0, co;
	struct nl nl;
	char c;

	if (unshare(CLONE_NEWNET))
		return 2;
	if (nl_open(&nl) || nl_subscribe(&nl))
		return 3;
	if (query(&nl, FANOUT_CMD_GET_GROUP, NLM_F_DUMP, NULL, &f, NULL) ||
	    f.named)
		return 4;
	if (query(&nl, FANOUT_CMD_GET_STATS, 0, parent_group, &f, NULL) !=
	    -ENOENT)
		return 5;
	/* Subscribed: let the parent broadcast, and wait until it did. */
	if (write(go, "s", 1) != 1 || read(go, &c, 1) != 1)
		return 6;
	fanout_test_name(own, "nlown");
	co = fanout_test_create(own, 2, 0);
	if (co < 0 || fanout_state_set(co, 5, NULL, 0, NULL))
		return 7;
	if (status_wait(&nl, own, FANOUT_REASON_STATE_SET, &s, &foreign))
		return 8;
	if (foreign)
		return 9;
	fanout_group_destroy(co, own);
	nl_close(&nl);
	return 0;
}

TEST_F(nlt, other_netns_sees_nothing)
{
	int sv[2], status;
	struct status s;
	pid_t pid;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, nl_subscribe(&self->nl));
	pid = fork();
	if (!pid) {
		close(sv[0]);
		_exit(other_netns(self->name, sv[1]));
	}
	close(sv[1]);
	if (read(sv[0], &c, 1) == 1) {
		ASSERT_EQ(0, fanout_state_set(self->co, 1, NULL, 0, NULL));
		/* Delivered here, so to every listener of this namespace. */
		ASSERT_EQ(0, status_wait(&self->nl, self->name,
					 FANOUT_REASON_STATE_SET, &s, NULL));
		ASSERT_EQ(1, write(sv[0], "g", 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
}

TEST_HARNESS_MAIN
