/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Library General Public License for more details.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-rgtee
 * @title: rgtee
 *
 * Fans one stream out to any number of branches without letting one branch
 * stall, stop or tear the others.
 *
 * The sink pad publishes a reference to every buffer into a broadcast ring
 * and returns at once; it never pushes downstream itself. Every src pad has
 * its own streaming thread and its own position in the ring, so a branch
 * that is slow, blocked, flushing, not linked, at EOS or failing does not
 * hold up the others (stock tee stops at the first branch that returns
 * anything but OK, and a queue per branch either blocks everything or drops
 * single buffers without regard to groups of pictures).
 *
 * Each branch has a lag budget (#GstRgTeePad:max-lag-buffers,
 * #GstRgTeePad:max-lag-bytes, #GstRgTeePad:max-lag-time) and a
 * #GstRgTeePad:lag-policy that says what happens when it falls further
 * behind: `block` back-pressures upstream like tee + queue (lossless, for a
 * recording branch), `drop` skips to the oldest buffer still in budget,
 * `latest` skips to the newest buffer, and `keyframe` (the default) resyncs
 * on the most recent keyframe, so that a decoder on that branch never gets
 * a delta unit without its reference. The first buffer after a skip carries
 * %GST_BUFFER_FLAG_DISCONT. Beyond #GstRgTeePad:hard-lag-time a branch is
 * cut off (element message `rg-branch-cut`) until it is re-linked.
 *
 * Buffers are never copied: every branch receives the very #GstBuffer that
 * entered. The one exception is the first buffer after a skip, which must
 * carry DISCONT on that branch only: it gets a new buffer header that
 * shares the original's memory, so the payload is still not copied.
 *
 * Serialized events (caps, segment, tags, EOS, gap, custom) are never
 * dropped: they reach every branch in order relative to the buffers that
 * branch receives, also across skips. A branch requested while playing
 * starts at the latest keyframe and first receives the current sticky
 * events.
 *
 * Element messages: `rg-lag` (rate-limited by #GstRgTee:lag-message-interval)
 * when a branch drops buffers, with the fields `branch` (string, the pad
 * name), `dropped` (guint64, total so far), `lag-buffers` (guint64) and
 * `lag-time` (guint64, nanoseconds); `rg-branch-cut` when a branch is cut
 * off, with `branch` and `lag-time`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *     h264parse ! rgtee name=t \
 *     t. ! queue ! avdec_h264 ! autovideosink \
 *     t. ! fakesink sync=true
 * ]| The display branch and the fakesink branch each keep their own pace; if
 * the decoder falls more than one second behind it resyncs on a keyframe.
 *
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency ! \
 *     h264parse ! rgtee name=t src_0::lag-policy=block \
 *     src_1::max-lag-time=200000000 \
 *     t.src_0 ! mp4mux ! filesink location=rec.mp4 \
 *     t.src_1 ! fakesink sync=true
 * ]| A lossless recording branch next to a live branch that tolerates 200 ms
 * of lag. Branch properties are set through the element, which exposes its
 * src pads as children (#GstChildProxy).
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>

#include <gst/video/video.h>

#include "gstrgtee.h"
#include "ring/rgring.h"

GST_DEBUG_CATEGORY_STATIC (gst_rg_tee_debug);
#define GST_CAT_DEFAULT gst_rg_tee_debug

#define DEFAULT_PROP_RING_SIZE 1024
#define MIN_RING_SIZE 2
#define MAX_RING_SIZE (1 << 20)
#define DEFAULT_PROP_ALLOW_NOT_LINKED FALSE
#define DEFAULT_PROP_REQUEST_KEYFRAMES TRUE
#define DEFAULT_PROP_KEYFRAME_REQUEST_INTERVAL GST_SECOND
#define DEFAULT_PROP_LAG_MESSAGE_INTERVAL GST_SECOND

#define DEFAULT_PAD_PROP_LAG_POLICY GST_RG_TEE_LAG_POLICY_KEYFRAME
#define DEFAULT_PAD_PROP_MAX_LAG_BUFFERS 300
#define DEFAULT_PAD_PROP_MAX_LAG_BYTES (64 * 1024 * 1024)
#define DEFAULT_PAD_PROP_MAX_LAG_TIME GST_SECOND
#define DEFAULT_PAD_PROP_HARD_LAG_TIME GST_CLOCK_TIME_NONE

/* A branch takes up to this many items per wake-up: a ring lets a branch
 * catch up in batches where a queue wakes once per buffer. */
#define READ_BATCH 64
/* The longest a branch thread sleeps in the ring before it looks at its
 * counters again (pending rg-lag messages, keyframe requests). */
#define READ_TIMEOUT (100 * G_TIME_SPAN_MILLISECOND)

enum
{
  PROP_0,
  PROP_RING_SIZE,
  PROP_ALLOW_NOT_LINKED,
  PROP_REQUEST_KEYFRAMES,
  PROP_KEYFRAME_REQUEST_INTERVAL,
  PROP_LAG_MESSAGE_INTERVAL,
  PROP_NUM_SRC_PADS,
  PROP_STATS,
};

enum
{
  PAD_PROP_0,
  PAD_PROP_LAG_POLICY,
  PAD_PROP_MAX_LAG_BUFFERS,
  PAD_PROP_MAX_LAG_BYTES,
  PAD_PROP_MAX_LAG_TIME,
  PAD_PROP_HARD_LAG_TIME,
  PAD_PROP_IN,
  PAD_PROP_OUT,
  PAD_PROP_DROPPED,
  PAD_PROP_DROPPED_GOPS,
  PAD_PROP_LAG_BUFFERS,
  PAD_PROP_LAG_BYTES,
  PAD_PROP_LAG_TIME,
  PAD_PROP_MAX_LAG_TIME_SEEN,
};

/**
 * GstRgTeePad:
 *
 * A branch of rgtee: its own streaming thread, lag budget, lag policy and
 * counters. The branch attaches to the ring, at the latest keyframe, when
 * the pad is both active and linked. Every property can be changed while
 * PLAYING.
 *
 * Since: 0.1
 */
struct _GstRgTeePad
{
  GstPad parent;

  /* Set at creation. */
  GstRgTee *tee;
  guint index;

  /* Under the pad's object lock. */
  RgLagPolicy policy;
  RgLagBudget budget;
  RgRingReader *reader;         /* while the pad is active and linked */
  RgRingReaderStats last_stats; /* the reader's figures when it was freed */
  guint64 pushed;               /* buffers downstream accepted */

  /* GstFlowReturn of the last push, atomic. */
  gint last_flow;

  /* Only the pad's streaming thread touches these (and attach, before the
   * thread starts, and FLUSH_STOP, while it is paused). */
  gboolean pending_eos;
  guint64 eos_seq;              /* where the stream had ended */
  guint64 reported_dropped;
  gint64 last_lag_message;      /* monotonic time, -1 = never */
};

struct _GstRgTee
{
  GstElement parent;

  GstPad *sinkpad;

  /* Under the object lock. */
  guint ring_size;
  gboolean allow_not_linked;
  gboolean request_keyframes;
  GstClockTime keyframe_request_interval;
  GstClockTime lag_message_interval;
  GHashTable *pad_indexes;
  guint next_pad_index;
  gint64 last_keyframe_request; /* monotonic time, -1 = never */

  /* attach_lock orders serialized sink events against the attaching of new
   * readers, so that a new branch gets every event exactly once: either as
   * a sticky event copied from the sink pad or through the ring. It also
   * guards the ring pointer and the flags below. Lock order: attach_lock,
   * then any object lock. */
  GMutex attach_lock;
  RgRing *ring;                 /* from READY->PAUSED to PAUSED->READY */
  gboolean flushing;
  gboolean eos_seen;

  /* Streaming (sink) thread only. */
  gboolean flow_error_posted;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static void gst_rg_tee_child_proxy_init (gpointer g_iface, gpointer iface_data);

#define gst_rg_tee_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstRgTee, gst_rg_tee, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_rg_tee_debug, "rgtee", 0,
        "fan-out through a broadcast ring");
    G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY, gst_rg_tee_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE (rgtee, "rgtee", GST_RANK_NONE, GST_TYPE_RG_TEE);

G_DEFINE_TYPE (GstRgTeePad, gst_rg_tee_pad, GST_TYPE_PAD);

static GParamSpec *pspec_stats;

static void gst_rg_tee_pad_loop (GstRgTeePad * pad);

/* ------------------------------------------------------------------ */
/* The lag policy enum                                                  */

GType
gst_rg_tee_lag_policy_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_RG_TEE_LAG_POLICY_BLOCK,
        "Never drop: upstream waits for this branch (lossless)", "block"},
    {GST_RG_TEE_LAG_POLICY_DROP,
        "Skip to the oldest buffer still within the budget", "drop"},
    {GST_RG_TEE_LAG_POLICY_LATEST, "Skip to the newest buffer", "latest"},
    {GST_RG_TEE_LAG_POLICY_KEYFRAME,
        "Resync on the most recent keyframe", "keyframe"},
    {0, NULL, NULL}
  };

  G_STATIC_ASSERT ((gint) GST_RG_TEE_LAG_POLICY_BLOCK ==
      (gint) RG_LAG_POLICY_BLOCK);
  G_STATIC_ASSERT ((gint) GST_RG_TEE_LAG_POLICY_DROP ==
      (gint) RG_LAG_POLICY_DROP);
  G_STATIC_ASSERT ((gint) GST_RG_TEE_LAG_POLICY_LATEST ==
      (gint) RG_LAG_POLICY_LATEST);
  G_STATIC_ASSERT ((gint) GST_RG_TEE_LAG_POLICY_KEYFRAME ==
      (gint) RG_LAG_POLICY_KEYFRAME);

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstRgTeeLagPolicy", values);
    g_once_init_leave (&type, t);
  }
  return (GType) type;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

