/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "module/dns/replay.h"

/*! One bucket: a cache line with its lock, its floor and its entries. */
typedef struct {
	atomic_uint lock;
	uint32_t floor;                     /*!< Windows ending at or before it are refused. */
	uint32_t tag[ACME_REPLAY_WAYS];     /*!< Hash bits not used to pick the bucket. */
	uint32_t expires[ACME_REPLAY_WAYS]; /*!< End of the window (s); 0: free. */
} bucket_t;

_Static_assert(sizeof(bucket_t) == 64, "a bucket is one cache line");

/*! Longest MAC (HMAC-SHA512). */
#define MAC_MAX		64

struct acme_replay {
	bucket_t *buckets;     /*!< Anonymous mapping: pages appear as they are used. */
	size_t bucket_count;
	size_t map_size;
	uint64_t hash_key[2];  /*!< SipHash key, random per cache. */

	/* Registry. */
	knot_dname_t *zone;
	unsigned refs;
	struct acme_replay *next;
};

/*!
 * Caches by zone: the module's second piece of process-wide state (next to
 * the store's environment registry), for the same reason: an instance
 * created by `knotc reload` must see what the old one saw.
 */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static acme_replay_t *registry = NULL;

/* SipHash-2-4 (Aumasson, Bernstein), 64-bit output. */

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND \
	do { \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t read_u64_le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) {
		v = (v << 8) | p[i];
	}
	return v;
}

