// SPDX-License-Identifier: GPL-2.0
/*
 * Hubs: one endpoint serving many attached agent endpoints with
 * FANOUT_IOC_HUB_SERVE, by ioctl and on io_uring. A fan-out to 64 members
 * served in few calls, replies and receives in one serve, level-triggered
 * receiving (what does not fit waits for the next serve, oldest slot
 * first), payload packing, blocking, non-blocking and interrupted serves,
 * slots whose endpoint left or whose group went, the hub holding what it
 * attached, per-entry reply results, and teardown with a serve pending on
 * a ring. The bad inputs are in hub_limits_test.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fanout_hub.h"
#include "uring_util.h"

/* ---- helpers ---------------------------------------------------------- */

/* A message of a serve is well-formed: inside buf, 8-byte aligned. */
static int msg_sane(const struct serve *sv, const struct fanout_hub_msg *m)
{
	return m->offset % 8 == 0 &&
	       (__u64)m->offset + m->len <= sv->s.buf_len;
}

/*
 * No two payloads of the @n messages of a serve overlap, but for one
 * request's shared payload, copied once (same id, offset and length).
 */
static int msgs_disjoint(const struct serve *sv, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			const struct fanout_hub_msg *a = &sv->msg[i];
			const struct fanout_hub_msg *b = &sv->msg[j];

			if (a->id == b->id && a->offset == b->offset &&
			    a->len == b->len &&
			    !memcmp(a->uuid, b->uuid, FANOUT_UUID_LEN))
				continue;
			if (a->len && b->len &&
			    a->offset < b->offset + b->len &&
			    b->offset < a->offset + a->len)
				return 0;
		}
	return 1;
}

/* Whether every entry of @r is member i's echo of @payload. */
static int results_echoed(const struct results *r, int n, const char *payload)
{
	for (int i = 0; i < n; i++) {
		char want[96];
		size_t len = agent_echo(want, sizeof(want), i, payload,
					strlen(payload));

		if (r->res[i].member != (unsigned int)i ||
		    r->res[i].state != FANOUT_TARGET_REPLIED ||
		    r->res[i].status || r->res[i].reply_len != len ||
		    memcmp(r->buf[i], want, len))
			return 0;
	}
	return 1;
}

/* Send @payload to every member up: the request, or 0. */
static __u64 send_all(int co, const char *payload, __u8 uuid[FANOUT_UUID_LEN])
{
	struct fanout_send s = {
		.payload = (uintptr_t)payload, .payload_len = strlen(payload),
	};

	if (fanout_send(co, &s))
		return 0;
	if (uuid)
		memcpy(uuid, s.uuid, FANOUT_UUID_LEN);
	return s.id;
}

/* Wait for request @id and read its @n results into @r (released). */
static int wait_results(int co, __u64 id, struct results *r, int n)
{
	struct fanout_results res = {
		.id = id, .results = (uintptr_t)r->res, .count = n,
		.flags = FANOUT_RESULTS_RELEASE,
	};
	struct fanout_wait w = { .id = id };
	int ret = fanout_wait(co, &w);

	return ret ? ret : fanout_results(co, &res);
}

/* Non-blocking serves until -EAGAIN: the messages taken, into @seen. */
static int drain(int hub, struct serve *sv, int seen[], int nslots)
{
	int n = 0, ret;

	for (;;) {
		serve_init(sv, HUB_MEMBERS, HUB_BUF);
		sv->s.flags = FANOUT_HUB_NONBLOCK;
		ret = hub_serve_io(hub, sv);
		if (ret)
			return ret == -EAGAIN ? n : ret;
		for (unsigned int i = 0; i < sv->s.nmsgs; i++)
			if (sv->msg[i].slot < (unsigned int)nslots)
				seen[sv->msg[i].slot]++;
		n += sv->s.nmsgs;
	}
}

/*
 * A slot is looked at by the first serve after its attach (requests may
 * be queued already); one non-blocking serve that finds all empty makes
 * the order of later wake-ups the order of the ready list.
 */
static int settle(int hub)
{
	struct fanout_hub_msg m;
	struct fanout_hub_serve s = {
		.msgs = (uintptr_t)&m, .nmsgs = 1, .flags = FANOUT_HUB_NONBLOCK,
	};

	return xioctl(hub, FANOUT_IOC_HUB_SERVE, &s);
}

/* ---- behaviour -------------------------------------------------------- */

TEST_F(hub, version_has_feature)
{
	struct fanout_version v;

	REQUIRE_HUB();
	ASSERT_EQ(0, fanout_version(self->owner, &v));
	EXPECT_TRUE(v.features & FANOUT_FEATURE_HUB);
	EXPECT_EQ(FANOUT_TEST_FEATURES, v.features);
}

/*
 * A request to all 64 members: one serve receives every target (one
 * message per slot, the payload at an aligned offset of its own), one
 * serve answers them all, and the coordinator reads 64 echoes.
 */
TEST_F(hub, fan_out_in_two_serves)
{
	struct fanout_group_stats st;
	__u8 uuid[FANOUT_UUID_LEN];
	int seen[HUB_MEMBERS] = { 0 };
	struct serve *sv = calloc(1, sizeof(*sv));
	struct results r;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, HUB_MEMBERS);
	id = send_all(self->owner, "fan-out", uuid);
	ASSERT_NE(0, id);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(HUB_MEMBERS, sv->s.nmsgs);
	EXPECT_EQ(0, sv->s.replied);
	for (int i = 0; i < HUB_MEMBERS; i++) {
		struct fanout_hub_msg *m = &sv->msg[i];

		ASSERT_GT(HUB_MEMBERS, m->slot);
		seen[m->slot]++;
		EXPECT_EQ(m->slot, m->member);
		EXPECT_EQ(id, m->id);
		EXPECT_EQ(0, memcmp(uuid, m->uuid, FANOUT_UUID_LEN));
		EXPECT_EQ(0, m->error);
		EXPECT_EQ(0, m->flags);
		EXPECT_EQ(7, m->len);
		EXPECT_TRUE(msg_sane(sv, m));
		EXPECT_EQ(0, memcmp(sv->buf + m->offset, "fan-out", 7));
	}
	EXPECT_TRUE(msgs_disjoint(sv, HUB_MEMBERS));
	/* One payload for all: one copy in buf. */
	for (int i = 1; i < HUB_MEMBERS; i++)
		EXPECT_EQ(sv->msg[0].offset, sv->msg[i].offset);
	for (int i = 0; i < HUB_MEMBERS; i++)
		EXPECT_EQ(1, seen[i]);
	/* Only replies (nmsgs 0): done at once, nothing received. */
	ASSERT_EQ(HUB_MEMBERS, serve_echo_all(sv, HUB_MEMBERS));
	sv->s.nmsgs = 0;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(HUB_MEMBERS, sv->s.replied);
	EXPECT_EQ(0, sv->s.nmsgs);
	for (int i = 0; i < HUB_MEMBERS; i++)
		EXPECT_EQ(0, sv->rep[i].result);
	ASSERT_EQ(0, wait_results(self->owner, id, &r, HUB_MEMBERS));
	EXPECT_TRUE(results_echoed(&r, HUB_MEMBERS, "fan-out"));
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(1, st.requests);
	EXPECT_EQ(HUB_MEMBERS, st.replies);
	EXPECT_EQ(0, st.failures);
	EXPECT_EQ(0, st.pending);
	EXPECT_EQ(HUB_MEMBERS, st.members_up);
	results_free(&r);
	free(sv);
}

