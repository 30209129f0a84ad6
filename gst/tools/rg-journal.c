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
 * rg-journal: look at and repair a journal directory (docs/tools/rg-journal.md).
 *
 *   rg-journal dump DIR [--from OFFSET] [--count N]
 *   rg-journal verify DIR
 *   rg-journal recover DIR
 *   rg-journal stats DIR
 *
 * DIR is a journal directory, or an ingest directory: the directory the
 * embedded broker keeps one journal per ingest topic in (rgbrokersink's
 * ingest-location, "<location>.ingest" by default; rgbrokeringest.h). An
 * ingest directory holds no segment itself, only topic directories; every
 * command then runs on each topic's journal in name order, and its lines
 * name the topic ("topic=NAME", or a "topic NAME" heading for stats and
 * recover), so that a corrupt record is reported with its topic, segment,
 * byte position and offset.
 *
 * Exit status: 0 success (verify: the journal is intact), 1 the journal is
 * corrupt (verify found a problem; dump or recover met damage they cannot
 * pass), 2 usage or I/O error (including a directory locked by a writer,
 * for recover).
 *
 * dump and stats go through the journal reader (what rgsrc sees); verify and
 * recover are rg_journal_verify() and rg_journal_recover(). Only recover
 * writes, and it takes the writer lock first, so it cannot race a live
 * rgjournalsink.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <gst/gst.h>

#include "broker/rgbrokeringest.h"
#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "journal/rgjournalfiles.h"
#include "record/rgmeta.h"

#define EXIT_OK 0
#define EXIT_CORRUPT 1
#define EXIT_USAGE 2

static const gchar usage_text[] =
    "Usage: rg-journal COMMAND DIR [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  dump DIR [--from OFFSET] [--count N]\n"
    "                 print records: offset, time, flags, timestamps, key,\n"
    "                 size, headers, caps\n"
    "  verify DIR     check every batch (size, CRC-32C, offset continuity)\n"
    "                 and every index; exit 0 intact, 1 corrupt\n"
    "  recover DIR    truncate a torn tail and rebuild stale indexes, as\n"
    "                 opening a writer does (needs the writer lock)\n"
    "  stats DIR      segments, records, bytes, keyframes, time range\n"
    "\n"
    "\n"
    "DIR may also be an ingest directory (one journal per topic, as the\n"
    "broker keeps them): every command then runs on each topic.\n"
    "\n"
    "Exit status: 0 success, 1 corrupt journal, 2 usage or I/O error.\n";

static int
usage_error (const gchar * message)
{
  if (message != NULL)
    g_printerr ("rg-journal: %s\n\n", message);
  g_printerr ("%s", usage_text);
  return EXIT_USAGE;
}

/* The exit status an error deserves: corruption is 1, the rest 2. */
static int
exit_status_for (const GError * error)
{
  if (g_error_matches (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT) ||
      error->domain == RG_BATCH_ERROR)
    return EXIT_CORRUPT;
  return EXIT_USAGE;
}

static int
report_error (const gchar * what, const gchar * dir, GError * error)
{
  int status = exit_status_for (error);

  g_printerr ("rg-journal: %s %s: %s\n", what, dir, error->message);
  g_error_free (error);
  return status;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                           */

/* "2026-11-23T09:17:19.123Z" for a record timestamp in ms. */
static gchar *
format_timestamp (gint64 ms)
{
  GDateTime *dt;
  gchar *date, *out;
  gint64 seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;

  dt = g_date_time_new_from_unix_utc (seconds);
  if (dt == NULL)
    return g_strdup_printf ("%" G_GINT64_FORMAT "ms", ms);
  date = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  out = g_strdup_printf ("%s.%03dZ", date, (int) (ms - seconds * 1000));
  g_free (date);
  g_date_time_unref (dt);
  return out;
}

static gchar *
format_clock_time (GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return g_strdup ("none");
  return g_strdup_printf ("%" GST_TIME_FORMAT, GST_TIME_ARGS (t));
}

/* The set GstBufferFlags bits by nick ("delta-unit+header"), "-" for none. */
static gchar *
format_flags (GstBufferFlags flags)
{
  GFlagsClass *klass = g_type_class_ref (GST_TYPE_BUFFER_FLAGS);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < klass->n_values; i++) {
    if ((flags & klass->values[i].value) == klass->values[i].value &&
        klass->values[i].value != 0) {
      if (s->len > 0)
        g_string_append_c (s, '+');
      g_string_append (s, klass->values[i].value_nick);
    }
  }
  g_type_class_unref (klass);
  if (s->len == 0)
    g_string_append_c (s, '-');
  return g_string_free (s, FALSE);
}

