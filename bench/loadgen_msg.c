/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* loadgen: values, owner names and signed UPDATE messages. */

#include "bench/loadgen.h"

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

void lat_push(lat_vec_t *v, uint64_t ns)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 65536;
		v->v = realloc(v->v, v->cap * sizeof(*v->v));
		if (v->v == NULL) {
			die("out of memory");
		}
	}
	v->v[v->len++] = ns;
}

uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*! A fresh RFC 8555-shaped value: 32 random bytes in unpadded base64url. */
void fresh_value(thread_t *th, char out[VALUE_LEN + 1])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[33] = { 0 };
	for (int i = 0; i < 4; i++) {
		uint64_t r = splitmix(&th->rng);
		memcpy(raw + 8 * i, &r, 8);
	}
	int o = 0;
	for (int i = 0; i < 33 && o < VALUE_LEN; i += 3) {
		uint32_t n = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
		for (int k = 3; k >= 0 && o < VALUE_LEN; k--) {
			out[o++] = b64[(n >> (6 * k)) & 63];
		}
	}
	out[VALUE_LEN] = '\0';
}

/*! Appends one label to a relative owner. */
static void owner_label(slot_t *s, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n <= 0 || n > 63 || s->owner_len + 1 + n > OWNER_REL_MAX) {
		die("owner name too long");
	}
	s->owner[s->owner_len++] = n;
	memcpy(s->owner + s->owner_len, buf, n);
	s->owner_len += n;
}

/*! Owner of a slot: s<slot>.c<conn>.<prefix> (relative to the zone). */
void slot_owner(slot_t *s, unsigned conn, unsigned slot, uint64_t unique)
{
	s->owner_len = 0;
	if (O.mode == MODE_ADD) {
		owner_label(s, "a%" PRIu64, unique);
	}
	owner_label(s, "s%u", slot);
	owner_label(s, "c%u", conn);
	if (O.prefix[0] != '\0') {
		owner_label(s, "%s", O.prefix);
	}
}

/*! Owner as text (for --acked). */
void owner_to_str(const slot_t *s, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < s->owner_len && o + 65 < size;) {
		uint8_t n = s->owner[i++];
		memcpy(out + o, s->owner + i, n);
		o += n;
		i += n;
		out[o++] = '.';
	}
	snprintf(out + o, size - o, "%s", O.zone_str);
}

/*!
 * Builds a signed UPDATE: zone section (zone SOA IN), one TXT RR in the
 * update section: class IN (add) or NONE (delete this value).  The owner is
 * compressed against the zone name in the zone section.
 */
size_t build_update(uint8_t *buf, slot_t *s, uint16_t id, bool add)
{
	uint8_t *p = buf;
	memset(p, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(p, id);
	knot_wire_set_opcode(p, KNOT_OPCODE_UPDATE);
	knot_wire_set_qdcount(p, 1);
	knot_wire_set_nscount(p, 1);
	p += KNOT_WIRE_HEADER_SIZE;
	memcpy(p, O.zone, O.zone_len);
	p += O.zone_len;
	knot_wire_write_u16(p, KNOT_RRTYPE_SOA);
	knot_wire_write_u16(p + 2, KNOT_CLASS_IN);
	p += 4;
	memcpy(p, s->owner, s->owner_len);
	p += s->owner_len;
	*p++ = 0xC0;
	*p++ = KNOT_WIRE_HEADER_SIZE;
	knot_wire_write_u16(p, KNOT_RRTYPE_TXT);
	knot_wire_write_u16(p + 2, add ? KNOT_CLASS_IN : KNOT_CLASS_NONE);
	knot_wire_write_u32(p + 4, add ? O.ttl : 0);
	knot_wire_write_u16(p + 8, VALUE_LEN + 1);
	p += 10;
	*p++ = VALUE_LEN;
	memcpy(p, s->value, VALUE_LEN);
	p += VALUE_LEN;

	size_t len = p - buf;
	s->mac_len = 0;
	if (O.have_key) {
		s->mac_len = MAC_MAX;
		int ret = knot_tsig_sign(buf, &len, MSG_MAX, NULL, 0, s->mac, &s->mac_len,
		                         &O.key, 0, 0);
		if (ret != KNOT_EOK) {
			die("TSIG signing failed: %s", knot_strerror(ret));
		}
	}
	return len;
}
