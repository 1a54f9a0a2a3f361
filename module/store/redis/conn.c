/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <libknot/libknot.h>
#ifdef ACME_HIREDIS_SSL
#include <hiredis/hiredis.h>	/* hiredis_ssl.h uses redisContext without it. */
#include <hiredis/hiredis_ssl.h>
#endif

#include "module/store/redis/conn.h"

/*! Backoff after a failure: doubled on each further failure, up to the max. */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

int conn_addr_parse(const char *text, conn_addr_t *out)
{
	if (text == NULL || text[0] == '\0') {
		return KNOT_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (text[0] == '/') {
		if (strlen(text) >= sizeof(out->host)) {
			return KNOT_ERANGE;
		}
		strcpy(out->host, text);
		return KNOT_EOK;
	}
	const char *at = strrchr(text, '@');
	size_t len = at ? (size_t)(at - text) : strlen(text);
	if (len == 0 || len >= sizeof(out->host)) {
		return KNOT_EINVAL;
	}
	memcpy(out->host, text, len);
	out->port = 6379;
	if (at != NULL) {
		char *end;
		errno = 0;
		long port = strtol(at + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == at + 1 || port < 1 || port > 65535) {
			return KNOT_EINVAL;
		}
		out->port = port;
	}
	return KNOT_EOK;
}

void conn_addr_str(const conn_addr_t *addr, char *out, size_t size)
{
	if (addr->port == 0) {
		snprintf(out, size, "%s", addr->host);
	} else {
		snprintf(out, size, "%s@%d", addr->host, addr->port);
	}
}

uint64_t conn_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void conn_log(conn_shared_t *shared, int priority, const char *fmt, ...)
{
	if (shared->log == NULL) {
		return;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	shared->log(priority, msg, shared->log_ctx);
}

void conn_event(conn_shared_t *shared, acme_redis_event_t event)
{
	if (shared->event != NULL) {
		shared->event(event, shared->log_ctx);
	}
}

int conn_error(const redisContext *c)
{
	if (c == NULL) {
		return KNOT_ENOMEM;
	}
	switch (c->err) {
	case 0:
		return KNOT_EOK;
	case REDIS_ERR_IO:
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT) ?
		       KNOT_ETIMEOUT : KNOT_ECONN;
	case REDIS_ERR_EOF:
		return KNOT_ECONN;
	case REDIS_ERR_OOM:
		return KNOT_ENOMEM;
	default:
		return KNOT_ERROR;
	}
}

static struct timeval ms_tv(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	return tv;
}

bool conn_tls_supported(void)
{
#ifdef ACME_HIREDIS_SSL
	return true;
#else
	return false;
#endif
}

int conn_tls_init(conn_shared_t *shared, const char *ca, const char *cert, const char *key,
                  const char *name)
{
#ifdef ACME_HIREDIS_SSL
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, (void (*)(void))redisInitOpenSSL);
	redisSSLContextError err = REDIS_SSL_CTX_NONE;
	redisSSLContext *ctx = redisCreateSSLContext(ca, NULL, cert, key, name, &err);
	if (ctx == NULL) {
		conn_log(shared, LOG_ERR, "Redis TLS setup failed (%s)",
		         redisSSLContextGetError(err));
		return KNOT_EINVAL;
	}
	shared->tls = ctx;
	return KNOT_EOK;
#else
	(void)shared, (void)ca, (void)cert, (void)key, (void)name;
	return KNOT_ENOTSUP;
#endif
}

void conn_tls_deinit(conn_shared_t *shared)
{
#ifdef ACME_HIREDIS_SSL
	if (shared->tls != NULL) {
		redisFreeSSLContext(shared->tls);
		shared->tls = NULL;
	}
#else
	(void)shared;
#endif
}

static redisContext *connect_addr(const conn_shared_t *shared, const conn_addr_t *addr,
                                  unsigned timeout_ms)
{
	struct timeval tv = ms_tv(timeout_ms);
	redisContext *c = (addr->port == 0) ? redisConnectUnixWithTimeout(addr->host, tv) :
	                  redisConnectWithTimeout(addr->host, addr->port, tv);
	if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) != REDIS_OK) {
		c->err = REDIS_ERR_IO;
	}
#ifdef ACME_HIREDIS_SSL
	if (c != NULL && c->err == 0 && addr->port != 0 && shared->tls != NULL &&
	    redisInitiateSSLWithContext(c, shared->tls) != REDIS_OK && c->err == 0) {
		c->err = REDIS_ERR_IO;
	}
#else
	(void)shared;
#endif
	return c;
}

