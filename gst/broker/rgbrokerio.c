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
 * Send threads for the broker's loop, after Redis's I/O threads.
 *
 * Why: a large response costs its sender a copy of every byte into the
 * socket (writev) and, on loopback, the receiver's TCP processing too. With
 * one loop thread that is one core's worth of work however many cores the
 * machine has, while readers leave the other core half idle. The loop
 * keeps every decision (parsing, collecting, closing, stats) and only the
 * system calls of a turn's pending output are spread.
 *
 * How: rg_broker_io_run() is a barrier. The loop hands each thread every
 * (n + 1)-th item, works through its own share meanwhile, and waits until
 * each thread is done. Between two runs the threads touch nothing, so an
 * item (a connection) belongs to exactly one thread at any time and needs
 * no lock of its own; the mutex and condition variables of the hand-over
 * order the memory (and let ThreadSanitizer see it).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerio.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

typedef struct
{
  RgBrokerIo *io;
  pthread_t thread;
  gboolean started;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  /* Under lock. */
  gpointer *items;
  guint n_items;
  guint first;
  gboolean busy;
  gboolean stop;
} RgBrokerIoThread;

struct _RgBrokerIo
{
  RgBrokerIoFunc func;
  guint n_threads;
  RgBrokerIoThread *threads;
};

/* Runs the function on items first, first + stride, ... */
static void
run_share (RgBrokerIoFunc func, gpointer * items, guint n_items, guint first,
    guint stride)
{
  guint i;

  for (i = first; i < n_items; i += stride)
    func (items[i]);
}

static void *
io_thread_main (void *data)
{
  RgBrokerIoThread *t = data;
  guint stride = t->io->n_threads + 1;
  sigset_t sigpipe;

  /* sendfile() raises SIGPIPE on a closed socket: blocked here as in the
   * loop thread, where the sender takes the pending signal back. */
  sigemptyset (&sigpipe);
  sigaddset (&sigpipe, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &sigpipe, NULL);

  pthread_mutex_lock (&t->lock);
  for (;;) {
    while (!t->busy && !t->stop)
      pthread_cond_wait (&t->cond, &t->lock);
    if (t->stop)
      break;
    pthread_mutex_unlock (&t->lock);
    run_share (t->io->func, t->items, t->n_items, t->first, stride);
    pthread_mutex_lock (&t->lock);
    t->busy = FALSE;
    pthread_cond_broadcast (&t->cond);
  }
  pthread_mutex_unlock (&t->lock);
  return NULL;
}

RgBrokerIo *
rg_broker_io_new (guint n_threads, RgBrokerIoFunc func)
{
  RgBrokerIo *io = g_new0 (RgBrokerIo, 1);
  guint i;

  io->func = func;
  io->n_threads = MAX (n_threads, 1);
  io->threads = g_new0 (RgBrokerIoThread, io->n_threads);
  for (i = 0; i < io->n_threads; i++) {
    RgBrokerIoThread *t = &io->threads[i];

    t->io = io;
    t->first = i + 1;
    pthread_mutex_init (&t->lock, NULL);
    pthread_cond_init (&t->cond, NULL);
    if (pthread_create (&t->thread, NULL, io_thread_main, t) != 0) {
      rg_broker_io_free (io);
      return NULL;
    }
    t->started = TRUE;
  }
  return io;
}

void
rg_broker_io_free (RgBrokerIo * io)
{
  guint i;

  if (!io)
    return;
  for (i = 0; i < io->n_threads; i++) {
    RgBrokerIoThread *t = &io->threads[i];

    if (t->started) {
      pthread_mutex_lock (&t->lock);
      t->stop = TRUE;
      pthread_cond_broadcast (&t->cond);
      pthread_mutex_unlock (&t->lock);
      pthread_join (t->thread, NULL);
    }
    pthread_mutex_destroy (&t->lock);
    pthread_cond_destroy (&t->cond);
  }
  g_free (io->threads);
  g_free (io);
}

