/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
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
 * Durable ingest storage (the interface is rgbrokeringest.h).
 *
 * Layout
 * ------
 * <root>/<topic>/   one journal per ingest topic, in the journal format of
 *                   rgjournal.h (docs/journal-format.md): what rgjournalsink
 *                   writes, so rgsrc, rg-journal and the broker's
 *                   journal-backed topics read it unchanged.
 * The root holds nothing else: at start the broker opens every directory
 * in it whose name is a legal topic name as an ingest topic.
 *
 * Records
 * -------
 * A produced batch is appended as the producer encoded it (CRC-32C
 * checked by the journal, baseOffset set to the offset it gets), so the
 * journal holds the producer's keys, headers and timestamps byte for byte.
 * Such records carry no gst.* envelope headers and no gst.caps; readers
 * treat each as a keyframe whose value is the whole buffer.
 *
 * Acknowledgement
 * ---------------
 * The journal's syncer thread does the group commit: every record written
 * before an fdatasync starts is durable when it returns, however many
 * connections produced them. Its durable function wakes the broker's loop,
 * which asks each parked Produce's partitions whether their end offset is
 * below the durable offset now. The writer is opened with
 * max_pending_bytes 0, so an append never waits for the syncer: the loop
 * thread must not sleep on a disk while other clients wait. (A roll under
 * sync "always" still seals the old segment on the loop thread; the
 * syncer keeps up, so that fdatasync has little left to write.)
 *
 * Log start (DeleteRecords)
 * -------------------------
 * <root>/<topic>/log-start-offset holds the offset a DeleteRecords moved
 * the topic's log start to, as one decimal line: written to
 * log-start-offset.tmp, fsynced, renamed over the old one and the
 * directory fsynced (rg_file_replace()), so a crash leaves the old value or the new one,
 * never a torn one. It is written before any segment is deleted, and the
 * deletion is redone when the journal is opened, so a crash between the
 * two loses nothing it should keep and keeps nothing it should not serve.
 * A checkpoint file rather than a record in the journal (Kafka keeps its
 * log-start-offset-checkpoint file the same way): a record would take an
 * offset of the topic, be served to consumers unless every reader learnt
 * to skip it, and go with its segment when retention deletes it. The
 * journal format knows nothing of the file; the journal's own readers
 * (rgsrc, rg-journal) see every segment still present.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokeringest.h"
#include "broker/rgbrokerstats.h"
#include "journal/rgjournalbatch.h"
#include "journal/rgjournalfiles.h"
#include "kafka/rgkafka.h"
#include "record/rgbatch.h"
#include "util/rgfile.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Longest topic name Kafka accepts (as RG_BROKER_MAX_TOPIC_NAME). */
#define MAX_NAME 249

struct _RgBrokerIngestLog
{
  gchar *dir;
  RgJournalWriter *writer;
  RgWaker *waker;
  gboolean waits;               /* the sync policy makes acks wait */
  guint64 log_start;            /* the checkpoint's offset, 0 if none */
};

/* The log start checkpoint of a topic's journal (see the top). */
#define LOG_START_NAME "log-start-offset"

