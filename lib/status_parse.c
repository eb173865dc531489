// SPDX-License-Identifier: MIT
/*
 * libfanout status: the one place where the attributes of the family
 * "fanout" are validated and turned into the structures of
 * <libfanout_status.h>. Attributes a newer kernel adds (beyond the
 * known maximum of their set) are skipped; a known attribute of the
 * wrong type or size makes the message invalid (-EPROTO). No shared
 * state: every function works on its arguments only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "status_int.h"

/* Largest bitmap: FANOUT_MEMBERS_MAX bits. */
#define FANOUT_BITMAP_MAX_BYTES	(FANOUT_MEMBERS_MAX / 8)

/* How an attribute must look: its libmnl type and, for binary, sizes. */
struct fanout_attr_spec {
	enum mnl_attr_data_type type;
	unsigned int min_len, max_len;	/* binary and strings only */
	unsigned int multiple;		/* binary: a multiple of (bitmaps) */
};

#define U32	{ MNL_TYPE_U32 }
#define U64	{ MNL_TYPE_U64 }
#define NEST	{ MNL_TYPE_NESTED }
#define BITMAP	{ MNL_TYPE_BINARY, 0, FANOUT_BITMAP_MAX_BYTES, 8 }
#define UUID	{ MNL_TYPE_BINARY, FANOUT_UUID_LEN, FANOUT_UUID_LEN, 1 }

static const struct fanout_attr_spec fanout_top_spec[FANOUT_A_MAX + 1] = {
	[FANOUT_A_GROUP_NAME] = { MNL_TYPE_NUL_STRING, 2, FANOUT_NAME_MAX },
	[FANOUT_A_GENERATION] = U64,
	[FANOUT_A_STATE_CODE] = U32,
	[FANOUT_A_STATE_BLOB] = { MNL_TYPE_BINARY, 0, FANOUT_STATE_BLOB_MAX, 1 },
	[FANOUT_A_MAX_MEMBERS] = U32,
	[FANOUT_A_UP] = BITMAP,
	[FANOUT_A_CONFIRMED] = BITMAP,
	[FANOUT_A_MEMBER] = NEST,
	[FANOUT_A_PENDING] = NEST,
	[FANOUT_A_QUEUE] = NEST,
	[FANOUT_A_STATS] = NEST,
	[FANOUT_A_SEQ] = U32,
	[FANOUT_A_PART] = U32,
	[FANOUT_A_LAST] = { MNL_TYPE_FLAG },
	[FANOUT_A_REASON] = U32,
	[FANOUT_A_MEMBERS_UP] = U32,
	[FANOUT_A_NCONFIRMED] = U32,
	[FANOUT_A_NPENDING] = U32,
	[FANOUT_A_NREDELIVER] = U32,
	[FANOUT_A_FLAGS] = U32,
	[FANOUT_A_MODE] = U32,
	[FANOUT_A_UID] = U32,
	[FANOUT_A_GID] = U32,
	[FANOUT_A_MAX_PENDING] = U32,
	[FANOUT_A_MAX_QUEUE] = U32,
	[FANOUT_A_MAX_QUEUES] = U32,
	[FANOUT_A_DEADLINE_MS] = U32,
	[FANOUT_A_INTERVAL_MS] = U32,
};

static const struct fanout_attr_spec fanout_member_spec[FANOUT_MEMBER_A_MAX + 1] = {
	[FANOUT_MEMBER_A_INDEX] = U32,
	[FANOUT_MEMBER_A_AGENTS] = U32,
	[FANOUT_MEMBER_A_CONFIRMED_GEN] = U64,
	[FANOUT_MEMBER_A_QUEUED] = U32,
	[FANOUT_MEMBER_A_BUSY_QUEUES] = U32,
	[FANOUT_MEMBER_A_REDELIVER] = U32,
};

static const struct fanout_attr_spec fanout_pending_spec[FANOUT_PENDING_A_MAX + 1] = {
	[FANOUT_PENDING_A_ID] = U64,
	[FANOUT_PENDING_A_UUID] = UUID,
	[FANOUT_PENDING_A_MEMBERS] = BITMAP,
	[FANOUT_PENDING_A_REDELIVER] = BITMAP,
	[FANOUT_PENDING_A_NTARGETS] = U32,
	[FANOUT_PENDING_A_NOPEN] = U32,
	[FANOUT_PENDING_A_DEADLINE_MS] = U32,
};

