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

/* Unit tests of rgtee. Each test feeds the element through a GstHarness on
 * its sink pad and watches branches through harnesses on its src pads.
 *
 * Drop behaviour is made deterministic without timing: a blocking pad
 * probe stalls one branch inside its push of buffer 0, the test publishes a
 * known sequence while it is stalled (publishing never waits on a
 * non-blocking branch), then lifts the probe. The branch's next read then
 * sees exactly that backlog and applies its policy once. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#define NO_TS GST_CLOCK_TIME_NONE
#define CAPS_STR "video/x-h264, stream-format=(string)byte-stream, " \
    "alignment=(string)au"

/* ------------------------------------------------------------------ */
/* Fixtures                                                             */

static GstElement *
tee_new (void)
{
  GstElement *tee = gst_element_factory_make ("rgtee", NULL);

  fail_unless (tee != NULL, "rgtee not found: is GST_PLUGIN_PATH set?");
  return tee;
}

/* The harness that feeds the tee's sink pad. Creating it sets the tee to
 * PLAYING. */
static GstHarness *
source_new (GstElement * tee)
{
  GstHarness *h = gst_harness_new_with_element (tee, "sink", NULL);

  gst_harness_set_src_caps_str (h, CAPS_STR);
  return h;
}

/* A harness on a newly requested src pad. */
static GstHarness *
branch_new (GstElement * tee)
{
  return gst_harness_new_with_element (tee, NULL, "src_%u");
}

/* The tee's src pad a branch harness is linked to (borrowed). */
static GstPad *
branch_pad (GstHarness * b)
{
  return GST_PAD_PEER (b->sinkpad);
}

/* Buffer @i: 16 bytes of value @i, a keyframe unless !@keyframe. */
static GstBuffer *
buffer_new (guint i, gboolean keyframe, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);

  gst_buffer_memset (buf, 0, (guint8) i, 16);
  GST_BUFFER_PTS (buf) = pts;
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static guint
buffer_index (GstBuffer * buf)
{
  guint8 v = 0;

  gst_buffer_extract (buf, 0, &v, 1);
  return v;
}

/* Pulls the next buffer of @b and returns its index. */
static guint
pull_index (GstHarness * b)
{
  GstBuffer *buf = gst_harness_pull (b);
  guint i;

  fail_unless (buf != NULL);
  i = buffer_index (buf);
  gst_buffer_unref (buf);
  return i;
}

/* Publishes @buf, keeping the caller's reference, and expects OK. */
static void
push (GstHarness * src, GstBuffer * buf)
{
  fail_unless_equals_int (gst_harness_push (src, gst_buffer_ref (buf)),
      GST_FLOW_OK);
}

static void
push_custom_event (GstHarness * src, gint n)
{
  fail_unless (gst_harness_push_event (src,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new ("rg-test", "n", G_TYPE_INT, n, NULL))));
}

/* Waits until EOS reaches branch @b; every event before it is dropped. */
static void
wait_eos (GstHarness * b)
{
  for (;;) {
    GstEvent *ev = gst_harness_pull_event (b);
    gboolean eos;

    fail_unless (ev != NULL, "EOS did not reach the branch");
    eos = GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
    if (eos)
      return;
  }
}

/* Pulls the next buffer of @b and checks that it is @want itself: same
 * GstBuffer, no DISCONT. */
static void
expect_same (GstHarness * b, GstBuffer * want)
{
  GstBuffer *out = gst_harness_pull (b);

  fail_unless (out != NULL, "expected buffer %u", buffer_index (want));
  fail_unless_equals_int (buffer_index (out), buffer_index (want));
  fail_unless (out == want, "buffer %u is not the one pushed",
      buffer_index (want));
  fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (out);
}

/* Pulls the next buffer of @b and checks that it is @want marked DISCONT:
 * a new header on the very same memory, with the same timestamps. */
static void
expect_discont (GstHarness * b, GstBuffer * want)
{
  GstBuffer *out = gst_harness_pull (b);

  fail_unless (out != NULL, "expected buffer %u", buffer_index (want));
  fail_unless_equals_int (buffer_index (out), buffer_index (want));
  fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_int (gst_buffer_n_memory (out),
      gst_buffer_n_memory (want));
  fail_unless (gst_buffer_peek_memory (out, 0) ==
      gst_buffer_peek_memory (want, 0), "payload was copied");
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), GST_BUFFER_PTS (want));
  fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (out,
          GST_BUFFER_FLAG_DELTA_UNIT), GST_BUFFER_FLAG_IS_SET (want,
          GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (out);
}

static guint64
pad_counter (GstPad * pad, const gchar * name)
{
  guint64 v = 0;

  g_object_get (pad, name, &v, NULL);
  return v;
}

static void
unref_buffers (GstBuffer ** bufs, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    gst_buffer_unref (bufs[i]);
}

/* ------------------------------------------------------------------ */
/* Stalling a branch                                                    */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocked;
  gulong id;
  GstPad *pad;
} Stall;

static GstPadProbeReturn
stall_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Stall *s = user_data;

  g_mutex_lock (&s->lock);
  s->blocked = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  return GST_PAD_PROBE_OK;
}

/* Blocks the branch of @pad on the next buffer it pushes. */
static void
stall_start (Stall * s, GstPad * pad)
{
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->blocked = FALSE;
  s->pad = pad;
  s->id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, stall_probe, s, NULL);
}

