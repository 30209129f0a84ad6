/* gst-rg
 * Copyright (C) 2026 gst-rg authors
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

/* rgsrc in kafka:// mode against the embedded broker of rgbrokersink: the
 * consumer is librdkafka, the broker our own, both in this process. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <gst/base/gstbasesrc.h>
#include <string.h>

#include "client/rgkafkaconsumer.h"
#include "record/rgmeta.h"

#include <librdkafka/rdkafka.h>

#define CAPS "video/x-test, width=(int)4, height=(int)3"
#define KEYFRAME_EVERY 5
/* Record i's timestamp: 2026-01-01 00:00:00 UTC + i seconds. */
#define BASE_MS G_GINT64_CONSTANT (1767225600000)

/* A broker-side harness: rgbrokersink serving @topic on @port (0: any),
 * with more properties of the sink as a NULL-terminated list. */
static GstHarness *
broker_new_full (const gchar * topic, guint port, const gchar * location,
    const gchar * first_property, ...)
{
  GstElement *sink = gst_element_factory_make ("rgbrokersink", NULL);
  GstHarness *h;
  va_list ap;

  fail_unless (sink != NULL);
  g_object_set (sink, "port", port, "topic", topic, NULL);
  if (location) {
    g_object_set (sink, "location", location, NULL);
    gst_util_set_object_arg (G_OBJECT (sink), "journal-sync", "none");
  }
  va_start (ap, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (sink), first_property, ap);
  va_end (ap);
  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_object_unref (sink);
  gst_harness_set_src_caps_str (h, CAPS);
  gst_harness_play (h);
  return h;
}

static GstHarness *
broker_new (const gchar * topic, guint port, const gchar * location)
{
  return broker_new_full (topic, port, location, NULL);
}

static guint
broker_port (GstHarness * h)
{
  guint port = 0;

  g_object_get (h->element, "bound-port", &port, NULL);
  fail_unless (port > 0);
  return port;
}

static void
rm_rf (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (d) {
    while ((name = g_dir_read_name (d))) {
      gchar *child = g_build_filename (path, name, NULL);

      rm_rf (child);
      g_free (child);
    }
    g_dir_close (d);
  }
  g_remove (path);
}

static gsize
payload_size (guint i)
{
  return 1 + (i * 37) % 3000;
}

/* Record @i: recognisable bytes, timestamps and a keyframe every
 * KEYFRAME_EVERY records. */
static void
push (GstHarness * h, guint i)
{
  gsize size = payload_size (i);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstCaps *unix_caps;
  GstMapInfo map;
  gsize j;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (j = 0; j < size; j++)
    map.data[j] = (guint8) (i * 7 + j);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = i * 40 * GST_MSECOND + 5;
  GST_BUFFER_DTS (buf) = i * 40 * GST_MSECOND;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  if (i % KEYFRAME_EVERY)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  /* rgbrokersink takes the record timestamp from this meta. */
  unix_caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  gst_buffer_add_reference_timestamp_meta (buf, unix_caps,
      (BASE_MS + i * 1000) * GST_MSECOND, GST_CLOCK_TIME_NONE);
  gst_caps_unref (unix_caps);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
}

static void
push_range (GstHarness * h, guint from, guint to)
{
  guint i;

  for (i = from; i < to; i++)
    push (h, i);
}

static GstHarness *
source_new (const gchar * uri)
{
  GstElement *src = gst_element_factory_make ("rgsrc", NULL);
  GstHarness *h;

  fail_unless (src != NULL);
  g_object_set (src, "location", uri, NULL);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_object_unref (src);
  gst_harness_play (h);
  return h;
}

static GstHarness *
source_new_printf (const gchar * fmt, ...) G_GNUC_PRINTF (1, 2);

static GstHarness *
source_new_printf (const gchar * fmt, ...)
{
  GstHarness *h;
  va_list ap;
  gchar *uri;

  va_start (ap, fmt);
  uri = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  h = source_new (uri);
  g_free (uri);
  return h;
}

/* Pulls one buffer and checks it is record @i, byte for byte, with its
 * flags, offset and GstRgMeta; with @exact_ts, the record timestamp taken
 * from the buffer's timestamp/x-unix meta too. */
