/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief For tests only: the knotd side of the module API, faked.
 *
 * knotd_stub.c implements the knotd_* functions mod-acme calls, over a fixed
 * configuration (keys, acls, remotes, two module zones sharing one database
 * in a temporary directory), so that the module's real load, BEGIN and
 * ANSWER hooks run in a test process: the fuzz harnesses (tests/fuzz) and the
 * unit tests of the knotd adapters (tests/unit/test_auth.c, test_update.c,
 * test_answer.c), as Knot's tests/modules test its modules.  Nothing here is
 * linked into the module.  STUB_LOG=1 prints the module's log lines,
 * STUB_KEEP=1 keeps the database directory.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <knot/module.h>

/*! Zones served with mod-acme (alias setup, delegation setup). */
#define STUB_ZONE_ALIAS	"auth.example.net."
#define STUB_ZONE_DELEG	"_acme-challenge.example.com."

/*! Source addresses the fake acls tell apart (index by input bits). */
enum {
	STUB_ADDR_LOCAL = 0,   /*!< 127.0.0.1: acl "local" allows unsigned updates. */
	STUB_ADDR_DENIED,      /*!< 192.0.2.66: acl "deny-bad" denies. */
	STUB_ADDR_REMOTE,      /*!< 198.51.100.1: remote r1 (key k3). */
	STUB_ADDR_OTHER,       /*!< 203.0.113.9: nothing specific. */
	STUB_ADDR_COUNT
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
} stub_key_t;

extern const stub_key_t stub_keys[3];

/*! The module under test (mod-acme.c, KNOTD_MOD_API). */
extern const knotd_mod_api_t knotd_mod_api;

/*!
 * Creates the temporary directory and loads the module for both zones
 * (once per process); removes everything at exit.
 */
void stub_env_init(void);

/*! Path of the shared database. */
const char *stub_db_path(void);

/*!
 * Module instance of the zone Knot would pick for \a qname: the zone itself
 * for an UPDATE (\a exact), the closest enclosing zone otherwise; NULL if
 * no module zone matches.
 */
knotd_mod_t *stub_zone_mod(const knot_dname_t *qname, bool exact);

/*! One of the FUZZ_ADDR_* source addresses. */
const struct sockaddr_storage *stub_addr(unsigned idx);

/*!
 * The message as knotd's handlers see it: \a len bytes copied to a buffer of
 * exactly that size (ASan catches a read past it) and parsed; NULL when knotd
 * would not reach the hooks (parse failure, a reply, no question).  Free it
 * with stub_query_free().
 */
knot_pkt_t *stub_query_parse(const uint8_t *data, size_t len);

/*! Frees a stub_query_parse() packet and its buffer. */
void stub_query_free(knot_pkt_t *query);

/*! Aborts unless the reply the module wrote parses. */
void stub_check_reply(const knot_pkt_t *reply);

/*!
 * Query data as knotd fills it before the hooks: query, type (from the
 * opcode and type), memory context (tracked, freed by stub_mm_reset()),
 * transport parameters.
 */
void stub_qdata_init(knotd_qdata_t *qdata, knotd_qdata_params_t *params, knot_pkt_t *query,
                     const struct sockaddr_storage *remote, bool tcp);

/*!
 * The memory context of a query (knotd's per-worker mempool): every
 * allocation is its own malloc (so ASan sees its bounds), none is freed
 * before stub_mm_reset() frees them all.  Reply packets use it, as in knotd.
 */
knot_mm_t *stub_mm(void);

/*! Frees everything allocated through the query memory context. */
void stub_mm_reset(void);

/*! Knot's layer state before the BEGIN hooks (KNOT_STATE_PRODUCE). */
#define STUB_STATE_PRODUCE	((knotd_state_t)2)

/*!
 * Runs the BEGIN hook of the zone of \a query (exact match, as for an
 * UPDATE) as knotd does: a reply in the query memory context (1232 bytes
 * over UDP), the hook, then, after DONE or FAIL, the reply finished as
 * process_query.c does (started over after FAIL).  Aborts on a state the
 * hook must not return.
 *
 * \param query   Parsed query (stub_query_parse()).
 * \param remote  Source address (stub_addr()).
 * \param tcp     TCP, else UDP.
 * \param qdata   Out: the query data after the hook (rcode, sign).
 * \param params  Out: its transport parameters.
 * \param reply   Out (may be NULL): the finished reply, valid until
 *                stub_mm_reset() (NULL when no module zone matched).
 *
 * \return The hook's state; STUB_STATE_PRODUCE when no module zone matched.
 */
knotd_state_t stub_run_begin(knot_pkt_t *query, const struct sockaddr_storage *remote,
                             bool tcp, knotd_qdata_t *qdata, knotd_qdata_params_t *params,
                             knot_pkt_t **reply);

/*!
 * Runs the ANSWER hook of the zone Knot would pick for the query's name
 * (closest enclosing module zone), from \a state, as knotd's answer step
 * does: a reply of \a reply_max bytes in the query memory context, its
 * answer section begun, from STUB_ADDR_OTHER.
 * Aborts when the reply the hook left does not parse, or on TC over TCP.
 *
 * \param reply  Out (may be NULL): the reply, valid until stub_mm_reset()
 *               (NULL when no module zone matched).
 *
 * \return The hook's state; \a state when no module zone matched.
 */
knotd_in_state_t stub_run_answer(knot_pkt_t *query, knotd_in_state_t state, bool tcp,
                                 size_t reply_max, knotd_qdata_t *qdata,
                                 knotd_qdata_params_t *params, knot_pkt_t **reply);

/*! Forgets the log lines written so far. */
void stub_log_clear(void);

/*! A log line written since stub_log_clear() containing \a text, or NULL. */
const char *stub_log_find(const char *text);

/*!
 * Finishes a reply as process_query.c does after a BEGIN hook answered:
 * rcode, then TSIG (signed with the key the module set, or the unsigned TSIG
 * error).  Aborts if the module left a signing context Knot cannot use.
 */
void stub_finish_reply(knot_pkt_t *reply, knotd_qdata_t *qdata);
