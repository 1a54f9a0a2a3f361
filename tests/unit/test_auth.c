/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of UPDATE authentication (module/knotd/auth.c) on the
 *        knotd stub (tests/support/knotd_stub.c): the zone's acl read
 *        through knotd_conf(), the TSIG check, the replay cache, the signing
 *        context left for Knot and the log lines.
 *
 * The stub's configuration: acl [deny-bad (192.0.2.66, deny), upd (k1),
 * own (k2, TXT at www and abs.auth.example.net. only), rmt (remote group:
 * 198.51.100.1 with k3), local (127.0.0.0/8, unsigned), noact (k3, no
 * action)].  tests/integration/test_update.py checks the same against a real
 * knotd.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "module/compat.h"
#include "module/knotd/auth.h"
#include "tests/support/knotd_stub.h"
#include "tests/support/messages.h"

#define ZONE	STUB_ZONE_ALIAS
#define WWW	"www." ZONE

enum { K1 = 0, K2 = 1, K3 = 2 };

/*! One UPDATE adding a TXT at \a owner, signed with \a key. */
static knot_pkt_t *add_txt(const char *owner, int key)
{
	msg_rr_t rr = { owner, "value", KNOT_CLASS_IN, 0, 60 };
	knot_pkt_t *query = msg_update(ZONE, &rr, 1, key);
	assert_non_null(query);
	return query;
}

/*! acme_auth_update() for \a query from \a addr, with \a replay. */
static int auth(knot_pkt_t *query, unsigned addr, acme_replay_t *replay, knotd_qdata_t *qdata,
                knotd_qdata_params_t *params)
{
	stub_qdata_init(qdata, params, query, stub_addr(addr), false);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), true);
	assert_non_null(mod);
	return acme_auth_update(mod, qdata, mod->zone, replay);
}

/*! Allowed or not, for a one-off check of the acl. */
static int verdict(knot_pkt_t *query, unsigned addr)
{
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	int ret = auth(query, addr, NULL, &qdata, &params);
	stub_query_free(query);
	stub_mm_reset();
	return ret;
}

static int setup(void **state)
{
	(void)state;
	stub_env_init();
	return 0;
}

static void unsigned_updates(void **state)
{
	(void)state;
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;

	/* acl local: unsigned from 127.0.0.0/8. */
	knot_pkt_t *query = add_txt(WWW, MSG_UNSIGNED);
	assert_int_equal(auth(query, STUB_ADDR_LOCAL, NULL, &qdata, &params), KNOT_EOK);
	assert_int_equal(qdata.rcode, KNOT_RCODE_NOERROR);
	assert_null(qdata.sign.tsig_key.name);

	/* Elsewhere no rule allows it: NOTAUTH with the TSIG error of the Knot
	 * built for (BADKEY in 3.2, none from 3.3 on), logged at debug level. */
	stub_log_clear();
	assert_int_equal(auth(query, STUB_ADDR_OTHER, NULL, &qdata, &params), KNOT_EACCES);
	assert_int_equal(qdata.rcode, KNOT_RCODE_NOTAUTH);
#if ACME_KNOT_VERSION >= 0x030300
	assert_int_equal(qdata.rcode_tsig, KNOT_RCODE_NOERROR);
#else
	assert_int_equal(qdata.rcode_tsig, KNOT_RCODE_BADKEY);
#endif
	assert_null(qdata.sign.tsig_key.name);
	assert_non_null(stub_log_find("ACL, denied, action update, remote 203.0.113.9, key none"));
	stub_query_free(query);
	stub_mm_reset();
}

static void signed_update_leaves_signing_context(void **state)
{
	(void)state;
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_pkt_t *query = add_txt("_acme-challenge.x." ZONE, K1);

	assert_int_equal(auth(query, STUB_ADDR_OTHER, NULL, &qdata, &params), KNOT_EOK);
	assert_int_equal(qdata.rcode, KNOT_RCODE_NOERROR);

	/* What Knot signs the reply with: the key, its secret, the query's MAC. */
	knot_sign_context_t *sign = &qdata.sign;
	knot_dname_t *k1 = knot_dname_from_str_alloc(stub_keys[K1].name);
	assert_true(knot_dname_is_equal(sign->tsig_key.name, k1));
	knot_dname_free(k1, NULL);
	assert_int_equal(sign->tsig_key.algorithm, stub_keys[K1].algorithm);
	assert_int_equal(sign->tsig_key.secret.size, stub_keys[K1].secret_len);
	assert_memory_equal(sign->tsig_key.secret.data, stub_keys[K1].secret,
	                    stub_keys[K1].secret_len);
	/* Copied to the query's memory, not pointing into the configuration. */
	assert_ptr_not_equal(sign->tsig_key.secret.data, stub_keys[K1].secret);
	assert_int_equal(sign->tsig_digestlen, knot_tsig_rdata_mac_length(query->tsig_rr));
	assert_memory_equal(sign->tsig_digest, knot_tsig_rdata_mac(query->tsig_rr),
	                    sign->tsig_digestlen);
	/* A copy: Knot writes the reply's (whole) digest there, and the query's
	 * MAC field may be a shorter truncated MAC (module/compat.h, 3.5.7). */
	assert_ptr_not_equal(sign->tsig_digest, knot_tsig_rdata_mac(query->tsig_rr));

	stub_query_free(query);
	stub_mm_reset();
}

