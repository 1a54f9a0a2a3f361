/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "module/tool/dnsclient.h"

/*! Per try; two UDP tries, one TCP.  A resolver may take seconds to give
 *  up on an unreachable server (and answer SERVFAIL). */
#define TIMEOUT_MS	5000
#define UDP_TRIES	2
#define EDNS_PAYLOAD	1232

int tool_addr_parse(const char *str, uint16_t default_port, tool_addr_t *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strrchr(str, '@');
	size_t len = at != NULL ? (size_t)(at - str) : strlen(str);
	if (len == 0 || len >= sizeof(host)) {
		return KNOT_EINVAL;
	}
	memcpy(host, str, len);
	host[len] = '\0';

	unsigned long port = default_port;
	if (at != NULL) {
		char *end;
		errno = 0;
		port = strtoul(at + 1, &end, 10);
		if (errno != 0 || *end != '\0' || at[1] < '0' || at[1] > '9' ||
		    port == 0 || port > 65535) {
			return KNOT_EINVAL;
		}
	}

	memset(out, 0, sizeof(*out));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		out->len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		out->len = sizeof(*v6);
	} else {
		return KNOT_EINVAL;
	}
	snprintf(out->text, sizeof(out->text), "%s@%lu", host, port);
	return KNOT_EOK;
}

int tool_addr_resolv_conf(tool_addr_t *out)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	if (f == NULL) {
		return KNOT_ENOENT;
	}
	char line[512];
	int ret = KNOT_ENOENT;
	while (ret != KNOT_EOK && fgets(line, sizeof(line), f) != NULL) {
		char addr[256];
		if (sscanf(line, " nameserver %255s", addr) == 1) {
			ret = tool_addr_parse(addr, 53, out);
		}
	}
	fclose(f);
	return ret;
}

static int wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;
	while ((n = poll(&pfd, 1, TIMEOUT_MS)) < 0 && errno == EINTR);
	return n > 0 ? KNOT_EOK : (n == 0 ? KNOT_ETIMEOUT : knot_map_errno());
}

static int exchange_udp(const tool_addr_t *server, const uint8_t *q, size_t qlen,
                        uint8_t *buf, size_t size, size_t *len)
{
	int fd = socket(server->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return knot_map_errno();
	}
	int ret = KNOT_ETIMEOUT;
	if (connect(fd, (const struct sockaddr *)&server->ss, server->len) != 0) {
		ret = knot_map_errno();
		close(fd);
		return ret;
	}
	for (int i = 0; i < UDP_TRIES && ret == KNOT_ETIMEOUT; i++) {
		if (send(fd, q, qlen, 0) != (ssize_t)qlen) {
			ret = KNOT_ECONN;
			break;
		}
		/* Skip datagrams that do not answer this query (id, size). */
		while ((ret = wait_fd(fd, POLLIN)) == KNOT_EOK) {
			ssize_t n = recv(fd, buf, size, 0);
			if (n < 0) {
				ret = KNOT_ECONN;
				break;
			}
			if (n >= KNOT_WIRE_HEADER_SIZE &&
			    knot_wire_get_id(buf) == knot_wire_get_id(q)) {
				*len = n;
				break;
			}
		}
	}
	close(fd);
	return ret;
}

static int io_all(int fd, uint8_t *buf, size_t len, bool out)
{
	while (len > 0) {
		int ret = wait_fd(fd, out ? POLLOUT : POLLIN);
		if (ret != KNOT_EOK) {
			return ret;
		}
		ssize_t n = out ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);
		if (n <= 0) {
			return KNOT_ECONN;
		}
		buf += n;
		len -= n;
	}
	return KNOT_EOK;
}

static int exchange_tcp(const tool_addr_t *server, const uint8_t *q, size_t qlen,
                        uint8_t *buf, size_t size, size_t *len)
{
	int fd = socket(server->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		return knot_map_errno();
	}
	int ret = KNOT_EOK;
	if (connect(fd, (const struct sockaddr *)&server->ss, server->len) != 0 &&
	    errno != EINPROGRESS) {
		ret = KNOT_ECONN;
	}
	uint8_t hdr[2] = { qlen >> 8, qlen & 0xff };
	if (ret == KNOT_EOK) {
		ret = io_all(fd, hdr, 2, true);
	}
	if (ret == KNOT_EOK) {
		ret = io_all(fd, (uint8_t *)q, qlen, true);
	}
	if (ret == KNOT_EOK) {
		ret = io_all(fd, hdr, 2, false);
	}
	size_t rlen = (hdr[0] << 8) | hdr[1];
	if (ret == KNOT_EOK && (rlen > size || rlen < KNOT_WIRE_HEADER_SIZE)) {
		ret = KNOT_EMALF;
	}
	if (ret == KNOT_EOK) {
		ret = io_all(fd, buf, rlen, false);
		*len = rlen;
	}
	close(fd);
	return ret;
}