static const struct fanout_attr_spec fanout_queue_spec[FANOUT_QUEUE_A_MAX + 1] = {
	[FANOUT_QUEUE_A_MEMBER] = U32,
	[FANOUT_QUEUE_A_UUID] = UUID,
	[FANOUT_QUEUE_A_QUEUED] = U32,
	[FANOUT_QUEUE_A_TAKEN] = U32,
	[FANOUT_QUEUE_A_AGENT_PID] = U32,
};

static const struct fanout_attr_spec fanout_stats_spec[FANOUT_STATS_A_MAX + 1] = {
	[FANOUT_STATS_A_REQUESTS] = U64,
	[FANOUT_STATS_A_REPLIES] = U64,
	[FANOUT_STATS_A_FAILURES] = U64,
	[FANOUT_STATS_A_DUP_REPLIES] = U64,
	[FANOUT_STATS_A_STALE_REPLIES] = U64,
	[FANOUT_STATS_A_PENDING] = U32,
	[FANOUT_STATS_A_MEMBERS_UP] = U32,
	[FANOUT_STATS_A_AMQS_BUSY] = U32,
	[FANOUT_STATS_A_BACKLOG] = U32,
	[FANOUT_STATS_A_AMQS_FREE] = U64,
	[FANOUT_STATS_A_CONFIRMS] = U64,
	[FANOUT_STATS_A_DUP_CONFIRMS] = U64,
	[FANOUT_STATS_A_STALE_CONFIRMS] = U64,
	[FANOUT_STATS_A_REDELIVERED] = U64,
};

/* Where one set of attributes is validated into. */
struct fanout_parse_ctx {
	const struct fanout_attr_spec *spec;
	unsigned int max;
	const struct nlattr **tb;
};

static int fanout_attr_ok(const struct nlattr *a,
			  const struct fanout_attr_spec *s)
{
	unsigned int len = mnl_attr_get_payload_len(a);

	if (mnl_attr_validate(a, s->type) < 0)
		return 0;
	if (s->type == MNL_TYPE_BINARY)
		return len >= s->min_len && len <= s->max_len &&
		       len % s->multiple == 0;
	if (s->type == MNL_TYPE_NUL_STRING)
		return len >= s->min_len && len <= s->max_len;
	return 1;
}

static int fanout_attr_cb(const struct nlattr *a, void *data)
{
	struct fanout_parse_ctx *ctx = data;
	unsigned int type = mnl_attr_get_type(a);

	/* Newer attributes and padding are skipped. */
	if (type > ctx->max || ctx->spec[type].type == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	if (!fanout_attr_ok(a, &ctx->spec[type])) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	ctx->tb[type] = a;
	return MNL_CB_OK;
}

static int fanout_parse_nest(const struct nlattr *nest,
			     const struct fanout_attr_spec *spec,
			     unsigned int max, const struct nlattr **tb)
{
	struct fanout_parse_ctx ctx = { spec, max, tb };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, fanout_attr_cb, &ctx) < 0 ?
	       -EPROTO : 0;
}

int fanout_parse_msg(const struct nlmsghdr *nlh, fanout_tb_t tb)
{
	struct fanout_parse_ctx ctx = { fanout_top_spec, FANOUT_A_MAX, tb };

	memset(tb, 0, sizeof(fanout_tb_t));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return -EPROTO;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fanout_attr_cb,
			   &ctx) < 0)
		return -EPROTO;
	/* Every message names its group. */
	return tb[FANOUT_A_GROUP_NAME] ? 0 : -EPROTO;
}

static __u32 u32_or0(const struct nlattr *a)
{
	return a ? mnl_attr_get_u32(a) : 0;
}

static __u64 u64_or0(const struct nlattr *a)
{
	return a ? mnl_attr_get_u64(a) : 0;
}

static void fanout_copy_name(char *dst, const struct nlattr *a)
{
	snprintf(dst, FANOUT_NAME_MAX, "%s", mnl_attr_get_str(a));
}

