// SPDX-License-Identifier: GPL-2.0
/*
 * fanout: the /dev/fanout misc device, its ioctl dispatch and the module's
 * load and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fanout.h"
#include "state.h"

unsigned int fanout_max_payload = 65536;
module_param_named(max_payload, fanout_max_payload, uint, 0444);
MODULE_PARM_DESC(max_payload, "Largest request or reply payload in bytes");

unsigned int fanout_max_pending = 8192;
module_param_named(max_pending, fanout_max_pending, uint, 0444);
MODULE_PARM_DESC(max_pending, "Default cap on unreleased requests per group");

static int fanout_ioc_version(struct fanout_endpoint *ep, void *arg)
{
	struct fanout_version *v = arg;

	v->abi_version = FANOUT_ABI_VERSION;
	v->max_members = FANOUT_MEMBERS_MAX;
	v->max_payload = fanout_max_payload;
	v->max_pending = fanout_max_pending;
	v->features = FANOUT_FEATURE_AMQ | FANOUT_FEATURE_STATE |
		      FANOUT_FEATURE_NETLINK | FANOUT_FEATURE_URING |
		      FANOUT_FEATURE_HUB;
	return 0;
}

static int fanout_ioc_leave(struct fanout_endpoint *ep, void *arg)
{
	return fanout_leave(ep);
}

/*
 * The table holds one decoder signature; each operation gets a typed
 * adapter so no function pointer is ever cast.
 */
#define FANOUT_IOC_ADAPTER(fn)						\
static int fn##_ioc(struct fanout_endpoint *ep, void *arg)		\
{									\
	return fn(ep, arg);						\
}

#define FANOUT_IOC_UNDO_ADAPTER(fn)					\
static void fn##_ioc(struct fanout_endpoint *ep, void *arg, int ret)	\
{									\
	fn(ep, arg, ret);						\
}

#define FANOUT_IOC_CLEAR_ADAPTER(fn)					\
static void fn##_ioc(void *arg)						\
{									\
	fn(arg);							\
}

FANOUT_IOC_ADAPTER(fanout_group_create)
FANOUT_IOC_ADAPTER(fanout_group_open)
FANOUT_IOC_ADAPTER(fanout_group_destroy)
FANOUT_IOC_ADAPTER(fanout_group_info)
FANOUT_IOC_ADAPTER(fanout_group_get_stats)
FANOUT_IOC_ADAPTER(fanout_join)
FANOUT_IOC_ADAPTER(fanout_recv)
FANOUT_IOC_ADAPTER(fanout_reply)
FANOUT_IOC_ADAPTER(fanout_reply_recv)
FANOUT_IOC_ADAPTER(fanout_send)
FANOUT_IOC_ADAPTER(fanout_wait)
FANOUT_IOC_ADAPTER(fanout_call)
FANOUT_IOC_ADAPTER(fanout_results)
FANOUT_IOC_ADAPTER(fanout_cancel)
FANOUT_IOC_ADAPTER(fanout_release_request)
FANOUT_IOC_ADAPTER(fanout_state_set)
FANOUT_IOC_ADAPTER(fanout_state_get)
FANOUT_IOC_ADAPTER(fanout_confirm)
FANOUT_IOC_ADAPTER(fanout_state_wait)
FANOUT_IOC_ADAPTER(fanout_hub_add)
FANOUT_IOC_ADAPTER(fanout_hub_serve)
FANOUT_IOC_UNDO_ADAPTER(fanout_recv_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_reply_recv_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_send_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_call_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_join_undo)
FANOUT_IOC_CLEAR_ADAPTER(fanout_recv_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_reply_recv_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_send_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_call_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_hub_serve_clear)