void
rg_broker_io_run (RgBrokerIo * io, gpointer * items, guint n_items)
{
  guint i, n_busy = MIN (io->n_threads, n_items > 0 ? n_items - 1 : 0);

  for (i = 0; i < n_busy; i++) {
    RgBrokerIoThread *t = &io->threads[i];

    pthread_mutex_lock (&t->lock);
    t->items = items;
    t->n_items = n_items;
    t->busy = TRUE;
    pthread_cond_broadcast (&t->cond);
    pthread_mutex_unlock (&t->lock);
  }
  /* With fewer items than threads + 1 the idle threads' shares are empty:
   * the stride stays n_threads + 1 either way. */
  run_share (io->func, items, n_items, 0, io->n_threads + 1);
  for (i = 0; i < n_busy; i++) {
    RgBrokerIoThread *t = &io->threads[i];

    pthread_mutex_lock (&t->lock);
    while (t->busy)
      pthread_cond_wait (&t->cond, &t->lock);
    pthread_mutex_unlock (&t->lock);
  }
}

/* ---- The send chooser (rgbrokerio.h) ---- */

void
rg_broker_send_chooser_init (RgBrokerSendChooser * c, gint64 now_us)
{
  memset (c, 0, sizeof (*c));
  c->probing = TRUE;
  c->parallel = TRUE;
  c->epoch_start = now_us;
}

/* An epoch that carried enough traffic, and did not stretch over an idle
 * spell (epochs end only when the loop turns), is a sample. */
static gboolean
chooser_probe_sample (RgBrokerSendChooser * c, gint64 duration)
{
  guint way = c->parallel ? 1 : 0;

  if (c->epoch_bytes < RG_BROKER_SEND_EPOCH_MIN_BYTES
      || duration > 2 * RG_BROKER_SEND_EPOCH_US)
    return FALSE;
  c->sum_bytes[way] += c->epoch_bytes;
  c->sum_us[way] += duration;
  c->valid[way]++;
  return TRUE;
}

/* Ends the probe: the threads only when clearly faster. */
static void
chooser_decide (RgBrokerSendChooser * c, gint64 now_us)
{
  gdouble loop = (gdouble) c->sum_bytes[0] / MAX (c->sum_us[0], 1);
  gdouble threads = (gdouble) c->sum_bytes[1] / MAX (c->sum_us[1], 1);

  c->parallel = threads > loop * RG_BROKER_SEND_MARGIN;
  c->probing = FALSE;
  c->exploit_until = now_us + RG_BROKER_SEND_EXPLOIT_US;
  c->probes++;
  if (c->parallel)
    c->probes_parallel++;
}

static void
chooser_end_epoch (RgBrokerSendChooser * c, gint64 now_us)
{
  if (c->probing) {
    /* Only a sample moves the probe on: light traffic keeps the way in
     * use (the threads at first, as before there was a chooser). */
    if (chooser_probe_sample (c, now_us - c->epoch_start)) {
      if (c->valid[0] >= RG_BROKER_SEND_PROBE_EPOCHS
          && c->valid[1] >= RG_BROKER_SEND_PROBE_EPOCHS)
        chooser_decide (c, now_us);
      else
        c->parallel = !c->parallel;
    }
  } else if (now_us >= c->exploit_until) {
    memset (c->sum_bytes, 0, sizeof (c->sum_bytes));
    memset (c->sum_us, 0, sizeof (c->sum_us));
    memset (c->valid, 0, sizeof (c->valid));
    c->probing = TRUE;
    /* Start with the way not in use: it is the one whose measurement is
     * oldest. */
    c->parallel = !c->parallel;
  }
  c->epoch_start = now_us;
  c->epoch_bytes = 0;
}

void
rg_broker_send_chooser_account (RgBrokerSendChooser * c, guint64 bytes,
    gint64 now_us)
{
  if (now_us - c->epoch_start >= RG_BROKER_SEND_EPOCH_US)
    chooser_end_epoch (c, now_us);
  c->epoch_bytes += bytes;
}
