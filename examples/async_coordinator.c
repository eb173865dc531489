// SPDX-License-Identifier: MIT
/*
 * async_coordinator: keep INFLIGHT calls to every member of a group in
 * flight from one thread, COUNT in all, through a ring libfanout owns,
 * and print how many targets replied to each.
 *
 *   async_coordinator GROUP [COUNT [INFLIGHT]]
 *
 * Build: cc async_coordinator.c $(pkg-config --cflags --libs fanout)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout_uring.h>

/* One call: the structure must stay valid until its CQE. */
struct call {
	struct fanout_call c;
	char payload[32];
	int seq;
};

/* Start call @seq in @slot on @ring. */
static int start(struct fanout_uring *ring, int fd, struct call *slot,
		 int seq)
{
	memset(slot, 0, sizeof(*slot));
	slot->seq = seq;
	snprintf(slot->payload, sizeof(slot->payload), "request %d", seq);
	slot->c.send.payload = (unsigned long)slot->payload;
	slot->c.send.payload_len = strlen(slot->payload);
	/* Read no result entries, but release the request. */
	slot->c.results.flags = FANOUT_RESULTS_RELEASE;
	return fanout_uring_queue(ring, fd, FANOUT_IOC_CALL, &slot->c, slot);
}

int main(int argc, char **argv)
{
	int count = argc > 2 ? atoi(argv[2]) : 1000;
	int inflight = argc > 3 ? atoi(argv[3]) : 64;
	int fd, ret, started = 0, done = 0;
	struct fanout_uring *ring;
	struct call *slots;

	if (argc < 2 || count <= 0 || inflight <= 0) {
		fprintf(stderr, "usage: %s GROUP [COUNT [INFLIGHT]]\n",
			argv[0]);
		return 2;
	}
	fd = fanout_open(0);
	ret = fd < 0 ? fd : fanout_group_open(fd, argv[1]);
	if (!ret)
		ret = fanout_uring_open(inflight, &ring);
	slots = calloc(inflight, sizeof(*slots));
	if (ret < 0 || !slots) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	for (; started < inflight && started < count; started++)
		start(ring, fd, &slots[started], started);
	while (done < count) {
		struct call *slot = NULL;

		fanout_uring_submit(ring);
		ret = fanout_uring_complete(ring, 1, (void **)&slot);
		if (!slot) {
			fprintf(stderr, "ring: %s\n", strerror(-ret));
			break;
		}
		done++;
		if (ret < 0)
			printf("call %d: %s\n", slot->seq, strerror(-ret));
		else
			printf("call %d: %u of %u replied\n", slot->seq,
			       slot->c.results.nreplied,
			       slot->c.results.ntargets);
		/* Its slot takes the next call. */
		if (started < count)
			start(ring, fd, slot, started++);
	}
	fanout_uring_close(ring);
	fanout_close(fd);
	free(slots);
	return 0;
}
