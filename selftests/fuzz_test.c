// SPDX-License-Identifier: GPL-2.0
/*
 * A structure-aware fuzzer for /dev/fanout.
 *
 * NWORKERS forked workers share NNAMES group names, so they meet: they
 * create, open and destroy groups, join them as agents, send, wait, call,
 * receive and reply, with random and boundary field values, unknown flag
 * bits, non-zero reserved fields, output fields full of junk, resized and
 * mangled ioctl numbers and bad pointers (NULL, 1, a PROT_NONE page, a
 * buffer running into one, a read-only page, kernel and non-canonical
 * addresses). Every few dozen calls, a supervisor may SIGKILL and re-fork
 * a worker or interrupt it with SIGUSR1; blocking calls are bounded by an interval timer
 * (SIGALRM), so nothing waits for ever. A worker may fork a short-lived
 * twin sharing its endpoints, or move to a fresh network namespace.
 * They also set, read, confirm and wait for the groups' expected state,
 * send with FANOUT_SEND_REDELIVER, and send random generic netlink
 * messages to the family "fanout" (any command, flags and attributes),
 * which must be answered with data or a documented error, never hang.
 * A worker also keeps a hub: it attaches fresh agents (and now and then
 * what it must not: itself, a pipe, a closed fd, one attached already)
 * and serves them with random replies and receives, by ioctl and on its
 * ring; what a serve returns must be well-formed and self-consistent.
 *
 * What must hold:
 *  - every ioctl returns 0 or an errno documented for that operation in
 *    the state the worker knows it is in (Documentation/fanout.rst); an
 *    input the kernel must refuse (unknown flag, reserved field, ...)
 *    never succeeds, a mangled command gives -ENOTTY, a short structure
 *    -EINVAL, a non-zero tail -E2BIG, an unusable argument -EFAULT;
 *  - what comes back is consistent: a wait returns 0 only when its wake
 *    condition holds, results are well-formed and agree with the counts,
 *    payloads reach the target they were meant for, replies the request
 *    and member they answer, and a structure's tail past the kernel's
 *    size is zeroed on the way out;
 *  - poll and epoll report only what an endpoint can report;
 *  - no worker dies of anything but the supervisor's SIGKILL, none gets
 *    stuck; once all are gone, a group left behind has no request pending
 *    and no member up, and can be destroyed, and what the module holds
 *    (debugfs fanout/live) is back to what it held before.
 * The runner checks the kernel log (oops, WARNING, KASAN, lockdep...).
 *
 * Environment: FUZZ_ITER, the ioctl calls of all workers together
 * (default 20000), and FUZZ_SEED (default 1). A failure prints the
 * worker's last operations and the argument in hex.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/fanout_netlink.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fanout_util.h"
#include "fuzz.h"
#include "libfanout_uring.h"

#define NWORKERS	4	/* fuzzing processes */
#define NNAMES		5	/* group names they share */
#define NEPS		3	/* endpoints per worker */
#define MAX_IDS		16	/* requests an endpoint keeps unreleased */
#define MAX_TAKEN	16	/* received requests remembered for replies */
#define NRECENT		16	/* request ids shared per group name */
#define LOGLINES	24	/* operations kept for a failure report */
#define TWIN_OPS	40	/* operations of a twin */
#define STUCK_SECS	60	/* a worker this long in one operation hangs */
#define STRIKE_CALLS	25	/* calls between two supervisor strikes */
#define FAILMSG		16384
#define NERRNO		128
#define SLICES		64	/* per-target payload slices... */
#define SLICE		1024	/* ...of this size */
#define RSLICES		8	/* reply slices of a RESULTS array... */
#define RSLICE		8192	/* ...of this size */
#define URING_SLOTS	16	/* io_uring commands a worker keeps pending */
#define URING_ARG	512	/* bytes of one command's argument area */
#define HUB_KEPT	4	/* attached agents whose fds a worker keeps */
#define HUB_NREP	4	/* reply entries of a serve, at most... */
#define HUB_NMSG	6	/* ...and message entries */
#define DEFAULT_ITER	20000
#define DEFAULT_SEED	1

/* ---- shared state ------------------------------------------------------ */

enum op_id {
	OP_VERSION, OP_CREATE, OP_OPEN, OP_DESTROY, OP_INFO, OP_STATS,
	OP_JOIN, OP_LEAVE, OP_RECV, OP_REPLY, OP_REPLY_RECV,
	OP_SEND, OP_WAIT, OP_CALL, OP_RESULTS, OP_CANCEL, OP_RELEASE,
	OP_BADCMD, OP_CYCLE, OP_POLL, OP_NONBLOCK, OP_NETNS, OP_TWIN, OP_NAP,
	OP_URING, OP_HUB,
	OP_STATE_SET, OP_STATE_GET, OP_CONFIRM, OP_STATE_WAIT, OP_GENL,
	NOPS
};

struct slot {
	atomic_long beat;	/* operations started */
	atomic_int op;		/* operation in progress */
};

/* Mapped shared by the supervisor and every worker. */
struct shared {
	__u64 seed;
	long budget;
	pid_t supervisor;
	atomic_long calls;	/* ioctl calls issued, against the budget */
	atomic_int reporting;	/* claimed by the first to report */
	atomic_int failed;	/* set once failmsg is complete */
	char failmsg[FAILMSG];
	char names[NNAMES][FANOUT_NAME_MAX];
	atomic_ullong recent[NNAMES][NRECENT];	/* request ids seen */
	atomic_uint recent_pos[NNAMES];
	struct {
		atomic_long calls, ok, err[NERRNO];
	} stats[NOPS];
	atomic_long kills, signals, respawns, twins, netns, unpriv;
	atomic_long hub_msgs, hub_errors;	/* what hub serves received */
	struct slot slot[NWORKERS];
};

/* ---- a worker ---------------------------------------------------------- */

struct owned {
	__u64 id;
	__u32 ntargets;
};

struct taken {
	__u64 id;
	__u32 member;
};

/*
 * One endpoint and what the worker knows of it. While @certain, the state
 * fields are exact and the checks use them; a twin sharing the endpoint,
 * or a call whose outcome could not be read back, clears it until the
 * endpoint is closed.
 */
struct ep {
	int fd;			/* -1: closed */
	bool certain;
	bool bound;
	bool joined;
	bool full_perm;		/* may join and send, whatever the mode */
	bool nonblock;		/* O_NONBLOCK on the file */
	bool dead;		/* its group was destroyed */
	int name;		/* pool index of the bound group, or -1 */
	__u32 max_members;	/* of the bound group, 0 if unknown */
	__u32 member;
	struct owned ids[MAX_IDS];
	int nids;
	struct taken taken[MAX_TAKEN];
	int ntaken;
	int lost;		/* requests sent whose id is unknown */
	__u64 gen;		/* last generation seen of its group */
};

enum { R_ARG, R_PAY, R_BIG, R_REP, R_RBUF, R_RES, R_BUFS, R_BITS, NREGIONS };

/* A read-write region, followed by a PROT_NONE guard page. */
struct region {
	char *base;
	char *end;
};

struct worker {
	struct shared *sh;
	int slot;
	unsigned int gen;
	bool twin;
	bool priv;		/* root: CAP_IPC_OWNER and CAP_SYS_ADMIN */
	bool in_netns;
	int init_ns;		/* fd of the initial network namespace */
	int epfd;		/* an epoll instance watching endpoints */
	pid_t twin_pid;
	__u64 rng;
	bool strict;		/* this call: valid fields, good pointers */
	__u32 max_payload;
	size_t page;
	long nops;
	struct ep ep[NEPS];
	struct ep *cur;
	struct region reg[NREGIONS];
	char *arg;		/* = reg[R_ARG].base: argument structures */
	char *rdonly;		/* a read-only page */
	char *none;		/* a PROT_NONE page */
	size_t last_usize;
	char log[LOGLINES][320];
	unsigned int logpos;
	/* io_uring: a ring and an endpoint only OP_URING uses */
	struct io_uring ring;
	pid_t ring_pid;		/* the process that set it up, or 0 */
	int ring_fd;		/* its endpoint, -1: none */
	int ring_pending;	/* commands submitted, CQE not seen */
	unsigned int ring_next;
	char uarg[URING_SLOTS][URING_ARG];
	char ubuf[URING_SLOTS][256];
	/* hubs: an endpoint only OP_HUB uses, and what it attached */
	struct ep hub;		/* fd -1: none */
	pid_t hub_pid;		/* the process that opened it, or 0 */
	unsigned int hub_slots;	/* slots attached: the next slot number */
	int hub_kept[HUB_KEPT];	/* attached agents' fds still open */
	int hub_nkept;
	struct hub_taken {
		__u64 id;
		__u32 slot, member;
	} hub_taken[MAX_TAKEN];	/* requests received, not yet answered */
	int hub_ntaken;
};

enum { PLACE_GOOD, PLACE_RDONLY, PLACE_BAD };
static const char *const place_name[] = { "good", "read-only", "bad" };

/* One ioctl: what the generator built, then what do_call() did. */
struct call {
	enum op_id op;
	unsigned long cmd;	/* 0: ops[op].cmd */
	bool clean;		/* issue as built: no resizing or moving */
	bool mangle;		/* issue with a wrong number (-ENOTTY) */
	bool must_fail;		/* an input the kernel must refuse */
	bool nested_bad;	/* a user pointer in the argument is bad */
	bool may_block;		/* a signal may interrupt it: -EINTR */
	bool sleeps;		/* may sleep for ever: arm the timer */
	emask_t extra;		/* errnos the endpoint's state allows */
	emask_t deny;		/* errnos the endpoint's state excludes */
	char note[200];		/* key fields, for the log */
	/* set by do_call() */
	size_t usize;
	int place;
	bool ran;		/* the handler ran */
	bool known;		/* ret is the handler's; outputs in w->arg */
	int ret;
};

struct op {
	const char *name;
	unsigned long cmd;	/* 0: not an ioctl */
	void (*run)(struct worker *w, struct ep *ep);
	unsigned int weight;
	bool bound;		/* needs a bound endpoint, else -EBADFD */
	emask_t errs;		/* the handler's errnos in any state */
};

static const struct op ops[NOPS];

/* ---- small helpers ------------------------------------------------------ */

static __u64 rnd(struct worker *w)
{
	return rng_next(&w->rng);
}

static __u32 below(struct worker *w, __u64 n)
{
	return rng_below(&w->rng, n);
}

static bool one_in(struct worker *w, __u32 n)
{
	return below(w, n) == 0;
}

/* Put an invalid value in this call? Never in a strict one. */
static bool inject(struct worker *w, __u32 n)
{
	return !w->strict && one_in(w, n);
}

static __u32 near(struct worker *w, __u32 max)
{
	return rng_near(&w->rng, max);
}

/* An output field on input: ignored by the kernel, so often junk. */
static __u64 junk(struct worker *w)
{
	return one_in(w, 3) ? rnd(w) : 0;
}

static void junk_bytes(struct worker *w, void *p, size_t n)
{
	if (one_in(w, 3))
		for (size_t i = 0; i < n; i++)
			((__u8 *)p)[i] = (__u8)rnd(w);
}

/* A reserved or undefined field: zero, or now and then not (must fail). */
static __u32 reserved32(struct worker *w, struct call *c)
{
	if (!inject(w, 10))
		return 0;
	c->must_fail = true;
	return one_in(w, 2) ? 1U << below(w, 32) : (__u32)rnd(w) | 1;
}

static __u64 reserved64(struct worker *w, struct call *c)
{
	if (!inject(w, 10))
		return 0;
	c->must_fail = true;
	return one_in(w, 2) ? 1ULL << below(w, 64) : rnd(w) | 1;
}

/* Some of @valid and now and then an unknown bit (must fail). */
static __u32 flags_with(struct worker *w, struct call *c, __u32 f, __u32 valid)
{
	if (inject(w, 6)) {
		__u32 bad = ~valid;

		f |= one_in(w, 2) ? (bad & -bad) : ((__u32)rnd(w) & bad);
		if (f & bad)
			c->must_fail = true;
	}
	return f;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_us(unsigned int us)
{
	struct timespec ts = { .tv_nsec = us * 1000L };

	nanosleep(&ts, NULL);
}

/* ---- failure reports -------------------------------------------------- */

static void __attribute__((noreturn, format(printf, 2, 3)))
failf(struct worker *w, const char *fmt, ...)
{
	static char buf[FAILMSG];
	struct ep *ep = w->cur;
	size_t n = 0, i;
	va_list ap;

#define ADD(...) (n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, __VA_ARGS__))
	ADD("worker %d gen %u%s (pid %d, uid %d%s), seed %llu, op %ld: ",
	    w->slot, w->gen, w->twin ? " twin" : "", getpid(), geteuid(),
	    w->in_netns ? ", own netns" : "",
	    (unsigned long long)w->sh->seed, w->nops);
	va_start(ap, fmt);
	if (n < sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (ep)
		ADD("\n  endpoint: fd %d certain %d bound %d name %d joined %d member %u max_members %u nonblock %d full_perm %d owned %d taken %d",
		    ep->fd, ep->certain, ep->bound, ep->name, ep->joined,
		    ep->member, ep->max_members, ep->nonblock, ep->full_perm,
		    ep->nids, ep->ntaken);
	ADD("\n  last operations of this worker, oldest first:");
	for (i = 0; i < LOGLINES; i++) {
		const char *l = w->log[(w->logpos + i) % LOGLINES];

		if (*l)
			ADD("\n    %s", l);
	}
	ADD("\n  argument as built (%zu bytes):", w->last_usize);
	for (i = 0; i < w->last_usize && i < 256; i++)
		ADD("%s%02x", i % 32 ? (i % 8 ? "" : " ") : "\n    ",
		    (__u8)w->arg[i]);
#undef ADD
	buf[sizeof(buf) - 1] = 0;
	/* On the console at once, in case this process is killed... */
	for (char *l = buf, *e; *l; l = e + 1) {
		e = strchrnul(l, '\n');
		dprintf(2, "# worker report: %.*s\n", (int)(e - l), l);
		if (!*e)
			break;
	}
	/* ...and for the supervisor, complete before it kills everyone. */
	if (!atomic_exchange(&w->sh->reporting, 1)) {
		memcpy(w->sh->failmsg, buf, sizeof(w->sh->failmsg));
		w->sh->failmsg[FAILMSG - 1] = 0;
		atomic_store(&w->sh->failed, 1);
	}
	_exit(1);
}

#define CHECK(w, cond, ...) do { if (!(cond)) failf(w, __VA_ARGS__); } while (0)

/* ---- arenas and pointers ------------------------------------------------ */

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static int map_arenas(struct worker *w)
{
	size_t pg = w->page, mp = round_up(w->max_payload, pg);
	size_t size[NREGIONS] = {
		[R_ARG] = round_up(1 << 14, pg),	/* any _IOC_SIZE */
		[R_PAY] = SLICES * SLICE,
		[R_BIG] = mp + pg,
		[R_REP] = mp + pg,
		[R_RBUF] = RSLICES * RSLICE + mp + pg,
		[R_RES] = round_up((FANOUT_MEMBERS_MAX + 1) *
				   sizeof(struct fanout_result), pg),
		[R_BUFS] = round_up((FANOUT_MEMBERS_MAX + 1) *
				    sizeof(struct fanout_buf), pg),
		[R_BITS] = pg,
	};
	size_t total = 2 * pg;
	char *p;
	int i;

	for (i = 0; i < NREGIONS; i++)
		total += size[i] + pg;
	p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < NREGIONS; i++) {
		if (mprotect(p, size[i], PROT_READ | PROT_WRITE))
			return -errno;
		w->reg[i].base = p;
		w->reg[i].end = p + size[i];
		p += size[i] + pg;
	}
	w->rdonly = p;
	if (mprotect(p, pg, PROT_READ))
		return -errno;
	w->none = p + pg;
	w->arg = w->reg[R_ARG].base;
	return 0;
}

/* Addresses no process can use. */
static const __u64 wild[] = {
	0, 1, 0xffff888000000000ULL, 0xffffffff81000000ULL,
	0x8000000000000000ULL, 0xfffffffffffff000ULL, 0x00007ffffffff000ULL,
};

/*
 * A user address for @len bytes at @good, inside region @r: usually
 * @good, now and then one that faults (a guard page, a buffer running
 * into one, a read-only page for a buffer the kernel writes, ...).
 */
static __u64 uptr(struct worker *w, struct call *c, int r, const void *good,
		  __u64 len, bool written)
{
	const struct region *reg = &w->reg[r];
	__u64 p, span = reg->end - reg->base;

	if (!inject(w, 12))
		return (uintptr_t)good;
	switch (below(w, 5)) {
	case 0:	/* starts inside, runs into the guard page */
		p = (uintptr_t)reg->end;
		if (len > 1)
			p -= 1 + below(w, len - 1 < span ? len - 1 : span);
		break;
	case 1:
		p = (uintptr_t)w->none + below(w, w->page);
		break;
	case 2:
		p = written ? (uintptr_t)w->rdonly : (uintptr_t)w->none;
		break;
	default:
		p = wild[below(w, ARRAY_SIZE(wild))];
		break;
	}
	if (len || written)
		c->nested_bad = true;
	return p;
}

/* Move the argument to a place the kernel cannot fully use. */
static void *place_arg(struct worker *w, struct call *c, size_t usize)
{
	switch (below(w, 4)) {
	case 0:	/* runs into the guard page after R_ARG */
		if (usize >= 2) {
			size_t off = 1 + below(w, usize - 1);
			char *p = w->reg[R_ARG].end - off;

			memmove(p, w->arg, off);
			c->place = PLACE_BAD;
			return p;
		}
		break;
	case 1:	/* readable, not writable */
		if (usize <= w->page) {
			mprotect(w->rdonly, w->page, PROT_READ | PROT_WRITE);
			memcpy(w->rdonly, w->arg, usize);
			mprotect(w->rdonly, w->page, PROT_READ);
			c->place = PLACE_RDONLY;
			return w->rdonly;
		}
		break;
	case 2:
		c->place = PLACE_BAD;
		return w->none;
	}
	c->place = PLACE_BAD;
	return (void *)(uintptr_t)wild[below(w, ARRAY_SIZE(wild))];
}

/* ---- ioctl numbers ------------------------------------------------------ */

static bool nr_known(unsigned int nr)
{
	return nr <= 0x05 || (nr >= 0x10 && nr <= 0x16) ||
	       (nr >= 0x20 && nr <= 0x25) || (nr >= 0x30 && nr <= 0x33);
}

/*
 * @cmd with a wrong direction, an unknown number or a foreign magic. The
 * magics avoid the ones the VFS handles itself for every file (0x00 'T'
 * 'X' 'f' 0x94: FIONBIO, FIFREEZE, FICLONE...).
 */
static unsigned long mangle_cmd(struct worker *w, unsigned long cmd)
{
	static const __u8 magics[] = { 0xfb, 0xf9, 0xab, 0x01, 0x7f, 0xaf };
	unsigned int dir = _IOC_DIR(cmd), type = FANOUT_IOC_MAGIC;
	unsigned int nr = _IOC_NR(cmd), size = _IOC_SIZE(cmd);

	switch (below(w, 3)) {
	case 0:
		dir = (dir + 1 + below(w, 3)) & 3;
		break;
	case 1:
		do
			nr = below(w, 256);
		while (nr_known(nr));
		break;
	default:
		type = magics[below(w, sizeof(magics))];
		break;
	}
	if (one_in(w, 3))
		size = below(w, 1 << 14);
	return _IOC(dir, type, nr, size);
}

/* The size of @cmd's first ABI version: anything smaller is refused. */
static size_t first_size(unsigned long cmd)
{
	/* fanout_group_stats grew with FANOUT_FEATURE_STATE. */
	if (_IOC_NR(cmd) == _IOC_NR(FANOUT_IOC_GROUP_STATS))
		return offsetof(struct fanout_group_stats, confirms);
	return _IOC_SIZE(cmd);
}

/* A size past the kernel's: a little, or up to the largest _IOC_SIZE. */
static size_t grow(struct worker *w, size_t ksize)
{
	static const size_t by[] = { 1, 4, 8, 16, 64, 256 };
	size_t usize = ksize + (one_in(w, 8) ? 1 + below(w, (1 << 14) - 1 - ksize)
					     : by[below(w, ARRAY_SIZE(by))]);

	return usize < (1 << 14) ? usize : (1 << 14) - 1;
}

/* ---- the ioctl wrapper --------------------------------------------------- */

static void arm_timer(struct worker *w)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = 5000 },
		.it_value = { .tv_usec = 1000 + below(w, 19000) },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* What the handler may return for @c on @ep; *ok: may it succeed. */
