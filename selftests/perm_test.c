// SPDX-License-Identifier: GPL-2.0
/*
 * Who may use a group: the System V IPC style mode checked per class
 * (owner, group, others) when an endpoint opens the group, read to join
 * as an agent and write to send; who may destroy it (owner or
 * CAP_SYS_ADMIN); CAP_IPC_OWNER; and the isolation of groups between
 * network namespaces.
 *
 * The tests run as root. Unprivileged steps run in a forked child that
 * switches to uid 1000 or 2000 (with no supplementary groups unless
 * told), which clears its capabilities; the child reports through its
 * exit status, and prints the check that failed.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

#define UID_A	1000
#define GID_A	1000
#define UID_B	2000
#define GID_B	2000
#define NO_SUPP	((gid_t)-1)

#define NMEMB	4

/* In a child: report a failed check and exit with status 1. */
#define CHECK_EQ(expected, seen) do {					\
	long long __exp = (expected), __seen = (seen);			\
	if (__exp != __seen) {						\
		fprintf(stderr, "# %s:%d: child uid %d: %s (%lld) != %s (%lld)\n", \
			__FILE__, __LINE__, (int)geteuid(), #expected,	\
			__exp, #seen, __seen);				\
		return 1;						\
	}								\
} while (0)

#define CHECK(cond) CHECK_EQ(1, !!(cond))

static int capget_self(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &h, d);
}

/*
 * Become @uid/@gid with only @supp (or no) supplementary group. Moving
 * every uid away from 0 clears the permitted and effective capability
 * sets; check that it did. Root stays root.
 */
static int become(uid_t uid, gid_t gid, gid_t supp)
{
	struct __user_cap_data_struct d[2];

	if (supp == NO_SUPP ? setgroups(0, NULL) : setgroups(1, &supp))
		return -1;
	if (setresgid(gid, gid, gid))
		return -1;
	if (!uid)
		return 0;
	if (setresuid(uid, uid, uid))
		return -1;
	if (capget_self(d))
		return -1;
	if (d[0].effective || d[1].effective || d[0].permitted ||
	    d[1].permitted)
		return -1;
	return 0;
}

/* Stay root but lose capability @cap from the effective set. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &h, d);
}

/* What a child does, and what it expects. */
struct job {
	const char *name;
	int expect;		/* errno (negative) or 0 */
	unsigned int mode;	/* for child_create */
};

typedef int (*job_fn)(const struct job *job);

static int child_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * Run @fn in a child with the given credentials: uid 0 keeps root's
 * capabilities but for @drop, when not negative. The child's exit status:
 * 0 when every check held.
 */
static int run_job(uid_t uid, gid_t gid, gid_t supp, int drop, job_fn fn,
		   const struct job *job)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (become(uid, gid, supp)) {
			fprintf(stderr, "# cannot become uid %d\n", uid);
			_exit(2);
		}
		if (drop >= 0 && drop_cap(drop)) {
			fprintf(stderr, "# cannot drop capability %d\n", drop);
			_exit(2);
		}
		_exit(fn(job));
	}
	return child_wait(pid);
}

static int run_as(uid_t uid, gid_t gid, job_fn fn, const struct job *job)
{
	return run_job(uid, gid, NO_SUPP, -1, fn, job);
}

/*
 * Send a one-byte request to @member, or to every member up when
 * @member is negative: its target count, or -errno.
 */
static int send_one(int fd, int member, __u64 *id)
{
	__u64 mask = member >= 0 ? 1ULL << member : 0;
	struct fanout_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.payload = (uintptr_t)"x";
	s.payload_len = 1;
	if (mask) {
		s.targets = (uintptr_t)&mask;
		s.targets_bits = NMEMB;
	}
	ret = fanout_send(fd, &s);
	if (ret)
		return ret;
	if (id)
		*id = s.id;
	return s.ntargets;
}

/* ---- what the children do ---------------------------------------------- */

/* Open the group: job->expect. */
static int child_open(const struct job *job)
{
	int fd = fanout_open(0);

	CHECK(fd >= 0);
	CHECK_EQ(job->expect, fanout_group_open(fd, job->name));
	return 0;
}

/* Read permission only: open and join, but no send. */
static int child_reader(const struct job *job)
{
	struct fanout_call c;
	int fd = fanout_open(0);

	CHECK(fd >= 0);
	CHECK_EQ(0, fanout_group_open(fd, job->name));
	CHECK_EQ(1, fanout_join(fd, 1));
	CHECK_EQ(-EACCES, send_one(fd, 1, NULL));
	CHECK_EQ(-EACCES, send_one(fd, -1, NULL));
	memset(&c, 0, sizeof(c));
	c.send.payload = (uintptr_t)"x";
	c.send.payload_len = 1;
	CHECK_EQ(-EACCES, fanout_call(fd, &c));
	return 0;
}

