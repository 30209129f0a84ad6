/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * rg_journal_verify(): walks every batch of every segment and checks each
 * index against the log, taking no lock. docs/journal-format.md
 * ("Verification") is the long form.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournal.h"
#include "journal/rgjournalsegment.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_journal_debug

typedef struct
{
  guint64 position;
  guint64 base_offset;
  guint64 last_offset;
  guint64 end;                  /* position after it (or the damage) */
  gint64 max_before;            /* largest timestamp of earlier batches */
  gint64 max_through;           /* including this batch */
  gboolean bad;                 /* a damaged range; records unread */
} VerifiedBatch;

typedef struct
{
  const gchar *path;
  guint64 base;
  GPtrArray *problems;
  GArray *batches;              /* VerifiedBatch */
  GArray *keyframes;            /* guint64 offsets */
  gboolean last_segment;
} VerifyState;

static void
problem_free (gpointer data)
{
  RgJournalProblem *p = data;

  g_free (p->segment);
  g_free (p->message);
  g_free (p);
}

static void
add_problem (VerifyState * v, guint64 position, guint64 offset,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (VerifyState * v, guint64 position, guint64 offset,
    const gchar * format, ...)
{
  RgJournalProblem *p = g_new0 (RgJournalProblem, 1);
  va_list args;

  va_start (args, format);
  p->segment = g_strdup (v->path);
  p->position = position;
  p->offset = offset;
  p->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (v->problems, p);
}

static void
collect_keyframe (guint64 offset, gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, offset);
}

/* Reports the batch at @pos that failed with @err, and finds where the
 * walk goes on by the damage rule (rg_journal_find_resume()): at the next
 * intact batch that continues the offsets, so that one damaged range is one
 * problem and an independent one later in the segment is reported too.
 * Appends the damaged range as a bad batch. Returns its end (@len for a
 * torn tail) and sets @expected to the offset that follows it. */
static guint64
verify_damage (VerifyState * v, const guint8 * data, guint64 len,
    guint64 pos, guint64 * expected, GError * err)
{
  RgBatchInfo resume;
  VerifiedBatch b;
  guint64 at = rg_journal_find_resume (data, len, pos, *expected, &resume);

  if (at == len) {
    add_problem (v, pos, *expected, "torn tail: %s (%" G_GUINT64_FORMAT
        " bytes to the end of the segment)", err->message, len - pos);
    return len;
  }
  add_problem (v, pos, *expected, "%s; bytes %" G_GUINT64_FORMAT " to %"
      G_GUINT64_FORMAT " are damaged, offsets %" G_GUINT64_FORMAT " to %"
      G_GINT64_FORMAT " unreadable; intact batches follow", err->message,
      pos, at, *expected, resume.base_offset - 1);
  memset (&b, 0, sizeof (b));
  b.position = pos;
  b.end = at;
  b.base_offset = *expected;
  b.last_offset = resume.base_offset - 1;
  b.bad = TRUE;
  if (b.last_offset >= b.base_offset)
    g_array_append_val (v->batches, b);
  *expected = resume.base_offset;
  return at;
}

/* Walks every batch, reporting each damaged range once. Returns the next
 * offset. */
static guint64
verify_log (VerifyState * v, const guint8 * data, guint64 len,
    guint64 expected)
{
  guint64 pos = 0;
  gint64 max_ts = G_MININT64;

  while (pos < len) {
    RgBatchInfo info;
    GError *err = NULL;
    gsize size = rg_journal_check_batch (data + pos, len - pos, expected,
        TRUE, &info, &err);
    VerifiedBatch b;

    if (size == 0) {
      pos = verify_damage (v, data, len, pos, &expected, err);
      g_error_free (err);
      continue;
    }
    if (!rg_journal_batch_foreach_keyframe (data + pos, size,
            collect_keyframe, v->keyframes, &err)) {
      add_problem (v, pos, expected, "%s", err->message);
      g_clear_error (&err);
    }
    b.position = pos;
    b.end = pos + size;
    b.bad = FALSE;
    b.base_offset = info.base_offset;
    b.last_offset = info.base_offset + info.last_offset_delta;
    b.max_before = max_ts;
    max_ts = MAX (max_ts, info.max_timestamp);
    b.max_through = max_ts;
    g_array_append_val (v->batches, b);
    expected = b.last_offset + 1;
    pos += size;
  }
  return expected;
}

