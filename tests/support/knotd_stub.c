/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief For tests only: knotd_* functions over a fixed configuration.
 *
 * The configuration, as it would read in knot.conf:
 *
 *   key:     k1 (hmac-sha256), k2 (hmac-sha512), k3 (hmac-sha256); the
 *            secrets of tests/acmetest/ddns.py TsigKey.make()
 *   remote:  r1 (address 198.51.100.1, key k3);  remotes: grp [r1]
 *   acl:     deny-bad  address 192.0.2.66, action update, deny
 *            upd       key k1, action update
 *            own       key k2, action update, update-type TXT,
 *                      update-owner name, update-owner-match equal,
 *                      update-owner-name [www, abs.auth.example.net.]
 *            rmt       remote grp, action update
 *            local     address 127.0.0.0/8, action update (unsigned)
 *            noact     key k3 (no action: ends the walk, denied)
 *   mod-acme: defaults of the module's own schema, but database (temporary
 *            directory), lifetime 2 s, max-records 4, map-size 1 MiB; for
 *            auth.example.net replay-cache 0 (off: re-signed inputs always
 *            get past it), max-update-rrs 8, max-update-size 1024 (limits
 *            are hit); for _acme-challenge.example.com replay-cache 64 (it
 *            fills up), max-update-rrs 50
 *   zone:    auth.example.net and _acme-challenge.example.com, both with
 *            module mod-acme and acl [deny-bad, upd, own, rmt, local, noact]
 *
 * Values are handed out in the shapes Knot's knotd_conf() uses (see
 * src/knot/nameserver/query_module.c): multi-valued items as malloc'ed
 * arrays the caller frees with knotd_conf_free(), references as raw ids,
 * key ids as domain names.
 */

#include <arpa/inet.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module/compat.h"
#include "tests/support/knotd_stub.h"


/* Keys: the secrets of TsigKey.make(name, algorithm) in acmetest/ddns.py. */

static const uint8_t k1_secret[] = {
	0xe3, 0x3f, 0x7f, 0x08, 0xf6, 0x0e, 0x19, 0xe7, 0x50, 0xbd, 0x90, 0x4c, 0x21, 0xcc, 0xc5, 0x5a,
	0x1f, 0x7e, 0x14, 0xe1, 0x23, 0x44, 0x2b, 0xb3, 0x37, 0xd2, 0x9d, 0xc4, 0xa6, 0x0b, 0x00, 0xa4,
};
static const uint8_t k2_secret[] = {
	0xba, 0xa8, 0xbe, 0xa4, 0x51, 0x3e, 0x52, 0x96, 0x4d, 0xbf, 0x2f, 0x5f, 0x76, 0x5b, 0x11, 0x70,
	0x67, 0x41, 0x84, 0xd0, 0xfe, 0xeb, 0xe6, 0xfa, 0x2a, 0x1c, 0xd2, 0x00, 0x2c, 0xc1, 0xd7, 0xab,
};
static const uint8_t k3_secret[] = {
	0xec, 0xe8, 0x5c, 0x86, 0xa6, 0x69, 0xf8, 0x9a, 0x64, 0x57, 0x23, 0x0f, 0x24, 0x8a, 0xc3, 0x04,
	0xc3, 0xb0, 0x1a, 0x7b, 0xdd, 0x08, 0xf4, 0x2c, 0xf1, 0xf0, 0xb7, 0xb6, 0x92, 0x1c, 0x50, 0xa2,
};

const stub_key_t stub_keys[3] = {
	{ "k1.", DNSSEC_TSIG_HMAC_SHA256, k1_secret, sizeof(k1_secret) },
	{ "k2.", DNSSEC_TSIG_HMAC_SHA512, k2_secret, sizeof(k2_secret) },
	{ "k3.", DNSSEC_TSIG_HMAC_SHA256, k3_secret, sizeof(k3_secret) },
};

/* acl, remote, remotes entries. */

typedef struct {
	const char *id;
	const char *net;            /*!< "a.b.c.d/len" or NULL. */
	const char *keys[2];
	const char *remote;         /*!< A remote or a remotes group. */
	unsigned actions;           /*!< Bits of action numbers (3 = update). */
	bool deny;
	uint16_t type;              /*!< update-type (0: none). */
	unsigned owner, owner_match;
	const char *owner_names[2]; /*!< Relative, or absolute with a trailing dot. */
} fake_acl_t;

