/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Segment files and their I/O (rgjournalsegment.h is the contract): the
 * system-call helpers, the indexer, the batch walk and opening, writing,
 * syncing and deleting a segment's four files. The layout of the files is
 * described in rgjournal.h and docs/journal-format.md ("Directory layout");
 * the journal's files and who includes whom:
 *
 *   rgjournalfiles.c     names, listing, index entry codecs, the batch
 *                        check, the damage rule, the system-call seams
 *   rgjournalsegment.c   this file: one segment's files and their I/O
 *   rgjournaltail.c      the tail the writer shares with readers
 *   rgjournalrecovery.c  open-time validation, rg_journal_recover()
 *   rgjournalverify.c    rg_journal_verify()
 *   rgjournal.c          the writer and its syncer thread
 *   rgjournalreader.c    the readers
 *
 * Each includes only files listed above it (and rgjournalerror.h); none
 * calls a file below it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournalsegment.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

GST_DEBUG_CATEGORY (rg_journal_debug);
#define GST_CAT_DEFAULT rg_journal_debug

void
rg_journal_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rg_journal_debug, "rgjournal", 0,
        "gst-rg journal writer");
    g_once_init_leave (&done, 1);
  }
}

/* ------------------------------------------------------------------ */
/* Index entry queues                                                   */

static RgEntryQueue *
entry_queue_new (void)
{
  return g_new0 (RgEntryQueue, 1);
}

static void
entry_queue_free (RgEntryQueue * q)
{
  g_free (q->data);
  g_free (q);
}

static inline void
entry_queue_append (RgEntryQueue * q, const guint8 * entry, guint len)
{
  if (q->len + len > q->capacity) {
    q->capacity = MAX (q->len + len, MAX (256, 2 * q->capacity));
    q->data = g_realloc (q->data, q->capacity);
  }
  memcpy (q->data + q->len, entry, len);
  q->len += len;
}

/* ------------------------------------------------------------------ */
/* Small I/O helpers                                                    */

gboolean
rg_journal_set_errno_error (GError ** error, int errsv, const gchar * call,
    const gchar * path)
{
  /* A call that failed without setting errno still failed. */
  if (errsv == 0)
    errsv = EIO;
  g_set_error (error, RG_JOURNAL_ERROR, rg_journal_error_from_errno (errsv),
      "%s(%s) failed: %s", call, path, g_strerror (errsv));
  return FALSE;
}

/* Writes every byte of @iov at @position, however the kernel splits it.
 * Modifies @iov. */
gboolean
rg_journal_pwritev_all (int fd, struct iovec *iov, int iovcnt, guint64 position,
    const gchar * path, GError ** error)
{
  while (iovcnt > 0) {
    ssize_t n = rg_journal_sys_pwritev (fd, iov, MIN (iovcnt, IOV_MAX),
        (off_t) position);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return rg_journal_set_errno_error (error, errno, "pwritev", path);
    }
    if (n == 0)
      return rg_journal_set_errno_error (error, EIO, "pwritev", path);
    position += n;
    while (iovcnt > 0 && (size_t) n >= iov->iov_len) {
      n -= iov->iov_len;
      iov++;
      iovcnt--;
    }
    if (iovcnt > 0) {
      iov->iov_base = (guint8 *) iov->iov_base + n;
      iov->iov_len -= n;
    }
  }
  return TRUE;
}

gboolean
rg_journal_pwrite_all (int fd, const guint8 * data, gsize len, guint64 position,
    const gchar * path, GError ** error)
{
  struct iovec iov = { (void *) data, len };

  return rg_journal_pwritev_all (fd, &iov, 1, position, path, error);
}

