// SPDX-License-Identifier: GPL-2.0
/*
 * fanout over io_uring: IORING_OP_URING_CMD on /dev/fanout.
 *
 * sqe->cmd_op is an ioctl number and the command area (struct
 * fanout_uring_cmd) points to the same argument structure as the ioctl;
 * decoding and answering are the ioctl's (main.c). A call, a wait, a
 * receive and a reply-and-receive that cannot finish at once are armed:
 * a wait-queue entry with its own wake function (fanout_ucmd_wake) goes
 * on the request's wait queue (call, wait) or where a blocking receive
 * would sleep (fanout_recv_wq()). The wake function unlinks the entry and
 * hands the command to its task with io_uring_cmd_complete_in_task();
 * there, in the submitter's context, the command's second half runs
 * (results, or taking and copying a request), or the receive is armed
 * again when another agent took what it was woken for. A hub's serve
 * (hub.c) arms on the hub's wait queue, woken when one of its slots is. The CQE's res is
 * what the ioctl would have returned; the structure is copied back then.
 *
 * Ownership: whoever unlinks an armed entry from its wait queue, under
 * that queue's lock, owns the command: the wake function, or a cancel.
 * A command being run by its task work is on no wait queue; a cancel
 * then only marks it, and the task work completes it.
 *
 * Teardown: each pending command holds its file, so an endpoint is never
 * released with commands pending. A group destroyed, a member left or a
 * request settled wakes the commands like blocking callers, with the same
 * results. An exiting submitter or a closed ring completes them with
 * -ECANCELED: through io_uring's cancel hook (IORING_URING_CMD_CANCELABLE,
 * since 6.7), or, without it (6.1), through a monitor that looks at the
 * pending commands every %FANOUT_URING_MONITOR_MS. A cancelled call's
 * request is released (its caller cannot learn its id), nothing is copied
 * back, and a task work that runs without its task's memory (exiting
 * task, fallback worker) copies nothing either.
 */
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/io_uring.h>
/* The command API has its own header since 6.7 (a Kbuild probe). */
#ifdef FANOUT_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#endif
#include <linux/io_uring_types.h>
#include <linux/percpu-refcount.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "fanout.h"

#ifdef IORING_URING_CMD_CANCELABLE
#define FANOUT_URING_CANCEL_HOOK	1
#else
#define FANOUT_URING_CANCEL_HOOK	0
#endif

/* Without a cancel hook: how often pending commands are looked at. */
#define FANOUT_URING_MONITOR_MS		100

/* The SQE's command area. */
static const void *fanout_uring_sqe_cmd(const struct io_uring_cmd *cmd)
{
#ifdef FANOUT_HAVE_IO_URING_CMD_H
	return io_uring_sqe_cmd(cmd->sqe);
#else
	return cmd->cmd;
#endif
}

/* Bytes of the command area on a ring with IORING_SETUP_SQE128. */
#define FANOUT_URING_SQE128_CMD		80

struct fanout_ucmd;

/**
 * struct fanout_uring_op - a command the ring runs
 * @cmd: its ioctl number
 * @start: begins it on the decoded argument: 0 or an error when it is
 *	over, -EIOCBQUEUED once armed; NULL: the ioctl's handler, which
 *	never blocks
 * @finish: task context, after a wake-up: 0 or an error when it is
 *	over, -EIOCBQUEUED when armed again
 */
struct fanout_uring_op {
	unsigned int cmd;
	int (*start)(struct fanout_ucmd *u);
	int (*finish)(struct fanout_ucmd *u);
};

