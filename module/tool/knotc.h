/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Runs knotc against the configuration knotd uses.
 *
 * The tool reads and changes knotd's configuration only through knotc, with
 * the same source options (-c FILE, -C DIR, -s SOCKET) and so the same
 * defaults as the installed knotc: libknot does not ship knotd's
 * configuration API, and knotc is what the operator trusts anyway.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

/*! Where knotd's configuration comes from (NULL: knotc's default). */
typedef struct {
	const char *config;   /*!< -c FILE */
	const char *confdb;   /*!< -C DIR */
	const char *socket;   /*!< -s PATH */
	const char *knotc;    /*!< knotc program ($KNOTC, or "knotc" on PATH). */
} tool_src_t;

/*! knotc's compiled-in defaults (Debian's and Knot's own). */
#ifndef KNOT_CONF_DEFAULT_FILE
#define KNOT_CONF_DEFAULT_FILE	"/etc/knot/knot.conf"
#endif
#ifndef KNOT_CONF_DEFAULT_DBDIR
#define KNOT_CONF_DEFAULT_DBDIR	"/var/lib/knot/confdb"
#endif
#ifndef KNOT_STORAGE_DIR
#define KNOT_STORAGE_DIR	"/var/lib/knot"
#endif
#ifndef KNOT_RUN_DIR
#define KNOT_RUN_DIR		"/run/knot"
#endif

/*! The knotc to run: $KNOTC, knotc on PATH, or /usr/sbin/knotc. */
const char *tool_knotc_default(void);

/*!
 * True when knotc would use a configuration database: -C given, or neither
 * -c nor -C and the default confdb exists (knotc's own order).
 */
bool tool_src_is_confdb(const tool_src_t *src);

/*! Human-readable configuration source, e.g. "file /etc/knot/knot.conf". */
const char *tool_src_describe(const tool_src_t *src, char *buf, size_t size);

/*!
 * Runs `knotc [-c|-C|-s] ARGS...` and collects its output.
 *
 * \param args  NULL-terminated knotc arguments (the action and its args).
 * \param out   Set to knotc's standard output (NUL-terminated, malloc'd), or NULL.
 * \param err   Set to knotc's standard error (NUL-terminated, malloc'd), or NULL.
 *
 * \return knotc's exit status (>= 0), or a negative libknot error when it
 *         could not be run.
 */
int tool_knotc(const tool_src_t *src, const char *const *args, char **out, char **err);
