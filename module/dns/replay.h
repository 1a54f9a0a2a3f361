/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief TSIG replay cache: the MACs of recently accepted signed UPDATEs.
 *
 * A TSIG-signed message stays verifiable for its whole time window (time
 * signed +- fudge), so a captured UPDATE can be sent again and Knot (like
 * BIND) applies it again: a deleted challenge value comes back, a value added
 * since is deleted.  The module therefore remembers, per zone, the MAC of
 * every signed UPDATE it accepted until that MAC's window is over, and turns
 * a second arrival away.  The MAC identifies the message: it covers the
 * whole message, the original ID and the TSIG variables, so nothing in a
 * replay can change without breaking the MAC but the header ID, the letter
 * case of the key name and, from libknot 3.5.7 on, the MAC's length: Knot
 * 3.5.7+ accepts a MAC truncated to half the digest or 10 octets, whichever
 * is more (RFC 8945 5.2.2.1).  None of these is part of the cache key: the
 * key name is lower-cased and only the first ACME_REPLAY_MAC_KEY octets of
 * the MAC, which every acceptable truncation of it keeps, are taken.
 *
 * Memory is fixed at creation: buckets of ACME_REPLAY_WAYS entries (one
 * cache line each, with its own spin lock, so worker threads rarely meet),
 * chosen by a keyed hash (SipHash-2-4, random key) that a client cannot aim
 * at one bucket.  When a bucket is full of live entries, the entry whose
 * window ends first is forgotten and the bucket's floor is raised to that
 * end: from then on the bucket refuses every message whose window ends at or
 * before the floor, since it can no longer tell whether such a message is a
 * replay.  So protection never silently lapses; past capacity, some fresh
 * messages get the same refusal (and the client retries with a new MAC).
 * Only MACs that verified are ever inserted, so only key holders fill it.
 *
 * A message's window, for the cache, is capped at ACME_REPLAY_WINDOW
 * seconds: an entry never lives longer than twice that, and a message signed
 * with a larger fudge is accepted only within the capped window.
 *
 * Caches live in a process-wide registry keyed by zone name, so the module
 * instance a `knotc reload` creates shares the cache of the one it replaces
 * (knotd loads the new instance before it unloads the old one).  A knotd
 * restart starts with an empty cache.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! Longest time window remembered (seconds), RFC 8945's recommended fudge. */
#define ACME_REPLAY_WINDOW	300

/*! Octets of the MAC the cache tells messages by: RFC 8945's shortest
 *  acceptable truncation (the same message truncated is the same message). */
#define ACME_REPLAY_MAC_KEY	10

/*! Entries per bucket (a bucket is one 64-byte cache line). */
#define ACME_REPLAY_WAYS	7

/*! Default number of entries. */
#define ACME_REPLAY_DEFAULT	131072

typedef struct acme_replay acme_replay_t;

/*! Verdict on one signed message. */
typedef enum {
	ACME_REPLAY_FRESH = 0,  /*!< First arrival: remembered, go on. */
	ACME_REPLAY_SEEN,       /*!< Same key and MAC accepted before: a replay. */
	ACME_REPLAY_OUTSIDE,    /*!< Outside the capped window (fudge larger than
	                             ACME_REPLAY_WINDOW and a larger clock skew). */
	ACME_REPLAY_FORGOTTEN,  /*!< The cache had to forget messages valid at
	                             least as long as this one (over capacity). */
} acme_replay_verdict_t;

/*!
 * Opens (or references) the replay cache of \a zone.
 *
 * In one process, opening the cache of the same zone again returns the same
 * cache with its reference count raised (\a capacity is then ignored).
 *
 * \param out       Cache.
 * \param zone      Zone name.
 * \param capacity  Number of entries (> 0), rounded up to whole buckets.
 */
int acme_replay_open(acme_replay_t **out, const knot_dname_t *zone, size_t capacity);

/*! Drops one reference; the last one frees the cache. */
void acme_replay_close(acme_replay_t *cache);

/*! Number of entries the cache holds. */
size_t acme_replay_capacity(const acme_replay_t *cache);

/*!
 * Checks a verified signed message and remembers it, atomically with respect
 * to other threads: of two arrivals of one message, exactly one is FRESH.
 *
 * \param cache        Cache.
 * \param key_name     TSIG key name (any letter case).
 * \param mac          The message's MAC (its first ACME_REPLAY_MAC_KEY octets count).
 * \param mac_len      Its length.
 * \param time_signed  TSIG time signed (seconds since the epoch).
 * \param fudge        TSIG fudge (seconds).
 * \param now          Current time (seconds since the epoch).
 */
acme_replay_verdict_t acme_replay_check(acme_replay_t *cache, const knot_dname_t *key_name,
                                        const uint8_t *mac, size_t mac_len,
                                        uint64_t time_signed, uint16_t fudge, uint64_t now);
