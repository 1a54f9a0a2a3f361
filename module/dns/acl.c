/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <string.h>

#include "module/compat.h"
#include "module/dns/acl.h"

/*!
 * Number of labels \a name has below \a bailiwick, or -1 if it is not at or
 * below it.  Case-insensitive (knotd hands over lower-cased names anyway).
 */
static int labels_below(const knot_dname_t *name, const knot_dname_t *bailiwick)
{
	int diff = (int)knot_dname_labels(name, NULL) - (int)knot_dname_labels(bailiwick, NULL);
	if (diff < 0) {
		return -1;
	}
	for (int i = 0; i < diff; i++) {
		name = acme_dname_next_label(name);
	}
	return knot_dname_is_case_equal(name, bailiwick) ? diff : -1;
}

/*! Owner against one name; no name (e.g. owner key, unsigned) matches all. */
static bool owner_matches(const knot_dname_t *owner, const knot_dname_t *name,
                          acme_acl_match_t match)
{
	if (name == NULL) {
		return true;
	}

	int below = labels_below(owner, name);
	switch (match) {
	case ACME_ACL_MATCH_SUBEQ:
		return below >= 0;
	case ACME_ACL_MATCH_EQ:
		return below == 0;
	case ACME_ACL_MATCH_SUB:
		return below > 0;
	default:
		return false;
	}
}

/*!
 * Owner against the `update-owner-name` list, relative names completed with
 * the zone.  A relative name too long with the zone appended fails the whole
 * list, as in Knot.
 */
static bool owner_matches_names(const knot_dname_t *owner, const acme_acl_rule_t *rule,
                                const knot_dname_t *zone, acme_acl_match_t match)
{
	if (rule->owner_name_count == 0) {
		return true;
	}

	for (size_t i = 0; i < rule->owner_name_count; i++) {
		const acme_acl_name_t *n = &rule->owner_names[i];
		knot_dname_storage_t full;
		const knot_dname_t *name = n->data;
		if (n->len == 0 || n->data[n->len - 1] != '\0') {
			size_t zone_size = knot_dname_size(zone);
			if (n->len + zone_size > sizeof(full)) {
				return false;
			}
			if (n->len > 0) {
				memcpy(full, n->data, n->len);
			}
			memcpy(full + n->len, zone, zone_size);
			name = full;
		}
		if (owner_matches(owner, name, match)) {
			return true;
		}
	}

	return false;
}

static bool type_allowed(uint16_t type, const acme_acl_rule_t *rule)
{
	if (rule->type_count == 0) {
		return true;
	}
	for (size_t i = 0; i < rule->type_count; i++) {
		if (rule->types[i] == type) {
			return true;
		}
	}
	return false;
}

/*! Every RR of the update section satisfies update-type and update-owner*. */
static bool update_matches(const acme_acl_rule_t *rule, const acme_acl_update_t *update)
{
	if (rule->type_count == 0 && rule->owner == ACME_ACL_OWNER_NONE) {
		return true;
	}

	/* update-owner-match only counts with an update-owner. */
	acme_acl_match_t match = (rule->owner != ACME_ACL_OWNER_NONE) ?
	                         rule->owner_match : ACME_ACL_MATCH_SUBEQ;

	for (size_t i = 0; i < update->rr_count; i++) {
		const knot_rrset_t *rr = &update->rrs[i];
		if (!type_allowed(rr->type, rule)) {
			return false;
		}

		bool ok = true;
		switch (rule->owner) {
		case ACME_ACL_OWNER_NAME:
			ok = owner_matches_names(rr->owner, rule, update->zone, match);
			break;
		case ACME_ACL_OWNER_KEY:
			ok = owner_matches(rr->owner, update->tsig_name, match);
			break;
		case ACME_ACL_OWNER_ZONE:
			ok = owner_matches(rr->owner, update->zone, match);
			break;
		default:
			break;
		}
		if (!ok) {
			return false;
		}
	}

	return true;
}

/*!
 * Does the peer match the source and the TSIG key?  On a key match, *key is
 * the peer's key.
 */
static bool peer_matches(const acme_acl_peer_t *peer, const acme_acl_update_t *update,
                         bool deny, const acme_tsig_key_t **key)
{
	*key = NULL;

	if (!peer->addr_match) {
		return false;
	}

	if (peer->tsig_key_count == 0) {
		/* No key configured: only unsigned messages, or any with deny. */
		return update->tsig_name == NULL || deny;
	}

	if (update->tsig_name == NULL) {
		return false;
	}
	for (size_t i = 0; i < peer->tsig_key_count; i++) {
		const acme_tsig_key_t *k = &peer->tsig_keys[i];
		if (k->name != NULL && knot_dname_is_case_equal(k->name, update->tsig_name) &&
		    k->algorithm == update->tsig_alg) {
			*key = k;
			return true;
		}
	}

	return false;
}

/*! The first peer matching address and key; *key as in peer_matches(). */
static bool peer_found(const acme_acl_rule_t *rule, const acme_acl_update_t *update,
                       const acme_tsig_key_t **key)
{
	bool found = false;
	for (size_t i = 0; i < rule->peer_count && !found; i++) {
		found = peer_matches(&rule->peers[i], update, rule->deny, key);
	}
	return found;
}

/*! Steps 2-4 of a rule whose peer matched (step 1, peer_found()). */
static acme_acl_verdict_t rule_verdict(const acme_acl_rule_t *rule,
                                       const acme_acl_update_t *update)
{
	/* No action at all ends the walk; other actions only skip the rule. */
	if (rule->actions == 0) {
		return ACME_ACL_DENY;
	}
	if (!(rule->actions & (1u << ACME_ACL_ACTION_UPDATE))) {
		return ACME_ACL_NEXT;
	}

	/* Unsatisfied update-type/owner skip the rule, deny or not. */
	if (!update_matches(rule, update)) {
		return ACME_ACL_NEXT;
	}

	return rule->deny ? ACME_ACL_DENY : ACME_ACL_ALLOW;
}

int acme_acl_check(acme_acl_loader_t *loader, const acme_acl_update_t *update,
                   acme_acl_verdict_t *verdict, acme_tsig_key_t *tsig_key)
{
	if (tsig_key != NULL) {
		memset(tsig_key, 0, sizeof(*tsig_key));
	}
	if (verdict == NULL) {
		return KNOT_EINVAL;
	}
	*verdict = ACME_ACL_DENY;
	if (loader == NULL || loader->load == NULL || update == NULL || update->zone == NULL) {
		return KNOT_EINVAL;
	}

	acme_acl_verdict_t v = ACME_ACL_NEXT;
	int ret = KNOT_EOK;
	for (size_t i = 0; i < loader->rule_count && v == ACME_ACL_NEXT && ret == KNOT_EOK; i++) {
		acme_acl_rule_t rule = { 0 };
		const acme_tsig_key_t *matched = NULL;
		ret = loader->load(loader, i, ACME_ACL_PART_PEERS, &rule);
		if (ret == KNOT_EOK && peer_found(&rule, update, &matched)) {
			ret = loader->load(loader, i, ACME_ACL_PART_UPDATE, &rule);
			if (ret == KNOT_EOK) {
				v = rule_verdict(&rule, update);
			}
		}
		if (v == ACME_ACL_ALLOW && matched != NULL && tsig_key != NULL) {
			*tsig_key = *matched;
		}
		if (loader->clear != NULL) {
			loader->clear(loader, &rule);
		}
	}

	*verdict = (ret == KNOT_EOK) ? v : ACME_ACL_DENY;
	return ret;
}
