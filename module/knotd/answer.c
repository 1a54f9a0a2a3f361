/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "module/common/clock.h"
#include "module/knotd/answer.h"
#include "module/mod-acme.h"

/*!
 * Builds the TXT RRset from live values; TTL is the smallest allowed.  The
 * RRset is made at the first value: a miss allocates nothing.
 */
typedef struct {
	knot_rrset_t *rrset;
	const knot_dname_t *owner;
	knot_mm_t *mm;
	uint64_t now;
	uint32_t max_ttl;
	uint32_t ttl;
} collect_t;

static int collect_value(const acme_value_t *value, void *arg)
{
	collect_t *c = arg;
	if (c->rrset == NULL) {
		c->rrset = knot_rrset_new(c->owner, KNOT_RRTYPE_TXT, KNOT_CLASS_IN, 0, c->mm);
		if (c->rrset == NULL) {
			return KNOT_ENOMEM;
		}
	}
	uint64_t left = (value->expires - c->now) / 1000;
	uint32_t ttl = value->ttl;
	if (ttl > c->max_ttl) {
		ttl = c->max_ttl;
	}
	if (ttl > left) {
		ttl = left;
	}
	if (ttl < c->ttl) {
		c->ttl = ttl;
	}
	return knot_rrset_add_rdata(c->rrset, value->rdata, value->rdata_len, c->mm);
}

static knotd_in_state_t read_failed(knotd_mod_t *mod, knotd_qdata_t *qdata, int ret)
{
	/* A store that cannot be reached (Redis down) logged that once, when it
	 * happened: one line per query would flood the log meanwhile. */
	bool away = ret == KNOT_ECONN || ret == KNOT_ETIMEOUT;
	knotd_mod_log(mod, away ? LOG_DEBUG : LOG_ERR, "failed to read the store (%s)",
	              knot_strerror(ret));
	qdata->rcode = KNOT_RCODE_SERVFAIL;
	return KNOTD_IN_STATE_ERROR;
}

/*! Puts the live values of \a name as one TXT RRset into the answer. */
static knotd_in_state_t put_values(acme_ctx_t *ctx, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                   knotd_mod_t *mod, const acme_okey_t *okey,
                                   knotd_in_state_t state, bool *below)
{
	collect_t c = {
		.owner = qdata->name,
		.mm = &pkt->mm,
		.now = acme_now_ms(),
		.max_ttl = ctx->max_ttl,
		.ttl = UINT32_MAX,
	};
	int count = acme_store_read(ctx->store, qdata->params->thread_id, okey, c.now,
	                            collect_value, &c, below);
	if (count <= 0) {
		knot_rrset_free(c.rrset, &pkt->mm);
		return (count < 0) ? read_failed(mod, qdata, count) : state;
	}

	c.rrset->ttl = c.ttl;
	/* Owner written as a pointer to the question keeps the query's case. */
	uint16_t hint = knot_dname_is_equal(qdata->name, knot_pkt_qname(qdata->query)) ?
	                KNOT_COMPR_HINT_QNAME : KNOT_COMPR_HINT_NONE;
	/*
	 * The online signer after this module adds the RRSIG; without room for
	 * it, it fails the whole answer (SERVFAIL) where TC belongs.
	 */
	uint16_t room = knot_pkt_has_dnssec(qdata->query) ? ctx->rrsig_size : 0;
	int ret = (room > 0) ? knot_pkt_reserve(pkt, room) : KNOT_EOK;
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(pkt, hint, c.rrset, KNOT_PF_FREE);
		if (room > 0) {
			knot_pkt_reclaim(pkt, room);
		}
	} else {
		knot_rrset_free(c.rrset, &pkt->mm);
		ret = KNOT_ESPACE;
		knot_wire_set_tc(pkt->wire);
	}
	if (ret == KNOT_ESPACE && qdata->params->proto == KNOTD_QUERY_PROTO_UDP) {
		return KNOTD_IN_STATE_TRUNC;
	} else if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "failed to put the answer (%s)",
		              knot_strerror(ret));
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_IN_STATE_ERROR;
	}
	knot_wire_set_aa(pkt->wire);
	knotd_mod_stats_incr(mod, qdata->params->thread_id, ACME_CTR_SYNTHESIZED, 0, 1);
	qdata->rcode = KNOT_RCODE_NOERROR;
	return KNOTD_IN_STATE_HIT;
}

knotd_in_state_t acme_answer(knotd_in_state_t state, knot_pkt_t *pkt,
                             knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	acme_ctx_t *ctx = knotd_mod_ctx(mod);
	uint16_t qtype = knot_pkt_qtype(qdata->query);

	/* Knot found nothing (MISS, NODATA), or ANY found zone data to add to. */
	if (!(state == KNOTD_IN_STATE_MISS || state == KNOTD_IN_STATE_NODATA ||
	      (state == KNOTD_IN_STATE_HIT && qtype == KNOT_RRTYPE_ANY))) {
		return state;
	}

	/*
	 * Most misses end here, without reading the database; a CNAME chain can
	 * lead out of the zone.
	 */
	acme_okey_t okey;
	if (qdata->type != KNOTD_QUERY_TYPE_NORMAL ||
	    !acme_store_find_okey(ctx->store, qdata->name, &okey) ||
	    !acme_okey_within(&okey, &ctx->zone_okey)) {
		return state;
	}

	bool below = false;
	bool *want_below = (state == KNOTD_IN_STATE_MISS) ? &below : NULL;
	if (qtype == KNOT_RRTYPE_TXT || qtype == KNOT_RRTYPE_ANY) {
		knotd_in_state_t next = put_values(ctx, pkt, qdata, mod, &okey, state, want_below);
		if (next != state || !below) {
			return next;
		}
	} else {
		int count = acme_store_read(ctx->store, qdata->params->thread_id, &okey,
		                            acme_now_ms(), NULL, NULL, want_below);
		if (count < 0) {
			return read_failed(mod, qdata, count);
		}
		if (count == 0 && !below) {
			return state; /* Not ours: Knot's answer stands. */
		}
	}

	/* A name of the store, or an empty non-terminal above one: NODATA. */
	if (state == KNOTD_IN_STATE_MISS) {
		knotd_mod_stats_incr(mod, qdata->params->thread_id, ACME_CTR_NODATA, 0, 1);
		qdata->rcode = KNOT_RCODE_NOERROR;
		return KNOTD_IN_STATE_NODATA;
	}
	if (state == KNOTD_IN_STATE_NODATA) {
		knotd_mod_stats_incr(mod, qdata->params->thread_id, ACME_CTR_NODATA, 0, 1);
	}
	return state;
}
