// SPDX-License-Identifier: MIT
/*
 * fanout-bench: what a fan-out costs. For widths of 1 to 256 agents
 * (threads, one member each, echoing with fanout_reply_recv), one
 * coordinator makes blocking calls; the table shows calls per second,
 * the time per call and per target, and the voluntary context switches
 * per call of the coordinator and of the agents in all.
 *
 *   fanout-bench [SECONDS_PER_WIDTH]   (or FANOUT_BENCH_SECONDS; default 2)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "libfanout.h"

#define MAX_AGENTS	256
#define PAYLOAD		64

struct agent {
	pthread_t thread;
	int fd;
	long nvcsw;
};

static const char group[] = "bench";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long nvcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static void *agent_loop(void *arg)
{
	struct agent *a = arg;
	struct fanout_reply_recv rr;
	char buf[PAYLOAD];
	long start = nvcsw();

	memset(&rr, 0, sizeof(rr));
	for (;;) {
		rr.recv.buf = (unsigned long)buf;
		rr.recv.buf_len = sizeof(buf);
		/* reply.id 0 the first time: receive only. */
		if (fanout_reply_recv(a->fd, &rr))
			break;
		rr.reply.id = rr.recv.id;
		rr.reply.buf = (unsigned long)buf;
		rr.reply.len = rr.recv.len;
	}
	a->nvcsw = nvcsw() - start;
	return NULL;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "fanout-bench: %s: %s\n", what, strerror(-err));
	return 1;
}

/* One width: returns 0 and prints a table row. */
static int bench_width(int width, double seconds)
{
	static struct fanout_result res[MAX_AGENTS];
	struct fanout_group_params params = {
		.mode = 0600, .max_members = MAX_AGENTS,
	};
	struct agent agents[MAX_AGENTS];
	char payload[PAYLOAD] = "bench";
	struct fanout_call call;
	long calls = 0, co_sw, ag_sw = 0;
	double t0, t;
	int co, ret;

	snprintf(params.name, sizeof(params.name), "%s", group);
	co = fanout_open(0);
	if (co < 0)
		return fail("open", co);
	ret = fanout_group_create(co, &params);
	if (ret)
		return fail("create", ret);
	for (int i = 0; i < width; i++) {
		agents[i].fd = fanout_open(0);
		if (agents[i].fd < 0)
			return fail("open", agents[i].fd);
		ret = fanout_group_open(agents[i].fd, group);
		if (!ret)
			ret = fanout_join(agents[i].fd, i);
		if (ret < 0)
			return fail("join", ret);
		pthread_create(&agents[i].thread, NULL, agent_loop, &agents[i]);
	}

	co_sw = nvcsw();
	t0 = now_s();
	do {
		for (int k = 0; k < 16; k++, calls++) {
			memset(&call, 0, sizeof(call));
			call.send.payload = (unsigned long)payload;
			call.send.payload_len = sizeof(payload);
			call.results.results = (unsigned long)res;
			call.results.count = width;
			call.results.flags = FANOUT_RESULTS_RELEASE;
			ret = fanout_call(co, &call);
			if (ret)
				return fail("call", ret);
			if (call.results.nreplied != (unsigned int)width)
				return fail("call: missing replies", -EIO);
		}
		t = now_s() - t0;
	} while (t < seconds);
	co_sw = nvcsw() - co_sw;

	/* Destroying the group ends the agents' receive with -EIDRM. */
	fanout_group_destroy(co, group);
	for (int i = 0; i < width; i++) {
		pthread_join(agents[i].thread, NULL);
		ag_sw += agents[i].nvcsw;
		fanout_close(agents[i].fd);
	}
	fanout_close(co);

	printf("%7d %10.0f %12.1f %12.2f %12.2f %12.2f\n", width, calls / t,
	       t / calls * 1e6, t / calls / width * 1e6,
	       (double)co_sw / calls, (double)ag_sw / calls);
	return 0;
}

int main(int argc, char **argv)
{
	static const int widths[] = { 1, 8, 64, 256 };
	const char *env = getenv("FANOUT_BENCH_SECONDS");
	double seconds = argc > 1 ? atof(argv[1]) : env ? atof(env) : 2.0;

	printf("fanout-bench: blocking calls, %d-byte payload, %.1f s per width\n\n",
	       PAYLOAD, seconds);
	printf("%7s %10s %12s %12s %12s %12s\n", "agents", "calls/s",
	       "us/call", "us/target", "co-sw/call", "ag-sw/call");
	for (unsigned int i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		if (bench_width(widths[i], seconds))
			return 1;
	return 0;
}
