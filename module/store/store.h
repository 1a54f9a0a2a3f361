/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The challenge store: live TXT values per owner name, with expiry.
 *
 * This is the seam between the DNS paths (module/knotd/, module/dns/, the
 * tool) and the storage backends (module/store/lmdb/, module/store/redis/).
 * The paths see only this header: read a name's live values, ask whether a
 * name or anything below it may hold values, apply one update (its
 * prerequisites and its operations, given as data) atomically, list, purge,
 * stats.  A backend fills an acme_store_api_t and embeds acme_store_t at the
 * start of its own handle.
 *
 * Prerequisites are data, not callbacks, so a backend evaluates them where
 * the data is (inside the LMDB write transaction, inside a Redis script on
 * the server): an update's checks and writes read top to bottom in the
 * backend, never on another update's stack.
 *
 * Names are compared case-insensitively.  Values are TXT rdata in wire form.
 * Times are milliseconds since the Unix epoch (see module/common/clock.h).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/store/okey.h"

/*! Largest TXT rdata accepted (one full 255-byte string and its length). */
#define ACME_STORE_RDATA_MAX		256

/*! Number of reader slots (see acme_store_read()). */
#define ACME_STORE_SLOTS	256

typedef struct acme_store acme_store_t;

/*!
 * One stored value as seen by readers.  Pointers are valid only during the
 * callback.
 */
typedef struct {
	const knot_dname_t *owner; /*!< Owner, lower case, wire form. */
	const uint8_t *rdata;      /*!< TXT rdata (wire form). */
	uint16_t rdata_len;
	uint32_t ttl;              /*!< TTL given when added. */
	uint64_t added;            /*!< Time of the last add (ms). */
	uint64_t expires;          /*!< Absolute expiry (ms). */
} acme_value_t;

/*! Called for each live value; a non-KNOT_EOK return stops the walk and is returned. */
typedef int (*acme_value_cb)(const acme_value_t *value, void *ctx);

/*! Policy applied when adding values. */
typedef struct {
	uint32_t lifetime;     /*!< Seconds a value lives after its last add. */
	uint32_t max_records;  /*!< Live values kept per owner (0 = unlimited). */
} acme_policy_t;

/*! One TXT rdata. */
typedef struct {
	const uint8_t *data;
	uint16_t len;
} acme_rdata_t;

/*!
 * Prerequisites a backend evaluates against its live values (RFC 2136 2.4).
 * The caller has already folded in what the zone itself holds, so each one
 * is about the store's values only.
 */
typedef enum {
	ACME_PREREQ_NAME_IN_USE = 1, /*!< The owner has a live value. */
	ACME_PREREQ_NAME_UNUSED,     /*!< The owner has no live value. */
	ACME_PREREQ_TXT_EQUALS,      /*!< The owner's live values are exactly
	                                  \a values (plus any of \a optional). */
} acme_prereq_type_t;

typedef struct {
	acme_prereq_type_t type;
	const knot_dname_t *owner;
	const acme_rdata_t *values;   /*!< TXT_EQUALS: must all be live. */
	size_t count;
	const acme_rdata_t *optional; /*!< TXT_EQUALS: may be live (the zone
	                                   holds them too). */
	size_t optional_count;
} acme_prereq_t;

/*! Kinds of operation in one update. */
typedef enum {
	ACME_OP_ADD = 1,       /*!< Add a value or refresh its TTL and expiry. */
	ACME_OP_DEL_VALUE,     /*!< Delete one value. */
	ACME_OP_DEL_ALL,       /*!< Delete every value of the owner. */
} acme_op_type_t;

/*! One operation. */
typedef struct {
	acme_op_type_t type;
	const knot_dname_t *owner;
	const uint8_t *rdata;      /*!< ADD, DEL_VALUE only. */
	uint16_t rdata_len;
	uint32_t ttl;              /*!< ADD only. */
} acme_op_t;

/*! What one applied update changed. */
typedef struct {
	unsigned added;      /*!< New values. */
	unsigned refreshed;  /*!< Values that existed and got a new expiry. */
	unsigned deleted;    /*!< Live values removed by delete operations. */
	unsigned dropped;    /*!< Oldest values dropped by max_records. */
} acme_result_t;

/*! One update: prerequisites, in order, then operations, in order. */
typedef struct {
	const acme_prereq_t *prereqs;
	size_t prereq_count;
	const acme_op_t *ops;        /*!< NULL/0: only evaluate the prerequisites. */
	size_t op_count;
	const acme_policy_t *policy;
	uint64_t now;

	/* Out. */
	size_t failed;               /*!< Index of the prerequisite that failed
	                                  (with KNOT_EPREREQ). */
	acme_result_t result;        /*!< What changed (with KNOT_EOK). */
} acme_update_t;

/*! A prerequisite did not hold; acme_update_t.failed says which. */
#define KNOT_EPREREQ	KNOT_EDENIED

/*! Store-wide figures (acme_store_stats()). */
typedef struct {
	uint64_t values;     /*!< Stored values, expired ones not yet purged included. */
	uint64_t used;       /*!< Bytes in use (backend's measure). */
	uint64_t capacity;   /*!< Bytes it may hold (0 = no fixed limit). */
} acme_store_stats_t;