static const struct fanout_ioctl_desc fanout_ioctls[] = {
	{ .cmd = FANOUT_IOC_VERSION, .handler = fanout_ioc_version },
	{ .cmd = FANOUT_IOC_GROUP_CREATE, .handler = fanout_group_create_ioc },
	{ .cmd = FANOUT_IOC_GROUP_OPEN, .handler = fanout_group_open_ioc },
	{ .cmd = FANOUT_IOC_GROUP_DESTROY, .handler = fanout_group_destroy_ioc },
	{ .cmd = FANOUT_IOC_GROUP_INFO, .handler = fanout_group_info_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_GROUP_STATS, .handler = fanout_group_get_stats_ioc,
	  .bound = true,
	  .min_size = offsetofend(struct fanout_group_stats, amqs_free) },
	{ .cmd = FANOUT_IOC_JOIN, .handler = fanout_join_ioc,
	  .undo = fanout_join_undo_ioc, .bound = true },
	{ .cmd = FANOUT_IOC_LEAVE, .handler = fanout_ioc_leave, .bound = true },
	{ .cmd = FANOUT_IOC_RECV, .handler = fanout_recv_ioc,
	  .clear = fanout_recv_clear_ioc, .undo = fanout_recv_undo_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_REPLY, .handler = fanout_reply_ioc, .bound = true },
	{ .cmd = FANOUT_IOC_REPLY_RECV, .handler = fanout_reply_recv_ioc,
	  .clear = fanout_reply_recv_clear_ioc,
	  .undo = fanout_reply_recv_undo_ioc, .bound = true },
	{ .cmd = FANOUT_IOC_SEND, .handler = fanout_send_ioc,
	  .clear = fanout_send_clear_ioc, .undo = fanout_send_undo_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_WAIT, .handler = fanout_wait_ioc, .bound = true },
	{ .cmd = FANOUT_IOC_CALL, .handler = fanout_call_ioc,
	  .clear = fanout_call_clear_ioc, .undo = fanout_call_undo_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_RESULTS, .handler = fanout_results_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_CANCEL, .handler = fanout_cancel_ioc, .bound = true },
	{ .cmd = FANOUT_IOC_RELEASE, .handler = fanout_release_request_ioc,
	  .bound = true },
	/* Hubs (hub.c): the hub need not be bound, its agents are */
	{ .cmd = FANOUT_IOC_HUB_ADD, .handler = fanout_hub_add_ioc },
	{ .cmd = FANOUT_IOC_HUB_SERVE, .handler = fanout_hub_serve_ioc,
	  .clear = fanout_hub_serve_clear_ioc },
	/* Expected state (state.c) */
	{ .cmd = FANOUT_IOC_STATE_SET, .handler = fanout_state_set_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_CONFIRM, .handler = fanout_confirm_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_STATE_WAIT, .handler = fanout_state_wait_ioc,
	  .bound = true },
	{ .cmd = FANOUT_IOC_STATE_GET, .handler = fanout_state_get_ioc,
	  .bound = true },
};

const struct fanout_ioctl_desc *fanout_ioctl_lookup(unsigned int cmd)
{
	unsigned int i;

	if (_IOC_TYPE(cmd) != FANOUT_IOC_MAGIC)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(fanout_ioctls); i++) {
		unsigned int known = fanout_ioctls[i].cmd;

		if (_IOC_NR(known) == _IOC_NR(cmd) &&
		    _IOC_DIR(known) == _IOC_DIR(cmd))
			return &fanout_ioctls[i];
	}
	return NULL;
}

/**
 * fanout_ioctl_decode() - copy in and check one ioctl-style command
 * @ep: the endpoint
 * @desc: the command, from fanout_ioctl_lookup()
 * @cmd: ioctl number; its size field is the caller's structure size
 * @uarg: user address of the argument
 * @karg: out: the kernel copy of the argument, its outputs cleared
 *
 * The caller's structure may be larger than ours (its tail must be zero)
 * or smaller, down to the structure's first ABI version (the missing
 * fields read as zero).
 *
 * Nothing is started that the caller cannot be told of: a command that
 * both reads and returns its structure first writes it back unchanged,
 * so an argument in memory the caller cannot write fails with -EFAULT
 * before anything happens.
 *
 * Return: 0; -EINVAL for a short structure, -E2BIG for a non-zero
 * unknown tail, -EFAULT. Errors here are not copied back.
 */
int fanout_ioctl_decode(struct fanout_endpoint *ep,
			const struct fanout_ioctl_desc *desc, unsigned int cmd,
			void __user *uarg, union fanout_ioctl_arg *karg)
{
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize = _IOC_SIZE(desc->cmd);
	int ret;

	if (usize < (desc->min_size ?: ksize))
		return -EINVAL;
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(karg, ksize, uarg, usize);
		if (ret)
			return ret;
		/* The probe described above. */
		if ((_IOC_DIR(cmd) & _IOC_READ) &&
		    copy_to_user(uarg, karg, min(usize, ksize)))
			return -EFAULT;
	} else {
		memset(karg, 0, ksize);
	}
	if (desc->clear)
		desc->clear(karg);
	return 0;
}

/**
 * fanout_ioctl_answer() - copy a command's structure back to the caller
 * @ep: the endpoint
 * @desc: the command
 * @cmd: ioctl number, as for fanout_ioctl_decode()
 * @uarg: user address of the argument
 * @karg: the kernel copy, as the handler left it
 * @ret: the handler's result
 *
 * The structure is copied back for commands that return data, even on
 * error, so that outputs such as a request id reach the caller of an
 * interrupted call. Should the write-back fail (another thread took the
 * mapping away meanwhile), @desc->undo takes back what the handler
 * started: a received request goes back to its queue, a sent one is
 * released.
 *
 * Return: @ret, or -EFAULT.
 */
int fanout_ioctl_answer(struct fanout_endpoint *ep,
			const struct fanout_ioctl_desc *desc, unsigned int cmd,
			void __user *uarg, union fanout_ioctl_arg *karg, int ret)
{
	size_t usize = _IOC_SIZE(cmd);
	size_t copy = min_t(size_t, usize, _IOC_SIZE(desc->cmd));

	if (!(_IOC_DIR(cmd) & _IOC_READ))
		return ret;
	if (copy_to_user(uarg, karg, copy) ||
	    clear_user(uarg + copy, usize - copy)) {
		if (desc->undo)
			desc->undo(ep, karg, ret);
		return -EFAULT;
	}
	return ret;
}

