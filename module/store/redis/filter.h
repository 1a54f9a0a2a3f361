/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Negative filter of the Redis backend's query path.
 *
 * A Bloom filter of every owner that got a value and of its ancestors.  A
 * name whose key is not in it has no value at or below it, and its miss costs
 * no round trip.  The filter is trusted only while it is current:
 *
 * - a thread subscribes to the prefix's channel on the PRIMARY (apply.lua
 *   publishes each owner it adds a value to; Redis does not pass
 *   publications on to replicas), THEN scans the owner keys there, then
 *   declares the filter current.  Every update of any node runs on that
 *   primary, so its publication is written to this node's socket in the
 *   same event loop turn, before the updating node can have its answer (with
 *   redis-replicas > 0 the WAIT takes more turns; with 0 the updating node
 *   sends a PING after the script for the same effect);
 * - a worker that finds a name absent also looks whether the subscription's
 *   socket holds unread messages (poll, no round trip) or the thread is
 *   handling some: if so it reads Redis;
 * - when the subscription breaks, or the server stops being the primary
 *   (asked every 500 ms: a failover demotes it), the filter stops being
 *   current (every name is read from Redis) until a new subscription and
 *   scan on the primary make it so again.
 *
 * Deletes and expiry leave bits set: only false positives, which cost a read.
 * The filter is rebuilt (new subscription and scan) when it gets full.
 *
 * What remains: after a failover where the old primary stays reachable from
 * this node but not from the Sentinels, updates on the new primary can be
 * missed for up to 500 ms (the next ROLE check then rebuilds the filter).
 */

#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "module/store/okey.h"
#include "module/store/redis/follower.h"

struct redis_store;

typedef struct {
	follower_t follower;      /*!< Must be first: the subscription's thread. */
	struct redis_store *rs;
	atomic_bool current;      /*!< Bits cover every owner in Redis. */
	struct bloom *_Atomic bits;
	struct bloom *retired;    /*!< Replaced bits, freed at the next swap. */
} filter_t;

int filter_start(filter_t *f, struct redis_store *rs);
void filter_stop(filter_t *f);

/*! Whether \a okey surely has no value at or below it. */
bool filter_absent(filter_t *f, const acme_okey_t *okey);