int fanout_parse_group(fanout_tb_t tb, struct fanout_status_group *g)
{
	memset(g, 0, sizeof(*g));
	fanout_copy_name(g->name, tb[FANOUT_A_GROUP_NAME]);
	g->flags = u32_or0(tb[FANOUT_A_FLAGS]);
	g->mode = u32_or0(tb[FANOUT_A_MODE]);
	g->uid = u32_or0(tb[FANOUT_A_UID]);
	g->gid = u32_or0(tb[FANOUT_A_GID]);
	g->max_members = u32_or0(tb[FANOUT_A_MAX_MEMBERS]);
	g->max_pending = u32_or0(tb[FANOUT_A_MAX_PENDING]);
	g->max_queue = u32_or0(tb[FANOUT_A_MAX_QUEUE]);
	g->max_queues = u32_or0(tb[FANOUT_A_MAX_QUEUES]);
	g->deadline_ms = u32_or0(tb[FANOUT_A_DEADLINE_MS]);
	g->interval_ms = u32_or0(tb[FANOUT_A_INTERVAL_MS]);
	g->generation = u64_or0(tb[FANOUT_A_GENERATION]);
	g->code = u32_or0(tb[FANOUT_A_STATE_CODE]);
	g->members_up = u32_or0(tb[FANOUT_A_MEMBERS_UP]);
	g->nconfirmed = u32_or0(tb[FANOUT_A_NCONFIRMED]);
	g->npending = u32_or0(tb[FANOUT_A_NPENDING]);
	g->nredeliver = u32_or0(tb[FANOUT_A_NREDELIVER]);
	return g->max_members ? 0 : -EPROTO;
}

int fanout_parse_member(const struct nlattr *nest, void *slot,
			__u32 unused __attribute__((unused)))
{
	struct fanout_status_member *m = slot;
	const struct nlattr *tb[FANOUT_MEMBER_A_MAX + 1];
	int ret = fanout_parse_nest(nest, fanout_member_spec,
				    FANOUT_MEMBER_A_MAX, tb);

	if (ret)
		return ret;
	if (!tb[FANOUT_MEMBER_A_INDEX])
		return -EPROTO;
	memset(m, 0, sizeof(*m));
	m->index = mnl_attr_get_u32(tb[FANOUT_MEMBER_A_INDEX]);
	m->agents = u32_or0(tb[FANOUT_MEMBER_A_AGENTS]);
	m->confirmed_gen = u64_or0(tb[FANOUT_MEMBER_A_CONFIRMED_GEN]);
	m->queued = u32_or0(tb[FANOUT_MEMBER_A_QUEUED]);
	m->busy_queues = u32_or0(tb[FANOUT_MEMBER_A_BUSY_QUEUES]);
	m->redeliver = u32_or0(tb[FANOUT_MEMBER_A_REDELIVER]);
	return 0;
}

int fanout_parse_queue(const struct nlattr *nest, void *slot,
		       __u32 unused __attribute__((unused)))
{
	struct fanout_status_queue *q = slot;
	const struct nlattr *tb[FANOUT_QUEUE_A_MAX + 1];
	int ret = fanout_parse_nest(nest, fanout_queue_spec,
				    FANOUT_QUEUE_A_MAX, tb);

	if (ret)
		return ret;
	if (!tb[FANOUT_QUEUE_A_MEMBER] || !tb[FANOUT_QUEUE_A_UUID])
		return -EPROTO;
	memset(q, 0, sizeof(*q));
	q->member = mnl_attr_get_u32(tb[FANOUT_QUEUE_A_MEMBER]);
	memcpy(q->uuid, mnl_attr_get_payload(tb[FANOUT_QUEUE_A_UUID]),
	       FANOUT_UUID_LEN);
	q->queued = u32_or0(tb[FANOUT_QUEUE_A_QUEUED]);
	q->taken = u32_or0(tb[FANOUT_QUEUE_A_TAKEN]);
	q->agent_pid = u32_or0(tb[FANOUT_QUEUE_A_AGENT_PID]);
	return 0;
}

