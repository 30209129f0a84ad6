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

/* journal-compat-writer DIR: streams a known sequence of buffers into an
 * rgjournalsink writing the journal DIR, for journal_compat.py, which reads
 * the .log files with kafka-python and checks them against its own copy of
 * these rules (keep the two in step):
 *
 *  buffers i = 0..59, one record (one batch) each:
 *    value       bytes (i * 13 + j) & 0xff for j below 100 + (i % 7) * 50;
 *                i = 20 is 2000 such bytes held in two memories
 *    PTS         i * 40 ms; DTS the same for even i, none for odd i;
 *                duration 40 ms
 *    flags       DELTA_UNIT unless i % 10 == 0
 *    timestamp   1700000000000 + 40 * i ms (GstReferenceTimestampMeta,
 *                timestamp/x-unix)
 *    key         "cam-<i % 2>" (GstRgMeta) when i % 3 == 0, else null
 *    caps        CAPS_1 for i < 30, CAPS_2 from i = 30
 *  then a buffer list of i = 60..64, one batch: value "list-<i>", PTS
 *    i * 40 ms, no DTS or duration, no flags; the record timestamp and key
 *    of the list's first buffer (60: timestamp 1700000002400, key "cam-0")
 *  segments roll past 8192 bytes at the next keyframe.
 */

#include <string.h>

#include <gst/gst.h>

#include "record/rgmeta.h"

#define CAPS_1 "video/x-h264, stream-format=(string)byte-stream, " \
    "alignment=(string)au"
#define CAPS_2 "video/x-h264, stream-format=(string)byte-stream, " \
    "alignment=(string)au, width=(int)1280, height=(int)720"
#define BASE_MS G_GINT64_CONSTANT (1700000000000)
#define N_SINGLE 60
#define N_LIST 5

static GstMemory *
pattern_memory (guint i, gsize start, gsize size)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;
  gsize j;

  gst_memory_map (mem, &map, GST_MAP_WRITE);
  for (j = 0; j < size; j++)
    map.data[j] = (guint8) ((i * 13 + start + j) & 0xff);
  gst_memory_unmap (mem, &map);
  return mem;
}

static void
add_envelope (GstBuffer * buf, guint i)
{
  GstCaps *ref = gst_caps_new_empty_simple ("timestamp/x-unix");

  gst_buffer_add_reference_timestamp_meta (buf, ref,
      (BASE_MS + 40 * i) * GST_MSECOND, GST_CLOCK_TIME_NONE);
  gst_caps_unref (ref);
  if (i % 3 == 0) {
    gchar *key = g_strdup_printf ("cam-%u", i % 2);
    GBytes *bytes = g_bytes_new_take (key, strlen (key));

    gst_buffer_add_rg_meta (buf, 0, -1, bytes);
    g_bytes_unref (bytes);
  }
}

static GstBuffer *
single_buffer (guint i)
{
  GstBuffer *buf = gst_buffer_new ();

  if (i == 20) {
    gst_buffer_append_memory (buf, pattern_memory (i, 0, 800));
    gst_buffer_append_memory (buf, pattern_memory (i, 800, 1200));
  } else {
    gst_buffer_append_memory (buf, pattern_memory (i, 0, 100 + (i % 7) * 50));
  }
  GST_BUFFER_PTS (buf) = i * 40 * GST_MSECOND;
  GST_BUFFER_DTS (buf) = i % 2 ? GST_CLOCK_TIME_NONE : GST_BUFFER_PTS (buf);
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  if (i % 10 != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  add_envelope (buf, i);
  return buf;
}

static GstBufferList *
list_of_buffers (void)
{
  GstBufferList *list = gst_buffer_list_new ();
  guint i;

  for (i = N_SINGLE; i < N_SINGLE + N_LIST; i++) {
    gchar *text = g_strdup_printf ("list-%u", i);
    GstBuffer *buf = gst_buffer_new_wrapped (text, strlen (text));

    GST_BUFFER_PTS (buf) = i * 40 * GST_MSECOND;
    if (i == N_SINGLE)
      add_envelope (buf, i);
    gst_buffer_list_add (list, buf);
  }
  return list;
}

static gboolean
push_caps (GstPad * src, const gchar * caps_string)
{
  GstCaps *caps = gst_caps_from_string (caps_string);
  gboolean ok = gst_pad_push_event (src, gst_event_new_caps (caps));

  gst_caps_unref (caps);
  return ok;
}

static gboolean
stream (GstPad * src)
{
  GstSegment segment;
  guint i;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  if (!gst_pad_push_event (src, gst_event_new_stream_start ("compat")) ||
      !push_caps (src, CAPS_1) ||
      !gst_pad_push_event (src, gst_event_new_segment (&segment)))
    return FALSE;
  for (i = 0; i < N_SINGLE; i++) {
    if (i == 30 && !push_caps (src, CAPS_2))
      return FALSE;
    if (gst_pad_push (src, single_buffer (i)) != GST_FLOW_OK)
      return FALSE;
  }
  if (gst_pad_push_list (src, list_of_buffers ()) != GST_FLOW_OK)
    return FALSE;
  return gst_pad_push_event (src, gst_event_new_eos ());
}

int
main (int argc, char **argv)
{
  GstElement *sink;
  GstPad *src, *sinkpad;
  gboolean ok;

  gst_init (&argc, &argv);
  if (argc != 2) {
    g_printerr ("usage: journal-compat-writer DIR\n");
    return 2;
  }
  sink = gst_element_factory_make ("rgjournalsink", NULL);
  if (sink == NULL) {
    g_printerr ("rgjournalsink not found (GST_PLUGIN_PATH?)\n");
    return 1;
  }
  g_object_set (sink, "location", argv[1], "max-segment-bytes",
      (guint64) 8192, NULL);
  src = gst_pad_new ("src", GST_PAD_SRC);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  if (gst_pad_link (src, sinkpad) != GST_PAD_LINK_OK ||
      gst_element_set_state (sink, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot start rgjournalsink on %s\n", argv[1]);
    return 1;
  }
  gst_pad_set_active (src, TRUE);
  ok = stream (src);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_pad_set_active (src, FALSE);
  gst_object_unref (sinkpad);
  gst_object_unref (src);
  gst_object_unref (sink);
  if (!ok) {
    g_printerr ("rgjournalsink refused the stream\n");
    return 1;
  }
  return 0;
}
