// SPDX-License-Identifier: GPL-2.0
/*
 * Every bad input of FANOUT_IOC_HUB_ADD and FANOUT_IOC_HUB_SERVE, one
 * test each, with the errno the UAPI header documents: unknown flags,
 * reserved fields, file descriptors that are not open, not /dev/fanout,
 * the hub itself, attached already, a hub, not joined; a full hub; array
 * counts past FANOUT_HUB_SLOTS_MAX; bad pointers; a serve with no slot;
 * the per-entry results of bad replies; a join of an attached endpoint.
 * The structure sizes are checked with the other ioctls' in limits_test.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_hub.h"
#include "libfanout_uring.h"

#define NMEMB		4
#define UNKNOWN_ID	0x7fffffff00000000ULL

FIXTURE(hl) {
	bool unsupported;
	char name[FANOUT_NAME_MAX];
	int owner;	/* created the group */
	int hub;	/* a hub with one slot: ag */
	int ag;		/* member 0, attached as slot 0 */
	int spare;	/* member 1, joined, attached nowhere */
	int bound;	/* bound, not joined */
};

FIXTURE_SETUP(hl)
{
	self->owner = -EBADF;
	self->hub = -EBADF;
	self->ag = -EBADF;
	self->spare = -EBADF;
	self->bound = -EBADF;
	self->unsupported = !hub_supported();
	if (self->unsupported)
		return;
	fanout_test_name(self->name, "hublim");
	self->owner = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, self->owner);
	self->hub = fanout_open(0);
	ASSERT_LE(0, self->hub);
	self->ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->ag);
	self->spare = fanout_test_agent(self->name, 1);
	ASSERT_LE(0, self->spare);
	self->bound = fanout_open(0);
	ASSERT_LE(0, self->bound);
	ASSERT_EQ(0, fanout_group_open(self->bound, self->name));
	ASSERT_EQ(0, hub_attach(self->hub, self->ag));
}

FIXTURE_TEARDOWN(hl)
{
	if (self->hub >= 0)
		close(self->hub);
	if (self->ag >= 0)
		close(self->ag);
	if (self->spare >= 0)
		close(self->spare);
	if (self->bound >= 0)
		close(self->bound);
	if (self->owner >= 0) {
		fanout_group_destroy(self->owner, self->name);
		close(self->owner);
	}
}

/* A serve of the fixture's hub: one reply entry, HUB_BUF of payload. */
static struct serve *serve_new(void)
{
	struct serve *sv = calloc(1, sizeof(*sv));

	if (sv)
		serve_init(sv, 4, HUB_BUF);
	return sv;
}

/* Send to member 0 and take it through the hub: the request id, or 0. */
static __u64 taken_by_slot0(int owner, int hub)
{
	struct serve sv;
	__u64 id = hub_send_to(owner, 0, "x", 1);

	serve_init(&sv, 1, 64);
	if (!id || hub_serve_io(hub, &sv) || sv.s.nmsgs != 1 ||
	    sv.msg[0].id != id)
		return 0;
	return id;
}

/* ---- FANOUT_IOC_HUB_ADD ----------------------------------------------- */

/* HUB_ADD with a flag bit the kernel does not know. */
TEST_F(hl, add_unknown_flags)
{
	struct fanout_hub_add a = { .fd = self->spare, .flags = 1 };

	REQUIRE_HUB();
	EXPECT_EQ(-EINVAL, xioctl(self->hub, FANOUT_IOC_HUB_ADD, &a));
	a.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, xioctl(self->hub, FANOUT_IOC_HUB_ADD, &a));
	/* Nothing was attached. */
	EXPECT_EQ(1, hub_attach(self->hub, self->spare));
}

/* HUB_ADD with reserved0 not zero. */
TEST_F(hl, add_reserved0_nonzero)
{
	struct fanout_hub_add a = { .fd = self->spare, .reserved0 = 1 };

	REQUIRE_HUB();
	EXPECT_EQ(-EINVAL, xioctl(self->hub, FANOUT_IOC_HUB_ADD, &a));
	EXPECT_EQ(1, hub_attach(self->hub, self->spare));
}