#define ACT_UPDATE	(1u << 3)

static const fake_acl_t acls[] = {
	{ .id = "deny-bad", .net = "192.0.2.66/32", .actions = ACT_UPDATE, .deny = true },
	{ .id = "upd", .keys = { "k1." }, .actions = ACT_UPDATE },
	{ .id = "own", .keys = { "k2." }, .actions = ACT_UPDATE, .type = KNOT_RRTYPE_TXT,
	  .owner = 3, .owner_match = 1, .owner_names = { "www", "abs.auth.example.net." } },
	{ .id = "rmt", .remote = "grp", .actions = ACT_UPDATE },
	{ .id = "local", .net = "127.0.0.0/8", .actions = ACT_UPDATE },
	{ .id = "noact", .keys = { "k3." } },
};

static const struct {
	const char *id, *addr, *key;
} remotes[] = {
	{ "r1", "198.51.100.1", "k3." },
};

static const struct {
	const char *id;
	const char *remotes[2];
} remote_groups[] = {
	{ "grp", { "r1" } },
};

/* Module settings (the rest comes from the module's schema defaults). */

static char db_dir[64];
static char db_path[128];

typedef struct {
	const char *name;
	int64_t value;
} setting_t;

static const setting_t settings_common[] = {
	{ "lifetime", 2 },
	{ "max-records", 4 },
	{ "map-size", 1 << 20 },
	{ NULL }
};

/*! Per zone (index of mods[]). */
static const setting_t settings_zone[2][4] = {
	{ { "replay-cache", 0 }, { "max-update-rrs", 8 }, { "max-update-size", 1024 }, { NULL } },
	{ { "replay-cache", 64 }, { "max-update-rrs", 50 }, { NULL } },
};

/* Environment. */

static knotd_mod_t mods[2];
static const char *zone_names[2] = { STUB_ZONE_ALIAS, STUB_ZONE_DELEG };
static knot_rrset_t apex_soa[2], apex_ns[2];
static struct sockaddr_storage addrs[STUB_ADDR_COUNT];

struct knotd_qdata_extra {
	const knot_dname_t *zone;
};
static struct knotd_qdata_extra qdata_extra;

static bool name_is(const yp_name_t *name, const char *str)
{
	return name != NULL && (uint8_t)name[0] == strlen(str) &&
	       memcmp(name + 1, str, (uint8_t)name[0]) == 0;
}

static bool id_is(const knotd_conf_t *id, const char *str)
{
	return id != NULL && id->single.data != NULL && id->single.data_len == strlen(str) + 1 &&
	       memcmp(id->single.data, str, id->single.data_len) == 0;
}

/* Domain names handed out stay allocated for the process (like config data). */
static const knot_dname_t *dname(const char *str)
{
	static struct {
		const char *str;
		knot_dname_t *name;
	} cache[32];
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		if (cache[i].str == str) {
			return cache[i].name;
		}
		if (cache[i].str == NULL) {
			cache[i].str = str;
			cache[i].name = knot_dname_from_str_alloc(str);
			return cache[i].name;
		}
	}
	abort();
}

/* update-owner-name as Knot stores it: relative names without the root label. */
static void owner_name_val(const char *str, knotd_conf_val_t *val)
{
	const knot_dname_t *name = dname(str);
	size_t len = knot_dname_size(name);
	if (str[strlen(str) - 1] != '.') {
		len--;
	}
	val->data = name;
	val->data_len = len;
}

static knotd_conf_val_t *multi(size_t count)
{
	knotd_conf_val_t *vals = calloc(count, sizeof(*vals));
	if (vals == NULL) {
		abort();
	}
	return vals;
}

static void str_val(const char *str, knotd_conf_val_t *val)
{
	val->data = (const uint8_t *)str;
	val->data_len = strlen(str) + 1;
}

static void net_val(const char *net, knotd_conf_val_t *val)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", net);
	char *slash = strchr(buf, '/');
	*slash = '\0';
	struct sockaddr_in *sa = (struct sockaddr_in *)&val->addr;
	sa->sin_family = AF_INET;
	inet_pton(AF_INET, buf, &sa->sin_addr);
	val->addr_mask = atoi(slash + 1);
}

