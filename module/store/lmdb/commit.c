/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Applying one update: alone (asynchronous mode) or committed in a
 *        group with concurrent ones (robust mode, one fsync for all).
 */

#include <pthread.h>

#include "module/store/lmdb/internal.h"

/*! One acme_store_apply() call, possibly committed with others. */
typedef struct apply_req {
	struct apply_req *next;
	acme_update_t *update;
	acme_result_t res;
	int ret;
	bool done;
} apply_req_t;

/*! Requests committed together at most (bounds one transaction). */
#define GROUP_MAX	64

/*!
 * Check and operations of one request in \a txn.  \a seq numbers the adds:
 * transaction ids only grow, so the add order survives clock steps.
 */
static int req_apply(lmdb_store_t *store, MDB_txn *txn, apply_req_t *req, uint64_t *seq)
{
	acme_update_t *u = req->update;
	int ret = KNOT_EOK;
	for (size_t i = 0; ret == KNOT_EOK && i < u->prereq_count; i++) {
		ret = lmdb_prereq_holds(txn, store, &u->prereqs[i], u->now);
		if (ret == KNOT_EPREREQ) {
			u->failed = i;
		}
	}
	for (size_t i = 0; ret == KNOT_EOK && i < u->op_count; i++) {
		if (u->ops[i].type == ACME_OP_ADD) {
			if (!lmdb_map_has_reserve(store->env)) {
				ret = KNOT_ESPACE;
			}
			break;
		}
	}
	for (size_t i = 0; ret == KNOT_EOK && i < u->op_count; i++) {
		ret = lmdb_op_apply(txn, store, &u->ops[i], u->policy, u->now,
		               ((uint64_t)mdb_txn_id(txn) << 20) | (*seq)++, &req->res);
	}
	return ret;
}

/*!
 * Commits a group of requests in one write transaction, so one fsync serves
 * them all.  Each request runs in a nested transaction: one that fails is
 * rolled back alone, the others still commit.
 */
static void group_commit(lmdb_store_t *store, apply_req_t *group)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	store->txn_writes = 0;
	uint64_t seq = 0;
	for (apply_req_t *req = group; req != NULL; req = req->next) {
		if (ret != MDB_SUCCESS) {
			req->ret = lmdb_to_knot(ret);
			continue;
		}
		MDB_txn *child;
		int cret = mdb_txn_begin(store->env, txn, 0, &child);
		if (cret != MDB_SUCCESS) {
			req->ret = lmdb_to_knot(cret);
			continue;
		}
		size_t writes = store->txn_writes;
		req->ret = req_apply(store, child, req, &seq);
		if (req->ret == KNOT_EOK) {
			cret = mdb_txn_commit(child);
			req->ret = lmdb_to_knot(cret);
		} else {
			mdb_txn_abort(child);
		}
		if (req->ret != KNOT_EOK) {
			store->txn_writes = writes; /* Rolled back with the child. */
		}
	}
	if (ret == MDB_SUCCESS) {
		ret = lmdb_commit_covered(store, txn);
		for (apply_req_t *req = group; ret != MDB_SUCCESS && req != NULL; req = req->next) {
			if (req->ret == KNOT_EOK) {
				req->ret = lmdb_to_knot(ret);
			}
		}
	}
}

/*! One request in its own transaction (asynchronous mode: no fsync to share). */
static void single_commit(lmdb_store_t *store, apply_req_t *req)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(store->env, NULL, 0, &txn);
	if (ret != MDB_SUCCESS) {
		req->ret = lmdb_to_knot(ret);
		return;
	}
	store->txn_writes = 0;
	uint64_t seq = 0;
	req->ret = req_apply(store, txn, req, &seq);
	if (req->ret != KNOT_EOK) {
		mdb_txn_abort(txn);
		return;
	}
	req->ret = lmdb_to_knot(lmdb_commit_covered(store, txn));
}

int lmdb_apply(acme_store_t *base, acme_update_t *update)
{
	lmdb_store_t *store = (lmdb_store_t *)base;
	if (update == NULL || (update->ops == NULL && update->op_count > 0) ||
	    (update->prereqs == NULL && update->prereq_count > 0) ||
	    (update->policy == NULL && update->op_count > 0)) {
		return KNOT_EINVAL;
	}
	update->failed = 0;
	memset(&update->result, 0, sizeof(update->result));
	if (store->read_only) {
		return KNOT_EACCES;
	}
	apply_req_t req = { .update = update };

	unsigned flags = 0;
	(void)mdb_env_get_flags(store->env, &flags);
	if (flags & (MDB_NOSYNC | MDB_WRITEMAP)) {
		single_commit(store, &req);
	} else {
		/*
		 * Group commit: the first caller becomes the leader and commits
		 * everything queued meanwhile; the others wait for their result.
		 */
		pthread_mutex_lock(&store->group_lock);
		*store->group_tail = &req;
		store->group_tail = &req.next;
		while (!req.done) {
			if (store->group_leader) {
				pthread_cond_wait(&store->group_done, &store->group_lock);
				continue;
			}
			store->group_leader = true;
			apply_req_t *group = store->group_head, *last = group;
			for (int n = 1; n < GROUP_MAX && last->next != NULL; n++) {
				last = last->next;
			}
			store->group_head = last->next;
			if (store->group_head == NULL) {
				store->group_tail = &store->group_head;
			}
			last->next = NULL;
			pthread_mutex_unlock(&store->group_lock);

			group_commit(store, group);

			pthread_mutex_lock(&store->group_lock);
			for (apply_req_t *r = group; r != NULL; r = r->next) {
				r->done = true;
			}
			store->group_leader = false;
			pthread_cond_broadcast(&store->group_done);
		}
		pthread_mutex_unlock(&store->group_lock);
	}

	if (req.ret == KNOT_EOK) {
		update->result = req.res;
	}
	return req.ret;
}
