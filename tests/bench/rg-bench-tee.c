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
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, see <https://www.gnu.org/licenses/>.
 */

/*
 * rg-bench-tee: rgtee against tee + queue, side by side.
 *
 * Three modes:
 *
 *   rg-bench-tee [matrix] [options]
 *       Runs every case below, each in a child process of its own (the
 *       program re-executes itself), and prints Markdown tables on stdout.
 *       A child per case keeps the cases apart: threads, allocator state and
 *       the peak resident set size (VmHWM is per process) start fresh.
 *
 *   rg-bench-tee throughput --fanout=F --branches=K --size=B --buffers=N
 *       Pushes N buffers of B bytes as fast as the pipeline takes them
 *       through fan-out F into K fakesinks, and prints "@key=value" lines:
 *       wall time, CPU time (getrusage of the whole process), and what every
 *       branch received.
 *
 *   rg-bench-tee stall --fanout=F --branches=K --size=B --rate=R
 *       Pushes R buffers per second. After a warm-up, branch 0 stalls (a
 *       pad probe that does not return) for --duration seconds; the program
 *       reports what the other branches received during that window and the
 *       peak resident set size.
 *
 * The source is a small GstPushSrc defined below. In throughput mode every
 * buffer it pushes is a new GstBuffer around the same pre-allocated
 * GstMemory, so nothing is allocated or copied per payload and the cost
 * measured is the fan-out's own. Every branch checks that it received that
 * very memory (no payload copy), every buffer, in order. In stall mode the
 * source allocates and fills a fresh payload per buffer, as a camera would,
 * so that what the fan-out holds on to shows up in the resident set size.
 *
 * Fan-outs (--fanout):
 *   tee-queue       tee, a default queue on every branch (lossless)
 *   tee-leaky       tee, queue leaky=downstream on every branch
 *   tee-leaky-slow  tee, queue leaky=downstream on branch 0 only
 *   rgtee-block     rgtee, lag-policy=block on every src pad (lossless)
 *   rgtee           rgtee, default pad settings
 */

#include <gst/gst.h>
#include "rgbench.h"
#include <gst/base/gstpushsrc.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#ifndef RG_BENCH_PLUGIN_DIR
#define RG_BENCH_PLUGIN_DIR ""
#endif

#define MIB (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* The source: one pre-allocated payload, a new GstBuffer per push.          */
/* ------------------------------------------------------------------------ */

#define RG_TYPE_BENCH_SRC (rg_bench_src_get_type ())
G_DECLARE_FINAL_TYPE (RgBenchSrc, rg_bench_src, RG, BENCH_SRC, GstPushSrc);

struct _RgBenchSrc
{
  GstPushSrc parent;

  /* Set before the pipeline leaves NULL, read by the streaming thread. */
  GstMemory *memory;            /* shared payload, NULL for a fresh one */
  gsize size;
  guint rate;                   /* buffers per second, 0 = unpaced */
  guint keyframe_interval;
  GstClockTime duration;

  /* Written by the streaming thread only, read by anyone (atomic). */
  gint produced;

  gint64 start_time;            /* monotonic time of the first buffer */
  GMutex lock;
  GCond cond;
  gboolean unlocked;            /* protected by lock */
};

G_DEFINE_TYPE (RgBenchSrc, rg_bench_src, GST_TYPE_PUSH_SRC);

static GstStaticPadTemplate bench_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rg-bench"));

/* Sleeps until buffer @n is due under the configured rate. Returns FALSE
 * when the element is being unlocked (a state change is waiting). */
static gboolean
rg_bench_src_wait (RgBenchSrc * self, guint64 n)
{
  gint64 due;
  gboolean ok;

  if (self->rate == 0)
    return TRUE;
  if (n == 0)
    self->start_time = g_get_monotonic_time ();
  due = self->start_time + (gint64) (n * G_USEC_PER_SEC / self->rate);

  g_mutex_lock (&self->lock);
  while (!self->unlocked && g_get_monotonic_time () < due)
    g_cond_wait_until (&self->cond, &self->lock, due);
  ok = !self->unlocked;
  g_mutex_unlock (&self->lock);
  return ok;
}

/* A payload for the next buffer: the shared memory, or a freshly allocated
 * and written one (so its pages count in the resident set size). */
static GstMemory *
rg_bench_src_payload (RgBenchSrc * self)
{
  GstMemory *mem;
  GstMapInfo map;

  if (self->memory)
    return gst_memory_ref (self->memory);

  mem = gst_allocator_alloc (NULL, self->size, NULL);
  if (gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    memset (map.data, 0x5a, map.size);
    gst_memory_unmap (mem, &map);
  }
  return mem;
}

static GstFlowReturn
rg_bench_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  RgBenchSrc *self = RG_BENCH_SRC (psrc);
  guint64 n = (guint64) self->produced;
  GstBuffer *buf;

  if (!rg_bench_src_wait (self, n))
    return GST_FLOW_FLUSHING;

  buf = gst_buffer_new ();
  gst_buffer_append_memory (buf, rg_bench_src_payload (self));
  GST_BUFFER_PTS (buf) = n * self->duration;
  GST_BUFFER_DTS (buf) = n * self->duration;
  GST_BUFFER_DURATION (buf) = self->duration;
  GST_BUFFER_OFFSET (buf) = n;
  GST_BUFFER_OFFSET_END (buf) = n + 1;
  if (n % self->keyframe_interval != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);

  g_atomic_int_set (&self->produced, (gint) (n + 1));
  *outbuf = buf;
  return GST_FLOW_OK;
}

