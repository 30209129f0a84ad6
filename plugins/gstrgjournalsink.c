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

/**
 * SECTION:element-rgjournalsink
 * @title: rgjournalsink
 *
 * Writes every buffer it receives as one Kafka record into a crash-safe
 * journal directory: `<20-digit base offset>.log` segments in Kafka's
 * RecordBatch v2 format with their `.index`, `.timeindex` and `.keyindex`
 * files and a `writer.lock` (docs/journal-format.md describes the layout).
 * The buffer's bytes are written with writev() straight from its memory,
 * never copied; its PTS, DTS, duration and flags travel as `gst.*` record
 * headers and the caps as a `gst.caps` header on the first record of every
 * segment and whenever they change, so every segment can be replayed on its
 * own with rgsrc, and any Kafka tool can read the segments.
 *
 * #GstRgJournalSink:sync says when records become durable: `none` leaves
 * them in the page cache until a segment is closed or the stream ends,
 * `interval` syncs every #GstRgJournalSink:sync-interval, `always` runs a
 * group commit (one fdatasync covers every record written while the
 * previous one ran). #GstRgJournalSink:durable-offset tells how far the
 * journal would survive a power cut right now. EOS is posted only once
 * every record is durable, whatever the policy.
 *
 * Segments roll by size (#GstRgJournalSink:max-segment-bytes) and by age
 * (#GstRgJournalSink:max-segment-time), at a keyframe when the stream has
 * them, so that every segment starts decodable. Retention
 * (#GstRgJournalSink:max-bytes, #GstRgJournalSink:max-age) deletes the
 * oldest closed segments: a rolling "last N minutes" journal for pre-event
 * recording.
 *
 * The record timestamp is the wall clock at append, unless the buffer
 * carries a #GstRgMeta with a timestamp (a buffer replayed by rgsrc keeps
 * its time) or a #GstReferenceTimestampMeta with `timestamp/x-unix` (or
 * `timestamp/x-ntp`) reference caps. The record key is the #GstRgMeta key
 * when there is one (a camera or sensor id), else null.
 *
 * The element's own `sync` property (an enum) replaces #GstBaseSink's
 * boolean `sync`: a journal never waits for the clock.
 *
 * Element message `rg-segment-closed`, posted once a closed segment is
 * durable, so that an application can upload or index it: `path`
 * (string, the .log file), `first-offset`, `last-offset` (guint64),
 * `first-timestamp`, `last-timestamp` (gint64, ms since the epoch) and
 * `bytes` (guint64).
 *
 * Errors: a journal directory held by another writer, a full disk (or file
 * size limit) and any failed write or fdatasync stop the element with an
 * error message that names the directory and the offset up to which the
 * journal is safe on disk. A failed write or sync is never retried.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency \
 *     key-int-max=30 ! h264parse ! \
 *     rgjournalsink location=/var/lib/cam0 max-segment-bytes=16777216 \
 *     max-age=600000000000
 * ]| Keeps the last ten minutes of H.264 in 16 MiB segments that each start
 * at a keyframe.
 *
 * |[
 * gst-launch-1.0 -e udpsrc port=5000 ! rgjournalsink location=/data/telemetry \
 *     sync=always
 * ]| Records telemetry datagrams; a datagram counts as written only once it
 * is on disk.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgjournalsink.h"
#include "gstrgjournalprops.h"
#include "journal/rgjournal.h"
#include "record/rgmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_rg_journal_sink_debug);
#define GST_CAT_DEFAULT gst_rg_journal_sink_debug

/* Seconds from the NTP epoch (1900) to the UNIX epoch (1970). */
#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_SYNC,
  PROP_SYNC_INTERVAL,
  PROP_MAX_SEGMENT_BYTES,
  PROP_MAX_SEGMENT_TIME,
  PROP_MAX_BYTES,
  PROP_MAX_AGE,
  PROP_DURABLE_OFFSET,
  PROP_NEXT_OFFSET,
  PROP_STATS,
};

struct _GstRgJournalSink
{
  GstBaseSink parent;

