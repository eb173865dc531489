// SPDX-License-Identifier: MIT
/*
 * set-state: set the expected state of a group and wait until every
 * member that is up confirmed it (a member that goes down stops holding
 * the wait); on a timeout, print the members still behind.
 *
 *   set-state GROUP CODE [TEXT] [TIMEOUT_S]
 *
 * The agents confirm with fanout_confirm(fd, generation) once they are
 * in the state (see fanout_state_get(3) and the status broadcasts).
 *
 * Build: cc set-state.c $(pkg-config --cflags --libs fanout)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout.h>

int main(int argc, char **argv)
{
	__u64 up[FANOUT_MEMBERS_MAX / 64], conf[FANOUT_MEMBERS_MAX / 64];
	const char *text = argc > 3 ? argv[3] : "";
	struct fanout_state_wait w;
	__u64 gen;
	int fd, ret;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s GROUP CODE [TEXT] [TIMEOUT_S]\n",
			argv[0]);
		return 2;
	}
	fd = fanout_open(0);
	if (fd < 0 || (ret = fanout_group_open(fd, argv[1])) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(fd < 0 ? -fd : -ret));
		return 1;
	}
	ret = fanout_state_set(fd, strtoul(argv[2], NULL, 0), text,
			       strlen(text), &gen);
	if (ret) {
		fprintf(stderr, "set-state: %s\n", strerror(-ret));
		return 1;
	}
	memset(&w, 0, sizeof(w));
	w.generation = gen;
	w.bitmap_bits = FANOUT_MEMBERS_MAX;
	w.up = (unsigned long)up;
	w.confirmed = (unsigned long)conf;
	if (argc > 4) {
		w.flags = FANOUT_STATE_WAIT_TIMEOUT;
		w.timeout_ns = strtoull(argv[4], NULL, 0) * 1000000000ULL;
	}
	ret = fanout_state_wait(fd, &w);
	printf("generation %llu: %u of %u members up confirmed (%s)\n",
	       (unsigned long long)gen, w.nconfirmed, w.nup,
	       ret ? strerror(-ret) : "converged");
	for (unsigned int m = 0; m < w.members; m++)
		if ((up[m / 64] >> (m % 64) & 1) && !(conf[m / 64] >> (m % 64) & 1))
			printf("member %u: up, not confirmed\n", m);
	fanout_close(fd);
	return ret ? 1 : 0;
}
