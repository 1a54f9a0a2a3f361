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
 * Lists, adds and deletes ACME DNS-01 challenge values in the LMDB store that
 * knotd's mod-acme serves, and purges expired ones.  LMDB is multi-process
 * safe, so the tool can run while knotd serves the same database.
 *
 * The whole command line is checked before the store is opened: bad input
 * never writes anything, and a command other than 'add' never creates a
 * database.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

#include "module/store/store.h"
#include "module/dns/value.h"

#ifndef ACME_DB_DEFAULT
#error "ACME_DB_DEFAULT (default database directory) must be defined"
#endif

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROGRAM_NAME	"knot-acme"

/*! Exit statuses. */
enum {
	EXIT_OK = 0,       /*!< Success. */
	EXIT_RUNTIME = 1,  /*!< The operation failed (or deleted nothing). */
	EXIT_USAGE = 2,    /*!< Invalid command line; nothing was done. */
};

#define LIFETIME_DEFAULT	3600
#define LIFETIME_MAX		604800		/* 7 days */
#define TTL_DEFAULT		60
#define TTL_MAX			2147483647	/* RFC 2181 section 8 */

/*! LMDB data file inside the database directory. */
#define DB_DATA_FILE		"data.mdb"

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
	const char *dir;
	uint32_t lifetime;
	command_t cmd;
	bool has_owner;
	knot_dname_storage_t owner;
	bool has_value;
	uint8_t rdata[ACME_STORE_RDATA_MAX];
	size_t rdata_len;
	uint32_t ttl;
} params_t;

static void print_help(void)
{
	printf(
"Usage:\n"
"  " PROGRAM_NAME " [-D DIR] [-l LIFETIME] list [NAME]\n"
"  " PROGRAM_NAME " [-D DIR] [-l LIFETIME] add NAME VALUE [TTL]\n"
"  " PROGRAM_NAME " [-D DIR] del NAME [VALUE]\n"
"  " PROGRAM_NAME " [-D DIR] purge\n"
"  " PROGRAM_NAME " --help | --version\n"
"\n"
"Edit the ACME DNS-01 challenge store that knotd's mod-acme serves.\n"
"Safe to run while knotd serves the same database.\n"
"\n"
"Commands:\n"
"  list [NAME]               Print the live values, one zone-file line each,\n"
"                            with the time left as a comment; with NAME, only\n"
"                            NAME and the names below it.\n"
"  add NAME VALUE [TTL]      Add VALUE (one TXT string, taken literally, at\n"
"                            most 255 bytes) at NAME, or refresh it if present.\n"
"                            TTL defaults to %u. Creates the database if missing.\n"
"  del NAME [VALUE]          Delete VALUE at NAME, or every value of NAME.\n"
"  purge                     Remove expired values from the database.\n"
"\n"
"Options:\n"
"  -D, --dir DIR             Database directory (default: %s).\n"
"  -l, --lifetime LIFETIME   Lifetime of added values, in seconds or with a\n"
"                            suffix s, m, h or d (default: %us, at most 7d).\n"
"  -h, --help                Print this help and exit.\n"
"  -V, --version             Print the version and exit.\n"
"\n"
"Options go before the command; what follows it are arguments.\n"
"\n"
"Exit status:\n"
"  0  Success.\n"
"  1  The operation failed, or 'del' found nothing to delete.\n"
"  2  Invalid command line; nothing was changed.\n",
	       TTL_DEFAULT, ACME_DB_DEFAULT, LIFETIME_DEFAULT);
}

