// SPDX-License-Identifier: MIT
/*
 * fanout-bench: one coordinator fans a request out to N agents and waits
 * for all N replies, over fanout and over what users would write instead;
 * every row in one run (one guest boot), so their ratios hold.
 *
 * Per row, N and payload size: p50 and p99 time per fan-out, fan-outs per
 * second, and voluntary context switches per fan-out of the coordinator
 * and of all agents (each process's own getrusage() around the timed
 * phase). Then fanout alone: time against requests pending in the kernel,
 * kernel memory per request and per target, and many coordinators.
 *
 * The table goes to stdout, then CSV and JSON between BENCH-CSV-BEGIN/END
 * and BENCH-JSON-BEGIN/END markers (tools/bench/collect.sh extracts them).
 *
 * Environment: BENCH_SECONDS (timed seconds per cell, default 1),
 * BENCH_N (agent counts, default "1 8 64 256"; 4096 works with fanout,
 * pipes and sockets given the memory), BENCH_SIZES (default "64 4096"),
 * BENCH_ROWS (keys of the rows to run, default all), BENCH_EXTRA=0 skips
 * the fanout-only measurements.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double bench_seconds = 1.0;

/* At least this many timed fan-outs per cell, whatever the time. */
#define MIN_ITERS	5
#define MAX_ITERS	200000
#define MAX_RESULTS	512
/* A cell (setup, both sizes, teardown) that takes longer is interrupted. */
#define CELL_ALARM_S	300

/*
 * The rows, in table order. A row whose setup is NULL prints "n/a (na)".
 * The io_uring rows (rows_uring.c): the coordinator-side ones keep
 * variant fan-outs in flight and return at each completion, around
 * fo_setup and fo_teardown for the agents and the group (struct fo_ctx);
 * the one-process agent rows serve all N members of fo_ctx's group,
 * with fo_setup, fo_fanout and fo_teardown. Rows with an agent function
 * run that in one agent process instead of N blocking ones: the hub
 * agents (rows_hub.c) serve the in-flight rows' "hub agent" versions
 * too.
 */
static const struct bench_row rows[] = {
	{ .key = "fanout", .label = "fanout call (blocking)",
	  .setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	  .variant = FO_PLAIN },
	{ .key = "fanout-uuid", .label = "fanout call, distinct UUIDs",
	  .setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	  .variant = FO_UUID_EACH },
	{ .key = "fanout-uuid8", .label = "fanout call, 8 UUID conversations",
	  .setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	  .variant = FO_UUID_8 },
	{ .key = "fanout-uring1", .label = "fanout io_uring, 1 in flight",
	  .setup = uring_co_setup, .fanout = uring_co_fanout,
	  .teardown = uring_co_teardown, .drain = uring_co_drain,
	  .variant = 1 },
	{ .key = "fanout-uring64", .label = "fanout io_uring, 64 in flight",
	  .setup = uring_co_setup, .fanout = uring_co_fanout,
	  .teardown = uring_co_teardown, .drain = uring_co_drain,
	  .variant = 64 },
	{ .key = "fanout-uring1024", .label = "fanout io_uring, 1024 in flight",
	  .setup = uring_co_setup, .fanout = uring_co_fanout,
	  .teardown = uring_co_teardown, .drain = uring_co_drain,
	  .variant = 1024 },
	{ .key = "fanout-uring1-hub",
	  .label = "fanout io_uring, 1 in flight, hub agent",
	  .setup = uring_co_setup, .fanout = uring_co_fanout,
	  .teardown = uring_co_teardown, .drain = uring_co_drain,
	  .variant = 1, .agent = hub_agent_uring },
	{ .key = "fanout-uring64-hub",
	  .label = "fanout io_uring, 64 in flight, hub agent",
	  .setup = uring_co_setup, .fanout = uring_co_fanout,
	  .teardown = uring_co_teardown, .drain = uring_co_drain,
	  .variant = 64, .agent = hub_agent_uring },
	{ .key = "fanout-uring1024-hub",
	  .label = "fanout io_uring, 1024 in flight, hub agent",
	  .setup = uring_co_setup, .fanout = uring_co_fanout,
	  .teardown = uring_co_teardown, .drain = uring_co_drain,
	  .variant = 1024, .agent = hub_agent_uring },
	{ .key = "fanout-uring-agent", .label = "fanout, one-process io_uring agent",
	  .setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	  .agent = uring_agent },
	{ .key = "fanout-hub-uring",
	  .label = "fanout, one-process hub agent (io_uring)",
	  .setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	  .agent = hub_agent_uring },
	{ .key = "fanout-hub-ioctl",
	  .label = "fanout, one-process hub agent (ioctl)",
	  .setup = fo_setup, .fanout = fo_fanout, .teardown = fo_teardown,
	  .agent = hub_agent_ioctl },
	{ .key = "uds", .label = "UDS seqpacket+epoll, N agents",
	  .setup = fd_setup, .fanout = fd_fanout, .teardown = fd_teardown,
	  .variant = FD_UDS_EPOLL },
	{ .key = "uds-1", .label = "UDS seqpacket+epoll, 1 agent",
	  .setup = fd_setup, .fanout = fd_fanout, .teardown = fd_teardown,
	  .variant = FD_UDS_EPOLL | FD_ONE_AGENT },
	{ .key = "pipe", .label = "pipes+poll, N agents",
	  .setup = fd_setup, .fanout = fd_fanout, .teardown = fd_teardown,
	  .variant = FD_PIPE_POLL },
	{ .key = "pipe-1", .label = "pipes+poll, 1 agent",
	  .setup = fd_setup, .fanout = fd_fanout, .teardown = fd_teardown,
	  .variant = FD_PIPE_POLL | FD_ONE_AGENT },
	{ .key = "tipc", .label = "TIPC group multicast",
	  .setup = tipc_setup, .fanout = tipc_fanout, .teardown = tipc_teardown },
	{ .key = "binder", .label = "binder, N sequential transactions",
	  .setup = binder_setup, .fanout = binder_fanout, .teardown = binder_teardown },
	{ .key = "syscall", .label = "floor: empty syscall",
	  .setup = syscall_setup, .fanout = syscall_fanout, .teardown = syscall_teardown,
	  .fixed_n = 1 },
	{ .key = "pingpong", .label = "floor: pipe ping-pong",
	  .setup = fd_setup, .fanout = fd_fanout, .teardown = fd_teardown,
	  .variant = FD_PIPE_BLOCK, .fixed_n = 1 },
};

