/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fanout: internal declarations shared by the module's files.
 *
 * Locking, in the order locks nest:
 *
 *  fanout_hub_mutex (hub.c): making hubs and attaching endpoints.
 *  fanout_endpoint.lock (mutex): serialises the endpoint's changes of
 *	binding and membership (create, open, join, leave); close
 *	needs it not, as nothing else can use the endpoint by then.
 *  fanout_net.lock (mutex): the group list of one network namespace.
 *  fanout_group.lock (spinlock, taken with BHs off because the deadline
 *	timer takes it): everything that changes while a group runs:
 *	members, their agent message queues (amq.c) and backlogs, the
 *	request table, every target's state, every endpoint's member
 *	index, bound queue and lists, and the counters.
 *  the AMQ table's bucket locks (rhashtable), taken inside the group
 *	lock by inserts and removals.
 *  the request table's xarray lock (XA_FLAGS_LOCK_BH: always with BHs
 *	off, as it nests in the group lock) and wait queue locks: taken
 *	inside the group lock (xa_store/xa_erase, wake-ups).
 *  fanout_ep_uring.lock (spinlock, BHs off: the wait timeout's hrtimer
 *	takes it in softirq): an endpoint's pending io_uring commands
 *	(uring.c); nests outside wait-queue locks, the hub's included,
 *	and is never taken with the group lock.
 *  a hub's lock (struct fanout_hub, hub.c), innermost, with IRQs off:
 *	taken when a slot is queued, under the group lock or not, in any
 *	context. A member's list of hub slots (fanout_member.hubs) is an
 *	RCU list changed under the group lock.
 *
 * The expected state and broadcast of a group (struct fanout_gstate,
 * state.h) are protected by the group lock too; the broadcast work takes
 * it once per message part and never nests fanout_net.lock inside it.
 *
 * Nothing sleeps under the group lock; copies to and from user space
 * happen outside it, on objects pinned by a reference.
 *
 * The trace events (trace.h) fire where what they report changes, so
 * under the group lock (and, fanout_wake, inside a request's wait-queue
 * lock, possibly in softirq): they read fields that lock protects and
 * never sleep.
 */
#ifndef _FANOUT_H
#define _FANOUT_H

#include <linux/fanout.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct dentry;
struct file;
struct fanout_gstate;
struct fanout_hub;
struct fanout_hub_slot;
struct fanout_user;
struct io_uring_cmd;
struct net;
struct poll_table_struct;
struct seq_file;
struct user_namespace;

/* Module parameters (main.c), read-only after load. */
extern unsigned int fanout_max_payload;
extern unsigned int fanout_max_pending;

/* Group option defaults. */
#define FANOUT_DEFAULT_MAX_QUEUE	1024
#define FANOUT_DEFAULT_DEADLINE_MS	30000
#define FANOUT_DEFAULT_INTERVAL_MS	1000

/*
 * Targets settled in one hold of the group lock by a walk whose length
 * grows with what is open (a member's queue, an endpoint's taken list,
 * the open requests of a group destroyed or of an endpoint closed).
 */
#define FANOUT_SETTLE_BATCH		64

/* Replies fanout_reply_many() takes at once (a hub serve's batch). */
#define FANOUT_REPLY_MANY_MAX		16

/* Permission bits an endpoint was granted when it bound to a group. */
#define FANOUT_PERM_RECV	04	/* join as an agent */
#define FANOUT_PERM_SEND	02	/* send requests */

/**
 * struct fanout_payload - a request or reply payload, stored once
 * @len: bytes in @data
 * @borrowed: it lives in a reply block of its request (struct
 *	fanout_reply_block), freed with the block, not on its own
 * @data: the payload
 *
 * Owned by its request: a shared payload is freed with the request, so
 * are per-target payloads and replies.
 */
struct fanout_payload {
	u32 len;
	u32 borrowed;
	u8 data[];
};

