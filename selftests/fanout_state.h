/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the expected-state selftests (state_test.c,
 * state_limits_test.c): a group of NMEMB members with an agent each but
 * member DOWN, state polls, counters, sends to one member.
 */
#ifndef FANOUT_STATE_H
#define FANOUT_STATE_H

#include "fanout_util.h"

/* Members of the test group; member DOWN has no agent at first. */
#define NMEMB	16
#define DOWN	15

/* A state wait for @gen that only reads (timeout 0), with bitmaps. */
static inline void poll_init(struct fanout_state_wait *w, __u64 gen, __u64 *up,
		      __u64 *conf)
{
	memset(w, 0, sizeof(*w));
	w->generation = gen;
	w->flags = FANOUT_STATE_WAIT_TIMEOUT;
	w->bitmap_bits = NMEMB;
	w->up = (uintptr_t)up;
	w->confirmed = (uintptr_t)conf;
}

/* Poll the state of @gen: 0 when converged, -ETIME while not. */
static inline int state_poll(int fd, __u64 gen, __u64 *up, __u64 *conf)
{
	struct fanout_state_wait w;

	poll_init(&w, gen, up, conf);
	return fanout_state_wait(fd, &w);
}

static inline __u64 stats_of(int fd, size_t field)
{
	struct fanout_group_stats st;

	if (fanout_group_stats(fd, &st))
		return ~0ULL;
	return *(__u64 *)((char *)&st + field);
}

#define STAT(fd, f)	stats_of(fd, offsetof(struct fanout_group_stats, f))
/* Send one request to member @m with @flags; its id, or 0. */
static inline __u64 send_to(int fd, int m, __u32 flags, __u32 deadline_ms)
{
	__u64 bits = 1ULL << m;
	struct fanout_send s = {
		.payload = (uintptr_t)"job",
		.payload_len = 3,
		.flags = flags,
		.targets = (uintptr_t)&bits,
		.targets_bits = NMEMB,
		.deadline_ms = deadline_ms,
	};

	return fanout_send(fd, &s) ? 0 : s.id;
}

FIXTURE(st) {
	char name[FANOUT_NAME_MAX];
	int co;
	int ag[NMEMB];
};

FIXTURE_SETUP(st)
{
	fanout_test_name(self->name, "state");
	self->co = fanout_test_create(self->name, NMEMB, 0);
	ASSERT_LE(0, self->co);
	for (int m = 0; m < NMEMB; m++) {
		self->ag[m] = -1;
		if (m == DOWN)
			continue;
		self->ag[m] = fanout_test_agent(self->name, m);
		ASSERT_LE(0, self->ag[m]);
	}
}

FIXTURE_TEARDOWN(st)
{
	for (int m = 0; m < NMEMB; m++)
		if (self->ag[m] >= 0)
			close(self->ag[m]);
	fanout_group_destroy(self->co, self->name);
	close(self->co);
}

/* Every agent but those of @skip confirms @gen. */
#endif /* FANOUT_STATE_H */
