// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: 4 coordinator threads x 64 agent processes x 2,000 fan-outs on
 * an SMP guest, with agents killed (SIGKILL) and restarted at random.
 * Every fan-out must settle with a correct reply or a death notice for
 * every target, and no coordinator may be left asleep.
 */
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fanout_agents.h"

#define COORDINATORS	4
#define AGENTS		64
/* Per coordinator; STRESS_FANOUTS lowers it on slow (debug) kernels. */
#define FANOUTS		2000

static int fanouts(void)
{
	return fanout_test_env_int("STRESS_FANOUTS", FANOUTS);
}
#define KILL_EVERY	97	/* fan-outs between two agent deaths */

struct stress {
	char name[FANOUT_NAME_MAX];
	pid_t agent[AGENTS];
	atomic_long progress;
	atomic_long replies;
	atomic_long deaths_seen;
	atomic_int failed;
};

static pid_t agent_process(const char *name, int member)
{
	pid_t pid = fork();
	struct agent a;

	if (pid)
		return pid;
	/* No threads in a child of a threaded parent: serve right here. */
	memset(&a, 0, sizeof(a));
	a.member = member;
	a.fd = fanout_test_agent(name, member);
	if (a.fd < 0)
		_exit(1);
	agent_loop(&a);
	_exit(0);
}

/* Check one settled fan-out; returns 0 when every target is accounted. */
static int check_fanout(struct stress *st, struct fanout_call *c,
			struct results *r, const char *payload, size_t len)
{
	char want[AGENT_BUF + 16];

	if (c->results.count != c->send.ntargets ||
	    c->results.nreplied + c->results.nfailed != c->send.ntargets)
		return -1;
	for (unsigned int i = 0; i < c->results.count; i++) {
		struct fanout_result *res = &r->res[i];
		size_t wlen;

		if (res->state == FANOUT_TARGET_FAILED) {
			if (res->status != -EPIPE &&
			    res->status != -ENOTCONN) {
				fprintf(stderr, "# member %u: status %d\n",
					res->member, res->status);
				return -1;
			}
			atomic_fetch_add(&st->deaths_seen, 1);
			continue;
		}
		wlen = agent_echo(want, sizeof(want), res->member, payload,
				  len);
		if (res->state != FANOUT_TARGET_REPLIED || res->status ||
		    res->reply_len != wlen ||
		    memcmp(want, r->buf[i], wlen)) {
			fprintf(stderr, "# member %u: state %u status %d reply %.*s\n",
				res->member, res->state, res->status,
				(int)res->reply_len, r->buf[i]);
			return -1;
		}
		atomic_fetch_add(&st->replies, 1);
	}
	return 0;
}

struct coordinator {
	pthread_t thread;
	struct stress *st;
	int id;
};

static void *coordinator_loop(void *arg)
{
	struct coordinator *co = arg;
	struct stress *st = co->st;
	char payload[64];
	struct fanout_call c;
	struct results r;
	int fd, len, ret;

	fd = fanout_open(0);
	if (fd < 0 || fanout_group_open(fd, st->name)) {
		atomic_store(&st->failed, 1);
		return NULL;
	}
	results_init(&r, AGENTS);
	for (int i = 0; i < fanouts() && !atomic_load(&st->failed); i++) {
		len = snprintf(payload, sizeof(payload), "c%d-%d", co->id, i);
		call_init(&c, &r, payload, len);
		/* A coordinator left asleep fails instead of hanging. */
		c.wait.flags = FANOUT_WAIT_TIMEOUT;
		c.wait.timeout_ns = 60ULL * 1000 * 1000 * 1000;
		ret = fanout_call(fd, &c);
		if (ret)
			fprintf(stderr, "# call: %d\n", ret);
		if (ret || check_fanout(st, &c, &r, payload, len)) {
			atomic_store(&st->failed, 1);
			break;
		}
		atomic_fetch_add(&st->progress, 1);
	}
	results_free(&r);
	fanout_close(fd);
	return NULL;
}

FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, four_coordinators_64_agents_with_deaths, 600)
{
	struct coordinator co[COORDINATORS];
	struct stress *st = calloc(1, sizeof(*st));
	long kill_every = getenv("KILL_EVERY") ? atol(getenv("KILL_EVERY")) : KILL_EVERY;
	long next_kill = kill_every, kills = 0;
	unsigned int seed = 1;
	int owner, status;

	ASSERT_NE(NULL, st);
	fanout_test_name(st->name, "stress");
	owner = fanout_test_create(st->name, AGENTS, 0);
	ASSERT_LE(0, owner);
	for (int i = 0; i < AGENTS; i++) {
		st->agent[i] = agent_process(st->name, i);
		ASSERT_LT(0, st->agent[i]);
	}
	for (int i = 0; i < COORDINATORS; i++) {
		co[i] = (struct coordinator){ .st = st, .id = i };
		ASSERT_EQ(0, pthread_create(&co[i].thread, NULL,
					    coordinator_loop, &co[i]));
	}
	/* Kill one agent every KILL_EVERY fan-outs and start a new one. */
	while (atomic_load(&st->progress) < COORDINATORS * fanouts() &&
	       !atomic_load(&st->failed)) {
		int victim;

		if (atomic_load(&st->progress) < next_kill) {
			usleep(1000);	/* pacing only; nothing waits on it */
			continue;
		}
		next_kill += kill_every;
		victim = rand_r(&seed) % AGENTS;
		kill(st->agent[victim], SIGKILL);
		waitpid(st->agent[victim], &status, 0);
		st->agent[victim] = agent_process(st->name, victim);
		kills++;
	}
	for (int i = 0; i < COORDINATORS; i++)
		pthread_join(co[i].thread, NULL);
	EXPECT_EQ(0, atomic_load(&st->failed));
	EXPECT_EQ(COORDINATORS * fanouts(), atomic_load(&st->progress));
	TH_LOG("%ld fan-outs, %ld replies, %ld death notices, %ld kills",
	       atomic_load(&st->progress), atomic_load(&st->replies),
	       atomic_load(&st->deaths_seen), kills);
	EXPECT_LT(0, kills);

	ASSERT_EQ(0, fanout_group_destroy(owner, st->name));
	for (int i = 0; i < AGENTS; i++) {
		ASSERT_EQ(st->agent[i], waitpid(st->agent[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
	}
	fanout_close(owner);
	free(st);
}

TEST_HARNESS_MAIN
