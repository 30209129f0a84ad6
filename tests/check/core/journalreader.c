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

/* Tests of the journal reader (gst/journal/rgjournalreader.c) and GstRgMeta
 * (gst/record/rgmeta.c). The journals are written here with the batch encoder and
 * the index helpers directly, not with RgJournalWriter, so that the reader
 * is checked against the on-disk format of rgjournal.h alone and each test
 * controls exactly what lies on disk (torn tails, gaps, stale indexes). */

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "record/rgbatch.h"
#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "journal/rgjournalfiles.h"
#include "record/rgmeta.h"

#define CAPS_A "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au"
#define CAPS_B "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au, width=(int)640"

/* ------------------------------------------------------------------ */
/* A minimal journal writer for the tests                               */

typedef struct
{
  gchar *dir;
  guint64 base;
  guint64 next_offset;
  guint64 pos;
  FILE *log, *index, *timeindex, *keyindex;
  gint64 max_ts;
  gchar *caps;                  /* caps string of the stream, or NULL */
  gboolean caps_due;            /* the next record carries them */
} TestJournal;

static void
tj_close_segment (TestJournal * tj)
{
  if (!tj->log)
    return;
  fclose (tj->log);
  fclose (tj->index);
  fclose (tj->timeindex);
  fclose (tj->keyindex);
  tj->log = NULL;
}

static FILE *
tj_open_file (TestJournal * tj, RgJournalFileKind kind)
{
  gchar *path = rg_journal_file_path (tj->dir, tj->base, kind);
  FILE *f = fopen (path, "ab");

  fail_unless (f != NULL, "fopen %s: %s", path, g_strerror (errno));
  setvbuf (f, NULL, _IONBF, 0);
  g_free (path);
  return f;
}

/* Starts a new segment at the next offset. */
static void
tj_roll (TestJournal * tj)
{
  tj_close_segment (tj);
  tj->base = tj->next_offset;
  tj->pos = 0;
  tj->max_ts = G_MININT64;
  tj->log = tj_open_file (tj, RG_JOURNAL_FILE_LOG);
  tj->index = tj_open_file (tj, RG_JOURNAL_FILE_INDEX);
  tj->timeindex = tj_open_file (tj, RG_JOURNAL_FILE_TIMEINDEX);
  tj->keyindex = tj_open_file (tj, RG_JOURNAL_FILE_KEYINDEX);
  tj->caps_due = TRUE;
}

static TestJournal *
tj_new (guint64 first_offset)
{
  TestJournal *tj = g_new0 (TestJournal, 1);

  tj->dir = g_dir_make_tmp ("rg-journalreader-XXXXXX", NULL);
  fail_unless (tj->dir != NULL);
  tj->next_offset = first_offset;
  tj_roll (tj);
  return tj;
}

static void
tj_set_caps (TestJournal * tj, const gchar * caps)
{
  g_free (tj->caps);
  tj->caps = g_strdup (caps);
  tj->caps_due = TRUE;
}

