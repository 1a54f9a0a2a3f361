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
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

#include "module/common/clock.h"
#include "module/common/consts.h"
#include "module/store/lmdb/lmdb.h"
#include "module/dns/value.h"
#include "module/tool/cli.h"
#include "module/tool/conf.h"
#include "module/tool/knotc.h"
#include "module/tool/check.h"
#include "module/tool/register.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define TTL_DEFAULT		60
#define TTL_MAX			2147483647	/* RFC 2181 section 8 */

/*! Room for acme_txt_to_str() of any rdata: at worst 4 characters a byte,
 *  or 3 (quotes and separator) for each empty string. */
#define TXT_STR_MAX		(7 * ACME_STORE_RDATA_MAX + 1)

typedef enum {
	CMD_LIST,
	CMD_ADD,
	CMD_DEL,
	CMD_PURGE,
} command_t;

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

/*! Everything the command line asks for, checked. */
typedef struct {
	tool_src_t src;        /*!< knotd's configuration (unless -D). */
	const char *dir;       /*!< -D: a bare database, no configuration. */
	bool lifetime_set;
	uint32_t lifetime;
	command_t cmd;
	bool json;
	bool has_owner;
	knot_dname_storage_t owner;
	bool has_value;
	uint8_t rdata[ACME_STORE_RDATA_MAX];
	size_t rdata_len;
	bool has_ttl;
	uint32_t ttl;
	/*! A command with its own options (register, unregister). */
	int (*sub)(int argc, char *argv[], const tool_src_t *src);
	int sub_argc;
	char **sub_argv;
} params_t;

/*! One store the command works on, with the policy that applies to it. */
typedef struct {
	const char *db;          /*!< Database directory. */
	const tool_acme_t *acme; /*!< Its mod-acme section (NULL with -D). */
	acme_policy_t policy;
	uint32_t max_ttl;        /*!< Cap on shown TTLs (UINT32_MAX with -D). */
	bool strict;
} target_t;

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
"  -l, --lifetime LIFETIME   With -D: lifetime of added values, in seconds or\n"
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
	       ACME_LIFETIME_DEFAULT);
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
	while ((opt = getopt_long(argc, argv, "+:c:C:s:D:l:hV", opts, NULL)) != -1) {
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
	if (p->lifetime_set && p->dir == NULL) {
		return tool_usage_error("-l applies to a bare database (-D) only; otherwise "
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
			if (p->dir != NULL || p->lifetime_set) {
				return tool_usage_error("'%s' works on knotd's configuration: "
				                        "not with -D or -l", name);
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

/*! True if the database (directory and data file) exists. */
static bool database_exists(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return false;
	}

	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, ACME_LMDB_DATA_FILE);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0;
}

/*! Others able to write the database can change what knotd serves. */
/*! Warns when anyone but the owner could change the database. */
static void check_permissions(const char *dir)
{
	static const char *files[] = { "", "/" ACME_LMDB_DATA_FILE, "/" ACME_LMDB_LOCK_FILE };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX];
		struct stat st;
		if (snprintf(path, sizeof(path), "%s%s", dir, files[i]) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
			if (i == 0) {
				tool_error("warning: database %s is writable by others", dir);
			} else {
				tool_error("warning: database %s is writable by others (%s)", dir, path);
			}
			return;
		}
	}
}

/*!
 * Opens the store of \a t for \a p's command.  This is where a backend is
 * chosen: the section's backend comes from knotd's configuration.
 */
static int open_store(const params_t *p, const target_t *t, acme_store_t **store)
{
	if (t->acme != NULL && t->acme->backend == TOOL_BACKEND_REDIS) {
		tool_error("mod-acme/%s uses the Redis backend (%s), which this knot-acme "
		           "does not support yet", t->acme->id, t->acme->redis);
		return EXIT_RUNTIME;
	}

	bool exists = database_exists(t->db);
	if (!exists && p->cmd != CMD_ADD) {
		/* Nothing was ever added there: nothing to list, delete or purge. */
		if (p->cmd == CMD_LIST || p->cmd == CMD_PURGE) {
			if (p->dir == NULL) {
				return EXIT_OK; /* store stays NULL: empty. */
			}
		}
		tool_error("database %s does not exist", t->db);
		return EXIT_RUNTIME;
	}

	acme_lmdb_opts_t opts = {
		/* 0 keeps the size of an existing database. */
		.map_size = exists ? 0 : (t->acme != NULL ? t->acme->map_size :
		                          ACME_LMDB_MAP_SIZE_DEFAULT),
		.create = (p->cmd == CMD_ADD),
		.read_only = (p->cmd == CMD_LIST),
		.no_purger = true,
		.asynchronous = (t->acme != NULL && t->acme->asynchronous),
	};
	int ret = acme_lmdb_open(store, t->db, &opts);
	if (ret != KNOT_EOK) {
		tool_error("cannot open database %s (%s)", t->db, ret == KNOT_ENOTSUP ?
		           "written by another version of knot-acme" : knot_strerror(ret));
		return EXIT_RUNTIME;
	}

	check_permissions(t->db);
	return EXIT_OK;
}

