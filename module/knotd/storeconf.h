/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The store a mod-acme section names: LMDB (`database`) or
 *        Redis/Valkey (`redis` or `redis-sentinel`), checked and opened.
 */

#pragma once

#include <knot/module.h>

#include "module/common/consts.h"
#include "module/store/lmdb/lmdb.h"
#include "module/store/redis/redis.h"
#include "module/store/store.h"

#define MOD_DATABASE	"\x08""database"
#define MOD_MAP_SIZE	"\x08""map-size"
#define MOD_DB_MODE	"\x0d""database-mode"
#define MOD_REDIS	"\x05""redis"
#define MOD_REDIS_READ	"\x0a""redis-read"
#define MOD_REDIS_REPL	"\x0e""redis-replicas"
#define MOD_REDIS_TMO	"\x0d""redis-timeout"
#define MOD_REDIS_SENT	"\x0e""redis-sentinel"
#define MOD_REDIS_MASTER	"\x15""redis-sentinel-master"
#define MOD_REDIS_PREFIX	"\x0c""redis-prefix"
#define MOD_REDIS_PASSWD	"\x13""redis-password-file"
#define MOD_REDIS_TLS	"\x09""redis-tls"
#define MOD_REDIS_TLS_CA	"\x0c""redis-tls-ca"
#define MOD_REDIS_TLS_CERT	"\x0e""redis-tls-cert"
#define MOD_REDIS_TLS_KEY	"\x0d""redis-tls-key"
#define MOD_REDIS_TLS_NAME	"\x0e""redis-tls-name"

/*! As Knot's journal-db-mode: robust syncs every commit, asynchronous does not. */
enum {
	DB_MODE_ROBUST = 0,
	DB_MODE_ASYNC  = 1,
};

extern const knot_lookup_t acme_db_modes[];

/*! The schema items of the store (part of the module's schema). */
#define ACME_STORE_CONF_ITEMS \
	{ MOD_DATABASE,       YP_TSTR,  YP_VSTR = { ACME_DB_NAME } }, \
	{ MOD_MAP_SIZE,       YP_TINT,  YP_VINT = { 1048576, INT64_MAX, \
	                                            ACME_LMDB_MAP_SIZE_DEFAULT, YP_SSIZE } }, \
	{ MOD_DB_MODE,        YP_TOPT,  YP_VOPT = { acme_db_modes, DB_MODE_ROBUST } }, \
	{ MOD_REDIS,          YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_READ,     YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_REPL,     YP_TINT,  YP_VINT = { 0, 64, 0 } }, \
	{ MOD_REDIS_TMO,      YP_TINT,  YP_VINT = { 10, 60000, ACME_REDIS_TIMEOUT_DEFAULT } }, \
	{ MOD_REDIS_SENT,     YP_TSTR,  YP_VNONE, YP_FMULTI }, \
	{ MOD_REDIS_MASTER,   YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_PREFIX,   YP_TSTR,  YP_VSTR = { ACME_REDIS_PREFIX_DEFAULT } }, \
	{ MOD_REDIS_PASSWD,   YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_TLS,      YP_TBOOL, YP_VBOOL = { false } }, \
	{ MOD_REDIS_TLS_CA,   YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_TLS_CERT, YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_TLS_KEY,  YP_TSTR,  YP_VNONE }, \
	{ MOD_REDIS_TLS_NAME, YP_TSTR,  YP_VNONE }

/*! Log callback of the Redis backend: a context's, dropped once closed. */
typedef struct acme_storeconf_log acme_storeconf_log_t;

/*! Checks the store items of a section (knotd's configuration check). */
int acme_storeconf_check(knotd_conf_check_args_t *args);

/*!
 * Opens the store of the module's section: Redis when `redis` or
 * `redis-sentinel` is set, else LMDB.  Errors are logged.
 *
 * \param log  Where the Redis backend logs from then on (freed by
 *             acme_storeconf_close()).
 * \param desc Set to a description for the load log line.
 */
int acme_storeconf_open(knotd_mod_t *mod, acme_store_t **store, acme_storeconf_log_t **log,
                        char *desc, size_t desc_size);

/*!
 * Registers the `redis` counter (state changes, by kind); before the store
 * is opened, since its threads count from the start.
 */
int acme_storeconf_stats_init(knotd_mod_t *mod);

/*! Closes the store and stops its logging (the zone may be gone already). */
void acme_storeconf_close(acme_store_t *store, acme_storeconf_log_t *log);
