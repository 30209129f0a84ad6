/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The journal writer (gst/journal/rgjournal.c) against the plain ways of writing
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
 *   (these six run in turns, ROUNDS times, each in a fresh process, after
 *   a sync() so that no case pays for the writeback of the one before; the
 *   median of each is reported, with the CPU time per buffer. They run on
 *   DIR, then on --tmpfs-dir (default /dev/shm), where no disk and no
 *   dirty-page throttling is in the way: the CPU cost of the path itself.)
 *   always-100             sync=always, 100 B records as fast as they go:
 *                          records/s until the last is durable, and the
 *                          append-to-durable latency of every record
 *   always-100-paced       the same at 2,000 records/s, the latency a
 *                          telemetry stream sees when the disk is not busy
 *   always-100-paced-20k   the same at 20,000 records/s
 *   bare-fdatasync         pwrite() of 100 B + fdatasync() per record, in
 *                          a closed loop: the floor for one durable record
 *   bare-paced / -20k      records arrive at 2,000 (20,000) per second on
 *                          one thread; another pwrite()s whatever arrived
 *                          and fdatasyncs, back to back, and a third stamps
 *                          them durable as the journal cases' watcher does:
 *                          the best any group commit can do on this disk at
 *                          that rate
 *   (the durability cases run in turns, --durability-rounds times,
 *   default 3; the median of each percentile is reported)
 *   recover-<MiB>          open (recovery) of a journal of that size whose
 *                          active segment ends in a torn batch
 *
 * Every buffer of the throughput cases is a new GstBuffer around the same
 * pre-allocated GstMemory, as a source would push them, so the cost
 * measured is the writing. Each case runs in a process of its own (the
 * program re-executes itself with --case).
 *
 * Usage: rg-bench-journal [--dir DIR] [--tmpfs-dir DIR] [--scale S]
 *        [--recover-mib 256,1024] [--cold] [--durability-rounds N]
 *        [--durability-only]
 *        rg-bench-journal --case NAME [--dir DIR] [--scale S]
 * --scale multiplies the record counts (1 = the full run, 0.1 = a smoke
 * run). --cold drops the page cache before each recovery is timed (needs
 * root; it slows everything else on the machine for a moment). DIR must be
 * on the disk to measure (default: a new directory in the current one).
 * Prints the Markdown tables of docs/performance.md's Journal section,
 * with the load average at the start and at the end. */

#include <gst/gst.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "journal/rgjournal.h"

/* Turns of the throughput cases; the median is reported. */
#define ROUNDS 5
/* 1 MiB buffers per throughput case: 3 GiB, as long as the case can be
 * (0.4 s at page-cache speed) while staying below the point where the
 * kernel starts throttling writers (half-way between
 * vm.dirty_background_ratio and vm.dirty_ratio of the free memory: about
 * 3.4 GiB on a 24 GiB machine). Past it, balance_dirty_pages() decides the
 * rate and the comparison means nothing. */
#define MIB_BUFFERS 3000

static gboolean opt_cold = FALSE;
static gchar *opt_dir = NULL;
static gchar *opt_tmpfs = NULL;
static gint opt_durability_rounds = 3;
static gboolean opt_durability_only = FALSE;
static gdouble opt_scale = 1.0;
static gchar *opt_case = NULL;
static gchar *opt_recover = NULL;