static void
stall_wait (Stall * s)
{
  gint64 until = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&s->lock);
  while (!s->blocked)
    fail_unless (g_cond_wait_until (&s->cond, &s->lock, until),
        "the branch never pushed");
  g_mutex_unlock (&s->lock);
}

static void
stall_release (Stall * s)
{
  gst_pad_remove_probe (s->pad, s->id);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
}

/* ------------------------------------------------------------------ */
/* Recording what a branch receives, in order                           */

typedef struct
{
  GMutex lock;
  GString *log;
} Recorder;

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Recorder *r = user_data;
  gchar *item = NULL;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    item = g_strdup_printf ("b%u%s", buffer_index (buf),
        GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT) ? "!" : "");
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    gint n = 0;

    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      item = g_strdup ("eos");
    else if (gst_event_has_name (ev, "rg-test")
        && gst_structure_get_int (gst_event_get_structure (ev), "n", &n))
      item = g_strdup_printf ("e%d", n);
  }
  if (item) {
    g_mutex_lock (&r->lock);
    g_string_append_printf (r->log, "%s%s", r->log->len ? " " : "", item);
    g_mutex_unlock (&r->lock);
    g_free (item);
  }
  return GST_PAD_PROBE_OK;
}

/* Records on the harness's own sink pad, downstream of any stall probe on
 * the tee's src pad, so that every item is seen exactly once. */
static void
recorder_attach (Recorder * r, GstHarness * b)
{
  g_mutex_init (&r->lock);
  r->log = g_string_new (NULL);
  gst_pad_add_probe (b->sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, r, NULL);
}

static void
recorder_check (Recorder * r, const gchar * want)
{
  g_mutex_lock (&r->lock);
  fail_unless_equals_string (r->log->str, want);
  g_mutex_unlock (&r->lock);
}

static void
recorder_free (Recorder * r)
{
  g_string_free (r->log, TRUE);
  g_mutex_clear (&r->lock);
}

/* ------------------------------------------------------------------ */
/* Data path                                                            */

GST_START_TEST (test_pointer_identity)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *b[3];
  GstBuffer *bufs[10];
  guint i, k;

  for (k = 0; k < 3; k++)
    b[k] = branch_new (tee);
  for (i = 0; i < 10; i++) {
    bufs[i] = buffer_new (i, TRUE, i * GST_MSECOND);
    push (src, bufs[i]);
  }
  gst_harness_push_event (src, gst_event_new_eos ());
  for (k = 0; k < 3; k++) {
    for (i = 0; i < 10; i++)
      expect_same (b[k], bufs[i]);
    wait_eos (b[k]);
    fail_unless_equals_uint64 (pad_counter (branch_pad (b[k]), "out"), 10);
    gst_harness_teardown (b[k]);
  }
  unref_buffers (bufs, 10);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_order_1000_buffers_3_branches)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *b[3];
  GstBuffer *bufs[1000];
  guint i, k;

  /* block: lossless whatever the scheduling, so order is all we test. */
  for (k = 0; k < 3; k++) {
    b[k] = branch_new (tee);
    g_object_set (branch_pad (b[k]), "lag-policy", 0, NULL);
  }
  for (i = 0; i < 1000; i++) {
    bufs[i] = buffer_new (i, i % 30 == 0, i * GST_MSECOND);
    push (src, bufs[i]);
  }
  gst_harness_push_event (src, gst_event_new_eos ());
  for (k = 0; k < 3; k++) {
    for (i = 0; i < 1000; i++)
      expect_same (b[k], bufs[i]);
    wait_eos (b[k]);
    fail_unless_equals_int (gst_harness_buffers_in_queue (b[k]), 0);
    fail_unless_equals_uint64 (pad_counter (branch_pad (b[k]), "dropped"), 0);
    gst_harness_teardown (b[k]);
  }
  unref_buffers (bufs, 1000);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_stalled_branch_does_not_stall_others)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *fast1 = branch_new (tee), *fast2 = branch_new (tee);
  GstHarness *slow = branch_new (tee);
  GstBuffer *bufs[200];
  Stall stall;
  guint i;

  g_object_set (branch_pad (slow), "max-lag-buffers", (guint64) 10, NULL);
  stall_start (&stall, branch_pad (slow));
  bufs[0] = buffer_new (0, TRUE, NO_TS);
  push (src, bufs[0]);
  stall_wait (&stall);

  /* The slow branch sits in its push of buffer 0; the others go on. */
  for (i = 1; i < 200; i++) {
    bufs[i] = buffer_new (i, TRUE, NO_TS);
    push (src, bufs[i]);
  }
  for (i = 0; i < 200; i++) {
    expect_same (fast1, bufs[i]);
    expect_same (fast2, bufs[i]);
  }
  fail_unless_equals_int (gst_harness_buffers_received (slow), 0);
  fail_unless_equals_uint64 (pad_counter (branch_pad (slow), "lag-buffers"),
      199);

  /* Released, it resyncs on the newest keyframe (every buffer is one). */
  stall_release (&stall);
  expect_same (slow, bufs[0]);
  expect_discont (slow, bufs[199]);
  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (slow);
  fail_unless_equals_int (gst_harness_buffers_in_queue (slow), 0);
  fail_unless_equals_uint64 (pad_counter (branch_pad (slow), "dropped"), 198);
  fail_unless_equals_uint64 (pad_counter (branch_pad (fast1), "dropped"), 0);

  gst_harness_teardown (slow);
  gst_harness_teardown (fast1);
  gst_harness_teardown (fast2);
  unref_buffers (bufs, 200);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Policies, one exact scenario each                                    */