/* Bytes as text when they are printable UTF-8, else as hex; "null" for a
 * null value. */
static gchar *
format_bytes (GBytes * bytes)
{
  gsize len, i;
  const guint8 *data;
  GString *s;

  if (bytes == NULL)
    return g_strdup ("null");
  data = g_bytes_get_data (bytes, &len);
  if (g_utf8_validate ((const gchar *) data, len, NULL)) {
    gchar *text = g_strndup ((const gchar *) data, len);
    gchar *escaped = g_strescape (text, NULL);

    g_free (text);
    if (strlen (escaped) == len)
      return escaped;
    g_free (escaped);
  }
  s = g_string_new ("0x");
  for (i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------ */
/* dump                                                                 */

static void
print_meta (GstRgMeta * meta)
{
  GBytes *key = gst_rg_meta_get_key (meta);
  gchar *text = format_bytes (key);
  guint i, n = gst_rg_meta_get_n_headers (meta);

  g_print (" key=%s", text);
  g_free (text);
  if (key != NULL)
    g_bytes_unref (key);
  for (i = 0; i < n; i++) {
    gchar *name = gst_rg_meta_get_header_name (meta, i);
    GBytes *value = gst_rg_meta_get_header_value (meta, i);

    text = format_bytes (value);
    g_print (" header:%s=%s", name, text);
    g_free (text);
    g_free (name);
    if (value != NULL)
      g_bytes_unref (value);
  }
}

static void
print_record (const gchar * topic, const RgJournalRecord * record)
{
  GstBuffer *buf = record->buffer;
  GstRgMeta *meta = gst_buffer_get_rg_meta (buf);
  gchar *time = format_timestamp (record->timestamp);
  gchar *pts = format_clock_time (GST_BUFFER_PTS (buf));
  gchar *dts = format_clock_time (GST_BUFFER_DTS (buf));
  gchar *duration = format_clock_time (GST_BUFFER_DURATION (buf));
  gchar *flags = format_flags (GST_BUFFER_FLAGS (buf) &
      RG_ENVELOPE_FLAGS_MASK);

  if (topic)
    g_print ("topic=%s ", topic);
  g_print ("offset=%" G_GUINT64_FORMAT " time=%s pts=%s dts=%s duration=%s "
      "flags=%s size=%" G_GSIZE_FORMAT "%s", record->offset, time, pts, dts,
      duration, flags, gst_buffer_get_size (buf),
      record->discont ? " skipped-before" : "");
  if (meta != NULL)
    print_meta (meta);
  if (record->caps != NULL) {
    gchar *caps = gst_caps_to_string (record->caps);

    g_print (" caps=\"%s\"", caps);
    g_free (caps);
  }
  g_print ("\n");
  g_free (time);
  g_free (pts);
  g_free (dts);
  g_free (duration);
  g_free (flags);
}

static int
command_dump (const gchar * dir, const gchar * topic, guint64 from,
    gint64 count)
{
  RgJournalReader *reader;
  RgJournalRecord record;
  RgJournalReadResult res = RG_JOURNAL_READ_END;
  GError *error = NULL;
  gint64 printed = 0;

  reader = rg_journal_reader_open (dir, &error);
  if (reader == NULL)
    return report_error ("cannot open", dir, error);
  if (from > 0 && !rg_journal_reader_seek_offset (reader, from, FALSE,
          &error))
    goto failed;
  while (count < 0 || printed < count) {
    res = rg_journal_reader_next (reader, &record, FALSE, 0, &error);
    if (res != RG_JOURNAL_READ_OK)
      break;
    print_record (topic, &record);
    rg_journal_record_clear (&record);
    printed++;
  }
  if (res == RG_JOURNAL_READ_ERROR)
    goto failed;
  rg_journal_reader_free (reader);
  return EXIT_OK;

failed:
  rg_journal_reader_free (reader);
  return report_error ("cannot read", dir, error);
}

/* ------------------------------------------------------------------ */
/* verify and recover                                                   */

static int
command_verify (const gchar * dir, const gchar * topic)
{
  GPtrArray *problems = NULL;
  GError *error = NULL;
  guint i;

  if (!rg_journal_verify (dir, &problems, &error))
    return report_error ("cannot verify", dir, error);

  for (i = 0; i < problems->len; i++) {
    const RgJournalProblem *p = g_ptr_array_index (problems, i);

    g_print ("CORRUPT %s%s%ssegment=%s position=%" G_GUINT64_FORMAT
        " offset=%" G_GUINT64_FORMAT ": %s\n", topic ? "topic=" : "",
        topic ? topic : "", topic ? " " : "", p->segment, p->position,
        p->offset, p->message);
  }
  if (problems->len > 0) {
    g_print ("%s: %u problem%s found\n", dir, problems->len,
        problems->len == 1 ? "" : "s");
    g_ptr_array_unref (problems);
    return EXIT_CORRUPT;
  }
  g_ptr_array_unref (problems);
  g_print ("%s: intact\n", dir);
  return EXIT_OK;
}

static int
command_recover (const gchar * dir, const gchar * topic)
{
  GError *error = NULL;
  RgJournalRecoverReport report;

  if (!rg_journal_recover_with_report (dir, &report, &error))
    return report_error ("cannot recover", dir, error);
  g_print ("%s: recovered, %" G_GUINT64_FORMAT " byte%s truncated from a "
      "torn tail\n", dir, report.truncated_bytes,
      report.truncated_bytes == 1 ? "" : "s");
  if (report.damaged_ranges > 0)
    g_print ("%s: %" G_GUINT64_FORMAT " damaged range%s (%" G_GUINT64_FORMAT
        " bytes, %" G_GUINT64_FORMAT " records) moved aside into .damaged "
        "files; the intact records around them are kept\n", dir,
        report.damaged_ranges, report.damaged_ranges == 1 ? "" : "s",
        report.damaged_bytes, report.lost_records);
  return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* stats                                                                */

/* Bytes of one file of a segment, 0 when it is missing. */
static guint64
segment_file_size (const gchar * dir, guint64 base, RgJournalFileKind kind)
{
  gchar *path = rg_journal_file_path (dir, base, kind);
  GStatBuf st;
  guint64 size = 0;

  if (g_stat (path, &st) == 0)
    size = (guint64) st.st_size;
  g_free (path);
  return size;
}

/* ", moved aside into NAME" when rg-journal recover left a .damaged file
 * for the gap that starts at @offset. */
static const gchar *
missing_file_note (const gchar * dir, guint64 offset)
{
  static gchar note[64];
  gchar *name = g_strdup_printf ("%0*" G_GUINT64_FORMAT ".damaged",
      RG_JOURNAL_NAME_DIGITS, offset);
  gchar *path = g_build_filename (dir, name, NULL);

  note[0] = '\0';
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    g_snprintf (note, sizeof (note), " (moved aside into %s)", name);
  g_free (path);
  g_free (name);
  return note;
}

/* The offset after the last batch of segment @base, from a walk of the
 * batch headers that starts at its last .index entry; FALSE when a header
 * does not parse (damage the reader reports) or the file cannot be read. */
static gboolean
segment_end_offset (const gchar * dir, guint64 base, guint64 * end)
{
  gchar *path = rg_journal_file_path (dir, base, RG_JOURNAL_FILE_INDEX);
  GBytes *index = rg_journal_read_index (path, RG_JOURNAL_INDEX_ENTRY_SIZE,
      NULL);
  guint8 header[RG_BATCH_HEADER_SIZE];
  guint64 pos = 0, size;
  RgBatchInfo info;
  gboolean ok = TRUE;
  GStatBuf st;
  gsize len;
  int fd;

  g_free (path);
  if (index != NULL && g_bytes_get_size (index) > 0) {
    const guint8 *d = g_bytes_get_data (index, &len);
    RgIndexEntry e;

    rg_index_entry_read (d + len - RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    pos = e.position;
  }
  if (index != NULL)
    g_bytes_unref (index);
  path = rg_journal_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  fd = g_open (path, O_RDONLY, 0);
  g_free (path);
  if (fd < 0 || fstat (fd, &st) < 0) {
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  size = (guint64) st.st_size;
  if (pos >= size)
    pos = 0;
  *end = base;
  while (ok && pos < size) {
    ok = pread (fd, header, sizeof (header), (off_t) pos) ==
        (ssize_t) sizeof (header)
        && rg_batch_parse_header (header, sizeof (header), &info, NULL)
        && pos + RG_BATCH_LOG_OVERHEAD + (guint64) info.batch_length <= size;
    if (ok) {
      *end = info.base_offset + info.last_offset_delta + 1;
      pos += RG_BATCH_LOG_OVERHEAD + (guint64) info.batch_length;
    }
  }
  close (fd);
  return ok;
}

/* The timestamp of the record at @offset, or FALSE. */
static gboolean
timestamp_at (RgJournalReader * reader, guint64 offset, gint64 * timestamp,
    GError ** error)
{
  RgJournalRecord record;

  if (!rg_journal_reader_seek_offset (reader, offset, FALSE, error))
    return FALSE;
  if (rg_journal_reader_next (reader, &record, FALSE, 0, error) !=
      RG_JOURNAL_READ_OK)
    return FALSE;
  *timestamp = record.timestamp;
  rg_journal_record_clear (&record);
  return TRUE;
}

static void
print_time_range (RgJournalReader * reader, guint64 start, guint64 end)
{
  gint64 first, last;
  gchar *a, *b;
  GError *error = NULL;

  if (start == end)
    return;
  if (!timestamp_at (reader, start, &first, &error) ||
      !timestamp_at (reader, end - 1, &last, &error)) {
    g_print ("time       unreadable: %s\n",
        error ? error->message : "record missing");
    g_clear_error (&error);
    return;
  }
  a = format_timestamp (first);
  b = format_timestamp (last);
  g_print ("time       %s .. %s (%.3f s)\n", a, b, (last - first) / 1000.0);
  g_free (a);
  g_free (b);
}

static void
print_segments (const gchar * dir, GArray * bases, guint64 end)
{
  guint64 total_bytes = 0, total_keys = 0;
  guint i;

  for (i = 0; i < bases->len; i++) {
    guint64 base = g_array_index (bases, guint64, i);

    total_bytes += segment_file_size (dir, base, RG_JOURNAL_FILE_LOG);
    total_keys += segment_file_size (dir, base, RG_JOURNAL_FILE_KEYINDEX) /
        RG_JOURNAL_KEYINDEX_ENTRY_SIZE;
  }
  g_print ("segments   %u\n", bases->len);
  g_print ("bytes      %" G_GUINT64_FORMAT "\n", total_bytes);
  g_print ("keyframes  %" G_GUINT64_FORMAT "\n", total_keys);
  for (i = 0; i < bases->len; i++) {
    guint64 base = g_array_index (bases, guint64, i);
    guint64 next = i + 1 < bases->len ?
        g_array_index (bases, guint64, i + 1) : end;
    gchar *name = rg_journal_file_name (base, RG_JOURNAL_FILE_LOG);
    guint64 seg_end;

    /* A segment before a gap ends where its last batch ends. */
    if (i + 1 < bases->len && segment_end_offset (dir, base, &seg_end)
        && seg_end < next)
      next = seg_end;

    g_print ("segment    %s offsets %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
        " bytes %" G_GUINT64_FORMAT " keyframes %" G_GUINT64_FORMAT "\n",
        name, base, next > base ? next - 1 : base,
        segment_file_size (dir, base, RG_JOURNAL_FILE_LOG),
        segment_file_size (dir, base, RG_JOURNAL_FILE_KEYINDEX) /
        RG_JOURNAL_KEYINDEX_ENTRY_SIZE);
    g_free (name);
  }
}

/* Offsets between @start and @end that no segment holds: a segment that
 * ends before the next one begins (retention under a reader never leaves
 * one, `rg-journal recover` does when it moves damage aside). Adds a line
 * per gap to @lines and returns how many offsets they span. */
static guint64
find_gaps (const gchar * dir, GArray * bases, guint64 start, guint64 end,
    GString * lines)
{
  guint64 missing = 0;
  guint i;

  for (i = 0; i + 1 < bases->len; i++) {
    guint64 base = g_array_index (bases, guint64, i);
    guint64 next = g_array_index (bases, guint64, i + 1);
    guint64 seg_end;

    if (next <= start || base >= end
        || !segment_end_offset (dir, base, &seg_end) || seg_end >= next)
      continue;
    g_string_append_printf (lines, "gap        offsets %" G_GUINT64_FORMAT
        "..%" G_GUINT64_FORMAT " are in no segment%s\n", seg_end, next - 1,
        missing_file_note (dir, seg_end));
    missing += next - seg_end;
  }
  return missing;
}

static int
command_stats (const gchar * dir, const gchar * topic)
{
  RgJournalReader *reader;
  GArray *bases;
  GError *error = NULL;
  guint64 start, end, missing;
  GString *gaps;

  reader = rg_journal_reader_open (dir, &error);
  if (reader == NULL)
    return report_error ("cannot open", dir, error);
  if (!rg_journal_reader_get_range (reader, &start, &end, &error) ||
      (bases = rg_journal_list_segments (dir, &error)) == NULL) {
    rg_journal_reader_free (reader);
    return report_error ("cannot read", dir, error);
  }

  g_print ("journal    %s\n", dir);
  gaps = g_string_new (NULL);
  missing = find_gaps (dir, bases, start, end, gaps);
  g_print ("records    %" G_GUINT64_FORMAT, end - start - missing);
  if (end > start)
    g_print (" (offsets %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT "%s)",
        start, end - 1, missing > 0 ? ", less the gaps below" : "");
  g_print ("\n%s", gaps->str);
  g_string_free (gaps, TRUE);
  print_time_range (reader, start, end);
  print_segments (dir, bases, end);

  g_array_unref (bases);
  rg_journal_reader_free (reader);
  return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* main                                                                 */

static gboolean
parse_dump_options (int argc, char **argv, guint64 * from, gint64 * count)
{
  int i;

  for (i = 3; i < argc; i++) {
    const gchar *value = i + 1 < argc ? argv[i + 1] : NULL;
    gchar *end = NULL;

    if (value == NULL || value[0] == '\0' || value[0] == '-')
      return FALSE;
    if (strcmp (argv[i], "--from") == 0)
      *from = g_ascii_strtoull (value, &end, 10);
    else if (strcmp (argv[i], "--count") == 0)
      *count = g_ascii_strtoll (value, &end, 10);
    else
      return FALSE;
    if (end == NULL || *end != '\0')
      return FALSE;
    i++;
  }
  return TRUE;
}

/* Whether @dir is an ingest directory: no segment of its own, and at
 * least one topic directory. Fills @topics with the topic names. */
static gboolean
is_ingest_directory (const gchar * dir, GPtrArray ** topics)
{
  GArray *bases = rg_journal_list_segments (dir, NULL);
  gboolean has_segments = bases != NULL && bases->len > 0;
  guint i;

  if (bases)
    g_array_unref (bases);
  *topics = NULL;
  if (has_segments)
    return FALSE;
  *topics = rg_broker_ingest_scan (dir);
  /* Only directories a journal writer has opened: a directory that merely
   * holds other directories (say /tmp) is not taken for one. */
  for (i = (*topics)->len; i > 0; i--) {
    gchar *lock = g_build_filename (dir, g_ptr_array_index (*topics, i - 1),
        "writer.lock", NULL);

    if (!g_file_test (lock, G_FILE_TEST_EXISTS))
      g_ptr_array_remove_index (*topics, i - 1);
    g_free (lock);
  }
  if ((*topics)->len > 0)
    return TRUE;
  g_ptr_array_unref (*topics);
  *topics = NULL;
  return FALSE;
}

typedef struct
{
  const gchar *command;
  guint64 from;
  gint64 count;
} Command;

/* Runs @cmd on the journal in @dir; @topic names it in the output when it
 * is one topic of an ingest directory. */
static int
run_command (const Command * cmd, const gchar * dir, const gchar * topic)
{
  if (strcmp (cmd->command, "dump") == 0)
    return command_dump (dir, topic, cmd->from, cmd->count);
  if (topic && strcmp (cmd->command, "verify") != 0)
    g_print ("topic %s\n", topic);
  if (strcmp (cmd->command, "verify") == 0)
    return command_verify (dir, topic);
  if (strcmp (cmd->command, "recover") == 0)
    return command_recover (dir, topic);
  return command_stats (dir, topic);
}

/* Every topic of an ingest directory; the worst status wins (2 over 1). */
static int
run_on_topics (const Command * cmd, const gchar * root, GPtrArray * topics)
{
  int status = EXIT_OK;
  guint i;

  for (i = 0; i < topics->len; i++) {
    const gchar *topic = g_ptr_array_index (topics, i);
    gchar *dir = g_build_filename (root, topic, NULL);
    int one = run_command (cmd, dir, topic);

    status = MAX (status, one);
    g_free (dir);
  }
  return status;
}

static gboolean
known_command (const gchar * command)
{
  return strcmp (command, "dump") == 0 || strcmp (command, "verify") == 0
      || strcmp (command, "recover") == 0 || strcmp (command, "stats") == 0;
}

int
main (int argc, char **argv)
{
  Command cmd = { NULL, 0, -1 };
  GPtrArray *topics;
  const gchar *dir;
  int status;

  gst_init (NULL, NULL);
  if (argc == 2 && (strcmp (argv[1], "--help") == 0 ||
          strcmp (argv[1], "-h") == 0)) {
    g_print ("%s", usage_text);
    return EXIT_OK;
  }
  if (argc < 3)
    return usage_error ("missing arguments");
  cmd.command = argv[1];
  dir = argv[2];
  if (!known_command (cmd.command))
    return usage_error ("unknown command");
  if (strcmp (cmd.command, "dump") == 0) {
    if (!parse_dump_options (argc, argv, &cmd.from, &cmd.count))
      return usage_error ("dump takes --from OFFSET and --count N");
  } else if (argc != 3) {
    return usage_error ("too many arguments");
  }
  if (strcmp (cmd.command, "verify") == 0
      || strcmp (cmd.command, "recover") == 0) {
    if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
      g_printerr ("rg-journal: %s is not a directory\n", dir);
      return EXIT_USAGE;
    }
  }
  if (!is_ingest_directory (dir, &topics))
    return run_command (&cmd, dir, NULL);
  status = run_on_topics (&cmd, dir, topics);
  g_ptr_array_unref (topics);
  return status;
}
