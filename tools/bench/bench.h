/* SPDX-License-Identifier: MIT */
/*
 * fanout-bench: fanout against what users would write instead. The
 * driver (bench.c) times rows; each row is one transport, described by
 * a struct bench_row of three functions (rows_*.c). Agents are child
 * processes that report their context switches through shared memory
 * (agents.c). See Documentation/performance.rst.
 */
#ifndef FANOUT_BENCH_H
#define FANOUT_BENCH_H

#include <stddef.h>
#include <sys/types.h>

#define BENCH_MAX_AGENTS	4096
#define BENCH_MAX_PAYLOAD	4096
/* A fan-out that takes longer than this fails its row. */
#define BENCH_REPLY_TIMEOUT_MS	10000

struct bench_row;

/*
 * A transport under test. setup() builds one instance for @n agents
 * (spawning them) into *ctx, fanout() sends @size bytes to all of them
 * and returns once all replied (0) or with a negative errno,
 * teardown() ends the agents and frees everything. A row whose setup is
 * NULL is printed as "n/a (@na)": the io_uring rows wait there until
 * their function exists.
 */
struct bench_row {
	const char *key;	/* short id, for CSV, JSON and the plot */
	const char *label;	/* table label */
	int (*setup)(const struct bench_row *row, int n, long param, void **ctx);
	int (*fanout)(void *ctx, const void *req, size_t size);
	void (*teardown)(void *ctx);
	int variant;		/* row-specific (mode of a transport) */
	int fixed_n;		/* runs at this N only (floor rows), else 0 */
	const char *na;		/* why the row is not available */
	/*
	 * fanout rows: one agent process running this serves all N members
	 * (NULL: N processes, one per member, in fanout_reply_recv loops).
	 */
	void (*agent)(int idx, void *arg);
	/*
	 * Rows with fan-outs in flight: complete them all, return how many
	 * (or -errno), so that the agents' window around the timed phase
	 * holds known fan-outs only.
	 */
	int (*drain)(void *ctx);
};

/* ---- agents.c: child processes and their context switches ---------- */

/*
 * Agents call agent_tick(slot) after each message they receive: when the
 * driver opened or closed a timed phase since, the agent takes its own
 * getrusage() into its slot. agent_ready(slot) says it is set up.
 */
void agents_init(void);
/*
 * Forks @n agents running @fn(idx, @arg) into *@pids and waits until
 * each called agent_ready(): 0 or -errno. *@pids is for agents_reap(),
 * also after a failure (NULL when none was forked).
 */
int agents_start(pid_t **pids, int n, void (*fn)(int idx, void *arg), void *arg);
void agents_reap(pid_t *pids, int n);
void agent_ready(int idx);
void agent_tick(int idx);
void agents_phase_begin(void);
void agents_phase_end(void);
/* The agents' voluntary switches in the last closed phase. */
long agents_phase_switches(void);

/* ---- bench.c: configuration, timing and shared helpers ------------- */

extern double bench_seconds;

double now_us(void);
long self_nvcsw(void);
int bench_error(const char *row, const char *what, int err);
int read_full(int fd, void *buf, size_t len);

/* ---- rows ------------------------------------------------------------ */

/* rows_fanout.c: an instance of the fanout rows, for their functions */
struct fo_ctx {
	const struct bench_row *row;
	char name[32];		/* the group */
	int co;			/* coordinator endpoint */
	int n;			/* members 0..n-1 */
	int nagents;		/* agent processes */
	pid_t *pids;
	unsigned long long *targets; /* members 0..n-1 when another one idles */
	int idle;		/* endpoint of the member nobody serves, or -1 */
	unsigned long seq;
	struct fanout_result *res;	/* n results ... */
	char *replies;		/* ... and n reply buffers of BENCH_MAX_PAYLOAD */
};

int fo_setup(const struct bench_row *row, int n, long param, void **ctx);
int fo_fanout(void *ctx, const void *req, size_t size);
void fo_teardown(void *ctx);
enum { FO_PLAIN, FO_UUID_EACH, FO_UUID_8 };
/* Scaling, memory and many-coordinator measurements of fanout alone. */
void fo_extra(void);

/* rows_uring.c: calls in flight on a ring; one agent process, one ring */
struct io_uring;
/* A ring for one task (DEFER_TASKRUN where the kernel has it): 0 or -errno. */
int uring_bench_ring(unsigned int entries, struct io_uring *ring);
int uring_co_setup(const struct bench_row *row, int n, long param, void **ctx);
int uring_co_fanout(void *ctx, const void *req, size_t size);
void uring_co_teardown(void *ctx);
int uring_co_drain(void *ctx);
void uring_agent(int idx, void *arg);

/*
 * rows_hub.c: one agent process, every member attached to one hub,
 * served with FANOUT_IOC_HUB_SERVE as the ioctl or as a uring_cmd
 */
void hub_agent_ioctl(int idx, void *arg);
void hub_agent_uring(int idx, void *arg);

/* rows_fd.c: socketpairs + epoll, pipes + poll, pipe ping-pong */
int fd_setup(const struct bench_row *row, int n, long param, void **ctx);
int fd_fanout(void *ctx, const void *req, size_t size);
void fd_teardown(void *ctx);
enum {
	FD_UDS_EPOLL = 0, FD_PIPE_POLL = 1, FD_PIPE_BLOCK = 2,
	FD_ONE_AGENT = 16,	/* one agent process serves all channels */
};

/* rows_tipc.c */
int tipc_setup(const struct bench_row *row, int n, long param, void **ctx);
int tipc_fanout(void *ctx, const void *req, size_t size);
void tipc_teardown(void *ctx);

/* rows_binder.c */
int binder_setup(const struct bench_row *row, int n, long param, void **ctx);
int binder_fanout(void *ctx, const void *req, size_t size);
void binder_teardown(void *ctx);

/* rows_floor.c: the empty system call */
int syscall_setup(const struct bench_row *row, int n, long param, void **ctx);
int syscall_fanout(void *ctx, const void *req, size_t size);
void syscall_teardown(void *ctx);

/* ---- results (bench.c) --------------------------------------------- */

struct bench_result {
	const char *section;	/* "row", "pending", "memory", "coordinators" */
	const char *key;
	const char *label;
	int n;			/* agents */
	int size;		/* payload bytes */
	long param;		/* pending requests, threads, targets ... */
	long iters;		/* timed fan-outs */
	double p50_us, p99_us, per_s;
	double co_sw, ag_sw;	/* voluntary switches per fan-out */
	double value;		/* memory rows: bytes */
	char note[128];		/* error or n/a reason; empty when fine */
};

/*
 * Times @row at @n agents for each payload size of the run, adds a
 * result per size. @section and @param label the result.
 */
void bench_cell(const char *section, const struct bench_row *row, int n,
		long param, const int *sizes, int nsizes);
struct bench_result *bench_add(const char *section, const char *key,
			       const char *label, int n, int size, long param);
/* Times @fn(@arg) run repeatedly for bench_seconds into @r. */
void bench_time(struct bench_result *r, int (*fn)(void *arg), void *arg);

#endif /* FANOUT_BENCH_H */
