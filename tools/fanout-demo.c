// SPDX-License-Identifier: MIT
/*
 * fanout-demo: shows a newcomer what fanout does, inside the test guest.
 */
#include <stdio.h>
#include <string.h>

#include "libfanout.h"

int main(void)
{
	struct fanout_version v;
	int fd, ret;

	fd = fanout_open(0);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", FANOUT_DEVICE_PATH,
			strerror(-fd));
		return 1;
	}
	ret = fanout_version(fd, &v);
	if (ret < 0) {
		fprintf(stderr, "version: %s\n", strerror(-ret));
		return 1;
	}
	printf("fanout ABI %u: up to %u members per group, payloads up to %u bytes,\n"
	       "%u pending requests per group by default\n",
	       v.abi_version, v.max_members, v.max_payload, v.max_pending);
	fanout_close(fd);
	return 0;
}