/**
 * struct fanout_ucmd - one pending io_uring command
 * @ref: one for the command until its CQE, plus one held by the task
 *	arming it (once armed, another CPU may complete it at once, and
 *	this last reference may outlive the endpoint)
 * @wqe: on @wq while armed; linked and unlinked under @wq's lock, and
 *	whoever unlinks it owns the command
 * @wq: where @wqe was last armed (@ep->uring.lock)
 * @node: in @ep->uring.cmds (@ep->uring.lock)
 * @cancel: complete with @res instead of going on (@ep->uring.lock)
 * @res: the cancel's result
 * @timer: a call's or wait's %FANOUT_WAIT_TIMEOUT, while armed
 * @issuing: in ->uring_cmd, with @issue_flags
 * @issue_flags: io_uring's flags of the issue
 * @cmd: the io_uring command; valid while on @node
 * @ep: the endpoint (its file is held by the command)
 * @user: @ep's user, charged for the command
 * @op: what it runs
 * @desc: the ioctl it shares decoding and answering with
 * @uarg: user address of the argument structure
 * @req: call, wait: the request, with a reference; else NULL
 * @wait: call, wait: the wait's parameters (in @karg)
 * @recv: receive: the receive (in @karg)
 * @member: receive: the member index when armed
 * @amq: receive: the AMQ when armed (NULL: an unbound, exclusive waiter)
 * @karg: the kernel copy of the argument
 */
struct fanout_ucmd {
	struct kref ref;
	struct wait_queue_entry wqe;
	wait_queue_head_t *wq;
	struct list_head node;
	bool cancel;
	int res;
	struct hrtimer timer;
	bool issuing;
	unsigned int issue_flags;
	struct io_uring_cmd *cmd;
	struct fanout_endpoint *ep;
	struct fanout_user *user;
	const struct fanout_uring_op *op;
	const struct fanout_ioctl_desc *desc;
	void __user *uarg;
	struct fanout_request *req;
	struct fanout_wait *wait;
	struct fanout_recv *recv;
	s32 member;
	struct fanout_amq *amq;
	union fanout_ioctl_arg karg;
};

static void fanout_ucmd_tw(struct io_uring_cmd *cmd, unsigned int issue_flags);

static struct fanout_ucmd *fanout_ucmd_of(struct io_uring_cmd *cmd)
{
	return *(struct fanout_ucmd **)cmd->pdu;
}

/*
 * The last reference goes while the command or the task arming it holds
 * the endpoint's file: the endpoint keeps the memory for its next
 * command, unless it keeps one already.
 */
static void fanout_ucmd_free(struct kref *ref)
{
	struct fanout_ucmd *u = container_of(ref, struct fanout_ucmd, ref);
	struct fanout_ep_uring *eu = &u->ep->uring;

	if (u->req)
		fanout_request_put(u->req);
	fanout_user_uncharge_request(u->user, sizeof(*u));
	fanout_user_put(u->user);
	if (cmpxchg(&eu->spare, NULL, u))
		fanout_free(u);
}

static void fanout_ucmd_put(struct fanout_ucmd *u)
{
	kref_put(&u->ref, fanout_ucmd_free);
}

/*
 * Take @u off its wait queue and hand it to its task. With @res non-zero
 * it is cancelled: it completes with @res even when its task work is
 * already under way. @ep->uring.lock held.
 * Return: true when this call took it off.
 */
static bool fanout_ucmd_fire_locked(struct fanout_ucmd *u, int res)
{
	unsigned long flags;
	bool armed;

	lockdep_assert_held(&u->ep->uring.lock);
	if (res) {
		u->cancel = true;
		u->res = res;
	}
	if (!u->wq)
		return false;
	spin_lock_irqsave(&u->wq->lock, flags);
	armed = !list_empty(&u->wqe.entry);
	if (armed)
		list_del_init(&u->wqe.entry);
	spin_unlock_irqrestore(&u->wq->lock, flags);
	if (armed)
		io_uring_cmd_complete_in_task(u->cmd, fanout_ucmd_tw);
	return armed;
}

static void fanout_ucmd_fire(struct fanout_ucmd *u, int res)
{
	spin_lock_bh(&u->ep->uring.lock);
	fanout_ucmd_fire_locked(u, res);
	spin_unlock_bh(&u->ep->uring.lock);
}

/*
 * Wait-queue wake function, under the queue's lock, in any context: a
 * call or wait goes on once its own wake condition holds, a receive at
 * every wake-up (consuming an exclusive one).
 */
static int fanout_ucmd_wake(struct wait_queue_entry *wqe, unsigned int mode,
			    int sync, void *key)
{
	struct fanout_ucmd *u = container_of(wqe, struct fanout_ucmd, wqe);

	if (u->req && !fanout_request_wake_cond(u->req, u->wait->mode,
						u->wait->quorum))
		return 0;
	list_del_init(&wqe->entry);
	io_uring_cmd_complete_in_task(u->cmd, fanout_ucmd_tw);
	return 1;
}

