/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal writer: append, group commit, rotation, retention, recovery
 * and verification. The contract and the on-disk layout are in rgjournal.h;
 * docs/journal-format.md is the long form. This comment explains how the
 * code keeps the contract.
 *
 * Writing
 * -------
 * Each append encodes one batch with an RgBatchEncoder, whose value
 * segments point at the buffer's mapped memory. A batch of up to
 * COALESCE_MAX bytes is copied into the pending buffer (a write per tiny
 * record would cost more than the copy); a larger one goes out with one
 * pwritev() of the pending bytes followed by the batch's segments, so its
 * value is never copied. Log bytes are written strictly in order; index
 * entries are queued in memory and written after the log bytes they
 * describe, so an index never points past the written log.
 *
 * Locking
 * -------
 * One mutex (lock) guards the pending buffer, the active segment's log
 * writes, the offsets and the sync state. The appender takes it once per
 * append; the syncer takes it to flush the pending buffer and to record
 * what a finished fdatasync covered, and calls fdatasync with it released.
 * The syncer only ever syncs the active segment; a roll swaps the active
 * segment under the lock after waiting for a running fdatasync (syncing)
 * to finish, so the syncer never uses a closed file descriptor.
 *
 * Durability
 * ----------
 * The tail (RgJournalTail): every record below its offset has been handed
 * to the kernel, in log bytes below its position. It is published after
 * each append, flush and roll, under its own small lock so that a reader
 * never waits behind a write of the writer's lock.
 * durable_offset: every record below it is on disk. The syncer (for
 * RG_JOURNAL_SYNC_ALWAYS: back to back while there is anything to sync)
 * flushes the pending buffer, notes the next offset, releases the lock,
 * fdatasyncs, then raises durable_offset to the noted value. A record is
 * durable once an fdatasync that started after its write returned.
 *
 * Under RG_JOURNAL_SYNC_ALWAYS, rotation keeps this invariant: a segment
 * is closed only once it and its indexes are durable, and no record reaches
 * the next segment before that. Recovery relies on it: closed segments are
 * trusted (only their indexes' sizes are checked), and only the active
 * segment's tail, after its last index entry, is validated batch by batch.
 * Under _NONE and _INTERVAL nothing is promised between syncs, so the
 * syncer seals a rolled segment in the background (see roll_segment()).
 * An empty last segment (a crash right after a roll created it) is deleted
 * and the one before it becomes the active segment again.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournal.h"
#include "journal/rgjournalfiles.h"
#include "record/rgbatch.h"
#include "util/rgcond.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

GST_DEBUG_CATEGORY_STATIC (rg_journal_debug);
#define GST_CAT_DEFAULT rg_journal_debug

/* Batches up to this size are copied into the pending buffer. */
#define COALESCE_MAX 4096
/* The pending buffer; flushed when the next batch would not fit. */
#define PENDING_CAPACITY (64 * 1024)
/* How long small records may wait in the pending buffer before a reader can
 * see them, when nothing else flushes it. */
#define FLUSH_PERIOD_US 5000
/* Index entries are written when this many bytes are queued or the oldest
 * waited this long. Each index write dirties a page that the next
 * fdatasync's journal commit writes out, and a write to a page under
 * writeback waits for it: writing indexes at every group commit showed as
 * millisecond stalls of the syncer. Readers only use indexes to seek. */
#define INDEX_WRITE_BYTES 4096
#define INDEX_PERIOD_US (100 * 1000)

#define DEFAULT_SYNC RG_JOURNAL_SYNC_ALWAYS
#define DEFAULT_SYNC_INTERVAL (100 * GST_MSECOND)
#define DEFAULT_MAX_SEGMENT_BYTES (64 * 1024 * 1024)
#define DEFAULT_MAX_SEGMENT_TIME GST_CLOCK_TIME_NONE
#define DEFAULT_MAX_BYTES 0
#define DEFAULT_MAX_AGE GST_CLOCK_TIME_NONE
#define DEFAULT_INDEX_INTERVAL_BYTES 4096
#define DEFAULT_MAX_PENDING_BYTES (16 * 1024 * 1024)

#define N_INDEXES 3             /* .index, .timeindex, .keyindex */

/* Index entries waiting to be written (a keyframe entry per record at
 * 100 B records: kept cheaper than a GByteArray). */
typedef struct
{
  guint8 *data;
  guint len;
  guint capacity;
} RgEntryQueue;

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

/* Queued index entries and the state that decides when to add one. The
 * same rules serve the writer and recovery, so a rebuilt index is the one
 * the writer would have written. */
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

typedef struct
{
  guint64 base_offset;
  guint64 bytes;
  gint64 last_timestamp;
} RgClosedSegment;

/* A rolled segment the syncer still has to make durable. Under
 * RG_JOURNAL_SYNC_NONE it is only named (@segment is NULL): such entries can
 * wait for hours, and holding four descriptors each would run out. */
typedef struct
{
  RgSegment *segment;
  guint64 base_offset;
  guint64 next_offset;
  guint64 end_bytes;            /* appended_bytes when it was rolled */
  gboolean deleted;             /* retention deleted it meanwhile */
  gboolean announced;           /* RG_JOURNAL_SYNC_NONE: already closed */
} RgSealing;

struct _RgJournalWriter
{
  gchar *dir;
  RgJournalConfig config;
  int lock_fd;

  /* Appender only. */
  RgBatchEncoder *encoder;
  /* Per-append scratch arrays, grown on demand and never shrunk. Plain
   * arrays, not GArray: its bookkeeping divides on every call, which
   * showed as the largest user-space cost of a 100-byte append. */
  GstMapInfo *maps;             /* one per mapped memory */
  struct iovec *chunks;         /* the same memories as value chunks */
  guint n_maps;
  guint maps_capacity;
  RgRecord *records;
  RgEnvelope *envelopes;
  guint records_capacity;
  struct iovec *iov;            /* for pwritev */
  guint iov_capacity;
  GQueue closed;                /* RgClosedSegment *, oldest first; lock */
  gchar *caps_string;
  gboolean caps_pending;
  gboolean seen_keyframe;
  RgJournalSegmentFunc closed_func;
  gpointer closed_data;

  /* pthread rather than GMutex/GCond: GLib's are raw futexes that
   * ThreadSanitizer cannot see. */
  pthread_mutex_t lock;
  pthread_cond_t syncer_cond;
  pthread_cond_t durable_cond;
  RgSegment *active;
  GQueue sealing;               /* RgSealing *: closed, not yet durable */
  guint8 *pending;
  gsize pending_len;
  gint64 pending_since;
  gint64 index_since;           /* oldest queued index entry; 0: none */
  guint64 next_offset;          /* atomic reads from any thread */
  guint64 pending_first_offset; /* the first record in the pending buffer */
  guint64 generation;           /* segments created or deleted */
  RgJournalTail *tail;
  guint64 durable_offset;       /* atomic reads from any thread */
  guint64 appended_bytes;
  guint64 durable_bytes;
  gboolean syncing;
  gboolean syncer_waiting;
  gint64 syncer_deadline;       /* when a waiting syncer wakes by itself */
  gboolean sync_requested;
  gboolean stop;
  GError *fatal;                /* what every later call gets */
  GError *fatal_cause;          /* the failure itself */
  gboolean fatal_reported;      /* an append has returned fatal_cause */
  GThread *syncer;
  RgJournalStats stats;
};

static void
rg_journal_init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (rg_journal_debug, "rgjournal", 0,
        "gst-rg journal writer");
    g_once_init_leave (&done, 1);
  }
}

void
rg_journal_config_init (RgJournalConfig * config)
{
  g_return_if_fail (config != NULL);

  config->sync = DEFAULT_SYNC;
  config->sync_interval = DEFAULT_SYNC_INTERVAL;
  config->max_segment_bytes = DEFAULT_MAX_SEGMENT_BYTES;
  config->max_segment_time = DEFAULT_MAX_SEGMENT_TIME;
  config->max_bytes = DEFAULT_MAX_BYTES;
  config->max_age = DEFAULT_MAX_AGE;
  config->index_interval_bytes = DEFAULT_INDEX_INTERVAL_BYTES;
  config->max_pending_bytes = DEFAULT_MAX_PENDING_BYTES;
}

/* ------------------------------------------------------------------ */
/* Small I/O helpers                                                    */

static gboolean
set_errno_error (GError ** error, int errsv, const gchar * call,
    const gchar * path)
{
  g_set_error (error, RG_JOURNAL_ERROR, rg_journal_error_from_errno (errsv),
      "%s(%s) failed: %s", call, path, g_strerror (errsv));
  return FALSE;
}

/* Writes every byte of @iov at @position, however the kernel splits it.
 * Modifies @iov. */
