// SPDX-License-Identifier: GPL-2.0
/*
 * fanout agents: join and leave a member, receive, reply, poll.
 */
#include <linux/bitmap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fanout.h"
#include "state.h"
#include "trace.h"

/*
 * Fail up to %FANOUT_SETTLE_BATCH targets of @ep's taken list with
 * @status. Group lock held.
 * Return: true when nothing is left taken.
 */
static bool fanout_ep_fail_taken(struct fanout_endpoint *ep, int status)
{
	struct fanout_target *t, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(t, tmp, &ep->taken, node) {
		if (n++ == FANOUT_SETTLE_BATCH)
			return false;
		fanout_target_settle(t, status, FANOUT_TARGET_FAILED);
		fanout_request_wake(t->req);
	}
	return true;
}

/* Lowest member index nobody serves, or -ENOSPC. Group lock held. */
static int fanout_member_free_index(struct fanout_group *g)
{
	unsigned long m = find_first_zero_bit(g->up, g->max_members);

	return m < g->max_members ? m : -ENOSPC;
}

static int fanout_join_check(struct fanout_group *g, struct fanout_endpoint *ep,
			     const struct fanout_join *j)
{
	if (j->flags || j->reserved)
		return -EINVAL;
	if (j->member != FANOUT_MEMBER_ANY && j->member >= g->max_members)
		return -EINVAL;
	if (!(ep->perm & FANOUT_PERM_RECV))
		return -EACCES;
	return 0;
}

