// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space side of the status broadcasts (libfanout's status API
 * and fanoutctl): a 4096-member group with 10,000 pending requests
 * arrives whole through fanout_status_recv(); the level-triggered agent
 * helper catches a member up from a broadcast alone; every fanoutctl
 * command against known state, its -j output parsed. The raw kernel
 * messages, extack and permissions are netlink_test's and
 * netlink_limits_test's.
 *
 * fanoutctl is found through $FANOUTCTL, else next to this program.
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fanout_util.h"
#include "libfanout_status.h"

/* The next complete broadcast of @group; overruns are retried. */
static int next_broadcast(struct fanout_status_sock *s, const char *group,
			  struct fanout_status **st)
{
	int ret, lost = 0;

	for (;;) {
		ret = fanout_status_recv(s, st);
		if (ret == -ENOBUFS && ++lost < 20)
			continue;
		if (ret)
			return ret;
		if (!strcmp((*st)->group, group))
			return 0;
		fanout_status_free(*st);
	}
}

/* The next broadcast of @group showing generation @gen. */
static int broadcast_of(struct fanout_status_sock *s, const char *group,
			__u64 gen, struct fanout_status **st)
{
	int ret;

	for (;;) {
		ret = next_broadcast(s, group, st);
		if (ret || (*st)->generation == gen)
			return ret;
		fanout_status_free(*st);
	}
}

static int set_state(int fd, __u32 code, const char *blob, __u64 *gen)
{
	return fanout_state_set(fd, code, blob, blob ? strlen(blob) : 0, gen);
}

/* Send a request to the members in @map (@bits bits); its id. */
static int send_to(int fd, const __u64 *map, unsigned int bits, __u64 *id)
{
	struct fanout_send s = {
		.payload = (uintptr_t)"x",
		.payload_len = 1,
		.targets = (uintptr_t)map,
		.targets_bits = bits,
	};
	int ret = fanout_send(fd, &s);

	*id = s.id;
	return ret;
}

/* ---- the big broadcast, reassembled -------------------------------- */

#define BIG_MEMBERS	4096
#define BIG_REQUESTS	10000

/* The member request @i targets; every third one also the last member. */
static unsigned int big_target(unsigned int i)
{
	return (i * 7) % BIG_MEMBERS;
}

/* A fixture only for the time limit: thousands of joins and sends. */
FIXTURE(big) {
	int unused;
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

TEST_F_TIMEOUT(big, broadcast_4096_members_10000_pending_whole, 900)
{
	struct rlimit rl = { BIG_MEMBERS + 64, BIG_MEMBERS + 64 };
	struct fanout_group_params p;
	struct fanout_status_sock *s;
	struct fanout_status *st;
	char name[FANOUT_NAME_MAX];
	__u64 map[BIG_MEMBERS / 64], gen, *ids;
	int *agents, fd, i, m;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	fanout_test_name(name, "big");
	fanout_test_params(&p, name, BIG_MEMBERS);
	p.max_pending = BIG_REQUESTS + 16;
	p.max_queue = BIG_REQUESTS;	/* the last member gets a third */
	p.deadline_ms = 600000;
	fd = fanout_test_create_params(&p);
	ASSERT_LE(0, fd);
	agents = calloc(BIG_MEMBERS, sizeof(*agents));
	ids = calloc(BIG_REQUESTS, sizeof(*ids));
	ASSERT_TRUE(agents && ids);
	for (m = 0; m < BIG_MEMBERS; m++) {
		agents[m] = fanout_test_agent(name, m);
		ASSERT_LE(0, agents[m]);
	}
	for (i = 0; i < BIG_REQUESTS; i++) {
		memset(map, 0, sizeof(map));
		map[big_target(i) / 64] |= 1ULL << (big_target(i) % 64);
		if (i % 3 == 0)
			map[BIG_MEMBERS / 64 - 1] |= 1ULL << 63;
		ASSERT_EQ(0, send_to(fd, map, BIG_MEMBERS, &ids[i]));
	}
	ASSERT_EQ(0, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE));
	ASSERT_EQ(0, set_state(fd, 7, "big", &gen));
	ASSERT_EQ(0, broadcast_of(s, name, gen, &st));

	/* Whole: every request, in id order, with its members. */
	EXPECT_LT(1, st->parts);
	EXPECT_EQ(BIG_MEMBERS, st->max_members);
	EXPECT_EQ(BIG_MEMBERS, st->members_up);
	EXPECT_EQ(7, st->code);
	EXPECT_EQ(3, st->blob_len);
	EXPECT_EQ(0, memcmp(st->blob, "big", 3));
	for (m = 0; m < BIG_MEMBERS; m++)
		ASSERT_TRUE(fanout_bitmap_test(st->up, st->words, m));
	EXPECT_EQ(BIG_REQUESTS, st->npending_announced);
	ASSERT_EQ(BIG_REQUESTS, st->npending);
	for (i = 0; i < BIG_REQUESTS; i++) {
		const struct fanout_status_pending *pp = &st->pending[i];

		ASSERT_EQ(ids[i], pp->id);
		ASSERT_EQ(i % 3 || big_target(i) == BIG_MEMBERS - 1 ? 1 : 2,
			  pp->nopen);
		ASSERT_TRUE(fanout_bitmap_test(pp->members, pp->words,
					       big_target(i)));
		ASSERT_EQ(i % 3 == 0 || big_target(i) == BIG_MEMBERS - 1,
			  fanout_bitmap_test(pp->members, pp->words,
					     BIG_MEMBERS - 1));
	}
	fanout_status_free(st);

	/* The same through the query. */
	ASSERT_EQ(0, fanout_status_get(s, name, &st));
	EXPECT_EQ(gen, st->generation);
	EXPECT_EQ(FANOUT_REASON_QUERY, st->reason);
	EXPECT_EQ(BIG_REQUESTS, st->npending);
	fanout_status_free(st);
	ASSERT_EQ(0, fanout_status_pending(s, name, &st));
	EXPECT_EQ(BIG_REQUESTS, st->npending);
	EXPECT_EQ(ids[BIG_REQUESTS - 1], st->pending[BIG_REQUESTS - 1].id);
	fanout_status_free(st);

	fanout_status_close(s);
	for (m = 0; m < BIG_MEMBERS; m++)
		fanout_close(agents[m]);
	fanout_close(fd);
	free(agents);
	free(ids);
}

