/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libdnssec/binary.h>
#include <libknot/libknot.h>

#include "module/tool/aclconf.h"
#include "module/tool/check.h"
#include "module/tool/cli.h"
#include "module/tool/conf.h"
#include "module/tool/dnsclient.h"

/*! Above this, cached answers may hide a fresh value from a CA for long. */
#define TTL_WARN	300
/*! CNAME hops followed at most. */
#define MAX_HOPS	8
/*! Longest wait for the probe value to show through the resolver. */
#define PROBE_WAIT_MAX	30

typedef struct {
	const tool_src_t *src;
	tool_conf_t *conf;
	const char *resolver_arg;
	const char *server_arg;
	const char *key_arg;
	bool probe;

	knot_dname_storage_t challenge;
	char challenge_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	char base[KNOT_DNAME_TXT_MAXLEN + 1];
	tool_addr_t resolver;
	tool_addr_t server;

	knot_dname_storage_t target;          /*!< Where the chain leads. */
	char target_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	const tool_zone_t *zone;
	uint32_t neg_ttl;                     /*!< From knotd's SOA of the zone. */
	bool have_soa;                        /*!< knotd served the zone's SOA. */
	bool lame;                            /*!< Already reported: no answer. */
	bool missing;                         /*!< Already reported: NXDOMAIN. */
	bool have_key;
	knot_tsig_key_t key;
	char key_txt[KNOT_DNAME_TXT_MAXLEN + 1];
	unsigned errors;
} check_t;

static void finding(check_t *c, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finding(check_t *c, const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s: ", level);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	if (strcmp(level, "error") == 0) {
		c->errors++;
	}
	fflush(stdout);
}

static const char *rcode_str(uint16_t rcode)
{
	const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, rcode);
	return item != NULL ? item->name : "?";
}

/*! The first RR of \a type in \a section owned by \a owner (NULL: any). */
static const knot_rrset_t *find_rr(const knot_pkt_t *pkt, knot_section_t section,
                                   const knot_dname_t *owner, uint16_t type)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, section);
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type == type && (owner == NULL || knot_dname_is_case_equal(rr->owner, owner))) {
			return rr;
		}
	}
	return NULL;
}

/* --- from the resolver ---------------------------------------------------------- */

/*!
 * Follows CNAMEs from c->target one query per hop (type CNAME: the resolver
 * answers each from its zone without chasing the target, which may fail).
 */
static int follow_cnames(check_t *c)
{
	int hops = 0;
	while (hops < MAX_HOPS) {
		knot_pkt_t *reply = NULL;
		if (tool_dns_query(&c->resolver, c->target, KNOT_RRTYPE_CNAME, TOOL_Q_RD,
		                   &reply) != KNOT_EOK) {
			break;
		}
		const knot_rrset_t *cname = find_rr(reply, KNOT_ANSWER, c->target,
		                                    KNOT_RRTYPE_CNAME);
		if (cname != NULL) {
			knot_dname_copy_lower(c->target, knot_cname_name(cname->rrs.rdata));
			hops++;
		}
		knot_pkt_free(reply);
		if (cname == NULL) {
			break;
		}
	}
	return hops;
}

/*! True when the resolver answers for the challenge name's parent. */
static bool parent_answers(check_t *c)
{
	knot_pkt_t *reply = NULL;
	const knot_dname_t *parent = c->challenge + 1 + c->challenge[0]; /* Uncompressed. */
	int ret = tool_dns_query(&c->resolver, parent, KNOT_RRTYPE_SOA, TOOL_Q_RD, &reply);
	knot_pkt_free(reply);
	return ret == KNOT_EOK;
}

/*! The alias target register made for the name, from its acl ("" if none). */
static void registered_target(check_t *c, char *out, size_t size)
{
	char acl[KNOT_DNAME_TXT_MAXLEN + 16];
	snprintf(acl, sizeof(acl), "knot-acme-%s", c->base);
	const char *name = tool_conf_get(c->conf, "acl", acl, "update-owner-name");
	snprintf(out, size, "%s", name != NULL ? name : "");
}

