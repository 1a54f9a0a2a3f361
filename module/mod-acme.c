/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief mod-acme: ACME DNS-01 challenge values served from a store (LMDB
 *        or Redis/Valkey).
 *
 * Configuration schema, load/unload and the module API entry.  The store's
 * items are checked and the store opened in knotd/storeconf.c, answers in
 * knotd/answer.c, UPDATEs in knotd/update.c (with RFC 2136 semantics in
 * dns/ddns.c and TSIG/acl checks in knotd/auth.c and dns/acl.c), the DNSSEC
 * configurations it refuses in knotd/dnssec.c.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/common/consts.h"
#include "module/knotd/answer.h"
#include "module/knotd/dnssec.h"
#include "module/knotd/storeconf.h"
#include "module/mod-acme.h"
#include "module/knotd/update.h"

#define MOD_LIFETIME	"\x08""lifetime"
#define MOD_MAX_TTL	"\x07""max-ttl"
#define MOD_MAX_RECORDS	"\x0b""max-records"
#define MOD_STRICT	"\x06""strict"
#define MOD_REPLAY	"\x0c""replay-cache"
#define MOD_MAX_RRS	"\x0e""max-update-rrs"
#define MOD_MAX_SIZE	"\x0f""max-update-size"

static const yp_item_t acme_conf[] = {
	{ MOD_LIFETIME,    YP_TINT,  YP_VINT = { 1, ACME_LIFETIME_MAX, ACME_LIFETIME_DEFAULT, YP_STIME } },
	{ MOD_MAX_TTL,     YP_TINT,  YP_VINT = { 0, INT32_MAX, ACME_MAX_TTL_DEFAULT, YP_STIME } },
	{ MOD_MAX_RECORDS, YP_TINT,  YP_VINT = { 1, 1000, ACME_MAX_RECORDS_DEFAULT } },
	{ MOD_STRICT,      YP_TBOOL, YP_VBOOL = { ACME_STRICT_DEFAULT } },
	{ MOD_REPLAY,      YP_TINT,  YP_VINT = { 0, 1 << 24, ACME_REPLAY_DEFAULT } },
	{ MOD_MAX_RRS,     YP_TINT,  YP_VINT = { 1, UINT16_MAX, 100 } },
	{ MOD_MAX_SIZE,    YP_TINT,  YP_VINT = { 512, UINT16_MAX, 16384, YP_SSIZE } },
	ACME_STORE_CONF_ITEMS,
	{ NULL }
};

static int acme_conf_check(knotd_conf_check_args_t *args)
{
	return acme_storeconf_check(args);
}

/*! Counts values of this zone removed by the store's purger. */
static void count_expired(const knot_dname_t *owner, void *arg)
{
	acme_ctx_t *ctx = arg;
	if (knot_dname_in_bailiwick(owner, ctx->zone) >= 0) {
		knotd_mod_stats_incr(ctx->mod, 0, ACME_CTR_EXPIRED, 0, 1);
	}
}

static void ctx_free(acme_ctx_t *ctx)
{
	if (ctx->store != NULL) {
		acme_store_unwatch(ctx->store, count_expired, ctx);
		acme_storeconf_close(ctx->store, ctx->store_log);
	}
	acme_replay_close(ctx->replay);
	free(ctx->zone_str);
	knot_dname_free(ctx->zone, NULL);
	free(ctx);
}