static const fake_acl_t *acl_get(const knotd_conf_t *id)
{
	for (size_t i = 0; i < sizeof(acls) / sizeof(acls[0]); i++) {
		if (id_is(id, acls[i].id)) {
			return &acls[i];
		}
	}
	return NULL;
}

static knotd_conf_t acl_item(const yp_name_t *item, const knotd_conf_t *id)
{
	knotd_conf_t out = { .count = 0 };
	const fake_acl_t *acl = acl_get(id);
	if (acl == NULL) {
		return out;
	}
	if (name_is(item, "address") && acl->net != NULL) {
		out.multi = multi(1);
		net_val(acl->net, &out.multi[0]);
		out.count = 1;
	} else if (name_is(item, "key") && acl->keys[0] != NULL) {
		size_t n = acl->keys[1] != NULL ? 2 : 1;
		out.multi = multi(n);
		for (size_t i = 0; i < n; i++) {
			out.multi[i].data = dname(acl->keys[i]);
			out.multi[i].data_len = knot_dname_size(out.multi[i].data);
		}
		out.count = n;
	} else if (name_is(item, "remote") && acl->remote != NULL) {
		out.multi = multi(1);
		str_val(acl->remote, &out.multi[0]);
		out.count = 1;
	} else if (name_is(item, "action") && acl->actions != 0) {
		out.multi = multi(8);
		for (unsigned a = 0; a < 8; a++) {
			if (acl->actions & (1u << a)) {
				out.multi[out.count++].option = a;
			}
		}
	} else if (name_is(item, "deny")) {
		out.single.boolean = acl->deny;
		out.count = acl->deny ? 1 : 0;
	} else if (name_is(item, "update-type") && acl->type != 0) {
		static uint8_t type_bin[8];
		knot_wire_write_u64(type_bin, acl->type);
		out.multi = multi(1);
		out.multi[0].data = type_bin;
		out.multi[0].data_len = sizeof(type_bin);
		out.count = 1;
	} else if (name_is(item, "update-owner")) {
		out.single.option = acl->owner;
		out.count = acl->owner != 0;
	} else if (name_is(item, "update-owner-match")) {
		out.single.option = acl->owner_match;
		out.count = acl->owner_match != 0;
	} else if (name_is(item, "update-owner-name") && acl->owner_names[0] != NULL) {
		size_t n = acl->owner_names[1] != NULL ? 2 : 1;
		out.multi = multi(n);
		for (size_t i = 0; i < n; i++) {
			owner_name_val(acl->owner_names[i], &out.multi[i]);
		}
		out.count = n;
	}
	return out;
}

static knotd_conf_t remote_item(const yp_name_t *item, const knotd_conf_t *id)
{
	knotd_conf_t out = { .count = 0 };
	for (size_t i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++) {
		if (!id_is(id, remotes[i].id)) {
			continue;
		}
		if (name_is(item, "address")) {
			out.multi = multi(1);
			struct sockaddr_in *sa = (struct sockaddr_in *)&out.multi[0].addr;
			sa->sin_family = AF_INET;
			sa->sin_port = htons(53);
			inet_pton(AF_INET, remotes[i].addr, &sa->sin_addr);
			out.count = 1;
		} else if (name_is(item, "key")) {
			out.single.data = dname(remotes[i].key);
			out.single.data_len = knot_dname_size(out.single.data);
			out.count = 1;
		}
	}
	return out;
}

static knotd_conf_t remotes_item(const yp_name_t *item, const knotd_conf_t *id)
{
	knotd_conf_t out = { .count = 0 };
	for (size_t i = 0; i < sizeof(remote_groups) / sizeof(remote_groups[0]); i++) {
		if (id_is(id, remote_groups[i].id) && name_is(item, "remote")) {
			out.multi = multi(2);
			for (size_t j = 0; j < 2 && remote_groups[i].remotes[j] != NULL; j++) {
				str_val(remote_groups[i].remotes[j], &out.multi[out.count++]);
			}
		}
	}
	return out;
}

