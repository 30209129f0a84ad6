/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * The broadcast ring. The contract is in rgring.h; this comment explains
 * how the implementation keeps it.
 *
 * State
 * -----
 * slots[capacity]   Buffer N lives in slots[N & mask] until the writer
 *                   releases it. A slot records N, the object, the buffer's
 *                   size, DTS-else-PTS, whether it is a keyframe, and the
 *                   number of bytes and keyframes published before it. The
 *                   prefix sums make any reader's lag in bytes, and the
 *                   keyframes it skipped, one subtraction.
 * head              Next sequence number. Only the writer stores it.
 * floor             Every buffer below it has been released. Only the writer
 *                   stores it; it never passes head - 1, so the newest buffer
 *                   is always held.
 * readers[]         Attached readers, under readers_lock. The writer scans
 *                   them once per buffer for the minimum cursors, to wake
 *                   sleepers and to check hard limits.
 * events            The event log, under events_lock: (position, event)
 *                   pairs, position = the head when it was pushed.
 *
 * Memory ordering
 * ---------------
 * W1: the writer fills a slot under its lock, then stores head (seq_cst).
 * R1: a reader loads head (seq_cst) before it locks any slot below head, so
 *     it sees the slot filled (W1 synchronises with R1 through head, and the
 *     slot lock orders the fields themselves).
 * W2/R2: sleeping is a Dekker pair. The writer stores head then loads each
 *     reader's sleeping flag; a reader stores its sleeping flag then loads
 *     head. With both seq_cst at least one side sees the other, so a wake-up
 *     is never lost. The writer's wait for a BLOCK reader is the mirror
 *     image: writer_waiting against the reader's cursor.
 * W3: an event is appended (events_end stored) before the next head store,
 *     so a reader that sees buffer N also sees every event positioned at or
 *     before N.
 *
 * Lock order: readers_lock, then a reader's lock or a slot lock; cut_lock is
 * never taken with another lock held. Nothing calls out of the ring (unref,
 * cut callbacks) with a ring lock held, except gst_mini_object_ref().
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ring/rgring.h"
#include "util/rgcond.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* pthread primitives are used instead of GMutex/GCond on purpose: GLib's
 * mutex is built on raw futexes, which ThreadSanitizer cannot see, and the
 * ring's stress test runs under ThreadSanitizer in CI. */

#define RG_CACHE_LINE 64
#define RG_NO_SEQ G_MAXUINT64

/* The default retention for new readers: the pad defaults of rgtee. */
#define RG_DEFAULT_RETAIN_BUFFERS 300
#define RG_DEFAULT_RETAIN_BYTES (64 * 1024 * 1024)
#define RG_DEFAULT_RETAIN_TIME GST_SECOND

typedef struct
{
  pthread_mutex_t lock;
  guint64 seq;
  GstMiniObject *object;        /* NULL once released */
  guint64 size;
  guint64 bytes_before;
  guint64 keyframes_before;
  GstClockTime ts;
  gboolean keyframe;
} RgRingSlot;

/* One slot per 128 bytes, so that the writer filling slot N and a reader
 * taking slot N - 1 do not share a cache line. */
typedef union
{
  RgRingSlot slot;
  guint8 pad[2 * RG_CACHE_LINE];
} RgRingSlotLine;

/* A copy of a slot's metadata, taken under its lock. */
typedef struct
{
  guint64 seq;
  guint64 size;
  guint64 bytes_before;
  guint64 keyframes_before;
  GstClockTime ts;
  gboolean keyframe;
} RgSlotInfo;

typedef struct
{
  guint64 position;
  GstEvent *event;
} RgRingEvent;

struct _RgRing
{
  guint capacity;
  guint64 mask;
  RgRingSlotLine *lines;

  /* Written by the writer only. */
  _Alignas (RG_CACHE_LINE) _Atomic guint64 head;
  _Atomic guint64 floor;
  _Atomic guint64 latest_keyframe;      /* RG_NO_SEQ when none is held */
  _Atomic gboolean keyframe_seen;
  _Atomic gboolean flushing;
  guint64 total_bytes;
  guint64 total_keyframes;

  /* The writer's wait for BLOCK readers. */
  _Alignas (RG_CACHE_LINE) _Atomic gboolean writer_waiting;
  pthread_mutex_t writer_lock;
  pthread_cond_t writer_cond;

  pthread_mutex_t readers_lock;
  GPtrArray *readers;
  RgLagBudget retention;

  pthread_mutex_t cut_lock;

  pthread_mutex_t events_lock;
  GArray *events;               /* RgRingEvent, oldest first */
  guint64 events_base;          /* absolute index of events[0] */
  _Atomic guint64 events_end;
};

struct _RgRingReader
{
  /* Shared with the writer. */
  _Alignas (RG_CACHE_LINE) _Atomic guint64 cursor;
  _Atomic guint64 event_cursor;
  _Atomic gboolean sleeping;
  _Atomic gboolean flushing;
  _Atomic gboolean cut;
  _Atomic gboolean reset;       /* set by rg_ring_clear() */
  _Atomic GstClockTime taken_ts;        /* ts of the last buffer taken */
  _Atomic int policy;

  /* Statistics, written by the reader, read by anyone. */
  _Atomic guint64 start_seq;
  _Atomic guint64 out;
  _Atomic guint64 dropped;
  _Atomic guint64 dropped_keyframes;
  _Atomic GstClockTime max_lag_time;

  /* The reader's own state. */
  gboolean pending_discont;
  gboolean wait_keyframe;
  guint64 keyframes_at_cursor;