/*
 * Write permission only: send (member 0 is served by root's agent, so
 * the request has one target, queued), but no join.
 */
static int child_writer(const struct job *job)
{
	struct fanout_results r;
	struct fanout_result res;
	__u64 id = 0;
	int fd = fanout_open(0);

	CHECK(fd >= 0);
	CHECK_EQ(0, fanout_group_open(fd, job->name));
	CHECK_EQ(-EACCES, fanout_join(fd, 1));
	CHECK_EQ(-EACCES, fanout_join(fd, FANOUT_MEMBER_ANY));
	CHECK_EQ(1, send_one(fd, 0, &id));
	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	r.id = id;
	r.results = (uintptr_t)&res;
	r.count = 1;
	CHECK_EQ(0, fanout_results(fd, &r));
	CHECK_EQ(0, res.member);
	CHECK_EQ(FANOUT_TARGET_QUEUED, res.state);
	return 0;
}

/* Read and write: join as member 1, send to it, answer, read the result. */
static int child_reader_writer(const struct job *job)
{
	struct fanout_results r;
	struct fanout_result res;
	struct fanout_reply rep;
	struct fanout_recv rcv;
	char buf[8];
	__u64 id = 0;
	int fd = fanout_open(0);

	CHECK(fd >= 0);
	CHECK_EQ(0, fanout_group_open(fd, job->name));
	CHECK_EQ(1, fanout_join(fd, 1));
	CHECK_EQ(1, send_one(fd, 1, &id));
	memset(&rcv, 0, sizeof(rcv));
	rcv.buf = (uintptr_t)buf;
	rcv.buf_len = sizeof(buf);
	rcv.flags = FANOUT_RECV_NONBLOCK;
	CHECK_EQ(0, fanout_recv(fd, &rcv));
	CHECK_EQ(id, rcv.id);
	memset(&rep, 0, sizeof(rep));
	rep.id = id;
	CHECK_EQ(0, fanout_reply(fd, &rep));
	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	r.id = id;
	r.results = (uintptr_t)&res;
	r.count = 1;
	r.flags = FANOUT_RESULTS_RELEASE;
	CHECK_EQ(0, fanout_results(fd, &r));
	CHECK_EQ(FANOUT_TARGET_REPLIED, res.state);
	return 0;
}

/* Create the group with job->mode; it outlives the child. */
static int child_create(const struct job *job)
{
	struct fanout_group_params info;
	int fd = fanout_test_create_mode(job->name, NMEMB, 0, job->mode);

	CHECK(fd >= 0);
	/* The creator's endpoint may do everything, whatever the mode. */
	CHECK_EQ(0, fanout_join(fd, 0));
	CHECK_EQ(1, send_one(fd, 0, NULL));
	CHECK_EQ(0, fanout_group_info(fd, &info));
	CHECK_EQ(geteuid(), info.uid);
	CHECK_EQ(getegid(), info.gid);
	CHECK_EQ(job->mode, info.mode);
	return 0;
}

/* Destroy the group: job->expect. */
static int child_destroy(const struct job *job)
{
	int fd = fanout_open(0);

	CHECK(fd >= 0);
	CHECK_EQ(job->expect, fanout_group_destroy(fd, job->name));
	return 0;
}

/* ---- fixture ----------------------------------------------------------- */

FIXTURE(perm) {
	char name[FANOUT_NAME_MAX];
	int co;		/* root's endpoint, when root created the group */
	int ag;		/* root's agent of member 0, when there is one */
};

FIXTURE_SETUP(perm)
{
	self->co = -EBADF;
	self->ag = -EBADF;
	ASSERT_EQ(0, geteuid()) {
		TH_LOG("these tests switch credentials: run them as root");
	}
	fanout_test_name(self->name, "perm");
}

FIXTURE_TEARDOWN(perm)
{
	int fd = fanout_open(0);

	/* Whoever created it, root may destroy it; it may be gone. */
	if (fd >= 0) {
		fanout_group_destroy(fd, self->name);
		fanout_close(fd);
	}
	if (self->ag >= 0)
		fanout_close(self->ag);
	if (self->co >= 0)
		fanout_close(self->co);
}

/* Root creates the group with @mode and serves member 0. */
static void root_group(struct __test_metadata *_metadata,
		       FIXTURE_DATA(perm) *self, unsigned int mode)
{
	self->co = fanout_test_create_mode(self->name, NMEMB, 0, mode);
	ASSERT_LE(0, self->co);
	ASSERT_EQ(0, fanout_join(self->co, 0));
}

/*
 * uid A creates the group with @mode (in a child that then exits);
 * root, by CAP_IPC_OWNER, serves member 0.
 */