static void
pull_check (GstHarness * h, guint i, gboolean exact_ts)
{
  GstBuffer *buf = gst_harness_pull (h);
  GstRgMeta *meta;
  GstMapInfo map;
  gsize j;

  fail_unless (buf != NULL, "no buffer for record %u", i);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), i);
  fail_unless_equals_uint64 (gst_buffer_get_size (buf), payload_size (i));
  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (j = 0; j < map.size; j++)
    if (map.data[j] != (guint8) (i * 7 + j))
      fail ("record %u differs at byte %" G_GSIZE_FORMAT, i, j);
  gst_buffer_unmap (buf, &map);
  meta = gst_buffer_get_rg_meta (buf);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (gst_rg_meta_get_offset (meta), i);
  if (exact_ts) {
    fail_unless_equals_int64 (gst_rg_meta_get_timestamp (meta),
        BASE_MS + i * 1000);
  } else {
    fail_unless (gst_rg_meta_get_timestamp (meta) > 0);
  }
  fail_unless_equals_int ((i % KEYFRAME_EVERY) != 0,
      GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (buf);
}

static void
pull_expect (GstHarness * h, guint i)
{
  pull_check (h, i, TRUE);
}

/* A non-live source's PTS/DTS/duration come back exactly. */
static void
pull_expect_timestamps (GstHarness * h, guint i)
{
  GstBuffer *buf = gst_harness_pull (h);

  fail_unless (buf != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), i);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), i * 40 * GST_MSECOND + 5);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), i * 40 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), 40 * GST_MSECOND);
  gst_buffer_unref (buf);
}

static void
expect_eos (GstHarness * h)
{
  GstEvent *ev;

  while ((ev = gst_harness_pull_event (h))) {
    gboolean eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;

    gst_event_unref (ev);
    if (eos)
      return;
  }
  fail ("no EOS");
}

static void
expect_caps (GstHarness * h)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstCaps *want = gst_caps_from_string (CAPS);

  fail_unless (caps != NULL);
  fail_unless (gst_caps_is_equal (caps, want), "caps %" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  gst_caps_unref (want);
}

GST_START_TEST (test_round_trip)
{
  GstHarness *b = broker_new ("rt", 0, NULL);
  GstHarness *s;
  guint i, n = 50;

  push_range (b, 0, n);
  s = source_new_printf ("kafka://127.0.0.1:%u/rt", broker_port (b));
  for (i = 0; i < n; i++)
    pull_expect (s, i);
  expect_caps (s);
  expect_eos (s);
  gst_harness_teardown (s);

  /* Timestamps, read again from the start. */
  s = source_new_printf ("kafka://127.0.0.1:%u/rt?start=earliest",
      broker_port (b));
  for (i = 0; i < n; i++)
    pull_expect_timestamps (s, i);
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

typedef struct
{
  GstHarness *broker;
  gint next;
  gint stop;
} Appender;

/* Keeps the topic live: a record every 10 ms, well under the consumer's
 * fetch.wait.max.ms, so that the broker answers every long-poll fetch
 * with new records and never with an empty response at the end. */
static gpointer
appender_run (gpointer data)
{
  Appender *a = data;

  while (!g_atomic_int_get (&a->stop)) {
    push (a->broker, g_atomic_int_get (&a->next));
    g_atomic_int_inc (&a->next);
    g_usleep (10 * 1000);
  }
  return NULL;
}

/* Without follow, a source of a topic that keeps growing ends (EOS) at the
 * high watermark it found when it started: an export of a live stream
 * finishes. "When it started" includes the answer to its first fetch,
 * which may carry a few records appended meanwhile, never more. */
GST_START_TEST (test_live_topic_ends_at_start_end)
{
  GstHarness *b = broker_new ("live", 0, NULL);
  Appender a = { b, 20, 0 };
  GThread *thread;
  GstHarness *s;
  GstBuffer *buf;
  guint n;
  gint appended;

  push_range (b, 0, 20);
  s = source_new_printf ("kafka://127.0.0.1:%u/live", broker_port (b));
  thread = g_thread_new ("appender", appender_run, &a);
  expect_eos (s);
  appended = g_atomic_int_get (&a.next);
  /* Every record up to the end, in order, and nothing after it, although
   * the appender kept going. */
  for (n = 0; (buf = gst_harness_try_pull (s)); n++) {
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), n);
    gst_buffer_unref (buf);
  }
  fail_unless (n >= 20 && n <= (guint) appended, "%u records of %d", n,
      appended);
  g_usleep (100 * 1000);
  fail_unless (gst_harness_try_pull (s) == NULL);
  g_atomic_int_set (&a.stop, 1);
  g_thread_join (thread);
  fail_unless ((guint) a.next > n, "the topic did not grow: %d", a.next);
  gst_harness_teardown (s);

  /* start=latest without follow on the topic, now idle: nothing to read,
   * EOS at once. */
  s = source_new_printf ("kafka://127.0.0.1:%u/live?start=latest",
      broker_port (b));
  expect_eos (s);
  fail_unless_equals_int (gst_harness_buffers_received (s), 0);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

