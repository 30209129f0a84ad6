/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Tests of the journal writer, recovery and verification (gst/journal/).
 * Journals are read back with rgbatch's decoder directly, not with the
 * journal reader, so that these tests check the bytes on disk. Every record
 * value is a pattern derived from its offset, so a test can tell exactly
 * which record it is looking at. Faults are real: SIGKILL of a forked
 * writer, RLIMIT_FSIZE, torn and corrupted files; fdatasync failures go
 * through the writer's fault-simulation hook. */

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal/rgjournal.h"
#include "journal/rgjournalbatch.h"
#include "journal/rgjournalfiles.h"
#include "record/rgbatch.h"

#define BASE_TS G_GINT64_CONSTANT (1700000000000)

/* ---- Helpers ---- */

static guint8
pattern_byte (guint64 offset, gsize i)
{
  return (guint8) (offset * 31 + i * 7 + (i >> 8));
}

/* A record value: @size bytes of the pattern of @offset. PTS = offset ms,
 * every @gop-th record a keyframe (gop 1: all keyframes). */
static GstBuffer *
make_buffer (guint64 offset, gsize size, guint gop)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++)
    map.data[i] = pattern_byte (offset, i);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = offset * GST_MSECOND;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = GST_MSECOND;
  if (gop > 1 && offset % gop != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static gboolean
value_matches (const guint8 * value, gsize len, guint64 offset, gsize size)
{
  gsize i;

  if (len != size)
    return FALSE;
  for (i = 0; i < len; i++)
    if (value[i] != pattern_byte (offset, i))
      return FALSE;
  return TRUE;
}

typedef struct
{
  guint64 offset;
  gint64 timestamp;
  gsize value_len;
  gboolean value_ok;            /* matches the pattern of its offset */
  GstClockTime pts;
  gboolean keyframe;
  gchar *caps;
  gchar *key;
  guint64 segment;              /* base offset of its segment */
  guint64 position;             /* of its batch */
} ReadRecord;

static void
read_record_clear (gpointer data)
{
  ReadRecord *r = data;

  g_free (r->caps);
  g_free (r->key);
}

/* Every record of the segments that may hold offsets >= @from, checking
 * each batch's validity; stops at the first invalid batch of a segment. */
static GArray *
read_journal_segments (const gchar * dir, guint64 from)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (ReadRecord));
  GArray *bases = rg_journal_list_segments (dir, NULL);
  guint s;

  g_array_set_clear_func (out, read_record_clear);
  fail_unless (bases != NULL);
  for (s = 0; s < bases->len; s++) {
    guint64 base = g_array_index (bases, guint64, s);
    gchar *path;
    gchar *data;
    gsize len, pos = 0;

    if (s + 1 < bases->len && g_array_index (bases, guint64, s + 1) <= from)
      continue;
    path = rg_journal_file_path (dir, base, RG_JOURNAL_FILE_LOG);

    fail_unless (g_file_get_contents (path, &data, &len, NULL));
    while (pos < len) {
      RgBatchReader reader;
      RgRecordView view;
      GError *err = NULL;

      if (!rg_batch_reader_init (&reader, (guint8 *) data + pos, len - pos,
              &err)) {
        g_error_free (err);
        break;
      }
      while (rg_batch_reader_next (&reader, &view, NULL)) {
        ReadRecord r = { 0 };
        RgEnvelopeFields f;

        fail_unless (rg_envelope_parse (&view, &f, NULL));
        r.offset = view.offset;
        r.timestamp = view.timestamp;
        r.value_len = view.value_len;
        r.value_ok = value_matches (view.value, view.value_len, view.offset,
            view.value_len);
        r.pts = f.pts;
        r.keyframe = !(f.flags & GST_BUFFER_FLAG_DELTA_UNIT);
        r.caps = f.caps ? g_strndup (f.caps, f.caps_len) : NULL;
        r.key = view.key ? g_strndup ((gchar *) view.key, view.key_len) : NULL;
        r.segment = base;
        r.position = pos;
        g_array_append_val (out, r);
      }
      pos += RG_BATCH_LOG_OVERHEAD + rg_batch_reader_get_info (&reader)->
          batch_length;
    }
    g_free (data);
    g_free (path);
  }
  g_array_unref (bases);
  return out;
}

static GArray *
read_journal (const gchar * dir)
{
  return read_journal_segments (dir, 0);
}

static gchar *
make_temp_dir (void)
{
  gchar *dir = g_dir_make_tmp ("rg-journal-XXXXXX", NULL);

  fail_unless (dir != NULL);
  return dir;
}

static void
remove_dir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

static RgJournalWriter *
open_writer (const gchar * dir, RgJournalSync sync, guint64 max_segment)
{
  RgJournalConfig config;
  RgJournalWriter *w;
  GError *err = NULL;

  rg_journal_config_init (&config);
  config.sync = sync;
  config.max_segment_bytes = max_segment;
  w = rg_journal_writer_open (dir, &config, &err);
  fail_unless (w != NULL, "open failed: %s", err ? err->message : "?");
  return w;
}

static guint64
append_n (RgJournalWriter * w, guint64 n, gsize size, guint gop)
{
  guint64 i, start = rg_journal_writer_get_next_offset (w), last = 0;

  for (i = 0; i < n; i++) {
    GstBuffer *buf = make_buffer (start + i, size, gop);
    GError *err = NULL;

    fail_unless (rg_journal_writer_append (w, buf, BASE_TS + start + i, NULL,
            &last, &err), "append: %s", err ? err->message : "?");
    fail_unless_equals_uint64 (last, start + i);
    gst_buffer_unref (buf);
  }
  return last;
}

static void
close_writer (RgJournalWriter * w)
{
  GError *err = NULL;

  fail_unless (rg_journal_writer_close (w, &err), "close: %s",
      err ? err->message : "?");
}

static guint
verify_problems (const gchar * dir, RgJournalProblem ** first)
{
  GPtrArray *problems = NULL;
  guint n;

  fail_unless (rg_journal_verify (dir, &problems, NULL));
  n = problems->len;
  for (guint i = 0; i < n; i++) {
    RgJournalProblem *p = g_ptr_array_index (problems, i);

    GST_INFO ("problem: %s byte %" G_GUINT64_FORMAT " offset %"
        G_GUINT64_FORMAT ": %s", p->segment, p->position, p->offset,
        p->message);
  }
  if (first && n > 0) {
    RgJournalProblem *p = g_ptr_array_index (problems, 0);

    *first = g_new0 (RgJournalProblem, 1);
    (*first)->segment = g_strdup (p->segment);
    (*first)->position = p->position;
    (*first)->offset = p->offset;
    (*first)->message = g_strdup (p->message);
  }
  g_ptr_array_unref (problems);
  return n;
}

static void
problem_free (RgJournalProblem * p)
{
  g_free (p->segment);
  g_free (p->message);
  g_free (p);
}

static guint64
file_size (const gchar * path)
{
  struct stat st;

  fail_unless (stat (path, &st) == 0, "stat %s", path);
  return st.st_size;
}

static guint
count_files (const gchar * dir, const gchar * suffix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, suffix))
      n++;
  g_dir_close (d);
  return n;
}

/* Every record 0..n-1 present once, in order, with its own value. */
static void
assert_records_intact (GArray * recs, guint64 start, guint64 n)
{
  guint64 i;

  fail_unless (recs->len >= n, "%u records, expected at least %"
      G_GUINT64_FORMAT, recs->len, n);
  for (i = 0; i < n; i++) {
    ReadRecord *r = &g_array_index (recs, ReadRecord, i);

    fail_unless_equals_uint64 (r->offset, start + i);
    fail_unless (r->value_ok, "record %" G_GUINT64_FORMAT " damaged",
        r->offset);
  }
}

/* ---- Round trip ---- */

GST_START_TEST (test_round_trip)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  GstCaps *caps = gst_caps_from_string ("video/x-h264, width=(int)640");
  GstCaps *caps2 = gst_caps_from_string ("video/x-h264, width=(int)1280");
  GstBufferList *list = gst_buffer_list_new ();
  GBytes *key = g_bytes_new_static ("cam-1", 5);
  GArray *recs;
  guint64 off, i;
  GError *err = NULL;

  rg_journal_writer_set_caps (w, caps);
  append_n (w, 150, 100, 5);
  rg_journal_writer_set_caps (w, caps2);
  append_n (w, 150, 100, 5);
  append_n (w, 3, 1024 * 1024, 1);
  for (i = 0; i < 10; i++)
    gst_buffer_list_add (list, make_buffer (303 + i, 1000, 1));
  fail_unless (rg_journal_writer_append_list (w, list, BASE_TS, key, &off,
          &err));
  fail_unless_equals_uint64 (off, 303);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 313);
  close_writer (w);

  recs = read_journal (dir);
  fail_unless_equals_int (recs->len, 313);
  assert_records_intact (recs, 0, 313);
  for (i = 0; i < 313; i++) {
    ReadRecord *r = &g_array_index (recs, ReadRecord, i);

    fail_unless_equals_uint64 (r->pts, i * GST_MSECOND);
    if (i < 303) {
      fail_unless_equals_int64 (r->timestamp, BASE_TS + i);
      fail_unless (r->key == NULL);
      fail_unless_equals_int (r->value_len, i < 300 ? 100 : 1024 * 1024);
      fail_unless_equals_int (r->keyframe, i >= 300 || i % 5 == 0);
    } else {
      /* The list is one batch: one timestamp, one key. */
      fail_unless_equals_int64 (r->timestamp, BASE_TS);
      fail_unless_equals_string (r->key, "cam-1");
      fail_unless_equals_uint64 (r->position,
          g_array_index (recs, ReadRecord, 303).position);
    }
    if (i == 0) {
      fail_unless_equals_string (r->caps, "video/x-h264, width=(int)640");
    } else if (i == 150) {
      fail_unless_equals_string (r->caps, "video/x-h264, width=(int)1280");
    } else {
      fail_unless (r->caps == NULL, "record %u has caps", (guint) i);
    }
  }
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  g_array_unref (recs);
  g_bytes_unref (key);
  gst_buffer_list_unref (list);
  gst_caps_unref (caps);
  gst_caps_unref (caps2);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Zero copy and coalescing, seen through the write hook ---- */

