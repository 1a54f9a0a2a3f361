/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief RFC 2136 semantics of a TXT-only UPDATE applied to the store.
 *
 * Pure: no knotd symbols, so it is unit tested on its own.  The order of
 * checks and the rcodes follow Knot's native DDNS (src/knot/updates/ddns.c):
 * prerequisites in message order (those with values after the others), then
 * each update RR in order, and the first failure decides the rcode.
 *
 * The message and the zone data (the apex SOA and NS, through zone_rrset) are
 * checked here; what only the store knows goes to it as data
 * (acme_prereq_t), and the store evaluates those prerequisites and applies
 * the operations in one atomic step, so a refused update writes nothing.
 * When a check here fails, the store prerequisites Knot would have checked
 * before it are still evaluated (without operations): their failure decides.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "module/store/store.h"

/*!
 * Zone data the store does not hold (e.g. the apex SOA and NS), used by
 * prerequisites.  Returns an empty RRset when there is none or it is unknown.
 */
typedef knot_rrset_t (*acme_zone_rrset_cb)(const knot_dname_t *owner, uint16_t type,
                                           void *ctx);

/*! One UPDATE to process. */
typedef struct {
	const knot_pkt_t *query;         /*!< Parsed UPDATE message. */
	const knot_dname_t *zone;        /*!< Zone (the zone section's name). */
	bool strict;                     /*!< Only RFC 8555 values may be added. */
	acme_zone_rrset_cb zone_rrset;   /*!< Optional view of static zone data. */
	void *zone_ctx;

	/* Out. */
	const char *reason;              /*!< Why it was not applied, for logs. */
	const knot_dname_t *reason_owner;/*!< Owner the reason is about, if any. */
	acme_result_t result;            /*!< What changed. */
} acme_ddns_t;

/*!
 * True if the module handles this UPDATE: class IN, zone section of type SOA,
 * and a non-empty update section holding TXT records only, or no update
 * section and prerequisites about TXT RRsets only.  Everything else is left
 * to Knot.
 */
bool acme_ddns_claims(const knot_pkt_t *query);

/*!
 * Checks the prerequisites and update RRs, then has the store evaluate its
 * prerequisites and apply the operations atomically.
 *
 * \return The DNS rcode to answer (KNOT_RCODE_NOERROR once committed).
 */
uint16_t acme_ddns_process(acme_ddns_t *ddns, acme_store_t *store,
                           const acme_policy_t *policy, uint64_t now);
