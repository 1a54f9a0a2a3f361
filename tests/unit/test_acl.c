/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the ACL decision (module/dns/acl.c).
 *
 * The expected verdicts are those of Knot 3.2.6's acl_allowed() with action
 * update (src/knot/updates/acl.c), including its less obvious corners: an
 * entry without action ends the walk denied, unmet update-type/owner only
 * skip an entry (deny or not), a keyless entry matches a signed message only
 * when it denies, and update-owner key matches anything when unsigned.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/dns/acl.h"

#define UPDATE_ONLY	(1u << ACME_ACL_ACTION_UPDATE)
#define ALG		DNSSEC_TSIG_HMAC_SHA256

/* Names built by the tests, freed after each one. */

static knot_dname_t *names[256];
static size_t names_count;

static int free_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < names_count; i++) {
		knot_dname_free(names[i], NULL);
	}
	names_count = 0;
	return 0;
}

/*! A domain name from text, lower case kept as written. */
static const knot_dname_t *dn(const char *txt)
{
	assert_true(names_count < sizeof(names) / sizeof(names[0]));
	knot_dname_t *name = knot_dname_from_str_alloc(txt);
	assert_non_null(name);
	names[names_count++] = name;
	return name;
}

/*! `update-owner-name: txt` relative to the zone, stored as Knot does. */
static acme_acl_name_t rel(const char *txt)
{
	const knot_dname_t *name = dn(txt);
	acme_acl_name_t out = { name, knot_dname_size(name) - 1 };
	return out;
}

/*! `update-owner-name: txt.` (absolute). */
static acme_acl_name_t absn(const char *txt)
{
	const knot_dname_t *name = dn(txt);
	acme_acl_name_t out = { name, knot_dname_size(name) };
	return out;
}

static knot_rrset_t rr(const char *owner, uint16_t type)
{
	knot_rrset_t out;
	knot_rrset_init(&out, (knot_dname_t *)dn(owner), type, KNOT_CLASS_IN, 60);
	return out;
}

/* Updates. */

#define ZONE	"auth.example.net."

static acme_acl_update_t update(const knot_rrset_t *rrs, size_t count, const char *key)
{
	acme_acl_update_t u = {
		.zone = dn(ZONE),
		.tsig_name = (key != NULL) ? dn(key) : NULL,
		.tsig_alg = ALG,
		.rrs = rrs,
		.rr_count = count,
	};
	return u;
}

/*! One TXT at a label of the zone. */
#define ONE_TXT(var) \
	knot_rrset_t var##_rrs[] = { rr("_acme-challenge.www." ZONE, KNOT_RRTYPE_TXT) }

/* Rules. */

/*! A rule without address and key, allowing update. */
static const acme_acl_peer_t ANYONE = { .addr_match = true };

static acme_acl_rule_t allow_rule(const acme_acl_peer_t *peer)
{
	acme_acl_rule_t r = {
		.peers = peer, .peer_count = 1, .actions = UPDATE_ONLY,
	};
	return r;
}

/* The walk of acl.c over rules given up front. */

/*! acl.c's loader over an array of rules; counts what the walk asks for. */
typedef struct {
	acme_acl_loader_t loader; /* First: acl.c hands it back. */
	const acme_acl_rule_t *rules;
	size_t peer_loads;
	size_t update_loads;
	size_t clears;
	int fail_at;              /* Fail the peer load of this rule (-1: never). */
} array_loader_t;

static int array_load(acme_acl_loader_t *loader, size_t index, acme_acl_part_t part,
                      acme_acl_rule_t *rule)
{
	array_loader_t *al = (array_loader_t *)loader;
	const acme_acl_rule_t *src = &al->rules[index];
	if (part == ACME_ACL_PART_PEERS) {
		al->peer_loads++;
		if ((int)index == al->fail_at) {
			return KNOT_ENOMEM;
		}
		rule->peers = src->peers;
		rule->peer_count = src->peer_count;
		rule->deny = src->deny;
	} else {
		al->update_loads++;
		*rule = *src;
	}
	return KNOT_EOK;
}