/* ---- the level-triggered agent helper ------------------------------- */

#define SYNC_MEMBERS	16

/* What reach() saw; the agent's "state". */
struct reached {
	__u64 generation;
	__u32 code;
	char blob[64];
	int calls;
};

static int reach(__u64 generation, __u32 code, const void *blob,
		 __u32 blob_len, void *arg)
{
	struct reached *r = arg;

	r->generation = generation;
	r->code = code;
	snprintf(r->blob, sizeof(r->blob), "%.*s", (int)blob_len,
		 (const char *)blob);
	r->calls++;
	return 0;
}

/* Whether every up member confirmed @gen, polled (timeout 0). */
static int converged(int fd, __u64 gen)
{
	struct fanout_state_wait w = {
		.generation = gen,
		.flags = FANOUT_STATE_WAIT_TIMEOUT,
	};

	return fanout_state_wait(fd, &w);
}

FIXTURE(sync) {
	char name[FANOUT_NAME_MAX];
	int fd;
	struct fanout_agent_sync a[SYNC_MEMBERS];
	struct reached r[SYNC_MEMBERS];
	struct fanout_status_sock *s;
};

FIXTURE_SETUP(sync)
{
	struct fanout_group_params p;
	int m;

	fanout_test_name(self->name, "sync");
	fanout_test_params(&p, self->name, SYNC_MEMBERS);
	p.status_interval_ms = FANOUT_STATUS_INTERVAL_MIN_MS;
	self->fd = fanout_test_create_params(&p);
	ASSERT_LE(0, self->fd);
	memset(self->a, 0, sizeof(self->a));
	memset(self->r, 0, sizeof(self->r));
	for (m = 0; m < SYNC_MEMBERS; m++) {
		self->a[m].fd = -1;
		self->a[m].member = m;
		snprintf(self->a[m].group, FANOUT_NAME_MAX, "%s", self->name);
		self->a[m].reach = reach;
		self->a[m].arg = &self->r[m];
	}
	ASSERT_EQ(0, fanout_status_open(&self->s, FANOUT_STATUS_SUBSCRIBE));
}

FIXTURE_TEARDOWN(sync)
{
	int m;

	fanout_status_close(self->s);
	for (m = 0; m < SYNC_MEMBERS; m++)
		if (self->a[m].fd >= 0)
			fanout_close(self->a[m].fd);
	fanout_close(self->fd);
}

/*
 * 16 members, the last one down: set-state; the broadcasts bring the 15
 * up; the last joins later and catches up from the next broadcast alone
 * (it never asks the device); wait-state holds until then.
 */
TEST_F(sync, down_member_catches_up_from_broadcast)
{
	struct fanout_status *st;
	__u64 gen;
	int m;

	for (m = 0; m < SYNC_MEMBERS - 1; m++) {
		self->a[m].fd = fanout_test_agent(self->name, m);
		ASSERT_LE(0, self->a[m].fd);
	}
	ASSERT_EQ(0, set_state(self->fd, 42, "v2", &gen));
	ASSERT_EQ(0, broadcast_of(self->s, self->name, gen, &st));
	EXPECT_FALSE(fanout_bitmap_test(st->up, st->words, SYNC_MEMBERS - 1));
	for (m = 0; m < SYNC_MEMBERS - 1; m++) {
		EXPECT_FALSE(fanout_bitmap_test(st->confirmed, st->words, m));
		ASSERT_EQ(1, fanout_agent_sync(&self->a[m], st));
		EXPECT_EQ(gen, self->a[m].generation);
		EXPECT_EQ(42, self->r[m].code);
		EXPECT_STREQ("v2", self->r[m].blob);
	}
	/* The same broadcast again: nothing to do (reached, confirmed). */
	EXPECT_EQ(0, fanout_agent_sync(&self->a[0], st));
	EXPECT_EQ(1, self->r[0].calls);
	fanout_status_free(st);
	ASSERT_EQ(0, converged(self->fd, gen));

	/* The down member joins: unconfirmed, it holds the wait. */
	m = SYNC_MEMBERS - 1;
	self->a[m].fd = fanout_test_agent(self->name, m);
	ASSERT_LE(0, self->a[m].fd);
	EXPECT_EQ(-ETIME, converged(self->fd, gen));
	do {
		ASSERT_EQ(0, next_broadcast(self->s, self->name, &st));
		if (!fanout_bitmap_test(st->up, st->words, m)) {
			fanout_status_free(st);
			st = NULL;
		}
	} while (!st);
	EXPECT_FALSE(fanout_bitmap_test(st->confirmed, st->words, m));
	ASSERT_EQ(1, fanout_agent_sync(&self->a[m], st));
	fanout_status_free(st);
	EXPECT_EQ(gen, self->r[m].generation);
	EXPECT_EQ(42, self->r[m].code);
	EXPECT_STREQ("v2", self->r[m].blob);
	EXPECT_EQ(0, converged(self->fd, gen));
}