/* HUB_ADD with reserved not zero. */
TEST_F(hl, add_reserved_nonzero)
{
	struct fanout_hub_add a = { .fd = self->spare, .reserved = 1ULL << 63 };

	REQUIRE_HUB();
	EXPECT_EQ(-EINVAL, xioctl(self->hub, FANOUT_IOC_HUB_ADD, &a));
	EXPECT_EQ(1, hub_attach(self->hub, self->spare));
}

/* The slot is an output: junk in it on input is ignored. */
TEST_F(hl, add_slot_ignored_on_input)
{
	struct fanout_hub_add a = { .fd = self->spare, .slot = 0xdeadbeef };

	REQUIRE_HUB();
	ASSERT_EQ(0, xioctl(self->hub, FANOUT_IOC_HUB_ADD, &a));
	EXPECT_EQ(1, a.slot);
}

/* HUB_ADD of fd -1. */
TEST_F(hl, add_fd_negative)
{
	struct fanout_hub_add a = { .fd = -1 };

	REQUIRE_HUB();
	EXPECT_EQ(-EBADF, xioctl(self->hub, FANOUT_IOC_HUB_ADD, &a));
}

/* HUB_ADD of an fd number that is not open. */
TEST_F(hl, add_fd_not_open)
{
	int fd = fanout_open(0);

	REQUIRE_HUB();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanout_close(fd));
	EXPECT_EQ(-EBADF, hub_attach(self->hub, fd));
}

/* An fd that is no /dev/fanout endpoint: a pipe. */
TEST_F(hl, add_fd_pipe)
{
	int p[2];

	REQUIRE_HUB();
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EINVAL, hub_attach(self->hub, p[0]));
	EXPECT_EQ(-EINVAL, hub_attach(self->hub, p[1]));
	close(p[0]);
	close(p[1]);
}

/* Another character device: /dev/null. */
TEST_F(hl, add_fd_other_device)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	REQUIRE_HUB();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, hub_attach(self->hub, fd));
	close(fd);
}

/* HUB_ADD of the hub's own fd. */
TEST_F(hl, add_hub_itself)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EINVAL, hub_attach(self->hub, self->hub));
}

/* A joined endpoint would become its own hub. */
TEST_F(hl, add_itself_joined)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EINVAL, hub_attach(self->spare, self->spare));
	/* It was not made anything: still attachable elsewhere. */
	EXPECT_EQ(1, hub_attach(self->hub, self->spare));
}

/* The same endpoint twice on one hub. */
TEST_F(hl, add_already_attached_same_hub)
{
	int dup_fd;

	REQUIRE_HUB();
	EXPECT_EQ(-EBUSY, hub_attach(self->hub, self->ag));
	/* A dup of it is the same file. */
	dup_fd = dup(self->ag);
	ASSERT_LE(0, dup_fd);
	EXPECT_EQ(-EBUSY, hub_attach(self->hub, dup_fd));
	close(dup_fd);
}

/* HUB_ADD of an endpoint attached to another hub. */
TEST_F(hl, add_attached_to_other_hub)
{
	int hub2 = fanout_open(0);

	REQUIRE_HUB();
	ASSERT_LE(0, hub2);
	EXPECT_EQ(-EBUSY, hub_attach(hub2, self->ag));
	close(hub2);
}

/* A hub cannot be attached to another hub. */
TEST_F(hl, add_a_hub)
{
	int hub2 = fanout_open(0);

	REQUIRE_HUB();
	ASSERT_LE(0, hub2);
	ASSERT_EQ(0, hub_attach(hub2, self->spare));
	EXPECT_EQ(-EBUSY, hub_attach(self->hub, hub2));
	close(hub2);
}

/* An endpoint attached to a hub cannot be a hub itself. */
TEST_F(hl, add_on_attached_endpoint)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EBUSY, hub_attach(self->ag, self->spare));
	EXPECT_EQ(1, hub_attach(self->hub, self->spare));
}

/* HUB_ADD of an endpoint bound to a group but not joined. */
TEST_F(hl, add_bound_not_joined)
{
	REQUIRE_HUB();
	EXPECT_EQ(-ENOTCONN, hub_attach(self->hub, self->bound));
}

/* HUB_ADD of an endpoint bound to no group. */
TEST_F(hl, add_unbound)
{
	int fd = fanout_open(0);

	REQUIRE_HUB();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, hub_attach(self->hub, fd));
	close(fd);
}

