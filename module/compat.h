/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Every difference between the Knot DNS versions mod-acme builds
 *        against, in one place (README.md, "Knot versions").
 *
 * Built and tested against 3.2 (Debian 12), 3.4 (Debian 13) and 3.5 (Debian
 * sid); 3.3 (Ubuntu 24.04, EPEL) is not installable on Debian and is kept
 * compiling by reading its headers (CZ-NIC/knot, tags v3.3.x).  knotd loads
 * a module only when its KNOTD_MOD_ABI_VERSION is knotd's own (3.2: 400,
 * 3.3: 500, 3.4 and 3.5: 600), so the module is always built for the knotd
 * it runs in, and libknot and knotd come from the same Knot release: the
 * libknot version decides.  Only libknot headers here, so that module/dns/
 * (no knotd symbols) can use it too.
 *
 * What changed, and what the module does about it:
 *  - 3.3: an UPDATE no acl allows is answered with a plain NOTAUTH, without
 *    the TSIG error BADKEY 3.2 added (process_query_acl_check(), Knot
 *    commit "don't put TSIG to error response if denied by ACL check"):
 *    ACME_DENIED_TSIG_ERROR.
 *  - 3.3: knotd_qdata_remote_addr()/knotd_qdata_local_addr() became static
 *    inline in knot/module.h (local_addr lost its buffer argument), and
 *    knotd_mod_ctx(), knotd_mod_zone(), knotd_qdata_zone_name() and
 *    knotd_qdata_zone_apex_rrset() take const arguments: only the knotd stub
 *    of the tests defines them (ACME_KNOTD_CONST, ACME_KNOTD_INLINE_ADDR).
 *  - 3.4: knotd_stage_t renumbered (KNOTD_STAGE_PROTO_BEGIN = 0): the module
 *    only ever names stages, never numbers them.  KNOTD_QUERY_PROTO_TLS and
 *    DNS over QUIC reach the hooks: only UDP gets TC (answer.c), as in Knot.
 *  - 3.4: knot_wire_next_label() wants a non-NULL packet (_nonnull_(1, 2)),
 *    knot_dname_prefixlen() lost its packet argument: the module walks
 *    uncompressed names itself (acme_dname_next_label()).
 *  - 3.5: libknot refuses to write or parse RR data with bytes left over
 *    after its fields (KNOT_EMALF), so such an UPDATE never reaches the module
 *    and knotd answers FORMERR itself: the unit tests build such messages
 *    only before 3.5 (ACME_KNOT_STRICT_RDATA).
 *  - 3.5.4: unload is called only while the context is set, also after a
 *    failed load, and a reset (zone restore) calls unload then load on the
 *    same instance: mod-acme.c clears the context whenever it frees it.
 *  - 3.5.7: libknot accepts a TSIG MAC truncated to half the digest or 10
 *    octets, whichever is more (RFC 8945 5.2.2.1), and refuses a MAC of any
 *    other length as malformed (KNOT_EMALF: FORMERR).  knotd signs its reply
 *    into the query's MAC field, algorithm-sized, so an accepted truncated
 *    MAC makes knot_tsig_sign() write past it: knotd 3.5.8's native DDNS
 *    dies of it (3.5.7, where truncation came in by the changelog, was not
 *    run here; RELIABILITY.md, "Knot 3.5: truncated TSIG MACs").  The module hands knotd a copy of the
 *    MAC with room for a whole digest (knotd/auth.c), never signs the
 *    FORMERR (3.5.8 stopped doing so; 3.5.7 signed it, by 3.5.8's
 *    changelog), and its replay cache takes a truncated MAC for the same
 *    message (dns/replay.c): ACME_KNOT_TSIG_TRUNCATION for the tests.
 */

#pragma once

#include <stdint.h>

#include <libknot/consts.h>
#include <libknot/version.h>

/*! Knot release as 0xMMmmpp, e.g. 0x030206 for 3.2.6. */
#define ACME_KNOT_VERSION	KNOT_VERSION_HEX

#if ACME_KNOT_VERSION < 0x030200
#error "mod-acme needs Knot DNS 3.2 or later"
#endif

/*! TSIG error of the reply to a signed UPDATE that no acl allows. */
#if ACME_KNOT_VERSION >= 0x030300
#define ACME_DENIED_TSIG_ERROR	KNOT_RCODE_NOERROR	/* Plain NOTAUTH. */
#else
#define ACME_DENIED_TSIG_ERROR	KNOT_RCODE_BADKEY
#endif

/*! Qualifier of the module-instance and query-data arguments of the knotd API. */
#if ACME_KNOT_VERSION >= 0x030300
#define ACME_KNOTD_CONST	const
#define ACME_KNOTD_INLINE_ADDR	1	/* knotd_qdata_*_addr() are static inline. */
#else
#define ACME_KNOTD_CONST
#define ACME_KNOTD_INLINE_ADDR	0
#endif

/*! libknot rejects RR data with trailing bytes (3.5 and later). */
#define ACME_KNOT_STRICT_RDATA	(ACME_KNOT_VERSION >= 0x030500)

/*! libknot accepts truncated TSIG MACs (3.5.7 and later). */
#define ACME_KNOT_TSIG_TRUNCATION	(ACME_KNOT_VERSION >= 0x030507)

/*! Label after \a lp in an uncompressed name (\a lp not the root label). */
static inline const uint8_t *acme_dname_next_label(const uint8_t *lp)
{
	return lp + 1 + lp[0];
}