/*! The challenge name does not exist at the resolver: which record is missing? */
static void missing_record(check_t *c)
{
	c->missing = true;
	const tool_zone_t *zone = tool_conf_zone_of(c->conf, c->challenge);
	char target[KNOT_DNAME_TXT_MAXLEN + 1];
	registered_target(c, target, sizeof(target));
	if (zone != NULL && knot_dname_is_equal(zone->name, c->target)) {
		finding(c, "error", "missing NS: %s is a zone of this knotd, but the resolver "
		        "finds no delegation to it: add NS records for it, naming this server, "
		        "to its parent zone", c->challenge_txt);
	} else if (target[0] != '\0' && strcasecmp(target, c->challenge_txt) != 0) {
		finding(c, "error", "missing CNAME: %s does not exist at the resolver: add to the "
		        "main zone: %s CNAME %s", c->challenge_txt, c->challenge_txt, target);
	} else {
		finding(c, "error", "missing CNAME or NS: %s does not exist at the resolver: "
		        "add the record knot-acme register printed to the main zone",
		        c->challenge_txt);
	}
}

/*!
 * Follows the challenge name at the resolver; sets c->target.
 *
 * \return false when nothing more can be checked.
 */
static bool follow(check_t *c)
{
	knot_dname_copy_lower(c->target, c->challenge);
	knot_pkt_t *reply = NULL;
	int ret = tool_dns_query(&c->resolver, c->challenge, KNOT_RRTYPE_TXT, TOOL_Q_RD, &reply);
	uint16_t rcode = KNOT_RCODE_SERVFAIL;
	if (ret == KNOT_EOK) {
		rcode = knot_pkt_ext_rcode(reply);
	} else if (!parent_answers(c)) {
		finding(c, "error", "the resolver %s does not answer (%s)", c->resolver.text,
		        knot_strerror(ret));
		return false;
	}
	knot_pkt_free(reply);

	int hops = follow_cnames(c);
	tool_name_str(c->target, c->target_txt, sizeof(c->target_txt));
	if (hops > 0) {
		finding(c, "ok", "%s is a CNAME%s to %s", c->challenge_txt,
		        hops > 1 ? " chain" : "", c->target_txt);
	}

	if (rcode == KNOT_RCODE_SERVFAIL && hops == 0) {
		/* Nothing at the resolver: why not, when the rest is fine? */
		knot_pkt_t *cd = NULL;
		if (ret == KNOT_EOK &&
		    tool_dns_query(&c->resolver, c->challenge, KNOT_RRTYPE_TXT,
		                   TOOL_Q_RD | TOOL_Q_CD, &cd) == KNOT_EOK &&
		    knot_pkt_ext_rcode(cd) != KNOT_RCODE_SERVFAIL) {
			finding(c, "error", "DNSSEC: the resolver's answer for %s is bogus (SERVFAIL, "
			        "fine with checking disabled): a DS for an unsigned challenge zone, "
			        "or a signed zone whose challenge answers are not signed",
			        c->challenge_txt);
		} else {
			finding(c, "error", "lame delegation: the resolver cannot get an answer for %s "
			        "(%s): the NS records of its zone must name a server that serves "
			        "the zone", c->challenge_txt, ret == KNOT_EOK ? "SERVFAIL" :
			        "no answer in time");
		}
		knot_pkt_free(cd);
		c->lame = true;
	} else if (rcode == KNOT_RCODE_NXDOMAIN && hops == 0) {
		missing_record(c);
	} else if (rcode != KNOT_RCODE_NOERROR && rcode != KNOT_RCODE_NXDOMAIN &&
	           rcode != KNOT_RCODE_SERVFAIL) {
		finding(c, "error", "the resolver answers %s for %s", rcode_str(rcode),
		        c->challenge_txt);
	}
	return true;
}

