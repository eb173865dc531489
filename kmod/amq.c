// SPDX-License-Identifier: GPL-2.0
/*
 * fanout agent message queues (AMQs): per member, one queue per
 * conversation (request UUID) in progress, so that all requests of a
 * conversation reach one agent at a time, in send order, while other
 * conversations run on other agents of the member.
 *
 * An AMQ exists only while busy: it is allocated when the first target
 * of its UUID reaches the member and freed when it holds no queued target
 * and none of its targets is taken. Its states:
 *
 *   free (no AMQ) --target of a new UUID--> busy-unbound (on member ready)
 *   busy-unbound --an unbound agent takes its head--> busy-bound
 *   busy-bound --empty and nothing taken--> free (the agent is unbound)
 *   busy-bound --its agent leaves or dies--> busy-unbound (at the head of
 *	the ready list), or free when nothing of it is left
 *
 * Everything here runs under the group lock (fanout_group.lock), which
 * protects every field of struct fanout_amq and the AMQ fields of
 * struct fanout_member and struct fanout_endpoint; the group's hash
 * table of AMQs (an rhashtable keyed by member and UUID) is changed only
 * under it too, its own bucket locks nesting inside.
 *
 * A freed AMQ goes to the group's cache (fanout_group.amq_cache, group
 * lock) while that holds fewer than %FANOUT_AMQ_CACHE_MAX, and is used
 * again at once, without an RCU grace period. The only lockless readers,
 * the lookups of fanout_amq_reserve(), cope: the table's lookup restarts
 * when an entry moved to another chain under it, its node is never
 * cleared, and a wrong answer only changes how many AMQs a send
 * allocates ahead. What leaves the cache for good is freed after a grace
 * period.
 */
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "fanout.h"
#include "state.h"
#include "trace.h"

/* Idle AMQs a group keeps for reuse: a fan-out to this many members. */
#define FANOUT_AMQ_CACHE_MAX	1024

static const struct rhashtable_params fanout_amq_params = {
	.key_len = sizeof(struct fanout_amq_key),
	.key_offset = offsetof(struct fanout_amq, key),
	.head_offset = offsetof(struct fanout_amq, hnode),
	.automatic_shrinking = true,
};

/**
 * fanout_amq_table_init() - set up a group's table of AMQs
 * @g: the group, being created
 * @max_members: its member count
 *
 * A fan-out to every member holds one AMQ per member while it is in
 * flight: the table starts, and stays, large enough for that, so that it
 * is not grown and shrunk again (in a worker, with an RCU-freed copy of
 * the bucket array) at every fan-out.
 *
 * Return: 0 or -ENOMEM.
 */
int fanout_amq_table_init(struct fanout_group *g, u32 max_members)
{
	struct rhashtable_params p = fanout_amq_params;

	p.nelem_hint = max_members;
	p.min_size = roundup_pow_of_two(max_members * 4 / 3 + 1);
	INIT_LIST_HEAD(&g->amq_cache);
	return rhashtable_init(&g->amqs, &p);
}

/* Free the AMQs of @list (by their @ready_node) after a grace period. */
static void fanout_amq_free_list(struct list_head *list)
{
	struct fanout_amq *amq, *tmp;

	list_for_each_entry_safe(amq, tmp, list, ready_node) {
		list_del(&amq->ready_node);
		kfree_rcu(amq, rcu);
	}
}

void fanout_amq_table_destroy(struct fanout_group *g)
{
	WARN_ON_ONCE(atomic_read(&g->amqs.nelems));
	fanout_amq_free_list(&g->amq_cache);
	g->amq_ncached = 0;
	rhashtable_destroy(&g->amqs);
}

/* An idle AMQ of the cache, or NULL. Group lock held. */
static struct fanout_amq *fanout_amq_cached(struct fanout_group *g)
{
	struct fanout_amq *amq;

	amq = list_first_entry_or_null(&g->amq_cache, struct fanout_amq,
				       ready_node);
	if (amq) {
		list_del(&amq->ready_node);
		g->amq_ncached--;
	}
	return amq;
}

/* @amq is no longer in use: to the cache, or freed. Group lock held. */
static void fanout_amq_recycle(struct fanout_group *g, struct fanout_amq *amq)
{
	if (g->amq_ncached < FANOUT_AMQ_CACHE_MAX) {
		list_add(&amq->ready_node, &g->amq_cache);
		g->amq_ncached++;
	} else {
		kfree_rcu(amq, rcu);
	}
}

