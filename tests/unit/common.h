/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Helpers shared by the unit tests (include after cmocka.h).
 */

#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

static int test_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/*! Removes a temporary directory and everything in it; 0 on success. */
static inline int test_rmtree(const char *dir)
{
	return nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/*!
 * A fresh temporary directory /tmp/acme-test-WHAT-XXXXXX in \a dir and the
 * database path "DIR/db" in \a path; 0 on success.
 */
static inline int test_tmpdir(char dir[64], char path[128], const char *what)
{
	if (snprintf(dir, 64, "/tmp/acme-test-%s-XXXXXX", what) >= 64 || mkdtemp(dir) == NULL) {
		return -1;
	}
	snprintf(path, 128, "%s/db", dir);
	return 0;
}

/*! Domain name from text, in one of a few rotating buffers of the calling thread. */
static inline const knot_dname_t *dn(const char *str)
{
	static _Thread_local knot_dname_storage_t pool[16];
	static _Thread_local unsigned next;
	knot_dname_t *name = knot_dname_from_str(pool[next++ % 16], str, KNOT_DNAME_MAXLEN);
	assert_non_null(name);
	return name;
}

#include "module/common/clock.h"
#include "module/store/lmdb/lmdb.h"
#include "module/store/store.h"

/*!
 * Reads a name's live values the way the query path does: the store's
 * filter first (acme_store_find_okey()), then the database through reader
 * slot \a slot (-1: a transaction of its own).  Returns what
 * acme_store_read() returns; 0 (and *below false) when the filter rules
 * the name out or it is not a wire name.
 */
static inline int store_read_slot(acme_store_t *store, int slot, const knot_dname_t *owner,
                                  uint64_t now, acme_value_cb cb, void *ctx, bool *below)
{
	acme_okey_t okey;
	if (!acme_store_find_okey(store, owner, &okey)) {
		if (below != NULL) {
			*below = false;
		}
		return 0;
	}
	return acme_store_read(store, slot, &okey, now, cb, ctx, below);
}

/*! store_read_slot() in a transaction of its own. */
static inline int store_read(acme_store_t *store, const knot_dname_t *owner, uint64_t now,
                             acme_value_cb cb, void *ctx, bool *below)
{
	return store_read_slot(store, -1, owner, now, cb, ctx, below);
}

/*!
 * Applies \a count operations (no prerequisites) in one update; \a result
 * (optional) gets what changed.
 */
static inline int store_apply(acme_store_t *store, const acme_op_t *ops, size_t count,
                              const acme_policy_t *policy, uint64_t now,
                              acme_result_t *result)
{
	acme_update_t update = {
		.ops = ops, .op_count = count, .policy = policy, .now = now,
	};
	int ret = acme_store_apply(store, &update);
	if (result != NULL) {
		*result = update.result;
	}
	return ret;
}