/* --- this server ---------------------------------------------------------------- */

static bool find_zone(check_t *c)
{
	c->zone = tool_conf_zone_of(c->conf, c->target);
	bool aliased = !knot_dname_is_case_equal(c->target, c->challenge);
	if (c->zone == NULL) {
		if (c->missing) {
			/* Reported: the record in the main zone comes first. */
		} else if (aliased) {
			finding(c, "error", "CNAME to another host: %s leads to %s, which no zone of "
			        "this knotd serves", c->challenge_txt, c->target_txt);
		} else {
			finding(c, "error", "%s is in no zone of this knotd: delegate it here (NS) or "
			        "point it with a CNAME to a mod-acme zone here", c->challenge_txt);
		}
		return false;
	}
	if (c->zone->acme == NULL) {
		finding(c, "error", "module not in the zone: %s is in zone %s, which does not use "
		        "mod-acme", c->target_txt, c->zone->domain);
		return false;
	}
	finding(c, "ok", "%s is in zone %s, which uses mod-acme%s%s", c->target_txt,
	        c->zone->domain, c->zone->acme->id[0] ? "/" : "", c->zone->acme->id);
	if (c->zone->dnssec_signing) {
		finding(c, "error", "zone %s is signed by knotd (dnssec-signing): mod-acme's "
		        "answers would not validate", c->zone->domain);
	}
	return true;
}

/*! The zone's SOA from knotd, and from the resolver: loaded, and reached? */
static void check_served(check_t *c)
{
	knot_dname_t *zname = knot_dname_from_str_alloc(c->zone->domain);
	if (zname == NULL) {
		return;
	}
	knot_pkt_t *local = NULL, *remote = NULL;
	int ret = tool_dns_query(&c->server, zname, KNOT_RRTYPE_SOA, 0, &local);
	const knot_rrset_t *soa = NULL;
	if (ret != KNOT_EOK) {
		finding(c, "error", "knotd does not answer at %s (%s): is it running? "
		        "(--server ADDR@PORT)", c->server.text, knot_strerror(ret));
	} else if (knot_pkt_ext_rcode(local) != KNOT_RCODE_NOERROR ||
	           !knot_wire_get_aa(local->wire) ||
	           (soa = find_rr(local, KNOT_ANSWER, zname, KNOT_RRTYPE_SOA)) == NULL) {
		finding(c, "error", "zone not loaded: knotd at %s answers %s for zone %s (its "
		        "log says why: zone file missing or broken?)", c->server.text,
		        rcode_str(knot_pkt_ext_rcode(local)), c->zone->domain);
	} else {
		uint32_t min = knot_soa_minimum(soa->rrs.rdata);
		c->neg_ttl = soa->ttl < min ? soa->ttl : min;
		c->have_soa = true;
		finding(c, "ok", "zone %s is loaded and served by knotd at %s", c->zone->domain,
		        c->server.text);
	}

	if (soa == NULL) {
		/* What the resolver gets follows from it. */
		knot_pkt_free(local);
		knot_dname_free(zname, NULL);
		return;
	}
	ret = tool_dns_query(&c->resolver, zname, KNOT_RRTYPE_SOA, TOOL_Q_RD, &remote);
	const knot_rrset_t *rsoa = NULL;
	if (ret == KNOT_EOK) {
		rsoa = find_rr(remote, KNOT_ANSWER, zname, KNOT_RRTYPE_SOA);
	}
	if (c->lame && (ret != KNOT_EOK || knot_pkt_ext_rcode(remote) == KNOT_RCODE_SERVFAIL)) {
		/* Reported. */
	} else if (ret != KNOT_EOK) {
		finding(c, "error", "the resolver %s does not answer for zone %s (%s)",
		        c->resolver.text, c->zone->domain, knot_strerror(ret));
	} else if (knot_pkt_ext_rcode(remote) == KNOT_RCODE_SERVFAIL) {
		finding(c, "error", "lame delegation: the resolver cannot reach zone %s "
		        "(SERVFAIL): its NS records must name this server", c->zone->domain);
	} else if (rsoa == NULL && c->missing &&
	           knot_dname_is_case_equal(zname, c->challenge)) {
		/* Reported: missing NS. */
	} else if (rsoa == NULL) {
		const knot_rrset_t *auth = find_rr(remote, KNOT_AUTHORITY, NULL, KNOT_RRTYPE_SOA);
		char other[KNOT_DNAME_TXT_MAXLEN + 1] = "?";
		if (auth != NULL) {
			tool_name_str(auth->owner, other, sizeof(other));
		}
		finding(c, "error", "missing NS: to the resolver, %s is not a zone (%s, from zone "
		        "%s): add NS records for it, naming this server, in its parent zone",
		        c->zone->domain, rcode_str(knot_pkt_ext_rcode(remote)), other);
	} else if (soa != NULL && knot_rdata_cmp(soa->rrs.rdata, rsoa->rrs.rdata) != 0) {
		finding(c, "warning", "the resolver's SOA of %s differs from this knotd's (serial "
		        "%u, here %u): another server answers for the zone (lame or stale "
		        "delegation?)", c->zone->domain, knot_soa_serial(rsoa->rrs.rdata),
		        knot_soa_serial(soa->rrs.rdata));
	} else {
		finding(c, "ok", "the resolver reaches zone %s", c->zone->domain);
	}
	knot_pkt_free(local);
	knot_pkt_free(remote);
	knot_dname_free(zname, NULL);
}

