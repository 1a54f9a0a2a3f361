/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Operations of an update in an LMDB write transaction, and the map
 *        reserve that keeps room for deletes.
 */


#include "module/store/lmdb/internal.h"

/*! Pages kept free for deletes and purges at least (one large update). */
#define RESERVE_MIN_PAGES	64

/*! Writes of the current write transaction of this process (see lmdb_commit_covered()). */
int lmdb_db_put(lmdb_store_t *store, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	int ret = mdb_put(txn, dbi, key, data, 0);
	if (ret == MDB_SUCCESS) {
		store->txn_writes++;
	}
	return ret;
}

int lmdb_db_del(lmdb_store_t *store, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	int ret = mdb_del(txn, dbi, key, data);
	if (ret == MDB_SUCCESS) {
		store->txn_writes++;
	}
	return ret;
}

/*! Removes a value and its expiry index entry. */
static int value_remove(MDB_txn *txn, lmdb_store_t *store, MDB_val *key,
                        const value_rec_t *rec)
{
	uint8_t when[8];
	be64_put(when, rec->expires);
	MDB_val ekey = { sizeof(when), when };
	MDB_val edata = *key;
	int ret = lmdb_db_del(store, txn, store->expiry, &ekey, &edata);
	if (ret != MDB_SUCCESS && ret != MDB_NOTFOUND) {
		return ret;
	}
	return lmdb_db_del(store, txn, store->values, key, NULL);
}

static int value_store(MDB_txn *txn, lmdb_store_t *store, MDB_val *key,
                       const value_rec_t *rec)
{
	MDB_val data = { sizeof(*rec), (void *)rec };
	int ret = lmdb_db_put(store, txn, store->values, key, &data);
	if (ret != MDB_SUCCESS) {
		return ret;
	}
	uint8_t when[8];
	be64_put(when, rec->expires);
	MDB_val ekey = { sizeof(when), when };
	MDB_val edata = *key;
	return lmdb_db_put(store, txn, store->expiry, &ekey, &edata);
}

/*! Collects the keys of an owner's values (live or expired). */
typedef struct {
	uint8_t key[VALUE_KEY_MAX];
	size_t len;
	value_rec_t rec;
} keyed_rec_t;

/*!
 * Drops expired values of one owner and the oldest live ones until at most
 * \a keep remain.  Returns dropped live count or a negative MDB error.
 */
static int owner_trim(MDB_txn *txn, lmdb_store_t *store, const uint8_t *prefix,
                      size_t plen, uint64_t now, uint32_t keep, unsigned *dropped)
{
	for (;;) {
		MDB_cursor *cur;
		int ret = mdb_cursor_open(txn, store->values, &cur);
		if (ret != MDB_SUCCESS) {
			return ret;
		}
		keyed_rec_t oldest = { .len = 0 };
		bool have_expired = false;
		uint32_t live = 0;
		MDB_val key = { plen, (void *)prefix }, data;
		ret = mdb_cursor_get(cur, &key, &data, MDB_SET_RANGE);
		while (ret == MDB_SUCCESS && has_prefix(&key, prefix, plen)) {
			value_rec_t rec;
			if (!value_rec_get(&data, &rec)) {
				ret = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
				continue;
			}
			bool expired = rec.expires <= now;
			if (expired && !have_expired) {
				have_expired = true;
				oldest.len = 0;
			}
			if (!expired) {
				live++;
			}
			if (expired == have_expired &&
			    (oldest.len == 0 || rec.seq < oldest.rec.seq)) {
				memcpy(oldest.key, key.mv_data, key.mv_size);
				oldest.len = key.mv_size;
				oldest.rec = rec;
			}
			ret = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
		}
		mdb_cursor_close(cur);
		if (ret != MDB_SUCCESS && ret != MDB_NOTFOUND) {
			return ret;
		}
		if (!have_expired && (keep == 0 || live <= keep)) {
			return MDB_SUCCESS;
		}
		MDB_val okey = { oldest.len, oldest.key };
		ret = value_remove(txn, store, &okey, &oldest.rec);
		if (ret != MDB_SUCCESS) {
			return ret;
		}
		if (!have_expired) {
			(*dropped)++;
		}
	}
}