int fanout_join(struct fanout_endpoint *ep, struct fanout_join *j)
{
	struct fanout_group *g = fanout_ep_group(ep);
	int m, ret;

	ret = fanout_join_check(g, ep, j);
	if (ret)
		return ret;
	mutex_lock(&ep->lock);
	spin_lock_bh(&g->lock);
	if (g->dead) {
		ret = -EIDRM;
		goto out_unlock;
	}
	if (ep->member >= 0) {
		ret = -EISCONN;
		goto out_unlock;
	}
	/* A hub waits on the member it was attached with. */
	if (fanout_hub_attached(ep)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	m = j->member;
	if (j->member == FANOUT_MEMBER_ANY) {
		m = fanout_member_free_index(g);
		if (m < 0) {
			ret = m;
			goto out_unlock;
		}
	}
	if (!g->members[m].nagents++) {
		__set_bit(m, g->up);
		fanout_state_member_up(g, m);
	}
	trace_fanout_member_join(g, m);
	WRITE_ONCE(ep->member, m);
	j->member = m;
out_unlock:
	spin_unlock_bh(&g->lock);
	mutex_unlock(&ep->lock);
	return ret;
}

/*
 * @ep stops serving its member: what it took fails with -EPIPE, the rest
 * of the conversation it was bound to goes to another agent; when it
 * was the member's last agent the member goes down and what is queued
 * for it fails with -ENOTCONN. The targets fail in batches, the group
 * lock dropped in between: nothing new reaches @ep once its member index
 * is gone, and
 * an agent that joins the member meanwhile takes the rest of its queue.
 * The caller holds @ep->lock, so @ep cannot join again meanwhile.
 */
static void fanout_ep_leave(struct fanout_group *g, struct fanout_endpoint *ep)
{
	struct fanout_member *m;
	bool down, done;

	spin_lock_bh(&g->lock);
	m = &g->members[ep->member];
	down = !--m->nagents;
	if (down) {
		__clear_bit(ep->member, g->up);
		fanout_state_member_down(g);
	}
	trace_fanout_member_leave(g, ep->member);
	WRITE_ONCE(ep->member, -1);
	/*
	 * A task of this endpoint blocked in receive must notice, and a
	 * wake-up this endpoint consumed must reach another agent.
	 */
	fanout_member_wake(g, m - g->members, true);
	wake_up_all(&ep->wq);
	spin_unlock_bh(&g->lock);

	/*
	 * What it took fails first (or goes back to its queue for
	 * redelivery), while its conversation stays bound to it: the taker
	 * of a target is its queue's agent, so no other agent may be bound
	 * to that queue before. Then the rest of the conversation goes to
	 * another agent.
	 */
	do {
		spin_lock_bh(&g->lock);
		done = fanout_redeliver_taken(g, ep) &&
		       fanout_ep_fail_taken(ep, -EPIPE);
		if (done)
			fanout_amq_leave(g, ep);
		spin_unlock_bh(&g->lock);
		cond_resched();
	} while (!done);
	while (down) {
		spin_lock_bh(&g->lock);
		down = !m->nagents &&
		       !fanout_member_fail_batch(g, m, -ENOTCONN);
		spin_unlock_bh(&g->lock);
		cond_resched();
	}
}

/* The caller cannot learn which member it joined: leave it again. */
void fanout_join_undo(struct fanout_endpoint *ep, struct fanout_join *j,
		      int ret)
{
	if (!ret)
		fanout_leave(ep);
}

int fanout_leave(struct fanout_endpoint *ep)
{
	struct fanout_group *g = fanout_ep_group(ep);
	int ret = 0;

	mutex_lock(&ep->lock);
	if (READ_ONCE(ep->member) < 0)
		ret = -ENOTCONN;
	else
		fanout_ep_leave(g, ep);
	mutex_unlock(&ep->lock);
	return ret;
}

/**
 * fanout_member_wake() - a member has a conversation for an unbound agent
 * @g: the group
 * @member: the member index
 * @all: every task waiting (its state changed), else one (exclusive)
 *
 * Its tasks waiting in receive, its pollers and its agents' hubs. Any
 * context.
 */
void fanout_member_wake(struct fanout_group *g, u32 member, bool all)
{
	struct fanout_member *m = &g->members[member];

	if (wq_has_sleeper(&m->wq)) {
		if (all)
			wake_up_all(&m->wq);
		else
			wake_up(&m->wq);
	}
	fanout_hub_member_notify(m);
}

/**
 * fanout_agent_wake() - something new for @ep, bound to a conversation
 * @ep: the agent
 *
 * Its tasks waiting in receive, its pollers and its hub. Group lock held.
 */
void fanout_agent_wake(struct fanout_endpoint *ep)
{
	if (wq_has_sleeper(&ep->wq))
		wake_up(&ep->wq);
	fanout_hub_notify(ep);
}

/* Outputs read as "nothing received" until a request is. */
void fanout_recv_clear(struct fanout_recv *r)
{
	r->id = 0;
	memset(r->uuid, 0, sizeof(r->uuid));
	r->len = 0;
	r->member = 0;
	r->flags &= ~FANOUT_RECV_REDELIVERED;
}

int fanout_recv_check(const struct fanout_recv *r)
{
	/* The redelivery mark, an output, was cleared before. */
	if (r->flags & ~FANOUT_RECV_FLAGS)
		return -EINVAL;
	if (r->reserved[0] || r->reserved[1])
		return -EINVAL;
	return 0;
}

/*
 * Take the next target for @ep (fanout_amq_next()), with a reference on
 * its request; *@more tells whether another waits behind it (@more may be
 * NULL). A payload that does not fit @r->buf_len gives -EMSGSIZE, unless
 * it is @have (one the caller holds a copy of already). NULL with *err
 * set when there is none to take.
 */
static struct fanout_target *fanout_take(struct fanout_group *g,
					 struct fanout_endpoint *ep,
					 struct fanout_recv *r, int *err,
					 bool *more,
					 const struct fanout_payload *have)
{
	struct fanout_target *t = NULL;

	spin_lock_bh(&g->lock);
	if (g->dead) {
		*err = -EIDRM;
		goto out_unlock;
	}
	if (ep->member < 0) {
		*err = -ENOTCONN;
		goto out_unlock;
	}
	t = fanout_amq_next(g, ep);
	if (!t) {
		*err = -EAGAIN;
		goto out_unlock;
	}
	if (t->payload != have && t->payload->len > r->buf_len) {
		r->len = t->payload->len;
		*err = -EMSGSIZE;
		t = NULL;
		/* Another agent may have room: pass the wake-up on. */
		if (!ep->amq)
			fanout_member_wake(g, ep->member, false);
		goto out_unlock;
	}
	fanout_amq_take(g, ep, t);
	if (t->redelivered)
		r->flags |= FANOUT_RECV_REDELIVERED;
	trace_fanout_recv(t);
	kref_get(&t->req->ref);
	if (more)
		*more = fanout_amq_next(g, ep);
out_unlock:
	spin_unlock_bh(&g->lock);
	return t;
}

/*
 * The caller could not be given @t: put it back at the head of its
 * queue, unless it settled meanwhile. Group lock held.
 */
static void fanout_untake_locked(struct fanout_group *g,
				 struct fanout_endpoint *ep,
				 struct fanout_target *t)
{
	lockdep_assert_held(&g->lock);
	if (fanout_amq_taken_by(t, ep))
		fanout_amq_untake(g, ep, t);
}

static void fanout_untake(struct fanout_group *g, struct fanout_endpoint *ep,
			  struct fanout_target *t)
{
	spin_lock_bh(&g->lock);
	fanout_untake_locked(g, ep, t);
	spin_unlock_bh(&g->lock);
}

/*
 * Whether a receive of @ep, which was joined as @member and bound to
 * @amq, should stop waiting: something to take, or its state changed.
 */
bool fanout_recv_ready(struct fanout_group *g, struct fanout_endpoint *ep,
		       s32 member, struct fanout_amq *amq)
{
	bool ready;

	spin_lock_bh(&g->lock);
	ready = g->dead || ep->member != member || ep->amq != amq ||
		fanout_amq_next(g, ep);
	spin_unlock_bh(&g->lock);
	return ready;
}

/**
 * fanout_recv_wq() - where a receive of @ep waits for something to take
 * @g: the group
 * @ep: the agent
 * @member: out: its member index, -1 when not joined (then NULL)
 * @amq: out: the AMQ it is bound to, or NULL
 *
 * An unbound agent waits, exclusively, for a ready queue of its member;
 * a bound one for the next request of its conversation, on its own
 * queue.
 * Return: the wait queue, or NULL when @ep is not joined.
 */
wait_queue_head_t *fanout_recv_wq(struct fanout_group *g,
				  struct fanout_endpoint *ep, s32 *member,
				  struct fanout_amq **amq)
{
	spin_lock_bh(&g->lock);
	*member = ep->member;
	*amq = ep->amq;
	spin_unlock_bh(&g->lock);
	if (*member < 0)
		return NULL;
	return *amq ? &ep->wq : &g->members[*member].wq;
}

/**
 * fanout_recv_pass_on() - pass on a wake-up a receive will not use
 * @g: the group
 * @ep: the agent
 * @member: its member index when it started waiting
 * @amq: its AMQ then (NULL: it waited as an unbound, exclusive waiter)
 * @unused: the receive stops without taking (interrupted, cancelled)
 *
 * An unbound waiter may have consumed a wake-up of its member: passed on
 * when it will not use it, or when another task of its endpoint bound
 * the endpoint to a conversation meanwhile.
 */
void fanout_recv_pass_on(struct fanout_group *g, struct fanout_endpoint *ep,
			 s32 member, struct fanout_amq *amq, bool unused)
{
	if (!amq && (unused || READ_ONCE(ep->amq)) &&
	    !list_empty_careful(&g->members[member].ready))
		fanout_member_wake(g, member, false);
}

/* Sleep until @ep may take something; -ERESTARTSYS on a signal. */
static int fanout_recv_sleep(struct fanout_group *g,
			     struct fanout_endpoint *ep)
{
	struct fanout_amq *amq;
	wait_queue_head_t *wq;
	DEFINE_WAIT(wait);
	s32 member;
	int ret = 0;

	wq = fanout_recv_wq(g, ep, &member, &amq);
	if (!wq)
		return -ENOTCONN;
	for (;;) {
		if (amq)
			prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
		else
			prepare_to_wait_exclusive(wq, &wait,
						  TASK_INTERRUPTIBLE);
		if (fanout_recv_ready(g, ep, member, amq))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		schedule();
	}
	finish_wait(wq, &wait);
	fanout_recv_pass_on(g, ep, member, amq, ret);
	return ret;
}

/**
 * fanout_recv_try() - take and deliver the next request, never blocking
 * @ep: the agent
 * @r: the receive, checked
 *
 * Return: 0, -EAGAIN when nothing is queued for @ep, or the error of the
 * receive.
 */
int fanout_recv_try(struct fanout_endpoint *ep, struct fanout_recv *r)
{
	struct fanout_target *t;
	int ret = 0;

	t = fanout_take(fanout_ep_group(ep), ep, r, &ret, NULL, NULL);
	return t ? fanout_recv_deliver(ep, r, t, true) : ret;
}

/**
 * fanout_recv_grab() - take the next request, not delivered yet
 * @ep: the agent
 * @r: the receive, checked; @r->buf_len the room for the payload
 * @err: out: why there is none (-EAGAIN, -EMSGSIZE with @r->len set,
 *	-ENOTCONN, -EIDRM)
 * @more: out: whether another request waits behind it
 * @have: a payload the caller holds a copy of already, that needs no
 *	room (NULL: none)
 *
 * Return: the target, with a reference on its request: hand it to
 * fanout_recv_deliver(); or NULL.
 */
struct fanout_target *fanout_recv_grab(struct fanout_endpoint *ep,
				       struct fanout_recv *r, int *err,
				       bool *more,
				       const struct fanout_payload *have)
{
	return fanout_take(fanout_ep_group(ep), ep, r, err, more, have);
}

/**
 * fanout_recv_deliver() - hand a target taken by @ep to its receiver
 * @ep: the agent
 * @r: the receive: filled in
 * @t: the target, from fanout_recv_grab(); its reference is dropped
 * @copy: copy the payload to @r->buf (else the receiver has it)
 *
 * Return: 0, or -EFAULT (the target went back to its queue).
 */
int fanout_recv_deliver(struct fanout_endpoint *ep, struct fanout_recv *r,
			struct fanout_target *t, bool copy)
{
	struct fanout_request *req = t->req;
	int ret = 0;

	if (copy && copy_to_user(u64_to_user_ptr(r->buf), t->payload->data,
				 t->payload->len)) {
		fanout_untake(fanout_ep_group(ep), ep, t);
		ret = -EFAULT;
	} else {
		r->id = req->id;
		memcpy(r->uuid, req->uuid, sizeof(r->uuid));
		r->len = t->payload->len;
		r->member = t->member;
	}
	fanout_request_put(req);
	return ret;
}

/* Whether a receive of @ep must not block. */
bool fanout_recv_nonblock(struct fanout_endpoint *ep,
			  const struct fanout_recv *r)
{
	return (r->flags & FANOUT_RECV_NONBLOCK) ||
	       (ep->file->f_flags & O_NONBLOCK);
}

int fanout_recv(struct fanout_endpoint *ep, struct fanout_recv *r)
{
	struct fanout_group *g = fanout_ep_group(ep);
	int ret;

	ret = fanout_recv_check(r);
	if (ret)
		return ret;
	for (;;) {
		ret = fanout_recv_try(ep, r);
		if (ret != -EAGAIN || fanout_recv_nonblock(ep, r))
			return ret;
		ret = fanout_recv_sleep(g, ep);
		if (ret)
			return ret;
	}
}

/* The caller cannot learn what it received: put the request back. */
void fanout_recv_undo(struct fanout_endpoint *ep, struct fanout_recv *r,
		      int ret)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_request *req;
	struct fanout_target *t;

	if (!r->id)
		return;
	spin_lock_bh(&g->lock);
	req = xa_load(&g->requests, r->id);
	t = req ? fanout_request_target(req, r->member) : NULL;
	if (t)
		fanout_untake_locked(g, ep, t);
	spin_unlock_bh(&g->lock);
}

