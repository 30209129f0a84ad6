/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The journal writer: append, group commit (the syncer thread), rotation
 * and retention. Recovery is rgjournalrecovery.c, verification
 * rgjournalverify.c, the shared tail rgjournaltail.c and the segment files
 * rgjournalsegment.c (its opening comment lists the journal's files and
 * who includes whom). The contract and the on-disk layout are in rgjournal.h;
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
#include "journal/rgjournalbatch.h"
#include "journal/rgjournalfiles.h"
#include "journal/rgjournalrecovery.h"
#include "journal/rgjournalsegment.h"
#include "journal/rgjournaltail.h"
#include "journal/rgjournalwatch.h"
#include "record/rgbatch.h"
#include "util/rgcond.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

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
#define DEFAULT_MAX_PENDING_BYTES (16 * 1024 * 1024)

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
  /* The batch watch (rgjournalwatch.h), and the segments of the batch
   * commit_batch() wrote last (the encoder's, valid until the next
   * append), which it hands over. */
  RgJournalBatchFunc batch_func;
  const struct iovec *batch_segs;
  guint batch_n_segs;
  gsize batch_size;
  gpointer batch_data;
  GDestroyNotify batch_notify;

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
  guint64 log_start;            /* rg_journal_writer_set_log_start() */
  RgJournalTail *tail;
  RgJournalDurableFunc durable_func;
  gpointer durable_data;
  guint64 durable_offset;       /* atomic reads from any thread */
  guint64 appended_bytes;
  guint64 durable_bytes;
  gboolean syncing;
  gboolean syncer_waiting;
  gint64 syncer_deadline;       /* when a waiting syncer wakes by itself */
  gint64 next_interval;         /* the next commit under _INTERVAL */
  gboolean sync_requested;
  gboolean stop;
  GError *fatal;                /* what every later call gets */
  GError *fatal_cause;          /* the failure itself */
  gboolean fatal_reported;      /* an append has returned fatal_cause */
  GThread *syncer;
  RgJournalStats stats;
};

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
  config->index_interval_bytes = RG_JOURNAL_DEFAULT_INDEX_INTERVAL_BYTES;
  config->max_pending_bytes = DEFAULT_MAX_PENDING_BYTES;
}

/* ------------------------------------------------------------------ */
/* The written tail                                                     */

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
  rg_journal_tail_set (w->tail, &info, w->fatal == NULL);
}

/* Wakes the threads in rg_journal_writer_wait_durable() and tells the
 * durable function (rgjournalbatch.h). Called with the lock held. */
