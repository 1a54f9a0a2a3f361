/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The apply path of the Redis backend: one update is one EVAL of
 *        apply.lua on the primary (prerequisites and operations evaluated
 *        atomically on the server), pipelined with WAIT for the replicas.
 *
 * NOERROR needs the update on the primary and on `replicas` replicas within
 * the timeout; otherwise the caller gets an error (SERVFAIL) and a log line
 * says why.  An update the primary took but the replicas did not confirm is
 * still there: a retry refreshes the same values.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "module/store/redis/internal.h"
#include "module/store/redis/apply_lua.h"

/*! Arguments of one EVAL: pointers, lengths and room for the numbers. */
typedef struct {
	const char **argv;
	size_t *argvlen;
	char (*num)[24];
	size_t count;
	size_t nums;
} args_t;

static void arg(args_t *a, const void *data, size_t len)
{
	a->argv[a->count] = data;
	a->argvlen[a->count++] = len;
}

static void arg_num(args_t *a, uint64_t v)
{
	char *p = a->num[a->nums++];
	int len = snprintf(p, 24, "%llu", (unsigned long long)v);
	arg(a, p, len);
}

/*! Owner keys of the update, kept alive while the arguments point at them. */
typedef struct {
	acme_okey_t *keys;
	size_t count;
} keys_t;

static int arg_owner(args_t *a, keys_t *k, const knot_dname_t *owner)
{
	acme_okey_t *key = &k->keys[k->count++];
	if (acme_okey(owner, key) != KNOT_EOK) {
		return KNOT_EINVAL;
	}
	arg(a, key->data, key->len);
	return KNOT_EOK;
}

static int build_args(redis_store_t *rs, const acme_update_t *u, args_t *a, keys_t *k)
{
	size_t max = 9 + u->prereq_count * 4 + u->op_count * 4;
	for (size_t i = 0; i < u->prereq_count; i++) {
		max += u->prereqs[i].count + u->prereqs[i].optional_count;
	}
	a->argv = calloc(max, sizeof(*a->argv));
	a->argvlen = calloc(max, sizeof(*a->argvlen));
	a->num = calloc(max, sizeof(*a->num));
	k->keys = calloc(u->prereq_count + u->op_count + 1, sizeof(*k->keys));
	if (a->argv == NULL || a->argvlen == NULL || a->num == NULL || k->keys == NULL) {
		return KNOT_ENOMEM;
	}

	arg(a, "EVAL", 4);
	arg(a, apply_lua, sizeof(apply_lua) - 1);
	arg(a, "0", 1);
	arg(a, rs->prefix, rs->prefix_len);
	arg_num(a, u->now);
	arg_num(a, (uint64_t)u->policy->lifetime * 1000);
	arg_num(a, u->policy->max_records);
	arg_num(a, u->prereq_count);
	for (size_t i = 0; i < u->prereq_count; i++) {
		const acme_prereq_t *p = &u->prereqs[i];
		if (p->type < ACME_PREREQ_NAME_IN_USE || p->type > ACME_PREREQ_TXT_EQUALS) {
			return KNOT_EINVAL;
		}
		arg_num(a, p->type);
		if (arg_owner(a, k, p->owner) != KNOT_EOK) {
			return KNOT_EINVAL;
		}
		arg_num(a, p->count);
		for (size_t j = 0; j < p->count; j++) {
			arg(a, p->values[j].data, p->values[j].len);
		}
		arg_num(a, p->optional_count);
		for (size_t j = 0; j < p->optional_count; j++) {
			arg(a, p->optional[j].data, p->optional[j].len);
		}
	}
	arg_num(a, u->op_count);
	for (size_t i = 0; i < u->op_count; i++) {
		const acme_op_t *op = &u->ops[i];
		switch (op->type) {
		case ACME_OP_ADD:
		case ACME_OP_DEL_VALUE:
			if (op->rdata == NULL || op->rdata_len == 0 ||
			    op->rdata_len > ACME_STORE_RDATA_MAX) {
				return KNOT_EINVAL;
			}
			break;
		case ACME_OP_DEL_ALL:
			break;
		default:
			return KNOT_EINVAL;
		}
		arg_num(a, op->type);
		if (arg_owner(a, k, op->owner) != KNOT_EOK) {
			return KNOT_EINVAL;
		}
		if (op->type == ACME_OP_DEL_ALL) {
			arg(a, "", 0);
		} else {
			arg(a, op->rdata, op->rdata_len);
		}
		arg_num(a, op->ttl);
	}
	return KNOT_EOK;
}