  /* Properties, under the object lock. The time settings hold
   * GST_CLOCK_TIME_NONE for "never", as the core library wants. */
  gchar *location;
  RgJournalConfig config;

  /* The writer exists from start() to stop(). The streaming thread uses it
   * without a lock (start and stop never run while it streams);
   * writer_lock keeps property readers on other threads from using it
   * while stop() closes it. After stop() the last values are kept so the
   * read-only properties still report where the journal ended. */
  GMutex writer_lock;
  RgJournalWriter *writer;
  /* Set once a write or sync failed and was reported: the writer is dead
   * and its close will fail too, which needs no second message. */
  gboolean failed;
  guint64 last_next_offset;
  guint64 last_durable_offset;
  RgJournalStats last_stats;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

#define gst_rg_journal_sink_parent_class parent_class
G_DEFINE_TYPE (GstRgJournalSink, gst_rg_journal_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (rgjournalsink, "rgjournalsink", GST_RANK_NONE,
    GST_TYPE_RG_JOURNAL_SINK);

GType
gst_rg_journal_sink_sync_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_RG_JOURNAL_SINK_SYNC_NONE,
        "Page cache only; durable when a segment closes and at EOS", "none"},
    {GST_RG_JOURNAL_SINK_SYNC_INTERVAL,
        "fdatasync every sync-interval", "interval"},
    {GST_RG_JOURNAL_SINK_SYNC_ALWAYS,
        "Group commit: fdatasync back to back", "always"},
    {0, NULL, NULL}
  };

  G_STATIC_ASSERT ((gint) GST_RG_JOURNAL_SINK_SYNC_NONE ==
      (gint) RG_JOURNAL_SYNC_NONE);
  G_STATIC_ASSERT ((gint) GST_RG_JOURNAL_SINK_SYNC_INTERVAL ==
      (gint) RG_JOURNAL_SYNC_INTERVAL);
  G_STATIC_ASSERT ((gint) GST_RG_JOURNAL_SINK_SYNC_ALWAYS ==
      (gint) RG_JOURNAL_SYNC_ALWAYS);

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstRgJournalSinkSync", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* Record fields from the buffer                                        */

/* Milliseconds since the UNIX epoch from a reference timestamp meta whose
 * clock we know, else -1. */
static gint64
reference_timestamp (GstBuffer * buffer)
{
  GstReferenceTimestampMeta *meta;
  gpointer state = NULL;

  while ((meta = (GstReferenceTimestampMeta *)
          gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_REFERENCE_TIMESTAMP_META_API_TYPE))) {
    const GstStructure *s;

    if (meta->reference == NULL || gst_caps_is_empty (meta->reference))
      continue;
    s = gst_caps_get_structure (meta->reference, 0);
    if (gst_structure_has_name (s, "timestamp/x-unix"))
      return (gint64) (meta->timestamp / GST_MSECOND);
    if (gst_structure_has_name (s, "timestamp/x-ntp") &&
        meta->timestamp >= NTP_UNIX_OFFSET * GST_SECOND)
      return (gint64) ((meta->timestamp - NTP_UNIX_OFFSET * GST_SECOND) /
          GST_MSECOND);
  }
  return -1;
}

/* The record timestamp: the one a GstRgMeta carries (a buffer replayed
 * from another journal keeps its time), else a reference timestamp, else
 * -1, which makes the journal take the wall clock. */
static gint64
record_timestamp (GstBuffer * buffer)
{
  GstRgMeta *meta = gst_buffer_get_rg_meta (buffer);

  if (meta != NULL && gst_rg_meta_get_timestamp (meta) >= 0)
    return gst_rg_meta_get_timestamp (meta);
  return reference_timestamp (buffer);
}

