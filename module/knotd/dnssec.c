/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <string.h>

#include <libknot/libknot.h>

#include "module/knotd/dnssec.h"

#define ZONE_SIGNING	"\x0e""dnssec-signing"
#define ZONE_MODULE	"\x06""module"
#define OS_SECTION	"\x0e""mod-onlinesign"
#define OS_BITMAP	"\x0b""nsec-bitmap"
#define OS_POLICY	"\x06""policy"
#define POLICY		"\x06""policy"
#define POLICY_ALG	"\x09""algorithm"
#define POLICY_KSK_SIZE	"\x08""ksk-size"
#define POLICY_ZSK_SIZE	"\x08""zsk-size"

#define SELF_NAME	"mod-acme"
#define SIGNER_NAME	"mod-onlinesign"

#define HOW_TO "write 'module: [mod-acme/<id>, mod-onlinesign/<id>]' with " \
               "'mod-onlinesign: - id: <id>, nsec-bitmap: [A, AAAA, TXT]' and " \
               "'dnssec-signing: off' (see mod-acme.rst, DNSSEC)"

/*!
 * A `zone.module` entry is the module name as a yp_name (length byte, name)
 * followed by the instance id as a zero-terminated string, or nothing.
 */
static bool entry_is(const knotd_conf_val_t *entry, const char *name)
{
	size_t len = strlen(name);
	return entry->data_len >= 1 + len && entry->data[0] == len &&
	       memcmp(entry->data + 1, name, len) == 0;
}

/*! Does the online signer instance of \a entry put TXT into its NSEC bitmaps? */
static bool signer_bitmap_has_txt(knotd_mod_t *mod, const knotd_conf_val_t *entry)
{
	size_t id_len = entry->data_len - 1 - entry->data[0];
	if (id_len == 0) {
		return false; /* No instance section: the default bitmap, A and AAAA. */
	}
	knotd_conf_t id = { .single = { .data = entry->data + 1 + entry->data[0],
	                                .data_len = id_len } };
	knotd_conf_t bitmap = knotd_conf(mod, (const yp_name_t *)OS_SECTION,
	                                 (const yp_name_t *)OS_BITMAP, &id);
	bool found = false;
	for (size_t i = 0; i < bitmap.count && !found; i++) {
		uint16_t type;
		found = knot_rrtype_from_string(bitmap.multi[i].string, &type) == 0 &&
		        type == KNOT_RRTYPE_TXT;
	}
	knotd_conf_free(&bitmap);
	return found;
}

/*! Signature bytes of a DNSSEC algorithm with keys of \a bits (RSA). */
static size_t signature_size(int64_t algorithm, int64_t bits)
{
	switch (algorithm) {
	case 5: case 7: case 8: case 10: /* RSA: the modulus; Knot's default 2048. */
		return (bits > 0 ? bits : 2048) / 8;
	case 13: return 64;  /* ECDSA P-256 */
	case 14: return 96;  /* ECDSA P-384 */
	case 15: return 64;  /* Ed25519 */
	case 16: return 114; /* Ed448 */
	default: return 512;
	}
}

/*!
 * Bytes one RRSIG of the online signer instance \a entry adds to an answer:
 * owner (a compression pointer), type, class, TTL, rdata length, the fixed
 * RRSIG fields, the signer name (the zone, not compressed) and the signature
 * with the algorithm and key size of the signer's policy.
 */
static uint16_t signer_rrsig_size(knotd_mod_t *mod, const knotd_conf_val_t *entry,
                                  const knot_dname_t *zone)
{
	knotd_conf_t id = { .single = { .data = entry->data + 1 + entry->data[0],
	                                .data_len = entry->data_len - 1 - entry->data[0] } };
	/* Without a policy, Knot's "default" one: the policy schema's defaults. */
	static const uint8_t dflt[] = "default";
	knotd_conf_t pid = { .single = { .data = dflt, .data_len = sizeof(dflt) } };
	knotd_conf_t policy = knotd_conf(mod, (const yp_name_t *)OS_SECTION,
	                                 (const yp_name_t *)OS_POLICY, &id);
	if (policy.count > 0 && policy.single.data != NULL) {
		pid.single = policy.single;
	}
	int64_t alg = knotd_conf(mod, (const yp_name_t *)POLICY, (const yp_name_t *)POLICY_ALG,
	                         &pid).single.option;
	int64_t ksk = knotd_conf(mod, (const yp_name_t *)POLICY, (const yp_name_t *)POLICY_KSK_SIZE,
	                         &pid).single.integer;
	int64_t zsk = knotd_conf(mod, (const yp_name_t *)POLICY, (const yp_name_t *)POLICY_ZSK_SIZE,
	                         &pid).single.integer;
	size_t size = 2 + 10 + 18 + knot_dname_size(zone) +
	              signature_size(alg, ksk > zsk ? ksk : zsk);
	return (size > UINT16_MAX) ? UINT16_MAX : size;
}

int acme_dnssec_check(knotd_mod_t *mod, uint16_t *rrsig_size)
{
	*rrsig_size = 0;

	const knot_dname_t *zone = knotd_mod_zone(mod);

	/*
	 * Knot signs zone data before ANSWER hooks run: the values would go out
	 * without RRSIG, and the zone's NSEC/NSEC3 chain cannot account for names
	 * that come and go outside it (RFC 8198 resolvers would deny them).
	 */
	knotd_conf_t signing = knotd_conf_zone(mod, (const yp_name_t *)ZONE_SIGNING, zone);
	if (signing.single.boolean) {
		knotd_mod_log(mod, LOG_ERR, "refusing 'dnssec-signing: on': Knot's zone "
		              "signing cannot sign values from the store, validators would "
		              "reject them; " HOW_TO);
		return KNOT_ENOTSUP;
	}

	/*
	 * The online signer signs what is in the packet when its own hooks run,
	 * so it must come after this module in the zone's list.
	 */
	knotd_conf_t list = knotd_conf_zone(mod, (const yp_name_t *)ZONE_MODULE, zone);
	if (list.count > 0 && list.multi == NULL) {
		return KNOT_ENOMEM;
	}
	int ret = KNOT_EOK;
	ssize_t last_self = -1;
	for (size_t i = 0; i < list.count; i++) {
		if (entry_is(&list.multi[i], SELF_NAME)) {
			last_self = i;
		}
	}
	for (size_t i = 0; i < list.count && ret == KNOT_EOK; i++) {
		const knotd_conf_val_t *entry = &list.multi[i];
		if (!entry_is(entry, SIGNER_NAME)) {
			continue;
		}
		if ((ssize_t)i < last_self) {
			knotd_mod_log(mod, LOG_ERR, "refusing mod-onlinesign before mod-acme "
			              "in the zone's module list: it would sign answers before "
			              "the values are in them; " HOW_TO);
			ret = KNOT_ENOTSUP;
		} else if (signer_bitmap_has_txt(mod, entry)) {
			*rrsig_size = signer_rrsig_size(mod, entry, zone);
		} else {
			/*
			 * Its NODATA proofs would say a live name has no TXT (asked for
			 * A, say), and an aggressive resolver (RFC 8198) would answer the
			 * CA's TXT query from that proof.  TXT in the forced types of the
			 * bitmap is left out only when TXT is the type asked for.
			 */
			knotd_mod_log(mod, LOG_ERR, "refusing mod-onlinesign without TXT in its "
			              "'nsec-bitmap': its negative answers would deny the TXT at "
			              "live challenge names to aggressive resolvers (RFC 8198); "
			              HOW_TO);
			ret = KNOT_ENOTSUP;
		}
	}
	knotd_conf_free(&list);
	return ret;
}
