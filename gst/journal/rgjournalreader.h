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

/**
 * RgJournalReader:
 *
 * An open reader of one journal directory. Opaque. In C, free it with
 * rg_journal_reader_free(); bindings hold it through its boxed #GType,
 * whose references are rg_journal_reader_ref() and
 * rg_journal_reader_unref() (declared at the end of this header).
 */
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

/**
 * rg_journal_record_clear: (skip)
 * @record: a record filled by rg_journal_reader_next()
 *
 * Drops the record's buffer and caps and zeroes it. Skipped by
 * introspection: bindings get records from rg_journal_reader_next_record()
 * and release them through the boxed type.
 */
RG_API
void rg_journal_record_clear (RgJournalRecord * record);

/**
 * RgJournalReadResult:
 * @RG_JOURNAL_READ_OK: a record was returned
 * @RG_JOURNAL_READ_END: no more records and not following
 * @RG_JOURNAL_READ_TIMEOUT: following: nothing new before the deadline
 * @RG_JOURNAL_READ_ERROR: the read failed; the #GError says why
 *
 * What rg_journal_reader_next() returned.
 */
typedef enum
{
  RG_JOURNAL_READ_OK,
  RG_JOURNAL_READ_END,          /* no more records and not following */
  RG_JOURNAL_READ_TIMEOUT,      /* following: nothing new before the deadline */
  RG_JOURNAL_READ_ERROR,
} RgJournalReadResult;

/**
 * rg_journal_reader_open:
 * @dir: (type filename): the journal directory
 * @error: return location for an error
 *
 * Opens a reader positioned at the earliest record. Reads never take the
 * writer lock; a reader only ever returns whole, CRC-valid batches, so it
 * can tail a writer in another process.
 *
 * Returns: (transfer full) (nullable): the reader, or %NULL with @error
 *   set (RG_JOURNAL_ERROR_IO when @dir is not a directory).
 */
RG_API
RgJournalReader *rg_journal_reader_open (const gchar * dir, GError ** error);

/**
 * rg_journal_reader_free: (skip)
 * @reader: (transfer full) (nullable): the reader
 *
 * Closes the reader's segment and frees it. Skipped by introspection:
 * bindings release a reader through its boxed type.
 */
RG_API
void rg_journal_reader_free (RgJournalReader * reader);

/**
 * rg_journal_reader_set_skip_corrupt:
 * @reader: the reader
 * @skip: whether to skip corrupt batches
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

/**
 * rg_journal_reader_get_range:
 * @reader: the reader
 * @start: (out): the offset of the first record
 * @end: (out): one past the offset of the last complete record; equal to
 *   @start when the journal is empty
 * @error: return location for an error
 *
 * Refreshes the segment list and reports the offsets it spans.
 *
 * Returns: %TRUE with @start and @end set; %FALSE with @error set
 *   (RG_JOURNAL_ERROR_IO, _INVALID).
 */
RG_API
gboolean rg_journal_reader_get_range (RgJournalReader * reader,
    guint64 * start, guint64 * end, GError ** error);

/**
 * rg_journal_reader_seek_offset:
 * @reader: the reader
 * @offset: the record offset to read next
 * @snap_to_keyframe: move back to the keyframe at or before @offset
 * @error: return location for an error
 *
 * Positions the reader so the next record is @offset (or that keyframe).
 * Offsets past the end position at the end (a follower then waits).
 *
 * Returns: %TRUE when positioned; %FALSE with @error set
 *   (RG_JOURNAL_ERROR_OUT_OF_RANGE when @offset is older than the first
 *   record, _IO, _CORRUPT).
 */
RG_API
gboolean rg_journal_reader_seek_offset (RgJournalReader * reader,
    guint64 offset, gboolean snap_to_keyframe, GError ** error);

/**
 * rg_journal_reader_seek_timestamp:
 * @reader: the reader
 * @timestamp: a record timestamp, ms since the epoch
 * @snap_to_keyframe: move back to the keyframe at or before that record
 * @error: return location for an error
 *
 * Positions the reader at the first record with timestamp >= @timestamp
 * (ms since the epoch), or the keyframe at or before it, through the
 * .timeindex.
 *
 * Returns: %TRUE when positioned; %FALSE with @error set
 *   (RG_JOURNAL_ERROR_OUT_OF_RANGE, _IO, _CORRUPT).
 */