/* The record key: the GstRgMeta key (a camera or sensor id), else NULL. */
static GBytes *
record_key (GstBuffer * buffer)
{
  GstRgMeta *meta = gst_buffer_get_rg_meta (buffer);

  return meta != NULL ? gst_rg_meta_get_key (meta) : NULL;
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* Posts the element error for a failed append or sync. The writer is dead
 * after it (the core never retries), so the message says what survived. */
static void
post_write_error (GstRgJournalSink * self, const GError * error)
{
  guint64 durable = rg_journal_writer_get_durable_offset (self->writer);

  self->failed = TRUE;
  if (g_error_matches (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_NO_SPACE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Disk full (or file size limit reached) while writing the journal "
            "in %s; the records before offset %" G_GUINT64_FORMAT
            " are safe on disk.", self->location, durable),
        ("%s", error->message));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write the journal in %s; the records before offset %"
            G_GUINT64_FORMAT " are safe on disk.", self->location, durable),
        ("%s", error->message));
  }
}

/* Posts the element error for a journal that could not be opened. */
static void
post_open_error (GstRgJournalSink * self, const GError * error)
{
  if (g_error_matches (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_LOCKED)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Journal directory %s is locked by another writer (%s/writer.lock); "
            "stop that writer or choose another location.", self->location,
            self->location), ("%s", error->message));
  } else if (g_error_matches (error, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_CORRUPT)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("The journal in %s is damaged; run \"rg-journal verify %s\" to "
            "see where and \"rg-journal recover %s\" to move the damage "
            "aside.", self->location, self->location, self->location),
        ("%s", error->message));
  } else if (g_error_matches (error, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_NO_SPACE)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Disk full while opening the journal in %s.", self->location),
        ("%s", error->message));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open the journal in %s.", self->location),
        ("%s", error->message));
  }
}

/* ------------------------------------------------------------------ */
/* Writer callbacks and state                                           */

/* Runs on the thread that made the segment durable (the syncer, the
 * streaming thread or stop()); posting a message is safe from any. */
static void
segment_closed_cb (const RgJournalSegmentInfo * info, gpointer user_data)
{
  GstRgJournalSink *self = user_data;
  GstStructure *s;

  GST_INFO_OBJECT (self, "segment %s closed: offsets %" G_GUINT64_FORMAT
      "-%" G_GUINT64_FORMAT, info->path, info->first_offset,
      info->last_offset);
  s = gst_structure_new ("rg-segment-closed",
      "path", G_TYPE_STRING, info->path,
      "first-offset", G_TYPE_UINT64, info->first_offset,
      "last-offset", G_TYPE_UINT64, info->last_offset,
      "first-timestamp", G_TYPE_INT64, info->first_timestamp,
      "last-timestamp", G_TYPE_INT64, info->last_timestamp,
      "bytes", G_TYPE_UINT64, info->bytes, NULL);
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static gboolean
gst_rg_journal_sink_start (GstBaseSink * sink)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (sink);
  RgJournalConfig config;
  RgJournalWriter *writer;
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  config = self->config;
  GST_OBJECT_UNLOCK (self);

  if (self->location == NULL || self->location[0] == '\0')
    goto no_location;

  writer = rg_journal_writer_open (self->location, &config, &error);
  if (writer == NULL)
    goto open_failed;
  rg_journal_writer_set_segment_closed_func (writer, segment_closed_cb, self);
  self->failed = FALSE;

  g_mutex_lock (&self->writer_lock);
  self->writer = writer;
  g_mutex_unlock (&self->writer_lock);
  GST_INFO_OBJECT (self, "journal %s open, next offset %" G_GUINT64_FORMAT,
      self->location, rg_journal_writer_get_next_offset (writer));
  return TRUE;

  /* ERRORS */
no_location:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No journal directory given: set the location property."), (NULL));
    return FALSE;
  }
open_failed:
  {
    post_open_error (self, error);
    g_error_free (error);
    return FALSE;
  }
}

