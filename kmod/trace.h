/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fanout trace events (system "fanout"): the life of a fan-out, from the
 * send through each target's queueing, receipt, reply and settling to
 * the coordinator's wake-up, plus deadlines and agents joining and
 * leaving members. Documentation/fanout.rst, "Tracing", lists them.
 *
 * Every event is emitted with the group lock held (fanout_wake inside
 * the request's wait-queue lock too, fanout_deadline in softirq): the
 * TP_fast_assign() blocks only copy what that lock protects and never
 * sleep. Nothing is computed for an event outside these macros, so a
 * disabled event costs a static branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM fanout

#if !defined(_FANOUT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FANOUT_TRACE_H

#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "fanout.h"

/* Where fanout_queue put a target. */
#define FANOUT_TRACE_BACKLOG	0	/* the member's backlog */
#define FANOUT_TRACE_READY	1	/* an AMQ no agent is bound to */
#define FANOUT_TRACE_BOUND	2	/* an AMQ bound to an agent */

/* Let user space tools (trace-cmd, perf) resolve the enum names. */
TRACE_DEFINE_ENUM(FANOUT_TARGET_QUEUED);
TRACE_DEFINE_ENUM(FANOUT_TARGET_TAKEN);
TRACE_DEFINE_ENUM(FANOUT_TARGET_REPLIED);
TRACE_DEFINE_ENUM(FANOUT_TARGET_FAILED);
TRACE_DEFINE_ENUM(FANOUT_WAIT_ALL);
TRACE_DEFINE_ENUM(FANOUT_WAIT_FAILFAST);
TRACE_DEFINE_ENUM(FANOUT_WAIT_QUORUM);

#define fanout_trace_state(state)					\
	__print_symbolic(state,						\
			 { FANOUT_TARGET_QUEUED, "queued" },		\
			 { FANOUT_TARGET_TAKEN, "taken" },		\
			 { FANOUT_TARGET_REPLIED, "replied" },		\
			 { FANOUT_TARGET_FAILED, "failed" })

#define fanout_trace_mode(mode)						\
	__print_symbolic(mode,						\
			 { FANOUT_WAIT_ALL, "all" },			\
			 { FANOUT_WAIT_FAILFAST, "failfast" },		\
			 { FANOUT_WAIT_QUORUM, "quorum" })

/* A request starts: it is in the table, its targets not yet queued. */
TRACE_EVENT(fanout_send,
	    TP_PROTO(const struct fanout_request *req, u32 deadline_ms),
	    TP_ARGS(req, deadline_ms),
	    TP_STRUCT__entry(__array(char, group, FANOUT_NAME_MAX)
			     __field(u64, id)
			     __array(u8, uuid, FANOUT_UUID_LEN)
			     __field(u32, ntargets)
			     __field(u32, deadline_ms)),
	    /* The name is NUL-terminated within FANOUT_NAME_MAX. */
	    TP_fast_assign(memcpy(__entry->group, req->group->name,
				  FANOUT_NAME_MAX);
			   __entry->id = req->id;
			   memcpy(__entry->uuid, req->uuid, FANOUT_UUID_LEN);
			   __entry->ntargets = req->ntargets;
			   __entry->deadline_ms = deadline_ms),
	    TP_printk("group=%s id=%llu uuid=%pUb ntargets=%u deadline_ms=%u",
		      __entry->group, __entry->id, __entry->uuid,
		      __entry->ntargets, __entry->deadline_ms)
);

/*
 * A target was queued for its member: in the AMQ of its conversation
 * (bound to an agent, whose pid is given, or waiting for one) or in the
 * member's backlog; a target admitted from the backlog later is traced
 * again.
 */
TRACE_EVENT(fanout_queue,
	    TP_PROTO(const struct fanout_target *t),
	    TP_ARGS(t),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, member)
			     __field(u8, where)
			     __field(pid_t, agent)),
	    TP_fast_assign(__entry->id = t->req->id;
			   __entry->member = t->member;
			   __entry->where = !t->amq ? FANOUT_TRACE_BACKLOG :
					    t->amq->agent ? FANOUT_TRACE_BOUND :
					    FANOUT_TRACE_READY;
			   __entry->agent = t->amq && t->amq->agent ?
					    t->amq->agent_pid : 0),
	    TP_printk("id=%llu member=%u to=%s agent=%d",
		      __entry->id, __entry->member,
		      __print_symbolic(__entry->where,
				       { FANOUT_TRACE_BACKLOG, "backlog" },
				       { FANOUT_TRACE_READY, "ready" },
				       { FANOUT_TRACE_BOUND, "bound" }),
		      __entry->agent)
);

/* An agent took a target: the receiving task's process is the agent. */
TRACE_EVENT(fanout_recv,
	    TP_PROTO(const struct fanout_target *t),
	    TP_ARGS(t),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, member)
			     __field(pid_t, pid)),
	    TP_fast_assign(__entry->id = t->req->id;
			   __entry->member = t->member;
			   __entry->pid = task_tgid_nr(current)),
	    TP_printk("id=%llu member=%u pid=%d",
		      __entry->id, __entry->member, __entry->pid)
);

