/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Redis/Valkey backend: open/close, the read path, list and stats.
 *
 * Updates are in apply.c (one Lua script, apply.lua), the negative filter of
 * the query path in filter.c, its value cache in cache.c, connections in
 * conn.c.  Key layout (P is the prefix):
 *
 * - P v:OWNER  hash, TXT rdata -> "expires added seq ttl" (decimal, ms);
 *   the key expires at the latest expiry of its values (PEXPIREAT).
 * - P b:NAME   sorted set of the owners strictly below NAME, scored by their
 *   latest expiry: a name with no value of its own is an empty non-terminal
 *   while it has a member scored in the future.
 *
 * OWNER and NAME are store keys (module/store/okey.h: labels from the root,
 * lower case, each with its length byte), binary.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "module/store/redis/internal.h"

size_t redis_key(const redis_store_t *rs, char kind, const uint8_t *okey, size_t olen,
                 char *out)
{
	memcpy(out, rs->prefix, rs->prefix_len);
	out[rs->prefix_len] = kind;
	out[rs->prefix_len + 1] = ':';
	memcpy(out + rs->prefix_len + 2, okey, olen);
	return rs->prefix_len + 2 + olen;
}

uint64_t redis_hash(const uint8_t *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ data[i]) * 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

bool value_parse(const char *text, size_t len, uint64_t out[4])
{
	char buf[96];
	if (len >= sizeof(buf)) {
		return false;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		char *end;
		out[i] = strtoull(p, &end, 10);
		if (end == p || (i < 3 && *end != ' ') || (i == 3 && *end != '\0')) {
			return false;
		}
		p = end + 1;
	}
	return true;
}

int value_walk(const redisReply *hash, const uint8_t *okey, size_t olen, uint64_t now,
               acme_value_cb cb, void *ctx)
{
	if (hash->type != REDIS_REPLY_ARRAY) {
		return KNOT_EMALF;
	}
	knot_dname_storage_t owner;
	if (cb != NULL) {
		acme_okey_to_name(okey, olen, owner);
	}
	int count = 0;
	for (size_t i = 0; i + 1 < hash->elements; i += 2) {
		const redisReply *f = hash->element[i], *v = hash->element[i + 1];
		uint64_t rec[4];
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    f->len == 0 || f->len > ACME_STORE_RDATA_MAX ||
		    !value_parse(v->str, v->len, rec) || rec[0] <= now) {
			continue;
		}
		count++;
		if (cb != NULL) {
			acme_value_t value = {
				.owner = owner,
				.rdata = (const uint8_t *)f->str,
				.rdata_len = f->len,
				.ttl = rec[3],
				.added = rec[1],
				.expires = rec[0],
			};
			int ret = cb(&value, ctx);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
	}
	return count;
}

/*! An error reply's text as a libknot code. */
int reply_error(const redisReply *r)
{
	if (r == NULL) {
		return KNOT_ECONN;
	}
	if (r->type != REDIS_REPLY_ERROR) {
		return KNOT_EMALF;
	}
	if (strncmp(r->str, "OOM", 3) == 0) {
		return KNOT_ESPACE;
	}
	if (strncmp(r->str, "NOAUTH", 6) == 0 || strncmp(r->str, "NOPERM", 6) == 0 ||
	    strncmp(r->str, "WRONGPASS", 9) == 0) {
		return KNOT_EACCES;
	}
	if (strncmp(r->str, "READONLY", 8) == 0 || strncmp(r->str, "LOADING", 7) == 0 ||
	    strncmp(r->str, "MASTERDOWN", 10) == 0) {
		return KNOT_ECONN;
	}
	return KNOT_ERROR;
}

/*! Latest score of a ZRANGE ... -1 -1 WITHSCORES reply (0: empty set). */
static uint64_t top_score(const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		return 0;
	}
	return strtod(r->element[1]->str, NULL);
}

/*!
 * Sends the read of one name (its hash, and the latest expiry of the owners
 * below it when asked or when the cache keeps it) in one round trip, and
 * reads the replies.
 */