/*! Reads the script's reply into the update. */
static int script_result(const redisReply *r, acme_update_t *u)
{
	if (r->type == REDIS_REPLY_ERROR) {
		return reply_error(r);
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
		return KNOT_EMALF;
	}
	for (size_t i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_INTEGER) {
			return KNOT_EMALF;
		}
	}
	if (r->element[0]->integer == 1) {
		u->failed = r->element[1]->integer;
		return KNOT_EPREREQ;
	}
	if (r->element[0]->integer != 0 || r->elements != 5) {
		return KNOT_EMALF;
	}
	u->result.added = r->element[1]->integer;
	u->result.refreshed = r->element[2]->integer;
	u->result.deleted = r->element[3]->integer;
	u->result.dropped = r->element[4]->integer;
	return KNOT_EOK;
}

static bool wrote(const acme_update_t *u)
{
	const acme_result_t *r = &u->result;
	return r->added + r->refreshed + r->deleted + r->dropped > 0 || u->op_count > 0;
}

/*!
 * One attempt on one connection: EVAL, then WAIT in the same round trip when
 * replicas must confirm.  \a wait_ms is what is left of the time budget.
 */
static int apply_once(redis_store_t *rs, redisContext *c, const args_t *a,
                      acme_update_t *u, unsigned wait_ms, char *why, size_t why_size)
{
	redisAppendCommandArgv(c, a->count, a->argv, a->argvlen);
	bool wait = rs->replicas > 0 && u->op_count > 0;
	if (wait) {
		/* WAIT answers before the socket's own timeout (the whole budget). */
		unsigned ms = wait_ms > 50 ? wait_ms - 25 : (wait_ms > 1 ? wait_ms / 2 : 1);
		redisAppendCommand(c, "WAIT %u %u", rs->replicas, ms);
	}
	redisReply *r = NULL, *w = NULL;
	if (redisGetReply(c, (void **)&r) != REDIS_OK) {
		snprintf(why, why_size, "%s", c->errstr);
		return conn_error(c);
	}
	if (wait && redisGetReply(c, (void **)&w) != REDIS_OK) {
		int ret = script_result(r, u);
		if (ret == KNOT_EOK) {
			atomic_fetch_add(&rs->wait_short, 1);
			conn_event(&rs->shared, ACME_REDIS_EV_WAIT_SHORT);
		}
		snprintf(why, why_size, "%s; no answer from WAIT for %u replicas within %u ms (%s)",
		         ret == KNOT_EOK ? "the primary took the update" : "the update was refused",
		         rs->replicas, wait_ms, c->errstr);
		freeReplyObject(r);
		return conn_error(c);
	}
	/*
	 * Without replicas to wait for, one more round trip: Redis has written
	 * the update's publication to every subscriber socket before it reads
	 * the PING, so a node reading this server knows the name at once.
	 */
	if (!wait && r->type == REDIS_REPLY_ARRAY) {
		w = redisCommand(c, "PING");
		if (w == NULL) {
			freeReplyObject(r);
			snprintf(why, why_size, "%s", c->errstr);
			return conn_error(c);
		}
	}
	int ret = script_result(r, u);
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, why_size, "%s", r->str);
	}
	if (ret == KNOT_EOK && wait && wrote(u)) {
		long long got = (w->type == REDIS_REPLY_INTEGER) ? w->integer : -1;
		if (got < (long long)rs->replicas) {
			atomic_fetch_add(&rs->wait_short, 1);
			conn_event(&rs->shared, ACME_REDIS_EV_WAIT_SHORT);
			snprintf(why, why_size, "the primary took the update but %lld of %u "
			         "replicas confirmed it within %u ms%s%s", got < 0 ? 0 : got,
			         rs->replicas, wait_ms, w->type == REDIS_REPLY_ERROR ? ": " : "",
			         w->type == REDIS_REPLY_ERROR ? w->str : "");
			ret = KNOT_ETIMEOUT;
		}
	}
	freeReplyObject(r);
	if (w != NULL) {
		freeReplyObject(w);
	}
	return ret;
}

