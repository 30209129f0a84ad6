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

/*
 * rg-bench-replay: journal replay (rgsrc) against filesrc of the same bytes.
 *
 *   rg-bench-replay [--smoke] [--cold] [--write-doc[=FILE]] [options]
 *       For each value size (100 B and 1 MiB), writes N buffers of that
 *       size twice: into a journal with rgjournalsink sync=none, and into a
 *       plain file with filesink, the same value bytes back to back. Then
 *       times `rgsrc location=DIR ! fakesink` against
 *       `filesrc location=FILE blocksize=SIZE ! fakesink`, alternating,
 *       with two references that only map the file and touch each page
 *       (what any zero-copy reader pays at least): wherever mmap() puts
 *       the mapping, and 2 MiB-aligned with MADV_HUGEPAGE as rgsrc maps
 *       its segments. It prints a Markdown table per page cache state and
 *       --write-doc puts them into docs/performance.md between the
 *       replay-bench markers.
 *
 *       Warm: the files as the writers left them in the page cache, plus
 *       one untimed read by each reader. With --cold (root) also cold:
 *       `sync` and drop_caches before every pass, every reader alike; and
 *       warm again after the cold runs, when the page cache holds what
 *       readahead made of the files rather than what the writes made.
 *
 *   rg-bench-replay write --sink=journal|file --path=P --size=B --buffers=N
 *   rg-bench-replay read --source=rgsrc|filesrc|mmap|mmap-huge --path=P
 *           --size=B --buffers=N [--min-seconds=S] [--drop-cache]
 *       One case, in a process of its own (the program re-executes itself):
 *       prints "@key=value" lines with wall time, CPU time (getrusage of the
 *       whole process from PLAYING to EOS) and what the sink received. A
 *       read runs passes over all the data until they took S seconds in
 *       all (default 0.5), so that a run is long enough to be stable.
 *
 * Every pass checks the buffer count, the total bytes and the first and
 * last buffer's bytes against what was written. Each read also samples
 * FilePmdMapped of /proc/self/smaps_rollup half-way through its first
 * pass: how much of its file mappings the kernel maps with 2 MiB entries,
 * which decides the speed of a mapped reader on a machine where
 * establishing a 4 KiB page-table entry is costly.
 */

#include <gst/gst.h>
#include "rgbench.h"
#include <gst/base/gstpushsrc.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef RG_BENCH_PLUGIN_DIR
#define RG_BENCH_PLUGIN_DIR ""
#endif
#ifndef RG_BENCH_DOC
#define RG_BENCH_DOC "docs/performance.md"
#endif

#define MARK_BEGIN "<!-- replay-bench:begin -->"
#define MARK_END "<!-- replay-bench:end -->"

/* The value bytes: a pattern that differs from byte to byte, so that a
 * reader handing out the wrong bytes is caught. */
static guint8
pattern_byte (gsize i)
{
  return (guint8) ((i * 31 + 7) & 0xff);
}

/* ------------------------------------------------------------------------ */
/* The writer's source: N buffers around one pre-filled payload.             */
/* ------------------------------------------------------------------------ */

#define RG_TYPE_REPLAY_SRC (rg_replay_src_get_type ())
G_DECLARE_FINAL_TYPE (RgReplaySrc, rg_replay_src, RG, REPLAY_SRC, GstPushSrc);

struct _RgReplaySrc
{
  GstPushSrc parent;

  GstMemory *memory;            /* set before PLAYING, then read-only */
  guint64 produced;             /* streaming thread only */
};

G_DEFINE_TYPE (RgReplaySrc, rg_replay_src, GST_TYPE_PUSH_SRC);

static GstStaticPadTemplate replay_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rg-bench"));

/* Every buffer wraps the same memory, so writing costs what the sink
 * costs; every 30th is a keyframe, as in a 1 s GOP at 30 fps. */
static GstFlowReturn
rg_replay_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  RgReplaySrc *self = RG_REPLAY_SRC (psrc);
  guint64 n = self->produced++;
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_append_memory (buf, gst_memory_ref (self->memory));
  GST_BUFFER_PTS (buf) = n * (GST_SECOND / 30);
  GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf);
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  if (n % 30 != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  *outbuf = buf;
  return GST_FLOW_OK;
}

static void
rg_replay_src_finalize (GObject * object)
{
  RgReplaySrc *self = RG_REPLAY_SRC (object);

  if (self->memory)
    gst_memory_unref (self->memory);
  G_OBJECT_CLASS (rg_replay_src_parent_class)->finalize (object);
}

static void
rg_replay_src_class_init (RgReplaySrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = rg_replay_src_finalize;
  gst_element_class_add_static_pad_template (element_class,
      &replay_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Replay benchmark source", "Source",
      "Pushes one shared payload in new buffers", "gst-rg authors");
  GST_PUSH_SRC_CLASS (klass)->create = rg_replay_src_create;
}

