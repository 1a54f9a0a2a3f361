/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "tests/unit/ddns_helpers.h"

void msg_free(fixture_t *f)
{
	knot_pkt_free(f->msg);
	f->msg = NULL;
	free(f->wire);
	f->wire = NULL;
}

int setup_dir(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	if (f == NULL || test_tmpdir(f->dir, f->path, "ddns") != 0) {
		free(f);
		return -1;
	}
	f->policy = (acme_policy_t){ .lifetime = LIFETIME, .max_records = 0 };
	f->strict = true;
	*state = f;
	return 0;
}

int setup_store(void **state)
{
	if (setup_dir(state) != 0) {
		return -1;
	}
	fixture_t *f = *state;
	acme_lmdb_opts_t opts = { .create = true, .no_purger = true };
	return acme_lmdb_open(&f->store, f->path, &opts) == KNOT_EOK ? 0 : -1;
}

int teardown(void **state)
{
	fixture_t *f = *state;
	msg_free(f);
	knot_rrset_free(f->apex_soa, NULL);
	if (f->store != NULL) {
		acme_store_close(f->store);
	}
	int ret = test_rmtree(f->dir);
	free(f);
	return ret == 0 ? 0 : -1;
}

/*! Rdata described by \a str; returns its length. */
uint16_t rdata_from_desc(uint16_t type, const char *str, uint8_t *out, size_t size)
{
	if (str == NULL) {
		return 0;
	}
	if (type == KNOT_RRTYPE_A) {
		assert_true(size >= 4);
		assert_int_equal(inet_pton(AF_INET, str, out), 1);
		return 4;
	}
	size_t len = 0;
	for (;;) {
		const char *end = strchr(str, '|');
		size_t slen = end ? (size_t)(end - str) : strlen(str);
		assert_true(slen <= 255);
		assert_true(len + 1 + slen <= size);
		out[len++] = slen;
		memcpy(out + len, str, slen);
		len += slen;
		if (end == NULL) {
			return len;
		}
		str = end + 1;
	}
}

/*!
 * Builds an UPDATE (zone \a zone, zone section class and type as given) with
 * \a rrs, writes it to wire and parses the wire into f->msg.  Sections must
 * come in order (prerequisites first).
 */
knot_pkt_t *build_msg(fixture_t *f, const char *zone, uint16_t qclass, uint16_t qtype,
                             const rr_desc_t *rrs, size_t count)
{
	assert_true(count <= MAX_RRS);
	msg_free(f);

	knot_pkt_t *out = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	assert_non_null(out);
	knot_wire_set_id(out->wire, 0xacde);
	knot_wire_set_opcode(out->wire, KNOT_OPCODE_UPDATE);
	if (zone != NULL) {
		assert_int_equal(knot_pkt_put_question(out, dn(zone), qclass, qtype), KNOT_EOK);
	}

	knot_rrset_t *sets[MAX_RRS] = { NULL };
	for (size_t i = 0; i < count; i++) {
		const rr_desc_t *d = &rrs[i];
		assert_int_equal(knot_pkt_begin(out, d->section), KNOT_EOK);
		sets[i] = knot_rrset_new(dn(d->owner), d->type, d->rclass, d->ttl, NULL);
		assert_non_null(sets[i]);
		uint8_t rdata[1024];
		uint16_t len = rdata_from_desc(d->type, d->rdata, rdata, sizeof(rdata));
		assert_int_equal(knot_rrset_add_rdata(sets[i], rdata, len, NULL), KNOT_EOK);
		int ret = knot_pkt_put(out, KNOT_COMPR_HINT_NONE, sets[i], 0);
		if (ret == KNOT_EMALF && ACME_KNOT_STRICT_RDATA) {
			/* Never reaches the module: Knot answers FORMERR itself. */
			for (size_t j = 0; j <= i; j++) {
				knot_rrset_free(sets[j], NULL);
			}
			knot_pkt_free(out);
			f->libknot_refused = true;
			return NULL;
		}
		assert_int_equal(ret, KNOT_EOK);
	}

	f->wire = malloc(out->size);
	assert_non_null(f->wire);
	memcpy(f->wire, out->wire, out->size);
	size_t size = out->size;
	knot_pkt_free(out);
	for (size_t i = 0; i < count; i++) {
		knot_rrset_free(sets[i], NULL);
	}

	f->msg = knot_pkt_new(f->wire, size, NULL);
	assert_non_null(f->msg);
	int ret = knot_pkt_parse(f->msg, f->parse_flags);
	if (ret == KNOT_EMALF && ACME_KNOT_STRICT_RDATA) {
		msg_free(f);
		f->libknot_refused = true;
		return NULL;
	}
	assert_int_equal(ret, KNOT_EOK);
	assert_int_equal(knot_wire_get_opcode(f->msg->wire), KNOT_OPCODE_UPDATE);
	return f->msg;
}

