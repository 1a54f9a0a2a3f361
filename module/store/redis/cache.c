/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "module/store/redis/internal.h"

/*! Largest entry kept (owner key excluded): about seven challenge values. */
#define ENTRY_VALUES_MAX	512
/*! The channel Redis names changed keys on (RESP2, REDIRECT). */
#define INVALIDATE	"__redis__:invalidate"

/*! One value in an entry: this, then its rdata. */
typedef struct {
	uint64_t expires;
	uint64_t added;
	uint32_t ttl;
	uint16_t rdata_len;
} __attribute__((packed)) cached_value_t;

typedef struct cache_entry {
	uint64_t below;            /*!< Latest expiry of an owner below (0: none). */
	uint16_t okey_len;
	uint16_t size;             /*!< Bytes of values after the owner key. */
	uint8_t data[];            /*!< Owner key, then the values. */
} cache_entry_t;

/*! The set of a name: two slots, guarded by one lock. */
static size_t set_of(const uint8_t *okey, size_t len)
{
	return redis_hash(okey, len) & (CACHE_SETS - 1);
}

static pthread_mutex_t *lock_of(cache_t *c, size_t set)
{
	return &c->locks[set % CACHE_LOCKS];
}

/*! The slot of \a set holding \a okey, or NULL (under the set's lock). */
static cache_entry_t **find(cache_t *c, size_t set, const uint8_t *okey, size_t len)
{
	for (size_t way = 0; way < 2; way++) {
		cache_entry_t **slot = &c->slots[2 * set + way];
		if (*slot != NULL && (*slot)->okey_len == len &&
		    memcmp((*slot)->data, okey, len) == 0) {
			return slot;
		}
	}
	return NULL;
}

static size_t entry_bytes(const cache_entry_t *e)
{
	return sizeof(*e) + e->okey_len + e->size;
}

/*! Frees the entry in \a slot (under its set's lock). */
static void slot_free(cache_t *c, cache_entry_t **slot)
{
	if (*slot != NULL) {
		atomic_fetch_sub(&c->bytes, entry_bytes(*slot));
		free(*slot);
		*slot = NULL;
	}
}

/*! Nothing pending or being handled on the tracking socket, and no change since \a gen. */
static bool quiet_since(cache_t *c, uint64_t gen)
{
	return !follower_pending(&c->follower) && atomic_load(&c->gen) == gen &&
	       atomic_load(&c->current);
}

uint64_t cache_ticket(cache_t *c)
{
	return atomic_load(&c->gen);
}

bool cache_read(cache_t *c, const acme_okey_t *okey, uint64_t now, acme_value_cb cb,
                void *ctx, bool *below, int *ret)
{
	if (!c->follower.started || !atomic_load(&c->current)) {
		return false;
	}
	uint64_t gen = atomic_load(&c->gen);
	_Alignas(cache_entry_t) uint8_t buf[sizeof(cache_entry_t) + KNOT_DNAME_MAXLEN +
	                                    ENTRY_VALUES_MAX];
	cache_entry_t *copy = (cache_entry_t *)buf;
	size_t set = set_of(okey->data, okey->len);
	pthread_mutex_lock(lock_of(c, set));
	cache_entry_t **slot = find(c, set, okey->data, okey->len);
	bool found = slot != NULL;
	if (found) {
		memcpy(copy, *slot, entry_bytes(*slot));
	}
	pthread_mutex_unlock(lock_of(c, set));
	/* After the copy: a change named meanwhile is pending, handled, or counted. */
	if (!found || !quiet_since(c, gen)) {
		return false;
	}
	atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);

	knot_dname_storage_t owner;
	if (cb != NULL) {
		acme_okey_to_name(okey->data, okey->len, owner);
	}
	int count = 0;
	const uint8_t *p = copy->data + copy->okey_len, *end = p + copy->size;
	while (p < end) {
		cached_value_t cv;
		memcpy(&cv, p, sizeof(cv));
		acme_value_t v = {
			.owner = owner, .rdata = p + sizeof(cv), .rdata_len = cv.rdata_len,
			.ttl = cv.ttl, .added = cv.added, .expires = cv.expires,
		};
		p += sizeof(cv) + cv.rdata_len;
		if (v.expires <= now) {
			continue;
		}
		count++;
		if (cb != NULL) {
			int r = cb(&v, ctx);
			if (r != KNOT_EOK) {
				*ret = r;
				return true;
			}
		}
	}
	if (below != NULL) {
		*below = count == 0 && copy->below > now;
	}
	*ret = count;
	return true;
}

