// SPDX-License-Identifier: MIT
/*
 * libfanout status: the agent helper. Level-triggered: whatever told the
 * agent to look (a broadcast, a request, a timer), it compares the
 * expected state with the one it reached and, when behind, brings the
 * agent there (the caller's callback) and confirms. A missed broadcast
 * costs nothing: the next one, or the next look, shows the same gap.
 * The struct fanout_agent_sync is the caller's; no shared state here.
 */
#include <errno.h>
#include <string.h>

#include "status_int.h"

/* The expected state to reach. */
struct fanout_want {
	__u64 generation;
	__u32 code;
	__u32 blob_len;
	const void *blob;
};

/* Bring the agent to @w and confirm it. 1: confirmed, 0: nothing new. */
static int fanout_agent_reach(struct fanout_agent_sync *a,
			      const struct fanout_want *w)
{
	int ret;

	if (!w->generation)
		return 0;		/* no state set yet */
	if (w->generation != a->generation) {
		ret = a->reach(w->generation, w->code, w->blob, w->blob_len,
			       a->arg);
		if (ret)
			return ret;
		/* Reached, whether or not the confirmation still counts. */
		a->generation = w->generation;
	}
	ret = fanout_confirm(a->fd, w->generation);
	if (ret && ret != -EALREADY)
		return ret;		/* -ESTALE: a newer state was set */
	a->confirms += !ret;
	return !ret;
}

/* The current expected state, read with the state ioctl. */
static int fanout_agent_current(struct fanout_agent_sync *a, void *blob,
				struct fanout_want *w)
{
	struct fanout_state s = {
		.blob = (unsigned long)blob,
		.blob_len = FANOUT_STATE_BLOB_MAX,
	};
	int ret = fanout_state_get(a->fd, &s);

	if (ret)
		return ret;
	w->generation = s.generation;
	w->code = s.code;
	w->blob = blob;
	w->blob_len = s.blob_len;
	return 0;
}

FANOUT_API int fanout_agent_sync(struct fanout_agent_sync *a,
				 const struct fanout_status *st)
{
	unsigned char blob[FANOUT_STATE_BLOB_MAX];
	struct fanout_want w;
	int ret, tries;

	if (!a->reach)
		return -EINVAL;
	if (st) {
		if (strcmp(st->group, a->group))
			return 0;	/* another group's */
		/* Older than what the agent reached: ask the device. */
		if (st->generation < a->generation)
			goto current;
		/* Up to date: reached and the member's bit is set. */
		if (st->generation == a->generation &&
		    fanout_bitmap_test(st->confirmed, st->words, a->member))
			return 0;
		w.generation = st->generation;
		w.code = st->code;
		w.blob = st->blob;
		w.blob_len = st->blob_len;
		ret = fanout_agent_reach(a, &w);
		if (ret != -ESTALE)
			return ret;
	}
current:
	/*
	 * No broadcast, or it is outdated: ask the device. The current
	 * generation is confirmed even when the agent reached it before:
	 * its member may have gone down and come up since, which cleared
	 * its bit (-EALREADY otherwise, which costs one ioctl).
	 */
	for (tries = 0; tries < 8; tries++) {
		ret = fanout_agent_current(a, blob, &w);
		if (ret)
			return ret;
		ret = fanout_agent_reach(a, &w);
		if (ret != -ESTALE)
			return ret;
	}
	return -ESTALE;		/* states change faster than we follow */
}