static GPtrArray *seen_bases;
static guint n_log_writes;

static ssize_t
recording_pwritev (int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
  int i;

  n_log_writes++;
  for (i = 0; i < iovcnt; i++)
    g_ptr_array_add (seen_bases, iov[i].iov_base);
  return pwritev (fd, iov, iovcnt, offset);
}

GST_START_TEST (test_zero_copy_large_values)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { recording_pwritev, NULL };
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  GstBuffer *buf = make_buffer (0, 1024 * 1024, 1);
  GstBuffer *two = make_buffer (1, 256 * 1024, 1);
  GstMapInfo map, map2a, map2b;
  GstMemory *extra;
  GArray *recs;

  /* A value made of two memories goes out as two segments. */
  extra = gst_allocator_alloc (NULL, 256 * 1024, NULL);
  gst_memory_map (extra, &map2b, GST_MAP_WRITE);
  {
    gsize i;

    for (i = 0; i < map2b.size; i++)
      map2b.data[i] = pattern_byte (1, 256 * 1024 + i);
  }
  gst_memory_unmap (extra, &map2b);
  gst_buffer_append_memory (two, extra);

  seen_bases = g_ptr_array_new ();
  rg_journal_set_sys_hooks (&hooks);
  fail_unless (rg_journal_writer_append (w, buf, -1, NULL, NULL, NULL));
  fail_unless (rg_journal_writer_append (w, two, -1, NULL, NULL, NULL));
  rg_journal_set_sys_hooks (NULL);
  close_writer (w);

  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless (g_ptr_array_find (seen_bases, map.data, NULL),
      "the 1 MiB value was not written from the buffer's own memory");
  gst_buffer_unmap (buf, &map);
  gst_memory_map (gst_buffer_peek_memory (two, 0), &map2a, GST_MAP_READ);
  gst_memory_map (gst_buffer_peek_memory (two, 1), &map2b, GST_MAP_READ);
  fail_unless (g_ptr_array_find (seen_bases, map2a.data, NULL));
  fail_unless (g_ptr_array_find (seen_bases, map2b.data, NULL));
  gst_memory_unmap (gst_buffer_peek_memory (two, 0), &map2a);
  gst_memory_unmap (gst_buffer_peek_memory (two, 1), &map2b);

  recs = read_journal (dir);
  fail_unless_equals_int (recs->len, 2);
  assert_records_intact (recs, 0, 2);
  fail_unless_equals_int (g_array_index (recs, ReadRecord, 1).value_len,
      512 * 1024);

  g_array_unref (recs);
  g_ptr_array_unref (seen_bases);
  gst_buffer_unref (buf);
  gst_buffer_unref (two);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_small_records_coalesced)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { recording_pwritev, NULL };
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  GArray *recs;

  seen_bases = g_ptr_array_new ();
  n_log_writes = 0;
  rg_journal_set_sys_hooks (&hooks);
  append_n (w, 2000, 100, 1);
  close_writer (w);
  rg_journal_set_sys_hooks (NULL);

  /* 2000 records of ~250 bytes in 64 KiB writes, plus index writes. */
  fail_unless (n_log_writes < 200, "%u writes for 2000 records",
      n_log_writes);
  recs = read_journal (dir);
  fail_unless_equals_int (recs->len, 2000);
  assert_records_intact (recs, 0, 2000);

  g_array_unref (recs);
  g_ptr_array_unref (seen_bases);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Recovery ---- */

GST_START_TEST (test_torn_tail_truncated)
{
  gchar *dir = make_temp_dir ();
  gchar *log = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_LOG);
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  RgJournalStats stats;
  GArray *recs;
  guint64 size, last_batch;
  int fd;

  append_n (w, 50, 300, 1);
  close_writer (w);
  recs = read_journal (dir);
  size = file_size (log);
  last_batch = size - g_array_index (recs, ReadRecord, 49).position;
  g_array_unref (recs);

  /* Cut the last batch short, as a crash in the middle of its write
   * would. */
  fail_unless (truncate (log, size - 10) == 0);
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  rg_journal_writer_get_stats (w, &stats);
  fail_unless_equals_uint64 (stats.recovered_bytes, last_batch - 10);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 49);
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 49);
  /* Appending continues at offset 49. */
  append_n (w, 1, 300, 1);
  close_writer (w);
  recs = read_journal (dir);
  fail_unless_equals_int (recs->len, 50);
  assert_records_intact (recs, 0, 50);
  g_array_unref (recs);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  /* Garbage after the last batch (a batch whose bytes never arrived reads
   * as zeros after a power cut) is cut too. */
  fd = open (log, O_WRONLY | O_APPEND);
  {
    guint8 zeros[100] = { 0 };
    fail_unless (write (fd, zeros, sizeof (zeros)) == sizeof (zeros));
  }
  close (fd);
  size = file_size (log);
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  rg_journal_writer_get_stats (w, &stats);
  fail_unless_equals_uint64 (stats.recovered_bytes, 100);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 50);
  close_writer (w);
  fail_unless_equals_uint64 (file_size (log), size - 100);

  g_free (log);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_recover_explicitly)
{
  gchar *dir = make_temp_dir ();
  gchar *log = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_LOG);
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  guint64 truncated = 0, size;
  GError *err = NULL;

  append_n (w, 20, 100, 1);
  close_writer (w);
  size = file_size (log);
  fail_unless (truncate (log, size - 7) == 0);
  fail_unless (verify_problems (dir, NULL) > 0);
  fail_unless (rg_journal_recover (dir, &truncated, &err));
  fail_unless (truncated > 0 && truncated < 300);
  fail_unless_equals_uint64 (file_size (log), size - 7 - truncated);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  /* Recovery takes the writer lock. */
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  fail_if (rg_journal_recover (dir, NULL, &err));
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_LOCKED));
  g_clear_error (&err);
  close_writer (w);

  g_free (log);
  remove_dir (dir);
}

GST_END_TEST;

/* Flips one byte of record @victim's value in the middle of a closed
 * segment. Returns the batch position. */
static guint64
corrupt_record (const gchar * dir, guint64 victim, guint64 * segment)
{
  GArray *recs = read_journal (dir);
  ReadRecord *r = &g_array_index (recs, ReadRecord, victim);
  gchar *log = rg_journal_file_path (dir, r->segment, RG_JOURNAL_FILE_LOG);
  guint64 position = r->position;
  guint8 byte;
  int fd;

  *segment = r->segment;
  fd = open (log, O_RDWR);
  /* The last byte of a batch lies in its last record's headers; the
   * value starts well before: flip a byte 60 bytes before the end of the
   * batch's header + 100-byte value. */
  fail_unless (pread (fd, &byte, 1, position + RG_BATCH_HEADER_SIZE + 50)
      == 1);
  byte ^= 0x40;
  fail_unless (pwrite (fd, &byte, 1, position + RG_BATCH_HEADER_SIZE + 50)
      == 1);
  close (fd);
  g_free (log);
  g_array_unref (recs);
  return position;
}

GST_START_TEST (test_corrupt_byte_found_by_verify)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 16 * 1024);
  RgJournalProblem *p = NULL;
  guint64 position, segment;
  gchar *expected_path;
  GArray *recs;

  append_n (w, 500, 100, 1);
  close_writer (w);
  fail_unless (count_files (dir, ".log") > 3);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  position = corrupt_record (dir, 150, &segment);
  fail_unless (segment > 0 && segment < 150);

  fail_unless_equals_int (verify_problems (dir, &p), 1);
  expected_path = rg_journal_file_path (dir, segment, RG_JOURNAL_FILE_LOG);
  fail_unless_equals_string (p->segment, expected_path);
  fail_unless_equals_uint64 (p->position, position);
  fail_unless_equals_uint64 (p->offset, 150);
  fail_unless (strstr (p->message, "CRC") || strstr (p->message, "crc"),
      "%s", p->message);
  problem_free (p);
  g_free (expected_path);

  /* Nothing else is lost: every other record still reads back intact. */
  recs = read_journal (dir);
  {
    guint i, n_ok = 0;

    for (i = 0; i < recs->len; i++)
      n_ok += g_array_index (recs, ReadRecord, i).value_ok;
    /* read_journal stops at the bad batch of that segment only. */
    fail_unless (n_ok >= 150);
  }
  g_array_unref (recs);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_damage_before_the_tail)
{
  gchar *dir = make_temp_dir ();
  gchar *log = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_LOG);
  gchar *keyindex = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_KEYINDEX);
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  RgJournalConfig config;
  GError *err = NULL;
  guint64 segment, size;

  append_n (w, 200, 100, 1);
  close_writer (w);
  size = file_size (log);

  /* Record 1 lies far before the last index entry: open validates only the
   * tail, so it neither sees nor cuts it (verify does see it). */
  corrupt_record (dir, 1, &segment);
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 200);
  close_writer (w);
  fail_unless_equals_uint64 (file_size (log), size);
  fail_unless_equals_int (verify_problems (dir, NULL), 1);

  /* With the keyframe index gone, validation starts at byte 0 and meets
   * the damage before the intact last indexed batch: that is damage, not
   * a torn write, so open fails and truncates nothing. */
  fail_unless (truncate (keyindex, 0) == 0);
  rg_journal_config_init (&config);
  fail_if (rg_journal_writer_open (dir, &config, &err) != NULL);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_CORRUPT), "%s", err ? err->message : "no error");
  fail_unless (strstr (err->message, log) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "offset 1") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  fail_unless_equals_uint64 (file_size (log), size);

  g_free (log);
  g_free (keyindex);
  remove_dir (dir);
}