/* The damaged range holding byte @position, if any: index entries that
 * point into one are already covered by its problem. */
static gboolean
in_damaged_range (VerifyState * v, guint64 position)
{
  guint i;

  for (i = 0; i < v->batches->len; i++) {
    const VerifiedBatch *b = &g_array_index (v->batches, VerifiedBatch, i);

    if (b->bad && position >= b->position && position < b->end)
      return TRUE;
  }
  return FALSE;
}

static const VerifiedBatch *
find_batch_at (VerifyState * v, guint64 position)
{
  guint lo = 0, hi = v->batches->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    const VerifiedBatch *b = &g_array_index (v->batches, VerifiedBatch, mid);

    if (b->position == position)
      return b;
    if (b->position < position)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static const VerifiedBatch *
find_batch_holding (VerifyState * v, guint64 offset)
{
  guint lo = 0, hi = v->batches->len;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    const VerifiedBatch *b = &g_array_index (v->batches, VerifiedBatch, mid);

    if (offset < b->base_offset)
      hi = mid;
    else if (offset > b->last_offset)
      lo = mid + 1;
    else
      return b;
  }
  return NULL;
}

static GBytes *
verify_read_index (VerifyState * v, RgJournalFileKind kind, gsize entry)
{
  gchar *dir = g_path_get_dirname (v->path);
  gchar *path = rg_journal_file_path (dir, v->base, kind);
  GBytes *bytes = rg_journal_read_index (path, entry, NULL);

  g_free (path);
  g_free (dir);
  return bytes ? bytes : g_bytes_new (NULL, 0);
}

