// SPDX-License-Identifier: GPL-2.0
/*
 * fanout expected state: set, get, confirm, wait until every member that
 * is up confirmed; and the redelivery bookkeeping of targets whose agent
 * died or left (FANOUT_SEND_REDELIVER).
 *
 * Everything of struct fanout_gstate (state.h) is protected by the group
 * lock; user copies happen before or after it is held, from and to
 * kernel buffers allocated beforehand.
 */
#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fanout.h"
#include "state.h"

/**
 * fanout_gstate_init() - give a new group its expected state
 * @g: the group, not visible yet
 *
 * Return: 0 or -ENOMEM.
 */
int fanout_gstate_init(struct fanout_group *g)
{
	struct fanout_gstate *st;

	st = fanout_zalloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->confirmed = fanout_zalloc(BITS_TO_LONGS(g->max_members) *
				      sizeof(long));
	st->confirmed_gen = fanout_zalloc(g->max_members * sizeof(u64));
	if (!st->confirmed || !st->confirmed_gen) {
		fanout_free(st->confirmed);
		fanout_free(st->confirmed_gen);
		fanout_free(st);
		return -ENOMEM;
	}
	init_waitqueue_head(&st->wq);
	g->state = st;
	fanout_status_work_init(g);
	return 0;
}

/**
 * fanout_gstate_destroy() - free a group's expected state
 * @g: the group, unreferenced
 */
void fanout_gstate_destroy(struct fanout_group *g)
{
	struct fanout_gstate *st = g->state;

	/* Every request is gone: no target can be open any more. */
	WARN_ON_ONCE(st->nopen || st->nredeliver);
	fanout_status_cancel(g);
	kfree(st->blob);
	fanout_free(st->confirmed);
	fanout_free(st->confirmed_gen);
	fanout_free(st);
}

/**
 * fanout_gstate_kill() - the group was destroyed
 * @g: the group, dead
 *
 * State waiters return -EIDRM; no broadcast goes out any more. Called
 * without locks (waits for a running broadcast).
 */
void fanout_gstate_kill(struct fanout_group *g)
{
	wake_up_all(&g->state->wq);
	fanout_status_cancel(g);
}

/* Whether every member up confirmed the current generation. Group lock. */
static bool fanout_state_converged(struct fanout_group *g)
{
	return bitmap_subset(g->up, g->state->confirmed, g->max_members);
}

/**
 * fanout_state_outstanding() - whether periodic broadcasts must go on
 * @g: the group
 *
 * Something is outstanding while a state was set and a member that is
 * up has not confirmed it, or a target is open (which includes those
 * waiting for redelivery). Group lock held.
 * Return: true when so.
 */
bool fanout_state_outstanding(struct fanout_group *g)
{
	lockdep_assert_held(&g->lock);
	return g->state->nopen ||
	       (g->state->generation && !fanout_state_converged(g));
}

/* Whether flags or reserved fields of a set or get are not zero. */
static bool fanout_state_reserved(const struct fanout_state *s)
{
	return s->flags || s->reserved0 || s->reserved[0] || s->reserved[1];
}

static int fanout_state_check(const struct fanout_state *s)
{
	if (fanout_state_reserved(s))
		return -EINVAL;
	if (s->blob_len > FANOUT_STATE_BLOB_MAX)
		return -EMSGSIZE;
	return 0;
}

int fanout_state_set(struct fanout_endpoint *ep, struct fanout_state *s)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_gstate *st = g->state;
	u8 *blob = NULL;
	int ret;

	ret = fanout_state_check(s);
	if (ret)
		return ret;
	if (!(ep->perm & FANOUT_PERM_SEND))
		return -EACCES;
	if (s->blob_len) {
		blob = memdup_user(u64_to_user_ptr(s->blob), s->blob_len);
		if (IS_ERR(blob))
			return PTR_ERR(blob);
	}
	spin_lock_bh(&g->lock);
	if (g->dead) {
		ret = -EIDRM;
	} else {
		swap(st->blob, blob);
		st->blob_len = s->blob_len;
		st->code = s->code;
		s->generation = ++st->generation;
		bitmap_zero(st->confirmed, g->max_members);
		/* Waiters for the older generation learn it is stale. */
		wake_up_all(&st->wq);
		fanout_status_event(g, FANOUT_REASON_STATE_SET);
	}
	spin_unlock_bh(&g->lock);
	kfree(blob);
	return ret;
}