GST_END_TEST;

static GBytes *
slurp (const gchar * path)
{
  gchar *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return g_bytes_new (NULL, 0);
  return g_bytes_new_take (data, len);
}

GST_START_TEST (test_indexes_rebuilt)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 32 * 1024);
  GArray *bases;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *orig = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_bytes_unref);
  guint i, k;

  append_n (w, 600, 200, 4);
  close_writer (w);
  bases = rg_journal_list_segments (dir, NULL);
  fail_unless (bases->len >= 3);
  for (i = 0; i < bases->len; i++)
    for (k = RG_JOURNAL_FILE_INDEX; k <= RG_JOURNAL_FILE_KEYINDEX; k++) {
      gchar *path = rg_journal_file_path (dir, g_array_index (bases, guint64,
              i), k);

      g_ptr_array_add (orig, slurp (path));
      g_ptr_array_add (paths, path);
    }

  /* Missing indexes (every one), and then indexes cut short. */
  for (i = 0; i < paths->len; i++)
    g_unlink (g_ptr_array_index (paths, i));
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 32 * 1024);
  close_writer (w);
  for (i = 0; i < paths->len; i++) {
    GBytes *now = slurp (g_ptr_array_index (paths, i));

    if (!g_bytes_equal (now, g_ptr_array_index (orig, i))) {
      gchar *a = g_strdup_printf ("%s.orig",
          (gchar *) g_ptr_array_index (paths, i));
      g_file_set_contents (a, g_bytes_get_data (g_ptr_array_index (orig, i),
              NULL), g_bytes_get_size (g_ptr_array_index (orig, i)), NULL);
      fail ("%s differs after a rebuild", (gchar *) g_ptr_array_index (paths,
              i));
    }
    fail_unless (g_bytes_get_size (now) > 0);
    g_bytes_unref (now);
  }
  for (i = 0; i < paths->len; i++) {
    const gchar *path = g_ptr_array_index (paths, i);

    fail_unless (truncate (path, file_size (path) / 2) == 0);
  }
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 32 * 1024);
  close_writer (w);
  for (i = 0; i < paths->len; i++) {
    GBytes *now = slurp (g_ptr_array_index (paths, i));

    fail_unless (g_bytes_equal (now, g_ptr_array_index (orig, i)),
        "%s differs after a rebuild", (gchar *) g_ptr_array_index (paths, i));
    g_bytes_unref (now);
  }
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  g_array_unref (bases);
  g_ptr_array_unref (paths);
  g_ptr_array_unref (orig);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_empty_last_segment_dropped)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  gchar *empty;
  GArray *recs;

  append_n (w, 10, 100, 1);
  close_writer (w);
  /* A crash right after a roll created the next segment. */
  empty = rg_journal_file_path (dir, 10, RG_JOURNAL_FILE_LOG);
  fail_unless (g_file_set_contents (empty, "", 0, NULL));
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  fail_if (g_file_test (empty, G_FILE_TEST_EXISTS));
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 10);
  append_n (w, 5, 100, 1);
  close_writer (w);
  recs = read_journal (dir);
  assert_records_intact (recs, 0, 15);
  fail_unless_equals_uint64 (g_array_index (recs, ReadRecord, 14).segment, 0);
  g_array_unref (recs);
  g_free (empty);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_second_writer_locked)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  RgJournalConfig config;
  GError *err = NULL;
  gchar *pid;

  rg_journal_config_init (&config);
  fail_if (rg_journal_writer_open (dir, &config, &err) != NULL);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_LOCKED));
  pid = g_strdup_printf ("pid %d", (int) getpid ());
  fail_unless (strstr (err->message, "locked by another writer") != NULL,
      "%s", err->message);
  fail_unless (strstr (err->message, pid) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, dir) != NULL, "%s", err->message);
  g_clear_error (&err);
  close_writer (w);
  /* Released at close. */
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  close_writer (w);
  g_free (pid);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Crashes: SIGKILL at random moments under sync=always ---- */

#define KILL_ROUNDS 50

/* Records of segments that may hold offsets >= @from. */
static GArray *
read_journal_from (const gchar * dir, guint64 from)
{
  GArray *all = read_journal_segments (dir, from);
  guint i = 0;

  while (i < all->len && g_array_index (all, ReadRecord, i).offset < from)
    i++;
  g_array_remove_range (all, 0, i);
  return all;
}

static void
crash_writer_child (const gchar * dir, int report_fd)
{
  RgJournalWriter *w;
  RgJournalConfig config;
  guint64 reported = 0, offset;

  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_ALWAYS;
  config.max_segment_bytes = 128 * 1024;
  w = rg_journal_writer_open (dir, &config, NULL);
  if (w == NULL)
    _exit (3);
  offset = rg_journal_writer_get_next_offset (w);
  reported = rg_journal_writer_get_durable_offset (w);
  for (;;) {
    /* Mostly telemetry-sized records, every 7th one large enough to go
     * out with its own pwritev. */
    GstBuffer *buf = make_buffer (offset, offset % 7 == 0 ? 6000 : 100, 1);
    guint64 durable;

    if (!rg_journal_writer_append (w, buf, BASE_TS + offset, NULL, NULL,
            NULL))
      _exit (4);
    gst_buffer_unref (buf);
    offset++;
    durable = rg_journal_writer_get_durable_offset (w);
    if (durable > reported) {
      if (write (report_fd, &durable, sizeof (durable)) != sizeof (durable))
        _exit (5);
      reported = durable;
    }
  }
}

GST_START_TEST (test_sigkill_under_sync_always)
{
  gchar *dir = make_temp_dir ();
  GRand *rand = g_rand_new_with_seed (20261123);
  guint64 verified = 0;
  guint round, kills_with_data = 0;
  GArray *recs;

  for (round = 0; round < KILL_ROUNDS; round++) {
    int p[2], status;
    pid_t pid;
    guint64 durable = 0, value;
    RgJournalWriter *w;
    guint64 next;

    fail_unless (pipe (p) == 0);
    pid = fork ();
    fail_unless (pid >= 0);
    if (pid == 0) {
      close (p[0]);
      crash_writer_child (dir, p[1]);
    }
    close (p[1]);
    /* Most kills land while records flow: after the first durable report
     * of this run, 0-20 ms later. Every fifth lands at a random moment
     * of the first 10 ms, recovery included. */
    if (round % 5 != 4) {
      struct pollfd pfd = { p[0], POLLIN, 0 };

      fail_unless (poll (&pfd, 1, 10000) == 1, "round %u: no durable "
          "record within 10 s", round);
      g_usleep (g_rand_int_range (rand, 0, 20000));
    } else {
      g_usleep (g_rand_int_range (rand, 0, 10000));
    }
    fail_unless (kill (pid, SIGKILL) == 0);
    fail_unless (waitpid (pid, &status, 0) == pid);
    fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
        "the writer exited on its own (status %d)", status);
    while (read (p[0], &value, sizeof (value)) == sizeof (value))
      durable = MAX (durable, value);
    close (p[0]);

    /* Reopen: everything reported durable is there, intact. */
    w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 128 * 1024);
    next = rg_journal_writer_get_next_offset (w);
    close_writer (w);
    fail_unless (next >= durable, "round %u: durable %" G_GUINT64_FORMAT
        " reported, journal ends at %" G_GUINT64_FORMAT, round, durable, next);
    fail_unless (next >= verified);
    if (durable > verified)
      kills_with_data++;
    GST_INFO ("round %u: durable %" G_GUINT64_FORMAT " next %"
        G_GUINT64_FORMAT, round, durable, next);
    recs = read_journal_from (dir, verified);
    fail_unless_equals_uint64 (recs->len, next - verified);
    assert_records_intact (recs, verified, next - verified);
    g_array_unref (recs);
    verified = next;
  }
  /* The kills landed while records were flowing. */
  fail_unless (kills_with_data >= KILL_ROUNDS * 4 / 5);
  recs = read_journal (dir);
  assert_records_intact (recs, 0, verified);
  fail_unless_equals_uint64 (recs->len, verified);
  g_array_unref (recs);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);
  fail_unless (count_files (dir, ".log") > 1);

  g_rand_free (rand);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Disk full: a file-size limit in a forked writer ---- */

typedef struct
{
  gint first_code;
  gint later_code;
  guint64 durable;
  guint64 failed_offset;
} FullReport;

