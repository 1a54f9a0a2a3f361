/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the RFC 2136 UPDATE semantics (module/dns/ddns.c).
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

/* Fixture: a temporary directory, a store in it, the last message. */

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

static void msg_free(fixture_t *f)
{
	knot_pkt_free(f->msg);
	f->msg = NULL;
	free(f->wire);
	f->wire = NULL;
}

static int setup_dir(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return -1;
	}
	strcpy(f->dir, "/tmp/acme-test-ddns-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	f->policy = (acme_policy_t){ .lifetime = LIFETIME, .max_records = 0 };
	f->strict = true;
	*state = f;
	return 0;
}

static int setup_store(void **state)
{
	if (setup_dir(state) != 0) {
		return -1;
	}
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	return acme_lmdb_open(&f->store, f->path, &opts) == KNOT_EOK ? 0 : -1;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	msg_free(f);
	knot_rrset_free(f->apex_soa, NULL);
	if (f->store != NULL) {
		acme_store_close(f->store);
	}
	int ret = test_rmtree(f->dir);
	free(f);
	return ret == 0 ? 0 : -1;
}

/* Names. */

/* Building messages. */

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

/*! Rdata described by \a str; returns its length. */
static uint16_t rdata_from_desc(uint16_t type, const char *str, uint8_t *out, size_t size)
{
	if (str == NULL) {
		return 0;
	}
	if (type == KNOT_RRTYPE_A) {
		assert_true(size >= 4);
		assert_int_equal(inet_pton(AF_INET, str, out), 1);
		return 4;
	}
	size_t len = 0;
	for (;;) {
		const char *end = strchr(str, '|');
		size_t slen = end ? (size_t)(end - str) : strlen(str);
		assert_true(slen <= 255);
		assert_true(len + 1 + slen <= size);
		out[len++] = slen;
		memcpy(out + len, str, slen);
		len += slen;
		if (end == NULL) {
			return len;
		}
		str = end + 1;
	}
}

/*!
 * Builds an UPDATE (zone \a zone, zone section class and type as given) with
 * \a rrs, writes it to wire and parses the wire into f->msg.  Sections must
 * come in order (prerequisites first).
 */
static knot_pkt_t *build_msg(fixture_t *f, const char *zone, uint16_t qclass, uint16_t qtype,
                             const rr_desc_t *rrs, size_t count)
{
	assert_true(count <= MAX_RRS);
	msg_free(f);

	knot_pkt_t *out = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	assert_non_null(out);
	knot_wire_set_id(out->wire, 0xacde);
	knot_wire_set_opcode(out->wire, KNOT_OPCODE_UPDATE);
	if (zone != NULL) {
		assert_int_equal(knot_pkt_put_question(out, dn(zone), qclass, qtype), KNOT_EOK);
	}

	knot_rrset_t *sets[MAX_RRS] = { NULL };
	for (size_t i = 0; i < count; i++) {
		const rr_desc_t *d = &rrs[i];
		assert_int_equal(knot_pkt_begin(out, d->section), KNOT_EOK);
		sets[i] = knot_rrset_new(dn(d->owner), d->type, d->rclass, d->ttl, NULL);
		assert_non_null(sets[i]);
		uint8_t rdata[1024];
		uint16_t len = rdata_from_desc(d->type, d->rdata, rdata, sizeof(rdata));
		assert_int_equal(knot_rrset_add_rdata(sets[i], rdata, len, NULL), KNOT_EOK);
		int ret = knot_pkt_put(out, KNOT_COMPR_HINT_NONE, sets[i], 0);
		if (ret == KNOT_EMALF && ACME_KNOT_STRICT_RDATA) {
			/* Never reaches the module: Knot answers FORMERR itself. */
			for (size_t j = 0; j <= i; j++) {
				knot_rrset_free(sets[j], NULL);
			}
			knot_pkt_free(out);
			f->libknot_refused = true;
			return NULL;
		}
		assert_int_equal(ret, KNOT_EOK);
	}

	f->wire = malloc(out->size);
	assert_non_null(f->wire);
	memcpy(f->wire, out->wire, out->size);
	size_t size = out->size;
	knot_pkt_free(out);
	for (size_t i = 0; i < count; i++) {
		knot_rrset_free(sets[i], NULL);
	}

	f->msg = knot_pkt_new(f->wire, size, NULL);
	assert_non_null(f->msg);
	int ret = knot_pkt_parse(f->msg, f->parse_flags);
	if (ret == KNOT_EMALF && ACME_KNOT_STRICT_RDATA) {
		msg_free(f);
		f->libknot_refused = true;
		return NULL;
	}
	assert_int_equal(ret, KNOT_EOK);
	assert_int_equal(knot_wire_get_opcode(f->msg->wire), KNOT_OPCODE_UPDATE);
	return f->msg;
}

/*! Runs the last built message through acme_ddns_process(). */
static uint16_t process(fixture_t *f, uint64_t now)
{
	f->ddns = (acme_ddns_t){
		.query = f->msg,
		.zone = knot_pkt_qname(f->msg),
		.strict = f->strict,
		.zone_rrset = f->zone_rrset,
		.zone_ctx = f,
	};
	/* Garbage that process() must reset. */
	f->ddns.reason = "stale";
	f->ddns.result.added = 77;
	return acme_ddns_process(&f->ddns, f->store, &f->policy, now);
}

/*! Builds an UPDATE of ZONE holding \a rrs and processes it at \a now. */
static uint16_t run(fixture_t *f, uint64_t now, const rr_desc_t *rrs, size_t count)
{
	f->libknot_refused = false;
	if (build_msg(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, rrs, count) == NULL) {
		return KNOT_RCODE_FORMERR;  /* knotd's answer to what it cannot parse. */
	}
	return process(f, now);
}

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

static const char *rcode_name(uint16_t rcode)
{
	const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, rcode);
	return item != NULL ? item->name : "?";
}

/*! Asserts that the last processing was refused for \a owner, with a reason. */
static void assert_reason(fixture_t *f, const char *owner)
{
	if (f->libknot_refused) {
		return;  /* Refused by libknot: the module gave no reason. */
	}
	assert_non_null(f->ddns.reason);
	assert_string_not_equal(f->ddns.reason, "stale");
	assert_true(strlen(f->ddns.reason) > 0);
	if (owner != NULL) {
		assert_non_null(f->ddns.reason_owner);
		assert_true(knot_dname_is_case_equal(f->ddns.reason_owner, dn(owner)));
	}
}

/* Reading the store. */

