/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What the unit tests of module/dns/ddns.c share: the fixture, messages
 *        described and built, assertions, the store read back
 *        (ddns_helpers.c).
 *
 * The tests are split by job: test_ddns_claims (which messages the module
 * takes), test_ddns_checks (the update RRs before the store), test_ddns_ops
 * (what the operations write) and test_ddns_prereq (prerequisites and the
 * order of checks).
 *
 * Every message is built with libknot as a client would send it, written to
 * wire and parsed again into a fresh packet, which is what the module gets
 * from knotd.  Messages are described compactly: one rr_desc_t per RR (its
 * section, owner, class, type, TTL and rdata as text).  Every test works on
 * a store in its own temporary directory, with explicit times.
 *
 * Expected rcodes and their order follow Knot's native DDNS
 * (src/knot/updates/ddns.c, Knot 3.2.6): prerequisites in message order, the
 * value-dependent ones after all others, then the update RRs in order; the
 * first failure decides.  Listing with now = 0 shows every value on disk,
 * which is how the tests see that a refused update wrote nothing.
 */

#pragma once

/* nftw(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/common.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/compat.h"
#include "module/dns/ddns.h"
#include "module/store/store.h"
#include "module/dns/value.h"

/*! Base time: 2023-11-14, past 2^32 ms. */
#define T0	1700000000000ULL

/*! Seconds to milliseconds. */
#define SEC	1000ULL

/*! Lifetime of values in the default policy (seconds). */
#define LIFETIME	60

/*! The zone of every test. */
#define ZONE	"acme.example."

/*! Owners in the zone (aliasing setup) and outside it. */
#define OWN	"_acme-challenge.www.acme.example."
#define OWN2	"other.acme.example."
#define OUT	"_acme-challenge.www.example."

/*! RFC 8555 values: one string of 43 base64url characters. */
#define V1	"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-k"
#define V2	"a4ayc_80_OGda4BO_1o_V0etpOqiLx1JwB5S3beHW0s"
#define V3	"1HNeOiZeFu7gP1lxi5tdAwGcB9i2xR-Q2jpmbuwTqzU"
#define V4	"TgdAhWK-24tgzgXB3s_jrRa3IjCWfeAfZAt-Rym0n84"

/*! Maximum RRs in a described message. */
#define MAX_RRS	16

/*! Fixture: a temporary directory, a store in it, the last message. */
typedef struct {
	char dir[64];
	char path[128];
	acme_store_t *store;

	/* Settings for build_msg() and run(). */
	unsigned parse_flags;         /*!< knot_pkt_parse() flags (knotd: 0). */
	acme_policy_t policy;
	bool strict;
	acme_zone_rrset_cb zone_rrset;
	knot_rrset_t *apex_soa;       /*!< Served by zone_cb(). */

	/* The last message and its processing (reason_owner points into it). */
	uint8_t *wire;
	knot_pkt_t *msg;
	acme_ddns_t ddns;
	bool libknot_refused;         /*!< libknot would not write or parse it. */
} fixture_t;

/*! One RR of a message. */
typedef struct {
	knot_section_t section; /*!< KNOT_ANSWER: prerequisite, KNOT_AUTHORITY: update. */
	const char *owner;
	uint16_t rclass;
	uint16_t type;
	uint32_t ttl;
	/*!
	 * Rdata as text, NULL for empty rdata.  TXT (and any type but A):
	 * character-strings separated by '|'.  A: a dotted IPv4 address.
	 */
	const char *rdata;
} rr_desc_t;

