/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Authentication and authorization of an UPDATE the module answers.
 *
 * The module takes UPDATEs at KNOTD_STAGE_BEGIN, before Knot's own checks
 * (NS_NEED_AUTH in src/knot/nameserver/update.c), so it does what Knot would
 * do there, in Knot 3.2's order:
 *
 *  1. The zone's `acl` list for action update (process_query_acl_check(),
 *     acl_allowed()), evaluated by acl.c with the TSIG key *name and
 *     algorithm* from the message, before any MAC check.  Not allowed:
 *     NOTAUTH, with TSIG error BADKEY on Knot 3.2, without on 3.3 and later
 *     (ACME_DENIED_TSIG_ERROR, module/compat.h).  That covers an unknown key, a known
 *     key no rule allows (whatever its MAC), and an unsigned message no rule
 *     allows (Knot answers that without TSIG, as the query has none).
 *  2. Allowed and signed: the secret of the matched key, then
 *     knot_tsig_server_check() (process_query_verify()): BADSIG / BADTIME /
 *     BADKEY give NOTAUTH with that TSIG error, a malformed TSIG FORMERR,
 *     anything else SERVFAIL.
 *  3. Beyond Knot: a verified message whose MAC was already accepted within
 *     its time window is a replay (replay.c): NOTAUTH with TSIG error
 *     BADTIME, signed like Knot's own BADTIME.
 */

#pragma once

#include <knot/module.h>

#include "module/dns/replay.h"

/*!
 * Authenticates and authorizes an UPDATE exactly as Knot's native DDNS would.
 *
 * Call it for an UPDATE the module answers, once Knot's own preconditions
 * hold (UDP/TCP not XDP, question of type SOA, zone served: Knot checks those
 * before authentication and answers SERVFAIL / FORMERR / NOTAUTH itself).
 *
 * Leaves qdata->sign as Knot's process_query_acl_check() and
 * process_query_verify() leave it, so that Knot's reply signing does the same:
 *  - signed and allowed: sign.tsig_key is the key (the name points into the
 *    query, the secret is copied to qdata->mm), sign.tsig_digest and
 *    tsig_digestlen the query's MAC, copied to qdata->mm in room for a whole
 *    digest (Knot writes the reply's MAC there; a truncated MAC, accepted
 *    from libknot 3.5.7 on, is shorter).  Knot signs the reply on success,
 *    and also signs a BADTIME error (tsig_time_signed is set for it); after
 *    BADSIG it only appends the unsigned TSIG error.  A MAC of a length
 *    libknot refuses (3.5.7+) gets an unsigned FORMERR: sign.tsig_key is
 *    cleared.
 *  - not allowed, or unsigned: sign.tsig_key stays empty; a signed query gets
 *    the unsigned TSIG error BADKEY (Knot 3.2; none from 3.3 on), an
 *    unsigned one no TSIG.
 *
 * \param mod       Module instance (for configuration access and logging).
 * \param qdata     Query data: query, remote address, mm; rcode, rcode_tsig
 *                  and sign are written.
 * \param zone      Zone name (the zone the UPDATE is for).
 * \param replay    Replay cache of the zone (NULL: no replay protection).
 *
 * \retval KNOT_EOK       Allowed (and verified if signed); qdata->rcode is
 *                        NOERROR.
 * \retval KNOT_EACCES    No acl allows it: rcode NOTAUTH, rcode_tsig
 *                        ACME_DENIED_TSIG_ERROR.
 * \retval KNOT_TSIG_E*   The MAC check failed (BADSIG, BADTIME, BADKEY):
 *                        rcode NOTAUTH, rcode_tsig set.
 * \retval KNOT_EEXIST    A replay, or a message the replay cache cannot tell
 *                        from one (logged with the reason): rcode NOTAUTH,
 *                        rcode_tsig BADTIME, the reply is signed.
 * \retval other          Malformed TSIG (KNOT_EMALF, rcode FORMERR) or an
 *                        internal error (rcode SERVFAIL).
 *
 * On any error, qdata->rcode / rcode_tsig hold Knot's answer: return
 * KNOTD_STATE_FAIL from the hook and Knot sends it (with TSIG as above).
 * The key used, for logs, is qdata->query->tsig_rr->owner (none if NULL);
 * denials are also logged at debug level like Knot's "ACL, denied" line.
 */
int acme_auth_update(knotd_mod_t *mod, knotd_qdata_t *qdata, const knot_dname_t *zone,
                     acme_replay_t *replay);

/*! Name of a TSIG error (qdata->rcode_tsig) for logs; NULL for none. */
const char *acme_auth_tsig_error_name(uint16_t error);