static GOptionEntry entries[] = {
  {"dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir, "Scratch directory", "DIR"},
  {"tmpfs-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_tmpfs,
      "Directory on tmpfs for the CPU-cost run (default /dev/shm, \"\": none)",
      "DIR"},
  {"scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt_scale, "Record count factor",
      "S"},
  {"case", 0, 0, G_OPTION_ARG_STRING, &opt_case, "Run one case", "NAME"},
  {"cold", 0, 0, G_OPTION_ARG_NONE, &opt_cold,
      "Drop the page cache (root) before timing recovery", NULL},
  {"recover-mib", 0, 0, G_OPTION_ARG_STRING, &opt_recover,
      "Journal sizes for the recovery cases (MiB, comma-separated)", "LIST"},
  {"durability-rounds", 0, 0, G_OPTION_ARG_INT, &opt_durability_rounds,
      "Turns of the sync=always and bare fdatasync cases (default 3): a "
      "round's p99 hangs on how many disk stalls fall in it", "N"},
  {"durability-only", 0, 0, G_OPTION_ARG_NONE, &opt_durability_only,
      "Run only the sync=always and bare fdatasync cases", NULL},
  {NULL}
};

typedef struct
{
  gdouble per_second;           /* buffers or records per second */
  gdouble mib_per_second;
  gdouble p50_us, p99_us, max_us;
  gdouble seconds;
  gdouble cpu_us;               /* user + system CPU time per buffer */
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

/* User plus system CPU time of every thread of the process. */
static gint64
cpu_ns (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
      G_GINT64_CONSTANT (1000000000) + (ru.ru_utime.tv_usec +
      ru.ru_stime.tv_usec) * G_GINT64_CONSTANT (1000);
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

/* Writes and deletes a file of @bytes in @dir, then syncs, before a
 * throughput case is timed. In this VM, free memory that has not been
 * touched for a while is given back to the host, and the first write into
 * it costs a host fault per page (1 MiB writes ran 10x slower right after
 * another case had freed its page cache). Touching as much memory as the
 * case will use, just before, makes every case start from the same state. */
static void
warm_page_cache (const gchar * dir, guint64 bytes)
{
  gchar *path = g_build_filename (dir, "warm.bin", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  gsize chunk = 1024 * 1024;
  guint8 *block = g_malloc (chunk);
  guint64 done;

  if (fd < 0)
    g_error ("open %s: %s", path, g_strerror (errno));
  memset (block, 0x33, chunk);
  for (done = 0; done < bytes; done += chunk)
    if (write (fd, block, chunk) != (ssize_t) chunk)
      g_error ("write %s: %s", path, g_strerror (errno));
  close (fd);
  unlink (path);
  sync ();
  g_free (block);
  g_free (path);
}

static void
case_journal_none (gsize size, guint64 n, Result * r)
{
  gchar *dir = scratch ("journal-none");
  GstMemory *mem = payload (size);
  RgJournalWriter *w;
  gint64 start, cpu, elapsed;
  guint64 i;

  warm_page_cache (dir, n * size);
  w = open_journal (dir, RG_JOURNAL_SYNC_NONE);
  start = now_ns ();
  cpu = cpu_ns ();

  for (i = 0; i < n; i++) {
    GstBuffer *buf = wrap (mem, i);

    if (!rg_journal_writer_append (w, buf, -1, NULL, NULL, NULL))
      g_error ("append failed");
    gst_buffer_unref (buf);
  }
  elapsed = now_ns () - start;
  r->cpu_us = (cpu_ns () - cpu) / 1e3 / n;
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
  int fd;
  GstBufferList *list = gst_buffer_list_new ();
  gsize pending = 0;
  gint64 start, cpu, elapsed;
  guint64 i;

  warm_page_cache (dir, n * size);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  start = now_ns ();
  cpu = cpu_ns ();

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
  r->cpu_us = (cpu_ns () - cpu) / 1e3 / n;
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

/* Records handed over from the arrival thread to the thread that makes
 * them durable (the benchmark's watcher, or the bare sync thread). The
 * receiver sleeps on a condition variable rather than polling, so that it
 * neither takes CPU from the syncer nor adds a polling period to the
 * latency. */
typedef struct
{
  pthread_mutex_t lock;
  pthread_cond_t cond;
  guint64 count;                /* records arrived; lock */
  gboolean waiting;             /* the receiver sleeps; lock */
  gint64 *appended;             /* per record, ns */
  gint64 *durable;              /* per record, ns */
  guint64 n;
} Arrivals;

static void
arrivals_init (Arrivals * a, guint64 n)
{
  memset (a, 0, sizeof (*a));
  pthread_mutex_init (&a->lock, NULL);
  pthread_cond_init (&a->cond, NULL);
  a->n = n;
  a->appended = g_new (gint64, n);
  a->durable = g_new (gint64, n);
}

static void
arrivals_clear (Arrivals * a)
{
  pthread_mutex_destroy (&a->lock);
  pthread_cond_destroy (&a->cond);
  g_free (a->appended);
  g_free (a->durable);
}

static void
arrivals_publish (Arrivals * a, guint64 count)
{
  pthread_mutex_lock (&a->lock);
  a->count = count;
  if (a->waiting)
    pthread_cond_signal (&a->cond);
  pthread_mutex_unlock (&a->lock);
}

/* Waits until more than @seen records arrived; returns how many did. */
static guint64
arrivals_wait (Arrivals * a, guint64 seen)
{
  guint64 count;

  pthread_mutex_lock (&a->lock);
  while (a->count <= seen) {
    a->waiting = TRUE;
    pthread_cond_wait (&a->cond, &a->lock);
  }
  a->waiting = FALSE;
  count = a->count;
  pthread_mutex_unlock (&a->lock);
  return count;
}

/* Sleeps until record @i is due at @rate per second (0: at once). Never
 * spins: on two cores a spinning producer would take the CPU the syncer
 * needs. */
static void
wait_until_due (gint64 start, guint64 i, guint rate)
{
  gint64 due = start + (gint64) (i * (1e9 / MAX (rate, 1)));

  while (rate > 0) {
    gint64 left = due - now_ns ();

    if (left <= 0)
      break;
    g_usleep (MAX (left / 1000, 1));
  }
}

static void
latency_result (Arrivals * a, gint64 start, Result * r)
{
  gint64 *lat = g_new (gint64, a->n);
  guint64 i;

  for (i = 0; i < a->n; i++)
    lat[i] = a->durable[i] - a->appended[i];
  percentiles (lat, a->n, r);
  r->count = a->n;
  r->seconds = (a->durable[a->n - 1] - start) / 1e9;
  r->per_second = a->n / r->seconds;
  r->mib_per_second = 0;
  g_free (lat);
}

typedef struct
{
  Arrivals *arrivals;
  RgJournalWriter *w;
} Watch;

/* Stamps every record with the time its durability became known. */
static gpointer
watch_durable (gpointer data)
{
  Watch *watch = data;
  Arrivals *a = watch->arrivals;
  guint64 stamped = 0;

  while (stamped < a->n) {
    guint64 next = arrivals_wait (a, stamped), d;
    gint64 t;

    if (!rg_journal_writer_wait_durable (watch->w, next - 1, NULL))
      g_error ("wait_durable failed");
    t = now_ns ();
    d = MIN (rg_journal_writer_get_durable_offset (watch->w), a->n);
    while (stamped < d)
      a->durable[stamped++] = t;
  }
  return NULL;
}

static void
case_always (guint64 n, guint rate, Result * r)
{
  gchar *dir = scratch ("journal-always");
  GstMemory *mem = payload (100);
  Arrivals a;
  Watch watch;
  GThread *thread;
  RgJournalStats stats;
  gint64 start;
  guint64 i;

  arrivals_init (&a, n);
  watch.arrivals = &a;
  watch.w = open_journal (dir, RG_JOURNAL_SYNC_ALWAYS);
  thread = g_thread_new ("watch", watch_durable, &watch);
  start = now_ns ();
  for (i = 0; i < n; i++) {
    GstBuffer *buf = wrap (mem, i);

    wait_until_due (start, i, rate);
    a.appended[i] = now_ns ();
    if (!rg_journal_writer_append (watch.w, buf, -1, NULL, NULL, NULL))
      g_error ("append failed");
    gst_buffer_unref (buf);
    arrivals_publish (&a, i + 1);
  }
  g_thread_join (thread);
  rg_journal_writer_get_stats (watch.w, &stats);
  rg_journal_writer_close (watch.w, NULL);
  latency_result (&a, start, r);
  /* Where the time goes: each fdatasync of the syncer, and the wait of
   * the oldest record from its append to the syncer's write. */
  g_snprintf (r->note, sizeof (r->note), "%" G_GUINT64_FORMAT
      " fdatasyncs, %.0f records each; fdatasync mean %.0f max %.0f us; "
      "append to write mean %.0f max %.0f us", stats.fsyncs,
      (gdouble) n / MAX (stats.fsyncs, 1),
      stats.fsync_total_ns / 1e3 / MAX (stats.fsyncs, 1),
      stats.fsync_max_ns / 1e3,
      stats.write_wait_total_ns / 1e3 / MAX (stats.commits, 1),
      stats.write_wait_max_ns / 1e3);
  arrivals_clear (&a);
  gst_memory_unref (mem);
  remove_tree (dir);
  g_free (dir);
}

typedef struct
{
  Arrivals *arrivals;
  int fd;
  guint64 fsyncs;               /* sync thread only */
  /* Records known durable, handed to a watcher thread that stamps them, as
   * the journal's syncer hands its durable offset to the benchmark's
   * watcher: both latencies include that wake-up. */
  pthread_mutex_t lock;
  pthread_cond_t cond;
  guint64 durable;              /* lock */
} BareSync;

/* The bare group commit: pwrite() whatever arrived, fdatasync(), publish. */
static gpointer
bare_sync_thread (gpointer data)
{
  BareSync *b = data;
  Arrivals *a = b->arrivals;
  guint8 *bytes = g_malloc (64 * 1024);
  guint64 done = 0;

  memset (bytes, 0x5a, 64 * 1024);
  while (done < a->n) {
    guint64 next = arrivals_wait (a, done), at;

    for (at = done * 100; at < next * 100;) {
      gsize len = MIN (next * 100 - at, 64 * 1024);
      ssize_t w = pwrite (b->fd, bytes, len, at);

      if (w <= 0)
        g_error ("pwrite: %s", g_strerror (errno));
      at += w;
    }
    if (fdatasync (b->fd) < 0)
      g_error ("fdatasync: %s", g_strerror (errno));
    b->fsyncs++;
    done = next;
    pthread_mutex_lock (&b->lock);
    b->durable = done;
    pthread_cond_broadcast (&b->cond);
    pthread_mutex_unlock (&b->lock);
  }
  g_free (bytes);
  return NULL;
}

/* Stamps every record with the time its durability became known. */
static gpointer
bare_watch_thread (gpointer data)
{
  BareSync *b = data;
  Arrivals *a = b->arrivals;
  guint64 stamped = 0;

  while (stamped < a->n) {
    guint64 d;
    gint64 t;

    pthread_mutex_lock (&b->lock);
    while (b->durable <= stamped)
      pthread_cond_wait (&b->cond, &b->lock);
    d = b->durable;
    pthread_mutex_unlock (&b->lock);
    t = now_ns ();
    while (stamped < d)
      a->durable[stamped++] = t;
  }
  return NULL;
}

static void
case_bare_paced (guint64 n, guint rate, Result * r)
{
  gchar *dir = scratch ("bare-paced");
  gchar *path = g_build_filename (dir, "out.bin", NULL);
  Arrivals a;
  BareSync b;
  GThread *thread, *watch;
  gint64 start;
  guint64 i;

  arrivals_init (&a, n);
  memset (&b, 0, sizeof (b));
  b.arrivals = &a;
  pthread_mutex_init (&b.lock, NULL);
  pthread_cond_init (&b.cond, NULL);
  b.fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (b.fd < 0)
    g_error ("open %s: %s", path, g_strerror (errno));
  thread = g_thread_new ("bare-sync", bare_sync_thread, &b);
  watch = g_thread_new ("bare-watch", bare_watch_thread, &b);
  start = now_ns ();
  for (i = 0; i < n; i++) {
    wait_until_due (start, i, rate);
    a.appended[i] = now_ns ();
    arrivals_publish (&a, i + 1);
  }
  g_thread_join (thread);
  g_thread_join (watch);
  pthread_mutex_destroy (&b.lock);
  pthread_cond_destroy (&b.cond);
  close (b.fd);
  latency_result (&a, start, r);
  g_snprintf (r->note, sizeof (r->note), "%" G_GUINT64_FORMAT
      " fdatasyncs, %.0f records each", b.fsyncs,
      (gdouble) n / MAX (b.fsyncs, 1));
  arrivals_clear (&a);
  remove_tree (dir);
  g_free (path);
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
    case_journal_none (1024 * 1024, scaled (MIB_BUFFERS), r);
  else if (g_str_equal (name, "filesink-1m"))
    case_filesink (1024 * 1024, scaled (MIB_BUFFERS), TRUE, r);
  else if (g_str_equal (name, "write-loop-1m"))
    case_filesink (1024 * 1024, scaled (MIB_BUFFERS), FALSE, r);
  else if (g_str_equal (name, "always-100"))
    case_always (scaled (1000000), 0, r);
  else if (g_str_equal (name, "always-100-paced"))
    case_always (scaled (20000), 2000, r);
  else if (g_str_equal (name, "always-100-paced-20k"))
    case_always (scaled (200000), 20000, r);
  else if (g_str_equal (name, "bare-fdatasync"))
    case_bare_fdatasync (scaled (3000), r);
  else if (g_str_equal (name, "bare-paced"))
    case_bare_paced (scaled (20000), 2000, r);
  else if (g_str_equal (name, "bare-paced-20k"))
    case_bare_paced (scaled (200000), 20000, r);
  else if (g_str_has_prefix (name, "recover-"))
    case_recover (g_ascii_strtoull (name + 8, NULL, 10), r);
  else
    return FALSE;
  return TRUE;
}

static gboolean
spawn_case (const gchar * self, const gchar * dir, const gchar * name,
    Result * r)
{
  gchar *scale = g_strdup_printf ("%g", opt_scale);
  const gchar *argv[] = { self, "--case", name, "--dir", dir, "--scale",
    scale, opt_cold ? "--cold" : NULL, NULL
  };
  gchar *out = NULL;
  gint status;
  gboolean ok;

  /* Every case starts with no dirty pages: the writeback of an earlier
   * case's file would throttle this one. */
  sync ();
  memset (r, 0, sizeof (*r));
  ok = g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL,
      NULL, &out, NULL, &status, NULL) && status == 0 && out
      && sscanf (out, "%lf %lf %lf %lf %lf %lf %lf %" G_GUINT64_FORMAT
      " %159[^\n]", &r->per_second, &r->mib_per_second, &r->p50_us,
      &r->p99_us, &r->max_us, &r->seconds, &r->cpu_us, &r->count,
      r->note) >= 8;
  g_free (out);
  g_free (scale);
  return ok;
}

static gdouble
median (gdouble * v, guint n)
{
  qsort (v, n, sizeof (gdouble), compare_gdouble);
  return v[n / 2];
}

static void
print_load (const gchar * when)
{
  gchar *load = NULL;

  if (g_file_get_contents ("/proc/loadavg", &load, NULL, NULL)) {
    g_strchomp (load);
    g_print ("Load average %s: %s\n", when, load);
  }
  g_free (load);
}

/* The six sync=none cases on @dir, in turns, ROUNDS times. */
static void
run_throughput (const gchar * self, const gchar * dir)
{
  static const gchar *tput[] = { "write-none-100", "filesink-100",
    "write-loop-100", "write-none-1m", "filesink-1m", "write-loop-1m"
  };
  gdouble rates[G_N_ELEMENTS (tput)][ROUNDS], cpu[G_N_ELEMENTS (tput)][ROUNDS];
  gdouble med[G_N_ELEMENTS (tput)];
  guint64 count[G_N_ELEMENTS (tput)];
  guint round, i;

  for (round = 0; round < ROUNDS; round++)
    for (i = 0; i < G_N_ELEMENTS (tput); i++) {
      Result r;

      if (!spawn_case (self, dir, tput[i], &r))
        g_error ("case %s failed", tput[i]);
      rates[i][round] = r.per_second;
      cpu[i][round] = r.cpu_us;
      count[i] = r.count;
    }
  g_print ("\n%s\n\n| case | buffers | buffers/s (median) | min..max | "
      "MiB/s | CPU us/buffer | vs filesink path |\n"
      "|---|---|---|---|---|---|---|\n", dir);
  for (i = 0; i < G_N_ELEMENTS (tput); i++)
    med[i] = median (rates[i], ROUNDS);
  for (i = 0; i < G_N_ELEMENTS (tput); i++) {
    gdouble size = i < 3 ? 100.0 : 1 << 20;

    g_print ("| %s | %" G_GUINT64_FORMAT " | %.0f | %.0f..%.0f | %.0f | "
        "%.2f | %.2fx |\n", tput[i], count[i], med[i], rates[i][0],
        rates[i][ROUNDS - 1], med[i] * size / (1 << 20),
        median (cpu[i], ROUNDS), med[i] / med[i < 3 ? 1 : 4]);
  }
}

/* The durability cases, in turns, opt_durability_rounds times; the median
 * of each percentile. */
static void
run_durability (const gchar * self)
{
  static const gchar *dur[] = { "always-100-paced", "bare-paced",
    "always-100-paced-20k", "bare-paced-20k", "bare-fdatasync", "always-100"
  };
  const guint n = G_N_ELEMENTS (dur), rounds = MAX (opt_durability_rounds, 1);
  gdouble *p50 = g_new0 (gdouble, n * rounds);
  gdouble *p99 = g_new0 (gdouble, n * rounds);
  gdouble *rate = g_new0 (gdouble, n * rounds);
  gdouble max[G_N_ELEMENTS (dur)], m50[G_N_ELEMENTS (dur)];
  gdouble m99[G_N_ELEMENTS (dur)];
  Result last[G_N_ELEMENTS (dur)];
  guint round, i;

  memset (max, 0, sizeof (max));
  for (round = 0; round < rounds; round++)
    for (i = 0; i < n; i++) {
      if (!spawn_case (self, opt_dir, dur[i], &last[i]))
        g_error ("case %s failed", dur[i]);
      p50[i * rounds + round] = last[i].p50_us;
      p99[i * rounds + round] = last[i].p99_us;
      rate[i * rounds + round] = last[i].per_second;
      max[i] = MAX (max[i], last[i].max_us);
    }
  g_print ("\n%u rounds\n\n| case | records | records/s | p50 us | p99 us "
      "| p99 min..max | max us | note (last round) |\n"
      "|---|---|---|---|---|---|---|---|\n", rounds);
  for (i = 0; i < n; i++) {
    gdouble *r99 = p99 + i * rounds;

    m50[i] = median (p50 + i * rounds, rounds);
    m99[i] = median (r99, rounds);      /* sorts r99 */
    g_print ("| %s | %" G_GUINT64_FORMAT " | %.0f | %.0f | %.0f | %.0f..%.0f "
        "| %.0f | %s |\n", dur[i], last[i].count,
        median (rate + i * rounds, rounds), m50[i], m99[i], r99[0],
        r99[rounds - 1], max[i], last[i].note);
  }
  g_print ("\np99 append-to-durable: %.2fx bare-paced (2,000/s), %.2fx "
      "bare-paced-20k (20,000/s); against the closed-loop bare-fdatasync "
      "p99: %.2fx (2,000/s), %.2fx (20,000/s), %.2fx (flat out)\n",
      m99[0] / m99[1], m99[2] / m99[3], m99[0] / m99[4], m99[2] / m99[4],
      m99[5] / m99[4]);
  g_free (p50);
  g_free (p99);
  g_free (rate);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("- journal benchmark");
  Result r;
  gboolean created_dir = FALSE;
  gchar **sizes;
  gchar *tmpfs = NULL;
  guint i;

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
    if (!run_case (opt_case, &r))
      return 2;
    g_print ("%f %f %f %f %f %f %f %" G_GUINT64_FORMAT " %s\n", r.per_second,
        r.mib_per_second, r.p50_us, r.p99_us, r.max_us, r.seconds, r.cpu_us,
        r.count, r.note[0] ? r.note : "-");
    return 0;
  }

  if (opt_tmpfs == NULL && g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    opt_tmpfs = g_strdup ("/dev/shm");
  if (opt_tmpfs && opt_tmpfs[0]) {
    tmpfs = g_build_filename (opt_tmpfs, "rg-bench-journal-XXXXXX", NULL);
    if (g_mkdtemp (tmpfs) == NULL)
      g_error ("cannot create a scratch directory in %s", opt_tmpfs);
  }
  g_print ("Scratch directory %s, scale %g\n", opt_dir, opt_scale);
  print_load ("at the start");
  if (!opt_durability_only) {
    run_throughput (argv[0], opt_dir);
    if (tmpfs)
      run_throughput (argv[0], tmpfs);
  }
  run_durability (argv[0]);
  if (opt_durability_only)
    goto done;

  g_print ("\n| journal | records | open (recovery) ms | note |\n"
      "|---|---|---|---|\n");
  sizes = g_strsplit (opt_recover ? opt_recover : "256,1024", ",", -1);
  for (i = 0; sizes[i]; i++) {
    gchar *name = g_strdup_printf ("recover-%s", sizes[i]);

    if (!spawn_case (argv[0], opt_dir, name, &r))
      g_error ("case %s failed", name);
    g_print ("| %s MiB | %" G_GUINT64_FORMAT " | %.1f | %s |\n", sizes[i],
        r.count, r.seconds * 1000, r.note);
    g_free (name);
  }
  g_strfreev (sizes);
done:
  print_load ("at the end");
  if (tmpfs) {
    remove_tree (tmpfs);
    g_free (tmpfs);
  }
  if (created_dir)
    remove_tree (opt_dir);
  return 0;
}