/*! Runs the last built message through acme_ddns_process(). */
uint16_t process(fixture_t *f, uint64_t now)
{
	f->ddns = (acme_ddns_t){
		.query = f->msg,
		.zone = knot_pkt_qname(f->msg),
		.strict = f->strict,
		.zone_rrset = f->zone_rrset,
		.zone_ctx = f,
	};
	/* Garbage that process() must reset. */
	f->ddns.reason = "stale";
	f->ddns.result.added = 77;
	return acme_ddns_process(&f->ddns, f->store, &f->policy, now);
}

/*! Builds an UPDATE of ZONE holding \a rrs and processes it at \a now. */
uint16_t run(fixture_t *f, uint64_t now, const rr_desc_t *rrs, size_t count)
{
	f->libknot_refused = false;
	if (build_msg(f, ZONE, KNOT_CLASS_IN, KNOT_RRTYPE_SOA, rrs, count) == NULL) {
		return KNOT_RCODE_FORMERR;  /* knotd's answer to what it cannot parse. */
	}
	return process(f, now);
}

const char *rcode_name(uint16_t rcode)
{
	const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, rcode);
	return item != NULL ? item->name : "?";
}

/*! Asserts that the last processing was refused for \a owner, with a reason. */
void assert_reason(fixture_t *f, const char *owner)
{
	if (f->libknot_refused) {
		return;  /* Refused by libknot: the module gave no reason. */
	}
	assert_non_null(f->ddns.reason);
	assert_string_not_equal(f->ddns.reason, "stale");
	assert_true(strlen(f->ddns.reason) > 0);
	if (owner != NULL) {
		assert_non_null(f->ddns.reason_owner);
		assert_true(knot_dname_is_case_equal(f->ddns.reason_owner, dn(owner)));
	}
}

int find_cb(const acme_value_t *value, void *arg)
{
	find_ctx_t *c = arg;
	c->count++;
	if (c->want != NULL && value->rdata_len == c->want_len &&
	    memcmp(value->rdata, c->want, c->want_len) == 0) {
		c->found = true;
		c->value = *value;
		c->value.owner = NULL;
		c->value.rdata = NULL;
	}
	return KNOT_EOK;
}

/*! Live value \a str (TXT, '|'-separated strings) at \a owner at \a now. */
bool find(fixture_t *f, const char *owner, const char *str, uint64_t now,
                 acme_value_t *out)
{
	uint8_t rdata[1024];
	uint16_t len = rdata_from_desc(KNOT_RRTYPE_TXT, str, rdata, sizeof(rdata));
	find_ctx_t c = { .want = rdata, .want_len = len };
	int ret = store_read(f->store, dn(owner), now, find_cb, &c, NULL);
	assert_true(ret >= 0);
	assert_int_equal(ret, c.count);
	if (out != NULL) {
		*out = c.value;
	}
	return c.found;
}

/*! Number of live values of \a owner at \a now. */
int count_at(fixture_t *f, const char *owner, uint64_t now)
{
	int ret = store_read(f->store, dn(owner), now, NULL, NULL, NULL);
	assert_true(ret >= 0);
	return ret;
}

/*! Number of values on disk, expired or not. */
size_t count_disk(fixture_t *f)
{
	find_ctx_t c = { .want = NULL };
	int ret = acme_store_list(f->store, NULL, 0, find_cb, &c);
	assert_true(ret >= 0);
	return c.count;
}

knot_rrset_t zone_cb(const knot_dname_t *owner, uint16_t type, void *ctx)
{
	fixture_t *f = ctx;
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	if (f->apex_soa != NULL && knot_dname_is_case_equal(owner, f->apex_soa->owner) &&
	    (type == KNOT_RRTYPE_SOA || type == KNOT_RRTYPE_ANY)) {
		rr = *f->apex_soa;
	}
	return rr;
}

void use_zone_cb(fixture_t *f)
{
	static const uint8_t soa[] =
		"\x02ns\x04""acme\x07""example\x00"
		"\x0ahostmaster\x04""acme\x07""example\x00"
		"\x78\xc4\x6a\x95" "\x00\x00\x0e\x10" "\x00\x00\x03\x84"
		"\x00\x09\x3a\x80" "\x00\x00\x01\x2c";
	f->apex_soa = knot_rrset_new(dn(ZONE), KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 3600, NULL);
	assert_non_null(f->apex_soa);
	assert_int_equal(knot_rrset_add_rdata(f->apex_soa, soa, sizeof(soa) - 1, NULL),
	                 KNOT_EOK);
	f->zone_rrset = zone_cb;
}