/* One serve answers one request and receives the next one. */
TEST_F(hub, reply_and_receive_in_one_serve)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct results r;
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, HUB_MEMBERS);
	a = send_all(self->owner, "first", NULL);
	ASSERT_NE(0, a);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(HUB_MEMBERS, sv->s.nmsgs);
	b = send_all(self->owner, "second", NULL);
	ASSERT_NE(0, b);
	ASSERT_EQ(HUB_MEMBERS, serve_echo_all(sv, HUB_MEMBERS));
	sv->s.nmsgs = HUB_MEMBERS;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(HUB_MEMBERS, sv->s.replied);
	for (int i = 0; i < HUB_MEMBERS; i++)
		EXPECT_EQ(0, sv->rep[i].result);
	ASSERT_EQ(HUB_MEMBERS, sv->s.nmsgs);
	for (int i = 0; i < HUB_MEMBERS; i++) {
		EXPECT_EQ(b, sv->msg[i].id);
		EXPECT_EQ(0, memcmp(sv->buf + sv->msg[i].offset, "second", 6));
	}
	ASSERT_EQ(0, wait_results(self->owner, a, &r, HUB_MEMBERS));
	EXPECT_TRUE(results_echoed(&r, HUB_MEMBERS, "first"));
	ASSERT_EQ(HUB_MEMBERS, serve_echo_all(sv, HUB_MEMBERS));
	sv->s.nmsgs = 0;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(HUB_MEMBERS, sv->s.replied);
	ASSERT_EQ(0, wait_results(self->owner, b, &r, HUB_MEMBERS));
	EXPECT_TRUE(results_echoed(&r, HUB_MEMBERS, "second"));
	results_free(&r);
	free(sv);
}

/* The coordinator of fan_out_blocking_coordinator: calls to every member. */
struct call_loop {
	pthread_t thread;
	int fd;
	int calls;
	int bad;
};

static void *call_loop(void *arg)
{
	struct call_loop *cl = arg;
	struct fanout_call c;
	struct results r;
	char payload[16];

	results_init(&r, HUB_MEMBERS);
	for (int k = 0; k < cl->calls; k++) {
		snprintf(payload, sizeof(payload), "c%d", k);
		call_init(&c, &r, payload, strlen(payload));
		if (fanout_call(cl->fd, &c) ||
		    c.results.nreplied != HUB_MEMBERS ||
		    !results_echoed(&r, HUB_MEMBERS, payload))
			cl->bad++;
	}
	results_free(&r);
	return NULL;
}

/*
 * A blocking coordinator calls all 64 members again and again; the hub
 * serves them in a loop of blocking serves, each answering what the last
 * one received: every reply reaches the coordinator, and the counters
 * agree.
 */
TEST_F(hub, fan_out_blocking_coordinator)
{
	int calls = fanout_test_env_int("HUB_CALLS", 50);
	struct call_loop cl = { .calls = calls };
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_group_stats st;
	long handled = 0, serves = 0;
	int n = 0;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	cl.fd = coordinator(self->name);
	ASSERT_LE(0, cl.fd);
	ASSERT_EQ(0, pthread_create(&cl.thread, NULL, call_loop, &cl));
	while (handled < (long)calls * HUB_MEMBERS) {
		int nrep = serve_echo_all(sv, n);

		serve_init(sv, HUB_MEMBERS, HUB_BUF);
		sv->s.nreplies = nrep;
		ASSERT_EQ(0, hub_serve_io(self->hub, sv));
		serves++;
		EXPECT_EQ(nrep, sv->s.replied);
		for (int i = 0; i < nrep; i++)
			EXPECT_EQ(0, sv->rep[i].result);
		n = sv->s.nmsgs;
		ASSERT_LT(0, n);
		for (int i = 0; i < n; i++) {
			struct fanout_hub_msg *m = &sv->msg[i];

			ASSERT_EQ(0, m->error);
			EXPECT_EQ(m->slot, m->member);
			EXPECT_TRUE(msg_sane(sv, m));
			EXPECT_EQ('c', sv->buf[m->offset]);
		}
		EXPECT_TRUE(msgs_disjoint(sv, n));
		handled += n;
	}
	/* The last answers, and nothing more to receive. */
	sv->s.nreplies = serve_echo_all(sv, n);
	sv->s.nmsgs = 0;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(n, sv->s.replied);
	ASSERT_EQ(0, pthread_join(cl.thread, NULL));
	EXPECT_EQ(0, cl.bad);
	EXPECT_EQ((long)calls * HUB_MEMBERS, handled);
	TH_LOG("%d calls to %d members in %ld serves", calls, HUB_MEMBERS,
	       serves);
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(calls, st.requests);
	EXPECT_EQ((__u64)calls * HUB_MEMBERS, st.replies);
	EXPECT_EQ(0, st.failures);
	EXPECT_EQ(0, st.dup_replies);
	EXPECT_EQ(0, st.stale_replies);
	EXPECT_EQ(0, st.pending);
	EXPECT_EQ(HUB_MEMBERS, st.members_up);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	sv->s.nreplies = 0;
	sv->s.nmsgs = HUB_MEMBERS;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	fanout_close(cl.fd);
	free(sv);
}

/*
 * More queued than a serve's nmsgs: the rest comes with the next serves,
 * every slot once, then nothing.
 */
TEST_F(hub, level_triggered)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	int seen[HUB_MEMBERS] = { 0 };
	int total = 0;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	id = send_all(self->owner, "lt", NULL);
	ASSERT_NE(0, id);
	while (total < HUB_MEMBERS) {
		serve_init(sv, 10, HUB_BUF);
		sv->s.flags = FANOUT_HUB_NONBLOCK;
		ASSERT_EQ(0, hub_serve_io(self->hub, sv));
		ASSERT_EQ(HUB_MEMBERS - total < 10 ? HUB_MEMBERS - total : 10,
			  sv->s.nmsgs);
		for (unsigned int i = 0; i < sv->s.nmsgs; i++) {
			ASSERT_GT(HUB_MEMBERS, sv->msg[i].slot);
			seen[sv->msg[i].slot]++;
		}
		total += sv->s.nmsgs;
	}
	for (int i = 0; i < HUB_MEMBERS; i++)
		EXPECT_EQ(1, seen[i]);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/*
 * The slot woken first is received first (once the serve after the
 * attach found them all empty).
 */
