/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief populate: fills a mod-acme store with many values, fast.
 *
 * Goes through the store API (module/store/store.h), so it never depends on the
 * store's private layout: value i is `v<i>.<prefix>.<zone>` with one
 * deterministic 43-character base64url value, added in large transactions.
 * With --expire-at all values expire at that instant (ms since the epoch),
 * for the expiry-at-scale benchmark.  Run it while knotd is stopped, or not:
 * LMDB is multi-process safe.
 */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "module/common/clock.h"
#include "module/store/lmdb/lmdb.h"
#include "module/store/redis/redis.h"
#include "module/dns/value.h"

static uint64_t splitmix(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*! The value of entry i, as TXT rdata (one 43-byte string). */
static void value_rdata(uint64_t i, uint8_t out[ACME_VALUE_STRICT_LEN + 1])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	out[0] = ACME_VALUE_STRICT_LEN;
	uint64_t s = i;
	for (int o = 0; o < ACME_VALUE_STRICT_LEN; o++) {
		if (o % 10 == 0) {
			s = splitmix(s);
		}
		out[1 + o] = b64[(s >> (6 * (o % 10))) & 63];
	}
}

static void usage(void)
{
	fprintf(stderr,
	"Usage: populate {-D DIR | -R ADDR} -z ZONE -n COUNT [options]\n"
	"  -R ADDR             a Redis store: ADDR[@PORT] or a UNIX socket path\n"
	"  --redis-prefix P    its key prefix (acme:)\n"
	"  --prefix LABEL      owners are v<i>.LABEL.ZONE (default: pop)\n"
	"  --start N           first index (0)\n"
	"  --lifetime S        seconds each value lives (3600)\n"
	"  --expire-at MS      all values expire at this time (ms since the epoch)\n"
	"  --ttl N             record TTL (60)\n"
	"  --map-size BYTES    LMDB map size for a new store (4 GiB)\n"
	"  --batch N           values per transaction (10000)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prefix",    required_argument, NULL, 'x' },
		{ "start",     required_argument, NULL, 's' },
		{ "lifetime",  required_argument, NULL, 'l' },
		{ "expire-at", required_argument, NULL, 'e' },
		{ "ttl",       required_argument, NULL, 't' },
		{ "map-size",  required_argument, NULL, 'm' },
		{ "batch",     required_argument, NULL, 'b' },
		{ "redis-prefix", required_argument, NULL, 'P' },
		{ NULL }
	};
	const char *dir = NULL, *redis = NULL, *redis_prefix = NULL, *zone = NULL, *prefix = "pop";
	uint64_t count = 0, start = 0, expire_at = 0, map_size = 4ULL << 30;
	uint32_t lifetime = 3600, ttl = 60;
	size_t batch = 10000;
	int opt;
	while ((opt = getopt_long(argc, argv, "D:R:z:n:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D': dir = optarg; break;
		case 'R': redis = optarg; break;
		case 'P': redis_prefix = optarg; break;
		case 'z': zone = optarg; break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'x': prefix = optarg; break;
		case 's': start = strtoull(optarg, NULL, 10); break;
		case 'l': lifetime = strtoul(optarg, NULL, 10); break;
		case 'e': expire_at = strtoull(optarg, NULL, 10); break;
		case 't': ttl = strtoul(optarg, NULL, 10); break;
		case 'm': map_size = strtoull(optarg, NULL, 10); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if ((dir == NULL) == (redis == NULL) || zone == NULL || batch == 0 || lifetime == 0 ||
	    optind != argc) {
		usage();
	}

	acme_store_t *store;
	int ret;
	if (redis != NULL) {
		/* No filter (nothing is read here), a long timeout for big batches. */
		acme_redis_opts_t opts = { .primary = redis, .prefix = redis_prefix,
		                           .timeout_ms = 60000, .no_filter = true };
		ret = acme_redis_open(&store, &opts);
	} else {
		acme_lmdb_opts_t opts = { .map_size = map_size, .create = true, .no_purger = true };
		ret = acme_lmdb_open(&store, dir, &opts);
	}
	if (ret != KNOT_EOK) {
		fprintf(stderr, "populate: cannot open %s: %s\n", redis ? redis : dir,
		        knot_strerror(ret));
		return 1;
	}

	/* Values are added "now", or lifetime before the common expiry. */
	uint64_t now = expire_at ? expire_at - (uint64_t)lifetime * 1000 : acme_now_ms();
	acme_policy_t policy = { .lifetime = lifetime, .max_records = 0 };

	acme_op_t *ops = calloc(batch, sizeof(*ops));
	uint8_t (*owners)[KNOT_DNAME_MAXLEN] = calloc(batch, KNOT_DNAME_MAXLEN);
	uint8_t (*rdata)[ACME_VALUE_STRICT_LEN + 1] = calloc(batch, ACME_VALUE_STRICT_LEN + 1);
	if (ops == NULL || owners == NULL || rdata == NULL) {
		fprintf(stderr, "populate: out of memory\n");
		return 1;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t done = 0;
	while (done < count) {
		size_t n = (count - done < batch) ? count - done : batch;
		for (size_t k = 0; k < n; k++) {
			char name[KNOT_DNAME_TXT_MAXLEN];
			snprintf(name, sizeof(name), "v%" PRIu64 ".%s.%s", start + done + k, prefix, zone);
			if (knot_dname_from_str(owners[k], name, KNOT_DNAME_MAXLEN) == NULL) {
				fprintf(stderr, "populate: bad name %s\n", name);
				return 1;
			}
			value_rdata(start + done + k, rdata[k]);
			ops[k] = (acme_op_t) {
				.type = ACME_OP_ADD,
				.owner = owners[k],
				.rdata = rdata[k],
				.rdata_len = ACME_VALUE_STRICT_LEN + 1,
				.ttl = ttl,
			};
		}
		acme_update_t update = { .ops = ops, .op_count = n, .policy = &policy, .now = now };
		ret = acme_store_apply(store, &update);
		if (ret != KNOT_EOK) {
			fprintf(stderr, "populate: apply failed after %" PRIu64 " values: %s\n",
			        done, knot_strerror(ret));
			return 1;
		}
		done += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"values\": %" PRIu64 ", \"seconds\": %.3f, \"rate\": %.0f}\n",
	       done, secs, secs > 0 ? done / secs : 0.0);

	acme_store_close(store);
	free(ops);
	free(owners);
	free(rdata);
	return 0;
}