/* An endpoint that joined and left again. */
TEST_F(hl, add_left)
{
	REQUIRE_HUB();
	ASSERT_EQ(0, fanout_leave(self->spare));
	EXPECT_EQ(-ENOTCONN, hub_attach(self->hub, self->spare));
}

/* HUB_ADD whose argument faults. */
TEST_F(hl, add_bad_pointer)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EFAULT, xioctl(self->hub, FANOUT_IOC_HUB_ADD,
				  (void *)(uintptr_t)bad_addr()));
}

/* HUB_ADD with a NULL argument. */
TEST_F(hl, add_null_pointer)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EFAULT, xioctl(self->hub, FANOUT_IOC_HUB_ADD, NULL));
}

/*
 * FANOUT_HUB_SLOTS_MAX slots (each agent's fd closed once attached: the
 * hub holds it), then -ENOSPC.
 */
TEST_F_TIMEOUT(hl, add_slots_full, 300)
{
	char big[FANOUT_NAME_MAX];
	int owner, hub, fd;

	REQUIRE_HUB();
	fanout_test_name(big, "hubfull");
	owner = fanout_test_create(big, FANOUT_HUB_SLOTS_MAX, 0);
	ASSERT_LE(0, owner);
	hub = fanout_open(0);
	ASSERT_LE(0, hub);
	for (int i = 0; i < FANOUT_HUB_SLOTS_MAX; i++) {
		fd = fanout_test_agent(big, i);
		ASSERT_LE(0, fd);
		ASSERT_EQ(i, hub_attach(hub, fd));
		ASSERT_EQ(0, fanout_close(fd));
	}
	EXPECT_EQ(-ENOSPC, hub_attach(hub, self->spare));
	/* The refused endpoint is attached nowhere. */
	EXPECT_EQ(1, hub_attach(self->hub, self->spare));
	close(hub);
	ASSERT_EQ(0, fanout_group_destroy(owner, big));
	close(owner);
}

/* ---- FANOUT_IOC_JOIN -------------------------------------------------- */

/* An attached endpoint that left its member cannot join again. */
TEST_F(hl, join_attached_endpoint)
{
	REQUIRE_HUB();
	ASSERT_EQ(0, fanout_leave(self->ag));
	EXPECT_EQ(-EBUSY, fanout_join(self->ag, 0));
	EXPECT_EQ(-EBUSY, fanout_join(self->ag, FANOUT_MEMBER_ANY));
}

/* ---- FANOUT_IOC_HUB_SERVE --------------------------------------------- */

/* HUB_SERVE with a flag bit the kernel does not know. */
TEST_F(hl, serve_unknown_flags)
{
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	sv->s.flags = FANOUT_HUB_NONBLOCK | 2;
	EXPECT_EQ(-EINVAL, hub_serve_io(self->hub, sv));
	sv->s.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, hub_serve_io(self->hub, sv));
	free(sv);
}

/* HUB_SERVE with reserved0 not zero. */
TEST_F(hl, serve_reserved0_nonzero)
{
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	sv->s.reserved0 = 1;
	EXPECT_EQ(-EINVAL, hub_serve_io(self->hub, sv));
	free(sv);
}

/* HUB_SERVE with reserved not zero. */
TEST_F(hl, serve_reserved_nonzero)
{
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	for (int i = 0; i < 2; i++) {
		sv->s.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, hub_serve_io(self->hub, sv));
		sv->s.reserved[i] = 0;
	}
	free(sv);
}

/* The outputs (replied) hold junk on input: ignored. */
TEST_F(hl, serve_outputs_ignored_on_input)
{
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	sv->s.replied = 0xdeadbeef;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	free(sv);
}

/* An endpoint that attached nothing has no slot to serve. */
TEST_F(hl, serve_no_slot)
{
	struct serve *sv = serve_new();
	int fd = fanout_open(0);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, hub_serve_io(fd, sv));
	close(fd);
	free(sv);
}

/* An attached agent is no hub: it has no slot either. */
TEST_F(hl, serve_on_attached_agent)
{
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	EXPECT_EQ(-ENOTCONN, hub_serve_io(self->ag, sv));
	free(sv);
}