static emask_t handler_errs(struct worker *w, struct ep *ep, struct call *c,
			    bool *ok)
{
	const struct op *op = &ops[c->op];
	emask_t allow = op->errs | c->extra;

	if (c->nested_bad)
		allow |= E(EFAULT);
	if (c->may_block || c->sleeps)
		allow |= E(EINTR);
	*ok = !c->must_fail;
	if (op->bound && ep->certain && !ep->bound) {
		/* REPLY_RECV checks its receive half first. */
		*ok = false;
		return E(EBADFD) | (c->op == OP_REPLY_RECV ? E(EINVAL) : 0);
	}
	if (op->bound && !ep->certain)
		allow |= E(EBADFD);
	return allow & ~c->deny;
}

/*
 * Issue the ioctl built in w->arg, most often as built, now and then with
 * a wrong number, a short or long size, or moved to a bad address; check
 * its result. Returns 0 or -errno, also in c->ret.
 */
static int do_call(struct worker *w, struct ep *ep, struct call *c)
{
	struct shared *sh = w->sh;
	unsigned long cmd = c->cmd ? c->cmd : ops[c->op].cmd;
	unsigned int dir = _IOC_DIR(cmd);
	size_t ksize = _IOC_SIZE(cmd), usize = ksize, first = first_size(cmd);
	bool mangled = c->mangle, tail = false, ok;
	void *p = w->arg;
	emask_t allow;
	int ret;

	if (!c->clean && !mangled && !w->strict) {
		unsigned int r = below(w, 100);

		if (r < 5)
			mangled = true;
		else if (r < 10 && ksize)
			usize = below(w, ksize);
		else if (r < 25)
			usize = grow(w, ksize);
	}
	if (mangled)
		cmd = mangle_cmd(w, cmd);
	else if (usize != ksize)
		cmd = _IOC(dir, _IOC_TYPE(cmd), _IOC_NR(cmd), usize);
	if (usize > ksize) {
		memset(w->arg + ksize, 0, usize - ksize);
		if (one_in(w, 2)) {
			w->arg[ksize + below(w, usize - ksize)] = 1 + below(w, 255);
			tail = true;
		}
	}
	w->last_usize = usize > ksize ? usize : ksize;
	c->usize = usize;
	c->place = PLACE_GOOD;
	if (dir == _IOC_NONE && !mangled)
		p = (void *)(uintptr_t)junk(w);	/* not looked at */
	else if (!c->clean && (mangled ? one_in(w, 2) : inject(w, 12)))
		p = place_arg(w, c, usize);

	atomic_fetch_add(&sh->calls, 1);
	if (c->sleeps)
		arm_timer(w);
	ret = ioctl(ep->fd, cmd, p);
	ret = ret < 0 ? -errno : ret;
	if (c->sleeps)
		disarm_timer();
	c->ret = ret;
	if (ret == -EIDRM)
		ep->dead = true;

	snprintf(w->log[w->logpos++ % LOGLINES], sizeof(w->log[0]),
		 "%-10s fd %d cmd %#010lx size %zu %s%s %s -> %s(%d)",
		 ops[c->op].name, ep->fd, cmd, usize, place_name[c->place],
		 mangled ? " mangled" : "", c->note, errname(-ret), ret);

	c->ran = c->known = false;
	if (mangled) {
		allow = E(ENOTTY);
		ok = false;
	} else if (usize < first) {
		allow = E(EINVAL);
		ok = false;
	} else if ((dir & _IOC_WRITE) && c->place == PLACE_BAD) {
		allow = E(EFAULT) | (usize > ksize ? E(E2BIG) : 0);
		ok = false;
	} else if ((dir & _IOC_WRITE) && tail) {
		allow = E(E2BIG);
		ok = false;
	} else if ((dir & _IOC_READ) && c->place != PLACE_GOOD) {
		/*
		 * A structure the kernel cannot write back: a command that
		 * reads it too starts nothing (the kernel writes it back
		 * unchanged first); one that only returns data ran.
		 */
		c->ran = !(dir & _IOC_WRITE);
		allow = E(EFAULT);
		ok = false;
	} else {
		c->ran = c->known = true;
		allow = handler_errs(w, ep, c, &ok);
	}

	atomic_fetch_add(&sh->stats[c->op].calls, 1);
	if (!ret)
		atomic_fetch_add(&sh->stats[c->op].ok, 1);
	else if (-ret > 0 && -ret < NERRNO)
		atomic_fetch_add(&sh->stats[c->op].err[-ret], 1);

	if (ret > 0 || (!ret && !ok) ||
	    (ret < 0 && (-ret >= 128 || !(allow & E(-ret))))) {
		char want[512];

		emask_str(allow, want, sizeof(want));
		failf(w, "%s: ioctl(%d, %#lx [dir %u type %#x nr %#x size %zu, kernel size %zu], %s argument at %p) returned %d (%s); allowed: %s%s%s%s",
		      ops[c->op].name, ep->fd, cmd, (unsigned int)_IOC_DIR(cmd),
		      (unsigned int)_IOC_TYPE(cmd), (unsigned int)_IOC_NR(cmd),
		      (size_t)_IOC_SIZE(cmd),
		      ksize, place_name[c->place], p, ret, errname(-ret), want,
		      ok ? " or 0" : " (must fail)",
		      c->must_fail ? ", an input is invalid" : "",
		      c->nested_bad ? ", a nested pointer is bad" : "");
	}
	/* Past the kernel's size, the structure comes back zeroed. */
	if (c->known && (dir & _IOC_READ) && usize > ksize)
		for (size_t i = ksize; i < usize; i++)
			CHECK(w, !w->arg[i],
			      "%s: byte %zu of %zu past the kernel's %zu not cleared",
			      ops[c->op].name, i, usize, ksize);
	return ret;
}

/* ---- what a worker knows ----------------------------------------------- */

static void ep_reset(struct ep *ep, int fd, bool nonblock)
{
	memset(ep, 0, sizeof(*ep));
	ep->fd = fd;
	ep->certain = true;
	ep->nonblock = nonblock;
	ep->name = -1;
}

static void forget_id(struct ep *ep, int i)
{
	ep->ids[i] = ep->ids[--ep->nids];
}

static int find_id(struct ep *ep, __u64 id)
{
	for (int i = 0; i < ep->nids; i++)
		if (ep->ids[i].id == id)
			return i;
	return -1;
}

static void own_id(struct worker *w, struct ep *ep, __u64 id, __u32 ntargets)
{
	unsigned int pos;

	if (find_id(ep, id) < 0 && ep->nids < MAX_IDS)
		ep->ids[ep->nids++] = (struct owned){ id, ntargets };
	else if (find_id(ep, id) < 0)
		ep->lost++;
	if (ep->name >= 0) {
		pos = atomic_fetch_add(&w->sh->recent_pos[ep->name], 1);
		atomic_store(&w->sh->recent[ep->name][pos % NRECENT], id);
	}
}

static void forget_taken(struct ep *ep, __u64 id)
{
	for (int i = 0; i < ep->ntaken; i++)
		if (ep->taken[i].id == id) {
			ep->taken[i] = ep->taken[--ep->ntaken];
			return;
		}
}

static void add_taken(struct worker *w, struct ep *ep, __u64 id, __u32 member)
{
	unsigned int pos;

	forget_taken(ep, id);
	if (ep->ntaken == MAX_TAKEN)
		ep->taken[below(w, MAX_TAKEN)] = ep->taken[--ep->ntaken];
	ep->taken[ep->ntaken++] = (struct taken){ id, member };
	if (ep->name >= 0) {
		pos = atomic_fetch_add(&w->sh->recent_pos[ep->name], 1);
		atomic_store(&w->sh->recent[ep->name][pos % NRECENT], id);
	}
}

/*
 * A request id: one of ours (*own its index), one seen in the group, or
 * a boundary value.
 */
static __u64 pick_id(struct worker *w, struct ep *ep, int *own)
{
	static const __u64 ids[] = { 0, 1, 2, ~0ULL, 1ULL << 63, 0xffffffffULL };
	unsigned int r = below(w, 100);

	*own = -1;
	if (r < 60 && ep->nids) {
		*own = below(w, ep->nids);
		return ep->ids[*own].id;
	}
	if (r < 85 && ep->name >= 0)
		return atomic_load(&w->sh->recent[ep->name][below(w, NRECENT)]);
	if (r < 92)
		return rnd(w) >> below(w, 64);
	return ids[below(w, ARRAY_SIZE(ids))];
}

/* ---- group names ----------------------------------------------------- */

#define NAME_ABSENT	-1	/* valid, never created */
#define NAME_BAD	-2	/* invalid */

static int gen_name(struct worker *w, char *name, bool may_absent)
{
	int i, len;

	memset(name, 0, FANOUT_NAME_MAX);
	if (w->strict || below(w, 100) < 80) {
		i = below(w, NNAMES);
		strcpy(name, w->sh->names[i]);
		/* What follows the NUL is not looked at. */
		if (one_in(w, 8))
			for (len = strlen(name) + 1; len < FANOUT_NAME_MAX; len++)
				name[len] = (char)rnd(w);
		return i;
	}
	if (may_absent && one_in(w, 2)) {
		snprintf(name, FANOUT_NAME_MAX, "fz-absent-%d", w->slot);
		return NAME_ABSENT;
	}
	switch (below(w, 3)) {
	case 0:		/* empty */
		break;
	case 1:		/* no NUL */
		for (i = 0; i < FANOUT_NAME_MAX; i++)
			name[i] = 'a' + below(w, 26);
		break;
	default:	/* empty, junk after the NUL */
		for (i = 1; i < FANOUT_NAME_MAX; i++)
			name[i] = (char)rnd(w);
		break;
	}
	return NAME_BAD;
}

/* ---- operations: the device and groups ------------------------------------ */

static void op_version(struct worker *w, struct ep *ep)
{
	struct fanout_version *v = (void *)w->arg;
	struct call c = { .op = OP_VERSION };

	memset(v, 0xa5, sizeof(*v));	/* not read: every byte is written */
	if (do_call(w, ep, &c) || !c.known)
		return;
	CHECK(w, v->abi_version == FANOUT_ABI_VERSION &&
	      v->max_members == FANOUT_MEMBERS_MAX &&
	      v->max_payload == w->max_payload && v->max_pending &&
	      v->features == FANOUT_TEST_FEATURES && !v->reserved[0] &&
	      !v->reserved[1],
	      "VERSION: abi %u max_members %u max_payload %u max_pending %u features %llx reserved %llx %llx",
	      v->abi_version, v->max_members, v->max_payload, v->max_pending,
	      (unsigned long long)v->features,
	      (unsigned long long)v->reserved[0],
	      (unsigned long long)v->reserved[1]);
}

/* After binding: learn the group's member count (GROUP_INFO must work). */
static void learn_group(struct worker *w, struct ep *ep, int name)
{
	struct fanout_group_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	atomic_fetch_add(&w->sh->calls, 1);
	ret = ioctl(ep->fd, FANOUT_IOC_GROUP_INFO, &p) ? -errno : 0;
	CHECK(w, !ret || !ep->certain,
	      "GROUP_INFO right after binding returned %d", ret);
	if (ret)
		return;
	CHECK(w, name < 0 || !strcmp(p.name, w->sh->names[name]),
	      "GROUP_INFO: bound to %s, info names %.32s",
	      w->sh->names[name], p.name);
	ep->max_members = p.max_members;
}

static void op_create(struct worker *w, struct ep *ep)
{
	static const __u32 modes[] = {
		0666, 0666, 0600, 0644, 0660, 0606, 0640, 0604, 0, 0777, 0444, 0222,
	};
	static const __u32 members[] = { 1, 2, 3, 4, 4, 8, 8, 8, 16, 64, 4095, 4096 };
	static const __u32 bad_members[] = { 0, 4097, ~0U, 65536 };
	static const __u32 pendings[] = { 0, 0, 1, 4, 16, 64, 256, 256 };
	static const __u32 queues[] = { 0, 1, 2, 4, 16, 1024 };
	static const __u32 deadlines[] = { 1, 2, 5, 10, 20, 50, 50, 100 };
	struct fanout_group_params *p = (void *)w->arg;
	struct call c = { .op = OP_CREATE };
	int name;

	memset(p, 0, sizeof(*p));
	name = gen_name(w, p->name, false);
	if (name == NAME_BAD)
		c.must_fail = true;
	p->flags = one_in(w, 3) ? FANOUT_GROUP_BACKLOG : 0;
	if (inject(w, 10)) {
		p->flags |= 2U << below(w, 31);		/* unknown flag */
		c.must_fail = true;
	}
	p->mode = modes[below(w, ARRAY_SIZE(modes))];
	if (inject(w, 10)) {
		p->mode |= 01000U << below(w, 23);
		c.must_fail = true;
	}
	if (inject(w, 8)) {
		p->max_members = bad_members[below(w, ARRAY_SIZE(bad_members))];
		c.must_fail = true;
	} else {
		p->max_members = members[below(w, ARRAY_SIZE(members))];
	}
	p->max_pending = one_in(w, 10) ? near(w, 8192) :
			 pendings[below(w, ARRAY_SIZE(pendings))];
	p->max_queue = one_in(w, 10) ? near(w, 1024) :
		       queues[below(w, ARRAY_SIZE(queues))];
	p->deadline_ms = one_in(w, 25) ? (one_in(w, 2) ? 0 : ~0U) :
			 deadlines[below(w, ARRAY_SIZE(deadlines))];
	p->status_interval_ms = junk(w);
	p->uid = junk(w);		/* outputs of GROUP_INFO */
	p->gid = junk(w);
	/* Few conversations at once: the pool runs out, backlogs fill. */
	p->max_queues = one_in(w, 2) ? 0 : 1 + below(w, 4);
	if (inject(w, 10)) {
		p->max_queues = FANOUT_QUEUES_MAX + 1 + below(w, 1000);
		c.must_fail = true;
	}
	p->reserved[0] = reserved64(w, &c);
	p->reserved[1] = reserved64(w, &c);
	if (ep->certain && ep->bound)
		c.must_fail = true;	/* -EISCONN, or an earlier error */
	if (!ep->certain || ep->bound)
		c.extra |= E(EISCONN);
	snprintf(c.note, sizeof(c.note), "name %d mode %o members %u pending %u queue %u deadline %u",
		 name, p->mode, p->max_members, p->max_pending, p->max_queue,
		 p->deadline_ms);
	if (do_call(w, ep, &c) == -EISCONN)
		ep->bound = true;
	if (c.known && !c.ret) {
		ep->bound = true;
		ep->name = name;
		ep->max_members = p->max_members;
		ep->full_perm = true;
	}
}

