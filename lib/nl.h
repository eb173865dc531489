/* SPDX-License-Identifier: MIT */
/*
 * libfanout internals: one generic netlink socket of family "fanout".
 * Not installed; lib/nl.c and lib/status*.c only.
 */
#ifndef FANOUT_LIB_NL_H
#define FANOUT_LIB_NL_H

#include <libmnl/libmnl.h>
#include <linux/fanout_netlink.h>

/* Largest netlink message read at once (a dump's skb or a broadcast). */
#define FANOUT_NL_RX	(64 << 10)
/* Largest request built. */
#define FANOUT_NL_TX	4096

/**
 * struct fanout_nl - a generic netlink socket, the family resolved
 * @sock: the libmnl socket
 * @portid: its port id
 * @family: the id of family %FANOUT_GENL_NAME
 * @status_grp: the id of its multicast group %FANOUT_GENL_MCGRP_STATUS
 * @seq: sequence number of the last request
 * @ext_msg: the extended ACK message of the last error, or ""
 * @tx: the request being built
 * @rx: the answer being read
 *
 * Used by one thread at a time (no lock).
 */
struct fanout_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	__u16 family;
	__u32 status_grp;
	unsigned int seq;
	char ext_msg[256];
	char tx[FANOUT_NL_TX] __attribute__((aligned(8)));
	char rx[FANOUT_NL_RX] __attribute__((aligned(8)));
};

struct fanout_nl *fanout_nl_open(int *err);
void fanout_nl_close(struct fanout_nl *nl);
struct nlmsghdr *fanout_nl_msg(struct fanout_nl *nl, __u16 family, __u8 cmd,
			       __u16 flags);
int fanout_nl_talk(struct fanout_nl *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data);

#endif /* FANOUT_LIB_NL_H */
