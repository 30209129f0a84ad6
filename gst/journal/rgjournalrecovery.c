/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Open-time validation of a journal directory and rg_journal_recover(), run
 * under the writer lock (rgjournalrecovery.h). docs/journal-format.md
 * ("Recovery") is the long form.
 *
 * Closed segments are trusted under RG_JOURNAL_SYNC_ALWAYS: a roll makes a
 * segment durable before the next one gets a record. Only their indexes'
 * freshness is checked, by size, and a stale index is rebuilt from the log.
 * The active segment's tail is validated batch by batch from its last
 * intact index entry; a torn tail is cut. An empty last segment (a crash
 * right after a roll created it) is deleted and the one before it becomes
 * the active segment again.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournal.h"
#include "journal/rgjournalrecovery.h"
#include "journal/rgjournalsegment.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_journal_debug

/* ---- Closed segments: trusted, only their indexes' freshness checked ---- */

static gboolean
pread_last_entry (int fd, gsize entry_size, guint8 * out, guint64 * n)
{
  guint64 size = rg_journal_fd_size (fd);

  *n = size / entry_size;
  if (size % entry_size != 0 || *n == 0)
    return FALSE;
  return rg_journal_pread_exact (fd, out, entry_size, (*n - 1) * entry_size);
}

/* The freshness check by size: each index has whole entries, the last
 * .index entry lies on a batch, and a header-only walk from it ends exactly
 * at the end of the log without passing a batch the writer would have
 * indexed. */
static gboolean
closed_indexes_fresh (RgSegment * seg, guint64 log_size, gint64 * max_ts)
{
  guint8 e[RG_JOURNAL_TIMEINDEX_ENTRY_SIZE];
  RgIndexEntry ie;
  RgTimeIndexEntry te;
  guint64 n, pos, expected;
  guint8 header[RG_BATCH_HEADER_SIZE];
  RgBatchInfo info;

  if (log_size == 0)
    return seg->file_size[RG_JOURNAL_FILE_INDEX] == 0;
  if (!pread_last_entry (seg->fd[RG_JOURNAL_FILE_INDEX],
          RG_JOURNAL_INDEX_ENTRY_SIZE, e, &n))
    return FALSE;
  rg_index_entry_read (e, &ie);
  if (!pread_last_entry (seg->fd[RG_JOURNAL_FILE_TIMEINDEX],
          RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, e, &n))
    return FALSE;
  rg_time_index_entry_read (e, &te);
  *max_ts = te.timestamp;
  if (seg->file_size[RG_JOURNAL_FILE_KEYINDEX] %
      RG_JOURNAL_KEYINDEX_ENTRY_SIZE != 0)
    return FALSE;
  if (seg->file_size[RG_JOURNAL_FILE_KEYINDEX] > 0) {
    RgIndexEntry ke;

    pread_last_entry (seg->fd[RG_JOURNAL_FILE_KEYINDEX],
        RG_JOURNAL_KEYINDEX_ENTRY_SIZE, e, &n);
    rg_index_entry_read (e, &ke);
    if (ke.position >= log_size)
      return FALSE;
  }
  pos = ie.position;
  expected = G_MAXUINT64;
  while (pos < log_size) {
    if (!rg_journal_pread_exact (seg->fd[RG_JOURNAL_FILE_LOG], header,
            sizeof (header),
            pos) || !rg_batch_parse_header (header, sizeof (header), &info,
            NULL))
      return FALSE;
    if (pos == ie.position) {
      if ((guint64) (info.base_offset + info.last_offset_delta) !=
          seg->base_offset + ie.relative_offset)
        return FALSE;
    } else if ((guint64) info.base_offset != expected
        || pos - ie.position >= seg->ix.interval) {
      return FALSE;
    }
    expected = info.base_offset + info.last_offset_delta + 1;
    pos += RG_BATCH_LOG_OVERHEAD + (guint64) info.batch_length;
  }
  seg->next_offset = expected;
  return pos == log_size
      && te.relative_offset <= expected - 1 - seg->base_offset;
}

/* Damage that recovery must not cut: intact batches follow it (the damage
 * rule, rg_journal_find_resume()), or an index vouches for a batch after
 * it. The message says where the intact data resumes and what to run. */