void fanout_reply_recv_clear(struct fanout_reply_recv *rr)
{
	fanout_recv_clear(&rr->recv);
}

void fanout_reply_recv_undo(struct fanout_endpoint *ep,
			    struct fanout_reply_recv *rr, int ret)
{
	fanout_recv_undo(ep, &rr->recv, ret);
}

static int fanout_reply_check(const struct fanout_reply *r)
{
	if (r->flags || r->reserved0 || r->reserved)
		return -EINVAL;
	if (r->status < 0 && (r->status < -MAX_ERRNO || r->len))
		return -EINVAL;
	if (r->len > fanout_max_payload)
		return -EMSGSIZE;
	return 0;
}

/*
 * Settle the target @ep took of request @r->id; *@woken is its request,
 * whose waiters the caller wakes (NULL when nothing settled). On input
 * *@woken may be a request of the group looked up under this hold of the
 * group lock, to look up again. Group lock held.
 */
static int fanout_reply_settle(struct fanout_group *g,
			       struct fanout_endpoint *ep,
			       const struct fanout_reply *r,
			       struct fanout_payload **reply,
			       struct fanout_request **woken)
{
	struct fanout_request *req = *woken;
	struct fanout_target *t;
	int ret;

	lockdep_assert_held(&g->lock);
	*woken = NULL;
	if (ep->member < 0)
		return -ENOTCONN;
	if (!req || req->id != r->id)
		req = xa_load(&g->requests, r->id);
	t = req ? fanout_request_target(req, ep->member) : NULL;
	if (t && (t->state == FANOUT_TARGET_REPLIED ||
		  t->state == FANOUT_TARGET_FAILED)) {
		g->stats.dup_replies++;
		trace_fanout_reply(r->id, ep->member, r->status, -EALREADY);
		return -EALREADY;
	}
	if (!t || !fanout_amq_taken_by(t, ep)) {
		g->stats.stale_replies++;
		trace_fanout_reply(r->id, ep->member, r->status, -ENOENT);
		return -ENOENT;
	}
	ret = 0;
	/* The coordinator's user may hold too much: no room for a reply. */
	if (r->status >= 0 && !fanout_user_charge_bytes(req->user,
							(*reply)->len))
		ret = -ENOBUFS;
	trace_fanout_reply(r->id, ep->member, r->status, ret);
	if (r->status < 0) {
		fanout_target_settle(t, r->status, FANOUT_TARGET_FAILED);
	} else if (ret) {
		fanout_target_settle(t, ret, FANOUT_TARGET_FAILED);
	} else {
		req->charged += (*reply)->len;
		t->reply = *reply;
		*reply = NULL;
		fanout_target_settle(t, r->status, FANOUT_TARGET_REPLIED);
	}
	*woken = req;
	return ret;
}