/* What a probe on rgsrc's src pad saw of the sticky events and buffers:
 * caps must come before the segment, and before any buffer once a stream
 * has caps at all. */
typedef struct
{
  gboolean caps, segment;
  guint caps_after_segment;
  guint buffers_before_caps;
} EventOrder;

static GstPadProbeReturn
order_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  EventOrder *o = user_data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    if (!o->caps)
      o->buffers_before_caps++;
    return GST_PAD_PROBE_OK;
  }
  switch (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info))) {
    case GST_EVENT_CAPS:
      if (o->segment)
        o->caps_after_segment++;
      o->caps = TRUE;
      break;
    case GST_EVENT_SEGMENT:
      o->segment = TRUE;
      break;
    default:
      break;
  }
  return GST_PAD_PROBE_OK;
}

/* A source of @uri whose src pad is watched by @order. */
static GstHarness *
source_new_watched (EventOrder * order, const gchar * fmt, ...)
    G_GNUC_PRINTF (2, 3);

static GstHarness *
source_new_watched (EventOrder * order, const gchar * fmt, ...)
{
  GstElement *src = gst_element_factory_make ("rgsrc", NULL);
  GstHarness *h;
  GstPad *pad;
  va_list ap;
  gchar *uri;

  va_start (ap, fmt);
  uri = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fail_unless (src != NULL);
  g_object_set (src, "location", uri, NULL);
  g_free (uri);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, order_probe, order, NULL);
  gst_object_unref (pad);
  h = gst_harness_new_with_element (src, NULL, "src");
  gst_object_unref (src);
  gst_harness_play (h);
  return h;
}

static void
expect_order (const EventOrder * o)
{
  fail_unless (o->caps);
  fail_unless_equals_int (o->caps_after_segment, 0);
  fail_unless_equals_int (o->buffers_before_caps, 0);
}

/* A follower that starts at the end of a live in-memory topic, whose next
 * record is a delta unit without caps: the caps of the last keyframe
 * before the end go out first, before the segment, and the first record is
 * the one after the end. (It used to push the segment, then the caps of
 * the next keyframe: "Sticky event misordering, got 'segment' before
 * 'caps'".) */
