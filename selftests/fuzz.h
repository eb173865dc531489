/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the fanout fuzzer (fuzz_test.c): a deterministic PRNG,
 * boundary values, errno masks and the self-checking payload formats.
 */
#ifndef FANOUT_FUZZ_H
#define FANOUT_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/fanout.h>

/* ---- PRNG: splitmix64, one state per process ------------------------ */

static inline __u64 rng_next(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, n), 0 for n == 0. */
static inline __u32 rng_below(__u64 *s, __u64 n)
{
	return n ? (__u32)(rng_next(s) % n) : 0;
}

/* A value near @max, the limit of a field: 0, 1, max-1, max, max+1, ~0... */
static inline __u32 rng_near(__u64 *s, __u32 max)
{
	switch (rng_below(s, 10)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return max - 1;
	case 3: return max;
	case 4: return max + 1;
	case 5: return ~0U;
	case 6: return 0x80000000U;
	case 7: return (__u32)rng_next(s);
	default: return rng_below(s, (__u64)max + 1);
	}
}

/* ---- errno sets: bit e stands for errno e (all used ones are < 128) -- */

typedef unsigned __int128 emask_t;
#define E(e)		((emask_t)1 << (e))

static inline const char *errname(int e)
{
	switch (e) {
#define N(x) case x: return #x
	N(EPERM); N(ENOENT); N(ESRCH); N(EINTR); N(E2BIG); N(EBADF);
	N(EAGAIN); N(ENOMEM); N(EACCES); N(EFAULT); N(EEXIST); N(EINVAL);
	N(ENOTTY); N(ENOSPC); N(EPIPE); N(EIDRM); N(ETIME); N(EBADFD);
	N(EMSGSIZE); N(ENOBUFS); N(EISCONN); N(ENOTCONN); N(ETIMEDOUT);
	N(EALREADY); N(ECANCELED); N(ERESTART); N(ENOSYS); N(EOVERFLOW);
	N(ESTALE); N(ERANGE); N(EOPNOTSUPP); N(EBUSY); N(EBADSLT);
#undef N
	case 0: return "0";
	}
	return "E?";
}

/* "EINVAL|EFAULT" for a mask. */
static inline void emask_str(emask_t m, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int e = 1; e < 128 && n < size; e++)
		if (m & E(e))
			n += snprintf(buf + n, size - n, "%s%s(%d)",
				      n ? "|" : "", errname(e), e);
	if (!n)
		snprintf(buf, size, "none");
}

/* ---- self-checking payloads -------------------------------------------
 *
 * A request payload of 8 bytes or more starts with a little-endian member
 * tag (the member it was meant for, or TAG_ANY) and a key byte k; byte i
 * (i >= 5) is k + 7i. A shorter one is b[0] + 7i throughout. An agent
 * checks what it received against the member the kernel says it is for.
 *
 * A reply of 16 bytes or more starts with the request id, the member
 * and a magic: REPLY_VERIFY when the agent knows them for certain, else
 * REPLY_NOCHECK; byte i (i >= 16) follows from id and member. A shorter
 * reply is 0x5a ^ i. The coordinator checks what RESULTS copied out.
 */
#define TAG_ANY		0xffffffffU
#define REPLY_VERIFY	0x52455631U
#define REPLY_NOCHECK	0x5245304eU

static inline void payload_fill(__u8 *p, __u32 len, __u32 tag, __u8 k)
{
	__u32 i = 0;

	if (len >= 8) {
		memcpy(p, &tag, 4);
		p[4] = k;
		i = 5;
	} else if (len) {
		p[0] = k;
		i = 1;
	}
	for (; i < len; i++)
		p[i] = (__u8)(k + 7 * i);
}

/* 0 when @p is a well-formed payload for @member, else the bad offset + 1. */
static inline __u32 payload_check(const __u8 *p, __u32 len, __u32 member)
{
	__u32 i = 1, tag;
	__u8 k;

	if (!len)
		return 0;
	k = p[0];
	if (len >= 8) {
		memcpy(&tag, p, 4);
		if (tag != TAG_ANY && tag != member)
			return 1;
		k = p[4];
		i = 5;
	}
	for (; i < len; i++)
		if (p[i] != (__u8)(k + 7 * i))
			return i + 1;
	return 0;
}

static inline __u8 reply_byte(__u64 id, __u32 member, __u32 i)
{
	return (__u8)(id * 31 + member * 7 + i * 13 + (i >> 8));
}

static inline void reply_fill(__u8 *p, __u32 len, __u64 id, __u32 member,
			      __u32 magic)
{
	__u32 i;

	if (len < 16) {
		for (i = 0; i < len; i++)
			p[i] = 0x5a ^ i;
		return;
	}
	memcpy(p, &id, 8);
	memcpy(p + 8, &member, 4);
	memcpy(p + 12, &magic, 4);
	for (i = 16; i < len; i++)
		p[i] = reply_byte(id, member, i);
}

/*
 * Check @copied bytes of a @len-byte reply to target @member of request
 * @id; NULL when fine, else what is wrong.
 */
static inline const char *reply_check(const __u8 *p, __u32 len, __u32 copied,
				      __u64 id, __u32 member)
{
	__u32 i, hmember, magic;
	__u64 hid;

	if (len < 16) {
		for (i = 0; i < copied; i++)
			if (p[i] != (0x5a ^ i))
				return "short reply bytes differ";
		return NULL;
	}
	if (copied < 16)
		return NULL;
	memcpy(&hid, p, 8);
	memcpy(&hmember, p + 8, 4);
	memcpy(&magic, p + 12, 4);
	if (magic != REPLY_VERIFY && magic != REPLY_NOCHECK)
		return "reply header magic is wrong";
	if (magic == REPLY_VERIFY && (hid != id || hmember != member))
		return "reply meant for another request or member";
	for (i = 16; i < copied; i++)
		if (p[i] != reply_byte(hid, hmember, i))
			return "reply bytes differ";
	return NULL;
}

#endif /* FANOUT_FUZZ_H */
