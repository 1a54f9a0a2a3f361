/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/dns/acl.h"
#include "module/tool/aclconf.h"

#define MAX_ITEMS	TOOL_VALUES_MAX

/*! What one loaded rule points to (freed in clear()). */
typedef struct {
	acme_acl_peer_t peers[MAX_ITEMS];
	acme_tsig_key_t keys[MAX_ITEMS];
	knot_dname_t *names[MAX_ITEMS * 2];   /*!< Key and owner names. */
	size_t name_count;
	uint16_t types[MAX_ITEMS];
	acme_acl_name_t owner_names[MAX_ITEMS];
} rule_data_t;

typedef struct {
	acme_acl_loader_t base;
	const tool_conf_t *conf;
	tool_values_t acls;
	rule_data_t data;
	size_t last;          /*!< Index of the last rule asked for its update part. */
	bool addr_restricted[MAX_ITEMS];
} loader_t;

static knot_dname_t *keep_name(rule_data_t *d, const char *text)
{
	if (d->name_count == sizeof(d->names) / sizeof(d->names[0])) {
		return NULL;
	}
	knot_dname_t *name = knot_dname_from_str_alloc(text);
	if (name != NULL) {
		knot_dname_to_lower(name);
		d->names[d->name_count++] = name;
	}
	return name;
}

/*! The key entries named in \a keys, into the rule's key array from \a at. */
static size_t load_keys(loader_t *l, const tool_values_t *keys, size_t at)
{
	size_t n = 0;
	for (size_t i = 0; i < keys->count && at + n < MAX_ITEMS; i++) {
		knot_dname_t *name = keep_name(&l->data, keys->values[i]);
		if (name == NULL) {
			continue;
		}
		const char *alg = tool_conf_get(l->conf, "key", keys->values[i], "algorithm");
		l->data.keys[at + n].name = name;
		l->data.keys[at + n].algorithm = dnssec_tsig_algorithm_from_name(
			alg != NULL ? alg : "hmac-sha256");
		n++;
	}
	return n;
}

static int load_peers(loader_t *l, size_t index, const char *id, acme_acl_rule_t *rule)
{
	tool_values_t remotes = { 0 }, addrs = { 0 }, keys = { 0 };
	tool_conf_values(l->conf, "acl", id, "remote", tool_values_collect, &remotes);
	const char *deny = tool_conf_get(l->conf, "acl", id, "deny");
	rule->deny = deny != NULL && (strcmp(deny, "on") == 0 || strcmp(deny, "true") == 0);

	size_t nkeys = 0;
	if (remotes.count == 0) {
		tool_conf_values(l->conf, "acl", id, "address", tool_values_collect, &addrs);
		tool_conf_values(l->conf, "acl", id, "key", tool_values_collect, &keys);
		size_t n = load_keys(l, &keys, 0);
		l->data.peers[0] = (acme_acl_peer_t) {
			.addr_match = true,
			.tsig_keys = l->data.keys,
			.tsig_key_count = n,
		};
		l->addr_restricted[index] = addrs.count > 0;
		rule->peers = l->data.peers;
		rule->peer_count = 1;
		return KNOT_EOK;
	}
	for (size_t i = 0; i < remotes.count && i < MAX_ITEMS; i++) {
		tool_values_t rkeys = { 0 }, raddrs = { 0 };
		tool_conf_values(l->conf, "remote", remotes.values[i], "key", tool_values_collect, &rkeys);
		tool_conf_values(l->conf, "remote", remotes.values[i], "address", tool_values_collect, &raddrs);
		size_t n = load_keys(l, &rkeys, nkeys);
		l->data.peers[i] = (acme_acl_peer_t) {
			.addr_match = true,
			.tsig_keys = l->data.keys + nkeys,
			.tsig_key_count = n,
		};
		nkeys += n;
		l->addr_restricted[index] |= raddrs.count > 0;
	}
	rule->peers = l->data.peers;
	rule->peer_count = remotes.count < MAX_ITEMS ? remotes.count : MAX_ITEMS;
	return KNOT_EOK;
}

