/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The clock of value lifetimes, for the answer and update paths, the
 *        store backends and the tool.
 */

#pragma once

#include <stdint.h>
#include <time.h>

/*!
 * Wall-clock time in milliseconds since the epoch (CLOCK_REALTIME):
 * lifetimes survive restarts, so they are kept in wall-clock time.
 */
static inline uint64_t acme_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*! The time \a ms milliseconds from now on \a clock: a pthread_cond_timedwait()
 *  deadline (the condition variable's clock). */
static inline struct timespec acme_deadline(clockid_t clock, unsigned ms)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
