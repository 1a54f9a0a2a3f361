/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What the knotd stub's two files share: the modules of its zones
 *        (knotd_stub.c loads them) and the database directory their
 *        configuration (stub_conf.c) names.
 */

#pragma once

#include <knot/module.h>

/*! Zones of the stub: STUB_ZONE_ALIAS and STUB_ZONE_DELEG, in that order. */
#define STUB_ZONES	2

extern knotd_mod_t stub_mods[STUB_ZONES];
extern char stub_db_dir[64];
