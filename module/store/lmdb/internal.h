/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The LMDB backend's shared parts: its handle, its record layout, and
 *        what its files (one job each) call in one another.
 *
 * Two databases in one environment:
 *
 * - "values": key = owner key || 0x00 || TXT rdata, data = value_rec_t.
 *   The owner key is the owner's labels, lower case, in reverse order, each
 *   preceded by its length.  Every name below an owner has the owner key as a
 *   prefix followed by a non-zero length byte, so an owner's values are one
 *   range (owner key || 0x00) and its descendants the range after it.
 * - "expiry": duplicate-sorted, key = big-endian expiry time, data = key in
 *   "values".  Purging walks it from the start, so removing expired values
 *   costs O(number expired).
 *
 * Readers never take a process-wide lock; LMDB serializes writers.  Each
 * environment is opened once per process (LMDB requirement) and shared
 * through a reference-counted registry keyed by the database's real path.
 */

#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <lmdb.h>

#include "module/store/filter.h"
#include "module/store/okey.h"
#include "module/store/lmdb/lmdb.h"

/*! Longest owner key: a wire name without its root label. */
#define OWNER_KEY_MAX		(KNOT_DNAME_MAXLEN - 1)
#define VALUE_KEY_MAX		(OWNER_KEY_MAX + 1 + ACME_STORE_RDATA_MAX)

/*! Stored record of one value. */
typedef struct {
	uint64_t expires;
	uint64_t added;
	uint64_t seq;      /*!< Add order: transaction id, then operation index. */
	uint32_t ttl;
} __attribute__((packed)) value_rec_t;

/*! Read transaction of one reader slot (see lmdb_read()). */
typedef struct {
	MDB_txn *txn;
	MDB_cursor *cur;
} reader_t;

/*! A subscriber to purge notifications (acme_store_watch()). */
typedef struct watcher {
	struct watcher *next;
	acme_purge_cb cb;
	void *ctx;
} watcher_t;

/*! The LMDB store: one per database path per process (see lmdb.c). */
typedef struct lmdb_store {
	acme_store_t base;         /*!< api, where (the real path). */
	struct lmdb_store *next;   /*!< Registry list. */
	char *path;                /*!< Real path of the database directory. */
	unsigned refs;
	MDB_env *env;
	MDB_dbi values;
	MDB_dbi expiry;
	MDB_dbi meta;

	pthread_mutex_t lock;      /*!< Protects watchers and the purger state. */
	pthread_cond_t wake;
	watcher_t *watchers;
	bool purger_running;
	bool purger_stop;
	pthread_t purger;

	bool read_only;
	reader_t readers[ACME_STORE_SLOTS];

	/* Negative filter of the query path, see lmdb_filter_absent(). */
	acme_filter_t *_Atomic filter;
	acme_filter_t *retired;       /*!< Replaced filter, freed at the next swap. */
	_Atomic uint64_t filter_txnid; /*!< Last transaction the filter covers. */
	atomic_bool filter_stale;     /*!< Rebuild wanted (purger thread). */
	pthread_mutex_t cover_lock;   /*!< Orders this process's commits and covers. */
	size_t txn_writes;            /*!< Writes of the current write transaction. */

	/* Group commit of writers (robust mode), see acme_store_apply(). */
	pthread_mutex_t group_lock;
	pthread_cond_t group_done;
	struct apply_req *group_head;
	struct apply_req **group_tail;
	bool group_leader;
} lmdb_store_t;

/* lmdb.c: registry, open and close, format, stats. */

/*! LMDB error to a libknot error code. */
int lmdb_to_knot(int ret);
void lmdb_close(acme_store_t *base);
int lmdb_stats(acme_store_t *base, acme_store_stats_t *stats);

/* read.c: reads, reader slots, listing. */

bool lmdb_find_okey(acme_store_t *base, const knot_dname_t *name, acme_okey_t *okey);
int lmdb_read(acme_store_t *base, int slot, const acme_okey_t *okey, uint64_t now,
              acme_value_cb cb, void *ctx, bool *below);
int lmdb_list(acme_store_t *base, const knot_dname_t *apex, uint64_t now,
              acme_value_cb cb, void *ctx);
