/* SPDX-License-Identifier: MIT */
/*
 * libfanout status internals: the one parser of the family's attributes
 * (lib/status_parse.c), used by the socket and queries (lib/status.c).
 * Not installed.
 */
#ifndef FANOUT_LIB_STATUS_INT_H
#define FANOUT_LIB_STATUS_INT_H

#include "libfanout_status.h"
#include "nl.h"

#define FANOUT_API __attribute__((visibility("default")))

/* Top-level attributes of a message, validated; NULL where absent. */
typedef const struct nlattr *fanout_tb_t[FANOUT_A_MAX + 1];

int fanout_parse_msg(const struct nlmsghdr *nlh, fanout_tb_t tb);
int fanout_parse_group(fanout_tb_t tb, struct fanout_status_group *g);
/* Parses one nest into @slot (an array entry); @arg as the caller says. */
typedef int (*fanout_nest_fn)(const struct nlattr *nest, void *slot,
			      __u32 arg);

/* A growing array: @n entries of @size bytes used of @cap at *@array. */
struct fanout_array {
	void **array;
	__u32 *n;
	__u32 *cap;
	size_t size;
};

/* Room for one more entry of @arr (not counted yet); NULL: no memory. */
void *fanout_array_slot(struct fanout_array *arr);
/* Append every @type nest of the message to @arr, parsed by @parse. */
int fanout_parse_nests(const struct nlmsghdr *nlh, unsigned int type,
		       struct fanout_array *arr, fanout_nest_fn parse,
		       __u32 arg);
int fanout_parse_member(const struct nlattr *nest, void *slot, __u32 unused);
int fanout_parse_queue(const struct nlattr *nest, void *slot, __u32 unused);
int fanout_parse_stats(const struct nlattr *nest,
		       struct fanout_group_stats *s);
int fanout_parse_status_head(fanout_tb_t tb, struct fanout_status *st);
int fanout_parse_pendings(const struct nlmsghdr *nlh, struct fanout_status *st);

struct fanout_status *fanout_status_alloc(void);

#endif /* FANOUT_LIB_STATUS_INT_H */
