/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdlib.h>
#include <string.h>

#include "module/dns/ddns.h"
#include "module/dns/value.h"

/*! Error carried out of the store transaction with its rcode. */
#define DDNS_EREFUSED	KNOT_EDENIED

typedef struct {
	acme_ddns_t *ddns;
	uint16_t rcode;
} check_ctx_t;

/*! Owner within the zone, whatever the owner's letter case. */
static bool in_zone(const knot_dname_t *owner, const knot_dname_t *zone)
{
	knot_dname_storage_t lower;
	knot_dname_copy_lower(lower, owner);
	return knot_dname_in_bailiwick(lower, zone) >= 0;
}

static bool rr_empty(const knot_rrset_t *rr)
{
	return rr->rrs.count == 0 || (rr->rrs.count == 1 && rr->rrs.rdata->len == 0);
}

static int fail(check_ctx_t *c, uint16_t rcode, const char *reason,
                const knot_dname_t *owner)
{
	c->rcode = rcode;
	c->ddns->reason = reason;
	c->ddns->reason_owner = owner;
	return DDNS_EREFUSED;
}

/*! Collects live TXT rdata of an owner into an rdataset. */
static int collect_rdata(const acme_value_t *value, void *arg)
{
	knot_rdataset_t *rrs = arg;
	uint8_t buf[ACME_STORE_RDATA_MAX + 4] __attribute__((aligned(2)));
	knot_rdata_t *rd = (knot_rdata_t *)buf;
	knot_rdata_init(rd, value->rdata_len, value->rdata);
	return knot_rdataset_add(rrs, rd, NULL);
}

static knot_rrset_t zone_rrset(acme_ddns_t *ddns, const knot_dname_t *owner, uint16_t type)
{
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	if (ddns->zone_rrset != NULL) {
		rr = ddns->zone_rrset(owner, type, ddns->zone_ctx);
	}
	return rr;
}

/*! RRset of \a owner and \a type: zone data, plus live values for TXT. */
static int current_rdataset(acme_txn_t *txn, acme_ddns_t *ddns, const knot_dname_t *owner,
                            uint16_t type, uint64_t now, knot_rdataset_t *out)
{
	knot_rdataset_init(out);
	knot_rrset_t zone = zone_rrset(ddns, owner, type);
	int ret = knot_rdataset_merge(out, &zone.rrs, NULL);
	if (ret == KNOT_EOK && type == KNOT_RRTYPE_TXT) {
		ret = acme_txn_read(txn, owner, now, collect_rdata, out, NULL);
	}
	if (ret < 0) {
		knot_rdataset_clear(out, NULL);
		return ret;
	}
	return KNOT_EOK;
}

/*! Whether a name owns any record: live values or zone data (e.g. the apex). */
static int name_in_use(acme_txn_t *txn, acme_ddns_t *ddns, const knot_dname_t *owner,
                       uint64_t now, bool *in_use)
{
	int ret = acme_txn_read(txn, owner, now, NULL, NULL, NULL);
	if (ret < 0) {
		return ret;
	}
	knot_rrset_t zone = zone_rrset(ddns, owner, KNOT_RRTYPE_ANY);
	*in_use = ret > 0 || !knot_rrset_empty(&zone);
	return KNOT_EOK;
}

/*! Whether an RRset of \a type exists at \a owner. */
static int type_exists(acme_txn_t *txn, acme_ddns_t *ddns, const knot_dname_t *owner,
                       uint16_t type, uint64_t now, bool *exists)
{
	knot_rrset_t zone = zone_rrset(ddns, owner, type);
	*exists = !knot_rrset_empty(&zone);
	if (!*exists && type == KNOT_RRTYPE_TXT) {
		int ret = acme_txn_read(txn, owner, now, NULL, NULL, NULL);
		if (ret < 0) {
			return ret;
		}
		*exists = ret > 0;
	}
	return KNOT_EOK;
}

/*! RRsets of value-dependent prerequisites, merged by owner and type. */
typedef struct {
	knot_rrset_t *sets;
	size_t count;
} prereq_sets_t;

static int prereq_sets_add(prereq_sets_t *p, const knot_rrset_t *rr)
{
	for (size_t i = 0; i < p->count; i++) {
		if (p->sets[i].type == rr->type && knot_dname_is_equal(p->sets[i].owner, rr->owner)) {
			return knot_rdataset_merge(&p->sets[i].rrs, &rr->rrs, NULL);
		}
	}
	knot_rrset_t *grown = realloc(p->sets, (p->count + 1) * sizeof(*grown));
	if (grown == NULL) {
		return KNOT_ENOMEM;
	}
	p->sets = grown;
	knot_rrset_t *set = &p->sets[p->count];
	knot_rrset_init(set, (knot_dname_t *)rr->owner, rr->type, rr->rclass, 0);
	knot_rdataset_init(&set->rrs);
	p->count++;
	return knot_rdataset_merge(&set->rrs, &rr->rrs, NULL);
}

