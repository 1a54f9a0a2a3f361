/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The module's load/unload as each Knot version drives them, under
 *        AddressSanitizer (built with -fsanitize=address: a double free
 *        aborts, a leak fails the run at exit).
 *
 * Runs the real mod-acme load/unload over the knotd stub of the fuzz
 * harnesses (tests/fuzz/knotd_stub.c), in the orders of
 * src/knot/conf/module.c and src/knot/nameserver/query_module.c:
 *  - Knot 3.2 to 3.5.3: conf_reset_modules() unloads every instance and loads
 *    it again (same instance); conf_deactivate_modules() unloads every one,
 *    a failed load is closed without unload.
 *  - Knot 3.5.4 and later: unload only while the context is set, also when
 *    closing after a failed load; a reset (zone restore) is unload + load
 *    on the same instance.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include <libknot/libknot.h>

#include "tests/support/knotd_stub.h"

/*! Knot 3.5.4's query_module_close(): unload only with a context. */
static void close_354(knotd_mod_t *mod)
{
	if (knotd_mod_ctx(mod) != NULL) {
		knotd_mod_api.unload(mod);
	}
}

static knotd_mod_t *instance(void)
{
	stub_env_init();
	knot_dname_t *zone = knot_dname_from_str_alloc(STUB_ZONE_ALIAS);
	assert_non_null(zone);
	knotd_mod_t *mod = stub_zone_mod(zone, true);
	knot_dname_free(zone, NULL);
	assert_non_null(mod);
	assert_non_null(knotd_mod_ctx(mod));
	return mod;
}

/*! A reset: unload then load on the same instance, twice in a row. */
static void test_reset(void **state)
{
	(void)state;
	knotd_mod_t *mod = instance();
	for (int i = 0; i < 2; i++) {
		knotd_mod_api.unload(mod);
		assert_null(knotd_mod_ctx(mod));
		assert_int_equal(knotd_mod_api.load(mod), KNOT_EOK);
		assert_non_null(knotd_mod_ctx(mod));
	}
}

/*! Unload twice (3.2 deactivating after a reset whose load failed): no double free. */
static void test_unload_twice(void **state)
{
	(void)state;
	knotd_mod_t *mod = instance();
	knotd_mod_api.unload(mod);
	knotd_mod_api.unload(mod);
	assert_null(knotd_mod_ctx(mod));
	assert_int_equal(knotd_mod_api.load(mod), KNOT_EOK);
}

/*!
 * A reset whose load fails (the database cannot be opened): nothing is left
 * set, so 3.5.4's close does not unload again and nothing leaks; the
 * instance loads again once the database is back.
 */
static void test_failed_load(void **state)
{
	(void)state;
	knotd_mod_t *mod = instance();
	const char *database = mod->database;

	knotd_mod_api.unload(mod);
	mod->database = "/dev/null/not-a-directory";
	assert_int_not_equal(knotd_mod_api.load(mod), KNOT_EOK);
	assert_null(knotd_mod_ctx(mod));
	close_354(mod);
	knotd_mod_api.unload(mod);  /* 3.2 and 3.5.3 unload regardless. */

	mod->database = database;
	assert_int_equal(knotd_mod_api.load(mod), KNOT_EOK);
	assert_non_null(knotd_mod_ctx(mod));
}

/*! Closing as 3.5.4 does, then loading afresh: the store is shared again. */
static void test_close_and_load(void **state)
{
	(void)state;
	knotd_mod_t *mod = instance();
	close_354(mod);
	assert_null(knotd_mod_ctx(mod));
	close_354(mod);
	assert_int_equal(knotd_mod_api.load(mod), KNOT_EOK);
	assert_non_null(knotd_mod_ctx(mod));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_unload_twice),
		cmocka_unit_test(test_failed_load),
		cmocka_unit_test(test_close_and_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