/*
 * An agent ignores the broadcast of the state set; the periodic one (its
 * member is still unconfirmed) makes it confirm. Duplicate and stale
 * confirmations change nothing and are counted.
 */
TEST_F(sync, ignored_notice_caught_by_periodic_broadcast)
{
	struct fanout_group_stats before, after;
	struct fanout_status *st;
	__u64 gen1, gen2;

	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	ASSERT_EQ(0, set_state(self->fd, 1, NULL, &gen1));
	ASSERT_EQ(0, set_state(self->fd, 2, "two", &gen2));
	/*
	 * The agent ignores every broadcast of the events (the member up, the
	 * state sets: how many there are depends on how they fold); the
	 * periodic one that follows shows it still behind.
	 */
	ASSERT_EQ(0, broadcast_of(self->s, self->name, gen2, &st));
	while (st->reason != FANOUT_REASON_PERIODIC) {
		EXPECT_FALSE(fanout_bitmap_test(st->confirmed, st->words, 0));
		fanout_status_free(st);		/* ignored */
		ASSERT_EQ(0, next_broadcast(self->s, self->name, &st));
	}
	EXPECT_EQ(gen2, st->generation);
	EXPECT_FALSE(fanout_bitmap_test(st->confirmed, st->words, 0));
	ASSERT_EQ(1, fanout_agent_sync(&self->a[0], st));
	fanout_status_free(st);
	EXPECT_EQ(gen2, self->r[0].generation);
	EXPECT_EQ(1, self->r[0].calls);		/* straight to the newest */
	EXPECT_EQ(0, converged(self->fd, gen2));

	ASSERT_EQ(0, fanout_status_stats(self->s, self->name, &before));
	EXPECT_EQ(-EALREADY, fanout_confirm(self->a[0].fd, gen2));
	EXPECT_EQ(-ESTALE, fanout_confirm(self->a[0].fd, gen1));
	ASSERT_EQ(0, fanout_status_stats(self->s, self->name, &after));
	EXPECT_EQ(before.confirms, after.confirms);
	EXPECT_EQ(before.dup_confirms + 1, after.dup_confirms);
	EXPECT_EQ(before.stale_confirms + 1, after.stale_confirms);
	EXPECT_EQ(0, converged(self->fd, gen2));
	/* Without a broadcast, asking the device: up to date. */
	EXPECT_EQ(0, fanout_agent_sync(&self->a[0], NULL));
}

/*
 * A broadcast outdated by a newer state: the helper reaches the old one,
 * its confirmation is stale, so it reads the newest from the device and
 * confirms that.
 */
TEST_F(sync, outdated_broadcast_leads_to_newest_state)
{
	struct fanout_status *st;
	__u64 gen1, gen2;

	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	ASSERT_EQ(0, set_state(self->fd, 1, "one", &gen1));
	ASSERT_EQ(0, broadcast_of(self->s, self->name, gen1, &st));
	ASSERT_EQ(0, set_state(self->fd, 2, "two", &gen2));
	ASSERT_EQ(1, fanout_agent_sync(&self->a[0], st));
	fanout_status_free(st);
	EXPECT_EQ(gen2, self->a[0].generation);
	EXPECT_EQ(2, self->r[0].calls);
	EXPECT_EQ(2, self->r[0].code);
	EXPECT_STREQ("two", self->r[0].blob);
	EXPECT_EQ(1, self->a[0].confirms);
	EXPECT_EQ(0, converged(self->fd, gen2));
}

/*
 * A status older than the state the agent reached (a broadcast still in
 * its socket from before the last set) does not send it back.
 */
TEST_F(sync, older_status_changes_nothing)
{
	struct fanout_status old = { 0 };
	__u64 gen1, gen2;

	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	ASSERT_EQ(0, set_state(self->fd, 1, "one", &gen1));
	ASSERT_EQ(0, set_state(self->fd, 2, "two", &gen2));
	ASSERT_EQ(1, fanout_agent_sync(&self->a[0], NULL));
	EXPECT_EQ(1, self->r[0].calls);
	snprintf(old.group, sizeof(old.group), "%s", self->name);
	old.generation = gen1;
	old.code = 1;
	EXPECT_EQ(0, fanout_agent_sync(&self->a[0], &old));
	EXPECT_EQ(1, self->r[0].calls);
	EXPECT_EQ(gen2, self->r[0].generation);
	EXPECT_EQ(gen2, self->a[0].generation);
	EXPECT_EQ(0, converged(self->fd, gen2));
}