  RgRing *ring;
  RgLagBudget budget;           /* under ring->readers_lock */
  pthread_mutex_t lock;
  pthread_cond_t cond;
  RgRingCutFunc cut_func;
  gpointer user_data;
};

static RgRingSlot *
ring_slot (RgRing * ring, guint64 seq)
{
  return &ring->lines[seq & ring->mask].slot;
}

static gboolean
budget_is_unlimited_time (GstClockTime t)
{
  return !GST_CLOCK_TIME_IS_VALID (t);
}

/* Per dimension, the larger of @a and @b, where 0 / NONE means unlimited. */
static void
budget_widen (RgLagBudget * a, const RgLagBudget * b)
{
  if (a->max_buffers != 0)
    a->max_buffers = b->max_buffers == 0 ? 0 : MAX (a->max_buffers,
        b->max_buffers);
  if (a->max_bytes != 0)
    a->max_bytes = b->max_bytes == 0 ? 0 : MAX (a->max_bytes, b->max_bytes);
  if (!budget_is_unlimited_time (a->max_time))
    a->max_time = budget_is_unlimited_time (b->max_time) ?
        GST_CLOCK_TIME_NONE : MAX (a->max_time, b->max_time);
}

/* Whether a buffer described by @info lags more than @budget behind a head
 * at @head whose newest buffer is @newest. */
static gboolean
lag_exceeds (const RgSlotInfo * info, guint64 head, const RgSlotInfo * newest,
    const RgLagBudget * budget)
{
  guint64 end_bytes = newest->bytes_before + newest->size;

  if (budget->max_buffers != 0 && head - info->seq > budget->max_buffers)
    return TRUE;
  if (budget->max_bytes != 0 && end_bytes - info->bytes_before >
      budget->max_bytes)
    return TRUE;
  if (!budget_is_unlimited_time (budget->max_time)
      && GST_CLOCK_TIME_IS_VALID (info->ts)
      && GST_CLOCK_TIME_IS_VALID (newest->ts) && newest->ts > info->ts
      && newest->ts - info->ts > budget->max_time)
    return TRUE;
  return FALSE;
}

static void
slot_info_from (RgSlotInfo * info, const RgRingSlot * slot)
{
  info->seq = slot->seq;
  info->size = slot->size;
  info->bytes_before = slot->bytes_before;
  info->keyframes_before = slot->keyframes_before;
  info->ts = slot->ts;
  info->keyframe = slot->keyframe;
}

/* Reads the metadata of buffer @seq, and a reference to it when @object is
 * not NULL. Returns FALSE when the buffer has been released. Reader side. */
static gboolean
slot_peek (RgRing * ring, guint64 seq, RgSlotInfo * info,
    GstMiniObject ** object)
{
  RgRingSlot *slot = ring_slot (ring, seq);
  gboolean held;

  pthread_mutex_lock (&slot->lock);
  held = slot->object != NULL && slot->seq == seq;
  if (held) {
    slot_info_from (info, slot);
    if (object)
      *object = gst_mini_object_ref (slot->object);
  }
  pthread_mutex_unlock (&slot->lock);
  return held;
}

/* ------------------------------------------------------------------ */
/* Ring lifetime                                                        */

RgRing *
rg_ring_new (guint capacity)
{
  RgRing *ring;
  guint i;

  g_return_val_if_fail (capacity >= 2, NULL);
  g_return_val_if_fail ((capacity & (capacity - 1)) == 0, NULL);

  ring = g_aligned_alloc (1, sizeof (RgRing), RG_CACHE_LINE);
  memset (ring, 0, sizeof (RgRing));
  ring->capacity = capacity;
  ring->mask = capacity - 1;
  ring->lines = g_aligned_alloc (capacity, sizeof (RgRingSlotLine),
      RG_CACHE_LINE);
  memset (ring->lines, 0, capacity * sizeof (RgRingSlotLine));
  for (i = 0; i < capacity; i++)
    pthread_mutex_init (&ring->lines[i].slot.lock, NULL);

  atomic_init (&ring->latest_keyframe, RG_NO_SEQ);
  pthread_mutex_init (&ring->writer_lock, NULL);
  rg_cond_init_monotonic (&ring->writer_cond);
  pthread_mutex_init (&ring->readers_lock, NULL);
  pthread_mutex_init (&ring->cut_lock, NULL);
  pthread_mutex_init (&ring->events_lock, NULL);
  ring->readers = g_ptr_array_new ();
  ring->events = g_array_new (FALSE, FALSE, sizeof (RgRingEvent));
  rg_ring_set_retention (ring, NULL);
  return ring;
}

static void
release_slot (RgRing * ring, guint64 seq)
{
  RgRingSlot *slot = ring_slot (ring, seq);
  GstMiniObject *object;

  pthread_mutex_lock (&slot->lock);
  object = slot->seq == seq ? slot->object : NULL;
  if (object)
    slot->object = NULL;
  pthread_mutex_unlock (&slot->lock);
  /* The reference is dropped outside the lock: a reader that found the
   * object already owns its own reference. */
  if (object)
    gst_mini_object_unref (object);
}

static void
events_drop_all (RgRing * ring)
{
  guint i;

  for (i = 0; i < ring->events->len; i++)
    gst_event_unref (g_array_index (ring->events, RgRingEvent, i).event);
  ring->events_base += ring->events->len;
  g_array_set_size (ring->events, 0);
}

