/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Redis/Valkey backend of the challenge store.
 *
 * Several nameservers share one truth: updates go to the primary (`redis`),
 * atomically with their prerequisites in one Lua script, then WAIT for
 * `replicas` replicas; answers are read from `read` (normally a replica on the
 * same host).  Every key carries its expiry, so nothing purges.  The key
 * layout is documented in module/mod-acme.rst ("Redis backend").
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "module/store/store.h"

/*! Default key prefix (several deployments can share one Redis). */
#define ACME_REDIS_PREFIX_DEFAULT	"acme:"
/*! Default port of a Sentinel. */
#define ACME_REDIS_SENTINEL_PORT	26379
/*! Default time a worker waits for Redis at most (ms). */
#define ACME_REDIS_TIMEOUT_DEFAULT	500

/*! Severity of a backend log line (syslog levels). */
typedef void (*acme_redis_log_cb)(int priority, const char *msg, void *ctx);

/*! State changes counted by the backend (acme_redis_opts_t.event). */
typedef enum {
	ACME_REDIS_EV_DOWN = 0,   /*!< An endpoint became unreachable. */
	ACME_REDIS_EV_UP,         /*!< It became reachable again. */
	ACME_REDIS_EV_FAILOVER,   /*!< The Sentinels named another primary. */
	ACME_REDIS_EV_WAIT_SHORT, /*!< Fewer replicas than asked confirmed an update. */
	ACME_REDIS_EV_COUNT
} acme_redis_event_t;

/*! Called on each state change, from the thread that saw it (log_ctx). */
typedef void (*acme_redis_event_cb)(acme_redis_event_t event, void *ctx);

/*! Options of acme_redis_open(). */
typedef struct {
	const char *primary;     /*!< ADDR[@PORT] or UNIX socket path (required,
	                              unless sentinels are given). */
	const char *read;        /*!< Where values are read (NULL: primary). */
	const char *sentinels;   /*!< Comma-separated ADDR[@PORT] of Sentinels that
	                              name the primary (NULL: none). */
	const char *master;      /*!< Master name known to the Sentinels. */
	const char *prefix;      /*!< Key prefix (NULL: ACME_REDIS_PREFIX_DEFAULT). */
	const char *password_file; /*!< File holding "PASSWORD" or "USER PASSWORD"
	                              (NULL: no AUTH). */
	bool tls;                /*!< TLS on TCP connections (acme_redis_tls_supported()). */
	const char *tls_ca;      /*!< CA file verifying the servers (NULL: system's). */
	const char *tls_cert;    /*!< Client certificate and key files (NULL: none). */
	const char *tls_key;
	const char *tls_name;    /*!< Server name sent (SNI) (NULL: none). */
	unsigned replicas;       /*!< Replicas each update must reach (WAIT). */
	unsigned timeout_ms;     /*!< Longest wait for Redis (0: default). */
	bool no_filter;          /*!< Read every name from Redis (no filter, no cache). */
	acme_redis_log_cb log;   /*!< State changes and errors (may be NULL). */
	acme_redis_event_cb event; /*!< State changes, for counters (may be NULL). */
	void *log_ctx;           /*!< Context of both callbacks. */
} acme_redis_opts_t;

/*! Counters of the backend (acme_redis_counters()). */
typedef struct {
	uint64_t down;           /*!< Times an endpoint became unreachable. */
	uint64_t up;             /*!< Times it became reachable again. */
	uint64_t wait_short;     /*!< Updates not acknowledged by enough replicas. */
	uint64_t failovers;      /*!< Primary changes learnt from the Sentinels. */
	uint64_t filter_misses;  /*!< Misses answered by the filter, no round trip. */
	uint64_t reads;          /*!< Reads sent to Redis. */
	uint64_t cache_hits;     /*!< Reads answered by the value cache. */
} acme_redis_counters_t;

/*!
 * Opens a Redis store.  Nothing is connected here but the check that the
 * options parse and the password file is readable; connections are made on
 * first use, so knotd starts while Redis is down.
 */
int acme_redis_open(acme_store_t **out, const acme_redis_opts_t *opts);

/*!
 * Whether \a text is ADDR[@PORT] or an absolute UNIX socket path (\a sentinel:
 * ADDR[@PORT] only).
 */
bool acme_redis_addr_valid(const char *text, bool sentinel);

/*! Whether a key prefix is made of the characters allowed in one. */
bool acme_redis_prefix_valid(const char *prefix);

/*! Whether this build can speak TLS to Redis (hiredis 1.0+ with hiredis_ssl). */
bool acme_redis_tls_supported(void);

/*! The hiredis version built against, e.g. "0.14". */
const char *acme_redis_hiredis_version(void);

/*! Whether \a store is a Redis store. */
bool acme_redis_is(const acme_store_t *store);

/*! Copies the counters of a Redis store. */
void acme_redis_counters(acme_store_t *store, acme_redis_counters_t *out);
