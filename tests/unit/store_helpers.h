/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What the store's unit tests share: fixtures, values, reading and
 *        applying helpers (store_helpers.c).
 *
 * The store tests follow the LMDB backend's split (module/store/lmdb/):
 * test_store_registry (lmdb.c), test_store_read (read.c), test_store_write
 * (write.c), test_store_prereq (prereq.c), test_store_commit (commit.c) and
 * test_store_atomic (all or nothing across group commits), test_store_purge
 * (purge.c), test_store_filter (filter.c, the query path's lookup) and
 * test_store_okey (key.c).
 *
 * Every test works in its own temporary directory.  Times are passed
 * explicitly (a realistic epoch, so that 32-bit truncation shows), and the
 * background purger is off except in the purger test, which uses real time.
 *
 * Listing with now = 0 shows every value still on disk, expired or not:
 * that is how the tests see what purging and deleting really removed.
 */

#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <lmdb.h>

#include "tests/unit/common.h"

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

/*! Fixture: a fresh temporary directory, and a store in it (T). */
typedef struct {
	char dir[64];
	char path[128];
	acme_store_t *store;
} fixture_t;

/*! One-string TXT rdata holding \a str. */
typedef struct {
	uint8_t data[ACME_STORE_RDATA_MAX + 16];
	uint16_t len;
} rd_t;

/*! What a reader saw: one value, copied out. */
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

#define ADD(store, owner, value, ttl, now, res) \
	do_op(store, ACME_OP_ADD, owner, value, ttl, NULL, now, res)
#define ADD_P(store, owner, value, ttl, policy, now, res) \
	do_op(store, ACME_OP_ADD, owner, value, ttl, policy, now, res)
#define DEL(store, owner, value, now, res) \
	do_op(store, ACME_OP_DEL_VALUE, owner, value, 0, NULL, now, res)
#define DEL_ALL(store, owner, now, res) \
	do_op(store, ACME_OP_DEL_ALL, owner, NULL, 0, NULL, now, res)

/*! The value fill_store() adds at every name. */
#define FULL_VALUE	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

/*! A test with a fresh store (T) or only its directory (T_DIR). */
#define T(name)    cmocka_unit_test_setup_teardown(name, setup_store, teardown)
#define T_DIR(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown)

int setup_dir(void **state);
/*! setup_dir() and a store opened in it (no purger). */
int setup_store(void **state);
int teardown(void **state);

/*! One-string TXT rdata holding \a str. */
rd_t txt(const char *str);

/*! Value callbacks: one that ignores, one that appends to a seen_list_t. */
int ignore(const acme_value_t *value, void *ctx);
int collect(const acme_value_t *value, void *ctx);
void seen_clear(seen_list_t *list);
/*! Index of the value \a str in \a list (any owner), or -1. */
int seen_find(const seen_list_t *list, const char *str);
/*! Index of the value \a str at \a owner in \a list, or -1. */
int seen_find_at(const seen_list_t *list, const char *owner, const char *str);

/*! Reads \a owner into \a out (cleared first); returns the store's return. */
int rd_owner(acme_store_t *store, const char *owner, uint64_t now,
             seen_list_t *out, bool *below);
/*! Lists \a apex (or everything) into \a out (cleared first). */
int ls(acme_store_t *store, const char *apex, uint64_t now, seen_list_t *out);
/*! Number of live values of \a owner at \a now. */
int count_at(acme_store_t *store, const char *owner, uint64_t now);
/*! Number of values listed at \a now (0 = everything on disk). */
int count_list(acme_store_t *store, const char *apex, uint64_t now);

/*! One operation in an update of its own (ADD, DEL, ... above). */
int do_op(acme_store_t *store, acme_op_type_t type, const char *owner,
          const char *value, uint32_t ttl, const acme_policy_t *policy,
          uint64_t now, acme_result_t *result);
/*! Purges and checks what was purged and whether more is left. */
void purge(acme_store_t *store, uint64_t now, size_t limit,
           size_t expect_purged, bool expect_more);

/*! Name of the i-th value of fill_store(). */
void full_name(char *name, size_t size, int i);
/*! Fills a small store until the map is full; the number of values stored. */
int fill_store(fixture_t *f, const acme_policy_t *policy);
