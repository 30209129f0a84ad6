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

/* Tests of rgjournalsink. What the element wrote is read back from the
 * .log files with rgbatch's decoder directly (not through the journal
 * reader, so that a reader bug cannot hide a writer bug), and once more
 * through the journal reader for what rgsrc would see. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "record/rgbatch.h"
#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "record/rgmeta.h"

#define CAPS_A "video/x-h264, stream-format=(string)byte-stream, " \
    "alignment=(string)au"
#define CAPS_B "video/x-h264, stream-format=(string)byte-stream, " \
    "alignment=(string)au, width=(int)640, height=(int)480"

/* ------------------------------------------------------------------ */
/* Temporary journal directories                                        */

static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

/* A fresh directory; the journal lives in "journal" inside it, so that the
 * sink has to create it. */
static gchar *
make_journal_path (gchar ** tmp)
{
  *tmp = g_dir_make_tmp ("rgjournalsink-XXXXXX", NULL);
  fail_unless (*tmp != NULL);
  return g_build_filename (*tmp, "journal", NULL);
}

/* ------------------------------------------------------------------ */
/* Reading the .log files with rgbatch                                   */

typedef struct
{
  guint64 offset;
  gint64 timestamp;
  guint64 segment;              /* base offset of its segment */
  guint batch;                  /* number of its batch in the journal */
  GBytes *key;
  GBytes *value;
  GstClockTime pts, dts, duration;
  guint32 flags;
  gchar *caps;
} Rec;

static void
rec_free (gpointer data)
{
  Rec *r = data;

  if (r->key)
    g_bytes_unref (r->key);
  if (r->value)
    g_bytes_unref (r->value);
  g_free (r->caps);
  g_free (r);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The .log file names of @dir, ascending (20-digit names sort by offset). */
static GPtrArray *
list_logs (const gchar * dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  fail_unless (d != NULL, "cannot open %s", dir);
  while ((name = g_dir_read_name (d)) != NULL) {
    if (g_str_has_suffix (name, ".log"))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  return names;
}

static Rec *
rec_from_view (const RgRecordView * v, guint64 segment, guint batch)
{
  Rec *r = g_new0 (Rec, 1);
  RgEnvelopeFields env;
  GError *err = NULL;

  fail_unless (rg_envelope_parse (v, &env, &err), "offset %" G_GINT64_FORMAT
      ": %s", v->offset, err ? err->message : "");
  r->offset = v->offset;
  r->timestamp = v->timestamp;
  r->segment = segment;
  r->batch = batch;
  r->key = v->key ? g_bytes_new (v->key, v->key_len) : NULL;
  r->value = v->value ? g_bytes_new (v->value, v->value_len) : NULL;
  r->pts = env.pts;
  r->dts = env.dts;
  r->duration = env.duration;
  r->flags = env.has_flags ? env.flags : 0;
  r->caps = env.caps ? g_strndup (env.caps, env.caps_len) : NULL;
  return r;
}

/* Decodes every batch of one segment into @recs. With @stop_at_damage a
 * batch that does not decode ends the walk (a torn tail); else it fails
 * the test. Checks that batch base offsets are continuous. */
static void
read_segment (const gchar * path, guint64 base, gboolean stop_at_damage,
    GPtrArray * recs, guint * batch)
{
  gchar *data;
  gsize len, pos = 0;
  guint64 expected = base;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  while (pos < len) {
    RgBatchReader reader;
    RgRecordView v;
    GError *err = NULL;
    const RgBatchInfo *info;

    if (!rg_batch_reader_init (&reader, (const guint8 *) data + pos,
            len - pos, &err)) {
      fail_unless (stop_at_damage, "%s at byte %" G_GSIZE_FORMAT ": %s",
          path, pos, err->message);
      g_error_free (err);
      break;
    }
    info = rg_batch_reader_get_info (&reader);
    fail_unless_equals_uint64 (info->base_offset, expected);
    while (rg_batch_reader_next (&reader, &v, &err))
      g_ptr_array_add (recs, rec_from_view (&v, base, *batch));
    fail_unless (err == NULL, "%s: %s", path, err ? err->message : "");
    expected = info->base_offset + info->last_offset_delta + 1;
    pos += RG_BATCH_LOG_OVERHEAD + info->batch_length;
    (*batch)++;
  }
  g_free (data);
}

/* Every record of the journal in @dir, in order; checks that offsets are
 * dense from 0 and that each segment's name is its first offset. */
static GPtrArray *
read_journal (const gchar * dir, gboolean stop_at_damage)
{
  GPtrArray *recs = g_ptr_array_new_with_free_func (rec_free);
  GPtrArray *names = list_logs (dir);
  guint i, batch = 0;

  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    guint64 base = g_ascii_strtoull (name, NULL, 10);
    gchar *path = g_build_filename (dir, name, NULL);

    fail_unless_equals_int (strlen (name), 20 + strlen (".log"));
    fail_unless_equals_uint64 (base, recs->len);
    read_segment (path, base, stop_at_damage && i + 1 == names->len, recs,
        &batch);
    g_free (path);
  }
  for (i = 0; i < recs->len; i++)
    fail_unless_equals_uint64 (((Rec *) g_ptr_array_index (recs, i))->offset,
        i);
  g_ptr_array_unref (names);
  return recs;
}

#define REC(recs, i) ((Rec *) g_ptr_array_index ((recs), (i)))

/* ------------------------------------------------------------------ */
/* Element setup                                                        */

typedef struct
{
  GstHarness *h;
  GstBus *bus;
  /* durable-offset and next-offset read when the EOS message was posted */
  guint64 durable_at_eos;
  guint64 next_at_eos;
  gboolean got_eos;
} Fixture;

static GstBusSyncReply
bus_sync_handler (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Fixture *f = user_data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    g_object_get (GST_MESSAGE_SRC (msg), "durable-offset", &f->durable_at_eos,
        "next-offset", &f->next_at_eos, NULL);
    f->got_eos = TRUE;
  }
  return GST_BUS_PASS;
}