/* Largest reply copied into a reply block by fanout_reply_many(). */
#define FANOUT_REPLY_BLOCK_LEN	256

/**
 * struct fanout_reply_batch - the payloads of a fanout_reply_many()
 * @reply: each entry's payload, until it goes to its target
 * @inblk: whether @reply[i] lives in @blk
 * @blk: small payloads to one request of one group, or NULL
 * @blk_req: that request, held from when @blk went with it (so that
 *	@blk outlives the batch), or NULL
 * @g: @blk's group
 * @id: @blk's request id
 */
struct fanout_reply_batch {
	struct fanout_payload *reply[FANOUT_REPLY_MANY_MAX];
	bool inblk[FANOUT_REPLY_MANY_MAX];
	struct fanout_reply_block *blk;
	struct fanout_request *blk_req;
	struct fanout_group *g;
	u64 id;
};

/*
 * Whether reply @r of agent @ep, checked, has a payload for @rb's block:
 * small, to request @rb->id of group @rb->g (ids are per group).
 */
static bool fanout_reply_in_block(const struct fanout_reply_batch *rb,
				  struct fanout_endpoint *ep,
				  const struct fanout_reply *r)
{
	return r->status >= 0 && r->len <= FANOUT_REPLY_BLOCK_LEN &&
	       r->id == rb->id && fanout_ep_group(ep) == rb->g;
}

