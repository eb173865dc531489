/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fanout: the generic netlink family "fanout": status broadcasts of the
 * groups' expected state and queries for tools.
 *
 * Described in Documentation/netlink/specs/fanout.yaml; semantics in
 * Documentation/fanout.rst, "Status over generic netlink".
 *
 * Bitmaps (FANOUT_A_UP, FANOUT_A_CONFIRMED, FANOUT_PENDING_A_MEMBERS,
 * FANOUT_PENDING_A_REDELIVER) are binary attributes holding an array of
 * __u64 words in host byte order: bit m % 64 of word m / 64 is member m.
 * A bitmap may be shorter than the group's member count (trailing zero
 * words are left out); missing words read as zero.
 *
 * Permissions: joining the multicast group "status" and dumping every
 * group (FANOUT_CMD_GET_GROUP without FANOUT_A_GROUP_NAME, and
 * FANOUT_CMD_GET_STATUS without it) need CAP_NET_ADMIN in the user
 * namespace of the network namespace; the per-group commands need
 * CAP_NET_ADMIN there or read permission on the group (-EACCES). Only
 * the groups of the socket's network namespace are ever seen.
 *
 * Errors: a refused do request gets NLMSG_ERROR; a refused dump request
 * (missing or unknown group, no permission) gets its NLMSG_DONE carrying
 * the negative errno, both with the extended ack (NETLINK_EXT_ACK)
 * naming the attribute.
 */
#ifndef _UAPI_LINUX_FANOUT_NETLINK_H
#define _UAPI_LINUX_FANOUT_NETLINK_H

#define FANOUT_GENL_NAME		"fanout"
#define FANOUT_GENL_VERSION		1
#define FANOUT_GENL_MCGRP_STATUS	"status"

/* Shortest status broadcast interval while anything is outstanding. */
#define FANOUT_STATUS_INTERVAL_MIN_MS	100

/**
 * enum fanout_cmd - commands of the family
 * @FANOUT_CMD_UNSPEC: never used
 * @FANOUT_CMD_GET_GROUP: do: one group's options and counts
 *	(%FANOUT_A_GROUP_NAME required); dump: every group of the network
 *	namespace (CAP_NET_ADMIN). The reply is a %FANOUT_CMD_GET_GROUP
 *	message with the group attributes.
 * @FANOUT_CMD_GET_MEMBERS: dump: one %FANOUT_A_MEMBER nest per member of
 *	the group named by %FANOUT_A_GROUP_NAME (required), several per
 *	message, every message naming the group
 * @FANOUT_CMD_GET_PENDING: dump: one %FANOUT_A_PENDING nest per request
 *	of the group that still has open targets, by ascending id
 * @FANOUT_CMD_GET_QUEUES: dump: one %FANOUT_A_QUEUE nest per busy agent
 *	message queue of the group
 * @FANOUT_CMD_GET_STATS: do: the group's counters in a %FANOUT_A_STATS
 *	nest
 * @FANOUT_CMD_STATUS: a status broadcast on the multicast group
 *	%FANOUT_GENL_MCGRP_STATUS, in one or more parts (see
 *	%FANOUT_A_PART). Also the reply messages of %FANOUT_CMD_GET_STATUS.
 * @FANOUT_CMD_GET_STATUS: dump: the status of the named group (or of
 *	every group, CAP_NET_ADMIN) in %FANOUT_CMD_STATUS messages laid out
 *	like a broadcast, with %FANOUT_A_REASON %FANOUT_REASON_QUERY
 * @__FANOUT_CMD_MAX: one past the last command
 * @FANOUT_CMD_MAX: the last command
 */
enum fanout_cmd {
	FANOUT_CMD_UNSPEC,
	FANOUT_CMD_GET_GROUP,
	FANOUT_CMD_GET_MEMBERS,
	FANOUT_CMD_GET_PENDING,
	FANOUT_CMD_GET_QUEUES,
	FANOUT_CMD_GET_STATS,
	FANOUT_CMD_STATUS,
	FANOUT_CMD_GET_STATUS,

	__FANOUT_CMD_MAX,
	FANOUT_CMD_MAX = __FANOUT_CMD_MAX - 1
};

