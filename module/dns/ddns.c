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

/*! RRsets of value-dependent prerequisites, merged by owner and type. */
typedef struct {
	knot_rrset_t *sets;
	size_t count;
} prereq_sets_t;

/*! Prerequisites and their values held in prereqs_t itself; more go to the heap. */
#define PREREQS_INLINE		4
#define PREREQ_VALUES_INLINE	8
/*! Operations held on the stack; more go to the heap. */
#define OPS_INLINE		8

/*!
 * Prerequisites of one UPDATE as the store sees them, with what to answer
 * when one does not hold, and the first check that failed without the store.
 */
typedef struct {
	acme_ddns_t *ddns;
	acme_prereq_t *list;        /*!< For the store, in the order Knot checks them. */
	uint16_t *rcodes;           /*!< Rcode when list[i] does not hold. */
	const char **reasons;
	size_t count;
	acme_rdata_t *rdata;        /*!< Values of the TXT_EQUALS prerequisites. */
	size_t rdata_used;
	prereq_sets_t sets;         /*!< Class IN prerequisites (own the values). */
	uint16_t rcode;             /*!< First failure known without the store. */
	/* Room for the usual few prerequisites: no heap on the update path. */
	acme_prereq_t list_buf[PREREQS_INLINE];
	uint16_t rcodes_buf[PREREQS_INLINE];
	const char *reasons_buf[PREREQS_INLINE];
	acme_rdata_t rdata_buf[PREREQ_VALUES_INLINE];
} prereqs_t;

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

/*! A failure known without the store; the checks stop at it. */
static int fail(prereqs_t *p, uint16_t rcode, const char *reason, const knot_dname_t *owner)
{
	p->rcode = rcode;
	p->ddns->reason = reason;
	p->ddns->reason_owner = owner;
	return KNOT_EDENIED;
}

