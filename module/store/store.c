/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief LMDB backend of the challenge store.
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

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "module/common/clock.h"
#include "module/store/lmdb/lmdb.h"

/*! Longest owner key: a wire name without its root label. */
#define OWNER_KEY_MAX		(KNOT_DNAME_MAXLEN - 1)
#define VALUE_KEY_MAX		(OWNER_KEY_MAX + 1 + ACME_STORE_RDATA_MAX)
/*! Values removed per write transaction by the background purger. */
#define PURGE_BATCH		1000
/*! Seconds between purger runs. */
#define PURGE_INTERVAL_MS	1000
#define MAX_READERS		1024
/*! Pages kept free for deletes and purges at least (one large update). */
#define RESERVE_MIN_PAGES	64
/*! Version of the record layout, kept in the "meta" database. */
#define STORE_FORMAT		1

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

typedef struct watcher {
	struct watcher *next;
	acme_purge_cb cb;
	void *ctx;
} watcher_t;

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

	/* Negative filter of the query path, see filter_absent(). */
	struct filter *_Atomic filter;
	struct filter *retired;       /*!< Replaced filter, freed at the next swap. */
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

static const acme_store_api_t lmdb_api;

/*! The registry: the one piece of process-wide mutable state. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static lmdb_store_t *registry = NULL;

static int mdb_to_knot(int ret)
{
	switch (ret) {
	case MDB_SUCCESS:        return KNOT_EOK;
	case MDB_NOTFOUND:       return KNOT_ENOENT;
	case MDB_MAP_FULL:       return KNOT_ESPACE;
	case MDB_READERS_FULL:   return KNOT_EBUSY;
	case MDB_TXN_FULL:       return KNOT_ESPACE;
	case MDB_MAP_RESIZED:    return KNOT_EAGAIN;
	case ENOMEM:             return KNOT_ENOMEM;
	case ENOENT:             return KNOT_ENOENT;
	case EACCES:             return KNOT_EACCES;
	case EROFS:              return KNOT_EACCES;
	case EINVAL:             return KNOT_EINVAL;
	case ENOSPC:             return KNOT_ESPACE;
	default:                 return KNOT_ERROR;
	}
}

static void be64_put(uint8_t *out, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = v & 0xff;
		v >>= 8;
	}
}

static uint64_t be64_get(const uint8_t *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = (v << 8) | in[i];
	}
	return v;
}

static uint8_t ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/*!
 * ASCII letters to lower case in place, eight bytes at a time: a byte gets
 * 0x20 when it is below 0x80, at least 'A' and at most 'Z'.  Label lengths
 * (at most 63) are below 'A' and stay as they are.
 */
static void lower_ascii(uint8_t *data, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, data + i, 8);
		uint64_t low7 = w & ~high;
		uint64_t ge_a = low7 + (0x80 - 'A') * ones;
		uint64_t gt_z = low7 + (0x7f - 'Z') * ones;
		w |= ((ge_a ^ gt_z) & ~w & high) >> 2;
		memcpy(data + i, &w, 8);
	}
	for (; i < len; i++) {
		data[i] = ascii_lower(data[i]);
	}
}

/*!
 * Offsets of the labels of \a name, leaf first; returns their number, or -1
 * if \a name is not an uncompressed wire name within the limits.  The query
 * path runs this for every answer in a module zone: the form is checked in
 * the same single pass that finds the labels.
 */
static int name_labels(const knot_dname_t *name, uint8_t starts[KNOT_DNAME_MAXLABELS])
{
	int count = 0;
	size_t pos = 0;
	while (name[pos] != 0) {
		if (name[pos] > KNOT_DNAME_MAXLABELLEN || count == KNOT_DNAME_MAXLABELS) {
			return -1;
		}
		starts[count++] = pos;
		pos += 1 + name[pos];
		if (pos >= KNOT_DNAME_MAXLEN) {
			return -1;
		}
	}
	return count;
}

/*! Owner key from the label offsets of a name (see name_labels()). */
static int key_from_labels(const knot_dname_t *name, const uint8_t *starts, int count,
                           uint8_t *out)
{
	int len = 0;
	while (count-- > 0) {
		const uint8_t *l = name + starts[count];
		memcpy(out + len, l, 1 + l[0]);
		len += 1 + l[0];
	}
	lower_ascii(out, len);
	return len;
}

/*! Owner key of \a name (see file comment); returns its length or -1. */
static int owner_key(const knot_dname_t *name, uint8_t *out)
{
	uint8_t starts[KNOT_DNAME_MAXLABELS];
	int count = (name != NULL) ? name_labels(name, starts) : -1;
	return (count < 0) ? -1 : key_from_labels(name, starts, count, out);
}

