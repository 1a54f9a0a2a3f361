/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module/tool/cli.h"
#include "module/tool/clients.h"
#include "module/tool/register.h"
#include "module/tool/register_internal.h"

void reg_free(reg_t *r)
{
	if (r->secret != NULL) {
		explicit_bzero(r->secret, strlen(r->secret));
		free(r->secret);
	}
	free(r->zone_file);
	free(r->include_file);
	tool_conf_free(r->conf);
}

/* --- names ---------------------------------------------------------------- */

/*! Text of a name without the trailing dot. */
static void name_nodot(char *out, size_t size, const knot_dname_t *name)
{
	tool_name_str(name, out, size);
	size_t len = strlen(out);
	if (len > 1 && out[len - 1] == '.') {
		out[len - 1] = '\0';
	}
}

/*! The certificate NAME and the names derived from it. */
static int parse_reg_name(reg_t *r, const char *arg)
{
	knot_dname_storage_t name;
	if (strchr(arg, '\\') != NULL || !tool_name_parse(arg, true, name) ||
	    knot_dname_is_equal(name, (const uint8_t *)"")) {
		return tool_usage_error("invalid domain name '%s' (labels of letters, digits, "
		                        "'-' and '_', optionally '*.' first)", arg);
	}
	name_nodot(r->name, sizeof(r->name), name);
	const knot_dname_t *base = knot_dname_is_wildcard(name) ? name + 2 : name;
	name_nodot(r->base, sizeof(r->base), base);
	if (strncmp(r->base, "_acme-challenge.", 16) == 0) {
		return tool_usage_error("give the certificate name, not its challenge name "
		                        "('%s')", r->base + 16);
	}

	int n1 = snprintf(r->challenge, sizeof(r->challenge), "_acme-challenge.%s.", r->base);
	int n2 = snprintf(r->id, sizeof(r->id), ID_PREFIX "%s", r->base);
	int n3 = snprintf(r->key_name, sizeof(r->key_name), ID_PREFIX "%s.", r->base);
	knot_dname_storage_t check;
	if (n1 >= (int)sizeof(r->challenge) || n2 >= (int)sizeof(r->id) ||
	    n3 >= (int)sizeof(r->key_name) ||
	    knot_dname_from_str(check, r->challenge, sizeof(check)) == NULL ||
	    knot_dname_from_str(check, r->key_name, sizeof(check)) == NULL) {
		return tool_usage_error("name '%s' too long", arg);
	}
	return EXIT_OK;
}

static void print_help_register(void)
{
	printf("Usage: " PROGRAM_NAME " [-c FILE | -C DIR] register NAME "
	       "(--alias ZONE | --delegate --ns NS...) [options]\n"
	       "\n"
	       "Onboards NAME (www.example.com, example.com or *.example.com):\n"
	       "a TSIG key, an acl letting it write only NAME's challenge, and\n"
	       "the alias zone's acl or a delegated zone, in knotd's configuration.\n"
	       "Prints the record for the main zone and ACME client configurations.\n"
	       "\n"
	       "  --alias ZONE         _acme-challenge.NAME CNAME NAME.ZONE (a mod-acme zone).\n"
	       "  --delegate           _acme-challenge.NAME becomes a mod-acme zone here.\n"
	       "  --ns NS              Name server of this server (for --delegate; repeat).\n"
	       "  --template ID        Template (with mod-acme) of a delegated zone (default:\n"
	       "                       the first template using mod-acme, if any).\n"
	       "  --module ID          Else the zone's mod-acme section (default: default).\n"
	       "  --server ADDR[@PORT] Address clients send updates to (default: listen).\n"
	       "  --client LIST        certbot,lego,acme.sh,cert-manager or all (default).\n"
	       "  --include-dir DIR    With a configuration file: where registration\n"
	       "                       files go (default: knot-acme.d/ next to it).\n");
}

