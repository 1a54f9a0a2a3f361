/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief A small DNS client for `knot-acme check`: queries (to a resolver or
 *        to knotd) and TSIG-signed updates, over UDP with TCP after TC,
 *        messages built and parsed with libknot.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

/*! A server address. */
typedef struct {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[128];   /*!< ADDR@PORT, for messages. */
} tool_addr_t;

/*! Parses ADDR[@PORT] (an IPv4 or IPv6 address; Knot's notation). */
int tool_addr_parse(const char *str, uint16_t default_port, tool_addr_t *out);

/*! The first nameserver of /etc/resolv.conf (port 53). */
int tool_addr_resolv_conf(tool_addr_t *out);

/*! Query flags. */
enum {
	TOOL_Q_RD = 1 << 0,   /*!< Recursion desired (ask a resolver). */
	TOOL_Q_CD = 1 << 1,   /*!< Checking disabled. */
	TOOL_Q_DO = 1 << 2,   /*!< DNSSEC OK (EDNS). */
};

/*!
 * Sends one query and returns the parsed reply (free with knot_pkt_free()).
 *
 * \return KNOT_EOK, or KNOT_ETIMEOUT, KNOT_ECONN, KNOT_EMALF (a reply that
 *         does not parse or does not match the query).
 */
int tool_dns_query(const tool_addr_t *server, const knot_dname_t *name, uint16_t type,
                   unsigned flags, knot_pkt_t **reply);

/*!
 * Sends one RFC 2136 UPDATE of \a zone holding \a rr (class IN: add, class
 * NONE: delete that value), signed with \a key, and checks the reply's
 * signature.
 *
 * \param rcode  Out: the reply's rcode (with the TSIG error, if any, in
 *               \a tsig_error).
 *
 * \return KNOT_EOK when a reply came (whatever its rcode), or an error of
 *         the exchange (no reply, a reply whose signature does not verify:
 *         KNOT_TSIG_EBADSIG).
 */
int tool_dns_update(const tool_addr_t *server, const knot_dname_t *zone,
                    const knot_rrset_t *rr, const knot_tsig_key_t *key,
                    uint16_t *rcode, uint16_t *tsig_error);
