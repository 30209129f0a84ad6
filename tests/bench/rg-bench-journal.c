/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The journal writer (gst/rgjournal.c) against the plain ways of writing
 * the same buffers, side by side in one run on one disk:
 *
 *   write-none-100 / -1m   rg_journal_writer_append(), sync=none, one
 *                          GstBuffer of 100 B or 1 MiB per record, what
 *                          rgjournalsink's render() does
 *   filesink-100 / -1m     filesink's own write path: buffers gathered in a
 *                          GstBufferList until 64 KiB (filesink's default
 *                          buffer-size), then their mapped memories go out
 *                          with one writev()
 *   write-loop-100 / -1m   one write() per buffer (filesink buffer-mode=2)
 *   (these six run in turns, ROUNDS times, each in a fresh process; the
 *   median of each is reported)
 *   always-100             sync=always, 100 B records as fast as they go:
 *                          records/s until the last is durable, and the
 *                          append-to-durable latency of every record
 *   always-100-paced       the same at 2,000 records/s, the latency a
 *                          telemetry stream sees when the disk is not busy
 *   always-100-paced-20k   the same at 20,000 records/s
 *   bare-fdatasync         pwrite() of 100 B + fdatasync() per record, the
 *                          floor for one durable record
 *   recover-<MiB>          open (recovery) of a journal of that size whose
 *                          active segment ends in a torn batch
 *
 * Every buffer of the throughput cases is a new GstBuffer around the same
 * pre-allocated GstMemory, as a source would push them, so the cost
 * measured is the writing. Each case runs in a process of its own (the
 * program re-executes itself with --case).
 *
 * Usage: rg-bench-journal [--dir DIR] [--scale S] [--recover-mib 256,1024]
 *        [--cold]
 *        rg-bench-journal --case NAME [--dir DIR] [--scale S]
 * --scale multiplies the record counts (1 = the full run, 0.1 = a smoke
 * run). --cold drops the page cache before each recovery is timed (needs
 * root; it slows everything else on the machine for a moment). DIR must be
 * on the disk to measure (default: a new directory in the
 * current one). Prints a Markdown table. */

#include <gst/gst.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rgjournal.h"

/* Turns of the throughput cases; the median is reported. */
#define ROUNDS 5

static gboolean opt_cold = FALSE;
static gchar *opt_dir = NULL;
static gdouble opt_scale = 1.0;
static gchar *opt_case = NULL;
static gchar *opt_recover = NULL;

static GOptionEntry entries[] = {
  {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir, "Scratch directory", "DIR"},
  {"scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt_scale, "Record count factor",
      "S"},
  {"case", 0, 0, G_OPTION_ARG_STRING, &opt_case, "Run one case", "NAME"},
  {"cold", 0, 0, G_OPTION_ARG_NONE, &opt_cold,
      "Drop the page cache (root) before timing recovery", NULL},
  {"recover-mib", 0, 0, G_OPTION_ARG_STRING, &opt_recover,
      "Journal sizes for the recovery cases (MiB, comma-separated)", "LIST"},
  {NULL}
};

typedef struct
{
  gdouble per_second;           /* buffers or records per second */
  gdouble mib_per_second;
  gdouble p50_us, p99_us, max_us;
  gdouble seconds;
  guint64 count;
  gchar note[160];
} Result;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static guint64
scaled (guint64 n)
{
  return MAX ((guint64) (n * opt_scale), 10);
}

static GstMemory *
payload (gsize size)
{
  GstMemory *mem = gst_allocator_alloc (NULL, size, NULL);
  GstMapInfo map;

  gst_memory_map (mem, &map, GST_MAP_WRITE);
  memset (map.data, 0x5a, size);
  gst_memory_unmap (mem, &map);
  return mem;
}

static GstBuffer *
wrap (GstMemory * mem, guint64 i)
{
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_append_memory (buf, gst_memory_ref (mem));
  GST_BUFFER_PTS (buf) = i * GST_MSECOND;
  GST_BUFFER_DURATION (buf) = GST_MSECOND;
  return buf;
}

static gchar *
scratch (const gchar * name)
{
  gchar *path = g_build_filename (opt_dir, name, NULL);

  g_mkdir_with_parents (path, 0755);
  return path;
}

static void
remove_tree (const gchar * path)
{
  gchar *cmd = g_strdup_printf ("rm -rf '%s'", path);

  if (system (cmd) != 0)
    g_printerr ("cannot remove %s\n", path);
  g_free (cmd);
}

