// SPDX-License-Identifier: GPL-2.0
/*
 * fanout memory: every allocation the module makes goes through these
 * few functions, charged to the caller's memory cgroup. On kernels with
 * fault injection they consult the fault attribute debugfs fanout/fail_alloc,
 * so a test can fail the module's allocations, and only those, one by
 * one with /proc/thread-self/fail-nth (selftests/fault_test.c).
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "fanout.h"

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static DECLARE_FAULT_ATTR(fanout_fail_alloc);

/* debugfs fanout/fail_alloc: the fault attribute of the allocations. */
void fanout_fault_init(struct dentry *dir)
{
	fault_create_debugfs_attr("fail_alloc", dir, &fanout_fail_alloc);
}

static bool fanout_should_fail(size_t size)
{
	return should_fail(&fanout_fail_alloc, size);
}
#else
void fanout_fault_init(struct dentry *dir)
{
}

static bool fanout_should_fail(size_t size)
{
	return false;
}
#endif

/* @size bytes, zeroed; NULL when out of memory. Free with fanout_free(). */
void *fanout_zalloc(size_t size)
{
	if (fanout_should_fail(size))
		return NULL;
	return kvzalloc(size, GFP_KERNEL_ACCOUNT);
}

/* @size bytes, uninitialised; NULL when out of memory. */
void *fanout_alloc(size_t size)
{
	if (fanout_should_fail(size))
		return NULL;
	return kvmalloc(size, GFP_KERNEL_ACCOUNT);
}

/*
 * A small object of @size bytes, zeroed, allocated with @gfp (which may
 * forbid sleeping); NULL when out of memory. Free with kfree() or
 * kfree_rcu().
 */
void *fanout_kzalloc(size_t size, gfp_t gfp)
{
	if (fanout_should_fail(size))
		return NULL;
	return kzalloc(size, gfp);
}

void fanout_free(const void *ptr)
{
	kvfree(ptr);
}

/* Reserve slot @index of @xa (its lock is taken with BHs off). */
int fanout_xa_reserve(struct xarray *xa, unsigned long index)
{
	if (fanout_should_fail(1))
		return -ENOMEM;
	return xa_reserve_bh(xa, index, GFP_KERNEL_ACCOUNT);
}
