/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fanout: a group's expected state, its members' confirmations, the
 * redelivery bookkeeping (state.c) and its status broadcasts over generic
 * netlink (netlink.c).
 *
 * Locking: every field of struct fanout_gstate but @work's own and @seq
 * is protected by the group lock (fanout_group.lock), like the rest of
 * the group. @wq's lock nests inside it (wake-ups under the group lock).
 * The broadcast work runs in process context; it takes the group lock
 * once per message part it builds and never holds it across an
 * allocation or a send. Nothing here is taken by the netlink core's
 * locks' holders in a way that nests the other way: genl handlers take
 * the namespace's group list mutex, then (after dropping it) group locks.
 */
#ifndef _FANOUT_STATE_H
#define _FANOUT_STATE_H

#include <linux/fanout.h>
#include <linux/fanout_netlink.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct fanout_endpoint;
struct fanout_group;
struct fanout_request;
struct fanout_target;

/**
 * struct fanout_gstate - expected state and broadcast of one group
 * @generation: the expected state's generation, 0 before any set
 * @code: its state code
 * @blob_len: bytes in @blob
 * @blob: its blob (NULL when empty); replaced whole on a set, freed by
 *	the setter after the lock is dropped
 * @confirmed: bitmap of the members that confirmed @generation
 * @confirmed_gen: per member, the last generation it confirmed
 * @nopen: open targets (queued or taken) of every unreleased request
 * @nredeliver: targets queued again after their agent died or left,
 *	not taken since
 * @event: a broadcast is due at once for @reason
 * @reason: enum fanout_status_reason of the due broadcast
 * @group: the group it belongs to (for the work)
 * @wq: tasks waiting in %FANOUT_IOC_STATE_WAIT
 * @work: builds and sends the broadcasts, at once on events, then every
 *	interval while anything is outstanding; cancelled when the group is
 *	killed (group dead: never queued again)
 * @seq: sequence number of the last broadcast (the work's own; read
 *	with READ_ONCE() by queries)
 */
struct fanout_gstate {
	u64 generation;
	u32 code;
	u32 blob_len;
	u8 *blob;
	unsigned long *confirmed;
	u64 *confirmed_gen;
	u32 nopen;
	u32 nredeliver;
	bool event;
	u32 reason;
	struct fanout_group *group;
	wait_queue_head_t wq;
	struct delayed_work work;
	u32 seq;
};

/* state.c */
int fanout_gstate_init(struct fanout_group *g);
void fanout_gstate_destroy(struct fanout_group *g);
void fanout_gstate_kill(struct fanout_group *g);
int fanout_state_set(struct fanout_endpoint *ep, struct fanout_state *s);
int fanout_state_get(struct fanout_endpoint *ep, struct fanout_state *s);
int fanout_confirm(struct fanout_endpoint *ep, struct fanout_confirm *c);
int fanout_state_wait(struct fanout_endpoint *ep, struct fanout_state_wait *w);
void fanout_state_member_up(struct fanout_group *g, u32 m);
void fanout_state_member_down(struct fanout_group *g);
bool fanout_state_outstanding(struct fanout_group *g);
bool fanout_target_redeliverable(const struct fanout_target *t);
bool fanout_redeliver_taken(struct fanout_group *g, struct fanout_endpoint *ep);
void fanout_state_target_open(struct fanout_group *g, u32 n);
void fanout_state_target_settle(struct fanout_group *g,
				const struct fanout_target *t);
void fanout_state_target_take(struct fanout_group *g,
			      const struct fanout_target *t, bool taken);

/* netlink.c */
int fanout_genl_init(void);
void fanout_genl_exit(void);
void fanout_status_wq_exit(void);
void fanout_status_work_init(struct fanout_group *g);
void fanout_status_event(struct fanout_group *g, u32 reason);
void fanout_status_kick(struct fanout_group *g);
void fanout_status_cancel(struct fanout_group *g);

#endif /* _FANOUT_STATE_H */