/*! A reply of type \a type, else NULL (freed). */
static redisReply *command_reply(redisContext *c, int type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r != NULL && r->type != type) {
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static bool authenticate(conn_shared_t *shared, redisContext *c, char *why, size_t why_size)
{
	if (shared->password == NULL) {
		return true;
	}
	redisReply *r = (shared->user != NULL) ?
	                redisCommand(c, "AUTH %s %s", shared->user, shared->password) :
	                redisCommand(c, "AUTH %s", shared->password);
	bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (!ok) {
		snprintf(why, why_size, "AUTH failed: %s", r != NULL && r->type ==
		         REDIS_REPLY_ERROR ? r->str : c->errstr);
	}
	if (r != NULL) {
		freeReplyObject(r);
	}
	return ok;
}

/*! Time for one Sentinel: the whole timeout shared by all, 20 ms at least. */
static unsigned sentinel_timeout(const conn_shared_t *shared)
{
	unsigned each = shared->timeout_ms / (shared->sentinel_count + 1);
	return each < 20 ? 20 : each;
}

/*! Asks Sentinel \a i for the primary's address; false if it named none. */
static bool sentinel_names(conn_shared_t *shared, size_t i, conn_addr_t *out)
{
	redisContext *c = connect_addr(shared, &shared->sentinels[i], sentinel_timeout(shared));
	if (c == NULL || c->err != 0) {
		redisFree(c);
		return false;
	}
	redisReply *r = command_reply(c, REDIS_REPLY_ARRAY, "SENTINEL get-master-addr-by-name %s",
	                              shared->master);
	bool named = r != NULL && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
	             r->element[1]->type == REDIS_REPLY_STRING &&
	             r->element[0]->len < sizeof(out->host);
	if (named) {
		memset(out, 0, sizeof(*out));
		memcpy(out->host, r->element[0]->str, r->element[0]->len);
		out->port = atoi(r->element[1]->str);
	}
	if (r != NULL) {
		freeReplyObject(r);
	}
	redisFree(c);
	return named;
}

/*! Asks each Sentinel in turn for the primary's address. */
static int sentinel_lookup(conn_shared_t *shared, conn_addr_t *out, char *why,
                           size_t why_size)
{
	for (size_t i = 0; i < shared->sentinel_count; i++) {
		if (sentinel_names(shared, i, out)) {
			return KNOT_EOK;
		}
	}
	snprintf(why, why_size, "no Sentinel answered");
	return KNOT_ECONN;
}

int conn_confirm_primary(conn_endpoint_t *ep, uint64_t epoch, char *why, size_t why_size)
{
	conn_shared_t *shared = ep->shared;
	pthread_mutex_lock(&ep->lock);
	conn_addr_t addr = ep->addr;
	bool same = ep->epoch == epoch;
	pthread_mutex_unlock(&ep->lock);
	if (!same) {
		snprintf(why, why_size, "the primary changed during the update");
		return KNOT_ECONN;
	}
	size_t agree = 0;
	for (size_t i = 0; i < shared->sentinel_count; i++) {
		conn_addr_t named;
		if (!sentinel_names(shared, i, &named)) {
			continue;
		}
		if (strcmp(named.host, addr.host) != 0 || named.port != addr.port) {
			char a[300];
			conn_addr_str(&addr, a, sizeof(a));
			snprintf(why, why_size, "the update went to %s, which a Sentinel no longer "
			         "names as the primary (failover)", a);
			return KNOT_ECONN;
		}
		agree++;
	}
	if (agree == 0) {
		snprintf(why, why_size, "no Sentinel confirmed the primary that took the update");
		return KNOT_ECONN;
	}
	return KNOT_EOK;
}

int conn_endpoint_init(conn_endpoint_t *ep, conn_shared_t *shared, const char *role,
                       const conn_addr_t *addr, bool sentinel)
{
	memset(ep, 0, sizeof(*ep));
	ep->shared = shared;
	ep->role = role;
	ep->sentinel = sentinel;
	if (addr != NULL) {
		ep->addr = *addr;
	}
	ep->backoff_ms = BACKOFF_MIN_MS;
	return pthread_mutex_init(&ep->lock, NULL) == 0 ? KNOT_EOK : KNOT_ENOMEM;
}

void conn_endpoint_deinit(conn_endpoint_t *ep)
{
	for (size_t i = 0; i < ep->pool_count; i++) {
		redisFree(ep->pool[i]);
	}
	ep->pool_count = 0;
	pthread_mutex_destroy(&ep->lock);
}

void conn_failed(conn_endpoint_t *ep, const char *why)
{
	unsigned backoff = atomic_load(&ep->backoff_ms);
	atomic_store(&ep->retry_at, conn_mono_ms() + backoff);
	unsigned next = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	atomic_store(&ep->backoff_ms, next);
	if (!atomic_exchange(&ep->is_down, true)) {
		atomic_fetch_add(&ep->shared->down, 1);
		conn_event(ep->shared, ACME_REDIS_EV_DOWN);
		char addr[300];
		pthread_mutex_lock(&ep->lock);
		conn_addr_str(&ep->addr, addr, sizeof(addr));
		pthread_mutex_unlock(&ep->lock);
		conn_log(ep->shared, LOG_ERR, "Redis %s %s unreachable (%s), its names answer "
		         "SERVFAIL; retrying with backoff", ep->role, addr, why);
	}
}

void conn_ok(conn_endpoint_t *ep)
{
	if (atomic_load_explicit(&ep->is_down, memory_order_relaxed) &&
	    atomic_exchange(&ep->is_down, false)) {
		atomic_store(&ep->backoff_ms, BACKOFF_MIN_MS);
		atomic_fetch_add(&ep->shared->up, 1);
		conn_event(ep->shared, ACME_REDIS_EV_UP);
		char addr[300];
		pthread_mutex_lock(&ep->lock);
		conn_addr_str(&ep->addr, addr, sizeof(addr));
		pthread_mutex_unlock(&ep->lock);
		conn_log(ep->shared, LOG_NOTICE, "Redis %s %s reachable again", ep->role, addr);
	}
}

void conn_retry_now(conn_endpoint_t *ep)
{
	if (atomic_load_explicit(&ep->is_down, memory_order_relaxed)) {
		atomic_store(&ep->retry_at, 0);
	}
}

void conn_moved(conn_endpoint_t *ep)
{
	pthread_mutex_lock(&ep->lock);
	ep->epoch++;  /* Pooled connections of the old primary are dropped. */
	pthread_mutex_unlock(&ep->lock);
}

/*! Connects to the endpoint's current address (asking the Sentinels first). */
static int endpoint_connect(conn_endpoint_t *ep, redisContext **out, uint64_t *epoch)
{
	if (atomic_load(&ep->is_down) && conn_mono_ms() < atomic_load(&ep->retry_at)) {
		return KNOT_ECONN;
	}
	conn_shared_t *shared = ep->shared;
	char why[300] = "";
	conn_addr_t addr;
	if (ep->sentinel) {
		if (sentinel_lookup(shared, &addr, why, sizeof(why)) != KNOT_EOK) {
			conn_failed(ep, why);
			return KNOT_ECONN;
		}
		pthread_mutex_lock(&ep->lock);
		if (strcmp(addr.host, ep->addr.host) != 0 || addr.port != ep->addr.port) {
			char from[300], to[300];
			conn_addr_str(&ep->addr, from, sizeof(from));
			conn_addr_str(&addr, to, sizeof(to));
			if (ep->addr.host[0] != '\0') {
				atomic_fetch_add(&shared->failovers, 1);
				conn_event(shared, ACME_REDIS_EV_FAILOVER);
				conn_log(shared, LOG_NOTICE, "Redis primary moved from %s to %s "
				         "(Sentinel master %s)", from, to, shared->master);
			}
			ep->addr = addr;
			ep->epoch++;
		}
		*epoch = ep->epoch;
		pthread_mutex_unlock(&ep->lock);
	} else {
		pthread_mutex_lock(&ep->lock);
		addr = ep->addr;
		*epoch = ep->epoch;
		pthread_mutex_unlock(&ep->lock);
	}

	redisContext *c = connect_addr(shared, &addr, shared->timeout_ms);
	if (c == NULL || c->err != 0) {
		snprintf(why, sizeof(why), "%s", c != NULL ? c->errstr : "out of memory");
		int ret = c != NULL ? conn_error(c) : KNOT_ENOMEM;
		redisFree(c);
		conn_failed(ep, why);
		return ret == KNOT_EOK ? KNOT_ECONN : ret;
	}
	if (!authenticate(shared, c, why, sizeof(why))) {
		redisFree(c);
		conn_failed(ep, why);
		return KNOT_EACCES;
	}
	*out = c;
	return KNOT_EOK;
}

int conn_open(conn_endpoint_t *ep, redisContext **out, uint64_t *epoch)
{
	return endpoint_connect(ep, out, epoch);
}

int conn_get(conn_endpoint_t *ep, conn_t *conn)
{
	pthread_mutex_lock(&ep->lock);
	while (ep->pool_count > 0) {
		size_t i = --ep->pool_count;
		if (ep->pool_epoch[i] == ep->epoch) {
			conn->c = ep->pool[i];
			conn->epoch = ep->pool_epoch[i];
			conn->fresh = false;
			pthread_mutex_unlock(&ep->lock);
			return KNOT_EOK;
		}
		redisFree(ep->pool[i]);
	}
	pthread_mutex_unlock(&ep->lock);
	conn->fresh = true;
	return endpoint_connect(ep, &conn->c, &conn->epoch);
}

void conn_put(conn_endpoint_t *ep, conn_t *conn, bool ok)
{
	if (conn->c == NULL) {
		return;
	}
	pthread_mutex_lock(&ep->lock);
	if (ok && conn->c->err == 0 && conn->epoch == ep->epoch &&
	    ep->pool_count < sizeof(ep->pool) / sizeof(ep->pool[0])) {
		ep->pool[ep->pool_count] = conn->c;
		ep->pool_epoch[ep->pool_count++] = conn->epoch;
		conn->c = NULL;
	}
	pthread_mutex_unlock(&ep->lock);
	if (conn->c != NULL) {
		redisFree(conn->c);
		conn->c = NULL;
	}
}
