/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the TSIG replay cache (module/dns/replay.c).
 *
 * The property that matters: a message seen before is never FRESH again,
 * whatever the load, the capacity or the interleaving of threads.  Past
 * capacity the cache may also turn away new messages (FORGOTTEN), never let
 * a replay through.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/dns/replay.h"

#define NOW	1800000000ULL
#define FUDGE	300

static knot_dname_t *dn(const char *txt)
{
	knot_dname_t *name = knot_dname_from_str_alloc(txt);
	assert_non_null(name);
	return name;
}

/*! A 32-byte MAC derived from a number. */
static void mac_of(uint64_t n, uint8_t mac[32])
{
	for (int i = 0; i < 32; i++) {
		n = n * 6364136223846793005ULL + 1442695040888963407ULL;
		mac[i] = n >> 56;
	}
}

static acme_replay_verdict_t check(acme_replay_t *c, const knot_dname_t *key, uint64_t n,
                                   uint64_t time_signed, uint16_t fudge, uint64_t now)
{
	uint8_t mac[32];
	mac_of(n, mac);
	return acme_replay_check(c, key, mac, sizeof(mac), time_signed, fudge, now);
}

static acme_replay_t *open_cache(const char *zone, size_t capacity)
{
	knot_dname_t *z = dn(zone);
	acme_replay_t *c = NULL;
	assert_int_equal(acme_replay_open(&c, z, capacity), KNOT_EOK);
	knot_dname_free(z, NULL);
	return c;
}

