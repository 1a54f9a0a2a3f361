/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the challenge store (module/store/store.c).
 *
 * Every test works in its own temporary directory.  Times are passed
 * explicitly (a realistic epoch, so that 32-bit truncation shows), and the
 * background purger is off except in the purger test, which uses real time.
 *
 * Listing with now = 0 shows every value still on disk, expired or not:
 * that is how the tests see what purging and deleting really removed.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <lmdb.h>

#include "tests/unit/common.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "module/store/store.h"
#include "module/dns/value.h"

/*! Base time: 2023-11-14, past 2^32 ms, so that truncated times show. */
#define T0	1700000000000ULL

/*! Seconds to milliseconds. */
#define SEC	1000ULL

static const acme_policy_t POLICY = { .lifetime = 60, .max_records = 0 };

/* Fixture: a fresh temporary directory, and a store in it. */

typedef struct {
	char dir[64];
	char path[128];
	acme_store_t *store;
} fixture_t;

static int setup_dir(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		return -1;
	}
	strcpy(f->dir, "/tmp/acme-test-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state);

static int setup_store(void **state)
{
	if (setup_dir(state) != 0) {
		return -1;
	}
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	if (acme_lmdb_open(&f->store, f->path, &opts) != KNOT_EOK) {
		f->store = NULL;
		teardown(state); /* cmocka does not tear down after a failed setup */
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	if (f->store != NULL) {
		acme_store_close(f->store);
	}
	int ret = test_rmtree(f->dir);
	free(f);
	return ret == 0 ? 0 : -1;
}

/* Names and values. */

/*! One-string TXT rdata holding \a str. */
typedef struct {
	uint8_t data[ACME_STORE_RDATA_MAX + 16];
	uint16_t len;
} rd_t;

static rd_t txt(const char *str)
{
	rd_t rd;
	size_t len = 0;
	assert_int_equal(acme_txt_from_str(str, rd.data, sizeof(rd.data), &len), KNOT_EOK);
	rd.len = len;
	return rd;
}

/* Collecting what readers see. */

typedef struct {
	knot_dname_storage_t owner;
	uint8_t rdata[ACME_STORE_RDATA_MAX];
	uint16_t rdata_len;
	uint32_t ttl;
	uint64_t added;
	uint64_t expires;
} seen_t;

typedef struct {
	size_t count;
	size_t cap;
	seen_t *v;
} seen_list_t;

static int ignore(const acme_value_t *value, void *ctx)
{
	(void)value; (void)ctx;
	return KNOT_EOK;
}

static int collect(const acme_value_t *value, void *ctx)
{
	seen_list_t *list = ctx;
	if (list->count == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 16;
		list->v = realloc(list->v, list->cap * sizeof(*list->v));
		assert_non_null(list->v);
	}
	seen_t *s = &list->v[list->count++];
	assert_non_null(value->owner);
	assert_true(knot_dname_size(value->owner) <= KNOT_DNAME_MAXLEN);
	assert_true(knot_dname_store(s->owner, value->owner) > 0);
	assert_true(value->rdata_len <= ACME_STORE_RDATA_MAX);
	memcpy(s->rdata, value->rdata, value->rdata_len);
	s->rdata_len = value->rdata_len;
	s->ttl = value->ttl;
	s->added = value->added;
	s->expires = value->expires;
	return KNOT_EOK;
}

static void seen_clear(seen_list_t *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/*! Index of the value \a str in \a list (any owner), or -1. */
static int seen_find(const seen_list_t *list, const char *str)
{
	rd_t rd = txt(str);
	for (size_t i = 0; i < list->count; i++) {
		if (list->v[i].rdata_len == rd.len &&
		    memcmp(list->v[i].rdata, rd.data, rd.len) == 0) {
			return i;
		}
	}
	return -1;
}

/*! Index of the value \a str at \a owner in \a list, or -1. */
static int seen_find_at(const seen_list_t *list, const char *owner, const char *str)
{
	rd_t rd = txt(str);
	const knot_dname_t *name = dn(owner);
	for (size_t i = 0; i < list->count; i++) {
		if (knot_dname_is_equal(list->v[i].owner, name) &&
		    list->v[i].rdata_len == rd.len &&
		    memcmp(list->v[i].rdata, rd.data, rd.len) == 0) {
			return i;
		}
	}
	return -1;
}

/*! Reads \a owner into \a out (cleared first); returns the store's return. */
static int rd_owner(acme_store_t *store, const char *owner, uint64_t now,
                    seen_list_t *out, bool *below)
{
	seen_clear(out);
	int ret = store_read(store, dn(owner), now, collect, out, below);
	if (ret >= 0) {
		assert_int_equal(ret, out->count);
	}
	return ret;
}

/*!
 * Lists \a apex (or everything) into \a out (cleared first).
 *
 * store.h does not say what a successful list returns: KNOT_EOK and the
 * number of values walked (as reads return) are both accepted.
 */
static int ls(acme_store_t *store, const char *apex, uint64_t now, seen_list_t *out)
{
	seen_clear(out);
	int ret = acme_store_list(store, apex ? dn(apex) : NULL, now, collect, out);
	if (ret > 0) {
		assert_int_equal(ret, out->count);
		ret = KNOT_EOK;
	}
	return ret;
}

/*! Number of live values of \a owner at \a now. */
static int count_at(acme_store_t *store, const char *owner, uint64_t now)
{
	seen_list_t l = { 0 };
	int ret = rd_owner(store, owner, now, &l, NULL);
	seen_clear(&l);
	return ret;
}

/*! Number of values listed at \a now (0 = everything on disk). */
static int count_list(acme_store_t *store, const char *apex, uint64_t now)
{
	seen_list_t l = { 0 };
	int ret = ls(store, apex, now, &l);
	assert_int_equal(ret, KNOT_EOK);
	ret = l.count;
	seen_clear(&l);
	return ret;
}

/* Applying operations. */

static int do_op(acme_store_t *store, acme_op_type_t type, const char *owner,
                 const char *value, uint32_t ttl, const acme_policy_t *policy,
                 uint64_t now, acme_result_t *result)
{
	rd_t rd = { .len = 0 };
	if (value != NULL) {
		rd = txt(value);
	}
	acme_op_t op = {
		.type = type,
		.owner = dn(owner),
		.rdata = value ? rd.data : NULL,
		.rdata_len = rd.len,
		.ttl = ttl,
	};
	acme_result_t dummy;
	if (result == NULL) {
		result = &dummy;
	}
	memset(result, 0, sizeof(*result));
	return store_apply(store, &op, 1, policy ? policy : &POLICY, now, result);
}

#define ADD(store, owner, value, ttl, now, res) \
	do_op(store, ACME_OP_ADD, owner, value, ttl, NULL, now, res)
#define ADD_P(store, owner, value, ttl, policy, now, res) \
	do_op(store, ACME_OP_ADD, owner, value, ttl, policy, now, res)
#define DEL(store, owner, value, now, res) \
	do_op(store, ACME_OP_DEL_VALUE, owner, value, 0, NULL, now, res)
#define DEL_ALL(store, owner, now, res) \
	do_op(store, ACME_OP_DEL_ALL, owner, NULL, 0, NULL, now, res)

static void purge(acme_store_t *store, uint64_t now, size_t limit,
                  size_t expect_purged, bool expect_more)
{
	size_t purged = 12345;
	bool more = !expect_more;
	assert_int_equal(acme_store_purge(store, now, limit, &purged, &more), KNOT_EOK);
	assert_int_equal(purged, expect_purged);
	assert_int_equal(more, expect_more);
}

/* Opening and closing. */

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

/* Adding and reading. */

/* Concurrent writers: group commit of several threads' updates. */

typedef struct {
	acme_store_t *store;
	int id;
	int ok;
	int refused;
	int other;
} writer_t;

#define WRITERS		8
#define WRITES		200

static void *writer_main(void *arg)
{
	writer_t *w = arg;
	for (int i = 0; i < WRITES; i++) {
		char name[64], value[32];
		snprintf(name, sizeof(name), "w%d-%d.example.", w->id, i);
		snprintf(value, sizeof(value), "value-%d-%d", w->id, i);
		knot_dname_storage_t owner;
		uint8_t rd[64];
		size_t len = 0;
		if (knot_dname_from_str(owner, name, sizeof(owner)) == NULL ||
		    acme_txt_from_str(value, rd, sizeof(rd), &len) != KNOT_EOK) {
			w->other++;
			continue;
		}
		acme_op_t op = { .type = ACME_OP_ADD, .owner = owner, .rdata = rd,
		                 .rdata_len = len, .ttl = 60 };
		/*
		 * Every odd-numbered update of a writer wants its new name in
		 * use already: refused.  The even ones want it unused: hold.
		 */
		acme_prereq_t prereq = {
			.type = (i % 2) ? ACME_PREREQ_NAME_IN_USE : ACME_PREREQ_NAME_UNUSED,
			.owner = owner,
		};
		acme_update_t u = {
			.prereqs = &prereq, .prereq_count = 1,
			.ops = &op, .op_count = 1, .policy = &POLICY, .now = T0,
		};
		int ret = acme_store_apply(w->store, &u);
		if (ret == KNOT_EOK && u.result.added == 1) {
			w->ok++;
		} else if (ret == KNOT_EPREREQ && u.failed == 0) {
			w->refused++;
		} else {
			w->other++;
		}
	}
	return NULL;
}

/*!
 * Threads writing at once (robust mode commits them in groups): every
 * accepted update is stored, every refused one is not, and a refused update
 * in a group does not take the others down with it.
 */
static void concurrent_writers(void **state)
{
	fixture_t *f = *state;
	pthread_t threads[WRITERS];
	writer_t writers[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		writers[i] = (writer_t){ .store = f->store, .id = i };
		assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &writers[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(writers[i].ok, WRITES / 2);
		assert_int_equal(writers[i].refused, WRITES / 2);
		assert_int_equal(writers[i].other, 0);
	}
	assert_int_equal(count_list(f->store, NULL, T0), WRITERS * WRITES / 2);
	for (int i = 0; i < WRITES; i++) {
		char name[64];
		snprintf(name, sizeof(name), "w%d-%d.example.", i % WRITERS, i);
		assert_int_equal(store_read(f->store, dn(name), T0, NULL, NULL, NULL),
		                 (i % 2) ? 0 : 1);
	}
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

/*!
 * The query path asks the filter by wire name and gets the key from the same
 * walk: a name written in any case, its ancestors and labels of every length
 * (the hash reads short and long labels differently) are always found once
 * written, with the key acme_store_key() gives; malformed names never are.
 */

/*! acme_store_find_key(), checking the key it sets against acme_store_key(). */
static bool found(acme_store_t *store, const char *name)
{
	acme_store_key_t key, expected;
	if (!acme_store_find_key(store, dn(name), &key)) {
		return false;
	}
	assert_int_equal(acme_store_key(dn(name), &expected), KNOT_EOK);
	assert_int_equal(key.len, expected.len);
	assert_memory_equal(key.data, expected.data, key.len);
	return true;
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
	acme_store_key_t key;
	assert_false(acme_store_find_key(f->store, pointer, &key));
	assert_int_equal(acme_store_key(pointer, &key), KNOT_EINVAL);
	assert_false(acme_store_find_key(f->store, long_label, &key));
	assert_int_equal(acme_store_key(long_label, &key), KNOT_EINVAL);

	/* Keys: lower case, and a name's key starts with its ancestors'. */
	acme_store_key_t apex, other;
	assert_int_equal(acme_store_key(dn("Alias.EXAMPLE"), &apex), KNOT_EOK);
	assert_int_equal(acme_store_key(dn("x.y.alias.example"), &key), KNOT_EOK);
	assert_int_equal(acme_store_key(dn("x.aliasx.example"), &other), KNOT_EOK);
	assert_memory_equal(apex.data, "\x07""example\x05""alias", apex.len);
	assert_true(acme_store_key_within(&key, &apex));
	assert_true(acme_store_key_within(&apex, &apex));
	assert_false(acme_store_key_within(&apex, &key));
	assert_false(acme_store_key_within(&other, &apex));
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

/*! Asynchronous mode commits without fsync; reopened, the values are there. */
static void asynchronous_mode(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true, .asynchronous = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	acme_store_close(f->store);
	f->store = NULL;
	opts.asynchronous = false;
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	assert_int_equal(store_read(f->store, dn("a.example"), T0, NULL, NULL, NULL), 1);
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

/* Deleting. */

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

/* All or nothing. */

/*! A prerequisite that does not hold: nothing written, its index reported. */
static void apply_prereq_denies(void **state)
{
	fixture_t *f = *state;
	rd_t v1 = txt("v1"), v2 = txt("v2"), old = txt("old");
	const knot_dname_t *a = dn("a.example"), *b = dn("b.example");
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "old", 60, T0, NULL), KNOT_EOK);

	const acme_op_t ops[] = {
		{ ACME_OP_ADD, a, v1.data, v1.len, 60 },
		{ ACME_OP_ADD, b, v2.data, v2.len, 60 },
		{ ACME_OP_ADD, a, old.data, old.len, 60 },
		{ ACME_OP_DEL_VALUE, a, old.data, old.len, 0 },
	};
	const acme_prereq_t prereqs[] = {
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = b },
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = a }, /* "old" is live. */
	};
	acme_update_t u = {
		.prereqs = prereqs, .prereq_count = 2,
		.ops = ops, .op_count = 4, .policy = &POLICY, .now = T0 + SEC,
	};
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 1);
	(void)res;

	seen_list_t l = { 0 };
	assert_int_equal(ls(f->store, NULL, 0, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	assert_true(seen_find_at(&l, "a.example", "old") >= 0);
	/* Not even refreshed. */
	assert_int_equal(l.v[0].added, T0);
	assert_int_equal(l.v[0].expires, T0 + POLICY.lifetime * SEC);

	/* A prerequisite that denies only a DEL_ALL: nothing deleted. */
	const acme_op_t del[] = { { ACME_OP_DEL_ALL, a, NULL, 0, 0 } };
	u = (acme_update_t){
		.prereqs = prereqs + 1, .prereq_count = 1,
		.ops = del, .op_count = 1, .policy = &POLICY, .now = T0 + SEC,
	};
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 0);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	seen_clear(&l);
}

/*!
 * Prerequisites are evaluated before the operations of their update, and
 * after the updates applied before it; expired values do not count, values
 * below a name do not make it in use.
 */
static void apply_prereq_sees_before(void **state)
{
	fixture_t *f = *state;
	rd_t v2 = txt("v2"), v1 = txt("v1");
	const knot_dname_t *a = dn("a.example");
	acme_result_t res;

	acme_policy_t short_life = { .lifetime = 1 };
	assert_int_equal(ADD_P(f->store, "old.example", "x", 60, &short_life, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);

	const acme_op_t ops[] = {
		{ ACME_OP_ADD, a, v2.data, v2.len, 60 },
		{ ACME_OP_DEL_VALUE, a, v1.data, v1.len, 0 },
	};
	const acme_rdata_t want_v1[] = { { v1.data, v1.len } };
	const acme_rdata_t want_v2[] = { { v2.data, v2.len } };
	acme_prereq_t before[] = {
		/* The state before the operations... */
		{ .type = ACME_PREREQ_TXT_EQUALS, .owner = a, .values = want_v1, .count = 1 },
		/* ...only values below it... */
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = dn("example") },
		/* ...and only live values. */
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = dn("old.example") },
	};
	acme_update_t u = {
		.prereqs = before, .prereq_count = 3,
		.ops = ops, .op_count = 2, .policy = &POLICY, .now = T0 + 2 * SEC,
	};
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EOK);

	/* The operations then applied. */
	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 2 * SEC, &l, NULL), 1);
	assert_true(seen_find(&l, "v2") >= 0);
	assert_int_equal(u.result.added, 1);
	assert_int_equal(u.result.deleted, 1);

	/* Prerequisites see values added by an earlier update. */
	u.now = T0 + 3 * SEC;
	u.op_count = 1;
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 0);
	before[0].values = want_v2;
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EOK);
	assert_int_equal(u.result.refreshed, 1);
	(void)res;
	seen_clear(&l);
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

