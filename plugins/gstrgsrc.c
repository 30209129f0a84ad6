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
 * SECTION:element-rgsrc
 * @title: rgsrc
 *
 * Replays a journal directory written by rgjournalsink (or any directory
 * of Kafka RecordBatch v2 segments in the same layout). Each record becomes
 * one buffer whose memory is the record's bytes in the memory-mapped
 * segment: nothing is copied. The caps (`gst.caps`), PTS, DTS, duration and
 * flags stored with the records are restored, and every buffer carries a
 * #GstRgMeta with the record's offset, timestamp, key and headers.
 *
 * #GstRgSrc:start picks the first record: `earliest`, `latest`, `offset`
 * (#GstRgSrc:start-offset) or `time` (#GstRgSrc:start-time, ms since the
 * epoch, matched against the record timestamps). With
 * #GstRgSrc:snap-to-keyframe the source moves back to the keyframe at or
 * before that record, so a decoder can start there. #GstRgSrc:stop-offset
 * and #GstRgSrc:stop-time end the stream (EOS) before the first record at
 * or past them.
 *
 * Without #GstRgSrc:follow the source ends with EOS at the end of the
 * journal. With it, it tails the writer (another process included) and is a
 * live source: buffers are shifted so that the first one is stamped with
 * the running time at which it was read. A follower never sees a
 * half-written record; when retention deletes segments under it, it skips
 * to the oldest record left and marks the buffer DISCONT.
 *
 * The stream time of the output is the restored PTS: the segment starts at
 * the PTS of the first buffer. Seeks in TIME map the position to the
 * record with that PTS (a binary search over the journal through its
 * indexes) and land on the keyframe at or before it; seeks in DEFAULT or
 * BUFFERS format take a record offset and land on the keyframe at or before
 * it as well. A follower cannot seek.
 *
 * Caps always precede the segment: a delta unit whose caps are unknown
 * (its keyframe, which carried them, was deleted or left an in-memory
 * ring) is skipped, and the next record with caps is marked DISCONT.
 *
 * A corrupt record stops the stream with an error that names the segment,
 * the byte position and the offset, unless #GstRgSrc:skip-corrupt is set;
 * then the source resumes at the next valid record and marks DISCONT.
 *
 * The URI scheme `rgjournal:///path/to/dir` selects the directory.
 *
 * A location `kafka://host:port/topic[?start=...&follow=...]` (also a URI)
 * consumes partition 0 of a Kafka topic through librdkafka instead, from
 * rgbrokersink's embedded broker or a real cluster, with the same start,
 * stop and follow options (the URI's query sets the properties). Caps and
 * timestamps come from the gst.* headers; the buffers wrap librdkafka's
 * memory. Without follow it ends (EOS) at the high watermark it found when
 * it started, also while producers keep appending. When the broker goes
 * away a follower reconnects with backoff and resumes at the next offset
 * without duplicates; records it can no longer get are skipped with
 * DISCONT. A source that does not follow gives up
 * after #GstRgSrc:timeout with an error naming the broker and librdkafka's
 * reason. A Kafka source is not seekable.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rgsrc location=/var/lib/cam0 start=time \
 *     start-time=1767225600000 stop-time=1767225630000 snap-to-keyframe=true \
 *     ! h264parse ! mp4mux ! filesink location=clip.mp4
 * ]| Exports the 30 s from 2026-01-01 00:00:00 UTC to an MP4 that starts on
 * a keyframe.
 *
 * |[
 * gst-launch-1.0 rgsrc location=/var/lib/cam0 start=latest \
 *     snap-to-keyframe=true follow=true ! h264parse ! avdec_h264 ! \
 *     videoconvert ! autovideosink
 * ]| Watches the camera live through the journal, starting at the latest
 * keyframe.
 *
 * |[
 * gst-launch-1.0 rgsrc \
 *     location='kafka://127.0.0.1:9092/cam0?start=latest&follow=true' ! \
 *     h264parse ! avdec_h264 ! videoconvert ! autovideosink
 * ]| Watches the stream an rgbrokersink serves, through its embedded broker.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgsrc.h"
#include "gstrgsrctransport.h"
#include <string.h>

/* Shared with the transports (gstrgsrctransport.h). */
GST_DEBUG_CATEGORY (gst_rg_src_debug);
#define GST_CAT_DEFAULT gst_rg_src_debug

