/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Per-zone context of mod-acme, shared by its hooks.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <knot/module.h>

#include "module/dns/replay.h"
#include "module/store/lmdb/lmdb.h"

/*! Statistics counters (`knotc zone-stats ZONE mod-acme`). */
enum {
	ACME_CTR_SYNTHESIZED = 0, /*!< TXT answers synthesized from the store. */
	ACME_CTR_NODATA,          /*!< NODATA answers for names in the store. */
	ACME_CTR_EXPIRED,         /*!< Values removed after their lifetime. */
	ACME_CTR_UPDATE,          /*!< UPDATEs handled, by rcode. */
	ACME_CTR_REDIS,           /*!< Redis state changes, by acme_redis_event_t. */
	ACME_CTR_COUNT
};

/*! Module instance of one zone. */
typedef struct {
	knotd_mod_t *mod;
	acme_store_t *store;
	struct acme_storeconf_log *store_log; /*!< Redis backend's logging (NULL: LMDB). */
	knot_dname_t *zone;       /*!< Copy of the zone name (valid in unload). */
	acme_okey_t zone_okey;
	char *zone_str;
	acme_policy_t policy;     /*!< lifetime, max-records */
	uint32_t max_ttl;
	bool strict;
	acme_replay_t *replay;    /*!< MACs of accepted signed UPDATEs (NULL: off). */
	uint32_t max_update_rrs;  /*!< Prerequisite and update RRs in one UPDATE. */
	uint32_t max_update_size; /*!< Bytes of one UPDATE message, TSIG included. */
	uint16_t rrsig_size;      /*!< Bytes the online signer adds to a TXT answer (0: unsigned). */
} acme_ctx_t;