TEST_F(hub, oldest_slot_first)
{
	static const int order[] = { 5, 2, 40, 0, 63 };
	struct serve *sv = calloc(1, sizeof(*sv));
	__u64 id[ARRAY_SIZE(order)];

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(-EAGAIN, settle(self->hub));
	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		id[k] = hub_send_to(self->owner, order[k], "o", 1);
		ASSERT_NE(0, id[k]);
	}
	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		serve_init(sv, 1, HUB_BUF);
		ASSERT_EQ(0, hub_serve_io(self->hub, sv));
		ASSERT_EQ(1, sv->s.nmsgs);
		EXPECT_EQ(order[k], sv->msg[0].slot);
		EXPECT_EQ(id[k], sv->msg[0].id);
	}
	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		EXPECT_EQ(0, fanout_release(self->owner, id[k]));
	free(sv);
}

/* Send to member @member in conversation @uuid: the request, or 0. */
static __u64 send_conv(int co, unsigned int member, const char *payload,
		       const __u8 uuid[FANOUT_UUID_LEN])
{
	__u64 bits = 1ULL << member;
	struct fanout_send s = {
		.payload = (uintptr_t)payload, .payload_len = strlen(payload),
		.flags = FANOUT_SEND_UUID,
		.targets = (uintptr_t)&bits, .targets_bits = member + 1,
	};

	memcpy(s.uuid, uuid, FANOUT_UUID_LEN);
	return fanout_send(co, &s) ? 0 : s.id;
}

/*
 * Two requests of one conversation queued for one member: one serve
 * receives both, in send order (the slot's agent is bound to the
 * conversation).
 */
TEST_F(hub, two_requests_one_conversation)
{
	static const __u8 uuid[FANOUT_UUID_LEN] = { 1, 2, 3 };
	struct serve *sv = calloc(1, sizeof(*sv));
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	a = send_conv(self->owner, 3, "a", uuid);
	b = send_conv(self->owner, 3, "b", uuid);
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(2, sv->s.nmsgs);
	EXPECT_EQ(3, sv->msg[0].slot);
	EXPECT_EQ(a, sv->msg[0].id);
	EXPECT_EQ(3, sv->msg[1].slot);
	EXPECT_EQ(b, sv->msg[1].id);
	EXPECT_EQ(0, memcmp(uuid, sv->msg[1].uuid, FANOUT_UUID_LEN));
	EXPECT_TRUE(msgs_disjoint(sv, 2));
	EXPECT_EQ(0, fanout_release(self->owner, a));
	EXPECT_EQ(0, fanout_release(self->owner, b));
	free(sv);
}

/* A read-only page: messages written there fault. */
static struct fanout_hub_msg *readonly_msgs(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The messages of a serve cannot be written: what it took goes back,
 * in order, and the next serve gives both requests of the conversation
 * as they were sent.
 */
TEST_F(hub, fault_keeps_conversation_order)
{
	static const __u8 uuid[FANOUT_UUID_LEN] = { 4, 5, 6 };
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_hub_msg *ro = readonly_msgs();
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(NULL, ro);
	a = send_conv(self->owner, 5, "a", uuid);
	b = send_conv(self->owner, 5, "b", uuid);
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.msgs = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, hub_serve_io(self->hub, sv));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(2, sv->s.nmsgs);
	EXPECT_EQ(a, sv->msg[0].id);
	EXPECT_EQ(b, sv->msg[1].id);
	EXPECT_EQ(0, fanout_release(self->owner, a));
	EXPECT_EQ(0, fanout_release(self->owner, b));
	munmap(ro, 4096);
	free(sv);
}

/* A slot's end that could not be written is told at the next serve. */
TEST_F(hub, fault_keeps_slot_error)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_hub_msg *ro = readonly_msgs();

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(0, fanout_leave(self->ag[7]));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.msgs = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, hub_serve_io(self->hub, sv));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(7, sv->msg[0].slot);
	EXPECT_EQ(-ENOTCONN, sv->msg[0].error);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	munmap(ro, 4096);
	free(sv);
}

/*
 * Two conversations for one member: its agent takes one at a time, the
 * second once the first is answered (in the serve that answers it).
 */
TEST_F(hub, two_conversations_one_slot)
{
	static const __u8 ua[FANOUT_UUID_LEN] = { 0xa };
	static const __u8 ub[FANOUT_UUID_LEN] = { 0xb };
	struct serve *sv = calloc(1, sizeof(*sv));
	int seen[HUB_MEMBERS] = { 0 };
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	a = send_conv(self->owner, 3, "a", ua);
	b = send_conv(self->owner, 3, "b", ub);
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	EXPECT_EQ(1, drain(self->hub, sv, seen, HUB_MEMBERS));
	EXPECT_EQ(1, seen[3]);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	serve_reply(sv, a, 3, "ra", 2);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, sv->rep[0].result);
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(b, sv->msg[0].id);
	EXPECT_EQ(0, memcmp(ub, sv->msg[0].uuid, FANOUT_UUID_LEN));
	EXPECT_EQ(0, fanout_release(self->owner, a));
	EXPECT_EQ(0, fanout_release(self->owner, b));
	free(sv);
}

/* Small payloads are packed at offsets that are multiples of 8. */
TEST_F(hub, payloads_packed_aligned)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	__u64 id[3];

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	for (int k = 0; k < 3; k++) {
		id[k] = hub_send_to(self->owner, k, "abc", 3);
		ASSERT_NE(0, id[k]);
	}
	/* Three 3-byte payloads fit 24 bytes only when aligned tightly. */
	serve_init(sv, HUB_MEMBERS, 24);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(3, sv->s.nmsgs);
	for (int k = 0; k < 3; k++) {
		EXPECT_EQ(k, sv->msg[k].slot);
		EXPECT_EQ(3, sv->msg[k].len);
		EXPECT_TRUE(msg_sane(sv, &sv->msg[k]));
		EXPECT_EQ(0, memcmp(sv->buf + sv->msg[k].offset, "abc", 3));
	}
	EXPECT_TRUE(msgs_disjoint(sv, 3));
	for (int k = 0; k < 3; k++)
		EXPECT_EQ(0, fanout_release(self->owner, id[k]));
	free(sv);
}

/* A payload that does not fit what is left of buf waits for the next serve. */
TEST_F(hub, payload_past_rest_of_buf_stays_queued)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	char p[40];
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	memset(p, 'p', sizeof(p));
	a = hub_send_to(self->owner, 0, p, sizeof(p));
	b = hub_send_to(self->owner, 1, p, sizeof(p));
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	serve_init(sv, HUB_MEMBERS, 64);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(0, sv->msg[0].slot);
	EXPECT_EQ(a, sv->msg[0].id);
	EXPECT_EQ(0, sv->msg[0].offset);
	EXPECT_EQ(sizeof(p), sv->msg[0].len);
	serve_init(sv, HUB_MEMBERS, 64);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(1, sv->msg[0].slot);
	EXPECT_EQ(b, sv->msg[0].id);
	EXPECT_EQ(0, sv->msg[0].offset);
	EXPECT_EQ(0, memcmp(sv->buf, p, sizeof(p)));
	serve_init(sv, HUB_MEMBERS, 64);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, fanout_release(self->owner, a));
	EXPECT_EQ(0, fanout_release(self->owner, b));
	free(sv);
}