static gboolean
rg_bench_src_unlock (GstBaseSrc * bsrc)
{
  RgBenchSrc *self = RG_BENCH_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->unlocked = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
rg_bench_src_unlock_stop (GstBaseSrc * bsrc)
{
  RgBenchSrc *self = RG_BENCH_SRC (bsrc);

  g_mutex_lock (&self->lock);
  self->unlocked = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
rg_bench_src_finalize (GObject * object)
{
  RgBenchSrc *self = RG_BENCH_SRC (object);

  if (self->memory)
    gst_memory_unref (self->memory);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (rg_bench_src_parent_class)->finalize (object);
}

static void
rg_bench_src_class_init (RgBenchSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->finalize = rg_bench_src_finalize;
  gst_element_class_add_static_pad_template (element_class,
      &bench_src_template);
  gst_element_class_set_static_metadata (element_class, "Benchmark source",
      "Source", "Pushes one shared payload in new buffers",
      "gst-rg authors");
  basesrc_class->unlock = rg_bench_src_unlock;
  basesrc_class->unlock_stop = rg_bench_src_unlock_stop;
  pushsrc_class->create = rg_bench_src_create;
}

static void
rg_bench_src_init (RgBenchSrc * self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->keyframe_interval = 30;
  self->duration = GST_MSECOND;
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

/* ------------------------------------------------------------------------ */
/* Measurement helpers.                                                      */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gint64 wall_us;
  gdouble user_s;
  gdouble sys_s;
} Usage;

static void
usage_now (Usage * u)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  u->wall_us = g_get_monotonic_time ();
  u->user_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  u->sys_s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}


/* Reads any integer-typed property as an unsigned 64-bit number. */
static gboolean
object_get_uint64 (gpointer object, const gchar * name, guint64 * out)
{
  GParamSpec *pspec;
  GValue value = G_VALUE_INIT;
  GValue number = G_VALUE_INIT;
  gboolean ok;

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
  if (pspec == NULL)
    return FALSE;
  g_value_init (&value, pspec->value_type);
  g_value_init (&number, G_TYPE_UINT64);
  g_object_get_property (G_OBJECT (object), name, &value);
  ok = g_value_transform (&value, &number);
  if (ok)
    *out = g_value_get_uint64 (&number);
  g_value_unset (&value);
  g_value_unset (&number);
  return ok;
}


/* ------------------------------------------------------------------------ */
/* The pipeline under test.                                                  */
/* ------------------------------------------------------------------------ */

typedef enum
{
  FANOUT_TEE_QUEUE,
  FANOUT_TEE_LEAKY,
  FANOUT_TEE_LEAKY_SLOW,
  FANOUT_RGTEE_BLOCK,
  FANOUT_RGTEE,
} FanoutKind;

typedef struct
{
  const gchar *id;
  const gchar *label;
} FanoutName;

static const FanoutName fanout_names[] = {
  [FANOUT_TEE_QUEUE] = {"tee-queue", "tee + queue"},
  [FANOUT_TEE_LEAKY] = {"tee-leaky", "tee + queue leaky=downstream"},
  [FANOUT_TEE_LEAKY_SLOW] = {"tee-leaky-slow",
      "tee + queue, leaky only on the stalled branch"},
  [FANOUT_RGTEE_BLOCK] = {"rgtee-block", "rgtee, lag-policy=block"},
  [FANOUT_RGTEE] = {"rgtee", "rgtee, default settings"},
};

static gboolean
fanout_from_id (const gchar * id, FanoutKind * kind)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fanout_names); i++) {
    if (g_strcmp0 (id, fanout_names[i].id) == 0) {
      *kind = (FanoutKind) i;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
fanout_is_rgtee (FanoutKind kind)
{
  return kind == FANOUT_RGTEE_BLOCK || kind == FANOUT_RGTEE;
}

typedef struct _Bench Bench;

/* What one branch saw. Each branch lives in its own allocation, padded, so
 * that the counters of branches served by different threads do not share a
 * cache line. */
typedef struct
{
  Bench *bench;
  GstPad *fanout_pad;           /* the fan-out's src pad (owned) */
  gboolean stalls;

  /* Written by the branch's streaming thread, read by the main thread. */
  gint count;
  gint gaps;                    /* buffers missing before one that arrived */
  gint disorder;                /* buffers not newer than their predecessor */
  gint copied;                  /* buffers not carrying the source's memory */
  gint resumes;                 /* buffers that arrived right after a gap */
  gint resumes_on_keyframe;     /* ... that were keyframes */
  gint resumes_discont;         /* ... that had DISCONT set */
  gint64 first_resume;          /* offset of the first of them, or -1 */
  gint64 last_offset;           /* streaming thread only */

  guint8 padding[128];
} Branch;

struct _Bench
{
  GstElement *pipeline;
  RgBenchSrc *src;
  GstElement *fanout;
  GstMemory *shared_memory;     /* NULL in stall mode */
  Branch **branches;
  guint n_branches;

  gint stall_active;            /* atomic; protected by stall_lock to wait */
  GMutex stall_lock;
  GCond stall_cond;

  GHashTable *element_messages; /* structure name -> count */
  FanoutKind kind;
};

static void
bench_wait_while_stalled (Bench * bench)
{
  if (!g_atomic_int_get (&bench->stall_active))
    return;
  g_mutex_lock (&bench->stall_lock);
  while (bench->stall_active)
    g_cond_wait (&bench->stall_cond, &bench->stall_lock);
  g_mutex_unlock (&bench->stall_lock);
}

static void
bench_set_stall (Bench * bench, gboolean active)
{
  g_mutex_lock (&bench->stall_lock);
  g_atomic_int_set (&bench->stall_active, active);
  g_cond_broadcast (&bench->stall_cond);
  g_mutex_unlock (&bench->stall_lock);
}

/* Called by the branch's streaming thread for every buffer it delivers. */
static void
branch_account (Branch * b, GstBuffer * buf)
{
  gint64 offset = (gint64) GST_BUFFER_OFFSET (buf);
  GstMemory *shared = b->bench->shared_memory;

  if (offset > b->last_offset + 1) {
    g_atomic_int_add (&b->gaps, (gint) (offset - b->last_offset - 1));
    if (g_atomic_int_add (&b->resumes, 1) == 0)
      b->first_resume = offset;
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      g_atomic_int_inc (&b->resumes_on_keyframe);
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      g_atomic_int_inc (&b->resumes_discont);
  } else if (offset <= b->last_offset)
    g_atomic_int_inc (&b->disorder);
  b->last_offset = offset;

  if (shared != NULL && (gst_buffer_n_memory (buf) != 1
          || gst_buffer_peek_memory (buf, 0) != shared))
    g_atomic_int_inc (&b->copied);
  g_atomic_int_inc (&b->count);
}

static gboolean
branch_account_list_item (GstBuffer ** buf, guint idx, gpointer user_data)
{
  branch_account (user_data, *buf);
  return TRUE;
}

static GstPadProbeReturn
branch_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Branch *b = user_data;

  if (b->stalls)
    bench_wait_while_stalled (b->bench);

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    branch_account (b, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
        branch_account_list_item, b);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_element (const gchar * factory, GError ** error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "no element \"%s\"; for rgtee, build the project and set "
        "GST_PLUGIN_PATH to its plugins/ directory or pass --plugin-dir",
        factory);
  return element;
}

/* Builds [queue !] fakesink for branch @b, links it to a new request pad of
 * the fan-out, and installs the counting probe on the fakesink. */
static gboolean
bench_add_branch (Bench * bench, FanoutKind kind, Branch * b, guint index,
    GError ** error)
{
  GstElement *sink, *queue = NULL;
  GstPad *sinkpad, *peer;
  gboolean leaky;

  sink = make_element ("fakesink", error);
  if (sink == NULL)
    return FALSE;
  g_object_set (sink, "sync", FALSE, "async", FALSE,
      "enable-last-sample", FALSE, "silent", TRUE, NULL);
  gst_bin_add (GST_BIN (bench->pipeline), sink);

  if (!fanout_is_rgtee (kind)) {
    queue = make_element ("queue", error);
    if (queue == NULL)
      return FALSE;
    leaky = kind == FANOUT_TEE_LEAKY
        || (kind == FANOUT_TEE_LEAKY_SLOW && index == 0);
    if (leaky)
      gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
    gst_bin_add (GST_BIN (bench->pipeline), queue);
    if (!gst_element_link (queue, sink))
      goto link_failed;
  }

  b->fanout_pad = gst_element_request_pad_simple (bench->fanout, "src_%u");
  if (b->fanout_pad == NULL)
    goto link_failed;
  if (kind == FANOUT_RGTEE_BLOCK)
    gst_util_set_object_arg (G_OBJECT (b->fanout_pad), "lag-policy", "block");

  peer = gst_element_get_static_pad (queue ? queue : sink, "sink");
  if (gst_pad_link (b->fanout_pad, peer) != GST_PAD_LINK_OK) {
    gst_object_unref (peer);
    goto link_failed;
  }
  gst_object_unref (peer);

  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, branch_probe, b, NULL);
  gst_object_unref (sinkpad);
  return TRUE;

  /* ERRORS */
link_failed:
  {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link branch %u of %s", index, fanout_names[kind].id);
    return FALSE;
  }
}

typedef struct
{
  FanoutKind kind;
  guint branches;
  gsize size;
  gint64 buffers;               /* -1: unlimited */
  guint rate;
  guint keyframe_interval;
  gboolean shared_payload;
} BenchSetup;

static void
bench_free (Bench * bench)
{
  guint i;

  if (bench->pipeline) {
    gst_element_set_state (bench->pipeline, GST_STATE_NULL);
    gst_object_unref (bench->pipeline);
  }
  for (i = 0; i < bench->n_branches; i++) {
    if (bench->branches[i]->fanout_pad)
      gst_object_unref (bench->branches[i]->fanout_pad);
    g_free (bench->branches[i]);
  }
  g_free (bench->branches);
  if (bench->shared_memory)
    gst_memory_unref (bench->shared_memory);
  g_mutex_clear (&bench->stall_lock);
  g_cond_clear (&bench->stall_cond);
  g_hash_table_unref (bench->element_messages);
  g_free (bench);
}

static void
bench_configure_source (Bench * bench, const BenchSetup * setup)
{
  RgBenchSrc *src = bench->src;
  GstMapInfo map;

  if (setup->shared_payload) {
    bench->shared_memory = gst_allocator_alloc (NULL, setup->size, NULL);
    /* Touch every page once now, so no page fault is charged to a run. */
    if (gst_memory_map (bench->shared_memory, &map, GST_MAP_WRITE)) {
      memset (map.data, 0x5a, map.size);
      gst_memory_unmap (bench->shared_memory, &map);
    }
    src->memory = gst_memory_ref (bench->shared_memory);
  }
  src->size = setup->size;
  src->rate = setup->rate;
  src->keyframe_interval = MAX (setup->keyframe_interval, 1);
  src->duration = setup->rate ? GST_SECOND / setup->rate : GST_MSECOND;
  g_object_set (src, "num-buffers", (gint) setup->buffers, NULL);
}