static void array_clear(acme_acl_loader_t *loader, acme_acl_rule_t *rule)
{
	(void)rule;
	((array_loader_t *)loader)->clears++;
}

static array_loader_t array_loader(const acme_acl_rule_t *rules, size_t count)
{
	array_loader_t al = {
		.loader = { .rule_count = count, .load = array_load, .clear = array_clear },
		.rules = rules,
		.fail_at = -1,
	};
	return al;
}

/*! The matched key of the last walk. */
static acme_tsig_key_t walk_key;

/*! Verdict of the walk over rules; every rule asked for is cleared. */
static acme_acl_verdict_t walk(array_loader_t *al, const acme_acl_update_t *update)
{
	acme_acl_verdict_t v = ACME_ACL_ALLOW;
	assert_int_equal(acme_acl_check(&al->loader, update, &v, &walk_key), KNOT_EOK);
	assert_int_equal(al->clears, al->peer_loads);
	assert_true(al->update_loads <= al->peer_loads);
	return v;
}

/*! Allowed by the rules in order; *key (may be NULL) the matched key. */
static bool rules_allow(const acme_acl_rule_t *rules, size_t rule_count,
                        const acme_acl_update_t *update, const acme_tsig_key_t **key)
{
	array_loader_t al = array_loader(rules, rule_count);
	bool allowed = (walk(&al, update) == ACME_ACL_ALLOW);
	if (key != NULL) {
		*key = (walk_key.name != NULL) ? &walk_key : NULL;
	}
	return allowed;
}

/*! Verdict of one rule alone: ACME_ACL_NEXT when it does not decide. */
static acme_acl_verdict_t check(const acme_acl_rule_t *rule, const acme_acl_update_t *u)
{
	array_loader_t al = array_loader(rule, 1);
	acme_acl_verdict_t v = walk(&al, u);
	if (v != ACME_ACL_ALLOW || u->tsig_name == NULL) {
		assert_null(walk_key.name);
	} else {
		assert_non_null(walk_key.name);
	}
	return v;
}

/* Tests: no rule, address, keys. */

static void no_rule_denies(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, NULL);
	const acme_tsig_key_t *key = (const void *)1;
	assert_false(rules_allow(NULL, 0, &u, &key));
	assert_null(key);
	acme_acl_rule_t none[1] = { { 0 } };
	assert_false(rules_allow(none, 0, &u, NULL));
}

static void unsigned_open_rule(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, NULL);
	acme_acl_rule_t r = allow_rule(&ANYONE);
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);
	assert_true(rules_allow(&r, 1, &u, NULL));
}

static void address(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, NULL);
	acme_acl_peer_t other = { .addr_match = false };
	acme_acl_rule_t r = allow_rule(&other);
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);
	assert_false(rules_allow(&r, 1, &u, NULL));

	/* A deny rule for another address does not apply either. */
	r.deny = true;
	acme_acl_rule_t rules[2] = { r, allow_rule(&ANYONE) };
	assert_true(rules_allow(rules, 2, &u, NULL));
}

static void keys(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_tsig_key_t ks[] = {
		{ dn("other."), ALG },
		{ dn("acme.key."), ALG },
	};
	acme_acl_peer_t peer = { .addr_match = true, .tsig_keys = ks, .tsig_key_count = 2 };
	acme_acl_rule_t r = allow_rule(&peer);

	/* Any key of the list, by name and algorithm. */
	acme_acl_update_t u = update(u_rrs, 1, "acme.key.");
	const acme_tsig_key_t *key = NULL;
	assert_true(rules_allow(&r, 1, &u, &key));
	assert_ptr_equal(key->name, ks[1].name);

	/* Key names are compared ignoring case. */
	u = update(u_rrs, 1, "ACME.Key.");
	assert_true(rules_allow(&r, 1, &u, &key));
	assert_ptr_equal(key->name, ks[1].name);

	/* Same name, other algorithm. */
	u = update(u_rrs, 1, "acme.key.");
	u.tsig_alg = DNSSEC_TSIG_HMAC_SHA512;
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);

	/* Unknown key. */
	u = update(u_rrs, 1, "stranger.");
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);

	/* Unsigned, key required. */
	u = update(u_rrs, 1, NULL);
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);

	/* Right key, wrong address. */
	peer.addr_match = false;
	u = update(u_rrs, 1, "acme.key.");
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);
}