/*
 * A block for the small payloads of the replies to the request of the
 * first of @r, when there are two or more of them; none otherwise, or
 * without memory (each gets its own then).
 */
static void fanout_reply_block_for(struct fanout_reply_batch *rb,
				   struct fanout_endpoint **eps,
				   const struct fanout_reply *r,
				   const int *results, unsigned int n)
{
	unsigned int i, k = 0;
	size_t size = 0;

	for (i = 0; i < n; i++) {
		if (!eps[i] || results[i])
			continue;
		if (!k) {
			rb->id = r[i].id;
			rb->g = fanout_ep_group(eps[i]);
		}
		if (!fanout_reply_in_block(rb, eps[i], &r[i]))
			continue;
		size += fanout_reply_block_room(r[i].len);
		k++;
	}
	if (k > 1)
		rb->blk = fanout_reply_block_alloc(size);
}

/*
 * Check @r and copy the payloads in, small ones to one request into one
 * block: @results[i] is 0 or the reply's error.
 */
static void fanout_reply_prepare(struct fanout_reply_batch *rb,
				 struct fanout_endpoint **eps,
				 const struct fanout_reply *r, int *results,
				 unsigned int n)
{
	struct fanout_payload *p;
	unsigned int i;

	for (i = 0; i < n; i++) {
		rb->reply[i] = NULL;
		rb->inblk[i] = false;
		if (eps[i])
			results[i] = fanout_reply_check(&r[i]);
	}
	fanout_reply_block_for(rb, eps, r, results, n);
	for (i = 0; i < n; i++) {
		if (!eps[i] || results[i] || r[i].status < 0)
			continue;
		rb->inblk[i] = rb->blk && fanout_reply_in_block(rb, eps[i], &r[i]);
		if (rb->inblk[i])
			p = fanout_reply_block_payload(rb->blk, r[i].buf,
						       r[i].len);
		else
			p = fanout_payload_from_user(r[i].buf, r[i].len);
		if (IS_ERR(p))
			results[i] = PTR_ERR(p);
		else
			rb->reply[i] = p;
	}
}

