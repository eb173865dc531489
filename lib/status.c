// SPDX-License-Identifier: MIT
/*
 * libfanout status: the status socket, broadcasts reassembled from their
 * parts, and the queries of the family "fanout".
 *
 * A struct fanout_status_sock holds two netlink sockets: one for queries
 * (request and answer, nothing else arrives there) and, when subscribed,
 * one in the multicast group "status" whose fd the caller polls. It is
 * used by one thread at a time (no lock): the reassembly list and the
 * unread rest of the last datagram are its own.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "status_int.h"

/*
 * A group's broadcast being reassembled, and the sequence number of its
 * last complete one (to count lost broadcasts; before the first one
 * completes, the one before the first part 0 seen).
 */
struct fanout_asm {
	struct fanout_asm *next;
	char group[FANOUT_NAME_MAX];
	int have_seq;
	__u32 last_seq;
	__u32 next_part;
	struct fanout_status *st;	/* in progress, or NULL */
};

struct fanout_status_sock {
	struct fanout_nl *query;
	struct fanout_nl *mcast;	/* NULL unless subscribed */
	struct fanout_asm *asms;
	unsigned int rx_off, rx_len;	/* unread rest of mcast->rx */
};

static void fanout_asm_drop(struct fanout_asm *a)
{
	fanout_status_free(a->st);
	a->st = NULL;
}

static void fanout_asm_free_all(struct fanout_asm **list)
{
	struct fanout_asm *a;

	while ((a = *list)) {
		*list = a->next;
		fanout_asm_drop(a);
		free(a);
	}
}

static struct fanout_asm *fanout_asm_find(struct fanout_asm **list,
					  const char *group)
{
	struct fanout_asm *a;

	for (a = *list; a; a = a->next)
		if (!strcmp(a->group, group))
			return a;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->group, sizeof(a->group), "%s", group);
	a->next = *list;
	*list = a;
	return a;
}

/* Part 0: a new broadcast; one still incomplete was lost. */
static int fanout_asm_start(struct fanout_asm *a, fanout_tb_t tb)
{
	__u32 seq = mnl_attr_get_u32(tb[FANOUT_A_SEQ]);
	int ret;

	fanout_asm_drop(a);
	a->st = fanout_status_alloc();
	if (!a->st)
		return -ENOMEM;
	ret = fanout_parse_status_head(tb, a->st);
	if (ret) {
		fanout_asm_drop(a);
		return ret;
	}
	/* The first part seen of the group counts from there on. */
	if (!a->have_seq) {
		a->have_seq = 1;
		a->last_seq = seq - 1;
	}
	a->st->lost = seq - a->last_seq - 1;
	/* Backwards: a group of that name was created again, counting anew. */
	if (a->st->lost >= 1U << 31)
		a->st->lost = 0;
	a->next_part = 0;
	return 0;
}

/*
 * Feed one FANOUT_CMD_STATUS message. Returns 1 and the status in *done
 * when it was the last part of a broadcast, 0 when more parts are due,
 * -ENOBUFS when a part is missing (the broadcast is dropped; the next
 * one is whole), another negative errno when the message is invalid.
 */
static int fanout_asm_feed(struct fanout_asm **list,
			   const struct nlmsghdr *nlh,
			   struct fanout_status **done)
{
	fanout_tb_t tb;
	struct fanout_asm *a;
	__u32 part;
	int ret = fanout_parse_msg(nlh, tb);

	if (ret)
		return ret;
	if (!tb[FANOUT_A_SEQ] || !tb[FANOUT_A_PART])
		return -EPROTO;
	a = fanout_asm_find(list, mnl_attr_get_str(tb[FANOUT_A_GROUP_NAME]));
	if (!a)
		return -ENOMEM;
	part = mnl_attr_get_u32(tb[FANOUT_A_PART]);
	if (!part) {
		ret = fanout_asm_start(a, tb);
		if (ret)
			return ret;
	} else if (!a->st || a->next_part != part ||
		   a->st->seq != mnl_attr_get_u32(tb[FANOUT_A_SEQ])) {
		fanout_asm_drop(a);
		return -ENOBUFS;
	}
	ret = fanout_parse_pendings(nlh, a->st);
	if (ret) {
		fanout_asm_drop(a);
		return ret;
	}
	a->next_part++;
	a->st->parts++;
	if (!tb[FANOUT_A_LAST])
		return 0;
	a->last_seq = a->st->seq;
	*done = a->st;
	a->st = NULL;
	return 1;
}