int redis_apply(acme_store_t *store, acme_update_t *u)
{
	redis_store_t *rs = (redis_store_t *)store;
	if (u == NULL || u->policy == NULL || (u->op_count > 0 && u->ops == NULL) ||
	    (u->prereq_count > 0 && u->prereqs == NULL)) {
		return KNOT_EINVAL;
	}
	memset(&u->result, 0, sizeof(u->result));
	u->failed = 0;
	args_t a = { NULL };
	keys_t k = { NULL };
	int ret = build_args(rs, u, &a, &k);
	uint64_t deadline = conn_mono_ms() + rs->shared.timeout_ms;
	char why[300] = "";
	for (int attempt = 0; ret == KNOT_EOK || ret == KNOT_ECONN; attempt++) {
		conn_t conn;
		ret = conn_get(&rs->primary, &conn);
		if (ret != KNOT_EOK) {
			snprintf(why, sizeof(why), "no connection to the primary");
			break;
		}
		uint64_t now = conn_mono_ms();
		unsigned left = now < deadline ? deadline - now : 1;
		ret = apply_once(rs, conn.c, &a, u, left, why, sizeof(why));
		/*
		 * A primary stopped and resumed after a failover still takes
		 * writes, and a replica the Sentinels have not moved yet confirms
		 * them; the new primary never sees them.  So with Sentinels an
		 * update is acknowledged only while they still name its server
		 * (no retry: the update is on the old primary, gone with it).
		 */
		bool zombie = false;
		if (ret == KNOT_EOK && rs->primary.sentinel && wrote(u)) {
			zombie = conn_confirm_primary(&rs->primary, conn.epoch, why,
			                              sizeof(why)) != KNOT_EOK;
		}
		if (zombie) {
			memset(&u->result, 0, sizeof(u->result));
			conn_put(&rs->primary, &conn, false);
			conn_moved(&rs->primary);
			ret = KNOT_ECONN;
			break;
		}
		bool io = ret == KNOT_ECONN || ret == KNOT_ETIMEOUT;
		bool moved = strncmp(why, "READONLY", 8) == 0;
		conn_put(&rs->primary, &conn, !io && !moved);
		if (moved) {
			conn_moved(&rs->primary); /* Ask the Sentinels again. */
		}
		if (!io && !moved) {
			conn_ok(&rs->primary);
			/* Acknowledged: this node's reads must not wait out their backoff. */
			conn_retry_now(&rs->read);
			break;
		}
		/* A reused connection may have died idle: one more try on a new one. */
		if (ret == KNOT_ETIMEOUT || conn.fresh || attempt > 0 ||
		    conn_mono_ms() >= deadline) {
			/* Slow replicas are no reason to stop trying the primary. */
			if (!moved && strstr(why, "replicas") == NULL) {
				conn_failed(&rs->primary, why);
			}
			break;
		}
	}
	if (ret != KNOT_EOK && ret != KNOT_EPREREQ) {
		conn_log(&rs->shared, LOG_ERR, "Redis update failed (%s%s%s)", knot_strerror(ret),
		         why[0] ? ", " : "", why);
	}
	free(a.argv);
	free(a.argvlen);
	free(a.num);
	free(k.keys);
	return ret;
}
