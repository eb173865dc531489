// SPDX-License-Identifier: MIT
/*
 * state_agent: an agent that serves requests and keeps its member at the
 * group's expected state. It confirms when a broadcast shows it behind,
 * and checks after every request; a missed broadcast is caught up from
 * the next one (level-triggered). Without CAP_NET_ADMIN it cannot listen
 * to broadcasts and asks the device once a second instead.
 *
 *   state_agent GROUP [MEMBER]
 *
 * Build: cc state_agent.c $(pkg-config --cflags --libs fanout)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <libfanout_status.h>

/* Bring this agent to state @code: here, just say so. */
static int reach(__u64 generation, __u32 code, const void *blob,
		 __u32 blob_len, void *arg)
{
	(void)arg;
	printf("state %u (generation %llu, blob \"%.*s\")\n", code,
	       (unsigned long long)generation, (int)blob_len,
	       (const char *)blob);
	return 0;
}

/* Answer one request with an empty reply. */
static int serve(int fd)
{
	char buf[4096];
	struct fanout_recv r = {
		.buf = (unsigned long)buf,
		.buf_len = sizeof(buf),
		.flags = FANOUT_RECV_NONBLOCK,
	};
	struct fanout_reply rep = { 0 };
	int ret = fanout_recv(fd, &r);

	if (ret)
		return ret == -EAGAIN ? 0 : ret;
	rep.id = r.id;
	return fanout_reply(fd, &rep);
}

int main(int argc, char **argv)
{
	struct fanout_agent_sync sync = { .reach = reach };
	struct epoll_event ev = { .events = EPOLLIN };
	struct fanout_status_sock *s = NULL;
	struct fanout_status *st;
	int fd, ep, ret, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GROUP [MEMBER]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a line at a time, piped too */
	fd = fanout_open(0);
	if (fd < 0 || (ret = fanout_group_open(fd, argv[1])) < 0 ||
	    (ret = fanout_join(fd, argc > 2 ? strtoul(argv[2], NULL, 0) :
					     FANOUT_MEMBER_ANY)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(fd < 0 ? -fd : -ret));
		return 1;
	}
	sync.fd = fd;
	sync.member = ret;
	snprintf(sync.group, sizeof(sync.group), "%s", argv[1]);
	printf("member %u of %s\n", sync.member, sync.group);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	if (!fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE |
				    FANOUT_STATUS_NONBLOCK)) {
		ev.data.fd = fanout_status_fd(s);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	/* Catch up with whatever was set before we came. */
	ret = fanout_agent_sync(&sync, NULL);
	while (ret >= 0) {
		n = epoll_wait(ep, &ev, 1, s ? -1 : 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {			/* polling without broadcasts */
			ret = n < 0 ? -errno : fanout_agent_sync(&sync, NULL);
		} else if (ev.data.fd == fd) {	/* a request */
			ret = serve(fd);
			if (!ret)
				ret = fanout_agent_sync(&sync, NULL);
		} else {			/* broadcasts */
			while (!(ret = fanout_status_recv(s, &st))) {
				ret = fanout_agent_sync(&sync, st);
				fanout_status_free(st);
				if (ret < 0)
					break;
			}
			if (ret == -EAGAIN || ret == -ENOBUFS)
				ret = 0;	/* the next one shows the gap */
		}
	}
	fprintf(stderr, "state_agent: %s\n", strerror(-ret));
	fanout_status_close(s);
	fanout_close(fd);
	return 1;
}