int acme_store_key(const knot_dname_t *name, acme_store_key_t *key)
{
	if (key == NULL) {
		return KNOT_EINVAL;
	}
	int len = owner_key(name, key->data);
	if (len < 0) {
		return KNOT_EINVAL;
	}
	key->len = len;
	return KNOT_EOK;
}

/*! Owner name (lower case, wire form) from an owner key. */
static void owner_from_key(const uint8_t *key, size_t len, knot_dname_t *out)
{
	const uint8_t *labels[KNOT_DNAME_MAXLABELS];
	int count = 0;
	for (size_t pos = 0; pos < len; pos += 1 + key[pos]) {
		labels[count++] = key + pos;
	}
	size_t w = 0;
	while (count-- > 0) {
		memcpy(out + w, labels[count], 1 + labels[count][0]);
		w += 1 + labels[count][0];
	}
	out[w] = 0;
}

/*! Length of the owner part of a value key. */
static size_t value_key_owner_len(const uint8_t *key, size_t len)
{
	size_t pos = 0;
	while (pos < len && key[pos] != 0) {
		pos += 1 + key[pos];
	}
	return pos;
}

static bool has_prefix(const MDB_val *key, const uint8_t *prefix, size_t len)
{
	return key->mv_size >= len && memcmp(key->mv_data, prefix, len) == 0;
}

/*!
 * Negative filter: a Bloom filter of every stored owner key and of each of
 * its ancestors' keys (its prefixes at label boundaries).  A name whose key
 * is not in it has no value at or below it, so the query path answers such a
 * miss without LMDB.  It is only trusted while it covers the database's last
 * transaction: this process's writers add to it inside their write
 * transactions and publish their transaction ids after committing; a commit
 * by another process (the knot-acme tool) shows as a newer id, and until the
 * purger thread rebuilds the filter every read goes to LMDB.  Deletes leave
 * bits set (only false positives, which cost a lookup).
 */
typedef struct filter {
	uint64_t mask;      /*!< Number of bits - 1 (a power of two). */
	_Atomic uint64_t entries;
	_Atomic uint64_t bits[];
} filter_t;

#define FILTER_MIN_BITS		(1ULL << 20)
/*! Bits per entry before a rebuild with a larger filter is wanted. */
#define FILTER_BITS_PER_ENTRY	16

static filter_t *filter_new(uint64_t entries)
{
	uint64_t bits = FILTER_MIN_BITS;
	while (bits < entries * FILTER_BITS_PER_ENTRY * 2) {
		bits <<= 1;
	}
	filter_t *f = calloc(1, sizeof(*f) + bits / 8);
	if (f != NULL) {
		f->mask = bits - 1;
	}
	return f;
}

/*
 * The filter hashes a name label by label from the root, so that one pass
 * over an owner key yields the hashes of all its ancestors, and a query name
 * is hashed straight from the wire without building its key.  Bytes are
 * folded with 0x20, which makes the hash case-insensitive (a collision it
 * adds is only a false positive).
 */
#define HASH_SEED	0x9e3779b97f4a7c15ULL
#define HASH_FOLD	0x2020202020202020ULL

static uint64_t hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static uint64_t load64_folded(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w | HASH_FOLD;
}

static uint64_t load32_folded(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, sizeof(w));
	return w | (uint32_t)HASH_FOLD;
}

/*!
 * Adds one label (length byte and bytes) to the hash.  Labels are short: the
 * last bytes are read as one word overlapping the one before (never past the
 * label), not byte by byte.
 */
static uint64_t hash_label(uint64_t h, const uint8_t *label)
{
	size_t n = 1 + label[0];
	if (n < 4) {
		uint64_t w = label[0] | (uint64_t)label[n / 2] << 8 | (uint64_t)label[n - 1] << 16;
		return hash_mix(h, w | HASH_FOLD);
	}
	if (n <= 8) {
		return hash_mix(h, load32_folded(label) | load32_folded(label + n - 4) << 32);
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		h = hash_mix(h, load64_folded(label + i));
	}
	return hash_mix(h, load64_folded(label + n - 8));
}

static uint64_t hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static bool filter_has(const filter_t *f, uint64_t h)
{
	uint64_t b1 = h & f->mask, b2 = (h >> 32 | h << 32) * 0x9e3779b97f4a7c15ULL & f->mask;
	return (atomic_load_explicit(&f->bits[b1 / 64], memory_order_relaxed) & (1ULL << (b1 % 64))) &&
	       (atomic_load_explicit(&f->bits[b2 / 64], memory_order_relaxed) & (1ULL << (b2 % 64)));
}