static gboolean
gst_rg_journal_sink_stop (GstBaseSink * sink)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (sink);
  RgJournalWriter *writer;
  GError *error = NULL;
  guint64 next;

  g_mutex_lock (&self->writer_lock);
  writer = self->writer;
  self->writer = NULL;
  if (writer != NULL) {
    self->last_next_offset = rg_journal_writer_get_next_offset (writer);
    self->last_durable_offset = rg_journal_writer_get_durable_offset (writer);
    rg_journal_writer_get_stats (writer, &self->last_stats);
  }
  next = self->last_next_offset;
  g_mutex_unlock (&self->writer_lock);

  if (writer == NULL)
    return TRUE;
  if (!rg_journal_writer_close (writer, &error))
    goto close_failed;

  g_mutex_lock (&self->writer_lock);
  self->last_durable_offset = next;
  g_mutex_unlock (&self->writer_lock);
  return TRUE;

  /* ERRORS */
close_failed:
  {
    /* Stopping still succeeds: the writer is gone either way, and a
     * failed state change would only keep the element from shutting
     * down. */
    if (self->failed) {
      GST_DEBUG_OBJECT (self, "closing the failed writer: %s",
          error->message);
      g_error_free (error);
      return TRUE;
    }
    GST_ELEMENT_ERROR (self, RESOURCE, CLOSE,
        ("Could not make the journal in %s durable when closing it; the "
            "records before offset %" G_GUINT64_FORMAT " are safe on disk.",
            self->location, self->last_durable_offset),
        ("%s", error->message));
    g_error_free (error);
    return TRUE;
  }
}

/* ------------------------------------------------------------------ */
/* Streaming                                                            */

static gboolean
gst_rg_journal_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (sink);

  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, caps);
  rg_journal_writer_set_caps (self->writer, caps);
  return TRUE;
}

static GstFlowReturn
gst_rg_journal_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (sink);
  GBytes *key = record_key (buffer);
  GError *error = NULL;
  gboolean ok;

  ok = rg_journal_writer_append (self->writer, buffer,
      record_timestamp (buffer), key, NULL, &error);
  if (key != NULL)
    g_bytes_unref (key);
  if (!ok)
    goto append_failed;
  return GST_FLOW_OK;

  /* ERRORS */
append_failed:
  {
    post_write_error (self, error);
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
}

/* A buffer list becomes one batch: one CRC, one writev, one timestamp and
 * one key (the first buffer's). */
static GstFlowReturn
gst_rg_journal_sink_render_list (GstBaseSink * sink, GstBufferList * list)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (sink);
  GstBuffer *first;
  GBytes *key;
  GError *error = NULL;
  gboolean ok;

  if (gst_buffer_list_length (list) == 0)
    return GST_FLOW_OK;
  first = gst_buffer_list_get (list, 0);
  key = record_key (first);
  ok = rg_journal_writer_append_list (self->writer, list,
      record_timestamp (first), key, NULL, &error);
  if (key != NULL)
    g_bytes_unref (key);
  if (!ok)
    goto append_failed;
  return GST_FLOW_OK;

  /* ERRORS */
append_failed:
  {
    post_write_error (self, error);
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
}

/* EOS means "everything is recorded": the EOS message is posted (by the
 * parent class) only after every record is durable. */
static gboolean
gst_rg_journal_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (sink);
  GError *error = NULL;

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS &&
      !rg_journal_writer_sync (self->writer, &error))
    goto sync_failed;
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);

  /* ERRORS */
sync_failed:
  {
    post_write_error (self, error);
    g_error_free (error);
    gst_event_unref (event);
    return FALSE;
  }
}

/* ------------------------------------------------------------------ */
/* Properties                                                           */

static GstStructure *
stats_to_structure (const RgJournalStats * stats)
{
  return gst_structure_new ("rg-journal-sink-stats",
      "records", G_TYPE_UINT64, stats->records,
      "bytes", G_TYPE_UINT64, stats->bytes,
      "segments", G_TYPE_UINT64, stats->segments,
      "fsyncs", G_TYPE_UINT64, stats->fsyncs,
      "last-fsync-latency", G_TYPE_UINT64, stats->last_fsync_ns,
      "recovered-bytes", G_TYPE_UINT64, stats->recovered_bytes, NULL);
}

