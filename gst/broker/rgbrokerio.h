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

G_END_DECLS

#endif /* __RG_BROKER_IO_H__ */
