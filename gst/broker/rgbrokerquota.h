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
 * Produce quotas (rgbrokerquota.c): the bytes per second each principal
 * may produce, measured and answered as Kafka's client quotas are. No
 * I/O and no clock of its own: the caller passes the time, so the rate
 * and the throttle it implies are tested exactly. Not installed.
 *
 * The Produce handler records each request's size under the client's
 * quota key and gets back the throttle time: 0 under the quota, else the
 * delay after which the key's rate over the window is back at the quota.
 * The broker answers the request all the same, with that value in
 * throttle_time_ms, and stops reading the connection for that long
 * (KIP-219).
 *
 * Thread-safety: none; the broker's loop thread only.
 */

#ifndef __RG_BROKER_QUOTA_H__
#define __RG_BROKER_QUOTA_H__

#include <glib.h>

G_BEGIN_DECLS

/* Kafka's quota.window.num and quota.window.size.seconds: the rate is
 * measured over 11 samples of 1 s. */
#define RG_BROKER_QUOTA_SAMPLES 11
#define RG_BROKER_QUOTA_SAMPLE_MS 1000

/* The longest throttle: the whole window. A rate that one request took
 * far above the quota is back under it once the window has passed. */
#define RG_BROKER_QUOTA_MAX_THROTTLE_MS \
  (RG_BROKER_QUOTA_SAMPLES * RG_BROKER_QUOTA_SAMPLE_MS)

typedef struct _RgBrokerQuota RgBrokerQuota;

/* A quota of @bytes_per_second (> 0) for every key. */
RgBrokerQuota *rg_broker_quota_new (guint64 bytes_per_second);
void rg_broker_quota_free (RgBrokerQuota * quota);

/* Records @bytes produced by @key at @now_ms (any monotonic clock in ms)
 * and returns the throttle time in ms that the key's rate, this request
 * included, implies: 0 while the rate is at or under the quota. */
guint32 rg_broker_quota_record (RgBrokerQuota * quota, const gchar * key,
    guint64 bytes, gint64 now_ms);

/* The keys tracked now (keys idle for a whole window are dropped). */
guint rg_broker_quota_get_n_keys (RgBrokerQuota * quota);

G_END_DECLS

#endif /* __RG_BROKER_QUOTA_H__ */