static Bench *
bench_new (const BenchSetup * setup, GError ** error)
{
  Bench *bench = g_new0 (Bench, 1);
  guint i;

  g_mutex_init (&bench->stall_lock);
  g_cond_init (&bench->stall_cond);
  bench->element_messages = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  bench->kind = setup->kind;
  bench->pipeline = gst_pipeline_new ("bench");
  bench->src = g_object_new (RG_TYPE_BENCH_SRC, "name", "src", NULL);
  gst_bin_add (GST_BIN (bench->pipeline), GST_ELEMENT (bench->src));
  bench_configure_source (bench, setup);

  bench->fanout = make_element (fanout_is_rgtee (setup->kind) ? "rgtee" :
      "tee", error);
  if (bench->fanout == NULL)
    goto failed;
  gst_bin_add (GST_BIN (bench->pipeline), bench->fanout);
  if (!gst_element_link (GST_ELEMENT (bench->src), bench->fanout))
    goto failed;

  bench->n_branches = setup->branches;
  bench->branches = g_new0 (Branch *, setup->branches);
  for (i = 0; i < setup->branches; i++) {
    Branch *b = g_new0 (Branch, 1);

    b->bench = bench;
    b->stalls = i == 0;
    b->last_offset = -1;
    b->first_resume = -1;
    bench->branches[i] = b;
    if (!bench_add_branch (bench, setup->kind, b, i, error))
      goto failed;
  }
  return bench;

failed:
  bench_free (bench);
  return NULL;
}

/* Waits up to @seconds for EOS or an error, counting element messages on
 * the way. Returns "eos", "error" or "timeout". */
static const gchar *
bench_wait_bus (Bench * bench, gdouble seconds)
{
  GstBus *bus = gst_element_get_bus (bench->pipeline);
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  const gchar *outcome = "timeout";
  GstMessage *msg;
  gint64 now;

  while ((now = g_get_monotonic_time ()) < end) {
    msg = gst_bus_timed_pop_filtered (bus, (end - now) * GST_USECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    if (msg == NULL)
      break;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
      const gchar *name = gst_structure_get_name (gst_message_get_structure
          (msg));
      gpointer old = g_hash_table_lookup (bench->element_messages, name);

      g_hash_table_insert (bench->element_messages, g_strdup (name),
          GINT_TO_POINTER (GPOINTER_TO_INT (old) + 1));
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      outcome = "error";
    } else {
      outcome = "eos";
    }
    gst_message_unref (msg);
    if (g_strcmp0 (outcome, "timeout") != 0)
      break;
  }
  gst_object_unref (bus);
  return outcome;
}

static void
bench_emit_element_messages (Bench * bench)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, bench->element_messages);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    gchar *k = g_strdup_printf ("bus.%s", (const gchar *) key);

    rg_bench_emit (k, "%d", GPOINTER_TO_INT (value));
    g_free (k);
  }
}

/* Sums a rgtee src pad counter over the branches selected by @which
 * (-1 = all, else only the branch with that index, or the others when
 * @others is set). Returns FALSE when the pads have no such property. */
static gboolean
bench_sum_pad_counter (Bench * bench, const gchar * name, gint which,
    gboolean others, guint64 * sum)
{
  guint i;
  guint64 v;

  *sum = 0;
  for (i = 0; i < bench->n_branches; i++) {
    gboolean selected = which < 0 || (others ? (gint) i != which :
        (gint) i == which);

    if (!selected)
      continue;
    if (!object_get_uint64 (bench->branches[i]->fanout_pad, name, &v))
      return FALSE;
    *sum += v;
  }
  return TRUE;
}

static void
bench_emit_pad_counter (Bench * bench, const gchar * key, const gchar * name,
    gint which, gboolean others)
{
  guint64 sum;

  if (bench_sum_pad_counter (bench, name, which, others, &sum))
    rg_bench_emit (key, "%" G_GUINT64_FORMAT, sum);
}

/* ------------------------------------------------------------------------ */
/* Child modes.                                                              */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gchar *fanout;
  gint branches;
  gint64 size;
  gint64 buffers;
  gint rate;
  gdouble duration;
  gdouble warmup;
  gint keyframe_interval;
  gdouble timeout;
  gchar *plugin_dir;

  /* Matrix mode only. */
  gdouble scale;
  gchar *sizes;
  gchar *branch_counts;
  gchar *fanouts;
  gchar *stall_cases;
  gint stall_branches;
  gboolean skip_throughput;
  gboolean skip_stall;
} Options;

static gboolean
setup_from_options (const Options * opt, BenchSetup * setup, GError ** error)
{
  if (!fanout_from_id (opt->fanout, &setup->kind)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "unknown --fanout \"%s\"", opt->fanout);
    return FALSE;
  }
  if (opt->branches < 1 || opt->size < 1 || opt->keyframe_interval < 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--branches, --size and --keyframe-interval must be >= 1");
    return FALSE;
  }
  setup->branches = opt->branches;
  setup->size = opt->size;
  setup->keyframe_interval = opt->keyframe_interval;
  return TRUE;
}

static void
emit_branch_totals (Bench * bench, gint first, const gchar * prefix)
{
  gint64 sum = 0, min = G_MAXINT64, max = 0, gaps = 0, disorder = 0;
  gint64 copied = 0;
  guint i;
  gchar *k;

  for (i = first; i < bench->n_branches; i++) {
    Branch *b = bench->branches[i];
    gint64 c = g_atomic_int_get (&b->count);

    sum += c;
    min = MIN (min, c);
    max = MAX (max, c);
    gaps += g_atomic_int_get (&b->gaps);
    disorder += g_atomic_int_get (&b->disorder);
    copied += g_atomic_int_get (&b->copied);
  }
#define EMIT_TOTAL(name, v) \
  k = g_strconcat (prefix, name, NULL); \
  rg_bench_emit (k, "%" G_GINT64_FORMAT, (gint64) (v)); \
  g_free (k);
  EMIT_TOTAL ("delivered", sum);
  EMIT_TOTAL ("min_branch", min == G_MAXINT64 ? 0 : min);
  EMIT_TOTAL ("max_branch", max);
  EMIT_TOTAL ("gaps", gaps);
  EMIT_TOTAL ("disorder", disorder);
  EMIT_TOTAL ("copied", copied);
#undef EMIT_TOTAL
}