/*
 * Arm @u on @wq (exclusively: an unbound receive); @ready is checked
 * after, so no wake-up is lost. Once armed, another CPU may complete @u
 * and release its file at once: a reference on each lets this function
 * go on with it.
 * Return: -EIOCBQUEUED, or the result of a cancel that came first.
 */
static int fanout_ucmd_arm(struct fanout_ucmd *u, wait_queue_head_t *wq,
			   bool exclusive, bool (*ready)(struct fanout_ucmd *u))
{
	struct fanout_ep_uring *eu = &u->ep->uring;
	struct file *file;
	int ret;

#if FANOUT_URING_CANCEL_HOOK
	/* Once, before anyone else can complete it; may take uring_lock. */
	if (u->issuing) {
		io_uring_cmd_mark_cancelable(u->cmd, u->issue_flags);
		u->issuing = false;
	}
#endif
	spin_lock_bh(&eu->lock);
	if (u->cancel) {
		ret = u->res;
		spin_unlock_bh(&eu->lock);
		return ret;
	}
	file = get_file(u->ep->file);
	kref_get(&u->ref);
	/* Its callback waits for this lock: it finds the entry armed. */
	if (u->wait && (u->wait->flags & FANOUT_WAIT_TIMEOUT))
		hrtimer_start(&u->timer, fanout_wait_expires(u->wait->timeout_ns),
			      HRTIMER_MODE_ABS_SOFT);
	u->wq = wq;
	if (exclusive)
		add_wait_queue_exclusive(wq, &u->wqe);
	else
		add_wait_queue(wq, &u->wqe);
	spin_unlock_bh(&eu->lock);
	/* The entry is visible before the condition is read again. */
	smp_mb();
	if (ready(u))
		fanout_ucmd_fire(u, 0);
	fanout_ucmd_put(u);
	fput(file);
	return -EIOCBQUEUED;
}

/* ---- call and wait ---------------------------------------------------- */

static bool fanout_ucmd_wait_ready(struct fanout_ucmd *u)
{
	return fanout_request_wake_cond(u->req, u->wait->mode, u->wait->quorum);
}

/* Softirq: the wait's timeout passed; the task work answers -ETIME. */
static enum hrtimer_restart fanout_ucmd_timer(struct hrtimer *timer)
{
	struct fanout_ucmd *u = container_of(timer, struct fanout_ucmd, timer);

	fanout_ucmd_fire(u, 0);
	return HRTIMER_NORESTART;
}

/* The wait is over: its counts, and -ETIME unless its condition holds. */
static int fanout_ucmd_wait_result(struct fanout_ucmd *u)
{
	fanout_wait_done(u->req, u->wait);
	return fanout_ucmd_wait_ready(u) ? 0 : -ETIME;
}

/* Finish the wait now if its condition holds, else arm it. */
static int fanout_ucmd_wait_go(struct fanout_ucmd *u)
{
	/* A timeout of 0 polls. */
	if (fanout_ucmd_wait_ready(u) ||
	    ((u->wait->flags & FANOUT_WAIT_TIMEOUT) && !u->wait->timeout_ns))
		return u->op->finish(u);
	return fanout_ucmd_arm(u, &u->req->wq, false, fanout_ucmd_wait_ready);
}

static int fanout_ucmd_wait_start(struct fanout_ucmd *u)
{
	int ret;

	u->wait = &u->karg.wait;
	ret = fanout_wait_start(u->ep, u->wait, &u->req);
	return ret ? ret : fanout_ucmd_wait_go(u);
}

static int fanout_ucmd_call_start(struct fanout_ucmd *u)
{
	int ret;

	u->wait = &u->karg.call.wait;
	ret = fanout_call_start(u->ep, &u->karg.call, &u->req);
	return ret ? ret : fanout_ucmd_wait_go(u);
}

static int fanout_ucmd_call_finish(struct fanout_ucmd *u)
{
	return fanout_call_finish(u->req, &u->karg.call,
				  fanout_ucmd_wait_result(u));
}

