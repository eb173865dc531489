// SPDX-License-Identifier: GPL-2.0
/*
 * fanout groups: the per-network-namespace registry, creation, binding of
 * endpoints, permissions and destruction.
 */
#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "fanout.h"
#include "state.h"

/**
 * struct fanout_net - fanout state of one network namespace
 * @lock: protects @groups
 * @groups: the namespace's live groups (fanout_group.node)
 */
struct fanout_net {
	struct mutex lock; /* protects @groups */
	struct list_head groups;
};

static unsigned int fanout_net_id;

static struct fanout_net *fanout_net(struct net *net)
{
	return net_generic(net, fanout_net_id);
}

/* Endpoints live in the namespace of the task that binds them. */
static struct net *fanout_current_net(void)
{
	return current->nsproxy->net_ns;
}

struct fanout_group *fanout_ep_group(struct fanout_endpoint *ep)
{
	/* Pairs with smp_store_release() in fanout_ep_bind(). */
	return smp_load_acquire(&ep->group);
}

static void fanout_group_free(struct kref *ref)
{
	struct fanout_group *g = container_of(ref, struct fanout_group, ref);

	WARN_ON_ONCE(!xa_empty(&g->requests));
	xa_destroy(&g->requests);
	fanout_gstate_destroy(g);
	fanout_amq_table_destroy(g);
	if (g->creator) {
		fanout_user_uncharge_group(g->creator);
		fanout_user_put(g->creator);
	}
	fanout_free(g->up);
	put_user_ns(g->user_ns);
	fanout_free(g);
}

void fanout_group_put(struct fanout_group *group)
{
	kref_put(&group->ref, fanout_group_free);
}