/*!
 * Live values of the owner key \a okey through \a cur (the count, or an
 * error); \a below as for acme_store_read().
 */
int lmdb_cursor_read(MDB_cursor *cur, const uint8_t *okey, int olen, uint64_t now,
                     acme_value_cb cb, void *ctx, bool *below);

/* write.c: operations in a write transaction, the map's reserve. */

/*! mdb_put()/mdb_del() that count the transaction's writes (see lmdb_commit_covered()). */
int lmdb_db_put(lmdb_store_t *store, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int lmdb_db_del(lmdb_store_t *store, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
/*! One operation in \a txn; \a seq orders the adds. */
int lmdb_op_apply(MDB_txn *txn, lmdb_store_t *store, const acme_op_t *op,
                  const acme_policy_t *policy, uint64_t now, uint64_t seq,
                  acme_result_t *res);
/*! Whether adds still leave room for deletes and purges. */
bool lmdb_map_has_reserve(MDB_env *env);

/* prereq.c: prerequisites in a write transaction. */

/*! KNOT_EOK when \a p holds in \a txn, KNOT_EPREREQ when not, or an error. */
int lmdb_prereq_holds(MDB_txn *txn, lmdb_store_t *store, const acme_prereq_t *p,
                      uint64_t now);

/* commit.c: one update, alone or in a group commit. */

int lmdb_apply(acme_store_t *base, acme_update_t *update);

/* purge.c: the purger thread, purges, purge notifications. */

int lmdb_purge(acme_store_t *base, uint64_t now, size_t limit, size_t *purged, bool *more);
void *lmdb_purger_main(void *arg);
int lmdb_watch(acme_store_t *base, acme_purge_cb cb, void *ctx);
void lmdb_unwatch(acme_store_t *base, acme_purge_cb cb, void *ctx);

/* cover.c: keeping the negative filter current with the database. */

/*! Commits \a txn and extends the filter's cover to it. */
int lmdb_commit_covered(lmdb_store_t *store, MDB_txn *txn);
/*! Whether another process committed since the filter was built. */
bool lmdb_filter_behind(lmdb_store_t *store);
/*! Builds a new filter from the whole database and swaps it in. */
int lmdb_filter_rebuild(lmdb_store_t *store);
/*! In a write transaction: a new owner goes into the filter before commit. */
void lmdb_filter_note_add(lmdb_store_t *store, const uint8_t *okey, size_t olen);

static inline uint64_t lmdb_last_txnid(MDB_env *env)
{
	MDB_envinfo info;
	return mdb_env_info(env, &info) == MDB_SUCCESS ? info.me_last_txnid : 0;
}

/*! True if nothing is stored at or below the owner key (filter trusted). */
static inline bool lmdb_filter_absent(lmdb_store_t *store, uint64_t hash)
{
	/*
	 * The covered id before the filter itself: a rebuild swaps the filter
	 * in before it publishes the id, so an id that matches the database
	 * comes with a filter at least that fresh.
	 */
	uint64_t covered = atomic_load(&store->filter_txnid);
	uint64_t last = lmdb_last_txnid(store->env);
	if (covered != last) {
		return false;
	}
	acme_filter_t *f = atomic_load(&store->filter);
	return f != NULL && !acme_filter_has(f, hash);
}

static inline void be64_put(uint8_t *out, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = v & 0xff;
		v >>= 8;
	}
}

static inline uint64_t be64_get(const uint8_t *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = (v << 8) | in[i];
	}
	return v;
}

/*! Length of the owner part of a value key. */
static inline size_t value_key_owner_len(const uint8_t *key, size_t len)
{
	size_t pos = 0;
	while (pos < len && key[pos] != 0) {
		pos += 1 + key[pos];
	}
	return pos;
}

static inline bool has_prefix(const MDB_val *key, const uint8_t *prefix, size_t len)
{
	return key->mv_size >= len && memcmp(key->mv_data, prefix, len) == 0;
}

/*! Reads the stored record of a value (unaligned-safe copy). */
static inline bool value_rec_get(const MDB_val *data, value_rec_t *rec)
{
	if (data->mv_size != sizeof(*rec)) {
		return false;
	}
	memcpy(rec, data->mv_data, sizeof(*rec));
	return true;
}