/* Returns TRUE, and stamps @last with @now, when @interval has passed since
 * @last (-1 = never). An @interval of 0 never limits. The caller guards
 * @last. */
static gboolean
rate_limit_pass (gint64 * last, GstClockTime interval, gint64 now)
{
  if (*last >= 0 && interval > 0
      && (GstClockTime) (now - *last) * GST_USECOND < interval)
    return FALSE;
  *last = now;
  return TRUE;
}

/* Returns: (transfer full): a list of references to the src pads. */
static GList *
gst_rg_tee_ref_src_pads (GstRgTee * self)
{
  GList *pads;

  GST_OBJECT_LOCK (self);
  pads = g_list_copy_deep (GST_ELEMENT_CAST (self)->srcpads,
      (GCopyFunc) gst_object_ref, NULL);
  GST_OBJECT_UNLOCK (self);
  return pads;
}

static void
gst_rg_tee_post_element_message (GstRgTee * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* ------------------------------------------------------------------ */
/* GstRgTeePad: properties and counters                                 */

static void
gst_rg_tee_pad_get_stats (GstRgTeePad * pad, RgRingReaderStats * stats,
    guint64 * out)
{
  GST_OBJECT_LOCK (pad);
  if (pad->reader)
    rg_ring_reader_get_stats (pad->reader, stats);
  else
    *stats = pad->last_stats;
  *out = pad->pushed;
  GST_OBJECT_UNLOCK (pad);
}

/* Hands the pad's current budget to its reader. Called with the pad's
 * object lock held. */
static void
gst_rg_tee_pad_apply_budget_locked (GstRgTeePad * pad)
{
  if (pad->reader)
    rg_ring_reader_set_budget (pad->reader, &pad->budget);
}

static void
gst_rg_tee_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRgTeePad *pad = GST_RG_TEE_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PAD_PROP_LAG_POLICY:
      pad->policy = (RgLagPolicy) g_value_get_enum (value);
      if (pad->reader)
        rg_ring_reader_set_policy (pad->reader, pad->policy);
      break;
    case PAD_PROP_MAX_LAG_BUFFERS:
      pad->budget.max_buffers = g_value_get_uint64 (value);
      gst_rg_tee_pad_apply_budget_locked (pad);
      break;
    case PAD_PROP_MAX_LAG_BYTES:
      pad->budget.max_bytes = g_value_get_uint64 (value);
      gst_rg_tee_pad_apply_budget_locked (pad);
      break;
    case PAD_PROP_MAX_LAG_TIME:
      pad->budget.max_time = g_value_get_uint64 (value);
      gst_rg_tee_pad_apply_budget_locked (pad);
      break;
    case PAD_PROP_HARD_LAG_TIME:
      pad->budget.hard_time = g_value_get_uint64 (value);
      gst_rg_tee_pad_apply_budget_locked (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static gboolean
gst_rg_tee_pad_get_counter (GstRgTeePad * pad, guint prop_id, GValue * value)
{
  RgRingReaderStats stats;
  guint64 out;

  gst_rg_tee_pad_get_stats (pad, &stats, &out);
  switch (prop_id) {
    case PAD_PROP_IN:
      g_value_set_uint64 (value, stats.in);
      return TRUE;
    case PAD_PROP_OUT:
      g_value_set_uint64 (value, out);
      return TRUE;
    case PAD_PROP_DROPPED:
      g_value_set_uint64 (value, stats.dropped);
      return TRUE;
    case PAD_PROP_DROPPED_GOPS:
      g_value_set_uint64 (value, stats.dropped_keyframes);
      return TRUE;
    case PAD_PROP_LAG_BUFFERS:
      g_value_set_uint64 (value, stats.lag_buffers);
      return TRUE;
    case PAD_PROP_LAG_BYTES:
      g_value_set_uint64 (value, stats.lag_bytes);
      return TRUE;
    case PAD_PROP_LAG_TIME:
      g_value_set_uint64 (value, stats.lag_time);
      return TRUE;
    case PAD_PROP_MAX_LAG_TIME_SEEN:
      g_value_set_uint64 (value, stats.max_lag_time);
      return TRUE;
    default:
      return FALSE;
  }
}

static void
gst_rg_tee_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRgTeePad *pad = GST_RG_TEE_PAD (object);

  if (gst_rg_tee_pad_get_counter (pad, prop_id, value))
    return;

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PAD_PROP_LAG_POLICY:
      g_value_set_enum (value, (gint) pad->policy);
      break;
    case PAD_PROP_MAX_LAG_BUFFERS:
      g_value_set_uint64 (value, pad->budget.max_buffers);
      break;
    case PAD_PROP_MAX_LAG_BYTES:
      g_value_set_uint64 (value, pad->budget.max_bytes);
      break;
    case PAD_PROP_MAX_LAG_TIME:
      g_value_set_uint64 (value, pad->budget.max_time);
      break;
    case PAD_PROP_HARD_LAG_TIME:
      g_value_set_uint64 (value, pad->budget.hard_time);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

/* Builds the per-branch structure of the element's "stats". */
static GstStructure *
gst_rg_tee_pad_build_stats (GstRgTeePad * pad)
{
  RgRingReaderStats stats;
  guint64 out;

  gst_rg_tee_pad_get_stats (pad, &stats, &out);
  return gst_structure_new ("rgtee-branch-stats",
      "in", G_TYPE_UINT64, stats.in,
      "out", G_TYPE_UINT64, out,
      "dropped", G_TYPE_UINT64, stats.dropped,
      "dropped-gops", G_TYPE_UINT64, stats.dropped_keyframes,
      "lag-buffers", G_TYPE_UINT64, stats.lag_buffers,
      "lag-bytes", G_TYPE_UINT64, stats.lag_bytes,
      "lag-time", G_TYPE_UINT64, stats.lag_time,
      "max-lag-time-seen", G_TYPE_UINT64, stats.max_lag_time,
      "cut", G_TYPE_BOOLEAN, stats.cut, NULL);
}

/* ------------------------------------------------------------------ */
/* GstRgTeePad: the branch streaming thread                             */

/* Whether a branch other than @pad still accepts data (its last push was
 * OK), so that the stream goes on without @pad. */
static gboolean
gst_rg_tee_other_branch_left (GstRgTee * tee, GstRgTeePad * pad)
{
  gboolean left = FALSE;
  GList *l;

  GST_OBJECT_LOCK (tee);
  for (l = GST_ELEMENT_CAST (tee)->srcpads; l != NULL && !left; l = l->next)
    left = l->data != (gpointer) pad &&
        g_atomic_int_get (&GST_RG_TEE_PAD (l->data)->last_flow) ==
        GST_FLOW_OK;
  GST_OBJECT_UNLOCK (tee);
  return left;
}

/* A branch entered a fatal flow: say whether the stream goes on. When it
 * was the last branch accepting data, the person reading the warning must
 * learn that the stream stops (the next buffer fails upstream) and where
 * to look, not that other branches go on. */
static void
gst_rg_tee_pad_warn_failed (GstRgTee * tee, GstRgTeePad * pad,
    GstFlowReturn ret)
{
  if (gst_rg_tee_other_branch_left (tee, pad)) {
    GST_ELEMENT_WARNING (tee, STREAM, FAILED,
        ("Branch %s stopped accepting data (%s); the other branches go on.",
            GST_OBJECT_NAME (pad), gst_flow_get_name (ret)),
        ("downstream of %s:%s returned %s", GST_DEBUG_PAD_NAME (pad),
            gst_flow_get_name (ret)));
    return;
  }
  GST_ELEMENT_WARNING (tee, STREAM, FAILED,
      ("Branch %s stopped accepting data (%s) and no branch is left that "
          "accepts data: the stream stops. Look at the error of the elements "
          "after %s, or link a working branch.", GST_OBJECT_NAME (pad),
          gst_flow_get_name (ret), GST_OBJECT_NAME (pad)),
      ("downstream of %s:%s returned %s; no other branch is OK",
          GST_DEBUG_PAD_NAME (pad), gst_flow_get_name (ret)));
}

/* Records the result of a push. A branch that stops accepting data never
 * stops the others; a fatal error is reported once, as a warning, when the
 * branch enters it. */
static void
gst_rg_tee_pad_record_flow (GstRgTeePad * pad, GstFlowReturn ret)
{
  GstFlowReturn old = (GstFlowReturn) g_atomic_int_get (&pad->last_flow);
  GstRgTee *tee = pad->tee;

  if (ret == old)
    return;
  g_atomic_int_set (&pad->last_flow, ret);
  GST_DEBUG_OBJECT (pad, "flow %s -> %s", gst_flow_get_name (old),
      gst_flow_get_name (ret));
  if (ret <= GST_FLOW_NOT_NEGOTIATED && tee != NULL)
    gst_rg_tee_pad_warn_failed (tee, pad, ret);
}

/* The first buffer after a skip must carry DISCONT on this branch only, but
 * the buffer is shared with the other branches: give it a new header that
 * shares the original's memory (the payload is not copied). */
static GstBuffer *
gst_rg_tee_mark_discont (GstBuffer * buffer)
{
  GstBuffer *header;

  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT))
    return buffer;
  header = gst_buffer_copy (buffer);
  gst_buffer_unref (buffer);
  GST_BUFFER_FLAG_SET (header, GST_BUFFER_FLAG_DISCONT);
  return header;
}

