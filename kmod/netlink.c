// SPDX-License-Identifier: GPL-2.0
/*
 * fanout over generic netlink: the family "fanout", its status broadcasts
 * (multicast group "status") and its queries. See
 * include/uapi/linux/fanout_netlink.h and
 * Documentation/netlink/specs/fanout.yaml.
 *
 * Locking: handlers look a group up under the namespace's group list
 * mutex (group.c), take a reference and drop the mutex; they then build
 * each message under the group lock, into an skb allocated before. A
 * broadcast is built by its group's work item (struct fanout_gstate.work,
 * state.h), one part per hold of the group lock; the work never runs
 * twice at once (one work item), so the parts of one group's broadcasts
 * go out in order. The family is parallel_ops: nothing here relies on
 * the genetlink mutex.
 */
#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "fanout.h"
#include "state.h"

/* Size of the skb of one broadcast part. */
#define FANOUT_STATUS_PART_SIZE		(16384 - 512)
/* u64 words of the largest member bitmap. */
#define FANOUT_BITMAP_WORDS		(FANOUT_MEMBERS_MAX / 64)

static struct genl_family fanout_genl_family;

enum fanout_mcgrp {
	FANOUT_MCGRP_STATUS,
};

/* Listening to every group's status needs CAP_NET_ADMIN in the netns. */
static const struct genl_multicast_group fanout_mcgrps[] = {
	[FANOUT_MCGRP_STATUS] = { .name = FANOUT_GENL_MCGRP_STATUS,
				  .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* Every command takes a group name at most; anything else is refused. */
static const struct nla_policy fanout_name_policy[FANOUT_A_MAX + 1] = {
	[FANOUT_A_GROUP_NAME] = { .type = NLA_NUL_STRING,
				  .len = FANOUT_NAME_MAX - 1 },
};

/**
 * struct fanout_status_cursor - where a status in parts has got to
 * @g: the group (referenced)
 * @seq: the status sequence number all parts carry
 * @part: index of the next part
 * @reason: enum fanout_status_reason
 * @next_id: the first request id not yet looked at
 * @done: the last part was built
 * @members: scratch bitmap of a pending request's open targets
 * @redeliver: scratch bitmap of its targets waiting for redelivery
 */
struct fanout_status_cursor {
	struct fanout_group *g;
	u32 seq;
	u32 part;
	u32 reason;
	unsigned long next_id;
	bool done;
	u64 members[FANOUT_BITMAP_WORDS];
	u64 redeliver[FANOUT_BITMAP_WORDS];
};

/**
 * struct fanout_dump - the state of one dump, between its calls
 * @net: the requester's network namespace
 * @all: every group of @net (else only the one named)
 * @gidx: index in @net's group list of the next group, with @all
 * @member: next member index (members, queues)
 * @skip: queues of @member already dumped
 * @c: the group being dumped (@c.g) and, for a status, its parts
 * @err: the request was refused: the dump's answer
 * @ext: why, with the attribute, for the first call of the dump (the
 *	start of a dump has no extended ack of its own before 6.2)
 */
struct fanout_dump {
	int err;
	struct netlink_ext_ack ext;
	struct net *net;
	bool all;
	unsigned long gidx;
	u32 member;
	u32 skip;
	struct fanout_status_cursor c;
};

static struct nlattr **fanout_dump_attrs(struct netlink_callback *cb)
{
#ifdef FANOUT_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* The command of the request a dump answers. */
static u8 fanout_dump_cmd(struct netlink_callback *cb)
{
	const struct genlmsghdr *gh = nlmsg_data(cb->nlh);

	return gh->cmd;
}

static bool fanout_net_admin(const struct sk_buff *skb, struct net *net)
{
	return netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN);
}

/*
 * The group named by @attrs, referenced, if the requester may read it:
 * CAP_NET_ADMIN in the namespace or read permission on the group. An
 * ERR_PTR() otherwise, with an extack message naming the attribute.
 */
static struct fanout_group *fanout_genl_group(const struct sk_buff *skb,
					      struct net *net,
					      struct nlattr **attrs,
					      struct netlink_ext_ack *extack)
{
	struct nlattr *name = attrs[FANOUT_A_GROUP_NAME];
	struct fanout_group *g;

	if (!name) {
		NL_SET_ERR_MSG(extack, "missing attribute group-name");
		NL_SET_ERR_ATTR_MISS(extack, NULL, FANOUT_A_GROUP_NAME);
		return ERR_PTR(-EINVAL);
	}
	g = fanout_group_lookup(net, nla_data(name));
	if (!g) {
		NL_SET_ERR_MSG_ATTR(extack, name, "no such group");
		return ERR_PTR(-ENOENT);
	}
	if (!fanout_net_admin(skb, net) &&
	    !(fanout_group_perm(g) & FANOUT_PERM_RECV)) {
		fanout_group_put(g);
		NL_SET_ERR_MSG_ATTR(extack, name, "no read permission on group");
		return ERR_PTR(-EACCES);
	}
	return g;
}

/* A bitmap of @bits bits as an attribute of whole __u64 words. */
static int fanout_put_bitmap(struct sk_buff *skb, int type,
			     const unsigned long *map, u32 bits)
{
	struct nlattr *nla;

	nla = nla_reserve(skb, type, DIV_ROUND_UP(bits, 64) * sizeof(u64));
	if (!nla)
		return -EMSGSIZE;
	bitmap_to_arr64(nla_data(nla), map, bits);
	return 0;
}

/* The words of @arr up to its last non-zero one; absent when all zero. */
static int fanout_put_words(struct sk_buff *skb, int type, const u64 *arr,
			    u32 words, bool always)
{
	while (words && !arr[words - 1])
		words--;
	if (!words && !always)
		return 0;
	return nla_put(skb, type, words * sizeof(u64), arr);
}

/* Requests with open targets. Group lock held. */
static u32 fanout_count_pending(struct fanout_group *g)
{
	struct fanout_request *req;
	unsigned long id;
	u32 n = 0;

	xa_for_each(&g->requests, id, req)
		if (fanout_request_open(req))
			n++;
	return n;
}

/* Milliseconds left until @req's deadline. */
static u32 fanout_deadline_left_ms(const struct fanout_request *req)
{
	s64 ms = ktime_ms_delta(req->expires, ktime_get());

	return ms > 0 ? min_t(s64, ms, U32_MAX) : 0;
}

/* One FANOUT_A_PENDING nest for @req. Group lock held. */
static int fanout_put_pending(struct sk_buff *skb, struct fanout_request *req,
			      struct fanout_status_cursor *c)
{
	u32 i, words = DIV_ROUND_UP(req->group->max_members, 64), nopen = 0;
	struct nlattr *nest;

	memset(c->members, 0, words * sizeof(u64));
	memset(c->redeliver, 0, words * sizeof(u64));
	for (i = 0; i < req->ntargets; i++) {
		const struct fanout_target *t = &req->targets[i];
		u64 bit = 1ULL << (t->member % 64);

		if (!fanout_target_open(t))
			continue;
		nopen++;
		c->members[t->member / 64] |= bit;
		if (fanout_target_awaits_redelivery(t))
			c->redeliver[t->member / 64] |= bit;
	}
	nest = nla_nest_start(skb, FANOUT_A_PENDING);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, FANOUT_PENDING_A_ID, req->id,
			      FANOUT_PENDING_A_PAD) ||
	    nla_put(skb, FANOUT_PENDING_A_UUID, FANOUT_UUID_LEN, req->uuid) ||
	    fanout_put_words(skb, FANOUT_PENDING_A_MEMBERS, c->members, words,
			     true) ||
	    fanout_put_words(skb, FANOUT_PENDING_A_REDELIVER, c->redeliver,
			     words, false) ||
	    nla_put_u32(skb, FANOUT_PENDING_A_NTARGETS, req->ntargets) ||
	    nla_put_u32(skb, FANOUT_PENDING_A_NOPEN, nopen) ||
	    nla_put_u32(skb, FANOUT_PENDING_A_DEADLINE_MS,
			fanout_deadline_left_ms(req)) ||
	    /* Room for the last-part flag after it. */
	    skb_tailroom(skb) < nla_total_size(0)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * FANOUT_A_PENDING nests for the open requests from @c->next_id on, while
 * they fit. Group lock held. Return: 0 when none is left, -EMSGSIZE when
 * the message is full (@c->next_id is the first one left out).
 */
static int fanout_put_pending_from(struct sk_buff *skb,
				   struct fanout_status_cursor *c)
{
	struct fanout_request *req;
	int ret;

	for (;;) {
		req = xa_find(&c->g->requests, &c->next_id, ULONG_MAX,
			      XA_PRESENT);
		if (!req)
			return 0;
		if (fanout_request_open(req)) {
			ret = fanout_put_pending(skb, req, c);
			if (ret)
				return ret;
		}
		c->next_id++;
	}
}

/* Generation, code and counts of @g. Group lock held. */
static int fanout_put_counts(struct sk_buff *skb, struct fanout_group *g)
{
	struct fanout_gstate *st = g->state;
	u32 n = g->max_members;

	if (nla_put_u64_64bit(skb, FANOUT_A_GENERATION, st->generation,
			      FANOUT_A_PAD) ||
	    nla_put_u32(skb, FANOUT_A_STATE_CODE, st->code) ||
	    nla_put_u32(skb, FANOUT_A_MEMBERS_UP, bitmap_weight(g->up, n)) ||
	    nla_put_u32(skb, FANOUT_A_NCONFIRMED,
			bitmap_weight_and(g->up, st->confirmed, n)) ||
	    nla_put_u32(skb, FANOUT_A_NPENDING, fanout_count_pending(g)) ||
	    nla_put_u32(skb, FANOUT_A_NREDELIVER, st->nredeliver))
		return -EMSGSIZE;
	return 0;
}

/* State, bitmaps and counts: part 0 of a status. Group lock held. */
static int fanout_put_status_head(struct sk_buff *skb, struct fanout_group *g,
				  u32 reason)
{
	struct fanout_gstate *st = g->state;
	u32 n = g->max_members;

	if (nla_put_u32(skb, FANOUT_A_REASON, reason) ||
	    fanout_put_counts(skb, g) ||
	    (st->blob_len &&
	     nla_put(skb, FANOUT_A_STATE_BLOB, st->blob_len, st->blob)) ||
	    nla_put_u32(skb, FANOUT_A_MAX_MEMBERS, n) ||
	    fanout_put_bitmap(skb, FANOUT_A_UP, g->up, n) ||
	    fanout_put_bitmap(skb, FANOUT_A_CONFIRMED, st->confirmed, n))
		return -EMSGSIZE;
	return 0;
}

/**
 * fanout_status_fill() - the next part of a status into @skb
 * @skb: the message buffer
 * @c: the status; advanced past the part
 * @portid: netlink port of the requester (0 for a broadcast)
 * @nlseq: sequence number of its request (0 for a broadcast)
 * @flags: netlink message flags (NLM_F_MULTI in a dump)
 *
 * Return: 0, or -EMSGSIZE when not even part of it fits (nothing added).
 */
static int fanout_status_fill(struct sk_buff *skb,
			      struct fanout_status_cursor *c, u32 portid,
			      u32 nlseq, int flags)
{
	struct fanout_group *g = c->g;
	unsigned long first = c->next_id;
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, portid, nlseq, &fanout_genl_family, flags,
			  FANOUT_CMD_STATUS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, FANOUT_A_GROUP_NAME, g->name) ||
	    nla_put_u32(skb, FANOUT_A_SEQ, c->seq) ||
	    nla_put_u32(skb, FANOUT_A_PART, c->part))
		goto cancel;
	spin_lock_bh(&g->lock);
	if (!c->part && fanout_put_status_head(skb, g, c->reason)) {
		spin_unlock_bh(&g->lock);
		goto cancel;
	}
	ret = fanout_put_pending_from(skb, c);
	spin_unlock_bh(&g->lock);
	/* A later part must carry at least one request. */
	if (ret && c->part && c->next_id == first)
		goto cancel;
	if (!ret && nla_put_flag(skb, FANOUT_A_LAST))
		goto cancel;
	genlmsg_end(skb, hdr);
	c->part++;
	c->done = !ret;
	return 0;

cancel:
	c->next_id = first;
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* Send the status of @g in parts to the listeners of its namespace. */
static void fanout_status_broadcast(struct fanout_group *g, struct net *net,
				    u32 reason)
{
	struct fanout_status_cursor *c;
	struct sk_buff *skb;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return;
	c->g = g;
	c->reason = reason;
	c->seq = g->state->seq + 1;
	WRITE_ONCE(g->state->seq, c->seq);
	/* A group destroyed meanwhile waits for this: stop early. */
	while (!c->done && !READ_ONCE(g->dead)) {
		skb = genlmsg_new(FANOUT_STATUS_PART_SIZE, GFP_KERNEL);
		if (!skb)
			break;
		if (fanout_status_fill(skb, c, 0, 0, 0)) {
			nlmsg_free(skb);
			break;
		}
		genlmsg_multicast_netns(&fanout_genl_family, net, skb, 0,
					FANOUT_MCGRP_STATUS, GFP_KERNEL);
		cond_resched();
	}
	kfree(c);
}

/* The group's broadcast interval, raised to the minimum. */
static u32 fanout_status_interval_ms(const struct fanout_group *g)
{
	return max_t(u32, g->interval_ms, FANOUT_STATUS_INTERVAL_MIN_MS);
}

static unsigned long fanout_status_interval(struct fanout_group *g)
{
	return msecs_to_jiffies(fanout_status_interval_ms(g));
}

/*
 * The groups' broadcast work runs on a queue of its own, so that unload
 * can wait for every broadcast being built before the family goes
 * (fanout_genl_exit()), while groups, killed after it, may still queue
 * and cancel their work until fanout_status_wq_exit().
 */
static struct workqueue_struct *fanout_status_wq;

/*
 * Broadcasts are built and sent: set once the family is registered,
 * cleared before it is unregistered (the work then does nothing).
 */
static bool fanout_status_on;

/*
 * A group's broadcast: at once after an event, then every interval while
 * something is outstanding. The namespace outlives the work: the group
 * is killed (and this work cancelled) before its namespace goes.
 */
static void fanout_status_work(struct work_struct *work)
{
	struct fanout_gstate *st = container_of(to_delayed_work(work),
						struct fanout_gstate, work);
	struct fanout_group *g = st->group;
	struct net *net;
	bool event, outstanding;
	u32 reason;

	if (!READ_ONCE(fanout_status_on))
		return;
	spin_lock_bh(&g->lock);
	net = g->net;
	event = st->event;
	reason = event ? st->reason : FANOUT_REASON_PERIODIC;
	st->event = false;
	outstanding = fanout_state_outstanding(g);
	spin_unlock_bh(&g->lock);
	if (!net || (!event && !outstanding))
		return;
	if (genl_has_listeners(&fanout_genl_family, net, FANOUT_MCGRP_STATUS))
		fanout_status_broadcast(g, net, reason);

	spin_lock_bh(&g->lock);
	/* Does nothing when an event queued it again meanwhile. */
	if (!g->dead && fanout_state_outstanding(g))
		queue_delayed_work(fanout_status_wq, &st->work,
				   fanout_status_interval(g));
	spin_unlock_bh(&g->lock);
}

/**
 * fanout_status_work_init() - set up a new group's broadcast
 * @g: the group, its state allocated
 */
void fanout_status_work_init(struct fanout_group *g)
{
	g->state->group = g;
	INIT_DELAYED_WORK(&g->state->work, fanout_status_work);
}

/**
 * fanout_status_event() - broadcast @g's status at once
 * @g: the group
 * @reason: enum fanout_status_reason
 *
 * Events that come while one is due fold into it, under the first one's
 * reason; a state set always gives its own. Group lock held.
 */
void fanout_status_event(struct fanout_group *g, u32 reason)
{
	lockdep_assert_held(&g->lock);
	if (g->dead)
		return;
	if (!g->state->event || reason == FANOUT_REASON_STATE_SET) {
		g->state->event = true;
		g->state->reason = reason;
	}
	mod_delayed_work(fanout_status_wq, &g->state->work, 0);
}

/**
 * fanout_status_kick() - something became outstanding
 * @g: the group
 *
 * Starts the periodic broadcast, one interval from now, unless one is
 * already due. Group lock held.
 */
void fanout_status_kick(struct fanout_group *g)
{
	lockdep_assert_held(&g->lock);
	if (!g->dead)
		queue_delayed_work(fanout_status_wq, &g->state->work,
				   fanout_status_interval(g));
}

/**
 * fanout_status_cancel() - stop @g's broadcasts
 * @g: the group, dead (nothing queues the work again) or unreferenced
 *
 * Waits for a broadcast being built. No locks held.
 */
void fanout_status_cancel(struct fanout_group *g)
{
	cancel_delayed_work_sync(&g->state->work);
}

/* ---- queries ---------------------------------------------------------- */

static int fanout_put_group(struct sk_buff *skb, struct fanout_group *g)
{
	u32 n = g->max_members;
	int ret;

	if (nla_put_string(skb, FANOUT_A_GROUP_NAME, g->name) ||
	    nla_put_u32(skb, FANOUT_A_FLAGS, g->flags) ||
	    nla_put_u32(skb, FANOUT_A_MODE, g->mode) ||
	    nla_put_u32(skb, FANOUT_A_UID,
			from_kuid_munged(current_user_ns(), g->uid)) ||
	    nla_put_u32(skb, FANOUT_A_GID,
			from_kgid_munged(current_user_ns(), g->gid)) ||
	    nla_put_u32(skb, FANOUT_A_MAX_MEMBERS, n) ||
	    nla_put_u32(skb, FANOUT_A_MAX_PENDING, g->max_pending) ||
	    nla_put_u32(skb, FANOUT_A_MAX_QUEUE, g->max_queue) ||
	    nla_put_u32(skb, FANOUT_A_MAX_QUEUES, g->max_queues) ||
	    nla_put_u32(skb, FANOUT_A_DEADLINE_MS, g->deadline_ms) ||
	    nla_put_u32(skb, FANOUT_A_INTERVAL_MS,
			fanout_status_interval_ms(g)))
		return -EMSGSIZE;
	spin_lock_bh(&g->lock);
	ret = fanout_put_counts(skb, g);
	spin_unlock_bh(&g->lock);
	return ret;
}

static int fanout_put_stats(struct sk_buff *skb, struct fanout_group *g)
{
	struct fanout_group_stats s;
	struct nlattr *nest;

	if (nla_put_string(skb, FANOUT_A_GROUP_NAME, g->name))
		return -EMSGSIZE;
	fanout_group_stats_read(g, &s);
	nest = nla_nest_start(skb, FANOUT_A_STATS);
	if (!nest)
		return -EMSGSIZE;
#define PUT64(a, f) nla_put_u64_64bit(skb, FANOUT_STATS_A_##a, s.f, \
				      FANOUT_STATS_A_PAD)
	if (PUT64(REQUESTS, requests) || PUT64(REPLIES, replies) ||
	    PUT64(FAILURES, failures) || PUT64(DUP_REPLIES, dup_replies) ||
	    PUT64(STALE_REPLIES, stale_replies) ||
	    nla_put_u32(skb, FANOUT_STATS_A_PENDING, s.pending) ||
	    nla_put_u32(skb, FANOUT_STATS_A_MEMBERS_UP, s.members_up) ||
	    nla_put_u32(skb, FANOUT_STATS_A_AMQS_BUSY, s.amqs_busy) ||
	    nla_put_u32(skb, FANOUT_STATS_A_BACKLOG, s.backlog) ||
	    PUT64(AMQS_FREE, amqs_free) || PUT64(CONFIRMS, confirms) ||
	    PUT64(DUP_CONFIRMS, dup_confirms) ||
	    PUT64(STALE_CONFIRMS, stale_confirms) ||
	    PUT64(REDELIVERED, redelivered)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
#undef PUT64
	nla_nest_end(skb, nest);
	return 0;
}

/* A whole message of @cmd about @g: group attributes or statistics. */
static int fanout_fill_group_msg(struct sk_buff *skb, struct fanout_group *g,
				 u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, portid, seq, &fanout_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cmd == FANOUT_CMD_GET_GROUP)
		ret = fanout_put_group(skb, g);
	else
		ret = fanout_put_stats(skb, g);
	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* GET_GROUP and GET_STATS for one group. */
static int fanout_genl_get_one(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct fanout_group *g;
	struct sk_buff *msg;
	int ret;

	g = fanout_genl_group(skb, net, info->attrs, info->extack);
	if (IS_ERR(g))
		return PTR_ERR(g);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = fanout_fill_group_msg(msg, g, info->snd_portid, info->snd_seq,
				    0, info->genlhdr->cmd);
	if (ret) {
		nlmsg_free(msg);
		goto out;
	}
	ret = genlmsg_reply(msg, info);
out:
	fanout_group_put(g);
	return ret;
}

/*
 * Start of every dump: the group named, or, without a name and with
 * CAP_NET_ADMIN, every group of the namespace when @may_all. The
 * permission is checked here, with the requester's credentials; a
 * refusal is the answer of the dump's first call, with its extended ack
 * (in the NLMSG_DONE message), the same on every kernel.
 */
static int fanout_dump_start(struct netlink_callback *cb, bool may_all)
{
	struct nlattr **attrs = fanout_dump_attrs(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct fanout_group *g = NULL;
	struct fanout_dump *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	cb->args[0] = (long)d;
	d->net = net;
	if (!attrs[FANOUT_A_GROUP_NAME] && may_all) {
		if (!fanout_net_admin(cb->skb, net)) {
			NL_SET_ERR_MSG(&d->ext,
				       "CAP_NET_ADMIN needed to dump every group");
			d->err = -EPERM;
		}
	} else {
		g = fanout_genl_group(cb->skb, net, attrs, &d->ext);
		if (IS_ERR(g)) {
			d->err = PTR_ERR(g);
			g = NULL;
		}
	}
	d->all = !g;
	d->c.g = g;
	return 0;
}

/* The dump @d was refused: say so, and why, in its first answer. */
static bool fanout_dump_refused(struct netlink_callback *cb,
				struct fanout_dump *d)
{
	if (!d->err)
		return false;
	if (cb->extack)
		*cb->extack = d->ext;
	return true;
}

static int fanout_dump_start_one(struct netlink_callback *cb)
{
	return fanout_dump_start(cb, false);
}

static int fanout_dump_start_all(struct netlink_callback *cb)
{
	return fanout_dump_start(cb, true);
}

static int fanout_dump_done(struct netlink_callback *cb)
{
	struct fanout_dump *d = (struct fanout_dump *)cb->args[0];

	if (d) {
		if (d->c.g)
			fanout_group_put(d->c.g);
		kfree(d);
	}
	return 0;
}

/*
 * The group a dump is at: with @d->all, the next one of the namespace
 * once the last is done (its cursor reset). NULL when none is left.
 */
static struct fanout_group *fanout_dump_group(struct fanout_dump *d)
{
	if (!d->c.g && d->all) {
		d->c.g = fanout_group_nth(d->net, d->gidx++);
		d->c.part = 0;
		d->c.next_id = 0;
		d->c.done = false;
	}
	return d->c.g;
}

/* The dumped group is done: on to the next one, if dumping all. */
static void fanout_dump_next_group(struct fanout_dump *d)
{
	fanout_group_put(d->c.g);
	d->c.g = NULL;
	if (!d->all)
		d->gidx = ULONG_MAX;
}

/*
 * What a dump over groups puts in a message about group @g: 0 when @g is
 * done, 1 when more of it is left, -EMSGSIZE when nothing fitted.
 */
typedef int (*fanout_dump_fill_t)(struct sk_buff *skb,
				  struct netlink_callback *cb,
				  struct fanout_dump *d, struct fanout_group *g);

/* The dumps over groups (one, or every one of the namespace). */
static int fanout_dump_groups(struct sk_buff *skb, struct netlink_callback *cb,
			      fanout_dump_fill_t fill)
{
	struct fanout_dump *d = (struct fanout_dump *)cb->args[0];
	struct fanout_group *g;
	int ret;

	if (fanout_dump_refused(cb, d))
		return d->err;
	while (d->gidx != ULONG_MAX && (g = fanout_dump_group(d))) {
		ret = fill(skb, cb, d, g);
		if (ret < 0)
			return skb->len ?: ret;
		if (!ret)
			fanout_dump_next_group(d);
	}
	return skb->len;
}

/* GET_GROUP dump: one message per group. */
static int fanout_dump_fill_group(struct sk_buff *skb,
				  struct netlink_callback *cb,
				  struct fanout_dump *d, struct fanout_group *g)
{
	return fanout_fill_group_msg(skb, g, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI,
				     FANOUT_CMD_GET_GROUP);
}

static int fanout_genl_dump_groups(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	return fanout_dump_groups(skb, cb, fanout_dump_fill_group);
}

/* GET_STATUS dump: every part of the status of each group. */
static int fanout_dump_fill_status(struct sk_buff *skb,
				   struct netlink_callback *cb,
				   struct fanout_dump *d, struct fanout_group *g)
{
	if (!d->c.part) {
		d->c.reason = FANOUT_REASON_QUERY;
		d->c.seq = READ_ONCE(g->state->seq);
	}
	if (fanout_status_fill(skb, &d->c, NETLINK_CB(cb->skb).portid,
			       cb->nlh->nlmsg_seq, NLM_F_MULTI))
		return -EMSGSIZE;
	return d->c.done ? 0 : 1;
}

static int fanout_genl_dump_status(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	return fanout_dump_groups(skb, cb, fanout_dump_fill_status);
}

/* One FANOUT_A_MEMBER nest, for a member in use. Group lock held. */
static int fanout_put_member(struct sk_buff *skb, struct fanout_group *g,
			     u32 m)
{
	struct fanout_member *mb = &g->members[m];
	struct fanout_target *t;
	struct fanout_amq *amq;
	struct nlattr *nest;
	u32 nredeliver = 0;

	if (!mb->nagents && !mb->nqueued && !mb->nbusy &&
	    !g->state->confirmed_gen[m])
		return 0;
	list_for_each_entry(amq, &mb->amqs, member_node)
		list_for_each_entry(t, &amq->targets, node)
			nredeliver += t->redelivered;
	nest = nla_nest_start(skb, FANOUT_A_MEMBER);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, FANOUT_MEMBER_A_INDEX, m) ||
	    nla_put_u32(skb, FANOUT_MEMBER_A_AGENTS, mb->nagents) ||
	    nla_put_u64_64bit(skb, FANOUT_MEMBER_A_CONFIRMED_GEN,
			      g->state->confirmed_gen[m],
			      FANOUT_MEMBER_A_PAD) ||
	    nla_put_u32(skb, FANOUT_MEMBER_A_QUEUED, mb->nqueued) ||
	    nla_put_u32(skb, FANOUT_MEMBER_A_BUSY_QUEUES, mb->nbusy) ||
	    nla_put_u32(skb, FANOUT_MEMBER_A_REDELIVER, nredeliver)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One FANOUT_A_QUEUE nest. Group lock held. */
static int fanout_put_queue(struct sk_buff *skb, const struct fanout_amq *amq)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, FANOUT_A_QUEUE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, FANOUT_QUEUE_A_MEMBER, amq->key.member) ||
	    nla_put(skb, FANOUT_QUEUE_A_UUID, FANOUT_UUID_LEN, amq->key.uuid) ||
	    nla_put_u32(skb, FANOUT_QUEUE_A_QUEUED, amq->nqueued) ||
	    nla_put_u32(skb, FANOUT_QUEUE_A_TAKEN, amq->ntaken) ||
	    (amq->agent &&
	     nla_put_u32(skb, FANOUT_QUEUE_A_AGENT_PID, amq->agent_pid))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The queues of one member from @d->skip on. Group lock held. */
static int fanout_put_member_queues(struct sk_buff *skb, struct fanout_group *g,
				    struct fanout_dump *d)
{
	struct fanout_amq *amq;
	u32 i = 0;

	list_for_each_entry(amq, &g->members[d->member].amqs, member_node) {
		if (i++ < d->skip)
			continue;
		if (fanout_put_queue(skb, amq))
			return -EMSGSIZE;
		d->skip++;
	}
	return 0;
}

/*
 * One message of a per-group listing (members, pending requests,
 * queues), as much as fits. Return: 0 when the listing is complete,
 * 1 when more is left, -EMSGSIZE when nothing fitted.
 */
static int fanout_fill_listing(struct sk_buff *skb, struct fanout_dump *d,
			       struct netlink_callback *cb, u8 cmd)
{
	struct fanout_group *g = d->c.g;
	unsigned int len;
	void *hdr;
	int ret = 0;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &fanout_genl_family, NLM_F_MULTI, cmd);
	if (!hdr || nla_put_string(skb, FANOUT_A_GROUP_NAME, g->name))
		goto cancel;
	len = skb->len;
	spin_lock_bh(&g->lock);
	if (cmd == FANOUT_CMD_GET_PENDING) {
		ret = fanout_put_pending_from(skb, &d->c);
	} else {
		for (; d->member < g->max_members; d->member++) {
			if (cmd == FANOUT_CMD_GET_MEMBERS)
				ret = fanout_put_member(skb, g, d->member);
			else
				ret = fanout_put_member_queues(skb, g, d);
			if (ret)
				break;
			d->skip = 0;
		}
	}
	spin_unlock_bh(&g->lock);
	if (ret && skb->len == len)
		goto cancel;
	genlmsg_end(skb, hdr);
	return ret ? 1 : 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* GET_MEMBERS, GET_PENDING and GET_QUEUES dumps. */
static int fanout_genl_dump_listing(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct fanout_dump *d = (struct fanout_dump *)cb->args[0];
	int ret;

	if (fanout_dump_refused(cb, d))
		return d->err;
	if (!d->c.g)
		return 0;
	ret = fanout_fill_listing(skb, d, cb, fanout_dump_cmd(cb));
	if (ret < 0)
		return skb->len ?: ret;
	if (!ret)
		fanout_dump_next_group(d);
	return skb->len;
}

static const struct genl_ops fanout_genl_ops[] = {
	{
		.cmd = FANOUT_CMD_GET_GROUP,
		.doit = fanout_genl_get_one,
		.start = fanout_dump_start_all,
		.dumpit = fanout_genl_dump_groups,
		.done = fanout_dump_done,
		.policy = fanout_name_policy,
		.maxattr = FANOUT_A_MAX,
	},
	{
		.cmd = FANOUT_CMD_GET_MEMBERS,
		.start = fanout_dump_start_one,
		.dumpit = fanout_genl_dump_listing,
		.done = fanout_dump_done,
		.policy = fanout_name_policy,
		.maxattr = FANOUT_A_MAX,
	},
	{
		.cmd = FANOUT_CMD_GET_PENDING,
		.start = fanout_dump_start_one,
		.dumpit = fanout_genl_dump_listing,
		.done = fanout_dump_done,
		.policy = fanout_name_policy,
		.maxattr = FANOUT_A_MAX,
	},
	{
		.cmd = FANOUT_CMD_GET_QUEUES,
		.start = fanout_dump_start_one,
		.dumpit = fanout_genl_dump_listing,
		.done = fanout_dump_done,
		.policy = fanout_name_policy,
		.maxattr = FANOUT_A_MAX,
	},
	{
		.cmd = FANOUT_CMD_GET_STATS,
		.doit = fanout_genl_get_one,
		.policy = fanout_name_policy,
		.maxattr = FANOUT_A_MAX,
	},
	{
		.cmd = FANOUT_CMD_GET_STATUS,
		.start = fanout_dump_start_all,
		.dumpit = fanout_genl_dump_status,
		.done = fanout_dump_done,
		.policy = fanout_name_policy,
		.maxattr = FANOUT_A_MAX,
	},
};

static struct genl_family fanout_genl_family __ro_after_init = {
	.name = FANOUT_GENL_NAME,
	.version = FANOUT_GENL_VERSION,
	.maxattr = FANOUT_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = fanout_genl_ops,
	.n_ops = ARRAY_SIZE(fanout_genl_ops),
	.resv_start_op = FANOUT_CMD_MAX + 1,
	.mcgrps = fanout_mcgrps,
	.n_mcgrps = ARRAY_SIZE(fanout_mcgrps),
};

/**
 * fanout_genl_init() - register the generic netlink family
 *
 * Return: 0 or a negative errno.
 */
int __init fanout_genl_init(void)
{
	int ret;

	fanout_status_wq = alloc_workqueue("fanout_status", 0, 0);
	if (!fanout_status_wq)
		return -ENOMEM;
	ret = genl_register_family(&fanout_genl_family);
	if (ret) {
		destroy_workqueue(fanout_status_wq);
		return ret;
	}
	WRITE_ONCE(fanout_status_on, true);
	return 0;
}

/**
 * fanout_genl_exit() - unregister it
 *
 * Broadcasts stop first: one being built is waited for, later runs of
 * the work send nothing. After this no handler of the family runs, so
 * the namespaces' data can go (fanout_net_exit()); the work queue stays
 * until fanout_status_wq_exit(), for the groups killed then.
 */
void fanout_genl_exit(void)
{
	WRITE_ONCE(fanout_status_on, false);
	flush_workqueue(fanout_status_wq);
	genl_unregister_family(&fanout_genl_family);
}

/**
 * fanout_status_wq_exit() - free the broadcast work queue
 *
 * Once every group is gone, their work cancelled.
 */
void fanout_status_wq_exit(void)
{
	destroy_workqueue(fanout_status_wq);
}
