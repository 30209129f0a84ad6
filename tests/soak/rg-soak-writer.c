/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The two halves of the kill -9 soak (rg-soak.py drives them):
 *
 *   rg-soak-writer write DIR SYNC SIZES SEED
 *     opens the journal DIR (recovering it), prints "opened NEXT US" (the
 *     next offset and how long the open took), then appends records until
 *     it is killed, printing "durable D" each time the durable offset
 *     rises: every record below D is on disk. SYNC is always or interval;
 *     SIZES is 4k (4 KiB records) or random (100 B to 256 KiB).
 *   rg-soak-writer check DIR
 *     reads every record back with the journal reader and checks that the
 *     offsets run without a gap from 0 and that each value is the pattern
 *     of its offset; prints "records N" or an error, and exits 1 on one.
 *
 * A record's value is a pattern of its offset, so a check can tell a record
 * from any other; its size follows from the offset and SEED, so the check
 * does not need to know the sizes. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"

#define BASE_MS G_GINT64_CONSTANT (1700000000000)

static guint8
pattern_byte (guint64 offset, gsize i)
{
  return (guint8) (offset * 131 + i + (i >> 9));
}

static GstBuffer *
make_record (guint64 offset, gboolean random_sizes, GRand * rand)
{
  gsize size = random_sizes ? (gsize) g_rand_int_range (rand, 100,
      256 * 1024 + 1) : 4096;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++)
    map.data[i] = pattern_byte (offset, i);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = offset * 40 * GST_MSECOND;
  if (offset % 25 != 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static int
run_writer (const gchar * dir, const gchar * sync, const gchar * sizes,
    guint seed)
{
  RgJournalConfig config;
  RgJournalWriter *w;
  GError *error = NULL;
  GRand *rand = g_rand_new_with_seed (seed);
  gboolean random_sizes = g_strcmp0 (sizes, "random") == 0;
  guint64 durable, printed;
  gint64 start;

  rg_journal_config_init (&config);
  config.sync = g_strcmp0 (sync, "interval") == 0 ?
      RG_JOURNAL_SYNC_INTERVAL : RG_JOURNAL_SYNC_ALWAYS;
  config.max_segment_bytes = 8 * 1024 * 1024;
  config.max_bytes = 64 * 1024 * 1024;
  start = g_get_monotonic_time ();
  w = rg_journal_writer_open (dir, &config, &error);
  if (w == NULL) {
    g_printerr ("open failed: %s\n", error->message);
    return 1;
  }
  printed = rg_journal_writer_get_next_offset (w);
  g_print ("opened %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", printed,
      g_get_monotonic_time () - start);
  for (;;) {
    guint64 offset = rg_journal_writer_get_next_offset (w);
    GstBuffer *buf = make_record (offset, random_sizes, rand);

    if (!rg_journal_writer_append (w, buf, BASE_MS + (gint64) offset, NULL,
            NULL, &error)) {
      g_printerr ("append failed: %s\n", error->message);
      return 1;
    }
    gst_buffer_unref (buf);
    durable = rg_journal_writer_get_durable_offset (w);
    if (durable > printed) {
      g_print ("durable %" G_GUINT64_FORMAT "\n", durable);
      printed = durable;
    }
  }
  return 0;
}

static gboolean
value_ok (GstBuffer * buf, guint64 offset)
{
  GstMapInfo map;
  gboolean ok = TRUE;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i < map.size && ok; i++)
    ok = map.data[i] == pattern_byte (offset, i);
  gst_buffer_unmap (buf, &map);
  return ok;
}

static int
run_check (const gchar * dir)
{
  RgJournalReader *r;
  RgJournalRecord rec;
  RgJournalReadResult res;
  GError *error = NULL;
  guint64 start, end, expected, n = 0;

  r = rg_journal_reader_open (dir, &error);
  if (r == NULL || !rg_journal_reader_get_range (r, &start, &end, &error)) {
    g_printerr ("check: %s\n", error->message);
    return 1;
  }
  expected = start;
  while ((res = rg_journal_reader_next (r, &rec, FALSE, 0, &error)) ==
      RG_JOURNAL_READ_OK) {
    if (rec.offset != expected && !rec.discont) {
      g_printerr ("check: offset %" G_GUINT64_FORMAT " where %"
          G_GUINT64_FORMAT " should follow\n", rec.offset, expected);
      return 1;
    }
    if (!value_ok (rec.buffer, rec.offset)) {
      g_printerr ("check: record %" G_GUINT64_FORMAT " is not its own\n",
          rec.offset);
      return 1;
    }
    expected = rec.offset + 1;
    n++;
    rg_journal_record_clear (&rec);
  }
  if (res == RG_JOURNAL_READ_ERROR) {
    g_printerr ("check: %s\n", error->message);
    return 1;
  }
  rg_journal_reader_free (r);
  g_print ("records %" G_GUINT64_FORMAT " first %" G_GUINT64_FORMAT
      " next %" G_GUINT64_FORMAT "\n", n, start, expected);
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 6 && strcmp (argv[1], "write") == 0)
    return run_writer (argv[2], argv[3], argv[4], atoi (argv[5]));
  if (argc == 3 && strcmp (argv[1], "check") == 0)
    return run_check (argv[2]);
  g_printerr ("usage: rg-soak-writer write DIR always|interval 4k|random "
      "SEED\n       rg-soak-writer check DIR\n");
  return 2;
}