static void
full_writer_child (const gchar * dir, int report_fd)
{
  struct rlimit lim = { 256 * 1024, 256 * 1024 };
  FullReport r = { -1, -1, 0, 0 };
  RgJournalWriter *w;
  RgJournalConfig config;
  GError *err = NULL;
  guint64 offset;

  signal (SIGXFSZ, SIG_IGN);
  if (setrlimit (RLIMIT_FSIZE, &lim) < 0)
    _exit (3);
  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_ALWAYS;
  config.max_segment_bytes = 0;
  w = rg_journal_writer_open (dir, &config, NULL);
  if (w == NULL)
    _exit (4);
  for (offset = 0; offset < 100000; offset++) {
    GstBuffer *buf = make_buffer (offset, 1000, 1);
    gboolean ok = rg_journal_writer_append (w, buf, BASE_TS + offset, NULL,
        NULL, &err);

    gst_buffer_unref (buf);
    if (!ok)
      break;
    /* Now and then wait, so that a good part is known durable. When the
     * syncer met the limit, the wait fails with RG_JOURNAL_ERROR_FATAL and
     * the next append reports the cause. */
    if (offset % 50 == 49 && !rg_journal_writer_wait_durable (w, offset,
            &err)) {
      fail_unless (err->code == RG_JOURNAL_ERROR_FATAL);
      g_clear_error (&err);
    }
  }
  if (err) {
    r.first_code = err->code;
    r.failed_offset = offset;
    g_clear_error (&err);
    r.durable = rg_journal_writer_get_durable_offset (w);
    {
      GstBuffer *buf = make_buffer (offset, 10, 1);

      if (!rg_journal_writer_append (w, buf, -1, NULL, NULL, &err))
        r.later_code = err->code;
      gst_buffer_unref (buf);
      g_clear_error (&err);
    }
  }
  rg_journal_writer_close (w, NULL);
  if (write (report_fd, &r, sizeof (r)) != sizeof (r))
    _exit (5);
  _exit (0);
}

GST_START_TEST (test_disk_full)
{
  gchar *dir = make_temp_dir ();
  FullReport r;
  int p[2], status;
  pid_t pid;
  RgJournalWriter *w;
  GArray *recs;
  guint64 next;

  fail_unless (pipe (p) == 0);
  pid = fork ();
  if (pid == 0) {
    close (p[0]);
    full_writer_child (dir, p[1]);
  }
  close (p[1]);
  fail_unless (read (p[0], &r, sizeof (r)) == sizeof (r));
  close (p[0]);
  fail_unless (waitpid (pid, &status, 0) == pid);
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  fail_unless_equals_int (r.first_code, RG_JOURNAL_ERROR_NO_SPACE);
  fail_unless_equals_int (r.later_code, RG_JOURNAL_ERROR_FATAL);
  fail_unless (r.durable >= 150 && r.durable <= r.failed_offset,
      "durable %" G_GUINT64_FORMAT " failed at %" G_GUINT64_FORMAT,
      r.durable, r.failed_offset);

  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  next = rg_journal_writer_get_next_offset (w);
  close_writer (w);
  fail_unless (next >= r.durable);
  recs = read_journal (dir);
  fail_unless_equals_uint64 (recs->len, next);
  assert_records_intact (recs, 0, next);
  g_array_unref (recs);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Rotation and retention ---- */

typedef struct
{
  GArray *infos;                /* RgJournalSegmentInfo, paths copied */
} ClosedLog;

static void
on_segment_closed (const RgJournalSegmentInfo * info, gpointer user_data)
{
  ClosedLog *log = user_data;
  RgJournalSegmentInfo copy = *info;

  copy.path = g_strdup (info->path);
  fail_unless (g_file_test (copy.path, G_FILE_TEST_EXISTS));
  fail_unless_equals_uint64 (file_size (copy.path), info->bytes);
  g_array_append_val (log->infos, copy);
}

static void
closed_log_free (ClosedLog * log)
{
  guint i;

  for (i = 0; i < log->infos->len; i++)
    g_free ((gchar *) g_array_index (log->infos, RgJournalSegmentInfo,
            i).path);
  g_array_unref (log->infos);
}

GST_START_TEST (test_rotation_at_keyframes)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 4096);
  GstCaps *caps = gst_caps_from_string ("video/x-h264");
  ClosedLog log = { g_array_new (FALSE, FALSE, sizeof (RgJournalSegmentInfo)) };
  GArray *recs, *bases;
  guint i, s, fds;
  guint64 expected_first = 0;

  rg_journal_writer_set_segment_closed_func (w, on_segment_closed, &log);
  rg_journal_writer_set_caps (w, caps);
  fds = count_files ("/proc/self/fd", "");
  /* A keyframe every 8th record, ~370 bytes each: a segment passes 4 KiB
   * after ~11 records and is cut at the next keyframe. */
  append_n (w, 400, 300, 8);
  /* sync=none: rolled segments wait for a sync, without their files
   * open. */
  fail_unless (count_files ("/proc/self/fd", "") <= fds + 4);
  fail_unless (rg_journal_writer_sync (w, NULL));
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 400);
  close_writer (w);

  recs = read_journal (dir);
  assert_records_intact (recs, 0, 400);
  bases = rg_journal_list_segments (dir, NULL);
  fail_unless (bases->len > 10);
  fail_unless_equals_int (log.infos->len, bases->len);
  for (s = 0; s < bases->len; s++) {
    RgJournalSegmentInfo *info = &g_array_index (log.infos,
        RgJournalSegmentInfo, s);
    guint64 base = g_array_index (bases, guint64, s);
    gchar *path = rg_journal_file_path (dir, base, RG_JOURNAL_FILE_LOG);

    fail_unless_equals_uint64 (info->first_offset, base);
    fail_unless_equals_uint64 (info->first_offset, expected_first);
    fail_unless_equals_string (info->path, path);
    fail_unless_equals_int64 (info->first_timestamp, BASE_TS + base);
    fail_unless_equals_int64 (info->last_timestamp,
        BASE_TS + info->last_offset);
    expected_first = info->last_offset + 1;
    /* Below twice the limit: the keyframe came in time. */
    fail_unless (info->bytes < 2 * 4096);
    g_free (path);
  }
  fail_unless_equals_uint64 (expected_first, 400);
  for (i = 0; i < recs->len; i++) {
    ReadRecord *r = &g_array_index (recs, ReadRecord, i);
    gboolean first_of_segment = r->offset == r->segment;

    /* Every segment starts on a keyframe and carries the caps. */
    if (first_of_segment) {
      fail_unless (r->keyframe, "segment %" G_GUINT64_FORMAT
          " starts on a delta unit", r->segment);
      fail_unless_equals_string (r->caps, "video/x-h264");
    } else {
      fail_unless (r->caps == NULL);
    }
  }
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  g_array_unref (bases);
  g_array_unref (recs);
  closed_log_free (&log);
  gst_caps_unref (caps);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_rotation_without_keyframes_and_by_time)
{
  gchar *dir = make_temp_dir ();
  RgJournalConfig config;
  RgJournalWriter *w;
  GArray *bases;
  guint64 i;
  guint s;

  /* Only delta units after the first record: cut at twice the size. */
  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  config.max_segment_bytes = 4096;
  w = rg_journal_writer_open (dir, &config, NULL);
  append_n (w, 200, 300, 1000000);
  close_writer (w);
  bases = rg_journal_list_segments (dir, NULL);
  fail_unless (bases->len > 3);
  for (s = 0; s + 1 < bases->len; s++) {
    gchar *path = rg_journal_file_path (dir, g_array_index (bases, guint64,
            s), RG_JOURNAL_FILE_LOG);
    guint64 size = file_size (path);

    fail_unless (size >= 2 * 4096 && size < 2 * 4096 + 600, "%"
        G_GUINT64_FORMAT, size);
    g_free (path);
  }
  g_array_unref (bases);
  remove_dir (dir);

  /* By time: records 100 ms apart, segments of 1 s. */
  dir = make_temp_dir ();
  config.max_segment_bytes = 0;
  config.max_segment_time = GST_SECOND;
  w = rg_journal_writer_open (dir, &config, NULL);
  for (i = 0; i < 55; i++) {
    GstBuffer *buf = make_buffer (i, 100, 1);

    fail_unless (rg_journal_writer_append (w, buf, BASE_TS + i * 100, NULL,
            NULL, NULL));
    gst_buffer_unref (buf);
  }
  close_writer (w);
  bases = rg_journal_list_segments (dir, NULL);
  fail_unless_equals_int (bases->len, 6);
  for (s = 0; s < bases->len; s++)
    fail_unless_equals_uint64 (g_array_index (bases, guint64, s), s * 10);
  g_array_unref (bases);
  remove_dir (dir);
}

GST_END_TEST;

static gint
compare_u64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

/* The base offsets of the segments in @dir, ascending. */
static GArray *
segment_bases (const gchar * dir)
{
  GArray *bases = g_array_new (FALSE, FALSE, sizeof (guint64));
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d)) != NULL) {
    guint64 base;

    if (g_str_has_suffix (name, ".log")) {
      base = g_ascii_strtoull (name, NULL, 10);
      g_array_append_val (bases, base);
    }
  }
  g_dir_close (d);
  g_array_sort (bases, compare_u64);
  return bases;
}

/* rg_journal_writer_set_log_start(): the closed segments wholly below the
 * start go (under sync none, whose rolled segments are closed at once,
 * and always), the one that holds it stays, and later rolls delete
 * nothing more. */
GST_START_TEST (test_log_start_deletes_whole_segments)
{
  static const RgJournalSync policies[] = { RG_JOURNAL_SYNC_NONE,
    RG_JOURNAL_SYNC_ALWAYS
  };
  guint p;

  for (p = 0; p < G_N_ELEMENTS (policies); p++) {
    gchar *dir = make_temp_dir ();
    RgJournalWriter *w = open_writer (dir, policies[p], 4096);
    GArray *before, *after;
    guint64 start;
    guint i;

    append_n (w, 40, 1000, 1);
    before = segment_bases (dir);
    fail_unless (before->len >= 5, "%u segments", before->len);
    start = g_array_index (before, guint64, 2) + 1;
    rg_journal_writer_set_log_start (w, start);
    after = segment_bases (dir);
    fail_unless_equals_int (after->len, before->len - 2);
    for (i = 0; i < after->len; i++)
      fail_unless_equals_uint64 (g_array_index (after, guint64, i),
          g_array_index (before, guint64, i + 2));
    g_array_unref (after);
    /* A lower start changes nothing; rolls keep every later segment. */
    rg_journal_writer_set_log_start (w, 1);
    append_n (w, 20, 1000, 1);
    after = segment_bases (dir);
    fail_unless_equals_uint64 (g_array_index (after, guint64, 0),
        g_array_index (before, guint64, 2));
    fail_unless (after->len > before->len - 2);
    close_writer (w);
    g_array_unref (after);
    g_array_unref (before);
    remove_dir (dir);
  }
}

