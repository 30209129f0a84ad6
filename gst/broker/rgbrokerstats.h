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
 * The broker's counters and debug category, shared by its modules: the
 * connection layer (rgbrokerconn.c) and the request handlers
 * (rgbrokerdispatch.c) count into one RgBrokerCounters that the facade
 * (rgbroker.c) owns and reads for rg_broker_get_stats(). Not installed.
 *
 * Thread-safety: every field is a C11 atomic; writers use relaxed
 * increments (the fields are independent counts, read for statistics).
 */

#ifndef __RG_BROKER_STATS_H__
#define __RG_BROKER_STATS_H__

#include <gst/gst.h>
#include <stdatomic.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (rg_broker_debug);

typedef struct
{
  atomic_uint connections;
  atomic_ullong connections_total;
  atomic_ullong connections_refused;
  atomic_ullong connections_refused_per_address;
  atomic_ullong closed_request_timeout;
  atomic_ullong closed_partial_bytes;
  atomic_ullong requests;
  atomic_ullong fetches;
  atomic_ullong bytes_served;
  atomic_ullong records_served;
  atomic_ullong malformed;
  atomic_uint fetches_waiting;
  atomic_ullong parallel_sends;
  atomic_ullong produce_throttled;
  atomic_ullong inflight_pauses;
  atomic_ullong inflight_bytes_max;
} RgBrokerCounters;

#define rg_broker_count(counters, field, n) \
  atomic_fetch_add_explicit (&(counters)->field, (n), memory_order_relaxed)

G_END_DECLS

#endif /* __RG_BROKER_STATS_H__ */
