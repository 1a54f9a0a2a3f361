/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "tests/unit/store_helpers.h"

int setup_dir(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	if (f == NULL || test_tmpdir(f->dir, f->path, "store") != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int setup_store(void **state)
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

int teardown(void **state)
{
	fixture_t *f = *state;
	if (f->store != NULL) {
		acme_store_close(f->store);
	}
	int ret = test_rmtree(f->dir);
	free(f);
	return ret == 0 ? 0 : -1;
}

rd_t txt(const char *str)
{
	rd_t rd;
	size_t len = 0;
	assert_int_equal(acme_txt_from_str(str, rd.data, sizeof(rd.data), &len), KNOT_EOK);
	rd.len = len;
	return rd;
}

int ignore(const acme_value_t *value, void *ctx)
{
	(void)value; (void)ctx;
	return KNOT_EOK;
}

int collect(const acme_value_t *value, void *ctx)
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

void seen_clear(seen_list_t *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

/*! Index of the value \a str in \a list (any owner), or -1. */
int seen_find(const seen_list_t *list, const char *str)
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
int seen_find_at(const seen_list_t *list, const char *owner, const char *str)
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
int rd_owner(acme_store_t *store, const char *owner, uint64_t now,
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
int ls(acme_store_t *store, const char *apex, uint64_t now, seen_list_t *out)
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
int count_at(acme_store_t *store, const char *owner, uint64_t now)
{
	seen_list_t l = { 0 };
	int ret = rd_owner(store, owner, now, &l, NULL);
	seen_clear(&l);
	return ret;
}

/*! Number of values listed at \a now (0 = everything on disk). */
int count_list(acme_store_t *store, const char *apex, uint64_t now)
{
	seen_list_t l = { 0 };
	int ret = ls(store, apex, now, &l);
	assert_int_equal(ret, KNOT_EOK);
	ret = l.count;
	seen_clear(&l);
	return ret;
}

int do_op(acme_store_t *store, acme_op_type_t type, const char *owner,
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

void purge(acme_store_t *store, uint64_t now, size_t limit,
                  size_t expect_purged, bool expect_more)
{
	size_t purged = 12345;
	bool more = !expect_more;
	assert_int_equal(acme_store_purge(store, now, limit, &purged, &more), KNOT_EOK);
	assert_int_equal(purged, expect_purged);
	assert_int_equal(more, expect_more);
}

void full_name(char *name, size_t size, int i)
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
int fill_store(fixture_t *f, const acme_policy_t *policy)
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