static void filter_set(filter_t *f, uint64_t h)
{
	uint64_t b1 = h & f->mask, b2 = (h >> 32 | h << 32) * 0x9e3779b97f4a7c15ULL & f->mask;
	atomic_fetch_or(&f->bits[b1 / 64], 1ULL << (b1 % 64));
	atomic_fetch_or(&f->bits[b2 / 64], 1ULL << (b2 % 64));
}

/*! Adds an owner key and its ancestors' keys. */
static void filter_add_owner(filter_t *f, const uint8_t *okey, size_t olen)
{
	uint64_t h = HASH_SEED;
	for (size_t pos = 0; pos < olen; pos += 1 + okey[pos]) {
		h = hash_label(h, okey + pos);
		filter_set(f, hash_final(h));
	}
	atomic_fetch_add(&f->entries, 1);
}

static uint64_t last_txnid(MDB_env *env)
{
	MDB_envinfo info;
	return mdb_env_info(env, &info) == MDB_SUCCESS ? info.me_last_txnid : 0;
}

/*!
 * Commits a write transaction of this process and extends the filter's
 * cover to it when the cover reached the transaction before: a commit by
 * another process in between leaves a gap only a rebuild closes.  A
 * transaction that wrote nothing is aborted (LMDB would not use up its id).
 * Commits and covers happen under one lock, so this process's own commits
 * are covered in order.
 */
static int commit_covered(lmdb_store_t *store, MDB_txn *txn)
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
static bool filter_behind(lmdb_store_t *store)
{
	pthread_mutex_lock(&store->cover_lock);
	bool behind = atomic_load(&store->filter_txnid) < last_txnid(store->env);
	pthread_mutex_unlock(&store->cover_lock);
	return behind;
}

/*! True if nothing is stored at or below the owner key (filter trusted). */
static bool filter_absent(lmdb_store_t *store, uint64_t hash)
{
	/*
	 * The covered id before the filter itself: a rebuild swaps the filter
	 * in before it publishes the id, so an id that matches the database
	 * comes with a filter at least that fresh.
	 */
	uint64_t covered = atomic_load(&store->filter_txnid);
	uint64_t last = last_txnid(store->env);
	if (covered != last) {
		return false;
	}
	filter_t *f = atomic_load(&store->filter);
	return f != NULL && !filter_has(f, hash);
}

/*!
 * Builds a new filter from the whole database inside a write transaction (no
 * writer runs meanwhile) and swaps it in.
 */
static int filter_rebuild(lmdb_store_t *store)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
	}
	MDB_stat st;
	ret = mdb_stat(txn, store->values, &st);
	filter_t *f = (ret == MDB_SUCCESS) ? filter_new(st.ms_entries) : NULL;
	MDB_cursor *cur = NULL;
	if (f != NULL && mdb_cursor_open(txn, store->values, &cur) == MDB_SUCCESS) {
		MDB_val key, data;
		ret = mdb_cursor_get(cur, &key, &data, MDB_FIRST);
		while (ret == MDB_SUCCESS) {
			size_t olen = value_key_owner_len(key.mv_data, key.mv_size);
			filter_add_owner(f, key.mv_data, olen);
			ret = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
		}
		mdb_cursor_close(cur);
	}
	if (f == NULL || ret != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		free(f);
		return f == NULL ? KNOT_ENOMEM : mdb_to_knot(ret);
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
static void filter_note_add(lmdb_store_t *store, const uint8_t *okey, size_t olen)
{
	filter_t *f = atomic_load_explicit(&store->filter, memory_order_acquire);
	if (f == NULL) {
		return;
	}
	filter_add_owner(f, okey, olen);
	if (atomic_load(&f->entries) * FILTER_BITS_PER_ENTRY > f->mask + 1) {
		atomic_store(&store->filter_stale, true); /* Rebuild larger. */
	}
}

/*! Reads the stored record of a value (unaligned-safe copy). */
static bool value_rec_get(const MDB_val *data, value_rec_t *rec)
{
	if (data->mv_size != sizeof(*rec)) {
		return false;
	}
	memcpy(rec, data->mv_data, sizeof(*rec));
	return true;
}

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
	owner_from_key(k, olen, owner);
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
		return mdb_to_knot(ret);
	}
	return count;
}

/*!
 * One seek serves both questions: an owner's values sort first after the
 * owner key, its descendants right after them.  The descendants are looked at
 * only when the owner has no live value and the caller asks.
 */
static int cursor_read(MDB_cursor *cur, const uint8_t *okey, int olen, uint64_t now,
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
		return mdb_to_knot(ret);
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

static bool lmdb_find_key(acme_store_t *base, const knot_dname_t *name, acme_store_key_t *key)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (name == NULL || key == NULL) {
		return false;
	}
	uint8_t starts[KNOT_DNAME_MAXLABELS];
	int count = name_labels(name, starts);
	if (count < 0) {
		return false;
	}
	uint64_t h = HASH_SEED;
	for (int i = count - 1; i >= 0; i--) {
		h = hash_label(h, name + starts[i]);
	}
	if (filter_absent(store, hash_final(h))) {
		return false;
	}
	key->len = key_from_labels(name, starts, count, key->data);
	return true;
}

