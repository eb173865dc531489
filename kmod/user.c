// SPDX-License-Identifier: GPL-2.0
/*
 * fanout per-user limits: groups created, unreleased requests and kernel
 * memory held, per user id, so that one unprivileged user cannot exhaust
 * the kernel's memory. (Allocations are also charged to the caller's
 * memory cgroup with __GFP_ACCOUNT.)
 */
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "fanout.h"

static unsigned int fanout_max_user_groups = 64;
module_param_named(max_user_groups, fanout_max_user_groups, uint, 0644);
MODULE_PARM_DESC(max_user_groups, "Groups one user may have created");

static unsigned int fanout_max_user_requests = 65536;
module_param_named(max_user_requests, fanout_max_user_requests, uint, 0644);
MODULE_PARM_DESC(max_user_requests, "Unreleased requests one user may hold");

static unsigned long fanout_max_user_bytes = 256UL << 20;
module_param_named(max_user_bytes, fanout_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Kernel memory of requests, payloads and replies per user");

/**
 * struct fanout_user - what one user holds
 * @node: in fanout_users (fanout_users_lock)
 * @ref: groups and requests charged to it, and callers in between
 * @uid: the user
 * @groups: groups created and not yet freed
 * @requests: requests sent and not yet freed
 * @bytes: kernel memory of those requests, their payloads and replies
 */
struct fanout_user {
	struct hlist_node node;
	refcount_t ref;
	kuid_t uid;
	atomic_t groups;
	atomic_t requests;
	atomic_long_t bytes;
};

static DEFINE_HASHTABLE(fanout_users, 6);
static DEFINE_SPINLOCK(fanout_users_lock); /* protects fanout_users */

/*
 * Everything charged, over all users: what a soak test compares with
 * its baseline (debugfs fanout/live).
 */
static atomic_t fanout_live_users;
static atomic_t fanout_live_groups;
static atomic_t fanout_live_requests;
static atomic_long_t fanout_live_bytes;
static struct dentry *fanout_debugfs_dir;

/* @uid's entry with a new reference; NULL if none, or only a dying one. */
static struct fanout_user *fanout_user_find(kuid_t uid)
{
	struct fanout_user *u;

	lockdep_assert_held(&fanout_users_lock);
	hash_for_each_possible(fanout_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid) && refcount_inc_not_zero(&u->ref))
			return u;
	return NULL;
}

/**
 * fanout_user_get() - the accounting of the current task's user
 *
 * Taken when an endpoint is opened: like a file's credentials, the
 * opener is charged for what is done through the endpoint.
 * Return: a referenced fanout_user, or NULL when out of memory.
 */
struct fanout_user *fanout_user_get(void)
{
	kuid_t uid = current_uid();
	struct fanout_user *u, *fresh;

	spin_lock(&fanout_users_lock);
	u = fanout_user_find(uid);
	spin_unlock(&fanout_users_lock);
	if (u)
		return u;

	fresh = fanout_zalloc(sizeof(*fresh));
	if (!fresh)
		return NULL;
	refcount_set(&fresh->ref, 1);
	fresh->uid = uid;
	spin_lock(&fanout_users_lock);
	u = fanout_user_find(uid);
	if (!u) {
		hash_add(fanout_users, &fresh->node, __kuid_val(uid));
		atomic_inc(&fanout_live_users);
		u = fresh;
		fresh = NULL;
	}
	spin_unlock(&fanout_users_lock);
	fanout_free(fresh);
	return u;
}

/* Another reference to @u, which the caller holds one of. */
struct fanout_user *fanout_user_hold(struct fanout_user *u)
{
	refcount_inc(&u->ref);
	return u;
}

void fanout_user_put(struct fanout_user *u)
{
	if (!u || !refcount_dec_and_test(&u->ref))
		return;
	/* Lookups skip an entry at zero; once unhashed nobody sees it. */
	spin_lock(&fanout_users_lock);
	hash_del(&u->node);
	spin_unlock(&fanout_users_lock);
	atomic_dec(&fanout_live_users);
	WARN_ON_ONCE(atomic_read(&u->groups) || atomic_read(&u->requests) ||
		     atomic_long_read(&u->bytes));
	fanout_free(u);
}

