/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>

#include <libknot/libknot.h>

#include "module/common/consts.h"
#include "module/store/lmdb/lmdb.h"
#include "module/store/redis/redis.h"
#include "module/tool/cli.h"
#include "module/tool/store_open.h"

/*! True if the database (directory and data file) exists. */
static bool database_exists(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return false;
	}

	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, ACME_LMDB_DATA_FILE);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0;
}

/*! Others able to write the database can change what knotd serves. */
/*! Warns when anyone but the owner could change the database. */
static void check_permissions(const char *dir)
{
	static const char *files[] = { "", "/" ACME_LMDB_DATA_FILE, "/" ACME_LMDB_LOCK_FILE };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX];
		struct stat st;
		if (snprintf(path, sizeof(path), "%s%s", dir, files[i]) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
			if (i == 0) {
				tool_error("warning: database %s is writable by others", dir);
			} else {
				tool_error("warning: database %s is writable by others (%s)", dir, path);
			}
			return;
		}
	}
}
/*! The Redis backend's state changes (unreachable, failover) on stderr. */
static void redis_log(int priority, const char *msg, void *ctx)
{
	(void)ctx;
	if (priority <= LOG_WARNING) {
		tool_error("%s", msg);
	}
}

/*! The tool waits for Redis at least this long (ms): it is not on a query path. */
#define TOOL_REDIS_TIMEOUT_MIN	2000

/*! Opens a bare Redis store (-R): primary and reads there, no replicas. */
static int open_bare_redis(const params_t *p, const target_t *t, acme_store_t **store)
{
	acme_redis_opts_t opts = {
		.primary = p->redis,
		.prefix = p->redis_prefix,
		.timeout_ms = TOOL_REDIS_TIMEOUT_MIN,
		.no_filter = true,
		.log = redis_log,
	};
	int ret = acme_redis_open(store, &opts);
	if (ret != KNOT_EOK) {
		tool_error("cannot open %s (%s)", t->db, knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*! Opens the Redis store of a section, with the module's settings. */
static int open_redis(const tool_acme_t *acme, acme_store_t **store)
{
	acme_redis_opts_t opts = {
		.primary = acme->redis,
		.read = acme->redis_read,
		.sentinels = acme->redis_sentinels,
		.master = acme->redis_master,
		.prefix = acme->redis_prefix,
		.password_file = acme->redis_password_file,
		.tls = acme->redis_tls,
		.tls_ca = acme->redis_tls_ca,
		.tls_cert = acme->redis_tls_cert,
		.tls_key = acme->redis_tls_key,
		.tls_name = acme->redis_tls_name,
		.replicas = acme->redis_replicas,
		.timeout_ms = acme->redis_timeout > TOOL_REDIS_TIMEOUT_MIN ?
		              acme->redis_timeout : TOOL_REDIS_TIMEOUT_MIN,
		.no_filter = true, /* One command: every name is read from Redis. */
		.log = redis_log,
	};
	if (opts.tls && !acme_redis_tls_supported()) {
		tool_error("mod-acme/%s: redis-tls, but this knot-acme's hiredis (%s) has no TLS",
		           acme->id, acme_redis_hiredis_version());
		return EXIT_RUNTIME;
	}
	int ret = acme_redis_open(store, &opts);
	if (ret != KNOT_EOK) {
		tool_error("cannot open %s (%s)", acme->store,
		           ret == KNOT_EACCES ? "cannot read redis-password-file" :
		           knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int tool_store_open(const params_t *p, const target_t *t, acme_store_t **store)
{
	if (p->redis != NULL) {
		return open_bare_redis(p, t, store);
	}
	if (t->acme != NULL && t->acme->backend == TOOL_BACKEND_REDIS) {
		return open_redis(t->acme, store);
	}

	bool exists = database_exists(t->db);
	if (!exists && p->cmd != CMD_ADD) {
		/* Nothing was ever added there: nothing to list, delete or purge. */
		if (p->cmd == CMD_LIST || p->cmd == CMD_PURGE) {
			if (p->dir == NULL) {
				return EXIT_OK; /* store stays NULL: empty. */
			}
		}
		tool_error("database %s does not exist", t->db);
		return EXIT_RUNTIME;
	}

	acme_lmdb_opts_t opts = {
		/* 0 keeps the size of an existing database. */
		.map_size = exists ? 0 : (t->acme != NULL ? t->acme->map_size :
		                          ACME_LMDB_MAP_SIZE_DEFAULT),
		.create = (p->cmd == CMD_ADD),
		.read_only = (p->cmd == CMD_LIST),
		.no_purger = true,
		.asynchronous = (t->acme != NULL && t->acme->asynchronous),
	};
	int ret = acme_lmdb_open(store, t->db, &opts);
	if (ret != KNOT_EOK) {
		tool_error("cannot open database %s (%s)", t->db, ret == KNOT_ENOTSUP ?
		           "written by another version of knot-acme" : knot_strerror(ret));
		return EXIT_RUNTIME;
	}

	check_permissions(t->db);
	return EXIT_OK;
}
