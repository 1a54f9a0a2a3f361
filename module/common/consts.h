/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Constants the module and the knot-acme tool share: the defaults of
 *        the `mod-acme` section (the module's schema and the tool reading
 *        knotd's configuration must agree) and the database's file names.
 */

#pragma once

/*! `lifetime`: default and limit (7 days), in seconds. */
#define ACME_LIFETIME_DEFAULT		3600
#define ACME_LIFETIME_MAX		604800

/*! `max-ttl`, `max-records` and `strict` defaults. */
#define ACME_MAX_TTL_DEFAULT		300
#define ACME_MAX_RECORDS_DEFAULT	8
#define ACME_STRICT_DEFAULT		true

/*! `database` default, relative to Knot's database.storage. */
#define ACME_DB_NAME			"acme"

/*! The files LMDB keeps in a database directory. */
#define ACME_LMDB_DATA_FILE		"data.mdb"
#define ACME_LMDB_LOCK_FILE		"lock.mdb"
