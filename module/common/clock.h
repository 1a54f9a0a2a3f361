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
