// SPDX-License-Identifier: GPL-2.0
/*
 * The device and its ABI handshake: /dev/fanout exists, answers the
 * version ioctl, refuses what it does not know, and the module unloads
 * and loads again cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = -EBADF;
	self->fd = fanout_open(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		EXPECT_EQ(0, fanout_close(self->fd));
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(FANOUT_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

TEST_F(dev, version)
{
	struct fanout_version v;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, fanout_version(self->fd, &v));
	EXPECT_EQ(FANOUT_ABI_VERSION, v.abi_version);
	EXPECT_EQ(FANOUT_MEMBERS_MAX, v.max_members);
	EXPECT_LT(0, v.max_payload);
	EXPECT_LT(0, v.max_pending);
	EXPECT_EQ(FANOUT_TEST_FEATURES, v.features);
	EXPECT_EQ(0, v.reserved[0]);
	EXPECT_EQ(0, v.reserved[1]);
}

/* A caller built against a newer, larger struct gets its tail zeroed. */
TEST_F(dev, version_larger_struct)
{
	struct {
		struct fanout_version v;
		__u64 newer[4];
	} big;
	unsigned long cmd = _IOC(_IOC_READ, FANOUT_IOC_MAGIC,
				 _IOC_NR(FANOUT_IOC_VERSION), sizeof(big));

	memset(&big, 0xa5, sizeof(big));
	ASSERT_EQ(0, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(FANOUT_ABI_VERSION, big.v.abi_version);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, big.newer[i]);
}

TEST_F(dev, version_short_struct)
{
	struct fanout_version v;
	unsigned long cmd = _IOC(_IOC_READ, FANOUT_IOC_MAGIC,
				 _IOC_NR(FANOUT_IOC_VERSION), sizeof(v) - 8);

	EXPECT_EQ(-1, ioctl(self->fd, cmd, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, unknown_ioctl_other_magic)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO('x', 0), 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, unknown_ioctl_number)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(FANOUT_IOC_MAGIC, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
}

/* A known number with the wrong direction bits is not that command. */
TEST_F(dev, unknown_ioctl_direction)
{
	struct fanout_version v;
	unsigned long cmd = _IOC(_IOC_WRITE, FANOUT_IOC_MAGIC,
				 _IOC_NR(FANOUT_IOC_VERSION), sizeof(v));

	EXPECT_EQ(-1, ioctl(self->fd, cmd, &v));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, version_bad_pointer)
{
	EXPECT_EQ(-EFAULT, fanout_version(self->fd, NULL));
	EXPECT_EQ(-EFAULT, fanout_version(self->fd, (void *)8));
}

static long read_param(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/fanout/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* The limits are module parameters, readable in sysfs. */
TEST_F(dev, limits_in_sysfs)
{
	struct fanout_version v;

	ASSERT_EQ(0, fanout_version(self->fd, &v));
	EXPECT_EQ(v.max_payload, read_param("max_payload"));
	EXPECT_EQ(v.max_pending, read_param("max_pending"));
}

TEST_F(dev, open_bad_flags)
{
	EXPECT_EQ(-EINVAL, fanout_open(O_APPEND));
}

static int module_fd(struct __test_metadata *_metadata)
{
	const char *path = getenv("FANOUT_MODULE");
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	return fd;
}

/* An open endpoint pins the module. */
TEST_F(dev, unload_refused_while_open)
{
	if (!getenv("FANOUT_MODULE"))
		SKIP(return, "FANOUT_MODULE not set (run in the test guest)");
	EXPECT_EQ(-1, syscall(SYS_delete_module, "fanout", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
}

TEST(unload_reload)
{
	struct fanout_version v;
	int mfd, fd;

	mfd = module_fd(_metadata);
	if (mfd < 0)
		SKIP(return, "FANOUT_MODULE not set (run in the test guest)");
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, syscall(SYS_delete_module, "fanout", O_NONBLOCK));
		EXPECT_EQ(-ENOENT, fanout_open(0));
		ASSERT_EQ(0, syscall(SYS_finit_module, mfd, "", 0));
		fd = fanout_open(0);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, fanout_version(fd, &v));
		EXPECT_EQ(0, fanout_close(fd));
	}
	close(mfd);
}

TEST_HARNESS_MAIN
