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

/* Runs the rg-journal tool (its path is RG_JOURNAL_TOOL) on journals this
 * test writes with the core library, intact, with a byte flipped in the
 * middle of a segment and with a torn tail, and checks its output and exit
 * status: 0 intact or done, 1 corrupt, 2 usage or I/O error. */

#include <gst/check/gstcheck.h>

#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "record/rgbatch.h"
#include "journal/rgjournal.h"
#include "journal/rgjournalbatch.h"

#define CAPS "video/x-h264, stream-format=(string)byte-stream, " \
    "alignment=(string)au"
#define N_RECORDS 30
#define VALUE_SIZE 200
#define BASE_MS G_GINT64_CONSTANT (1700000000000)

typedef struct
{
  gint status;
  gchar *out;
  gchar *err;
} ToolResult;

static void
tool_result_clear (ToolResult * r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Runs "rg-journal ARGS..." (NULL-terminated) and waits for it. */
static ToolResult
run_tool (const gchar * first, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  ToolResult r = { 0, };
  GError *error = NULL;
  const gchar *arg;
  gint wait_status = 0;
  va_list args;

  g_ptr_array_add (argv, (gpointer) RG_JOURNAL_TOOL);
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const gchar *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err, &wait_status, &error),
      "cannot run %s: %s", RG_JOURNAL_TOOL, error ? error->message : "");
  fail_unless (WIFEXITED (wait_status), "rg-journal died: %s", r.err);
  r.status = WEXITSTATUS (wait_status);
  g_ptr_array_free (argv, TRUE);
  return r;
}

static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *child = g_build_filename (path, name, NULL);

      g_unlink (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

/* Writes @n records of VALUE_SIZE bytes, a keyframe every 5, 40 ms apart,
 * into a new journal rolled every @segment_bytes. */
static gchar *
write_journal_n (guint n, guint64 segment_bytes)
{
  gchar *dir = g_dir_make_tmp ("rg-journal-tool-XXXXXX", NULL);
  RgJournalConfig config;
  RgJournalWriter *writer;
  GstCaps *caps = gst_caps_from_string (CAPS);
  GError *error = NULL;
  guint i;

  rg_journal_config_init (&config);
  config.max_segment_bytes = segment_bytes;
  writer = rg_journal_writer_open (dir, &config, &error);
  fail_unless (writer != NULL, "%s", error ? error->message : "");
  rg_journal_writer_set_caps (writer, caps);
  for (i = 0; i < n; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, VALUE_SIZE, NULL);
    guint64 offset;

    gst_buffer_memset (buf, 0, (guint8) i, VALUE_SIZE);
    GST_BUFFER_PTS (buf) = i * 40 * GST_MSECOND;
    GST_BUFFER_DURATION (buf) = 40 * GST_MSECOND;
    if (i % 5 != 0)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless (rg_journal_writer_append (writer, buf, BASE_MS + 40 * i,
            NULL, &offset, &error), "%s", error ? error->message : "");
    fail_unless_equals_uint64 (offset, i);
    gst_buffer_unref (buf);
  }
  fail_unless (rg_journal_writer_close (writer, &error));
  gst_caps_unref (caps);
  return dir;
}

/* N_RECORDS records in segments of 2 KiB. */
static gchar *
write_journal (void)
{
  return write_journal_n (N_RECORDS, 2048);
}

/* Finds the segment and byte position of the batch holding @offset. */
static gchar *
find_batch (const gchar * dir, guint64 offset, gsize * position)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gchar *found = NULL;

  while (found == NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *path, *data;
    gsize len, pos = 0;

    if (!g_str_has_suffix (name, ".log"))
      continue;
    path = g_build_filename (dir, name, NULL);
    fail_unless (g_file_get_contents (path, &data, &len, NULL));
    while (pos < len) {
      RgBatchInfo info;

      fail_unless (rg_batch_parse_header ((guint8 *) data + pos, len - pos,
              &info, NULL));
      if ((guint64) info.base_offset <= offset &&
          offset <= (guint64) info.base_offset + info.last_offset_delta) {
        *position = pos;
        found = g_strdup (path);
        break;
      }
      pos += RG_BATCH_LOG_OVERHEAD + info.batch_length;
    }
    g_free (data);
    g_free (path);
  }
  g_dir_close (d);
  fail_unless (found != NULL, "offset %" G_GUINT64_FORMAT " not found",
      offset);
  return found;
}