static knotd_conf_t key_item(const yp_name_t *item, const knotd_conf_t *id)
{
	knotd_conf_t out = { .count = 0 };
	for (size_t i = 0; i < sizeof(stub_keys) / sizeof(stub_keys[0]); i++) {
		const knot_dname_t *name = dname(stub_keys[i].name);
		if (id == NULL || id->single.data == NULL ||
		    id->single.data_len != knot_dname_size(name) ||
		    !knot_dname_is_equal(id->single.data, name)) {
			continue;
		}
		if (name_is(item, "algorithm")) {
			out.single.option = stub_keys[i].algorithm;
			out.count = 1;
		} else if (name_is(item, "secret")) {
			out.single.data = stub_keys[i].secret;
			out.single.data_len = stub_keys[i].secret_len;
			out.count = 1;
		}
	}
	return out;
}

/* knotd_* API. */

knotd_conf_t knotd_conf(knotd_mod_t *mod, const yp_name_t *section_name,
                        const yp_name_t *item_name, const knotd_conf_t *id)
{
	knotd_conf_t out = { .count = 0 };
	if (mod == NULL || section_name == NULL || item_name == NULL) {
		return out;
	}
	if (name_is(section_name, "acl")) {
		return acl_item(item_name, id);
	} else if (name_is(section_name, "remote")) {
		return remote_item(item_name, id);
	} else if (name_is(section_name, "remotes")) {
		return remotes_item(item_name, id);
	} else if (name_is(section_name, "key")) {
		return key_item(item_name, id);
	} else if (name_is(section_name, "database") && name_is(item_name, "storage")) {
		out.single.string = db_dir;
		out.count = 1;
	} else if (name_is(section_name, "server") && name_is(item_name, "rundir")) {
		out.single.string = db_dir;
		out.count = 1;
	}
	return out;
}

knotd_conf_t knotd_conf_mod(knotd_mod_t *mod, const yp_name_t *item_name)
{
	knotd_conf_t out = { .count = 0 };
	if (name_is(item_name, "database")) {
		out.single.string = mod->database;
		out.count = 1;
		return out;
	}
	const setting_t *lists[2] = { settings_zone[mod == &mods[0] ? 0 : 1], settings_common };
	for (int l = 0; l < 2; l++) {
		for (const setting_t *set = lists[l]; set->name != NULL; set++) {
			if (name_is(item_name, set->name)) {
				out.single.integer = set->value;
				out.count = 1;
				return out;
			}
		}
	}
	/* Default from the module's schema. */
	for (const yp_item_t *it = knotd_mod_api.config; it != NULL && it->name != NULL; it++) {
		if (it->name[0] != item_name[0] || memcmp(it->name, item_name, item_name[0] + 1) != 0) {
			continue;
		}
		switch (it->type) {
		case YP_TINT:  out.single.integer = it->var.i.dflt; break;
		case YP_TBOOL: out.single.boolean = it->var.b.dflt; break;
		case YP_TOPT:  out.single.option = it->var.o.dflt; break;
		case YP_TSTR:  out.single.string = it->var.s.dflt; break;
		default: break;
		}
		return out;
	}
	fprintf(stderr, "knotd_stub: unknown module item '%.*s'\n", item_name[0], item_name + 1);
	abort();
}

knotd_conf_t knotd_conf_zone(knotd_mod_t *mod, const yp_name_t *item_name,
                             const knot_dname_t *zone)
{
	(void)mod;
	(void)zone;
	knotd_conf_t out = { .count = 0 };
	if (name_is(item_name, "acl")) {
		size_t n = sizeof(acls) / sizeof(acls[0]);
		out.multi = multi(n);
		for (size_t i = 0; i < n; i++) {
			str_val(acls[i].id, &out.multi[i]);
		}
		out.count = n;
	}
	return out; /* dnssec-signing: off */
}

knotd_conf_t knotd_conf_check_item(knotd_conf_check_args_t *args, const yp_name_t *item_name)
{
	(void)args;
	(void)item_name;
	knotd_conf_t out = { .count = 0 };
	return out;
}

