// SPDX-License-Identifier: GPL-2.0
/*
 * fanout hubs: one endpoint serves many agent endpoints.
 *
 * A process serving many members opens one agent endpoint per member and
 * attaches each to a hub (FANOUT_IOC_HUB_ADD); one FANOUT_IOC_HUB_SERVE
 * then replies to many requests and takes many, instead of one system
 * call or one io_uring command per member.
 *
 * Each slot of a hub holds its agent endpoint's file and is on its
 * member's list of hub slots, told when the member has a conversation
 * ready for an unbound agent (fanout_member_wake()); a bound agent's is
 * told directly (fanout_agent_wake()). Either puts the slot on the hub's
 * ready list, so a serve looks only at slots woken since it last found
 * them empty, oldest first.
 *
 * Slots are added under fanout_hub_mutex and never removed while the hub
 * lives: a serve reads them without a lock. They go when the hub's own
 * endpoint is released, when nothing can serve any more (each io_uring
 * command holds the hub's file).
 */
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fanout.h"

/* Entries of a serve's reply array done at once (fanout_reply_many()). */
#define FANOUT_HUB_REPLY_CHUNK	FANOUT_REPLY_MANY_MAX

/*
 * Serialises making hubs and attaching endpoints: each endpoint's @hub
 * and @hub_slot, and adding slots. Nests outside fanout_endpoint.lock.
 */
static DEFINE_MUTEX(fanout_hub_mutex);

/* Whether a slot's end was told: once, by a message written. */
enum fanout_hub_report {
	FANOUT_HUB_UNTOLD,
	FANOUT_HUB_TELLING,	/* in a message not written yet */
	FANOUT_HUB_TOLD,
};

/**
 * struct fanout_hub_slot - one agent endpoint attached to a hub
 * @hub: the hub
 * @ep: the agent endpoint (its file held by @file)
 * @file: the agent's file, held until the hub is released
 * @index: slot number, as the user names it
 * @ready_node: in @hub->ready, or in a serve's own list, while @queued
 *	(@hub->lock for @hub->ready; the serve's alone for its own)
 * @queued: bit 0 set by whoever puts it on @hub->ready, cleared by the
 *	serve that takes it off to look at it (atomic bit operations)
 * @unhooked: taken off its member's list of hub slots (xchg())
 * @report: enum fanout_hub_report: whether its agent's end (left, group
 *	gone) was told (cmpxchg())
 * @member_node: in its member's list of hub slots (fanout_member.hubs)
 *	from attach until unhooked, an RCU list changed under the group
 *	lock; the slot is freed after a grace period
 */
struct fanout_hub_slot {
	struct fanout_hub *hub;
	struct fanout_endpoint *ep;
	struct file *file;
	u32 index;
	struct list_head ready_node;
	unsigned long queued;
	bool unhooked;
	int report;
	struct list_head member_node;
};

/**
 * struct fanout_hub - the agents an endpoint serves together
 * @lock: protects @ready; taken when a slot is queued, in any context
 *	(under the group lock, in an RCU walk of a member's hub slots,
 *	in softirq), so with IRQs off; nothing nests inside it, and the
 *	hub's wait queue is woken after it is dropped
 * @ready: slots woken and not yet looked at, oldest first; a serve takes
 *	them all at once into a list of its own
 * @wq: tasks and io_uring commands waiting in a serve
 * @slots: slot index -> struct fanout_hub_slot; filled under
 *	fanout_hub_mutex, read without a lock
 * @nslots: slots in @slots (fanout_hub_mutex; read with READ_ONCE)
 */
struct fanout_hub {
	spinlock_t lock; /* see above */
	struct list_head ready;
	wait_queue_head_t wq;
	struct xarray slots;
	u32 nslots;
};

/* Bit of fanout_hub_slot.queued. */
#define FANOUT_HUB_QUEUED	0

/*
 * Put @s on its hub's ready list, first (@head) or last, unless it is on
 * it or in a serve's list already; wake a server when the list was empty.
 */
static void fanout_hub_queue(struct fanout_hub_slot *s, bool head)
{
	struct fanout_hub *hub = s->hub;
	unsigned long flags;
	bool first;

	if (test_and_set_bit(FANOUT_HUB_QUEUED, &s->queued))
		return;
	spin_lock_irqsave(&hub->lock, flags);
	first = list_empty(&hub->ready);
	if (head)
		list_add(&s->ready_node, &hub->ready);
	else
		list_add_tail(&s->ready_node, &hub->ready);
	spin_unlock_irqrestore(&hub->lock, flags);
	if (first)
		wake_up(&hub->wq);
}