/**
 * fanout_ioctl_run() - decode, run and answer one ioctl-style command
 * @ep: the endpoint
 * @cmd: ioctl number; its size field is the caller's structure size
 * @uarg: user address of the argument
 *
 * See fanout_ioctl_decode() and fanout_ioctl_answer().
 *
 * Return: the handler's result, -ENOTTY for an unknown command, -EBADFD
 * for an operation on a group from an unbound endpoint, -EINVAL
 * for a short structure, -E2BIG for a non-zero unknown tail, -EFAULT.
 */
int fanout_ioctl_run(struct fanout_endpoint *ep, unsigned int cmd,
		     void __user *uarg)
{
	const struct fanout_ioctl_desc *desc = fanout_ioctl_lookup(cmd);
	union fanout_ioctl_arg karg;
	int ret;

	if (!desc)
		return -ENOTTY;
	ret = fanout_ioctl_decode(ep, desc, cmd, uarg, &karg);
	if (ret)
		return ret;
	ret = fanout_ioctl_bound(ep, desc);
	if (!ret)
		ret = desc->handler(ep, &karg);
	return fanout_ioctl_answer(ep, desc, cmd, uarg, &karg, ret);
}

/*
 * Refused like a handler's error (the structure is still copied back):
 * an operation on a group from an unbound endpoint, -EBADFD.
 */
int fanout_ioctl_bound(struct fanout_endpoint *ep,
		       const struct fanout_ioctl_desc *desc)
{
	return desc->bound && !fanout_ep_group(ep) ? -EBADFD : 0;
}

static long fanout_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	return fanout_ioctl_run(file->private_data, cmd, (void __user *)arg);
}

static int fanout_open(struct inode *inode, struct file *file)
{
	struct fanout_endpoint *ep;

	ep = fanout_zalloc(sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->user = fanout_user_get();
	if (!ep->user) {
		fanout_free(ep);
		return -ENOMEM;
	}
	mutex_init(&ep->lock);
	ep->file = file;
	ep->member = -1;
	init_waitqueue_head(&ep->wq);
	INIT_LIST_HEAD(&ep->taken);
	INIT_LIST_HEAD(&ep->requests);
	fanout_uring_init(ep);
	file->private_data = ep;
	return nonseekable_open(inode, file);
}

static int fanout_release(struct inode *inode, struct file *file)
{
	struct fanout_endpoint *ep = file->private_data;

	fanout_uring_release(ep);
	fanout_hub_release(ep);
	if (ep->group) {
		fanout_agent_release(ep);
		fanout_release_owned(ep);
		fanout_group_put(ep->group);
	}
	fanout_user_put(ep->user);
	mutex_destroy(&ep->lock);
	fanout_free(ep);
	return 0;
}

static __poll_t fanout_poll(struct file *file, struct poll_table_struct *wait)
{
	return fanout_agent_poll(file->private_data, file, wait);
}

static const struct file_operations fanout_fops = {
	.owner		= THIS_MODULE,
	.open		= fanout_open,
	.release	= fanout_release,
	.poll		= fanout_poll,
	.unlocked_ioctl	= fanout_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= fanout_uring_cmd,
};

/**
 * fanout_file_endpoint() - the endpoint of a file, if it is /dev/fanout
 * @file: any open file
 *
 * Return: the endpoint, or NULL for another file.
 */
struct fanout_endpoint *fanout_file_endpoint(struct file *file)
{
	return file->f_op == &fanout_fops ? file->private_data : NULL;
}

static struct miscdevice fanout_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "fanout",
	.fops	= &fanout_fops,
	.mode	= 0666,
};

static int __init fanout_init(void)
{
	int ret;

	if (!fanout_max_payload || !fanout_max_pending) {
		pr_err("max_payload and max_pending must not be zero\n");
		return -EINVAL;
	}
	ret = fanout_net_init();
	if (ret)
		return ret;
	ret = fanout_genl_init();
	if (ret)
		goto err_net;
	ret = misc_register(&fanout_misc);
	if (ret)
		goto err_genl;
	fanout_debugfs_init();
	return 0;

err_genl:
	/* As at unload: the groups' broadcast work goes before its queue. */
	fanout_genl_exit();
	fanout_net_exit();
	fanout_status_wq_exit();
	return ret;
err_net:
	fanout_net_exit();
	return ret;
}

/*
 * The netlink family goes before the namespaces' data its handlers
 * read, and stops broadcasting first; the groups then go, their
 * broadcast work cancelled, and last the work queue it ran on.
 */
static void __exit fanout_exit(void)
{
	fanout_debugfs_exit();
	misc_deregister(&fanout_misc);
	fanout_genl_exit();
	fanout_net_exit();
	fanout_status_wq_exit();
}

module_init(fanout_init);
module_exit(fanout_exit);

MODULE_DESCRIPTION("Fan-out requests to many agents and gather every answer");
MODULE_AUTHOR("The fanout developers");
MODULE_LICENSE("GPL");