static void signed_vs_keyless_rule(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, "acme.key.");

	/* A keyless rule does not allow a signed message... */
	acme_acl_rule_t r = allow_rule(&ANYONE);
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);

	/* ...but a keyless deny rule denies it. */
	acme_tsig_key_t k = { dn("acme.key."), ALG };
	acme_acl_peer_t keyed = { .addr_match = true, .tsig_keys = &k, .tsig_key_count = 1 };
	acme_acl_rule_t rules[2] = { allow_rule(&ANYONE), allow_rule(&keyed) };
	rules[0].deny = true;
	assert_int_equal(check(&rules[0], &u), ACME_ACL_DENY);
	assert_false(rules_allow(rules, 2, &u, NULL));

	/* And an unsigned message too. */
	acme_acl_update_t u2 = update(u_rrs, 1, NULL);
	assert_int_equal(check(&rules[0], &u2), ACME_ACL_DENY);

	/* A keyed deny rule only denies that key. */
	rules[0] = allow_rule(&keyed);
	rules[0].deny = true;
	rules[1] = allow_rule(&ANYONE);
	assert_false(rules_allow(rules, 2, &u, NULL));
	assert_true(rules_allow(rules, 2, &u2, NULL));
}

/*!
 * The walk reads a rule's actions and update items only once a peer of it
 * matched (auth.c reads them from knotd's configuration), asks no rule
 * after the one that decided, and stops at a loader error, denied.
 */
static void lazy_walk(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t signed_u = update(u_rrs, 1, "acme.key.");
	acme_acl_update_t other_key = update(u_rrs, 1, "other.key.");
	acme_acl_update_t unsigned_u = update(u_rrs, 1, NULL);
	acme_tsig_key_t k = { dn("acme.key."), ALG };
	acme_acl_peer_t keyed = { .addr_match = true, .tsig_keys = &k, .tsig_key_count = 1 };
	acme_acl_peer_t far = { .addr_match = false, .tsig_keys = &k, .tsig_key_count = 1 };

	/* Update items read for a matching peer only. */
	acme_acl_rule_t r = allow_rule(&keyed);
	array_loader_t al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &signed_u), ACME_ACL_ALLOW);
	assert_int_equal(al.update_loads, 1);
	al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &other_key), ACME_ACL_NEXT);
	assert_int_equal(al.update_loads, 0);
	al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &unsigned_u), ACME_ACL_NEXT);
	assert_int_equal(al.update_loads, 0);
	r.peers = &far;
	al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &signed_u), ACME_ACL_NEXT);
	assert_int_equal(al.update_loads, 0);

	/* A keyless peer: unsigned messages, and signed ones only with deny. */
	r.peers = &ANYONE;
	al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &unsigned_u), ACME_ACL_ALLOW);
	assert_int_equal(al.update_loads, 1);
	al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &signed_u), ACME_ACL_NEXT);
	assert_int_equal(al.update_loads, 0);
	r.deny = true;
	al = array_loader(&r, 1);
	assert_int_equal(walk(&al, &signed_u), ACME_ACL_DENY);
	assert_int_equal(al.update_loads, 1);

	/* The first deciding rule ends the walk. */
	acme_acl_rule_t rules[3] = { allow_rule(&far), allow_rule(&ANYONE), allow_rule(&ANYONE) };
	al = array_loader(rules, 3);
	assert_int_equal(walk(&al, &unsigned_u), ACME_ACL_ALLOW);
	assert_int_equal(al.peer_loads, 2);
	assert_int_equal(al.update_loads, 1);

	/* A loader error: denied, the error returned, the rule cleared. */
	al = array_loader(rules, 3);
	al.fail_at = 1;
	acme_acl_verdict_t v = ACME_ACL_ALLOW;
	assert_int_equal(acme_acl_check(&al.loader, &unsigned_u, &v, &walk_key), KNOT_ENOMEM);
	assert_int_equal(v, ACME_ACL_DENY);
	assert_null(walk_key.name);
	assert_int_equal(al.clears, 2);

	/* Bad arguments. */
	assert_int_equal(acme_acl_check(NULL, &unsigned_u, &v, NULL), KNOT_EINVAL);
	assert_int_equal(v, ACME_ACL_DENY);
	assert_int_equal(acme_acl_check(&al.loader, NULL, &v, NULL), KNOT_EINVAL);
	assert_int_equal(acme_acl_check(&al.loader, &unsigned_u, NULL, NULL), KNOT_EINVAL);
}