void
rg_ring_free (RgRing * ring)
{
  guint64 seq, head;
  guint i;

  g_return_if_fail (ring != NULL);
  g_return_if_fail (ring->readers->len == 0);

  head = atomic_load (&ring->head);
  for (seq = atomic_load (&ring->floor); seq < head; seq++)
    release_slot (ring, seq);
  events_drop_all (ring);
  g_array_free (ring->events, TRUE);
  g_ptr_array_free (ring->readers, TRUE);
  for (i = 0; i < ring->capacity; i++)
    pthread_mutex_destroy (&ring->lines[i].slot.lock);
  pthread_mutex_destroy (&ring->writer_lock);
  pthread_cond_destroy (&ring->writer_cond);
  pthread_mutex_destroy (&ring->readers_lock);
  pthread_mutex_destroy (&ring->cut_lock);
  pthread_mutex_destroy (&ring->events_lock);
  g_aligned_free (ring->lines);
  g_aligned_free (ring);
}

guint
rg_ring_get_capacity (RgRing * ring)
{
  return ring->capacity;
}

guint64
rg_ring_get_head (RgRing * ring)
{
  return atomic_load (&ring->head);
}

void
rg_ring_set_retention (RgRing * ring, const RgLagBudget * budget)
{
  RgLagBudget def = { RG_DEFAULT_RETAIN_BUFFERS, RG_DEFAULT_RETAIN_BYTES,
    RG_DEFAULT_RETAIN_TIME, GST_CLOCK_TIME_NONE
  };

  pthread_mutex_lock (&ring->readers_lock);
  ring->retention = budget ? *budget : def;
  pthread_mutex_unlock (&ring->readers_lock);
}

void
rg_ring_set_flushing (RgRing * ring, gboolean flushing)
{
  atomic_store (&ring->flushing, flushing);
  if (flushing) {
    pthread_mutex_lock (&ring->writer_lock);
    atomic_store (&ring->writer_waiting, FALSE);
    pthread_cond_broadcast (&ring->writer_cond);
    pthread_mutex_unlock (&ring->writer_lock);
  }
}

/* ------------------------------------------------------------------ */
/* Writer                                                               */

/* What the writer learns from one scan of the readers. */
typedef struct
{
  guint64 all_min;              /* lowest cursor of any live reader */
  guint64 block_min;            /* lowest cursor of any live BLOCK reader */
  GstClockTime block_hard_time; /* shortest hard limit among BLOCK readers */
  RgLagBudget retain;           /* widest budget to keep buffers for */
} RgScan;

static gboolean
reader_is_live (RgRingReader * r)
{
  return !atomic_load (&r->cut);
}

/* Called with readers_lock held. */
static void
scan_readers_locked (RgRing * ring, guint64 head, RgScan * scan)
{
  guint i;

  scan->all_min = head;
  scan->block_min = head;
  scan->block_hard_time = GST_CLOCK_TIME_NONE;
  scan->retain = ring->retention;
  for (i = 0; i < ring->readers->len; i++) {
    RgRingReader *r = g_ptr_array_index (ring->readers, i);
    guint64 cursor = atomic_load (&r->cursor);

    if (!reader_is_live (r))
      continue;
    scan->all_min = MIN (scan->all_min, cursor);
    if (atomic_load (&r->policy) == RG_LAG_POLICY_BLOCK) {
      scan->block_min = MIN (scan->block_min, cursor);
      if (GST_CLOCK_TIME_IS_VALID (r->budget.hard_time))
        scan->block_hard_time = MIN (scan->block_hard_time,
            r->budget.hard_time);
    } else {
      budget_widen (&scan->retain, &r->budget);
    }
  }
}

static void
scan_readers (RgRing * ring, guint64 head, RgScan * scan)
{
  pthread_mutex_lock (&ring->readers_lock);
  scan_readers_locked (ring, head, scan);
  pthread_mutex_unlock (&ring->readers_lock);
}

/* Marks @r cut unless it already is; returns TRUE when this call cut it. */
static gboolean
reader_mark_cut (RgRingReader * r)
{
  gboolean expected = FALSE;

  if (!atomic_compare_exchange_strong (&r->cut, &expected, TRUE))
    return FALSE;
  pthread_mutex_lock (&r->lock);
  atomic_store (&r->sleeping, FALSE);
  pthread_cond_signal (&r->cond);
  pthread_mutex_unlock (&r->lock);
  return TRUE;
}

/* Runs the cut callbacks of @cut (readers this writer call has just cut),
 * for those still attached. cut_lock makes rg_ring_reader_free() wait for a
 * callback in progress, so a callback never sees a freed reader. */
static void
notify_cut (RgRing * ring, GPtrArray * cut)
{
  guint i;

  pthread_mutex_lock (&ring->cut_lock);
  for (i = 0; i < cut->len; i++) {
    RgRingReader *r = g_ptr_array_index (cut, i);
    gboolean attached;

    pthread_mutex_lock (&ring->readers_lock);
    attached = g_ptr_array_find (ring->readers, r, NULL);
    pthread_mutex_unlock (&ring->readers_lock);
    if (attached && r->cut_func)
      r->cut_func (r, r->user_data);
  }
  pthread_mutex_unlock (&ring->cut_lock);
}

/* Cuts the BLOCK readers that hold the writer at @head: their hard limit
 * ran out while the writer waited. */