static RgJournalWriter *
open_journal (const gchar * dir, RgJournalSync sync)
{
  RgJournalConfig config;
  RgJournalWriter *w;
  GError *err = NULL;

  rg_journal_config_init (&config);
  config.sync = sync;
  /* For experiments: RG_BENCH_MAX_SEGMENT, RG_BENCH_MAX_PENDING (bytes). */
  if (g_getenv ("RG_BENCH_MAX_SEGMENT"))
    config.max_segment_bytes = g_ascii_strtoull (g_getenv
        ("RG_BENCH_MAX_SEGMENT"), NULL, 10);
  if (g_getenv ("RG_BENCH_MAX_PENDING"))
    config.max_pending_bytes = g_ascii_strtoull (g_getenv
        ("RG_BENCH_MAX_PENDING"), NULL, 10);
  w = rg_journal_writer_open (dir, &config, &err);
  if (w == NULL)
    g_error ("open %s: %s", dir, err->message);
  return w;
}

static int
compare_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static int
compare_gdouble (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static void
percentiles (gint64 * lat, guint64 n, Result * r)
{
  qsort (lat, n, sizeof (gint64), compare_gint64);
  r->p50_us = lat[n / 2] / 1000.0;
  r->p99_us = lat[MIN (n - 1, n * 99 / 100)] / 1000.0;
  r->max_us = lat[n - 1] / 1000.0;
}

/* ---- sync=none against filesink's write path ---- */

static void
case_journal_none (gsize size, guint64 n, Result * r)
{
  gchar *dir = scratch ("journal-none");
  GstMemory *mem = payload (size);
  RgJournalWriter *w = open_journal (dir, RG_JOURNAL_SYNC_NONE);
  gint64 start = now_ns (), elapsed;
  guint64 i;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = wrap (mem, i);

    if (!rg_journal_writer_append (w, buf, -1, NULL, NULL, NULL))
      g_error ("append failed");
    gst_buffer_unref (buf);
  }
  elapsed = now_ns () - start;
  rg_journal_writer_close (w, NULL);
  r->count = n;
  r->seconds = elapsed / 1e9;
  r->per_second = n / r->seconds;
  r->mib_per_second = n * (gdouble) size / (1 << 20) / r->seconds;
  gst_memory_unref (mem);
  remove_tree (dir);
  g_free (dir);
}

/* filesink's flush: the buffers of the list mapped, one writev() per
 * group. filesink maps up to IOV_MAX at a time; the groups here are of 128
 * because every buffer of this benchmark shares one GstMemory, whose lock
 * counts at most 255 concurrent mappings. */
static void
writev_list (int fd, GstBufferList * list)
{
  guint i, j, n = gst_buffer_list_length (list);
  struct iovec iov[128];
  GstMapInfo maps[128];

  for (i = 0; i < n; i += 128) {
    guint k = MIN (n - i, 128);

    for (j = 0; j < k; j++) {
      gst_buffer_map (gst_buffer_list_get (list, i + j), &maps[j],
          GST_MAP_READ);
      iov[j].iov_base = maps[j].data;
      iov[j].iov_len = maps[j].size;
    }
    if (writev (fd, iov, k) < 0)
      g_error ("writev: %s", g_strerror (errno));
    for (j = 0; j < k; j++)
      gst_buffer_unmap (gst_buffer_list_get (list, i + j), &maps[j]);
  }
}

static void
case_filesink (gsize size, guint64 n, gboolean buffered, Result * r)
{
  gchar *dir = scratch ("filesink");
  gchar *path = g_build_filename (dir, "out.bin", NULL);
  GstMemory *mem = payload (size);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  GstBufferList *list = gst_buffer_list_new ();
  gsize pending = 0;
  gint64 start = now_ns (), elapsed;
  guint64 i;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = wrap (mem, i);

    if (!buffered) {
      GstMapInfo map;

      gst_buffer_map (buf, &map, GST_MAP_READ);
      if (write (fd, map.data, map.size) != (ssize_t) map.size)
        g_error ("write: %s", g_strerror (errno));
      gst_buffer_unmap (buf, &map);
      gst_buffer_unref (buf);
      continue;
    }
    /* filesink: add to the list; past buffer-size, write the list out. */
    gst_buffer_list_add (list, buf);
    pending += size;
    if (pending > 64 * 1024) {
      writev_list (fd, list);
      gst_buffer_list_unref (list);
      list = gst_buffer_list_new ();
      pending = 0;
    }
  }
  if (gst_buffer_list_length (list) > 0)
    writev_list (fd, list);
  elapsed = now_ns () - start;
  gst_buffer_list_unref (list);
  close (fd);
  r->count = n;
  r->seconds = elapsed / 1e9;
  r->per_second = n / r->seconds;
  r->mib_per_second = n * (gdouble) size / (1 << 20) / r->seconds;
  gst_memory_unref (mem);
  remove_tree (dir);
  g_free (path);
  g_free (dir);
}

