// SPDX-License-Identifier: MIT
/*
 * status_monitor: print the status broadcasts of the fanout groups of
 * this network namespace as they arrive, from an epoll loop. Needs
 * CAP_NET_ADMIN (the multicast group "status").
 *
 *   status_monitor [GROUP]
 *
 * Build: cc status_monitor.c $(pkg-config --cflags --libs fanout)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include <libfanout_status.h>

static void show(const struct fanout_status *st)
{
	unsigned int m, late = 0;

	printf("%s seq %u gen %llu code %u: %u up, %u confirmed, %u pending",
	       st->group, st->seq, (unsigned long long)st->generation,
	       st->code, st->members_up, st->nconfirmed, st->npending);
	/* Who is up and has not confirmed the current state? */
	for (m = 0; m < st->max_members; m++)
		if (fanout_bitmap_test(st->up, st->words, m) &&
		    !fanout_bitmap_test(st->confirmed, st->words, m))
			printf("%s%u", late++ ? "," : "; behind: ", m);
	if (st->lost)
		printf(" (%u broadcasts lost before)", st->lost);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct fanout_status_sock *s;
	struct fanout_status *st;
	int ep, ret;

	ret = fanout_status_open(&s, FANOUT_STATUS_SUBSCRIBE |
				     FANOUT_STATUS_NONBLOCK);
	if (ret) {
		fprintf(stderr, "status_monitor: %s\n", strerror(-ret));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fanout_status_fd(s), &ev)) {
		perror("epoll");
		return 1;
	}
	for (;;) {
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			break;
		}
		/* Everything complete that is there, then wait again. */
		while (!(ret = fanout_status_recv(s, &st))) {
			if (argc < 2 || !strcmp(argv[1], st->group))
				show(st);
			fanout_status_free(st);
		}
		if (ret == -ENOBUFS)
			fprintf(stderr, "status_monitor: broadcasts lost\n");
		else if (ret != -EAGAIN)
			break;
	}
	fprintf(stderr, "status_monitor: %s\n", strerror(-ret));
	fanout_status_close(s);
	return 1;
}
