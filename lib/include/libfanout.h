/* SPDX-License-Identifier: MIT */
/*
 * libfanout: a thin C library over /dev/fanout.
 *
 * Every call returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure; errno itself is not touched.
 * The structures are those of <linux/fanout.h>; see fanout(7).
 */
#ifndef LIBFANOUT_H
#define LIBFANOUT_H

#include <linux/fanout.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the device node. */
#define FANOUT_DEVICE_PATH "/dev/fanout"

/* The device */
int fanout_open(int flags);
int fanout_close(int fd);
int fanout_version(int fd, struct fanout_version *version);

/* Groups: each endpoint (open file) binds to one group */
int fanout_group_create(int fd, const struct fanout_group_params *params);
int fanout_group_open(int fd, const char *name);
int fanout_group_destroy(int fd, const char *name);
int fanout_group_info(int fd, struct fanout_group_params *params);
int fanout_group_stats(int fd, struct fanout_group_stats *stats);

/* Agents */
int fanout_join(int fd, unsigned int member);
int fanout_leave(int fd);
int fanout_recv(int fd, struct fanout_recv *recv);
int fanout_reply(int fd, const struct fanout_reply *reply);
int fanout_reply_recv(int fd, struct fanout_reply_recv *rr);

/* Hubs: one endpoint serves many agent endpoints (LIBFANOUT_0.4) */
int fanout_hub_add(int hub_fd, int agent_fd);
int fanout_hub_serve(int hub_fd, struct fanout_hub_serve *serve);

/* Coordinators */
int fanout_send(int fd, struct fanout_send *send);
int fanout_wait(int fd, struct fanout_wait *wait);
int fanout_call(int fd, struct fanout_call *call);
int fanout_results(int fd, struct fanout_results *results);
int fanout_cancel(int fd, __u64 id);
int fanout_release(int fd, __u64 id);

/* Expected state (LIBFANOUT_0.2) */
int fanout_state_set(int fd, __u32 code, const void *blob, __u32 blob_len,
		     __u64 *generation);
int fanout_state_get(int fd, struct fanout_state *state);
int fanout_confirm(int fd, __u64 generation);
int fanout_state_wait(int fd, struct fanout_state_wait *wait);

#ifdef __cplusplus
}
#endif

#endif /* LIBFANOUT_H */