static guint
count_lines (const gchar * text)
{
  guint n = 0;

  for (; *text; text++)
    n += *text == '\n';
  return n;
}

GST_START_TEST (test_intact)
{
  gchar *dir = write_journal ();
  ToolResult r;
  gchar **lines;

  r = run_tool ("verify", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "intact") != NULL, "%s", r.out);
  tool_result_clear (&r);

  r = run_tool ("dump", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless_equals_int (count_lines (r.out), N_RECORDS);
  lines = g_strsplit (r.out, "\n", -1);
  fail_unless (g_str_has_prefix (lines[0], "offset=0 "));
  fail_unless (strstr (lines[0], "time=2023-11-14T22:13:20.000Z") != NULL,
      "%s", lines[0]);
  fail_unless (strstr (lines[0], "caps=\"video/x-h264") != NULL);
  fail_unless (strstr (lines[0], "flags=- ") != NULL, "%s", lines[0]);
  fail_unless (strstr (lines[0], "size=200") != NULL);
  fail_unless (g_str_has_prefix (lines[1], "offset=1 "));
  fail_unless (strstr (lines[1], "flags=delta-unit") != NULL, "%s", lines[1]);
  fail_unless (strstr (lines[1], "pts=0:00:00.040000000") != NULL, "%s",
      lines[1]);
  fail_unless (strstr (lines[1], "dts=none") != NULL);
  fail_unless (strstr (lines[1], "caps=") == NULL);
  g_strfreev (lines);
  tool_result_clear (&r);

  r = run_tool ("dump", dir, "--from", "12", "--count", "3", NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless_equals_int (count_lines (r.out), 3);
  fail_unless (g_str_has_prefix (r.out, "offset=12 "));
  tool_result_clear (&r);

  r = run_tool ("stats", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "records    30 (offsets 0..29)") != NULL,
      "%s", r.out);
  fail_unless (strstr (r.out, "keyframes  6") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "2023-11-14T22:13:20.000Z .. "
          "2023-11-14T22:13:21.160Z") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "segment    00000000000000000000.log "
          "offsets 0..") != NULL, "%s", r.out);
  tool_result_clear (&r);

  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_corrupt_byte)
{
  gchar *dir = write_journal ();
  gchar *segment, *data, *expected;
  gsize len, position;
  ToolResult r;

  /* Flip a byte in the middle of the batch holding offset 17. */
  segment = find_batch (dir, 17, &position);
  fail_unless (g_file_get_contents (segment, &data, &len, NULL));
  data[position + RG_BATCH_HEADER_SIZE + VALUE_SIZE / 2] ^= 0x40;
  fail_unless (g_file_set_contents (segment, data, len, NULL));
  g_free (data);

  r = run_tool ("verify", dir, NULL);
  fail_unless_equals_int (r.status, 1);
  expected = g_strdup_printf ("CORRUPT segment=%s position=%" G_GSIZE_FORMAT
      " offset=17: ", segment, position);
  fail_unless (strstr (r.out, expected) != NULL, "want \"%s\" in:\n%s",
      expected, r.out);
  fail_unless (strstr (r.out, "1 problem found") != NULL, "%s", r.out);
  g_free (expected);
  tool_result_clear (&r);

  /* dump reads up to the damage and fails on it. */
  r = run_tool ("dump", dir, NULL);
  fail_unless_equals_int (r.status, 1);
  fail_unless (strstr (r.out, "offset=16 ") != NULL);
  fail_unless (strstr (r.out, "offset=17 ") == NULL);
  tool_result_clear (&r);

  g_free (segment);
  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_torn_tail)
{
  gchar *dir = write_journal ();
  gchar *segment, *data, *expected;
  gsize len, position;
  ToolResult r;

  /* Cut the last batch in half, as a crash in the middle of a write. */
  segment = find_batch (dir, N_RECORDS - 1, &position);
  fail_unless (g_file_get_contents (segment, &data, &len, NULL));
  fail_unless (g_file_set_contents (segment, data, position + 100, NULL));
  g_free (data);

  r = run_tool ("verify", dir, NULL);
  fail_unless_equals_int (r.status, 1);
  expected = g_strdup_printf ("position=%" G_GSIZE_FORMAT " offset=%u",
      position, N_RECORDS - 1);
  fail_unless (strstr (r.out, expected) != NULL, "%s", r.out);
  g_free (expected);
  tool_result_clear (&r);

  r = run_tool ("recover", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "100 bytes truncated") != NULL, "%s", r.out);
  tool_result_clear (&r);

  r = run_tool ("verify", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  tool_result_clear (&r);
  r = run_tool ("dump", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless_equals_int (count_lines (r.out), N_RECORDS - 1);
  tool_result_clear (&r);

  g_free (segment);
  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

/* Overwrites 4 bytes of @segment at @position with @value, big-endian. */
static void
poke_be32 (const gchar * segment, gsize position, guint32 value)
{
  gchar *data;
  gsize len;

  fail_unless (g_file_get_contents (segment, &data, &len, NULL));
  fail_unless (position + 4 <= len);
  GST_WRITE_UINT32_BE (data + position, value);
  fail_unless (g_file_set_contents (segment, data, len, NULL));
  g_free (data);
}

static guint
count_files_with_suffix (const gchar * dir, const gchar * suffix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    n += g_str_has_suffix (name, suffix);
  g_dir_close (d);
  return n;
}

/* dump of a journal of records 0..@n-1 that lost only offset @lost: every
 * other record is there, on both sides of the gap. */
static void
check_dump_one_gap (const gchar * dir, guint n, guint lost)
{
  ToolResult r = run_tool ("dump", dir, NULL);
  gchar *before = g_strdup_printf ("offset=%u ", lost - 1);
  gchar *gap = g_strdup_printf ("offset=%u ", lost);
  gchar *after = g_strdup_printf ("offset=%u ", lost + 1);
  gchar *last = g_strdup_printf ("offset=%u ", n - 1);

  fail_unless (r.status == 0, "%s", r.err);
  fail_unless_equals_int (count_lines (r.out), n - 1);
  fail_unless (strstr (r.out, before) != NULL);
  fail_unless (strstr (r.out, gap) == NULL);
  fail_unless (strstr (r.out, after) != NULL);
  fail_unless (strstr (r.out, last) != NULL);
  tool_result_clear (&r);
  g_free (before);
  g_free (gap);
  g_free (after);
  g_free (last);
}

/* Finding 1 of the hostile trial: a huge batchLength in the active segment
 * made dump stop early with exit 0, verify call it a torn tail and recover
 * cut 1,000 intact records. Now verify names the damaged range and the
 * intact records behind it, dump fails on it, and recover moves exactly
 * that batch aside and keeps every other record. */
GST_START_TEST (test_huge_batch_length)
{
  const guint n = 1000, bad = 431;
  gchar *dir = write_journal_n (n, 64 * 1024 * 1024);
  gchar *segment, *expected;
  gsize position;
  ToolResult r;

  segment = find_batch (dir, bad, &position);
  poke_be32 (segment, position + 8, 0x7ffffff0);

  r = run_tool ("verify", dir, NULL);
  fail_unless_equals_int (r.status, 1);
  expected = g_strdup_printf ("CORRUPT segment=%s position=%" G_GSIZE_FORMAT
      " offset=%u: ", segment, position, bad);
  fail_unless (strstr (r.out, expected) != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "torn tail") == NULL, "%s", r.out);
  fail_unless (strstr (r.out, "offsets 431 to 431 unreadable; intact "
          "batches follow") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "1 problem found") != NULL, "%s", r.out);
  g_free (expected);
  tool_result_clear (&r);

  /* dump stops at the damage with an error, not a silent end. */
  r = run_tool ("dump", dir, NULL);
  fail_unless_equals_int (r.status, 1);
  fail_unless_equals_int (count_lines (r.out), bad);
  fail_unless (strstr (r.err, "intact records follow from offset 432") !=
      NULL, "%s", r.err);
  tool_result_clear (&r);

  r = run_tool ("stats", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "records    1000 (offsets 0..999)") != NULL,
      "%s", r.out);
  tool_result_clear (&r);

  r = run_tool ("recover", dir, NULL);
  fail_unless (r.status == 0, "%s", r.err);
  fail_unless (strstr (r.out, "0 bytes truncated") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "1 damaged range (") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, " bytes, 1 records) moved aside") != NULL, "%s",
      r.out);
  tool_result_clear (&r);
  fail_unless_equals_int (count_files_with_suffix (dir, ".damaged"), 1);
  fail_unless_equals_int (count_files_with_suffix (dir, ".log"), 2);

  r = run_tool ("verify", dir, NULL);
  fail_unless (r.status == 0, "%s", r.out);
  tool_result_clear (&r);
  check_dump_one_gap (dir, n, 431);
  /* stats agrees with dump, and names the gap and where it went. */
  r = run_tool ("stats", dir, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "records    999 (offsets 0..999, less the gaps "
          "below)") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "gap        offsets 431..431 are in no segment "
          "(moved aside into 00000000000000000431.damaged)") != NULL, "%s",
      r.out);
  fail_unless (strstr (r.out, "00000000000000000000.log offsets 0..430 ") !=
      NULL, "%s", r.out);
  tool_result_clear (&r);

  g_free (segment);
  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