static void
rg_replay_src_init (RgReplaySrc * self)
{
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

/* ------------------------------------------------------------------------ */
/* One case, in a child process.                                             */
/* ------------------------------------------------------------------------ */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gchar *sink;
  gchar *source;
  gchar *path;
  gint64 size;
  gint64 buffers;
  gint64 small_buffers;
  gint64 large_buffers;
  gint runs;
  gdouble min_seconds;
  gboolean smoke;
  gboolean keep;
  gboolean cold;
  gboolean drop_cache;
  gchar *dir;
  gchar *doc;
  gchar *plugin_dir;
} Options;

/* What one read case measured over all its passes. */
typedef struct
{
  gdouble wall_s;
  gdouble cpu_s;
  guint64 buffers;
  guint64 bytes;
  gboolean bytes_ok;
  gint passes;
  /* FilePmdMapped half-way through the first pass, KiB; -1 unknown. */
  gint64 pmd_kib;
} Result;

/* What the sink of a read pass saw (its streaming thread only). */
typedef struct
{
  gint64 size;
  const guint8 *pattern;
  guint64 count;
  guint64 bytes;
  gboolean bad_bytes;
  GstBuffer *last;
  guint64 sample_at;            /* count at which to sample FilePmdMapped */
  gint64 pmd_kib;
} Received;

/* FilePmdMapped of /proc/self/smaps_rollup in KiB: how much of this
 * process's file mappings the kernel maps with 2 MiB page-middle-directory
 * entries rather than 4 KiB page-table entries; -1 when unknown. */
static gint64
file_pmd_mapped_kib (void)
{
  gchar *text = NULL, *p;
  gint64 kib = -1;

  if (g_file_get_contents ("/proc/self/smaps_rollup", &text, NULL, NULL) &&
      (p = strstr (text, "FilePmdMapped:")) != NULL)
    kib = g_ascii_strtoll (p + strlen ("FilePmdMapped:"), NULL, 10);
  g_free (text);
  return kib;
}

/* Writes dirty pages back and empties the page cache (and the dentry and
 * inode caches), so that the next read comes from the disk. Needs root. */
static gboolean
drop_page_cache (void)
{
  int fd, errsv;
  gboolean ok;

  sync ();
  fd = open ("/proc/sys/vm/drop_caches", O_WRONLY);
  if (fd < 0) {
    errsv = errno;
    g_printerr ("rg-bench-replay: cannot open /proc/sys/vm/drop_caches: %s "
        "(--cold needs root)\n", g_strerror (errsv));
    return FALSE;
  }
  ok = write (fd, "3\n", 2) == 2;
  if (!ok)
    g_printerr ("rg-bench-replay: cannot drop the page cache: %s\n",
        g_strerror (errno));
  close (fd);
  return ok;
}

/* The value bytes of @size, to compare with memcmp(): checking a 1 MiB
 * buffer byte by byte would add a millisecond to every pass. */
static guint8 *
pattern_bytes (gint64 size)
{
  guint8 *p = g_malloc (size);
  gint64 i;

  for (i = 0; i < size; i++)
    p[i] = pattern_byte (i);
  return p;
}

static gboolean
bytes_match_pattern (GstBuffer * buf, const guint8 * pattern, gint64 size)
{
  GstMapInfo map;
  gboolean ok;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return FALSE;
  ok = (gint64) map.size == size && memcmp (map.data, pattern, size) == 0;
  gst_buffer_unmap (buf, &map);
  return ok;
}

/* Counts what reaches the sink. It checks the first buffer's bytes here and
 * keeps a reference to the latest one, checked after EOS, so that the
 * timed loop costs a counter and a reference swap per buffer (and, once,
 * a look at smaps_rollup half-way). */
static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Received *r = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (r->count == 0 && !bytes_match_pattern (buf, r->pattern, r->size))
    r->bad_bytes = TRUE;
  r->count++;
  r->bytes += gst_buffer_get_size (buf);
  gst_buffer_replace (&r->last, buf);
  if (r->count == r->sample_at)
    r->pmd_kib = file_pmd_mapped_kib ();
  return GST_PAD_PROBE_OK;
}

/* Plays @pipeline to EOS; adds the wall and CPU time it took to @res. */
static gboolean
play_to_eos (GstElement * pipeline, Result * res)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gint64 t0 = g_get_monotonic_time ();
  gdouble cpu0 = rg_bench_cpu_seconds ();
  gboolean ok;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  res->wall_s += (g_get_monotonic_time () - t0) / 1e6;
  res->cpu_s += rg_bench_cpu_seconds () - cpu0;
  ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("rg-bench-replay: %s: %s\n", GST_OBJECT_NAME (msg->src),
        err->message);
    g_clear_error (&err);
  } else if (msg == NULL) {
    g_printerr ("rg-bench-replay: no EOS within 600 s\n");
  }
  gst_clear_message (&msg);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return ok;
}