#define DEFAULT_PROP_LOCATION NULL
#define DEFAULT_PROP_START GST_RG_SRC_START_EARLIEST
#define DEFAULT_PROP_START_OFFSET 0
#define DEFAULT_PROP_START_TIME 0
#define DEFAULT_PROP_SNAP_TO_KEYFRAME FALSE
#define DEFAULT_PROP_STOP_OFFSET G_MAXUINT64
#define DEFAULT_PROP_STOP_TIME -1
#define DEFAULT_PROP_FOLLOW FALSE
#define DEFAULT_PROP_SKIP_CORRUPT FALSE
#define DEFAULT_PROP_TIMEOUT 10000

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_START,
  PROP_START_OFFSET,
  PROP_START_TIME,
  PROP_SNAP_TO_KEYFRAME,
  PROP_STOP_OFFSET,
  PROP_STOP_TIME,
  PROP_FOLLOW,
  PROP_SKIP_CORRUPT,
  PROP_TIMEOUT,
};

struct _GstRgSrc
{
  GstPushSrc parent;

  /* Properties, under the object lock. */
  gchar *location;
  GstRgSrcStart start;
  guint64 start_offset;
  gint64 start_time;
  gboolean snap_to_keyframe;
  guint64 stop_offset;
  gint64 stop_time;
  gboolean follow;
  gboolean skip_corrupt;
  guint timeout;

  /* The transport the location names (gstrgsrctransport.h), opened from
   * start() to stop(); used by the streaming thread and by do_seek()
   * (which runs with the streaming thread stopped). */
  GstRgSrcTransport *transport;
  gint flushing;
  gboolean need_segment;
  /* Records were skipped because their caps are not known: the next
   * buffer pushed is DISCONT (streaming thread). */
  gboolean skipped_uncapped;
  GstClockTime live_shift;
  gboolean live_shift_known;
  /* Offset of the next record to push, for position queries (object
   * lock). */
  guint64 position;
  /* End before this offset: a DEFAULT/BUFFERS seek's stop (object lock). */
  guint64 seek_stop_offset;

  /* A transport's lookup object for lookups outside the streaming thread
   * (seek preparation, queries), and the transport that opened it, under
   * lookup_lock. */
  GMutex lookup_lock;
  gpointer lookup;
  const GstRgSrcTransportClass *lookup_klass;
  /* Set by prepare_seek_segment for do_seek (object lock). */
  gboolean seek_pending;
  gboolean seek_offset_known;
  guint64 seek_offset;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_rg_src_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_rg_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRgSrc, gst_rg_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER, gst_rg_src_uri_handler_init);
    GST_DEBUG_CATEGORY_INIT (gst_rg_src_debug, "rgsrc", 0,
        "journal source"));
GST_ELEMENT_REGISTER_DEFINE (rgsrc, "rgsrc", GST_RANK_PRIMARY,
    GST_TYPE_RG_SRC);

GType
gst_rg_src_start_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_RG_SRC_START_EARLIEST, "The oldest record", "earliest"},
    {GST_RG_SRC_START_LATEST, "The end of the journal (with "
          "snap-to-keyframe: the last keyframe)", "latest"},
    {GST_RG_SRC_START_OFFSET, "The record at start-offset", "offset"},
    {GST_RG_SRC_START_TIME, "The first record at or after start-time",
        "time"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstRgSrcStart", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* Properties                                                           */

/* The transports, in the order they are asked whether a location is
 * theirs: the journal takes any location that is no other's. */
static const GstRgSrcTransportClass *const transports[] = {
  &gst_rg_src_kafka_transport,
  &gst_rg_src_journal_transport,
};

static const GstRgSrcTransportClass *
transport_for_location (const gchar * location)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (transports) - 1; i++)
    if (transports[i]->handles (location))
      return transports[i];
  return transports[G_N_ELEMENTS (transports) - 1];
}

static gboolean
is_kafka_location (const gchar * location)
{
  return transport_for_location (location) == &gst_rg_src_kafka_transport;
}