static void
verify_offset_index (VerifyState * v)
{
  GBytes *bytes = verify_read_index (v, RG_JOURNAL_FILE_INDEX,
      RG_JOURNAL_INDEX_ENTRY_SIZE);
  gsize len, i;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  for (i = 0; i < len / RG_JOURNAL_INDEX_ENTRY_SIZE; i++) {
    RgIndexEntry e;
    const VerifiedBatch *b;

    rg_index_entry_read (d + i * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    if (in_damaged_range (v, e.position))
      continue;
    b = find_batch_at (v, e.position);
    if (b == NULL || b->last_offset != v->base + e.relative_offset) {
      add_problem (v, e.position, v->base + e.relative_offset,
          ".index entry %" G_GSIZE_FORMAT " does not point at the batch "
          "ending at this offset", i);
      break;
    }
  }
  g_bytes_unref (bytes);
}

static void
verify_time_index (VerifyState * v)
{
  GBytes *bytes = verify_read_index (v, RG_JOURNAL_FILE_TIMEINDEX,
      RG_JOURNAL_TIMEINDEX_ENTRY_SIZE);
  gsize len, i;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  gint64 prev = G_MININT64;

  for (i = 0; i < len / RG_JOURNAL_TIMEINDEX_ENTRY_SIZE; i++) {
    RgTimeIndexEntry e;
    const VerifiedBatch *b;

    rg_time_index_entry_read (d + i * RG_JOURNAL_TIMEINDEX_ENTRY_SIZE, &e);
    b = find_batch_holding (v, v->base + e.relative_offset);
    if (b && b->bad)
      continue;
    if (b == NULL || e.timestamp <= prev || e.timestamp > b->max_through
        || e.timestamp < b->max_before) {
      add_problem (v, b ? b->position : 0, v->base + e.relative_offset,
          ".timeindex entry %" G_GSIZE_FORMAT " (timestamp %" G_GINT64_FORMAT
          ") does not match the log", i, e.timestamp);
      break;
    }
    prev = e.timestamp;
  }
  g_bytes_unref (bytes);
}

static void
verify_key_index (VerifyState * v)
{
  GBytes *bytes = verify_read_index (v, RG_JOURNAL_FILE_KEYINDEX,
      RG_JOURNAL_KEYINDEX_ENTRY_SIZE);
  gsize len, i, n;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  gsize k = 0;

  n = len / RG_JOURNAL_KEYINDEX_ENTRY_SIZE;
  for (i = 0; i < n; i++) {
    RgIndexEntry e;
    const VerifiedBatch *b;
    guint64 offset;

    rg_index_entry_read (d + i * RG_JOURNAL_KEYINDEX_ENTRY_SIZE, &e);
    offset = v->base + e.relative_offset;
    /* A damaged range is already reported; its records, keyframes
     * included, could not be read. */
    if (in_damaged_range (v, e.position))
      continue;
    b = find_batch_at (v, e.position);
    if (b == NULL || offset < b->base_offset || offset > b->last_offset
        || k >= v->keyframes->len
        || g_array_index (v->keyframes, guint64, k) != offset) {
      add_problem (v, e.position, offset, ".keyindex entry %" G_GSIZE_FORMAT
          " does not match the keyframe records of the log", i);
      goto out;
    }
    k++;
  }
  /* The writer of the active segment may not have written its latest
   * entries yet; a closed segment's index is complete. */
  if (!v->last_segment && k < v->keyframes->len)
    add_problem (v, 0, g_array_index (v->keyframes, guint64, k),
        ".keyindex lacks %u keyframe records", v->keyframes->len - (guint) k);
out:
  g_bytes_unref (bytes);
}

/* TRUE when rg_journal_recover() moved the records from @offset on aside
 * (<offset>.damaged): the gap before this segment is then known, not new
 * damage. */
static gboolean
moved_aside (VerifyState * v, guint64 offset)
{
  gchar *dir = g_path_get_dirname (v->path);
  gchar *name = g_strdup_printf ("%0*" G_GUINT64_FORMAT ".damaged",
      RG_JOURNAL_NAME_DIGITS, offset);
  gchar *path = g_build_filename (dir, name, NULL);
  gboolean found = g_file_test (path, G_FILE_TEST_EXISTS);

  g_free (path);
  g_free (name);
  g_free (dir);
  return found;
}

static gboolean
verify_segment (VerifyState * v, guint64 * expected, GError ** error)
{
  RgMapping map = { NULL, 0 };
  int fd;
  gboolean ok;

  fd = open (v->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return rg_journal_set_errno_error (error, errno, "open", v->path);
  ok = rg_journal_map_file (fd, v->path, &map, error);
  close (fd);
  if (!ok)
    return FALSE;
  g_array_set_size (v->batches, 0);
  g_array_set_size (v->keyframes, 0);
  if (*expected != v->base && !moved_aside (v, *expected))
    add_problem (v, 0, *expected, "segment starts at offset %"
        G_GUINT64_FORMAT " where offset %" G_GUINT64_FORMAT " should follow",
        v->base, *expected);
  *expected = verify_log (v, map.data, map.len, v->base);
  rg_journal_unmap_file (&map);
  verify_offset_index (v);
  verify_time_index (v);
  verify_key_index (v);
  return TRUE;
}

gboolean
rg_journal_verify (const gchar * dir, GPtrArray ** problems, GError ** error)
{
  VerifyState v;
  GArray *bases;
  guint64 expected;
  gboolean ok = TRUE;
  guint i;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (problems != NULL, FALSE);
  rg_journal_debug_init ();

  *problems = NULL;
  bases = rg_journal_list_segments (dir, error);
  if (bases == NULL)
    return FALSE;
  memset (&v, 0, sizeof (v));
  v.problems = g_ptr_array_new_with_free_func (problem_free);
  v.batches = g_array_new (FALSE, FALSE, sizeof (VerifiedBatch));
  v.keyframes = g_array_new (FALSE, FALSE, sizeof (guint64));
  expected = bases->len ? g_array_index (bases, guint64, 0) : 0;
  for (i = 0; i < bases->len && ok; i++) {
    gchar *path;

    v.base = g_array_index (bases, guint64, i);
    v.last_segment = i + 1 == bases->len;
    path = rg_journal_file_path (dir, v.base, RG_JOURNAL_FILE_LOG);
    v.path = path;
    ok = verify_segment (&v, &expected, error);
    g_free (path);
  }
  g_array_unref (v.batches);
  g_array_unref (v.keyframes);
  g_array_unref (bases);
  if (!ok) {
    g_ptr_array_unref (v.problems);
    return FALSE;
  }
  *problems = v.problems;
  return TRUE;
}