FANOUT_API int fanout_status_open(struct fanout_status_sock **sockp,
				  unsigned int flags)
{
	struct fanout_status_sock *s;
	int ret = 0, fd;

	*sockp = NULL;
	if (flags & ~(FANOUT_STATUS_SUBSCRIBE | FANOUT_STATUS_NONBLOCK))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->query = fanout_nl_open(&ret);
	if (!s->query)
		goto fail;
	if (flags & FANOUT_STATUS_SUBSCRIBE) {
		s->mcast = fanout_nl_open(&ret);
		if (!s->mcast)
			goto fail;
		if (mnl_socket_setsockopt(s->mcast->sock,
					  NETLINK_ADD_MEMBERSHIP,
					  &s->mcast->status_grp,
					  sizeof(s->mcast->status_grp)) < 0) {
			ret = -errno;
			goto fail;
		}
		fd = mnl_socket_get_fd(s->mcast->sock);
		if ((flags & FANOUT_STATUS_NONBLOCK) &&
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
			ret = -errno;
			goto fail;
		}
	}
	*sockp = s;
	return 0;
fail:
	fanout_status_close(s);
	return ret;
}

FANOUT_API void fanout_status_close(struct fanout_status_sock *s)
{
	if (!s)
		return;
	if (s->query)
		fanout_nl_close(s->query);
	if (s->mcast)
		fanout_nl_close(s->mcast);
	fanout_asm_free_all(&s->asms);
	free(s);
}

FANOUT_API int fanout_status_fd(const struct fanout_status_sock *s)
{
	return s->mcast ? mnl_socket_get_fd(s->mcast->sock) : -ENOTCONN;
}

FANOUT_API const char *fanout_status_errmsg(const struct fanout_status_sock *s)
{
	return s->query->ext_msg;
}

/* Whether @nlh is a status message of the family. */
static int fanout_is_status(const struct fanout_nl *nl,
			    const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	return nlh->nlmsg_type == nl->family &&
	       mnl_nlmsg_get_payload_len(nlh) >= sizeof(*g) &&
	       g->cmd == FANOUT_CMD_STATUS;
}

/* Feed the unread messages of the last datagram until one completes. */
static int fanout_status_drain(struct fanout_status_sock *s,
			       struct fanout_status **statusp)
{
	const struct nlmsghdr *nlh;
	int len, ret = 0;

	while (s->rx_off < s->rx_len && ret != 1) {
		nlh = (const void *)(s->mcast->rx + s->rx_off);
		len = s->rx_len - s->rx_off;
		if (!mnl_nlmsg_ok(nlh, len)) {
			s->rx_off = s->rx_len = 0;
			return -EPROTO;
		}
		s->rx_off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (!fanout_is_status(s->mcast, nlh))
			continue;
		ret = fanout_asm_feed(&s->asms, nlh, statusp);
		if (ret < 0)
			return ret;
	}
	return ret;
}

FANOUT_API int fanout_status_recv(struct fanout_status_sock *s,
				  struct fanout_status **statusp)
{
	struct fanout_asm *a;
	ssize_t n;
	int ret;

	*statusp = NULL;
	if (!s->mcast)
		return -ENOTCONN;
	for (;;) {
		ret = fanout_status_drain(s, statusp);
		if (ret)
			return ret < 0 ? ret : 0;
		n = mnl_socket_recvfrom(s->mcast->sock, s->mcast->rx,
					sizeof(s->mcast->rx));
		if (n < 0 && errno == ENOBUFS) {
			/* Overrun: parts in progress have holes now. */
			for (a = s->asms; a; a = a->next)
				fanout_asm_drop(a);
			return -ENOBUFS;
		}
		if (n < 0)
			return -errno;
		s->rx_off = 0;
		s->rx_len = n;
	}
}

/* ---- queries ---------------------------------------------------------- */

/* Collects the answers of one query. */
struct fanout_query {
	__u8 cmd;			/* the reply messages' command */
	void *array;			/* groups, members or queues */
	__u32 n, cap;
	struct fanout_array arr;	/* describes the three above */
	struct fanout_asm *asms;	/* status answers */
	struct fanout_status *st;	/* status or pending answer */
	struct fanout_group_stats *stats;
	const char *group;
};

/* One answer of a query, by the command it answers. */
static int fanout_query_msg(struct fanout_query *q, const struct nlmsghdr *nlh)
{
	struct fanout_status *done = NULL;
	fanout_tb_t tb;
	void *slot;
	int ret = fanout_parse_msg(nlh, tb);

	if (ret)
		return ret;
	switch (q->cmd) {
	case FANOUT_CMD_GET_GROUP:
		/* One group per message, at the top level. */
		slot = fanout_array_slot(&q->arr);
		if (!slot)
			return -ENOMEM;
		ret = fanout_parse_group(tb, slot);
		q->n += !ret;
		return ret;
	case FANOUT_CMD_GET_MEMBERS:
		return fanout_parse_nests(nlh, FANOUT_A_MEMBER, &q->arr,
					  fanout_parse_member, 0);
	case FANOUT_CMD_GET_QUEUES:
		return fanout_parse_nests(nlh, FANOUT_A_QUEUE, &q->arr,
					  fanout_parse_queue, 0);
	case FANOUT_CMD_GET_PENDING:
		return fanout_parse_pendings(nlh, q->st);
	case FANOUT_CMD_GET_STATS:
		return tb[FANOUT_A_STATS] ?
		       fanout_parse_stats(tb[FANOUT_A_STATS], q->stats) : -EPROTO;
	case FANOUT_CMD_STATUS:
		ret = fanout_asm_feed(&q->asms, nlh, &done);
		if (ret == 1) {
			fanout_status_free(q->st);
			q->st = done;
			ret = 0;
		}
		return ret;
	}
	return -EPROTO;
}

