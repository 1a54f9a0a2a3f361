/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the LMDB store: prerequisites (module/store/lmdb/prereq.c): each kind against each state of a name, table-driven; all or nothing.
 *
 * tests/unit/store_helpers.h says how the store tests work.
 */

#include "tests/unit/store_helpers.h"

/*! A prerequisite that does not hold: nothing written, its index reported. */
static void apply_prereq_denies(void **state)
{
	fixture_t *f = *state;
	rd_t v1 = txt("v1"), v2 = txt("v2"), old = txt("old");
	const knot_dname_t *a = dn("a.example"), *b = dn("b.example");
	acme_result_t res;

	assert_int_equal(ADD(f->store, "a.example", "old", 60, T0, NULL), KNOT_EOK);

	const acme_op_t ops[] = {
		{ ACME_OP_ADD, a, v1.data, v1.len, 60 },
		{ ACME_OP_ADD, b, v2.data, v2.len, 60 },
		{ ACME_OP_ADD, a, old.data, old.len, 60 },
		{ ACME_OP_DEL_VALUE, a, old.data, old.len, 0 },
	};
	const acme_prereq_t prereqs[] = {
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = b },
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = a }, /* "old" is live. */
	};
	acme_update_t u = {
		.prereqs = prereqs, .prereq_count = 2,
		.ops = ops, .op_count = 4, .policy = &POLICY, .now = T0 + SEC,
	};
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 1);
	(void)res;

	seen_list_t l = { 0 };
	assert_int_equal(ls(f->store, NULL, 0, &l), KNOT_EOK);
	assert_int_equal(l.count, 1);
	assert_true(seen_find_at(&l, "a.example", "old") >= 0);
	/* Not even refreshed. */
	assert_int_equal(l.v[0].added, T0);
	assert_int_equal(l.v[0].expires, T0 + POLICY.lifetime * SEC);

	/* A prerequisite that denies only a DEL_ALL: nothing deleted. */
	const acme_op_t del[] = { { ACME_OP_DEL_ALL, a, NULL, 0, 0 } };
	u = (acme_update_t){
		.prereqs = prereqs + 1, .prereq_count = 1,
		.ops = del, .op_count = 1, .policy = &POLICY, .now = T0 + SEC,
	};
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 0);
	assert_int_equal(count_list(f->store, NULL, 0), 1);
	seen_clear(&l);
}

/*!
 * Prerequisites are evaluated before the operations of their update, and
 * after the updates applied before it; expired values do not count, values
 * below a name do not make it in use.
 */
static void apply_prereq_sees_before(void **state)
{
	fixture_t *f = *state;
	rd_t v2 = txt("v2"), v1 = txt("v1");
	const knot_dname_t *a = dn("a.example");
	acme_result_t res;

	acme_policy_t short_life = { .lifetime = 1 };
	assert_int_equal(ADD_P(f->store, "old.example", "x", 60, &short_life, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);

	const acme_op_t ops[] = {
		{ ACME_OP_ADD, a, v2.data, v2.len, 60 },
		{ ACME_OP_DEL_VALUE, a, v1.data, v1.len, 0 },
	};
	const acme_rdata_t want_v1[] = { { v1.data, v1.len } };
	const acme_rdata_t want_v2[] = { { v2.data, v2.len } };
	acme_prereq_t before[] = {
		/* The state before the operations... */
		{ .type = ACME_PREREQ_TXT_EQUALS, .owner = a, .values = want_v1, .count = 1 },
		/* ...only values below it... */
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = dn("example") },
		/* ...and only live values. */
		{ .type = ACME_PREREQ_NAME_UNUSED, .owner = dn("old.example") },
	};
	acme_update_t u = {
		.prereqs = before, .prereq_count = 3,
		.ops = ops, .op_count = 2, .policy = &POLICY, .now = T0 + 2 * SEC,
	};
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EOK);

	/* The operations then applied. */
	seen_list_t l = { 0 };
	assert_int_equal(rd_owner(f->store, "a.example", T0 + 2 * SEC, &l, NULL), 1);
	assert_true(seen_find(&l, "v2") >= 0);
	assert_int_equal(u.result.added, 1);
	assert_int_equal(u.result.deleted, 1);

	/* Prerequisites see values added by an earlier update. */
	u.now = T0 + 3 * SEC;
	u.op_count = 1;
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
	assert_int_equal(u.failed, 0);
	before[0].values = want_v2;
	assert_int_equal(acme_store_apply(f->store, &u), KNOT_EOK);
	assert_int_equal(u.result.refreshed, 1);
	(void)res;
	seen_clear(&l);
}

