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

/* Tests of rgsrc: round trips through rgjournalsink (telemetry, 1 MiB
 * buffers, a real H.264 stream from x264enc), zero-copy replay, start and
 * stop positions, seeks, an MP4 export checked with gst-discoverer-1.0 and
 * a decoder, follow mode against a writer in another process, corruption
 * and the URI handler. */

#define _GNU_SOURCE             /* memmem */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/rgbatch.h"
#include "journal/rgjournal.h"
#include "record/rgmeta.h"

#define TS0 G_GINT64_CONSTANT (1767225600000)
#define TELEMETRY_CAPS "application/x-telemetry, rate=(int)100"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* The segment log of @base_offset, named as Kafka names it (20 digits).
 * Element tests see only the public API, so they spell the layout out. */
static gchar *
segment_log_path (const gchar * dir, guint64 base_offset)
{
  return g_strdup_printf ("%s/%020" G_GUINT64_FORMAT ".log", dir,
      base_offset);
}

/* How many segment logs @dir holds. */
static guint
count_segment_logs (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    n += g_str_has_suffix (name, ".log") && strlen (name) == 24;
  g_dir_close (d);
  return n;
}

static gchar *
make_dir (void)
{
  gchar *dir = g_dir_make_tmp ("rg-rgsrc-XXXXXX", NULL);

  fail_unless (dir != NULL);
  return dir;
}

static void
rm_rf (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (!d)
    return;
  while ((name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

/* A synthetic buffer @i of @size bytes: keyframe every 10, PTS 40 ms
 * apart, DTS one ns before, and flags a recording cares about. */
static GstBuffer *
make_buffer (guint i, gsize size)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize j;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (j = 0; j < size; j++)
    map.data[j] = (guint8) (i * 7 + j * 13);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = (i + 10) * 40 * GST_MSECOND;
  GST_BUFFER_DTS (buf) = i % 4 == 3 ? GST_CLOCK_TIME_NONE :
      (GstClockTime) (i + 10) * 40 * GST_MSECOND - 1;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  if (i % 10 != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (i % 5 == 2)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_MARKER);
  return buf;
}

/* Writes @n synthetic buffers with the journal writer, record timestamps
 * TS0 + 40 ms * i, rolling segments every ~@segment_bytes. */
static void
write_journal (const gchar * dir, guint n, gsize size, guint64 segment_bytes)
{
  RgJournalConfig config;
  RgJournalWriter *w;
  GstCaps *caps = gst_caps_from_string (TELEMETRY_CAPS);
  GError *err = NULL;
  guint i;

  rg_journal_config_init (&config);
  config.max_segment_bytes = segment_bytes;
  w = rg_journal_writer_open (dir, &config, &err);
  fail_unless (w != NULL, "%s", err ? err->message : "");
  rg_journal_writer_set_caps (w, caps);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = make_buffer (i, size);
    guint64 offset;

    fail_unless (rg_journal_writer_append (w, buf, TS0 + 40 * i, NULL,
            &offset, &err), "%s", err ? err->message : "");
    fail_unless_equals_uint64 (offset, i);
    gst_buffer_unref (buf);
  }
  fail_unless (rg_journal_writer_close (w, NULL));
  gst_caps_unref (caps);
}

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
} Player;

static Player
player_new (const gchar * desc)
{
  Player p;
  GError *err = NULL;

  p.pipeline = gst_parse_launch (desc, &err);
  fail_unless (p.pipeline != NULL, "%s: %s", desc, err ? err->message : "");
  p.sink = gst_bin_get_by_name (GST_BIN (p.pipeline), "sink");
  return p;
}

static void
player_free (Player * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  if (p->sink)
    gst_object_unref (p->sink);
  gst_object_unref (p->pipeline);
}