/*
 * A member that goes down and comes up again lost its confirmation: the
 * helper, asking the device, confirms again without reaching again.
 */
TEST_F(sync, member_up_again_confirms_again)
{
	__u64 gen;

	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	ASSERT_EQ(0, set_state(self->fd, 3, NULL, &gen));
	ASSERT_EQ(1, fanout_agent_sync(&self->a[0], NULL));
	fanout_close(self->a[0].fd);
	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	EXPECT_EQ(-ETIME, converged(self->fd, gen));
	ASSERT_EQ(1, fanout_agent_sync(&self->a[0], NULL));
	EXPECT_EQ(1, self->r[0].calls);
	EXPECT_EQ(0, converged(self->fd, gen));
}

/* Before any state is set there is nothing to confirm: no wait. */
TEST_F(sync, no_state_no_wait)
{
	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	EXPECT_EQ(0, converged(self->fd, 0));
	EXPECT_EQ(0, fanout_agent_sync(&self->a[0], NULL));
	EXPECT_EQ(0, self->r[0].calls);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A signal ends a blocking fanout_status_recv() with -EINTR (fanoutctl
 * monitor stops on SIGINT that way), broadcasts of other tests' groups
 * notwithstanding.
 */
TEST(status_recv_interrupted)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = {
		.it_value = { .tv_usec = 100000 },
		.it_interval = { .tv_usec = 100000 },
	};
	struct fanout_status_sock *s;
	struct fanout_status *st;
	int ret;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	ASSERT_EQ(0, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	while ((ret = fanout_status_recv(s, &st)) == 0)
		fanout_status_free(st);
	EXPECT_EQ(-EINTR, ret);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	fanout_status_close(s);
}

/* Another group's broadcast is none of the agent's business. */
TEST_F(sync, other_group_broadcast_ignored)
{
	struct fanout_status st = { .generation = 5 };

	snprintf(st.group, sizeof(st.group), "not-%.20s", self->name);
	self->a[0].fd = fanout_test_agent(self->name, 0);
	ASSERT_LE(0, self->a[0].fd);
	EXPECT_EQ(0, fanout_agent_sync(&self->a[0], &st));
	EXPECT_EQ(0, self->r[0].calls);
}

/*
 * A group of 64 members with @n pending requests to member 0 (its agent
 * in *@agent, which never takes them). Returns the owner's fd.
 */
static int pending_group(char *name, const char *tag, unsigned int n,
			 int *agent)
{
	struct fanout_group_params p;
	__u64 map = 1, id;
	unsigned int i;
	int fd;

	fanout_test_name(name, tag);
	fanout_test_params(&p, name, 64);
	p.deadline_ms = 600000;
	p.max_queue = n;
	p.max_pending = n;
	fd = fanout_test_create_params(&p);
	if (fd < 0)
		return fd;
	*agent = fanout_test_agent(name, 0);
	for (i = 0; *agent >= 0 && i < n; i++)
		if (send_to(fd, &map, 64, &id))
			return -1;
	return *agent < 0 ? *agent : fd;
}

/*
 * A socket that overruns never hands out a broadcast with parts missing:
 * -ENOBUFS, then the next broadcast whole, the loss counted.
 */
TEST(overrun_gives_enobufs_then_whole_broadcast)
{
	struct fanout_status_sock *s, *witness;
	struct fanout_status *st;
	char name[FANOUT_NAME_MAX];
	int fd, agent, ret, small = 1, big = 8 << 20, nobufs = 0;
	__u64 gen;

	fd = pending_group(name, "ovr", 3000, &agent);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE));
	ASSERT_EQ(0, fanout_status_open(&witness, FANOUT_STATUS_SUBSCRIBE));
	/* The smallest receive buffer: one part fits, the next overrun. */
	ASSERT_EQ(0, setsockopt(fanout_status_fd(s), SOL_SOCKET, SO_RCVBUFFORCE,
				&small, sizeof(small)));
	ASSERT_EQ(0, set_state(fd, 1, NULL, &gen));
	/*
	 * Every part was sent to both sockets once the witness has the
	 * whole broadcast: @s, not read meanwhile, overran.
	 */
	for (;;) {
		ASSERT_EQ(0, fanout_status_recv(witness, &st));
		ret = strcmp(st->group, name) || st->generation != gen;
		fanout_status_free(st);
		if (!ret)
			break;
	}
	fanout_status_close(witness);
	/* Every broadcast returned is whole; overruns are reported. */
	for (;;) {
		ret = fanout_status_recv(s, &st);
		if (ret == -ENOBUFS) {
			nobufs++;
			ASSERT_EQ(0, setsockopt(fanout_status_fd(s), SOL_SOCKET,
						SO_RCVBUFFORCE, &big,
						sizeof(big)));
			continue;
		}
		ASSERT_EQ(0, ret);
		if (strcmp(st->group, name)) {
			fanout_status_free(st);
			continue;
		}
		EXPECT_LT(1, st->parts);
		ASSERT_EQ(3000, st->npending);
		break;
	}
	EXPECT_LE(1, nobufs);
	EXPECT_LE(1, st->lost);
	fanout_status_free(st);
	fanout_status_close(s);
	fanout_close(agent);
	fanout_close(fd);
}

