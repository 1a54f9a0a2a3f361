/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief loadgen: TSIG-signed RFC 2136 UPDATE load generator on libknot.
 *
 * Closed loop: every connection keeps `depth` updates in flight; each slot
 * of a connection adds a fresh 43-character base64url value at its own
 * owner name, waits for the reply, deletes that value, waits, and so on
 * (mode add-del).  Replies are matched by message id, their TSIG is verified
 * (unless --no-verify) and every reply's latency is recorded.  Only NOERROR
 * with a valid TSIG counts as success; other rcodes, TSIG failures and
 * timeouts are counted by kind.  Results are printed as one JSON object.
 *
 * Modes:
 *   add-del  add then delete of distinct values, one owner per slot (default)
 *   add      adds only, one fresh owner per update (durability checks:
 *            --acked FILE lists what the server acknowledged)
 *   visible  update-to-visible latency: add, then from the NOERROR on query
 *            the TXT over UDP until the value is in the answer, then delete;
 *            one update at a time
 *
 * Threads share nothing but the read-only options; each owns its
 * connections (non-blocking sockets, epoll) and a latency array.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#define MSG_MAX		1024
#define MAC_MAX		64
#define VALUE_LEN	43
#define OWNER_REL_MAX	128
#define TCP_BUF		(256 * 1024)
#define MAX_DEPTH	4096

typedef enum {
	MODE_ADD_DEL,
	MODE_ADD,
	MODE_VISIBLE,
} mode_t_;

typedef struct {
	const char *server;
	uint16_t port;
	uint8_t zone[KNOT_DNAME_MAXLEN];
	size_t zone_len;
	char zone_str[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_tsig_key_t key;
	bool have_key;
	unsigned conns;
	unsigned threads;
	unsigned depth;
	uint64_t count;        /*!< Updates to send in total (0: use seconds). */
	double seconds;
	double warmup;         /*!< Seconds not measured at the start (-t runs). */
	bool tcp;
	mode_t_ mode;
	bool verify;
	unsigned timeout_ms;
	uint32_t ttl;
	const char *prefix;
	const char *acked_path;
	const char *label;
	uint64_t seed;
	struct sockaddr_in addr;
} opts_t;

static opts_t O = {
	.server = "127.0.0.1",
	.port = 53,
	.conns = 1,
	.depth = 1,
	.seconds = 5,
	.verify = true,
	.timeout_ms = 2000,
	.ttl = 60,
	.prefix = "lg",
	.label = "",
};

/*! Counters of one thread (summed at the end). */
typedef struct {
	uint64_t sent;
	uint64_t replies;
	uint64_t ok;
	uint64_t rcode[16];
	uint64_t timeouts;
	uint64_t tsig_bad;
	uint64_t tsig_missing;
	uint64_t malformed;
	uint64_t unmatched;   /*!< Replies to no request in flight (late, or wrong id). */
	uint64_t conn_errors;
	uint64_t not_visible; /*!< visible mode: value never seen within the timeout. */
	uint64_t polls;       /*!< visible mode: queries sent. */
} counters_t;

typedef struct {
	uint64_t *v;
	size_t len, cap;
} lat_vec_t;

typedef struct {
	bool busy;
	bool measured;        /*!< Sent inside the measurement window. */
	bool add;             /*!< The request in flight is an add. */
	uint8_t phase;        /*!< add-del: next op is 0 add, 1 delete. */
	uint16_t id;
	uint64_t t_send;
	uint64_t deadline;
	uint8_t mac[MAC_MAX];
	size_t mac_len;
	char value[VALUE_LEN + 1];
	uint8_t owner[OWNER_REL_MAX]; /*!< Relative labels (no terminator). */
	size_t owner_len;
} slot_t;

typedef struct thread thread_t;

typedef struct {
	thread_t *th;
	unsigned index;       /*!< Global connection number. */
	int fd;
	bool connected;       /*!< TCP: connect finished. */
	slot_t *slots;
	uint16_t id_gen;
	uint64_t quota;       /*!< Updates this connection may still send (-n). */
	uint64_t inflight;
	/* TCP buffers */
	uint8_t *out;
	size_t out_len, out_off;
	uint8_t *in;
	size_t in_len;
	bool want_write;
} conn_t;

struct thread {
	unsigned index;
	pthread_t tid;
	int ep;
	conn_t *conns;
	unsigned nconns;
	counters_t c;
	lat_vec_t lat;
	lat_vec_t lat_visible;
	uint64_t seq;
	uint64_t rng;
	uint64_t first_measured;
	uint64_t last_reply;
	FILE *acked;
	pthread_mutex_t *acked_lock;
};

static uint64_t t_start, t_measure, t_stop;
static volatile bool stop_sending;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void lat_push(lat_vec_t *v, uint64_t ns)
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

static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*! A fresh RFC 8555-shaped value: 32 random bytes in unpadded base64url. */
static void fresh_value(thread_t *th, char out[VALUE_LEN + 1])
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
static void slot_owner(slot_t *s, unsigned conn, unsigned slot, uint64_t unique)
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
static void owner_to_str(const slot_t *s, char *out, size_t size)
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
static size_t build_update(uint8_t *buf, slot_t *s, uint16_t id, bool add)
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

/*! Bits of a message id that hold the slot index. */
static unsigned slot_bits(void)
{
	unsigned bits = 0;
	while ((1u << bits) < O.depth) {
		bits++;
	}
	return bits;
}

static unsigned slot_mask(void)
{
	return (1u << slot_bits()) - 1;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		die("fcntl: %s", strerror(errno));
	}
}