static int stats_init(knotd_mod_t *mod)
{
	static const char *names[ACME_CTR_UPDATE] = {
		[ACME_CTR_SYNTHESIZED] = "synthesized",
		[ACME_CTR_NODATA]      = "nodata",
		[ACME_CTR_EXPIRED]     = "expired",
	};
	for (int i = 0; i < ACME_CTR_UPDATE; i++) {
		int ret = knotd_mod_stats_add(mod, names[i], 1, NULL);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	int ret = acme_update_stats_init(mod);
	return ret == KNOT_EOK ? acme_storeconf_stats_init(mod) : ret;
}

static int acme_load(knotd_mod_t *mod)
{
	/* Before anything is opened: a refused instance leaves no trace. */
	uint16_t rrsig_size;
	int ret = acme_dnssec_check(mod, &rrsig_size);
	if (ret != KNOT_EOK) {
		return ret;
	}

	acme_ctx_t *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		return KNOT_ENOMEM;
	}
	ctx->rrsig_size = rrsig_size;
	ctx->mod = mod;
	ctx->zone = knot_dname_copy(knotd_mod_zone(mod), NULL);
	ctx->zone_str = knot_dname_to_str_alloc(knotd_mod_zone(mod));
	if (ctx->zone == NULL || ctx->zone_str == NULL) {
		ctx_free(ctx);
		return KNOT_ENOMEM;
	}
	if (acme_okey(ctx->zone, &ctx->zone_okey) != KNOT_EOK) {
		ctx_free(ctx);
		return KNOT_EINVAL;
	}
	ctx->policy.lifetime = knotd_conf_mod(mod, MOD_LIFETIME).single.integer;
	ctx->policy.max_records = knotd_conf_mod(mod, MOD_MAX_RECORDS).single.integer;
	ctx->max_ttl = knotd_conf_mod(mod, MOD_MAX_TTL).single.integer;
	ctx->strict = knotd_conf_mod(mod, MOD_STRICT).single.boolean;
	ctx->max_update_rrs = knotd_conf_mod(mod, MOD_MAX_RRS).single.integer;
	ctx->max_update_size = knotd_conf_mod(mod, MOD_MAX_SIZE).single.integer;

	/* Shared with the instance this one replaces on reload (same zone). */
	size_t replay = knotd_conf_mod(mod, MOD_REPLAY).single.integer;
	if (replay > 0) {
		ret = acme_replay_open(&ctx->replay, ctx->zone, replay);
		if (ret != KNOT_EOK) {
			knotd_mod_log(mod, LOG_ERR, "failed to create the replay cache (%s)",
			              knot_strerror(ret));
			ctx_free(ctx);
			return ret;
		}
	}

	/* Counters first: the store's threads may count from the start. */
	char desc[512];
	ret = stats_init(mod);
	if (ret == KNOT_EOK) {
		ret = acme_storeconf_open(mod, &ctx->store, &ctx->store_log, desc, sizeof(desc));
	}
	if (ret == KNOT_EOK) {
		/* Redis expires values by itself: nothing to count. */
		ret = acme_store_watch(ctx->store, count_expired, ctx);
		if (ret == KNOT_ENOTSUP) {
			ret = KNOT_EOK;
		}
	}
	if (ret != KNOT_EOK) {
		ctx_free(ctx);
		return ret;
	}

	knotd_mod_ctx_set(mod, ctx);
	knotd_mod_log(mod, LOG_INFO, "serving challenge values from %s, lifetime %us, "
	              "max-ttl %us, max-records %u, strict %s", desc, ctx->policy.lifetime,
	              ctx->max_ttl, ctx->policy.max_records, ctx->strict ? "on" : "off");

	ret = knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, acme_update);
	if (ret == KNOT_EOK) {
		ret = knotd_mod_in_hook(mod, KNOTD_STAGE_ANSWER, acme_answer);
	}
	if (ret != KNOT_EOK) {
		/* Knot 3.2 does not unload after a failed load, 3.5.4 does when
		 * the context is set: freed here and cleared, neither leaks. */
		knotd_mod_ctx_set(mod, NULL);
		ctx_free(ctx);
	}
	return ret;
}

/*!
 * Knot 3.2 to 3.5.3 call this for every loaded instance, 3.5.4 and later only
 * while the context is set; a reset (configuration change, zone restore) calls
 * it and then load on the same instance, and after a failed load there 3.5.4
 * closes the instance, calling it again if a context is still set.  So the
 * context is cleared when freed: a second call does nothing.
 */
static void acme_unload(knotd_mod_t *mod)
{
	/* The zone name behind knotd_mod_zone() is gone here: no module logging. */
	acme_ctx_t *ctx = knotd_mod_ctx(mod);
	if (ctx != NULL) {
		knotd_mod_ctx_set(mod, NULL);
		ctx_free(ctx);
	}
}

KNOTD_MOD_API(acme, KNOTD_MOD_FLAG_SCOPE_ZONE | KNOTD_MOD_FLAG_OPT_CONF,
              acme_load, acme_unload, acme_conf, acme_conf_check);