/**
 * struct fanout_reply_block - small replies to one request, one allocation
 * @node: in the request's @reply_blocks once one of its replies settled
 *	(group lock)
 * @used: bytes of @mem handed out
 * @size: bytes of @mem
 * @mem: the payloads (struct fanout_payload, 8-byte aligned)
 *
 * The small replies of a batch to one request (fanout_reply_many()) are
 * copied into one block instead of one allocation each; the block goes
 * with the request.
 */
struct fanout_reply_block {
	struct list_head node;
	size_t used;
	size_t size;
	u8 mem[] __aligned(8);
};

/**
 * struct fanout_amq_key - what an agent message queue is for
 * @member: member index
 * @uuid: the conversation
 */
struct fanout_amq_key {
	u32 member;
	u8 uuid[FANOUT_UUID_LEN];
};

/**
 * struct fanout_amq - an agent message queue, busy with one conversation
 * @hnode: in fanout_group.amqs, keyed by @key
 * @key: member and UUID
 * @ready_node: in the member's ready list while it has queued targets
 *	and no agent, else empty
 * @member_node: in the member's list of busy AMQs
 * @targets: queued targets (fanout_target.node), in send order
 * @agent: the agent bound to it, or NULL
 * @agent_pid: the process that bound @agent (for debugfs)
 * @nqueued: entries in @targets
 * @ntaken: its targets taken by @agent and not yet settled
 * @keyed: in fanout_group.amqs; an AMQ of a UUID the kernel generated
 *	is not, until another request of its conversation needs it
 * @rcu: frees it after the table's lockless readers
 *
 * Exists while busy: some target of it is queued or taken. Protected by
 * the group lock; see amq.c.
 */
struct fanout_amq {
	struct rhash_head hnode;
	struct fanout_amq_key key;
	struct list_head ready_node;
	struct list_head member_node;
	struct list_head targets;
	struct fanout_endpoint *agent;
	pid_t agent_pid;
	u32 nqueued;
	u32 ntaken;
	bool keyed;
	struct rcu_head rcu;
};

/**
 * struct fanout_member - one member slot of a group
 * @ready: busy AMQs with queued targets and no agent, oldest first
 * @backlog: targets waiting for a free AMQ (fanout_target.node), FIFO
 * @amqs: its busy AMQs (fanout_amq.member_node)
 * @nqueued: targets queued in its AMQs and its backlog
 * @nbusy: its busy AMQs
 * @nagents: agent endpoints joined as this member; up while non-zero
 * @wq: unbound agents waiting in receive (exclusive) and pollers
 * @hubs: hub slots of its agents (hub.c): an RCU list, changed under the
 *	group lock
 *
 * All fields but @wq and @hubs are protected by the group lock.
 */
struct fanout_member {
	struct list_head ready;
	struct list_head backlog;
	struct list_head amqs;
	u32 nqueued;
	u32 nbusy;
	u32 nagents;
	wait_queue_head_t wq;
	struct list_head hubs;
};

/**
 * struct fanout_target - one target of a request: about a cache line
 * @node: in its AMQ (or the member's backlog) while QUEUED, in the
 *	taker's taken list while TAKEN, unlinked once settled
 * @req: the request this target belongs to
 * @payload: what the agent receives (the request's shared payload or one
 *	of its own)
 * @reply: the agent's reply payload, if any
 * @amq: its agent message queue while QUEUED in one or TAKEN (the
 *	taker is @amq->agent), else NULL
 * @member: member index
 * @status: result once settled
 * @state: enum fanout_target_state; read without the lock with acquire
 *	semantics: once REPLIED or FAILED, @status and @reply never change
 * @redelivered: its agent died or left without replying and it went back
 *	to its queue (%FANOUT_SEND_REDELIVER, state.c)
 *
 * Protected by the group lock.
 */
struct fanout_target {
	struct list_head node;
	struct fanout_request *req;
	struct fanout_payload *payload;
	struct fanout_payload *reply;
	struct fanout_amq *amq;
	u32 member;
	s32 status;
	u8 state;
	u8 redelivered;
};