static gboolean
parse_bool (const gchar * value, gboolean * out)
{
  if (!g_ascii_strcasecmp (value, "true") || !strcmp (value, "1"))
    *out = TRUE;
  else if (!g_ascii_strcasecmp (value, "false") || !strcmp (value, "0"))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_number (const gchar * value, gint64 * out)
{
  return g_ascii_string_to_signed (value, 10, -1, G_MAXINT64, out, NULL);
}

/* start=earliest|latest|offset:N|time:MS. Call with the object lock. */
static gboolean
gst_rg_src_apply_start (GstRgSrc * self, const gchar * value)
{
  gint64 n;

  if (!strcmp (value, "earliest"))
    self->start = GST_RG_SRC_START_EARLIEST;
  else if (!strcmp (value, "latest"))
    self->start = GST_RG_SRC_START_LATEST;
  else if (g_str_has_prefix (value, "offset:") &&
      parse_number (value + 7, &n) && n >= 0) {
    self->start = GST_RG_SRC_START_OFFSET;
    self->start_offset = n;
  } else if (g_str_has_prefix (value, "time:") &&
      parse_number (value + 5, &n) && n >= 0) {
    self->start = GST_RG_SRC_START_TIME;
    self->start_time = n;
  } else
    return FALSE;
  return TRUE;
}

/* One key=value of a kafka:// query: the same options as the properties.
 * Call with the object lock. */
static gboolean
gst_rg_src_apply_option (GstRgSrc * self, const gchar * key,
    const gchar * value)
{
  gint64 n;

  if (!strcmp (key, "start"))
    return gst_rg_src_apply_start (self, value);
  if (!strcmp (key, "snap-to-keyframe"))
    return parse_bool (value, &self->snap_to_keyframe);
  if (!strcmp (key, "follow"))
    return parse_bool (value, &self->follow);
  if (!strcmp (key, "stop-offset") && parse_number (value, &n) && n >= 0) {
    self->stop_offset = n;
    return TRUE;
  }
  if (!strcmp (key, "stop-time") && parse_number (value, &n)) {
    self->stop_time = n;
    return TRUE;
  }
  if (!strcmp (key, "timeout") && parse_number (value, &n) && n >= 0 &&
      n <= G_MAXINT) {
    self->timeout = n;
    return TRUE;
  }
  return FALSE;
}

/* Applies the query of a kafka:// location to the properties, so that a
 * URI alone (playbin, gst-launch) configures the source. */
static gboolean
gst_rg_src_apply_query (GstRgSrc * self, const gchar * location,
    GError ** error)
{
  GUri *uri = g_uri_parse (location, G_URI_FLAGS_ENCODED_QUERY, error);
  GHashTable *params = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gboolean ok = TRUE, follow;

  if (!uri)
    return FALSE;
  if (g_uri_get_query (uri))
    params = g_uri_parse_params (g_uri_get_query (uri), -1, "&",
        G_URI_PARAMS_NONE, error);
  g_uri_unref (uri);
  if (!params)
    return error == NULL || *error == NULL;
  GST_OBJECT_LOCK (self);
  g_hash_table_iter_init (&iter, params);
  while (ok && g_hash_table_iter_next (&iter, &key, &value)) {
    ok = gst_rg_src_apply_option (self, key, value);
    if (!ok)
      g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
          "Invalid option %s=%s in %s", (gchar *) key, (gchar *) value,
          location);
  }
  follow = self->follow;
  GST_OBJECT_UNLOCK (self);
  g_hash_table_unref (params);
  gst_base_src_set_live (GST_BASE_SRC (self), follow);
  return ok;
}

