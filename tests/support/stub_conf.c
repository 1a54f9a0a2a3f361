/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief For tests only: knotd_conf*() over a fixed configuration (the
 *        rest of the knotd_* API is in knotd_stub.c).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/compat.h"
#include "tests/support/knotd_stub.h"
#include "tests/support/stub_internal.h"

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

/*! Per zone (index of stub_mods[]). */
static const setting_t settings_zone[2][4] = {
	{ { "replay-cache", 0 }, { "max-update-rrs", 8 }, { "max-update-size", 1024 }, { NULL } },
	{ { "replay-cache", 64 }, { "max-update-rrs", 50 }, { NULL } },
};

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
		out.single.string = stub_db_dir;
		out.count = 1;
	} else if (name_is(section_name, "server") && name_is(item_name, "rundir")) {
		out.single.string = stub_db_dir;
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
	const setting_t *lists[2] = { settings_zone[mod == &stub_mods[0] ? 0 : 1], settings_common };
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