#define PRE(owner, cls, type, ttl, rdata) \
	{ KNOT_ANSWER, owner, KNOT_CLASS_##cls, KNOT_RRTYPE_##type, ttl, rdata }
#define UPD(owner, cls, type, ttl, rdata) \
	{ KNOT_AUTHORITY, owner, KNOT_CLASS_##cls, KNOT_RRTYPE_##type, ttl, rdata }

/*! Add a TXT value (TTL 120). */
#define ADD(owner, value)	UPD(owner, IN, TXT, 120, value)
/*! Delete one TXT value. */
#define DEL(owner, value)	UPD(owner, NONE, TXT, 0, value)
/*! Delete the TXT RRset. */
#define DEL_ALL(owner)		UPD(owner, ANY, TXT, 0, NULL)

#define RRS(...)	(const rr_desc_t[]){ __VA_ARGS__ }
#define NRRS(...)	(sizeof(RRS(__VA_ARGS__)) / sizeof(rr_desc_t))

/*! UPDATE of ZONE with the RRs given, at \a now; the rcode. */
#define UPDATE(f, now, ...)	run(f, now, RRS(__VA_ARGS__), NRRS(__VA_ARGS__))

/*! Claim decision for a message of zone section \a zone/\a qclass/\a qtype. */
#define CLAIMS(f, zone, qclass, qtype, ...) \
	acme_ddns_claims(build_msg(f, zone, qclass, qtype, RRS(__VA_ARGS__), NRRS(__VA_ARGS__)))

/*! Asserts an rcode, naming both on failure. */
#define assert_rcode(got, want) do { \
	uint16_t got_ = (got), want_ = (want); \
	if (got_ != want_) { \
		fail_msg("rcode %s (%u), expected %s (%u); reason: %s", \
		         rcode_name(got_), got_, rcode_name(want_), want_, \
		         f->ddns.reason ? f->ddns.reason : "(none)"); \
	} \
} while (0)

/*! What find_cb() looks for and found. */
typedef struct {
	const uint8_t *want;
	uint16_t want_len;
	bool found;
	acme_value_t value;   /*!< Copy of the match (pointers not valid). */
	size_t count;
} find_ctx_t;

#define HAS(f, owner, str, now)	find(f, owner, str, now, NULL)

/*! A test with a fresh store (T) or only its directory (T_DIR). */
#define T(name)     cmocka_unit_test_setup_teardown(name, setup_store, teardown)
#define T_DIR(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown)

void msg_free(fixture_t *f);
int setup_dir(void **state);
/*! setup_dir() and a store opened in it (no purger). */
int setup_store(void **state);
int teardown(void **state);

/*! Rdata described by \a str; returns its length. */
uint16_t rdata_from_desc(uint16_t type, const char *str, uint8_t *out, size_t size);
/*!
 * Builds an UPDATE (zone \a zone, zone section class and type as given) with
 * \a rrs, writes it to wire and parses the wire into f->msg.  Sections must
 * come in order (prerequisites first).  NULL when libknot refuses it.
 */
knot_pkt_t *build_msg(fixture_t *f, const char *zone, uint16_t qclass, uint16_t qtype,
                      const rr_desc_t *rrs, size_t count);
/*! Runs the last built message through acme_ddns_process(). */
uint16_t process(fixture_t *f, uint64_t now);
/*! Builds an UPDATE of ZONE holding \a rrs and processes it at \a now. */
uint16_t run(fixture_t *f, uint64_t now, const rr_desc_t *rrs, size_t count);

const char *rcode_name(uint16_t rcode);
/*! Asserts that the last processing was refused for \a owner, with a reason. */
void assert_reason(fixture_t *f, const char *owner);

int find_cb(const acme_value_t *value, void *arg);
/*! Live value \a str (TXT, '|'-separated strings) at \a owner at \a now. */
bool find(fixture_t *f, const char *owner, const char *str, uint64_t now,
          acme_value_t *out);
/*! Number of live values of \a owner at \a now. */
int count_at(fixture_t *f, const char *owner, uint64_t now);
/*! Number of values on disk, expired or not. */
size_t count_disk(fixture_t *f);

/*! Zone data the store does not hold: an SOA at the apex (use_zone_cb()). */
knot_rrset_t zone_cb(const knot_dname_t *owner, uint16_t type, void *ctx);
void use_zone_cb(fixture_t *f);
