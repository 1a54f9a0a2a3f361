/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The LMDB backend of the challenge store: how to open one.
 *
 * Everything else goes through module/store/store.h.  One environment per
 * path per process (an LMDB rule), shared through a reference-counted
 * registry, so knotd reloads and several zones sharing one database never
 * open an environment twice.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "module/store/store.h"

/*! Default LMDB map size (maximum database size). */
#define ACME_LMDB_MAP_SIZE_DEFAULT	(64ULL * 1024 * 1024)

/*! Options of acme_lmdb_open(). */
typedef struct {
	size_t map_size;  /*!< LMDB map size; 0 keeps the size of an existing database
	                       and gives a new one ACME_LMDB_MAP_SIZE_DEFAULT. */
	bool create;      /*!< Create the directory and database when missing;
	                       without it a missing database is KNOT_ENOENT and
	                       nothing is created. */
	bool read_only;   /*!< Open read-only. */
	bool no_purger;   /*!< Do not start the background purge thread. */
	bool asynchronous;/*!< Commit without fsync (MDB_NOSYNC, MDB_WRITEMAP): a
	                       committed update survives a crash of the process
	                       but a power loss may lose the last second of
	                       updates (the purger syncs every second).  The
	                       latest opener's sync mode applies to a shared
	                       store.  Otherwise (robust) every commit is synced,
	                       and concurrent writers are committed in groups. */
} acme_lmdb_opts_t;

/*!
 * Opens (or references) the LMDB store at \a path.
 *
 * In one process, opening the same path again returns the same store with
 * its reference count raised (the new options but the sync mode are
 * ignored); acme_store_close() drops it, the last reference stops the purger
 * and closes the environment.  A database of another format version is
 * refused with KNOT_ENOTSUP.  acme_store_where() gives the real path.
 */
int acme_lmdb_open(acme_store_t **out, const char *path, const acme_lmdb_opts_t *opts);
