/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The Redis backend's handle, shared by its files (not installed).
 */

#pragma once

#include <pthread.h>
#include <stdatomic.h>

#include <hiredis/hiredis.h>

#include "module/store/redis/cache.h"
#include "module/store/redis/conn.h"
#include "module/store/redis/filter.h"
#include "module/store/redis/redis.h"

/*! Longest key prefix. */
#define REDIS_PREFIX_MAX	64
/*! Longest key: prefix, "v:" and an owner key. */
#define REDIS_KEY_MAX		(REDIS_PREFIX_MAX + 2 + KNOT_DNAME_MAXLEN)

/*! The connection of one reader slot (one knotd worker thread). */
typedef struct {
	redisContext *c;
	uint64_t epoch;
} reader_t;

typedef struct redis_store {
	acme_store_t base;         /*!< Must be first. */
	char *where;
	char prefix[REDIS_PREFIX_MAX + 1];
	size_t prefix_len;
	unsigned replicas;         /*!< WAIT count. */
	conn_shared_t shared;
	conn_endpoint_t primary;   /*!< Takes the updates. */
	conn_endpoint_t read;      /*!< Answers are read here. */
	reader_t readers[ACME_STORE_SLOTS];
	filter_t filter;
	cache_t cache;
	_Atomic uint64_t wait_short;
	_Atomic uint64_t filter_misses;
	_Atomic uint64_t reads;
} redis_store_t;

/*! Writes the Redis key of kind \a kind ('v', 'b') for an owner key; returns its length. */
size_t redis_key(const redis_store_t *rs, char kind, const uint8_t *okey, size_t olen,
                 char *out);


/*! FNV-1a, then a mix: the hash of an owner key (negative filter, value cache). */
uint64_t redis_hash(const uint8_t *data, size_t len);

/*! Parses "expires added seq ttl". */
bool value_parse(const char *text, size_t len, uint64_t out[4]);

/*! Calls \a cb for each live value of a HGETALL reply; returns their number. */
int value_walk(const redisReply *hash, const uint8_t *okey, size_t olen, uint64_t now,
               acme_value_cb cb, void *ctx);

/*! libknot code of an error reply. */
int reply_error(const redisReply *r);

/*! acme_store_apply() of the Redis backend (apply.c). */
int redis_apply(acme_store_t *store, acme_update_t *update);
