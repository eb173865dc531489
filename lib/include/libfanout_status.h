/* SPDX-License-Identifier: MIT */
/*
 * libfanout status: the generic netlink family "fanout" (libmnl), its
 * status broadcasts and queries, and an agent helper that keeps a member
 * at the group's expected state.
 *
 * Calls return 0 (or a count where documented) on success and a negative
 * errno on failure; errno itself is not touched. See fanout_status(3).
 */
#ifndef LIBFANOUT_STATUS_H
#define LIBFANOUT_STATUS_H

#include <libfanout.h>
#include <linux/fanout_netlink.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A generic netlink socket of family "fanout"; opaque. */
struct fanout_status_sock;

/* fanout_status_open() flags */
/* Join the multicast group "status" (CAP_NET_ADMIN) for broadcasts. */
#define FANOUT_STATUS_SUBSCRIBE	(1U << 0)
/* fanout_status_recv() returns -EAGAIN instead of blocking. */
#define FANOUT_STATUS_NONBLOCK	(1U << 1)

/**
 * struct fanout_status_pending - a request still waiting for members
 * @id: request id
 * @uuid: conversation UUID
 * @ntargets: its target count
 * @nopen: its open targets (bits in @members)
 * @deadline_ms: milliseconds left until its deadline (0: passed)
 * @words: size of @members and @redeliver in __u64 words
 * @members: bitmap of the members whose target is open
 * @redeliver: bitmap of the members whose target waits for redelivery
 * @reserved: zero (room to grow: callers index arrays of this)
 */
struct fanout_status_pending {
	__u64 id;
	__u8 uuid[FANOUT_UUID_LEN];
	__u32 ntargets;
	__u32 nopen;
	__u32 deadline_ms;
	__u32 words;
	__u64 *members;
	__u64 *redeliver;
	__u64 reserved[2];
};

/**
 * struct fanout_status - one status broadcast (all its parts), or the
 *	answer of fanout_status_get() or fanout_status_pending()
 * @group: the group's name
 * @seq: the broadcast's sequence number
 * @lost: broadcasts of this group missed just before this one (a gap
 *	in @seq since the last one this socket received)
 * @parts: messages it arrived in
 * @reason: enum fanout_status_reason
 * @generation: the expected state's generation (0: none set)
 * @code: the expected state's code
 * @blob_len: length of @blob
 * @blob: the expected state's blob
 * @max_members: the group's member count (bits in @up and @confirmed)
 * @members_up: members up
 * @nconfirmed: members up that confirmed @generation
 * @nredeliver: targets waiting for redelivery
 * @npending_announced: requests with open targets when part 0 was built
 * @words: size of @up and @confirmed in __u64 words
 * @up: bitmap of the members up
 * @confirmed: bitmap of the members that confirmed @generation
 * @npending: entries in @pending
 * @pending: the requests still waiting for members, by ascending id
 *
 * Freed with fanout_status_free().
 */
struct fanout_status {
	char group[FANOUT_NAME_MAX];
	__u32 seq;
	__u32 lost;
	__u32 parts;
	__u32 reason;
	__u64 generation;
	__u32 code;
	__u32 blob_len;
	__u8 blob[FANOUT_STATE_BLOB_MAX];
	__u32 max_members;
	__u32 members_up;
	__u32 nconfirmed;
	__u32 nredeliver;
	__u32 npending_announced;
	__u32 words;
	__u64 *up;
	__u64 *confirmed;
	__u32 npending;
	struct fanout_status_pending *pending;
};

/**
 * struct fanout_status_group - a group's options and counts
 * @name: its name
 * @flags: FANOUT_GROUP_* flags
 * @mode: permission bits
 * @uid: owner uid
 * @gid: owner gid
 * @max_members: member count
 * @max_pending: cap on unreleased requests
 * @max_queue: cap on queued targets per member
 * @max_queues: agent message queues per member
 * @deadline_ms: default request deadline
 * @interval_ms: status broadcast interval in effect
 * @generation: expected state's generation
 * @code: expected state's code
 * @members_up: members up
 * @nconfirmed: members up that confirmed @generation
 * @npending: requests with open targets
 * @nredeliver: targets waiting for redelivery
 * @reserved: zero (room to grow: callers index arrays of this)
 */