/* A branch that attached after EOS never reads that EOS from the ring (it
 * was published before): push one after the buffers the branch started
 * with, before anything of a next stream. It also carries the sticky
 * events downstream when no data follows. */
static void
gst_rg_tee_pad_push_pending_eos (GstRgTeePad * pad)
{
  pad->pending_eos = FALSE;
  GST_DEBUG_OBJECT (pad, "attached after EOS, pushing EOS");
  gst_pad_push_event (GST_PAD_CAST (pad), gst_event_new_eos ());
}

/* Pushes what the ring handed out, in order. No lock is held. */
static void
gst_rg_tee_pad_push_items (GstRgTeePad * pad, RgRingItem * items, guint n_items)
{
  guint i;

  for (i = 0; i < n_items; i++) {
    GstBuffer *buffer;
    GstFlowReturn ret;

    if (pad->pending_eos && items[i].seq >= pad->eos_seq)
      gst_rg_tee_pad_push_pending_eos (pad);
    if (GST_IS_EVENT (items[i].object)) {
      gst_pad_push_event (GST_PAD_CAST (pad), GST_EVENT_CAST (items[i].object));
      continue;
    }
    buffer = GST_BUFFER_CAST (items[i].object);
    if (items[i].discont)
      buffer = gst_rg_tee_mark_discont (buffer);
    ret = gst_pad_push (GST_PAD_CAST (pad), buffer);
    /* Counted before the next item goes, so that "out" is exact once a
     * later event has arrived downstream. */
    if (ret == GST_FLOW_OK) {
      GST_OBJECT_LOCK (pad);
      pad->pushed++;
      GST_OBJECT_UNLOCK (pad);
    }
    gst_rg_tee_pad_record_flow (pad, ret);
  }
}

/* Asks upstream for a keyframe, at most once per keyframe-request-interval
 * for the whole element. */
