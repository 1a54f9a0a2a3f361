/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the RFC 2136 UPDATE semantics (module/dns/ddns.c):
 *        which UPDATE messages the module takes (acme_ddns_claims()): TXT only, the zone section.
 *
 * tests/unit/ddns_helpers.h says how messages are described and built.
 */

#include "tests/unit/ddns_helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(claims_txt_only),
		T(claims_non_txt),
		T(claims_empty_update),
		T(claims_zone_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