/*! Sends \a q, over TCP after a truncated UDP reply; parses the reply. */
static int exchange(const tool_addr_t *server, knot_pkt_t *q, knot_pkt_t **reply)
{
	uint8_t *buf = malloc(KNOT_WIRE_MAX_PKTSIZE);
	if (buf == NULL) {
		return KNOT_ENOMEM;
	}
	size_t len = 0;
	int ret = exchange_udp(server, q->wire, q->size, buf, KNOT_WIRE_MAX_PKTSIZE, &len);
	if (ret == KNOT_EOK && knot_wire_get_tc(buf)) {
		ret = exchange_tcp(server, q->wire, q->size, buf, KNOT_WIRE_MAX_PKTSIZE, &len);
	}
	if (ret != KNOT_EOK) {
		free(buf);
		return ret;
	}
	knot_pkt_t *r = knot_pkt_new(NULL, len, NULL);
	if (r == NULL) {
		free(buf);
		return KNOT_ENOMEM;
	}
	memcpy(r->wire, buf, len);
	r->size = len;
	free(buf);
	if (knot_pkt_parse(r, 0) != KNOT_EOK || knot_wire_get_id(r->wire) != knot_wire_get_id(q->wire) ||
	    !knot_wire_get_qr(r->wire)) {
		knot_pkt_free(r);
		return KNOT_EMALF;
	}
	*reply = r;
	return KNOT_EOK;
}

static knot_pkt_t *new_message(const knot_dname_t *name, uint16_t type)
{
	knot_pkt_t *q = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (q == NULL) {
		return NULL;
	}
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
		id = (uint16_t)getpid();
	}
	knot_wire_set_id(q->wire, id);
	if (knot_pkt_put_question(q, name, KNOT_CLASS_IN, type) != KNOT_EOK) {
		knot_pkt_free(q);
		return NULL;
	}
	return q;
}

int tool_dns_query(const tool_addr_t *server, const knot_dname_t *name, uint16_t type,
                   unsigned flags, knot_pkt_t **reply)
{
	knot_pkt_t *q = new_message(name, type);
	if (q == NULL) {
		return KNOT_ENOMEM;
	}
	if (flags & TOOL_Q_RD) {
		knot_wire_set_rd(q->wire);
	}
	if (flags & TOOL_Q_CD) {
		knot_wire_set_cd(q->wire);
	}
	knot_rrset_t opt;
	int ret = knot_edns_init(&opt, EDNS_PAYLOAD, 0, 0, NULL);
	if (ret == KNOT_EOK) {
		if (flags & TOOL_Q_DO) {
			knot_edns_set_do(&opt);
		}
		ret = knot_pkt_begin(q, KNOT_ADDITIONAL);
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(q, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
	}
	if (ret == KNOT_EOK) {
		ret = exchange(server, q, reply);
	} else {
		knot_rrset_clear(&opt, NULL);
	}
	knot_pkt_free(q);
	return ret;
}

int tool_dns_update(const tool_addr_t *server, const knot_dname_t *zone,
                    const knot_rrset_t *rr, const knot_tsig_key_t *key,
                    uint16_t *rcode, uint16_t *tsig_error)
{
	knot_pkt_t *q = new_message(zone, KNOT_RRTYPE_SOA);
	if (q == NULL) {
		return KNOT_ENOMEM;
	}
	knot_wire_set_opcode(q->wire, KNOT_OPCODE_UPDATE);
	int ret = knot_pkt_begin(q, KNOT_AUTHORITY);  /* The update section. */
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(q, KNOT_COMPR_HINT_NONE, rr, 0);
	}
	uint8_t digest[64];
	size_t digest_len = sizeof(digest);
	size_t size = q->size;
	if (ret == KNOT_EOK) {
		ret = knot_tsig_sign(q->wire, &size, q->max_size, NULL, 0, digest, &digest_len,
		                     key, 0, 0);
		q->size = size;
	}
	knot_pkt_t *r = NULL;
	if (ret == KNOT_EOK) {
		ret = exchange(server, q, &r);
	}
	knot_pkt_free(q);
	if (ret != KNOT_EOK) {
		return ret;
	}
	*rcode = knot_wire_get_rcode(r->wire);
	*tsig_error = r->tsig_rr != NULL ? knot_tsig_rdata_error(r->tsig_rr) : 0;
	if (r->tsig_rr == NULL) {
		ret = (*rcode == KNOT_RCODE_NOERROR) ? KNOT_TSIG_EBADSIG : KNOT_EOK;
	} else if (*tsig_error == 0) {
		ret = knot_tsig_client_check(r->tsig_rr, r->wire, r->size, digest, digest_len,
		                             key, 0);
	}
	knot_pkt_free(r);
	return ret;
}