/* Runs "<desc> ! appsink name=sink" to the end; returns every sample. */
static GPtrArray *
collect (const gchar * desc, gchar ** error_message)
{
  gchar *full = g_strdup_printf ("%s ! appsink name=sink sync=false", desc);
  Player p = player_new (full);
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_sample_unref);
  GstSample *s;
  GstMessage *msg;
  GstBus *bus;
  gboolean eos;

  g_free (full);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (p.pipeline);
  if (error_message)
    *error_message = NULL;
  /* Until EOS, or an error (after which no EOS comes). */
  for (;;) {
    s = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
        100 * GST_MSECOND);
    if (s) {
      g_ptr_array_add (samples, s);
      continue;
    }
    /* A source that fails posts its error and then sends EOS. */
    eos = gst_app_sink_is_eos (GST_APP_SINK (p.sink));
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (!msg && eos)
      break;
    if (msg) {
      GError *err = NULL;

      gst_message_parse_error (msg, &err, NULL);
      if (error_message)
        *error_message = g_strdup (err->message);
      else
        fail ("pipeline error: %s", err->message);
      g_error_free (err);
      gst_message_unref (msg);
      break;
    }
  }
  gst_object_unref (bus);
  player_free (&p);
  return samples;
}

static GstBuffer *
sample_buffer (GPtrArray * samples, guint i)
{
  return gst_sample_get_buffer (g_ptr_array_index (samples, i));
}

static guint64
sample_offset (GPtrArray * samples, guint i)
{
  GstRgMeta *meta = gst_buffer_get_rg_meta (sample_buffer (samples, i));

  fail_unless (meta != NULL);
  return gst_rg_meta_get_offset (meta);
}

static gboolean
buffers_equal_bytes (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  eq = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return eq;
}

/* Flags a journal stores; DISCONT on a replayed buffer is the source's
 * own (the first buffer, a gap). */
static guint
stored_flags (GstBuffer * b)
{
  return GST_BUFFER_FLAGS (b) & RG_ENVELOPE_FLAGS_MASK &
      ~GST_BUFFER_FLAG_DISCONT;
}

static void
check_same_buffer (GstBuffer * got, GstBuffer * orig, guint i)
{
  fail_unless (buffers_equal_bytes (got, orig), "bytes differ at %u", i);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (got), GST_BUFFER_PTS (orig));
  fail_unless_equals_uint64 (GST_BUFFER_DTS (got), GST_BUFFER_DTS (orig));
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (got),
      GST_BUFFER_DURATION (orig));
  fail_unless_equals_int (stored_flags (got), stored_flags (orig));
}

/* ------------------------------------------------------------------ */
/* Round trips through rgjournalsink                                    */

/* Pushes @n buffers of @size bytes through rgjournalsink, then replays
 * them with rgsrc and compares everything a user can see. */
static void
round_trip_synthetic (guint n, gsize size)
{
  gchar *dir = make_dir ();
  gchar *desc = g_strdup_printf ("rgjournalsink location=%s", dir);
  GstHarness *h = gst_harness_new_parse (desc);
  GPtrArray *orig = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GPtrArray *got;
  GstCaps *caps;
  guint i;

  gst_harness_set_src_caps_str (h, TELEMETRY_CAPS);
  for (i = 0; i < n; i++) {
    GstBuffer *b = make_buffer (i, size);

    g_ptr_array_add (orig, gst_buffer_ref (b));
    fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);

  g_free (desc);
  desc = g_strdup_printf ("rgsrc location=%s", dir);
  got = collect (desc, NULL);
  fail_unless_equals_int (got->len, n);
  caps = gst_caps_from_string (TELEMETRY_CAPS);
  fail_unless (gst_caps_is_equal (gst_sample_get_caps (g_ptr_array_index (got,
                  0)), caps));
  gst_caps_unref (caps);
  for (i = 0; i < n; i++) {
    check_same_buffer (sample_buffer (got, i), g_ptr_array_index (orig, i),
        i);
    fail_unless_equals_uint64 (sample_offset (got, i), i);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (sample_buffer (got, i)), i);
  }
  g_ptr_array_unref (got);
  g_ptr_array_unref (orig);
  g_free (desc);
  rm_rf (dir);
  g_free (dir);
}