static gboolean
corrupt_segment_error (RgSegment * seg, const RgMapping * log,
    const RgWalk * walk, GError * cause, GError ** error)
{
  RgBatchInfo resume;
  gsize at = rg_journal_find_resume (log->data, log->len, walk->end,
      walk->next_offset, &resume);
  gchar *follows = at < log->len ? g_strdup_printf ("; intact batches "
      "follow from byte %" G_GSIZE_FORMAT " (offset %" G_GINT64_FORMAT ")",
      at, resume.base_offset) : g_strdup ("");

  g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT,
      "Segment %s is damaged at byte %" G_GUINT64_FORMAT " (offset %"
      G_GUINT64_FORMAT "): %s%s. 'rg-journal recover' moves the damaged "
      "range aside", seg->log_path, walk->end, walk->next_offset,
      cause->message, follows);
  g_free (follows);
  g_error_free (cause);
  return FALSE;
}

/* Rebuilds every index of a segment from its whole log. */
static gboolean
segment_rebuild_indexes (RgSegment * seg, RgWalk * walk, GError ** error)
{
  RgMapping map;
  GError *err = NULL;
  gboolean ok;
  guint64 interval;
  guint i;

  if (!rg_journal_map_file (seg->fd[RG_JOURNAL_FILE_LOG], seg->log_path, &map,
          error))
    return FALSE;
  interval = seg->ix.interval;
  rg_indexer_clear (&seg->ix);
  rg_indexer_init (&seg->ix, seg->base_offset, interval);
  ok = rg_segment_walk (map.data, map.len, 0, seg->base_offset, &seg->ix, walk,
      &err);
  if (!ok)
    corrupt_segment_error (seg, &map, walk, err, error);
  rg_journal_unmap_file (&map);
  if (!ok)
    return FALSE;
  rg_indexer_add_time_entry (&seg->ix);
  for (i = RG_JOURNAL_FILE_INDEX; i <= RG_JOURNAL_FILE_KEYINDEX; i++)
    if (!rg_segment_cut_index (seg, i, 0, error))
      return FALSE;
  return rg_segment_write_indexes (seg, error)
      && rg_segment_sync_all (seg, error);
}

