/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fanout: send one request to many agents, park until every one answered
 * or is known never to answer.
 *
 * This header is the whole user-space ABI of /dev/fanout. Every ioctl
 * argument is a fixed-size structure whose size is encoded in the ioctl
 * number. When a structure grows, the kernel keeps accepting every earlier
 * size of it (the fields a caller does not know read as zero) but none
 * smaller than its first version (-EINVAL), and a newer, larger one whose
 * unknown tail is zero (-E2BIG otherwise), as with openat2(2). Flag bits
 * the kernel does not know and reserved fields that are not zero give
 * -EINVAL; fields documented as outputs are ignored on input. Structures
 * that embed others (fanout_call, fanout_reply_recv) grow by a new ioctl
 * number. See Documentation/fanout.rst.
 */
#ifndef _UAPI_LINUX_FANOUT_H
#define _UAPI_LINUX_FANOUT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define FANOUT_ABI_VERSION	1

/* Length of a group name, including the terminating NUL. */
#define FANOUT_NAME_MAX		32
/* Largest member count a group may have. */
#define FANOUT_MEMBERS_MAX	4096
/* fanout_join.member: take the lowest free member index. */
#define FANOUT_MEMBER_ANY	0xffffffffU
/* Length of a conversation UUID. */
#define FANOUT_UUID_LEN		16
/* Largest number of agent message queues (AMQs) a member may have. */
#define FANOUT_QUEUES_MAX	65536

/* fanout_version.features */
/*
 * Agent message queues keyed by UUID: fanout_group_params.max_queues,
 * %FANOUT_GROUP_BACKLOG and the queue counters of fanout_group_stats.
 */
#define FANOUT_FEATURE_AMQ	(1ULL << 0)
/*
 * Expected state: %FANOUT_IOC_STATE_SET, %FANOUT_IOC_STATE_GET,
 * %FANOUT_IOC_CONFIRM, %FANOUT_IOC_STATE_WAIT, %FANOUT_SEND_REDELIVER,
 * %FANOUT_RECV_REDELIVERED and the confirmation counters of
 * fanout_group_stats.
 */
#define FANOUT_FEATURE_STATE	(1ULL << 1)
/* The generic netlink family "fanout", see <linux/fanout_netlink.h>. */
#define FANOUT_FEATURE_NETLINK	(1ULL << 2)
/* io_uring IORING_OP_URING_CMD on the device: struct fanout_uring_cmd. */
#define FANOUT_FEATURE_URING	(1ULL << 3)
/* Hubs: %FANOUT_IOC_HUB_ADD and %FANOUT_IOC_HUB_SERVE. */
#define FANOUT_FEATURE_HUB	(1ULL << 4)

/**
 * struct fanout_version - answer of %FANOUT_IOC_VERSION
 * @abi_version: %FANOUT_ABI_VERSION of the running module
 * @max_members: largest member count of a group
 * @max_payload: largest request or reply payload, in bytes
 * @max_pending: default cap on unreleased requests per group
 * @features: bit mask of optional features, %FANOUT_FEATURE_*
 * @reserved: zero
 */
struct fanout_version {
	__u32 abi_version;
	__u32 max_members;
	__u32 max_payload;
	__u32 max_pending;
	__u64 features;
	__u64 reserved[2];
};

/* fanout_group_params.flags */
/*
 * A target that finds no free agent message queue of its member waits in
 * the member's backlog (FIFO, counted in @max_queue) instead of failing
 * with -ENOBUFS.
 */
#define FANOUT_GROUP_BACKLOG	(1U << 0)
#define FANOUT_GROUP_FLAGS	(FANOUT_GROUP_BACKLOG)