/**
 * struct fanout_request - one fan-out
 * @ref: the owner's reference plus one per task using it outside the
 *	group lock (waiters, result readers, agents copying its payload)
 * @id: key in the group's request table
 * @uuid: conversation UUID
 * @group: the group (kept alive by the owner endpoint's reference)
 * @owner: the endpoint that sent it
 * @owner_node: in the owner's request list (group lock)
 * @deadline: fires at half the deadline (a status broadcast if targets
 *	are open), then fails every open target with -ETIMEDOUT
 * @expires: when the deadline passes (CLOCK_MONOTONIC)
 * @half_passed: @deadline fired at half the deadline (timer only)
 * @flags: FANOUT_SEND_* it was sent with
 * @wq: coordinators waiting for it; each waiter's wake function checks
 *	its own wake condition, so a reply wakes nobody who need not run
 * @nreplied: targets replied (group lock; read locklessly by waiters)
 * @nfailed: targets with a failure notice (likewise)
 * @released: taken out of the table; no new targets settle normally
 * @conv_node: in fanout_group.convs while unreleased, when the kernel
 *	generated @uuid (amq.c)
 * @conv_indexed: on @conv_node
 * @reply_blocks: blocks holding replies of its targets (struct
 *	fanout_reply_block), freed with it (group lock)
 * @ntargets: entries in @targets
 * @payload: the shared payload, or NULL with per-target payloads
 * @user: the sender's user, charged for this request
 * @charged: bytes charged to @user: the request, its payloads and the
 *	replies accepted so far (grows under the group lock)
 * @targets: the targets, by ascending member index
 */
struct fanout_request {
	struct kref ref;
	u64 id;
	u8 uuid[FANOUT_UUID_LEN];
	struct fanout_group *group;
	struct fanout_endpoint *owner;
	struct list_head owner_node;
	struct hrtimer deadline;
	ktime_t expires;
	bool half_passed;
	u32 flags;
	wait_queue_head_t wq;
	u32 nreplied;
	u32 nfailed;
	bool released;
	struct rhash_head conv_node;
	bool conv_indexed;
	struct list_head reply_blocks;
	u32 ntargets;
	struct fanout_payload *payload;
	struct fanout_user *user;
	size_t charged;
	struct fanout_target targets[];
};

/**
 * struct fanout_group - a named set of members in one network namespace
 * @ref: the namespace's registry (until destroyed) and bound endpoints
 * @node: in fanout_net.groups (fanout_net.lock)
 * @net: the network namespace (not referenced; cleared when destroyed)
 * @user_ns: user namespace of the creator's network namespace, for
 *	capability checks
 * @creator: the creating user, charged for this group
 * @name: unique in @net
 * @uid: owner uid
 * @gid: owner gid
 * @cuid: creator uid
 * @cgid: creator gid
 * @mode: permission bits
 * @flags: FANOUT_GROUP_*
 * @max_members: member count
 * @max_queues: AMQs per member
 * @max_pending: cap on unreleased requests
 * @max_queue: cap on queued targets per member
 * @deadline_ms: default request deadline
 * @interval_ms: status broadcast interval
 * @lock: protects everything below, see the top of this file
 * @dead: destroyed; no new binds, sends or joins
 * @next_id: last request id handed out
 * @requests: id -> struct fanout_request, for unreleased requests
 * @amqs: (member, UUID) -> busy struct fanout_amq, when keyed
 * @convs: UUID -> unreleased struct fanout_request whose UUID the kernel
 *	generated: where a later request of the conversation finds its
 *	AMQs (amq.c)
 * @amq_cache: idle AMQs kept for reuse (by their @ready_node), so that a
 *	fan-out does not allocate and free one per target (amq.c)
 * @amq_ncached: entries in @amq_cache
 * @stats: counters
 * @up: bitmap of members with at least one agent
 * @state: expected state, confirmations and broadcast (state.h), its
 *	fields protected by @lock too
 * @members: @max_members member slots
 */
