/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief loadgen: TSIG-signed RFC 2136 UPDATE load generator on libknot.
 *
 * Closed loop: every connection keeps `depth` updates in flight; each slot
 * of a connection adds a fresh 43-character base64url value at its own
 * owner name, waits for the reply, deletes that value, waits, and so on
 * (mode add-del).  Replies are matched by message id, their TSIG is verified
 * (unless --no-verify) and every reply's latency is recorded.  Only NOERROR
 * with a valid TSIG counts as success; other rcodes, TSIG failures and
 * timeouts are counted by kind.  Results are printed as one JSON object.
 *
 * Modes:
 *   add-del  add then delete of distinct values, one owner per slot (default)
 *   add      adds only, one fresh owner per update (durability checks:
 *            --acked FILE lists what the server acknowledged)
 *   visible  update-to-visible latency: add, then from the NOERROR on query
 *            the TXT over UDP until the value is in the answer, then delete;
 *            one update at a time
 *
 * Threads share nothing but the read-only options; each owns its
 * connections (non-blocking sockets, epoll) and a latency array.
 */

#include "bench/loadgen.h"

opts_t O = {
	.server = "127.0.0.1",
	.port = 53,
	.conns = 1,
	.depth = 1,
	.seconds = 5,
	.verify = true,
	.timeout_ms = 2000,
	.ttl = 60,
	.prefix = "lg",
	.label = "",
};

uint64_t t_start, t_measure, t_stop;
volatile bool stop_sending;