static int fanout_query_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fanout_query *q = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	int ret;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) || g->cmd != q->cmd)
		return MNL_CB_OK;	/* not ours: skipped */
	ret = fanout_query_msg(q, nlh);
	if (ret) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Send command @cmd for @group (NULL: all) and collect the answers. */
static int fanout_query_run(struct fanout_status_sock *s, __u8 cmd,
			    int dump, struct fanout_query *q)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = fanout_nl_msg(s->query, s->query->family, cmd,
			    dump ? NLM_F_DUMP : 0);
	if (q->group) {
		if (strlen(q->group) >= FANOUT_NAME_MAX)
			return -ENAMETOOLONG;
		mnl_attr_put_strz(nlh, FANOUT_A_GROUP_NAME, q->group);
	}
	ret = fanout_nl_talk(s->query, nlh, fanout_query_cb, q);
	fanout_asm_free_all(&q->asms);
	return ret;
}

/* An array query: the entries in *arrayp, their count returned. */
static int fanout_query_array(struct fanout_status_sock *s, __u8 cmd, int dump,
			      const char *group, size_t size, void **arrayp)
{
	struct fanout_query q = { .cmd = cmd, .group = group };
	int ret;

	q.arr = (struct fanout_array){ &q.array, &q.n, &q.cap, size };
	ret = fanout_query_run(s, cmd, dump, &q);

	*arrayp = NULL;
	if (ret) {
		free(q.array);
		return ret;
	}
	*arrayp = q.array;
	return q.n;
}

FANOUT_API int fanout_status_groups(struct fanout_status_sock *s,
				    const char *group,
				    struct fanout_status_group **groupsp)
{
	return fanout_query_array(s, FANOUT_CMD_GET_GROUP, !group, group,
				  sizeof(**groupsp), (void **)groupsp);
}

FANOUT_API int fanout_status_members(struct fanout_status_sock *s,
				     const char *group,
				     struct fanout_status_member **membersp)
{
	if (!group)
		return -EINVAL;
	return fanout_query_array(s, FANOUT_CMD_GET_MEMBERS, 1, group,
				  sizeof(**membersp), (void **)membersp);
}

FANOUT_API int fanout_status_queues(struct fanout_status_sock *s,
				    const char *group,
				    struct fanout_status_queue **queuesp)
{
	if (!group)
		return -EINVAL;
	return fanout_query_array(s, FANOUT_CMD_GET_QUEUES, 1, group,
				  sizeof(**queuesp), (void **)queuesp);
}

FANOUT_API int fanout_status_stats(struct fanout_status_sock *s,
				   const char *group,
				   struct fanout_group_stats *stats)
{
	struct fanout_query q = { .cmd = FANOUT_CMD_GET_STATS, .group = group,
				  .stats = stats };

	if (!group)
		return -EINVAL;
	return fanout_query_run(s, FANOUT_CMD_GET_STATS, 0, &q);
}

/* A status-shaped query: GET_STATUS (whole) or GET_PENDING (pending). */
static int fanout_query_status(struct fanout_status_sock *s, __u8 cmd,
			       __u8 reply_cmd, const char *group,
			       struct fanout_status **statusp)
{
	struct fanout_query q = { .cmd = reply_cmd, .group = group };
	int ret;

	*statusp = NULL;
	if (!group)
		return -EINVAL;
	if (cmd == FANOUT_CMD_GET_PENDING) {
		q.st = fanout_status_alloc();
		if (!q.st)
			return -ENOMEM;
		snprintf(q.st->group, sizeof(q.st->group), "%s", group);
	}
	ret = fanout_query_run(s, cmd, 1, &q);
	if (!ret && !q.st)
		ret = -EPROTO;	/* no complete status in the answer */
	if (ret) {
		fanout_status_free(q.st);
		return ret;
	}
	if (cmd == FANOUT_CMD_GET_PENDING)
		q.st->npending_announced = q.st->npending;
	*statusp = q.st;
	return 0;
}

FANOUT_API int fanout_status_get(struct fanout_status_sock *s,
				 const char *group,
				 struct fanout_status **statusp)
{
	return fanout_query_status(s, FANOUT_CMD_GET_STATUS, FANOUT_CMD_STATUS,
				   group, statusp);
}

FANOUT_API int fanout_status_pending(struct fanout_status_sock *s,
				     const char *group,
				     struct fanout_status **statusp)
{
	return fanout_query_status(s, FANOUT_CMD_GET_PENDING,
				   FANOUT_CMD_GET_PENDING, group, statusp);
}