GST_START_TEST (test_round_trip_telemetry)
{
  round_trip_synthetic (2000, 100);
}

GST_END_TEST;

GST_START_TEST (test_round_trip_1mib)
{
  round_trip_synthetic (24, 1024 * 1024);
}

GST_END_TEST;

/* Keeps a reference to every buffer and the caps reaching appsink "orig". */
static GPtrArray *
pull_all (GstElement * appsink, GstCaps ** caps)
{
  GPtrArray *bufs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *s;

  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (appsink)))) {
    if (!*caps)
      *caps = gst_caps_ref (gst_sample_get_caps (s));
    g_ptr_array_add (bufs, gst_buffer_ref (gst_sample_get_buffer (s)));
    gst_sample_unref (s);
  }
  return bufs;
}

/* Records @frames frames of x264enc output (keyframe every 25) into @dir
 * through rgjournalsink, and returns the buffers as x264enc made them. The
 * record timestamps are set through GstReferenceTimestampMeta to TS0 +
 * 40 ms per frame, so that time ranges are exact. */
static GstPadProbeReturn
stamp_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *count = user_data;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstCaps *ref = gst_caps_from_string ("timestamp/x-unix");

  gst_buffer_add_reference_timestamp_meta (buf, ref,
      (TS0 + 40 * (gint64) (*count)++) * GST_MSECOND, GST_CLOCK_TIME_NONE);
  gst_caps_unref (ref);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GPtrArray *
record_h264 (const gchar * dir, guint frames, GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=25/1 ! "
      "x264enc key-int-max=25 speed-preset=ultrafast ! h264parse ! "
      "tee name=t ! queue ! rgjournalsink name=js location=%s "
      "t. ! queue ! appsink name=sink sync=false", frames, dir);
  Player p = player_new (desc);
  GstElement *js = gst_bin_get_by_name (GST_BIN (p.pipeline), "js");
  GstPad *pad = gst_element_get_static_pad (js, "sink");
  guint count = 0;
  GPtrArray *bufs;
  GstMessage *msg;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_probe, &count,
      NULL);
  *caps = NULL;
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  bufs = pull_all (p.sink, caps);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (p.pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_int (bufs->len, frames);
  fail_unless_equals_int (count, frames);
  gst_object_unref (pad);
  gst_object_unref (js);
  player_free (&p);
  g_free (desc);
  return bufs;
}