/*! A new entry of a HGETALL reply, NULL when it is too large or malformed. */
static cache_entry_t *entry_new(const acme_okey_t *okey, const redisReply *hash, uint64_t below)
{
	if (hash->type != REDIS_REPLY_ARRAY) {
		return NULL;
	}
	size_t size = 0;
	for (size_t i = 0; i + 1 < hash->elements; i += 2) {
		size += sizeof(cached_value_t) + hash->element[i]->len;
	}
	if (size > ENTRY_VALUES_MAX) {
		return NULL;
	}
	cache_entry_t *e = malloc(sizeof(*e) + okey->len + size);
	if (e == NULL) {
		return NULL;
	}
	e->below = below;
	e->okey_len = okey->len;
	memcpy(e->data, okey->data, okey->len);
	uint8_t *p = e->data + okey->len;
	for (size_t i = 0; i + 1 < hash->elements; i += 2) {
		const redisReply *f = hash->element[i], *v = hash->element[i + 1];
		uint64_t rec[4];
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    f->len == 0 || f->len > ACME_STORE_RDATA_MAX ||
		    !value_parse(v->str, v->len, rec)) {
			continue; /* Never answered (value_walk()). */
		}
		cached_value_t cv = {
			.expires = rec[0], .added = rec[1], .ttl = rec[3], .rdata_len = f->len,
		};
		memcpy(p, &cv, sizeof(cv));
		memcpy(p + sizeof(cv), f->str, f->len);
		p += sizeof(cv) + f->len;
	}
	e->size = p - (e->data + okey->len);
	return e;
}

void cache_store(cache_t *c, uint64_t ticket, const acme_okey_t *okey,
                 const redisReply *hash, uint64_t below)
{
	if (!c->follower.started || !quiet_since(c, ticket)) {
		return;
	}
	cache_entry_t *e = entry_new(okey, hash, below);
	if (e == NULL) {
		return;
	}
	size_t set = set_of(okey->data, okey->len);
	pthread_mutex_lock(lock_of(c, set));
	/*
	 * Under the set's lock, which the thread takes to remove: a message
	 * handled before this point changed gen (or busy is still set); one
	 * handled after removes this entry.
	 */
	if (atomic_load(&c->gen) == ticket && !atomic_load(&c->follower.busy) &&
	    atomic_load(&c->current) && atomic_load(&c->bytes) < CACHE_BYTES_MAX) {
		cache_entry_t **slot = find(c, set, okey->data, okey->len);
		if (slot == NULL) {
			/* The newer entry first, the older one second, the oldest goes. */
			slot = &c->slots[2 * set];
			slot_free(c, &c->slots[2 * set + 1]);
			c->slots[2 * set + 1] = *slot;
			*slot = NULL;
		}
		slot_free(c, slot);
		atomic_fetch_add(&c->bytes, entry_bytes(e));
		*slot = e;
		e = NULL;
	}
	pthread_mutex_unlock(lock_of(c, set));
	free(e);
}

/*! Drops the entry of \a okey. */
static void drop(cache_t *c, const uint8_t *okey, size_t len)
{
	size_t set = set_of(okey, len);
	pthread_mutex_lock(lock_of(c, set));
	cache_entry_t **slot = find(c, set, okey, len);
	if (slot != NULL) {
		slot_free(c, slot);
	}
	pthread_mutex_unlock(lock_of(c, set));
}

static void drop_all(cache_t *c)
{
	for (size_t lock = 0; lock < CACHE_LOCKS; lock++) {
		pthread_mutex_lock(&c->locks[lock]);
		for (size_t set = lock; set < CACHE_SETS; set += CACHE_LOCKS) {
			slot_free(c, &c->slots[2 * set]);
			slot_free(c, &c->slots[2 * set + 1]);
		}
		pthread_mutex_unlock(&c->locks[lock]);
	}
}

/*! Drops the entry a changed Redis key ("P v:OWNER" or "P b:NAME") is part of. */
static void on_key(cache_t *c, const redisReply *k)
{
	const redis_store_t *rs = c->rs;
	if (k->type != REDIS_REPLY_STRING || k->len < rs->prefix_len + 2 ||
	    memcmp(k->str, rs->prefix, rs->prefix_len) != 0) {
		return;
	}
	drop(c, (const uint8_t *)k->str + rs->prefix_len + 2, k->len - rs->prefix_len - 2);
}

/*! Handles one reply on the tracking connection; false when it is not what is expected. */
static bool on_message(follower_t *f, const redisReply *r)
{
	cache_t *c = (cache_t *)f;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		return false;
	}
	if (strcmp(r->element[0]->str, "message") != 0) {
		return true; /* The subscription's confirmation. */
	}
	const redisReply *keys = r->element[2];
	if (keys->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < keys->elements; i++) {
			on_key(c, keys->element[i]);
		}
	} else if (keys->type == REDIS_REPLY_STRING) {
		on_key(c, keys);
	} else {
		drop_all(c); /* A flush, or a full resync of the replica. */
	}
	return true;
}