static gboolean
gst_rg_src_set_location_full (GstRgSrc * self, const gchar * location,
    GError ** error)
{
  gchar *brokers = NULL, *topic = NULL;

  if (is_kafka_location (location)) {
    if (!gst_rg_src_kafka_parse_location (location, &brokers, &topic,
            error) ||
        !gst_rg_src_apply_query (self, location, error)) {
      g_free (brokers);
      g_free (topic);
      return FALSE;
    }
    g_free (brokers);
    g_free (topic);
  }
  GST_OBJECT_LOCK (self);
  g_free (self->location);
  self->location = g_strdup (location);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_rg_src_set_location (GstRgSrc * self, const gchar * location)
{
  GError *err = NULL;

  /* A bad kafka:// location is kept: start() reports it as an error. */
  if (!gst_rg_src_set_location_full (self, location, &err)) {
    GST_WARNING_OBJECT (self, "%s", err->message);
    g_error_free (err);
    GST_OBJECT_LOCK (self);
    g_free (self->location);
    self->location = g_strdup (location);
    GST_OBJECT_UNLOCK (self);
  }
}

static void
gst_rg_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRgSrc *self = GST_RG_SRC (object);

  switch (prop_id) {
    case PROP_LOCATION:
      gst_rg_src_set_location (self, g_value_get_string (value));
      return;
    case PROP_FOLLOW:
      GST_OBJECT_LOCK (self);
      self->follow = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      gst_base_src_set_live (GST_BASE_SRC (self), g_value_get_boolean (value));
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_START:
      self->start = g_value_get_enum (value);
      break;
    case PROP_START_OFFSET:
      self->start_offset = g_value_get_uint64 (value);
      break;
    case PROP_START_TIME:
      self->start_time = g_value_get_int64 (value);
      break;
    case PROP_SNAP_TO_KEYFRAME:
      self->snap_to_keyframe = g_value_get_boolean (value);
      break;
    case PROP_STOP_OFFSET:
      self->stop_offset = g_value_get_uint64 (value);
      break;
    case PROP_STOP_TIME:
      self->stop_time = g_value_get_int64 (value);
      break;
    case PROP_SKIP_CORRUPT:
      self->skip_corrupt = g_value_get_boolean (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rg_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRgSrc *self = GST_RG_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_START:
      g_value_set_enum (value, self->start);
      break;
    case PROP_START_OFFSET:
      g_value_set_uint64 (value, self->start_offset);
      break;
    case PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
      break;
    case PROP_SNAP_TO_KEYFRAME:
      g_value_set_boolean (value, self->snap_to_keyframe);
      break;
    case PROP_STOP_OFFSET:
      g_value_set_uint64 (value, self->stop_offset);
      break;
    case PROP_STOP_TIME:
      g_value_set_int64 (value, self->stop_time);
      break;
    case PROP_FOLLOW:
      g_value_set_boolean (value, self->follow);
      break;
    case PROP_SKIP_CORRUPT:
      g_value_set_boolean (value, self->skip_corrupt);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                       */

static gboolean
gst_rg_src_start (GstBaseSrc * src)
{
  GstRgSrc *self = GST_RG_SRC (src);
  GstRgSrcSettings settings;
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  settings.start = self->start;
  settings.start_offset = self->start_offset;
  settings.start_time = self->start_time;
  settings.snap_to_keyframe = self->snap_to_keyframe;
  settings.skip_corrupt = self->skip_corrupt;
  settings.timeout = self->timeout;
  self->position = 0;
  self->seek_stop_offset = G_MAXUINT64;
  self->seek_pending = FALSE;
  self->seek_offset_known = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (!location)
    goto no_location;
  self->transport = transport_for_location (location)->open (self, location,
      &settings);
  g_free (location);
  if (!self->transport)
    return FALSE;
  g_atomic_int_set (&self->flushing, FALSE);
  self->need_segment = TRUE;
  self->live_shift_known = FALSE;
  self->skipped_uncapped = FALSE;
  return TRUE;

  /* ERRORS */
no_location:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No journal directory given: set the location property."), (NULL));
    return FALSE;
  }
}

static gboolean
gst_rg_src_stop (GstBaseSrc * src)
{
  GstRgSrc *self = GST_RG_SRC (src);

  if (self->transport) {
    self->transport->klass->close (self->transport);
    self->transport = NULL;
  }
  g_mutex_lock (&self->lookup_lock);
  if (self->lookup)
    self->lookup_klass->lookup_free (self->lookup);
  self->lookup = NULL;
  g_mutex_unlock (&self->lookup_lock);
  return TRUE;
}

static gboolean
gst_rg_src_unlock (GstBaseSrc * src)
{
  g_atomic_int_set (&GST_RG_SRC (src)->flushing, TRUE);
  return TRUE;
}

static gboolean
gst_rg_src_unlock_stop (GstBaseSrc * src)
{
  g_atomic_int_set (&GST_RG_SRC (src)->flushing, FALSE);
  return TRUE;
}

static gboolean
gst_rg_src_is_seekable (GstBaseSrc * src)
{
  GstRgSrc *self = GST_RG_SRC (src);
  gboolean follow;

  GST_OBJECT_LOCK (self);
  follow = self->follow || !transport_for_location (self->location)->seek;
  GST_OBJECT_UNLOCK (self);
  return !follow;
}

/* ------------------------------------------------------------------ */
/* Lookups (seek preparation and queries)                               */

/* The lookup object, opened on first use; NULL for a transport without
 * lookups (no DEFAULT-format queries or seeks in kafka:// mode). Call with
 * lookup_lock held. */
static gpointer
gst_rg_src_get_lookup (GstRgSrc * self)
{
  const GstRgSrcTransportClass *klass;
  gchar *location;

  if (self->lookup)
    return self->lookup;
  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  klass = transport_for_location (location);
  if (location && klass->lookup_open) {
    self->lookup = klass->lookup_open (location);
    self->lookup_klass = klass;
  }
  g_free (location);
  return self->lookup;
}

/* ------------------------------------------------------------------ */
/* Seeking                                                              */

/* DEFAULT and BUFFERS seeks name a record offset; the segment becomes a
 * TIME segment starting at the PTS of the keyframe at or before it. */
static gboolean
gst_rg_src_prepare_offset_seek (GstRgSrc * self, GstEvent * event,
    GstSegment * segment)
{
  gdouble rate;
  GstFormat format;
  GstSeekFlags flags;
  GstSeekType start_type, stop_type;
  gint64 start, stop;
  guint64 landed = 0;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  gboolean found = FALSE;

  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  if (rate <= 0.0 || start_type != GST_SEEK_TYPE_SET || start < 0)
    return FALSE;
  g_mutex_lock (&self->lookup_lock);
  if (gst_rg_src_get_lookup (self))
    found = self->lookup_klass->lookup_record (self->lookup, start, TRUE,
        &landed, &pts);
  g_mutex_unlock (&self->lookup_lock);
  if (!found)
    return FALSE;
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    pts = 0;
  gst_segment_init (segment, GST_FORMAT_TIME);
  gst_segment_do_seek (segment, rate, GST_FORMAT_TIME, flags,
      GST_SEEK_TYPE_SET, pts, GST_SEEK_TYPE_NONE, -1, NULL);
  GST_OBJECT_LOCK (self);
  self->seek_pending = TRUE;
  self->seek_offset_known = TRUE;
  self->seek_offset = landed;
  self->seek_stop_offset = (stop_type == GST_SEEK_TYPE_SET && stop >= 0) ?
      (guint64) stop : G_MAXUINT64;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_rg_src_prepare_seek_segment (GstBaseSrc * src, GstEvent * event,
    GstSegment * segment)
{
  GstRgSrc *self = GST_RG_SRC (src);
  GstFormat format;

  gst_event_parse_seek (event, NULL, &format, NULL, NULL, NULL, NULL, NULL);
  if (format == GST_FORMAT_DEFAULT || format == GST_FORMAT_BUFFERS)
    return gst_rg_src_prepare_offset_seek (self, event, segment);
  return GST_BASE_SRC_CLASS (parent_class)->prepare_seek_segment (src, event,
      segment);
}

/* GstBaseSrc calls prepare_seek_segment only for seeks in another format
 * than its own, so TIME seeks are noted here, before they are performed. */
static gboolean
gst_rg_src_event (GstBaseSrc * src, GstEvent * event)
{
  GstRgSrc *self = GST_RG_SRC (src);
  GstFormat format;

  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    gst_event_parse_seek (event, NULL, &format, NULL, NULL, NULL, NULL, NULL);
    if (format == GST_FORMAT_TIME) {
      GST_OBJECT_LOCK (self);
      self->seek_pending = TRUE;
      self->seek_offset_known = FALSE;
      self->seek_stop_offset = G_MAXUINT64;
      GST_OBJECT_UNLOCK (self);
    }
  }
  return GST_BASE_SRC_CLASS (parent_class)->event (src, event);
}

/* Runs with the streaming thread stopped. Only seeks that came through
 * prepare_seek_segment move the reader: the initial do_seek at start
 * leaves the start properties' position alone. */
static gboolean
gst_rg_src_do_seek (GstBaseSrc * src, GstSegment * segment)
{
  GstRgSrc *self = GST_RG_SRC (src);
  gboolean pending, offset_known;
  guint64 offset;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  pending = self->seek_pending;
  offset_known = self->seek_offset_known;
  offset = self->seek_offset;
  self->seek_pending = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (!pending || !self->transport || !self->transport->klass->seek)
    return TRUE;
  if (!offset_known) {
    g_mutex_lock (&self->lookup_lock);
    if (gst_rg_src_get_lookup (self))
      offset = self->lookup_klass->lookup_offset_for_time (self->lookup,
          segment->start);
    g_mutex_unlock (&self->lookup_lock);
  }
  GST_DEBUG_OBJECT (self, "seek to %" GST_TIME_FORMAT ": offset %"
      G_GUINT64_FORMAT, GST_TIME_ARGS (segment->start), offset);
  if (!self->transport->klass->seek (self->transport, offset, &err)) {
    GST_WARNING_OBJECT (self, "seek failed: %s", err->message);
    g_error_free (err);
    return FALSE;
  }
  self->need_segment = TRUE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Streaming                                                            */

/* A follower is live: its buffers are moved to this pipeline's running
 * time, the first one to the moment it was read. */
static void
gst_rg_src_shift_live (GstRgSrc * self, GstBuffer * buffer)
{
  GstClockTime t = gst_rg_src_buffer_time (buffer);
  GstClock *clock;
  gint64 shift;

  if (!GST_CLOCK_TIME_IS_VALID (t))
    return;
  if (!self->live_shift_known) {
    clock = gst_element_get_clock (GST_ELEMENT (self));
    if (!clock)
      return;
    self->live_shift = gst_clock_get_time (clock) -
        gst_element_get_base_time (GST_ELEMENT (self)) - t;
    self->live_shift_known = TRUE;
    gst_object_unref (clock);
  }
  shift = (gint64) self->live_shift;
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    GST_BUFFER_PTS (buffer) = MAX (0, (gint64) GST_BUFFER_PTS (buffer) +
        shift);
  if (GST_BUFFER_DTS_IS_VALID (buffer))
    GST_BUFFER_DTS (buffer) = MAX (0, (gint64) GST_BUFFER_DTS (buffer) +
        shift);
}

/* Starts the output segment at the first buffer's PTS, so that stream
 * time is the restored PTS and running time starts at 0. */
static void
gst_rg_src_push_segment (GstRgSrc * self, GstBuffer * buffer)
{
  GstBaseSrc *src = GST_BASE_SRC (self);
  GstClockTime t = gst_rg_src_buffer_time (buffer);
  GstSegment segment;

  if (!GST_CLOCK_TIME_IS_VALID (t))
    return;
  GST_OBJECT_LOCK (self);
  gst_segment_copy_into (&src->segment, &segment);
  GST_OBJECT_UNLOCK (self);
  segment.start = t;
  segment.time = t;
  segment.position = t;
  if (GST_CLOCK_TIME_IS_VALID (segment.stop) && segment.stop < t)
    segment.stop = t;
  gst_base_src_new_segment (src, &segment);
}

static gboolean
gst_rg_src_past_stop (GstRgSrc * self, guint64 offset, gint64 timestamp)
{
  gboolean past;

  GST_OBJECT_LOCK (self);
  past = offset >= self->stop_offset || offset >= self->seek_stop_offset ||
      (self->stop_time >= 0 && timestamp >= self->stop_time);
  GST_OBJECT_UNLOCK (self);
  return past;
}

static gboolean
gst_rg_src_update_caps (GstRgSrc * self, GstCaps * caps)
{
  GstCaps *current = gst_pad_get_current_caps (GST_BASE_SRC_PAD (self));
  gboolean ok = TRUE;

  if (!current || !gst_caps_is_equal (current, caps))
    ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);
  if (current)
    gst_caps_unref (current);
  return ok;
}

/* Reads the next record from the transport, waiting (for the writer or
 * the broker) when following, until a record, the end, an error or
 * flushing. */
static GstRgSrcReadResult
gst_rg_src_read (GstRgSrc * self, GstRgSrcRecord * record)
{
  GstRgSrcTransport *transport = self->transport;
  GstRgSrcReadResult res;
  gboolean follow;

  GST_OBJECT_LOCK (self);
  follow = self->follow;
  GST_OBJECT_UNLOCK (self);
  do {
    if (g_atomic_int_get (&self->flushing))
      return GST_RG_SRC_READ_TIMEOUT;
    res = transport->klass->read (transport, follow, record);
  } while (res == GST_RG_SRC_READ_TIMEOUT);
  return res;
}

/* Stamps and positions a record's buffer, whatever the transport. */
static void
gst_rg_src_finish_buffer (GstRgSrc * self, GstBuffer * buffer,
    guint64 offset)
{
  GST_BUFFER_OFFSET (buffer) = offset;
  GST_BUFFER_OFFSET_END (buffer) = offset + 1;
  if (gst_base_src_is_live (GST_BASE_SRC (self)))
    gst_rg_src_shift_live (self, buffer);
  else if (self->need_segment)
    gst_rg_src_push_segment (self, buffer);
  self->need_segment = FALSE;
  GST_OBJECT_LOCK (self);
  self->position = offset + 1;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rg_src_record_clear (GstRgSrcRecord * record)
{
  g_clear_pointer (&record->buffer, gst_buffer_unref);
  g_clear_pointer (&record->caps, gst_caps_unref);
}

/* Whether @rec is a delta unit whose caps are unknown: none came with it
 * nor before it. Its keyframe, which carried them, is no longer in the
 * journal or topic (a ring that moved on, retention), so it cannot be
 * decoded; pushing it would also send the segment before caps that the
 * next keyframe brings ("sticky event misordering"). A record without
 * gst.flags (a foreign producer) is never a delta unit: a stream without
 * any caps goes out as it is. */
static gboolean
gst_rg_src_caps_unknown (GstRgSrc * self, const GstRgSrcRecord * rec)
{
  return rec->caps == NULL &&
      GST_BUFFER_FLAG_IS_SET (rec->buffer, GST_BUFFER_FLAG_DELTA_UNIT) &&
      !gst_pad_has_current_caps (GST_BASE_SRC_PAD (self));
}

/* The next record to push: past those whose caps are unknown (the first
 * one after them is DISCONT). */
static GstRgSrcReadResult
gst_rg_src_next (GstRgSrc * self, GstRgSrcRecord * rec)
{
  GstRgSrcReadResult res;

  while ((res = gst_rg_src_read (self, rec)) == GST_RG_SRC_READ_RECORD &&
      gst_rg_src_caps_unknown (self, rec)) {
    GST_DEBUG_OBJECT (self, "skipping record %" G_GUINT64_FORMAT ": a delta "
        "unit before any caps", rec->offset);
    gst_rg_src_record_clear (rec);
    self->skipped_uncapped = TRUE;
  }
  if (res == GST_RG_SRC_READ_RECORD && self->skipped_uncapped) {
    rec->buffer = gst_buffer_make_writable (rec->buffer);
    GST_BUFFER_FLAG_SET (rec->buffer, GST_BUFFER_FLAG_DISCONT);
    self->skipped_uncapped = FALSE;
  }
  return res;
}

static GstFlowReturn
gst_rg_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstRgSrc *self = GST_RG_SRC (psrc);
  GstRgSrcRecord rec = { 0, };

  switch (gst_rg_src_next (self, &rec)) {
    case GST_RG_SRC_READ_RECORD:
      break;
    case GST_RG_SRC_READ_TIMEOUT:
      return GST_FLOW_FLUSHING;
    case GST_RG_SRC_READ_END:
      return GST_FLOW_EOS;
    case GST_RG_SRC_READ_ERROR:
    default:
      return GST_FLOW_ERROR;
  }
  if (gst_rg_src_past_stop (self, rec.offset, rec.timestamp)) {
    gst_rg_src_record_clear (&rec);
    return GST_FLOW_EOS;
  }
  if (rec.caps && !gst_rg_src_update_caps (self, rec.caps))
    goto not_negotiated;
  *outbuf = g_steal_pointer (&rec.buffer);
  gst_rg_src_finish_buffer (self, *outbuf, rec.offset);
  gst_rg_src_record_clear (&rec);
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Downstream does not accept the caps recorded in the %s.",
            self->transport->klass->what), ("caps %" GST_PTR_FORMAT
            " at offset %" G_GUINT64_FORMAT, rec.caps, rec.offset));
    gst_rg_src_record_clear (&rec);
    return GST_FLOW_NOT_NEGOTIATED;
  }
}