GST_START_TEST (test_caps_before_segment_at_latest)
{
  GstHarness *b = broker_new ("capl", 0, NULL);
  EventOrder order = { 0, };
  GstHarness *s;
  guint i;

  /* 10 is the last keyframe, 11 and 12 deltas; 13 comes next. */
  push_range (b, 0, 13);
  s = source_new_watched (&order,
      "kafka://127.0.0.1:%u/capl?start=latest&follow=true", broker_port (b));
  push_range (b, 13, 25);
  for (i = 13; i < 25; i++)
    pull_expect (s, i);
  expect_caps (s);
  expect_order (&order);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

/* The ring moved past the last record with caps: the deltas before the
 * next keyframe cannot be decoded and their caps are unknown, so the
 * source starts at that keyframe, with its caps before the segment, and
 * marks it DISCONT. */
GST_START_TEST (test_caps_unknown_starts_at_keyframe)
{
  GstHarness *b = broker_new_full ("capu", 0, NULL, "ring-size", 3, NULL);
  EventOrder order = { 0, };
  GstHarness *s;
  GstBuffer *buf;

  /* The ring keeps 13, 14 (deltas without caps) and 15 (a keyframe). */
  push_range (b, 0, 16);
  s = source_new_watched (&order, "kafka://127.0.0.1:%u/capu",
      broker_port (b));
  buf = gst_harness_pull (s);
  fail_unless (buf != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 15);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (buf);
  expect_caps (s);
  expect_eos (s);
  fail_unless_equals_int (gst_harness_buffers_received (s), 1);
  expect_order (&order);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

GST_START_TEST (test_start_offset)
{
  GstHarness *b = broker_new ("so", 0, NULL);
  GstHarness *s;
  guint i;

  push_range (b, 0, 20);
  s = source_new_printf ("kafka://127.0.0.1:%u/so?start=offset:7&"
      "stop-offset=12", broker_port (b));
  for (i = 7; i < 12; i++)
    pull_expect (s, i);
  expect_eos (s);
  gst_harness_teardown (s);

  /* With snap-to-keyframe the source backs up to offset 5, a keyframe,
   * and the caps (sent with every keyframe) come with it. */
  s = source_new_printf ("kafka://127.0.0.1:%u/so?start=offset:7&"
      "snap-to-keyframe=true", broker_port (b));
  for (i = 5; i < 20; i++)
    pull_expect (s, i);
  expect_caps (s);
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

/* start=time looks the offset up by record timestamp (ListOffsets);
 * stop-time ends before the first record at or past it. */
GST_START_TEST (test_start_stop_time)
{
  GstHarness *b = broker_new ("tm", 0, NULL);
  GstHarness *s;
  guint i;

  push_range (b, 0, 20);
  s = source_new_printf ("kafka://127.0.0.1:%u/tm?start=time:%" G_GINT64_FORMAT
      "&stop-time=%" G_GINT64_FORMAT, broker_port (b), BASE_MS + 6500,
      BASE_MS + 12000);
  for (i = 7; i < 12; i++)
    pull_expect (s, i);
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

GST_START_TEST (test_start_latest_follow)
{
  GstHarness *b = broker_new ("lat", 0, NULL);
  GstHarness *s;
  gboolean follow = FALSE;
  guint i;

  push_range (b, 0, 10);
  s = source_new_printf ("kafka://127.0.0.1:%u/lat?start=latest&follow=true",
      broker_port (b));
  g_object_get (s->element, "follow", &follow, NULL);
  fail_unless (follow);
  fail_unless (gst_base_src_is_live (GST_BASE_SRC (s->element)));
  /* start() fixed the position at the end before play returned: only the
   * records pushed from now on arrive. */
  push_range (b, 10, 25);
  for (i = 10; i < 25; i++)
    pull_expect (s, i);
  gst_harness_teardown (s);

  /* latest with snap-to-keyframe starts at the last keyframe (20). */
  s = source_new_printf ("kafka://127.0.0.1:%u/lat?start=latest&"
      "snap-to-keyframe=true", broker_port (b));
  for (i = 20; i < 25; i++)
    pull_expect (s, i);
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

GST_START_TEST (test_follow)
{
  GstHarness *b = broker_new ("fol", 0, NULL);
  GstHarness *s;
  guint i;

  push_range (b, 0, 5);
  s = source_new_printf ("kafka://127.0.0.1:%u/fol?follow=true",
      broker_port (b));
  for (i = 0; i < 5; i++)
    pull_expect (s, i);
  /* Pushed after the follower caught up: the long-poll brings them. */
  push_range (b, 5, 40);
  for (i = 5; i < 40; i++)
    pull_expect (s, i);
  fail_unless (gst_harness_try_pull (s) == NULL);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

/* The broker goes away with its element and comes back on the same port
 * from the same journal: the follower resumes at the next offset. */
GST_START_TEST (test_reconnect)
{
  gchar *dir = g_dir_make_tmp ("rgsrc-kafka-XXXXXX", NULL);
  gchar *journal = g_build_filename (dir, "j", NULL);
  GstHarness *b = broker_new ("rc", 0, journal);
  guint port = broker_port (b);
  GstHarness *s;
  GstBuffer *buf;
  guint i;

  push_range (b, 0, 10);
  s = source_new_printf ("kafka://127.0.0.1:%u/rc?follow=true", port);
  for (i = 0; i < 10; i++)
    pull_check (s, i, TRUE);
  gst_harness_teardown (b);

  /* While the broker is away the follower keeps reconnecting. */
  g_usleep (500 * 1000);
  fail_unless (gst_harness_try_pull (s) == NULL);
  b = broker_new ("rc", port, journal);
  fail_unless_equals_int (broker_port (b), port);
  push_range (b, 10, 30);
  /* Exactly 10..29 in order, bytes and GstRgMeta offsets included: a
   * duplicate would show as a lower offset, a gap as a higher one, and
   * neither is marked DISCONT. */
  for (i = 10; i < 30; i++) {
    buf = gst_harness_pull (s);
    fail_unless (buf != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), i);
    fail_unless_equals_uint64 (gst_rg_meta_get_offset
        (gst_buffer_get_rg_meta (buf)), i);
    fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref (buf);
  }
  push (b, 30);
  pull_check (s, 30, TRUE);
  fail_unless (gst_harness_try_pull (s) == NULL);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
  rm_rf (dir);
  g_free (journal);
  g_free (dir);
}

GST_END_TEST;

/* The broker comes back on the same port with an empty in-memory topic:
 * the records already read are gone from its log, which the source cannot
 * repair and reports, naming the offsets. */
GST_START_TEST (test_broker_lost_records)
{
  GstHarness *b = broker_new ("lost", 0, NULL);
  guint port = broker_port (b);
  GstHarness *s;
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;
  GstBus *bus = gst_bus_new ();
  guint i;

  push_range (b, 0, 10);
  s = source_new_printf ("kafka://127.0.0.1:%u/lost?follow=true", port);
  gst_element_set_bus (s->element, bus);
  for (i = 0; i < 10; i++)
    pull_expect (s, i);
  gst_harness_teardown (b);
  b = broker_new ("lost", port, NULL);
  push_range (b, 0, 3);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &dbg);
  /* It may have looked before, between or after the pushes: the log's end
   * is 0 to 3, always before 10. */
  fail_unless (strstr (dbg, ", before offset 10 already read: the broker "
          "lost records") != NULL, "%s", dbg);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  fail_unless (gst_harness_try_pull (s) == NULL);
  gst_element_set_bus (s->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_END_TEST;

/* The lowest base offset of the journal's segments: the topic's earliest
 * record. */
static guint64
journal_earliest (const gchar * journal)
{
  GDir *d = g_dir_open (journal, 0, NULL);
  guint64 earliest = G_MAXUINT64;
  const gchar *name;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".log"))
      earliest = MIN (earliest, g_ascii_strtoull (name, NULL, 10));
  g_dir_close (d);
  fail_unless (earliest != G_MAXUINT64);
  return earliest;
}

/* Writes records [@from, @to) into @journal with rgjournalsink (no broker
 * serves it meanwhile), rotating and deleting segments as the journal
 * settings of the retention test say. */
static void
journal_write (const gchar * journal, guint from, guint to)
{
  GstElement *sink = gst_element_factory_make ("rgjournalsink", NULL);
  GstHarness *j;

  fail_unless (sink != NULL);
  g_object_set (sink, "location", journal, "max-segment-bytes",
      (guint64) 4096, "max-bytes", (guint64) 16384, NULL);
  gst_util_set_object_arg (G_OBJECT (sink), "sync", "none");
  j = gst_harness_new_with_element (sink, "sink", NULL);
  gst_object_unref (sink);
  gst_harness_set_src_caps_str (j, CAPS);
  gst_harness_play (j);
  push_range (j, from, to);
  gst_harness_teardown (j);
}

static GstHarness *
retention_broker_new (guint port, const gchar * journal)
{
  return broker_new_full ("ret", port, journal, "max-segment-bytes",
      (guint64) 4096, "max-bytes", (guint64) 16384, NULL);
}

/* Retention deleted the records a follower was about to read (while its
 * broker was away): it resumes at the topic's earliest record, marked
 * DISCONT, and goes on without further gaps. A consumer that starts at
 * offset 0 afterwards starts at the earliest record too. */
GST_START_TEST (test_deleted_records)
{
  gchar *dir = g_dir_make_tmp ("rgsrc-kafka-XXXXXX", NULL);
  gchar *journal = g_build_filename (dir, "j", NULL);
  GstHarness *b = retention_broker_new (0, journal);
  guint port = broker_port (b);
  guint64 earliest, i;
  GstHarness *s;
  GstBuffer *buf;

  push_range (b, 0, 10);
  s = source_new_printf ("kafka://127.0.0.1:%u/ret?follow=true", port);
  for (i = 0; i < 10; i++)
    pull_check (s, i, TRUE);
  gst_harness_teardown (b);

  journal_write (journal, 10, 100);
  earliest = journal_earliest (journal);
  fail_unless (earliest > 10, "retention kept %" G_GUINT64_FORMAT, earliest);
  b = retention_broker_new (port, journal);
  buf = gst_harness_pull (s);
  fail_unless (buf != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), earliest);
  fail_unless_equals_uint64 (gst_rg_meta_get_offset
      (gst_buffer_get_rg_meta (buf)), earliest);
  fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (buf);
  for (i = earliest + 1; i < 100; i++) {
    buf = gst_harness_pull (s);
    fail_unless (buf != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), i);
    fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (s);

  s = source_new_printf ("kafka://127.0.0.1:%u/ret?start=offset:0", port);
  for (i = earliest; i < 100; i++)
    pull_check (s, i, TRUE);
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
  rm_rf (dir);
  g_free (journal);
  g_free (dir);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocked;
  gboolean released;
} Gate;

/* Holds the source's streaming thread at record 1 until the test opens
 * the gate. */
static GstPadProbeReturn
gate_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  Gate *gate = user_data;

  if (GST_BUFFER_OFFSET (buf) != 1)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&gate->lock);
  gate->blocked = TRUE;
  g_cond_broadcast (&gate->cond);
  while (!gate->released)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
  return GST_PAD_PROBE_OK;
}

#define BIG_RECORDS 100
#define BIG_RECORD_SIZE (1024 * 1024)

/* A source that does not follow gives up, with an error naming the broker
 * and librdkafka's reason, when its broker went away in mid-stream: the
 * records librdkafka had fetched come out, in order, then the error, after
 * the source's timeout. The topic holds 100 MiB, more than librdkafka
 * fetches ahead while the source is held at record 1 (its
 * queued.max.messages.kbytes, 64 MiB), so the broker goes away before the
 * end of the topic reached librdkafka. */
GST_START_TEST (test_broker_gone_without_follow)
{
  GstHarness *b = broker_new_full ("gone", 0, NULL, "ring-size",
      BIG_RECORDS, NULL);
  GstElement *src = gst_element_factory_make ("rgsrc", NULL);
  GstBus *bus = gst_bus_new ();
  Gate gate = { 0, };
  GstHarness *s;
  GstPad *pad;
  GstMessage *msg;
  GError *err = NULL;
  gchar *uri, *dbg = NULL, *broker;
  guint i, n;
  GstBuffer *buf;

  for (i = 0; i < BIG_RECORDS; i++) {
    buf = gst_buffer_new_allocate (NULL, BIG_RECORD_SIZE, NULL);
    gst_buffer_memset (buf, 0, (guint8) i, BIG_RECORD_SIZE);
    fail_unless_equals_int (gst_harness_push (b, buf), GST_FLOW_OK);
  }
  broker = g_strdup_printf ("127.0.0.1:%u", broker_port (b));
  uri = g_strdup_printf ("kafka://%s/gone?timeout=1500", broker);
  g_object_set (src, "location", uri, NULL);
  g_free (uri);
  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, gate_probe, &gate, NULL);
  gst_object_unref (pad);
  s = gst_harness_new_with_element (src, NULL, "src");
  gst_object_unref (src);
  gst_element_set_bus (s->element, bus);
  gst_harness_play (s);

  g_mutex_lock (&gate.lock);
  while (!gate.blocked)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);
  gst_harness_teardown (b);
  g_mutex_lock (&gate.lock);
  gate.released = TRUE;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.lock);

  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error: the source still waits");
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_READ), "%s", err->message);
  fail_unless (strstr (err->message, broker) != NULL, "%s", err->message);
  fail_unless (strstr (dbg, broker) != NULL, "%s", dbg);
  fail_unless (strstr (dbg, "for 1500 ms: ") != NULL, "%s", dbg);
  /* librdkafka's reason: it could not connect to the broker again. */
  fail_unless (strstr (dbg, "Connection refused") != NULL ||
      strstr (dbg, "Local: ") != NULL, "%s", dbg);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);

  /* What came out before is in order, without gaps, and not the whole
   * topic. */
  for (n = 0; (buf = gst_harness_try_pull (s)); n++) {
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), n);
    gst_buffer_unref (buf);
  }
  fail_unless (n >= 2 && n < BIG_RECORDS, "%u records", n);
  gst_element_set_bus (s->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (s);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
  g_free (broker);
}