static void
notify_durable_locked (RgJournalWriter * w)
{
  pthread_cond_broadcast (&w->durable_cond);
  if (w->durable_func)
    w->durable_func (w->durable_data);
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
    rg_journal_tail_set (w->tail, NULL, FALSE);
  }
  notify_durable_locked (w);
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
    if (!rg_journal_pwrite_all (seg->fd[RG_JOURNAL_FILE_LOG], w->pending,
            w->pending_len,
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
  return rg_segment_write_indexes (seg, error);
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

/* Adds to a failed sync's error which records it leaves undurable: after a
 * failed fdatasync the kernel may have dropped the dirty pages, so the
 * writer never syncs them again (that could report success for lost data)
 * and says which offsets a reader must not count on: every one appended
 * and not yet durable. Called with the lock held. */
static void
note_undurable (RgJournalWriter * w, GError ** err)
{
  GError *e = *err;
  guint64 end = w->next_offset;

  if (end <= w->durable_offset)
    return;
  *err = g_error_new (e->domain, e->code, "%s; records %" G_GUINT64_FORMAT
      " to %" G_GUINT64_FORMAT " are not durable (the sync is not retried)",
      e->message, w->durable_offset, end - 1);
  g_error_free (e);
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
    rg_journal_set_errno_error (&err, errsv, "fdatasync", seg->log_path);
    note_undurable (w, &err);
    set_fatal_locked (w, err, FALSE);
    g_error_free (err);
    return;
  }
  if (target_offset > w->durable_offset)
    __atomic_store_n (&w->durable_offset, target_offset, __ATOMIC_RELEASE);
  w->durable_bytes = MAX (w->durable_bytes, target_bytes);
  notify_durable_locked (w);
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
    gchar *path = rg_segment_file_path (dir, base, i);
    int fd = open (path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
      if (errno != ENOENT)
        ok = rg_journal_set_errno_error (error, errno, "open", path);
    } else {
      if (rg_journal_sys_fdatasync (fd) < 0)
        ok = rg_journal_set_errno_error (error, errno, "fdatasync", path);
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
    ok = seg ? rg_segment_sync_all (seg, &err) :
        sync_segment_by_name (w->dir, sealing->base_offset, &err);
    pthread_mutex_lock (&w->lock);
    note_fsync_locked (w, start);
  }
  if (!ok) {
    note_undurable (w, &err);
    set_fatal_locked (w, err, FALSE);
    g_error_free (err);
    return;
  }
  if (sealing->next_offset > w->durable_offset)
    __atomic_store_n (&w->durable_offset, sealing->next_offset,
        __ATOMIC_RELEASE);
  w->durable_bytes = MAX (w->durable_bytes, sealing->end_bytes);
  notify_durable_locked (w);
  g_queue_pop_head (&w->sealing);
  announce = !sealing->deleted && !sealing->announced;
  if (announce)
    record_closed_locked (w, seg);
  pthread_mutex_unlock (&w->lock);
  if (announce)
    announce_closed (w, seg);
  rg_segment_free (seg);
  g_free (sealing);
  pthread_mutex_lock (&w->lock);
}

/* The syncer thread. RG_JOURNAL_SYNC_ALWAYS: commits back to back while
 * anything is not durable. _INTERVAL: starts a commit every sync_interval
 * while anything is not durable (at once after an idle spell). All
 * policies: commits when asked (rg_journal_writer_sync()), and flushes small
 * records that waited FLUSH_PERIOD_US in the pending buffer so that readers
 * see them. */
static gpointer
syncer_thread (gpointer data)
{
  RgJournalWriter *w = data;

  pthread_mutex_lock (&w->lock);
  w->next_interval = g_get_monotonic_time ();
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
        if (now >= w->next_interval)
          want_sync = TRUE;
        else
          deadline = w->next_interval;
      }
    }
    if (want_sync) {
      /* The next commit is due one interval after this one starts, not
       * after it ends: a record appended while this fdatasync runs then
       * waits for the rest of it and the next one, and not a whole
       * interval more (when an fdatasync takes longer than the interval,
       * the next starts at once). Counting from the end made every
       * cycle interval + fdatasync long, and a slow fdatasync (another
       * process writing to the disk) cost its records twice. */
      gint64 started = g_get_monotonic_time ();

      syncer_commit_locked (w);
      w->next_interval = started +
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
  rg_segment_free (w->active);
  while (!g_queue_is_empty (&w->sealing)) {
    RgSealing *sealing = g_queue_pop_head (&w->sealing);

    rg_segment_free (sealing->segment);
    g_free (sealing);
  }
  g_queue_clear_full (&w->closed, g_free);
  rg_journal_writer_watch_batches (w, NULL, NULL, NULL);
  if (w->tail) {
    rg_journal_tail_set (w->tail, NULL, FALSE);
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
  rg_journal_debug_init ();

  if (!rg_journal_make_dir (dir, error))
    return NULL;
  w = g_new0 (RgJournalWriter, 1);
  w->dir = g_strdup (dir);
  w->config = *config;
  if (w->config.index_interval_bytes == 0)
    w->config.index_interval_bytes = RG_JOURNAL_DEFAULT_INDEX_INTERVAL_BYTES;
  pthread_mutex_init (&w->lock, NULL);
  rg_cond_init_monotonic (&w->syncer_cond);
  rg_cond_init_monotonic (&w->durable_cond);
  g_queue_init (&w->closed);
  g_queue_init (&w->sealing);
  w->lock_fd = rg_journal_take_lock (dir, error);
  if (w->lock_fd < 0)
    goto failed;
  w->active = rg_journal_recover_directory (dir, w->config.index_interval_bytes,
      &w->closed, &truncated, error);
  if (w->active == NULL)
    goto failed;

  w->encoder = rg_batch_encoder_new ();
  w->pending = g_malloc (PENDING_CAPACITY);
  w->next_offset = w->active->next_offset;
  w->durable_offset = w->next_offset;
  w->stats.recovered_bytes = truncated;
  w->stats.segments = g_queue_get_length (&w->closed) + 1;
  w->tail = rg_journal_tail_new ();
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
  rg_indexer_add_time_entry (&seg->ix);
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
  return finish_active (w, error) && rg_segment_sync_all (w->active, error);
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

void
rg_journal_writer_set_limits (RgJournalWriter * w,
    const RgJournalConfig * config)
{
  w->config.max_segment_bytes = config->max_segment_bytes;
  w->config.max_segment_time = config->max_segment_time;
  w->config.max_bytes = config->max_bytes;
  w->config.max_age = config->max_age;
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
  rg_segment_delete_files (w->dir, c->base_offset);
  g_free (c);
}

/* The offset after the last record of closed segment @l (an element of
 * the closed queue): the base of the segment that follows it. Called with
 * the lock held, from the appending thread (the active segment is its). */
static guint64
closed_end_locked (RgJournalWriter * w, GList * l)
{
  GList *s;

  if (l->next)
    return ((RgClosedSegment *) l->next->data)->base_offset;
  /* An announced one (RG_JOURNAL_SYNC_NONE) is in the closed queue
   * already: the next segment is the first one still being sealed. */
  for (s = w->sealing.head; s; s = s->next)
    if (!((RgSealing *) s->data)->deleted
        && !((RgSealing *) s->data)->announced)
      return ((RgSealing *) s->data)->base_offset;
  return w->active->base_offset;
}

/* Deletes the oldest closed segments while the journal is larger than
 * max_bytes or they are older than max_age, and those whose records all
 * lie below the log start (rg_journal_writer_set_log_start()). The active
 * segment stays. */
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
        && !(c->last_timestamp < oldest_allowed)
        && closed_end_locked (w, w->closed.head) > w->log_start)
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
            oldest_allowed) && sealing->next_offset > w->log_start)
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
  seg = rg_segment_open (w->dir, old->next_offset,
      w->config.index_interval_bytes, NULL, error);
  if (seg == NULL)
    return FALSE;
  if (!rg_journal_fsync_dir (w->dir, error)) {
    rg_segment_free (seg);
    rg_segment_delete_files (w->dir, old->next_offset);
    return FALSE;
  }

  pthread_mutex_lock (&w->lock);
  /* RG_JOURNAL_SYNC_NONE frees the old segment below, at once: a sync
   * asked for meanwhile (rg_journal_writer_sync(), _wait_durable()) may be
   * in fdatasync on its log without the lock, and its descriptors must
   * outlive that call. Waiting before the switch keeps the syncer from
   * picking the segment up again. */
  while (w->config.sync == RG_JOURNAL_SYNC_NONE && w->syncing)
    pthread_cond_wait (&w->durable_cond, &w->lock);
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
      rg_segment_free (old);
    }
  } else {
    /* The syncer may be in fdatasync on the old segment's log. */
    while (w->syncing)
      pthread_cond_wait (&w->durable_cond, &w->lock);
    if (old->next_offset > w->durable_offset)
      __atomic_store_n (&w->durable_offset, old->next_offset,
          __ATOMIC_RELEASE);
    w->durable_bytes = w->appended_bytes;
    notify_durable_locked (w);
    record_closed_locked (w, old);
    pthread_mutex_unlock (&w->lock);
    announce_closed (w, old);
    rg_segment_free (old);
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
      /* A syncer asleep past the 5 ms deadline must learn of it: it may
       * sleep until the index timer, 100 ms away, and the readers would
       * wait that long for these bytes. */
      if (w->syncer_waiting
          && w->syncer_deadline > w->pending_since + FLUSH_PERIOD_US)
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
  if (!rg_journal_pwritev_all (seg->fd[RG_JOURNAL_FILE_LOG], w->iov, n_iov,
          seg->file_size[RG_JOURNAL_FILE_LOG], seg->log_path, error))
    return FALSE;
  seg->file_size[RG_JOURNAL_FILE_LOG] += w->pending_len + size;
  w->pending_len = 0;
  return TRUE;
}

