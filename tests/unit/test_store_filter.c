/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: the negative filter (module/store/filter.c) and the query path's lookup by wire name (acme_store_find_okey()).
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

#include <sys/wait.h>

/*!
 * The query path asks the filter by wire name and gets the key from the same
 * walk: a name written in any case, its ancestors and labels of every length
 * (the hash reads short and long labels differently) are always found once
 * written, with the key acme_okey() gives; malformed names never are.
 */

/*! acme_store_find_okey(), checking the key it sets against acme_okey(). */
static bool found(acme_store_t *store, const char *name)
{
	acme_okey_t okey, expected;
	if (!acme_store_find_okey(store, dn(name), &okey)) {
		return false;
	}
	assert_int_equal(acme_okey(dn(name), &expected), KNOT_EOK);
	assert_int_equal(okey.len, expected.len);
	assert_memory_equal(okey.data, expected.data, okey.len);
	return true;
}

/*!
 * With a purger the store keeps a negative filter for reads: whatever this
 * process writes is seen at once, for the name and its ancestors, in every
 * database mode.
 */
static void negative_filter(void **state)
{
	fixture_t *f = *state;
	for (int mode = 0; mode < 2; mode++) {
		acme_lmdb_opts_t opts = { .create = true, .asynchronous = mode };
		assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
		uint64_t now = acme_now_ms();
		char apex[32];
		snprintf(apex, sizeof(apex), "b%d.a.example", mode);
		bool below = true;
		assert_int_equal(store_read_slot(f->store, 1, dn(apex), now, NULL,
		                                      NULL, &below), 0);
		assert_false(below);
		for (int i = 0; i < 50; i++) {
			char name[64];
			snprintf(name, sizeof(name), "n%d.m.%s", i, apex);
			assert_int_equal(ADD(f->store, name, "v", 60, now, NULL), KNOT_EOK);
			assert_int_equal(store_read_slot(f->store, 1, dn(name), now, NULL,
			                                      NULL, NULL), 1);
			below = false;
			assert_int_equal(store_read_slot(f->store, 2, dn(apex), now,
			                                      NULL, NULL, &below), 0);
			assert_true(below);
		}
		char other[48];
		snprintf(other, sizeof(other), "x.%s", apex);
		assert_int_equal(store_read(f->store, dn(other), now, NULL, NULL,
		                                 &below), 0);
		assert_false(below);
		acme_store_close(f->store);
		f->store = NULL;
	}
}

static void find_by_name(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	uint64_t now = acme_now_ms();
	static const char *names[] = {
		"a.example", "ab.example", "abcdefg.example", "abcdefgh.example",
		"_acme-challenge.www.Example.COM.alias.example",
		"0123456789012345678901234567890123456789012345678901234567890ab.example",
	};
	static const char *same[] = {
		"A.EXAMPLE", "aB.example", "ABCDEFG.example", "abcdEFGH.example",
		"_ACME-challenge.WWW.example.com.alias.EXAMPLE",
		"0123456789012345678901234567890123456789012345678901234567890AB.example",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_false(found(f->store, same[i]));
		assert_int_equal(ADD(f->store, names[i], "v", 60, now, NULL), KNOT_EOK);
		assert_true(found(f->store, names[i]));
		assert_true(found(f->store, same[i]));
	}
	assert_true(found(f->store, "example"));
	assert_true(found(f->store, "alias.example"));
	assert_true(found(f->store, "com.alias.example"));
	assert_false(found(f->store, "other.alias.example"));
	assert_false(found(f->store, "b.a.example"));

	/* A compression pointer, an over-long label: not a name to look up. */
	static const uint8_t pointer[] = { 1, 'a', 0xc0, 0x0c };
	static const uint8_t long_label[] = { 64, 'a' };
	acme_okey_t okey;
	assert_false(acme_store_find_okey(f->store, pointer, &okey));
	assert_int_equal(acme_okey(pointer, &okey), KNOT_EINVAL);
	assert_false(acme_store_find_okey(f->store, long_label, &okey));
	assert_int_equal(acme_okey(long_label, &okey), KNOT_EINVAL);

	/* Keys: lower case, and a name's okey starts with its ancestors'. */
	acme_okey_t apex, other;
	assert_int_equal(acme_okey(dn("Alias.EXAMPLE"), &apex), KNOT_EOK);
	assert_int_equal(acme_okey(dn("x.y.alias.example"), &okey), KNOT_EOK);
	assert_int_equal(acme_okey(dn("x.aliasx.example"), &other), KNOT_EOK);
	assert_memory_equal(apex.data, "\x07""example\x05""alias", apex.len);
	assert_true(acme_okey_within(&okey, &apex));
	assert_true(acme_okey_within(&apex, &apex));
	assert_false(acme_okey_within(&apex, &okey));
	assert_false(acme_okey_within(&other, &apex));
}

/*!
 * Another process (the tool) commits to the database: one write of its own,
 * with LMDB alone, in a child process that never touches the parent's
 * environment (opening the path anew, as knot-acme does).
 */
static int other_process_commits(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	int ret = mdb_env_create(&env);
	if (ret != MDB_SUCCESS) {
		return ret;
	}
	(void)mdb_env_set_maxdbs(env, 3);
	ret = mdb_env_open(env, path, MDB_NOTLS, 0600);
	if (ret == MDB_SUCCESS) {
		ret = mdb_txn_begin(env, NULL, 0, &txn);
	}
	if (ret == MDB_SUCCESS) {
		MDB_val key = { 5, "other" }, data = { 1, "1" };
		ret = mdb_dbi_open(txn, "meta", 0, &meta);
		if (ret == MDB_SUCCESS) {
			ret = mdb_put(txn, meta, &key, &data, 0);
		}
		if (ret == MDB_SUCCESS) {
			ret = mdb_txn_commit(txn);
		} else {
			mdb_txn_abort(txn);
		}
	}
	mdb_env_close(env);
	return ret;
}

/*!
 * A commit by another process leaves the filter behind: while behind it is
 * not trusted (every name is looked up, so nothing is missed), and the
 * purger rebuilds it within its interval, so names that are not there are
 * ruled out without a lookup again.
 */
static void filter_catches_up_with_other_processes(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(ADD(f->store, "here.example", "v", 60, acme_now_ms(), NULL), KNOT_EOK);
	assert_true(found(f->store, "here.example"));
	assert_false(found(f->store, "absent.example"));

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_exit(other_process_commits(f->path) == MDB_SUCCESS ? 0 : 1);
	}
	int status = -1;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	uint64_t deadline = acme_now_ms() + 10 * SEC;
	while (found(f->store, "absent.example") && acme_now_ms() < deadline) {
		struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_false(found(f->store, "absent.example"));
	assert_true(found(f->store, "here.example"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_DIR(negative_filter),
		T_DIR(find_by_name),
		T_DIR(filter_catches_up_with_other_processes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
