/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: writes (module/store/lmdb/write.c): adds, refreshes, deletes, limits, a full map.
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

static void add_case_insensitive(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;

	assert_int_equal(ADD(f->store, "WWW.Example.COM", "v", 60, T0, NULL), KNOT_EOK);

	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "www.example.com", T0, &l, NULL), 1);
	/* Owners are reported in lower case. */
	assert_memory_equal(l.v[0].owner, dn("www.example.com"),
	                    knot_dname_size(dn("www.example.com")));
	assert_int_equal(rd_owner(f->store, "wWw.eXample.cOm", T0, &l, NULL), 1);

	/* The same value under another spelling is the same value. */
	assert_int_equal(ADD(f->store, "www.EXAMPLE.com", "v", 60, T0 + SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 0);
	assert_int_equal(res.refreshed, 1);
	assert_int_equal(rd_owner(f->store, "WWW.EXAMPLE.COM", T0, &l, NULL), 1);

	/* Rdata is not case-folded. */
	assert_int_equal(ADD(f->store, "www.example.com", "V", 60, T0, &res), KNOT_EOK);
	assert_int_equal(res.added, 1);
	assert_int_equal(rd_owner(f->store, "www.example.com", T0, &l, NULL), 2);

	/* Delete through yet another spelling. */
	assert_int_equal(DEL_ALL(f->store, "Www.Example.Com", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 2);
	assert_int_equal(count_list(f->store, NULL, 0), 0);
	seen_clear(&l);
}

static void owners_isolated(void **state)
{
	fixture_t *f = *state;
	/* Names sharing label bytes in every arrangement, and one whose
	 * label holds a zero byte and a dot (lookup-format lookalikes). */
	static const char *names[] = {
		"a.example", "ab.example", "b.a.example", "ba.example",
		"a.examplex", "examplex", "b.example", "a\\000b.example",
		"a\\.b.example", "b\\000.a.example", "a.b.example",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);

	for (size_t i = 0; i < n; i++) {
		char val[16];
		snprintf(val, sizeof(val), "val%zu", i);
		assert_int_equal(ADD(f->store, names[i], val, 60, T0, NULL), KNOT_EOK);
	}

	seen_list_t l = { 0 };
	for (size_t i = 0; i < n; i++) {
		char val[16];
		snprintf(val, sizeof(val), "val%zu", i);
		assert_int_equal(rd_owner(f->store, names[i], T0, &l, NULL), 1);
		if (seen_find(&l, val) < 0) {
			fail_msg("%s: expected %s", names[i], val);
		}
		assert_true(knot_dname_is_equal(l.v[0].owner, dn(names[i])));
	}

	/* No values at the ancestors. */
	assert_int_equal(count_at(f->store, "example", T0), 0);
	assert_int_equal(count_at(f->store, "b.a\\000.example", T0), 0);
	assert_int_equal(count_at(f->store, "b.a.example.", T0), 1);

	/* Deleting one leaves its relatives alone. */
	assert_int_equal(DEL_ALL(f->store, "a.example", T0, NULL), KNOT_EOK);
	assert_int_equal(count_at(f->store, "a.example", T0), 0);
	assert_int_equal(count_list(f->store, NULL, T0), n - 1);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(count_at(f->store, names[i], T0), 1);
	}
	seen_clear(&l);
}

static void add_refresh(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "v", 300, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v", 30, T0 + 50 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 0);
	assert_int_equal(res.refreshed, 1);
	assert_int_equal(res.dropped, 0);

	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 50 * SEC, &l, NULL), 1);
	assert_int_equal(l.v[0].ttl, 30);
	assert_int_equal(l.v[0].added, T0 + 50 * SEC);
	assert_int_equal(l.v[0].expires, T0 + 110 * SEC);

	/* Alive past the first expiry, gone at the new one. */
	assert_int_equal(count_at(f->store, "a.example", T0 + 60 * SEC), 1);
	assert_int_equal(count_at(f->store, "a.example", T0 + 110 * SEC - 1), 1);
	assert_int_equal(count_at(f->store, "a.example", T0 + 110 * SEC), 0);
	assert_int_equal(count_list(f->store, NULL, 0), 1);

	/* Re-adding an expired value brings it back as new. */
	assert_int_equal(ADD(f->store, "a.example", "v", 30, T0 + 200 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added + res.refreshed, 1);
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 200 * SEC, &l, NULL), 1);
	assert_int_equal(l.v[0].added, T0 + 200 * SEC);
	assert_int_equal(l.v[0].expires, T0 + 260 * SEC);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	seen_clear(&l);
}