/*
 * A payload larger than the whole buf: -EMSGSIZE when it is all there is,
 * with one message naming its slot and length, and it stays queued for a
 * larger buf.
 */
TEST_F(hub, payload_larger_than_buf)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	char p[100];
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	memset(p, 'q', sizeof(p));
	id = hub_send_to(self->owner, 6, p, sizeof(p));
	ASSERT_NE(0, id);
	serve_init(sv, HUB_MEMBERS, 64);
	EXPECT_EQ(-EMSGSIZE, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(6, sv->msg[0].slot);
	EXPECT_EQ(sizeof(p), sv->msg[0].len);
	EXPECT_EQ(-EMSGSIZE, sv->msg[0].error);
	EXPECT_EQ(0, sv->msg[0].id);
	serve_init(sv, HUB_MEMBERS, 64);
	EXPECT_EQ(-EMSGSIZE, hub_serve_io(self->hub, sv));
	EXPECT_EQ(1, sv->s.nmsgs);
	serve_init(sv, HUB_MEMBERS, sizeof(p));
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(6, sv->msg[0].slot);
	EXPECT_EQ(id, sv->msg[0].id);
	EXPECT_EQ(sizeof(p), sv->msg[0].len);
	EXPECT_EQ(0, memcmp(sv->buf + sv->msg[0].offset, p, sizeof(p)));
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/*
 * The oversized payload comes after one that fits: the serve returns
 * what it received, and the -EMSGSIZE shows at the next one.
 */
TEST_F(hub, payload_larger_than_buf_after_another)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	char p[100];
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	memset(p, 'q', sizeof(p));
	a = hub_send_to(self->owner, 0, "small", 5);
	b = hub_send_to(self->owner, 1, p, sizeof(p));
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	serve_init(sv, HUB_MEMBERS, 64);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(a, sv->msg[0].id);
	serve_init(sv, HUB_MEMBERS, 64);
	EXPECT_EQ(-EMSGSIZE, hub_serve_io(self->hub, sv));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(b, sv->msg[0].id);
	EXPECT_EQ(0, fanout_release(self->owner, a));
	EXPECT_EQ(0, fanout_release(self->owner, b));
	free(sv);
}

/* A blocking serve in its own thread. */
struct serve_thread {
	pthread_t thread;
	int hub;
	_Atomic pid_t tid;
	int ret;
	struct serve *sv;
};

static void *serve_thread(void *arg)
{
	struct serve_thread *t = arg;

	atomic_store(&t->tid, (pid_t)syscall(SYS_gettid));
	t->ret = hub_serve_io(t->hub, t->sv);
	return NULL;
}

/* Start @t serving @sv on @hub; return once it sleeps in the serve. */
static int serve_thread_start(struct serve_thread *t, int hub,
			      struct serve *sv)
{
	t->hub = hub;
	t->sv = sv;
	t->ret = 1;
	atomic_store(&t->tid, 0);
	if (pthread_create(&t->thread, NULL, serve_thread, t))
		return -1;
	while (!atomic_load(&t->tid) || !thread_sleeping(atomic_load(&t->tid)))
		sched_yield();
	return 0;
}

/* A blocking serve sleeps until a send from another thread wakes it. */
TEST_F(hub, blocking_serve_woken_by_send)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct serve_thread t;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, serve_thread_start(&t, self->hub, sv));
	id = hub_send_to(self->owner, 7, "wake", 4);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, pthread_join(t.thread, NULL));
	ASSERT_EQ(0, t.ret);
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(7, sv->msg[0].slot);
	EXPECT_EQ(7, sv->msg[0].member);
	EXPECT_EQ(id, sv->msg[0].id);
	EXPECT_EQ(0, memcmp(sv->buf + sv->msg[0].offset, "wake", 4));
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* The same, the send coming from another process. */
TEST_F(hub, blocking_serve_woken_by_other_process)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct serve_thread t;
	int status, done[2];
	pid_t pid;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, pipe(done));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, serve_thread_start(&t, self->hub, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int co = coordinator(self->name);
		char ch;

		close(done[1]);
		if (co < 0 || !hub_send_to(co, 12, "proc", 4))
			_exit(1);
		/* Its request would be released when it exits. */
		_exit(read(done[0], &ch, 1) != 0);
	}
	close(done[0]);
	ASSERT_EQ(0, pthread_join(t.thread, NULL));
	close(done[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(0, t.ret);
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(12, sv->msg[0].slot);
	EXPECT_EQ(0, memcmp(sv->buf + sv->msg[0].offset, "proc", 4));
	free(sv);
}

/* The other thread of serve_and_ring_completion(). */
struct ring_nudge {
	int owner;
	struct io_uring *ring;
	pid_t server;		/* the thread sleeping in the serve */
	__u64 ring_id;		/* what the ring's receive takes */
	__u64 id;		/* what the serve takes, sent after */
};

/*
 * Once the server sleeps, send to the member whose receive is pending
 * on its ring; once that CQE is posted (the server's task work ran),
 * send to a member the hub serves.
 */
static void *nudge_ring_then_send(void *arg)
{
	struct ring_nudge *n = arg;
	struct io_uring_cqe *cqe;

	while (!thread_sleeping(n->server))
		sched_yield();
	n->ring_id = hub_send_to(n->owner, 62, "ring", 4);
	while (io_uring_peek_cqe(n->ring, &cqe))
		sched_yield();
	n->id = hub_send_to(n->owner, 5, "after", 5);
	return NULL;
}

/*
 * A blocking serve whose thread has a receive pending on its own ring
 * (member 62, taken off the hub): the receive completing, task work and
 * no signal, does not end the serve. Without replies the serve goes on
 * and receives what comes next; with replies it ends with -EINTR, as a
 * restart would reply again.
 */
static void serve_and_ring_completion(struct __test_metadata *_metadata,
				      FIXTURE_DATA(hub) *self, bool replies)
{
	struct ring_nudge n = { .owner = self->owner };
	struct serve *sv = calloc(1, sizeof(*sv));
	struct io_uring ring;
	struct fanout_recv r;
	pthread_t t;
	char in[16];
	void *data;
	__u64 held = 0;
	int plain, ret;

	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, fanout_leave(self->ag[62]));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	ASSERT_EQ(-ENOTCONN, sv->msg[0].error);
	ASSERT_EQ(-EAGAIN, settle(self->hub));
	plain = fanout_test_agent(self->name, 62);
	ASSERT_LE(0, plain);
	if (replies) {
		held = hub_send_to(self->owner, 7, "held", 4);
		ASSERT_NE(0, held);
		serve_init(sv, HUB_MEMBERS, HUB_BUF);
		ASSERT_EQ(0, hub_serve_io(self->hub, sv));
		ASSERT_EQ(1, sv->s.nmsgs);
		ASSERT_EQ(held, sv->msg[0].id);
	}
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	recv_init(&r, in, sizeof(in));
	fanout_prep_recv(io_uring_get_sqe(&ring), plain, &r);
	ASSERT_EQ(1, io_uring_submit(&ring));
	n.ring = &ring;
	n.server = (pid_t)syscall(SYS_gettid);
	ASSERT_EQ(0, pthread_create(&t, NULL, nudge_ring_then_send, &n));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	if (replies)
		serve_reply(sv, held, 7, "r", 1);
	ret = hub_serve_io(self->hub, sv);
	if (replies) {
		EXPECT_EQ(-EINTR, ret);
		EXPECT_EQ(1, sv->s.replied);
		EXPECT_EQ(0, sv->rep[0].result);
		serve_init(sv, HUB_MEMBERS, HUB_BUF);
		ret = hub_serve_io(self->hub, sv);
	}
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, ret);
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(5, sv->msg[0].slot);
	EXPECT_EQ(n.id, sv->msg[0].id);
	ASSERT_EQ(0, ring_reap(&ring, &data));
	EXPECT_EQ(&r, data);
	EXPECT_EQ(n.ring_id, r.id);
	EXPECT_EQ(0, fanout_release(self->owner, n.ring_id));
	EXPECT_EQ(0, fanout_release(self->owner, n.id));
	if (held)
		EXPECT_EQ(0, fanout_release(self->owner, held));
	io_uring_queue_exit(&ring);
	fanout_close(plain);
	free(sv);
}