/* ------------------------------------------------------------------ */
/* Queries                                                              */

/* POSITION, DURATION and SEEKING in DEFAULT format: record offsets. */
static gboolean
gst_rg_src_query_offsets (GstRgSrc * self, GstQuery * query)
{
  guint64 first = 0, end = 0;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lookup_lock);
  if (gst_rg_src_get_lookup (self))
    ok = self->lookup_klass->lookup_range (self->lookup, &first, &end);
  g_mutex_unlock (&self->lookup_lock);
  if (!ok)
    return FALSE;
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      GST_OBJECT_LOCK (self);
      gst_query_set_position (query, GST_FORMAT_DEFAULT, self->position);
      GST_OBJECT_UNLOCK (self);
      return TRUE;
    case GST_QUERY_DURATION:
      gst_query_set_duration (query, GST_FORMAT_DEFAULT, end);
      return TRUE;
    case GST_QUERY_SEEKING:
      gst_query_set_seeking (query, GST_FORMAT_DEFAULT,
          gst_rg_src_is_seekable (GST_BASE_SRC (self)), first, end);
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
gst_rg_src_query (GstBaseSrc * src, GstQuery * query)
{
  GstRgSrc *self = GST_RG_SRC (src);
  GstFormat format = GST_FORMAT_UNDEFINED;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
      gst_query_parse_position (query, &format, NULL);
      break;
    case GST_QUERY_DURATION:
      gst_query_parse_duration (query, &format, NULL);
      break;
    case GST_QUERY_SEEKING:
      gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
      break;
    default:
      break;
  }
  if (format == GST_FORMAT_DEFAULT || format == GST_FORMAT_BUFFERS)
    return gst_rg_src_query_offsets (self, query);
  return GST_BASE_SRC_CLASS (parent_class)->query (src, query);
}