/*
 * Replies done: what no target took is freed, and the request holding
 * the block let go. Nothing of the block is read before: once a run
 * dropped the group lock, only the reference held keeps it.
 */
static void fanout_reply_batch_end(struct fanout_reply_batch *rb,
				   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!rb->inblk[i])
			fanout_payload_free(rb->reply[i]);
	if (rb->blk_req)
		fanout_request_put(rb->blk_req);
	else if (rb->blk)
		fanout_free(rb->blk);
}

int fanout_reply(struct fanout_endpoint *ep, struct fanout_reply *r)
{
	int ret;

	fanout_reply_many(&ep, r, &ret, 1);
	return ret;
}

/*
 * Settle the prepared replies @first to @end - 1, of agents of @g, in
 * one hold of its lock, waking a request's waiters once for a run of
 * replies to it. Entries already failed (or skipped) are passed over.
 */
static void fanout_reply_run(struct fanout_group *g,
			     struct fanout_endpoint **eps,
			     struct fanout_reply *r, int *results,
			     unsigned int first, unsigned int end,
			     struct fanout_reply_batch *rb)
{
	struct fanout_request *woken, *last = NULL;
	unsigned int i;

	spin_lock_bh(&g->lock);
	for (i = first; i < end; i++) {
		if (!eps[i] || results[i])
			continue;
		woken = last;
		results[i] = fanout_reply_settle(g, eps[i], &r[i],
						 &rb->reply[i], &woken);
		/*
		 * Its payload went to its target: the block goes with the
		 * request, held until the batch is over.
		 */
		if (rb->inblk[i] && !rb->reply[i] && !rb->blk_req) {
			fanout_reply_block_attach(woken, rb->blk);
			kref_get(&woken->ref);
			rb->blk_req = woken;
		}
		if (woken && woken != last) {
			if (last)
				fanout_request_wake(last);
			last = woken;
		}
	}
	if (last)
		fanout_request_wake(last);
	spin_unlock_bh(&g->lock);
}

