// SPDX-License-Identifier: MIT
/*
 * fanout rows: blocking fanout_call() to N agent processes that serve
 * their member with fanout_reply_recv() (one system call per request).
 * Variants: kernel-generated UUIDs, a distinct caller UUID per request,
 * 8 conversations round-robin. Then fanout alone: time against requests
 * pending in the kernel, kernel memory per request and per target, and
 * many coordinator threads on one group.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "libfanout.h"

/* Requests held pending for the scaling cells never expire during them. */
#define PENDING_DEADLINE_MS	3600000
#define LIVE_PATH		"/sys/kernel/debug/fanout/live"
#define USER_LIMIT_PATH		"/sys/module/fanout/parameters/max_user_requests"


static int group_seq;

static void fo_agent(int idx, void *arg)
{
	struct fo_ctx *c = arg;
	static char buf[BENCH_MAX_PAYLOAD];
	struct fanout_reply_recv rr;
	int fd = fanout_open(0);

	if (fd < 0 || fanout_group_open(fd, c->name) || fanout_join(fd, idx) != idx)
		return;
	agent_ready(idx);
	memset(&rr, 0, sizeof(rr));
	for (;;) {
		rr.recv.buf = (unsigned long)buf;
		rr.recv.buf_len = sizeof(buf);
		/* reply.id 0 the first time: receive only. */
		if (fanout_reply_recv(fd, &rr))
			return;
		agent_tick(idx);
		rr.reply.id = rr.recv.id;
		rr.reply.buf = (unsigned long)buf;
		rr.reply.len = rr.recv.len;
	}
}

static int fo_call(struct fo_ctx *c, int fd, struct fanout_result *res,
		   char *replies, const void *req, size_t size, unsigned long seq)
{
	struct fanout_call call;
	int ret;

	memset(&call, 0, sizeof(call));
	call.send.payload = (unsigned long)req;
	call.send.payload_len = size;
	if (c->targets) {
		call.send.targets = (unsigned long)c->targets;
		call.send.targets_bits = c->n;
	}
	if (c->row && c->row->variant == FO_UUID_EACH) {
		call.send.flags = FANOUT_SEND_UUID;
		memcpy(call.send.uuid, &seq, sizeof(seq));
		memcpy(call.send.uuid + 8, &c, sizeof(c));
	} else if (c->row && c->row->variant == FO_UUID_8) {
		call.send.flags = FANOUT_SEND_UUID;
		call.send.uuid[0] = 1 + seq % 8;
	}
	for (int i = 0; i < c->n; i++) {
		res[i].reply_buf = (unsigned long)(replies + (size_t)i * BENCH_MAX_PAYLOAD);
		res[i].reply_buf_len = BENCH_MAX_PAYLOAD;
	}
	call.results.results = (unsigned long)res;
	call.results.count = c->n;
	call.results.flags = FANOUT_RESULTS_RELEASE;
	ret = fanout_call(fd, &call);
	/*
	 * io_uring's task work (a ring of an earlier row being torn down
	 * queues some on this task) interrupts the wait like a signal: the
	 * request is sent, wait again and read its results.
	 */
	while (ret == -EINTR && call.send.id) {
		struct fanout_wait w = { .id = call.send.id };

		ret = fanout_wait(fd, &w);
		if (!ret) {
			call.results.id = call.send.id;
			ret = fanout_results(fd, &call.results);
		}
	}
	if (ret)
		return ret;
	if (call.results.nreplied != (unsigned int)c->n)
		return -EIO;
	return 0;
}

int fo_fanout(void *ctx, const void *req, size_t size)
{
	struct fo_ctx *c = ctx;

	return fo_call(c, c->co, c->res, c->replies, req, size, c->seq++);
}