struct fanout_group {
	struct kref ref;
	struct list_head node;
	struct net *net;
	struct user_namespace *user_ns;
	struct fanout_user *creator;
	char name[FANOUT_NAME_MAX];
	kuid_t uid;
	kgid_t gid;
	kuid_t cuid;
	kgid_t cgid;
	u32 mode;
	u32 flags;
	u32 max_members;
	u32 max_queues;
	u32 max_pending;
	u32 max_queue;
	u32 deadline_ms;
	u32 interval_ms;

	spinlock_t lock; /* see the top of this file */
	bool dead;
	u64 next_id;
	struct xarray requests;
	struct rhashtable amqs;
	struct rhashtable convs;
	struct list_head amq_cache;
	u32 amq_ncached;
	struct fanout_group_stats stats;
	unsigned long *up;
	struct fanout_gstate *state;
	struct fanout_member members[];
};

struct fanout_ucmd;

/**
 * struct fanout_ep_uring - an endpoint's pending io_uring commands
 * @lock: protects @cmds, each command's armed wait queue and cancel
 *	mark (uring.c); nests outside the wait queue locks, never with the
 *	group lock
 * @cmds: pending commands (struct fanout_ucmd, uring.c)
 * @monitor: without a cancel hook in io_uring (before 6.7), completes
 *	the commands of an exiting submitter or a closed ring
 * @spare: the last freed command, kept for the next one (taken and put
 *	back with xchg() and cmpxchg(), no lock); freed with the endpoint
 */
struct fanout_ep_uring {
	spinlock_t lock; /* see above */
	struct list_head cmds;
	struct delayed_work monitor;
	struct fanout_ucmd *spare;
};

/**
 * struct fanout_endpoint - one open file of /dev/fanout
 * @lock: serialises binding and membership changes of this endpoint
 * @group: the bound group; set once under @lock, then read freely
 * @file: the open file (its O_NONBLOCK flag; held by io_uring commands)
 * @user: the opener's user, charged for what this endpoint creates
 * @perm: FANOUT_PERM_* granted when binding
 * @member: member index while joined as an agent, else -1 (group lock)
 * @amq: the AMQ this agent is bound to, or NULL (group lock)
 * @wq: this agent's tasks waiting in receive while it is bound, and
 *	pollers
 * @taken: targets taken and not yet answered (group lock)
 * @requests: requests sent and not yet released (group lock)
 * @uring: its pending io_uring commands
 * @hub: the agents it serves as a hub (hub.c), or NULL; set once
 * @hub_slot: its slot when attached to a hub, or NULL: changed under
 *	hub.c's mutex, @lock and the group lock, read under any of them
 *
 * An endpoint is a coordinator, an agent, or both; and a hub or attached
 * to one, or neither.
 */
struct fanout_endpoint {
	struct mutex lock; /* binding and membership changes */
	struct fanout_group *group;
	struct file *file;
	struct fanout_user *user;
	u32 perm;
	s32 member;
	struct fanout_amq *amq;
	wait_queue_head_t wq;
	struct list_head taken;
	struct list_head requests;
	struct fanout_ep_uring uring;
	struct fanout_hub *hub;
	struct fanout_hub_slot *hub_slot;
};

/* The kernel copy of any ioctl argument structure. */
union fanout_ioctl_arg {
	struct fanout_version version;
	struct fanout_group_params params;
	struct fanout_group_name name;
	struct fanout_group_stats stats;
	struct fanout_join join;
	struct fanout_recv recv;
	struct fanout_reply reply;
	struct fanout_reply_recv reply_recv;
	struct fanout_send send;
	struct fanout_wait wait;
	struct fanout_call call;
	struct fanout_results results;
	struct fanout_id id;
	struct fanout_state state;
	struct fanout_confirm confirm;
	struct fanout_state_wait state_wait;
	struct fanout_hub_add hub_add;
	struct fanout_hub_serve hub_serve;
};

/**
 * struct fanout_ioctl_desc - how one ioctl is decoded
 * @cmd: the ioctl number; its size field is the kernel's structure size
 * @handler: does the work on the kernel copy of the argument
 * @clear: resets the structure's outputs before anything is decided, so
 *	that a command which starts nothing hands back no id (NULL: none)
 * @undo: takes back what @handler started (it returned the last
 *	argument) when its answer cannot be written to the caller's
 *	structure (NULL: nothing to take back)
 * @bound: the endpoint must be bound to a group (-EBADFD otherwise)
 * @min_size: size of the structure's first ABI version, when it has
 *	grown since; 0 while the first version is the only one
 */