static struct fanout_group *fanout_group_find(struct fanout_net *fn,
					      const char *name)
{
	struct fanout_group *g;

	lockdep_assert_held(&fn->lock);
	list_for_each_entry(g, &fn->groups, node)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

/* Copy a user-supplied name; -EINVAL unless it is a non-empty C string. */
static int fanout_name_check(const char *name)
{
	size_t len = strnlen(name, FANOUT_NAME_MAX);

	if (!len || len == FANOUT_NAME_MAX)
		return -EINVAL;
	return 0;
}

/*
 * The permission bits current holds on @g, checked like System V IPC:
 * owner or creator, then group, then others; CAP_IPC_OWNER in the
 * group's user namespace grants everything.
 */
u32 fanout_group_perm(struct fanout_group *g)
{
	kuid_t euid = current_euid();
	u32 mode = g->mode;

	if (ns_capable(g->user_ns, CAP_IPC_OWNER))
		return FANOUT_PERM_RECV | FANOUT_PERM_SEND;
	if (uid_eq(euid, g->uid) || uid_eq(euid, g->cuid))
		mode >>= 6;
	else if (in_group_p(g->gid) || in_group_p(g->cgid))
		mode >>= 3;
	return mode & (FANOUT_PERM_RECV | FANOUT_PERM_SEND);
}

/* Owner, creator or CAP_SYS_ADMIN may destroy a group. */
static bool fanout_group_may_admin(struct fanout_group *g)
{
	kuid_t euid = current_euid();

	return uid_eq(euid, g->uid) || uid_eq(euid, g->cuid) ||
	       ns_capable(g->user_ns, CAP_SYS_ADMIN);
}

/* Bind @ep to @g with @perm; takes a group reference. */
static int fanout_ep_bind(struct fanout_endpoint *ep, struct fanout_group *g,
			  u32 perm)
{
	lockdep_assert_held(&ep->lock);
	if (ep->group)
		return -EISCONN;
	kref_get(&g->ref);
	ep->perm = perm;
	/* Publish @perm before the group; pairs with fanout_ep_group(). */
	smp_store_release(&ep->group, g);
	return 0;
}

static int fanout_params_check(struct fanout_group_params *p)
{
	if (p->flags & ~FANOUT_GROUP_FLAGS)
		return -EINVAL;
	if (p->reserved[0] || p->reserved[1])
		return -EINVAL;
	if (p->max_queues > FANOUT_QUEUES_MAX)
		return -EINVAL;
	if (p->mode & ~0777)
		return -EINVAL;
	if (!p->max_members || p->max_members > FANOUT_MEMBERS_MAX)
		return -EINVAL;
	return fanout_name_check(p->name);
}

static struct fanout_group *fanout_group_alloc(struct fanout_group_params *p)
{
	struct fanout_group *g;
	u32 i;

	g = fanout_zalloc(struct_size(g, members, p->max_members));
	if (!g)
		return NULL;
	g->up = fanout_zalloc(BITS_TO_LONGS(p->max_members) * sizeof(long));
	if (!g->up)
		goto err_group;
	if (fanout_amq_table_init(g, p->max_members))
		goto err_up;
	kref_init(&g->ref);
	INIT_LIST_HEAD(&g->node);
	spin_lock_init(&g->lock);
	/* Its lock nests in the group lock, taken in softirq: BHs off. */
	xa_init_flags(&g->requests, XA_FLAGS_LOCK_BH);
	for (i = 0; i < p->max_members; i++) {
		INIT_LIST_HEAD(&g->members[i].ready);
		INIT_LIST_HEAD(&g->members[i].backlog);
		INIT_LIST_HEAD(&g->members[i].amqs);
		init_waitqueue_head(&g->members[i].wq);
		INIT_LIST_HEAD(&g->members[i].hubs);
	}
	strscpy(g->name, p->name, sizeof(g->name));
	g->uid = current_euid();
	g->cuid = g->uid;
	g->gid = current_egid();
	g->cgid = g->gid;
	g->mode = p->mode;
	g->flags = p->flags;
	g->max_members = p->max_members;
	g->max_pending = p->max_pending ?: fanout_max_pending;
	g->max_queue = p->max_queue ?: FANOUT_DEFAULT_MAX_QUEUE;
	/* By default as many conversations as queued requests: no limit. */
	g->max_queues = p->max_queues ?: min(g->max_queue, FANOUT_QUEUES_MAX);
	g->deadline_ms = p->deadline_ms ?: FANOUT_DEFAULT_DEADLINE_MS;
	g->interval_ms = p->status_interval_ms ?: FANOUT_DEFAULT_INTERVAL_MS;
	if (fanout_gstate_init(g))
		goto err_amqs;
	return g;

err_amqs:
	fanout_amq_table_destroy(g);
err_up:
	fanout_free(g->up);
err_group:
	fanout_free(g);
	return NULL;
}

/* Charge @g to the creating endpoint's user: -ENOSPC over the limit. */
static int fanout_group_charge(struct fanout_group *g,
			       struct fanout_endpoint *ep)
{
	int ret = fanout_user_charge_group(ep->user);

	if (!ret)
		g->creator = fanout_user_hold(ep->user);
	return ret;
}

int fanout_group_create(struct fanout_endpoint *ep,
			struct fanout_group_params *params)
{
	struct net *net = fanout_current_net();
	struct fanout_net *fn = fanout_net(net);
	struct fanout_group *g;
	int ret;

	ret = fanout_params_check(params);
	if (ret)
		return ret;
	g = fanout_group_alloc(params);
	if (!g)
		return -ENOMEM;
	g->net = net;
	g->user_ns = get_user_ns(net->user_ns);
	ret = fanout_group_charge(g, ep);
	if (ret)
		goto out_put;

	mutex_lock(&ep->lock);
	mutex_lock(&fn->lock);
	if (fanout_group_find(fn, g->name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = fanout_ep_bind(ep, g, FANOUT_PERM_RECV | FANOUT_PERM_SEND);
	if (ret)
		goto out_unlock;
	/* The registry's reference is the one from fanout_group_alloc(). */
	list_add(&g->node, &fn->groups);
	g = NULL;
out_unlock:
	mutex_unlock(&fn->lock);
	mutex_unlock(&ep->lock);
out_put:
	if (g)
		fanout_group_put(g);
	return ret;
}

static int fanout_group_name_check(struct fanout_group_name *n)
{
	if (n->flags || n->reserved)
		return -EINVAL;
	return fanout_name_check(n->name);
}

int fanout_group_open(struct fanout_endpoint *ep,
		      struct fanout_group_name *name)
{
	struct fanout_net *fn = fanout_net(fanout_current_net());
	struct fanout_group *g;
	u32 perm;
	int ret;

	ret = fanout_group_name_check(name);
	if (ret)
		return ret;
	mutex_lock(&ep->lock);
	mutex_lock(&fn->lock);
	g = fanout_group_find(fn, name->name);
	if (!g) {
		ret = -ENOENT;
		goto out_unlock;
	}
	perm = fanout_group_perm(g);
	if (!perm) {
		ret = -EACCES;
		goto out_unlock;
	}
	ret = fanout_ep_bind(ep, g, perm);
out_unlock:
	mutex_unlock(&fn->lock);
	mutex_unlock(&ep->lock);
	return ret;
}

/*
 * Take a destroyed group out of service: every open target fails with
 * -EIDRM and agents blocked in receive return. Once @g is dead no request
 * starts, so the open targets fail in batches, request after request,
 * the group lock dropped in between: the hold is bounded by a batch, not
 * by how much is open.
 */
static void fanout_group_kill(struct fanout_group *g)
{
	struct fanout_request *req;
	unsigned long id = 0;
	bool done;
	u32 m, next = 0;

	spin_lock_bh(&g->lock);
	g->dead = true;
	g->net = NULL;
	spin_unlock_bh(&g->lock);
	for (m = 0; m < g->max_members; m++)
		fanout_member_wake(g, m, true);
	fanout_gstate_kill(g);

	do {
		unsigned long found = id;

		spin_lock_bh(&g->lock);
		req = xa_find(&g->requests, &found, ULONG_MAX, XA_PRESENT);
		if (req) {
			/* Another request than last time: from its start. */
			if (found != id)
				next = 0;
			id = found;
			done = fanout_request_fail_batch(req, -EIDRM, &next);
			fanout_request_wake(req);
		}
		spin_unlock_bh(&g->lock);
		if (req && done) {
			id++;
			next = 0;
		}
		cond_resched();
	} while (req);
}

int fanout_group_destroy(struct fanout_endpoint *ep,
			 struct fanout_group_name *name)
{
	struct fanout_net *fn = fanout_net(fanout_current_net());
	struct fanout_group *g;
	int ret;

	ret = fanout_group_name_check(name);
	if (ret)
		return ret;
	mutex_lock(&fn->lock);
	g = fanout_group_find(fn, name->name);
	if (!g) {
		ret = -ENOENT;
	} else if (!fanout_group_may_admin(g)) {
		ret = -EPERM;
	} else {
		list_del_init(&g->node);
		ret = 0;
	}
	mutex_unlock(&fn->lock);
	if (ret)
		return ret;
	fanout_group_kill(g);
	fanout_group_put(g);
	return 0;
}

int fanout_group_info(struct fanout_endpoint *ep,
		      struct fanout_group_params *p)
{
	struct fanout_group *g = fanout_ep_group(ep);

	memset(p, 0, sizeof(*p));
	strscpy(p->name, g->name, sizeof(p->name));
	p->flags = g->flags;
	p->mode = g->mode;
	p->max_members = g->max_members;
	p->max_queues = g->max_queues;
	p->max_pending = g->max_pending;
	p->max_queue = g->max_queue;
	p->deadline_ms = g->deadline_ms;
	p->status_interval_ms = g->interval_ms;
	p->uid = from_kuid_munged(current_user_ns(), g->uid);
	p->gid = from_kgid_munged(current_user_ns(), g->gid);
	return 0;
}

/**
 * fanout_group_stats_read() - the counters of a group
 * @g: the group
 * @stats: filled in
 */
void fanout_group_stats_read(struct fanout_group *g,
			     struct fanout_group_stats *stats)
{
	spin_lock_bh(&g->lock);
	*stats = g->stats;
	stats->members_up = bitmap_weight(g->up, g->max_members);
	spin_unlock_bh(&g->lock);
	stats->amqs_free = (u64)g->max_members * g->max_queues -
			   stats->amqs_busy;
}

int fanout_group_get_stats(struct fanout_endpoint *ep,
			   struct fanout_group_stats *stats)
{
	fanout_group_stats_read(fanout_ep_group(ep), stats);
	return 0;
}

/**
 * fanout_group_lookup() - find a live group of a namespace by name
 * @net: the network namespace
 * @name: NUL-terminated name
 *
 * Return: the group with a reference, or NULL.
 */
struct fanout_group *fanout_group_lookup(struct net *net, const char *name)
{
	struct fanout_net *fn = fanout_net(net);
	struct fanout_group *g;

	mutex_lock(&fn->lock);
	g = fanout_group_find(fn, name);
	if (g)
		kref_get(&g->ref);
	mutex_unlock(&fn->lock);
	return g;
}

/**
 * fanout_group_nth() - the @n-th live group of a namespace, for dumps
 * @net: the network namespace
 * @n: index in its group list (groups created or destroyed meanwhile
 *	shift it, as in any netlink dump)
 *
 * Return: the group with a reference, or NULL past the end.
 */
struct fanout_group *fanout_group_nth(struct net *net, unsigned long n)
{
	struct fanout_net *fn = fanout_net(net);
	struct fanout_group *g, *found = NULL;

	mutex_lock(&fn->lock);
	list_for_each_entry(g, &fn->groups, node) {
		if (!n--) {
			kref_get(&g->ref);
			found = g;
			break;
		}
	}
	mutex_unlock(&fn->lock);
	return found;
}

/**
 * fanout_net_show_amqs() - list the busy AMQs of the reader's namespace
 * @s: the seq_file of debugfs fanout/amqs
 *
 * The groups are pinned under the namespace lock and shown after it is
 * dropped: it never nests with a group lock.
 * Return: 0, or -ENOMEM.
 */
int fanout_net_show_amqs(struct seq_file *s)
{
	struct fanout_net *fn = fanout_net(fanout_current_net());
	struct fanout_group **groups, *g;
	unsigned int n = 0, i;

	mutex_lock(&fn->lock);
	list_for_each_entry(g, &fn->groups, node)
		n++;
	groups = kcalloc(n, sizeof(*groups), GFP_KERNEL);
	if (!groups) {
		mutex_unlock(&fn->lock);
		return n ? -ENOMEM : 0;
	}
	n = 0;
	list_for_each_entry(g, &fn->groups, node) {
		kref_get(&g->ref);
		groups[n++] = g;
	}
	mutex_unlock(&fn->lock);
	for (i = 0; i < n; i++) {
		fanout_amq_show(s, groups[i]);
		fanout_group_put(groups[i]);
	}
	kfree(groups);
	return 0;
}

static int __net_init fanout_net_setup(struct net *net)
{
	struct fanout_net *fn = fanout_net(net);

	mutex_init(&fn->lock);
	INIT_LIST_HEAD(&fn->groups);
	return 0;
}

/* The namespace goes away: destroy its groups as their owners would. */
static void __net_exit fanout_net_teardown(struct net *net)
{
	struct fanout_net *fn = fanout_net(net);
	struct fanout_group *g, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&fn->lock);
	list_splice_init(&fn->groups, &dead);
	mutex_unlock(&fn->lock);
	list_for_each_entry_safe(g, tmp, &dead, node) {
		list_del_init(&g->node);
		fanout_group_kill(g);
		fanout_group_put(g);
	}
}

static struct pernet_operations fanout_net_ops = {
	.init = fanout_net_setup,
	.exit = fanout_net_teardown,
	.id = &fanout_net_id,
	.size = sizeof(struct fanout_net),
};

int fanout_net_init(void)
{
	return register_pernet_subsys(&fanout_net_ops);
}

void fanout_net_exit(void)
{
	unregister_pernet_subsys(&fanout_net_ops);
}