gboolean
rg_broker_ingest_name_valid (const gchar * name, gssize len)
{
  gssize i;

  if (len < 0)
    len = name ? strlen (name) : 0;
  if (len <= 0 || len > MAX_NAME)
    return FALSE;
  for (i = 0; i < len; i++) {
    gchar c = name[i];

    if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return !(len <= 2 && name[0] == '.' && (len == 1 || name[1] == '.'));
}

gchar *
rg_broker_ingest_dir (const gchar * root, const gchar * name)
{
  return g_build_filename (root, name, NULL);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

GPtrArray *
rg_broker_ingest_scan (const gchar * root)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (root, 0, NULL);
  const gchar *entry;

  if (!dir)
    return names;
  while ((entry = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (root, entry, NULL);

    if (rg_broker_ingest_name_valid (entry, -1)
        && g_file_test (path, G_FILE_TEST_IS_DIR))
      g_ptr_array_add (names, g_strdup (entry));
    else
      GST_WARNING ("ingest directory %s: ignoring \"%s\" (not a topic's "
          "journal directory)", root, entry);
    g_free (path);
  }
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* Removes the files of one directory level, then the directory. */
static gboolean
remove_dir (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *entry;
  gboolean ok = TRUE;

  if (!dir)
    return FALSE;
  while ((entry = g_dir_read_name (dir))) {
    gchar *file = g_build_filename (path, entry, NULL);

    if (g_unlink (file) < 0)
      ok = FALSE;
    g_free (file);
  }
  g_dir_close (dir);
  return g_rmdir (path) == 0 && ok;
}

gboolean
rg_broker_ingest_remove (const gchar * root, const gchar * name,
    GError ** error)
{
  gchar *dir = rg_broker_ingest_dir (root, name);
  gchar *trash_name = g_strdup_printf ("~deleted~%s~%" G_GINT64_FORMAT,
      name, g_get_real_time ());
  gchar *trash = g_build_filename (root, trash_name, NULL);
  gboolean ok = TRUE;

  /* The rename is the deletion: atomic, and the scan at start never takes
   * a name with '~' for a topic, even if the process dies before the
   * files are gone. A journal still open keeps writing to its unlinked
   * files until its last reader lets go. */
  if (g_rename (dir, trash) < 0) {
    int errsv = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
        "Could not remove the ingest journal \"%s\": %s", dir,
        g_strerror (errsv));
    ok = FALSE;
  } else if (!remove_dir (trash)) {
    GST_WARNING ("ingest journal of deleted topic \"%s\": could not remove "
        "all of %s", name, trash);
  }
  g_free (trash);
  g_free (trash_name);
  g_free (dir);
  return ok;
}

/* The journal's durable function: from its syncer, with its lock held. */
static void
durable_moved (gpointer data)
{
  RgBrokerIngestLog *log = data;

  rg_waker_wake (log->waker);
}

/* Reads the checkpoint of @dir into @offset (0 when there is none). A
 * file that is not one decimal line is an error: serving records that a
 * client deleted would be worse than not opening the topic. */
static gboolean
read_log_start (const gchar * dir, guint64 * offset, GError ** error)
{
  gchar *path = g_build_filename (dir, LOG_START_NAME, NULL);
  gchar *text = NULL, *end = NULL;
  GError *read_error = NULL;
  gboolean ok = TRUE;

  *offset = 0;
  if (!g_file_get_contents (path, &text, NULL, &read_error)) {
    ok = g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    if (!ok)
      g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_IO,
          "%s", read_error->message);
    g_clear_error (&read_error);
  } else {
    *offset = g_ascii_strtoull (text, &end, 10);
    if (end == text || (*end != '\n' && *end != '\0')) {
      g_set_error (error, RG_JOURNAL_ERROR, RG_JOURNAL_ERROR_CORRUPT,
          "%s: not a log start offset", path);
      ok = FALSE;
    }
  }
  g_free (text);
  g_free (path);
  return ok;
}

gboolean
rg_broker_ingest_log_set_log_start (RgBrokerIngestLog * log, guint64 offset,
    GError ** error)
{
  gchar *path, *text;
  gboolean ok;

  if (offset <= log->log_start)
    return TRUE;
  path = g_build_filename (log->dir, LOG_START_NAME, NULL);
  text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", offset);
  ok = rg_file_replace (path, text, strlen (text), error);
  if (ok) {
    log->log_start = offset;
    rg_journal_writer_set_log_start (log->writer, offset);
  }
  g_free (text);
  g_free (path);
  return ok;
}

guint64
rg_broker_ingest_log_get_log_start (RgBrokerIngestLog * log)
{
  return log->log_start;
}

RgBrokerIngestLog *
rg_broker_ingest_log_open (const gchar * dir, const RgJournalConfig * config,
    RgWaker * waker, GError ** error)
{
  RgJournalConfig c = *config;
  RgBrokerIngestLog *log;
  RgJournalWriter *writer;

  c.max_pending_bytes = 0;
  writer = rg_journal_writer_open (dir, &c, error);
  if (!writer)
    return NULL;
  log = g_new0 (RgBrokerIngestLog, 1);
  log->dir = g_strdup (dir);
  log->writer = writer;
  log->waker = rg_waker_ref (waker);
  log->waits = c.sync != RG_JOURNAL_SYNC_NONE;
  rg_journal_writer_set_durable_func (writer, durable_moved, log);
  if (!read_log_start (dir, &log->log_start, error)) {
    rg_broker_ingest_log_close (log);
    return NULL;
  }
  /* Redone here: a crash may have come between the checkpoint and the
   * deletion. */
  if (log->log_start > 0)
    rg_journal_writer_set_log_start (writer, log->log_start);
  return log;
}

void
rg_broker_ingest_log_set_limits (RgBrokerIngestLog * log,
    const RgJournalConfig * config)
{
  rg_journal_writer_set_limits (log->writer, config);
}

void
rg_broker_ingest_log_close (RgBrokerIngestLog * log)
{
  GError *error = NULL;

  if (!log)
    return;
  rg_journal_writer_set_durable_func (log->writer, NULL, NULL);
  if (!rg_journal_writer_close (log->writer, &error)) {
    GST_ERROR ("closing an ingest journal: %s", error->message);
    g_clear_error (&error);
  }
  rg_waker_unref (log->waker);
  g_free (log->dir);
  g_free (log);
}

RgJournalTail *
rg_broker_ingest_log_get_tail (RgBrokerIngestLog * log)
{
  return rg_journal_writer_get_tail (log->writer);
}

gint16
rg_broker_ingest_log_append (RgBrokerIngestLog * log, const guint8 * records,
    gsize len, gint64 * base_offset, guint64 * end_offset,
    guint64 * n_records)
{
  gsize pos = 0;

  *base_offset = -1;
  *n_records = 0;
  while (pos < len) {
    RgBatchInfo info;
    GError *error = NULL;
    guint64 offset;
    gsize size;

    /* The caller validated the set: this only finds the batch's end (and
     * the journal checks the batch again). */
    if (!rg_batch_parse_header (records + pos, len - pos, &info, NULL)
        || (size = RG_BATCH_LOG_OVERHEAD + info.batch_length) > len - pos)
      return RG_KAFKA_CORRUPT_MESSAGE;
    if (!rg_journal_writer_append_batch (log->writer, records + pos, size,
            &offset, &error)) {
      GST_ERROR ("ingest journal: %s", error->message);
      g_clear_error (&error);
      *base_offset = -1;
      return RG_KAFKA_KAFKA_STORAGE_ERROR;
    }
    if (*base_offset < 0)
      *base_offset = (gint64) offset;
    *n_records += (guint64) info.last_offset_delta + 1;
    pos += size;
  }
  *end_offset = rg_journal_writer_get_next_offset (log->writer);
  return RG_KAFKA_NONE;
}

RgBrokerIngestState
rg_broker_ingest_log_state (RgBrokerIngestLog * log, guint64 end_offset)
{
  if (rg_journal_writer_is_failed (log->writer))
    return RG_BROKER_INGEST_FAILED;
  if (!log->waits
      || rg_journal_writer_get_durable_offset (log->writer) >= end_offset)
    return RG_BROKER_INGEST_DURABLE;
  return RG_BROKER_INGEST_PENDING;
}

guint64
rg_broker_ingest_log_get_next_offset (RgBrokerIngestLog * log)
{
  return rg_journal_writer_get_next_offset (log->writer);
}

guint64
rg_broker_ingest_log_get_durable_offset (RgBrokerIngestLog * log)
{
  return rg_journal_writer_get_durable_offset (log->writer);
}

void
rg_broker_ingest_log_foreach_producer_batch (RgBrokerIngestLog * log,
    RgBrokerIngestBatchFunc func, gpointer user_data)
{
  GArray *bases = rg_journal_list_segments (log->dir, NULL);
  GMappedFile *file = NULL;
  const guint8 *data;
  gchar *path;
  gsize len, pos = 0;
  RgBatchInfo info;

  if (bases && bases->len > 0) {
    path = rg_journal_file_path (log->dir,
        g_array_index (bases, guint64, bases->len - 1), RG_JOURNAL_FILE_LOG);
    file = g_mapped_file_new (path, FALSE, NULL);
    g_free (path);
  }
  if (bases)
    g_array_unref (bases);
  if (!file)
    return;
  /* The writer recovered the segment when it opened it: every batch up
   * to its end is whole and valid. */
  data = (const guint8 *) g_mapped_file_get_contents (file);
  len = g_mapped_file_get_length (file);
  while (pos < len && rg_batch_parse_header (data + pos, len - pos, &info,
          NULL)) {
    if (info.producer_id >= 0)
      func (&info, user_data);
    pos += RG_BATCH_LOG_OVERHEAD + (gsize) info.batch_length;
  }
  g_mapped_file_unref (file);
}

void
rg_broker_ingest_log_get_stats (RgBrokerIngestLog * log,
    RgJournalStats * stats)
{
  rg_journal_writer_get_stats (log->writer, stats);
}