static void
gst_rg_tee_request_keyframe (GstRgTee * self, GstRgTeePad * pad)
{
  gboolean send;

  GST_OBJECT_LOCK (self);
  send = self->request_keyframes
      && rate_limit_pass (&self->last_keyframe_request,
      self->keyframe_request_interval, g_get_monotonic_time ());
  GST_OBJECT_UNLOCK (self);
  if (!send)
    return;

  GST_DEBUG_OBJECT (pad, "dropped to a keyframe wait, asking upstream");
  gst_pad_push_event (self->sinkpad,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
}

/* Posts "rg-lag" when the branch dropped buffers since the last message,
 * at most once per lag-message-interval. The lag reported is @before, the
 * lag the branch had just before the read that dropped. */
static void
gst_rg_tee_pad_report_lag (GstRgTeePad * pad, const RgRingReaderStats * before)
{
  GstRgTee *tee = pad->tee;
  GstClockTime interval;
  RgRingReaderStats after;

  rg_ring_reader_get_stats (pad->reader, &after);
  if (after.dropped <= pad->reported_dropped)
    return;
  GST_OBJECT_LOCK (tee);
  interval = tee->lag_message_interval;
  GST_OBJECT_UNLOCK (tee);
  if (!rate_limit_pass (&pad->last_lag_message, interval,
          g_get_monotonic_time ()))
    return;

  pad->reported_dropped = after.dropped;
  GST_INFO_OBJECT (pad, "dropped %" G_GUINT64_FORMAT ", lag %" G_GUINT64_FORMAT
      " buffers, %" GST_TIME_FORMAT, after.dropped, before->lag_buffers,
      GST_TIME_ARGS (before->lag_time));
  gst_rg_tee_post_element_message (tee, gst_structure_new ("rg-lag",
          "branch", G_TYPE_STRING, GST_OBJECT_NAME (pad),
          "dropped", G_TYPE_UINT64, after.dropped,
          "lag-buffers", G_TYPE_UINT64, before->lag_buffers,
          "lag-time", G_TYPE_UINT64, before->lag_time, NULL));
}

static void
gst_rg_tee_pad_loop (GstRgTeePad * pad)
{
  RgRingItem items[READ_BATCH];
  RgRingReaderStats before;
  RgRingReadResult res;
  gboolean want_keyframe = FALSE;
  guint n_items = 0;

  /* The reader is attached before the task starts and freed only after it
   * stopped, so this thread may use it without the lock. */
  rg_ring_reader_get_stats (pad->reader, &before);
  res = rg_ring_reader_read (pad->reader, items, READ_BATCH, &n_items,
      &want_keyframe, g_get_monotonic_time () + READ_TIMEOUT);
  switch (res) {
    case RG_RING_READ_OK:
      gst_rg_tee_pad_push_items (pad, items, n_items);
      break;
    case RG_RING_READ_TIMEOUT:
      /* Nothing left before the EOS; wait for a peer to hand it to. */
      if (pad->pending_eos && gst_pad_is_linked (GST_PAD_CAST (pad)))
        gst_rg_tee_pad_push_pending_eos (pad);
      break;
    case RG_RING_READ_FLUSHING:
      GST_DEBUG_OBJECT (pad, "flushing, pausing");
      gst_pad_pause_task (GST_PAD_CAST (pad));
      return;
    case RG_RING_READ_CUT:
      GST_INFO_OBJECT (pad, "cut off, pausing until re-linked");
      gst_pad_pause_task (GST_PAD_CAST (pad));
      return;
  }

  gst_rg_tee_pad_report_lag (pad, &before);
  if (want_keyframe)
    gst_rg_tee_request_keyframe (pad->tee, pad);
}

/* The ring's cut callback: runs in the writer (sink) thread. */
static void
gst_rg_tee_pad_cut (RgRingReader * reader, gpointer user_data)
{
  GstRgTeePad *pad = GST_RG_TEE_PAD (user_data);
  RgRingReaderStats stats;

  rg_ring_reader_get_stats (reader, &stats);
  GST_WARNING_OBJECT (pad, "cut off after lagging %" GST_TIME_FORMAT,
      GST_TIME_ARGS (stats.lag_time));
  gst_rg_tee_post_element_message (pad->tee,
      gst_structure_new ("rg-branch-cut",
          "branch", G_TYPE_STRING, GST_OBJECT_NAME (pad),
          "lag-time", G_TYPE_UINT64, stats.lag_time, NULL));
}

/* ------------------------------------------------------------------ */
/* GstRgTeePad: activation and re-linking                               */

static gboolean
copy_sticky_event (GstPad * sinkpad, GstEvent ** event, gpointer user_data)
{
  GstPad *srcpad = GST_PAD_CAST (user_data);
  GstFlowReturn ret;

  /* A stored EOS would mark the src pad EOS before it was ever pushed;
   * the branch thread pushes it instead (pending_eos). */
  if (GST_EVENT_TYPE (*event) == GST_EVENT_EOS)
    return TRUE;
  ret = gst_pad_store_sticky_event (srcpad, *event);
  if (ret != GST_FLOW_OK)
    GST_DEBUG_OBJECT (srcpad, "could not store %" GST_PTR_FORMAT ": %s",
        *event, gst_flow_get_name (ret));
  return TRUE;
}

/* Attaches a reader for @pad and gives the pad the sink pad's sticky
 * events, both under attach_lock so that no serialized event falls between
 * the two. Called once the pad is active and linked. */
static gboolean
gst_rg_tee_attach (GstRgTee * self, GstRgTeePad * pad, gboolean * flushing)
{
  RgRingReader *reader;
  RgLagPolicy policy;
  RgLagBudget budget;

  GST_OBJECT_LOCK (pad);
  policy = pad->policy;
  budget = pad->budget;
  GST_OBJECT_UNLOCK (pad);

  g_mutex_lock (&self->attach_lock);
  if (self->ring == NULL)
    goto no_ring;
  reader = rg_ring_reader_new (self->ring, policy, &budget,
      gst_rg_tee_pad_cut, pad);
  *flushing = self->flushing;
  rg_ring_reader_set_flushing (reader, *flushing);
  gst_pad_sticky_events_foreach (self->sinkpad, copy_sticky_event, pad);
  pad->pending_eos = self->eos_seen;
  pad->eos_seq = rg_ring_get_head (self->ring);
  g_mutex_unlock (&self->attach_lock);

  /* Settings changed since they were copied above reach the reader too. */
  GST_OBJECT_LOCK (pad);
  pad->reader = reader;
  rg_ring_reader_set_policy (reader, pad->policy);
  rg_ring_reader_set_budget (reader, &pad->budget);
  pad->pushed = 0;
  GST_OBJECT_UNLOCK (pad);
  g_atomic_int_set (&pad->last_flow, GST_FLOW_OK);
  pad->reported_dropped = 0;
  pad->last_lag_message = -1;
  return TRUE;

  /* ERRORS */
no_ring:
  {
    g_mutex_unlock (&self->attach_lock);
    GST_WARNING_OBJECT (pad, "cannot activate before the element is PAUSED");
    return FALSE;
  }
}

static gboolean
gst_rg_tee_pad_start_task (GstRgTeePad * pad)
{
  return gst_pad_start_task (GST_PAD_CAST (pad),
      (GstTaskFunction) gst_rg_tee_pad_loop, pad, NULL);
}

/* Attaches the branch and starts its thread once the pad is both active
 * and linked: a branch requested while data flows would otherwise push its
 * first group of pictures into nothing before the application links it.
 * Called with the pad's stream lock held, which serialises activation and
 * linking, so the branch attaches once. */
static gboolean
gst_rg_tee_pad_attach_and_start (GstRgTeePad * pad)
{
  gboolean flushing = FALSE, attached;

  GST_OBJECT_LOCK (pad);
  attached = pad->reader != NULL;
  GST_OBJECT_UNLOCK (pad);
  if (attached || !gst_pad_is_linked (GST_PAD_CAST (pad)))
    return TRUE;
  if (pad->tee == NULL || !gst_rg_tee_attach (pad->tee, pad, &flushing))
    return FALSE;
  /* During a flush the task starts at FLUSH_STOP with the others. */
  if (flushing)
    return TRUE;
  return gst_rg_tee_pad_start_task (pad);
}

static gboolean
gst_rg_tee_pad_activate (GstRgTeePad * pad)
{
  gboolean res;

  GST_PAD_STREAM_LOCK (pad);
  res = gst_rg_tee_pad_attach_and_start (pad);
  GST_PAD_STREAM_UNLOCK (pad);
  return res;
}

static void
gst_rg_tee_pad_deactivate (GstRgTeePad * pad)
{
  RgRingReader *reader;

  GST_OBJECT_LOCK (pad);
  if (pad->reader)
    rg_ring_reader_set_flushing (pad->reader, TRUE);
  GST_OBJECT_UNLOCK (pad);
  gst_pad_stop_task (GST_PAD_CAST (pad));

  /* Look again: a link may have attached the branch meanwhile. Nobody
   * uses the reader once the pointer is cleared under the lock. */
  GST_OBJECT_LOCK (pad);
  reader = pad->reader;
  pad->reader = NULL;
  if (reader)
    rg_ring_reader_get_stats (reader, &pad->last_stats);
  GST_OBJECT_UNLOCK (pad);
  if (reader)
    rg_ring_reader_free (reader);
}

static gboolean
gst_rg_tee_pad_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active)
    return gst_rg_tee_pad_activate (GST_RG_TEE_PAD (pad));
  gst_rg_tee_pad_deactivate (GST_RG_TEE_PAD (pad));
  return TRUE;
}

/* Restarts a cut-off branch at the latest keyframe. Returns FALSE when the
 * branch was not cut. Called with the stream lock held, which keeps the
 * branch thread out of the reader. */
static gboolean
gst_rg_tee_pad_restart_if_cut (GstRgTeePad * pad)
{
  RgRingReader *reader;

  GST_OBJECT_LOCK (pad);
  reader = pad->reader;
  GST_OBJECT_UNLOCK (pad);
  if (reader == NULL || !rg_ring_reader_is_cut (reader))
    return FALSE;
  GST_INFO_OBJECT (pad, "re-linked after a cut-off, restarting");
  rg_ring_reader_restart (reader);
  gst_rg_tee_pad_start_task (pad);
  return TRUE;
}