int fanout_state_get(struct fanout_endpoint *ep, struct fanout_state *s)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_gstate *st = g->state;
	u32 size = s->blob_len;
	u8 *blob;
	int ret;

	if (fanout_state_reserved(s))
		return -EINVAL;
	blob = kmalloc(FANOUT_STATE_BLOB_MAX, GFP_KERNEL);
	if (!blob)
		return -ENOMEM;
	spin_lock_bh(&g->lock);
	s->generation = st->generation;
	s->code = st->code;
	s->blob_len = st->blob_len;
	if (st->blob_len)
		memcpy(blob, st->blob, st->blob_len);
	spin_unlock_bh(&g->lock);
	ret = 0;
	if (s->blob && s->blob_len > size)
		ret = -EMSGSIZE;
	else if (s->blob && copy_to_user(u64_to_user_ptr(s->blob), blob,
					 s->blob_len))
		ret = -EFAULT;
	kfree(blob);
	return ret;
}

int fanout_confirm(struct fanout_endpoint *ep, struct fanout_confirm *c)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_gstate *st = g->state;
	int ret = 0;
	s32 m;

	/* Generation 0 is no state: there is nothing to confirm. */
	if (c->flags || c->reserved || !c->generation)
		return -EINVAL;
	spin_lock_bh(&g->lock);
	m = ep->member;
	if (g->dead) {
		ret = -EIDRM;
	} else if (m < 0) {
		ret = -ENOTCONN;
	} else if (c->generation < st->generation) {
		g->stats.stale_confirms++;
		ret = -ESTALE;
	} else if (c->generation > st->generation) {
		ret = -EINVAL;
	} else if (test_bit(m, st->confirmed)) {
		g->stats.dup_confirms++;
		ret = -EALREADY;
	} else {
		__set_bit(m, st->confirmed);
		st->confirmed_gen[m] = c->generation;
		g->stats.confirms++;
		if (fanout_state_converged(g)) {
			wake_up_all(&st->wq);
			fanout_status_event(g, FANOUT_REASON_CONVERGED);
		}
	}
	spin_unlock_bh(&g->lock);
	return ret;
}

/**
 * fanout_state_member_up() - member @m got its first agent
 * @g: the group
 * @m: the member
 *
 * Whatever serves it now has to confirm the current state again: its
 * earlier confirmation (if any) no longer counts. Group lock held.
 */
void fanout_state_member_up(struct fanout_group *g, u32 m)
{
	lockdep_assert_held(&g->lock);
	__clear_bit(m, g->state->confirmed);
	fanout_status_event(g, FANOUT_REASON_MEMBER_UP);
}

/**
 * fanout_state_member_down() - a member of @g lost its last agent
 * @g: the group
 *
 * It no longer holds a state wait. Group lock held.
 */
void fanout_state_member_down(struct fanout_group *g)
{
	lockdep_assert_held(&g->lock);
	wake_up_all(&g->state->wq);
	fanout_status_event(g, FANOUT_REASON_MEMBER_DOWN);
}

static int fanout_state_wait_check(struct fanout_group *g,
				   const struct fanout_state_wait *w)
{
	if (w->flags & ~FANOUT_STATE_WAIT_FLAGS)
		return -EINVAL;
	if (w->reserved[0] || w->reserved[1])
		return -EINVAL;
	if (!(w->flags & FANOUT_STATE_WAIT_TIMEOUT) && w->timeout_ns)
		return -EINVAL;
	if (w->bitmap_bits > FANOUT_MEMBERS_MAX)
		return -EINVAL;
	if ((w->up || w->confirmed) && w->bitmap_bits < g->max_members)
		return -EINVAL;
	if (!w->up && !w->confirmed && w->bitmap_bits)
		return -EINVAL;
	return 0;
}