/**
 * struct fanout_group_params - options of a group
 * @name: NUL-terminated group name, unique in its network namespace
 * @flags: %FANOUT_GROUP_*
 * @mode: permission bits (0777 mask) checked like System V IPC: read
 *	permission to join as an agent, write permission to send
 * @max_members: member count, 1..%FANOUT_MEMBERS_MAX
 * @max_pending: cap on unreleased requests in the group (0: default)
 * @max_queue: cap on queued requests per member, in its agent message
 *	queues and backlog together (0: default, 1024)
 * @deadline_ms: default request deadline in milliseconds (0: default)
 * @status_interval_ms: status broadcast interval (0: default)
 * @uid: out: owner uid
 * @gid: out: owner gid
 * @max_queues: agent message queues per member, 1..%FANOUT_QUEUES_MAX
 *	(0: default, @max_queue): how many conversations (UUIDs) a member
 *	serves at once
 * @reserved: zero
 *
 * In for %FANOUT_IOC_GROUP_CREATE, out for %FANOUT_IOC_GROUP_INFO.
 */
struct fanout_group_params {
	char name[FANOUT_NAME_MAX];
	__u32 flags;
	__u32 mode;
	__u32 max_members;
	__u32 max_pending;
	__u32 max_queue;
	__u32 deadline_ms;
	__u32 status_interval_ms;
	__u32 uid;
	__u32 gid;
	__u32 max_queues;
	__u64 reserved[2];
};

/**
 * struct fanout_group_name - names a group
 * @name: NUL-terminated group name
 * @flags: zero
 * @reserved: zero
 *
 * For %FANOUT_IOC_GROUP_OPEN and %FANOUT_IOC_GROUP_DESTROY.
 */
struct fanout_group_name {
	char name[FANOUT_NAME_MAX];
	__u32 flags;
	__u32 reserved;
};

/**
 * struct fanout_join - join the bound group as an agent of one member
 * @member: in: member index or %FANOUT_MEMBER_ANY; out: the index joined
 * @flags: zero
 * @reserved: zero
 */
struct fanout_join {
	__u32 member;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct fanout_buf - a user buffer
 * @addr: user address
 * @len: length in bytes
 * @reserved: zero
 */
struct fanout_buf {
	__u64 addr;
	__u32 len;
	__u32 reserved;
};

/* fanout_send.flags */
/* @uuid is given by the caller; otherwise the kernel generates one. */
#define FANOUT_SEND_UUID	(1U << 0)
/* @payload points to one struct fanout_buf per target, in target order. */
#define FANOUT_SEND_PER_TARGET	(1U << 1)
/*
 * Redelivery: a target whose agent dies or leaves before replying goes
 * back to the head of its queue instead of failing with -EPIPE, and
 * stays there, even while the member is down, until an agent of the
 * member takes it again (marked %FANOUT_RECV_REDELIVERED) or the deadline
 * fails it. Targets still queued when their member goes down stay too
 * (instead of failing with -ENOTCONN). Targets on members down at send
 * time still fail with -ENOTCONN.
 */
#define FANOUT_SEND_REDELIVER	(1U << 2)
#define FANOUT_SEND_FLAGS	(FANOUT_SEND_UUID | FANOUT_SEND_PER_TARGET | \
				 FANOUT_SEND_REDELIVER)

/**
 * struct fanout_send - start a request
 * @id: out: kernel-assigned request id, unique in the group
 * @uuid: conversation UUID: in with %FANOUT_SEND_UUID, else out
 * @payload: user address of the payload, or of an array of
 *	struct fanout_buf with %FANOUT_SEND_PER_TARGET
 * @payload_len: payload length in bytes, or the number of fanout_buf
 *	entries with %FANOUT_SEND_PER_TARGET (must equal the target count)
 * @flags: %FANOUT_SEND_*
 * @targets: user address of a bitmap of targets (__u64 words, bit m of
 *	word m / 64 is member m), or 0 for every member up at send time
 * @targets_bits: number of valid bits in @targets (<= max_members)
 * @deadline_ms: deadline of this request; 0 for the group default
 * @ntargets: out: number of targets
 * @reserved0: zero
 * @reserved: zero
 */