/* ---- receive and reply-and-receive ------------------------------------ */

static bool fanout_ucmd_recv_ready(struct fanout_ucmd *u)
{
	return fanout_recv_ready(fanout_ep_group(u->ep), u->ep, u->member,
				 u->amq);
}

/* Take a request now, or arm where a blocking receive would sleep. */
static int fanout_ucmd_recv_go(struct fanout_ucmd *u)
{
	struct fanout_group *g = fanout_ep_group(u->ep);
	wait_queue_head_t *wq;
	int ret;

	ret = fanout_recv_try(u->ep, u->recv);
	if (ret != -EAGAIN || fanout_recv_nonblock(u->ep, u->recv))
		return ret;
	wq = fanout_recv_wq(g, u->ep, &u->member, &u->amq);
	if (!wq)
		return -ENOTCONN;
	return fanout_ucmd_arm(u, wq, !u->amq, fanout_ucmd_recv_ready);
}

static int fanout_ucmd_recv_start(struct fanout_ucmd *u)
{
	int ret;

	u->recv = &u->karg.recv;
	ret = fanout_recv_check(u->recv);
	return ret ? ret : fanout_ucmd_recv_go(u);
}

static int fanout_ucmd_reply_recv_start(struct fanout_ucmd *u)
{
	int ret;

	u->recv = &u->karg.reply_recv.recv;
	ret = fanout_reply_recv_reply(u->ep, &u->karg.reply_recv);
	return ret ? ret : fanout_ucmd_recv_go(u);
}

static int fanout_ucmd_recv_finish(struct fanout_ucmd *u)
{
	fanout_recv_pass_on(fanout_ep_group(u->ep), u->ep, u->member, u->amq,
			    false);
	return fanout_ucmd_recv_go(u);
}

/* ---- hub serve ------------------------------------------------------- */

/*
 * Whether @u's ring closes or (without a cancel hook) its submitter
 * exits, before the cancel hook or the monitor's next pass cancels it: a
 * command woken meanwhile must not take anything, as its CQE can no
 * longer be read. Each command holds its io_kiocb's task and ring.
 */
static bool fanout_ucmd_orphaned(struct fanout_ucmd *u)
{
	struct io_kiocb *req = cmd_to_io_kiocb(u->cmd);
#if FANOUT_URING_CANCEL_HOOK
	/* The hook runs later, from the closed ring's exit work. */
	return percpu_ref_is_dying(&req->ctx->refs);
#else
	struct io_uring_task *tctx = req->task->io_uring;

	/*
	 * in_idle: the task cancels its requests and waits for them (exec,
	 * exit, an SQPOLL thread's owner killed) with its ring still open.
	 */
	return (READ_ONCE(req->task->flags) & PF_EXITING) ||
	       (tctx && atomic_read(&tctx->in_idle)) ||
	       percpu_ref_is_dying(&req->ctx->refs);
#endif
}

static bool fanout_ucmd_hub_ready(struct fanout_ucmd *u)
{
	return fanout_hub_serve_ready(u->ep);
}

/* Receive what the hub's slots hold now, or arm on the hub. */
static int fanout_ucmd_hub_go(struct fanout_ucmd *u)
{
	struct fanout_hub_serve *sv = &u->karg.hub_serve;
	int ret;

	/* A serve takes nothing it could not give back, once orphaned. */
	if (fanout_ucmd_orphaned(u))
		return fanout_hub_serve_end(sv, -ECANCELED);
	ret = fanout_hub_serve_try(u->ep, sv);
	if (ret != -EAGAIN || fanout_hub_serve_nonblock(u->ep, sv))
		return fanout_hub_serve_end(sv, ret);
	ret = fanout_ucmd_arm(u, fanout_hub_serve_wq(u->ep), false,
			      fanout_ucmd_hub_ready);
	return ret == -EIOCBQUEUED ? ret : fanout_hub_serve_end(sv, ret);
}

static int fanout_ucmd_hub_start(struct fanout_ucmd *u)
{
	struct fanout_hub_serve *sv = &u->karg.hub_serve;
	int ret;

	ret = fanout_hub_serve_start(u->ep, sv);
	return ret ? fanout_hub_serve_end(sv, ret) : fanout_ucmd_hub_go(u);
}