static int lmdb_read(acme_store_t *base, int slot, const acme_store_key_t *key,
                     uint64_t now, acme_value_cb cb, void *ctx, bool *below)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (key == NULL) {
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
		return mdb_to_knot(ret);
	}
	ret = cursor_read(cur, key->data, key->len, now, cb, ctx, below);
	if (txn != NULL) {
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
	} else {
		mdb_txn_reset(store->readers[slot].txn);
	}
	return ret;
}

static int lmdb_list(acme_store_t *base, const knot_dname_t *apex, uint64_t now,
                     acme_value_cb cb, void *ctx)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	uint8_t prefix[OWNER_KEY_MAX];
	int plen = 0;
	if (apex != NULL && (plen = owner_key(apex, prefix)) < 0) {
		return KNOT_EINVAL;
	}
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn);
	if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
	}
	MDB_cursor *cur;
	ret = mdb_cursor_open(txn, store->values, &cur);
	if (ret != MDB_SUCCESS) {
		mdb_txn_abort(txn);
		return mdb_to_knot(ret);
	}
	ret = walk_prefix(cur, prefix, plen, now, cb, ctx);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return ret;
}

/*! Writes of the current write transaction of this process (see commit_covered()). */
static int db_put(lmdb_store_t *store, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	int ret = mdb_put(txn, dbi, key, data, 0);
	if (ret == MDB_SUCCESS) {
		store->txn_writes++;
	}
	return ret;
}

static int db_del(lmdb_store_t *store, MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
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
	int ret = db_del(store, txn, store->expiry, &ekey, &edata);
	if (ret != MDB_SUCCESS && ret != MDB_NOTFOUND) {
		return ret;
	}
	return db_del(store, txn, store->values, key, NULL);
}