/* Holds @count requests pending for the idle member; 0 or -errno. */
static int fo_hold_pending(struct fo_ctx *c, long count)
{
	static const char payload[64] = "pending";
	__u64 *bits = calloc((c->n + 64) / 64, sizeof(*bits));
	struct fanout_send s;
	int ret = 0;

	if (!bits)
		return -ENOMEM;
	bits[c->n / 64] |= 1ULL << (c->n % 64);
	if (count >= 10000)
		printf("fanout-bench: holding %ld requests pending ...\n", count);
	for (long i = 0; i < count && !ret; i++) {
		memset(&s, 0, sizeof(s));
		s.payload = (unsigned long)payload;
		s.payload_len = sizeof(payload);
		s.targets = (unsigned long)bits;
		s.targets_bits = c->n + 1;
		/* One conversation: the member queues them all in one AMQ. */
		s.flags = FANOUT_SEND_UUID;
		memset(s.uuid, 0xee, sizeof(s.uuid));
		s.deadline_ms = PENDING_DEADLINE_MS;
		ret = fanout_send(c->co, &s);
		if (ret)
			fprintf(stderr, "fanout-bench: pending request %ld of %ld: %s\n",
				i + 1, count, strerror(-ret));
	}
	free(bits);
	return ret;
}

/* @param: requests to hold pending for an idle extra member (0: none). */
int fo_setup(const struct bench_row *row, int n, long param, void **ctx)
{
	struct fanout_group_params p = { .mode = 0600 };
	struct fo_ctx *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->row = row;
	c->n = n;
	c->co = -1;
	c->idle = -1;
	c->res = calloc(n, sizeof(*c->res));
	c->replies = malloc((size_t)n * BENCH_MAX_PAYLOAD);
	snprintf(c->name, sizeof(c->name), "bench%d", group_seq++);
	snprintf(p.name, sizeof(p.name), "%s", c->name);
	p.max_members = n + (param ? 1 : 0);
	if (param) {
		p.max_pending = param + 1024;
		p.max_queue = param + 1024;
		c->targets = calloc((n + 63) / 64, sizeof(*c->targets));
		if (!c->targets) {
			ret = -ENOMEM;
			goto err;
		}
		for (int i = 0; i < n; i++)
			c->targets[i / 64] |= 1ULL << (i % 64);
	}
	c->co = fanout_open(0);
	if (!c->res || !c->replies || c->co < 0) {
		ret = c->co < 0 ? c->co : -ENOMEM;
		goto err;
	}
	ret = fanout_group_create(c->co, &p);
	if (ret)
		goto err;
	c->nagents = row && row->agent ? 1 : n;
	ret = agents_start(&c->pids, c->nagents,
			   row && row->agent ? row->agent : fo_agent, c);
	if (ret)
		goto err;
	if (param) {
		c->idle = fanout_open(0);
		ret = c->idle < 0 ? c->idle : fanout_group_open(c->idle, c->name);
		if (!ret)
			ret = fanout_join(c->idle, n) == n ? 0 : -EIO;
		if (!ret)
			ret = fo_hold_pending(c, param);
		if (ret)
			goto err;
	}
	*ctx = c;
	return 0;
err:
	*ctx = c;
	fo_teardown(c);
	return ret;
}

void fo_teardown(void *ctx)
{
	struct fo_ctx *c = ctx;

	if (c->co >= 0)
		fanout_group_destroy(c->co, c->name);
	if (c->pids)
		agents_reap(c->pids, c->nagents);
	if (c->idle >= 0)
		fanout_close(c->idle);
	if (c->co >= 0)
		fanout_close(c->co);
	free(c->targets);
	free(c->res);
	free(c->replies);
	free(c);
}

/* ---- time against pending requests ------------------------------------ */

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Raises the per-user request limit to @want if it is lower and we may. */
static long user_limit(long want)
{
	long have = read_long(USER_LIMIT_PATH);
	FILE *f;

	if (have >= 0 && have < want && (f = fopen(USER_LIMIT_PATH, "w"))) {
		fprintf(f, "%ld\n", want);
		fclose(f);
		printf("fanout-bench: max_user_requests raised from %ld to %ld\n",
		       have, want);
		have = read_long(USER_LIMIT_PATH);
	}
	return have;
}

