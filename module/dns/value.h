/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief TXT challenge values: validation and conversion.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Length of an RFC 8555 key authorization digest (base64url SHA-256). */
#define ACME_VALUE_STRICT_LEN	43

/*! True if \a rdata is well-formed TXT rdata: one or more character-strings. */
bool acme_txt_valid(const uint8_t *rdata, size_t len);

/*! True if \a rdata is exactly one string of 43 base64url characters (RFC 8555 8.4). */
bool acme_value_strict(const uint8_t *rdata, size_t len);

/*!
 * Builds TXT rdata holding \a str as one character-string.
 *
 * \retval KNOT_EOK     \a out holds \a *out_len bytes.
 * \retval KNOT_ESPACE  \a str is longer than 255 bytes.
 */
int acme_txt_from_str(const char *str, uint8_t *out, size_t out_size, size_t *out_len);

/*!
 * Writes TXT rdata as zone-file text: each string quoted, with '"', '\\' and
 * non-printable bytes escaped (\DDD), strings separated by a space.
 *
 * \return Length written (without NUL), or a negative libknot error.
 */
int acme_txt_to_str(const uint8_t *rdata, size_t len, char *out, size_t out_size);