static int value_store(MDB_txn *txn, lmdb_store_t *store, MDB_val *key,
                       const value_rec_t *rec)
{
	MDB_val data = { sizeof(*rec), (void *)rec };
	int ret = db_put(store, txn, store->values, key, &data);
	if (ret != MDB_SUCCESS) {
		return ret;
	}
	uint8_t when[8];
	be64_put(when, rec->expires);
	MDB_val ekey = { sizeof(when), when };
	MDB_val edata = *key;
	return db_put(store, txn, store->expiry, &ekey, &edata);
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

static int op_apply(MDB_txn *txn, lmdb_store_t *store, const acme_op_t *op,
                    const acme_policy_t *policy, uint64_t now, uint64_t seq,
                    acme_result_t *res)
{
	uint8_t key[VALUE_KEY_MAX];
	int olen = owner_key(op->owner, key);
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
			return mdb_to_knot(ret);
		}
		value_rec_t rec = {
			.expires = now + (uint64_t)policy->lifetime * 1000,
			.added = now,
			.seq = seq,
			.ttl = op->ttl,
		};
		ret = value_store(txn, store, &vkey, &rec);
		if (ret != MDB_SUCCESS) {
			return mdb_to_knot(ret);
		}
		filter_note_add(store, key, olen);
		if (exists) {
			res->refreshed++;
		} else {
			res->added++;
		}
		ret = owner_trim(txn, store, key, plen, now, policy->max_records, &res->dropped);
		return mdb_to_knot(ret);
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
		return mdb_to_knot(ret);
	case ACME_OP_DEL_ALL:
		for (;;) {
			MDB_cursor *cur;
			ret = mdb_cursor_open(txn, store->values, &cur);
			if (ret != MDB_SUCCESS) {
				return mdb_to_knot(ret);
			}
			MDB_val k = { plen, key };
			ret = mdb_cursor_get(cur, &k, &data, MDB_SET_RANGE);
			mdb_cursor_close(cur);
			if (ret == MDB_NOTFOUND || (ret == MDB_SUCCESS && !has_prefix(&k, key, plen))) {
				return KNOT_EOK;
			}
			if (ret != MDB_SUCCESS) {
				return mdb_to_knot(ret);
			}
			uint8_t copy[VALUE_KEY_MAX];
			memcpy(copy, k.mv_data, k.mv_size);
			MDB_val ck = { k.mv_size, copy };
			if (!value_rec_get(&data, &old)) {
				ret = db_del(store, txn, store->values, &ck, NULL);
			} else {
				if (old.expires > now) {
					res->deleted++;
				}
				ret = value_remove(txn, store, &ck, &old);
			}
			if (ret != MDB_SUCCESS) {
				return mdb_to_knot(ret);
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
static bool map_has_reserve(MDB_env *env)
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

/*! One acme_store_apply() call, possibly committed with others. */
typedef struct apply_req {
	struct apply_req *next;
	acme_update_t *update;
	acme_result_t res;
	int ret;
	bool done;
} apply_req_t;

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
		return mdb_to_knot(ret);
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
static int prereq_holds(MDB_txn *txn, lmdb_store_t *store, const acme_prereq_t *p,
                        uint64_t now)
{
	uint8_t key[VALUE_KEY_MAX];
	int olen = owner_key(p->owner, key);
	if (olen < 0) {
		return KNOT_EINVAL;
	}
	MDB_cursor *cur;
	int ret = mdb_cursor_open(txn, store->values, &cur);
	if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
	}
	switch (p->type) {
	case ACME_PREREQ_NAME_IN_USE:
		ret = cursor_read(cur, key, olen, now, NULL, NULL, NULL);
		ret = (ret > 0) ? KNOT_EOK : (ret == 0) ? KNOT_EPREREQ : ret;
		break;
	case ACME_PREREQ_NAME_UNUSED:
		ret = cursor_read(cur, key, olen, now, NULL, NULL, NULL);
		ret = (ret == 0) ? KNOT_EOK : (ret > 0) ? KNOT_EPREREQ : ret;
		break;
	case ACME_PREREQ_TXT_EQUALS:
		ret = cursor_read(cur, key, olen, now, value_expected, (void *)p, NULL);
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

/*! Requests committed together at most (bounds one transaction). */
#define GROUP_MAX	64

/*!
 * Check and operations of one request in \a txn.  \a seq numbers the adds:
 * transaction ids only grow, so the add order survives clock steps.
 */
static int req_apply(lmdb_store_t *store, MDB_txn *txn, apply_req_t *req, uint64_t *seq)
{
	acme_update_t *u = req->update;
	int ret = KNOT_EOK;
	for (size_t i = 0; ret == KNOT_EOK && i < u->prereq_count; i++) {
		ret = prereq_holds(txn, store, &u->prereqs[i], u->now);
		if (ret == KNOT_EPREREQ) {
			u->failed = i;
		}
	}
	for (size_t i = 0; ret == KNOT_EOK && i < u->op_count; i++) {
		if (u->ops[i].type == ACME_OP_ADD) {
			if (!map_has_reserve(store->env)) {
				ret = KNOT_ESPACE;
			}
			break;
		}
	}
	for (size_t i = 0; ret == KNOT_EOK && i < u->op_count; i++) {
		ret = op_apply(txn, store, &u->ops[i], u->policy, u->now,
		               ((uint64_t)mdb_txn_id(txn) << 20) | (*seq)++, &req->res);
	}
	return ret;
}

/*!
 * Commits a group of requests in one write transaction, so one fsync serves
 * them all.  Each request runs in a nested transaction: one that fails is
 * rolled back alone, the others still commit.
 */
static void group_commit(lmdb_store_t *store, apply_req_t *group)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	store->txn_writes = 0;
	uint64_t seq = 0;
	for (apply_req_t *req = group; req != NULL; req = req->next) {
		if (ret != MDB_SUCCESS) {
			req->ret = mdb_to_knot(ret);
			continue;
		}
		MDB_txn *child;
		int cret = mdb_txn_begin(store->env, txn, 0, &child);
		if (cret != MDB_SUCCESS) {
			req->ret = mdb_to_knot(cret);
			continue;
		}
		size_t writes = store->txn_writes;
		req->ret = req_apply(store, child, req, &seq);
		if (req->ret == KNOT_EOK) {
			cret = mdb_txn_commit(child);
			req->ret = mdb_to_knot(cret);
		} else {
			mdb_txn_abort(child);
		}
		if (req->ret != KNOT_EOK) {
			store->txn_writes = writes; /* Rolled back with the child. */
		}
	}
	if (ret == MDB_SUCCESS) {
		ret = commit_covered(store, txn);
		for (apply_req_t *req = group; ret != MDB_SUCCESS && req != NULL; req = req->next) {
			if (req->ret == KNOT_EOK) {
				req->ret = mdb_to_knot(ret);
			}
		}
	}
}

/*! One request in its own transaction (asynchronous mode: no fsync to share). */
static void single_commit(lmdb_store_t *store, apply_req_t *req)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (ret != MDB_SUCCESS) {
		req->ret = mdb_to_knot(ret);
		return;
	}
	store->txn_writes = 0;
	uint64_t seq = 0;
	req->ret = req_apply(store, txn, req, &seq);
	if (req->ret != KNOT_EOK) {
		mdb_txn_abort(txn);
		return;
	}
	req->ret = mdb_to_knot(commit_covered(store, txn));
}

static int lmdb_apply(acme_store_t *base, acme_update_t *update)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (update == NULL || (update->ops == NULL && update->op_count > 0) ||
	    (update->prereqs == NULL && update->prereq_count > 0) ||
	    (update->policy == NULL && update->op_count > 0)) {
		return KNOT_EINVAL;
	}
	update->failed = 0;
	memset(&update->result, 0, sizeof(update->result));
	if (store->read_only) {
		return KNOT_EACCES;
	}
	apply_req_t req = { .update = update };

	unsigned flags = 0;
	(void)mdb_env_get_flags(store->env, &flags);
	if (flags & (MDB_NOSYNC | MDB_WRITEMAP)) {
		single_commit(store, &req);
	} else {
		/*
		 * Group commit: the first caller becomes the leader and commits
		 * everything queued meanwhile; the others wait for their result.
		 */
		pthread_mutex_lock(&store->group_lock);
		*store->group_tail = &req;
		store->group_tail = &req.next;
		while (!req.done) {
			if (store->group_leader) {
				pthread_cond_wait(&store->group_done, &store->group_lock);
				continue;
			}
			store->group_leader = true;
			apply_req_t *group = store->group_head, *last = group;
			for (int n = 1; n < GROUP_MAX && last->next != NULL; n++) {
				last = last->next;
			}
			store->group_head = last->next;
			if (store->group_head == NULL) {
				store->group_tail = &store->group_head;
			}
			last->next = NULL;
			pthread_mutex_unlock(&store->group_lock);

			group_commit(store, group);

			pthread_mutex_lock(&store->group_lock);
			for (apply_req_t *r = group; r != NULL; r = r->next) {
				r->done = true;
			}
			store->group_leader = false;
			pthread_cond_broadcast(&store->group_done);
		}
		pthread_mutex_unlock(&store->group_lock);
	}

	if (req.ret == KNOT_EOK) {
		update->result = req.res;
	}
	return req.ret;
}

/*! One purge transaction; \a cb is called per removed value after commit. */
static int purge_batch(lmdb_store_t *store, uint64_t now, size_t limit,
                       size_t *purged, bool *more, acme_purge_cb cb, void *ctx)
{
	*purged = 0;
	*more = false;
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
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
		ret = db_del(store, txn, store->expiry, &k, &d);
		if (ret != MDB_SUCCESS) {
			break;
		}
		MDB_val vk = { vlen, vkey }, vd;
		value_rec_t rec;
		if (vlen > 0 && mdb_get(txn, store->values, &vk, &vd) == MDB_SUCCESS &&
		    value_rec_get(&vd, &rec) && rec.expires <= now) {
			ret = db_del(store, txn, store->values, &vk, NULL);
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
		return mdb_to_knot(ret);
	}
	ret = commit_covered(store, txn);
	if (ret != MDB_SUCCESS) {
		free(owners);
		*purged = 0;
		return mdb_to_knot(ret);
	}
	for (size_t pos = 0; pos < owners_len; pos += 1 + owners[pos]) {
		knot_dname_storage_t owner;
		owner_from_key(owners + pos + 1, owners[pos], owner);
		cb(owner, ctx);
	}
	free(owners);
	return KNOT_EOK;
}

static int lmdb_purge(acme_store_t *base, uint64_t now, size_t limit,
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
	if (db_put(store, txn, store->meta, &key, &data) == MDB_SUCCESS) {
		(void)commit_covered(store, txn);
	} else {
		mdb_txn_abort(txn);
	}
}

/*!
 * Background purger: removes expired values in bounded batches, one short
 * write transaction each, so neither readers nor writers wait on a big purge.
 */
static void *purger_main(void *arg)
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
		if (atomic_load(&store->filter_stale) || filter_behind(store)) {
			(void)filter_rebuild(store);
		}
		/* Asynchronous mode: bound what a power loss can take. */
		unsigned flags = 0;
		if (mdb_env_get_flags(store->env, &flags) == MDB_SUCCESS && (flags & MDB_NOSYNC)) {
			(void)mdb_env_sync(store->env, 1);
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += PURGE_INTERVAL_MS / 1000;
		until.tv_nsec += (PURGE_INTERVAL_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!store->purger_stop &&
		       pthread_cond_timedwait(&store->wake, &store->lock, &until) != ETIMEDOUT);
	}
	pthread_mutex_unlock(&store->lock);
	return NULL;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		return KNOT_ERANGE;
	}
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST) {
				return knot_map_errno();
			}
			*p = '/';
		}
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST) {
		return knot_map_errno();
	}
	return KNOT_EOK;
}

