/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink helpers of the fanout selftests, over libmnl: a socket
 * bound to the family "fanout", requests and their answers with the
 * extended ack, status messages parsed, and the answers of queries
 * counted.
 */
#ifndef FANOUT_NL_H
#define FANOUT_NL_H

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fanout.h>
#include <linux/fanout_netlink.h>


/* A generic netlink socket bound to the family "fanout". */
struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	uint32_t mcgrp;
	char *buf;
};

#define NL_BUF	(1 << 20)

/* What an error answer said: errno, extack message and attribute. */
struct ext {
	int err;
	char msg[128];
	uint32_t offs;
	uint32_t miss_type;
};

/* ---- family resolution ----------------------------------------------- */

static inline int ctrl_grp_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;
	struct nlattr *g;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(g, a) {
		if (mnl_attr_get_type(g) == CTRL_ATTR_MCAST_GRP_NAME)
			name = mnl_attr_get_str(g);
		else if (mnl_attr_get_type(g) == CTRL_ATTR_MCAST_GRP_ID)
			id = mnl_attr_get_u32(g);
	}
	if (name && !strcmp(name, FANOUT_GENL_MCGRP_STATUS))
		nl->mcgrp = id;
	return MNL_CB_OK;
}

static inline int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl *nl = data;
	struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			nl->family = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mnl_attr_for_each_nested(g, a)
				ctrl_grp_cb(g, nl);
	}
	return MNL_CB_OK;
}

static inline struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags,
			       uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *gh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	gh = mnl_nlmsg_put_extra_header(nlh, sizeof(*gh));
	gh->cmd = cmd;
	gh->version = 1;
	return nlh;
}

/*
 * The extack of an error message, or of the NLMSG_DONE ending a dump
 * (an int, the dump's errno, then the extack attributes).
 */
static inline void ext_parse(const struct nlmsghdr *nlh, struct ext *ext)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);
	const struct nlattr *attr;
	const void *tlvs;

	ext->err = e->error;
	if (nlh->nlmsg_type == NLMSG_DONE)
		off = sizeof(int);
	else if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	tlvs = (const char *)e + off;
	mnl_attr_for_each_payload(tlvs, nlh->nlmsg_len - MNL_NLMSG_HDRLEN - off) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ext->msg, sizeof(ext->msg), "%s",
				 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_OFFS:
			ext->offs = mnl_attr_get_u32(attr);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			ext->miss_type = mnl_attr_get_u32(attr);
			break;
		}
	}
}

/*
 * Send @nlh and read the answers, each through @cb, until the ack, the
 * end of the dump or an error. Returns 0 or the negative errno.
 */
static inline int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data, struct ext *ext)
{
	unsigned int seq = nlh->nlmsg_seq;
	struct ext local;
	ssize_t n;

	if (!ext)
		ext = &local;
	memset(ext, 0, sizeof(*ext));
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *h;
		int len;

		n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUF);
		if (n < 0)
			return -errno;
		len = n;
		for (h = (void *)nl->buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != nl->portid)
				continue;	/* a broadcast */
			if (h->nlmsg_type == NLMSG_ERROR) {
				ext_parse(h, ext);
				return ext->err;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				ext_parse(h, ext);
				return ext->err;
			}
			if (cb)
				cb(h, data);
		}
	}
}

static inline int nl_open(struct nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1, size = 64 << 20;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUF);
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->buf || !nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->sk);
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Large broadcasts: as root, past rmem_max. */
	if (setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	nlh = nl_msg(nl, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FANOUT_GENL_NAME);
	return nl_talk(nl, nlh, ctrl_cb, nl, NULL);
}

static inline void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
}

static inline int nl_subscribe(struct nl *nl)
{
	return mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP,
				     &nl->mcgrp, sizeof(nl->mcgrp)) ? -errno : 0;
}

/* ---- status messages --------------------------------------------------- */

/* One status message (a part), parsed. */
struct status {
	char name[FANOUT_NAME_MAX];
	uint32_t seq, part, reason;
	int last;
	uint64_t gen;
	uint32_t code;
	char blob[FANOUT_STATE_BLOB_MAX];
	uint32_t blob_len;
	uint64_t up[FANOUT_MEMBERS_MAX / 64], conf[FANOUT_MEMBERS_MAX / 64];
	uint32_t members_up, nconfirmed, npending, nredeliver, max_members;
	uint32_t npend_nests;
	uint64_t last_id;
	int head;
};

static inline void copy_words(uint64_t *dst, const struct nlattr *a)
{
	memcpy(dst, mnl_attr_get_payload(a),
	       mnl_attr_get_payload_len(a) < FANOUT_MEMBERS_MAX / 8 ?
	       mnl_attr_get_payload_len(a) : FANOUT_MEMBERS_MAX / 8);
}

