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

/* rgsrc's journal transport: a journal directory read through
 * RgJournalReader (journal/rgjournalreader.h), whose buffers wrap the
 * memory-mapped segments. It seeks by offset (through the indexes) and
 * answers lookups with a second reader, so queries never move the
 * streaming one. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgsrctransport.h"
#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"

#define GST_CAT_DEFAULT gst_rg_src_debug

/* How long a follower waits in the journal before it returns, so that the
 * element checks whether it is flushing: bounds how long a state change or
 * seek waits for create(). */
#define FOLLOW_WAIT_US (100 * 1000)

typedef struct
{
  GstRgSrcTransport parent;
  RgJournalReader *reader;
  gchar *location;
  /* Damaged ranges skip-corrupt has skipped and reported so far. */
  guint64 skipped_ranges;
} GstRgSrcJournal;

/* Any location: the element asks the journal last, for what no other
 * transport took. */
static gboolean
journal_handles (const gchar * location)
{
  return TRUE;
}

/* Positions @reader where the start settings say. */
static gboolean
journal_position_start (RgJournalReader * reader,
    const GstRgSrcSettings * settings, GError ** error)
{
  gboolean snap = settings->snap_to_keyframe;
  guint64 first, end;

  switch (settings->start) {
    case GST_RG_SRC_START_EARLIEST:
      return TRUE;
    case GST_RG_SRC_START_LATEST:
      if (!rg_journal_reader_get_range (reader, &first, &end, error))
        return FALSE;
      if (snap && end > first)
        return rg_journal_reader_seek_offset (reader, end - 1, TRUE, error);
      return rg_journal_reader_seek_offset (reader, end, FALSE, error);
    case GST_RG_SRC_START_OFFSET:
      return rg_journal_reader_seek_offset (reader, settings->start_offset,
          snap, error);
    case GST_RG_SRC_START_TIME:
      return rg_journal_reader_seek_timestamp (reader, settings->start_time,
          snap, error);
  }
  return TRUE;
}

static GstRgSrcTransport *
journal_open (GstRgSrc * src, const gchar * location,
    const GstRgSrcSettings * settings)
{
  RgJournalReader *reader;
  GstRgSrcJournal *j;
  GError *err = NULL;

  reader = rg_journal_reader_open (location, &err);
  if (!reader)
    goto open_failed;
  rg_journal_reader_set_skip_corrupt (reader, settings->skip_corrupt);
  if (!journal_position_start (reader, settings, &err))
    goto position_failed;
  j = g_new0 (GstRgSrcJournal, 1);
  j->parent.klass = &gst_rg_src_journal_transport;
  j->parent.src = src;
  j->reader = reader;
  j->location = g_strdup (location);
  return &j->parent;

  /* ERRORS */
open_failed:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND,
        ("Cannot open the journal directory %s.", location),
        ("%s", err->message));
    g_error_free (err);
    return NULL;
  }
position_failed:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, SEEK,
        ("Cannot find the start position in journal %s.", location),
        ("%s", err->message));
    g_error_free (err);
    rg_journal_reader_free (reader);
    return NULL;
  }
}

static void
journal_close (GstRgSrcTransport * transport)
{
  GstRgSrcJournal *j = (GstRgSrcJournal *) transport;

  rg_journal_reader_free (j->reader);
  g_free (j->location);
  g_free (j);
}

/* skip-corrupt passed over damage: say how much, as a warning on the bus
 * (the buffer after it carries DISCONT). */
static void
journal_report_skipped (GstRgSrcJournal * j)
{
  guint64 ranges, records, bytes;

  rg_journal_reader_get_skipped (j->reader, &ranges, &records, &bytes);
  if (ranges == j->skipped_ranges)
    return;
  j->skipped_ranges = ranges;
  GST_ELEMENT_WARNING (j->parent.src, STREAM, DECODE,
      ("Skipped damaged data in the journal %s.", j->location),
      ("%" G_GUINT64_FORMAT " damaged ranges so far: %" G_GUINT64_FORMAT
          " records, %" G_GUINT64_FORMAT " bytes", ranges, records, bytes));
}

