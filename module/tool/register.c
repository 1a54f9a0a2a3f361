/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdnssec/binary.h>
#include <libknot/libknot.h>

#include "module/tool/cli.h"
#include "module/tool/clients.h"
#include "module/tool/conf.h"
#include "module/tool/ctl.h"
#include "module/tool/register.h"

/*! Prefix of the key and acl ids register creates (unregister finds them so). */
#define ID_PREFIX	"knot-acme-"
/*! Directory of the registration files, next to the configuration file. */
#define INCLUDE_DIR	"knot-acme.d"
/*! Bytes of a generated TSIG secret (the HMAC-SHA256 block is 64, the output 32). */
#define SECRET_BYTES	32
#define MAX_NS		16
/*! SOA and NS TTL of a delegated challenge zone. */
#define ZONE_TTL	300
/*! Negative caching TTL of a delegated challenge zone. */
#define NEG_TTL		5

typedef struct {
	const tool_src_t *src;
	tool_conf_t *conf;

	/* Command line. */
	bool delegate;
	const char *alias;
	const char *ns[MAX_NS + 1];
	size_t ns_count;
	const char *module_id;
	const char *template_id;
	const char *server_arg;
	unsigned clients;
	const char *include_dir;

	/* Derived. */
	char name[KNOT_DNAME_TXT_MAXLEN + 1];      /*!< As given, lower case, no dot. */
	char base[KNOT_DNAME_TXT_MAXLEN + 1];      /*!< Without "*.", no dot. */
	char challenge[KNOT_DNAME_TXT_MAXLEN + 1]; /*!< _acme-challenge.<base>. */
	char target[KNOT_DNAME_TXT_MAXLEN + 1];
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	char id[KNOT_DNAME_TXT_MAXLEN + 1];        /*!< acl id. */
	char key_name[KNOT_DNAME_TXT_MAXLEN + 1];  /*!< key id (a name). */
	char module_ref[256];     /*!< Delegation: the zone's module, or "" when its
	                               template gives it. */
	const char *zone_template;/*!< Delegation: template to set, or NULL. */
	char ns_txt[MAX_NS][KNOT_DNAME_TXT_MAXLEN + 1];
	char server[256];
	uint16_t port;
	char *secret;
	char *zone_file;       /*!< Delegation: the zone file written. */
	char *include_file;    /*!< File mode: the registration file. */
	char conf_file[PATH_MAX];
} reg_t;

static void reg_free(reg_t *r)
{
	if (r->secret != NULL) {
		explicit_bzero(r->secret, strlen(r->secret));
		free(r->secret);
	}
	free(r->zone_file);
	free(r->include_file);
	tool_conf_free(r->conf);
}

typedef struct {
	const char *values[64];
	size_t count;
} list_t;

