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
 * DeleteRecords against a running broker (rgbrokerdelete.c): in-memory and
 * journal-backed ingest topics (the log start, fetches below it, the
 * checkpoint across a restart, whole segments deleted), a pipeline's topic
 * refused, and the flexible version's bytes. DeleteGroups and OffsetDelete
 * are tested in group_broker.c (its group helpers) and group.c.
 */

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "kafka/rgkafkadelete.h"
#include "record/rgbatch.h"
#include "kafkawire.h"

/* ---- Fixtures ---- */

static gchar *
make_root (void)
{
  gchar *root = g_dir_make_tmp ("rg-delete-XXXXXX", NULL);

  fail_unless (root != NULL);
  return root;
}

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

/* An ingest broker: in memory without @root, else journal-backed under it
 * with segments of about @segment_bytes. */
static RgBroker *
start_broker (const gchar * root, guint64 segment_bytes)
{
  RgBrokerConfig config;
  RgBroker *broker;
  GError *error = NULL;

  rg_broker_config_init (&config);
  config.ingest_batches = 64;
  config.ingest_location = root;
  config.ingest_journal.sync = RG_JOURNAL_SYNC_ALWAYS;
  if (segment_bytes > 0)
    config.ingest_journal.max_segment_bytes = segment_bytes;
  config.send_threads = 0;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

/* ---- Requests ---- */

/* One batch of @n records of @value_size bytes each. */
static GByteArray *
encode_batch (guint n, gsize value_size)
{
  RgRecord *records = g_new0 (RgRecord, n);
  guint8 *value = g_malloc0 (value_size);
  GByteArray *batch;
  GError *error = NULL;
  guint i;

  for (i = 0; i < n; i++) {
    records[i].timestamp = 1700000000000 + i;
    records[i].value = value;
    records[i].value_len = value_size;
  }
  batch = rg_batch_encode (0, records, n, &error);
  fail_unless (batch != NULL, "%s", error ? error->message : "?");
  g_free (value);
  g_free (records);
  return batch;
}

/* Produce v3 of one batch of @n records into @topic / 0, acks=-1;
 * returns its base offset. */
static gint64
produce (int fd, const gchar * topic, guint n, gsize value_size)
{
  GByteArray *b = kw_request_new (0, 3, 1);
  GByteArray *batch = encode_batch (n, value_size);
  guint8 *body;
  gsize size;
  KwReader r;
  gint64 base;

  kw_putstr (b, NULL);
  kw_put16 (b, -1);
  kw_put32 (b, 30000);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 1, &size);
  r.p = body + 4;
  r.end = body + size;
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  base = kw_get (&r, 8);
  g_free (body);
  return base;
}

/* DeleteRecords v1 of @topic / 0 before @offset: the error, and the low
 * watermark in @low. */
static gint16
delete_records (int fd, const gchar * topic, gint64 offset, gint64 * low)
{
  GByteArray *b = kw_request_new (21, 1, 2);
  guint8 *body;
  gsize size;
  KwReader r;
  gint16 code;

  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, offset);
  kw_put32 (b, 5000);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 2, &size);
  r.p = body + 4;
  r.end = body + size;
  fail_unless_equals_int (kw_get (&r, 4), 0);      /* throttle */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  *low = kw_get (&r, 8);
  code = kw_get (&r, 2);
  fail_unless (r.p == r.end);
  g_free (body);
  return code;
}

/* ListOffsets v1 of @topic / 0 at @timestamp (-2 earliest, -1 latest). */
static gint64
list_offset (int fd, const gchar * topic, gint64 timestamp)
{
  GByteArray *b = kw_request_new (2, 1, 3);
  guint8 *body;
  gsize size;
  KwReader r;
  gint64 offset;

  kw_put32 (b, -1);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, timestamp);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 3, &size);
  r.p = body + 4;
  r.end = body + size;
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  kw_get (&r, 8);
  offset = kw_get (&r, 8);
  g_free (body);
  return offset;
}

/* Fetch v4 of @topic / 0 at @offset (no wait): the partition's error, and
 * the base offset of the first batch returned in @batch_base (-1: none). */