static const struct fanout_uring_op fanout_uring_ops[] = {
	{ .cmd = FANOUT_IOC_CALL, .start = fanout_ucmd_call_start,
	  .finish = fanout_ucmd_call_finish },
	{ .cmd = FANOUT_IOC_WAIT, .start = fanout_ucmd_wait_start,
	  .finish = fanout_ucmd_wait_result },
	{ .cmd = FANOUT_IOC_RECV, .start = fanout_ucmd_recv_start,
	  .finish = fanout_ucmd_recv_finish },
	{ .cmd = FANOUT_IOC_REPLY_RECV, .start = fanout_ucmd_reply_recv_start,
	  .finish = fanout_ucmd_recv_finish },
	{ .cmd = FANOUT_IOC_HUB_SERVE, .start = fanout_ucmd_hub_start,
	  .finish = fanout_ucmd_hub_go },
	{ .cmd = FANOUT_IOC_SEND },
	{ .cmd = FANOUT_IOC_REPLY },
	{ .cmd = FANOUT_IOC_RESULTS },
	{ .cmd = FANOUT_IOC_CANCEL },
	{ .cmd = FANOUT_IOC_RELEASE },
};

static const struct fanout_uring_op *
fanout_uring_op_find(const struct fanout_ioctl_desc *desc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fanout_uring_ops); i++)
		if (fanout_uring_ops[i].cmd == desc->cmd)
			return &fanout_uring_ops[i];
	return NULL;
}

/* ---- completion ------------------------------------------------------- */

/* Whether the task work runs without its submitter's memory. */
static bool fanout_uring_task_dead(void)
{
	return current->flags & (PF_EXITING | PF_KTHREAD);
}

/* Post @u's CQE with @ret and drop it. */
static void fanout_ucmd_done(struct fanout_ucmd *u, int ret,
			     unsigned int issue_flags)
{
	struct io_uring_cmd *cmd = u->cmd;
	struct file *file;

	hrtimer_cancel(&u->timer);
	spin_lock_bh(&u->ep->uring.lock);
	list_del_init(&u->node);
	spin_unlock_bh(&u->ep->uring.lock);
	/*
	 * The CQE first: io_uring_cmd_done() takes @cmd off the ring's
	 * cancelable list, after which no cancel can find @u any more. It
	 * also drops the command's file, whose endpoint the last put of @u
	 * still reads (its spare): held here until then.
	 */
	file = get_file(u->ep->file);
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
	fanout_ucmd_put(u);
	fput(file);
}

/*
 * A cancelled command: a receive passes on the wake-up it may hold, a
 * call's request is released, nothing is copied back.
 */
static void fanout_ucmd_cancelled(struct fanout_ucmd *u, int ret)
{
	if (u->recv && u->wq)
		fanout_recv_pass_on(fanout_ep_group(u->ep), u->ep, u->member,
				    u->amq, true);
	if (u->desc->undo)
		u->desc->undo(u->ep, &u->karg, ret);
}

/*
 * Whether @u was cancelled (@ret: the cancel's result), by io_uring, by
 * the monitor's rule ahead of its pass, or because its task has no
 * memory to copy to.
 */
static bool fanout_ucmd_cancelled_at(struct fanout_ucmd *u, int *ret)
{
	bool cancel;

	spin_lock_bh(&u->ep->uring.lock);
	cancel = u->cancel;
	if (cancel)
		*ret = u->res;
	spin_unlock_bh(&u->ep->uring.lock);
	if (!cancel && (fanout_uring_task_dead() ||
			fanout_ucmd_orphaned(u))) {
		*ret = -ECANCELED;
		cancel = true;
	}
	return cancel;
}

/* Task work: the second half of a woken or cancelled command. */
static void fanout_ucmd_tw(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct fanout_ucmd *u = fanout_ucmd_of(cmd);
	int ret = 0;

	if (fanout_ucmd_cancelled_at(u, &ret)) {
		fanout_ucmd_cancelled(u, ret);
	} else {
		ret = u->op->finish(u);
		if (ret == -EIOCBQUEUED)
			return;
		ret = fanout_ioctl_answer(u->ep, u->desc, u->cmd->cmd_op, u->uarg,
					  &u->karg, ret);
	}
	fanout_ucmd_done(u, ret, issue_flags);
}

