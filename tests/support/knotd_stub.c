/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief For tests only: the knotd_* API around a module (contexts, logs,
 *        statistics, hooks, query data and memory), two zones with
 *        mod-acme loaded, and running queries through their hooks.
 *
 * The configuration they read is stub_conf.c's.
 */

#include <arpa/inet.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module/compat.h"
#include "tests/support/knotd_stub.h"
#include "tests/support/stub_internal.h"

/* Environment. */

knotd_mod_t stub_mods[STUB_ZONES];
char stub_db_dir[64];
static char db_path[128];
static const char *zone_names[2] = { STUB_ZONE_ALIAS, STUB_ZONE_DELEG };
static knot_rrset_t apex_soa[2], apex_ns[2];
static struct sockaddr_storage addrs[STUB_ADDR_COUNT];

struct knotd_qdata_extra {
	const knot_dname_t *zone;
};
static struct knotd_qdata_extra qdata_extra;

void *knotd_mod_ctx(ACME_KNOTD_CONST knotd_mod_t *mod)
{
	return mod->ctx;
}

void knotd_mod_ctx_set(knotd_mod_t *mod, void *ctx)
{
	mod->ctx = ctx;
}

const knot_dname_t *knotd_mod_zone(ACME_KNOTD_CONST knotd_mod_t *mod)
{
	return mod->zone;
}

unsigned knotd_mod_threads(knotd_mod_t *mod)
{
	(void)mod;
	return 4;
}

/*! The last log lines, for stub_log_find(). */
#define LOG_LINES	64
static char log_lines[LOG_LINES][1024];
static size_t log_count;

void stub_log_clear(void)
{
	log_count = 0;
}

const char *stub_log_find(const char *text)
{
	size_t first = log_count > LOG_LINES ? log_count - LOG_LINES : 0;
	for (size_t i = first; i < log_count; i++) {
		if (strstr(log_lines[i % LOG_LINES], text) != NULL) {
			return log_lines[i % LOG_LINES];
		}
	}
	return NULL;
}

void knotd_mod_vlog(knotd_mod_t *mod, int priority, const char *fmt, va_list args)
{
	(void)mod;
	/* Always formatted, so that format and argument bugs show. */
	char *buf = log_lines[log_count++ % LOG_LINES];
	vsnprintf(buf, sizeof(log_lines[0]), fmt, args);
	static int verbose = -1;
	if (verbose < 0) {
		verbose = getenv("STUB_LOG") != NULL;
	}
	if (verbose) {
		fprintf(stderr, "log[%d]: %s\n", priority, buf);
	}
}

void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	knotd_mod_vlog(mod, priority, fmt, args);
	va_end(args);
}

int knotd_mod_stats_add(knotd_mod_t *mod, const char *ctr_name, uint32_t idx_count,
                        knotd_mod_idx_to_str_f idx)
{
	(void)mod;
	(void)ctr_name;
	/* Like knotd: names of indexed counters are asked for (and freed). */
	for (uint32_t i = 0; idx != NULL && i < idx_count; i++) {
		free(idx(i, idx_count));
	}
	return KNOT_EOK;
}

void knotd_mod_stats_incr(knotd_mod_t *mod, unsigned thr_id, uint32_t ctr_id,
                          uint32_t idx, uint64_t val)
{
	(void)mod;
	(void)ctr_id;
	(void)idx;
	(void)val;
	if (thr_id >= 4) {
		abort();
	}
}

int knotd_mod_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_hook_f hook)
{
	if (stage != KNOTD_STAGE_BEGIN) {
		return KNOT_EINVAL;
	}
	mod->begin = hook;
	return KNOT_EOK;
}

int knotd_mod_in_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_in_hook_f hook)
{
	if (stage != KNOTD_STAGE_ANSWER) {
		return KNOT_EINVAL;
	}
	mod->answer = hook;
	return KNOT_EOK;
}

#if !ACME_KNOTD_INLINE_ADDR
const struct sockaddr_storage *knotd_qdata_remote_addr(knotd_qdata_t *qdata)
{
	return qdata->params->remote;
}
#endif

const knot_dname_t *knotd_qdata_zone_name(ACME_KNOTD_CONST knotd_qdata_t *qdata)
{
	return qdata->extra->zone;
}