GST_END_TEST;

/* The record timestamp is taken the same way in memory and journal-backed
 * mode: the GstRgMeta's, else the timestamp/x-unix reference meta's, else
 * the wall clock at append. */
static void
check_record_timestamps (const gchar * journal)
{
  GstHarness *b = broker_new ("ts", 0, journal);
  GstHarness *s;
  GstBuffer *buf;
  GstCaps *unix_caps = gst_caps_new_empty_simple ("timestamp/x-unix");
  gint64 before, after, ts[3];
  guint i;

  /* 0: only a reference timestamp. */
  push (b, 0);
  /* 1: a GstRgMeta timestamp wins over the reference timestamp. */
  buf = gst_buffer_new_allocate (NULL, 10, NULL);
  gst_buffer_add_reference_timestamp_meta (buf, unix_caps,
      (BASE_MS + 1000) * GST_MSECOND, GST_CLOCK_TIME_NONE);
  gst_buffer_add_rg_meta (buf, 0, BASE_MS - 5000, NULL);
  fail_unless_equals_int (gst_harness_push (b, buf), GST_FLOW_OK);
  /* 2: neither: the wall clock. */
  before = g_get_real_time () / 1000;
  fail_unless_equals_int (gst_harness_push (b,
          gst_buffer_new_allocate (NULL, 10, NULL)), GST_FLOW_OK);
  after = g_get_real_time () / 1000;
  gst_caps_unref (unix_caps);

  s = source_new_printf ("kafka://127.0.0.1:%u/ts", broker_port (b));
  for (i = 0; i < 3; i++) {
    buf = gst_harness_pull (s);
    fail_unless (buf != NULL);
    ts[i] = gst_rg_meta_get_timestamp (gst_buffer_get_rg_meta (buf));
    gst_buffer_unref (buf);
  }
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
  fail_unless_equals_int64 (ts[0], BASE_MS);
  fail_unless_equals_int64 (ts[1], BASE_MS - 5000);
  fail_unless (ts[2] >= before && ts[2] <= after, "%" G_GINT64_FORMAT
      " not in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", ts[2], before,
      after);
}

