/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* util: helpers shared by every layer of libgstrg-1.0, below all of them.
 * It includes nothing of gst-rg. Private to the library: not installed, and
 * nothing here is exported.
 *
 * Condition variables on CLOCK_MONOTONIC, so that a timed wait is not
 * stretched or cut short when someone sets the wall clock. Deadlines are in
 * g_get_monotonic_time() microseconds, which is CLOCK_MONOTONIC on Linux. */

#ifndef __RG_COND_H__
#define __RG_COND_H__

#include <glib.h>
#include <pthread.h>

G_BEGIN_DECLS

/* Initialises @cond to measure timed waits on CLOCK_MONOTONIC. */
void rg_cond_init_monotonic (pthread_cond_t * cond);

/* Waits on @cond, @lock held, until signalled or until @deadline
 * (g_get_monotonic_time() microseconds; G_MAXINT64 waits with no deadline).
 * Returns FALSE on timeout, TRUE when woken (spuriously too: callers re-check
 * their condition in a loop). */
gboolean rg_cond_wait_until (pthread_cond_t * cond, pthread_mutex_t * lock,
    gint64 deadline);

G_END_DECLS

#endif /* __RG_COND_H__ */