/*! A prerequisite the store decides; \a rcode if it does not hold. */
static void store_prereq(prereqs_t *p, acme_prereq_t prereq, uint16_t rcode,
                         const char *reason)
{
	p->list[p->count] = prereq;
	p->rcodes[p->count] = rcode;
	p->reasons[p->count] = reason;
	p->count++;
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

/*!
 * One prerequisite (RFC 2136 2.4, 3.2), in message order.  What the zone
 * holds (the apex SOA and NS) is folded in here; what is left for the store
 * is a NAME_IN_USE or NAME_UNUSED about the owner's live values (the store
 * holds only TXT).  RRsets with values are collected for later.
 */
static int check_prereq(prereqs_t *p, const knot_rrset_t *rr, prereq_sets_t *sets)
{
	acme_ddns_t *d = p->ddns;
	if (rr->ttl != 0) {
		return fail(p, KNOT_RCODE_FORMERR, "prerequisite with non-zero TTL", rr->owner);
	}
	if (!in_zone(rr->owner, d->zone)) {
		return fail(p, KNOT_RCODE_NOTZONE, "prerequisite outside the zone", rr->owner);
	}

	bool name = (rr->type == KNOT_RRTYPE_ANY);
	switch (rr->rclass) {
	case KNOT_CLASS_ANY:
	case KNOT_CLASS_NONE:
		if (!rr_empty(rr)) {
			return fail(p, KNOT_RCODE_FORMERR, "prerequisite with data", rr->owner);
		}
		break;
	case KNOT_CLASS_IN:
		return prereq_sets_add(sets, rr);
	default:
		return fail(p, KNOT_RCODE_FORMERR, "prerequisite of unknown class", rr->owner);
	}

	knot_rrset_t zone = zone_rrset(d, rr->owner, rr->type);
	bool in_zone_data = !knot_rrset_empty(&zone);
	bool in_store = name || rr->type == KNOT_RRTYPE_TXT;
	acme_prereq_t prereq = { .owner = rr->owner };
	if (rr->rclass == KNOT_CLASS_ANY) {
		uint16_t rcode = name ? KNOT_RCODE_NXDOMAIN : KNOT_RCODE_NXRRSET;
		const char *reason = name ? "name not in use" : "RRset does not exist";
		if (in_zone_data) {
			return KNOT_EOK;
		} else if (!in_store) {
			return fail(p, rcode, reason, rr->owner);
		}
		prereq.type = ACME_PREREQ_NAME_IN_USE;
		store_prereq(p, prereq, rcode, reason);
	} else {
		uint16_t rcode = name ? KNOT_RCODE_YXDOMAIN : KNOT_RCODE_YXRRSET;
		const char *reason = name ? "name in use" : "RRset exists";
		if (in_zone_data) {
			return fail(p, rcode, reason, rr->owner);
		} else if (!in_store) {
			return KNOT_EOK;
		}
		prereq.type = ACME_PREREQ_NAME_UNUSED;
		store_prereq(p, prereq, rcode, reason);
	}
	return KNOT_EOK;
}

/*!
 * One RRset with values, after every other prerequisite: it must exist
 * exactly.  Zone data decides other types; a TXT RRset is the zone's TXT
 * (which must be among the wanted values) plus the store's live values.
 */
static int check_prereq_set(prereqs_t *p, const knot_rrset_t *want)
{
	knot_rrset_t zone = zone_rrset(p->ddns, want->owner, want->type);
	if (want->type != KNOT_RRTYPE_TXT) {
		if (!knot_rdataset_eq(&zone.rrs, &want->rrs)) {
			return fail(p, KNOT_RCODE_NXRRSET, "RRset differs", want->owner);
		}
		return KNOT_EOK;
	}
	if (!knot_rdataset_subset(&zone.rrs, &want->rrs)) {
		return fail(p, KNOT_RCODE_NXRRSET, "RRset differs", want->owner);
	}
	acme_rdata_t *values = p->rdata + p->rdata_used;
	size_t count = 0, optional = 0;
	/* The store's values first, those the zone holds at the end. */
	knot_rdata_t *rd = want->rrs.rdata;
	for (uint16_t i = 0; i < want->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (!knot_rdataset_member(&zone.rrs, rd)) {
			values[count++] = (acme_rdata_t){ rd->data, rd->len };
		}
	}
	rd = want->rrs.rdata;
	for (uint16_t i = 0; i < want->rrs.count; i++, rd = knot_rdataset_next(rd)) {
		if (knot_rdataset_member(&zone.rrs, rd)) {
			values[count + optional++] = (acme_rdata_t){ rd->data, rd->len };
		}
	}
	p->rdata_used += count + optional;
	acme_prereq_t prereq = {
		.type = ACME_PREREQ_TXT_EQUALS,
		.owner = want->owner,
		.values = values,
		.count = count,
		.optional = values + count,
		.optional_count = optional,
	};
	store_prereq(p, prereq, KNOT_RCODE_NXRRSET, "RRset differs");
	return KNOT_EOK;
}

/*! One update RR (RFC 2136 3.4.1.2, 3.4.2) and the module's value policy. */
static int check_update_rr(prereqs_t *p, const knot_rrset_t *rr)
{
	acme_ddns_t *d = p->ddns;
	if (!in_zone(rr->owner, d->zone)) {
		return fail(p, KNOT_RCODE_NOTZONE, "owner outside the zone", rr->owner);
	}
	bool meta = knot_rrtype_is_metatype(rr->type);
	switch (rr->rclass) {
	case KNOT_CLASS_IN:
		if (meta) {
			return fail(p, KNOT_RCODE_FORMERR, "meta type added", rr->owner);
		}
		const knot_rdata_t *rd = rr->rrs.rdata;
		if (rd->len > ACME_STORE_RDATA_MAX) {
			return fail(p, KNOT_RCODE_REFUSED, "value too long", rr->owner);
		}
		if (!acme_txt_valid(rd->data, rd->len)) {
			return fail(p, KNOT_RCODE_FORMERR, "malformed TXT data", rr->owner);
		}
		if (d->strict && !acme_value_strict(rd->data, rd->len)) {
			return fail(p, KNOT_RCODE_REFUSED, "not an ACME challenge value "
			            "(strict: one string of 43 base64url characters)", rr->owner);
		}
		return KNOT_EOK;
	case KNOT_CLASS_ANY:
		if (!rr_empty(rr) || (meta && rr->type != KNOT_RRTYPE_ANY)) {
			return fail(p, KNOT_RCODE_FORMERR, "RRset deletion with data", rr->owner);
		}
		return KNOT_EOK;
	case KNOT_CLASS_NONE:
		if (rr->ttl != 0 || meta) {
			return fail(p, KNOT_RCODE_FORMERR, "RR deletion with non-zero TTL", rr->owner);
		}
		return KNOT_EOK;
	default:
		return fail(p, KNOT_RCODE_FORMERR, "update RR of unknown class", rr->owner);
	}
}

/*!
 * Every check that needs no store, in Knot's order: prerequisites in message
 * order, then the RRsets with values, then each update RR.  The checks stop
 * at the first failure (p->rcode set, KNOT_EDENIED); the store prerequisites
 * gathered before it come first, as Knot would have checked them first.
 */
static int check_update(prereqs_t *p)
{
	const knot_pkt_t *q = p->ddns->query;
	const knot_pktsection_t *pre = knot_pkt_section(q, KNOT_ANSWER);
	int ret = KNOT_EOK;
	for (uint16_t i = 0; ret == KNOT_EOK && i < pre->count; i++) {
		ret = check_prereq(p, knot_pkt_rr(pre, i), &p->sets);
	}
	for (size_t i = 0; ret == KNOT_EOK && i < p->sets.count; i++) {
		ret = check_prereq_set(p, &p->sets.sets[i]);
	}
	const knot_pktsection_t *upd = knot_pkt_section(q, KNOT_AUTHORITY);
	for (uint16_t i = 0; ret == KNOT_EOK && i < upd->count; i++) {
		ret = check_update_rr(p, knot_pkt_rr(upd, i));
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

static int prereqs_init(prereqs_t *p, acme_ddns_t *ddns)
{
	const knot_pktsection_t *pre = knot_pkt_section(ddns->query, KNOT_ANSWER);
	size_t values = 0;
	for (uint16_t i = 0; i < pre->count; i++) {
		values += knot_pkt_rr(pre, i)->rrs.count;
	}
	size_t n = pre->count;
	*p = (prereqs_t){ .ddns = ddns, .rcode = KNOT_RCODE_NOERROR };
	if (n <= PREREQS_INLINE) {
		p->list = p->list_buf;
		p->rcodes = p->rcodes_buf;
		p->reasons = p->reasons_buf;
	} else {
		p->list = calloc(n, sizeof(*p->list));
		p->rcodes = calloc(n, sizeof(*p->rcodes));
		p->reasons = calloc(n, sizeof(*p->reasons));
	}
	p->rdata = values <= PREREQ_VALUES_INLINE ? p->rdata_buf :
	           calloc(values, sizeof(*p->rdata));
	return (p->list && p->rcodes && p->reasons && p->rdata) ? KNOT_EOK : KNOT_ENOMEM;
}

static void prereqs_clear(prereqs_t *p)
{
	prereq_sets_clear(&p->sets);
	if (p->list != p->list_buf) {
		free(p->list);
		free(p->rcodes);
		free(p->reasons);
	}
	if (p->rdata != p->rdata_buf) {
		free(p->rdata);
	}
}

/*! The rcode of a store answer (and the reason, for the log). */
static uint16_t store_rcode(acme_ddns_t *ddns, const prereqs_t *p, const acme_update_t *u,
                            int ret)
{
	if (ret == KNOT_EOK) {
		return KNOT_RCODE_NOERROR;
	}
	if (ret == KNOT_EPREREQ && u->failed < p->count) {
		ddns->reason = p->reasons[u->failed];
		ddns->reason_owner = p->list[u->failed].owner;
		return p->rcodes[u->failed];
	}
	ddns->reason = (ret == KNOT_ESPACE) ? "database full (map-size reached)" :
	               knot_strerror(ret);
	ddns->reason_owner = NULL;
	return KNOT_RCODE_SERVFAIL;
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
	prereqs_t p;
	acme_op_t ops_buf[OPS_INLINE];
	acme_op_t *ops = upd->count <= OPS_INLINE ? ops_buf : calloc(upd->count, sizeof(*ops));
	if (prereqs_init(&p, ddns) != KNOT_EOK || ops == NULL) {
		prereqs_clear(&p);
		if (ops != ops_buf) {
			free(ops);
		}
		ddns->reason = "out of memory";
		return KNOT_RCODE_SERVFAIL;
	}

	/* Everything the message and the zone decide, then the store. */
	int ret = check_update(&p);
	acme_update_t u = {
		.prereqs = p.list,
		.prereq_count = p.count,
		.policy = policy,
		.now = now,
	};
	uint16_t rcode;
	if (ret == KNOT_EOK) {
		u.ops = ops;
		u.op_count = build_ops(ddns->query, ops);
		rcode = store_rcode(ddns, &p, &u, acme_store_apply(store, &u));
		ddns->result = u.result;
	} else if (ret != KNOT_EDENIED) {
		ddns->reason = knot_strerror(ret);
		rcode = KNOT_RCODE_SERVFAIL;
	} else if (p.count > 0) {
		/* The store prerequisites Knot checks before the failed one decide first. */
		const char *reason = ddns->reason;
		const knot_dname_t *owner = ddns->reason_owner;
		ret = acme_store_apply(store, &u);
		rcode = (ret == KNOT_EOK) ? p.rcode : store_rcode(ddns, &p, &u, ret);
		if (ret == KNOT_EOK) {
			ddns->reason = reason;
			ddns->reason_owner = owner;
		}
	} else {
		rcode = p.rcode;
	}
	prereqs_clear(&p);
	if (ops != ops_buf) {
		free(ops);
	}
	return rcode;
}
