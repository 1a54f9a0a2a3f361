/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief knotd side of UPDATE authentication: the loader acl.c walks the
 *        zone's `acl` with (reading the `acl`, `remote`/`remotes` and `key`
 *        sections through the module API), then the TSIG MAC check.
 *
 * Configuration values point into knotd's configuration, which stays valid
 * while a query is processed (the worker holds the RCU read lock from the
 * BEGIN hook to the signing of the reply).  Only the knotd_conf() arrays of
 * multi-valued items are allocated; they are freed after each acl entry.
 */

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "module/common/logtext.h"
#include "module/compat.h"
#include "module/dns/acl.h"
#include "module/knotd/auth.h"

#define C_ACL			(const yp_name_t *)"\x03""acl"
#define C_ACTION		(const yp_name_t *)"\x06""action"
#define C_ADDR			(const yp_name_t *)"\x07""address"
#define C_ALG			(const yp_name_t *)"\x09""algorithm"
#define C_DENY			(const yp_name_t *)"\x04""deny"
#define C_KEY			(const yp_name_t *)"\x03""key"
#define C_RMT			(const yp_name_t *)"\x06""remote"
#define C_RMTS			(const yp_name_t *)"\x07""remotes"
#define C_SECRET		(const yp_name_t *)"\x06""secret"
#define C_UPDATE_OWNER		(const yp_name_t *)"\x0c""update-owner"
#define C_UPDATE_OWNER_MATCH	(const yp_name_t *)"\x12""update-owner-match"
#define C_UPDATE_OWNER_NAME	(const yp_name_t *)"\x11""update-owner-name"
#define C_UPDATE_TYPE		(const yp_name_t *)"\x0b""update-type"

/*! Identifier argument of knotd_conf() for a section entry. */
static knotd_conf_t conf_id(const uint8_t *data, size_t len)
{
	knotd_conf_t id = { .count = 1 };
	id.single.data = data;
	id.single.data_len = len;
	return id;
}

/*! Same address, port ignored (a remote's `address`, as Knot compares it). */
static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
	}
	switch (a->ss_family) {
	case AF_INET:
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	case AF_INET6:
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr,
		              sizeof(struct in6_addr)) == 0;
	default:
		return false; /* UNIX sockets never send UPDATEs. */
	}
}

/*!
 * A `key:` entry by its id (the key name).  Its algorithm is read only for
 * the message's key: another name cannot match whatever its algorithm.
 */
static acme_tsig_key_t tsig_key_get(knotd_mod_t *mod, const knotd_conf_val_t *ref,
                              const acme_acl_update_t *update)
{
	acme_tsig_key_t tsig_key = { .name = ref->data };
	if (update->tsig_name != NULL && knot_dname_is_case_equal(ref->data, update->tsig_name)) {
		knotd_conf_t id = conf_id(ref->data, ref->data_len);
		tsig_key.algorithm = knotd_conf(mod, C_KEY, C_ALG, &id).single.option;
	}
	return tsig_key;
}

/*! The memory behind one acl entry resolved for acl.c. */
typedef struct {
	acme_acl_peer_t *peers;
	acme_tsig_key_t *tsig_keys;
	uint16_t *types;
	acme_acl_name_t *names;
	size_t peer_cap;
} rule_buf_t;

static void rule_buf_clear(rule_buf_t *buf)
{
	free(buf->peers);
	free(buf->tsig_keys);
	free(buf->types);
	free(buf->names);
	memset(buf, 0, sizeof(*buf));
}

