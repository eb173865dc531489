/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the hub selftests (hub_test.c, hub_limits_test.c): attaching
 * agent endpoints with raw FANOUT_IOC_HUB_ADD, a serve with its reply,
 * message and payload arrays, and a fixture with a group of HUB_MEMBERS
 * members, one agent endpoint attached per member to one hub.
 */
#ifndef FANOUT_HUB_H
#define FANOUT_HUB_H

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fanout_agents.h"

/* Members of the fixture's group, each with its attached agent. */
#define HUB_MEMBERS	64
/* Payload bytes a serve of the fixture takes at most. */
#define HUB_BUF		(HUB_MEMBERS * 64)

/*
 * The 6.1 harness runs a test body even after its setup skipped: each
 * test checks for itself.
 */
#define REQUIRE_HUB()							\
	do {								\
		if (self->unsupported)					\
			SKIP(return, "no FANOUT_FEATURE_HUB");		\
	} while (0)

/* Whether the module has hubs (fanout_version.features). */
static inline int hub_supported(void)
{
	struct fanout_version v;
	int fd = fanout_open(0);
	int ret = fd < 0 ? fd : fanout_version(fd, &v);

	if (fd >= 0)
		fanout_close(fd);
	return !ret && (v.features & FANOUT_FEATURE_HUB);
}

/* Attach @fd to hub @hub: its slot, or -errno. */
static inline int hub_attach(int hub, int fd)
{
	struct fanout_hub_add a = { .fd = fd };
	int ret = xioctl(hub, FANOUT_IOC_HUB_ADD, &a);

	return ret ? ret : (int)a.slot;
}

/* One serve: its argument, up to HUB_MEMBERS replies and messages. */
struct serve {
	struct fanout_hub_serve s;
	struct fanout_hub_reply rep[HUB_MEMBERS];
	struct fanout_hub_msg msg[HUB_MEMBERS];
	char out[HUB_MEMBERS][96];
	char buf[HUB_BUF] __attribute__((aligned(8)));
};

/* No reply; receive up to @nmsgs into the first @buf_len bytes of buf. */
static inline void serve_init(struct serve *sv, unsigned int nmsgs,
			      unsigned int buf_len)
{
	memset(&sv->s, 0, sizeof(sv->s));
	memset(sv->msg, 0xa5, sizeof(sv->msg));
	sv->s.replies = (uintptr_t)sv->rep;
	sv->s.msgs = (uintptr_t)sv->msg;
	sv->s.nmsgs = nmsgs;
	sv->s.buf = (uintptr_t)sv->buf;
	sv->s.buf_len = buf_len;
}

/* Add a reply to @id taken by @slot, @len bytes of @data, status 0. */
static inline struct fanout_hub_reply *
serve_reply(struct serve *sv, __u64 id, unsigned int slot, const void *data,
	    size_t len)
{
	struct fanout_hub_reply *r = &sv->rep[sv->s.nreplies++];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->slot = slot;
	r->buf = (uintptr_t)data;
	r->len = len;
	r->result = 1;	/* an output: must be overwritten */
	return r;
}

/*
 * Queue the echo of every message of the last serve as a reply of the
 * next one; messages with an error get none. Returns the replies queued.
 */
static inline int serve_echo_all(struct serve *sv, int nmsgs)
{
	int n = 0;

	sv->s.nreplies = 0;
	for (int i = 0; i < nmsgs; i++) {
		const struct fanout_hub_msg *m = &sv->msg[i];
		size_t len;

		if (m->error)
			continue;
		len = agent_echo(sv->out[i], sizeof(sv->out[i]), m->member,
				 sv->buf + m->offset, m->len);
		serve_reply(sv, m->id, m->slot, sv->out[i], len);
		n++;
	}
	return n;
}

/* FANOUT_IOC_HUB_SERVE by ioctl: 0 or -errno. */
static inline int hub_serve_io(int hub, struct serve *sv)
{
	return xioctl(hub, FANOUT_IOC_HUB_SERVE, &sv->s);
}

/* Send @payload to member @member only (non-blocking): the id, or 0. */
static inline __u64 hub_send_to(int co, unsigned int member,
				const void *payload, size_t len)
{
	__u64 bits[FANOUT_MEMBERS_MAX / 64] = { 0 };
	struct fanout_send s = { 0 };

	bits[member / 64] = 1ULL << (member % 64);
	s.payload = (uintptr_t)payload;
	s.payload_len = len;
	s.targets = (uintptr_t)bits;
	s.targets_bits = member + 1;
	return fanout_send(co, &s) ? 0 : s.id;
}

FIXTURE(hub) {
	bool unsupported;
	char name[FANOUT_NAME_MAX];
	int owner;		/* created the group; sends */
	int hub;		/* the hub, bound to no group */
	int ag[HUB_MEMBERS];	/* agent of member i, attached as slot i */
	struct fanout_live base;
};

FIXTURE_SETUP(hub)
{
	self->owner = -EBADF;
	self->hub = -EBADF;
	for (int i = 0; i < HUB_MEMBERS; i++)
		self->ag[i] = -EBADF;
	self->unsupported = !hub_supported();
	if (self->unsupported)
		return;
	ASSERT_EQ(0, fanout_live_read(&self->base));
	fanout_test_name(self->name, "hub");
	self->owner = fanout_test_create(self->name, HUB_MEMBERS, 600000);
	ASSERT_LE(0, self->owner);
	self->hub = fanout_open(0);
	ASSERT_LE(0, self->hub);
	for (int i = 0; i < HUB_MEMBERS; i++) {
		self->ag[i] = fanout_test_agent(self->name, i);
		ASSERT_LE(0, self->ag[i]);
		ASSERT_EQ(i, hub_attach(self->hub, self->ag[i]));
	}
}

FIXTURE_TEARDOWN(hub)
{
	for (int i = 0; i < HUB_MEMBERS; i++)
		if (self->ag[i] >= 0)
			close(self->ag[i]);
	if (self->hub >= 0)
		close(self->hub);
	if (self->owner >= 0) {
		fanout_group_destroy(self->owner, self->name);
		close(self->owner);
	}
}

#endif /* FANOUT_HUB_H */
