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
 *        prerequisites (RFC 2136 2.4, 3.2): each kind against each state of a name (table-driven), values, expiry, several, the order of checks, zone data outside the store.
 *
 * tests/unit/ddns_helpers.h says how messages are described and built.
 */

#include "tests/unit/ddns_helpers.h"

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

/*
 * Each kind of prerequisite (RFC 2136 2.4) against each state of a name,
 * one prerequisite an UPDATE with no update RR: OWN holds V1; GONE only an
 * expired value; ENT nothing but a name below it (OWN); NONE nothing at all.
 * The rcodes are Knot's native DDNS's for the same zone content.
 */

#define GONE	"gone.acme.example."
#define ENT	"www.acme.example."
#define NONE	"none.acme.example."
#define UPPER	"_ACME-challenge.WWW.acme.example."

typedef struct {
	const char *owner;
	uint16_t rclass;   /*!< ANY: exists, NONE: does not exist, IN: values. */
	uint16_t type;     /*!< TXT or ANY (a name). */
	const char *value; /*!< Class IN: the value. */
	uint16_t expect;
} prereq_case_t;

#define CASE(owner, cls, type, value, rcode) \
	{ owner, KNOT_CLASS_##cls, KNOT_RRTYPE_##type, value, KNOT_RCODE_##rcode }

static const prereq_case_t PREREQ_CASES[] = {
	/* RRset exists (value independent). */
	CASE(OWN,   ANY,  TXT, NULL, NOERROR),
	CASE(UPPER, ANY,  TXT, NULL, NOERROR),
	CASE(GONE,  ANY,  TXT, NULL, NXRRSET),
	CASE(ENT,   ANY,  TXT, NULL, NXRRSET),
	CASE(NONE,  ANY,  TXT, NULL, NXRRSET),
	/* RRset does not exist. */
	CASE(OWN,   NONE, TXT, NULL, YXRRSET),
	CASE(UPPER, NONE, TXT, NULL, YXRRSET),
	CASE(GONE,  NONE, TXT, NULL, NOERROR),
	CASE(ENT,   NONE, TXT, NULL, NOERROR),
	CASE(NONE,  NONE, TXT, NULL, NOERROR),
	/* Name is in use. */
	CASE(OWN,   ANY,  ANY, NULL, NOERROR),
	CASE(UPPER, ANY,  ANY, NULL, NOERROR),
	CASE(GONE,  ANY,  ANY, NULL, NXDOMAIN),
	CASE(ENT,   ANY,  ANY, NULL, NXDOMAIN),
	CASE(NONE,  ANY,  ANY, NULL, NXDOMAIN),
	/* Name is not in use. */
	CASE(OWN,   NONE, ANY, NULL, YXDOMAIN),
	CASE(UPPER, NONE, ANY, NULL, YXDOMAIN),
	CASE(GONE,  NONE, ANY, NULL, NOERROR),
	CASE(ENT,   NONE, ANY, NULL, NOERROR),
	CASE(NONE,  NONE, ANY, NULL, NOERROR),
	/* RRset exists (value dependent). */
	CASE(OWN,   IN,   TXT, V1,   NOERROR),
	CASE(UPPER, IN,   TXT, V1,   NOERROR),
	CASE(OWN,   IN,   TXT, V2,   NXRRSET),
	CASE(GONE,  IN,   TXT, V3,   NXRRSET),
	CASE(ENT,   IN,   TXT, V1,   NXRRSET),
	CASE(NONE,  IN,   TXT, V1,   NXRRSET),
};

static void prereq_table(void **state)
{
	fixture_t *f = *state;
	f->policy.lifetime = 1;
	assert_rcode(UPDATE(f, T0, ADD(GONE, V3)), KNOT_RCODE_NOERROR);
	f->policy.lifetime = LIFETIME;
	assert_rcode(UPDATE(f, T0, ADD(OWN, V1)), KNOT_RCODE_NOERROR);
	const uint64_t now = T0 + 2 * SEC;

	for (size_t i = 0; i < sizeof(PREREQ_CASES) / sizeof(PREREQ_CASES[0]); i++) {
		const prereq_case_t *c = &PREREQ_CASES[i];
		const rr_desc_t rr = { KNOT_ANSWER, c->owner, c->rclass, c->type, 0, c->value };
		uint16_t rcode = run(f, now, &rr, 1);
		if (rcode != c->expect) {
			fail_msg("prerequisite %s class %u type %u%s%s: %s, expected %s (reason: %s)",
			         c->owner, c->rclass, c->type, c->value ? " value " : "",
			         c->value ? c->value : "", rcode_name(rcode), rcode_name(c->expect),
			         f->ddns.reason ? f->ddns.reason : "(none)");
		}
		if (rcode != KNOT_RCODE_NOERROR) {
			assert_reason(f, c->owner);
		}
	}
	/* Nothing written by prerequisites alone. */
	assert_int_equal(count_disk(f), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(prereq_yxrrset),
		T(prereq_nxrrset),
		T(prereq_yxdomain),
		T(prereq_nxdomain),
		T(prereq_values),
		T(prereq_expired_absent),
		T(prereq_several),
		T(prereq_table),
		T(order_first_prereq_decides),
		T(order_values_checked_last),
		T(order_prereq_before_update),
		T(order_first_update_rr_decides),
		T(zone_rrset_apex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