static void op_open(struct worker *w, struct ep *ep)
{
	struct fanout_group_name *n = (void *)w->arg;
	struct call c = { .op = OP_OPEN };
	int name;

	memset(n, 0, sizeof(*n));
	name = gen_name(w, n->name, true);
	if (name < 0)
		c.must_fail = true;	/* -EINVAL, -ENOENT */
	n->flags = reserved32(w, &c);
	n->reserved = reserved32(w, &c);
	if (ep->certain && ep->bound)
		c.must_fail = true;
	if (!ep->certain || ep->bound)
		c.extra |= E(EISCONN);
	if (!w->priv)
		c.extra |= E(EACCES);
	snprintf(c.note, sizeof(c.note), "name %d", name);
	if (do_call(w, ep, &c) == -EISCONN)
		ep->bound = true;
	if (c.known && !c.ret) {
		ep->bound = true;
		ep->name = name;
		ep->full_perm = w->priv;
		learn_group(w, ep, name);
	}
}

static void op_destroy(struct worker *w, struct ep *ep)
{
	struct fanout_group_name *n = (void *)w->arg;
	struct call c = { .op = OP_DESTROY };
	int name;

	memset(n, 0, sizeof(*n));
	name = gen_name(w, n->name, true);
	if (name < 0)
		c.must_fail = true;
	n->flags = reserved32(w, &c);
	n->reserved = reserved32(w, &c);
	if (!w->priv)
		c.extra |= E(EPERM);
	snprintf(c.note, sizeof(c.note), "name %d", name);
	do_call(w, ep, &c);
}

static void op_info(struct worker *w, struct ep *ep)
{
	struct fanout_group_params *p = (void *)w->arg;
	struct call c = { .op = OP_INFO };

	memset(p, 0xa5, sizeof(*p));
	if (do_call(w, ep, &c) || !c.known)
		return;
	CHECK(w, !(p->flags & ~FANOUT_GROUP_FLAGS) && !p->reserved[0] &&
	      p->max_queues && p->max_queues <= FANOUT_QUEUES_MAX &&
	      !p->reserved[1] && !(p->mode & ~0777) && p->max_members &&
	      p->max_members <= FANOUT_MEMBERS_MAX && p->max_pending &&
	      p->max_queue && p->deadline_ms && p->status_interval_ms &&
	      strnlen(p->name, FANOUT_NAME_MAX) < FANOUT_NAME_MAX,
	      "GROUP_INFO: malformed answer");
	if (ep->certain && ep->name >= 0)
		CHECK(w, !strcmp(p->name, w->sh->names[ep->name]),
		      "GROUP_INFO: bound to %s, info names %s",
		      w->sh->names[ep->name], p->name);
	if (ep->certain && ep->max_members)
		CHECK(w, p->max_members == ep->max_members,
		      "GROUP_INFO: %u members, created with %u",
		      p->max_members, ep->max_members);
	ep->max_members = p->max_members;
}

static void op_stats(struct worker *w, struct ep *ep)
{
	struct fanout_group_stats *s = (void *)w->arg;
	struct call c = { .op = OP_STATS };

	memset(s, 0xa5, sizeof(*s));
	if (do_call(w, ep, &c) || !c.known)
		return;
	/* A queue is busy, a target in a backlog, only for a request. */
	CHECK(w, (s->pending || (!s->amqs_busy && !s->backlog)) &&
	      s->amqs_busy <= (__u64)s->pending * FANOUT_MEMBERS_MAX &&
	      s->amqs_free + s->amqs_busy > 0 &&
	      s->members_up <= FANOUT_MEMBERS_MAX &&
	      (!ep->certain || !ep->max_members ||
	       s->members_up <= ep->max_members),
	      "GROUP_STATS: members_up %u of %u, pending %u, amqs busy %u free %llu, backlog %u",
	      s->members_up, ep->max_members, s->pending, s->amqs_busy,
	      (unsigned long long)s->amqs_free, s->backlog);
}

/* ---- operations: agents --------------------------------------------------- */

static void op_join(struct worker *w, struct ep *ep)
{
	struct fanout_join *j = (void *)w->arg;
	struct call c = { .op = OP_JOIN };
	__u32 max = ep->max_members ? ep->max_members : FANOUT_MEMBERS_MAX;
	unsigned int r = below(w, 100);

	memset(j, 0, sizeof(*j));
	if (r < 40)
		j->member = FANOUT_MEMBER_ANY;
	else if (r < 80)
		j->member = below(w, max < 8 ? max : 8);
	else
		j->member = near(w, max);
	j->flags = reserved32(w, &c);
	j->reserved = reserved64(w, &c);
	if (ep->max_members && j->member != FANOUT_MEMBER_ANY &&
	    j->member >= ep->max_members)
		c.must_fail = true;
	if (ep->certain && ep->joined)
		c.must_fail = true;
	if (!ep->certain || ep->joined)
		c.extra |= E(EISCONN);
	if (j->member == FANOUT_MEMBER_ANY)
		c.extra |= E(ENOSPC);
	if (!ep->certain || !ep->full_perm)
		c.extra |= E(EACCES);
	snprintf(c.note, sizeof(c.note), "member %#x", j->member);
	r = j->member;
	if (do_call(w, ep, &c) == -EISCONN)
		ep->joined = true;
	if (c.ran && !c.known)
		ep->certain = false;	/* joined or not? */
	if (!c.known || c.ret)
		return;
	CHECK(w, j->member < max && (r == FANOUT_MEMBER_ANY || j->member == r),
	      "JOIN %#x: joined member %u of %u", r, j->member, max);
	ep->joined = true;
	ep->member = j->member;
}

static void op_leave(struct worker *w, struct ep *ep)
{
	struct call c = { .op = OP_LEAVE };

	if (ep->certain && !ep->joined)
		c.must_fail = true;	/* -ENOTCONN */
	if (!ep->certain || !ep->joined)
		c.extra |= E(ENOTCONN);
	if (do_call(w, ep, &c) == -ENOTCONN)
		ep->joined = false;
	if (c.known && !c.ret) {
		ep->joined = false;
		ep->ntaken = 0;
	}
}

/* Fill a receive half; the caller issues it. */
static void build_recv(struct worker *w, struct ep *ep, struct call *c,
		       struct fanout_recv *r)
{
	static const __u32 lens[] = { 0, 1, 7, 8, 16, 64, 512, 4096 };
	char *buf = w->reg[R_RBUF].base;
	unsigned int k = below(w, 100);

	if (k < 50)
		r->buf_len = w->max_payload;
	else if (k < 80)
		r->buf_len = lens[below(w, ARRAY_SIZE(lens))];
	else
		r->buf_len = near(w, w->max_payload);
	r->buf = uptr(w, c, R_RBUF, buf, r->buf_len, true);
	/* The redelivery mark is an output, ignored on input. */
	r->flags = flags_with(w, c, one_in(w, 8) ? 0 : FANOUT_RECV_NONBLOCK,
			      FANOUT_RECV_FLAGS | FANOUT_RECV_REDELIVERED);
	r->id = junk(w);		/* outputs */
	junk_bytes(w, r->uuid, sizeof(r->uuid));
	r->len = junk(w);
	r->member = junk(w);
	r->reserved[0] = reserved64(w, c);
	r->reserved[1] = reserved64(w, c);
	if (!(r->flags & FANOUT_RECV_NONBLOCK) && (!ep->certain || !ep->nonblock))
		c->sleeps = true;
	if ((r->flags & FANOUT_RECV_NONBLOCK) || !ep->certain || ep->nonblock)
		c->extra |= E(EAGAIN);
	if (!ep->certain || !ep->joined)
		c->extra |= E(ENOTCONN);
	if (ep->certain && !ep->joined)
		c->must_fail = true;	/* -ENOTCONN or -EIDRM */
}

/* Check a receive that returned @ret. */
static void recv_done(struct worker *w, struct ep *ep, struct call *c,
		      const struct fanout_recv *r, int ret)
{
	__u32 bad;

	if (ret == -EMSGSIZE)
		CHECK(w, r->len > r->buf_len && r->len <= w->max_payload,
		      "RECV -EMSGSIZE: len %u, buf_len %u", r->len, r->buf_len);
	if (ret)
		return;
	CHECK(w, r->id && r->len <= r->buf_len && r->len <= w->max_payload &&
	      (!ep->max_members || r->member < ep->max_members) &&
	      (!ep->certain || r->member == ep->member),
	      "RECV: id %llu len %u (buf_len %u) member %u (joined %u of %u)",
	      (unsigned long long)r->id, r->len, r->buf_len, r->member,
	      ep->member, ep->max_members);
	if (r->buf == (uintptr_t)w->reg[R_RBUF].base) {
		bad = payload_check((__u8 *)w->reg[R_RBUF].base, r->len,
				    r->member);
		CHECK(w, !bad,
		      "RECV: payload of request %llu (len %u) for member %u is wrong at byte %u",
		      (unsigned long long)r->id, r->len, r->member, bad - 1);
	}
	add_taken(w, ep, r->id, r->member);
}

static void op_recv(struct worker *w, struct ep *ep)
{
	struct fanout_recv *r = (void *)w->arg;
	struct call c = { .op = OP_RECV };

	memset(r, 0, sizeof(*r));
	build_recv(w, ep, &c, r);
	snprintf(c.note, sizeof(c.note), "buf_len %u flags %#x", r->buf_len,
		 r->flags);
	do_call(w, ep, &c);
	if (c.known)
		recv_done(w, ep, &c, r, c.ret);
}

/*
 * Fill a reply half; *tid is set to the id answered when it is one the
 * endpoint took.
 */
static void build_reply(struct worker *w, struct ep *ep, struct call *c,
			struct fanout_reply *r, __u64 *tid)
{
	static const __s32 bad_status[] = { -4096, -4097, INT_MIN, -65536 };
	__u32 member = ep->member, magic = REPLY_NOCHECK;
	unsigned int k = below(w, 100);
	int own;

	*tid = 0;
	if (k < 70 && ep->ntaken) {
		struct taken *t = &ep->taken[below(w, ep->ntaken)];

		r->id = *tid = t->id;
		member = t->member;
		if (ep->certain)
			magic = REPLY_VERIFY;
	} else {
		r->id = pick_id(w, ep, &own);
	}
	k = below(w, 100);
	if (k < 70)
		r->status = 0;
	else if (k < 80)
		r->status = (__s32)(rnd(w) & INT_MAX);
	else if (k < 94 || w->strict)
		r->status = -(__s32)(1 + below(w, 4095));
	else
		r->status = bad_status[below(w, ARRAY_SIZE(bad_status))];
	if (r->status < -4095)
		c->must_fail = true;
	k = below(w, 100);
	if (r->status < 0 && (k < 90 || w->strict))
		r->len = 0;
	else if (k < 70)
		r->len = below(w, 257);
	else if (k < 85)
		r->len = below(w, 16);
	else
		r->len = near(w, w->max_payload);
	if (w->strict && r->len > w->max_payload)
		r->len = w->max_payload;
	if (r->status < 0 && r->len)
		c->must_fail = true;
	if (r->len > w->max_payload)
		c->must_fail = true;	/* -EMSGSIZE */
	if (r->len <= w->max_payload)
		reply_fill((__u8 *)w->reg[R_REP].base, r->len, r->id, member,
			   magic);
	r->buf = uptr(w, c, R_REP, w->reg[R_REP].base,
		      r->status >= 0 && r->len <= w->max_payload ? r->len : 0,
		      false);
	r->flags = reserved32(w, c);
	r->reserved0 = reserved32(w, c);
	r->reserved = reserved64(w, c);
	if (!ep->certain || !ep->joined)
		c->extra |= E(ENOTCONN);
	if (ep->certain && !ep->joined)
		c->must_fail = true;
}

static void op_reply(struct worker *w, struct ep *ep)
{
	struct fanout_reply *r = (void *)w->arg;
	struct call c = { .op = OP_REPLY };
	__u64 tid;

	memset(r, 0, sizeof(*r));
	build_reply(w, ep, &c, r, &tid);
	snprintf(c.note, sizeof(c.note), "id %llu status %d len %u",
		 (unsigned long long)r->id, r->status, r->len);
	do_call(w, ep, &c);
	if (c.known && (!c.ret || (tid && c.ret != -EINVAL &&
				   c.ret != -EFAULT && one_in(w, 2))))
		forget_taken(ep, r->id);
}

static void op_reply_recv(struct worker *w, struct ep *ep)
{
	struct fanout_reply_recv *rr = (void *)w->arg;
	struct call c = { .op = OP_REPLY_RECV }, half = { .op = OP_REPLY };
	__u64 id, tid = 0;

	memset(rr, 0, sizeof(*rr));
	build_recv(w, ep, &c, &rr->recv);
	build_reply(w, ep, &half, &rr->reply, &tid);
	if (one_in(w, 4) || (!ep->ntaken && !one_in(w, 3)))
		rr->reply.id = 0;
	/* With no reply (id 0) the rest of the reply half is not looked at. */
	if (rr->reply.id) {
		c.must_fail |= half.must_fail;
		c.nested_bad |= half.nested_bad;
		c.extra |= half.extra;
	}
	id = rr->reply.id;
	snprintf(c.note, sizeof(c.note), "id %llu status %d len %u buf_len %u flags %#x",
		 (unsigned long long)id, rr->reply.status, rr->reply.len,
		 rr->recv.buf_len, rr->recv.flags);
	do_call(w, ep, &c);
	if (!c.known)
		return;
	/* Only the reply half fails with these: it was not accepted. */
	if (id && (c.ret == -EALREADY || c.ret == -ENOENT || c.ret == -ENOBUFS))
		CHECK(w, rr->reply.id == id,
		      "REPLY_RECV %s, yet reply.id cleared",
		      errname(-c.ret));
	/* Only the receive half fails with these: the reply went through. */
	if (!c.ret || c.ret == -EAGAIN || c.ret == -EINTR)
		CHECK(w, !rr->reply.id, "REPLY_RECV returned %s, reply.id %llu not cleared",
		      errname(-c.ret), (unsigned long long)rr->reply.id);
	if (id && !rr->reply.id)
		forget_taken(ep, id);
	if (!rr->reply.id)
		recv_done(w, ep, &c, &rr->recv, c.ret);
}

/* ---- operations: coordinators -------------------------------------------- */

/* What a send should give, as far as the worker can tell. */
struct send_info {
	int ntargets;		/* -1: unknown */
	bool uuid;
	__u8 uuid_val[FANOUT_UUID_LEN];
};

/* A target bitmap at R_BITS; returns the targets set among @nbits, or -1. */
static int build_bitmap(struct worker *w, __u32 nbits)
{
	__u64 *words = (__u64 *)w->reg[R_BITS].base;
	__u32 nw = (nbits + 63) / 64, i, n = 0;

	if (nbits > FANOUT_MEMBERS_MAX)
		nw = FANOUT_MEMBERS_MAX / 64;
	memset(words, 0, w->page);
	switch (below(w, 6)) {
	case 0:		/* everyone */
		memset(words, 0xff, nw * 8);
		break;
	case 1:		/* one */
		if (nbits)
			words[below(w, nbits < 4096 ? nbits : 4096) / 64] |=
				1ULL << below(w, 64);
		break;
	case 2:		/* nobody, but junk past @nbits */
		if (w->strict)
			words[0] = 1;
		else if (nbits % 64 && nbits < 4096)
			words[nbits / 64] = ~0ULL << (nbits % 64);
		break;
	case 3:		/* the first eight */
		words[0] = 0xff;
		break;
	default:	/* random */
		for (i = 0; i < nw; i++)
			words[i] = rnd(w) & rnd(w) & (one_in(w, 2) ? rnd(w) : ~0ULL);
		break;
	}
	for (i = 0; i < nbits && i < FANOUT_MEMBERS_MAX; i++)
		n += (words[i / 64] >> (i % 64)) & 1;
	return n;
}

/* The members of the first @max targets: the bits set in R_BITS. */
static void list_targets(struct worker *w, __u32 nbits, __u32 *members,
			 __u32 max)
{
	const __u64 *words = (const __u64 *)w->reg[R_BITS].base;
	__u32 m, n = 0;

	for (m = 0; m < nbits && m < FANOUT_MEMBERS_MAX && n < max; m++)
		if ((words[m / 64] >> (m % 64)) & 1)
			members[n++] = m;
}

