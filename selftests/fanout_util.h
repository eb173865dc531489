/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the fanout selftests.
 */
#ifndef FANOUT_UTIL_H
#define FANOUT_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <string.h>
#include <unistd.h>

#include "libfanout.h"

/* ioctl() with a raw argument: 0 or -errno. */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* A user address that faults: a page mapped without any access. */
static inline __u64 bad_addr(void)
{
	static void *page;

	if (!page) {
		page = mmap(NULL, getpagesize(), PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		/* Below mmap_min_addr nothing is ever mapped either. */
		if (page == MAP_FAILED)
			page = (void *)16;
	}
	return (uintptr_t)page;
}

/* A group name unique to this process and call. */
static inline void fanout_test_name(char name[FANOUT_NAME_MAX], const char *tag)
{
	static unsigned int seq;

	snprintf(name, FANOUT_NAME_MAX, "%.12s-%d-%u", tag, getpid(), seq++);
}

/* A positive integer from environment variable @name, else @dflt. */
static inline int fanout_test_env_int(const char *name, int dflt)
{
	const char *env = getenv(name);

	return env && atoi(env) > 0 ? atoi(env) : dflt;
}

/* Open an endpoint and create a group with @p. Returns the fd or -errno. */
static inline int fanout_test_create_params(const struct fanout_group_params *p)
{
	int fd, ret;

	fd = fanout_open(0);
	if (fd < 0)
		return fd;
	ret = fanout_group_create(fd, p);
	if (ret) {
		fanout_close(fd);
		return ret;
	}
	return fd;
}

/* Group options @name, @max_members members, mode 0666, the rest 0. */
static inline void fanout_test_params(struct fanout_group_params *p,
				      const char *name,
				      unsigned int max_members)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%.*s", (int)sizeof(p->name) - 1,
		 name);
	p->mode = 0666;
	p->max_members = max_members;
}

/*
 * Open an endpoint and create a group @name with @max_members members,
 * permission @mode and @deadline_ms (0: default). Returns the fd or -errno.
 */
static inline int fanout_test_create_mode(const char *name,
					  unsigned int max_members,
					  unsigned int deadline_ms,
					  unsigned int mode)
{
	struct fanout_group_params p;

	fanout_test_params(&p, name, max_members);
	p.mode = mode;
	p.deadline_ms = deadline_ms;
	return fanout_test_create_params(&p);
}

/* The same, mode 0666. */
static inline int fanout_test_create(const char *name, unsigned int max_members,
				     unsigned int deadline_ms)
{
	return fanout_test_create_mode(name, max_members, deadline_ms, 0666);
}

/* What the module holds over all users: debugfs fanout/live. */
struct fanout_live {
	long users, groups, requests, bytes;
};

/* Every feature this module has: VERSION must report exactly these. */
#define FANOUT_TEST_FEATURES	(FANOUT_FEATURE_AMQ | FANOUT_FEATURE_STATE | \
				 FANOUT_FEATURE_NETLINK | FANOUT_FEATURE_URING | \
				 FANOUT_FEATURE_HUB)

#define FANOUT_LIVE_PATH "/sys/kernel/debug/fanout/live"

/* Read fanout/live (mounting debugfs if needed): 0, or -1. */
static inline int fanout_live_read(struct fanout_live *l)
{
	char key[32];
	long val;
	FILE *f = fopen(FANOUT_LIVE_PATH, "r");

	if (!f && errno == ENOENT &&
	    !mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		f = fopen(FANOUT_LIVE_PATH, "r");
	if (!f)
		return -1;
	memset(l, -1, sizeof(*l));
	while (fscanf(f, "%31s %ld", key, &val) == 2) {
		if (!strcmp(key, "users"))
			l->users = val;
		else if (!strcmp(key, "groups"))
			l->groups = val;
		else if (!strcmp(key, "requests"))
			l->requests = val;
		else if (!strcmp(key, "bytes"))
			l->bytes = val;
	}
	fclose(f);
	return 0;
}

/* Whether thread @tid of this process sleeps (state S in /proc). */
static inline int thread_sleeping(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int sleeping = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		sleeping = p && p[2] == 'S';
	}
	fclose(f);
	return sleeping;
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
