/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "module/common/logtext.h"

bool acme_addr_str(const struct sockaddr_storage *ss, bool with_port, char *out, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "";
	int port = 0;
	if (size == 0) {
		return false;
	}
	out[0] = '\0';
	if (ss != NULL && ss->ss_family == AF_INET) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sa->sin_addr, addr, sizeof(addr));
		port = ntohs(sa->sin_port);
	} else if (ss != NULL && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sa->sin6_addr, addr, sizeof(addr));
		port = ntohs(sa->sin6_port);
	} else {
		return false;
	}
	if (with_port) {
		snprintf(out, size, "%s@%d", addr, port);
	} else {
		snprintf(out, size, "%s", addr);
	}
	return true;
}

const char *acme_tsig_key_name_str(const knot_dname_t *key, knot_dname_txt_storage_t out,
                                   const char *none)
{
	if (key == NULL || knot_dname_to_str(out, key, sizeof(knot_dname_txt_storage_t)) == NULL) {
		return none;
	}
	return out;
}