static int
run_throughput (const Options * opt)
{
  BenchSetup setup = { 0, };
  GError *error = NULL;
  Bench *bench;
  Usage u0, u1;
  const gchar *outcome;

  if (!setup_from_options (opt, &setup, &error))
    goto failed;
  setup.buffers = opt->buffers;
  setup.shared_payload = TRUE;
  bench = bench_new (&setup, &error);
  if (bench == NULL)
    goto failed;

  usage_now (&u0);
  if (gst_element_set_state (bench->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    outcome = "error";
  else
    outcome = bench_wait_bus (bench, opt->timeout);
  usage_now (&u1);

  rg_bench_emit ("mode", "throughput");
  rg_bench_emit ("fanout", "%s", opt->fanout);
  rg_bench_emit ("branches", "%d", opt->branches);
  rg_bench_emit ("size", "%" G_GINT64_FORMAT, opt->size);
  rg_bench_emit ("buffers", "%" G_GINT64_FORMAT, opt->buffers);
  rg_bench_emit ("produced", "%d", g_atomic_int_get (&bench->src->produced));
  rg_bench_emit ("outcome", "%s", outcome);
  rg_bench_emit ("wall_s", "%.6f", (u1.wall_us - u0.wall_us) / 1e6);
  rg_bench_emit ("user_s", "%.6f", u1.user_s - u0.user_s);
  rg_bench_emit ("sys_s", "%.6f", u1.sys_s - u0.sys_s);
  rg_bench_emit ("hwm_kib", "%" G_GINT64_FORMAT,
      rg_bench_proc_status_kib ("VmHWM"));
  emit_branch_totals (bench, 0, "");
  bench_emit_pad_counter (bench, "rg_out", "out", -1, FALSE);
  bench_emit_pad_counter (bench, "rg_dropped", "dropped", -1, FALSE);
  bench_emit_element_messages (bench);
  bench_free (bench);
  return g_strcmp0 (outcome, "eos") == 0 ? 0 : 1;

failed:
  g_printerr ("rg-bench-tee: %s\n", error->message);
  g_clear_error (&error);
  return 2;
}


/* What every branch had received at one moment. */
typedef struct
{
  gint64 *count;
  gint64 *gaps;
  gint64 *disorder;
  gint produced;
  gint64 time_us;
} Snapshot;

static void
snapshot_take (Bench * bench, Snapshot * s)
{
  guint i;

  s->count = g_new0 (gint64, bench->n_branches);
  s->gaps = g_new0 (gint64, bench->n_branches);
  s->disorder = g_new0 (gint64, bench->n_branches);
  s->time_us = g_get_monotonic_time ();
  s->produced = g_atomic_int_get (&bench->src->produced);
  for (i = 0; i < bench->n_branches; i++) {
    Branch *b = bench->branches[i];

    s->count[i] = g_atomic_int_get (&b->count);
    s->gaps[i] = g_atomic_int_get (&b->gaps);
    s->disorder[i] = g_atomic_int_get (&b->disorder);
  }
}

static void
snapshot_clear (Snapshot * s)
{
  g_free (s->count);
  g_free (s->gaps);
  g_free (s->disorder);
}

static void
emit_rgtee_budget (Bench * bench)
{
  static const gchar *names[] = { "max-lag-buffers", "max-lag-bytes",
    "max-lag-time", "hard-lag-time"
  };
  guint64 v;
  guint i;
  gchar *k;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (!object_get_uint64 (bench->branches[0]->fanout_pad, names[i], &v))
      continue;
    k = g_strdup_printf ("budget.%s", names[i]);
    rg_bench_emit (k, "%" G_GUINT64_FORMAT, v);
    g_free (k);
  }
  if (object_get_uint64 (bench->fanout, "ring-size", &v))
    rg_bench_emit ("budget.ring-size", "%" G_GUINT64_FORMAT, v);
}

/* Branch 0 is the stalled one; the others are the fast branches. */
static void
emit_stall_window (Bench * bench, const Snapshot * a, const Snapshot * z)
{
  gint64 fast = 0, min_fast = G_MAXINT64, lost = 0, disorder = 0;
  guint i;

  for (i = 1; i < bench->n_branches; i++) {
    fast += z->count[i] - a->count[i];
    min_fast = MIN (min_fast, z->count[i] - a->count[i]);
    lost += z->gaps[i] - a->gaps[i];
    disorder += z->disorder[i] - a->disorder[i];
  }
  rg_bench_emit ("window_s", "%.6f", (z->time_us - a->time_us) / 1e6);
  rg_bench_emit ("pushed", "%d", z->produced - a->produced);
  rg_bench_emit ("fast_branches", "%u", bench->n_branches - 1);
  rg_bench_emit ("fast_delivered", "%" G_GINT64_FORMAT, fast);
  rg_bench_emit ("fast_min", "%" G_GINT64_FORMAT,
      min_fast == G_MAXINT64 ? 0 : min_fast);
  rg_bench_emit ("fast_lost", "%" G_GINT64_FORMAT, lost);
  rg_bench_emit ("fast_disorder", "%" G_GINT64_FORMAT, disorder);
  rg_bench_emit ("stalled_delivered", "%" G_GINT64_FORMAT,
      z->count[0] - a->count[0]);
}

/* What became of the stalled branch once it was let go: the buffers it
 * never received, and whether it resumed on a keyframe with DISCONT. */
static void
emit_stalled_branch (Bench * bench)
{
  Branch *b = bench->branches[0];

  rg_bench_emit ("stalled_missed", "%d", g_atomic_int_get (&b->gaps));
  rg_bench_emit ("stalled_resumes", "%d", g_atomic_int_get (&b->resumes));
  rg_bench_emit ("stalled_resumes_on_keyframe", "%d",
      g_atomic_int_get (&b->resumes_on_keyframe));
  rg_bench_emit ("stalled_resumes_discont", "%d",
      g_atomic_int_get (&b->resumes_discont));
  rg_bench_emit ("stalled_disorder", "%d", g_atomic_int_get (&b->disorder));
  if (g_atomic_int_get (&b->resumes) > 0)
    rg_bench_emit ("stalled_first_resume", "%" G_GINT64_FORMAT " (%s)",
        b->first_resume, b->first_resume % bench->src->keyframe_interval ?
        "delta unit" : "keyframe");
  bench_emit_pad_counter (bench, "rg_stalled_dropped", "dropped", 0, FALSE);
  bench_emit_pad_counter (bench, "rg_stalled_dropped_gops", "dropped-gops",
      0, FALSE);
  bench_emit_pad_counter (bench, "rg_fast_dropped", "dropped", 0, TRUE);
}

/* Runs the pipeline for the warm-up, stalls branch 0 for the window, emits
 * what the fast branches received in it, then lets the stalled branch go
 * and, after a second to settle, emits what it missed. Returns the bus
 * outcome of the window. */
static const gchar *
stall_measure (Bench * bench, const Options * opt)
{
  Snapshot a, z;
  gint64 rss_start;
  const gchar *outcome;

  outcome = bench_wait_bus (bench, opt->warmup);
  if (g_strcmp0 (outcome, "timeout") != 0)
    return outcome;

  rss_start = rg_bench_proc_status_kib ("VmRSS");
  snapshot_take (bench, &a);
  bench_set_stall (bench, TRUE);
  outcome = bench_wait_bus (bench, opt->duration);
  snapshot_take (bench, &z);
  rg_bench_emit ("hwm_kib", "%" G_GINT64_FORMAT,
      rg_bench_proc_status_kib ("VmHWM"));
  bench_emit_pad_counter (bench, "rg_stalled_lag_buffers", "lag-buffers", 0,
      FALSE);

  bench_set_stall (bench, FALSE);
  if (g_strcmp0 (outcome, "timeout") == 0
      && g_strcmp0 (bench_wait_bus (bench, 1.0), "timeout") != 0)
    outcome = "error after the stall";

  emit_stall_window (bench, &a, &z);
  rg_bench_emit ("rss_start_kib", "%" G_GINT64_FORMAT, rss_start);
  emit_stalled_branch (bench);
  if (fanout_is_rgtee (bench->kind))
    emit_rgtee_budget (bench);
  snapshot_clear (&a);
  snapshot_clear (&z);
  return outcome;
}

static int
run_stall (const Options * opt)
{
  BenchSetup setup = { 0, };
  GError *error = NULL;
  Bench *bench;
  const gchar *outcome;

  if (!setup_from_options (opt, &setup, &error))
    goto failed;
  if (opt->rate < 1 || opt->branches < 2 || opt->duration <= 0) {
    g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "stall needs --rate >= 1, --branches >= 2 and --duration > 0");
    goto failed;
  }
  setup.buffers = -1;
  setup.rate = opt->rate;
  setup.shared_payload = FALSE;
  bench = bench_new (&setup, &error);
  if (bench == NULL)
    goto failed;

  rg_bench_emit ("mode", "stall");
  rg_bench_emit ("fanout", "%s", opt->fanout);
  rg_bench_emit ("branches", "%d", opt->branches);
  rg_bench_emit ("size", "%" G_GINT64_FORMAT, opt->size);
  rg_bench_emit ("rate", "%d", opt->rate);
  rg_bench_emit ("rss_idle_kib", "%" G_GINT64_FORMAT,
      rg_bench_proc_status_kib ("VmRSS"));
  if (gst_element_set_state (bench->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    outcome = "error";
  else
    outcome = stall_measure (bench, opt);
  rg_bench_emit ("outcome", "%s", outcome);
  bench_emit_element_messages (bench);

  /* Let the stalled branch go before tearing down, so no thread is left
   * waiting in the probe. */
  bench_set_stall (bench, FALSE);
  bench_free (bench);
  return g_strcmp0 (outcome, "timeout") == 0 ? 0 : 1;

failed:
  g_printerr ("rg-bench-tee: %s\n", error->message);
  g_clear_error (&error);
  return 2;
}

/* ------------------------------------------------------------------------ */
/* Matrix mode: run every case in a child and print Markdown.               */
/* ------------------------------------------------------------------------ */

/* Markdown goes to stdout as UTF-8 whatever the locale; g_print() would
 * convert it to the locale's charset and turn "×" into "?". */
static void md (const gchar * format, ...) G_GNUC_PRINTF (1, 2);

static void
md (const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
}

/* A case's result: "key" -> "value", from the child's "@" lines. */
typedef GHashTable Result;

static Result *
result_parse (const gchar * output)
{
  Result *r = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gchar **lines = g_strsplit (output, "\n", -1);
  guint i;

  for (i = 0; lines[i] != NULL; i++) {
    gchar *eq = strchr (lines[i], '=');

    if (lines[i][0] != '@' || eq == NULL)
      continue;
    g_hash_table_insert (r, g_strndup (lines[i] + 1, eq - lines[i] - 1),
        g_strdup (eq + 1));
  }
  g_strfreev (lines);
  return r;
}

static gdouble
result_num (Result * r, const gchar * key)
{
  const gchar *v = r ? g_hash_table_lookup (r, key) : NULL;

  return v ? g_ascii_strtod (v, NULL) : NAN;
}

static const gchar *
result_str (Result * r, const gchar * key)
{
  const gchar *v = r ? g_hash_table_lookup (r, key) : NULL;

  return v ? v : "";
}

static gchar *
self_executable (void)
{
  gchar *exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe ? exe : g_strdup (g_get_prgname ());
}

/* Runs this program again with @mode and @args; NULL when it could not be
 * started or printed nothing. A case that fails still returns what it
 * printed, with "outcome" telling why. */
static Result *
run_child (const Options * opt, const gchar * mode, GPtrArray * args)
{
  gchar *exe = self_executable ();
  gchar *out = NULL;
  GError *error = NULL;
  gint status = 0;
  Result *r = NULL;
  guint i;
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, exe);
  g_ptr_array_add (argv, g_strdup (mode));
  for (i = 0; i < args->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (args, i)));
  g_ptr_array_add (argv, g_strdup_printf ("--keyframe-interval=%d",
          opt->keyframe_interval));
  g_ptr_array_add (argv, g_strdup_printf ("--timeout=%g", opt->timeout));
  if (opt->plugin_dir)
    g_ptr_array_add (argv, g_strdup_printf ("--plugin-dir=%s",
            opt->plugin_dir));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT,
          NULL, NULL, &out, NULL, &status, &error)) {
    g_printerr ("rg-bench-tee: could not run a case: %s\n", error->message);
    g_clear_error (&error);
  } else if (out != NULL && *out != '\0') {
    r = result_parse (out);
  }
  g_free (out);
  g_ptr_array_unref (argv);
  return r;
}

