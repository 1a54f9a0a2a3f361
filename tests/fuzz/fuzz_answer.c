/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief libFuzzer harness of the answer path.
 *
 * wire query -> knot_pkt_parse -> the ANSWER hook (acme_answer) of the zone
 * Knot would pick, in the state Knot's own lookup could have left, over a
 * store holding values at the apex, at deep names (so that there are empty
 * non-terminals), a name with more values than a UDP answer holds, and
 * values that expire while the fuzzer runs.  The reply must parse, TC only
 * over UDP, and a synthesized answer must carry a TXT RRset.
 *
 * Input: one flags byte, then the query.
 *   bits 0-1  state: MISS, NODATA, HIT (Knot found zone data), DELEG
 *   bit 2     TCP (else UDP)
 *   bits 3-4  reply size: 512, 1232, 4096, 65535
 *   bit 5     a zone record is already in the answer (HIT for ANY)
 * Seeds: queries of kdig, dig and the ACME clients (tests/fuzz/corpus/answer).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/common/clock.h"
#include "module/store/lmdb/lmdb.h"
#include "tests/support/knotd_stub.h"

static void add_values(acme_store_t *store, const char *owner, unsigned count, size_t len,
                       uint32_t lifetime)
{
	knot_dname_t *name = knot_dname_from_str_alloc(owner);
	acme_policy_t policy = { .lifetime = lifetime, .max_records = 1000 };
	for (unsigned i = 0; i < count; i++) {
		uint8_t rdata[ACME_STORE_RDATA_MAX];
		rdata[0] = len;
		for (size_t j = 0; j < len; j++) {
			rdata[1 + j] = 'a' + (i + j) % 26;
		}
		snprintf((char *)rdata + 1, len, "%u", i);
		rdata[1 + strlen((char *)rdata + 1)] = '-';
		acme_op_t op = {
			.type = ACME_OP_ADD, .owner = name, .rdata = rdata,
			.rdata_len = len + 1, .ttl = 60 + i,
		};
		acme_update_t update = {
			.ops = &op, .op_count = 1, .policy = &policy, .now = acme_now_ms(),
		};
		if (acme_store_apply(store, &update) != KNOT_EOK) {
			abort();
		}
	}
	knot_dname_free(name, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stub_env_init();

	/* The module's environment, shared through the store's registry. */
	acme_store_t *store = NULL;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	if (acme_lmdb_open(&store, stub_db_path(), &opts) != KNOT_EOK) {
		abort();
	}
	add_values(store, STUB_ZONE_ALIAS, 2, 43, 3600);
	add_values(store, "_acme-challenge.www.example.com." STUB_ZONE_ALIAS, 3, 43, 3600);
	add_values(store, "a.b.c.d.e.f." STUB_ZONE_ALIAS, 1, 43, 3600);
	add_values(store, "static." STUB_ZONE_ALIAS, 1, 43, 3600);
	add_values(store, "big." STUB_ZONE_ALIAS, 40, 255, 3600);
	add_values(store, "short." STUB_ZONE_ALIAS, 2, 43, 1);
	add_values(store, STUB_ZONE_DELEG, 2, 43, 3600);
	add_values(store, "below." STUB_ZONE_DELEG, 1, 10, 3600);
	acme_store_close(store);
	return 0;
}

static const knotd_in_state_t states[4] = {
	KNOTD_IN_STATE_MISS, KNOTD_IN_STATE_NODATA, KNOTD_IN_STATE_HIT, KNOTD_IN_STATE_DELEG,
};
static const uint16_t sizes[4] = { 512, 1232, 4096, KNOT_WIRE_MAX_PKTSIZE };

/*! A record of the zone, as Knot's lookup would have put it (HIT). */
static void put_zone_record(knot_pkt_t *reply, const knot_dname_t *qname)
{
	knot_rrset_t *rr = knot_rrset_new(qname, KNOT_RRTYPE_A, KNOT_CLASS_IN, 300, &reply->mm);
	const uint8_t addr[4] = { 192, 0, 2, 1 };
	if (rr == NULL || knot_rrset_add_rdata(rr, addr, sizeof(addr), &reply->mm) != KNOT_EOK ||
	    knot_pkt_put(reply, KNOT_COMPR_HINT_QNAME, rr, KNOT_PF_FREE) != KNOT_EOK) {
		knot_rrset_free(rr, &reply->mm);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + KNOT_WIRE_HEADER_SIZE || size > 1 + KNOT_WIRE_MAX_PKTSIZE) {
		return 0;
	}
	uint8_t flags = data[0];
	knotd_in_state_t state = states[flags & 3];
	bool tcp = flags & 0x04;
	uint16_t max = tcp ? KNOT_WIRE_MAX_PKTSIZE : sizes[(flags >> 3) & 3];

	knot_pkt_t *query = stub_query_parse(data + 1, size - 1);
	if (query == NULL) {
		return 0;
	}

	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	stub_qdata_init(&qdata, &params, query, stub_addr(STUB_ADDR_OTHER), tcp);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), false);
	/* Knot runs answer hooks for normal queries of class IN/ANY. */
	uint16_t qclass = knot_pkt_qclass(query);
	knot_pkt_t *reply = knot_pkt_new(NULL, max, stub_mm());
	if (mod != NULL && reply != NULL && qdata.type == KNOTD_QUERY_TYPE_NORMAL &&
	    (qclass == KNOT_CLASS_IN || qclass == KNOT_CLASS_ANY) &&
	    knot_pkt_init_response(reply, query) == KNOT_EOK &&
	    knot_pkt_begin(reply, KNOT_ANSWER) == KNOT_EOK) {
		qdata.name = knot_pkt_qname(query);
		if ((flags & 0x20) && state == KNOTD_IN_STATE_HIT) {
			put_zone_record(reply, qdata.name);
		}
		uint16_t before = reply->rrset_count;

		knotd_in_state_t next = mod->answer(state, reply, &qdata, mod);

		if (next == KNOTD_IN_STATE_TRUNC && tcp) {
			abort(); /* TC only over UDP */
		}
		if (next == KNOTD_IN_STATE_HIT && state != KNOTD_IN_STATE_HIT &&
		    (reply->rrset_count <= before ||
		     reply->rr[reply->rrset_count - 1].type != KNOT_RRTYPE_TXT)) {
			abort(); /* HIT without the TXT RRset */
		}
		if (next != state && next != KNOTD_IN_STATE_HIT && next != KNOTD_IN_STATE_NODATA &&
		    next != KNOTD_IN_STATE_TRUNC && next != KNOTD_IN_STATE_ERROR) {
			abort(); /* a state Knot's AUTHORITY step does not expect */
		}
		stub_check_reply(reply);
	}
	knot_pkt_free(reply);
	stub_mm_reset();
	stub_query_free(query);
	return 0;
}
