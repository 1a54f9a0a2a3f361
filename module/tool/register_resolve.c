/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <libdnssec/binary.h>

#include "module/tool/cli.h"
#include "module/tool/register_internal.h"

/* What to register, from the command line and knotd's configuration. */

static int parse_server(reg_t *r, const char *str, bool from_conf)
{
	const char *at = strchr(str, '@');
	size_t len = at != NULL ? (size_t)(at - str) : strlen(str);
	r->port = 53;
	if (at != NULL) {
		char *end;
		errno = 0;
		unsigned long port = strtoul(at + 1, &end, 10);
		if (errno != 0 || *end != '\0' || port == 0 || port > 65535 || at[1] < '0' ||
		    at[1] > '9') {
			return from_conf ? EXIT_RUNTIME :
			       tool_usage_error("invalid port in '%s'", str);
		}
		r->port = port;
	}
	if (len == 0 || len >= sizeof(r->server)) {
		return from_conf ? EXIT_RUNTIME : tool_usage_error("invalid server '%s'", str);
	}
	memcpy(r->server, str, len);
	r->server[len] = '\0';
	return EXIT_OK;
}

/*! The address clients send updates to: --server, or knotd's first listen. */
int reg_resolve_server(reg_t *r)
{
	if (r->server_arg != NULL) {
		return parse_server(r, r->server_arg, false);
	}
	const char *listen = tool_conf_get(r->conf, "server", NULL, "listen");
	if (listen == NULL || parse_server(r, listen, true) != EXIT_OK ||
	    strcmp(r->server, "0.0.0.0") == 0 || strcmp(r->server, "::") == 0) {
		char host[256] = "";
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
			return tool_usage_error("cannot tell the server's address; "
			                        "give --server ADDR[@PORT]");
		}
		snprintf(r->server, sizeof(r->server), "%s", host);
	}
	return EXIT_OK;
}

