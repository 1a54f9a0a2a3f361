/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Store keys: names as every backend orders them.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libknot/libknot.h>

/*!
 * A name as the store orders it: its labels from the root down, lower case,
 * each preceded by its length.  A name at or below another has the other's
 * key as a prefix.
 */
typedef struct {
	uint8_t len;
	uint8_t data[KNOT_DNAME_MAXLEN];
} acme_store_key_t;

/*! Key of \a name; KNOT_EINVAL if it is not an uncompressed wire name. */
int acme_store_key(const knot_dname_t *name, acme_store_key_t *key);

/*! Whether \a key is \a apex's key or that of a name below it. */
static inline bool acme_store_key_within(const acme_store_key_t *key,
                                         const acme_store_key_t *apex)
{
	return key->len >= apex->len && memcmp(key->data, apex->data, apex->len) == 0;
}