static void check_ttls(check_t *c)
{
	if (!c->have_soa) {
		return;
	}
	if (c->neg_ttl > TTL_WARN) {
		finding(c, "warning", "negative answers in zone %s are cached for %u s (SOA "
		        "minimum and TTL): a CA that asked before the value existed would not "
		        "see it for that long", c->zone->domain, c->neg_ttl);
	}
	uint32_t max_ttl = c->zone->acme->max_ttl;
	if (max_ttl > TTL_WARN) {
		finding(c, "warning", "values are answered with TTLs up to %u s (max-ttl): a CA "
		        "that cached a previous value would not see a new one for that long",
		        max_ttl);
	} else {
		finding(c, "ok", "TTLs: values at most %u s (max-ttl), negative answers %u s",
		        max_ttl, c->neg_ttl);
	}
}

static void check_dnssec(check_t *c)
{
	knot_pkt_t *reply = NULL;
	int ret = tool_dns_query(&c->resolver, c->target, KNOT_RRTYPE_TXT,
	                         TOOL_Q_RD | TOOL_Q_DO, &reply);
	if (ret != KNOT_EOK) {
		return;
	}
	uint16_t rcode = knot_pkt_ext_rcode(reply);
	if (rcode == KNOT_RCODE_SERVFAIL) {
		knot_pkt_t *cd = NULL;
		if (tool_dns_query(&c->resolver, c->target, KNOT_RRTYPE_TXT,
		                   TOOL_Q_RD | TOOL_Q_DO | TOOL_Q_CD, &cd) == KNOT_EOK &&
		    knot_pkt_ext_rcode(cd) != KNOT_RCODE_SERVFAIL) {
			finding(c, "error", "DNSSEC: answers for %s are bogus at the resolver "
			        "(SERVFAIL, fine with checking disabled)", c->target_txt);
		}
		knot_pkt_free(cd);
	} else if (knot_wire_get_ad(reply->wire)) {
		finding(c, "ok", "DNSSEC: answers for %s validate (secure)", c->target_txt);
	} else {
		finding(c, "ok", "DNSSEC: answers for %s are insecure (not signed, or the "
		        "resolver does not validate)", c->target_txt);
	}
	knot_pkt_free(reply);
}

/* --- the key -------------------------------------------------------------------- */

/*! The key to check: --key (a name in the configuration, or
 *  [ALG:]NAME:SECRET), else the one register made for the name. */
