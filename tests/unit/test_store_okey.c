/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the owner key (module/store/okey.c|h): names as every
 *        backend orders them.
 */

#include "tests/unit/store_helpers.h"

#include "module/store/okey.h"

/*! The key of \a name, checked to be well formed. */
static acme_okey_t okey_of(const char *name)
{
	acme_okey_t okey;
	assert_int_equal(acme_okey(dn(name), &okey), KNOT_EOK);
	return okey;
}

/*! Labels from the root down, lower case, each after its length. */
static void okey_order(void **state)
{
	(void)state;
	acme_okey_t okey = okey_of("_ACME-challenge.WWW.Example");
	static const uint8_t want[] = "\x07" "example" "\x03" "www" "\x0f" "_acme-challenge";
	assert_int_equal(okey.len, sizeof(want) - 1);
	assert_memory_equal(okey.data, want, okey.len);

	okey = okey_of(".");
	assert_int_equal(okey.len, 0);

	/* Same name in any case, same okey. */
	acme_okey_t a = okey_of("a.B.example"), b = okey_of("A.b.EXAMPLE");
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
}

/*! A name at or below another has its key as a prefix; a sibling does not. */
static void okey_within(void **state)
{
	(void)state;
	acme_okey_t apex = okey_of("a.example");
	acme_okey_t self = okey_of("A.example"), below = okey_of("x.y.a.example");
	acme_okey_t sibling = okey_of("ab.example"), parent = okey_of("example");
	acme_okey_t other = okey_of("a.example.org");
	assert_true(acme_okey_within(&self, &apex));
	assert_true(acme_okey_within(&below, &apex));
	assert_false(acme_okey_within(&sibling, &apex));
	assert_false(acme_okey_within(&parent, &apex));
	assert_false(acme_okey_within(&other, &apex));
	acme_okey_t root = okey_of(".");
	assert_true(acme_okey_within(&apex, &root));
}

/*! The name of a key is the lower-case wire name. */
static void okey_to_name(void **state)
{
	(void)state;
	static const char *names[] = { ".", "example", "A.b.C.example", "_acme-challenge.x" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		acme_okey_t okey = okey_of(names[i]);
		knot_dname_storage_t name, lower;
		acme_okey_to_name(okey.data, okey.len, name);
		assert_true(knot_dname_store(lower, dn(names[i])) > 0);
		knot_dname_to_lower(lower);
		assert_true(knot_dname_is_equal(name, lower));
	}
}

/*! What is not an uncompressed wire name has no key. */
static void okey_malformed(void **state)
{
	(void)state;
	acme_okey_t okey;
	static const uint8_t pointer[] = { 1, 'a', 0xc0, 12 };
	static const uint8_t long_label[] = { 64, 'a' };
	assert_int_equal(acme_okey(pointer, &okey), KNOT_EINVAL);
	assert_int_equal(acme_okey(long_label, &okey), KNOT_EINVAL);
	assert_int_equal(acme_okey(NULL, &okey), KNOT_EINVAL);
	assert_int_equal(acme_okey(dn("example"), NULL), KNOT_EINVAL);

	/* 128 labels of one character: 256 bytes with the root, over the limit. */
	uint8_t deep[300] = { 0 };
	for (int i = 0; i < 128; i++) {
		deep[2 * i] = 1;
		deep[2 * i + 1] = 'a';
	}
	assert_int_equal(acme_okey(deep, &okey), KNOT_EINVAL);
	deep[2 * 127] = 0; /* 127 labels: 255 bytes, the longest name. */
	assert_int_equal(acme_okey(deep, &okey), KNOT_EOK);
	assert_int_equal(okey.len, 254);
}

/*! The word-at-a-time lower-casing agrees with one byte at a time, for
 *  every byte value at every position of a word and in the tail. */
static void okey_lower_bytes(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		for (size_t pos = 0; pos < 11; pos++) {
			uint8_t data[11], want[11];
			for (size_t i = 0; i < sizeof(data); i++) {
				data[i] = (uint8_t)(i == pos ? (size_t)c : 'A' + i);
				want[i] = (data[i] >= 'A' && data[i] <= 'Z') ? (uint8_t)(data[i] + 32) : data[i];
			}
			acme_okey_lower(data, sizeof(data));
			assert_memory_equal(data, want, sizeof(data));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(okey_order),
		cmocka_unit_test(okey_within),
		cmocka_unit_test(okey_to_name),
		cmocka_unit_test(okey_malformed),
		cmocka_unit_test(okey_lower_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