typedef struct {
	const uint8_t *want;
	uint16_t want_len;
	bool found;
	acme_value_t value;   /*!< Copy of the match (pointers not valid). */
	size_t count;
} find_ctx_t;

static int find_cb(const acme_value_t *value, void *arg)
{
	find_ctx_t *c = arg;
	c->count++;
	if (c->want != NULL && value->rdata_len == c->want_len &&
	    memcmp(value->rdata, c->want, c->want_len) == 0) {
		c->found = true;
		c->value = *value;
		c->value.owner = NULL;
		c->value.rdata = NULL;
	}
	return KNOT_EOK;
}

/*! Live value \a str (TXT, '|'-separated strings) at \a owner at \a now. */
static bool find(fixture_t *f, const char *owner, const char *str, uint64_t now,
                 acme_value_t *out)
{
	uint8_t rdata[1024];
	uint16_t len = rdata_from_desc(KNOT_RRTYPE_TXT, str, rdata, sizeof(rdata));
	find_ctx_t c = { .want = rdata, .want_len = len };
	int ret = store_read(f->store, dn(owner), now, find_cb, &c, NULL);
	assert_true(ret >= 0);
	assert_int_equal(ret, c.count);
	if (out != NULL) {
		*out = c.value;
	}
	return c.found;
}

#define HAS(f, owner, str, now)	find(f, owner, str, now, NULL)

/*! Number of live values of \a owner at \a now. */
static int count_at(fixture_t *f, const char *owner, uint64_t now)
{
	int ret = store_read(f->store, dn(owner), now, NULL, NULL, NULL);
	assert_true(ret >= 0);
	return ret;
}

/*! Number of values on disk, expired or not. */
static size_t count_disk(fixture_t *f)
{
	find_ctx_t c = { .want = NULL };
	int ret = acme_store_list(f->store, NULL, 0, find_cb, &c);
	assert_true(ret >= 0);
	return c.count;
}

/* Zone data the store does not hold: an SOA at the apex. */

static knot_rrset_t zone_cb(const knot_dname_t *owner, uint16_t type, void *ctx)
{
	fixture_t *f = ctx;
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	if (f->apex_soa != NULL && knot_dname_is_case_equal(owner, f->apex_soa->owner) &&
	    (type == KNOT_RRTYPE_SOA || type == KNOT_RRTYPE_ANY)) {
		rr = *f->apex_soa;
	}
	return rr;
}

static void use_zone_cb(fixture_t *f)
{
	static const uint8_t soa[] =
		"\x02ns\x04""acme\x07""example\x00"
		"\x0ahostmaster\x04""acme\x07""example\x00"
		"\x78\xc4\x6a\x95" "\x00\x00\x0e\x10" "\x00\x00\x03\x84"
		"\x00\x09\x3a\x80" "\x00\x00\x01\x2c";
	f->apex_soa = knot_rrset_new(dn(ZONE), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 3600, NULL);
	assert_non_null(f->apex_soa);
	assert_int_equal(knot_rrset_add_rdata(f->apex_soa, soa, sizeof(soa) - 1, NULL),
	                 KNOT_EOK);
	f->zone_rrset = zone_cb;
}

/* Claiming. */

static void claims_txt_only(void **state)
{
	fixture_t *f = *state;
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, ADD(OWN, V1)));
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, DEL(OWN, V1)));
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, DEL_ALL(OWN)));
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                   DEL_ALL(OWN), ADD(OWN, V1), ADD(OWN2, V2), DEL(OWN, V3)));
	/* Prerequisites of any type do not matter. */
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                   PRE(ZONE, ANY, ANY, 0, NULL), PRE(ZONE, ANY, SOA, 0, NULL),
	                   ADD(OWN, V1)));
	/* Even a TXT of an unknown class or out of the zone: refused later. */
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, UPD(OWN, CH, TXT, 0, V1)));
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, ADD(OUT, V1)));
}

static void claims_non_txt(void **state)
{
	fixture_t *f = *state;
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    UPD(OWN, IN, A, 300, "192.0.2.1")));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    ADD(OWN, V1), UPD(OWN, IN, A, 300, "192.0.2.1")));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    UPD(OWN, IN, A, 300, "192.0.2.1"), ADD(OWN, V1)));
	/* Delete all RRsets of a name. */
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    ADD(OWN, V1), UPD(OWN, ANY, ANY, 0, NULL)));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    UPD(OWN, ANY, ANY, 0, NULL)));
	/* Delete another RRset. */
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    DEL_ALL(OWN), UPD(OWN, ANY, A, 0, NULL)));
}

static void claims_empty_update(void **state)
{
	fixture_t *f = *state;
	/* Prerequisites only, all about TXT: a question about the store. */
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                   PRE(OWN, ANY, TXT, 0, NULL)));
	/* Any other prerequisite may be about zone data: Knot's. */
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    PRE(OWN, ANY, TXT, 0, NULL), PRE(OWN, ANY, ANY, 0, NULL)));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                    PRE(OWN, NONE, A, 0, NULL)));
	/* An empty message. */
	assert_false(acme_ddns_claims(build_msg(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	                                        NULL, 0)));
}

static void claims_zone_section(void **state)
{
	fixture_t *f = *state;
	/* Zone section type not SOA. */
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_TXT, ADD(OWN, V1)));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_A, ADD(OWN, V1)));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_ANY, ADD(OWN, V1)));
	/* Class not IN. */
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_CH, KNOT_RRTYPE_SOA, ADD(OWN, V1)));
	assert_false(CLAIMS(f, ZONE, KNOT_CLASS_ANY, KNOT_RRTYPE_SOA, ADD(OWN, V1)));
	/* No zone section at all. */
	assert_false(CLAIMS(f, NULL, 0, 0, ADD(OWN, V1)));
	assert_false(acme_ddns_claims(NULL));
	/* The control case, to show the builder makes claimable messages. */
	assert_true(CLAIMS(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, ADD(OWN, V1)));
}

/* Operations. */