static int parse_register(reg_t *r, int argc, char *argv[], bool unregister)
{
	static const struct option opts[] = {
		{ "alias",       required_argument, NULL, 'a' },
		{ "delegate",    no_argument,       NULL, 'd' },
		{ "ns",          required_argument, NULL, 'n' },
		{ "module",      required_argument, NULL, 'm' },
		{ "template",    required_argument, NULL, 't' },
		{ "server",      required_argument, NULL, 's' },
		{ "client",      required_argument, NULL, 'k' },
		{ "include-dir", required_argument, NULL, 'i' },
		{ "help",        no_argument,       NULL, 'h' },
		{ NULL }
	};
	r->clients = CLIENT_ALL;
	optind = 0;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (unregister && opt != 'i' && opt != 'h' && opt != ':' && opt != '?') {
			return tool_usage_error("option '%s' is not for unregister",
			                        argv[optind - 1]);
		}
		switch (opt) {
		case 'a': r->alias = optarg; break;
		case 'd': r->delegate = true; break;
		case 'n':
			if (r->ns_count == MAX_NS) {
				return tool_usage_error("at most %u --ns", MAX_NS);
			}
			r->ns[r->ns_count++] = optarg;
			break;
		case 'm': r->module_id = optarg; break;
		case 't': r->template_id = optarg; break;
		case 's': r->server_arg = optarg; break;
		case 'i': r->include_dir = optarg; break;
		case 'k':
			r->clients = tool_clients_parse(optarg);
			if (r->clients == 0) {
				return tool_usage_error("invalid --client '%s' (certbot, lego, "
				                        "acme.sh, cert-manager, all)", optarg);
			}
			break;
		case 'h':
			print_help_register();
			return EXIT_OK;
		case ':':
			return tool_usage_error("option '%s' requires an argument",
			                        argv[optind - 1]);
		default:
			return tool_usage_error("invalid option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc) {
		return tool_usage_error(optind == argc ? "missing NAME for '%s'" :
		                        "too many arguments for '%s'", argv[0]);
	}
	if (!unregister && (r->alias != NULL) == r->delegate) {
		return tool_usage_error("give exactly one of --alias ZONE and --delegate");
	}
	if (!unregister && !r->delegate &&
	    (r->ns_count > 0 || r->module_id != NULL || r->template_id != NULL)) {
		return tool_usage_error("--ns, --module and --template go with --delegate");
	}
	if (r->module_id != NULL && r->template_id != NULL) {
		return tool_usage_error("--module or --template, not both");
	}
	int ret = parse_reg_name(r, argv[optind]);
	return ret == EXIT_OK ? -1 : ret;
}

static int load_conf(reg_t *r)
{
	char err[4096];
	if (tool_conf_load(&r->conf, r->src, err, sizeof(err)) != KNOT_EOK) {
		tool_error("%s", err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int tool_register(int argc, char *argv[], const tool_src_t *src)
{
	reg_t r = { .src = src };
	int ret = parse_register(&r, argc, argv, false);
	if (ret >= 0) {
		return ret;
	}
	if ((ret = load_conf(&r)) != EXIT_OK) {
		goto done;
	}
	if (tool_conf_has(r.conf, "key", r.key_name) || tool_conf_has(r.conf, "acl", r.id)) {
		tool_error("%s is already registered (key %s); knot-acme unregister %s first",
		           r.name, r.key_name, r.name);
		ret = EXIT_USAGE;
		goto done;
	}
	ret = r.delegate ? reg_resolve_delegation(&r) : reg_resolve_alias(&r);
	if (ret == EXIT_OK) {
		ret = reg_resolve_server(&r);
	}
	if (ret != EXIT_OK) {
		goto done;
	}
	bool confdb = tool_src_is_confdb(src);
	if (!confdb && (ret = reg_include_paths(&r)) != EXIT_OK) {
		goto done;
	}
	if ((ret = reg_generate_secret(&r)) != EXIT_OK) {
		goto done;
	}
	if (r.delegate && (ret = reg_write_zone_file(&r)) != EXIT_OK) {
		goto done;
	}

	bool is_included = true;
	ret = confdb ? reg_confdb_register(&r) :
	               reg_file_register(&r, &is_included);
	if (ret != EXIT_OK) {
		if (r.delegate) {
			unlink(r.zone_file);
		}
		goto done;
	}

	if (confdb) {
		printf("# Registered %s in knotd's configuration database (key %s, acl %s%s%s).\n\n",
		       r.name, r.key_name, r.id, r.delegate ? ", zone " : "",
		       r.delegate ? r.zone : "");
	} else {
		printf("# Registered %s in %s.\n"
		       "# 0. Finish on this server%s:\n", r.name, r.include_file,
		       is_included ? "" : " (the include line once for all names)");
		char copy[PATH_MAX];
		snprintf(copy, sizeof(copy), "%s", r.include_file);
		if (!is_included) {
			printf("#   in %s, before its zone: section: include: %s/*.conf\n",
			       r.conf_file, dirname(copy));
		}
		if (!r.delegate) {
			tool_values_t all = { 0 };
			tool_conf_values(r.conf, "zone", r.zone, "acl", tool_values_collect, &all);
			printf("#   in %s, zone %s: acl: [", r.conf_file, r.zone);
			for (size_t i = 0; i < all.count; i++) {
				printf("%s, ", all.values[i]);
			}
			printf("%s]\n", r.id);
		}
		printf("#   knotc -c %s reload\n\n", r.conf_file);
	}

	tool_reg_info_t info = {
		.name = r.name, .base = r.base, .challenge = r.challenge, .target = r.target,
		.zone = r.zone, .delegate = r.delegate, .ns = r.ns, .ns_count = r.ns_count,
		.key_name = r.key_name, .id = r.id, .secret = r.secret, .server = r.server,
		.port = r.port, .clients = r.clients,
	};
	tool_print_onboarding(stdout, &info);
done:
	reg_free(&r);
	return ret;
}

/* --- unregister ------------------------------------------------------------------ */

typedef struct {
	const char *id;
	bool found;
} find_t;

int tool_unregister(int argc, char *argv[], const tool_src_t *src)
{
	reg_t r = { .src = src };
	int ret = parse_register(&r, argc, argv, true);
	if (ret >= 0) {
		return ret;
	}
	if ((ret = load_conf(&r)) != EXIT_OK) {
		goto done;
	}
	if (!tool_conf_has(r.conf, "key", r.key_name) && !tool_conf_has(r.conf, "acl", r.id)) {
		tool_error("%s is not registered (no key %s in knotd's configuration)",
		           r.name, r.key_name);
		ret = EXIT_USAGE;
		goto done;
	}
	bool confdb = tool_src_is_confdb(src);
	if (confdb) {
		ret = reg_confdb_unregister(&r);
	} else if ((ret = reg_include_paths(&r)) == EXIT_OK) {
		ret = reg_file_unregister(&r);
	}
	if (ret != EXIT_OK) {
		goto done;
	}
	if (r.zone_file != NULL) {
		unlink(r.zone_file);
	}
	printf("# Unregistered %s.\n", r.name);
	if (!confdb) {
		printf("# Finish with: knotc -c %s reload\n", r.conf_file);
	}
	printf("# Remove the _acme-challenge record for %s from the main zone.\n", r.base);
done:
	reg_free(&r);
	return ret;
}