TEST_F(hub, blocking_serve_survives_ring_completion)
{
	REQUIRE_HUB();
	serve_and_ring_completion(_metadata, self, false);
}

TEST_F(hub, blocking_serve_with_replies_ring_completion_eintr)
{
	REQUIRE_HUB();
	serve_and_ring_completion(_metadata, self, true);
}

/* FANOUT_HUB_NONBLOCK with nothing queued. */
TEST_F(hub, nonblock_flag_empty)
{
	struct serve sv;

	REQUIRE_HUB();
	serve_init(&sv, HUB_MEMBERS, HUB_BUF);
	sv.s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, &sv));
	EXPECT_EQ(0, sv.s.nmsgs);
}

/* A hub opened with O_NONBLOCK never blocks. */
TEST_F(hub, o_nonblock_hub_empty)
{
	struct serve sv;
	int hub, ag;

	REQUIRE_HUB();
	hub = fanout_open(O_NONBLOCK);
	ASSERT_LE(0, hub);
	ag = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, ag);
	ASSERT_EQ(0, hub_attach(hub, ag));
	serve_init(&sv, HUB_MEMBERS, HUB_BUF);
	EXPECT_EQ(-EAGAIN, hub_serve_io(hub, &sv));
	fanout_close(ag);
	fanout_close(hub);
}

static void on_usr1(int sig)
{
}

/*
 * A signal ends a blocking serve with -EINTR, even with SA_RESTART: the
 * replies it carried were done once, and are not done again.
 */
TEST_F(hub, signal_interrupts_blocking_serve)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_group_stats st;
	struct serve_thread t;
	struct results r;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, 1);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	id = hub_send_to(self->owner, 0, "sig", 3);
	ASSERT_NE(0, id);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	serve_echo_all(sv, 1);
	sv->s.nmsgs = HUB_MEMBERS;
	ASSERT_EQ(0, serve_thread_start(&t, self->hub, sv));
	ASSERT_EQ(0, pthread_kill(t.thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(t.thread, NULL));
	EXPECT_EQ(-EINTR, t.ret);
	/* Whether the reply went through is told after the error too. */
	EXPECT_EQ(1, sv->s.replied);
	EXPECT_EQ(0, sv->rep[0].result);
	ASSERT_EQ(0, wait_results(self->owner, id, &r, 1));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[0].state);
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(1, st.replies);
	EXPECT_EQ(0, st.dup_replies);
	signal(SIGUSR1, SIG_DFL);
	results_free(&r);
	free(sv);
}

/*
 * An attached endpoint leaves its member: its slot reports -ENOTCONN
 * once, the member goes down, the other slots go on.
 */
TEST_F(hub, leave_reports_enotconn_once)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_group_stats st;
	int seen[HUB_MEMBERS] = { 0 };
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, fanout_leave(self->ag[3]));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(3, sv->msg[0].slot);
	EXPECT_EQ(-ENOTCONN, sv->msg[0].error);
	EXPECT_EQ(0, sv->msg[0].id);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(HUB_MEMBERS - 1, st.members_up);
	/* The others are served as before. */
	id = send_all(self->owner, "after", NULL);
	ASSERT_NE(0, id);
	EXPECT_EQ(HUB_MEMBERS - 1, drain(self->hub, sv, seen, HUB_MEMBERS));
	EXPECT_EQ(0, seen[3]);
	EXPECT_EQ(1, seen[4]);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
}

/* A request queued for a slot whose endpoint leaves fails -ENOTCONN. */
TEST_F(hub, leave_with_request_queued)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	int seen[HUB_MEMBERS] = { 0 };
	struct results r;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, 1);
	id = hub_send_to(self->owner, 9, "q", 1);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, fanout_leave(self->ag[9]));
	ASSERT_EQ(0, wait_results(self->owner, id, &r, 1));
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[0].state);
	EXPECT_EQ(-ENOTCONN, r.res[0].status);
	/* The slot reports its end, and no request. */
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(9, sv->msg[0].slot);
	EXPECT_EQ(-ENOTCONN, sv->msg[0].error);
	EXPECT_EQ(0, drain(self->hub, sv, seen, HUB_MEMBERS));
	results_free(&r);
	free(sv);
}

/* The group is destroyed: every slot reports -EIDRM once. */
TEST_F(hub, group_destroyed_reports_eidrm)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	int seen[HUB_MEMBERS] = { 0 };
	int n = 0;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, fanout_group_destroy(self->owner, self->name));
	while (n < HUB_MEMBERS) {
		serve_init(sv, HUB_MEMBERS, HUB_BUF);
		ASSERT_EQ(0, hub_serve_io(self->hub, sv));
		for (unsigned int i = 0; i < sv->s.nmsgs; i++) {
			ASSERT_GT(HUB_MEMBERS, sv->msg[i].slot);
			EXPECT_EQ(-EIDRM, sv->msg[i].error);
			EXPECT_EQ(0, sv->msg[i].id);
			seen[sv->msg[i].slot]++;
		}
		n += sv->s.nmsgs;
	}
	EXPECT_EQ(HUB_MEMBERS, n);
	for (int i = 0; i < HUB_MEMBERS; i++)
		EXPECT_EQ(1, seen[i]);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, hub_serve_io(self->hub, sv));
	free(sv);
}