knot_rrset_t knotd_qdata_zone_apex_rrset(ACME_KNOTD_CONST knotd_qdata_t *qdata, uint16_t type)
{
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	for (int i = 0; i < 2; i++) {
		if (qdata->extra->zone == stub_mods[i].zone) {
			if (type == KNOT_RRTYPE_SOA) {
				rr = apex_soa[i];
			} else if (type == KNOT_RRTYPE_NS) {
				rr = apex_ns[i];
			}
		}
	}
	return rr;
}

/* Memory context of a query: a pool freed at once, like knotd's mempool. */

static void **pool;
static size_t pool_count, pool_cap;

static void *pool_alloc(void *ctx, size_t len)
{
	(void)ctx;
	if (pool_count == pool_cap) {
		pool_cap = pool_cap ? 2 * pool_cap : 64;
		pool = realloc(pool, pool_cap * sizeof(*pool));
		if (pool == NULL) {
			abort();
		}
	}
	void *p = malloc(len ? len : 1);
	pool[pool_count++] = p;
	return p;
}

static knot_mm_t query_mm = { .alloc = pool_alloc, .free = NULL };

knot_mm_t *stub_mm(void)
{
	return &query_mm;
}

void stub_mm_reset(void)
{
	for (size_t i = 0; i < pool_count; i++) {
		free(pool[i]);
	}
	pool_count = 0;
}

/* Setup. */

