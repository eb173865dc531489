// SPDX-License-Identifier: MIT
/*
 * Android binder, raw protocol: one server process is the context
 * manager of /dev/binder (binder_linux, vm-run --extra-mod binder_linux);
 * a fan-out is N sequential transactions (BC_TRANSACTION to handle 0,
 * BR_REPLY back) from the coordinator. Binder has no one-to-many call,
 * so N is the number of transactions per fan-out, not of servers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/android/binder.h>

#include "bench.h"

#define BINDER_DEV	"/dev/binder"
#define BINDER_MAP	(1 << 20)

struct binder_ctx {
	int fd;
	int n;
	pid_t *pids;
	binder_uintptr_t to_free;	/* reply buffer of the last transaction */
};

static int binder_open(void)
{
	struct binder_version v = { 0 };
	int fd = open(BINDER_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BINDER_VERSION, &v) ||
	    v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION ||
	    mmap(NULL, BINDER_MAP, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* Writes @wlen bytes of commands, then reads into @rbuf; bytes read or -errno. */
static long binder_io(int fd, const void *wbuf, size_t wlen, void *rbuf, size_t rlen)
{
	struct binder_write_read bwr = {
		.write_size = wlen, .write_buffer = (uintptr_t)wbuf,
		.read_size = rlen, .read_buffer = (uintptr_t)rbuf,
	};

	if (ioctl(fd, BINDER_WRITE_READ, &bwr))
		return -errno;
	return bwr.read_consumed;
}

/*
 * Finds the first @want (BR_TRANSACTION or BR_REPLY) in @len bytes of
 * returns into *@tr: 1 found, 0 not there, -errno on a failure return.
 */
static int binder_find(const char *buf, long len, __u32 want,
		       struct binder_transaction_data *tr)
{
	for (long off = 0; off + 4 <= len;) {
		__u32 cmd;

		memcpy(&cmd, buf + off, 4);
		off += 4;
		if (cmd == BR_DEAD_REPLY || cmd == BR_FAILED_REPLY || cmd == BR_ERROR)
			return -ECONNREFUSED;
		if (cmd == want) {
			memcpy(tr, buf + off, sizeof(*tr));
			return 1;
		}
		off += _IOC_SIZE(cmd);
	}
	return 0;
}

/* Room for BC_FREE_BUFFER or BC_REPLY and one transaction. */
struct binder_cmds {
	char buf[2 * (4 + sizeof(struct binder_transaction_data))];
	size_t len;
};

static void cmd_add(struct binder_cmds *w, __u32 cmd, const void *arg, size_t len)
{
	memcpy(w->buf + w->len, &cmd, 4);
	memcpy(w->buf + w->len + 4, arg, len);
	w->len += 4 + len;
}

static void binder_server(int idx, void *arg)
{
	struct binder_transaction_data tr, reply;
	static char rbuf[256];
	struct binder_cmds w = { .len = 0 };
	__u32 looper = BC_ENTER_LOOPER;
	int fd = binder_open(), tries = 0;
	long r;

	(void)arg;
	if (fd < 0)
		return;
	/* The previous server's release may not have run yet. */
	while (ioctl(fd, BINDER_SET_CONTEXT_MGR, 0))
		if (errno != EBUSY || tries++ > 500)
			return;
		else
			usleep(10000);
	if (binder_io(fd, &looper, sizeof(looper), NULL, 0) < 0)
		return;
	agent_ready(idx);
	for (;;) {
		r = binder_io(fd, w.buf, w.len, rbuf, sizeof(rbuf));
		w.len = 0;
		if (r < 0 && r != -EINTR)
			return;
		if (r <= 0 || binder_find(rbuf, r, BR_TRANSACTION, &tr) != 1)
			continue;
		agent_tick(idx);
		memset(&reply, 0, sizeof(reply));
		reply.data_size = tr.data_size;
		reply.data.ptr.buffer = tr.data.ptr.buffer;
		cmd_add(&w, BC_REPLY, &reply, sizeof(reply));
		cmd_add(&w, BC_FREE_BUFFER, &tr.data.ptr.buffer,
			sizeof(tr.data.ptr.buffer));
	}
}

/* One transaction of @size bytes to the context manager, its reply back. */
static int binder_transact(struct binder_ctx *c, const void *req, size_t size)
{
	struct binder_transaction_data tr = {
		.target.handle = 0, .code = 1,
		.data_size = size, .data.ptr.buffer = (uintptr_t)req,
	};
	struct binder_cmds w = { .len = 0 };
	static char rbuf[256];
	int found = 0;
	long r;

	if (c->to_free)
		cmd_add(&w, BC_FREE_BUFFER, &c->to_free, sizeof(c->to_free));
	c->to_free = 0;
	cmd_add(&w, BC_TRANSACTION, &tr, sizeof(tr));
	while (!found) {
		r = binder_io(c->fd, w.buf, w.len, rbuf, sizeof(rbuf));
		if (r < 0)
			return r;
		w.len = 0;
		found = binder_find(rbuf, r, BR_REPLY, &tr);
		if (found < 0)
			return found;
	}
	c->to_free = tr.data.ptr.buffer;
	return tr.data_size == size ? 0 : -EIO;
}

int binder_setup(const struct bench_row *row, int n, long param, void **ctx)
{
	struct binder_ctx *c = calloc(1, sizeof(*c));
	int ret;

	(void)row;
	(void)param;
	if (!c)
		return -ENOMEM;
	c->n = n;
	c->fd = binder_open();
	if (c->fd < 0) {
		ret = c->fd;
		free(c);
		return ret;
	}
	*ctx = c;
	ret = agents_start(&c->pids, 1, binder_server, c);
	if (!ret)
		return 0;
	binder_teardown(c);
	return ret;
}

int binder_fanout(void *ctx, const void *req, size_t size)
{
	struct binder_ctx *c = ctx;
	int ret = 0;

	for (int i = 0; i < c->n && !ret; i++)
		ret = binder_transact(c, req, size);
	return ret;
}

void binder_teardown(void *ctx)
{
	struct binder_ctx *c = ctx;

	if (c->pids)
		agents_reap(c->pids, 1);
	close(c->fd);
	free(c);
}
