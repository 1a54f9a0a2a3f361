/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: purging (module/store/lmdb/purge.c): limits, after refreshes and deletes, a full map, the background purger and its watchers.
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(purge_limit),
		T(purge_empty),
		T(purge_after_refresh),
		T(purge_after_delete),
		T_DIR(map_full_purge),
		T_DIR(purger_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