static void
rm_rf (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (!d)
    return;
  while ((name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
tj_free (TestJournal * tj)
{
  tj_close_segment (tj);
  rm_rf (tj->dir);
  g_free (tj->dir);
  g_free (tj->caps);
  g_free (tj);
}

/* Encodes one record (value @data, PTS @pts...) as one batch, as the
 * journal does, and returns the batch bytes. */
static GByteArray *
tj_encode (TestJournal * tj, const guint8 * data, gsize len, GstClockTime pts,
    gboolean delta, gint64 ts, const gchar * key, const gchar * user_header)
{
  GstBuffer *buf = gst_buffer_new ();
  RgEnvelope env;
  RgRecordHeader headers[RG_ENVELOPE_MAX_HEADERS + 1];
  RgRecord rec = { 0 };
  GByteArray *batch;
  guint n;

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = pts == GST_CLOCK_TIME_NONE ? pts : pts - 1;
  GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
  if (delta)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  rg_envelope_init (&env, buf, tj->caps_due ? tj->caps : NULL);
  tj->caps_due = FALSE;
  memcpy (headers, env.headers, env.n_headers * sizeof (RgRecordHeader));
  n = env.n_headers;
  if (user_header) {
    headers[n].key = "camera";
    headers[n].key_len = 6;
    headers[n].value = (const guint8 *) user_header;
    headers[n].value_len = strlen (user_header);
    n++;
  }
  rec.timestamp = ts;
  rec.key = (const guint8 *) key;
  rec.key_len = key ? strlen (key) : 0;
  rec.value = data;
  rec.value_len = len;
  rec.headers = headers;
  rec.n_headers = n;
  batch = rg_batch_encode (tj->next_offset, &rec, 1, NULL);
  fail_unless (batch != NULL);
  gst_buffer_unref (buf);
  return batch;
}

static void
put_entry (FILE * f, guint32 rel, guint32 pos)
{
  guint8 e[RG_JOURNAL_INDEX_ENTRY_SIZE];
  RgIndexEntry entry = { rel, pos };

  rg_index_entry_write (e, &entry);
  fail_unless (fwrite (e, sizeof (e), 1, f) == 1);
}

static void
tj_write_indexes (TestJournal * tj, guint64 pos, gboolean delta, gint64 ts)
{
  guint32 rel = (guint32) (tj->next_offset - tj->base);

  put_entry (tj->index, rel, (guint32) pos);
  if (!delta)
    put_entry (tj->keyindex, rel, (guint32) pos);
  if (ts > tj->max_ts) {
    guint8 e[RG_JOURNAL_TIMEINDEX_ENTRY_SIZE];
    RgTimeIndexEntry entry = { ts, rel };

    tj->max_ts = ts;
    rg_time_index_entry_write (e, &entry);
    fail_unless (fwrite (e, sizeof (e), 1, tj->timeindex) == 1);
  }
}

/* Appends a record; returns its offset. */
static guint64
tj_append_full (TestJournal * tj, const guint8 * data, gsize len,
    GstClockTime pts, gboolean delta, gint64 ts, const gchar * key,
    const gchar * user_header)
{
  GByteArray *batch = tj_encode (tj, data, len, pts, delta, ts, key,
      user_header);
  guint64 offset = tj->next_offset;

  fail_unless (fwrite (batch->data, batch->len, 1, tj->log) == 1);
  tj_write_indexes (tj, tj->pos, delta, ts);
  tj->pos += batch->len;
  tj->next_offset++;
  g_byte_array_unref (batch);
  return offset;
}

/* The value of record @offset in these tests: its size and bytes follow
 * from the offset, so a reader's output can be checked without a copy of
 * what was written. */
static gsize
value_size (guint64 offset)
{
  return 100 + (offset * 37) % 3000;
}

static guint8 *
value_bytes (guint64 offset)
{
  gsize i, n = value_size (offset);
  guint8 *v = g_malloc (n);

  for (i = 0; i < n; i++)
    v[i] = (guint8) (offset * 131 + i);
  return v;
}

#define TS0 G_GINT64_CONSTANT (1700000000000)
#define GOP 10

/* Appends the standard test record for the next offset: a keyframe every
 * GOP records, PTS 40 ms apart, timestamps 40 ms apart. */
static guint64
tj_append (TestJournal * tj)
{
  guint64 o = tj->next_offset;
  guint8 *v = value_bytes (o);
  gchar *key = g_strdup_printf ("cam-%" G_GUINT64_FORMAT, o % 3);
  guint64 got;

  got = tj_append_full (tj, v, value_size (o), (o + 1) * 40 * GST_MSECOND,
      o % GOP != 0, TS0 + (gint64) o * 40, key, "front");
  g_free (key);
  g_free (v);
  return got;
}

/* ------------------------------------------------------------------ */
/* Checks                                                               */

static void
check_record (const RgJournalRecord * rec, guint64 offset)
{
  GstMapInfo map;
  guint8 *expect = value_bytes (offset);
  GstRgMeta *meta;
  GBytes *key, *hdr;
  gchar *key_str;

  fail_unless_equals_uint64 (rec->offset, offset);
  fail_unless_equals_int64 (rec->timestamp, TS0 + (gint64) offset * 40);
  fail_unless (gst_buffer_map (rec->buffer, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, value_size (offset));
  fail_unless (memcmp (map.data, expect, map.size) == 0);
  gst_buffer_unmap (rec->buffer, &map);
  g_free (expect);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (rec->buffer),
      (offset + 1) * 40 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (rec->buffer),
      (offset + 1) * 40 * GST_MSECOND - 1);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (rec->buffer),
      40 * GST_MSECOND);
  fail_unless_equals_int (rec->keyframe, offset % GOP == 0);
  fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (rec->buffer,
          GST_BUFFER_FLAG_DELTA_UNIT), offset % GOP != 0);

  meta = gst_buffer_get_rg_meta (rec->buffer);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (gst_rg_meta_get_offset (meta), offset);
  fail_unless_equals_int64 (gst_rg_meta_get_timestamp (meta),
      TS0 + (gint64) offset * 40);
  key = gst_rg_meta_get_key (meta);
  key_str = g_strdup_printf ("cam-%" G_GUINT64_FORMAT, offset % 3);
  fail_unless (key != NULL);
  fail_unless_equals_int (g_bytes_get_size (key), strlen (key_str));
  fail_unless (memcmp (g_bytes_get_data (key, NULL), key_str,
          strlen (key_str)) == 0);
  g_bytes_unref (key);
  g_free (key_str);
  /* Only the user header shows; the gst.* envelope does not. */
  fail_unless_equals_int (gst_rg_meta_get_n_headers (meta), 1);
  hdr = gst_rg_meta_get_header (meta, "camera");
  fail_unless (hdr != NULL);
  fail_unless_equals_int (g_bytes_get_size (hdr), 5);
  fail_unless (memcmp (g_bytes_get_data (hdr, NULL), "front", 5) == 0);
  g_bytes_unref (hdr);
  fail_unless (gst_rg_meta_get_header (meta, "gst.pts") == NULL);
}

static gboolean
caps_equal_str (GstCaps * caps, const gchar * str)
{
  GstCaps *other = gst_caps_from_string (str);
  gboolean equal = gst_caps_is_equal (caps, other);

  gst_caps_unref (other);
  return equal;
}

static RgJournalReader *
open_reader (TestJournal * tj)
{
  GError *err = NULL;
  RgJournalReader *r = rg_journal_reader_open (tj->dir, &err);

  fail_unless (r != NULL, "%s", err ? err->message : "");
  return r;
}

/* Reads the next record, which must exist. */
static void
next_ok (RgJournalReader * r, RgJournalRecord * rec)
{
  GError *err = NULL;
  RgJournalReadResult res = rg_journal_reader_next (r, rec, FALSE, 0, &err);

  fail_unless_equals_int (res, RG_JOURNAL_READ_OK);
  fail_unless (err == NULL);
}

static void
next_end (RgJournalReader * r)
{
  RgJournalRecord rec;
  GError *err = NULL;

  fail_unless_equals_int (rg_journal_reader_next (r, &rec, FALSE, 0, &err),
      RG_JOURNAL_READ_END);
  fail_unless (err == NULL);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

GST_START_TEST (test_read_all_segments)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i, start, end;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 95; i++) {
    if (i == 30 || i == 60)
      tj_roll (tj);
    if (i == 45)
      tj_set_caps (tj, CAPS_B);
    tj_append (tj);
  }
  r = open_reader (tj);
  fail_unless (rg_journal_reader_get_range (r, &start, &end, NULL));
  fail_unless_equals_uint64 (start, 0);
  fail_unless_equals_uint64 (end, 95);
  for (i = 0; i < 95; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    fail_if (rec.discont);
    /* Caps come with the first record of each segment and at the change. */
    if (i == 0 || i == 30 || i == 60 || i == 45) {
      gchar *s;

      fail_unless (rec.caps != NULL, "no caps at %" G_GUINT64_FORMAT, i);
      s = gst_caps_to_string (rec.caps);
      fail_unless (caps_equal_str (rec.caps, i < 45 ? CAPS_A : CAPS_B), "%s",
          s);
      g_free (s);
    } else {
      fail_unless (rec.caps == NULL, "caps at %" G_GUINT64_FORMAT, i);
    }
    rg_journal_record_clear (&rec);
  }
  next_end (r);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

/* The mapping of @path in /proc/self/maps that contains @p: its start
 * address and the file offset mapped there. */
static gboolean
file_mapping_of (gconstpointer p, const gchar * path, guintptr * start,
    guint64 * file_offset)
{
  gchar *maps = NULL, **lines;
  gboolean found = FALSE;
  guint i;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (i = 0; lines[i] && !found; i++) {
    guintptr lo, hi;
    guint64 off;

    if (!strstr (lines[i], path))
      continue;
    if (sscanf (lines[i], "%" G_GINTPTR_MODIFIER "x-%" G_GINTPTR_MODIFIER
            "x %*s %" G_GINT64_MODIFIER "x", &lo, &hi, &off) != 3)
      continue;
    found = (guintptr) p >= lo && (guintptr) p < hi;
    *start = lo;
    *file_offset = off;
  }
  g_strfreev (lines);
  g_free (maps);
  return found;
}

/* Whether @p lies in a mapping of @path. */
static gboolean
pointer_in_file_mapping (gconstpointer p, const gchar * path)
{
  guintptr start;
  guint64 file_offset;

  return file_mapping_of (p, path, &start, &file_offset);
}

static gboolean
file_is_mapped (const gchar * path)
{
  gchar *maps = NULL;
  gboolean found;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  found = strstr (maps, path) != NULL;
  g_free (maps);
  return found;
}

GST_START_TEST (test_zero_copy)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec, rec2;
  GstMapInfo map;
  gchar *path, *file;
  gsize file_len;
  GstMemory *mem, *mem2;
  guint i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 5; i++)
    tj_append (tj);
  path = rg_journal_file_path (tj->dir, 0, RG_JOURNAL_FILE_LOG);
  fail_unless (g_file_get_contents (path, &file, &file_len, NULL));
  r = open_reader (tj);
  next_ok (r, &rec);
  next_ok (r, &rec2);

  /* The value is one memory, shared from the segment's mapping: its bytes
   * are the file's bytes where the record's value lies. */
  fail_unless_equals_int (gst_buffer_n_memory (rec.buffer), 1);
  mem = gst_buffer_peek_memory (rec.buffer, 0);
  mem2 = gst_buffer_peek_memory (rec2.buffer, 0);
  fail_unless (mem->parent != NULL);
  fail_unless (mem->parent == mem2->parent);
  fail_unless (gst_buffer_map (rec.buffer, &map, GST_MAP_READ));
  fail_unless (pointer_in_file_mapping (map.data, path));
  fail_unless (pointer_in_file_mapping (map.data + map.size - 1, path));
  /* Offset of the value in the file = its distance from the mapping's
   * start, which the parent memory's mapping gives. */
  {
    GstMapInfo pmap;

    fail_unless (gst_memory_map (mem->parent, &pmap, GST_MAP_READ));
    fail_unless ((guint8 *) map.data > pmap.data);
    fail_unless ((gsize) ((guint8 *) map.data - pmap.data) + map.size <=
        file_len);
    fail_unless (memcmp (file + ((guint8 *) map.data - pmap.data), map.data,
            map.size) == 0);
    gst_memory_unmap (mem->parent, &pmap);
  }
  gst_buffer_unmap (rec.buffer, &map);

  /* The mapping outlives the reader and the file. */
  rg_journal_reader_free (r);
  g_unlink (path);
  fail_unless (gst_buffer_map (rec2.buffer, &map, GST_MAP_READ));
  fail_unless (pointer_in_file_mapping (map.data, path));
  check_record (&rec2, 1);
  gst_buffer_unmap (rec2.buffer, &map);
  rg_journal_record_clear (&rec);
  rg_journal_record_clear (&rec2);
  /* Unmapped once the last buffer is gone. */
  fail_if (file_is_mapped (path));
  g_free (file);
  g_free (path);
  tj_free (tj);
}

