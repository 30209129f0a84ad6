/* gst-rg
 * Copyright (C) 2026 gst-rg authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/*
 * Helpers for the journal's files, shared by the writer and the readers.
 * The byte layouts are those of rgjournal.h:
 *
 *   .index / .keyindex   int32 relative offset, int32 position (big-endian)
 *   .timeindex           int64 timestamp, int32 relative offset
 *
 * Index files are written in whole entries by a single writer, but a reader
 * in another process can see a file mid-write and a crash can leave a
 * partial entry, so every reader of an index ignores a trailing partial
 * entry.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "journal/rgjournalfiles.h"
#include "journal/rgjournalerror.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The error domain (rgjournalerror.h) is defined in the lowest file of the
 * layer, so that every other file, readers included, links without the
 * writer. */
G_DEFINE_QUARK (rg-journal-error-quark, rg_journal_error);

static const gchar *const suffixes[] = {
  [RG_JOURNAL_FILE_LOG] = ".log",
  [RG_JOURNAL_FILE_INDEX] = ".index",
  [RG_JOURNAL_FILE_TIMEINDEX] = ".timeindex",
  [RG_JOURNAL_FILE_KEYINDEX] = ".keyindex",
};

const gchar *
rg_journal_file_suffix (RgJournalFileKind kind)
{
  g_return_val_if_fail (kind <= RG_JOURNAL_FILE_KEYINDEX, NULL);
  return suffixes[kind];
}

gchar *
rg_journal_file_name (guint64 base_offset, RgJournalFileKind kind)
{
  return g_strdup_printf ("%020" G_GUINT64_FORMAT "%s", base_offset,
      rg_journal_file_suffix (kind));
}

gchar *
rg_journal_file_path (const gchar * dir, guint64 base_offset,
    RgJournalFileKind kind)
{
  gchar *name = rg_journal_file_name (base_offset, kind);
  gchar *path = g_build_filename (dir, name, NULL);

  g_free (name);
  return path;
}

gboolean
rg_journal_file_parse_name (const gchar * name, guint64 * base_offset,
    RgJournalFileKind * kind)
{
  guint64 value = 0;
  guint i;

  for (i = 0; i < RG_JOURNAL_NAME_DIGITS; i++) {
    guint digit;

    if (!g_ascii_isdigit (name[i]))
      return FALSE;
    digit = name[i] - '0';
    /* 20 digits can exceed G_MAXUINT64; such a name is not ours. */
    if (value > (G_MAXUINT64 - digit) / 10)
      return FALSE;
    value = value * 10 + digit;
  }
  for (i = 0; i < G_N_ELEMENTS (suffixes); i++) {
    if (strcmp (name + RG_JOURNAL_NAME_DIGITS, suffixes[i]) == 0) {
      if (base_offset)
        *base_offset = value;
      if (kind)
        *kind = (RgJournalFileKind) i;
      return TRUE;
    }
  }
  return FALSE;
}

static gint
compare_guint64 (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : (x > y ? 1 : 0);
}

GArray *
rg_journal_list_segments (const gchar * dir, GError ** error)
{
  GError *err = NULL;
  GDir *d;
  GArray *bases;
  const gchar *name;

  d = g_dir_open (dir, 0, &err);
  if (d == NULL) {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
        "Cannot list journal directory %s: %s", dir, err->message);
    g_error_free (err);
    return NULL;
  }
  bases = g_array_new (FALSE, FALSE, sizeof (guint64));
  while ((name = g_dir_read_name (d)) != NULL) {
    guint64 base;
    RgJournalFileKind kind;

    if (rg_journal_file_parse_name (name, &base, &kind)
        && kind == RG_JOURNAL_FILE_LOG)
      g_array_append_val (bases, base);
  }
  g_dir_close (d);
  g_array_sort (bases, compare_guint64);
  return bases;
}

/* ---- Index entries ---- */

/* Index files are mapped or read at any byte offset (a .timeindex entry is
 * 12 bytes), so every load goes through memcpy: GST_READ_UINT64_BE is a
 * plain, possibly misaligned, load on x86. */
static inline guint32
read_be32 (const guint8 * p)
{
  guint32 v;

  memcpy (&v, p, sizeof (v));
  return GUINT32_FROM_BE (v);
}

