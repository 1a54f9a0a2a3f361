/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdlib.h>
#include <string.h>

#include "tests/support/knotd_stub.h"
#include "tests/support/messages.h"

#define MSG_MAX		4096

/*! Parses \a len bytes of \a wire as knotd would. */
static knot_pkt_t *parsed(const uint8_t *wire, size_t len)
{
	return stub_query_parse(wire, len);
}

static int put_rr(knot_pkt_t *pkt, const msg_rr_t *m)
{
	knot_dname_t *owner = knot_dname_from_str_alloc(m->owner);
	if (owner == NULL) {
		return KNOT_EINVAL;
	}
	knot_rrset_t rr;
	knot_rrset_init(&rr, owner, m->type ? m->type : KNOT_RRTYPE_TXT, m->rclass, m->ttl);
	/* No value: one empty rdata, the RR with RDLENGTH 0 (delete RRset). */
	int ret = (m->value == NULL) ? knot_rrset_add_rdata(&rr, NULL, 0, NULL) : KNOT_EOK;
	if (m->value != NULL) {
		/* TXT: one character-string; other types: the bytes as they are. */
		bool txt = (rr.type == KNOT_RRTYPE_TXT);
		uint8_t rdata[256];
		size_t len = strlen(m->value);
		if (len > 255) {
			ret = KNOT_EINVAL;
		} else {
			rdata[0] = len;
			memcpy(rdata + txt, m->value, len);
			ret = knot_rrset_add_rdata(&rr, rdata, len + txt, NULL);
		}
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, 0);
	}
	knot_rdataset_clear(&rr.rrs, NULL);
	knot_dname_free(owner, NULL);
	return ret;
}

knot_pkt_t *msg_update(const char *zone, const msg_rr_t *rrs, size_t count, int key)
{
	uint8_t wire[MSG_MAX] = { 0 };
	knot_dname_t *apex = knot_dname_from_str_alloc(zone);
	knot_pkt_t *pkt = knot_pkt_new(wire, sizeof(wire), NULL);
	int ret = (apex != NULL && pkt != NULL) ? KNOT_EOK : KNOT_ENOMEM;
	if (ret == KNOT_EOK) {
		knot_wire_set_id(pkt->wire, 0x2136);
		knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_UPDATE);
		ret = knot_pkt_put_question(pkt, apex, KNOT_CLASS_IN, KNOT_RRTYPE_SOA);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	}
	for (size_t i = 0; ret == KNOT_EOK && i < count; i++) {
		ret = put_rr(pkt, &rrs[i]);
	}
	size_t len = (pkt != NULL) ? pkt->size : 0;
	knot_pkt_free(pkt);
	knot_dname_free(apex, NULL);

	if (ret == KNOT_EOK && key != MSG_UNSIGNED) {
		const stub_key_t *k = &stub_keys[key];
		knot_tsig_key_t tsig = {
			.algorithm = k->algorithm,
			.name = knot_dname_from_str_alloc(k->name),
			.secret = { .size = k->secret_len, .data = (uint8_t *)k->secret },
		};
		uint8_t digest[64];
		size_t digest_len = sizeof(digest);
		ret = knot_tsig_sign(wire, &len, sizeof(wire), NULL, 0, digest, &digest_len,
		                     &tsig, 0, 0);
		knot_dname_free(tsig.name, NULL);
	}
	return (ret == KNOT_EOK) ? parsed(wire, len) : NULL;
}

knot_pkt_t *msg_query(const char *qname, uint16_t qtype, bool dnssec)
{
	uint8_t wire[MSG_MAX] = { 0 };
	knot_dname_t *name = knot_dname_from_str_alloc(qname);
	knot_pkt_t *pkt = knot_pkt_new(wire, sizeof(wire), NULL);
	int ret = (name != NULL && pkt != NULL) ? KNOT_EOK : KNOT_ENOMEM;
	if (ret == KNOT_EOK) {
		knot_wire_set_id(pkt->wire, 0x0053);
		ret = knot_pkt_put_question(pkt, name, KNOT_CLASS_IN, qtype);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_begin(pkt, KNOT_ADDITIONAL);
	}
	knot_rrset_t opt;
	if (ret == KNOT_EOK) {
		ret = knot_edns_init(&opt, 1232, 0, 0, NULL);
	}
	if (ret == KNOT_EOK) {
		if (dnssec) {
			knot_edns_set_do(&opt);
		}
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
	}
	size_t len = (pkt != NULL) ? pkt->size : 0;
	knot_pkt_free(pkt);
	knot_dname_free(name, NULL);
	return (ret == KNOT_EOK) ? parsed(wire, len) : NULL;
}

msg_sent_t msg_send(knot_pkt_t *query, unsigned addr)
{
	msg_sent_t out = { .state = STUB_STATE_PRODUCE, .rcode = -1 };
	if (query == NULL) {
		abort();
	}
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_pkt_t *reply = NULL;
	out.state = stub_run_begin(query, stub_addr(addr), false, &qdata, &params, &reply);
	if (reply != NULL && out.state != STUB_STATE_PRODUCE) {
		knot_pkt_t *check = knot_pkt_new(reply->wire, reply->size, NULL);
		if (check == NULL || knot_pkt_parse(check, 0) != KNOT_EOK) {
			abort();
		}
		out.rcode = knot_wire_get_rcode(check->wire);
		out.signed_reply = knot_pkt_has_tsig(check);
		knot_pkt_free(check);
	}
	stub_mm_reset();
	stub_query_free(query);
	return out;
}

size_t msg_served(const char *owner)
{
	knot_pkt_t *query = msg_query(owner, KNOT_RRTYPE_TXT, false);
	if (query == NULL) {
		abort();
	}
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_pkt_t *reply = NULL;
	knotd_in_state_t state = stub_run_answer(query, KNOTD_IN_STATE_MISS, false, 1232,
	                                         &qdata, &params, &reply);
	size_t count = 0;
	if (state == KNOTD_IN_STATE_HIT) {
		const knot_pktsection_t *answer = knot_pkt_section(reply, KNOT_ANSWER);
		count = (answer->count == 1) ? knot_pkt_rr(answer, 0)->rrs.count : 0;
	}
	stub_mm_reset();
	stub_query_free(query);
	return count;
}