static void acl_order_and_items(void **state)
{
	(void)state;
	/* deny-bad comes first: denied whatever the key. */
	assert_int_equal(verdict(add_txt(WWW, K1), STUB_ADDR_DENIED), KNOT_EACCES);
	assert_int_equal(verdict(add_txt(WWW, MSG_UNSIGNED), STUB_ADDR_DENIED), KNOT_EACCES);

	/* k2 (acl own): TXT at www and at the absolute name only. */
	assert_int_equal(verdict(add_txt(WWW, K2), STUB_ADDR_OTHER), KNOT_EOK);
	assert_int_equal(verdict(add_txt("abs." ZONE, K2), STUB_ADDR_OTHER), KNOT_EOK);
	assert_int_equal(verdict(add_txt("mail." ZONE, K2), STUB_ADDR_OTHER), KNOT_EACCES);
	assert_int_equal(verdict(add_txt("a.www." ZONE, K2), STUB_ADDR_OTHER), KNOT_EACCES);
	msg_rr_t a = { WWW, NULL, KNOT_CLASS_ANY, KNOT_RRTYPE_A, 0 };
	assert_int_equal(verdict(msg_update(ZONE, &a, 1, K2), STUB_ADDR_OTHER), KNOT_EACCES);

	/* k3 through the remote group from its address; elsewhere acl noact
	 * (k3, no action) ends the walk, denied. */
	assert_int_equal(verdict(add_txt(WWW, K3), STUB_ADDR_REMOTE), KNOT_EOK);
	assert_int_equal(verdict(add_txt(WWW, K3), STUB_ADDR_OTHER), KNOT_EACCES);

	/* The same zone's other setup. */
	msg_rr_t deleg = { STUB_ZONE_DELEG, "value", KNOT_CLASS_IN, 0, 60 };
	assert_int_equal(verdict(msg_update(STUB_ZONE_DELEG, &deleg, 1, K1), STUB_ADDR_OTHER),
	                 KNOT_EOK);
}

static void bad_mac(void **state)
{
	(void)state;
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_pkt_t *query = add_txt(WWW, K1);
	uint8_t *mac = (uint8_t *)knot_tsig_rdata_mac(query->tsig_rr);
	mac[0] ^= 0xff;

	stub_log_clear();
	assert_int_equal(auth(query, STUB_ADDR_OTHER, NULL, &qdata, &params), KNOT_TSIG_EBADSIG);
	assert_int_equal(qdata.rcode, KNOT_RCODE_NOTAUTH);
	assert_int_equal(qdata.rcode_tsig, KNOT_RCODE_BADSIG);
	assert_non_null(stub_log_find("TSIG, key 'k1.', verification failed 'BADSIG'"));
	stub_query_free(query);
	stub_mm_reset();
}

static void replay(void **state)
{
	(void)state;
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_dname_t *zone = knot_dname_from_str_alloc(ZONE);
	acme_replay_t *cache = NULL;
	assert_int_equal(acme_replay_open(&cache, zone, 16), KNOT_EOK);
	knot_pkt_t *query = add_txt(WWW, K1);

	assert_int_equal(auth(query, STUB_ADDR_OTHER, cache, &qdata, &params), KNOT_EOK);

	/* The same message again: a replay, NOTAUTH/BADTIME, signed by Knot. */
	stub_log_clear();
	assert_int_equal(auth(query, STUB_ADDR_OTHER, cache, &qdata, &params), KNOT_EEXIST);
	assert_int_equal(qdata.rcode, KNOT_RCODE_NOTAUTH);
	assert_int_equal(qdata.rcode_tsig, KNOT_RCODE_BADTIME);
	assert_non_null(qdata.sign.tsig_key.name);
	assert_int_equal(qdata.sign.tsig_time_signed, knot_tsig_rdata_time_signed(query->tsig_rr));
	assert_non_null(stub_log_find("TSIG, key 'k1.', replayed message"));

	/* Without a cache nothing is remembered. */
	assert_int_equal(auth(query, STUB_ADDR_OTHER, NULL, &qdata, &params), KNOT_EOK);

	stub_query_free(query);
	stub_mm_reset();
	acme_replay_close(cache);
	knot_dname_free(zone, NULL);
}

static void tsig_error_names(void **state)
{
	(void)state;
	assert_null(acme_auth_tsig_error_name(KNOT_RCODE_NOERROR));
	assert_string_equal(acme_auth_tsig_error_name(KNOT_RCODE_BADSIG), "BADSIG");
	assert_string_equal(acme_auth_tsig_error_name(KNOT_RCODE_BADKEY), "BADKEY");
	assert_string_equal(acme_auth_tsig_error_name(KNOT_RCODE_BADTIME), "BADTIME");
}

static void bad_arguments(void **state)
{
	(void)state;
	knotd_qdata_t qdata;
	knotd_qdata_params_t params;
	knot_pkt_t *query = add_txt(WWW, K1);
	stub_qdata_init(&qdata, &params, query, stub_addr(STUB_ADDR_OTHER), false);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), true);

	assert_int_equal(acme_auth_update(mod, NULL, mod->zone, NULL), KNOT_EINVAL);
	assert_int_equal(acme_auth_update(NULL, &qdata, mod->zone, NULL), KNOT_EINVAL);
	assert_int_equal(qdata.rcode, KNOT_RCODE_SERVFAIL);
	assert_int_equal(acme_auth_update(mod, &qdata, NULL, NULL), KNOT_EINVAL);
	stub_query_free(query);
	stub_mm_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unsigned_updates),
		cmocka_unit_test(signed_update_leaves_signing_context),
		cmocka_unit_test(acl_order_and_items),
		cmocka_unit_test(bad_mac),
		cmocka_unit_test(replay),
		cmocka_unit_test(tsig_error_names),
		cmocka_unit_test(bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
