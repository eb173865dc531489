// SPDX-License-Identifier: GPL-2.0
/*
 * fanout memory: every allocation the module makes goes through these
 * few functions, charged to the caller's memory cgroup. They are marked
 * for error injection, so fail_function can fail the module's
 * allocations, and only those, one by one (selftests/fault_test.c).
 */
#include <linux/error-injection.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "fanout.h"

/* @size bytes, zeroed; NULL when out of memory. Free with fanout_free(). */
noinline void *fanout_zalloc(size_t size)
{
	return kvzalloc(size, GFP_KERNEL_ACCOUNT);
}

ALLOW_ERROR_INJECTION(fanout_zalloc, NULL);

/* @size bytes, uninitialised; NULL when out of memory. */
noinline void *fanout_alloc(size_t size)
{
	return kvmalloc(size, GFP_KERNEL_ACCOUNT);
}

ALLOW_ERROR_INJECTION(fanout_alloc, NULL);

void fanout_free(const void *ptr)
{
	kvfree(ptr);
}

/* Reserve slot @index of @xa (its lock is taken with BHs off). */
noinline int fanout_xa_reserve(struct xarray *xa, unsigned long index)
{
	return xa_reserve_bh(xa, index, GFP_KERNEL_ACCOUNT);
}

ALLOW_ERROR_INJECTION(fanout_xa_reserve, ERRNO);
