// SPDX-License-Identifier: MIT
/*
 * agent: serve one member of a group, answering each request with its
 * payload in upper case. One system call per request once busy.
 *
 *   agent GROUP [MEMBER]
 *
 * Build: cc agent.c $(pkg-config --cflags --libs fanout)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout.h>

int main(int argc, char **argv)
{
	unsigned int member = argc > 2 ? strtoul(argv[2], NULL, 0) :
					 FANOUT_MEMBER_ANY;
	char in[4096], out[4096];
	struct fanout_reply_recv rr;
	int fd, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GROUP [MEMBER]\n", argv[0]);
		return 2;
	}
	fd = fanout_open(0);
	if (fd < 0 || (ret = fanout_group_open(fd, argv[1])) < 0 ||
	    (ret = fanout_join(fd, member)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(fd < 0 ? -fd : -ret));
		return 1;
	}
	printf("serving member %d of %s\n", ret, argv[1]);

	memset(&rr, 0, sizeof(rr));
	rr.recv.buf = (unsigned long)in;
	rr.recv.buf_len = sizeof(in);
	ret = fanout_recv(fd, &rr.recv);
	while (!ret) {
		for (unsigned int i = 0; i < rr.recv.len; i++)
			out[i] = toupper((unsigned char)in[i]);
		memset(&rr.reply, 0, sizeof(rr.reply));
		rr.reply.id = rr.recv.id;
		rr.reply.buf = (unsigned long)out;
		rr.reply.len = rr.recv.len;
		memset(&rr.recv, 0, sizeof(rr.recv));
		rr.recv.buf = (unsigned long)in;
		rr.recv.buf_len = sizeof(in);
		/* Answer this request and wait for the next in one call. */
		ret = fanout_reply_recv(fd, &rr);
	}
	fprintf(stderr, "agent: %s\n", strerror(-ret));
	fanout_close(fd);
	return 0;
}
