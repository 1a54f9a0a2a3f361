/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdlib.h>

#include "module/store/filter.h"

acme_filter_t *acme_filter_new(uint64_t entries)
{
	uint64_t bits = ACME_FILTER_MIN_BITS;
	while (bits < entries * ACME_FILTER_BITS_PER_ENTRY * 2) {
		bits <<= 1;
	}
	acme_filter_t *f = calloc(1, sizeof(*f) + bits / 8);
	if (f != NULL) {
		f->mask = bits - 1;
	}
	return f;
}

void acme_filter_add_okey(acme_filter_t *f, const uint8_t *okey, size_t olen)
{
	uint64_t h = ACME_FILTER_HASH_SEED;
	for (size_t pos = 0; pos < olen; pos += 1 + okey[pos]) {
		h = acme_filter_hash_label(h, okey + pos);
		acme_filter_set(f, acme_filter_hash_final(h));
	}
	atomic_fetch_add(&f->entries, 1);
}