GST_START_TEST (test_record_timestamps)
{
  gchar *dir = g_dir_make_tmp ("rgsrc-kafka-XXXXXX", NULL);
  gchar *journal = g_build_filename (dir, "j", NULL);

  check_record_timestamps (NULL);
  check_record_timestamps (journal);
  rm_rf (dir);
  g_free (journal);
  g_free (dir);
}

GST_END_TEST;

/* A buffer's memory is librdkafka's message payload itself, not a copy,
 * in both storage modes of the broker. */
static void
check_zero_copy (const gchar * journal)
{
  GstHarness *b = broker_new ("zc", 0, journal);
  const rd_kafka_message_t *msg;
  GstHarness *s;
  GstBuffer *buf;
  GstMapInfo map;
  guint i;

  push_range (b, 0, 5);
  s = source_new_printf ("kafka://127.0.0.1:%u/zc", broker_port (b));
  for (i = 0; i < 5; i++) {
    buf = gst_harness_pull (s);
    fail_unless (buf != NULL);
    fail_unless_equals_int (gst_buffer_n_memory (buf), 1);
    msg = rg_kafka_memory_get_message (gst_buffer_peek_memory (buf, 0));
    fail_unless (msg != NULL, "record %u was copied", i);
    fail_unless_equals_int64 (msg->offset, i);
    fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
    fail_unless (map.data == msg->payload);
    fail_unless_equals_uint64 (map.size, msg->len);
    fail_unless_equals_uint64 (map.size, payload_size (i));
    fail_unless_equals_int (map.data[map.size - 1],
        (guint8) (i * 7 + map.size - 1));
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  expect_eos (s);
  gst_harness_teardown (s);
  gst_harness_teardown (b);
}

GST_START_TEST (test_zero_copy)
{
  gchar *dir = g_dir_make_tmp ("rgsrc-kafka-XXXXXX", NULL);
  gchar *journal = g_build_filename (dir, "j", NULL);

  check_zero_copy (NULL);
  check_zero_copy (journal);
  rm_rf (dir);
  g_free (journal);
  g_free (dir);
}

GST_END_TEST;

/* Runs @desc to EOS (or fails on an error). */
static void
run_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timed out");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("error: %s (%s)", err->message, dbg);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
}