GST_END_TEST;

GST_START_TEST (test_retention_by_size)
{
  gchar *dir = make_temp_dir ();
  RgJournalConfig config;
  RgJournalWriter *w;
  RgJournalStats stats;
  GArray *bases, *recs;
  guint64 total = 0;
  guint s;

  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  config.max_segment_bytes = 4096;
  config.max_bytes = 16 * 1024;
  w = rg_journal_writer_open (dir, &config, NULL);
  append_n (w, 500, 300, 1);
  rg_journal_writer_get_stats (w, &stats);
  fail_unless_equals_uint64 (stats.segments, count_files (dir, ".log"));
  close_writer (w);

  bases = rg_journal_list_segments (dir, NULL);
  for (s = 0; s < bases->len; s++) {
    gchar *path = rg_journal_file_path (dir, g_array_index (bases, guint64,
            s), RG_JOURNAL_FILE_LOG);

    total += file_size (path);
    g_free (path);
  }
  /* Retention runs after each roll; the active segment then grows by up
   * to one more segment. */
  fail_unless (total <= 16 * 1024 + 4096 + 400, "%" G_GUINT64_FORMAT, total);
  fail_unless (total > 8 * 1024);
  fail_unless (g_array_index (bases, guint64, 0) > 400);
  /* Nothing but the oldest segments went, and their index files too. */
  fail_unless_equals_int (count_files (dir, ".index"), bases->len);
  fail_unless_equals_int (count_files (dir, ".keyindex"), bases->len);
  recs = read_journal (dir);
  assert_records_intact (recs, g_array_index (bases, guint64, 0),
      500 - g_array_index (bases, guint64, 0));
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  g_array_unref (recs);
  g_array_unref (bases);
  remove_dir (dir);
}

GST_END_TEST;

GST_START_TEST (test_retention_by_age)
{
  gchar *dir = make_temp_dir ();
  RgJournalConfig config;
  RgJournalWriter *w;
  GArray *recs;
  gint64 now = g_get_real_time () / 1000;
  guint64 i;

  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  config.max_segment_bytes = 4096;
  config.max_age = 3600 * GST_SECOND;
  w = rg_journal_writer_open (dir, &config, NULL);
  /* Two hours old, then fresh. */
  for (i = 0; i < 300; i++) {
    GstBuffer *buf = make_buffer (i, 300, 1);
    gint64 ts = i < 150 ? now - 2 * 3600 * 1000 + (gint64) i : -1;

    fail_unless (rg_journal_writer_append (w, buf, ts, NULL, NULL, NULL));
    gst_buffer_unref (buf);
  }
  close_writer (w);
  recs = read_journal (dir);
  /* Every old segment is gone; fresh records are all kept. The segment
   * holding the switch from old to fresh records stays (its newest record
   * is fresh). */
  fail_unless (recs->len >= 150 && recs->len < 170, "%u", recs->len);
  fail_unless (g_array_index (recs, ReadRecord, 0).offset > 130);
  assert_records_intact (recs, g_array_index (recs, ReadRecord, 0).offset,
      recs->len);
  g_array_unref (recs);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Durability ---- */

GST_START_TEST (test_sync_policies)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w;
  RgJournalConfig config;
  RgJournalStats stats;
  guint64 last;

  /* none: nothing is durable until asked. */
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  last = append_n (w, 100, 100, 1);
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 0);
  fail_unless (rg_journal_writer_sync (w, NULL));
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 100);
  rg_journal_writer_get_stats (w, &stats);
  fail_unless_equals_uint64 (stats.fsyncs, 1);
  fail_unless_equals_uint64 (stats.records, 100);
  close_writer (w);

  /* interval: the syncer makes it durable on its own. */
  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_INTERVAL;
  config.sync_interval = 10 * GST_MSECOND;
  w = rg_journal_writer_open (dir, &config, NULL);
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 100);
  last = append_n (w, 100, 100, 1);
  while (rg_journal_writer_get_durable_offset (w) <= last)
    g_usleep (1000);
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 200);
  close_writer (w);

  /* always: wait_durable returns once the record is on disk. */
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  last = append_n (w, 100, 100, 1);
  fail_unless (rg_journal_writer_wait_durable (w, last, NULL));
  fail_unless (rg_journal_writer_get_durable_offset (w) > last);
  fail_if (rg_journal_writer_wait_durable (w, last + 1, NULL));
  close_writer (w);
  remove_dir (dir);
}

GST_END_TEST;

/* A disk whose fdatasync takes at least 2 ms, so that the test does not
 * depend on how fast this machine's disk and CPU happen to be. */
static int
slow_fdatasync (int fd)
{
  g_usleep (2000);
  return fdatasync (fd);
}

GST_START_TEST (test_group_commit)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { NULL, slow_fdatasync };
  RgJournalWriter *w;
  RgJournalStats stats;
  guint64 last;
  GArray *recs;

  rg_journal_set_sys_hooks (&hooks);
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  /* Appends do not wait for fdatasync: one sync covers every record
   * written while the previous one ran. */
  last = append_n (w, 10000, 100, 1);
  fail_unless (rg_journal_writer_wait_durable (w, last, NULL));
  rg_journal_writer_get_stats (w, &stats);
  fail_unless (stats.fsyncs >= 1 && stats.fsyncs < 1000, "%" G_GUINT64_FORMAT
      " fdatasyncs for 10000 records", stats.fsyncs);
  fail_unless (stats.last_fsync_ns >= 2000000);
  close_writer (w);
  rg_journal_set_sys_hooks (NULL);
  recs = read_journal (dir);
  assert_records_intact (recs, 0, 10000);
  g_array_unref (recs);
  remove_dir (dir);
}

GST_END_TEST;

/* An fdatasync that waits at a gate the test opens: the first call to
 * reach it notes so and waits; later calls pass. The held call checks
 * that its descriptor still names the file it named on entry (a closed
 * descriptor's number is soon taken by the next file opened). */
/* pthread, not GMutex: ThreadSanitizer (the journal tests run in the
 * 'tsan' suite) sees only pthread synchronisation. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static gboolean gate_closed, gate_entered, gate_fd_changed;

static int
gated_fdatasync (int fd)
{
  struct stat before, after;

  pthread_mutex_lock (&gate_lock);
  if (gate_closed && !gate_entered) {
    fail_unless (fstat (fd, &before) == 0);
    gate_entered = TRUE;
    pthread_cond_broadcast (&gate_cond);
    while (gate_closed)
      pthread_cond_wait (&gate_cond, &gate_lock);
    gate_fd_changed = fstat (fd, &after) != 0
        || after.st_ino != before.st_ino || after.st_dev != before.st_dev;
  }
  pthread_mutex_unlock (&gate_lock);
  return fdatasync (fd);
}

static gpointer
sync_thread (gpointer data)
{
  return GINT_TO_POINTER (rg_journal_writer_sync (data, NULL));
}

static gpointer
roll_thread (gpointer data)
{
  /* 40 records of 1000 bytes: past the 16 KiB segments of the test. */
  append_n (data, 40, 1000, 1);
  return NULL;
}

/* sync=none: a sync asked for runs fdatasync on the active segment's log
 * without the writer's lock. A roll meanwhile must not close that segment
 * under it: the commit would fail (EBADF) and stop the journal, or sync
 * whatever file took the descriptor's number and call the records
 * durable. Here the commit is held in
 * fdatasync while another thread rolls; the sync must then succeed and
 * every record be intact. */
GST_START_TEST (test_roll_during_asked_sync)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { NULL, gated_fdatasync };
  RgJournalConfig config;
  RgJournalWriter *w;
  GThread *syncer, *roller;
  GArray *recs;

  gate_closed = TRUE;
  gate_entered = gate_fd_changed = FALSE;
  rg_journal_set_sys_hooks (&hooks);
  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  config.max_segment_bytes = 16 * 1024;
  w = rg_journal_writer_open (dir, &config, NULL);
  fail_unless (w != NULL);
  append_n (w, 4, 1000, 1);

  syncer = g_thread_new ("asks-sync", sync_thread, w);
  pthread_mutex_lock (&gate_lock);
  while (!gate_entered)
    pthread_cond_wait (&gate_cond, &gate_lock);
  pthread_mutex_unlock (&gate_lock);

  /* The roll either waits for the commit (right) or frees the segment
   * under it (wrong); the pause gives the wrong one time to happen. */
  roller = g_thread_new ("rolls", roll_thread, w);
  g_usleep (200 * 1000);
  pthread_mutex_lock (&gate_lock);
  gate_closed = FALSE;
  pthread_cond_broadcast (&gate_cond);
  pthread_mutex_unlock (&gate_lock);

  fail_unless (GPOINTER_TO_INT (g_thread_join (syncer)),
      "the asked sync failed while the segment rolled");
  fail_if (gate_fd_changed, "the segment was closed under its fdatasync");
  g_thread_join (roller);
  fail_unless (rg_journal_writer_sync (w, NULL));
  close_writer (w);
  rg_journal_set_sys_hooks (NULL);
  recs = read_journal (dir);
  assert_records_intact (recs, 0, 44);
  g_array_unref (recs);
  remove_dir (dir);
}

