// SPDX-License-Identifier: MIT
/*
 * What users write instead of fanout: one channel per agent, the
 * coordinator writes N messages and waits for N replies with a timeout.
 *
 *   FD_UDS_EPOLL   AF_UNIX SOCK_SEQPACKET socketpairs, epoll_wait()
 *   FD_PIPE_POLL   two pipes per agent, poll()
 *   FD_PIPE_BLOCK  two pipes, blocking read (the ping-pong floor, N=1)
 *
 * With FD_ONE_AGENT one agent process serves all N channels, waiting
 * the same way as the coordinator; otherwise each agent process blocks
 * in read() on its own channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct fd_ctx {
	int mode;		/* FD_* without FD_ONE_AGENT */
	int n;
	int nagents;
	int *co_r, *co_w;	/* coordinator ends */
	int *ag_r, *ag_w;	/* agent ends */
	int ep;			/* FD_UDS_EPOLL: the coordinator's epoll */
	struct pollfd *pfd;	/* FD_PIPE_POLL */
	struct epoll_event *ev;
	pid_t *pids;
};

static char fd_buf[BENCH_MAX_PAYLOAD];

/*
 * Waits for readiness of the channels of @r[0..n-1] the way @mode says
 * (epoll set @ep or poll array @pfd) and calls @fn for each ready index.
 * Returns the number handled, or -errno (-ETIMEDOUT).
 */
static int fd_wait(int mode, int ep, struct pollfd *pfd, struct epoll_event *ev,
		   int n, int (*fn)(void *arg, int i), void *arg)
{
	int ready, done = 0, ret;

	if (mode == FD_UDS_EPOLL) {
		ready = epoll_wait(ep, ev, n, BENCH_REPLY_TIMEOUT_MS);
		if (ready < 0)
			return -errno;
		for (int k = 0; k < ready; k++) {
			ret = fn(arg, ev[k].data.u32);
			if (ret)
				return ret;
			done++;
		}
	} else {
		ready = poll(pfd, n, BENCH_REPLY_TIMEOUT_MS);
		if (ready < 0)
			return -errno;
		for (int i = 0; i < n && done < ready; i++) {
			if (!pfd[i].revents)
				continue;
			ret = fn(arg, i);
			if (ret)
				return ret;
			done++;
		}
	}
	return ready ? done : -ETIMEDOUT;
}

/* One message in on @r, echoed on @w. */
static int echo(int r, int w, int idx)
{
	ssize_t len = read(r, fd_buf, sizeof(fd_buf));

	if (len <= 0)
		return len ? -errno : -EPIPE;
	agent_tick(idx);
	return write(w, fd_buf, len) == len ? 0 : -EIO;
}

static void fd_agent(int idx, void *arg)
{
	struct fd_ctx *c = arg;

	agent_ready(idx);
	while (!echo(c->ag_r[idx], c->ag_w[idx], idx))
		;
}

static int one_agent_echo(void *arg, int i)
{
	struct fd_ctx *c = arg;

	return echo(c->ag_r[i], c->ag_w[i], 0);
}

/* Sets up the waiting on @r[0..n-1] for @mode: an epoll set or a poll array. */
static int fd_watch(struct fd_ctx *c, const int *r, int *ep, struct pollfd **pfd)
{
	if (c->mode == FD_UDS_EPOLL) {
		*ep = epoll_create1(EPOLL_CLOEXEC);
		if (*ep < 0)
			return -errno;
		for (int i = 0; i < c->n; i++) {
			struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

			if (epoll_ctl(*ep, EPOLL_CTL_ADD, r[i], &e))
				return -errno;
		}
	} else if (c->mode == FD_PIPE_POLL) {
		*pfd = calloc(c->n, sizeof(**pfd));
		if (!*pfd)
			return -ENOMEM;
		for (int i = 0; i < c->n; i++)
			(*pfd)[i] = (struct pollfd){ .fd = r[i], .events = POLLIN };
	}
	return 0;
}

static void fd_one_agent(int idx, void *arg)
{
	struct fd_ctx *c = arg;
	struct pollfd *pfd = NULL;
	int ep = -1;

	if (fd_watch(c, c->ag_r, &ep, &pfd))
		return;
	agent_ready(idx);
	while (fd_wait(c->mode, ep, pfd, c->ev, c->n, one_agent_echo, c) >= 0)
		;
}

