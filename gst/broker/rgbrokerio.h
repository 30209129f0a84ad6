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

#ifndef __RG_BROKER_IO_H__
#define __RG_BROKER_IO_H__

#include <glib.h>

G_BEGIN_DECLS

/* Send threads that the broker's loop hands part of a turn's output to
 * (rgbrokerio.c describes the hand-over). */
typedef struct _RgBrokerIo RgBrokerIo;

typedef void (*RgBrokerIoFunc) (gpointer item);

/* Starts @n_threads threads (at least 1) that run @func. NULL when a
 * thread could not be started. */
RgBrokerIo *rg_broker_io_new (guint n_threads, RgBrokerIoFunc func);

/* Stops and joins the threads. */
void rg_broker_io_free (RgBrokerIo * io);

/* Runs the function on every item of @items: the calling thread takes its
 * share, the threads the rest, in parallel; returns when all are done. */
void rg_broker_io_run (RgBrokerIo * io, gpointer * items, guint n_items);

/*
 * The send chooser: whether large responses go over the send threads or
 * stay on the loop, decided by measurement rather than by the core count.
 * Which one is faster depends on the machine, its load and the response
 * sizes (on one 2-core machine the threads gave 1.15x, on another 0.82x),
 * so the broker tries both in turn and keeps the faster.
 *
 * Probing: epochs of RG_BROKER_SEND_EPOCH_US alternate between the two
 * ways until each has RG_BROKER_SEND_PROBE_EPOCHS epochs that carried
 * traffic (at least RG_BROKER_SEND_EPOCH_MIN_BYTES, 160 MB/s; idle or
 * lightly loaded epochs say nothing, are not counted and do not switch,
 * and below that rate either way keeps up). The threads are kept if their
 * bytes per second beat the loop's by RG_BROKER_SEND_MARGIN (they cost a
 * core's worth of CPU, so a tie goes to the loop alone), and the choice
 * holds for RG_BROKER_SEND_EXPLOIT_US before the next probe, since the
 * machine's load changes. Bytes per second measures the send path because
 * Kafka clients keep one request in flight per connection: the broker's
 * rate is what its readers get. When the source, not the send path, is
 * the limit both ways measure the same and the loop is chosen.
 *
 * Plain struct, loop thread only.
 */
#define RG_BROKER_SEND_EPOCH_US (100 * 1000)
#define RG_BROKER_SEND_PROBE_EPOCHS 3
#define RG_BROKER_SEND_EPOCH_MIN_BYTES (16 * 1024 * 1024)
#define RG_BROKER_SEND_MARGIN 1.03
#define RG_BROKER_SEND_EXPLOIT_US (5 * G_USEC_PER_SEC)

typedef struct
{
  gboolean parallel;            /* the way in use now */
  gboolean probing;
  gint64 epoch_start;
  guint64 epoch_bytes;
  gint64 exploit_until;
  /* Probe sums, [0] the loop alone, [1] the threads. */
  guint64 sum_bytes[2];
  gint64 sum_us[2];
  guint valid[2];
  /* Probes finished, and how many chose the threads (stats, tests). */
  guint64 probes;
  guint64 probes_parallel;
} RgBrokerSendChooser;

/* Starts probing at @now_us (monotonic). */
void rg_broker_send_chooser_init (RgBrokerSendChooser * chooser,
    gint64 now_us);

/* Counts @bytes sent (either way; 0 just lets time pass) at @now_us and
 * moves the epochs on. */
void rg_broker_send_chooser_account (RgBrokerSendChooser * chooser,
    guint64 bytes, gint64 now_us);

G_END_DECLS

#endif /* __RG_BROKER_IO_H__ */