/*
 * Two groups broadcast in parts at the same time (their parts may
 * interleave on the socket): each arrives whole, under its own name.
 */
TEST(two_groups_in_parts_arrive_whole)
{
	char name[2][FANOUT_NAME_MAX];
	struct fanout_status_sock *s;
	struct fanout_status *st;
	int fd[2], agent[2], got[2] = { 0, 0 }, i, g;
	__u64 gen[2];

	for (i = 0; i < 2; i++) {
		fd[i] = pending_group(name[i], i ? "two" : "one", 2000,
				      &agent[i]);
		ASSERT_LE(0, fd[i]);
	}
	ASSERT_EQ(0, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, set_state(fd[i], 10 + i, NULL, &gen[i]));
	while (!got[0] || !got[1]) {
		ASSERT_EQ(0, fanout_status_recv(s, &st));
		g = !strcmp(st->group, name[1]);
		if (!g && strcmp(st->group, name[0])) {
			fanout_status_free(st);
			continue;
		}
		EXPECT_EQ(2000, st->npending);
		EXPECT_LT(1, st->parts);
		if (st->generation == gen[g]) {
			EXPECT_EQ(10 + g, st->code);
			got[g] = 1;
		}
		fanout_status_free(st);
	}
	fanout_status_close(s);
	for (i = 0; i < 2; i++) {
		fanout_close(agent[i]);
		fanout_close(fd[i]);
	}
}

/* A group created again under its name counts its broadcasts anew. */
TEST(group_created_again_loses_nothing)
{
	struct fanout_status_sock *s;
	struct fanout_status *st;
	char name[FANOUT_NAME_MAX];
	int round, fd, agent, last;
	__u64 gen;

	fanout_test_name(name, "again");
	ASSERT_EQ(0, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE));
	for (round = 0; round < 2; round++) {
		fd = fanout_test_create(name, 4, 0);
		ASSERT_LE(0, fd);
		agent = fanout_test_agent(name, 0);
		ASSERT_LE(0, agent);
		ASSERT_EQ(0, set_state(fd, 10 * round + 1, NULL, &gen));
		ASSERT_EQ(0, set_state(fd, 10 * round + 2, NULL, &gen));
		/*
		 * Every broadcast up to this round's last state (the first
		 * round's last ones may still be queued): none lost.
		 */
		do {
			ASSERT_EQ(0, next_broadcast(s, name, &st));
			EXPECT_EQ(0, st->lost) {
				TH_LOG("round %d: seq %u, lost %u", round,
				       st->seq, st->lost);
			}
			last = st->generation == gen &&
			       st->code == 10 * round + 2;
			fanout_status_free(st);
		} while (!last);
		fanout_close(agent);
		ASSERT_EQ(0, fanout_group_destroy(fd, name));
		fanout_close(fd);
	}
	fanout_status_close(s);
}

/*
 * Without CAP_NET_ADMIN: no broadcasts and no list of every group, a
 * group without read permission is refused; with it, the agent helper
 * polls the device and catches up.
 */
TEST(unprivileged_agent_polls)
{
	char open_name[FANOUT_NAME_MAX], closed_name[FANOUT_NAME_MAX];
	struct fanout_agent_sync a = { .reach = reach };
	struct fanout_status_group *groups;
	struct fanout_status_sock *s;
	struct fanout_status *st;
	struct reached r = { 0 };
	int fd, closed, agent;
	__u64 gen;

	fanout_test_name(open_name, "unpo");
	fanout_test_name(closed_name, "unpc");
	fd = fanout_test_create(open_name, 4, 0);
	ASSERT_LE(0, fd);
	closed = fanout_test_create_mode(closed_name, 4, 0, 0600);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, setresgid(65534, 65534, 65534));
	ASSERT_EQ(0, setresuid(65534, 65534, 65534));

	EXPECT_EQ(-EPERM, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE));
	ASSERT_EQ(0, fanout_status_open(&s, 0));
	EXPECT_EQ(-EPERM, fanout_status_groups(s, NULL, &groups));
	EXPECT_EQ(-EACCES, fanout_status_get(s, closed_name, &st));
	ASSERT_EQ(1, fanout_status_groups(s, open_name, &groups));
	EXPECT_STREQ(open_name, groups[0].name);
	free(groups);

	agent = fanout_test_agent(open_name, 2);
	ASSERT_LE(0, agent);
	a.fd = agent;
	a.member = 2;
	a.arg = &r;
	snprintf(a.group, sizeof(a.group), "%s", open_name);
	ASSERT_EQ(0, set_state(fd, 77, "poll", &gen));
	/* The query answers like a broadcast; or the device is asked. */
	ASSERT_EQ(0, fanout_status_get(s, open_name, &st));
	EXPECT_EQ(gen, st->generation);
	EXPECT_FALSE(fanout_bitmap_test(st->confirmed, st->words, 2));
	fanout_status_free(st);
	EXPECT_EQ(1, fanout_agent_sync(&a, NULL));
	EXPECT_EQ(77, r.code);
	EXPECT_STREQ("poll", r.blob);
	EXPECT_EQ(0, fanout_agent_sync(&a, NULL));
	EXPECT_EQ(0, converged(fd, gen));
	fanout_status_close(s);
	fanout_close(agent);
	fanout_close(closed);
	fanout_close(fd);
}