static gchar *
fmt_count (gdouble v)
{
  gchar digits[64];
  GString *s = g_string_new (NULL);
  gsize len, i;

  if (isnan (v)) {
    g_string_free (s, TRUE);
    return g_strdup ("n/a");
  }
  g_snprintf (digits, sizeof digits, "%.0f", fabs (v));
  len = strlen (digits);
  if (v < 0)
    g_string_append_c (s, '-');
  for (i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      g_string_append_c (s, ',');
    g_string_append_c (s, digits[i]);
  }
  return g_string_free (s, FALSE);
}

static gchar *
fmt_size (gint64 bytes)
{
  if (bytes >= MIB && bytes % MIB == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " MiB", bytes / MIB);
  if (bytes >= 1024 && bytes % 1024 == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " KiB", bytes / 1024);
  return g_strdup_printf ("%" G_GINT64_FORMAT " B", bytes);
}

static gchar *
fmt_mib (gdouble kib)
{
  if (isnan (kib) || kib < 0)
    return g_strdup ("n/a");
  return g_strdup_printf ("%.1f MiB", kib / 1024.0);
}

/* Parses "1,2,4" into a new array of gint64. */
static GArray *
parse_list (const gchar * list)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
  gchar **items = g_strsplit (list, ",", -1);
  guint i;

  for (i = 0; items[i] != NULL; i++) {
    gint64 v = g_ascii_strtoll (g_strstrip (items[i]), NULL, 10);

    if (v > 0)
      g_array_append_val (a, v);
  }
  g_strfreev (items);
  return a;
}

/* Buffers per throughput case. The payload is shared, so the cost per
 * buffer hardly depends on its size but grows with K: these counts make a
 * tee + queue case take one to three seconds on a 2-core machine. */
static gint64
matrix_buffers (const Options * opt, gint64 branches)
{
  gint64 base;

  if (opt->buffers > 0)
    base = opt->buffers;
  else if (branches == 1)
    base = 400000;
  else if (branches == 2)
    base = 150000;
  else
    base = 240000 / branches;
  return MAX (1, (gint64) (base * opt->scale));
}

typedef struct
{
  const Options *opt;
  GArray *sizes;
  GArray *counts;
  GPtrArray *fanouts;           /* of gchar *, throughput fan-outs */
  GHashTable *results;          /* "size/K/fanout" -> Result */
  gboolean have_rgtee;
} Matrix;

static gchar *
matrix_key (gint64 size, gint64 k, const gchar * fanout)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%s",
      size, k, fanout);
}

static Result *
matrix_lookup (Matrix * m, gint64 size, gint64 k, const gchar * fanout)
{
  gchar *key = matrix_key (size, k, fanout);
  Result *r = g_hash_table_lookup (m->results, key);

  g_free (key);
  return r;
}

static void
matrix_run_throughput (Matrix * m)
{
  guint s, k, f;

  for (s = 0; s < m->sizes->len; s++) {
    for (k = 0; k < m->counts->len; k++) {
      for (f = 0; f < m->fanouts->len; f++) {
        gint64 size = g_array_index (m->sizes, gint64, s);
        gint64 branches = g_array_index (m->counts, gint64, k);
        const gchar *fanout = g_ptr_array_index (m->fanouts, f);
        GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
        Result *r;

        g_ptr_array_add (args, g_strdup_printf ("--fanout=%s", fanout));
        g_ptr_array_add (args, g_strdup_printf ("--branches=%" G_GINT64_FORMAT,
                branches));
        g_ptr_array_add (args, g_strdup_printf ("--size=%" G_GINT64_FORMAT,
                size));
        g_ptr_array_add (args, g_strdup_printf ("--buffers=%" G_GINT64_FORMAT,
                matrix_buffers (m->opt, branches)));
        g_printerr ("throughput: %s K=%" G_GINT64_FORMAT " size=%"
            G_GINT64_FORMAT " ...", fanout, branches, size);
        r = run_child (m->opt, "throughput", args);
        g_printerr (" %s, %.2f s\n", result_str (r, "outcome"),
            result_num (r, "wall_s"));
        g_ptr_array_unref (args);
        if (r)
          g_hash_table_insert (m->results, matrix_key (size, branches,
                  fanout), r);
      }
    }
  }
}

static const gchar *
fanout_label (const gchar * id)
{
  FanoutKind kind;

  return fanout_from_id (id, &kind) ? fanout_names[kind].label : id;
}

/* "every buffer" or what is missing, for the "delivered" column. */
static gchar *
delivery_check (Result * r)
{
  gdouble expected = result_num (r, "buffers") * result_num (r, "branches");
  gdouble delivered = result_num (r, "delivered");
  gdouble copied = result_num (r, "copied");
  gdouble disorder = result_num (r, "disorder");
  gchar *n = fmt_count (delivered);
  gchar *text;

  if (g_strcmp0 (result_str (r, "outcome"), "eos") != 0)
    text = g_strdup_printf ("**failed (%s)**", result_str (r, "outcome"));
  else if (delivered == expected && copied == 0 && disorder == 0
      && result_num (r, "min_branch") == result_num (r, "buffers"))
    text = g_strdup_printf ("all %s, in order, zero-copy", n);
  else
    text = g_strdup_printf ("%s (%.1f %% lost)%s%s", n,
        100.0 * (1.0 - delivered / expected),
        copied > 0 ? ", **payload copied**" : "",
        disorder > 0 ? ", **out of order**" : "");
  g_free (n);

  /* rgtee counts what each pad pushed; it must agree with the sinks. */
  if (!isnan (result_num (r, "rg_out"))
      && result_num (r, "rg_out") != delivered) {
    gchar *with = g_strdup_printf ("%s; rgtee `out` counters say %s", text,
        result_str (r, "rg_out"));

    g_free (text);
    text = with;
  }
  return text;
}

static gdouble
buffers_per_s (Result * r)
{
  return result_num (r, "buffers") / result_num (r, "wall_s");
}

static gdouble
cpu_per_million (Result * r)
{
  return (result_num (r, "user_s") + result_num (r, "sys_s")) * 1e6 /
      result_num (r, "buffers");
}