static void add_stores(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_null(f->ddns.reason);
	assert_int_equal(f->ddns.result.added, 1);
	assert_int_equal(f->ddns.result.refreshed, 0);
	assert_int_equal(f->ddns.result.deleted, 0);
	assert_int_equal(f->ddns.result.dropped, 0);

	acme_value_t v;
	assert_true(find(f, OWN, V1, T0, &v));
	assert_int_equal(v.ttl, 120);
	assert_int_equal(v.added, T0);
	assert_int_equal(v.expires, T0 + LIFETIME * SEC);
	assert_int_equal(count_at(f, OWN, T0), 1);
	assert_int_equal(count_disk(f), 1);

	/* Live until now + lifetime, not after. */
	assert_true(HAS(f, OWN, V1, T0 + LIFETIME * SEC - 1));
	assert_false(HAS(f, OWN, V1, T0 + LIFETIME * SEC));

	/* TTL as given in the update; several values and owners in one update. */
	assert_rcode(UPDATE(f, T0 + 5 * SEC,
	                    UPD(OWN, IN, TXT, 7, V2), UPD(ZONE, IN, TXT, 86400, V3)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.added, 2);
	assert_true(find(f, OWN, V2, T0 + 5 * SEC, &v));
	assert_int_equal(v.ttl, 7);
	assert_int_equal(v.expires, T0 + 5 * SEC + LIFETIME * SEC);
	/* At the apex (delegation setup). */
	assert_true(find(f, ZONE, V3, T0 + 5 * SEC, &v));
	assert_int_equal(v.ttl, 86400);
	assert_int_equal(count_at(f, OWN, T0 + 5 * SEC), 2);

	/* Another lifetime in the policy. */
	f->policy.lifetime = 3600;
	assert_rcode(UPDATE(f, T0, ADD(OWN2, V4)), KNOT_RCODE_NOERROR);
	assert_true(find(f, OWN2, V4, T0, &v));
	assert_int_equal(v.expires, T0 + 3600 * SEC);
}

static void add_refresh(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.added, 1);

	assert_rcode(UPDATE(f, T0 + 30 * SEC, UPD(OWN, IN, TXT, 300, V1)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.added, 0);
	assert_int_equal(f->ddns.result.refreshed, 1);

	acme_value_t v;
	assert_true(find(f, OWN, V1, T0 + 30 * SEC, &v));
	assert_int_equal(v.ttl, 300);
	assert_int_equal(v.added, T0 + 30 * SEC);
	assert_int_equal(v.expires, T0 + 30 * SEC + LIFETIME * SEC);
	assert_true(HAS(f, OWN, V1, T0 + LIFETIME * SEC + 10 * SEC));
	assert_int_equal(count_disk(f), 1);

	/* Re-adding an expired value is an add, not a refresh. */
	uint64_t later = T0 + 1000 * SEC;
	assert_rcode(UPDATE(f, later, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.added, 1);
	assert_int_equal(f->ddns.result.refreshed, 0);
	assert_int_equal(count_disk(f), 1);
}

static void delete_value(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1), ADD(OWN, V2), ADD(OWN2, V1)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.added, 3);

	assert_rcode(UPDATE(f, T0 + SEC, DEL(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_false(HAS(f, OWN, V1, T0 + SEC));
	assert_true(HAS(f, OWN, V2, T0 + SEC));
	assert_true(HAS(f, OWN2, V1, T0 + SEC));
	assert_int_equal(count_disk(f), 2);

	/* Deleting what is not there succeeds and changes nothing. */
	assert_rcode(UPDATE(f, T0 + SEC, DEL(OWN, V1), DEL(OWN, V3), DEL("none.acme.example", V1)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 0);
	assert_int_equal(count_disk(f), 2);
	/* Empty rdata deletes no value (Knot: not a member of the RRset). */
	assert_rcode(UPDATE(f, T0 + SEC, DEL(OWN, NULL)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 0);
	assert_int_equal(count_disk(f), 2);

	/* Add and delete in one update, in order. */
	assert_rcode(UPDATE(f, T0 + 2 * SEC, ADD(OWN, V3), DEL(OWN, V3), DEL(OWN, V2), ADD(OWN, V4)),
	             KNOT_RCODE_NOERROR);
	assert_false(HAS(f, OWN, V3, T0 + 2 * SEC));
	assert_false(HAS(f, OWN, V2, T0 + 2 * SEC));
	assert_true(HAS(f, OWN, V4, T0 + 2 * SEC));
	assert_int_equal(count_at(f, OWN, T0 + 2 * SEC), 1);
}

static void delete_rrset(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1), ADD(OWN, V2), ADD(OWN2, V3),
	                    ADD("sub." OWN, V4)),
	             KNOT_RCODE_NOERROR);

	assert_rcode(UPDATE(f, T0 + SEC, DEL_ALL(OWN)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 2);
	assert_int_equal(count_at(f, OWN, T0 + SEC), 0);
	/* Other owners, also the one below, are untouched. */
	assert_true(HAS(f, OWN2, V3, T0 + SEC));
	assert_true(HAS(f, "sub." OWN, V4, T0 + SEC));
	assert_int_equal(count_disk(f), 2);

	/* Deleting an absent RRset succeeds. */
	assert_rcode(UPDATE(f, T0 + SEC, DEL_ALL(OWN)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 0);

	/* Delete then add: the usual "replace" of ACME clients. */
	assert_rcode(UPDATE(f, T0 + 2 * SEC, DEL_ALL(OWN2), ADD(OWN2, V1)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_int_equal(f->ddns.result.added, 1);
	assert_int_equal(count_at(f, OWN2, T0 + 2 * SEC), 1);
	assert_true(HAS(f, OWN2, V1, T0 + 2 * SEC));
}

static void owners_case_insensitive(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD("_ACME-Challenge.WWW.acme.example.", V1)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V1, T0));
	assert_true(HAS(f, "_acme-CHALLENGE.www.acme.example.", V1, T0));

	/* The same value in another spelling is the same value. */
	assert_rcode(UPDATE(f, T0 + SEC, ADD("_acme-challenge.Www.acme.example.", V1)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.refreshed, 1);
	assert_int_equal(f->ddns.result.added, 0);
	assert_int_equal(count_disk(f), 1);

	/* Prerequisites too. */
	assert_rcode(UPDATE(f, T0 + SEC, PRE("_ACME-CHALLENGE.www.acme.example.", ANY, TXT, 0, NULL),
	                    PRE("_Acme-Challenge.www.acme.example.", IN, TXT, 0, V1),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0 + SEC, PRE("_ACME-CHALLENGE.WWW.acme.example.", NONE, ANY, 0, NULL),
	                    ADD(OWN2, V3)),
	             KNOT_RCODE_YXDOMAIN);

	/* Deletes. */
	assert_rcode(UPDATE(f, T0 + SEC, DEL("_acme-challenge.WWW.acme.example.", V1)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_rcode(UPDATE(f, T0 + SEC, DEL_ALL("OTHER.acme.example.")), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_int_equal(count_disk(f), 0);

	/* The zone section's case does not matter (knotd matches it lower-cased). */
	build_msg(f, "ACME.Example.", KNOT_CLASS_IN, KNOT_RRTYPE_SOA, RRS(ADD(OWN, V4)), 1);
	assert_rcode(process(f, T0 + SEC), KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V4, T0 + SEC));

	/* Nor that of the zone's labels in an owner (as with native Knot DDNS). */
	assert_rcode(UPDATE(f, T0 + SEC, ADD("X.ACME.Example.", V1)), KNOT_RCODE_NOERROR);
	assert_true(HAS(f, "x.acme.example.", V1, T0 + SEC));
}

/*!
 * knotd parses queries canonically (owners lower-cased by knot_pkt_parse()),
 * which hides how ddns.c and the store compare names.  Parsed without
 * canonicalization, owners keep the case they were sent in.
 */
static void owners_case_insensitive_raw(void **state)
{
	fixture_t *f = *state;
	f->parse_flags = KNOT_PF_NOCANON;
	build_msg(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	          RRS(ADD("_ACME-Challenge.WWW.acme.example.", V1)), 1);
	assert_memory_equal(knot_pkt_rr(knot_pkt_section(f->msg, KNOT_AUTHORITY), 0)->owner,
	                    "\x0f_ACME-Challenge", 16);
	assert_rcode(process(f, T0), KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V1, T0));

	assert_rcode(UPDATE(f, T0 + SEC, ADD("_acme-challenge.Www.acme.example.", V1)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.refreshed, 1);
	assert_rcode(UPDATE(f, T0 + SEC, PRE("_ACME-CHALLENGE.www.acme.example.", ANY, TXT, 0, NULL),
	                    PRE("_Acme-Challenge.www.acme.example.", IN, TXT, 0, V1),
	                    PRE("_ACME-CHALLENGE.WWW.acme.example.", ANY, ANY, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0 + SEC, PRE("_ACME-CHALLENGE.WWW.acme.example.", NONE, TXT, 0, NULL),
	                    ADD(OWN2, V3)),
	             KNOT_RCODE_YXRRSET);
	assert_rcode(UPDATE(f, T0 + SEC, DEL("_acme-challenge.WWW.acme.example.", V1),
	                    DEL_ALL("OTHER.acme.example.")),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 2);
	assert_int_equal(count_disk(f), 0);

	/*
	 * Not covered: the zone's own labels in another case ("x.ACME.example.")
	 * give NOTZONE here, as knot_dname_in_bailiwick() is case-sensitive (in
	 * Knot's ddns.c too); knotd never hands over such an owner.
	 */
}

/* Out of the zone. */

static void notzone(void **state)
{
	fixture_t *f = *state;
	static const char *outside[] = {
		OUT,
		"example.",
		".",
		"xacme.example.",
		"acme.example.com.",
		"www.acme.example.net.",
	};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_rcode(UPDATE(f, T0, ADD(outside[i], V1)), KNOT_RCODE_NOTZONE);
		assert_reason(f, outside[i]);
		assert_int_equal(count_disk(f), 0);
	}
}

static void notzone_all_or_nothing(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	/* Valid operations before and after the out-of-zone RR are not applied. */
	assert_rcode(UPDATE(f, T0 + SEC, ADD(OWN2, V2), DEL_ALL(OWN), ADD(OUT, V3), ADD(ZONE, V4)),
	             KNOT_RCODE_NOTZONE);
	assert_reason(f, OUT);
	assert_int_equal(count_disk(f), 1);
	assert_true(HAS(f, OWN, V1, T0 + SEC));
	assert_false(HAS(f, OWN2, V2, T0 + SEC));
	assert_int_equal(f->ddns.result.added, 0);
	assert_int_equal(f->ddns.result.deleted, 0);

	/* Out-of-zone deletes as well. */
	assert_rcode(UPDATE(f, T0 + SEC, DEL(OWN, V1), DEL_ALL(OUT)), KNOT_RCODE_NOTZONE);
	assert_rcode(UPDATE(f, T0 + SEC, DEL(OWN, V1), DEL(OUT, V1)), KNOT_RCODE_NOTZONE);
	assert_true(HAS(f, OWN, V1, T0 + SEC));

	/* Out-of-zone prerequisite. */
	assert_rcode(UPDATE(f, T0 + SEC, PRE(OUT, NONE, TXT, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NOTZONE);
	assert_reason(f, OUT);
	assert_int_equal(count_disk(f), 1);
}

/* Malformed updates. */

static void formerr_delete_value_ttl(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	assert_rcode(UPDATE(f, T0, UPD(OWN, NONE, TXT, 60, V1)), KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_true(HAS(f, OWN, V1, T0));

	/* With a valid add before it: nothing applied. */
	assert_rcode(UPDATE(f, T0, ADD(OWN2, V2), UPD(OWN, NONE, TXT, 1, V1)), KNOT_RCODE_FORMERR);
	assert_int_equal(count_disk(f), 1);
}

static void formerr_delete_rrset_rdata(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	assert_rcode(UPDATE(f, T0, UPD(OWN, ANY, TXT, 0, V1)), KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_true(HAS(f, OWN, V1, T0));

	assert_rcode(UPDATE(f, T0, ADD(OWN2, V2), UPD(OWN, ANY, TXT, 0, "")), KNOT_RCODE_FORMERR);
	assert_int_equal(count_disk(f), 1);
}

static void formerr_prereq_ttl(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	/* Each kind of prerequisite, otherwise satisfied. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 1, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_rcode(UPDATE(f, T0, PRE(OWN2, NONE, TXT, 60, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, ANY, 60, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_rcode(UPDATE(f, T0, PRE(OWN2, NONE, ANY, 60, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 120, V1), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_int_equal(count_disk(f), 1);

	/* The control case: TTL 0 passes. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), ADD(OWN2, V2)), KNOT_RCODE_NOERROR);
	assert_int_equal(count_disk(f), 2);
}

static void formerr_prereq_rdata(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 0, V1), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_rcode(UPDATE(f, T0, PRE(OWN2, NONE, TXT, 0, V1), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_reason(f, OWN2);
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, ANY, 0, "x"), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_rcode(UPDATE(f, T0, PRE(OWN2, NONE, ANY, 0, "x"), ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_int_equal(count_disk(f), 1);
}

static void formerr_unknown_class(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	/* Update section. */
	assert_rcode(UPDATE(f, T0, ADD(OWN2, V2), UPD(OWN2, CH, TXT, 0, V3)), KNOT_RCODE_FORMERR);
	assert_reason(f, OWN2);
	assert_rcode(UPDATE(f, T0, UPD(OWN, CH, TXT, 120, V1), DEL_ALL(OWN)), KNOT_RCODE_FORMERR);
	assert_rcode(UPDATE(f, T0, UPD(OWN, CH, TXT, 0, NULL), DEL_ALL(OWN)), KNOT_RCODE_FORMERR);
	assert_int_equal(count_disk(f), 1);
	assert_true(HAS(f, OWN, V1, T0));

	/* Prerequisite section. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, CH, TXT, 0, V1), ADD(OWN2, V2)), KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_rcode(UPDATE(f, T0, PRE(OWN, CH, TXT, 0, NULL), ADD(OWN2, V2)), KNOT_RCODE_FORMERR);
	assert_int_equal(count_disk(f), 1);
}

/* Prerequisites. */

static void prereq_yxrrset(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN);
	assert_int_equal(count_disk(f), 0);

	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NOERROR);
	assert_null(f->ddns.reason);
	assert_true(HAS(f, OWN2, V2, T0));

	/* A name with values below it but none itself has no TXT RRset. */
	assert_rcode(UPDATE(f, T0, PRE("www.acme.example.", ANY, TXT, 0, NULL), ADD(OWN2, V3)),
	             KNOT_RCODE_NXRRSET);
	assert_false(HAS(f, OWN2, V3, T0));
}

static void prereq_nxrrset(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, TXT, 0, NULL), ADD(OWN, V1)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V1, T0));

	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, TXT, 0, NULL), ADD(OWN, V2)),
	             KNOT_RCODE_YXRRSET);
	assert_reason(f, OWN);
	assert_false(HAS(f, OWN, V2, T0));
	assert_int_equal(count_disk(f), 1);

	/* Another type at a name with TXT: there is none. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, A, 0, NULL), ADD(OWN, V2)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V2, T0));
}

static void prereq_yxdomain(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, ANY, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NXDOMAIN);
	assert_reason(f, OWN);
	assert_int_equal(count_disk(f), 0);

	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, ANY, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN2, V2, T0));

	/* An empty non-terminal is not in use (as a node without RRsets in Knot). */
	assert_rcode(UPDATE(f, T0, PRE("www.acme.example.", ANY, ANY, 0, NULL), ADD(OWN2, V3)),
	             KNOT_RCODE_NXDOMAIN);
	assert_false(HAS(f, OWN2, V3, T0));
}

static void prereq_nxdomain(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, ANY, 0, NULL), ADD(OWN, V1)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V1, T0));

	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, ANY, 0, NULL), ADD(OWN, V2)),
	             KNOT_RCODE_YXDOMAIN);
	assert_reason(f, OWN);
	assert_false(HAS(f, OWN, V2, T0));
	assert_int_equal(count_disk(f), 1);

	/* The parent of a name in use is not in use itself. */
	assert_rcode(UPDATE(f, T0, PRE("www.acme.example.", NONE, ANY, 0, NULL), ADD(OWN, V2)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V2, T0));
}

