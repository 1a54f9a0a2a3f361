/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Challenge store: live TXT values per owner name, with expiry.
 *
 * The interface is deliberately narrow so that another backend can implement
 * it: read an owner's live values, apply one update's operations atomically
 * (with a caller-supplied check evaluated inside the same transaction), purge
 * expired values.  The LMDB backend keeps one environment per path per process
 * in a reference-counted registry, so knotd reloads and several zones sharing
 * one database never open an environment twice.
 *
 * Names are stored case-insensitively.  Values are TXT rdata in wire form.
 * Times are milliseconds since the Unix epoch (CLOCK_REALTIME).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/store/key.h"

/*! Default LMDB map size (maximum database size). */
#define ACME_STORE_MAP_SIZE_DEFAULT	(64ULL * 1024 * 1024)

/*! Largest TXT rdata accepted (one full 255-byte string and its length). */
#define ACME_STORE_RDATA_MAX		256

typedef struct acme_store acme_store_t;
typedef struct acme_txn acme_txn_t;

/*!
 * One stored value as seen by readers.  Pointers are valid only during the
 * callback, which runs inside the store's read (or write) transaction.
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

/*! Store opening options. */
typedef struct {
	size_t map_size;  /*!< LMDB map size; 0 keeps the size of an existing database
	                       and gives a new one ACME_STORE_MAP_SIZE_DEFAULT. */
	bool create;      /*!< Create the directory and database when missing;
	                       without it a missing database is KNOT_ENOENT and
	                       nothing is created. */
	bool read_only;   /*!< Open read-only. */
	bool no_purger;   /*!< Do not start the background purge thread. */
	bool asynchronous;/*!< Commit without fsync (MDB_NOSYNC, MDB_WRITEMAP): a
	                       committed update survives a crash of the process
	                       but a power loss may lose the last second of
	                       updates (the purger syncs every second).  The
	                       latest opener's sync mode applies to a shared
	                       store.  Otherwise (robust) every commit is synced,
	                       and concurrent writers are committed in groups. */
} acme_store_opts_t;

/*!
 * Opens (or references) the store at \a path.
 *
 * In one process, opening the same path again returns the same store with
 * its reference count raised (the new options are ignored);
 * acme_store_close() drops it.  A database of another format version is
 * refused with KNOT_ENOTSUP.
 */
int acme_store_open(acme_store_t **out, const char *path, const acme_store_opts_t *opts);

/*! Drops one reference; the last one stops the purger and closes the environment. */
void acme_store_close(acme_store_t *store);

/*! Path of the store (as given to open). */
const char *acme_store_path(const acme_store_t *store);

/*! Current time in milliseconds (CLOCK_REALTIME). */
uint64_t acme_now_ms(void);

/*! Number of reader slots (see acme_store_read_key()). */
#define ACME_STORE_SLOTS	256

/*!
 * The first step of a read on the query path: false when the store surely
 * has no value at or below \a name, known from an in-memory filter without
 * reading the database (or when \a name is not an uncompressed wire name);
 * otherwise true, with \a key set to the name's key for
 * acme_store_read_key().  The name is walked once for both.
 */
bool acme_store_find_key(acme_store_t *store, const knot_dname_t *name, acme_store_key_t *key);

/*!
 * Reads the live values of the name of \a key, straight from the database
 * (after acme_store_find_key() said it may be there).
 *
 * \param slot   Reader slot: one per thread that reads often (e.g. a knotd
 *               worker's thread id), which makes a read cheaper.  A slot must
 *               never be used by two threads at once; slots are shared by
 *               every user of the store in the process.  A slot outside
 *               0..ACME_STORE_SLOTS-1 reads in a transaction of its own.
 * \param below  If not NULL, set to true when the name has no live value but
 *               some live value exists strictly below it (the name is then
 *               an empty non-terminal); false otherwise.
 *
 * \return Number of live values (>= 0), or a libknot error code.
 */
int acme_store_read_key(acme_store_t *store, int slot, const acme_store_key_t *key,
                        uint64_t now, acme_value_cb cb, void *ctx, bool *below);

/*!
 * Walks the live values of \a apex and every name below it (all names if
 * \a apex is NULL), grouped by owner, ancestors first (not DNS canonical order).
 *
 * \return Number of live values walked, or a libknot error code.
 */
int acme_store_list(acme_store_t *store, const knot_dname_t *apex, uint64_t now,
                    acme_value_cb cb, void *ctx);

/*! Policy applied when adding values. */
typedef struct {
	uint32_t lifetime;     /*!< Seconds a value lives after its last add. */
	uint32_t max_records;  /*!< Live values kept per owner (0 = unlimited). */
} acme_policy_t;

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

/*!
 * Check run inside the write transaction before the operations, e.g. RFC 2136
 * prerequisites.  Return KNOT_EOK to go on; anything else aborts the update
 * and is returned by acme_store_apply().
 */
typedef int (*acme_check_cb)(acme_txn_t *txn, uint64_t now, void *ctx);

/*!
 * Applies \a ops all-or-nothing in one write transaction: \a check (optional),
 * then every operation in order, then commit.  Expired values met on the way
 * are removed in the same transaction.
 *
 * \retval KNOT_EOK     Committed (durable when this returns).
 * \retval KNOT_ESPACE  The database is full: adds are refused while 1/8 of the
 *                      map is still free, so deletes and purges keep working.
 * \retval other        Error from \a check or the backend; nothing written.
 */
int acme_store_apply(acme_store_t *store, const acme_op_t *ops, size_t count,
                     const acme_policy_t *policy, uint64_t now,
                     acme_check_cb check, void *check_ctx, acme_result_t *result);

/*! Reads live values of \a owner inside a transaction (for checks). */
int acme_txn_read(acme_txn_t *txn, const knot_dname_t *owner, uint64_t now,
                  acme_value_cb cb, void *ctx, bool *below);

/*!
 * Removes at most \a limit expired values (0 = no limit) in one write
 * transaction.
 *
 * \param purged  Number of values removed.
 * \param more    Set to true if expired values remain.
 */
int acme_store_purge(acme_store_t *store, uint64_t now, size_t limit,
                     size_t *purged, bool *more);

/*!
 * Called by the background purger once per removed value, with its owner;
 * used for per-zone counters.  Registered per user of a shared store.
 * Callbacks run with the store's watcher lock held: they must not call
 * acme_store_watch()/acme_store_unwatch(), and once unwatch returns the
 * callback is never called again.
 */
typedef void (*acme_purge_cb)(const knot_dname_t *owner, void *ctx);

/*! Subscribes to purge notifications (the purger runs in its own thread). */
int acme_store_watch(acme_store_t *store, acme_purge_cb cb, void *ctx);

/*! Cancels a subscription made with acme_store_watch(). */
void acme_store_unwatch(acme_store_t *store, acme_purge_cb cb, void *ctx);