GST_END_TEST;

/* A segment is mapped from its first byte at a 2 MiB boundary, so that the
 * kernel can map 2 MiB folios of the page cache with one page-middle-
 * directory entry each (what makes replay fast on machines where mapping
 * a 4 KiB page is costly); the value bytes are still the file's. */
GST_START_TEST (test_mapping_aligned)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  GstMapInfo map;
  gchar *path;
  guintptr start = 1;
  guint64 file_offset = 1;
  guint i;

  for (i = 0; i < 3; i++)
    tj_append (tj);
  path = rg_journal_file_path (tj->dir, 0, RG_JOURNAL_FILE_LOG);
  r = open_reader (tj);
  for (i = 0; i < 3; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    fail_unless (gst_buffer_map (rec.buffer, &map, GST_MAP_READ));
    fail_unless (file_mapping_of (map.data, path, &start, &file_offset));
    fail_unless_equals_uint64 (file_offset, 0);
    fail_unless_equals_uint64 (start % (2 * 1024 * 1024), 0);
    gst_buffer_unmap (rec.buffer, &map);
    rg_journal_record_clear (&rec);
  }
  next_end (r);
  rg_journal_reader_free (r);
  fail_if (file_is_mapped (path));
  g_free (path);
  tj_free (tj);
}

GST_END_TEST;