/* Runs a shell command line for the test's file shuffling. */
static void
shell (const gchar * command)
{
  gint status = -1;

  fail_unless (g_spawn_command_line_sync (command, NULL, NULL, &status,
          NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s", command);
}

/* A second recover that met damage where an earlier recover had already
 * moved damage aside failed ("File exists"): the name it wanted for the
 * damaged bytes was the earlier file's. That happens when segments are
 * restored from a backup taken before the first recover, and the earlier
 * file is kept beside them. Both files are kept now (the newer one as
 * .damaged.2) and every intact record stays readable. */
GST_START_TEST (test_recover_twice_same_gap)
{
  const guint n = 300;
  gchar *dir = write_journal_n (n, 64 * 1024 * 1024);
  gchar *segment, *cmd;
  gsize position;
  ToolResult r;

  segment = find_batch (dir, 100, &position);
  poke_be32 (segment, position + 8, 0x7ffffff0);
  cmd = g_strdup_printf ("cp -a %s %s.bak", dir, dir);
  shell (cmd);
  g_free (cmd);
  r = run_tool ("recover", dir, NULL);
  fail_unless (r.status == 0, "%s", r.err);
  tool_result_clear (&r);

  /* Restore the backup's segments, keeping the .damaged file. */
  cmd = g_strdup_printf ("sh -c 'rm %s/*.log %s/*index && cp -a %s.bak/. %s "
      "&& rm -r %s.bak'", dir, dir, dir, dir, dir);
  shell (cmd);
  g_free (cmd);
  r = run_tool ("recover", dir, NULL);
  fail_unless (r.status == 0, "%s", r.err);
  fail_unless (strstr (r.out, "1 damaged range (") != NULL, "%s", r.out);
  tool_result_clear (&r);
  fail_unless_equals_int (count_files_with_suffix (dir, ".damaged"), 1);
  fail_unless_equals_int (count_files_with_suffix (dir, ".damaged.2"), 1);

  check_dump_one_gap (dir, n, 100);
  g_free (segment);
  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

/* Finding 2: verify stopped walking a segment after a header error, so an
 * independent CRC error later went unreported, and a flipped baseOffset
 * produced a bogus follow-on line. Each damage is one line now. */
GST_START_TEST (test_two_corruptions)
{
  gchar *dir = write_journal_n (200, 64 * 1024 * 1024);
  gchar *segment, *data, *want1, *want2, *want3;
  gsize len, p1, p2, p3;
  ToolResult r;

  segment = find_batch (dir, 40, &p1);
  g_free (find_batch (dir, 120, &p2));
  g_free (find_batch (dir, 170, &p3));
  fail_unless (g_file_get_contents (segment, &data, &len, NULL));
  data[p1 + 16] = 7;            /* magic */
  data[p2 + RG_BATCH_HEADER_SIZE + VALUE_SIZE / 2] ^= 0x01;     /* CRC */
  GST_WRITE_UINT64_BE (data + p3, G_GUINT64_CONSTANT (2305843009213694657));
  fail_unless (g_file_set_contents (segment, data, len, NULL));
  g_free (data);

  r = run_tool ("verify", dir, NULL);
  fail_unless_equals_int (r.status, 1);
  want1 = g_strdup_printf ("position=%" G_GSIZE_FORMAT " offset=40: ", p1);
  want2 = g_strdup_printf ("position=%" G_GSIZE_FORMAT " offset=120: ", p2);
  want3 = g_strdup_printf ("position=%" G_GSIZE_FORMAT " offset=170: ", p3);
  fail_unless (strstr (r.out, want1) != NULL, "%s", r.out);
  fail_unless (strstr (r.out, want2) != NULL, "%s", r.out);
  fail_unless (strstr (r.out, want3) != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "2305843009213694657") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "offset=2305843009213694658") == NULL, "%s",
      r.out);
  fail_unless (strstr (r.out, "3 problems found") != NULL, "%s", r.out);
  g_free (want1);
  g_free (want2);
  g_free (want3);
  tool_result_clear (&r);

  g_free (segment);
  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_recover_locked)
{
  gchar *dir = write_journal ();
  RgJournalConfig config;
  RgJournalWriter *writer;
  ToolResult r;

  rg_journal_config_init (&config);
  writer = rg_journal_writer_open (dir, &config, NULL);
  fail_unless (writer != NULL);
  r = run_tool ("recover", dir, NULL);
  fail_unless_equals_int (r.status, 2);
  fail_unless (strstr (r.err, "lock") != NULL, "%s", r.err);
  tool_result_clear (&r);
  fail_unless (rg_journal_writer_close (writer, NULL));

  /* Reading needs no lock. */
  remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_usage)
{
  ToolResult r;

  r = run_tool (NULL, NULL);
  fail_unless_equals_int (r.status, 2);
  fail_unless (strstr (r.err, "Usage: rg-journal") != NULL);
  tool_result_clear (&r);

  r = run_tool ("--help", NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "Usage: rg-journal") != NULL);
  tool_result_clear (&r);

  r = run_tool ("frobnicate", "/nonexistent", NULL);
  fail_unless_equals_int (r.status, 2);
  fail_unless (strstr (r.err, "unknown command") != NULL);
  tool_result_clear (&r);

  r = run_tool ("verify", "/nonexistent/journal", NULL);
  fail_unless_equals_int (r.status, 2);
  fail_unless (strstr (r.err, "/nonexistent/journal") != NULL);
  tool_result_clear (&r);

  r = run_tool ("dump", "/tmp", "--count", "many", NULL);
  fail_unless_equals_int (r.status, 2);
  tool_result_clear (&r);
}