static void fanout_amq_key(struct fanout_amq_key *key, u32 member,
			   const u8 *uuid)
{
	memset(key, 0, sizeof(*key));
	key->member = member;
	memcpy(key->uuid, uuid, sizeof(key->uuid));
}

/**
 * fanout_amq_reserve() - allocate the AMQs a request will need
 * @g: the group
 * @req: the request, not started yet
 * @fresh: its UUID was just generated: no member has an AMQ for it
 * @reserve: an empty list, filled with the AMQs (by their @ready_node)
 *
 * One for each target whose member has no AMQ for the request's UUID
 * now, so that a send fails as a whole when memory is short instead of
 * target by target under the group lock. Looks the table up under RCU
 * (AMQs are freed after a grace period); may sleep.
 * Return: 0, or -ENOMEM with @reserve empty.
 */
int fanout_amq_reserve(struct fanout_group *g, struct fanout_request *req,
		       bool fresh, struct list_head *reserve)
{
	struct fanout_amq_key key;
	struct fanout_amq *amq;
	u32 i, need = 0;

	rcu_read_lock();
	for (i = 0; i < req->ntargets; i++) {
		fanout_amq_key(&key, req->targets[i].member, req->uuid);
		if (fresh || !rhashtable_lookup(&g->amqs, &key,
						fanout_amq_params))
			need++;
	}
	rcu_read_unlock();
	spin_lock_bh(&g->lock);
	for (; need && (amq = fanout_amq_cached(g)); need--)
		list_add(&amq->ready_node, reserve);
	spin_unlock_bh(&g->lock);
	while (need--) {
		amq = fanout_kzalloc(sizeof(*amq), GFP_KERNEL_ACCOUNT);
		if (!amq) {
			fanout_amq_unreserve(g, reserve);
			return -ENOMEM;
		}
		list_add(&amq->ready_node, reserve);
	}
	return 0;
}

/**
 * fanout_amq_unreserve() - give back the AMQs of @reserve not used
 * @g: the group
 * @reserve: what fanout_amq_reserve() filled and the send left
 */
void fanout_amq_unreserve(struct fanout_group *g, struct list_head *reserve)
{
	struct fanout_amq *amq, *tmp;

	if (list_empty(reserve))
		return;
	spin_lock_bh(&g->lock);
	list_for_each_entry_safe(amq, tmp, reserve, ready_node) {
		if (g->amq_ncached >= FANOUT_AMQ_CACHE_MAX)
			break;
		list_move(&amq->ready_node, &g->amq_cache);
		g->amq_ncached++;
	}
	spin_unlock_bh(&g->lock);
	fanout_amq_free_list(reserve);
}

/*
 * Make @amq, new or used before, idle for @member and @uuid. Its table
 * node is left alone: a lockless lookup may still be walking it.
 */
static void fanout_amq_init(struct fanout_amq *amq, u32 member,
			    const u8 *uuid)
{
	fanout_amq_key(&amq->key, member, uuid);
	INIT_LIST_HEAD(&amq->ready_node);
	INIT_LIST_HEAD(&amq->member_node);
	INIT_LIST_HEAD(&amq->targets);
	amq->agent = NULL;
	amq->agent_pid = 0;
	amq->nqueued = 0;
	amq->ntaken = 0;
}

/*
 * A new busy AMQ of member @member for @uuid, from @reserve, or else
 * from the cache, or else allocated without sleeping (a conversation
 * that became free since the reservation, or a target admitted from the
 * backlog); an ERR_PTR().
 */
static struct fanout_amq *fanout_amq_create(struct fanout_group *g,
					    u32 member, const u8 *uuid,
					    struct list_head *reserve)
{
	struct fanout_member *m = &g->members[member];
	struct fanout_amq *amq = NULL;
	int ret;

	if (reserve)
		amq = list_first_entry_or_null(reserve, struct fanout_amq,
					       ready_node);
	if (amq)
		list_del(&amq->ready_node);
	else
		amq = fanout_amq_cached(g);
	if (!amq)
		amq = fanout_kzalloc(sizeof(*amq), GFP_NOWAIT | __GFP_ACCOUNT |
				     __GFP_NOWARN);
	if (!amq)
		return ERR_PTR(-ENOMEM);
	fanout_amq_init(amq, member, uuid);
	ret = rhashtable_insert_fast(&g->amqs, &amq->hnode, fanout_amq_params);
	if (ret) {
		fanout_amq_recycle(g, amq);
		return ERR_PTR(-ENOMEM);
	}
	list_add_tail(&amq->member_node, &m->amqs);
	m->nbusy++;
	g->stats.amqs_busy++;
	return amq;
}