/**
 * fanout_hub_member_notify() - a member has a conversation ready
 * @m: the member
 *
 * Every hub slot of the member looks at it at its hub's next serve (an
 * unbound agent may take it). Any context, with or without the group
 * lock.
 */
void fanout_hub_member_notify(struct fanout_member *m)
{
	struct fanout_hub_slot *s;

	if (list_empty_careful(&m->hubs))
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(s, &m->hubs, member_node)
		fanout_hub_queue(s, false);
	rcu_read_unlock();
}

/**
 * fanout_hub_notify() - a bound agent has something new to take
 * @ep: the agent; the group lock held
 *
 * Its hub, if it has one, looks at it at the next serve.
 */
void fanout_hub_notify(struct fanout_endpoint *ep)
{
	if (ep->hub_slot)
		fanout_hub_queue(ep->hub_slot, false);
}

/* Whether a server has a slot to look at. */
static bool fanout_hub_has_ready(struct fanout_hub *hub)
{
	return !list_empty_careful(&hub->ready);
}

/* Move the hub's ready slots, oldest first, to the end of @todo. */
static void fanout_hub_grab(struct fanout_hub *hub, struct list_head *todo)
{
	spin_lock_irq(&hub->lock);
	list_splice_tail_init(&hub->ready, todo);
	spin_unlock_irq(&hub->lock);
}

/*
 * The next slot of @todo to look at, off it and no longer queued: what
 * is queued for it from now on puts it back on the hub's list.
 */
static struct fanout_hub_slot *fanout_hub_next(struct list_head *todo)
{
	struct fanout_hub_slot *s;

	s = list_first_entry_or_null(todo, struct fanout_hub_slot,
				     ready_node);
	if (!s)
		return NULL;
	list_del_init(&s->ready_node);
	/* Unlinked before a waker may link it again (release). */
	clear_bit_unlock(FANOUT_HUB_QUEUED, &s->queued);
	/* Cleared before its queue is looked at: pairs with the waker. */
	smp_mb__after_atomic();
	return s;
}

/* What a serve did not look at goes back first on the hub's list. */
static void fanout_hub_putback(struct fanout_hub *hub, struct list_head *todo)
{
	bool first;

	if (list_empty(todo))
		return;
	spin_lock_irq(&hub->lock);
	first = list_empty(&hub->ready);
	list_splice_init(todo, &hub->ready);
	spin_unlock_irq(&hub->lock);
	/* Another serve may have found the list empty. */
	if (first)
		wake_up(&hub->wq);
}

/* ---- attaching -------------------------------------------------------- */

static struct fanout_hub *fanout_hub_create(void)
{
	struct fanout_hub *hub;

	hub = fanout_kzalloc(sizeof(*hub), GFP_KERNEL_ACCOUNT);
	if (!hub)
		return NULL;
	spin_lock_init(&hub->lock);
	INIT_LIST_HEAD(&hub->ready);
	init_waitqueue_head(&hub->wq);
	xa_init_flags(&hub->slots, XA_FLAGS_ALLOC);
	return hub;
}

/*
 * Hook @s up where @ep hears of new requests: its member's notices to
 * unbound agents (fanout_member_wake()) and the group's to a bound one
 * (fanout_agent_wake()). @ep->lock held, so @ep keeps its member
 * (joining again is refused while attached). Return: 0, -ENOTCONN.
 */
static int fanout_hub_slot_hook(struct fanout_hub_slot *s,
				struct fanout_endpoint *ep)
{
	struct fanout_group *g = fanout_ep_group(ep);
	s32 member = g ? READ_ONCE(ep->member) : -1;

	if (member < 0)
		return -ENOTCONN;
	spin_lock_bh(&g->lock);
	list_add_tail_rcu(&s->member_node, &g->members[member].hubs);
	ep->hub_slot = s;
	spin_unlock_bh(&g->lock);
	return 0;
}

/*
 * Take @s off its member's list, once: when its agent can no longer
 * receive, or when the hub goes. Readers may still see it until a grace
 * period passed.
 */
static void fanout_hub_slot_unhook(struct fanout_hub_slot *s)
{
	struct fanout_group *g = fanout_ep_group(s->ep);

	if (xchg(&s->unhooked, true))
		return;
	spin_lock_bh(&g->lock);
	list_del_rcu(&s->member_node);
	spin_unlock_bh(&g->lock);
}

