/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Answer path: synthesizes TXT answers from the store.
 */

#pragma once

#include <knot/module.h>

/*!
 * ANSWER-stage hook.  Runs after Knot's own lookup: turns a miss into the
 * stored TXT RRset, NODATA for other types and empty non-terminals, and
 * leaves names without live values to Knot's answer.  Zone data wins: a
 * name where the zone itself answers the TXT query (a static TXT, a wildcard)
 * or that lies below a delegation keeps Knot's answer.
 */
knotd_in_state_t acme_answer(knotd_in_state_t state, knot_pkt_t *pkt,
                             knotd_qdata_t *qdata, knotd_mod_t *mod);
