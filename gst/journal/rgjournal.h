/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * RgJournal: a segmented, append-only log of Kafka RecordBatch v2 batches in
 * one directory, written by one writer and read by any number of readers
 * (other processes included).
 *
 * On-disk layout (docs/journal-format.md is the long form)
 * ================================================
 * <dir>/<20-digit base offset>.log        batches back to back, exactly
 *                                          Kafka's segment format (rgbatch.h)
 * <dir>/<20-digit base offset>.index      8-byte entries, big-endian:
 *                                          int32 offset - base, int32 file
 *                                          position of the batch holding it;
 *                                          sparse (one per ~4 KiB of log),
 *                                          ascending (Kafka's format)
 * <dir>/<20-digit base offset>.timeindex  12-byte entries, big-endian: int64
 *                                          timestamp (ms), int32 offset -
 *                                          base; timestamps strictly rising
 *                                          (Kafka's format)
 * <dir>/<20-digit base offset>.keyindex   8-byte entries, big-endian: int32
 *                                          offset - base, int32 file position
 *                                          of the batch holding it, for every
 *                                          keyframe record (a buffer without
 *                                          GST_BUFFER_FLAG_DELTA_UNIT);
 *                                          gst-rg's own
 * <dir>/writer.lock                        flock()ed by the writer
 *
 * Indexes carry no checksum: they are rebuilt from the .log when missing,
 * shorter than the log they describe, or pointing past it. The .log is the
 * only truth. Every segment's first record carries the gst.caps header (see
 * rgbatch.h), so any segment can be decoded on its own.
 *
 * A batch is valid when its size is >= 61, its magic is 2, its CRC-32C
 * matches, and its base offset is the previous batch's last offset + 1 (the
 * first batch of a segment: the segment's base offset). The offset is not
 * covered by the CRC, so the continuity check is what catches a stale or
 * misplaced batch.
 *
 * Durability (sync policy)
 * ========================
 * none      data reaches the page cache (small records within 5 ms: they
 *           are coalesced into one write); durable only at
 *           rg_journal_writer_sync() and close.
 * interval  a syncer thread starts an fdatasync every sync_interval
 *           while records are not durable (the interval counts from the
 *           start of the one before, so a record waits at most about one
 *           interval plus the fdatasync that covers it; one that takes
 *           longer than the interval is followed at once by the next).
 * always    group commit: the syncer thread calls fdatasync back to back; a
 *           record is durable once an fdatasync that started after its
 *           write returned. rg_journal_writer_append() does not wait for
 *           that (one fdatasync per record would cap a stream at ~10k
 *           records/s); rg_journal_writer_wait_durable() does, and the
 *           durable offset and the segment-closed callback only ever report
 *           durable data. An append waits only when more than
 *           max_pending_bytes are written and not yet durable.
 * A failed write or fdatasync is fatal: the writer refuses every later call
 * with RG_JOURNAL_ERROR_FATAL and never retries (a retried fsync can report
 * success for lost data). Creating, renaming or deleting a segment is
 * followed by an fsync of the directory.
 *
 * Thread safety
 * =============
 * RgJournalWriter: one thread appends (the element's streaming thread);
 * get_* and get_stats may be called from any thread. The syncer thread is
 * internal. The reader's API is in rgjournalreader.h.
 */

#ifndef __RG_JOURNAL_H__
#define __RG_JOURNAL_H__

#include <gst/gst.h>
#include "util/rgapi.h"
#include "journal/rgjournalerror.h"

G_BEGIN_DECLS

/**
 * RgJournalSync:
 * @RG_JOURNAL_SYNC_NONE: durable only at rg_journal_writer_sync() and close
 * @RG_JOURNAL_SYNC_INTERVAL: fdatasync every sync_interval
 * @RG_JOURNAL_SYNC_ALWAYS: group commit, fdatasync back to back
 *
 * The writer's sync policy, described at the top of this header.
 */
typedef enum
{
  RG_JOURNAL_SYNC_NONE,
  RG_JOURNAL_SYNC_INTERVAL,
  RG_JOURNAL_SYNC_ALWAYS,
} RgJournalSync;

/**
 * RgJournalConfig:
 * @sync: the sync policy
 * @sync_interval: period of the syncer for RG_JOURNAL_SYNC_INTERVAL
 * @max_segment_bytes: roll to a new segment past this size (at the next
 *   keyframe if the stream has them and one comes within 2x this size); 0 =
 *   never by size
 * @max_segment_time: likewise by age of the segment's first record (record
 *   timestamps); GST_CLOCK_TIME_NONE = never by age
 * @max_bytes: retention: delete the oldest closed segments while the journal
 *   is larger; 0 = keep everything
 * @max_age: retention: delete closed segments whose newest record is older
 *   than this (wall clock); GST_CLOCK_TIME_NONE = keep
 * @index_interval_bytes: distance between .index entries
 * @max_pending_bytes: for RG_JOURNAL_SYNC_ALWAYS, how much written but not
 *   yet durable data an append may leave before it waits
 *
 * Writer settings. rg_journal_config_init() sets the defaults named in
 * docs/journal-format.md.
 */
typedef struct
{
  RgJournalSync sync;
  GstClockTime sync_interval;
  guint64 max_segment_bytes;
  GstClockTime max_segment_time;
  guint64 max_bytes;
  GstClockTime max_age;
  guint64 index_interval_bytes;
  guint64 max_pending_bytes;
} RgJournalConfig;

/**
 * rg_journal_config_init:
 * @config: (out caller-allocates): the settings to fill with the defaults
 */
RG_API
void rg_journal_config_init (RgJournalConfig * config);

/**
 * RgJournalSegmentInfo:
 * @path: the .log file
 * @first_offset: offset of its first record
 * @last_offset: offset of its last record
 * @first_timestamp: record timestamp (ms since the epoch) of the first record
 * @last_timestamp: of the last record
 * @bytes: size of the .log file
 */
typedef struct
{
  const gchar *path;
  guint64 first_offset;
  guint64 last_offset;
  gint64 first_timestamp;
  gint64 last_timestamp;
  guint64 bytes;
} RgJournalSegmentInfo;

/**
 * RgJournalSegmentFunc:
 * @info: the closed segment; valid during the call only
 * @user_data: what was given to rg_journal_writer_set_segment_closed_func()
 *
 * Called when a segment is closed (rolled or at close) and durable, from the
 * thread that made it durable, with no journal lock held. Under
 * RG_JOURNAL_SYNC_NONE a rolled segment is announced when it is closed
 * (written, not yet durable), from the appending thread.
 */
typedef void (*RgJournalSegmentFunc) (const RgJournalSegmentInfo * info,
    gpointer user_data);

/**
 * RgJournalStats:
 * @records: records appended since open
 * @bytes: bytes written since open
 * @segments: segments in the directory now
 * @fsyncs: fdatasync calls since open
 * @last_fsync_ns: duration of the latest fdatasync
 * @recovered_bytes: bytes truncated from a torn tail at open
 * @fsync_total_ns: time spent in fdatasync since open
 * @fsync_max_ns: the longest fdatasync since open
 * @commits: group commits since open that wrote records from the pending
 *   buffer (records of up to 4 KiB; larger ones are written by the append)
 * @write_wait_total_ns: summed over those commits, how long the oldest
 *   pending record waited from its append to the syncer's write
 * @write_wait_max_ns: the longest such wait
 */
typedef struct
{
  guint64 records;
  guint64 bytes;
  guint64 segments;
  guint64 fsyncs;
  guint64 last_fsync_ns;
  guint64 recovered_bytes;
  guint64 fsync_total_ns;
  guint64 fsync_max_ns;
  guint64 commits;
  guint64 write_wait_total_ns;
  guint64 write_wait_max_ns;
} RgJournalStats;

/**
 * RgJournalWriter:
 *
 * The one writer of a journal directory. Opaque.
 */
typedef struct _RgJournalWriter RgJournalWriter;

/**
 * rg_journal_writer_open: (skip)
 * @dir: the journal directory; created if missing
 * @config: settings (copied)
 * @error: return location for an error
 *
 * Takes the writer lock, recovers the journal (validates the active
 * segment's tail from its last index entry on, truncates a torn tail,
 * rebuilds stale indexes; time does not grow with the journal's size) and
 * opens it for appending at the next offset. Skipped by introspection, as every writer
 * call: a writer's life ends in rg_journal_writer_close(), which reports
 * whether the last records became durable, and a binding's garbage
 * collector cannot report that. Applications write journals with
 * rgjournalsink.
 *
 * Returns: (transfer full) (nullable): the writer, or NULL with @error set
 *   (RG_JOURNAL_ERROR_LOCKED, _IO, _INVALID, _CORRUPT for damage recovery
 *   must not cut: intact batches follow it, see rg_journal_recover()).
 */
RG_API
RgJournalWriter *rg_journal_writer_open (const gchar * dir,
    const RgJournalConfig * config, GError ** error);

/**
 * rg_journal_writer_close: (skip)
 * @writer: (transfer full): the writer
 * @error: return location for an error
 *
 * Makes everything durable (whatever the sync policy), closes the active
 * segment (the segment-closed callback runs), releases the lock, frees.
 *
 * Returns: FALSE if the final sync failed; the writer is freed either way.
 */
RG_API
gboolean rg_journal_writer_close (RgJournalWriter * writer, GError ** error);

/**
 * rg_journal_writer_set_segment_closed_func: (skip)
 * @writer: the writer
 * @func: (nullable): called for every closed segment, or %NULL
 * @user_data: for @func
 *
 * Sets the one function told when a segment is closed (see
 * #RgJournalSegmentFunc).
 */
RG_API
void rg_journal_writer_set_segment_closed_func (RgJournalWriter * writer,
    RgJournalSegmentFunc func, gpointer user_data);

/**
 * rg_journal_writer_set_caps: (skip)
 * @writer: the writer
 * @caps: (nullable): the stream's caps
 *
 * The next record, and the first record of every later segment, carry these
 * caps in their gst.caps header.
 */
RG_API
void rg_journal_writer_set_caps (RgJournalWriter * writer, GstCaps * caps);

/**
 * rg_journal_writer_append: (skip)
 * @writer: the writer
 * @buffer: the buffer: its memory is the record's value, written with
 *   writev() straight from the mapped memory (tiny values may be coalesced)
 * @timestamp: record timestamp in ms since the epoch; -1 = now (wall clock)
 * @key: (nullable): the record key
 * @offset: (out) (optional): the offset the record got
 * @error: return location for an error
 *
 * Appends one record (one batch) with the envelope headers of rgbatch.h,
 * rolling the segment first when the rotation rules say so and applying
 * retention after a roll. Does not wait for durability (see the sync policy
 * above).
 *
 * Returns: TRUE when written; FALSE with @error (RG_JOURNAL_ERROR_NO_SPACE,
 *   _IO, _FATAL). After FALSE the writer is dead (FATAL from then on). A
 *   failure of the syncer thread's write or fdatasync is reported by the
 *   next append as itself (NO_SPACE or IO), then as FATAL.
 */
RG_API
gboolean rg_journal_writer_append (RgJournalWriter * writer,
    GstBuffer * buffer, gint64 timestamp, GBytes * key, guint64 * offset,
    GError ** error);

/**
 * rg_journal_writer_append_list: (skip)
 * @writer: the writer
 * @list: the buffers, one record each
 * @timestamp: record timestamp in ms since the epoch; -1 = now
 * @key: (nullable): the records' key
 * @offset: (out) (optional): the offset of the first record
 * @error: return location for an error
 *
 * As rg_journal_writer_append() for every buffer of @list, as one batch
 * (one CRC, one writev), so the records share one timestamp and key.
 * @offset receives the offset of the list's first record.
 *
 * Returns: as rg_journal_writer_append().
 */
RG_API
gboolean rg_journal_writer_append_list (RgJournalWriter * writer,
    GstBufferList * list, gint64 timestamp, GBytes * key, guint64 * offset,
    GError ** error);

/**
 * rg_journal_writer_sync: (skip)
 * @writer: the writer
 * @error: return location for an error
 *
 * Makes everything appended so far durable now: asks the syncer thread for
 * a group commit and waits until one covers it, whatever the sync policy.
 *
 * Returns: FALSE (FATAL) if a sync failed.
 */
RG_API
gboolean rg_journal_writer_sync (RgJournalWriter * writer, GError ** error);

/**
 * rg_journal_writer_wait_durable: (skip)
 * @writer: the writer
 * @offset: wait until the record at this offset is durable
 * @error: return location for an error
 *
 * Any thread. Under RG_JOURNAL_SYNC_NONE and _INTERVAL it asks the syncer
 * for a sync now.
 *
 * Returns: TRUE once durable; FALSE if a sync failed (FATAL), or
 *   RG_JOURNAL_ERROR_OUT_OF_RANGE when @offset has not been appended.
 */
RG_API
gboolean rg_journal_writer_wait_durable (RgJournalWriter * writer,
    guint64 offset, GError ** error);

/**
 * rg_journal_writer_get_next_offset: (skip)
 * @writer: the writer
 *
 * Returns: the offset the next record will get. Any thread.
 */
RG_API
guint64 rg_journal_writer_get_next_offset (RgJournalWriter * writer);

/**
 * rg_journal_writer_get_durable_offset: (skip)
 * @writer: the writer
 *
 * Returns: the number of the first record that is not yet durable (every
 *   record below it is). Any thread.
 */
RG_API
guint64 rg_journal_writer_get_durable_offset (RgJournalWriter * writer);

/**
 * rg_journal_writer_get_stats: (skip)
 * @writer: the writer
 * @stats: (out caller-allocates): the figures since open
 *
 * Any thread.
 */
RG_API
void rg_journal_writer_get_stats (RgJournalWriter * writer,
    RgJournalStats * stats);

/* ------------------------------------------------------------------ */
/* The written tail, for readers in the writer's process                */

/**
 * RgJournalTail:
 *
 * How far a writer has handed its log to the kernel, shared with readers
 * in the same process (the broker). A reader that trusts it needs neither
 * to list the directory nor to read and check each new batch: the writer
 * produced those bytes itself. It outlives the writer; once the writer is
 * closed or has failed, rg_journal_tail_read() returns %FALSE and the
 * reader goes back to looking at the files.
 */
typedef struct _RgJournalTail RgJournalTail;

/**
 * RgJournalTailInfo:
 * @segment_base: base offset of the active segment
 * @position: every log byte of the active segment below it is written
 *   (not necessarily durable) and ends a complete batch
 * @next_offset: the first record not in those bytes
 * @generation: goes up once per roll, after the new segment exists and
 *   retention has run, so a reader knows when to list the directory again
 *   (a listing made just before may already show the new segment while
 *   the tail still names the old one)
 */
typedef struct
{
  guint64 segment_base;
  guint64 position;
  guint64 next_offset;
  guint64 generation;
} RgJournalTailInfo;

/**
 * rg_journal_writer_get_tail: (skip)
 * @writer: the writer
 *
 * Skipped by introspection with the writer, and because the tail serves
 * readers in the writer's own process (the broker).
 *
 * Returns: (transfer full): the writer's tail. Any thread.
 */
RG_API
RgJournalTail *rg_journal_writer_get_tail (RgJournalWriter * writer);

/**
 * rg_journal_tail_read: (skip)
 * @tail: the tail
 * @info: (out caller-allocates): where to copy it
 *
 * Copies the tail into @info. Any thread.
 *
 * Returns: %FALSE once the writer is closed or has failed; @info is then
 *   unchanged.
 */
RG_API
gboolean rg_journal_tail_read (RgJournalTail * tail, RgJournalTailInfo * info);

/**
 * RgJournalTailFunc:
 *
 * Called when the tail moves (an append, a flush of small records by the
 * writer's own thread, a roll) or stops answering (close, failure), from
 * whichever thread moved it, with the tail's lock and often the writer's
 * lock held: it must be quick, must not call back into the tail or the
 * writer, and must not take a lock held around a writer call.
 */
typedef void (*RgJournalTailFunc) (gpointer user_data);

/**
 * rg_journal_tail_set_notify: (skip)
 * @tail: the tail
 * @func: (nullable): the function, or %NULL to stop notifications
 * @user_data: for @func
 *
 * Sets the one function told when the tail moves. Once it returns, the
 * previous function is no longer running and will not be called again.
 */
RG_API
void rg_journal_tail_set_notify (RgJournalTail * tail, RgJournalTailFunc func,
    gpointer user_data);

/**
 * rg_journal_tail_ref: (skip)
 * @tail: the tail
 *
 * Returns: (transfer full): @tail, with one more reference. Any thread.
 */
RG_API
RgJournalTail *rg_journal_tail_ref (RgJournalTail * tail);

/**
 * rg_journal_tail_unref: (skip)
 * @tail: (transfer full): the tail
 *
 * Drops a reference; the last one frees the tail. Any thread.
 */
RG_API
void rg_journal_tail_unref (RgJournalTail * tail);

/* ------------------------------------------------------------------ */
/* Maintenance (the journal tool and tests)                             */

/**
 * RgJournalProblem:
 * @segment: the .log path
 * @position: byte position of the bad batch in the segment
 * @offset: the offset expected there
 * @message: what is wrong
 */
typedef struct
{
  gchar *segment;
  guint64 position;
  guint64 offset;
  gchar *message;
} RgJournalProblem;

/**
 * rg_journal_verify: (skip)
 * @dir: the journal directory
 * @problems: (out) (transfer full) (element-type RgJournalProblem*): every
 *   problem found, in order (free with g_ptr_array_unref)
 * @error: for errors that stop the walk (I/O)
 *
 * Walks every batch of every segment: size, CRC, offset continuity, and
 * that each index agrees with the log. Read-only; takes no lock. Skipped
 * by introspection: the array owns its problems, which are plain structs
 * with no #GType, so a binding could not tell who frees them; the
 * rg-journal tool's verify command reports the same problems.
 *
 * Returns: TRUE when the walk finished (the journal is intact iff
 *   @problems is empty).
 */
RG_API
gboolean rg_journal_verify (const gchar * dir, GPtrArray ** problems,
    GError ** error);

/**
 * rg_journal_recover:
 * @dir: (type filename): the journal directory
 * @truncated: (out) (optional): bytes cut from a torn tail
 * @error: return location for an error
 *
 * What rg_journal_writer_open() does on open, explicitly: takes the writer
 * lock, truncates a torn tail, rebuilds stale indexes, fsyncs, releases;
 * and first moves every other damaged range aside (see
 * rg_journal_recover_with_report()).
 */
RG_API
gboolean rg_journal_recover (const gchar * dir, guint64 * truncated,
    GError ** error);

/**
 * RgJournalRecoverReport:
 * @truncated_bytes: bytes cut from a torn tail of the last segment
 * @damaged_ranges: damaged ranges moved aside into .damaged files
 * @damaged_bytes: bytes those ranges held
 * @lost_records: offsets those ranges held, where intact batches followed
 *
 * What rg_journal_recover_with_report() did.
 */
typedef struct
{
  guint64 truncated_bytes;
  guint64 damaged_ranges;
  guint64 damaged_bytes;
  guint64 lost_records;
} RgJournalRecoverReport;

/**
 * rg_journal_recover_with_report:
 * @dir: the journal directory
 * @report: (out caller-allocates) (optional): what was done
 * @error: return location for an error
 *
 * rg_journal_recover() with its report. Under the writer lock, walks every
 * batch of every segment. A batch that fails its checks is a torn tail only
 * when nothing valid follows it in its segment (only the last segment's is
 * cut). Any other damaged range is moved into <dir>/<first lost offset,
 * 20 digits>.damaged, and the intact batches after it into a segment of
 * their own, so no valid batch is ever cut; readers then pass the gap with
 * DISCONT. Indexes are rebuilt where stale.
 */
RG_API
gboolean rg_journal_recover_with_report (const gchar * dir,
    RgJournalRecoverReport * report, GError ** error);

G_END_DECLS

#endif /* __RG_JOURNAL_H__ */
