/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "module/common/consts.h"
#include "module/store/lmdb/lmdb.h"
#include "module/store/redis/redis.h"
#include "module/tool/conf.h"

#define MOD_NAME		"mod-acme"

struct tool_conf {
	yaml_document_t doc;
	bool has_doc;
	tool_zone_t *zones;
	size_t zone_count;
	tool_acme_t **acmes;  /*!< Distinct sections used by zones. */
	size_t acme_count;
};

static void set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

/* --- raw YAML tree ------------------------------------------------------ */

static const char *scalar(yaml_document_t *doc, yaml_node_t *node)
{
	(void)doc;
	return (node != NULL && node->type == YAML_SCALAR_NODE) ?
	       (const char *)node->data.scalar.value : NULL;
}

/*! Value node of \a key in mapping \a map, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE) {
		return NULL;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		if (k != NULL && strcmp(k, key) == 0) {
			return yaml_document_get_node(doc, p->value);
		}
	}
	return NULL;
}

/*! Sections whose ids are domain names. */
static bool ids_are_names(const char *section)
{
	return strcmp(section, "zone") == 0 || strcmp(section, "key") == 0;
}

static bool id_equal(const char *section, const char *a, const char *b)
{
	if (!ids_are_names(section)) {
		return strcmp(a, b) == 0;
	}
	knot_dname_storage_t na, nb;
	if (knot_dname_from_str(na, a, sizeof(na)) == NULL ||
	    knot_dname_from_str(nb, b, sizeof(nb)) == NULL) {
		return false;
	}
	return knot_dname_is_case_equal(na, nb);
}

static const char *id_item(const char *section)
{
	return strcmp(section, "zone") == 0 ? "domain" : "id";
}

/*! The i-th entry of a list section, or NULL. */
static yaml_node_t *entry_at(const tool_conf_t *conf, const char *section, size_t i)
{
	yaml_document_t *doc = (yaml_document_t *)&conf->doc;
	yaml_node_t *sec = map_get(doc, yaml_document_get_root_node(doc), section);
	if (sec == NULL || sec->type != YAML_SEQUENCE_NODE) {
		return NULL;
	}
	size_t n = sec->data.sequence.items.top - sec->data.sequence.items.start;
	if (i >= n) {
		return NULL;
	}
	return yaml_document_get_node(doc, sec->data.sequence.items.start[i]);
}

/*! The entry with \a id (or the section's map when \a id is NULL). */
static yaml_node_t *entry(const tool_conf_t *conf, const char *section, const char *id)
{
	yaml_document_t *doc = (yaml_document_t *)&conf->doc;
	if (!conf->has_doc) {
		return NULL;
	}
	if (id == NULL) {
		yaml_node_t *sec = map_get(doc, yaml_document_get_root_node(doc), section);
		return (sec != NULL && sec->type == YAML_MAPPING_NODE) ? sec : NULL;
	}
	yaml_node_t *e;
	for (size_t i = 0; (e = entry_at(conf, section, i)) != NULL; i++) {
		const char *eid = scalar(doc, map_get(doc, e, id_item(section)));
		if (eid != NULL && id_equal(section, eid, id)) {
			return e;
		}
	}
	return NULL;
}

const char *tool_conf_id(const tool_conf_t *conf, const char *section, size_t i)
{
	if (!conf->has_doc) {
		return NULL;
	}
	yaml_node_t *e = entry_at(conf, section, i);
	return e == NULL ? NULL :
	       scalar((yaml_document_t *)&conf->doc, map_get((yaml_document_t *)&conf->doc,
	                                                   e, id_item(section)));
}

bool tool_conf_has(const tool_conf_t *conf, const char *section, const char *id)
{
	return entry(conf, section, id) != NULL;
}

/*! Calls \a cb on each value of an item node (a scalar or a sequence). */
static int item_values(yaml_document_t *doc, yaml_node_t *node,
                       int (*cb)(const char *, void *), void *ctx)
{
	if (node == NULL) {
		return 0;
	}
	if (node->type == YAML_SCALAR_NODE) {
		return (cb != NULL && cb(scalar(doc, node), ctx) != 0) ? -1 : 1;
	}
	if (node->type != YAML_SEQUENCE_NODE) {
		return 0;
	}
	int count = 0;
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		const char *v = scalar(doc, yaml_document_get_node(doc, *it));
		if (v == NULL) {
			continue;
		}
		if (cb != NULL && cb(v, ctx) != 0) {
			return -1;
		}
		count++;
	}
	return count;
}