static gint16
fetch (int fd, const gchar * topic, gint64 offset, gint64 * batch_base)
{
  GByteArray *b = kw_request_new (1, 4, 4);
  guint8 *body;
  gsize size;
  KwReader r;
  gint16 code;
  gint32 n_aborted, len;

  kw_put32 (b, -1);
  kw_put32 (b, 0);                 /* MaxWaitMs */
  kw_put32 (b, 0);                 /* MinBytes */
  kw_put32 (b, 1 << 20);
  g_byte_array_append (b, (const guint8 *) "", 1);     /* isolation */
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, offset);
  kw_put32 (b, 1 << 20);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 4, &size);
  r.p = body + 4;
  r.end = body + size;
  kw_get (&r, 4);                  /* throttle */
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  code = kw_get (&r, 2);
  kw_get (&r, 8);                  /* high watermark */
  kw_get (&r, 8);                  /* last stable offset */
  n_aborted = kw_get (&r, 4);
  fail_unless (n_aborted <= 0);
  len = kw_get (&r, 4);
  *batch_base = len >= 8 ? (gint64) GST_READ_UINT64_BE (r.p) : -1;
  g_free (body);
  return code;
}

/* ---- Tests ---- */

/* In memory: the log start moves up, ListOffsets and Fetch agree, a batch
 * that straddles the start stays readable above it, and the errors. */
GST_START_TEST (test_delete_records_memory)
{
  RgBroker *broker = start_broker (NULL, 0);
  gint64 low, batch_base;
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  guint i;

  for (i = 0; i < 3; i++)
    fail_unless_equals_int64 (produce (fd, "mem", 10, 100), i * 10);
  fail_unless_equals_int64 (list_offset (fd, "mem", -2), 0);

  fail_unless_equals_int (delete_records (fd, "mem", 15, &low), 0);
  fail_unless_equals_int64 (low, 15);
  fail_unless_equals_int64 (list_offset (fd, "mem", -2), 15);
  fail_unless_equals_int64 (list_offset (fd, "mem", -1), 30);
  /* Below the start: refused, as Kafka answers a deleted range. */
  fail_unless_equals_int (fetch (fd, "mem", 0, &batch_base), 1);
  fail_unless_equals_int (fetch (fd, "mem", 14, &batch_base), 1);
  /* At the start: the whole batch 10-19 that holds it (clients skip the
   * records below their fetch offset). */
  fail_unless_equals_int (fetch (fd, "mem", 15, &batch_base), 0);
  fail_unless_equals_int64 (batch_base, 10);
  /* A lower offset changes nothing and answers the current start. */
  fail_unless_equals_int (delete_records (fd, "mem", 5, &low), 0);
  fail_unless_equals_int64 (low, 15);
  /* Past the high watermark, and a negative offset other than -1. */
  fail_unless_equals_int (delete_records (fd, "mem", 31, &low), 1);
  fail_unless_equals_int64 (low, -1);
  fail_unless_equals_int (delete_records (fd, "mem", -1001, &low), 1);
  /* -1: everything; new records still arrive after it. */
  fail_unless_equals_int (delete_records (fd, "mem", -1, &low), 0);
  fail_unless_equals_int64 (low, 30);
  fail_unless_equals_int (fetch (fd, "mem", 20, &batch_base), 1);
  fail_unless_equals_int (fetch (fd, "mem", 30, &batch_base), 0);
  fail_unless_equals_int64 (batch_base, -1);
  fail_unless_equals_int64 (produce (fd, "mem", 10, 100), 30);
  fail_unless_equals_int (fetch (fd, "mem", 30, &batch_base), 0);
  fail_unless_equals_int64 (batch_base, 30);
  /* Unknown topic and partition. */
  fail_unless_equals_int (delete_records (fd, "nope", 0, &low), 3);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

static gboolean
segment_exists (const gchar * dir, guint64 base)
{
  gchar *name = g_strdup_printf ("%020" G_GUINT64_FORMAT ".log", base);
  gchar *path = g_build_filename (dir, name, NULL);
  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);

  g_free (path);
  g_free (name);
  return exists;
}

/* A journal-backed ingest topic: whole segments below the start are
 * deleted, the start is in a durable checkpoint, and a restarted broker
 * answers the same. */