static int fd_channel(struct fd_ctx *c, int i)
{
	int a[2], b[2];

	if (c->mode == FD_UDS_EPOLL) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a))
			return -errno;
		c->co_r[i] = c->co_w[i] = a[0];
		c->ag_r[i] = c->ag_w[i] = a[1];
		return 0;
	}
	if (pipe2(a, O_CLOEXEC))
		return -errno;
	if (pipe2(b, O_CLOEXEC)) {
		close(a[0]);
		close(a[1]);
		return -errno;
	}
	c->ag_r[i] = a[0];
	c->co_w[i] = a[1];
	c->co_r[i] = b[0];
	c->ag_w[i] = b[1];
	return 0;
}

static void fd_close_ends(int *r, int *w, int n)
{
	for (int i = 0; i < n; i++) {
		if (w[i] >= 0 && w[i] != r[i])
			close(w[i]);
		if (r[i] >= 0)
			close(r[i]);
		r[i] = w[i] = -1;
	}
}

int fd_setup(const struct bench_row *row, int n, long param, void **ctx)
{
	struct fd_ctx *c = calloc(1, sizeof(*c));
	int ret = 0;

	(void)param;
	if (!c)
		return -ENOMEM;
	*ctx = c;
	c->mode = row->variant & ~FD_ONE_AGENT;
	c->n = n;
	c->ep = -1;
	c->co_r = malloc(n * sizeof(int));
	c->co_w = malloc(n * sizeof(int));
	c->ag_r = malloc(n * sizeof(int));
	c->ag_w = malloc(n * sizeof(int));
	c->ev = calloc(n, sizeof(*c->ev));
	if (!c->co_r || !c->co_w || !c->ag_r || !c->ag_w || !c->ev) {
		ret = -ENOMEM;
		goto err;
	}
	for (int i = 0; i < n; i++)
		c->co_r[i] = c->co_w[i] = c->ag_r[i] = c->ag_w[i] = -1;
	for (int i = 0; i < n && !ret; i++)
		ret = fd_channel(c, i);
	if (!ret)
		ret = fd_watch(c, c->co_r, &c->ep, &c->pfd);
	if (ret)
		goto err;
	c->nagents = row->variant & FD_ONE_AGENT ? 1 : n;
	ret = agents_start(&c->pids, c->nagents, c->nagents == 1 && n > 1 ?
			   fd_one_agent : fd_agent, c);
	if (ret)
		goto err;
	/* The agents hold their ends (inherited); ours would keep EOF away. */
	fd_close_ends(c->ag_r, c->ag_w, n);
	return 0;
err:
	fd_teardown(c);
	return ret;
}

static int co_read(void *arg, int i)
{
	struct fd_ctx *c = arg;
	ssize_t len = read(c->co_r[i], fd_buf, sizeof(fd_buf));

	return len > 0 ? 0 : len ? -errno : -EPIPE;
}

int fd_fanout(void *ctx, const void *req, size_t size)
{
	struct fd_ctx *c = ctx;
	int got = 0, ret;

	for (int i = 0; i < c->n; i++)
		if (write(c->co_w[i], req, size) != (ssize_t)size)
			return -EIO;
	if (c->mode == FD_PIPE_BLOCK)
		return read_full(c->co_r[0], fd_buf, size);
	while (got < c->n) {
		ret = fd_wait(c->mode, c->ep, c->pfd, c->ev, c->n, co_read, c);
		if (ret < 0)
			return ret;
		got += ret;
	}
	return 0;
}

void fd_teardown(void *ctx)
{
	struct fd_ctx *c = ctx;

	if (c->pids)
		agents_reap(c->pids, c->nagents);
	if (c->co_r && c->co_w)
		fd_close_ends(c->co_r, c->co_w, c->n);
	if (c->ag_r && c->ag_w)
		fd_close_ends(c->ag_r, c->ag_w, c->n);
	if (c->ep >= 0)
		close(c->ep);
	free(c->co_r);
	free(c->co_w);
	free(c->ag_r);
	free(c->ag_w);
	free(c->ev);
	free(c->pfd);
	free(c);
}
