// SPDX-License-Identifier: GPL-2.0
/*
 * fanoutctl output, see out.h. Single-threaded: the state below is the
 * printer's, touched only from the main thread.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

bool out_json;

/* What is open: a list (table), a row, a record or a one-line record. */
enum out_kind { OUT_LIST, OUT_ROW, OUT_RECORD, OUT_LINE };

#define OUT_DEPTH 8

static struct {
	enum out_kind kind;
	bool first;		/* no field emitted yet at this level */
} stack[OUT_DEPTH];
static int depth;

/*
 * Table mode: the list being collected, its column headers (the keys of
 * the first row) first, then every row's cells.
 */
static char **cells;
static unsigned int ncells, cells_cap, ncols;
static bool header_done;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("fanoutctl");
		exit(1);
	}
	return p;
}

static void push(enum out_kind kind)
{
	if (depth == OUT_DEPTH) {
		fprintf(stderr, "fanoutctl: output nested too deep\n");
		exit(1);
	}
	stack[depth].kind = kind;
	stack[depth].first = true;
	depth++;
}

static enum out_kind top(void)
{
	return depth ? stack[depth - 1].kind : OUT_RECORD;
}

/* JSON: a comma before every element but the first of its level. */
static void json_sep(void)
{
	if (depth && !stack[depth - 1].first)
		putchar(',');
	if (depth)
		stack[depth - 1].first = false;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_key(const char *key)
{
	json_sep();
	if (key && depth && top() != OUT_LIST) {
		json_string(key);
		putchar(':');
	}
}

static void cell_add(const char *text)
{
	if (ncells == cells_cap) {
		cells_cap = cells_cap ? 2 * cells_cap : 64;
		cells = xrealloc(cells, cells_cap * sizeof(*cells));
	}
	cells[ncells] = strdup(text);
	if (!cells[ncells++]) {
		perror("fanoutctl");
		exit(1);
	}
}

/*
 * Table mode: a cell of the current row. The first row's keys are the
 * headers: they are collected first and its values moved after them at
 * the end of the row.
 */
static void cell(const char *key, const char *val)
{
	if (!header_done) {
		cell_add(key);
		ncols++;
	}
	cell_add(val);
}

/* Emit one field, @val already formatted for people, @json for JSON. */
static void field(const char *key, const char *val, const char *json)
{
	enum out_kind k = top();

	if (out_json) {
		json_key(key);
		fputs(json, stdout);
		return;
	}
	if (k == OUT_ROW) {
		cell(key, val);
	} else if (k == OUT_LINE) {
		printf("%s%s %s", stack[depth - 1].first ? "" : " ", key, val);
		stack[depth - 1].first = false;
	} else {
		printf("%*s%s: %s\n", 2 * (depth ? depth - 1 : 0), "", key, val);
	}
}

void out_list_begin(const char *key)
{
	if (out_json) {
		json_key(key);
		putchar('[');
	} else if (depth) {
		printf("%s:\n", key);
	}
	push(OUT_LIST);
	ncells = ncols = 0;
	header_done = false;
}

/* Table mode: print the collected cells, columns aligned. */
static void table_print(void)
{
	unsigned int *w, i, c;

	if (!ncols)
		return;
	w = calloc(ncols, sizeof(*w));
	if (!w)
		exit(1);
	for (i = 0; i < ncells; i++) {
		c = i % ncols;
		if (strlen(cells[i]) > w[c])
			w[c] = strlen(cells[i]);
	}
	for (i = 0; i < ncells; i++) {
		c = i % ncols;
		if (c == ncols - 1)
			printf("%s\n", cells[i]);
		else
			printf("%-*s  ", (int)w[c], cells[i]);
		free(cells[i]);
	}
	free(w);
	ncells = ncols = 0;
}

void out_list_end(void)
{
	depth--;
	if (out_json)
		putchar(']');
	else
		table_print();
	if (!depth)
		out_flush();
}

void out_row_begin(void)
{
	if (out_json) {
		json_sep();
		putchar('{');
	}
	push(OUT_ROW);
}

void out_row_end(void)
{
	char **tmp;
	unsigned int i;

	depth--;
	if (out_json)
		putchar('}');
	if (!out_json && !header_done) {
		/* k0 v0 k1 v1 ... becomes k0 k1 ... v0 v1 ... */
		tmp = xrealloc(NULL, 2 * ncols * sizeof(*tmp));
		for (i = 0; i < ncols; i++) {
			tmp[i] = cells[2 * i];
			tmp[ncols + i] = cells[2 * i + 1];
		}
		memcpy(cells, tmp, 2 * ncols * sizeof(*tmp));
		free(tmp);
	}
	header_done = true;
}

void out_record_begin(const char *key)
{
	if (out_json) {
		json_key(key);
		putchar('{');
	} else if (key && depth) {
		printf("%*s%s:\n", 2 * (depth - 1), "", key);
	}
	push(OUT_RECORD);
}

void out_record_end(void)
{
	depth--;
	if (out_json)
		putchar('}');
	if (!depth)
		out_flush();
}

void out_line_begin(void)
{
	if (out_json) {
		json_sep();
		putchar('{');
	}
	push(OUT_LINE);
}

void out_line_end(void)
{
	depth--;
	putchar(out_json ? '}' : '\n');
	if (out_json)
		putchar('\n');
	fflush(stdout);
}

void out_u64(const char *key, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	field(key, buf, buf);
}

void out_s64(const char *key, int64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, val);
	field(key, buf, buf);
}