static GstRgSrcReadResult
journal_read (GstRgSrcTransport * transport, gboolean follow,
    GstRgSrcRecord * record)
{
  GstRgSrcJournal *j = (GstRgSrcJournal *) transport;
  RgJournalRecord rec;
  GError *err = NULL;

  switch (rg_journal_reader_next (j->reader, &rec, follow,
          g_get_monotonic_time () + FOLLOW_WAIT_US, &err)) {
    case RG_JOURNAL_READ_OK:
      break;
    case RG_JOURNAL_READ_END:
      return GST_RG_SRC_READ_END;
    case RG_JOURNAL_READ_TIMEOUT:
      return GST_RG_SRC_READ_TIMEOUT;
    case RG_JOURNAL_READ_ERROR:
    default:
      goto read_failed;
  }
  if (rec.discont)
    journal_report_skipped (j);
  record->offset = rec.offset;
  record->timestamp = rec.timestamp;
  record->buffer = g_steal_pointer (&rec.buffer);
  record->caps = g_steal_pointer (&rec.caps);
  rg_journal_record_clear (&rec);
  return GST_RG_SRC_READ_RECORD;

  /* ERRORS */
read_failed:
  {
    if (g_error_matches (err, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT))
      GST_ELEMENT_ERROR (transport->src, STREAM, DECODE,
          ("The journal %s is damaged. Set skip-corrupt=true to skip damaged "
              "records, or check it with 'rg-journal verify'.",
              j->location), ("%s", err->message));
    else
      GST_ELEMENT_ERROR (transport->src, RESOURCE, READ,
          ("Could not read the journal %s.", j->location),
          ("%s", err->message));
    g_error_free (err);
    return GST_RG_SRC_READ_ERROR;
  }
}

static gboolean
journal_seek (GstRgSrcTransport * transport, guint64 offset, GError ** error)
{
  GstRgSrcJournal *j = (GstRgSrcJournal *) transport;

  return rg_journal_reader_seek_offset (j->reader, offset, TRUE, error);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */

static gpointer
journal_lookup_open (const gchar * location)
{
  return rg_journal_reader_open (location, NULL);
}

static void
journal_lookup_free (gpointer lookup)
{
  rg_journal_reader_free (lookup);
}

static gboolean
journal_lookup_range (gpointer lookup, guint64 * first, guint64 * end)
{
  return rg_journal_reader_get_range (lookup, first, end, NULL);
}

static gboolean
journal_lookup_record (gpointer lookup, guint64 offset, gboolean snap,
    guint64 * landed, GstClockTime * pts)
{
  RgJournalReader *reader = lookup;
  RgJournalRecord rec;

  if (!rg_journal_reader_seek_offset (reader, offset, snap, NULL) ||
      rg_journal_reader_next (reader, &rec, FALSE, 0, NULL) !=
      RG_JOURNAL_READ_OK)
    return FALSE;
  *landed = rec.offset;
  *pts = gst_rg_src_buffer_time (rec.buffer);
  rg_journal_record_clear (&rec);
  return TRUE;
}

/* A binary search, as the PTS rises with the offset (up to B-frame
 * reordering, which moves the answer by a few records at most). */
static guint64
journal_lookup_offset_for_time (gpointer lookup, GstClockTime time)
{
  guint64 lo, hi, landed;
  GstClockTime pts;

  if (!journal_lookup_range (lookup, &lo, &hi))
    return 0;
  while (lo < hi) {
    guint64 mid = lo + (hi - lo) / 2;

    if (!journal_lookup_record (lookup, mid, FALSE, &landed, &pts))
      break;
    if (landed > mid) {
      /* A gap (retention): continue from what exists. */
      mid = landed;
    }
    if (GST_CLOCK_TIME_IS_VALID (pts) && pts >= time)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

const GstRgSrcTransportClass gst_rg_src_journal_transport = {
  .what = "journal",
  .handles = journal_handles,
  .open = journal_open,
  .close = journal_close,
  .read = journal_read,
  .seek = journal_seek,
  .lookup_open = journal_lookup_open,
  .lookup_free = journal_lookup_free,
  .lookup_range = journal_lookup_range,
  .lookup_record = journal_lookup_record,
  .lookup_offset_for_time = journal_lookup_offset_for_time,
};