/* ---- rejected inputs of the library ------------------------------------ */

TEST(status_open_unknown_flags)
{
	struct fanout_status_sock *s = (void *)1;

	EXPECT_EQ(-EINVAL, fanout_status_open(&s, 1U << 31));
	EXPECT_EQ(NULL, s);
}

TEST(status_fd_not_subscribed)
{
	struct fanout_status_sock *s;

	ASSERT_EQ(0, fanout_status_open(&s, 0));
	EXPECT_EQ(-ENOTCONN, fanout_status_fd(s));
	fanout_status_close(s);
}

TEST(status_recv_not_subscribed)
{
	struct fanout_status_sock *s;
	struct fanout_status *st;

	ASSERT_EQ(0, fanout_status_open(&s, 0));
	EXPECT_EQ(-ENOTCONN, fanout_status_recv(s, &st));
	EXPECT_EQ(NULL, st);
	fanout_status_close(s);
}

TEST(status_recv_nonblock_nothing)
{
	struct fanout_status_sock *s;
	struct fanout_status *st;

	ASSERT_EQ(0, fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE |
					    FANOUT_STATUS_NONBLOCK));
	/* Nothing is outstanding anywhere: no broadcast comes. */
	EXPECT_EQ(-EAGAIN, fanout_status_recv(s, &st));
	fanout_status_close(s);
}

TEST(status_query_without_group)
{
	struct fanout_status_sock *s;
	struct fanout_status_member *m;
	struct fanout_status_queue *q;
	struct fanout_group_stats stats;
	struct fanout_status *st;

	ASSERT_EQ(0, fanout_status_open(&s, 0));
	EXPECT_EQ(-EINVAL, fanout_status_members(s, NULL, &m));
	EXPECT_EQ(-EINVAL, fanout_status_queues(s, NULL, &q));
	EXPECT_EQ(-EINVAL, fanout_status_pending(s, NULL, &st));
	EXPECT_EQ(-EINVAL, fanout_status_get(s, NULL, &st));
	EXPECT_EQ(-EINVAL, fanout_status_stats(s, NULL, &stats));
	fanout_status_close(s);
}

TEST(status_query_name_too_long)
{
	char name[FANOUT_NAME_MAX + 1];
	struct fanout_status_sock *s;
	struct fanout_status *st;

	memset(name, 'n', FANOUT_NAME_MAX);
	name[FANOUT_NAME_MAX] = '\0';
	ASSERT_EQ(0, fanout_status_open(&s, 0));
	EXPECT_EQ(-ENAMETOOLONG, fanout_status_get(s, name, &st));
	fanout_status_close(s);
}

TEST(status_query_unknown_group)
{
	struct fanout_status_sock *s;
	struct fanout_group_stats stats;
	struct fanout_status *st;

	ASSERT_EQ(0, fanout_status_open(&s, 0));
	EXPECT_EQ(-ENOENT, fanout_status_get(s, "no-such-group", &st));
	EXPECT_EQ(NULL, st);
	/* The kernel's extended ACK says why. */
	EXPECT_NE('\0', fanout_status_errmsg(s)[0]);
	TH_LOG("extack: %s", fanout_status_errmsg(s));
	EXPECT_EQ(-ENOENT, fanout_status_stats(s, "no-such-group", &stats));
	fanout_status_close(s);
}

TEST(agent_sync_without_reach)
{
	struct fanout_agent_sync a = { .fd = -1 };

	EXPECT_EQ(-EINVAL, fanout_agent_sync(&a, NULL));
}

TEST(agent_sync_not_joined)
{
	struct fanout_agent_sync a = { .reach = reach };
	char name[FANOUT_NAME_MAX];
	struct reached r = { 0 };
	__u64 gen;

	fanout_test_name(name, "nj");
	a.fd = fanout_test_create(name, 4, 0);
	ASSERT_LE(0, a.fd);
	a.arg = &r;
	ASSERT_EQ(0, set_state(a.fd, 3, NULL, &gen));
	/* Reached, but the confirmation is refused. */
	EXPECT_EQ(-ENOTCONN, fanout_agent_sync(&a, NULL));
	EXPECT_EQ(gen, a.generation);
	EXPECT_EQ(1, r.calls);
	fanout_close(a.fd);
}

/* ---- fanoutctl ---------------------------------------------------------- */

/* Path of fanoutctl: $FANOUTCTL, else beside this program. */
static void fanoutctl_path(char *path, size_t size)
{
	const char *env = getenv("FANOUTCTL");
	char self[PATH_MAX - 16];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(path, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, size, "%s/fanoutctl", self);
}

/* Run fanoutctl with @args (space-separated); its stdout, exit status. */
static int fanoutctl(char *out, size_t size, const char *args)
{
	char path[PATH_MAX], cmd[PATH_MAX + 256];
	size_t n = 0;
	FILE *f;
	int st;

	fanoutctl_path(path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "%s %s", path, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n < size - 1 && fgets(out + n, size - n, f))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- a tiny JSON checker: well-formed, and values found by path ---- */

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* The end of the JSON value at @p, or NULL when it is malformed. */
static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && !*++p)
				return NULL;
		return *p ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_value(p);	/* the key */
				if (!p || *(p = json_ws(p)) != ':')
					return NULL;
				p++;
			}
			p = json_value(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
		return p;
	}
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	return !strncmp(p, "false", 5) ? p + 5 : NULL;
}

