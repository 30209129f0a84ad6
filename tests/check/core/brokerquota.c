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

/* Limits on what one client may make the broker hold or take
 * (docs/security.md "Limits"): produce quotas (gst/broker/rgbrokerquota.h),
 * the rate and throttle computation with the time passed in, exactly, and
 * the broker answering a client over its quota with the throttle time the
 * rate implies, its records stored; and max_inflight_bytes holding back an
 * acks=0 producer that runs ahead of a journal's fdatasync. */

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokerquota.h"
#include "record/rgbatch.h"
#include "kafkawire.h"

#define TOPIC "quota-topic"

/* ---- The computation, time injected ---- */

GST_START_TEST (test_quota_rate)
{
  RgBrokerQuota *q = rg_broker_quota_new (1000);

  /* A first burst is spread over ten samples: 5000 B is 500 B/s. */
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 5000, 0), 0);
  /* 11000 B over 10.5 s: 500,000 B*ms over the quota, 500 ms at 1000 B/s. */
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 6000, 500), 500);
  /* Another key has a rate of its own. */
  fail_unless_equals_int (rg_broker_quota_record (q, "b", 100, 500), 0);
  /* Two whole samples passed: elapsed is 2 s plus 8 missing samples. */
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 1000, 2000), 2000);
  /* At 11 s the first sample (11000 B) no longer counts: 1000 B over the
   * 9 s since the second one began, plus one missing sample. */
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 0, 11000), 0);
  /* A huge burst is throttled for the whole window at most. */
  fail_unless_equals_int (rg_broker_quota_record (q, "c", 1000000, 20000),
      RG_BROKER_QUOTA_MAX_THROTTLE_MS);
  rg_broker_quota_free (q);
}

GST_END_TEST;

GST_START_TEST (test_quota_rounding)
{
  RgBrokerQuota *q = rg_broker_quota_new (3);

  /* 30 B over 10 s is the quota exactly. */
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 30, 0), 0);
  /* 31 B: 1000 / 3 = 333.3 ms; 32 B: 666.7 ms, to the nearest ms. */
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 1, 0), 333);
  fail_unless_equals_int (rg_broker_quota_record (q, "a", 1, 0), 667);
  rg_broker_quota_free (q);
}

GST_END_TEST;

GST_START_TEST (test_quota_keys_bounded)
{
  RgBrokerQuota *q = rg_broker_quota_new (1000);
  guint i;

  for (i = 0; i < 100; i++) {
    gchar *key = g_strdup_printf ("10.0.0.%u", i);

    rg_broker_quota_record (q, key, 10, 0);
    g_free (key);
  }
  fail_unless_equals_int (rg_broker_quota_get_n_keys (q), 100);
  /* A whole window later, 100 other keys: the table is swept as it grows
   * (each time it doubles), and only the new keys are left. */
  for (i = 0; i < 100; i++) {
    gchar *key = g_strdup_printf ("10.0.1.%u", i);

    rg_broker_quota_record (q, key, 10, 11000);
    g_free (key);
  }
  fail_unless_equals_int (rg_broker_quota_get_n_keys (q), 100);
  rg_broker_quota_free (q);
}

GST_END_TEST;

/* ---- The broker ---- */

#define QUOTA 28000
#define VALUE_SIZE 100000

/* Produce v7 of one record of VALUE_SIZE bytes. */
static GByteArray *
produce_request_acks (gint32 cid, gint16 acks)
{
  GByteArray *b = kw_request_new (0, 7, cid), *batch;
  guint8 *value = g_malloc0 (VALUE_SIZE);
  RgRecord record = { 0, };
  GError *error = NULL;

  memset (value, 'a' + cid, VALUE_SIZE);
  record.timestamp = 1000 + cid;
  record.value = value;
  record.value_len = VALUE_SIZE;
  batch = rg_batch_encode (0, &record, 1, &error);
  fail_unless (batch != NULL, "%s", error ? error->message : "?");
  g_free (value);
  kw_putstr (b, NULL);             /* transactional id */
  kw_put16 (b, acks);
  kw_put32 (b, 10000);
  kw_put32 (b, 1);
  kw_putstr (b, TOPIC);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  return kw_request_finish (b);
}

static GByteArray *
produce_request (gint32 cid)
{
  return produce_request_acks (cid, 1);
}

/* Sends a Produce and reads its answer: error 0, the base offset, and the
 * throttle time. */
static gint32
produce (int fd, gint32 cid, gsize * request_bytes, gint64 * base)
{
  GByteArray *req = produce_request (cid);
  guint8 *start;
  gsize size;
  KwReader r;
  gint32 throttle;

  *request_bytes = req->len;
  kw_send_request (fd, req);
  start = kw_recv_frame (fd, cid, &size);
  r.p = start;
  r.end = start + size;
  kw_get (&r, 4);                  /* correlation id */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  *base = kw_get (&r, 8);
  kw_get (&r, 8);                  /* log append time */
  kw_get (&r, 8);                  /* log start offset */
  throttle = kw_get (&r, 4);
  fail_unless (r.p == r.end);
  g_free (start);
  return throttle;
}

/* The throttle a rate of @bytes over @elapsed_ms implies (rgbrokerquota.c). */
static gint64
expected_throttle (guint64 bytes, gint64 elapsed_ms)
{
  gint64 excess = (gint64) bytes * 1000 - (gint64) QUOTA * elapsed_ms;

  return excess <= 0 ? 0 : (excess + QUOTA / 2) / QUOTA;
}

