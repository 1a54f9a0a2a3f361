/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Opening the store a tool command works on: the target (database
 *        and policy) and the backend its mod-acme section names.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "module/store/store.h"
#include "module/tool/conf.h"
#include "module/tool/store_cmd.h"

/*! One store the command works on, with the policy that applies to it. */
typedef struct {
	const char *db;          /*!< Database directory. */
	const tool_acme_t *acme; /*!< Its mod-acme section (NULL with -D). */
	acme_policy_t policy;
	uint32_t max_ttl;        /*!< Cap on shown TTLs (UINT32_MAX with -D). */
	bool strict;
} target_t;

/*!
 * Opens the store of \a t for \a p's command.  This is where a backend is
 * chosen: the section's backend comes from knotd's configuration.
 *
 * \return EXIT_OK (with *\a store NULL when there is no database yet and the
 *         command has nothing to do), or the exit status after a message.
 */
int tool_store_open(const params_t *p, const target_t *t, acme_store_t **store);
