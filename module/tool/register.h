/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief `knot-acme register` and `unregister`: onboarding a name.
 *
 * register NAME adds to knotd's configuration a TSIG key (hmac-sha256, from
 * getrandom()), an acl that lets that key write exactly the TXT at the name
 * NAME's challenge lives at, and either that acl in the alias zone's list
 * (--alias ZONE) or a new mod-acme zone _acme-challenge.NAME (--delegate).
 * When knotd runs from a configuration database, all of it is one
 * conf-begin ... conf-commit transaction over the control socket, aborted on
 * any failure; with a configuration file it is a file of its own under
 * knot-acme.d/ next to it (mode 0640, the configuration's owner and group),
 * checked with knotc conf-check before it is kept.  It then prints the
 * record for the main zone and the ACME client configurations.
 * unregister NAME removes what register added.
 */

#pragma once

#include "module/tool/knotc.h"

/*! Runs `register ARGS...` (argv[0] is "register"); returns the exit status. */
int tool_register(int argc, char *argv[], const tool_src_t *src);

/*! Runs `unregister ARGS...` (argv[0] is "unregister"); returns the exit status. */
int tool_unregister(int argc, char *argv[], const tool_src_t *src);
