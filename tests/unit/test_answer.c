/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the answer hook (module/knotd/answer.c) on the knotd
 *        stub (tests/support/knotd_stub.c): which of Knot's answers it
 *        completes (live values, NODATA at store names and empty
 *        non-terminals), which it leaves alone, TTLs, truncation.
 *
 * Values are written through the update hook.  The stub's zones have
 * lifetime 2 s and the default max-ttl.  tests/integration/test_answer.py
 * checks the same against a real knotd.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tests/support/knotd_stub.h"
#include "tests/support/messages.h"

#define ZONE	STUB_ZONE_ALIAS
#define LIVE	"_acme-challenge.www.example.com." ZONE
#define V1	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define V2	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

enum { K1 = 0 };

/*! One answer of the hook. */
typedef struct {
	knotd_in_state_t state;
	int rcode;            /*!< qdata->rcode after the hook. */
	bool aa;
	bool tc;
	uint16_t answers;     /*!< RRsets in the answer section. */
	uint16_t txt_values;  /*!< TXT values of the last answer RRset. */
	uint32_t ttl;         /*!< Its TTL. */
	bool qname_pointer;   /*!< Its owner written as a pointer to the question. */
} answer_t;

/*! \a qname / \a qtype through the answer hook, from Knot's \a state. */
static answer_t ask(const char *qname, uint16_t qtype, knotd_in_state_t state, bool tcp,
                    size_t reply_max)
{
	knot_pkt_t *query = msg_query(qname, qtype, false);
	assert_non_null(query);
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_pkt_t *reply = NULL;
	answer_t out = { .state = stub_run_answer(query, state, tcp, reply_max, &qdata, &params,
	                                          &reply) };
	assert_non_null(reply);
	out.rcode = qdata.rcode;
	out.aa = knot_wire_get_aa(reply->wire);
	out.tc = knot_wire_get_tc(reply->wire);
	const knot_pktsection_t *answer = knot_pkt_section(reply, KNOT_ANSWER);
	out.answers = answer->count;
	if (answer->count > 0) {
		const knot_rrset_t *rr = knot_pkt_rr(answer, answer->count - 1);
		if (rr->type == KNOT_RRTYPE_TXT) {
			out.txt_values = rr->rrs.count;
			out.ttl = rr->ttl;
			/*
			 * The owner is a pointer to the question, so that the
			 * client's letter case, which knotd restores there, shows.
			 */
			size_t at = KNOT_WIRE_HEADER_SIZE + knot_dname_size(knot_pkt_qname(query)) + 4;
			out.qname_pointer = reply->size > at + 1 && reply->wire[at] == 0xc0 &&
			                    reply->wire[at + 1] == KNOT_WIRE_HEADER_SIZE;
		}
	}
	stub_mm_reset();
	stub_query_free(query);
	return out;
}

static answer_t ask_udp(const char *qname, uint16_t qtype, knotd_in_state_t state)
{
	return ask(qname, qtype, state, false, 1232);
}

static int setup(void **state)
{
	(void)state;
	stub_env_init();
	msg_rr_t rrs[2] = {
		{ LIVE, V1, KNOT_CLASS_IN, 0, 60 },
		{ LIVE, V2, KNOT_CLASS_IN, 0, 60 },
	};
	msg_sent_t s = msg_send(msg_update(ZONE, rrs, 2, K1), STUB_ADDR_OTHER);
	return (s.state == KNOTD_STATE_DONE && s.rcode == KNOT_RCODE_NOERROR) ? 0 : -1;
}

static void live_values(void **state)
{
	(void)state;
	answer_t a = ask_udp(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.rcode, KNOT_RCODE_NOERROR);
	assert_true(a.aa);
	assert_int_equal(a.answers, 1);
	assert_int_equal(a.txt_values, 2);
	/* min(update TTL 60, max-ttl 300, lifetime left <= 2 s) */
	assert_true(a.ttl <= 2);
	assert_true(a.qname_pointer);

	/* Whatever the question's letter case. */
	a = ask_udp("_ACME-Challenge.WWW.example.com." ZONE, KNOT_RRTYPE_TXT,
	            KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_true(a.qname_pointer);

	/* Knot's NODATA (a name of the zone without TXT) is completed too. */
	a = ask_udp(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_NODATA);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
}

static void any_adds_to_zone_data(void **state)
{
	(void)state;
	answer_t a = ask_udp(LIVE, KNOT_RRTYPE_ANY, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.txt_values, 2);
	a = ask_udp(LIVE, KNOT_RRTYPE_ANY, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.txt_values, 2);

	/* But a TXT Knot found itself is Knot's answer. */
	a = ask_udp(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.answers, 0);
}

static void nodata(void **state)
{
	(void)state;
	/* Another type at a live name. */
	answer_t a = ask_udp(LIVE, KNOT_RRTYPE_A, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_NODATA);
	assert_int_equal(a.rcode, KNOT_RCODE_NOERROR);
	assert_int_equal(a.answers, 0);

	/* Empty non-terminals above it, any type: NODATA, never NXDOMAIN. */
	const char *ents[] = { "www.example.com." ZONE, "example.com." ZONE, "com." ZONE };
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		a = ask_udp(ents[i], KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS);
		assert_int_equal(a.state, KNOTD_IN_STATE_NODATA);
		assert_int_equal(a.answers, 0);
		a = ask_udp(ents[i], KNOT_RRTYPE_A, KNOTD_IN_STATE_MISS);
		assert_int_equal(a.state, KNOTD_IN_STATE_NODATA);
	}
}

static void not_ours(void **state)
{
	(void)state;
	/* No such name in the store: Knot's NXDOMAIN stands. */
	answer_t a = ask_udp("nothing." ZONE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.answers, 0);
	a = ask_udp("x." LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_MISS);

	/* Delegations and Knot's own answers are left alone. */
	a = ask_udp(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_DELEG);
	assert_int_equal(a.state, KNOTD_IN_STATE_DELEG);
	a = ask_udp(LIVE, KNOT_RRTYPE_A, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.answers, 0);

	/* The other zone, sharing the database, has no such name. */
	a = ask_udp("www.example.com." STUB_ZONE_DELEG, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS);
	assert_int_equal(a.state, KNOTD_IN_STATE_MISS);
}

static void truncation(void **state)
{
	(void)state;
	/* No room for the values: TC over UDP... */
	answer_t a = ask(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS, false, 100);
	assert_int_equal(a.state, KNOTD_IN_STATE_TRUNC);
	assert_int_equal(a.answers, 0);

	/* ...an error over TCP, logged. */
	stub_log_clear();
	a = ask(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS, true, 100);
	assert_int_equal(a.state, KNOTD_IN_STATE_ERROR);
	assert_int_equal(a.rcode, KNOT_RCODE_SERVFAIL);
	assert_non_null(stub_log_find("failed to put the answer"));

	/* Enough room: the whole RRset. */
	a = ask(LIVE, KNOT_RRTYPE_TXT, KNOTD_IN_STATE_MISS, true, 512);
	assert_int_equal(a.state, KNOTD_IN_STATE_HIT);
	assert_int_equal(a.txt_values, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_values),
		cmocka_unit_test(any_adds_to_zone_data),
		cmocka_unit_test(nodata),
		cmocka_unit_test(not_ours),
		cmocka_unit_test(truncation),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
