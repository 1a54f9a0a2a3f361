/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief DNSSEC configurations the module can serve, checked at load.
 *
 * Values from the store validate only when Knot's online signer signs them:
 * `module: [mod-acme/<id>, mod-onlinesign/<id>]`, with TXT in the signer's
 * `nsec-bitmap`.  Every other signed setup would hand validating resolvers
 * unsigned (bogus) challenge answers or proofs that deny live values.
 */

#pragma once

#include <knot/module.h>

/*!
 * Checks the zone's DNSSEC configuration for this module instance.
 *
 * Refuses (logs what to write instead and returns an error) when the zone
 * has `dnssec-signing: on`, when mod-onlinesign comes before mod-acme in the
 * zone's module list, or when mod-onlinesign would leave TXT out of the NSEC
 * type bitmaps it synthesizes.
 *
 * \param mod         Module instance.
 * \param rrsig_size  Out: bytes the online signer adds to a TXT answer (one
 *                    RRSIG), 0 when the zone is unsigned.
 *
 * \return KNOT_EOK, KNOT_ENOTSUP (refused), KNOT_ENOMEM.
 */
int acme_dnssec_check(knotd_mod_t *mod, uint16_t *rrsig_size);