/* Buffers 0..n-1, 10 ms apart, keyframes where i % gop == 0. */
static void
make_sequence (GstBuffer ** bufs, guint n, guint gop)
{
  guint i;

  for (i = 0; i < n; i++)
    bufs[i] = buffer_new (i, i % gop == 0, i * 10 * GST_MSECOND);
}

/* Stalls @slow on buffer 0, publishes bufs[1..n-1], releases it. */
static void
publish_while_stalled (GstHarness * src, GstHarness * slow, GstBuffer ** bufs,
    guint n)
{
  Stall stall;
  guint i;

  stall_start (&stall, branch_pad (slow));
  push (src, bufs[0]);
  stall_wait (&stall);
  for (i = 1; i < n; i++)
    push (src, bufs[i]);
  stall_release (&stall);
}

static void
check_counters (GstPad * pad, guint64 in, guint64 out, guint64 dropped,
    guint64 dropped_gops)
{
  fail_unless_equals_uint64 (pad_counter (pad, "in"), in);
  fail_unless_equals_uint64 (pad_counter (pad, "out"), out);
  fail_unless_equals_uint64 (pad_counter (pad, "dropped"), dropped);
  fail_unless_equals_uint64 (pad_counter (pad, "dropped-gops"), dropped_gops);
}

static const GstStructure *
branch_stats (const GstStructure * stats, GstPad * pad)
{
  const GValue *v = gst_structure_get_value (stats, GST_OBJECT_NAME (pad));

  fail_unless (v != NULL && GST_VALUE_HOLDS_STRUCTURE (v));
  return gst_value_get_structure (v);
}

static guint64
stats_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = G_MAXUINT64;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  return v;
}

static void
check_lag_message (GstBus * bus, GstPad * pad, guint64 dropped,
    guint64 lag_buffers, GstClockTime lag_time)
{
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_ELEMENT);
  const GstStructure *s;

  fail_unless (msg != NULL, "no rg-lag message");
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "rg-lag"));
  fail_unless_equals_string (gst_structure_get_string (s, "branch"),
      GST_OBJECT_NAME (pad));
  fail_unless_equals_uint64 (stats_u64 (s, "dropped"), dropped);
  fail_unless_equals_uint64 (stats_u64 (s, "lag-buffers"), lag_buffers);
  fail_unless_equals_uint64 (stats_u64 (s, "lag-time"), lag_time);
  gst_message_unref (msg);
}

GST_START_TEST (test_policy_drop)
{
  GstElement *tee = tee_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *src, *fast, *slow;
  GstStructure *stats = NULL;
  GstBuffer *bufs[20];
  guint i;

  gst_element_set_bus (tee, bus);
  src = source_new (tee);
  fast = branch_new (tee);
  slow = branch_new (tee);
  g_object_set (branch_pad (slow), "lag-policy", 1, "max-lag-buffers",
      (guint64) 5, NULL);
  make_sequence (bufs, 20, 5);

  /* 19 behind with a budget of 5: skip to the oldest 5 still in budget,
   * 15..19, whatever their keyframe flags. */
  publish_while_stalled (src, slow, bufs, 20);
  expect_same (slow, bufs[0]);
  expect_discont (slow, bufs[15]);
  for (i = 16; i < 20; i++)
    expect_same (slow, bufs[i]);
  /* Reported with the lag that made it drop: 1..19 waiting, 10 ms to
   * 190 ms. */
  check_lag_message (bus, branch_pad (slow), 14, 19, 180 * GST_MSECOND);

  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (slow);
  fail_unless_equals_int (gst_harness_buffers_in_queue (slow), 0);
  for (i = 0; i < 20; i++)
    expect_same (fast, bufs[i]);
  wait_eos (fast);
  /* Keyframes 5 and 10 went down with the skipped buffers. */
  check_counters (branch_pad (slow), 20, 6, 14, 2);
  check_counters (branch_pad (fast), 20, 20, 0, 0);

  g_object_get (tee, "stats", &stats, NULL);
  fail_unless (gst_structure_has_name (stats, "rgtee-stats"));
  fail_unless_equals_int (gst_structure_n_fields (stats), 2);
  fail_unless_equals_uint64 (stats_u64 (branch_stats (stats,
              branch_pad (slow)), "dropped"), 14);
  fail_unless_equals_uint64 (stats_u64 (branch_stats (stats,
              branch_pad (slow)), "dropped-gops"), 2);
  fail_unless_equals_uint64 (stats_u64 (branch_stats (stats,
              branch_pad (slow)), "out"), 6);
  fail_unless_equals_uint64 (stats_u64 (branch_stats (stats,
              branch_pad (fast)), "out"), 20);
  fail_unless_equals_uint64 (stats_u64 (branch_stats (stats,
              branch_pad (fast)), "lag-buffers"), 0);
  fail_unless (stats_u64 (branch_stats (stats, branch_pad (slow)),
          "max-lag-time-seen") >= 180 * GST_MSECOND);
  gst_structure_free (stats);

  gst_harness_teardown (slow);
  gst_harness_teardown (fast);
  unref_buffers (bufs, 20);
  gst_harness_teardown (src);
  gst_element_set_bus (tee, NULL);
  gst_object_unref (bus);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_policy_latest)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *slow = branch_new (tee);
  GstBuffer *bufs[20];

  g_object_set (branch_pad (slow), "lag-policy", 2, "max-lag-buffers",
      (guint64) 5, NULL);
  make_sequence (bufs, 20, 5);

  /* Over budget: straight to the newest buffer, even a delta unit. */
  publish_while_stalled (src, slow, bufs, 20);
  expect_same (slow, bufs[0]);
  expect_discont (slow, bufs[19]);
  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (slow);
  fail_unless_equals_int (gst_harness_buffers_in_queue (slow), 0);
  check_counters (branch_pad (slow), 20, 2, 18, 3);

  gst_harness_teardown (slow);
  unref_buffers (bufs, 20);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