GST_START_TEST (test_round_trip_h264)
{
  gchar *dir = make_dir ();
  gchar *desc = g_strdup_printf ("rgsrc location=%s", dir);
  GstCaps *caps;
  GPtrArray *orig = record_h264 (dir, 75, &caps), *got;
  guint i;

  got = collect (desc, NULL);
  fail_unless_equals_int (got->len, orig->len);
  fail_unless (gst_caps_is_equal (gst_sample_get_caps (g_ptr_array_index (got,
                  0)), caps));
  for (i = 0; i < got->len; i++) {
    GstBuffer *b = sample_buffer (got, i);
    GstRgMeta *meta = gst_buffer_get_rg_meta (b);

    check_same_buffer (b, g_ptr_array_index (orig, i), i);
    fail_unless_equals_uint64 (gst_rg_meta_get_offset (meta), i);
    fail_unless_equals_int64 (gst_rg_meta_get_timestamp (meta),
        TS0 + 40 * (gint64) i);
  }
  /* x264enc made keyframes at 0, 25 and 50 and nowhere else. */
  for (i = 0; i < got->len; i++)
    fail_unless_equals_int (!GST_BUFFER_FLAG_IS_SET (sample_buffer (got, i),
            GST_BUFFER_FLAG_DELTA_UNIT), i % 25 == 0);
  gst_caps_unref (caps);
  g_ptr_array_unref (orig);
  g_ptr_array_unref (got);
  g_free (desc);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Zero copy                                                            */

static gboolean
pointer_in_file_mapping (gconstpointer p, const gchar * path)
{
  gchar *maps = NULL, **lines;
  gboolean found = FALSE;
  guint i;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (i = 0; lines[i] && !found; i++) {
    guintptr lo, hi;

    if (!strstr (lines[i], path))
      continue;
    if (sscanf (lines[i], "%" G_GINTPTR_MODIFIER "x-%" G_GINTPTR_MODIFIER "x",
            &lo, &hi) == 2)
      found = (guintptr) p >= lo && (guintptr) p < hi;
  }
  g_strfreev (lines);
  g_free (maps);
  return found;
}

GST_START_TEST (test_zero_copy)
{
  gchar *dir = make_dir ();
  gchar *desc = g_strdup_printf ("rgsrc location=%s", dir);
  gchar *log = segment_log_path (dir, 0);
  gchar *file;
  gsize file_len;
  GPtrArray *got;
  guint i;

  write_journal (dir, 20, 64 * 1024, 0);
  fail_unless (g_file_get_contents (log, &file, &file_len, NULL));
  got = collect (desc, NULL);
  fail_unless_equals_int (got->len, 20);
  for (i = 0; i < got->len; i++) {
    GstBuffer *b = sample_buffer (got, i);
    GstMapInfo map;

    /* Still one memory, mapped where the segment file is mapped, and the
     * bytes there are the file's. */
    fail_unless_equals_int (gst_buffer_n_memory (b), 1);
    fail_unless (gst_buffer_map (b, &map, GST_MAP_READ));
    fail_unless (pointer_in_file_mapping (map.data, log));
    fail_unless (pointer_in_file_mapping (map.data + map.size - 1, log));
    fail_unless (memmem (file, file_len, map.data, map.size) != NULL);
    gst_buffer_unmap (b, &map);
  }
  g_ptr_array_unref (got);
  g_free (file);
  g_free (log);
  g_free (desc);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Start and stop                                                       */

static void
check_range (const gchar * dir, const gchar * props, guint64 first_offset,
    guint64 count)
{
  gchar *desc = g_strdup_printf ("rgsrc location=%s %s", dir, props);
  GPtrArray *got = collect (desc, NULL);
  guint i;

  fail_unless_equals_int (got->len, count);
  for (i = 0; i < got->len; i++)
    fail_unless_equals_uint64 (sample_offset (got, i), first_offset + i);
  if (count > 0) {
    GstSegment *seg = gst_sample_get_segment (g_ptr_array_index (got, 0));

    /* Stream time starts at the first buffer's PTS. */
    fail_unless_equals_uint64 (seg->start,
        GST_BUFFER_PTS (sample_buffer (got, 0)));
  }
  g_ptr_array_unref (got);
  g_free (desc);
}

GST_START_TEST (test_start_stop)
{
  gchar *dir = make_dir ();
  gchar *props;

  /* 100 records in segments of ~2 KiB (several records each). */
  write_journal (dir, 100, 300, 2048);
  check_range (dir, "", 0, 100);
  check_range (dir, "start=offset start-offset=37", 37, 63);
  check_range (dir, "start=offset start-offset=37 snap-to-keyframe=true",
      30, 70);
  check_range (dir, "start=offset start-offset=37 stop-offset=45", 37, 8);
  check_range (dir, "start=latest", 0, 0);
  check_range (dir, "start=latest snap-to-keyframe=true", 90, 10);
  props = g_strdup_printf ("start=time start-time=%" G_GINT64_FORMAT
      " stop-time=%" G_GINT64_FORMAT, TS0 + 40 * 55 - 3, TS0 + 40 * 72);
  check_range (dir, props, 55, 17);
  g_free (props);
  props = g_strdup_printf ("start=time start-time=%" G_GINT64_FORMAT
      " snap-to-keyframe=true stop-time=%" G_GINT64_FORMAT, TS0 + 40 * 55,
      TS0 + 40 * 72);
  check_range (dir, props, 50, 22);
  g_free (props);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Seeking                                                              */

static GstBuffer *
pull_after_seek (Player * p, GstFormat format, gint64 position)
{
  GstSample *s;
  GstBuffer *b;

  fail_unless (gst_element_seek_simple (p->pipeline, format,
          GST_SEEK_FLAG_FLUSH, position));
  s = gst_app_sink_pull_preroll (GST_APP_SINK (p->sink));
  fail_unless (s != NULL);
  b = gst_buffer_ref (gst_sample_get_buffer (s));
  gst_sample_unref (s);
  return b;
}

GST_START_TEST (test_seek)
{
  gchar *dir = make_dir ();
  gchar *desc;
  Player p;
  GstBuffer *b;
  gint64 pos;

  write_journal (dir, 100, 300, 4096);
  desc = g_strdup_printf ("rgsrc location=%s ! appsink name=sink sync=false",
      dir);
  p = player_new (desc);
  fail_unless_equals_int (gst_element_set_state (p.pipeline,
          GST_STATE_PAUSED), GST_STATE_CHANGE_ASYNC);
  fail_unless_equals_int (gst_element_get_state (p.pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), GST_STATE_CHANGE_SUCCESS);

  /* DEFAULT format: record offsets, landing on the keyframe before. */
  b = pull_after_seek (&p, GST_FORMAT_DEFAULT, 47);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), 40);
  fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT));
  gst_buffer_unref (b);
  b = pull_after_seek (&p, GST_FORMAT_BUFFERS, 10);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), 10);
  gst_buffer_unref (b);

  /* TIME: the stream time is the recorded PTS (record i has PTS
   * (i + 10) * 40 ms). */
  b = pull_after_seek (&p, GST_FORMAT_TIME, (73 + 10) * 40 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), 70);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 80 * 40 * GST_MSECOND);
  gst_buffer_unref (b);
  b = pull_after_seek (&p, GST_FORMAT_TIME, (20 + 10) * 40 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (b), 20);
  gst_buffer_unref (b);

  /* Offsets as queries. */
  fail_unless (gst_element_query_duration (p.pipeline, GST_FORMAT_DEFAULT,
          &pos));
  fail_unless_equals_int64 (pos, 100);
  player_free (&p);
  g_free (desc);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Export to MP4                                                        */