/* The hub lets go of @s's endpoint. fanout_hub_mutex held. */
static void fanout_hub_slot_detach(struct fanout_hub_slot *s)
{
	struct fanout_endpoint *ep = s->ep;
	struct fanout_group *g = fanout_ep_group(ep);

	fanout_hub_slot_unhook(s);
	mutex_lock(&ep->lock);
	spin_lock_bh(&g->lock);
	ep->hub_slot = NULL;
	spin_unlock_bh(&g->lock);
	mutex_unlock(&ep->lock);
}

/*
 * The endpoint behind @fd, if it can be attached to @hub_ep's hub.
 * fanout_hub_mutex held.
 */
static int fanout_hub_check(struct fanout_endpoint *hub_ep, struct file *file,
			    struct fanout_endpoint **epp)
{
	struct fanout_endpoint *ep = fanout_file_endpoint(file);

	if (!ep || ep == hub_ep)
		return -EINVAL;
	if (ep->hub || ep->hub_slot || hub_ep->hub_slot)
		return -EBUSY;
	*epp = ep;
	return 0;
}

/* Attach @ep (its @file) to @hub as a new slot. fanout_hub_mutex held. */
static int fanout_hub_attach(struct fanout_hub *hub, struct fanout_endpoint *ep,
			     struct file *file, u32 *index)
{
	struct fanout_hub_slot *s;
	int ret;

	if (hub->nslots >= FANOUT_HUB_SLOTS_MAX)
		return -ENOSPC;
	s = fanout_kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->hub = hub;
	s->ep = ep;
	s->file = file;
	INIT_LIST_HEAD(&s->ready_node);
	/*
	 * The index is reserved, unseen by serves, until the slot is hooked
	 * up; storing it then cannot fail (nor need memory), and nothing may
	 * fail after the hook, which can make the slot ready at once.
	 */
	ret = xa_alloc(&hub->slots, &s->index, NULL,
		       XA_LIMIT(0, FANOUT_HUB_SLOTS_MAX - 1), GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;
	mutex_lock(&ep->lock);
	ret = fanout_hub_slot_hook(s, ep);
	mutex_unlock(&ep->lock);
	if (ret)
		goto err_erase;
	WARN_ON_ONCE(xa_is_err(xa_store(&hub->slots, s->index, s, GFP_KERNEL)));
	WRITE_ONCE(hub->nslots, hub->nslots + 1);
	*index = s->index;
	/* What was queued before is looked at by the next serve. */
	fanout_hub_queue(s, false);
	return 0;

err_erase:
	xa_erase(&hub->slots, s->index);
err_free:
	kfree(s);
	return ret == -EBUSY ? -ENOSPC : ret;
}

static int fanout_hub_add_check(const struct fanout_hub_add *a)
{
	return a->flags || a->reserved0 || a->reserved ? -EINVAL : 0;
}

/**
 * fanout_hub_add() - FANOUT_IOC_HUB_ADD: attach an agent endpoint
 * @hub_ep: the endpoint that is or becomes the hub
 * @a: the argument; @a->slot is set
 *
 * Return: 0 or an error documented at struct fanout_hub_add.
 */
int fanout_hub_add(struct fanout_endpoint *hub_ep, struct fanout_hub_add *a)
{
	struct fanout_endpoint *ep;
	struct fanout_hub *hub;
	struct file *file;
	int ret;

	ret = fanout_hub_add_check(a);
	if (ret)
		return ret;
	file = fget(a->fd);
	if (!file)
		return -EBADF;
	mutex_lock(&fanout_hub_mutex);
	ret = fanout_hub_check(hub_ep, file, &ep);
	if (ret)
		goto out_unlock;
	hub = hub_ep->hub;
	if (!hub) {
		ret = -ENOMEM;
		hub = fanout_hub_create();
		if (!hub)
			goto out_unlock;
		/* Servers read it without the mutex. */
		smp_store_release(&hub_ep->hub, hub);
	}
	ret = fanout_hub_attach(hub, ep, file, &a->slot);
	if (!ret)
		file = NULL;	/* the slot holds it */
out_unlock:
	mutex_unlock(&fanout_hub_mutex);
	if (file)
		fput(file);
	return ret;
}

/**
 * fanout_hub_release() - the endpoint closes: its hub, or its slot, goes
 * @ep: the endpoint
 *
 * An attached endpoint is released only after its hub let go of its
 * file, so only a hub has work here: each slot is unhooked and its file
 * put, which may release the agent endpoint (it leaves its member).
 */
void fanout_hub_release(struct fanout_endpoint *ep)
{
	struct fanout_hub *hub = ep->hub;
	struct fanout_hub_slot *s;
	unsigned long index;

	WARN_ON_ONCE(ep->hub_slot);
	if (!hub)
		return;
	mutex_lock(&fanout_hub_mutex);
	xa_for_each(&hub->slots, index, s)
		fanout_hub_slot_detach(s);
	mutex_unlock(&fanout_hub_mutex);
	/* No notice reaches a slot, nor the hub, after this. */
	synchronize_rcu();
	xa_for_each(&hub->slots, index, s) {
		fput(s->file);
		kfree(s);
	}
	xa_destroy(&hub->slots);
	kfree(hub);
}

/**
 * fanout_hub_attached() - whether @ep is attached to a hub
 * @ep: an endpoint; its lock held
 *
 * Return: true when @ep serves through a hub (it cannot join again).
 */
bool fanout_hub_attached(struct fanout_endpoint *ep)
{
	lockdep_assert_held(&ep->lock);
	return ep->hub_slot;
}

/* ---- serving ---------------------------------------------------------- */

/* The hub of @ep, once it has a slot. */
static struct fanout_hub *fanout_hub_of(struct fanout_endpoint *ep)
{
	/* Pairs with the release that published it, initialised. */
	struct fanout_hub *hub = smp_load_acquire(&ep->hub);