struct fanout_ioctl_desc {
	unsigned int cmd;
	int (*handler)(struct fanout_endpoint *ep, void *arg);
	void (*clear)(void *arg);
	void (*undo)(struct fanout_endpoint *ep, void *arg, int ret);
	bool bound;
	size_t min_size;
};

/* main.c */
struct fanout_endpoint *fanout_file_endpoint(struct file *file);
const struct fanout_ioctl_desc *fanout_ioctl_lookup(unsigned int cmd);
int fanout_ioctl_decode(struct fanout_endpoint *ep,
			const struct fanout_ioctl_desc *desc, unsigned int cmd,
			void __user *uarg, union fanout_ioctl_arg *karg);
int fanout_ioctl_bound(struct fanout_endpoint *ep,
		       const struct fanout_ioctl_desc *desc);
int fanout_ioctl_run(struct fanout_endpoint *ep, unsigned int cmd,
		     void __user *uarg);
int fanout_ioctl_answer(struct fanout_endpoint *ep,
			const struct fanout_ioctl_desc *desc, unsigned int cmd,
			void __user *uarg, union fanout_ioctl_arg *karg, int ret);

/* mem.c */
void *fanout_zalloc(size_t size);
void *fanout_alloc(size_t size);
void *fanout_kzalloc(size_t size, gfp_t gfp);
void fanout_free(const void *ptr);
int fanout_xa_reserve(struct xarray *xa, unsigned long index);
void fanout_fault_init(struct dentry *dir);

/* amq.c */
int fanout_amq_table_init(struct fanout_group *g, u32 max_members);
void fanout_amq_table_destroy(struct fanout_group *g);
int fanout_amq_reserve(struct fanout_group *g, struct fanout_request *req,
		       bool fresh, struct list_head *reserve);
void fanout_amq_unreserve(struct fanout_group *g, struct list_head *reserve);
void fanout_amq_conv_add(struct fanout_group *g, struct fanout_request *req);
void fanout_amq_conv_del(struct fanout_group *g, struct fanout_request *req);
int fanout_amq_queue(struct fanout_group *g, struct fanout_target *t,
		     struct list_head *reserve);
void fanout_amq_settle(struct fanout_group *g, struct fanout_target *t);
struct fanout_target *fanout_amq_next(struct fanout_group *g,
				      struct fanout_endpoint *ep);
void fanout_amq_take(struct fanout_group *g, struct fanout_endpoint *ep,
		     struct fanout_target *t);
void fanout_amq_untake(struct fanout_group *g, struct fanout_endpoint *ep,
		       struct fanout_target *t);
bool fanout_amq_taken_by(const struct fanout_target *t,
			 const struct fanout_endpoint *ep);
void fanout_amq_leave(struct fanout_group *g, struct fanout_endpoint *ep);
bool fanout_member_fail_batch(struct fanout_group *g, struct fanout_member *m,
			      int status);
void fanout_amq_show(struct seq_file *s, struct fanout_group *g);

/* group.c */
int fanout_net_init(void);
void fanout_net_exit(void);
struct fanout_group *fanout_ep_group(struct fanout_endpoint *ep);
void fanout_group_put(struct fanout_group *group);
u32 fanout_group_perm(struct fanout_group *g);
struct fanout_group *fanout_group_lookup(struct net *net, const char *name);
struct fanout_group *fanout_group_nth(struct net *net, unsigned long n);
void fanout_group_stats_read(struct fanout_group *g,
			     struct fanout_group_stats *stats);
int fanout_group_create(struct fanout_endpoint *ep,
			struct fanout_group_params *params);
int fanout_group_open(struct fanout_endpoint *ep,
		      struct fanout_group_name *name);
int fanout_group_destroy(struct fanout_endpoint *ep,
			 struct fanout_group_name *name);