/* Tests: actions, deny, order. */

static void actions(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, NULL);
	acme_acl_rule_t rules[2] = { allow_rule(&ANYONE), allow_rule(&ANYONE) };

	/* Other actions only: the rule does not apply. */
	rules[0].actions = (1u << ACME_ACL_ACTION_TRANSFER) | (1u << ACME_ACL_ACTION_NOTIFY);
	assert_int_equal(check(&rules[0], &u), ACME_ACL_NEXT);
	assert_true(rules_allow(rules, 2, &u, NULL));

	/* Update among others. */
	rules[0].actions |= UPDATE_ONLY;
	assert_int_equal(check(&rules[0], &u), ACME_ACL_ALLOW);

	/* No action at all (Knot's default, query) ends the walk denied. */
	rules[0].actions = 0;
	assert_int_equal(check(&rules[0], &u), ACME_ACL_DENY);
	assert_false(rules_allow(rules, 2, &u, NULL));

	/* ...but only when its address and key match. */
	acme_acl_peer_t other = { .addr_match = false };
	rules[0].peers = &other;
	assert_int_equal(check(&rules[0], &u), ACME_ACL_NEXT);
	assert_true(rules_allow(rules, 2, &u, NULL));
}

static void deny_and_order(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, NULL);
	acme_acl_rule_t deny = allow_rule(&ANYONE);
	deny.deny = true;
	acme_acl_rule_t allow = allow_rule(&ANYONE);

	assert_int_equal(check(&deny, &u), ACME_ACL_DENY);

	acme_acl_rule_t deny_first[2] = { deny, allow };
	assert_false(rules_allow(deny_first, 2, &u, NULL));

	acme_acl_rule_t allow_first[2] = { allow, deny };
	assert_true(rules_allow(allow_first, 2, &u, NULL));

	/* A deny rule without update in its actions does not deny updates. */
	deny_first[0].actions = 1u << ACME_ACL_ACTION_TRANSFER;
	assert_true(rules_allow(deny_first, 2, &u, NULL));
}

/* Tests: update-type. */

static void update_type(void **state)
{
	(void)state;
	knot_rrset_t rrs[] = {
		rr("a." ZONE, KNOT_RRTYPE_TXT),
		rr("b." ZONE, KNOT_RRTYPE_A),
	};
	acme_acl_update_t u = update(rrs, 2, NULL);
	uint16_t txt[] = { KNOT_RRTYPE_TXT };
	uint16_t txt_a[] = { KNOT_RRTYPE_AAAA, KNOT_RRTYPE_A, KNOT_RRTYPE_TXT };
	acme_acl_rule_t r = allow_rule(&ANYONE);

	/* Every RR must be of an allowed type. */
	r.types = txt;
	r.type_count = 1;
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);
	u.rr_count = 1;
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);
	u.rr_count = 2;
	r.types = txt_a;
	r.type_count = 3;
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);

	/* A failed update-type skips the rule, even a deny one. */
	acme_acl_rule_t rules[2] = { allow_rule(&ANYONE), allow_rule(&ANYONE) };
	rules[0].deny = true;
	rules[0].types = txt;
	rules[0].type_count = 1;
	assert_true(rules_allow(rules, 2, &u, NULL));   /* TXT + A: not denied */
	u.rr_count = 1;
	assert_false(rules_allow(rules, 2, &u, NULL));  /* TXT only: denied */

	/* ...and an allow rule: the next rule decides. */
	rules[0].deny = false;
	rules[1].deny = true;
	u.rr_count = 2;
	assert_false(rules_allow(rules, 2, &u, NULL));
}

