// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "fanout", spoken with libmnl directly: the
 * status broadcast after a state set and on member up and down, the
 * periodic broadcast that catches up an agent that ignored the first,
 * a status in many parts (broadcast and GET_STATUS dump) with its
 * sequence, part numbers and last mark, and the queries. Malformed
 * messages and who may see what: netlink_limits_test.c.
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
#define DOWN	15

/* ---- fixture ---------------------------------------------------------- */

FIXTURE(nlt) {
	char name[FANOUT_NAME_MAX];
	int co;
	int ag[NMEMB];
	struct nl nl;
};

FIXTURE_SETUP(nlt)
{
	struct fanout_group_params p;

	fanout_test_name(self->name, "nl");
	fanout_test_params(&p, self->name, NMEMB);
	p.status_interval_ms = 100;
	self->co = fanout_test_create_params(&p);
	ASSERT_LE(0, self->co);
	for (int m = 0; m < NMEMB; m++) {
		self->ag[m] = m == DOWN ? -1 : fanout_test_agent(self->name, m);
		if (m != DOWN)
			ASSERT_LE(0, self->ag[m]);
	}
	ASSERT_EQ(0, nl_open(&self->nl));
	ASSERT_NE(0, self->nl.family);
	ASSERT_NE(0, self->nl.mcgrp);
}

FIXTURE_TEARDOWN(nlt)
{
	for (int m = 0; m < NMEMB; m++)
		if (self->ag[m] >= 0)
			close(self->ag[m]);
	fanout_group_destroy(self->co, self->name);
	close(self->co);
	nl_close(&self->nl);
}

TEST_F(nlt, broadcast_after_set_state)
{
	struct status s;
	__u64 gen;

	ASSERT_EQ(0, nl_subscribe(&self->nl));
	ASSERT_EQ(0, fanout_state_set(self->co, 42, "blob", 4, &gen));
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_STATE_SET, &s, NULL));
	EXPECT_EQ(0, s.part);
	EXPECT_TRUE(s.last);
	EXPECT_EQ(gen, s.gen);
	EXPECT_EQ(42, s.code);
	EXPECT_EQ(4, s.blob_len);
	EXPECT_EQ(0, memcmp(s.blob, "blob", 4));
	EXPECT_EQ(NMEMB, s.max_members);
	EXPECT_EQ(0x7fffULL, s.up[0]);
	EXPECT_EQ(0, s.conf[0]);
	EXPECT_EQ(15, s.members_up);
	EXPECT_EQ(0, s.nconfirmed);
	EXPECT_EQ(0, s.npending);
}

TEST_F(nlt, member_up_and_down_events)
{
	struct status s;

	ASSERT_EQ(0, nl_subscribe(&self->nl));
	self->ag[DOWN] = fanout_test_agent(self->name, DOWN);
	ASSERT_LE(0, self->ag[DOWN]);
	/* The broadcast of the setup's joins may still be on its way. */
	do {
		ASSERT_EQ(0, status_wait(&self->nl, self->name,
					 FANOUT_REASON_MEMBER_UP, &s, NULL));
	} while (s.up[0] == 0x7fffULL);
	EXPECT_EQ(0xffffULL, s.up[0]);
	close(self->ag[3]);
	self->ag[3] = -1;
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_MEMBER_DOWN, &s, NULL));
	EXPECT_EQ(0xfff7ULL, s.up[0]);
}

/*
 * An agent that ignored the first broadcast (it was down when the state
 * was set and never got a request) learns from the next periodic one
 * that it is behind, confirms, and the group converges.
 */