static int read_once(redis_store_t *rs, redisContext *c, const acme_okey_t *okey,
                     uint64_t now, acme_value_cb cb, void *ctx, bool *below)
{
	bool cached = rs->cache.follower.started;
	uint64_t ticket = cached ? cache_ticket(&rs->cache) : 0;
	char vkey[REDIS_KEY_MAX], bkey[REDIS_KEY_MAX];
	size_t vlen = redis_key(rs, 'v', okey->data, okey->len, vkey);
	redisAppendCommand(c, "HGETALL %b", vkey, vlen);
	bool want_below = below != NULL || cached;
	if (want_below) {
		size_t blen = redis_key(rs, 'b', okey->data, okey->len, bkey);
		redisAppendCommand(c, "ZRANGE %b -1 -1 WITHSCORES", bkey, blen);
	}
	redisReply *hash = NULL, *under = NULL;
	if (redisGetReply(c, (void **)&hash) != REDIS_OK ||
	    (want_below && redisGetReply(c, (void **)&under) != REDIS_OK)) {
		if (hash != NULL) {
			freeReplyObject(hash);
		}
		return conn_error(c);
	}
	int ret;
	if (hash->type == REDIS_REPLY_ERROR) {
		ret = reply_error(hash);
	} else {
		ret = value_walk(hash, okey->data, okey->len, now, cb, ctx);
	}
	bool under_ok = under == NULL || under->type != REDIS_REPLY_ERROR;
	if (ret == 0 && !under_ok) {
		ret = reply_error(under);
	}
	uint64_t top = under_ok && under != NULL ? top_score(under) : 0;
	if (below != NULL) {
		*below = ret == 0 && top > now;
	}
	if (cached && ret >= 0 && under_ok) {
		cache_store(&rs->cache, ticket, okey, hash, top);
	}
	if (under != NULL) {
		freeReplyObject(under);
	}
	freeReplyObject(hash);
	return ret;
}

static bool io_error(int ret)
{
	return ret == KNOT_ECONN || ret == KNOT_ETIMEOUT;
}

static int redis_read(acme_store_t *store, int slot, const acme_okey_t *okey,
                      uint64_t now, acme_value_cb cb, void *ctx, bool *below)
{
	redis_store_t *rs = (redis_store_t *)store;
	if (okey == NULL) {
		return KNOT_EINVAL;
	}
	if (below != NULL) {
		*below = false;
	}
	int hit;
	if (cache_read(&rs->cache, okey, now, cb, ctx, below, &hit)) {
		return hit;
	}
	atomic_fetch_add_explicit(&rs->reads, 1, memory_order_relaxed);
	if (slot < 0 || slot >= ACME_STORE_SLOTS) {
		for (int attempt = 0; ; attempt++) {
			conn_t conn;
			int ret = conn_get(&rs->read, &conn);
			if (ret != KNOT_EOK) {
				return ret;
			}
			ret = read_once(rs, conn.c, okey, now, cb, ctx, below);
			conn_put(&rs->read, &conn, !io_error(ret));
			if (!io_error(ret)) {
				conn_ok(&rs->read);
				return ret;
			}
			if (conn.fresh || attempt > 0) {
				conn_failed(&rs->read, knot_strerror(ret));
				return ret;
			}
		}
	}

	/* A slot is used by one thread only: its connection needs no lock. */
	reader_t *r = &rs->readers[slot];
	for (int attempt = 0; ; attempt++) {
		bool fresh = false;
		if (r->c == NULL) {
			int ret = conn_open(&rs->read, &r->c, &r->epoch);
			if (ret != KNOT_EOK) {
				r->c = NULL;
				return ret;
			}
			fresh = true;
		}
		int ret = read_once(rs, r->c, okey, now, cb, ctx, below);
		if (!io_error(ret)) {
			conn_ok(&rs->read);
			return ret;
		}
		redisFree(r->c);
		r->c = NULL;
		if (fresh || attempt > 0) {
			conn_failed(&rs->read, knot_strerror(ret));
			return ret;
		}
	}
}

static bool redis_find_okey(acme_store_t *store, const knot_dname_t *name,
                            acme_okey_t *okey)
{
	redis_store_t *rs = (redis_store_t *)store;
	if (name == NULL || okey == NULL || acme_okey(name, okey) != KNOT_EOK) {
		return false;
	}
	if (filter_absent(&rs->filter, okey)) {
		atomic_fetch_add_explicit(&rs->filter_misses, 1, memory_order_relaxed);
		return false;
	}
	return true;
}