/*! The item node, with Knot's template inheritance for zones. */
static yaml_node_t *item_node(const tool_conf_t *conf, const char *section, const char *id,
                              const char *item)
{
	yaml_document_t *doc = (yaml_document_t *)&conf->doc;
	yaml_node_t *e = entry(conf, section, id);
	if (e == NULL) {
		return NULL;
	}
	yaml_node_t *node = map_get(doc, e, item);
	if (node != NULL || strcmp(section, "zone") != 0) {
		return node;
	}
	/* A zone item not set in the zone comes from its template, or from the
	 * template "default" when the zone names none. */
	const char *tpl = scalar(doc, map_get(doc, e, "template"));
	yaml_node_t *t = entry(conf, "template", tpl != NULL ? tpl : "default");
	return t == NULL ? NULL : map_get(doc, t, item);
}

int tool_conf_values(const tool_conf_t *conf, const char *section, const char *id,
                     const char *item, int (*cb)(const char *value, void *ctx), void *ctx)
{
	if (!conf->has_doc) {
		return 0;
	}
	return item_values((yaml_document_t *)&conf->doc,
	                   item_node(conf, section, id, item), cb, ctx);
}

int tool_conf_values_own(const tool_conf_t *conf, const char *section, const char *id,
                         const char *item, int (*cb)(const char *value, void *ctx),
                         void *ctx)
{
	if (!conf->has_doc) {
		return 0;
	}
	yaml_document_t *doc = (yaml_document_t *)&conf->doc;
	return item_values(doc, map_get(doc, entry(conf, section, id), item), cb, ctx);
}

int tool_values_collect(const char *value, void *ctx)
{
	tool_values_t *v = ctx;
	if (v->count < TOOL_VALUES_MAX) {
		v->values[v->count++] = value;
	}
	return 0;
}

static int take_first(const char *value, void *ctx)
{
	*(const char **)ctx = value;
	return 1;
}

const char *tool_conf_get(const tool_conf_t *conf, const char *section, const char *id,
                          const char *item)
{
	const char *value = NULL;
	tool_conf_values(conf, section, id, item, take_first, &value);
	return value;
}

/* --- typed values ------------------------------------------------------- */

/*! Knot's integer syntax: a number with an optional time or size unit. */
static bool parse_uint(const char *str, bool size, uint64_t *out)
{
	if (str == NULL || str[0] < '0' || str[0] > '9') {
		return false;
	}
	errno = 0;
	char *end;
	unsigned long long num = strtoull(str, &end, 10);
	if (errno != 0) {
		return false;
	}
	uint64_t mult = 1;
	if (*end != '\0' && end[1] == '\0') {
		static const char *units[2] = { "smhd", "BKMG" };
		static const uint64_t mults[2][4] = {
			{ 1, 60, 3600, 86400 },
			{ 1, 1ULL << 10, 1ULL << 20, 1ULL << 30 },
		};
		const char *unit = strchr(units[size], *end);
		if (unit == NULL) {
			return false;
		}
		mult = mults[size][unit - units[size]];
		end++;
	}
	if (*end != '\0' || (mult > 1 && num > UINT64_MAX / mult)) {
		return false;
	}
	*out = num * mult;
	return true;
}

static bool parse_bool(const char *str, bool *out)
{
	if (strcmp(str, "on") == 0 || strcmp(str, "true") == 0) {
		*out = true;
	} else if (strcmp(str, "off") == 0 || strcmp(str, "false") == 0) {
		*out = false;
	} else {
		return false;
	}
	return true;
}

/*! The module's database path, resolved as module/mod-acme.c does. */
static char *database_path(const tool_conf_t *conf, const char *db)
{
	char *path = NULL;
	if (db[0] == '/') {
		return strdup(db);
	}
	const char *storage = tool_conf_get(conf, "database", NULL, "storage");
	if (storage == NULL) {
		storage = KNOT_STORAGE_DIR;
	}
	int ret;
	if (storage[0] == '/') {
		ret = asprintf(&path, "%s/%s", storage, db);
	} else {
		const char *rundir = tool_conf_get(conf, "server", NULL, "rundir");
		ret = asprintf(&path, "%s/%s/%s", rundir != NULL ? rundir : KNOT_RUN_DIR,
		               storage, db);
	}
	return ret < 0 ? NULL : path;
}

