/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Peer addresses and TSIG key names as log lines write them.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

/*! Room for an address with "@port". */
#define ACME_ADDR_STR_MAX	(46 + 6)

/*!
 * An IPv4 or IPv6 address as text, with "@port" if \a with_port.
 *
 * \return false, with \a out empty, for NULL or another address family.
 */
bool acme_addr_str(const struct sockaddr_storage *ss, bool with_port, char *out, size_t size);

/*!
 * A TSIG key name as text, with its trailing dot ("acme.key.").
 *
 * \return \a out, or \a none when \a key is NULL or does not convert.
 */
const char *acme_tsig_key_name_str(const knot_dname_t *key, knot_dname_txt_storage_t out,
                                   const char *none);