void out_hex(const char *key, uint64_t val)
{
	char buf[32], json[40];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, val);
	snprintf(json, sizeof(json), "\"%s\"", buf);
	field(key, buf, json);
}

void out_str(const char *key, const char *val)
{
	char *safe;
	size_t i;

	if (out_json) {
		json_key(key);
		json_string(val);
		return;
	}
	/* Names are anyone's: no control character reaches the terminal. */
	safe = strdup(val);
	if (!safe) {
		perror("fanoutctl");
		exit(1);
	}
	for (i = 0; safe[i]; i++)
		if ((unsigned char)safe[i] < 0x20 || safe[i] == 0x7f)
			safe[i] = '?';
	field(key, safe, NULL);
	free(safe);
}

void out_uuid(const char *key, const uint8_t u[16])
{
	char buf[40], json[44];

	snprintf(buf, sizeof(buf),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	snprintf(json, sizeof(json), "\"%s\"", buf);
	field(key, buf, json);
}

static bool bit(const __u64 *map, unsigned int i)
{
	return map[i / 64] >> (i % 64) & 1;
}

/* Append to a growing string. */
static void sappend(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*s + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if ((size_t)n < *cap - *len)
			break;
		*cap = 2 * *cap + n;
		*s = xrealloc(*s, *cap);
	}
	*len += n;
}

void out_bitmap(const char *key, const __u64 *map, unsigned int bits)
{
	size_t hlen = 0, hcap = 64, jlen = 0, jcap = 64;
	char *h = xrealloc(NULL, hcap), *j = xrealloc(NULL, jcap);
	unsigned int i, end;

	h[0] = 0;
	sappend(&j, &jlen, &jcap, "[");
	for (i = 0; i < bits; i++) {
		if (!bit(map, i))
			continue;
		sappend(&j, &jlen, &jcap, "%s%u", jlen > 1 ? "," : "", i);
		for (end = i; end + 1 < bits && bit(map, end + 1); end++)
			sappend(&j, &jlen, &jcap, ",%u", end + 1);
		if (end > i)
			sappend(&h, &hlen, &hcap, "%s%u-%u", hlen ? "," : "", i, end);
		else
			sappend(&h, &hlen, &hcap, "%s%u", hlen ? "," : "", i);
		i = end;
	}
	sappend(&j, &jlen, &jcap, "]");
	field(key, hlen ? h : "-", j);
	free(h);
	free(j);
}

void out_bytes(const char *key, const void *buf, unsigned int len)
{
	const unsigned char *b = buf;
	char *h = xrealloc(NULL, 2 * len + 3);
	unsigned int i;

	h[0] = 0;
	for (i = 0; i < len; i++)
		sprintf(h + 2 * i, "%02x", b[i]);
	if (out_json) {
		json_key(key);
		json_string(h);
	} else {
		field(key, len ? h : "-", NULL);
	}
	free(h);
}

void out_flush(void)
{
	if (out_json && !depth)
		putchar('\n');
	fflush(stdout);
}