GST_START_TEST (test_seek_offset)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 100; i++) {
    if (i == 40 || i == 80)
      tj_roll (tj);
    if (i == 55)
      tj_set_caps (tj, CAPS_B);
    tj_append (tj);
  }
  r = open_reader (tj);

  /* Exact offsets, in every segment, forwards and backwards. */
  for (i = 0; i < 100; i += 7) {
    guint64 o = 99 - i;

    fail_unless (rg_journal_reader_seek_offset (r, o, FALSE, NULL));
    next_ok (r, &rec);
    check_record (&rec, o);
    /* Mid-segment, the reader still tells the caps in effect. */
    fail_unless (rec.caps != NULL);
    fail_unless (caps_equal_str (rec.caps, o >= 55 ? CAPS_B : CAPS_A));
    rg_journal_record_clear (&rec);
    if (o == 99) {
      next_end (r);
      continue;
    }
    next_ok (r, &rec);
    check_record (&rec, o + 1);
    fail_unless (rec.caps == NULL || o + 1 == 80 || o + 1 == 55);
    rg_journal_record_clear (&rec);
  }

  /* Snapped to the keyframe at or before. */
  fail_unless (rg_journal_reader_seek_offset (r, 57, TRUE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 50);
  fail_unless (rec.keyframe);
  rg_journal_record_clear (&rec);
  fail_unless (rg_journal_reader_seek_offset (r, 70, TRUE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 70);
  rg_journal_record_clear (&rec);

  /* Past the end: positioned at the end. */
  fail_unless (rg_journal_reader_seek_offset (r, 500, FALSE, NULL));
  next_end (r);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

/* Segments that do not start at a keyframe: snapping looks back into the
 * previous segment. */
GST_START_TEST (test_seek_keyframe_previous_segment)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 30; i++) {
    if (i == 13)
      tj_roll (tj);
    tj_append (tj);
  }
  r = open_reader (tj);
  fail_unless (rg_journal_reader_seek_offset (r, 15, TRUE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 10);
  rg_journal_record_clear (&rec);
  /* ... and reads on across the segment boundary without a gap. */
  for (i = 11; i < 30; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    fail_if (rec.discont);
    rg_journal_record_clear (&rec);
  }
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

GST_START_TEST (test_seek_timestamp)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 100; i++) {
    if (i == 33 || i == 66)
      tj_roll (tj);
    tj_append (tj);
  }
  r = open_reader (tj);
  /* Exactly a record's timestamp, and between two. */
  fail_unless (rg_journal_reader_seek_timestamp (r, TS0 + 47 * 40, FALSE,
          NULL));
  next_ok (r, &rec);
  check_record (&rec, 47);
  rg_journal_record_clear (&rec);
  fail_unless (rg_journal_reader_seek_timestamp (r, TS0 + 47 * 40 + 1, FALSE,
          NULL));
  next_ok (r, &rec);
  check_record (&rec, 48);
  rg_journal_record_clear (&rec);
  fail_unless (rg_journal_reader_seek_timestamp (r, TS0 + 67 * 40, TRUE,
          NULL));
  next_ok (r, &rec);
  check_record (&rec, 60);
  rg_journal_record_clear (&rec);
  /* Before the journal and after it. */
  fail_unless (rg_journal_reader_seek_timestamp (r, TS0 - 5000, FALSE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 0);
  rg_journal_record_clear (&rec);
  fail_unless (rg_journal_reader_seek_timestamp (r, TS0 + 10000, FALSE,
          NULL));
  next_end (r);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

/* Flips one byte inside a record value in the middle of segment 0. */
static gsize
corrupt_record (TestJournal * tj, guint64 offset)
{
  gchar *path = rg_journal_file_path (tj->dir, 0, RG_JOURNAL_FILE_LOG);
  gchar *data;
  gsize len, pos = 0;
  guint64 o;
  int fd;
  guint8 b;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  for (o = 0; o < offset; o++)
    pos += rg_batch_validate ((guint8 *) data + pos, len - pos, NULL, NULL);
  fd = open (path, O_RDWR);
  fail_unless (fd >= 0);
  b = data[pos + 100] ^ 0x40;
  fail_unless (pwrite (fd, &b, 1, pos + 100) == 1);
  close (fd);
  g_free (data);
  g_free (path);
  return pos;
}

GST_START_TEST (test_corrupt_batch)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  GError *err = NULL;
  gchar *pos_str;
  gsize pos;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 20; i++)
    tj_append (tj);
  tj_close_segment (tj);
  pos = corrupt_record (tj, 7);

  /* By default: every record before it, then an error that names the
   * segment, the byte position and the offset. */
  r = open_reader (tj);
  for (i = 0; i < 7; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    rg_journal_record_clear (&rec);
  }
  fail_unless_equals_int (rg_journal_reader_next (r, &rec, FALSE, 0, &err),
      RG_JOURNAL_READ_ERROR);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_CORRUPT));
  pos_str = g_strdup_printf ("byte %" G_GSIZE_FORMAT, pos);
  fail_unless (strstr (err->message, pos_str) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "offset 7") != NULL, "%s", err->message);
  fail_unless (strstr (err->message, "00000000000000000000.log") != NULL);
  g_free (pos_str);
  g_clear_error (&err);
  rg_journal_reader_free (r);

  /* With skip-corrupt: the same records, then 8.. with DISCONT on 8. */
  r = open_reader (tj);
  rg_journal_reader_set_skip_corrupt (r, TRUE);
  for (i = 0; i < 20; i++) {
    if (i == 7)
      continue;
    next_ok (r, &rec);
    check_record (&rec, i);
    fail_unless_equals_int (rec.discont, i == 8);
    fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (rec.buffer,
            GST_BUFFER_FLAG_DISCONT), i == 8);
    rg_journal_record_clear (&rec);
  }
  next_end (r);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