static void
cut_blocking_readers (RgRing * ring, guint64 head)
{
  GPtrArray *cut = g_ptr_array_new ();
  guint i;

  pthread_mutex_lock (&ring->readers_lock);
  for (i = 0; i < ring->readers->len; i++) {
    RgRingReader *r = g_ptr_array_index (ring->readers, i);

    if (atomic_load (&r->policy) == RG_LAG_POLICY_BLOCK
        && head - atomic_load (&r->cursor) >= ring->capacity
        && GST_CLOCK_TIME_IS_VALID (r->budget.hard_time)
        && reader_mark_cut (r))
      g_ptr_array_add (cut, r);
  }
  pthread_mutex_unlock (&ring->readers_lock);
  notify_cut (ring, cut);
  g_ptr_array_free (cut, TRUE);
}

/* Waits until slot @head is free of any BLOCK reader. Returns FALSE when
 * the ring started flushing. */
static gboolean
writer_wait_for_space (RgRing * ring, guint64 head)
{
  for (;;) {
    RgScan scan;
    gint64 deadline = G_MAXINT64;
    gboolean signalled = TRUE;

    if (atomic_load (&ring->flushing))
      return FALSE;
    scan_readers (ring, head, &scan);
    if (head - scan.block_min < ring->capacity)
      return TRUE;

    /* W2: announce the wait, then look again, so that a reader that
     * advanced in between is not missed. */
    atomic_store (&ring->writer_waiting, TRUE);
    scan_readers (ring, head, &scan);
    if (head - scan.block_min < ring->capacity || atomic_load (&ring->flushing)) {
      atomic_store (&ring->writer_waiting, FALSE);
      continue;
    }
    if (GST_CLOCK_TIME_IS_VALID (scan.block_hard_time))
      deadline = g_get_monotonic_time () +
          GST_TIME_AS_USECONDS (scan.block_hard_time);
    pthread_mutex_lock (&ring->writer_lock);
    while (atomic_load (&ring->writer_waiting) && signalled)
      signalled = rg_cond_wait_until (&ring->writer_cond, &ring->writer_lock,
          deadline);
    atomic_store (&ring->writer_waiting, FALSE);
    pthread_mutex_unlock (&ring->writer_lock);
    if (!signalled)
      cut_blocking_readers (ring, head);
  }
}

static GstClockTime
buffer_ts (GstBuffer * buffer)
{
  if (GST_BUFFER_DTS_IS_VALID (buffer))
    return GST_BUFFER_DTS (buffer);
  return GST_BUFFER_PTS (buffer);
}

static void
writer_fill_slot (RgRing * ring, guint64 seq, GstBuffer * buffer)
{
  RgRingSlot *slot = ring_slot (ring, seq);
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buffer,
      GST_BUFFER_FLAG_DELTA_UNIT);
  gsize size = gst_buffer_get_size (buffer);

  pthread_mutex_lock (&slot->lock);
  slot->seq = seq;
  slot->object = GST_MINI_OBJECT_CAST (buffer);
  slot->size = size;
  slot->bytes_before = ring->total_bytes;
  slot->keyframes_before = ring->total_keyframes;
  slot->ts = buffer_ts (buffer);
  slot->keyframe = keyframe;
  pthread_mutex_unlock (&slot->lock);

  ring->total_bytes += size;
  if (keyframe) {
    ring->total_keyframes++;
    atomic_store (&ring->latest_keyframe, seq);
    atomic_store (&ring->keyframe_seen, TRUE);
  }
}

/* Releases buffers from the floor up, as far as the retention rules of
 * rgring.h allow. Writer side: the writer reads its own slots' metadata
 * without the lock, since it is their only writer. */
static void
writer_advance_floor (RgRing * ring, guint64 head, const RgScan * scan)
{
  guint64 floor = atomic_load (&ring->floor);
  guint64 keep_from = atomic_load (&ring->latest_keyframe);
  RgSlotInfo newest, info;

  if (keep_from == RG_NO_SEQ)
    keep_from = head;
  slot_info_from (&newest, ring_slot (ring, head - 1));
  while (floor + 1 < head && floor < scan->block_min) {
    gboolean passed = floor < scan->all_min && floor < keep_from;

    slot_info_from (&info, ring_slot (ring, floor));
    if (!passed && !lag_exceeds (&info, head, &newest, &scan->retain))
      break;
    if (floor == atomic_load (&ring->latest_keyframe))
      atomic_store (&ring->latest_keyframe, RG_NO_SEQ);
    release_slot (ring, floor);
    floor++;
    atomic_store (&ring->floor, floor);
  }
}

/* Wakes sleeping readers and cuts those beyond their hard limit; one pass
 * over the readers. Returns the scan for writer_advance_floor(). */
static void
writer_notify_readers (RgRing * ring, guint64 head, GstClockTime newest_ts,
    RgScan * scan)
{
  GPtrArray *cut = NULL;
  guint i;

  pthread_mutex_lock (&ring->readers_lock);
  for (i = 0; i < ring->readers->len; i++) {
    RgRingReader *r = g_ptr_array_index (ring->readers, i);
    GstClockTime taken = atomic_load (&r->taken_ts);

    /* W2: head was stored (seq_cst) before this load. */
    if (atomic_load (&r->sleeping)) {
      pthread_mutex_lock (&r->lock);
      atomic_store (&r->sleeping, FALSE);
      pthread_cond_signal (&r->cond);
      pthread_mutex_unlock (&r->lock);
    }
    if (atomic_load (&r->policy) != RG_LAG_POLICY_BLOCK
        && GST_CLOCK_TIME_IS_VALID (r->budget.hard_time)
        && GST_CLOCK_TIME_IS_VALID (newest_ts) && GST_CLOCK_TIME_IS_VALID (taken)
        && newest_ts > taken && newest_ts - taken > r->budget.hard_time
        && reader_mark_cut (r)) {
      if (!cut)
        cut = g_ptr_array_new ();
      g_ptr_array_add (cut, r);
    }
  }
  scan_readers_locked (ring, head, scan);
  pthread_mutex_unlock (&ring->readers_lock);

  if (cut) {
    notify_cut (ring, cut);
    g_ptr_array_free (cut, TRUE);
  }
}