/*!
 * Checks (or, in a new database, writes) the format version, so that a
 * module and a tool of different formats never silently miss each other's
 * values.
 */
static int format_check(MDB_txn *txn, bool create, MDB_dbi *meta_out)
{
	MDB_dbi meta;
	int ret = mdb_dbi_open(txn, "meta", create ? MDB_CREATE : 0, &meta);
	if (ret == MDB_SUCCESS) {
		*meta_out = meta;
	}
	if (ret == MDB_NOTFOUND) {
		return KNOT_ENOTSUP; /* Read-only open of a database without version. */
	} else if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
	}
	MDB_val key = { 6, "format" }, data;
	ret = mdb_get(txn, meta, &key, &data);
	if (ret == MDB_NOTFOUND && create) {
		uint32_t version = STORE_FORMAT;
		data = (MDB_val){ sizeof(version), &version };
		return mdb_to_knot(mdb_put(txn, meta, &key, &data, 0));
	} else if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
	}
	uint32_t version;
	if (data.mv_size != sizeof(version)) {
		return KNOT_ENOTSUP;
	}
	memcpy(&version, data.mv_data, sizeof(version));
	return version == STORE_FORMAT ? KNOT_EOK : KNOT_ENOTSUP;
}

static void store_free(lmdb_store_t *store)
{
	free(atomic_load(&store->filter));
	free(store->retired);
	for (int i = 0; i < ACME_STORE_SLOTS; i++) {
		if (store->readers[i].txn != NULL) {
			mdb_cursor_close(store->readers[i].cur);
			mdb_txn_abort(store->readers[i].txn);
		}
	}
	if (store->env != NULL) {
		mdb_env_close(store->env);
	}
	pthread_cond_destroy(&store->wake);
	pthread_mutex_destroy(&store->lock);
	pthread_cond_destroy(&store->group_done);
	pthread_mutex_destroy(&store->group_lock);
	pthread_mutex_destroy(&store->cover_lock);
	free(store->path);
	free(store);
}