/* Wake the agents that can now take something of @amq. */
static void fanout_amq_wake(struct fanout_group *g, struct fanout_amq *amq)
{
	if (amq->agent)
		fanout_agent_wake(amq->agent);
	else
		wake_up(&g->members[amq->key.member].wq);
}

/*
 * Unbind @amq from its agent. What is still queued goes to the head of
 * the member's ready list (the conversation was already being served)
 * for the next agent.
 */
static void fanout_amq_unbind(struct fanout_group *g, struct fanout_amq *amq)
{
	struct fanout_endpoint *ep = amq->agent;

	if (!ep)
		return;
	ep->amq = NULL;
	amq->agent = NULL;
	/*
	 * A task of @ep waiting for this conversation waits as unbound now;
	 * its hub looks again if the member has other conversations ready.
	 */
	if (wq_has_sleeper(&ep->wq))
		wake_up_all(&ep->wq);
	if (!list_empty(&g->members[amq->key.member].ready))
		fanout_hub_notify(ep);
	if (amq->nqueued) {
		list_add(&amq->ready_node, &g->members[amq->key.member].ready);
		wake_up(&g->members[amq->key.member].wq);
	}
}

static void fanout_member_admit_backlog(struct fanout_group *g,
					struct fanout_member *m);

/* Free @amq if it is empty and nothing of it is taken. */
static void fanout_amq_put_if_idle(struct fanout_group *g,
				   struct fanout_amq *amq)
{
	struct fanout_member *m = &g->members[amq->key.member];

	if (amq->nqueued || amq->ntaken)
		return;
	fanout_amq_unbind(g, amq);
	list_del(&amq->ready_node);
	list_del(&amq->member_node);
	rhashtable_remove_fast(&g->amqs, &amq->hnode, fanout_amq_params);
	m->nbusy--;
	g->stats.amqs_busy--;
	fanout_amq_recycle(g, amq);
	fanout_member_admit_backlog(g, m);
}

/* Append @t to @amq, the queue of its conversation on its member. */
static void fanout_amq_append(struct fanout_group *g, struct fanout_amq *amq,
			      struct fanout_target *t)
{
	t->amq = amq;
	list_add_tail(&t->node, &amq->targets);
	if (!amq->nqueued++ && !amq->agent)
		list_add_tail(&amq->ready_node,
			      &g->members[amq->key.member].ready);
}

/*
 * The AMQ of @t's conversation on its member: the busy one, or a new one
 * while the member has a free queue. NULL when every queue is busy with
 * another conversation; an ERR_PTR() when none could be made.
 */
static struct fanout_amq *fanout_amq_find(struct fanout_group *g,
					  const struct fanout_target *t,
					  struct list_head *reserve)
{
	struct fanout_amq_key key;
	struct fanout_amq *amq;

	/*
	 * A UUID the kernel generated for this request is new: its target
	 * is the first of the conversation on any member (a later one of
	 * it queues behind it, in the backlog too).
	 */
	if (t->req->flags & FANOUT_SEND_UUID) {
		fanout_amq_key(&key, t->member, t->req->uuid);
		amq = rhashtable_lookup_fast(&g->amqs, &key, fanout_amq_params);
		if (amq)
			return amq;
	}
	if (g->members[t->member].nbusy >= g->max_queues)
		return NULL;
	return fanout_amq_create(g, t->member, t->req->uuid, reserve);
}

/*
 * Admit targets from the head of @m's backlog while each finds its AMQ,
 * in order: a target never overtakes an older one of the backlog.
 */
static void fanout_member_admit_backlog(struct fanout_group *g,
					struct fanout_member *m)
{
	struct fanout_target *t, *tmp;
	struct fanout_amq *amq;

	list_for_each_entry_safe(t, tmp, &m->backlog, node) {
		amq = fanout_amq_find(g, t, NULL);
		if (!amq)
			return;
		if (IS_ERR(amq)) {
			/* Not left to wedge the backlog: it fails. */
			fanout_target_settle(t, PTR_ERR(amq),
					     FANOUT_TARGET_FAILED);
			fanout_request_wake(t->req);
			continue;
		}
		list_del(&t->node);
		g->stats.backlog--;
		fanout_amq_append(g, amq, t);
		trace_fanout_queue(t);
		fanout_amq_wake(g, amq);
	}
}