gboolean
rg_ring_push_buffer (RgRing * ring, GstBuffer * buffer)
{
  guint64 head = atomic_load (&ring->head);
  RgScan scan;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  if (!writer_wait_for_space (ring, head)) {
    gst_buffer_unref (buffer);
    return FALSE;
  }
  /* Slot head & mask may still hold buffer head - capacity when only
   * non-blocking readers lag that far: it goes now. */
  if (head >= ring->capacity && atomic_load (&ring->floor) <= head -
      ring->capacity) {
    release_slot (ring, head - ring->capacity);
    atomic_store (&ring->floor, head - ring->capacity + 1);
  }
  writer_fill_slot (ring, head, buffer);
  atomic_store (&ring->head, head + 1); /* W1 */
  writer_notify_readers (ring, head + 1, buffer_ts (buffer), &scan);
  writer_advance_floor (ring, head + 1, &scan);
  return TRUE;
}

/* Drops the events every attached reader has passed. */
static void
events_trim (RgRing * ring)
{
  guint64 min = atomic_load (&ring->events_end);
  guint i;

  pthread_mutex_lock (&ring->readers_lock);
  for (i = 0; i < ring->readers->len; i++) {
    RgRingReader *r = g_ptr_array_index (ring->readers, i);
    min = MIN (min, atomic_load (&r->event_cursor));
  }
  pthread_mutex_unlock (&ring->readers_lock);

  pthread_mutex_lock (&ring->events_lock);
  while (ring->events->len > 0 && ring->events_base < min) {
    gst_event_unref (g_array_index (ring->events, RgRingEvent, 0).event);
    g_array_remove_index (ring->events, 0);
    ring->events_base++;
  }
  pthread_mutex_unlock (&ring->events_lock);
}

void
rg_ring_push_event (RgRing * ring, GstEvent * event)
{
  RgRingEvent entry;
  RgScan scan;
  guint64 head = atomic_load (&ring->head);

  g_return_if_fail (GST_IS_EVENT (event));

  entry.position = head;
  entry.event = event;
  pthread_mutex_lock (&ring->events_lock);
  g_array_append_val (ring->events, entry);
  atomic_store (&ring->events_end, ring->events_base + ring->events->len);
  pthread_mutex_unlock (&ring->events_lock);

  events_trim (ring);
  writer_notify_readers (ring, head, GST_CLOCK_TIME_NONE, &scan);
}

void
rg_ring_clear (RgRing * ring)
{
  guint64 head = atomic_load (&ring->head);
  guint64 seq;
  guint i;

  for (seq = atomic_load (&ring->floor); seq < head; seq++)
    release_slot (ring, seq);
  atomic_store (&ring->floor, head);
  atomic_store (&ring->latest_keyframe, RG_NO_SEQ);

  pthread_mutex_lock (&ring->events_lock);
  events_drop_all (ring);
  pthread_mutex_unlock (&ring->events_lock);

  pthread_mutex_lock (&ring->readers_lock);
  for (i = 0; i < ring->readers->len; i++) {
    RgRingReader *r = g_ptr_array_index (ring->readers, i);
    guint64 cursor = atomic_load (&r->cursor);

    /* Flushed buffers are neither delivered nor dropped: take them out of
     * the reader's "in" count so that in = out + dropped + lag holds. */
    if (cursor < head)
      atomic_fetch_add (&r->start_seq, head - cursor);
    atomic_store (&r->cursor, head);
    atomic_store (&r->event_cursor, ring->events_base);
    atomic_store (&r->reset, TRUE);
  }
  pthread_mutex_unlock (&ring->readers_lock);
}

/* ------------------------------------------------------------------ */
/* Readers                                                              */

/* Where a reader that attaches (or restarts) now begins: the latest held
 * keyframe, else the next buffer, waiting for a keyframe if the stream has
 * them. Sets @wait_keyframe and @keyframes_at accordingly. */
static guint64
reader_start_position (RgRing * ring, gboolean * wait_keyframe,
    guint64 * keyframes_at)
{
  guint64 head = atomic_load (&ring->head);
  guint64 k = atomic_load (&ring->latest_keyframe);
  RgSlotInfo info;

  *keyframes_at = 0;
  if (k != RG_NO_SEQ && k < head && slot_peek (ring, k, &info, NULL)) {
    *wait_keyframe = FALSE;
    *keyframes_at = info.keyframes_before;
    return k;
  }
  *wait_keyframe = atomic_load (&ring->keyframe_seen);
  return head;
}