GST_END_TEST;

/* ---- Ingest directories: one journal per topic, producers' batches ---- */

/* A journal of @n records as a Kafka producer sends them (key "k<i>",
 * header src=fleet), written as the broker writes ingest topics. */
static void
write_ingest_topic (const gchar * root, const gchar * topic, guint n)
{
  gchar *dir = g_build_filename (root, topic, NULL);
  RgJournalConfig config;
  RgJournalWriter *writer;
  RgRecordHeader header = { "src", 3, (const guint8 *) "fleet", 5 };
  GError *error = NULL;
  guint i;

  rg_journal_config_init (&config);
  writer = rg_journal_writer_open (dir, &config, &error);
  fail_unless (writer != NULL, "%s", error ? error->message : "");
  for (i = 0; i < n; i++) {
    gchar *key = g_strdup_printf ("k%u", i);
    guint8 value[VALUE_SIZE];
    RgRecord record = { 0, };
    GByteArray *batch;
    guint64 offset;

    memset (value, i, sizeof (value));
    record.timestamp = BASE_MS + i;
    record.key = (const guint8 *) key;
    record.key_len = strlen (key);
    record.value = value;
    record.value_len = sizeof (value);
    record.headers = &header;
    record.n_headers = 1;
    batch = rg_batch_encode (0, &record, 1, &error);
    fail_unless (batch != NULL);
    fail_unless (rg_journal_writer_append_batch (writer, batch->data,
            batch->len, &offset, &error), "%s", error ? error->message : "");
    fail_unless_equals_uint64 (offset, i);
    g_byte_array_unref (batch);
    g_free (key);
  }
  fail_unless (rg_journal_writer_close (writer, NULL));
  g_free (dir);
}

