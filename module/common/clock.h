/*  Copyright (C) 2026 knot-acme authors

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
 */

/*!
 * \file
 *
 * \brief The clock of value lifetimes, for the answer and update paths and
 *        the tool.
 */

#pragma once

#include <stdint.h>

/*!
 * Wall-clock time in milliseconds since the epoch (CLOCK_REALTIME):
 * lifetimes survive restarts, so they are kept in wall-clock time.
 *
 * Defined with the store (module/store/store.c) until the store split gives
 * it a file here.
 */
uint64_t acme_now_ms(void);
