// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "fanout", spoken with libmnl directly: the
 * status broadcast after a state set and on member up and down, the
 * periodic broadcast that catches up an agent that ignored the first,
 * a 4096-member group with 10,000 pending requests arriving whole in
 * parts (broadcast and GET_STATUS dump), the queries, malformed messages
 * refused with an extack naming the attribute, and what an unprivileged
 * process and another network namespace may see (nothing).
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fanout_netlink.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

#define NMEMB	16
#define DOWN	15

/* A generic netlink socket bound to the family "fanout". */
struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	uint32_t mcgrp;
	char *buf;
};

#define NL_BUF	(1 << 20)

/* What an error answer said: errno, extack message and attribute. */
struct ext {
	int err;
	char msg[128];
	uint32_t offs;
	uint32_t miss_type;
};

/* ---- family resolution ----------------------------------------------- */

static int ctrl_grp_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;
	struct nlattr *g;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(g, a) {
		if (mnl_attr_get_type(g) == CTRL_ATTR_MCAST_GRP_NAME)
			name = mnl_attr_get_str(g);
		else if (mnl_attr_get_type(g) == CTRL_ATTR_MCAST_GRP_ID)
			id = mnl_attr_get_u32(g);
	}
	if (name && !strcmp(name, FANOUT_GENL_MCGRP_STATUS))
		nl->mcgrp = id;
	return MNL_CB_OK;
}

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			nl->family = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mnl_attr_for_each_nested(g, a)
				ctrl_grp_cb(g, nl);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags,
			       uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = 1;
	return nlh;
}

/*
 * The extack of an error message, or of the NLMSG_DONE ending a dump
 * (an int, the dump's errno, then the extack attributes).
 */
static void ext_parse(const struct nlmsghdr *nlh, struct ext *ext)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *attr;
	const void *tlvs;

	ext->err = e->error;
	if (nlh->nlmsg_type == NLMSG_DONE)
		off = sizeof(int);
	else if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	tlvs = (const char *)e + off;
	mnl_attr_for_each_payload(tlvs, nlh->nlmsg_len - MNL_NLMSG_HDRLEN - off) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ext->msg, sizeof(ext->msg), "%s",
				 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_OFFS:
			ext->offs = mnl_attr_get_u32(attr);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			ext->miss_type = mnl_attr_get_u32(attr);
			break;
		}
	}
}

/*
 * Send @nlh and read the answers, each through @cb, until the ack, the
 * end of the dump or an error. Returns 0 or the negative errno.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data, struct ext *ext)
{
	unsigned int seq = nlh->nlmsg_seq;
	struct ext local;
	ssize_t n;

	if (!ext)
		ext = &local;
	memset(ext, 0, sizeof(*ext));
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *h;
		int len;

		n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUF);
		if (n < 0)
			return -errno;
		len = n;
		for (h = (void *)nl->buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != nl->portid)
				continue;	/* a broadcast */
			if (h->nlmsg_type == NLMSG_ERROR) {
				ext_parse(h, ext);
				return ext->err;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				ext_parse(h, ext);
				return ext->err;
			}
			if (cb)
				cb(h, data);
		}
	}
}

static int nl_open(struct nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1, size = 64 << 20;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUF);
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->buf || !nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->sk);
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Large broadcasts: as root, past rmem_max. */
	if (setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	nlh = nl_msg(nl, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FANOUT_GENL_NAME);
	return nl_talk(nl, nlh, ctrl_cb, nl, NULL);
}

static void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
}

static int nl_subscribe(struct nl *nl)
{
	return mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP,
				     &nl->mcgrp, sizeof(nl->mcgrp)) ? -errno : 0;
}

/* ---- status messages --------------------------------------------------- */

/* One status message (a part), parsed. */
struct status {
	char name[FANOUT_NAME_MAX];
	uint32_t seq, part, reason;
	int last;
	uint64_t gen;
	uint32_t code;
	char blob[FANOUT_STATE_BLOB_MAX];
	uint32_t blob_len;
	uint64_t up[FANOUT_MEMBERS_MAX / 64], conf[FANOUT_MEMBERS_MAX / 64];
	uint32_t members_up, nconfirmed, npending, nredeliver, max_members;
	uint32_t npend_nests;
	uint64_t last_id;
	int head;
};

static void copy_words(uint64_t *dst, const struct nlattr *a)
{
	memcpy(dst, mnl_attr_get_payload(a),
	       mnl_attr_get_payload_len(a) < FANOUT_MEMBERS_MAX / 8 ?
	       mnl_attr_get_payload_len(a) : FANOUT_MEMBERS_MAX / 8);
}

static void pending_parse(const struct nlattr *p, struct status *s)
{
	const struct nlattr *a;

	s->npend_nests++;
	mnl_attr_for_each_nested(a, p)
		if (mnl_attr_get_type(a) == FANOUT_PENDING_A_ID)
			s->last_id = mnl_attr_get_u64(a);
}