static inline guint64
read_be64 (const guint8 * p)
{
  guint64 v;

  memcpy (&v, p, sizeof (v));
  return GUINT64_FROM_BE (v);
}

static inline void
write_be32 (guint8 * p, guint32 v)
{
  v = GUINT32_TO_BE (v);
  memcpy (p, &v, sizeof (v));
}

static inline void
write_be64 (guint8 * p, guint64 v)
{
  v = GUINT64_TO_BE (v);
  memcpy (p, &v, sizeof (v));
}

guint32
rg_journal_read_be32 (const guint8 * p)
{
  return read_be32 (p);
}

void
rg_index_entry_write (guint8 * out, const RgIndexEntry * entry)
{
  write_be32 (out, entry->relative_offset);
  write_be32 (out + 4, entry->position);
}

void
rg_index_entry_read (const guint8 * in, RgIndexEntry * entry)
{
  entry->relative_offset = read_be32 (in);
  entry->position = read_be32 (in + 4);
}

void
rg_time_index_entry_write (guint8 * out, const RgTimeIndexEntry * entry)
{
  write_be64 (out, (guint64) entry->timestamp);
  write_be32 (out + 8, entry->relative_offset);
}

void
rg_time_index_entry_read (const guint8 * in, RgTimeIndexEntry * entry)
{
  entry->timestamp = (gint64) read_be64 (in);
  entry->relative_offset = read_be32 (in + 8);
}

gssize
rg_index_lookup (const guint8 * data, gsize len, guint32 relative_offset)
{
  gssize lo = 0, hi = len / RG_JOURNAL_INDEX_ENTRY_SIZE;

  /* Invariant: entries below lo are <= the target, entries from hi on are
   * larger. */
  while (lo < hi) {
    gssize mid = lo + (hi - lo) / 2;
    guint32 rel = read_be32 (data + mid * RG_JOURNAL_INDEX_ENTRY_SIZE);

    if (rel <= relative_offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - 1;
}

gssize
rg_time_index_lookup_below (const guint8 * data, gsize len, gint64 timestamp)
{
  gssize lo = 0, hi = len / RG_JOURNAL_TIMEINDEX_ENTRY_SIZE;

  while (lo < hi) {
    gssize mid = lo + (hi - lo) / 2;
    gint64 ts = (gint64) read_be64 (data +
        mid * RG_JOURNAL_TIMEINDEX_ENTRY_SIZE);

    if (ts < timestamp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - 1;
}

GBytes *
rg_journal_read_index (const gchar * path, gsize entry_size, GError ** error)
{
  GError *err = NULL;
  gchar *contents;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &err)) {
    if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_error_free (err);
      return g_bytes_new (NULL, 0);
    }
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
        "Cannot read index %s: %s", path, err->message);
    g_error_free (err);
    return NULL;
  }
  return g_bytes_new_take (contents, len - len % entry_size);
}

/* ---- Batches ---- */

gsize
rg_journal_check_batch (const guint8 * data, gsize len,
    guint64 expected_offset, gboolean check_crc, RgBatchInfo * info,
    GError ** error)
{
  RgBatchInfo local;
  gsize size;

  if (info == NULL)
    info = &local;
  if (check_crc) {
    size = rg_batch_validate (data, len, info, error);
    if (size == 0)
      return 0;
  } else {
    if (!rg_batch_parse_header (data, len, info, error))
      return 0;
    size = RG_BATCH_LOG_OVERHEAD + (gsize) info->batch_length;
    if (size > len) {
      g_set_error (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED,
          "batch of %" G_GSIZE_FORMAT " bytes but only %" G_GSIZE_FORMAT
          " bytes left", size, len);
      return 0;
    }
  }
  if ((guint64) info->base_offset != expected_offset) {
    g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT,
        "batch base offset %" G_GINT64_FORMAT " where offset %"
        G_GUINT64_FORMAT " should follow", info->base_offset, expected_offset);
    return 0;
  }
  return size;
}

gboolean
rg_journal_batch_is_truncated (const GError * error)
{
  return g_error_matches (error, RG_BATCH_ERROR, RG_BATCH_ERROR_TRUNCATED);
}