/* Pulls upstream events from @src until a force-key-unit request. */
static void
expect_keyframe_request (GstHarness * src)
{
  for (;;) {
    GstEvent *ev = gst_harness_pull_upstream_event (src);
    gboolean all_headers = FALSE, found;

    fail_unless (ev != NULL, "no force-key-unit request upstream");
    found = gst_video_event_is_force_key_unit (ev);
    if (found) {
      fail_unless (gst_video_event_parse_upstream_force_key_unit (ev, NULL,
              &all_headers, NULL));
      fail_unless (all_headers);
    }
    gst_event_unref (ev);
    if (found)
      return;
  }
}

GST_START_TEST (test_policy_keyframe)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *slow = branch_new (tee);
  GstBuffer *bufs[32];
  Stall stall;
  guint i;

  g_object_set (branch_pad (slow), "max-lag-buffers", (guint64) 8, NULL);
  make_sequence (bufs, 20, 5);
  for (i = 20; i < 32; i++)
    bufs[i] = buffer_new (i, i == 20 || i == 31, i * 10 * GST_MSECOND);

  /* Keyframes 0, 5, 10, 15; 19 behind with a budget of 8: keyframe 15 is
   * within it, so the branch resyncs there. */
  publish_while_stalled (src, slow, bufs, 20);
  expect_same (slow, bufs[0]);
  expect_discont (slow, bufs[15]);
  for (i = 16; i < 20; i++)
    expect_same (slow, bufs[i]);

  /* Keyframe 20, then only delta units: when the branch lags 9 behind,
   * no keyframe is within budget, so everything goes until the next
   * keyframe (31), and upstream is asked for one. */
  stall_start (&stall, branch_pad (slow));
  push (src, bufs[20]);
  stall_wait (&stall);
  for (i = 21; i < 30; i++)
    push (src, bufs[i]);
  stall_release (&stall);
  expect_same (slow, bufs[20]);
  expect_keyframe_request (src);
  push (src, bufs[30]);
  push (src, bufs[31]);
  expect_discont (slow, bufs[31]);

  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (slow);
  fail_unless_equals_int (gst_harness_buffers_in_queue (slow), 0);
  check_counters (branch_pad (slow), 32, 8, 24, 2);

  gst_harness_teardown (slow);
  unref_buffers (bufs, 32);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

typedef struct
{
  GstHarness *src;
  GstBuffer **bufs;
  guint from, to;
  gint pushed;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  guint i;

  for (i = w->from; i < w->to; i++) {
    push (w->src, w->bufs[i]);
    g_atomic_int_inc (&w->pushed);
  }
  return NULL;
}