static struct bench_result results[MAX_RESULTS];
static int nresults;

double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

long self_nvcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_nvcsw;
}

int bench_error(const char *row, const char *what, int err)
{
	fprintf(stderr, "fanout-bench: %s: %s: %s\n", row, what, strerror(-err));
	return err;
}

/* Reads exactly @len bytes (0) or fails (-errno, -EPIPE at EOF). */
int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			return -EINTR;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		got += r;
	}
	return 0;
}

struct bench_result *bench_add(const char *section, const char *key,
			       const char *label, int n, int size, long param)
{
	struct bench_result *r;

	if (nresults == MAX_RESULTS) {
		static struct bench_result spill;

		memset(&spill, 0, sizeof(spill));
		return &spill;
	}
	r = &results[nresults++];
	memset(r, 0, sizeof(*r));
	r->section = section;
	r->key = key;
	r->label = label;
	r->n = n;
	r->size = size;
	r->param = param;
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double *lat;

/* Times @fn(@arg) into @r: p50, p99, rate, and the coordinator's switches. */
void bench_time(struct bench_result *r, int (*fn)(void *arg), void *arg)
{
	double t0, t, end;
	long sw, i = 0;
	int ret;

	sw = self_nvcsw();
	t0 = now_us();
	end = t0 + bench_seconds * 1e6;
	do {
		t = now_us();
		ret = fn(arg);
		lat[i] = now_us() - t;
		if (ret) {
			snprintf(r->note, sizeof(r->note), "error: %s",
				 strerror(-ret));
			return;
		}
	} while (++i < MAX_ITERS && (i < MIN_ITERS || lat[i - 1] + t < end));
	t = now_us() - t0;
	r->co_sw = (double)(self_nvcsw() - sw) / i;
	qsort(lat, i, sizeof(*lat), cmp_double);
	r->iters = i;
	r->p50_us = lat[i / 2];
	r->p99_us = lat[(i * 99) / 100];
	r->per_s = i / (t / 1e6);
}

struct cell_arg {
	const struct bench_row *row;
	void *ctx;
	const char *req;
	size_t size;
};

static int cell_once(void *arg)
{
	struct cell_arg *c = arg;

	return c->row->fanout(c->ctx, c->req, c->size);
}

static void print_result(const struct bench_result *r);

static void on_alarm(int sig)
{
	(void)sig;	/* only interrupts the blocked system call */
}

/* Complete what a row keeps in flight: how many, 0 for other rows. */
static int cell_drain(struct cell_arg *c)
{
	return c->row->drain ? c->row->drain(c->ctx) : 0;
}

/*
 * One payload size of a cell: warm-up, markers, the timed fan-outs.
 * With fan-outs in flight, the opening marker starts from none, and the
 * ones still in flight at the close are completed before the closing
 * marker: they are in the agents' window, and counted for ag-sw.
 */
static int bench_sizes(struct bench_result *r, struct cell_arg *c)
{
	int ret = 0, drained = 0;

	for (int w = 0; w < 3 && !ret; w++)
		ret = cell_once(c);
	if (!ret)
		ret = cell_drain(c) < 0 ? -EIO : 0;
	agents_phase_begin();
	if (!ret)
		ret = cell_once(c);		/* agents take their first rusage */
	if (!ret) {
		bench_time(r, cell_once, c);
		if (r->note[0])
			ret = -EIO;
	}
	agents_phase_end();
	if (!ret) {
		drained = cell_drain(c);
		ret = drained < 0 ? drained : 0;
	}
	if (!ret)
		ret = cell_once(c);		/* and their second */
	/* The agents' window also holds the wait for the closing marker. */
	if (!ret)
		r->ag_sw = (double)agents_phase_switches() /
			   (r->iters + drained + 1);
	else if (!r->note[0])
		snprintf(r->note, sizeof(r->note), "error: %s", strerror(-ret));
	return ret;
}

void bench_cell(const char *section, const struct bench_row *row, int n,
		long param, const int *sizes, int nsizes)
{
	static char req[BENCH_MAX_PAYLOAD];
	struct cell_arg c = { .row = row, .req = req };
	struct bench_result *r;
	int setup_ret, ret = 0, i;

	if (!row->setup) {
		r = bench_add(section, row->key, row->label, 0, 0, param);
		snprintf(r->note, sizeof(r->note), "n/a (%s)", row->na);
		print_result(r);
		return;
	}
	memset(req, 'q', sizeof(req));
	alarm(CELL_ALARM_S);
	setup_ret = row->setup(row, n, param, &c.ctx);
	for (i = 0; i < nsizes; i++) {
		r = bench_add(section, row->key, row->label, n, sizes[i], param);
		if (setup_ret) {
			snprintf(r->note, sizeof(r->note), "setup failed: %s",
				 strerror(-setup_ret));
		} else if (ret) {
			/* The instance may hold stale replies now. */
			snprintf(r->note, sizeof(r->note), "skipped after error");
		} else {
			c.size = sizes[i];
			ret = bench_sizes(r, &c);
		}
		print_result(r);
	}
	if (!setup_ret)
		row->teardown(c.ctx);
	alarm(0);
}

/* ---- output ------------------------------------------------------------ */

static void print_header(void)
{
	printf("%-42s %5s %5s %8s %10s %10s %10s %8s %8s\n", "row", "N",
	       "bytes", "param", "p50 us", "p99 us", "fanouts/s", "co-sw",
	       "ag-sw");
}

static void print_result(const struct bench_result *r)
{
	char param[16] = "-";

	if (r->param)
		snprintf(param, sizeof(param), "%ld", r->param);
	if (!strcmp(r->section, "memory")) {
		printf("%-42s %5d %5d %8s %10s %10s %10s %8s %8s  %.0f bytes %s\n",
		       r->label, r->n, r->size, param, "", "", "", "", "",
		       r->value, r->note);
	} else if (r->note[0]) {
		printf("%-42s %5d %5d %8s  %s\n", r->label, r->n, r->size,
		       param, r->note);
	} else if (!r->p50_us) {	/* many coordinators: rate only */
		printf("%-42s %5d %5d %8s %10s %10s %10.0f %8.2f %8.2f\n",
		       r->label, r->n, r->size, param, "-", "-", r->per_s,
		       r->co_sw, r->ag_sw);
	} else {
		printf("%-42s %5d %5d %8s %10.1f %10.1f %10.0f %8.2f %8.2f\n",
		       r->label, r->n, r->size, param, r->p50_us, r->p99_us,
		       r->per_s, r->co_sw, r->ag_sw);
	}
	fflush(stdout);
}

static void print_table(void)
{
	const char *section = "";

	printf("BENCH-TABLE-BEGIN\n");
	for (int i = 0; i < nresults; i++) {
		if (strcmp(section, results[i].section)) {
			section = results[i].section;
			printf("\n[%s]\n", section);
			print_header();
		}
		print_result(&results[i]);
	}
	printf("BENCH-TABLE-END\n");
}

static void print_csv(void)
{
	printf("BENCH-CSV-BEGIN\n");
	printf("section,key,label,n,size,param,iters,p50_us,p99_us,per_s,"
	       "co_sw,ag_sw,sw_per_fanout,value,note\n");
	for (int i = 0; i < nresults; i++) {
		const struct bench_result *r = &results[i];

		printf("%s,%s,\"%s\",%d,%d,%ld,%ld,%.2f,%.2f,%.1f,%.3f,%.3f,"
		       "%.3f,%.1f,\"%s\"\n", r->section, r->key, r->label, r->n,
		       r->size, r->param, r->iters, r->p50_us, r->p99_us,
		       r->per_s, r->co_sw, r->ag_sw, r->co_sw + r->ag_sw,
		       r->value, r->note);
	}
	printf("BENCH-CSV-END\n");
}

static void print_json(void)
{
	printf("BENCH-JSON-BEGIN\n{\"seconds_per_cell\": %.2f, \"cpus\": %ld, "
	       "\"results\": [\n", bench_seconds, sysconf(_SC_NPROCESSORS_ONLN));
	for (int i = 0; i < nresults; i++) {
		const struct bench_result *r = &results[i];

		printf(" {\"section\": \"%s\", \"key\": \"%s\", \"label\": \"%s\", "
		       "\"n\": %d, \"size\": %d, \"param\": %ld, \"iters\": %ld, "
		       "\"p50_us\": %.2f, \"p99_us\": %.2f, \"per_s\": %.1f, "
		       "\"co_sw\": %.3f, \"ag_sw\": %.3f, \"value\": %.1f, "
		       "\"ok\": %s, \"note\": \"%s\"}%s\n", r->section, r->key,
		       r->label, r->n, r->size, r->param, r->iters, r->p50_us,
		       r->p99_us, r->per_s, r->co_sw, r->ag_sw, r->value,
		       r->note[0] ? "false" : "true", r->note,
		       i + 1 < nresults ? "," : "");
	}
	printf("]}\nBENCH-JSON-END\n");
}

static const struct bench_result *find(const char *section, const char *key,
				       int n, int size, long param)
{
	for (int i = 0; i < nresults; i++) {
		const struct bench_result *r = &results[i];

		if (!strcmp(r->section, section) && !strcmp(r->key, key) &&
		    r->n == n && r->size == size && r->param == param &&
		    !r->note[0])
			return r;
	}
	return NULL;
}

/* The goals of Documentation/performance.rst, against this run. */
/*
 * The io_uring goals (issue 12), 64 bytes, at N=64 and N=256; @fo: the
 * blocking row at N=64. Every one-process agent against the one-process
 * epoll agent, every in-flight row against the blocking call.
 */
static void print_uring_goals(const struct bench_result *fo)
{
	static const char *const agents[] = {
		"fanout-uring-agent", "fanout-hub-uring", "fanout-hub-ioctl",
	};
	static const char *const inflight[] = {
		"fanout-uring1", "fanout-uring64", "fanout-uring1024",
		"fanout-uring1-hub", "fanout-uring64-hub", "fanout-uring1024-hub",
	};
	static const int ns[] = { 64, 256 };

	for (int i = 0; i < 2; i++) {
		const struct bench_result *uds1 = find("row", "uds-1", ns[i], 64, 0);

		for (int k = 0; k < 3; k++) {
			const struct bench_result *ag = find("row", agents[k],
							     ns[i], 64, 0);

			if (ag && uds1)
				printf("  %s N=%d p50 / uds-1 p50 = %.2f (goal <= 0.5), "
				       "switches %.1f (goal <= 4)\n", agents[k],
				       ns[i], ag->p50_us / uds1->p50_us,
				       ag->co_sw + ag->ag_sw);
		}
	}
	for (int k = 0; k < 6; k++) {
		const struct bench_result *u = find("row", inflight[k], 64, 64, 0);

		if (fo && u && fo->per_s > 0)
			printf("  %s fan-outs/s / blocking = %.2f (goal >= 3)\n",
			       inflight[k], u->per_s / fo->per_s);
	}
}

static void print_goals(void)
{
	const struct bench_result *fo = find("row", "fanout", 64, 64, 0);
	const struct bench_result *uds = find("row", "uds", 64, 64, 0);
	static const char *const uuid_keys[] = { "fanout-uuid", "fanout-uuid8" };
	const struct bench_result *p1 = find("pending", "fanout", 8, 64, 1);
	const struct bench_result *pmax = NULL;

	printf("\ngoals (N=64, 64 bytes):\n");
	if (fo && uds)
		printf("  fanout p50 / UDS+epoll p50 = %.2f (goal <= 0.5)\n",
		       fo->p50_us / uds->p50_us);
	if (fo)
		printf("  fanout switches per fan-out = %.1f (goal <= N+1 = 65)\n",
		       fo->co_sw + fo->ag_sw);
	for (int k = 0; k < 2; k++) {
		const struct bench_result *u = find("row", uuid_keys[k], 64, 64, 0);

		if (fo && u)
			printf("  %s p50 / fanout p50 = %.2f (goal <= 1.10), "
			       "switches %.1f (goal 65)\n", uuid_keys[k],
			       u->p50_us / fo->p50_us, u->co_sw + u->ag_sw);
	}
	print_uring_goals(fo);
	printf("  fanout us per target (64 bytes):");
	for (int n = 1; n <= BENCH_MAX_AGENTS; n *= 2) {
		const struct bench_result *r = find("row", "fanout", n, 64, 0);

		if (r)
			printf(" N=%d %.1f", n, r->p50_us / n);
	}
	printf(" (goal: flat from N=8 on)\n");
	for (int i = 0; i < nresults; i++)
		if (!strcmp(results[i].section, "pending") && !results[i].note[0])
			pmax = &results[i];
	if (p1 && pmax && pmax != p1)
		printf("  fanout p50 with %ld pending / with 1 pending = %.2f "
		       "(goal: about 1)\n", pmax->param, pmax->p50_us / p1->p50_us);
}

/* ---- configuration ---------------------------------------------------- */

static int parse_list(const char *env, const char *def, int *out, int max)
{
	const char *s = getenv(env);
	int n = 0;
	char *end;

	if (!s || !*s)
		s = def;
	while (*s && n < max) {
		long v = strtol(s, &end, 10);

		if (end == s)
			break;
		out[n++] = (int)v;
		s = end;
		while (*s == ' ' || *s == ',')
			s++;
	}
	return n;
}

static int row_selected(const char *key)
{
	const char *sel = getenv("BENCH_ROWS");
	size_t len = strlen(key);

	if (!sel || !*sel)
		return 1;
	for (const char *p = sel; (p = strstr(p, key)); p += len)
		if ((p == sel || p[-1] == ' ' || p[-1] == ',') &&
		    (p[len] == 0 || p[len] == ' ' || p[len] == ','))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_SECONDS");
	int ns[8], sizes[4], nn, nsizes;
	struct rlimit rl = { 1 << 16, 1 << 16 };
	struct sigaction sa = { .sa_handler = on_alarm };
	double t0 = now_us();

	if (argc > 1)
		env = argv[1];
	if (env && atof(env) > 0)
		bench_seconds = atof(env);
	nn = parse_list("BENCH_N", "1 8 64 256", ns, 8);
	nsizes = parse_list("BENCH_SIZES", "64 4096", sizes, 4);
	for (int i = 0; i < nn; i++)
		if (ns[i] < 1 || ns[i] > BENCH_MAX_AGENTS) {
			fprintf(stderr, "fanout-bench: N=%d out of 1..%d\n",
				ns[i], BENCH_MAX_AGENTS);
			return 2;
		}
	for (int i = 0; i < nsizes; i++)
		if (sizes[i] < 1 || sizes[i] > BENCH_MAX_PAYLOAD) {
			fprintf(stderr, "fanout-bench: size %d out of 1..%d\n",
				sizes[i], BENCH_MAX_PAYLOAD);
			return 2;
		}
	/* Pipes take 4 descriptors per agent; root may raise the limit. */
	if (setrlimit(RLIMIT_NOFILE, &rl) && !getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	lat = calloc(MAX_ITERS, sizeof(*lat));
	agents_init();

	printf("fanout-bench: %ld CPUs, %.2f s per cell, N =", sysconf(_SC_NPROCESSORS_ONLN),
	       bench_seconds);
	for (int i = 0; i < nn; i++)
		printf(" %d", ns[i]);
	printf(", payload bytes =");
	for (int i = 0; i < nsizes; i++)
		printf(" %d", sizes[i]);
	printf("\nper fan-out: p50/p99 time, rate, voluntary context switches "
	       "of the coordinator (co-sw) and of all agents (ag-sw)\n\n");
	print_header();
	for (unsigned int k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct bench_row *row = &rows[k];

		if (!row_selected(row->key))
			continue;
		if (row->fixed_n || !row->setup) {
			bench_cell("row", row, row->fixed_n, 0, sizes, nsizes);
			continue;
		}
		for (int i = 0; i < nn; i++)
			bench_cell("row", row, ns[i], 0, sizes, nsizes);
	}
	env = getenv("BENCH_EXTRA");
	if (!env || strcmp(env, "0"))
		fo_extra();

	printf("\n");
	print_table();
	print_goals();
	printf("\n");
	print_csv();
	print_json();
	printf("fanout-bench: done in %.0f s\n", (now_us() - t0) / 1e6);
	return 0;
}
