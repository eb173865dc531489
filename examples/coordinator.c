// SPDX-License-Identifier: MIT
/*
 * coordinator: fan one message out to every agent of a group and print
 * each answer or failure notice.
 *
 *   coordinator GROUP MESSAGE
 *
 * Build: cc coordinator.c $(pkg-config --cflags --libs fanout)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout.h>

#define MAX_TARGETS 64

int main(int argc, char **argv)
{
	static char replies[MAX_TARGETS][256];
	struct fanout_result res[MAX_TARGETS];
	struct fanout_call call;
	int fd, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s GROUP MESSAGE\n", argv[0]);
		return 2;
	}
	fd = fanout_open(0);
	if (fd < 0 || (ret = fanout_group_open(fd, argv[1])) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(fd < 0 ? -fd : -ret));
		return 1;
	}
	memset(res, 0, sizeof(res));
	for (int i = 0; i < MAX_TARGETS; i++) {
		res[i].reply_buf = (unsigned long)replies[i];
		res[i].reply_buf_len = sizeof(replies[i]) - 1;
	}
	memset(&call, 0, sizeof(call));
	call.send.payload = (unsigned long)argv[2];
	call.send.payload_len = strlen(argv[2]);
	call.wait.mode = FANOUT_WAIT_ALL;
	call.results.results = (unsigned long)res;
	call.results.count = MAX_TARGETS;
	call.results.flags = FANOUT_RESULTS_RELEASE;

	/* Send, sleep until every agent answered or failed, read: one call. */
	ret = fanout_call(fd, &call);
	if (ret) {
		fprintf(stderr, "call: %s\n", strerror(-ret));
		return 1;
	}
	for (unsigned int i = 0; i < call.results.count; i++) {
		if (res[i].state == FANOUT_TARGET_REPLIED)
			printf("member %u: %.*s\n", res[i].member,
			       (int)res[i].reply_len, replies[i]);
		else
			printf("member %u: failed: %s\n", res[i].member,
			       strerror(-res[i].status));
	}
	fanout_close(fd);
	return 0;
}