GST_START_TEST (test_policy_block_lossless_and_writer_waits)
{
  GstElement *tee = tee_new ();
  GstHarness *src, *fast, *rec;
  GstBuffer *bufs[20];
  Writer w = { NULL, };
  GThread *thread;
  Stall stall;
  guint i;

  /* A 4-slot ring: the writer may run at most 4 buffers ahead of the
   * blocking branch. */
  g_object_set (tee, "ring-size", 4, NULL);
  src = source_new (tee);
  fast = branch_new (tee);
  rec = branch_new (tee);
  /* Both lossless: a non-blocking branch may lag at most ring-size
   * buffers, and the released writer easily runs 4 ahead of it. */
  g_object_set (branch_pad (rec), "lag-policy", 0, NULL);
  g_object_set (branch_pad (fast), "lag-policy", 0, NULL);
  make_sequence (bufs, 20, 5);

  stall_start (&stall, branch_pad (rec));
  push (src, bufs[0]);
  stall_wait (&stall);

  w.src = src;
  w.bufs = bufs;
  w.from = 1;
  w.to = 20;
  thread = g_thread_new ("writer", writer_thread, &w);

  /* The recording branch holds buffer 0 and has 1..4 waiting: the writer
   * cannot publish 5, so the fast branch gets 0..4 and no more. */
  for (i = 0; i < 5; i++)
    expect_same (fast, bufs[i]);
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  fail_unless (g_atomic_int_get (&w.pushed) <= 4,
      "the writer did not wait for the blocking branch");
  fail_unless_equals_int (gst_harness_buffers_received (fast), 5);

  stall_release (&stall);
  g_thread_join (thread);
  for (i = 0; i < 20; i++)
    expect_same (rec, bufs[i]);
  for (i = 5; i < 20; i++)
    expect_same (fast, bufs[i]);
  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (rec);
  check_counters (branch_pad (rec), 20, 20, 0, 0);

  gst_harness_teardown (rec);
  gst_harness_teardown (fast);
  unref_buffers (bufs, 20);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Events                                                               */

GST_START_TEST (test_events_in_order_across_drops)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *fast = branch_new (tee), *slow = branch_new (tee);
  Recorder rec_fast, rec_slow;
  GstBuffer *bufs[13];
  Stall stall;
  guint i;

  g_object_set (branch_pad (slow), "lag-policy", 1, "max-lag-buffers",
      (guint64) 3, NULL);
  recorder_attach (&rec_fast, fast);
  recorder_attach (&rec_slow, slow);
  make_sequence (bufs, 13, 1);

  stall_start (&stall, branch_pad (slow));
  push (src, bufs[0]);
  stall_wait (&stall);
  for (i = 1; i < 13; i++) {
    if (i == 1)
      push_custom_event (src, 1);
    if (i == 3)
      push_custom_event (src, 2);
    if (i == 10)
      push_custom_event (src, 3);
    push (src, bufs[i]);
  }
  stall_release (&stall);
  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (fast);
  wait_eos (slow);

  /* The slow branch skipped 1..9, but not one event; each still comes
   * before the buffers that followed it. */
  recorder_check (&rec_fast,
      "b0 e1 b1 b2 e2 b3 b4 b5 b6 b7 b8 b9 e3 b10 b11 b12 eos");
  recorder_check (&rec_slow, "b0 e1 e2 e3 b10! b11 b12 eos");

  gst_harness_teardown (slow);
  gst_harness_teardown (fast);
  recorder_free (&rec_fast);
  recorder_free (&rec_slow);
  unref_buffers (bufs, 13);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_eos_reaches_every_branch)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *b[3];
  GstBuffer *bufs[5];
  guint i, k;

  for (k = 0; k < 3; k++)
    b[k] = branch_new (tee);
  make_sequence (bufs, 5, 1);
  for (i = 0; i < 5; i++)
    push (src, bufs[i]);
  fail_unless (gst_harness_push_event (src, gst_event_new_eos ()));
  for (k = 0; k < 3; k++) {
    for (i = 0; i < 5; i++)
      expect_same (b[k], bufs[i]);
    wait_eos (b[k]);
    fail_unless (GST_PAD_IS_EOS (branch_pad (b[k])));
  }
  /* A branch requested after EOS gets the last group of pictures (here
   * the last buffer, as every buffer is a keyframe), then EOS. */
  gst_harness_teardown (b[0]);
  b[0] = branch_new (tee);
  expect_same (b[0], bufs[4]);
  wait_eos (b[0]);

  for (k = 0; k < 3; k++)
    gst_harness_teardown (b[k]);
  unref_buffers (bufs, 5);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_flush_unblocks_and_restarts_every_branch)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *fast = branch_new (tee), *slow = branch_new (tee);
  GstBuffer *bufs[9];
  GstSegment segment;
  Stall stall;
  guint i;

  /* The slow branch is stuck downstream with 1..5 waiting for it. */
  make_sequence (bufs, 9, 3);
  stall_start (&stall, branch_pad (slow));
  push (src, bufs[0]);
  stall_wait (&stall);
  for (i = 1; i < 6; i++)
    push (src, bufs[i]);
  for (i = 0; i < 6; i++)
    expect_same (fast, bufs[i]);

  /* A flush (as for a seek) releases it and throws its backlog away. */
  fail_unless (gst_harness_push_event (src, gst_event_new_flush_start ()));
  stall_release (&stall);
  fail_unless (gst_harness_push_event (src, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (src, gst_event_new_segment (&segment)));
  for (i = 6; i < 9; i++)
    push (src, bufs[i]);
  gst_harness_push_event (src, gst_event_new_eos ());

  for (i = 6; i < 9; i++) {
    expect_same (fast, bufs[i]);
    expect_same (slow, bufs[i]);
  }
  wait_eos (fast);
  wait_eos (slow);
  fail_unless_equals_int (gst_harness_buffers_in_queue (slow), 0);
  fail_unless_equals_int (gst_harness_buffers_received (slow), 3);

  gst_harness_teardown (slow);
  gst_harness_teardown (fast);
  unref_buffers (bufs, 9);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Failing branches                                                     */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint received;
} ErrorSink;

static GstFlowReturn
error_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  ErrorSink *es = g_object_get_data (G_OBJECT (pad), "error-sink");

  gst_buffer_unref (buf);
  g_mutex_lock (&es->lock);
  es->received++;
  g_cond_broadcast (&es->cond);
  g_mutex_unlock (&es->lock);
  return GST_FLOW_ERROR;
}

static GstPad *
error_sink_new (ErrorSink * es, GstPad * teepad)
{
  GstPad *pad = gst_pad_new ("errorsink", GST_PAD_SINK);

  g_mutex_init (&es->lock);
  g_cond_init (&es->cond);
  es->received = 0;
  g_object_set_data (G_OBJECT (pad), "error-sink", es);
  gst_pad_set_chain_function (pad, error_sink_chain);
  gst_pad_set_active (pad, TRUE);
  fail_unless_equals_int (gst_pad_link (teepad, pad), GST_PAD_LINK_OK);
  return pad;
}