bool knotd_conf_addr_range_match(const knotd_conf_t *range, const struct sockaddr_storage *addr)
{
	if (range == NULL || addr == NULL || addr->ss_family != AF_INET) {
		return false;
	}
	uint32_t a = ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr);
	for (size_t i = 0; i < range->count; i++) {
		const knotd_conf_val_t *v = &range->multi[i];
		uint32_t net = ntohl(((const struct sockaddr_in *)&v->addr)->sin_addr.s_addr);
		uint32_t mask = v->addr_mask == 0 ? 0 : ~0u << (32 - v->addr_mask);
		if ((a & mask) == (net & mask)) {
			return true;
		}
	}
	return false;
}

void knotd_conf_free(knotd_conf_t *conf)
{
	if (conf == NULL) {
		return;
	}
	free(conf->multi);
	memset(conf, 0, sizeof(*conf));
}

void *knotd_mod_ctx(ACME_KNOTD_CONST knotd_mod_t *mod)
{
	return mod->ctx;
}

void knotd_mod_ctx_set(knotd_mod_t *mod, void *ctx)
{
	mod->ctx = ctx;
}

const knot_dname_t *knotd_mod_zone(ACME_KNOTD_CONST knotd_mod_t *mod)
{
	return mod->zone;
}

unsigned knotd_mod_threads(knotd_mod_t *mod)
{
	(void)mod;
	return 4;
}

/*! The last log lines, for stub_log_find(). */
#define LOG_LINES	64
static char log_lines[LOG_LINES][1024];
static size_t log_count;

void stub_log_clear(void)
{
	log_count = 0;
}

const char *stub_log_find(const char *text)
{
	size_t first = log_count > LOG_LINES ? log_count - LOG_LINES : 0;
	for (size_t i = first; i < log_count; i++) {
		if (strstr(log_lines[i % LOG_LINES], text) != NULL) {
			return log_lines[i % LOG_LINES];
		}
	}
	return NULL;
}

void knotd_mod_vlog(knotd_mod_t *mod, int priority, const char *fmt, va_list args)
{
	(void)mod;
	/* Always formatted, so that format and argument bugs show. */
	char *buf = log_lines[log_count++ % LOG_LINES];
	vsnprintf(buf, sizeof(log_lines[0]), fmt, args);
	static int verbose = -1;
	if (verbose < 0) {
		verbose = getenv("STUB_LOG") != NULL;
	}
	if (verbose) {
		fprintf(stderr, "log[%d]: %s\n", priority, buf);
	}
}

void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	knotd_mod_vlog(mod, priority, fmt, args);
	va_end(args);
}

int knotd_mod_stats_add(knotd_mod_t *mod, const char *ctr_name, uint32_t idx_count,
                        knotd_mod_idx_to_str_f idx)
{
	(void)mod;
	(void)ctr_name;
	/* Like knotd: names of indexed counters are asked for (and freed). */
	for (uint32_t i = 0; idx != NULL && i < idx_count; i++) {
		free(idx(i, idx_count));
	}
	return KNOT_EOK;
}

void knotd_mod_stats_incr(knotd_mod_t *mod, unsigned thr_id, uint32_t ctr_id,
                          uint32_t idx, uint64_t val)
{
	(void)mod;
	(void)ctr_id;
	(void)idx;
	(void)val;
	if (thr_id >= 4) {
		abort();
	}
}

int knotd_mod_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_hook_f hook)
{
	if (stage != KNOTD_STAGE_BEGIN) {
		return KNOT_EINVAL;
	}
	mod->begin = hook;
	return KNOT_EOK;
}

int knotd_mod_in_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_in_hook_f hook)
{
	if (stage != KNOTD_STAGE_ANSWER) {
		return KNOT_EINVAL;
	}
	mod->answer = hook;
	return KNOT_EOK;
}

#if !ACME_KNOTD_INLINE_ADDR
const struct sockaddr_storage *knotd_qdata_remote_addr(knotd_qdata_t *qdata)
{
	return qdata->params->remote;
}
#endif

const knot_dname_t *knotd_qdata_zone_name(ACME_KNOTD_CONST knotd_qdata_t *qdata)
{
	return qdata->extra->zone;
}

knot_rrset_t knotd_qdata_zone_apex_rrset(ACME_KNOTD_CONST knotd_qdata_t *qdata, uint16_t type)
{
	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	for (int i = 0; i < 2; i++) {
		if (qdata->extra->zone == mods[i].zone) {
			if (type == KNOT_RRTYPE_SOA) {
				rr = apex_soa[i];
			} else if (type == KNOT_RRTYPE_NS) {
				rr = apex_ns[i];
			}
		}
	}
	return rr;
}