/* ---- exiting submitters and closed rings ------------------------------ */

#if FANOUT_URING_CANCEL_HOOK
/* io_uring cancels @cmd: its task exits or its ring closes. */
static void fanout_uring_cancel(struct io_uring_cmd *cmd)
{
	fanout_ucmd_fire(fanout_ucmd_of(cmd), -ECANCELED);
}

static void fanout_uring_monitor_start(struct fanout_ep_uring *eu)
{
}
#else
/*
 * No cancel hook: a command whose submitter exits or whose ring closes
 * must be found (fanout_ucmd_orphaned()).
 */
static void fanout_uring_monitor(struct work_struct *work)
{
	struct fanout_ep_uring *eu = container_of(to_delayed_work(work),
						  struct fanout_ep_uring,
						  monitor);
	struct fanout_ucmd *u;
	bool more;

	spin_lock_bh(&eu->lock);
	list_for_each_entry(u, &eu->cmds, node)
		if (!u->cancel && fanout_ucmd_orphaned(u))
			fanout_ucmd_fire_locked(u, -ECANCELED);
	more = !list_empty(&eu->cmds);
	spin_unlock_bh(&eu->lock);
	if (more)
		schedule_delayed_work(&eu->monitor,
				      msecs_to_jiffies(FANOUT_URING_MONITOR_MS));
}

/*
 * A command was added to an empty list: look at it in time. A monitor
 * already queued sees it; one running now has either seen it (and
 * queues itself again) or is no longer pending.
 */
static void fanout_uring_monitor_start(struct fanout_ep_uring *eu)
{
	if (!delayed_work_pending(&eu->monitor))
		schedule_delayed_work(&eu->monitor,
				      msecs_to_jiffies(FANOUT_URING_MONITOR_MS));
}
#endif

/* ---- issue ------------------------------------------------------------ */

/*
 * The command area: the argument's address; zero elsewhere, the 64 more
 * bytes of an SQE128 ring included. No fixed buffers.
 */
static int fanout_uring_arg(struct io_uring_cmd *cmd, unsigned int issue_flags,
			    void __user **uarg)
{
	const u8 *area = fanout_uring_sqe_cmd(cmd);
	struct fanout_uring_cmd c;

	memcpy(&c, area, sizeof(c));
	if (c.reserved || (cmd->flags & IORING_URING_CMD_FIXED))
		return -EINVAL;
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv(area + sizeof(c), 0,
		       FANOUT_URING_SQE128_CMD - sizeof(c)))
		return -EINVAL;
	*uarg = u64_to_user_ptr(c.arg);
	return 0;
}