static GstMemory *
pattern_memory (gint64 size)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_memory_map (mem, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = pattern_byte (i);
  gst_memory_unmap (mem, &map);
  return mem;
}

static int
run_write (const Options * opt)
{
  gboolean journal = g_strcmp0 (opt->sink, "journal") == 0;
  GstElement *pipeline, *src, *sink;
  Result res = { 0 };
  gboolean ok;

  sink = gst_element_factory_make (journal ? "rgjournalsink" : "filesink",
      NULL);
  if (sink == NULL) {
    g_printerr ("rg-bench-replay: no %s element (is the rg plugin built?)\n",
        journal ? "rgjournalsink" : "filesink");
    return 1;
  }
  g_object_set (sink, "location", opt->path, NULL);
  if (journal)
    gst_util_set_object_arg (G_OBJECT (sink), "sync", "none");
  src = g_object_new (RG_TYPE_REPLAY_SRC, "num-buffers", (gint) opt->buffers,
      NULL);
  RG_REPLAY_SRC (src)->memory = pattern_memory (opt->size);
  pipeline = gst_pipeline_new (NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  ok = gst_element_link (src, sink);
  if (!ok)
    g_printerr ("rg-bench-replay: cannot link the source to the sink\n");
  else
    ok = play_to_eos (pipeline, &res);
  rg_bench_emit ("wall-s", "%.6f", res.wall_s);
  gst_object_unref (pipeline);
  return ok ? 0 : 1;
}

/* Maps @len bytes of @fd at a 2 MiB-aligned address, as the journal reader
 * does (see rgjournalreader.c), advised MADV_HUGEPAGE. */
static gpointer
map_aligned_huge (int fd, gsize len)
{
  gsize align = 2 * 1024 * 1024, lead;
  guint8 *area, *base;

  area = mmap (NULL, len + align, PROT_NONE,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED)
    return MAP_FAILED;
  base = (guint8 *) (((guintptr) area + align - 1) & ~(guintptr) (align - 1));
  if (mmap (base, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) ==
      MAP_FAILED) {
    munmap (area, len + align);
    return MAP_FAILED;
  }
  lead = base - area;
  if (lead > 0)
    munmap (area, lead);
  munmap (base + len, align - lead);
  madvise (base, len, MADV_HUGEPAGE);
  return base;
}

/* One pass of a reference for any zero-copy reader: map the value file
 * and read one byte of every page, as the first look at each record
 * would. No GStreamer; the time is what the machine charges for the first
 * access to a page of the page cache through a user mapping. @aligned: at
 * a 2 MiB boundary with MADV_HUGEPAGE (what rgsrc does), else wherever
 * mmap() puts it. */
static gboolean
touch_pass (const Options * opt, gboolean aligned, Result * res)
{
  int fd = open (opt->path, O_RDONLY);
  struct stat st;
  const guint8 *data;
  gint64 t0, page = sysconf (_SC_PAGESIZE);
  gdouble cpu0;
  guint64 sum = 0, i;
  gsize n;

  if (fd < 0 || fstat (fd, &st) != 0) {
    g_printerr ("rg-bench-replay: cannot open %s\n", opt->path);
    return FALSE;
  }
  n = st.st_size;
  t0 = g_get_monotonic_time ();
  cpu0 = rg_bench_cpu_seconds ();
  if (aligned)
    data = map_aligned_huge (fd, n);
  else
    data = mmap (NULL, n, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    g_printerr ("rg-bench-replay: cannot map %s\n", opt->path);
    close (fd);
    return FALSE;
  }
  for (i = 0; i < n; i += page)
    sum += data[i];
  res->wall_s += (g_get_monotonic_time () - t0) / 1e6;
  res->cpu_s += rg_bench_cpu_seconds () - cpu0;
  if (res->passes == 0)
    res->pmd_kib = file_pmd_mapped_kib ();
  res->buffers += (guint64) n / opt->size;
  res->bytes += n;
  if (data[0] != pattern_byte (0) || data[n - 1] != pattern_byte (opt->size
          - 1) || sum == 0)
    res->bytes_ok = FALSE;
  munmap ((gpointer) data, n);
  close (fd);
  return TRUE;
}

/* One pass of rgsrc or filesrc to EOS, in a new pipeline. */
static gboolean
read_pass (const Options * opt, const guint8 * pattern, Result * res)
{
  gchar *desc;
  GstElement *pipeline, *sink;
  GstPad *pad;
  GError *error = NULL;
  Received r = { opt->size, pattern, 0, 0, FALSE, NULL, G_MAXUINT64, -1 };
  gboolean ok;

  if (res->passes == 0)
    r.sample_at = MAX (opt->buffers / 2, 1);
  if (g_strcmp0 (opt->source, "rgsrc") == 0)
    desc = g_strdup_printf ("rgsrc location=\"%s\" ! fakesink name=sink "
        "sync=false enable-last-sample=false", opt->path);
  else
    desc = g_strdup_printf ("filesrc location=\"%s\" blocksize=%"
        G_GINT64_FORMAT " ! fakesink name=sink sync=false "
        "enable-last-sample=false", opt->path, opt->size);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  if (pipeline == NULL) {
    g_printerr ("rg-bench-replay: %s\n", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &r, NULL);
  ok = play_to_eos (pipeline, res);
  if (r.last != NULL && !bytes_match_pattern (r.last, pattern, opt->size))
    r.bad_bytes = TRUE;
  res->buffers += r.count;
  res->bytes += r.bytes;
  if (r.bad_bytes)
    res->bytes_ok = FALSE;
  if (res->passes == 0)
    res->pmd_kib = r.pmd_kib;
  gst_clear_buffer (&r.last);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return ok;
}

/* Reads the data again and again, each pass from the start (and, with
 * --drop-cache, from the disk), until the passes took --min-seconds in
 * all: a short run would measure mostly its own start-up and noise. */
static int
run_read (const Options * opt)
{
  Result res = { 0, 0, 0, 0, TRUE, 0, -1 };
  guint8 *pattern = pattern_bytes (opt->size);
  gboolean ok = TRUE;

  do {
    if (opt->drop_cache && !drop_page_cache ()) {
      g_free (pattern);
      return 1;
    }
    if (g_strcmp0 (opt->source, "mmap") == 0)
      ok = touch_pass (opt, FALSE, &res);
    else if (g_strcmp0 (opt->source, "mmap-huge") == 0)
      ok = touch_pass (opt, TRUE, &res);
    else
      ok = read_pass (opt, pattern, &res);
    res.passes++;
  } while (ok && res.wall_s < opt->min_seconds);
  rg_bench_emit ("wall-s", "%.6f", res.wall_s);
  rg_bench_emit ("cpu-s", "%.6f", res.cpu_s);
  rg_bench_emit ("buffers", "%" G_GUINT64_FORMAT, res.buffers);
  rg_bench_emit ("bytes", "%" G_GUINT64_FORMAT, res.bytes);
  rg_bench_emit ("bytes-ok", "%d", res.bytes_ok);
  rg_bench_emit ("passes", "%d", res.passes);
  rg_bench_emit ("pmd-kib", "%" G_GINT64_FORMAT, res.pmd_kib);
  g_free (pattern);
  return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------ */
/* The parent: run the cases, print and write the tables.                    */
/* ------------------------------------------------------------------------ */

/* Runs this program again in @mode with @args; FALSE, with what the child
 * printed on stderr, when the case failed. @min_seconds and @drop only
 * apply to reads. */
static gboolean
run_child (const Options * opt, const gchar * mode, const gchar * kind,
    const gchar * path, gint64 size, gint64 buffers, gdouble min_seconds,
    gboolean drop, Result * res)
{
  gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  gchar *out = NULL, *err = NULL;
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];
  gint status = 0;
  GError *error = NULL;
  gboolean ok;

  g_ptr_array_add (argv, exe);
  g_ptr_array_add (argv, g_strdup (mode));
  g_ptr_array_add (argv, g_strdup_printf ("--%s=%s",
          g_str_equal (mode, "write") ? "sink" : "source", kind));
  g_ptr_array_add (argv, g_strdup_printf ("--path=%s", path));
  g_ptr_array_add (argv, g_strdup_printf ("--size=%" G_GINT64_FORMAT, size));
  g_ptr_array_add (argv, g_strdup_printf ("--buffers=%" G_GINT64_FORMAT,
          buffers));
  g_ptr_array_add (argv, g_strdup_printf ("--plugin-dir=%s",
          opt->plugin_dir));
  g_ptr_array_add (argv, g_strdup_printf ("--min-seconds=%s",
          g_ascii_dtostr (num, sizeof (num), min_seconds)));
  if (drop)
    g_ptr_array_add (argv, g_strdup ("--drop-cache"));
  g_ptr_array_add (argv, NULL);
  ok = g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT,
      NULL, NULL, &out, &err, &status, &error) &&
      g_spawn_check_wait_status (status, &error);
  if (!ok) {
    g_printerr ("rg-bench-replay: %s %s %s failed: %s\n%s", mode, kind,
        path, error ? error->message : "", err ? err : "");
    g_clear_error (&error);
  } else {
    res->wall_s = rg_bench_result_value (out, "wall-s");
    res->cpu_s = rg_bench_result_value (out, "cpu-s");
    res->buffers = (guint64) rg_bench_result_value (out, "buffers");
    res->bytes = (guint64) rg_bench_result_value (out, "bytes");
    res->bytes_ok = rg_bench_result_value (out, "bytes-ok") == 1;
    res->passes = (gint) rg_bench_result_value (out, "passes");
    res->pmd_kib = (gint64) rg_bench_result_value (out, "pmd-kib");
  }
  g_free (out);
  g_free (err);
  g_ptr_array_unref (argv);
  return ok;
}

static gboolean
read_checked (const Options * opt, const gchar * source, const gchar * path,
    gint64 size, gint64 buffers, gdouble min_seconds, gboolean drop,
    Result * res)
{
  guint64 expect_buffers, expect_bytes;

  if (!run_child (opt, "read", source, path, size, buffers, min_seconds,
          drop, res))
    return FALSE;
  expect_buffers = (guint64) buffers * MAX (res->passes, 1);
  expect_bytes = expect_buffers * (guint64) size;
  if (res->buffers != expect_buffers || res->bytes != expect_bytes ||
      !res->bytes_ok) {
    g_printerr ("rg-bench-replay: %s read %" G_GUINT64_FORMAT " buffers, %"
        G_GUINT64_FORMAT " bytes (%s) from %s in %d passes; expected %"
        G_GINT64_FORMAT " of %" G_GINT64_FORMAT " B per pass\n", source,
        res->buffers, res->bytes, res->bytes_ok ? "bytes as written" :
        "WRONG BYTES", path, res->passes, buffers, size);
    return FALSE;
  }
  return TRUE;
}

static gdouble
rate (const Result * r)
{
  return r->buffers / r->wall_s;
}

/* Slowest first. */
static gint
compare_rate (gconstpointer a, gconstpointer b)
{
  gdouble x = rate (a), y = rate (b);

  return (x > y) - (x < y);
}

#define N_READERS 4

/* The page cache states a size is read in. */
typedef enum
{
  COND_WARM,                    /* as written, then read once untimed */
  COND_COLD,                    /* dropped before every pass */
  COND_REREAD,                  /* warm again, as the cold reads left it */
  N_CONDS,
} Condition;

/* One size: every reader in every condition. */
typedef struct
{
  gint64 size;
  gint64 buffers;
  guint64 journal_bytes;
  GArray *runs[N_CONDS][N_READERS];
} SizeCase;

/* filesrc first: the ratios are against it. */
static const gchar *const readers[N_READERS] = {
  "filesrc", "rgsrc", "mmap", "mmap-huge"
};

/* Who reads first after the page cache was dropped for COND_REREAD: the
 * readers whose readahead fills it with 2 MiB folios. */
static const gint reread_order[N_READERS] = { 1, 3, 0, 2 };

static const gchar *const reader_labels[N_READERS] = {
  "`filesrc blocksize=…`", "`rgsrc`",
  "reference: mmap, 1 byte per page",
  "reference: 2 MiB-aligned mmap + MADV_HUGEPAGE, 1 byte per page",
};

static const gchar *const cond_titles[N_CONDS] = {
  "Warm, as written: the page cache holds what the writers left (folios of "
      "at most 1 MiB here), plus one untimed read by each reader.",
  "Cold: `sync` and `echo 3 > /proc/sys/vm/drop_caches` before every "
      "pass (not timed), so every pass reads the disk through readahead.",
  "Warm after a cold read: the page cache dropped once, then one untimed "
      "cold read of the journal by rgsrc and of the file by the aligned "
      "reference (readahead of their MADV_HUGEPAGE mappings fills the "
      "page cache with 2 MiB folios), then one by each other reader.",
};

static guint64
journal_log_bytes (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint64 total = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    GStatBuf st;

    if (g_str_has_suffix (name, ".log") && g_stat (p, &st) == 0)
      total += st.st_size;
    g_free (p);
  }
  if (d != NULL)
    g_dir_close (d);
  return total;
}

