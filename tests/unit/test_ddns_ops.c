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
 *        the operations: adds, refreshes, deletes of a value and of the RRset, owners in any case, records per name, a full database.
 *
 * tests/unit/ddns_helpers.h says how messages are described and built.
 */

#include "tests/unit/ddns_helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(add_stores),
		T(add_refresh),
		T(delete_value),
		T(delete_rrset),
		T(owners_case_insensitive),
		T(owners_case_insensitive_raw),
		T(max_records_drop_oldest),
		T_DIR(database_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
