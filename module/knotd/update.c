/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>

#include "module/common/clock.h"
#include "module/common/logtext.h"
#include "module/knotd/auth.h"
#include "module/dns/ddns.h"
#include "module/mod-acme.h"
#include "module/knotd/update.h"

/*! Number of rcodes counted (NOERROR .. NOTZONE). */
#define RCODE_COUNT	(KNOT_RCODE_NOTZONE + 1)

static char *rcode_to_str(uint32_t idx, uint32_t count)
{
	(void)count;
	const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, idx);
	return strdup(item != NULL ? item->name : "other");
}

int acme_update_stats_init(knotd_mod_t *mod)
{
	return knotd_mod_stats_add(mod, "update", RCODE_COUNT, rcode_to_str);
}

/*! Static zone data the store cannot see: only the apex is reachable from a module. */
static knot_rrset_t apex_rrset(const knot_dname_t *owner, uint16_t type, void *arg)
{
	knotd_qdata_t *qdata = arg;
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	if (!knot_dname_is_equal(owner, knotd_qdata_zone_name(qdata))) {
		return rr;
	}
	/* Any type: the apex always holds its SOA. */
	return knotd_qdata_zone_apex_rrset(qdata, type == KNOT_RRTYPE_ANY ?
	                                   KNOT_RRTYPE_SOA : type);
}

static void count_update(knotd_mod_t *mod, unsigned thread, uint16_t rcode)
{
	knotd_mod_stats_incr(mod, thread, ACME_CTR_UPDATE,
	                     rcode < RCODE_COUNT ? rcode : KNOT_RCODE_SERVFAIL, 1);
}

static const char *rcode_str(uint16_t rcode)
{
	const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, rcode);
	return item != NULL ? item->name : "?";
}

/*!
 * Per-message limits (max-update-rrs, max-update-size), checked once the
 * sender is authenticated and before any store transaction.  Over a limit
 * the answer is REFUSED: the message is well-formed (FORMERR would say it is
 * not), the sender is allowed (NOTAUTH would say it is not), and REFUSED is
 * RFC 1035's "refuses for policy reasons", as for values strict refuses.
 * The reply is signed, so the client can trust the rcode.
 */
static bool over_limits(const acme_ctx_t *ctx, const knot_pkt_t *query, char *out,
                        size_t out_size)
{
	size_t rrs = knot_pkt_section(query, KNOT_ANSWER)->count +
	             knot_pkt_section(query, KNOT_AUTHORITY)->count;
	size_t size = knot_pkt_size(query);
	if (rrs > ctx->max_update_rrs) {
		snprintf(out, out_size, "%zu RRs, more than max-update-rrs %u",
		         rrs, ctx->max_update_rrs);
		return true;
	}
	if (size > ctx->max_update_size) {
		snprintf(out, out_size, "%zu bytes, more than max-update-size %u",
		         size, ctx->max_update_size);
		return true;
	}
	return false;
}

knotd_state_t acme_update(knotd_state_t state, knot_pkt_t *pkt,
                          knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	(void)pkt;
	acme_ctx_t *ctx = knotd_mod_ctx(mod);
	if (qdata->type != KNOTD_QUERY_TYPE_UPDATE || !acme_ddns_claims(qdata->query) ||
	    !knot_dname_is_equal(knot_pkt_qname(qdata->query), ctx->zone)) {
		return state;
	}

	char remote[ACME_ADDR_STR_MAX];
	if (!acme_addr_str(knotd_qdata_remote_addr(qdata), true, remote, sizeof(remote))) {
		snprintf(remote, sizeof(remote), "?@0");
	}
	knot_dname_txt_storage_t key_txt;
	const char *key_name = acme_tsig_key_name_str(knot_pkt_has_tsig(qdata->query) ?
	                                              qdata->query->tsig_rr->owner : NULL,
	                                              key_txt, "none");
	unsigned thread = qdata->params->thread_id;

	if (acme_auth_update(mod, qdata, ctx->zone, ctx->replay) != KNOT_EOK) {
		const char *tsig = acme_auth_tsig_error_name(qdata->rcode_tsig);
		knotd_mod_log(mod, LOG_NOTICE, "DDNS, from %s, key %s, denied, %s%s%s",
		              remote, key_name, rcode_str(qdata->rcode), tsig ? "/" : "",
		              tsig ? tsig : "");
		count_update(mod, thread, qdata->rcode);
		return KNOTD_STATE_FAIL;
	}

	char limit[64];
	if (over_limits(ctx, qdata->query, limit, sizeof(limit))) {
		knotd_mod_log(mod, LOG_NOTICE, "DDNS, from %s, key %s, REFUSED, %s",
		              remote, key_name, limit);
		count_update(mod, thread, KNOT_RCODE_REFUSED);
		qdata->rcode = KNOT_RCODE_REFUSED;
		return KNOTD_STATE_FAIL;
	}

	acme_ddns_t ddns = {
		.query = qdata->query,
		.zone = ctx->zone,
		.strict = ctx->strict,
		.zone_rrset = apex_rrset,
		.zone_ctx = qdata,
	};
	uint16_t rcode = acme_ddns_process(&ddns, ctx->store, &ctx->policy, acme_now_ms());
	count_update(mod, thread, rcode);
	qdata->rcode = rcode;

	if (rcode != KNOT_RCODE_NOERROR) {
		knot_dname_txt_storage_t owner = "";
		if (ddns.reason_owner != NULL) {
			(void)knot_dname_to_str(owner, ddns.reason_owner, sizeof(owner));
		}
		knotd_mod_log(mod, rcode == KNOT_RCODE_SERVFAIL ? LOG_ERR : LOG_NOTICE,
		              "DDNS, from %s, key %s, %s, %s%s%s", remote, key_name, rcode_str(rcode),
		              ddns.reason ? ddns.reason : "failed",
		              owner[0] ? ", owner " : "", owner);
		return KNOTD_STATE_FAIL;
	}

	const acme_result_t *r = &ddns.result;
	knotd_mod_log(mod, LOG_INFO, "DDNS, from %s, key %s, added %u, refreshed %u, "
	              "deleted %u", remote, key_name, r->added, r->refreshed, r->deleted);
	if (r->dropped > 0) {
		knotd_mod_log(mod, LOG_NOTICE, "DDNS, from %s, key %s, dropped %u oldest "
		              "values over max-records %u", remote, key_name, r->dropped,
		              ctx->policy.max_records);
	}
	return KNOTD_STATE_DONE;
}
