/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief Unit tests of the TXT value helpers (module/dns/value.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <libknot/libknot.h>

#include "module/dns/value.h"

/*! A valid RFC 8555 value: 43 base64url characters. */
#define GOOD43 "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"

/*! Builds one-string TXT rdata from \a str into \a buf, returns its length. */
static size_t one_string(uint8_t *buf, const char *str)
{
	size_t len = strlen(str);
	assert_true(len <= 255);
	buf[0] = len;
	memcpy(buf + 1, str, len);
	return len + 1;
}

/* acme_txt_valid */

static void txt_valid_empty(void **state)
{
	(void)state;
	const uint8_t empty_string[] = { 0 };

	assert_false(acme_txt_valid(NULL, 0));
	assert_false(acme_txt_valid(empty_string, 0));
	/* One empty character-string is well-formed rdata. */
	assert_true(acme_txt_valid(empty_string, 1));
}

static void txt_valid_one(void **state)
{
	(void)state;
	const uint8_t rd[] = { 3, 'a', 'b', 'c' };

	assert_true(acme_txt_valid(rd, sizeof(rd)));
}

static void txt_valid_truncated(void **state)
{
	(void)state;
	const uint8_t rd[] = { 5, 'a', 'b', 'c' };
	const uint8_t rd2[] = { 1, 'a', 3, 'b' };

	assert_false(acme_txt_valid(rd, sizeof(rd)));
	assert_false(acme_txt_valid(rd2, sizeof(rd2)));
	/* Length byte announcing 255 bytes with nothing following. */
	const uint8_t rd3[] = { 255 };
	assert_false(acme_txt_valid(rd3, sizeof(rd3)));
}

static void txt_valid_multiple(void **state)
{
	(void)state;
	const uint8_t rd[] = { 1, 'a', 0, 2, 'b', 'c' };

	assert_true(acme_txt_valid(rd, sizeof(rd)));
	/* Every prefix that cuts a string short is invalid. */
	assert_false(acme_txt_valid(rd, 5));
	assert_false(acme_txt_valid(rd, 4));
	/* Prefixes ending on a string boundary are valid. */
	assert_true(acme_txt_valid(rd, 3));
	assert_true(acme_txt_valid(rd, 2));
	assert_false(acme_txt_valid(rd, 1));
}

static void txt_valid_max_string(void **state)
{
	(void)state;
	uint8_t rd[256];
	rd[0] = 255;
	memset(rd + 1, 'x', 255);

	assert_true(acme_txt_valid(rd, sizeof(rd)));
	assert_false(acme_txt_valid(rd, sizeof(rd) - 1));
}

/* acme_value_strict */

static void strict_exact(void **state)
{
	(void)state;
	uint8_t rd[300];
	size_t len = one_string(rd, GOOD43);

	assert_int_equal(strlen(GOOD43), ACME_VALUE_STRICT_LEN);
	assert_true(acme_value_strict(rd, len));

	/* Every base64url character class. */
	len = one_string(rd, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm-_09");
	assert_true(acme_value_strict(rd, len));
}

static void strict_length(void **state)
{
	(void)state;
	uint8_t rd[300];
	size_t len;

	len = one_string(rd, GOOD43 "A");
	assert_false(acme_value_strict(rd, len));

	char s42[] = GOOD43;
	s42[ACME_VALUE_STRICT_LEN - 1] = '\0';
	len = one_string(rd, s42);
	assert_false(acme_value_strict(rd, len));

	len = one_string(rd, "");
	assert_false(acme_value_strict(rd, len));
	assert_false(acme_value_strict(NULL, 0));

	/* Right total length but wrong length byte. */
	len = one_string(rd, GOOD43);
	rd[0] = ACME_VALUE_STRICT_LEN - 1;
	assert_false(acme_value_strict(rd, len));
}

static void strict_bad_chars(void **state)
{
	(void)state;
	const char bad[] = { '+', '/', '=', ' ', '.', '"', '\\', 0x01, (char)0x80 };

	for (size_t i = 0; i < sizeof(bad); i++) {
		uint8_t rd[64];
		size_t len = one_string(rd, GOOD43);
		/* Replace one character in the middle and one at the end. */
		rd[20] = (uint8_t)bad[i];
		assert_false(acme_value_strict(rd, len));
		len = one_string(rd, GOOD43);
		rd[len - 1] = (uint8_t)bad[i];
		assert_false(acme_value_strict(rd, len));
	}
	/* Standard base64 padding. */
	uint8_t rd[64];
	size_t len = one_string(rd, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX=");
	assert_false(acme_value_strict(rd, len));
}

static void strict_two_strings(void **state)
{
	(void)state;
	uint8_t rd[300];
	size_t len = one_string(rd, GOOD43);
	len += one_string(rd + len, GOOD43);

	assert_true(acme_txt_valid(rd, len));
	assert_false(acme_value_strict(rd, len));

	/* Two strings of 21 characters: 44 bytes, the size of a strict value. */
	len = one_string(rd, "LoqXcYV8q5ONbJQxbmR7S");
	len += one_string(rd + len, "CTNo3tiAXDfowyjxAjEuX");
	assert_int_equal(len, 1 + ACME_VALUE_STRICT_LEN);
	assert_false(acme_value_strict(rd, len));

	/* A strict value followed by a string whose length byte is itself a
	 * base64url character ('0' = 48): every byte after the first passes
	 * the alphabet check, only the total length tells. */
	char s48[49];
	memset(s48, 'A', 48);
	s48[48] = '\0';
	len = one_string(rd, GOOD43);
	len += one_string(rd + len, s48);
	assert_int_equal(rd[1 + ACME_VALUE_STRICT_LEN], '0');
	assert_true(acme_txt_valid(rd, len));
	assert_false(acme_value_strict(rd, len));
}

/* acme_txt_from_str */

static void from_str_empty(void **state)
{
	(void)state;
	uint8_t out[8];
	size_t out_len = 99;

	assert_int_equal(acme_txt_from_str("", out, sizeof(out), &out_len), KNOT_EOK);
	assert_int_equal(out_len, 1);
	assert_int_equal(out[0], 0);
	assert_true(acme_txt_valid(out, out_len));
}

static void from_str_255(void **state)
{
	(void)state;
	char str[256];
	memset(str, 'z', 255);
	str[255] = '\0';
	uint8_t out[300];
	size_t out_len = 0;

	assert_int_equal(acme_txt_from_str(str, out, sizeof(out), &out_len), KNOT_EOK);
	assert_int_equal(out_len, 256);
	assert_int_equal(out[0], 255);
	assert_memory_equal(out + 1, str, 255);
	assert_true(acme_txt_valid(out, out_len));

	/* Exactly enough room. */
	assert_int_equal(acme_txt_from_str(str, out, 256, &out_len), KNOT_EOK);
	/* One byte short. */
	assert_int_equal(acme_txt_from_str(str, out, 255, &out_len), KNOT_ESPACE);
}

static void from_str_256(void **state)
{
	(void)state;
	char str[257];
	memset(str, 'z', 256);
	str[256] = '\0';
	uint8_t out[300];
	size_t out_len = 0;

	assert_int_equal(acme_txt_from_str(str, out, sizeof(out), &out_len), KNOT_ESPACE);
}

static void from_str_args(void **state)
{
	(void)state;
	uint8_t out[8];
	size_t out_len;

	assert_int_equal(acme_txt_from_str(NULL, out, sizeof(out), &out_len), KNOT_EINVAL);
	assert_int_equal(acme_txt_from_str("a", NULL, sizeof(out), &out_len), KNOT_EINVAL);
	assert_int_equal(acme_txt_from_str("a", out, sizeof(out), NULL), KNOT_EINVAL);
	assert_int_equal(acme_txt_from_str("abc", out, 3, &out_len), KNOT_ESPACE);
}

/* acme_txt_to_str */

static void to_str_plain(void **state)
{
	(void)state;
	uint8_t rd[64];
	size_t len = one_string(rd, "hello world");
	char out[64];

	int ret = acme_txt_to_str(rd, len, out, sizeof(out));
	assert_int_equal(ret, strlen("\"hello world\""));
	assert_string_equal(out, "\"hello world\"");
}

static void to_str_empty_string(void **state)
{
	(void)state;
	const uint8_t rd[] = { 0 };
	char out[8];

	int ret = acme_txt_to_str(rd, sizeof(rd), out, sizeof(out));
	assert_int_equal(ret, 2);
	assert_string_equal(out, "\"\"");
}

static void to_str_escapes(void **state)
{
	(void)state;
	const uint8_t rd[] = { 7, 'a', '"', '\\', 0x00, 0x1f, 0x7f, 0xff };
	char out[64];
	const char *expect = "\"a\\\"\\\\\\000\\031\\127\\255\"";

	int ret = acme_txt_to_str(rd, sizeof(rd), out, sizeof(out));
	assert_int_equal(ret, strlen(expect));
	assert_string_equal(out, expect);

	/* Boundary printable bytes are not escaped. */
	const uint8_t rd2[] = { 2, 0x20, 0x7e };
	ret = acme_txt_to_str(rd2, sizeof(rd2), out, sizeof(out));
	assert_string_equal(out, "\" ~\"");
	assert_int_equal(ret, 4);
}

static void to_str_multiple(void **state)
{
	(void)state;
	const uint8_t rd[] = { 1, 'a', 0, 2, 'b', '"' };
	char out[64];
	const char *expect = "\"a\" \"\" \"b\\\"\"";

	int ret = acme_txt_to_str(rd, sizeof(rd), out, sizeof(out));
	assert_int_equal(ret, strlen(expect));
	assert_string_equal(out, expect);
}

static void to_str_space(void **state)
{
	(void)state;
	uint8_t rd[64];
	size_t len = one_string(rd, "abc");
	char out[64];

	/* "abc" quoted is 5 characters, plus NUL. */
	assert_int_equal(acme_txt_to_str(rd, len, out, 6), 5);
	assert_string_equal(out, "\"abc\"");
	for (size_t size = 1; size < 6; size++) {
		assert_int_equal(acme_txt_to_str(rd, len, out, size), KNOT_ESPACE);
	}

	/* An escape that does not fit as a whole. */
	const uint8_t rd2[] = { 1, 0x01 };
	assert_int_equal(acme_txt_to_str(rd2, sizeof(rd2), out, 7), 6);
	assert_string_equal(out, "\"\\001\"");
	assert_int_equal(acme_txt_to_str(rd2, sizeof(rd2), out, 6), KNOT_ESPACE);
	assert_int_equal(acme_txt_to_str(rd2, sizeof(rd2), out, 4), KNOT_ESPACE);
}

static void to_str_invalid(void **state)
{
	(void)state;
	const uint8_t rd[] = { 4, 'a' };
	char out[64];

	assert_int_equal(acme_txt_to_str(rd, sizeof(rd), out, sizeof(out)), KNOT_EINVAL);
	assert_int_equal(acme_txt_to_str(rd, 0, out, sizeof(out)), KNOT_EINVAL);
	const uint8_t ok[] = { 1, 'a' };
	assert_int_equal(acme_txt_to_str(ok, sizeof(ok), NULL, 0), KNOT_EINVAL);
	assert_int_equal(acme_txt_to_str(ok, sizeof(ok), out, 0), KNOT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(txt_valid_empty),
		cmocka_unit_test(txt_valid_one),
		cmocka_unit_test(txt_valid_truncated),
		cmocka_unit_test(txt_valid_multiple),
		cmocka_unit_test(txt_valid_max_string),
		cmocka_unit_test(strict_exact),
		cmocka_unit_test(strict_length),
		cmocka_unit_test(strict_bad_chars),
		cmocka_unit_test(strict_two_strings),
		cmocka_unit_test(from_str_empty),
		cmocka_unit_test(from_str_255),
		cmocka_unit_test(from_str_256),
		cmocka_unit_test(from_str_args),
		cmocka_unit_test(to_str_plain),
		cmocka_unit_test(to_str_empty_string),
		cmocka_unit_test(to_str_escapes),
		cmocka_unit_test(to_str_multiple),
		cmocka_unit_test(to_str_space),
		cmocka_unit_test(to_str_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