/* ---- sync=always: group commit ---- */

typedef struct
{
  RgJournalWriter *w;
  gint64 *appended;             /* per record, ns */
  gint64 *durable;              /* per record, ns */
  guint64 n;
  volatile gint done;
} Watch;

/* Stamps every record with the time its durability became known. */
static gpointer
watch_durable (gpointer data)
{
  Watch *watch = data;
  guint64 stamped = 0;

  while (stamped < watch->n) {
    guint64 next = rg_journal_writer_get_next_offset (watch->w), d;
    gint64 t;

    if (next == stamped) {
      g_usleep (50);
      continue;
    }
    if (!rg_journal_writer_wait_durable (watch->w, next - 1, NULL))
      g_error ("wait_durable failed");
    t = now_ns ();
    d = rg_journal_writer_get_durable_offset (watch->w);
    while (stamped < d)
      watch->durable[stamped++] = t;
  }
  return NULL;
}

static void
case_always (guint64 n, guint rate, Result * r)
{
  gchar *dir = scratch ("journal-always");
  GstMemory *mem = payload (100);
  Watch watch = { 0 };
  GThread *thread;
  RgJournalStats stats;
  gint64 start, elapsed, *lat;
  guint64 i;

  watch.w = open_journal (dir, RG_JOURNAL_SYNC_ALWAYS);
  watch.n = n;
  watch.appended = g_new (gint64, n);
  watch.durable = g_new (gint64, n);
  thread = g_thread_new ("watch", watch_durable, &watch);
  start = now_ns ();
  for (i = 0; i < n; i++) {
    GstBuffer *buf = wrap (mem, i);

    if (rate > 0) {
      gint64 due = start + (gint64) (i * (1e9 / rate));

      /* Sleep, never spin: on two cores a spinning producer would take
       * the CPU the syncer needs. */
      for (;;) {
        gint64 left = due - now_ns ();

        if (left <= 0)
          break;
        g_usleep (MAX (left / 1000, 1));
      }
    }
    watch.appended[i] = now_ns ();
    if (!rg_journal_writer_append (watch.w, buf, -1, NULL, NULL, NULL))
      g_error ("append failed");
    gst_buffer_unref (buf);
  }
  g_thread_join (thread);
  elapsed = watch.durable[n - 1] - start;
  rg_journal_writer_get_stats (watch.w, &stats);
  rg_journal_writer_close (watch.w, NULL);

  lat = g_new (gint64, n);
  for (i = 0; i < n; i++)
    lat[i] = watch.durable[i] - watch.appended[i];
  percentiles (lat, n, r);
  r->count = n;
  r->seconds = elapsed / 1e9;
  r->per_second = n / r->seconds;
  r->mib_per_second = 0;
  g_snprintf (r->note, sizeof (r->note), "%" G_GUINT64_FORMAT
      " fdatasyncs, %.0f records each", stats.fsyncs,
      (gdouble) n / MAX (stats.fsyncs, 1));
  g_free (lat);
  g_free (watch.appended);
  g_free (watch.durable);
  gst_memory_unref (mem);
  remove_tree (dir);
  g_free (dir);
}