	return hub && READ_ONCE(hub->nslots) ? hub : NULL;
}

static int fanout_hub_serve_check(const struct fanout_hub_serve *sv)
{
	if (sv->flags & ~FANOUT_HUB_FLAGS)
		return -EINVAL;
	if (sv->reserved0 || sv->reserved[0] || sv->reserved[1])
		return -EINVAL;
	if (sv->nreplies > FANOUT_HUB_SLOTS_MAX ||
	    sv->nmsgs > FANOUT_HUB_SLOTS_MAX)
		return -EINVAL;
	return 0;
}

/* Reply to the entries of @chunk, each with its result set. */
static void fanout_hub_reply_chunk(struct fanout_hub *hub,
				   struct fanout_hub_reply *chunk, u32 n)
{
	struct fanout_endpoint *eps[FANOUT_HUB_REPLY_CHUNK];
	struct fanout_reply r[FANOUT_HUB_REPLY_CHUNK];
	int results[FANOUT_HUB_REPLY_CHUNK];
	struct fanout_hub_slot *s;
	u32 i;

	for (i = 0; i < n; i++) {
		s = xa_load(&hub->slots, chunk[i].slot);
		eps[i] = s ? s->ep : NULL;
		results[i] = -EBADSLT;
		r[i] = (struct fanout_reply) {
			.id = chunk[i].id,
			.buf = chunk[i].buf,
			.len = chunk[i].len,
			.status = chunk[i].status,
		};
	}
	fanout_reply_many(eps, r, results, n);
	for (i = 0; i < n; i++)
		chunk[i].result = results[i];
}

/**
 * fanout_hub_serve_replies() - the reply half of a serve
 * @ep: the hub's endpoint
 * @sv: the serve, checked; @sv->replied counts the entries done
 *
 * Return: 0, -ENOTCONN (no slot), or -EFAULT (an entry could not be read,
 * or its result written: @sv->replied counts the replies done, results
 * written or not).
 */
static int fanout_hub_serve_replies(struct fanout_endpoint *ep,
				    struct fanout_hub_serve *sv)
{
	struct fanout_hub_reply chunk[FANOUT_HUB_REPLY_CHUNK];
	struct fanout_hub_reply __user *ur = u64_to_user_ptr(sv->replies);
	struct fanout_hub *hub = fanout_hub_of(ep);
	u32 n;