static void prereq_sets_clear(prereq_sets_t *p)
{
	for (size_t i = 0; i < p->count; i++) {
		knot_rdataset_clear(&p->sets[i].rrs, NULL);
	}
	free(p->sets);
}

/*! One prerequisite (RFC 2136 2.4, 3.2), checked in message order. */
static int check_prereq(check_ctx_t *c, acme_txn_t *txn, const knot_rrset_t *rr,
                        uint64_t now, prereq_sets_t *sets)
{
	acme_ddns_t *d = c->ddns;
	if (rr->ttl != 0) {
		return fail(c, KNOT_RCODE_FORMERR, "prerequisite with non-zero TTL", rr->owner);
	}
	if (!in_zone(rr->owner, d->zone)) {
		return fail(c, KNOT_RCODE_NOTZONE, "prerequisite outside the zone", rr->owner);
	}

	bool yes = false;
	int ret;
	switch (rr->rclass) {
	case KNOT_CLASS_ANY:
	case KNOT_CLASS_NONE:
		if (!rr_empty(rr)) {
			return fail(c, KNOT_RCODE_FORMERR, "prerequisite with data", rr->owner);
		}
		ret = (rr->type == KNOT_RRTYPE_ANY) ?
		      name_in_use(txn, d, rr->owner, now, &yes) :
		      type_exists(txn, d, rr->owner, rr->type, now, &yes);
		if (ret != KNOT_EOK) {
			return ret;
		}
		if (rr->rclass == KNOT_CLASS_ANY && !yes) {
			return (rr->type == KNOT_RRTYPE_ANY) ?
			       fail(c, KNOT_RCODE_NXDOMAIN, "name not in use", rr->owner) :
			       fail(c, KNOT_RCODE_NXRRSET, "RRset does not exist", rr->owner);
		}
		if (rr->rclass == KNOT_CLASS_NONE && yes) {
			return (rr->type == KNOT_RRTYPE_ANY) ?
			       fail(c, KNOT_RCODE_YXDOMAIN, "name in use", rr->owner) :
			       fail(c, KNOT_RCODE_YXRRSET, "RRset exists", rr->owner);
		}
		return KNOT_EOK;
	case KNOT_CLASS_IN:
		return prereq_sets_add(sets, rr);
	default:
		return fail(c, KNOT_RCODE_FORMERR, "prerequisite of unknown class", rr->owner);
	}
}

/*! Value-dependent prerequisites: each RRset must exist exactly. */
static int check_prereq_sets(check_ctx_t *c, acme_txn_t *txn, const prereq_sets_t *sets,
                             uint64_t now)
{
	for (size_t i = 0; i < sets->count; i++) {
		const knot_rrset_t *want = &sets->sets[i];
		knot_rdataset_t have;
		int ret = current_rdataset(txn, c->ddns, want->owner, want->type, now, &have);
		if (ret != KNOT_EOK) {
			return ret;
		}
		bool equal = knot_rdataset_eq(&have, &want->rrs);
		knot_rdataset_clear(&have, NULL);
		if (!equal) {
			return fail(c, KNOT_RCODE_NXRRSET, "RRset differs", want->owner);
		}
	}
	return KNOT_EOK;
}

/*! One update RR (RFC 2136 3.4.1.2, 3.4.2) and the module's value policy. */
static int check_update_rr(check_ctx_t *c, const knot_rrset_t *rr)
{
	acme_ddns_t *d = c->ddns;
	if (!in_zone(rr->owner, d->zone)) {
		return fail(c, KNOT_RCODE_NOTZONE, "owner outside the zone", rr->owner);
	}
	bool meta = knot_rrtype_is_metatype(rr->type);
	switch (rr->rclass) {
	case KNOT_CLASS_IN:
		if (meta) {
			return fail(c, KNOT_RCODE_FORMERR, "meta type added", rr->owner);
		}
		const knot_rdata_t *rd = rr->rrs.rdata;
		if (rd->len > ACME_STORE_RDATA_MAX) {
			return fail(c, KNOT_RCODE_REFUSED, "value too long", rr->owner);
		}
		if (!acme_txt_valid(rd->data, rd->len)) {
			return fail(c, KNOT_RCODE_FORMERR, "malformed TXT data", rr->owner);
		}
		if (d->strict && !acme_value_strict(rd->data, rd->len)) {
			return fail(c, KNOT_RCODE_REFUSED, "not an ACME challenge value "
			            "(strict: one string of 43 base64url characters)", rr->owner);
		}
		return KNOT_EOK;
	case KNOT_CLASS_ANY:
		if (!rr_empty(rr) || (meta && rr->type != KNOT_RRTYPE_ANY)) {
			return fail(c, KNOT_RCODE_FORMERR, "RRset deletion with data", rr->owner);
		}
		return KNOT_EOK;
	case KNOT_CLASS_NONE:
		if (rr->ttl != 0 || meta) {
			return fail(c, KNOT_RCODE_FORMERR, "RR deletion with non-zero TTL", rr->owner);
		}
		return KNOT_EOK;
	default:
		return fail(c, KNOT_RCODE_FORMERR, "update RR of unknown class", rr->owner);
	}
}