static int load_key(check_t *c)
{
	char spec[4096];
	const char *arg = c->key_arg;
	char regname[KNOT_DNAME_TXT_MAXLEN + 16];
	if (arg == NULL) {
		snprintf(regname, sizeof(regname), "knot-acme-%s.", c->base);
		if (!tool_conf_has(c->conf, "key", regname)) {
			finding(c, "warning", "no key checked: give --key NAME (or "
			        "[ALG:]NAME:SECRET); %s is not registered", c->base);
			return KNOT_ENOENT;
		}
		arg = regname;
	}
	const char *colon = strchr(arg, ':');
	if (colon == NULL) {
		const char *secret = tool_conf_get(c->conf, "key", arg, "secret");
		const char *alg = tool_conf_get(c->conf, "key", arg, "algorithm");
		if (secret == NULL) {
			finding(c, "error", "key %s is not in knotd's configuration", arg);
			return KNOT_ENOENT;
		}
		snprintf(spec, sizeof(spec), "%s:%s:%s", alg != NULL ? alg : "hmac-sha256",
		         arg, secret);
	} else if (strchr(colon + 1, ':') == NULL) {
		snprintf(spec, sizeof(spec), "hmac-sha256:%s", arg);
	} else {
		snprintf(spec, sizeof(spec), "%s", arg);
	}
	int ret = knot_tsig_key_init_str(&c->key, spec);
	explicit_bzero(spec, sizeof(spec));
	if (ret != KNOT_EOK) {
		finding(c, "error", "invalid key '%s' (%s)", c->key_arg, knot_strerror(ret));
		return ret;
	}
	c->have_key = true;
	knot_dname_to_lower(c->key.name);
	tool_name_str(c->key.name, c->key_txt, sizeof(c->key_txt));

	/* A key given with its secret must be knotd's. */
	const char *secret = tool_conf_get(c->conf, "key", c->key_txt, "secret");
	if (secret == NULL) {
		finding(c, "error", "key %s is not in knotd's configuration", c->key_txt);
		return KNOT_ENOENT;
	}
	knot_tsig_key_t conf_key;
	char conf_spec[4096];
	snprintf(conf_spec, sizeof(conf_spec), "%s:%s", c->key_txt, secret);
	if (knot_tsig_key_init_str(&conf_key, conf_spec) == KNOT_EOK) {
		if (dnssec_binary_cmp(&conf_key.secret, &c->key.secret) != 0) {
			finding(c, "error", "key %s: the secret given is not knotd's", c->key_txt);
		}
		knot_tsig_key_deinit(&conf_key);
	}
	explicit_bzero(conf_spec, sizeof(conf_spec));
	return KNOT_EOK;
}

static bool check_key(check_t *c)
{
	if (load_key(c) != KNOT_EOK) {
		return false;
	}
	tool_acl_answer_t answer;
	int ret = tool_acl_may_update(c->conf, c->zone->domain, c->target, c->key.name,
	                              c->key.algorithm, &answer);
	if (ret != KNOT_EOK) {
		finding(c, "error", "cannot evaluate the acl of zone %s (%s)", c->zone->domain,
		        knot_strerror(ret));
		return false;
	}
	if (!answer.allowed) {
		finding(c, "error", "key not allowed for the name: %s%s%s of zone %s lets key "
		        "%s update TXT at %s", answer.acl[0] ? "acl " : "no acl",
		        answer.acl, answer.acl[0] ? " denies it: no acl" : "",
		        c->zone->domain, c->key_txt, c->target_txt);
		return false;
	}
	finding(c, "ok", "key %s may update TXT at %s (acl %s%s)", c->key_txt, c->target_txt,
	        answer.acl, answer.addr_restricted ? ", from its listed addresses only" : "");
	return true;
}

/* --- the probe ------------------------------------------------------------------ */