/*! Appends the peer of one remote (its addresses, its key). */
static int add_remote_peer(knotd_mod_t *mod, acme_acl_rule_t *rule, rule_buf_t *buf,
                           const knotd_conf_val_t *rmt, const struct sockaddr_storage *remote,
                           const acme_acl_update_t *update)
{
	if (rule->peer_count == buf->peer_cap) {
		size_t cap = buf->peer_cap ? 2 * buf->peer_cap : 4;
		acme_acl_peer_t *peers = realloc(buf->peers, cap * sizeof(*peers));
		if (peers == NULL) {
			return KNOT_ENOMEM;
		}
		buf->peers = peers;
		acme_tsig_key_t *tsig_keys = realloc(buf->tsig_keys, cap * sizeof(*tsig_keys));
		if (tsig_keys == NULL) {
			return KNOT_ENOMEM;
		}
		buf->tsig_keys = tsig_keys;
		buf->peer_cap = cap;
	}
	size_t i = rule->peer_count++;
	acme_acl_peer_t *peer = &buf->peers[i];
	memset(peer, 0, sizeof(*peer));

	knotd_conf_t id = conf_id(rmt->data, rmt->data_len);
	knotd_conf_t addrs = knotd_conf(mod, C_RMT, C_ADDR, &id);
	peer->addr_match = (addrs.count == 0);
	for (size_t j = 0; j < addrs.count && !peer->addr_match; j++) {
		peer->addr_match = addr_equal(&addrs.multi[j].addr, remote);
	}
	knotd_conf_free(&addrs);
	if (!peer->addr_match) {
		return KNOT_EOK; /* Its key does not matter. */
	}

	knotd_conf_t key_ref = knotd_conf(mod, C_RMT, C_KEY, &id);
	if (key_ref.count > 0) {
		buf->tsig_keys[i] = tsig_key_get(mod, &key_ref.single, update);
		peer->tsig_key_count = 1; /* peer->tsig_keys set once the arrays stop moving. */
	}

	return KNOT_EOK;
}

/*!
 * Peers of an entry with `remote`: each reference is a `remotes` group (its
 * remotes in order) or else a `remote`, as Knot's conf_mix_iter walks them.
 */
static int load_remote_peers(knotd_mod_t *mod, acme_acl_rule_t *rule, rule_buf_t *buf,
                             const knotd_conf_t *rmts, const struct sockaddr_storage *remote,
                             const acme_acl_update_t *update)
{
	int ret = KNOT_EOK;
	for (size_t i = 0; i < rmts->count && ret == KNOT_EOK; i++) {
		knotd_conf_t id = conf_id(rmts->multi[i].data, rmts->multi[i].data_len);
		knotd_conf_t group = knotd_conf(mod, C_RMTS, C_RMT, &id);
		if (group.count > 0) {
			for (size_t j = 0; j < group.count && ret == KNOT_EOK; j++) {
				ret = add_remote_peer(mod, rule, buf, &group.multi[j], remote, update);
			}
		} else {
			ret = add_remote_peer(mod, rule, buf, &rmts->multi[i], remote, update);
		}
		knotd_conf_free(&group);
	}
	for (size_t i = 0; i < rule->peer_count; i++) {
		buf->peers[i].tsig_keys = &buf->tsig_keys[i];
	}
	rule->peers = buf->peers;
	return ret;
}

/*! The single peer of an entry without `remote`: its addresses and keys. */
static int load_own_peer(knotd_mod_t *mod, acme_acl_rule_t *rule, rule_buf_t *buf,
                         const knotd_conf_t *acl_id, const struct sockaddr_storage *remote,
                         const acme_acl_update_t *update)
{
	buf->peers = calloc(1, sizeof(*buf->peers));
	if (buf->peers == NULL) {
		return KNOT_ENOMEM;
	}
	rule->peers = buf->peers;
	rule->peer_count = 1;
	acme_acl_peer_t *peer = buf->peers;

	knotd_conf_t addrs = knotd_conf(mod, C_ACL, C_ADDR, acl_id);
	peer->addr_match = (addrs.count == 0) || knotd_conf_addr_range_match(&addrs, remote);
	knotd_conf_free(&addrs);
	if (!peer->addr_match) {
		return KNOT_EOK; /* Its keys do not matter. */
	}

	int ret = KNOT_EOK;
	knotd_conf_t key_refs = knotd_conf(mod, C_ACL, C_KEY, acl_id);
	if (key_refs.count > 0) {
		buf->tsig_keys = calloc(key_refs.count, sizeof(*buf->tsig_keys));
		if (buf->tsig_keys == NULL) {
			ret = KNOT_ENOMEM;
		} else {
			for (size_t i = 0; i < key_refs.count; i++) {
				buf->tsig_keys[i] = tsig_key_get(mod, &key_refs.multi[i], update);
			}
			peer->tsig_keys = buf->tsig_keys;
			peer->tsig_key_count = key_refs.count;
		}
	}
	knotd_conf_free(&key_refs);

	return ret;
}

