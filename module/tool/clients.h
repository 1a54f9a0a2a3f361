/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What `knot-acme register` prints: the record for the main zone and
 *        ready-to-paste ACME client configurations.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*! ACME clients register prints a configuration for. */
enum {
	CLIENT_CERTBOT     = 1 << 0,
	CLIENT_LEGO        = 1 << 1,
	CLIENT_ACMESH      = 1 << 2,
	CLIENT_CERTMANAGER = 1 << 3,
	CLIENT_ALL         = 0xf,
};

/*! Parses "certbot,lego,acme.sh,cert-manager,all" into a mask; 0 if invalid. */
unsigned tool_clients_parse(const char *list);

/*! One registration, as text (names absolute, with the trailing dot). */
typedef struct {
	const char *name;        /*!< The certificate name as given (may be "*.x"). */
	const char *base;        /*!< Without "*." and the trailing dot. */
	const char *challenge;   /*!< _acme-challenge.<base>. */
	const char *target;      /*!< Where the TXT lives (alias) = challenge (delegation). */
	const char *zone;        /*!< The zone clients update. */
	bool delegate;
	const char *const *ns;   /*!< Delegation: name servers. */
	size_t ns_count;
	const char *key_name;    /*!< TSIG key name. */
	const char *id;          /*!< key_name without the dot, for file names. */
	const char *secret;      /*!< TSIG secret (base64). */
	const char *server;      /*!< Address clients send updates to. */
	uint16_t port;
	unsigned clients;        /*!< CLIENT_* mask. */
} tool_reg_info_t;

/*! Prints the main zone's record(s) and the client configurations. */
void tool_print_onboarding(FILE *out, const tool_reg_info_t *info);
