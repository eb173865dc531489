// SPDX-License-Identifier: GPL-2.0
/*
 * Soak: a random workload on one group for SOAK_SECONDS (environment,
 * default 10), with the fan-out invariants checked all the time. See
 * "Soak" in Documentation/fanout.rst.
 *
 * Workload. SLOTS forked agent processes serve the MEMBERS members of one
 * group: a slot joins its own member, FANOUT_MEMBER_ANY or a random one,
 * so some members have two agents. Per request an agent replies with a
 * payload computed from the request, declines with a code computed from
 * it, does either after a delay, stays silent until the deadline has
 * passed and then replies late (-EALREADY, or -ENOENT once released),
 * replies twice, or leaves while it holds the request (then rejoins or
 * exits). The supervisor (the test's main thread) SIGKILLs and re-forks
 * agents and interrupts coordinators with SIGUSR1. COORDS coordinator
 * threads fan out to every member up or to a random subset, with one
 * shared payload or one per target, random sizes, deadlines of 50 to
 * 500 ms (or the group's), by fanout_call or send + wait + results, wait
 * for ALL, FAILFAST or QUORUM k with or without a wait timeout, cancel,
 * release before the request settled, keep settled requests a while
 * before releasing them, and now and then close their endpoint with
 * requests in flight.
 *
 * Invariants, checked as the workload runs:
 *  - a settled target never changes (every read is compared with what
 *    was seen before; results are read twice once settled), a TAKEN one
 *    never goes back to QUEUED, counts never go down, and once wait ALL
 *    returned every target is REPLIED or FAILED and the counts add up;
 *  - a wait returns 0 only when its wake condition holds, and no wait is
 *    still asleep SOAK_BOUND_MS past the later of its start and the
 *    request's deadline (the supervisor interrupts a wait that is, so a
 *    lost wake-up is caught too), not counting the time a CPU of the
 *    guest did not run at all (see stall_probe());
 *  - a reply is byte for byte (and status for status) what the agent
 *    computes for that request and member, a truncated reply buffer is
 *    not written past its length;
 *  - every failure reason is possible for what happened: -ETIMEDOUT not
 *    before the deadline, -ECANCELED only after a cancel, -ENOTCONN only
 *    if the member may have been down, -EPIPE only if an agent of the
 *    member left or was killed meanwhile, -ENOBUFS only at send time,
 *    a decline only with the code the agents compute; nothing else;
 *  - agents check every payload (intact, for their member, right UUID),
 *    that a duplicate reply or one after leaving is refused, and that a
 *    late reply is not accepted after the deadline plus SOAK_BOUND_MS;
 *  - per conversation (some requests carry one of NCONV UUIDs of their
 *    coordinator) and member, the requests arrive in send order, whatever
 *    agent gets them, and one agent at a time: no agent receives a later
 *    request of it while another still holds an earlier one (a reply of
 *    that one accepted after the later one was received);
 *  - expected state: a controller thread sets a new state now and then
 *    and waits until every member up confirmed it; agents read the state
 *    after each request they receive and confirm a generation they have
 *    not confirmed yet. Every generation must converge (the wait's
 *    bitmaps: every member up confirmed) within STATE_BOUND_MS while the
 *    workload runs, a confirmation never gets anything but 0, -EALREADY
 *    (another agent of the member was first), -ESTALE (a newer state was
 *    set meanwhile) or -ENOTCONN (not joined), and the group's counters
 *    agree with the agents' accepted and duplicate confirmations;
 *  - at the end, the group's counters agree with what coordinators and
 *    agents saw (requests, replies, failures, refused replies, nothing
 *    pending, no member up), and the module's live objects (debugfs
 *    fanout/live) are back to the baseline taken before the test.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

#define SOAK_DEFAULT_SECONDS	10
/* Harness timeout: the duration plus this, for setup and teardown. */
#define SOAK_SLACK_SECONDS	120
/*
 * A wait ALL on a request with deadline D returns within D + SOAK_BOUND_MS
 * of the send. The deadline is an hrtimer on CLOCK_MONOTONIC, which never
 * fires early, but the guest may be emulated (TCG) and loaded by ~45 busy
 * tasks on two CPUs: the bound is generous on purpose.
 */
#define SOAK_BOUND_MS		1500
/*
 * A state set converges (every member up confirmed it) within this, not
 * counting guest CPU stalls: each agent confirms at its next request.
 */
#define STATE_BOUND_MS		20000

#define MEMBERS		32
#define NCONV		4	/* conversations of each coordinator */
#define SLOTS		40	/* agent processes; slot m < MEMBERS serves m first */
#define COORDS		4
#define MAX_QUEUE	3	/* small, so queues fill up (-ENOBUFS) */
#define GROUP_DEADLINE_MS 300	/* deadline of a request sent with 0 */
#define BATCH_MAX	4
#define LINGER_MAX	8
#define HELD_MAX	24
#define NMSGS		16

#define PAYLOAD_MAX	12000	/* request payload, header included */
#define AGENT_INBUF	16384
#define GUARD		64
#define FILL		0xa5

#define MS		1000000LL
/* A probe that sleeps PROBE_MS and wakes STALL_MIN_MS late logs a stall. */
#define PROBE_MS	10
#define STALL_MIN_MS	20
#define NSTALLS		4096
#define ST_DEAD		0xffffffffU

/* ---- shared between the test process and its agents ---------------- */

enum { OUT_REPLY, OUT_DECLINE, OUT_EALREADY, OUT_ENOENT, OUT_ENOTCONN,
	OUT_OTHER, NOUT };
enum { PEND_NONE, PEND_REPLY, PEND_DECLINE };
enum { AST_RECV, AST_REPLY, AST_DECLINE, AST_SLOW, AST_SILENT, AST_LATE_OK,
	AST_LATE_EALREADY, AST_LATE_ENOENT, AST_DUP, AST_LEAVE, AST_EXIT,
	AST_JOIN_ANY, NAST };

/*
 * One agent process. @word is gen << 32 | st, st being m + 1 while the
 * agent is joined to member m (set after the join returned, cleared
 * before it leaves), ST_DEAD once the supervisor is about to kill it, or
 * 0; every change bumps gen. A reply attempt is announced in @pend_seq
 * and @pend_kind, made with @rr (so the kernel's write-back tells, even
 * after a kill, whether it was accepted: rr.reply.id is then 0), and its
 * outcome committed with one store of seq << 32 | count to @commit[out].
 */
struct slot {
	_Atomic uint64_t word;
	_Atomic uint32_t pend_kind;
	_Atomic uint64_t pend_seq;
	_Atomic uint64_t commit[NOUT];
	_Atomic uint64_t ast[NAST];
	struct fanout_reply_recv rr;
	pid_t pid;
};

struct shared {
	char name[FANOUT_NAME_MAX];
	_Atomic int stop;		/* a violation: wind down */
	_Atomic int ending;		/* time is up: no new fan-outs */
	/* Confirmations by the agents: accepted, -EALREADY, -ESTALE. */
	atomic_ullong confirms, dup_confirms, stale_confirms;
	_Atomic int nviol;
	char msg[NMSGS][256];
	_Atomic uint64_t fanouts;
	/* requests of conversations received, and by another slot than
	 * the conversation's previous one on that member */
	_Atomic uint64_t conv_recvs, conv_moves;
	/* agents' intents to leave member m (before they leave) */
	_Atomic uint64_t dep[MEMBERS];
	/* kills of an agent of member m begun and finished */
	_Atomic uint64_t kb[MEMBERS], ke[MEMBERS];
	struct slot slot[SLOTS];
	/* intervals when a CPU of the guest did not run (stall probes) */
	_Atomic uint32_t nstalls;
	struct {
		_Atomic int64_t start, end;
	} stall[NSTALLS];
	_Atomic int probes_stop;
};

static struct shared *sh;

/*
 * The last receipt of one conversation on one member: the fan-out number
 * (the low bits of qhdr.seq) and slot of the agent that received it, and
 * when its receive returned. Written under a sequence count, since the
 * agents that write it are other processes.
 */
struct conv_receipt {
	_Atomic uint64_t gen;	/* odd while being written */
	_Atomic uint64_t seq;
	_Atomic int slot;
	_Atomic int64_t recv_end;
};

static struct conv_receipt (*conv_receipts)[COORDS * NCONV];
/* The same, per agent slot: the last receipt of each slot. */
static struct conv_receipt (*slot_receipts)[COORDS * NCONV][SLOTS];

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000LL, ns % 1000000000LL };

	if (ns > 0)
		nanosleep(&ts, NULL);
}

/*
 * Stall probes: one SCHED_FIFO thread pinned to each CPU sleeps PROBE_MS
 * at a time. Woken much later than that, its CPU did not run meanwhile
 * (the emulator's host descheduled the vCPU, or the guest kernel kept
 * it busy): the interval goes to the log.
 */