/*! \a path made absolute under \a base (which is absolute). */
static char *abs_path(const char *path, const char *base)
{
	char *out = NULL;
	if (path[0] == '/') {
		return strdup(path);
	}
	return asprintf(&out, "%s/%s", base, path) < 0 ? NULL : out;
}

static const char *rundir(const tool_conf_t *conf)
{
	const char *dir = tool_conf_get(conf, "server", NULL, "rundir");
	return dir != NULL ? dir : KNOT_RUN_DIR;
}

char *tool_conf_new_zone_file(const tool_conf_t *conf, const char *domain, const char *tpl)
{
	if (tpl == NULL) {
		tpl = "default";
	}
	const char *storage = tool_conf_get(conf, "template", tpl, "storage");
	const char *file = tool_conf_get(conf, "template", tpl, "file");
	if (file == NULL) {
		file = "%s.zone";
	}

	/* The zone name without the trailing dot for %s, as Knot does. */
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	snprintf(zone, sizeof(zone), "%s", domain);
	size_t zlen = strlen(zone);
	if (zlen > 1 && zone[zlen - 1] == '.') {
		zone[zlen - 1] = '\0';
	}
	char name[4096];
	size_t len = 0;
	for (const char *p = file; *p != '\0'; p++) {
		const char *add = p;
		size_t add_len = 1;
		if (*p == '%') {
			if (p[1] == 's') {
				add = zone;
				add_len = strlen(zone);
			} else if (p[1] == '%') {
				add = "%";
			} else {
				return NULL;
			}
			p++;
		}
		if (len + add_len >= sizeof(name)) {
			return NULL;
		}
		memcpy(name + len, add, add_len);
		len += add_len;
	}
	name[len] = '\0';

	char *base = abs_path(storage != NULL ? storage : KNOT_STORAGE_DIR, rundir(conf));
	if (base == NULL) {
		return NULL;
	}
	char *path = abs_path(name, base);
	free(base);
	return path;
}

char *tool_conf_ctl_socket(const tool_conf_t *conf)
{
	const char *listen = tool_conf_get(conf, "control", NULL, "listen");
	return abs_path(listen != NULL ? listen : "knot.sock", rundir(conf));
}

static void acme_free(tool_acme_t *acme)
{
	if (acme != NULL) {
		free(acme->id);
		free(acme->database);
		free(acme->redis);
		free(acme->redis_read);
		free(acme->redis_sentinels);
		free(acme->redis_master);
		free(acme->redis_prefix);
		free(acme->redis_password_file);
		free(acme->redis_tls_ca);
		free(acme->redis_tls_cert);
		free(acme->redis_tls_key);
		free(acme->redis_tls_name);
		free(acme->store);
		free(acme);
	}
}

/*! A copy of an item's first value, or NULL; false when out of memory. */
static bool dup_item(const tool_conf_t *conf, const char *id, const char *item, char **out)
{
	const char *value = tool_conf_get(conf, MOD_NAME, id, item);
	*out = value != NULL ? strdup(value) : NULL;
	return value == NULL || *out != NULL;
}

/*!
 * The Redis backend's items, as module/knotd/storeconf.c reads them: `redis`
 * or `redis-sentinel` select it (knotd's check refused anything else).
 */