	if (!hub)
		return -ENOTCONN;
	while (sv->replied < sv->nreplies) {
		n = min_t(u32, sv->nreplies - sv->replied, ARRAY_SIZE(chunk));
		if (copy_from_user(chunk, ur + sv->replied, n * sizeof(*chunk)))
			return -EFAULT;
		fanout_hub_reply_chunk(hub, chunk, n);
		sv->replied += n;
		if (copy_to_user(ur + sv->replied - n, chunk, n * sizeof(*chunk)))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}

/* Messages of a serve written to the caller's array at once. */
#define FANOUT_HUB_MSG_CHUNK	16

/**
 * struct fanout_hub_batch - messages taken, not yet written
 * @msg: the messages
 * @slot: the slot of each
 * @n: entries
 * @have: the request whose shared payload the serve copied last, with a
 *	reference (so that no other takes its address), or NULL
 * @have_off: where that copy is in the serve's buffer
 */
struct fanout_hub_batch {
	struct fanout_hub_msg msg[FANOUT_HUB_MSG_CHUNK];
	struct fanout_hub_slot *slot[FANOUT_HUB_MSG_CHUNK];
	u32 n;
	struct fanout_request *have;
	u32 have_off;
};

/*
 * Take one request of @s into the serve's buffer at *@used (or, when the
 * serve has its shared payload already, @b->have, point at that) and
 * describe it in @msg; *@more: another waits behind it. Return: 0, -EAGAIN
 * (nothing for @s), -EMSGSIZE (it does not fit what is left: @msg->len
 * is its length), or the slot's error (-ENOTCONN, -EIDRM, -EFAULT).
 */
static int fanout_hub_take(struct fanout_hub_slot *s,
			   const struct fanout_hub_serve *sv, u32 used,
			   struct fanout_hub_msg *msg, bool *more,
			   struct fanout_hub_batch *b)
{
	/* Where the next payload goes; beyond 4 GiB, nothing fits. */
	u64 off = round_up((u64)used, 8);
	struct fanout_recv r = {
		.buf = sv->buf + off,
		.buf_len = off < sv->buf_len ? sv->buf_len - off : 0,
	};
	struct fanout_request *req;
	struct fanout_target *t;
	bool dup, shared;
	int ret = 0;

	t = fanout_recv_grab(s->ep, &r, &ret, more,
			     b->have ? b->have->payload : NULL);
	memset(msg, 0, sizeof(*msg));
	msg->slot = s->index;
	if (!t) {
		if (ret == -EMSGSIZE)
			msg->len = r.len;
		return ret;
	}
	/*
	 * A request's shared payload is copied once per serve: its other
	 * targets are told where that copy is.
	 */
	req = t->req;
	shared = t->payload == req->payload;
	dup = shared && req == b->have;
	if (dup)
		off = b->have_off;
	else if (shared)
		kref_get(&req->ref);
	r.buf = sv->buf + off;
	ret = fanout_recv_deliver(s->ep, &r, t, !dup);
	if (shared && !dup) {
		if (ret) {
			fanout_request_put(req);
		} else {
			if (b->have)
				fanout_request_put(b->have);
			b->have = req;
			b->have_off = off;
		}
	}
	if (ret)
		return ret;
	msg->id = r.id;
	memcpy(msg->uuid, r.uuid, sizeof(msg->uuid));
	msg->offset = off;
	msg->len = r.len;
	msg->member = r.member;
	msg->flags = r.flags & FANOUT_RECV_REDELIVERED;
	return 0;
}

/* @msg could not be written: its request goes back to its queue. */
static void fanout_hub_untake(struct fanout_hub_slot *s,
			      const struct fanout_hub_msg *msg)
{
	struct fanout_recv r = { .id = msg->id, .member = msg->member };

	fanout_recv_undo(s->ep, &r, -EFAULT);
}

/* Whether @msg tells that its slot's agent can no longer receive. */
static bool fanout_hub_end_told(const struct fanout_hub_msg *msg)
{
	return msg->error && msg->error != -EMSGSIZE;
}

/*
 * Write @b after the messages of @sv written so far. When that fails,
 * what @b took goes back to its queues. Return: 0 or -EFAULT.
 */
static int fanout_hub_flush(struct fanout_hub_serve *sv,
			    struct fanout_hub_batch *b)
{
	struct fanout_hub_msg __user *um = u64_to_user_ptr(sv->msgs);
	u32 i, n = b->n;

	bool written;

