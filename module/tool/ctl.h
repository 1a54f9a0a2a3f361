/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief knotd's control socket: configuration transactions.
 *
 * Speaks knotc's protocol with libknot's control API, so that values (key
 * secrets) travel over the socket only, never on a command line that other
 * users could read in /proc.
 */

#pragma once

#include <stddef.h>

typedef struct tool_ctl tool_ctl_t;

/*! Connects to knotd's control socket; on failure \a err says why. */
int tool_ctl_open(tool_ctl_t **ctl, const char *path, char *err, size_t err_size);

/*! Ends the session (an open transaction is aborted by the caller). */
void tool_ctl_close(tool_ctl_t *ctl);

/*!
 * Runs one control command and waits for its reply.
 *
 * \param cmd      "conf-begin", "conf-set", "conf-unset", "conf-commit", ...
 * \param section  Configuration section, or NULL.
 * \param id       Section entry id, or NULL.
 * \param item     Item name, or NULL.
 * \param values   NULL-terminated item values, or NULL (one unit, no value).
 * \param err      knotd's error message when it refused.
 *
 * \return KNOT_EOK, KNOT_ERROR when knotd refused (see \a err), or a
 *         libknot error of the connection.
 */
int tool_ctl_cmd(tool_ctl_t *ctl, const char *cmd, const char *section, const char *id,
                 const char *item, const char *const *values, char *err, size_t err_size);
