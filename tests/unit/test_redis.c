/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the Redis backend (module/store/redis/) against a
 *        real redis-server started by the test.
 *
 * Times: Redis expires keys by its own clock, so updates use the real time
 * (T); reads pass later times to see values expire without waiting.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "module/store/redis/internal.h"
#include "module/store/redis/redis.h"
#include "tests/unit/redis_server.h"

#define SEC	1000ULL

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*!
 * Domain name from text, in rotating buffers of the calling thread (the
 * failover test reads and writes from two threads).
 */
static const knot_dname_t *dn(const char *str)
{
	static _Thread_local knot_dname_storage_t pool[16];
	static _Thread_local unsigned next;
	knot_dname_t *name = knot_dname_from_str(pool[next++ % 16], str, KNOT_DNAME_MAXLEN);
	assert_non_null(name);
	return name;
}

/*! TXT rdata of one string, in rotating buffers of the calling thread. */
static acme_rdata_t txt(const char *s)
{
	static _Thread_local uint8_t pool[16][256];
	static _Thread_local unsigned next;
	uint8_t *b = pool[next++ % 16];
	b[0] = strlen(s);
	memcpy(b + 1, s, b[0]);
	return (acme_rdata_t){ b, b[0] + 1 };
}

typedef struct {
	test_redis_t server;
	acme_store_t *store;
	char logged[65536];
	test_redis_t extra[4];  /*!< More servers of a test, stopped in teardown. */
	uint64_t t;             /*!< Time of the test's updates. */
} fixture_t;

static void log_cb(int priority, const char *msg, void *ctx)
{
	fixture_t *f = ctx;
	(void)priority;
	size_t len = strlen(f->logged);
	snprintf(f->logged + len, sizeof(f->logged) - len, "%s\n", msg);
}

static int open_store(fixture_t *f, acme_store_t **out, const char *primary,
                      const char *read, unsigned replicas, unsigned timeout, bool no_filter)
{
	acme_redis_opts_t opts = {
		.primary = primary,
		.read = read,
		.replicas = replicas,
		.timeout_ms = timeout,
		.no_filter = no_filter,
		.prefix = "t:",
		.log = log_cb,
		.log_ctx = f,
	};
	return acme_redis_open(out, &opts);
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_true(test_redis_start(&f->server, 0));
	assert_int_equal(open_store(f, &f->store, f->server.sock, NULL, 0, 2000, false),
	                 KNOT_EOK);
	f->t = now_ms();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	acme_store_close(f->store);
	test_redis_stop(&f->server);
	for (size_t i = 0; i < 4; i++) {
		test_redis_stop(&f->extra[i]);
	}
	free(f);
	return 0;
}

static const acme_policy_t POLICY = { .lifetime = 60, .max_records = 0 };

static int apply(acme_store_t *s, uint64_t now, const acme_policy_t *policy,
                 const acme_prereq_t *prereqs, size_t np, const acme_op_t *ops, size_t no,
                 acme_update_t *out)
{
	acme_update_t u = {
		.prereqs = prereqs, .prereq_count = np, .ops = ops, .op_count = no,
		.policy = policy ? policy : &POLICY, .now = now,
	};
	int ret = acme_store_apply(s, &u);
	if (out != NULL) {
		*out = u;
	}
	return ret;
}

static acme_op_t add(const char *owner, const char *value, uint32_t ttl)
{
	acme_rdata_t r = txt(value);
	return (acme_op_t){ ACME_OP_ADD, dn(owner), r.data, r.len, ttl };
}

static acme_op_t del(const char *owner, const char *value)
{
	acme_rdata_t r = txt(value);
	return (acme_op_t){ ACME_OP_DEL_VALUE, dn(owner), r.data, r.len, 0 };
}

static acme_op_t del_all(const char *owner)
{
	return (acme_op_t){ ACME_OP_DEL_ALL, dn(owner), NULL, 0, 0 };
}

/*! What a read saw: values as "text/ttl/expires-relative" joined by commas. */
typedef struct {
	char out[1024];
	uint64_t base;
} seen_t;

static int seen_cb(const acme_value_t *v, void *ctx)
{
	seen_t *s = ctx;
	char owner[KNOT_DNAME_TXT_MAXLEN];
	knot_dname_to_str(owner, v->owner, sizeof(owner));
	size_t len = strlen(s->out);
	snprintf(s->out + len, sizeof(s->out) - len, "%s%s=%.*s/%u/%lld", len ? "," : "",
	         owner, v->rdata_len - 1, v->rdata + 1, v->ttl,
	         (long long)(v->expires - s->base) / 1000);
	return KNOT_EOK;
}

/*! Reads a name as the query path does; returns the count, fills seen. */
static int read_name(acme_store_t *s, const char *name, uint64_t now, seen_t *seen,
                     bool *below)
{
	acme_okey_t key;
	if (!acme_store_find_okey(s, dn(name), &key)) {
		if (below != NULL) {
			*below = false;
		}
		return 0;
	}
	return acme_store_read(s, 0, &key, now, seen ? seen_cb : NULL, seen, below);
}