/* Expiry. */

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

/* max_records. */

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

/* Purging. */

static void purge_limit(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };

	/* e0..e4 expire at T0+10s..T0+14s; "live" much later. */
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "e%d.example", i);
		assert_int_equal(ADD_P(f->store, name, "v", 60, &p10, T0 + i * SEC, NULL), KNOT_EOK);
	}
	assert_int_equal(ADD(f->store, "live.example", "v", 60, T0, NULL), KNOT_EOK);
	/* e0 also has a live value, expiring at T0+60s. */
	assert_int_equal(ADD(f->store, "e0.example", "w", 60, T0, NULL), KNOT_EOK);

	/* Nothing expired yet. */
	purge(f->store, T0 + 10 * SEC - 1, 0, 0, false);
	assert_int_equal(count_list(f->store, NULL, 0), 7);

	/* At T0+13s: e0, e1, e2, e3 are expired. */
	const uint64_t now = T0 + 13 * SEC;
	seen_list_t before = { 0 }, after = { 0 };
	assert_int_equal(ls(f->store, NULL, now, &before), KNOT_EOK);
	assert_int_equal(before.count, 3);

	purge(f->store, now, 2, 2, true);
	assert_int_equal(count_list(f->store, NULL, 0), 5);
	purge(f->store, now, 1, 1, true);
	/* Exactly the limit left: none remain afterwards. */
	purge(f->store, now, 1, 1, false);
	assert_int_equal(count_list(f->store, NULL, 0), 3);
	purge(f->store, now, 0, 0, false);

	/* What readers see did not change. */
	assert_int_equal(ls(f->store, NULL, now, &after), KNOT_EOK);
	assert_int_equal(after.count, before.count);
	for (size_t i = 0; i < before.count; i++) {
		assert_true(knot_dname_is_equal(before.v[i].owner, after.v[i].owner));
		assert_int_equal(before.v[i].rdata_len, after.v[i].rdata_len);
		assert_memory_equal(before.v[i].rdata, after.v[i].rdata, before.v[i].rdata_len);
		assert_int_equal(before.v[i].expires, after.v[i].expires);
	}
	/* e4, live and e0's second value remain on disk. */
	assert_int_equal(ls(f->store, NULL, 0, &after), KNOT_EOK);
	assert_int_equal(after.count, 3);
	assert_true(seen_find_at(&after, "e4.example", "v") >= 0);
	assert_true(seen_find_at(&after, "live.example", "v") >= 0);
	assert_true(seen_find_at(&after, "e0.example", "w") >= 0);

	/* Later, without limit, all of them (e0's w at T0+60s). */
	purge(f->store, T0 + 1000 * SEC, 0, 3, false);
	assert_int_equal(count_list(f->store, NULL, 0), 0);
	purge(f->store, T0 + 1000 * SEC, 0, 0, false);
	seen_clear(&before);
	seen_clear(&after);
}

