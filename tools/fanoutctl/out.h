/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fanoutctl output: one printer for both forms. A command emits lists of
 * rows (a table for people, a JSON array with -j) or one record (lines of
 * "key: value", a JSON object with -j), field by field, in order.
 */
#ifndef FANOUTCTL_OUT_H
#define FANOUTCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

/* Set once from -j before anything is printed. */
extern bool out_json;

/* A list of rows, each an object with the same fields. */
void out_list_begin(const char *key);
void out_list_end(void);
void out_row_begin(void);
void out_row_end(void);

/* One record of named fields (at top level, or nested under @key). */
void out_record_begin(const char *key);
void out_record_end(void);

/* One record on one line ("key value ..."; a JSON object and newline). */
void out_line_begin(void);
void out_line_end(void);

/* Fields of the current row or record. */
void out_u64(const char *key, uint64_t val);
void out_s64(const char *key, int64_t val);
void out_hex(const char *key, uint64_t val);
void out_str(const char *key, const char *val);
void out_uuid(const char *key, const uint8_t uuid[16]);
/* A member bitmap of @bits bits: "0-3,7" for people, [0,1,2,3,7] in JSON. */
void out_bitmap(const char *key, const __u64 *map, unsigned int bits);
/* A byte string: hex for people and in JSON. */
void out_bytes(const char *key, const void *buf, unsigned int len);

/* End of output: flush, final newline in JSON. */
void out_flush(void);

#endif /* FANOUTCTL_OUT_H */
