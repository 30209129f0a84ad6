/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The broker's event loop, which knows nothing of Kafka (in the manner of
 * Redis's ae.c): epoll over registered descriptors, level-triggered, each
 * with a callback; after the callbacks of a turn one turn callback runs,
 * and the deadline it returns bounds the next wait (this is how the layers
 * above keep their timers: long-poll deadlines, idle sweeps, the accept
 * pause, request timeouts); and a waker.
 *
 * The waker is an eventfd and a flag. Other threads wake the loop very
 * often (one append per buffer), so a wake-up that finds the flag already
 * set writes nothing: the loop clears the flag after it drained the
 * eventfd and before it runs the turn callback, so an append after the
 * clear writes again, and one before it is seen by the turn that follows.
 * The waker is reference-counted apart from the loop: a topic that holds
 * it may wake a loop that has stopped, and the write then goes to an
 * eventfd nobody reads, instead of to a closed (maybe reused) descriptor.
 * The loop's own thread wakes it as often (a Produce appends on the loop
 * thread, which must then look at the parked Fetches): such a wake-up
 * only sets a flag of the loop thread's own, which the turn that follows
 * reads, and the next wait does not block while it is set, so it costs
 * no eventfd write, no read and no extra turn.
 *
 * A removed source is not freed at once but at the end of the turn: the
 * wait may have returned an event for it that a callback earlier in the
 * same turn made stale (a connection closing another one).
 *
 * Synchronisation is through C11 atomics only, so ThreadSanitizer sees it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgloop.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Events handled per epoll_wait(). */
#define MAX_EVENTS 256
/* Longest wait, so that a lost deadline costs at most this. */
#define MAX_WAIT_MS 1000

G_STATIC_ASSERT (RG_LOOP_IN == EPOLLIN && RG_LOOP_OUT == EPOLLOUT);
G_STATIC_ASSERT (RG_LOOP_ERR == EPOLLERR && RG_LOOP_HUP == EPOLLHUP);

struct _RgWaker
{
  atomic_int ref;
  int fd;
  /* A write is on its way and the loop has not yet drained it. */
  atomic_bool pending;
  /* Woken by the loop's own thread; only that thread touches it. */
  gboolean self_woken;
};

/* The waker of the loop this thread runs, if any. */
static __thread RgWaker *thread_loop_waker;

struct _RgLoopSource
{
  int fd;
  guint32 events;
  RgLoopFdFunc func;
  gpointer user_data;
};

struct _RgLoop
{
  int epoll_fd;
  RgWaker *waker;
  RgLoopTurnFunc turn;
  gpointer turn_data;
  atomic_bool quit;
  /* Sources removed during this turn, freed at its end. */
  GPtrArray *removed;
  /* Busy polling (rg_loop_set_busy_poll()): the window in µs, 0 = off;
   * how long the last wait that found events waited (G_MAXINT64 after a
   * wait that found none). */
  gint64 poll_us;
  gint64 last_gap_us;
};

gint64
rg_loop_now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* ---- Waker ---- */

static RgWaker *
waker_new (void)
{
  RgWaker *waker;
  int fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);

  if (fd < 0)
    return NULL;
  waker = g_new0 (RgWaker, 1);
  atomic_init (&waker->ref, 1);
  waker->fd = fd;
  return waker;
}

RgWaker *
rg_waker_ref (RgWaker * waker)
{
  atomic_fetch_add_explicit (&waker->ref, 1, memory_order_relaxed);
  return waker;
}

void
rg_waker_unref (RgWaker * waker)
{
  if (!waker
      || atomic_fetch_sub_explicit (&waker->ref, 1, memory_order_acq_rel) != 1)
    return;
  close (waker->fd);
  g_free (waker);
}

void
rg_waker_wake (RgWaker * waker)
{
  guint64 one = 1;

  if (waker == thread_loop_waker) {
    waker->self_woken = TRUE;
    return;
  }
  if (atomic_exchange (&waker->pending, TRUE))
    return;
  /* An eventfd write fails only when the counter would overflow, which
   * means the loop has not read earlier wake-ups yet: nothing is lost. */
  if (write (waker->fd, &one, sizeof (one)) < 0)
    return;
}

/* Returns whether the waker had been woken, and re-arms it. */
static gboolean
waker_drain (RgWaker * waker)
{
  guint64 value;
  gboolean woken = read (waker->fd, &value, sizeof (value)) > 0;

  /* After the read (a write between a clear and the read would be eaten,
   * leaving the flag set with nothing pending) and before the turn
   * callback looks at anything (an append after this writes again). */
  atomic_store (&waker->pending, FALSE);
  return woken;
}

/* ---- Loop ---- */