static void
matrix_print_row (Matrix * m, gint64 size, gint64 k, const gchar * fanout)
{
  Result *r = matrix_lookup (m, size, k, fanout);
  Result *ref = matrix_lookup (m, size, k, "tee-queue");
  gchar *in, *out, *check, *ratio;

  if (r == NULL) {
    md ("| %" G_GINT64_FORMAT " | %s | n/a | n/a | n/a | **did not "
        "run** | |\n", k, fanout_label (fanout));
    return;
  }
  in = fmt_count (buffers_per_s (r));
  out = fmt_count (result_num (r, "delivered") / result_num (r, "wall_s"));
  check = delivery_check (r);
  if (ref != NULL && g_strcmp0 (fanout, "tee-queue") != 0)
    ratio = g_strdup_printf ("%.2f× (CPU %.2f×)",
        buffers_per_s (r) / buffers_per_s (ref),
        cpu_per_million (r) / cpu_per_million (ref));
  else
    ratio = g_strdup ("1×");
  md ("| %" G_GINT64_FORMAT " | %s | %s | %s | %.2f | %s | %s |\n", k,
      fanout_label (fanout), in, out, cpu_per_million (r), check, ratio);
  g_free (in);
  g_free (out);
  g_free (check);
  g_free (ratio);
}

static void
matrix_print_throughput (Matrix * m)
{
  guint s, k, f;

  for (s = 0; s < m->sizes->len; s++) {
    gint64 size = g_array_index (m->sizes, gint64, s);
    gchar *sz = fmt_size (size);

    md ("\n#### %s buffers\n\n", sz);
    md ("| K | fan-out | buffers/s in | deliveries/s | CPU s per "
        "million buffers in | delivered | vs tee + queue (buffers/s) |\n");
    md ("|--:|---|--:|--:|--:|---|--:|\n");
    for (k = 0; k < m->counts->len; k++)
      for (f = 0; f < m->fanouts->len; f++)
        matrix_print_row (m, size, g_array_index (m->counts, gint64, k),
            g_ptr_array_index (m->fanouts, f));
    g_free (sz);
  }
}

/* The lossless ratio rgtee-block / tee-queue in buffers/s, NAN if missing. */
static gdouble
matrix_ratio (Matrix * m, gint64 size, gint64 k)
{
  Result *r = matrix_lookup (m, size, k, "rgtee-block");
  Result *ref = matrix_lookup (m, size, k, "tee-queue");

  if (r == NULL || ref == NULL
      || g_strcmp0 (result_str (r, "outcome"), "eos") != 0
      || g_strcmp0 (result_str (ref, "outcome"), "eos") != 0)
    return NAN;
  return buffers_per_s (r) / buffers_per_s (ref);
}

static void
matrix_print_ratios (Matrix * m)
{
  guint s, k;

  md ("\n#### Lossless rgtee / lossless tee + queue, buffers/s\n\n"
      "| buffer size |");
  for (k = 0; k < m->counts->len; k++)
    md (" K = %" G_GINT64_FORMAT " |", g_array_index (m->counts,
            gint64, k));
  md ("\n|---|");
  for (k = 0; k < m->counts->len; k++)
    md ("--:|");
  md ("\n");
  for (s = 0; s < m->sizes->len; s++) {
    gint64 size = g_array_index (m->sizes, gint64, s);
    gchar *sz = fmt_size (size);

    md ("| %s |", sz);
    for (k = 0; k < m->counts->len; k++) {
      gdouble ratio = matrix_ratio (m, size, g_array_index (m->counts,
              gint64, k));

      if (isnan (ratio))
        md (" n/a |");
      else
        md (" %.2f× |", ratio);
    }
    md ("\n");
    g_free (sz);
  }
}

/* Targets for lossless throughput: >= 2x at K >= 4 for small buffers, and
 * never below 1x. */
static void
matrix_print_throughput_targets (Matrix * m)
{
  gdouble min_small = INFINITY, min_all = INFINITY;
  guint s, k;

  for (s = 0; s < m->sizes->len; s++) {
    for (k = 0; k < m->counts->len; k++) {
      gint64 size = g_array_index (m->sizes, gint64, s);
      gint64 n = g_array_index (m->counts, gint64, k);
      gdouble ratio = matrix_ratio (m, size, n);

      if (isnan (ratio))
        continue;
      min_all = MIN (min_all, ratio);
      if (size <= 4096 && n >= 4)
        min_small = MIN (min_small, ratio);
    }
  }
  md ("\n- Target: lossless rgtee ≥ 2× tee + queue buffers/s for K ≥ 4 "
      "with small (≤ 4 KiB) buffers: ");
  if (isinf (min_small))
    md ("not measured.\n");
  else
    md ("lowest ratio %.2f× — **%s**.\n", min_small,
        min_small >= 2.0 ? "met" : "not met");
  md ("- Target: never below 1× at any K or size: ");
  if (isinf (min_all))
    md ("not measured.\n");
  else
    md ("lowest ratio %.2f× — **%s**.\n", min_all,
        min_all >= 1.0 ? "met" : "not met");
}

typedef struct
{
  gint64 size;
  gint64 rate;
} StallCase;

static GArray *
parse_stall_cases (const gchar * list)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (StallCase));
  gchar **items = g_strsplit (list, ",", -1);
  guint i;

  for (i = 0; items[i] != NULL; i++) {
    StallCase c = { 0, 0 };
    gchar *at = strchr (items[i], '@');

    if (at == NULL)
      continue;
    c.size = g_ascii_strtoll (items[i], NULL, 10);
    c.rate = g_ascii_strtoll (at + 1, NULL, 10);
    if (c.size > 0 && c.rate > 0)
      g_array_append_val (a, c);
  }
  g_strfreev (items);
  return a;
}

static const gchar *stall_fanouts[] = {
  "rgtee", "tee-queue", "tee-leaky", "tee-leaky-slow"
};

static Result *
matrix_run_stall_case (Matrix * m, const StallCase * c, const gchar * fanout)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  Result *r;

  g_ptr_array_add (args, g_strdup_printf ("--fanout=%s", fanout));
  g_ptr_array_add (args, g_strdup_printf ("--branches=%d",
          m->opt->stall_branches));
  g_ptr_array_add (args, g_strdup_printf ("--size=%" G_GINT64_FORMAT,
          c->size));
  g_ptr_array_add (args, g_strdup_printf ("--rate=%" G_GINT64_FORMAT,
          c->rate));
  g_ptr_array_add (args, g_strdup_printf ("--duration=%g",
          m->opt->duration));
  g_ptr_array_add (args, g_strdup_printf ("--warmup=%g", m->opt->warmup));
  g_printerr ("stall: %s size=%" G_GINT64_FORMAT " rate=%" G_GINT64_FORMAT
      "/s for %g s ...", fanout, c->size, c->rate, m->opt->duration);
  r = run_child (m->opt, "stall", args);
  g_printerr (" %s\n", result_str (r, "outcome"));
  g_ptr_array_unref (args);
  return r;
}

/* The bytes a stalled rgtee branch may hold under its budget: the tightest
 * of its buffer, byte and time limits (0 or -1 meaning no limit). */
static gdouble
stall_budget_bytes (Result * r, const StallCase * c)
{
  gdouble buffers = result_num (r, "budget.max-lag-buffers");
  gdouble bytes = result_num (r, "budget.max-lag-bytes");
  gdouble time_ns = result_num (r, "budget.max-lag-time");
  gdouble budget = INFINITY;

  if (buffers > 0)
    budget = MIN (budget, buffers * c->size);
  if (bytes > 0)
    budget = MIN (budget, bytes);
  if (time_ns > 0 && time_ns < 1.8e19)
    budget = MIN (budget, time_ns / 1e9 * c->rate * c->size);
  return budget;
}

/* What became of the stalled branch: the buffers it never received, what
 * it resumed on, rgtee's counters and the element messages posted. */