/* H.264 from x264enc through the embedded broker and back, muxed to MP4
 * that gst-discoverer-1.0 accepts. */
GST_START_TEST (test_h264_mp4)
{
  gchar *dir = g_dir_make_tmp ("rgsrc-kafka-XXXXXX", NULL);
  gchar *mp4 = g_build_filename (dir, "out.mp4", NULL);
  GstElement *producer, *consumer, *sink;
  gchar *desc, *out = NULL, *argv[] = { (gchar *) "gst-discoverer-1.0",
    mp4, NULL
  };
  gint status = -1;
  guint port;

  producer = gst_parse_launch ("videotestsrc num-buffers=60 ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc key-int-max=15 speed-preset=ultrafast ! h264parse ! "
      "rgbrokersink name=sink port=0 topic=h264", NULL);
  fail_unless (producer != NULL);
  run_to_eos (producer);
  sink = gst_bin_get_by_name (GST_BIN (producer), "sink");
  g_object_get (sink, "bound-port", &port, NULL);
  gst_object_unref (sink);

  desc = g_strdup_printf ("rgsrc location=kafka://127.0.0.1:%u/h264 ! "
      "h264parse ! mp4mux ! filesink location=%s", port, mp4);
  consumer = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (consumer != NULL);
  run_to_eos (consumer);
  gst_element_set_state (consumer, GST_STATE_NULL);
  gst_object_unref (consumer);
  gst_element_set_state (producer, GST_STATE_NULL);
  gst_object_unref (producer);

  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s", out);
  fail_unless (strstr (out, "H.264") != NULL, "%s", out);
  fail_unless (strstr (out, "Width: 160") != NULL, "%s", out);
  /* 60 frames at 30/1. */
  fail_unless (strstr (out, "Duration: 0:00:02.0") != NULL, "%s", out);
  g_free (out);
  rm_rf (dir);
  g_free (mp4);
  g_free (dir);
}