static void
remove_tree (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (path, name, NULL);

    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_tree (p);
    else
      g_unlink (p);
    g_free (p);
  }
  if (d != NULL)
    g_dir_close (d);
  g_remove (path);
}

/* Times every reader in @cond, alternating, opt->runs times each. */
static gboolean
measure_condition (const Options * opt, SizeCase * sc, Condition cond,
    const gchar * const *paths)
{
  gboolean ok = TRUE;
  Result res;
  gint run, i;

  for (run = 0; ok && run < opt->runs; run++) {
    for (i = 0; ok && i < N_READERS; i++) {
      ok = read_checked (opt, readers[i], paths[i], sc->size, sc->buffers,
          opt->min_seconds, cond == COND_COLD, &res);
      if (ok)
        g_array_append_val (sc->runs[cond][i], res);
    }
  }
  for (i = 0; i < N_READERS; i++)
    g_array_sort (sc->runs[cond][i], compare_rate);
  return ok;
}

/* Writes both copies of the data, reads each once untimed (the warm-up),
 * then times the readers warm, and with --cold cold and warm again. */
static gboolean
measure_size (const Options * opt, SizeCase * sc)
{
  gchar *journal = g_strdup_printf ("%s/journal-%" G_GINT64_FORMAT,
      opt->dir, sc->size);
  gchar *file = g_strdup_printf ("%s/values-%" G_GINT64_FORMAT ".bin",
      opt->dir, sc->size);
  const gchar *paths[N_READERS] = { file, journal, file, file };
  gboolean ok;
  Result res;
  gint i;

  g_printerr ("rg-bench-replay: %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT
      " B: writing\n", sc->buffers, sc->size);
  ok = run_child (opt, "write", "journal", journal, sc->size, sc->buffers,
      0, FALSE, &res) && run_child (opt, "write", "file", file, sc->size,
      sc->buffers, 0, FALSE, &res);
  sc->journal_bytes = journal_log_bytes (journal);
  for (i = 0; ok && i < N_READERS; i++)
    ok = read_checked (opt, readers[i], paths[i], sc->size, sc->buffers, 0,
        FALSE, &res);
  if (ok)
    ok = measure_condition (opt, sc, COND_WARM, paths);
  if (ok && opt->cold) {
    g_printerr ("rg-bench-replay: %" G_GINT64_FORMAT " B: cold\n", sc->size);
    ok = measure_condition (opt, sc, COND_COLD, paths);
  }
  /* Every cold pass dropped the whole page cache, so whichever reader ran
   * last decided what is left: start again from an empty cache, read by
   * the mappers with MADV_HUGEPAGE first. */
  if (ok && opt->cold)
    ok = drop_page_cache ();
  for (i = 0; ok && opt->cold && i < N_READERS; i++)
    ok = read_checked (opt, readers[reread_order[i]],
        paths[reread_order[i]], sc->size, sc->buffers, 0, FALSE, &res);
  if (ok && opt->cold)
    ok = measure_condition (opt, sc, COND_REREAD, paths);
  if (!opt->keep) {
    remove_tree (journal);
    g_unlink (file);
  }
  g_free (journal);
  g_free (file);
  return ok;
}