static gchar *
run_program (const gchar * const *argv, gint * status)
{
  gchar *out = NULL;
  GError *err = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, status, &err), "%s", err ? err->message : "");
  return out;
}

/* Decodes @mp4 and counts the frames; tells whether the first sample of
 * the file is a keyframe. */
static guint
count_decoded_frames (const gchar * mp4, gboolean * first_is_key)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! qtdemux ! "
      "tee name=t ! queue ! h264parse ! avdec_h264 ! appsink name=sink "
      "sync=false t. ! queue ! appsink name=raw sync=false", mp4);
  Player p = player_new (desc);
  GstElement *raw = gst_bin_get_by_name (GST_BIN (p.pipeline), "raw");
  GstSample *s;
  guint n = 0;

  g_object_set (raw, "max-buffers", 0, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  s = gst_app_sink_pull_sample (GST_APP_SINK (raw));
  fail_unless (s != NULL);
  *first_is_key = !GST_BUFFER_FLAG_IS_SET (gst_sample_get_buffer (s),
      GST_BUFFER_FLAG_DELTA_UNIT);
  gst_sample_unref (s);
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (raw))))
    gst_sample_unref (s);
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (p.sink)))) {
    n++;
    gst_sample_unref (s);
  }
  gst_object_unref (raw);
  player_free (&p);
  g_free (desc);
  return n;
}

/* Counts the frames decodebin produces from @mp4, as a user would. */
static guint
count_decodebin_frames (const gchar * mp4)
{
  gchar *desc = g_strdup_printf ("filesrc location=%s ! decodebin", mp4);
  GPtrArray *got = collect (desc, NULL);
  guint n = got->len;

  g_ptr_array_unref (got);
  g_free (desc);
  return n;
}