/*!
 * The server is the program asked for (REDIS_SERVER, redis_server.h):
 * Valkey's INFO has valkey_version, Redis's has not, so a Valkey run
 * (tests/unit/redis-on-valkey.sh) that fell back to Redis fails here.
 */
static void test_server_is_the_program_asked(void **state)
{
	fixture_t *f = *state;
	bool want_valkey = strstr(test_redis_program(false), "valkey") != NULL;
	redisReply *r = test_redis_cmd(&f->server, "INFO server");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	bool valkey = strstr(r->str, "valkey_version:") != NULL;
	freeReplyObject(r);
	assert_int_equal(valkey, want_valkey);
}

static void test_add_read(void **state)
{
	fixture_t *f = *state;
	acme_op_t ops[] = { add("a.Auth.Example.", "v1", 120), add("a.auth.example.", "v2", 30) };
	acme_update_t u;
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, ops, 2, &u), KNOT_EOK);
	assert_int_equal(u.result.added, 2);
	assert_int_equal(u.result.refreshed, 0);
	seen_t seen = { .base = f->t };
	bool below = true;
	assert_int_equal(read_name(f->store, "A.AUTH.example.", f->t, &seen, &below), 2);
	assert_false(below);
	assert_string_equal(seen.out, "a.auth.example.=v1/120/60,a.auth.example.=v2/30/60");
}

static void test_refresh_and_expiry(void **state)
{
	fixture_t *f = *state;
	acme_op_t a = add("a.auth.example.", "v1", 60);
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);
	acme_update_t u;
	assert_int_equal(apply(f->store, f->t + 10 * SEC, NULL, NULL, 0, &a, 1, &u), KNOT_EOK);
	assert_int_equal(u.result.added, 0);
	assert_int_equal(u.result.refreshed, 1);
	seen_t seen = { .base = f->t };
	assert_int_equal(read_name(f->store, "a.auth.example.", f->t, &seen, NULL), 1);
	assert_string_equal(seen.out, "a.auth.example.=v1/60/70");
	/* Live until its expiry, gone at it. */
	assert_int_equal(read_name(f->store, "a.auth.example.", f->t + 69 * SEC, NULL, NULL), 1);
	assert_int_equal(read_name(f->store, "a.auth.example.", f->t + 70 * SEC, NULL, NULL), 0);
	/* The same read from Redis, not from the value cache. */
	acme_store_t *uncached;
	assert_int_equal(open_store(f, &uncached, f->server.sock, NULL, 0, 2000, true), KNOT_EOK);
	assert_int_equal(read_name(uncached, "a.auth.example.", f->t + 69 * SEC, NULL, NULL), 1);
	assert_int_equal(read_name(uncached, "a.auth.example.", f->t + 70 * SEC, NULL, NULL), 0);
	acme_store_close(uncached);
	/* The key itself expires then too. */
	redisReply *r = test_redis_cmd(&f->server, "PEXPIRETIME %b", "t:v:\x07""example\x04""auth\x01""a", 19);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	assert_int_equal(r->integer, f->t + 70 * SEC);
	freeReplyObject(r);
}

static void test_max_records_drops_oldest(void **state)
{
	fixture_t *f = *state;
	acme_policy_t policy = { .lifetime = 60, .max_records = 2 };
	acme_op_t a[] = { add("x.auth.example.", "one", 60), add("x.auth.example.", "two", 60) };
	assert_int_equal(apply(f->store, f->t, &policy, NULL, 0, a, 2, NULL), KNOT_EOK);
	/* Refreshing "one" makes it the newest: "two" is the oldest now. */
	acme_op_t b[] = { add("x.auth.example.", "one", 60), add("x.auth.example.", "three", 60) };
	acme_update_t u;
	assert_int_equal(apply(f->store, f->t + SEC, &policy, NULL, 0, b, 2, &u), KNOT_EOK);
	assert_int_equal(u.result.refreshed, 1);
	assert_int_equal(u.result.added, 1);
	assert_int_equal(u.result.dropped, 1);
	seen_t seen = { .base = f->t };
	assert_int_equal(read_name(f->store, "x.auth.example.", f->t + SEC, &seen, NULL), 2);
	assert_string_equal(seen.out, "x.auth.example.=one/60/61,x.auth.example.=three/60/61");
}