GST_END_TEST;

static void
expect_start_error (const gchar * uri, const gchar * text)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("rgsrc", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  g_object_set (src, "location", uri, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  fail_unless (gst_element_link (src, sink));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (strstr (dbg, text) != NULL || strstr (err->message, text),
      "%s / %s", err->message, dbg);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* Errors name the problem; an unreachable broker's carries librdkafka's
 * reason. */
GST_START_TEST (test_errors)
{
  GstElement *src = gst_element_factory_make ("rgsrc", NULL);
  GError *err = NULL;
  guint timeout = 0;
  gchar *uri;

  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "kafka://127.0.0.1:9/t?start=sideways", &err));
  fail_unless (err != NULL && strstr (err->message, "start=sideways"));
  g_clear_error (&err);
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "kafka://127.0.0.1:9/t?start=offset:3", &err));
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless_equals_string (uri, "kafka://127.0.0.1:9/t?start=offset:3");
  g_free (uri);
  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "kafka://127.0.0.1:9/t?timeout=2500", &err));
  g_object_get (src, "timeout", &timeout, NULL);
  fail_unless_equals_int (timeout, 2500);
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "kafka://127.0.0.1:9/t?timeout=-1", &err));
  g_clear_error (&err);
  gst_object_unref (src);

  expect_start_error ("kafka://127.0.0.1/", "does not name a broker");
  /* Port 1 on loopback: nothing listens. The error comes when the
   * source's timeout runs out, so a short one keeps the test short. */
  expect_start_error ("kafka://127.0.0.1:1/t?timeout=1000", "Local: ");
}

GST_END_TEST;

static Suite *
rgsrc_kafka_suite (void)
{
  Suite *s = suite_create ("rgsrc_kafka");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_live_topic_ends_at_start_end);
  tcase_add_test (tc, test_caps_before_segment_at_latest);
  tcase_add_test (tc, test_caps_unknown_starts_at_keyframe);
  tcase_add_test (tc, test_start_offset);
  tcase_add_test (tc, test_start_stop_time);
  tcase_add_test (tc, test_start_latest_follow);
  tcase_add_test (tc, test_follow);
  tcase_add_test (tc, test_reconnect);
  tcase_add_test (tc, test_broker_lost_records);
  tcase_add_test (tc, test_deleted_records);
  tcase_add_test (tc, test_broker_gone_without_follow);
  tcase_add_test (tc, test_record_timestamps);
  tcase_add_test (tc, test_zero_copy);
  tcase_add_test (tc, test_h264_mp4);
  tcase_add_test (tc, test_errors);
  return s;
}

GST_CHECK_MAIN (rgsrc_kafka);