/* Linking attaches a new branch, or restarts one that was cut off. */
static void
gst_rg_tee_pad_linked (GstPad * gpad, GstPad * peer)
{
  GstRgTeePad *pad = GST_RG_TEE_PAD (gpad);
  gboolean attached, cut, active;

  g_atomic_int_set (&pad->last_flow, GST_FLOW_OK);
  GST_OBJECT_LOCK (pad);
  attached = pad->reader != NULL;
  cut = attached && rg_ring_reader_is_cut (pad->reader);
  GST_OBJECT_UNLOCK (pad);
  /* A running branch's thread may hold the stream lock while it waits for
   * data: leave it alone. */
  if (attached && !cut)
    return;

  GST_PAD_STREAM_LOCK (gpad);
  GST_OBJECT_LOCK (pad);
  active = GST_PAD_MODE (gpad) == GST_PAD_MODE_PUSH;
  GST_OBJECT_UNLOCK (pad);
  if (active && !gst_rg_tee_pad_restart_if_cut (pad))
    gst_rg_tee_pad_attach_and_start (pad);
  GST_PAD_STREAM_UNLOCK (gpad);
}

/* ------------------------------------------------------------------ */
/* GstRgTeePad: class                                                   */

static void
gst_rg_tee_pad_class_init (GstRgTeePadClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstPadClass *pad_class = (GstPadClass *) klass;
  GParamFlags rw = G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
      G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_rg_tee_pad_set_property;
  gobject_class->get_property = gst_rg_tee_pad_get_property;
  pad_class->linked = gst_rg_tee_pad_linked;

  /**
   * GstRgTeePad:lag-policy:
   *
   * What the branch does when it lags more than its budget.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PAD_PROP_LAG_POLICY,
      g_param_spec_enum ("lag-policy", "Lag policy",
          "What the branch does when it lags more than its budget: block "
          "(lossless, upstream waits), drop (skip to the oldest buffer in "
          "budget), latest (skip to the newest) or keyframe (resync on the "
          "most recent keyframe)", GST_TYPE_RG_TEE_LAG_POLICY,
          DEFAULT_PAD_PROP_LAG_POLICY, rw));
  g_object_class_install_property (gobject_class, PAD_PROP_MAX_LAG_BUFFERS,
      g_param_spec_uint64 ("max-lag-buffers", "Max lag in buffers",
          "Most buffers the branch may lag behind the newest before its "
          "policy applies (0 = unlimited; ignored by block)", 0, G_MAXUINT64,
          DEFAULT_PAD_PROP_MAX_LAG_BUFFERS, rw));
  g_object_class_install_property (gobject_class, PAD_PROP_MAX_LAG_BYTES,
      g_param_spec_uint64 ("max-lag-bytes", "Max lag in bytes",
          "Most bytes the branch may lag behind the newest before its policy "
          "applies (0 = unlimited; ignored by block)", 0, G_MAXUINT64,
          DEFAULT_PAD_PROP_MAX_LAG_BYTES, rw));
  g_object_class_install_property (gobject_class, PAD_PROP_MAX_LAG_TIME,
      g_param_spec_uint64 ("max-lag-time", "Max lag in time",
          "Most time (buffer DTS, else PTS, in ns) the branch may lag behind "
          "the newest before its policy applies (-1 = unlimited; ignored by "
          "block)", 0, G_MAXUINT64, DEFAULT_PAD_PROP_MAX_LAG_TIME, rw));
  g_object_class_install_property (gobject_class, PAD_PROP_HARD_LAG_TIME,
      g_param_spec_uint64 ("hard-lag-time", "Hard lag limit",
          "Lag (ns) after which the branch is cut off until re-linked, with "
          "an rg-branch-cut message; for block, the longest upstream waits "
          "on this branch (-1 = never)", 0, G_MAXUINT64,
          DEFAULT_PAD_PROP_HARD_LAG_TIME, rw));

  g_object_class_install_property (gobject_class, PAD_PROP_IN,
      g_param_spec_uint64 ("in", "In", "Buffers published since the branch "
          "started", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_OUT,
      g_param_spec_uint64 ("out", "Out", "Buffers pushed by this pad and "
          "accepted downstream", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped", "Buffers the branch skipped",
          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_DROPPED_GOPS,
      g_param_spec_uint64 ("dropped-gops", "Dropped GOPs",
          "Keyframes among the skipped buffers (groups of pictures lost "
          "whole or in part)", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_LAG_BUFFERS,
      g_param_spec_uint64 ("lag-buffers", "Lag in buffers",
          "Buffers published and not yet taken by the branch", 0, G_MAXUINT64,
          0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_LAG_BYTES,
      g_param_spec_uint64 ("lag-bytes", "Lag in bytes",
          "Bytes published and not yet taken by the branch", 0, G_MAXUINT64,
          0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_LAG_TIME,
      g_param_spec_uint64 ("lag-time", "Lag in time",
          "Time (ns) between the branch's next buffer and the newest", 0,
          G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PAD_PROP_MAX_LAG_TIME_SEEN,
      g_param_spec_uint64 ("max-lag-time-seen", "Max lag time seen",
          "Largest lag-time (ns) seen since the branch started", 0,
          G_MAXUINT64, 0, ro));
}

static void
gst_rg_tee_pad_init (GstRgTeePad * pad)
{
  pad->policy = (RgLagPolicy) DEFAULT_PAD_PROP_LAG_POLICY;
  pad->budget.max_buffers = DEFAULT_PAD_PROP_MAX_LAG_BUFFERS;
  pad->budget.max_bytes = DEFAULT_PAD_PROP_MAX_LAG_BYTES;
  pad->budget.max_time = DEFAULT_PAD_PROP_MAX_LAG_TIME;
  pad->budget.hard_time = DEFAULT_PAD_PROP_HARD_LAG_TIME;
  /* Not linked until linked: like a tee pad pushing into nothing. */
  pad->last_flow = GST_FLOW_NOT_LINKED;
  pad->last_lag_message = -1;
}

/* ------------------------------------------------------------------ */
/* Sink pad: data                                                       */

/* The sink chain's return: OK while any branch's last push was OK (a
 * branch that failed never stops the others); otherwise what all of them
 * say together. */
static GstFlowReturn
gst_rg_tee_combine_flows (GstRgTee * self)
{
  GstFlowReturn fatal = GST_FLOW_OK;
  gboolean any = FALSE, all_eos = TRUE, any_flushing = FALSE, allow;
  GList *l;

  GST_OBJECT_LOCK (self);
  allow = self->allow_not_linked;
  for (l = GST_ELEMENT_CAST (self)->srcpads; l != NULL; l = l->next) {
    GstFlowReturn ret = (GstFlowReturn)
        g_atomic_int_get (&GST_RG_TEE_PAD (l->data)->last_flow);

    if (ret == GST_FLOW_OK) {
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_OK;
    }
    any = TRUE;
    all_eos &= ret == GST_FLOW_EOS;
    any_flushing |= ret == GST_FLOW_FLUSHING;
    if (ret <= GST_FLOW_NOT_NEGOTIATED && fatal == GST_FLOW_OK)
      fatal = ret;
  }
  GST_OBJECT_UNLOCK (self);

  if (fatal != GST_FLOW_OK)
    goto all_failed;
  if (any && all_eos)
    return GST_FLOW_EOS;
  /* Branches that flush are shutting down or seeking: stop quietly. */
  if (any_flushing)
    return GST_FLOW_FLUSHING;
  return allow ? GST_FLOW_OK : GST_FLOW_NOT_LINKED;

  /* ERRORS */
all_failed:
  {
    if (!self->flow_error_posted) {
      self->flow_error_posted = TRUE;
      /* As GST_ELEMENT_FLOW_ERROR (same domain and flow-return detail),
       * but saying that no branch is left and what to do about it. */
      GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, FAILED,
          ("No branch accepts data any more: every branch failed (%s) or "
              "was removed. Look at the errors and warnings of the branches' "
              "elements.", gst_flow_get_name (fatal)),
          ("the last push of every branch returned %s (%d)",
              gst_flow_get_name (fatal), fatal),
          ("flow-return", G_TYPE_INT, fatal, NULL));
    }
    return fatal;
  }
}

