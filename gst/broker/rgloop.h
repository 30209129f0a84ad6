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
 * An event loop that knows no protocol (rgloop.c): file descriptors with
 * callbacks, one "turn" callback that also says when the loop must wake
 * next (timers), and a waker other threads use to interrupt the wait.
 * The broker's lowest layer; it includes nothing of gst-rg. Not installed.
 *
 * Thread-safety: rg_loop_run() runs on one thread, the loop thread; every
 * other function of RgLoop is for that thread only, except rg_loop_quit()
 * and the waker's functions, which any thread may call.
 *
 * Ownership: the loop never closes a descriptor it is given; the caller
 * removes it (rg_loop_remove()) before closing it.
 *
 * Errors: rg_loop_new() fails only when epoll or the eventfd cannot be
 * created (errno is then set); a failed epoll_wait() other than EINTR
 * ends rg_loop_run() with FALSE.
 */

#ifndef __RG_LOOP_H__
#define __RG_LOOP_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RgLoop RgLoop;
typedef struct _RgLoopSource RgLoopSource;
typedef struct _RgWaker RgWaker;

/* Readiness bits, the same values as EPOLLIN, EPOLLOUT, EPOLLERR and
 * EPOLLHUP, so that callers need not include <sys/epoll.h>. */
#define RG_LOOP_IN 0x001
#define RG_LOOP_OUT 0x004
#define RG_LOOP_ERR 0x008
#define RG_LOOP_HUP 0x010

/* Called on the loop thread with the readiness bits of its descriptor. It
 * may remove its own source, or any other. */
typedef void (*RgLoopFdFunc) (gpointer user_data, guint32 events);

/* Called once per turn on the loop thread, after the ready descriptors'
 * callbacks: @now is monotonic ms, @woken says whether the waker was woken
 * since the last turn. Returns the monotonic ms by which the loop must
 * turn again (G_MAXINT64: when a descriptor or the waker says so), or
 * @now to turn again at once. */
typedef gint64 (*RgLoopTurnFunc) (gpointer user_data, gint64 now,
    gboolean woken);

/* Monotonic milliseconds, the loop's clock. */
gint64 rg_loop_now_ms (void);

/* A new loop, NULL with errno set when epoll or the eventfd failed. */
RgLoop *rg_loop_new (RgLoopTurnFunc turn, gpointer user_data);

/* Frees the loop (not running) and drops its reference on the waker. */
void rg_loop_free (RgLoop * loop);

/* Busy polling (0, the default: off). After a wait that found events
 * within @us microseconds, the next wait first polls (epoll_wait with no
 * timeout) for up to @us before it sleeps: a loop whose clients answer
 * quickly skips the sleep and wake-up of an idle CPU, at the price of the
 * CPU it polls with. A wait that slept longer than @us turns polling off
 * until a wait is that short again, so sparse traffic costs nothing.
 * Before rg_loop_run(), or from the loop's thread. */
void rg_loop_set_busy_poll (RgLoop * loop, guint us);

/* Watches @fd for @events (RG_LOOP_IN/OUT; ERR and HUP always). NULL when
 * epoll refuses it (errno set). Loop thread, or before rg_loop_run(). */
RgLoopSource *rg_loop_add (RgLoop * loop, int fd, guint32 events,
    RgLoopFdFunc func, gpointer user_data);

/* Changes the watched events; a no-op when they are the same. */
void rg_loop_set_events (RgLoop * loop, RgLoopSource * source,
    guint32 events);

/* Stops watching and frees @source; its descriptor stays open. Events of
 * it already returned by this turn's wait are not delivered. */
void rg_loop_remove (RgLoop * loop, RgLoopSource * source);

/* The loop's waker (transfer none): hand it, with rg_waker_ref(), to
 * whatever must wake the loop from another thread. */
RgWaker *rg_loop_get_waker (RgLoop * loop);

/* Runs turns until rg_loop_quit(); FALSE when epoll_wait() failed. */
gboolean rg_loop_run (RgLoop * loop);

/* Makes rg_loop_run() return after its current turn. Any thread. */
void rg_loop_quit (RgLoop * loop);

/* Wakes the loop: its next turn runs with @woken TRUE. Wake-ups between
 * two turns are merged into one. Any thread, also after the loop is freed
 * (a waker lives as long as its last reference). */
void rg_waker_wake (RgWaker * waker);

RgWaker *rg_waker_ref (RgWaker * waker);
void rg_waker_unref (RgWaker * waker);

G_END_DECLS

#endif /* __RG_LOOP_H__ */