static gchar *
stall_describe_stalled (Result * r)
{
  GString *s = g_string_new (NULL);
  gdouble resumes = result_num (r, "stalled_resumes");
  gdouble on_key = result_num (r, "stalled_resumes_on_keyframe");
  gdouble discont = result_num (r, "stalled_resumes_discont");
  gchar *missed = fmt_count (result_num (r, "stalled_missed"));
  GHashTableIter iter;
  gpointer key, value;

  if (resumes == 0)
    g_string_append (s, "missed none");
  else
    g_string_append_printf (s, "missed %s, resumed on %s, %s", missed,
        on_key == resumes ? "a keyframe" : "a **delta unit**",
        discont == resumes ? "DISCONT set" : "**no DISCONT**");
  if (!isnan (result_num (r, "rg_stalled_dropped")))
    g_string_append_printf (s, "; `dropped` %s, `dropped-gops` %s",
        result_str (r, "rg_stalled_dropped"),
        result_str (r, "rg_stalled_dropped_gops"));
  g_hash_table_iter_init (&iter, r);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    if (g_str_has_prefix (key, "bus."))
      g_string_append_printf (s, "; %s message × %s",
          (const gchar *) key + 4, (const gchar *) value);
  }
  g_free (missed);
  return g_string_free (s, FALSE);
}

/* Peak RSS above the RSS of the built pipeline before PLAYING, in KiB. */
static gdouble
stall_rss_growth_kib (Result * r)
{
  return result_num (r, "hwm_kib") - result_num (r, "rss_idle_kib");
}

static void
stall_print_row (const StallCase * c, const gchar * fanout, Result * r)
{
  gdouble due = result_num (r, "window_s") * c->rate;
  gdouble fast_n = result_num (r, "fast_branches");
  gchar *sz = fmt_size (c->size);
  gchar *hwm = fmt_mib (result_num (r, "hwm_kib"));
  gchar *growth = fmt_mib (stall_rss_growth_kib (r));
  gchar *lost = fmt_count (result_num (r, "fast_lost"));
  gchar *dropped = stall_describe_stalled (r);

  md ("| %s @ %" G_GINT64_FORMAT "/s | %s | %.2f %% | %s (%.2f %%) | "
      "%.1f %% | %s | %s | %s |%s\n", sz, c->rate, fanout_label (fanout),
      100.0 * result_num (r, "fast_min") / due, lost,
      100.0 * result_num (r, "fast_lost") / (due * fast_n),
      100.0 * result_num (r, "pushed") / due,
      dropped, hwm, growth,
      g_strcmp0 (result_str (r, "outcome"), "timeout") == 0 ? "" :
      " **run failed**");
  g_free (sz);
  g_free (hwm);
  g_free (growth);
  g_free (lost);
  g_free (dropped);
}

static gchar *
fmt_budget_value (Result * r, const gchar * name)
{
  gchar *key = g_strdup_printf ("budget.%s", name);
  gdouble v = result_num (r, key);
  gchar *text;

  g_free (key);
  if (isnan (v))
    text = g_strdup ("?");
  else if (g_str_has_suffix (name, "-time"))
    text = v >= 1.8e19 ? g_strdup ("none") : g_strdup_printf ("%g s",
        v / 1e9);
  else if (g_str_has_suffix (name, "-bytes"))
    text = v == 0 ? g_strdup ("none") : fmt_mib (v / 1024.0);
  else
    text = v == 0 && g_str_has_prefix (name, "max") ? g_strdup ("none") :
        fmt_count (v);
  return text;
}

static void
stall_print_budget (Result * r)
{
  static const gchar *names[] = { "max-lag-buffers", "max-lag-bytes",
    "max-lag-time", "hard-lag-time", "ring-size"
  };
  guint i;

  if (r == NULL)
    return;
  md ("rgtee's defaults, read from the element: ");
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *v = fmt_budget_value (r, names[i]);

    md ("%s%s = %s", i ? ", " : "", names[i], v);
    g_free (v);
  }
  md (".\n\n");
}

/* Under lag-policy=keyframe the first buffer after a drop is a keyframe
 * with DISCONT set. */
static void
stall_print_resume_target (Result * r, const gchar * sz, gint64 rate)
{
  gdouble resumes = result_num (r, "stalled_resumes");
  gboolean ok = resumes == result_num (r, "stalled_resumes_on_keyframe")
      && resumes == result_num (r, "stalled_resumes_discont");

  md ("- %s @ %" G_GINT64_FORMAT "/s, target: after a drop, the stalled "
      "branch (lag-policy=keyframe) resumes on a keyframe with DISCONT: ",
      sz, rate);
  if (resumes == 0)
    md ("it dropped nothing — **not exercised**.\n");
  else
    md ("first buffer after the gap is #%s — **%s**.\n",
        result_str (r, "stalled_first_resume"), ok ? "met" : "not met");
}

/* RSS growth allowed beyond the lag budget: allocator slack, thread stacks
 * and the fast branches' in-flight buffers. */
#define STALL_RSS_ALLOWANCE_KIB (16 * 1024)

static void
stall_print_targets (GArray * cases, Result ** rg_results)
{
  guint i;

  for (i = 0; i < cases->len; i++) {
    StallCase *c = &g_array_index (cases, StallCase, i);
    Result *r = rg_results[i];
    gchar *sz = fmt_size (c->size);
    gchar *budget_text;
    gdouble due, frac, growth_kib, budget;
    gboolean kept;

    if (r == NULL || g_strcmp0 (result_str (r, "outcome"), "timeout") != 0) {
      md ("- %s @ %" G_GINT64_FORMAT "/s: rgtee run failed.\n", sz,
          c->rate);
      g_free (sz);
      continue;
    }
    due = result_num (r, "window_s") * c->rate;
    frac = result_num (r, "fast_min") / due;
    kept = frac >= 0.99 && result_num (r, "fast_lost") == 0;
    growth_kib = stall_rss_growth_kib (r);
    budget = stall_budget_bytes (r, c);
    md ("- %s @ %" G_GINT64_FORMAT "/s, target: the fast branches lose "
        "nothing and keep ≥ 99 %% of the input rate: slowest fast branch "
        "%.2f %%, %s lost — **%s**.\n", sz, c->rate, 100.0 * frac,
        result_str (r, "fast_lost"), kept ? "met" : "not met");
    budget_text = isinf (budget) ? g_strdup ("unlimited") :
        budget < MIB ? g_strdup_printf ("%.1f KiB", budget / 1024.0) :
        fmt_mib (budget / 1024.0);
    md ("- %s @ %" G_GINT64_FORMAT "/s, target: peak RSS within the lag "
        "budget plus a constant: peak %.1f MiB above the idle pipeline; "
        "budget of the stalled branch %s + %d MiB allowance — **%s**.\n",
        sz, c->rate, growth_kib / 1024.0, budget_text,
        STALL_RSS_ALLOWANCE_KIB / 1024,
        isinf (budget) ? "no finite budget" :
        growth_kib * 1024.0 <= budget + STALL_RSS_ALLOWANCE_KIB * 1024.0 ?
        "met" : "not met");
    g_free (budget_text);
    stall_print_resume_target (r, sz, c->rate);
    g_free (sz);
  }
}

static void
matrix_stall (Matrix * m)
{
  GArray *cases = parse_stall_cases (m->opt->stall_cases);
  Result **rg = g_new0 (Result *, cases->len);
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_hash_table_unref);
  guint i, f;

  md ("\n### One branch stalled for %g s\n\n", m->opt->duration);
  md ("K = %d branches into fakesink (sync=false). After a %g s "
      "warm-up, branch 0 stalls: a pad probe on its sink does not return "
      "for %g s. The source pushes at a fixed rate and allocates and fills "
      "a fresh payload per buffer, as a camera would, so that buffers held "
      "for the stalled branch show in the resident set size. Each row is a "
      "process of its own. \"Delivered\" is the slowest fast branch's count "
      "during the window over rate × window; \"lost\" counts the buffers "
      "missing from the fast branches' sequences. The stalled branch is "
      "then let go; a second later the table shows the buffers it never "
      "received and whether it resumed on a keyframe with DISCONT. \"Above "
      "idle\" is the peak RSS minus the RSS of the built pipeline before "
      "PLAYING.\n\n",
      m->opt->stall_branches, m->opt->warmup, m->opt->duration);
  md ("| input | fan-out | fast branches: delivered / input | fast "
      "branches: lost | source: pushed / due | stalled branch, 1 s after "
      "release | peak RSS | peak RSS above idle |\n");
  md ("|---|---|--:|--:|--:|--:|--:|--:|\n");
  for (i = 0; i < cases->len; i++) {
    StallCase *c = &g_array_index (cases, StallCase, i);

    for (f = 0; f < G_N_ELEMENTS (stall_fanouts); f++) {
      Result *r;

      if (!m->have_rgtee && g_str_has_prefix (stall_fanouts[f], "rgtee"))
        continue;
      r = matrix_run_stall_case (m, c, stall_fanouts[f]);
      if (r == NULL) {
        md ("| | %s | **did not run** | | | | | |\n",
            fanout_label (stall_fanouts[f]));
        continue;
      }
      stall_print_row (c, stall_fanouts[f], r);
      if (g_strcmp0 (stall_fanouts[f], "rgtee") == 0)
        rg[i] = r;
      g_ptr_array_add (all, r);
    }
  }
  md ("\n");
  if (cases->len > 0)
    stall_print_budget (rg[0]);
  if (m->have_rgtee)
    stall_print_targets (cases, rg);
  g_ptr_array_unref (all);
  g_free (rg);
  g_array_unref (cases);
}