RG_API
gboolean rg_journal_reader_seek_timestamp (RgJournalReader * reader,
    gint64 timestamp, gboolean snap_to_keyframe, GError ** error);

/**
 * rg_journal_reader_next: (skip)
 * @reader: the reader
 * @record: (out caller-allocates): the record; free its contents with
 *   rg_journal_record_clear()
 * @follow: wait for the writer when at the end
 * @deadline: with @follow, g_get_monotonic_time() after which to return
 *   RG_JOURNAL_READ_TIMEOUT; -1 waits without a deadline
 * @error: return location for an error (with RG_JOURNAL_READ_ERROR)
 *
 * Reads the next record. Skipped by introspection: a caller-allocated
 * struct that receives references has no owner in a binding; bindings
 * call rg_journal_reader_next_record(), which returns a boxed record.
 *
 * Returns: what happened; @record is filled only with RG_JOURNAL_READ_OK.
 */
RG_API
RgJournalReadResult rg_journal_reader_next (RgJournalReader * reader,
    RgJournalRecord * record, gboolean follow, gint64 deadline,
    GError ** error);

/* ------------------------------------------------------------------ */
/* For language bindings (rgjournalboxed.c)                            */

/**
 * rg_journal_reader_get_type:
 *
 * Returns: the boxed #GType of #RgJournalReader: copying takes a
 *   reference, freeing drops one.
 */
RG_API
GType rg_journal_reader_get_type (void);

/**
 * rg_journal_reader_ref:
 * @reader: the reader
 *
 * Takes a reference. A reader starts with one reference, its opener's;
 * rg_journal_reader_unref() of the last one frees it as
 * rg_journal_reader_free() does. A reader that has been referenced must be
 * released with rg_journal_reader_unref(), never with
 * rg_journal_reader_free(). Any thread.
 *
 * Returns: (transfer full): @reader
 */
RG_API
RgJournalReader *rg_journal_reader_ref (RgJournalReader * reader);

/**
 * rg_journal_reader_unref:
 * @reader: (transfer full): the reader
 *
 * Drops a reference; the last one frees the reader. Any thread, but not
 * while another thread reads with the last reference.
 */
RG_API
void rg_journal_reader_unref (RgJournalReader * reader);

/**
 * rg_journal_record_get_type:
 *
 * Returns: the boxed #GType of #RgJournalRecord, copied by
 *   rg_journal_record_copy() and freed by rg_journal_record_free().
 */
RG_API
GType rg_journal_record_get_type (void);

/**
 * rg_journal_record_copy:
 * @record: a record
 *
 * Copies the record's fields into a new one that holds its own references
 * on the buffer and the caps (the bytes are not copied: both records share
 * the one buffer).
 *
 * Returns: (transfer full): the copy; free with rg_journal_record_free()
 */
RG_API
RgJournalRecord *rg_journal_record_copy (const RgJournalRecord * record);

/**
 * rg_journal_record_free:
 * @record: (transfer full) (nullable): a record from
 *   rg_journal_record_copy() or rg_journal_reader_next_record()
 *
 * Drops the record's buffer and caps and frees it.
 */
RG_API
void rg_journal_record_free (RgJournalRecord * record);

/**
 * rg_journal_reader_next_record:
 * @reader: the reader
 * @follow: wait for the writer when at the end
 * @deadline: with @follow, g_get_monotonic_time() after which to return
 *   RG_JOURNAL_READ_TIMEOUT; -1 waits without a deadline
 * @record: (out) (transfer full) (nullable): the record, set only with
 *   RG_JOURNAL_READ_OK, else %NULL; free with rg_journal_record_free()
 * @error: return location for an error (with RG_JOURNAL_READ_ERROR)
 *
 * rg_journal_reader_next() for bindings: the record is allocated and owned
 * by the caller. Its buffer still wraps the mapped segment (no copy), and
 * carries a #GstRgMeta with the record's offset, timestamp, key and
 * headers.
 *
 * Returns: what happened.
 */
RG_API
RgJournalReadResult rg_journal_reader_next_record (RgJournalReader * reader,
    gboolean follow, gint64 deadline, RgJournalRecord ** record,
    GError ** error);

G_END_DECLS

#endif /* __RG_JOURNAL_READER_H__ */