static void
count_keyframe (guint64 offset, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* TRUE when the first batch of the log holds a keyframe record. */
static gboolean
first_batch_has_keyframe (RgSegment * seg, guint64 log_size)
{
  guint8 header[RG_BATCH_HEADER_SIZE];
  RgBatchInfo info;
  guint8 *batch;
  gsize size;
  guint n = 0;
  gboolean ok;

  if (!rg_journal_pread_exact (seg->fd[RG_JOURNAL_FILE_LOG], header,
          sizeof (header), 0)
      || !rg_batch_parse_header (header, sizeof (header), &info, NULL))
    return FALSE;
  size = RG_BATCH_LOG_OVERHEAD + (gsize) info.batch_length;
  if (size > log_size)
    return FALSE;
  batch = g_malloc (size);
  ok = rg_journal_pread_exact (seg->fd[RG_JOURNAL_FILE_LOG], batch, size, 0)
      && rg_journal_batch_foreach_keyframe (batch, size, count_keyframe, &n,
      NULL);
  g_free (batch);
  return ok && n > 0;
}

/* What the size check cannot see: a garbage entry in the middle of the
 * .index (every entry is checked: one per 4 KiB of log, a few hundred KiB
 * for a full segment), and an empty .keyindex beside a log that starts
 * with a keyframe (a deleted one left as an empty file; a roll waits for
 * a keyframe, so a segment of a stream with keyframes starts with one). */
static gboolean
closed_indexes_sane (const gchar * dir, RgSegment * seg, guint64 log_size)
{
  gchar *path = rg_segment_file_path (dir, seg->base_offset,
      RG_JOURNAL_FILE_INDEX);
  GBytes *index = rg_journal_read_index (path, RG_JOURNAL_INDEX_ENTRY_SIZE,
      NULL);
  gboolean sane = FALSE;
  gsize len;
  const guint8 *data;

  g_free (path);
  if (index == NULL)
    return FALSE;
  data = g_bytes_get_data (index, &len);
  if (rg_index_sane_entries (data, len, TRUE, log_size) ==
      len / RG_JOURNAL_INDEX_ENTRY_SIZE)
    sane = TRUE;
  g_bytes_unref (index);
  if (sane && log_size > 0 && seg->file_size[RG_JOURNAL_FILE_KEYINDEX] == 0)
    sane = !first_batch_has_keyframe (seg, log_size);
  return sane;
}

static gboolean
check_closed_segment (const gchar * dir, guint64 base, guint64 interval,
    RgClosedSegment * out, GError ** error)
{
  RgSegment *seg;
  guint64 log_size;
  gint64 max_ts = G_MININT64;
  gboolean created = FALSE;

  seg = rg_segment_open (dir, base, interval, &created, error);
  if (seg == NULL)
    return FALSE;
  log_size = seg->file_size[RG_JOURNAL_FILE_LOG];
  if (created || !closed_indexes_fresh (seg, log_size, &max_ts)
      || !closed_indexes_sane (dir, seg, log_size)) {
    RgWalk walk;

    GST_INFO ("rebuilding the indexes of %s", seg->log_path);
    if (!segment_rebuild_indexes (seg, &walk, error)
        || !rg_journal_fsync_dir (dir, error)) {
      rg_segment_free (seg);
      return FALSE;
    }
    max_ts = seg->ix.has_max ? seg->ix.max_ts : G_MININT64;
  }
  out->base_offset = base;
  out->bytes = log_size;
  out->last_timestamp = max_ts;
  rg_segment_free (seg);
  return TRUE;
}

/* ---- The active segment: validate the tail after the last index entry ---- */

/* The last .index entry (searching backwards) whose batch is intact and
 * ends at the entry's offset. Returns its number, or -1. */
static gssize
last_valid_index_entry (const guint8 * idx, gsize n, RgSegment * seg,
    const RgMapping * log)
{
  gssize i;

  for (i = (gssize) n - 1; i >= 0; i--) {
    RgIndexEntry e;
    RgBatchInfo info;

    rg_index_entry_read (idx + i * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    if (e.position >= log->len)
      continue;
    if (rg_batch_validate (log->data + e.position, log->len - e.position,
            &info, NULL) == 0)
      continue;
    if ((guint64) (info.base_offset + info.last_offset_delta) ==
        seg->base_offset + e.relative_offset)
      return i;
  }
  return -1;
}

/* The position of the last intact .keyindex entry's batch, or 0. */
static guint64
last_valid_keyframe_position (GBytes * keyindex, RgSegment * seg,
    const RgMapping * log)
{
  gsize len;
  const guint8 *k = g_bytes_get_data (keyindex, &len);
  gssize i;

  for (i = (gssize) (len / RG_JOURNAL_KEYINDEX_ENTRY_SIZE) - 1; i >= 0; i--) {
    RgIndexEntry e;
    RgBatchInfo info;
    guint64 offset;

    rg_index_entry_read (k + i * RG_JOURNAL_KEYINDEX_ENTRY_SIZE, &e);
    offset = seg->base_offset + e.relative_offset;
    if (e.position < log->len
        && rg_batch_validate (log->data + e.position, log->len - e.position,
            &info, NULL) > 0 && offset >= (guint64) info.base_offset
        && offset <= (guint64) (info.base_offset + info.last_offset_delta))
      return e.position;
  }
  return 0;
}

typedef struct
{
  GBytes *files[N_INDEXES];
  const guint8 *data[N_INDEXES];
  gsize n[N_INDEXES];
} RgIndexFiles;

static gboolean
read_index_files (const gchar * dir, RgSegment * seg, RgIndexFiles * f,
    GError ** error)
{
  static const gsize sizes[N_INDEXES] = { RG_JOURNAL_INDEX_ENTRY_SIZE,
    RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, RG_JOURNAL_KEYINDEX_ENTRY_SIZE
  };
  guint i;

  memset (f, 0, sizeof (*f));
  for (i = 0; i < N_INDEXES; i++) {
    gchar *path = rg_segment_file_path (dir, seg->base_offset,
        RG_JOURNAL_FILE_INDEX + i);
    gsize len;

    f->files[i] = rg_journal_read_index (path, sizes[i], error);
    g_free (path);
    if (f->files[i] == NULL)
      return FALSE;
    f->data[i] = g_bytes_get_data (f->files[i], &len);
    f->n[i] = len / sizes[i];
  }
  return TRUE;
}

static void
clear_index_files (RgIndexFiles * f)
{
  guint i;

  for (i = 0; i < N_INDEXES; i++)
    if (f->files[i])
      g_bytes_unref (f->files[i]);
}

/* Chooses where validation starts: a .index entry at or before the last
 * intact entry of every index, so that all three indexes are complete
 * before it. Sets up @seg->ix as the writer had it just after indexing
 * that batch, and returns the number of entries of each index to keep. */
static guint64
choose_restart (RgSegment * seg, const RgIndexFiles * f,
    const RgMapping * log, guint64 keep[N_INDEXES], guint64 * vouched_end)
{
  const guint8 *idx = f->data[0];
  gssize last = last_valid_index_entry (idx, f->n[0], seg, log);
  guint64 target, position;
  RgIndexEntry e;
  gssize chosen, t;

  memset (keep, 0, sizeof (guint64) * N_INDEXES);
  *vouched_end = 0;
  if (last < 0)
    return 0;
  rg_index_entry_read (idx + last * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
  target = e.position;
  {
    RgBatchInfo info;

    if (rg_journal_read_header_at (log->data, log->len, e.position, &info))
      *vouched_end = e.position + RG_BATCH_LOG_OVERHEAD + info.batch_length;
  }
  target = MIN (target, last_valid_keyframe_position (f->files[2], seg, log));
  if (f->n[1] > 0) {
    RgTimeIndexEntry te;
    gssize at;

    rg_time_index_entry_read (f->data[1] + (f->n[1] - 1) *
        RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, &te);
    at = rg_index_lookup (idx, (last + 1) * RG_JOURNAL_INDEX_ENTRY_SIZE,
        te.relative_offset);
    if (at < 0)
      return 0;
    rg_index_entry_read (idx + at * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    target = MIN (target, e.position);
  }

  /* The last entry at or before target: positions ascend with entries. */
  for (chosen = last; chosen >= 0; chosen--) {
    rg_index_entry_read (idx + chosen * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    if (e.position <= target)
      break;
  }
  if (chosen < 0)
    return 0;
  position = e.position;
  keep[0] = chosen + 1;
  seg->ix.has_index = TRUE;
  seg->ix.last_index_position = position;

  /* Keep the time entries up to this batch's last offset; the largest of
   * them is the largest timestamp up to here (see rg_indexer_add_batch). */
  t = (gssize) f->n[1] - 1;
  for (; t >= 0; t--) {
    RgTimeIndexEntry te;

    rg_time_index_entry_read (f->data[1] + t * RG_JOURNAL_TIMEINDEX_ENTRY_SIZE,
        &te);
    if (te.relative_offset <= e.relative_offset) {
      seg->ix.last_time_ts = te.timestamp;
      seg->ix.has_max = TRUE;
      seg->ix.max_ts = te.timestamp;
      seg->ix.max_ts_offset = seg->base_offset + te.relative_offset;
      break;
    }
  }
  keep[1] = t + 1;

  /* Keyframes of this batch and later ones are indexed again by the walk. */
  for (t = (gssize) f->n[2] - 1; t >= 0; t--) {
    RgIndexEntry ke;

    rg_index_entry_read (f->data[2] + t * RG_JOURNAL_KEYINDEX_ENTRY_SIZE, &ke);
    if (ke.position < position)
      break;
  }
  keep[2] = t + 1;
  return position;
}

/* Walks the batch headers of the active segment from its start to
 * @restart, where the CRC-checked walk begins: a damaged batchLength,
 * magic or base offset there would otherwise hide the batches behind it
 * from every reader while the writer appends after them. Only headers are
 * read (a damaged value is found by its CRC when read, and by verify).
 * Returns FALSE with @walk at the first bad header and @error set. */
static gboolean
headers_reach (const RgMapping * log, guint64 base, guint64 restart,
    RgWalk * walk, GError ** error)
{
  RgBatchInfo info;

  walk->end = 0;
  walk->next_offset = base;
  while (walk->end < restart) {
    if (!rg_batch_parse_header (log->data + walk->end, log->len - walk->end,
            &info, error))
      return FALSE;
    if ((guint64) info.base_offset != walk->next_offset) {
      g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT,
          "batch base offset %" G_GINT64_FORMAT " where offset %"
          G_GUINT64_FORMAT " should follow", info.base_offset,
          walk->next_offset);
      return FALSE;
    }
    if (walk->end + RG_BATCH_LOG_OVERHEAD + (guint64) info.batch_length >
        restart) {
      g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_CORRUPT,
          "batchLength %d runs past the indexed batch at byte %"
          G_GUINT64_FORMAT, info.batch_length, restart);
      return FALSE;
    }
    walk->end += RG_BATCH_LOG_OVERHEAD + (guint64) info.batch_length;
    walk->next_offset = info.base_offset + info.last_offset_delta + 1;
  }
  return TRUE;
}

/* Validates the tail of the active segment, truncates a torn tail and
 * brings the indexes up to date. */
static gboolean
recover_active_segment (const gchar * dir, RgSegment * seg,
    guint64 * truncated, GError ** error)
{
  RgIndexFiles f;
  RgMapping log = { NULL, 0 };
  guint64 keep[N_INDEXES], restart, expected, log_size, vouched_end;
  RgBatchInfo info;
  RgWalk walk;
  GError *err = NULL;
  gboolean changed = FALSE;
  gboolean ok = FALSE;
  guint i;
  static const gsize sizes[N_INDEXES] = { RG_JOURNAL_INDEX_ENTRY_SIZE,
    RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, RG_JOURNAL_KEYINDEX_ENTRY_SIZE
  };

  *truncated = 0;
  if (!read_index_files (dir, seg, &f, error))
    return FALSE;
  if (!rg_journal_map_file (seg->fd[RG_JOURNAL_FILE_LOG], seg->log_path, &log,
          error))
    goto done;
  log_size = log.len;
  /* Entries after a garbage one are not trusted: they are cut and written
   * again by the walk. */
  f.n[0] = rg_index_sane_entries (f.data[0],
      f.n[0] * RG_JOURNAL_INDEX_ENTRY_SIZE, TRUE, log.len);
  f.n[2] = rg_index_sane_entries (f.data[2],
      f.n[2] * RG_JOURNAL_KEYINDEX_ENTRY_SIZE, FALSE, log.len);
  restart = choose_restart (seg, &f, &log, keep, &vouched_end);
  expected = seg->base_offset;
  if (restart > 0
      && rg_journal_read_header_at (log.data, log.len, restart, &info))
    expected = info.base_offset;

  if (restart > 0 && !headers_reach (&log, seg->base_offset, restart, &walk,
          &err)) {
    corrupt_segment_error (seg, &log, &walk, err, error);
    goto done;
  }
  if (!rg_segment_walk (log.data, log.len, restart, expected, &seg->ix, &walk,
          &err)) {
    /* A torn write only when nothing valid follows (the damage rule) and
     * no index entry vouches for a batch after it: cutting anything else
     * would drop intact records, and appending behind it would hide them. */
    if (walk.end < vouched_end || rg_journal_find_resume (log.data, log.len,
            walk.end, walk.next_offset, NULL) < log.len) {
      corrupt_segment_error (seg, &log, &walk, err, error);
      goto done;
    }
    GST_WARNING ("%s: invalid batch at byte %" G_GUINT64_FORMAT ": %s",
        seg->log_path, walk.end, err->message);
    g_clear_error (&err);
    if (ftruncate (seg->fd[RG_JOURNAL_FILE_LOG], walk.end) < 0) {
      rg_segment_path_error (seg, RG_JOURNAL_FILE_LOG, errno, "ftruncate",
          error);
      goto done;
    }
    *truncated = log_size - walk.end;
    changed = TRUE;
  }
  for (i = 0; i < N_INDEXES; i++) {
    guint64 keep_bytes = keep[i] * sizes[i];

    if (seg->file_size[RG_JOURNAL_FILE_INDEX + i] != keep_bytes +
        seg->ix.pending[i]->len)
      changed = TRUE;
    if (!rg_segment_cut_index (seg, RG_JOURNAL_FILE_INDEX + i, keep_bytes,
            error))
      goto done;
  }
  if (!rg_segment_write_indexes (seg, error))
    goto done;
  if (changed && !rg_segment_sync_all (seg, error))
    goto done;

  seg->size = walk.end;
  seg->file_size[RG_JOURNAL_FILE_LOG] = walk.end;
  seg->next_offset = walk.next_offset;
  seg->last_timestamp = walk.last_timestamp;
  if (walk.end > 0 && rg_journal_read_header_at (log.data, log.len, 0, &info))
    seg->first_timestamp = info.base_timestamp;
  ok = TRUE;

done:
  rg_journal_unmap_file (&log);
  clear_index_files (&f);
  return ok;
}

/* ------------------------------------------------------------------ */
/* The directory                                                        */

/* Deletes index files whose .log is gone (a crash while retention ran). */
static gboolean
delete_orphan_indexes (const gchar * dir, GArray * bases, GError ** error)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gboolean deleted = FALSE;

  if (d == NULL)
    return TRUE;
  while ((name = g_dir_read_name (d)) != NULL) {
    guint64 base;
    RgJournalFileKind kind;
    guint i;
    gboolean found = FALSE;

    if (!rg_journal_file_parse_name (name, &base, &kind)
        || kind == RG_JOURNAL_FILE_LOG)
      continue;
    for (i = 0; i < bases->len && !found; i++)
      found = g_array_index (bases, guint64, i) == base;
    if (!found) {
      gchar *path = g_build_filename (dir, name, NULL);

      if (unlink (path) == 0)
        deleted = TRUE;
      g_free (path);
    }
  }
  g_dir_close (d);
  return !deleted || rg_journal_fsync_dir (dir, error);
}

static guint64
log_file_size (const gchar * dir, guint64 base)
{
  gchar *path = rg_segment_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  struct stat st;
  guint64 size = 0;

  if (stat (path, &st) == 0)
    size = st.st_size;
  g_free (path);
  return size;
}

/* Recovery proper, with the lock held: fills @closed (RgClosedSegment *,
 * oldest first) and returns the active segment. */
RgSegment *
rg_journal_recover_directory (const gchar * dir, guint64 interval,
    GQueue * closed,
    guint64 * truncated, GError ** error)
{
  GArray *bases;
  RgSegment *active = NULL;
  gboolean created = FALSE;
  guint i;

  *truncated = 0;
  bases = rg_journal_list_segments (dir, error);
  if (bases == NULL)
    return NULL;
  if (!delete_orphan_indexes (dir, bases, error))
    goto out;
  /* A roll creates the next segment before any record goes into it; an
   * empty last segment after a crash may sit on a previous one whose tail
   * was never checked, so that one becomes the active segment again. */
  if (bases->len > 1 && log_file_size (dir, g_array_index (bases, guint64,
              bases->len - 1)) == 0) {
    rg_segment_delete_files (dir, g_array_index (bases, guint64,
            bases->len - 1));
    g_array_set_size (bases, bases->len - 1);
    if (!rg_journal_fsync_dir (dir, error))
      goto out;
  }
  for (i = 0; i + 1 < bases->len; i++) {
    RgClosedSegment *c = g_new0 (RgClosedSegment, 1);

    if (!check_closed_segment (dir, g_array_index (bases, guint64, i),
            interval, c, error)) {
      g_free (c);
      goto out;
    }
    g_queue_push_tail (closed, c);
  }
  active = rg_segment_open (dir, bases->len ? g_array_index (bases, guint64,
          bases->len - 1) : 0, interval, &created, error);
  if (active == NULL)
    goto out;
  if (!recover_active_segment (dir, active, truncated, error)
      || (created && !rg_journal_fsync_dir (dir, error))) {
    rg_segment_free (active);
    active = NULL;
  }
out:
  g_array_unref (bases);
  if (active == NULL)
    g_queue_clear_full (closed, g_free);
  return active;
}

int
rg_journal_take_lock (const gchar * dir, GError ** error)
{
  gchar *path = g_build_filename (dir, RG_JOURNAL_LOCK_NAME, NULL);
  gchar pid[32];
  int fd, n;

  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    rg_journal_set_errno_error (error, errno, "open", path);
    g_free (path);
    return -1;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) < 0) {
    int errsv = errno;

    if (errsv == EWOULDBLOCK) {
      n = pread (fd, pid, sizeof (pid) - 1, 0);
      pid[MAX (n, 0)] = '\0';
      g_strstrip (pid);
      g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_LOCKED,
          "Journal directory %s is locked by another writer (pid %s)", dir,
          pid[0] ? pid : "unknown");
    } else {
      rg_journal_set_errno_error (error, errsv, "flock", path);
    }
    close (fd);
    g_free (path);
    return -1;
  }
  /* The pid is only for the message above; the flock is the lock. */
  n = g_snprintf (pid, sizeof (pid), "%d\n", (int) getpid ());
  if (ftruncate (fd, 0) < 0 || pwrite (fd, pid, n, 0) != n)
    GST_WARNING ("cannot record the pid in %s", path);
  g_free (path);
  return fd;
}