gsize
rg_index_sane_entries (const guint8 * data, gsize len, gboolean strict,
    guint64 log_size)
{
  gsize n = len / RG_JOURNAL_INDEX_ENTRY_SIZE, i;
  RgIndexEntry prev = { 0, 0 }, e;

  for (i = 0; i < n; i++) {
    rg_index_entry_read (data + i * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    if (e.position >= log_size)
      return i;
    if (i > 0 && (e.relative_offset <= prev.relative_offset
            || e.position < prev.position
            || (strict && e.position == prev.position)))
      return i;
    prev = e;
  }
  return n;
}

/* ---- The damage rule ---- */

/* A batch at @position that is whole, CRC-valid and continues the offsets
 * from @expected_offset. The cheap header checks go first: this runs at
 * every byte of a damaged range. */
static gboolean
batch_resumes_at (const guint8 * data, gsize len, gsize position,
    guint64 expected_offset, RgBatchInfo * info)
{
  const guint8 *p = data + position;

  if (len - position < RG_BATCH_HEADER_SIZE || p[16] != 2)
    return FALSE;
  if (!rg_batch_parse_header (p, len - position, info, NULL)
      || info->base_offset < 0
      || (guint64) info->base_offset < expected_offset
      || RG_BATCH_LOG_OVERHEAD + (guint64) info->batch_length >
      len - position)
    return FALSE;
  return rg_batch_validate (p, len - position, info, NULL) > 0;
}

gsize
rg_journal_find_resume (const guint8 * data, gsize len, gsize bad_position,
    guint64 expected_offset, RgBatchInfo * resume)
{
  RgBatchInfo local, bad;
  gsize pos;

  if (resume == NULL)
    resume = &local;
  if (bad_position >= len)
    return len;
  /* The usual case, a few flipped bits inside one batch: its length still
   * leads to the next batch. */
  if (rg_batch_parse_header (data + bad_position, len - bad_position, &bad,
          NULL)) {
    guint64 end = bad_position + RG_BATCH_LOG_OVERHEAD +
        (guint64) bad.batch_length;

    if (end < len && batch_resumes_at (data, len, end, expected_offset,
            resume))
      return end;
  }
  for (pos = bad_position + 1; pos + RG_BATCH_HEADER_SIZE <= len; pos++)
    if (batch_resumes_at (data, len, pos, expected_offset, resume))
      return pos;
  return len;
}

/* ---- Files ---- */

gint
rg_journal_error_from_errno (int errsv)
{
  switch (errsv) {
    case ENOSPC:
    case EFBIG:
#ifdef EDQUOT
    case EDQUOT:
#endif
      return RG_JOURNAL_ERROR_NO_SPACE;
    default:
      return RG_JOURNAL_ERROR_IO;
  }
}

gboolean
rg_journal_fsync_dir (const gchar * dir, GError ** error)
{
  int fd, errsv;

  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    goto open_failed;
  if (fsync (fd) < 0)
    goto fsync_failed;
  close (fd);
  return TRUE;

  /* ERRORS */
open_failed:
  {
    errsv = errno;
    g_set_error (error, RG_JOURNAL_ERROR, rg_journal_error_from_errno (errsv),
        "open(%s) failed: %s", dir, g_strerror (errsv));
    return FALSE;
  }
fsync_failed:
  {
    errsv = errno;
    close (fd);
    g_set_error (error, RG_JOURNAL_ERROR, rg_journal_error_from_errno (errsv),
        "fsync(%s) failed: %s", dir, g_strerror (errsv));
    return FALSE;
  }
}

/* ---- Fault simulation ---- */

static RgJournalSysHooks sys_hooks;

void
rg_journal_set_sys_hooks (const RgJournalSysHooks * hooks)
{
  if (hooks)
    sys_hooks = *hooks;
  else
    memset (&sys_hooks, 0, sizeof (sys_hooks));
}

ssize_t
rg_journal_sys_pwritev (int fd, const struct iovec * iov, int iovcnt,
    off_t offset)
{
  if (G_UNLIKELY (sys_hooks.pwritev))
    return sys_hooks.pwritev (fd, iov, iovcnt, offset);
  return pwritev (fd, iov, iovcnt, offset);
}

int
rg_journal_sys_fdatasync (int fd)
{
  if (G_UNLIKELY (sys_hooks.fdatasync))
    return sys_hooks.fdatasync (fd);
  return fdatasync (fd);
}