/* Whether @s is exactly one well-formed JSON value (and a newline). */
static int json_ok(const char *s)
{
	const char *end = json_value(s);

	return end && !*json_ws(end);
}

/* Whether "key":value occurs in @s (value as printed, e.g. "\"a\"" or 3). */
static int json_has(const char *s, const char *key, const char *val)
{
	char pat[256];

	snprintf(pat, sizeof(pat), "\"%s\":%s", key, val);
	return strstr(s, pat) != NULL;
}

FIXTURE(ctl) {
	char name[FANOUT_NAME_MAX];
	int fd, agent[3];
	__u64 id, gen;
	char out[65536];
};

/*
 * Known state: 8 members; agents on 1, 2 and 5; a request to 1 and 2
 * (member 1 took it); state 9 "blob" set; member 2 confirmed.
 */
FIXTURE_SETUP(ctl)
{
	struct fanout_recv r = { .flags = FANOUT_RECV_NONBLOCK };
	char buf[8];
	__u64 map = 1 << 1 | 1 << 2;
	const int members[3] = { 1, 2, 5 };
	int i;

	fanout_test_name(self->name, "ctl");
	self->fd = fanout_test_create(self->name, 8, 600000);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < 3; i++) {
		self->agent[i] = fanout_test_agent(self->name, members[i]);
		ASSERT_LE(0, self->agent[i]);
	}
	ASSERT_EQ(0, send_to(self->fd, &map, 8, &self->id));
	r.buf = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	ASSERT_EQ(0, fanout_recv(self->agent[0], &r));
	ASSERT_EQ(self->id, r.id);
	ASSERT_EQ(0, set_state(self->fd, 9, "blob", &self->gen));
	ASSERT_EQ(0, fanout_confirm(self->agent[1], self->gen));
}

FIXTURE_TEARDOWN(ctl)
{
	int i;

	for (i = 0; i < 3; i++)
		fanout_close(self->agent[i]);
	fanout_close(self->fd);
}

TEST_F(ctl, groups)
{
	char row[256];

	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), "-j groups"));
	ASSERT_TRUE(json_ok(self->out));
	ASSERT_EQ('[', self->out[0]);
	snprintf(row, sizeof(row),
		 "{\"name\":\"%s\",\"members\":8,\"up\":3,\"confirmed\":1,"
		 "\"generation\":%llu,\"code\":9,\"pending\":1,\"redeliver\":0,",
		 self->name, (unsigned long long)self->gen);
	EXPECT_TRUE(strstr(self->out, row) != NULL) {
		TH_LOG("%s\nnot in\n%s", row, self->out);
	}
	/* The table, for people: a header line and our row. */
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), "groups"));
	EXPECT_EQ(0, strncmp(self->out, "name ", 5));
	EXPECT_TRUE(strstr(self->out, self->name) != NULL);
}

TEST_F(ctl, group)
{
	char args[64], gen[32];

	snprintf(args, sizeof(args), "-j group %s", self->name);
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)self->gen);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out)) {
		TH_LOG("%s", self->out);
	}
	EXPECT_TRUE(json_has(self->out, "generation", gen));
	EXPECT_TRUE(json_has(self->out, "code", "9"));
	EXPECT_TRUE(json_has(self->out, "blob", "\"626c6f62\""));
	EXPECT_TRUE(json_has(self->out, "members_up", "[1,2,5]"));
	EXPECT_TRUE(json_has(self->out, "members_confirmed", "[2]"));
	EXPECT_TRUE(json_has(self->out, "deadline_ms", "600000"));
	EXPECT_TRUE(json_has(self->out, "mode", "\"0666\""));
	EXPECT_TRUE(json_has(self->out, "members", "[1,2]"));
}

TEST_F(ctl, members)
{
	char args[64], row[512];

	snprintf(args, sizeof(args), "-j members %s", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out));
	snprintf(row, sizeof(row),
		 "{\"member\":2,\"agents\":1,\"confirmed_gen\":%llu,"
		 "\"queued\":1,", (unsigned long long)self->gen);
	EXPECT_TRUE(strstr(self->out, row) != NULL) {
		TH_LOG("%s\nnot in\n%s", row, self->out);
	}
	EXPECT_TRUE(strstr(self->out, "{\"member\":5,\"agents\":1,"
				      "\"confirmed_gen\":0,\"queued\":0,") != NULL);
	EXPECT_TRUE(strstr(self->out, "{\"member\":1,\"agents\":1,"
				      "\"confirmed_gen\":0,") != NULL);
	EXPECT_TRUE(strstr(self->out, "{\"member\":0,") == NULL);

	/* The table for people, exactly: a header, columns aligned. */
	snprintf(args, sizeof(args), "members %s", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	snprintf(row, sizeof(row),
		 "member  agents  confirmed_gen  queued  busy_queues  redeliver\n"
		 "1       1       0              0       1            0\n"
		 "2       1       %-13llu  1       1            0\n"
		 "5       1       0              0       0            0\n",
		 (unsigned long long)self->gen);
	EXPECT_STREQ(row, self->out);
}