static void prereq_values(void **state)
{
	fixture_t *f = *state;
	/* Absent RRset. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), ADD(OWN2, V4)),
	             KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN);

	assert_rcode(UPDATE(f, T0, ADD(OWN, V1), ADD(OWN, V2)), KNOT_RCODE_NOERROR);

	/* Subset. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), ADD(OWN2, V4)),
	             KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN);
	/* Superset. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), PRE(OWN, IN, TXT, 0, V2),
	                    PRE(OWN, IN, TXT, 0, V3), ADD(OWN2, V4)),
	             KNOT_RCODE_NXRRSET);
	/* Same size, other values. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), PRE(OWN, IN, TXT, 0, V3),
	                    ADD(OWN2, V4)),
	             KNOT_RCODE_NXRRSET);
	/* Same strings, split differently: other rdata. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, "X-zrZv_Ibzj|ZUnhsbWlsecLbwjndTpG0ZynXOif7V-k"),
	                    PRE(OWN, IN, TXT, 0, V2), ADD(OWN2, V4)),
	             KNOT_RCODE_NXRRSET);
	/* TXT data is compared exactly, not case-insensitively. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, "x-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-k"),
	                    PRE(OWN, IN, TXT, 0, V2), ADD(OWN2, V4)),
	             KNOT_RCODE_NXRRSET);
	assert_int_equal(count_disk(f), 2);

	/* Equal, in any order, duplicates merged. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), PRE(OWN, IN, TXT, 0, V2),
	                    ADD(OWN2, V4)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN2, V4, T0));
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V2), PRE(OWN, IN, TXT, 0, V1),
	                    PRE(OWN, IN, TXT, 0, V2), DEL(OWN2, V4)),
	             KNOT_RCODE_NOERROR);
	assert_false(HAS(f, OWN2, V4, T0));

	/* Two RRsets, interleaved: each must match. */
	assert_rcode(UPDATE(f, T0, ADD(OWN2, V3)), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), PRE(OWN2, IN, TXT, 0, V3),
	                    PRE(OWN, IN, TXT, 0, V2), ADD(ZONE, V4)),
	             KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V1), PRE(OWN2, IN, TXT, 0, V1),
	                    PRE(OWN, IN, TXT, 0, V2), DEL_ALL(ZONE)),
	             KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN2);
	assert_true(HAS(f, ZONE, V4, T0));
}