static GstFlowReturn
gst_rg_tee_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRgTee *self = GST_RG_TEE (parent);

  if (!rg_ring_push_buffer (self->ring, buffer))
    return GST_FLOW_FLUSHING;
  return gst_rg_tee_combine_flows (self);
}

static GstFlowReturn
gst_rg_tee_chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  GstRgTee *self = GST_RG_TEE (parent);
  guint i, n = gst_buffer_list_length (list);
  GstFlowReturn ret = GST_FLOW_OK;

  for (i = 0; i < n; i++) {
    GstBuffer *buffer = gst_buffer_list_get (list, i);

    if (!rg_ring_push_buffer (self->ring, gst_buffer_ref (buffer))) {
      ret = GST_FLOW_FLUSHING;
      break;
    }
  }
  gst_buffer_list_unref (list);
  if (ret != GST_FLOW_OK)
    return ret;
  return gst_rg_tee_combine_flows (self);
}

/* ------------------------------------------------------------------ */
/* Sink pad: events                                                     */

static void
gst_rg_tee_flush_start (GstRgTee * self)
{
  GList *pads, *l;

  pads = gst_rg_tee_ref_src_pads (self);
  g_mutex_lock (&self->attach_lock);
  self->flushing = TRUE;
  if (self->ring)
    rg_ring_set_flushing (self->ring, TRUE);
  for (l = pads; l != NULL; l = l->next) {
    GstRgTeePad *pad = l->data;

    GST_OBJECT_LOCK (pad);
    if (pad->reader)
      rg_ring_reader_set_flushing (pad->reader, TRUE);
    GST_OBJECT_UNLOCK (pad);
  }
  g_mutex_unlock (&self->attach_lock);
  g_list_free_full (pads, gst_object_unref);
}

static void
gst_rg_tee_pause_tasks (GstRgTee * self)
{
  GList *pads = gst_rg_tee_ref_src_pads (self), *l;

  for (l = pads; l != NULL; l = l->next)
    gst_pad_pause_task (GST_PAD_CAST (l->data));
  g_list_free_full (pads, gst_object_unref);
}

/* Called with attach_lock held, every branch task paused. */
static void
gst_rg_tee_pad_flush_stop_locked (GstRgTeePad * pad)
{
  GST_OBJECT_LOCK (pad);
  if (pad->reader) {
    rg_ring_reader_set_flushing (pad->reader, FALSE);
    /* A flush starts the stream anew, for a cut-off branch too. */
    if (rg_ring_reader_is_cut (pad->reader))
      rg_ring_reader_restart (pad->reader);
  }
  GST_OBJECT_UNLOCK (pad);
  pad->pending_eos = FALSE;
  g_atomic_int_set (&pad->last_flow,
      gst_pad_is_linked (GST_PAD_CAST (pad)) ? GST_FLOW_OK :
      GST_FLOW_NOT_LINKED);
}

static void
gst_rg_tee_flush_stop (GstRgTee * self)
{
  GList *pads, *l;

  pads = gst_rg_tee_ref_src_pads (self);
  g_mutex_lock (&self->attach_lock);
  if (self->ring)
    rg_ring_clear (self->ring);
  for (l = pads; l != NULL; l = l->next)
    gst_rg_tee_pad_flush_stop_locked (l->data);
  self->flushing = FALSE;
  self->eos_seen = FALSE;
  if (self->ring)
    rg_ring_set_flushing (self->ring, FALSE);
  g_mutex_unlock (&self->attach_lock);
  self->flow_error_posted = FALSE;
  g_list_free_full (pads, gst_object_unref);
}

static void
gst_rg_tee_start_tasks (GstRgTee * self)
{
  GList *pads = gst_rg_tee_ref_src_pads (self), *l;

  for (l = pads; l != NULL; l = l->next) {
    GstRgTeePad *pad = l->data;
    gboolean active;

    GST_OBJECT_LOCK (pad);
    active = pad->reader != NULL;
    GST_OBJECT_UNLOCK (pad);
    if (active)
      gst_rg_tee_pad_start_task (pad);
  }
  g_list_free_full (pads, gst_object_unref);
}

/* Serialized events go through the ring, so that every branch gets them in
 * order with its buffers, also across drops. */
static gboolean
gst_rg_tee_queue_event (GstRgTee * self, GstPad * pad, GstEvent * event)
{
  g_mutex_lock (&self->attach_lock);
  /* Store sticky events now (the pad itself does so only after we return)
   * so that a branch attached from here on copies them. EOS is the
   * exception: storing it sets the pad EOS, which would make the pad's own
   * store fail; eos_seen stands in for it. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    self->eos_seen = TRUE;
  else if (GST_EVENT_IS_STICKY (event))
    gst_pad_store_sticky_event (pad, event);
  if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START)
    self->eos_seen = FALSE;
  if (self->ring)
    rg_ring_push_event (self->ring, event);
  else
    gst_event_unref (event);
  g_mutex_unlock (&self->attach_lock);
  return TRUE;
}

static gboolean
gst_rg_tee_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRgTee *self = GST_RG_TEE (parent);
  gboolean res;

  GST_LOG_OBJECT (pad, "%" GST_PTR_FORMAT, event);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      gst_rg_tee_flush_start (self);
      res = gst_pad_event_default (pad, parent, event);
      gst_rg_tee_pause_tasks (self);
      return res;
    case GST_EVENT_FLUSH_STOP:
      gst_rg_tee_flush_stop (self);
      res = gst_pad_event_default (pad, parent, event);
      gst_rg_tee_start_tasks (self);
      return res;
    default:
      if (GST_EVENT_IS_SERIALIZED (event))
        return gst_rg_tee_queue_event (self, pad, event);
      return gst_pad_event_default (pad, parent, event);
  }
}

/* ------------------------------------------------------------------ */
/* Sink pad: queries                                                    */

/* Folds one branch's allocation answer into @query: the largest alignment,
 * prefix and padding into @params, and only the metas every branch
 * supports. */
static void
gst_rg_tee_merge_allocation (GstQuery * query, GstQuery * branch,
    gboolean first, GstAllocationParams * params)
{
  guint i, n = gst_query_get_n_allocation_params (branch);

  for (i = 0; i < n; i++) {
    GstAllocationParams p;

    gst_query_parse_nth_allocation_param (branch, i, NULL, &p);
    params->align = MAX (params->align, p.align);
    params->prefix = MAX (params->prefix, p.prefix);
    params->padding = MAX (params->padding, p.padding);
  }

  if (first) {
    n = gst_query_get_n_allocation_metas (branch);
    for (i = 0; i < n; i++) {
      const GstStructure *meta_params;
      GType api = gst_query_parse_nth_allocation_meta (branch, i,
          &meta_params);

      gst_query_add_allocation_meta (query, api, meta_params);
    }
    return;
  }

  for (i = 0; i < gst_query_get_n_allocation_metas (query);) {
    GType api = gst_query_parse_nth_allocation_meta (query, i, NULL);

    if (gst_query_find_allocation_meta (branch, api, NULL))
      i++;
    else
      gst_query_remove_nth_allocation_meta (query, i);
  }
}

/* Asks the peer of one branch directly: going through the src pad would
 * push its pending sticky events from this (upstream) thread, and only the
 * branch's own thread may push on it. */
static gboolean
gst_rg_tee_query_branch (GstPad * srcpad, GstQuery * query)
{
  GstPad *peer = gst_pad_get_peer (srcpad);
  gboolean res;

  if (peer == NULL)
    return FALSE;
  res = gst_pad_query (peer, query);
  gst_object_unref (peer);
  return res;
}

/* Like tee, minus the pool: the ring holds references to buffers for as
 * long as some branch may still deliver them, so buffers from a pool sized
 * for one consumer would run out. Unlinked branches are skipped. */
static gboolean
gst_rg_tee_query_allocation (GstRgTee * self, GstQuery * query)
{
  GList *pads = gst_rg_tee_ref_src_pads (self), *l;
  GstAllocationParams params;
  GstCaps *caps;
  guint answered = 0;

  gst_allocation_params_init (&params);
  gst_query_parse_allocation (query, &caps, NULL);
  for (l = pads; l != NULL; l = l->next) {
    GstQuery *branch = gst_query_new_allocation (caps, FALSE);

    if (gst_rg_tee_query_branch (GST_PAD_CAST (l->data), branch)) {
      gst_rg_tee_merge_allocation (query, branch, answered == 0, &params);
      answered++;
    }
    gst_query_unref (branch);
  }
  g_list_free_full (pads, gst_object_unref);

  if (params.align || params.prefix || params.padding)
    gst_query_add_allocation_param (query, NULL, &params);
  GST_DEBUG_OBJECT (self, "%u branches answered the allocation query, %u "
      "metas kept", answered, gst_query_get_n_allocation_metas (query));
  return answered > 0;
}

static gboolean
gst_rg_tee_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION)
    return gst_rg_tee_query_allocation (GST_RG_TEE (parent), query);
  /* CAPS and ACCEPT_CAPS are proxied over every src pad (PROXY_CAPS);
   * everything else takes the default route. */
  return gst_pad_query_default (pad, parent, query);
}

