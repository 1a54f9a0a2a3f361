/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The LMDB store's handle: the per-process registry, open and close,
 *        the format version, stats, and the backend's function table.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "module/common/consts.h"

#include "module/store/lmdb/internal.h"

/*! Readers of the environment, all processes together. */
#define MAX_READERS		1024
/*! Version of the record layout, kept in the "meta" database. */
#define STORE_FORMAT		1

static const acme_store_api_t lmdb_api;

/*! The registry: the one piece of process-wide mutable state. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static lmdb_store_t *registry = NULL;

int lmdb_to_knot(int ret)
{
	switch (ret) {
	case MDB_SUCCESS:        return KNOT_EOK;
	case MDB_NOTFOUND:       return KNOT_ENOENT;
	case MDB_MAP_FULL:       return KNOT_ESPACE;
	case MDB_READERS_FULL:   return KNOT_EBUSY;
	case MDB_TXN_FULL:       return KNOT_ESPACE;
	case MDB_MAP_RESIZED:    return KNOT_EAGAIN;
	case ENOMEM:             return KNOT_ENOMEM;
	case ENOENT:             return KNOT_ENOENT;
	case EACCES:             return KNOT_EACCES;
	case EROFS:              return KNOT_EACCES;
	case EINVAL:             return KNOT_EINVAL;
	case ENOSPC:             return KNOT_ESPACE;
	default:                 return KNOT_ERROR;
	}
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		return KNOT_ERANGE;
	}
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST) {
				return knot_map_errno();
			}
			*p = '/';
		}
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST) {
		return knot_map_errno();
	}
	return KNOT_EOK;
}

/*!
 * Checks (or, in a new database, writes) the format version, so that a
 * module and a tool of different formats never silently miss each other's
 * values.
 */
static int format_check(MDB_txn *txn, bool create, MDB_dbi *meta_out)
{
	MDB_dbi meta;
	int ret = mdb_dbi_open(txn, "meta", create ? MDB_CREATE : 0, &meta);
	if (ret == MDB_SUCCESS) {
		*meta_out = meta;
	}
	if (ret == MDB_NOTFOUND) {
		return KNOT_ENOTSUP; /* Read-only open of a database without version. */
	} else if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	MDB_val key = { 6, "format" }, data;
	ret = mdb_get(txn, meta, &key, &data);
	if (ret == MDB_NOTFOUND && create) {
		uint32_t version = STORE_FORMAT;
		data = (MDB_val){ sizeof(version), &version };
		return lmdb_to_knot(mdb_put(txn, meta, &key, &data, 0));
	} else if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	uint32_t version;
	if (data.mv_size != sizeof(version)) {
		return KNOT_ENOTSUP;
	}
	memcpy(&version, data.mv_data, sizeof(version));
	return version == STORE_FORMAT ? KNOT_EOK : KNOT_ENOTSUP;
}

static void store_free(lmdb_store_t *store)
{
	free(atomic_load(&store->filter));
	free(store->retired);
	for (int i = 0; i < ACME_STORE_SLOTS; i++) {
		if (store->readers[i].txn != NULL) {
			mdb_cursor_close(store->readers[i].cur);
			mdb_txn_abort(store->readers[i].txn);
		}
	}
	if (store->env != NULL) {
		mdb_env_close(store->env);
	}
	pthread_cond_destroy(&store->wake);
	pthread_mutex_destroy(&store->lock);
	pthread_cond_destroy(&store->group_done);
	pthread_mutex_destroy(&store->group_lock);
	pthread_mutex_destroy(&store->cover_lock);
	free(store->path);
	free(store);
}

static int store_create(lmdb_store_t **out, const char *path, const acme_lmdb_opts_t *opts)
{
	lmdb_store_t *store = calloc(1, sizeof(*store));
	if (store == NULL) {
		return KNOT_ENOMEM;
	}
	pthread_mutex_init(&store->lock, NULL);
	pthread_mutex_init(&store->group_lock, NULL);
	pthread_mutex_init(&store->cover_lock, NULL);
	pthread_cond_init(&store->group_done, NULL);
	store->group_tail = &store->group_head;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&store->wake, &attr);
	pthread_condattr_destroy(&attr);
	store->path = strdup(path);
	store->base.api = &lmdb_api;
	store->base.where = store->path;
	store->refs = 1;
	store->read_only = opts->read_only;

	int ret = mdb_env_create(&store->env);
	if (ret != MDB_SUCCESS || store->path == NULL) {
		store->env = NULL;
		store_free(store);
		return KNOT_ENOMEM;
	}
	if (mdb_env_get_maxkeysize(store->env) < VALUE_KEY_MAX) {
		store_free(store);
		return KNOT_ENOTSUP;
	}
	/* A new database gets the default size; an existing one keeps its own. */
	char data_file[PATH_MAX];
	if (snprintf(data_file, sizeof(data_file), "%s/" ACME_LMDB_DATA_FILE, path) >= (int)sizeof(data_file)) {
		store_free(store);
		return KNOT_ERANGE;
	}
	bool exists = access(data_file, F_OK) == 0;
	if (!exists && !opts->create) {
		store_free(store);
		return KNOT_ENOENT;
	}
	size_t map_size = opts->map_size;
	if (map_size == 0 && !exists) {
		map_size = ACME_LMDB_MAP_SIZE_DEFAULT;
	}
	if (map_size > 0) {
		ret = mdb_env_set_mapsize(store->env, map_size);
	}
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_set_maxdbs(store->env, 3);
	}
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_set_maxreaders(store->env, MAX_READERS);
	}
	unsigned flags = MDB_NOTLS | (opts->read_only ? MDB_RDONLY : 0) |
	                 (opts->asynchronous ? MDB_NOSYNC | MDB_WRITEMAP | MDB_MAPASYNC : 0);
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_open(store->env, path, flags, 0600);
	}
	if (ret != MDB_SUCCESS) {
		store_free(store);
		return lmdb_to_knot(ret);
	}
	int stale;
	(void)mdb_reader_check(store->env, &stale);

	MDB_txn *txn;
	ret = mdb_txn_begin(store->env, NULL, opts->read_only ? MDB_RDONLY : 0, &txn);
	if (ret == MDB_SUCCESS) {
		unsigned create = opts->read_only ? 0 : MDB_CREATE;
		ret = mdb_dbi_open(txn, "values", create, &store->values);
		if (ret == MDB_SUCCESS) {
			ret = mdb_dbi_open(txn, "expiry", create | MDB_DUPSORT, &store->expiry);
		}
		int fmt = (ret == MDB_SUCCESS) ? format_check(txn, create != 0, &store->meta) : KNOT_EOK;
		if (ret == MDB_SUCCESS && fmt == KNOT_EOK) {
			ret = mdb_txn_commit(txn);
		} else {
			mdb_txn_abort(txn);
		}
		if (fmt != KNOT_EOK) {
			store_free(store);
			return fmt;
		}
	}
	if (ret != MDB_SUCCESS) {
		store_free(store);
		return lmdb_to_knot(ret);
	}

	if (!opts->no_purger && !opts->read_only) {
		/* The purger keeps the negative filter fresh; without it, no filter. */
		ret = lmdb_filter_rebuild(store);
		if (ret != KNOT_EOK) {
			store_free(store);
			return ret;
		}
		if (pthread_create(&store->purger, NULL, lmdb_purger_main, store) != 0) {
			store_free(store);
			return KNOT_ENOMEM;
		}
		store->purger_running = true;
	}
	*out = store;
	return KNOT_EOK;
}