GST_START_TEST (test_delete_records_journal)
{
  gchar *root = make_root ();
  gchar *dir = g_build_filename (root, "disk", NULL);
  gchar *checkpoint = g_build_filename (dir, "log-start-offset", NULL);
  gchar *stale = g_build_filename (dir, "log-start-offset.tmp", NULL);
  gchar *text = NULL;
  RgBroker *broker = start_broker (root, 4096);
  gint64 low, batch_base;
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  guint i;

  /* Each 10-record batch of 1000-byte values is past the segment size:
   * segments 0, 10, 20, 30 and 40 (the active one). */
  for (i = 0; i < 5; i++)
    fail_unless_equals_int64 (produce (fd, "disk", 10, 1000), i * 10);
  for (i = 0; i < 5; i++)
    fail_unless (segment_exists (dir, i * 10), "no segment %u", i * 10);
  /* A temporary file left by a crash mid-write is written over. */
  fail_unless (g_file_set_contents (stale, "torn", -1, NULL));

  fail_unless_equals_int (delete_records (fd, "disk", 25, &low), 0);
  fail_unless_equals_int64 (low, 25);
  /* Segments 0 and 10 end below 25; 20 holds 25-29 and stays. */
  fail_if (segment_exists (dir, 0));
  fail_if (segment_exists (dir, 10));
  fail_unless (segment_exists (dir, 20));
  fail_unless (g_file_get_contents (checkpoint, &text, NULL, NULL));
  fail_unless_equals_string (text, "25\n");
  g_free (text);
  fail_unless (!g_file_test (stale, G_FILE_TEST_EXISTS));
  fail_unless_equals_int64 (list_offset (fd, "disk", -2), 25);
  fail_unless_equals_int (fetch (fd, "disk", 20, &batch_base), 1);
  fail_unless_equals_int (fetch (fd, "disk", 25, &batch_base), 0);
  fail_unless_equals_int64 (batch_base, 20);
  fail_unless_equals_int (delete_records (fd, "disk", 51, &low), 1);
  close (fd);
  rg_broker_release (broker);

  /* After a restart: the same start, from the checkpoint. */
  broker = start_broker (root, 4096);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int64 (list_offset (fd, "disk", -2), 25);
  fail_unless_equals_int64 (list_offset (fd, "disk", -1), 50);
  fail_unless_equals_int (fetch (fd, "disk", 24, &batch_base), 1);
  fail_unless_equals_int (fetch (fd, "disk", 25, &batch_base), 0);
  fail_unless_equals_int64 (batch_base, 20);
  /* Everything: the closed segments go, the active one (40) stays. */
  fail_unless_equals_int (delete_records (fd, "disk", -1, &low), 0);
  fail_unless_equals_int64 (low, 50);
  fail_if (segment_exists (dir, 20));
  fail_if (segment_exists (dir, 30));
  fail_unless_equals_int (fetch (fd, "disk", 45, &batch_base), 1);
  fail_unless_equals_int64 (produce (fd, "disk", 1, 10), 50);
  fail_unless_equals_int (fetch (fd, "disk", 50, &batch_base), 0);
  fail_unless_equals_int64 (batch_base, 50);
  close (fd);
  rg_broker_release (broker);

  broker = start_broker (root, 4096);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int64 (list_offset (fd, "disk", -2), 50);
  close (fd);
  rg_broker_release (broker);

  rm_rf (root);
  g_free (stale);
  g_free (checkpoint);
  g_free (dir);
  g_free (root);
}

GST_END_TEST;

/* A damaged checkpoint keeps the topic closed rather than serving records
 * a client deleted. */
GST_START_TEST (test_delete_records_bad_checkpoint)
{
  gchar *root = make_root ();
  gchar *dir = g_build_filename (root, "disk", NULL);
  gchar *checkpoint = g_build_filename (dir, "log-start-offset", NULL);
  RgBroker *broker = start_broker (root, 0);
  gint64 low;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  fail_unless_equals_int64 (produce (fd, "disk", 10, 10), 0);
  fail_unless_equals_int (delete_records (fd, "disk", 4, &low), 0);
  close (fd);
  rg_broker_release (broker);

  fail_unless (g_file_set_contents (checkpoint, "4x\n", -1, NULL));
  broker = start_broker (root, 0);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  /* The topic did not open: the name is unknown. */
  fail_unless_equals_int (delete_records (fd, "disk", 5, &low), 3);
  close (fd);
  rg_broker_release (broker);

  rm_rf (root);
  g_free (checkpoint);
  g_free (dir);
  g_free (root);
}

GST_END_TEST;

/* A pipeline's topic keeps what its pipeline wrote: POLICY_VIOLATION,
 * and nothing moves. */
