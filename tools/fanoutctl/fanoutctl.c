// SPDX-License-Identifier: GPL-2.0
/*
 * fanoutctl: show the fanout groups of this network namespace over the
 * generic netlink family "fanout", set and wait for their expected state.
 * A table for people, -j for JSON. See fanoutctl(8).
 *
 * Uses only libfanout's public API (<libfanout_status.h> for the
 * netlink queries and broadcasts, <libfanout.h> for the state ioctls).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfanout_status.h>

#include "out.h"

static const char *const reasons[] = {
	[FANOUT_REASON_PERIODIC] = "periodic",
	[FANOUT_REASON_STATE_SET] = "state-set",
	[FANOUT_REASON_MEMBER_UP] = "member-up",
	[FANOUT_REASON_MEMBER_DOWN] = "member-down",
	[FANOUT_REASON_DEADLINE_HALF] = "deadline-half",
	[FANOUT_REASON_QUERY] = "query",
	[FANOUT_REASON_CONVERGED] = "converged",
};

/* The wait-state limit in ms (-t), 0 for none. */
static unsigned long timeout_ms;

static int fail(struct fanout_status_sock *s, const char *what, int err)
{
	const char *ext = s ? fanout_status_errmsg(s) : "";

	fprintf(stderr, "fanoutctl: %s: %s%s%s\n", what, strerror(-err),
		*ext ? ": " : "", ext);
	return 1;
}

static struct fanout_status_sock *sock_open(unsigned int flags)
{
	struct fanout_status_sock *s;
	int ret = fanout_status_open(&s, flags);

	if (ret) {
		fail(NULL, ret == -EPROTONOSUPPORT ?
		     "netlink family fanout (module not loaded?)" :
		     "netlink", ret);
		exit(1);
	}
	return s;
}

static const char *reason_name(__u32 r)
{
	return r < sizeof(reasons) / sizeof(reasons[0]) && reasons[r] ?
	       reasons[r] : "unknown";
}

static void print_group_fields(const struct fanout_status_group *g)
{
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", g->mode & 07777);
	out_str("name", g->name);
	out_u64("members", g->max_members);
	out_u64("up", g->members_up);
	out_u64("confirmed", g->nconfirmed);
	out_u64("generation", g->generation);
	out_u64("code", g->code);
	out_u64("pending", g->npending);
	out_u64("redeliver", g->nredeliver);
	out_str("mode", mode);
	out_u64("uid", g->uid);
	out_u64("gid", g->gid);
}

static int cmd_groups(struct fanout_status_sock *s)
{
	struct fanout_status_group *g;
	int i, n = fanout_status_groups(s, NULL, &g);

	if (n < 0)
		return fail(s, "groups", n);
	out_list_begin("groups");
	for (i = 0; i < n; i++) {
		out_row_begin();
		print_group_fields(&g[i]);
		out_row_end();
	}
	out_list_end();
	free(g);
	return 0;
}

static void print_pending_rows(const struct fanout_status *st)
{
	const struct fanout_status_pending *p;
	unsigned int bits;
	__u32 i;

	out_list_begin("pending");
	for (i = 0; i < st->npending; i++) {
		p = &st->pending[i];
		bits = p->words * 64;
		out_row_begin();
		out_u64("id", p->id);
		out_uuid("uuid", p->uuid);
		out_u64("targets", p->ntargets);
		out_u64("open", p->nopen);
		out_u64("deadline_ms", p->deadline_ms);
		out_bitmap("members", p->members, bits);
		out_bitmap("redeliver", p->redeliver, bits);
		out_row_end();
	}
	out_list_end();
}

static int cmd_group(struct fanout_status_sock *s, const char *name)
{
	struct fanout_status_group *g;
	struct fanout_status *st;
	int n = fanout_status_groups(s, name, &g);

	if (n < 0)
		return fail(s, name, n);
	n = fanout_status_get(s, name, &st);
	if (n < 0) {
		free(g);
		return fail(s, name, n);
	}
	out_record_begin(NULL);
	print_group_fields(g);
	out_u64("max_pending", g->max_pending);
	out_u64("max_queue", g->max_queue);
	out_u64("max_queues", g->max_queues);
	out_u64("deadline_ms", g->deadline_ms);
	out_u64("interval_ms", g->interval_ms);
	out_hex("flags", g->flags);
	out_bytes("blob", st->blob, st->blob_len);
	out_bitmap("members_up", st->up, st->max_members);
	out_bitmap("members_confirmed", st->confirmed, st->max_members);
	out_u64("seq", st->seq);
	print_pending_rows(st);
	out_record_end();
	fanout_status_free(st);
	free(g);
	return 0;
}