static void ops_in_one_update(void **state)
{
	fixture_t *f = *state;
	rd_t v1 = txt("v1"), v2 = txt("v2"), v3 = txt("v3");
	const knot_dname_t *a = dn("a.example"), *b = dn("b.example");
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "old", 60, T0, NULL), KNOT_EOK);

	const acme_op_t ops[] = {
		{ ACME_OP_ADD, a, v1.data, v1.len, 60 },
		{ ACME_OP_ADD, a, v1.data, v1.len, 90 },  /* refresh within the update */
		{ ACME_OP_ADD, b, v2.data, v2.len, 60 },
		{ ACME_OP_DEL_ALL, a, NULL, 0, 0 },       /* removes old and v1 */
		{ ACME_OP_ADD, a, v3.data, v3.len, 60 },
		{ ACME_OP_DEL_VALUE, b, v3.data, v3.len, 0 }, /* not there */
	};
	assert_int_equal(store_apply(f->store, ops, sizeof(ops) / sizeof(ops[0]),
	                                  &POLICY, T0 + SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 3);
	assert_int_equal(res.refreshed, 1);
	assert_int_equal(res.deleted, 2);
	assert_int_equal(res.dropped, 0);

	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + SEC, &l, NULL), 1);
	assert_true(seen_find(&l, "v3") >= 0);
	assert_int_equal(rd_owner(f->store, "b.example", T0 + SEC, &l, NULL), 1);
	assert_true(seen_find(&l, "v2") >= 0);
	assert_int_equal(count_list(f->store, NULL, 0), 2);
	seen_clear(&l);
}