	b->n = 0;
	written = !copy_to_user(um + sv->nmsgs, b->msg, n * sizeof(b->msg[0]));
	if (written)
		sv->nmsgs += n;
	/* Backwards: each goes back to the head of its queue. */
	for (i = n; i-- > 0; ) {
		if (fanout_hub_end_told(&b->msg[i]))
			WRITE_ONCE(b->slot[i]->report, written ?
				   FANOUT_HUB_TOLD : FANOUT_HUB_UNTOLD);
		if (written)
			continue;
		if (!b->msg[i].error)
			fanout_hub_untake(b->slot[i], &b->msg[i]);
		fanout_hub_queue(b->slot[i], true);
	}
	return written ? 0 : -EFAULT;
}

/*
 * Look at one ready slot, adding what it gives to @b. Return: 1 when it
 * gave a message, 0 when it had nothing, -EMSGSIZE when its next payload
 * does not fit, -EFAULT (the caller puts it back first).
 */
static int fanout_hub_serve_slot(struct fanout_hub_slot *s,
				 struct fanout_hub_serve *sv,
				 struct fanout_hub_batch *b, u32 *used)
{
	struct fanout_hub_msg *msg = &b->msg[b->n];
	bool more = false;
	int ret;

	ret = fanout_hub_take(s, sv, *used, msg, &more, b);
	if (ret == -EAGAIN)
		return 0;
	if (ret == -EMSGSIZE || ret == -EFAULT)
		return ret;
	/*
	 * Its agent left or its group went: no wake-up need reach the slot
	 * any more, and it is told once, by the serve that writes it.
	 */
	if (ret) {
		fanout_hub_slot_unhook(s);
		if (cmpxchg(&s->report, FANOUT_HUB_UNTOLD,
			    FANOUT_HUB_TELLING) != FANOUT_HUB_UNTOLD)
			return 0;
	}
	msg->error = ret;
	b->slot[b->n++] = s;
	if (!ret)
		*used = max_t(u32, *used, msg->offset + msg->len);
	/*
	 * It holds more: the others first. What is queued for it later
	 * wakes it again.
	 */
	if (more)
		fanout_hub_queue(s, false);
	return 1;
}

/*
 * Nothing was received and @s's next payload is larger than the whole
 * buffer: one message names @s and the length, its error -EMSGSIZE; the
 * request stays queued. Return: -EMSGSIZE, or -EFAULT.
 */
static int fanout_hub_too_big(struct fanout_hub_serve *sv,
			      struct fanout_hub_batch *b,
			      struct fanout_hub_slot *s)
{
	b->msg[0].error = -EMSGSIZE;
	b->slot[0] = s;
	b->n = 1;
	return fanout_hub_flush(sv, b) ?: -EMSGSIZE;
}

/**
 * fanout_hub_serve_try() - the receive half of a serve, never blocking
 * @ep: the hub's endpoint
 * @sv: the serve, its replies done; @sv->nmsgs is the room at @sv->msgs
 *	and becomes the messages written once there is one
 *
 * With no room, nothing is received and the serve is over.
 * Return: 0, -EAGAIN with nothing received (@sv->nmsgs unchanged),
 * -EMSGSIZE (a payload larger than the whole buffer, told in one
 * message), -ENOTCONN (no slot), -EFAULT.
 */
int fanout_hub_serve_try(struct fanout_endpoint *ep,
			 struct fanout_hub_serve *sv)
{
	struct fanout_hub *hub = fanout_hub_of(ep);
	struct fanout_hub_slot *s = NULL;
	struct fanout_hub_batch b;
	u32 room = sv->nmsgs;
	LIST_HEAD(todo);
	u32 used = 0;
	int ret = 0;

