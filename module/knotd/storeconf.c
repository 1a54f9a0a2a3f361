/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "module/common/consts.h"
#include "module/knotd/storeconf.h"
#include "module/mod-acme.h"
#include "module/store/lmdb/lmdb.h"
#include "module/store/redis/redis.h"

const knot_lookup_t acme_db_modes[] = {
	{ DB_MODE_ROBUST, "robust" },
	{ DB_MODE_ASYNC,  "asynchronous" },
	{ 0, NULL }
};

struct acme_storeconf_log {
	pthread_mutex_t lock;
	knotd_mod_t *mod;
	bool open;
};

/*! Items only the Redis backend reads (an error without `redis`/`redis-sentinel`). */
static const char *const redis_only[] = {
	MOD_REDIS_READ, MOD_REDIS_REPL, MOD_REDIS_TMO, MOD_REDIS_MASTER, MOD_REDIS_PREFIX,
	MOD_REDIS_PASSWD, MOD_REDIS_TLS, MOD_REDIS_TLS_CA, MOD_REDIS_TLS_CERT,
	MOD_REDIS_TLS_KEY, MOD_REDIS_TLS_NAME, NULL
};

/*! Items only the TLS connection reads (an error without `redis-tls: on`). */
static const char *const tls_only[] = {
	MOD_REDIS_TLS_CA, MOD_REDIS_TLS_CERT, MOD_REDIS_TLS_KEY, MOD_REDIS_TLS_NAME, NULL
};

static bool is_set(knotd_conf_check_args_t *args, const char *item)
{
	knotd_conf_t val = knotd_conf_check_item(args, (const yp_name_t *)item);
	bool set = val.count > 0;
	knotd_conf_free(&val);
	return set;
}

static const char *str_item(knotd_conf_check_args_t *args, const char *item)
{
	knotd_conf_t val = knotd_conf_check_item(args, (const yp_name_t *)item);
	return val.count > 0 ? val.single.string : NULL;
}

/*! An error message naming the item, in a buffer that outlives the check. */
static int fail(knotd_conf_check_args_t *args, const char *fmt, const char *a, const char *b)
{
	static __thread char msg[512];
	snprintf(msg, sizeof(msg), fmt, a, b);
	args->err_str = msg;
	return KNOT_EINVAL;
}

/*! A password file must be a regular file that others cannot read or write. */
static int check_password_file(knotd_conf_check_args_t *args, const char *path)
{
	if (path[0] != '/') {
		return fail(args, "redis-password-file '%s' is not an absolute path", path, "");
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		/* knotd may not see it yet (reload as the knot user): load tells. */
		return KNOT_EOK;
	}
	if (!S_ISREG(st.st_mode)) {
		return fail(args, "redis-password-file '%s' is not a regular file", path, "");
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		return fail(args, "redis-password-file '%s' is accessible to every user "
		            "(chmod o-rw: only knotd may read it)", path, "");
	}
	return KNOT_EOK;
}