static uint64_t siphash24(const uint64_t key[2], const uint8_t *data, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
	uint64_t v3 = 0x7465646279746573ULL ^ key[1];

	const uint8_t *end = data + (len & ~(size_t)7);
	for (; data != end; data += 8) {
		uint64_t m = read_u64_le(data);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++) {
		b |= (uint64_t)data[i] << (8 * i);
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static int random_key(uint64_t key[2])
{
	uint8_t *buf = (uint8_t *)key;
	size_t done = 0;
	while (done < 2 * sizeof(uint64_t)) {
		ssize_t n = getrandom(buf + done, 2 * sizeof(uint64_t) - done, 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return knot_map_errno();
		}
		done += n;
	}
	return KNOT_EOK;
}

static void bucket_lock(bucket_t *b)
{
	unsigned spins = 0;
	while (atomic_exchange_explicit(&b->lock, 1, memory_order_acquire) != 0) {
		while (atomic_load_explicit(&b->lock, memory_order_relaxed) != 0) {
			/* The holder only scans seven slots: yield only if it was preempted. */
			if (++spins >= 100) {
				sched_yield();
				spins = 0;
			}
		}
	}
}

static void bucket_unlock(bucket_t *b)
{
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

acme_replay_verdict_t acme_replay_check(acme_replay_t *cache, const knot_dname_t *key_name,
                                        const uint8_t *mac, size_t mac_len,
                                        uint64_t time_signed, uint16_t fudge, uint64_t now)
{
	/* The window the cache covers; beyond it, a message cannot be proven new. */
	uint64_t window = fudge < ACME_REPLAY_WINDOW ? fudge : ACME_REPLAY_WINDOW;
	if (time_signed + window < now || now + window < time_signed ||
	    time_signed + window > UINT32_MAX) {
		return ACME_REPLAY_OUTSIDE;
	}
	uint32_t expires = time_signed + window;

	/* Lower-case key name || the MAC's first octets (a truncation of it
	 * is the same message). */
	uint8_t buf[KNOT_DNAME_MAXLEN + ACME_REPLAY_MAC_KEY];
	size_t name_len = knot_dname_size(key_name);
	if (name_len > KNOT_DNAME_MAXLEN || mac_len > MAC_MAX) {
		return ACME_REPLAY_OUTSIDE;
	}
	size_t key_len = mac_len < ACME_REPLAY_MAC_KEY ? mac_len : ACME_REPLAY_MAC_KEY;
	knot_dname_copy_lower(buf, key_name);
	memcpy(buf + name_len, mac, key_len);
	uint64_t hash = siphash24(cache->hash_key, buf, name_len + key_len);

	bucket_t *b = &cache->buckets[((hash >> 32) * cache->bucket_count) >> 32];
	uint32_t tag = (uint32_t)hash;

	acme_replay_verdict_t verdict = ACME_REPLAY_FRESH;
	bucket_lock(b);
	if (expires <= b->floor) {
		verdict = ACME_REPLAY_FORGOTTEN;
		goto done;
	}
	int free_slot = -1, oldest = -1;
	for (int i = 0; i < ACME_REPLAY_WAYS; i++) {
		if (b->expires[i] != 0 && b->expires[i] < now) {
			b->expires[i] = 0; /* Its window is over: nothing to remember. */
		}
		if (b->expires[i] == 0) {
			if (free_slot < 0) {
				free_slot = i;
			}
		} else if (b->tag[i] == tag) {
			verdict = ACME_REPLAY_SEEN;
			goto done;
		} else if (oldest < 0 || b->expires[i] < b->expires[oldest]) {
			oldest = i;
		}
	}
	if (free_slot < 0) {
		/* Full: forget what ends first, and refuse whatever ends no later. */
		if (expires <= b->expires[oldest]) {
			b->floor = expires;
			goto done;
		}
		b->floor = b->expires[oldest];
		free_slot = oldest;
	}
	b->tag[free_slot] = tag;
	b->expires[free_slot] = expires;
done:
	bucket_unlock(b);
	return verdict;
}

static void cache_free(acme_replay_t *cache)
{
	if (cache->buckets != NULL) {
		munmap(cache->buckets, cache->map_size);
	}
	knot_dname_free(cache->zone, NULL);
	free(cache);
}

static int cache_new(acme_replay_t **out, const knot_dname_t *zone, size_t capacity)
{
	acme_replay_t *cache = calloc(1, sizeof(*cache));
	if (cache == NULL) {
		return KNOT_ENOMEM;
	}
	cache->refs = 1;
	cache->bucket_count = (capacity + ACME_REPLAY_WAYS - 1) / ACME_REPLAY_WAYS;
	if (cache->bucket_count > UINT32_MAX) {
		cache->bucket_count = UINT32_MAX;
	}
	cache->map_size = cache->bucket_count * sizeof(bucket_t);
	cache->zone = knot_dname_copy(zone, NULL);
	int ret = random_key(cache->hash_key);
	if (cache->zone == NULL) {
		ret = KNOT_ENOMEM;
	}
	if (ret == KNOT_EOK) {
		/* Zeroed, page aligned, and only touched pages take memory. */
		void *map = mmap(NULL, cache->map_size, PROT_READ | PROT_WRITE,
		                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED) {
			ret = KNOT_ENOMEM;
		} else {
			cache->buckets = map;
		}
	}
	if (ret != KNOT_EOK) {
		cache_free(cache);
		return ret;
	}
	*out = cache;
	return KNOT_EOK;
}

int acme_replay_open(acme_replay_t **out, const knot_dname_t *zone, size_t capacity)
{
	if (out == NULL || zone == NULL || capacity == 0) {
		return KNOT_EINVAL;
	}

	int ret = KNOT_EOK;
	pthread_mutex_lock(&registry_lock);
	acme_replay_t *cache = registry;
	while (cache != NULL && !knot_dname_is_case_equal(cache->zone, zone)) {
		cache = cache->next;
	}
	if (cache != NULL) {
		cache->refs++;
	} else {
		ret = cache_new(&cache, zone, capacity);
		if (ret == KNOT_EOK) {
			cache->next = registry;
			registry = cache;
		}
	}
	pthread_mutex_unlock(&registry_lock);

	if (ret == KNOT_EOK) {
		*out = cache;
	}
	return ret;
}

void acme_replay_close(acme_replay_t *cache)
{
	if (cache == NULL) {
		return;
	}
	pthread_mutex_lock(&registry_lock);
	bool last = (--cache->refs == 0);
	if (last) {
		for (acme_replay_t **p = &registry; *p != NULL; p = &(*p)->next) {
			if (*p == cache) {
				*p = cache->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (last) {
		cache_free(cache);
	}
}

size_t acme_replay_capacity(const acme_replay_t *cache)
{
	return cache == NULL ? 0 : cache->bucket_count * ACME_REPLAY_WAYS;
}
