/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Keeping the negative filter current: covers of this process's commits,
 *        rebuilds after another process's.
 */

#include <stdlib.h>

#include "module/store/lmdb/internal.h"

/*!
 * Commits a write transaction of this process and extends the filter's
 * cover to it when the cover reached the transaction before: a commit by
 * another process in between leaves a gap only a rebuild closes.  A
 * transaction that wrote nothing is aborted (LMDB would not use up its id).
 * Commits and covers happen under one lock, so this process's own commits
 * are covered in order.
 */
int lmdb_commit_covered(lmdb_store_t *store, MDB_txn *txn)
{
	if (store->txn_writes == 0) {
		mdb_txn_abort(txn);
		return MDB_SUCCESS;
	}
	uint64_t txnid = mdb_txn_id(txn);
	pthread_mutex_lock(&store->cover_lock);
	int ret = mdb_txn_commit(txn);
	if (ret == MDB_SUCCESS) {
		uint64_t prev = txnid - 1;
		(void)atomic_compare_exchange_strong(&store->filter_txnid, &prev, txnid);
	}
	pthread_mutex_unlock(&store->cover_lock);
	return ret;
}

/*! Whether another process committed since the filter was built. */
bool lmdb_filter_behind(lmdb_store_t *store)
{
	pthread_mutex_lock(&store->cover_lock);
	bool behind = atomic_load(&store->filter_txnid) < lmdb_last_txnid(store->env);
	pthread_mutex_unlock(&store->cover_lock);
	return behind;
}

/*!
 * Builds a new filter from the whole database inside a write transaction (no
 * writer runs meanwhile) and swaps it in.
 */
int lmdb_filter_rebuild(lmdb_store_t *store)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	MDB_stat st;
	ret = mdb_stat(txn, store->values, &st);
	acme_filter_t *f = (ret == MDB_SUCCESS) ? acme_filter_new(st.ms_entries) : NULL;
	MDB_cursor *cur = NULL;
	if (f != NULL && mdb_cursor_open(txn, store->values, &cur) == MDB_SUCCESS) {
		MDB_val key, data;
		ret = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
		while (ret == MDB_SUCCESS) {
			size_t olen = value_key_owner_len(key.mv_data, key.mv_size);
			acme_filter_add_okey(f, key.mv_data, olen);
			ret = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
		}
		mdb_cursor_close(cur);
	}
	if (f == NULL || ret != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		free(f);
		return f == NULL ? KNOT_ENOMEM : lmdb_to_knot(ret);
	}
	/* The snapshot read is the last committed transaction. */
	uint64_t txnid = mdb_txn_id(txn) - 1;
	free(store->retired);
	store->retired = atomic_exchange(&store->filter, f);
	atomic_store(&store->filter_txnid, txnid);
	atomic_store(&store->filter_stale, false);
	mdb_txn_abort(txn);
	return KNOT_EOK;
}

/*! In a write transaction: a new owner goes into the filter before commit. */
void lmdb_filter_note_add(lmdb_store_t *store, const uint8_t *okey, size_t olen)
{
	acme_filter_t *f = atomic_load_explicit(&store->filter, memory_order_acquire);
	if (f == NULL) {
		return;
	}
	acme_filter_add_okey(f, okey, olen);
	if (atomic_load(&f->entries) * ACME_FILTER_BITS_PER_ENTRY > f->mask + 1) {
		atomic_store(&store->filter_stale, true); /* Rebuild larger. */
	}
}
