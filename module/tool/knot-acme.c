/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief knot-acme: operator's tool for the mod-acme challenge store.
 *
 * Lists, adds and deletes ACME DNS-01 challenge values in the store that
 * knotd's mod-acme serves, and purges expired ones.  The database and the
 * policy (lifetime, max-ttl, max-records, strict) of a name come from the
 * mod-acme section of the zone the name falls in, read from knotd's own
 * configuration (conf.c) as knotc reads it; -D names a bare database
 * instead.  LMDB is multi-process safe, so the tool can run while knotd
 * serves the same database.
 *
 * The whole command line, and the name against the configuration, are
 * checked before the store is opened: bad input never writes anything, and
 * a command other than 'add' never creates a database.
 *
 * This file reads the command line; store_cmd.c runs list, add, del and
 * purge (store_open.c opens a store, list.c prints values); register.c and
 * check.c run the commands with options of their own.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/common/consts.h"
#include "module/dns/value.h"
#include "module/store/redis/redis.h"
#include "module/tool/cli.h"
#include "module/tool/knotc.h"
#include "module/tool/check.h"
#include "module/tool/register.h"
#include "module/tool/store_cmd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define TTL_DEFAULT		60
#define TTL_MAX			2147483647	/* RFC 2181 section 8 */

static const struct {
	const char *name;
	command_t cmd;
	int min_args;
	int max_args;
} COMMANDS[] = {
	{ "list",  CMD_LIST,  0, 1 },
	{ "add",   CMD_ADD,   2, 3 },
	{ "del",   CMD_DEL,   1, 2 },
	{ "purge", CMD_PURGE, 0, 0 },
};

static void print_help(void)
{
	printf(
"Usage:\n"
"  " PROGRAM_NAME " [SOURCE] list [--json] [NAME]\n"
"  " PROGRAM_NAME " [SOURCE] add NAME VALUE [TTL]\n"
"  " PROGRAM_NAME " [SOURCE] del NAME [VALUE]\n"
"  " PROGRAM_NAME " [SOURCE] purge\n"
"  " PROGRAM_NAME " [SOURCE] register NAME (--alias ZONE | --delegate --ns NS...)\n"
"  " PROGRAM_NAME " [SOURCE] unregister NAME\n"
"  " PROGRAM_NAME " [SOURCE] check NAME [--resolver ADDR] [--key KEY] [--probe]\n"
"  " PROGRAM_NAME " --help | --version\n"
"\n"
"Edit the ACME DNS-01 challenge store that knotd's mod-acme serves.\n"
"Safe to run while knotd serves the same database.\n"
"\n"
"The database and the policy of a NAME (lifetime, max-ttl, max-records,\n"
"strict) are those of the mod-acme section used by the zone NAME falls in,\n"
"read from knotd's configuration as knotc reads it. A NAME in no mod-acme\n"
"zone is refused.\n"
"\n"
"Commands:\n"
"  list [--json] [NAME]      Print the live values, one zone-file line each,\n"
"                            with the time left as a comment (--json: one JSON\n"
"                            array); with NAME, only NAME and the names below\n"
"                            it; without, every database of the configuration.\n"
"  add NAME VALUE [TTL]      Add VALUE (one TXT string, taken literally, at\n"
"                            most 255 bytes) at NAME, or refresh it if present.\n"
"                            TTL defaults to %u; knotd answers at most max-ttl.\n"
"                            Creates the database if missing.\n"
"  del NAME [VALUE]          Delete VALUE at NAME, or every value of NAME.\n"
"  purge                     Remove expired values from the database(s).\n"
"  register NAME ...         Onboard NAME: a TSIG key, the acl for NAME's\n"
"                            challenge, the alias zone's acl or a delegated\n"
"                            zone; prints the record for the main zone and\n"
"                            ACME client configurations (register --help).\n"
"  unregister NAME           Remove what register added for NAME.\n"
"  check NAME ...            Say whether a CA would see NAME's challenge value\n"
"                            here, and what is wrong if not (check --help).\n"
"\n"
"Source (as knotc; without one, knotc's default: the configuration database\n"
"%s if it exists, else %s):\n"
"  -c, --config FILE         knotd's configuration file.\n"
"  -C, --confdb DIR          knotd's configuration database.\n"
"  -s, --socket PATH         knotd's control socket (for knotc).\n"
"  -D, --dir DIR             A bare database instead of a configuration.\n"
"  -R, --redis ADDR[@PORT]|PATH  A bare Redis/Valkey store instead of a\n"
"                            configuration (its key prefix: --redis-prefix P,\n"
"                            default %s).\n"
"  -l, --lifetime LIFETIME   With -D or -R: lifetime of added values, in seconds or\n"
"                            with a suffix s, m, h or d (default: %us, at most 7d).\n"
"\n"
"Options:\n"
"  -h, --help                Print this help and exit.\n"
"  -V, --version             Print the version and exit.\n"
"\n"
"Options go before the command; what follows it are arguments.\n"
"Environment: KNOTC is the knotc program to run (default: knotc).\n"
"\n"
"Exit status:\n"
"  0  Success.\n"
"  1  The operation failed, or 'del' found nothing to delete.\n"
"  2  Invalid command line or name; nothing was changed.\n",
	       TTL_DEFAULT, KNOT_CONF_DEFAULT_DBDIR, KNOT_CONF_DEFAULT_FILE,
	       ACME_REDIS_PREFIX_DEFAULT, ACME_LIFETIME_DEFAULT);
}