static void conn_open(conn_t *c)
{
	c->fd = socket(AF_INET, (O.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		die("socket: %s", strerror(errno));
	}
	int bufsz = 4 * 1024 * 1024;
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (O.tcp) {
		int one = 1;
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	set_nonblock(c->fd);
	int ret = connect(c->fd, (struct sockaddr *)&O.addr, sizeof(O.addr));
	if (ret < 0 && errno != EINPROGRESS) {
		die("connect: %s", strerror(errno));
	}
	c->connected = (ret == 0) || !O.tcp;
	c->out_len = c->out_off = c->in_len = 0;
	c->want_write = O.tcp && !c->connected;
	struct epoll_event ev = {
		.events = EPOLLIN | (c->want_write ? EPOLLOUT : 0),
		.data.ptr = c,
	};
	if (epoll_ctl(c->th->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		die("epoll_ctl: %s", strerror(errno));
	}
}

static void conn_update_events(conn_t *c)
{
	bool want = !c->connected || c->out_off < c->out_len;
	if (want == c->want_write) {
		return;
	}
	c->want_write = want;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c };
	(void)epoll_ctl(c->th->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*! TCP: writes what is buffered; false if the connection failed. */
static bool conn_flush(conn_t *c)
{
	while (c->connected && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			}
			return false;
		}
		c->out_off += n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	}
	conn_update_events(c);
	return true;
}

static void conn_fail(conn_t *c);

/*! Sends the next request of a slot (its phase decides add or delete). */
static void slot_send(conn_t *c, unsigned si)
{
	thread_t *th = c->th;
	slot_t *s = &c->slots[si];
	bool add;
	switch (O.mode) {
	case MODE_ADD_DEL:
		add = (s->phase == 0);
		if (add) {
			fresh_value(th, s->value);
		}
		s->phase ^= 1;
		break;
	case MODE_ADD:
		add = true;
		slot_owner(s, c->index, si, th->seq++ * O.threads + th->index);
		fresh_value(th, s->value);
		break;
	default:
		abort();
	}

	/* Message id: slot index in the low bits, a generation above. */
	uint16_t gen = ++c->id_gen;
	uint16_t id = (uint16_t)((gen << slot_bits()) | si);

	uint8_t buf[MSG_MAX + 2];
	uint8_t *msg = O.tcp ? buf + 2 : buf;
	size_t len = build_update(msg, s, id, add);

	s->id = id;
	s->add = add;
	s->busy = true;
	s->t_send = now_ns();
	s->deadline = s->t_send + (uint64_t)O.timeout_ms * 1000000ULL;
	s->measured = s->t_send >= t_measure;
	c->inflight++;
	if (c->quota > 0) {
		c->quota--;
	}
	th->c.sent++;

	if (O.tcp) {
		knot_wire_write_u16(buf, len);
		if (c->out_len + len + 2 > TCP_BUF) {
			die("TCP output buffer full");
		}
		memcpy(c->out + c->out_len, buf, len + 2);
		c->out_len += len + 2;
		if (!conn_flush(c)) {
			conn_fail(c);
		}
	} else {
		ssize_t n = send(c->fd, msg, len, 0);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) {
			die("send: %s", strerror(errno));
		}
		/* A lost datagram shows up as a timeout. */
	}
}

static bool may_send(conn_t *c)
{
	if (!stop_sending && O.count == 0 && now_ns() >= t_stop) {
		stop_sending = true;
	}
	if (stop_sending) {
		return false;
	}
	return O.count == 0 || c->quota > 0;
}

/*! TCP connection lost: requests in flight fail, then reconnect. */
static void conn_fail(conn_t *c)
{
	c->th->c.conn_errors++;
	(void)epoll_ctl(c->th->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (unsigned i = 0; i < O.depth; i++) {
		if (c->slots[i].busy) {
			c->slots[i].busy = false;
			c->inflight--;
		}
	}
	conn_open(c);
}

static void record_acked(thread_t *th, const slot_t *s)
{
	if (th->acked == NULL || !s->add) {
		return;
	}
	char owner[KNOT_DNAME_TXT_MAXLEN + 1];
	owner_to_str(s, owner, sizeof(owner));
	pthread_mutex_lock(th->acked_lock);
	fprintf(th->acked, "%s %s\n", owner, s->value);
	pthread_mutex_unlock(th->acked_lock);
}

/*! One reply: match, check TSIG, count, send the slot's next request. */
static void handle_reply(conn_t *c, uint8_t *wire, size_t len)
{
	thread_t *th = c->th;
	uint64_t now = now_ns();
	if (len < KNOT_WIRE_HEADER_SIZE) {
		th->c.malformed++;
		return;
	}
	uint16_t id = knot_wire_get_id(wire);
	unsigned si = id & slot_mask();
	if (si >= O.depth || !c->slots[si].busy || c->slots[si].id != id ||
	    !knot_wire_get_qr(wire)) {
		th->c.unmatched++;
		return;
	}
	slot_t *s = &c->slots[si];
	s->busy = false;
	c->inflight--;

	uint8_t rcode = knot_wire_get_rcode(wire);
	bool ok = (rcode == KNOT_RCODE_NOERROR);
	bool tsig_ok = true;
	/* Error replies may carry an unsigned TSIG error (BADKEY, BADSIG). */
	if (O.have_key && O.verify && ok) {
		knot_pkt_t *pkt = knot_pkt_new(wire, len, NULL);
		if (pkt == NULL || knot_pkt_parse(pkt, 0) != KNOT_EOK) {
			th->c.malformed++;
			tsig_ok = false;
		} else if (pkt->tsig_rr == NULL) {
			th->c.tsig_missing++;
			tsig_ok = false;
		} else if (knot_tsig_client_check(pkt->tsig_rr, pkt->wire, pkt->size, s->mac,
		                                  s->mac_len, &O.key, 0) != KNOT_EOK) {
			th->c.tsig_bad++;
			tsig_ok = false;
		}
		knot_pkt_free(pkt);
	}

	if (s->measured) {
		th->last_reply = now;
		th->c.replies++;
		th->c.rcode[rcode & 15]++;
		if (ok && tsig_ok) {
			th->c.ok++;
		}
		lat_push(&th->lat, now - s->t_send);
	}
	if (ok && tsig_ok) {
		record_acked(th, s);
	}
	if (O.mode == MODE_ADD_DEL && !(ok && tsig_ok) && s->phase == 1) {
		/* The add failed: nothing to delete, next op is a fresh add. */
		s->phase = 0;
	}
	if (may_send(c)) {
		slot_send(c, si);
	}
}

/*! Requests past their deadline: counted as timeouts, the slot moves on. */
static void check_timeouts(thread_t *th, uint64_t now)
{
	for (unsigned ci = 0; ci < th->nconns; ci++) {
		conn_t *c = &th->conns[ci];
		for (unsigned si = 0; si < O.depth; si++) {
			slot_t *s = &c->slots[si];
			if (!s->busy || s->deadline > now) {
				continue;
			}
			s->busy = false;
			c->inflight--;
			if (s->measured) {
				th->c.timeouts++;
			}
			if (may_send(c)) {
				slot_send(c, si);
			}
		}
	}
}

static void conn_read_udp(conn_t *c)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return; /* EAGAIN, or ECONNREFUSED (server not there): timeouts tell. */
		}
		handle_reply(c, buf, n);
	}
}