static void
error_sink_wait (ErrorSink * es, guint n)
{
  gint64 until = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&es->lock);
  while (es->received < n)
    fail_unless (g_cond_wait_until (&es->cond, &es->lock, until));
  g_mutex_unlock (&es->lock);
}

static void
release_pad (GstElement * tee, GstPad * pad)
{
  gst_element_release_request_pad (tee, pad);
  gst_object_unref (pad);
}

GST_START_TEST (test_failing_branches_do_not_stop_others)
{
  GstElement *tee = tee_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *src, *good;
  GstPad *unlinked, *errpad, *errsink;
  GstBuffer *bufs[50];
  GstMessage *msg;
  GError *err = NULL;
  ErrorSink es;
  guint i;

  gst_element_set_bus (tee, bus);
  src = source_new (tee);
  good = branch_new (tee);
  unlinked = gst_element_request_pad_simple (tee, "src_%u");
  errpad = gst_element_request_pad_simple (tee, "src_%u");
  errsink = error_sink_new (&es, errpad);

  /* Every push is OK while one branch is: the erroring and the unlinked
   * branch neither stop the good one nor stop consuming themselves. */
  make_sequence (bufs, 50, 10);
  for (i = 0; i < 50; i++)
    push (src, bufs[i]);
  for (i = 0; i < 50; i++)
    expect_same (good, bufs[i]);
  error_sink_wait (&es, 50);

  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for the failing branch");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, GST_OBJECT_NAME (errpad)) != NULL,
      "the warning does not name the branch: %s", err->message);
  fail_unless (strstr (err->message, "the other branches go on") != NULL,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  /* With only the failing branch left, upstream learns the error. */
  gst_harness_teardown (good);
  release_pad (tee, unlinked);
  fail_unless_equals_int (gst_harness_push (src, buffer_new (50, TRUE, NO_TS)),
      GST_FLOW_ERROR);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no flow error posted");
  gst_message_unref (msg);

  gst_pad_unlink (errpad, errsink);
  release_pad (tee, errpad);
  gst_pad_set_active (errsink, FALSE);
  gst_object_unref (errsink);
  g_mutex_clear (&es.lock);
  g_cond_clear (&es.cond);
  unref_buffers (bufs, 50);
  gst_harness_teardown (src);
  gst_element_set_bus (tee, NULL);
  gst_object_unref (bus);
  gst_object_unref (tee);
}

GST_END_TEST;

/* The only branch fails: the warning must not promise that other branches
 * go on, but say that none is left and where to look; upstream then gets
 * the error, which says the same. */
GST_START_TEST (test_last_branch_failing_says_none_left)
{
  GstElement *tee = tee_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *src;
  GstPad *errpad, *errsink;
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;
  const GstStructure *details = NULL;
  gint flow = 0;
  GstFlowReturn ret;
  ErrorSink es;

  gst_element_set_bus (tee, bus);
  src = source_new (tee);
  errpad = gst_element_request_pad_simple (tee, "src_%u");
  errsink = error_sink_new (&es, errpad);

  /* OK or already ERROR: the branch thread may fail before the push
   * returns. */
  ret = gst_harness_push (src, buffer_new (0, TRUE, NO_TS));
  fail_unless (ret == GST_FLOW_OK || ret == GST_FLOW_ERROR, "%s",
      gst_flow_get_name (ret));
  error_sink_wait (&es, 1);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for the failing branch");
  gst_message_parse_warning (msg, &err, &dbg);
  fail_unless (strstr (err->message, GST_OBJECT_NAME (errpad)) != NULL,
      "the warning does not name the branch: %s", err->message);
  fail_if (strstr (err->message, "other branches go on") != NULL,
      "%s", err->message);
  fail_unless (strstr (err->message, "no branch is left") != NULL,
      "%s", err->message);
  fail_unless (strstr (err->message, "the stream stops") != NULL,
      "%s", err->message);
  fail_unless (strstr (dbg, "returned error") != NULL, "%s", dbg);
  g_clear_error (&err);
  g_clear_pointer (&dbg, g_free);
  gst_message_unref (msg);

  fail_unless_equals_int (gst_harness_push (src, buffer_new (1, TRUE, NO_TS)),
      GST_FLOW_ERROR);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error posted");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_STREAM_ERROR,
          GST_STREAM_ERROR_FAILED), "%s", err->message);
  fail_unless (strstr (err->message, "No branch accepts data") != NULL,
      "%s", err->message);
  gst_message_parse_error_details (msg, &details);
  fail_unless (details != NULL);
  fail_unless (gst_structure_get_int (details, "flow-return", &flow));
  fail_unless_equals_int (flow, GST_FLOW_ERROR);
  g_error_free (err);
  gst_message_unref (msg);

  gst_pad_unlink (errpad, errsink);
  release_pad (tee, errpad);
  gst_pad_set_active (errsink, FALSE);
  gst_object_unref (errsink);
  g_mutex_clear (&es.lock);
  g_cond_clear (&es.cond);
  gst_harness_teardown (src);
  gst_element_set_bus (tee, NULL);
  gst_object_unref (bus);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_not_linked)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *b;
  GstPad *unlinked;

  /* No branch at all: like tee. */
  fail_unless_equals_int (gst_harness_push (src, buffer_new (0, TRUE, NO_TS)),
      GST_FLOW_NOT_LINKED);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  fail_unless_equals_int (gst_harness_push (src, buffer_new (1, TRUE, NO_TS)),
      GST_FLOW_OK);

  /* Only an unlinked branch: still not linked. */
  g_object_set (tee, "allow-not-linked", FALSE, NULL);
  unlinked = gst_element_request_pad_simple (tee, "src_%u");
  fail_unless_equals_int (gst_harness_push (src, buffer_new (2, TRUE, NO_TS)),
      GST_FLOW_NOT_LINKED);
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  fail_unless_equals_int (gst_harness_push (src, buffer_new (3, TRUE, NO_TS)),
      GST_FLOW_OK);

  /* Once a branch is linked, it gets data from the latest keyframe (the
   * buffer pushed just before), not what went by before it was linked. */
  g_object_set (tee, "allow-not-linked", FALSE, NULL);
  b = branch_new (tee);
  fail_unless_equals_int (gst_harness_push (src, buffer_new (4, TRUE, NO_TS)),
      GST_FLOW_OK);
  fail_unless_equals_int (pull_index (b), 3);
  fail_unless_equals_int (pull_index (b), 4);

  gst_harness_teardown (b);
  release_pad (tee, unlinked);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Dynamic branches                                                     */

