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
 *   rg-bench-replay [--smoke] [--write-doc[=FILE]] [options]
 *       For each value size (100 B and 1 MiB), writes N buffers of that
 *       size twice: into a journal with rgjournalsink sync=none, and into a
 *       plain file with filesink, the same value bytes back to back. Then
 *       times `rgsrc location=DIR ! fakesink` against
 *       `filesrc location=FILE blocksize=SIZE ! fakesink`, alternating,
 *       with a reference that only maps the file and touches each page
 *       (what any zero-copy reader pays at least), and prints a Markdown
 *       table. --write-doc puts the table into docs/performance.md between
 *       the replay-bench markers.
 *
 *   rg-bench-replay write --sink=journal|file --path=P --size=B --buffers=N
 *   rg-bench-replay read --source=rgsrc|filesrc|mmap --path=P --size=B
 *       One case, in a process of its own (the program re-executes itself):
 *       prints "@key=value" lines with wall time, CPU time (getrusage of the
 *       whole process from PLAYING to EOS) and what the sink received.
 *
 * Nothing is dropped from the page cache: the files were just written and
 * an untimed read of each precedes the timed ones, so these are warm reads,
 * the cost of the source elements themselves rather than of the disk.
 * Every read checks the buffer count, the total bytes and the first and
 * last buffer's bytes against what was written.
 */

#include <gst/gst.h>
#include "rgbench.h"
#include <gst/base/gstpushsrc.h>
#include <glib/gstdio.h>

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
  gboolean smoke;
  gboolean keep;
  gchar *dir;
  gchar *doc;
  gchar *plugin_dir;
} Options;

/* What the sink of a read case saw (its streaming thread only). */
typedef struct
{
  gint64 size;
  guint64 count;
  guint64 bytes;
  gboolean bad_bytes;
  GstBuffer *last;
} Received;



static gboolean
bytes_match_pattern (GstBuffer * buf, gint64 size)
{
  GstMapInfo map;
  gboolean ok;
  gsize i;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return FALSE;
  ok = (gint64) map.size == size;
  for (i = 0; ok && i < map.size; i++)
    ok = map.data[i] == pattern_byte (i);
  gst_buffer_unmap (buf, &map);
  return ok;
}

/* Counts what reaches the sink. It checks the first buffer's bytes here and
 * keeps a reference to the latest one, checked after EOS, so that the
 * timed loop costs a counter and a reference swap per buffer. */
static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Received *r = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (r->count == 0 && !bytes_match_pattern (buf, r->size))
    r->bad_bytes = TRUE;
  r->count++;
  r->bytes += gst_buffer_get_size (buf);
  gst_buffer_replace (&r->last, buf);
  return GST_PAD_PROBE_OK;
}

/* Plays @pipeline to EOS and emits the wall and CPU time it took. */
static gboolean
play_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gint64 t0 = g_get_monotonic_time ();
  gdouble cpu0 = rg_bench_cpu_seconds ();
  gboolean ok;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  rg_bench_emit ("wall-s", "%.6f", (g_get_monotonic_time () - t0) / 1e6);
  rg_bench_emit ("cpu-s", "%.6f", rg_bench_cpu_seconds () - cpu0);
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
    ok = play_to_eos (pipeline);
  gst_object_unref (pipeline);
  return ok ? 0 : 1;
}

/* The reference for any zero-copy reader: map the value file and read one
 * byte of every page, as the first look at each record would. No
 * GStreamer; the time is what the machine charges for the first access to
 * a page of the page cache through a user mapping. */
static int
run_touch (const Options * opt)
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
    return 1;
  }
  n = st.st_size;
  t0 = g_get_monotonic_time ();
  cpu0 = rg_bench_cpu_seconds ();
  data = mmap (NULL, n, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    g_printerr ("rg-bench-replay: cannot map %s\n", opt->path);
    return 1;
  }
  for (i = 0; i < n; i += page)
    sum += data[i];
  rg_bench_emit ("wall-s", "%.6f", (g_get_monotonic_time () - t0) / 1e6);
  rg_bench_emit ("cpu-s", "%.6f", rg_bench_cpu_seconds () - cpu0);
  rg_bench_emit ("buffers", "%" G_GINT64_FORMAT, (gint64) n / opt->size);
  rg_bench_emit ("bytes", "%" G_GSIZE_FORMAT, n);
  rg_bench_emit ("bytes-ok", "%d", data[0] == pattern_byte (0) &&
      data[n - 1] == pattern_byte (opt->size - 1));
  rg_bench_emit ("checksum", "%" G_GUINT64_FORMAT, sum);
  munmap ((gpointer) data, n);
  close (fd);
  return 0;
}

