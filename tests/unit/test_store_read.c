/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: reads (module/store/lmdb/read.c): reader slots, expiry, values below a name, listing.
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

static int stop_after_two(const acme_value_t *value, void *ctx)
{
	(void)value;
	int *n = ctx;
	return ++(*n) == 2 ? KNOT_ELIMIT : KNOT_EOK;
}

/*! Reader slots see every commit and agree with plain reads. */
static void read_slot(void **state)
{
	fixture_t *f = *state;
	const knot_dname_t *a = dn("a.example");
	bool below = true;

	assert_int_equal(store_read_slot(f->store, 3, a, T0, NULL, NULL, &below), 0);
	assert_false(below);
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(store_read_slot(f->store, 3, a, T0, NULL, NULL, NULL), 1);
	assert_int_equal(ADD(f->store, "x.a.example", "v2", 60, T0, NULL), KNOT_EOK);
	/* Not an empty non-terminal: it has a value of its own. */
	assert_int_equal(store_read_slot(f->store, 3, a, T0, NULL, NULL, &below), 1);
	assert_false(below);
	assert_int_equal(DEL(f->store, "a.example", "v1", T0, NULL), KNOT_EOK);
	assert_int_equal(store_read_slot(f->store, 3, a, T0, NULL, NULL, &below), 0);
	assert_true(below);
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v3", 60, T0, NULL), KNOT_EOK);
	for (int slot = -1; slot <= ACME_STORE_SLOTS; slot++) {
		assert_int_equal(store_read_slot(f->store, slot, a, T0, NULL, NULL, NULL), 2);
	}
	/* Expiry applies as in plain reads. */
	assert_int_equal(store_read_slot(f->store, 3, a, T0 + 60 * SEC, NULL, NULL, &below), 0);
	assert_false(below);
}

static void add_read(void **state)
{
	fixture_t *f = *state;
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "v1", 300, T0, &res), KNOT_EOK);
	assert_int_equal(res.added, 1);
	assert_int_equal(res.refreshed, 0);
	assert_int_equal(res.deleted, 0);
	assert_int_equal(res.dropped, 0);
	assert_int_equal(ADD(f->store, "a.example", "v2", 120, T0 + 5 * SEC, &res), KNOT_EOK);
	assert_int_equal(res.added, 1);

	seen_list_t l = { 0 };
	bool below = true;
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 10 * SEC, &l, &below), 2);
	assert_false(below);

	int i = seen_find(&l, "v1");
	assert_true(i >= 0);
	assert_true(knot_dname_is_equal(l.v[i].owner, dn("a.example")));
	assert_int_equal(l.v[i].ttl, 300);
	assert_int_equal(l.v[i].added, T0);
	assert_int_equal(l.v[i].expires, T0 + POLICY.lifetime * SEC);

	i = seen_find(&l, "v2");
	assert_true(i >= 0);
	assert_int_equal(l.v[i].ttl, 120);
	assert_int_equal(l.v[i].added, T0 + 5 * SEC);
	assert_int_equal(l.v[i].expires, T0 + 5 * SEC + POLICY.lifetime * SEC);

	/* A lifetime whose milliseconds do not fit in 32 bits. */
	acme_policy_t long_life = { .lifetime = 5000000 };
	assert_int_equal(ADD_P(f->store, "b.example", "long", 0, &long_life, T0, NULL), KNOT_EOK);
	assert_int_equal(rd_owner(f->store, "b.example", T0, &l, NULL), 1);
	assert_int_equal(l.v[0].expires, T0 + 5000000ULL * SEC);
	assert_int_equal(l.v[0].ttl, 0);
	assert_int_equal(rd_owner(f->store, "b.example", T0 + 4999999ULL * SEC, &l, NULL), 1);

	/* Nothing at an unknown name. */
	below = true;
	assert_int_equal(rd_owner(f->store, "c.example", T0, &l, &below), 0);
	assert_false(below);
	seen_clear(&l);
}