/*
 * The hub holds what it attached: with every agent fd closed the members
 * stay up and served. Closing the hub releases them all: the members go
 * down, a call to one fails -ENOTCONN for it, nothing stays charged.
 */
TEST_F(hub, hub_holds_agents_until_closed)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_group_stats st;
	struct fanout_call c;
	struct results r;
	__u64 bits = 1ULL << 9;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, 1);
	for (int i = 0; i < HUB_MEMBERS; i++) {
		ASSERT_EQ(0, fanout_close(self->ag[i]));
		self->ag[i] = -EBADF;
	}
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(HUB_MEMBERS, st.members_up);
	id = hub_send_to(self->owner, 9, "held", 4);
	ASSERT_NE(0, id);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(9, sv->msg[0].slot);
	serve_echo_all(sv, 1);
	sv->s.nmsgs = 0;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, sv->rep[0].result);
	ASSERT_EQ(0, wait_results(self->owner, id, &r, 1));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[0].state);

	ASSERT_EQ(0, fanout_close(self->hub));
	self->hub = -EBADF;
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(0, st.members_up);
	call_init(&c, &r, "gone", 4);
	c.send.targets = (uintptr_t)&bits;
	c.send.targets_bits = 10;
	ASSERT_EQ(0, fanout_call(self->owner, &c));
	EXPECT_EQ(1, c.results.nfailed);
	EXPECT_EQ(9, r.res[0].member);
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[0].state);
	EXPECT_EQ(-ENOTCONN, r.res[0].status);
	EXPECT_EQ(0, live_reach(&self->base));
	results_free(&r);
	free(sv);
}

/*
 * Every reply entry has its own result; the bad ones do not stop the
 * good ones, and are counted as from plain agents.
 */
TEST_F(hub, per_entry_reply_results)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_group_stats st;
	struct results r;
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, 1);
	a = hub_send_to(self->owner, 0, "a", 1);
	b = hub_send_to(self->owner, 1, "b", 1);
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(2, sv->s.nmsgs);
	serve_init(sv, 0, 0);
	serve_reply(sv, a, 0, "ra", 2);			/* fine */
	serve_reply(sv, b, 0, "rb", 2);			/* not slot 0's */
	serve_reply(sv, 0x7fffffff00000000ULL, 1, "x", 1);	/* unknown */
	serve_reply(sv, b, 1, "rb", 2);			/* fine */
	serve_reply(sv, a, 0, "ra", 2);			/* duplicate */
	serve_reply(sv, a, HUB_MEMBERS + 100, "x", 1);	/* no such slot */
	sv->rep[3].status = 7;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(6, sv->s.replied);
	EXPECT_EQ(0, sv->s.nmsgs);
	EXPECT_EQ(0, sv->rep[0].result);
	EXPECT_EQ(-ENOENT, sv->rep[1].result);
	EXPECT_EQ(-ENOENT, sv->rep[2].result);
	EXPECT_EQ(0, sv->rep[3].result);
	EXPECT_EQ(-EALREADY, sv->rep[4].result);
	EXPECT_EQ(-EBADSLT, sv->rep[5].result);
	ASSERT_EQ(0, wait_results(self->owner, a, &r, 1));
	EXPECT_EQ(FANOUT_TARGET_REPLIED, r.res[0].state);
	EXPECT_EQ(2, r.res[0].reply_len);
	EXPECT_EQ(0, memcmp(r.buf[0], "ra", 2));
	ASSERT_EQ(0, wait_results(self->owner, b, &r, 1));
	EXPECT_EQ(7, r.res[0].status);
	EXPECT_EQ(0, memcmp(r.buf[0], "rb", 2));
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(2, st.replies);
	EXPECT_EQ(1, st.dup_replies);
	EXPECT_EQ(2, st.stale_replies);
	results_free(&r);
	free(sv);
}

/* A decline (status < 0) through a hub reaches the coordinator. */
TEST_F(hub, decline_through_hub)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct results r;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	results_init(&r, 1);
	id = hub_send_to(self->owner, 2, "d", 1);
	ASSERT_NE(0, id);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	serve_init(sv, 0, 0);
	serve_reply(sv, id, 2, NULL, 0)->status = -EPERM;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	EXPECT_EQ(0, sv->rep[0].result);
	ASSERT_EQ(0, wait_results(self->owner, id, &r, 1));
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[0].state);
	EXPECT_EQ(-EPERM, r.res[0].status);
	results_free(&r);
	free(sv);
}

/* The reply @member of request @id gave, NUL-terminated in @buf. */
static int reply_of(int owner, __u64 id, unsigned int member, char *buf,
		    size_t size)
{
	struct fanout_result res = { 0 };
	struct fanout_results r = { 0 };
	int ret;

	memset(buf, 0, size);
	res.reply_buf = (uintptr_t)buf;
	res.reply_buf_len = size - 1;
	r.id = id;
	r.results = (uintptr_t)&res;
	r.first = member;
	r.count = 1;
	ret = fanout_results(owner, &r);
	return ret ? ret : res.status;
}

/*
 * Replies in one serve to requests of two groups that have the same id
 * (ids are per group): each keeps its own reply, whichever request is
 * released first.
 */
TEST_F(hub, replies_to_two_groups_same_id)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	char name2[FANOUT_NAME_MAX], got[16];
	int owner2, ag2, n;
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	fanout_test_name(name2, "hub3");
	owner2 = fanout_test_create(name2, 1, 0);
	ASSERT_LE(0, owner2);
	ag2 = fanout_test_agent(name2, 0);
	ASSERT_LE(0, ag2);
	ASSERT_EQ(HUB_MEMBERS, hub_attach(self->hub, ag2));
	ASSERT_EQ(-EAGAIN, settle(self->hub));
	a = hub_send_to(self->owner, 0, "one", 3);
	b = hub_send_to(owner2, 0, "two", 3);
	ASSERT_NE(0, a);
	ASSERT_EQ(a, b);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(2, sv->s.nmsgs);
	n = serve_echo_all(sv, 2);
	ASSERT_EQ(2, n);
	sv->s.nmsgs = 0;
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(2, sv->s.replied);
	EXPECT_EQ(0, sv->rep[0].result);
	EXPECT_EQ(0, sv->rep[1].result);
	EXPECT_EQ(0, fanout_release(self->owner, a));
	EXPECT_LE(0, reply_of(owner2, b, 0, got, sizeof(got)));
	EXPECT_NE(NULL, strstr(got, "two"));
	EXPECT_EQ(0, fanout_release(owner2, b));
	fanout_close(ag2);
	fanout_close(owner2);
	free(sv);
}