GST_START_TEST (test_export_mp4)
{
  gchar *dir = make_dir ();
  gchar *mp4 = g_build_filename (dir, "clip.mp4", NULL);
  gchar *desc, *out;
  GError *err = NULL;
  GstCaps *caps;
  GPtrArray *orig = record_h264 (dir, 100, &caps);
  GstElement *pipeline;
  GstMessage *msg;
  gboolean first_is_key;
  const gchar *argv[] = { "gst-discoverer-1.0", mp4, NULL };
  gint status;

  /* The clip asked for: from record 40's time (snapped back to the
   * keyframe at 25) up to, not including, record 80: 55 frames. */
  desc = g_strdup_printf ("rgsrc location=%s start=time start-time=%"
      G_GINT64_FORMAT " snap-to-keyframe=true stop-time=%" G_GINT64_FORMAT
      " ! h264parse ! mp4mux ! filesink location=%s", dir, TS0 + 40 * 40,
      TS0 + 40 * 80, mp4);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  out = run_program (argv, &status);
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "gst-discoverer-1.0 failed:\n%s", out);
  fail_unless (strstr (out, "H.264") != NULL, "%s", out);
  fail_unless (strstr (out, "Duration: 0:00:02.200000000") != NULL, "%s",
      out);
  g_free (out);

  fail_unless_equals_int (count_decoded_frames (mp4, &first_is_key), 55);
  fail_unless (first_is_key);
  fail_unless_equals_int (count_decodebin_frames (mp4), 55);

  gst_caps_unref (caps);
  g_ptr_array_unref (orig);
  g_free (desc);
  g_free (mp4);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Follow mode across two processes                                     */

GST_START_TEST (test_follow_other_process)
{
  gchar *dir = make_dir ();
  gchar *writer = g_strdup_printf ("videotestsrc is-live=true "
      "num-buffers=60 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=15 speed-preset=ultrafast ! "
      "h264parse ! rgjournalsink location=%s max-segment-bytes=20000", dir);
  const gchar *argv[] = { RG_TEST_BUILD_DIR "/tests/check/rgsrc-writer",
    writer, NULL
  };
  gchar *desc = g_strdup_printf ("rgsrc location=%s follow=true ! "
      "appsink name=sink sync=false", dir);
  GPtrArray *live, *replay;
  GPid child;
  GError *err = NULL;
  Player p;
  gboolean child_alive_at_first = FALSE;
  gchar **envp;
  gint status;
  guint i;

  /* The follower starts on an empty directory, before the writer. */
  p = player_new (desc);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  /* The writer is a helper, not what this test checks: in a sanitizer
   * build its leak report (the plugins GStreamer loads) would only hide
   * the reader's. */
  envp = g_environ_setenv (g_get_environ (), "LSAN_OPTIONS",
      "detect_leaks=0", TRUE);
  envp = g_environ_setenv (envp, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  fail_unless (g_spawn_async (NULL, (gchar **) argv, envp,
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &child, &err), "%s", err ? err->message : "");
  live = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_sample_unref);
  while (live->len < 60) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
        30 * GST_SECOND);

    fail_unless (s != NULL, "no record %u from the follower", live->len);
    if (live->len == 0)
      child_alive_at_first = waitpid (child, &status, WNOHANG) == 0;
    g_ptr_array_add (live, s);
  }
  fail_unless_equals_int (waitpid (child, &status, 0), child);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  g_spawn_close_pid (child);
  /* The follower saw records while the writer was still writing. */
  fail_unless (child_alive_at_first);
  player_free (&p);

  /* What it saw is what is in the journal, record for record. */
  g_free (desc);
  desc = g_strdup_printf ("rgsrc location=%s", dir);
  replay = collect (desc, NULL);
  fail_unless_equals_int (replay->len, 60);
  for (i = 0; i < 60; i++) {
    fail_unless_equals_uint64 (sample_offset (live, i), i);
    fail_unless (buffers_equal_bytes (sample_buffer (live, i),
            sample_buffer (replay, i)));
  }
  /* The writer rolled segments under the follower. */
  fail_unless (count_segment_logs (dir) > 1);
  g_ptr_array_unref (live);
  g_ptr_array_unref (replay);
  g_free (desc);
  g_free (writer);
  g_strfreev (envp);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Corruption                                                           */