int lmdb_op_apply(MDB_txn *txn, lmdb_store_t *store, const acme_op_t *op,
                    const acme_policy_t *policy, uint64_t now, uint64_t seq,
                    acme_result_t *res)
{
	uint8_t key[VALUE_KEY_MAX];
	int olen = acme_okey_write(op->owner, key);
	if (olen < 0) {
		return KNOT_EINVAL;
	}
	key[olen] = 0;
	size_t plen = olen + 1;

	switch (op->type) {
	case ACME_OP_ADD:
	case ACME_OP_DEL_VALUE:
		if (op->rdata == NULL || op->rdata_len == 0 ||
		    op->rdata_len > ACME_STORE_RDATA_MAX || plen + op->rdata_len > VALUE_KEY_MAX) {
			return KNOT_EINVAL;
		}
		memcpy(key + plen, op->rdata, op->rdata_len);
		break;
	case ACME_OP_DEL_ALL:
		break;
	default:
		return KNOT_EINVAL;
	}

	MDB_val vkey = { plen + op->rdata_len, key }, data;
	value_rec_t old;
	int ret;
	switch (op->type) {
	case ACME_OP_ADD: {
		bool exists = false;
		ret = mdb_get(txn, store->values, &vkey, &data);
		if (ret == MDB_SUCCESS && value_rec_get(&data, &old)) {
			exists = old.expires > now;
			ret = value_remove(txn, store, &vkey, &old);
		}
		if (ret != MDB_SUCCESS && ret != MDB_NOTFOUND) {
			return lmdb_to_knot(ret);
		}
		value_rec_t rec = {
			.expires = now + (uint64_t)policy->lifetime * 1000,
			.added = now,
			.seq = seq,
			.ttl = op->ttl,
		};
		ret = value_store(txn, store, &vkey, &rec);
		if (ret != MDB_SUCCESS) {
			return lmdb_to_knot(ret);
		}
		lmdb_filter_note_add(store, key, olen);
		if (exists) {
			res->refreshed++;
		} else {
			res->added++;
		}
		ret = owner_trim(txn, store, key, plen, now, policy->max_records, &res->dropped);
		return lmdb_to_knot(ret);
	}
	case ACME_OP_DEL_VALUE:
		ret = mdb_get(txn, store->values, &vkey, &data);
		if (ret == MDB_NOTFOUND) {
			return KNOT_EOK;
		}
		if (ret == MDB_SUCCESS && value_rec_get(&data, &old)) {
			if (old.expires > now) {
				res->deleted++;
			}
			ret = value_remove(txn, store, &vkey, &old);
		}
		return lmdb_to_knot(ret);
	case ACME_OP_DEL_ALL:
		for (;;) {
			MDB_cursor *cur;
			ret = mdb_cursor_open(txn, store->values, &cur);
			if (ret != MDB_SUCCESS) {
				return lmdb_to_knot(ret);
			}
			MDB_val k = { plen, key };
			ret = mdb_cursor_get(cur, &k, &data, MDB_SET_RANGE);
			mdb_cursor_close(cur);
			if (ret == MDB_NOTFOUND || (ret == MDB_SUCCESS && !has_prefix(&k, key, plen))) {
				return KNOT_EOK;
			}
			if (ret != MDB_SUCCESS) {
				return lmdb_to_knot(ret);
			}
			uint8_t copy[VALUE_KEY_MAX];
			memcpy(copy, k.mv_data, k.mv_size);
			MDB_val ck = { k.mv_size, copy };
			if (!value_rec_get(&data, &old)) {
				ret = lmdb_db_del(store, txn, store->values, &ck, NULL);
			} else {
				if (old.expires > now) {
					res->deleted++;
				}
				ret = value_remove(txn, store, &ck, &old);
			}
			if (ret != MDB_SUCCESS) {
				return lmdb_to_knot(ret);
			}
		}
	}
	return KNOT_EINVAL;
}

/*!
 * Whether the map keeps its reserve: adds fail with KNOT_ESPACE while there
 * is still room for deletes and purges, which in LMDB also need free pages
 * (copy-on-write).  Never-used pages are checked first; only near the limit
 * is the free list counted (pages freed by the last two transactions are not
 * reusable yet, so they are left out).
 */
bool lmdb_map_has_reserve(MDB_env *env)
{
	MDB_envinfo info;
	MDB_stat st;
	if (mdb_env_info(env, &info) != MDB_SUCCESS || mdb_env_stat(env, &st) != MDB_SUCCESS) {
		return false;
	}
	size_t total = info.me_mapsize / st.ms_psize;
	size_t reserve = total / 8 < RESERVE_MIN_PAGES ? RESERVE_MIN_PAGES : total / 8;
	size_t avail = total > info.me_last_pgno + 1 ? total - info.me_last_pgno - 1 : 0;
	if (avail >= reserve) {
		return true;
	}
	MDB_txn *txn;
	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) {
		return false;
	}
	MDB_cursor *cur;
	if (mdb_cursor_open(txn, 0, &cur) == MDB_SUCCESS) { /* The free list. */
		MDB_val k, d;
		int ret = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
		while (ret == MDB_SUCCESS && avail < reserve) {
			size_t id, pages;
			memcpy(&id, k.mv_data, sizeof(id));
			memcpy(&pages, d.mv_data, sizeof(pages));
			if (id < info.me_last_txnid) {
				avail += pages;
			}
			ret = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
		}
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	return avail >= reserve;
}
