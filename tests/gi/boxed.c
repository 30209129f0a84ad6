/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The entry points language bindings use, from C, so that the sanitizer
 * builds (which build no typelib and run no Python) check them too: the
 * boxed types of RgJournalReader (references) and RgJournalRecord (copy,
 * free), rg_journal_reader_next_record(), and gst_rg_buffer_get_meta() /
 * gst_rg_buffer_add_meta() with GstRgMeta's public fields. The journal is
 * written with RgJournalWriter; gi_meta.py checks the same through the
 * typelib. */

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "record/rgmeta.h"

#define N_RECORDS 3
#define BASE_TIME_MS G_GINT64_CONSTANT (1767225600000)

static gchar *
write_journal (void)
{
  gchar *dir = g_dir_make_tmp ("gst-rg-boxed-XXXXXX", NULL);
  RgJournalConfig config;
  RgJournalWriter *writer;
  GError *error = NULL;
  guint i;

  fail_unless (dir != NULL);
  rg_journal_config_init (&config);
  config.sync = RG_JOURNAL_SYNC_NONE;
  writer = rg_journal_writer_open (dir, &config, &error);
  fail_unless (writer != NULL, "open: %s", error ? error->message : "");
  for (i = 0; i < N_RECORDS; i++) {
    gchar *value = g_strdup_printf ("value %u", i);
    GstBuffer *buffer = gst_buffer_new_wrapped (value, strlen (value));
    GBytes *key = g_bytes_new_static ("cam-1", 5);
    guint64 offset = G_MAXUINT64;

    GST_BUFFER_PTS (buffer) = i * GST_SECOND;
    fail_unless (rg_journal_writer_append (writer, buffer,
            BASE_TIME_MS + i, key, &offset, &error));
    fail_unless_equals_uint64 (offset, i);
    g_bytes_unref (key);
    gst_buffer_unref (buffer);
  }
  fail_unless (rg_journal_writer_close (writer, &error));
  return dir;
}

static void
remove_journal (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (d))) {
    gchar *path = g_build_filename (dir, name, NULL);
    g_unlink (path);
    g_free (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

static void
check_record (const RgJournalRecord * record, guint i)
{
  GstRgMeta *meta = gst_rg_buffer_get_meta (record->buffer);
  GBytes *key;
  gchar *want = g_strdup_printf ("value %u", i);

  fail_unless (meta != NULL);
  fail_unless (meta == gst_buffer_get_rg_meta (record->buffer));
  fail_unless_equals_uint64 (meta->offset, i);
  fail_unless_equals_uint64 (gst_rg_meta_get_offset (meta), i);
  fail_unless_equals_int64 (meta->timestamp, BASE_TIME_MS + i);
  fail_unless_equals_int64 (record->timestamp, BASE_TIME_MS + i);
  fail_unless_equals_uint64 (record->offset, i);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (record->buffer), i * GST_SECOND);
  key = gst_rg_meta_get_key (meta);
  fail_unless (key != NULL);
  fail_unless_equals_int (g_bytes_get_size (key), 5);
  fail_unless (memcmp (g_bytes_get_data (key, NULL), "cam-1", 5) == 0);
  g_bytes_unref (key);
  fail_unless (gst_buffer_memcmp (record->buffer, 0, want,
          strlen (want)) == 0);
  g_free (want);
}

/* Every record through next_record(); the records outlive the reader and
 * their copies outlive the records. */
GST_START_TEST (test_next_record)
{
  gchar *dir = write_journal ();
  GError *error = NULL;
  RgJournalReader *reader = rg_journal_reader_open (dir, &error);
  RgJournalRecord *records[N_RECORDS], *copies[N_RECORDS], *end;
  guint i;

  fail_unless (reader != NULL);
  for (i = 0; i < N_RECORDS; i++) {
    fail_unless_equals_int (rg_journal_reader_next_record (reader, FALSE, -1,
            &records[i], &error), RG_JOURNAL_READ_OK);
    fail_unless (records[i] != NULL);
  }
  end = records[0];
  fail_unless_equals_int (rg_journal_reader_next_record (reader, FALSE, -1,
          &end, &error), RG_JOURNAL_READ_END);
  fail_unless (end == NULL);
  fail_unless (error == NULL);
  fail_unless (records[0]->caps == NULL || GST_IS_CAPS (records[0]->caps));
  rg_journal_reader_unref (reader);

  for (i = 0; i < N_RECORDS; i++) {
    copies[i] = g_boxed_copy (rg_journal_record_get_type (), records[i]);
    fail_unless (copies[i] != records[i]);
    fail_unless (copies[i]->buffer == records[i]->buffer);
    rg_journal_record_free (records[i]);
  }
  for (i = 0; i < N_RECORDS; i++) {
    check_record (copies[i], i);
    g_boxed_free (rg_journal_record_get_type (), copies[i]);
  }
  remove_journal (dir);
}

GST_END_TEST;

/* A reader referenced through its boxed type lives until the last
 * reference is dropped, and reads on meanwhile. */
GST_START_TEST (test_reader_references)
{
  gchar *dir = write_journal ();
  RgJournalReader *reader = rg_journal_reader_open (dir, NULL);
  RgJournalReader *other = rg_journal_reader_open (dir, NULL);
  RgJournalRecord *record;
  guint i;

  fail_unless (g_boxed_copy (rg_journal_reader_get_type (), reader) == reader);
  fail_unless (rg_journal_reader_ref (reader) == reader);
  /* Another reader's count is its own. */
  rg_journal_reader_unref (other);
  for (i = 0; i < N_RECORDS; i++) {
    g_boxed_free (rg_journal_reader_get_type (), reader);
    if (i == N_RECORDS - 1)
      break;
    /* Two references were dropped at most: still readable. */
    fail_unless_equals_int (rg_journal_reader_next_record (reader, FALSE, -1,
            &record, NULL), RG_JOURNAL_READ_OK);
    check_record (record, i);
    rg_journal_record_free (record);
  }
  remove_journal (dir);
}

GST_END_TEST;

GST_START_TEST (test_buffer_meta)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 8, NULL);
  GBytes *key = g_bytes_new_static ("k", 1), *value;
  GstRgMeta *meta;

  fail_unless (gst_rg_buffer_get_meta (buffer) == NULL);
  meta = gst_rg_buffer_add_meta (buffer, 7, BASE_TIME_MS, key);
  fail_unless (meta == gst_rg_buffer_get_meta (buffer));
  fail_unless_equals_uint64 (meta->offset, 7);
  fail_unless_equals_int64 (meta->timestamp, BASE_TIME_MS);
  gst_rg_meta_add_header (meta, "camera", key);
  value = gst_rg_meta_get_header (meta, "camera");
  fail_unless (value != NULL && g_bytes_equal (value, key));
  g_bytes_unref (value);
  g_bytes_unref (key);
  gst_buffer_unref (buffer);
}

GST_END_TEST;

static Suite *
boxed_suite (void)
{
  Suite *s = suite_create ("rgboxed");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_next_record);
  tcase_add_test (tc, test_reader_references);
  tcase_add_test (tc, test_buffer_meta);
  return s;
}

GST_CHECK_MAIN (boxed);
