/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* loadgen: the visible mode (update-to-visible latency). */

#include "bench/loadgen.h"

/*! Blocking exchange on a connected socket: the reply with this id, or -1. */
static ssize_t exchange(int fd, const uint8_t *msg, size_t len, uint16_t id,
                        uint8_t *reply, size_t reply_max, unsigned timeout_ms)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	(void)getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
	bool stream = (type == SOCK_STREAM);
	uint8_t buf[MSG_MAX + 2];
	if (stream) {
		if (len + 2 > sizeof(buf)) {
			return -1;
		}
		knot_wire_write_u16(buf, len);
		memcpy(buf + 2, msg, len);
		if (send(fd, buf, len + 2, MSG_NOSIGNAL) != (ssize_t)(len + 2)) {
			return -1;
		}
	} else if (send(fd, msg, len, 0) != (ssize_t)len) {
		return -1;
	}
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	size_t have = 0;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline) {
			return -1;
		}
		struct timeval tv = {
			.tv_sec = (deadline - now) / 1000000000ULL,
			.tv_usec = ((deadline - now) % 1000000000ULL) / 1000,
		};
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (stream) {
			ssize_t n = recv(fd, reply + have, reply_max - have, 0);
			if (n <= 0) {
				return -1;
			}
			have += n;
			while (have >= 2) {
				size_t rlen = knot_wire_read_u16(reply);
				if (have < rlen + 2) {
					break;
				}
				bool match = rlen >= KNOT_WIRE_HEADER_SIZE &&
				             knot_wire_get_id(reply + 2) == id;
				if (match) {
					memmove(reply, reply + 2, rlen);
					return rlen;
				}
				memmove(reply, reply + 2 + rlen, have - rlen - 2);
				have -= rlen + 2;
			}
		} else {
			ssize_t n = recv(fd, reply, reply_max, 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN) {
					continue;
				}
				return -1;
			}
			if (n >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_id(reply) == id) {
				return n;
			}
		}
	}
}

static int connect_blocking(bool tcp)
{
	int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&O.addr, sizeof(O.addr)) < 0) {
		die("connect: %s", strerror(errno));
	}
	if (tcp) {
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

/*! One signed update, synchronously; true on a verified NOERROR. */
static bool update_sync(thread_t *th, int fd, slot_t *s, bool add)
{
	uint8_t msg[MSG_MAX], reply[65536];
	uint16_t id = (uint16_t)splitmix(&th->rng);
	size_t len = build_update(msg, s, id, add);
	uint64_t t0 = now_ns();
	th->c.sent++;
	ssize_t n = exchange(fd, msg, len, id, reply, sizeof(reply), O.timeout_ms);
	if (n < 0) {
		th->c.timeouts++;
		return false;
	}
	lat_push(&th->lat, now_ns() - t0);
	th->c.replies++;
	uint8_t rcode = knot_wire_get_rcode(reply);
	th->c.rcode[rcode & 15]++;
	bool ok = rcode == KNOT_RCODE_NOERROR;
	if (O.have_key && O.verify && ok) {
		knot_pkt_t *pkt = knot_pkt_new(reply, n, NULL);
		if (pkt == NULL || knot_pkt_parse(pkt, 0) != KNOT_EOK) {
			th->c.malformed++;
			ok = false;
		} else if (pkt->tsig_rr == NULL) {
			th->c.tsig_missing++;
			ok = false;
		} else if (knot_tsig_client_check(pkt->tsig_rr, pkt->wire, pkt->size, s->mac,
		                                  s->mac_len, &O.key, 0) != KNOT_EOK) {
			th->c.tsig_bad++;
			ok = false;
		}
		knot_pkt_free(pkt);
	}
	if (ok) {
		th->c.ok++;
	}
	return ok;
}

/*! True if the TXT answer for the slot's owner holds its value. */
static bool txt_visible(thread_t *th, int fd, const slot_t *s)
{
	uint8_t q[MSG_MAX], reply[65536];
	uint16_t id = (uint16_t)splitmix(&th->rng);
	memset(q, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(q, id);
	knot_wire_set_qdcount(q, 1);
	size_t len = KNOT_WIRE_HEADER_SIZE;
	memcpy(q + len, s->owner, s->owner_len);
	len += s->owner_len;
	memcpy(q + len, O.zone, O.zone_len);
	len += O.zone_len;
	knot_wire_write_u16(q + len, KNOT_RRTYPE_TXT);
	knot_wire_write_u16(q + len + 2, KNOT_CLASS_IN);
	len += 4;
	th->c.polls++;
	ssize_t n = exchange(fd, q, len, id, reply, sizeof(reply), 1000);
	if (n < 0) {
		return false;
	}
	knot_pkt_t *pkt = knot_pkt_new(reply, n, NULL);
	bool found = false;
	if (pkt != NULL && knot_pkt_parse(pkt, 0) == KNOT_EOK) {
		const knot_pktsection_t *ans = knot_pkt_section(pkt, KNOT_ANSWER);
		for (uint16_t i = 0; i < ans->count && !found; i++) {
			const knot_rrset_t *rr = knot_pkt_rr(ans, i);
			if (rr->type != KNOT_RRTYPE_TXT) {
				continue;
			}
			knot_rdata_t *rd = rr->rrs.rdata;
			for (uint16_t j = 0; j < rr->rrs.count && !found; j++) {
				found = rd->len == VALUE_LEN + 1 && rd->data[0] == VALUE_LEN &&
				        memcmp(rd->data + 1, s->value, VALUE_LEN) == 0;
				rd = knot_rdataset_next(rd);
			}
		}
	}
	knot_pkt_free(pkt);
	return found;
}

void run_visible(thread_t *th)
{
	int ufd = connect_blocking(O.tcp);
	int qfd = connect_blocking(false);
	slot_t s = { 0 };
	slot_owner(&s, 0, 0, 0);
	uint64_t i = 0;
	for (;;) {
		uint64_t now = now_ns();
		if ((O.count > 0 && i >= O.count) || (O.count == 0 && now >= t_stop)) {
			break;
		}
		i++;
		fresh_value(th, s.value);
		if (!update_sync(th, ufd, &s, true)) {
			continue;
		}
		uint64_t t0 = now_ns();
		uint64_t deadline = t0 + (uint64_t)O.timeout_ms * 1000000ULL;
		bool seen = false;
		while (!seen && now_ns() < deadline) {
			seen = txt_visible(th, qfd, &s);
		}
		if (seen) {
			lat_push(&th->lat_visible, now_ns() - t0);
		} else {
			th->c.not_visible++;
		}
		(void)update_sync(th, ufd, &s, false);
		th->last_reply = now_ns();
	}
	close(ufd);
	close(qfd);
}