static int check_redis(knotd_conf_check_args_t *args, const char *primary, bool sentinel)
{
	if (primary != NULL && sentinel) {
		return fail(args, "set either redis or redis-sentinel (the Sentinels name the "
		            "primary), not both", "", "");
	}
	if (primary != NULL && !acme_redis_addr_valid(primary, false)) {
		return fail(args, "invalid redis '%s' (ADDR[@PORT] or an absolute UNIX socket "
		            "path)", primary, "");
	}
	const char *read = str_item(args, MOD_REDIS_READ);
	if (read != NULL && !acme_redis_addr_valid(read, false)) {
		return fail(args, "invalid redis-read '%s' (ADDR[@PORT] or an absolute UNIX "
		            "socket path)", read, "");
	}
	if (sentinel) {
		knotd_conf_t sent = knotd_conf_check_item(args, (const yp_name_t *)MOD_REDIS_SENT);
		int ret = KNOT_EOK;
		for (size_t i = 0; i < sent.count && ret == KNOT_EOK; i++) {
			const char *s = sent.multi[i].string;
			if (!acme_redis_addr_valid(s, true)) {
				ret = fail(args, "invalid redis-sentinel '%s' (ADDR[@PORT], port 26379 "
				           "by default)", s, "");
			}
		}
		knotd_conf_free(&sent);
		if (ret != KNOT_EOK) {
			return ret;
		}
		const char *master = str_item(args, MOD_REDIS_MASTER);
		if (master == NULL || master[0] == '\0' || strpbrk(master, " \t\r\n") != NULL) {
			return fail(args, "redis-sentinel needs redis-sentinel-master (the master "
			            "name the Sentinels monitor)", "", "");
		}
	} else if (is_set(args, MOD_REDIS_MASTER)) {
		return fail(args, "redis-sentinel-master is set without redis-sentinel", "", "");
	}
	const char *prefix = str_item(args, MOD_REDIS_PREFIX);
	if (prefix != NULL && !acme_redis_prefix_valid(prefix)) {
		return fail(args, "invalid redis-prefix '%s' (at most 64 of A-Z a-z 0-9 : _ - . /)",
		            prefix, "");
	}
	const char *passwd = str_item(args, MOD_REDIS_PASSWD);
	if (passwd != NULL) {
		int ret = check_password_file(args, passwd);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	knotd_conf_t tls = knotd_conf_check_item(args, (const yp_name_t *)MOD_REDIS_TLS);
	if (tls.count > 0 && tls.single.boolean) {
		if (!acme_redis_tls_supported()) {
			return fail(args, "redis-tls: this build's hiredis (%s) has no TLS "
			            "(hiredis 1.0 or later with hiredis_ssl has)",
			            acme_redis_hiredis_version(), "");
		}
		/* hiredis trusts no CA by default: every connection would fail. */
		if (!is_set(args, MOD_REDIS_TLS_CA)) {
			return fail(args, "redis-tls needs redis-tls-ca (the CA file the "
			            "servers' certificates chain to)", "", "");
		}
		if (is_set(args, MOD_REDIS_TLS_CERT) != is_set(args, MOD_REDIS_TLS_KEY)) {
			return fail(args, "redis-tls-cert and redis-tls-key go together", "", "");
		}
	} else {
		for (const char *const *it = tls_only; *it != NULL; it++) {
			if (is_set(args, *it)) {
				return fail(args, "%s is set without redis-tls: on", *it + 1, "");
			}
		}
	}
	return KNOT_EOK;
}

int acme_storeconf_check(knotd_conf_check_args_t *args)
{
	const char *db = str_item(args, MOD_DATABASE);
	if (is_set(args, MOD_DATABASE) && (db == NULL || db[0] == '\0')) {
		args->err_str = "empty database path";
		return KNOT_EINVAL;
	}
	const char *primary = str_item(args, MOD_REDIS);
	if (primary != NULL && primary[0] == '\0') {
		args->err_str = "empty redis address";
		return KNOT_EINVAL;
	}
	bool sentinel = is_set(args, MOD_REDIS_SENT);
	if (primary != NULL || sentinel) {
		return check_redis(args, primary, sentinel);
	}
	for (const char *const *it = redis_only; *it != NULL; it++) {
		if (is_set(args, *it)) {
			return fail(args, "%s is set without redis or redis-sentinel", *it + 1, "");
		}
	}
	return KNOT_EOK;
}

/*!
 * Absolute database path: a relative `database` is taken under the server's
 * `database.storage`, itself relative to `server.rundir`, as Knot does.
 */
static int database_path(knotd_mod_t *mod, char *out, size_t out_size)
{
	const char *db = knotd_conf_mod(mod, (const yp_name_t *)MOD_DATABASE).single.string;
	if (db[0] == '/') {
		return snprintf(out, out_size, "%s", db) < (int)out_size ? KNOT_EOK : KNOT_ERANGE;
	}
	const char *storage = knotd_conf(mod, (const yp_name_t *)"\x08""database",
	                                 (const yp_name_t *)"\x07""storage", NULL).single.string;
	const char *rundir = knotd_conf(mod, (const yp_name_t *)"\x06""server",
	                                (const yp_name_t *)"\x06""rundir", NULL).single.string;
	int len;
	if (storage != NULL && storage[0] == '/') {
		len = snprintf(out, out_size, "%s/%s", storage, db);
	} else {
		len = snprintf(out, out_size, "%s/%s/%s", rundir ? rundir : ".",
		               storage ? storage : ".", db);
	}
	return (len > 0 && len < (int)out_size) ? KNOT_EOK : KNOT_ERANGE;
}

static int open_lmdb(knotd_mod_t *mod, acme_store_t **store, char *desc, size_t desc_size)
{
	char path[PATH_MAX];
	int ret = database_path(mod, path, sizeof(path));
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "database path too long");
		return ret;
	}
	acme_lmdb_opts_t opts = {
		.map_size = knotd_conf_mod(mod, (const yp_name_t *)MOD_MAP_SIZE).single.integer,
		.create = true,
		.asynchronous = knotd_conf_mod(mod, (const yp_name_t *)MOD_DB_MODE).single.option ==
		                DB_MODE_ASYNC,
	};
	ret = acme_lmdb_open(store, path, &opts);
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "failed to open database '%s' (%s)", path,
		              ret == KNOT_ENOTSUP ? "written by another version of mod-acme" :
		              knot_strerror(ret));
		return ret;
	}
	snprintf(desc, desc_size, "'%s' (%s)", path, opts.asynchronous ? "asynchronous" : "robust");
	return KNOT_EOK;
}

