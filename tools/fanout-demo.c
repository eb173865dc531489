// SPDX-License-Identifier: MIT
/*
 * fanout-demo: what fanout does, in one screen. A coordinator fans one
 * request out to 8 agent processes. Six answer, one is killed while it
 * holds the request, one stays silent. The coordinator parks once and
 * wakes with an answer or a failure notice for every agent.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libfanout.h"

#define AGENTS		8
#define KILLED		6	/* killed while holding the request */
#define SILENT		7	/* takes the request, never answers */
#define DEADLINE_MS	1000
#define KILL_AT_MS	150

static const char group[] = "demo";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "fanout-demo: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* Agent process for @member: report "joined", take one request, act. */
static void agent(int member, int ready_fd)
{
	struct fanout_reply reply = { 0 };
	struct fanout_recv rcv = { 0 };
	char in[256], out[300];
	double start;
	int fd, ret;

	fd = fanout_open(0);
	if (fd < 0 || fanout_group_open(fd, group) ||
	    fanout_join(fd, member) != member)
		_exit(1);
	if (write(ready_fd, "j", 1) != 1)
		_exit(1);
	rcv.buf = (unsigned long)in;
	rcv.buf_len = sizeof(in);
	ret = fanout_recv(fd, &rcv);
	start = now_ms();
	if (ret)
		_exit(1);
	if (write(ready_fd, "t", 1) != 1)
		_exit(1);
	if (member == KILLED || member == SILENT)
		for (;;)
			pause();
	/* Some work that takes a while: 40 ms more per member. */
	usleep(40000 * (member + 1));
	reply.id = rcv.id;
	reply.buf = (unsigned long)out;
	reply.len = snprintf(out, sizeof(out), "%.*s done in %.0f ms",
			     (int)rcv.len, in, now_ms() - start) + 1;
	ret = fanout_reply(fd, &reply);
	_exit(ret ? 1 : 0);
}

static pid_t start_agent(int member, int *taken_fd)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		die("pipe", -errno);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (!pid) {
		close(p[0]);
		agent(member, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("agent did not join", -EPIPE);
	*taken_fd = p[0];	/* the agent writes 't' once it holds one */
	return pid;
}

static const char *outcome(const struct fanout_result *r)
{
	switch (r->status) {
	case -EPIPE:
		return "agent died holding the request";
	case -ETIMEDOUT:
		return "no answer by the deadline";
	case -ENOTCONN:
		return "member was not up";
	default:
		return strerror(-r->status);
	}
}

int main(void)
{
	struct fanout_group_params params = {
		.mode = 0600, .max_members = AGENTS, .deadline_ms = DEADLINE_MS,
	};
	struct fanout_result res[AGENTS];
	char replies[AGENTS][300];
	int taken_fd[AGENTS];
	pid_t pids[AGENTS];
	struct fanout_call call;
	double t0, t1;
	int co, ret;
	char c;

	snprintf(params.name, sizeof(params.name), "%s", group);
	co = fanout_open(0);
	if (co < 0)
		die("open " FANOUT_DEVICE_PATH, co);
	ret = fanout_group_create(co, &params);
	if (ret)
		die("create group", ret);

	for (int i = 0; i < AGENTS; i++)
		pids[i] = start_agent(i, &taken_fd[i]);
	printf("fanout demo: 1 coordinator, %d agents (member %d will be killed "
	       "mid-request, member %d stays silent), deadline %d ms\n\n",
	       AGENTS, KILLED, SILENT, DEADLINE_MS);

	memset(&call, 0, sizeof(call));
	memset(res, 0, sizeof(res));
	for (int i = 0; i < AGENTS; i++) {
		res[i].reply_buf = (unsigned long)replies[i];
		res[i].reply_buf_len = sizeof(replies[i]);
	}
	call.send.payload = (unsigned long)"resize the cache";
	call.send.payload_len = strlen("resize the cache");
	call.results.results = (unsigned long)res;
	call.results.count = AGENTS;
	call.results.flags = FANOUT_RESULTS_RELEASE;

	/* The killer: a child that SIGKILLs member KILLED once it holds it. */
	if (!fork()) {
		if (read(taken_fd[KILLED], &c, 1) == 1) {
			usleep(KILL_AT_MS * 1000);
			kill(pids[KILLED], SIGKILL);
		}
		_exit(0);
	}
	t0 = now_ms();
	/* Send, park until every target settled, read all results: one call. */
	ret = fanout_call(co, &call);
	t1 = now_ms();
	if (ret)
		die("call", ret);

	printf("  member  result     detail\n");
	printf("  ------  ---------  ----------------------------------------\n");
	for (unsigned int i = 0; i < call.results.count; i++) {
		if (res[i].state == FANOUT_TARGET_REPLIED)
			printf("  %6u  replied    \"%s\"\n", res[i].member,
			       replies[i]);
		else
			printf("  %6u  %-9s  %s\n", res[i].member,
			       strerrorname_np(-res[i].status) ?: "error",
			       outcome(&res[i]));
	}
	printf("\n%u replies, %u failure notices; the coordinator slept once "
	       "and woke after %.0f ms\n", call.results.nreplied,
	       call.results.nfailed, t1 - t0);
	kill(pids[SILENT], SIGKILL);
	while (wait(NULL) > 0)
		;
	fanout_group_destroy(co, group);
	fanout_close(co);
	return call.results.nreplied == AGENTS - 2 &&
	       call.results.nfailed == 2 ? 0 : 1;
}
