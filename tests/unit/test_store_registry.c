/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: the registry and opening (module/store/lmdb/lmdb.c): one store per path, reference counts, read-only opening, the format version.
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

static void open_close(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };

	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_non_null(f->store);
	assert_string_equal(acme_store_where(f->store), f->path);
	assert_int_equal(count_list(f->store, NULL, 0), 0);
	assert_int_equal(ADD(f->store, "a.example", "v", 60, T0, NULL), KNOT_EOK);
	acme_store_close(f->store);
	f->store = NULL;

	/* The data is durable: a fresh open sees it. */
	opts.create = false;
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(count_at(f->store, "a.example", T0), 1);
}

static void open_refcount(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	acme_store_t *s1 = NULL, *s2 = NULL;

	assert_int_equal(acme_lmdb_open(&s1, f->path, &opts), KNOT_EOK);
	opts.create = false;
	assert_int_equal(acme_lmdb_open(&s2, f->path, &opts), KNOT_EOK);
	assert_ptr_equal(s1, s2);

	assert_int_equal(ADD(s1, "a.example", "v", 60, T0, NULL), KNOT_EOK);
	/* Dropping one reference leaves the store usable. */
	acme_store_close(s1);
	assert_int_equal(count_at(s2, "a.example", T0), 1);
	assert_int_equal(ADD(s2, "b.example", "w", 60, T0, NULL), KNOT_EOK);
	acme_store_close(s2);

	/* The last close really closed it: a read-only open now gets a new,
	 * read-only store, not the cached writable one. */
	acme_lmdb_opts_t ro = { .read_only = true, .no_purger = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &ro), KNOT_EOK);
	assert_int_equal(count_list(f->store, NULL, T0), 2);
	assert_int_not_equal(ADD(f->store, "c.example", "x", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(count_list(f->store, NULL, T0), 2);
}

static void open_other_spelling(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	acme_store_t *s1 = NULL, *s2 = NULL;
	char other[256];
	snprintf(other, sizeof(other), "%s/../%s/./db/", f->dir, strrchr(f->dir, '/') + 1);

	/* The same directory spelled differently is the same environment:
	 * LMDB must not be opened twice in one process. */
	assert_int_equal(acme_lmdb_open(&s1, f->path, &opts), KNOT_EOK);
	assert_int_equal(acme_lmdb_open(&s2, other, &opts), KNOT_EOK);
	assert_ptr_equal(s1, s2);
	acme_store_close(s2);
	acme_store_close(s1);
}

static void open_two_paths(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	char path2[256];
	snprintf(path2, sizeof(path2), "%s/db2", f->dir);
	acme_store_t *s2 = NULL;

	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(acme_lmdb_open(&s2, path2, &opts), KNOT_EOK);
	assert_ptr_not_equal(f->store, s2);
	assert_int_equal(ADD(f->store, "a.example", "one", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(s2, "a.example", "two", 60, T0, NULL), KNOT_EOK);

	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0, &l, NULL), 1);
	assert_true(seen_find(&l, "one") >= 0);
	assert_int_equal(rd_owner(s2, "a.example", T0, &l, NULL), 1);
	assert_true(seen_find(&l, "two") >= 0);
	seen_clear(&l);
	acme_store_close(s2);
}

static void open_missing(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = false, .no_purger = true };
	acme_store_t *s = NULL;

	assert_int_not_equal(acme_lmdb_open(&s, f->path, &opts), KNOT_EOK);
	opts.read_only = true;
	assert_int_not_equal(acme_lmdb_open(&s, f->path, &opts), KNOT_EOK);
	/* A failed open leaves nothing behind. */
	assert_int_not_equal(access(f->path, F_OK), 0);
}

static void open_read_only(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };

	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v", 60, T0, NULL), KNOT_EOK);
	acme_store_close(f->store);
	f->store = NULL;

	acme_lmdb_opts_t ro = { .read_only = true, .no_purger = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &ro), KNOT_EOK);
	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0, &l, NULL), 1);
	assert_true(seen_find(&l, "v") >= 0);
	assert_int_equal(ls(f->store, NULL, T0, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	seen_clear(&l);

	/* Writing fails and changes nothing. */
	assert_int_not_equal(ADD(f->store, "b.example", "w", 60, T0, NULL), KNOT_EOK);
	assert_int_not_equal(DEL_ALL(f->store, "a.example", T0, NULL), KNOT_EOK);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
}

/*! A database of another format version is refused, not misread. */
static void format_version(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	acme_store_close(f->store);
	f->store = NULL;

	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	uint32_t other = 99;
	MDB_val key = { 6, "format" }, data = { sizeof(other), &other };
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
	assert_int_equal(mdb_env_open(env, f->path, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &key, &data, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_ENOTSUP);
	opts.read_only = true;
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_ENOTSUP);
	f->store = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_DIR(open_close),
		T_DIR(open_refcount),
		T_DIR(open_other_spelling),
		T_DIR(open_two_paths),
		T_DIR(open_missing),
		T_DIR(open_read_only),
		T_DIR(format_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