/**
 * fanout_amq_queue() - hand a new target to its member
 * @g: the group
 * @t: the target, QUEUED and on no list
 * @reserve: AMQs allocated for the request by fanout_amq_reserve()
 *
 * The target joins the AMQ of its conversation, or the member's backlog.
 * Group lock held.
 * Return: 0 when queued and an unbound agent of the member should be
 * woken; 1 when queued and nobody needs waking (a bound agent was woken
 * here, or it waits in the backlog); or the failure reason: -ENOTCONN,
 * -ENOBUFS, -ENOMEM.
 */
int fanout_amq_queue(struct fanout_group *g, struct fanout_target *t,
		     struct list_head *reserve)
{
	struct fanout_member *m = &g->members[t->member];
	struct fanout_amq *amq = NULL;

	lockdep_assert_held(&g->lock);
	if (!m->nagents)
		return -ENOTCONN;
	if (m->nqueued >= g->max_queue)
		return -ENOBUFS;
	/* Behind an older target of the backlog, this one waits too. */
	fanout_member_admit_backlog(g, m);
	if (list_empty(&m->backlog)) {
		amq = fanout_amq_find(g, t, reserve);
		if (IS_ERR(amq))
			return PTR_ERR(amq);
	}
	m->nqueued++;
	if (!amq) {
		if (!(g->flags & FANOUT_GROUP_BACKLOG)) {
			m->nqueued--;
			return -ENOBUFS;
		}
		list_add_tail(&t->node, &m->backlog);
		g->stats.backlog++;
		trace_fanout_queue(t);
		return 1;
	}
	fanout_amq_append(g, amq, t);
	trace_fanout_queue(t);
	if (!amq->agent)
		return 0;
	fanout_agent_wake(amq->agent);
	return 1;
}

/**
 * fanout_amq_settle() - a target leaves its queue or its taker
 * @g: the group
 * @t: the target, QUEUED or TAKEN, settling now
 *
 * Unlinks @t and frees its AMQ when nothing of it is left, which unbinds
 * the agent and may admit targets of the backlog. Group lock held.
 */
void fanout_amq_settle(struct fanout_group *g, struct fanout_target *t)
{
	struct fanout_member *m = &g->members[t->member];
	struct fanout_amq *amq = t->amq;

	lockdep_assert_held(&g->lock);
	/* A target failed at send time was never on a queue. */
	if (list_empty(&t->node))
		return;
	list_del_init(&t->node);
	t->amq = NULL;
	if (t->state == FANOUT_TARGET_QUEUED) {
		m->nqueued--;
		if (!amq) {		/* in the backlog */
			g->stats.backlog--;
			return;
		}
		if (!--amq->nqueued)
			list_del_init(&amq->ready_node);
	} else {
		amq->ntaken--;
	}
	fanout_amq_put_if_idle(g, amq);
}

/**
 * fanout_amq_next() - the target @ep would take next
 * @g: the group
 * @ep: an agent endpoint, joined
 *
 * The head of the AMQ @ep is bound to, or, for an unbound agent, the
 * head of the oldest ready AMQ of its member. Group lock held.
 * Return: the target, or NULL when there is none for @ep.
 */
struct fanout_target *fanout_amq_next(struct fanout_group *g,
				      struct fanout_endpoint *ep)
{
	struct fanout_amq *amq = ep->amq;

	lockdep_assert_held(&g->lock);
	if (!amq)
		amq = list_first_entry_or_null(&g->members[ep->member].ready,
					       struct fanout_amq, ready_node);
	if (!amq)
		return NULL;
	return list_first_entry_or_null(&amq->targets, struct fanout_target,
					node);
}

/**
 * fanout_amq_take() - @ep takes @t, as found by fanout_amq_next()
 * @g: the group
 * @ep: the agent
 * @t: the target
 *
 * An unbound agent becomes bound to @t's AMQ. Group lock held.
 */
void fanout_amq_take(struct fanout_group *g, struct fanout_endpoint *ep,
		     struct fanout_target *t)
{
	struct fanout_amq *amq = t->amq;