static void expiry_hides(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };

	assert_int_equal(ADD_P(f->store, "a.example", "short", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "long", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "b.example", "short", 60, &p10, T0, NULL), KNOT_EOK);

	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 10 * SEC - 1, &l, NULL), 2);
	/* expires <= now: not live. */
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 10 * SEC, &l, NULL), 1);
	assert_true(seen_find(&l, "long") >= 0);
	assert_int_equal(count_at(f->store, "b.example", T0 + 10 * SEC - 1), 1);
	assert_int_equal(count_at(f->store, "b.example", T0 + 10 * SEC), 0);

	assert_int_equal(ls(f->store, NULL, T0 + 10 * SEC, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	assert_true(seen_find_at(&l, "a.example", "long") >= 0);
	assert_int_equal(count_list(f->store, "b.example", T0 + 10 * SEC), 0);

	/* Not purged by reading: still on disk. */
	assert_int_equal(count_list(f->store, NULL, 0), 3);
	assert_int_equal(count_at(f->store, "b.example", T0), 1);
	seen_clear(&l);
}

static void below_flag(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };
	bool below;

	assert_int_equal(ADD(f->store, "x.www.example.com", "v", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "www.example.com", "w", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "y.example.org", "v", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "z.y.example.net", "v", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "y.example.net", "v", 60, T0, NULL), KNOT_EOK);

	seen_list_t l = { 0 };
	below = false;
	assert_int_equal(rd_owner(f->store, "example.com", T0, &l, &below), 0);
	assert_true(below);
	below = false;
	assert_int_equal(rd_owner(f->store, "com", T0, &l, &below), 0);
	assert_true(below);
	/* A name with values of its own is no empty non-terminal. */
	below = true;
	assert_int_equal(rd_owner(f->store, "www.example.com", T0, &l, &below), 1);
	assert_false(below);
	below = true;
	assert_int_equal(rd_owner(f->store, "x.www.example.com", T0, &l, &below), 1);
	assert_false(below);
	/* Case-insensitive too. */
	below = false;
	assert_int_equal(rd_owner(f->store, "EXAMPLE.com", T0, &l, &below), 0);
	assert_true(below);

	/* Not for siblings sharing a prefix, nor for names below. */
	below = true;
	assert_int_equal(rd_owner(f->store, "ww.example.com", T0, &l, &below), 0);
	assert_false(below);
	below = true;
	assert_int_equal(rd_owner(f->store, "xample.com", T0, &l, &below), 0);
	assert_false(below);
	below = true;
	assert_int_equal(rd_owner(f->store, "a.x.www.example.com", T0, &l, &below), 0);
	assert_false(below);

	/* Live only until the value below expires. */
	below = false;
	assert_int_equal(rd_owner(f->store, "example.org", T0 + 10 * SEC - 1, &l, &below), 0);
	assert_true(below);
	below = true;
	assert_int_equal(rd_owner(f->store, "example.org", T0 + 10 * SEC, &l, &below), 0);
	assert_false(below);
	below = true;
	assert_int_equal(rd_owner(f->store, "y.example.org", T0 + 10 * SEC, &l, &below), 0);
	assert_false(below);

	/* An owner with live values of its own and an expired child. */
	below = true;
	assert_int_equal(rd_owner(f->store, "y.example.net", T0 + 10 * SEC, &l, &below), 1);
	assert_false(below);
	below = false;
	assert_int_equal(rd_owner(f->store, "example.net", T0 + 10 * SEC, &l, &below), 0);
	assert_true(below);
	seen_clear(&l);
}

static void below_many_expired(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };
	bool below;

	/* Many expired names below, one live one sorting after them. */
	for (int i = 0; i < 200; i++) {
		char name[64];
		snprintf(name, sizeof(name), "n%03d.example", i);
		assert_int_equal(ADD_P(f->store, name, "v", 60, &p10, T0, NULL), KNOT_EOK);
	}
	assert_int_equal(ADD(f->store, "zzz.example", "v", 60, T0, NULL), KNOT_EOK);

	below = false;
	assert_int_equal(store_read(f->store, dn("example"), T0 + 20 * SEC,
	                                 ignore, NULL, &below), 0);
	assert_true(below);

	assert_int_equal(DEL_ALL(f->store, "zzz.example", T0, NULL), KNOT_EOK);
	below = true;
	assert_int_equal(store_read(f->store, dn("example"), T0 + 20 * SEC,
	                                 ignore, NULL, &below), 0);
	assert_false(below);
}