/*!
 * Parses a decimal number of seconds in [min, max], optionally followed by
 * one unit suffix (s, m, h, d) when \a units is set.
 */
static int parse_seconds(const char *str, bool units, uint64_t min, uint64_t max,
                         uint32_t *out)
{
	if (str[0] < '0' || str[0] > '9') { /* No sign, no space. */
		return KNOT_EINVAL;
	}
	errno = 0;
	char *end = NULL;
	unsigned long long num = strtoull(str, &end, 10);
	if (errno != 0) {
		return KNOT_ERANGE;
	}

	uint64_t mult = 1;
	if (units && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return KNOT_EINVAL;
		}
		end++;
	}
	if (*end != '\0') {
		return KNOT_EINVAL;
	}
	if (num > max / mult || num * mult < min) {
		return KNOT_ERANGE;
	}
	*out = num * mult;
	return KNOT_EOK;
}

/*!
 * Checks the command line into \a p.
 *
 * \return -1 to go on, or the exit status (help, version, usage error).
 */
static int parse_args(int argc, char *argv[], params_t *p)
{
	static const struct option opts[] = {
		{ "config",   required_argument, NULL, 'c' },
		{ "confdb",   required_argument, NULL, 'C' },
		{ "socket",   required_argument, NULL, 's' },
		{ "dir",      required_argument, NULL, 'D' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "redis",    required_argument, NULL, 'R' },
		{ "redis-prefix", required_argument, NULL, 'P' },
		{ "help",     no_argument,       NULL, 'h' },
		{ "version",  no_argument,       NULL, 'V' },
		{ NULL }
	};

	*p = (params_t) {
		.lifetime = ACME_LIFETIME_DEFAULT,
		.ttl = TTL_DEFAULT,
		.src.knotc = tool_knotc_default(),
	};

	/* '+': stop at the command, so that values starting with '-' (base64url)
	 * are not taken for options.  ':': report errors ourselves. */
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "+:c:C:s:D:R:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
		case 'C':
		case 's':
		case 'D':
			if (optarg[0] == '\0') {
				return tool_usage_error("empty argument of option '-%c'", opt);
			}
			*(opt == 'c' ? &p->src.config : opt == 'C' ? &p->src.confdb :
			  opt == 's' ? &p->src.socket : &p->dir) = optarg;
			break;
		case 'R':
			if (!acme_redis_addr_valid(optarg, false)) {
				return tool_usage_error("invalid Redis address '%s' (ADDR[@PORT] or "
				                        "an absolute UNIX socket path)", optarg);
			}
			p->redis = optarg;
			break;
		case 'P':
			if (!acme_redis_prefix_valid(optarg)) {
				return tool_usage_error("invalid Redis prefix '%s' (at most 64 of "
				                        "A-Z a-z 0-9 : _ - . /)", optarg);
			}
			p->redis_prefix = optarg;
			break;
		case 'l':
			if (parse_seconds(optarg, true, 1, ACME_LIFETIME_MAX, &p->lifetime) != KNOT_EOK) {
				return tool_usage_error("invalid lifetime '%s' (1 to %u seconds, "
				                        "or with suffix s, m, h, d)",
				                        optarg, ACME_LIFETIME_MAX);
			}
			p->lifetime_set = true;
			break;
		case 'h':
			print_help();
			return EXIT_OK;
		case 'V':
			printf(PROGRAM_NAME " %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case ':':
			return tool_usage_error("option '%s' requires an argument",
			                        argv[optind - 1]);
		default:
			if (optopt != 0) {
				return tool_usage_error("invalid option '-%c'", optopt);
			}
			return tool_usage_error("invalid option '%s'", argv[optind - 1]);
		}
	}

	if (p->src.config != NULL && p->src.confdb != NULL) {
		return tool_usage_error("ambiguous configuration source (-c and -C)");
	}
	if (p->dir != NULL && (p->src.config != NULL || p->src.confdb != NULL)) {
		return tool_usage_error("-D names a bare database: not with -c or -C");
	}
	if (p->redis != NULL && (p->dir != NULL || p->src.config != NULL ||
	                         p->src.confdb != NULL)) {
		return tool_usage_error("-R names a bare Redis store: not with -D, -c or -C");
	}
	if (p->redis_prefix != NULL && p->redis == NULL) {
		return tool_usage_error("--redis-prefix applies to -R only; otherwise the "
		                        "prefix is the mod-acme section's");
	}
	if (p->lifetime_set && p->dir == NULL && p->redis == NULL) {
		return tool_usage_error("-l applies to a bare store (-D, -R) only; otherwise "
		                        "the lifetime is the mod-acme section's");
	}

	if (optind >= argc) {
		return tool_usage_error("missing command");
	}
	const char *name = argv[optind++];
	int nargs = argc - optind;
	char **args = argv + optind;

	static const struct {
		const char *name;
		int (*run)(int, char **, const tool_src_t *);
	} SUBCOMMANDS[] = {
		{ "register", tool_register },
		{ "unregister", tool_unregister },
		{ "check", tool_check },
	};
	for (size_t j = 0; j < sizeof(SUBCOMMANDS) / sizeof(SUBCOMMANDS[0]); j++) {
		if (strcmp(name, SUBCOMMANDS[j].name) == 0) {
			if (p->dir != NULL || p->redis != NULL || p->lifetime_set) {
				return tool_usage_error("'%s' works on knotd's configuration: "
				                        "not with -D, -R or -l", name);
			}
			p->sub = SUBCOMMANDS[j].run;
			p->sub_argc = nargs + 1;
			p->sub_argv = args - 1;
			return -1;
		}
	}

	size_t i = 0;
	while (i < sizeof(COMMANDS) / sizeof(COMMANDS[0]) &&
	       strcmp(COMMANDS[i].name, name) != 0) {
		i++;
	}
	if (i == sizeof(COMMANDS) / sizeof(COMMANDS[0])) {
		return tool_usage_error("unknown command '%s'", name);
	}
	p->cmd = COMMANDS[i].cmd;
	if (p->cmd == CMD_LIST && nargs > 0 && strcmp(args[0], "--json") == 0) {
		p->json = true;
		nargs--;
		args++;
	}
	if (nargs < COMMANDS[i].min_args) {
		return tool_usage_error("missing argument for '%s'", name);
	}
	if (nargs > COMMANDS[i].max_args) {
		return tool_usage_error("too many arguments for '%s'", name);
	}

	if (nargs >= 1) {
		if (!tool_name_parse(args[0], false, p->owner)) {
			return tool_usage_error("invalid domain name '%s' (labels of letters, "
			                        "digits, '-' and '_')", args[0]);
		}
		p->has_owner = true;
	}
	if (nargs >= 2) {
		int ret = acme_txt_from_str(args[1], p->rdata, sizeof(p->rdata),
		                            &p->rdata_len);
		if (ret == KNOT_ESPACE) {
			return tool_usage_error("value too long (%zu bytes, at most 255)",
			                        strlen(args[1]));
		} else if (ret != KNOT_EOK) {
			return tool_usage_error("invalid value (%s)", knot_strerror(ret));
		}
		p->has_value = true;
	}
	if (nargs >= 3) {
		if (parse_seconds(args[2], false, 0, TTL_MAX, &p->ttl) != KNOT_EOK) {
			return tool_usage_error("invalid TTL '%s' (0 to %u)", args[2], TTL_MAX);
		}
		p->has_ttl = true;
	}

	return -1;
}

int main(int argc, char *argv[])
{
	params_t params;
	int ret = parse_args(argc, argv, &params);
	if (ret < 0) {
		ret = params.sub != NULL ?
		      params.sub(params.sub_argc, params.sub_argv, &params.src) :
		      tool_store_run(&params);
	}

	if (fflush(stdout) != 0 || ferror(stdout)) {
		tool_error("cannot write output (%s)", strerror(errno));
		return EXIT_RUNTIME;
	}
	return ret;
}