static void *stall_probe(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((long)arg, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	while (!atomic_load(&sh->probes_stop)) {
		int64_t t = now_ns() + PROBE_MS * MS, late;
		uint32_t i;

		sleep_ns(PROBE_MS * MS);
		late = now_ns() - t;
		if (late < STALL_MIN_MS * MS)
			continue;
		i = atomic_fetch_add(&sh->nstalls, 1) % NSTALLS;
		atomic_store(&sh->stall[i].end, 0);
		atomic_store(&sh->stall[i].start, t);
		atomic_store(&sh->stall[i].end, t + late);
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* How long, within [@a, @b], some CPU of the guest was logged stalled. */
static int64_t stalled_in(int64_t a, int64_t b)
{
	int64_t iv[NSTALLS][2];		/* 64 KiB of stack */
	uint32_t n = atomic_load(&sh->nstalls), k = 0;
	int64_t sum = 0, cs = 0, ce = 0;

	if (n > NSTALLS)
		n = NSTALLS;
	for (uint32_t i = 0; i < n; i++) {
		int64_t s = atomic_load(&sh->stall[i].start);
		int64_t e = atomic_load(&sh->stall[i].end);

		if (e <= s || e <= a || s >= b)
			continue;
		iv[k][0] = s > a ? s : a;
		iv[k++][1] = e < b ? e : b;
	}
	qsort(iv, k, sizeof(iv[0]), cmp_i64);
	for (uint32_t i = 0; i < k; i++) {
		if (iv[i][0] > ce) {
			sum += ce - cs;
			cs = iv[i][0];
			ce = iv[i][1];
		} else if (iv[i][1] > ce) {
			ce = iv[i][1];
		}
	}
	sum += ce - cs;
	return sum;
}

static __attribute__((format(printf, 1, 2))) void violation(const char *fmt,
							     ...)
{
	int i = atomic_fetch_add(&sh->nviol, 1);
	va_list ap;

	if (i < NMSGS) {
		va_start(ap, fmt);
		vsnprintf(sh->msg[i], sizeof(sh->msg[i]), fmt, ap);
		va_end(ap);
	}
	atomic_store(&sh->stop, 1);
}

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix64(*s);
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return n ? rnd(s) % n : 0;
}

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261U;

	while (n--)
		h = (h ^ *p++) * 16777619U;
	return h;
}

/* ---- what travels: request header, reply, decline ------------------- */

#define QMAGIC	0x4b414f53U	/* "SOAK" */
#define RMAGIC	0x594c5052U	/* "RPLY" */
#define QF_UUID	1U
#define QF_CONV	2U	/* @uuid is conversation uuid[5] of coordinator uuid[4] */
#define Q_SHARED 0xffffffffU

struct qhdr {
	uint32_t magic;
	uint32_t flags;		/* QF_UUID: @uuid was given to the send */
	uint64_t seq;		/* coordinator << 48 | its fan-out number */
	int64_t t0_ns;		/* CLOCK_MONOTONIC just before the send */
	uint32_t deadline_ms;	/* the deadline in force */
	uint32_t member;	/* per-target payload: its member; Q_SHARED */
	uint32_t len;		/* the whole payload */
	uint32_t csum;		/* fnv of the bytes after the header */
	uint8_t uuid[FANOUT_UUID_LEN];
};

struct rhdr {
	uint32_t magic;
	uint32_t member;
	uint64_t id;
	uint32_t req_len;
	uint32_t req_csum;	/* fnv of the whole request payload */
};

#define REPLY_MAX	(sizeof(struct rhdr) + 2 * PAYLOAD_MAX)
#define RBUF_SIZE	(REPLY_MAX + 16 + GUARD)

static uint64_t tmix(uint64_t id, uint32_t m)
{
	return mix64(id * 4099 + m);
}

static uint32_t reply_body_len(uint64_t id, uint32_t m, uint32_t req_len)
{
	switch (tmix(id, m) % 4) {
	case 0:
		return 0;
	case 1:
		return req_len;
	case 2:
		return req_len < 37 ? req_len : 37;
	default:
		return 2 * req_len;
	}
}

/* The status of a reply, >= 0. */
static int32_t reply_status(uint64_t id, uint32_t m)
{
	return (tmix(id, m) >> 8) % 1000;
}

/* The code of a decline: -1000..-3999, no errno the module gives. */
static int32_t decline_status(uint64_t id, uint32_t m)
{
	return -(int32_t)(1000 + (tmix(id, m) >> 20) % 3000);
}

/* The reply of member @m's agents to request @id with payload @req. */
static uint32_t reply_build(uint8_t *out, uint64_t id, uint32_t m,
			    const uint8_t *req, uint32_t req_len)
{
	struct rhdr h = {
		.magic = RMAGIC, .member = m, .id = id, .req_len = req_len,
		.req_csum = fnv(req, req_len),
	};
	uint32_t n = reply_body_len(id, m, req_len);

	memcpy(out, &h, sizeof(h));
	for (uint32_t i = 0; i < n; i++)
		out[sizeof(h) + i] = req[i % req_len] ^
				     (uint8_t)(id * 131 + m * 7 + i);
	return sizeof(h) + n;
}

/* ---- agents ------------------------------------------------------------ */

enum expect {
	EXP_ANY,	/* accepted, or refused with -EALREADY / -ENOENT */
	EXP_LATE,	/* likewise; accepted past the bound is a violation */
	EXP_FAIL,	/* a duplicate: must be refused */
	EXP_NOTCONN,	/* after leaving: must be refused with -ENOTCONN */
};

struct areply {
	bool used;
	enum expect expect;
	uint64_t id;
	int conv;		/* its conversation, or -1 */
	uint64_t conv_seq;	/* qhdr.seq */
	int32_t status;
	uint32_t len;
	int64_t due;
	int64_t late_limit;
	int64_t submitted;	/* now_ns() just before the reply's ioctl */
	uint8_t buf[REPLY_MAX];
};

struct agent {
	int slot;
	struct slot *s;
	int fd;
	int member;
	uint64_t confirmed;	/* generation confirmed since joining */
	uint64_t rng;
	uint32_t seq;
	bool have_now;
	struct areply now;
	int nheld;
	struct areply held[HELD_MAX];
	uint8_t in[AGENT_INBUF];
};

static struct agent agent_ctx;	/* one per agent process */

static void ast_inc(struct agent *a, int i)
{
	atomic_fetch_add(&a->s->ast[i], 1);
}

/* Change the slot's state from @from to @to; false once it is ST_DEAD. */
static bool slot_move(struct slot *s, uint32_t from, uint32_t to)
{
	uint64_t w = atomic_load(&s->word);

	if ((uint32_t)w != from)
		return false;
	return atomic_compare_exchange_strong(&s->word, &w,
					      (((w >> 32) + 1) << 32) | to);
}

/* The supervisor is about to kill this agent: do nothing more. */
static void __attribute__((noreturn)) agent_doomed(void)
{
	for (;;)
		pause();
}

/* The conversation of the request in a->in, or -1. */
static int agent_conv(const struct agent *a)
{
	const struct qhdr *h = (const void *)a->in;

	if (!(h->flags & QF_CONV) || h->uuid[4] >= COORDS ||
	    h->uuid[5] >= NCONV)
		return -1;
	return h->uuid[4] * NCONV + h->uuid[5];
}

static void conv_read(struct conv_receipt *cr, uint64_t *seq, int *slot,
		      int64_t *recv_end)
{
	uint64_t g;

	do {
		g = atomic_load(&cr->gen);
		*seq = atomic_load(&cr->seq);
		*slot = atomic_load(&cr->slot);
		*recv_end = atomic_load(&cr->recv_end);
	} while ((g & 1) || g != atomic_load(&cr->gen));
}

/*
 * A request of conversation @conv was just received: it must come after
 * every earlier one of the conversation received on this member.
 */
static void agent_conv_received(struct agent *a, int conv)
{
	const struct qhdr *h = (const void *)a->in;
	struct conv_receipt *cr = &conv_receipts[a->member][conv];
	uint64_t seq;
	int64_t t;
	int slot;

	conv_read(cr, &seq, &slot, &t);
	atomic_fetch_add(&sh->conv_recvs, 1);
	if (seq && slot != a->slot)
		atomic_fetch_add(&sh->conv_moves, 1);
	if (h->seq <= seq)
		violation("agent m%d: conversation %d: request %llx received after %llx (slot %d)",
			  a->member, conv, (unsigned long long)h->seq,
			  (unsigned long long)seq, slot);
	t = now_ns();
	for (int i = 0; i < 2; i++) {
		cr = i ? &slot_receipts[a->member][conv][a->slot] :
			 &conv_receipts[a->member][conv];
		atomic_fetch_add(&cr->gen, 1);
		atomic_store(&cr->seq, h->seq);
		atomic_store(&cr->slot, a->slot);
		atomic_store(&cr->recv_end, t);
		atomic_fetch_add(&cr->gen, 1);
	}
}

/*
 * The reply to @rep, of a conversation, was accepted: the request was
 * still this agent's then, so no other agent may have received a later
 * request of the conversation before the reply was even submitted.
 */
static void agent_conv_replied(struct agent *a, const struct areply *rep)
{
	uint64_t seq;
	int64_t t;
	int slot;

	for (int i = 0; i < SLOTS; i++) {
		if (i == a->slot)
			continue;
		conv_read(&slot_receipts[a->member][rep->conv][i], &seq, &slot,
			  &t);
		if (seq > rep->conv_seq && t < rep->submitted)
			violation("agent m%d: conversation %d: slot %d received %llx while slot %d still held %llx",
				  a->member, rep->conv, slot,
				  (unsigned long long)seq, a->slot,
				  (unsigned long long)rep->conv_seq);
	}
}

static int out_of(int ret)
{
	switch (ret) {
	case -EALREADY:
		return OUT_EALREADY;
	case -ENOENT:
		return OUT_ENOENT;
	case -ENOTCONN:
		return OUT_ENOTCONN;
	default:
		return OUT_OTHER;
	}
}

static void agent_commit(struct agent *a, int out)
{
	uint64_t old = atomic_load(&a->s->commit[out]);

	atomic_store(&a->s->commit[out],
		     ((uint64_t)a->seq << 32) | (uint32_t)(old + 1));
	atomic_store(&a->s->pend_kind, PEND_NONE);
}

/*
 * A late reply accepted: was its target still open more than the bound
 * past the deadline, not counting the time the guest's CPUs stalled? It
 * was accepted at some time after rep->submitted: only that time is sure
 * (the agent may be preempted for long after the acceptance, and a
 * reply_recv goes on to receive).
 */
static bool agent_too_late(struct areply *rep)
{
	int64_t open = rep->submitted;
	int64_t deadline = rep->late_limit - SOAK_BOUND_MS * MS;
	int64_t stalled;

	if (open <= rep->late_limit)
		return false;
	stalled = stalled_in(deadline, open);
	if (open - deadline - stalled <= SOAK_BOUND_MS * MS)
		return false;
	violation("late reply to request %llu accepted, submitted %lld ms after its deadline (%lld ms of it stalled)",
		  (unsigned long long)rep->id, (long long)(open - deadline) / MS,
		  (long long)stalled / MS);
	return true;
}

static void agent_outcome(struct agent *a, struct areply *rep, bool accepted,
			  int ret)
{
	if (accepted && rep->conv >= 0)
		agent_conv_replied(a, rep);
	if (accepted) {
		if (rep->expect == EXP_FAIL)
			violation("agent m%d: duplicate reply to request %llu accepted",
				  a->member, (unsigned long long)rep->id);
		else if (rep->expect == EXP_NOTCONN)
			violation("agent: reply to request %llu after leaving accepted",
				  (unsigned long long)rep->id);
		else if (rep->expect == EXP_LATE && agent_too_late(rep))
			return;
		else if (rep->expect == EXP_LATE)
			ast_inc(a, AST_LATE_OK);
		return;
	}
	if (rep->expect == EXP_NOTCONN) {
		if (ret != -ENOTCONN)
			violation("agent: reply to request %llu after leaving: %d, want -ENOTCONN",
				  (unsigned long long)rep->id, ret);
		return;
	}
	if (ret != -EALREADY && ret != -ENOENT) {
		violation("agent m%d: reply %d to request %llu: error %d",
			  a->member, rep->status, (unsigned long long)rep->id,
			  ret);
		return;
	}
	if (rep->expect == EXP_LATE)
		ast_inc(a, ret == -EALREADY ? AST_LATE_EALREADY :
					      AST_LATE_ENOENT);
}

/*
 * Send @rep, if any, and receive (blocking if @block). Returns 1 when a
 * request was received into s->rr.recv, 0 when none was, -1 when the
 * group is gone.
 */
static int agent_submit(struct agent *a, struct areply *rep, bool block)
{
	struct fanout_reply_recv *rr = &a->s->rr;
	int kind = PEND_NONE, ret;

	memset(rr, 0, sizeof(*rr));
	if (rep) {
		kind = rep->status >= 0 ? PEND_REPLY : PEND_DECLINE;
		rr->reply.id = rep->id;
		rr->reply.status = rep->status;
		if (rep->status >= 0) {
			rr->reply.buf = (uintptr_t)rep->buf;
			rr->reply.len = rep->len;
		}
		a->seq++;
		atomic_store(&a->s->pend_seq, a->seq);
		atomic_store(&a->s->pend_kind, kind);
	}
	rr->recv.buf = (uintptr_t)a->in;
	rr->recv.buf_len = sizeof(a->in);
	rr->recv.flags = block ? 0 : FANOUT_RECV_NONBLOCK;
	if (rep)
		rep->submitted = now_ns();
	ret = fanout_reply_recv(a->fd, rr);
	if (rep) {
		bool accepted = !rr->reply.id;

		agent_commit(a, accepted ? (kind == PEND_REPLY ? OUT_REPLY :
							       OUT_DECLINE) :
					   out_of(ret));
		agent_outcome(a, rep, accepted, ret);
		if (!accepted)
			return 0;	/* nothing was received */
	}
	if (!ret)
		return 1;
	if (ret == -EAGAIN || ret == -EINTR)
		return 0;
	if (ret == -EIDRM)
		return -1;
	violation("agent m%d: receive: %d", a->member, ret);
	return -1;
}

static void agent_fill(struct agent *a, struct areply *rep,
		       const struct fanout_recv *r, bool decline,
		       enum expect expect)
{
	rep->used = true;
	rep->expect = expect;
	rep->id = r->id;
	rep->conv = agent_conv(a);
	rep->conv_seq = ((const struct qhdr *)a->in)->seq;
	rep->len = 0;
	if (decline)
		rep->status = decline_status(r->id, r->member);
	else {
		rep->status = reply_status(r->id, r->member);
		rep->len = reply_build(rep->buf, r->id, r->member, a->in,
				       r->len);
	}
}

static struct areply *agent_hold(struct agent *a)
{
	for (int i = 0; i < HELD_MAX; i++) {
		if (!a->held[i].used) {
			a->nheld++;
			return &a->held[i];
		}
	}
	return NULL;
}

static void agent_join(struct agent *a, bool first)
{
	unsigned int want;
	uint32_t r = rnd_below(&a->rng, 100);
	int ret;

	if (a->slot < MEMBERS && (first || r < 50))
		want = a->slot;
	else if (r < 75)
		want = FANOUT_MEMBER_ANY;
	else
		want = rnd_below(&a->rng, MEMBERS);
	ret = fanout_join(a->fd, want);
	if (ret == -ENOSPC && want == FANOUT_MEMBER_ANY)
		ret = fanout_join(a->fd, rnd_below(&a->rng, MEMBERS));
	else if (ret >= 0 && want == FANOUT_MEMBER_ANY)
		ast_inc(a, AST_JOIN_ANY);
	if (ret == -EIDRM)
		_exit(0);
	if (ret < 0 || ret >= MEMBERS) {
		violation("agent slot %d: join %u: %d", a->slot, want, ret);
		_exit(1);
	}
	if (!slot_move(a->s, 0, ret + 1))
		agent_doomed();
	a->member = ret;
	a->confirmed = 0;
}

/*
 * Level-triggered catch-up with the expected state: confirm the current
 * generation unless this agent did since it joined.
 */
static void agent_state_sync(struct agent *a)
{
	struct fanout_state st = { 0 };
	int ret;

	if (fanout_state_get(a->fd, &st) || st.generation <= a->confirmed)
		return;
	ret = fanout_confirm(a->fd, st.generation);
	if (!ret)
		atomic_fetch_add(&sh->confirms, 1);
	else if (ret == -EALREADY)
		atomic_fetch_add(&sh->dup_confirms, 1);
	else if (ret == -ESTALE)
		atomic_fetch_add(&sh->stale_confirms, 1);
	else if (ret != -ENOTCONN && ret != -EIDRM)
		violation("agent slot %d: confirm %llu: %d", a->slot,
			  (unsigned long long)st.generation, ret);
	if (!ret || ret == -EALREADY)
		a->confirmed = st.generation;
}

/* Leave while holding request @r, answer it (-ENOTCONN), then go on. */
static void agent_leave(struct agent *a, const struct fanout_recv *r)
{
	int m = a->member, ret;

	ast_inc(a, AST_LEAVE);
	atomic_fetch_add(&sh->dep[m], 1);
	if (!slot_move(a->s, m + 1, 0))
		agent_doomed();
	ret = fanout_leave(a->fd);
	if (ret)
		violation("agent m%d: leave: %d", m, ret);
	a->member = -1;
	for (int i = 0; i < HELD_MAX; i++)
		a->held[i].used = false;
	a->nheld = 0;
	a->have_now = false;
	agent_fill(a, &a->now, r, false, EXP_NOTCONN);
	agent_submit(a, &a->now, false);
	sleep_ns(rnd_below(&a->rng, 50) * MS);
	if (rnd_below(&a->rng, 100) < 30) {
		ast_inc(a, AST_EXIT);
		_exit(0);
	}
	agent_join(a, false);
}

static bool agent_check(struct agent *a, const struct fanout_recv *r)
{
	const struct qhdr *h = (const void *)a->in;
	const char *why = NULL;

	if (r->len < sizeof(*h) || r->len > sizeof(a->in))
		why = "length";
	else if (h->magic != QMAGIC || h->len != r->len)
		why = "header";
	else if (fnv(a->in + sizeof(*h), r->len - sizeof(*h)) != h->csum)
		why = "checksum";
	else if (r->member != (uint32_t)a->member)
		why = "not for this agent's member";
	else if (h->member != Q_SHARED && h->member != r->member)
		why = "another target's payload";
	else if ((h->flags & QF_UUID) &&
		 memcmp(h->uuid, r->uuid, sizeof(h->uuid)))
		why = "UUID";
	else if (!r->id)
		why = "id 0";
	if (why)
		violation("agent m%d: request %llu (len %u, member %u): bad %s",
			  a->member, (unsigned long long)r->id, r->len,
			  r->member, why);
	return !why;
}

/* Decide what to do with the request just received. */
static void agent_handle(struct agent *a)
{
	struct fanout_recv r = a->s->rr.recv;
	const struct qhdr *h = (const void *)a->in;
	uint32_t p = rnd_below(&a->rng, 1000);
	struct areply *rep;
	int64_t now = now_ns();

	ast_inc(a, AST_RECV);
	if (!agent_check(a, &r))
		return;
	agent_state_sync(a);
	if (agent_conv(a) >= 0)
		agent_conv_received(a, agent_conv(a));
	if (p < 8) {
		agent_leave(a, &r);
		return;
	}
	if (p < 23 && (rep = agent_hold(a))) {
		/* Silent until the deadline has passed, then reply late. */
		ast_inc(a, AST_SILENT);
		agent_fill(a, rep, &r, false, EXP_LATE);
		rep->due = h->t0_ns + h->deadline_ms * MS +
			   (5 + rnd_below(&a->rng, 96)) * MS;
		rep->late_limit = h->t0_ns +
				  (h->deadline_ms + SOAK_BOUND_MS) * MS;
		return;
	}
	if (p < 93 && (rep = agent_hold(a))) {
		/* Answer after a while, maybe after the deadline. */
		ast_inc(a, AST_SLOW);
		agent_fill(a, rep, &r, p >= 73, EXP_ANY);
		rep->due = now + rnd_below(&a->rng, h->deadline_ms / 2 + 1) * MS;
		return;
	}
	if (p < 123 && (rep = agent_hold(a))) {
		/* Reply now, and once more a little later. */
		ast_inc(a, AST_DUP);
		agent_fill(a, rep, &r, false, EXP_FAIL);
		rep->due = now + rnd_below(&a->rng, 10) * MS;
	}
	agent_fill(a, &a->now, &r, p >= 123 && p < 183, EXP_ANY);
	ast_inc(a, a->now.status < 0 ? AST_DECLINE : AST_REPLY);
	a->have_now = true;
}

static void __attribute__((noreturn)) agent_main(int slot)
{
	struct agent *a = &agent_ctx;

	/* Keep no other endpoint of the test alive. */
	syscall(SYS_close_range, 3, ~0U, 0);
	memset(a, 0, sizeof(*a));
	a->slot = slot;
	a->s = &sh->slot[slot];
	a->member = -1;
	a->rng = mix64(getpid() ^ now_ns());
	a->fd = fanout_open(0);
	if (a->fd < 0 || fanout_group_open(a->fd, sh->name)) {
		violation("agent slot %d: open %s: %d", slot, sh->name, a->fd);
		_exit(1);
	}
	agent_join(a, true);
	for (;;) {
		struct areply *rep = NULL;
		int64_t now = now_ns(), next = INT64_MAX;
		int ret, remaining;

		if (a->have_now) {
			rep = &a->now;
			a->have_now = false;
		}
		for (int i = 0; i < HELD_MAX; i++) {
			struct areply *hr = &a->held[i];

			if (!hr->used)
				continue;
			if (!rep && hr->due <= now)
				rep = hr;
			else if (hr->due < next)
				next = hr->due;
		}
		remaining = a->nheld - (rep && rep != &a->now);
		if (!rep && a->nheld) {
			struct pollfd pfd = { .fd = a->fd, .events = POLLIN };

			poll(&pfd, 1, (next - now) / MS + 1);
		}
		ret = agent_submit(a, rep, !remaining);
		if (rep && rep != &a->now) {
			rep->used = false;
			a->nheld--;
		}
		if (ret < 0)
			_exit(0);
		if (ret)
			agent_handle(a);
	}
}

/* ---- the supervisor's side of agents -------------------------------- */

struct totals {
	uint64_t out[NOUT];
	uint64_t uncertain;	/* killed during a reply of unknown fate */
	uint64_t writeback;	/* killed after a reply the kernel took */
	uint64_t ast[NAST];
	uint64_t kills, exits, spawns;
};

static struct totals tot;

static void agent_spawn(int i)
{
	struct slot *s = &sh->slot[i];
	uint64_t w = atomic_load(&s->word);
	pid_t pid;

	for (int k = 0; k < NOUT; k++)
		atomic_store(&s->commit[k], 0);
	for (int k = 0; k < NAST; k++)
		atomic_store(&s->ast[k], 0);
	atomic_store(&s->pend_kind, PEND_NONE);
	atomic_store(&s->pend_seq, 0);
	memset(&s->rr, 0, sizeof(s->rr));
	atomic_store(&s->word, ((w >> 32) + 1) << 32);
	fflush(NULL);
	pid = fork();
	if (!pid)
		agent_main(i);
	if (pid < 0)
		violation("fork: %s", strerror(errno));
	s->pid = pid;
	tot.spawns++;
}

/* Count what a dead agent did, including a reply it was killed in. */
static void agent_fold(int i)
{
	struct slot *s = &sh->slot[i];
	uint32_t kind = atomic_load(&s->pend_kind);
	uint64_t seq = atomic_load(&s->pend_seq);
	bool committed = false;

	for (int k = 0; k < NOUT; k++) {
		uint64_t c = atomic_load(&s->commit[k]);

		tot.out[k] += (uint32_t)c;
		if (c >> 32 == seq)
			committed = true;
	}
	if (kind != PEND_NONE && !committed) {
		if (!s->rr.reply.id) {
			tot.out[kind == PEND_REPLY ? OUT_REPLY : OUT_DECLINE]++;
			tot.writeback++;
		} else {
			tot.uncertain++;
		}
	}
	for (int k = 0; k < NAST; k++)
		tot.ast[k] += atomic_load(&s->ast[k]);
	s->pid = 0;
}

static int slot_of(pid_t pid)
{
	for (int i = 0; i < SLOTS; i++)
		if (sh->slot[i].pid == pid)
			return i;
	return -1;
}

/* Reap agents that exited on their own and start new ones. */
static void agents_reap(void)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		i = slot_of(pid);
		if (i < 0)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			violation("agent slot %d: ended with status 0x%x", i,
				  status);
		agent_fold(i);
		tot.exits++;
		agent_spawn(i);
	}
}