static void user_group(struct __test_metadata *_metadata,
		       FIXTURE_DATA(perm) *self, unsigned int mode)
{
	struct job job = { .name = self->name, .mode = mode };

	ASSERT_EQ(0, run_as(UID_A, GID_A, child_create, &job));
	self->ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->ag);
}

/* ---- other class ------------------------------------------------------- */

TEST_F(perm, other_none_open)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	root_group(_metadata, self, 0600);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_open, &job));
}

/* Bits of the owner and group classes do not reach others. */
TEST_F(perm, other_none_open_group_bits_set)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	root_group(_metadata, self, 0660);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_open, &job));
}

TEST_F(perm, other_read)
{
	struct job job = { .name = self->name };

	root_group(_metadata, self, 0604);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_reader, &job));
}

TEST_F(perm, other_write)
{
	struct job job = { .name = self->name };

	root_group(_metadata, self, 0602);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_writer, &job));
}

TEST_F(perm, other_read_write)
{
	struct job job = { .name = self->name };

	root_group(_metadata, self, 0606);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_reader_writer, &job));
}

/* ---- group class ------------------------------------------------------- */

/* uid B whose gid is the group's gets the group-class bits. */
TEST_F(perm, group_read)
{
	struct job job = { .name = self->name };

	user_group(_metadata, self, 0640);
	EXPECT_EQ(0, run_as(UID_B, GID_A, child_reader, &job));
}

TEST_F(perm, group_write)
{
	struct job job = { .name = self->name };

	user_group(_metadata, self, 0620);
	EXPECT_EQ(0, run_as(UID_B, GID_A, child_writer, &job));
}

TEST_F(perm, group_supplementary)
{
	struct job job = { .name = self->name };

	user_group(_metadata, self, 0640);
	EXPECT_EQ(0, run_job(UID_B, GID_B, GID_A, -1, child_reader, &job));
}

TEST_F(perm, group_no_match)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	user_group(_metadata, self, 0660);
	EXPECT_EQ(0, run_as(UID_B, GID_B, child_open, &job));
}

/* The group class takes precedence over others. */
TEST_F(perm, group_class_exclusive)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	user_group(_metadata, self, 0606);
	EXPECT_EQ(0, run_as(UID_B, GID_A, child_open, &job));
	/* Whereas a stranger gets the others' bits. */
	EXPECT_EQ(0, run_as(UID_B, GID_B, child_reader_writer, &job));
}

/* ---- owner class ------------------------------------------------------- */

TEST_F(perm, owner_read_write)
{
	struct job job = { .name = self->name };

	user_group(_metadata, self, 0600);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_reader_writer, &job));
}

TEST_F(perm, owner_only_other_user)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	user_group(_metadata, self, 0600);
	EXPECT_EQ(0, run_as(UID_B, GID_B, child_open, &job));
	/* Sharing the owner's gid gives the (empty) group bits. */
	EXPECT_EQ(0, run_as(UID_B, GID_A, child_open, &job));
}

/* The owner class takes precedence over group and others. */
TEST_F(perm, owner_class_exclusive)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	user_group(_metadata, self, 0066);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_open, &job));
	EXPECT_EQ(0, run_as(UID_B, GID_B, child_reader_writer, &job));
}

/* ---- destroy ----------------------------------------------------------- */

TEST_F(perm, destroy_non_owner)
{
	struct job job = { .name = self->name, .expect = -EPERM };
	int fd;

	root_group(_metadata, self, 0666);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_destroy, &job));
	/* Still there. */
	fd = fanout_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fanout_group_open(fd, self->name));
	EXPECT_EQ(1, send_one(fd, 0, NULL));
	fanout_close(fd);
}

TEST_F(perm, destroy_other_users_group)
{
	struct job job = { .name = self->name, .expect = -EPERM };

	user_group(_metadata, self, 0666);
	EXPECT_EQ(0, run_as(UID_B, GID_A, child_destroy, &job));
	job.expect = 0;
	EXPECT_EQ(0, run_as(UID_B, GID_B, child_reader_writer, &job));
}

TEST_F(perm, destroy_by_owner)
{
	struct job job = { .name = self->name, .expect = 0 };
	int fd;

	user_group(_metadata, self, 0600);
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_destroy, &job));
	fd = fanout_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, fanout_group_open(fd, self->name));
	fanout_close(fd);
}

/* CAP_SYS_ADMIN may destroy any group. */
TEST_F(perm, destroy_by_root)
{
	int fd;

	user_group(_metadata, self, 0600);
	fd = fanout_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fanout_group_destroy(fd, self->name));
	EXPECT_EQ(-ENOENT, fanout_group_open(fd, self->name));
	fanout_close(fd);
}

