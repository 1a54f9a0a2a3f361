/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What every knot-acme command shares: exit statuses, messages,
 *        names from the command line.
 */

#pragma once

#include <stdbool.h>

#include <libknot/libknot.h>

#define PROGRAM_NAME	"knot-acme"

/*! Exit statuses. */
enum {
	EXIT_OK = 0,       /*!< Success. */
	EXIT_RUNTIME = 1,  /*!< The operation failed (or deleted nothing). */
	EXIT_USAGE = 2,    /*!< Invalid command line or input; nothing was done. */
};

/*! Prints "knot-acme: MESSAGE" on standard error. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*! Reports a usage error (with a hint to --help) and returns EXIT_USAGE. */
int tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*!
 * Parses a host-style domain name from the command line (relative names are
 * taken as absolute) into lower case wire form.  Labels hold letters,
 * digits, '-' and '_' (other bytes only as deliberate \-escapes); with
 * \a wildcard a leading "*." is allowed and kept.
 */
bool tool_name_parse(const char *str, bool wildcard, knot_dname_t *out);

/*! Presentation form of \a name (absolute, with the dot) into \a buf. */
const char *tool_name_str(const knot_dname_t *name, char *buf, size_t size);