struct fanout_send {
	__u64 id;
	__u8 uuid[FANOUT_UUID_LEN];
	__u64 payload;
	__u32 payload_len;
	__u32 flags;
	__u64 targets;
	__u32 targets_bits;
	__u32 deadline_ms;
	__u32 ntargets;
	__u32 reserved0;
	__u64 reserved[2];
};

/* fanout_wait.mode */
enum fanout_wait_mode {
	FANOUT_WAIT_ALL = 0,		/* every target settled */
	FANOUT_WAIT_FAILFAST = 1,	/* first failure notice, or all settled */
	FANOUT_WAIT_QUORUM = 2,		/* @quorum replies, or all settled */
};

/* fanout_wait.flags */
/* @timeout_ns bounds the wait (the request itself is not cancelled). */
#define FANOUT_WAIT_TIMEOUT	(1U << 0)
#define FANOUT_WAIT_FLAGS	(FANOUT_WAIT_TIMEOUT)

/**
 * struct fanout_wait - park until a request's wake condition holds
 * @id: request id (set by the kernel in struct fanout_call)
 * @mode: enum fanout_wait_mode
 * @quorum: reply count for %FANOUT_WAIT_QUORUM, else zero
 * @flags: %FANOUT_WAIT_*
 * @timeout_ns: wait limit with %FANOUT_WAIT_TIMEOUT (0 polls)
 * @ntargets: out: target count
 * @nreplied: out: targets that replied
 * @nfailed: out: targets with a failure notice
 * @reserved: zero
 *
 * Returns 0 once the condition holds, -ETIME when the wait timed out,
 * -EINTR when a signal arrived: the request goes on, wait again.
 */
struct fanout_wait {
	__u64 id;
	__u32 mode;
	__u32 quorum;
	__u32 flags;
	__u32 ntargets;
	__u64 timeout_ns;
	__u32 nreplied;
	__u32 nfailed;
	__u64 reserved[2];
};

/* fanout_result.state */
enum fanout_target_state {
	FANOUT_TARGET_QUEUED = 0,	/* waiting in the member's queue */
	FANOUT_TARGET_TAKEN = 1,	/* received by an agent, no reply yet */
	FANOUT_TARGET_REPLIED = 2,	/* replied: @status is the agent's */
	FANOUT_TARGET_FAILED = 3,	/* failure notice: @status < 0 */
};

/**
 * struct fanout_result - outcome of one target
 * @member: out: member index
 * @status: out: agent status if replied (>= 0), failure reason (< 0)
 * @state: out: enum fanout_target_state
 * @reply_len: out: length of the reply payload
 * @reply_buf: in: where to copy the reply payload (0: do not copy)
 * @reply_buf_len: in: size of @reply_buf; a longer reply is truncated
 * @reserved: zero
 */
struct fanout_result {
	__u32 member;
	__s32 status;
	__u32 state;
	__u32 reply_len;
	__u64 reply_buf;
	__u32 reply_buf_len;
	__u32 reserved;
};

/* fanout_results.flags */
/* After reading, free the request; targets still open are cancelled. */
#define FANOUT_RESULTS_RELEASE	(1U << 0)
#define FANOUT_RESULTS_FLAGS	(FANOUT_RESULTS_RELEASE)

/**
 * struct fanout_results - read the results of a request
 * @id: request id (set by the kernel in struct fanout_call)
 * @results: user address of an array of struct fanout_result
 * @first: index of the first target to read
 * @count: in: entries in @results; out: entries written
 * @flags: %FANOUT_RESULTS_*
 * @ntargets: out: target count
 * @nreplied: out: targets that replied
 * @nfailed: out: targets with a failure notice
 * @reserved: zero
 */
struct fanout_results {
	__u64 id;
	__u64 results;
	__u32 first;
	__u32 count;
	__u32 flags;
	__u32 ntargets;
	__u32 nreplied;
	__u32 nfailed;
	__u64 reserved[2];
};