static void redis_log(int priority, const char *msg, void *ctx)
{
	acme_storeconf_log_t *log = ctx;
	pthread_mutex_lock(&log->lock);
	if (log->open) {
		knotd_mod_log(log->mod, priority, "%s", msg);
	}
	pthread_mutex_unlock(&log->lock);
}

/*! Counts a state change (`knotc zone-stats ZONE mod-acme.redis`). */
static void redis_event(acme_redis_event_t event, void *ctx)
{
	acme_storeconf_log_t *log = ctx;
	pthread_mutex_lock(&log->lock);
	if (log->open) {
		/* As the LMDB purger's count: not a worker, thread slot 0. */
		knotd_mod_stats_incr(log->mod, 0, ACME_CTR_REDIS, event, 1);
	}
	pthread_mutex_unlock(&log->lock);
}

static char *redis_event_str(uint32_t idx, uint32_t count)
{
	static const char *names[ACME_REDIS_EV_COUNT] = {
		[ACME_REDIS_EV_DOWN]       = "unreachable",
		[ACME_REDIS_EV_UP]         = "reachable",
		[ACME_REDIS_EV_FAILOVER]   = "primary-moved",
		[ACME_REDIS_EV_WAIT_SHORT] = "replicas-short",
	};
	(void)count;
	return idx < ACME_REDIS_EV_COUNT ? strdup(names[idx]) : NULL;
}

int acme_storeconf_stats_init(knotd_mod_t *mod)
{
	return knotd_mod_stats_add(mod, "redis", ACME_REDIS_EV_COUNT, redis_event_str);
}

static const char *str_mod(knotd_mod_t *mod, const char *item)
{
	knotd_conf_t val = knotd_conf_mod(mod, (const yp_name_t *)item);
	return val.count > 0 ? val.single.string : NULL;
}

static bool has_sentinels(knotd_mod_t *mod)
{
	knotd_conf_t sent = knotd_conf_mod(mod, (const yp_name_t *)MOD_REDIS_SENT);
	bool has = sent.count > 0;
	knotd_conf_free(&sent);
	return has;
}

/*! The Sentinels' addresses, comma-separated (malloc'ed; NULL when none). */
static char *sentinel_list(knotd_mod_t *mod)
{
	knotd_conf_t sent = knotd_conf_mod(mod, (const yp_name_t *)MOD_REDIS_SENT);
	if (sent.count == 0) {
		knotd_conf_free(&sent);
		return NULL;
	}
	size_t len = 1;
	for (size_t i = 0; i < sent.count; i++) {
		len += strlen(sent.multi[i].string) + 1;
	}
	char *out = calloc(1, len);
	for (size_t i = 0; out != NULL && i < sent.count; i++) {
		if (i > 0) {
			strcat(out, ",");
		}
		strcat(out, sent.multi[i].string);
	}
	knotd_conf_free(&sent);
	return out;
}

