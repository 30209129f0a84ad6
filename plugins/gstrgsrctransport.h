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

/*
 * The transports of rgsrc: where its records come from. The element
 * (gstrgsrc.c) owns everything GStreamer sees (properties, caps, segments,
 * live timestamps, stop positions, seeks and queries); a transport only
 * opens its source at the start position and hands out records, each a
 * buffer with its caps, offset and timestamp. Two fill this table:
 * gstrgsrcjournal.c (a journal directory, memory-mapped, seekable) and
 * gstrgsrckafka.c (a kafka:// topic through librdkafka, not seekable).
 *
 * Errors: open() and read() post the element error themselves (their
 * messages name what a person must fix, which only the transport knows)
 * and return NULL / GST_RG_SRC_READ_ERROR.
 *
 * Threads: an opened transport is used by the streaming thread, and by
 * seek() while that thread is stopped. The lookup functions work on a
 * separate lookup object, which the element guards with its lookup lock,
 * so queries and seek preparation never touch the streaming reader.
 */

#ifndef __GST_RG_SRC_TRANSPORT_H__
#define __GST_RG_SRC_TRANSPORT_H__

#include "gstrgsrc.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_rg_src_debug);

typedef struct _GstRgSrcTransport GstRgSrcTransport;
typedef struct _GstRgSrcTransportClass GstRgSrcTransportClass;

/* The start properties, copied under the object lock at start(). */
typedef struct
{
  GstRgSrcStart start;
  guint64 start_offset;
  gint64 start_time;
  gboolean snap_to_keyframe;
  gboolean skip_corrupt;
  guint timeout;
} GstRgSrcSettings;

/* One record. @buffer (transfer full) has its PTS, DTS, duration, flags
 * (DISCONT included) and GstRgMeta set; @caps (transfer full, nullable)
 * are the caps in force for it when they changed or are not known yet
 * downstream. */
typedef struct
{
  guint64 offset;
  gint64 timestamp;
  GstBuffer *buffer;
  GstCaps *caps;
} GstRgSrcRecord;

/* A buffer's position in stream time: its PTS, else its DTS. */
static inline GstClockTime
gst_rg_src_buffer_time (GstBuffer * buffer)
{
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    return GST_BUFFER_PTS (buffer);
  return GST_BUFFER_DTS (buffer);
}

typedef enum
{
  GST_RG_SRC_READ_RECORD,
  GST_RG_SRC_READ_TIMEOUT,      /* nothing yet: check flushing, call again */
  GST_RG_SRC_READ_END,          /* the end, when not following */
  GST_RG_SRC_READ_ERROR,        /* the element error is posted */
} GstRgSrcReadResult;

/* An opened transport; each transport's own state follows it. */
struct _GstRgSrcTransport
{
  const GstRgSrcTransportClass *klass;
  GstRgSrc *src;
};

struct _GstRgSrcTransportClass
{
  /* "journal", "topic": what the error messages call the source. */
  const gchar *what;

  /* Whether @location is this transport's. */
  gboolean (*handles) (const gchar * location);

  /* Opens @location at the start position of @settings. */
  GstRgSrcTransport *(*open) (GstRgSrc * src, const gchar * location,
      const GstRgSrcSettings * settings);
  void (*close) (GstRgSrcTransport * transport);

  /* The next record, waiting at most about 100 ms, so that the element
   * can check for flushing between calls. */
  GstRgSrcReadResult (*read) (GstRgSrcTransport * transport,
      gboolean follow, GstRgSrcRecord * record);

  /* The rest is NULL for a transport that cannot seek. */

  /* Moves the streaming reader to the keyframe at or before @offset. */
  gboolean (*seek) (GstRgSrcTransport * transport, guint64 offset,
      GError ** error);

  /* A lookup object for queries and seek preparation (NULL if
   * @location cannot be opened), and its questions. */
  gpointer (*lookup_open) (const gchar * location);
  void (*lookup_free) (gpointer lookup);
  /* The first offset and one past the last. */
  gboolean (*lookup_range) (gpointer lookup, guint64 * first,
      guint64 * end);
  /* The record at @offset (or its keyframe): the offset landed on and its
   * PTS (else DTS). FALSE past the end. */
  gboolean (*lookup_record) (gpointer lookup, guint64 offset,
      gboolean snap, guint64 * landed, GstClockTime * pts);
  /* The first offset whose record's PTS is >= @time. */
  guint64 (*lookup_offset_for_time) (gpointer lookup, GstClockTime time);
};

extern const GstRgSrcTransportClass gst_rg_src_journal_transport;
extern const GstRgSrcTransportClass gst_rg_src_kafka_transport;

/* Splits kafka://host:port/topic into "host:port" and the topic. */
gboolean gst_rg_src_kafka_parse_location (const gchar * location,
    gchar ** brokers, gchar ** topic, GError ** error);

G_END_DECLS

#endif /* __GST_RG_SRC_TRANSPORT_H__ */