/* Overwrites the batchLength of record @offset's batch (segment @base,
 * whose first offset is @base) with a huge value. Returns its position. */
static gsize
poke_huge_length (TestJournal * tj, guint64 base, guint64 offset)
{
  gchar *path = rg_journal_file_path (tj->dir, base, RG_JOURNAL_FILE_LOG);
  gchar *data;
  gsize len, pos = 0;
  guint64 o;
  guint8 be[4];
  int fd;

  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  for (o = base; o < offset; o++)
    pos += rg_batch_validate ((guint8 *) data + pos, len - pos, NULL, NULL);
  GST_WRITE_UINT32_BE (be, 0x7ffffff0);
  fd = open (path, O_RDWR);
  fail_unless (fd >= 0);
  fail_unless (pwrite (fd, be, 4, pos + 8) == 4);
  close (fd);
  g_free (data);
  g_free (path);
  return pos;
}

/* Reads to the end with skip-corrupt and checks that exactly @skipped is
 * missing, with DISCONT on the record after it. */
static void
read_all_but (TestJournal * tj, guint64 n, guint64 skipped)
{
  RgJournalReader *r = open_reader (tj);
  RgJournalRecord rec;
  guint64 i, ranges, records, bytes;

  rg_journal_reader_set_skip_corrupt (r, TRUE);
  for (i = 0; i < n; i++) {
    if (i == skipped)
      continue;
    next_ok (r, &rec);
    check_record (&rec, i);
    fail_unless_equals_int (rec.discont, i == skipped + 1);
    rg_journal_record_clear (&rec);
  }
  next_end (r);
  rg_journal_reader_get_skipped (r, &ranges, &records, &bytes);
  fail_unless_equals_uint64 (ranges, 1);
  fail_unless_equals_uint64 (records, 1);
  fail_unless (bytes > RG_BATCH_HEADER_SIZE + value_size (skipped) / 2);
  rg_journal_reader_free (r);
}

/* Finding 1: a huge batchLength in the active segment ended the read with
 * no error, dropping every intact record after it. */
GST_START_TEST (test_huge_batch_length_active)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  GError *err = NULL;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 100; i++)
    tj_append (tj);
  poke_huge_length (tj, 0, 43);

  r = open_reader (tj);
  for (i = 0; i < 43; i++) {
    next_ok (r, &rec);
    rg_journal_record_clear (&rec);
  }
  fail_unless_equals_int (rg_journal_reader_next (r, &rec, FALSE, 0, &err),
      RG_JOURNAL_READ_ERROR);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR,
          RG_JOURNAL_ERROR_CORRUPT), "%s", err ? err->message : "no error");
  fail_unless (strstr (err->message, "offset 43") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "intact records follow from offset 44")
      != NULL, "%s", err->message);
  g_clear_error (&err);
  rg_journal_reader_free (r);

  read_all_but (tj, 100, 43);
  tj_free (tj);
}