/* What a batch was made of, for its .keyindex entries: the buffers whose
 * flags say which records are keyframes, or a producer's batch whose
 * records are looked at as recovery would (rgjournalbatch.h). */
typedef struct
{
  GstBuffer **buffers;          /* NULL for a producer's batch */
  const guint8 *batch;
  gsize batch_len;
  guint64 batch_base;           /* the producer's own baseOffset */
} RgBatchSource;

typedef struct
{
  RgIndexer *ix;
  guint64 position;
  guint64 shift;                /* the offset it got minus its own */
} RgKeyframeShift;

static void
add_shifted_keyframe (guint64 offset, gpointer user_data)
{
  RgKeyframeShift *k = user_data;

  rg_indexer_add_keyframe (k->ix, k->position, offset + k->shift);
}

/* Queues the index entries of the batch of @n records just written at
 * @position. */
static void
index_batch_locked (RgJournalWriter * w, const RgBatchSource * src, guint n,
    guint64 position, gint64 timestamp)
{
  RgSegment *seg = w->active;
  guint i;

  rg_indexer_add_batch (&seg->ix, position, w->next_offset + n - 1, timestamp);
  if (src->buffers) {
    for (i = 0; i < n; i++)
      if (!GST_BUFFER_FLAG_IS_SET (src->buffers[i],
              GST_BUFFER_FLAG_DELTA_UNIT))
        rg_indexer_add_keyframe (&seg->ix, position, w->next_offset + i);
  } else {
    RgKeyframeShift k = { &seg->ix, position,
      w->next_offset - src->batch_base
    };

    /* The batch was validated: a record it cannot decode only ends the
     * walk, as it ends recovery's. */
    rg_journal_batch_foreach_keyframe (src->batch, src->batch_len,
        add_shifted_keyframe, &k, NULL);
  }
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

/* Writes the batch of @n records in @segs (@size bytes) at the end of the
 * active segment and accounts for it. */
static gboolean
commit_batch (RgJournalWriter * w, const struct iovec *segs, guint n_segs,
    gsize size, const RgBatchSource * src, guint n, gint64 timestamp,
    GError ** error)
{
  RgSegment *seg;
  guint64 position;
  gboolean big;

  /* What announce_batch() hands the batch watch after the commit. */
  w->batch_segs = segs;
  w->batch_n_segs = n_segs;
  w->batch_size = size;

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
  index_batch_locked (w, src, n, position, timestamp);
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
  else if (w->config.sync == RG_JOURNAL_SYNC_INTERVAL && w->syncer_waiting
      && w->syncer_deadline > w->next_interval)
    /* A syncer that had nothing to commit sleeps until its index or
     * flush timer (up to 100 ms): the interval's commit would come that
     * late, and every acknowledgement waiting on it. */
    pthread_cond_signal (&w->syncer_cond);
  pthread_mutex_unlock (&w->lock);
  return TRUE;

failed:
  set_fatal_locked (w, *error, TRUE);
  pthread_mutex_unlock (&w->lock);
  return FALSE;
}

void
rg_journal_writer_watch_batches (RgJournalWriter * w, RgJournalBatchFunc func,
    gpointer user_data, GDestroyNotify notify)
{
  if (w->batch_notify)
    w->batch_notify (w->batch_data);
  w->batch_func = func;
  w->batch_data = user_data;
  w->batch_notify = notify;
}

/* Hands the batch commit_batch() just wrote to the watch, while the
 * encoder still holds its segments and the buffers are still mapped. Its
 * first offset is the one before the commit moved next_offset on. */
static void
announce_batch (RgJournalWriter * w, GstBuffer ** buffers, guint n)
{
  RgJournalBatch batch;

  batch.segs = w->batch_segs;
  batch.n_segs = w->batch_n_segs;
  batch.size = w->batch_size;
  batch.base_offset = w->next_offset - n;
  batch.n_records = n;
  batch.buffers = buffers;
  batch.n_buffers = n;
  batch.values = w->chunks;
  batch.n_values = w->n_maps;
  w->batch_func (&batch, w->batch_data);
}

/* Before an append: refuses it if the writer failed, rolls the segment
 * when the rotation rules say so. */
static gboolean
prepare_append (RgJournalWriter * w, gboolean keyframe, gint64 timestamp,
    GError ** error)
{
  GError *err = NULL;

  if (g_atomic_pointer_get (&w->fatal) != NULL) {
    pthread_mutex_lock (&w->lock);
    fatal_error_locked (w, TRUE, error);
    pthread_mutex_unlock (&w->lock);
    return FALSE;
  }
  if (should_roll (w, keyframe, timestamp) && !roll_segment (w, &err)) {
    pthread_mutex_lock (&w->lock);
    set_fatal_locked (w, err, TRUE);
    pthread_mutex_unlock (&w->lock);
    g_propagate_error (error, err);
    return FALSE;
  }
  if (keyframe)
    w->seen_keyframe = TRUE;
  return TRUE;
}

static gboolean
append_buffers (RgJournalWriter * w, GstBuffer ** buffers, guint n,
    gint64 timestamp, GBytes * key, guint64 * offset, GError ** error)
{
  gboolean keyframe, with_caps, ok;

  if (timestamp < 0)
    timestamp = now_ms ();
  keyframe = !GST_BUFFER_FLAG_IS_SET (buffers[0], GST_BUFFER_FLAG_DELTA_UNIT);
  if (!prepare_append (w, keyframe, timestamp, error))
    return FALSE;
  with_caps = w->caps_string != NULL && (w->caps_pending
      || w->active->size == 0);

  if (!map_buffers (w, buffers, n, error))
    return FALSE;
  if (offset)
    *offset = w->next_offset;
  ok = encode_batch (w, buffers, n, timestamp, key, with_caps, error);
  if (ok) {
    RgBatchSource src = { buffers, NULL, 0, 0 };
    const struct iovec *segs;
    guint n_segs;
    gsize size;

    segs = rg_batch_encoder_finish (w->encoder, &n_segs, &size, NULL);
    ok = commit_batch (w, segs, n_segs, size, &src, n, timestamp, error);
  }
  if (ok && w->batch_func)
    announce_batch (w, buffers, n);
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

gboolean
rg_journal_writer_append_batch (RgJournalWriter * writer,
    const guint8 * batch, gsize len, guint64 * offset, GError ** error)
{
  RgBatchSource src = { NULL, batch, len, 0 };
  struct iovec segs[2];
  guint8 base[8];
  RgBatchInfo info;
  GError *err = NULL;
  gint64 timestamp;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (batch != NULL, FALSE);

  if (rg_batch_validate (batch, len, &info, &err) != len
      || info.last_offset_delta < 0)
    goto invalid;
  src.batch_base = (guint64) info.base_offset;
  timestamp = info.max_timestamp >= 0 ? info.max_timestamp : now_ms ();
  if (!prepare_append (writer, TRUE, timestamp, error))
    return FALSE;
  if (offset)
    *offset = writer->next_offset;
  /* Only the appending thread changes next_offset. */
  GST_WRITE_UINT64_BE (base, writer->next_offset);
  segs[0].iov_base = base;
  segs[0].iov_len = sizeof (base);
  segs[1].iov_base = (guint8 *) batch + sizeof (base);
  segs[1].iov_len = len - sizeof (base);
  return commit_batch (writer, segs, 2, len, &src,
      (guint) info.last_offset_delta + 1, timestamp, error);

  /* ERRORS */
invalid:
  {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_INVALID,
        "Not one whole, valid record batch of %" G_GSIZE_FORMAT " bytes: %s",
        len, err ? err->message : "it holds more than one batch, or a "
        "negative lastOffsetDelta");
    g_clear_error (&err);
    return FALSE;
  }
}

void
rg_journal_writer_set_log_start (RgJournalWriter * writer, guint64 offset)
{
  g_return_if_fail (writer != NULL);

  pthread_mutex_lock (&writer->lock);
  writer->log_start = MAX (writer->log_start, offset);
  pthread_mutex_unlock (&writer->lock);
  apply_retention (writer);
  /* A reader that lists the directory for the new generation sees the
   * deletions. */
  pthread_mutex_lock (&writer->lock);
  writer->generation++;
  publish_tail_locked (writer);
  pthread_mutex_unlock (&writer->lock);
}

void
rg_journal_writer_set_durable_func (RgJournalWriter * writer,
    RgJournalDurableFunc func, gpointer user_data)
{
  g_return_if_fail (writer != NULL);

  pthread_mutex_lock (&writer->lock);
  writer->durable_func = func;
  writer->durable_data = user_data;
  pthread_mutex_unlock (&writer->lock);
}

gboolean
rg_journal_writer_is_failed (RgJournalWriter * writer)
{
  g_return_val_if_fail (writer != NULL, TRUE);
  return g_atomic_pointer_get (&writer->fatal) != NULL;
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
