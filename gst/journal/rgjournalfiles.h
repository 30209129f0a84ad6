/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Internal helpers shared by the journal writer (rgjournal.c) and readers
 * (rgjournalreader.c): file naming, directory listing, index entry codecs,
 * index searches, batch checks and directory fsync. Not installed; the
 * layout these helpers implement is described in rgjournal.h and
 * docs/journal-format.md.
 */

#ifndef __RG_JOURNAL_FILES_H__
#define __RG_JOURNAL_FILES_H__

#include <gst/gst.h>

#include "journal/rgjournalerror.h"
#include "record/rgbatch.h"

#include <sys/types.h>
#include <sys/uio.h>

G_BEGIN_DECLS

/* The writer's lock file inside a journal directory. */
#define RG_JOURNAL_LOCK_NAME "writer.lock"

/* Bytes per entry of each index file. */
#define RG_JOURNAL_INDEX_ENTRY_SIZE 8
#define RG_JOURNAL_TIMEINDEX_ENTRY_SIZE 12
#define RG_JOURNAL_KEYINDEX_ENTRY_SIZE 8

/* Digits of the base offset in a file name (Kafka's width). */
#define RG_JOURNAL_NAME_DIGITS 20

typedef enum
{
  RG_JOURNAL_FILE_LOG,
  RG_JOURNAL_FILE_INDEX,
  RG_JOURNAL_FILE_TIMEINDEX,
  RG_JOURNAL_FILE_KEYINDEX,
} RgJournalFileKind;

/**
 * RgIndexEntry:
 * @relative_offset: record offset minus the segment's base offset
 * @position: byte position in the .log of the batch holding that record
 *
 * One entry of a .index or .keyindex file. In a .index the offset is the
 * last offset of the batch at @position (Kafka's convention); in a
 * .keyindex it is the keyframe record's own offset.
 */
typedef struct
{
  guint32 relative_offset;
  guint32 position;
} RgIndexEntry;

/**
 * RgTimeIndexEntry:
 * @timestamp: the largest record timestamp (ms) up to and including the
 *   record at @relative_offset; entries are strictly rising in it
 * @relative_offset: record offset minus the segment's base offset
 */
typedef struct
{
  gint64 timestamp;
  guint32 relative_offset;
} RgTimeIndexEntry;

/* ---- Names ---- */

const gchar *rg_journal_file_suffix (RgJournalFileKind kind);

/* "%020" G_GUINT64_FORMAT + suffix, newly allocated. */
gchar *rg_journal_file_name (guint64 base_offset, RgJournalFileKind kind);

/* @dir / rg_journal_file_name(), newly allocated. */
gchar *rg_journal_file_path (const gchar * dir, guint64 base_offset,
    RgJournalFileKind kind);

/* TRUE when @name is exactly 20 digits plus a known suffix. */
gboolean rg_journal_file_parse_name (const gchar * name,
    guint64 * base_offset, RgJournalFileKind * kind);

/**
 * rg_journal_list_segments:
 * @dir: a journal directory
 * @error: RG_JOURNAL_ERROR_IO when the directory cannot be read
 *
 * Returns: (transfer full): the base offsets (guint64) of every .log file
 *   in @dir, ascending; other files are ignored.
 */
GArray *rg_journal_list_segments (const gchar * dir, GError ** error);

/* ---- Index entries (big-endian, Kafka's byte layout) ---- */

/* A big-endian uint32 at any alignment (GST_READ_UINT32_BE is a plain load
 * on x86, which UBSan rejects when misaligned). */
guint32 rg_journal_read_be32 (const guint8 * p);

void rg_index_entry_write (guint8 * out, const RgIndexEntry * entry);
void rg_index_entry_read (const guint8 * in, RgIndexEntry * entry);
void rg_time_index_entry_write (guint8 * out,
    const RgTimeIndexEntry * entry);
void rg_time_index_entry_read (const guint8 * in, RgTimeIndexEntry * entry);

/**
 * rg_index_lookup:
 * @data: (array length=len): a .index or .keyindex file's bytes (a
 *   trailing partial entry is ignored)
 * @len: bytes at @data
 * @relative_offset: the offset sought, minus the segment's base offset
 *
 * Binary search for the last entry whose offset is <= @relative_offset.
 *
 * Returns: that entry's number, or -1 when every entry is larger (or there
 *   is none).
 */
gssize rg_index_lookup (const guint8 * data, gsize len,
    guint32 relative_offset);

/**
 * rg_time_index_lookup_below:
 * @data: (array length=len): a .timeindex file's bytes
 * @len: bytes at @data
 * @timestamp: ms since the epoch
 *
 * Binary search for the last entry whose timestamp is < @timestamp. Every
 * record up to that entry's offset is older than @timestamp, so the first
 * record with a timestamp >= @timestamp lies after it.
 *
 * Returns: that entry's number, or -1 when there is none.
 */
gssize rg_time_index_lookup_below (const guint8 * data, gsize len,
    gint64 timestamp);