/* Tests: update-owner. */

static acme_acl_verdict_t owner_check(acme_acl_owner_t owner, acme_acl_match_t match,
                                      const char *rr_owner, const char *key)
{
	knot_rrset_t rrs[] = { rr(rr_owner, KNOT_RRTYPE_TXT) };
	acme_acl_update_t u = update(rrs, 1, key);
	acme_tsig_key_t k = { key != NULL ? dn(key) : NULL, ALG };
	acme_acl_peer_t peer = { .addr_match = true, .tsig_keys = &k, .tsig_key_count = key ? 1 : 0 };
	acme_acl_rule_t r = allow_rule(&peer);
	r.owner = owner;
	r.owner_match = match;
	return check(&r, &u);
}

static void owner_zone(void **state)
{
	(void)state;
	const acme_acl_owner_t Z = ACME_ACL_OWNER_ZONE;

	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_SUBEQ, ZONE, NULL), ACME_ACL_ALLOW);
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_SUBEQ, "a.b." ZONE, NULL), ACME_ACL_ALLOW);
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_EQ, ZONE, NULL), ACME_ACL_ALLOW);
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_EQ, "a." ZONE, NULL), ACME_ACL_NEXT);
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_SUB, ZONE, NULL), ACME_ACL_NEXT);
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_SUB, "a." ZONE, NULL), ACME_ACL_ALLOW);

	/* Outside the zone, and a name that only ends like it. */
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_SUBEQ, "example.net.", NULL), ACME_ACL_NEXT);
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_SUBEQ, "xauth.example.net.", NULL), ACME_ACL_NEXT);

	/* Case does not matter. */
	assert_int_equal(owner_check(Z, ACME_ACL_MATCH_EQ, "AUTH.Example.NET.", NULL), ACME_ACL_ALLOW);
}

static void owner_key(void **state)
{
	(void)state;
	const acme_acl_owner_t K = ACME_ACL_OWNER_KEY;
	const char *key = "www.auth.example.net.";

	assert_int_equal(owner_check(K, ACME_ACL_MATCH_SUBEQ, "www." ZONE, key), ACME_ACL_ALLOW);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_SUBEQ, "_acme-challenge.www." ZONE, key),
	                 ACME_ACL_ALLOW);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_SUBEQ, "mail." ZONE, key), ACME_ACL_NEXT);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_EQ, "www." ZONE, key), ACME_ACL_ALLOW);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_EQ, "_acme-challenge.www." ZONE, key),
	                 ACME_ACL_NEXT);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_SUB, "www." ZONE, key), ACME_ACL_NEXT);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_SUB, "_acme-challenge.www." ZONE, key),
	                 ACME_ACL_ALLOW);
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_EQ, "WWW.auth.EXAMPLE.net.", key),
	                 ACME_ACL_ALLOW);

	/* Unsigned: Knot has no key name to compare, and lets every owner pass. */
	assert_int_equal(owner_check(K, ACME_ACL_MATCH_EQ, "mail." ZONE, NULL), ACME_ACL_ALLOW);
}

static acme_acl_verdict_t names_check(const acme_acl_name_t *ns, size_t count,
                                      acme_acl_match_t match, const char *rr_owner)
{
	knot_rrset_t rrs[] = { rr(rr_owner, KNOT_RRTYPE_TXT) };
	acme_acl_update_t u = update(rrs, 1, NULL);
	acme_acl_rule_t r = allow_rule(&ANYONE);
	r.owner = ACME_ACL_OWNER_NAME;
	r.owner_match = match;
	r.owner_names = ns;
	r.owner_name_count = count;
	return check(&r, &u);
}

