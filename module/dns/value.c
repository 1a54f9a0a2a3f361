/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/dns/value.h"

bool acme_txt_valid(const uint8_t *rdata, size_t len)
{
	if (rdata == NULL || len == 0) {
		return false;
	}
	size_t pos = 0;
	while (pos < len) {
		pos += 1 + rdata[pos];
	}
	return pos == len;
}

static bool is_base64url(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool acme_value_strict(const uint8_t *rdata, size_t len)
{
	if (rdata == NULL || len != 1 + ACME_VALUE_STRICT_LEN ||
	    rdata[0] != ACME_VALUE_STRICT_LEN) {
		return false;
	}
	for (size_t i = 1; i < len; i++) {
		if (!is_base64url(rdata[i])) {
			return false;
		}
	}
	return true;
}

int acme_txt_from_str(const char *str, uint8_t *out, size_t out_size, size_t *out_len)
{
	if (str == NULL || out == NULL || out_len == NULL) {
		return KNOT_EINVAL;
	}
	size_t len = strlen(str);
	if (len > 255 || len + 1 > out_size) {
		return KNOT_ESPACE;
	}
	out[0] = len;
	memcpy(out + 1, str, len);
	*out_len = len + 1;
	return KNOT_EOK;
}

int acme_txt_to_str(const uint8_t *rdata, size_t len, char *out, size_t out_size)
{
	if (!acme_txt_valid(rdata, len) || out == NULL || out_size == 0) {
		return KNOT_EINVAL;
	}
	size_t w = 0;
#define PUT(...) do { \
		int n = snprintf(out + w, out_size - w, __VA_ARGS__); \
		if (n < 0 || (size_t)n >= out_size - w) { return KNOT_ESPACE; } \
		w += n; \
	} while (0)
	size_t pos = 0;
	while (pos < len) {
		uint8_t slen = rdata[pos++];
		PUT("%s\"", w > 0 ? " " : "");
		for (size_t i = 0; i < slen; i++, pos++) {
			uint8_t c = rdata[pos];
			if (c == '"' || c == '\\') {
				PUT("\\%c", c);
			} else if (c < 0x20 || c > 0x7e) {
				PUT("\\%03u", c);
			} else {
				PUT("%c", c);
			}
		}
		PUT("\"");
	}
#undef PUT
	return w;
}