/**
 * enum fanout_status_reason - why a status message was sent
 * @FANOUT_REASON_PERIODIC: the group's interval passed with something
 *	outstanding (an up member unconfirmed, an open target, a target
 *	waiting for redelivery)
 * @FANOUT_REASON_STATE_SET: a new expected state was set
 * @FANOUT_REASON_MEMBER_UP: a member came up (its first agent joined)
 * @FANOUT_REASON_MEMBER_DOWN: a member went down (its last agent left)
 * @FANOUT_REASON_DEADLINE_HALF: a request passed half of its deadline
 *	with targets still open
 * @FANOUT_REASON_QUERY: the answer of %FANOUT_CMD_GET_STATUS
 * @FANOUT_REASON_CONVERGED: the last member up that had not confirmed the
 *	current generation confirmed it
 *
 * Events that happen while a broadcast is already due are folded into
 * it; the reason is then the first of them, except that a state set
 * always names itself: every state set is followed by a broadcast with
 * %FANOUT_REASON_STATE_SET showing its generation (or a newer one).
 */
enum fanout_status_reason {
	FANOUT_REASON_PERIODIC,
	FANOUT_REASON_STATE_SET,
	FANOUT_REASON_MEMBER_UP,
	FANOUT_REASON_MEMBER_DOWN,
	FANOUT_REASON_DEADLINE_HALF,
	FANOUT_REASON_QUERY,
	FANOUT_REASON_CONVERGED,
};

/**
 * enum fanout_attr - top-level attributes
 * @FANOUT_A_UNSPEC: never used
 * @FANOUT_A_PAD: padding for 64-bit attributes
 * @FANOUT_A_GROUP_NAME: string, the group's name (at most 31 bytes plus
 *	NUL); in every request for one group and every reply or broadcast
 * @FANOUT_A_GENERATION: u64, the expected state's generation (0: none
 *	set yet)
 * @FANOUT_A_STATE_CODE: u32, the expected state's code
 * @FANOUT_A_STATE_BLOB: binary, the expected state's blob, at most
 *	%FANOUT_STATE_BLOB_MAX bytes; absent when empty
 * @FANOUT_A_MAX_MEMBERS: u32, the group's member count (bits in the
 *	bitmaps)
 * @FANOUT_A_UP: binary bitmap of the members up
 * @FANOUT_A_CONFIRMED: binary bitmap of the members that confirmed the
 *	current generation (a member that went down keeps its bit)
 * @FANOUT_A_MEMBER: nest, enum fanout_member_attr; repeated
 * @FANOUT_A_PENDING: nest, enum fanout_pending_attr; repeated
 * @FANOUT_A_QUEUE: nest, enum fanout_queue_attr; repeated
 * @FANOUT_A_STATS: nest, enum fanout_stats_attr
 * @FANOUT_A_SEQ: u32, the group's status sequence number: one per
 *	broadcast (all its parts carry the same one), growing by one per
 *	broadcast of that group; a gap means a broadcast was lost
 * @FANOUT_A_PART: u32, the part's index in its broadcast, from 0; part 0
 *	carries the state, the bitmaps and the counts, later parts only
 *	more %FANOUT_A_PENDING nests
 * @FANOUT_A_LAST: flag, set on the last part of a broadcast
 * @FANOUT_A_REASON: u32, enum fanout_status_reason (part 0)
 * @FANOUT_A_MEMBERS_UP: u32, members up
 * @FANOUT_A_NCONFIRMED: u32, members up that confirmed the current
 *	generation
 * @FANOUT_A_NPENDING: u32, requests with open targets (the number of
 *	%FANOUT_A_PENDING nests over all parts of a broadcast)
 * @FANOUT_A_NREDELIVER: u32, targets waiting for redelivery
 * @FANOUT_A_FLAGS: u32, the group's FANOUT_GROUP_* flags
 * @FANOUT_A_MODE: u32, the group's permission bits
 * @FANOUT_A_UID: u32, the owner's uid (in the reader's user namespace)
 * @FANOUT_A_GID: u32, the owner's gid
 * @FANOUT_A_MAX_PENDING: u32, cap on unreleased requests
 * @FANOUT_A_MAX_QUEUE: u32, cap on queued targets per member
 * @FANOUT_A_MAX_QUEUES: u32, agent message queues per member
 * @FANOUT_A_DEADLINE_MS: u32, default request deadline
 * @FANOUT_A_INTERVAL_MS: u32, status broadcast interval in effect (the
 *	group's, raised to %FANOUT_STATUS_INTERVAL_MIN_MS)
 * @__FANOUT_A_MAX: one past the last attribute
 * @FANOUT_A_MAX: the last attribute
 */