/*! update-type and update-owner* of an entry. */
static int load_update_items(knotd_mod_t *mod, acme_acl_rule_t *rule, rule_buf_t *buf,
                             const knotd_conf_t *acl_id)
{
	int ret = KNOT_EOK;

	knotd_conf_t types = knotd_conf(mod, C_ACL, C_UPDATE_TYPE, acl_id);
	if (types.count > 0) {
		buf->types = calloc(types.count, sizeof(*buf->types));
		if (buf->types == NULL) {
			ret = KNOT_ENOMEM;
		} else {
			/* Stored as a 64-bit big-endian number (rrtype_to_bin). */
			for (size_t i = 0; i < types.count; i++) {
				const knotd_conf_val_t *t = &types.multi[i];
				if (t->data_len >= sizeof(uint64_t)) {
					buf->types[rule->type_count++] = knot_wire_read_u64(t->data);
				}
			}
			rule->types = buf->types;
			if (rule->type_count == 0) {
				ret = KNOT_EINVAL;
			}
		}
	}
	knotd_conf_free(&types);
	if (ret != KNOT_EOK) {
		return ret;
	}

	/* Single-valued options come with their defaults when not set. */
	rule->owner = knotd_conf(mod, C_ACL, C_UPDATE_OWNER, acl_id).single.option;
	if (rule->owner == ACME_ACL_OWNER_NONE) {
		return KNOT_EOK; /* update-owner-match only counts with an owner. */
	}
	rule->owner_match = knotd_conf(mod, C_ACL, C_UPDATE_OWNER_MATCH, acl_id).single.option;
	if (rule->owner != ACME_ACL_OWNER_NAME) {
		return KNOT_EOK;
	}

	knotd_conf_t names = knotd_conf(mod, C_ACL, C_UPDATE_OWNER_NAME, acl_id);
	if (names.count > 0) {
		buf->names = calloc(names.count, sizeof(*buf->names));
		if (buf->names == NULL) {
			ret = KNOT_ENOMEM;
		} else {
			for (size_t i = 0; i < names.count; i++) {
				buf->names[i].data = names.multi[i].data;
				buf->names[i].len = names.multi[i].data_len;
			}
			rule->owner_names = buf->names;
			rule->owner_name_count = names.count;
		}
	}
	knotd_conf_free(&names);

	return ret;
}

/*! The zone's acl entries, read from knotd's configuration for acl.c. */
typedef struct {
	acme_acl_loader_t loader; /*!< First: acl.c hands it back. */
	knotd_mod_t *mod;
	knotd_conf_t acls;
	const struct sockaddr_storage *remote;
	const acme_acl_update_t *update;
	rule_buf_t buf;
} conf_loader_t;

/*!
 * Reads one part of an acl entry, in the order Knot checks an entry, each
 * item only when the ones before did not already rule the entry out: the
 * peers (addresses, then keys) and `deny` (only if an address matched),
 * then, asked by acl.c once a peer matched, `action` and the update items.
 */
static int conf_load(acme_acl_loader_t *loader, size_t index, acme_acl_part_t part,
                     acme_acl_rule_t *rule)
{
	conf_loader_t *ctx = (conf_loader_t *)loader;
	const knotd_conf_val_t *ref = &ctx->acls.multi[index];
	knotd_conf_t id = conf_id(ref->data, ref->data_len);

	if (part == ACME_ACL_PART_UPDATE) {
		knotd_conf_t actions = knotd_conf(ctx->mod, C_ACL, C_ACTION, &id);
		for (size_t i = 0; i < actions.count; i++) {
			unsigned action = actions.multi[i].option;
			if (action < 8 * sizeof(rule->actions)) {
				rule->actions |= 1u << action;
			}
		}
		knotd_conf_free(&actions);
		return load_update_items(ctx->mod, rule, &ctx->buf, &id);
	}

	int ret;
	knotd_conf_t rmts = knotd_conf(ctx->mod, C_ACL, C_RMT, &id);
	if (rmts.count > 0) {
		ret = load_remote_peers(ctx->mod, rule, &ctx->buf, &rmts, ctx->remote, ctx->update);
	} else {
		ret = load_own_peer(ctx->mod, rule, &ctx->buf, &id, ctx->remote, ctx->update);
	}
	knotd_conf_free(&rmts);

	bool addr_match = false;
	for (size_t i = 0; ret == KNOT_EOK && i < rule->peer_count; i++) {
		addr_match |= rule->peers[i].addr_match;
	}
	if (addr_match) {
		rule->deny = knotd_conf(ctx->mod, C_ACL, C_DENY, &id).single.boolean;
	}
	return ret;
}

