/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

#include <poll.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "module/common/clock.h"
#include "module/store/redis/follower.h"

/*! How long the thread sleeps in poll() between checks of stop. */
#define POLL_MS		100
/*! Pause between two connections (conn_open() keeps its own backoff while down). */
#define RETRY_MS	200
/*! How long a worker may still poll a withdrawn socket. */
#define WITHDRAW_MS	50

/*! Sleeps up to \a ms unless asked to stop. */
static void nap(follower_t *f, unsigned ms)
{
	struct timespec ts = acme_deadline(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&f->lock);
	if (!atomic_load(&f->stop)) {
		pthread_cond_timedwait(&f->wake, &f->lock, &ts);
	}
	pthread_mutex_unlock(&f->lock);
}

static void *follower_main(void *arg)
{
	follower_t *f = arg;
	while (!atomic_load(&f->stop)) {
		if (!f->follow(f)) {
			break;
		}
		if (!atomic_load(&f->stop)) {
			nap(f, RETRY_MS);
		}
	}
	return NULL;
}

int follower_start(follower_t *f, follower_follow_cb follow)
{
	f->follow = follow;
	atomic_store(&f->stop, false);
	atomic_store(&f->busy, false);
	atomic_store(&f->fd, -1);
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		return KNOT_ENOMEM;
	}
	pthread_cond_init(&f->wake, NULL);
	if (pthread_create(&f->thread, NULL, follower_main, f) != 0) {
		pthread_cond_destroy(&f->wake);
		pthread_mutex_destroy(&f->lock);
		return KNOT_ENOMEM;
	}
	f->started = true;
	return KNOT_EOK;
}

void follower_stop(follower_t *f)
{
	if (!f->started) {
		return;
	}
	pthread_mutex_lock(&f->lock);
	atomic_store(&f->stop, true);
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	f->started = false;
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->wake);
}

bool follower_stopping(follower_t *f)
{
	return atomic_load(&f->stop);
}

void follower_expose(follower_t *f, int fd)
{
	atomic_store(&f->fd, fd);
}

void follower_withdraw(follower_t *f)
{
	if (atomic_exchange(&f->fd, -1) >= 0) {
		usleep(WITHDRAW_MS * 1000);
	}
}

bool follower_pending(follower_t *f)
{
	struct pollfd p = { .fd = atomic_load(&f->fd), .events = POLLIN };
	return p.fd < 0 || poll(&p, 1, 0) != 0 || atomic_load(&f->busy);
}

bool follower_read(follower_t *f, redisContext *c, follower_message_cb on_message,
                   void (*done)(follower_t *f))
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	if (poll(&p, 1, POLL_MS) <= 0) {
		return true;
	}
	atomic_store(&f->busy, true);
	bool ok = redisBufferRead(c) == REDIS_OK;
	void *reply;
	while (ok && redisGetReplyFromReader(c, &reply) == REDIS_OK && reply != NULL) {
		ok = on_message(f, reply);
		freeReplyObject(reply);
	}
	if (done != NULL) {
		done(f);
	}
	atomic_store(&f->busy, false);
	return ok && c->err == 0;
}
