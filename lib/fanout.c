// SPDX-License-Identifier: MIT
/*
 * libfanout: one thin wrapper per /dev/fanout operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libfanout.h"

#define FANOUT_API __attribute__((visibility("default")))

/* Issue one ioctl; a negative errno on failure. */
static int fanout_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

FANOUT_API int fanout_open(int flags)
{
	int fd;

	if (flags & ~O_NONBLOCK)
		return -EINVAL;
	fd = open(FANOUT_DEVICE_PATH, O_RDWR | O_CLOEXEC | flags);
	return fd < 0 ? -errno : fd;
}

FANOUT_API int fanout_close(int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

FANOUT_API int fanout_version(int fd, struct fanout_version *version)
{
	return fanout_ioctl(fd, FANOUT_IOC_VERSION, version);
}

/* Fill a group name argument; -ENAMETOOLONG if it does not fit. */
static int fanout_name(struct fanout_group_name *n, const char *name)
{
	memset(n, 0, sizeof(*n));
	if (strlen(name) >= sizeof(n->name))
		return -ENAMETOOLONG;
	strcpy(n->name, name);
	return 0;
}

FANOUT_API int fanout_group_create(int fd,
				   const struct fanout_group_params *params)
{
	return fanout_ioctl(fd, FANOUT_IOC_GROUP_CREATE, (void *)params);
}

FANOUT_API int fanout_group_open(int fd, const char *name)
{
	struct fanout_group_name n;
	int ret = fanout_name(&n, name);

	return ret ? ret : fanout_ioctl(fd, FANOUT_IOC_GROUP_OPEN, &n);
}

FANOUT_API int fanout_group_destroy(int fd, const char *name)
{
	struct fanout_group_name n;
	int ret = fanout_name(&n, name);

	return ret ? ret : fanout_ioctl(fd, FANOUT_IOC_GROUP_DESTROY, &n);
}

FANOUT_API int fanout_group_info(int fd, struct fanout_group_params *params)
{
	return fanout_ioctl(fd, FANOUT_IOC_GROUP_INFO, params);
}

/*
 * fanout_group_stats@LIBFANOUT_0.1 was built for the 64-byte first
 * version of struct fanout_group_stats (up to amqs_free): callers built
 * then get no more than that. The default version fills the whole
 * structure of this header.
 */
#define FANOUT_STATS_V1_SIZE \
	(offsetof(struct fanout_group_stats, amqs_free) + sizeof(__u64))
#define FANOUT_IOC_GROUP_STATS_V1 \
	_IOC(_IOC_READ, FANOUT_IOC_MAGIC, 0x05, FANOUT_STATS_V1_SIZE)

int fanout_group_stats_v1(int fd, struct fanout_group_stats *stats);
int fanout_group_stats_v2(int fd, struct fanout_group_stats *stats);

__asm__(".symver fanout_group_stats_v1, fanout_group_stats@LIBFANOUT_0.1");
FANOUT_API int fanout_group_stats_v1(int fd, struct fanout_group_stats *stats)
{
	return fanout_ioctl(fd, FANOUT_IOC_GROUP_STATS_V1, stats);
}

__asm__(".symver fanout_group_stats_v2, fanout_group_stats@@LIBFANOUT_0.2");
FANOUT_API int fanout_group_stats_v2(int fd, struct fanout_group_stats *stats)
{
	return fanout_ioctl(fd, FANOUT_IOC_GROUP_STATS, stats);
}

/* Returns the member index joined. */
FANOUT_API int fanout_join(int fd, unsigned int member)
{
	struct fanout_join j = { .member = member };
	int ret = fanout_ioctl(fd, FANOUT_IOC_JOIN, &j);

	return ret ? ret : (int)j.member;
}

FANOUT_API int fanout_leave(int fd)
{
	return fanout_ioctl(fd, FANOUT_IOC_LEAVE, NULL);
}

FANOUT_API int fanout_recv(int fd, struct fanout_recv *recv)
{
	return fanout_ioctl(fd, FANOUT_IOC_RECV, recv);
}

FANOUT_API int fanout_reply(int fd, const struct fanout_reply *reply)
{
	return fanout_ioctl(fd, FANOUT_IOC_REPLY, (void *)reply);
}

FANOUT_API int fanout_reply_recv(int fd, struct fanout_reply_recv *rr)
{
	return fanout_ioctl(fd, FANOUT_IOC_REPLY_RECV, rr);
}

/* Hubs (FANOUT_FEATURE_HUB) */

/* Returns the agent endpoint's slot in the hub. */
FANOUT_API int fanout_hub_add(int hub_fd, int agent_fd)
{
	struct fanout_hub_add a = { .fd = agent_fd };
	int ret = fanout_ioctl(hub_fd, FANOUT_IOC_HUB_ADD, &a);

	return ret ? ret : (int)a.slot;
}

FANOUT_API int fanout_hub_serve(int hub_fd, struct fanout_hub_serve *serve)
{
	return fanout_ioctl(hub_fd, FANOUT_IOC_HUB_SERVE, serve);
}

FANOUT_API int fanout_send(int fd, struct fanout_send *send)
{
	return fanout_ioctl(fd, FANOUT_IOC_SEND, send);
}

FANOUT_API int fanout_wait(int fd, struct fanout_wait *wait)
{
	return fanout_ioctl(fd, FANOUT_IOC_WAIT, wait);
}

FANOUT_API int fanout_call(int fd, struct fanout_call *call)
{
	return fanout_ioctl(fd, FANOUT_IOC_CALL, call);
}

FANOUT_API int fanout_results(int fd, struct fanout_results *results)
{
	return fanout_ioctl(fd, FANOUT_IOC_RESULTS, results);
}

FANOUT_API int fanout_cancel(int fd, __u64 id)
{
	struct fanout_id i = { .id = id };

	return fanout_ioctl(fd, FANOUT_IOC_CANCEL, &i);
}

FANOUT_API int fanout_release(int fd, __u64 id)
{
	struct fanout_id i = { .id = id };

	return fanout_ioctl(fd, FANOUT_IOC_RELEASE, &i);
}

/* Expected state (FANOUT_FEATURE_STATE) */

FANOUT_API int fanout_state_set(int fd, __u32 code, const void *blob,
				__u32 blob_len, __u64 *generation)
{
	struct fanout_state s = {
		.code = code,
		.blob = (__u64)(unsigned long)blob,
		.blob_len = blob_len,
	};
	int ret = fanout_ioctl(fd, FANOUT_IOC_STATE_SET, &s);

	if (!ret && generation)
		*generation = s.generation;
	return ret;
}

FANOUT_API int fanout_state_get(int fd, struct fanout_state *state)
{
	return fanout_ioctl(fd, FANOUT_IOC_STATE_GET, state);
}

FANOUT_API int fanout_confirm(int fd, __u64 generation)
{
	struct fanout_confirm c = { .generation = generation };

	return fanout_ioctl(fd, FANOUT_IOC_CONFIRM, &c);
}

FANOUT_API int fanout_state_wait(int fd, struct fanout_state_wait *wait)
{
	return fanout_ioctl(fd, FANOUT_IOC_STATE_WAIT, wait);
}