/**
 * struct fanout_call - send, wait and read the results in one call
 * @send: as for %FANOUT_IOC_SEND
 * @wait: as for %FANOUT_IOC_WAIT; @wait.id is set by the kernel
 * @results: as for %FANOUT_IOC_RESULTS, done once the wait succeeded
 *	(@results.count 0 reads none); @results.id is set by the kernel
 *
 * When the wait is interrupted or times out, the call returns its error
 * and @send.id names the request, still running: wait for it again.
 */
struct fanout_call {
	struct fanout_send send;
	struct fanout_wait wait;
	struct fanout_results results;
};

/**
 * struct fanout_id - names a request
 * @id: request id
 * @flags: zero
 * @reserved: zero
 */
struct fanout_id {
	__u64 id;
	__u32 flags;
	__u32 reserved;
};

/* fanout_recv.flags */
/* Do not block: -EAGAIN when nothing is queued. */
#define FANOUT_RECV_NONBLOCK	(1U << 0)
/*
 * Out only (ignored on input): the request was taken before by an agent
 * of this member that died or left without replying; it was sent with
 * %FANOUT_SEND_REDELIVER.
 */
#define FANOUT_RECV_REDELIVERED	(1U << 1)
#define FANOUT_RECV_FLAGS	(FANOUT_RECV_NONBLOCK)

/**
 * struct fanout_recv - take the next request queued for the member
 * @buf: user buffer for the payload
 * @buf_len: its size; a larger payload gives -EMSGSIZE, @len set and the
 *	request left queued
 * @flags: %FANOUT_RECV_*; an endpoint opened with O_NONBLOCK never blocks;
 *	out: %FANOUT_RECV_REDELIVERED set or cleared, other bits kept
 * @id: out: request id
 * @uuid: out: conversation UUID
 * @len: out: payload length
 * @member: out: member index the request is for
 * @reserved: zero
 */
struct fanout_recv {
	__u64 buf;
	__u32 buf_len;
	__u32 flags;
	__u64 id;
	__u8 uuid[FANOUT_UUID_LEN];
	__u32 len;
	__u32 member;
	__u64 reserved[2];
};

/**
 * struct fanout_reply - answer a received request
 * @id: request id, as received
 * @buf: user address of the reply payload
 * @len: reply payload length
 * @status: >= 0: a reply; < 0 (a negative errno): an explicit decline,
 *	reported to the coordinator as the failure reason
 * @flags: zero
 * @reserved: zero
 *
 * Errors: -EALREADY when this member's target already has a result
 * (a duplicate, or a reply after a cancel or deadline: counted, the
 * result unchanged); -ENOENT when the request is unknown (released, or
 * its coordinator is gone) or this endpoint did not take it; -ENOTCONN
 * when the endpoint is not joined.
 */
struct fanout_reply {
	__u64 id;
	__u64 buf;
	__u32 len;
	__s32 status;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved;
};

/**
 * struct fanout_reply_recv - reply, then receive, in one call
 * @reply: as for %FANOUT_IOC_REPLY; with @reply.id 0 there is no reply
 *	to send. Once the reply is accepted the kernel sets @reply.id to 0,
 *	so after an error the caller knows whether the reply went through.
 * @recv: as for %FANOUT_IOC_RECV, done after the reply was accepted
 *
 * A signal during the receive gives -EINTR (never a restart, which would
 * send the reply again).
 */
struct fanout_reply_recv {
	struct fanout_reply reply;
	struct fanout_recv recv;
};

/* Most slots of one hub, and most entries of one serve's arrays. */
#define FANOUT_HUB_SLOTS_MAX	4096