static gboolean
pwritev_all (int fd, struct iovec *iov, int iovcnt, guint64 position,
    const gchar * path, GError ** error)
{
  while (iovcnt > 0) {
    ssize_t n = rg_journal_sys_pwritev (fd, iov, MIN (iovcnt, IOV_MAX),
        (off_t) position);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error (error, errno, "pwritev", path);
    }
    if (n == 0)
      return set_errno_error (error, EIO, "pwritev", path);
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

static gboolean
pwrite_all (int fd, const guint8 * data, gsize len, guint64 position,
    const gchar * path, GError ** error)
{
  struct iovec iov = { (void *) data, len };

  return pwritev_all (fd, &iov, 1, position, path, error);
}

static gboolean
pread_exact (int fd, guint8 * out, gsize len, guint64 position)
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

static gchar *
segment_file_path (const gchar * dir, guint64 base, gint kind)
{
  return rg_journal_file_path (dir, base, (RgJournalFileKind) kind);
}

static guint64
file_size_of (int fd)
{
  struct stat st;

  if (fstat (fd, &st) < 0)
    return 0;
  return st.st_size;
}

/* A read-only mapping of a whole file; len 0 maps nothing. */
typedef struct
{
  guint8 *data;
  gsize len;
} RgMapping;

static gboolean
map_file (int fd, const gchar * path, RgMapping * map, GError ** error)
{
  map->len = file_size_of (fd);
  map->data = NULL;
  if (map->len == 0)
    return TRUE;
  map->data = mmap (NULL, map->len, PROT_READ, MAP_SHARED, fd, 0);
  if (map->data == MAP_FAILED) {
    map->data = NULL;
    return set_errno_error (error, errno, "mmap", path);
  }
  return TRUE;
}

static void
unmap_file (RgMapping * map)
{
  if (map->data)
    munmap (map->data, map->len);
  map->data = NULL;
  map->len = 0;
}

/* ------------------------------------------------------------------ */
/* Indexer                                                              */

static void
indexer_init (RgIndexer * ix, guint64 base_offset, guint64 interval)
{
  guint i;

  memset (ix, 0, sizeof (*ix));
  ix->base_offset = base_offset;
  ix->interval = MAX (interval, 1);
  ix->last_time_ts = G_MININT64;
  for (i = 0; i < N_INDEXES; i++)
    ix->pending[i] = entry_queue_new ();
}

static void
indexer_clear (RgIndexer * ix)
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

static void
indexer_add_time_entry (RgIndexer * ix)
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
static void
indexer_add_batch (RgIndexer * ix, guint64 position, guint64 last_offset,
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
    indexer_add_time_entry (ix);
  }
}

static void
indexer_add_keyframe (RgIndexer * ix, guint64 position, guint64 offset)
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

/* Calls @func for every keyframe record of a valid batch. Compressed
 * (foreign) batches have no readable records and yield none. */
typedef void (*KeyframeFunc) (guint64 offset, gpointer user_data);

static gboolean
batch_foreach_keyframe (const guint8 * data, gsize len, KeyframeFunc func,
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

  indexer_add_keyframe (k->ix, k->position, offset);
}

/* ------------------------------------------------------------------ */
/* Walking a segment                                                    */

/**
 * Result of walking a segment's batches.
 * @end: position after the last valid batch
 * @next_offset: the offset after that batch's last record
 * @last_timestamp: max timestamp of the last valid batch (G_MININT64: none)
 */
typedef struct
{
  guint64 end;
  guint64 next_offset;
  gint64 last_timestamp;
  guint64 n_batches;
} RgWalk;

/* Validates batches (CRC, size, continuity) from @position up to @len,
 * feeding @ix (which may be NULL). Stops at the first invalid batch with
 * @error set (RG_BATCH_ERROR_TRUNCATED for a torn tail). */
