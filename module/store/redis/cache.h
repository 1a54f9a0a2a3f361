/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Value cache of the Redis backend's query path.
 *
 * A name's values, and the latest expiry of the owners below it, as last read
 * from the read server, kept only while that server names every change to
 * them: a thread holds a connection to it with Redis's client-side caching in
 * broadcast mode (CLIENT TRACKING ... BCAST on the prefix's "v:" and "b:"
 * keys, redirected to itself, SUBSCRIBE __redis__:invalidate).  Every such key
 * that changes there, by a node's update on the primary or by the replication
 * stream applying it on a replica, and every flush or full resync, is named
 * on that socket in the event loop turn that made the change.
 *
 * - A worker answers from an entry only while the tracking connection is up,
 *   nothing is unread on its socket (poll, no round trip), the thread is not
 *   handling a message, and no message was handled since it looked the entry
 *   up (a generation count).
 * - A worker stores what it read only if no message was handled, or is
 *   pending, since before it sent the read: a change made after the read is
 *   named afterwards and removes the entry.
 * - Expiry needs no message: an entry keeps each value's expiry, checked at
 *   every answer.
 *
 * With `redis-replicas` counting this node's replica, the replica applies an
 * update and names its keys in the event loop turn in which it confirms it to
 * the primary's WAIT, so before the updating node answers NOERROR.  Broadcast
 * messages are queued at the end of that turn, and Redis writes a turn's
 * output newest client first (its pending-write list; without I/O threads,
 * the default), so they leave before the confirmation (checked by
 * tests/unit/test_redis.c right after each WAIT, on Redis and Valkey).  A
 * flush is named while the command runs, and so may leave after; a flush is
 * no update of the module's.  Only a fixed read server is cached (not one
 * named by the Sentinels).
 */

#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "module/store/okey.h"
#include "module/store/redis/follower.h"
#include "module/store/store.h"

struct redis_store;
struct cache_entry;

/*!
 * Sets of two entries, a name's set given by its hash: 2 MiB of pointers, of
 * which pages never written take no memory.
 */
#define CACHE_SETS	(1U << 17)
/*! Locks, each guarding every CACHE_LOCKS-th set. */
#define CACHE_LOCKS	64
/*! No new entry while the entries take this much. */
#define CACHE_BYTES_MAX	(32U << 20)

typedef struct {
	follower_t follower;       /*!< Must be first: the tracking connection's thread. */
	struct redis_store *rs;
	atomic_bool current;       /*!< The tracking connection is up. */
	_Atomic uint64_t gen;      /*!< Messages handled (and resets). */
	_Atomic uint64_t hits;
	_Atomic size_t bytes;      /*!< Held by the entries. */
	struct cache_entry **slots;
	pthread_mutex_t locks[CACHE_LOCKS];
} cache_t;

int cache_start(cache_t *c, struct redis_store *rs);
void cache_stop(cache_t *c);

/*! Taken before a read whose result may be stored (cache_store()). */
uint64_t cache_ticket(cache_t *c);

/*!
 * Answers a read from the cache: true when it did, with \a ret the number of
 * live values (\a cb called for each) or \a cb's error, and \a below as
 * acme_store_read() sets it.
 */
bool cache_read(cache_t *c, const acme_okey_t *okey, uint64_t now, acme_value_cb cb,
                void *ctx, bool *below, int *ret);

/*!
 * Stores a name's HGETALL reply and the latest expiry below it (0: none), as
 * read after cache_ticket() gave \a ticket; dropped when a change may have
 * come between.
 */
void cache_store(cache_t *c, uint64_t ticket, const acme_okey_t *okey,
                 const redisReply *hash, uint64_t below);