/**
 * struct fanout_state_snap - what a state wait hands back
 * @up: the members up, as __u64 words
 * @confirmed: the members that confirmed the generation waited for
 * @words: words in each array
 */
struct fanout_state_snap {
	u64 *up;
	u64 *confirmed;
	u32 words;
};

/*
 * The condition of a state wait for @gen, and its outputs into @w and
 * @snap. Return: 0 when it holds, -EAGAIN while it does not, -ESTALE or
 * -EIDRM when it never will. Group lock held.
 */
static int fanout_state_wait_cond(struct fanout_group *g, u64 gen,
				  struct fanout_state_wait *w,
				  struct fanout_state_snap *snap)
{
	struct fanout_gstate *st = g->state;
	u32 n = g->max_members;

	lockdep_assert_held(&g->lock);
	w->code = st->code;
	w->nup = bitmap_weight(g->up, n);
	w->nconfirmed = bitmap_weight_and(g->up, st->confirmed, n);
	if (snap->words) {
		memset(snap->up, 0, snap->words * sizeof(u64));
		memset(snap->confirmed, 0, snap->words * sizeof(u64));
		bitmap_to_arr64(snap->up, g->up, n);
		if (st->generation == gen)
			bitmap_to_arr64(snap->confirmed, st->confirmed, n);
	}
	if (g->dead)
		return -EIDRM;
	if (st->generation != gen)
		return -ESTALE;
	/* No state set yet: nothing to confirm, nobody holds the wait. */
	if (!gen)
		return 0;
	return fanout_state_converged(g) ? 0 : -EAGAIN;
}

/* Evaluate the condition under the group lock. */
static int fanout_state_wait_eval(struct fanout_group *g, u64 gen,
				  struct fanout_state_wait *w,
				  struct fanout_state_snap *snap)
{
	int ret;

	spin_lock_bh(&g->lock);
	ret = fanout_state_wait_cond(g, gen, w, snap);
	spin_unlock_bh(&g->lock);
	return ret;
}

/* Park until the condition for @gen holds, a signal or the timeout. */
static int fanout_state_wait_on(struct fanout_group *g, u64 gen,
				struct fanout_state_wait *w,
				struct fanout_state_snap *snap)
{
	bool timed = w->flags & FANOUT_STATE_WAIT_TIMEOUT;
	ktime_t expires = 0;
	DEFINE_WAIT(wait);
	int ret;

	if (timed)
		expires = fanout_wait_expires(w->timeout_ns);
	for (;;) {
		prepare_to_wait(&g->state->wq, &wait, TASK_INTERRUPTIBLE);
		ret = fanout_state_wait_eval(g, gen, w, snap);
		if (ret != -EAGAIN)
			break;
		if (signal_pending(current)) {
			ret = fanout_wait_interrupted();
			break;
		}
		if (!fanout_wait_sleep(timed, &expires)) {
			ret = fanout_state_wait_eval(g, gen, w, snap);
			if (ret == -EAGAIN)
				ret = -ETIME;
			break;
		}
	}
	finish_wait(&g->state->wq, &wait);
	return ret;
}

/* Write the bitmaps of @snap to the caller's buffers. */
static int fanout_state_snap_copy(const struct fanout_state_wait *w,
				  const struct fanout_state_snap *snap)
{
	size_t len = snap->words * sizeof(u64);

	if (w->up && copy_to_user(u64_to_user_ptr(w->up), snap->up, len))
		return -EFAULT;
	if (w->confirmed &&
	    copy_to_user(u64_to_user_ptr(w->confirmed), snap->confirmed, len))
		return -EFAULT;
	return 0;
}

