/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/tool/cli.h"
#include "module/tool/register_internal.h"
#include "module/tool/ctl.h"

/* Applying a registration through knotd's control socket: one configuration
 * transaction, aborted on any failure. */

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
	tool_values_t own = { 0 }, all = { 0 };
	tool_conf_values_own(r->conf, "zone", r->zone, "acl", tool_values_collect, &own);
	tool_conf_values(r->conf, "zone", r->zone, "acl", tool_values_collect, &all);
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

/*! The removal's items, in the transaction. */
static void txn_unregister(reg_t *r, txn_t *t)
{
	txn_keep_module(r, t);
	const char *zone;
	bool delegated;
	for (size_t i = 0; (zone = reg_next_zone(r, &i, &delegated)) != NULL; ) {
		if (delegated) {
			txn_cmd(t, "conf-unset", "zone", zone, NULL, NULL);
			continue;
		}
		txn_cmd(t, "conf-unset", "zone", zone, "acl", r->id);
		/* What remains is the template's list: inherit it again, as before. */
		tool_values_t own = { 0 }, tpl = { 0 };
		tool_conf_values_own(r->conf, "zone", zone, "acl", tool_values_collect, &own);
		const char *tpl_id = tool_conf_get(r->conf, "zone", zone, "template");
		tool_conf_values_own(r->conf, "template", tpl_id != NULL ? tpl_id : "default",
		                     "acl", tool_values_collect, &tpl);
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

int reg_confdb_register(reg_t *r)
{
	return confdb_apply(r, txn_register, "nothing registered");
}

int reg_confdb_unregister(reg_t *r)
{
	return confdb_apply(r, txn_unregister, "nothing removed");
}
