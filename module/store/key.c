/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "module/store/key.h"

int acme_store_key(const knot_dname_t *name, acme_store_key_t *key)
{
	if (key == NULL) {
		return KNOT_EINVAL;
	}
	int len = acme_store_key_write(name, key->data);
	if (len < 0) {
		return KNOT_EINVAL;
	}
	key->len = len;
	return KNOT_EOK;
}

void acme_store_key_to_name(const uint8_t *key, size_t len, knot_dname_t *out)
{
	const uint8_t *labels[KNOT_DNAME_MAXLABELS];
	int count = 0;
	for (size_t pos = 0; pos < len; pos += 1 + key[pos]) {
		labels[count++] = key + pos;
	}
	size_t w = 0;
	while (count-- > 0) {
		memcpy(out + w, labels[count], 1 + labels[count][0]);
		w += 1 + labels[count][0];
	}
	out[w] = 0;
}