static gboolean
have_element (const gchar * name)
{
  GstElementFactory *factory = gst_element_factory_find (name);

  if (factory == NULL)
    return FALSE;
  gst_object_unref (factory);
  return TRUE;
}

static void
matrix_collect_fanouts (Matrix * m)
{
  gchar **ids = g_strsplit (m->opt->fanouts, ",", -1);
  FanoutKind kind;
  guint i;

  m->fanouts = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; ids[i] != NULL; i++) {
    gchar *id = g_strstrip (ids[i]);

    if (!fanout_from_id (id, &kind))
      g_printerr ("rg-bench-tee: ignoring unknown fan-out \"%s\"\n", id);
    else if (fanout_is_rgtee (kind) && !m->have_rgtee)
      g_printerr ("rg-bench-tee: rgtee is not available, skipping %s\n", id);
    else
      g_ptr_array_add (m->fanouts, g_strdup (id));
  }
  g_strfreev (ids);
}

static int
run_matrix (const Options * opt)
{
  Matrix m = { opt, };

  m.have_rgtee = have_element ("rgtee");
  m.sizes = parse_list (opt->sizes);
  m.counts = parse_list (opt->branch_counts);
  m.results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_hash_table_unref);
  matrix_collect_fanouts (&m);

  if (!m.have_rgtee)
    md ("\n**rgtee was not available when this ran: only tee + queue "
        "was measured.**\n");
  if (!opt->skip_throughput) {
    md ("\n### Fan-out throughput\n\n");
    md ("Each case pushes a fixed number of buffers, as fast as the "
        "pipeline takes them, through the fan-out into K fakesinks "
        "(sync=false), in a process of its own. Every buffer is a new "
        "GstBuffer around the same pre-allocated GstMemory, so nothing is "
        "allocated or copied per payload. Wall and CPU time (getrusage, "
        "user + system, all threads) run from PLAYING to EOS. \"Delivered\" "
        "is checked on every branch: count, order (buffer offsets) and "
        "that the payload is the source's own memory.\n");
    matrix_run_throughput (&m);
    matrix_print_throughput (&m);
    matrix_print_ratios (&m);
    matrix_print_throughput_targets (&m);
  }
  if (!opt->skip_stall)
    matrix_stall (&m);

  g_hash_table_unref (m.results);
  g_ptr_array_unref (m.fanouts);
  g_array_unref (m.sizes);
  g_array_unref (m.counts);
  return 0;
}

/* ------------------------------------------------------------------------ */

static void
ensure_rgtee (const gchar * plugin_dir)
{
  if (have_element ("rgtee") || plugin_dir == NULL || *plugin_dir == '\0')
    return;
  if (g_file_test (plugin_dir, G_FILE_TEST_IS_DIR))
    gst_registry_scan_path (gst_registry_get (), plugin_dir);
}

int
main (int argc, char **argv)
{
  Options opt = {
    .fanout = NULL,.branches = 4,.size = 100,.buffers = 0,.rate = 1000,
    .duration = 30,.warmup = 1,.keyframe_interval = 30,.timeout = 600,
    .plugin_dir = NULL,.scale = 1,.sizes = NULL,.branch_counts = NULL,
    .fanouts = NULL,.stall_cases = NULL,.stall_branches = 4,
  };
  GOptionEntry entries[] = {
    {"fanout", 0, 0, G_OPTION_ARG_STRING, &opt.fanout,
        "Fan-out to measure: tee-queue, tee-leaky, tee-leaky-slow, "
          "rgtee-block or rgtee", "F"},
    {"branches", 0, 0, G_OPTION_ARG_INT, &opt.branches,
        "Number of branches (default 4)", "K"},
    {"size", 0, 0, G_OPTION_ARG_INT64, &opt.size,
        "Payload bytes per buffer (default 100)", "B"},
    {"buffers", 0, 0, G_OPTION_ARG_INT64, &opt.buffers,
        "Buffers per throughput case (matrix: override the per-K "
          "defaults)", "N"},
    {"rate", 0, 0, G_OPTION_ARG_INT, &opt.rate,
        "Stall mode: buffers per second pushed (default 1000)", "R"},
    {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &opt.duration,
        "Stall mode: seconds the branch stays stalled (default 30)", "S"},
    {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt.warmup,
        "Stall mode: seconds of normal flow before the stall (default 1)",
        "S"},
    {"keyframe-interval", 0, 0, G_OPTION_ARG_INT, &opt.keyframe_interval,
        "Every Nth buffer is a keyframe, the others DELTA_UNIT (default 30)",
        "N"},
    {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt.timeout,
        "Give up on a throughput case after this many seconds (default 600)",
        "S"},
    {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.plugin_dir,
        "Where to look for rgtee if the registry lacks it", "DIR"},
    {"scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt.scale,
        "Matrix: multiply every buffer count (0.1 for a smoke run)", "F"},
    {"sizes", 0, 0, G_OPTION_ARG_STRING, &opt.sizes,
        "Matrix: buffer sizes (default 100,1048576,25165824)", "LIST"},
    {"branch-counts", 0, 0, G_OPTION_ARG_STRING, &opt.branch_counts,
        "Matrix: values of K (default 1,2,4,8,16)", "LIST"},
    {"fanouts", 0, 0, G_OPTION_ARG_STRING, &opt.fanouts,
        "Matrix: throughput fan-outs (default "
          "tee-queue,tee-leaky,rgtee-block)", "LIST"},
    {"stall-cases", 0, 0, G_OPTION_ARG_STRING, &opt.stall_cases,
        "Matrix: SIZE@RATE pairs (default 100@1000,1048576@30)", "LIST"},
    {"stall-branches", 0, 0, G_OPTION_ARG_INT, &opt.stall_branches,
        "Matrix: K for the stall cases (default 4)", "K"},
    {"skip-throughput", 0, 0, G_OPTION_ARG_NONE, &opt.skip_throughput,
        "Matrix: leave out the throughput cases", NULL},
    {"skip-stall", 0, 0, G_OPTION_ARG_NONE, &opt.skip_stall,
        "Matrix: leave out the stall cases", NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  const gchar *mode;
  int ret;

  ctx = g_option_context_new ("[matrix|throughput|stall] - rgtee against "
      "tee + queue");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("rg-bench-tee: %s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (opt.plugin_dir == NULL)
    opt.plugin_dir = g_strdup (RG_BENCH_PLUGIN_DIR);
  if (opt.sizes == NULL)
    opt.sizes = g_strdup ("100,1048576,25165824");
  if (opt.branch_counts == NULL)
    opt.branch_counts = g_strdup ("1,2,4,8,16");
  if (opt.fanouts == NULL)
    opt.fanouts = g_strdup ("tee-queue,tee-leaky,rgtee-block");
  if (opt.stall_cases == NULL)
    opt.stall_cases = g_strdup ("100@1000,1048576@30");
  if (opt.fanout == NULL)
    opt.fanout = g_strdup ("tee-queue");
  ensure_rgtee (opt.plugin_dir);

  mode = argc > 1 ? argv[1] : "matrix";
  if (g_strcmp0 (mode, "throughput") == 0)
    ret = run_throughput (&opt);
  else if (g_strcmp0 (mode, "stall") == 0)
    ret = run_stall (&opt);
  else if (g_strcmp0 (mode, "matrix") == 0)
    ret = run_matrix (&opt);
  else {
    g_printerr ("rg-bench-tee: unknown mode \"%s\"\n", mode);
    ret = 2;
  }

  g_free (opt.fanout);
  g_free (opt.plugin_dir);
  g_free (opt.sizes);
  g_free (opt.branch_counts);
  g_free (opt.fanouts);
  g_free (opt.stall_cases);
  return ret;
}