/**
 * struct fanout_hub_add - attach an agent endpoint to this endpoint's hub
 * @fd: in: a /dev/fanout file descriptor, joined as an agent
 * @flags: zero
 * @slot: out: the endpoint's slot in the hub (0, 1, ...), which replies
 *	and received requests name
 * @reserved0: zero
 * @reserved: zero
 *
 * The endpoint the ioctl is issued on becomes a hub: one thread (or one
 * io_uring command) serves every attached agent with
 * %FANOUT_IOC_HUB_SERVE. The hub holds @fd's file until the hub itself
 * is closed, so the agent stays joined when @fd is closed; it stops
 * serving its member with %FANOUT_IOC_LEAVE on @fd (its slot then
 * reports -ENOTCONN once). A slot lasts as long as the hub.
 *
 * Errors: -EBADF (@fd not open), -EINVAL (@fd is not /dev/fanout, or is
 * the hub itself; non-zero @flags or reserved fields), -EBUSY (@fd is a
 * hub or is attached to one already, or this endpoint is attached to a
 * hub), -ENOTCONN (@fd is not joined), -ENOSPC (%FANOUT_HUB_SLOTS_MAX
 * slots), -ENOMEM. An attached endpoint cannot join again (-EBUSY).
 */
struct fanout_hub_add {
	__s32 fd;
	__u32 flags;
	__u32 slot;
	__u32 reserved0;
	__u64 reserved;
};

/**
 * struct fanout_hub_reply - one reply of %FANOUT_IOC_HUB_SERVE
 * @id: request id, as received
 * @buf: user address of the reply payload
 * @len: reply payload length
 * @status: as fanout_reply.status
 * @slot: the slot that received the request
 * @result: out: what %FANOUT_IOC_REPLY would return for it (0, -EALREADY,
 *	-ENOENT, -ENOTCONN, -ENOBUFS, -EINVAL, -EMSGSIZE, -EFAULT), or
 *	-EBADSLT for a slot the hub does not have
 */
struct fanout_hub_reply {
	__u64 id;
	__u64 buf;
	__u32 len;
	__s32 status;
	__u32 slot;
	__s32 result;
};

/**
 * struct fanout_hub_msg - one request received by %FANOUT_IOC_HUB_SERVE
 * @id: out: request id (0 with @error)
 * @uuid: out: conversation UUID
 * @offset: out: where the payload starts in fanout_hub_serve.buf
 * @len: out: payload length
 * @slot: out: the slot that took it
 * @member: out: the member index it is for
 * @flags: out: %FANOUT_RECV_REDELIVERED or 0
 * @error: out: 0; or, with no request, why @slot no longer receives,
 *	reported once: -ENOTCONN (its endpoint left its member), -EIDRM
 *	(group destroyed); or -EMSGSIZE (see struct fanout_hub_serve)
 */
struct fanout_hub_msg {
	__u64 id;
	__u8 uuid[FANOUT_UUID_LEN];
	__u32 offset;
	__u32 len;
	__u32 slot;
	__u32 member;
	__u32 flags;
	__s32 error;
};

/* fanout_hub_serve.flags */
/* Do not block: -EAGAIN when nothing is queued for any slot. */
#define FANOUT_HUB_NONBLOCK	(1U << 0)
#define FANOUT_HUB_FLAGS	(FANOUT_HUB_NONBLOCK)

