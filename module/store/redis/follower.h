/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief A background thread that follows one server's messages: the
 *        negative filter's publications on the primary (filter.c), the
 *        value cache's invalidations on the read server (cache.c).
 *
 * The thread calls its follow function for one connection at a time, again
 * after a short nap when it returns true.  While a connection is followed, its
 * socket is exposed to the workers: follower_pending() tells them, without a
 * round trip, that a message has arrived and is not handled yet.
 */

#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <hiredis/hiredis.h>

typedef struct follower follower_t;

/*! Follows one connection; false ends the thread. */
typedef bool (*follower_follow_cb)(follower_t *f);
/*! Handles one message; false when it is not what was expected. */
typedef bool (*follower_message_cb)(follower_t *f, const redisReply *r);

struct follower {
	pthread_t thread;
	bool started;
	atomic_bool stop;
	_Atomic int fd;            /*!< The followed socket, -1 without one. */
	atomic_bool busy;          /*!< Reading or handling messages. */
	pthread_mutex_t lock;      /*!< Guards stop for wake. */
	pthread_cond_t wake;
	follower_follow_cb follow;
};

int follower_start(follower_t *f, follower_follow_cb follow);
void follower_stop(follower_t *f);

/*! Whether the thread was asked to stop. */
bool follower_stopping(follower_t *f);

/*! Shows \a fd to the workers (follower_pending()). */
void follower_expose(follower_t *f, int fd);

/*! Hides the socket again, then waits for workers that may still poll it. */
void follower_withdraw(follower_t *f);

/*! Whether a message is unread on the exposed socket or being handled (or none is exposed). */
bool follower_pending(follower_t *f);

/*!
 * Waits a little for messages on \a c and hands each to \a on_message with
 * busy set; \a done (may be NULL) runs after them, busy still set.  False when
 * the connection broke or a message was not understood.
 */
bool follower_read(follower_t *f, redisContext *c, follower_message_cb on_message,
                   void (*done)(follower_t *f));