gboolean
rg_journal_make_dir (const gchar * dir, GError ** error)
{
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return rg_journal_set_errno_error (error, errno, "mkdir", dir);
  return TRUE;
}

/* ---- rg_journal_recover(): damage moved aside ---- */

/* Writes @len bytes at @data to a new file @path and fsyncs it. */
static gboolean
write_new_file (const gchar * path, const guint8 * data, gsize len,
    GError ** error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  gboolean ok;

  if (fd < 0)
    return rg_journal_set_errno_error (error, errno, "open", path);
  ok = rg_journal_pwrite_all (fd, data, len, 0, path, error);
  if (ok && rg_journal_sys_fdatasync (fd) < 0)
    ok = rg_journal_set_errno_error (error, errno, "fdatasync", path);
  close (fd);
  if (!ok)
    unlink (path);
  return ok;
}

/* The path of a new file for damaged bytes whose first lost offset is
 * @lost_offset: <offset>.damaged, or <offset>.damaged.N (N = 2, 3, ...)
 * when an earlier recover already moved damage at the same offset aside,
 * as happens when new damage appears where old damage was cut. The earlier
 * file is evidence a person may still want, so it is never overwritten. */
static gchar *
damaged_file_path (const gchar * dir, guint64 lost_offset)
{
  gchar *name = g_strdup_printf ("%0*" G_GUINT64_FORMAT ".damaged",
      RG_JOURNAL_NAME_DIGITS, lost_offset);
  gchar *path = g_build_filename (dir, name, NULL);
  guint n;

  for (n = 2; g_file_test (path, G_FILE_TEST_EXISTS); n++) {
    g_free (path);
    path = g_strdup_printf ("%s%c%s.%u", dir, G_DIR_SEPARATOR, name, n);
  }
  g_free (name);
  return path;
}