/* Add @n to @counter unless that passes @limit. */
static bool fanout_charge_int(atomic_t *counter, int n, unsigned int limit)
{
	if ((unsigned int)atomic_add_return(n, counter) <= limit)
		return true;
	atomic_sub(n, counter);
	return false;
}

/**
 * fanout_user_charge_group() - count one more group created by @u
 * @u: the user
 *
 * Return: 0, or -ENOSPC over max_user_groups.
 */
int fanout_user_charge_group(struct fanout_user *u)
{
	if (!fanout_charge_int(&u->groups, 1,
			       READ_ONCE(fanout_max_user_groups)))
		return -ENOSPC;
	atomic_inc(&fanout_live_groups);
	return 0;
}

void fanout_user_uncharge_group(struct fanout_user *u)
{
	atomic_dec(&u->groups);
	atomic_dec(&fanout_live_groups);
}

/**
 * fanout_user_charge_bytes() - hold @bytes more kernel memory for @u
 * @u: the user
 * @bytes: the amount
 *
 * Return: true, or false over max_user_bytes.
 */
bool fanout_user_charge_bytes(struct fanout_user *u, size_t bytes)
{
	unsigned long limit = READ_ONCE(fanout_max_user_bytes);

	if (atomic_long_add_return(bytes, &u->bytes) > limit) {
		atomic_long_sub(bytes, &u->bytes);
		return false;
	}
	atomic_long_add(bytes, &fanout_live_bytes);
	return true;
}

void fanout_user_uncharge_bytes(struct fanout_user *u, size_t bytes)
{
	atomic_long_sub(bytes, &u->bytes);
	atomic_long_sub(bytes, &fanout_live_bytes);
}

/**
 * fanout_user_charge_request() - count one more request of @bytes
 * @u: the user
 * @bytes: its kernel memory (structure and payloads)
 *
 * Return: 0, or -EAGAIN over max_user_requests or max_user_bytes.
 */
int fanout_user_charge_request(struct fanout_user *u, size_t bytes)
{
	if (!fanout_charge_int(&u->requests, 1,
			       READ_ONCE(fanout_max_user_requests)))
		return -EAGAIN;
	if (!fanout_user_charge_bytes(u, bytes)) {
		atomic_dec(&u->requests);
		return -EAGAIN;
	}
	atomic_inc(&fanout_live_requests);
	return 0;
}

void fanout_user_uncharge_request(struct fanout_user *u, size_t bytes)
{
	atomic_dec(&u->requests);
	atomic_dec(&fanout_live_requests);
	fanout_user_uncharge_bytes(u, bytes);
}

static int fanout_live_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "users %d\ngroups %d\nrequests %d\nbytes %ld\n",
		   atomic_read(&fanout_live_users),
		   atomic_read(&fanout_live_groups),
		   atomic_read(&fanout_live_requests),
		   atomic_long_read(&fanout_live_bytes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fanout_live);

static int fanout_amqs_show(struct seq_file *m, void *unused)
{
	return fanout_net_show_amqs(m);
}
DEFINE_SHOW_ATTRIBUTE(fanout_amqs);

/*
 * debugfs fanout/live: the totals above; fanout/amqs: the busy agent
 * message queues of the reader's network namespace. Failure here is not
 * fatal.
 */
void fanout_debugfs_init(void)
{
	fanout_debugfs_dir = debugfs_create_dir("fanout", NULL);
	debugfs_create_file("live", 0444, fanout_debugfs_dir, NULL,
			    &fanout_live_fops);
	debugfs_create_file("amqs", 0444, fanout_debugfs_dir, NULL,
			    &fanout_amqs_fops);
	fanout_fault_init(fanout_debugfs_dir);
}

void fanout_debugfs_exit(void)
{
	debugfs_remove_recursive(fanout_debugfs_dir);
}
