/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Reads of the LMDB store: the query path (negative filter, reader
 *        slots), listing.
 */


#include "module/store/lmdb/internal.h"

static int value_emit(const MDB_val *key, const value_rec_t *rec,
                      acme_value_cb cb, void *ctx)
{
	if (cb == NULL) {
		return KNOT_EOK;
	}
	const uint8_t *k = key->mv_data;
	size_t olen = value_key_owner_len(k, key->mv_size);
	if (olen >= key->mv_size) {
		return KNOT_EOK; /* Malformed key, skip it. */
	}
	knot_dname_storage_t owner;
	acme_okey_to_name(k, olen, owner);
	acme_value_t value = {
		.owner = owner,
		.rdata = k + olen + 1,
		.rdata_len = key->mv_size - olen - 1,
		.ttl = rec->ttl,
		.added = rec->added,
		.expires = rec->expires,
	};
	return cb(&value, ctx);
}

/*! Walks live values whose key starts with \a prefix. Returns count or error. */
static int walk_prefix(MDB_cursor *cur, const uint8_t *prefix, size_t len,
                       uint64_t now, acme_value_cb cb, void *ctx)
{
	int count = 0;
	MDB_val key = { len, (void *)prefix }, data;
	/* LMDB refuses an empty key: the empty prefix is the whole database. */
	int ret = mdb_cursor_get(cur, &key, &data, len > 0 ? MDB_SET_RANGE : MDB_FIRST);
	while (ret == MDB_SUCCESS && has_prefix(&key, prefix, len)) {
		value_rec_t rec;
		if (value_rec_get(&data, &rec) && rec.expires > now) {
			count++;
			int cb_ret = value_emit(&key, &rec, cb, ctx);
			if (cb_ret != KNOT_EOK) {
				return cb_ret;
			}
		}
		ret = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
	}
	if (ret != MDB_SUCCESS && ret != MDB_NOTFOUND) {
		return lmdb_to_knot(ret);
	}
	return count;
}

/*!
 * One seek serves both questions: an owner's values sort first after the
 * owner key, its descendants right after them.  The descendants are looked at
 * only when the owner has no live value and the caller asks.
 */
int lmdb_cursor_read(MDB_cursor *cur, const uint8_t *okey, int olen, uint64_t now,
                       acme_value_cb cb, void *ctx, bool *below)
{
	uint8_t prefix[OWNER_KEY_MAX + 1];
	memcpy(prefix, okey, olen);
	prefix[olen] = 0;
	if (below != NULL) {
		*below = false;
	}
	int count = 0;
	MDB_val key = { olen + 1, prefix }, data;
	int ret = mdb_cursor_get(cur, &key, &data, MDB_SET_RANGE);
	while (ret == MDB_SUCCESS && has_prefix(&key, prefix, olen)) {
		bool own = ((const uint8_t *)key.mv_data)[olen] == 0;
		if (!own && (count > 0 || below == NULL)) {
			break;
		}
		value_rec_t rec;
		if (value_rec_get(&data, &rec) && rec.expires > now) {
			if (!own) {
				*below = true;
				break;
			}
			count++;
			int cb_ret = value_emit(&key, &rec, cb, ctx);
			if (cb_ret != KNOT_EOK) {
				return cb_ret;
			}
		}
		ret = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
	}
	if (ret != MDB_SUCCESS && ret != MDB_NOTFOUND) {
		return lmdb_to_knot(ret);
	}
	return count;
}

/*!
 * A reader slot keeps a reset read transaction and its cursor: renewing them
 * costs no allocation and no lock on LMDB's reader table, unlike a new
 * transaction per query.
 */
static int slot_begin(lmdb_store_t *store, int slot, MDB_cursor **cur)
{
	reader_t *r = &store->readers[slot];
	int ret;
	if (r->txn == NULL) {
		ret = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &r->txn);
		if (ret == MDB_SUCCESS) {
			ret = mdb_cursor_open(r->txn, store->values, &r->cur);
			if (ret != MDB_SUCCESS) {
				mdb_txn_abort(r->txn);
				r->txn = NULL;
			}
		}
	} else {
		ret = mdb_txn_renew(r->txn);
		if (ret == MDB_SUCCESS) {
			ret = mdb_cursor_renew(r->txn, r->cur);
		}
		if (ret != MDB_SUCCESS) { /* Start afresh next time. */
			mdb_cursor_close(r->cur);
			mdb_txn_abort(r->txn);
			r->txn = NULL;
		}
	}
	*cur = r->cur;
	return ret;
}

bool lmdb_find_okey(acme_store_t *base, const knot_dname_t *name, acme_okey_t *okey)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (name == NULL || okey == NULL) {
		return false;
	}
	uint8_t starts[KNOT_DNAME_MAXLABELS];
	int count = acme_okey_labels(name, starts);
	if (count < 0) {
		return false;
	}
	uint64_t h = ACME_FILTER_HASH_SEED;
	for (int i = count - 1; i >= 0; i--) {
		h = acme_filter_hash_label(h, name + starts[i]);
	}
	if (lmdb_filter_absent(store, acme_filter_hash_final(h))) {
		return false;
	}
	okey->len = acme_okey_from_labels(name, starts, count, okey->data);
	return true;
}

int lmdb_read(acme_store_t *base, int slot, const acme_okey_t *okey,
                     uint64_t now, acme_value_cb cb, void *ctx, bool *below)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (okey == NULL) {
		return KNOT_EINVAL;
	}
	MDB_cursor *cur;
	MDB_txn *txn = NULL;
	int ret;
	if (slot < 0 || slot >= ACME_STORE_SLOTS) {
		ret = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn);
		if (ret == MDB_SUCCESS) {
			ret = mdb_cursor_open(txn, store->values, &cur);
			if (ret != MDB_SUCCESS) {
				mdb_txn_abort(txn);
			}
		}
	} else {
		ret = slot_begin(store, slot, &cur);
	}
	if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	ret = lmdb_cursor_read(cur, okey->data, okey->len, now, cb, ctx, below);
	if (txn != NULL) {
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
	} else {
		mdb_txn_reset(store->readers[slot].txn);
	}
	return ret;
}

int lmdb_list(acme_store_t *base, const knot_dname_t *apex, uint64_t now,
                     acme_value_cb cb, void *ctx)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	uint8_t prefix[OWNER_KEY_MAX];
	int plen = 0;
	if (apex != NULL && (plen = acme_okey_write(apex, prefix)) < 0) {
		return KNOT_EINVAL;
	}
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn);
	if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	MDB_cursor *cur;
	ret = mdb_cursor_open(txn, store->values, &cur);
	if (ret != MDB_SUCCESS) {
		mdb_txn_abort(txn);
		return lmdb_to_knot(ret);
	}
	ret = walk_prefix(cur, prefix, plen, now, cb, ctx);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}
