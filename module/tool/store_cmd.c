/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/common/clock.h"
#include "module/dns/value.h"
#include "module/store/redis/redis.h"
#include "module/tool/cli.h"
#include "module/tool/conf.h"
#include "module/tool/list.h"
#include "module/tool/store_cmd.h"
#include "module/tool/store_open.h"

static int cmd_list(acme_store_t *store, const params_t *p, const target_t *t,
                    list_ctx_t *ctx)
{
	if (store == NULL) {
		return EXIT_OK; /* No database yet: no values. */
	}
	ctx->target = t;
	int ret = acme_store_list(store, p->has_owner ? p->owner : NULL, ctx->now,
	                          tool_list_value, ctx);
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

/*! The target of a bare database (-D) or Redis store (-R). */
static target_t dir_target(const params_t *p)
{
	static char redis[512];
	if (p->redis != NULL) {
		snprintf(redis, sizeof(redis), "Redis %s, prefix %s", p->redis,
		         p->redis_prefix != NULL ? p->redis_prefix : ACME_REDIS_PREFIX_DEFAULT);
	}
	return (target_t) {
		.db = p->redis != NULL ? redis : p->dir,
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
		.db = acme->store,
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
	int ret = tool_store_open(p, t, &store);
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

/*! Runs the command on every store of the configuration, each once. */
static int run_all(const params_t *p, const tool_conf_t *conf, list_ctx_t *list,
                   size_t *purged)
{
	int status = EXIT_OK;
	size_t count = tool_conf_acme_count(conf);
	for (size_t i = 0; i < count; i++) {
		const tool_acme_t *acme = tool_conf_acme(conf, i);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			seen = (strcmp(tool_conf_acme(conf, j)->store, acme->store) == 0);
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

int tool_store_run(const params_t *p)
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
	if (p->dir != NULL || p->redis != NULL) {
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