gboolean
rg_journal_pread_exact (int fd, guint8 * out, gsize len, guint64 position)
{
  gsize done = 0;

  while (done < len) {
    ssize_t n = pread (fd, out + done, len - done, (off_t) (position + done));

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

gchar *
rg_segment_file_path (const gchar * dir, guint64 base, gint kind)
{
  return rg_journal_file_path (dir, base, (RgJournalFileKind) kind);
}

guint64
rg_journal_fd_size (int fd)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return 0;
  return st.st_size;
}

gboolean
rg_journal_map_file (int fd, const gchar * path, RgMapping * map,
    GError ** error)
{
  map->len = rg_journal_fd_size (fd);
  map->data = NULL;
  if (map->len == 0)
    return TRUE;
  map->data = mmap (NULL, map->len, PROT_READ, MAP_SHARED, fd, 0);
  if (map->data == MAP_FAILED) {
    map->data = NULL;
    return rg_journal_set_errno_error (error, errno, "mmap", path);
  }
  return TRUE;
}

void
rg_journal_unmap_file (RgMapping * map)
{
  if (map->data)
    munmap (map->data, map->len);
  map->data = NULL;
  map->len = 0;
}

/* ------------------------------------------------------------------ */
/* Indexer                                                              */

void
rg_indexer_init (RgIndexer * ix, guint64 base_offset, guint64 interval)
{
  guint i;

  memset (ix, 0, sizeof (*ix));
  ix->base_offset = base_offset;
  ix->interval = MAX (interval, 1);
  ix->last_time_ts = G_MININT64;
  for (i = 0; i < N_INDEXES; i++)
    ix->pending[i] = entry_queue_new ();
}

void
rg_indexer_clear (RgIndexer * ix)
{
  guint i;

  for (i = 0; i < N_INDEXES; i++)
    if (ix->pending[i])
      entry_queue_free (ix->pending[i]);
  memset (ix, 0, sizeof (*ix));
}

static RgEntryQueue *
indexer_queue (RgIndexer * ix, RgJournalFileKind kind)
{
  return ix->pending[kind - RG_JOURNAL_FILE_INDEX];
}

void
rg_indexer_add_time_entry (RgIndexer * ix)
{
  RgTimeIndexEntry te;
  guint8 bytes[RG_JOURNAL_TIMEINDEX_ENTRY_SIZE];

  if (!ix->has_max || ix->max_ts <= ix->last_time_ts)
    return;
  te.timestamp = ix->max_ts;
  te.relative_offset = (guint32) (ix->max_ts_offset - ix->base_offset);
  rg_time_index_entry_write (bytes, &te);
  entry_queue_append (indexer_queue (ix, RG_JOURNAL_FILE_TIMEINDEX), bytes,
      sizeof (bytes));
  ix->last_time_ts = ix->max_ts;
}

/* Called for every batch in order. A .index entry goes to the first batch
 * and then to the first batch at least interval bytes past the previous
 * entry; a .timeindex entry goes with it when the largest timestamp rose. */
void
rg_indexer_add_batch (RgIndexer * ix, guint64 position, guint64 last_offset,
    gint64 max_timestamp)
{
  if (!ix->has_max || max_timestamp > ix->max_ts) {
    ix->has_max = TRUE;
    ix->max_ts = max_timestamp;
    ix->max_ts_offset = last_offset;
  }
  if (!ix->has_index || position - ix->last_index_position >= ix->interval) {
    RgIndexEntry e;
    guint8 bytes[RG_JOURNAL_INDEX_ENTRY_SIZE];

    e.relative_offset = (guint32) (last_offset - ix->base_offset);
    e.position = (guint32) position;
    rg_index_entry_write (bytes, &e);
    entry_queue_append (indexer_queue (ix, RG_JOURNAL_FILE_INDEX), bytes,
        sizeof (bytes));
    ix->has_index = TRUE;
    ix->last_index_position = position;
    rg_indexer_add_time_entry (ix);
  }
}

void
rg_indexer_add_keyframe (RgIndexer * ix, guint64 position, guint64 offset)
{
  RgIndexEntry e;
  guint8 bytes[RG_JOURNAL_KEYINDEX_ENTRY_SIZE];

  e.relative_offset = (guint32) (offset - ix->base_offset);
  e.position = (guint32) position;
  rg_index_entry_write (bytes, &e);
  entry_queue_append (indexer_queue (ix, RG_JOURNAL_FILE_KEYINDEX), bytes,
      sizeof (bytes));
}

/* A record is a keyframe unless its gst.flags carry DELTA_UNIT; a foreign
 * record without gst.flags counts as a keyframe, like a buffer without
 * flags. */
static gboolean
record_is_keyframe (const RgRecordView * record)
{
  RgRecordHeader h;

  if (!rg_record_view_find_header (record, RG_ENVELOPE_HEADER_FLAGS, &h)
      || h.value == NULL || h.value_len != 4)
    return TRUE;
  return !(rg_journal_read_be32 (h.value) & GST_BUFFER_FLAG_DELTA_UNIT);
}

gboolean
rg_journal_batch_foreach_keyframe (const guint8 * data, gsize len,
    RgKeyframeFunc func,
    gpointer user_data, GError ** error)
{
  RgBatchReader reader;
  RgRecordView record;
  GError *err = NULL;

  if (!rg_batch_reader_init (&reader, data, len, &err)) {
    if (g_error_matches (err, RG_BATCH_ERROR, RG_BATCH_ERROR_UNSUPPORTED)) {
      g_error_free (err);
      return TRUE;
    }
    g_propagate_error (error, err);
    return FALSE;
  }
  while (rg_batch_reader_next (&reader, &record, &err))
    if (record_is_keyframe (&record))
      func ((guint64) record.offset, user_data);
  if (err) {
    g_propagate_error (error, err);
    return FALSE;
  }
  return TRUE;
}

typedef struct
{
  RgIndexer *ix;
  guint64 position;
} KeyframeIndexing;

static void
index_keyframe (guint64 offset, gpointer user_data)
{
  KeyframeIndexing *k = user_data;

  rg_indexer_add_keyframe (k->ix, k->position, offset);
}

/* ------------------------------------------------------------------ */
/* Walking a segment                                                    */

/* Validates batches (CRC, size, continuity) from @position up to @len,
 * feeding @ix (which may be NULL). Stops at the first invalid batch with
 * @error set (RG_BATCH_ERROR_TRUNCATED for a torn tail). */
gboolean
rg_segment_walk (const guint8 * data, guint64 len, guint64 position,
    guint64 expected_offset, RgIndexer * ix, RgWalk * walk, GError ** error)
{
  walk->end = position;
  walk->next_offset = expected_offset;
  walk->last_timestamp = G_MININT64;
  walk->n_batches = 0;
  while (walk->end < len) {
    RgBatchInfo info;
    const guint8 *batch = data + walk->end;
    gsize size = rg_journal_check_batch (batch, len - walk->end,
        walk->next_offset, TRUE, &info, error);

    if (size == 0)
      return FALSE;
    if (ix) {
      KeyframeIndexing k = { ix, walk->end };

      rg_indexer_add_batch (ix, walk->end, info.base_offset +
          info.last_offset_delta, info.max_timestamp);
      if (!rg_journal_batch_foreach_keyframe (batch, size, index_keyframe, &k,
              error))
        return FALSE;
    }
    walk->end += size;
    walk->next_offset = info.base_offset + info.last_offset_delta + 1;
    walk->last_timestamp = info.max_timestamp;
    walk->n_batches++;
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Segments                                                             */

static void
segment_close_fds (RgSegment * seg)
{
  guint i;

  for (i = 0; i <= N_INDEXES; i++) {
    if (seg->fd[i] >= 0)
      close (seg->fd[i]);
    seg->fd[i] = -1;
  }
}

void
rg_segment_free (RgSegment * seg)
{
  if (seg == NULL)
    return;
  segment_close_fds (seg);
  rg_indexer_clear (&seg->ix);
  g_free (seg->log_path);
  g_free (seg);
}

/* Opens (creating when missing) the four files of segment @base. */
RgSegment *
rg_segment_open (const gchar * dir, guint64 base, guint64 interval,
    gboolean * created, GError ** error)
{
  RgSegment *seg = g_new0 (RgSegment, 1);
  guint i;

  seg->base_offset = base;
  seg->next_offset = base;
  seg->first_timestamp = seg->last_timestamp = G_MININT64;
  seg->log_path = rg_segment_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  rg_indexer_init (&seg->ix, base, interval);
  for (i = 0; i <= N_INDEXES; i++)
    seg->fd[i] = -1;
  if (created)
    *created = FALSE;
  for (i = 0; i <= N_INDEXES; i++) {
    gchar *path = rg_segment_file_path (dir, base, i);

    if (created && !g_file_test (path, G_FILE_TEST_EXISTS))
      *created = TRUE;
    seg->fd[i] = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (seg->fd[i] < 0) {
      rg_journal_set_errno_error (error, errno, "open", path);
      g_free (path);
      rg_segment_free (seg);
      return NULL;
    }
    g_free (path);
    seg->file_size[i] = rg_journal_fd_size (seg->fd[i]);
  }
  return seg;
}

/* The path of the segment's file @kind, from its .log path. */
static gchar *
rg_segment_file_path_of (RgSegment * seg, gint kind)
{
  return g_strdup_printf ("%.*s%s",
      (int) (strlen (seg->log_path) - strlen (".log")), seg->log_path,
      rg_journal_file_suffix ((RgJournalFileKind) kind));
}

gboolean
rg_segment_path_error (RgSegment * seg, gint kind, int errsv,
    const gchar * call, GError ** error)
{
  gchar *path = rg_segment_file_path_of (seg, kind);

  rg_journal_set_errno_error (error, errsv, call, path);
  g_free (path);
  return FALSE;
}

/* Writes the queued index entries after the log bytes they describe. */
gboolean
rg_segment_write_indexes (RgSegment * seg, GError ** error)
{
  guint i;

  for (i = 0; i < N_INDEXES; i++) {
    RgEntryQueue *q = seg->ix.pending[i];
    gint kind = RG_JOURNAL_FILE_INDEX + i;
    gchar *path;
    gboolean ok;

    if (q->len == 0)
      continue;
    /* A short write (a full disk) is retried for the rest, so that the
     * error carries the errno of the write that failed. */
    path = rg_segment_file_path_of (seg, kind);
    ok = rg_journal_pwrite_all (seg->fd[kind], q->data, q->len,
        seg->file_size[kind], path, error);
    g_free (path);
    if (!ok)
      return FALSE;
    seg->file_size[kind] += q->len;
    q->len = 0;
  }
  return TRUE;
}

gboolean
rg_segment_sync_all (RgSegment * seg, GError ** error)
{
  guint i;

  for (i = 0; i <= N_INDEXES; i++)
    if (rg_journal_sys_fdatasync (seg->fd[i]) < 0)
      return rg_segment_path_error (seg, i, errno, "fdatasync", error);
  return TRUE;
}

/* Replaces index file @kind with its first @keep bytes plus the queued
 * entries. */
gboolean
rg_segment_cut_index (RgSegment * seg, gint kind, guint64 keep, GError ** error)
{
  if (seg->file_size[kind] != keep) {
    if (ftruncate (seg->fd[kind], keep) < 0)
      return rg_segment_path_error (seg, kind, errno, "ftruncate", error);
    seg->file_size[kind] = keep;
  }
  return TRUE;
}

gboolean
rg_journal_read_header_at (const guint8 * data, guint64 len, guint64 position,
    RgBatchInfo * info)
{
  if (position >= len)
    return FALSE;
  return rg_batch_parse_header (data + position, len - position, info, NULL);
}
void
rg_segment_delete_files (const gchar * dir, guint64 base)
{
  guint i;

  /* The .log first: an index without its log is ignored and cleaned up at
   * the next open, a log without indexes would be rebuilt. */
  for (i = 0; i <= N_INDEXES; i++) {
    gchar *path = rg_segment_file_path (dir, base, i);

    if (unlink (path) < 0 && errno != ENOENT)
      GST_WARNING ("cannot delete %s: %s", path, g_strerror (errno));
    g_free (path);
  }
}
