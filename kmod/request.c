// SPDX-License-Identifier: GPL-2.0
/*
 * fanout requests, the coordinator's side: send, wait, call, results,
 * cancel and release, and the deadline timer.
 */
#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/overflow.h>
#include <linux/once.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "fanout.h"
#include "state.h"
#include "trace.h"

/* Free @p unless it lives in a reply block (freed with the block). */
void fanout_payload_free(struct fanout_payload *p)
{
	if (p && !p->borrowed)
		fanout_free(p);
}

/* A payload of @len bytes copied from user address @addr. */
struct fanout_payload *fanout_payload_from_user(u64 addr, u32 len)
{
	struct fanout_payload *p;

	if (len > fanout_max_payload)
		return ERR_PTR(-EMSGSIZE);
	p = fanout_alloc(struct_size(p, data, len));
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->len = len;
	p->borrowed = 0;
	if (copy_from_user(p->data, u64_to_user_ptr(addr), len)) {
		fanout_free(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/**
 * fanout_reply_block_room() - bytes a reply of @len takes in a block
 * @len: payload length
 *
 * Return: the payload's size, rounded up to 8.
 */
size_t fanout_reply_block_room(u32 len)
{
	return ALIGN(sizeof(struct fanout_payload) + len, 8);
}

/**
 * fanout_reply_block_alloc() - a block for replies of @size bytes in all
 * @size: the sum of their fanout_reply_block_room()
 *
 * Return: the block, or NULL when out of memory.
 */
struct fanout_reply_block *fanout_reply_block_alloc(size_t size)
{
	struct fanout_reply_block *b;

	b = fanout_alloc(struct_size(b, mem, size));
	if (!b)
		return NULL;
	INIT_LIST_HEAD(&b->node);
	b->used = 0;
	b->size = size;
	return b;
}

/**
 * fanout_reply_block_payload() - the next payload of @b, copied from user
 * @b: the block, with room for it
 * @addr: user address of the payload
 * @len: its length
 *
 * Return: the payload, or ERR_PTR(-EFAULT) (its room is lost).
 */
struct fanout_payload *fanout_reply_block_payload(struct fanout_reply_block *b,
						  u64 addr, u32 len)
{
	struct fanout_payload *p = (void *)(b->mem + b->used);

	if (WARN_ON_ONCE(b->used + fanout_reply_block_room(len) > b->size))
		return ERR_PTR(-ENOMEM);
	b->used += fanout_reply_block_room(len);
	p->len = len;
	p->borrowed = 1;
	if (copy_from_user(p->data, u64_to_user_ptr(addr), len))
		return ERR_PTR(-EFAULT);
	return p;
}

/**
 * fanout_reply_block_attach() - @req now holds a reply of @b
 * @req: the request
 * @b: the block, held by no request yet
 *
 * The block goes with the request. Group lock held.
 */
void fanout_reply_block_attach(struct fanout_request *req,
			       struct fanout_reply_block *b)
{
	lockdep_assert_held(&req->group->lock);
	list_add(&b->node, &req->reply_blocks);
}

/* Key and count of the UUIDs the module generates (fanout_uuid_gen()). */
static siphash_aligned_key_t fanout_uuid_key;
static atomic64_t fanout_uuid_seq;

/*
 * A new (version 4) UUID: a count, never used twice, through SipHash
 * with a key drawn at the first use, so that no two are alike and none
 * can be guessed from others; a fraction of the cost of drawing random
 * bytes per request.
 */
static void fanout_uuid_gen(u8 uuid[FANOUT_UUID_LEN])
{
	u64 n, r[2];

	get_random_once(&fanout_uuid_key, sizeof(fanout_uuid_key));
	n = atomic64_inc_return(&fanout_uuid_seq);
	r[0] = siphash_2u64(n, 0, &fanout_uuid_key);
	r[1] = siphash_2u64(n, 1, &fanout_uuid_key);
	memcpy(uuid, r, FANOUT_UUID_LEN);
	uuid[6] = (uuid[6] & 0x0f) | 0x40;
	uuid[8] = (uuid[8] & 0x3f) | 0x80;
}

/**
 * fanout_request_target() - the target of @req for member @member
 * @req: the request
 * @member: a member index
 *
 * A binary search: the targets are by ascending member index.
 * Return: the target, or NULL when @member is not one.
 */
struct fanout_target *fanout_request_target(struct fanout_request *req,
					    u32 member)
{
	u32 lo = 0, hi = req->ntargets;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (req->targets[mid].member == member)
			return &req->targets[mid];
		if (req->targets[mid].member < member)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void fanout_request_free(struct kref *ref)
{
	struct fanout_request *req = container_of(ref, struct fanout_request,
						  ref);
	struct fanout_reply_block *b, *tmp;
	u32 i;

	for (i = 0; i < req->ntargets; i++) {
		if (req->targets[i].payload != req->payload)
			fanout_payload_free(req->targets[i].payload);
		fanout_payload_free(req->targets[i].reply);
	}
	fanout_payload_free(req->payload);
	list_for_each_entry_safe(b, tmp, &req->reply_blocks, node)
		fanout_free(b);
	if (req->user) {
		fanout_user_uncharge_request(req->user, req->charged);
		fanout_user_put(req->user);
	}
	fanout_free(req);
}

void fanout_request_put(struct fanout_request *req)
{
	kref_put(&req->ref, fanout_request_free);
}

/**
 * fanout_target_settle() - give an open target its result
 * @t: the target, QUEUED or TAKEN
 * @status: agent status, or the failure reason
 * @state: %FANOUT_TARGET_REPLIED or %FANOUT_TARGET_FAILED
 *
 * Unlinks the target from the queue or taken list it is on, freeing its
 * agent message queue when nothing of it is left. The caller holds the
 * group lock and wakes the request's waiters afterwards.
 */
void fanout_target_settle(struct fanout_target *t, int status, u8 state)
{
	struct fanout_request *req = t->req;
	struct fanout_group *g = req->group;

	lockdep_assert_held(&g->lock);
	trace_fanout_settle(t, status, state);
	fanout_state_target_settle(g, t);
	fanout_amq_settle(g, t);
	t->status = status;
	/* Readers of a settled target's result pair with this release. */
	smp_store_release(&t->state, state);
	if (state == FANOUT_TARGET_REPLIED) {
		WRITE_ONCE(req->nreplied, req->nreplied + 1);
		g->stats.replies++;
	} else {
		WRITE_ONCE(req->nfailed, req->nfailed + 1);
		g->stats.failures++;
	}
}

/* Fail every open target of @req with @status. Group lock held. */
void fanout_request_fail_open(struct fanout_request *req, int status)
{
	u32 i;

	for (i = 0; i < req->ntargets; i++)
		if (fanout_target_open(&req->targets[i]))
			fanout_target_settle(&req->targets[i], status,
					     FANOUT_TARGET_FAILED);
}

/**
 * fanout_request_fail_batch() - fail open targets of @req, a batch at a time
 * @req: the request
 * @status: the failure reason
 * @next: in and out: the first target not looked at yet (0 to start)
 *
 * Fails up to %FANOUT_SETTLE_BATCH open targets from *@next on, for the
 * walks that must not hold the group lock for all of a large request.
 * Group lock held; the caller wakes the waiters.
 * Return: true when no open target is left from *@next on.
 */
bool fanout_request_fail_batch(struct fanout_request *req, int status,
			       u32 *next)
{
	unsigned int n = 0;

	for (; *next < req->ntargets; (*next)++) {
		struct fanout_target *t = &req->targets[*next];

		if (!fanout_target_open(t))
			continue;
		if (n++ == FANOUT_SETTLE_BATCH)
			return false;
		fanout_target_settle(t, status, FANOUT_TARGET_FAILED);
	}
	return true;
}

static bool fanout_request_settled(const struct fanout_request *req)
{
	return READ_ONCE(req->nreplied) + READ_ONCE(req->nfailed) >=
	       req->ntargets;
}

/**
 * fanout_request_wake_cond() - whether a waiter of @req may stop waiting
 * @req: the request
 * @mode: enum fanout_wait_mode
 * @quorum: replies wanted with %FANOUT_WAIT_QUORUM
 *
 * Lockless: reads the counters the group lock updates.
 * Return: true once the wake condition holds.
 */
bool fanout_request_wake_cond(const struct fanout_request *req, u32 mode,
			      u32 quorum)
{
	if (fanout_request_settled(req))
		return true;
	switch (mode) {
	case FANOUT_WAIT_FAILFAST:
		return READ_ONCE(req->nfailed) > 0;
	case FANOUT_WAIT_QUORUM:
		return READ_ONCE(req->nreplied) >= quorum;
	default:
		return false;
	}
}

/**
 * struct fanout_waiter - a coordinator parked on a request
 * @wqe: entry in fanout_request.wq
 * @req: the request
 * @mode: enum fanout_wait_mode
 * @quorum: replies wanted with %FANOUT_WAIT_QUORUM
 */
struct fanout_waiter {
	struct wait_queue_entry wqe;
	struct fanout_request *req;
	u32 mode;
	u32 quorum;
};

/* Wake the waiter only once its own condition holds: one switch a wait. */
static int fanout_waiter_wake(struct wait_queue_entry *wqe, unsigned int mode,
			      int sync, void *key)
{
	struct fanout_waiter *w = container_of(wqe, struct fanout_waiter, wqe);

	if (!fanout_request_wake_cond(w->req, w->mode, w->quorum))
		return 0;
	trace_fanout_wake(w->req, w->mode, w->quorum);
	return default_wake_function(wqe, mode, sync, key);
}

/* Let waiters whose condition now holds run. Group lock held. */
void fanout_request_wake(struct fanout_request *req)
{
	if (wq_has_sleeper(&req->wq))
		wake_up(&req->wq);
}

/*
 * Softirq context (HRTIMER_MODE_REL_SOFT), like a timer_list. It fires
 * twice: at half the deadline, for a status broadcast when targets are
 * still open, then at the deadline.
 */
static enum hrtimer_restart fanout_deadline_expired(struct hrtimer *timer)
{
	struct fanout_request *req = container_of(timer, struct fanout_request,
						  deadline);
	struct fanout_group *g = req->group;

	spin_lock_bh(&g->lock);
	if (!req->half_passed) {
		req->half_passed = true;
		if (fanout_request_open(req))
			fanout_status_event(g, FANOUT_REASON_DEADLINE_HALF);
		spin_unlock_bh(&g->lock);
		hrtimer_set_expires(timer, req->expires);
		return HRTIMER_RESTART;
	}
	trace_fanout_deadline(req);
	fanout_request_fail_open(req, -ETIMEDOUT);
	fanout_request_wake(req);
	spin_unlock_bh(&g->lock);
	return HRTIMER_NORESTART;
}

static int fanout_send_check(struct fanout_group *g, struct fanout_endpoint *ep,
			     const struct fanout_send *s)
{
	if (!(ep->perm & FANOUT_PERM_SEND))
		return -EACCES;
	if (s->flags & ~FANOUT_SEND_FLAGS)
		return -EINVAL;
	if (s->reserved0 || s->reserved[0] || s->reserved[1])
		return -EINVAL;
	if (s->targets && (!s->targets_bits || s->targets_bits > g->max_members))
		return -EINVAL;
	if (!s->targets && s->targets_bits)
		return -EINVAL;
	/* One payload per target needs targets the caller knows. */
	if ((s->flags & FANOUT_SEND_PER_TARGET) && !s->targets)
		return -EINVAL;
	if (!(s->flags & FANOUT_SEND_PER_TARGET) &&
	    s->payload_len > fanout_max_payload)
		return -EMSGSIZE;
	return 0;
}

/* The target bitmap: the caller's, or the members up right now. */
static int fanout_send_targets(struct fanout_group *g,
			       const struct fanout_send *s,
			       unsigned long *bits)
{
	size_t words = DIV_ROUND_UP(s->targets_bits, 64);
	u64 *arr;

	if (!s->targets) {
		spin_lock_bh(&g->lock);
		bitmap_copy(bits, g->up, g->max_members);
		spin_unlock_bh(&g->lock);
		return 0;
	}
	arr = fanout_alloc(words * sizeof(u64));
	if (!arr)
		return -ENOMEM;
	if (copy_from_user(arr, u64_to_user_ptr(s->targets),
			   words * sizeof(u64))) {
		fanout_free(arr);
		return -EFAULT;
	}
	bitmap_from_arr64(bits, arr, s->targets_bits);
	fanout_free(arr);
	if (bitmap_empty(bits, s->targets_bits))
		return -EINVAL;
	return 0;
}

/* One payload per target, from an array of struct fanout_buf. */
static int fanout_send_per_target(struct fanout_request *req,
				  const struct fanout_send *s)
{
	struct fanout_buf __user *ubufs = u64_to_user_ptr(s->payload);
	struct fanout_payload *p;
	struct fanout_buf buf;
	u32 i;

	if (s->payload_len != req->ntargets)
		return -EINVAL;
	for (i = 0; i < req->ntargets; i++) {
		if (copy_from_user(&buf, &ubufs[i], sizeof(buf)))
			return -EFAULT;
		if (buf.reserved)
			return -EINVAL;
		p = fanout_payload_from_user(buf.addr, buf.len);
		if (IS_ERR(p))
			return PTR_ERR(p);
		req->targets[i].payload = p;
	}
	return 0;
}

static int fanout_send_payload(struct fanout_request *req,
			       const struct fanout_send *s)
{
	u32 i;

	if (s->flags & FANOUT_SEND_PER_TARGET)
		return fanout_send_per_target(req, s);
	req->payload = fanout_payload_from_user(s->payload, s->payload_len);
	if (IS_ERR(req->payload)) {
		int ret = PTR_ERR(req->payload);

		req->payload = NULL;
		return ret;
	}
	for (i = 0; i < req->ntargets; i++)
		req->targets[i].payload = req->payload;
	return 0;
}

static struct fanout_request *fanout_request_alloc(struct fanout_group *g,
						   struct fanout_endpoint *ep,
						   const unsigned long *bits)
{
	u32 n = bitmap_weight(bits, g->max_members);
	struct fanout_request *req;
	u32 i = 0, m;

	req = fanout_zalloc(struct_size(req, targets, n));
	if (!req)
		return NULL;
	kref_init(&req->ref);
	req->group = g;
	req->owner = ep;
	req->ntargets = n;
	INIT_LIST_HEAD(&req->owner_node);
	INIT_LIST_HEAD(&req->reply_blocks);
	init_waitqueue_head(&req->wq);
	/*
	 * CLOCK_MONOTONIC, as the wait timeout: jiffies can lag it by
	 * hundreds of milliseconds on a preempted virtual CPU.
	 */
	hrtimer_init(&req->deadline, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	req->deadline.function = fanout_deadline_expired;
	for_each_set_bit(m, bits, g->max_members) {
		struct fanout_target *t = &req->targets[i++];

		INIT_LIST_HEAD(&t->node);
		t->req = req;
		t->member = m;
		t->state = FANOUT_TARGET_QUEUED;
	}
	return req;
}

/* Kernel memory of @req: the structure and its payloads. */
static size_t fanout_request_size(const struct fanout_request *req)
{
	size_t size = struct_size(req, targets, req->ntargets);
	u32 i;

	if (req->payload)
		return size + req->payload->len;
	for (i = 0; i < req->ntargets; i++)
		size += req->targets[i].payload->len;
	return size;
}

/* Charge @req to the sending endpoint's user: -EAGAIN over a limit. */
static int fanout_request_charge(struct fanout_request *req)
{
	struct fanout_user *u = req->owner->user;
	size_t size = fanout_request_size(req);
	int ret;

	ret = fanout_user_charge_request(u, size);
	if (ret)
		return ret;
	req->user = fanout_user_hold(u);
	req->charged = size;
	return 0;
}

/*
 * Hand each target to its member's agent message queues, or fail it at
 * once. A member keeps its bit in @wake when an unbound agent of it is to
 * be woken, by fanout_request_wake_agents() once the lock is dropped: a
 * fan-out to every member of a large group would otherwise hold it for
 * thousands of wake-ups.
 */
static void fanout_request_queue(struct fanout_request *req,
				 unsigned long *wake, struct list_head *reserve)
{
	struct fanout_group *g = req->group;
	u32 i;
	int ret;

	lockdep_assert_held(&g->lock);
	for (i = 0; i < req->ntargets; i++) {
		struct fanout_target *t = &req->targets[i];

		ret = fanout_amq_queue(g, t, reserve);
		if (ret)
			__clear_bit(t->member, wake);
		if (ret < 0)
			fanout_target_settle(t, ret, FANOUT_TARGET_FAILED);
	}
}

/*
 * Wake one idle agent of each member in @wake (exclusive waiters), and
 * tell its agents' hubs.
 */
static void fanout_request_wake_agents(struct fanout_group *g,
				       const unsigned long *wake)
{
	unsigned long m;

	for_each_set_bit(m, wake, g->max_members)
		fanout_member_wake(g, m, false);
}

/*
 * Make @req visible and start it; -EAGAIN over the pending cap. @bits,
 * its target bitmap, is used up as the members to wake; @reserve holds
 * the AMQs it may need.
 */
static int fanout_request_start(struct fanout_request *req, u32 deadline_ms,
				unsigned long *bits, struct list_head *reserve)
{
	struct fanout_group *g = req->group;
	int ret;

	ret = fanout_xa_reserve(&g->requests, req->id);
	if (ret)
		return ret;
	spin_lock_bh(&g->lock);
	if (g->dead) {
		ret = -EIDRM;
	} else if (g->stats.pending >= g->max_pending) {
		ret = -EAGAIN;
	} else {
		/* Cannot fail: the slot is reserved. */
		xa_store(&g->requests, req->id, req, GFP_NOWAIT);
		list_add_tail(&req->owner_node, &req->owner->requests);
		g->stats.pending++;
		g->stats.requests++;
		trace_fanout_send(req, deadline_ms);
		fanout_state_target_open(g, req->ntargets);
		if (!(req->flags & FANOUT_SEND_UUID))
			fanout_amq_conv_add(g, req);
		fanout_request_queue(req, bits, reserve);
		req->expires = ktime_add_ms(ktime_get(), deadline_ms);
		hrtimer_start(&req->deadline, ms_to_ktime(deadline_ms) / 2,
			      HRTIMER_MODE_REL_SOFT);
	}
	spin_unlock_bh(&g->lock);
	if (ret) {	/* give the reserved slot back */
		xa_cmpxchg_bh(&g->requests, req->id, XA_ZERO_ENTRY, NULL, 0);
		return ret;
	}
	fanout_request_wake_agents(g, bits);
	return 0;
}

/**
 * fanout_send_clear() - reset the outputs of a send
 * @s: the send
 *
 * Until a request starts they read as "nothing started": no id, no
 * target count, and no UUID unless the caller gave one.
 */
void fanout_send_clear(struct fanout_send *s)
{
	s->id = 0;
	s->ntargets = 0;
	if (!(s->flags & FANOUT_SEND_UUID))
		memset(s->uuid, 0, sizeof(s->uuid));
}

int fanout_send(struct fanout_endpoint *ep, struct fanout_send *s)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_request *req;
	LIST_HEAD(reserve);
	unsigned long *bits;
	int ret;

	ret = fanout_send_check(g, ep, s);
	if (ret)
		return ret;
	bits = fanout_zalloc(BITS_TO_LONGS(g->max_members) * sizeof(long));
	if (!bits)
		return -ENOMEM;
	ret = fanout_send_targets(g, s, bits);
	if (ret)
		goto out_bits;
	req = fanout_request_alloc(g, ep, bits);
	if (!req) {
		ret = -ENOMEM;
		goto out_bits;
	}
	ret = fanout_send_payload(req, s);
	if (ret)
		goto out_req;
	ret = fanout_request_charge(req);
	if (ret)
		goto out_req;
	req->flags = s->flags;
	if (s->flags & FANOUT_SEND_UUID)
		memcpy(req->uuid, s->uuid, sizeof(req->uuid));
	else
		fanout_uuid_gen(req->uuid);
	ret = fanout_amq_reserve(g, req, !(s->flags & FANOUT_SEND_UUID),
				 &reserve);
	if (ret)
		goto out_req;
	spin_lock_bh(&g->lock);
	req->id = ++g->next_id;
	spin_unlock_bh(&g->lock);
	/*
	 * The answer is taken from @req before it starts: once it is in the
	 * table, another thread may release it (ids are sequential) and the
	 * owner's reference is all that keeps it.
	 */
	s->id = req->id;
	s->ntargets = req->ntargets;
	memcpy(s->uuid, req->uuid, sizeof(s->uuid));
	ret = fanout_request_start(req, s->deadline_ms ?: g->deadline_ms, bits,
				   &reserve);
	fanout_amq_unreserve(g, &reserve);
	if (ret) {
		fanout_send_clear(s);
		goto out_req;
	}
	fanout_free(bits);
	return 0;

out_req:
	fanout_request_put(req);
out_bits:
	fanout_free(bits);
	return ret;
}

/* The request @id sent by @ep, with a reference; NULL if there is none. */
static struct fanout_request *fanout_request_get(struct fanout_endpoint *ep,
						 u64 id)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_request *req;

	if (!g)
		return NULL;
	spin_lock_bh(&g->lock);
	req = xa_load(&g->requests, id);
	if (req && req->owner == ep)
		kref_get(&req->ref);
	else
		req = NULL;
	spin_unlock_bh(&g->lock);
	return req;
}

static int fanout_wait_check(const struct fanout_wait *w)
{
	if (w->flags & ~FANOUT_WAIT_FLAGS)
		return -EINVAL;
	if (w->reserved[0] || w->reserved[1])
		return -EINVAL;
	if (!(w->flags & FANOUT_WAIT_TIMEOUT) && w->timeout_ns)
		return -EINVAL;
	switch (w->mode) {
	case FANOUT_WAIT_ALL:
	case FANOUT_WAIT_FAILFAST:
		return w->quorum ? -EINVAL : 0;
	case FANOUT_WAIT_QUORUM:
		return w->quorum ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/**
 * fanout_wait_expires() - when a wait of @timeout_ns started now ends
 * @timeout_ns: the caller's wait limit
 *
 * Return: the absolute CLOCK_MONOTONIC time.
 */
ktime_t fanout_wait_expires(u64 timeout_ns)
{
	return ktime_add_safe(ktime_get(),
			      ns_to_ktime(min_t(u64, timeout_ns, KTIME_MAX)));
}

/**
 * fanout_wait_sleep() - one sleep of an interruptible wait loop
 * @timed: the wait has a limit
 * @expires: the limit, from fanout_wait_expires()
 *
 * The task state is set by the caller, who checked its condition.
 * Return: false once the limit passed.
 */
bool fanout_wait_sleep(bool timed, ktime_t *expires)
{
	if (!timed) {
		schedule();
		return true;
	}
	return schedule_hrtimeout_range(expires, current->timer_slack_ns,
					HRTIMER_MODE_ABS);
}

/**
 * fanout_wait_interrupted() - how a wait that finds a signal pending ends
 *
 * A real signal ends it with -EINTR. Task work alone (TIF_NOTIFY_SIGNAL:
 * io_uring completing the caller's own ring commands) restarts the
 * system call once that work ran, so the caller never sees it; a
 * timeout then starts again.
 *
 * Return: -EINTR or -ERESTARTNOINTR.
 */
int fanout_wait_interrupted(void)
{
	return task_sigpending(current) ? -EINTR : -ERESTARTNOINTR;
}

/* Park until @w's condition holds on @req, a signal, or the timeout. */
static int fanout_wait_on(struct fanout_request *req, struct fanout_wait *w)
{
	struct fanout_waiter waiter = {
		.req = req, .mode = w->mode, .quorum = w->quorum,
	};
	bool timed = w->flags & FANOUT_WAIT_TIMEOUT;
	ktime_t expires = 0;
	int ret = 0;

	if (timed)
		expires = fanout_wait_expires(w->timeout_ns);
	init_waitqueue_func_entry(&waiter.wqe, fanout_waiter_wake);
	waiter.wqe.private = current;
	add_wait_queue(&req->wq, &waiter.wqe);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (fanout_request_wake_cond(req, w->mode, w->quorum))
			break;
		if (signal_pending(current)) {
			ret = fanout_wait_interrupted();
			break;
		}
		if (!fanout_wait_sleep(timed, &expires)) {
			ret = fanout_request_wake_cond(req, w->mode, w->quorum) ?
			      0 : -ETIME;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&req->wq, &waiter.wqe);
	fanout_wait_done(req, w);
	return ret;
}

/* The counts a wait answers with, once it ended. */
void fanout_wait_done(struct fanout_request *req, struct fanout_wait *w)
{
	w->ntargets = req->ntargets;
	w->nreplied = READ_ONCE(req->nreplied);
	w->nfailed = READ_ONCE(req->nfailed);
}

/**
 * fanout_wait_start() - check a wait and find its request
 * @ep: the endpoint
 * @w: the wait
 * @reqp: out: the request, with a reference
 *
 * Return: 0, -EINVAL for a bad @w, -ENOENT for an unknown request.
 */
int fanout_wait_start(struct fanout_endpoint *ep, struct fanout_wait *w,
		      struct fanout_request **reqp)
{
	int ret;

	ret = fanout_wait_check(w);
	if (ret)
		return ret;
	*reqp = fanout_request_get(ep, w->id);
	return *reqp ? 0 : -ENOENT;
}

int fanout_wait(struct fanout_endpoint *ep, struct fanout_wait *w)
{
	struct fanout_request *req;
	int ret;

	ret = fanout_wait_start(ep, w, &req);
	if (ret)
		return ret;
	ret = fanout_wait_on(req, w);
	fanout_request_put(req);
	return ret;
}

/* Fill @res, as read from the caller, with @t's outcome. */
static int fanout_result_fill(struct fanout_target *t,
			      struct fanout_result *res)
{
	u8 state;

	if (res->reserved)
		return -EINVAL;
	/* Pairs with fanout_target_settle(): a settled result is stable. */
	state = smp_load_acquire(&t->state);
	res->member = t->member;
	res->state = state;
	res->status = 0;
	res->reply_len = 0;
	if (state == FANOUT_TARGET_REPLIED || state == FANOUT_TARGET_FAILED)
		res->status = t->status;
	if (state == FANOUT_TARGET_REPLIED && t->reply) {
		res->reply_len = t->reply->len;
		if (res->reply_buf &&
		    copy_to_user(u64_to_user_ptr(res->reply_buf), t->reply->data,
				 min(res->reply_len, res->reply_buf_len)))
			return -EFAULT;
	}
	return 0;
}

/* Entries of a results array read and written at once. */
#define FANOUT_RESULTS_CHUNK	16

/*
 * The results of @n targets from @t on into @ures, 16 entries read and
 * written at a time: when an entry is refused, those before it are
 * written; when a read faults, nothing more is.
 */
static int fanout_results_copy(struct fanout_target *t,
			       struct fanout_result __user *ures, u32 n)
{
	struct fanout_result res[FANOUT_RESULTS_CHUNK];
	u32 i, done, k;
	int ret = 0;

	for (done = 0; done < n && !ret; done += k) {
		k = min_t(u32, n - done, FANOUT_RESULTS_CHUNK);
		if (copy_from_user(res, ures + done, k * sizeof(*res)))
			return -EFAULT;
		for (i = 0; i < k && !ret; i++)
			ret = fanout_result_fill(&t[done + i], &res[i]);
		if (ret)
			k = i - 1;
		if (copy_to_user(ures + done, res, k * sizeof(*res)))
			return -EFAULT;
	}
	return ret;
}

static int fanout_results_check(const struct fanout_results *r)
{
	if (r->flags & ~FANOUT_RESULTS_FLAGS)
		return -EINVAL;
	if (r->reserved[0] || r->reserved[1])
		return -EINVAL;
	return 0;
}

/* Take @req out of service: open targets fail with -ECANCELED. */
static void fanout_request_unlink(struct fanout_request *req)
{
	struct fanout_group *g = req->group;

	lockdep_assert_held(&g->lock);
	if (req->released)
		return;
	req->released = true;
	fanout_request_fail_open(req, -ECANCELED);
	fanout_request_wake(req);
	fanout_amq_conv_del(g, req);
	xa_erase(&g->requests, req->id);
	list_del_init(&req->owner_node);
	g->stats.pending--;
}

/* Drop the owner's reference once the deadline timer is gone. */
static void fanout_request_finish(struct fanout_request *req)
{
	hrtimer_cancel(&req->deadline);
	fanout_request_put(req);
}

/*
 * Release @req, on which the caller holds an extra reference: -ENOENT
 * when another caller released it first (of two releases racing, one
 * wins).
 */
static int fanout_request_release(struct fanout_request *req)
{
	struct fanout_group *g = req->group;
	bool was_released;

	spin_lock_bh(&g->lock);
	was_released = req->released;
	fanout_request_unlink(req);
	spin_unlock_bh(&g->lock);
	if (was_released)
		return -ENOENT;
	fanout_request_finish(req);
	return 0;
}

static int fanout_results_read(struct fanout_request *req,
			       struct fanout_results *r)
{
	struct fanout_result __user *ures = u64_to_user_ptr(r->results);
	u32 n;
	int ret;

	if (r->first > req->ntargets)
		return -EINVAL;
	n = min(r->count, req->ntargets - r->first);
	ret = fanout_results_copy(&req->targets[r->first], ures, n);
	if (ret)
		return ret;
	r->count = n;
	r->ntargets = req->ntargets;
	r->nreplied = READ_ONCE(req->nreplied);
	r->nfailed = READ_ONCE(req->nfailed);
	if (r->flags & FANOUT_RESULTS_RELEASE)
		return fanout_request_release(req);
	return 0;
}

int fanout_results(struct fanout_endpoint *ep, struct fanout_results *r)
{
	struct fanout_request *req;
	int ret;

	ret = fanout_results_check(r);
	if (ret)
		return ret;
	req = fanout_request_get(ep, r->id);
	if (!req)
		return -ENOENT;
	ret = fanout_results_read(req, r);
	fanout_request_put(req);
	return ret;
}

/* Nothing names a request, nor counts one, until it is sent. */
void fanout_call_clear(struct fanout_call *c)
{
	fanout_send_clear(&c->send);
	c->wait.id = 0;
	c->wait.ntargets = 0;
	c->wait.nreplied = 0;
	c->wait.nfailed = 0;
	c->results.id = 0;
	c->results.ntargets = 0;
	c->results.nreplied = 0;
	c->results.nfailed = 0;
}

/**
 * fanout_call_start() - the send half of a call
 * @ep: the endpoint
 * @c: the call
 * @reqp: out: the request sent, with a reference
 *
 * Return: 0, or the send's error; -ENOENT when the request was released
 * by another thread before it could be waited for.
 */
int fanout_call_start(struct fanout_endpoint *ep, struct fanout_call *c,
		      struct fanout_request **reqp)
{
	int ret;

	ret = fanout_wait_check(&c->wait);
	if (ret)
		return ret;
	ret = fanout_results_check(&c->results);
	if (ret)
		return ret;
	ret = fanout_send(ep, &c->send);
	if (ret)
		return ret;
	c->wait.id = c->send.id;
	c->results.id = c->send.id;
	*reqp = fanout_request_get(ep, c->send.id);
	return *reqp ? 0 : -ENOENT;
}

/**
 * fanout_call_finish() - the results half of a call, once its wait ended
 * @req: the request
 * @c: the call
 * @ret: the wait's result
 *
 * Return: @ret, or the results' error after a successful wait.
 */
int fanout_call_finish(struct fanout_request *req, struct fanout_call *c,
		       int ret)
{
	return ret ? ret : fanout_results_read(req, &c->results);
}

int fanout_call(struct fanout_endpoint *ep, struct fanout_call *c)
{
	struct fanout_request *req;
	int ret;

	ret = fanout_call_start(ep, c, &req);
	if (ret)
		return ret;
	ret = fanout_wait_on(req, &c->wait);
	/* Restarted, a call would send again: the caller waits on its id. */
	if (ret == -ERESTARTNOINTR)
		ret = -EINTR;
	ret = fanout_call_finish(req, c, ret);
	fanout_request_put(req);
	return ret;
}

static int fanout_id_check(const struct fanout_id *id)
{
	return id->flags || id->reserved ? -EINVAL : 0;
}

int fanout_cancel(struct fanout_endpoint *ep, struct fanout_id *id)
{
	struct fanout_request *req;
	int ret;

	ret = fanout_id_check(id);
	if (ret)
		return ret;
	req = fanout_request_get(ep, id->id);
	if (!req)
		return -ENOENT;
	spin_lock_bh(&req->group->lock);
	fanout_request_fail_open(req, -ECANCELED);
	fanout_request_wake(req);
	spin_unlock_bh(&req->group->lock);
	fanout_request_put(req);
	return 0;
}

int fanout_release_request(struct fanout_endpoint *ep, struct fanout_id *id)
{
	struct fanout_request *req;
	int ret;

	ret = fanout_id_check(id);
	if (ret)
		return ret;
	req = fanout_request_get(ep, id->id);
	if (!req)
		return -ENOENT;
	ret = fanout_request_release(req);
	fanout_request_put(req);
	return ret;
}

/* Release request @id of @ep, if it still exists. */
static void fanout_request_release_id(struct fanout_endpoint *ep, u64 id)
{
	struct fanout_request *req = id ? fanout_request_get(ep, id) : NULL;

	if (req) {
		fanout_request_release(req);
		fanout_request_put(req);
	}
}

/* The caller cannot learn the id of the request sent: take it back. */
void fanout_send_undo(struct fanout_endpoint *ep, struct fanout_send *s,
		      int ret)
{
	fanout_request_release_id(ep, s->id);
}

void fanout_call_undo(struct fanout_endpoint *ep, struct fanout_call *c,
		      int ret)
{
	fanout_request_release_id(ep, c->send.id);
}

/* The endpoint closes: cancel and free every request it still owns. */
void fanout_release_owned(struct fanout_endpoint *ep)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_request *req;
	bool done = false;
	u32 next = 0;

	for (;;) {
		spin_lock_bh(&g->lock);
		req = list_first_entry_or_null(&ep->requests,
					       struct fanout_request,
					       owner_node);
		if (req) {
			/* Its open targets fail in batches, then it goes. */
			done = fanout_request_fail_batch(req, -ECANCELED,
							 &next);
			if (done)
				fanout_request_unlink(req);
			else
				fanout_request_wake(req);
		}
		spin_unlock_bh(&g->lock);
		if (!req)
			break;
		if (done) {
			fanout_request_finish(req);
			next = 0;
		}
		cond_resched();
	}
}