/*! One owner's values, for sorting the output of list. */
typedef struct {
	uint8_t key[KNOT_DNAME_MAXLEN];
	size_t len;
	redisReply *hash;
} listed_t;

/*! Owners in the order of the LMDB backend: by key || 0x00. */
static int listed_cmp(const void *a, const void *b)
{
	const listed_t *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	if (c != 0) {
		return c;
	}
	return (x->len > y->len) - (x->len < y->len);
}

/*! Values of one owner in the order of the LMDB backend: by rdata bytes. */
static int field_cmp(const void *a, const void *b)
{
	const redisReply *x = *(redisReply *const *)a, *y = *(redisReply *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	if (c != 0) {
		return c;
	}
	return (x->len > y->len) - (x->len < y->len);
}

/*! Sorts a HGETALL reply's pairs by field. */
static void hash_sort(redisReply *hash)
{
	size_t pairs = hash->elements / 2;
	/* Sort pairs as units: sort the fields, carry their values along. */
	redisReply **tmp = malloc(sizeof(*tmp) * hash->elements);
	if (tmp == NULL) {
		return;
	}
	redisReply **fields = malloc(sizeof(*fields) * pairs);
	if (fields == NULL) {
		free(tmp);
		return;
	}
	for (size_t i = 0; i < pairs; i++) {
		fields[i] = hash->element[2 * i];
	}
	qsort(fields, pairs, sizeof(*fields), field_cmp);
	for (size_t i = 0; i < pairs; i++) {
		for (size_t j = 0; j < pairs; j++) {
			if (hash->element[2 * j] == fields[i]) {
				tmp[2 * i] = fields[i];
				tmp[2 * i + 1] = hash->element[2 * j + 1];
				break;
			}
		}
	}
	memcpy(hash->element, tmp, sizeof(*tmp) * hash->elements);
	free(fields);
	free(tmp);
}

static int list_on(redis_store_t *rs, redisContext *c, const acme_okey_t *apex,
                   uint64_t now, acme_value_cb cb, void *ctx)
{
	char bkey[REDIS_KEY_MAX];
	size_t blen = redis_key(rs, 'b', apex->data, apex->len, bkey);
	redisReply *below = redisCommand(c, "ZRANGEBYSCORE %b (%llu +inf", bkey, blen,
	                                 (unsigned long long)now);
	if (below == NULL) {
		return conn_error(c);
	}
	if (below->type != REDIS_REPLY_ARRAY) {
		int ret = reply_error(below);
		freeReplyObject(below);
		return ret;
	}
	size_t count = below->elements + 1;
	listed_t *owners = calloc(count, sizeof(*owners));
	if (owners == NULL) {
		freeReplyObject(below);
		return KNOT_ENOMEM;
	}
	memcpy(owners[0].key, apex->data, apex->len);
	owners[0].len = apex->len;
	size_t n = 1;
	for (size_t i = 0; i < below->elements; i++) {
		const redisReply *m = below->element[i];
		if (m->type == REDIS_REPLY_STRING && m->len < KNOT_DNAME_MAXLEN) {
			memcpy(owners[n].key, m->str, m->len);
			owners[n++].len = m->len;
		}
	}
	freeReplyObject(below);
	qsort(owners, n, sizeof(*owners), listed_cmp);

	int ret = KNOT_EOK;
	for (size_t i = 0; i < n; i++) {
		char vkey[REDIS_KEY_MAX];
		size_t vlen = redis_key(rs, 'v', owners[i].key, owners[i].len, vkey);
		redisAppendCommand(c, "HGETALL %b", vkey, vlen);
	}
	for (size_t i = 0; i < n; i++) {
		if (redisGetReply(c, (void **)&owners[i].hash) != REDIS_OK) {
			owners[i].hash = NULL;
			ret = conn_error(c);
			break;
		}
	}
	int total = 0;
	for (size_t i = 0; i < n && ret == KNOT_EOK; i++) {
		if (owners[i].hash->type != REDIS_REPLY_ARRAY) {
			ret = reply_error(owners[i].hash);
			break;
		}
		hash_sort(owners[i].hash);
		int got = value_walk(owners[i].hash, owners[i].key, owners[i].len, now, cb, ctx);
		if (got < 0) {
			ret = got;
		} else {
			total += got;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (owners[i].hash != NULL) {
			freeReplyObject(owners[i].hash);
		}
	}
	free(owners);
	return ret == KNOT_EOK ? total : ret;
}

static int redis_list(acme_store_t *store, const knot_dname_t *apex, uint64_t now,
                      acme_value_cb cb, void *ctx)
{
	redis_store_t *rs = (redis_store_t *)store;
	acme_okey_t okey = { .len = 0 };
	if (apex != NULL && acme_okey(apex, &okey) != KNOT_EOK) {
		return KNOT_EINVAL;
	}
	conn_t conn;
	int ret = conn_get(&rs->read, &conn);
	if (ret != KNOT_EOK) {
		return ret;
	}
	ret = list_on(rs, conn.c, &okey, now, cb, ctx);
	conn_put(&rs->read, &conn, !io_error(ret));
	return ret;
}

static int redis_purge(acme_store_t *store, uint64_t now, size_t limit, size_t *purged,
                       bool *more)
{
	(void)store, (void)now, (void)limit;
	/* Every key expires by itself (PEXPIREAT), on every replica at once. */
	if (purged != NULL) {
		*purged = 0;
	}
	if (more != NULL) {
		*more = false;
	}
	return KNOT_EOK;
}

/*! A field "name:value" of an INFO reply. */
static uint64_t info_field(const char *info, const char *name)
{
	const char *p = strstr(info, name);
	return (p != NULL && p[strlen(name)] == ':') ? strtoull(p + strlen(name) + 1, NULL, 10) : 0;
}

static int redis_stats(acme_store_t *store, acme_store_stats_t *stats)
{
	redis_store_t *rs = (redis_store_t *)store;
	memset(stats, 0, sizeof(*stats));
	conn_t conn;
	int ret = conn_get(&rs->read, &conn);
	if (ret != KNOT_EOK) {
		return ret;
	}
	redisContext *c = conn.c;
	char pattern[REDIS_KEY_MAX];
	size_t plen = redis_key(rs, 'v', (const uint8_t *)"*", 1, pattern);
	char cursor[32] = "0";
	do {
		redisReply *r = redisCommand(c, "SCAN %s MATCH %b COUNT 1000", cursor, pattern, plen);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			ret = r == NULL ? conn_error(c) : reply_error(r);
			if (r != NULL) {
				freeReplyObject(r);
			}
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		const redisReply *keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			redisAppendCommand(c, "HLEN %b", keys->element[i]->str, keys->element[i]->len);
		}
		for (size_t i = 0; i < keys->elements; i++) {
			redisReply *n;
			if (redisGetReply(c, (void **)&n) != REDIS_OK) {
				ret = conn_error(c);
				break;
			}
			if (n->type == REDIS_REPLY_INTEGER) {
				stats->values += n->integer;
			}
			freeReplyObject(n);
		}
		freeReplyObject(r);
	} while (ret == KNOT_EOK && strcmp(cursor, "0") != 0);
	if (ret == KNOT_EOK) {
		redisReply *r = redisCommand(c, "INFO memory");
		if (r != NULL && r->type == REDIS_REPLY_STRING) {
			stats->used = info_field(r->str, "used_memory");
			stats->capacity = info_field(r->str, "maxmemory");
		}
		if (r != NULL) {
			freeReplyObject(r);
		}
	}
	conn_put(&rs->read, &conn, !io_error(ret));
	return ret;
}

static void store_free(redis_store_t *rs)
{
	cache_stop(&rs->cache);
	filter_stop(&rs->filter);
	for (int i = 0; i < ACME_STORE_SLOTS; i++) {
		if (rs->readers[i].c != NULL) {
			redisFree(rs->readers[i].c);
		}
	}
	conn_endpoint_deinit(&rs->primary);
	conn_endpoint_deinit(&rs->read);
	free(rs->shared.user);
	if (rs->shared.password != NULL) {
		memset(rs->shared.password, 0, strlen(rs->shared.password));
		free(rs->shared.password);
	}
	conn_tls_deinit(&rs->shared);
	free(rs->shared.sentinels);
	free(rs->shared.master);
	free(rs->where);
	free(rs);
}

static void redis_close(acme_store_t *store)
{
	store_free((redis_store_t *)store);
}

static const acme_store_api_t redis_api = {
	.name = "redis",
	.close = redis_close,
	.find_okey = redis_find_okey,
	.read = redis_read,
	.apply = redis_apply,
	.list = redis_list,
	.purge = redis_purge,
	.stats = redis_stats,
};

bool acme_redis_is(const acme_store_t *store)
{
	return store != NULL && store->api == &redis_api;
}

void acme_redis_counters(acme_store_t *store, acme_redis_counters_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!acme_redis_is(store)) {
		return;
	}
	redis_store_t *rs = (redis_store_t *)store;
	out->down = atomic_load(&rs->shared.down);
	out->up = atomic_load(&rs->shared.up);
	out->failovers = atomic_load(&rs->shared.failovers);
	out->wait_short = atomic_load(&rs->wait_short);
	out->filter_misses = atomic_load(&rs->filter_misses);
	out->reads = atomic_load(&rs->reads);
	out->cache_hits = atomic_load(&rs->cache.hits);
}