TEST_F(ctl, pending)
{
	char args[64], id[64];

	snprintf(args, sizeof(args), "-j pending %s", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out));
	snprintf(id, sizeof(id), "[{\"id\":%llu,",
		 (unsigned long long)self->id);
	EXPECT_EQ(0, strncmp(self->out, id, strlen(id))) {
		TH_LOG("%s", self->out);
	}
	EXPECT_TRUE(json_has(self->out, "targets", "2"));
	EXPECT_TRUE(json_has(self->out, "open", "2"));
	EXPECT_TRUE(json_has(self->out, "members", "[1,2]"));
	EXPECT_TRUE(json_has(self->out, "redeliver", "[]"));
}

TEST_F(ctl, queues)
{
	char args[64], pid[64];

	snprintf(args, sizeof(args), "-j queues %s", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out)) {
		TH_LOG("%s", self->out);
	}
	/* Member 1's queue (taken by us), member 2's (queued). */
	EXPECT_TRUE(strstr(self->out, "{\"member\":1,") != NULL);
	EXPECT_TRUE(strstr(self->out, "{\"member\":2,") != NULL);
	EXPECT_TRUE(strstr(self->out, "\"queued\":0,\"taken\":1,") != NULL);
	snprintf(pid, sizeof(pid), "\"agent_pid\":%d}", getpid());
	EXPECT_TRUE(strstr(self->out, pid) != NULL);
}

TEST_F(ctl, stats)
{
	char args[64];

	snprintf(args, sizeof(args), "-j stats %s", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out));
	EXPECT_TRUE(json_has(self->out, "requests", "1"));
	EXPECT_TRUE(json_has(self->out, "pending", "1"));
	EXPECT_TRUE(json_has(self->out, "members_up", "3"));
	EXPECT_TRUE(json_has(self->out, "confirms", "1"));
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), "-j stats"));
	ASSERT_TRUE(json_ok(self->out));
	EXPECT_TRUE(strstr(self->out, self->name) != NULL);
}

TEST_F(ctl, set_state_and_wait_state)
{
	char args[96], gen[32];
	int i;

	snprintf(args, sizeof(args), "-j set-state %s 11 hello", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out));
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)self->gen + 1);
	EXPECT_TRUE(json_has(self->out, "generation", gen));

	/* Not confirmed yet: wait-state times out, exit status 3. */
	snprintf(args, sizeof(args), "-j -t 1 wait-state %s", self->name);
	ASSERT_EQ(3, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out));
	EXPECT_TRUE(json_has(self->out, "result", "\"timeout\""));
	EXPECT_TRUE(json_has(self->out, "code", "11"));
	EXPECT_TRUE(json_has(self->out, "members_confirmed", "[]"));

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, fanout_confirm(self->agent[i], self->gen + 1));
	snprintf(args, sizeof(args), "-j wait-state %s", self->name);
	ASSERT_EQ(0, fanoutctl(self->out, sizeof(self->out), args));
	ASSERT_TRUE(json_ok(self->out));
	EXPECT_TRUE(json_has(self->out, "result", "\"confirmed\""));
	EXPECT_TRUE(json_has(self->out, "members_confirmed", "[1,2,5]"));

	/* Bad input: a code that is no number, a missing argument. */
	snprintf(args, sizeof(args), "set-state %s x 2>/dev/null", self->name);
	EXPECT_EQ(2, fanoutctl(self->out, sizeof(self->out), args));
	EXPECT_EQ(2, fanoutctl(self->out, sizeof(self->out),
			       "set-state 2>/dev/null"));
	EXPECT_EQ(2, fanoutctl(self->out, sizeof(self->out),
			       "no-such-command 2>/dev/null"));
	snprintf(args, sizeof(args), "-t soon wait-state %s 2>/dev/null",
		 self->name);
	EXPECT_EQ(2, fanoutctl(self->out, sizeof(self->out), args));
	EXPECT_EQ(1, fanoutctl(self->out, sizeof(self->out),
			       "group no-such-group 2>/dev/null"));
}

TEST_F(ctl, monitor)
{
	char path[PATH_MAX], line[4096], gen[32];
	int pipefd[2], fd;
	pid_t pid;
	FILE *f;

	fanoutctl_path(path, sizeof(path));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(path, "fanoutctl", "-j", "monitor", self->name, NULL);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	ASSERT_TRUE(f != NULL);
	/*
	 * The monitor subscribes some time after the fork: a member joining
	 * each round makes a broadcast until one line shows our state set.
	 */
	snprintf(gen, sizeof(gen), "%llu", (unsigned long long)self->gen + 1);
	ASSERT_EQ(0, set_state(self->fd, 12, NULL, &self->gen));
	fd = fanout_test_agent(self->name, 7);
	ASSERT_LE(0, fd);
	/* Lines until one shows the new state (older ones may come first). */
	do {
		ASSERT_TRUE(fgets(line, sizeof(line), f) != NULL);
		ASSERT_TRUE(json_ok(line)) {
			TH_LOG("%s", line);
		}
		EXPECT_TRUE(strstr(line, self->name) != NULL);
	} while (!json_has(line, "generation", gen));
	kill(pid, SIGTERM);
	EXPECT_TRUE(json_has(line, "code", "12"));
	fclose(f);
	waitpid(pid, NULL, 0);
	fanout_close(fd);
}

TEST_HARNESS_MAIN