int fanout_group_info(struct fanout_endpoint *ep,
		      struct fanout_group_params *params);
int fanout_group_get_stats(struct fanout_endpoint *ep,
			   struct fanout_group_stats *stats);
int fanout_net_show_amqs(struct seq_file *s);

/* request.c */
void fanout_target_settle(struct fanout_target *t, int status, u8 state);
void fanout_request_wake(struct fanout_request *req);
void fanout_request_fail_open(struct fanout_request *req, int status);
bool fanout_request_fail_batch(struct fanout_request *req, int status,
			       u32 *next);
void fanout_payload_free(struct fanout_payload *p);
struct fanout_target *fanout_request_target(struct fanout_request *req,
					    u32 member);
struct fanout_payload *fanout_payload_from_user(u64 addr, u32 len);
struct fanout_reply_block *fanout_reply_block_alloc(size_t size);
struct fanout_payload *fanout_reply_block_payload(struct fanout_reply_block *b,
						  u64 addr, u32 len);
size_t fanout_reply_block_room(u32 len);
void fanout_reply_block_attach(struct fanout_request *req,
			       struct fanout_reply_block *b);
void fanout_request_put(struct fanout_request *req);

/* Whether @t waits for an answer (queued or taken). */
static inline bool fanout_target_open(const struct fanout_target *t)
{
	return t->state == FANOUT_TARGET_QUEUED ||
	       t->state == FANOUT_TARGET_TAKEN;
}

/* Whether @t went back to its queue when its agent went (redelivery). */
static inline bool fanout_target_awaits_redelivery(const struct fanout_target *t)
{
	return t->redelivered && t->state == FANOUT_TARGET_QUEUED;
}

/* Whether some target of @req has no result yet. */
static inline bool fanout_request_open(const struct fanout_request *req)
{
	return req->nreplied + req->nfailed < req->ntargets;
}

int fanout_send(struct fanout_endpoint *ep, struct fanout_send *s);
int fanout_wait(struct fanout_endpoint *ep, struct fanout_wait *w);
int fanout_call(struct fanout_endpoint *ep, struct fanout_call *c);
int fanout_results(struct fanout_endpoint *ep, struct fanout_results *r);
int fanout_cancel(struct fanout_endpoint *ep, struct fanout_id *id);
int fanout_release_request(struct fanout_endpoint *ep, struct fanout_id *id);
void fanout_release_owned(struct fanout_endpoint *ep);
void fanout_send_clear(struct fanout_send *s);
ktime_t fanout_wait_expires(u64 timeout_ns);
bool fanout_wait_sleep(bool timed, ktime_t *expires);
int fanout_wait_interrupted(void);
void fanout_call_clear(struct fanout_call *c);
void fanout_send_undo(struct fanout_endpoint *ep, struct fanout_send *s,
		      int ret);
void fanout_call_undo(struct fanout_endpoint *ep, struct fanout_call *c,
		      int ret);
bool fanout_request_wake_cond(const struct fanout_request *req, u32 mode,
			      u32 quorum);
int fanout_wait_start(struct fanout_endpoint *ep, struct fanout_wait *w,
		      struct fanout_request **reqp);
void fanout_wait_done(struct fanout_request *req, struct fanout_wait *w);
int fanout_call_start(struct fanout_endpoint *ep, struct fanout_call *c,
		      struct fanout_request **reqp);
int fanout_call_finish(struct fanout_request *req, struct fanout_call *c,
		       int ret);

/* user.c */
struct fanout_user *fanout_user_get(void);
struct fanout_user *fanout_user_hold(struct fanout_user *u);
void fanout_user_put(struct fanout_user *u);
int fanout_user_charge_group(struct fanout_user *u);
void fanout_user_uncharge_group(struct fanout_user *u);
bool fanout_user_charge_bytes(struct fanout_user *u, size_t bytes);
void fanout_user_uncharge_bytes(struct fanout_user *u, size_t bytes);
int fanout_user_charge_request(struct fanout_user *u, size_t bytes);
void fanout_user_uncharge_request(struct fanout_user *u, size_t bytes);
void fanout_debugfs_init(void);
void fanout_debugfs_exit(void);