/*! Runs inside the store's write transaction, before the operations. */
static int check_update(acme_txn_t *txn, uint64_t now, void *arg)
{
	check_ctx_t *c = arg;
	const knot_pkt_t *q = c->ddns->query;

	const knot_pktsection_t *pre = knot_pkt_section(q, KNOT_ANSWER);
	prereq_sets_t sets = { 0 };
	int ret = KNOT_EOK;
	for (uint16_t i = 0; ret == KNOT_EOK && i < pre->count; i++) {
		ret = check_prereq(c, txn, knot_pkt_rr(pre, i), now, &sets);
	}
	if (ret == KNOT_EOK) {
		ret = check_prereq_sets(c, txn, &sets, now);
	}
	prereq_sets_clear(&sets);

	const knot_pktsection_t *upd = knot_pkt_section(q, KNOT_AUTHORITY);
	for (uint16_t i = 0; ret == KNOT_EOK && i < upd->count; i++) {
		ret = check_update_rr(c, knot_pkt_rr(upd, i));
	}
	return ret;
}

bool acme_ddns_claims(const knot_pkt_t *query)
{
	if (query == NULL || knot_pkt_qclass(query) != KNOT_CLASS_IN ||
	    knot_pkt_qtype(query) != KNOT_RRTYPE_SOA) {
		return false;
	}
	/* A prerequisite-only update asks about TXT RRsets: the store answers. */
	const knot_pktsection_t *upd = knot_pkt_section(query, KNOT_AUTHORITY);
	if (upd->count == 0) {
		upd = knot_pkt_section(query, KNOT_ANSWER);
	}
	if (upd->count == 0) {
		return false;
	}
	for (uint16_t i = 0; i < upd->count; i++) {
		if (knot_pkt_rr(upd, i)->type != KNOT_RRTYPE_TXT) {
			return false;
		}
	}
	return true;
}

/*! Store operations of the update section (checked later, in the transaction). */
static size_t build_ops(const knot_pkt_t *query, acme_op_t *ops)
{
	const knot_pktsection_t *upd = knot_pkt_section(query, KNOT_AUTHORITY);
	size_t count = 0;
	for (uint16_t i = 0; i < upd->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(upd, i);
		const knot_rdata_t *rd = rr->rrs.count > 0 ? rr->rrs.rdata : NULL;
		acme_op_t *op = &ops[count];
		*op = (acme_op_t){ .owner = rr->owner, .ttl = rr->ttl };
		switch (rr->rclass) {
		case KNOT_CLASS_IN:
			op->type = ACME_OP_ADD;
			break;
		case KNOT_CLASS_NONE:
			/* A value the store cannot hold is not there to delete. */
			if (rd == NULL || rd->len == 0 || rd->len > ACME_STORE_RDATA_MAX) {
				continue;
			}
			op->type = ACME_OP_DEL_VALUE;
			break;
		case KNOT_CLASS_ANY:
			op->type = ACME_OP_DEL_ALL;
			rd = NULL;
			break;
		default:
			continue;
		}
		if (rd != NULL) {
			op->rdata = rd->data;
			op->rdata_len = rd->len;
		}
		count++;
	}
	return count;
}

uint16_t acme_ddns_process(acme_ddns_t *ddns, acme_store_t *store,
                           const acme_policy_t *policy, uint64_t now)
{
	if (ddns == NULL || ddns->query == NULL || ddns->zone == NULL || store == NULL) {
		return KNOT_RCODE_SERVFAIL;
	}
	memset(&ddns->result, 0, sizeof(ddns->result));
	ddns->reason = NULL;
	ddns->reason_owner = NULL;

	const knot_pktsection_t *upd = knot_pkt_section(ddns->query, KNOT_AUTHORITY);
	acme_op_t *ops = calloc(upd->count > 0 ? upd->count : 1, sizeof(*ops));
	if (ops == NULL) {
		ddns->reason = "out of memory";
		return KNOT_RCODE_SERVFAIL;
	}
	size_t count = build_ops(ddns->query, ops);

	check_ctx_t c = { .ddns = ddns, .rcode = KNOT_RCODE_NOERROR };
	int ret = acme_store_apply(store, ops, count, policy, now, check_update, &c,
	                           &ddns->result);
	free(ops);

	if (ret == KNOT_EOK) {
		return KNOT_RCODE_NOERROR;
	}
	if (ret == DDNS_EREFUSED && c.rcode != KNOT_RCODE_NOERROR) {
		return c.rcode;
	}
	ddns->reason = (ret == KNOT_ESPACE) ? "database full (map-size reached)" :
	               knot_strerror(ret);
	return KNOT_RCODE_SERVFAIL;
}