static void list_subtree(void **state)
{
	fixture_t *f = *state;
	static const char *names[] = {
		"example.com", "www.example.com", "x.www.example.com", "b.example.com",
		"ab.example.com", "example.org", "a.example.org", "xexample.com",
		"com", "example.co",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ADD(f->store, names[i], "v1", 60, T0, NULL), KNOT_EOK);
		assert_int_equal(ADD(f->store, names[i], "v2", 60, T0, NULL), KNOT_EOK);
	}

	seen_list_t l = { 0 };
	assert_int_equal(ls(f->store, "Example.COM", T0, &l), KNOT_EOK);
	assert_int_equal(l.count, 10);
	for (size_t i = 0; i < 5; i++) {
		assert_true(seen_find_at(&l, names[i], "v1") >= 0);
		assert_true(seen_find_at(&l, names[i], "v2") >= 0);
	}
	/* Listed in order: the apex first. */
	assert_true(knot_dname_is_equal(l.v[0].owner, dn("example.com")));

	assert_int_equal(ls(f->store, "www.example.com", T0, &l), KNOT_EOK);
	assert_int_equal(l.count, 4);
	assert_true(knot_dname_is_equal(l.v[0].owner, dn("www.example.com")));
	assert_true(seen_find_at(&l, "x.www.example.com", "v1") >= 0);

	/* An apex without values of its own. */
	assert_int_equal(ls(f->store, "www.example.org", T0, &l), KNOT_EOK);
	assert_int_equal(l.count, 0);
	assert_int_equal(ADD(f->store, "q.nothing.example", "v", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ls(f->store, "nothing.example", T0, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	assert_int_equal(ls(f->store, "example", T0, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	seen_clear(&l);
}

static void list_all(void **state)
{
	fixture_t *f = *state;
	static const char *names[] = {
		"b.example", "a.example", "x.a.example", "ab.example", "example",
		"a.b.example", "zz", "a.zz", "b.a.example", "c.example.net",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	acme_policy_t p10 = { .lifetime = 10 };

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ADD(f->store, names[i], "v1", 60, T0, NULL), KNOT_EOK);
		assert_int_equal(ADD(f->store, names[i], "v2", 60, T0, NULL), KNOT_EOK);
		/* Expired by the time of listing. */
		assert_int_equal(ADD_P(f->store, names[i], "old", 60, &p10, T0, NULL), KNOT_EOK);
	}

	seen_list_t l = { 0 };
	assert_int_equal(ls(f->store, NULL, T0 + 20 * SEC, &l), KNOT_EOK);
	assert_int_equal(l.count, 2 * n);
	/* Every live value exactly once. */
	for (size_t i = 0; i < n; i++) {
		int j1 = seen_find_at(&l, names[i], "v1");
		int j2 = seen_find_at(&l, names[i], "v2");
		assert_true(j1 >= 0);
		assert_true(j2 >= 0);
		for (size_t k = 0; k < l.count; k++) {
			if ((int)k != j1 && (int)k != j2) {
				assert_false(knot_dname_is_equal(l.v[k].owner, dn(names[i])));
			}
		}
	}
	assert_int_equal(seen_find(&l, "old"), -1);
	/* Ordered by owner: values of one owner together, ancestors first. */
	for (size_t k = 1; k < l.count; k++) {
		if ((k % 2) == 1) {
			assert_true(knot_dname_is_equal(l.v[k].owner, l.v[k - 1].owner));
		}
		for (size_t m = k + 1; m < l.count; m++) {
			assert_true(knot_dname_in_bailiwick(l.v[k].owner, l.v[m].owner) <= 0);
		}
	}
	seen_clear(&l);
}

static void callback_stops(void **state)
{
	fixture_t *f = *state;

	for (int i = 0; i < 5; i++) {
		char val[16];
		snprintf(val, sizeof(val), "v%d", i);
		assert_int_equal(ADD(f->store, "a.example", val, 60, T0, NULL), KNOT_EOK);
		assert_int_equal(ADD(f->store, "b.example", val, 60, T0, NULL), KNOT_EOK);
	}
	int n = 0;
	assert_int_equal(acme_store_list(f->store, NULL, T0, stop_after_two, &n), KNOT_ELIMIT);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_read(f->store, dn("a.example"), T0, stop_after_two, &n, NULL),
	                 KNOT_ELIMIT);
	assert_int_equal(n, 2);
	/* Without a callback, read still counts. */
	assert_int_equal(store_read(f->store, dn("a.example"), T0, NULL, NULL, NULL), 5);
}

static void map_full_reads(void **state)
{
	fixture_t *f = *state;
	int n = fill_store(f, &POLICY);
	char name[64];

	/* Nothing of the failed update, everything before it. */
	full_name(name, sizeof(name), n);
	assert_int_equal(count_at(f->store, name, T0), 0);
	assert_int_equal(count_list(f->store, NULL, 0), n);
	seen_list_t l = { 0 };
	for (int i = 0; i < n; i += n / 7) {
		full_name(name, sizeof(name), i);
		assert_int_equal(rd_owner(f->store, name, T0, &l, NULL), 1);
		assert_true(seen_find(&l, FULL_VALUE) >= 0);
	}
	/* Still full, still intact. */
	full_name(name, sizeof(name), n);
	assert_int_equal(ADD(f->store, name, FULL_VALUE, 60, T0, NULL), KNOT_ESPACE);
	assert_int_equal(count_list(f->store, NULL, 0), n);

	/* And after reopening. */
	acme_store_close(f->store);
	f->store = NULL;
	acme_lmdb_opts_t opts = { .no_purger = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(count_list(f->store, NULL, T0), n);
	seen_clear(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(read_slot),
		T(add_read),
		T(expiry_hides),
		T(below_flag),
		T(below_many_expired),
		T(list_subtree),
		T(list_all),
		T(callback_stops),
		T_DIR(map_full_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
