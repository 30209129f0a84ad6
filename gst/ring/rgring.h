/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * RgRing: a single-writer, multi-reader broadcast ring of GstMiniObject
 * references.
 *
 * The writer publishes buffers; every reader has its own cursor and sees
 * every buffer once, in order, unless its lag policy makes it skip. Items are
 * references: a reader receives the very GstBuffer the writer published
 * (pointer-identical), never a copy.
 *
 * Sequence numbers are free-running 64-bit counters (they never wrap in
 * practice: 2^64 buffers at 10^9 per second is 584 years) and are masked
 * with (capacity - 1) to find a slot.
 *
 * Serialized events do not occupy slots. They go to an event log, each
 * stamped with the sequence number of the buffer they precede, and a reader
 * receives every event whose position it reaches, also across drops. Events
 * are never dropped; the log is trimmed once every reader has passed an
 * event.
 *
 * Concurrency contract
 * ====================
 * - rg_ring_push_buffer(), rg_ring_push_event(), rg_ring_clear() are writer
 *   calls: at most one thread may be inside any of them at a time (the
 *   element's streaming thread). rg_ring_push_buffer() blocks only while a
 *   reader with policy RG_LAG_POLICY_BLOCK has not consumed the slot it
 *   needs; it never waits on a reader with any other policy.
 * - rg_ring_reader_read() is a reader call: at most one thread per reader
 *   (that reader's streaming thread). Any number of readers may read
 *   concurrently with each other and with the writer.
 * - rg_ring_reader_new(), rg_ring_reader_free(), the setters and
 *   rg_ring_set_flushing() may be called from any thread at any time;
 *   rg_ring_reader_free() must not race with rg_ring_reader_read() on the
 *   same reader (stop that reader's thread first).
 * - rg_ring_reader_get_stats() may be called from any thread; the figures
 *   are a consistent-enough snapshot for monitoring, not a transaction.
 *
 * Memory reclamation
 * ==================
 * Every slot has its own lock. A reader takes its reference to a slot's
 * object while holding the slot lock and after checking the slot's sequence
 * number; the writer removes an object from its slot under the same lock
 * and drops the ring's reference only after releasing it. So a reader can
 * never ref an object the writer has already released: either the reader
 * took its reference first (and owns it), or it finds the slot emptied or
 * reused and treats the buffer as dropped. The slot locks are almost never
 * contended: the writer touches the head and the release floor, readers
 * touch their own cursors.
 *
 * The ring keeps a buffer alive only while some reader may still deliver
 * it: while a blocking reader has not read it, or while it lies within the
 * largest lag budget of the non-blocking readers and some reader has not
 * read it, or while it belongs to the newest group of pictures (from the
 * latest keyframe on, within that budget) so that a new reader can start
 * there. Memory use is therefore bounded by the lag budgets, not by the
 * capacity.
 *
 * Introspection
 * =============
 * The ring's functions are skipped by GObject introspection (the enums and
 * plain structs are in GstRg-1.0). The ring is the engine of rgtee: it
 * hands references across streaming threads into caller-allocated items,
 * and its writer and reader calls have thread contracts (one writer
 * thread, one thread per reader) that a binding's garbage collector and
 * interpreter lock cannot keep. Applications use it through rgtee, its
 * pad properties (lag-policy, max-lag-*, the lag counters) and its rg-lag
 * messages.
 */

#ifndef __RG_RING_H__
#define __RG_RING_H__

#include <gst/gst.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * RgLagPolicy:
 * @RG_LAG_POLICY_BLOCK: never drop; the writer waits for this reader once the
 *   ring is full (back-pressure, like tee + queue). Lag budgets are ignored.
 * @RG_LAG_POLICY_DROP: when over budget, skip to the oldest buffer that is
 *   still within the budget.
 * @RG_LAG_POLICY_LATEST: when over budget, skip to the newest buffer.
 * @RG_LAG_POLICY_KEYFRAME: when over budget, skip to the latest keyframe if
 *   it is within the budget, else drop everything until the next keyframe.
 *   The first buffer after a drop is always a keyframe. On a stream without
 *   delta units every buffer is a keyframe, so this resyncs to the newest.
 *
 * What a reader does when it lags more than its budget.
 */
typedef enum
{
  RG_LAG_POLICY_BLOCK,
  RG_LAG_POLICY_DROP,
  RG_LAG_POLICY_LATEST,
  RG_LAG_POLICY_KEYFRAME,
} RgLagPolicy;

/**
 * RgLagBudget:
 * @max_buffers: most buffers a reader may lag behind the newest; 0 = no limit
 * @max_bytes: most bytes a reader may lag; 0 = no limit
 * @max_time: most time (buffer DTS, else PTS) a reader may lag;
 *   GST_CLOCK_TIME_NONE = no limit
 * @hard_time: lag after which the reader is cut off (see
 *   rg_ring_reader_is_cut()); GST_CLOCK_TIME_NONE = never. For a BLOCK
 *   reader it is the longest the writer waits on it.
 *
 * A reader's lag budget. The budget is soft: it is checked whenever the
 * reader reads, so a reader that is stalled inside downstream lags further
 * until it returns (the ring still releases buffers beyond the budget, so
 * memory stays bounded).
 */
typedef struct
{
  guint64 max_buffers;
  guint64 max_bytes;
  GstClockTime max_time;
  GstClockTime hard_time;
} RgLagBudget;

/**
 * RgRingItem:
 * @object: (transfer full): a #GstBuffer or a serialized #GstEvent
 * @seq: the buffer's sequence number (for an event: the sequence number of
 *   the buffer it precedes)
 * @discont: for a buffer, TRUE when buffers were skipped just before it
 *
 * One item handed to a reader. The reader owns @object.
 */
typedef struct
{
  GstMiniObject *object;
  guint64 seq;
  gboolean discont;
} RgRingItem;

/**
 * RgRingReadResult:
 * @RG_RING_READ_OK: one or more items were returned
 * @RG_RING_READ_TIMEOUT: the deadline passed with nothing to read
 * @RG_RING_READ_FLUSHING: the reader (or the ring) is flushing
 * @RG_RING_READ_CUT: the reader lagged beyond its hard limit and is cut off
 */
typedef enum
{
  RG_RING_READ_OK,
  RG_RING_READ_TIMEOUT,
  RG_RING_READ_FLUSHING,
  RG_RING_READ_CUT,
} RgRingReadResult;

/**
 * RgRingReaderStats:
 * @in: buffers published since the reader attached
 * @out: buffers handed to the reader
 * @dropped: buffers the reader skipped
 * @dropped_keyframes: keyframes among the dropped buffers (each one starts a
 *   group of pictures that was lost whole or in part)
 * @lag_buffers: buffers published and not yet handed to the reader
 * @lag_bytes: bytes of those buffers
 * @lag_time: time between the reader's next buffer and the newest buffer
 * @max_lag_time: the largest @lag_time seen when the reader read
 * @cut: TRUE when the reader is cut off
 */
typedef struct
{
  guint64 in;
  guint64 out;
  guint64 dropped;
  guint64 dropped_keyframes;
  guint64 lag_buffers;
  guint64 lag_bytes;
  GstClockTime lag_time;
  GstClockTime max_lag_time;
  gboolean cut;
} RgRingReaderStats;

typedef struct _RgRing RgRing;
typedef struct _RgRingReader RgRingReader;

/**
 * RgRingCutFunc:
 * @reader: the reader that was cut off
 * @user_data: what was given to rg_ring_reader_new()
 *
 * Called once, from the writer's thread and with no ring lock held, when a
 * reader exceeds its hard lag limit.
 */
typedef void (*RgRingCutFunc) (RgRingReader * reader, gpointer user_data);

/**
 * rg_ring_new: (skip)
 * @capacity: number of slots, a power of two >= 2
 *
 * Returns: (transfer full): a new ring. Thread-safe.
 */
RG_API
RgRing *rg_ring_new (guint capacity);

/**
 * rg_ring_free: (skip)
 * @ring: (transfer full): a ring with no readers left
 *
 * Drops every reference the ring holds.
 */
RG_API
void rg_ring_free (RgRing * ring);

/**
 * rg_ring_get_capacity: (skip)
 * @ring: the ring
 *
 * Returns: the number of slots. Any thread.
 */
RG_API
guint rg_ring_get_capacity (RgRing * ring);

/**
 * rg_ring_set_retention: (skip)
 * @ring: the ring
 * @budget: (nullable): how much of the newest group of pictures to keep for
 *   readers that attach later (copied); NULL restores the default of 300
 *   buffers, 64 MiB, 1 s
 *
 * The ring keeps buffers from the latest keyframe on for new readers, but
 * never more than this budget or the largest budget of an attached
 * non-blocking reader, whichever is larger. Any thread.
 */
RG_API
void rg_ring_set_retention (RgRing * ring, const RgLagBudget * budget);

/**
 * rg_ring_push_buffer: (skip)
 * @ring: the ring
 * @buffer: (transfer full): the buffer to publish
 *
 * Publishes @buffer to every reader. Writer call. Blocks only while a BLOCK
 * reader lags by the whole capacity (or until it is cut by its hard limit).
 *
 * Returns: TRUE when published; FALSE when the ring is flushing (the buffer
 *   is then dropped).
 */
RG_API
gboolean rg_ring_push_buffer (RgRing * ring, GstBuffer * buffer);

/**
 * rg_ring_push_event: (skip)
 * @ring: the ring
 * @event: (transfer full): a serialized event
 *
 * Queues @event for every reader, before the next buffer. Writer call.
 * Never blocks, never drops.
 */
RG_API
void rg_ring_push_event (RgRing * ring, GstEvent * event);

/**
 * rg_ring_set_flushing: (skip)
 * @ring: the ring
 * @flushing: whether the writer side is flushing
 *
 * While flushing, rg_ring_push_buffer() returns FALSE at once, including a
 * call already waiting on a BLOCK reader. Any thread.
 */
RG_API
void rg_ring_set_flushing (RgRing * ring, gboolean flushing);

/**
 * rg_ring_clear: (skip)
 * @ring: the ring
 *
 * Drops every buffer and event still held (a flush) and moves every reader
 * to the head. Writer call; readers must be flushing (not inside
 * rg_ring_reader_read()) while it runs.
 */
RG_API
void rg_ring_clear (RgRing * ring);

/**
 * rg_ring_get_head: (skip)
 * @ring: the ring
 *
 * Returns: the sequence number the next buffer will get. Any thread.
 */
RG_API
guint64 rg_ring_get_head (RgRing * ring);

/**
 * rg_ring_reader_new: (skip)
 * @ring: the ring
 * @policy: what to do when lagging
 * @budget: the lag budget (copied)
 * @cut_func: (nullable): called when the reader is cut off
 * @user_data: for @cut_func
 *
 * Attaches a reader. It starts at the latest keyframe still held, else at
 * the next buffer to be published (waiting for a keyframe under
 * RG_LAG_POLICY_KEYFRAME), and receives only events pushed after it
 * attached. Any thread.
 *
 * Returns: (transfer full): the reader.
 */
RG_API
RgRingReader *rg_ring_reader_new (RgRing * ring, RgLagPolicy policy,
    const RgLagBudget * budget, RgRingCutFunc cut_func, gpointer user_data);

/**
 * rg_ring_reader_free: (skip)
 * @reader: (transfer full): the reader
 *
 * Detaches the reader; a writer waiting on it is released. Must not race
 * with rg_ring_reader_read() on the same reader.
 */
RG_API
void rg_ring_reader_free (RgRingReader * reader);

/**
 * rg_ring_reader_set_policy: (skip)
 * @reader: the reader
 * @policy: the new lag policy
 *
 * Any thread. A writer waiting on this reader looks again at once (a
 * reader that stops blocking releases it).
 */
RG_API
void rg_ring_reader_set_policy (RgRingReader * reader, RgLagPolicy policy);

/**
 * rg_ring_reader_get_policy: (skip)
 * @reader: the reader
 *
 * Returns: the reader's lag policy. Any thread.
 */
RG_API
RgLagPolicy rg_ring_reader_get_policy (RgRingReader * reader);

/**
 * rg_ring_reader_set_budget: (skip)
 * @reader: the reader
 * @budget: the new lag budget (copied)
 *
 * Applies from the reader's next read on. Any thread.
 */
RG_API
void rg_ring_reader_set_budget (RgRingReader * reader,
    const RgLagBudget * budget);

/**
 * rg_ring_reader_get_budget: (skip)
 * @reader: the reader
 * @budget: (out caller-allocates): the reader's lag budget
 *
 * Any thread.
 */
RG_API
void rg_ring_reader_get_budget (RgRingReader * reader, RgLagBudget * budget);

/**
 * rg_ring_reader_set_flushing: (skip)
 * @reader: the reader
 * @flushing: whether the reader is flushing
 *
 * While flushing, rg_ring_reader_read() returns RG_RING_READ_FLUSHING at
 * once, including a call already waiting. Any thread.
 */
RG_API
void rg_ring_reader_set_flushing (RgRingReader * reader, gboolean flushing);

/**
 * rg_ring_reader_read: (skip)
 * @reader: the reader
 * @items: (out caller-allocates) (array length=max_items): where to store
 *   items
 * @max_items: size of @items, >= 1
 * @n_items: (out): number of items stored
 * @want_keyframe: (out) (optional): set TRUE when the reader dropped under
 *   RG_LAG_POLICY_KEYFRAME and is waiting for a keyframe (a hint to ask
 *   upstream for one); set with RG_RING_READ_OK and RG_RING_READ_TIMEOUT
 * @deadline: g_get_monotonic_time() value after which to give up waiting;
 *   G_MAXINT64 waits until there is something or the reader flushes
 *
 * Reader call. Applies the lag policy, then returns up to @max_items items
 * in order, waiting until at least one is available. The caller owns each
 * item's object.
 *
 * Returns: what happened. Items are returned only with RG_RING_READ_OK.
 */
RG_API
RgRingReadResult rg_ring_reader_read (RgRingReader * reader,
    RgRingItem * items, guint max_items, guint * n_items,
    gboolean * want_keyframe, gint64 deadline);

/**
 * rg_ring_reader_restart: (skip)
 * @reader: the reader
 *
 * Clears the cut-off state and moves the reader to the latest keyframe, as
 * if it had just attached (events already passed are not repeated). Must
 * not race with rg_ring_reader_read() on the same reader.
 */
RG_API
void rg_ring_reader_restart (RgRingReader * reader);

/**
 * rg_ring_reader_is_cut: (skip)
 * @reader: the reader
 *
 * Returns: %TRUE when the reader lagged beyond its hard limit and is cut
 *   off until rg_ring_reader_restart(). Any thread.
 */
RG_API
gboolean rg_ring_reader_is_cut (RgRingReader * reader);

/**
 * rg_ring_reader_get_stats: (skip)
 * @reader: the reader
 * @stats: (out caller-allocates): the reader's figures
 *
 * A snapshot for monitoring (see the concurrency contract). Any thread.
 */
RG_API
void rg_ring_reader_get_stats (RgRingReader * reader,
    RgRingReaderStats * stats);

G_END_DECLS

#endif /* __RG_RING_H__ */