/* One payload per target: an array of struct fanout_buf at R_BUFS. */
static void build_per_target(struct worker *w, struct call *c,
			     struct fanout_send *s, int n)
{
	struct fanout_buf *bufs = (struct fanout_buf *)w->reg[R_BUFS].base;
	bool sliced = n >= 0 && n <= SLICES;
	__u32 members[SLICES], i, cnt;

	s->payload_len = n;
	if (n < 0 || inject(w, 5)) {
		s->payload_len = one_in(w, 2) ? near(w, n < 0 ? 8 : n) : below(w, 9);
		if (n >= 0 && s->payload_len != (__u32)n)
			c->must_fail = true;
	}
	cnt = s->payload_len < (__u32)n ? s->payload_len : (__u32)n;
	if (n < 0)
		cnt = s->payload_len < 64 ? s->payload_len : 64;
	if (sliced)
		list_targets(w, s->targets_bits, members, n);
	for (i = 0; i < cnt; i++) {
		struct fanout_buf *b = &bufs[i];
		unsigned int k = below(w, 100);
		int r = R_PAY;
		char *at;

		memset(b, 0, sizeof(*b));
		if (k < 94 || n > 2) {
			/*
			 * Small; a slice of its own, tagged, for few targets,
			 * else one buffer for all, short ones (another
			 * layout) apart.
			 */
			b->len = below(w, (sliced ? SLICE : 16) + 1);
			at = w->reg[R_PAY].base +
			     (sliced ? i * SLICE : b->len < 8 ? SLICE : 0);
			payload_fill((__u8 *)at, b->len,
				     sliced ? members[i] : TAG_ANY,
				     sliced ? (__u8)rnd(w) : 0x42);
		} else {
			r = R_BIG;
			at = w->reg[R_BIG].base;
			b->len = near(w, w->max_payload);
			if (b->len > w->max_payload)
				c->must_fail = true;
			else
				payload_fill((__u8 *)at, b->len, TAG_ANY, 0x17);
		}
		b->addr = uptr(w, c, r, at,
			       b->len <= w->max_payload ? b->len : 0, false);
		b->reserved = reserved32(w, c);
	}
	/* Entries the kernel might still read when @n is unknown. */
	for (; i < 64; i++)
		memset(&bufs[i], 0, sizeof(bufs[i]));
	s->payload = uptr(w, c, R_BUFS, bufs, (__u64)cnt * sizeof(*bufs), false);
}

static void build_send(struct worker *w, struct ep *ep, struct call *c,
		       struct fanout_send *s, struct send_info *si)
{
	static const __u32 deadlines[] = { 0, 0, 1, 2, 5, 10, 20, 50, 100 };
	__u32 max = ep->max_members ? ep->max_members : FANOUT_MEMBERS_MAX;
	__u32 f = 0, len;
	unsigned int k;
	int n = -1;

	memset(si, 0, sizeof(*si));
	si->ntargets = -1;
	if (one_in(w, 2))
		f |= FANOUT_SEND_UUID;
	if (one_in(w, 5))
		f |= FANOUT_SEND_PER_TARGET;
	s->flags = flags_with(w, c, f, FANOUT_SEND_FLAGS);
	junk_bytes(w, s->uuid, sizeof(s->uuid));
	if (s->flags & FANOUT_SEND_UUID) {
		/* Half of them in one of four conversations: AMQs get reused. */
		for (k = 0; k < FANOUT_UUID_LEN; k++)
			s->uuid[k] = (__u8)rnd(w);
		if (one_in(w, 2)) {
			memset(s->uuid, 0, sizeof(s->uuid));
			s->uuid[0] = 1 + below(w, 4);
		}
		si->uuid = true;
		memcpy(si->uuid_val, s->uuid, sizeof(si->uuid_val));
	}
	s->id = junk(w);		/* outputs */
	s->ntargets = junk(w);
	s->deadline_ms = one_in(w, 100) ? (one_in(w, 2) ? ~0U : 60000) :
			 deadlines[below(w, ARRAY_SIZE(deadlines))];
	s->reserved0 = reserved32(w, c);
	s->reserved[0] = reserved64(w, c);
	s->reserved[1] = reserved64(w, c);

	/* Targets: every member up, or a bitmap. */
	k = below(w, 100);
	if (k < 35 && (!(f & FANOUT_SEND_PER_TARGET) || inject(w, 3))) {
		if (inject(w, 10))
			s->targets_bits = 1 + below(w, max);
	} else {
		k = below(w, 100);
		if (k < 55)
			s->targets_bits = max;
		else if (k < 80 || w->strict)
			s->targets_bits = 1 + below(w, max);
		else
			s->targets_bits = near(w, max);
		if (s->targets_bits && s->targets_bits <= max)
			n = build_bitmap(w, s->targets_bits);
		s->targets = uptr(w, c, R_BITS, w->reg[R_BITS].base,
				  ((__u64)s->targets_bits + 63) / 64 * 8, false);
		if (s->targets != (uintptr_t)w->reg[R_BITS].base)
			n = -1;		/* not read, or not there */
	}
	/* Decided once the pointer is known: NULL means no bitmap. */
	if (!s->targets) {
		if (s->targets_bits || (f & FANOUT_SEND_PER_TARGET))
			c->must_fail = true;
	} else {
		if (!s->targets_bits || s->targets_bits > max || !n)
			c->must_fail = true;	/* bad size, no target */
		/* Without the group's size, the bitmap may still be too long. */
		if (!ep->max_members || !ep->certain)
			n = n > 0 && s->targets_bits <= FANOUT_MEMBERS_MAX ? n : -1;
		si->ntargets = n;
	}

	/* Payload: one for all, or one per target. */
	if (s->flags & FANOUT_SEND_PER_TARGET) {
		build_per_target(w, c, s, s->targets ? n : -1);
	} else {
		k = below(w, 100);
		if (k < 60)
			len = below(w, 257);
		else if (k < 70)
			len = 0;
		else if (k < 85)
			len = below(w, 4097);
		else
			len = near(w, w->max_payload);
		if (w->strict && len > w->max_payload)
			len = w->max_payload;
		s->payload_len = len;
		if (len > w->max_payload)
			c->must_fail = true;	/* -EMSGSIZE */
		else
			payload_fill((__u8 *)w->reg[R_BIG].base, len, TAG_ANY,
				     (__u8)rnd(w));
		s->payload = uptr(w, c, R_BIG, w->reg[R_BIG].base,
				  len <= w->max_payload ? len : 0, false);
	}
	if (!ep->certain || !ep->full_perm)
		c->extra |= E(EACCES);
}

/* Check a send that succeeded. */
static void send_done(struct worker *w, struct ep *ep,
		      const struct fanout_send *s, const struct send_info *si)
{
	CHECK(w, s->id && (!ep->max_members || s->ntargets <= ep->max_members) &&
	      (si->ntargets < 0 || s->ntargets == (__u32)si->ntargets) &&
	      (!si->uuid || !memcmp(s->uuid, si->uuid_val, sizeof(s->uuid))),
	      "SEND: id %llu ntargets %u (expected %d of at most %u), uuid %s",
	      (unsigned long long)s->id, s->ntargets, si->ntargets,
	      ep->max_members,
	      !si->uuid || !memcmp(s->uuid, si->uuid_val, sizeof(s->uuid)) ?
	      "as given" : "not the one given");
}

/* Keep the endpoint's unreleased requests bounded: release one. */
static void release_one(struct worker *w, struct ep *ep)
{
	struct fanout_id *id = (void *)w->arg;
	struct call c = { .op = OP_RELEASE, .clean = true };
	int i = below(w, ep->nids);

	memset(id, 0, sizeof(*id));
	id->id = ep->ids[i].id;
	if (ep->certain)
		c.deny |= E(ENOENT);
	snprintf(c.note, sizeof(c.note), "id %llu (housekeeping)",
		 (unsigned long long)id->id);
	do_call(w, ep, &c);
	forget_id(ep, i);
}

static void op_send(struct worker *w, struct ep *ep)
{
	struct fanout_send *s = (void *)w->arg;
	struct call c = { .op = OP_SEND };
	struct send_info si;

	if (ep->nids == MAX_IDS)
		release_one(w, ep);
	memset(s, 0, sizeof(*s));
	build_send(w, ep, &c, s, &si);
	snprintf(c.note, sizeof(c.note), "flags %#x targets %s bits %u len %u deadline %u",
		 s->flags, s->targets ? "map" : "up", s->targets_bits,
		 s->payload_len, s->deadline_ms);
	do_call(w, ep, &c);
	if (c.ran && !c.known) {
		ep->lost++;		/* sent, id unknown */
		ep->certain = false;
	}
	if (!c.known)
		return;
	if (c.ret) {
		/* A send that started nothing hands back no id or count. */
		CHECK(w, !s->id && !s->ntargets,
		      "SEND failed (%d): id %llu ntargets %u", c.ret,
		      (unsigned long long)s->id, s->ntargets);
		return;
	}
	send_done(w, ep, s, &si);
	own_id(w, ep, s->id, s->ntargets);
}

/* Fill a wait half; the caller sets the id. */
static void build_wait(struct worker *w, struct call *c, struct fanout_wait *wt,
		       int ntargets)
{
	static const __u64 timeouts[] = {
		0, 1, 1000, 100000, 1000000, 2000000, 5000000, 20000000,
	};
	unsigned int k = below(w, 100);

	if (k < 30)
		wt->mode = FANOUT_WAIT_ALL;
	else if (k < 60)
		wt->mode = FANOUT_WAIT_FAILFAST;
	else if (k < 94 || w->strict)
		wt->mode = FANOUT_WAIT_QUORUM;
	else
		wt->mode = one_in(w, 2) ? 3 + below(w, 10) : ~0U;
	if (wt->mode > FANOUT_WAIT_QUORUM)
		c->must_fail = true;
	if (wt->mode == FANOUT_WAIT_QUORUM) {
		wt->quorum = 1 + below(w, (ntargets > 0 ? ntargets : 4) + 1);
		if (inject(w, 6)) {
			wt->quorum = 0;
			c->must_fail = true;
		}
	} else if (inject(w, 6)) {
		wt->quorum = 1 + below(w, 4);
		c->must_fail = true;
	}
	wt->flags = flags_with(w, c, one_in(w, 8) ? 0 : FANOUT_WAIT_TIMEOUT,
			       FANOUT_WAIT_FLAGS);
	if (wt->flags & FANOUT_WAIT_TIMEOUT) {
		wt->timeout_ns = timeouts[below(w, ARRAY_SIZE(timeouts))];
		c->extra |= E(ETIME);
	} else if (inject(w, 5)) {
		wt->timeout_ns = 1 + below(w, 1000000);
		c->must_fail = true;
	} else {
		c->sleeps = true;	/* until settled or a signal */
	}
	wt->ntargets = junk(w);		/* outputs */
	wt->nreplied = junk(w);
	wt->nfailed = junk(w);
	wt->reserved[0] = reserved64(w, c);
	wt->reserved[1] = reserved64(w, c);
	c->may_block = true;
}

/* Check the counts a wait wrote back; @ntargets -1 if unknown. */
static void wait_done(struct worker *w, const struct fanout_wait *wt, int ret,
		      int ntargets)
{
	__u64 settled = (__u64)wt->nreplied + wt->nfailed;
	bool cond;

	CHECK(w, settled <= wt->ntargets &&
	      (ntargets < 0 || wt->ntargets == (__u32)ntargets),
	      "WAIT %s: ntargets %u (expected %d) nreplied %u nfailed %u",
	      errname(-ret), wt->ntargets, ntargets, wt->nreplied, wt->nfailed);
	if (ret)
		return;
	cond = settled >= wt->ntargets ||
	       (wt->mode == FANOUT_WAIT_FAILFAST && wt->nfailed) ||
	       (wt->mode == FANOUT_WAIT_QUORUM && wt->nreplied >= wt->quorum);
	CHECK(w, cond,
	      "WAIT mode %u quorum %u returned 0 with ntargets %u nreplied %u nfailed %u: woken before its condition held",
	      wt->mode, wt->quorum, wt->ntargets, wt->nreplied, wt->nfailed);
}

static void op_wait(struct worker *w, struct ep *ep)
{
	struct fanout_wait *wt = (void *)w->arg;
	struct call c = { .op = OP_WAIT };
	int own, nt;

	memset(wt, 0, sizeof(*wt));
	wt->id = pick_id(w, ep, &own);
	nt = own >= 0 ? (int)ep->ids[own].ntargets : -1;
	build_wait(w, &c, wt, nt);
	if (own >= 0 && ep->certain)
		c.deny |= E(ENOENT);
	snprintf(c.note, sizeof(c.note), "id %llu%s mode %u quorum %u flags %#x timeout %llu",
		 (unsigned long long)wt->id, own >= 0 ? " (own)" : "",
		 wt->mode, wt->quorum, wt->flags,
		 (unsigned long long)wt->timeout_ns);
	do_call(w, ep, &c);
	if (c.known && (!c.ret || c.ret == -ETIME || c.ret == -EINTR))
		wait_done(w, wt, c.ret, ep->certain ? nt : -1);
}

/* Fill a results half; the entries go to R_RES, replies to R_RBUF. */
static void build_results(struct worker *w, struct call *c,
			  struct fanout_results *r, int ntargets, int *nfill)
{
	struct fanout_result *res = (struct fanout_result *)w->reg[R_RES].base;
	__u32 nt = ntargets >= 0 ? ntargets : 8;
	unsigned int k = below(w, 100);
	bool slices;
	int i;

	r->first = k < 70 ? 0 : near(w, nt);
	k = below(w, 100);
	if (k < 40)
		r->count = nt;
	else if (k < 55)
		r->count = 0;
	else if (k < 80)
		r->count = below(w, 9);
	else
		r->count = near(w, FANOUT_MEMBERS_MAX);
	r->flags = flags_with(w, c, one_in(w, 3) ? FANOUT_RESULTS_RELEASE : 0,
			      FANOUT_RESULTS_FLAGS);
	r->ntargets = junk(w);		/* outputs */
	r->nreplied = junk(w);
	r->nfailed = junk(w);
	r->reserved[0] = reserved64(w, c);
	r->reserved[1] = reserved64(w, c);

	/*
	 * Entries past *nfill stay zeroed (no reply buffer), so whatever the
	 * kernel reads beyond is harmless; the caller zeroes ours after.
	 */
	*nfill = r->count < nt + 1 ? r->count : nt + 1;
	if (*nfill > 64)
		*nfill = 64;
	slices = *nfill <= RSLICES;
	for (i = 0; i < *nfill; i++) {
		struct fanout_result *e = &res[i];
		char *slice = w->reg[R_RBUF].base + (slices ? i * RSLICE : 0);

		e->member = junk(w);	/* outputs */
		e->status = junk(w);
		e->state = junk(w);
		e->reply_len = junk(w);
		k = below(w, 100);
		if (k < 20) {
			e->reply_buf = 0;
		} else {
			e->reply_buf_len = slices ? below(w, RSLICE + 1) :
					   near(w, w->max_payload);
			e->reply_buf = uptr(w, c, R_RBUF, slice,
					    e->reply_buf_len, true);
		}
		if (inject(w, 20))
			e->reserved = 1 + below(w, 100);	/* -EINVAL */
	}
	r->results = uptr(w, c, R_RES, res, (__u64)*nfill * sizeof(*res), true);
}

/*
 * Check what RESULTS (or CALL) read for request @id: @in is the argument
 * as built, @r as returned; @ntargets -1 if unknown.
 */
static void results_done(struct worker *w, struct ep *ep,
			 const struct fanout_results *in,
			 const struct fanout_results *r, __u64 id,
			 int ntargets, int nfill)
{
	const struct fanout_result *res =
		(const struct fanout_result *)w->reg[R_RES].base;
	__u32 nrep = 0, nfail = 0, i, want;
	__s64 last = -1;

	CHECK(w, (__u64)r->nreplied + r->nfailed <= r->ntargets &&
	      r->count <= in->count && in->first <= r->ntargets &&
	      r->count == (in->count < r->ntargets - in->first ?
			   in->count : r->ntargets - in->first) &&
	      (ntargets < 0 || r->ntargets == (__u32)ntargets),
	      "RESULTS of %llu: first %u count %u -> %u, ntargets %u (expected %d) nreplied %u nfailed %u",
	      (unsigned long long)id, in->first, in->count, r->count,
	      r->ntargets, ntargets, r->nreplied, r->nfailed);
	if (r->results != (uintptr_t)res)
		return;
	for (i = 0; i < r->count && i < (__u32)nfill; i++) {
		const struct fanout_result *e = &res[i];
		bool open = e->state == FANOUT_TARGET_QUEUED ||
			    e->state == FANOUT_TARGET_TAKEN;
		const char *why = NULL;

		if (e->member >= FANOUT_MEMBERS_MAX ||
		    (ep->max_members && e->member >= ep->max_members) ||
		    (__s64)e->member <= last)
			why = "member out of order or range";
		else if (e->state > FANOUT_TARGET_FAILED)
			why = "unknown state";
		else if (open && (e->status || e->reply_len))
			why = "open target with a status or reply";
		else if (e->state == FANOUT_TARGET_FAILED &&
			 (e->status >= 0 || e->status < -4095 || e->reply_len))
			why = "failed target with a bad status or a reply";
		else if (e->state == FANOUT_TARGET_REPLIED &&
			 (e->status < 0 || e->reply_len > w->max_payload))
			why = "replied target with a bad status or length";
		CHECK(w, !why,
		      "RESULTS of %llu, entry %u: %s (member %u state %u status %d reply_len %u)",
		      (unsigned long long)id, in->first + i, why, e->member,
		      e->state, e->status, e->reply_len);
		last = e->member;
		nrep += e->state == FANOUT_TARGET_REPLIED;
		nfail += e->state == FANOUT_TARGET_FAILED;
		/* With a slice of its own, the reply copied out is checkable. */
		if (e->state == FANOUT_TARGET_REPLIED && nfill <= RSLICES &&
		    e->reply_buf == (uintptr_t)w->reg[R_RBUF].base + i * RSLICE) {
			want = e->reply_len < e->reply_buf_len ? e->reply_len :
			       e->reply_buf_len;
			why = reply_check((const __u8 *)(uintptr_t)e->reply_buf,
					  e->reply_len, want, id, e->member);
			CHECK(w, !why, "RESULTS of %llu, member %u: %s",
			      (unsigned long long)id, e->member, why);
		}
	}
	/* States were read before the counts, which only grow. */
	if (!in->first && r->count == r->ntargets && (__u32)nfill >= r->count)
		CHECK(w, nrep <= r->nreplied && nfail <= r->nfailed,
		      "RESULTS of %llu: %u replied and %u failed entries, counts say %u and %u",
		      (unsigned long long)id, nrep, nfail, r->nreplied,
		      r->nfailed);
}