static int cmd_members(struct fanout_status_sock *s, const char *name)
{
	struct fanout_status_member *m;
	int i, n = fanout_status_members(s, name, &m);

	if (n < 0)
		return fail(s, name, n);
	out_list_begin("members");
	for (i = 0; i < n; i++) {
		out_row_begin();
		out_u64("member", m[i].index);
		out_u64("agents", m[i].agents);
		out_u64("confirmed_gen", m[i].confirmed_gen);
		out_u64("queued", m[i].queued);
		out_u64("busy_queues", m[i].busy_queues);
		out_u64("redeliver", m[i].redeliver);
		out_row_end();
	}
	out_list_end();
	free(m);
	return 0;
}

static int cmd_pending(struct fanout_status_sock *s, const char *name)
{
	struct fanout_status *st;
	int ret = fanout_status_pending(s, name, &st);

	if (ret < 0)
		return fail(s, name, ret);
	print_pending_rows(st);
	fanout_status_free(st);
	return 0;
}

static int cmd_queues(struct fanout_status_sock *s, const char *name)
{
	struct fanout_status_queue *q;
	int i, n = fanout_status_queues(s, name, &q);

	if (n < 0)
		return fail(s, name, n);
	out_list_begin("queues");
	for (i = 0; i < n; i++) {
		out_row_begin();
		out_u64("member", q[i].member);
		out_uuid("uuid", q[i].uuid);
		out_u64("queued", q[i].queued);
		out_u64("taken", q[i].taken);
		out_u64("agent_pid", q[i].agent_pid);
		out_row_end();
	}
	out_list_end();
	free(q);
	return 0;
}

static void print_stats_fields(const char *name,
			       const struct fanout_group_stats *st)
{
	out_str("name", name);
	out_u64("requests", st->requests);
	out_u64("replies", st->replies);
	out_u64("failures", st->failures);
	out_u64("dup_replies", st->dup_replies);
	out_u64("stale_replies", st->stale_replies);
	out_u64("pending", st->pending);
	out_u64("members_up", st->members_up);
	out_u64("amqs_busy", st->amqs_busy);
	out_u64("amqs_free", st->amqs_free);
	out_u64("backlog", st->backlog);
	out_u64("confirms", st->confirms);
	out_u64("dup_confirms", st->dup_confirms);
	out_u64("stale_confirms", st->stale_confirms);
	out_u64("redelivered", st->redelivered);
}

/* stats NAME: one record; stats: one row per group. */
static int cmd_stats(struct fanout_status_sock *s, const char *name)
{
	struct fanout_group_stats st;
	struct fanout_status_group *g;
	int i, n, ret;

	if (name) {
		ret = fanout_status_stats(s, name, &st);
		if (ret < 0)
			return fail(s, name, ret);
		out_record_begin(NULL);
		print_stats_fields(name, &st);
		out_record_end();
		return 0;
	}
	n = fanout_status_groups(s, NULL, &g);
	if (n < 0)
		return fail(s, "groups", n);
	out_list_begin("stats");
	for (i = 0; i < n; i++) {
		ret = fanout_status_stats(s, g[i].name, &st);
		/* A group destroyed meanwhile is left out. */
		if (ret == -ENOENT)
			continue;
		if (ret < 0) {
			ret = fail(s, g[i].name, ret);
			free(g);
			return ret;
		}
		out_row_begin();
		print_stats_fields(g[i].name, &st);
		out_row_end();
	}
	out_list_end();
	free(g);
	return 0;
}

/* An endpoint bound to group @name; exits on failure. */
static int endpoint(const char *name)
{
	int fd = fanout_open(0), ret;

	if (fd < 0) {
		fail(NULL, FANOUT_DEVICE_PATH, fd);
		exit(1);
	}
	ret = fanout_group_open(fd, name);
	if (ret) {
		fail(NULL, name, ret);
		exit(1);
	}
	return fd;
}

static int cmd_set_state(const char *name, const char *code, const char *blob)
{
	unsigned long c;
	__u64 generation;
	char *end;
	int fd, ret;

	errno = 0;
	c = strtoul(code, &end, 0);
	if (errno || *end || !*code || c > UINT32_MAX) {
		fprintf(stderr, "fanoutctl: bad state code '%s'\n", code);
		return 2;
	}
	fd = endpoint(name);
	ret = fanout_state_set(fd, c, blob, blob ? strlen(blob) : 0,
			       &generation);
	fanout_close(fd);
	if (ret)
		return fail(NULL, name, ret);
	out_record_begin(NULL);
	out_str("name", name);
	out_u64("generation", generation);
	out_u64("code", c);
	out_record_end();
	return 0;
}