static int
run_read (const Options * opt)
{
  gchar *desc;
  GstElement *pipeline, *sink;
  GstPad *pad;
  GError *error = NULL;
  Received r = { opt->size, 0, 0, FALSE, NULL };
  gboolean ok;

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
    return 1;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &r, NULL);
  ok = play_to_eos (pipeline);
  if (r.last != NULL && !bytes_match_pattern (r.last, opt->size))
    r.bad_bytes = TRUE;
  rg_bench_emit ("buffers", "%" G_GUINT64_FORMAT, r.count);
  rg_bench_emit ("bytes", "%" G_GUINT64_FORMAT, r.bytes);
  rg_bench_emit ("bytes-ok", "%d", !r.bad_bytes);
  gst_clear_buffer (&r.last);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------ */
/* The parent: run the cases, print and write the table.                     */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gdouble wall_s;
  gdouble cpu_s;
  guint64 buffers;
  guint64 bytes;
  gboolean bytes_ok;
} Result;


/* Runs this program again in @mode with @args; FALSE, with what the child
 * printed on stderr, when the case failed. */
static gboolean
run_child (const Options * opt, const gchar * mode, const gchar * kind,
    const gchar * path, gint64 size, gint64 buffers, Result * res)
{
  gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  gchar *argv[9];
  gchar *out = NULL, *err = NULL;
  gint status = 0;
  GError *error = NULL;
  gboolean ok;

  argv[0] = exe;
  argv[1] = (gchar *) mode;
  argv[2] = g_strdup_printf ("--%s=%s",
      g_str_equal (mode, "write") ? "sink" : "source", kind);
  argv[3] = g_strdup_printf ("--path=%s", path);
  argv[4] = g_strdup_printf ("--size=%" G_GINT64_FORMAT, size);
  argv[5] = g_strdup_printf ("--buffers=%" G_GINT64_FORMAT, buffers);
  argv[6] = g_strdup_printf ("--plugin-dir=%s", opt->plugin_dir);
  argv[7] = NULL;
  ok = g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
      &err, &status, &error) && g_spawn_check_wait_status (status, &error);
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
  }
  g_free (out);
  g_free (err);
  g_free (exe);
  g_free (argv[2]);
  g_free (argv[3]);
  g_free (argv[4]);
  g_free (argv[5]);
  g_free (argv[6]);
  return ok;
}

static gboolean
read_checked (const Options * opt, const gchar * source, const gchar * path,
    gint64 size, gint64 buffers, Result * res)
{
  if (!run_child (opt, "read", source, path, size, buffers, res))
    return FALSE;
  if (res->buffers != (guint64) buffers ||
      res->bytes != (guint64) (buffers * size) || !res->bytes_ok) {
    g_printerr ("rg-bench-replay: %s read %" G_GUINT64_FORMAT " buffers, %"
        G_GUINT64_FORMAT " bytes (%s) from %s; expected %" G_GINT64_FORMAT
        " of %" G_GINT64_FORMAT " B\n", source, res->buffers, res->bytes,
        res->bytes_ok ? "bytes as written" : "WRONG BYTES", path, buffers,
        size);
    return FALSE;
  }
  return TRUE;
}

static gint
compare_wall (gconstpointer a, gconstpointer b)
{
  const Result *x = a, *y = b;

  return (x->wall_s > y->wall_s) - (x->wall_s < y->wall_s);
}

#define N_READERS 3

/* One size: every reader, results sorted by wall time. */
typedef struct
{
  gint64 size;
  gint64 buffers;
  guint64 journal_bytes;
  GArray *runs[N_READERS];
} SizeCase;