static void op_results(struct worker *w, struct ep *ep)
{
	struct fanout_results *r = (void *)w->arg, in;
	struct call c = { .op = OP_RESULTS };
	int own, nt, nfill;

	memset(r, 0, sizeof(*r));
	r->id = pick_id(w, ep, &own);
	nt = own >= 0 ? (int)ep->ids[own].ntargets : -1;
	build_results(w, &c, r, nt, &nfill);
	if (own >= 0 && ep->certain) {
		c.deny |= E(ENOENT);
		if (r->first > (__u32)nt)
			c.must_fail = true;
	}
	snprintf(c.note, sizeof(c.note), "id %llu%s first %u count %u flags %#x",
		 (unsigned long long)r->id, own >= 0 ? " (own)" : "",
		 r->first, r->count, r->flags);
	in = *r;
	do_call(w, ep, &c);
	if (c.ran && !c.known && (in.flags & FANOUT_RESULTS_RELEASE))
		ep->certain = false;	/* released or not? */
	if (c.known && !c.ret) {
		results_done(w, ep, &in, r, in.id, ep->certain ? nt : -1, nfill);
		if ((in.flags & FANOUT_RESULTS_RELEASE) &&
		    (own = find_id(ep, in.id)) >= 0)
			forget_id(ep, own);
	}
	memset(w->reg[R_RES].base, 0, nfill * sizeof(struct fanout_result));
}

static void op_call(struct worker *w, struct ep *ep)
{
	struct fanout_call *cl = (void *)w->arg, in;
	struct call c = { .op = OP_CALL };
	struct send_info si;
	__u64 id_in;
	int nfill;

	if (ep->nids == MAX_IDS)
		release_one(w, ep);
	memset(cl, 0, sizeof(*cl));
	build_send(w, ep, &c, &cl->send, &si);
	if (one_in(w, 10))
		cl->send.id = junk(w);	/* an output: zeroed unless started */
	build_wait(w, &c, &cl->wait, si.ntargets);
	build_results(w, &c, &cl->results, si.ntargets, &nfill);
	cl->wait.id = junk(w);		/* set by the kernel */
	cl->results.id = junk(w);
	id_in = cl->send.id;
	snprintf(c.note, sizeof(c.note), "send flags %#x bits %u len %u, wait mode %u flags %#x timeout %llu, results count %u flags %#x",
		 cl->send.flags, cl->send.targets_bits, cl->send.payload_len,
		 cl->wait.mode, cl->wait.flags,
		 (unsigned long long)cl->wait.timeout_ns, cl->results.count,
		 cl->results.flags);
	in = *cl;
	do_call(w, ep, &c);
	if (c.ran && !c.known) {
		ep->lost++;
		ep->certain = false;
	}
	if (c.known && !c.ret) {
		send_done(w, ep, &cl->send, &si);
		CHECK(w, cl->wait.id == cl->send.id && cl->results.id == cl->send.id,
		      "CALL: send.id %llu, wait.id %llu, results.id %llu",
		      (unsigned long long)cl->send.id,
		      (unsigned long long)cl->wait.id,
		      (unsigned long long)cl->results.id);
		wait_done(w, &cl->wait, 0, cl->send.ntargets);
		results_done(w, ep, &in.results, &cl->results, cl->send.id,
			     cl->send.ntargets, nfill);
		if (!(in.results.flags & FANOUT_RESULTS_RELEASE))
			own_id(w, ep, cl->send.id, cl->send.ntargets);
	} else if (c.known && cl->send.id) {
		/* Interrupted, timed out or failed reading: still running. */
		send_done(w, ep, &cl->send, &si);
		own_id(w, ep, cl->send.id, cl->send.ntargets);
		if (c.ret == -ETIME || c.ret == -EINTR)
			wait_done(w, &cl->wait, c.ret, cl->send.ntargets);
	} else if (c.known) {
		/* A call that started nothing names no request, in any part. */
		CHECK(w, !cl->wait.id && !cl->results.id,
		      "CALL failed (%d), nothing started: wait.id %llu, results.id %llu (id in %llu)",
		      c.ret, (unsigned long long)cl->wait.id,
		      (unsigned long long)cl->results.id,
		      (unsigned long long)id_in);
	}
	memset(w->reg[R_RES].base, 0, nfill * sizeof(struct fanout_result));
}

/* CANCEL and RELEASE take the same argument. */
static void op_id(struct worker *w, struct ep *ep, enum op_id op)
{
	struct fanout_id *id = (void *)w->arg;
	struct call c = { .op = op };
	int own;

	memset(id, 0, sizeof(*id));
	id->id = pick_id(w, ep, &own);
	id->flags = reserved32(w, &c);
	id->reserved = reserved32(w, &c);
	if (own >= 0 && ep->certain)
		c.deny |= E(ENOENT);
	snprintf(c.note, sizeof(c.note), "id %llu%s",
		 (unsigned long long)id->id, own >= 0 ? " (own)" : "");
	do_call(w, ep, &c);
	if (op == OP_RELEASE && c.known && !c.ret &&
	    (own = find_id(ep, id->id)) >= 0)
		forget_id(ep, own);
}

static void op_cancel(struct worker *w, struct ep *ep)
{
	op_id(w, ep, OP_CANCEL);
}

static void op_release(struct worker *w, struct ep *ep)
{
	op_id(w, ep, OP_RELEASE);
}

/* Any command, with a wrong direction, number or magic: -ENOTTY. */
static void op_badcmd(struct worker *w, struct ep *ep)
{
	static const enum op_id cmds[] = {
		OP_VERSION, OP_CREATE, OP_OPEN, OP_DESTROY, OP_INFO, OP_STATS,
		OP_JOIN, OP_LEAVE, OP_RECV, OP_REPLY, OP_REPLY_RECV, OP_SEND,
		OP_WAIT, OP_CALL, OP_RESULTS, OP_CANCEL, OP_RELEASE,
		OP_STATE_SET, OP_STATE_GET, OP_CONFIRM, OP_STATE_WAIT,
	};
	struct call c = { .op = OP_BADCMD, .mangle = true };

	c.cmd = ops[cmds[below(w, ARRAY_SIZE(cmds))]].cmd;
	for (int i = 0; i < 256; i++)
		w->arg[i] = (char)rnd(w);
	do_call(w, ep, &c);
}


/* ---- operations: expected state ---------------------------------------- */

/* A generation: mostly the last one seen, now and then a neighbour. */
static __u64 pick_gen(struct worker *w, struct ep *ep)
{
	switch (below(w, 8)) {
	case 0: return 0;
	case 1: return ep->gen + 1;
	case 2: return ep->gen ? ep->gen - 1 : 0;
	case 3: return rnd(w);
	default: return ep->gen;
	}
}

static void op_state_set(struct worker *w, struct ep *ep)
{
	struct fanout_state *s = (void *)w->arg;
	struct call c = { .op = OP_STATE_SET };
	unsigned int r = below(w, 100);

	memset(s, 0, sizeof(*s));
	s->generation = junk(w);	/* output */
	s->code = (__u32)rnd(w);
	s->flags = flags_with(w, &c, 0, 0);
	s->blob_len = r < 60 ? below(w, 64) : near(w, FANOUT_STATE_BLOB_MAX);
	payload_fill((__u8 *)w->reg[R_PAY].base,
		     s->blob_len < SLICES * SLICE ? s->blob_len : 0, TAG_ANY,
		     (__u8)rnd(w));
	s->blob = uptr(w, &c, R_PAY, w->reg[R_PAY].base,
		       s->blob_len < SLICES * SLICE ? s->blob_len : 1, false);
	s->reserved0 = reserved32(w, &c);
	s->reserved[0] = reserved64(w, &c);
	s->reserved[1] = reserved64(w, &c);
	if (s->blob_len > FANOUT_STATE_BLOB_MAX)
		c.must_fail = true;	/* -EMSGSIZE */
	if (s->blob_len > SLICES * SLICE)
		c.nested_bad = true;
	if (!ep->certain || !ep->full_perm)
		c.extra |= E(EACCES);
	snprintf(c.note, sizeof(c.note), "code %#x blob_len %u", s->code,
		 s->blob_len);
	do_call(w, ep, &c);
	if (!c.known || c.ret)
		return;
	CHECK(w, s->generation, "STATE_SET: generation 0");
	ep->gen = s->generation;
}

static void op_state_get(struct worker *w, struct ep *ep)
{
	struct fanout_state *s = (void *)w->arg;
	struct call c = { .op = OP_STATE_GET };
	__u32 size = one_in(w, 4) ? near(w, FANOUT_STATE_BLOB_MAX) :
				    FANOUT_STATE_BLOB_MAX;

	memset(s, 0, sizeof(*s));
	s->generation = junk(w);
	s->code = junk(w);
	s->flags = flags_with(w, &c, 0, 0);
	s->blob_len = size;
	s->blob = one_in(w, 8) ? 0 :
		  uptr(w, &c, R_RBUF, w->reg[R_RBUF].base,
		       size < RSLICES * RSLICE ? size : 1, true);
	s->reserved0 = reserved32(w, &c);
	s->reserved[0] = reserved64(w, &c);
	s->reserved[1] = reserved64(w, &c);
	if (size > RSLICES * RSLICE)
		c.nested_bad = true;
	do_call(w, ep, &c);
	if (!c.known || (c.ret && c.ret != -EMSGSIZE))
		return;
	CHECK(w, s->blob_len <= FANOUT_STATE_BLOB_MAX &&
	      (c.ret != -EMSGSIZE || s->blob_len > size),
	      "STATE_GET: blob_len %u (buffer %u) -> %d", s->blob_len, size,
	      c.ret);
	if (!c.ret)
		ep->gen = s->generation;
}

static void op_confirm(struct worker *w, struct ep *ep)
{
	struct fanout_confirm *cf = (void *)w->arg;
	struct call c = { .op = OP_CONFIRM };

	memset(cf, 0, sizeof(*cf));
	cf->generation = pick_gen(w, ep);
	cf->flags = flags_with(w, &c, 0, 0);
	cf->reserved = reserved32(w, &c);
	if (ep->certain && !ep->joined)
		c.must_fail = true;	/* -ENOTCONN (or -EIDRM) */
	snprintf(c.note, sizeof(c.note), "generation %llu",
		 (unsigned long long)cf->generation);
	do_call(w, ep, &c);
}

static void op_state_wait(struct worker *w, struct ep *ep)
{
	struct fanout_state_wait *sw = (void *)w->arg;
	struct call c = { .op = OP_STATE_WAIT };
	char *bits = w->reg[R_BITS].base;
	unsigned int r = below(w, 100);

	memset(sw, 0, sizeof(*sw));
	sw->generation = one_in(w, 2) ? 0 : pick_gen(w, ep);
	sw->flags = flags_with(w, &c, r < 80 ? FANOUT_STATE_WAIT_TIMEOUT : 0,
			       FANOUT_STATE_WAIT_FLAGS);
	if (sw->flags & FANOUT_STATE_WAIT_TIMEOUT)
		sw->timeout_ns = below(w, 3) * 1000000ULL;
	else if (inject(w, 8))
		sw->timeout_ns = 1 + below(w, 1000);	/* no flag: refused */
	if (!(sw->flags & FANOUT_STATE_WAIT_TIMEOUT)) {
		c.sleeps = true;
		if (sw->timeout_ns)
			c.must_fail = true;
	}
	sw->bitmap_bits = one_in(w, 6) ? near(w, FANOUT_MEMBERS_MAX) :
					 FANOUT_MEMBERS_MAX;
	if (sw->bitmap_bits > FANOUT_MEMBERS_MAX)
		c.must_fail = true;
	if (!one_in(w, 6)) {
		sw->up = uptr(w, &c, R_BITS, bits, 512, true);
		sw->confirmed = uptr(w, &c, R_BITS, bits + 512, 512, true);
	} else if (sw->bitmap_bits) {
		c.must_fail = true;	/* bits without a bitmap */
	}
	sw->code = junk(w);		/* outputs */
	sw->nup = junk(w);
	sw->nconfirmed = junk(w);
	sw->members = junk(w);
	sw->reserved[0] = reserved64(w, &c);
	sw->reserved[1] = reserved64(w, &c);
	c.may_block = true;
	snprintf(c.note, sizeof(c.note), "generation %llu flags %#x bits %u",
		 (unsigned long long)sw->generation, sw->flags,
		 sw->bitmap_bits);
	do_call(w, ep, &c);
	if (!c.known || c.ret)
		return;
	/* Generation 0 (no state set yet) has nothing to confirm. */
	CHECK(w, (!sw->generation || sw->nup == sw->nconfirmed) &&
	      sw->nup <= sw->members && sw->members <= FANOUT_MEMBERS_MAX,
	      "STATE_WAIT: returned with %u of %u up confirmed (%u members)",
	      sw->nconfirmed, sw->nup, sw->members);
	ep->gen = sw->generation;
}

/* ---- operations: generic netlink ------------------------------------- */

/* The family's id, resolved once per network namespace move: 0 if none. */
static int genl_family(int sk)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req = { 0 };
	char ans[8192];
	struct nlattr *a;
	ssize_t len;
	int off;

	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a = (struct nlattr *)req.buf;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(FANOUT_GENL_NAME);
	memcpy((char *)a + NLA_HDRLEN, FANOUT_GENL_NAME,
	       sizeof(FANOUT_GENL_NAME));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if (send(sk, &req, req.n.nlmsg_len, 0) < 0)
		return 0;
	len = recv(sk, ans, sizeof(ans), 0);
	if (len < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) ||
	    ((struct nlmsghdr *)ans)->nlmsg_type == NLMSG_ERROR)
		return 0;
	for (off = NLMSG_LENGTH(GENL_HDRLEN); off + NLA_HDRLEN <= len;
	     off += NLA_ALIGN(a->nla_len)) {
		a = (struct nlattr *)(ans + off);
		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(__u16 *)((char *)a + NLA_HDRLEN);
	}
	return 0;
}

/* Random attributes after the headers of @n; returns the length. */
static size_t genl_attrs(struct worker *w, char *p, size_t room)
{
	size_t len = 0;
	int n = below(w, 4);

	while (n-- > 0) {
		struct nlattr *a = (struct nlattr *)(p + len);
		__u32 plen = one_in(w, 3) ? below(w, 64) : below(w, 40);
		__u32 type = one_in(w, 4) ? (__u32)rnd(w) & 0xffff :
				below(w, FANOUT_A_MAX + 3);

		if (len + NLA_HDRLEN + NLA_ALIGN(plen) > room)
			break;
		a->nla_type = type;
		a->nla_len = NLA_HDRLEN + plen;
		junk_bytes(w, (char *)a + NLA_HDRLEN, plen);
		if (type == FANOUT_A_GROUP_NAME && !one_in(w, 4)) {
			int name = below(w, NNAMES);

			plen = strlen(w->sh->names[name]) + 1;
			a->nla_len = NLA_HDRLEN + plen;
			memcpy((char *)a + NLA_HDRLEN, w->sh->names[name], plen);
		}
		if (one_in(w, 16))
			a->nla_len = below(w, 2 * NLA_HDRLEN + plen);
		len += NLA_ALIGN(NLA_HDRLEN + plen);
	}
	return len;
}

/*
 * One random message to the family; its answers must come (data, then a
 * documented error or the end of a dump), never malformed, never late.
 */