/* Moves the damaged bytes [@from, @to) of segment @base aside into
 * <first lost offset>.damaged (damaged_file_path()) and, when intact batches follow (@to before
 * the end), moves those into a segment of their own named after their
 * first offset, so that every segment again holds continuous offsets; then
 * cuts the segment at @from (deleting it when nothing is left). The new
 * files are durable before the cut. */
static gboolean
split_damage (const gchar * dir, guint64 base, int fd, const RgMapping * log,
    guint64 from, guint64 to, guint64 lost_offset, guint64 resume_offset,
    GError ** error)
{
  gchar *damaged = damaged_file_path (dir, lost_offset);
  gchar *log_path = rg_segment_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  gboolean ok = write_new_file (damaged, log->data + from, to - from, error);

  GST_WARNING ("%s: moving damaged bytes %" G_GUINT64_FORMAT " to %"
      G_GUINT64_FORMAT " aside into %s", log_path, from, to, damaged);
  if (ok && to < log->len) {
    gchar *next = rg_segment_file_path (dir, resume_offset,
        RG_JOURNAL_FILE_LOG);

    ok = write_new_file (next, log->data + to, log->len - to, error);
    g_free (next);
  }
  if (ok && from == 0) {
    rg_segment_delete_files (dir, base);
  } else if (ok) {
    if (ftruncate (fd, from) < 0)
      ok = rg_journal_set_errno_error (error, errno, "ftruncate", log_path);
    else if (rg_journal_sys_fdatasync (fd) < 0)
      ok = rg_journal_set_errno_error (error, errno, "fdatasync", log_path);
  }
  ok = ok && rg_journal_fsync_dir (dir, error);
  g_free (log_path);
  g_free (damaged);
  return ok;
}