enum fanout_attr {
	FANOUT_A_UNSPEC,
	FANOUT_A_PAD,
	FANOUT_A_GROUP_NAME,
	FANOUT_A_GENERATION,
	FANOUT_A_STATE_CODE,
	FANOUT_A_STATE_BLOB,
	FANOUT_A_MAX_MEMBERS,
	FANOUT_A_UP,
	FANOUT_A_CONFIRMED,
	FANOUT_A_MEMBER,
	FANOUT_A_PENDING,
	FANOUT_A_QUEUE,
	FANOUT_A_STATS,
	FANOUT_A_SEQ,
	FANOUT_A_PART,
	FANOUT_A_LAST,
	FANOUT_A_REASON,
	FANOUT_A_MEMBERS_UP,
	FANOUT_A_NCONFIRMED,
	FANOUT_A_NPENDING,
	FANOUT_A_NREDELIVER,
	FANOUT_A_FLAGS,
	FANOUT_A_MODE,
	FANOUT_A_UID,
	FANOUT_A_GID,
	FANOUT_A_MAX_PENDING,
	FANOUT_A_MAX_QUEUE,
	FANOUT_A_MAX_QUEUES,
	FANOUT_A_DEADLINE_MS,
	FANOUT_A_INTERVAL_MS,

	__FANOUT_A_MAX,
	FANOUT_A_MAX = __FANOUT_A_MAX - 1
};

/**
 * enum fanout_member_attr - attributes of a %FANOUT_A_MEMBER nest
 * @FANOUT_MEMBER_A_UNSPEC: never used
 * @FANOUT_MEMBER_A_PAD: padding for 64-bit attributes
 * @FANOUT_MEMBER_A_INDEX: u32, the member index
 * @FANOUT_MEMBER_A_AGENTS: u32, agents joined (up while non-zero)
 * @FANOUT_MEMBER_A_CONFIRMED_GEN: u64, the last generation the member
 *	confirmed (0: none)
 * @FANOUT_MEMBER_A_QUEUED: u32, targets queued for the member
 * @FANOUT_MEMBER_A_BUSY_QUEUES: u32, its busy agent message queues
 * @FANOUT_MEMBER_A_REDELIVER: u32, its targets waiting for redelivery
 * @__FANOUT_MEMBER_A_MAX: one past the last attribute
 * @FANOUT_MEMBER_A_MAX: the last attribute
 *
 * Members with no agent, nothing queued and no confirmation are left out
 * of the dump.
 */
enum fanout_member_attr {
	FANOUT_MEMBER_A_UNSPEC,
	FANOUT_MEMBER_A_PAD,
	FANOUT_MEMBER_A_INDEX,
	FANOUT_MEMBER_A_AGENTS,
	FANOUT_MEMBER_A_CONFIRMED_GEN,
	FANOUT_MEMBER_A_QUEUED,
	FANOUT_MEMBER_A_BUSY_QUEUES,
	FANOUT_MEMBER_A_REDELIVER,

	__FANOUT_MEMBER_A_MAX,
	FANOUT_MEMBER_A_MAX = __FANOUT_MEMBER_A_MAX - 1
};

/**
 * enum fanout_pending_attr - attributes of a %FANOUT_A_PENDING nest: a
 *	request still waiting for members
 * @FANOUT_PENDING_A_UNSPEC: never used
 * @FANOUT_PENDING_A_PAD: padding for 64-bit attributes
 * @FANOUT_PENDING_A_ID: u64, the request id
 * @FANOUT_PENDING_A_UUID: binary, the 16-byte conversation UUID
 * @FANOUT_PENDING_A_MEMBERS: binary bitmap of the members whose target
 *	is still open (queued, taken, or waiting for redelivery)
 * @FANOUT_PENDING_A_REDELIVER: binary bitmap of the members whose target
 *	waits for redelivery (its agent died or left); absent when none
 * @FANOUT_PENDING_A_NTARGETS: u32, the request's target count
 * @FANOUT_PENDING_A_NOPEN: u32, its open targets (bits in
 *	%FANOUT_PENDING_A_MEMBERS)
 * @FANOUT_PENDING_A_DEADLINE_MS: u32, milliseconds left until its
 *	deadline (0: passed)
 * @__FANOUT_PENDING_A_MAX: one past the last attribute
 * @FANOUT_PENDING_A_MAX: the last attribute
 */
enum fanout_pending_attr {
	FANOUT_PENDING_A_UNSPEC,
	FANOUT_PENDING_A_PAD,
	FANOUT_PENDING_A_ID,
	FANOUT_PENDING_A_UUID,
	FANOUT_PENDING_A_MEMBERS,
	FANOUT_PENDING_A_REDELIVER,
	FANOUT_PENDING_A_NTARGETS,
	FANOUT_PENDING_A_NOPEN,
	FANOUT_PENDING_A_DEADLINE_MS,