GST_START_TEST (test_request_release_while_streaming)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *steady = branch_new (tee);
  GstPadTemplate *templ;
  GstHarnessThread *stress;
  GstBuffer *bufs[3000];
  Writer w = { NULL, };
  GThread *thread;
  guint i, n = G_N_ELEMENTS (bufs), num_pads = 0;

  g_object_set (branch_pad (steady), "lag-policy", 0, NULL);
  for (i = 0; i < n; i++)
    bufs[i] = buffer_new (i, i % 30 == 0, NO_TS);

  /* Unlinked pads come and go in the harness's stress thread, while this
   * thread requests, links and releases whole branches and another thread
   * publishes. */
  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (tee),
      "src_%u");
  stress = gst_harness_stress_requestpad_start_full (src, templ, "src_%u",
      NULL, TRUE, 500);
  w.src = src;
  w.bufs = bufs;
  w.from = 0;
  w.to = n;
  thread = g_thread_new ("writer", writer_thread, &w);
  for (i = 0; i < 20; i++) {
    GstHarness *b = branch_new (tee);
    GstBuffer *first = gst_harness_try_pull (b);

    /* A branch never starts on a delta unit. */
    if (first) {
      fail_if (GST_BUFFER_FLAG_IS_SET (first, GST_BUFFER_FLAG_DELTA_UNIT));
      gst_buffer_unref (first);
    }
    gst_harness_teardown (b);
  }
  g_thread_join (thread);
  fail_unless (gst_harness_stress_thread_stop (stress) > 0);

  for (i = 0; i < n; i++)
    expect_same (steady, bufs[i]);
  g_object_get (tee, "num-src-pads", &num_pads, NULL);
  fail_unless_equals_int (num_pads, 1);

  gst_harness_teardown (steady);
  unref_buffers (bufs, n);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_new_branch_starts_at_latest_keyframe)
{
  GstElement *tee = tee_new ();
  GstHarness *src = source_new (tee);
  GstHarness *early = branch_new (tee), *late;
  GstBuffer *bufs[9];
  GstCaps *caps, *want;
  GstEvent *ev;
  guint i;

  make_sequence (bufs, 9, 5);
  for (i = 0; i < 8; i++)
    push (src, bufs[i]);
  for (i = 0; i < 8; i++)
    expect_same (early, bufs[i]);

  /* Keyframe 5 is the latest: the new branch starts there, after the
   * stream-start, caps and segment it missed. */
  late = branch_new (tee);
  push (src, bufs[8]);
  ev = gst_harness_pull_event (late);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_STREAM_START);
  gst_event_unref (ev);
  ev = gst_harness_pull_event (late);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  want = gst_caps_from_string (CAPS_STR);
  fail_unless (gst_caps_is_equal (caps, want));
  gst_caps_unref (want);
  gst_event_unref (ev);
  ev = gst_harness_pull_event (late);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_SEGMENT);
  gst_event_unref (ev);
  for (i = 5; i < 9; i++)
    expect_same (late, bufs[i]);
  gst_harness_push_event (src, gst_event_new_eos ());
  wait_eos (late);
  check_counters (branch_pad (late), 4, 4, 0, 0);

  gst_harness_teardown (late);
  gst_harness_teardown (early);
  unref_buffers (bufs, 9);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