static void conf_clear(acme_acl_loader_t *loader, acme_acl_rule_t *rule)
{
	(void)rule;
	rule_buf_clear(&((conf_loader_t *)loader)->buf);
}

/*!
 * The zone's acl entries in order, as Knot's acl_allowed() with action
 * update.  On success *allowed is the verdict and, when allowed and signed,
 * *tsig_key the matched key.
 */
static int acl_check(knotd_mod_t *mod, const knot_dname_t *zone,
                     const struct sockaddr_storage *remote,
                     const acme_acl_update_t *update, bool *allowed,
                     acme_tsig_key_t *tsig_key)
{
	conf_loader_t ctx = {
		.loader = { .load = conf_load, .clear = conf_clear },
		.mod = mod,
		.acls = knotd_conf_zone(mod, C_ACL, zone),
		.remote = remote,
		.update = update,
	};
	ctx.loader.rule_count = ctx.acls.count;

	acme_acl_verdict_t verdict;
	int ret = acme_acl_check(&ctx.loader, update, &verdict, tsig_key);
	knotd_conf_free(&ctx.acls);

	*allowed = (ret == KNOT_EOK && verdict == ACME_ACL_ALLOW);
	return ret;
}

/*!
 * Secret of the matched key, copied to the query's memory so that it lives
 * until the reply is signed whatever happens to the configuration (pointing
 * into the configuration, as Knot does, is the fallback without a pool).
 */
static int tsig_key_secret(knotd_mod_t *mod, knot_mm_t *mm, const acme_tsig_key_t *tsig_key,
                      dnssec_binary_t *secret)
{
	knotd_conf_t id = conf_id(tsig_key->name, knot_dname_size(tsig_key->name));
	knotd_conf_t val = knotd_conf(mod, C_KEY, C_SECRET, &id);
	if (val.count == 0 || val.single.data == NULL || val.single.data_len == 0) {
		return KNOT_ENOENT;
	}

	secret->size = val.single.data_len;
	if (mm != NULL && mm->alloc != NULL) {
		secret->data = mm->alloc(mm->ctx, secret->size);
		if (secret->data == NULL) {
			return KNOT_ENOMEM;
		}
		memcpy(secret->data, val.single.data, secret->size);
	} else {
		secret->data = (uint8_t *)val.single.data;
	}
	return KNOT_EOK;
}

static void log_denied(knotd_mod_t *mod, const struct sockaddr_storage *remote,
                       const knot_dname_t *key_name)
{
	char addr[ACME_ADDR_STR_MAX];
	(void)acme_addr_str(remote, false, addr, sizeof(addr));
	knot_dname_txt_storage_t key_txt;
	const char *name = acme_tsig_key_name_str(key_name, key_txt, NULL);
	knotd_mod_log(mod, LOG_DEBUG, "ACL, denied, action update, remote %s, key %s%s%s",
	              addr, name ? "'" : "", name ? name : "none", name ? "'" : "");
}

/*! Longest TSIG digest (HMAC-SHA512), what knotd writes when it signs. */
#define TSIG_DIGEST_MAX	64

/*!
 * process_query_verify(): the MAC, and Knot's rcodes for its outcome.
 *
 * Knot keeps the query's MAC where it lies in the query and signs the reply
 * into that same place (process_query_sign_response() passes it to
 * knot_tsig_sign() as the request MAC and as the buffer for the new digest,
 * algorithm-sized).  Since 3.5.7, libknot accepts a truncated MAC (RFC 8945
 * 5.2.2.1: at least half the digest and 10 octets), so the new digest
 * overruns the query's shorter MAC field: knotd 3.5.8's native DDNS dies of
 * it (module/compat.h).  The module hands knotd a copy of the MAC in a buffer
 * a full digest fits in (qdata->mm), so a reply the module leaves for knotd
 * to sign never writes outside memory of its own.
 */