static void test_deletes(void **state)
{
	fixture_t *f = *state;
	acme_op_t a[] = { add("d.auth.example.", "one", 60), add("d.auth.example.", "two", 60),
	                  add("e.auth.example.", "x", 60) };
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, a, 3, NULL), KNOT_EOK);
	acme_op_t d[] = { del("d.auth.example.", "one"), del("d.auth.example.", "absent"),
	                  del_all("E.auth.example.") };
	acme_update_t u;
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, d, 3, &u), KNOT_EOK);
	assert_int_equal(u.result.deleted, 2);
	seen_t seen = { .base = f->t };
	assert_int_equal(read_name(f->store, "d.auth.example.", f->t, &seen, NULL), 1);
	assert_string_equal(seen.out, "d.auth.example.=two/60/60");
	assert_int_equal(read_name(f->store, "e.auth.example.", f->t, NULL, NULL), 0);
	/* An expired value deleted is not counted. */
	acme_op_t d2 = del("d.auth.example.", "two");
	assert_int_equal(apply(f->store, f->t + 60 * SEC, NULL, NULL, 0, &d2, 1, &u), KNOT_EOK);
	assert_int_equal(u.result.deleted, 0);
}

static void test_empty_non_terminal(void **state)
{
	fixture_t *f = *state;
	acme_op_t a = add("_acme-challenge.www.auth.example.", "v", 60);
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);
	const char *ents[] = { "www.auth.example.", "WWW.auth.example.", "auth.example.",
	                       "example." };
	for (size_t i = 0; i < 4; i++) {
		bool below = false;
		assert_int_equal(read_name(f->store, ents[i], f->t, NULL, &below), 0);
		assert_true(below);
		/* Not once the value below has expired. */
		assert_int_equal(read_name(f->store, ents[i], f->t + 60 * SEC, NULL, &below), 0);
		assert_false(below);
	}
	bool below = true;
	assert_int_equal(read_name(f->store, "other.auth.example.", f->t, NULL, &below), 0);
	assert_false(below);
	/* A name with values of its own is not "below". */
	assert_int_equal(read_name(f->store, "_acme-challenge.www.auth.example.", f->t, NULL,
	                           &below), 1);
	assert_false(below);
	/* Deleting the value removes the empty non-terminals. */
	acme_op_t d = del_all("_acme-challenge.www.auth.example.");
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, &d, 1, NULL), KNOT_EOK);
	assert_int_equal(read_name(f->store, "www.auth.example.", f->t, NULL, &below), 0);
	assert_false(below);
}

static void test_prerequisites(void **state)
{
	fixture_t *f = *state;
	acme_op_t a[] = { add("p.auth.example.", "one", 60), add("p.auth.example.", "two", 60) };
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, a, 2, NULL), KNOT_EOK);

	acme_rdata_t both[] = { txt("one"), txt("two") };
	acme_rdata_t just_one[] = { txt("one") };
	acme_rdata_t two_opt[] = { txt("two") };
	acme_prereq_t in_use = { .type = ACME_PREREQ_NAME_IN_USE, .owner = dn("P.auth.example.") };
	acme_prereq_t unused = { .type = ACME_PREREQ_NAME_UNUSED, .owner = dn("q.auth.example.") };
	acme_prereq_t equals = { .type = ACME_PREREQ_TXT_EQUALS, .owner = dn("p.auth.example."),
	                         .values = both, .count = 2 };
	acme_prereq_t equals_opt = { .type = ACME_PREREQ_TXT_EQUALS, .owner = dn("p.auth.example."),
	                             .values = just_one, .count = 1,
	                             .optional = two_opt, .optional_count = 1 };
	acme_prereq_t not_equal = { .type = ACME_PREREQ_TXT_EQUALS, .owner = dn("p.auth.example."),
	                            .values = just_one, .count = 1 };
	acme_prereq_t in_use_q = { .type = ACME_PREREQ_NAME_IN_USE, .owner = dn("q.auth.example.") };

	/* All hold: the operations run. */
	acme_prereq_t ok[] = { in_use, unused, equals, equals_opt };
	acme_op_t w = add("q.auth.example.", "new", 60);
	acme_update_t u;
	assert_int_equal(apply(f->store, f->t, NULL, ok, 4, &w, 1, &u), KNOT_EOK);
	assert_int_equal(u.result.added, 1);

	/* The first that fails is named, and nothing is written (all or nothing). */
	acme_prereq_t bad[] = { in_use, not_equal, in_use_q };
	acme_op_t ops[] = { del_all("q.auth.example."), add("r.auth.example.", "x", 60) };
	assert_int_equal(apply(f->store, f->t, NULL, bad, 3, ops, 2, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 1);
	assert_int_equal(read_name(f->store, "q.auth.example.", f->t, NULL, NULL), 1);
	assert_int_equal(read_name(f->store, "r.auth.example.", f->t, NULL, NULL), 0);

	acme_prereq_t bad2[] = { in_use, unused };
	assert_int_equal(apply(f->store, f->t, NULL, bad2, 2, ops, 2, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 1);

	/* Prerequisites see only live values. */
	acme_prereq_t later[] = { { .type = ACME_PREREQ_NAME_UNUSED, .owner = dn("p.auth.example.") } };
	assert_int_equal(apply(f->store, f->t + 60 * SEC, NULL, later, 1, NULL, 0, &u),
	                 KNOT_EOK);
}

static void test_list(void **state)
{
	fixture_t *f = *state;
	acme_op_t a[] = { add("b.z.auth.example.", "2", 60), add("auth.example.", "apex", 60),
	                  add("a.z.auth.example.", "1", 60), add("z.auth.example.", "zb", 60),
	                  add("z.auth.example.", "za", 60), add("other.example.", "o", 60) };
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, a, 6, NULL), KNOT_EOK);
	seen_t seen = { .base = f->t };
	assert_int_equal(acme_store_list(f->store, dn("auth.example."), f->t, seen_cb, &seen), 5);
	assert_string_equal(seen.out, "auth.example.=apex/60/60,z.auth.example.=za/60/60,"
	                    "z.auth.example.=zb/60/60,a.z.auth.example.=1/60/60,"
	                    "b.z.auth.example.=2/60/60");
	memset(seen.out, 0, sizeof(seen.out));
	assert_int_equal(acme_store_list(f->store, NULL, f->t, seen_cb, &seen), 6);
	assert_non_null(strstr(seen.out, "other.example.=o"));
	assert_int_equal(acme_store_list(f->store, NULL, f->t + 60 * SEC, NULL, NULL), 0);
	acme_store_stats_t st;
	assert_int_equal(acme_store_stats(f->store, &st), KNOT_EOK);
	assert_int_equal(st.values, 6);
	assert_true(st.used > 0);
}