static void op_genl(struct worker *w, struct ep *ep)
{
	const emask_t errs = E(EINVAL) | E(ERANGE) | E(EOPNOTSUPP) |
			     E(EPERM) | E(EACCES) | E(ENOENT) | E(ENOMEM) |
			     E(EMSGSIZE) | E(EINTR);
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[512];
	} req = { 0 };
	static char ans[1 << 16];
	int sk, fam, one = 1;
	struct pollfd pfd;
	bool done = false;

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	CHECK(w, sk >= 0, "netlink socket: %s", errname(errno));
	setsockopt(sk, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	fam = genl_family(sk);
	CHECK(w, fam > 0, "family %s not found", FANOUT_GENL_NAME);
	req.n.nlmsg_type = fam;
	req.n.nlmsg_flags = NLM_F_REQUEST | (one_in(w, 2) ? NLM_F_DUMP : 0) |
			    (one_in(w, 2) ? NLM_F_ACK : 0);
	req.n.nlmsg_seq = 1;
	req.g.cmd = one_in(w, 8) ? (__u8)rnd(w) : below(w, FANOUT_CMD_MAX + 2);
	req.g.version = one_in(w, 8) ? (__u8)rnd(w) : FANOUT_GENL_VERSION;
	req.g.reserved = inject(w, 8) ? (__u16)rnd(w) : 0;
	if (w->strict) {
		/* Well-formed: a known command, perhaps a group's name. */
		struct nlattr *a = (struct nlattr *)req.buf;
		int name = below(w, NNAMES + 1);

		req.g.cmd = 1 + below(w, FANOUT_CMD_MAX);
		req.g.version = FANOUT_GENL_VERSION;
		req.g.reserved = 0;
		req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
		if (name < NNAMES) {
			a->nla_type = FANOUT_A_GROUP_NAME;
			a->nla_len = NLA_HDRLEN + strlen(w->sh->names[name]) + 1;
			memcpy((char *)a + NLA_HDRLEN, w->sh->names[name],
			       a->nla_len - NLA_HDRLEN);
			req.n.nlmsg_len += NLA_ALIGN(a->nla_len);
		}
	} else {
		req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) +
				  genl_attrs(w, req.buf, sizeof(req.buf));
	}
	snprintf(w->log[w->logpos++ % LOGLINES], sizeof(w->log[0]),
		 "GENL       cmd %u flags %#x len %u", req.g.cmd,
		 req.n.nlmsg_flags, req.n.nlmsg_len);
	atomic_fetch_add(&w->sh->stats[OP_GENL].calls, 1);
	CHECK(w, send(sk, &req, req.n.nlmsg_len, 0) == req.n.nlmsg_len,
	      "GENL send: %s", errname(errno));
	while (!done) {
		struct nlmsghdr *h;
		ssize_t len;

		pfd.fd = sk;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, STUCK_SECS * 1000) == 0)
			failf(w, "GENL cmd %u flags %#x: no answer", req.g.cmd,
			      req.n.nlmsg_flags);
		len = recv(sk, ans, sizeof(ans), MSG_DONTWAIT);
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		CHECK(w, len > 0, "GENL recv: %s", errname(errno));
		for (h = (struct nlmsghdr *)ans; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			int err;

			if (h->nlmsg_type != NLMSG_ERROR &&
			    h->nlmsg_type != NLMSG_DONE) {
				CHECK(w, h->nlmsg_type == fam &&
				      h->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN),
				      "GENL: answer of type %u, length %u",
				      h->nlmsg_type, h->nlmsg_len);
				continue;
			}
			err = *(int *)NLMSG_DATA(h);
			CHECK(w, err <= 0 && (!err || (-err < 128 &&
						       (errs & E(-err)))),
			      "GENL cmd %u flags %#x: error %d (%s)", req.g.cmd,
			      req.n.nlmsg_flags, err, errname(-err));
			if (err) {
				atomic_fetch_add(&w->sh->stats[OP_GENL].err[-err], 1);
				done = true;
			} else if (h->nlmsg_type == NLMSG_DONE ||
				   !(req.n.nlmsg_flags & NLM_F_DUMP)) {
				/* The ack of a do, or the end of a dump. */
				atomic_fetch_add(&w->sh->stats[OP_GENL].ok, 1);
				done = h->nlmsg_type == NLMSG_DONE ||
				       !(req.n.nlmsg_flags & NLM_F_DUMP);
			}
		}
		/* A do without NLM_F_ACK answers once, data or error. */
		if (!(req.n.nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP)))
			done = true;
	}
	close(sk);
}

/* ---- operations: files, processes, namespaces --------------------------- */

/* Close the endpoint (leaving, releasing) and open a fresh one. */
static void op_cycle(struct worker *w, struct ep *ep)
{
	bool nonblock = one_in(w, 5);
	int fd;

	if (ep->fd >= 0)
		close(ep->fd);
	fd = fanout_open(nonblock ? O_NONBLOCK : 0);
	CHECK(w, fd >= 0, "open(/dev/fanout): %s", errname(-fd));
	ep_reset(ep, fd, nonblock);
}

/*
 * epoll: watch the endpoint or stop watching it (registrations outlive
 * the call: joins, leaves, destroys and closes happen under them), and
 * collect what is ready.
 */
static void op_epoll(struct worker *w, struct ep *ep)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDNORM | EPOLLOUT,
				  .data.u64 = ep - w->ep };
	struct epoll_event out[NEPS];
	int n, i;

	if (w->epfd < 0)
		return;
	if (one_in(w, 2) &&
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, ep->fd, &ev) && errno == EEXIST)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, ep->fd, NULL);
	n = epoll_wait(w->epfd, out, NEPS, 0);
	CHECK(w, n >= 0 || errno == EINTR, "epoll_wait: %s", errname(errno));
	for (i = 0; i < n; i++)
		CHECK(w, !(out[i].events & ~(EPOLLIN | EPOLLRDNORM | EPOLLERR |
					     EPOLLHUP)),
		      "epoll: events %#x", out[i].events);
}

static void op_poll(struct worker *w, struct ep *ep)
{
	struct pollfd pfd = {
		.fd = ep->fd, .events = POLLIN | POLLRDNORM | POLLOUT | POLLPRI,
	};
	int ret;

	if (one_in(w, 2)) {
		op_epoll(w, ep);
		return;
	}
	ret = poll(&pfd, 1, 0);

	CHECK(w, ret >= 0 || errno == EINTR, "poll: %s", errname(errno));
	if (ret < 0)
		return;
	CHECK(w, !(pfd.revents & ~(POLLIN | POLLRDNORM | POLLERR | POLLHUP)),
	      "poll: revents %#x", pfd.revents);
	if (ep->certain && (!ep->bound || !ep->joined))
		CHECK(w, !pfd.revents,
		      "poll: revents %#x on an endpoint that serves no member",
		      pfd.revents);
}

static void op_nonblock(struct worker *w, struct ep *ep)
{
	int fl = fcntl(ep->fd, F_GETFL);

	CHECK(w, fl >= 0, "F_GETFL: %s", errname(errno));
	fl ^= O_NONBLOCK;
	CHECK(w, !fcntl(ep->fd, F_SETFL, fl), "F_SETFL: %s", errname(errno));
	ep->nonblock = fl & O_NONBLOCK;
}

/*
 * Move to a fresh network namespace, or back: the old one goes away with
 * its groups while this worker's endpoints may still be bound to them.
 */
static void op_netns(struct worker *w, struct ep *ep)
{
	if (!w->priv || w->init_ns < 0)
		return;
	if (w->in_netns) {
		CHECK(w, !setns(w->init_ns, CLONE_NEWNET), "setns: %s",
		      errname(errno));
		w->in_netns = false;
	} else if (!unshare(CLONE_NEWNET)) {
		w->in_netns = true;
		atomic_fetch_add(&w->sh->netns, 1);
	}
}

static void worker_loop(struct worker *w, long max_ops);