struct fanout_status_group {
	char name[FANOUT_NAME_MAX];
	__u32 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 max_members;
	__u32 max_pending;
	__u32 max_queue;
	__u32 max_queues;
	__u32 deadline_ms;
	__u32 interval_ms;
	__u64 generation;
	__u32 code;
	__u32 members_up;
	__u32 nconfirmed;
	__u32 npending;
	__u32 nredeliver;
	__u32 reserved[7];
};

/**
 * struct fanout_status_member - one member of a group
 * @index: member index
 * @agents: agents joined (up while non-zero)
 * @confirmed_gen: last generation it confirmed (0: none)
 * @queued: targets queued for it
 * @busy_queues: its busy agent message queues
 * @redeliver: its targets waiting for redelivery
 * @reserved: zero (room to grow: callers index arrays of this)
 */
struct fanout_status_member {
	__u32 index;
	__u32 agents;
	__u64 confirmed_gen;
	__u32 queued;
	__u32 busy_queues;
	__u32 redeliver;
	__u32 reserved[5];
};

/**
 * struct fanout_status_queue - a busy agent message queue
 * @member: member index
 * @uuid: the conversation it serves
 * @queued: targets queued in it
 * @taken: its targets taken and not answered
 * @agent_pid: process of the agent bound to it, 0 when none
 * @reserved: zero (room to grow: callers index arrays of this)
 */
struct fanout_status_queue {
	__u32 member;
	__u8 uuid[FANOUT_UUID_LEN];
	__u32 queued;
	__u32 taken;
	__u32 agent_pid;
	__u32 reserved[4];
};

/* The socket */
int fanout_status_open(struct fanout_status_sock **sockp, unsigned int flags);
void fanout_status_close(struct fanout_status_sock *sock);
int fanout_status_fd(const struct fanout_status_sock *sock);
const char *fanout_status_errmsg(const struct fanout_status_sock *sock);

/* Broadcasts */
int fanout_status_recv(struct fanout_status_sock *sock,
		       struct fanout_status **statusp);
void fanout_status_free(struct fanout_status *status);

/* Queries; arrays are freed with free() */
int fanout_status_get(struct fanout_status_sock *sock, const char *group,
		      struct fanout_status **statusp);
int fanout_status_groups(struct fanout_status_sock *sock, const char *group,
			 struct fanout_status_group **groupsp);
int fanout_status_members(struct fanout_status_sock *sock, const char *group,
			  struct fanout_status_member **membersp);
int fanout_status_pending(struct fanout_status_sock *sock, const char *group,
			  struct fanout_status **statusp);
int fanout_status_queues(struct fanout_status_sock *sock, const char *group,
			 struct fanout_status_queue **queuesp);
int fanout_status_stats(struct fanout_status_sock *sock, const char *group,
			struct fanout_group_stats *stats);

/* Whether member @m is set in bitmap @map of @words words. */
static inline int fanout_bitmap_test(const __u64 *map, __u32 words,
				     unsigned int m)
{
	return m / 64 < words && (map[m / 64] >> (m % 64) & 1);
}

/*
 * Bring the agent to the expected state: called with the generation,
 * code and blob to reach; returns 0 once reached (the helper confirms),
 * or a negative errno (nothing is confirmed, the next call tries again).
 */
typedef int (*fanout_reach_fn)(__u64 generation, __u32 code, const void *blob,
			       __u32 blob_len, void *arg);

/**
 * struct fanout_agent_sync - an agent's view of its expected state
 * @fd: the agent's endpoint, joined to @member
 * @member: the member it serves
 * @group: the group's name (broadcasts of other groups are ignored)
 * @generation: "my state": the generation reached, 0 at first
 * @reach: brings the agent to a state
 * @arg: passed to @reach
 * @confirms: confirmations accepted
 * @reserved: zero
 */
struct fanout_agent_sync {
	int fd;
	unsigned int member;
	char group[FANOUT_NAME_MAX];
	__u64 generation;
	fanout_reach_fn reach;
	void *arg;
	__u64 confirms;
	__u64 reserved[2];
};

int fanout_agent_sync(struct fanout_agent_sync *sync,
		      const struct fanout_status *status);

#ifdef __cplusplus
}
#endif

#endif /* LIBFANOUT_STATUS_H */