	lockdep_assert_held(&g->lock);
	if (!amq->agent) {
		list_del_init(&amq->ready_node);
		amq->agent = ep;
		amq->agent_pid = task_tgid_nr(current);
		ep->amq = amq;
	}
	list_move_tail(&t->node, &ep->taken);
	amq->nqueued--;
	amq->ntaken++;
	g->members[t->member].nqueued--;
	fanout_state_target_take(g, t, true);
	t->state = FANOUT_TARGET_TAKEN;
}

/**
 * fanout_amq_untake() - put a target @ep took back at the head of its AMQ
 * @g: the group
 * @ep: the agent, still bound to the AMQ
 * @t: the target, TAKEN by @ep
 *
 * Group lock held.
 */
void fanout_amq_untake(struct fanout_group *g, struct fanout_endpoint *ep,
		       struct fanout_target *t)
{
	struct fanout_amq *amq = t->amq;

	lockdep_assert_held(&g->lock);
	list_move(&t->node, &amq->targets);
	amq->nqueued++;
	amq->ntaken--;
	g->members[t->member].nqueued++;
	fanout_state_target_take(g, t, false);
	t->state = FANOUT_TARGET_QUEUED;
	fanout_agent_wake(ep);
}

/* Whether @t is taken by @ep. Group lock held. */
bool fanout_amq_taken_by(const struct fanout_target *t,
			 const struct fanout_endpoint *ep)
{
	return t->state == FANOUT_TARGET_TAKEN && t->amq->agent == ep;
}

/**
 * fanout_amq_leave() - @ep stops serving its member
 * @g: the group
 * @ep: the agent
 *
 * Its AMQ, if any, is unbound: the rest of that conversation goes to
 * another agent of the member. Group lock held.
 */
void fanout_amq_leave(struct fanout_group *g, struct fanout_endpoint *ep)
{
	lockdep_assert_held(&g->lock);
	if (ep->amq)
		fanout_amq_unbind(g, ep->amq);
}

/*
 * The first target queued for @m that fails when it goes down: the
 * backlog first (it would be admitted as queues free), then its ready
 * AMQs (a member with no agent has no bound one). Targets kept for
 * redelivery are passed over. Group lock held.
 */
static struct fanout_target *fanout_member_doomed(struct fanout_member *m)
{
	struct fanout_target *t;
	struct fanout_amq *amq;

	list_for_each_entry(t, &m->backlog, node)
		if (!fanout_target_redeliverable(t))
			return t;
	list_for_each_entry(amq, &m->ready, ready_node)
		list_for_each_entry(t, &amq->targets, node)
			if (!fanout_target_redeliverable(t))
				return t;
	return NULL;
}

/**
 * fanout_member_fail_batch() - fail queued targets of a member gone down
 * @g: the group
 * @m: the member, with no agent
 * @status: the failure reason
 *
 * Fails up to %FANOUT_SETTLE_BATCH targets queued for @m, those kept for
 * redelivery excepted (they wait for the member's next agent or their
 * deadline). Group lock held.
 * Return: true when nothing of @m that fails is queued any more.
 */
bool fanout_member_fail_batch(struct fanout_group *g, struct fanout_member *m,
			      int status)
{
	struct fanout_target *t;
	unsigned int n;

	lockdep_assert_held(&g->lock);
	for (n = 0; n < FANOUT_SETTLE_BATCH; n++) {
		t = fanout_member_doomed(m);
		if (!t)
			return true;
		fanout_target_settle(t, status, FANOUT_TARGET_FAILED);
		fanout_request_wake(t->req);
	}
	return !fanout_member_doomed(m);
}

/*
 * debugfs fanout/amqs: every busy AMQ of the reader's network namespace,
 * one line each: group, member, UUID, queued, taken, bound agent's pid
 * (0: none). One member per hold of the group lock.
 */
void fanout_amq_show(struct seq_file *s, struct fanout_group *g)
{
	struct fanout_amq *amq;
	u32 m;

	for (m = 0; m < g->max_members; m++) {
		spin_lock_bh(&g->lock);
		list_for_each_entry(amq, &g->members[m].amqs, member_node)
			seq_printf(s, "%s %u %pUb %u %u %d\n", g->name, m,
				   amq->key.uuid, amq->nqueued, amq->ntaken,
				   amq->agent ? amq->agent_pid : 0);
		spin_unlock_bh(&g->lock);
		cond_resched();
	}
}