/*! Writes a duration as e.g. 59m58s, 1d0h0m5s, 0s. */
static void format_duration(char *buf, size_t size, uint64_t secs)
{
	uint64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;
	if (d > 0) {
		snprintf(buf, size, "%"PRIu64"d%"PRIu64"h%"PRIu64"m%"PRIu64"s", d, h, m, s);
	} else if (h > 0) {
		snprintf(buf, size, "%"PRIu64"h%"PRIu64"m%"PRIu64"s", h, m, s);
	} else if (m > 0) {
		snprintf(buf, size, "%"PRIu64"m%"PRIu64"s", m, s);
	} else {
		snprintf(buf, size, "%"PRIu64"s", s);
	}
}

typedef struct {
	FILE *out;
	uint64_t now;
	const target_t *target;
	bool json;
	size_t count;   /*!< Values printed so far (all targets). */
} list_ctx_t;

/*! Writes \a len bytes as a JSON string (bytes outside ASCII as \u00XX). */
static void json_string(FILE *out, const uint8_t *data, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c >= 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else {
			fputc(c, out);
		}
	}
	fputc('"', out);
}

static int print_json(list_ctx_t *list, const acme_value_t *value, const char *owner,
                      uint64_t ttl, uint64_t left)
{
	FILE *out = list->out;
	fprintf(out, "%s\n  {\"name\": ", list->count == 0 ? "" : ",");
	json_string(out, (const uint8_t *)owner, strlen(owner));
	fprintf(out, ", \"ttl\": %"PRIu64", \"txt\": [", ttl);
	/* One JSON string per TXT character-string. */
	for (size_t pos = 0; pos < value->rdata_len; pos += 1 + value->rdata[pos]) {
		if (pos > 0) {
			fputs(", ", out);
		}
		json_string(out, value->rdata + pos + 1, value->rdata[pos]);
	}
	fprintf(out, "], \"expires\": %"PRIu64", \"expires_in\": %"PRIu64
	        ", \"added\": %"PRIu64", \"database\": ",
	        value->expires / 1000, left, value->added / 1000);
	json_string(out, (const uint8_t *)list->target->db, strlen(list->target->db));
	if (list->target->acme != NULL) {
		fputs(", \"module\": ", out);
		char ref[256];
		snprintf(ref, sizeof(ref), "mod-acme%s%s", list->target->acme->id[0] ? "/" : "",
		         list->target->acme->id);
		json_string(out, (const uint8_t *)ref, strlen(ref));
	}
	fputc('}', out);
	return ferror(out) ? KNOT_ENOMEM : KNOT_EOK;
}

static int print_value(const acme_value_t *value, void *ctx)
{
	list_ctx_t *list = ctx;

	if (value->expires <= list->now) { /* The store only walks live ones. */
		return KNOT_EOK;
	}
	uint64_t left = (value->expires - list->now) / 1000;
	uint64_t ttl = value->ttl < left ? value->ttl : left;
	if (ttl > list->target->max_ttl) {
		ttl = list->target->max_ttl; /* What knotd answers. */
	}

	char owner[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(owner, value->owner, sizeof(owner)) == NULL) {
		return KNOT_EMALF;
	}
	if (!acme_txt_valid(value->rdata, value->rdata_len)) {
		return KNOT_EMALF;
	}
	if (list->json) {
		int ret = print_json(list, value, owner, ttl, left);
		list->count++;
		return ret;
	}
	char txt[TXT_STR_MAX];
	int ret = acme_txt_to_str(value->rdata, value->rdata_len, txt, sizeof(txt));
	if (ret < 0) {
		return ret;
	}
	char expires[64];
	format_duration(expires, sizeof(expires), left);

	if (fprintf(list->out, "%s %"PRIu64" IN TXT %s ; expires in %s\n",
	            owner, ttl, txt, expires) < 0) {
		return KNOT_ENOMEM;
	}
	list->count++;
	return KNOT_EOK;
}