/* More reply entries than FANOUT_HUB_SLOTS_MAX; that many are fine. */
TEST_F(hl, serve_nreplies_too_many)
{
	size_t n = FANOUT_HUB_SLOTS_MAX + 1;
	struct fanout_hub_reply *rep = calloc(n, sizeof(*rep));
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_TRUE(rep && sv);
	for (size_t i = 0; i < n; i++) {
		rep[i].id = UNKNOWN_ID;
		rep[i].slot = 1000000;
	}
	sv->s.replies = (uintptr_t)rep;
	sv->s.nreplies = n;
	sv->s.nmsgs = 0;
	EXPECT_EQ(-EINVAL, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, rep[0].result);
	sv->s.nreplies = n - 1;
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(n - 1, sv->s.replied);
	EXPECT_EQ(-EBADSLT, rep[0].result);
	EXPECT_EQ(-EBADSLT, rep[n - 2].result);
	EXPECT_EQ(0, rep[n - 1].result);
	free(rep);
	free(sv);
}

/* More message entries than FANOUT_HUB_SLOTS_MAX; that many are fine. */
TEST_F(hl, serve_nmsgs_too_many)
{
	size_t n = FANOUT_HUB_SLOTS_MAX + 1;
	struct fanout_hub_msg *msg = calloc(n, sizeof(*msg));
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_TRUE(msg && sv);
	sv->s.msgs = (uintptr_t)msg;
	sv->s.nmsgs = n;
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EINVAL, hub_serve_io(self->hub, sv));
	sv->s.nmsgs = n - 1;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	free(msg);
	free(sv);
}

/* HUB_SERVE whose argument faults. */
TEST_F(hl, serve_bad_pointer)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EFAULT, xioctl(self->hub, FANOUT_IOC_HUB_SERVE,
				  (void *)(uintptr_t)bad_addr()));
}

/* HUB_SERVE with a NULL argument. */
TEST_F(hl, serve_null_pointer)
{
	REQUIRE_HUB();
	EXPECT_EQ(-EFAULT, xioctl(self->hub, FANOUT_IOC_HUB_SERVE, NULL));
}