static void conn_read_tcp(conn_t *c)
{
	for (;;) {
		if (c->in_len == TCP_BUF) {
			die("TCP input buffer full");
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, TCP_BUF - c->in_len, 0);
		if (n == 0) {
			conn_fail(c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_fail(c);
			}
			return;
		}
		c->in_len += n;
		size_t off = 0;
		while (c->in_len - off >= 2) {
			size_t len = knot_wire_read_u16(c->in + off);
			if (c->in_len - off < len + 2) {
				break;
			}
			handle_reply(c, c->in + off + 2, len);
			off += len + 2;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

static void *thread_main(void *arg)
{
	thread_t *th = arg;
	th->ep = epoll_create1(EPOLL_CLOEXEC);
	if (th->ep < 0) {
		die("epoll_create1: %s", strerror(errno));
	}
	for (unsigned ci = 0; ci < th->nconns; ci++) {
		conn_t *c = &th->conns[ci];
		c->th = th;
		if (O.tcp) {
			c->out = malloc(TCP_BUF);
			c->in = malloc(TCP_BUF);
			if (c->out == NULL || c->in == NULL) {
				die("out of memory");
			}
		}
		conn_open(c);
		for (unsigned si = 0; si < O.depth; si++) {
			slot_owner(&c->slots[si], c->index, si, 0);
		}
	}
	for (unsigned ci = 0; ci < th->nconns; ci++) {
		conn_t *c = &th->conns[ci];
		for (unsigned si = 0; si < O.depth && may_send(c); si++) {
			slot_send(c, si);
		}
	}

	struct epoll_event evs[64];
	uint64_t next_scan = 0;
	for (;;) {
		uint64_t now = now_ns();
		if (O.count == 0 && now >= t_stop) {
			stop_sending = true;
		}
		uint64_t inflight = 0;
		bool more = false;
		for (unsigned ci = 0; ci < th->nconns; ci++) {
			inflight += th->conns[ci].inflight;
			more = more || may_send(&th->conns[ci]);
		}
		if (inflight == 0 && !more) {
			break;
		}
		if (now >= next_scan) {
			check_timeouts(th, now);
			next_scan = now + 2000000ULL;
		}
		int n = epoll_wait(th->ep, evs, 64, 2);
		for (int i = 0; i < n; i++) {
			conn_t *c = evs[i].data.ptr;
			if (O.tcp) {
				if ((evs[i].events & EPOLLOUT) && !c->connected) {
					int err = 0;
					socklen_t el = sizeof(err);
					getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
					if (err != 0) {
						conn_fail(c);
						continue;
					}
					c->connected = true;
				}
				if ((evs[i].events & EPOLLOUT) && !conn_flush(c)) {
					conn_fail(c);
					continue;
				}
				if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
					conn_read_tcp(c);
				}
			} else {
				conn_read_udp(c);
			}
		}
	}
	for (unsigned ci = 0; ci < th->nconns; ci++) {
		close(th->conns[ci].fd);
	}
	close(th->ep);
	return NULL;
}

/* -- visible mode ----------------------------------------------------------- */

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

static void run_visible(thread_t *th)
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

/* -- results ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double pct(const lat_vec_t *v, double p)
{
	if (v->len == 0) {
		return 0;
	}
	size_t i = (size_t)ceil(p / 100.0 * v->len);
	if (i > 0) {
		i--;
	}
	if (i >= v->len) {
		i = v->len - 1;
	}
	return v->v[i] / 1e6;
}

static void print_latency(const char *name, lat_vec_t *v)
{
	qsort(v->v, v->len, sizeof(*v->v), cmp_u64);
	double sum = 0;
	for (size_t i = 0; i < v->len; i++) {
		sum += v->v[i];
	}
	printf("  \"%s\": {\"count\": %zu, \"mean\": %.4f, \"p50\": %.4f, \"p90\": %.4f, "
	       "\"p99\": %.4f, \"p999\": %.4f, \"max\": %.4f}",
	       name, v->len, v->len ? sum / v->len / 1e6 : 0.0, pct(v, 50), pct(v, 90),
	       pct(v, 99), pct(v, 99.9), v->len ? v->v[v->len - 1] / 1e6 : 0.0);
}

static void print_results(thread_t *ths, unsigned nth, uint64_t t_end)
{
	counters_t c = { 0 };
	lat_vec_t lat = { 0 }, vis = { 0 };
	uint64_t last = 0;
	for (unsigned t = 0; t < nth; t++) {
		const counters_t *x = &ths[t].c;
		c.sent += x->sent;
		c.replies += x->replies;
		c.ok += x->ok;
		for (int i = 0; i < 16; i++) {
			c.rcode[i] += x->rcode[i];
		}
		c.timeouts += x->timeouts;
		c.tsig_bad += x->tsig_bad;
		c.tsig_missing += x->tsig_missing;
		c.malformed += x->malformed;
		c.unmatched += x->unmatched;
		c.conn_errors += x->conn_errors;
		c.not_visible += x->not_visible;
		c.polls += x->polls;
		for (size_t i = 0; i < ths[t].lat.len; i++) {
			lat_push(&lat, ths[t].lat.v[i]);
		}
		for (size_t i = 0; i < ths[t].lat_visible.len; i++) {
			lat_push(&vis, ths[t].lat_visible.v[i]);
		}
		if (ths[t].last_reply > last) {
			last = ths[t].last_reply;
		}
	}
	if (last < t_measure) {
		last = t_end;
	}
	double elapsed = (last - t_measure) / 1e9;
	if (elapsed <= 0) {
		elapsed = 1e-9;
	}
	static const char *modes[] = { "add-del", "add", "visible" };
	printf("{\n  \"label\": \"%s\",\n  \"mode\": \"%s\",\n  \"transport\": \"%s\",\n"
	       "  \"server\": \"%s\",\n  \"port\": %u,\n  \"zone\": \"%s\",\n"
	       "  \"connections\": %u,\n  \"threads\": %u,\n  \"depth\": %u,\n"
	       "  \"tsig\": %s,\n  \"verify\": %s,\n",
	       O.label, modes[O.mode], O.tcp ? "tcp" : "udp", O.server, O.port, O.zone_str,
	       O.conns, O.threads, O.depth, O.have_key ? "true" : "false",
	       (O.have_key && O.verify) ? "true" : "false");
	printf("  \"elapsed_s\": %.4f,\n  \"sent\": %" PRIu64 ",\n  \"replies\": %" PRIu64
	       ",\n  \"ok\": %" PRIu64 ",\n  \"throughput\": %.1f,\n",
	       elapsed, c.sent, c.replies, c.ok, c.ok / elapsed);
	printf("  \"rcodes\": {");
	bool first = true;
	for (int i = 0; i < 16; i++) {
		if (c.rcode[i] == 0) {
			continue;
		}
		const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, i);
		printf("%s\"%s\": %" PRIu64, first ? "" : ", ", item ? item->name : "?", c.rcode[i]);
		first = false;
	}
	printf("},\n  \"errors\": {\"timeout\": %" PRIu64 ", \"tsig_bad\": %" PRIu64
	       ", \"tsig_missing\": %" PRIu64 ", \"malformed\": %" PRIu64
	       ", \"unmatched\": %" PRIu64 ", \"connection\": %" PRIu64 ", \"not_visible\": %"
	       PRIu64 "},\n",
	       c.timeouts, c.tsig_bad, c.tsig_missing, c.malformed, c.unmatched,
	       c.conn_errors, c.not_visible);
	print_latency("latency_ms", &lat);
	if (O.mode == MODE_VISIBLE) {
		printf(",\n");
		print_latency("visible_ms", &vis);
		printf(",\n  \"polls\": %" PRIu64, c.polls);
	}
	printf("\n}\n");
	free(lat.v);
	free(vis.v);
}

/* -- main ------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
	"Usage: loadgen -z ZONE [options]\n"
	"  -s ADDR         server IPv4 address (127.0.0.1)\n"
	"  -p PORT         server port (53)\n"
	"  -z ZONE         zone to update\n"
	"  -k [ALG:]NAME:SECRET  TSIG key, knsupdate -y syntax (unsigned without)\n"
	"  -c N            connections (1); UDP: one socket each\n"
	"  -T N            threads (min(connections, CPUs))\n"
	"  -d N            updates in flight per connection (1, max %d)\n"
	"  -n N            send N updates in total, or\n"
	"  -t SECONDS      run for SECONDS (5), after\n"
	"  -w SECONDS      warm-up not measured (0)\n"
	"  --udp | --tcp   transport (udp)\n"
	"  -m MODE         add-del (default), add, visible\n"
	"  --no-verify     do not verify the TSIG of replies\n"
	"  --timeout MS    per-request timeout (2000)\n"
	"  --ttl N         TTL of added records (60)\n"
	"  --prefix LABEL  label under the zone for the owners (lg)\n"
	"  --acked FILE    write 'owner value' of every acknowledged add\n"
	"  --label TEXT    copied to the JSON output\n"
	"  --seed N        value generator seed\n",
	MAX_DEPTH);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "udp",       no_argument,       NULL, 'U' },
		{ "tcp",       no_argument,       NULL, 'P' },
		{ "no-verify", no_argument,       NULL, 'V' },
		{ "timeout",   required_argument, NULL, 'o' },
		{ "ttl",       required_argument, NULL, 'L' },
		{ "prefix",    required_argument, NULL, 'x' },
		{ "acked",     required_argument, NULL, 'a' },
		{ "label",     required_argument, NULL, 'l' },
		{ "seed",      required_argument, NULL, 'S' },
		{ "mode",      required_argument, NULL, 'm' },
		{ "help",      no_argument,       NULL, 'h' },
		{ NULL }
	};
	const char *zone = NULL, *key = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "s:p:z:k:c:T:d:n:t:w:m:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': O.server = optarg; break;
		case 'p': O.port = atoi(optarg); break;
		case 'z': zone = optarg; break;
		case 'k': key = optarg; break;
		case 'c': O.conns = atoi(optarg); break;
		case 'T': O.threads = atoi(optarg); break;
		case 'd': O.depth = atoi(optarg); break;
		case 'n': O.count = strtoull(optarg, NULL, 10); break;
		case 't': O.seconds = atof(optarg); break;
		case 'w': O.warmup = atof(optarg); break;
		case 'U': O.tcp = false; break;
		case 'P': O.tcp = true; break;
		case 'V': O.verify = false; break;
		case 'o': O.timeout_ms = atoi(optarg); break;
		case 'L': O.ttl = strtoul(optarg, NULL, 10); break;
		case 'x': O.prefix = optarg; break;
		case 'a': O.acked_path = optarg; break;
		case 'l': O.label = optarg; break;
		case 'S': O.seed = strtoull(optarg, NULL, 10); break;
		case 'm':
			if (strcmp(optarg, "add-del") == 0) {
				O.mode = MODE_ADD_DEL;
			} else if (strcmp(optarg, "add") == 0) {
				O.mode = MODE_ADD;
			} else if (strcmp(optarg, "visible") == 0) {
				O.mode = MODE_VISIBLE;
			} else {
				usage();
			}
			break;
		default: usage();
		}
	}
	if (zone == NULL || optind != argc || O.conns < 1 || O.depth < 1 ||
	    O.depth > MAX_DEPTH || O.port == 0 || O.timeout_ms == 0) {
		usage();
	}
	if (knot_dname_from_str(O.zone, zone, sizeof(O.zone)) == NULL) {
		die("bad zone name '%s'", zone);
	}
	knot_dname_to_lower(O.zone);
	O.zone_len = knot_dname_size(O.zone);
	if (knot_dname_to_str(O.zone_str, O.zone, sizeof(O.zone_str)) == NULL) {
		die("bad zone name '%s'", zone);
	}
	if (key != NULL) {
		int ret = knot_tsig_key_init_str(&O.key, key);
		if (ret != KNOT_EOK) {
			die("bad TSIG key: %s", knot_strerror(ret));
		}
		O.have_key = true;
	}
	O.addr.sin_family = AF_INET;
	O.addr.sin_port = htons(O.port);
	if (inet_pton(AF_INET, O.server, &O.addr.sin_addr) != 1) {
		die("bad IPv4 address '%s'", O.server);
	}
	if (O.mode == MODE_VISIBLE) {
		O.conns = 1;
		O.threads = 1;
		O.depth = 1;
	}
	if (O.threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		O.threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (O.threads > O.conns) {
		O.threads = O.conns;
	}
	if (O.seed == 0) {
		O.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	}

	FILE *acked = NULL;
	pthread_mutex_t acked_lock = PTHREAD_MUTEX_INITIALIZER;
	if (O.acked_path != NULL) {
		acked = fopen(O.acked_path, "w");
		if (acked == NULL) {
			die("%s: %s", O.acked_path, strerror(errno));
		}
	}

	thread_t *ths = calloc(O.threads, sizeof(*ths));
	conn_t *conns = calloc(O.conns, sizeof(*conns));
	if (ths == NULL || conns == NULL) {
		die("out of memory");
	}
	for (unsigned i = 0; i < O.conns; i++) {
		conns[i].index = i;
		conns[i].slots = calloc(O.depth, sizeof(slot_t));
		if (conns[i].slots == NULL) {
			die("out of memory");
		}
		if (O.count > 0) {
			conns[i].quota = O.count / O.conns + (i < O.count % O.conns ? 1 : 0);
		}
	}
	unsigned ci = 0;
	for (unsigned t = 0; t < O.threads; t++) {
		thread_t *th = &ths[t];
		th->index = t;
		th->rng = O.seed + 0x1000003ULL * (t + 1);
		th->acked = acked;
		th->acked_lock = &acked_lock;
		unsigned n = O.conns / O.threads + (t < O.conns % O.threads ? 1 : 0);
		th->conns = &conns[ci];
		th->nconns = n;
		ci += n;
	}

	t_start = now_ns();
	t_measure = (O.count > 0) ? t_start : t_start + (uint64_t)(O.warmup * 1e9);
	t_stop = t_measure + (uint64_t)(O.seconds * 1e9);
	if (O.mode == MODE_VISIBLE) {
		t_measure = t_start;
		t_stop = t_start + (uint64_t)(O.seconds * 1e9);
		run_visible(&ths[0]);
	} else {
		for (unsigned t = 0; t < O.threads; t++) {
			if (pthread_create(&ths[t].tid, NULL, thread_main, &ths[t]) != 0) {
				die("pthread_create failed");
			}
		}
		for (unsigned t = 0; t < O.threads; t++) {
			pthread_join(ths[t].tid, NULL);
		}
	}
	uint64_t t_end = now_ns();
	if (acked != NULL) {
		fclose(acked);
	}
	print_results(ths, O.threads, t_end);
	if (O.have_key) {
		knot_tsig_key_deinit(&O.key);
	}
	return 0;
}