static int cmd_list(acme_store_t *store, const params_t *p, const target_t *t,
                    list_ctx_t *ctx)
{
	if (store == NULL) {
		return EXIT_OK; /* No database yet: no values. */
	}
	ctx->target = t;
	int ret = acme_store_list(store, p->has_owner ? p->owner : NULL, ctx->now,
	                          print_value, ctx);
	if (ret < 0) {
		tool_error("cannot list values of %s (%s)", t->db, knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int apply_op(acme_store_t *store, const target_t *t, const acme_op_t *op,
                    acme_result_t *result)
{
	acme_update_t update = {
		.ops = op,
		.op_count = 1,
		.policy = &t->policy,
		.now = acme_now_ms(),
	};
	int ret = acme_store_apply(store, &update);
	*result = update.result;
	if (ret == KNOT_ESPACE) {
		tool_error("database %s is full", t->db);
		return EXIT_RUNTIME;
	} else if (ret != KNOT_EOK) {
		tool_error("cannot update database %s (%s)", t->db, knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int cmd_add(acme_store_t *store, const params_t *p, const target_t *t)
{
	acme_op_t op = {
		.type = ACME_OP_ADD,
		.owner = p->owner,
		.rdata = p->rdata,
		.rdata_len = p->rdata_len,
		.ttl = p->ttl,
	};
	acme_result_t result = { 0 };
	return apply_op(store, t, &op, &result);
}

static int cmd_del(acme_store_t *store, const params_t *p, const target_t *t)
{
	acme_op_t op = {
		.type = p->has_value ? ACME_OP_DEL_VALUE : ACME_OP_DEL_ALL,
		.owner = p->owner,
		.rdata = p->has_value ? p->rdata : NULL,
		.rdata_len = p->has_value ? p->rdata_len : 0,
	};
	acme_result_t result = { 0 };
	int ret = apply_op(store, t, &op, &result);
	if (ret != EXIT_OK) {
		return ret;
	}
	if (result.deleted == 0) {
		char owner[KNOT_DNAME_TXT_MAXLEN + 1];
		tool_error("no such value at %s", tool_name_str(p->owner, owner, sizeof(owner)));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int cmd_purge(acme_store_t *store, const target_t *t, size_t *total)
{
	if (store == NULL) {
		return EXIT_OK;
	}
	size_t purged = 0;
	bool more = false;
	int ret = acme_store_purge(store, acme_now_ms(), 0, &purged, &more);
	if (ret != KNOT_EOK) {
		tool_error("cannot purge database %s (%s)", t->db, knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	*total += purged;
	return EXIT_OK;
}

/*! The target of a bare database (-D). */
static target_t dir_target(const params_t *p)
{
	return (target_t) {
		.db = p->dir,
		.policy = {
			.lifetime = p->lifetime,
			.max_records = 0, /* The operator overrides the module's limit. */
		},
		.max_ttl = UINT32_MAX,
		.strict = false,
	};
}

static target_t acme_target(const tool_acme_t *acme)
{
	return (target_t) {
		.db = acme->database,
		.acme = acme,
		.policy = {
			.lifetime = acme->lifetime,
			.max_records = acme->max_records,
		},
		.max_ttl = acme->max_ttl,
		.strict = acme->strict,
	};
}

/*!
 * The target of the command's NAME in knotd's configuration: the mod-acme
 * section of the zone NAME falls in.  Checks the name and the value against
 * that section as the module would.
 */
static int name_target(const params_t *p, const tool_conf_t *conf, target_t *t)
{
	char owner[KNOT_DNAME_TXT_MAXLEN + 1], src[4096];
	tool_name_str(p->owner, owner, sizeof(owner));
	const tool_zone_t *zone = tool_conf_zone_of(conf, p->owner);
	if (zone == NULL) {
		tool_error("%s is in no zone of knotd's %s", owner,
		           tool_src_describe(&p->src, src, sizeof(src)));
		return EXIT_USAGE;
	}
	if (zone->acme == NULL) {
		tool_error("%s is in zone %s, which does not use mod-acme", owner, zone->domain);
		return EXIT_USAGE;
	}
	*t = acme_target(zone->acme);

	if (p->cmd == CMD_ADD && t->strict &&
	    !acme_value_strict(p->rdata, p->rdata_len)) {
		tool_error("value is not an RFC 8555 challenge (43 base64url characters) "
		           "and mod-acme%s%s of zone %s is strict",
		           zone->acme->id[0] ? "/" : "", zone->acme->id, zone->domain);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*! Runs the command on one target. */
static int run_target(const params_t *p, const target_t *t, list_ctx_t *list,
                      size_t *purged)
{
	acme_store_t *store = NULL;
	int ret = open_store(p, t, &store);
	if (ret != EXIT_OK) {
		return ret;
	}
	switch (p->cmd) {
	case CMD_LIST:  ret = cmd_list(store, p, t, list); break;
	case CMD_ADD:   ret = cmd_add(store, p, t); break;
	case CMD_DEL:   ret = cmd_del(store, p, t); break;
	case CMD_PURGE: ret = cmd_purge(store, t, purged); break;
	}
	acme_store_close(store);
	return ret;
}

/*! Runs the command on every database of the configuration, each once. */
static int run_all(const params_t *p, const tool_conf_t *conf, list_ctx_t *list,
                   size_t *purged)
{
	int status = EXIT_OK;
	size_t count = tool_conf_acme_count(conf);
	for (size_t i = 0; i < count; i++) {
		const tool_acme_t *acme = tool_conf_acme(conf, i);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			seen = (strcmp(tool_conf_acme(conf, j)->database, acme->database) == 0);
		}
		if (seen) {
			continue;
		}
		target_t t = acme_target(acme);
		int ret = run_target(p, &t, list, purged);
		if (ret != EXIT_OK) {
			status = ret;
		}
	}
	return status;
}

static int run(const params_t *p)
{
	/* List output goes to memory and is printed after the walks: a slow
	 * reader of our output (a pager) must not hold an LMDB read transaction
	 * open, which would keep knotd's writes from reusing pages. */
	char *buf = NULL;
	size_t len = 0;
	list_ctx_t list = { .now = acme_now_ms(), .json = p->json };
	list.out = open_memstream(&buf, &len);
	if (list.out == NULL) {
		tool_error("%s", knot_strerror(KNOT_ENOMEM));
		return EXIT_RUNTIME;
	}
	size_t purged = 0;

	int ret;
	if (p->dir != NULL) {
		target_t t = dir_target(p);
		ret = run_target(p, &t, &list, &purged);
	} else {
		tool_conf_t *conf = NULL;
		char err[4096];
		int r = tool_conf_load(&conf, &p->src, err, sizeof(err));
		if (r != KNOT_EOK) {
			tool_error("%s", err);
			fclose(list.out);
			free(buf);
			return EXIT_USAGE;
		}
		if (p->has_owner) {
			target_t t;
			ret = name_target(p, conf, &t);
			if (ret == EXIT_OK) {
				ret = run_target(p, &t, &list, &purged);
			}
		} else if (tool_conf_acme_count(conf) == 0) {
			char src[4096];
			tool_error("no zone of knotd's %s uses mod-acme",
			           tool_src_describe(&p->src, src, sizeof(src)));
			ret = EXIT_USAGE;
		} else {
			ret = run_all(p, conf, &list, &purged);
		}
		tool_conf_free(conf);
	}

	if (p->json) {
		fputs(list.count == 0 ? "[]\n" : "\n]\n", list.out);
	}
	if (fclose(list.out) != 0 && ret == EXIT_OK) {
		tool_error("%s", knot_strerror(KNOT_ENOMEM));
		ret = EXIT_RUNTIME;
	}
	if (p->cmd == CMD_LIST && ret == EXIT_OK) {
		if (p->json && list.count > 0) {
			fputc('[', stdout);
		}
		fwrite(buf, 1, len, stdout);
	} else if (p->cmd == CMD_PURGE && ret == EXIT_OK) {
		printf("purged %zu expired value%s\n", purged, purged == 1 ? "" : "s");
	}
	free(buf);
	return ret;
}

int main(int argc, char *argv[])
{
	params_t params;
	int ret = parse_args(argc, argv, &params);
	if (ret < 0) {
		ret = params.sub != NULL ?
		      params.sub(params.sub_argc, params.sub_argv, &params.src) :
		      run(&params);
	}

	if (fflush(stdout) != 0 || ferror(stdout)) {
		tool_error("cannot write output (%s)", strerror(errno));
		return EXIT_RUNTIME;
	}
	return ret;
}