/* A harness around an rgjournalsink writing to @location, with the given
 * properties. GstHarness sets the "sync" property of every sink to FALSE
 * before starting it, which on this element is the enum value "none"
 * (GstBaseSink's boolean sync is shadowed): so the element is stopped,
 * given back its default sync policy, configured and started again. */
static void
fixture_init (Fixture * f, const gchar * location, const gchar * first_prop,
    ...)
{
  GstElement *sink = gst_element_factory_make ("rgjournalsink", NULL);
  GParamSpec *pspec;
  va_list args;

  fail_unless (sink != NULL);
  memset (f, 0, sizeof (*f));
  g_object_set (sink, "location", location, NULL);
  f->h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_object_unref (sink);

  fail_unless_equals_int (gst_element_set_state (f->h->element,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (f->h->element),
      "sync");
  g_object_set_property (G_OBJECT (f->h->element), "sync",
      g_param_spec_get_default_value (pspec));
  va_start (args, first_prop);
  if (first_prop != NULL)
    g_object_set_valist (G_OBJECT (f->h->element), first_prop, args);
  va_end (args);

  f->bus = gst_bus_new ();
  gst_bus_set_sync_handler (f->bus, bus_sync_handler, f, NULL);
  gst_element_set_bus (f->h->element, f->bus);
  gst_harness_play (f->h);
  /* The sink pad lost its sticky events when it was deactivated. */
  fail_unless (gst_harness_push_event (f->h,
          gst_event_new_stream_start ("rgjournalsink-test")));
}

static void
fixture_clear (Fixture * f)
{
  if (f->h != NULL)
    gst_harness_teardown (f->h);
  f->h = NULL;
  if (f->bus != NULL) {
    gst_bus_set_flushing (f->bus, TRUE);
    gst_object_unref (f->bus);
  }
  f->bus = NULL;
}

static guint64
get_u64 (GstElement * e, const gchar * name)
{
  guint64 v = 0;

  g_object_get (e, name, &v, NULL);
  return v;
}

static guint64
stats_u64 (GstElement * e, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = 0;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

/* Waits (bounded) until the durable offset reaches @want. */
static guint64
wait_durable (GstElement * e, guint64 want)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  guint64 durable;

  while ((durable = get_u64 (e, "durable-offset")) < want &&
      g_get_monotonic_time () < deadline)
    g_usleep (1000);
  return durable;
}

/* A buffer of @size bytes whose content depends on @seed. */
static GstBuffer *
make_buffer (gsize size, guint seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++)
    map.data[i] = (guint8) (seed * 31 + i * 7);
  gst_buffer_unmap (buf, &map);
  return buf;
}

static gboolean
buffer_equals_bytes (GstBuffer * buf, GBytes * bytes)
{
  gsize len = bytes ? g_bytes_get_size (bytes) : 0;

  return gst_buffer_get_size (buf) == len &&
      (len == 0 || gst_buffer_memcmp (buf, 0, g_bytes_get_data (bytes, NULL),
              len) == 0);
}

static gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo map;
  gboolean equal;

  if (gst_buffer_get_size (a) != gst_buffer_get_size (b))
    return FALSE;
  gst_buffer_map (b, &map, GST_MAP_READ);
  equal = map.size == 0 || gst_buffer_memcmp (a, 0, map.data, map.size) == 0;
  gst_buffer_unmap (b, &map);
  return equal;
}

/* Every rg-segment-closed message on the bus, in order. */
static GPtrArray *
pop_segment_messages (GstBus * bus)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_structure_free);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, "rg-segment-closed"))
      g_ptr_array_add (out, gst_structure_copy (s));
    gst_message_unref (msg);
  }
  return out;
}

/* ------------------------------------------------------------------ */
/* Round trip                                                           */

#define N_ROUND_TRIP 24
#define REFERENCE_MS G_GINT64_CONSTANT (1700000000123)

/* Buffer i of the round trip: sizes from empty to 200 KiB, one made of two
 * memories, every kind of timestamp and a few flags. */