/* ------------------------------------------------------------------ */
/* Request pads                                                         */

/* Picks the index of a new src pad: the one in @name when given (it must
 * be unused), else the next free one. Called with the object lock held. */
static gboolean
gst_rg_tee_take_index_locked (GstRgTee * self, const gchar * name,
    guint * index)
{
  if (name && sscanf (name, "src_%u", index) == 1) {
    if (g_hash_table_contains (self->pad_indexes, GUINT_TO_POINTER (*index)))
      return FALSE;
  } else {
    *index = self->next_pad_index;
    while (g_hash_table_contains (self->pad_indexes, GUINT_TO_POINTER (*index)))
      (*index)++;
  }
  self->next_pad_index = MAX (self->next_pad_index, *index + 1);
  g_hash_table_add (self->pad_indexes, GUINT_TO_POINTER (*index));
  return TRUE;
}

static void
gst_rg_tee_forget_index (GstRgTee * self, guint index)
{
  GST_OBJECT_LOCK (self);
  g_hash_table_remove (self->pad_indexes, GUINT_TO_POINTER (index));
  GST_OBJECT_UNLOCK (self);
}

static GstPad *
gst_rg_tee_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name_templ, const GstCaps * caps)
{
  GstRgTee *self = GST_RG_TEE (element);
  GstRgTeePad *pad;
  gboolean running, taken;
  gchar *name;
  guint index = 0;

  GST_OBJECT_LOCK (self);
  taken = gst_rg_tee_take_index_locked (self, name_templ, &index);
  GST_OBJECT_UNLOCK (self);
  if (!taken)
    goto not_unique;

  name = g_strdup_printf ("src_%u", index);
  pad = g_object_new (GST_TYPE_RG_TEE_PAD, "name", name, "direction",
      GST_PAD_SRC, "template", templ, NULL);
  g_free (name);
  pad->tee = self;
  pad->index = index;
  gst_pad_set_activatemode_function (GST_PAD_CAST (pad),
      GST_DEBUG_FUNCPTR (gst_rg_tee_pad_activate_mode));
  GST_PAD_SET_PROXY_CAPS (GST_PAD_CAST (pad));

  /* A pad requested while data flows attaches (at the latest keyframe,
   * with the current sticky events) and starts its thread before it is
   * added, as an element's pads must be active while it runs. */
  g_mutex_lock (&self->attach_lock);
  running = self->ring != NULL;
  g_mutex_unlock (&self->attach_lock);
  if (running && !gst_pad_activate_mode (GST_PAD_CAST (pad),
          GST_PAD_MODE_PUSH, TRUE))
    goto activate_failed;

  gst_element_add_pad (element, GST_PAD_CAST (pad));
  gst_child_proxy_child_added (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  GST_DEBUG_OBJECT (self, "added %s", GST_OBJECT_NAME (pad));
  return GST_PAD_CAST (pad);

  /* ERRORS */
not_unique:
  {
    GST_ERROR_OBJECT (self, "pad name %s is already in use", name_templ);
    return NULL;
  }
activate_failed:
  {
    GST_ERROR_OBJECT (self, "could not activate %s", GST_OBJECT_NAME (pad));
    gst_object_unref (pad);
    gst_rg_tee_forget_index (self, index);
    return NULL;
  }
}

static void
gst_rg_tee_release_pad (GstElement * element, GstPad * pad)
{
  GstRgTee *self = GST_RG_TEE (element);
  GstRgTeePad *tpad = GST_RG_TEE_PAD (pad);
  guint index = tpad->index;

  GST_DEBUG_OBJECT (self, "releasing %s", GST_OBJECT_NAME (pad));
  /* Deactivation flushes the reader, stops the thread and frees the
   * reader, which also releases a writer waiting on this branch. */
  gst_pad_set_active (pad, FALSE);
  gst_object_ref (pad);
  gst_element_remove_pad (element, pad);
  gst_child_proxy_child_removed (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  gst_object_unref (pad);
  gst_rg_tee_forget_index (self, index);
}

/* ------------------------------------------------------------------ */
/* GstChildProxy: the branches are children, so that pad properties can
 * be set by name, as in gst-launch-1.0 "rgtee src_0::lag-policy=block". */

static GObject *
gst_rg_tee_child_proxy_get_child_by_index (GstChildProxy * proxy, guint index)
{
  GstElement *element = GST_ELEMENT_CAST (proxy);
  GObject *child = NULL;

  GST_OBJECT_LOCK (element);
  child = g_list_nth_data (element->srcpads, index);
  if (child)
    gst_object_ref (child);
  GST_OBJECT_UNLOCK (element);
  return child;
}

static guint
gst_rg_tee_child_proxy_get_children_count (GstChildProxy * proxy)
{
  GstElement *element = GST_ELEMENT_CAST (proxy);
  guint count;

  GST_OBJECT_LOCK (element);
  count = element->numsrcpads;
  GST_OBJECT_UNLOCK (element);
  return count;
}

static void
gst_rg_tee_child_proxy_init (gpointer g_iface, gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  iface->get_child_by_index = gst_rg_tee_child_proxy_get_child_by_index;
  iface->get_children_count = gst_rg_tee_child_proxy_get_children_count;
}

/* ------------------------------------------------------------------ */
/* Element                                                              */

static GstStructure *
gst_rg_tee_build_stats (GstRgTee * self)
{
  GstStructure *stats = gst_structure_new_empty ("rgtee-stats");
  GList *pads = gst_rg_tee_ref_src_pads (self), *l;

  for (l = pads; l != NULL; l = l->next) {
    GstStructure *branch = gst_rg_tee_pad_build_stats (l->data);

    gst_structure_set (stats, GST_OBJECT_NAME (l->data), GST_TYPE_STRUCTURE,
        branch, NULL);
    gst_structure_free (branch);
  }
  g_list_free_full (pads, gst_object_unref);
  return stats;
}

static guint
round_up_to_power_of_two (guint n)
{
  guint p = MIN_RING_SIZE;

  while (p < n && p < MAX_RING_SIZE)
    p <<= 1;
  return p;
}

static void
gst_rg_tee_set_ring_size (GstRgTee * self, guint size)
{
  guint rounded = round_up_to_power_of_two (size);
  gboolean running;

  g_mutex_lock (&self->attach_lock);
  running = self->ring != NULL;
  g_mutex_unlock (&self->attach_lock);
  if (running)
    goto running;
  if (rounded != size)
    GST_WARNING_OBJECT (self, "ring-size %u is not a power of two, using %u",
        size, rounded);
  GST_OBJECT_LOCK (self);
  self->ring_size = rounded;
  GST_OBJECT_UNLOCK (self);
  return;

  /* ERRORS */
running:
  {
    GST_WARNING_OBJECT (self, "ring-size can only be changed in NULL or "
        "READY, ignoring %u", size);
    return;
  }
}

static void
gst_rg_tee_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRgTee *self = GST_RG_TEE (object);

  if (prop_id == PROP_RING_SIZE) {
    gst_rg_tee_set_ring_size (self, g_value_get_uint (value));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ALLOW_NOT_LINKED:
      self->allow_not_linked = g_value_get_boolean (value);
      break;
    case PROP_REQUEST_KEYFRAMES:
      self->request_keyframes = g_value_get_boolean (value);
      break;
    case PROP_KEYFRAME_REQUEST_INTERVAL:
      self->keyframe_request_interval = g_value_get_uint64 (value);
      break;
    case PROP_LAG_MESSAGE_INTERVAL:
      self->lag_message_interval = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rg_tee_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRgTee *self = GST_RG_TEE (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_rg_tee_build_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_RING_SIZE:
      g_value_set_uint (value, self->ring_size);
      break;
    case PROP_ALLOW_NOT_LINKED:
      g_value_set_boolean (value, self->allow_not_linked);
      break;
    case PROP_REQUEST_KEYFRAMES:
      g_value_set_boolean (value, self->request_keyframes);
      break;
    case PROP_KEYFRAME_REQUEST_INTERVAL:
      g_value_set_uint64 (value, self->keyframe_request_interval);
      break;
    case PROP_LAG_MESSAGE_INTERVAL:
      g_value_set_uint64 (value, self->lag_message_interval);
      break;
    case PROP_NUM_SRC_PADS:
      g_value_set_uint (value, GST_ELEMENT_CAST (self)->numsrcpads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The ring lives while data may flow: created before the pads activate,
 * freed after they deactivated (which frees every reader). */
static void
gst_rg_tee_start (GstRgTee * self)
{
  guint size;

  GST_OBJECT_LOCK (self);
  size = self->ring_size;
  self->last_keyframe_request = -1;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->attach_lock);
  if (self->ring == NULL)
    self->ring = rg_ring_new (size);
  self->flushing = FALSE;
  self->eos_seen = FALSE;
  g_mutex_unlock (&self->attach_lock);
  self->flow_error_posted = FALSE;
}

static void
gst_rg_tee_stop (GstRgTee * self)
{
  RgRing *ring;

  g_mutex_lock (&self->attach_lock);
  ring = self->ring;
  self->ring = NULL;
  g_mutex_unlock (&self->attach_lock);
  if (ring)
    rg_ring_free (ring);
}

static GstStateChangeReturn
gst_rg_tee_change_state (GstElement * element, GstStateChange transition)
{
  GstRgTee *self = GST_RG_TEE (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      gst_rg_tee_start (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* Release a writer waiting on a blocking branch. */
      g_mutex_lock (&self->attach_lock);
      if (self->ring)
        rg_ring_set_flushing (self->ring, TRUE);
      g_mutex_unlock (&self->attach_lock);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_rg_tee_stop (self);
  return ret;
}

static void
gst_rg_tee_finalize (GObject * object)
{
  GstRgTee *self = GST_RG_TEE (object);

  if (self->ring)
    rg_ring_free (self->ring);
  g_hash_table_unref (self->pad_indexes);
  g_mutex_clear (&self->attach_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rg_tee_install_properties (GObjectClass * gobject_class)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  g_object_class_install_property (gobject_class, PROP_RING_SIZE,
      g_param_spec_uint ("ring-size", "Ring size",
          "Slots in the ring (a power of two): the most buffers a block "
          "branch may lag before upstream waits, and the most any branch "
          "can lag at all", MIN_RING_SIZE, MAX_RING_SIZE,
          DEFAULT_PROP_RING_SIZE, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ALLOW_NOT_LINKED,
      g_param_spec_boolean ("allow-not-linked", "Allow not linked",
          "Return OK upstream instead of not-linked when no branch is "
          "linked", DEFAULT_PROP_ALLOW_NOT_LINKED,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_REQUEST_KEYFRAMES,
      g_param_spec_boolean ("request-keyframes", "Request keyframes",
          "Ask upstream for a keyframe (force-key-unit) when a keyframe "
          "branch dropped and waits for one", DEFAULT_PROP_REQUEST_KEYFRAMES,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class,
      PROP_KEYFRAME_REQUEST_INTERVAL,
      g_param_spec_uint64 ("keyframe-request-interval",
          "Keyframe request interval",
          "Least time (ns) between two keyframe requests upstream", 0,
          G_MAXUINT64, DEFAULT_PROP_KEYFRAME_REQUEST_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LAG_MESSAGE_INTERVAL,
      g_param_spec_uint64 ("lag-message-interval", "Lag message interval",
          "Least time (ns) between two rg-lag messages of one branch", 0,
          G_MAXUINT64, DEFAULT_PROP_LAG_MESSAGE_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_NUM_SRC_PADS,
      g_param_spec_uint ("num-src-pads", "Number of src pads",
          "The number of branches", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  pspec_stats = g_param_spec_boxed ("stats", "Statistics",
      "Counters of every branch: one field per src pad, named after it, "
      "holding in, out, dropped, dropped-gops, lag-buffers, lag-bytes, "
      "lag-time, max-lag-time-seen and cut", GST_TYPE_STRUCTURE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_STATS, pspec_stats);
}

static void
gst_rg_tee_class_init (GstRgTeeClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  gobject_class->finalize = gst_rg_tee_finalize;
  gobject_class->set_property = gst_rg_tee_set_property;
  gobject_class->get_property = gst_rg_tee_get_property;
  gst_rg_tee_install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class,
      "Ring fan-out", "Generic",
      "Fans a stream out to branches with their own threads and lag budgets, "
      "so a slow branch drops (GOP-aware) instead of stalling the others",
      "gst-rg authors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new_with_gtype ("src_%u", GST_PAD_SRC, GST_PAD_REQUEST,
          GST_CAPS_ANY, GST_TYPE_RG_TEE_PAD));

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_rg_tee_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_rg_tee_release_pad);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rg_tee_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_RG_TEE_PAD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_RG_TEE_LAG_POLICY, 0);
}

static void
gst_rg_tee_init (GstRgTee * self)
{
  self->ring_size = DEFAULT_PROP_RING_SIZE;
  self->allow_not_linked = DEFAULT_PROP_ALLOW_NOT_LINKED;
  self->request_keyframes = DEFAULT_PROP_REQUEST_KEYFRAMES;
  self->keyframe_request_interval = DEFAULT_PROP_KEYFRAME_REQUEST_INTERVAL;
  self->lag_message_interval = DEFAULT_PROP_LAG_MESSAGE_INTERVAL;
  self->pad_indexes = g_hash_table_new (NULL, NULL);
  self->last_keyframe_request = -1;
  g_mutex_init (&self->attach_lock);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rg_tee_chain));
  gst_pad_set_chain_list_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rg_tee_chain_list));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rg_tee_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rg_tee_sink_query));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT_CAST (self), self->sinkpad);
}
