// SPDX-License-Identifier: MIT
/*
 * libfanout status: the generic netlink socket of family "fanout" (libmnl).
 *
 * One struct fanout_nl is one netlink socket; it is not shared between
 * threads (no lock: a caller that shares one serializes its calls). Its
 * receive buffer is reused by every call on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "nl.h"

/* The netlink socket's receive buffer asked for (broadcasts are bursts). */
#define FANOUT_NL_RCVBUF	(8 << 20)

/* State of a CTRL_CMD_GETFAMILY answer while it is parsed. */
struct fanout_nl_family {
	__u16 id;
	__u32 status_grp;
};

static int fanout_nl_mcgrp_cb(const struct nlattr *grp, struct fanout_nl_family *f)
{
	struct nlattr *a;
	const char *name = NULL;
	__u32 id = 0;

	mnl_attr_for_each_nested(a, grp) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return MNL_CB_ERROR;
			name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return MNL_CB_ERROR;
			id = mnl_attr_get_u32(a);
			break;
		}
	}
	if (name && !strcmp(name, FANOUT_GENL_MCGRP_STATUS))
		f->status_grp = id;
	return MNL_CB_OK;
}

static int fanout_nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fanout_nl_family *f = data;
	struct nlattr *a, *grp;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return MNL_CB_ERROR;
			f->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, a)
				if (fanout_nl_mcgrp_cb(grp, f) != MNL_CB_OK)
					return MNL_CB_ERROR;
			break;
		}
	}
	return MNL_CB_OK;
}

/* Start a generic netlink message of @family, command @cmd, in nl->tx. */
struct nlmsghdr *fanout_nl_msg(struct fanout_nl *nl, __u16 family, __u8 cmd,
			       __u16 flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->tx);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = FANOUT_GENL_VERSION;
	return nlh;
}

/*
 * Context of one request: the socket, its sequence number, the caller's
 * callback and the first error it returned (the answers are read to
 * their end all the same, so the next request starts clean).
 */
struct fanout_nl_ctx {
	struct fanout_nl *nl;
	unsigned int seq;
	mnl_cb_t cb;
	void *data;
	int err;
};

/* Whether @nlh answers an earlier request (one given up): skipped. */
static int fanout_nl_stale(const struct nlmsghdr *nlh, const void *data)
{
	return nlh->nlmsg_seq != ((const struct fanout_nl_ctx *)data)->seq;
}

/* Keep the extended ACK message of @nlh, whose TLVs start at @off. */
static void fanout_nl_extack(struct fanout_nl *nl, const struct nlmsghdr *nlh,
			     unsigned int off)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    mnl_nlmsg_size(off) > nlh->nlmsg_len)
		return;
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
				 mnl_attr_get_str(a));
}

/* NLMSG_ERROR: keep the extended ACK's message, return the error. */
static int fanout_nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);

	if (fanout_nl_stale(nlh, data))
		return MNL_CB_OK;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	if (!e->error)
		return MNL_CB_STOP;		/* the ACK */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	fanout_nl_extack(((struct fanout_nl_ctx *)data)->nl, nlh, off);
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* NLMSG_DONE: the end of a dump, or its error and extended ACK. */
static int fanout_nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	if (fanout_nl_stale(nlh, data))
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err) || *err >= 0)
		return MNL_CB_STOP;
	fanout_nl_extack(((struct fanout_nl_ctx *)data)->nl, nlh, sizeof(*err));
	errno = -*err;
	return MNL_CB_ERROR;
}

static int fanout_nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fanout_nl_ctx *ctx = data;

	if (!ctx->cb || ctx->err || fanout_nl_stale(nlh, data))
		return MNL_CB_OK;
	errno = EPROTO;	/* unless the callback says better */
	if (ctx->cb(nlh, ctx->data) == MNL_CB_ERROR)
		ctx->err = -errno;
	return MNL_CB_OK;
}

/*
 * Send @nlh (with NLM_F_ACK) and run @cb on every answer until the ACK
 * or NLMSG_DONE. Returns 0 or a negative errno: the kernel's, with its
 * extended ACK message in nl->ext_msg, or the callback's first (it sets
 * errno and returns MNL_CB_ERROR; EPROTO by default), after the rest of
 * the answer was read.
 */
int fanout_nl_talk(struct fanout_nl *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = fanout_nl_error_cb,
		[NLMSG_DONE] = fanout_nl_done_cb,
	};
	struct fanout_nl_ctx ctx = {
		.nl = nl, .seq = nlh->nlmsg_seq, .cb = cb, .data = data,
	};
	ssize_t n;
	int ret = 1;

	nl->ext_msg[0] = 0;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* Sequence numbers are checked by the callbacks (stale ones). */
		ret = mnl_cb_run2(nl->rx, n, 0, nl->portid,
				  fanout_nl_data_cb, &ctx, ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	if (ret < 0)
		return -errno;
	return ctx.err;
}

/* A socket bound to generic netlink, its family resolved. */
static int fanout_nl_resolve(struct fanout_nl *nl)
{
	struct fanout_nl_family f = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = fanout_nl_msg(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FANOUT_GENL_NAME);
	ret = fanout_nl_talk(nl, nlh, fanout_nl_family_cb, &f);
	if (ret)
		return ret == -ENOENT ? -EPROTONOSUPPORT : ret;
	if (!f.id || !f.status_grp)
		return -EPROTO;
	nl->family = f.id;
	nl->status_grp = f.status_grp;
	return 0;
}

struct fanout_nl *fanout_nl_open(int *err)
{
	struct fanout_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, size = FANOUT_NL_RCVBUF;
	int ret = -ENOMEM;

	if (!nl)
		goto fail;
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock) {
		ret = -errno;
		goto free;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto close;
	}
	/* Extended ACKs: the kernel's message naming a rejected attribute. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Big broadcasts: the forced size needs CAP_NET_ADMIN, else capped. */
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	nl->portid = mnl_socket_get_portid(nl->sock);
	ret = fanout_nl_resolve(nl);
	if (ret)
		goto close;
	return nl;
close:
	mnl_socket_close(nl->sock);
free:
	free(nl);
fail:
	*err = ret;
	return NULL;
}

void fanout_nl_close(struct fanout_nl *nl)
{
	mnl_socket_close(nl->sock);
	free(nl);
}
