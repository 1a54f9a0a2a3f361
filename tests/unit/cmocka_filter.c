/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief One test case of a unit test program: CMOCKA_TEST_FILTER and
 *        CMOCKA_SKIP_FILTER for cmocka 1.1, as cmocka 2 reads them.
 *
 * Every unit test program links this before libcmocka (Makefile.am:
 * unit_cmocka_libs), so cmocka_run_group_tests() comes here first, sets the
 * filters from the environment, and goes on to cmocka's own runner:
 *
 *   CMOCKA_TEST_FILTER=prereq_table tests/unit/test_store_prereq
 *   CMOCKA_TEST_FILTER='open_*' tests/unit/test_store_registry
 *   CMOCKA_SKIP_FILTER=test_sentinel_failover_under_load tests/unit/test_redis
 *
 * The patterns are cmocka's ('*' and '?').
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

typedef int (*group_runner_t)(const char *, const struct CMUnitTest * const, const size_t,
                              CMFixtureFunction, CMFixtureFunction);

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest * const tests,
                            const size_t num_tests, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown)
{
	const char *run = getenv("CMOCKA_TEST_FILTER"), *skip = getenv("CMOCKA_SKIP_FILTER");
	if (run != NULL && run[0] != '\0') {
		cmocka_set_test_filter(run);
	}
	if (skip != NULL && skip[0] != '\0') {
		cmocka_set_skip_filter(skip);
	}
	group_runner_t cmocka_runner = (group_runner_t)dlsym(RTLD_NEXT, "_cmocka_run_group_tests");
	if (cmocka_runner == NULL) {
		fprintf(stderr, "cmocka's _cmocka_run_group_tests not found: %s\n", dlerror());
		return 1;
	}
	return cmocka_runner(group_name, tests, num_tests, group_setup, group_teardown);
}
