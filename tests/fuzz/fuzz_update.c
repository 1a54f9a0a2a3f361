/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief libFuzzer harness of the update path.
 *
 * wire message -> knot_pkt_parse (as knotd's UDP/TCP handler) -> the zone's
 * BEGIN hook (acme_update: claim, acl, TSIG, replay cache, limits, RFC 2136
 * prerequisites and operations in one LMDB transaction on a temporary
 * database) -> the reply finished and signed as process_query.c does; then
 * optionally a TXT query for the first updated owner through the ANSWER hook,
 * so that what the update wrote is read back.
 *
 * Input: one flags byte, then the message.
 *   bits 0-1  0: the message as is; 1: TSIG stripped, signed now with k1;
 *             2: signed now with k2 (bit 6: with k3); 3: TSIG stripped
 *   bits 2-3  source address (FUZZ_ADDR_*: 127.0.0.1 is allowed unsigned)
 *   bit 4     TCP (else UDP)
 *   bit 5     read the first updated owner back through the ANSWER hook
 * Signing here lets the fuzzer reach past the MAC check, which it could never
 * forge.  Seeds: real client messages (tests/fuzz/corpus/update).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/knotd_stub.h"

#define WIRE_MAX	KNOT_WIRE_MAX_PKTSIZE
#define TSIG_ROOM	512

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	stub_env_init();
	return 0;
}

/*! The message to send: as is, re-signed, or stripped of its TSIG. */
static size_t prepare(uint8_t flags, const uint8_t *data, size_t size, uint8_t *buf)
{
	memcpy(buf, data, size);
	unsigned mode = flags & 3;
	if (mode == 0 || size < KNOT_WIRE_HEADER_SIZE) {
		return size;
	}

	/* The parser strips the TSIG RR (and decrements ARCOUNT) in place. */
	knot_pkt_t *pkt = knot_pkt_new(buf, size, NULL);
	if (pkt != NULL && knot_pkt_parse(pkt, 0) == KNOT_EOK && knot_pkt_has_tsig(pkt)) {
		size = pkt->size;
	}
	knot_pkt_free(pkt);
	if (mode == 3) {
		return size;
	}

	const stub_key_t *k = &stub_keys[mode == 1 ? 0 : ((flags & 0x40) ? 2 : 1)];
	knot_dname_t *name = knot_dname_from_str_alloc(k->name);
	knot_tsig_key_t key = {
		.algorithm = k->algorithm,
		.name = name,
		.secret = { .size = k->secret_len, .data = (uint8_t *)k->secret },
	};
	uint8_t digest[64];
	size_t digest_len = sizeof(digest);
	(void)knot_tsig_sign(buf, &size, WIRE_MAX + TSIG_ROOM, NULL, 0, digest, &digest_len,
	                     &key, 0, 0);
	knot_dname_free(name, NULL);
	return size;
}

/*! A TXT query for \a owner through the ANSWER hook; the reply must parse. */
static void read_back(const knot_dname_t *owner, bool tcp)
{
	knot_pkt_t *query = knot_pkt_new(NULL, KNOT_WIRE_MIN_PKTSIZE, NULL);
	if (query == NULL || knot_pkt_put_question(query, owner, KNOT_CLASS_IN,
	                                           KNOT_RRTYPE_TXT) != KNOT_EOK) {
		knot_pkt_free(query);
		return;
	}
	/* Parsed back, as knotd hands it to the hooks. */
	knot_pkt_t *parsed = stub_query_parse(query->wire, query->size);
	if (parsed == NULL) {
		abort();
	}
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	(void)stub_run_answer(parsed, KNOTD_IN_STATE_MISS, tcp, tcp ? KNOT_WIRE_MAX_PKTSIZE : 1232,
	                      &qdata, &params, NULL);
	stub_mm_reset();
	stub_query_free(parsed);
	knot_pkt_free(query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[WIRE_MAX + TSIG_ROOM];
	if (size < 1 + KNOT_WIRE_HEADER_SIZE || size > 1 + WIRE_MAX) {
		return 0;
	}
	uint8_t flags = data[0];
	bool tcp = flags & 0x10;
	size_t len = prepare(flags, data + 1, size - 1, buf);
	if (!tcp && len > 65507) {
		return 0; /* no such UDP datagram */
	}

	/* knotd's handlers parse first; a failed parse never reaches the hooks. */
	knot_pkt_t *query = stub_query_parse(buf, len);
	if (query == NULL) {
		return 0;
	}

	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knotd_state_t state = stub_run_begin(query, stub_addr((flags >> 2) & 3), tcp,
	                                     &qdata, &params, NULL);
	const knot_pktsection_t *upd = knot_pkt_section(query, KNOT_AUTHORITY);
	bool read = (flags & 0x20) && state == KNOTD_STATE_DONE && upd->count > 0;
	knot_dname_storage_t owner;
	if (read) {
		knot_dname_copy_lower(owner, knot_pkt_rr(upd, 0)->owner);
	}
	stub_mm_reset();
	if (read) {
		read_back(owner, tcp);
	}
	stub_query_free(query);
	return 0;
}