static void purge_empty(void **state)
{
	fixture_t *f = *state;
	purge(f->store, T0, 0, 0, false);
	purge(f->store, T0, 5, 0, false);
}

static void purge_after_refresh(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };

	assert_int_equal(ADD_P(f->store, "a.example", "v", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "a.example", "v", 60, &p10, T0 + 5 * SEC, NULL), KNOT_EOK);

	/* b expires before a's old expiry time. */
	assert_int_equal(ADD_P(f->store, "b.example", "v", 60, &p10, T0 - 5 * SEC, NULL), KNOT_EOK);

	/* Past a's old expiry: only b goes, and nothing expired remains (an
	 * index entry left at a's old time must not count as "more"). */
	purge(f->store, T0 + 12 * SEC, 1, 1, false);
	purge(f->store, T0 + 12 * SEC, 0, 0, false);
	assert_int_equal(count_at(f->store, "a.example", T0 + 12 * SEC), 1);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	/* At the new expiry it goes. */
	purge(f->store, T0 + 15 * SEC, 0, 1, false);
	assert_int_equal(count_list(f->store, NULL, 0), 0);
	purge(f->store, T0 + 100 * SEC, 0, 0, false);
}

static void purge_after_delete(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };

	/* Values deleted by DEL_VALUE and DEL_ALL leave no expiry entries:
	 * the values that stay expire first, the deleted ones later, so an
	 * entry left behind would show as "more" after purging the first two. */
	assert_int_equal(ADD_P(f->store, "a.example", "v1", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "a.example", "v2", 60, &p10, T0 - SEC, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "b.example", "v1", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "b.example", "v2", 60, &p10, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "c.example", "v1", 60, &p10, T0 - SEC, NULL), KNOT_EOK);
	assert_int_equal(DEL(f->store, "a.example", "v1", T0, NULL), KNOT_EOK);
	assert_int_equal(DEL_ALL(f->store, "b.example", T0, NULL), KNOT_EOK);

	purge(f->store, T0 + 100 * SEC, 2, 2, false);
	assert_int_equal(count_list(f->store, NULL, 0), 0);
	purge(f->store, T0 + 100 * SEC, 0, 0, false);

	/* Re-adding after a purge works and is purged again in its time. */
	assert_int_equal(ADD_P(f->store, "a.example", "v1", 60, &p10, T0 + 200 * SEC, NULL), KNOT_EOK);
	assert_int_equal(count_at(f->store, "a.example", T0 + 200 * SEC), 1);
	purge(f->store, T0 + 209 * SEC, 0, 0, false);
	purge(f->store, T0 + 210 * SEC, 0, 1, false);
}