static void test_fresh_then_seen(void **state)
{
	(void)state;
	acme_replay_t *c = open_cache("fresh.test", 1024);
	knot_dname_t *k1 = dn("k1"), *k1_upper = dn("K1"), *k2 = dn("k2");

	assert_int_equal(check(c, k1, 1, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k1, 1, NOW, FUDGE, NOW), ACME_REPLAY_SEEN);
	/* Later in the window, and with the key name in another case. */
	assert_int_equal(check(c, k1, 1, NOW, FUDGE, NOW + FUDGE), ACME_REPLAY_SEEN);
	assert_int_equal(check(c, k1_upper, 1, NOW, FUDGE, NOW + 10), ACME_REPLAY_SEEN);
	/* Another MAC, or the same MAC under another key, is another message. */
	assert_int_equal(check(c, k1, 2, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k2, 1, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	/* A truncation of an accepted MAC (RFC 8945 5.2.2.1, accepted by libknot
	 * 3.5.7+ down to 10 octets) is the same message: a replay, whichever
	 * length comes first. */
	uint8_t mac[32];
	mac_of(3, mac);
	assert_int_equal(acme_replay_check(c, k1, mac, 32, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(acme_replay_check(c, k1, mac, 16, NOW, FUDGE, NOW), ACME_REPLAY_SEEN);
	assert_int_equal(acme_replay_check(c, k1, mac, ACME_REPLAY_MAC_KEY, NOW, FUDGE, NOW),
	                 ACME_REPLAY_SEEN);
	mac_of(4, mac);
	assert_int_equal(acme_replay_check(c, k1, mac, 16, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(acme_replay_check(c, k1, mac, 32, NOW, FUDGE, NOW), ACME_REPLAY_SEEN);
	/* A MAC differing in its first octets is another message. */
	mac[ACME_REPLAY_MAC_KEY - 1] ^= 1;
	assert_int_equal(acme_replay_check(c, k1, mac, 32, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);

	knot_dname_free(k1, NULL);
	knot_dname_free(k1_upper, NULL);
	knot_dname_free(k2, NULL);
	acme_replay_close(c);
}

static void test_window(void **state)
{
	(void)state;
	acme_replay_t *c = open_cache("window.test", 1024);
	knot_dname_t *k = dn("k");

	/* Within fudge on both sides. */
	assert_int_equal(check(c, k, 10, NOW - 100, 100, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k, 11, NOW + 100, 100, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k, 12, NOW - 101, 100, NOW), ACME_REPLAY_OUTSIDE);
	assert_int_equal(check(c, k, 13, NOW + 101, 100, NOW), ACME_REPLAY_OUTSIDE);
	/* A larger fudge is capped at ACME_REPLAY_WINDOW. */
	assert_int_equal(check(c, k, 14, NOW - 200, 3600, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k, 15, NOW - ACME_REPLAY_WINDOW - 1, 3600, NOW),
	                 ACME_REPLAY_OUTSIDE);
	/* Once the window is over, the message is outside it, never fresh. */
	assert_int_equal(check(c, k, 10, NOW - 100, 100, NOW + 1), ACME_REPLAY_OUTSIDE);
	/* Zero fudge: only the very second. */
	assert_int_equal(check(c, k, 16, NOW, 0, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k, 16, NOW, 0, NOW), ACME_REPLAY_SEEN);
	assert_int_equal(check(c, k, 17, NOW, 0, NOW + 1), ACME_REPLAY_OUTSIDE);

	knot_dname_free(k, NULL);
	acme_replay_close(c);
}

/*! One bucket: eviction raises the floor, and what is forgotten stays refused. */
static void test_full_bucket(void **state)
{
	(void)state;
	acme_replay_t *c = open_cache("full.test", ACME_REPLAY_WAYS);
	assert_int_equal(acme_replay_capacity(c), ACME_REPLAY_WAYS);
	knot_dname_t *k = dn("k");

	/* Message i ends at NOW + 100 + i. */
	for (int i = 0; i < ACME_REPLAY_WAYS; i++) {
		assert_int_equal(check(c, k, i, NOW + i, 100, NOW), ACME_REPLAY_FRESH);
	}
	/* Full: a message ending later evicts message 0 (ends first). */
	assert_int_equal(check(c, k, 100, NOW + 50, 100, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k, 0, NOW, 100, NOW), ACME_REPLAY_FORGOTTEN);
	/* The others are still remembered. */
	for (int i = 1; i < ACME_REPLAY_WAYS; i++) {
		assert_int_equal(check(c, k, i, NOW + i, 100, NOW), ACME_REPLAY_SEEN);
	}
	/* A new message ending no later than the floor cannot be told apart. */
	assert_int_equal(check(c, k, 101, NOW, 100, NOW), ACME_REPLAY_FORGOTTEN);
	assert_int_equal(check(c, k, 102, NOW + 1, 50, NOW), ACME_REPLAY_FORGOTTEN);
	/* One ending no later than everything stored is accepted but not
	 * stored: the floor rises to it, so its replays are refused. */
	assert_int_equal(check(c, k, 103, NOW + 1, 100, NOW), ACME_REPLAY_FRESH);
	assert_int_equal(check(c, k, 103, NOW + 1, 100, NOW), ACME_REPLAY_FORGOTTEN);
	/* Once windows are over, slots free up and fresh messages are stored. */
	uint64_t later = NOW + 200;
	for (int i = 0; i < ACME_REPLAY_WAYS; i++) {
		assert_int_equal(check(c, k, 200 + i, later, 100, later), ACME_REPLAY_FRESH);
	}
	for (int i = 0; i < ACME_REPLAY_WAYS; i++) {
		assert_int_equal(check(c, k, 200 + i, later, 100, later), ACME_REPLAY_SEEN);
	}

	knot_dname_free(k, NULL);
	acme_replay_close(c);
}

/*! Random traffic with replays over a small cache: no replay is ever fresh. */
static void test_random_never_fresh_twice(void **state)
{
	(void)state;
	acme_replay_t *c = open_cache("random.test", 64);
	knot_dname_t *k = dn("k");
	enum { MSGS = 5000 };
	static uint8_t accepted[MSGS];
	static uint64_t signed_at[MSGS];
	memset(accepted, 0, sizeof(accepted));
	srandom(42);

	uint64_t now = NOW;
	size_t fresh = 0, forgotten = 0;
	for (int step = 0; step < 50000; step++) {
		if (step % 100 == 0) {
			now++;
		}
		/* Half new messages, half replays of earlier ones. */
		int n = (step < MSGS && (random() & 1)) ? step : random() % (step < MSGS ? step + 1 : MSGS);
		if (signed_at[n] == 0) {
			signed_at[n] = now - random() % 20;
		}
		acme_replay_verdict_t v = check(c, k, n, signed_at[n], 30, now);
		if (v == ACME_REPLAY_FRESH) {
			assert_int_equal(accepted[n], 0);
			accepted[n] = 1;
			fresh++;
		} else if (v == ACME_REPLAY_FORGOTTEN) {
			forgotten++;
		}
	}
	/* Both outcomes happen at this load: the test exercises eviction. */
	assert_true(fresh > 100);
	assert_true(forgotten > 0);

	knot_dname_free(k, NULL);
	acme_replay_close(c);
}

typedef struct {
	acme_replay_t *cache;
	const knot_dname_t *key;
	int first;
	unsigned fresh[2000];
} thread_arg_t;

static void *worker(void *arg)
{
	thread_arg_t *t = arg;
	for (int round = 0; round < 2000; round++) {
		int n = (round + t->first) % 2000;
		if (check(t->cache, t->key, n, NOW, FUDGE, NOW) == ACME_REPLAY_FRESH) {
			t->fresh[n]++;
		}
	}
	return NULL;
}

/*! Threads sending the same messages: each one is fresh exactly once. */
static void test_threads(void **state)
{
	(void)state;
	acme_replay_t *c = open_cache("threads.test", 1 << 16);
	knot_dname_t *k = dn("k");
	enum { THREADS = 8 };
	static thread_arg_t args[THREADS];
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].cache = c;
		args[i].key = k;
		args[i].first = i * 250;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
	}
	for (int n = 0; n < 2000; n++) {
		unsigned total = 0;
		for (int i = 0; i < THREADS; i++) {
			total += args[i].fresh[n];
		}
		assert_int_equal(total, 1);
	}

	knot_dname_free(k, NULL);
	acme_replay_close(c);
}

/*! One cache per zone, shared while referenced (knotc reload). */
static void test_registry(void **state)
{
	(void)state;
	knot_dname_t *z1 = dn("zone.test"), *z1_upper = dn("ZONE.test"), *z2 = dn("other.test");
	knot_dname_t *k = dn("k");
	acme_replay_t *a = NULL, *b = NULL, *o = NULL;
	assert_int_equal(acme_replay_open(&a, z1, 100), KNOT_EOK);
	assert_int_equal(acme_replay_open(&b, z1_upper, 5000), KNOT_EOK);
	assert_int_equal(acme_replay_open(&o, z2, 100), KNOT_EOK);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, o);
	assert_int_equal(acme_replay_capacity(b), 105); /* first size kept */

	/* The old instance goes away, the new one still remembers. */
	assert_int_equal(check(a, k, 1, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	acme_replay_close(a);
	assert_int_equal(check(b, k, 1, NOW, FUDGE, NOW), ACME_REPLAY_SEEN);
	assert_int_equal(check(o, k, 1, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	acme_replay_close(b);
	acme_replay_close(o);

	/* All references gone: a new cache. */
	assert_int_equal(acme_replay_open(&a, z1, 100), KNOT_EOK);
	assert_int_equal(check(a, k, 1, NOW, FUDGE, NOW), ACME_REPLAY_FRESH);
	acme_replay_close(a);

	assert_int_equal(acme_replay_open(&a, z1, 0), KNOT_EINVAL);
	assert_int_equal(acme_replay_open(NULL, z1, 10), KNOT_EINVAL);
	acme_replay_close(NULL);

	knot_dname_free(z1, NULL);
	knot_dname_free(z1_upper, NULL);
	knot_dname_free(z2, NULL);
	knot_dname_free(k, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_then_seen),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_full_bucket),
		cmocka_unit_test(test_random_never_fresh_twice),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