RgRingReader *
rg_ring_reader_new (RgRing * ring, RgLagPolicy policy,
    const RgLagBudget * budget, RgRingCutFunc cut_func, gpointer user_data)
{
  RgRingReader *r;
  guint64 start;

  g_return_val_if_fail (ring != NULL, NULL);
  g_return_val_if_fail (budget != NULL, NULL);

  r = g_aligned_alloc (1, sizeof (RgRingReader), RG_CACHE_LINE);
  memset (r, 0, sizeof (RgRingReader));
  r->ring = ring;
  r->budget = *budget;
  r->cut_func = cut_func;
  r->user_data = user_data;
  atomic_init (&r->policy, policy);
  atomic_init (&r->taken_ts, GST_CLOCK_TIME_NONE);
  pthread_mutex_init (&r->lock, NULL);
  rg_cond_init_monotonic (&r->cond);

  /* The cursor is chosen and published under readers_lock so that the
   * writer's next scan already counts this reader. */
  pthread_mutex_lock (&ring->readers_lock);
  start = reader_start_position (ring, &r->wait_keyframe,
      &r->keyframes_at_cursor);
  atomic_init (&r->cursor, start);
  atomic_init (&r->start_seq, start);
  atomic_init (&r->event_cursor, atomic_load (&ring->events_end));
  g_ptr_array_add (ring->readers, r);
  pthread_mutex_unlock (&ring->readers_lock);
  return r;
}

static void
wake_writer (RgRing * ring)
{
  pthread_mutex_lock (&ring->writer_lock);
  atomic_store (&ring->writer_waiting, FALSE);
  pthread_cond_signal (&ring->writer_cond);
  pthread_mutex_unlock (&ring->writer_lock);
}

void
rg_ring_reader_free (RgRingReader * r)
{
  RgRing *ring;

  g_return_if_fail (r != NULL);
  ring = r->ring;

  pthread_mutex_lock (&ring->readers_lock);
  g_ptr_array_remove_fast (ring->readers, r);
  pthread_mutex_unlock (&ring->readers_lock);
  /* Wait for a cut callback that may be running for this reader. */
  pthread_mutex_lock (&ring->cut_lock);
  pthread_mutex_unlock (&ring->cut_lock);
  /* A writer waiting on this reader can go on. */
  wake_writer (ring);

  pthread_mutex_destroy (&r->lock);
  pthread_cond_destroy (&r->cond);
  g_aligned_free (r);
}

void
rg_ring_reader_set_policy (RgRingReader * r, RgLagPolicy policy)
{
  pthread_mutex_lock (&r->ring->readers_lock);
  atomic_store (&r->policy, policy);
  pthread_mutex_unlock (&r->ring->readers_lock);
  wake_writer (r->ring);
}

RgLagPolicy
rg_ring_reader_get_policy (RgRingReader * r)
{
  return atomic_load (&r->policy);
}

void
rg_ring_reader_set_budget (RgRingReader * r, const RgLagBudget * budget)
{
  pthread_mutex_lock (&r->ring->readers_lock);
  r->budget = *budget;
  pthread_mutex_unlock (&r->ring->readers_lock);
}

void
rg_ring_reader_get_budget (RgRingReader * r, RgLagBudget * budget)
{
  pthread_mutex_lock (&r->ring->readers_lock);
  *budget = r->budget;
  pthread_mutex_unlock (&r->ring->readers_lock);
}

void
rg_ring_reader_set_flushing (RgRingReader * r, gboolean flushing)
{
  atomic_store (&r->flushing, flushing);
  if (flushing) {
    pthread_mutex_lock (&r->lock);
    atomic_store (&r->sleeping, FALSE);
    pthread_cond_signal (&r->cond);
    pthread_mutex_unlock (&r->lock);
  }
}

gboolean
rg_ring_reader_is_cut (RgRingReader * r)
{
  return atomic_load (&r->cut);
}

void
rg_ring_reader_restart (RgRingReader * r)
{
  RgRing *ring = r->ring;
  guint64 old = atomic_load (&r->cursor), start;

  pthread_mutex_lock (&ring->readers_lock);
  start = reader_start_position (ring, &r->wait_keyframe,
      &r->keyframes_at_cursor);
  /* What was skipped while cut off counts as dropped. */
  if (start > old)
    atomic_fetch_add (&r->dropped, start - old);
  else
    atomic_fetch_sub (&r->start_seq, old - start);
  atomic_store (&r->cursor, start);
  atomic_store (&r->taken_ts, GST_CLOCK_TIME_NONE);
  r->pending_discont = TRUE;
  atomic_store (&r->cut, FALSE);
  pthread_mutex_unlock (&ring->readers_lock);
}

/* Under RG_LAG_POLICY_KEYFRAME, a reader that lost a buffer must not
 * resume on a delta unit: it drops until the next keyframe. */
static void
reader_lost_buffers (RgRingReader * r)
{
  r->pending_discont = TRUE;
  if (atomic_load (&r->policy) == RG_LAG_POLICY_KEYFRAME)
    r->wait_keyframe = TRUE;
}

/* Moves the reader's cursor to @target, counting what it skips. When
 * @target is a keyframe the reader resumes there. */
static void
reader_skip_to (RgRingReader * r, guint64 cursor, guint64 target,
    gboolean target_is_keyframe)
{
  if (target <= cursor)
    return;
  atomic_fetch_add (&r->dropped, target - cursor);
  atomic_store (&r->cursor, target);
  reader_lost_buffers (r);
  if (target_is_keyframe)
    r->wait_keyframe = FALSE;
}

/* The latest keyframe if it is held, at or after @from and below @head. */
static gboolean
latest_held_keyframe (RgRing * ring, guint64 from, guint64 head,
    RgSlotInfo * info)
{
  guint64 k = atomic_load (&ring->latest_keyframe);

  return k != RG_NO_SEQ && k >= from && k < head
      && slot_peek (ring, k, info, NULL);
}

