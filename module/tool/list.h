/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What `knot-acme list` prints: one zone-file line per value, or JSON
 *        (--json).
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "module/store/store.h"
#include "module/tool/store_open.h"

typedef struct {
	FILE *out;
	uint64_t now;
	const target_t *target;
	bool json;
	size_t count;   /*!< Values printed so far (all targets). */
} list_ctx_t;

/*! An acme_store_list() callback: prints one live value to list->out. */
int tool_list_value(const acme_value_t *value, void *ctx);