/* Reads one of the live counters: from the writer while it is open, else
 * the values it had when it was closed. */
static void
get_live_property (GstRgJournalSink * self, guint prop_id, GValue * value)
{
  RgJournalStats stats;

  g_mutex_lock (&self->writer_lock);
  switch (prop_id) {
    case PROP_DURABLE_OFFSET:
      g_value_set_uint64 (value, self->writer ?
          rg_journal_writer_get_durable_offset (self->writer) :
          self->last_durable_offset);
      break;
    case PROP_NEXT_OFFSET:
      g_value_set_uint64 (value, self->writer ?
          rg_journal_writer_get_next_offset (self->writer) :
          self->last_next_offset);
      break;
    case PROP_STATS:
      stats = self->last_stats;
      if (self->writer)
        rg_journal_writer_get_stats (self->writer, &stats);
      g_value_take_boxed (value, stats_to_structure (&stats));
      break;
    default:
      g_assert_not_reached ();
  }
  g_mutex_unlock (&self->writer_lock);
}

static void
gst_rg_journal_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    default:
      if (!gst_rg_journal_props_set (&self->config, PROP_SYNC, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rg_journal_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (object);

  if (prop_id == PROP_DURABLE_OFFSET || prop_id == PROP_NEXT_OFFSET ||
      prop_id == PROP_STATS) {
    get_live_property (self, prop_id, value);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    default:
      if (!gst_rg_journal_props_get (&self->config, PROP_SYNC, prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------ */
/* Type                                                                 */

static void
gst_rg_journal_sink_finalize (GObject * object)
{
  GstRgJournalSink *self = GST_RG_JOURNAL_SINK (object);

  g_free (self->location);
  g_mutex_clear (&self->writer_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rg_journal_sink_init (GstRgJournalSink * self)
{
  rg_journal_config_init (&self->config);
  g_mutex_init (&self->writer_lock);
  /* A recorder writes as fast as data comes; it never waits for the
   * clock. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

/* The writable settings; their defaults are the core library's, so the
 * element and rg_journal_config_init() cannot disagree. */
static void
install_settings (GObjectClass * gobject_class)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Journal directory (created if missing)", NULL, flags));
  gst_rg_journal_props_install (gobject_class, PROP_SYNC, "sync",
      "When records are made durable (replaces GstBaseSink's boolean "
      "sync: this sink never waits for the clock)");
}

static void
install_counters (GObjectClass * gobject_class)
{
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gobject_class, PROP_DURABLE_OFFSET,
      g_param_spec_uint64 ("durable-offset", "Durable offset",
          "Every record below this offset is durable on disk", 0,
          G_MAXUINT64, 0, flags));
  g_object_class_install_property (gobject_class, PROP_NEXT_OFFSET,
      g_param_spec_uint64 ("next-offset", "Next offset",
          "The offset the next record will get", 0, G_MAXUINT64, 0, flags));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "records, bytes (written since start), segments (in the "
          "directory), fsyncs, last-fsync-latency (ns), recovered-bytes "
          "(torn tail cut at start)", GST_TYPE_STRUCTURE, flags));
}

static void
gst_rg_journal_sink_class_init (GstRgJournalSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_rg_journal_sink_debug, "rgjournalsink", 0,
      "crash-safe journal sink");

  gobject_class->set_property = gst_rg_journal_sink_set_property;
  gobject_class->get_property = gst_rg_journal_sink_get_property;
  gobject_class->finalize = gst_rg_journal_sink_finalize;
  install_settings (gobject_class);
  install_counters (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Journal sink", "Sink/File",
      "Writes buffers as Kafka records into a crash-safe journal directory",
      "gst-rg authors");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_rg_journal_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_rg_journal_sink_stop);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_rg_journal_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_rg_journal_sink_render);
  basesink_class->render_list =
      GST_DEBUG_FUNCPTR (gst_rg_journal_sink_render_list);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_rg_journal_sink_event);

  gst_type_mark_as_plugin_api (GST_TYPE_RG_JOURNAL_SINK_SYNC, 0);
}