/* Listing. */

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

static int stop_after_two(const acme_value_t *value, void *ctx)
{
	(void)value;
	int *n = ctx;
	return ++(*n) == 2 ? KNOT_ELIMIT : KNOT_EOK;
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

/* A full database. */

static const char *FULL_VALUE = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";

static void full_name(char *name, size_t size, int i)
{
	snprintf(name, size, "_acme-challenge.n%05d.example", i);
}

/*!
 * Opens a store with a small map and adds one value per owner, one update
 * each, until the map is full.  Returns the number of values stored.
 *
 * 128 pages: in much smaller maps LMDB's copy-on-write churn (pages freed by
 * the last two transactions are not reusable yet) dominates what is free.
 */
static int fill_store(fixture_t *f, const acme_policy_t *policy)
{
	if (f->store == NULL) {
		acme_lmdb_opts_t opts = { .map_size = 128 * 4096, .create = true,
		                           .no_purger = true };
		assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
	}
	char name[64];
	int ret = KNOT_EOK;
	int n;
	for (n = 0; n < 100000; n++) {
		full_name(name, sizeof(name), n);
		ret = ADD_P(f->store, name, FULL_VALUE, 60, policy, T0, NULL);
		if (ret != KNOT_EOK) {
			break;
		}
	}
	assert_int_equal(ret, KNOT_ESPACE);
	assert_true(n > 10);
	return n;
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

static void map_full_purge(void **state)
{
	fixture_t *f = *state;
	acme_policy_t p10 = { .lifetime = 10 };
	int n = fill_store(f, &p10);
	char name[64];

	/* The purger can always empty a full store of expired values. */
	size_t purged = 0, total = 0;
	bool more = true;
	for (int rounds = 0; more; rounds++) {
		assert_true(rounds < 1000);
		int ret = acme_store_purge(f->store, T0 + 20 * SEC, 100, &purged, &more);
		if (ret != KNOT_EOK) {
			fail_msg("purge round %d on a full store of %d expired values: %s",
			         rounds + 1, n, knot_strerror(ret));
		}
		assert_true(purged > 0);
		total += purged;
	}
	assert_int_equal(total, n);
	assert_int_equal(count_list(f->store, NULL, 0), 0);

	full_name(name, sizeof(name), n);
	assert_int_equal(ADD(f->store, name, FULL_VALUE, 60, T0 + 20 * SEC, NULL), KNOT_EOK);
	assert_int_equal(count_at(f->store, name, T0 + 20 * SEC), 1);
}

/* The background purger. */

typedef struct {
	pthread_mutex_t lock;
	int calls;
	knot_dname_storage_t owner;
} watch_ctx_t;

static void on_purge(const knot_dname_t *owner, void *ctx)
{
	watch_ctx_t *w = ctx;
	pthread_mutex_lock(&w->lock);
	w->calls++;
	(void)!knot_dname_store(w->owner, owner);
	pthread_mutex_unlock(&w->lock);
}

static int watch_calls(watch_ctx_t *w)
{
	pthread_mutex_lock(&w->lock);
	int calls = w->calls;
	pthread_mutex_unlock(&w->lock);
	return calls;
}

static void purger_thread(void **state)
{
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);

	watch_ctx_t w1 = { .lock = PTHREAD_MUTEX_INITIALIZER };
	watch_ctx_t w2 = { .lock = PTHREAD_MUTEX_INITIALIZER };
	assert_int_equal(acme_store_watch(f->store, on_purge, &w1), KNOT_EOK);
	assert_int_equal(acme_store_watch(f->store, on_purge, &w2), KNOT_EOK);
	/* Cancelled before anything expires: never called. */
	acme_store_unwatch(f->store, on_purge, &w2);

	acme_policy_t p1 = { .lifetime = 1 };
	uint64_t start = acme_now_ms();
	assert_int_equal(ADD_P(f->store, "Purge.Example", "v", 60, &p1, start, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "keep.example", "v", 60, start, NULL), KNOT_EOK);

	while (watch_calls(&w1) == 0 && acme_now_ms() < start + 3 * SEC) {
		struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_true(watch_calls(&w1) >= 1);
	assert_true(acme_now_ms() >= start + 1 * SEC);
	pthread_mutex_lock(&w1.lock);
	assert_true(knot_dname_is_equal(w1.owner, dn("purge.example")));
	pthread_mutex_unlock(&w1.lock);
	assert_int_equal(watch_calls(&w2), 0);

	/* Really removed; the live value stays. */
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	assert_int_equal(count_at(f->store, "keep.example", acme_now_ms()), 1);

	acme_store_unwatch(f->store, on_purge, &w1);

	/* Closing stops and joins the purger. */
	acme_store_close(f->store);
	f->store = NULL;
}

#define T(name)    cmocka_unit_test_setup_teardown(name, setup_store, teardown)
#define T_DIR(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_DIR(open_close),
		T_DIR(open_refcount),
		T_DIR(open_other_spelling),
		T_DIR(open_two_paths),
		T_DIR(open_missing),
		T_DIR(open_read_only),
		T(concurrent_writers),
		T_DIR(negative_filter),
		T_DIR(find_by_name),
		T_DIR(format_version),
		T(read_slot),
		T_DIR(asynchronous_mode),
		T(add_read),
		T(add_case_insensitive),
		T(owners_isolated),
		T(add_refresh),
		T(ops_in_one_update),
		T(del_value),
		T(del_all),
		T(apply_prereq_denies),
		T(apply_prereq_sees_before),
		T(rdata_too_large),
		T(expiry_hides),
		T(expiry_removed_on_apply),
		T(below_flag),
		T(below_many_expired),
		T(max_records_drop_oldest),
		T(max_records_ignores_expired),
		T(max_records_unlimited),
		T(purge_limit),
		T(purge_empty),
		T(purge_after_refresh),
		T(purge_after_delete),
		T(list_subtree),
		T(list_all),
		T(callback_stops),
		T_DIR(map_full_reads),
		T_DIR(map_full_delete),
		T_DIR(map_full_purge),
		T_DIR(purger_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