GST_END_TEST;

/* The commit statistics account for every group commit: one record at a
 * time, each made durable before the next, is one commit and one
 * fdatasync per record, each at least as long as the hook's sleep. */
GST_START_TEST (test_commit_stats)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { NULL, slow_fdatasync };
  RgJournalWriter *w;
  RgJournalStats before, after;
  guint64 last;
  guint i;

  rg_journal_set_sys_hooks (&hooks);
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  last = append_n (w, 1, 100, 1);
  fail_unless (rg_journal_writer_wait_durable (w, last, NULL));
  rg_journal_writer_get_stats (w, &before);
  for (i = 0; i < 5; i++) {
    last = append_n (w, 1, 100, 1);
    fail_unless (rg_journal_writer_wait_durable (w, last, NULL));
  }
  rg_journal_writer_get_stats (w, &after);
  close_writer (w);
  rg_journal_set_sys_hooks (NULL);

  fail_unless_equals_uint64 (after.fsyncs - before.fsyncs, 5);
  fail_unless_equals_uint64 (after.commits - before.commits, 5);
  fail_unless (after.fsync_total_ns - before.fsync_total_ns >= 5 * 2000000);
  fail_unless (after.fsync_max_ns >= 2000000);
  fail_unless (after.fsync_max_ns <= after.fsync_total_ns);
  fail_unless (after.write_wait_max_ns <= after.write_wait_total_ns);
  remove_dir (dir);
}

GST_END_TEST;

static int
failing_fdatasync (int fd)
{
  errno = EIO;
  return -1;
}

GST_START_TEST (test_failed_fdatasync_is_fatal)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { NULL, failing_fdatasync };
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  RgJournalTail *tail = rg_journal_writer_get_tail (w);
  RgJournalTailInfo info;
  GError *err = NULL;
  guint64 last;
  GstBuffer *buf;

  last = append_n (w, 10, 100, 1);
  fail_unless (rg_journal_writer_wait_durable (w, last, NULL));
  fail_unless (rg_journal_tail_read (tail, &info));
  rg_journal_set_sys_hooks (&hooks);
  last = append_n (w, 1, 100, 1);
  fail_if (rg_journal_writer_wait_durable (w, last, &err));
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_FATAL));
  fail_unless (strstr (err->message, "fdatasync") != NULL, "%s",
      err->message);
  /* It says which records are not durable (issue 14, item 3). */
  fail_unless (strstr (err->message, "records 10 to 10 are not durable") !=
      NULL, "%s", err->message);
  g_clear_error (&err);
  /* A failed writer no longer vouches for its log. */
  fail_if (rg_journal_tail_read (tail, &info));
  rg_journal_tail_unref (tail);
  /* Never retried, never reported durable. */
  fail_unless_equals_uint64 (rg_journal_writer_get_durable_offset (w), 10);
  buf = make_buffer (11, 100, 1);
  fail_if (rg_journal_writer_append (w, buf, -1, NULL, NULL, &err));
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO));
  g_clear_error (&err);
  fail_if (rg_journal_writer_append (w, buf, -1, NULL, NULL, &err));
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_FATAL));
  g_clear_error (&err);
  fail_if (rg_journal_writer_close (w, &err));
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_FATAL));
  g_clear_error (&err);
  rg_journal_set_sys_hooks (NULL);
  gst_buffer_unref (buf);

  /* The lock was released; the journal reopens with all 11 records (the
   * last one was written, just never confirmed durable). */
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 0);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 11);
  close_writer (w);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- The written tail ---- */

static guint64
log_size (const gchar * dir, guint64 base)
{
  gchar *path = rg_journal_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  guint64 size = file_size (path);

  g_free (path);
  return size;
}

/* The tail ends where the written log bytes end: small records join it
 * once flushed, a large one as soon as its append returns; a roll moves it
 * to the new segment and bumps the generation; a closed writer no longer
 * answers. */
GST_START_TEST (test_tail_tracks_written_bytes)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 64 * 1024);
  RgJournalTail *tail = rg_journal_writer_get_tail (w);
  RgJournalTailInfo info, before;
  GArray *bases;
  guint rolls = 0;

  fail_unless (rg_journal_tail_read (tail, &info));
  fail_unless_equals_uint64 (info.segment_base, 0);
  fail_unless_equals_uint64 (info.position, 0);
  fail_unless_equals_uint64 (info.next_offset, 0);

  /* A 100-byte record waits in the pending buffer until a flush. */
  append_n (w, 1, 100, 1);
  fail_unless (rg_journal_tail_read (tail, &info));
  fail_unless (info.next_offset == 0 || info.position == log_size (dir, 0));
  fail_unless (rg_journal_writer_sync (w, NULL));
  fail_unless (rg_journal_tail_read (tail, &info));
  fail_unless_equals_uint64 (info.next_offset, 1);
  fail_unless_equals_uint64 (info.position, log_size (dir, 0));

  /* 8 KiB records are written by the append itself. */
  append_n (w, 1, 8192, 1);
  fail_unless (rg_journal_tail_read (tail, &info));
  fail_unless_equals_uint64 (info.next_offset, 2);
  fail_unless_equals_uint64 (info.position, log_size (dir, 0));

  while (rolls < 2) {
    before = info;
    append_n (w, 1, 8192, 1);
    fail_unless (rg_journal_tail_read (tail, &info));
    fail_unless_equals_uint64 (info.next_offset, before.next_offset + 1);
    fail_unless_equals_uint64 (info.position,
        log_size (dir, info.segment_base));
    if (info.segment_base == before.segment_base) {
      fail_unless_equals_uint64 (info.generation, before.generation);
      continue;
    }
    rolls++;
    fail_unless_equals_uint64 (info.segment_base, before.next_offset);
    fail_unless_equals_uint64 (info.generation, before.generation + 1);
    bases = rg_journal_list_segments (dir, NULL);
    fail_unless_equals_uint64 (g_array_index (bases, guint64,
            bases->len - 1), info.segment_base);
    g_array_unref (bases);
  }

  close_writer (w);
  fail_if (rg_journal_tail_read (tail, &info));
  rg_journal_tail_unref (tail);
  remove_dir (dir);
}

GST_END_TEST;

static void
count_tail_moves (gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* Small records under sync=none are flushed by the writer's own thread
 * some milliseconds after their append; the tail's function is what tells
 * a reader (the broker) then, with no append to do it. */
GST_START_TEST (test_tail_notifies_background_flush)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  RgJournalTail *tail = rg_journal_writer_get_tail (w);
  RgJournalTailInfo info;
  gint moves = 0;
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  rg_journal_tail_set_notify (tail, count_tail_moves, &moves);
  append_n (w, 1, 100, 1);
  fail_unless (rg_journal_tail_read (tail, &info));
  /* Bounded wait for the flush (due 5 ms after the append). */
  while (info.next_offset < 1 && g_get_monotonic_time () < deadline) {
    g_usleep (1000);
    fail_unless (rg_journal_tail_read (tail, &info));
  }
  fail_unless_equals_uint64 (info.next_offset, 1);
  /* Only the flush can have told: the append left its record pending. */
  fail_unless (g_atomic_int_get (&moves) > 0);

  rg_journal_tail_set_notify (tail, NULL, NULL);
  moves = 0;
  append_n (w, 1, 8192, 1);
  fail_unless_equals_int (g_atomic_int_get (&moves), 0);
  close_writer (w);
  rg_journal_tail_unref (tail);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Damage never hides intact records (issue 14) ---- */

/* Overwrites the batchLength of the batch holding @victim with a huge
 * value: its header still parses, but it claims to run far past the end. */
static guint64
poke_batch_length (const gchar * dir, guint64 victim, guint64 * segment)
{
  GArray *recs = read_journal (dir);
  ReadRecord *r = &g_array_index (recs, ReadRecord, victim);
  gchar *log = rg_journal_file_path (dir, r->segment, RG_JOURNAL_FILE_LOG);
  guint64 position = r->position;
  guint8 be[4];
  int fd;

  fail_unless_equals_uint64 (r->offset, victim);
  *segment = r->segment;
  GST_WRITE_UINT32_BE (be, 0x7ffffff0);
  fd = open (log, O_RDWR);
  fail_unless (pwrite (fd, be, 4, position + 8) == 4);
  close (fd);
  g_free (log);
  g_array_unref (recs);
  return position;
}

GST_START_TEST (test_huge_batch_length_in_active_segment)
{
  gchar *dir = make_temp_dir ();
  gchar *log = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_LOG);
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  RgJournalRecoverReport report;
  RgJournalConfig config;
  GError *err = NULL;
  guint64 segment, size, last;
  GArray *recs;
  guint i;

  append_n (w, 1000, 100, 1);
  close_writer (w);
  poke_batch_length (dir, 431, &segment);
  fail_unless_equals_uint64 (segment, 0);
  size = file_size (log);

  /* The writer neither cuts the 568 intact batches behind the damage nor
   * appends behind it: it refuses, and says what to do. */
  rg_journal_config_init (&config);
  fail_if (rg_journal_writer_open (dir, &config, &err) != NULL);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_CORRUPT), "%s", err ? err->message : "no error");
  fail_unless (strstr (err->message, "(offset 431)") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "intact batches follow from byte") !=
      NULL, "%s", err->message);
  fail_unless (strstr (err->message, "(offset 432)") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "rg-journal recover") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  fail_unless_equals_uint64 (file_size (log), size);

  /* recover moves exactly that batch aside and keeps everything else. */
  fail_unless (rg_journal_recover_with_report (dir, &report, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_uint64 (report.truncated_bytes, 0);
  fail_unless_equals_uint64 (report.damaged_ranges, 1);
  fail_unless_equals_uint64 (report.lost_records, 1);
  fail_unless_equals_int (count_files (dir, ".damaged"), 1);
  recs = read_journal (dir);
  fail_unless_equals_int (recs->len, 999);
  for (i = 0; i < recs->len; i++) {
    ReadRecord *r = &g_array_index (recs, ReadRecord, i);

    fail_unless_equals_uint64 (r->offset, i < 431 ? i : i + 1);
    fail_unless (r->value_ok);
  }
  g_array_unref (recs);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  /* And the writer goes on after the last intact record. */
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 1000);
  last = append_n (w, 1, 100, 1);
  fail_unless_equals_uint64 (last, 1000);
  close_writer (w);

  g_free (log);
  remove_dir (dir);
}

