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

/* Largest ioctl argument structure handled on the stack. */
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

static int fanout_ioc_version(struct fanout_endpoint *ep, void *arg)
{
	struct fanout_version *v = arg;

	v->abi_version = FANOUT_ABI_VERSION;
	v->max_members = FANOUT_MEMBERS_MAX;
	v->max_payload = fanout_max_payload;
	v->max_pending = fanout_max_pending;
	v->features = FANOUT_FEATURE_AMQ | FANOUT_FEATURE_STATE |
		      FANOUT_FEATURE_NETLINK;
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
FANOUT_IOC_UNDO_ADAPTER(fanout_recv_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_reply_recv_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_send_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_call_undo)
FANOUT_IOC_UNDO_ADAPTER(fanout_join_undo)
FANOUT_IOC_CLEAR_ADAPTER(fanout_recv_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_reply_recv_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_send_clear)
FANOUT_IOC_CLEAR_ADAPTER(fanout_call_clear)

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

static const struct fanout_ioctl_desc *fanout_ioctl_lookup(unsigned int cmd)
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
 * fanout_ioctl_run() - decode, run and answer one ioctl-style command
 * @ep: the endpoint
 * @cmd: ioctl number; its size field is the caller's structure size
 * @uarg: user address of the argument
 *
 * The caller's structure may be larger than ours (its tail must be zero)
 * or smaller, down to the structure's first ABI version (the missing
 * fields read as zero). The structure is copied
 * back for commands that return data, even on error, so that outputs
 * such as a request id reach the caller of an interrupted call.
 *
 * Nothing is started that the caller cannot be told of: a command that
 * both reads and returns its structure first writes it back unchanged,
 * so an argument in memory the caller cannot write fails with -EFAULT
 * before anything happens. Should the final write-back still fail
 * (another thread took the mapping away meanwhile), @desc->undo takes
 * back what the handler started: a received request goes back to its
 * queue, a sent one is released.
 *
 * Return: the handler's result, -ENOTTY for an unknown command, -EBADFD
 * for an operation on a group from an unbound endpoint, -EINVAL
 * for a short structure, -E2BIG for a non-zero unknown tail, -EFAULT.
 */
static long fanout_ioctl_run(struct fanout_endpoint *ep, unsigned int cmd,
			     void __user *uarg)
{
	const struct fanout_ioctl_desc *desc = fanout_ioctl_lookup(cmd);
	union fanout_ioctl_arg karg;
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize, copy;
	int ret;

	if (!desc)
		return -ENOTTY;
	ksize = _IOC_SIZE(desc->cmd);
	if (usize < (desc->min_size ?: ksize))
		return -EINVAL;
	copy = min(usize, ksize);
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(&karg, ksize, uarg, usize);
		if (ret)
			return ret;
		/* The probe described above. */
		if ((_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &karg, copy))
			return -EFAULT;
	} else {
		memset(&karg, 0, ksize);
	}

	if (desc->clear)
		desc->clear(&karg);
	/* Refused like a handler's error: the structure is still copied back. */
	if (desc->bound && !fanout_ep_group(ep))
		ret = -EBADFD;
	else
		ret = desc->handler(ep, &karg);

	if (_IOC_DIR(cmd) & _IOC_READ) {
		if (copy_to_user(uarg, &karg, copy) ||
		    clear_user(uarg + copy, usize - copy)) {
			if (desc->undo)
				desc->undo(ep, &karg, ret);
			return -EFAULT;
		}
	}
	return ret;
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
	file->private_data = ep;
	return nonseekable_open(inode, file);
}

static int fanout_release(struct inode *inode, struct file *file)
{
	struct fanout_endpoint *ep = file->private_data;

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
};

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
	fanout_genl_exit();
err_net:
	fanout_net_exit();
	return ret;
}

/*
 * The groups go (their broadcast work cancelled) before the netlink
 * family: no broadcast can be built for an unregistered family. A dump
 * in progress holds the module.
 */
static void __exit fanout_exit(void)
{
	fanout_debugfs_exit();
	misc_deregister(&fanout_misc);
	fanout_net_exit();
	fanout_genl_exit();
}

module_init(fanout_init);
module_exit(fanout_exit);

MODULE_DESCRIPTION("Fan-out requests to many agents and gather every answer");
MODULE_AUTHOR("The fanout developers");
MODULE_LICENSE("GPL");