static int status_parse(const struct nlmsghdr *nlh, struct status *s)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(s, 0, sizeof(*s));
	if (gh->cmd != FANOUT_CMD_STATUS)
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(*gh)) {
		switch (mnl_attr_get_type(a)) {
		case FANOUT_A_GROUP_NAME:
			snprintf(s->name, sizeof(s->name), "%s",
				 mnl_attr_get_str(a));
			break;
		case FANOUT_A_SEQ: s->seq = mnl_attr_get_u32(a); break;
		case FANOUT_A_PART: s->part = mnl_attr_get_u32(a); break;
		case FANOUT_A_LAST: s->last = 1; break;
		case FANOUT_A_REASON:
			s->reason = mnl_attr_get_u32(a);
			s->head = 1;
			break;
		case FANOUT_A_GENERATION: s->gen = mnl_attr_get_u64(a); break;
		case FANOUT_A_STATE_CODE: s->code = mnl_attr_get_u32(a); break;
		case FANOUT_A_STATE_BLOB:
			s->blob_len = mnl_attr_get_payload_len(a);
			memcpy(s->blob, mnl_attr_get_payload(a), s->blob_len);
			break;
		case FANOUT_A_UP: copy_words(s->up, a); break;
		case FANOUT_A_CONFIRMED: copy_words(s->conf, a); break;
		case FANOUT_A_MEMBERS_UP: s->members_up = mnl_attr_get_u32(a); break;
		case FANOUT_A_NCONFIRMED: s->nconfirmed = mnl_attr_get_u32(a); break;
		case FANOUT_A_NPENDING: s->npending = mnl_attr_get_u32(a); break;
		case FANOUT_A_NREDELIVER: s->nredeliver = mnl_attr_get_u32(a); break;
		case FANOUT_A_MAX_MEMBERS: s->max_members = mnl_attr_get_u32(a); break;
		case FANOUT_A_PENDING: pending_parse(a, s); break;
		}
	}
	return 0;
}

/*
 * Read broadcasts until a part 0 of group @name with reason @reason (or
 * any reason when @reason < 0) arrived; it is left in @s. Messages of
 * other groups are counted in *@foreign when given.
 */
static int status_wait(struct nl *nl, const char *name, int reason,
		       struct status *s, int *foreign)
{
	for (;;) {
		const struct nlmsghdr *h;
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUF);
		int len = n;

		if (n < 0)
			return -errno;
		for (h = (void *)nl->buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (status_parse(h, s))
				continue;
			if (strcmp(s->name, name)) {
				if (foreign)
					(*foreign)++;
				continue;
			}
			if (s->head && (reason < 0 || s->reason == (uint32_t)reason))
				return 0;
		}
	}
}

static struct nlmsghdr *group_msg(struct nl *nl, uint8_t cmd, uint16_t flags,
				  const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, flags | NLM_F_ACK, cmd);

	if (name)
		mnl_attr_put_strz(nlh, FANOUT_A_GROUP_NAME, name);
	return nlh;
}

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
	ASSERT_EQ(0, status_wait(&self->nl, self->name,
				 FANOUT_REASON_MEMBER_UP, &s, NULL));
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

/* ---- a large group ---------------------------------------------------- */

#define BIG_MEMB	4096
#define BIG_REQS	10000

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
	static __u64 bits[BIG_MEMB / 64];
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

/* 4,096 agents, 10,000 sends: minutes on the debug kernel. */
TEST_F_TIMEOUT(big, pending_arrives_whole, 900)
{
	struct rlimit rl = { BIG_MEMB + 64, BIG_MEMB + 64 };
	struct fanout_group_params p;
	char name[FANOUT_NAME_MAX];
	struct {
		struct big b;
		const char *name;
	} d;
	struct nl nl;
	int co, *ag;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
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

/* ---- queries ---------------------------------------------------------- */

struct found {
	int groups, members, pending, queues, stats;
	uint64_t requests;
	const char *name;
	int named;
};

static int query_cb(const struct nlmsghdr *h, void *data)
{
	struct found *f = data;
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, h, sizeof(*gh)) {
		switch (mnl_attr_get_type(a)) {
		case FANOUT_A_GROUP_NAME:
			f->named += f->name && !strcmp(f->name,
						       mnl_attr_get_str(a));
			if (gh->cmd == FANOUT_CMD_GET_GROUP)
				f->groups++;
			break;
		case FANOUT_A_MEMBER: f->members++; break;
		case FANOUT_A_PENDING: f->pending++; break;
		case FANOUT_A_QUEUE: f->queues++; break;
		case FANOUT_A_STATS:
			f->stats++;
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) ==
				    FANOUT_STATS_A_REQUESTS)
					f->requests = mnl_attr_get_u64(b);
			break;
		}
	}
	return MNL_CB_OK;
}

static int query(struct nl *nl, uint8_t cmd, uint16_t flags,
		 const char *name, struct found *f, struct ext *ext)
{
	const char *want = f->name;

	memset(f, 0, sizeof(*f));
	f->name = want;
	return nl_talk(nl, group_msg(nl, cmd, flags, name), query_cb, f, ext);
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