static int redis_load(const tool_conf_t *conf, const char *id, tool_acme_t *acme)
{
	tool_values_t sent = { .count = 0 };
	tool_conf_values(conf, MOD_NAME, id, "redis-sentinel", tool_values_collect, &sent);
	bool ok = dup_item(conf, id, "redis", &acme->redis);
	if (ok && acme->redis == NULL && sent.count == 0) {
		return KNOT_EOK;
	}
	acme->backend = TOOL_BACKEND_REDIS;
	ok = ok && dup_item(conf, id, "redis-read", &acme->redis_read) &&
	     dup_item(conf, id, "redis-sentinel-master", &acme->redis_master) &&
	     dup_item(conf, id, "redis-prefix", &acme->redis_prefix) &&
	     dup_item(conf, id, "redis-password-file", &acme->redis_password_file) &&
	     dup_item(conf, id, "redis-tls-ca", &acme->redis_tls_ca) &&
	     dup_item(conf, id, "redis-tls-cert", &acme->redis_tls_cert) &&
	     dup_item(conf, id, "redis-tls-key", &acme->redis_tls_key) &&
	     dup_item(conf, id, "redis-tls-name", &acme->redis_tls_name);
	if (ok && sent.count > 0) {
		size_t len = 1;
		for (size_t i = 0; i < sent.count; i++) {
			len += strlen(sent.values[i]) + 1;
		}
		acme->redis_sentinels = calloc(1, len);
		for (size_t i = 0; acme->redis_sentinels != NULL && i < sent.count; i++) {
			if (i > 0) {
				strcat(acme->redis_sentinels, ",");
			}
			strcat(acme->redis_sentinels, sent.values[i]);
		}
		ok = acme->redis_sentinels != NULL;
	}
	const char *prefix = acme->redis_prefix != NULL ? acme->redis_prefix :
	                     ACME_REDIS_PREFIX_DEFAULT;
	if (ok && acme->redis != NULL) {
		ok = asprintf(&acme->store, "Redis %s, prefix %s", acme->redis, prefix) >= 0;
	} else if (ok) {
		ok = asprintf(&acme->store, "Redis Sentinel master %s (%s), prefix %s",
		              acme->redis_master != NULL ? acme->redis_master : "?",
		              acme->redis_sentinels, prefix) >= 0;
	}
	if (!ok) {
		acme->store = NULL;
	}
	return ok ? KNOT_EOK : KNOT_ENOMEM;
}

/*! Reads mod-acme section \a id (NULL: a bare "mod-acme", the defaults). */
static int acme_load(const tool_conf_t *conf, const char *id, tool_acme_t **out,
                     char *err, size_t err_size)
{
	tool_acme_t *acme = calloc(1, sizeof(*acme));
	if (acme == NULL) {
		return KNOT_ENOMEM;
	}
	*acme = (tool_acme_t) {
		.lifetime = ACME_LIFETIME_DEFAULT,
		.max_ttl = ACME_MAX_TTL_DEFAULT,
		.max_records = ACME_MAX_RECORDS_DEFAULT,
		.strict = ACME_STRICT_DEFAULT,
		.map_size = ACME_LMDB_MAP_SIZE_DEFAULT,
	};
	acme->id = strdup(id != NULL ? id : "default");
	if (id != NULL && !tool_conf_has(conf, MOD_NAME, id)) {
		set_err(err, err_size, "module " MOD_NAME "/%s has no " MOD_NAME " section", id);
		acme_free(acme);
		return KNOT_ENOENT;
	}

	struct {
		const char *item;
		bool size;
		uint32_t *u32;
		uint64_t *u64;
		bool *flag;
	} items[] = {
		{ "lifetime",       false, &acme->lifetime,       NULL, NULL },
		{ "max-ttl",        false, &acme->max_ttl,        NULL, NULL },
		{ "max-records",    false, &acme->max_records,    NULL, NULL },
		{ "redis-replicas", false, &acme->redis_replicas, NULL, NULL },
		{ "redis-timeout",  false, &acme->redis_timeout,  NULL, NULL },
		{ "map-size",       true,  NULL, &acme->map_size, NULL },
		{ "strict",         false, NULL, NULL, &acme->strict },
		{ "redis-tls",      false, NULL, NULL, &acme->redis_tls },
	};
	for (size_t i = 0; id != NULL && i < sizeof(items) / sizeof(items[0]); i++) {
		const char *str = tool_conf_get(conf, MOD_NAME, id, items[i].item);
		if (str == NULL) {
			continue;
		}
		uint64_t num = 0;
		bool ok = items[i].flag != NULL ? parse_bool(str, items[i].flag) :
		          parse_uint(str, items[i].size, &num);
		if (ok && items[i].u32 != NULL) {
			ok = num <= UINT32_MAX;
			*items[i].u32 = num;
		} else if (ok && items[i].u64 != NULL) {
			*items[i].u64 = num;
		}
		if (!ok) {
			set_err(err, err_size, MOD_NAME "[%s].%s: invalid value '%s'",
			        id, items[i].item, str);
			acme_free(acme);
			return KNOT_EINVAL;
		}
	}

	const char *db = id == NULL ? NULL : tool_conf_get(conf, MOD_NAME, id, "database");
	const char *mode = id == NULL ? NULL : tool_conf_get(conf, MOD_NAME, id, "database-mode");
	acme->asynchronous = (mode != NULL && strcmp(mode, "asynchronous") == 0);
	acme->database = database_path(conf, db != NULL ? db : ACME_DB_NAME);

	int ret = id == NULL ? KNOT_EOK : redis_load(conf, id, acme);
	if (ret != KNOT_EOK) {
		acme_free(acme);
		return ret;
	}
	if (acme->backend == TOOL_BACKEND_LMDB) {
		acme->store = acme->database != NULL ? strdup(acme->database) : NULL;
	}
	if (acme->id == NULL || acme->database == NULL || acme->store == NULL) {
		acme_free(acme);
		return KNOT_ENOMEM;
	}
	*out = acme;
	return KNOT_EOK;
}

