/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Would knotd let a key update a TXT at a name?  The zone's acl
 *        entries, read from the exported configuration, decided by the same
 *        walk the module uses (module/dns/acl.c).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <libknot/libknot.h>

#include "module/tool/conf.h"

/*! The answer, with what decided it. */
typedef struct {
	bool allowed;
	char acl[256];          /*!< The deciding acl entry ("" when none decided). */
	bool addr_restricted;   /*!< That entry (or its remote) limits addresses. */
} tool_acl_answer_t;

/*!
 * Decides a TSIG-signed update of \a zone (a zone of \a conf) adding a TXT
 * at \a owner, signed with key \a key_name of algorithm \a alg.  The
 * client's address is unknown: address lists are taken as matching, and
 * reported in \a answer.
 */
int tool_acl_may_update(const tool_conf_t *conf, const char *zone,
                        const knot_dname_t *owner, const knot_dname_t *key_name,
                        dnssec_tsig_algorithm_t alg, tool_acl_answer_t *answer);
