/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief `knot-acme check NAME`: would a CA see a challenge value for NAME?
 *
 * Follows _acme-challenge.NAME from a resolver (CNAME chain, delegation),
 * then checks the zone it leads to against knotd's configuration and knotd
 * itself: served here, with mod-acme, loaded, reached by the resolver, TTLs
 * and DNSSEC that let a fresh value be seen, and a key whose acl lets it
 * write the name; --probe writes a value by DDNS with that key, reads it
 * back through the resolver and deletes it.  One line per finding
 * ("ok:", "warning:", "error:"); exit status 0 only without errors.
 */

#pragma once

#include "module/tool/knotc.h"

/*! Runs `check ARGS...` (argv[0] is "check"); returns the exit status. */
int tool_check(int argc, char *argv[], const tool_src_t *src);