GST_START_TEST (test_ingest_directory)
{
  gchar *root = g_dir_make_tmp ("rg-journal-ingest-XXXXXX", NULL);
  gchar *metrics = g_build_filename (root, "metrics", NULL);
  gchar *logs = g_build_filename (root, "logs", NULL);
  gchar *segment, *data, *expected;
  gsize len, position;
  ToolResult r;

  write_ingest_topic (root, "logs", 4);
  write_ingest_topic (root, "metrics", 6);

  r = run_tool ("verify", root, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless_equals_int (count_lines (r.out), 2);
  tool_result_clear (&r);

  /* dump: every record of every topic, with its key and header. */
  r = run_tool ("dump", root, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless_equals_int (count_lines (r.out), 10);
  fail_unless (g_str_has_prefix (r.out, "topic=logs offset=0 "), "%s", r.out);
  fail_unless (strstr (r.out, "topic=metrics offset=5 time="
          "2023-11-14T22:13:20.005Z") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, " key=k5 header:src=fleet\n") != NULL, "%s",
      r.out);
  tool_result_clear (&r);

  /* A byte flipped in metrics' record 3: reported with its topic,
   * segment, byte position and offset; logs stays intact. */
  segment = find_batch (metrics, 3, &position);
  fail_unless (g_file_get_contents (segment, &data, &len, NULL));
  data[position + RG_BATCH_HEADER_SIZE + VALUE_SIZE / 2] ^= 0x40;
  fail_unless (g_file_set_contents (segment, data, len, NULL));
  g_free (data);
  r = run_tool ("verify", root, NULL);
  fail_unless_equals_int (r.status, 1);
  expected = g_strdup_printf ("CORRUPT topic=metrics segment=%s position=%"
      G_GSIZE_FORMAT " offset=3: ", segment, position);
  fail_unless (strstr (r.out, expected) != NULL, "want \"%s\" in:\n%s",
      expected, r.out);
  fail_unless (strstr (r.out, "logs: intact") != NULL, "%s", r.out);
  g_free (expected);
  tool_result_clear (&r);

  /* recover moves the damage aside; every topic verifies again. */
  r = run_tool ("recover", root, NULL);
  fail_unless_equals_int (r.status, 0);
  fail_unless (strstr (r.out, "topic metrics\n") != NULL, "%s", r.out);
  fail_unless (strstr (r.out, "1 damaged range") != NULL, "%s", r.out);
  tool_result_clear (&r);
  r = run_tool ("verify", root, NULL);
  fail_unless_equals_int (r.status, 0);
  tool_result_clear (&r);

  g_free (segment);
  remove_tree (logs);
  remove_tree (metrics);
  g_rmdir (root);
  g_free (logs);
  g_free (metrics);
  g_free (root);
}

GST_END_TEST;

static Suite *
rg_journal_tool_suite (void)
{
  Suite *s = suite_create ("rg-journal-tool");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_usage);
  tcase_add_test (tc, test_intact);
  tcase_add_test (tc, test_corrupt_byte);
  tcase_add_test (tc, test_torn_tail);
  tcase_add_test (tc, test_huge_batch_length);
  tcase_add_test (tc, test_two_corruptions);
  tcase_add_test (tc, test_recover_twice_same_gap);
  tcase_add_test (tc, test_recover_locked);
  tcase_add_test (tc, test_ingest_directory);
  return s;
}

GST_CHECK_MAIN (rg_journal_tool);