	if (!hub)
		return -ENOTCONN;
	if (!room)
		return 0;
	sv->nmsgs = 0;
	b.n = 0;
	b.have = NULL;
	while (sv->nmsgs + b.n < room) {
		/* Those put back for having more come after the others. */
		if (list_empty(&todo))
			fanout_hub_grab(hub, &todo);
		s = fanout_hub_next(&todo);
		if (!s)
			break;
		ret = fanout_hub_serve_slot(s, sv, &b, &used);
		if (ret < 0)
			break;
		if (b.n == FANOUT_HUB_MSG_CHUNK) {
			ret = fanout_hub_flush(sv, &b);
			if (ret)
				break;
		}
	}
	/*
	 * What it could not take goes back first, unless woken meanwhile
	 * (an unbound agent passes its wake-up on): queued then.
	 */
	if ((ret == -EMSGSIZE || ret == -EFAULT) &&
	    !test_and_set_bit(FANOUT_HUB_QUEUED, &s->queued))
		list_add(&s->ready_node, &todo);
	fanout_hub_putback(hub, &todo);
	if (b.have)
		fanout_request_put(b.have);
	if (ret == -EMSGSIZE && !sv->nmsgs && !b.n)
		return fanout_hub_too_big(sv, &b, s);
	if (b.n && fanout_hub_flush(sv, &b))
		ret = -EFAULT;
	if (sv->nmsgs)
		return 0;
	sv->nmsgs = room;
	return ret < 0 ? ret : -EAGAIN;
}

/**
 * fanout_hub_serve_end() - a serve is over
 * @sv: the serve
 * @ret: its result
 *
 * A serve that failed received nothing: @sv->nmsgs becomes 0, but for
 * -EMSGSIZE, told in one message (fanout_hub_too_big()). One that
 * is to be restarted (-ERESTARTNOINTR: task work, no signal, no reply)
 * keeps the caller's @sv->nmsgs, as the restart reads the structure
 * written back: with 0 there it would only reply, and return 0 at once
 * with nothing received.
 *
 * Return: @ret.
 */
int fanout_hub_serve_end(struct fanout_hub_serve *sv, int ret)
{
	if (ret && ret != -ERESTARTNOINTR && ret != -EMSGSIZE)
		sv->nmsgs = 0;
	return ret;
}

/**
 * fanout_hub_serve_wq() - where a serve waits for a slot to be woken
 * @ep: the hub's endpoint, with a slot
 *
 * Return: the hub's wait queue.
 */
wait_queue_head_t *fanout_hub_serve_wq(struct fanout_endpoint *ep)
{
	return &fanout_hub_of(ep)->wq;
}

/**
 * fanout_hub_serve_ready() - whether a waiting serve should look again
 * @ep: the hub's endpoint, with a slot
 *
 * Return: true when a slot was woken.
 */
bool fanout_hub_serve_ready(struct fanout_endpoint *ep)
{
	return fanout_hub_has_ready(fanout_hub_of(ep));
}

/**
 * fanout_hub_serve_nonblock() - whether a serve must not block
 * @ep: the hub's endpoint
 * @sv: the serve
 *
 * Return: true with %FANOUT_HUB_NONBLOCK or an O_NONBLOCK hub.
 */
bool fanout_hub_serve_nonblock(struct fanout_endpoint *ep,
			       const struct fanout_hub_serve *sv)
{
	return (sv->flags & FANOUT_HUB_NONBLOCK) ||
	       (ep->file->f_flags & O_NONBLOCK);
}

/*
 * Sleep until a slot of @ep's hub is woken. A signal gives -EINTR; task
 * work alone (the caller's own ring) restarts the serve unless it
 * replied, which a restart would do again.
 */
static int fanout_hub_sleep(struct fanout_endpoint *ep,
			    const struct fanout_hub_serve *sv)
{
	struct fanout_hub *hub = fanout_hub_of(ep);
	int ret;

	if (!wait_event_interruptible(hub->wq, fanout_hub_has_ready(hub)))
		return 0;
	ret = fanout_wait_interrupted();
	return ret == -ERESTARTNOINTR && sv->nreplies ? -EINTR : ret;
}

/**
 * fanout_hub_serve_start() - check a serve and do its replies
 * @ep: the hub's endpoint
 * @sv: the serve
 *
 * Return: 0, or an error that ends the serve.
 */
int fanout_hub_serve_start(struct fanout_endpoint *ep,
			   struct fanout_hub_serve *sv)
{
	int ret;

	ret = fanout_hub_serve_check(sv);
	return ret ? ret : fanout_hub_serve_replies(ep, sv);
}

/**
 * fanout_hub_serve() - FANOUT_IOC_HUB_SERVE
 * @ep: the hub's endpoint
 * @sv: the serve
 *
 * Return: 0 or an error documented at struct fanout_hub_serve.
 */
int fanout_hub_serve(struct fanout_endpoint *ep, struct fanout_hub_serve *sv)
{
	int ret;

	ret = fanout_hub_serve_start(ep, sv);
	while (!ret) {
		ret = fanout_hub_serve_try(ep, sv);
		if (ret != -EAGAIN || fanout_hub_serve_nonblock(ep, sv))
			break;
		ret = fanout_hub_sleep(ep, sv);
	}
	return fanout_hub_serve_end(sv, ret);
}

/* Outputs read as "nothing done" until something is. */
void fanout_hub_serve_clear(struct fanout_hub_serve *sv)
{
	sv->replied = 0;
}