RgLoop *
rg_loop_new (RgLoopTurnFunc turn, gpointer user_data)
{
  RgLoop *loop = g_new0 (RgLoop, 1);
  struct epoll_event ev = { 0, };

  loop->turn = turn;
  loop->turn_data = user_data;
  loop->removed = g_ptr_array_new_with_free_func (g_free);
  loop->last_gap_us = G_MAXINT64;
  loop->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  loop->waker = waker_new ();
  if (loop->epoll_fd < 0 || loop->waker == NULL)
    goto failed;
  ev.events = EPOLLIN;
  ev.data.ptr = loop->waker;
  if (epoll_ctl (loop->epoll_fd, EPOLL_CTL_ADD, loop->waker->fd, &ev) < 0)
    goto failed;
  return loop;

  /* ERRORS */
failed:
  {
    int errsv = errno;

    rg_loop_free (loop);
    errno = errsv;
    return NULL;
  }
}

void
rg_loop_free (RgLoop * loop)
{
  if (!loop)
    return;
  if (loop->epoll_fd >= 0)
    close (loop->epoll_fd);
  rg_waker_unref (loop->waker);
  g_ptr_array_unref (loop->removed);
  g_free (loop);
}

RgLoopSource *
rg_loop_add (RgLoop * loop, int fd, guint32 events, RgLoopFdFunc func,
    gpointer user_data)
{
  RgLoopSource *source = g_new0 (RgLoopSource, 1);
  struct epoll_event ev = { 0, };

  source->fd = fd;
  source->events = events;
  source->func = func;
  source->user_data = user_data;
  ev.events = events;
  ev.data.ptr = source;
  if (epoll_ctl (loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    g_free (source);
    return NULL;
  }
  return source;
}

void
rg_loop_set_events (RgLoop * loop, RgLoopSource * source, guint32 events)
{
  struct epoll_event ev = { 0, };

  if (events == source->events)
    return;
  ev.events = events;
  ev.data.ptr = source;
  if (epoll_ctl (loop->epoll_fd, EPOLL_CTL_MOD, source->fd, &ev) == 0)
    source->events = events;
}

void
rg_loop_remove (RgLoop * loop, RgLoopSource * source)
{
  epoll_ctl (loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
  source->func = NULL;
  source->fd = -1;
  g_ptr_array_add (loop->removed, source);
}

RgWaker *
rg_loop_get_waker (RgLoop * loop)
{
  return loop->waker;
}

void
rg_loop_quit (RgLoop * loop)
{
  atomic_store (&loop->quit, TRUE);
  rg_waker_wake (loop->waker);
}

void
rg_loop_set_busy_poll (RgLoop * loop, guint us)
{
  loop->poll_us = us;
}

/* Polls for up to the window when the last wait was shorter than it,
 * then sleeps in epoll_wait() for up to @timeout ms; notes how long this
 * wait lasted when it found events. */
static int
loop_wait (RgLoop * loop, struct epoll_event *events, int timeout)
{
  gint64 start, now;
  int n;

  if (loop->poll_us == 0 || timeout == 0)
    return epoll_wait (loop->epoll_fd, events, MAX_EVENTS, timeout);
  now = start = g_get_monotonic_time ();
  if (loop->last_gap_us < loop->poll_us) {
    do {
      n = epoll_wait (loop->epoll_fd, events, MAX_EVENTS, 0);
      now = g_get_monotonic_time ();
      if (n != 0) {
        loop->last_gap_us = now - start;
        return n;
      }
    } while (now - start < loop->poll_us);
  }
  n = epoll_wait (loop->epoll_fd, events, MAX_EVENTS, timeout);
  loop->last_gap_us = n > 0 ? g_get_monotonic_time () - start : G_MAXINT64;
  return n;
}

/* Waits for events and calls their callbacks; returns whether the waker
 * was among them, or -1 when the wait failed. */
static int
loop_dispatch (RgLoop * loop, gint64 wait_ms)
{
  struct epoll_event events[MAX_EVENTS];
  gboolean woken = FALSE;
  int i, n;

  n = loop_wait (loop, events, (int) CLAMP (wait_ms, 0, MAX_WAIT_MS));
  if (n < 0)
    return errno == EINTR ? 0 : -1;
  for (i = 0; i < n; i++) {
    RgLoopSource *source = events[i].data.ptr;

    if (events[i].data.ptr == loop->waker)
      woken |= waker_drain (loop->waker);
    else if (source->func)
      source->func (source->user_data, events[i].events);
  }
  return woken;
}

gboolean
rg_loop_run (RgLoop * loop)
{
  gint64 deadline = rg_loop_now_ms ();
  RgWaker *waker = loop->waker;
  gboolean ok = TRUE;

  thread_loop_waker = waker;
  while (!atomic_load (&loop->quit)) {
    int woken = loop_dispatch (loop, waker->self_woken ? 0 :
        deadline - rg_loop_now_ms ());

    if (woken < 0) {
      ok = FALSE;
      break;
    }
    woken |= waker->self_woken;
    waker->self_woken = FALSE;
    deadline = loop->turn (loop->turn_data, rg_loop_now_ms (), woken);
    g_ptr_array_set_size (loop->removed, 0);
  }
  thread_loop_waker = NULL;
  return ok;
}