static void vprint_error(const char *fmt, va_list ap)
{
	fputs(PROGRAM_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void print_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
}

/*! Reports a usage error and returns EXIT_USAGE. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	fputs("Try '" PROGRAM_NAME " --help' for more information.\n", stderr);
	return EXIT_USAGE;
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

/*! Parses a domain name (relative names are taken as absolute), lower case. */
static bool parse_name(const char *str, knot_dname_t *out)
{
	if (knot_dname_from_str(out, str, KNOT_DNAME_MAXLEN) == NULL) {
		return false;
	}
	knot_dname_to_lower(out);
	return true;
}

/*!
 * Checks the command line into \a p.
 *
 * \return -1 to go on, or the exit status (help, version, usage error).
 */
static int parse_args(int argc, char *argv[], params_t *p)
{
	static const struct option opts[] = {
		{ "dir",      required_argument, NULL, 'D' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "help",     no_argument,       NULL, 'h' },
		{ "version",  no_argument,       NULL, 'V' },
		{ NULL }
	};

	*p = (params_t) {
		.dir = ACME_DB_DEFAULT,
		.lifetime = LIFETIME_DEFAULT,
		.ttl = TTL_DEFAULT,
	};

	/* '+': stop at the command, so that values starting with '-' (base64url)
	 * are not taken for options.  ':': report errors ourselves. */
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "+:D:l:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'D':
			if (optarg[0] == '\0') {
				return usage_error("empty database directory");
			}
			p->dir = optarg;
			break;
		case 'l':
			if (parse_seconds(optarg, true, 1, LIFETIME_MAX, &p->lifetime) != KNOT_EOK) {
				return usage_error("invalid lifetime '%s' (1 to %u seconds, "
				                   "or with suffix s, m, h, d)",
				                   optarg, LIFETIME_MAX);
			}
			break;
		case 'h':
			print_help();
			return EXIT_OK;
		case 'V':
			printf(PROGRAM_NAME " %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error("option '%s' requires an argument",
			                   argv[optind - 1]);
		default:
			if (optopt != 0) {
				return usage_error("invalid option '-%c'", optopt);
			}
			return usage_error("invalid option '%s'", argv[optind - 1]);
		}
	}

	if (optind >= argc) {
		return usage_error("missing command");
	}
	const char *name = argv[optind++];
	int nargs = argc - optind;
	char **args = argv + optind;

	size_t i = 0;
	while (i < sizeof(COMMANDS) / sizeof(COMMANDS[0]) &&
	       strcmp(COMMANDS[i].name, name) != 0) {
		i++;
	}
	if (i == sizeof(COMMANDS) / sizeof(COMMANDS[0])) {
		return usage_error("unknown command '%s'", name);
	}
	if (nargs < COMMANDS[i].min_args) {
		return usage_error("missing argument for '%s'", name);
	}
	if (nargs > COMMANDS[i].max_args) {
		return usage_error("too many arguments for '%s'", name);
	}
	p->cmd = COMMANDS[i].cmd;

	if (nargs >= 1) {
		if (!parse_name(args[0], p->owner)) {
			return usage_error("invalid domain name '%s'", args[0]);
		}
		p->has_owner = true;
	}
	if (nargs >= 2) {
		int ret = acme_txt_from_str(args[1], p->rdata, sizeof(p->rdata),
		                            &p->rdata_len);
		if (ret == KNOT_ESPACE) {
			return usage_error("value too long (%zu bytes, at most 255)",
			                   strlen(args[1]));
		} else if (ret != KNOT_EOK) {
			return usage_error("invalid value (%s)", knot_strerror(ret));
		}
		p->has_value = true;
	}
	if (nargs >= 3) {
		if (parse_seconds(args[2], false, 0, TTL_MAX, &p->ttl) != KNOT_EOK) {
			return usage_error("invalid TTL '%s' (0 to %u)", args[2], TTL_MAX);
		}
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
	int n = snprintf(path, sizeof(path), "%s/%s", dir, DB_DATA_FILE);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0;
}

/*! Others able to write the database can change what knotd serves. */
/*! Warns when anyone but the owner could change the database. */
static void check_permissions(const char *dir)
{
	static const char *files[] = { "", "/data.mdb", "/lock.mdb" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX];
		struct stat st;
		if (snprintf(path, sizeof(path), "%s%s", dir, files[i]) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
			if (i == 0) {
				print_error("warning: database %s is writable by others", dir);
			} else {
				print_error("warning: database %s is writable by others (%s)", dir, path);
			}
			return;
		}
	}
}

static int open_store(const params_t *p, acme_store_t **store)
{
	bool exists = database_exists(p->dir);
	if (!exists && p->cmd != CMD_ADD) {
		print_error("database %s does not exist", p->dir);
		return EXIT_RUNTIME;
	}

	acme_store_opts_t opts = {
		/* 0 keeps the size of an existing database. */
		.map_size = exists ? 0 : ACME_STORE_MAP_SIZE_DEFAULT,
		.create = (p->cmd == CMD_ADD),
		.read_only = (p->cmd == CMD_LIST),
		.no_purger = true,
	};
	int ret = acme_store_open(store, p->dir, &opts);
	if (ret != KNOT_EOK) {
		print_error("cannot open database %s (%s)", p->dir, ret == KNOT_ENOTSUP ?
		            "written by another version of knot-acme" : knot_strerror(ret));
		return EXIT_RUNTIME;
	}

	check_permissions(p->dir);
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
} list_ctx_t;