TEST_F(nlt, periodic_broadcast_catches_up)
{
	struct status s;
	__u64 gen;

	ASSERT_EQ(0, nl_subscribe(&self->nl));
	ASSERT_EQ(0, fanout_state_set(self->co, 9, NULL, 0, &gen));
	for (int m = 1; m < DOWN; m++)
		ASSERT_EQ(0, fanout_confirm(self->ag[m], gen));
	/* Member 0 ignores the state-set broadcast ... */
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_STATE_SET, &s, NULL));
	/* ... and acts on a periodic one, which shows it behind. */
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_PERIODIC, &s, NULL));
	ASSERT_EQ(gen, s.gen);
	EXPECT_EQ(0x7ffeULL, s.conf[0]);
	EXPECT_FALSE(s.conf[0] & 1);
	ASSERT_EQ(0, fanout_confirm(self->ag[0], s.gen));
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_CONVERGED, &s, NULL));
	EXPECT_EQ(0x7fffULL, s.conf[0]);
	EXPECT_EQ(15, s.nconfirmed);
}

/* An open request is listed in the periodic broadcast. */
TEST_F(nlt, broadcast_lists_pending)
{
	struct status s;
	__u64 bits = 1ULL << 2;
	struct fanout_send snd = {
		.payload = (uintptr_t)"x", .payload_len = 1,
		.targets = (uintptr_t)&bits, .targets_bits = NMEMB,
	};

	ASSERT_EQ(0, nl_subscribe(&self->nl));
	ASSERT_EQ(0, fanout_send(self->co, &snd));
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_PERIODIC, &s, NULL));
	EXPECT_EQ(1, s.npending);
	EXPECT_EQ(1, s.npend_nests);
	EXPECT_EQ(snd.id, s.last_id);
}

/* ---- a status in many parts ------------------------------------------- */

/*
 * Enough pending requests for a few dozen parts. The library's test
 * (status_test) reassembles the 4,096-member, 10,000-request case.
 */
#define BIG_MEMB	64
#define BIG_REQS	3000

struct big {
	uint32_t seq, next_part, nests, npending;
	int done, bad;
	uint64_t max_id;
};

/* Collect every part of broadcast @b->seq (0: the first part 0 seen). */
static int big_collect(const struct nlmsghdr *h, struct big *b,
		       const char *name)
{
	struct status *s = malloc(sizeof(*s));
	int ret = 0;

	if (status_parse(h, s) || strcmp(s->name, name))
		goto out;
	if (!b->seq && s->part == 0)
		b->seq = s->seq;
	if (!b->seq || s->seq != b->seq)
		goto out;
	if (s->part != b->next_part++)
		b->bad++;
	if (s->part == 0)
		b->npending = s->npending;
	else if (!s->npend_nests)
		b->bad++;
	b->nests += s->npend_nests;
	if (s->last_id > b->max_id)
		b->max_id = s->last_id;
	if (s->last)
		b->done = 1;
	ret = 1;
out:
	free(s);
	return ret;
}

static int big_dump_cb(const struct nlmsghdr *h, void *data)
{
	struct big *b = data;
	const char **name = (const char **)(b + 1);

	big_collect(h, b, *name);
	return MNL_CB_OK;
}

/* Start BIG_REQS requests of two targets each, every member up. */
static int big_send(int co)
{
	static __u64 bits[(BIG_MEMB + 63) / 64];
	struct fanout_send s = {
		.payload = (uintptr_t)"y", .payload_len = 1,
		.targets = (uintptr_t)bits, .targets_bits = BIG_MEMB,
		.deadline_ms = 600000,
	};

	for (int i = 0; i < BIG_REQS; i++) {
		int a = i % BIG_MEMB, b = (i + BIG_MEMB / 2) % BIG_MEMB;

		memset(bits, 0, sizeof(bits));
		bits[a / 64] |= 1ULL << (a % 64);
		bits[b / 64] |= 1ULL << (b % 64);
		if (fanout_send(co, &s))
			return -1;
	}
	return 0;
}