int acme_lmdb_open(acme_store_t **out, const char *path, const acme_lmdb_opts_t *opts)
{
	if (out == NULL || path == NULL || *path == '\0') {
		return KNOT_EINVAL;
	}
	acme_lmdb_opts_t defaults = { 0 };
	if (opts == NULL) {
		opts = &defaults;
	}
	if (opts->create && !opts->read_only) {
		int ret = mkdir_p(path, 0700);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	char real[PATH_MAX];
	if (realpath(path, real) == NULL) {
		return knot_map_errno();
	}

	pthread_mutex_lock(&registry_lock);
	for (lmdb_store_t *s = registry; s != NULL; s = s->next) {
		if (strcmp(s->path, real) == 0) {
			/*
			 * The latest opener's mode applies (a reload changes it).
			 * MDB_WRITEMAP stays as the environment was opened; with
			 * it, MDB_MAPASYNC would leave robust mode an msync that
			 * does not wait for the disk, so both flags change.
			 */
			if (!s->read_only) {
				(void)mdb_env_set_flags(s->env, MDB_NOSYNC | MDB_MAPASYNC,
				                        opts->asynchronous);
			}
			s->refs++;
			*out = &s->base;
			pthread_mutex_unlock(&registry_lock);
			return KNOT_EOK;
		}
	}
	/* LMDB 0.9.27 and later (Debian 13 on) destroy the lock file's mutexes
	 * when the last process closes the environment; one opening it at that
	 * moment gets them destroyed, and its first transaction fails with EINVAL.
	 * Opening again initializes them anew. */
	lmdb_store_t *store = NULL;
	int ret = KNOT_EINVAL;
	for (int attempt = 0; attempt < 3 && ret == KNOT_EINVAL; attempt++) {
		ret = store_create(&store, real, opts);
	}
	if (ret == KNOT_EOK) {
		store->next = registry;
		registry = store;
		*out = &store->base;
	}
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

void lmdb_close(acme_store_t *base)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	pthread_mutex_lock(&registry_lock);
	if (--store->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (lmdb_store_t **s = &registry; *s != NULL; s = &(*s)->next) {
		if (*s == store) {
			*s = store->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);

	if (store->purger_running) {
		pthread_mutex_lock(&store->lock);
		store->purger_stop = true;
		pthread_cond_signal(&store->wake);
		pthread_mutex_unlock(&store->lock);
		pthread_join(store->purger, NULL);
	}
	while (store->watchers != NULL) {
		watcher_t *w = store->watchers;
		store->watchers = w->next;
		free(w);
	}
	store_free(store);
}

int lmdb_stats(acme_store_t *base, acme_store_stats_t *stats)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (stats == NULL) {
		return KNOT_EINVAL;
	}
	MDB_envinfo info;
	MDB_stat st;
	int ret = mdb_env_info(store->env, &info);
	if (ret == MDB_SUCCESS) {
		ret = mdb_env_stat(store->env, &st);
	}
	if (ret != MDB_SUCCESS) {
		return lmdb_to_knot(ret);
	}
	*stats = (acme_store_stats_t){
		.used = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize,
		.capacity = info.me_mapsize,
	};
	MDB_txn *txn;
	ret = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn);
	if (ret == MDB_SUCCESS) {
		ret = mdb_stat(txn, store->values, &st);
		stats->values = st.ms_entries;
		mdb_txn_abort(txn);
	}
	return lmdb_to_knot(ret);
}

static const acme_store_api_t lmdb_api = {
	.name = "lmdb",
	.close = lmdb_close,
	.find_okey = lmdb_find_okey,
	.read = lmdb_read,
	.apply = lmdb_apply,
	.list = lmdb_list,
	.purge = lmdb_purge,
	.stats = lmdb_stats,
	.watch = lmdb_watch,
	.unwatch = lmdb_unwatch,
};