/* Walks all of segment @base. Damage with intact batches behind it, or at
 * the end of a closed segment, is split out (split_damage()); a torn tail
 * of the last segment is left to recovery proper, which cuts it. Sets
 * @split when files changed, so that the caller lists the directory
 * again. */
static gboolean
recover_segment_damage (const gchar * dir, guint64 base, gboolean last,
    RgJournalRecoverReport * report, gboolean * split, GError ** error)
{
  gchar *path = rg_segment_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  RgMapping log = { NULL, 0 };
  RgBatchInfo resume;
  RgWalk walk;
  GError *err = NULL;
  guint64 at;
  gboolean ok = TRUE;
  int fd;

  *split = FALSE;
  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    ok = rg_journal_set_errno_error (error, errno, "open", path);
    goto out;
  }
  if (!rg_journal_map_file (fd, path, &log, error)) {
    ok = FALSE;
    goto out;
  }
  if (rg_segment_walk (log.data, log.len, 0, base, NULL, &walk, &err))
    goto out;
  at = rg_journal_find_resume (log.data, log.len, walk.end,
      walk.next_offset, &resume);
  if (at == log.len && last) {
    g_clear_error (&err);
    goto out;
  }
  GST_WARNING ("%s: %s", path, err->message);
  g_clear_error (&err);
  ok = split_damage (dir, base, fd, &log, walk.end, at, walk.next_offset,
      at < log.len ? (guint64) resume.base_offset : 0, error);
  if (ok) {
    report->damaged_ranges++;
    report->damaged_bytes += at - walk.end;
    if (at < log.len)
      report->lost_records += resume.base_offset - walk.next_offset;
    *split = TRUE;
  }