static void owner_name(void **state)
{
	(void)state;
	const acme_acl_match_t SUBEQ = ACME_ACL_MATCH_SUBEQ, EQ = ACME_ACL_MATCH_EQ,
	                       SUB = ACME_ACL_MATCH_SUB;

	/* Relative to the zone. */
	acme_acl_name_t www[] = { rel("www") };
	assert_int_equal(names_check(www, 1, SUBEQ, "www." ZONE), ACME_ACL_ALLOW);
	assert_int_equal(names_check(www, 1, SUBEQ, "_acme-challenge.www." ZONE), ACME_ACL_ALLOW);
	assert_int_equal(names_check(www, 1, SUBEQ, "mail." ZONE), ACME_ACL_NEXT);
	assert_int_equal(names_check(www, 1, EQ, "www." ZONE), ACME_ACL_ALLOW);
	assert_int_equal(names_check(www, 1, EQ, "a.www." ZONE), ACME_ACL_NEXT);
	assert_int_equal(names_check(www, 1, SUB, "www." ZONE), ACME_ACL_NEXT);
	assert_int_equal(names_check(www, 1, SUB, "a.www." ZONE), ACME_ACL_ALLOW);
	/* Not relative to the root: www. itself is not www.<zone>. */
	assert_int_equal(names_check(www, 1, SUBEQ, "www."), ACME_ACL_NEXT);

	/* Multi-label relative name. */
	acme_acl_name_t deep[] = { rel("_acme-challenge.www.example.com") };
	assert_int_equal(names_check(deep, 1, EQ, "_acme-challenge.www.example.com." ZONE),
	                 ACME_ACL_ALLOW);

	/* Absolute: not completed with the zone. */
	acme_acl_name_t abs_www[] = { absn("www.") };
	assert_int_equal(names_check(abs_www, 1, SUBEQ, "www." ZONE), ACME_ACL_NEXT);
	acme_acl_name_t abs_full[] = { absn("www." ZONE) };
	assert_int_equal(names_check(abs_full, 1, EQ, "www." ZONE), ACME_ACL_ALLOW);
	assert_int_equal(names_check(abs_full, 1, EQ, "mail." ZONE), ACME_ACL_NEXT);

	/* Any name of the list. */
	acme_acl_name_t two[] = { rel("mail"), absn("www." ZONE) };
	assert_int_equal(names_check(two, 2, EQ, "www." ZONE), ACME_ACL_ALLOW);
	assert_int_equal(names_check(two, 2, EQ, "mail." ZONE), ACME_ACL_ALLOW);
	assert_int_equal(names_check(two, 2, EQ, "ftp." ZONE), ACME_ACL_NEXT);

	/* Case does not matter. */
	acme_acl_name_t upper[] = { rel("WWW") };
	assert_int_equal(names_check(upper, 1, EQ, "www.Auth.Example.Net."), ACME_ACL_ALLOW);
	assert_int_equal(names_check(www, 1, EQ, "WWW.AUTH.EXAMPLE.NET."), ACME_ACL_ALLOW);

	/* update-owner name without names: any owner. */
	assert_int_equal(names_check(NULL, 0, EQ, "ftp." ZONE), ACME_ACL_ALLOW);
}

static void owner_name_too_long(void **state)
{
	(void)state;
	/* 4 labels of 63: 256 bytes relative, too long with any zone. */
	char label[64];
	memset(label, 'a', 63);
	label[63] = '\0';
	char txt[4 * 64 + 1];
	snprintf(txt, sizeof(txt), "%s.%s.%s.%.58s", label, label, label, label);
	acme_acl_name_t ns[] = { rel(txt), absn("www." ZONE) };

	/* Knot gives up on the whole list at the first name it cannot build. */
	assert_int_equal(names_check(ns, 2, ACME_ACL_MATCH_EQ, "www." ZONE), ACME_ACL_NEXT);
	acme_acl_name_t swapped[] = { ns[1], ns[0] };
	assert_int_equal(names_check(swapped, 2, ACME_ACL_MATCH_EQ, "www." ZONE), ACME_ACL_ALLOW);
}

static void owner_and_type_every_rr(void **state)
{
	(void)state;
	knot_rrset_t rrs[] = {
		rr("a." ZONE, KNOT_RRTYPE_TXT),
		rr("b." ZONE, KNOT_RRTYPE_TXT),
		rr("c.example.org.", KNOT_RRTYPE_TXT),
	};
	acme_acl_update_t u = update(rrs, 3, NULL);
	acme_acl_rule_t r = allow_rule(&ANYONE);
	r.owner = ACME_ACL_OWNER_ZONE;
	r.owner_match = ACME_ACL_MATCH_SUB;
	assert_int_equal(check(&r, &u), ACME_ACL_NEXT);
	u.rr_count = 2;
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);
}