static int store_create(lmdb_store_t **out, const char *path, const acme_lmdb_opts_t *opts)
{
	lmdb_store_t *store = calloc(1, sizeof(*store));
	if (store == NULL) {
		return KNOT_ENOMEM;
	}
	pthread_mutex_init(&store->lock, NULL);
	pthread_mutex_init(&store->group_lock, NULL);
	pthread_mutex_init(&store->cover_lock, NULL);
	pthread_cond_init(&store->group_done, NULL);
	store->group_tail = &store->group_head;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&store->wake, &attr);
	pthread_condattr_destroy(&attr);
	store->path = strdup(path);
	store->base.api = &lmdb_api;
	store->base.where = store->path;
	store->refs = 1;
	store->read_only = opts->read_only;

	int ret = mdb_env_create(&store->env);
	if (ret != MDB_SUCCESS || store->path == NULL) {
		store->env = NULL;
		store_free(store);
		return KNOT_ENOMEM;
	}
	if (mdb_env_get_maxkeysize(store->env) < VALUE_KEY_MAX) {
		store_free(store);
		return KNOT_ENOTSUP;
	}
	/* A new database gets the default size; an existing one keeps its own. */
	char data_file[PATH_MAX];
	if (snprintf(data_file, sizeof(data_file), "%s/data.mdb", path) >= (int)sizeof(data_file)) {
		store_free(store);
		return KNOT_ERANGE;
	}
	bool exists = access(data_file, F_OK) == 0;
	if (!exists && !opts->create) {
		store_free(store);
		return KNOT_ENOENT;
	}
	size_t map_size = opts->map_size;
	if (map_size == 0 && !exists) {
		map_size = ACME_LMDB_MAP_SIZE_DEFAULT;
	}
	if (map_size > 0) {
		ret = mdb_env_set_mapsize(store->env, map_size);
	}
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_set_maxdbs(store->env, 3);
	}
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_set_maxreaders(store->env, MAX_READERS);
	}
	unsigned flags = MDB_NOTLS | (opts->read_only ? MDB_RDONLY : 0) |
	                 (opts->asynchronous ? MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC : 0);
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_open(store->env, path, flags, 0600);
	}
	if (ret != MDB_SUCCESS) {
		store_free(store);
		return mdb_to_knot(ret);
	}
	int stale;
	(void)mdb_reader_check(store->env, &stale);

	MDB_txn *txn;
	ret = mdb_txn_begin(store->env, NULL, opts->read_only ? MDB_RDONLY : 0, &txn);
	if (ret == MDB_SUCCESS) {
		unsigned create = opts->read_only ? 0 : MDB_CREATE;
		ret = mdb_dbi_open(txn, "values", create, &store->values);
		if (ret == MDB_SUCCESS) {
			ret = mdb_dbi_open(txn, "expiry", create | MDB_DUPSORT, &store->expiry);
		}
		int fmt = (ret == MDB_SUCCESS) ? format_check(txn, create != 0, &store->meta) : KNOT_EOK;
		if (ret == MDB_SUCCESS && fmt == KNOT_EOK) {
			ret = mdb_txn_commit(txn);
		} else {
			mdb_txn_abort(txn);
		}
		if (fmt != KNOT_EOK) {
			store_free(store);
			return fmt;
		}
	}
	if (ret != MDB_SUCCESS) {
		store_free(store);
		return mdb_to_knot(ret);
	}

	if (!opts->no_purger && !opts->read_only) {
		/* The purger keeps the negative filter fresh; without it, no filter. */
		ret = filter_rebuild(store);
		if (ret != KNOT_EOK) {
			store_free(store);
			return ret;
		}
		if (pthread_create(&store->purger, NULL, purger_main, store) != 0) {
			store_free(store);
			return KNOT_ENOMEM;
		}
		store->purger_running = true;
	}
	*out = store;
	return KNOT_EOK;
}