/**
 * struct fanout_hub_serve - reply to many requests, then receive many
 * @replies: user address of an array of struct fanout_hub_reply
 * @nreplies: entries at @replies, at most %FANOUT_HUB_SLOTS_MAX
 * @flags: %FANOUT_HUB_*; a hub opened with O_NONBLOCK never blocks
 * @msgs: user address of an array of struct fanout_hub_msg
 * @nmsgs: in: entries at @msgs, at most %FANOUT_HUB_SLOTS_MAX (0: only
 *	reply); out: entries written
 * @buf_len: size of @buf
 * @buf: user buffer for the payloads received, each at an offset that
 *	is a multiple of 8
 * @replied: out: entries of @replies done, each with its result
 * @reserved0: zero
 * @reserved: zero
 *
 * Every reply is done first, in order, each with its own result (an
 * entry's error does not stop the others). Then requests queued for the
 * attached agents are taken, as many as @msgs and @buf hold, the slot
 * woken longest ago first; when there is none yet the call blocks until
 * one arrives (a slot's error counts as one). A request's payload for
 * all its targets (not %FANOUT_SEND_PER_TARGET) is copied once per
 * serve: the messages of its targets give the same @offset, so the
 * payloads in @buf are to be read, not changed in place. Like any agent,
 * a slot
 * serves one conversation at a time: it gives every request of that
 * conversation queued, but one of another conversation only once those
 * it took are answered. A payload that does not fit what is left of
 * @buf stays queued for the next serve. One larger than the whole of
 * @buf, when nothing else was received, gives -EMSGSIZE with one message
 * (@nmsgs 1) naming its slot and, in @len, its length; it stays queued.
 *
 * Returns 0 (with @nmsgs entries), -EAGAIN (non-blocking, nothing
 * queued), -EINTR (a signal while blocking: never restarted, which
 * would reply again), -ENOTCONN (no slot attached), -EMSGSIZE, -EINVAL,
 * -EFAULT (@replied counts the replies done, their results written or
 * not). An error met after something was received ends the call with 0
 * and what was received; it shows again at the next serve.
 */