/*
 * Each kind of prerequisite against each state a name can be in, one
 * prerequisite an update, no operations (the store only evaluates).
 *
 * The state: a.example holds v1 and v2; gone.example only an expired value;
 * sub.example nothing of its own, a value below (x.sub.example);
 * none.example nothing at all.
 */

typedef struct {
	const char *what;
	acme_prereq_type_t type;
	const char *owner;
	const char *values[4];   /*!< TXT_EQUALS: the values (NULL ends). */
	const char *optional[4]; /*!< TXT_EQUALS: values that may be live. */
	int expect;              /*!< KNOT_EOK or KNOT_EPREREQ. */
} prereq_case_t;

static const prereq_case_t PREREQ_CASES[] = {
	{ "in use: live values",         ACME_PREREQ_NAME_IN_USE, "a.example",    { 0 }, { 0 }, KNOT_EOK },
	{ "in use: other case",          ACME_PREREQ_NAME_IN_USE, "A.EXAMPLE",    { 0 }, { 0 }, KNOT_EOK },
	{ "in use: nothing",             ACME_PREREQ_NAME_IN_USE, "none.example", { 0 }, { 0 }, KNOT_EPREREQ },
	{ "in use: only expired",        ACME_PREREQ_NAME_IN_USE, "gone.example", { 0 }, { 0 }, KNOT_EPREREQ },
	{ "in use: only below",          ACME_PREREQ_NAME_IN_USE, "sub.example",  { 0 }, { 0 }, KNOT_EPREREQ },
	{ "in use: a parent",            ACME_PREREQ_NAME_IN_USE, "example",      { 0 }, { 0 }, KNOT_EPREREQ },
	{ "unused: nothing",             ACME_PREREQ_NAME_UNUSED, "none.example", { 0 }, { 0 }, KNOT_EOK },
	{ "unused: only expired",        ACME_PREREQ_NAME_UNUSED, "gone.example", { 0 }, { 0 }, KNOT_EOK },
	{ "unused: only below",          ACME_PREREQ_NAME_UNUSED, "sub.example",  { 0 }, { 0 }, KNOT_EOK },
	{ "unused: live values",         ACME_PREREQ_NAME_UNUSED, "a.example",    { 0 }, { 0 }, KNOT_EPREREQ },
	{ "unused: other case",          ACME_PREREQ_NAME_UNUSED, "a.EXAMPLE",    { 0 }, { 0 }, KNOT_EPREREQ },
	{ "equals: exactly",             ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v1", "v2" }, { 0 }, KNOT_EOK },
	{ "equals: any order",           ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v2", "v1" }, { 0 }, KNOT_EOK },
	{ "equals: one live not listed", ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v1" }, { 0 }, KNOT_EPREREQ },
	{ "equals: one listed not live", ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v1", "v2", "v3" }, { 0 }, KNOT_EPREREQ },
	{ "equals: a value's prefix",    ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v", "v2" }, { 0 }, KNOT_EPREREQ },
	{ "equals: optional live",       ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v1" }, { "v2" }, KNOT_EOK },
	{ "equals: optional not live",   ACME_PREREQ_TXT_EQUALS,  "a.example",    { "v1", "v2" }, { "v3" }, KNOT_EOK },
	{ "equals: only optional",       ACME_PREREQ_TXT_EQUALS,  "a.example",    { 0 }, { "v1", "v2" }, KNOT_EOK },
	{ "equals: expired value",       ACME_PREREQ_TXT_EQUALS,  "gone.example", { "old" }, { 0 }, KNOT_EPREREQ },
	{ "equals: nothing",             ACME_PREREQ_TXT_EQUALS,  "none.example", { "v1" }, { 0 }, KNOT_EPREREQ },
	{ "equals: value below",         ACME_PREREQ_TXT_EQUALS,  "sub.example",  { "x" }, { 0 }, KNOT_EPREREQ },
};

/*! TXT rdata of up to four values (NULL ends) into \a rd and \a out. */
static size_t rdata_list(const char *const values[4], rd_t rd[4], acme_rdata_t out[4])
{
	size_t n = 0;
	while (n < 4 && values[n] != NULL) {
		rd[n] = txt(values[n]);
		out[n] = (acme_rdata_t){ rd[n].data, rd[n].len };
		n++;
	}
	return n;
}

static void prereq_table(void **state)
{
	fixture_t *f = *state;
	acme_policy_t short_life = { .lifetime = 1 };
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD(f->store, "a.example", "v2", 60, T0, NULL), KNOT_EOK);
	assert_int_equal(ADD_P(f->store, "gone.example", "old", 60, &short_life, T0, NULL),
	                 KNOT_EOK);
	assert_int_equal(ADD(f->store, "x.sub.example", "x", 60, T0, NULL), KNOT_EOK);
	const uint64_t now = T0 + 2 * SEC;

	for (size_t i = 0; i < sizeof(PREREQ_CASES) / sizeof(PREREQ_CASES[0]); i++) {
		const prereq_case_t *c = &PREREQ_CASES[i];
		rd_t rd[4], rd_opt[4];
		acme_rdata_t values[4], optional[4];
		acme_prereq_t p = {
			.type = c->type,
			.owner = dn(c->owner),
			.values = values,
			.count = rdata_list(c->values, rd, values),
			.optional = optional,
			.optional_count = rdata_list(c->optional, rd_opt, optional),
		};
		acme_update_t u = {
			.prereqs = &p, .prereq_count = 1, .policy = &POLICY, .now = now,
			.failed = 99,
		};
		int ret = acme_store_apply(f->store, &u);
		if (ret != c->expect) {
			fail_msg("case '%s': %s, expected %s", c->what, knot_strerror(ret),
			         knot_strerror(c->expect));
		}
		if (ret == KNOT_EPREREQ) {
			assert_int_equal(u.failed, 0);
		}
	}
	/* Nothing was written. */
	assert_int_equal(count_list(f->store, NULL, 0), 4);
}

/*! The index of the first prerequisite that fails, whichever it is. */
static void prereq_failed_index(void **state)
{
	fixture_t *f = *state;
	assert_int_equal(ADD(f->store, "a.example", "v1", 60, T0, NULL), KNOT_EOK);
	const knot_dname_t *used = dn("a.example"), *unused = dn("b.example");
	for (size_t bad = 0; bad < 4; bad++) {
		acme_prereq_t p[4];
		for (size_t i = 0; i < 4; i++) {
			p[i] = (acme_prereq_t){ .type = ACME_PREREQ_NAME_IN_USE,
			                        .owner = i == bad ? unused : used };
		}
		acme_update_t u = { .prereqs = p, .prereq_count = 4, .policy = &POLICY,
		                    .now = T0 };
		assert_int_equal(acme_store_apply(f->store, &u), KNOT_EPREREQ);
		assert_int_equal(u.failed, bad);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(apply_prereq_denies),
		T(apply_prereq_sees_before),
		T(prereq_table),
		T(prereq_failed_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