static void del_value(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v2", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "b.example", "v1", 60, T0, NULL), KNOT_EOK);

	assert_int_equal(DEL(f->store, "A.example", "v1", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 1);
	assert_int_equal(res.added, 0);

	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0, &l, NULL), 1);
	assert_true(seen_find(&l, "v2") >= 0);
	/* The same value at another owner stays. */
	assert_int_equal(rd_owner(f->store, "b.example", T0, &l, NULL), 1);
	assert_true(seen_find(&l, "v1") >= 0);
	assert_int_equal(count_list(f->store, NULL, 0), 2);

	/* Deleting what is not there is no error. */
	assert_int_equal(DEL(f->store, "a.example", "v1", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(DEL(f->store, "a.example", "v", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(DEL(f->store, "none.example", "v2", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(count_list(f->store, NULL, 0), 2);

	/* The last value of a name. */
	assert_int_equal(DEL(f->store, "a.example", "v2", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 1);
	assert_int_equal(count_at(f->store, "a.example", T0), 0);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	seen_clear(&l);
}

/*!
 * Deleting values that have expired (no longer served) removes them but
 * counts no deletion: the tool says "no such value" for them, as it does
 * for values never added.
 */
static void del_expired_not_counted(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;
	acme_policy_t p10 = { .lifetime = 10 };
	assert_int_equal(ADD_P(f->store, "a.example", "old", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "b.example", "old", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(count_list(f->store, NULL, 0), 2);

	assert_int_equal(DEL(f->store, "a.example", "old", T0 + 10 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(DEL_ALL(f->store, "b.example", T0 + 10 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	/* Gone all the same (a listing at time 0 shows expired values too). */
	assert_int_equal(count_list(f->store, NULL, 0), 0);
}

static void del_all(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v2", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v3", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "x.a.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "ab.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "example", "v1", 60, T0, NULL), KNOT_EOK);

	assert_int_equal(DEL_ALL(f->store, "a.example", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 3);
	assert_int_equal(count_at(f->store, "a.example", T0), 0);
	/* Parent, child and sibling keep theirs. */
	assert_int_equal(count_at(f->store, "x.a.example", T0), 1);
	assert_int_equal(count_at(f->store, "ab.example", T0), 1);
	assert_int_equal(count_at(f->store, "example", T0), 1);
	assert_int_equal(count_list(f->store, NULL, 0), 3);

	assert_int_equal(DEL_ALL(f->store, "a.example", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(DEL_ALL(f->store, "nothing.example", T0, &res), KNOT_EOK);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(count_list(f->store, NULL, 0), 3);
}

static void rdata_too_large(void **state)
{
	fixture_t *f = *state;
	uint8_t big[ACME_STORE_RDATA_MAX + 1];
	/* 255-byte string and one empty string: valid TXT, one byte too long. */
	big[0] = 255;
	memset(big + 1, 'x', 255);
	big[256] = 0;
	assert_true(acme_txt_valid(big, sizeof(big)));

	rd_t ok = txt("ok");
	const knot_dname_t *a = dn("a.example"), *b = dn("b.example");
	const acme_op_t ops[] = {
		{ ACME_OP_ADD, b, ok.data, ok.len, 60 },
		{ ACME_OP_ADD, a, big, sizeof(big), 60 },
	};
	acme_result_t res;
	assert_int_not_equal(store_apply(f->store, ops + 1, 1, &POLICY, T0, &res), KNOT_EOK);
	/* The good operation before it is not written either. */
	assert_int_not_equal(store_apply(f->store, ops, 2, &POLICY, T0, &res), KNOT_EOK);
	assert_int_equal(count_list(f->store, NULL, 0), 0);

	/* The largest allowed rdata is fine, and comes back whole. */
	const acme_op_t max[] = { { ACME_OP_ADD, a, big, ACME_STORE_RDATA_MAX, 60 } };
	assert_int_equal(store_apply(f->store, max, 1, &POLICY, T0, &res), KNOT_EOK);
	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0, &l, NULL), 1);
	assert_int_equal(l.v[0].rdata_len, ACME_STORE_RDATA_MAX);
	assert_memory_equal(l.v[0].rdata, big, ACME_STORE_RDATA_MAX);
	seen_clear(&l);
}

static void expiry_removed_on_apply(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };
	acme_result_t res;

	assert_int_equal(ADD_P(f->store, "a.example", "v1", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "a.example", "v2", 60, &p10, T0, NULL), KNOT_EOK);

	/* Deleting expired values: they are not live, so nothing to report,
	 * but the update must not fail and they must not come back. */
	assert_int_equal(DEL(f->store, "a.example", "v1", T0 + 20 * SEC, &res), KNOT_EOK);
	assert_int_equal(count_at(f->store, "a.example", T0 + 20 * SEC), 0);

	/* Adding next to an expired value: only the new one is live. */
	assert_int_equal(ADD(f->store, "a.example", "v3", 60, T0 + 20 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 1);
	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 20 * SEC, &l, NULL), 1);
	assert_true(seen_find(&l, "v3") >= 0);

	/* The expired values of that owner went in the same transaction. */
	assert_int_equal(ls(f->store, NULL, 0, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	assert_true(seen_find(&l, "v3") >= 0);
	size_t purged = 0;
	bool more = true;
	assert_int_equal(acme_store_purge(f->store, T0 + 20 * SEC, 0, &purged, &more), KNOT_EOK);
	assert_false(more);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	assert_int_equal(count_at(f->store, "a.example", T0 + 20 * SEC), 1);
	seen_clear(&l);
}

static void max_records_drop_oldest(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p3 = { .lifetime = 600, .max_records = 3 };
	acme_result_t res;
	seen_list_t l = { 0 };

	assert_int_equal(ADD_P(f->store, "a.example", "v1", 60, &p3, T0 + 1 * SEC, &res), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "a.example", "v2", 60, &p3, T0 + 2 * SEC, &res), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "a.example", "v3", 60, &p3, T0 + 3 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.dropped, 0);
	/* Other owners do not count. */
	assert_int_equal(ADD_P(f->store, "b.example", "v0", 60, &p3, T0, &res), KNOT_EOK);

	assert_int_equal(ADD_P(f->store, "a.example", "v4", 60, &p3, T0 + 4 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.dropped, 1);
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 4 * SEC, &l, NULL), 3);
	assert_true(seen_find(&l, "v1") < 0);
	assert_true(seen_find(&l, "v2") >= 0);
	assert_true(seen_find(&l, "v3") >= 0);
	assert_true(seen_find(&l, "v4") >= 0);

	/* Refreshing v2 makes it the newest: v3 goes next. */
	assert_int_equal(ADD_P(f->store, "a.example", "v2", 60, &p3, T0 + 5 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.refreshed, 1);
	assert_int_equal(res.dropped, 0);
	assert_int_equal(ADD_P(f->store, "a.example", "v5", 60, &p3, T0 + 6 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.dropped, 1);
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 6 * SEC, &l, NULL), 3);
	assert_true(seen_find(&l, "v3") < 0);
	assert_true(seen_find(&l, "v2") >= 0);
	assert_true(seen_find(&l, "v4") >= 0);
	assert_true(seen_find(&l, "v5") >= 0);

	/* Two new values in one update drop the two oldest (v4, then v2). */
	rd_t v6 = txt("v6"), v7 = txt("v7");
	const knot_dname_t *a = dn("a.example");
	const acme_op_t ops[] = {
		{ ACME_OP_ADD, a, v6.data, v6.len, 60 },
		{ ACME_OP_ADD, a, v7.data, v7.len, 60 },
	};
	assert_int_equal(store_apply(f->store, ops, 2, &p3, T0 + 7 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 2);
	assert_int_equal(res.dropped, 2);
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 7 * SEC, &l, NULL), 3);
	assert_true(seen_find(&l, "v5") >= 0);
	assert_true(seen_find(&l, "v6") >= 0);
	assert_true(seen_find(&l, "v7") >= 0);

	/* Dropped values are gone from disk, not just hidden. */
	assert_int_equal(count_list(f->store, "a.example", 0), 3);
	assert_int_equal(count_at(f->store, "b.example", T0), 1);
	/* And leave nothing behind for the purger. */
	purge(f->store, T0 + 7 * SEC, 0, 0, false);
	seen_clear(&l);
}

static void max_records_ignores_expired(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p2 = { .lifetime = 10, .max_records = 2 };
	acme_result_t res;

	assert_int_equal(ADD_P(f->store, "a.example", "v1", 60, &p2, T0, &res), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "a.example", "v2", 60, &p2, T0 + 20 * SEC, &res), KNOT_EOK);
	/* v1 expired: v2 and v3 are the two live values, nothing dropped. */
	assert_int_equal(ADD_P(f->store, "a.example", "v3", 60, &p2, T0 + 21 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.dropped, 0);
	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 21 * SEC, &l, NULL), 2);
	assert_true(seen_find(&l, "v2") >= 0);
	assert_true(seen_find(&l, "v3") >= 0);
	seen_clear(&l);
}

static void max_records_unlimited(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;

	for (int i = 0; i < 50; i++) {
		char val[16];
		snprintf(val, sizeof(val), "v%d", i);
		assert_int_equal(ADD(f->store, "a.example", val, 60, T0 + i, &res), KNOT_EOK);
		assert_int_equal(res.dropped, 0);
	}
	assert_int_equal(count_at(f->store, "a.example", T0 + 50), 50);
}

static void map_full_delete(void **state)
{
	fixture_t *f = *state;
	int n = fill_store(f, &POLICY);
	char name[64];

	/* Operators (and ACME clients) can always delete from a full store. */
	for (int i = 0; i < n / 2; i++) {
		full_name(name, sizeof(name), i);
		int ret = DEL_ALL(f->store, name, T0, NULL);
		if (ret != KNOT_EOK) {
			fail_msg("delete %d of %d on a full store of %d values: %s",
			         i + 1, n / 2, n, knot_strerror(ret));
		}
	}
	assert_int_equal(count_list(f->store, NULL, 0), n - n / 2);

	/* Half of it freed: adding works again. */
	full_name(name, sizeof(name), n);
	int ret = ADD(f->store, name, FULL_VALUE, 60, T0, NULL);
	if (ret != KNOT_EOK) {
		fail_msg("add after deleting %d of %d values: %s", n / 2, n, knot_strerror(ret));
	}
	assert_int_equal(count_at(f->store, name, T0), 1);
	assert_int_equal(count_list(f->store, NULL, 0), n - n / 2 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(add_case_insensitive),
		T(owners_isolated),
		T(add_refresh),
		T(ops_in_one_update),
		T(del_value),
		T(del_expired_not_counted),
		T(del_all),
		T(rdata_too_large),
		T(expiry_removed_on_apply),
		T(max_records_drop_oldest),
		T(max_records_ignores_expired),
		T(max_records_unlimited),
		T_DIR(map_full_delete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