static void usage(void)
{
	fprintf(stderr,
	"Usage: loadgen -z ZONE [options]\n"
	"  -s ADDR         server IPv4 address (127.0.0.1)\n"
	"  -p PORT         server port (53)\n"
	"  -z ZONE         zone to update\n"
	"  -k [ALG:]NAME:SECRET  TSIG key, knsupdate -y syntax (unsigned without)\n"
	"  -c N            connections (1); UDP: one socket each\n"
	"  -T N            threads (min(connections, CPUs))\n"
	"  -d N            updates in flight per connection (1, max %d)\n"
	"  -n N            send N updates in total, or\n"
	"  -t SECONDS      run for SECONDS (5), after\n"
	"  -w SECONDS      warm-up not measured (0)\n"
	"  --udp | --tcp   transport (udp)\n"
	"  -m MODE         add-del (default), add, visible\n"
	"  --no-verify     do not verify the TSIG of replies\n"
	"  --timeout MS    per-request timeout (2000)\n"
	"  --ttl N         TTL of added records (60)\n"
	"  --prefix LABEL  label under the zone for the owners (lg)\n"
	"  --acked FILE    write 'owner value' of every acknowledged add\n"
	"  --label TEXT    copied to the JSON output\n"
	"  --seed N        value generator seed\n",
	MAX_DEPTH);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "udp",       no_argument,       NULL, 'U' },
		{ "tcp",       no_argument,       NULL, 'P' },
		{ "no-verify", no_argument,       NULL, 'V' },
		{ "timeout",   required_argument, NULL, 'o' },
		{ "ttl",       required_argument, NULL, 'L' },
		{ "prefix",    required_argument, NULL, 'x' },
		{ "acked",     required_argument, NULL, 'a' },
		{ "label",     required_argument, NULL, 'l' },
		{ "seed",      required_argument, NULL, 'S' },
		{ "mode",      required_argument, NULL, 'm' },
		{ "help",      no_argument,       NULL, 'h' },
		{ NULL }
	};
	const char *zone = NULL, *key = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "s:p:z:k:c:T:d:n:t:w:m:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': O.server = optarg; break;
		case 'p': O.port = atoi(optarg); break;
		case 'z': zone = optarg; break;
		case 'k': key = optarg; break;
		case 'c': O.conns = atoi(optarg); break;
		case 'T': O.threads = atoi(optarg); break;
		case 'd': O.depth = atoi(optarg); break;
		case 'n': O.count = strtoull(optarg, NULL, 10); break;
		case 't': O.seconds = atof(optarg); break;
		case 'w': O.warmup = atof(optarg); break;
		case 'U': O.tcp = false; break;
		case 'P': O.tcp = true; break;
		case 'V': O.verify = false; break;
		case 'o': O.timeout_ms = atoi(optarg); break;
		case 'L': O.ttl = strtoul(optarg, NULL, 10); break;
		case 'x': O.prefix = optarg; break;
		case 'a': O.acked_path = optarg; break;
		case 'l': O.label = optarg; break;
		case 'S': O.seed = strtoull(optarg, NULL, 10); break;
		case 'm':
			if (strcmp(optarg, "add-del") == 0) {
				O.mode = MODE_ADD_DEL;
			} else if (strcmp(optarg, "add") == 0) {
				O.mode = MODE_ADD;
			} else if (strcmp(optarg, "visible") == 0) {
				O.mode = MODE_VISIBLE;
			} else {
				usage();
			}
			break;
		default: usage();
		}
	}
	if (zone == NULL || optind != argc || O.conns < 1 || O.depth < 1 ||
	    O.depth > MAX_DEPTH || O.port == 0 || O.timeout_ms == 0) {
		usage();
	}
	if (knot_dname_from_str(O.zone, zone, sizeof(O.zone)) == NULL) {
		die("bad zone name '%s'", zone);
	}
	knot_dname_to_lower(O.zone);
	O.zone_len = knot_dname_size(O.zone);
	if (knot_dname_to_str(O.zone_str, O.zone, sizeof(O.zone_str)) == NULL) {
		die("bad zone name '%s'", zone);
	}
	if (key != NULL) {
		int ret = knot_tsig_key_init_str(&O.key, key);
		if (ret != KNOT_EOK) {
			die("bad TSIG key: %s", knot_strerror(ret));
		}
		O.have_key = true;
	}
	O.addr.sin_family = AF_INET;
	O.addr.sin_port = htons(O.port);
	if (inet_pton(AF_INET, O.server, &O.addr.sin_addr) != 1) {
		die("bad IPv4 address '%s'", O.server);
	}
	if (O.mode == MODE_VISIBLE) {
		O.conns = 1;
		O.threads = 1;
		O.depth = 1;
	}
	if (O.threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		O.threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (O.threads > O.conns) {
		O.threads = O.conns;
	}
	if (O.seed == 0) {
		O.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	}

	FILE *acked = NULL;
	pthread_mutex_t acked_lock = PTHREAD_MUTEX_INITIALIZER;
	if (O.acked_path != NULL) {
		acked = fopen(O.acked_path, "w");
		if (acked == NULL) {
			die("%s: %s", O.acked_path, strerror(errno));
		}
	}

	thread_t *ths = calloc(O.threads, sizeof(*ths));
	conn_t *conns = calloc(O.conns, sizeof(*conns));
	if (ths == NULL || conns == NULL) {
		die("out of memory");
	}
	for (unsigned i = 0; i < O.conns; i++) {
		conns[i].index = i;
		conns[i].slots = calloc(O.depth, sizeof(slot_t));
		if (conns[i].slots == NULL) {
			die("out of memory");
		}
		if (O.count > 0) {
			conns[i].quota = O.count / O.conns + (i < O.count % O.conns ? 1 : 0);
		}
	}
	unsigned ci = 0;
	for (unsigned t = 0; t < O.threads; t++) {
		thread_t *th = &ths[t];
		th->index = t;
		th->rng = O.seed + 0x1000003ULL * (t + 1);
		th->acked = acked;
		th->acked_lock = &acked_lock;
		unsigned n = O.conns / O.threads + (t < O.conns % O.threads ? 1 : 0);
		th->conns = &conns[ci];
		th->nconns = n;
		ci += n;
	}

	t_start = now_ns();
	t_measure = (O.count > 0) ? t_start : t_start + (uint64_t)(O.warmup * 1e9);
	t_stop = t_measure + (uint64_t)(O.seconds * 1e9);
	if (O.mode == MODE_VISIBLE) {
		t_measure = t_start;
		t_stop = t_start + (uint64_t)(O.seconds * 1e9);
		run_visible(&ths[0]);
	} else {
		for (unsigned t = 0; t < O.threads; t++) {
			if (pthread_create(&ths[t].tid, NULL, thread_main, &ths[t]) != 0) {
				die("pthread_create failed");
			}
		}
		for (unsigned t = 0; t < O.threads; t++) {
			pthread_join(ths[t].tid, NULL);
		}
	}
	uint64_t t_end = now_ns();
	if (acked != NULL) {
		fclose(acked);
	}
	print_results(ths, O.threads, t_end);
	if (O.have_key) {
		knot_tsig_key_deinit(&O.key);
	}
	return 0;
}
