/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The negative filter of the query path: a Bloom filter of owner keys
 *        and their ancestors (backend-neutral; the backend decides when it is
 *        current).
 *
 * Readers test it without locks; writers add to it concurrently (atomic ORs).
 */

#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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
typedef struct acme_filter {
	uint64_t mask;      /*!< Number of bits - 1 (a power of two). */
	_Atomic uint64_t entries;
	_Atomic uint64_t bits[];
} acme_filter_t;

#define ACME_FILTER_MIN_BITS		(1ULL << 20)
/*! Bits per entry before a rebuild with a larger filter is wanted. */
#define ACME_FILTER_BITS_PER_ENTRY	16

/*! A filter sized for \a entries keys (calloc'ed, free() it); NULL without memory. */
acme_filter_t *acme_filter_new(uint64_t entries);

/*! Adds a key and its ancestors' keys. */
void acme_filter_add_okey(acme_filter_t *f, const uint8_t *okey, size_t olen);

/*
 * The filter hashes a name label by label from the root, so that one pass
 * over an owner key yields the hashes of all its ancestors, and a query name
 * is hashed straight from the wire without building its key.  Bytes are
 * folded with 0x20, which makes the hash case-insensitive (a collision it
 * adds is only a false positive).
 */
#define ACME_FILTER_HASH_SEED	0x9e3779b97f4a7c15ULL
#define ACME_FILTER_HASH_FOLD	0x2020202020202020ULL

static inline uint64_t acme_filter_hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static inline uint64_t acme_filter_load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w | ACME_FILTER_HASH_FOLD;
}

static inline uint64_t acme_filter_load32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, sizeof(w));
	return w | (uint32_t)ACME_FILTER_HASH_FOLD;
}

/*!
 * Adds one label (length byte and bytes) to the hash.  Labels are short: the
 * last bytes are read as one word overlapping the one before (never past the
 * label), not byte by byte.
 */
static inline uint64_t acme_filter_hash_label(uint64_t h, const uint8_t *label)
{
	size_t n = 1 + label[0];
	if (n < 4) {
		uint64_t w = label[0] | (uint64_t)label[n / 2] << 8 | (uint64_t)label[n - 1] << 16;
		return acme_filter_hash_mix(h, w | ACME_FILTER_HASH_FOLD);
	}
	if (n <= 8) {
		return acme_filter_hash_mix(h, acme_filter_load32(label) | acme_filter_load32(label + n - 4) << 32);
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		h = acme_filter_hash_mix(h, acme_filter_load64(label + i));
	}
	return acme_filter_hash_mix(h, acme_filter_load64(label + n - 8));
}

static inline uint64_t acme_filter_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static inline bool acme_filter_has(const acme_filter_t *f, uint64_t h)
{
	uint64_t b1 = h & f->mask, b2 = (h >> 32 | h << 32) * 0x9e3779b97f4a7c15ULL & f->mask;
	return (atomic_load_explicit(&f->bits[b1 / 64], memory_order_relaxed) & (1ULL << (b1 % 64))) &&
	       (atomic_load_explicit(&f->bits[b2 / 64], memory_order_relaxed) & (1ULL << (b2 % 64)));
}

static inline void acme_filter_set(acme_filter_t *f, uint64_t h)
{
	uint64_t b1 = h & f->mask, b2 = (h >> 32 | h << 32) * 0x9e3779b97f4a7c15ULL & f->mask;
	atomic_fetch_or(&f->bits[b1 / 64], 1ULL << (b1 % 64));
	atomic_fetch_or(&f->bits[b2 / 64], 1ULL << (b2 % 64));
}