/* ------------------------------------------------------------------ */
/* URI handler                                                          */

static GstURIType
gst_rg_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
gst_rg_src_uri_get_protocols (GType type)
{
  static const gchar *protocols[] = { "rgjournal", "kafka", NULL };

  return protocols;
}

static gchar *
gst_rg_src_uri_get_uri (GstURIHandler * handler)
{
  GstRgSrc *self = GST_RG_SRC (handler);
  gchar *uri = NULL;

  GST_OBJECT_LOCK (self);
  if (is_kafka_location (self->location))
    uri = g_strdup (self->location);
  else if (self->location)
    uri = g_strconcat ("rgjournal://", self->location, NULL);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
gst_rg_src_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstRgSrc *self = GST_RG_SRC (handler);
  gchar *location;

  if (is_kafka_location (uri))
    return gst_rg_src_set_location_full (self, uri, error);
  location = gst_uri_get_location (uri);
  if (!location || !g_path_is_absolute (location)) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "URI %s does not name an absolute directory "
        "(rgjournal:///path/to/journal)", uri);
    g_free (location);
    return FALSE;
  }
  gst_rg_src_set_location (self, location);
  g_free (location);
  return TRUE;
}

static void
gst_rg_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = gst_rg_src_uri_get_type;
  iface->get_protocols = gst_rg_src_uri_get_protocols;
  iface->get_uri = gst_rg_src_uri_get_uri;
  iface->set_uri = gst_rg_src_uri_set_uri;
}