/* Raises the reader's max_lag_time to @lag if it is larger. */
static void
reader_note_lag_time (RgRingReader * r, GstClockTime lag)
{
  GstClockTime max = atomic_load (&r->max_lag_time);

  while (lag > max
      && !atomic_compare_exchange_weak (&r->max_lag_time, &max, lag));
}

/* The oldest buffer in [lo, newest->seq] within @budget; newest if none.
 * Within-budget is monotonic in the sequence number, so bisect. */
static guint64
find_oldest_in_budget (RgRing * ring, guint64 lo, guint64 head,
    const RgSlotInfo * newest, const RgLagBudget * budget)
{
  guint64 hi = newest->seq;

  while (lo < hi) {
    guint64 mid = lo + (hi - lo) / 2;
    RgSlotInfo info;

    if (slot_peek (ring, mid, &info, NULL)
        && !lag_exceeds (&info, head, newest, budget))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Applies the lag policy against @head. Returns FALSE when the ring moved
 * under the reader and the caller should load head again. */
static gboolean
reader_apply_policy (RgRingReader * r, guint64 head)
{
  RgRing *ring = r->ring;
  guint64 cursor = atomic_load (&r->cursor);
  guint64 floor = atomic_load (&ring->floor);
  RgLagPolicy policy = atomic_load (&r->policy);
  RgSlotInfo newest, at;
  RgLagBudget budget;

  if (cursor >= head)
    return TRUE;
  if (cursor < floor) {
    /* Released under a stalled reader: nothing older is left. Under the
     * keyframe policy resume at the latest keyframe if it is still held
     * (else wait for the next one); the budget check below still applies. */
    if (policy == RG_LAG_POLICY_KEYFRAME
        && latest_held_keyframe (ring, floor, head, &at)) {
      reader_skip_to (r, cursor, at.seq, TRUE);
      cursor = at.seq;
    } else {
      reader_skip_to (r, cursor, floor, FALSE);
      cursor = floor;
    }
  }
  if (policy == RG_LAG_POLICY_BLOCK)
    return TRUE;
  if (!slot_peek (ring, head - 1, &newest, NULL))
    return FALSE;
  if (!slot_peek (ring, cursor, &at, NULL))
    return FALSE;
  pthread_mutex_lock (&ring->readers_lock);
  budget = r->budget;
  pthread_mutex_unlock (&ring->readers_lock);
  if (GST_CLOCK_TIME_IS_VALID (newest.ts) && GST_CLOCK_TIME_IS_VALID (at.ts)
      && newest.ts > at.ts) {
    reader_note_lag_time (r, newest.ts - at.ts);
  }
  if (!lag_exceeds (&at, head, &newest, &budget))
    return TRUE;

  switch (policy) {
    case RG_LAG_POLICY_DROP:
      reader_skip_to (r, cursor, find_oldest_in_budget (ring,
              budget.max_buffers != 0 && head - cursor > budget.max_buffers ?
              head - budget.max_buffers : cursor, head, &newest, &budget),
          FALSE);
      break;
    case RG_LAG_POLICY_LATEST:
      reader_skip_to (r, cursor, head - 1, FALSE);
      break;
    case RG_LAG_POLICY_KEYFRAME:
      if (latest_held_keyframe (ring, cursor + 1, head, &at)
          && !lag_exceeds (&at, head, &newest, &budget)) {
        reader_skip_to (r, cursor, at.seq, TRUE);
      } else {
        reader_skip_to (r, cursor, head, FALSE);
      }
      break;
    default:
      break;
  }
  return TRUE;
}

/* Appends events positioned at or before @cursor. Returns the count. */
static guint
reader_take_events (RgRingReader * r, guint64 cursor, RgRingItem * items,
    guint max_items)
{
  RgRing *ring = r->ring;
  guint64 ec = atomic_load (&r->event_cursor);
  guint n = 0;

  if (ec >= atomic_load (&ring->events_end))
    return 0;
  pthread_mutex_lock (&ring->events_lock);
  while (n < max_items && ec < ring->events_base + ring->events->len) {
    RgRingEvent *e = &g_array_index (ring->events, RgRingEvent,
        ec - ring->events_base);
    if (e->position > cursor)
      break;
    items[n].object = GST_MINI_OBJECT_CAST (gst_event_ref (e->event));
    items[n].seq = e->position;
    items[n].discont = FALSE;
    n++;
    ec++;
  }
  pthread_mutex_unlock (&ring->events_lock);
  atomic_store (&r->event_cursor, ec);
  return n;
}

/* Takes buffer @seq into @item. Returns FALSE (and counts a drop) when the
 * buffer is gone or skipped while waiting for a keyframe. */
static gboolean
reader_take_buffer (RgRingReader * r, guint64 seq, RgRingItem * item)
{
  RgSlotInfo info;
  GstMiniObject *object;

  if (!slot_peek (r->ring, seq, &info, &object)) {
    atomic_fetch_add (&r->dropped, 1);
    reader_lost_buffers (r);
    return FALSE;
  }
  /* Keyframes skipped since the reader's last buffer were dropped. */
  if (info.keyframes_before > r->keyframes_at_cursor)
    atomic_fetch_add (&r->dropped_keyframes,
        info.keyframes_before - r->keyframes_at_cursor);
  r->keyframes_at_cursor = info.keyframes_before + (info.keyframe ? 1 : 0);
  if (r->wait_keyframe && !info.keyframe) {
    gst_mini_object_unref (object);
    atomic_fetch_add (&r->dropped, 1);
    r->pending_discont = TRUE;
    return FALSE;
  }
  r->wait_keyframe = FALSE;
  item->object = object;
  item->seq = seq;
  item->discont = r->pending_discont;
  r->pending_discont = FALSE;
  atomic_store (&r->taken_ts, info.ts);
  atomic_fetch_add (&r->out, 1);
  return TRUE;
}

/* Fills @items from the cursor up to @head. Returns the count. */
static guint
reader_fill (RgRingReader * r, guint64 head, RgRingItem * items,
    guint max_items)
{
  guint64 cursor = atomic_load (&r->cursor);
  guint n = 0;

  while (n < max_items) {
    guint got = reader_take_events (r, cursor, items + n, max_items - n);

    n += got;
    if (got > 0)
      continue;
    if (cursor >= head)
      break;
    if (reader_take_buffer (r, cursor, &items[n]))
      n++;
    cursor++;
  }
  atomic_store (&r->cursor, cursor);
  return n;
}

/* Sleeps until the writer publishes something, the reader flushes or is
 * cut, or @deadline passes. Returns FALSE on timeout. */
static gboolean
reader_wait (RgRingReader * r, guint64 head, guint64 events_end,
    gint64 deadline)
{
  RgRing *ring = r->ring;
  gboolean signalled = TRUE;

  /* R2: announce the sleep, then look again. */
  atomic_store (&r->sleeping, TRUE);
  if (atomic_load (&ring->head) != head
      || atomic_load (&ring->events_end) != events_end
      || atomic_load (&r->flushing) || atomic_load (&r->cut)) {
    atomic_store (&r->sleeping, FALSE);
    return TRUE;
  }
  pthread_mutex_lock (&r->lock);
  while (atomic_load (&r->sleeping) && signalled)
    signalled = rg_cond_wait_until (&r->cond, &r->lock, deadline);
  atomic_store (&r->sleeping, FALSE);
  pthread_mutex_unlock (&r->lock);
  return signalled;
}

/* After reading: a writer waiting on a BLOCK reader is woken once this
 * reader has freed half the ring, so that it refills in one go instead of
 * waking per slot. */
static void
reader_release_writer (RgRingReader * r)
{
  RgRing *ring = r->ring;

  if (atomic_load (&ring->writer_waiting)
      && atomic_load (&ring->head) - atomic_load (&r->cursor) <=
      ring->capacity / 2)
    wake_writer (ring);
}

RgRingReadResult
rg_ring_reader_read (RgRingReader * r, RgRingItem * items, guint max_items,
    guint * n_items, gboolean * want_keyframe, gint64 deadline)
{
  RgRing *ring;

  g_return_val_if_fail (r != NULL, RG_RING_READ_FLUSHING);
  g_return_val_if_fail (items != NULL && max_items > 0, RG_RING_READ_FLUSHING);
  g_return_val_if_fail (n_items != NULL, RG_RING_READ_FLUSHING);
  ring = r->ring;
  *n_items = 0;
  if (want_keyframe)
    *want_keyframe = FALSE;

  if (atomic_exchange (&r->reset, FALSE)) {
    r->pending_discont = FALSE;
    r->wait_keyframe = FALSE;
  }
  for (;;) {
    guint64 head, events_end;

    if (atomic_load (&r->flushing))
      return RG_RING_READ_FLUSHING;
    if (atomic_load (&r->cut))
      return RG_RING_READ_CUT;
    head = atomic_load (&ring->head);   /* R1 */
    events_end = atomic_load (&ring->events_end);
    if (!reader_apply_policy (r, head))
      continue;
    *n_items = reader_fill (r, head, items, max_items);
    reader_release_writer (r);
    /* While the reader drops towards a keyframe, hint that one is wanted. */
    if (want_keyframe)
      *want_keyframe = r->wait_keyframe;
    if (*n_items > 0)
      return RG_RING_READ_OK;
    if (!reader_wait (r, head, events_end, deadline))
      return RG_RING_READ_TIMEOUT;
  }
}

void
rg_ring_reader_get_stats (RgRingReader * r, RgRingReaderStats * stats)
{
  RgRing *ring = r->ring;
  guint64 head = atomic_load (&ring->head);
  guint64 cursor = atomic_load (&r->cursor);
  RgSlotInfo newest, at;

  memset (stats, 0, sizeof (*stats));
  stats->out = atomic_load (&r->out);
  stats->dropped = atomic_load (&r->dropped);
  stats->dropped_keyframes = atomic_load (&r->dropped_keyframes);
  stats->in = head - atomic_load (&r->start_seq);
  stats->lag_buffers = cursor < head ? head - cursor : 0;
  stats->max_lag_time = atomic_load (&r->max_lag_time);
  stats->cut = atomic_load (&r->cut);
  if (stats->lag_buffers > 0 && slot_peek (ring, head - 1, &newest, NULL)) {
    GstClockTime from = atomic_load (&r->taken_ts);

    if (slot_peek (ring, cursor, &at, NULL)) {
      stats->lag_bytes = newest.bytes_before + newest.size - at.bytes_before;
      from = at.ts;
    }
    if (GST_CLOCK_TIME_IS_VALID (from) && GST_CLOCK_TIME_IS_VALID (newest.ts)
        && newest.ts > from)
      stats->lag_time = newest.ts - from;
  }
  /* Any lag reported here counts as seen, so that the maximum is never
   * below a lag a caller was shown. */
  reader_note_lag_time (r, stats->lag_time);
  stats->max_lag_time = MAX (stats->max_lag_time, stats->lag_time);
}