/* SIGKILL agent @i; the kill of member m is bracketed by kb[m], ke[m]. */
static void agent_kill(int i, bool respawn)
{
	struct slot *s = &sh->slot[i];
	uint64_t w = atomic_load(&s->word);
	uint32_t st;
	int status;

	while (!atomic_compare_exchange_strong(&s->word, &w,
					       (((w >> 32) + 1) << 32) |
					       ST_DEAD))
		;
	st = (uint32_t)w;
	if (st && st <= MEMBERS)
		atomic_fetch_add(&sh->kb[st - 1], 1);
	kill(s->pid, SIGKILL);
	if (waitpid(s->pid, &status, 0) != s->pid)
		violation("waitpid agent slot %d: %s", i, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		violation("agent slot %d: exited with %d", i,
			  WEXITSTATUS(status));
	if (st && st <= MEMBERS)
		atomic_fetch_add(&sh->ke[st - 1], 1);
	agent_fold(i);
	tot.kills++;
	if (respawn)
		agent_spawn(i);
}

/* ---- coordinators ------------------------------------------------------ */

enum { R_TIMEDOUT, R_NOTCONN, R_PIPE, R_NOBUFS, R_CANCELED, R_DECLINED,
	NREASON };

/* Overshoots past the deadline, by upper limit in ms (last: beyond). */
#define NOVER 6
static const int over_ms[NOVER - 1] = { 50, 100, 250, 500, 1000 };

struct cstats {
	uint64_t fanouts, calls, targets, replies, failed[NREASON];
	uint64_t unobserved, cancels, early_releases, lingered, churns;
	uint64_t waits, eintr, etime, timer_fanouts;
	int64_t max_over;	/* ns past the deadline, waits that spanned it */
	int64_t max_net;	/* the same, less the stalls in between */
	uint64_t over_hist[NOVER];
};

struct tgt {
	uint32_t member;
	bool member_known;
	bool known;		/* settled, and recorded below */
	bool taken_seen;
	uint32_t state;
	int32_t status;
	uint32_t rlen;
	uint8_t *payload;	/* what this target's agent receives */
	uint32_t plen;
};

struct req {
	uint64_t id;
	uint32_t n;
	bool all_up, per_target, uuid_given, cancelled, early_read;
	int conv;		/* 1 + its conversation, or 0 */
	uint32_t send_deadline;	/* as passed to the send (0: group's) */
	uint32_t d_ms;		/* in force */
	int64_t t0, deadline;
	uint32_t last_rep, last_fail;
	int64_t linger_until;
	uint8_t uuid[FANOUT_UUID_LEN];
	__u64 bits;
	uint32_t targets_bits;
	uint8_t *payload;	/* shared */
	uint32_t plen;
	struct fanout_buf bufs[MEMBERS];
	uint64_t w0[SLOTS], dep0[MEMBERS], ke0[MEMBERS];
	struct tgt t[MEMBERS];
};

struct coord {
	int id;
	int fd;
	pthread_t thread;
	uint64_t rng;
	uint64_t seq;
	_Atomic int64_t wait_bound;	/* a wait in progress must end by */
	_Atomic int done;
	int nlinger;
	struct req *linger[LINGER_MAX];
	struct fanout_result res[MEMBERS];
	uint32_t offer[MEMBERS];
	uint8_t *rbuf[MEMBERS];
	uint8_t *expect;
	struct cstats st;
};

static bool chance(struct coord *c, uint32_t percent)
{
	return rnd_below(&c->rng, 100) < percent;
}

static void snap(uint64_t *w, uint64_t *dep, uint64_t *kb, uint64_t *ke)
{
	for (int s = 0; s < SLOTS; s++)
		w[s] = atomic_load(&sh->slot[s].word);
	for (int m = 0; m < MEMBERS; m++) {
		if (dep)
			dep[m] = atomic_load(&sh->dep[m]);
		if (kb)
			kb[m] = atomic_load(&sh->kb[m]);
		if (ke)
			ke[m] = atomic_load(&sh->ke[m]);
	}
}

/* Some agent was joined to @m, unchanged, from the send to @w1. */
static bool surely_up(const struct req *q, uint32_t m, const uint64_t *w1)
{
	for (int s = 0; s < SLOTS; s++)
		if (q->w0[s] == w1[s] && (uint32_t)w1[s] == m + 1)
			return true;
	return false;
}

static uint8_t *payload_new(struct coord *c, struct req *q, uint32_t member,
			    uint32_t *lenp)
{
	uint32_t body = chance(c, 85) ?
			rnd_below(&c->rng, 512) :
			rnd_below(&c->rng, PAYLOAD_MAX - sizeof(struct qhdr) + 1);
	uint32_t len = sizeof(struct qhdr) + body;
	uint8_t *p = malloc(len);
	struct qhdr h = {
		.magic = QMAGIC,
		.flags = (q->uuid_given ? QF_UUID : 0) | (q->conv ? QF_CONV : 0),
		.seq = (uint64_t)c->id << 48 | c->seq,
		.deadline_ms = q->d_ms, .member = member, .len = len,
	};

	if (!p)
		return NULL;
	for (uint32_t i = 0; i < body; i++)
		p[sizeof(h) + i] = rnd(&c->rng);
	h.csum = fnv(p + sizeof(h), body);
	memcpy(h.uuid, q->uuid, sizeof(h.uuid));
	memcpy(p, &h, sizeof(h));
	*lenp = len;
	return p;
}

static void req_free(struct req *q)
{
	if (q->per_target)
		for (uint32_t i = 0; i < q->n; i++)
			free(q->t[i].payload);
	free(q->payload);
	free(q);
}

/* A random request, not sent yet; to the members in @burst if not 0. */
static struct req *req_new(struct coord *c, __u64 burst)
{
	static const uint32_t density[] = { 100, 300, 600, 1000 };
	struct req *q = calloc(1, sizeof(*q));
	uint32_t m, i = 0;

	if (!q)
		return NULL;
	c->seq++;
	q->send_deadline = chance(c, 10) ? 0 : 50 + rnd_below(&c->rng, 451);
	q->d_ms = q->send_deadline ?: GROUP_DEADLINE_MS;
	q->all_up = !burst && chance(c, 35);
	if (q->all_up) {
		q->n = MEMBERS;		/* until the send tells */
	} else {
		uint32_t p = density[rnd_below(&c->rng, 4)], hi;

		for (m = 0; m < MEMBERS; m++)
			if (rnd_below(&c->rng, 1000) < p)
				q->bits |= 1ULL << m;
		if (!q->bits)
			q->bits = 1ULL << rnd_below(&c->rng, MEMBERS);
		if (burst)
			q->bits = burst;
		hi = 63 - __builtin_clzll(q->bits);
		q->targets_bits = hi + 1 + rnd_below(&c->rng, MEMBERS - hi);
		for (m = 0; m < MEMBERS; m++) {
			if (!(q->bits & (1ULL << m)))
				continue;
			q->t[i].member = m;
			q->t[i++].member_known = true;
		}
		q->n = i;
		q->per_target = chance(c, 40);
	}
	q->uuid_given = chance(c, 60);
	if (q->uuid_given)
		for (i = 0; i < FANOUT_UUID_LEN; i++)
			q->uuid[i] = rnd(&c->rng);
	if (q->uuid_given && chance(c, 60)) {
		/* One of this coordinator's conversations. */
		q->conv = 1 + rnd_below(&c->rng, NCONV);
		memset(q->uuid, 0, sizeof(q->uuid));
		memcpy(q->uuid, "CONV", 4);
		q->uuid[4] = c->id;
		q->uuid[5] = q->conv - 1;
	}
	if (q->per_target) {
		for (i = 0; i < q->n; i++) {
			q->t[i].payload = payload_new(c, q, q->t[i].member,
						      &q->t[i].plen);
			if (!q->t[i].payload) {
				q->n = i;
				req_free(q);
				return NULL;
			}
			q->bufs[i].addr = (uintptr_t)q->t[i].payload;
			q->bufs[i].len = q->t[i].plen;
		}
	} else {
		q->payload = payload_new(c, q, Q_SHARED, &q->plen);
		if (!q->payload) {
			free(q);
			return NULL;
		}
		for (i = 0; i < MEMBERS; i++) {
			q->t[i].payload = q->payload;
			q->t[i].plen = q->plen;
		}
	}
	return q;
}

static void req_send_args(const struct req *q, struct fanout_send *s)
{
	memset(s, 0, sizeof(*s));
	if (q->per_target) {
		s->payload = (uintptr_t)q->bufs;
		s->payload_len = q->n;
		s->flags |= FANOUT_SEND_PER_TARGET;
	} else {
		s->payload = (uintptr_t)q->payload;
		s->payload_len = q->plen;
	}
	if (q->uuid_given) {
		s->flags |= FANOUT_SEND_UUID;
		memcpy(s->uuid, q->uuid, sizeof(s->uuid));
	}
	if (!q->all_up) {
		s->targets = (uintptr_t)&q->bits;
		s->targets_bits = q->targets_bits;
	}
	s->deadline_ms = q->send_deadline;
}

/* Snapshot the agents, then stamp the send time into every payload. */
static void req_stamp(struct req *q)
{
	snap(q->w0, q->dep0, NULL, q->ke0);
	q->t0 = now_ns();
	q->deadline = q->t0 + q->d_ms * MS;
	for (uint32_t i = 0; i < (q->per_target ? q->n : 1); i++) {
		uint8_t *p = q->per_target ? q->t[i].payload : q->payload;

		memcpy(p + offsetof(struct qhdr, t0_ns), &q->t0,
		       sizeof(q->t0));
	}
}

/* The send's answer: id, target count, UUID. */
static bool req_sent(struct coord *c, struct req *q,
		     const struct fanout_send *s)
{
	c->st.fanouts++;
	atomic_fetch_add(&sh->fanouts, 1);
	q->id = s->id;
	if (!s->id) {
		violation("c%d: send gave id 0", c->id);
		return false;
	}
	if (q->all_up ? s->ntargets > MEMBERS : s->ntargets != q->n) {
		violation("c%d: request %llu: %u targets, want %u", c->id,
			  (unsigned long long)s->id, s->ntargets, q->n);
		return false;
	}
	q->n = s->ntargets;
	if (q->uuid_given && memcmp(s->uuid, q->uuid, sizeof(q->uuid)))
		violation("c%d: request %llu: UUID not the one given", c->id,
			  (unsigned long long)s->id);
	return true;
}

static void prep_results(struct coord *c, struct req *q, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint32_t max = sizeof(struct rhdr) + 2 * q->t[i].plen;
		uint32_t offer = chance(c, 10) ? rnd_below(&c->rng, max + 1) :
						 max + 16;

		c->offer[i] = offer;
		memset(c->rbuf[i], FILL, offer + GUARD);
		memset(&c->res[i], 0, sizeof(c->res[i]));
		c->res[i].reply_buf = (uintptr_t)c->rbuf[i];
		c->res[i].reply_buf_len = offer;
	}
}

