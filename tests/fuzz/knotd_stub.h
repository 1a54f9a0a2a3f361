/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief For fuzzing only: the knotd side of the module API, faked.
 *
 * knotd_stub.c implements the knotd_* functions mod-acme calls, over a fixed
 * configuration (keys, acls, remotes, two module zones sharing one database
 * in a temporary directory), so that the module's real load, BEGIN and
 * ANSWER hooks run in a libFuzzer process.  Nothing here is linked into the
 * module.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <knot/module.h>

/*! Zones served with mod-acme (alias setup, delegation setup). */
#define FUZZ_ZONE_ALIAS	"auth.example.net."
#define FUZZ_ZONE_DELEG	"_acme-challenge.example.com."

/*! Source addresses the fake acls tell apart (index by input bits). */
enum {
	FUZZ_ADDR_LOCAL = 0,   /*!< 127.0.0.1: acl "local" allows unsigned updates. */
	FUZZ_ADDR_DENIED,      /*!< 192.0.2.66: acl "deny-bad" denies. */
	FUZZ_ADDR_REMOTE,      /*!< 198.51.100.1: remote r1 (key k3). */
	FUZZ_ADDR_OTHER,       /*!< 203.0.113.9: nothing specific. */
	FUZZ_ADDR_COUNT
};

/*! The fake knotd_mod_t. */
struct knotd_mod {
	knot_dname_t *zone;
	void *ctx;
	knotd_mod_hook_f begin;
	knotd_mod_in_hook_f answer;
	const char *database;  /*!< The `database` item. */
};

/*! Keys of the fake configuration (k1, k2: in acls; k3: via remote r1). */
typedef struct {
	const char *name;
	dnssec_tsig_algorithm_t algorithm;
	const uint8_t *secret;
	size_t secret_len;
} fuzz_key_t;

extern const fuzz_key_t fuzz_keys[3];

/*!
 * Creates the temporary directory and loads the module for both zones
 * (once per process); removes everything at exit.
 */
void fuzz_env_init(void);

/*! Path of the shared database. */
const char *fuzz_db_path(void);

/*!
 * Module instance of the zone Knot would pick for \a qname: the zone itself
 * for an UPDATE (\a exact), the closest enclosing zone otherwise; NULL if
 * no module zone matches.
 */
knotd_mod_t *fuzz_zone_mod(const knot_dname_t *qname, bool exact);

/*! One of the FUZZ_ADDR_* source addresses. */
const struct sockaddr_storage *fuzz_addr(unsigned idx);

/*!
 * The message as knotd's handlers see it: \a len bytes copied to a buffer of
 * exactly that size (ASan catches a read past it) and parsed; NULL when knotd
 * would not reach the hooks (parse failure, a reply, no question).  Free it
 * with fuzz_query_free().
 */
knot_pkt_t *fuzz_query_parse(const uint8_t *data, size_t len);

/*! Frees a fuzz_query_parse() packet and its buffer. */
void fuzz_query_free(knot_pkt_t *query);

/*! Aborts unless the reply the module wrote parses. */
void fuzz_check_reply(const knot_pkt_t *reply);

/*!
 * Query data as knotd fills it before the hooks: query, type (from the
 * opcode and type), memory context (tracked, freed by fuzz_mm_reset()),
 * transport parameters.
 */
void fuzz_qdata_init(knotd_qdata_t *qdata, knotd_qdata_params_t *params, knot_pkt_t *query,
                     const struct sockaddr_storage *remote, bool tcp);

/*!
 * The memory context of a query (knotd's per-worker mempool): every
 * allocation is its own malloc (so ASan sees its bounds), none is freed
 * before fuzz_mm_reset() frees them all.  Reply packets use it, as in knotd.
 */
knot_mm_t *fuzz_mm(void);

/*! Frees everything allocated through the query memory context. */
void fuzz_mm_reset(void);

/*!
 * Finishes a reply as process_query.c does after a BEGIN hook answered:
 * rcode, then TSIG (signed with the key the module set, or the unsigned TSIG
 * error).  Aborts if the module left a signing context Knot cannot use.
 */
void fuzz_finish_reply(knot_pkt_t *reply, knotd_qdata_t *qdata);
