/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Update path: answers TXT-only RFC 2136 UPDATEs from the store.
 */

#pragma once

#include <knot/module.h>

/*! Registers the update counters; called at load. */
int acme_update_stats_init(knotd_mod_t *mod);

/*!
 * BEGIN-stage hook.  Claims UPDATEs whose update section holds only TXT
 * records: authenticates them like Knot (auth.c), applies them to the store
 * all-or-nothing (ddns.c) and answers.  Every other message is left to Knot.
 */
knotd_state_t acme_update(knotd_state_t state, knot_pkt_t *pkt,
                          knotd_qdata_t *qdata, knotd_mod_t *mod);