static void owner_match_without_owner(void **state)
{
	(void)state;
	/* update-owner-match alone restricts nothing. */
	ONE_TXT(u);
	acme_acl_update_t u = update(u_rrs, 1, NULL);
	acme_acl_rule_t r = allow_rule(&ANYONE);
	r.owner_match = ACME_ACL_MATCH_EQ;
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);
	uint16_t txt[] = { KNOT_RRTYPE_TXT };
	r.types = txt;
	r.type_count = 1;
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);
}

static void empty_update_section(void **state)
{
	(void)state;
	acme_acl_update_t u = update(NULL, 0, NULL);
	uint16_t a[] = { KNOT_RRTYPE_A };
	acme_acl_name_t ns[] = { rel("nowhere") };
	acme_acl_rule_t r = allow_rule(&ANYONE);
	r.types = a;
	r.type_count = 1;
	r.owner = ACME_ACL_OWNER_NAME;
	r.owner_match = ACME_ACL_MATCH_EQ;
	r.owner_names = ns;
	r.owner_name_count = 1;
	assert_int_equal(check(&r, &u), ACME_ACL_ALLOW);
	r.deny = true;
	assert_int_equal(check(&r, &u), ACME_ACL_DENY);
}

/* Tests: remotes. */

static void remotes(void **state)
{
	(void)state;
	ONE_TXT(u);
	acme_tsig_key_t k1 = { dn("one.key."), ALG };
	acme_tsig_key_t k2 = { dn("two.key."), ALG };
	acme_acl_peer_t peers[] = {
		{ .addr_match = false, .tsig_keys = &k1, .tsig_key_count = 1 },
		{ .addr_match = true,  .tsig_keys = &k2, .tsig_key_count = 1 },
		{ .addr_match = true },
	};
	acme_acl_rule_t r = allow_rule(&ANYONE);
	r.peers = peers;
	r.peer_count = 3;

	/* The remote at this address with this key. */
	acme_acl_update_t s2 = update(u_rrs, 1, "two.key.");
	const acme_tsig_key_t *key = NULL;
	assert_true(rules_allow(&r, 1, &s2, &key));
	assert_ptr_equal(key->name, k2.name);

	/* Key of a remote at another address. */
	acme_acl_update_t s1 = update(u_rrs, 1, "one.key.");
	assert_false(rules_allow(&r, 1, &s1, NULL));

	/* Unsigned: the keyless remote. */
	acme_acl_update_t un = update(u_rrs, 1, NULL);
	assert_true(rules_allow(&r, 1, &un, &key));
	assert_null(key);
	r.peer_count = 2;
	assert_false(rules_allow(&r, 1, &un, NULL));

	/* No remote matches: next rule. */
	r.peer_count = 0;
	assert_int_equal(check(&r, &s2), ACME_ACL_NEXT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(no_rule_denies, free_names),
		cmocka_unit_test_teardown(unsigned_open_rule, free_names),
		cmocka_unit_test_teardown(address, free_names),
		cmocka_unit_test_teardown(keys, free_names),
		cmocka_unit_test_teardown(signed_vs_keyless_rule, free_names),
		cmocka_unit_test_teardown(lazy_walk, free_names),
		cmocka_unit_test_teardown(actions, free_names),
		cmocka_unit_test_teardown(deny_and_order, free_names),
		cmocka_unit_test_teardown(update_type, free_names),
		cmocka_unit_test_teardown(owner_zone, free_names),
		cmocka_unit_test_teardown(owner_key, free_names),
		cmocka_unit_test_teardown(owner_name, free_names),
		cmocka_unit_test_teardown(owner_name_too_long, free_names),
		cmocka_unit_test_teardown(owner_and_type_every_rr, free_names),
		cmocka_unit_test_teardown(owner_match_without_owner, free_names),
		cmocka_unit_test_teardown(empty_update_section, free_names),
		cmocka_unit_test_teardown(remotes, free_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
