/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The commands on the challenge stores: list, add, del, purge.
 *
 * A command works on the store of the mod-acme section of the zone its NAME
 * falls in, on every store of knotd's configuration (list, purge without a
 * NAME), or on a bare database (-D).
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "module/store/store.h"
#include "module/tool/knotc.h"

typedef enum {
	CMD_LIST,
	CMD_ADD,
	CMD_DEL,
	CMD_PURGE,
} command_t;

/*! Everything the command line asks for, checked. */
typedef struct {
	tool_src_t src;        /*!< knotd's configuration (unless -D). */
	const char *dir;       /*!< -D: a bare database, no configuration. */
	const char *redis;     /*!< -R: a bare Redis store, no configuration. */
	const char *redis_prefix; /*!< --redis-prefix with -R (NULL: default). */
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

/*! Runs the store command of \a p; returns the exit status. */
int tool_store_run(const params_t *p);