static int reason_of(const struct req *q, uint32_t i)
{
	switch (q->t[i].status) {
	case -ETIMEDOUT:
		return R_TIMEDOUT;
	case -ENOTCONN:
		return R_NOTCONN;
	case -EPIPE:
		return R_PIPE;
	case -ENOBUFS:
		return R_NOBUFS;
	case -ECANCELED:
		return R_CANCELED;
	default:
		return R_DECLINED;
	}
}

/*
 * Is failure @status of target @i possible for what happened? The
 * deadline's hrtimer starts after q->t0 and runs on CLOCK_MONOTONIC, so
 * -ETIMEDOUT is never seen before q->deadline by that clock.
 */
static const char *failure_wrong(struct coord *c, const struct req *q,
				 uint32_t i, int32_t status, int64_t end,
				 bool early, const uint64_t *w1,
				 const uint64_t *dep1, const uint64_t *kb1)
{
	uint32_t m = q->t[i].member;

	switch (status) {
	case -ETIMEDOUT:
		return end >= q->deadline ? NULL :
		       "-ETIMEDOUT before the deadline";
	case -ECANCELED:
		return q->cancelled ? NULL : "-ECANCELED, never cancelled";
	case -ENOTCONN:
		return surely_up(q, m, w1) ?
		       "-ENOTCONN, the member was up all along" : NULL;
	case -EPIPE:
		if (dep1[m] > q->dep0[m] || kb1[m] > q->ke0[m])
			return NULL;
		return "-EPIPE, no agent of the member left or died";
	case -ENOBUFS:
		if (q->early_read && !early)
			return "-ENOBUFS after the send";
		return NULL;
	default:
		if (status == decline_status(q->id, m))
			return NULL;
		return "not a documented reason nor the agent's decline";
	}
}

