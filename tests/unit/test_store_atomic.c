/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The LMDB store's promises that no reply shows: an update that fails
 *        part-way leaves nothing behind (alone, and in a group commit), and
 *        database-mode robust syncs every commit while asynchronous does not.
 *
 * Syncs are counted by defining fdatasync(), fsync() and msync() in this
 * program: the dynamic linker binds liblmdb's calls to these first, which
 * count and then make the real system call.  Only a sync that waits for the
 * disk counts (an msync with MS_ASYNC merely schedules the writes).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "module/dns/value.h"

#define T0	1700000000000ULL

static const acme_policy_t POLICY = { .lifetime = 60, .max_records = 0 };

/* -- sync counting ----------------------------------------------------------- */

static atomic_uint syncs;

int fdatasync(int fd)
{
	atomic_fetch_add(&syncs, 1);
	return syscall(SYS_fdatasync, fd);
}

int fsync(int fd)
{
	atomic_fetch_add(&syncs, 1);
	return syscall(SYS_fsync, fd);
}

int msync(void *addr, size_t length, int flags)
{
	if (flags & MS_SYNC) {
		atomic_fetch_add(&syncs, 1);
	}
	return syscall(SYS_msync, addr, length, flags);
}

/* -- fixture ------------------------------------------------------------------ */

typedef struct {
	char path[64];
	acme_store_t *store;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->path, "/tmp/acme-atomic-XXXXXX");
	assert_non_null(mkdtemp(f->path));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	acme_store_close(f->store);
	assert_int_equal(test_rmtree(f->path), 0);
	free(f);
	return 0;
}

static void open_store(fixture_t *f, bool asynchronous)
{
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true,
	                           .asynchronous = asynchronous };
	assert_int_equal(acme_lmdb_open(&f->store, f->path, &opts), KNOT_EOK);
}

/*! One value: TXT rdata of \a str, kept in \a buf. */
typedef struct {
	uint8_t rdata[ACME_STORE_RDATA_MAX];
	size_t len;
} val_t;

static val_t val(const char *str)
{
	val_t v;
	assert_int_equal(acme_txt_from_str(str, v.rdata, sizeof(v.rdata), &v.len), KNOT_EOK);
	return v;
}

static acme_op_t op_add(const knot_dname_t *owner, const val_t *v)
{
	return (acme_op_t){ .type = ACME_OP_ADD, .owner = owner, .rdata = v->rdata,
	                    .rdata_len = v->len, .ttl = 60 };
}

/*! An operation the store refuses (an add without a value): it fails in the
 *  middle of an update, after the operations before it were applied. */
static acme_op_t op_bad(const knot_dname_t *owner)
{
	return (acme_op_t){ .type = ACME_OP_ADD, .owner = owner, .ttl = 60 };
}

static int apply(acme_store_t *store, const acme_op_t *ops, size_t count)
{
	return store_apply(store, ops, count, &POLICY, T0, NULL);
}

static int count_values(acme_store_t *store, const knot_dname_t *owner)
{
	return store_read(store, owner, T0, NULL, NULL, NULL);
}

/* -- all or nothing ----------------------------------------------------------- */

static void second_op_fails(fixture_t *f)
{
	knot_dname_storage_t a, b, c;
	knot_dname_from_str(a, "a.example", sizeof(a));
	knot_dname_from_str(b, "b.example", sizeof(b));
	knot_dname_from_str(c, "c.example", sizeof(c));
	val_t v1 = val("v1"), v2 = val("v2");

	/* An earlier committed value, touched by the failing update too. */
	acme_op_t first = op_add(c, &v1);
	assert_int_equal(apply(f->store, &first, 1), KNOT_EOK);

	acme_op_t ops[] = { op_add(a, &v1), op_add(c, &v2), op_bad(b), op_add(b, &v2) };
	assert_int_equal(apply(f->store, ops, 4), KNOT_EINVAL);
	assert_int_equal(count_values(f->store, a), 0);
	assert_int_equal(count_values(f->store, b), 0);
	assert_int_equal(count_values(f->store, c), 1);

	/* The store still takes updates, and the filter still finds them. */
	assert_int_equal(apply(f->store, ops, 2), KNOT_EOK);
	assert_int_equal(count_values(f->store, a), 1);
	assert_int_equal(count_values(f->store, c), 2);
}

static void failed_update_leaves_nothing_robust(void **state)
{
	fixture_t *f = *state;
	open_store(f, false);   /* group commit, a nested transaction per update */
	second_op_fails(f);
}

static void failed_update_leaves_nothing_async(void **state)
{
	fixture_t *f = *state;
	open_store(f, true);    /* one transaction per update */
	second_op_fails(f);
}

