/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "util/rgcond.h"

#include <errno.h>
#include <time.h>

void
rg_cond_init_monotonic (pthread_cond_t * cond)
{
  pthread_condattr_t attr;

  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (cond, &attr);
  pthread_condattr_destroy (&attr);
}

gboolean
rg_cond_wait_until (pthread_cond_t * cond, pthread_mutex_t * lock,
    gint64 deadline)
{
  struct timespec ts;

  /* pthread_cond_timedwait() cannot express "forever": a deadline of
   * G_MAXINT64 microseconds overflows nothing, but waiting for it is what
   * the plain wait is for. */
  if (deadline == G_MAXINT64) {
    pthread_cond_wait (cond, lock);
    return TRUE;
  }
  ts.tv_sec = deadline / G_USEC_PER_SEC;
  ts.tv_nsec = (deadline % G_USEC_PER_SEC) * 1000;
  return pthread_cond_timedwait (cond, lock, &ts) != ETIMEDOUT;
}