/* One hub serves agents of two groups; a message names its member. */
TEST_F(hub, agents_of_two_groups)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	char name2[FANOUT_NAME_MAX];
	int owner2, ag2;
	__u64 a, b;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	fanout_test_name(name2, "hub2");
	owner2 = fanout_test_create(name2, 4, 0);
	ASSERT_LE(0, owner2);
	ag2 = fanout_test_agent(name2, 2);
	ASSERT_LE(0, ag2);
	ASSERT_EQ(HUB_MEMBERS, hub_attach(self->hub, ag2));
	ASSERT_EQ(-EAGAIN, settle(self->hub));
	b = hub_send_to(owner2, 2, "two", 3);
	a = hub_send_to(self->owner, 2, "one", 3);
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(2, sv->s.nmsgs);
	EXPECT_EQ(HUB_MEMBERS, sv->msg[0].slot);
	EXPECT_EQ(2, sv->msg[0].member);
	EXPECT_EQ(b, sv->msg[0].id);
	EXPECT_EQ(0, memcmp(sv->buf + sv->msg[0].offset, "two", 3));
	EXPECT_EQ(2, sv->msg[1].slot);
	EXPECT_EQ(2, sv->msg[1].member);
	EXPECT_EQ(a, sv->msg[1].id);
	/* Destroying one group ends only its slot. */
	ASSERT_EQ(0, fanout_group_destroy(owner2, name2));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(HUB_MEMBERS, sv->msg[0].slot);
	EXPECT_EQ(-EIDRM, sv->msg[0].error);
	EXPECT_EQ(0, fanout_release(self->owner, a));
	fanout_close(ag2);
	fanout_close(owner2);
	free(sv);
}

/*
 * A request sent with FANOUT_SEND_REDELIVER, taken by a plain agent of
 * the member that dies without replying, comes to the hub marked.
 */
TEST_F(hub, redelivered_flag)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	__u64 bits = 1ULL << 4;
	struct fanout_send s = {
		.payload = (uintptr_t)"rd", .payload_len = 2,
		.flags = FANOUT_SEND_REDELIVER,
		.targets = (uintptr_t)&bits, .targets_bits = 5,
	};
	struct fanout_recv rv;
	char in[16];
	int plain;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	plain = fanout_test_agent(self->name, 4);
	ASSERT_LE(0, plain);
	ASSERT_EQ(0, fanout_send(self->owner, &s));
	recv_init(&rv, in, sizeof(in));
	ASSERT_EQ(0, fanout_recv(plain, &rv));
	EXPECT_EQ(s.id, rv.id);
	ASSERT_EQ(0, fanout_close(plain));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ASSERT_EQ(0, hub_serve_io(self->hub, sv));
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(4, sv->msg[0].slot);
	EXPECT_EQ(s.id, sv->msg[0].id);
	EXPECT_EQ(FANOUT_RECV_REDELIVERED, sv->msg[0].flags);
	EXPECT_EQ(0, memcmp(sv->buf + sv->msg[0].offset, "rd", 2));
	EXPECT_EQ(0, fanout_release(self->owner, s.id));
	free(sv);
}

/* ---- io_uring --------------------------------------------------------- */

/* A serve pending on a ring completes when a request arrives. */
TEST_F(hub, uring_serve_completes_on_request)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	void *data;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ring_cmd(&ring, self->hub, FANOUT_IOC_HUB_SERVE, &sv->s);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	id = hub_send_to(self->owner, 11, "ring", 4);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, ring_reap(&ring, &data));
	EXPECT_EQ(&sv->s, data);
	ASSERT_EQ(1, sv->s.nmsgs);
	EXPECT_EQ(11, sv->msg[0].slot);
	EXPECT_EQ(id, sv->msg[0].id);
	EXPECT_EQ(0, memcmp(sv->buf + sv->msg[0].offset, "ring", 4));
	/* Queued already: the command completes at once. */
	serve_echo_all(sv, 1);
	sv->s.nmsgs = 0;
	ASSERT_EQ(0, ring_run(&ring, self->hub, FANOUT_IOC_HUB_SERVE, &sv->s));
	EXPECT_EQ(1, sv->s.replied);
	EXPECT_EQ(0, sv->rep[0].result);
	/* Non-blocking on the ring. */
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	sv->s.flags = FANOUT_HUB_NONBLOCK;
	EXPECT_EQ(-EAGAIN, ring_run(&ring, self->hub, FANOUT_IOC_HUB_SERVE,
				    &sv->s));
	io_uring_queue_exit(&ring);
	free(sv);
}

/*
 * An asynchronous coordinator's calls to 64 members, all in flight on a
 * ring, served by serves on the same ring; the last serve, left pending,
 * ends with the group (-EIDRM messages).
 */
TEST_F_TIMEOUT(hub, uring_fan_out_async_coordinator, 300)
{
	int calls = fanout_test_env_int("HUB_URING_CALLS", 16);
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_call *c = calloc(calls, sizeof(*c));
	struct results *r = calloc(calls, sizeof(*r));
	struct fanout_group_stats st;
	struct io_uring ring;
	long handled = 0;
	int co, done = 0, eidrm = 0;

	REQUIRE_HUB();
	ASSERT_TRUE(sv && c && r);
	co = coordinator(self->name);
	ASSERT_LE(0, co);
	ASSERT_EQ(0, io_uring_queue_init(calls + 8, &ring, 0));
	for (int k = 0; k < calls; k++) {
		results_init(&r[k], HUB_MEMBERS);
		call_init(&c[k], &r[k], "async", 5);
		fanout_prep_call(io_uring_get_sqe(&ring), co, &c[k]);
	}
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ring_cmd(&ring, self->hub, FANOUT_IOC_HUB_SERVE, &sv->s);
	ASSERT_EQ(calls + 1, io_uring_submit(&ring));
	while (done < calls || !eidrm) {
		void *data;
		int ret = ring_reap(&ring, &data);

		if (data != &sv->s) {
			struct fanout_call *d = data;

			ASSERT_EQ(0, ret);
			EXPECT_EQ(HUB_MEMBERS, d->results.nreplied);
			EXPECT_TRUE(results_echoed(&r[d - c], HUB_MEMBERS,
						   "async"));
			if (++done < calls)
				continue;
			/* Every answer is in: the counters, then the end. */
			ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
			ASSERT_EQ(0, fanout_group_destroy(self->owner,
							  self->name));
			continue;
		}
		ASSERT_EQ(0, ret);
		EXPECT_EQ(sv->s.nreplies, sv->s.replied);
		for (unsigned int i = 0; i < sv->s.nreplies; i++)
			EXPECT_EQ(0, sv->rep[i].result);
		for (unsigned int i = 0; i < sv->s.nmsgs; i++) {
			if (sv->msg[i].error) {
				EXPECT_EQ(-EIDRM, sv->msg[i].error);
				eidrm++;
				continue;
			}
			EXPECT_EQ(sv->msg[i].slot, sv->msg[i].member);
			EXPECT_TRUE(msg_sane(sv, &sv->msg[i]));
			handled++;
		}
		/* Answer what came, and receive again: one serve pending. */
		{
			int nrep = serve_echo_all(sv, sv->s.nmsgs);

			serve_init(sv, HUB_MEMBERS, HUB_BUF);
			sv->s.nreplies = nrep;
		}
		ring_cmd(&ring, self->hub, FANOUT_IOC_HUB_SERVE, &sv->s);
	}
	EXPECT_EQ((long)calls * HUB_MEMBERS, handled);
	EXPECT_EQ(calls, st.requests);
	EXPECT_EQ((__u64)calls * HUB_MEMBERS, st.replies);
	EXPECT_EQ(0, st.failures + st.dup_replies + st.stale_replies);
	EXPECT_EQ(0, st.pending);
	io_uring_queue_exit(&ring);
	fanout_close(co);
	for (int k = 0; k < calls; k++)
		results_free(&r[k]);
	free(r);
	free(c);
	free(sv);
}

