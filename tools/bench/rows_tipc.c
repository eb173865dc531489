// SPDX-License-Identifier: MIT
/*
 * TIPC group communication on one node: N agent processes join a group
 * (TIPC_GROUP_JOIN on SOCK_RDM sockets) at one service instance, the
 * coordinator joins at another with membership events. One fan-out is a
 * single group multicast to the agents' instance and N unicast replies
 * to the coordinator's socket. The kernel needs the tipc module (vm-run
 * --extra-mod tipc); a fresh node has an identity and delivers locally
 * without any bearer.
 *
 * All agents share one instance: on 6.1 a group multicast reaches only
 * the first matching service range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/tipc.h>

#include "bench.h"

#define TIPC_BENCH_TYPE		4711	/* group id, above the reserved 0..63 */
#define AGENT_INSTANCE		1
#define COORD_INSTANCE		2

struct tipc_ctx {
	int sd;
	int n;
	pid_t *pids;
	unsigned int type;
};

static unsigned int tipc_seq;

static int tipc_join(unsigned int type, unsigned int instance, unsigned int flags)
{
	struct tipc_group_req req = {
		.type = type, .instance = instance,
		.scope = TIPC_NODE_SCOPE, .flags = flags,
	};
	struct timeval tv = { BENCH_REPLY_TIMEOUT_MS / 1000, 0 };
	int sd = socket(AF_TIPC, SOCK_RDM | SOCK_CLOEXEC, 0);

	if (sd < 0)
		return -errno;
	if (setsockopt(sd, SOL_TIPC, TIPC_GROUP_JOIN, &req, sizeof(req)) ||
	    setsockopt(sd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		int err = -errno;

		close(sd);
		return err;
	}
	return sd;
}

/*
 * One message into @buf with its sender in @from; a membership event
 * (MSG_OOB) sets *@event to 1 (up) or -1 (down, MSG_EOR). Returns the
 * length or -errno.
 */
static int tipc_recv(int sd, char *buf, size_t len, struct sockaddr_tipc *from,
		     socklen_t *fromlen, int *event)
{
	struct sockaddr_tipc addr[2];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = addr, .msg_namelen = sizeof(addr),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t r = recvmsg(sd, &msg, 0);

	if (r < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	*event = msg.msg_flags & MSG_OOB ? (msg.msg_flags & MSG_EOR ? -1 : 1) : 0;
	if (from) {
		*from = addr[0];
		*fromlen = sizeof(addr[0]);
	}
	return r;
}

static void tipc_agent(int idx, void *arg)
{
	struct tipc_ctx *c = arg;
	static char buf[BENCH_MAX_PAYLOAD];
	struct sockaddr_tipc from;
	socklen_t fromlen;
	int sd = tipc_join(c->type, AGENT_INSTANCE, 0), len, event;
	struct timeval forever = { 0, 0 };

	if (sd < 0)
		return;
	setsockopt(sd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever));
	agent_ready(idx);
	for (;;) {
		len = tipc_recv(sd, buf, sizeof(buf), &from, &fromlen, &event);
		if (len < 0)
			return;
		if (event)
			continue;
		agent_tick(idx);
		if (sendto(sd, buf, len, 0, (struct sockaddr *)&from, fromlen) != len)
			return;
	}
}

int tipc_setup(const struct bench_row *row, int n, long param, void **ctx)
{
	struct tipc_ctx *c = calloc(1, sizeof(*c));
	static char buf[16];
	int up = 0, event, ret;

	(void)row;
	(void)param;
	if (!c)
		return -ENOMEM;
	c->n = n;
	c->type = TIPC_BENCH_TYPE + tipc_seq++;
	/* Join first, so the membership events of every agent reach us. */
	c->sd = tipc_join(c->type, COORD_INSTANCE, TIPC_GROUP_MEMBER_EVTS);
	if (c->sd < 0) {
		ret = c->sd;
		free(c);
		return ret;
	}
	*ctx = c;
	ret = agents_start(&c->pids, n, tipc_agent, c);
	while (!ret && up < n) {
		ret = tipc_recv(c->sd, buf, sizeof(buf), NULL, NULL, &event);
		if (ret >= 0) {
			up += event;
			ret = 0;
		}
	}
	if (!ret)
		return 0;
	tipc_teardown(c);
	return ret;
}

int tipc_fanout(void *ctx, const void *req, size_t size)
{
	struct tipc_ctx *c = ctx;
	struct sockaddr_tipc to = {
		.family = AF_TIPC,
		.addrtype = TIPC_SERVICE_RANGE,
		.scope = TIPC_NODE_SCOPE,
		.addr.nameseq = {
			.type = c->type,
			.lower = AGENT_INSTANCE, .upper = AGENT_INSTANCE,
		},
	};
	static char buf[BENCH_MAX_PAYLOAD];
	int got = 0, len, event;

	if (sendto(c->sd, req, size, 0, (struct sockaddr *)&to, sizeof(to)) !=
	    (ssize_t)size)
		return -errno;
	while (got < c->n) {
		len = tipc_recv(c->sd, buf, sizeof(buf), NULL, NULL, &event);
		if (len < 0)
			return len;
		if (event < 0)
			return -ECONNRESET;	/* an agent left */
		if (!event)
			got++;
	}
	return 0;
}

void tipc_teardown(void *ctx)
{
	struct tipc_ctx *c = ctx;

	if (c->pids)
		agents_reap(c->pids, c->n);
	close(c->sd);
	free(c);
}