GST_END_TEST;

/* A closed segment is trusted at open, but recover walks it: the damaged
 * batch goes aside, the 482 after it stay. */
GST_START_TEST (test_huge_batch_length_in_closed_segment)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 64 * 1024);
  RgJournalRecoverReport report;
  GError *err = NULL;
  guint64 segment;
  GArray *recs;
  guint i;

  append_n (w, 1500, 100, 1);
  close_writer (w);
  fail_unless (count_files (dir, ".log") >= 3);
  poke_batch_length (dir, 100, &segment);
  fail_unless_equals_uint64 (segment, 0);

  fail_unless (rg_journal_recover_with_report (dir, &report, &err), "%s",
      err ? err->message : "");
  fail_unless_equals_uint64 (report.damaged_ranges, 1);
  fail_unless_equals_uint64 (report.lost_records, 1);
  recs = read_journal (dir);
  fail_unless_equals_int (recs->len, 1499);
  for (i = 0; i < recs->len; i++) {
    ReadRecord *r = &g_array_index (recs, ReadRecord, i);

    fail_unless_equals_uint64 (r->offset, i < 100 ? i : i + 1);
    fail_unless (r->value_ok);
  }
  g_array_unref (recs);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);
  remove_dir (dir);
}

GST_END_TEST;

/* Finding 3: a deleted .keyindex of a closed segment stayed a 0-byte file,
 * and a garbage .index entry was never rebuilt. */
GST_START_TEST (test_closed_segment_indexes_validated)
{
  gchar *dir = make_temp_dir ();
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 16 * 1024);
  gchar *keyindex = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_KEYINDEX);
  gchar *index = rg_journal_file_path (dir, 0, RG_JOURNAL_FILE_INDEX);
  GBytes *key_orig, *index_orig, *now;
  guint8 be[4];
  int fd;

  append_n (w, 600, 100, 4);
  close_writer (w);
  fail_unless (count_files (dir, ".log") >= 3);
  key_orig = slurp (keyindex);
  index_orig = slurp (index);
  fail_unless (g_bytes_get_size (key_orig) > 0);
  fail_unless (g_bytes_get_size (index_orig) >= 3 * 8);

  /* Deleted: rebuilt at writer start... */
  fail_unless (g_unlink (keyindex) == 0);
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 16 * 1024);
  close_writer (w);
  now = slurp (keyindex);
  fail_unless (g_bytes_equal (now, key_orig), "%" G_GSIZE_FORMAT " bytes",
      g_bytes_get_size (now));
  g_bytes_unref (now);
  /* ...and by recover, also when left behind as an empty file. */
  fail_unless (g_file_set_contents (keyindex, "", 0, NULL));
  fail_unless (rg_journal_recover (dir, NULL, NULL));
  now = slurp (keyindex);
  fail_unless (g_bytes_equal (now, key_orig));
  g_bytes_unref (now);

  /* A garbage position in an entry in the middle of the .index. */
  GST_WRITE_UINT32_BE (be, 2147483632u);
  fd = open (index, O_RDWR);
  fail_unless (pwrite (fd, be, 4, 8 + 4) == 4);
  close (fd);
  fail_unless (verify_problems (dir, NULL) > 0);
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 16 * 1024);
  close_writer (w);
  now = slurp (index);
  fail_unless (g_bytes_equal (now, index_orig));
  g_bytes_unref (now);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);

  g_bytes_unref (key_orig);
  g_bytes_unref (index_orig);
  g_free (keyindex);
  g_free (index);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Write errors ---- */

static gboolean
fd_is (int fd, const gchar * suffix)
{
  gchar link[64], target[PATH_MAX];
  ssize_t n;

  g_snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  n = readlink (link, target, sizeof (target) - 1);
  if (n <= 0)
    return FALSE;
  target[n] = '\0';
  return g_str_has_suffix (target, suffix);
}

static guint index_writes;

/* A disk that fills up in the middle of an index write: the first write
 * gets half its bytes in, the next fails with ENOSPC. */
static ssize_t
short_index_pwritev (int fd, const struct iovec *iov, int iovcnt,
    off_t offset)
{
  if (!fd_is (fd, ".index"))
    return pwritev (fd, iov, iovcnt, offset);
  if (index_writes++ == 0) {
    /* Something before left errno set, as a real short write does. */
    errno = EEXIST;
    return pwrite (fd, iov[0].iov_base, iov[0].iov_len / 2, offset);
  }
  errno = ENOSPC;
  return -1;
}

/* Finding 4: a short write was reported with a stale errno ("File
 * exists"), so a full disk did not read as RG_JOURNAL_ERROR_NO_SPACE. */
GST_START_TEST (test_short_write_reports_its_errno)
{
  gchar *dir = make_temp_dir ();
  RgJournalSysHooks hooks = { short_index_pwritev, NULL };
  RgJournalWriter *w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  GError *err = NULL;

  append_n (w, 200, 100, 1);
  index_writes = 0;
  rg_journal_set_sys_hooks (&hooks);
  fail_if (rg_journal_writer_close (w, &err));
  rg_journal_set_sys_hooks (NULL);
  /* The rest of the short write was tried again. */
  fail_unless_equals_int (index_writes, 2);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_NO_SPACE), "%s", err ? err->message : "no error");
  fail_unless (strstr (err->message, ".index") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, g_strerror (ENOSPC)) != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, g_strerror (EEXIST)) == NULL, "%s",
      err->message);
  g_clear_error (&err);

  /* The journal is whole: the log was written before its indexes. */
  w = open_writer (dir, RG_JOURNAL_SYNC_NONE, 0);
  fail_unless_equals_uint64 (rg_journal_writer_get_next_offset (w), 200);
  close_writer (w);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);
  remove_dir (dir);
}

GST_END_TEST;

/* A real full disk: a 512 KiB tmpfs. Needs the right to mount (root); the
 * test passes without checking anything else where it has not (the
 * sys-hook test above covers the short write deterministically). */
static void
assert_no_space (const GError * err)
{
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_NO_SPACE), "%s", err ? err->message : "no error");
  fail_unless (strstr (err->message, g_strerror (ENOSPC)) != NULL, "%s",
      err->message);
}

GST_START_TEST (test_tmpfs_full)
{
  gchar *dir = make_temp_dir ();
  RgJournalConfig config;
  RgJournalWriter *w;
  GError *err = NULL;
  guint64 i, durable;
  GArray *recs;

  if (mount ("rg-journal-test", dir, "tmpfs", 0, "size=512k") != 0) {
    GST_WARNING ("cannot mount a tmpfs (%s): skipped", g_strerror (errno));
    remove_dir (dir);
    return;
  }
  rg_journal_config_init (&config);
  w = rg_journal_writer_open (dir, &config, &err);
  fail_unless (w != NULL);
  for (i = 0;; i++) {
    GstBuffer *buf = make_buffer (i, 3000, 5);
    gboolean ok = rg_journal_writer_append (w, buf, BASE_TS + i, NULL, NULL,
        &err);

    gst_buffer_unref (buf);
    if (!ok || (i % 10 == 9 && !rg_journal_writer_wait_durable (w, i, &err)))
      break;
    fail_unless (i < 1000, "512 KiB held 1000 records of 3000 bytes");
  }
  /* A wait learns of the syncer's failure as FATAL; the next append gets
   * the failure itself. */
  if (g_error_matches (err, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_FATAL)) {
    GstBuffer *buf = make_buffer (i + 1, 3000, 5);

    g_clear_error (&err);
    fail_if (rg_journal_writer_append (w, buf, BASE_TS, NULL, NULL, &err));
    gst_buffer_unref (buf);
  }
  assert_no_space (err);
  g_clear_error (&err);
  durable = rg_journal_writer_get_durable_offset (w);
  fail_unless (durable > 50);
  fail_if (rg_journal_writer_close (w, &err));
  g_clear_error (&err);

  /* Restarting on the full disk either works or says the disk is full. */
  w = rg_journal_writer_open (dir, &config, &err);
  if (w == NULL) {
    assert_no_space (err);
    g_clear_error (&err);
  } else if (!rg_journal_writer_close (w, &err)) {
    assert_no_space (err);
    g_clear_error (&err);
  }
  recs = read_journal (dir);
  fail_unless (recs->len >= durable);
  assert_records_intact (recs, 0, durable);
  g_array_unref (recs);

  fail_unless (umount2 (dir, MNT_DETACH) == 0);
  remove_dir (dir);
}

GST_END_TEST;

/* ---- Fault injection: every crash point of a small workload ---- */

/* The simulated disk, through the journal's system-call seams. Every write
 * reaches the page cache (the real file); what a finished fdatasync covered
 * is remembered per file as its durable content. A crash happens at one
 * write, which is torn after any byte: that write and everything after it
 * fail, as for a writer that died there. Then either the process died
 * (the files keep every byte written, the torn write's prefix included) or
 * the power went (every file goes back to its durable content, which is
 * how LazyFS models it: writes not covered by a finished fdatasync are
 * lost). pthread, not GMutex: the syncer thread calls in too, and
 * ThreadSanitizer must see the lock. */
