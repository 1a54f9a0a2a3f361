/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Helpers shared by the unit tests (include after cmocka.h).
 */

#pragma once

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

static int test_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/*! Removes a temporary directory and everything in it; 0 on success. */
static inline int test_rmtree(const char *dir)
{
	return nftw(dir, test_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/*! Domain name from text, in one of a few rotating buffers. */
static inline const knot_dname_t *dn(const char *str)
{
	static knot_dname_storage_t pool[16];
	static unsigned next;
	knot_dname_t *name = knot_dname_from_str(pool[next++ % 16], str, KNOT_DNAME_MAXLEN);
	assert_non_null(name);
	return name;
}