/* Memory context of a query: a pool freed at once, like knotd's mempool. */

static void **pool;
static size_t pool_count, pool_cap;

static void *pool_alloc(void *ctx, size_t len)
{
	(void)ctx;
	if (pool_count == pool_cap) {
		pool_cap = pool_cap ? 2 * pool_cap : 64;
		pool = realloc(pool, pool_cap * sizeof(*pool));
		if (pool == NULL) {
			abort();
		}
	}
	void *p = malloc(len ? len : 1);
	pool[pool_count++] = p;
	return p;
}

static knot_mm_t query_mm = { .alloc = pool_alloc, .free = NULL };

knot_mm_t *stub_mm(void)
{
	return &query_mm;
}

void stub_mm_reset(void)
{
	for (size_t i = 0; i < pool_count; i++) {
		free(pool[i]);
	}
	pool_count = 0;
}

/* Setup. */

static void apex_rrsets(int i)
{
	const knot_dname_t *zone = mods[i].zone;
	uint8_t rdata[2 * KNOT_DNAME_MAXLEN + 20];
	knot_dname_t *ns = knot_dname_from_str_alloc("ns.example.net.");
	knot_dname_t *mail = knot_dname_from_str_alloc("hostmaster.example.net.");
	size_t len = 0;
	len += knot_dname_to_wire(rdata + len, ns, sizeof(rdata) - len);
	len += knot_dname_to_wire(rdata + len, mail, sizeof(rdata) - len);
	const uint32_t soa[5] = { 1, 3600, 900, 604800, 300 };
	for (int j = 0; j < 5; j++, len += 4) {
		knot_wire_write_u32(rdata + len, soa[j]);
	}
	knot_rrset_init(&apex_soa[i], (knot_dname_t *)zone, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, 3600);
	knot_rrset_add_rdata(&apex_soa[i], rdata, len, NULL);
	knot_rrset_init(&apex_ns[i], (knot_dname_t *)zone, KNOT_RRTYPE_NS, KNOT_CLASS_IN, 3600);
	knot_rrset_add_rdata(&apex_ns[i], ns, knot_dname_size(ns), NULL);
	knot_dname_free(ns, NULL);
	knot_dname_free(mail, NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void env_cleanup(void)
{
	for (int i = 0; i < 2; i++) {
		if (mods[i].ctx != NULL) {
			knotd_mod_api.unload(&mods[i]);
			mods[i].ctx = NULL;
		}
		knot_rdataset_clear(&apex_soa[i].rrs, NULL);
		knot_rdataset_clear(&apex_ns[i].rrs, NULL);
		knot_dname_free(mods[i].zone, NULL);
	}
	stub_mm_reset();
	free(pool);
	if (db_dir[0] != '\0' && getenv("STUB_KEEP") == NULL) {
		nftw(db_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
}

static void addr_init(unsigned idx, const char *str)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)&addrs[idx];
	sa->sin_family = AF_INET;
	sa->sin_port = htons(40000 + idx);
	inet_pton(AF_INET, str, &sa->sin_addr);
}

void stub_env_init(void)
{
	static bool done = false;
	if (done) {
		return;
	}
	done = true;

	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(db_dir, sizeof(db_dir), "%.40s/knot-acme-stub-XXXXXX", tmp);
	if (mkdtemp(db_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(db_path, sizeof(db_path), "%s/acme", db_dir);
	atexit(env_cleanup);

	addr_init(STUB_ADDR_LOCAL, "127.0.0.1");
	addr_init(STUB_ADDR_DENIED, "192.0.2.66");
	addr_init(STUB_ADDR_REMOTE, "198.51.100.1");
	addr_init(STUB_ADDR_OTHER, "203.0.113.9");

	for (int i = 0; i < 2; i++) {
		mods[i].zone = knot_dname_from_str_alloc(zone_names[i]);
		mods[i].database = db_path;
		apex_rrsets(i);
		int ret = knotd_mod_api.load(&mods[i]);
		if (ret != KNOT_EOK || mods[i].begin == NULL || mods[i].answer == NULL) {
			fprintf(stderr, "knotd_stub: module load failed (%s)\n", knot_strerror(ret));
			abort();
		}
	}
}

const char *stub_db_path(void)
{
	return db_path;
}

knotd_mod_t *stub_zone_mod(const knot_dname_t *qname, bool exact)
{
	knotd_mod_t *best = NULL;
	int best_labels = -1;
	for (int i = 0; i < 2; i++) {
		if (exact) {
			if (knot_dname_is_case_equal(qname, mods[i].zone)) {
				return &mods[i];
			}
			continue;
		}
		knot_dname_storage_t lower;
		knot_dname_copy_lower(lower, qname);
		if (knot_dname_in_bailiwick(lower, mods[i].zone) >= 0) {
			int labels = knot_dname_labels(mods[i].zone, NULL);
			if (labels > best_labels) {
				best = &mods[i];
				best_labels = labels;
			}
		}
	}
	return best;
}

const struct sockaddr_storage *stub_addr(unsigned idx)
{
	return &addrs[idx % STUB_ADDR_COUNT];
}

static knotd_query_type_t query_type(const knot_pkt_t *query)
{
	switch (knot_wire_get_opcode(query->wire)) {
	case KNOT_OPCODE_QUERY:
		switch (knot_pkt_qtype(query)) {
		case KNOT_RRTYPE_AXFR: return KNOTD_QUERY_TYPE_AXFR;
		case KNOT_RRTYPE_IXFR: return KNOTD_QUERY_TYPE_IXFR;
		default:               return KNOTD_QUERY_TYPE_NORMAL;
		}
	case KNOT_OPCODE_NOTIFY: return KNOTD_QUERY_TYPE_NOTIFY;
	case KNOT_OPCODE_UPDATE: return KNOTD_QUERY_TYPE_UPDATE;
	default:                 return KNOTD_QUERY_TYPE_INVALID;
	}
}

knot_pkt_t *stub_query_parse(const uint8_t *data, size_t len)
{
	uint8_t *wire = malloc(len);
	knot_pkt_t *query = (wire != NULL) ? knot_pkt_new(wire, len, NULL) : NULL;
	if (query == NULL) {
		free(wire);
		return NULL;
	}
	memcpy(wire, data, len);
	if (knot_pkt_parse(query, 0) != KNOT_EOK || knot_wire_get_qr(query->wire) ||
	    knot_pkt_qname(query) == NULL) {
		stub_query_free(query);
		return NULL;
	}
	return query;
}

void stub_query_free(knot_pkt_t *query)
{
	if (query != NULL) {
		uint8_t *wire = query->wire;
		knot_pkt_free(query);
		free(wire);
	}
}

void stub_check_reply(const knot_pkt_t *reply)
{
	knot_pkt_t *check = knot_pkt_new(reply->wire, reply->size, NULL);
	if (check == NULL || knot_pkt_parse(check, 0) != KNOT_EOK) {
		abort(); /* the module wrote a malformed answer */
	}
	knot_pkt_free(check);
}

void stub_qdata_init(knotd_qdata_t *qdata, knotd_qdata_params_t *params, knot_pkt_t *query,
                     const struct sockaddr_storage *remote, bool tcp)
{
	memset(params, 0, sizeof(*params));
	params->proto = tcp ? KNOTD_QUERY_PROTO_TCP : KNOTD_QUERY_PROTO_UDP;
	params->remote = remote;
	params->socket = -1;
	params->thread_id = knot_wire_get_id(query->wire) % 4;

	memset(qdata, 0, sizeof(*qdata));
	qdata->query = query;
	qdata->type = query_type(query);
	qdata->mm = &query_mm;
	qdata->params = params;
	qdata->rcode_ede = KNOT_EDNS_EDE_NONE;
	qdata->extra = &qdata_extra;
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), qdata->type == KNOTD_QUERY_TYPE_UPDATE);
	qdata_extra.zone = mod != NULL ? mod->zone : NULL;
}

void stub_finish_reply(knot_pkt_t *reply, knotd_qdata_t *qdata)
{
	knot_wire_set_rcode(reply->wire, KNOT_EDNS_RCODE_LO(qdata->rcode));
	if (reply->current != KNOT_ADDITIONAL) {
		(void)knot_pkt_begin(reply, KNOT_ADDITIONAL);
	}

	knot_sign_context_t *sign = &qdata->sign;
	if (sign->tsig_key.name != NULL && knot_tsig_can_sign(qdata->rcode_tsig)) {
		/* The module claims a verified key: it must be usable for signing. */
		if (sign->tsig_key.secret.data == NULL || sign->tsig_key.secret.size == 0 ||
		    sign->tsig_digest == NULL ||
		    sign->tsig_digestlen != dnssec_tsig_algorithm_size(sign->tsig_key.algorithm)) {
			fprintf(stderr, "knotd_stub: unusable signing context\n");
			abort();
		}
		size_t digest_len = dnssec_tsig_algorithm_size(sign->tsig_key.algorithm);
		(void)knot_tsig_sign(reply->wire, &reply->size, reply->max_size,
		                     sign->tsig_digest, sign->tsig_digestlen,
		                     sign->tsig_digest, &digest_len, &sign->tsig_key,
		                     qdata->rcode_tsig, sign->tsig_time_signed);
	} else if (qdata->query->tsig_rr != NULL && qdata->rcode_tsig != KNOT_RCODE_NOERROR) {
		(void)knot_tsig_add(reply->wire, &reply->size, reply->max_size,
		                    qdata->rcode_tsig, qdata->query->tsig_rr);
	}
}

/*! Gives the caller the reply it asked for (\a reply not NULL), or frees it. */
static void hand_out(knot_pkt_t *out, knot_pkt_t **reply)
{
	if (reply != NULL) {
		*reply = out;
	} else {
		knot_pkt_free(out);
	}
}

knotd_state_t stub_run_begin(knot_pkt_t *query, const struct sockaddr_storage *remote,
                             bool tcp, knotd_qdata_t *qdata, knotd_qdata_params_t *params,
                             knot_pkt_t **reply)
{
	stub_qdata_init(qdata, params, query, remote, tcp);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query),
	                                 qdata->type == KNOTD_QUERY_TYPE_UPDATE);
	knot_pkt_t *out = knot_pkt_new(NULL, tcp ? KNOT_WIRE_MAX_PKTSIZE : 1232, stub_mm());
	knotd_state_t state = STUB_STATE_PRODUCE;
	if (mod != NULL && out != NULL && knot_pkt_init_response(out, query) == KNOT_EOK) {
		state = mod->begin(STUB_STATE_PRODUCE, out, qdata, mod);
		if (state == KNOTD_STATE_FAIL || state == KNOTD_STATE_DONE) {
			if (state == KNOTD_STATE_FAIL) {
				/* process_query_err(): the reply starts over. */
				(void)knot_pkt_init_response(out, query);
			}
			stub_finish_reply(out, qdata);
		} else if (state != STUB_STATE_PRODUCE) {
			abort(); /* the hook returns the state, DONE or FAIL */
		}
	} else {
		knot_pkt_free(out);
		out = NULL;
	}
	hand_out(out, reply);
	return state;
}

knotd_in_state_t stub_run_answer(knot_pkt_t *query, knotd_in_state_t state, bool tcp,
                                 size_t reply_max, knotd_qdata_t *qdata,
                                 knotd_qdata_params_t *params, knot_pkt_t **reply)
{
	stub_qdata_init(qdata, params, query, stub_addr(STUB_ADDR_OTHER), tcp);
	knotd_mod_t *mod = stub_zone_mod(knot_pkt_qname(query), false);
	knot_pkt_t *out = knot_pkt_new(NULL, reply_max, stub_mm());
	knotd_in_state_t next = state;
	if (mod != NULL && out != NULL && knot_pkt_init_response(out, query) == KNOT_EOK &&
	    knot_pkt_begin(out, KNOT_ANSWER) == KNOT_EOK) {
		qdata->name = knot_pkt_qname(query);
		next = mod->answer(state, out, qdata, mod);
		if (next == KNOTD_IN_STATE_TRUNC && tcp) {
			abort(); /* TC only over UDP */
		}
		stub_check_reply(out);
	} else {
		knot_pkt_free(out);
		out = NULL;
	}
	hand_out(out, reply);
	return next;
}
