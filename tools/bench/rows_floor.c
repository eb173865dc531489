// SPDX-License-Identifier: MIT
/*
 * The floor: an empty system call, timed like a fan-out (the clock read
 * around it included). The other floor row, a pipe ping-pong between two
 * processes, is rows_fd.c at N=1 with a blocking read.
 */
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int syscall_setup(const struct bench_row *row, int n, long param, void **ctx)
{
	(void)row;
	(void)n;
	(void)param;
	*ctx = NULL;
	return 0;
}

int syscall_fanout(void *ctx, const void *req, size_t size)
{
	(void)ctx;
	(void)req;
	(void)size;
	return syscall(SYS_getppid) > 0 ? 0 : -1;
}

void syscall_teardown(void *ctx)
{
	(void)ctx;
}