GST_END_TEST;

/* In a closed segment, skip-corrupt jumped to the next segment and lost
 * every record after the damaged one in that segment. */
GST_START_TEST (test_huge_batch_length_closed)
{
  TestJournal *tj = tj_new (0);
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 60; i++)
    tj_append (tj);
  tj_roll (tj);
  for (; i < 100; i++)
    tj_append (tj);
  poke_huge_length (tj, 0, 20);

  read_all_but (tj, 100, 20);
  tj_free (tj);
}

GST_END_TEST;

/* The last batch of the active segment damaged inside (its header
 * intact): skip-corrupt passes over exactly it, and a reader that goes on
 * reading sees what is appended after it. */
GST_START_TEST (test_damaged_last_batch_skipped)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i, ranges, records;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 20; i++)
    tj_append (tj);
  corrupt_record (tj, 19);

  r = open_reader (tj);
  rg_journal_reader_set_skip_corrupt (r, TRUE);
  for (i = 0; i < 19; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    rg_journal_record_clear (&rec);
  }
  next_end (r);
  rg_journal_reader_get_skipped (r, &ranges, &records, NULL);
  fail_unless_equals_uint64 (ranges, 1);
  fail_unless_equals_uint64 (records, 1);
  tj_append (tj);
  next_ok (r, &rec);
  check_record (&rec, 20);
  fail_unless (rec.discont);
  rg_journal_record_clear (&rec);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

/* Writes @batch's first @n bytes to the end of the active segment. */
static void
tj_write_part (TestJournal * tj, const GByteArray * batch, gsize from,
    gsize to)
{
  fail_unless (fwrite (batch->data + from, to - from, 1, tj->log) == 1);
}

GST_START_TEST (test_half_written_batch)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  GByteArray *batch;
  GError *err = NULL;
  guint8 *v;
  guint64 i, start, end;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 3; i++)
    tj_append (tj);
  v = value_bytes (3);
  batch = tj_encode (tj, v, value_size (3), 4 * 40 * GST_MSECOND, TRUE,
      TS0 + 3 * 40, "cam-0", "front");
  g_free (v);

  /* Half of record 3 is on disk: readers never see it. */
  tj_write_part (tj, batch, 0, batch->len / 2);
  r = open_reader (tj);
  fail_unless (rg_journal_reader_get_range (r, &start, &end, NULL));
  fail_unless_equals_uint64 (end, 3);
  for (i = 0; i < 3; i++) {
    next_ok (r, &rec);
    rg_journal_record_clear (&rec);
  }
  next_end (r);
  fail_unless_equals_int (rg_journal_reader_next (r, &rec, TRUE,
          g_get_monotonic_time () + 50 * 1000, &err), RG_JOURNAL_READ_TIMEOUT);
  fail_unless (err == NULL);

  /* The rest arrives: a follower gets the whole record. */
  tj_write_part (tj, batch, batch->len / 2, batch->len);
  fail_unless_equals_int (rg_journal_reader_next (r, &rec, TRUE,
          g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &err),
      RG_JOURNAL_READ_OK);
  fail_unless_equals_uint64 (rec.offset, 3);
  fail_unless_equals_uint64 (gst_buffer_get_size (rec.buffer),
      value_size (3));
  rg_journal_record_clear (&rec);
  g_byte_array_unref (batch);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

typedef struct
{
  TestJournal *tj;
  guint n;
  guint roll_every;
} AppendJob;

static gpointer
append_thread (gpointer data)
{
  AppendJob *job = data;
  guint i;

  for (i = 0; i < job->n; i++) {
    if (i > 0 && i % job->roll_every == 0)
      tj_roll (job->tj);
    tj_append (job->tj);
    if (i % 7 == 0)
      g_usleep (1000);
  }
  return NULL;
}

/* A follower tails a writer that appends and rolls segments meanwhile. */
GST_START_TEST (test_follow)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  AppendJob job = { tj, 300, 64 };
  GThread *t;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  r = open_reader (tj);
  t = g_thread_new ("appender", append_thread, &job);
  for (i = 0; i < job.n; i++) {
    RgJournalReadResult res;

    do {
      res = rg_journal_reader_next (r, &rec, TRUE,
          g_get_monotonic_time () + 100 * 1000, NULL);
    } while (res == RG_JOURNAL_READ_TIMEOUT);
    fail_unless_equals_int (res, RG_JOURNAL_READ_OK);
    check_record (&rec, i);
    fail_if (rec.discont);
    rg_journal_record_clear (&rec);
  }
  g_thread_join (t);
  fail_unless_equals_int (rg_journal_reader_next (r, &rec, TRUE,
          g_get_monotonic_time () + 20 * 1000, NULL), RG_JOURNAL_READ_TIMEOUT);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

static void
delete_segment (TestJournal * tj, guint64 base)
{
  RgJournalFileKind k;

  for (k = RG_JOURNAL_FILE_LOG; k <= RG_JOURNAL_FILE_KEYINDEX; k++) {
    gchar *p = rg_journal_file_path (tj->dir, base, k);
    g_unlink (p);
    g_free (p);
  }
}