static void prereq_expired_absent(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	uint64_t live = T0 + LIFETIME * SEC - 1;
	uint64_t gone = T0 + LIFETIME * SEC;

	/* Still live. */
	assert_rcode(UPDATE(f, live, PRE(OWN, ANY, TXT, 0, NULL)), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, live, PRE(OWN, NONE, TXT, 0, NULL)), KNOT_RCODE_YXRRSET);
	assert_rcode(UPDATE(f, live, PRE(OWN, ANY, ANY, 0, NULL)), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, live, PRE(OWN, NONE, ANY, 0, NULL)), KNOT_RCODE_YXDOMAIN);
	assert_rcode(UPDATE(f, live, PRE(OWN, IN, TXT, 0, V1)), KNOT_RCODE_NOERROR);

	/* Expired: absent, though still on disk. */
	assert_rcode(UPDATE(f, gone, PRE(OWN, ANY, TXT, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NXRRSET);
	assert_rcode(UPDATE(f, gone, PRE(OWN, ANY, ANY, 0, NULL), ADD(OWN2, V2)),
	             KNOT_RCODE_NXDOMAIN);
	assert_rcode(UPDATE(f, gone, PRE(OWN, IN, TXT, 0, V1), ADD(OWN2, V2)),
	             KNOT_RCODE_NXRRSET);
	assert_int_equal(count_disk(f), 1);
	assert_rcode(UPDATE(f, gone, PRE(OWN, NONE, TXT, 0, NULL), PRE(OWN, NONE, ANY, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN2, V2, gone));

	/* An expired value among live ones does not count for equality. */
	assert_rcode(UPDATE(f, T0 + 100 * SEC, ADD(OWN, V3)), KNOT_RCODE_NOERROR);
	f->policy.lifetime = 10;
	assert_rcode(UPDATE(f, T0 + 100 * SEC, ADD(OWN, V4)), KNOT_RCODE_NOERROR);
	uint64_t t = T0 + 115 * SEC; /* V3 live, V4 expired. */
	assert_rcode(UPDATE(f, t, PRE(OWN, IN, TXT, 0, V3), PRE(OWN, IN, TXT, 0, V4)),
	             KNOT_RCODE_NXRRSET);
	assert_rcode(UPDATE(f, t, PRE(OWN, IN, TXT, 0, V3)), KNOT_RCODE_NOERROR);
}

static void prereq_several(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	/* All of them must hold. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 0, NULL), PRE(OWN2, NONE, ANY, 0, NULL),
	                    PRE(OWN, ANY, ANY, 0, NULL), PRE(OWN2, NONE, TXT, 0, NULL),
	                    PRE(OWN, IN, TXT, 0, V1), ADD(OWN2, V2)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN2, V2, T0));

	/* Only prerequisites, no update RR: claimed, checked, nothing written. */
	build_msg(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA,
	          RRS(PRE(OWN, ANY, TXT, 0, NULL)), 1);
	assert_true(acme_ddns_claims(f->msg));
	assert_rcode(process(f, T0), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0, PRE("absent.acme.example.", ANY, TXT, 0, NULL)),
	             KNOT_RCODE_NXRRSET);
	assert_int_equal(count_disk(f), 2);
}

/* Order of checks. */

static void order_first_prereq_decides(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	assert_rcode(UPDATE(f, T0, PRE(OWN2, ANY, TXT, 0, NULL), PRE(OWN, ANY, TXT, 60, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN2);
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 60, NULL), PRE(OWN2, ANY, TXT, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, TXT, 0, NULL), PRE(OUT, ANY, TXT, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_YXRRSET);
	assert_rcode(UPDATE(f, T0, PRE(OUT, ANY, TXT, 0, NULL), PRE(OWN, NONE, TXT, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_NOTZONE);
	assert_rcode(UPDATE(f, T0, PRE(OWN2, ANY, ANY, 0, NULL), PRE(OWN, NONE, ANY, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_NXDOMAIN);
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, ANY, 0, NULL), PRE(OWN2, ANY, ANY, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_YXDOMAIN);
	assert_int_equal(count_disk(f), 1);
}

static void order_values_checked_last(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	/*
	 * Knot collects value-dependent prerequisites and compares them after
	 * every other prerequisite: a later malformed or failing one wins.
	 */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V2), PRE(OWN, ANY, TXT, 60, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_FORMERR);
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V2), PRE(OWN, NONE, TXT, 0, NULL),
	                    ADD(OWN2, V2)),
	             KNOT_RCODE_YXRRSET);
	/* ... and before the update section. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, V2), ADD(OUT, V2)), KNOT_RCODE_NXRRSET);
	assert_int_equal(count_disk(f), 1);
}

static void order_prereq_before_update(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);

	assert_rcode(UPDATE(f, T0, PRE(OWN2, ANY, TXT, 0, NULL), ADD(OUT, V2)),
	             KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN2);
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, TXT, 0, NULL), UPD(OWN, NONE, TXT, 60, V1)),
	             KNOT_RCODE_YXRRSET);
	assert_rcode(UPDATE(f, T0, PRE(OWN, NONE, ANY, 0, NULL), UPD(OWN, CH, TXT, 0, V1)),
	             KNOT_RCODE_YXDOMAIN);
	/* Before the module's own value policy too. */
	assert_rcode(UPDATE(f, T0, PRE(OWN2, ANY, ANY, 0, NULL), ADD(OWN2, "not strict")),
	             KNOT_RCODE_NXDOMAIN);
	assert_int_equal(count_disk(f), 1);

	/* Satisfied prerequisites: the update section decides. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, ANY, TXT, 0, NULL), ADD(OUT, V2)),
	             KNOT_RCODE_NOTZONE);
	assert_reason(f, OUT);
	assert_int_equal(count_disk(f), 1);
}

static void order_first_update_rr_decides(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, UPD(OWN, CH, TXT, 0, V1), ADD(OUT, V1)), KNOT_RCODE_FORMERR);
	assert_reason(f, OWN);
	assert_rcode(UPDATE(f, T0, ADD(OUT, V1), UPD(OWN, CH, TXT, 0, V1)), KNOT_RCODE_NOTZONE);
	assert_reason(f, OUT);
	assert_rcode(UPDATE(f, T0, ADD(OWN, "not strict"), ADD(OUT, V1)), KNOT_RCODE_REFUSED);
	assert_reason(f, OWN);
	assert_rcode(UPDATE(f, T0, ADD(OUT, V1), ADD(OWN, "not strict")), KNOT_RCODE_NOTZONE);
	assert_rcode(UPDATE(f, T0, ADD(OUT, "not strict")), KNOT_RCODE_NOTZONE);
	assert_rcode(UPDATE(f, T0, UPD(OWN2, NONE, TXT, 5, V1), ADD(OWN, "not strict")),
	             KNOT_RCODE_FORMERR);
	assert_reason(f, OWN2);
	assert_int_equal(count_disk(f), 0);
}

/* Zone data outside the store. */

static void zone_rrset_apex(void **state)
{
	fixture_t *f = *state;

	/* Without zone data, the apex has nothing. */
	assert_rcode(UPDATE(f, T0, PRE(ZONE, ANY, ANY, 0, NULL), ADD(OWN, V1)),
	             KNOT_RCODE_NXDOMAIN);
	assert_rcode(UPDATE(f, T0, PRE(ZONE, NONE, SOA, 0, NULL), ADD(OWN, V1)),
	             KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0, DEL(OWN, V1)), KNOT_RCODE_NOERROR);

	use_zone_cb(f);
	assert_rcode(UPDATE(f, T0, PRE(ZONE, ANY, ANY, 0, NULL), ADD(OWN, V1)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V1, T0));
	assert_rcode(UPDATE(f, T0, PRE(ZONE, ANY, SOA, 0, NULL), ADD(OWN, V2)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V2, T0));

	assert_rcode(UPDATE(f, T0, PRE(ZONE, NONE, SOA, 0, NULL), ADD(OWN, V3)),
	             KNOT_RCODE_YXRRSET);
	assert_reason(f, ZONE);
	assert_rcode(UPDATE(f, T0, PRE(ZONE, NONE, ANY, 0, NULL), ADD(OWN, V3)),
	             KNOT_RCODE_YXDOMAIN);
	assert_false(HAS(f, OWN, V3, T0));

	/* Types the zone data does not have. */
	assert_rcode(UPDATE(f, T0, PRE(ZONE, ANY, TXT, 0, NULL), ADD(OWN, V3)),
	             KNOT_RCODE_NXRRSET);
	assert_rcode(UPDATE(f, T0, PRE(ZONE, NONE, TXT, 0, NULL), PRE(ZONE, NONE, A, 0, NULL),
	                    ADD(OWN, V3)),
	             KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, V3, T0));

	/* Other names have no zone data. */
	assert_rcode(UPDATE(f, T0, PRE(OWN2, ANY, ANY, 0, NULL), ADD(OWN, V4)),
	             KNOT_RCODE_NXDOMAIN);
	assert_int_equal(count_disk(f), 3);
}