GST_START_TEST (test_produce_throttled)
{
  RgBrokerConfig config;
  RgBrokerStats stats;
  GError *error = NULL;
  RgBroker *broker;
  gsize bytes[4];
  guint64 total = 0;
  gint64 base, start, spent, upper;
  gint32 throttle;
  int fd, i;

  rg_broker_config_init (&config);
  config.ingest_batches = 16;
  config.produce_quota = QUOTA;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);

  /* Two requests of about 100 kB are 20 kB/s over the first ten seconds'
   * window: under 28 kB/s, not throttled. */
  start = g_get_monotonic_time ();
  for (i = 0; i < 2; i++) {
    fail_unless_equals_int (produce (fd, i, &bytes[i], &base), 0);
    fail_unless_equals_int64 (base, i);
    total += bytes[i];
  }
  /* The third takes the rate to about 30 kB/s: it is stored and answered,
   * throttled for what brings 300 kB back to 28 kB/s over the window.
   * The broker's elapsed time is 10 s plus what passed since the first
   * request, which the client's clock bounds. */
  throttle = produce (fd, 2, &bytes[2], &base);
  spent = (g_get_monotonic_time () - start) / 1000 + 1;
  total += bytes[2];
  fail_unless_equals_int64 (base, 2);
  upper = expected_throttle (total, 10000);
  fail_unless (upper > 600 && upper < 800, "%" G_GINT64_FORMAT, upper);
  fail_unless (throttle <= upper && throttle >= expected_throttle (total,
          10000 + spent), "throttle %d, expected %" G_GINT64_FORMAT
      " (within %" G_GINT64_FORMAT " ms)", throttle, upper, spent);
  rg_broker_get_stats (broker, &stats);
  fail_unless_equals_uint64 (stats.produce_throttled, 1);

  /* The connection was muted, not closed: the next request is read once
   * the throttle time passed, and stored too. */
  throttle = produce (fd, 3, &bytes[3], &base);
  fail_unless_equals_int64 (base, 3);
  fail_unless (throttle > 0);
  rg_broker_get_stats (broker, &stats);
  fail_unless_equals_uint64 (stats.produce_throttled, 2);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Without a quota nothing is throttled, however fast. */
GST_START_TEST (test_produce_no_quota)
{
  RgBrokerConfig config;
  RgBrokerStats stats;
  GError *error = NULL;
  RgBroker *broker;
  gsize bytes;
  gint64 base;
  int fd, i;

  rg_broker_config_init (&config);
  config.ingest_batches = 16;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);
  for (i = 0; i < 8; i++) {
    fail_unless_equals_int (produce (fd, i, &bytes, &base), 0);
    fail_unless_equals_int64 (base, i);
  }
  rg_broker_get_stats (broker, &stats);
  fail_unless_equals_uint64 (stats.produce_throttled, 0);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- In flight ---- */

#define INFLIGHT_MAX (256 * 1024)
#define ACKS0_REQUESTS 24

static void
rm_rf (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir) {
    while ((name = g_dir_read_name (dir))) {
      gchar *child = g_build_filename (path, name, NULL);

      rm_rf (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

/* An acks=0 producer pipelining 100 kB Produce requests into a
 * journal-backed topic synced every 100 ms: the broker stops reading it
 * once 256 KiB are written and not yet durable, so it never holds more
 * than that plus the request that crossed the bound and the one being
 * read; every record is stored once the syncs catch up. */
GST_START_TEST (test_acks0_inflight_bounded)
{
  gchar *root = g_dir_make_tmp ("rg-limits-XXXXXX", NULL);
  RgBrokerConfig config;
  RgBrokerStats stats;
  GError *error = NULL;
  RgBroker *broker;
  GByteArray *req;
  gsize bytes, request_size = 0;
  gint64 base;
  int fd, i;

  fail_unless (root != NULL);
  rg_broker_config_init (&config);
  config.ingest_batches = 64;
  config.ingest_location = root;
  config.ingest_journal.sync = RG_JOURNAL_SYNC_INTERVAL;
  config.ingest_journal.sync_interval = 100 * GST_MSECOND;
  config.max_inflight_bytes = INFLIGHT_MAX;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);

  for (i = 0; i < ACKS0_REQUESTS; i++) {
    req = produce_request_acks (i, 0);
    request_size = req->len;
    kw_send_request (fd, req);
  }
  /* An acks=1 request behind them is answered once all of them are
   * stored: its record comes after theirs. */
  fail_unless_equals_int (produce (fd, ACKS0_REQUESTS, &bytes, &base), 0);
  fail_unless_equals_int64 (base, ACKS0_REQUESTS);

  rg_broker_get_stats (broker, &stats);
  fail_unless (stats.inflight_pauses > 0);
  fail_unless (stats.inflight_bytes_max >= INFLIGHT_MAX,
      "%" G_GUINT64_FORMAT, stats.inflight_bytes_max);
  fail_unless (stats.inflight_bytes_max <= INFLIGHT_MAX + 2 * request_size,
      "%" G_GUINT64_FORMAT " in flight, bound %d + 2 x %" G_GSIZE_FORMAT,
      stats.inflight_bytes_max, INFLIGHT_MAX, request_size);
  close (fd);
  rg_broker_release (broker);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

static Suite *
brokerquota_suite (void)
{
  Suite *s = suite_create ("brokerquota");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_quota_rate);
  tcase_add_test (tc, test_quota_rounding);
  tcase_add_test (tc, test_quota_keys_bounded);
  tcase_add_test (tc, test_produce_throttled);
  tcase_add_test (tc, test_produce_no_quota);
  tcase_add_test (tc, test_acks0_inflight_bounded);
  return s;
}

GST_CHECK_MAIN (brokerquota);