static int cmd_wait_state(const char *name)
{
	__u64 up[FANOUT_MEMBERS_MAX / 64], confirmed[FANOUT_MEMBERS_MAX / 64];
	struct fanout_state_wait w = {
		.bitmap_bits = FANOUT_MEMBERS_MAX,
		.up = (unsigned long)up,
		.confirmed = (unsigned long)confirmed,
	};
	int fd = endpoint(name), ret;

	if (timeout_ms) {
		w.flags = FANOUT_STATE_WAIT_TIMEOUT;
		w.timeout_ns = timeout_ms * 1000000ULL;
	}
	ret = fanout_state_wait(fd, &w);
	fanout_close(fd);
	if (ret && ret != -ETIME)
		return fail(NULL, name, ret);
	out_record_begin(NULL);
	out_str("name", name);
	out_u64("generation", w.generation);
	out_u64("code", w.code);
	out_str("result", ret ? "timeout" : "confirmed");
	out_u64("up", w.nup);
	out_u64("confirmed", w.nconfirmed);
	out_bitmap("members_up", up, w.members);
	out_bitmap("members_confirmed", confirmed, w.members);
	out_record_end();
	return ret ? 3 : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_broadcast(const struct fanout_status *st)
{
	out_line_begin();
	out_str("group", st->group);
	out_u64("seq", st->seq);
	out_str("reason", reason_name(st->reason));
	out_u64("generation", st->generation);
	out_u64("code", st->code);
	out_u64("up", st->members_up);
	out_u64("confirmed", st->nconfirmed);
	out_u64("pending", st->npending);
	out_u64("redeliver", st->nredeliver);
	out_u64("parts", st->parts);
	out_u64("lost", st->lost);
	out_bitmap("members_up", st->up, st->max_members);
	out_bitmap("members_confirmed", st->confirmed, st->max_members);
	out_line_end();
}

/* Broadcasts as they come, one line each, until a signal. */
static int cmd_monitor(const char *name)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct fanout_status_sock *s = sock_open(FANOUT_STATUS_SUBSCRIBE);
	struct fanout_status *st;
	int ret = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		ret = fanout_status_recv(s, &st);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "fanoutctl: broadcasts lost\n");
			continue;
		}
		if (ret)
			break;
		if (!name || !strcmp(name, st->group))
			print_broadcast(st);
		fanout_status_free(st);
	}
	fanout_status_close(s);
	if (ret && !(ret == -EINTR && stop))
		return fail(NULL, "monitor", ret);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fanoutctl [-j] [-t MS] COMMAND\n"
		"  groups                    every group (CAP_NET_ADMIN)\n"
		"  group NAME                a group's options and status\n"
		"  members NAME              its members\n"
		"  pending NAME              its requests waiting for members\n"
		"  queues NAME               its busy agent message queues\n"
		"  stats [NAME]              counters of a group, or of all\n"
		"  set-state NAME CODE [BLOB]  set the expected state\n"
		"  wait-state NAME           wait until every up member confirmed\n"
		"  monitor [NAME]            status broadcasts, one line each\n");
}

/* The commands that query over netlink with one group name argument. */
static const struct {
	const char *name;
	int (*fn)(struct fanout_status_sock *s, const char *group);
} queries[] = {
	{ "group", cmd_group },
	{ "members", cmd_members },
	{ "pending", cmd_pending },
	{ "queues", cmd_queues },
};

int main(int argc, char **argv)
{
	struct fanout_status_sock *s;
	const char *cmd;
	unsigned int i;
	int opt, argn, ret;
	char *end;

	while ((opt = getopt(argc, argv, "+jt:h")) != -1) {
		switch (opt) {
		case 'j':
			out_json = true;
			break;
		case 't':
			errno = 0;
			timeout_ms = strtoul(optarg, &end, 0);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "fanoutctl: bad timeout '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argv += optind + 1;
	argn = argc - optind - 1;

	if (!strcmp(cmd, "set-state") && (argn == 2 || argn == 3))
		return cmd_set_state(argv[0], argv[1], argn == 3 ? argv[2] : NULL);
	if (!strcmp(cmd, "wait-state") && argn == 1)
		return cmd_wait_state(argv[0]);
	if (!strcmp(cmd, "monitor") && argn <= 1)
		return cmd_monitor(argn ? argv[0] : NULL);
	if ((!strcmp(cmd, "groups") && !argn) ||
	    (!strcmp(cmd, "stats") && argn <= 1)) {
		s = sock_open(0);
		ret = cmd[0] == 'g' ? cmd_groups(s) :
				      cmd_stats(s, argn ? argv[0] : NULL);
		fanout_status_close(s);
		return ret;
	}
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		if (strcmp(cmd, queries[i].name) || argn != 1)
			continue;
		s = sock_open(0);
		ret = queries[i].fn(s, argv[0]);
		fanout_status_close(s);
		return ret;
	}
	usage(stderr);
	return 2;
}