GST_START_TEST (test_delete_records_served_topic)
{
  RgBroker *broker = start_broker (NULL, 0);
  GError *error = NULL;
  RgBrokerTopic *topic = rg_broker_add_topic (broker, "camera", 16, &error);
  GstBuffer *buf;
  gint64 low;
  int fd;
  guint i;

  fail_unless (topic != NULL, "%s", error ? error->message : "?");
  for (i = 0; i < 3; i++) {
    buf = gst_buffer_new_allocate (NULL, 10, NULL);
    fail_unless (rg_broker_topic_append (topic, buf, 1000 + i, NULL, NULL,
            NULL));
    gst_buffer_unref (buf);
  }
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (delete_records (fd, "camera", 2, &low), 44);
  fail_unless_equals_int64 (low, -1);
  fail_unless_equals_int64 (list_offset (fd, "camera", -2), 0);
  close (fd);
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
}

GST_END_TEST;

static void
put_uvarint (GByteArray * b, guint32 v)
{
  while (v >= 0x80) {
    guint8 x = (v & 0x7f) | 0x80;

    g_byte_array_append (b, &x, 1);
    v >>= 7;
  }
  g_byte_array_append (b, (guint8 *) & v, 1);
}

/* DeleteRecords v2, the flexible version, byte for byte both ways. */
GST_START_TEST (test_delete_records_flexible)
{
  RgBroker *broker = start_broker (NULL, 0);
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  GByteArray *b;
  guint8 *body;
  gsize size;
  static const guint8 expected[] = {
    0x00,                       /* response header tags */
    0, 0, 0, 0,                 /* throttle */
    0x02,                       /* one topic */
    0x04, 'f', 'l', 'x',
    0x02,                       /* one partition */
    0, 0, 0, 0,                 /* partition 0 */
    0, 0, 0, 0, 0, 0, 0, 7,     /* low watermark 7 */
    0, 0,                       /* no error */
    0x00, 0x00, 0x00            /* partition, topic and body tags */
  };

  fail_unless_equals_int64 (produce (fd, "flx", 10, 10), 0);
  b = kw_request_new (21, 2, 9);
  put_uvarint (b, 0);           /* request header tags */
  put_uvarint (b, 2);
  put_uvarint (b, 4);
  g_byte_array_append (b, (const guint8 *) "flx", 3);
  put_uvarint (b, 2);
  kw_put32 (b, 0);
  kw_put64 (b, 7);
  put_uvarint (b, 0);
  put_uvarint (b, 0);
  kw_put32 (b, 1000);
  put_uvarint (b, 0);
  kw_send_request (fd, kw_request_finish (b));
  body = kw_recv_frame (fd, 9, &size);
  fail_unless_equals_int ((gint) size - 4, (gint) sizeof (expected));
  fail_unless (memcmp (body + 4, expected, sizeof (expected)) == 0);
  g_free (body);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- The codec on damaged frames ---- */

/* A frame (no size prefix) of DeleteRecords @version: topics "a" (0 at
 * 5, 1 at -1) and "bb" (2 at 7). */
static GByteArray *
delete_records_frame (gint16 version)
{
  gboolean flex = version >= 2;
  GByteArray *b = kw_request_new (21, version, 5);
  guint t, p;
  static const gchar *names[] = { "a", "bb" };
  static const guint n_parts[] = { 2, 1 };

  if (flex)
    put_uvarint (b, 0);
  if (flex)
    put_uvarint (b, 3);
  else
    kw_put32 (b, 2);
  for (t = 0; t < 2; t++) {
    if (flex) {
      put_uvarint (b, strlen (names[t]) + 1);
      g_byte_array_append (b, (const guint8 *) names[t], strlen (names[t]));
      put_uvarint (b, n_parts[t] + 1);
    } else {
      kw_putstr (b, names[t]);
      kw_put32 (b, n_parts[t]);
    }
    for (p = 0; p < n_parts[t]; p++) {
      kw_put32 (b, t * 2 + p);
      kw_put64 (b, p == 1 ? -1 : (gint64) (5 + t * 2));
      if (flex)
        put_uvarint (b, 0);
    }
    if (flex)
      put_uvarint (b, 0);
  }
  kw_put32 (b, 1000);
  if (flex)
    put_uvarint (b, 0);
  g_byte_array_remove_range (b, 0, 4);
  return b;
}

/* DeleteGroups @version of "g1", "g2"; OffsetDelete v0 of "g" t/0, t/3,
 * u/1. */
static GByteArray *
delete_groups_frame (gint16 version)
{
  gboolean flex = version >= 2;
  GByteArray *b = kw_request_new (42, version, 6);

  if (flex) {
    put_uvarint (b, 0);
    put_uvarint (b, 3);
    put_uvarint (b, 3);
    g_byte_array_append (b, (const guint8 *) "g1", 2);
    put_uvarint (b, 3);
    g_byte_array_append (b, (const guint8 *) "g2", 2);
    put_uvarint (b, 0);
  } else {
    kw_put32 (b, 2);
    kw_putstr (b, "g1");
    kw_putstr (b, "g2");
  }
  g_byte_array_remove_range (b, 0, 4);
  return b;
}

static GByteArray *
offset_delete_frame (void)
{
  GByteArray *b = kw_request_new (47, 0, 7);

  kw_putstr (b, "g");
  kw_put32 (b, 2);
  kw_putstr (b, "t");
  kw_put32 (b, 2);
  kw_put32 (b, 0);
  kw_put32 (b, 3);
  kw_putstr (b, "u");
  kw_put32 (b, 1);
  kw_put32 (b, 1);
  g_byte_array_remove_range (b, 0, 4);
  return b;
}

static RgKafkaRequest *
parse_delete (const guint8 * data, gsize len)
{
  switch (GST_READ_UINT16_BE (data)) {
    case 21:
      return rg_kafka_request_parse_other (data, len,
          RG_KAFKA_DELETE_RECORDS_FIRST_FLEXIBLE,
          rg_kafka_parse_delete_records,
          rg_kafka_delete_records_request_free, NULL, NULL);
    case 42:
      return rg_kafka_request_parse_other (data, len,
          RG_KAFKA_DELETE_GROUPS_FIRST_FLEXIBLE, rg_kafka_parse_delete_groups,
          rg_kafka_delete_groups_request_free, NULL, NULL);
    default:
      return rg_kafka_request_parse_other (data, len,
          RG_KAFKA_OFFSET_DELETE_FIRST_FLEXIBLE, rg_kafka_parse_offset_delete,
          rg_kafka_offset_delete_request_free, NULL, NULL);
  }
}

/* What each sample parses to, field by field. */
static void
check_sample (const RgKafkaRequest * req, gint16 api_key)
{
  if (api_key == 21) {
    const RgKafkaDeleteRecordsRequest *dr = req->body.other.body;

    fail_unless_equals_int (dr->n_topics, 2);
    fail_unless (rg_kafka_str_equal (dr->topics[1].name, "bb"));
    fail_unless_equals_int (dr->topics[0].n_partitions, 2);
    fail_unless_equals_int64 (dr->topics[0].partitions[0].offset, 5);
    fail_unless_equals_int64 (dr->topics[0].partitions[1].offset, -1);
    fail_unless_equals_int (dr->topics[1].partitions[0].partition, 2);
    fail_unless_equals_int64 (dr->topics[1].partitions[0].offset, 7);
    fail_unless_equals_int (dr->timeout_ms, 1000);
  } else if (api_key == 42) {
    const RgKafkaDeleteGroupsRequest *dg = req->body.other.body;

    fail_unless_equals_int (dg->n_groups, 2);
    fail_unless (rg_kafka_str_equal (dg->groups[1], "g2"));
  } else {
    const RgKafkaOffsetDeleteRequest *od = req->body.other.body;

    fail_unless (rg_kafka_str_equal (od->group_id, "g"));
    fail_unless_equals_int (od->n_partitions, 3);
    fail_unless (rg_kafka_str_equal (od->partitions[1].topic, "t"));
    fail_unless_equals_int (od->partitions[1].partition, 3);
    fail_unless (rg_kafka_str_equal (od->partitions[2].topic, "u"));
  }
}

/* Each sample parses to its fields; every truncation is refused; every
 * byte set to 0x00, 0x7f, 0x80 and 0xff parses or is refused without
 * reading outside the frame (ASan watches). */
GST_START_TEST (test_parsers_on_damaged_frames)
{
  static const guint8 values[] = { 0x00, 0x7f, 0x80, 0xff };
  GByteArray *frames[] = { delete_records_frame (0), delete_records_frame (1),
    delete_records_frame (2), delete_groups_frame (0),
    delete_groups_frame (2), offset_delete_frame ()
  };
  guint f, len, pos, v;

  for (f = 0; f < G_N_ELEMENTS (frames); f++) {
    GByteArray *frame = frames[f];
    RgKafkaRequest *req = parse_delete (frame->data, frame->len);
    guint8 *copy;

    fail_unless (req != NULL, "sample %u does not parse", f);
    check_sample (req, GST_READ_UINT16_BE (frame->data));
    rg_kafka_request_free (req);
    for (len = 10; len < frame->len; len++) {
      copy = g_memdup2 (frame->data, len);
      fail_unless (parse_delete (copy, len) == NULL,
          "sample %u cut at %u parses", f, len);
      g_free (copy);
    }
    for (pos = 10; pos < frame->len; pos++) {
      for (v = 0; v < G_N_ELEMENTS (values); v++) {
        copy = g_memdup2 (frame->data, frame->len);
        copy[pos] = values[v];
        rg_kafka_request_free (parse_delete (copy, frame->len));
        g_free (copy);
      }
    }
    g_byte_array_unref (frame);
  }
}

GST_END_TEST;

/* The responses' bytes: OffsetDelete groups consecutive partitions of a
 * topic into one entry, and DeleteGroups v2 is compact. */
GST_START_TEST (test_responses)
{
  RgKafkaOffsetDeletePartition parts[3] = {
    {RG_KAFKA_STR_NULL, 0, 0}, {RG_KAFKA_STR_NULL, 3, 86},
    {RG_KAFKA_STR_NULL, 1, 3}
  };
  RgKafkaDeletableGroupResult groups[1] = { {RG_KAFKA_STR_NULL, 69} };
  static const guint8 offset_delete_bytes[] = {
    0, 0,                       /* error */
    0, 0, 0, 0,                 /* throttle */
    0, 0, 0, 2,                 /* two topics */
    0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 86,
    0, 1, 'u', 0, 0, 0, 1, 0, 0, 0, 1, 0, 3
  };
  static const guint8 delete_groups_bytes[] = {
    0x00,                       /* header tags */
    0, 0, 0, 0, 0x02, 0x02, 'g', 0, 69, 0x00, 0x00
  };
  RgKafkaResponse *resp;
  GByteArray *bytes;

  parts[0].topic = parts[1].topic = rg_kafka_str_from_cstr ("t");
  parts[2].topic = rg_kafka_str_from_cstr ("u");
  resp = rg_kafka_build_offset_delete_response (9, 0, 0, 0, parts, 3, NULL);
  fail_unless (resp != NULL);
  bytes = rg_kafka_response_flatten (resp);
  fail_unless_equals_int (bytes->len, 8 + sizeof (offset_delete_bytes));
  fail_unless (memcmp (bytes->data + 8, offset_delete_bytes,
          sizeof (offset_delete_bytes)) == 0);
  g_byte_array_unref (bytes);
  rg_kafka_response_free (resp);

  groups[0].group_id = rg_kafka_str_from_cstr ("g");
  resp = rg_kafka_build_delete_groups_response (9, 2, 0, groups, 1, NULL);
  bytes = rg_kafka_response_flatten (resp);
  fail_unless_equals_int (bytes->len, 8 + sizeof (delete_groups_bytes));
  fail_unless (memcmp (bytes->data + 8, delete_groups_bytes,
          sizeof (delete_groups_bytes)) == 0);
  g_byte_array_unref (bytes);
  rg_kafka_response_free (resp);
  /* Versions outside the codec's. */
  fail_unless (rg_kafka_build_delete_groups_response (9, 3, 0, groups, 1,
          NULL) == NULL);
  fail_unless (rg_kafka_build_offset_delete_response (9, 1, 0, 0, parts, 3,
          NULL) == NULL);
}

GST_END_TEST;

static Suite *
brokerdelete_suite (void)
{
  Suite *s = suite_create ("brokerdelete");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_delete_records_memory);
  tcase_add_test (tc, test_delete_records_journal);
  tcase_add_test (tc, test_delete_records_bad_checkpoint);
  tcase_add_test (tc, test_delete_records_served_topic);
  tcase_add_test (tc, test_delete_records_flexible);
  tcase_add_test (tc, test_parsers_on_damaged_frames);
  tcase_add_test (tc, test_responses);
  return s;
}

GST_CHECK_MAIN (brokerdelete);
