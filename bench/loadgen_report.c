/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/* loadgen: the results, one JSON object. */

#include "bench/loadgen.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static double pct(const lat_vec_t *v, double p)
{
	if (v->len == 0) {
		return 0;
	}
	size_t i = (size_t)ceil(p / 100.0 * v->len);
	if (i > 0) {
		i--;
	}
	if (i >= v->len) {
		i = v->len - 1;
	}
	return v->v[i] / 1e6;
}

static void print_latency(const char *name, lat_vec_t *v)
{
	qsort(v->v, v->len, sizeof(*v->v), cmp_u64);
	double sum = 0;
	for (size_t i = 0; i < v->len; i++) {
		sum += v->v[i];
	}
	printf("  \"%s\": {\"count\": %zu, \"mean\": %.4f, \"p50\": %.4f, \"p90\": %.4f, "
	       "\"p99\": %.4f, \"p999\": %.4f, \"max\": %.4f}",
	       name, v->len, v->len ? sum / v->len / 1e6 : 0.0, pct(v, 50), pct(v, 90),
	       pct(v, 99), pct(v, 99.9), v->len ? v->v[v->len - 1] / 1e6 : 0.0);
}

void print_results(thread_t *ths, unsigned nth, uint64_t t_end)
{
	counters_t c = { 0 };
	lat_vec_t lat = { 0 }, vis = { 0 };
	uint64_t last = 0;
	for (unsigned t = 0; t < nth; t++) {
		const counters_t *x = &ths[t].c;
		c.sent += x->sent;
		c.replies += x->replies;
		c.ok += x->ok;
		for (int i = 0; i < 16; i++) {
			c.rcode[i] += x->rcode[i];
		}
		c.timeouts += x->timeouts;
		c.tsig_bad += x->tsig_bad;
		c.tsig_missing += x->tsig_missing;
		c.malformed += x->malformed;
		c.unmatched += x->unmatched;
		c.conn_errors += x->conn_errors;
		c.not_visible += x->not_visible;
		c.polls += x->polls;
		for (size_t i = 0; i < ths[t].lat.len; i++) {
			lat_push(&lat, ths[t].lat.v[i]);
		}
		for (size_t i = 0; i < ths[t].lat_visible.len; i++) {
			lat_push(&vis, ths[t].lat_visible.v[i]);
		}
		if (ths[t].last_reply > last) {
			last = ths[t].last_reply;
		}
	}
	if (last < t_measure) {
		last = t_end;
	}
	double elapsed = (last - t_measure) / 1e9;
	if (elapsed <= 0) {
		elapsed = 1e-9;
	}
	static const char *modes[] = { "add-del", "add", "visible" };
	printf("{\n  \"label\": \"%s\",\n  \"mode\": \"%s\",\n  \"transport\": \"%s\",\n"
	       "  \"server\": \"%s\",\n  \"port\": %u,\n  \"zone\": \"%s\",\n"
	       "  \"connections\": %u,\n  \"threads\": %u,\n  \"depth\": %u,\n"
	       "  \"tsig\": %s,\n  \"verify\": %s,\n",
	       O.label, modes[O.mode], O.tcp ? "tcp" : "udp", O.server, O.port, O.zone_str,
	       O.conns, O.threads, O.depth, O.have_key ? "true" : "false",
	       (O.have_key && O.verify) ? "true" : "false");
	printf("  \"elapsed_s\": %.4f,\n  \"sent\": %" PRIu64 ",\n  \"replies\": %" PRIu64
	       ",\n  \"ok\": %" PRIu64 ",\n  \"throughput\": %.1f,\n",
	       elapsed, c.sent, c.replies, c.ok, c.ok / elapsed);
	printf("  \"rcodes\": {");
	bool first = true;
	for (int i = 0; i < 16; i++) {
		if (c.rcode[i] == 0) {
			continue;
		}
		const knot_lookup_t *item = knot_lookup_by_id(knot_rcode_names, i);
		printf("%s\"%s\": %" PRIu64, first ? "" : ", ", item ? item->name : "?", c.rcode[i]);
		first = false;
	}
	printf("},\n  \"errors\": {\"timeout\": %" PRIu64 ", \"tsig_bad\": %" PRIu64
	       ", \"tsig_missing\": %" PRIu64 ", \"malformed\": %" PRIu64
	       ", \"unmatched\": %" PRIu64 ", \"connection\": %" PRIu64 ", \"not_visible\": %"
	       PRIu64 "},\n",
	       c.timeouts, c.tsig_bad, c.tsig_missing, c.malformed, c.unmatched,
	       c.conn_errors, c.not_visible);
	print_latency("latency_ms", &lat);
	if (O.mode == MODE_VISIBLE) {
		printf(",\n");
		print_latency("visible_ms", &vis);
		printf(",\n  \"polls\": %" PRIu64, c.polls);
	}
	printf("\n}\n");
	free(lat.v);
	free(vis.v);
}
