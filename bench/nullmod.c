/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief mod-benchnull: the do-nothing reference for the UPDATE benchmark.
 *
 * Built only for the benchmark (`make bench`), never installed.  For every
 * UPDATE to its zone it does the least a correct server must do: verify the
 * TSIG of the message against one key from the configuration, have Knot sign
 * the reply (qdata->sign, as module/auth.c leaves it) and answer NOERROR.
 * Nothing is parsed beyond what Knot already parsed and nothing is stored,
 * so its throughput is the ceiling for any module answering at BEGIN.
 *
 *   mod-benchnull:
 *     - id: default
 *       key: bench-key.
 *   zone:
 *     - domain: null.bench.
 *       module: mod-benchnull/default
 */

#include <stdlib.h>
#include <string.h>

#include <knot/module.h>
#include <libknot/libknot.h>

#define MOD_KEY		"\x03""key"

static const yp_item_t null_conf[] = {
	{ MOD_KEY, YP_TDNAME, YP_VNONE },
	{ NULL }
};

typedef struct {
	knot_tsig_key_t key;   /*!< Points into knotd's configuration. */
} null_ctx_t;

static knotd_state_t null_begin(knotd_state_t state, knot_pkt_t *pkt,
                                knotd_qdata_t *qdata, knotd_mod_t *mod)
{
	(void)pkt;
	if (qdata->type != KNOTD_QUERY_TYPE_UPDATE) {
		return state;
	}
	null_ctx_t *ctx = knotd_mod_ctx(mod);
	const knot_pkt_t *query = qdata->query;
	const knot_rrset_t *tsig = query->tsig_rr;
	if (tsig == NULL || !knot_dname_is_equal(tsig->owner, ctx->key.name) ||
	    knot_tsig_rdata_alg(tsig) != ctx->key.algorithm) {
		qdata->rcode = KNOT_RCODE_NOTAUTH;
		qdata->rcode_tsig = (tsig != NULL) ? KNOT_RCODE_BADKEY : KNOT_RCODE_NOERROR;
		return KNOTD_STATE_FAIL;
	}

	knot_sign_context_t *sign = &qdata->sign;
	sign->tsig_key = ctx->key;
	sign->tsig_digest = (uint8_t *)knot_tsig_rdata_mac(tsig);
	sign->tsig_digestlen = knot_tsig_rdata_mac_length(tsig);
	int ret = knot_tsig_server_check(tsig, query->wire, query->size, &sign->tsig_key);
	switch (ret) {
	case KNOT_EOK:
		qdata->rcode = KNOT_RCODE_NOERROR;
		return KNOTD_STATE_DONE;
	case KNOT_TSIG_EBADTIME:
		qdata->rcode = KNOT_RCODE_NOTAUTH;
		qdata->rcode_tsig = KNOT_RCODE_BADTIME;
		sign->tsig_time_signed = knot_tsig_rdata_time_signed(tsig);
		return KNOTD_STATE_FAIL;
	case KNOT_TSIG_EBADSIG:
		qdata->rcode_tsig = KNOT_RCODE_BADSIG;
		break;
	default:
		qdata->rcode_tsig = KNOT_RCODE_BADKEY;
		break;
	}
	qdata->rcode = KNOT_RCODE_NOTAUTH;
	memset(&sign->tsig_key, 0, sizeof(sign->tsig_key));
	return KNOTD_STATE_FAIL;
}

static int null_load(knotd_mod_t *mod)
{
	knotd_conf_t name = knotd_conf_mod(mod, MOD_KEY);
	if (name.count == 0 || name.single.dname == NULL) {
		knotd_mod_log(mod, LOG_ERR, "no 'key' configured");
		return KNOT_EINVAL;
	}
	knotd_conf_t id = { .count = 1 };
	id.single.data = name.single.dname;
	id.single.data_len = knot_dname_size(name.single.dname);
	knotd_conf_t secret = knotd_conf(mod, (const yp_name_t *)"\x03""key",
	                                 (const yp_name_t *)"\x06""secret", &id);
	knotd_conf_t alg = knotd_conf(mod, (const yp_name_t *)"\x03""key",
	                              (const yp_name_t *)"\x09""algorithm", &id);
	if (secret.count == 0 || secret.single.data_len == 0) {
		knotd_mod_log(mod, LOG_ERR, "key not found in the 'key' section");
		return KNOT_ENOENT;
	}

	null_ctx_t *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		return KNOT_ENOMEM;
	}
	ctx->key.name = (knot_dname_t *)name.single.dname;
	ctx->key.algorithm = alg.single.option;
	ctx->key.secret.data = (uint8_t *)secret.single.data;
	ctx->key.secret.size = secret.single.data_len;
	knotd_mod_ctx_set(mod, ctx);

	return knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, null_begin);
}

static void null_unload(knotd_mod_t *mod)
{
	free(knotd_mod_ctx(mod));
}

KNOTD_MOD_API(benchnull, KNOTD_MOD_FLAG_SCOPE_ZONE, null_load, null_unload, null_conf, NULL);