static const Result *
median (const SizeCase * sc, Condition cond, gint reader)
{
  GArray *a = sc->runs[cond][reader];

  return &g_array_index (a, Result, a->len / 2);
}

static gchar *
fmt_thousands (gdouble v)
{
  gchar *digits = g_strdup_printf ("%.0f", v);
  GString *s = g_string_new (NULL);
  gsize len = strlen (digits), i;

  for (i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0)
      g_string_append_c (s, ',');
    g_string_append_c (s, digits[i]);
  }
  g_free (digits);
  return g_string_free (s, FALSE);
}

static const gchar *
size_label (gint64 size)
{
  return size >= 1024 * 1024 ? "1 MiB" : "100 B";
}

static gchar *
fmt_pmd (gint64 kib)
{
  if (kib < 0)
    return g_strdup ("?");
  return g_strdup_printf ("%.0f", kib / 1024.0);
}

static void
append_row (GString * md, const SizeCase * sc, Condition cond, gint reader)
{
  const Result *m = median (sc, cond, reader);
  GArray *a = sc->runs[cond][reader];
  gdouble bps = rate (m);
  gdouble lo = rate (&g_array_index (a, Result, 0));
  gdouble hi = rate (&g_array_index (a, Result, a->len - 1));
  gchar *n = fmt_thousands (sc->buffers), *b = fmt_thousands (bps);
  gchar *l = fmt_thousands (lo), *h = fmt_thousands (hi);
  gchar *pmd = fmt_pmd (m->pmd_kib);
  gdouble ratio_v = bps / rate (median (sc, cond, 0));
  gchar *ratio = g_strdup_printf (reader == 1 ? "**%.2f×**" : "%.2f×",
      ratio_v);

  g_string_append_printf (md, "| %s × %s | %s | %s | %s – %s | %.1f | %.2f "
      "| %d | %s | %s |\n", size_label (sc->size), n, reader_labels[reader],
      b, l, h, m->bytes / m->wall_s / 1e6, m->cpu_s * 1e6 / m->buffers,
      m->passes, pmd, ratio);
  g_free (n);
  g_free (b);
  g_free (l);
  g_free (h);
  g_free (pmd);
  g_free (ratio);
}