static int load_update(loader_t *l, const char *id, acme_acl_rule_t *rule)
{
	tool_values_t actions = { 0 }, types = { 0 }, names = { 0 };
	tool_conf_values(l->conf, "acl", id, "action", tool_values_collect, &actions);
	static const char *action_names[] = { "query", "notify", "transfer", "update" };
	for (size_t i = 0; i < actions.count; i++) {
		for (unsigned a = 0; a < 4; a++) {
			if (strcmp(actions.values[i], action_names[a]) == 0) {
				rule->actions |= 1u << a;
			}
		}
	}

	tool_conf_values(l->conf, "acl", id, "update-type", tool_values_collect, &types);
	for (size_t i = 0; i < types.count; i++) {
		uint16_t type;
		if (knot_rrtype_from_string(types.values[i], &type) == 0) {
			l->data.types[rule->type_count++] = type;
		}
	}
	rule->types = l->data.types;

	const char *owner = tool_conf_get(l->conf, "acl", id, "update-owner");
	rule->owner = owner == NULL ? ACME_ACL_OWNER_NONE :
	              strcmp(owner, "key") == 0 ? ACME_ACL_OWNER_KEY :
	              strcmp(owner, "zone") == 0 ? ACME_ACL_OWNER_ZONE : ACME_ACL_OWNER_NAME;
	const char *match = tool_conf_get(l->conf, "acl", id, "update-owner-match");
	rule->owner_match = match == NULL ? ACME_ACL_MATCH_SUBEQ :
	                    strcmp(match, "equal") == 0 ? ACME_ACL_MATCH_EQ :
	                    strcmp(match, "sub") == 0 ? ACME_ACL_MATCH_SUB : ACME_ACL_MATCH_SUBEQ;

	/* As Knot stores them: relative names without the root label. */
	tool_conf_values(l->conf, "acl", id, "update-owner-name", tool_values_collect, &names);
	for (size_t i = 0; i < names.count; i++) {
		knot_dname_t *name = keep_name(&l->data, names.values[i]);
		if (name == NULL) {
			continue;
		}
		size_t len = knot_dname_size(name);
		size_t tlen = strlen(names.values[i]);
		bool absolute = tlen > 0 && names.values[i][tlen - 1] == '.';
		l->data.owner_names[rule->owner_name_count++] = (acme_acl_name_t) {
			.data = name, .len = absolute ? len : len - 1,
		};
	}
	rule->owner_names = l->data.owner_names;
	return KNOT_EOK;
}

static int load(acme_acl_loader_t *base, size_t index, acme_acl_part_t part,
                acme_acl_rule_t *rule)
{
	loader_t *l = (loader_t *)base;
	const char *id = l->acls.values[index];
	if (part == ACME_ACL_PART_PEERS) {
		return load_peers(l, index, id, rule);
	}
	l->last = index;
	return load_update(l, id, rule);
}

static void clear(acme_acl_loader_t *base, acme_acl_rule_t *rule)
{
	loader_t *l = (loader_t *)base;
	for (size_t i = 0; i < l->data.name_count; i++) {
		knot_dname_free(l->data.names[i], NULL);
	}
	memset(&l->data, 0, sizeof(l->data));
	memset(rule, 0, sizeof(*rule));
}

int tool_acl_may_update(const tool_conf_t *conf, const char *zone,
                        const knot_dname_t *owner, const knot_dname_t *key_name,
                        dnssec_tsig_algorithm_t alg, tool_acl_answer_t *answer)
{
	loader_t *l = calloc(1, sizeof(*l));
	knot_dname_t *zname = knot_dname_from_str_alloc(zone);
	if (l == NULL || zname == NULL) {
		free(l);
		knot_dname_free(zname, NULL);
		return KNOT_ENOMEM;
	}
	knot_dname_to_lower(zname);
	l->conf = conf;
	l->last = SIZE_MAX;
	tool_conf_values(conf, "zone", zone, "acl", tool_values_collect, &l->acls);
	l->base.rule_count = l->acls.count;
	l->base.load = load;
	l->base.clear = clear;

	/* One TXT added at the owner (the rdata does not matter to an acl). */
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)owner, KNOT_RRTYPE_TXT, KNOT_CLASS_IN, 60);
	acme_acl_update_t update = {
		.zone = zname,
		.tsig_name = key_name,
		.tsig_alg = alg,
		.rrs = &rr,
		.rr_count = 1,
	};
	acme_acl_verdict_t verdict;
	int ret = acme_acl_check(&l->base, &update, &verdict, NULL);
	*answer = (tool_acl_answer_t) { .allowed = (ret == KNOT_EOK && verdict == ACME_ACL_ALLOW) };
	if (verdict != ACME_ACL_NEXT && l->last < l->acls.count) {
		snprintf(answer->acl, sizeof(answer->acl), "%s", l->acls.values[l->last]);
		answer->addr_restricted = l->addr_restricted[l->last];
	}
	knot_dname_free(zname, NULL);
	free(l);
	return ret;
}