int reg_resolve_alias(reg_t *r)
{
	knot_dname_storage_t zone;
	if (!tool_name_parse(r->alias, false, zone)) {
		return tool_usage_error("invalid zone name '%s'", r->alias);
	}
	tool_name_str(zone, r->zone, sizeof(r->zone));
	const tool_zone_t *z = tool_conf_zone_of(r->conf, zone);
	if (z == NULL || !knot_dname_is_equal(z->name, zone)) {
		tool_error("%s is not a zone of knotd's configuration", r->zone);
		return EXIT_USAGE;
	}
	if (z->acme == NULL) {
		tool_error("zone %s does not use mod-acme", r->zone);
		return EXIT_USAGE;
	}
	if (snprintf(r->target, sizeof(r->target), "%s.%s", r->base, r->zone) >=
	    (int)sizeof(r->target)) {
		return tool_usage_error("%s.%s is too long a name", r->base, r->zone);
	}
	knot_dname_storage_t target;
	if (knot_dname_from_str(target, r->target, sizeof(target)) == NULL) {
		return tool_usage_error("%s is too long a name", r->target);
	}
	knot_dname_to_lower(target);
	if (tool_conf_zone_of(r->conf, target) != z) {
		tool_error("%s falls in zone %s, not in %s", r->target,
		           tool_conf_zone_of(r->conf, target)->domain, r->zone);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*! The template's own mod-acme reference, or NULL. */
static const char *template_module(const tool_conf_t *conf, const char *tpl)
{
	tool_values_t mods = { 0 };
	tool_conf_values_own(conf, "template", tpl, "module", tool_values_collect, &mods);
	for (size_t i = 0; i < mods.count; i++) {
		if (strncmp(mods.values[i], "mod-acme/", 9) == 0) {
			return mods.values[i];
		}
	}
	return NULL;
}

/*!
 * How the delegated zone gets mod-acme: from a template that has it (given
 * with --template, or the first one with it; "default" needs nothing set),
 * else a module item of its own.  Knot checks a module item in a control
 * transaction only against modules in its module directory, not against
 * those a module: section loads; a template carries it either way.
 */
static int resolve_zone_module(reg_t *r)
{
	if (r->template_id != NULL) {
		if (!tool_conf_has(r->conf, "template", r->template_id)) {
			tool_error("knotd's configuration has no template '%s'", r->template_id);
			return EXIT_USAGE;
		}
		if (template_module(r->conf, r->template_id) == NULL) {
			tool_error("template '%s' does not use mod-acme", r->template_id);
			return EXIT_USAGE;
		}
		r->zone_template = r->template_id;
		return EXIT_OK;
	}
	const char *tpl;
	for (size_t i = 0; r->module_id == NULL &&
	     (tpl = tool_conf_id(r->conf, "template", i)) != NULL; i++) {
		if (template_module(r->conf, tpl) != NULL) {
			r->zone_template = strcmp(tpl, "default") == 0 ? NULL : tpl;
			return EXIT_OK;
		}
	}

	const char *id = r->module_id;
	if (id == NULL) {
		id = tool_conf_has(r->conf, "mod-acme", "default") ? "default" :
		     tool_conf_id(r->conf, "mod-acme", 0);
	}
	if (id == NULL) {
		tool_error("knotd's configuration has no mod-acme section for the zone "
		           "(add one, or give --module ID)");
		return EXIT_USAGE;
	}
	if (!tool_conf_has(r->conf, "mod-acme", id)) {
		tool_error("knotd's configuration has no mod-acme section '%s'", id);
		return EXIT_USAGE;
	}
	snprintf(r->module_ref, sizeof(r->module_ref), "mod-acme/%s", id);
	return EXIT_OK;
}

int reg_resolve_delegation(reg_t *r)
{
	snprintf(r->zone, sizeof(r->zone), "%s", r->challenge);
	snprintf(r->target, sizeof(r->target), "%s", r->challenge);
	if (tool_conf_has(r->conf, "zone", r->zone)) {
		tool_error("zone %s already exists in knotd's configuration", r->zone);
		return EXIT_USAGE;
	}

	int ret = resolve_zone_module(r);
	if (ret != EXIT_OK) {
		return ret;
	}

	if (r->ns_count == 0) {
		return tool_usage_error("--delegate needs the name server(s) of this "
		                        "server: --ns NAME (repeatable)");
	}
	for (size_t i = 0; i < r->ns_count; i++) {
		knot_dname_storage_t ns;
		if (!tool_name_parse(r->ns[i], false, ns)) {
			return tool_usage_error("invalid name server name '%s'", r->ns[i]);
		}
		tool_name_str(ns, r->ns_txt[i], sizeof(r->ns_txt[i]));
		r->ns[i] = r->ns_txt[i];
	}

	r->zone_file = tool_conf_new_zone_file(r->conf, r->zone, r->zone_template);
	if (r->zone_file == NULL) {
		tool_error("cannot tell where knotd keeps zone files (the default template's "
		           "file pattern uses more than %%s)");
		return EXIT_USAGE;
	}
	if (access(r->zone_file, F_OK) == 0) {
		tool_error("zone file %s already exists", r->zone_file);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int reg_generate_secret(reg_t *r)
{
	uint8_t raw[SECRET_BYTES];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno != EINTR) {
			tool_error("no random bytes for the key (%s)", strerror(errno));
			return EXIT_RUNTIME;
		}
		got += n > 0 ? n : 0;
	}
	dnssec_binary_t bin = { .size = sizeof(raw), .data = raw }, b64 = { 0 };
	int ret = dnssec_binary_to_base64(&bin, &b64);
	explicit_bzero(raw, sizeof(raw));
	if (ret != 0 || (r->secret = calloc(1, b64.size + 1)) == NULL) {
		dnssec_binary_free(&b64);
		tool_error("cannot encode the key");
		return EXIT_RUNTIME;
	}
	memcpy(r->secret, b64.data, b64.size);
	explicit_bzero(b64.data, b64.size);
	dnssec_binary_free(&b64);
	return EXIT_OK;
}
typedef struct {
	const char *id;
	bool found;
} find_t;

static int find_value(const char *value, void *ctx)
{
	find_t *f = ctx;
	if (strcmp(value, f->id) == 0) {
		f->found = true;
		return 1;
	}
	return 0;
}

/*! True when the zone is the one register --delegate created. */
static bool is_delegated_zone(reg_t *r, const char *zone)
{
	knot_dname_storage_t a, b;
	if (knot_dname_from_str(a, zone, sizeof(a)) == NULL ||
	    knot_dname_from_str(b, r->challenge, sizeof(b)) == NULL) {
		return false;
	}
	knot_dname_to_lower(a);
	tool_values_t own = { 0 };
	tool_conf_values_own(r->conf, "zone", zone, "acl", tool_values_collect, &own);
	return knot_dname_is_equal(a, b) && own.count == 1 && strcmp(own.values[0], r->id) == 0;
}
const char *reg_next_zone(reg_t *r, size_t *i, bool *delegated)
{
	const char *zone;
	while ((zone = tool_conf_id(r->conf, "zone", (*i)++)) != NULL) {
		find_t f = { .id = r->id };
		tool_conf_values_own(r->conf, "zone", zone, "acl", find_value, &f);
		if (!f.found) {
			continue;
		}
		*delegated = is_delegated_zone(r, zone);
		if (*delegated) {
			const char *file = tool_conf_get(r->conf, "zone", zone, "file");
			if (file != NULL && r->zone_file == NULL) {
				r->zone_file = strdup(file);
			}
		}
		return zone;
	}
	return NULL;
}