static void fo_pending(void)
{
	static const struct bench_row row = {
		.key = "fanout", .label = "fanout call, N=8, P pending",
		.setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	};
	static const long pending[] = { 1, 1000, 100000 };
	static const int size = 64;
	long limit = user_limit(pending[2] + 4096);

	printf("\nfanout time against requests pending for an idle member "
	       "(max_user_requests %ld):\n", limit);
	for (int i = 0; i < 3; i++) {
		long p = pending[i];

		/* Leave room for the timed requests themselves. */
		if (limit > 0 && p > limit - 64)
			p = limit - 64;
		bench_cell("pending", &row, 8, p, &size, 1);
	}
}

/* ---- kernel memory per request and per target -------------------------- */

struct live {
	long requests;
	long bytes;
};

static int read_live(struct live *l)
{
	FILE *f = fopen(LIVE_PATH, "r");
	char key[32];
	long v;

	if (!f)
		return -errno;
	l->requests = l->bytes = -1;
	while (fscanf(f, "%31s %ld", key, &v) == 2) {
		if (!strcmp(key, "requests"))
			l->requests = v;
		else if (!strcmp(key, "bytes"))
			l->bytes = v;
	}
	fclose(f);
	return l->bytes < 0 ? -EINVAL : 0;
}

/*
 * Kernel bytes per request of @targets targets and a 64-byte payload:
 * the debugfs totals around sending @count requests to members whose
 * endpoints never receive. Returns bytes per request, or -errno.
 */
static double fo_mem_cell(int targets, long count)
{
	struct fanout_group_params p = { .mode = 0600 };
	static const char payload[64] = "memory";
	struct live before, after;
	int *fds = calloc(targets, sizeof(*fds));
	double per = -EIO;
	int co, ret;

	snprintf(p.name, sizeof(p.name), "benchmem%d", targets);
	p.max_members = targets;
	p.max_pending = count + 16;
	p.max_queue = count + 16;
	co = fanout_open(0);
	if (!fds || co < 0 || fanout_group_create(co, &p)) {
		free(fds);
		return co < 0 ? co : -EIO;
	}
	for (int i = 0; i < targets; i++) {
		fds[i] = fanout_open(0);
		if (fds[i] < 0 || fanout_group_open(fds[i], p.name) ||
		    fanout_join(fds[i], i) != i)
			goto out;
	}
	ret = read_live(&before);
	for (long i = 0; i < count && !ret; i++) {
		struct fanout_send s = {
			.payload = (unsigned long)payload,
			.payload_len = sizeof(payload),
			.deadline_ms = PENDING_DEADLINE_MS,
		};

		ret = fanout_send(co, &s);
	}
	if (!ret)
		ret = read_live(&after);
	if (!ret && after.requests - before.requests == count)
		per = (double)(after.bytes - before.bytes) / count;
	else
		per = ret ? ret : -EIO;
out:
	fanout_group_destroy(co, p.name);
	for (int i = 0; i < targets; i++)
		if (fds[i] > 0)
			fanout_close(fds[i]);
	fanout_close(co);
	free(fds);
	return per;
}