typedef enum
{
  CRASH_PROCESS,
  CRASH_POWER,
} CrashKind;

static pthread_mutex_t fi_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *fi_durable;  /* path -> GBytes durable content */
static guint fi_writes;         /* pwritev calls so far */
static guint fi_crash_at;       /* the call that tears; 0: never */
static guint fi_tear_seed;      /* picks the byte it tears after */
static gboolean fi_crashed;

static gchar *
fd_path (int fd)
{
  gchar link[64], target[PATH_MAX];
  ssize_t n;

  g_snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  n = readlink (link, target, sizeof (target) - 1);
  fail_unless (n > 0);
  target[n] = '\0';
  return g_strdup (target);
}

/* Writes the first @keep bytes of @iov at @offset. */
static void
write_prefix (int fd, const struct iovec *iov, int iovcnt, off_t offset,
    gsize keep)
{
  int i;

  for (i = 0; i < iovcnt && keep > 0; i++) {
    gsize n = MIN (keep, iov[i].iov_len);

    fail_unless (pwrite (fd, iov[i].iov_base, n, offset) == (ssize_t) n);
    offset += n;
    keep -= n;
  }
}

static ssize_t
fi_pwritev (int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
  gsize total = 0;
  int i;

  pthread_mutex_lock (&fi_lock);
  if (fi_crashed) {
    pthread_mutex_unlock (&fi_lock);
    errno = EIO;
    return -1;
  }
  if (++fi_writes == fi_crash_at) {
    for (i = 0; i < iovcnt; i++)
      total += iov[i].iov_len;
    write_prefix (fd, iov, iovcnt, offset, fi_tear_seed % (total + 1));
    fi_crashed = TRUE;
    pthread_mutex_unlock (&fi_lock);
    errno = EIO;
    return -1;
  }
  pthread_mutex_unlock (&fi_lock);
  return pwritev (fd, iov, iovcnt, offset);
}

/* Everything written before the sync started is durable once it returns;
 * no need to bother the real disk. */
static int
fi_fdatasync (int fd)
{
  gchar *path = fd_path (fd);
  gchar *data = NULL;
  gsize len = 0;

  pthread_mutex_lock (&fi_lock);
  if (fi_crashed) {
    pthread_mutex_unlock (&fi_lock);
    g_free (path);
    errno = EIO;
    return -1;
  }
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  g_hash_table_replace (fi_durable, path, g_bytes_new_take (data, len));
  pthread_mutex_unlock (&fi_lock);
  return 0;
}

/* The power went: every journal file back to what was durable. */
static void
lose_undurable_writes (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);
    GBytes *durable = g_hash_table_lookup (fi_durable, path);
    guint64 base;
    RgJournalFileKind kind;

    if (rg_journal_file_parse_name (name, &base, &kind))
      fail_unless (g_file_set_contents (path, durable ?
              g_bytes_get_data (durable, NULL) : "", durable ?
              g_bytes_get_size (durable) : 0, NULL));
    g_free (path);
  }
  g_dir_close (d);
}

#define FI_RECORDS 40

/* Record @i of the workload: every 7th is large (one pwritev straight
 * from the buffer), the others small (coalesced). */
static gsize
fi_size (guint i)
{
  return i % 7 == 3 ? 6000 : 150;
}

/* Runs the workload under the simulated disk, crashing at write
 * @crash_at (0: never). Returns the pwritev calls made and sets @durable
 * to the durable offset the writer reported. */
static guint
fi_run (const gchar * dir, guint crash_at, guint tear_seed,
    guint64 * durable)
{
  RgJournalSysHooks hooks = { fi_pwritev, fi_fdatasync };
  RgJournalWriter *w;
  GError *err = NULL;
  guint i;

  fi_durable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  fi_writes = 0;
  fi_crash_at = crash_at;
  fi_tear_seed = tear_seed;
  fi_crashed = FALSE;
  rg_journal_set_sys_hooks (&hooks);
  w = open_writer (dir, RG_JOURNAL_SYNC_ALWAYS, 8 * 1024);
  for (i = 0; i < FI_RECORDS; i++) {
    GstBuffer *buf = make_buffer (i, fi_size (i), 5);
    gboolean ok = rg_journal_writer_append (w, buf, BASE_TS + i, NULL, NULL,
        &err);

    gst_buffer_unref (buf);
    g_clear_error (&err);
    if (!ok)
      break;
    /* Some records wait for durability, as a sink's consumers do. */
    if (i % 8 == 7 && !rg_journal_writer_wait_durable (w, i, &err)) {
      g_clear_error (&err);
      break;
    }
  }
  *durable = rg_journal_writer_get_durable_offset (w);
  if (!rg_journal_writer_close (w, &err))
    g_clear_error (&err);
  else if (crash_at == 0)
    *durable = FI_RECORDS;
  rg_journal_set_sys_hooks (NULL);
  return fi_writes;
}

/* After a crash: the journal opens, holds every durable record, and holds
 * nothing but intact records in order. */
static void
fi_check (const gchar * dir, guint64 durable, guint crash_at, CrashKind kind)
{
  RgJournalConfig config;
  RgJournalWriter *w;
  GError *err = NULL;
  GArray *recs;
  guint64 next, i;

  rg_journal_config_init (&config);
  w = rg_journal_writer_open (dir, &config, &err);
  fail_unless (w != NULL, "crash at write %u (%s): open failed: %s",
      crash_at, kind == CRASH_POWER ? "power" : "process", err ?
      err->message : "");
  next = rg_journal_writer_get_next_offset (w);
  close_writer (w);
  fail_unless (next >= durable, "crash at write %u (%s): %" G_GUINT64_FORMAT
      " records durable, %" G_GUINT64_FORMAT " survived", crash_at,
      kind == CRASH_POWER ? "power" : "process", durable, next);
  recs = read_journal (dir);
  fail_unless_equals_uint64 (recs->len, next);
  for (i = 0; i < next; i++) {
    ReadRecord *r = &g_array_index (recs, ReadRecord, i);

    fail_unless_equals_uint64 (r->offset, i);
    fail_unless_equals_uint64 (r->value_len, fi_size (i));
    fail_unless (r->value_ok);
  }
  g_array_unref (recs);
  fail_unless_equals_int (verify_problems (dir, NULL), 0);
}

GST_START_TEST (test_crash_points)
{
  gchar *dir = make_temp_dir ();
  guint64 durable;
  guint n_writes, crash_at, runs = 0;
  CrashKind kind;

  /* A dry run counts the writes; the syncer's timing moves the count a
   * little between runs, so the sweep goes a few past it. */
  n_writes = fi_run (dir, 0, 0, &durable);
  fail_unless_equals_uint64 (durable, FI_RECORDS);
  fi_check (dir, durable, 0, CRASH_PROCESS);
  g_hash_table_unref (fi_durable);
  remove_dir (dir);
  fail_unless (n_writes > 10, "%u writes", n_writes);

  for (kind = CRASH_PROCESS; kind <= CRASH_POWER; kind++) {
    for (crash_at = 1; crash_at <= n_writes + 3; crash_at++) {
      dir = make_temp_dir ();
      fi_run (dir, crash_at, crash_at * 7919u, &durable);
      if (kind == CRASH_POWER)
        lose_undurable_writes (dir);
      g_hash_table_unref (fi_durable);
      fi_check (dir, durable, crash_at, kind);
      remove_dir (dir);
      runs++;
    }
  }
  GST_INFO ("%u crash points, %u writes per run", runs, n_writes);
}

GST_END_TEST;

static Suite *
journal_suite (void)
{
  Suite *s = suite_create ("journal");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_zero_copy_large_values);
  tcase_add_test (tc, test_small_records_coalesced);
  tcase_add_test (tc, test_torn_tail_truncated);
  tcase_add_test (tc, test_recover_explicitly);
  tcase_add_test (tc, test_corrupt_byte_found_by_verify);
  tcase_add_test (tc, test_damage_before_the_tail);
  tcase_add_test (tc, test_indexes_rebuilt);
  tcase_add_test (tc, test_empty_last_segment_dropped);
  tcase_add_test (tc, test_second_writer_locked);
  tcase_add_test (tc, test_sigkill_under_sync_always);
  tcase_add_test (tc, test_disk_full);
  tcase_add_test (tc, test_rotation_at_keyframes);
  tcase_add_test (tc, test_rotation_without_keyframes_and_by_time);
  tcase_add_test (tc, test_retention_by_size);
  tcase_add_test (tc, test_log_start_deletes_whole_segments);
  tcase_add_test (tc, test_retention_by_age);
  tcase_add_test (tc, test_sync_policies);
  tcase_add_test (tc, test_roll_during_asked_sync);
  tcase_add_test (tc, test_group_commit);
  tcase_add_test (tc, test_commit_stats);
  tcase_add_test (tc, test_failed_fdatasync_is_fatal);
  tcase_add_test (tc, test_tail_tracks_written_bytes);
  tcase_add_test (tc, test_tail_notifies_background_flush);
  tcase_add_test (tc, test_huge_batch_length_in_active_segment);
  tcase_add_test (tc, test_huge_batch_length_in_closed_segment);
  tcase_add_test (tc, test_closed_segment_indexes_validated);
  tcase_add_test (tc, test_short_write_reports_its_errno);
  tcase_add_test (tc, test_tmpfs_full);
  tcase_add_test (tc, test_crash_points);
  return s;
}

GST_CHECK_MAIN (journal);
