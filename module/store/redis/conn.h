/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Connections to one Redis endpoint: address, AUTH, timeouts,
 *        reachability with backoff, and the primary named by Sentinels.
 *
 * An endpoint that failed is "down" until its backoff passes: meanwhile every
 * caller fails at once (no worker waits for a server known to be away), and
 * the first caller after it tries again.  Each change of state is logged once
 * and counted.
 */

#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "module/store/redis/redis.h"

/*! Where a server is. */
typedef struct {
	char host[256];   /*!< Address, or UNIX socket path when port is 0. */
	int port;
} conn_addr_t;

/*! Settings shared by the endpoints of one store. */
typedef struct {
	unsigned timeout_ms;
	char *user;              /*!< NULL: AUTH with the password only. */
	char *password;          /*!< NULL: no AUTH. */
	conn_addr_t *sentinels;
	size_t sentinel_count;
	char *master;
	void *tls;               /*!< redisSSLContext (NULL: plain TCP). */
	acme_redis_log_cb log;
	acme_redis_event_cb event;
	void *log_ctx;
	_Atomic uint64_t down;   /*!< Counters (acme_redis_counters_t). */
	_Atomic uint64_t up;
	_Atomic uint64_t failovers;
} conn_shared_t;

/*! One server the store talks to (the primary, or where it reads). */
typedef struct {
	conn_shared_t *shared;
	const char *role;        /*!< "primary", "read": for log lines. */
	bool sentinel;           /*!< Address comes from the Sentinels. */
	pthread_mutex_t lock;    /*!< Protects addr and the pool. */
	conn_addr_t addr;
	uint64_t epoch;          /*!< Bumped when addr changes. */
	redisContext *pool[16];  /*!< Idle connections (apply, list, ...). */
	uint64_t pool_epoch[16];
	size_t pool_count;
	_Atomic bool is_down;
	_Atomic uint64_t retry_at; /*!< While down: no attempt before (ms, monotonic). */
	_Atomic unsigned backoff_ms;
} conn_endpoint_t;

/*! A connection taken from an endpoint. */
typedef struct {
	redisContext *c;
	uint64_t epoch;
	bool fresh;              /*!< Just connected (not reused). */
} conn_t;

/*! Whether this build has TLS (hiredis_ssl). */
bool conn_tls_supported(void);

/*!
 * Sets up TLS for every TCP connection of \a shared (UNIX sockets stay
 * plain).  KNOT_ENOTSUP without hiredis_ssl; KNOT_EINVAL (logged) when the
 * files do not load.
 */
int conn_tls_init(conn_shared_t *shared, const char *ca, const char *cert, const char *key,
                  const char *name);
void conn_tls_deinit(conn_shared_t *shared);

/*! Parses ADDR[@PORT] (default port 6379) or a path (starts with '/'). */
int conn_addr_parse(const char *text, conn_addr_t *out);

/*! Formats an address for log lines. */
void conn_addr_str(const conn_addr_t *addr, char *out, size_t size);

/*! Milliseconds of the monotonic clock. */
uint64_t conn_mono_ms(void);

void conn_log(conn_shared_t *shared, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*! Reports a state change to the opener (acme_redis_opts_t.event). */
void conn_event(conn_shared_t *shared, acme_redis_event_t event);

int conn_endpoint_init(conn_endpoint_t *ep, conn_shared_t *shared, const char *role,
                       const conn_addr_t *addr, bool sentinel);
void conn_endpoint_deinit(conn_endpoint_t *ep);

/*!
 * A connected context: an idle one from the pool, else a new one (within the
 * timeout).  KNOT_ECONN at once while the endpoint is down.
 */
int conn_get(conn_endpoint_t *ep, conn_t *conn);

/*! Returns a connection after use; \a ok false closes it (I/O error). */
void conn_put(conn_endpoint_t *ep, conn_t *conn, bool ok);

/*!
 * Connects a context of its own (one per reader slot); the same down/backoff
 * rules apply.  KNOT_ECONN while down.
 */
int conn_open(conn_endpoint_t *ep, redisContext **out, uint64_t *epoch);

/*! Notes that a command on the endpoint failed at the I/O level. */
void conn_failed(conn_endpoint_t *ep, const char *why);

/*! Notes that a command on the endpoint succeeded (logs recovery). */
void conn_ok(conn_endpoint_t *ep);

/*!
 * Ends the endpoint's wait for its next attempt, if it is down: Redis was
 * just reached another way (an update went through), so the next command
 * tries at once instead of answering SERVFAIL until its backoff runs out.
 */
void conn_retry_now(conn_endpoint_t *ep);

/*!
 * The primary answered that it is not one (READONLY after a failover): ask
 * the Sentinels again before the next attempt.
 */
void conn_moved(conn_endpoint_t *ep);

/*!
 * Sentinel mode: whether the Sentinels still name the server a connection of
 * epoch \a epoch went to.  Every Sentinel that answers must name it (one
 * that led a failover knows first; the others learn it seconds later), and
 * one at least must answer.  KNOT_EOK, or KNOT_ECONN with the reason in why.
 */
int conn_confirm_primary(conn_endpoint_t *ep, uint64_t epoch, char *why, size_t why_size);

/*! libknot error code for a failed hiredis context. */
int conn_error(const redisContext *c);