static int collect(const char *value, void *ctx)
{
	list_t *l = ctx;
	if (l->count + 1 < sizeof(l->values) / sizeof(l->values[0])) {
		l->values[l->count++] = value;
	}
	return 0;
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

/* --- what to register ------------------------------------------------------- */

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
static int resolve_server(reg_t *r)
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

static int resolve_alias(reg_t *r)
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
	list_t mods = { 0 };
	tool_conf_values_own(conf, "template", tpl, "module", collect, &mods);
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

static int resolve_delegation(reg_t *r)
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

static int generate_secret(reg_t *r)
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

/* --- files ---------------------------------------------------------------- */

/*!
 * Creates \a path holding \a text: mode 0600, then (as root) the owner and
 * group of \a like and mode 0640, so knotd's group can read it and nobody
 * else.  Never replaces a file.
 */
static int write_private(const char *path, const char *text, const char *like)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		tool_error("cannot create %s (%s)", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	struct stat st;
	if (like != NULL && stat(like, &st) == 0 && fchown(fd, st.st_uid, st.st_gid) == 0) {
		(void)fchmod(fd, 0640);
	}
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len;
	ok = (fsync(fd) == 0) && ok;
	ok = (close(fd) == 0) && ok;
	if (!ok) {
		tool_error("cannot write %s (%s)", path, strerror(errno));
		unlink(path);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*! The delegated zone's file: SOA and the NS records. */
static int write_zone_file(reg_t *r)
{
	char *dir = strdup(r->zone_file);
	if (dir == NULL) {
		return EXIT_RUNTIME;
	}
	char *parent = dirname(dir);
	struct stat st;
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
		tool_error("directory %s for the zone file does not exist", parent);
		free(dir);
		return EXIT_RUNTIME;
	}

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL) {
		free(dir);
		return EXIT_RUNTIME;
	}
	/* Negative answers are cached for min(SOA TTL, minimum): keep it short,
	 * so a lookup made before a value existed does not hide it from a CA. */
	fprintf(f, "; Challenge zone for %s, written by knot-acme register.\n"
	        "$ORIGIN %s\n$TTL %u\n"
	        "@ %u SOA %s hostmaster.%s 1 3600 600 86400 %u\n",
	        r->name, r->zone, ZONE_TTL, NEG_TTL, r->ns[0], r->zone, NEG_TTL);
	for (size_t i = 0; i < r->ns_count; i++) {
		fprintf(f, "@ NS %s\n", r->ns[i]);
	}
	fclose(f);
	/* Readable by knotd, which owns the zone directory. */
	int ret = write_private(r->zone_file, text, parent);
	free(text);
	free(dir);
	return ret;
}

/* --- applying: configuration database --------------------------------------- */

typedef struct {
	tool_ctl_t *ctl;
	char err[1024];
	int ret;
} txn_t;

static void txn_cmd(txn_t *t, const char *cmd, const char *section, const char *id,
                    const char *item, const char *value)
{
	if (t->ret != KNOT_EOK) {
		return;
	}
	const char *values[] = { value, NULL };
	t->ret = tool_ctl_cmd(t->ctl, cmd, section, id, item, value != NULL ? values : NULL,
	                      t->err, sizeof(t->err));
}

/*!
 * Knot 3.2 reloads a module loaded from a module: section after a commit
 * only when the transaction set that section (else every mod-acme zone logs
 * "failed to open" and loses the module): set it again to what it is.
 */
static void txn_keep_module(reg_t *r, txn_t *t)
{
	const char *file = tool_conf_get(r->conf, "module", "mod-acme", "file");
	if (file != NULL) {
		txn_cmd(t, "conf-set", "module", "mod-acme", "file", file);
	}
}

/*! The registration's items, in the transaction. */
static void txn_register(reg_t *r, txn_t *t)
{
	txn_keep_module(r, t);
	txn_cmd(t, "conf-set", "key", r->key_name, NULL, NULL);
	txn_cmd(t, "conf-set", "key", r->key_name, "algorithm", "hmac-sha256");
	txn_cmd(t, "conf-set", "key", r->key_name, "secret", r->secret);
	txn_cmd(t, "conf-set", "acl", r->id, NULL, NULL);
	txn_cmd(t, "conf-set", "acl", r->id, "key", r->key_name);
	txn_cmd(t, "conf-set", "acl", r->id, "action", "update");
	txn_cmd(t, "conf-set", "acl", r->id, "update-type", "TXT");
	txn_cmd(t, "conf-set", "acl", r->id, "update-owner", "name");
	txn_cmd(t, "conf-set", "acl", r->id, "update-owner-match", "equal");
	txn_cmd(t, "conf-set", "acl", r->id, "update-owner-name", r->target);
	if (r->delegate) {
		txn_cmd(t, "conf-set", "zone", r->zone, NULL, NULL);
		if (r->zone_template != NULL) {
			txn_cmd(t, "conf-set", "zone", r->zone, "template", r->zone_template);
		}
		txn_cmd(t, "conf-set", "zone", r->zone, "file", r->zone_file);
		if (r->module_ref[0] != '\0') {
			txn_cmd(t, "conf-set", "zone", r->zone, "module", r->module_ref);
			if (t->ret == KNOT_ERROR) {
				size_t len = strlen(t->err);
				snprintf(t->err + len, sizeof(t->err) - len, " (knotd takes a module "
				         "item in a transaction only for modules in its module "
				         "directory: use a template with module: %s, --template ID)",
				         r->module_ref);
			}
		}
		txn_cmd(t, "conf-set", "zone", r->zone, "acl", r->id);
		return;
	}
	/* An alias zone whose acl comes from its template gets that list of
	 * its own first: setting the item replaces the inherited one. */
	list_t own = { 0 }, all = { 0 };
	tool_conf_values_own(r->conf, "zone", r->zone, "acl", collect, &own);
	tool_conf_values(r->conf, "zone", r->zone, "acl", collect, &all);
	for (size_t i = 0; own.count == 0 && i < all.count; i++) {
		txn_cmd(t, "conf-set", "zone", r->zone, "acl", all.values[i]);
	}
	txn_cmd(t, "conf-set", "zone", r->zone, "acl", r->id);
}

static char *ctl_socket(reg_t *r)
{
	return r->src->socket != NULL ? strdup(r->src->socket) : tool_conf_ctl_socket(r->conf);
}

/*! Runs \a fill inside conf-begin ... conf-commit; aborts on any failure. */
static int confdb_apply(reg_t *r, void (*fill)(reg_t *, txn_t *), const char *what)
{
	char *path = ctl_socket(r);
	txn_t t = { .ret = KNOT_EOK };
	if (path == NULL) {
		return EXIT_RUNTIME;
	}
	int ret = tool_ctl_open(&t.ctl, path, t.err, sizeof(t.err));
	free(path);
	if (ret != KNOT_EOK) {
		tool_error("%s; nothing changed", t.err);
		return EXIT_USAGE;
	}
	txn_cmd(&t, "conf-begin", NULL, NULL, NULL, NULL);
	if (t.ret != KNOT_EOK) {
		tool_error("%s; nothing changed", t.err);
		tool_ctl_close(t.ctl);
		return EXIT_RUNTIME;
	}
	fill(r, &t);
	txn_cmd(&t, "conf-commit", NULL, NULL, NULL, NULL);
	if (t.ret != KNOT_EOK) {
		char abort_err[256];
		tool_ctl_cmd(t.ctl, "conf-abort", NULL, NULL, NULL, NULL,
		             abort_err, sizeof(abort_err));
		tool_error("%s; transaction aborted, %s", t.err, what);
		tool_ctl_close(t.ctl);
		return EXIT_RUNTIME;
	}
	tool_ctl_close(t.ctl);
	return EXIT_OK;
}

/* --- applying: configuration file ------------------------------------------- */

static int include_paths(reg_t *r)
{
	const char *conf = r->src->config != NULL ? r->src->config : KNOT_CONF_DEFAULT_FILE;
	if (realpath(conf, r->conf_file) == NULL) {
		tool_error("cannot find %s (%s)", conf, strerror(errno));
		return EXIT_USAGE;
	}
	char dir[PATH_MAX];
	if (r->include_dir != NULL) {
		snprintf(dir, sizeof(dir), "%s", r->include_dir);
	} else {
		char copy[PATH_MAX];
		snprintf(copy, sizeof(copy), "%s", r->conf_file);
		snprintf(dir, sizeof(dir), "%s/" INCLUDE_DIR, dirname(copy));
	}
	if (asprintf(&r->include_file, "%s/%s.conf", dir, r->id) < 0) {
		r->include_file = NULL;
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*! The registration as Knot configuration text. */
static char *include_text(reg_t *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL) {
		return NULL;
	}
	fprintf(f, "# knot-acme register %s%s%s: remove with knot-acme unregister %s\n"
	        "key:\n"
	        "  - id: \"%s\"\n"
	        "    algorithm: hmac-sha256\n"
	        "    secret: \"%s\"\n"
	        "acl:\n"
	        "  - id: \"%s\"\n"
	        "    key: \"%s\"\n"
	        "    action: update\n"
	        "    update-type: TXT\n"
	        "    update-owner: name\n"
	        "    update-owner-match: equal\n"
	        "    update-owner-name: \"%s\"\n",
	        r->name, r->delegate ? " --delegate" : " --alias ",
	        r->delegate ? "" : r->zone, r->name,
	        r->key_name, r->secret, r->id, r->key_name, r->target);
	if (r->delegate) {
		fprintf(f, "zone:\n"
		        "  - domain: \"%s\"\n"
		        "    file: \"%s\"\n"
		        "    acl: \"%s\"\n",
		        r->zone, r->zone_file, r->id);
		if (r->zone_template != NULL) {
			fprintf(f, "    template: \"%s\"\n", r->zone_template);
		}
		if (r->module_ref[0] != '\0') {
			fprintf(f, "    module: \"%s\"\n", r->module_ref);
		}
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/*! True when knotd's configuration already includes the registration files. */
static bool included(reg_t *r)
{
	tool_conf_t *conf = NULL;
	char err[1024];
	if (tool_conf_load(&conf, r->src, err, sizeof(err)) != KNOT_EOK) {
		return false;
	}
	bool yes = tool_conf_has(conf, "key", r->key_name);
	tool_conf_free(conf);
	return yes;
}

/*! knotc conf-check of \a config; prints knotc's complaint. */
static bool conf_check(reg_t *r, const char *config)
{
	tool_src_t src = *r->src;
	src.config = config;
	src.confdb = NULL;
	static const char *const args[] = { "conf-check", NULL };
	char *err = NULL;
	int ret = tool_knotc(&src, args, NULL, &err);
	if (ret != 0) {
		tool_error("knotc conf-check refuses the result: %s",
		           err != NULL ? err : knot_strerror(ret));
	}
	free(err);
	return ret == 0;
}

/*! Checks the configuration with the registration file included. */
static bool check_with(reg_t *r, bool *is_included)
{
	*is_included = included(r);
	if (*is_included) {
		return conf_check(r, r->conf_file);
	}
	char tmpl[] = "/tmp/knot-acme-check.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		return false;
	}
	FILE *f = fdopen(fd, "w");
	fprintf(f, "include: \"%s\"\ninclude: \"%s\"\n", r->conf_file, r->include_file);
	fclose(f);
	bool ok = conf_check(r, tmpl);
	unlink(tmpl);
	return ok;
}

static int file_register(reg_t *r, bool *is_included)
{
	char *copy = strdup(r->include_file);
	if (copy == NULL) {
		return EXIT_RUNTIME;
	}
	const char *dir = dirname(copy);
	if (mkdir(dir, 0750) == 0) {
		struct stat st;
		if (stat(r->conf_file, &st) == 0) {
			(void)chown(dir, st.st_uid, st.st_gid);
		}
	} else if (errno != EEXIST) {
		tool_error("cannot create %s (%s)", dir, strerror(errno));
		free(copy);
		return EXIT_RUNTIME;
	}
	free(copy);
	if (access(r->include_file, F_OK) == 0) {
		tool_error("%s already exists: %s is registered (knot-acme unregister %s)",
		           r->include_file, r->name, r->name);
		return EXIT_USAGE;
	}

	char *text = include_text(r);
	if (text == NULL) {
		return EXIT_RUNTIME;
	}
	int ret = write_private(r->include_file, text, r->conf_file);
	explicit_bzero(text, strlen(text));
	free(text);
	if (ret != EXIT_OK) {
		return ret;
	}
	if (!check_with(r, is_included)) {
		unlink(r->include_file);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* --- register ----------------------------------------------------------------- */

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
	ret = r.delegate ? resolve_delegation(&r) : resolve_alias(&r);
	if (ret == EXIT_OK) {
		ret = resolve_server(&r);
	}
	if (ret != EXIT_OK) {
		goto done;
	}
	bool confdb = tool_src_is_confdb(src);
	if (!confdb && (ret = include_paths(&r)) != EXIT_OK) {
		goto done;
	}
	if ((ret = generate_secret(&r)) != EXIT_OK) {
		goto done;
	}
	if (r.delegate && (ret = write_zone_file(&r)) != EXIT_OK) {
		goto done;
	}

	bool is_included = true;
	ret = confdb ? confdb_apply(&r, txn_register, "nothing registered") :
	               file_register(&r, &is_included);
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
			list_t all = { 0 };
			tool_conf_values(r.conf, "zone", r.zone, "acl", collect, &all);
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
	list_t own = { 0 };
	tool_conf_values_own(r->conf, "zone", zone, "acl", collect, &own);
	return knot_dname_is_equal(a, b) && own.count == 1 && strcmp(own.values[0], r->id) == 0;
}

static void txn_unregister(reg_t *r, txn_t *t)
{
	txn_keep_module(r, t);
	const char *zone;
	for (size_t i = 0; (zone = tool_conf_id(r->conf, "zone", i)) != NULL; i++) {
		find_t f = { .id = r->id };
		tool_conf_values_own(r->conf, "zone", zone, "acl", find_value, &f);
		if (!f.found) {
			continue;
		}
		if (is_delegated_zone(r, zone)) {
			const char *file = tool_conf_get(r->conf, "zone", zone, "file");
			if (file != NULL && r->zone_file == NULL) {
				r->zone_file = strdup(file);
			}
			txn_cmd(t, "conf-unset", "zone", zone, NULL, NULL);
			continue;
		}
		txn_cmd(t, "conf-unset", "zone", zone, "acl", r->id);
		/* What remains is the template's list: inherit it again, as before. */
		list_t own = { 0 }, tpl = { 0 };
		tool_conf_values_own(r->conf, "zone", zone, "acl", collect, &own);
		const char *tpl_id = tool_conf_get(r->conf, "zone", zone, "template");
		tool_conf_values_own(r->conf, "template", tpl_id != NULL ? tpl_id : "default",
		                     "acl", collect, &tpl);
		bool same = (own.count == tpl.count + 1) && tpl.count > 0;
		for (size_t j = 0, k = 0; same && j < own.count; j++) {
			if (strcmp(own.values[j], r->id) == 0) {
				continue;
			}
			same = strcmp(own.values[j], tpl.values[k++]) == 0;
		}
		if (same) {
			txn_cmd(t, "conf-unset", "zone", zone, "acl", NULL);
		}
	}
	txn_cmd(t, "conf-unset", "acl", r->id, NULL, NULL);
	txn_cmd(t, "conf-unset", "key", r->key_name, NULL, NULL);
}

static int file_unregister(reg_t *r)
{
	if (access(r->include_file, F_OK) != 0) {
		tool_error("%s is not registered by knot-acme in this configuration "
		           "(no %s)", r->name, r->include_file);
		return EXIT_USAGE;
	}
	const char *zone;
	for (size_t i = 0; (zone = tool_conf_id(r->conf, "zone", i)) != NULL; i++) {
		find_t f = { .id = r->id };
		tool_conf_values_own(r->conf, "zone", zone, "acl", find_value, &f);
		if (!f.found) {
			continue;
		}
		if (is_delegated_zone(r, zone)) {
			const char *file = tool_conf_get(r->conf, "zone", zone, "file");
			if (file != NULL && r->zone_file == NULL) {
				r->zone_file = strdup(file);
			}
			continue;
		}
		tool_error("zone %s still lists acl %s: remove it from the zone's acl "
		           "first; nothing changed", zone, r->id);
		return EXIT_USAGE;
	}

	/* Keep the file until the configuration checks without it. */
	char *saved = NULL;
	if (asprintf(&saved, "%s.removed", r->include_file) < 0 ||
	    rename(r->include_file, saved) != 0) {
		tool_error("cannot remove %s (%s)", r->include_file, strerror(errno));
		free(saved);
		return EXIT_RUNTIME;
	}
	if (!conf_check(r, r->conf_file)) {
		rename(saved, r->include_file);
		free(saved);
		return EXIT_RUNTIME;
	}
	unlink(saved);
	free(saved);
	return EXIT_OK;
}

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
		ret = confdb_apply(&r, txn_unregister, "nothing removed");
	} else if ((ret = include_paths(&r)) == EXIT_OK) {
		ret = file_unregister(&r);
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