static int tsig_verify(knotd_mod_t *mod, knotd_qdata_t *qdata)
{
	const knot_pkt_t *query = qdata->query;
	knot_sign_context_t *sign = &qdata->sign;

	/* The query's MAC seeds the reply's signature, in room for a whole digest. */
	const uint8_t *mac = knot_tsig_rdata_mac(query->tsig_rr);
	size_t mac_len = knot_tsig_rdata_mac_length(query->tsig_rr);
	size_t room = mac_len > TSIG_DIGEST_MAX ? mac_len : TSIG_DIGEST_MAX;
	uint8_t *digest = (qdata->mm != NULL && qdata->mm->alloc != NULL) ?
	                  qdata->mm->alloc(qdata->mm->ctx, room) : NULL;
	if (digest == NULL) {
		/* Nothing to sign with: an unsigned SERVFAIL. */
		sign->tsig_key.name = NULL;
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		knotd_mod_log(mod, LOG_ERR, "TSIG, verification failed (%s)",
		              knot_strerror(KNOT_ENOMEM));
		return KNOT_ENOMEM;
	}
	if (mac_len > 0) {
		memcpy(digest, mac, mac_len);
	}
	sign->tsig_digest = digest;
	sign->tsig_digestlen = mac_len;

	/* query->wire/size exclude the TSIG RR, stripped by the parser. */
	int ret = knot_tsig_server_check(query->tsig_rr, query->wire, query->size,
	                                 &sign->tsig_key);
	switch (ret) {
	case KNOT_EOK:
		qdata->rcode = KNOT_RCODE_NOERROR;
		return KNOT_EOK;
	case KNOT_TSIG_EBADKEY:
		qdata->rcode = KNOT_RCODE_NOTAUTH;
		qdata->rcode_tsig = KNOT_RCODE_BADKEY;
		break;
	case KNOT_TSIG_EBADSIG:
		qdata->rcode = KNOT_RCODE_NOTAUTH;
		qdata->rcode_tsig = KNOT_RCODE_BADSIG;
		break;
	case KNOT_TSIG_EBADTIME:
		/* Knot signs this error, with the time the client signed. */
		qdata->rcode = KNOT_RCODE_NOTAUTH;
		qdata->rcode_tsig = KNOT_RCODE_BADTIME;
		sign->tsig_time_signed = knot_tsig_rdata_time_signed(query->tsig_rr);
		break;
	case KNOT_EMALF:
		/* A MAC too short or too long (libknot 3.5.7+).  Never signed:
		 * the message did not verify, and a signature over an answer to
		 * it would be a signature over data the sender chose (Knot 3.5.8
		 * marks it with TSIG error FORMERR for that; 3.5.7 signed it). */
		qdata->rcode = KNOT_RCODE_FORMERR;
		sign->tsig_key.name = NULL;
		break;
	default:
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		knotd_mod_log(mod, LOG_ERR, "TSIG, verification failed (%s)", knot_strerror(ret));
		return ret;
	}

	knot_dname_txt_storage_t key_txt;
	const char *key_name = acme_tsig_key_name_str(query->tsig_rr->owner, key_txt, "");
	const char *error = acme_auth_tsig_error_name(qdata->rcode_tsig);
	if (error == NULL) {
		const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, qdata->rcode);
		error = (item != NULL) ? item->name : "";
	}
	knotd_mod_log(mod, LOG_DEBUG, "TSIG, key '%s', verification failed '%s'", key_name, error);
	return ret;
}

/*!
 * Turns away a verified message whose MAC was accepted before (replay.c).
 *
 * The answer is NOTAUTH with TSIG error BADTIME, signed with the key, as
 * Knot signs its own BADTIME.  The MAC and the time are valid, but this
 * (time signed, MAC) pair is used up: the message is no longer acceptable in
 * time, which is what BADTIME says, and RFC 8945 (5.2.3) itself answers
 * BADTIME to a message older than the last one seen from the key.  REFUSED
 * would read as a policy decision about the content, and the client could
 * not tell it from an error forged on the path; the signed BADTIME tells the
 * real client, verifiably, to sign the update again.
 */