int fanout_state_wait(struct fanout_endpoint *ep, struct fanout_state_wait *w)
{
	struct fanout_group *g = fanout_ep_group(ep);
	struct fanout_state_snap snap = { };
	u64 gen;
	int ret;

	ret = fanout_state_wait_check(g, w);
	if (ret)
		return ret;
	w->members = g->max_members;
	if (w->bitmap_bits) {
		snap.words = DIV_ROUND_UP(w->bitmap_bits, 64);
		snap.up = kcalloc(2 * snap.words, sizeof(u64), GFP_KERNEL);
		if (!snap.up)
			return -ENOMEM;
		snap.confirmed = snap.up + snap.words;
	}
	spin_lock_bh(&g->lock);
	gen = w->generation ?: g->state->generation;
	if (gen > g->state->generation)
		ret = -EINVAL;
	spin_unlock_bh(&g->lock);
	if (!ret) {
		w->generation = gen;
		ret = fanout_state_wait_on(g, gen, w, &snap);
	}
	if (ret != -EINVAL && fanout_state_snap_copy(w, &snap))
		ret = -EFAULT;
	kfree(snap.up);
	return ret;
}

/**
 * fanout_target_redeliverable() - whether @t stays for its member
 * @t: an open target
 *
 * Its request was sent with %FANOUT_SEND_REDELIVER and is not released:
 * it is neither failed when its agent goes nor when its member goes
 * down. Group lock held.
 * Return: true when so.
 */
bool fanout_target_redeliverable(const struct fanout_target *t)
{
	return (t->req->flags & FANOUT_SEND_REDELIVER) && !t->req->released;
}

/**
 * fanout_redeliver_taken() - put back what a leaving agent took
 * @g: the group
 * @ep: the agent, leaving, still bound to its queue
 *
 * Up to %FANOUT_SETTLE_BATCH redeliverable targets of @ep's taken list
 * go back to the head of their queue, in the order they were taken (all
 * of them belong to the queue @ep is bound to), marked for redelivery.
 * Group lock held.
 * Return: true when none is left taken.
 */
bool fanout_redeliver_taken(struct fanout_group *g, struct fanout_endpoint *ep)
{
	struct fanout_target *t, *tmp;
	unsigned int n = 0;

	lockdep_assert_held(&g->lock);
	list_for_each_entry_safe_reverse(t, tmp, &ep->taken, node) {
		if (!fanout_target_redeliverable(t))
			continue;
		if (n++ == FANOUT_SETTLE_BATCH)
			return false;
		t->redelivered = 1;
		g->stats.redelivered++;
		fanout_amq_untake(g, ep, t);
	}
	return true;
}

/**
 * fanout_state_target_open() - @n targets of a request start
 * @g: the group
 * @n: how many
 *
 * Periodic broadcasts run while targets are open. Group lock held.
 */
void fanout_state_target_open(struct fanout_group *g, u32 n)
{
	lockdep_assert_held(&g->lock);
	g->state->nopen += n;
	fanout_status_kick(g);
}

/**
 * fanout_state_target_settle() - an open target settles
 * @g: the group
 * @t: the target, still QUEUED or TAKEN
 *
 * Group lock held.
 */
void fanout_state_target_settle(struct fanout_group *g,
				const struct fanout_target *t)
{
	lockdep_assert_held(&g->lock);
	g->state->nopen--;
	if (fanout_target_awaits_redelivery(t))
		g->state->nredeliver--;
}

/**
 * fanout_state_target_take() - a target moves between queue and taker
 * @g: the group
 * @t: the target
 * @taken: it is taken now (else it went back to its queue)
 *
 * Counts the targets queued again for redelivery. Group lock held.
 */
void fanout_state_target_take(struct fanout_group *g,
			      const struct fanout_target *t, bool taken)
{
	lockdep_assert_held(&g->lock);
	if (!t->redelivered)
		return;
	if (taken)
		g->state->nredeliver--;
	else
		g->state->nredeliver++;
}