/* Root without CAP_SYS_ADMIN is not the owner of uid A's group. */
TEST_F(perm, destroy_by_root_without_sys_admin)
{
	struct job job = { .name = self->name, .expect = -EPERM };

	user_group(_metadata, self, 0666);
	EXPECT_EQ(0, run_job(0, 0, NO_SUPP, CAP_SYS_ADMIN, child_destroy,
			     &job));
	job.expect = 0;
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_destroy, &job));
}

/* ---- CAP_IPC_OWNER ----------------------------------------------------- */

TEST_F(perm, ipc_owner_opens_mode_0000)
{
	struct job job = { .name = self->name };

	user_group(_metadata, self, 0000);
	EXPECT_EQ(0, run_job(0, 0, NO_SUPP, -1, child_reader_writer, &job));
}

/* Root's own 0000 group: owner bits are empty, the capability grants. */
TEST_F(perm, ipc_owner_opens_own_mode_0000)
{
	struct job job = { .name = self->name };

	root_group(_metadata, self, 0000);
	EXPECT_EQ(0, run_job(0, 0, NO_SUPP, -1, child_reader_writer, &job));
}

TEST_F(perm, mode_0000_without_ipc_owner)
{
	struct job job = { .name = self->name, .expect = -EACCES };

	user_group(_metadata, self, 0000);
	EXPECT_EQ(0, run_job(0, 0, NO_SUPP, CAP_IPC_OWNER, child_open, &job));
	EXPECT_EQ(0, run_as(UID_A, GID_A, child_open, &job));
}

/* ---- network namespaces ------------------------------------------------ */

/*
 * In a new network namespace: create @name there (even when the initial
 * namespace has one), tell the parent, wait for its go, and check that
 * our group is still ours.
 */
static int netns_child(const char *name, int tell, int hear)
{
	struct fanout_group_params info;
	char c = 0;
	int fd, fd2;

	CHECK_EQ(0, unshare(CLONE_NEWNET));
	fd = fanout_open(0);
	CHECK(fd >= 0);
	/* The initial namespace's group, if any, is not visible here. */
	CHECK_EQ(-ENOENT, fanout_group_open(fd, name));
	fanout_close(fd);
	fd = fanout_test_create_mode(name, NMEMB, 0, 0666);
	CHECK(fd >= 0);
	CHECK_EQ(1, write(tell, "c", 1));
	CHECK_EQ(1, read(hear, &c, 1));
	fd2 = fanout_open(0);
	CHECK(fd2 >= 0);
	CHECK_EQ(0, fanout_group_open(fd2, name));
	CHECK_EQ(0, fanout_group_info(fd2, &info));
	CHECK_EQ(NMEMB, info.max_members);
	CHECK_EQ(0, fanout_group_destroy(fd2, name));
	return 0;
}

static pid_t netns_fork(const char *name, int *tell, int *hear)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(up[0]);
		close(down[1]);
		_exit(netns_child(name, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	*hear = up[0];
	*tell = down[1];
	return pid;
}

TEST_F(perm, netns_invisible)
{
	int tell, hear, fd;
	char c = 0;
	pid_t pid;

	pid = netns_fork(self->name, &tell, &hear);
	ASSERT_LT(0, pid);
	/* The child's group exists now. */
	ASSERT_EQ(1, read(hear, &c, 1));
	fd = fanout_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, fanout_group_open(fd, self->name));
	EXPECT_EQ(-ENOENT, fanout_group_destroy(fd, self->name));
	fanout_close(fd);
	ASSERT_EQ(1, write(tell, "g", 1));
	EXPECT_EQ(0, child_wait(pid));
	close(tell);
	close(hear);
}

TEST_F(perm, netns_same_name)
{
	struct fanout_group_params p, info;
	int tell, hear, fd;
	char c = 0;
	pid_t pid;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", self->name);
	p.mode = 0666;
	p.max_members = NMEMB + 1;
	self->co = fanout_open(0);
	ASSERT_LE(0, self->co);
	ASSERT_EQ(0, fanout_group_create(self->co, &p));

	pid = netns_fork(self->name, &tell, &hear);
	ASSERT_LT(0, pid);
	/* Both exist now: ours is still ours. */
	ASSERT_EQ(1, read(hear, &c, 1));
	fd = fanout_open(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fanout_group_open(fd, self->name));
	EXPECT_EQ(0, fanout_group_info(fd, &info));
	EXPECT_EQ(NMEMB + 1, info.max_members);
	fanout_close(fd);
	ASSERT_EQ(1, write(tell, "g", 1));
	/* The child destroyed its own group, not ours. */
	EXPECT_EQ(0, child_wait(pid));
	EXPECT_EQ(0, fanout_group_destroy(self->co, self->name));
	close(tell);
	close(hear);
}

TEST_HARNESS_MAIN
