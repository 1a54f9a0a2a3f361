/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What `register` and `unregister` share between their files: the
 *        registration (reg_t) and the steps each file does.
 *
 *   register.c          the commands: options, the name, the steps in order,
 *                       what is printed
 *   register_resolve.c  what to register: alias zone or delegated zone and
 *                       its module, the server's address, the secret; the
 *                       zones a registration is in
 *   register_confdb.c   applying through the control socket (conf-begin ...
 *                       conf-commit)
 *   register_file.c     applying with a configuration file (a file of its own
 *                       under knot-acme.d/, checked with knotc conf-check)
 */

#pragma once

#include <limits.h>
#include <stdbool.h>

#include <libknot/libknot.h>

#include "module/tool/conf.h"
#include "module/tool/knotc.h"

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

/*! Frees what the registration holds (the secret wiped first). */
void reg_free(reg_t *r);

/*! The address clients send updates to: --server, or knotd's first listen. */
int reg_resolve_server(reg_t *r);

/*! --alias ZONE: the zone is a mod-acme zone of knotd's; the target in it. */
int reg_resolve_alias(reg_t *r);

/*! --delegate: a new zone _acme-challenge.NAME, its module, its file. */
int reg_resolve_delegation(reg_t *r);

/*! A fresh TSIG secret (base64) in r->secret. */
int reg_generate_secret(reg_t *r);

/*!
 * The next zone from *\a i on whose own acl list names the registration's
 * acl, or NULL after the last.  Sets *\a delegated when it is the zone
 * register --delegate created, and keeps its file in r->zone_file.
 */
const char *reg_next_zone(reg_t *r, size_t *i, bool *delegated);

/*! The registration in one configuration transaction ("nothing registered"). */
int reg_confdb_register(reg_t *r);

/*! Its removal in one configuration transaction ("nothing removed"). */
int reg_confdb_unregister(reg_t *r);

/*! With a configuration file: r->conf_file and r->include_file. */
int reg_include_paths(reg_t *r);

/*! The delegated zone's file: SOA and the NS records. */
int reg_write_zone_file(reg_t *r);

/*!
 * Writes the registration file and checks the configuration with it;
 * *\a is_included tells whether the configuration includes it already.
 */
int reg_file_register(reg_t *r, bool *is_included);

/*! Removes the registration file once the configuration checks without it. */
int reg_file_unregister(reg_t *r);