static void
case_bare_fdatasync (guint64 n, Result * r)
{
  gchar *dir = scratch ("bare");
  gchar *path = g_build_filename (dir, "out.bin", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  guint8 record[100];
  gint64 *lat = g_new (gint64, n), start = now_ns ();
  guint64 i;

  memset (record, 0x5a, sizeof (record));
  for (i = 0; i < n; i++) {
    gint64 t = now_ns ();

    if (pwrite (fd, record, sizeof (record), i * sizeof (record)) < 0
        || fdatasync (fd) < 0)
      g_error ("pwrite/fdatasync: %s", g_strerror (errno));
    lat[i] = now_ns () - t;
  }
  r->seconds = (now_ns () - start) / 1e9;
  r->count = n;
  r->per_second = n / r->seconds;
  percentiles (lat, n, r);
  close (fd);
  g_free (lat);
  remove_tree (dir);
  g_free (path);
  g_free (dir);
}

/* ---- Recovery ---- */

static void
drop_caches (gboolean * dropped)
{
  int fd;

  *dropped = FALSE;
  if (!opt_cold)
    return;
  sync ();
  fd = open ("/proc/sys/vm/drop_caches", O_WRONLY);
  *dropped = fd >= 0 && write (fd, "3", 1) == 1;
  if (fd >= 0)
    close (fd);
}

static void
case_recover (guint64 mib, Result * r)
{
  gchar *name = g_strdup_printf ("recover-%" G_GUINT64_FORMAT, mib);
  gchar *dir = scratch (name);
  GstMemory *mem = payload (16 * 1024);
  RgJournalWriter *w = open_journal (dir, RG_JOURNAL_SYNC_NONE);
  RgJournalStats stats;
  guint64 i, n = mib * 64, next;
  gchar *cmd;
  gboolean dropped;
  gint64 start;

  /* 16 KiB records into the default 64 MiB segments, then a batch cut in
   * the middle at the end of the active segment. */
  for (i = 0; i < n; i++) {
    GstBuffer *buf = wrap (mem, i);

    rg_journal_writer_append (w, buf, -1, NULL, NULL, NULL);
    gst_buffer_unref (buf);
  }
  rg_journal_writer_close (w, NULL);
  cmd = g_strdup_printf ("f=$(ls '%s'/*.log | tail -1); "
      "truncate -s -5000 \"$f\"", dir);
  if (system (cmd) != 0)
    g_error ("cannot tear the tail");
  g_free (cmd);
  drop_caches (&dropped);

  start = now_ns ();
  w = open_journal (dir, RG_JOURNAL_SYNC_NONE);
  r->seconds = (now_ns () - start) / 1e9;
  rg_journal_writer_get_stats (w, &stats);
  next = rg_journal_writer_get_next_offset (w);
  rg_journal_writer_close (w, NULL);
  if (next != n - 1)
    g_error ("recovery ended at %" G_GUINT64_FORMAT ", expected %"
        G_GUINT64_FORMAT, next, n - 1);
  r->count = n;
  r->p50_us = r->seconds * 1e6;
  g_snprintf (r->note, sizeof (r->note), "%" G_GUINT64_FORMAT
      " segments, %" G_GUINT64_FORMAT " bytes cut, %s page cache",
      stats.segments, stats.recovered_bytes, dropped ? "cold" : "warm");
  gst_memory_unref (mem);
  remove_tree (dir);
  g_free (dir);
  g_free (name);
}

/* ---- Driver ---- */

static gboolean
run_case (const gchar * name, Result * r)
{
  memset (r, 0, sizeof (*r));
  if (g_str_equal (name, "write-none-100"))
    case_journal_none (100, scaled (2000000), r);
  else if (g_str_equal (name, "filesink-100"))
    case_filesink (100, scaled (2000000), TRUE, r);
  else if (g_str_equal (name, "write-loop-100"))
    case_filesink (100, scaled (2000000), FALSE, r);
  else if (g_str_equal (name, "write-none-1m"))
    case_journal_none (1024 * 1024, scaled (500), r);
  else if (g_str_equal (name, "filesink-1m"))
    case_filesink (1024 * 1024, scaled (500), TRUE, r);
  else if (g_str_equal (name, "write-loop-1m"))
    case_filesink (1024 * 1024, scaled (500), FALSE, r);
  else if (g_str_equal (name, "always-100"))
    case_always (scaled (1000000), 0, r);
  else if (g_str_equal (name, "always-100-paced"))
    case_always (scaled (20000), 2000, r);
  else if (g_str_equal (name, "always-100-paced-20k"))
    case_always (scaled (200000), 20000, r);
  else if (g_str_equal (name, "bare-fdatasync"))
    case_bare_fdatasync (scaled (3000), r);
  else if (g_str_has_prefix (name, "recover-"))
    case_recover (g_ascii_strtoull (name + 8, NULL, 10), r);
  else
    return FALSE;
  return TRUE;
}

static gboolean
spawn_case (const gchar * self, const gchar * name, Result * r)
{
  gchar *scale = g_strdup_printf ("%g", opt_scale);
  const gchar *argv[] = { self, "--case", name, "--dir", opt_dir, "--scale",
    scale, opt_cold ? "--cold" : NULL, NULL
  };
  gchar *out = NULL;
  gint status;
  gboolean ok;

  ok = g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL,
      NULL, &out, NULL, &status, NULL) && status == 0 && out
      && sscanf (out, "%lf %lf %lf %lf %lf %lf %" G_GUINT64_FORMAT " %159[^\n]",
      &r->per_second, &r->mib_per_second, &r->p50_us, &r->p99_us, &r->max_us,
      &r->seconds, &r->count, r->note) >= 7;
  g_free (out);
  g_free (scale);
  return ok;
}

