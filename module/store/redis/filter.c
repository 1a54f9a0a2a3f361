/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "module/store/redis/internal.h"

/*! Bits of the filter: about a million names at 8 bits each. */
#define BLOOM_BITS	(1ULL << 23)
/*! Rebuild (resubscribe and rescan) once this many entries are in. */
#define BLOOM_ENTRIES_MAX	(BLOOM_BITS / 8)
/*! How often the subscribed server is asked whether it is still the primary. */
#define ROLE_CHECK_MS	500

typedef struct bloom {
	_Atomic uint64_t entries;
	_Atomic uint64_t words[BLOOM_BITS / 64];
} bloom_t;

/*! Two bit positions from one hash (redis_hash()). */
static bool bloom_has(const bloom_t *b, uint64_t h)
{
	uint64_t b1 = h & (BLOOM_BITS - 1), b2 = (h >> 32) & (BLOOM_BITS - 1);
	return (atomic_load_explicit(&b->words[b1 / 64], memory_order_acquire) >> (b1 % 64) & 1) &&
	       (atomic_load_explicit(&b->words[b2 / 64], memory_order_acquire) >> (b2 % 64) & 1);
}

static void bloom_set(bloom_t *b, uint64_t h)
{
	uint64_t b1 = h & (BLOOM_BITS - 1), b2 = (h >> 32) & (BLOOM_BITS - 1);
	atomic_fetch_or_explicit(&b->words[b1 / 64], 1ULL << (b1 % 64), memory_order_release);
	atomic_fetch_or_explicit(&b->words[b2 / 64], 1ULL << (b2 % 64), memory_order_release);
}

/*! Adds an owner key and the key of each of its ancestors. */
static void bloom_add_owner(bloom_t *b, const uint8_t *okey, size_t len)
{
	size_t pos = 0;
	for (;;) {
		uint64_t h = redis_hash(okey, pos);
		if (!bloom_has(b, h)) {
			bloom_set(b, h);
			atomic_fetch_add_explicit(&b->entries, 1, memory_order_relaxed);
		}
		if (pos >= len) {
			break;
		}
		pos += 1 + okey[pos];
		if (pos > len) {
			break; /* Not a store key: its own bits stop here. */
		}
	}
}

bool filter_absent(filter_t *f, const acme_okey_t *okey)
{
	if (!atomic_load_explicit(&f->current, memory_order_acquire)) {
		return false;
	}
	bloom_t *b = atomic_load_explicit(&f->bits, memory_order_acquire);
	uint64_t h = redis_hash(okey->data, okey->len);
	if (b == NULL || bloom_has(b, h)) {
		return false;
	}
	/*
	 * A publication that arrived before this call is on the socket (poll),
	 * or being handled (busy), or in the bits (second look); in that order,
	 * so that it cannot slip between the looks.
	 */
	if (follower_pending(&f->follower) || bloom_has(b, h)) {
		return false;
	}
	return atomic_load_explicit(&f->current, memory_order_acquire);
}

/*! The owner key in a Redis key "P v:OWNER", or NULL. */
static const uint8_t *owner_of(const redis_store_t *rs, const redisReply *k, size_t *len)
{
	if (k->type != REDIS_REPLY_STRING || k->len < rs->prefix_len + 2 ||
	    memcmp(k->str, rs->prefix, rs->prefix_len) != 0 ||
	    memcmp(k->str + rs->prefix_len, "v:", 2) != 0) {
		return NULL;
	}
	*len = k->len - rs->prefix_len - 2;
	return (const uint8_t *)k->str + rs->prefix_len + 2;
}