/*
 * Check @count result entries just read (between @start and @end) and
 * merge them into what is known of @q. @nrep and @nfail are the counts
 * read with them (after them). @settled: the request must be settled.
 * @early: read right after the send.
 */
static void merge(struct coord *c, struct req *q, uint32_t count,
		  uint32_t nrep, uint32_t nfail, int64_t end, bool settled,
		  bool early)
{
	uint64_t w1[SLOTS], dep1[MEMBERS], kb1[MEMBERS];
	uint32_t seen_rep = 0, seen_fail = 0;
	unsigned long long id = q->id;

	snap(w1, dep1, kb1, NULL);
	if (nrep + nfail > q->n || nrep < q->last_rep || nfail < q->last_fail)
		violation("c%d: request %llu: counts %u+%u of %u, earlier %u+%u",
			  c->id, id, nrep, nfail, q->n, q->last_rep,
			  q->last_fail);
	q->last_rep = nrep;
	q->last_fail = nfail;
	for (uint32_t i = 0; i < count; i++) {
		struct fanout_result *e = &c->res[i];
		struct tgt *t = &q->t[i];
		uint32_t copied, want, fill = c->offer[i] + GUARD;
		const char *why;

		if (!t->member_known) {
			t->member = e->member;
			t->member_known = true;
			if (e->member >= MEMBERS ||
			    (i && q->t[i - 1].member_known &&
			     q->t[i - 1].member >= e->member))
				violation("c%d: request %llu: target %u is member %u, not in order",
					  c->id, id, i, e->member);
		} else if (e->member != t->member) {
			violation("c%d: request %llu: target %u is member %u, want %u",
				  c->id, id, i, e->member, t->member);
		}
		if (e->state == FANOUT_TARGET_QUEUED ||
		    e->state == FANOUT_TARGET_TAKEN) {
			if (t->known)
				violation("c%d: request %llu member %u: settled (%u, %d), now open again (%u)",
					  c->id, id, t->member, t->state,
					  t->status, e->state);
			else if (settled)
				violation("c%d: request %llu member %u: still open (%u) after wait ALL",
					  c->id, id, t->member, e->state);
			if (e->status || e->reply_len)
				violation("c%d: request %llu member %u: open with status %d, reply %u",
					  c->id, id, t->member, e->status,
					  e->reply_len);
			if (e->state == FANOUT_TARGET_QUEUED && t->taken_seen)
				violation("c%d: request %llu member %u: TAKEN, then QUEUED again",
					  c->id, id, t->member);
			if (e->state == FANOUT_TARGET_TAKEN)
				t->taken_seen = true;
			continue;
		}
		if (e->state == FANOUT_TARGET_REPLIED) {
			seen_rep++;
		} else if (e->state == FANOUT_TARGET_FAILED) {
			seen_fail++;
		} else {
			violation("c%d: request %llu member %u: state %u",
				  c->id, id, t->member, e->state);
			continue;
		}
		if (t->known) {
			if (t->state != e->state || t->status != e->status ||
			    t->rlen != e->reply_len)
				violation("c%d: request %llu member %u: settled (%u, %d, %u), now (%u, %d, %u)",
					  c->id, id, t->member, t->state,
					  t->status, t->rlen, e->state,
					  e->status, e->reply_len);
		} else if (e->state == FANOUT_TARGET_REPLIED) {
			if (e->status != reply_status(q->id, t->member))
				violation("c%d: request %llu member %u: reply status %d, the agent's is %d",
					  c->id, id, t->member, e->status,
					  reply_status(q->id, t->member));
		} else {
			why = e->status >= 0 ? "status >= 0" :
			      failure_wrong(c, q, i, e->status, end, early,
					    w1, dep1, kb1);
			if (why)
				violation("c%d: request %llu member %u (deadline %u ms, at %lld ms): failed %d: %s",
					  c->id, id, t->member, q->d_ms,
					  (long long)(end - q->t0) / MS,
					  e->status, why);
		}
		t->known = true;
		t->state = e->state;
		t->status = e->status;
		t->rlen = e->reply_len;
		if (e->state != FANOUT_TARGET_REPLIED) {
			if (e->reply_len)
				violation("c%d: request %llu member %u: failed with a reply of %u",
					  c->id, id, t->member, e->reply_len);
			copied = 0;
		} else {
			want = reply_build(c->expect, q->id, t->member,
					   t->payload, t->plen);
			if (e->reply_len != want)
				violation("c%d: request %llu member %u: reply of %u bytes, the agent's has %u",
					  c->id, id, t->member, e->reply_len,
					  want);
			copied = want < c->offer[i] ? want : c->offer[i];
			if (memcmp(c->rbuf[i], c->expect, copied))
				violation("c%d: request %llu member %u: reply bytes differ from the agent's",
					  c->id, id, t->member);
		}
		for (uint32_t j = copied; j < fill; j++) {
			if (c->rbuf[i][j] != FILL) {
				violation("c%d: request %llu member %u: byte %u of a %u-byte reply buffer written",
					  c->id, id, t->member, j,
					  c->offer[i]);
				break;
			}
		}
	}
	if (count == q->n && (seen_rep > nrep || seen_fail > nfail ||
			      (settled && (seen_rep != nrep ||
					   seen_fail != nfail))))
		violation("c%d: request %llu: entries %u replied %u failed, counts %u %u",
			  c->id, id, seen_rep, seen_fail, nrep, nfail);
	if (settled && nrep + nfail != q->n)
		violation("c%d: request %llu: %u+%u of %u settled after wait ALL",
			  c->id, id, nrep, nfail, q->n);
}

/* Read and check all results of @q, in one or two calls. */
static int co_read(struct coord *c, struct req *q, uint32_t flags,
		   bool settled, bool early)
{
	struct fanout_results r;
	uint32_t split = q->n, nrep, nfail;
	int ret;

	prep_results(c, q, q->n);
	if (!flags && q->n > 1 && chance(c, 20))
		split = 1 + rnd_below(&c->rng, q->n - 1);
	memset(&r, 0, sizeof(r));
	r.id = q->id;
	r.results = (uintptr_t)c->res;
	r.count = split;
	r.flags = flags;
	ret = fanout_results(c->fd, &r);
	if (ret)
		goto fail;
	if (r.count != split || r.ntargets != q->n)
		violation("c%d: request %llu: results count %u of %u, want %u of %u",
			  c->id, (unsigned long long)q->id, r.count,
			  r.ntargets, split, q->n);
	if (split < q->n) {
		memset(&r, 0, sizeof(r));
		r.id = q->id;
		r.results = (uintptr_t)&c->res[split];
		r.first = split;
		r.count = q->n;
		ret = fanout_results(c->fd, &r);
		if (ret)
			goto fail;
		if (r.count != q->n - split)
			violation("c%d: request %llu: results from %u: %u, want %u",
				  c->id, (unsigned long long)q->id, split,
				  r.count, q->n - split);
	}
	nrep = r.nreplied;
	nfail = r.nfailed;
	merge(c, q, q->n, nrep, nfail, now_ns(), settled, early);
	return 0;
fail:
	violation("c%d: results of request %llu (flags %u): %d", c->id,
		  (unsigned long long)q->id, flags, ret);
	return ret;
}

/* Check what a wait (or the wait of a call) gave back. */
static int wait_check(struct coord *c, struct req *q,
		      const struct fanout_wait *w, int ret, int64_t start,
		      int64_t end, bool timed)
{
	uint32_t nrep = w->nreplied, nfail = w->nfailed;
	unsigned long long id = q->id;
	int64_t late, from, stalled = -1;
	bool settled;

	c->st.waits++;
	if (ret == -EINTR) {
		c->st.eintr++;
	} else if (ret == -ETIME) {
		c->st.etime++;
		if (!timed)
			violation("c%d: request %llu: -ETIME from a wait without timeout",
				  c->id, id);
	} else if (ret) {
		violation("c%d: request %llu: wait: %d", c->id, id, ret);
		return ret;
	}
	if (w->ntargets != q->n)
		violation("c%d: request %llu: wait says %u targets, want %u",
			  c->id, id, w->ntargets, q->n);
	if (nrep + nfail > q->n || nrep < q->last_rep || nfail < q->last_fail)
		violation("c%d: request %llu: wait counts %u+%u of %u, earlier %u+%u",
			  c->id, id, nrep, nfail, q->n, q->last_rep,
			  q->last_fail);
	q->last_rep = nrep;
	q->last_fail = nfail;
	settled = nrep + nfail == q->n;
	if (!ret && !settled &&
	    !(w->mode == FANOUT_WAIT_FAILFAST && nfail) &&
	    !(w->mode == FANOUT_WAIT_QUORUM && nrep >= w->quorum))
		violation("c%d: request %llu: wait mode %u quorum %u returned with %u+%u of %u",
			  c->id, id, w->mode, w->quorum, nrep, nfail, q->n);
	from = start > q->deadline ? start : q->deadline;
	late = end - from;
	if (late > SOAK_BOUND_MS * MS) {
		stalled = stalled_in(from, end);
		if (late - stalled > SOAK_BOUND_MS * MS)
			violation("c%d: request %llu (deadline %u ms, %u targets): wait mode %u (%d) ended %lld ms after the deadline (%lld ms of it stalled)",
				  c->id, id, q->d_ms, q->n, w->mode, ret,
				  (long long)late / MS,
				  (long long)stalled / MS);
	}
	if (!ret && settled && start <= q->deadline && end > q->deadline) {
		int k = 0;

		while (k < NOVER - 1 && late > over_ms[k] * MS)
			k++;
		c->st.over_hist[k]++;
		if (late > c->st.max_over)
			c->st.max_over = late;
		if (late > 50 * MS) {
			late -= stalled >= 0 ? stalled : stalled_in(from, end);
			if (late > c->st.max_net)
				c->st.max_net = late;
		} else if (late > c->st.max_net) {
			c->st.max_net = late;
		}
	}
	return ret;
}