/*! Waits (bounded) until the filter rules out a name never stored. */
static bool filter_ready(acme_store_t *s)
{
	for (int i = 0; i < 500; i++) {
		acme_okey_t key;
		if (!acme_store_find_okey(s, dn("never.stored.example."), &key)) {
			return true;
		}
		usleep(10 * 1000);
	}
	return false;
}

static void test_filter_follows_other_writers(void **state)
{
	fixture_t *f = *state;
	acme_op_t a = add("_acme-challenge.old.auth.example.", "v", 60);
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);

	/* A second node: its filter starts from what is stored. */
	acme_store_t *node2;
	assert_int_equal(open_store(f, &node2, f->server.sock, NULL, 0, 2000, false), KNOT_EOK);
	assert_true(filter_ready(node2));
	acme_okey_t key;
	assert_true(acme_store_find_okey(node2, dn("_acme-challenge.old.auth.example."), &key));
	assert_true(acme_store_find_okey(node2, dn("old.auth.example."), &key));
	acme_redis_counters_t before, after;
	acme_redis_counters(node2, &before);
	assert_false(acme_store_find_okey(node2, dn("new.auth.example."), &key));
	acme_redis_counters(node2, &after);
	assert_int_equal(after.filter_misses, before.filter_misses + 1);
	assert_int_equal(after.reads, before.reads);

	/* A write through node 1 is seen by node 2 as soon as node 1 returns. */
	for (int i = 0; i < 50; i++) {
		char name[64];
		snprintf(name, sizeof(name), "_acme-challenge.n%d.auth.example.", i);
		acme_op_t b = add(name, "w", 60);
		assert_int_equal(apply(f->store, now_ms(), NULL, NULL, 0, &b, 1, NULL), KNOT_EOK);
		assert_int_equal(read_name(node2, name, now_ms(), NULL, NULL), 1);
		bool below = false;
		assert_int_equal(read_name(node2, name + 16, now_ms(), NULL, &below), 0);
		assert_true(below);
	}
	acme_store_close(node2);
}

/*! One read of \a name as "OWNER=TEXT,..." in \a got; whether the value cache answered it. */
static bool read_text(acme_store_t *s, const char *name, char *got, size_t size, bool *below)
{
	acme_redis_counters_t before, after;
	acme_redis_counters(s, &before);
	seen_t seen = { .base = 0 };
	read_name(s, name, now_ms(), &seen, below);
	acme_redis_counters(s, &after);
	got[0] = '\0';
	for (char *tok = strtok(seen.out, ","); tok != NULL; tok = strtok(NULL, ",")) {
		size_t len = strlen(got);
		snprintf(got + len, size - len, "%s%.*s", len ? "," : "",
		         (int)strcspn(tok, "/"), tok); /* Without the ttl and expiry. */
	}
	return after.cache_hits > before.cache_hits;
}

/*! A read of \a name right away sees \a want (from wherever it is answered). */
static void assert_reads(acme_store_t *s, const char *name, const char *want, bool below_want)
{
	char got[1024];
	bool below = !below_want;
	read_text(s, name, got, sizeof(got), &below);
	assert_string_equal(got, want);
	assert_int_equal(below, below_want);
}