static GstBuffer *
round_trip_buffer (guint i)
{
  static const gsize sizes[] = { 100, 0, 1, 4096, 200 * 1024, 100 };
  GstBuffer *buf;

  if (i == 5) {
    buf = make_buffer (300, i);
    gst_buffer_append (buf, make_buffer (700, i + 1000));
  } else {
    buf = make_buffer (sizes[i % G_N_ELEMENTS (sizes)], i);
  }
  GST_BUFFER_PTS (buf) = i % 7 == 3 ? GST_CLOCK_TIME_NONE : i * 40 * GST_MSECOND;
  GST_BUFFER_DTS (buf) = i % 2 ? GST_CLOCK_TIME_NONE :
      (GstClockTime) (i * 40 * GST_MSECOND + 1);
  GST_BUFFER_DURATION (buf) = i == 4 ? GST_CLOCK_TIME_NONE : 40 * GST_MSECOND;
  if (i % 4 != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (i == 7)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER | GST_BUFFER_FLAG_MARKER);
  if (i == 9)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* Adds the envelope extras to buffer i: a reference timestamp on every
 * third, a key on every fifth. */
static void
decorate_round_trip_buffer (GstBuffer * buf, guint i)
{
  if (i % 3 == 1) {
    GstCaps *ref = gst_caps_new_empty_simple ("timestamp/x-unix");

    gst_buffer_add_reference_timestamp_meta (buf, ref,
        (REFERENCE_MS + i) * GST_MSECOND, GST_CLOCK_TIME_NONE);
    gst_caps_unref (ref);
  }
  if (i % 5 == 2) {
    gchar *key = g_strdup_printf ("cam-%u", i);
    GBytes *bytes = g_bytes_new_take (key, strlen (key));

    gst_buffer_add_rg_meta (buf, 0, -1, bytes);
    g_bytes_unref (bytes);
  }
}

static void
check_round_trip_record (Rec * r, guint i, gint64 t0, gint64 t1)
{
  GstBuffer *expected = round_trip_buffer (i);
  guint32 flags = GST_BUFFER_FLAGS (expected) & RG_ENVELOPE_FLAGS_MASK;

  fail_unless (buffer_equals_bytes (expected, r->value), "value %u", i);
  fail_unless_equals_uint64 (r->pts, GST_BUFFER_PTS (expected));
  fail_unless_equals_uint64 (r->dts, GST_BUFFER_DTS (expected));
  fail_unless_equals_uint64 (r->duration, GST_BUFFER_DURATION (expected));
  fail_unless_equals_int (r->flags, flags);
  if (i % 3 == 1) {
    fail_unless_equals_int64 (r->timestamp, REFERENCE_MS + i);
  } else {
    fail_unless (r->timestamp >= t0 && r->timestamp <= t1,
        "record %u: wall-clock timestamp %" G_GINT64_FORMAT " outside [%"
        G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", i, r->timestamp, t0, t1);
  }
  if (i % 5 == 2) {
    gchar *key = g_strdup_printf ("cam-%u", i);

    fail_unless (r->key != NULL);
    fail_unless_equals_int (g_bytes_get_size (r->key), strlen (key));
    fail_unless (memcmp (g_bytes_get_data (r->key, NULL), key,
            strlen (key)) == 0);
    g_free (key);
  } else {
    fail_unless (r->key == NULL, "record %u has a key", i);
  }
  if (i == 0) {
    fail_unless_equals_string (r->caps, CAPS_A);
  } else if (i == N_ROUND_TRIP / 2) {
    fail_unless_equals_string (r->caps, CAPS_B);
  } else {
    fail_unless (r->caps == NULL, "record %u carries caps %s", i, r->caps);
  }
  gst_buffer_unref (expected);
}

/* Reads the journal through the reader, as rgsrc does, and compares the
 * restored buffers with what went in. */
static void
check_with_reader (const gchar * location, guint n)
{
  GError *err = NULL;
  RgJournalReader *reader = rg_journal_reader_open (location, &err);
  RgJournalRecord rec;
  guint i;

  fail_unless (reader != NULL, "%s", err ? err->message : "");
  for (i = 0; i < n; i++) {
    GstBuffer *expected = round_trip_buffer (i);

    fail_unless_equals_int (rg_journal_reader_next (reader, &rec, FALSE, 0,
            &err), RG_JOURNAL_READ_OK);
    fail_unless_equals_uint64 (rec.offset, i);
    fail_unless (buffers_equal (rec.buffer, expected), "record %u", i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (rec.buffer),
        GST_BUFFER_PTS (expected));
    fail_unless_equals_uint64 (GST_BUFFER_DTS (rec.buffer),
        GST_BUFFER_DTS (expected));
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (rec.buffer),
        GST_BUFFER_DURATION (expected));
    fail_unless_equals_int (GST_BUFFER_FLAGS (rec.buffer) &
        RG_ENVELOPE_FLAGS_MASK,
        GST_BUFFER_FLAGS (expected) & RG_ENVELOPE_FLAGS_MASK);
    fail_unless_equals_int (rec.keyframe,
        !GST_BUFFER_FLAG_IS_SET (expected, GST_BUFFER_FLAG_DELTA_UNIT));
    if (i == 0 || i == n / 2) {
      GstCaps *caps = gst_caps_from_string (i == 0 ? CAPS_A : CAPS_B);

      fail_unless (rec.caps != NULL && gst_caps_is_equal (rec.caps, caps));
      gst_caps_unref (caps);
    }
    gst_buffer_unref (expected);
    rg_journal_record_clear (&rec);
  }
  fail_unless_equals_int (rg_journal_reader_next (reader, &rec, FALSE, 0,
          &err), RG_JOURNAL_READ_END);
  rg_journal_reader_free (reader);
}

GST_START_TEST (test_round_trip)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GPtrArray *recs;
  gint64 t0, t1;
  guint i;

  fixture_init (&f, location, NULL);
  gst_harness_set_src_caps_str (f.h, CAPS_A);
  t0 = g_get_real_time () / 1000;
  for (i = 0; i < N_ROUND_TRIP; i++) {
    GstBuffer *buf = round_trip_buffer (i);

    if (i == N_ROUND_TRIP / 2)
      gst_harness_set_src_caps_str (f.h, CAPS_B);
    decorate_round_trip_buffer (buf, i);
    fail_unless_equals_int (gst_harness_push (f.h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  t1 = g_get_real_time () / 1000 + 1;
  fail_unless (f.got_eos);
  fail_unless_equals_uint64 (f.next_at_eos, N_ROUND_TRIP);
  fail_unless_equals_uint64 (f.durable_at_eos, N_ROUND_TRIP);
  fail_unless_equals_uint64 (stats_u64 (f.h->element, "records"),
      N_ROUND_TRIP);
  fail_unless_equals_uint64 (stats_u64 (f.h->element, "segments"), 1);
  fixture_clear (&f);

  recs = read_journal (location, FALSE);
  fail_unless_equals_int (recs->len, N_ROUND_TRIP);
  for (i = 0; i < recs->len; i++) {
    check_round_trip_record (REC (recs, i), i, t0, t1);
    /* A single buffer is a batch of its own. */
    fail_unless_equals_int (REC (recs, i)->batch, i);
  }
  g_ptr_array_unref (recs);
  check_with_reader (location, N_ROUND_TRIP);

  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* A buffer list is one batch whose records share the first buffer's
 * timestamp and key. */
GST_START_TEST (test_buffer_list)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GPtrArray *recs;
  GstBufferList *list = gst_buffer_list_new ();
  GstCaps *ref = gst_caps_new_empty_simple ("timestamp/x-unix");
  guint i;

  fixture_init (&f, location, NULL);
  gst_harness_set_src_caps_str (f.h, CAPS_A);
  fail_unless_equals_int (gst_harness_push (f.h, make_buffer (10, 0)),
      GST_FLOW_OK);
  for (i = 0; i < 4; i++) {
    GstBuffer *buf = make_buffer (50 + i, i + 1);

    GST_BUFFER_PTS (buf) = i * GST_SECOND;
    gst_buffer_add_reference_timestamp_meta (buf, ref,
        (REFERENCE_MS + 1000 * i) * GST_MSECOND, GST_CLOCK_TIME_NONE);
    gst_buffer_list_add (list, buf);
  }
  fail_unless_equals_int (gst_pad_push_list (f.h->srcpad, list), GST_FLOW_OK);
  fail_unless_equals_uint64 (get_u64 (f.h->element, "next-offset"), 5);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fixture_clear (&f);

  recs = read_journal (location, FALSE);
  fail_unless_equals_int (recs->len, 5);
  fail_unless_equals_int (REC (recs, 0)->batch, 0);
  for (i = 1; i < 5; i++) {
    GstBuffer *expected = make_buffer (50 + i - 1, i);

    fail_unless_equals_int (REC (recs, i)->batch, 1);
    fail_unless_equals_int64 (REC (recs, i)->timestamp, REFERENCE_MS);
    fail_unless_equals_uint64 (REC (recs, i)->pts, (i - 1) * GST_SECOND);
    fail_unless (buffer_equals_bytes (expected, REC (recs, i)->value));
    gst_buffer_unref (expected);
  }
  g_ptr_array_unref (recs);
  gst_caps_unref (ref);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Sync policies                                                        */

#define N_SYNC 50

static void
run_sync_policy (RgJournalSync policy)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GPtrArray *recs;
  guint i;

  fixture_init (&f, location, "sync", policy, "sync-interval",
      (guint64) (5 * GST_MSECOND), NULL);
  gst_harness_set_src_caps_str (f.h, "application/x-telemetry");
  for (i = 0; i < N_SYNC; i++) {
    fail_unless_equals_int (gst_harness_push (f.h, make_buffer (100, i)),
        GST_FLOW_OK);
  }
  fail_unless_equals_uint64 (get_u64 (f.h->element, "next-offset"), N_SYNC);
  fail_unless_equals_uint64 (stats_u64 (f.h->element, "records"), N_SYNC);

  if (policy == RG_JOURNAL_SYNC_NONE) {
    /* Page cache only: nothing is durable before EOS. */
    fail_unless_equals_uint64 (get_u64 (f.h->element, "durable-offset"), 0);
    fail_unless_equals_uint64 (stats_u64 (f.h->element, "fsyncs"), 0);
  } else {
    /* The syncer makes the records durable without EOS. */
    fail_unless_equals_uint64 (wait_durable (f.h->element, N_SYNC), N_SYNC);
    fail_unless (stats_u64 (f.h->element, "fsyncs") >= 1);
  }

  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fail_unless (f.got_eos);
  fail_unless_equals_uint64 (f.durable_at_eos, N_SYNC);
  fail_unless_equals_uint64 (f.next_at_eos, N_SYNC);
  fail_unless (stats_u64 (f.h->element, "fsyncs") >= 1);
  fixture_clear (&f);

  recs = read_journal (location, FALSE);
  fail_unless_equals_int (recs->len, N_SYNC);
  for (i = 0; i < N_SYNC; i++) {
    GstBuffer *expected = make_buffer (100, i);

    fail_unless (buffer_equals_bytes (expected, REC (recs, i)->value));
    gst_buffer_unref (expected);
  }
  g_ptr_array_unref (recs);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_START_TEST (test_sync_none)
{
  run_sync_policy (RG_JOURNAL_SYNC_NONE);
}

GST_END_TEST;

GST_START_TEST (test_sync_interval)
{
  run_sync_policy (RG_JOURNAL_SYNC_INTERVAL);
}

GST_END_TEST;

GST_START_TEST (test_sync_always)
{
  run_sync_policy (RG_JOURNAL_SYNC_ALWAYS);
}

GST_END_TEST;

/* The offsets continue where the journal ended when the element starts
 * again on the same directory. */
GST_START_TEST (test_restart_continues)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GPtrArray *recs;
  guint round, i;

  for (round = 0; round < 2; round++) {
    fixture_init (&f, location, NULL);
    fail_unless_equals_uint64 (get_u64 (f.h->element, "next-offset"),
        round * 10);
    gst_harness_set_src_caps_str (f.h, CAPS_A);
    for (i = 0; i < 10; i++) {
      fail_unless_equals_int (gst_harness_push (f.h, make_buffer (64,
                  round * 10 + i)), GST_FLOW_OK);
    }
    fixture_clear (&f);
  }
  recs = read_journal (location, FALSE);
  fail_unless_equals_int (recs->len, 20);
  for (i = 0; i < 20; i++) {
    GstBuffer *expected = make_buffer (64, i);

    fail_unless (buffer_equals_bytes (expected, REC (recs, i)->value));
    gst_buffer_unref (expected);
  }
  g_ptr_array_unref (recs);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Rotation                                                             */

/* Checks the rg-segment-closed messages against the journal: one per
 * segment, in order, covering every offset, with the right paths, sizes
 * and timestamps. */
static void
check_segment_messages (GPtrArray * msgs, GPtrArray * recs,
    const gchar * location)
{
  GPtrArray *names = list_logs (location);
  guint64 expected_first = 0;
  guint i;

  fail_unless_equals_int (msgs->len, names->len);
  for (i = 0; i < msgs->len; i++) {
    const GstStructure *s = g_ptr_array_index (msgs, i);
    guint64 first_off, last_off, bytes;
    gint64 first_ts, last_ts;
    const gchar *path = gst_structure_get_string (s, "path");
    gchar *want_path = g_build_filename (location,
        (const gchar *) g_ptr_array_index (names, i), NULL);
    GStatBuf st;

    fail_unless (gst_structure_get (s, "first-offset", G_TYPE_UINT64, &first_off,
            "last-offset", G_TYPE_UINT64, &last_off, "first-timestamp",
            G_TYPE_INT64, &first_ts, "last-timestamp", G_TYPE_INT64,
            &last_ts, "bytes", G_TYPE_UINT64, &bytes, NULL));
    fail_unless_equals_uint64 (first_off, expected_first);
    fail_unless (last_off >= first_off && last_off < recs->len);
    fail_unless_equals_string (path, want_path);
    fail_unless (g_stat (path, &st) == 0);
    fail_unless_equals_uint64 (bytes, st.st_size);
    fail_unless_equals_int64 (first_ts, REC (recs, first_off)->timestamp);
    fail_unless_equals_int64 (last_ts, REC (recs, last_off)->timestamp);
    /* Every segment is self-describing. */
    fail_unless_equals_uint64 (REC (recs, first_off)->segment, first_off);
    fail_unless (REC (recs, first_off)->caps != NULL, "segment at %"
        G_GUINT64_FORMAT " starts without caps", first_off);
    expected_first = last_off + 1;
    g_free (want_path);
  }
  fail_unless_equals_uint64 (expected_first, recs->len);
  g_ptr_array_unref (names);
}

/* Pushes @n buffers of @size bytes, a keyframe every @gop (1 = all), with
 * reference timestamps 10 ms apart. */
static void
push_stream (Fixture * f, guint n, gsize size, guint gop)
{
  GstCaps *ref = gst_caps_new_empty_simple ("timestamp/x-unix");
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = make_buffer (size, i);

    GST_BUFFER_PTS (buf) = i * 10 * GST_MSECOND;
    if (i % gop != 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    gst_buffer_add_reference_timestamp_meta (buf, ref,
        (REFERENCE_MS + 10 * i) * GST_MSECOND, GST_CLOCK_TIME_NONE);
    fail_unless_equals_int (gst_harness_push (f->h, buf), GST_FLOW_OK);
  }
  gst_caps_unref (ref);
}

/* Runs a stream through a sink that rolls every @segment_bytes and returns
 * the journal and the segment messages. */
static void
record_rotating (const gchar * location, guint64 segment_bytes, guint n,
    gsize size, guint gop, GPtrArray ** recs, GPtrArray ** msgs)
{
  Fixture f;
  GstBus *bus;

  fixture_init (&f, location, "max-segment-bytes", segment_bytes, NULL);
  bus = gst_object_ref (f.bus);
  gst_harness_set_src_caps_str (f.h, CAPS_A);
  push_stream (&f, n, size, gop);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fail_unless (stats_u64 (f.h->element, "segments") >= 2);
  /* The last segment is closed when the element stops. */
  gst_harness_teardown (f.h);
  f.h = NULL;
  *msgs = pop_segment_messages (bus);
  gst_object_unref (bus);
  fixture_clear (&f);
  *recs = read_journal (location, FALSE);
}

GST_START_TEST (test_segment_closed_messages)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  GPtrArray *recs, *msgs;

  record_rotating (location, 4096, 40, 500, 1, &recs, &msgs);
  fail_unless_equals_int (recs->len, 40);
  fail_unless (msgs->len >= 4, "only %u segments", msgs->len);
  check_segment_messages (msgs, recs, location);
  g_ptr_array_unref (msgs);
  g_ptr_array_unref (recs);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* With keyframes every 10 buffers, segments are cut at keyframes only. */
GST_START_TEST (test_rotation_at_keyframes)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  GPtrArray *recs, *msgs;
  guint i;

  record_rotating (location, 2048, 60, 150, 10, &recs, &msgs);
  fail_unless_equals_int (recs->len, 60);
  fail_unless (msgs->len >= 3, "only %u segments", msgs->len);
  check_segment_messages (msgs, recs, location);
  for (i = 0; i < msgs->len; i++) {
    guint64 first_off;

    fail_unless (gst_structure_get_uint64 (g_ptr_array_index (msgs, i),
            "first-offset", &first_off));
    fail_unless_equals_uint64 (first_off % 10, 0);
    fail_unless_equals_int (REC (recs, first_off)->flags &
        GST_BUFFER_FLAG_DELTA_UNIT, 0);
  }
  g_ptr_array_unref (msgs);
  g_ptr_array_unref (recs);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* Segments roll when the first record is max-segment-time old (record
 * timestamps, 10 ms apart here). */
GST_START_TEST (test_rotation_by_time)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GstBus *bus;
  GPtrArray *recs, *msgs;
  guint i;

  fixture_init (&f, location, "max-segment-bytes", (guint64) 0,
      "max-segment-time", (guint64) (100 * GST_MSECOND), NULL);
  bus = gst_object_ref (f.bus);
  gst_harness_set_src_caps_str (f.h, CAPS_A);
  push_stream (&f, 60, 100, 1);
  gst_harness_teardown (f.h);
  f.h = NULL;
  msgs = pop_segment_messages (bus);
  gst_object_unref (bus);
  fixture_clear (&f);

  recs = read_journal (location, FALSE);
  fail_unless_equals_int (recs->len, 60);
  check_segment_messages (msgs, recs, location);
  fail_unless_equals_int (msgs->len, 6);
  for (i = 0; i < msgs->len; i++) {
    gint64 first_ts, last_ts;

    fail_unless (gst_structure_get (g_ptr_array_index (msgs, i),
            "first-timestamp", G_TYPE_INT64, &first_ts, "last-timestamp",
            G_TYPE_INT64, &last_ts, NULL));
    fail_unless (last_ts - first_ts < 100, "segment %u spans %" G_GINT64_FORMAT
        " ms", i, last_ts - first_ts);
  }
  g_ptr_array_unref (msgs);
  g_ptr_array_unref (recs);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* Sum of the sizes of the .log files in @dir but the last (active) one. */
static guint64
closed_log_bytes (const gchar * dir, GPtrArray * names)
{
  guint64 total = 0;
  guint i;

  for (i = 0; i + 1 < names->len; i++) {
    gchar *path = g_build_filename (dir, (gchar *) names->pdata[i], NULL);
    GStatBuf st;

    fail_unless (g_stat (path, &st) == 0);
    total += st.st_size;
    g_free (path);
  }
  return total;
}

/* max-bytes deletes the oldest closed segments; readers then start at the
 * oldest record left. */
GST_START_TEST (test_retention_by_size)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GPtrArray *names;
  RgJournalReader *reader;
  GError *err = NULL;
  guint64 start, end;

  fixture_init (&f, location, "max-segment-bytes", (guint64) 4096,
      "max-bytes", (guint64) 10000, NULL);
  gst_harness_set_src_caps_str (f.h, CAPS_A);
  push_stream (&f, 40, 500, 1);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fixture_clear (&f);

  names = list_logs (location);
  fail_unless (names->len >= 2);
  fail_unless (closed_log_bytes (location, names) <= 10000);
  reader = rg_journal_reader_open (location, &err);
  fail_unless (reader != NULL, "%s", err ? err->message : "");
  fail_unless (rg_journal_reader_get_range (reader, &start, &end, &err));
  fail_unless (start > 0, "nothing was deleted");
  fail_unless_equals_uint64 (start,
      g_ascii_strtoull (g_ptr_array_index (names, 0), NULL, 10));
  fail_unless_equals_uint64 (end, 40);
  rg_journal_reader_free (reader);
  g_ptr_array_unref (names);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Faults                                                               */

/* Pops the first error message on @bus. */
static GError *
pop_error (GstBus * bus, gchar ** debug)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;

  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, debug);
  gst_message_unref (msg);
  return err;
}

GST_START_TEST (test_second_sink_locked)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  Fixture f;
  GstElement *other;
  GstBus *bus;
  GError *err;
  gchar *debug = NULL;

  fixture_init (&f, location, NULL);
  gst_harness_set_src_caps_str (f.h, CAPS_A);
  fail_unless_equals_int (gst_harness_push (f.h, make_buffer (10, 1)),
      GST_FLOW_OK);

  other = gst_element_factory_make ("rgjournalsink", NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (other, bus);
  g_object_set (other, "location", location, NULL);
  fail_unless_equals_int (gst_element_set_state (other, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  err = pop_error (bus, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", err->message);
  fail_unless (strstr (err->message, "locked by another writer") != NULL,
      "%s", err->message);
  fail_unless (strstr (err->message, location) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "writer.lock") != NULL, "%s",
      err->message);
  g_error_free (err);
  g_free (debug);
  gst_element_set_state (other, GST_STATE_NULL);
  gst_element_set_bus (other, NULL);
  gst_object_unref (other);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);

  /* The first writer was not disturbed. */
  fail_unless_equals_int (gst_harness_push (f.h, make_buffer (10, 2)),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (f.durable_at_eos, 2);
  fixture_clear (&f);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

GST_START_TEST (test_no_location)
{
  GstElement *sink = gst_element_factory_make ("rgjournalsink", NULL);
  GstBus *bus = gst_bus_new ();
  GError *err;
  gchar *debug = NULL;

  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  err = pop_error (bus, &debug);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND));
  fail_unless (strstr (err->message, "location") != NULL);
  g_error_free (err);
  g_free (debug);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (sink);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

/* What the disk-full child reports to the test. */
typedef struct
{
  guint pushed;                 /* buffers accepted */
  gint last_flow;
  guint64 durable;              /* durable-offset after the error */
  gint error_domain_is_resource;
  gint error_code;
  gchar message[512];
} DiskFullReport;

/* In a forked child: a file size limit of @limit bytes, SIGXFSZ ignored,
 * so writes past it fail with EFBIG as on a full disk. Pushes buffers of
 * @size bytes until the sink refuses one and reports what happened. */
static void
disk_full_child (const gchar * location, gsize limit, gsize size, int fd)
{
  struct rlimit rl = { limit, limit };
  DiskFullReport report = { 0, };
  Fixture f;
  GstFlowReturn ret = GST_FLOW_OK;
  GError *err;
  gchar *debug = NULL;

  signal (SIGXFSZ, SIG_IGN);
  fail_unless (setrlimit (RLIMIT_FSIZE, &rl) == 0);

  fixture_init (&f, location, "sync", RG_JOURNAL_SYNC_ALWAYS, NULL);
  gst_harness_set_src_caps_str (f.h, "application/x-telemetry");
  while (report.pushed < 10000) {
    ret = gst_harness_push (f.h, make_buffer (size, report.pushed));
    if (ret != GST_FLOW_OK)
      break;
    report.pushed++;
  }
  report.last_flow = ret;
  report.durable = get_u64 (f.h->element, "durable-offset");
  err = pop_error (f.bus, &debug);
  report.error_domain_is_resource = err->domain == GST_RESOURCE_ERROR;
  report.error_code = err->code;
  g_strlcpy (report.message, err->message, sizeof (report.message));
  g_error_free (err);
  g_free (debug);
  fixture_clear (&f);

  fail_unless (write (fd, &report, sizeof (report)) == sizeof (report));
  close (fd);
}

static void
run_disk_full_child (const gchar * location, gsize limit, gsize size,
    DiskFullReport * report)
{
  int fds[2], status;
  pid_t pid;

  fail_unless (pipe (fds) == 0);
  pid = fork ();
  fail_unless (pid >= 0);
  if (pid == 0) {
    close (fds[0]);
    disk_full_child (location, limit, size, fds[1]);
    _exit (0);
  }
  close (fds[1]);
  fail_unless (read (fds[0], report, sizeof (*report)) == sizeof (*report),
      "the disk-full child did not report");
  close (fds[0]);
  fail_unless (waitpid (pid, &status, 0) == pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* Checks the error and the journal a disk-full child left: a clear error,
 * every record reported durable present and intact, and after recovery a
 * journal that verifies clean. */
static void
check_disk_full (const gchar * location, gsize size,
    const DiskFullReport * report)
{
  GPtrArray *recs, *problems = NULL;
  GError *err = NULL;
  guint i;

  fail_unless_equals_int (report->last_flow, GST_FLOW_ERROR);
  fail_unless (report->error_domain_is_resource);
  fail_unless_equals_int (report->error_code,
      GST_RESOURCE_ERROR_NO_SPACE_LEFT);
  fail_unless (g_str_has_prefix (report->message, "Disk full"), "%s",
      report->message);
  fail_unless (strstr (report->message, location) != NULL);
  fail_unless (report->durable <= report->pushed);

  recs = read_journal (location, TRUE);
  fail_unless (recs->len >= report->durable);
  for (i = 0; i < recs->len; i++) {
    GstBuffer *expected = make_buffer (size, i);

    fail_unless (buffer_equals_bytes (expected, REC (recs, i)->value));
    gst_buffer_unref (expected);
  }
  g_ptr_array_unref (recs);

  fail_unless (rg_journal_recover (location, NULL, &err), "%s",
      err ? err->message : "");
  fail_unless (rg_journal_verify (location, &problems, &err));
  fail_unless_equals_int (problems->len, 0);
  g_ptr_array_unref (problems);
  recs = read_journal (location, FALSE);
  fail_unless (recs->len >= report->durable);
  g_ptr_array_unref (recs);
}

/* Buffers large enough that the journal writes each one at once: the
 * buffer that does not fit is the one refused. */
GST_START_TEST (test_disk_full)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  const gsize limit = 160 * 1024, size = 8000;
  DiskFullReport report;

  run_disk_full_child (location, limit, size, &report);
  fail_unless (report.pushed > 10 && report.pushed <= limit / size,
      "pushed %u", report.pushed);
  check_disk_full (location, size, &report);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

/* Small buffers are gathered and written by the syncer, so the failed
 * write happens there; the next buffer still gets the disk-full error. */
GST_START_TEST (test_disk_full_small_buffers)
{
  gchar *tmp, *location = make_journal_path (&tmp);
  DiskFullReport report;

  run_disk_full_child (location, 16 * 1024, 100, &report);
  fail_unless (report.pushed > 10 && report.pushed < 10000, "pushed %u",
      report.pushed);
  check_disk_full (location, 100, &report);
  remove_tree (tmp);
  g_free (location);
  g_free (tmp);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("rgjournalsink", NULL);
  RgJournalConfig d;
  guint64 v;
  gint sync;
  GParamSpec *pspec;

  rg_journal_config_init (&d);
  g_object_get (sink, "sync", &sync, "sync-interval", &v, NULL);
  fail_unless_equals_int (sync, d.sync);
  fail_unless_equals_uint64 (v, d.sync_interval);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "sync");
  fail_unless (G_IS_PARAM_SPEC_ENUM (pspec));
  gst_util_set_object_arg (G_OBJECT (sink), "sync", "always");
  g_object_get (sink, "sync", &sync, NULL);
  fail_unless_equals_int (sync, RG_JOURNAL_SYNC_ALWAYS);
  g_object_set (sink, "max-segment-time", (guint64) 0, NULL);
  g_object_get (sink, "max-segment-time", &v, NULL);
  fail_unless_equals_uint64 (v, 0);
  fail_unless_equals_uint64 (get_u64 (sink, "next-offset"), 0);
  fail_unless_equals_uint64 (get_u64 (sink, "durable-offset"), 0);
  gst_object_unref (sink);
}

GST_END_TEST;

static Suite *
rgjournalsink_suite (void)
{
  Suite *s = suite_create ("rgjournalsink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_buffer_list);
  tcase_add_test (tc, test_sync_none);
  tcase_add_test (tc, test_sync_interval);
  tcase_add_test (tc, test_sync_always);
  tcase_add_test (tc, test_restart_continues);
  tcase_add_test (tc, test_segment_closed_messages);
  tcase_add_test (tc, test_rotation_at_keyframes);
  tcase_add_test (tc, test_rotation_by_time);
  tcase_add_test (tc, test_retention_by_size);
  tcase_add_test (tc, test_second_sink_locked);
  tcase_add_test (tc, test_no_location);
  tcase_add_test (tc, test_disk_full);
  tcase_add_test (tc, test_disk_full_small_buffers);
  return s;
}

GST_CHECK_MAIN (rgjournalsink);
