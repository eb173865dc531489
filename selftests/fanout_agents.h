/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Agents for the fanout selftests: threads or processes that serve one
 * member each, echoing, holding, or declining what they receive.
 */
#ifndef FANOUT_AGENTS_H
#define FANOUT_AGENTS_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "fanout_util.h"

#define AGENT_BUF	4096

enum agent_mode {
	AGENT_ECHO,	/* reply "m<member>:" + payload, until an error */
	AGENT_DECLINE,	/* answer every request with status -EPERM */
};

struct agent {
	pthread_t thread;
	int fd;
	int member;
	enum agent_mode mode;
	int error;		/* the error that ended the loop */
	long handled;		/* requests received */
	long nvcsw;		/* voluntary switches over the loop */
};

/* The reply an echoing agent of @member gives to @payload. */
static inline size_t agent_echo(char *out, size_t size, int member,
				const char *payload, size_t len)
{
	int n = snprintf(out, size, "m%d:", member);

	memcpy(out + n, payload, len);
	return n + len;
}

static inline long thread_nvcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

static inline void *agent_loop(void *arg)
{
	struct agent *a = arg;
	char in[AGENT_BUF], out[AGENT_BUF + 16];
	struct fanout_reply_recv rr;
	long start = thread_nvcsw();
	int ret;

	memset(&rr, 0, sizeof(rr));
	rr.recv.buf = (unsigned long)in;
	rr.recv.buf_len = sizeof(in);
	ret = fanout_recv(a->fd, &rr.recv);
	while (!ret) {
		a->handled++;
		memset(&rr.reply, 0, sizeof(rr.reply));
		rr.reply.id = rr.recv.id;
		if (a->mode == AGENT_DECLINE) {
			rr.reply.status = -EPERM;
		} else {
			rr.reply.buf = (unsigned long)out;
			rr.reply.len = agent_echo(out, sizeof(out), a->member,
						  in, rr.recv.len);
		}
		memset(&rr.recv, 0, sizeof(rr.recv));
		rr.recv.buf = (unsigned long)in;
		rr.recv.buf_len = sizeof(in);
		ret = fanout_reply_recv(a->fd, &rr);
	}
	a->nvcsw = thread_nvcsw() - start;
	a->error = ret;
	return NULL;
}

/* Join @name as @member and serve it in a new thread. */
static inline int agent_start(struct agent *a, const char *name, int member,
			      enum agent_mode mode)
{
	memset(a, 0, sizeof(*a));
	a->member = member;
	a->mode = mode;
	a->fd = fanout_test_agent(name, member);
	if (a->fd < 0)
		return a->fd;
	return -pthread_create(&a->thread, NULL, agent_loop, a);
}

/* Start @n echoing agents, members 0..n-1. */
static inline int agents_start(struct agent *a, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		int ret = agent_start(&a[i], name, i, AGENT_ECHO);

		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Stop echoing agents: destroying the group ends their receive with
 * -EIDRM. Then join and close them.
 */
static inline void agents_stop(struct agent *a, int n, int owner_fd,
			       const char *name)
{
	fanout_group_destroy(owner_fd, name);
	for (int i = 0; i < n; i++) {
		pthread_join(a[i].thread, NULL);
		fanout_close(a[i].fd);
	}
}

/* Result entries with one reply buffer each. */
struct results {
	int n;
	struct fanout_result *res;
	char (*buf)[AGENT_BUF + 16];
};

static inline void results_init(struct results *r, int n)
{
	r->n = n;
	r->res = calloc(n, sizeof(*r->res));
	r->buf = calloc(n, sizeof(*r->buf));
	for (int i = 0; i < n; i++) {
		r->res[i].reply_buf = (unsigned long)r->buf[i];
		r->res[i].reply_buf_len = sizeof(r->buf[i]);
	}
}

static inline void results_free(struct results *r)
{
	free(r->res);
	free(r->buf);
}

/* A call to every member up, reading all results and releasing. */
static inline void call_init(struct fanout_call *c, struct results *r,
			     const void *payload, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->send.payload = (unsigned long)payload;
	c->send.payload_len = len;
	c->results.results = (unsigned long)r->res;
	c->results.count = r->n;
	c->results.flags = FANOUT_RESULTS_RELEASE;
}

#endif /* FANOUT_AGENTS_H */