struct fanout_hub_serve {
	__u64 replies;
	__u32 nreplies;
	__u32 flags;
	__u64 msgs;
	__u32 nmsgs;
	__u32 buf_len;
	__u64 buf;
	__u32 replied;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct fanout_group_stats - counters of the bound group
 * @requests: requests sent
 * @replies: replies accepted (declines count as failures)
 * @failures: failure notices
 * @dup_replies: duplicate or late replies refused with -EALREADY
 * @stale_replies: replies refused with -ENOENT
 * @pending: requests not yet released
 * @members_up: members with at least one agent
 * @amqs_busy: agent message queues busy with a conversation
 * @backlog: targets waiting in members' backlogs for a free queue
 * @amqs_free: agent message queues free (max_members x max_queues
 *	minus @amqs_busy)
 * @confirms: confirmations accepted (%FANOUT_FEATURE_STATE)
 * @dup_confirms: duplicate confirmations refused with -EALREADY
 * @stale_confirms: confirmations of an older generation refused with
 *	-ESTALE
 * @redelivered: targets put back for redelivery after their agent died
 *	or left
 * @reserved: zero
 *
 * The structure grew with %FANOUT_FEATURE_STATE; the 64-byte first
 * version is still accepted.
 */
struct fanout_group_stats {
	__u64 requests;
	__u64 replies;
	__u64 failures;
	__u64 dup_replies;
	__u64 stale_replies;
	__u32 pending;
	__u32 members_up;
	__u32 amqs_busy;
	__u32 backlog;
	__u64 amqs_free;
	__u64 confirms;
	__u64 dup_confirms;
	__u64 stale_confirms;
	__u64 redelivered;
	__u64 reserved[4];
};

/* Largest expected-state blob, in bytes. */
#define FANOUT_STATE_BLOB_MAX	1024

/**
 * struct fanout_state - the expected state of the bound group
 * @generation: out: the generation; it starts at 0 (no state set, code
 *	0, no blob) and grows by one on every %FANOUT_IOC_STATE_SET
 * @code: state code: in for %FANOUT_IOC_STATE_SET, out for
 *	%FANOUT_IOC_STATE_GET
 * @flags: zero
 * @blob: user address of the blob (0 with @blob_len 0)
 * @blob_len: %FANOUT_IOC_STATE_SET: blob length, at most
 *	%FANOUT_STATE_BLOB_MAX (-EMSGSIZE beyond); %FANOUT_IOC_STATE_GET:
 *	in: size of the buffer at @blob, out: the blob's length (a buffer
 *	too small gives -EMSGSIZE and copies nothing)
 * @reserved0: zero
 * @reserved: zero
 *
 * %FANOUT_IOC_STATE_SET needs send permission on the group (-EACCES). It
 * clears every member's confirmation and broadcasts the new state at
 * once; %FANOUT_IOC_STATE_GET needs no more than being bound.
 */
struct fanout_state {
	__u64 generation;
	__u32 code;
	__u32 flags;
	__u64 blob;
	__u32 blob_len;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct fanout_confirm - an agent confirms its member reached a state
 * @generation: the generation reached
 * @flags: zero
 * @reserved: zero
 *
 * Errors: -ENOTCONN when the endpoint is not joined; -ESTALE when
 * @generation is older than the current one (nothing changes, counted in
 * @stale_confirms: catch up with the current state and confirm again);
 * -EINVAL when it is newer than the current one or 0 (no state);
 * -EALREADY when the
 * member already confirmed the current generation (nothing changes,
 * counted in @dup_confirms).
 */
struct fanout_confirm {
	__u64 generation;
	__u32 flags;
	__u32 reserved;
};

/* fanout_state_wait.flags */
/* @timeout_ns bounds the wait; 0 only reads the bitmaps (a poll). */
#define FANOUT_STATE_WAIT_TIMEOUT	(1U << 0)
#define FANOUT_STATE_WAIT_FLAGS		(FANOUT_STATE_WAIT_TIMEOUT)

/**
 * struct fanout_state_wait - park until every up member confirmed
 * @generation: in: the generation to wait for, 0 for the current one;
 *	out: the generation waited for
 * @flags: %FANOUT_STATE_WAIT_*
 * @bitmap_bits: size of each buffer at @up and @confirmed in bits; at
 *	least the group's max_members when either address is set
 *	(-EINVAL), at most %FANOUT_MEMBERS_MAX
 * @timeout_ns: wait limit with %FANOUT_STATE_WAIT_TIMEOUT
 * @up: user address of a bitmap (__u64 words, bit m of word m / 64 is
 *	member m) receiving the members up, or 0
 * @confirmed: likewise, receiving the members that confirmed @generation
 *	(down members included), or 0
 * @code: out: the state code of @generation
 * @nup: out: members up
 * @nconfirmed: out: members up that confirmed
 * @members: out: the group's max_members (valid bits in the bitmaps;
 *	the words up to @bitmap_bits are written, the bits beyond @members
 *	as zero)
 * @reserved: zero
 *
 * Returns 0 once every member that is up confirmed @generation (at once
 * when no member is up): a member that goes down stops holding the wait,
 * one that comes up unconfirmed holds it. -ETIME when the timeout passed
 * first, -EINTR on a signal, -ESTALE when @generation is older than the
 * current one or a newer state was set during the wait, -EINVAL when it
 * is newer than the current one. The outputs are written in every case.
 */
struct fanout_state_wait {
	__u64 generation;
	__u32 flags;
	__u32 bitmap_bits;
	__u64 timeout_ns;
	__u64 up;
	__u64 confirmed;
	__u32 code;
	__u32 nup;
	__u32 nconfirmed;
	__u32 members;
	__u64 reserved[2];
};

#define FANOUT_IOC_MAGIC	0xFA

#define FANOUT_IOC_VERSION	_IOR(FANOUT_IOC_MAGIC, 0x00, struct fanout_version)
#define FANOUT_IOC_GROUP_CREATE	_IOW(FANOUT_IOC_MAGIC, 0x01, struct fanout_group_params)
#define FANOUT_IOC_GROUP_OPEN	_IOW(FANOUT_IOC_MAGIC, 0x02, struct fanout_group_name)
#define FANOUT_IOC_GROUP_DESTROY _IOW(FANOUT_IOC_MAGIC, 0x03, struct fanout_group_name)
#define FANOUT_IOC_GROUP_INFO	_IOR(FANOUT_IOC_MAGIC, 0x04, struct fanout_group_params)
#define FANOUT_IOC_GROUP_STATS	_IOR(FANOUT_IOC_MAGIC, 0x05, struct fanout_group_stats)
#define FANOUT_IOC_JOIN		_IOWR(FANOUT_IOC_MAGIC, 0x10, struct fanout_join)
#define FANOUT_IOC_LEAVE	_IO(FANOUT_IOC_MAGIC, 0x11)
#define FANOUT_IOC_RECV		_IOWR(FANOUT_IOC_MAGIC, 0x12, struct fanout_recv)
#define FANOUT_IOC_REPLY	_IOW(FANOUT_IOC_MAGIC, 0x13, struct fanout_reply)
#define FANOUT_IOC_REPLY_RECV	_IOWR(FANOUT_IOC_MAGIC, 0x14, struct fanout_reply_recv)
#define FANOUT_IOC_HUB_ADD	_IOWR(FANOUT_IOC_MAGIC, 0x15, struct fanout_hub_add)
#define FANOUT_IOC_HUB_SERVE	_IOWR(FANOUT_IOC_MAGIC, 0x16, struct fanout_hub_serve)
#define FANOUT_IOC_SEND		_IOWR(FANOUT_IOC_MAGIC, 0x20, struct fanout_send)
#define FANOUT_IOC_WAIT		_IOWR(FANOUT_IOC_MAGIC, 0x21, struct fanout_wait)
#define FANOUT_IOC_CALL		_IOWR(FANOUT_IOC_MAGIC, 0x22, struct fanout_call)
#define FANOUT_IOC_RESULTS	_IOWR(FANOUT_IOC_MAGIC, 0x23, struct fanout_results)
#define FANOUT_IOC_CANCEL	_IOW(FANOUT_IOC_MAGIC, 0x24, struct fanout_id)
#define FANOUT_IOC_RELEASE	_IOW(FANOUT_IOC_MAGIC, 0x25, struct fanout_id)
/* Expected state (%FANOUT_FEATURE_STATE): 0x30..0x3f */
#define FANOUT_IOC_STATE_SET	_IOWR(FANOUT_IOC_MAGIC, 0x30, struct fanout_state)
#define FANOUT_IOC_CONFIRM	_IOW(FANOUT_IOC_MAGIC, 0x31, struct fanout_confirm)
#define FANOUT_IOC_STATE_WAIT	_IOWR(FANOUT_IOC_MAGIC, 0x32, struct fanout_state_wait)
#define FANOUT_IOC_STATE_GET	_IOWR(FANOUT_IOC_MAGIC, 0x33, struct fanout_state)

/**
 * struct fanout_uring_cmd - the command area of an IORING_OP_URING_CMD SQE
 * @arg: user address of the command's argument structure, the same as
 *	the ioctl's; sqe->cmd_op is the ioctl number (its size field the
 *	structure's size, as for ioctl)
 * @reserved: zero
 *
 * Fills the 16 bytes of sqe->cmd; on a ring set up with
 * IORING_SETUP_SQE128 the other 64 bytes of the area must be zero too
 * (-EINVAL), and IORING_URING_CMD_FIXED (a registered buffer) is
 * refused with -EINVAL. %FANOUT_IOC_CALL, %FANOUT_IOC_WAIT, %FANOUT_IOC_RECV,
 * %FANOUT_IOC_REPLY_RECV and %FANOUT_IOC_HUB_SERVE complete when the ioctl
 * would return;
 * %FANOUT_IOC_SEND, %FANOUT_IOC_REPLY, %FANOUT_IOC_RESULTS,
 * %FANOUT_IOC_CANCEL and %FANOUT_IOC_RELEASE at once. Any other cmd_op
 * gives -ENOTTY. The CQE's res is what the ioctl would return. The
 * argument structure, and every buffer it names that the kernel writes
 * (receive buffer, results array and reply buffers, a serve's replies,
 * messages and buffer), must stay valid
 * until the CQE; what the kernel only reads (payloads, target bitmap) is
 * copied when the kernel issues the command (later than the submission
 * with SQPOLL, IOSQE_ASYNC, links or drains). See Documentation/fanout.rst.
 */
struct fanout_uring_cmd {
	__u64 arg;
	__u64 reserved;
};

#endif /* _UAPI_LINUX_FANOUT_H */