/* A command charged to its endpoint's user like a request. */
static struct fanout_ucmd *fanout_ucmd_alloc(struct io_uring_cmd *cmd,
					     const struct fanout_ioctl_desc *d,
					     const struct fanout_uring_op *op)
{
	struct fanout_endpoint *ep = cmd->file->private_data;
	struct fanout_ep_uring *eu = &ep->uring;
	struct fanout_ucmd *u;
	bool first;
	int ret;

	ret = fanout_user_charge_request(ep->user, sizeof(*u));
	if (ret)
		return ERR_PTR(ret);
	u = xchg(&eu->spare, NULL);
	if (u)
		memset(u, 0, sizeof(*u));
	else
		u = fanout_zalloc(sizeof(*u));
	if (!u) {
		fanout_user_uncharge_request(ep->user, sizeof(*u));
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&u->ref);
	init_waitqueue_func_entry(&u->wqe, fanout_ucmd_wake);
	hrtimer_init(&u->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	u->timer.function = fanout_ucmd_timer;
	u->cmd = cmd;
	u->ep = ep;
	/* The last put may come after the endpoint is gone. */
	u->user = fanout_user_hold(ep->user);
	u->op = op;
	u->desc = d;
	*(struct fanout_ucmd **)cmd->pdu = u;
	spin_lock_bh(&eu->lock);
	first = list_empty(&eu->cmds);
	list_add_tail(&u->node, &eu->cmds);
	spin_unlock_bh(&eu->lock);
	if (first)
		fanout_uring_monitor_start(eu);
	return u;
}

/*
 * -EIOCBQUEUED once the command has its structure (completed here or
 * armed); -errno when refused before.
 */
static int fanout_uring_issue(struct io_uring_cmd *cmd,
			      unsigned int issue_flags)
{
	struct fanout_endpoint *ep = cmd->file->private_data;
	const struct fanout_ioctl_desc *desc;
	const struct fanout_uring_op *op;
	struct fanout_ucmd *u;
	void __user *uarg;
	int ret;

	ret = fanout_uring_arg(cmd, issue_flags, &uarg);
	if (ret)
		return ret;
	desc = fanout_ioctl_lookup(cmd->cmd_op);
	op = desc ? fanout_uring_op_find(desc) : NULL;
	if (!op)
		return -ENOTTY;
	/* Over at once: the ioctl itself, no command to keep. */
	if (!op->start)
		return fanout_ioctl_run(ep, cmd->cmd_op, uarg);
	u = fanout_ucmd_alloc(cmd, desc, op);
	if (IS_ERR(u))
		return PTR_ERR(u);
	u->uarg = uarg;
	u->issuing = true;
	u->issue_flags = issue_flags;
	ret = fanout_ioctl_decode(ep, desc, cmd->cmd_op, uarg, &u->karg);
	if (ret)
		goto out;
	ret = fanout_ioctl_bound(ep, desc);
	if (!ret)
		ret = op->start(u);
	if (ret == -EIOCBQUEUED)
		return ret;	/* @u belongs to its wait queue */
	if (fanout_ucmd_cancelled_at(u, &ret))
		fanout_ucmd_cancelled(u, ret);
	else
		ret = fanout_ioctl_answer(ep, desc, cmd->cmd_op, uarg, &u->karg,
					  ret);
out:
	fanout_ucmd_done(u, ret, issue_flags);
	return -EIOCBQUEUED;
}

/**
 * fanout_uring_cmd() - file_operations.uring_cmd of /dev/fanout
 * @cmd: the command
 * @issue_flags: io_uring's IO_URING_F_* flags
 *
 * Every command completes through io_uring_cmd_done(), at once or later,
 * so this returns -EIOCBQUEUED (or 0 for a cancel): never -EAGAIN, which
 * would have io_uring issue it again from a worker (a reply-and-receive
 * replying twice), never a positive value, which io_uring would not turn
 * into a CQE.
 *
 * Return: -EIOCBQUEUED, or 0.
 */
int fanout_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	int ret;

#if FANOUT_URING_CANCEL_HOOK
	if (issue_flags & IO_URING_F_CANCEL) {
		fanout_uring_cancel(cmd);
		return 0;
	}
#endif
	ret = fanout_uring_issue(cmd, issue_flags);
	if (ret == -EIOCBQUEUED)
		return ret;
	/* Refused before it had a command structure. */
	if (WARN_ON_ONCE(ret > 0))
		ret = -EIO;
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
	return -EIOCBQUEUED;
}

/**
 * fanout_uring_init() - set up an endpoint's list of pending commands
 * @ep: the endpoint, being opened
 */
void fanout_uring_init(struct fanout_endpoint *ep)
{
	spin_lock_init(&ep->uring.lock);
	INIT_LIST_HEAD(&ep->uring.cmds);
#if !FANOUT_URING_CANCEL_HOOK
	INIT_DELAYED_WORK(&ep->uring.monitor, fanout_uring_monitor);
#endif
}

/**
 * fanout_uring_release() - the endpoint closes
 * @ep: the endpoint
 *
 * Pending commands hold the file, so there are none left; the monitor
 * may still be queued. The spare command goes.
 */
void fanout_uring_release(struct fanout_endpoint *ep)
{
	WARN_ON_ONCE(!list_empty(&ep->uring.cmds));
#if !FANOUT_URING_CANCEL_HOOK
	cancel_delayed_work_sync(&ep->uring.monitor);
#endif
	fanout_free(ep->uring.spare);
}
