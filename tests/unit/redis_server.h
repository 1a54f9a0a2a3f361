/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief A real redis-server for the unit tests: started on a UNIX socket in
 *        a temporary directory, optionally as a replica of another, and
 *        always stopped (SIGTERM, also when the test process dies).
 *
 * REDIS_SERVER / REDIS_SENTINEL name the programs (valkey-server and
 * valkey-sentinel for Valkey, as in tests/acmetest/redis.py); redis-server
 * and redis-sentinel otherwise.
 */

#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

typedef struct test_redis {
	pid_t pid;
	int port;              /*!< TCP port on 127.0.0.1 (replication needs one). */
	char dir[64];
	char sock[128];
} test_redis_t;

static inline void test_redis_stop(struct test_redis *r);

/*! A TCP port of 127.0.0.1 free at the time of the call (the kernel's choice). */
static inline int test_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
		port = ntohs(sa.sin_port);
	}
	if (fd >= 0) {
		close(fd);
	}
	return port;
}

/*! Runs a command on the server; returns the reply (caller frees) or NULL. */
static inline redisReply *test_redis_cmd(const test_redis_t *r, const char *fmt, ...)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectUnixWithTimeout(r->sock, tv);
	if (c == NULL || c->err != 0) {
		redisFree(c);
		return NULL;
	}
	va_list ap;
	va_start(ap, fmt);
	redisReply *reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return reply;
}

/*! The server program (\a sentinel: the Sentinel program), see above. */
static inline const char *test_redis_program(bool sentinel)
{
	const char *given = getenv(sentinel ? "REDIS_SENTINEL" : "REDIS_SERVER");
	if (given != NULL && given[0] != '\0') {
		return given;
	}
	return sentinel ? "redis-sentinel" : "redis-server";
}

/*! How to start a server. */
typedef enum {
	TEST_REDIS_PLAIN = 0,
	TEST_REDIS_AOF = 1,       /*!< appendonly yes, appendfsync always. */
	TEST_REDIS_SENTINEL = 2,  /*!< redis-sentinel watching primary_port as "mymaster". */
} test_redis_mode_t;

static inline bool test_redis_start_mode(test_redis_t *r, int primary_port,
                                         test_redis_mode_t mode)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/acme-redis-XXXXXX");
	if (mkdtemp(r->dir) == NULL) {
		return false;
	}
	snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
	r->port = test_free_port();
	char port[16], replica[16], conf[128];
	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(replica, sizeof(replica), "%d", primary_port);
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", r->dir);
	if (mode == TEST_REDIS_SENTINEL) {
		FILE *f = fopen(conf, "w");
		if (f == NULL) {
			return false;
		}
		fprintf(f, "port %d\nbind 127.0.0.1\nunixsocket %s\ndir %s\n"
		        "sentinel monitor mymaster 127.0.0.1 %d 1\n"
		        "sentinel down-after-milliseconds mymaster 1000\n"
		        "sentinel failover-timeout mymaster 5000\n"
		        "sentinel parallel-syncs mymaster 2\n", r->port, r->sock, r->dir,
		        primary_port);
		fclose(f);
	}
	r->pid = fork();
	if (r->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		if (mode == TEST_REDIS_SENTINEL) {
			const char *prog = test_redis_program(true);
			execlp(prog, prog, conf, (char *)NULL);
			_exit(127);
		}
		const char *argv[32] = { test_redis_program(false), "--port", port, "--bind", "127.0.0.1",
		                         "--unixsocket", r->sock, "--dir", r->dir, "--save", "",
		                         "--daemonize", "no" };
		int n = 13;
		if (mode == TEST_REDIS_AOF) {
			argv[n++] = "--appendonly";
			argv[n++] = "yes";
			argv[n++] = "--appendfsync";
			argv[n++] = "always";
		} else {
			argv[n++] = "--appendonly";
			argv[n++] = "no";
		}
		if (primary_port > 0 && mode != TEST_REDIS_SENTINEL) {
			argv[n++] = "--replicaof";
			argv[n++] = "127.0.0.1";
			argv[n++] = replica;
		}
		/* A full resync (after a failover) keeps answering the old data. */
		argv[n++] = "--repl-diskless-load";
		argv[n++] = "swapdb";
		argv[n] = NULL;
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	for (int i = 0; i < 400; i++) {
		redisReply *reply = test_redis_cmd(r, "PING");
		if (reply != NULL) {
			freeReplyObject(reply);
			return true;
		}
		int status;
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = 0;
			return false;
		}
		usleep(25 * 1000);
	}
	return false;
}

static inline bool test_redis_start_once(test_redis_t *r, int primary_port)
{
	return test_redis_start_mode(r, primary_port, TEST_REDIS_PLAIN);
}

/*!
 * Starts redis-server; \a primary_port > 0 makes it a replica of that port.
 * A port taken meanwhile by another process: tried again on another one.
 */
static inline bool test_redis_start_as(test_redis_t *r, int primary_port,
                                       test_redis_mode_t mode)
{
	for (int i = 0; i < 5; i++) {
		if (test_redis_start_mode(r, primary_port, mode)) {
			return true;
		}
		test_redis_stop(r);
	}
	return false;
}

static inline bool test_redis_start(test_redis_t *r, int primary_port)
{
	return test_redis_start_as(r, primary_port, TEST_REDIS_PLAIN);
}

/*! Waits until a replica has finished its first sync. */
static inline bool test_redis_synced(const test_redis_t *replica)
{
	for (int i = 0; i < 400; i++) {
		redisReply *reply = test_redis_cmd(replica, "INFO replication");
		bool up = reply != NULL && reply->type == REDIS_REPLY_STRING &&
		          strstr(reply->str, "master_link_status:up") != NULL;
		if (reply != NULL) {
			freeReplyObject(reply);
		}
		if (up) {
			return true;
		}
		usleep(25 * 1000);
	}
	return false;
}

static inline void test_redis_signal(test_redis_t *r, int sig)
{
	if (r->pid > 0) {
		kill(r->pid, sig);
	}
}

static inline void test_redis_stop(struct test_redis *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL); /* No shutdown wait for replicas: nothing to keep. */
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
	if (r->dir[0] != '\0') {
		char path[200];
		snprintf(path, sizeof(path), "rm -rf '%s'", r->dir);
		if (system(path) != 0) {
			rmdir(r->dir);
		}
		r->dir[0] = '\0';
	}
}
