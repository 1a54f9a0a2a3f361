/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief knotd's configuration as the tool sees it.
 *
 * Read with `knotc conf-export` (which works offline on a file or a
 * configuration database, and resolves includes) and parsed with libyaml.
 * On top of the raw sections: which zone a name falls in, the zone's items
 * with Knot's template inheritance, and the mod-acme section the zone uses
 * with the module's defaults, the database path resolved as the module
 * resolves it.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "module/tool/knotc.h"

typedef struct tool_conf tool_conf_t;

/*! The store backend a mod-acme section selects. */
typedef enum {
	TOOL_BACKEND_LMDB = 0,
	TOOL_BACKEND_REDIS,   /*!< Selected by `redis` or `redis-sentinel`. */
} tool_backend_t;

/*! One mod-acme section, with the module's defaults filled in. */
typedef struct {
	char *id;              /*!< Section id ("default" for a bare "mod-acme"). */
	tool_backend_t backend;
	char *database;        /*!< Absolute LMDB directory. */
	char *redis;           /*!< Redis backend items (NULL/0 when unset). */
	char *redis_read;
	uint32_t redis_replicas;
	uint32_t redis_timeout;
	char *redis_sentinels; /*!< Comma-separated, as acme_redis_opts_t takes them. */
	char *redis_master;
	char *redis_prefix;
	char *redis_password_file;
	bool redis_tls;
	char *redis_tls_ca;
	char *redis_tls_cert;
	char *redis_tls_key;
	char *redis_tls_name;
	char *store;           /*!< What the store is, for messages; also tells
	                            sections sharing one store apart. */
	uint32_t lifetime;
	uint32_t max_ttl;
	uint32_t max_records;
	bool strict;
	uint64_t map_size;
	bool asynchronous;
} tool_acme_t;

/*! A zone of knotd's configuration, items after template inheritance. */
typedef struct {
	const char *domain;      /*!< As exported (absolute, with the dot). */
	knot_dname_t *name;      /*!< Lower case. */
	const tool_acme_t *acme; /*!< Its mod-acme section, or NULL. */
	bool dnssec_signing;
} tool_zone_t;

/*! Loads knotd's configuration; on failure \a err says why. */
int tool_conf_load(tool_conf_t **conf, const tool_src_t *src, char *err, size_t err_size);

void tool_conf_free(tool_conf_t *conf);

/*! The zone knotd would answer \a name from (the most specific one), or NULL. */
const tool_zone_t *tool_conf_zone_of(const tool_conf_t *conf, const knot_dname_t *name);

/*! Zones of the configuration, in order. */
size_t tool_conf_zone_count(const tool_conf_t *conf);
const tool_zone_t *tool_conf_zone(const tool_conf_t *conf, size_t i);

/*! Distinct mod-acme sections used by zones. */
size_t tool_conf_acme_count(const tool_conf_t *conf);
const tool_acme_t *tool_conf_acme(const tool_conf_t *conf, size_t i);

/*!
 * Values of an item of a section entry, after template inheritance for zones.
 *
 * \param section  "key", "acl", "zone", "template", "server", ...
 * \param id       The entry's id (domain for zones); NULL for sections
 *                 without ids (server, database, control).
 * \param cb       Called with each value in order; non-zero stops.
 *
 * \return Number of values (0 when the item or the entry is missing), or -1
 *         when \a cb stopped the walk.
 */
int tool_conf_values(const tool_conf_t *conf, const char *section, const char *id,
                     const char *item, int (*cb)(const char *value, void *ctx), void *ctx);

/*! The values of one item, copied out by tool_values_collect(). */
#define TOOL_VALUES_MAX	64
typedef struct {
	const char *values[TOOL_VALUES_MAX];
	size_t count;
} tool_values_t;

/*! A tool_conf_values() callback: appends to a tool_values_t (the first
 *  TOOL_VALUES_MAX values). */
int tool_values_collect(const char *value, void *ctx);

/*! Like tool_conf_values(), without template inheritance. */
int tool_conf_values_own(const tool_conf_t *conf, const char *section, const char *id,
                         const char *item, int (*cb)(const char *value, void *ctx),
                         void *ctx);

/*! First value of an item (see tool_conf_values()), or NULL. */
const char *tool_conf_get(const tool_conf_t *conf, const char *section, const char *id,
                          const char *item);

/*! True when the section has an entry with \a id (domain names compared as names). */
bool tool_conf_has(const tool_conf_t *conf, const char *section, const char *id);

/*!
 * Absolute path knotd would use for the file of a new zone \a domain with
 * template \a tpl (NULL: "default"): its `file` (default "%s.zone") under
 * its `storage`.  NULL when the pattern uses more than %s.
 */
char *tool_conf_new_zone_file(const tool_conf_t *conf, const char *domain, const char *tpl);

/*! Absolute path of knotd's control socket (control.listen under rundir). */
char *tool_conf_ctl_socket(const tool_conf_t *conf);

/*! Ids of a section's entries, in order (NULL past the end). */
const char *tool_conf_id(const tool_conf_t *conf, const char *section, size_t i);