static int print_value(const acme_value_t *value, void *ctx)
{
	list_ctx_t *list = ctx;

	if (value->expires <= list->now) { /* The store only walks live ones. */
		return KNOT_EOK;
	}
	uint64_t left = (value->expires - list->now) / 1000;
	uint64_t ttl = value->ttl < left ? value->ttl : left;

	char owner[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(owner, value->owner, sizeof(owner)) == NULL) {
		return KNOT_EMALF;
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
	return KNOT_EOK;
}

static int cmd_list(acme_store_t *store, const params_t *p)
{
	/* Format into memory and print after the walk: a slow reader of our
	 * output (a pager) must not hold an LMDB read transaction open, which
	 * would keep knotd's writes from reusing pages. */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (mem == NULL) {
		print_error("%s", knot_strerror(KNOT_ENOMEM));
		return EXIT_RUNTIME;
	}

	list_ctx_t ctx = { .out = mem, .now = acme_now_ms() };
	int ret = acme_store_list(store, p->has_owner ? p->owner : NULL, ctx.now,
	                          print_value, &ctx);
	if (fclose(mem) != 0 && ret >= 0) {
		ret = KNOT_ENOMEM;
	}
	if (ret < 0) {
		print_error("cannot list values (%s)", knot_strerror(ret));
		free(buf);
		return EXIT_RUNTIME;
	}

	fwrite(buf, 1, len, stdout);
	free(buf);
	return EXIT_OK;
}

static int apply_op(acme_store_t *store, const params_t *p, const acme_op_t *op,
                    acme_result_t *result)
{
	acme_policy_t policy = {
		.lifetime = p->lifetime,
		.max_records = 0, /* The operator overrides the module's limit. */
	};
	int ret = acme_store_apply(store, op, 1, &policy, acme_now_ms(),
	                           NULL, NULL, result);
	if (ret == KNOT_ESPACE) {
		print_error("database %s is full", p->dir);
		return EXIT_RUNTIME;
	} else if (ret != KNOT_EOK) {
		print_error("cannot update database %s (%s)", p->dir, knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int cmd_add(acme_store_t *store, const params_t *p)
{
	acme_op_t op = {
		.type = ACME_OP_ADD,
		.owner = p->owner,
		.rdata = p->rdata,
		.rdata_len = p->rdata_len,
		.ttl = p->ttl,
	};
	acme_result_t result = { 0 };
	return apply_op(store, p, &op, &result);
}

static int cmd_del(acme_store_t *store, const params_t *p)
{
	acme_op_t op = {
		.type = p->has_value ? ACME_OP_DEL_VALUE : ACME_OP_DEL_ALL,
		.owner = p->owner,
		.rdata = p->has_value ? p->rdata : NULL,
		.rdata_len = p->has_value ? p->rdata_len : 0,
	};
	acme_result_t result = { 0 };
	int ret = apply_op(store, p, &op, &result);
	if (ret != EXIT_OK) {
		return ret;
	}
	if (result.deleted == 0) {
		char owner[KNOT_DNAME_TXT_MAXLEN + 1];
		if (knot_dname_to_str(owner, p->owner, sizeof(owner)) == NULL) {
			owner[0] = '\0';
		}
		print_error("no such value at %s", owner);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int cmd_purge(acme_store_t *store, const params_t *p)
{
	size_t purged = 0;
	bool more = false;
	int ret = acme_store_purge(store, acme_now_ms(), 0, &purged, &more);
	if (ret != KNOT_EOK) {
		print_error("cannot purge database %s (%s)", p->dir, knot_strerror(ret));
		return EXIT_RUNTIME;
	}
	printf("purged %zu expired value%s\n", purged, purged == 1 ? "" : "s");
	return EXIT_OK;
}

int main(int argc, char *argv[])
{
	params_t params;
	int ret = parse_args(argc, argv, &params);
	if (ret >= 0) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			print_error("cannot write output (%s)", strerror(errno));
			return EXIT_RUNTIME;
		}
		return ret;
	}

	acme_store_t *store = NULL;
	ret = open_store(&params, &store);
	if (ret != EXIT_OK) {
		return ret;
	}

	switch (params.cmd) {
	case CMD_LIST:  ret = cmd_list(store, &params); break;
	case CMD_ADD:   ret = cmd_add(store, &params); break;
	case CMD_DEL:   ret = cmd_del(store, &params); break;
	case CMD_PURGE: ret = cmd_purge(store, &params); break;
	}

	acme_store_close(store);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		print_error("cannot write output (%s)", strerror(errno));
		return EXIT_RUNTIME;
	}
	return ret;
}