/*! Reads "PASSWORD" or "USER PASSWORD" (first line) from a file. */
static int read_password(const char *path, char **user, char **password)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return KNOT_EACCES;
	}
	char line[1024];
	bool got = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!got) {
		return KNOT_EINVAL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	char *space = strchr(line, ' ');
	if (space != NULL) {
		*space = '\0';
		*user = strdup(line);
		*password = strdup(space + 1);
	} else {
		*password = strdup(line);
	}
	memset(line, 0, sizeof(line));
	if (*password == NULL || (*password)[0] == '\0' || (space != NULL && *user == NULL)) {
		return KNOT_EINVAL;
	}
	return KNOT_EOK;
}

static int parse_sentinels(const char *text, conn_addr_t **out, size_t *count)
{
	size_t n = 1;
	for (const char *p = text; *p; p++) {
		n += (*p == ',');
	}
	conn_addr_t *addrs = calloc(n, sizeof(*addrs));
	char *copy = strdup(text);
	if (addrs == NULL || copy == NULL) {
		free(addrs);
		free(copy);
		return KNOT_ENOMEM;
	}
	size_t i = 0;
	char *save = NULL;
	for (char *tok = strtok_r(copy, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (conn_addr_parse(tok, &addrs[i]) != KNOT_EOK || addrs[i].port == 0) {
			free(addrs);
			free(copy);
			return KNOT_EINVAL;
		}
		if (strchr(tok, '@') == NULL) {
			addrs[i].port = ACME_REDIS_SENTINEL_PORT;
		}
		i++;
	}
	free(copy);
	if (i == 0) {
		free(addrs);
		return KNOT_EINVAL;
	}
	*out = addrs;
	*count = i;
	return KNOT_EOK;
}

bool acme_redis_addr_valid(const char *text, bool sentinel)
{
	conn_addr_t addr;
	return conn_addr_parse(text, &addr) == KNOT_EOK && !(sentinel && addr.port == 0) &&
	       strpbrk(text, " ,\t") == NULL;
}

bool acme_redis_tls_supported(void)
{
	return conn_tls_supported();
}

const char *acme_redis_hiredis_version(void)
{
#define STR_(x) #x
#define STR(x) STR_(x)
	return STR(HIREDIS_MAJOR) "." STR(HIREDIS_MINOR);
}

bool acme_redis_prefix_valid(const char *prefix)
{
	size_t len = strlen(prefix);
	if (len > REDIS_PREFIX_MAX) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		char c = prefix[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == ':' || c == '_' || c == '-' || c == '.' || c == '/')) {
			return false;
		}
	}
	return true;
}