/* Wait on @q; @timeout < 0: without timeout. */
static int co_wait(struct coord *c, struct req *q, uint32_t mode,
		   uint32_t quorum, int64_t timeout)
{
	struct fanout_wait w;
	int64_t start, end;
	int ret;

	memset(&w, 0, sizeof(w));
	w.id = q->id;
	w.mode = mode;
	w.quorum = quorum;
	if (timeout >= 0) {
		w.flags = FANOUT_WAIT_TIMEOUT;
		w.timeout_ns = timeout;
	}
	start = now_ns();
	atomic_store(&c->wait_bound, (start > q->deadline ? start :
				      q->deadline) + SOAK_BOUND_MS * MS);
	ret = fanout_wait(c->fd, &w);
	end = now_ns();
	atomic_store(&c->wait_bound, 0);
	return wait_check(c, q, &w, ret, start, end, timeout >= 0);
}

static void pick_wait(struct coord *c, uint32_t n, uint32_t *mode,
		      uint32_t *quorum, int64_t *timeout)
{
	uint32_t r = rnd_below(&c->rng, 100);

	*quorum = 0;
	if (r < 50) {
		*mode = FANOUT_WAIT_ALL;
	} else if (r < 75) {
		*mode = FANOUT_WAIT_FAILFAST;
	} else {
		*mode = FANOUT_WAIT_QUORUM;
		*quorum = 1 + rnd_below(&c->rng, n + 2);
	}
	*timeout = -1;
	if (chance(c, 35))
		*timeout = chance(c, 10) ? 0 : rnd_below(&c->rng, 300) * MS;
}

/* Count the outcome of a request that is gone, and free it. */
static void co_finalize(struct coord *c, struct req *q)
{
	bool timer = false;

	c->st.targets += q->n;
	for (uint32_t i = 0; i < q->n; i++) {
		if (!q->t[i].known)
			c->st.unobserved++;
		else if (q->t[i].state == FANOUT_TARGET_REPLIED)
			c->st.replies++;
		else
			c->st.failed[reason_of(q, i)]++;
		if (q->t[i].known && q->t[i].status == -ETIMEDOUT)
			timer = true;
	}
	c->st.timer_fanouts += timer;
	req_free(q);
}

/* After a release, the id is unknown to every operation. */
static void co_check_gone(struct coord *c, uint64_t id)
{
	struct fanout_results r = { .id = id };
	struct fanout_wait w = { .id = id };
	int ret;

	switch (rnd_below(&c->rng, 4)) {
	case 0:
		ret = fanout_wait(c->fd, &w);
		break;
	case 1:
		ret = fanout_results(c->fd, &r);
		break;
	case 2:
		ret = fanout_cancel(c->fd, id);
		break;
	default:
		ret = fanout_release(c->fd, id);
		break;
	}
	if (ret != -ENOENT)
		violation("c%d: request %llu released, still known: %d",
			  c->id, (unsigned long long)id, ret);
}

static void co_release(struct coord *c, struct req *q, bool settled)
{
	int ret;

	if (chance(c, 50)) {
		co_read(c, q, FANOUT_RESULTS_RELEASE, settled, false);
	} else {
		ret = fanout_release(c->fd, q->id);
		if (ret)
			violation("c%d: release request %llu: %d", c->id,
				  (unsigned long long)q->id, ret);
	}
	if (!settled)
		c->st.early_releases++;
	if (chance(c, 30))
		co_check_gone(c, q->id);
	co_finalize(c, q);
}

static void co_cancel(struct coord *c, struct req *q)
{
	int ret;

	q->cancelled = true;
	c->st.cancels++;
	ret = fanout_cancel(c->fd, q->id);
	if (ret)
		violation("c%d: cancel request %llu: %d", c->id,
			  (unsigned long long)q->id, ret);
	/* Everything is settled now: a wait for ALL that only polls. */
	ret = co_wait(c, q, FANOUT_WAIT_ALL, 0, 0);
	if (ret)
		violation("c%d: request %llu: not settled right after cancel: %d",
			  c->id, (unsigned long long)q->id, ret);
}

/* Wait until @q settled, read it twice, then release or keep it. */
static void co_finish(struct coord *c, struct req *q)
{
	for (;;) {
		int64_t timeout = chance(c, 30) ?
				  rnd_below(&c->rng, 200) * MS : -1;

		if (!co_wait(c, q, FANOUT_WAIT_ALL, 0, timeout))
			break;
		if (now_ns() - q->deadline - stalled_in(q->deadline, now_ns()) >
		    3 * SOAK_BOUND_MS * MS) {
			violation("c%d: request %llu never settled",
				  c->id, (unsigned long long)q->id);
			co_cancel(c, q);
			break;
		}
	}
	co_read(c, q, 0, true, false);
	co_read(c, q, 0, true, false);
	if (c->nlinger < LINGER_MAX && chance(c, 50)) {
		q->linger_until = now_ns() +
				  (100 + rnd_below(&c->rng, 700)) * MS;
		c->linger[c->nlinger++] = q;
		c->st.lingered++;
		return;
	}
	co_release(c, q, true);
}

static void co_release_lingering(struct coord *c, bool all)
{
	int64_t now = now_ns();

	for (int i = 0; i < c->nlinger;) {
		struct req *q = c->linger[i];

		if (!all && now < q->linger_until) {
			i++;
			continue;
		}
		c->linger[i] = c->linger[--c->nlinger];
		co_release(c, q, true);
	}
}

/* Wait for a sent request some way, then see it through. */
static void co_handle(struct coord *c, struct req *q, int wret, bool waited,
		      uint32_t mode)
{
	uint32_t a = rnd_below(&c->rng, 100), quorum;
	int64_t timeout;

	if (!waited) {
		if (a < 8) {
			co_cancel(c, q);
			co_finish(c, q);
			return;
		}
		if (a < 14) {
			co_release(c, q, false);
			return;
		}
		pick_wait(c, q->n, &mode, &quorum, &timeout);
		wret = co_wait(c, q, mode, quorum, timeout);
		a = rnd_below(&c->rng, 100);
	}
	if (mode != FANOUT_WAIT_ALL || wret) {
		if (a < 10) {
			co_cancel(c, q);
		} else if (a < 20) {
			co_release(c, q, false);
			return;
		} else if (a < 40) {
			co_read(c, q, 0, false, false);
		}
	}
	co_finish(c, q);
}

static int co_open(struct coord *c)
{
	c->fd = fanout_open(0);
	if (c->fd < 0 || fanout_group_open(c->fd, sh->name)) {
		violation("c%d: open %s: %d", c->id, sh->name, c->fd);
		return -1;
	}
	return 0;
}

/* Close the endpoint with requests in flight: everything is released. */
static void co_churn(struct coord *c, struct req **q, int k)
{
	struct fanout_results r = { .id = q[0]->id };
	int ret;

	c->st.churns++;
	fanout_close(c->fd);
	for (int j = 0; j < k; j++)
		co_finalize(c, q[j]);
	while (c->nlinger)
		co_finalize(c, c->linger[--c->nlinger]);
	if (co_open(c))
		return;
	ret = fanout_results(c->fd, &r);
	if (ret != -ENOENT)
		violation("c%d: request of a closed endpoint still known: %d",
			  c->id, ret);
}

/*
 * Send one to four requests, then wait for each. A burst sends them all
 * to the same one or two members, whose queue may fill up.
 */
static void co_batch(struct coord *c)
{
	struct req *q[BATCH_MAX];
	struct fanout_send s;
	int k = 1 + rnd_below(&c->rng, BATCH_MAX), j, ret;
	__u64 burst = 0;

	if (chance(c, 15)) {
		k = BATCH_MAX;
		burst = 1ULL << rnd_below(&c->rng, MEMBERS) |
			1ULL << rnd_below(&c->rng, MEMBERS);
	}
	for (j = 0; j < k; j++) {
		q[j] = req_new(c, burst);
		if (!q[j])
			break;
		req_send_args(q[j], &s);
		req_stamp(q[j]);
		ret = fanout_send(c->fd, &s);
		if (ret) {
			violation("c%d: send: %d", c->id, ret);
			req_free(q[j]);
			break;
		}
		if (!req_sent(c, q[j], &s)) {
			req_free(q[j]);
			break;
		}
		if (chance(c, 70)) {
			q[j]->early_read = true;
			co_read(c, q[j], 0, false, true);
		}
	}
	k = j;
	if (k && rnd_below(&c->rng, 1000) < 15) {
		co_churn(c, q, k);
		return;
	}
	for (j = 0; j < k; j++)
		co_handle(c, q[j], 0, false, 0);
}