/* filesrc first: the ratios are against it. */
static const gchar *const readers[N_READERS] = { "filesrc", "rgsrc", "mmap" };
static const gchar *const reader_labels[N_READERS] = {
  "`filesrc blocksize=…`", "`rgsrc`",
  "reference: mmap the file, read 1 byte per page (no GStreamer)",
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

/* Writes both copies of the data, reads each once untimed (the warm-up),
 * then times the readers alternately, opt->runs times each. */
static gboolean
measure_size (const Options * opt, SizeCase * sc)
{
  gchar *journal = g_strdup_printf ("%s/journal-%" G_GINT64_FORMAT,
      opt->dir, sc->size);
  gchar *file = g_strdup_printf ("%s/values-%" G_GINT64_FORMAT ".bin",
      opt->dir, sc->size);
  const gchar *paths[N_READERS] = { file, journal, file };
  gboolean ok;
  Result res;
  gint run, i;

  g_printerr ("rg-bench-replay: %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT
      " B: writing\n", sc->buffers, sc->size);
  ok = run_child (opt, "write", "journal", journal, sc->size, sc->buffers,
      &res) && run_child (opt, "write", "file", file, sc->size, sc->buffers,
      &res);
  sc->journal_bytes = journal_log_bytes (journal);
  for (i = 0; ok && i < N_READERS; i++)
    ok = read_checked (opt, readers[i], paths[i], sc->size, sc->buffers, &res);
  for (run = 0; ok && run < opt->runs; run++) {
    for (i = 0; ok && i < N_READERS; i++) {
      ok = read_checked (opt, readers[i], paths[i], sc->size, sc->buffers,
          &res);
      if (ok)
        g_array_append_val (sc->runs[i], res);
    }
  }
  for (i = 0; i < N_READERS; i++)
    g_array_sort (sc->runs[i], compare_wall);
  if (!opt->keep) {
    remove_tree (journal);
    g_unlink (file);
  }
  g_free (journal);
  g_free (file);
  return ok;
}

static const Result *
median (const SizeCase * sc, gint reader)
{
  GArray *a = sc->runs[reader];

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

static void
append_row (GString * md, const SizeCase * sc, gint reader)
{
  const Result *m = median (sc, reader);
  GArray *a = sc->runs[reader];
  gdouble bps = m->buffers / m->wall_s;
  gdouble lo = sc->buffers / g_array_index (a, Result, a->len - 1).wall_s;
  gdouble hi = sc->buffers / g_array_index (a, Result, 0).wall_s;
  gchar *n = fmt_thousands (sc->buffers), *b = fmt_thousands (bps);
  gchar *l = fmt_thousands (lo), *h = fmt_thousands (hi);
  gdouble ratio_v = bps / (median (sc, 0)->buffers / median (sc, 0)->wall_s);
  gchar *ratio = g_strdup_printf (reader == 1 ? "**%.2f×**" : "%.2f×",
      ratio_v);

  g_string_append_printf (md, "| %s × %s | %s | %s | %s – %s | %.1f | %.2f "
      "| %s |\n", size_label (sc->size), n, reader_labels[reader], b, l, h,
      m->bytes / m->wall_s / 1e6, m->cpu_s * 1e6 / m->buffers, ratio);
  g_free (n);
  g_free (b);
  g_free (l);
  g_free (h);
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


static GString *
build_markdown (const Options * opt, SizeCase * cases, guint n_cases,
    const gchar * command, const gchar * loadavg)
{
  GString *md = g_string_new (NULL);
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  gchar *cpu = rg_bench_cpu_model ();
  guint i;
  gint r;

  g_string_append_printf (md, "**%s**\n\n", opt->smoke ?
      "Smoke run (10x fewer buffers): it shows that the harness works, "
      "not final numbers." : "Full run.");
  g_string_append_printf (md, "- Date: %s\n- Machine: %u CPUs, %s\n"
      "- GStreamer: %s\n- Load average at start: %s\n"
      "- Files in: %s (%s); warm page cache: nothing dropped, one untimed "
      "read of each before the timed ones\n"
      "- Command: `%s`\n- Median of %d runs per reader, alternating "
      "(range: slowest – fastest run); wall and CPU time from PLAYING "
      "to EOS, in a process per run\n\n", date, g_get_num_processors (),
      cpu, gst_version_string (), loadavg, opt->dir, fs_type (opt->dir),
      command, opt->runs);
  g_string_append (md, "| values | source | buffers/s | range | MB/s "
      "| CPU s / M buffers | / filesrc |\n"
      "|---|---|---:|---:|---:|---:|---:|\n");
  for (i = 0; i < n_cases; i++)
    for (r = 0; r < N_READERS; r++)
      append_row (md, &cases[i], r);
  g_string_append (md, "\n");
  for (i = 0; i < n_cases; i++)
    g_string_append_printf (md, "%s%s: journal segments %.1f MB for %.1f MB "
        "of values (the file)%s", i == 0 ? "On disk: " : "",
        size_label (cases[i].size), cases[i].journal_bytes / 1e6,
        cases[i].size * cases[i].buffers / 1e6, i + 1 < n_cases ? "; " : ".\n");
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
    {100, opt->small_buffers, 0, {NULL}},
    {1024 * 1024, opt->large_buffers, 0, {NULL}},
  };
  gchar *loadavg = rg_bench_load_average ();
  gboolean made_dir = opt->dir == NULL, ok = TRUE;
  GString *md;
  guint i, r;

  if (made_dir)
    opt->dir = g_dir_make_tmp ("rg-bench-replay-XXXXXX", NULL);
  else
    g_mkdir_with_parents (opt->dir, 0755);
  for (i = 0; ok && i < G_N_ELEMENTS (cases); i++) {
    for (r = 0; r < N_READERS; r++)
      cases[i].runs[r] = g_array_new (FALSE, FALSE, sizeof (Result));
    ok = measure_size (opt, &cases[i]);
  }
  if (ok) {
    md = build_markdown (opt, cases, G_N_ELEMENTS (cases), command, loadavg);
    fputs (md->str, stdout);
    if (opt->doc != NULL)
      ok = write_doc (opt->doc, md->str);
    g_string_free (md, TRUE);
  }
  if (made_dir && !opt->keep)
    g_remove (opt->dir);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    for (r = 0; r < N_READERS; r++)
      if (cases[i].runs[r] != NULL)
        g_array_unref (cases[i].runs[r]);
  }
  g_free (loadavg);
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
    .large_buffers = 2000,.runs = 3,
  };
  GOptionEntry entries[] = {
    {"smoke", 0, 0, G_OPTION_ARG_NONE, &opt.smoke,
          "10x fewer buffers: checks the harness, labelled as a smoke run",
        NULL},
    {"write-doc", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
          on_write_doc, "Write the table into FILE between the replay-bench "
          "markers (default: the source tree's docs/performance.md)",
        "FILE"},
    {"small-buffers", 0, 0, G_OPTION_ARG_INT64, &opt.small_buffers,
        "Buffers of 100 B (default 200000)", "N"},
    {"large-buffers", 0, 0, G_OPTION_ARG_INT64, &opt.large_buffers,
        "Buffers of 1 MiB (default 2000)", "N"},
    {"runs", 0, 0, G_OPTION_ARG_INT, &opt.runs,
        "Timed runs per reader and size (default 3)", "R"},
    {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.dir,
          "Where to write the data (default: a new directory in $TMPDIR)",
        "DIR"},
    {"keep", 0, 0, G_OPTION_ARG_NONE, &opt.keep,
        "Keep the journals and files afterwards", NULL},
    {"sink", 0, 0, G_OPTION_ARG_STRING, &opt.sink,
        "write: journal or file", "S"},
    {"source", 0, 0, G_OPTION_ARG_STRING, &opt.source,
        "read: rgsrc or filesrc", "S"},
    {"path", 0, 0, G_OPTION_ARG_FILENAME, &opt.path,
        "write/read: the journal directory or file", "P"},
    {"size", 0, 0, G_OPTION_ARG_INT64, &opt.size,
        "write/read: value bytes per buffer", "B"},
    {"buffers", 0, 0, G_OPTION_ARG_INT64, &opt.buffers,
        "write: buffers to write", "N"},
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
  else if (g_str_equal (mode, "read") && g_strcmp0 (opt.source, "mmap") == 0)
    ret = run_touch (&opt);
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