GST_START_TEST (test_cut_off_and_relink)
{
  GstElement *tee = tee_new ();
  GstBus *bus = gst_bus_new ();
  GstHarness *src, *fast, *slow;
  GstStructure *stats = NULL;
  GstBuffer *bufs[8];
  GstMessage *msg;
  gboolean cut = FALSE;
  Stall stall;
  GstPad *pad;
  guint i;

  gst_element_set_bus (tee, bus);
  src = source_new (tee);
  fast = branch_new (tee);
  slow = branch_new (tee);
  pad = branch_pad (slow);
  /* No soft budget: only the hard limit of 300 ms applies. */
  g_object_set (pad, "lag-policy", 1, "max-lag-buffers", (guint64) 0,
      "max-lag-bytes", (guint64) 0, "max-lag-time", GST_CLOCK_TIME_NONE,
      "hard-lag-time", 300 * GST_MSECOND, NULL);
  for (i = 0; i < 8; i++)
    bufs[i] = buffer_new (i, TRUE, i * 100 * GST_MSECOND);

  stall_start (&stall, pad);
  push (src, bufs[0]);
  stall_wait (&stall);
  for (i = 1; i < 6; i++)
    push (src, bufs[i]);

  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless (gst_message_has_name (msg, "rg-branch-cut"));
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "branch"), GST_OBJECT_NAME (pad));
  gst_message_unref (msg);
  g_object_get (tee, "stats", &stats, NULL);
  fail_unless (gst_structure_get_boolean (branch_stats (stats, pad), "cut",
          &cut) && cut);
  gst_structure_free (stats);

  /* Cut off: buffer 6 does not reach it... */
  stall_release (&stall);
  expect_same (slow, bufs[0]);
  push (src, bufs[6]);
  for (i = 0; i < 7; i++)
    expect_same (fast, bufs[i]);
  fail_unless_equals_int (gst_harness_buffers_in_queue (slow), 0);

  /* ...until it is linked again: then it starts at the latest keyframe. */
  fail_unless (gst_pad_unlink (pad, slow->sinkpad));
  fail_unless_equals_int (gst_pad_link (pad, slow->sinkpad), GST_PAD_LINK_OK);
  expect_discont (slow, bufs[6]);
  push (src, bufs[7]);
  expect_same (slow, bufs[7]);
  expect_same (fast, bufs[7]);

  gst_harness_teardown (slow);
  gst_harness_teardown (fast);
  unref_buffers (bufs, 8);
  gst_harness_teardown (src);
  gst_element_set_bus (tee, NULL);
  gst_object_unref (bus);
  gst_object_unref (tee);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Queries                                                              */

GST_START_TEST (test_queries_like_tee)
{
  GstElement *tee = tee_new ();
  GstHarness *src = gst_harness_new_with_element (tee, "sink", NULL);
  GstHarness *b1 = branch_new (tee), *b2 = branch_new (tee);
  GstCaps *caps, *want;
  GstQuery *query;

  /* CAPS: what every branch accepts. */
  gst_harness_set_sink_caps_str (b1,
      "video/x-raw, format=(string)I420; video/x-raw, format=(string)NV12");
  gst_harness_set_sink_caps_str (b2, "video/x-raw, format=(string)NV12");
  caps = gst_pad_peer_query_caps (src->srcpad, NULL);
  want = gst_caps_from_string ("video/x-raw, format=(string)NV12");
  fail_unless (gst_caps_is_equal (caps, want), "got %" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  fail_unless (gst_pad_peer_query_accept_caps (src->srcpad, want));
  gst_caps_unref (want);
  want = gst_caps_from_string ("video/x-raw, format=(string)I420");
  fail_if (gst_pad_peer_query_accept_caps (src->srcpad, want));
  gst_caps_unref (want);

  /* ALLOCATION: the metas every branch supports, and no pool. */
  gst_harness_add_propose_allocation_meta (b1, GST_VIDEO_META_API_TYPE, NULL);
  gst_harness_add_propose_allocation_meta (b1,
      GST_VIDEO_CROP_META_API_TYPE, NULL);
  gst_harness_add_propose_allocation_meta (b2, GST_VIDEO_META_API_TYPE, NULL);
  caps = gst_caps_from_string ("video/x-raw, format=(string)NV12, "
      "width=(int)64, height=(int)64, framerate=(fraction)30/1");
  query = gst_query_new_allocation (caps, TRUE);
  fail_unless (gst_pad_peer_query (src->srcpad, query));
  fail_unless (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE,
          NULL));
  fail_if (gst_query_find_allocation_meta (query,
          GST_VIDEO_CROP_META_API_TYPE, NULL));
  fail_unless_equals_int (gst_query_get_n_allocation_pools (query), 0);
  gst_query_unref (query);
  gst_caps_unref (caps);

  gst_harness_teardown (b2);
  gst_harness_teardown (b1);
  gst_harness_teardown (src);
  gst_object_unref (tee);
}

GST_END_TEST;

static Suite *
rgtee_suite (void)
{
  Suite *s = suite_create ("rgtee");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_pointer_identity);
  tcase_add_test (tc, test_order_1000_buffers_3_branches);
  tcase_add_test (tc, test_stalled_branch_does_not_stall_others);
  tcase_add_test (tc, test_policy_drop);
  tcase_add_test (tc, test_policy_latest);
  tcase_add_test (tc, test_policy_keyframe);
  tcase_add_test (tc, test_policy_block_lossless_and_writer_waits);
  tcase_add_test (tc, test_events_in_order_across_drops);
  tcase_add_test (tc, test_eos_reaches_every_branch);
  tcase_add_test (tc, test_flush_unblocks_and_restarts_every_branch);
  tcase_add_test (tc, test_failing_branches_do_not_stop_others);
  tcase_add_test (tc, test_last_branch_failing_says_none_left);
  tcase_add_test (tc, test_not_linked);
  tcase_add_test (tc, test_request_release_while_streaming);
  tcase_add_test (tc, test_new_branch_starts_at_latest_keyframe);
  tcase_add_test (tc, test_cut_off_and_relink);
  tcase_add_test (tc, test_queries_like_tee);
  return s;
}

GST_CHECK_MAIN (rgtee);
