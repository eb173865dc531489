// SPDX-License-Identifier: MIT
/*
 * multi_agent: one process, one thread, serving COUNT members of a group
 * through one io_uring ring: an endpoint per member, a reply-and-receive
 * pending on each, answered as its CQE comes in (payload in upper case).
 * hub_agent.c does the same with one command for all the members.
 *
 *   multi_agent GROUP COUNT
 *
 * Build: cc multi_agent.c $(pkg-config --cflags --libs fanout)
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout_uring.h>

/* One member: its endpoint and the buffers of its pending command. */
struct member {
	int fd;
	struct fanout_reply_recv rr;	/* must stay valid until its CQE */
	char in[4096];
	char out[4096];
};

/* Queue @m's next reply-and-receive (a reply when rr.reply.id is set). */
static void rearm(struct io_uring *ring, struct member *m)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	memset(&m->rr.recv, 0, sizeof(m->rr.recv));
	m->rr.recv.buf = (unsigned long)m->in;
	m->rr.recv.buf_len = sizeof(m->in);
	fanout_prep_reply_recv(sqe, m->fd, &m->rr);
	io_uring_sqe_set_data(sqe, m);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct member *ms;
	int count, live, ret;

	if (argc < 3 || (count = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s GROUP COUNT\n", argv[0]);
		return 2;
	}
	ms = calloc(count, sizeof(*ms));
	ret = io_uring_queue_init(count, &ring, 0);
	if (!ms || ret < 0) {
		fprintf(stderr, "setup: %s\n", strerror(ms ? -ret : ENOMEM));
		return 1;
	}
	for (int i = 0; i < count; i++) {
		ms[i].fd = fanout_open(0);
		ret = ms[i].fd < 0 ? ms[i].fd : fanout_group_open(ms[i].fd,
								  argv[1]);
		if (!ret)
			ret = fanout_join(ms[i].fd, FANOUT_MEMBER_ANY);
		if (ret < 0) {
			fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
			return 1;
		}
		rearm(&ring, &ms[i]);
	}
	printf("serving %d members of %s\n", count, argv[1]);

	for (live = count; live;) {
		struct io_uring_cqe *cqe;
		struct member *m;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 || (ret = io_uring_wait_cqe(&ring, &cqe)) < 0)
			break;
		ret = fanout_cqe_decode(cqe, (void **)&m);
		io_uring_cqe_seen(&ring, cqe);
		if (ret < 0) {
			/* The group is gone, or the member left: stop it. */
			fprintf(stderr, "member: %s\n", strerror(-ret));
			live--;
			continue;
		}
		for (unsigned int i = 0; i < m->rr.recv.len; i++)
			m->out[i] = toupper((unsigned char)m->in[i]);
		memset(&m->rr.reply, 0, sizeof(m->rr.reply));
		m->rr.reply.id = m->rr.recv.id;
		m->rr.reply.buf = (unsigned long)m->out;
		m->rr.reply.len = m->rr.recv.len;
		rearm(&ring, m);
	}
	io_uring_queue_exit(&ring);
	for (int i = 0; i < count; i++)
		fanout_close(ms[i].fd);
	free(ms);
	return 0;
}
