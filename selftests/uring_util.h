/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the io_uring selftests (uring_test.c, uring_limits_test.c):
 * commands run on a ring, a call with its result entries, a fixture
 * with a group and a ring.
 */
#ifndef FANOUT_URING_UTIL_H
#define FANOUT_URING_UTIL_H

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fanout_agents.h"
#include "libfanout_uring.h"

/* Member count of the small test groups. */
#define NMEMB		4

/* Submit what is queued on @ring and take one CQE: its res. */
static inline int ring_reap(struct io_uring *ring, void **data)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = fanout_cqe_decode(cqe, data);
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* The SQE of one command on @fd, not yet submitted. */
static inline struct io_uring_sqe *ring_cmd(struct io_uring *ring, int fd,
				     unsigned int cmd_op, void *arg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	fanout_prep_cmd(sqe, fd, cmd_op, arg);
	return sqe;
}

/* One command on @fd, run to its CQE: the CQE's res. */
static inline int ring_run(struct io_uring *ring, int fd, unsigned int cmd_op,
		    void *arg)
{
	ring_cmd(ring, fd, cmd_op, arg);
	return ring_reap(ring, NULL);
}

/* An endpoint bound to group @name, not joined. */
static inline int coordinator(const char *name)
{
	int fd = fanout_open(0);

	if (fd >= 0 && fanout_group_open(fd, name)) {
		fanout_close(fd);
		return -1;
	}
	return fd;
}

/* Poll the group's counters until @pending and @up are reached. */
static inline int stats_reach(int fd, unsigned int pending, unsigned int up)
{
	struct fanout_group_stats st;

	for (;;) {
		if (fanout_group_stats(fd, &st))
			return -1;
		if (st.pending == pending && st.members_up == up)
			return 0;
		usleep(10000);
	}
}

/* Poll the module's totals until they are back at @base. */
static inline int live_reach(const struct fanout_live *base)
{
	struct fanout_live l;

	for (;;) {
		if (fanout_live_read(&l))
			return -1;
		if (l.requests == base->requests && l.bytes == base->bytes)
			return 0;
		usleep(10000);
	}
}

/* One call to member bitmap @targets, one result entry per target. */
struct slot {
	struct fanout_call c;
	struct fanout_result res[NMEMB];
	char buf[NMEMB][64];
	__u64 bits;
	char payload[16];
};

static inline void slot_init(struct slot *s, __u64 targets, const char *payload)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->payload, sizeof(s->payload), "%s", payload);
	s->c.send.payload = (uintptr_t)s->payload;
	s->c.send.payload_len = strlen(s->payload);
	if (targets) {
		s->bits = targets;
		s->c.send.targets = (uintptr_t)&s->bits;
		s->c.send.targets_bits = NMEMB;
	}
	for (int i = 0; i < NMEMB; i++) {
		s->res[i].reply_buf = (uintptr_t)s->buf[i];
		s->res[i].reply_buf_len = sizeof(s->buf[i]);
	}
	s->c.results.results = (uintptr_t)s->res;
	s->c.results.count = NMEMB;
	s->c.results.flags = FANOUT_RESULTS_RELEASE;
}

/* Whether entry @i of a finished call is member @i's echo of @payload. */
static inline int slot_echoed(const struct slot *s, int i, const char *payload)
{
	char want[64];
	size_t n = agent_echo(want, sizeof(want), i, payload, strlen(payload));

	return s->res[i].member == (unsigned int)i &&
	       s->res[i].state == FANOUT_TARGET_REPLIED &&
	       s->res[i].status == 0 && s->res[i].reply_len == n &&
	       !memcmp(s->buf[i], want, n);
}

/* A receive into @buf of @len bytes, everything else 0. */
static inline void recv_init(struct fanout_recv *r, void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = (uintptr_t)buf;
	r->buf_len = len;
}

/*
 * Submit a call from @coord to member 0 (@s, payload @payload) and a
 * receive on agent @ag into @buf: the number submitted.
 */
static inline int call_and_recv(struct io_uring *ring, int coord,
				struct slot *s, const char *payload, int ag,
				struct fanout_recv *r, char *buf, size_t len)
{
	slot_init(s, 1, payload);
	recv_init(r, buf, len);
	fanout_prep_call(io_uring_get_sqe(ring), coord, &s->c);
	fanout_prep_recv(io_uring_get_sqe(ring), ag, r);
	return io_uring_submit(ring);
}

FIXTURE(uring) {
	char name[FANOUT_NAME_MAX];
	int owner;
	struct io_uring ring;
};

FIXTURE_SETUP(uring)
{
	fanout_test_name(self->name, "uring");
	self->owner = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, self->owner);
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	fanout_group_destroy(self->owner, self->name);
	fanout_close(self->owner);
}

#endif /* FANOUT_URING_UTIL_H */