/* One fanout_call, then see the request through. */
static void co_call(struct coord *c)
{
	struct req *q = req_new(c, 0);
	struct fanout_call cl;
	uint32_t count, mode, quorum;
	int64_t timeout, end;
	bool release;
	int ret;

	if (!q)
		return;
	c->st.calls++;
	memset(&cl, 0, sizeof(cl));
	req_send_args(q, &cl.send);
	pick_wait(c, q->n, &mode, &quorum, &timeout);
	cl.wait.mode = mode;
	cl.wait.quorum = quorum;
	if (timeout >= 0) {
		cl.wait.flags = FANOUT_WAIT_TIMEOUT;
		cl.wait.timeout_ns = timeout;
	}
	count = q->n;
	if (chance(c, 20))
		count = 0;
	else if (chance(c, 25))
		count = rnd_below(&c->rng, q->n + 1);
	prep_results(c, q, count);
	release = chance(c, 35);
	cl.results.results = (uintptr_t)c->res;
	cl.results.count = count;
	cl.results.flags = release ? FANOUT_RESULTS_RELEASE : 0;
	req_stamp(q);
	atomic_store(&c->wait_bound, q->deadline + SOAK_BOUND_MS * MS);
	ret = fanout_call(c->fd, &cl);
	end = now_ns();
	atomic_store(&c->wait_bound, 0);
	if (ret && ret != -ETIME && ret != -EINTR) {
		violation("c%d: call: %d", c->id, ret);
		req_free(q);
		return;
	}
	if (!req_sent(c, q, &cl.send)) {
		req_free(q);
		return;
	}
	if (cl.wait.id != q->id || cl.results.id != q->id)
		violation("c%d: call: ids %llu %llu %llu", c->id,
			  (unsigned long long)q->id,
			  (unsigned long long)cl.wait.id,
			  (unsigned long long)cl.results.id);
	wait_check(c, q, &cl.wait, ret, q->t0, end, timeout >= 0);
	if (!ret) {
		uint32_t want = count < q->n ? count : q->n;

		if (cl.results.count != want || cl.results.ntargets != q->n)
			violation("c%d: call %llu: %u results of %u, want %u of %u",
				  c->id, (unsigned long long)q->id,
				  cl.results.count, cl.results.ntargets, want,
				  q->n);
		else
			merge(c, q, want, cl.results.nreplied,
			      cl.results.nfailed, end, mode == FANOUT_WAIT_ALL,
			      false);
		if (release) {
			if (cl.results.nreplied + cl.results.nfailed < q->n)
				c->st.early_releases++;
			if (chance(c, 30))
				co_check_gone(c, q->id);
			co_finalize(c, q);
			return;
		}
	}
	co_handle(c, q, ret, true, mode);
}

/* ---- the expected state --------------------------------------------- */

/* The controller: sets a state, waits until it converged, again. */
struct state_ctl {
	pthread_t thread;
	int fd;
	uint64_t sets, converged;
	int64_t max_ns;
};

/* Wait until generation @gen converged; false on a violation or the end. */
static bool state_converge(struct state_ctl *sc, __u64 gen)
{
	int64_t t0 = now_ns(), now;
	__u64 up, conf;

	for (;;) {
		struct fanout_state_wait w = {
			.generation = gen,
			.flags = FANOUT_STATE_WAIT_TIMEOUT,
			.timeout_ns = 100 * MS,
			.bitmap_bits = MEMBERS,
			.up = (uintptr_t)&up,
			.confirmed = (uintptr_t)&conf,
		};
		int ret = fanout_state_wait(sc->fd, &w);

		now = now_ns();
		if (!ret) {
			if ((up & ~conf) || w.nup != w.nconfirmed)
				violation("state %llu: wait returned with up %#llx confirmed %#llx",
					  (unsigned long long)gen,
					  (unsigned long long)up,
					  (unsigned long long)conf);
			if (now - t0 > sc->max_ns)
				sc->max_ns = now - t0;
			sc->converged++;
			return true;
		}
		if (ret != -ETIME && ret != -EINTR) {
			violation("state %llu: wait: %d", (unsigned long long)gen,
				  ret);
			return false;
		}
		if (atomic_load(&sh->ending) || atomic_load(&sh->stop))
			return false;
		if (now - t0 - stalled_in(t0, now) > STATE_BOUND_MS * MS) {
			violation("state %llu not converged in %d ms: up %#llx confirmed %#llx",
				  (unsigned long long)gen, STATE_BOUND_MS,
				  (unsigned long long)up,
				  (unsigned long long)conf);
			return false;
		}
	}
}

static void *state_main(void *arg)
{
	struct state_ctl *sc = arg;
	uint64_t rng = mix64(now_ns());

	while (!atomic_load(&sh->ending) && !atomic_load(&sh->stop)) {
		uint64_t blob = rnd(&rng);
		__u64 gen;
		int ret;

		ret = fanout_state_set(sc->fd, (uint32_t)rnd(&rng), &blob,
				       sizeof(blob), &gen);
		if (ret) {
			violation("state set: %d", ret);
			break;
		}
		sc->sets++;
		if (!state_converge(sc, gen))
			break;
		sleep_ns((20 + rnd_below(&rng, 280)) * MS);
	}
	return NULL;
}

static void *co_main(void *arg)
{
	struct coord *c = arg;

	if (co_open(c))
		goto out;
	while (!atomic_load(&sh->stop) && !atomic_load(&sh->ending)) {
		co_release_lingering(c, false);
		if (chance(c, 30))
			co_call(c);
		else
			co_batch(c);
	}
	co_release_lingering(c, true);
	fanout_close(c->fd);
out:
	atomic_store(&c->done, 1);
	return NULL;
}

static void on_sigusr1(int sig)
{
}

/* ---- the test ---------------------------------------------------------- */

static unsigned int soak_seconds(void)
{
	const char *s = getenv("SOAK_SECONDS");
	long v = s ? atol(s) : 0;

	return v > 0 ? v : SOAK_DEFAULT_SECONDS;
}

/* An agent slot chosen at random, or -1 if none is running. */
static int random_agent(uint64_t *rng)
{
	int i = rnd_below(rng, SLOTS);

	return sh->slot[i].pid > 0 ? i : -1;
}

FIXTURE(soak) {
};

FIXTURE_SETUP(soak)
{
}

/* After a failed ASSERT, no agent may outlive the test. */
FIXTURE_TEARDOWN(soak)
{
	for (int i = 0; sh && i < SLOTS; i++) {
		if (sh->slot[i].pid > 0) {
			kill(sh->slot[i].pid, SIGKILL);
			waitpid(sh->slot[i].pid, NULL, 0);
		}
	}
}

