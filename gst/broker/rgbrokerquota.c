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
 * Produce quotas (the interface is rgbrokerquota.h).
 *
 * The rate
 * ========
 * As Kafka's sampled rate: each key has RG_BROKER_QUOTA_SAMPLES samples,
 * each the bytes recorded during RG_BROKER_QUOTA_SAMPLE_MS from its
 * start; a record that falls after the newest sample's span starts a new
 * one (reusing the oldest), and samples that started a whole window ago
 * or more no longer count. The rate is the bytes of the samples that
 * count over the time they span, from the oldest one's start to now;
 * while that is less than SAMPLES - 1 whole samples, the missing whole
 * samples are added to it, so a new client's first burst is spread over
 * about ten seconds instead of measured as an infinite rate.
 *
 * The throttle
 * ============
 * With B the bytes counted, E the elapsed time (ms) and Q the quota
 * (bytes/s), the rate is B * 1000 / E, and the delay after which it is
 * back at Q if nothing more is sent is (B * 1000 - Q * E) / Q ms (Kafka's
 * (rate - quota) / quota * window), rounded to the nearest ms and capped
 * at RG_BROKER_QUOTA_MAX_THROTTLE_MS.
 *
 * Memory: one entry per key seen in the last window. The table is swept
 * for idle keys whenever it has doubled since the last sweep, so a client
 * reconnecting from new addresses cannot grow it without bound.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerquota.h"

#define WINDOW_MS ((gint64) RG_BROKER_QUOTA_SAMPLES * RG_BROKER_QUOTA_SAMPLE_MS)

typedef struct
{
  gint64 start_ms;
  guint64 bytes;
} QuotaSample;

typedef struct
{
  QuotaSample samples[RG_BROKER_QUOTA_SAMPLES];
  guint newest;                 /* index of the newest sample */
  guint n_samples;              /* samples started so far, at most SAMPLES */
} QuotaKey;

struct _RgBrokerQuota
{
  guint64 bytes_per_second;
  GHashTable *keys;             /* gchar * -> QuotaKey * */
  guint sweep_at;               /* sweep when the table reaches this size */
};

RgBrokerQuota *
rg_broker_quota_new (guint64 bytes_per_second)
{
  RgBrokerQuota *quota = g_new0 (RgBrokerQuota, 1);

  quota->bytes_per_second = MAX (bytes_per_second, 1);
  quota->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  quota->sweep_at = 64;
  return quota;
}

void
rg_broker_quota_free (RgBrokerQuota * quota)
{
  if (!quota)
    return;
  g_hash_table_unref (quota->keys);
  g_free (quota);
}

/* Whether @s still counts at @now_ms. */
static gboolean
sample_counts (const QuotaSample * s, gint64 now_ms)
{
  return now_ms - s->start_ms < WINDOW_MS;
}

static void
key_add (QuotaKey * k, guint64 bytes, gint64 now_ms)
{
  QuotaSample *s = &k->samples[k->newest];

  if (k->n_samples == 0 || now_ms - s->start_ms >= RG_BROKER_QUOTA_SAMPLE_MS) {
    if (k->n_samples > 0)
      k->newest = (k->newest + 1) % RG_BROKER_QUOTA_SAMPLES;
    k->n_samples = MIN (k->n_samples + 1, RG_BROKER_QUOTA_SAMPLES);
    s = &k->samples[k->newest];
    s->start_ms = now_ms;
    s->bytes = 0;
  }
  s->bytes += bytes;
}

/* The bytes that count at @now_ms and the time they span (ms). */
static guint64
key_measure (const QuotaKey * k, gint64 now_ms, gint64 * elapsed_ms)
{
  gint64 oldest = now_ms;
  guint64 bytes = 0;
  gint64 full;
  guint i;

  for (i = 0; i < k->n_samples; i++) {
    const QuotaSample *s = &k->samples[i];

    if (!sample_counts (s, now_ms))
      continue;
    bytes += s->bytes;
    oldest = MIN (oldest, s->start_ms);
  }
  *elapsed_ms = now_ms - oldest;
  full = *elapsed_ms / RG_BROKER_QUOTA_SAMPLE_MS;
  if (full < RG_BROKER_QUOTA_SAMPLES - 1)
    *elapsed_ms += (RG_BROKER_QUOTA_SAMPLES - 1 - full) *
        RG_BROKER_QUOTA_SAMPLE_MS;
  return bytes;
}

static gboolean
key_idle (gpointer name, gpointer value, gpointer data)
{
  const QuotaKey *k = value;
  gint64 now_ms = *(const gint64 *) data;

  return !sample_counts (&k->samples[k->newest], now_ms);
}

static void
quota_sweep (RgBrokerQuota * quota, gint64 now_ms)
{
  guint n;

  if (g_hash_table_size (quota->keys) < quota->sweep_at)
    return;
  g_hash_table_foreach_remove (quota->keys, key_idle, &now_ms);
  n = g_hash_table_size (quota->keys);
  quota->sweep_at = MAX (64, n * 2);
}

guint32
rg_broker_quota_record (RgBrokerQuota * quota, const gchar * key,
    guint64 bytes, gint64 now_ms)
{
  guint64 q = quota->bytes_per_second, counted, allowed;
  QuotaKey *k = g_hash_table_lookup (quota->keys, key);
  gint64 elapsed;

  if (!k) {
    quota_sweep (quota, now_ms);
    k = g_new0 (QuotaKey, 1);
    g_hash_table_insert (quota->keys, g_strdup (key), k);
  }
  key_add (k, bytes, now_ms);
  counted = key_measure (k, now_ms, &elapsed);
  allowed = q * (guint64) elapsed;
  if (counted * 1000 <= allowed)
    return 0;
  return (guint32) MIN ((counted * 1000 - allowed + q / 2) / q,
      (guint64) RG_BROKER_QUOTA_MAX_THROTTLE_MS);
}

guint
rg_broker_quota_get_n_keys (RgBrokerQuota * quota)
{
  return g_hash_table_size (quota->keys);
}