/*! Soon (bounded) the value cache answers \a name, and answers \a want. */
static void assert_cached(acme_store_t *s, const char *name, const char *want, bool below_want)
{
	for (int i = 0; i < 500; i++) {
		char got[1024];
		bool below = !below_want;
		if (read_text(s, name, got, sizeof(got), &below)) {
			assert_string_equal(got, want);
			assert_int_equal(below, below_want);
			return;
		}
		usleep(10 * 1000);
	}
	fail_msg("%s never answered from the cache", name);
}

/*!
 * The value cache of a node that reads a replica: every change another node
 * makes (an add, a delete, a name below, a flush) is answered from the moment
 * that node's update returns (WAIT 1), while unchanged names are answered
 * from the cache; also after its tracking connection was cut.
 */
static void test_cache_follows_changes(void **state)
{
	fixture_t *f = *state;
	test_redis_t *replica = &f->extra[0];
	assert_true(test_redis_start(replica, f->server.port));
	assert_true(test_redis_synced(replica));
	acme_store_t *writer, *node;
	assert_int_equal(open_store(f, &writer, f->server.sock, NULL, 1, 2000, true), KNOT_EOK);
	assert_int_equal(open_store(f, &node, f->server.sock, replica->sock, 0, 2000, false),
	                 KNOT_EOK);
	const char *name = "_acme-challenge.c.auth.example.";
	const char *ent = "y._acme-challenge.c.auth.example.";
	acme_op_t a = add(name, "v0", 60);
	assert_int_equal(apply(writer, now_ms(), NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);
	assert_cached(node, name, "_acme-challenge.c.auth.example.=v0", false);

	acme_redis_counters_t before, after;
	for (int i = 1; i <= 40; i++) {
		char old[16], val[16], want[96];
		snprintf(old, sizeof(old), "v%d", i - 1);
		snprintf(val, sizeof(val), "v%d", i);
		acme_op_t ops[2] = { add(name, val, 60), del(name, old) };
		assert_int_equal(apply(writer, now_ms(), NULL, NULL, 0, ops, 2, NULL), KNOT_EOK);
		snprintf(want, sizeof(want), "%s=%s", name, val);
		assert_reads(node, name, want, false);
		assert_cached(node, name, want, false);
		/* A name below: its parent becomes an empty non-terminal, and stops being one. */
		acme_op_t deep = i % 2 ? add("x.y._acme-challenge.c.auth.example.", "d", 60)
		                       : del_all("x.y._acme-challenge.c.auth.example.");
		assert_int_equal(apply(writer, now_ms(), NULL, NULL, 0, &deep, 1, NULL), KNOT_EOK);
		assert_reads(node, ent, "", i % 2);
		assert_cached(node, ent, "", i % 2);
	}

	/* An entry's values expire without a message. */
	assert_cached(node, name, "_acme-challenge.c.auth.example.=v40", false);
	acme_redis_counters(node, &before);
	assert_int_equal(read_name(node, name, now_ms() + 61 * 1000, NULL, NULL), 0);
	acme_redis_counters(node, &after);
	assert_int_equal(after.cache_hits, before.cache_hits + 1);

	/* The tracking connection cut: what changes meanwhile is still seen. */
	for (int i = 0; i < 5; i++) {
		redisReply *k = test_redis_cmd(replica, "CLIENT KILL TYPE pubsub");
		assert_non_null(k);
		freeReplyObject(k);
		char val[16], want[96];
		snprintf(val, sizeof(val), "k%d", i);
		acme_op_t ops[2] = { del_all(name), add(name, val, 60) };
		assert_int_equal(apply(writer, now_ms(), NULL, NULL, 0, ops, 2, NULL), KNOT_EOK);
		snprintf(want, sizeof(want), "%s=%s", name, val);
		assert_reads(node, name, want, false);
		assert_cached(node, name, want, false);
	}

	/*
	 * A flush empties the cache, soon: Redis names a flush while it runs the
	 * command, not with the turn's other messages, so the replica may write
	 * its acknowledgement to the primary first (a flush is no update of the
	 * module's, which waits for nothing else).
	 */
	redisReply *fl = test_redis_cmd(&f->server, "FLUSHALL");
	assert_non_null(fl);
	freeReplyObject(fl);
	bool emptied = false;
	for (int i = 0; i < 500 && !emptied; i++) {
		char got[1024];
		bool below;
		read_text(node, name, got, sizeof(got), &below);
		emptied = got[0] == '\0';
		usleep(emptied ? 0 : 10 * 1000);
	}
	assert_true(emptied);
	assert_cached(node, name, "", false);
	acme_store_close(node);
	acme_store_close(writer);
}

/*! Writes into \a out a name "cN.auth.example." whose cache set is \a set, from N = \a *next on. */
static void name_in_set(size_t set, unsigned *next, char *out, size_t size)
{
	for (;; (*next)++) {
		snprintf(out, size, "c%u.auth.example.", *next);
		acme_okey_t key;
		assert_int_equal(acme_okey(dn(out), &key), KNOT_EOK);
		if ((redis_hash(key.data, key.len) & (CACHE_SETS - 1)) == set) {
			(*next)++;
			return;
		}
	}
}

/*!
 * What the value cache keeps: two names per hash set, the one cached last
 * evicting the older of the two; a name with too many values is answered
 * from Redis every time, and right.
 */
static void test_cache_limits(void **state)
{
	fixture_t *f = *state;
	acme_store_t *s = f->store;
	char names[3][64], want[3][160];
	unsigned next = 0;
	acme_okey_t first;
	assert_int_equal(acme_okey(dn("c0.auth.example."), &first), KNOT_EOK);
	size_t set = redis_hash(first.data, first.len) & (CACHE_SETS - 1);
	for (int i = 0; i < 3; i++) {
		name_in_set(set, &next, names[i], sizeof(names[i]));
		acme_op_t a = add(names[i], "v", 60);
		assert_int_equal(apply(s, now_ms(), NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);
		snprintf(want[i], sizeof(want[i]), "%.63s=v", names[i]);
	}
	/* The first two share the set. */
	assert_cached(s, names[0], want[0], false);
	assert_cached(s, names[1], want[1], false);
	assert_cached(s, names[0], want[0], false);
	/* The third evicts the older of them (the first, cached before the second). */
	assert_cached(s, names[2], want[2], false);
	char got[1024];
	bool below;
	assert_false(read_text(s, names[0], got, sizeof(got), &below));
	assert_string_equal(got, want[0]);
	assert_true(read_text(s, names[2], got, sizeof(got), &below));
	assert_string_equal(got, want[2]);

	/* Forty values: more than an entry holds. */
	const char *big = "many.auth.example.";
	for (int i = 0; i < 40; i++) {
		char val[32];
		snprintf(val, sizeof(val), "value-%02d-0123456789", i);
		acme_op_t a = add(big, val, 60);
		assert_int_equal(apply(s, now_ms(), NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);
	}
	for (int i = 0; i < 3; i++) {
		assert_false(read_text(s, big, got, sizeof(got), &below));
		assert_int_equal(read_name(s, big, now_ms(), NULL, NULL), 40);
	}
}

static void test_server_down_and_back(void **state)
{
	fixture_t *f = *state;
	acme_op_t a = add("s.auth.example.", "v", 60);
	assert_int_equal(apply(f->store, f->t, NULL, NULL, 0, &a, 1, NULL), KNOT_EOK);
	assert_int_equal(read_name(f->store, "s.auth.example.", f->t, NULL, NULL), 1);

	/* Stopped: reads and updates fail (no value is made up), with one log line. */
	test_redis_signal(&f->server, SIGSTOP);
	acme_store_t *slow;
	assert_int_equal(open_store(f, &slow, f->server.sock, NULL, 0, 100, true), KNOT_EOK);
	acme_okey_t key;
	assert_true(acme_store_find_okey(slow, dn("s.auth.example."), &key));
	int ret = acme_store_read(slow, 1, &key, f->t, NULL, NULL, NULL);
	assert_true(ret == KNOT_ETIMEOUT || ret == KNOT_ECONN);
	assert_int_equal(apply(slow, f->t, NULL, NULL, 0, &a, 1, NULL) < 0, true);
	acme_redis_counters_t c;
	acme_redis_counters(slow, &c);
	assert_true(c.down >= 1);
	assert_non_null(strstr(f->logged, "unreachable"));
	/* Back: reads work again once the backoff has passed. */
	test_redis_signal(&f->server, SIGCONT);
	int got = -1;
	for (int i = 0; i < 200 && got != 1; i++) {
		got = acme_store_read(slow, 1, &key, f->t, NULL, NULL, NULL);
		if (got != 1) {
			usleep(25 * 1000);
		}
	}
	assert_int_equal(got, 1);
	acme_redis_counters(slow, &c);
	assert_true(c.up >= 1);
	assert_non_null(strstr(f->logged, "reachable again"));
	acme_store_close(slow);
}

static void test_wait_for_replicas(void **state)
{
	fixture_t *f = *state;
	/* One replica required, none there: SERVFAIL material, and said why. */
	acme_store_t *strict;
	assert_int_equal(open_store(f, &strict, f->server.sock, NULL, 1, 200, true), KNOT_EOK);
	acme_op_t a = add("w.auth.example.", "v", 60);
	int ret = apply(strict, f->t, NULL, NULL, 0, &a, 1, NULL);
	if (ret != KNOT_ETIMEOUT || strstr(f->logged, "1 replicas") == NULL) {
		print_error("%d, logged: %s\n", ret, f->logged);
		fail();
	}

	/* With a replica, NOERROR, and the value is on the replica when it returns. */
	test_redis_t *replica = &f->extra[0];
	assert_true(test_redis_start(replica, f->server.port));
	assert_true(test_redis_synced(replica));
	acme_store_close(strict);
	assert_int_equal(open_store(f, &strict, f->server.sock, NULL, 1, 5000, true), KNOT_EOK);
	/* Another node reading the replica, its filter fed by the primary. */
	acme_store_t *reader;
	assert_int_equal(open_store(f, &reader, f->server.sock, replica->sock, 0, 2000, false),
	                 KNOT_EOK);
	assert_true(filter_ready(reader));
	for (int i = 0; i < 20; i++) {
		char name[64];
		snprintf(name, sizeof(name), "r%d.auth.example.", i);
		acme_op_t b = add(name, "x", 60);
		assert_int_equal(apply(strict, now_ms(), NULL, NULL, 0, &b, 1, NULL), KNOT_EOK);
		assert_int_equal(read_name(reader, name, now_ms(), NULL, NULL), 1);
	}
	acme_store_close(reader);
	acme_store_close(strict);
}

/*! A writer adding one value per update until told to stop (bounded). */
typedef struct {
	acme_store_t *store;
	atomic_bool stop;
	atomic_bool killed;
	atomic_int acked;          /*!< Updates answered KNOT_EOK. */
	atomic_int acked_after;    /*!< ... of which after the kill. */
	int failed;
	bool ok[4000];
} writer_t;

#define WRITES_MAX	4000

static void *writer_main(void *arg)
{
	writer_t *w = arg;
	for (int i = 0; i < WRITES_MAX && !atomic_load(&w->stop); i++) {
		char name[64];
		snprintf(name, sizeof(name), "w%d.load.example.", i);
		acme_op_t op = add(name, "v", 60);
		bool after = atomic_load(&w->killed);
		if (apply(w->store, now_ms(), NULL, NULL, 0, &op, 1, NULL) == KNOT_EOK) {
			w->ok[i] = true;
			atomic_fetch_add(&w->acked, 1);
			if (after) {
				atomic_fetch_add(&w->acked_after, 1);
			}
		} else {
			w->failed++;
			usleep(20 * 1000);
		}
	}
	return NULL;
}

/*! Waits (bounded) until \a counter reaches \a want. */
static bool wait_count(atomic_int *counter, int want)
{
	for (int i = 0; i < 3000 && atomic_load(counter) < want; i++) {
		usleep(10 * 1000);
	}
	return atomic_load(counter) >= want;
}

/*! Every acknowledged value of the writer is on the server at \a where. */
static void assert_all_acked_on(fixture_t *f, const writer_t *w, const char *where)
{
	acme_store_t *check;
	assert_int_equal(open_store(f, &check, where, NULL, 0, 2000, true), KNOT_EOK);
	int missing = 0, acked = 0;
	for (int i = 0; i < WRITES_MAX; i++) {
		if (!w->ok[i]) {
			continue;
		}
		acked++;
		char name[64];
		snprintf(name, sizeof(name), "w%d.load.example.", i);
		if (read_name(check, name, now_ms(), NULL, NULL) != 1) {
			missing++;
		}
	}
	acme_store_close(check);
	assert_true(acked > 0);
	assert_int_equal(missing, 0);
}

static void test_kill9_primary_loses_no_acknowledged_update(void **state)
{
	fixture_t *f = *state;
	test_redis_t *primary = &f->extra[0], *replica = &f->extra[1];
	assert_true(test_redis_start_as(primary, 0, TEST_REDIS_AOF));
	assert_true(test_redis_start_as(replica, primary->port, TEST_REDIS_AOF));
	assert_true(test_redis_synced(replica));

	static writer_t w;
	memset(&w, 0, sizeof(w));
	assert_int_equal(open_store(f, &w.store, primary->sock, NULL, 1, 1000, true), KNOT_EOK);
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, writer_main, &w), 0);
	assert_true(wait_count(&w.acked, 50));
	atomic_store(&w.killed, true);
	test_redis_signal(primary, SIGKILL);
	usleep(300 * 1000);
	atomic_store(&w.stop, true);
	pthread_join(thread, NULL);
	acme_store_close(w.store);

	/* The replica promoted holds every update that was acknowledged. */
	redisReply *r = test_redis_cmd(replica, "REPLICAOF NO ONE");
	assert_non_null(r);
	freeReplyObject(r);
	assert_true(w.failed > 0);
	assert_all_acked_on(f, &w, replica->sock);
}

/*! A reader of one value through a replica, counting what it got. */
typedef struct {
	acme_store_t *store;
	atomic_bool stop;
	int reads;
	int failures;
	int last;        /*!< Last failed read's result. */
} reader_ctx_t;

static void *reader_main(void *arg)
{
	reader_ctx_t *r = arg;
	while (!atomic_load(&r->stop) && r->reads < 200000) {
		int got = read_name(r->store, "steady.load.example.", now_ms(), NULL, NULL);
		if (got != 1) {
			r->failures++;
			r->last = got;
		}
		r->reads++;
		usleep(2 * 1000);
	}
	return NULL;
}

static bool sentinel_knows_replicas(test_redis_t *sentinel, size_t want)
{
	for (int i = 0; i < 1000; i++) {
		redisReply *r = test_redis_cmd(sentinel, "SENTINEL replicas mymaster");
		bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= want;
		if (r != NULL) {
			freeReplyObject(r);
		}
		if (ok) {
			return true;
		}
		usleep(20 * 1000);
	}
	return false;
}

static void test_sentinel_failover_under_load(void **state)
{
	fixture_t *f = *state;
	test_redis_t *primary = &f->extra[0], *r1 = &f->extra[1], *r2 = &f->extra[2];
	test_redis_t *sentinel = &f->extra[3];
	assert_true(test_redis_start(primary, 0));
	assert_true(test_redis_start(r1, primary->port));
	assert_true(test_redis_start(r2, primary->port));
	assert_true(test_redis_synced(r1));
	assert_true(test_redis_synced(r2));
	assert_true(test_redis_start_as(sentinel, primary->port, TEST_REDIS_SENTINEL));
	assert_true(sentinel_knows_replicas(sentinel, 2));

	char sentinels[64];
	snprintf(sentinels, sizeof(sentinels), "127.0.0.1@%d", sentinel->port);
	acme_redis_opts_t opts = {
		.sentinels = sentinels, .master = "mymaster", .read = r1->sock,
		.replicas = 1, .timeout_ms = 500, .prefix = "t:", .log = log_cb, .log_ctx = f,
	};
	static writer_t w;
	memset(&w, 0, sizeof(w));
	assert_int_equal(acme_redis_open(&w.store, &opts), KNOT_EOK);
	acme_op_t steady = add("steady.load.example.", "s", 60);
	assert_int_equal(apply(w.store, now_ms(), NULL, NULL, 0, &steady, 1, NULL), KNOT_EOK);

	reader_ctx_t rd = { .store = w.store };
	pthread_t wt, rt;
	assert_int_equal(pthread_create(&wt, NULL, writer_main, &w), 0);
	assert_int_equal(pthread_create(&rt, NULL, reader_main, &rd), 0);
	assert_true(wait_count(&w.acked, 20));
	atomic_store(&w.killed, true);
	test_redis_signal(primary, SIGKILL);
	/* Updates resume once a replica is promoted. */
	bool resumed = wait_count(&w.acked_after, 20);
	atomic_store(&w.stop, true);
	atomic_store(&rd.stop, true);
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	acme_redis_counters_t c;
	acme_redis_counters(w.store, &c);
	acme_store_close(w.store);
	if (!resumed) {
		print_error("log: %s\n", f->logged);
	}
	assert_true(resumed);
	assert_true(c.failovers >= 1);
	assert_non_null(strstr(f->logged, "primary moved"));
	/* Answers never stopped. */
	assert_true(rd.reads > 0);
	if (rd.failures != 0) {
		print_error("%d of %d reads failed, last %d (%s), filter misses %llu\nlog: %s\n",
		            rd.failures, rd.reads, rd.last, knot_strerror(rd.last),
		            (unsigned long long)c.filter_misses, f->logged);
	}
	assert_int_equal(rd.failures, 0);

	/* Nothing acknowledged is lost on the new primary. */
	redisReply *m = test_redis_cmd(sentinel, "SENTINEL get-master-addr-by-name mymaster");
	assert_non_null(m);
	assert_int_equal(m->type, REDIS_REPLY_ARRAY);
	char where[64];
	snprintf(where, sizeof(where), "127.0.0.1@%s", m->element[1]->str);
	freeReplyObject(m);
	assert_all_acked_on(f, &w, where);
}

static void test_open_errors(void **state)
{
	fixture_t *f = *state;
	acme_store_t *s;
	acme_redis_opts_t opts = { .primary = "127.0.0.1@99999" };
	assert_int_equal(acme_redis_open(&s, &opts), KNOT_EINVAL);
	opts.primary = "127.0.0.1";
	opts.prefix = "bad prefix*";
	assert_int_equal(acme_redis_open(&s, &opts), KNOT_EINVAL);
	opts.prefix = NULL;
	opts.password_file = "/nonexistent/password";
	assert_int_equal(acme_redis_open(&s, &opts), KNOT_EACCES);
	(void)f;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_server_is_the_program_asked),
		T(test_add_read),
		T(test_refresh_and_expiry),
		T(test_max_records_drops_oldest),
		T(test_deletes),
		T(test_empty_non_terminal),
		T(test_prerequisites),
		T(test_list),
		T(test_filter_follows_other_writers),
		T(test_cache_follows_changes),
		T(test_cache_limits),
		T(test_server_down_and_back),
		T(test_wait_for_replicas),
		T(test_kill9_primary_loses_no_acknowledged_update),
		T(test_sentinel_failover_under_load),
		T(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