/* The timeout is set from SOAK_SECONDS below, before the harness runs. */
TEST_F_TIMEOUT(soak, random_workload,
	       SOAK_DEFAULT_SECONDS + SOAK_SLACK_SECONDS)
{
	unsigned int seconds = soak_seconds();
	const char *seed_env = getenv("SOAK_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) :
				   (uint64_t)now_ns();
	uint64_t rng = seed, sigs = 0, watchdog = 0;
	int64_t max_lat = 0, t;
	struct fanout_group_stats gs1, gs2;
	struct fanout_group_params p;
	struct state_ctl sc;
	struct sigaction sa;
	struct coord *co;
	struct cstats all;
	struct fanout_live base, end_live;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t probe[64];
	int64_t max_stall = 0, total_stall = 0;
	int64_t start, end, next_kill, next_sig, next_note, now;
	uint64_t obs_fail, gone;
	int owner, i;

	ASSERT_EQ(0, fanout_live_read(&base)) {
		TH_LOG("cannot read %s", FANOUT_LIVE_PATH);
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	conv_receipts = mmap(NULL, MEMBERS * sizeof(*conv_receipts),
			     PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, conv_receipts);
	slot_receipts = mmap(NULL, MEMBERS * sizeof(*slot_receipts),
			     PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, slot_receipts);
	co = calloc(COORDS, sizeof(*co));
	ASSERT_NE(NULL, co);
	memset(&tot, 0, sizeof(tot));
	fanout_test_name(sh->name, "soak");
	memset(&p, 0, sizeof(p));
	strcpy(p.name, sh->name);
	p.mode = 0666;
	p.max_members = MEMBERS;
	p.max_queue = MAX_QUEUE;
	p.deadline_ms = GROUP_DEADLINE_MS;
	owner = fanout_open(0);
	ASSERT_LE(0, owner);
	ASSERT_EQ(0, fanout_group_create(owner, &p));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: waits see EINTR */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	TH_LOG("%u s, seed %llu, %d members, %d agents, %d coordinators, bound %d ms",
	       seconds, (unsigned long long)seed, MEMBERS, SLOTS, COORDS,
	       SOAK_BOUND_MS);
	if (ncpus < 1 || ncpus > 64)
		ncpus = ncpus < 1 ? 1 : 64;
	for (i = 0; i < ncpus; i++)
		ASSERT_EQ(0, pthread_create(&probe[i], NULL, stall_probe,
					    (void *)(long)i));
	for (i = 0; i < SLOTS; i++)
		agent_spawn(i);
	for (i = 0; i < COORDS; i++) {
		co[i].id = i;
		co[i].rng = mix64(seed + 1000 + i);
		co[i].expect = malloc(RBUF_SIZE);
		ASSERT_NE(NULL, co[i].expect);
		for (int m = 0; m < MEMBERS; m++) {
			co[i].rbuf[m] = malloc(RBUF_SIZE);
			ASSERT_NE(NULL, co[i].rbuf[m]);
		}
	}
	for (i = 0; i < COORDS; i++)
		ASSERT_EQ(0, pthread_create(&co[i].thread, NULL, co_main,
					    &co[i]));
	memset(&sc, 0, sizeof(sc));
	sc.fd = fanout_open(0);
	ASSERT_LE(0, sc.fd);
	ASSERT_EQ(0, fanout_group_open(sc.fd, sh->name));
	ASSERT_EQ(0, pthread_create(&sc.thread, NULL, state_main, &sc));

	/* Supervise: kill and re-fork agents, interrupt coordinators. */
	start = now_ns();
	end = start + seconds * 1000 * MS;
	next_kill = start + (50 + rnd_below(&rng, 350)) * MS;
	next_sig = start + (20 + rnd_below(&rng, 180)) * MS;
	next_note = start + 60000 * MS;
	for (;;) {
		int done = 0;

		now = now_ns();
		if (now >= end || atomic_load(&sh->stop))
			atomic_store(&sh->ending, 1);
		agents_reap();
		if (!atomic_load(&sh->ending) && now >= next_kill) {
			i = random_agent(&rng);
			if (i >= 0)
				agent_kill(i, true);
			next_kill = now + (50 + rnd_below(&rng, 350)) * MS;
		}
		if (!atomic_load(&sh->ending) && now >= next_sig) {
			i = rnd_below(&rng, COORDS);
			if (!atomic_load(&co[i].done)) {
				pthread_kill(co[i].thread, SIGUSR1);
				sigs++;
			}
			next_sig = now + (20 + rnd_below(&rng, 180)) * MS;
		}
		/* A wait past its bound is interrupted, and then fails. */
		for (i = 0; i < COORDS; i++) {
			int64_t b = atomic_load(&co[i].wait_bound);

			done += atomic_load(&co[i].done);
			if (b && now > b + 200 * MS &&
			    !atomic_load(&co[i].done)) {
				pthread_kill(co[i].thread, SIGUSR1);
				watchdog++;
			}
		}
		if (done == COORDS)
			break;
		if (now >= next_note) {
			fprintf(stderr, "# soak: %lld s, %llu fan-outs, %llu kills\n",
				(long long)(now - start) / 1000 / MS,
				(unsigned long long)atomic_load(&sh->fanouts),
				(unsigned long long)tot.kills);
			next_note += 60000 * MS;
		}
		if (now > end + 60000 * MS && !atomic_load(&sh->stop))
			violation("coordinators still busy 60 s after the end");
		/* How late a 5 ms sleep ends: the guest's scheduling delay. */
		t = now_ns();
		sleep_ns(5 * MS);
		t = now_ns() - t - 5 * MS;
		if (t > max_lat)
			max_lat = t;
	}
	for (i = 0; i < COORDS; i++)
		pthread_join(co[i].thread, NULL);
	pthread_join(sc.thread, NULL);
	close(sc.fd);
	atomic_store(&sh->probes_stop, 1);
	for (i = 0; i < ncpus; i++)
		pthread_join(probe[i], NULL);
	for (uint32_t k = 0; k < atomic_load(&sh->nstalls) && k < NSTALLS;
	     k++) {
		int64_t d = sh->stall[k].end - sh->stall[k].start;

		total_stall += d;
		if (d > max_stall)
			max_stall = d;
	}

	/* Every request is released: nothing pending. */
	ASSERT_EQ(0, fanout_group_stats(owner, &gs1));
	for (i = 0; i < SLOTS; i++)
		agent_kill(i, false);
	agents_reap();
	ASSERT_EQ(0, fanout_group_stats(owner, &gs2));

	memset(&all, 0, sizeof(all));
	for (i = 0; i < COORDS; i++) {
		struct cstats *s = &co[i].st;

		all.fanouts += s->fanouts;
		all.calls += s->calls;
		all.targets += s->targets;
		all.replies += s->replies;
		for (int r = 0; r < NREASON; r++)
			all.failed[r] += s->failed[r];
		all.unobserved += s->unobserved;
		all.cancels += s->cancels;
		all.early_releases += s->early_releases;
		all.lingered += s->lingered;
		all.churns += s->churns;
		all.waits += s->waits;
		all.eintr += s->eintr;
		all.etime += s->etime;
		all.timer_fanouts += s->timer_fanouts;
		if (s->max_over > all.max_over)
			all.max_over = s->max_over;
		if (s->max_net > all.max_net)
			all.max_net = s->max_net;
		for (int k = 0; k < NOVER; k++)
			all.over_hist[k] += s->over_hist[k];
		for (int m = 0; m < MEMBERS; m++)
			free(co[i].rbuf[m]);
		free(co[i].expect);
	}
	obs_fail = 0;
	for (int r = 0; r < NREASON; r++)
		obs_fail += all.failed[r];
	gone = all.unobserved;

	TH_LOG("%llu fan-outs (%llu calls), %llu targets: %llu replied, %llu failed, %llu unobserved (released or closed before settled)",
	       (unsigned long long)all.fanouts, (unsigned long long)all.calls,
	       (unsigned long long)all.targets,
	       (unsigned long long)all.replies, (unsigned long long)obs_fail,
	       (unsigned long long)gone);
	TH_LOG("failures: %llu -ETIMEDOUT, %llu -ENOTCONN, %llu -EPIPE, %llu -ENOBUFS, %llu -ECANCELED, %llu declined",
	       (unsigned long long)all.failed[R_TIMEDOUT],
	       (unsigned long long)all.failed[R_NOTCONN],
	       (unsigned long long)all.failed[R_PIPE],
	       (unsigned long long)all.failed[R_NOBUFS],
	       (unsigned long long)all.failed[R_CANCELED],
	       (unsigned long long)all.failed[R_DECLINED]);
	TH_LOG("conversations: %llu requests received in order, %llu of them by another agent than the one before",
	       (unsigned long long)atomic_load(&sh->conv_recvs),
	       (unsigned long long)atomic_load(&sh->conv_moves));
	TH_LOG("%llu fan-outs hit their deadline; max overshoot past a deadline %lld ms, %lld ms less CPU stalls (bound %d ms)",
	       (unsigned long long)all.timer_fanouts,
	       (long long)all.max_over / MS, (long long)all.max_net / MS,
	       SOAK_BOUND_MS);
	TH_LOG("guest CPU stalls over %d ms: %u, longest %lld ms, %lld ms in all; a 5 ms sleep of the supervisor ended up to %lld ms late",
	       STALL_MIN_MS, atomic_load(&sh->nstalls),
	       (long long)max_stall / MS, (long long)total_stall / MS,
	       (long long)max_lat / MS);
	TH_LOG("overshoots: %llu <= 50 ms, %llu <= 100, %llu <= 250, %llu <= 500, %llu <= 1000, %llu more",
	       (unsigned long long)all.over_hist[0],
	       (unsigned long long)all.over_hist[1],
	       (unsigned long long)all.over_hist[2],
	       (unsigned long long)all.over_hist[3],
	       (unsigned long long)all.over_hist[4],
	       (unsigned long long)all.over_hist[5]);
	TH_LOG("%llu waits (%llu -EINTR, %llu -ETIME), %llu cancels, %llu released early, %llu lingered, %llu endpoint closes, %llu signals, %llu watchdog signals",
	       (unsigned long long)all.waits, (unsigned long long)all.eintr,
	       (unsigned long long)all.etime, (unsigned long long)all.cancels,
	       (unsigned long long)all.early_releases,
	       (unsigned long long)all.lingered,
	       (unsigned long long)all.churns, (unsigned long long)sigs,
	       (unsigned long long)watchdog);
	TH_LOG("agents: %llu kills, %llu exits, %llu started, %llu requests received, %llu leaves, %llu joins by ANY",
	       (unsigned long long)tot.kills, (unsigned long long)tot.exits,
	       (unsigned long long)tot.spawns,
	       (unsigned long long)tot.ast[AST_RECV],
	       (unsigned long long)tot.ast[AST_LEAVE],
	       (unsigned long long)tot.ast[AST_JOIN_ANY]);
	TH_LOG("agents: %llu slow, %llu silent (late reply: %llu -EALREADY, %llu -ENOENT once released, %llu accepted within the bound), %llu duplicates",
	       (unsigned long long)tot.ast[AST_SLOW],
	       (unsigned long long)tot.ast[AST_SILENT],
	       (unsigned long long)tot.ast[AST_LATE_EALREADY],
	       (unsigned long long)tot.ast[AST_LATE_ENOENT],
	       (unsigned long long)tot.ast[AST_LATE_OK],
	       (unsigned long long)tot.ast[AST_DUP]);
	TH_LOG("agents' replies: %llu accepted, %llu declines accepted, %llu -EALREADY, %llu -ENOENT, %llu -ENOTCONN; killed in a reply: %llu taken (per the write-back), %llu of unknown fate",
	       (unsigned long long)tot.out[OUT_REPLY],
	       (unsigned long long)tot.out[OUT_DECLINE],
	       (unsigned long long)tot.out[OUT_EALREADY],
	       (unsigned long long)tot.out[OUT_ENOENT],
	       (unsigned long long)tot.out[OUT_ENOTCONN],
	       (unsigned long long)tot.writeback,
	       (unsigned long long)tot.uncertain);
	TH_LOG("group: %llu requests, %llu replies, %llu failures, %llu dup, %llu stale, %u pending, %u up",
	       (unsigned long long)gs2.requests,
	       (unsigned long long)gs2.replies,
	       (unsigned long long)gs2.failures,
	       (unsigned long long)gs2.dup_replies,
	       (unsigned long long)gs2.stale_replies, gs2.pending,
	       gs2.members_up);
	TH_LOG("state: %llu sets, %llu converged (slowest %lld ms); confirmations %llu accepted, %llu -EALREADY, %llu -ESTALE; group: %llu, %llu, %llu",
	       (unsigned long long)sc.sets, (unsigned long long)sc.converged,
	       (long long)(sc.max_ns / MS),
	       (unsigned long long)atomic_load(&sh->confirms),
	       (unsigned long long)atomic_load(&sh->dup_confirms),
	       (unsigned long long)atomic_load(&sh->stale_confirms),
	       (unsigned long long)gs2.confirms,
	       (unsigned long long)gs2.dup_confirms,
	       (unsigned long long)gs2.stale_confirms);
	for (i = 0; i < atomic_load(&sh->nviol) && i < NMSGS; i++)
		TH_LOG("violation: %s", sh->msg[i]);
	EXPECT_EQ(0, atomic_load(&sh->nviol));

	/* Every state but the last one set converged. */
	EXPECT_LT(0, sc.converged);
	EXPECT_GE(sc.converged + 1, sc.sets);
	/* An agent killed after its confirm went through is not counted. */
	EXPECT_LE(atomic_load(&sh->confirms), gs2.confirms);
	EXPECT_GE(atomic_load(&sh->confirms) + tot.kills, gs2.confirms);
	EXPECT_LE(atomic_load(&sh->dup_confirms), gs2.dup_confirms);
	EXPECT_LE(atomic_load(&sh->stale_confirms), gs2.stale_confirms);

	/* The group's counters agree with what everybody saw. */
	EXPECT_EQ(0, gs1.pending);
	EXPECT_EQ(0, gs2.members_up);
	EXPECT_EQ(all.fanouts, gs2.requests);
	EXPECT_EQ(all.targets, gs2.replies + gs2.failures);
	EXPECT_LE(all.replies, gs2.replies);
	EXPECT_GE(all.replies + gone, gs2.replies);
	EXPECT_LE(obs_fail, gs2.failures);
	EXPECT_GE(obs_fail + gone, gs2.failures);
	EXPECT_EQ(tot.out[OUT_REPLY], gs2.replies);
	EXPECT_LE(all.failed[R_DECLINED], tot.out[OUT_DECLINE]);
	EXPECT_GE(all.failed[R_DECLINED] + gone, tot.out[OUT_DECLINE]);
	EXPECT_LE(tot.out[OUT_EALREADY], gs2.dup_replies);
	EXPECT_GE(tot.out[OUT_EALREADY] + tot.uncertain, gs2.dup_replies);
	EXPECT_LE(tot.out[OUT_ENOENT], gs2.stale_replies);
	EXPECT_GE(tot.out[OUT_ENOENT] + tot.uncertain, gs2.stale_replies);
	EXPECT_EQ(0, tot.out[OUT_OTHER]);
	EXPECT_LT(0, all.fanouts);
	EXPECT_LT(0, tot.kills);

	/* Everything torn down: the module holds what it held before. */
	EXPECT_EQ(0, fanout_group_destroy(owner, sh->name));
	EXPECT_EQ(0, fanout_close(owner));
	ASSERT_EQ(0, fanout_live_read(&end_live));
	TH_LOG("live: users %ld groups %ld requests %ld bytes %ld (baseline %ld %ld %ld %ld)",
	       end_live.users, end_live.groups, end_live.requests,
	       end_live.bytes, base.users, base.groups, base.requests,
	       base.bytes);
	EXPECT_EQ(base.groups, end_live.groups);
	EXPECT_EQ(base.requests, end_live.requests);
	EXPECT_EQ(base.bytes, end_live.bytes);
	EXPECT_EQ(base.users, end_live.users);
	free(co);
	munmap(slot_receipts, MEMBERS * sizeof(*slot_receipts));
	munmap(conv_receipts, MEMBERS * sizeof(*conv_receipts));
	munmap(sh, sizeof(*sh));
	sh = NULL;
}

/* TEST_F_TIMEOUT takes a constant: derive the real one from the duration. */
static void __attribute__((constructor)) soak_set_timeout(void)
{
	_soak_random_workload_object.timeout = soak_seconds() +
					       SOAK_SLACK_SECONDS;
}

TEST_HARNESS_MAIN
