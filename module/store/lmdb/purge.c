/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Removing expired values: on request and by the purger thread, with
 *        notifications to watchers.
 */

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "module/common/clock.h"

#include "module/store/lmdb/internal.h"

/*! Values removed per write transaction by the background purger. */
#define PURGE_BATCH		1000
/*! Milliseconds between purger runs. */
#define PURGE_INTERVAL_MS	1000

/*! One purge transaction; \a cb is called per removed value after commit. */
static int purge_batch(lmdb_store_t *store, uint64_t now, size_t limit,
                       size_t *purged, bool *more, acme_purge_cb cb, void *ctx)
{
	*purged = 0;
	*more = false;
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	store->txn_writes = 0;
	/* Owners removed, reported after commit. */
	uint8_t *owners = NULL;
	size_t owners_len = 0, owners_cap = 0;

	for (;;) {
		MDB_cursor *cur;
		ret = mdb_cursor_open(txn, store->expiry, &cur);
		if (ret != MDB_SUCCESS) {
			break;
		}
		MDB_val ekey, edata;
		ret = mdb_cursor_get(cur, &ekey, &edata, MDB_FIRST);
		mdb_cursor_close(cur);
		if (ret == MDB_NOTFOUND) {
			ret = MDB_SUCCESS;
			break;
		}
		if (ret != MDB_SUCCESS) {
			break;
		}
		if (ekey.mv_size != 8 || be64_get(ekey.mv_data) > now) {
			break;
		}
		if (limit > 0 && *purged >= limit) {
			*more = true;
			break;
		}
		uint8_t when[8], vkey[VALUE_KEY_MAX];
		size_t vlen = edata.mv_size;
		memcpy(when, ekey.mv_data, 8);
		if (vlen > sizeof(vkey)) {
			vlen = 0;
		}
		memcpy(vkey, edata.mv_data, vlen);

		/* Remove the index entry, then the value if this entry is current. */
		MDB_val k = { 8, when }, d = { edata.mv_size, edata.mv_data };
		ret = lmdb_db_del(store, txn, store->expiry, &k, &d);
		if (ret != MDB_SUCCESS) {
			break;
		}
		MDB_val vk = { vlen, vkey }, vd;
		value_rec_t rec;
		if (vlen > 0 && mdb_get(txn, store->values, &vk, &vd) == MDB_SUCCESS &&
		    value_rec_get(&vd, &rec) && rec.expires <= now) {
			ret = lmdb_db_del(store, txn, store->values, &vk, NULL);
			if (ret != MDB_SUCCESS) {
				break;
			}
			(*purged)++;
			if (cb != NULL) {
				size_t olen = value_key_owner_len(vkey, vlen);
				if (owners_len + olen + 1 > owners_cap) {
					size_t cap = owners_cap * 2 + 4096;
					uint8_t *grown = realloc(owners, cap);
					if (grown == NULL) {
						ret = ENOMEM;
						break;
					}
					owners = grown;
					owners_cap = cap;
				}
				owners[owners_len++] = olen;
				memcpy(owners + owners_len, vkey, olen);
				owners_len += olen;
			}
		}
	}
	if (ret != MDB_SUCCESS) {
		mdb_txn_abort(txn);
		free(owners);
		*purged = 0;
		return lmdb_to_knot(ret);
	}
	ret = lmdb_commit_covered(store, txn);
	if (ret != MDB_SUCCESS) {
		free(owners);
		*purged = 0;
		return lmdb_to_knot(ret);
	}
	for (size_t pos = 0; pos < owners_len; pos += 1 + owners[pos]) {
		knot_dname_storage_t owner;
		acme_okey_to_name(owners + pos + 1, owners[pos], owner);
		cb(owner, ctx);
	}
	free(owners);
	return KNOT_EOK;
}

int lmdb_purge(acme_store_t *base, uint64_t now, size_t limit,
                      size_t *purged, bool *more)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	size_t total = 0, batch;
	bool again;
	int ret;
	size_t size = PURGE_BATCH;
	do {
		size_t step = size;
		if (limit > 0 && limit - total < step) {
			step = limit - total;
		}
		ret = purge_batch(store, now, step, &batch, &again, NULL, NULL);
		if (ret == KNOT_ESPACE && size > 1) { /* Full map: smaller batches. */
			size = size / 8 > 0 ? size / 8 : 1;
			ret = KNOT_EOK;
			again = true;
			continue;
		}
		total += batch;
	} while (ret == KNOT_EOK && again && (limit == 0 || total < limit));
	if (purged != NULL) {
		*purged = total;
	}
	if (more != NULL) {
		*more = (ret == KNOT_EOK) && again;
	}
	return ret;
}