	__FANOUT_PENDING_A_MAX,
	FANOUT_PENDING_A_MAX = __FANOUT_PENDING_A_MAX - 1
};

/**
 * enum fanout_queue_attr - attributes of a %FANOUT_A_QUEUE nest: a busy
 *	agent message queue
 * @FANOUT_QUEUE_A_UNSPEC: never used
 * @FANOUT_QUEUE_A_MEMBER: u32, the member index
 * @FANOUT_QUEUE_A_UUID: binary, the 16-byte conversation UUID
 * @FANOUT_QUEUE_A_QUEUED: u32, targets queued in it
 * @FANOUT_QUEUE_A_TAKEN: u32, its targets taken and not yet answered
 * @FANOUT_QUEUE_A_AGENT_PID: u32, the process of the agent bound to it
 *	(its id in the initial pid namespace, as in debugfs fanout/amqs);
 *	absent when no agent is bound
 * @__FANOUT_QUEUE_A_MAX: one past the last attribute
 * @FANOUT_QUEUE_A_MAX: the last attribute
 */
enum fanout_queue_attr {
	FANOUT_QUEUE_A_UNSPEC,
	FANOUT_QUEUE_A_MEMBER,
	FANOUT_QUEUE_A_UUID,
	FANOUT_QUEUE_A_QUEUED,
	FANOUT_QUEUE_A_TAKEN,
	FANOUT_QUEUE_A_AGENT_PID,

	__FANOUT_QUEUE_A_MAX,
	FANOUT_QUEUE_A_MAX = __FANOUT_QUEUE_A_MAX - 1
};

/**
 * enum fanout_stats_attr - attributes of a %FANOUT_A_STATS nest, the
 *	fields of struct fanout_group_stats of the same names
 * @FANOUT_STATS_A_UNSPEC: never used
 * @FANOUT_STATS_A_PAD: padding for 64-bit attributes
 * @FANOUT_STATS_A_REQUESTS: u64, requests sent
 * @FANOUT_STATS_A_REPLIES: u64, replies accepted
 * @FANOUT_STATS_A_FAILURES: u64, failure notices
 * @FANOUT_STATS_A_DUP_REPLIES: u64, duplicate or late replies
 * @FANOUT_STATS_A_STALE_REPLIES: u64, replies to unknown requests
 * @FANOUT_STATS_A_PENDING: u32, unreleased requests
 * @FANOUT_STATS_A_MEMBERS_UP: u32, members up
 * @FANOUT_STATS_A_AMQS_BUSY: u32, busy agent message queues
 * @FANOUT_STATS_A_BACKLOG: u32, targets in backlogs
 * @FANOUT_STATS_A_AMQS_FREE: u64, free agent message queues
 * @FANOUT_STATS_A_CONFIRMS: u64, confirmations accepted
 * @FANOUT_STATS_A_DUP_CONFIRMS: u64, duplicate confirmations
 * @FANOUT_STATS_A_STALE_CONFIRMS: u64, confirmations of older generations
 * @FANOUT_STATS_A_REDELIVERED: u64, targets put back for redelivery
 * @__FANOUT_STATS_A_MAX: one past the last attribute
 * @FANOUT_STATS_A_MAX: the last attribute
 */
enum fanout_stats_attr {
	FANOUT_STATS_A_UNSPEC,
	FANOUT_STATS_A_PAD,
	FANOUT_STATS_A_REQUESTS,
	FANOUT_STATS_A_REPLIES,
	FANOUT_STATS_A_FAILURES,
	FANOUT_STATS_A_DUP_REPLIES,
	FANOUT_STATS_A_STALE_REPLIES,
	FANOUT_STATS_A_PENDING,
	FANOUT_STATS_A_MEMBERS_UP,
	FANOUT_STATS_A_AMQS_BUSY,
	FANOUT_STATS_A_BACKLOG,
	FANOUT_STATS_A_AMQS_FREE,
	FANOUT_STATS_A_CONFIRMS,
	FANOUT_STATS_A_DUP_CONFIRMS,
	FANOUT_STATS_A_STALE_CONFIRMS,
	FANOUT_STATS_A_REDELIVERED,

	__FANOUT_STATS_A_MAX,
	FANOUT_STATS_A_MAX = __FANOUT_STATS_A_MAX - 1
};

#endif /* _UAPI_LINUX_FANOUT_NETLINK_H */