/* Reap the twin; a twin that did not exit cleanly fails the worker. */
static void reap_twin(struct worker *w, bool block)
{
	int st;
	pid_t pid;

	if (!w->twin_pid)
		return;
	do
		pid = waitpid(w->twin_pid, &st, block ? 0 : WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (!pid)
		return;
	w->twin_pid = 0;
	if (pid < 0)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		_exit(1);		/* the twin reported */
	CHECK(w, WIFEXITED(st) && !WEXITSTATUS(st),
	      "twin %d ended with status %#x (%s %d)", pid, st,
	      WIFSIGNALED(st) ? "signal" : "exit",
	      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

/*
 * Fork a twin sharing this worker's endpoints for a few operations:
 * concurrent receives, leaves, waits and releases on the same files.
 */
static void op_twin(struct worker *w, struct ep *ep)
{
	pid_t pid, parent = getpid();
	int i;

	if (w->twin_pid)
		return;
	for (i = 0; i < NEPS; i++)
		w->ep[i].certain = false;
	pid = fork();
	if (pid < 0)
		return;
	if (pid) {
		w->twin_pid = pid;
		atomic_fetch_add(&w->sh->twins, 1);
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	w->twin = true;
	w->rng = rng_next(&w->rng) ^ 0x7417;
	w->nops = 0;
	worker_loop(w, TWIN_OPS);
	_exit(0);
}

static void op_nap(struct worker *w, struct ep *ep)
{
	nap_us(below(w, 2000));
}

/* ---- operations: io_uring --------------------------------------------------- */

/*
 * A fresh ring and endpoint for OP_URING: closing the old ring cancels
 * what is pending on it, closing the endpoint leaves it to its commands.
 * The endpoint is bound to a random group of the pool and mostly joined,
 * and is none of w->ep[]: what its commands do asynchronously cannot
 * upset what the worker knows of those.
 */
static void uring_reset(struct worker *w)
{
	if (w->ring_pid == getpid()) {
		io_uring_queue_exit(&w->ring);
		close(w->ring_fd);
	}
	w->ring_pid = 0;
	w->ring_pending = 0;
	if (io_uring_queue_init(URING_SLOTS * 2, &w->ring, 0))
		return;
	w->ring_fd = fanout_open(0);
	CHECK(w, w->ring_fd >= 0, "open(/dev/fanout): %s",
	      errname(-w->ring_fd));
	if (!fanout_group_open(w->ring_fd, w->sh->names[below(w, NNAMES)]) &&
	    !one_in(w, 4))
		fanout_join(w->ring_fd, one_in(w, 2) ? FANOUT_MEMBER_ANY :
				       below(w, 8));
	w->ring_pid = getpid();
}

/* A plausible argument for @cmd in @arg, pointing into @buf, or junk. */
static void uring_build(struct worker *w, unsigned long cmd, char *arg,
			char *buf)
{
	union {
		struct fanout_call call;
		struct fanout_wait wait;
		struct fanout_recv recv;
		struct fanout_reply_recv rr;
		struct fanout_send send;
		struct fanout_id id;
	} *a = (void *)arg;
	__u64 id = atomic_load(&w->sh->recent[below(w, NNAMES)]
					    [below(w, NRECENT)]);

	if (one_in(w, 4)) {
		junk_bytes(w, arg, URING_ARG);
		return;
	}
	memset(arg, 0, URING_ARG);
	if (cmd == FANOUT_IOC_CALL || cmd == FANOUT_IOC_SEND) {
		struct fanout_send *s = cmd == FANOUT_IOC_CALL ?
					&a->call.send : &a->send;

		s->payload = (uintptr_t)buf;
		s->payload_len = below(w, 64);
		/* What any agent of the pool checks it received. */
		payload_fill((__u8 *)buf, s->payload_len, TAG_ANY, (__u8)rnd(w));
		s->deadline_ms = 1 + below(w, 200);
		if (cmd == FANOUT_IOC_CALL) {
			a->call.wait.mode = below(w, 2);
			a->call.results.flags = below(w, 2);
			if (one_in(w, 3)) {
				a->call.wait.flags = FANOUT_WAIT_TIMEOUT;
				a->call.wait.timeout_ns = below(w, 10000000);
			}
		}
	} else if (cmd == FANOUT_IOC_WAIT) {
		a->wait.id = id;
		a->wait.mode = below(w, 2);
		if (one_in(w, 3)) {
			a->wait.flags = FANOUT_WAIT_TIMEOUT;
			a->wait.timeout_ns = below(w, 10000000);
		}
	} else if (cmd == FANOUT_IOC_RECV || cmd == FANOUT_IOC_REPLY_RECV) {
		struct fanout_recv *r = cmd == FANOUT_IOC_RECV ?
					&a->recv : &a->rr.recv;

		r->buf = (uintptr_t)buf + 64;
		r->buf_len = below(w, 192);
		r->flags = one_in(w, 4) ? FANOUT_RECV_NONBLOCK : 0;
		a->rr.reply.id = cmd == FANOUT_IOC_REPLY_RECV ? id : 0;
	} else {
		a->id.id = id;
	}
}

/* See what completed: a CQE's res is 0 or a negative errno, never more. */
static void uring_reap(struct worker *w)
{
	struct io_uring_cqe *cqe;

	while (!io_uring_peek_cqe(&w->ring, &cqe)) {
		int res = fanout_cqe_decode(cqe, NULL);

		io_uring_cqe_seen(&w->ring, cqe);
		w->ring_pending--;
		CHECK(w, res <= 0 && res > -4096, "URING: CQE res %d", res);
		atomic_fetch_add(&w->sh->stats[OP_URING].calls, 1);
		if (!res)
			atomic_fetch_add(&w->sh->stats[OP_URING].ok, 1);
		else if (-res < NERRNO)
			atomic_fetch_add(&w->sh->stats[OP_URING].err[-res], 1);
	}
}

/*
 * A random IORING_OP_URING_CMD: mostly a command the ring runs with a
 * plausible argument, else junk, a mangled cmd_op, a non-zero reserved
 * field or a wild argument pointer; now and then through io-wq. Completions are collected as they
 * come; the ring is replaced now and then with commands pending.
 */
static void op_uring(struct worker *w, struct ep *ep)
{
	static const unsigned long cmds[] = {
		FANOUT_IOC_CALL, FANOUT_IOC_WAIT, FANOUT_IOC_RECV,
		FANOUT_IOC_REPLY_RECV, FANOUT_IOC_SEND, FANOUT_IOC_REPLY,
		FANOUT_IOC_RESULTS, FANOUT_IOC_CANCEL, FANOUT_IOC_RELEASE,
		FANOUT_IOC_VERSION, FANOUT_IOC_JOIN,
	};
	struct fanout_uring_cmd ucmd;
	struct io_uring_sqe *sqe;
	unsigned long cmd;
	unsigned int slot;

	if (w->twin)
		return;
	if (w->ring_pid != getpid() || w->ring_pending >= URING_SLOTS ||
	    one_in(w, 50))
		uring_reset(w);
	if (w->ring_pid != getpid())
		return;
	slot = w->ring_next++ % URING_SLOTS;
	cmd = cmds[below(w, ARRAY_SIZE(cmds))];
	if (one_in(w, 10))
		cmd = mangle_cmd(w, cmd);
	uring_build(w, cmd, w->uarg[slot], w->ubuf[slot]);
	sqe = io_uring_get_sqe(&w->ring);
	if (!sqe)
		return;
	fanout_prep_cmd(sqe, w->ring_fd, cmd, w->uarg[slot]);
	if (one_in(w, 10)) {
		memcpy(&ucmd, sqe->cmd, sizeof(ucmd));
		if (one_in(w, 2))
			ucmd.reserved = junk(w) | 1;
		else
			ucmd.arg = wild[below(w, ARRAY_SIZE(wild))];
		memcpy(sqe->cmd, &ucmd, sizeof(ucmd));
	}
	/* Issued from an io-wq worker rather than inline. */
	if (one_in(w, 8))
		sqe->flags |= IOSQE_ASYNC;
	if (io_uring_submit(&w->ring) == 1)
		w->ring_pending++;
	atomic_fetch_add(&w->sh->calls, 1);
	uring_reap(w);
}

/* ---- operations: hubs ---------------------------------------------------- */

/* A serve's arrays on the ring fit one command's argument area. */
_Static_assert(64 + HUB_NREP * sizeof(struct fanout_hub_reply) +
	       HUB_NMSG * sizeof(struct fanout_hub_msg) <= URING_ARG,
	       "a hub serve does not fit URING_ARG");

/*
 * A fresh hub for OP_HUB, none of w->ep[]: what it attaches and receives
 * cannot upset what the worker knows of those. Closing the old hub
 * releases what it attached (a serve pending on the ring holds it until
 * the ring goes).
 */
static void hub_reset(struct worker *w)
{
	bool nonblock = one_in(w, 4);
	int fd, i;

	if (w->hub_pid == getpid()) {
		close(w->hub.fd);
		for (i = 0; i < w->hub_nkept; i++)
			close(w->hub_kept[i]);
	}
	fd = fanout_open(nonblock ? O_NONBLOCK : 0);
	CHECK(w, fd >= 0, "open(/dev/fanout): %s", errname(-fd));
	ep_reset(&w->hub, fd, nonblock);
	w->hub_pid = getpid();
	w->hub_slots = 0;
	w->hub_nkept = 0;
	w->hub_ntaken = 0;
}

/* A fresh endpoint on a group of the pool, mostly joined: its fd. */
static int hub_agent(struct worker *w)
{
	int fd = fanout_open(0);

	CHECK(w, fd >= 0, "open(/dev/fanout): %s", errname(-fd));
	if (!fanout_group_open(fd, w->sh->names[below(w, NNAMES)]) &&
	    !one_in(w, 6))
		fanout_join(fd, one_in(w, 2) ? FANOUT_MEMBER_ANY : below(w, 8));
	return fd;
}

/*
 * FANOUT_IOC_HUB_ADD of a fresh agent, or of what must be refused: the
 * hub itself, a pipe, an fd not open, an agent attached already. Slots
 * are numbered 0, 1, ... in the order they were attached.
 */
static void hub_add(struct worker *w)
{
	struct fanout_hub_add *a = (void *)w->arg;
	struct call c = { .op = OP_HUB, .cmd = FANOUT_IOC_HUB_ADD };
	int fd, p[2] = { -1, -1 };
	bool fresh = false;

	switch (below(w, 12)) {
	case 0:
		fd = w->hub.fd;
		c.must_fail = true;
		c.extra = E(EINVAL);
		break;
	case 1:
		if (pipe(p))
			return;
		fd = p[below(w, 2)];
		c.must_fail = true;
		c.extra = E(EINVAL);
		break;
	case 2:
		fd = one_in(w, 2) ? -1 : 100000 + (int)below(w, 1000);
		c.must_fail = true;
		c.extra = E(EBADF);
		break;
	case 3:
		if (!w->hub_nkept)
			return;
		fd = w->hub_kept[below(w, w->hub_nkept)];
		c.must_fail = true;
		/* Attached already; it may have left its member too. */
		c.extra = E(EBUSY) | E(ENOTCONN);
		break;
	case 4:
		/* OP_URING's endpoint: attached already, or joined or not. */
		if (w->ring_pid != getpid())
			return;
		fd = w->ring_fd;
		c.extra = E(EBUSY) | E(ENOTCONN) | E(EIDRM) | E(ENOSPC);
		break;
	default:
		fd = hub_agent(w);
		fresh = true;
		/* Not joined, or its group destroyed since. */
		c.extra = E(ENOTCONN) | E(EIDRM) | E(ENOSPC);
		break;
	}
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->flags = flags_with(w, &c, 0, 0);
	a->slot = junk(w);	/* output */
	a->reserved0 = reserved32(w, &c);
	a->reserved = reserved64(w, &c);
	if (c.must_fail)
		c.extra |= E(EINVAL);
	snprintf(c.note, sizeof(c.note), "HUB_ADD hub %d fd %d, %u slots",
		 w->hub.fd, fd, w->hub_slots);
	do_call(w, &w->hub, &c);
	if (c.known && !c.ret) {
		CHECK(w, a->slot == w->hub_slots,
		      "HUB_ADD: slot %u, with %u slots attached before",
		      a->slot, w->hub_slots);
		w->hub_slots++;
	} else if (!c.ret) {
		/* Attached, slot unread: the count is lost, start over. */
		hub_reset(w);
	}
	if (fresh) {
		if (!c.ret && w->hub_nkept < HUB_KEPT && one_in(w, 3))
			w->hub_kept[w->hub_nkept++] = fd;
		else
			close(fd);	/* the hub holds it if attached */
	}
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
}

/* An attached agent whose fd was kept leaves its member, or is closed. */
static void hub_leave(struct worker *w)
{
	int i, ret;

	if (!w->hub_nkept)
		return;
	i = below(w, w->hub_nkept);
	if (one_in(w, 3)) {
		close(w->hub_kept[i]);
	} else {
		ret = fanout_leave(w->hub_kept[i]);
		snprintf(w->log[w->logpos++ % LOGLINES], sizeof(w->log[0]),
			 "HUB        leave fd %d -> %s(%d)", w->hub_kept[i],
			 errname(-ret), ret);
		CHECK(w, !ret || ret == -ENOTCONN || ret == -EIDRM,
		      "LEAVE of an attached agent: %s", errname(-ret));
		if (ret)
			return;
	}
	w->hub_kept[i] = w->hub_kept[--w->hub_nkept];
}

/* Remember a request a slot received, for a reply of a later serve. */
static void hub_took(struct worker *w, const struct fanout_hub_msg *m)
{
	if (w->hub_ntaken == MAX_TAKEN)
		w->hub_taken[below(w, MAX_TAKEN)] =
			w->hub_taken[--w->hub_ntaken];
	w->hub_taken[w->hub_ntaken++] = (struct hub_taken){
		m->id, m->slot, m->member
	};
}

/*
 * Check what a serve that returned 0 wrote: replies' results, messages,
 * payloads, read where the kernel wrote them (a pointer that runs into a
 * guard page serves as long as what is written fits).
 */
static void hub_check(struct worker *w, const struct fanout_hub_serve *s,
		      unsigned int nrep, unsigned int nmsg)
{
	const struct fanout_hub_reply *rep = (const void *)(uintptr_t)s->replies;
	const struct fanout_hub_msg *msg = (const void *)(uintptr_t)s->msgs;
	const char *buf = (const char *)(uintptr_t)s->buf;
	__u32 buf_len = s->buf_len;
	static const int results[] = {
		0, -EALREADY, -ENOENT, -ENOTCONN, -ENOBUFS, -EINVAL,
		-EMSGSIZE, -EFAULT, -EBADSLT,
	};
	unsigned int i, j, k;

	CHECK(w, s->replied == nrep, "HUB_SERVE: replied %u of %u",
	      s->replied, nrep);
	for (i = 0; i < nrep; i++) {
		for (k = 0; k < ARRAY_SIZE(results); k++)
			if (rep[i].result == results[k])
				break;
		CHECK(w, k < ARRAY_SIZE(results),
		      "HUB_SERVE: reply %u (id %llu slot %u) result %d", i,
		      (unsigned long long)rep[i].id, rep[i].slot,
		      rep[i].result);
		CHECK(w, rep[i].slot < w->hub_slots ||
		      rep[i].result == -EBADSLT,
		      "HUB_SERVE: reply %u to slot %u of %u: result %s", i,
		      rep[i].slot, w->hub_slots, errname(-rep[i].result));
	}
	CHECK(w, s->nmsgs <= nmsg && (!nmsg || s->nmsgs),
	      "HUB_SERVE: %u messages for %u entries", s->nmsgs, nmsg);
	for (i = 0; i < s->nmsgs; i++) {
		const struct fanout_hub_msg *m = &msg[i];
		__u32 bad;

		CHECK(w, m->slot < w->hub_slots,
		      "HUB_SERVE: message %u from slot %u of %u", i, m->slot,
		      w->hub_slots);
		if (m->error) {
			CHECK(w, (m->error == -ENOTCONN || m->error == -EIDRM) &&
			      !m->id, "HUB_SERVE: message %u error %d id %llu",
			      i, m->error, (unsigned long long)m->id);
			atomic_fetch_add(&w->sh->hub_errors, 1);
			continue;
		}
		CHECK(w, m->id && m->offset % 8 == 0 &&
		      (__u64)m->offset + m->len <= buf_len &&
		      m->len <= w->max_payload &&
		      !(m->flags & ~FANOUT_RECV_REDELIVERED),
		      "HUB_SERVE: message %u id %llu offset %u len %u (buf_len %u) flags %#x",
		      i, (unsigned long long)m->id, m->offset, m->len, buf_len,
		      m->flags);
		/* One copy of a request's shared payload may serve many. */
		for (j = 0; j < i; j++)
			CHECK(w, msg[j].error || !m->len || !msg[j].len ||
			      m->offset >= msg[j].offset + msg[j].len ||
			      msg[j].offset >= m->offset + m->len ||
			      (msg[j].id == m->id &&
			       !memcmp(msg[j].uuid, m->uuid, FANOUT_UUID_LEN) &&
			       msg[j].offset == m->offset &&
			       msg[j].len == m->len),
			      "HUB_SERVE: payloads %u and %u overlap", j, i);
		bad = payload_check((const __u8 *)buf + m->offset, m->len,
				    m->member);
		CHECK(w, !bad,
		      "HUB_SERVE: payload of request %llu (len %u) for member %u is wrong at byte %u",
		      (unsigned long long)m->id, m->len, m->member, bad - 1);
		hub_took(w, m);
		atomic_fetch_add(&w->sh->hub_msgs, 1);
	}
}

/*
 * FANOUT_IOC_HUB_SERVE, by ioctl or on the ring: replies to requests the
 * hub received (or to ids and slots it does not have), then receive;
 * non-blocking mostly, else bounded by the timer (ioctl) or pending until
 * a request or the ring's end (ring).
 */
static void hub_serve(struct worker *w, bool on_ring)
{
	struct call c = { .op = OP_HUB, .cmd = FANOUT_IOC_HUB_SERVE };
	unsigned int nrep = below(w, HUB_NREP + 1);
	unsigned int nmsg = below(w, HUB_NMSG + 1);
	char *out = w->reg[R_REP].base, *buf;
	bool nonblock = w->hub.nonblock || !one_in(w, 4);
	struct fanout_hub_serve *s;
	struct fanout_hub_reply *rep;
	struct fanout_hub_msg *msg;
	unsigned int i, slot = 0;
	__u32 buf_len;

	if (on_ring) {
		if (w->ring_pid != getpid() || w->ring_pending >= URING_SLOTS)
			uring_reset(w);
		if (w->ring_pid != getpid())
			return;
		slot = w->ring_next++ % URING_SLOTS;
		s = (void *)w->uarg[slot];
		rep = (void *)(w->uarg[slot] + 64);
		msg = (void *)(rep + HUB_NREP);
		buf = w->ubuf[slot];
		buf_len = below(w, sizeof(w->ubuf[0]) + 1);
	} else {
		s = (void *)w->arg;
		rep = (void *)w->reg[R_BUFS].base;
		msg = (void *)w->reg[R_RES].base;
		buf = w->reg[R_RBUF].base;
		buf_len = below(w, one_in(w, 4) ? RSLICES * RSLICE + 1 : 512);
	}
	for (i = 0; i < nrep; i++) {
		struct fanout_hub_reply *r = &rep[i];
		__u32 len = below(w, 64), member = 0, magic = REPLY_NOCHECK;

		memset(r, 0, sizeof(*r));
		if (w->hub_ntaken && !one_in(w, 4)) {
			int k = below(w, w->hub_ntaken);

			r->id = w->hub_taken[k].id;
			r->slot = w->hub_taken[k].slot;
			member = w->hub_taken[k].member;
			magic = REPLY_VERIFY;
			w->hub_taken[k] = w->hub_taken[--w->hub_ntaken];
		} else {
			r->id = atomic_load(&w->sh->recent[below(w, NNAMES)]
							  [below(w, NRECENT)]);
			r->slot = one_in(w, 8) ? (__u32)rnd(w) :
				  below(w, w->hub_slots + 2);
		}
		if (one_in(w, 8))
			r->status = -(int)(1 + below(w, 130));
		else if (one_in(w, 8))
			r->status = below(w, 1000);
		reply_fill((__u8 *)out + i * 64, len, r->id, member, magic);
		r->buf = uptr(w, &c, R_REP, out + i * 64, len, false);
		r->len = len;
		if (inject(w, 16)) {
			/* Too long: this entry's result, not the call's. */
			r->buf = (uintptr_t)out;
			r->len = w->max_payload + 1;
		}
		r->result = junk(w);	/* output */
	}
	memset(s, 0, sizeof(*s));
	s->replies = uptr(w, &c, R_BUFS, rep, nrep * sizeof(*rep), true);
	s->nreplies = nrep;
	if (inject(w, 20)) {
		s->nreplies = FANOUT_HUB_SLOTS_MAX + 1 + below(w, 1000);
		c.must_fail = true;
	}
	s->flags = flags_with(w, &c, nonblock && !w->hub.nonblock ?
			      FANOUT_HUB_NONBLOCK : 0, FANOUT_HUB_FLAGS);
	s->msgs = uptr(w, &c, R_RES, msg, nmsg * sizeof(*msg), true);
	s->nmsgs = nmsg;
	if (inject(w, 20)) {
		s->nmsgs = one_in(w, 2) ? ~0U : FANOUT_HUB_SLOTS_MAX + 1;
		c.must_fail = true;
	}
	s->buf_len = buf_len;
	s->buf = uptr(w, &c, R_RBUF, buf, buf_len, true);
	s->replied = junk(w);	/* output */
	s->reserved0 = reserved32(w, &c);
	s->reserved[0] = reserved64(w, &c);
	s->reserved[1] = reserved64(w, &c);
	snprintf(c.note, sizeof(c.note),
		 "HUB_SERVE%s nreplies %u nmsgs %u buf_len %u flags %#x, %u slots",
		 on_ring ? " on ring" : "", s->nreplies, s->nmsgs, buf_len,
		 s->flags, w->hub_slots);

	if (on_ring) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

		if (!sqe)
			return;
		fanout_prep_cmd(sqe, w->hub.fd, FANOUT_IOC_HUB_SERVE, s);
		if (one_in(w, 8))
			sqe->flags |= IOSQE_ASYNC;
		snprintf(w->log[w->logpos++ % LOGLINES], sizeof(w->log[0]),
			 "HUB        %s", c.note);
		if (io_uring_submit(&w->ring) == 1)
			w->ring_pending++;
		atomic_fetch_add(&w->sh->calls, 1);
		atomic_fetch_add(&w->sh->stats[OP_HUB].calls, 1);
		uring_reap(w);
		return;
	}
	if (c.must_fail)
		c.extra |= E(EINVAL);
	if (!w->hub_slots) {
		c.must_fail = true;
		c.extra |= E(ENOTCONN);
	}
	if (nonblock)
		c.extra |= E(EAGAIN);
	else
		c.sleeps = true;
	if (nmsg)
		c.extra |= E(EMSGSIZE);
	do_call(w, &w->hub, &c);
	if (c.known && !c.ret)
		hub_check(w, s, nrep, nmsg);
}

/*
 * A hub of the worker's own: attach endpoints to it, make attached
 * agents leave, and serve.
 */
static void op_hub(struct worker *w, struct ep *ep)
{
	unsigned int r = below(w, 10);

	if (w->twin)
		return;
	if (w->hub_pid != getpid() || one_in(w, 60))
		hub_reset(w);
	if (!w->hub_slots && !one_in(w, 4))
		r = 0;
	if (r < 3)
		hub_add(w);
	else if (r < 4)
		hub_leave(w);
	else
		hub_serve(w, r >= 8);
}

/* ---- the table of operations --------------------------------------------- */

#define EMSGS	E(EMSGSIZE)
static const struct op ops[NOPS] = {
	[OP_VERSION]	= { "VERSION", FANOUT_IOC_VERSION, op_version, 8, false, 0 },
	[OP_CREATE]	= { "CREATE", FANOUT_IOC_GROUP_CREATE, op_create, 20, false,
			    E(EINVAL) | E(ENOMEM) | E(EEXIST) | E(ENOSPC) },
	[OP_OPEN]	= { "OPEN", FANOUT_IOC_GROUP_OPEN, op_open, 25, false,
			    E(EINVAL) | E(ENOENT) },
	[OP_DESTROY]	= { "DESTROY", FANOUT_IOC_GROUP_DESTROY, op_destroy, 6, false,
			    E(EINVAL) | E(ENOENT) },
	[OP_INFO]	= { "INFO", FANOUT_IOC_GROUP_INFO, op_info, 12, true, 0 },
	[OP_STATS]	= { "STATS", FANOUT_IOC_GROUP_STATS, op_stats, 12, true, 0 },
	[OP_JOIN]	= { "JOIN", FANOUT_IOC_JOIN, op_join, 30, true,
			    E(EINVAL) | E(EIDRM) },
	[OP_LEAVE]	= { "LEAVE", FANOUT_IOC_LEAVE, op_leave, 20, true, 0 },
	[OP_RECV]	= { "RECV", FANOUT_IOC_RECV, op_recv, 120, true,
			    E(EINVAL) | E(EIDRM) | EMSGS },
	[OP_REPLY]	= { "REPLY", FANOUT_IOC_REPLY, op_reply, 80, true,
			    E(EINVAL) | EMSGS | E(ENOMEM) | E(EALREADY) |
			    E(ENOENT) | E(ENOBUFS) },
	[OP_REPLY_RECV]	= { "REPLY_RECV", FANOUT_IOC_REPLY_RECV, op_reply_recv, 80, true,
			    E(EINVAL) | EMSGS | E(ENOMEM) | E(EALREADY) |
			    E(ENOENT) | E(ENOBUFS) | E(EIDRM) },
	[OP_SEND]	= { "SEND", FANOUT_IOC_SEND, op_send, 130, true,
			    E(EINVAL) | EMSGS | E(ENOMEM) | E(EIDRM) | E(EAGAIN) },
	[OP_WAIT]	= { "WAIT", FANOUT_IOC_WAIT, op_wait, 60, true,
			    E(EINVAL) | E(ENOENT) },
	[OP_CALL]	= { "CALL", FANOUT_IOC_CALL, op_call, 55, true,
			    E(EINVAL) | EMSGS | E(ENOMEM) | E(EIDRM) | E(EAGAIN) |
			    E(ENOENT) },
	[OP_RESULTS]	= { "RESULTS", FANOUT_IOC_RESULTS, op_results, 65, true,
			    E(EINVAL) | E(ENOENT) },
	[OP_CANCEL]	= { "CANCEL", FANOUT_IOC_CANCEL, op_cancel, 20, true,
			    E(EINVAL) | E(ENOENT) },
	[OP_RELEASE]	= { "RELEASE", FANOUT_IOC_RELEASE, op_release, 45, true,
			    E(EINVAL) | E(ENOENT) },
	[OP_BADCMD]	= { "BADCMD", 0, op_badcmd, 12, false, 0 },
	[OP_CYCLE]	= { "CYCLE", 0, op_cycle, 15, false, 0 },
	[OP_POLL]	= { "POLL", 0, op_poll, 12, false, 0 },
	[OP_NONBLOCK]	= { "NONBLOCK", 0, op_nonblock, 6, false, 0 },
	[OP_NETNS]	= { "NETNS", 0, op_netns, 1, false, 0 },
	[OP_TWIN]	= { "TWIN", 0, op_twin, 2, false, 0 },
	[OP_NAP]	= { "NAP", 0, op_nap, 6, false, 0 },
	[OP_URING]	= { "URING", 0, op_uring, 40, false, 0 },
	[OP_HUB]	= { "HUB", 0, op_hub, 40, false, E(ENOMEM) },
	[OP_STATE_SET]	= { "STATE_SET", FANOUT_IOC_STATE_SET, op_state_set, 15, true,
			    E(EINVAL) | EMSGS | E(ENOMEM) | E(EIDRM) },
	[OP_STATE_GET]	= { "STATE_GET", FANOUT_IOC_STATE_GET, op_state_get, 10, true,
			    E(EINVAL) | EMSGS | E(ENOMEM) },
	[OP_CONFIRM]	= { "CONFIRM", FANOUT_IOC_CONFIRM, op_confirm, 25, true,
			    E(EINVAL) | E(ENOTCONN) | E(ESTALE) | E(EALREADY) |
			    E(EIDRM) },
	[OP_STATE_WAIT]	= { "STATE_WAIT", FANOUT_IOC_STATE_WAIT, op_state_wait, 15, true,
			    E(EINVAL) | E(ETIME) | E(ESTALE) | E(EIDRM) |
			    E(ENOMEM) },
	[OP_GENL]	= { "GENL", 0, op_genl, 10, false, 0 },
};

static enum op_id pick_op(struct worker *w)
{
	static unsigned int total;
	unsigned int r;
	int i;

	if (!total)
		for (i = 0; i < NOPS; i++)
			total += ops[i].weight;
	r = below(w, total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return i;
}

/* ---- workers -------------------------------------------------------------- */

static void worker_loop(struct worker *w, long max_ops)
{
	struct shared *sh = w->sh;

	while (atomic_load(&sh->calls) < sh->budget &&
	       !atomic_load(&sh->failed) && (max_ops < 0 || w->nops < max_ops)) {
		/* Mostly go on with the same endpoint: state builds up. */
		struct ep *ep = w->cur && !one_in(w, 3) ? w->cur :
				&w->ep[below(w, NEPS)];
		enum op_id op = pick_op(w);

		w->nops++;
		w->cur = ep;
		w->strict = !one_in(w, 3);
		if (!w->twin) {
			atomic_fetch_add(&sh->slot[w->slot].beat, 1);
			atomic_store(&sh->slot[w->slot].op, op);
		}
		if (ep->fd < 0 || ep->lost > 8 || (ep->dead && one_in(w, 4))) {
			op_cycle(w, ep);
			continue;
		}
		/* A twin must not change what the other process relies on. */
		if (w->twin && (op == OP_TWIN || op == OP_NETNS || op == OP_NONBLOCK))
			continue;
		/* Mostly bind before group work, join before agent work. */
		if (ops[op].bound && ep->certain && !ep->bound && !one_in(w, 5))
			op = one_in(w, 3) ? OP_CREATE : OP_OPEN;
		else if ((op == OP_RECV || op == OP_REPLY || op == OP_REPLY_RECV) &&
			 ep->certain && ep->bound && !ep->joined && !one_in(w, 4))
			op = OP_JOIN;
		else if (op == OP_REPLY && !ep->ntaken && !one_in(w, 3))
			op = OP_RECV;
		ops[op].run(w, ep);
		reap_twin(w, false);
	}
}

static void on_signal(int sig)
{
}

static void __attribute__((noreturn))
worker_main(struct shared *sh, int slot, unsigned int gen)
{
	static struct worker wk;
	struct worker *w = &wk;
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct fanout_version v;
	sigset_t set;
	int fd, i;

	w->sh = sh;
	w->slot = slot;
	w->gen = gen;
	w->init_ns = -1;
	w->page = sysconf(_SC_PAGESIZE);
	w->rng = sh->seed ^ ((__u64)(slot + 1) << 32) ^ ((__u64)gen << 48);
	for (i = 0; i < 4; i++)
		rnd(w);
	for (i = 0; i < NEPS; i++)
		w->ep[i].fd = -1;
	w->ring_fd = -1;
	w->hub.fd = -1;

	/* Some workers run as an ordinary user: permissions come into play. */
	if (!geteuid() && slot && one_in(w, 5)) {
		uid_t uid = 1000 + below(w, 2);

		if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
		    setresuid(uid, uid, uid))
			failf(w, "dropping privileges: %s", errname(errno));
		atomic_fetch_add(&sh->unpriv, 1);
	}
	w->priv = !geteuid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != sh->supervisor)
		_exit(0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	/* Blocked by the supervisor until the handler is in place. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (w->priv)
		w->init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);

	fd = fanout_open(0);
	if (fd < 0 || fanout_version(fd, &v))
		failf(w, "open or VERSION: %s", errname(-fd));
	close(fd);
	w->max_payload = v.max_payload;
	if (map_arenas(w))
		failf(w, "mapping the arenas: %s", errname(errno));

	worker_loop(w, -1);
	reap_twin(w, true);
	_exit(0);
}

/* ---- the supervisor --------------------------------------------------------- */

struct supervisor {
	struct shared *sh;
	__u64 rng;
	pid_t pid[NWORKERS];
	unsigned int gen[NWORKERS];
	bool kill_sent[NWORKERS];
	long beat[NWORKERS];
	double since[NWORKERS];
	long struck;	/* sh->calls at the last strike */
	int live;
};

static void __attribute__((format(printf, 2, 3)))
set_failed(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (atomic_exchange(&sh->reporting, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->failmsg, FAILMSG, fmt, ap);
	va_end(ap);
	atomic_store(&sh->failed, 1);
}

static void spawn(struct supervisor *s, int i)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (!pid)
		worker_main(s->sh, i, s->gen[i]);
	if (pid < 0) {
		set_failed(s->sh, "fork: %s", errname(errno));
		return;
	}
	s->pid[i] = pid;
	s->kill_sent[i] = false;
	s->beat[i] = atomic_load(&s->sh->slot[i].beat);
	s->since[i] = now_s();
	s->live++;
}


/* Read a small /proc file of @pid into @buf, for a hang report. */
static void read_proc(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

static void reap(struct supervisor *s)
{
	struct shared *sh = s->sh;
	int st, i;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < NWORKERS && s->pid[i] != pid; i++)
			;
		if (i == NWORKERS)
			continue;
		s->pid[i] = 0;
		s->live--;
		if (WIFEXITED(st) && !WEXITSTATUS(st))
			continue;	/* budget spent */
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && s->kill_sent[i]) {
			if (atomic_load(&sh->calls) < sh->budget &&
			    !atomic_load(&sh->failed)) {
				s->gen[i]++;
				atomic_fetch_add(&sh->respawns, 1);
				spawn(s, i);
			}
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			set_failed(sh, "worker %d failed without a report", i);
		else
			set_failed(sh, "worker %d (pid %d, gen %u) ended with status %#x: %s %d%s",
				   i, pid, s->gen[i], st,
				   WIFSIGNALED(st) ? "signal" : "exit code",
				   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
				   WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ?
				   " not sent by the supervisor" : "");
	}
}

/* A worker whose operation count stood still for STUCK_SECS hangs. */
static void watchdog(struct supervisor *s)
{
	char wchan[64], stack[2048];
	double now = now_s();
	int i;

	for (i = 0; i < NWORKERS; i++) {
		long beat = atomic_load(&s->sh->slot[i].beat);

		if (!s->pid[i] || beat != s->beat[i]) {
			s->beat[i] = beat;
			s->since[i] = now;
			continue;
		}
		if (now - s->since[i] < STUCK_SECS)
			continue;
		read_proc(s->pid[i], "wchan", wchan, sizeof(wchan));
		read_proc(s->pid[i], "stack", stack, sizeof(stack));
		set_failed(s->sh, "worker %d (pid %d) %s for %d s in %s (wchan %s), kernel stack:\n%s",
			   i, s->pid[i],
			   s->kill_sent[i] ? "not dying of SIGKILL" : "stuck",
			   STUCK_SECS, ops[atomic_load(&s->sh->slot[i].op)].name,
			   wchan, stack);
		if (s->kill_sent[i]) {
			/* Give up on it: it can be neither used nor reaped. */
			s->pid[i] = 0;
			s->live--;
		}
	}
}

static void supervise(struct shared *sh)
{
	struct supervisor s = { .sh = sh, .rng = sh->seed ^ 0x5eed };
	double start = now_s(), shown = start;
	sigset_t set, old;
	int i;

	/* Workers inherit the mask: no SIGUSR1 before their handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < NWORKERS; i++)
		spawn(&s, i);
	while (s.live) {
		reap(&s);
		watchdog(&s);
		if (now_s() - shown >= 30) {
			long calls = atomic_load(&sh->calls);

			shown = now_s();
			printf("# progress: %ld of %ld calls, %.0f/s\n", calls,
			       sh->budget, calls / (shown - start));
			fflush(stdout);
		}
		if (atomic_load(&sh->failed)) {
			for (i = 0; i < NWORKERS; i++)
				if (s.pid[i] && !s.kill_sent[i]) {
					kill(s.pid[i], SIGKILL);
					s.kill_sent[i] = true;
				}
		}
		nap_us(1000 + rng_below(&s.rng, 7000));
		if (atomic_load(&sh->failed) || atomic_load(&sh->calls) >= sh->budget)
			continue;
		/*
		 * Strikes are paced by calls, not time: on a slow (debug,
		 * emulated) kernel a worker still lives for hundreds of calls
		 * and builds up state before it is killed.
		 */
		if (atomic_load(&sh->calls) - s.struck < STRIKE_CALLS)
			continue;
		s.struck = atomic_load(&sh->calls);
		i = rng_below(&s.rng, NWORKERS);
		if (!s.pid[i] || s.kill_sent[i])
			continue;
		switch (rng_below(&s.rng, 100)) {
		case 0 ... 2:
			kill(s.pid[i], SIGKILL);
			s.kill_sent[i] = true;
			atomic_fetch_add(&sh->kills, 1);
			break;
		case 3 ... 17:
			kill(s.pid[i], SIGUSR1);
			atomic_fetch_add(&sh->signals, 1);
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- the test ------------------------------------------------------------ */

static void print_stats(struct shared *sh, double secs)
{
	long total = atomic_load(&sh->calls);
	char line[1024];
	size_t n;
	int i, e;

	printf("# %ld ioctl calls in %.1f s (%.0f/s); %ld kills, %ld signals, %ld respawns, %ld twins, %ld netns, %ld unprivileged workers\n",
	       total, secs, secs > 0 ? total / secs : 0.0,
	       atomic_load(&sh->kills), atomic_load(&sh->signals),
	       atomic_load(&sh->respawns), atomic_load(&sh->twins),
	       atomic_load(&sh->netns), atomic_load(&sh->unpriv));
	printf("# hub serves by ioctl received %ld requests and %ld slot errors\n",
	       atomic_load(&sh->hub_msgs), atomic_load(&sh->hub_errors));
	for (i = 0; i < NOPS; i++) {
		long calls = atomic_load(&sh->stats[i].calls);

		if (!calls)
			continue;
		n = snprintf(line, sizeof(line), "# %-10s %7ld calls %7ld ok",
			     ops[i].name, calls, atomic_load(&sh->stats[i].ok));
		for (e = 1; e < NERRNO && n < sizeof(line); e++) {
			long k = atomic_load(&sh->stats[i].err[e]);

			if (k)
				n += snprintf(line + n, sizeof(line) - n,
					      " %s %ld", errname(e), k);
		}
		printf("%s\n", line);
	}
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoll(s, NULL, 0) : def;
}

FIXTURE(fuzz) {
	struct shared *sh;
};

FIXTURE_SETUP(fuzz)
{
	struct shared *sh;
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	self->sh = sh;
	sh->seed = env_long("FUZZ_SEED", DEFAULT_SEED);
	sh->budget = env_long("FUZZ_ITER", DEFAULT_ITER);
	sh->supervisor = getpid();
	for (i = 0; i < NNAMES - 1; i++)
		snprintf(sh->names[i], FANOUT_NAME_MAX, "fz%d-%c", getpid(),
			 'a' + i);
	/* The longest name there is: 31 bytes. */
	snprintf(sh->names[i], FANOUT_NAME_MAX, "fz%d-long-", getpid());
	memset(sh->names[i] + strlen(sh->names[i]), 'z',
	       FANOUT_NAME_MAX - 1 - strlen(sh->names[i]));
}

FIXTURE_TEARDOWN(fuzz)
{
	munmap(self->sh, sizeof(*self->sh));
}

TEST_F_TIMEOUT(fuzz, random_ops, 7200)
{
	struct shared *sh = self->sh;
	struct fanout_live base, now;
	bool have_live = !fanout_live_read(&base);
	double start = now_s();
	int fd, i, ret;

	printf("# fuzz: FUZZ_SEED=%llu FUZZ_ITER=%ld, %d workers, %d group names\n",
	       (unsigned long long)sh->seed, sh->budget, NWORKERS, NNAMES);
	fd = fanout_open(0);
	ASSERT_LE(0, fd);

	supervise(sh);

	print_stats(sh, now_s() - start);
	if (atomic_load(&sh->failed)) {
		char *line = strtok(sh->failmsg, "\n");

		for (; line; line = strtok(NULL, "\n"))
			printf("# FAIL: %s\n", line);
	}
	ASSERT_EQ(0, atomic_load(&sh->failed));

	/*
	 * With every endpoint closed, a group left behind has no request
	 * pending and no member up (a twin orphaned by a kill may still be
	 * exiting: give it a moment).
	 */
	for (i = 0; i < NNAMES; i++) {
		struct fanout_group_stats st = { 0 };
		int g = fanout_open(0), tries;

		ASSERT_LE(0, g);
		ret = fanout_group_open(g, sh->names[i]);
		EXPECT_TRUE(!ret || ret == -ENOENT)
			TH_LOG("opening %s: %d", sh->names[i], ret);
		for (tries = 0; !ret && tries < 50; tries++) {
			ASSERT_EQ(0, fanout_group_stats(g, &st));
			if (!st.pending && !st.members_up)
				break;
			nap_us(100000);
		}
		EXPECT_EQ(0, st.pending) TH_LOG("%s: requests left pending", sh->names[i]);
		EXPECT_EQ(0, st.members_up) TH_LOG("%s: members left up", sh->names[i]);
		fanout_close(g);
	}

	/* Every group left behind can be destroyed, then is gone. */
	for (i = 0; i < NNAMES; i++) {
		ret = fanout_group_destroy(fd, sh->names[i]);
		EXPECT_TRUE(!ret || ret == -ENOENT)
			TH_LOG("destroying %s: %d", sh->names[i], ret);
		EXPECT_EQ(-ENOENT, fanout_group_destroy(fd, sh->names[i]));
		EXPECT_EQ(-ENOENT, fanout_group_open(fd, sh->names[i]));
	}
	fanout_close(fd);

	/*
	 * Nothing the workers made outlives them: what the module holds is
	 * back to what it held before (dead namespaces are torn down
	 * asynchronously: give them a moment).
	 */
	for (i = 0; have_live && i < 100; i++) {
		ASSERT_EQ(0, fanout_live_read(&now));
		if (now.users == base.users && now.groups == base.groups &&
		    now.requests == base.requests && now.bytes == base.bytes)
			break;
		nap_us(100000);
	}
	if (have_live) {
		printf("# fanout/live: users %ld groups %ld requests %ld bytes %ld, before %ld %ld %ld %ld\n",
		       now.users, now.groups, now.requests, now.bytes,
		       base.users, base.groups, base.requests, base.bytes);
		EXPECT_EQ(base.users, now.users);
		EXPECT_EQ(base.groups, now.groups);
		EXPECT_EQ(base.requests, now.requests);
		EXPECT_EQ(base.bytes, now.bytes);
	}

	/* The fuzzer reached the interesting paths. */
	if (sh->budget >= 10000) {
		static const enum op_id must[] = {
			OP_CREATE, OP_OPEN, OP_JOIN, OP_RECV, OP_REPLY,
			OP_REPLY_RECV, OP_SEND, OP_WAIT, OP_CALL, OP_RESULTS,
			OP_RELEASE, OP_HUB,
		};

		for (i = 0; i < (int)ARRAY_SIZE(must); i++)
			EXPECT_LT(0, atomic_load(&sh->stats[must[i]].ok))
				TH_LOG("%s never succeeded", ops[must[i]].name);
	}
}

TEST_HARNESS_MAIN
