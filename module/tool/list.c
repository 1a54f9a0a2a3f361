/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/dns/value.h"
#include "module/tool/list.h"

/*! Room for acme_txt_to_str() of any rdata: at worst 4 characters a byte,
 *  or 3 (quotes and separator) for each empty string. */
#define TXT_STR_MAX		(7 * ACME_STORE_RDATA_MAX + 1)

/*! Writes a duration as e.g. 59m58s, 1d0h0m5s, 0s. */
static void format_duration(char *buf, size_t size, uint64_t secs)
{
	uint64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
	if (d > 0) {
		snprintf(buf, size, "%"PRIu64"d%"PRIu64"h%"PRIu64"m%"PRIu64"s", d, h, m, s);
	} else if (h > 0) {
		snprintf(buf, size, "%"PRIu64"h%"PRIu64"m%"PRIu64"s", h, m, s);
	} else if (m > 0) {
		snprintf(buf, size, "%"PRIu64"m%"PRIu64"s", m, s);
	} else {
		snprintf(buf, size, "%"PRIu64"s", s);
	}
}

/*! Writes \a len bytes as a JSON string (bytes outside ASCII as \u00XX). */
static void json_string(FILE *out, const uint8_t *data, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c >= 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else {
			fputc(c, out);
		}
	}
	fputc('"', out);
}

static int print_json(list_ctx_t *list, const acme_value_t *value, const char *owner,
                      uint64_t ttl, uint64_t left)
{
	FILE *out = list->out;
	fprintf(out, "%s\n  {\"name\": ", list->count == 0 ? "" : ",");
	json_string(out, (const uint8_t *)owner, strlen(owner));
	fprintf(out, ", \"ttl\": %"PRIu64", \"txt\": [", ttl);
	/* One JSON string per TXT character-string. */
	for (size_t pos = 0; pos < value->rdata_len; pos += 1 + value->rdata[pos]) {
		if (pos > 0) {
			fputs(", ", out);
		}
		json_string(out, value->rdata + pos + 1, value->rdata[pos]);
	}
	fprintf(out, "], \"expires\": %"PRIu64", \"expires_in\": %"PRIu64
	        ", \"added\": %"PRIu64", \"database\": ",
	        value->expires / 1000, left, value->added / 1000);
	json_string(out, (const uint8_t *)list->target->db, strlen(list->target->db));
	if (list->target->acme != NULL) {
		fputs(", \"module\": ", out);
		char ref[256];
		snprintf(ref, sizeof(ref), "mod-acme%s%s", list->target->acme->id[0] ? "/" : "",
		         list->target->acme->id);
		json_string(out, (const uint8_t *)ref, strlen(ref));
	}
	fputc('}', out);
	return ferror(out) ? KNOT_ENOMEM : KNOT_EOK;
}

int tool_list_value(const acme_value_t *value, void *ctx)
{
	list_ctx_t *list = ctx;

	if (value->expires <= list->now) { /* The store only walks live ones. */
		return KNOT_EOK;
	}
	uint64_t left = (value->expires - list->now) / 1000;
	uint64_t ttl = value->ttl < left ? value->ttl : left;
	if (ttl > list->target->max_ttl) {
		ttl = list->target->max_ttl; /* What knotd answers. */
	}

	char owner[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(owner, value->owner, sizeof(owner)) == NULL) {
		return KNOT_EMALF;
	}
	if (!acme_txt_valid(value->rdata, value->rdata_len)) {
		return KNOT_EMALF;
	}
	if (list->json) {
		int ret = print_json(list, value, owner, ttl, left);
		list->count++;
		return ret;
	}
	char txt[TXT_STR_MAX];
	int ret = acme_txt_to_str(value->rdata, value->rdata_len, txt, sizeof(txt));
	if (ret < 0) {
		return ret;
	}
	char expires[64];
	format_duration(expires, sizeof(expires), left);

	if (fprintf(list->out, "%s %"PRIu64" IN TXT %s ; expires in %s\n",
	            owner, ttl, txt, expires) < 0) {
		return KNOT_ENOMEM;
	}
	list->count++;
	return KNOT_EOK;
}