/*
 * A serve pending on a ring holds the hub: with the hub's and agents'
 * fds closed the members stay up; closing the ring cancels the serve
 * and releases them all.
 */
TEST_F(hub, uring_ring_closed_with_serve_pending)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct fanout_group_stats st;
	struct io_uring ring;

	REQUIRE_HUB();
	ASSERT_NE(NULL, sv);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ring_cmd(&ring, self->hub, FANOUT_IOC_HUB_SERVE, &sv->s);
	ASSERT_EQ(1, io_uring_submit(&ring));
	for (int i = 0; i < HUB_MEMBERS; i++) {
		ASSERT_EQ(0, fanout_close(self->ag[i]));
		self->ag[i] = -EBADF;
	}
	ASSERT_EQ(0, fanout_close(self->hub));
	self->hub = -EBADF;
	ASSERT_EQ(0, fanout_group_stats(self->owner, &st));
	EXPECT_EQ(HUB_MEMBERS, st.members_up);
	io_uring_queue_exit(&ring);
	ASSERT_EQ(0, stats_reach(self->owner, 0, 0));
	EXPECT_EQ(0, live_reach(&self->base));
	free(sv);
}

/*
 * The ring is closed with a serve pending, then a request is sent: the
 * serve of the closed ring, whose CQE nobody can read, must not take it;
 * the hub's next serve receives it. (Until it is received, the request
 * is looked at: taken by nobody else, or lost.)
 */
TEST_F(hub, uring_ring_closed_then_served_again)
{
	struct serve *sv = calloc(1, sizeof(*sv));
	struct serve *sv2 = calloc(1, sizeof(*sv2));
	struct fanout_result res = { 0 };
	struct fanout_results rs;
	struct io_uring ring;
	__u64 id;

	REQUIRE_HUB();
	ASSERT_TRUE(sv && sv2);
	ASSERT_EQ(-EAGAIN, settle(self->hub));
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	serve_init(sv, HUB_MEMBERS, HUB_BUF);
	ring_cmd(&ring, self->hub, FANOUT_IOC_HUB_SERVE, &sv->s);
	ASSERT_EQ(1, io_uring_submit(&ring));
	io_uring_queue_exit(&ring);
	id = hub_send_to(self->owner, 20, "again", 5);
	ASSERT_NE(0, id);
	for (;;) {
		serve_init(sv2, HUB_MEMBERS, HUB_BUF);
		sv2->s.flags = FANOUT_HUB_NONBLOCK;
		if (hub_serve_io(self->hub, sv2) != -EAGAIN)
			break;
		memset(&rs, 0, sizeof(rs));
		rs.id = id;
		rs.results = (uintptr_t)&res;
		rs.count = 1;
		ASSERT_EQ(0, fanout_results(self->owner, &rs));
		ASSERT_EQ(FANOUT_TARGET_QUEUED, res.state)
			TH_LOG("taken by the serve of the closed ring, lost");
		usleep(1000);
	}
	ASSERT_EQ(1, sv2->s.nmsgs);
	EXPECT_EQ(20, sv2->msg[0].slot);
	EXPECT_EQ(id, sv2->msg[0].id);
	EXPECT_EQ(0, fanout_release(self->owner, id));
	free(sv);
	free(sv2);
}

/*
 * The child of uring_sigkill_with_serve_pending: a hub whose one agent
 * serves @member; it takes one request, leaves a serve pending on its
 * ring and waits for its SIGKILL.
 */
static void __attribute__((noreturn))
hub_child(const char *name, int member, int ready)
{
	static struct serve sv;
	struct io_uring ring;
	int hub = fanout_open(0);
	int ag = fanout_test_agent(name, member);

	if (hub < 0 || ag < 0 || hub_attach(hub, ag) != 0 ||
	    io_uring_queue_init(8, &ring, 0))
		_exit(1);
	fanout_close(ag);
	if (write(ready, "a", 1) != 1)
		_exit(1);
	serve_init(&sv, HUB_MEMBERS, HUB_BUF);
	if (hub_serve_io(hub, &sv) || sv.s.nmsgs != 1 || sv.msg[0].error)
		_exit(2);
	serve_init(&sv, HUB_MEMBERS, HUB_BUF);
	ring_cmd(&ring, hub, FANOUT_IOC_HUB_SERVE, &sv.s);
	if (io_uring_submit(&ring) != 1 || write(ready, "s", 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

/*
 * A process holding a hub, with a request taken and a serve pending on
 * its ring, is killed: the serve is cancelled, the hub and its agent
 * released, the member goes down, the taken request fails -EPIPE, and
 * nothing stays charged.
 */
TEST_F(hub, uring_sigkill_with_serve_pending)
{
	struct results r;
	int pipefd[2], status;
	__u64 id;
	pid_t pid;
	char ch;

	REQUIRE_HUB();
	results_init(&r, 1);
	/* Member 30 served by the child's hub only. */
	ASSERT_EQ(0, fanout_leave(self->ag[30]));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		hub_child(self->name, 30, pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &ch, 1));
	id = hub_send_to(self->owner, 30, "kill", 4);
	ASSERT_NE(0, id);
	ASSERT_EQ(1, read(pipefd[0], &ch, 1));
	ASSERT_EQ('s', ch);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, wait_results(self->owner, id, &r, 1));
	EXPECT_EQ(FANOUT_TARGET_FAILED, r.res[0].state);
	EXPECT_EQ(-EPIPE, r.res[0].status);
	ASSERT_EQ(0, stats_reach(self->owner, 0, HUB_MEMBERS - 1));
	EXPECT_EQ(0, live_reach(&self->base));
	close(pipefd[0]);
	close(pipefd[1]);
	results_free(&r);
}

TEST_HARNESS_MAIN