static void
print_row (const gchar * name, const Result * r, const gchar * extra)
{
  g_print ("| %s | %" G_GUINT64_FORMAT " | %.0f | %.0f | %s |\n", name,
      r->count, r->per_second, r->mib_per_second, extra);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("- journal benchmark");
  Result r[16];
  gboolean created_dir = FALSE;
  gchar *extra;
  gchar **sizes;
  guint i;
  static const gchar *tput[] = { "write-none-100", "filesink-100",
    "write-loop-100", "write-none-1m", "filesink-1m", "write-loop-1m"
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, NULL))
    return 2;
  gst_init (NULL, NULL);
  if (opt_dir == NULL && opt_case == NULL) {
    gchar *cwd = g_get_current_dir ();

    opt_dir = g_build_filename (cwd, "rg-bench-journal-XXXXXX", NULL);
    if (g_mkdtemp (opt_dir) == NULL)
      g_error ("cannot create a scratch directory in %s", cwd);
    created_dir = TRUE;
    g_free (cwd);
  }
  if (opt_dir == NULL)
    return 2;

  if (opt_case) {
    Result one;

    if (!run_case (opt_case, &one))
      return 2;
    g_print ("%f %f %f %f %f %f %" G_GUINT64_FORMAT " %s\n", one.per_second,
        one.mib_per_second, one.p50_us, one.p99_us, one.max_us, one.seconds,
        one.count, one.note[0] ? one.note : "-");
    return 0;
  }

  g_print ("Scratch directory %s, scale %g\n\n", opt_dir, opt_scale);
  /* Page-cache write speed swings with what the kernel is doing (reclaim,
   * writeback of the previous case's file), so the cases run in turns,
   * ROUNDS times, and the median of each is reported. */
  g_print ("| case | buffers | buffers/s | MiB/s | vs filesink path |\n"
      "|---|---|---|---|---|\n");
  {
    gdouble rates[G_N_ELEMENTS (tput)][ROUNDS];
    guint round;

    for (round = 0; round < ROUNDS; round++)
      for (i = 0; i < G_N_ELEMENTS (tput); i++) {
        if (!spawn_case (argv[0], tput[i], &r[i]))
          g_error ("case %s failed", tput[i]);
        rates[i][round] = r[i].per_second;
      }
    for (i = 0; i < G_N_ELEMENTS (tput); i++) {
      qsort (rates[i], ROUNDS, sizeof (gdouble), compare_gdouble);
      r[i].per_second = rates[i][ROUNDS / 2];
      r[i].mib_per_second = r[i].per_second * (i < 3 ? 100.0 : 1 << 20) /
          (1 << 20);
    }
  }
  for (i = 0; i < G_N_ELEMENTS (tput); i++) {
    const Result *base = &r[i < 3 ? 1 : 4];

    extra = g_strdup_printf ("%.2fx", r[i].per_second / base->per_second);
    print_row (tput[i], &r[i], extra);
    g_free (extra);
  }

  g_print ("\n| case | records | records/s | p50 us | p99 us | max us | "
      "note |\n|---|---|---|---|---|---|---|\n");
  {
    static const gchar *dur[] = { "always-100", "always-100-paced",
      "always-100-paced-20k", "bare-fdatasync"
    };
    for (i = 0; i < G_N_ELEMENTS (dur); i++) {
      if (!spawn_case (argv[0], dur[i], &r[i]))
        g_error ("case %s failed", dur[i]);
      g_print ("| %s | %" G_GUINT64_FORMAT " | %.0f | %.0f | %.0f | %.0f | "
          "%s |\n", dur[i], r[i].count, r[i].per_second, r[i].p50_us,
          r[i].p99_us, r[i].max_us, r[i].note);
    }
    g_print ("\np99 append-to-durable / bare fdatasync p99: %.2fx "
        "(flat out), %.2fx (2,000/s), %.2fx (20,000/s)\n",
        r[0].p99_us / r[3].p99_us, r[1].p99_us / r[3].p99_us,
        r[2].p99_us / r[3].p99_us);
  }

  g_print ("\n| journal | records | open (recovery) ms | note |\n"
      "|---|---|---|---|\n");
  sizes = g_strsplit (opt_recover ? opt_recover : "256,1024", ",", -1);
  for (i = 0; sizes[i]; i++) {
    gchar *name = g_strdup_printf ("recover-%s", sizes[i]);

    if (!spawn_case (argv[0], name, &r[0]))
      g_error ("case %s failed", name);
    g_print ("| %s MiB | %" G_GUINT64_FORMAT " | %.1f | %s |\n", sizes[i],
        r[0].count, r[0].seconds * 1000, r[0].note);
    g_free (name);
  }
  g_strfreev (sizes);
  if (created_dir)
    remove_tree (opt_dir);
  return 0;
}