/*!
 * Sends a command (\a what names it in the log): KNOT_EOK with the reply in
 * \a out (may be NULL) to free, KNOT_ECONN when the connection failed,
 * KNOT_EDENIED (logged) when the server refused it.
 */
static int command(cache_t *c, redisContext *ctx, redisReply **out, const char *what,
                   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		return KNOT_ECONN;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		conn_log(&c->rs->shared, LOG_WARNING,
		         "Redis value cache off, every answer is read from Redis: "
		         "the read server refused %s (%s)", what, r->str);
		freeReplyObject(r);
		return KNOT_EDENIED;
	}
	if (out != NULL) {
		*out = r;
	} else {
		freeReplyObject(r);
	}
	return KNOT_EOK;
}

/*! Turns broadcast tracking on, redirected to \a ctx itself, and subscribes (command()'s codes). */
static int track(cache_t *c, redisContext *ctx)
{
	redisReply *id;
	int ret = command(c, ctx, &id, "CLIENT ID", "CLIENT ID");
	if (ret != KNOT_EOK) {
		return ret;
	}
	long long self = id->type == REDIS_REPLY_INTEGER ? id->integer : -1;
	freeReplyObject(id);
	if (self < 0) {
		return KNOT_EMALF;
	}
	const redis_store_t *rs = c->rs;
	char v[REDIS_PREFIX_MAX + 2], b[REDIS_PREFIX_MAX + 2];
	size_t len = redis_key(rs, 'v', (const uint8_t *)"", 0, v);
	redis_key(rs, 'b', (const uint8_t *)"", 0, b);
	ret = command(c, ctx, NULL, "CLIENT TRACKING",
	              "CLIENT TRACKING on REDIRECT %lld BCAST PREFIX %b PREFIX %b",
	              self, v, len, b, len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	redisReply *sub;
	ret = command(c, ctx, &sub, "SUBSCRIBE " INVALIDATE, "SUBSCRIBE " INVALIDATE);
	if (ret != KNOT_EOK) {
		return ret;
	}
	bool ok = on_message(&c->follower, sub);
	freeReplyObject(sub);
	return ok ? KNOT_EOK : KNOT_EMALF;
}

/*! Ends trust in the cache and empties it; in-flight stores are refused (gen). */
static void reset(cache_t *c)
{
	atomic_store(&c->current, false);
	follower_withdraw(&c->follower);
	drop_all(c);
	atomic_fetch_add(&c->gen, 1);
}

/*! After each batch of messages, before busy ends: see cache_store(). */
static void counted(follower_t *f)
{
	atomic_fetch_add(&((cache_t *)f)->gen, 1);
}

/*!
 * One tracking connection: turn tracking on, subscribe, declare the cache
 * current, then drop what the server names until the connection breaks.
 * Returns false when the server refuses tracking (older than Redis 6, or an
 * ACL without the channel).
 */
static bool follow(follower_t *f)
{
	cache_t *c = (cache_t *)f;
	redisContext *ctx = NULL;
	uint64_t epoch;
	if (conn_open(&c->rs->read, &ctx, &epoch) != KNOT_EOK) {
		return true;
	}
	int ret = track(c, ctx);
	if (ret != KNOT_EOK) {
		redisFree(ctx);
		return ret != KNOT_EDENIED;
	}
	/* From here every change is named on the socket: entries may be kept. */
	follower_expose(&c->follower, ctx->fd);
	atomic_store(&c->current, true);
	while (!follower_stopping(&c->follower) &&
	       follower_read(&c->follower, ctx, on_message, counted)) {
	}
	reset(c);
	redisFree(ctx);
	return true;
}

int cache_start(cache_t *c, struct redis_store *rs)
{
	memset(c, 0, sizeof(*c));
	c->rs = rs;
	c->slots = calloc(2 * CACHE_SETS, sizeof(*c->slots));
	if (c->slots == NULL) {
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < CACHE_LOCKS; i++) {
		pthread_mutex_init(&c->locks[i], NULL);
	}
	int ret = follower_start(&c->follower, follow);
	if (ret != KNOT_EOK) {
		cache_stop(c);
	}
	return ret;
}

void cache_stop(cache_t *c)
{
	if (c->slots == NULL) {
		return;
	}
	follower_stop(&c->follower);
	drop_all(c);
	free(c->slots);
	c->slots = NULL;
	for (size_t i = 0; i < CACHE_LOCKS; i++) {
		pthread_mutex_destroy(&c->locks[i]);
	}
}