/*! Fans a purged owner out to every watcher; called with store->lock held. */
static void notify_watchers(const knot_dname_t *owner, void *ctx)
{
	lmdb_store_t *store = ctx;
	for (watcher_t *w = store->watchers; w != NULL; w = w->next) {
		w->cb(owner, w->ctx);
	}
}

/*!
 * LMDB reuses the pages a transaction freed only after a later commit: when
 * every other write is an add refused for want of room (values only expire),
 * none ever comes.  So after purging, one tiny write of our own.
 */
static void release_freed_pages(lmdb_store_t *store)
{
	MDB_txn *txn;
	if (mdb_txn_begin(store->env, NULL, 0, &txn) != MDB_SUCCESS) {
		return;
	}
	store->txn_writes = 0;
	uint64_t now = acme_now_ms();
	MDB_val key = { 6, "purged" }, data = { sizeof(now), &now };
	if (lmdb_db_put(store, txn, store->meta, &key, &data) == MDB_SUCCESS) {
		(void)lmdb_commit_covered(store, txn);
	} else {
		mdb_txn_abort(txn);
	}
}

/*!
 * Background purger: removes expired values in bounded batches, one short
 * write transaction each, so neither readers nor writers wait on a big purge.
 */
void *lmdb_purger_main(void *arg)
{
	lmdb_store_t *store = arg;
	size_t batch = PURGE_BATCH;
	pthread_mutex_lock(&store->lock);
	while (!store->purger_stop) {
		size_t purged = 0;
		bool more = false;
		/* The lock keeps watchers stable; readers and writers do not take it. */
		/* A full map may not have room to delete a whole batch: smaller ones. */
		int ret = purge_batch(store, acme_now_ms(), batch, &purged, &more,
		                      notify_watchers, store);
		if (ret == KNOT_ESPACE && batch > 1) {
			batch = batch / 8 > 0 ? batch / 8 : 1;
			continue;
		} else if (ret == KNOT_EOK && batch < PURGE_BATCH) {
			batch = batch * 2 < PURGE_BATCH ? batch * 2 : PURGE_BATCH;
		}
		if (purged > 0 && !more) {
			release_freed_pages(store);
		}
		if (more) {
			pthread_mutex_unlock(&store->lock);
			sched_yield();
			pthread_mutex_lock(&store->lock);
			continue;
		}
		/* Another process committed, or the filter filled up. */
		if (atomic_load(&store->filter_stale) || lmdb_filter_behind(store)) {
			(void)lmdb_filter_rebuild(store);
		}
		/* Asynchronous mode: bound what a power loss can take. */
		unsigned flags = 0;
		if (mdb_env_get_flags(store->env, &flags) == MDB_SUCCESS && (flags & MDB_NOSYNC)) {
			(void)mdb_env_sync(store->env, 1);
		}
		struct timespec until = acme_deadline(CLOCK_MONOTONIC, PURGE_INTERVAL_MS);
		while (!store->purger_stop &&
		       pthread_cond_timedwait(&store->wake, &store->lock, &until) != ETIMEDOUT);
	}
	pthread_mutex_unlock(&store->lock);
	return NULL;
}

int lmdb_watch(acme_store_t *base, acme_purge_cb cb, void *ctx)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (cb == NULL) {
		return KNOT_EINVAL;
	}
	watcher_t *w = malloc(sizeof(*w));
	if (w == NULL) {
		return KNOT_ENOMEM;
	}
	w->cb = cb;
	w->ctx = ctx;
	pthread_mutex_lock(&store->lock);
	w->next = store->watchers;
	store->watchers = w;
	pthread_mutex_unlock(&store->lock);
	return KNOT_EOK;
}

void lmdb_unwatch(acme_store_t *base, acme_purge_cb cb, void *ctx)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	pthread_mutex_lock(&store->lock);
	for (watcher_t **w = &store->watchers; *w != NULL; w = &(*w)->next) {
		if ((*w)->cb == cb && (*w)->ctx == ctx) {
			watcher_t *found = *w;
			*w = found->next;
			free(found);
			break;
		}
	}
	pthread_mutex_unlock(&store->lock);
}
