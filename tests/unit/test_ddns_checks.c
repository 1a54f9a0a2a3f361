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
 *        the checks of the update RRs before the store: out of the zone, malformed, strict values, values too long, the reason and result of a refusal.
 *
 * tests/unit/ddns_helpers.h says how messages are described and built.
 */

#include "tests/unit/ddns_helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(notzone),
		T(notzone_all_or_nothing),
		T(formerr_delete_value_ttl),
		T(formerr_delete_rrset_rdata),
		T(formerr_prereq_ttl),
		T(formerr_prereq_rdata),
		T(formerr_unknown_class),
		T(strict_accepts),
		T(strict_refuses),
		T(strict_off_accepts),
		T(strict_delete_allowed),
		T(value_too_long),
		T(reason_set_on_refusal),
		T(result_reset_on_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