/*! Adds every stored owner to \a b (SCAN on \a c, a connection to the primary). */
static int scan_owners(redis_store_t *rs, redisContext *c, bloom_t *b)
{
	int ret = KNOT_EOK;
	char pattern[REDIS_KEY_MAX];
	size_t plen = redis_key(rs, 'v', (const uint8_t *)"*", 1, pattern);
	char cursor[32] = "0";
	do {
		redisReply *r = redisCommand(c, "SCAN %s MATCH %b COUNT 1000", cursor, pattern, plen);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			ret = r == NULL ? conn_error(c) : KNOT_EMALF;
			if (r != NULL) {
				freeReplyObject(r);
			}
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			size_t len;
			const uint8_t *okey = owner_of(rs, r->element[1]->element[i], &len);
			if (okey != NULL) {
				bloom_add_owner(b, okey, len);
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return ret;
}

/*! Whether the server of \a c is still a primary (a failover demotes it). */
static bool still_primary(redisContext *c)
{
	redisReply *r = redisCommand(c, "ROLE");
	bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	          r->element[0]->type == REDIS_REPLY_STRING &&
	          strcmp(r->element[0]->str, "master") == 0;
	if (r != NULL) {
		freeReplyObject(r);
	}
	return ok;
}

/*! Handles one reply on the subscription; false when it is not what is expected. */
static bool on_message(follower_t *fw, const redisReply *r)
{
	filter_t *f = (filter_t *)fw;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		return false;
	}
	if (strcmp(r->element[0]->str, "message") == 0 &&
	    r->element[2]->type == REDIS_REPLY_STRING) {
		/* Only this thread swaps the bits. */
		bloom_add_owner(atomic_load(&f->bits), (const uint8_t *)r->element[2]->str,
		                r->element[2]->len);
	}
	return true;
}

/*! Drops trust in the filter, then (after the workers are done with it) the socket. */
static void unsubscribe(filter_t *f, redisContext **c)
{
	atomic_store(&f->current, false);
	follower_withdraw(&f->follower);
	if (*c != NULL) {
		redisFree(*c);
		*c = NULL;
	}
}

/*!
 * One subscription: subscribe on the primary, scan the primary, declare the
 * filter current, follow the channel; checks every ROLE_CHECK_MS that the
 * server is still the primary.
 */
static bool follow(follower_t *fw)
{
	filter_t *f = (filter_t *)fw;
	redis_store_t *rs = f->rs;
	redisContext *c = NULL, *check = NULL;
	uint64_t epoch;
	if (conn_open(&rs->primary, &c, &epoch) != KNOT_EOK) {
		return true;
	}
	if (conn_open(&rs->primary, &check, &epoch) != KNOT_EOK) {
		redisFree(c);
		return true;
	}
	char channel[REDIS_PREFIX_MAX + 2];
	memcpy(channel, rs->prefix, rs->prefix_len);
	channel[rs->prefix_len] = 'w';
	redisReply *r = redisCommand(c, "SUBSCRIBE %b", channel, rs->prefix_len + 1);
	if (r == NULL || !on_message(&f->follower, r) || !still_primary(check)) {
		if (r != NULL) {
			freeReplyObject(r);
		}
		redisFree(check);
		redisFree(c);
		return true;
	}
	freeReplyObject(r);

	bloom_t *b = calloc(1, sizeof(*b));
	if (b == NULL || scan_owners(rs, check, b) != KNOT_EOK) {
		free(b);
		redisFree(check);
		redisFree(c);
		return true;
	}
	/* Publications during the scan are in the socket: poll sees them first. */
	follower_expose(&f->follower, c->fd);
	/* The replaced filter is freed at the next swap: a worker may hold it yet. */
	free(f->retired);
	f->retired = atomic_exchange(&f->bits, b);
	atomic_store(&f->current, true);

	uint64_t next_check = conn_mono_ms() + ROLE_CHECK_MS;
	while (!follower_stopping(&f->follower)) {
		if (conn_mono_ms() >= next_check) {
			if (!still_primary(check)) {
				conn_moved(&rs->primary);
				break;
			}
			next_check = conn_mono_ms() + ROLE_CHECK_MS;
		}
		if (!follower_read(&f->follower, c, on_message, NULL) ||
		    atomic_load(&b->entries) > BLOOM_ENTRIES_MAX) {
			break; /* Rebuilt afresh by the next subscription. */
		}
	}
	redisFree(check);
	unsubscribe(f, &c);
	return true;
}

int filter_start(filter_t *f, struct redis_store *rs)
{
	memset(f, 0, sizeof(*f));
	f->rs = rs;
	return follower_start(&f->follower, follow);
}

void filter_stop(filter_t *f)
{
	follower_stop(&f->follower);
	free(atomic_load(&f->bits));
	atomic_store(&f->bits, NULL);
	free(f->retired);
	f->retired = NULL;
}