static void apex_rrsets(int i)
{
	const knot_dname_t *zone = stub_mods[i].zone;
	uint8_t rdata[2 * KNOT_DNAME_MAXLEN + 20];
	knot_dname_t *ns = knot_dname_from_str_alloc("ns.example.net.");
	knot_dname_t *mail = knot_dname_from_str_alloc("hostmaster.example.net.");
	size_t len = 0;
	len += knot_dname_to_wire(rdata + len, ns, sizeof(rdata) - len);
	len += knot_dname_to_wire(rdata + len, mail, sizeof(rdata) - len);
	const uint32_t soa[5] = { 1, 3600, 900, 604800, 300 };
	for (int j = 0; j < 5; j++, len += 4) {
		knot_wire_write_u32(rdata + len, soa[j]);
	}
	knot_rrset_init(&apex_soa[i], (knot_dname_t *)zone, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 3600);
	knot_rrset_add_rdata(&apex_soa[i], rdata, len, NULL);
	knot_rrset_init(&apex_ns[i], (knot_dname_t *)zone, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 3600);
	knot_rrset_add_rdata(&apex_ns[i], ns, knot_dname_size(ns), NULL);
	knot_dname_free(ns, NULL);
	knot_dname_free(mail, NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void env_cleanup(void)
{
	for (int i = 0; i < 2; i++) {
		if (stub_mods[i].ctx != NULL) {
			knotd_mod_api.unload(&stub_mods[i]);
			stub_mods[i].ctx = NULL;
		}
		knot_rdataset_clear(&apex_soa[i].rrs, NULL);
		knot_rdataset_clear(&apex_ns[i].rrs, NULL);
		knot_dname_free(stub_mods[i].zone, NULL);
	}
	stub_mm_reset();
	free(pool);
	if (stub_db_dir[0] != '\0' && getenv("STUB_KEEP") == NULL) {
		nftw(stub_db_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
}

static void addr_init(unsigned idx, const char *str)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)&addrs[idx];
	sa->sin_family = AF_INET;
	sa->sin_port = htons(40000 + idx);
	inet_pton(AF_INET, str, &sa->sin_addr);
}

void stub_env_init(void)
{
	static bool done = false;
	if (done) {
		return;
	}
	done = true;

	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(stub_db_dir, sizeof(stub_db_dir), "%.40s/knot-acme-stub-XXXXXX", tmp);
	if (mkdtemp(stub_db_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(db_path, sizeof(db_path), "%s/acme", stub_db_dir);
	atexit(env_cleanup);

	addr_init(STUB_ADDR_LOCAL, "127.0.0.1");
	addr_init(STUB_ADDR_DENIED, "192.0.2.66");
	addr_init(STUB_ADDR_REMOTE, "198.51.100.1");
	addr_init(STUB_ADDR_OTHER, "203.0.113.9");

	for (int i = 0; i < 2; i++) {
		stub_mods[i].zone = knot_dname_from_str_alloc(zone_names[i]);
		stub_mods[i].database = db_path;
		apex_rrsets(i);
		int ret = knotd_mod_api.load(&stub_mods[i]);
		if (ret != KNOT_EOK || stub_mods[i].begin == NULL || stub_mods[i].answer == NULL) {
			fprintf(stderr, "knotd_stub: module load failed (%s)\n", knot_strerror(ret));
			abort();
		}
	}
}

const char *stub_db_path(void)
{
	return db_path;
}

knotd_mod_t *stub_zone_mod(const knot_dname_t *qname, bool exact)
{
	knotd_mod_t *best = NULL;
	int best_labels = -1;
	for (int i = 0; i < 2; i++) {
		if (exact) {
			if (knot_dname_is_case_equal(qname, stub_mods[i].zone)) {
				return &stub_mods[i];
			}
			continue;
		}
		knot_dname_storage_t lower;
		knot_dname_copy_lower(lower, qname);
		if (knot_dname_in_bailiwick(lower, stub_mods[i].zone) >= 0) {
			int labels = knot_dname_labels(stub_mods[i].zone, NULL);
			if (labels > best_labels) {
				best = &stub_mods[i];
				best_labels = labels;
			}
		}
	}
	return best;
}

const struct sockaddr_storage *stub_addr(unsigned idx)
{
	return &addrs[idx % STUB_ADDR_COUNT];
}

static knotd_query_type_t query_type(const knot_pkt_t *query)
{
	switch (knot_wire_get_opcode(query->wire)) {
	case KNOT_OPCODE_QUERY:
		switch (knot_pkt_qtype(query)) {
		case KNOT_RRTYPE_AXFR: return KNOTD_QUERY_TYPE_AXFR;
		case KNOT_RRTYPE_IXFR: return KNOTD_QUERY_TYPE_IXFR;
		default:               return KNOTD_QUERY_TYPE_NORMAL;
		}
	case KNOT_OPCODE_NOTIFY: return KNOTD_QUERY_TYPE_NOTIFY;
	case KNOT_OPCODE_UPDATE: return KNOTD_QUERY_TYPE_UPDATE;
	default:                 return KNOTD_QUERY_TYPE_INVALID;
	}
}

knot_pkt_t *stub_query_parse(const uint8_t *data, size_t len)
{
	uint8_t *wire = malloc(len);
	knot_pkt_t *query = (wire != NULL) ? knot_pkt_new(wire, len, NULL) : NULL;
	if (query == NULL) {
		free(wire);
		return NULL;
	}
	memcpy(wire, data, len);
	if (knot_pkt_parse(query, 0) != KNOT_EOK || knot_wire_get_qr(query->wire) ||
	    knot_pkt_qname(query) == NULL) {
		stub_query_free(query);
		return NULL;
	}
	return query;
}

void stub_query_free(knot_pkt_t *query)
{
	if (query != NULL) {
		uint8_t *wire = query->wire;
		knot_pkt_free(query);
		free(wire);
	}
}

void stub_check_reply(const knot_pkt_t *reply)
{
	knot_pkt_t *check = knot_pkt_new(reply->wire, reply->size, NULL);
	if (check == NULL || knot_pkt_parse(check, 0) != KNOT_EOK) {
		abort(); /* the module wrote a malformed answer */
	}
	knot_pkt_free(check);
}

void stub_qdata_init(knotd_qdata_t *qdata, knotd_qdata_params_t *params, knot_pkt_t *query,
                     const struct sockaddr_storage *remote, bool tcp)
{
	memset(params, 0, sizeof(*params));
	params->proto = tcp ? KNOTD_QUERY_PROTO_TCP : KNOTD_QUERY_PROTO_UDP;
	params->remote = remote;
	params->socket = -1;
	params->thread_id = knot_wire_get_id(query->wire) % 4;

	memset(qdata, 0, sizeof(*qdata));
	qdata->query = query;
	qdata->type = query_type(query);
	qdata->mm = &query_mm;
	qdata->params = params;
	qdata->rcode_ede = KNOT_EDNS_EDE_NONE;
	qdata->extra = &qdata_extra;
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), qdata->type == KNOTD_QUERY_TYPE_UPDATE);
	qdata_extra.zone = mod != NULL ? mod->zone : NULL;
}

void stub_finish_reply(knot_pkt_t *reply, knotd_qdata_t *qdata)
{
	knot_wire_set_rcode(reply->wire, KNOT_EDNS_RCODE_LO(qdata->rcode));
	if (reply->current != KNOT_ADDITIONAL) {
		(void)knot_pkt_begin(reply, KNOT_ADDITIONAL);
	}

	knot_sign_context_t *sign = &qdata->sign;
	if (sign->tsig_key.name != NULL && knot_tsig_can_sign(qdata->rcode_tsig)) {
		/* The module claims a verified key: it must be usable for signing. */
		size_t full = dnssec_tsig_algorithm_size(sign->tsig_key.algorithm);
		size_t shortest = ACME_KNOT_TSIG_TRUNCATION ? (full / 2 > 10 ? full / 2 : 10) : full;
		if (sign->tsig_key.secret.data == NULL || sign->tsig_key.secret.size == 0 ||
		    sign->tsig_digest == NULL ||
		    sign->tsig_digestlen < shortest || sign->tsig_digestlen > full) {
			fprintf(stderr, "knotd_stub: unusable signing context\n");
			abort();
		}
		size_t digest_len = dnssec_tsig_algorithm_size(sign->tsig_key.algorithm);
		(void)knot_tsig_sign(reply->wire, &reply->size, reply->max_size,
		                     sign->tsig_digest, sign->tsig_digestlen,
		                     sign->tsig_digest, &digest_len, &sign->tsig_key,
		                     qdata->rcode_tsig, sign->tsig_time_signed);
	} else if (qdata->query->tsig_rr != NULL && qdata->rcode_tsig != KNOT_RCODE_NOERROR) {
		(void)knot_tsig_add(reply->wire, &reply->size, reply->max_size,
		                    qdata->rcode_tsig, qdata->query->tsig_rr);
	}
}

/*! Gives the caller the reply it asked for (\a reply not NULL), or frees it. */
static void hand_out(knot_pkt_t *out, knot_pkt_t **reply)
{
	if (reply != NULL) {
		*reply = out;
	} else {
		knot_pkt_free(out);
	}
}

knotd_state_t stub_run_begin(knot_pkt_t *query, const struct sockaddr_storage *remote,
                             bool tcp, knotd_qdata_t *qdata, knotd_qdata_params_t *params,
                             knot_pkt_t **reply)
{
	stub_qdata_init(qdata, params, query, remote, tcp);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query),
	                                 qdata->type == KNOTD_QUERY_TYPE_UPDATE);
	knot_pkt_t *out = knot_pkt_new(NULL, tcp ? KNOT_WIRE_MAX_PKTSIZE : 1232, stub_mm());
	knotd_state_t state = STUB_STATE_PRODUCE;
	if (mod != NULL && out != NULL && knot_pkt_init_response(out, query) == KNOT_EOK) {
		state = mod->begin(STUB_STATE_PRODUCE, out, qdata, mod);
		if (state == KNOTD_STATE_FAIL || state == KNOTD_STATE_DONE) {
			if (state == KNOTD_STATE_FAIL) {
				/* process_query_err(): the reply starts over. */
				(void)knot_pkt_init_response(out, query);
			}
			stub_finish_reply(out, qdata);
		} else if (state != STUB_STATE_PRODUCE) {
			abort(); /* the hook returns the state, DONE or FAIL */
		}
	} else {
		knot_pkt_free(out);
		out = NULL;
	}
	hand_out(out, reply);
	return state;
}

knotd_in_state_t stub_run_answer(knot_pkt_t *query, knotd_in_state_t state, bool tcp,
                                 size_t reply_max, knotd_qdata_t *qdata,
                                 knotd_qdata_params_t *params, knot_pkt_t **reply)
{
	stub_qdata_init(qdata, params, query, stub_addr(STUB_ADDR_OTHER), tcp);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), false);
	knot_pkt_t *out = knot_pkt_new(NULL, reply_max, stub_mm());
	knotd_in_state_t next = state;
	if (mod != NULL && out != NULL && knot_pkt_init_response(out, query) == KNOT_EOK &&
	    knot_pkt_begin(out, KNOT_ANSWER) == KNOT_EOK) {
		qdata->name = knot_pkt_qname(query);
		next = mod->answer(state, out, qdata, mod);
		if (next == KNOTD_IN_STATE_TRUNC && tcp) {
			abort(); /* TC only over UDP */
		}
		stub_check_reply(out);
	} else {
		knot_pkt_free(out);
		out = NULL;
	}
	hand_out(out, reply);
	return next;
}