/* agent.c */
int fanout_join(struct fanout_endpoint *ep, struct fanout_join *j);
int fanout_leave(struct fanout_endpoint *ep);
int fanout_recv(struct fanout_endpoint *ep, struct fanout_recv *r);
int fanout_reply(struct fanout_endpoint *ep, struct fanout_reply *r);
void fanout_reply_many(struct fanout_endpoint **eps, struct fanout_reply *r,
		       int *results, unsigned int n);
int fanout_reply_recv(struct fanout_endpoint *ep,
		      struct fanout_reply_recv *rr);
void fanout_recv_clear(struct fanout_recv *r);
void fanout_reply_recv_clear(struct fanout_reply_recv *rr);
void fanout_recv_undo(struct fanout_endpoint *ep, struct fanout_recv *r,
		      int ret);
void fanout_reply_recv_undo(struct fanout_endpoint *ep,
			    struct fanout_reply_recv *rr, int ret);
void fanout_join_undo(struct fanout_endpoint *ep, struct fanout_join *j,
		      int ret);
__poll_t fanout_agent_poll(struct fanout_endpoint *ep, struct file *file,
			   struct poll_table_struct *wait);
void fanout_agent_release(struct fanout_endpoint *ep);
void fanout_agent_wake(struct fanout_endpoint *ep);
void fanout_member_wake(struct fanout_group *g, u32 member, bool all);
int fanout_recv_check(const struct fanout_recv *r);
bool fanout_recv_nonblock(struct fanout_endpoint *ep,
			  const struct fanout_recv *r);
int fanout_recv_try(struct fanout_endpoint *ep, struct fanout_recv *r);
struct fanout_target *fanout_recv_grab(struct fanout_endpoint *ep,
				       struct fanout_recv *r, int *err,
				       bool *more,
				       const struct fanout_payload *have);
int fanout_recv_deliver(struct fanout_endpoint *ep, struct fanout_recv *r,
			struct fanout_target *t, bool copy);
wait_queue_head_t *fanout_recv_wq(struct fanout_group *g,
				  struct fanout_endpoint *ep, s32 *member,
				  struct fanout_amq **amq);
bool fanout_recv_ready(struct fanout_group *g, struct fanout_endpoint *ep,
		       s32 member, struct fanout_amq *amq);
void fanout_recv_pass_on(struct fanout_group *g, struct fanout_endpoint *ep,
			 s32 member, struct fanout_amq *amq, bool unused);
int fanout_reply_recv_reply(struct fanout_endpoint *ep,
			    struct fanout_reply_recv *rr);

/* hub.c */
int fanout_hub_add(struct fanout_endpoint *hub_ep, struct fanout_hub_add *a);
void fanout_hub_release(struct fanout_endpoint *ep);
void fanout_hub_notify(struct fanout_endpoint *ep);
void fanout_hub_member_notify(struct fanout_member *m);
bool fanout_hub_attached(struct fanout_endpoint *ep);
int fanout_hub_serve(struct fanout_endpoint *ep, struct fanout_hub_serve *sv);
int fanout_hub_serve_start(struct fanout_endpoint *ep,
			   struct fanout_hub_serve *sv);
int fanout_hub_serve_try(struct fanout_endpoint *ep,
			 struct fanout_hub_serve *sv);
int fanout_hub_serve_end(struct fanout_hub_serve *sv, int ret);
wait_queue_head_t *fanout_hub_serve_wq(struct fanout_endpoint *ep);
bool fanout_hub_serve_ready(struct fanout_endpoint *ep);
bool fanout_hub_serve_nonblock(struct fanout_endpoint *ep,
			       const struct fanout_hub_serve *sv);
void fanout_hub_serve_clear(struct fanout_hub_serve *sv);

/* uring.c */
void fanout_uring_init(struct fanout_endpoint *ep);
void fanout_uring_release(struct fanout_endpoint *ep);
int fanout_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);

#endif /* _FANOUT_H */
