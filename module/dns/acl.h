/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief ACL decision for an UPDATE, with the semantics of Knot 3.2's
 *        src/knot/updates/acl.c (acl_allowed() with action update).
 *
 * Pure: no knotd symbols, only libknot, so it is unit tested on its own.
 * This file walks the zone's `acl` entries and decides; a loader (auth.c:
 * knotd's configuration; the unit tests: arrays) reads each entry into an
 * acme_acl_rule_t, one part at a time and only as far as the decision needs
 * it (the source address is matched there, as only knotd can read address
 * ranges).
 *
 * Rules are walked in configuration order.  For each rule:
 *
 *  1. Peers: without `remote`, the rule's own `address` and `key` lists form
 *     one peer; with `remote`, each referenced remote (groups expanded) is a
 *     peer with its addresses and its single key.  At least one peer must
 *     match: its address matches (or none is configured) and either the
 *     message is signed with one of its keys (same name and algorithm), or
 *     it has no key and the message is unsigned or the rule is a `deny` one.
 *     No matching peer: next rule.
 *  2. `action`: none configured ends the walk, denied; configured without
 *     update: next rule.
 *  3. `update-type` and `update-owner*`: every RR of the update section must
 *     satisfy them, otherwise next rule (not denied).
 *  4. `deny`: denied.  Otherwise allowed, with the matched key.
 *
 * No rule decides: denied.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! `action` values, as numbered in Knot's configuration schema. */
enum {
	ACME_ACL_ACTION_QUERY    = 0,
	ACME_ACL_ACTION_NOTIFY   = 1,
	ACME_ACL_ACTION_TRANSFER = 2,
	ACME_ACL_ACTION_UPDATE   = 3,
};

/*! `update-owner` values, as numbered in Knot's configuration schema. */
typedef enum {
	ACME_ACL_OWNER_NONE = 0,
	ACME_ACL_OWNER_KEY  = 1,
	ACME_ACL_OWNER_ZONE = 2,
	ACME_ACL_OWNER_NAME = 3,
} acme_acl_owner_t;

/*! `update-owner-match` values, as numbered in Knot's configuration schema. */
typedef enum {
	ACME_ACL_MATCH_SUBEQ = 0, /*!< sub-or-equal (default) */
	ACME_ACL_MATCH_EQ    = 1, /*!< equal */
	ACME_ACL_MATCH_SUB   = 2, /*!< sub */
} acme_acl_match_t;

/*! A TSIG key a peer accepts (an entry of the `key:` section). */
typedef struct {
	const knot_dname_t *name;          /*!< Key name (its id). */
	dnssec_tsig_algorithm_t algorithm; /*!< Its configured algorithm. */
} acme_tsig_key_t;

/*! Who a rule applies to: the rule's own address/key, or one remote. */
typedef struct {
	bool addr_match;                  /*!< Source address matches (or none configured). */
	const acme_tsig_key_t *tsig_keys; /*!< Accepted keys. */
	size_t tsig_key_count;            /*!< 0 if no key is configured. */
} acme_acl_peer_t;

/*!
 * One `update-owner-name` value as Knot stores it: a name relative to the
 * zone lacks the terminal root label, an absolute one (written with a
 * trailing dot) has it.
 */
typedef struct {
	const uint8_t *data;
	size_t len;
} acme_acl_name_t;

/*! One `acl` entry, resolved from the configuration. */
typedef struct {
	const acme_acl_peer_t *peers; /*!< One without `remote`, one per remote with it. */
	size_t peer_count;
	unsigned actions;             /*!< Bit (1 << ACME_ACL_ACTION_x) per `action`; 0 if none. */
	bool deny;
	const uint16_t *types;        /*!< `update-type` list. */
	size_t type_count;            /*!< 0: any type. */
	acme_acl_owner_t owner;       /*!< `update-owner` */
	acme_acl_match_t owner_match; /*!< `update-owner-match` */
	const acme_acl_name_t *owner_names; /*!< `update-owner-name` list. */
	size_t owner_name_count;      /*!< 0: any name (with update-owner name). */
} acme_acl_rule_t;

/*! The UPDATE being authorized. */
typedef struct {
	const knot_dname_t *zone;          /*!< Zone name. */
	const knot_dname_t *tsig_name;     /*!< TSIG key name, NULL if unsigned. */
	dnssec_tsig_algorithm_t tsig_alg;  /*!< TSIG algorithm (if signed). */
	const knot_rrset_t *rrs;           /*!< Update section RRs. */
	size_t rr_count;
} acme_acl_update_t;

/*! Verdict of one rule. */
typedef enum {
	ACME_ACL_NEXT = 0, /*!< The rule does not apply, ask the next one. */
	ACME_ACL_ALLOW,    /*!< Allowed. */
	ACME_ACL_DENY,     /*!< Denied, stop the walk. */
} acme_acl_verdict_t;

/*! The parts of a rule a loader reads, in the order the walk asks for them. */
typedef enum {
	ACME_ACL_PART_PEERS,  /*!< peers, rule.deny (step 1) */
	ACME_ACL_PART_UPDATE, /*!< rule.actions, update-type, update-owner* (steps 2-4) */
} acme_acl_part_t;

/*!
 * Reads the zone's rules for acme_acl_check().  For each rule, in order, the
 * walk asks for ACME_ACL_PART_PEERS, then for ACME_ACL_PART_UPDATE only if a
 * peer matched, then calls clear() (also after a failed load).  What load()
 * fills stays valid until clear(); the key names until the walk returns.
 */
typedef struct acme_acl_loader {
	size_t rule_count;
	/*! Fills \a part of rule \a index into \a rule; a KNOT_E* error ends the walk. */
	int (*load)(struct acme_acl_loader *loader, size_t index, acme_acl_part_t part,
	            acme_acl_rule_t *rule);
	/*! Releases what load() allocated for \a rule. */
	void (*clear)(struct acme_acl_loader *loader, acme_acl_rule_t *rule);
} acme_acl_loader_t;

/*!
 * The verdict of the zone's rules for an update: the first rule that does
 * not say ACME_ACL_NEXT decides; ACME_ACL_NEXT from the last one (or no
 * rule) means no rule decided, which is a denial.
 *
 * \param loader   Reads the rules (see acme_acl_loader_t).
 * \param update   The update.
 * \param verdict  Out: ACME_ACL_ALLOW, ACME_ACL_DENY or ACME_ACL_NEXT.
 * \param tsig_key Out (may be NULL): on ACME_ACL_ALLOW of a signed update, the
 *                 matched key (its secret signs the reply); zeroed otherwise.
 *
 * \return KNOT_EOK, or the loader's error (*verdict is then ACME_ACL_DENY).
 */
int acme_acl_check(acme_acl_loader_t *loader, const acme_acl_update_t *update,
                   acme_acl_verdict_t *verdict, acme_tsig_key_t *tsig_key);

