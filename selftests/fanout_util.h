/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the fanout selftests.
 */
#ifndef FANOUT_UTIL_H
#define FANOUT_UTIL_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libfanout.h"

/* A group name unique to this process and call. */
static inline void fanout_test_name(char name[FANOUT_NAME_MAX], const char *tag)
{
	static unsigned int seq;

	snprintf(name, FANOUT_NAME_MAX, "%.12s-%d-%u", tag, getpid(), seq++);
}

/*
 * Open an endpoint and create a group @name with @max_members members,
 * mode 0666 and @deadline_ms (0: default). Returns the fd or -errno.
 */
static inline int fanout_test_create(const char *name, unsigned int max_members,
				     unsigned int deadline_ms)
{
	struct fanout_group_params p;
	int fd, ret;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%.*s", (int)sizeof(p.name) - 1, name);
	p.mode = 0666;
	p.max_members = max_members;
	p.deadline_ms = deadline_ms;
	fd = fanout_open(0);
	if (fd < 0)
		return fd;
	ret = fanout_group_create(fd, &p);
	if (ret) {
		fanout_close(fd);
		return ret;
	}
	return fd;
}

/*
 * Open an endpoint bound to group @name and joined as @member.
 * Returns the fd or -errno.
 */
static inline int fanout_test_agent(const char *name, unsigned int member)
{
	int fd, ret;

	fd = fanout_open(0);
	if (fd < 0)
		return fd;
	ret = fanout_group_open(fd, name);
	if (!ret)
		ret = fanout_join(fd, member);
	if (ret < 0) {
		fanout_close(fd);
		return ret;
	}
	return fd;
}

#endif /* FANOUT_UTIL_H */
