/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Owner keys: names as every backend orders them (backend-neutral).
 *
 * "Key" means several things in this project; the store's code keeps them
 * apart by name: an owner key (okey, acme_okey_t, this file) is a name in
 * the store's order; a database key (dbkey, an LMDB MDB_val or a Redis key
 * string) is what a backend stores under, an owner key with more around it;
 * a TSIG key (acme_tsig_key_t, module/dns/acl.h) signs updates, and its
 * name as text (acme_tsig_key_name_str()) is what the logs show.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libknot/libknot.h>

/*!
 * A name as the store orders it: its labels from the root down, lower case,
 * each preceded by its length.  A name at or below another has the other's
 * owner key as a prefix.
 */
typedef struct {
	uint8_t len;
	uint8_t data[KNOT_DNAME_MAXLEN];
} acme_okey_t;

/*! Owner key of \a name; KNOT_EINVAL if it is not an uncompressed wire name. */
int acme_okey(const knot_dname_t *name, acme_okey_t *okey);

/*! Whether \a okey is \a apex's owner key or that of a name below it. */
static inline bool acme_okey_within(const acme_okey_t *okey, const acme_okey_t *apex)
{
	return okey->len >= apex->len && memcmp(okey->data, apex->data, apex->len) == 0;
}

/*! Name of an owner key (lower case, wire form); \a out holds KNOT_DNAME_MAXLEN bytes. */
void acme_okey_to_name(const uint8_t *okey, size_t olen, knot_dname_t *out);

/*
 * The steps of acme_okey(), inline for the query path, which walks a
 * name once for both the negative filter and the owner key.
 */

static inline uint8_t acme_okey_ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/*!
 * ASCII letters to lower case in place, eight bytes at a time: a byte gets
 * 0x20 when it is below 0x80, at least 'A' and at most 'Z'.  Label lengths
 * (at most 63) are below 'A' and stay as they are.
 */
static inline void acme_okey_lower(uint8_t *data, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, data + i, 8);
		uint64_t low7 = w & ~high;
		uint64_t ge_a = low7 + (0x80 - 'A') * ones;
		uint64_t gt_z = low7 + (0x7f - 'Z') * ones;
		w |= ((ge_a ^ gt_z) & ~w & high) >> 2;
		memcpy(data + i, &w, 8);
	}
	for (; i < len; i++) {
		data[i] = acme_okey_ascii_lower(data[i]);
	}
}

/*!
 * Offsets of the labels of \a name, leaf first; returns their number, or -1
 * if \a name is not an uncompressed wire name within the limits.  The query
 * path runs this for every answer in a module zone: the form is checked in
 * the same single pass that finds the labels.
 */
static inline int acme_okey_labels(const knot_dname_t *name, uint8_t starts[KNOT_DNAME_MAXLABELS])
{
	int count = 0;
	size_t pos = 0;
	while (name[pos] != 0) {
		if (name[pos] > KNOT_DNAME_MAXLABELLEN || count == KNOT_DNAME_MAXLABELS) {
			return -1;
		}
		starts[count++] = pos;
		pos += 1 + name[pos];
		if (pos >= KNOT_DNAME_MAXLEN) {
			return -1;
		}
	}
	return count;
}

/*! Owner key from the label offsets of a name (see acme_okey_labels()). */
static inline int acme_okey_from_labels(const knot_dname_t *name, const uint8_t *starts,
                                        int count, uint8_t *out)
{
	int len = 0;
	while (count-- > 0) {
		const uint8_t *l = name + starts[count];
		memcpy(out + len, l, 1 + l[0]);
		len += 1 + l[0];
	}
	acme_okey_lower(out, len);
	return len;
}

/*! Owner key of \a name written to \a out (KNOT_DNAME_MAXLEN bytes); its length or -1. */
static inline int acme_okey_write(const knot_dname_t *name, uint8_t *out)
{
	uint8_t starts[KNOT_DNAME_MAXLABELS];
	int count = (name != NULL) ? acme_okey_labels(name, starts) : -1;
	return (count < 0) ? -1 : acme_okey_from_labels(name, starts, count, out);
}