static int open_redis(knotd_mod_t *mod, acme_store_t **store, acme_storeconf_log_t **logp,
                      char *desc, size_t desc_size)
{
	if (knotd_conf_mod(mod, (const yp_name_t *)MOD_DATABASE).count > 0 ||
	    knotd_conf_mod(mod, (const yp_name_t *)MOD_MAP_SIZE).count > 0 ||
	    knotd_conf_mod(mod, (const yp_name_t *)MOD_DB_MODE).count > 0) {
		knotd_mod_log(mod, LOG_NOTICE, "database, map-size and database-mode are unused "
		              "with the Redis backend");
	}
	acme_storeconf_log_t *log = calloc(1, sizeof(*log));
	if (log == NULL) {
		return KNOT_ENOMEM;
	}
	pthread_mutex_init(&log->lock, NULL);
	log->mod = mod;
	log->open = true;

	char *sentinels = sentinel_list(mod);
	acme_redis_opts_t opts = {
		.primary = str_mod(mod, MOD_REDIS),
		.read = str_mod(mod, MOD_REDIS_READ),
		.sentinels = sentinels,
		.master = str_mod(mod, MOD_REDIS_MASTER),
		.prefix = str_mod(mod, MOD_REDIS_PREFIX),
		.password_file = str_mod(mod, MOD_REDIS_PASSWD),
		.replicas = knotd_conf_mod(mod, (const yp_name_t *)MOD_REDIS_REPL).single.integer,
		.timeout_ms = knotd_conf_mod(mod, (const yp_name_t *)MOD_REDIS_TMO).single.integer,
		.tls = knotd_conf_mod(mod, (const yp_name_t *)MOD_REDIS_TLS).single.boolean,
		.tls_ca = str_mod(mod, MOD_REDIS_TLS_CA),
		.tls_cert = str_mod(mod, MOD_REDIS_TLS_CERT),
		.tls_key = str_mod(mod, MOD_REDIS_TLS_KEY),
		.tls_name = str_mod(mod, MOD_REDIS_TLS_NAME),
		.log = redis_log,
		.event = redis_event,
		.log_ctx = log,
	};
	if (opts.prefix == NULL) {
		opts.prefix = ACME_REDIS_PREFIX_DEFAULT;
	}
	int ret = (sentinels == NULL && has_sentinels(mod)) ? KNOT_ENOMEM :
	          acme_redis_open(store, &opts);
	free(sentinels);
	if (ret != KNOT_EOK) {
		const char *why = knot_strerror(ret);
		if (ret == KNOT_EACCES && opts.password_file != NULL) {
			why = "cannot read redis-password-file";
		} else if (ret == KNOT_EINVAL && opts.password_file != NULL) {
			why = "invalid settings or an empty redis-password-file";
		}
		knotd_mod_log(mod, LOG_ERR, "failed to set up the Redis store (%s)", why);
		pthread_mutex_destroy(&log->lock);
		free(log);
		return ret;
	}
	snprintf(desc, desc_size, "%s, replicas %u, timeout %ums%s",
	         acme_store_where(*store), opts.replicas, opts.timeout_ms,
	         opts.tls ? ", TLS" : "");
	*logp = log;
	return KNOT_EOK;
}

int acme_storeconf_open(knotd_mod_t *mod, acme_store_t **store, acme_storeconf_log_t **log,
                        char *desc, size_t desc_size)
{
	*log = NULL;
	if (str_mod(mod, MOD_REDIS) != NULL || has_sentinels(mod)) {
		return open_redis(mod, store, log, desc, desc_size);
	}
	return open_lmdb(mod, store, desc, desc_size);
}

void acme_storeconf_close(acme_store_t *store, acme_storeconf_log_t *log)
{
	if (log != NULL) {
		pthread_mutex_lock(&log->lock);
		log->open = false;
		pthread_mutex_unlock(&log->lock);
	}
	acme_store_close(store);
	if (log != NULL) {
		pthread_mutex_destroy(&log->lock);
		free(log);
	}
}