int fanout_parse_stats(const struct nlattr *nest, struct fanout_group_stats *s)
{
	const struct nlattr *tb[FANOUT_STATS_A_MAX + 1];
	int ret = fanout_parse_nest(nest, fanout_stats_spec,
				    FANOUT_STATS_A_MAX, tb);

	if (ret)
		return ret;
	memset(s, 0, sizeof(*s));
	s->requests = u64_or0(tb[FANOUT_STATS_A_REQUESTS]);
	s->replies = u64_or0(tb[FANOUT_STATS_A_REPLIES]);
	s->failures = u64_or0(tb[FANOUT_STATS_A_FAILURES]);
	s->dup_replies = u64_or0(tb[FANOUT_STATS_A_DUP_REPLIES]);
	s->stale_replies = u64_or0(tb[FANOUT_STATS_A_STALE_REPLIES]);
	s->pending = u32_or0(tb[FANOUT_STATS_A_PENDING]);
	s->members_up = u32_or0(tb[FANOUT_STATS_A_MEMBERS_UP]);
	s->amqs_busy = u32_or0(tb[FANOUT_STATS_A_AMQS_BUSY]);
	s->backlog = u32_or0(tb[FANOUT_STATS_A_BACKLOG]);
	s->amqs_free = u64_or0(tb[FANOUT_STATS_A_AMQS_FREE]);
	s->confirms = u64_or0(tb[FANOUT_STATS_A_CONFIRMS]);
	s->dup_confirms = u64_or0(tb[FANOUT_STATS_A_DUP_CONFIRMS]);
	s->stale_confirms = u64_or0(tb[FANOUT_STATS_A_STALE_CONFIRMS]);
	s->redelivered = u64_or0(tb[FANOUT_STATS_A_REDELIVERED]);
	return 0;
}

