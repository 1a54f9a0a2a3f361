/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief RFC 2136 prerequisites (as data) evaluated in an LMDB write
 *        transaction.
 */


#include "module/store/lmdb/internal.h"

/*! Whether \a rdata is one of \a list. */
static bool rdata_listed(const uint8_t *rdata, uint16_t len, const acme_rdata_t *list,
                         size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (list[i].len == len && memcmp(list[i].data, rdata, len) == 0) {
			return true;
		}
	}
	return false;
}

/*! TXT_EQUALS walk: every live value must be wanted or optional. */
static int value_expected(const acme_value_t *value, void *arg)
{
	const acme_prereq_t *p = arg;
	if (rdata_listed(value->rdata, value->rdata_len, p->values, p->count) ||
	    rdata_listed(value->rdata, value->rdata_len, p->optional, p->optional_count)) {
		return KNOT_EOK;
	}
	return KNOT_EPREREQ;
}

/*! Whether one wanted value of an owner is live (\a key holds the owner part). */
static int value_live(MDB_txn *txn, lmdb_store_t *store, uint8_t *key, size_t plen,
                      const acme_rdata_t *rd, uint64_t now, bool *live)
{
	*live = false;
	if (rd->data == NULL || rd->len == 0 || plen + rd->len > VALUE_KEY_MAX) {
		return KNOT_EOK; /* The store cannot hold it. */
	}
	memcpy(key + plen, rd->data, rd->len);
	MDB_val vkey = { plen + rd->len, key }, data;
	value_rec_t rec;
	int ret = mdb_get(txn, store->values, &vkey, &data);
	if (ret == MDB_NOTFOUND) {
		return KNOT_EOK;
	} else if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	*live = value_rec_get(&data, &rec) && rec.expires > now;
	return KNOT_EOK;
}

/*!
 * Evaluates one prerequisite in \a txn (the request's own transaction, so
 * it sees what the requests before it in the group wrote).
 *
 * \return KNOT_EOK when it holds, KNOT_EPREREQ when not, or an error.
 */
int lmdb_prereq_holds(MDB_txn *txn, lmdb_store_t *store, const acme_prereq_t *p,
                        uint64_t now)
{
	uint8_t key[VALUE_KEY_MAX];
	int olen = acme_okey_write(p->owner, key);
	if (olen < 0) {
		return KNOT_EINVAL;
	}
	MDB_cursor *cur;
	int ret = mdb_cursor_open(txn, store->values, &cur);
	if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	switch (p->type) {
	case ACME_PREREQ_NAME_IN_USE:
		ret = lmdb_cursor_read(cur, key, olen, now, NULL, NULL, NULL);
		ret = (ret > 0) ? KNOT_EOK : (ret == 0) ? KNOT_EPREREQ : ret;
		break;
	case ACME_PREREQ_NAME_UNUSED:
		ret = lmdb_cursor_read(cur, key, olen, now, NULL, NULL, NULL);
		ret = (ret == 0) ? KNOT_EOK : (ret > 0) ? KNOT_EPREREQ : ret;
		break;
	case ACME_PREREQ_TXT_EQUALS:
		ret = lmdb_cursor_read(cur, key, olen, now, value_expected, (void *)p, NULL);
		key[olen] = 0;
		for (size_t i = 0; ret >= 0 && i < p->count; i++) {
			bool live;
			ret = value_live(txn, store, key, olen + 1, &p->values[i], now, &live);
			if (ret == KNOT_EOK && !live) {
				ret = KNOT_EPREREQ;
			}
		}
		ret = (ret >= 0) ? KNOT_EOK : ret;
		break;
	default:
		ret = KNOT_EINVAL;
	}
	mdb_cursor_close(cur);
	return ret;
}