out:
  rg_journal_unmap_file (&log);
  if (fd >= 0)
    close (fd);
  g_free (path);
  return ok;
}

/* Splits the damage out of every segment, walking each in full. */
static gboolean
recover_all_damage (const gchar * dir, RgJournalRecoverReport * report,
    GError ** error)
{
  GArray *bases;
  gboolean split = TRUE;
  guint i;

  while (split) {
    split = FALSE;
    bases = rg_journal_list_segments (dir, error);
    if (bases == NULL)
      return FALSE;
    for (i = 0; i < bases->len && !split; i++) {
      if (!recover_segment_damage (dir, g_array_index (bases, guint64, i),
              i + 1 == bases->len, report, &split, error)) {
        g_array_unref (bases);
        return FALSE;
      }
    }
    g_array_unref (bases);
  }
  return TRUE;
}

gboolean
rg_journal_recover_with_report (const gchar * dir,
    RgJournalRecoverReport * report, GError ** error)
{
  RgJournalRecoverReport local;
  GQueue closed = G_QUEUE_INIT;
  RgSegment *active = NULL;
  int lock_fd;

  g_return_val_if_fail (dir != NULL, FALSE);
  rg_journal_debug_init ();

  if (report == NULL)
    report = &local;
  memset (report, 0, sizeof (*report));
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_INVALID,
        "%s is not a journal directory", dir);
    return FALSE;
  }
  lock_fd = rg_journal_take_lock (dir, error);
  if (lock_fd < 0)
    return FALSE;
  if (recover_all_damage (dir, report, error))
    active = rg_journal_recover_directory (dir,
        RG_JOURNAL_DEFAULT_INDEX_INTERVAL_BYTES, &closed,
        &report->truncated_bytes, error);
  close (lock_fd);
  if (active == NULL)
    return FALSE;
  rg_segment_free (active);
  g_queue_clear_full (&closed, g_free);
  return TRUE;
}

gboolean
rg_journal_recover (const gchar * dir, guint64 * truncated, GError ** error)
{
  RgJournalRecoverReport report;

  if (!rg_journal_recover_with_report (dir, &report, error))
    return FALSE;
  if (truncated)
    *truncated = report.truncated_bytes;
  return TRUE;
}
