/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module/tool/cli.h"
#include "module/tool/register_internal.h"

/* Applying a registration with a configuration file: the zone file, the
 * registration file, knotc conf-check. */

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
int reg_write_zone_file(reg_t *r)
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

int reg_include_paths(reg_t *r)
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

int reg_file_register(reg_t *r, bool *is_included)
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

int reg_file_unregister(reg_t *r)
{
	if (access(r->include_file, F_OK) != 0) {
		tool_error("%s is not registered by knot-acme in this configuration "
		           "(no %s)", r->name, r->include_file);
		return EXIT_USAGE;
	}
	const char *zone;
	bool delegated;
	for (size_t i = 0; (zone = reg_next_zone(r, &i, &delegated)) != NULL; ) {
		if (delegated) {
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