GST_START_TEST (test_corrupt)
{
  gchar *dir = make_dir ();
  gchar *log = segment_log_path (dir, 0);
  gchar *desc, *msg = NULL;
  GPtrArray *got;
  gsize pos = 0, len;
  gchar *data;
  guint i;
  int fd;
  guint8 b;

  write_journal (dir, 30, 500, 0);
  /* Damage record 12's value. */
  fail_unless (g_file_get_contents (log, &data, &len, NULL));
  for (i = 0; i < 12; i++)
    pos += rg_batch_validate ((guint8 *) data + pos, len - pos, NULL, NULL);
  g_free (data);
  fd = open (log, O_RDWR);
  fail_unless (pread (fd, &b, 1, pos + 200) == 1);
  b ^= 0x01;
  fail_unless (pwrite (fd, &b, 1, pos + 200) == 1);
  close (fd);

  desc = g_strdup_printf ("rgsrc location=%s", dir);
  got = collect (desc, &msg);
  fail_unless_equals_int (got->len, 12);
  fail_unless (msg != NULL);
  fail_unless (strstr (msg, "skip-corrupt") != NULL, "%s", msg);
  g_free (msg);
  g_ptr_array_unref (got);
  g_free (desc);

  desc = g_strdup_printf ("rgsrc location=%s skip-corrupt=true", dir);
  got = collect (desc, NULL);
  fail_unless_equals_int (got->len, 29);
  fail_unless_equals_uint64 (sample_offset (got, 12), 13);
  fail_unless (GST_BUFFER_FLAG_IS_SET (sample_buffer (got, 12),
          GST_BUFFER_FLAG_DISCONT));
  g_ptr_array_unref (got);
  g_free (desc);
  g_free (log);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* URI handler and errors                                               */

GST_START_TEST (test_uri)
{
  gchar *dir = make_dir ();
  gchar *uri = g_strconcat ("rgjournal://", dir, NULL);
  GstElement *src;
  gchar *loc, *back;
  GPtrArray *got;

  src = gst_element_make_from_uri (GST_URI_SRC, uri, NULL, NULL);
  fail_unless (src != NULL);
  g_object_get (src, "location", &loc, NULL);
  fail_unless_equals_string (loc, dir);
  back = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless_equals_string (back, uri);
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "rgjournal://relative", NULL));
  gst_object_unref (src);

  write_journal (dir, 5, 100, 0);
  /* gst-launch syntax takes a URI in place of an element. */
  got = collect (uri, NULL);
  fail_unless_equals_int (got->len, 5);
  g_ptr_array_unref (got);
  g_free (loc);
  g_free (back);
  g_free (uri);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_missing_directory)
{
  gchar *msg = NULL;
  GPtrArray *got = collect ("rgsrc location=/nonexistent/rg-journal", &msg);

  fail_unless_equals_int (got->len, 0);
  fail_unless (msg != NULL);
  fail_unless (strstr (msg, "/nonexistent/rg-journal") != NULL, "%s", msg);
  g_free (msg);
  g_ptr_array_unref (got);
}

GST_END_TEST;

static Suite *
rgsrc_suite (void)
{
  Suite *s = suite_create ("rgsrc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_telemetry);
  tcase_add_test (tc, test_round_trip_1mib);
  tcase_add_test (tc, test_round_trip_h264);
  tcase_add_test (tc, test_zero_copy);
  tcase_add_test (tc, test_start_stop);
  tcase_add_test (tc, test_seek);
  tcase_add_test (tc, test_export_mp4);
  tcase_add_test (tc, test_follow_other_process);
  tcase_add_test (tc, test_corrupt);
  tcase_add_test (tc, test_uri);
  tcase_add_test (tc, test_missing_directory);
  return s;
}

GST_CHECK_MAIN (rgsrc);