FIXTURE(big) {
	int unused;
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

/*
 * A status of BIG_REQS pending requests arrives whole: parts numbered from
 * 0 without a gap under one sequence number, every later part with at
 * least one request, the last one marked, as many requests as part 0
 * counts; the same through a GET_STATUS dump.
 */
TEST_F_TIMEOUT(big, pending_arrives_whole_in_parts, 300)
{
	struct fanout_group_params p;
	char name[FANOUT_NAME_MAX];
	struct {
		struct big b;
		const char *name;
	} d;
	struct nl nl;
	int co, *ag;

	fanout_test_name(name, "nlbig");
	fanout_test_params(&p, name, BIG_MEMB);
	p.max_pending = BIG_REQS;
	co = fanout_test_create_params(&p);
	ASSERT_LE(0, co);
	ag = calloc(BIG_MEMB, sizeof(*ag));
	for (int m = 0; m < BIG_MEMB; m++) {
		ag[m] = fanout_test_agent(name, m);
		ASSERT_LE(0, ag[m]);
	}
	ASSERT_EQ(0, big_send(co));
	ASSERT_EQ(0, nl_open(&nl));
	ASSERT_EQ(0, nl_subscribe(&nl));

	/* The broadcast of the state set, in parts. */
	ASSERT_EQ(0, fanout_state_set(co, 1, NULL, 0, NULL));
	memset(&d, 0, sizeof(d));
	d.name = name;
	while (!d.b.done) {
		const struct nlmsghdr *h;
		ssize_t n = mnl_socket_recvfrom(nl.sk, nl.buf, NL_BUF);
		int len = n;

		ASSERT_LT(0, n);
		for (h = (void *)nl.buf; mnl_nlmsg_ok(h, len) && !d.b.done;
		     h = mnl_nlmsg_next(h, &len))
			big_collect(h, &d.b, name);
	}
	EXPECT_EQ(0, d.b.bad);
	EXPECT_LT(1, d.b.next_part);
	EXPECT_EQ(BIG_REQS, d.b.npending);
	EXPECT_EQ(BIG_REQS, d.b.nests);
	TH_LOG("broadcast of %u requests in %u parts", d.b.nests,
	       d.b.next_part);

	/* The same through a GET_STATUS dump. */
	memset(&d.b, 0, sizeof(d.b));
	EXPECT_EQ(0, nl_talk(&nl, group_msg(&nl, FANOUT_CMD_GET_STATUS,
					    NLM_F_DUMP, name),
			     big_dump_cb, &d, NULL));
	EXPECT_EQ(0, d.b.bad);
	EXPECT_TRUE(d.b.done);
	EXPECT_EQ(BIG_REQS, d.b.nests);

	nl_close(&nl);
	fanout_group_destroy(co, name);
	for (int m = 0; m < BIG_MEMB; m++)
		close(ag[m]);
	close(co);
	free(ag);
}

TEST_F(nlt, queries)
{
	struct found f = { .name = self->name };
	__u64 bits = 0x3;
	struct fanout_send snd = {
		.payload = (uintptr_t)"q", .payload_len = 1,
		.targets = (uintptr_t)&bits, .targets_bits = NMEMB,
	};

	ASSERT_EQ(0, fanout_send(self->co, &snd));
	ASSERT_EQ(0, query(&self->nl, FANOUT_CMD_GET_GROUP, 0, self->name,
			   &f, NULL));
	EXPECT_EQ(1, f.groups);
	ASSERT_EQ(0, query(&self->nl, FANOUT_CMD_GET_GROUP, NLM_F_DUMP, NULL,
			   &f, NULL));
	EXPECT_LE(1, f.groups);
	EXPECT_EQ(1, f.named);
	ASSERT_EQ(0, query(&self->nl, FANOUT_CMD_GET_MEMBERS, NLM_F_DUMP,
			   self->name, &f, NULL));
	EXPECT_EQ(15, f.members);
	ASSERT_EQ(0, query(&self->nl, FANOUT_CMD_GET_PENDING, NLM_F_DUMP,
			   self->name, &f, NULL));
	EXPECT_EQ(1, f.pending);
	ASSERT_EQ(0, query(&self->nl, FANOUT_CMD_GET_QUEUES, NLM_F_DUMP,
			   self->name, &f, NULL));
	EXPECT_EQ(2, f.queues);
	ASSERT_EQ(0, query(&self->nl, FANOUT_CMD_GET_STATS, 0, self->name,
			   &f, NULL));
	EXPECT_EQ(1, f.stats);
	EXPECT_EQ(1, f.requests);
}

TEST_HARNESS_MAIN
