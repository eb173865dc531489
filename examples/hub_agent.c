// SPDX-License-Identifier: MIT
/*
 * hub_agent: one process, one thread, serving COUNT members of a group
 * through a hub: an agent endpoint per member, all attached to one hub
 * endpoint, and one serve at a time on an io_uring ring, which sends the
 * replies to the requests the previous serve received and takes the next
 * ones (payload in upper case). Unlike multi_agent.c, one command serves
 * every member, however many there are.
 *
 *   hub_agent GROUP COUNT
 *
 * Build: cc hub_agent.c $(pkg-config --cflags --libs fanout)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout_uring.h>

#define MAX_MSGS 64

int main(int argc, char **argv)
{
	/* The serve's arrays and buffer: valid until its CQE. */
	static struct fanout_hub_reply rep[MAX_MSGS];
	static struct fanout_hub_msg msg[MAX_MSGS];
	static char buf[1 << 16];
	/* The replies: the payloads in buf are read, not changed. */
	static char out[1 << 16];
	size_t used;
	struct fanout_hub_serve serve;
	struct io_uring ring;
	unsigned int nrep = 0;
	int hub, count, live, ret;

	if (argc < 3 || (count = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s GROUP COUNT\n", argv[0]);
		return 2;
	}
	hub = fanout_open(0);
	ret = hub < 0 ? hub : io_uring_queue_init(4, &ring, 0);
	for (int i = 0; ret >= 0 && i < count; i++) {
		int fd = fanout_open(0);

		ret = fd < 0 ? fd : fanout_group_open(fd, argv[1]);
		if (!ret)
			ret = fanout_join(fd, FANOUT_MEMBER_ANY);
		if (ret >= 0)
			ret = fanout_hub_add(hub, fd);
		/* The hub holds the agent: its descriptor is not needed. */
		if (fd >= 0)
			fanout_close(fd);
	}
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("serving %d members of %s\n", count, argv[1]);

	for (live = count; live;) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;

		memset(&serve, 0, sizeof(serve));
		serve.replies = (unsigned long)rep;
		serve.nreplies = nrep;
		serve.msgs = (unsigned long)msg;
		serve.nmsgs = MAX_MSGS;
		serve.buf = (unsigned long)buf;
		serve.buf_len = sizeof(buf);
		fanout_prep_hub_serve(sqe, hub, &serve);
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 || (ret = io_uring_wait_cqe(&ring, &cqe)) < 0)
			break;
		ret = fanout_cqe_decode(cqe, NULL);
		io_uring_cqe_seen(&ring, cqe);
		for (unsigned int i = 0; i < serve.replied; i++)
			if (rep[i].result)
				fprintf(stderr, "reply to slot %u: %s\n",
					rep[i].slot, strerror(-rep[i].result));
		if (ret < 0) {
			fprintf(stderr, "serve: %s\n", strerror(-ret));
			break;
		}
		nrep = 0;
		used = 0;
		for (unsigned int i = 0; i < serve.nmsgs; i++) {
			struct fanout_hub_msg *m = &msg[i];
			/* Targets of one request may share one copy. */
			const char *in = buf + m->offset;
			char *p = out + used;

			if (m->error) {
				/* The group is gone, or the member left. */
				fprintf(stderr, "slot %u: %s\n", m->slot,
					strerror(-m->error));
				live--;
				continue;
			}
			/* Fits: out is as large as buf. */
			for (unsigned int j = 0; j < m->len; j++)
				p[j] = toupper((unsigned char)in[j]);
			used += m->len;
			rep[nrep++] = (struct fanout_hub_reply){
				.id = m->id,
				.slot = m->slot,
				.buf = (unsigned long)p,
				.len = m->len,
			};
		}
	}
	io_uring_queue_exit(&ring);
	fanout_close(hub);
	return ret < 0 ? 1 : 0;
}
