/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * RgJournalReader: reads a journal directory that rgjournal.h's writer
 * wrote, in this process or another: it maps segments and returns each record
 * as a GstBuffer wrapping the mapped bytes (zero copy), with caps, PTS, DTS,
 * duration, flags and a GstRgMeta restored from the envelope. The format and
 * the rule for a valid batch are in rgjournal.h and docs/journal-format.md.
 *
 * Thread safety: a reader is used by one thread at a time; any number of
 * readers may read one directory, while a writer appends to it.
 */

#ifndef __RG_JOURNAL_READER_H__
#define __RG_JOURNAL_READER_H__

#include <gst/gst.h>
#include "util/rgapi.h"
#include "journal/rgjournal.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ */
/* Readers                                                              */

typedef struct _RgJournalReader RgJournalReader;

/**
 * RgJournalRecord:
 * @offset: the record's offset
 * @timestamp: the record timestamp (ms since the epoch)
 * @buffer: (transfer full): the value as a GstBuffer whose memory wraps the
 *   mapped segment (no copy; the mapping stays alive while the buffer
 *   does), with PTS, DTS, duration and flags restored from the envelope and
 *   a GstRgMeta attached (offset, timestamp, key, headers)
 * @caps: (transfer full) (nullable): the caps in effect for this record:
 *   set when the record carries them, and on the first record returned
 *   after open, a seek or a DISCONT even if the caps were carried by an
 *   earlier record of the segment (so a reader that starts mid-segment
 *   still learns them); NULL when they did not change
 * @keyframe: TRUE when the buffer is not a delta unit
 * @discont: TRUE when records before this one were skipped (retention
 *   deleted them under the reader, or a corrupt batch was skipped)
 */
typedef struct
{
  guint64 offset;
  gint64 timestamp;
  GstBuffer *buffer;
  GstCaps *caps;
  gboolean keyframe;
  gboolean discont;
} RgJournalRecord;

RG_API
void rg_journal_record_clear (RgJournalRecord * record);

typedef enum
{
  RG_JOURNAL_READ_OK,
  RG_JOURNAL_READ_END,          /* no more records and not following */
  RG_JOURNAL_READ_TIMEOUT,      /* following: nothing new before the deadline */
  RG_JOURNAL_READ_ERROR,
} RgJournalReadResult;

/**
 * rg_journal_reader_open:
 * @dir: the journal directory
 * @error: return location for an error
 *
 * Opens a reader positioned at the earliest record. Reads never take the
 * writer lock; a reader only ever returns whole, CRC-valid batches, so it
 * can tail a writer in another process.
 */
RG_API
RgJournalReader *rg_journal_reader_open (const gchar * dir, GError ** error);
RG_API
void rg_journal_reader_free (RgJournalReader * reader);

/**
 * rg_journal_reader_set_skip_corrupt:
 *
 * When TRUE, a corrupt batch is skipped (the reader resumes at the next
 * intact batch that continues the offsets, and marks DISCONT) instead of
 * failing with RG_JOURNAL_ERROR_CORRUPT. Default FALSE.
 */
RG_API
void rg_journal_reader_set_skip_corrupt (RgJournalReader * reader,
    gboolean skip);

/**
 * rg_journal_reader_get_skipped:
 * @reader: a reader
 * @ranges: (out) (optional): damaged ranges skipped under skip-corrupt
 * @records: (out) (optional): offsets those ranges held (a range at the end
 *   of a segment counts its bytes only: its offsets are unknown until the
 *   next segment)
 * @bytes: (out) (optional): bytes skipped
 *
 * What skip-corrupt has skipped so far. Call from the reading thread.
 */
RG_API
void rg_journal_reader_get_skipped (RgJournalReader * reader,
    guint64 * ranges, guint64 * records, guint64 * bytes);

/** Refreshes the segment list. Returns the offsets of the first record and
 * one past the last complete record; equal when empty. */
RG_API
gboolean rg_journal_reader_get_range (RgJournalReader * reader,
    guint64 * start, guint64 * end, GError ** error);

/**
 * rg_journal_reader_seek_offset:
 * @snap_to_keyframe: move back to the keyframe at or before @offset
 *
 * Positions the reader so the next record is @offset (or that keyframe).
 * Offsets past the end position at the end (a follower then waits).
 */
RG_API
gboolean rg_journal_reader_seek_offset (RgJournalReader * reader,
    guint64 offset, gboolean snap_to_keyframe, GError ** error);

/**
 * rg_journal_reader_seek_timestamp:
 *
 * Positions the reader at the first record with timestamp >= @timestamp
 * (ms since the epoch), or the keyframe at or before it, through the
 * .timeindex.
 */
RG_API
gboolean rg_journal_reader_seek_timestamp (RgJournalReader * reader,
    gint64 timestamp, gboolean snap_to_keyframe, GError ** error);

/**
 * rg_journal_reader_next:
 * @reader: the reader
 * @record: (out caller-allocates): the record
 * @follow: wait for the writer when at the end
 * @deadline: with @follow, g_get_monotonic_time() after which to return
 *   RG_JOURNAL_READ_TIMEOUT; -1 waits without a deadline
 * @error: return location for an error (with RG_JOURNAL_READ_ERROR)
 */
RG_API
RgJournalReadResult rg_journal_reader_next (RgJournalReader * reader,
    RgJournalRecord * record, gboolean follow, gint64 deadline,
    GError ** error);

G_END_DECLS

#endif /* __RG_JOURNAL_READER_H__ */