/*! A random RFC 8555-shaped value: 43 base64url characters. */
static int probe_value(char out[44])
{
	uint8_t raw[32];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw)) {
		return KNOT_ERROR;
	}
	dnssec_binary_t bin = { .size = sizeof(raw), .data = raw }, b64 = { 0 };
	if (dnssec_binary_to_base64(&bin, &b64) != 0 || b64.size < 43) {
		dnssec_binary_free(&b64);
		return KNOT_ERROR;
	}
	for (size_t i = 0; i < 43; i++) {
		char ch = b64.data[i];
		out[i] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
	}
	out[43] = '\0';
	dnssec_binary_free(&b64);
	return KNOT_EOK;
}

static bool resolver_sees(check_t *c, const uint8_t *rdata, size_t len)
{
	knot_pkt_t *reply = NULL;
	if (tool_dns_query(&c->resolver, c->challenge, KNOT_RRTYPE_TXT, TOOL_Q_RD,
	                   &reply) != KNOT_EOK) {
		return false;
	}
	bool seen = false;
	const knot_pktsection_t *sec = knot_pkt_section(reply, KNOT_ANSWER);
	for (uint16_t i = 0; i < sec->count && !seen; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		if (rr->type != KNOT_RRTYPE_TXT) {
			continue;
		}
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t j = 0; j < rr->rrs.count && !seen; j++) {
			seen = rd->len == len && memcmp(rd->data, rdata, len) == 0;
			rd = knot_rdataset_next(rd);
		}
	}
	knot_pkt_free(reply);
	return seen;
}

static void update(check_t *c, const knot_dname_t *zone, uint16_t cls, const uint8_t *rdata,
                   size_t len, uint16_t *rcode, uint16_t *tsig_error, int *ret)
{
	knot_rrset_t rr;
	knot_rrset_init(&rr, c->target, KNOT_RRTYPE_TXT, cls, 0);
	*ret = knot_rrset_add_rdata(&rr, rdata, len, NULL);
	if (*ret == KNOT_EOK) {
		*ret = tool_dns_update(&c->server, zone, &rr, &c->key, rcode, tsig_error);
	}
	knot_rdataset_clear(&rr.rrs, NULL);
}

static void probe(check_t *c)
{
	char value[44];
	uint8_t rdata[44];
	if (probe_value(value) != KNOT_EOK) {
		finding(c, "error", "probe: no random value");
		return;
	}
	rdata[0] = 43;
	memcpy(rdata + 1, value, 43);
	knot_dname_t *zone = knot_dname_from_str_alloc(c->zone->domain);
	if (zone == NULL) {
		return;
	}

	uint16_t rcode = 0, tsig_error = 0;
	int ret;
	update(c, zone, KNOT_CLASS_IN, rdata, sizeof(rdata), &rcode, &tsig_error, &ret);
	if (ret != KNOT_EOK || rcode != KNOT_RCODE_NOERROR) {
		const knot_lookup_t *terr = knot_lookup_by_id(knot_tsig_rcode_names, tsig_error);
		finding(c, "error", "probe: knotd at %s %s the update of %s (%s%s%s)",
		        c->server.text, ret == KNOT_EOK ? "refused" : "did not take",
		        c->target_txt, ret == KNOT_EOK ? rcode_str(rcode) : knot_strerror(ret),
		        tsig_error != 0 ? ", TSIG " : "", terr != NULL && tsig_error != 0 ?
		        terr->name : "");
		knot_dname_free(zone, NULL);
		return;
	}

	/* A negative answer cached by the resolver hides the value until it
	 * expires: wait for that long at most. */
	unsigned wait = c->neg_ttl + 3;
	wait = wait > PROBE_WAIT_MAX ? PROBE_WAIT_MAX : wait;
	bool seen = false;
	for (unsigned i = 0; i <= wait && !(seen = resolver_sees(c, rdata, sizeof(rdata))); i++) {
		sleep(1);
	}
	if (seen) {
		finding(c, "ok", "probe: a value written by DDNS to %s with key %s is seen "
		        "through the resolver at %s", c->target_txt, c->key_txt, c->challenge_txt);
	} else {
		finding(c, "error", "probe: a value written by DDNS to %s is not seen through "
		        "the resolver at %s within %u s", c->target_txt, c->challenge_txt, wait);
	}
	update(c, zone, KNOT_CLASS_NONE, rdata, sizeof(rdata), &rcode, &tsig_error, &ret);
	if (ret != KNOT_EOK || rcode != KNOT_RCODE_NOERROR) {
		finding(c, "warning", "probe: removing the probe value failed (%s); it expires "
		        "with the lifetime", ret == KNOT_EOK ? rcode_str(rcode) : knot_strerror(ret));
	}
	knot_dname_free(zone, NULL);
}

