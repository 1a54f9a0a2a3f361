/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the update hook (module/knotd/update.c) on the knotd
 *        stub (tests/support/knotd_stub.c): what it claims, the reply Knot
 *        sends after it (rcode, TSIG), the per-message limits and the log
 *        lines; the values written are read back through the answer hook.
 *
 * The stub's zones: auth.example.net (max-update-rrs 8, max-update-size
 * 1024, replay-cache off), _acme-challenge.example.com (replay-cache 64);
 * both lifetime 2 s, max-records 4, strict.  RFC 2136 semantics themselves
 * are tested in test_ddns.c and, against Knot, in
 * tests/integration/test_differential.py.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "module/compat.h"
#include "tests/support/knotd_stub.h"
#include "tests/support/messages.h"

#define ZONE	STUB_ZONE_ALIAS
#define FROM	"from 203.0.113.9@40003"

/*! RFC 8555 values: 43 base64url characters. */
#define V1	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define V2	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

enum { K1 = 0 };

static knot_pkt_t *update1(const char *owner, const char *value, uint16_t rclass, int key)
{
	msg_rr_t rr = { owner, value, rclass, 0, rclass == KNOT_CLASS_IN ? 60 : 0 };
	return msg_update(ZONE, &rr, 1, key);
}

static int setup(void **state)
{
	(void)state;
	stub_env_init();
	return 0;
}

static void add_then_delete(void **state)
{
	(void)state;
	const char *owner = "_acme-challenge.add." ZONE;

	stub_log_clear();
	msg_sent_t s = msg_send(update1(owner, V1, KNOT_CLASS_IN, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_DONE);
	assert_int_equal(s.rcode, KNOT_RCODE_NOERROR);
	assert_true(s.signed_reply);
	assert_non_null(stub_log_find("DDNS, " FROM ", key k1., added 1, refreshed 0, deleted 0"));
	assert_int_equal(msg_served(owner), 1);

	/* The same value again refreshes it. */
	stub_log_clear();
	s = msg_send(update1(owner, V1, KNOT_CLASS_IN, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.rcode, KNOT_RCODE_NOERROR);
	assert_non_null(stub_log_find("added 0, refreshed 1, deleted 0"));

	/* Deleting the value (class NONE). */
	stub_log_clear();
	s = msg_send(update1(owner, V1, KNOT_CLASS_NONE, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_DONE);
	assert_non_null(stub_log_find("added 0, refreshed 0, deleted 1"));
	assert_int_equal(msg_served(owner), 0);
}

static void unsigned_local_update(void **state)
{
	(void)state;
	stub_log_clear();
	msg_sent_t s = msg_send(update1("local." ZONE, V1, KNOT_CLASS_IN, MSG_UNSIGNED),
	                    STUB_ADDR_LOCAL);
	assert_int_equal(s.state, KNOTD_STATE_DONE);
	assert_false(s.signed_reply);
	assert_non_null(stub_log_find("DDNS, from 127.0.0.1@40000, key none, added 1"));
}

static void denied(void **state)
{
	(void)state;
	stub_log_clear();
	msg_sent_t s = msg_send(update1("denied." ZONE, V1, KNOT_CLASS_IN, MSG_UNSIGNED),
	                    STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_FAIL);
	assert_int_equal(s.rcode, KNOT_RCODE_NOTAUTH);
	/* The TSIG error of the Knot built for (module/compat.h). */
#if ACME_KNOT_VERSION >= 0x030300
	assert_non_null(stub_log_find("DDNS, " FROM ", key none, denied, NOTAUTH"));
	assert_null(stub_log_find("DDNS, " FROM ", key none, denied, NOTAUTH/"));
#else
	assert_non_null(stub_log_find("DDNS, " FROM ", key none, denied, NOTAUTH/BADKEY"));
#endif
	assert_int_equal(msg_served("denied." ZONE), 0);
}

static void left_to_knot(void **state)
{
	(void)state;
	stub_log_clear();

	/* Not an UPDATE. */
	msg_sent_t s = msg_send(msg_query("x." ZONE, KNOT_RRTYPE_TXT, false), STUB_ADDR_OTHER);
	assert_int_equal(s.state, STUB_STATE_PRODUCE);

	/* Records other than TXT: Knot's own DDNS. */
	msg_rr_t a = { "host." ZONE, "\xc0\x01\x02\x01", KNOT_CLASS_IN, KNOT_RRTYPE_A, 60 };
	s = msg_send(msg_update(ZONE, &a, 1, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, STUB_STATE_PRODUCE);

	/* Not a zone of the module. */
	msg_rr_t other = { "x.example.org.", V1, KNOT_CLASS_IN, 0, 60 };
	s = msg_send(msg_update("example.org.", &other, 1, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, STUB_STATE_PRODUCE);

	assert_null(stub_log_find("DDNS"));
}

static void limits(void **state)
{
	(void)state;
	msg_rr_t rrs[9];
	for (size_t i = 0; i < 9; i++) {
		rrs[i] = (msg_rr_t){ "limits." ZONE, V1, KNOT_CLASS_IN, 0, 60 };
	}
	stub_log_clear();
	msg_sent_t s = msg_send(msg_update(ZONE, rrs, 9, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_FAIL);
	assert_int_equal(s.rcode, KNOT_RCODE_REFUSED);
	assert_true(s.signed_reply);
	assert_non_null(stub_log_find("DDNS, " FROM ", key k1., REFUSED, "
	                              "9 RRs, more than max-update-rrs 8"));
	assert_int_equal(msg_served("limits." ZONE), 0);

	/* Eight are fine. */
	s = msg_send(msg_update(ZONE, rrs, 8, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_DONE);
}

static void strict_values(void **state)
{
	(void)state;
	stub_log_clear();
	msg_sent_t s = msg_send(update1("strict." ZONE, "not a challenge value", KNOT_CLASS_IN, K1),
	                    STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_FAIL);
	assert_int_equal(s.rcode, KNOT_RCODE_REFUSED);
	assert_non_null(stub_log_find("DDNS, " FROM ", key k1., REFUSED, not an ACME challenge"));
	assert_non_null(stub_log_find(", owner strict." ZONE));
	assert_int_equal(msg_served("strict." ZONE), 0);
}

static void max_records(void **state)
{
	(void)state;
	const char *owner = "many." ZONE;
	static const char *values[5] = {
		V1, V2, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
		"DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
		"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE",
	};
	msg_rr_t rrs[5];
	for (size_t i = 0; i < 5; i++) {
		rrs[i] = (msg_rr_t){ owner, values[i], KNOT_CLASS_IN, 0, 60 };
	}
	stub_log_clear();
	msg_sent_t s = msg_send(msg_update(ZONE, rrs, 5, K1), STUB_ADDR_OTHER);
	assert_int_equal(s.state, KNOTD_STATE_DONE);
	assert_non_null(stub_log_find("DDNS, " FROM ", key k1., dropped 1 oldest values over "
	                              "max-records 4"));
	assert_int_equal(msg_served(owner), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_then_delete),
		cmocka_unit_test(unsigned_local_update),
		cmocka_unit_test(denied),
		cmocka_unit_test(left_to_knot),
		cmocka_unit_test(limits),
		cmocka_unit_test(strict_values),
		cmocka_unit_test(max_records),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