/* ------------------------------------------------------------------ */
/* GObject                                                              */

static void
gst_rg_src_finalize (GObject * object)
{
  GstRgSrc *self = GST_RG_SRC (object);

  g_free (self->location);
  g_mutex_clear (&self->lookup_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rg_src_install_properties (GObjectClass * gobject_class)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The journal directory, or kafka://host:port/topic[?options] to "
          "consume a Kafka topic (options: start=earliest|latest|offset:N|"
          "time:MS, snap-to-keyframe, follow, stop-offset, stop-time, "
          "timeout; they "
          "set the properties of the same names)", DEFAULT_PROP_LOCATION,
          rw));
  g_object_class_install_property (gobject_class, PROP_START,
      g_param_spec_enum ("start", "Start", "Where to start reading",
          GST_TYPE_RG_SRC_START, DEFAULT_PROP_START, rw));
  g_object_class_install_property (gobject_class, PROP_START_OFFSET,
      g_param_spec_uint64 ("start-offset", "Start offset",
          "First record's offset, for start=offset", 0, G_MAXUINT64,
          DEFAULT_PROP_START_OFFSET, rw));
  g_object_class_install_property (gobject_class, PROP_START_TIME,
      g_param_spec_int64 ("start-time", "Start time",
          "Record timestamp to start at (ms since the epoch), for start=time",
          0, G_MAXINT64, DEFAULT_PROP_START_TIME, rw));
  g_object_class_install_property (gobject_class, PROP_SNAP_TO_KEYFRAME,
      g_param_spec_boolean ("snap-to-keyframe", "Snap to keyframe",
          "Start at the keyframe at or before the start position",
          DEFAULT_PROP_SNAP_TO_KEYFRAME, rw));
  g_object_class_install_property (gobject_class, PROP_STOP_OFFSET,
      g_param_spec_uint64 ("stop-offset", "Stop offset",
          "End (EOS) before the record at this offset", 0, G_MAXUINT64,
          DEFAULT_PROP_STOP_OFFSET, rw));
  g_object_class_install_property (gobject_class, PROP_STOP_TIME,
      g_param_spec_int64 ("stop-time", "Stop time",
          "End (EOS) before the first record with a timestamp at or after "
          "this (ms since the epoch; -1 = never)", -1, G_MAXINT64,
          DEFAULT_PROP_STOP_TIME, rw));
  g_object_class_install_property (gobject_class, PROP_FOLLOW,
      g_param_spec_boolean ("follow", "Follow",
          "At the end, wait for the writer's new records (a live source) "
          "instead of ending", DEFAULT_PROP_FOLLOW, rw));
  g_object_class_install_property (gobject_class, PROP_SKIP_CORRUPT,
      g_param_spec_boolean ("skip-corrupt", "Skip corrupt",
          "Skip damaged records (marking DISCONT) instead of failing",
          DEFAULT_PROP_SKIP_CORRUPT, rw));
  /**
   * GstRgSrc:timeout:
   *
   * kafka:// only: how long (ms) the source waits for the broker before it
   * fails with an error naming the broker and librdkafka's reason: at the
   * start, and without follow while reading (no record nor the end of the
   * topic for this long). A follower keeps reconnecting instead. 0 = wait
   * forever.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "kafka:// only: ms to wait for an unreachable broker before "
          "failing (at the start, and while reading without follow); "
          "0 = forever", 0, G_MAXINT, DEFAULT_PROP_TIMEOUT, rw));
}

static void
gst_rg_src_class_init (GstRgSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_rg_src_set_property;
  gobject_class->get_property = gst_rg_src_get_property;
  gobject_class->finalize = gst_rg_src_finalize;
  gst_rg_src_install_properties (gobject_class);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Journal source",
      "Source", "Replays or follows a gst-rg journal directory without "
      "copying, restoring caps and timestamps", "gst-rg authors");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_rg_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_rg_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_rg_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_rg_src_unlock_stop);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_rg_src_is_seekable);
  basesrc_class->prepare_seek_segment =
      GST_DEBUG_FUNCPTR (gst_rg_src_prepare_seek_segment);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_rg_src_do_seek);
  basesrc_class->event = GST_DEBUG_FUNCPTR (gst_rg_src_event);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_rg_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_rg_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_RG_SRC_START, 0);
}

static void
gst_rg_src_init (GstRgSrc * self)
{
  self->location = DEFAULT_PROP_LOCATION;
  self->start = DEFAULT_PROP_START;
  self->start_offset = DEFAULT_PROP_START_OFFSET;
  self->start_time = DEFAULT_PROP_START_TIME;
  self->snap_to_keyframe = DEFAULT_PROP_SNAP_TO_KEYFRAME;
  self->stop_offset = DEFAULT_PROP_STOP_OFFSET;
  self->stop_time = DEFAULT_PROP_STOP_TIME;
  self->follow = DEFAULT_PROP_FOLLOW;
  self->skip_corrupt = DEFAULT_PROP_SKIP_CORRUPT;
  self->timeout = DEFAULT_PROP_TIMEOUT;
  self->seek_stop_offset = G_MAXUINT64;
  g_mutex_init (&self->lookup_lock);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}
