/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include "module/store/okey.h"

int acme_okey(const knot_dname_t *name, acme_okey_t *okey)
{
	if (okey == NULL) {
		return KNOT_EINVAL;
	}
	int len = acme_okey_write(name, okey->data);
	if (len < 0) {
		return KNOT_EINVAL;
	}
	okey->len = len;
	return KNOT_EOK;
}

void acme_okey_to_name(const uint8_t *okey, size_t olen, knot_dname_t *out)
{
	const uint8_t *labels[KNOT_DNAME_MAXLABELS];
	int count = 0;
	for (size_t pos = 0; pos < olen && count < KNOT_DNAME_MAXLABELS; pos += 1 + okey[pos]) {
		labels[count++] = okey + pos;
	}
	size_t w = 0;
	while (count-- > 0) {
		memcpy(out + w, labels[count], 1 + labels[count][0]);
		w += 1 + labels[count][0];
	}
	out[w] = 0;
}