/* Retention deletes segments under a slow follower: it finishes the
 * segment it has mapped, then skips to the oldest one left with DISCONT. */
GST_START_TEST (test_retention_under_follower)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 40; i++) {
    if (i > 0 && i % 10 == 0)
      tj_roll (tj);
    tj_append (tj);
  }
  r = open_reader (tj);
  for (i = 0; i < 5; i++) {
    next_ok (r, &rec);
    rg_journal_record_clear (&rec);
  }
  /* Segments 0 (mapped by the reader), 10 and 20 go. */
  delete_segment (tj, 0);
  delete_segment (tj, 10);
  delete_segment (tj, 20);
  for (i = 5; i < 10; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    fail_if (rec.discont);
    rg_journal_record_clear (&rec);
  }
  next_ok (r, &rec);
  check_record (&rec, 30);
  fail_unless (rec.discont);
  fail_unless (GST_BUFFER_FLAG_IS_SET (rec.buffer, GST_BUFFER_FLAG_DISCONT));
  /* The first record after the gap tells the caps again. */
  fail_unless (rec.caps != NULL);
  rg_journal_record_clear (&rec);
  for (i = 31; i < 40; i++) {
    next_ok (r, &rec);
    check_record (&rec, i);
    rg_journal_record_clear (&rec);
  }
  /* A position in deleted offsets lands on the oldest record left. */
  fail_unless (rg_journal_reader_seek_offset (r, 3, FALSE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 30);
  rg_journal_record_clear (&rec);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

/* The same with the real writer: retention by size deletes segments while
 * a follower is behind. */
GST_START_TEST (test_writer_retention_under_follower)
{
  gchar *dir = g_dir_make_tmp ("rg-journalreader-XXXXXX", NULL);
  RgJournalConfig config;
  RgJournalWriter *w;
  RgJournalReader *r;
  RgJournalRecord rec;
  guint64 i, last = 0, discont_at = 0;
  guint n_discont = 0;

  rg_journal_config_init (&config);
  config.max_segment_bytes = 2000;
  config.max_bytes = 6000;
  w = rg_journal_writer_open (dir, &config, NULL);
  fail_unless (w != NULL);
  for (i = 0; i < 10; i++) {
    GstBuffer *b = gst_buffer_new_wrapped (value_bytes (i), value_size (i));

    fail_unless (rg_journal_writer_append (w, b, TS0 + i, NULL, NULL, NULL));
    gst_buffer_unref (b);
  }
  r = rg_journal_reader_open (dir, NULL);
  for (i = 0; i < 2; i++) {
    next_ok (r, &rec);
    fail_unless_equals_uint64 (rec.offset, i);
    rg_journal_record_clear (&rec);
  }
  for (i = 10; i < 200; i++) {
    GstBuffer *b = gst_buffer_new_wrapped (value_bytes (i), value_size (i));

    fail_unless (rg_journal_writer_append (w, b, TS0 + i, NULL, NULL, NULL));
    gst_buffer_unref (b);
  }
  fail_unless (rg_journal_writer_sync (w, NULL));
  /* Reads on to the end: offsets rise, the bytes are right, a gap is
   * marked, nothing crashes. */
  last = 1;
  while (rg_journal_reader_next (r, &rec, TRUE,
          g_get_monotonic_time () + 200 * 1000, NULL) == RG_JOURNAL_READ_OK) {
    GstMapInfo map;
    guint8 *expect = value_bytes (rec.offset);

    fail_unless (rec.offset > last);
    fail_unless_equals_int (rec.discont, rec.offset != last + 1);
    if (rec.discont) {
      n_discont++;
      discont_at = rec.offset;
    }
    fail_unless (gst_buffer_map (rec.buffer, &map, GST_MAP_READ));
    fail_unless_equals_uint64 (map.size, value_size (rec.offset));
    fail_unless (memcmp (map.data, expect, map.size) == 0);
    gst_buffer_unmap (rec.buffer, &map);
    g_free (expect);
    last = rec.offset;
    rg_journal_record_clear (&rec);
  }
  fail_unless_equals_uint64 (last, 199);
  fail_unless_equals_int (n_discont, 1);
  fail_unless (discont_at > 10);
  rg_journal_reader_free (r);
  fail_unless (rg_journal_writer_close (w, NULL));
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* Stale indexes (shorter than the log, or pointing past it) do not mislead
 * seeks: the log is the truth. */
GST_START_TEST (test_stale_indexes)
{
  TestJournal *tj = tj_new (0);
  RgJournalReader *r;
  RgJournalRecord rec;
  gchar *p;
  guint64 i;

  tj_set_caps (tj, CAPS_A);
  for (i = 0; i < 50; i++)
    tj_append (tj);
  tj_close_segment (tj);
  p = rg_journal_file_path (tj->dir, 0, RG_JOURNAL_FILE_INDEX);
  fail_unless (truncate (p, 3 * RG_JOURNAL_INDEX_ENTRY_SIZE) == 0);
  g_free (p);
  p = rg_journal_file_path (tj->dir, 0, RG_JOURNAL_FILE_KEYINDEX);
  {
    /* One bogus entry: offset 45 at a position past the log. */
    FILE *f = fopen (p, "ab");
    put_entry (f, 45, 0x7fff0000);
    fclose (f);
  }
  g_free (p);
  r = open_reader (tj);
  fail_unless (rg_journal_reader_seek_offset (r, 33, FALSE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 33);
  rg_journal_record_clear (&rec);
  fail_unless (rg_journal_reader_seek_offset (r, 47, TRUE, NULL));
  next_ok (r, &rec);
  check_record (&rec, 40);
  rg_journal_record_clear (&rec);
  rg_journal_reader_free (r);
  tj_free (tj);
}

GST_END_TEST;

GST_START_TEST (test_empty_and_missing)
{
  gchar *dir = g_dir_make_tmp ("rg-journalreader-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "nope", NULL);
  RgJournalReader *r;
  RgJournalRecord rec;
  GError *err = NULL;
  guint64 start = 1, end = 2;

  fail_unless (rg_journal_reader_open (missing, &err) == NULL);
  fail_unless (g_error_matches (err, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO));
  fail_unless (strstr (err->message, missing) != NULL);
  g_clear_error (&err);

  r = rg_journal_reader_open (dir, &err);
  fail_unless (r != NULL);
  fail_unless (rg_journal_reader_get_range (r, &start, &end, NULL));
  fail_unless_equals_uint64 (start, end);
  next_end (r);
  fail_unless_equals_int (rg_journal_reader_next (r, &rec, TRUE,
          g_get_monotonic_time () + 10 * 1000, NULL), RG_JOURNAL_READ_TIMEOUT);
  rg_journal_reader_free (r);
  g_free (missing);
  rm_rf (dir);
  g_free (dir);
}

GST_END_TEST;

/* GstRgMeta set up by an application: key and headers round-trip through
 * the accessors and survive a buffer copy. */
GST_START_TEST (test_meta_api)
{
  GstBuffer *buf = gst_buffer_new (), *copy;
  GBytes *key = g_bytes_new_static ("sensor-7", 8);
  GBytes *v1 = g_bytes_new_static ("a", 1), *v2 = g_bytes_new_static ("b", 1);
  GstRgMeta *meta;
  GBytes *got;
  gchar *name;
  RgRecordHeader h;

  meta = gst_buffer_add_rg_meta (buf, 12, 1234, key);
  gst_rg_meta_add_header (meta, "unit", v1);
  gst_rg_meta_add_header (meta, "empty", NULL);
  gst_rg_meta_add_header (meta, "unit", v2);
  copy = gst_buffer_copy (buf);
  gst_buffer_unref (buf);
  meta = gst_buffer_get_rg_meta (copy);
  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (gst_rg_meta_get_offset (meta), 12);
  fail_unless_equals_int64 (gst_rg_meta_get_timestamp (meta), 1234);
  got = gst_rg_meta_get_key (meta);
  fail_unless (g_bytes_equal (got, key));
  g_bytes_unref (got);
  fail_unless_equals_int (gst_rg_meta_get_n_headers (meta), 3);
  name = gst_rg_meta_get_header_name (meta, 1);
  fail_unless_equals_string (name, "empty");
  g_free (name);
  fail_unless (gst_rg_meta_get_header_value (meta, 1) == NULL);
  /* The last of a repeated name wins. */
  got = gst_rg_meta_get_header (meta, "unit");
  fail_unless (g_bytes_equal (got, v2));
  g_bytes_unref (got);
  fail_unless (gst_rg_meta_peek_header (meta, 0, &h));
  fail_unless_equals_int (h.key_len, 4);
  fail_unless (h.value_len == 1 && h.value[0] == 'a');
  fail_if (gst_rg_meta_peek_header (meta, 3, &h));
  gst_rg_meta_set_key (meta, NULL);
  fail_unless (gst_rg_meta_get_key (meta) == NULL);
  gst_buffer_unref (copy);
  g_bytes_unref (key);
  g_bytes_unref (v1);
  g_bytes_unref (v2);
}

GST_END_TEST;

static Suite *
journalreader_suite (void)
{
  Suite *s = suite_create ("rgjournalreader");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_read_all_segments);
  tcase_add_test (tc, test_zero_copy);
  tcase_add_test (tc, test_mapping_aligned);
  tcase_add_test (tc, test_seek_offset);
  tcase_add_test (tc, test_seek_keyframe_previous_segment);
  tcase_add_test (tc, test_seek_timestamp);
  tcase_add_test (tc, test_corrupt_batch);
  tcase_add_test (tc, test_huge_batch_length_active);
  tcase_add_test (tc, test_huge_batch_length_closed);
  tcase_add_test (tc, test_damaged_last_batch_skipped);
  tcase_add_test (tc, test_half_written_batch);
  tcase_add_test (tc, test_follow);
  tcase_add_test (tc, test_retention_under_follower);
  tcase_add_test (tc, test_writer_retention_under_follower);
  tcase_add_test (tc, test_stale_indexes);
  tcase_add_test (tc, test_empty_and_missing);
  tcase_add_test (tc, test_meta_api);
  return s;
}

GST_CHECK_MAIN (journalreader);