static void fo_memory(void)
{
	static const int targets[] = { 1, 64, 256 };
	static const long count = 1000;
	double per[3];
	struct bench_result *r;

	printf("\nkernel memory (debugfs fanout/live) around %ld pending requests:\n",
	       count);
	for (int i = 0; i < 3; i++) {
		per[i] = fo_mem_cell(targets[i], count);
		r = bench_add("memory", "fanout", "bytes per pending request",
			      targets[i], 64, count);
		if (per[i] < 0)
			snprintf(r->note, sizeof(r->note), "error: %s",
				 strerror((int)-per[i]));
		else
			r->value = per[i];
		printf("  %4d targets: %.0f bytes per request %s\n", targets[i],
		       r->value, r->note);
	}
	if (per[0] >= 0 && per[2] >= 0) {
		double t = (per[2] - per[0]) / (targets[2] - targets[0]);

		r = bench_add("memory", "fanout-target", "bytes per target", 0, 64, count);
		r->value = t;
		r = bench_add("memory", "fanout-base", "bytes per request, no target",
			      0, 64, count);
		r->value = per[0] - t;
		printf("  fit: %.0f bytes per request + %.0f bytes per target\n",
		       per[0] - t, t);
	}
}

/* ---- many coordinators on one group ------------------------------------ */

struct coord {
	pthread_t thread;
	struct fo_ctx *c;
	double end;
	long calls;
	int ret;
};

static void *coord_loop(void *arg)
{
	struct coord *k = arg;
	struct fo_ctx *c = k->c;
	struct fanout_result *res = calloc(c->n, sizeof(*res));
	char *replies = malloc((size_t)c->n * BENCH_MAX_PAYLOAD);
	static const char req[64] = "coordinator";
	int fd = fanout_open(0);

	if (!res || !replies)
		k->ret = -ENOMEM;
	else
		k->ret = fd < 0 ? fd : fanout_group_open(fd, c->name);
	while (!k->ret && now_us() < k->end) {
		k->ret = fo_call(c, fd, res, replies, req, sizeof(req), k->calls);
		if (!k->ret)
			k->calls++;
	}
	if (fd >= 0)
		fanout_close(fd);
	free(res);
	free(replies);
	return NULL;
}

static void fo_coordinators(void)
{
	static const int threads[] = { 2, 8, 32 };
	static const int n = 8;
	static const char req[64] = "marker";

	printf("\nmany coordinator threads on one group of %d agents:\n", n);
	for (int t = 0; t < 3; t++) {
		struct bench_result *r = bench_add("coordinators", "fanout",
						   "fanout calls, T threads, N=8",
						   n, 64, threads[t]);
		struct coord k[32];
		void *ctx;
		double t0;
		long sw, calls = 0;
		int ret = fo_setup(NULL, n, 0, &ctx);

		if (!ret) {
			agents_phase_begin();
			ret = fo_fanout(ctx, req, sizeof(req));
		}
		if (ret) {
			snprintf(r->note, sizeof(r->note), "error: %s", strerror(-ret));
			printf("  %s\n", r->note);
			continue;
		}
		sw = self_nvcsw();
		t0 = now_us();
		for (int i = 0; i < threads[t]; i++) {
			k[i] = (struct coord){ .c = ctx, .end = t0 + bench_seconds * 1e6 };
			pthread_create(&k[i].thread, NULL, coord_loop, &k[i]);
		}
		for (int i = 0; i < threads[t]; i++) {
			pthread_join(k[i].thread, NULL);
			calls += k[i].calls;
			if (k[i].ret && !ret)
				ret = k[i].ret;
		}
		r->iters = calls;
		r->per_s = calls / ((now_us() - t0) / 1e6);
		r->co_sw = calls ? (double)(self_nvcsw() - sw) / calls : 0;
		agents_phase_end();
		if (!ret)
			ret = fo_fanout(ctx, req, sizeof(req));
		if (!ret)
			r->ag_sw = (double)agents_phase_switches() / (calls + 1);
		if (ret)
			snprintf(r->note, sizeof(r->note), "error: %s", strerror(-ret));
		printf("  %2d threads: %.0f fan-outs/s, %.2f + %.2f switches "
		       "per fan-out %s\n", threads[t], r->per_s, r->co_sw,
		       r->ag_sw, r->note);
		fo_teardown(ctx);
	}
}

void fo_extra(void)
{
	fo_pending();
	fo_memory();
	fo_coordinators();
}