/* --- command line ----------------------------------------------------------------- */

static void print_help_check(void)
{
	printf("Usage: " PROGRAM_NAME " [-c FILE | -C DIR] check NAME [--resolver ADDR[@PORT]]\n"
	       "       [--key KEY] [--probe] [--server ADDR[@PORT]]\n"
	       "\n"
	       "Says whether a CA would see a challenge value for NAME: follows\n"
	       "_acme-challenge.NAME from the resolver, checks the zone it leads to on\n"
	       "this knotd, TTLs, DNSSEC and whether KEY may write it. One line per\n"
	       "finding; exit status 0 only when issuance would work.\n"
	       "\n"
	       "  --resolver ADDR[@PORT]  Resolver to ask (default: /etc/resolv.conf).\n"
	       "  --key KEY               A key of knotd's configuration, or\n"
	       "                          [ALG:]NAME:SECRET (default: the key\n"
	       "                          register made for NAME).\n"
	       "  --probe                 Write a probe value by DDNS with the key, read\n"
	       "                          it back through the resolver, delete it.\n"
	       "  --server ADDR[@PORT]    knotd's address (default: its first listen).\n");
}

/*! A key name, or [ALG:]NAME:SECRET that libknot takes. */
static bool key_syntax_ok(const char *arg)
{
	const char *colon = strchr(arg, ':');
	if (colon == NULL) {
		knot_dname_storage_t name;
		return tool_name_parse(arg, false, name);
	}
	char spec[4096];
	if (strchr(colon + 1, ':') == NULL) {
		snprintf(spec, sizeof(spec), "hmac-sha256:%s", arg);
	} else {
		snprintf(spec, sizeof(spec), "%s", arg);
	}
	knot_tsig_key_t key;
	int ret = knot_tsig_key_init_str(&key, spec);
	explicit_bzero(spec, sizeof(spec));
	if (ret == KNOT_EOK) {
		knot_tsig_key_deinit(&key);
	}
	return ret == KNOT_EOK;
}