/**
 * fanout_reply_many() - answer several requests, as many fanout_reply()
 * @eps: the agent endpoint of each reply, bound (NULL: skip the entry)
 * @r: the replies
 * @results: out: what fanout_reply() returns for each (left alone for
 *	skipped entries)
 * @n: entries, at most %FANOUT_REPLY_MANY_MAX
 *
 * Payloads are copied in first, the small ones to one request into one
 * block; then the replies of agents of one group settle in one hold of
 * its lock (fanout_reply_run()).
 */
void fanout_reply_many(struct fanout_endpoint **eps, struct fanout_reply *r,
		       int *results, unsigned int n)
{
	struct fanout_reply_batch rb = { };
	struct fanout_group *g;
	unsigned int i, j;

	if (WARN_ON_ONCE(n > FANOUT_REPLY_MANY_MAX))
		n = FANOUT_REPLY_MANY_MAX;
	fanout_reply_prepare(&rb, eps, r, results, n);
	for (i = 0; i < n; i = j) {
		g = eps[i] ? fanout_ep_group(eps[i]) : NULL;
		for (j = i + 1; j < n; j++)
			if (eps[j] && fanout_ep_group(eps[j]) != g)
				break;
		if (g)
			fanout_reply_run(g, eps, r, results, i, j, &rb);
	}
	fanout_reply_batch_end(&rb, n);
}

/*
 * The reply half of a reply-and-receive (unless @rr->reply.id is 0),
 * after checking the receive half. An accepted reply is marked by
 * clearing @rr->reply.id, so a caller can tell which half an error
 * belongs to, and the call is never restarted with the reply done.
 */
int fanout_reply_recv_reply(struct fanout_endpoint *ep,
			    struct fanout_reply_recv *rr)
{
	int ret;

	ret = fanout_recv_check(&rr->recv);
	if (ret)
		return ret;
	if (rr->reply.id) {
		ret = fanout_reply(ep, &rr->reply);
		if (ret)
			return ret;
		rr->reply.id = 0;
	}
	return 0;
}

int fanout_reply_recv(struct fanout_endpoint *ep,
		      struct fanout_reply_recv *rr)
{
	int ret;

	ret = fanout_reply_recv_reply(ep, rr);
	if (ret)
		return ret;
	ret = fanout_recv(ep, &rr->recv);
	return ret == -ERESTARTSYS ? -EINTR : ret;
}

__poll_t fanout_agent_poll(struct fanout_endpoint *ep, struct file *file,
			   struct poll_table_struct *wait)
{
	struct fanout_group *g = fanout_ep_group(ep);
	__poll_t mask = 0;
	s32 member;

	if (!g)
		return 0;
	member = READ_ONCE(ep->member);
	if (member < 0)
		return 0;
	poll_wait(file, &g->members[member].wq, wait);
	poll_wait(file, &ep->wq, wait);
	spin_lock_bh(&g->lock);
	if (g->dead)
		mask = EPOLLERR | EPOLLHUP;
	else if (ep->member >= 0 && fanout_amq_next(g, ep))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_bh(&g->lock);
	return mask;
}

/* The endpoint closes: leave the member it serves. */
void fanout_agent_release(struct fanout_endpoint *ep)
{
	if (ep->member >= 0)
		fanout_ep_leave(fanout_ep_group(ep), ep);
}