/*! Concurrent updates committed in groups: each failing one rolls back
 *  alone, every other one commits. */
#define WRITERS	8
#define ROUNDS	25

typedef struct {
	acme_store_t *store;
	int id;
	pthread_barrier_t *barrier;
	int errors;
} writer_t;

static void writer_name(knot_dname_t *out, int id, int round, bool good)
{
	char str[64];
	snprintf(str, sizeof(str), "%s%d-%d.example", good ? "good" : "bad", id, round);
	assert_non_null(knot_dname_from_str(out, str, KNOT_DNAME_MAXLEN));
}

static void *writer_main(void *arg)
{
	writer_t *w = arg;
	val_t v = val("v");
	pthread_barrier_wait(w->barrier);
	for (int r = 0; r < ROUNDS; r++) {
		knot_dname_storage_t good, bad;
		writer_name(good, w->id, r, true);
		writer_name(bad, w->id, r, false);
		/* Odd writers fail after a first add; even ones succeed. */
		acme_op_t ops[] = { op_add(w->id % 2 ? bad : good, &v),
		                    w->id % 2 ? op_bad(bad) : op_add(good, &v) };
		int ret = apply(w->store, ops, 2);
		if (ret != (w->id % 2 ? KNOT_EINVAL : KNOT_EOK)) {
			w->errors++;
		}
	}
	return NULL;
}

static void group_commit_rolls_back_failed_only(void **state)
{
	fixture_t *f = *state;
	open_store(f, false);
	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, WRITERS);
	pthread_t threads[WRITERS];
	writer_t writers[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		writers[i] = (writer_t){ .store = f->store, .id = i, .barrier = &barrier };
		assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &writers[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(writers[i].errors, 0);
	}
	pthread_barrier_destroy(&barrier);

	for (int i = 0; i < WRITERS; i++) {
		for (int r = 0; r < ROUNDS; r++) {
			knot_dname_storage_t good, bad;
			writer_name(good, i, r, true);
			writer_name(bad, i, r, false);
			assert_int_equal(count_values(f->store, good), i % 2 ? 0 : 1);
			assert_int_equal(count_values(f->store, bad), 0);
		}
	}
}

/* -- durability ---------------------------------------------------------------- */

static unsigned syncs_of_one_update(fixture_t *f, const char *owner)
{
	knot_dname_storage_t name;
	knot_dname_from_str(name, owner, sizeof(name));
	val_t v = val("durable");
	acme_op_t op = op_add(name, &v);
	unsigned before = atomic_load(&syncs);
	assert_int_equal(apply(f->store, &op, 1), KNOT_EOK);
	return atomic_load(&syncs) - before;
}

static void robust_syncs_every_commit(void **state)
{
	fixture_t *f = *state;
	open_store(f, false);
	for (int i = 0; i < 3; i++) {
		char owner[32];
		snprintf(owner, sizeof(owner), "r%d.example", i);
		assert_true(syncs_of_one_update(f, owner) >= 1);
	}
}

static void asynchronous_does_not_sync(void **state)
{
	fixture_t *f = *state;
	open_store(f, true);    /* no purger: nothing syncs in the background */
	for (int i = 0; i < 3; i++) {
		char owner[32];
		snprintf(owner, sizeof(owner), "a%d.example", i);
		assert_int_equal(syncs_of_one_update(f, owner), 0);
	}
}

/*!
 * A reload that changes database-mode opens the store again while the old
 * instance still holds it: the latest opener's mode applies to the shared
 * environment, both ways.
 */
static void reopen_changes_mode(void **state)
{
	fixture_t *f = *state;
	open_store(f, true);
	assert_int_equal(syncs_of_one_update(f, "before.example"), 0);

	acme_store_t *robust = NULL;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	assert_int_equal(acme_lmdb_open(&robust, f->path, &opts), KNOT_EOK);
	assert_ptr_equal(robust, f->store);
	for (int i = 0; i < 3; i++) {
		char owner[32];
		snprintf(owner, sizeof(owner), "robust%d.example", i);
		assert_true(syncs_of_one_update(f, owner) >= 1);
	}
	acme_store_close(f->store);
	f->store = robust;

	acme_store_t *async = NULL;
	opts.asynchronous = true;
	assert_int_equal(acme_lmdb_open(&async, f->path, &opts), KNOT_EOK);
	assert_int_equal(syncs_of_one_update(f, "after.example"), 0);
	acme_store_close(async);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(failed_update_leaves_nothing_robust, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_update_leaves_nothing_async, setup, teardown),
		cmocka_unit_test_setup_teardown(group_commit_rolls_back_failed_only, setup, teardown),
		cmocka_unit_test_setup_teardown(robust_syncs_every_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(asynchronous_does_not_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen_changes_mode, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