static int replay_check(knotd_mod_t *mod, knotd_qdata_t *qdata, acme_replay_t *replay)
{
	const knot_rrset_t *tsig_rr = qdata->query->tsig_rr;
	uint64_t time_signed = knot_tsig_rdata_time_signed(tsig_rr);
	acme_replay_verdict_t verdict = acme_replay_check(replay, tsig_rr->owner,
	        knot_tsig_rdata_mac(tsig_rr), knot_tsig_rdata_mac_length(tsig_rr),
	        time_signed, knot_tsig_rdata_fudge(tsig_rr), (uint64_t)time(NULL));
	if (verdict == ACME_REPLAY_FRESH) {
		return KNOT_EOK;
	}

	knot_dname_txt_storage_t key_txt;
	const char *key_name = acme_tsig_key_name_str(tsig_rr->owner, key_txt, "");
	switch (verdict) {
	case ACME_REPLAY_SEEN:
		knotd_mod_log(mod, LOG_WARNING, "TSIG, key '%s', replayed message (MAC "
		              "already accepted within its time window)", key_name);
		break;
	case ACME_REPLAY_FORGOTTEN:
		knotd_mod_log(mod, LOG_WARNING, "TSIG, key '%s', replay cache full, message "
		              "cannot be told from a replay (raise replay-cache)", key_name);
		break;
	default:
		knotd_mod_log(mod, LOG_NOTICE, "TSIG, key '%s', time signed outside the %u s "
		              "replay window", key_name, ACME_REPLAY_WINDOW);
		break;
	}
	qdata->rcode = KNOT_RCODE_NOTAUTH;
	qdata->rcode_tsig = KNOT_RCODE_BADTIME;
	qdata->sign.tsig_time_signed = time_signed;
	return verdict == ACME_REPLAY_OUTSIDE ? KNOT_TSIG_EBADTIME : KNOT_EEXIST;
}

const char *acme_auth_tsig_error_name(uint16_t error)
{
	if (error == KNOT_RCODE_NOERROR) {
		return NULL;
	}
	/* BADSIG shares its number with BADVERS: TSIG has its own table. */
	const knot_lookup_t *item = knot_lookup_by_id(knot_tsig_rcode_names, error);
	if (item == NULL) {
		item = knot_lookup_by_id(knot_rcode_names, error);
	}
	return (item != NULL) ? item->name : NULL;
}

int acme_auth_update(knotd_mod_t *mod, knotd_qdata_t *qdata, const knot_dname_t *zone,
                     acme_replay_t *replay)
{
	if (qdata == NULL) {
		return KNOT_EINVAL;
	}
	if (mod == NULL || qdata->query == NULL || zone == NULL) {
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOT_EINVAL;
	}

	const knot_pkt_t *query = qdata->query;
	const knot_rrset_t *tsig_rr = query->tsig_rr;
	const knot_pktsection_t *upd_section = knot_pkt_section(query, KNOT_AUTHORITY);

	/* Updated RRs are the authority section (RFC 2136 §2.2). */
	acme_acl_update_t update = {
		.zone = zone,
		.rrs = (upd_section->count > 0) ? query->rr + upd_section->pos : NULL,
		.rr_count = upd_section->count,
	};
	if (tsig_rr != NULL) {
		update.tsig_name = tsig_rr->owner;
		update.tsig_alg = knot_tsig_rdata_alg(tsig_rr);
	}

	/* The acl first, by key name and algorithm only (no MAC yet). */
	const struct sockaddr_storage *remote = knotd_qdata_remote_addr(qdata);
	acme_tsig_key_t tsig_key = { 0 };
	bool allowed = false;
	if (remote != NULL) {
		int ret = acl_check(mod, zone, remote, &update, &allowed, &tsig_key);
		if (ret != KNOT_EOK) {
			knotd_mod_log(mod, LOG_ERR, "ACL, failed to read the configuration (%s)",
			              knot_strerror(ret));
			qdata->rcode = KNOT_RCODE_SERVFAIL;
			return ret;
		}
	}
	if (!allowed) {
		log_denied(mod, remote, update.tsig_name);
		qdata->rcode = KNOT_RCODE_NOTAUTH;
		qdata->rcode_tsig = ACME_DENIED_TSIG_ERROR;
		return KNOT_EACCES;
	}

	if (tsig_rr == NULL) {
		qdata->rcode = KNOT_RCODE_NOERROR;
		return KNOT_EOK;
	}

	/* Remember the key before verifying, as Knot does (it signs BADTIME). */
	dnssec_binary_t secret = { 0 };
	int ret = (tsig_key.name != NULL) ?
	          tsig_key_secret(mod, qdata->mm, &tsig_key, &secret) : KNOT_ENOENT;
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "TSIG, no secret for the key (%s)", knot_strerror(ret));
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return ret;
	}
	qdata->sign.tsig_key.name = (knot_dname_t *)tsig_rr->owner;
	qdata->sign.tsig_key.algorithm = update.tsig_alg;
	qdata->sign.tsig_key.secret = secret;

	ret = tsig_verify(mod, qdata);
	if (ret == KNOT_EOK && replay != NULL) {
		ret = replay_check(mod, qdata, replay);
	}
	return ret;
}
