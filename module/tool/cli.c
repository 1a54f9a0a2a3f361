/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "module/tool/cli.h"

static void vprint_error(const char *fmt, va_list ap)
{
	fputs(PROGRAM_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tool_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
}

int tool_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	fputs("Try '" PROGRAM_NAME " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/*! Host-name characters; anything else only escaped. */
static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool tool_name_parse(const char *str, bool wildcard, knot_dname_t *out)
{
	if (str[0] == '\0') {
		return false;
	}
	const char *p = str;
	if (wildcard && p[0] == '*' && p[1] == '.') {
		p += 2;
	}
	bool label_start = true;
	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				return false;
			}
			p++; /* knot_dname_from_str() checks the escape itself. */
		} else if (*p == '.') {
			if (label_start && !(p == str && p[1] == '\0')) {
				return false; /* Empty label. */
			}
			label_start = true;
			continue;
		} else if (!plain_char(*p)) {
			return false;
		}
		label_start = false;
	}
	if (knot_dname_from_str(out, str, KNOT_DNAME_MAXLEN) == NULL) {
		return false;
	}
	knot_dname_to_lower(out);
	return true;
}

const char *tool_name_str(const knot_dname_t *name, char *buf, size_t size)
{
	if (knot_dname_to_str(buf, name, size) == NULL) {
		snprintf(buf, size, "?");
	}
	return buf;
}