/* The reply array faults: nothing is replied. */
TEST_F(hl, serve_replies_bad_pointer)
{
	struct serve *sv = serve_new();
	__u64 id = taken_by_slot0(self->owner, self->hub);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	sv->s.replies = bad_addr();
	sv->s.nreplies = 1;
	sv->s.nmsgs = 0;
	EXPECT_EQ(-EFAULT, hub_serve_io(self->hub, sv));
	/* The request is still open: a reply goes through. */
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 0, "r", 1);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, sv->rep[0].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* The message array faults: the request stays queued. */
TEST_F(hl, serve_msgs_bad_pointer)
{
	struct serve *sv = serve_new();
	__u64 id = hub_send_to(self->owner, 0, "m", 1);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	sv->s.msgs = bad_addr();
	EXPECT_EQ(-EFAULT, hub_serve_io(self->hub, sv));
	serve_init(sv, 4, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(id, sv->msg[0].id);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* The payload buffer faults: the request stays queued. */
TEST_F(hl, serve_buf_bad_pointer)
{
	struct serve *sv = serve_new();
	__u64 id = hub_send_to(self->owner, 0, "b", 1);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	sv->s.buf = bad_addr();
	sv->s.buf_len = 64;
	EXPECT_EQ(-EFAULT, hub_serve_io(self->hub, sv));
	serve_init(sv, 4, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(id, sv->msg[0].id);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* A payload larger than buf: -EMSGSIZE, and it stays queued. */
TEST_F(hl, serve_buf_too_small)
{
	struct serve *sv = serve_new();
	__u64 id = hub_send_to(self->owner, 0, "12345678", 8);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	serve_init(sv, 4, 7);
	EXPECT_EQ(-EMSGSIZE, hub_serve_io(self->hub, sv));
	serve_init(sv, 4, 8);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* An empty payload fits an empty buffer. */
TEST_F(hl, serve_empty_payload_empty_buf)
{
	struct serve *sv = serve_new();
	__u64 id = hub_send_to(self->owner, 0, "", 0);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	serve_init(sv, 4, 0);
	sv->s.buf = 0;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(0, sv->msg[0].len);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* ---- per-entry reply results ------------------------------------------ */

/* A reply entry naming a request that does not exist. */
TEST_F(hl, reply_unknown_id)
{
	struct serve *sv = serve_new();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	serve_init(sv, 0, 0);
	serve_reply(sv, UNKNOWN_ID, 0, "r", 1);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(1, sv->s.replied);
	EXPECT_EQ(-ENOENT, sv->rep[0].result);
	free(sv);
}

/* A reply entry naming a request its slot did not take. */
TEST_F(hl, reply_not_taken_by_slot)
{
	struct serve *sv = serve_new();
	__u64 id = hub_send_to(self->owner, 1, "s", 1);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 0, "r", 1);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(-ENOENT, sv->rep[0].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* A second reply entry to a request already answered. */
TEST_F(hl, reply_duplicate)
{
	struct serve *sv = serve_new();
	__u64 id = taken_by_slot0(self->owner, self->hub);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 0, "r", 1);
	serve_reply(sv, id, 0, "r", 1);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(2, sv->s.replied);
	EXPECT_EQ(0, sv->rep[0].result);
	EXPECT_EQ(-EALREADY, sv->rep[1].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* A reply entry naming a slot the hub does not have. */
TEST_F(hl, reply_unknown_slot)
{
	struct serve *sv = serve_new();
	__u64 id = taken_by_slot0(self->owner, self->hub);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 1, "r", 1);
	serve_reply(sv, id, ~0U, "r", 1);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(-EBADSLT, sv->rep[0].result);
	EXPECT_EQ(-EBADSLT, sv->rep[1].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* A reply entry whose payload faults; the next entry goes through. */
TEST_F(hl, reply_payload_bad_pointer)
{
	struct serve *sv = serve_new();
	__u64 id = taken_by_slot0(self->owner, self->hub);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 0, NULL, 8)->buf = bad_addr();
	serve_reply(sv, id, 0, "ok", 2);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(-EFAULT, sv->rep[0].result);
	EXPECT_EQ(0, sv->rep[1].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* A reply entry longer than max_payload; max_payload is fine. */
TEST_F(hl, reply_payload_too_long)
{
	struct serve *sv = serve_new();
	__u64 id = taken_by_slot0(self->owner, self->hub);
	struct fanout_version v;
	char *big;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, fanout_version(self->owner, &v));
	big = calloc(1, v.max_payload + 1);
	ASSERT_NE(NULL, big);
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 0, big, v.max_payload + 1);
	serve_reply(sv, id, 0, big, v.max_payload);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(-EMSGSIZE, sv->rep[0].result);
	EXPECT_EQ(0, sv->rep[1].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(big);
	free(sv);
}

/* A reply through a slot whose endpoint left: -ENOTCONN. */
TEST_F(hl, reply_slot_left)
{
	struct serve *sv = serve_new();
	__u64 id = taken_by_slot0(self->owner, self->hub);

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, fanout_leave(self->ag));
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 0, "r", 1);
	EXPECT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(-ENOTCONN, sv->rep[0].result);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* ---- on io_uring ------------------------------------------------------- */

/* The serve's errors come as CQEs: unknown flags. */
TEST_F(hl, serve_uring_unknown_flags)
{
	struct serve *sv = serve_new();
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	sv->s.flags = 2;
	fanout_prep_cmd(io_uring_get_sqe(&ring), self->hub,
			FANOUT_IOC_HUB_SERVE, &sv->s);
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(-EINVAL, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	free(sv);
}

/* The serve's errors come as CQEs: no slot. */
TEST_F(hl, serve_uring_no_slot)
{
	struct serve *sv = serve_new();
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	fanout_prep_cmd(io_uring_get_sqe(&ring), self->bound,
			FANOUT_IOC_HUB_SERVE, &sv->s);
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(-ENOTCONN, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	free(sv);
}

/* HUB_ADD is no command the ring runs. */
TEST_F(hl, add_on_uring)
{
	struct fanout_hub_add a = { .fd = self->spare };
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	REQUIRE_HUB();
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	fanout_prep_cmd(io_uring_get_sqe(&ring), self->hub,
			FANOUT_IOC_HUB_ADD, &a);
	ASSERT_EQ(1, io_uring_submit_and_wait(&ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(-ENOTTY, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