static int store_new(redis_store_t **out, const acme_redis_opts_t *opts)
{
	redis_store_t *rs = calloc(1, sizeof(*rs));
	if (rs == NULL) {
		return KNOT_ENOMEM;
	}
	rs->base.api = &redis_api;
	const char *prefix = opts->prefix ? opts->prefix : ACME_REDIS_PREFIX_DEFAULT;
	rs->prefix_len = strlen(prefix);
	memcpy(rs->prefix, prefix, rs->prefix_len);
	rs->replicas = opts->replicas;
	rs->shared.timeout_ms = opts->timeout_ms ? opts->timeout_ms : ACME_REDIS_TIMEOUT_DEFAULT;
	rs->shared.log = opts->log;
	rs->shared.event = opts->event;
	rs->shared.log_ctx = opts->log_ctx;

	int ret = KNOT_EOK;
	conn_addr_t primary = { .port = 0 }, read;
	bool sentinel = opts->sentinels != NULL && opts->sentinels[0] != '\0';
	if (sentinel) {
		ret = parse_sentinels(opts->sentinels, &rs->shared.sentinels,
		                      &rs->shared.sentinel_count);
		if (ret == KNOT_EOK && (opts->master == NULL || opts->master[0] == '\0')) {
			ret = KNOT_EINVAL;
		}
		if (ret == KNOT_EOK) {
			rs->shared.master = strdup(opts->master);
		}
	} else {
		ret = conn_addr_parse(opts->primary, &primary);
	}
	/* Without redis-read, answers are read from the primary, wherever the
	 * Sentinels say it is. */
	const char *read_text = opts->read ? opts->read : opts->primary;
	bool read_sentinel = sentinel && opts->read == NULL;
	memset(&read, 0, sizeof(read));
	if (ret == KNOT_EOK && !read_sentinel) {
		ret = conn_addr_parse(read_text, &read);
	}
	if (ret == KNOT_EOK && opts->tls) {
		ret = conn_tls_init(&rs->shared, opts->tls_ca, opts->tls_cert, opts->tls_key,
		                    opts->tls_name);
	}
	if (ret == KNOT_EOK && opts->password_file != NULL && opts->password_file[0] != '\0') {
		ret = read_password(opts->password_file, &rs->shared.user, &rs->shared.password);
	}
	if (ret == KNOT_EOK) {
		ret = conn_endpoint_init(&rs->primary, &rs->shared, "primary", &primary, sentinel);
	}
	if (ret == KNOT_EOK) {
		ret = conn_endpoint_init(&rs->read, &rs->shared, "read", &read, read_sentinel);
	}
	if (ret == KNOT_EOK) {
		char p[300], r[300];
		if (sentinel) {
			snprintf(p, sizeof(p), "sentinel master %s", rs->shared.master);
		} else {
			conn_addr_str(&primary, p, sizeof(p));
		}
		if (read_sentinel) {
			snprintf(r, sizeof(r), "the primary");
		} else {
			conn_addr_str(&read, r, sizeof(r));
		}
		size_t len = strlen(p) + strlen(r) + strlen(prefix) + 32;
		rs->where = malloc(len);
		if (rs->where == NULL) {
			ret = KNOT_ENOMEM;
		} else {
			snprintf(rs->where, len, "redis %s, read %s, prefix %s", p, r, prefix);
			rs->base.where = rs->where;
		}
	}
	if (ret == KNOT_EOK && !opts->no_filter) {
		ret = filter_start(&rs->filter, rs);
	}
	/* A read server named by the Sentinels moves: its changes would be missed. */
	if (ret == KNOT_EOK && !opts->no_filter && !read_sentinel) {
		ret = cache_start(&rs->cache, rs);
	}
	if (ret != KNOT_EOK) {
		store_free(rs);
		return ret;
	}
	*out = rs;
	return KNOT_EOK;
}

/*!
 * hiredis writes with write(): a server that closed the connection would
 * kill the process with SIGPIPE.  knotd ignores it already; a process that
 * left it at the default (the tool) gets it ignored too.
 */
static void ignore_sigpipe(void)
{
	struct sigaction old;
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
		struct sigaction ign = { .sa_handler = SIG_IGN };
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, NULL);
	}
}

int acme_redis_open(acme_store_t **out, const acme_redis_opts_t *opts)
{
	if (out == NULL || opts == NULL ||
	    (opts->prefix != NULL && !acme_redis_prefix_valid(opts->prefix))) {
		return KNOT_EINVAL;
	}
	ignore_sigpipe();
	/* A handle per opener: its log callback and connections are its own. */
	redis_store_t *rs;
	int ret = store_new(&rs, opts);
	if (ret == KNOT_EOK) {
		*out = &rs->base;
	}
	return ret;
}