int acme_lmdb_open(acme_store_t **out, const char *path, const acme_lmdb_opts_t *opts)
{
	if (out == NULL || path == NULL || *path == '\0') {
		return KNOT_EINVAL;
	}
	acme_lmdb_opts_t defaults = { 0 };
	if (opts == NULL) {
		opts = &defaults;
	}
	if (opts->create && !opts->read_only) {
		int ret = mkdir_p(path, 0700);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	char real[PATH_MAX];
	if (realpath(path, real) == NULL) {
		return knot_map_errno();
	}

	pthread_mutex_lock(&registry_lock);
	for (lmdb_store_t *s = registry; s != NULL; s = s->next) {
		if (strcmp(s->path, real) == 0) {
			/* The latest opener's mode applies (a reload changes it). */
			if (!s->read_only) {
				(void)mdb_env_set_flags(s->env, MDB_NOSYNC, opts->asynchronous);
			}
			s->refs++;
			*out = &s->base;
			pthread_mutex_unlock(&registry_lock);
			return KNOT_EOK;
		}
	}
	/* LMDB 0.9.27 and later (Debian 13 on) destroy the lock file's mutexes
	 * when the last process closes the environment; one opening it at that
	 * moment gets them destroyed, and its first transaction fails with EINVAL.
	 * Opening again initializes them anew. */
	lmdb_store_t *store = NULL;
	int ret = KNOT_EINVAL;
	for (int attempt = 0; attempt < 3 && ret == KNOT_EINVAL; attempt++) {
		ret = store_create(&store, real, opts);
	}
	if (ret == KNOT_EOK) {
		store->next = registry;
		registry = store;
		*out = &store->base;
	}
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

static void lmdb_close(acme_store_t *base)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	pthread_mutex_lock(&registry_lock);
	if (--store->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (lmdb_store_t **s = &registry; *s != NULL; s = &(*s)->next) {
		if (*s == store) {
			*s = store->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);

	if (store->purger_running) {
		pthread_mutex_lock(&store->lock);
		store->purger_stop = true;
		pthread_cond_signal(&store->wake);
		pthread_mutex_unlock(&store->lock);
		pthread_join(store->purger, NULL);
	}
	while (store->watchers != NULL) {
		watcher_t *w = store->watchers;
		store->watchers = w->next;
		free(w);
	}
	store_free(store);
}

static int lmdb_watch(acme_store_t *base, acme_purge_cb cb, void *ctx)
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

static void lmdb_unwatch(acme_store_t *base, acme_purge_cb cb, void *ctx)
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

static int lmdb_stats(acme_store_t *base, acme_store_stats_t *stats)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (stats == NULL) {
		return KNOT_EINVAL;
	}
	MDB_envinfo info;
	MDB_stat st;
	int ret = mdb_env_info(store->env, &info);
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_stat(store->env, &st);
	}
	if (ret != MDB_SUCCESS) {
		return mdb_to_knot(ret);
	}
	*stats = (acme_store_stats_t){
		.used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize,
		.capacity = info.me_mapsize,
	};
	MDB_txn *txn;
	ret = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn);
	if (ret == MDB_SUCCESS) {
		ret = mdb_stat(txn, store->values, &st);
		stats->values = st.ms_entries;
		mdb_txn_abort(txn);
	}
	return mdb_to_knot(ret);
}

static const acme_store_api_t lmdb_api = {
	.name = "lmdb",
	.close = lmdb_close,
	.find_key = lmdb_find_key,
	.read = lmdb_read,
	.apply = lmdb_apply,
	.list = lmdb_list,
	.purge = lmdb_purge,
	.stats = lmdb_stats,
	.watch = lmdb_watch,
	.unwatch = lmdb_unwatch,
};