/*! Finds "mod-acme" or "mod-acme/ID" in a zone's module list. */
static int find_module(const char *value, void *ctx)
{
	const char **found = ctx;
	size_t len = strlen(MOD_NAME);
	if (strncmp(value, MOD_NAME, len) == 0 && (value[len] == '\0' || value[len] == '/')) {
		*found = value;
		return 1;
	}
	return 0;
}

/*! The shared mod-acme section for a zone's module reference. */
static int zone_acme(tool_conf_t *conf, const char *ref, const tool_acme_t **out,
                     char *err, size_t err_size)
{
	const char *slash = strchr(ref, '/');
	const char *id = slash != NULL ? slash + 1 : NULL;
	for (size_t i = 0; i < conf->acme_count; i++) {
		const char *have = conf->acmes[i]->id;
		if ((id == NULL && strcmp(ref, MOD_NAME) == 0 && conf->acmes[i]->id[0] == '\0') ||
		    (id != NULL && strcmp(have, id) == 0)) {
			*out = conf->acmes[i];
			return KNOT_EOK;
		}
	}
	tool_acme_t *acme = NULL;
	int ret = acme_load(conf, id, &acme, err, err_size);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (id == NULL) {
		acme->id[0] = '\0'; /* Bare module: no section. */
	}
	tool_acme_t **acmes = realloc(conf->acmes, (conf->acme_count + 1) * sizeof(*acmes));
	if (acmes == NULL) {
		acme_free(acme);
		return KNOT_ENOMEM;
	}
	conf->acmes = acmes;
	conf->acmes[conf->acme_count++] = acme;
	*out = acme;
	return KNOT_EOK;
}

static int zones_load(tool_conf_t *conf, char *err, size_t err_size)
{
	size_t count = 0;
	while (tool_conf_id(conf, "zone", count) != NULL) {
		count++;
	}
	conf->zones = calloc(count + 1, sizeof(*conf->zones));
	if (conf->zones == NULL) {
		return KNOT_ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		tool_zone_t *zone = &conf->zones[conf->zone_count];
		zone->domain = tool_conf_id(conf, "zone", i);
		zone->name = knot_dname_from_str_alloc(zone->domain);
		if (zone->name == NULL) {
			set_err(err, err_size, "invalid zone name '%s'", zone->domain);
			return KNOT_EINVAL;
		}
		knot_dname_to_lower(zone->name);
		conf->zone_count++;

		const char *ref = NULL;
		tool_conf_values(conf, "zone", zone->domain, "module", find_module, &ref);
		if (ref != NULL) {
			int ret = zone_acme(conf, ref, &zone->acme, err, err_size);
			if (ret != KNOT_EOK) {
				return ret;
			}
		}
		const char *signing = tool_conf_get(conf, "zone", zone->domain, "dnssec-signing");
		if (signing != NULL) {
			parse_bool(signing, &zone->dnssec_signing);
		}
	}
	return KNOT_EOK;
}