/**
 * rg_index_sane_entries:
 * @data: (array length=len): a .index or .keyindex file's bytes
 * @len: bytes at @data
 * @strict: TRUE for a .index (one entry per batch: positions and offsets
 *   strictly rise); FALSE for a .keyindex (several keyframes may share a
 *   batch: positions only must not fall)
 * @log_size: the size of the segment's .log
 *
 * Counts the leading entries that can be right: ascending, and pointing
 * inside the log. An entry after them is garbage (a flipped bit, a write
 * that never reached the disk) and the index must be rebuilt from there.
 *
 * Returns: the number of sane leading entries.
 */
gsize rg_index_sane_entries (const guint8 * data, gsize len, gboolean strict,
    guint64 log_size);

/**
 * rg_journal_read_index:
 * @path: an index file
 * @entry_size: its entry size
 * @error: RG_JOURNAL_ERROR_IO, except that a missing file is not an error
 *
 * Reads a whole index file, dropping a trailing partial entry.
 *
 * Returns: (transfer full) (nullable): the bytes; an empty GBytes when the
 *   file does not exist; NULL with @error on a read failure.
 */
GBytes *rg_journal_read_index (const gchar * path, gsize entry_size,
    GError ** error);

/* ---- Batches in a segment ---- */

/**
 * rg_journal_check_batch:
 * @data: (array length=len): segment bytes from a batch's first byte
 * @len: bytes available
 * @expected_offset: the base offset continuity requires
 * @check_crc: FALSE to check the header and size only (cheap walks)
 * @info: (out caller-allocates) (optional): the batch header
 * @error: RG_BATCH_ERROR_* from rgbatch.h (RG_BATCH_ERROR_TRUNCATED means
 *   the batch runs past @len: a torn tail when @data ends the file), or
 *   RG_JOURNAL_ERROR_CORRUPT when the base offset breaks continuity
 *
 * Applies the validity rule of rgjournal.h to one batch.
 *
 * Returns: the batch's size in bytes, or 0 with @error.
 */
gsize rg_journal_check_batch (const guint8 * data, gsize len,
    guint64 expected_offset, gboolean check_crc, RgBatchInfo * info,
    GError ** error);

/**
 * rg_journal_batch_is_truncated:
 * @error: an error from rg_journal_check_batch()
 *
 * Returns: TRUE when the error only says the batch is incomplete.
 */
gboolean rg_journal_batch_is_truncated (const GError * error);

/* ---- The damage rule ---- */

/**
 * rg_journal_find_resume:
 * @data: (array length=len): a whole segment's bytes
 * @len: bytes at @data
 * @bad_position: where a batch failed rg_journal_check_batch()
 * @expected_offset: the base offset continuity required there
 * @resume: (out caller-allocates) (optional): the header of the batch found
 *
 * The journal's one rule for a batch that fails its checks, used by
 * recovery, the readers, verify and recover: it is a torn tail only when
 * nothing valid follows it in its segment. This looks for the first batch
 * after @bad_position that is whole, passes its CRC and whose base offset
 * continues the sequence (>= @expected_offset): first where the bad
 * batch's own header says the next one starts, then at every later byte.
 * A CRC-valid batch cannot appear by accident, so a candidate that passes
 * is intact data the bad bytes must not hide.
 *
 * Returns: the position of that batch (mid-segment damage covering
 *   @bad_position up to it), or @len when nothing valid follows (a torn
 *   tail).
 */
gsize rg_journal_find_resume (const guint8 * data, gsize len,
    gsize bad_position, guint64 expected_offset, RgBatchInfo * resume);

/* ---- Files ---- */

/* fsync() of a directory, so that a created, renamed or deleted entry is
 * durable. RG_JOURNAL_ERROR_IO on failure. */
gboolean rg_journal_fsync_dir (const gchar * dir, GError ** error);

/* Maps errno to the RgJournalError a caller should report (NO_SPACE for
 * ENOSPC, EFBIG and EDQUOT; IO otherwise). */
gint rg_journal_error_from_errno (int errsv);

/* ---- Fault simulation ---- */

/**
 * RgJournalSysHooks:
 * @pwritev: replaces pwritev() for every journal file write
 * @fdatasync: replaces fdatasync() for every journal file sync
 *
 * Tests install these (as SQLite's sqlite3FaultSim) to observe exactly
 * what the writer hands the kernel (the zero-copy proof) and to make a
 * write or a sync fail. A NULL member keeps the system call.
 */
typedef struct
{
  ssize_t (*pwritev) (int fd, const struct iovec * iov, int iovcnt,
      off_t offset);
  int (*fdatasync) (int fd);
} RgJournalSysHooks;

/* Installs @hooks (copied), or restores the system calls with NULL. Not
 * thread-safe: call it while no writer is open. */
void rg_journal_set_sys_hooks (const RgJournalSysHooks * hooks);

ssize_t rg_journal_sys_pwritev (int fd, const struct iovec * iov, int iovcnt,
    off_t offset);
int rg_journal_sys_fdatasync (int fd);

G_END_DECLS

#endif /* __RG_JOURNAL_FILES_H__ */