static inline void pending_parse(const struct nlattr *p, struct status *s)
{
	const struct nlattr *a;

	s->npend_nests++;
	mnl_attr_for_each_nested(a, p)
		if (mnl_attr_get_type(a) == FANOUT_PENDING_A_ID)
			s->last_id = mnl_attr_get_u64(a);
}

static inline int status_parse(const struct nlmsghdr *nlh, struct status *s)
{
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(s, 0, sizeof(*s));
	if (gh->cmd != FANOUT_CMD_STATUS)
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(*gh)) {
		switch (mnl_attr_get_type(a)) {
		case FANOUT_A_GROUP_NAME:
			snprintf(s->name, sizeof(s->name), "%s",
				 mnl_attr_get_str(a));
			break;
		case FANOUT_A_SEQ: s->seq = mnl_attr_get_u32(a); break;
		case FANOUT_A_PART: s->part = mnl_attr_get_u32(a); break;
		case FANOUT_A_LAST: s->last = 1; break;
		case FANOUT_A_REASON:
			s->reason = mnl_attr_get_u32(a);
			s->head = 1;
			break;
		case FANOUT_A_GENERATION: s->gen = mnl_attr_get_u64(a); break;
		case FANOUT_A_STATE_CODE: s->code = mnl_attr_get_u32(a); break;
		case FANOUT_A_STATE_BLOB:
			s->blob_len = mnl_attr_get_payload_len(a);
			memcpy(s->blob, mnl_attr_get_payload(a), s->blob_len);
			break;
		case FANOUT_A_UP: copy_words(s->up, a); break;
		case FANOUT_A_CONFIRMED: copy_words(s->conf, a); break;
		case FANOUT_A_MEMBERS_UP: s->members_up = mnl_attr_get_u32(a); break;
		case FANOUT_A_NCONFIRMED: s->nconfirmed = mnl_attr_get_u32(a); break;
		case FANOUT_A_NPENDING: s->npending = mnl_attr_get_u32(a); break;
		case FANOUT_A_NREDELIVER: s->nredeliver = mnl_attr_get_u32(a); break;
		case FANOUT_A_MAX_MEMBERS: s->max_members = mnl_attr_get_u32(a); break;
		case FANOUT_A_PENDING: pending_parse(a, s); break;
		}
	}
	return 0;
}

/*
 * Read broadcasts until a part 0 of group @name with reason @reason (or
 * any reason when @reason < 0) arrived; it is left in @s. Messages of
 * other groups are counted in *@foreign when given.
 */
static inline int status_wait(struct nl *nl, const char *name, int reason,
		       struct status *s, int *foreign)
{
	for (;;) {
		const struct nlmsghdr *h;
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUF);
		int len = n;

		if (n < 0)
			return -errno;
		for (h = (void *)nl->buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (status_parse(h, s))
				continue;
			if (strcmp(s->name, name)) {
				if (foreign)
					(*foreign)++;
				continue;
			}
			if (s->head && (reason < 0 || s->reason == (uint32_t)reason))
				return 0;
		}
	}
}

static inline struct nlmsghdr *group_msg(struct nl *nl, uint8_t cmd, uint16_t flags,
				  const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, nl->family, flags | NLM_F_ACK, cmd);

	if (name)
		mnl_attr_put_strz(nlh, FANOUT_A_GROUP_NAME, name);
	return nlh;
}

struct found {
	int groups, members, pending, queues, stats;
	uint64_t requests;
	const char *name;
	int named;
};

static inline int query_cb(const struct nlmsghdr *h, void *data)
{
	struct found *f = data;
	const struct genlmsghdr *gh = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, h, sizeof(*gh)) {
		switch (mnl_attr_get_type(a)) {
		case FANOUT_A_GROUP_NAME:
			f->named += f->name && !strcmp(f->name,
						       mnl_attr_get_str(a));
			if (gh->cmd == FANOUT_CMD_GET_GROUP)
				f->groups++;
			break;
		case FANOUT_A_MEMBER: f->members++; break;
		case FANOUT_A_PENDING: f->pending++; break;
		case FANOUT_A_QUEUE: f->queues++; break;
		case FANOUT_A_STATS:
			f->stats++;
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) ==
				    FANOUT_STATS_A_REQUESTS)
					f->requests = mnl_attr_get_u64(b);
			break;
		}
	}
	return MNL_CB_OK;
}

static inline int query(struct nl *nl, uint8_t cmd, uint16_t flags,
		 const char *name, struct found *f, struct ext *ext)
{
	const char *want = f->name;

	memset(f, 0, sizeof(*f));
	f->name = want;
	return nl_talk(nl, group_msg(nl, cmd, flags, name), query_cb, f, ext);
}

#endif /* FANOUT_NL_H */
