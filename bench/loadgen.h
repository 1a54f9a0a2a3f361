/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief What loadgen's files share: options, per-thread state, the steps.
 *
 *   loadgen.c          options and the run (threads, timing)
 *   loadgen_msg.c      values, owner names, signed UPDATE messages
 *   loadgen_loop.c     the closed loop of the add-del and add modes
 *                      (non-blocking sockets, epoll, replies by message id)
 *   loadgen_visible.c  the visible mode: update, then query until seen
 *   loadgen_report.c   counters and latency percentiles as JSON
 */

#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#define MSG_MAX		1024
#define MAC_MAX		64
#define VALUE_LEN	43
#define OWNER_REL_MAX	128
#define TCP_BUF		(256 * 1024)
#define MAX_DEPTH	4096

typedef enum {
	MODE_ADD_DEL,
	MODE_ADD,
	MODE_VISIBLE,
} mode_t_;

typedef struct {
	const char *server;
	uint16_t port;
	uint8_t zone[KNOT_DNAME_MAXLEN];
	size_t zone_len;
	char zone_str[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_tsig_key_t key;
	bool have_key;
	unsigned conns;
	unsigned threads;
	unsigned depth;
	uint64_t count;        /*!< Updates to send in total (0: use seconds). */
	double seconds;
	double warmup;         /*!< Seconds not measured at the start (-t runs). */
	bool tcp;
	mode_t_ mode;
	bool verify;
	unsigned timeout_ms;
	uint32_t ttl;
	const char *prefix;
	const char *acked_path;
	const char *label;
	uint64_t seed;
	struct sockaddr_in addr;
} opts_t;

/*! Counters of one thread (summed at the end). */
typedef struct {
	uint64_t sent;
	uint64_t replies;
	uint64_t ok;
	uint64_t rcode[16];
	uint64_t timeouts;
	uint64_t tsig_bad;
	uint64_t tsig_missing;
	uint64_t malformed;
	uint64_t unmatched;   /*!< Replies to no request in flight (late, or wrong id). */
	uint64_t conn_errors;
	uint64_t not_visible; /*!< visible mode: value never seen within the timeout. */
	uint64_t polls;       /*!< visible mode: queries sent. */
} counters_t;

typedef struct {
	uint64_t *v;
	size_t len, cap;
} lat_vec_t;

typedef struct {
	bool busy;
	bool measured;        /*!< Sent inside the measurement window. */
	bool add;             /*!< The request in flight is an add. */
	uint8_t phase;        /*!< add-del: next op is 0 add, 1 delete. */
	uint16_t id;
	uint64_t t_send;
	uint64_t deadline;
	uint8_t mac[MAC_MAX];
	size_t mac_len;
	char value[VALUE_LEN + 1];
	uint8_t owner[OWNER_REL_MAX]; /*!< Relative labels (no terminator). */
	size_t owner_len;
} slot_t;

typedef struct thread thread_t;

typedef struct {
	thread_t *th;
	unsigned index;       /*!< Global connection number. */
	int fd;
	bool connected;       /*!< TCP: connect finished. */
	slot_t *slots;
	uint16_t id_gen;
	uint64_t quota;       /*!< Updates this connection may still send (-n). */
	uint64_t inflight;
	/* TCP buffers */
	uint8_t *out;
	size_t out_len, out_off;
	uint8_t *in;
	size_t in_len;
	bool want_write;
} conn_t;

struct thread {
	unsigned index;
	pthread_t tid;
	int ep;
	conn_t *conns;
	unsigned nconns;
	counters_t c;
	lat_vec_t lat;
	lat_vec_t lat_visible;
	uint64_t seq;
	uint64_t rng;
	uint64_t first_measured;
	uint64_t last_reply;
	FILE *acked;
	pthread_mutex_t *acked_lock;
};

/*! The options (set by main() before any thread starts, then read-only). */
extern opts_t O;
/*! Start, start of measurement, end of sending (-t runs), CLOCK_MONOTONIC ns. */
extern uint64_t t_start, t_measure, t_stop;
/*! Set once no connection may send any more. */
extern volatile bool stop_sending;

uint64_t now_ns(void);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void lat_push(lat_vec_t *v, uint64_t ns);
uint64_t splitmix(uint64_t *state);
void fresh_value(thread_t *th, char out[VALUE_LEN + 1]);
void slot_owner(slot_t *s, unsigned conn, unsigned slot, uint64_t unique);
void owner_to_str(const slot_t *s, char *out, size_t size);
size_t build_update(uint8_t *buf, slot_t *s, uint16_t id, bool add);

/*! A thread of the add-del and add modes: its connections' closed loop. */
void *thread_main(void *arg);
/*! The visible mode, on one thread. */
void run_visible(thread_t *th);
/*! Sums the threads' counters and prints the JSON result. */
void print_results(thread_t *ths, unsigned nth, uint64_t t_end);