/*!
 * Called by a backend that purges in the background once per removed value,
 * with its owner; used for per-zone counters.  Callbacks run with the
 * backend's watcher lock held: they must not call acme_store_watch() or
 * acme_store_unwatch(), and once unwatch returns the callback is never
 * called again.
 */
typedef void (*acme_purge_cb)(const knot_dname_t *owner, void *ctx);

/*! What a backend implements. */
typedef struct {
	const char *name;    /*!< "lmdb", "redis". */
	void (*close)(acme_store_t *store);
	bool (*find_okey)(acme_store_t *store, const knot_dname_t *name, acme_okey_t *okey);
	int (*read)(acme_store_t *store, int slot, const acme_okey_t *okey, uint64_t now,
	            acme_value_cb cb, void *ctx, bool *below);
	int (*apply)(acme_store_t *store, acme_update_t *update);
	int (*list)(acme_store_t *store, const knot_dname_t *apex, uint64_t now,
	            acme_value_cb cb, void *ctx);
	int (*purge)(acme_store_t *store, uint64_t now, size_t limit, size_t *purged, bool *more);
	int (*stats)(acme_store_t *store, acme_store_stats_t *stats);
	int (*watch)(acme_store_t *store, acme_purge_cb cb, void *ctx);      /*!< Optional. */
	void (*unwatch)(acme_store_t *store, acme_purge_cb cb, void *ctx);   /*!< Optional. */
} acme_store_api_t;

/*! The head of every backend's handle. */
struct acme_store {
	const acme_store_api_t *api;
	const char *where;   /*!< Path or address, for log lines. */
};

/*! Drops one reference to the store (backends share handles per process). */
static inline void acme_store_close(acme_store_t *store)
{
	if (store != NULL) {
		store->api->close(store);
	}
}

/*! Path or address of the store, for log lines. */
static inline const char *acme_store_where(const acme_store_t *store)
{
	return store->where;
}

/*!
 * The first step of a read on the query path: false when the store surely
 * has no value at or below \a name, known without a database read or a
 * network round trip (or when \a name is not an uncompressed wire name);
 * otherwise true, with \a okey set to the name's owner key for acme_store_read().
 */
static inline bool acme_store_find_okey(acme_store_t *store, const knot_dname_t *name,
                                        acme_okey_t *okey)
{
	return store->api->find_okey(store, name, okey);
}

/*!
 * Reads the live values of the name of \a okey.
 *
 * \param slot   Reader slot: one per thread that reads often (a knotd
 *               worker's thread id).  A slot must never be used by two
 *               threads at once.  A slot outside 0..ACME_STORE_SLOTS-1
 *               reads without one (slower).
 * \param below  If not NULL, set to true when the name has no live value but
 *               some live value exists strictly below it (an empty
 *               non-terminal); false otherwise.
 *
 * \return Number of live values (>= 0), or a libknot error code.
 */
static inline int acme_store_read(acme_store_t *store, int slot, const acme_okey_t *okey,
                                  uint64_t now, acme_value_cb cb, void *ctx, bool *below)
{
	return store->api->read(store, slot, okey, now, cb, ctx, below);
}

/*!
 * Applies one update all-or-nothing: every prerequisite in order, then every
 * operation in order; expired values met on the way are removed too.
 *
 * \retval KNOT_EOK      Committed and durable as the backend promises.
 * \retval KNOT_EPREREQ  update->failed did not hold; nothing written.
 * \retval KNOT_ESPACE   The store is full (adds are refused while room for
 *                       deletes is kept); nothing written.
 * \retval other         Backend error (timeout, connection); nothing written.
 */
static inline int acme_store_apply(acme_store_t *store, acme_update_t *update)
{
	return store->api->apply(store, update);
}

/*!
 * Walks the live values of \a apex and every name below it (all names if
 * \a apex is NULL), grouped by owner, ancestors first.
 *
 * \return Number of live values walked, or a libknot error code.
 */
static inline int acme_store_list(acme_store_t *store, const knot_dname_t *apex, uint64_t now,
                                  acme_value_cb cb, void *ctx)
{
	return store->api->list(store, apex, now, cb, ctx);
}

/*!
 * Removes at most \a limit expired values (0 = no limit).  A backend whose
 * values expire by themselves reports nothing purged.
 */
static inline int acme_store_purge(acme_store_t *store, uint64_t now, size_t limit,
                                   size_t *purged, bool *more)
{
	return store->api->purge(store, now, limit, purged, more);
}

static inline int acme_store_stats(acme_store_t *store, acme_store_stats_t *stats)
{
	return store->api->stats(store, stats);
}

/*! Subscribes to purge notifications; KNOT_ENOTSUP where values expire by themselves. */
static inline int acme_store_watch(acme_store_t *store, acme_purge_cb cb, void *ctx)
{
	return store->api->watch != NULL ? store->api->watch(store, cb, ctx) : KNOT_ENOTSUP;
}

static inline void acme_store_unwatch(acme_store_t *store, acme_purge_cb cb, void *ctx)
{
	if (store->api->unwatch != NULL) {
		store->api->unwatch(store, cb, ctx);
	}
}