static const gchar *
fs_type (const gchar * dir)
{
  struct statfs st;

  if (statfs (dir, &st) != 0)
    return "unknown";
  switch ((guint32) st.f_type) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794c7630:
      return "overlayfs";
    default:
      return "other";
  }
}

static void
append_table (GString * md, SizeCase * cases, guint n_cases, Condition cond)
{
  guint i;
  gint r;

  g_string_append_printf (md, "%s\n\n", cond_titles[cond]);
  g_string_append (md, "| values | source | buffers/s | range | MB/s "
      "| CPU s / M buffers | passes | PMD-mapped (MiB) | / filesrc |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (i = 0; i < n_cases; i++)
    for (r = 0; r < N_READERS; r++)
      append_row (md, &cases[i], cond, r);
  g_string_append (md, "\n");
}

static GString *
build_markdown (const Options * opt, SizeCase * cases, guint n_cases,
    const gchar * command, const gchar * loadavg_start,
    const gchar * loadavg_end)
{
  GString *md = g_string_new (NULL);
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  gchar *cpu = rg_bench_cpu_model ();
  gchar *kernel = NULL;
  gchar *gst_version = gst_version_string ();
  guint i;
  gint c;

  g_file_get_contents ("/proc/sys/kernel/osrelease", &kernel, NULL, NULL);
  g_string_append_printf (md, "**%s**\n\n", opt->smoke ?
      "Smoke run (10x fewer buffers): it shows that the harness works, "
      "not final numbers." : "Full run.");
  g_string_append_printf (md, "- Date: %s\n- Machine: %u CPUs, %s, Linux "
      "%s\n- GStreamer: %s\n- Load average at start: %s; at the end: %s\n"
      "- Files in: %s (%s)\n- Command: `%s`\n- Median of %d runs per "
      "reader and condition, alternating (range: slowest – fastest run). "
      "A run is a process that reads all the data, again from the start, "
      "until it has spent %.1f s reading (passes); wall and CPU time from "
      "PLAYING to EOS of each pass\n- PMD-mapped: `FilePmdMapped` of "
      "`/proc/self/smaps_rollup` half-way through the first pass (rgsrc "
      "maps one segment at a time; the references map the whole file)\n\n",
      date, g_get_num_processors (), cpu, kernel ? g_strstrip (kernel) : "?",
      gst_version, loadavg_start, loadavg_end, opt->dir, fs_type (opt->dir),
      command, opt->runs, opt->min_seconds);
  for (c = 0; c < N_CONDS; c++)
    if (c == COND_WARM || opt->cold)
      append_table (md, cases, n_cases, c);
  for (i = 0; i < n_cases; i++)
    g_string_append_printf (md, "%s%s: journal segments %.1f MB for %.1f MB "
        "of values (the file)%s", i == 0 ? "On disk: " : "",
        size_label (cases[i].size), cases[i].journal_bytes / 1e6,
        cases[i].size * cases[i].buffers / 1e6, i + 1 < n_cases ? "; " : ".\n");
  g_free (kernel);
  g_free (gst_version);
  g_free (date);
  g_free (cpu);
  g_date_time_unref (now);
  return md;
}

static gboolean
write_doc (const gchar * doc, const gchar * block)
{
  gchar *generated = g_strconcat ("<!-- Generated by rg-bench-replay "
      "--write-doc; edits here are overwritten. -->\n\n", block, "\n", NULL);
  gboolean ok = rg_bench_write_doc_block (doc, MARK_BEGIN, MARK_END,
      generated, NULL);

  g_free (generated);
  return ok;
}

static int
run_matrix (Options * opt, const gchar * command)
{
  SizeCase cases[2] = {
    {100, opt->small_buffers, 0, {{NULL}}},
    {1024 * 1024, opt->large_buffers, 0, {{NULL}}},
  };
  gchar *loadavg = rg_bench_load_average (), *loadavg_end = NULL;
  gboolean made_dir = opt->dir == NULL, ok = TRUE;
  GString *md;
  guint i, c, r;

  /* Fail now rather than after the warm runs. */
  if (opt->cold && access ("/proc/sys/vm/drop_caches", W_OK) != 0) {
    g_printerr ("rg-bench-replay: --cold needs root (it writes "
        "/proc/sys/vm/drop_caches)\n");
    g_free (loadavg);
    return 1;
  }
  if (made_dir)
    opt->dir = g_dir_make_tmp ("rg-bench-replay-XXXXXX", NULL);
  else
    g_mkdir_with_parents (opt->dir, 0755);
  for (i = 0; ok && i < G_N_ELEMENTS (cases); i++) {
    for (c = 0; c < N_CONDS; c++)
      for (r = 0; r < N_READERS; r++)
        cases[i].runs[c][r] = g_array_new (FALSE, FALSE, sizeof (Result));
    ok = measure_size (opt, &cases[i]);
  }
  if (ok) {
    loadavg_end = rg_bench_load_average ();
    md = build_markdown (opt, cases, G_N_ELEMENTS (cases), command, loadavg,
        loadavg_end);
    fputs (md->str, stdout);
    if (opt->doc != NULL)
      ok = write_doc (opt->doc, md->str);
    g_string_free (md, TRUE);
  }
  if (made_dir && !opt->keep)
    g_remove (opt->dir);
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    for (c = 0; c < N_CONDS; c++)
      for (r = 0; r < N_READERS; r++)
        if (cases[i].runs[c][r] != NULL)
          g_array_unref (cases[i].runs[c][r]);
  g_free (loadavg);
  g_free (loadavg_end);
  return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

static void
ensure_plugin (const gchar * plugin_dir)
{
  GstElementFactory *f = gst_element_factory_find ("rgsrc");

  if (f != NULL) {
    gst_object_unref (f);
    return;
  }
  if (plugin_dir != NULL && g_file_test (plugin_dir, G_FILE_TEST_IS_DIR))
    gst_registry_scan_path (gst_registry_get (), plugin_dir);
}

static gboolean
on_write_doc (const gchar * name, const gchar * value, gpointer data,
    GError ** error)
{
  Options *opt = data;

  g_free (opt->doc);
  opt->doc = g_strdup (value ? value : RG_BENCH_DOC);
  return TRUE;
}

int
main (int argc, char **argv)
{
  Options opt = {.size = 100,.buffers = 0,.small_buffers = 200000,
    .large_buffers = 2000,.runs = 3,.min_seconds = 0.5,
  };
  GOptionEntry entries[] = {
    {"smoke", 0, 0, G_OPTION_ARG_NONE, &opt.smoke,
          "10x fewer buffers: checks the harness, labelled as a smoke run",
        NULL},
    {"cold", 0, 0, G_OPTION_ARG_NONE, &opt.cold,
          "Also time cold reads (page cache dropped before every pass; needs "
          "root) and warm reads after them", NULL},
    {"write-doc", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
          on_write_doc, "Write the tables into FILE between the replay-bench "
          "markers (default: the source tree's docs/performance.md)",
        "FILE"},
    {"small-buffers", 0, 0, G_OPTION_ARG_INT64, &opt.small_buffers,
        "Buffers of 100 B (default 200000)", "N"},
    {"large-buffers", 0, 0, G_OPTION_ARG_INT64, &opt.large_buffers,
        "Buffers of 1 MiB (default 2000)", "N"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &opt.runs,
        "Timed runs per reader, size and condition (default 3)", "R"},
    {"min-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt.min_seconds,
        "Read the data again until a run has read this long (default 0.5)",
        "S"},
    {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.dir,
          "Where to write the data (default: a new directory in $TMPDIR)",
        "DIR"},
    {"keep", 0, 0, G_OPTION_ARG_NONE, &opt.keep,
        "Keep the journals and files afterwards", NULL},
    {"sink", 0, 0, G_OPTION_ARG_STRING, &opt.sink,
        "write: journal or file", "S"},
    {"source", 0, 0, G_OPTION_ARG_STRING, &opt.source,
        "read: rgsrc, filesrc, mmap or mmap-huge", "S"},
    {"path", 0, 0, G_OPTION_ARG_FILENAME, &opt.path,
        "write/read: the journal directory or file", "P"},
    {"size", 0, 0, G_OPTION_ARG_INT64, &opt.size,
        "write/read: value bytes per buffer", "B"},
    {"buffers", 0, 0, G_OPTION_ARG_INT64, &opt.buffers,
        "write/read: buffers written", "N"},
    {"drop-cache", 0, 0, G_OPTION_ARG_NONE, &opt.drop_cache,
        "read: drop the page cache before every pass (root)", NULL},
    {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.plugin_dir,
        "Where to look for the rg plugin if the registry lacks it", "DIR"},
    {NULL}
  };
  GOptionContext *ctx;
  GOptionGroup *group;
  GError *error = NULL;
  gchar *command, *tmp;
  const gchar *mode;
  int ret;

  /* The command as a reader would type it in the build directory. */
  command = g_strjoinv (" ", argv + 1);
  command = g_strdup_printf ("build/tests/bench/rg-bench-replay%s%s",
      argc > 1 ? " " : "", tmp = command);
  g_free (tmp);
  group = g_option_group_new ("replay", "", "", &opt, NULL);
  g_option_group_add_entries (group, entries);
  ctx = g_option_context_new ("[write|read] - rgsrc replay against filesrc");
  g_option_context_set_main_group (ctx, group);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("rg-bench-replay: %s\n", error->message);
    g_clear_error (&error);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);
  if (opt.plugin_dir == NULL)
    opt.plugin_dir = g_strdup (RG_BENCH_PLUGIN_DIR);
  ensure_plugin (opt.plugin_dir);
  if (opt.smoke) {
    opt.small_buffers /= 10;
    opt.large_buffers /= 10;
  }

  mode = argc > 1 ? argv[1] : "matrix";
  if (g_str_equal (mode, "write"))
    ret = run_write (&opt);
  else if (g_str_equal (mode, "read"))
    ret = run_read (&opt);
  else if (g_str_equal (mode, "matrix"))
    ret = run_matrix (&opt, command);
  else {
    g_printerr ("rg-bench-replay: unknown mode \"%s\"\n", mode);
    ret = 2;
  }
  g_free (command);
  g_free (opt.sink);
  g_free (opt.source);
  g_free (opt.path);
  g_free (opt.dir);
  g_free (opt.doc);
  g_free (opt.plugin_dir);
  return ret;
}