static gboolean
walk_batches (const guint8 * data, guint64 len, guint64 position,
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

      indexer_add_batch (ix, walk->end, info.base_offset +
          info.last_offset_delta, info.max_timestamp);
      if (!batch_foreach_keyframe (batch, size, index_keyframe, &k, error))
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

static void
segment_free (RgSegment * seg)
{
  if (seg == NULL)
    return;
  segment_close_fds (seg);
  indexer_clear (&seg->ix);
  g_free (seg->log_path);
  g_free (seg);
}

/* Opens (creating when missing) the four files of segment @base. */
static RgSegment *
segment_open (const gchar * dir, guint64 base, guint64 interval,
    gboolean * created, GError ** error)
{
  RgSegment *seg = g_new0 (RgSegment, 1);
  guint i;

  seg->base_offset = base;
  seg->next_offset = base;
  seg->first_timestamp = seg->last_timestamp = G_MININT64;
  seg->log_path = segment_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  indexer_init (&seg->ix, base, interval);
  for (i = 0; i <= N_INDEXES; i++)
    seg->fd[i] = -1;
  if (created)
    *created = FALSE;
  for (i = 0; i <= N_INDEXES; i++) {
    gchar *path = segment_file_path (dir, base, i);

    if (created && !g_file_test (path, G_FILE_TEST_EXISTS))
      *created = TRUE;
    seg->fd[i] = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (seg->fd[i] < 0) {
      set_errno_error (error, errno, "open", path);
      g_free (path);
      segment_free (seg);
      return NULL;
    }
    g_free (path);
    seg->file_size[i] = file_size_of (seg->fd[i]);
  }
  return seg;
}

static gboolean
segment_path_error (RgSegment * seg, gint kind, int errsv, const gchar * call,
    GError ** error)
{
  gchar *path = g_strdup_printf ("%.*s%s",
      (int) (strlen (seg->log_path) - strlen (".log")), seg->log_path,
      rg_journal_file_suffix ((RgJournalFileKind) kind));

  set_errno_error (error, errsv, call, path);
  g_free (path);
  return FALSE;
}

/* Writes the queued index entries after the log bytes they describe. */
static gboolean
segment_write_indexes (RgSegment * seg, GError ** error)
{
  guint i;

  for (i = 0; i < N_INDEXES; i++) {
    RgEntryQueue *q = seg->ix.pending[i];
    gint kind = RG_JOURNAL_FILE_INDEX + i;
    struct iovec iov;

    if (q->len == 0)
      continue;
    iov.iov_base = q->data;
    iov.iov_len = q->len;
    if (rg_journal_sys_pwritev (seg->fd[kind], &iov, 1, seg->file_size[kind]) !=
        (ssize_t) q->len) {
      /* Index entries are tiny; a short write means a full disk. */
      return segment_path_error (seg, kind, errno ? errno : ENOSPC,
          "pwrite", error);
    }
    seg->file_size[kind] += q->len;
    q->len = 0;
  }
  return TRUE;
}

static gboolean
segment_sync_all (RgSegment * seg, GError ** error)
{
  guint i;

  for (i = 0; i <= N_INDEXES; i++)
    if (rg_journal_sys_fdatasync (seg->fd[i]) < 0)
      return segment_path_error (seg, i, errno, "fdatasync", error);
  return TRUE;
}

/* Replaces index file @kind with its first @keep bytes plus the queued
 * entries. */
static gboolean
segment_cut_index (RgSegment * seg, gint kind, guint64 keep, GError ** error)
{
  if (seg->file_size[kind] != keep) {
    if (ftruncate (seg->fd[kind], keep) < 0)
      return segment_path_error (seg, kind, errno, "ftruncate", error);
    seg->file_size[kind] = keep;
  }
  return TRUE;
}

static gboolean
read_header_at (const guint8 * data, guint64 len, guint64 position,
    RgBatchInfo * info)
{
  if (position >= len)
    return FALSE;
  return rg_batch_parse_header (data + position, len - position, info, NULL);
}

/* ---- Closed segments: trusted, only their indexes' freshness checked ---- */

static gboolean
pread_last_entry (int fd, gsize entry_size, guint8 * out, guint64 * n)
{
  guint64 size = file_size_of (fd);

  *n = size / entry_size;
  if (size % entry_size != 0 || *n == 0)
    return FALSE;
  return pread_exact (fd, out, entry_size, (*n - 1) * entry_size);
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
    if (!pread_exact (seg->fd[RG_JOURNAL_FILE_LOG], header, sizeof (header),
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

static gboolean
corrupt_segment_error (RgSegment * seg, const RgWalk * walk, GError * cause,
    GError ** error)
{
  g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT,
      "Segment %s is damaged at byte %" G_GUINT64_FORMAT " (offset %"
      G_GUINT64_FORMAT "): %s", seg->log_path, walk->end, walk->next_offset,
      cause->message);
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

  if (!map_file (seg->fd[RG_JOURNAL_FILE_LOG], seg->log_path, &map, error))
    return FALSE;
  interval = seg->ix.interval;
  indexer_clear (&seg->ix);
  indexer_init (&seg->ix, seg->base_offset, interval);
  ok = walk_batches (map.data, map.len, 0, seg->base_offset, &seg->ix, walk,
      &err);
  unmap_file (&map);
  if (!ok)
    return corrupt_segment_error (seg, walk, err, error);
  indexer_add_time_entry (&seg->ix);
  for (i = RG_JOURNAL_FILE_INDEX; i <= RG_JOURNAL_FILE_KEYINDEX; i++)
    if (!segment_cut_index (seg, i, 0, error))
      return FALSE;
  return segment_write_indexes (seg, error) && segment_sync_all (seg, error);
}

static gboolean
check_closed_segment (const gchar * dir, guint64 base, guint64 interval,
    RgClosedSegment * out, GError ** error)
{
  RgSegment *seg;
  guint64 log_size;
  gint64 max_ts = G_MININT64;

  seg = segment_open (dir, base, interval, NULL, error);
  if (seg == NULL)
    return FALSE;
  log_size = seg->file_size[RG_JOURNAL_FILE_LOG];
  if (!closed_indexes_fresh (seg, log_size, &max_ts)) {
    RgWalk walk;

    GST_INFO ("rebuilding the indexes of %s", seg->log_path);
    if (!segment_rebuild_indexes (seg, &walk, error)
        || !rg_journal_fsync_dir (dir, error)) {
      segment_free (seg);
      return FALSE;
    }
    max_ts = seg->ix.has_max ? seg->ix.max_ts : G_MININT64;
  }
  out->base_offset = base;
  out->bytes = log_size;
  out->last_timestamp = max_ts;
  segment_free (seg);
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
    gchar *path = segment_file_path (dir, seg->base_offset,
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

    if (read_header_at (log->data, log->len, e.position, &info))
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
   * them is the largest timestamp up to here (see indexer_add_batch). */
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
  if (!map_file (seg->fd[RG_JOURNAL_FILE_LOG], seg->log_path, &log, error))
    goto done;
  log_size = log.len;
  restart = choose_restart (seg, &f, &log, keep, &vouched_end);
  expected = seg->base_offset;
  if (restart > 0 && read_header_at (log.data, log.len, restart, &info))
    expected = info.base_offset;

  if (!walk_batches (log.data, log.len, restart, expected, &seg->ix, &walk,
          &err)) {
    /* Before the last intact indexed batch this is damage, not a torn
     * write: truncating would drop intact records. */
    if (walk.end < vouched_end) {
      corrupt_segment_error (seg, &walk, err, error);
      goto done;
    }
    GST_WARNING ("%s: invalid batch at byte %" G_GUINT64_FORMAT ": %s",
        seg->log_path, walk.end, err->message);
    g_clear_error (&err);
    if (ftruncate (seg->fd[RG_JOURNAL_FILE_LOG], walk.end) < 0) {
      segment_path_error (seg, RG_JOURNAL_FILE_LOG, errno, "ftruncate",
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
    if (!segment_cut_index (seg, RG_JOURNAL_FILE_INDEX + i, keep_bytes, error))
      goto done;
  }
  if (!segment_write_indexes (seg, error))
    goto done;
  if (changed && !segment_sync_all (seg, error))
    goto done;

  seg->size = walk.end;
  seg->file_size[RG_JOURNAL_FILE_LOG] = walk.end;
  seg->next_offset = walk.next_offset;
  seg->last_timestamp = walk.last_timestamp;
  if (walk.end > 0 && read_header_at (log.data, log.len, 0, &info))
    seg->first_timestamp = info.base_timestamp;
  ok = TRUE;

done:
  unmap_file (&log);
  clear_index_files (&f);
  return ok;
}

/* ------------------------------------------------------------------ */
/* The directory                                                        */

static void
delete_segment_files (const gchar * dir, guint64 base)
{
  guint i;

  /* The .log first: an index without its log is ignored and cleaned up at
   * the next open, a log without indexes would be rebuilt. */
  for (i = 0; i <= N_INDEXES; i++) {
    gchar *path = segment_file_path (dir, base, i);

    if (unlink (path) < 0 && errno != ENOENT)
      GST_WARNING ("cannot delete %s: %s", path, g_strerror (errno));
    g_free (path);
  }
}

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
  gchar *path = segment_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  struct stat st;
  guint64 size = 0;

  if (stat (path, &st) == 0)
    size = st.st_size;
  g_free (path);
  return size;
}

/* Recovery proper, with the lock held: fills @closed (RgClosedSegment *,
 * oldest first) and returns the active segment. */
static RgSegment *
recover_directory (const gchar * dir, guint64 interval, GQueue * closed,
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
    delete_segment_files (dir, g_array_index (bases, guint64,
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
  active = segment_open (dir, bases->len ? g_array_index (bases, guint64,
          bases->len - 1) : 0, interval, &created, error);
  if (active == NULL)
    goto out;
  if (!recover_active_segment (dir, active, truncated, error)
      || (created && !rg_journal_fsync_dir (dir, error))) {
    segment_free (active);
    active = NULL;
  }
out:
  g_array_unref (bases);
  if (active == NULL)
    g_queue_clear_full (closed, g_free);
  return active;
}

static int
take_lock (const gchar * dir, GError ** error)
{
  gchar *path = g_build_filename (dir, RG_JOURNAL_LOCK_NAME, NULL);
  gchar pid[32];
  int fd, n;

  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    set_errno_error (error, errno, "open", path);
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
      set_errno_error (error, errsv, "flock", path);
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

static gboolean
make_dir (const gchar * dir, GError ** error)
{
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return set_errno_error (error, errno, "mkdir", dir);
  return TRUE;
}

gboolean
rg_journal_recover (const gchar * dir, guint64 * truncated, GError ** error)
{
  GQueue closed = G_QUEUE_INIT;
  RgSegment *active;
  guint64 cut = 0;
  int lock_fd;

  g_return_val_if_fail (dir != NULL, FALSE);
  rg_journal_init_debug ();

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_INVALID,
        "%s is not a journal directory", dir);
    return FALSE;
  }
  lock_fd = take_lock (dir, error);
  if (lock_fd < 0)
    return FALSE;
  active = recover_directory (dir, DEFAULT_INDEX_INTERVAL_BYTES, &closed,
      &cut, error);
  close (lock_fd);
  if (active == NULL)
    return FALSE;
  segment_free (active);
  g_queue_clear_full (&closed, g_free);
  if (truncated)
    *truncated = cut;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The written tail                                                     */

struct _RgJournalTail
{
  gint ref;
  /* Its own lock: the writer's is held across whole log writes, and a
   * reader polling the tail must not wait for those. */
  pthread_mutex_t lock;
  RgJournalTailInfo info;
  gboolean valid;
  RgJournalTailFunc notify;
  gpointer notify_data;
};

static RgJournalTail *
tail_new (void)
{
  RgJournalTail *tail = g_new0 (RgJournalTail, 1);

  tail->ref = 1;
  pthread_mutex_init (&tail->lock, NULL);
  return tail;
}

static void
tail_set (RgJournalTail * tail, const RgJournalTailInfo * info,
    gboolean valid)
{
  gboolean moved;

  pthread_mutex_lock (&tail->lock);
  moved = valid != tail->valid || (info && (info->position !=
          tail->info.position || info->segment_base !=
          tail->info.segment_base || info->generation !=
          tail->info.generation));
  if (info)
    tail->info = *info;
  tail->valid = valid;
  if (moved && tail->notify)
    tail->notify (tail->notify_data);
  pthread_mutex_unlock (&tail->lock);
}

void
rg_journal_tail_set_notify (RgJournalTail * tail, RgJournalTailFunc func,
    gpointer user_data)
{
  g_return_if_fail (tail != NULL);
  pthread_mutex_lock (&tail->lock);
  tail->notify = func;
  tail->notify_data = user_data;
  pthread_mutex_unlock (&tail->lock);
}

RgJournalTail *
rg_journal_tail_ref (RgJournalTail * tail)
{
  g_return_val_if_fail (tail != NULL, NULL);
  g_atomic_int_inc (&tail->ref);
  return tail;
}

void
rg_journal_tail_unref (RgJournalTail * tail)
{
  g_return_if_fail (tail != NULL);
  if (!g_atomic_int_dec_and_test (&tail->ref))
    return;
  pthread_mutex_destroy (&tail->lock);
  g_free (tail);
}

gboolean
rg_journal_tail_read (RgJournalTail * tail, RgJournalTailInfo * info)
{
  gboolean valid;

  g_return_val_if_fail (tail != NULL && info != NULL, FALSE);
  pthread_mutex_lock (&tail->lock);
  valid = tail->valid;
  if (valid)
    *info = tail->info;
  pthread_mutex_unlock (&tail->lock);
  return valid;
}

/* Publishes what the log holds now. The pending buffer's records are not
 * written yet, so the tail ends before the first of them. Called with the
 * writer's lock held, at points where the active segment's written bytes
 * end a batch. */
static void
publish_tail_locked (RgJournalWriter * w)
{
  RgJournalTailInfo info;

  info.segment_base = w->active->base_offset;
  info.position = w->active->file_size[RG_JOURNAL_FILE_LOG];
  info.next_offset = w->pending_len > 0 ? w->pending_first_offset :
      w->next_offset;
  info.generation = w->generation;
  tail_set (w->tail, &info, w->fatal == NULL);
}

/* ------------------------------------------------------------------ */
/* Writer: sync state                                                   */

/* Called with the lock held. The first failure wins. @reported: the
 * caller returns @cause from an append itself. */
static void
set_fatal_locked (RgJournalWriter * w, const GError * cause,
    gboolean reported)
{
  if (w->fatal == NULL) {
    GST_ERROR ("journal %s: %s", w->dir, cause->message);
    w->fatal_cause = g_error_copy (cause);
    w->fatal_reported = reported;
    g_atomic_pointer_set (&w->fatal, g_error_new (RG_JOURNAL_ERROR,
            RG_JOURNAL_ERROR_FATAL, "The journal writer of %s stopped after "
            "an earlier failure: %s", w->dir, cause->message));
    tail_set (w->tail, NULL, FALSE);
  }
  pthread_cond_broadcast (&w->durable_cond);
}

/* The first append after a failure elsewhere (the syncer's write or
 * fdatasync) gets the failure itself, so that a full disk reads as
 * RG_JOURNAL_ERROR_NO_SPACE; everything else gets RG_JOURNAL_ERROR_FATAL.
 * Called with the lock held. */
static gboolean
fatal_error_locked (RgJournalWriter * w, gboolean from_append,
    GError ** error)
{
  if (from_append && !w->fatal_reported) {
    w->fatal_reported = TRUE;
    g_propagate_error (error, g_error_copy (w->fatal_cause));
    return FALSE;
  }
  g_set_error_literal (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_FATAL,
      w->fatal->message);
  return FALSE;
}

static guint
queued_index_bytes (RgSegment * seg)
{
  return seg->ix.pending[0]->len + seg->ix.pending[1]->len +
      seg->ix.pending[2]->len;
}

/* Hands the pending log bytes to the kernel, then the queued index entries
 * when @force_indexes or they are due. Called with the lock held. */
static gboolean
flush_locked (RgJournalWriter * w, gboolean force_indexes, GError ** error)
{
  RgSegment *seg = w->active;
  guint queued;

  if (w->pending_len > 0) {
    if (!pwrite_all (seg->fd[RG_JOURNAL_FILE_LOG], w->pending, w->pending_len,
            seg->file_size[RG_JOURNAL_FILE_LOG], seg->log_path, error))
      return FALSE;
    seg->file_size[RG_JOURNAL_FILE_LOG] += w->pending_len;
    w->pending_len = 0;
  }
  queued = queued_index_bytes (seg);
  if (queued == 0 || (!force_indexes && queued < INDEX_WRITE_BYTES
          && g_get_monotonic_time () - w->index_since < INDEX_PERIOD_US))
    return TRUE;
  w->index_since = 0;
  GST_LOG ("writing %u bytes of index entries", queued);
  return segment_write_indexes (seg, error);
}

static gboolean
has_undurable_locked (RgJournalWriter * w)
{
  return w->durable_offset < w->next_offset
      || w->durable_bytes < w->appended_bytes;
}

/* Accounts for an fdatasync that started at @start (monotonic us). */
static void
note_fsync_locked (RgJournalWriter * w, gint64 start)
{
  guint64 ns = (g_get_monotonic_time () - start) * 1000;

  w->stats.fsyncs++;
  w->stats.last_fsync_ns = ns;
  w->stats.fsync_total_ns += ns;
  w->stats.fsync_max_ns = MAX (w->stats.fsync_max_ns, ns);
  GST_LOG ("fdatasync took %" G_GUINT64_FORMAT " us", ns / 1000);
}

/* Accounts for how long the oldest pending record waited for the syncer's
 * write: with the fdatasync, the other half of append-to-durable. */
static void
note_write_wait_locked (RgJournalWriter * w)
{
  guint64 ns = (g_get_monotonic_time () - w->pending_since) * 1000;

  w->stats.commits++;
  w->stats.write_wait_total_ns += ns;
  w->stats.write_wait_max_ns = MAX (w->stats.write_wait_max_ns, ns);
  GST_LOG ("commit of %" G_GSIZE_FORMAT " bytes, oldest waited %"
      G_GUINT64_FORMAT " us", w->pending_len, ns / 1000);
}

/* One group commit: flush, note what is written, fdatasync without the
 * lock, then publish. Called with the lock held; returns with it held. */
static void
syncer_commit_locked (RgJournalWriter * w)
{
  GError *err = NULL;
  RgSegment *seg = w->active;
  guint64 target_offset, target_bytes;
  gint64 start;
  int r, errsv = 0;

  w->sync_requested = FALSE;
  if (w->pending_len > 0)
    note_write_wait_locked (w);
  if (!flush_locked (w, FALSE, &err)) {
    set_fatal_locked (w, err, FALSE);
    g_error_free (err);
    return;
  }
  publish_tail_locked (w);
  target_offset = w->next_offset;
  target_bytes = w->appended_bytes;
  w->syncing = TRUE;
  pthread_mutex_unlock (&w->lock);

  start = g_get_monotonic_time ();
  r = rg_journal_sys_fdatasync (seg->fd[RG_JOURNAL_FILE_LOG]);
  if (r < 0)
    errsv = errno;

  pthread_mutex_lock (&w->lock);
  w->syncing = FALSE;
  note_fsync_locked (w, start);
  if (r < 0) {
    set_errno_error (&err, errsv, "fdatasync", seg->log_path);
    set_fatal_locked (w, err, FALSE);
    g_error_free (err);
    return;
  }
  if (target_offset > w->durable_offset)
    __atomic_store_n (&w->durable_offset, target_offset, __ATOMIC_RELEASE);
  w->durable_bytes = MAX (w->durable_bytes, target_bytes);
  pthread_cond_broadcast (&w->durable_cond);
}

static void record_closed_locked (RgJournalWriter * w, RgSegment * seg);

/* fdatasync of a closed segment's files, opened by name; a file deleted
 * meanwhile (retention) needs nothing. */
static gboolean
sync_segment_by_name (const gchar * dir, guint64 base, GError ** error)
{
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i <= N_INDEXES && ok; i++) {
    gchar *path = segment_file_path (dir, base, i);
    int fd = open (path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
      if (errno != ENOENT)
        ok = set_errno_error (error, errno, "open", path);
    } else {
      if (rg_journal_sys_fdatasync (fd) < 0)
        ok = set_errno_error (error, errno, "fdatasync", path);
      close (fd);
    }
    g_free (path);
  }
  return ok;
}
static void announce_closed (RgJournalWriter * w, RgSegment * seg);

/* Makes the oldest rolled segment durable, then announces it. It stays in
 * the sealing queue until it is in the closed queue, so that retention
 * always sees it. Called with the lock held; returns with it held. */
static void
syncer_seal_locked (RgJournalWriter * w)
{
  RgSealing *sealing = g_queue_peek_head (&w->sealing);
  RgSegment *seg = sealing->segment;
  GError *err = NULL;
  gboolean ok = TRUE, announce;
  gint64 start;

  if (!sealing->deleted) {
    pthread_mutex_unlock (&w->lock);
    start = g_get_monotonic_time ();
    ok = seg ? segment_sync_all (seg, &err) :
        sync_segment_by_name (w->dir, sealing->base_offset, &err);
    pthread_mutex_lock (&w->lock);
    note_fsync_locked (w, start);
  }
  if (!ok) {
    set_fatal_locked (w, err, FALSE);
    g_error_free (err);
    return;
  }
  if (sealing->next_offset > w->durable_offset)
    __atomic_store_n (&w->durable_offset, sealing->next_offset,
        __ATOMIC_RELEASE);
  w->durable_bytes = MAX (w->durable_bytes, sealing->end_bytes);
  pthread_cond_broadcast (&w->durable_cond);
  g_queue_pop_head (&w->sealing);
  announce = !sealing->deleted && !sealing->announced;
  if (announce)
    record_closed_locked (w, seg);
  pthread_mutex_unlock (&w->lock);
  if (announce)
    announce_closed (w, seg);
  segment_free (seg);
  g_free (sealing);
  pthread_mutex_lock (&w->lock);
}

/* The syncer thread. RG_JOURNAL_SYNC_ALWAYS: commits back to back while
 * anything is not durable. _INTERVAL: commits every sync_interval. All
 * policies: commits when asked (rg_journal_writer_sync()), and flushes small
 * records that waited FLUSH_PERIOD_US in the pending buffer so that readers
 * see them. */
static gpointer
syncer_thread (gpointer data)
{
  RgJournalWriter *w = data;
  gint64 next_interval = g_get_monotonic_time ();

  pthread_mutex_lock (&w->lock);
  for (;;) {
    gint64 now;
    gint64 deadline = G_MAXINT64;
    gboolean undurable;
    gboolean want_sync = FALSE;

    /* Older segments first: a commit of the active segment may only raise
     * the durable offset once everything before it is durable. */
    if (w->fatal == NULL && !g_queue_is_empty (&w->sealing)
        && (w->config.sync != RG_JOURNAL_SYNC_NONE || w->sync_requested
            || w->stop)) {
      syncer_seal_locked (w);
      continue;
    }
    if (w->stop)
      break;
    now = g_get_monotonic_time ();
    undurable = has_undurable_locked (w);
    if (w->fatal == NULL && undurable) {
      if (w->sync_requested || w->config.sync == RG_JOURNAL_SYNC_ALWAYS)
        want_sync = TRUE;
      else if (w->config.sync == RG_JOURNAL_SYNC_INTERVAL) {
        if (now >= next_interval)
          want_sync = TRUE;
        else
          deadline = next_interval;
      }
    }
    if (want_sync) {
      syncer_commit_locked (w);
      next_interval = g_get_monotonic_time () +
          GST_TIME_AS_USECONDS (w->config.sync_interval);
      continue;
    }
    if (w->fatal == NULL && (w->pending_len > 0 || w->index_since != 0)) {
      gint64 due = w->pending_len > 0 ? w->pending_since + FLUSH_PERIOD_US :
          G_MAXINT64;

      if (w->index_since != 0)
        due = MIN (due, w->index_since + INDEX_PERIOD_US);
      if (now >= due) {
        GError *err = NULL;

        if (!flush_locked (w, FALSE, &err)) {
          set_fatal_locked (w, err, FALSE);
          g_error_free (err);
        } else {
          publish_tail_locked (w);
        }
        continue;
      }
      deadline = MIN (deadline, due);
    }
    w->syncer_waiting = TRUE;
    w->syncer_deadline = deadline;
    rg_cond_wait_until (&w->syncer_cond, &w->lock, deadline);
    w->syncer_waiting = FALSE;
  }
  pthread_mutex_unlock (&w->lock);
  return NULL;
}

static void
wake_syncer_locked (RgJournalWriter * w)
{
  /* A busy syncer looks at the state again before it sleeps. */
  if (w->syncer_waiting)
    pthread_cond_signal (&w->syncer_cond);
}

/* ------------------------------------------------------------------ */
/* Writer: open and close                                               */

static void
writer_free (RgJournalWriter * w)
{
  if (w->syncer) {
    pthread_mutex_lock (&w->lock);
    w->stop = TRUE;
    pthread_cond_signal (&w->syncer_cond);
    pthread_mutex_unlock (&w->lock);
    g_thread_join (w->syncer);
  }
  segment_free (w->active);
  while (!g_queue_is_empty (&w->sealing)) {
    RgSealing *sealing = g_queue_pop_head (&w->sealing);

    segment_free (sealing->segment);
    g_free (sealing);
  }
  g_queue_clear_full (&w->closed, g_free);
  if (w->tail) {
    tail_set (w->tail, NULL, FALSE);
    rg_journal_tail_unref (w->tail);
  }
  if (w->lock_fd >= 0)
    close (w->lock_fd);
  if (w->encoder)
    rg_batch_encoder_free (w->encoder);
  g_free (w->maps);
  g_free (w->chunks);
  g_free (w->records);
  g_free (w->envelopes);
  g_free (w->iov);
  if (w->fatal)
    g_error_free (w->fatal);
  if (w->fatal_cause)
    g_error_free (w->fatal_cause);
  g_free (w->pending);
  g_free (w->caps_string);
  g_free (w->dir);
  pthread_mutex_destroy (&w->lock);
  pthread_cond_destroy (&w->syncer_cond);
  pthread_cond_destroy (&w->durable_cond);
  g_free (w);
}

RgJournalWriter *
rg_journal_writer_open (const gchar * dir, const RgJournalConfig * config,
    GError ** error)
{
  RgJournalWriter *w;
  guint64 truncated = 0;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  rg_journal_init_debug ();

  if (!make_dir (dir, error))
    return NULL;
  w = g_new0 (RgJournalWriter, 1);
  w->dir = g_strdup (dir);
  w->config = *config;
  if (w->config.index_interval_bytes == 0)
    w->config.index_interval_bytes = DEFAULT_INDEX_INTERVAL_BYTES;
  pthread_mutex_init (&w->lock, NULL);
  rg_cond_init_monotonic (&w->syncer_cond);
  rg_cond_init_monotonic (&w->durable_cond);
  g_queue_init (&w->closed);
  g_queue_init (&w->sealing);
  w->lock_fd = take_lock (dir, error);
  if (w->lock_fd < 0)
    goto failed;
  w->active = recover_directory (dir, w->config.index_interval_bytes,
      &w->closed, &truncated, error);
  if (w->active == NULL)
    goto failed;

  w->encoder = rg_batch_encoder_new ();
  w->pending = g_malloc (PENDING_CAPACITY);
  w->next_offset = w->active->next_offset;
  w->durable_offset = w->next_offset;
  w->stats.recovered_bytes = truncated;
  w->stats.segments = g_queue_get_length (&w->closed) + 1;
  w->tail = tail_new ();
  publish_tail_locked (w);
  w->syncer = g_thread_new ("rgjournal-sync", syncer_thread, w);
  GST_INFO ("opened journal %s at offset %" G_GUINT64_FORMAT
      " (%" G_GUINT64_FORMAT " bytes of torn tail truncated)", dir,
      w->next_offset, truncated);
  return w;

failed:
  writer_free (w);
  return NULL;
}

void
rg_journal_writer_set_segment_closed_func (RgJournalWriter * writer,
    RgJournalSegmentFunc func, gpointer user_data)
{
  g_return_if_fail (writer != NULL);
  writer->closed_func = func;
  writer->closed_data = user_data;
}

void
rg_journal_writer_set_caps (RgJournalWriter * writer, GstCaps * caps)
{
  gchar *s;

  g_return_if_fail (writer != NULL);
  s = caps ? gst_caps_to_string (caps) : NULL;
  if (g_strcmp0 (s, writer->caps_string) == 0) {
    g_free (s);
    return;
  }
  g_free (writer->caps_string);
  writer->caps_string = s;
  writer->caps_pending = s != NULL;
}

static void
segment_info (RgJournalWriter * w, RgSegment * seg, RgJournalSegmentInfo * info)
{
  info->path = seg->log_path;
  info->first_offset = seg->base_offset;
  info->last_offset = seg->next_offset - 1;
  info->first_timestamp = seg->first_timestamp;
  info->last_timestamp = seg->last_timestamp;
  info->bytes = seg->size;
}

/* Everything the active segment holds, written: flush and the final
 * timeindex entry. */
static gboolean
finish_active (RgJournalWriter * w, GError ** error)
{
  RgSegment *seg = w->active;
  gboolean ok;

  pthread_mutex_lock (&w->lock);
  indexer_add_time_entry (&seg->ix);
  ok = flush_locked (w, TRUE, error);
  if (ok)
    publish_tail_locked (w);
  pthread_mutex_unlock (&w->lock);
  return ok;
}

/* ... and durable: fdatasync of the log and its indexes. */
static gboolean
seal_active (RgJournalWriter * w, GError ** error)
{
  return finish_active (w, error) && segment_sync_all (w->active, error);
}

gboolean
rg_journal_writer_close (RgJournalWriter * writer, GError ** error)
{
  RgJournalSegmentInfo info;
  GError *err = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (writer != NULL, FALSE);

  pthread_mutex_lock (&writer->lock);
  writer->stop = TRUE;
  pthread_cond_signal (&writer->syncer_cond);
  pthread_mutex_unlock (&writer->lock);
  g_thread_join (writer->syncer);
  writer->syncer = NULL;

  if (writer->fatal) {
    fatal_error_locked (writer, FALSE, error);
  } else if (!seal_active (writer, &err)) {
    g_propagate_error (error, err);
  } else {
    ok = TRUE;
    __atomic_store_n (&writer->durable_offset, writer->next_offset,
        __ATOMIC_RELEASE);
    if (writer->active->size > 0 && writer->closed_func) {
      segment_info (writer, writer->active, &info);
      writer->closed_func (&info, writer->closed_data);
    }
  }
  writer_free (writer);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Writer: rotation and retention                                       */

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* Past the size or age limit, a segment is cut before a keyframe; a stream
 * that has keyframes gets up to twice the limit to produce one. */
static gboolean
should_roll (RgJournalWriter * w, gboolean keyframe, gint64 timestamp)
{
  RgSegment *seg = w->active;
  guint64 max_bytes = w->config.max_segment_bytes;
  GstClockTime max_time = w->config.max_segment_time;
  gboolean cut_now = keyframe || !w->seen_keyframe;

  if (seg->size == 0)
    return FALSE;
  if (max_bytes > 0 && seg->size >= max_bytes
      && (cut_now || seg->size >= 2 * max_bytes))
    return TRUE;
  if (GST_CLOCK_TIME_IS_VALID (max_time)
      && seg->first_timestamp != G_MININT64) {
    gint64 limit_ms = GST_TIME_AS_MSECONDS (max_time);
    gint64 age = timestamp - seg->first_timestamp;

    if (age >= limit_ms && (cut_now || age >= 2 * limit_ms))
      return TRUE;
  }
  return FALSE;
}

static void
delete_closed_segment (RgJournalWriter * w, RgClosedSegment * c)
{
  GST_INFO ("retention: deleting segment %020" G_GUINT64_FORMAT " of %s",
      c->base_offset, w->dir);
  delete_segment_files (w->dir, c->base_offset);
  g_free (c);
}

/* Deletes the oldest closed segments while the journal is larger than
 * max_bytes or they are older than max_age. The active segment stays. */
static void
apply_retention (RgJournalWriter * w)
{
  guint64 total = w->active->size;
  gint64 oldest_allowed = G_MININT64;
  GQueue doomed = G_QUEUE_INIT;
  guint64 n_live;
  GList *l;
  GError *err = NULL;

  if (GST_CLOCK_TIME_IS_VALID (w->config.max_age))
    oldest_allowed = now_ms () -
        (gint64) GST_TIME_AS_MSECONDS (w->config.max_age);

  /* Oldest first: the closed segments, then those the syncer is still
   * making durable (those are only marked; the syncer frees them and skips
   * their announcement). */
  pthread_mutex_lock (&w->lock);
  for (l = w->closed.head; l; l = l->next)
    total += ((RgClosedSegment *) l->data)->bytes;
  for (l = w->sealing.head; l; l = l->next)
    if (!((RgSealing *) l->data)->deleted
        && !((RgSealing *) l->data)->announced)
      total += ((RgSealing *) l->data)->segment->size;
  while (!g_queue_is_empty (&w->closed)) {
    RgClosedSegment *c = g_queue_peek_head (&w->closed);

    if (!(w->config.max_bytes > 0 && total > w->config.max_bytes)
        && !(c->last_timestamp < oldest_allowed))
      break;
    total -= c->bytes;
    g_queue_push_tail (&doomed, g_queue_pop_head (&w->closed));
  }
  for (l = w->sealing.head; l && g_queue_is_empty (&w->closed); l = l->next) {
    RgSealing *sealing = l->data;
    RgSegment *seg = sealing->segment;
    RgClosedSegment *c;

    if (sealing->deleted || sealing->announced)
      continue;
    if (!(w->config.max_bytes > 0 && total > w->config.max_bytes)
        && !((seg->ix.has_max ? seg->ix.max_ts : seg->last_timestamp) <
            oldest_allowed))
      break;
    total -= seg->size;
    sealing->deleted = TRUE;
    c = g_new0 (RgClosedSegment, 1);
    c->base_offset = seg->base_offset;
    g_queue_push_tail (&doomed, c);
  }
  n_live = g_queue_get_length (&w->closed) + 1;
  for (l = w->sealing.head; l; l = l->next)
    n_live += !((RgSealing *) l->data)->deleted
        && !((RgSealing *) l->data)->announced;
  w->stats.segments = n_live;
  pthread_mutex_unlock (&w->lock);

  if (!g_queue_is_empty (&doomed)) {
    while (!g_queue_is_empty (&doomed))
      delete_closed_segment (w, g_queue_pop_head (&doomed));
    if (!rg_journal_fsync_dir (w->dir, &err)) {
      GST_WARNING ("%s", err->message);
      g_error_free (err);
    }
  }
}

/* Records a durable closed segment for retention. Called with the lock
 * held. */
static void
record_closed_locked (RgJournalWriter * w, RgSegment * seg)
{
  RgClosedSegment *c = g_new0 (RgClosedSegment, 1);

  c->base_offset = seg->base_offset;
  c->bytes = seg->size;
  c->last_timestamp = seg->ix.has_max ? seg->ix.max_ts : seg->last_timestamp;
  g_queue_push_tail (&w->closed, c);
}

/* Tells the application. Called without the lock, from the thread that
 * made the segment durable. */
static void
announce_closed (RgJournalWriter * w, RgSegment * seg)
{
  RgJournalSegmentInfo info;

  GST_INFO ("closed segment %s (%" G_GUINT64_FORMAT " bytes)", seg->log_path,
      seg->size);
  if (w->closed_func) {
    segment_info (w, seg, &info);
    w->closed_func (&info, w->closed_data);
  }
}

/* Closes the active segment and opens the next one.
 *
 * RG_JOURNAL_SYNC_ALWAYS: the old segment is made durable here, before the
 * new one exists, so no record reaches the new segment before the old one
 * is durable, which is what lets recovery trust closed segments after a
 * power cut. The syncer keeps up with the appender, so this fdatasync has
 * little left to write.
 *
 * _NONE and _INTERVAL promise nothing about durability between syncs, and
 * a synchronous fdatasync of a whole segment would stall the stream for as
 * long as the disk takes to write it. Under _INTERVAL the syncer thread
 * makes the old segment durable in the background and announces it once it
 * is. Under _NONE the segment is announced at once and made durable only
 * when a sync is asked for (rg_journal_writer_sync(), close): writeback of
 * another file competes with the appender's writes into the page cache,
 * which the policy exists to avoid. */
static gboolean
roll_segment (RgJournalWriter * w, GError ** error)
{
  RgSegment *old = w->active, *seg;
  gboolean background = w->config.sync != RG_JOURNAL_SYNC_ALWAYS;

  if (!(background ? finish_active (w, error) : seal_active (w, error)))
    return FALSE;
  seg = segment_open (w->dir, old->next_offset,
      w->config.index_interval_bytes, NULL, error);
  if (seg == NULL)
    return FALSE;
  if (!rg_journal_fsync_dir (w->dir, error)) {
    segment_free (seg);
    delete_segment_files (w->dir, old->next_offset);
    return FALSE;
  }

  pthread_mutex_lock (&w->lock);
  w->active = seg;
  w->stats.segments++;
  if (background) {
    RgSealing *sealing = g_new0 (RgSealing, 1);

    /* The syncer holds no pointer to the old segment beyond its own
     * commit; it frees the segment itself once sealed. */
    sealing->segment = old;
    sealing->base_offset = old->base_offset;
    sealing->next_offset = old->next_offset;
    sealing->end_bytes = w->appended_bytes;
    g_queue_push_tail (&w->sealing, sealing);
    /* RG_JOURNAL_SYNC_NONE: durable only when asked (a sync, close); the
     * segment is announced now, written but not durable, and closed. */
    sealing->announced = w->config.sync == RG_JOURNAL_SYNC_NONE;
    if (sealing->announced) {
      record_closed_locked (w, old);
      sealing->segment = NULL;
    } else {
      wake_syncer_locked (w);
    }
    pthread_mutex_unlock (&w->lock);
    if (sealing->announced) {
      announce_closed (w, old);
      segment_free (old);
    }
  } else {
    /* The syncer may be in fdatasync on the old segment's log. */
    while (w->syncing)
      pthread_cond_wait (&w->durable_cond, &w->lock);
    if (old->next_offset > w->durable_offset)
      __atomic_store_n (&w->durable_offset, old->next_offset,
          __ATOMIC_RELEASE);
    w->durable_bytes = w->appended_bytes;
    pthread_cond_broadcast (&w->durable_cond);
    record_closed_locked (w, old);
    pthread_mutex_unlock (&w->lock);
    announce_closed (w, old);
    segment_free (old);
  }
  apply_retention (w);
  /* After retention: a reader that lists the directory for the new
   * generation sees the deletions too. */
  pthread_mutex_lock (&w->lock);
  w->generation++;
  publish_tail_locked (w);
  pthread_mutex_unlock (&w->lock);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Writer: append                                                       */

static void
unmap_buffers (RgJournalWriter * w)
{
  guint i;

  for (i = 0; i < w->n_maps; i++)
    gst_memory_unmap (w->maps[i].memory, &w->maps[i]);
  w->n_maps = 0;
}

/* Maps every memory of every buffer; the value chunks point at the mapped
 * bytes, so the batch's value segments are the buffers' own memory. */
static gboolean
map_buffers (RgJournalWriter * w, GstBuffer ** buffers, guint n,
    GError ** error)
{
  guint i, j, total = 0;

  for (i = 0; i < n; i++)
    total += gst_buffer_n_memory (buffers[i]);
  if (total > w->maps_capacity) {
    w->maps_capacity = MAX (total, 2 * w->maps_capacity);
    w->maps = g_renew (GstMapInfo, w->maps, w->maps_capacity);
    w->chunks = g_renew (struct iovec, w->chunks, w->maps_capacity);
  }
  w->n_maps = 0;
  for (i = 0; i < n; i++) {
    guint n_mem = gst_buffer_n_memory (buffers[i]);

    for (j = 0; j < n_mem; j++) {
      GstMapInfo *map = &w->maps[w->n_maps];

      if (!gst_memory_map (gst_buffer_peek_memory (buffers[i], j), map,
              GST_MAP_READ)) {
        unmap_buffers (w);
        g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_INVALID,
            "Cannot map the memory of buffer %u of %u for reading", i, n);
        return FALSE;
      }
      w->chunks[w->n_maps].iov_base = map->data;
      w->chunks[w->n_maps].iov_len = map->size;
      w->n_maps++;
    }
  }
  return TRUE;
}

static gboolean
encode_batch (RgJournalWriter * w, GstBuffer ** buffers, guint n,
    gint64 timestamp, GBytes * key, gboolean with_caps, GError ** error)
{
  guint i, chunk = 0;
  gsize key_len = 0;
  const guint8 *key_data = key ? g_bytes_get_data (key, &key_len) : NULL;

  if (n > w->records_capacity) {
    /* Envelopes hold pointers into themselves: resized only here, before
     * any is filled. */
    w->records_capacity = MAX (n, 2 * w->records_capacity);
    w->records = g_renew (RgRecord, w->records, w->records_capacity);
    w->envelopes = g_renew (RgEnvelope, w->envelopes, w->records_capacity);
  }
  rg_batch_encoder_begin (w->encoder, w->next_offset);
  for (i = 0; i < n; i++) {
    RgEnvelope *env = &w->envelopes[i];
    RgRecord *r = &w->records[i];
    guint n_mem = gst_buffer_n_memory (buffers[i]);

    rg_envelope_init (env, buffers[i], (with_caps && i == 0) ?
        w->caps_string : NULL);
    memset (r, 0, sizeof (*r));
    r->timestamp = timestamp;
    r->key = key_data ? key_data : NULL;
    r->key_len = key_len;
    if (n_mem == 0) {
      /* An empty buffer is an empty value, not a null one. */
      r->value = (const guint8 *) "";
    } else {
      r->value_chunks = &w->chunks[chunk];
      r->n_value_chunks = n_mem;
    }
    chunk += n_mem;
    r->headers = env->headers;
    r->n_headers = env->n_headers;
    if (!rg_batch_encoder_add (w->encoder, r, error))
      return FALSE;
  }
  return TRUE;
}

/* Writes one encoded batch. Called with the lock held. */
static gboolean
write_batch_locked (RgJournalWriter * w, const struct iovec *segs,
    guint n_segs, gsize size, GError ** error)
{
  RgSegment *seg = w->active;
  guint i, n_iov;

  if (size <= COALESCE_MAX) {
    if (w->pending_len + size > PENDING_CAPACITY
        && !flush_locked (w, FALSE, error))
      return FALSE;
    if (w->pending_len == 0) {
      /* The appender raises next_offset after this returns. */
      w->pending_first_offset = w->next_offset;
      w->pending_since = g_get_monotonic_time ();
      /* Only an idle syncer needs to learn of the 5 ms deadline; one
       * that sleeps until a deadline finds the pending bytes then. */
      if (w->syncer_waiting && w->syncer_deadline == G_MAXINT64)
        pthread_cond_signal (&w->syncer_cond);
    }
    for (i = 0; i < n_segs; i++) {
      memcpy (w->pending + w->pending_len, segs[i].iov_base, segs[i].iov_len);
      w->pending_len += segs[i].iov_len;
    }
    return TRUE;
  }

  /* One pwritev: the pending bytes first, then the batch, whose value
   * segments are the buffers' mapped memory. */
  if (n_segs + 1 > w->iov_capacity) {
    w->iov_capacity = MAX (n_segs + 1, 2 * w->iov_capacity);
    w->iov = g_renew (struct iovec, w->iov, w->iov_capacity);
  }
  n_iov = 0;
  if (w->pending_len > 0) {
    w->iov[0].iov_base = w->pending;
    w->iov[0].iov_len = w->pending_len;
    n_iov = 1;
  }
  memcpy (w->iov + n_iov, segs, n_segs * sizeof (struct iovec));
  n_iov += n_segs;
  if (!pwritev_all (seg->fd[RG_JOURNAL_FILE_LOG], w->iov, n_iov,
          seg->file_size[RG_JOURNAL_FILE_LOG], seg->log_path, error))
    return FALSE;
  seg->file_size[RG_JOURNAL_FILE_LOG] += w->pending_len + size;
  w->pending_len = 0;
  return TRUE;
}

/* Queues the index entries of the batch just written at @position. */
static void
index_batch_locked (RgJournalWriter * w, GstBuffer ** buffers, guint n,
    guint64 position, gint64 timestamp)
{
  RgSegment *seg = w->active;
  guint i;

  indexer_add_batch (&seg->ix, position, w->next_offset + n - 1, timestamp);
  for (i = 0; i < n; i++)
    if (!GST_BUFFER_FLAG_IS_SET (buffers[i], GST_BUFFER_FLAG_DELTA_UNIT))
      indexer_add_keyframe (&seg->ix, position, w->next_offset + i);
  if (w->index_since == 0 && queued_index_bytes (seg) > 0) {
    w->index_since = g_get_monotonic_time ();
    /* An idle syncer has to arm the timer that writes them. */
    if (w->syncer_waiting && w->syncer_deadline == G_MAXINT64)
      pthread_cond_signal (&w->syncer_cond);
  }
}

/* Waits while more than max_pending_bytes are written but not durable.
 * Called with the lock held. */
static void
wait_for_room_locked (RgJournalWriter * w)
{
  if (w->config.sync != RG_JOURNAL_SYNC_ALWAYS
      || w->config.max_pending_bytes == 0)
    return;
  while (w->fatal == NULL
      && w->appended_bytes - w->durable_bytes > w->config.max_pending_bytes) {
    wake_syncer_locked (w);
    pthread_cond_wait (&w->durable_cond, &w->lock);
  }
}

static gboolean
commit_batch (RgJournalWriter * w, GstBuffer ** buffers, guint n,
    gint64 timestamp, GError ** error)
{
  const struct iovec *segs;
  guint n_segs;
  gsize size;
  RgSegment *seg;
  guint64 position;
  gboolean big;

  segs = rg_batch_encoder_finish (w->encoder, &n_segs, &size, NULL);

  pthread_mutex_lock (&w->lock);
  wait_for_room_locked (w);
  if (w->fatal) {
    fatal_error_locked (w, TRUE, error);
    pthread_mutex_unlock (&w->lock);
    return FALSE;
  }
  seg = w->active;
  position = seg->size;
  big = size > COALESCE_MAX;
  if (!write_batch_locked (w, segs, n_segs, size, error))
    goto failed;
  index_batch_locked (w, buffers, n, position, timestamp);
  if (big && !flush_locked (w, FALSE, error))
    goto failed;
  seg->size += size;
  if (seg->first_timestamp == G_MININT64)
    seg->first_timestamp = timestamp;
  seg->last_timestamp = timestamp;
  __atomic_store_n (&w->next_offset, w->next_offset + n, __ATOMIC_RELEASE);
  seg->next_offset = w->next_offset;
  w->appended_bytes += size;
  w->stats.records += n;
  w->stats.bytes += size;
  publish_tail_locked (w);
  if (w->config.sync == RG_JOURNAL_SYNC_ALWAYS)
    wake_syncer_locked (w);
  pthread_mutex_unlock (&w->lock);
  return TRUE;

failed:
  set_fatal_locked (w, *error, TRUE);
  pthread_mutex_unlock (&w->lock);
  return FALSE;
}

static gboolean
append_buffers (RgJournalWriter * w, GstBuffer ** buffers, guint n,
    gint64 timestamp, GBytes * key, guint64 * offset, GError ** error)
{
  gboolean keyframe, with_caps, ok;
  GError *err = NULL;

  if (g_atomic_pointer_get (&w->fatal) != NULL) {
    pthread_mutex_lock (&w->lock);
    fatal_error_locked (w, TRUE, error);
    pthread_mutex_unlock (&w->lock);
    return FALSE;
  }
  if (timestamp < 0)
    timestamp = now_ms ();
  keyframe = !GST_BUFFER_FLAG_IS_SET (buffers[0], GST_BUFFER_FLAG_DELTA_UNIT);
  if (should_roll (w, keyframe, timestamp) && !roll_segment (w, &err)) {
    pthread_mutex_lock (&w->lock);
    set_fatal_locked (w, err, TRUE);
    pthread_mutex_unlock (&w->lock);
    g_propagate_error (error, err);
    return FALSE;
  }
  if (keyframe)
    w->seen_keyframe = TRUE;
  with_caps = w->caps_string != NULL && (w->caps_pending
      || w->active->size == 0);

  if (!map_buffers (w, buffers, n, error))
    return FALSE;
  if (offset)
    *offset = w->next_offset;
  ok = encode_batch (w, buffers, n, timestamp, key, with_caps, error)
      && commit_batch (w, buffers, n, timestamp, error);
  unmap_buffers (w);
  if (ok && with_caps)
    w->caps_pending = FALSE;
  return ok;
}

gboolean
rg_journal_writer_append (RgJournalWriter * writer, GstBuffer * buffer,
    gint64 timestamp, GBytes * key, guint64 * offset, GError ** error)
{
  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  return append_buffers (writer, &buffer, 1, timestamp, key, offset, error);
}

gboolean
rg_journal_writer_append_list (RgJournalWriter * writer,
    GstBufferList * list, gint64 timestamp, GBytes * key, guint64 * offset,
    GError ** error)
{
  guint n;
  GstBuffer **buffers;
  gboolean ok;
  guint i;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER_LIST (list), FALSE);

  n = gst_buffer_list_length (list);
  if (n == 0) {
    if (offset)
      *offset = rg_journal_writer_get_next_offset (writer);
    return TRUE;
  }
  buffers = g_new (GstBuffer *, n);
  for (i = 0; i < n; i++)
    buffers[i] = gst_buffer_list_get (list, i);
  ok = append_buffers (writer, buffers, n, timestamp, key, offset, error);
  g_free (buffers);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Writer: durability and state                                         */

gboolean
rg_journal_writer_wait_durable (RgJournalWriter * writer, guint64 offset,
    GError ** error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (writer != NULL, FALSE);

  pthread_mutex_lock (&writer->lock);
  if (offset >= writer->next_offset) {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_OUT_OF_RANGE,
        "Offset %" G_GUINT64_FORMAT " has not been appended to %s (next "
        "offset %" G_GUINT64_FORMAT ")", offset, writer->dir,
        writer->next_offset);
    pthread_mutex_unlock (&writer->lock);
    return FALSE;
  }
  while (writer->fatal == NULL && writer->durable_offset <= offset) {
    if (writer->config.sync != RG_JOURNAL_SYNC_ALWAYS)
      writer->sync_requested = TRUE;
    wake_syncer_locked (writer);
    pthread_cond_wait (&writer->durable_cond, &writer->lock);
  }
  if (writer->durable_offset <= offset)
    ok = fatal_error_locked (writer, FALSE, error);
  pthread_mutex_unlock (&writer->lock);
  return ok;
}

gboolean
rg_journal_writer_sync (RgJournalWriter * writer, GError ** error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (writer != NULL, FALSE);

  pthread_mutex_lock (&writer->lock);
  while (writer->fatal == NULL && has_undurable_locked (writer)) {
    writer->sync_requested = TRUE;
    wake_syncer_locked (writer);
    pthread_cond_wait (&writer->durable_cond, &writer->lock);
  }
  if (writer->fatal)
    ok = fatal_error_locked (writer, FALSE, error);
  pthread_mutex_unlock (&writer->lock);
  return ok;
}

guint64
rg_journal_writer_get_next_offset (RgJournalWriter * writer)
{
  g_return_val_if_fail (writer != NULL, 0);
  return __atomic_load_n (&writer->next_offset, __ATOMIC_ACQUIRE);
}

RgJournalTail *
rg_journal_writer_get_tail (RgJournalWriter * writer)
{
  g_return_val_if_fail (writer != NULL, NULL);
  return rg_journal_tail_ref (writer->tail);
}

guint64
rg_journal_writer_get_durable_offset (RgJournalWriter * writer)
{
  g_return_val_if_fail (writer != NULL, 0);
  return __atomic_load_n (&writer->durable_offset, __ATOMIC_ACQUIRE);
}

void
rg_journal_writer_get_stats (RgJournalWriter * writer, RgJournalStats * stats)
{
  g_return_if_fail (writer != NULL);
  g_return_if_fail (stats != NULL);

  pthread_mutex_lock (&writer->lock);
  *stats = writer->stats;
  pthread_mutex_unlock (&writer->lock);
}

/* ------------------------------------------------------------------ */
/* Verification                                                         */

typedef struct
{
  guint64 position;
  guint64 base_offset;
  guint64 last_offset;
  gint64 max_before;            /* largest timestamp of earlier batches */
  gint64 max_through;           /* including this batch */
  gboolean bad;                 /* failed validation; records unread */
} VerifiedBatch;

typedef struct
{
  const gchar *path;
  guint64 base;
  GPtrArray *problems;
  GArray *batches;              /* VerifiedBatch */
  GArray *keyframes;            /* guint64 offsets */
  gboolean last_segment;
} VerifyState;

static void
problem_free (gpointer data)
{
  RgJournalProblem *p = data;

  g_free (p->segment);
  g_free (p->message);
  g_free (p);
}

static void
add_problem (VerifyState * v, guint64 position, guint64 offset,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (VerifyState * v, guint64 position, guint64 offset,
    const gchar * format, ...)
{
  RgJournalProblem *p = g_new0 (RgJournalProblem, 1);
  va_list args;

  va_start (args, format);
  p->segment = g_strdup (v->path);
  p->position = position;
  p->offset = offset;
  p->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (v->problems, p);
}

static void
collect_keyframe (guint64 offset, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, offset);
}

/* Walks every batch; after a bad one, resumes at the next batch when the
 * bad one's header still gives its size. Returns the next offset. */
static guint64
verify_log (VerifyState * v, const guint8 * data, guint64 len,
    guint64 expected)
{
  guint64 pos = 0;
  gint64 max_ts = G_MININT64;

  while (pos < len) {
    RgBatchInfo info;
    GError *err = NULL;
    gsize size = rg_journal_check_batch (data + pos, len - pos, expected,
        TRUE, &info, &err);
    VerifiedBatch b;

    b.bad = size == 0;
    if (size == 0) {
      gboolean torn = rg_journal_batch_is_truncated (err);

      add_problem (v, pos, expected, "%s%s", torn ? "torn tail: " : "",
          err->message);
      g_clear_error (&err);
      if (torn || !rg_batch_parse_header (data + pos, len - pos, &info, NULL))
        break;
      size = RG_BATCH_LOG_OVERHEAD + info.batch_length;
      if (size > len - pos)
        break;
    } else if (!batch_foreach_keyframe (data + pos, size, collect_keyframe,
            v->keyframes, &err)) {
      add_problem (v, pos, expected, "%s", err->message);
      g_clear_error (&err);
    }
    b.position = pos;
    b.base_offset = info.base_offset;
    b.last_offset = info.base_offset + info.last_offset_delta;
    b.max_before = max_ts;
    max_ts = MAX (max_ts, info.max_timestamp);
    b.max_through = max_ts;
    g_array_append_val (v->batches, b);
    expected = b.last_offset + 1;
    pos += size;
  }
  return expected;
}

static const VerifiedBatch *
find_batch_at (VerifyState * v, guint64 position)
{
  guint lo = 0, hi = v->batches->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    const VerifiedBatch *b = &g_array_index (v->batches, VerifiedBatch, mid);

    if (b->position == position)
      return b;
    if (b->position < position)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static const VerifiedBatch *
find_batch_holding (VerifyState * v, guint64 offset)
{
  guint lo = 0, hi = v->batches->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    const VerifiedBatch *b = &g_array_index (v->batches, VerifiedBatch, mid);

    if (offset < b->base_offset)
      hi = mid;
    else if (offset > b->last_offset)
      lo = mid + 1;
    else
      return b;
  }
  return NULL;
}

static GBytes *
verify_read_index (VerifyState * v, RgJournalFileKind kind, gsize entry)
{
  gchar *dir = g_path_get_dirname (v->path);
  gchar *path = rg_journal_file_path (dir, v->base, kind);
  GBytes *bytes = rg_journal_read_index (path, entry, NULL);

  g_free (path);
  g_free (dir);
  return bytes ? bytes : g_bytes_new (NULL, 0);
}

static void
verify_offset_index (VerifyState * v)
{
  GBytes *bytes = verify_read_index (v, RG_JOURNAL_FILE_INDEX,
      RG_JOURNAL_INDEX_ENTRY_SIZE);
  gsize len, i;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  for (i = 0; i < len / RG_JOURNAL_INDEX_ENTRY_SIZE; i++) {
    RgIndexEntry e;
    const VerifiedBatch *b;

    rg_index_entry_read (d + i * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    b = find_batch_at (v, e.position);
    if (b == NULL || b->last_offset != v->base + e.relative_offset) {
      add_problem (v, e.position, v->base + e.relative_offset,
          ".index entry %" G_GSIZE_FORMAT " does not point at the batch "
          "ending at this offset", i);
      break;
    }
  }
  g_bytes_unref (bytes);
}

static void
verify_time_index (VerifyState * v)
{
  GBytes *bytes = verify_read_index (v, RG_JOURNAL_FILE_TIMEINDEX,
      RG_JOURNAL_TIMEINDEX_ENTRY_SIZE);
  gsize len, i;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  gint64 prev = G_MININT64;

  for (i = 0; i < len / RG_JOURNAL_TIMEINDEX_ENTRY_SIZE; i++) {
    RgTimeIndexEntry e;
    const VerifiedBatch *b;

    rg_time_index_entry_read (d + i * RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, &e);
    b = find_batch_holding (v, v->base + e.relative_offset);
    if (b == NULL || e.timestamp <= prev || e.timestamp > b->max_through
        || e.timestamp < b->max_before) {
      add_problem (v, b ? b->position : 0, v->base + e.relative_offset,
          ".timeindex entry %" G_GSIZE_FORMAT " (timestamp %" G_GINT64_FORMAT
          ") does not match the log", i, e.timestamp);
      break;
    }
    prev = e.timestamp;
  }
  g_bytes_unref (bytes);
}

static void
verify_key_index (VerifyState * v)
{
  GBytes *bytes = verify_read_index (v, RG_JOURNAL_FILE_KEYINDEX,
      RG_JOURNAL_KEYINDEX_ENTRY_SIZE);
  gsize len, i, n;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  gsize k = 0;

  n = len / RG_JOURNAL_KEYINDEX_ENTRY_SIZE;
  for (i = 0; i < n; i++) {
    RgIndexEntry e;
    const VerifiedBatch *b;
    guint64 offset;

    rg_index_entry_read (d + i * RG_JOURNAL_KEYINDEX_ENTRY_SIZE, &e);
    offset = v->base + e.relative_offset;
    b = find_batch_at (v, e.position);
    /* A batch that failed validation is already reported; its records,
     * keyframes included, could not be read. */
    if (b && b->bad && offset >= b->base_offset && offset <= b->last_offset)
      continue;
    if (b == NULL || offset < b->base_offset || offset > b->last_offset
        || k >= v->keyframes->len
        || g_array_index (v->keyframes, guint64, k) != offset) {
      add_problem (v, e.position, offset, ".keyindex entry %" G_GSIZE_FORMAT
          " does not match the keyframe records of the log", i);
      goto out;
    }
    k++;
  }
  /* The writer of the active segment may not have written its latest
   * entries yet; a closed segment's index is complete. */
  if (!v->last_segment && k < v->keyframes->len)
    add_problem (v, 0, g_array_index (v->keyframes, guint64, k),
        ".keyindex lacks %u keyframe records", v->keyframes->len - (guint) k);
out:
  g_bytes_unref (bytes);
}

static gboolean
verify_segment (VerifyState * v, guint64 * expected, GError ** error)
{
  RgMapping map = { NULL, 0 };
  int fd;
  gboolean ok;

  fd = open (v->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, "open", v->path);
  ok = map_file (fd, v->path, &map, error);
  close (fd);
  if (!ok)
    return FALSE;
  g_array_set_size (v->batches, 0);
  g_array_set_size (v->keyframes, 0);
  if (*expected != v->base)
    add_problem (v, 0, *expected, "segment starts at offset %"
        G_GUINT64_FORMAT " where offset %" G_GUINT64_FORMAT " should follow",
        v->base, *expected);
  *expected = verify_log (v, map.data, map.len, v->base);
  unmap_file (&map);
  verify_offset_index (v);
  verify_time_index (v);
  verify_key_index (v);
  return TRUE;
}

gboolean
rg_journal_verify (const gchar * dir, GPtrArray ** problems, GError ** error)
{
  VerifyState v;
  GArray *bases;
  guint64 expected;
  gboolean ok = TRUE;
  guint i;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (problems != NULL, FALSE);
  rg_journal_init_debug ();

  *problems = NULL;
  bases = rg_journal_list_segments (dir, error);
  if (bases == NULL)
    return FALSE;
  memset (&v, 0, sizeof (v));
  v.problems = g_ptr_array_new_with_free_func (problem_free);
  v.batches = g_array_new (FALSE, FALSE, sizeof (VerifiedBatch));
  v.keyframes = g_array_new (FALSE, FALSE, sizeof (guint64));
  expected = bases->len ? g_array_index (bases, guint64, 0) : 0;
  for (i = 0; i < bases->len && ok; i++) {
    gchar *path;

    v.base = g_array_index (bases, guint64, i);
    v.last_segment = i + 1 == bases->len;
    path = rg_journal_file_path (dir, v.base, RG_JOURNAL_FILE_LOG);
    v.path = path;
    ok = verify_segment (&v, &expected, error);
    g_free (path);
  }
  g_array_unref (v.batches);
  g_array_unref (v.keyframes);
  g_array_unref (bases);
  if (!ok) {
    g_ptr_array_unref (v.problems);
    return FALSE;
  }
  *problems = v.problems;
  return TRUE;
}
