/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* loadgen: the closed loop of the add-del and add modes. */

#include "bench/loadgen.h"

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

void *thread_main(void *arg)
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