/*! Last non-empty line of knotc's error output, for messages. */
static const char *last_line(char *text)
{
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ')) {
		text[--len] = '\0';
	}
	char *nl = strrchr(text, '\n');
	text = (nl != NULL) ? nl + 1 : text;
	return strncmp(text, "error: ", 7) == 0 ? text + 7 : text;
}

int tool_conf_load(tool_conf_t **out, const tool_src_t *src, char *err, size_t err_size)
{
	tool_conf_t *conf = calloc(1, sizeof(*conf));
	if (conf == NULL) {
		return KNOT_ENOMEM;
	}

	char desc[4096];
	tool_src_describe(src, desc, sizeof(desc));
	if (src->config == NULL && src->confdb == NULL && !tool_src_is_confdb(src)) {
		FILE *f = fopen(KNOT_CONF_DEFAULT_FILE, "r");
		if (f == NULL) {
			set_err(err, err_size, "no knotd configuration: neither %s nor %s "
			        "exists (use -c FILE, -C DIR, or -D DIR for a bare database)",
			        KNOT_CONF_DEFAULT_DBDIR, KNOT_CONF_DEFAULT_FILE);
			free(conf);
			return KNOT_ENOENT;
		}
		fclose(f);
	}

	static const char *const args[] = { "conf-export", NULL };
	char *yaml_text = NULL, *errout = NULL;
	int ret = tool_knotc(src, args, &yaml_text, &errout);
	if (ret < 0) {
		set_err(err, err_size, "cannot run %s (%s)", src->knotc, knot_strerror(ret));
		free(conf);
		return ret;
	} else if (ret != 0) {
		set_err(err, err_size, "cannot read the %s: %s", desc, last_line(errout));
		free(yaml_text);
		free(errout);
		free(conf);
		return KNOT_EINVAL;
	}
	free(errout);

	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml_text,
	                             strlen(yaml_text));
	if (!yaml_parser_load(&parser, &conf->doc)) {
		set_err(err, err_size, "cannot parse the exported %s (line %zu: %s)", desc,
		        parser.problem_mark.line + 1,
		        parser.problem != NULL ? parser.problem : "error");
		yaml_parser_delete(&parser);
		explicit_bzero(yaml_text, strlen(yaml_text));
		free(yaml_text);
		free(conf);
		return KNOT_EMALF;
	}
	yaml_parser_delete(&parser);
	explicit_bzero(yaml_text, strlen(yaml_text)); /* Key secrets. */
	free(yaml_text);
	conf->has_doc = (yaml_document_get_root_node(&conf->doc) != NULL);

	ret = zones_load(conf, err, err_size);
	if (ret != KNOT_EOK) {
		tool_conf_free(conf);
		return ret;
	}
	*out = conf;
	return KNOT_EOK;
}

void tool_conf_free(tool_conf_t *conf)
{
	if (conf == NULL) {
		return;
	}
	for (size_t i = 0; i < conf->zone_count; i++) {
		knot_dname_free(conf->zones[i].name, NULL);
	}
	free(conf->zones);
	for (size_t i = 0; i < conf->acme_count; i++) {
		acme_free(conf->acmes[i]);
	}
	free(conf->acmes);
	yaml_document_delete(&conf->doc);
	free(conf);
}

const tool_zone_t *tool_conf_zone_of(const tool_conf_t *conf, const knot_dname_t *name)
{
	const tool_zone_t *best = NULL;
	int best_labels = -1;
	for (size_t i = 0; i < conf->zone_count; i++) {
		const tool_zone_t *zone = &conf->zones[i];
		if (knot_dname_in_bailiwick(name, zone->name) >= 0) {
			int labels = knot_dname_labels(zone->name, NULL);
			if (labels > best_labels) {
				best = zone;
				best_labels = labels;
			}
		}
	}
	return best;
}

size_t tool_conf_zone_count(const tool_conf_t *conf)
{
	return conf->zone_count;
}

const tool_zone_t *tool_conf_zone(const tool_conf_t *conf, size_t i)
{
	return i < conf->zone_count ? &conf->zones[i] : NULL;
}

size_t tool_conf_acme_count(const tool_conf_t *conf)
{
	return conf->acme_count;
}

const tool_acme_t *tool_conf_acme(const tool_conf_t *conf, size_t i)
{
	return i < conf->acme_count ? conf->acmes[i] : NULL;
}