/* A bitmap of @words words (zero-filled) from attribute @a (or none). */
static __u64 *fanout_bitmap(const struct nlattr *a, __u32 words)
{
	__u64 *map = calloc(words ? words : 1, sizeof(*map));

	if (map && a)
		memcpy(map, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	return map;
}

/* Words a bitmap attribute needs, at least @min. */
static __u32 fanout_bitmap_words(const struct nlattr *a, __u32 min)
{
	__u32 words = a ? mnl_attr_get_payload_len(a) / 8 : 0;

	return words > min ? words : min;
}

int fanout_parse_status_head(fanout_tb_t tb, struct fanout_status *st)
{
	const struct nlattr *blob = tb[FANOUT_A_STATE_BLOB];

	if (!tb[FANOUT_A_MAX_MEMBERS] || !tb[FANOUT_A_GENERATION])
		return -EPROTO;
	fanout_copy_name(st->group, tb[FANOUT_A_GROUP_NAME]);
	st->seq = u32_or0(tb[FANOUT_A_SEQ]);
	st->reason = u32_or0(tb[FANOUT_A_REASON]);
	st->generation = mnl_attr_get_u64(tb[FANOUT_A_GENERATION]);
	st->code = u32_or0(tb[FANOUT_A_STATE_CODE]);
	st->blob_len = blob ? mnl_attr_get_payload_len(blob) : 0;
	if (blob)
		memcpy(st->blob, mnl_attr_get_payload(blob), st->blob_len);
	st->max_members = mnl_attr_get_u32(tb[FANOUT_A_MAX_MEMBERS]);
	if (!st->max_members || st->max_members > FANOUT_MEMBERS_MAX)
		return -EPROTO;
	st->members_up = u32_or0(tb[FANOUT_A_MEMBERS_UP]);
	st->nconfirmed = u32_or0(tb[FANOUT_A_NCONFIRMED]);
	st->nredeliver = u32_or0(tb[FANOUT_A_NREDELIVER]);
	st->npending_announced = u32_or0(tb[FANOUT_A_NPENDING]);
	st->words = (st->max_members + 63) / 64;
	if (fanout_bitmap_words(tb[FANOUT_A_UP], 0) > st->words ||
	    fanout_bitmap_words(tb[FANOUT_A_CONFIRMED], 0) > st->words)
		return -EPROTO;
	free(st->up);
	free(st->confirmed);
	st->up = fanout_bitmap(tb[FANOUT_A_UP], st->words);
	st->confirmed = fanout_bitmap(tb[FANOUT_A_CONFIRMED], st->words);
	return st->up && st->confirmed ? 0 : -ENOMEM;
}

/* Parse one pending nest into @slot; its bitmaps at least @min_words. */
static int fanout_parse_pending(const struct nlattr *nest, void *slot,
				__u32 min_words)
{
	struct fanout_status_pending *p = slot;
	const struct nlattr *tb[FANOUT_PENDING_A_MAX + 1];
	int ret = fanout_parse_nest(nest, fanout_pending_spec,
				    FANOUT_PENDING_A_MAX, tb);

	if (ret)
		return ret;
	if (!tb[FANOUT_PENDING_A_ID] || !tb[FANOUT_PENDING_A_MEMBERS])
		return -EPROTO;
	memset(p, 0, sizeof(*p));
	p->id = mnl_attr_get_u64(tb[FANOUT_PENDING_A_ID]);
	if (tb[FANOUT_PENDING_A_UUID])
		memcpy(p->uuid, mnl_attr_get_payload(tb[FANOUT_PENDING_A_UUID]),
		       FANOUT_UUID_LEN);
	p->ntargets = u32_or0(tb[FANOUT_PENDING_A_NTARGETS]);
	p->nopen = u32_or0(tb[FANOUT_PENDING_A_NOPEN]);
	p->deadline_ms = u32_or0(tb[FANOUT_PENDING_A_DEADLINE_MS]);
	p->words = fanout_bitmap_words(tb[FANOUT_PENDING_A_MEMBERS], min_words);
	p->words = fanout_bitmap_words(tb[FANOUT_PENDING_A_REDELIVER], p->words);
	p->members = fanout_bitmap(tb[FANOUT_PENDING_A_MEMBERS], p->words);
	p->redeliver = fanout_bitmap(tb[FANOUT_PENDING_A_REDELIVER], p->words);
	if (!p->members || !p->redeliver) {
		free(p->members);
		free(p->redeliver);
		return -ENOMEM;
	}
	return 0;
}

/* A status and what the library keeps with it. */
struct fanout_status_priv {
	struct fanout_status pub;	/* first: the pointer handed out */
	__u32 cap;			/* entries allocated at pub.pending */
};

void *fanout_array_slot(struct fanout_array *arr)
{
	__u32 cap = *arr->cap ? 2 * *arr->cap : 64;
	void *p;

	if (*arr->n == *arr->cap) {
		p = realloc(*arr->array, cap * arr->size);
		if (!p)
			return NULL;
		*arr->array = p;
		*arr->cap = cap;
	}
	return (char *)*arr->array + *arr->n * arr->size;
}

int fanout_parse_nests(const struct nlmsghdr *nlh, unsigned int type,
		       struct fanout_array *arr, fanout_nest_fn parse,
		       __u32 arg)
{
	const struct nlattr *a;
	void *slot;
	int ret;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != type)
			continue;
		slot = fanout_array_slot(arr);
		if (!slot)
			return -ENOMEM;
		ret = parse(a, slot, arg);
		if (ret)
			return ret;
		(*arr->n)++;
	}
	return 0;
}

int fanout_parse_pendings(const struct nlmsghdr *nlh, struct fanout_status *st)
{
	struct fanout_status_priv *priv = (struct fanout_status_priv *)st;
	struct fanout_array arr = {
		.array = (void **)&st->pending,
		.n = &st->npending,
		.cap = &priv->cap,
		.size = sizeof(*st->pending),
	};

	return fanout_parse_nests(nlh, FANOUT_A_PENDING, &arr,
				  fanout_parse_pending, st->words);
}

struct fanout_status *fanout_status_alloc(void)
{
	struct fanout_status_priv *priv = calloc(1, sizeof(*priv));

	return priv ? &priv->pub : NULL;
}

FANOUT_API void fanout_status_free(struct fanout_status *st)
{
	__u32 i;

	if (!st)
		return;
	for (i = 0; i < st->npending; i++) {
		free(st->pending[i].members);
		free(st->pending[i].redeliver);
	}
	free(st->pending);
	free(st->up);
	free(st->confirmed);
	free(st);
}