static int parse_check(check_t *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "resolver", required_argument, NULL, 'r' },
		{ "key",      required_argument, NULL, 'k' },
		{ "probe",    no_argument,       NULL, 'p' },
		{ "server",   required_argument, NULL, 's' },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL }
	};
	optind = 0;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': c->resolver_arg = optarg; break;
		case 'k': c->key_arg = optarg; break;
		case 'p': c->probe = true; break;
		case 's': c->server_arg = optarg; break;
		case 'h': print_help_check(); return EXIT_OK;
		case ':':
			return tool_usage_error("option '%s' requires an argument", argv[optind - 1]);
		default:
			return tool_usage_error("invalid option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc) {
		return tool_usage_error(optind == argc ? "missing NAME for 'check'" :
		                        "too many arguments for 'check'");
	}
	const char *arg = argv[optind];
	knot_dname_storage_t name;
	if (!tool_name_parse(arg, true, name)) {
		return tool_usage_error("invalid domain name '%s'", arg);
	}
	const knot_dname_t *base = knot_dname_is_wildcard(name) ? name + 2 : name;
	tool_name_str(base, c->base, sizeof(c->base));
	size_t blen = strlen(c->base);
	if (blen > 1 && c->base[blen - 1] == '.') {
		c->base[blen - 1] = '\0';
	}
	if (strncmp(c->base, "_acme-challenge.", 16) == 0) {
		return tool_usage_error("give the certificate name, not its challenge name");
	}
	snprintf(c->challenge_txt, sizeof(c->challenge_txt), "_acme-challenge.%s.", c->base);
	if (knot_dname_from_str(c->challenge, c->challenge_txt, sizeof(c->challenge)) == NULL) {
		return tool_usage_error("name '%s' too long", arg);
	}

	if (c->resolver_arg != NULL) {
		if (tool_addr_parse(c->resolver_arg, 53, &c->resolver) != KNOT_EOK) {
			return tool_usage_error("invalid --resolver '%s' (ADDR[@PORT])", c->resolver_arg);
		}
	} else if (tool_addr_resolv_conf(&c->resolver) != KNOT_EOK) {
		return tool_usage_error("no resolver in /etc/resolv.conf: give --resolver ADDR");
	}
	if (c->server_arg != NULL && tool_addr_parse(c->server_arg, 53, &c->server) != KNOT_EOK) {
		return tool_usage_error("invalid --server '%s' (ADDR[@PORT])", c->server_arg);
	}
	if (c->key_arg != NULL && !key_syntax_ok(c->key_arg)) {
		return tool_usage_error("invalid --key '%s' (a key name, or [ALG:]NAME:SECRET "
		                        "with a base64 SECRET)", c->key_arg);
	}
	return -1;
}

/*! knotd's address: --server, or its first listen (a wildcard as loopback). */
static int resolve_server(check_t *c)
{
	if (c->server_arg != NULL) {
		return EXIT_OK;
	}
	const char *listen = tool_conf_get(c->conf, "server", NULL, "listen");
	char addr[256];
	snprintf(addr, sizeof(addr), "%s", listen != NULL ? listen : "127.0.0.1");
	if (strncmp(addr, "0.0.0.0", 7) == 0) {
		memcpy(addr, "127.0.0.1", 9);
		memmove(addr + 9, addr + 7, strlen(addr + 7) + 1);
	} else if (strncmp(addr, "::@", 3) == 0 || strcmp(addr, "::") == 0) {
		memmove(addr + 1, addr, strlen(addr) + 1);
		memcpy(addr, "::1", 3);
	}
	if (tool_addr_parse(addr, 53, &c->server) != KNOT_EOK) {
		return tool_usage_error("cannot use knotd's listen address '%s': give --server",
		                        addr);
	}
	return EXIT_OK;
}

int tool_check(int argc, char *argv[], const tool_src_t *src)
{
	check_t c = { .src = src };
	int ret = parse_check(&c, argc, argv);
	if (ret >= 0) {
		return ret;
	}
	char err[4096];
	if (tool_conf_load(&c.conf, src, err, sizeof(err)) != KNOT_EOK) {
		tool_error("%s", err);
		return EXIT_USAGE;
	}
	if ((ret = resolve_server(&c)) != EXIT_OK) {
		tool_conf_free(c.conf);
		return ret;
	}

	if (follow(&c) && find_zone(&c)) {
		check_served(&c);
		check_ttls(&c);
		check_dnssec(&c);
		bool key_ok = check_key(&c);
		if (c.probe) {
			if (key_ok && c.errors == 0) {
				probe(&c);
			} else {
				finding(&c, "error", "probe: not sent (fix the errors above first)");
			}
		}
	}
	if (c.errors == 0) {
		printf("issuance for %s should work\n", c.base);
	} else {
		printf("%u error%s: issuance for %s would fail\n", c.errors,
		       c.errors == 1 ? "" : "s", c.base);
	}
	if (c.have_key) {
		knot_tsig_key_deinit(&c.key);
	}
	tool_conf_free(c.conf);
	return c.errors == 0 ? EXIT_OK : EXIT_RUNTIME;
}