/*
 * An agent replied (@status >= 0) or declined (@status < 0) request @id
 * as member @member; @ret is what the agent is told: 0 when the reply
 * settles its target, -ENOBUFS when the coordinator's user has no room
 * for it (the target fails), -EALREADY for a duplicate, -ENOENT for a
 * reply to nothing the agent holds.
 */
TRACE_EVENT(fanout_reply,
	    TP_PROTO(u64 id, s32 member, s32 status, int ret),
	    TP_ARGS(id, member, status, ret),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(s32, member)
			     __field(s32, status)
			     __field(int, ret)),
	    TP_fast_assign(__entry->id = id;
			   __entry->member = member;
			   __entry->status = status;
			   __entry->ret = ret),
	    TP_printk("id=%llu member=%d status=%d ret=%d",
		      __entry->id, __entry->member, __entry->status,
		      __entry->ret)
);

/*
 * A target gets its result: the agent's status, or the failure reason.
 * @open counts the request's targets still open after this one, so the
 * event with open=0 completes the fan-out.
 */
TRACE_EVENT(fanout_settle,
	    TP_PROTO(const struct fanout_target *t, s32 status, u8 state),
	    TP_ARGS(t, status, state),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, member)
			     __field(u8, from)
			     __field(u8, state)
			     __field(s32, status)
			     __field(u32, open)),
	    TP_fast_assign(__entry->id = t->req->id;
			   __entry->member = t->member;
			   __entry->from = t->state;
			   __entry->state = state;
			   __entry->status = status;
			   __entry->open = t->req->ntargets -
					   t->req->nreplied -
					   t->req->nfailed - 1),
	    TP_printk("id=%llu member=%u from=%s state=%s status=%d open=%u",
		      __entry->id, __entry->member,
		      fanout_trace_state(__entry->from),
		      fanout_trace_state(__entry->state),
		      __entry->status, __entry->open)
);

/* A coordinator waiting in @mode is woken: its condition holds. */
TRACE_EVENT(fanout_wake,
	    TP_PROTO(const struct fanout_request *req, u32 mode, u32 quorum),
	    TP_ARGS(req, mode, quorum),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, ntargets)
			     __field(u32, nreplied)
			     __field(u32, nfailed)
			     __field(u32, mode)
			     __field(u32, quorum)),
	    TP_fast_assign(__entry->id = req->id;
			   __entry->ntargets = req->ntargets;
			   __entry->nreplied = READ_ONCE(req->nreplied);
			   __entry->nfailed = READ_ONCE(req->nfailed);
			   __entry->mode = mode;
			   __entry->quorum = quorum),
	    TP_printk("id=%llu ntargets=%u nreplied=%u nfailed=%u mode=%s quorum=%u",
		      __entry->id, __entry->ntargets, __entry->nreplied,
		      __entry->nfailed, fanout_trace_mode(__entry->mode),
		      __entry->quorum)
);

/* A request's deadline fired; its @open targets fail with -ETIMEDOUT. */
TRACE_EVENT(fanout_deadline,
	    TP_PROTO(const struct fanout_request *req),
	    TP_ARGS(req),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, open)),
	    TP_fast_assign(__entry->id = req->id;
			   __entry->open = req->ntargets - req->nreplied -
					   req->nfailed),
	    TP_printk("id=%llu open=%u", __entry->id, __entry->open)
);

/*
 * An agent endpoint joined or left member @member of a group; @nagents
 * is the member's agent count after it: the member is up while it is
 * not zero (a join with nagents=1 brings it up, a leave with nagents=0
 * takes it down). @pid is the joining or leaving task's process.
 */
DECLARE_EVENT_CLASS(fanout_member,
		    TP_PROTO(const struct fanout_group *g, u32 member),
		    TP_ARGS(g, member),
		    TP_STRUCT__entry(__array(char, group, FANOUT_NAME_MAX)
				     __field(u32, member)
				     __field(u32, nagents)
				     __field(pid_t, pid)),
		    TP_fast_assign(memcpy(__entry->group, g->name,
					  FANOUT_NAME_MAX);
				   __entry->member = member;
				   __entry->nagents = g->members[member].nagents;
				   __entry->pid = task_tgid_nr(current)),
		    TP_printk("group=%s member=%u nagents=%u pid=%d",
			      __entry->group, __entry->member,
			      __entry->nagents, __entry->pid)
);

DEFINE_EVENT(fanout_member, fanout_member_join,
	     TP_PROTO(const struct fanout_group *g, u32 member),
	     TP_ARGS(g, member)
);

DEFINE_EVENT(fanout_member, fanout_member_leave,
	     TP_PROTO(const struct fanout_group *g, u32 member),
	     TP_ARGS(g, member)
);

#endif /* _FANOUT_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