/* The module's value policy. */

static void strict_accepts(void **state)
{
	fixture_t *f = *state;
	assert_true(f->strict);
	assert_int_equal(strlen(V1), ACME_VALUE_STRICT_LEN);
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1), ADD(OWN, V2)), KNOT_RCODE_NOERROR);
	/* Every base64url character. */
	assert_rcode(UPDATE(f, T0, ADD(OWN, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"),
	                    ADD(OWN, "rstuvwxyz0123456789-_AAAAAAAAAAAAAAAAAAAAAA")),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(count_disk(f), 4);
}

static void strict_refuses(void **state)
{
	fixture_t *f = *state;
	static const char *bad[] = {
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-",     /* 42 */
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-kA",   /* 44 */
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V+k",    /* '+' */
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V/k",    /* '/' */
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-=",    /* '=' */
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V k",    /* ' ' */
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V.k",    /* '.' */
		V1 "|" V2,                                        /* two strings */
		"X-zrZv_IbzjZUnhsbWlse|cLbwjndTpG0ZynXOif7V-k",   /* 43, split */
		V1 "|",                                           /* and an empty one */
		"",                                               /* one empty string */
		"hello",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_rcode(UPDATE(f, T0, ADD(OWN, bad[i])), KNOT_RCODE_REFUSED);
		assert_reason(f, OWN);
		assert_int_equal(count_disk(f), 0);
		/* With a valid value before it: nothing written either. */
		assert_rcode(UPDATE(f, T0, ADD(OWN2, V2), ADD(OWN, bad[i])), KNOT_RCODE_REFUSED);
		assert_int_equal(count_disk(f), 0);
	}
}

static void strict_off_accepts(void **state)
{
	fixture_t *f = *state;
	f->strict = false;
	static const char *values[] = {
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-",
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-kA",
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V+k",
		"X-zrZv_IbzjZUnhsbWlsecLbwjndTpG0ZynXOif7V-=",
		V1 "|" V2,
		"",
		"hello world",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_rcode(UPDATE(f, T0, ADD(OWN, values[i])), KNOT_RCODE_NOERROR);
		assert_true(HAS(f, OWN, values[i], T0));
	}
	assert_int_equal(count_disk(f), sizeof(values) / sizeof(values[0]));
}

static void strict_delete_allowed(void **state)
{
	fixture_t *f = *state;
	f->strict = false;
	assert_rcode(UPDATE(f, T0, ADD(OWN, "hello"), ADD(OWN, V1 "|" V2), ADD(OWN, V3)),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(count_disk(f), 3);

	/* Values strict mode would refuse can still be deleted. */
	f->strict = true;
	assert_rcode(UPDATE(f, T0, DEL(OWN, "hello")), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_rcode(UPDATE(f, T0, DEL(OWN, V1 "|" V2), DEL(OWN, "never added")),
	             KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_int_equal(count_disk(f), 1);
	assert_true(HAS(f, OWN, V3, T0));
	/* Prerequisite data is only compared, never checked by strict. */
	assert_rcode(UPDATE(f, T0, PRE(OWN, IN, TXT, 0, "hello"), DEL_ALL(OWN)),
	             KNOT_RCODE_NXRRSET);
	assert_rcode(UPDATE(f, T0, DEL_ALL(OWN)), KNOT_RCODE_NOERROR);
	assert_int_equal(count_disk(f), 0);
}

/* Values too long for the store. */

static void value_too_long(void **state)
{
	fixture_t *f = *state;
	char s200a[201], s200b[201], s255[256], big[512], max[300], over[300];
	memset(s200a, 'a', 200);
	s200a[200] = '\0';
	memset(s200b, 'b', 200);
	s200b[200] = '\0';
	memset(s255, 'c', 255);
	s255[255] = '\0';
	snprintf(big, sizeof(big), "%s|%s", s200a, s200b);      /* rdata 402 */
	snprintf(max, sizeof(max), "%s", s255);                 /* rdata 256 */
	snprintf(over, sizeof(over), "%.253s|x", s255);         /* rdata 256 */
	assert_int_equal(ACME_STORE_RDATA_MAX, 256);

	for (int strict = 1; strict >= 0; strict--) {
		f->strict = strict;
		assert_rcode(UPDATE(f, T0, ADD(OWN, big)), KNOT_RCODE_REFUSED);
		assert_reason(f, OWN);
		assert_int_equal(count_disk(f), 0);
		assert_rcode(UPDATE(f, T0, ADD(OWN2, V1), ADD(OWN, big), ADD(OWN2, V2)),
		             KNOT_RCODE_REFUSED);
		assert_reason(f, OWN);
		assert_int_equal(count_disk(f), 0);
	}

	/* The largest value the store holds (strict off). */
	assert_rcode(UPDATE(f, T0, ADD(OWN, max), ADD(OWN, over)), KNOT_RCODE_NOERROR);
	assert_true(HAS(f, OWN, max, T0));
	assert_true(HAS(f, OWN, over, T0));
	assert_int_equal(count_disk(f), 2);
	snprintf(over, sizeof(over), "%.254s|x", s255);         /* rdata 257 */
	assert_rcode(UPDATE(f, T0, ADD(OWN, over)), KNOT_RCODE_REFUSED);
	assert_int_equal(count_disk(f), 2);

	/* Deleting a value the store cannot hold: nothing to delete. */
	f->strict = true;
	assert_rcode(UPDATE(f, T0, DEL(OWN, big), DEL(OWN, max)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.deleted, 1);
	assert_int_equal(count_disk(f), 1);
}

/* Records per name. */

static void max_records_drop_oldest(void **state)
{
	fixture_t *f = *state;
	f->policy.max_records = 2;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_rcode(UPDATE(f, T0 + 1 * SEC, ADD(OWN, V2)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.dropped, 0);
	assert_rcode(UPDATE(f, T0 + 2 * SEC, ADD(OWN, V3)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.added, 1);
	assert_int_equal(f->ddns.result.dropped, 1);

	uint64_t t = T0 + 2 * SEC;
	assert_int_equal(count_at(f, OWN, t), 2);
	assert_false(HAS(f, OWN, V1, t));
	assert_true(HAS(f, OWN, V2, t));
	assert_true(HAS(f, OWN, V3, t));
	assert_int_equal(count_disk(f), 2);

	/* Refreshing the oldest makes it the newest. */
	assert_rcode(UPDATE(f, T0 + 3 * SEC, ADD(OWN, V2)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.refreshed, 1);
	assert_int_equal(f->ddns.result.dropped, 0);
	assert_rcode(UPDATE(f, T0 + 4 * SEC, ADD(OWN, V4)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.dropped, 1);
	assert_true(HAS(f, OWN, V2, T0 + 4 * SEC));
	assert_true(HAS(f, OWN, V4, T0 + 4 * SEC));
	assert_false(HAS(f, OWN, V3, T0 + 4 * SEC));

	/* Per name: another owner has its own two. */
	assert_rcode(UPDATE(f, T0 + 5 * SEC, ADD(OWN2, V1), ADD(OWN2, V3)), KNOT_RCODE_NOERROR);
	assert_int_equal(f->ddns.result.dropped, 0);
	assert_int_equal(count_disk(f), 4);
}

/* A full database. */

static void database_full(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .map_size = 256 * 4096, .create = true, .no_purger = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);

	char name[64];
	uint16_t rcode = KNOT_RCODE_NOERROR;
	int n;
	for (n = 0; n < 100000; n++) {
		snprintf(name, sizeof(name), "_acme-challenge.n%05d.acme.example.", n);
		rcode = UPDATE(f, T0, ADD(name, V1));
		if (rcode != KNOT_RCODE_NOERROR) {
			break;
		}
	}
	assert_rcode(rcode, KNOT_RCODE_SERVFAIL);
	assert_true(n > 10);
	assert_non_null(f->ddns.reason);
	assert_non_null(strstr(f->ddns.reason, "full"));

	/* Nothing of the failed update, everything before it. */
	assert_false(HAS(f, name, V1, T0));
	assert_int_equal(count_disk(f), n);
	for (int i = 0; i < n; i += 1 + n / 7) {
		snprintf(name, sizeof(name), "_acme-challenge.n%05d.acme.example.", i);
		assert_true(HAS(f, name, V1, T0));
	}

	/* Deleting still works and makes room. */
	snprintf(name, sizeof(name), "_acme-challenge.n%05d.acme.example.", 0);
	assert_rcode(UPDATE(f, T0, DEL_ALL(name)), KNOT_RCODE_NOERROR);
	assert_int_equal(count_disk(f), n - 1);
}

/* Reasons. */

static void reason_set_on_refusal(void **state)
{
	fixture_t *f = *state;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	assert_null(f->ddns.reason);

	assert_rcode(UPDATE(f, T0, ADD(OWN, V2), ADD(OWN2, "nope")), KNOT_RCODE_REFUSED);
	assert_reason(f, OWN2);
	/* reason_owner names the offending owner. */
	assert_rcode(UPDATE(f, T0, ADD("Bad.ACME.example.", "nope")), KNOT_RCODE_REFUSED);
	assert_reason(f, "bad.acme.example.");
	assert_rcode(UPDATE(f, T0, PRE(OWN2, ANY, TXT, 0, NULL), ADD(OWN, V2)), KNOT_RCODE_NXRRSET);
	assert_reason(f, OWN2);
	assert_rcode(UPDATE(f, T0, ADD(OUT, V2)), KNOT_RCODE_NOTZONE);
	assert_reason(f, OUT);

	/* Reset by the next successful update. */
	assert_rcode(UPDATE(f, T0, ADD(OWN, V2)), KNOT_RCODE_NOERROR);
	assert_null(f->ddns.reason);
	assert_null(f->ddns.reason_owner);
	assert_int_equal(f->ddns.result.added, 1);
}

static void result_reset_on_refusal(void **state)
{
	fixture_t *f = *state;
	/* process() plants garbage in the result; a refusal reports nothing done. */
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1), ADD(OUT, V2)), KNOT_RCODE_NOTZONE);
	assert_int_equal(f->ddns.result.added, 0);
	assert_int_equal(f->ddns.result.refreshed, 0);
	assert_int_equal(f->ddns.result.deleted, 0);
	assert_int_equal(f->ddns.result.dropped, 0);
}

#define T(name)     cmocka_unit_test_setup_teardown(name, setup_store, teardown)
#define T_DIR(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(claims_txt_only),
		T(claims_non_txt),
		T(claims_empty_update),
		T(claims_zone_section),
		T(add_stores),
		T(add_refresh),
		T(delete_value),
		T(delete_rrset),
		T(owners_case_insensitive),
		T(owners_case_insensitive_raw),
		T(notzone),
		T(notzone_all_or_nothing),
		T(formerr_delete_value_ttl),
		T(formerr_delete_rrset_rdata),
		T(formerr_prereq_ttl),
		T(formerr_prereq_rdata),
		T(formerr_unknown_class),
		T(prereq_yxrrset),
		T(prereq_nxrrset),
		T(prereq_yxdomain),
		T(prereq_nxdomain),
		T(prereq_values),
		T(prereq_expired_absent),
		T(prereq_several),
		T(order_first_prereq_decides),
		T(order_values_checked_last),
		T(order_prereq_before_update),
		T(order_first_update_rr_decides),
		T(zone_rrset_apex),
		T(strict_accepts),
		T(strict_refuses),
		T(strict_off_accepts),
		T(strict_delete_allowed),
		T(value_too_long),
		T(max_records_drop_oldest),
		T_DIR(database_full),
		T(reason_set_on_refusal),
		T(result_reset_on_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
