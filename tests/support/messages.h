/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief For tests only: DNS messages the unit tests of the knotd adapters
 *        send through the stub (tests/support/knotd_stub.h), parsed as knotd
 *        hands them to the hooks, and what comes back.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>
#include <knot/module.h>

/*! One RR of an UPDATE's update section (TXT unless \a type is set). */
typedef struct {
	const char *owner;   /*!< Absolute name. */
	const char *value;   /*!< TXT: one string; other types: the rdata bytes;
	                          NULL: empty rdata (delete RRset). */
	uint16_t rclass;     /*!< KNOT_CLASS_IN (add), NONE (delete value), ANY (delete RRset). */
	uint16_t type;       /*!< 0: TXT. */
	uint32_t ttl;
} msg_rr_t;

/*! Signed with stub_keys[key], or unsigned with MSG_UNSIGNED. */
#define MSG_UNSIGNED	(-1)

/*!
 * An UPDATE of \a zone with \a count update RRs, signed now with
 * stub_keys[\a key] (or unsigned), parsed (stub_query_parse()); NULL on
 * failure.  Free it with stub_query_free().
 */
knot_pkt_t *msg_update(const char *zone, const msg_rr_t *rrs, size_t count, int key);

/*! A query for \a qname / \a qtype, parsed; free it with stub_query_free(). */
knot_pkt_t *msg_query(const char *qname, uint16_t qtype, bool dnssec);

/*! What knotd sends back for one message through the BEGIN hook. */
typedef struct {
	knotd_state_t state; /*!< The hook's state (STUB_STATE_PRODUCE: not taken). */
	int rcode;           /*!< Rcode of the reply as sent; -1 if none. */
	bool signed_reply;   /*!< The reply carries a TSIG RR. */
} msg_sent_t;

/*! Sends \a query (then freed) from stub_addr(\a addr) through the BEGIN hook. */
msg_sent_t msg_send(knot_pkt_t *query, unsigned addr);

/*! Number of TXT values the answer hook serves at \a owner (0: none). */
size_t msg_served(const char *owner);
