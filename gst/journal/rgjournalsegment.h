/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * One segment's files and their I/O, private to the journal layer: the
 * four open files of a segment (RgSegment), the index entries queued for
 * them (RgIndexer, the one rule for when an entry is due, shared by the
 * writer and recovery so that a rebuilt index is the one the writer would
 * have written), the walk that validates a run of batches, and the small
 * system-call helpers every journal file uses. Not installed.
 *
 * Thread safety: nothing here locks. An RgSegment belongs to one owner at a
 * time (the writer under its lock, or recovery under the directory lock).
 * Ownership: rg_segment_open() returns a segment for rg_segment_free().
 * Errors: RG_JOURNAL_ERROR_IO or _NO_SPACE, the message naming the system
 * call, the path and strerror of the errno that call set.
 */

#ifndef __RG_JOURNAL_SEGMENT_H__
#define __RG_JOURNAL_SEGMENT_H__

#include <gst/gst.h>

#include "journal/rgjournalerror.h"
#include "journal/rgjournalfiles.h"
#include "record/rgbatch.h"

#include <sys/uio.h>

G_BEGIN_DECLS

/* One debug category, "rgjournal", for the writer, recovery and verify. */
GST_DEBUG_CATEGORY_EXTERN (rg_journal_debug);
void rg_journal_debug_init (void);

#define RG_JOURNAL_DEFAULT_INDEX_INTERVAL_BYTES 4096

#define N_INDEXES 3             /* .index, .timeindex, .keyindex */

/* Index entries waiting to be written (a keyframe entry per record at
 * 100 B records: kept cheaper than a GByteArray). */
typedef struct
{
  guint8 *data;
  guint len;
  guint capacity;
} RgEntryQueue;

/* Queued index entries and the state that decides when to add one. */
typedef struct
{
  guint64 base_offset;
  guint64 interval;
  gboolean has_index;
  guint64 last_index_position;
  gint64 last_time_ts;
  gboolean has_max;
  gint64 max_ts;
  guint64 max_ts_offset;
  RgEntryQueue *pending[N_INDEXES];
} RgIndexer;

typedef struct
{
  guint64 base_offset;
  gchar *log_path;
  int fd[N_INDEXES + 1];        /* by RgJournalFileKind */
  guint64 file_size[N_INDEXES + 1];     /* bytes written to each file */
  guint64 size;                 /* log bytes, pending ones included */
  guint64 next_offset;
  gint64 first_timestamp;
  gint64 last_timestamp;
  RgIndexer ix;
} RgSegment;

/* A read-only mapping of a whole file; len 0 maps nothing. */
typedef struct
{
  guint8 *data;
  gsize len;
} RgMapping;

/**
 * RgWalk:
 * @end: position after the last valid batch
 * @next_offset: the offset after that batch's last record
 * @last_timestamp: max timestamp of the last valid batch (G_MININT64: none)
 * @n_batches: valid batches walked
 *
 * Result of walking a segment's batches.
 */
typedef struct
{
  guint64 end;
  guint64 next_offset;
  gint64 last_timestamp;
  guint64 n_batches;
} RgWalk;

typedef void (*RgKeyframeFunc) (guint64 offset, gpointer user_data);

/* ---- System calls ---- */

/* Sets @error from @errsv (the errno the failed call left) and returns
 * FALSE. */
gboolean rg_journal_set_errno_error (GError ** error, int errsv,
    const gchar * call, const gchar * path);

/* Writes every byte of @iov at @position, however the kernel splits it: a
 * short write is retried for the rest, so that a full disk reports the
 * ENOSPC of the retry. Modifies @iov. */
gboolean rg_journal_pwritev_all (int fd, struct iovec *iov, int iovcnt,
    guint64 position, const gchar * path, GError ** error);
gboolean rg_journal_pwrite_all (int fd, const guint8 * data, gsize len,
    guint64 position, const gchar * path, GError ** error);
/* FALSE when the file ends before @len bytes (errno is then meaningless). */
gboolean rg_journal_pread_exact (int fd, guint8 * out, gsize len,
    guint64 position);
guint64 rg_journal_fd_size (int fd);
gboolean rg_journal_map_file (int fd, const gchar * path, RgMapping * map,
    GError ** error);
void rg_journal_unmap_file (RgMapping * map);
gchar *rg_segment_file_path (const gchar * dir, guint64 base, gint kind);

/* ---- Indexer ---- */

void rg_indexer_init (RgIndexer * ix, guint64 base_offset, guint64 interval);
void rg_indexer_clear (RgIndexer * ix);
void rg_indexer_add_time_entry (RgIndexer * ix);
void rg_indexer_add_batch (RgIndexer * ix, guint64 position,
    guint64 last_offset, gint64 max_timestamp);
void rg_indexer_add_keyframe (RgIndexer * ix, guint64 position,
    guint64 offset);

/* Calls @func for every keyframe record of a valid batch. Compressed
 * (foreign) batches have no readable records and yield none. */
gboolean rg_journal_batch_foreach_keyframe (const guint8 * data, gsize len,
    RgKeyframeFunc func, gpointer user_data, GError ** error);

/* ---- Walking a segment ---- */

/* Validates batches (CRC, size, continuity) from @position up to @len,
 * feeding @ix (which may be NULL). Stops at the first invalid batch with
 * @error set (RG_BATCH_ERROR_TRUNCATED for a batch that runs past @len). */
gboolean rg_segment_walk (const guint8 * data, guint64 len, guint64 position,
    guint64 expected_offset, RgIndexer * ix, RgWalk * walk, GError ** error);

/* The header of the batch at @position, when one parses there. */
gboolean rg_journal_read_header_at (const guint8 * data, guint64 len,
    guint64 position, RgBatchInfo * info);

/* ---- Segments ---- */

/* Opens (creating when missing) the four files of segment @base. @created:
 * set when any of them did not exist. */
RgSegment *rg_segment_open (const gchar * dir, guint64 base,
    guint64 interval, gboolean * created, GError ** error);
void rg_segment_free (RgSegment * seg);
gboolean rg_segment_path_error (RgSegment * seg, gint kind, int errsv,
    const gchar * call, GError ** error);
/* Writes the queued index entries after the log bytes they describe. */
gboolean rg_segment_write_indexes (RgSegment * seg, GError ** error);
gboolean rg_segment_sync_all (RgSegment * seg, GError ** error);
/* Cuts index file @kind to its first @keep bytes. */
gboolean rg_segment_cut_index (RgSegment * seg, gint kind, guint64 keep,
    GError ** error);
/* Unlinks the segment's .log, then its indexes (errors are logged). */
void rg_segment_delete_files (const gchar * dir, guint64 base);

G_END_DECLS

#endif /* __RG_JOURNAL_SEGMENT_H__ */
