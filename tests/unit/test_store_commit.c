/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: group commit (module/store/lmdb/commit.c):
 *        concurrent writers, the asynchronous mode, the map reserve for adds.
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

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

/*!
 * The map reserve (room kept for deletes) holds for every update that adds,
 * whatever its first operation: on a full store, deleting a value that is
 * not there and then adding one is refused whole, and nothing is written.
 */
static void reserve_checked_whatever_comes_first(void **state)
{
	fixture_t *f = *state;
	int n = fill_store(f, &POLICY);
	char absent[64], added[64];
	full_name(absent, sizeof(absent), 0);
	full_name(added, sizeof(added), n);
	rd_t gone = txt("not-there"), value = txt(FULL_VALUE);
	knot_dname_storage_t absent_owner, added_owner;
	knot_dname_copy_lower(absent_owner, dn(absent));
	knot_dname_copy_lower(added_owner, dn(added));
	acme_op_t ops[2] = {
		{ .type = ACME_OP_DEL_VALUE, .owner = absent_owner, .rdata = gone.data,
		  .rdata_len = gone.len },
		{ .type = ACME_OP_ADD, .owner = added_owner, .rdata = value.data,
		  .rdata_len = value.len, .ttl = 60 },
	};
	acme_result_t res;
	assert_int_equal(store_apply(f->store, ops, 2, &POLICY, T0, &res), KNOT_ESPACE);
	assert_int_equal(store_read(f->store, dn(added), T0, NULL, NULL, NULL), 0);
	assert_int_equal(count_list(f->store, NULL, 0), n);

	/* The add alone is refused the same way. */
	assert_int_equal(store_apply(f->store, &ops[1], 1, &POLICY, T0, &res), KNOT_ESPACE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(concurrent_writers),
		T_DIR(asynchronous_mode),
		T_DIR(reserve_checked_whatever_comes_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
