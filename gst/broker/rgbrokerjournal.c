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
 * Journal-backed topic storage: the records are the batches of a journal
 * directory (rgjournal.h) that a writer in this process, or another one,
 * appends to. Fetch responses reference byte ranges of the segment files,
 * which the broker sends with sendfile(): the batches go from the page
 * cache to the socket untouched.
 *
 * The high watermark is the end of the last batch of the newest segment
 * that is complete and valid, so a client never gets a half-written batch.
 * When the writer is in this process (rgbrokersink's own journal), its
 * RgJournalTail says where that is: the broker neither lists the directory
 * (except when the tail's generation says segments came or went) nor reads
 * the new batches, which the writer produced itself. Without a tail, or
 * once the writer has closed, the scan walks new batches once, checking
 * size, offset continuity and CRC-32C (a batch the writer is still writing
 * fails the CRC and is looked at again later), and the directory is listed
 * at every look. Older segments are closed and complete. The log start
 * is the oldest segment's base offset; retention may delete segments at any
 * time, and an open descriptor keeps a deleted segment readable for the
 * responses that still reference it.
 *
 * A fetch finds its first batch through a cache of positions where earlier
 * fetches ended (consumers read sequentially), else the sparse .index, then
 * walks batch headers with pread(). One fetch returns batches of one
 * segment, as Kafka does.
 *
 * Thread-safety: every function is called with the topic's lock held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerjournal.h"
#include "kafka/rgkafka.h"
#include "record/rgbatch.h"
#include "journal/rgjournal.h"
#include "journal/rgjournalreader.h"
#include "journal/rgjournalfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Positions remembered for sequential consumers. */
#define N_HINTS 64

typedef struct
{
  atomic_int ref;
  guint64 base;
  int fd;
} RgBrokerSegment;

typedef struct
{
  guint64 offset;
  guint64 base;
  guint64 position;
} PositionHint;

struct _RgBrokerJournal
{
  gchar *dir;
  /* Open segments, ascending base offset: the listing of the directory at
   * the latest refresh. */
  GPtrArray *segments;

  /* Scan of the newest segment. */
  guint64 scan_base;
  guint64 scan_position;
  guint64 high_watermark;
  gboolean scanned_any;

  /* The in-process writer's tail, or NULL; and the generation the
   * segment listing was made for. */
  RgJournalTail *tail;
  guint64 listed_generation;
  gboolean listed;

  PositionHint hints[N_HINTS];
  guint next_hint;

  /* DeleteRecords' log start (rg_broker_journal_set_log_start()): the
   * files may still hold records below it, in a segment that also holds
   * records above. */
  guint64 log_start;

  GByteArray *scratch;
};

static void
segment_unref (gpointer data)
{
  RgBrokerSegment *seg = data;

  if (atomic_fetch_sub_explicit (&seg->ref, 1, memory_order_acq_rel) != 1)
    return;
  close (seg->fd);
  g_free (seg);
}

static RgBrokerSegment *
segment_ref (RgBrokerSegment * seg)
{
  atomic_fetch_add_explicit (&seg->ref, 1, memory_order_relaxed);
  return seg;
}

static RgBrokerSegment *
segment_open (const gchar * dir, guint64 base)
{
  gchar *path = rg_journal_file_path (dir, base, RG_JOURNAL_FILE_LOG);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  RgBrokerSegment *seg;

  g_free (path);
  if (fd < 0)
    return NULL;
  seg = g_new0 (RgBrokerSegment, 1);
  atomic_init (&seg->ref, 1);
  seg->base = base;
  seg->fd = fd;
  return seg;
}

RgBrokerJournal *
rg_broker_journal_new (const gchar * dir, RgJournalTail * tail)
{
  RgBrokerJournal *j = g_new0 (RgBrokerJournal, 1);

  j->dir = g_strdup (dir);
  j->tail = tail ? rg_journal_tail_ref (tail) : NULL;
  j->segments = g_ptr_array_new_with_free_func (segment_unref);
  j->scratch = g_byte_array_new ();
  return j;
}

void
rg_broker_journal_watch (RgBrokerJournal * j, RgJournalTailFunc func,
    gpointer user_data)
{
  if (j->tail)
    rg_journal_tail_set_notify (j->tail, func, user_data);
}

gboolean
rg_broker_journal_needs_poll (RgBrokerJournal * j)
{
  RgJournalTailInfo t;

  return j->tail == NULL || !rg_journal_tail_read (j->tail, &t);
}

void
rg_broker_journal_free (RgBrokerJournal * j)
{
  if (!j)
    return;
  g_ptr_array_unref (j->segments);
  g_byte_array_unref (j->scratch);
  if (j->tail) {
    rg_journal_tail_set_notify (j->tail, NULL, NULL);
    rg_journal_tail_unref (j->tail);
  }
  g_free (j->dir);
  g_free (j);
}

/* Re-reads the directory listing: opens new segments, drops deleted ones
 * (responses keep their own references). */
static void
journal_refresh_segments (RgBrokerJournal * j)
{
  GArray *bases = rg_journal_list_segments (j->dir, NULL);
  GPtrArray *now = g_ptr_array_new_with_free_func (segment_unref);
  guint i, k = 0;

  for (i = 0; bases && i < bases->len; i++) {
    guint64 base = g_array_index (bases, guint64, i);
    RgBrokerSegment *seg = NULL;

    while (k < j->segments->len &&
        ((RgBrokerSegment *) g_ptr_array_index (j->segments, k))->base < base)
      k++;
    if (k < j->segments->len &&
        ((RgBrokerSegment *) g_ptr_array_index (j->segments, k))->base == base)
      seg = segment_ref (g_ptr_array_index (j->segments, k));
    else
      seg = segment_open (j->dir, base);
    if (seg)
      g_ptr_array_add (now, seg);
  }
  if (bases)
    g_array_unref (bases);
  g_ptr_array_unref (j->segments);
  j->segments = now;
}

static gboolean
read_header (int fd, guint64 position, RgBatchInfo * info)
{
  guint8 header[RG_BATCH_HEADER_SIZE];
  ssize_t n = pread (fd, header, sizeof (header), position);

  if (n != (ssize_t) sizeof (header))
    return FALSE;
  return rg_batch_parse_header (header, sizeof (header), info, NULL);
}

/* Validates the batch at @position fully (size, continuity, CRC). */
static gsize
check_batch (RgBrokerJournal * j, int fd, guint64 position,
    guint64 expected_offset, RgBatchInfo * info)
{
  gsize size;
  ssize_t n;

  if (!read_header (fd, position, info)
      || (guint64) info->base_offset != expected_offset)
    return 0;
  size = RG_BATCH_LOG_OVERHEAD + (gsize) info->batch_length;
  g_byte_array_set_size (j->scratch, size);
  n = pread (fd, j->scratch->data, size, position);
  if (n != (ssize_t) size)
    return 0;
  return rg_batch_validate (j->scratch->data, size, NULL, NULL);
}

/* Moves the high watermark over the complete, valid batches appended to
 * the newest segment since the last scan. */
static void
journal_scan (RgBrokerJournal * j)
{
  RgBrokerSegment *newest;
  RgBatchInfo info;
  gsize size;

  if (j->segments->len == 0)
    return;
  newest = g_ptr_array_index (j->segments, j->segments->len - 1);
  if (!j->scanned_any || newest->base != j->scan_base) {
    /* A new segment: the one before it is complete. */
    j->scan_base = newest->base;
    j->scan_position = 0;
    j->high_watermark = newest->base;
    j->scanned_any = TRUE;
  }
  while ((size = check_batch (j, newest->fd, j->scan_position,
              j->high_watermark, &info)) > 0) {
    j->scan_position += size;
    j->high_watermark = info.base_offset + info.last_offset_delta + 1;
  }
}

/* Takes the high watermark from the in-process writer's tail. Returns
 * FALSE when the listing does not show the tail's segment (it raced a
 * roll), for the caller to look at the files instead. */
static gboolean
journal_follow_tail (RgBrokerJournal * j, const RgJournalTailInfo * t)
{
  RgBrokerSegment *newest;

  if (!j->listed || t->generation != j->listed_generation) {
    journal_refresh_segments (j);
    j->listed = TRUE;
    j->listed_generation = t->generation;
  }
  newest = j->segments->len > 0 ?
      g_ptr_array_index (j->segments, j->segments->len - 1) : NULL;
  if (newest == NULL || newest->base != t->segment_base) {
    j->listed = FALSE;
    return FALSE;
  }
  /* A scan of the files (while the listing raced a roll) may have got
   * further than the tail published so far: the watermark never goes
   * back. */
  if (j->scanned_any && j->scan_base == t->segment_base
      && j->scan_position > t->position)
    return TRUE;
  j->scan_base = t->segment_base;
  j->scan_position = t->position;
  j->high_watermark = t->next_offset;
  j->scanned_any = TRUE;
  return TRUE;
}

void
rg_broker_journal_range (RgBrokerJournal * j, guint64 * log_start,
    guint64 * high_watermark)
{
  RgJournalTailInfo t;

  if (!j->tail || !rg_journal_tail_read (j->tail, &t)
      || !journal_follow_tail (j, &t)) {
    journal_refresh_segments (j);
    journal_scan (j);
  }
  if (j->segments->len == 0) {
    *log_start = *high_watermark = j->high_watermark;
    return;
  }
  *log_start = ((RgBrokerSegment *) g_ptr_array_index (j->segments, 0))->base;
  *log_start = MIN (MAX (*log_start, j->log_start), j->high_watermark);
  *high_watermark = j->high_watermark;
}

void
rg_broker_journal_set_log_start (RgBrokerJournal * j, guint64 offset)
{
  j->log_start = MAX (j->log_start, offset);
}

static RgBrokerSegment *
find_segment (RgBrokerJournal * j, guint64 offset)
{
  RgBrokerSegment *found = NULL;
  guint i;

  for (i = 0; i < j->segments->len; i++) {
    RgBrokerSegment *seg = g_ptr_array_index (j->segments, i);

    if (seg->base > offset)
      break;
    found = seg;
  }
  return found;
}

/* A position at or before the batch holding @offset in @seg. */
static guint64
find_start_position (RgBrokerJournal * j, RgBrokerSegment * seg,
    guint64 offset)
{
  gchar *path;
  GBytes *index;
  gssize entry;
  guint i;

  for (i = 0; i < N_HINTS; i++)
    if (j->hints[i].base == seg->base && j->hints[i].offset == offset
        && j->hints[i].position > 0)
      return j->hints[i].position;

  path = rg_journal_file_path (j->dir, seg->base, RG_JOURNAL_FILE_INDEX);
  index = rg_journal_read_index (path, RG_JOURNAL_INDEX_ENTRY_SIZE, NULL);
  g_free (path);
  if (!index)
    return 0;
  /* An entry names the last offset of the batch at its position: the
   * last entry below @offset is a batch that ends before it. */
  entry = offset > seg->base ? rg_index_lookup (g_bytes_get_data (index,
          NULL), g_bytes_get_size (index), offset - seg->base - 1) : -1;
  if (entry >= 0) {
    RgIndexEntry e;

    rg_index_entry_read ((const guint8 *) g_bytes_get_data (index, NULL) +
        entry * RG_JOURNAL_INDEX_ENTRY_SIZE, &e);
    g_bytes_unref (index);
    return e.position;
  }
  g_bytes_unref (index);
  return 0;
}

static void
remember_position (RgBrokerJournal * j, guint64 base, guint64 offset,
    guint64 position)
{
  PositionHint *h = &j->hints[j->next_hint++ % N_HINTS];

  h->base = base;
  h->offset = offset;
  h->position = position;
}

static void
add_file_ref (GArray * refs, RgBrokerSegment * seg, guint64 position,
    gsize length)
{
  RgKafkaRecordsRef ref = { 0, };

  ref.type = RG_KAFKA_SEGMENT_FILE;
  ref.fd = seg->fd;
  ref.offset = position;
  ref.length = length;
  ref.notify = segment_unref;
  ref.user_data = segment_ref (seg);
  g_array_append_val (refs, ref);
}

void
rg_broker_journal_collect (RgBrokerJournal * j, gint64 fetch_offset,
    guint64 until, gsize max_bytes, gboolean first_whole, GArray * refs,
    RgBrokerCollect * result)
{
  guint64 start, hw, position, run_start = 0, end_offset;
  RgBrokerSegment *seg;
  gboolean newest;
  RgBatchInfo info;

  rg_broker_journal_range (j, &start, &hw);
  result->high_watermark = hw;
  result->log_start_offset = start;
  if (fetch_offset < (gint64) start || fetch_offset > (gint64) hw) {
    result->error_code = RG_KAFKA_OFFSET_OUT_OF_RANGE;
    return;
  }
  if ((guint64) fetch_offset == hw)
    return;

  seg = find_segment (j, fetch_offset);
  if (!seg)
    return;
  newest = seg->base == j->scan_base;
  position = find_start_position (j, seg, fetch_offset);

  /* Skip the batches that end before the fetch offset. */
  while (read_header (seg->fd, position, &info)
      && (guint64) (info.base_offset + info.last_offset_delta) <
      (guint64) fetch_offset)
    position += RG_BATCH_LOG_OVERHEAD + info.batch_length;

  run_start = position;
  end_offset = fetch_offset;
  while ((!newest || position < j->scan_position)
      && read_header (seg->fd, position, &info)
      && (guint64) info.base_offset < MIN (hw, until)) {
    gsize size = RG_BATCH_LOG_OVERHEAD + info.batch_length;

    if (result->bytes + size > max_bytes
        && !(first_whole && result->bytes == 0))
      break;
    result->bytes += size;
    result->records += info.last_offset_delta + 1;
    position += size;
    end_offset = info.base_offset + info.last_offset_delta + 1;
  }
  if (result->bytes > 0) {
    /* Consecutive batches are one range: one sendfile() sends them all. */
    add_file_ref (refs, seg, run_start, result->bytes);
    remember_position (j, seg->base, end_offset, position);
  }
  result->next_offset = end_offset;
}

void
rg_broker_journal_list_offset (RgBrokerJournal * j, gint64 timestamp,
    gint64 * offset, gint64 * found_timestamp)
{
  guint64 start, hw;
  RgJournalReader *reader;
  RgJournalRecord record = { 0, };

  rg_broker_journal_range (j, &start, &hw);
  *offset = -1;
  *found_timestamp = -1;
  if (timestamp == -1) {
    *offset = hw;
    return;
  }
  if (timestamp == -2) {
    *offset = start;
    return;
  }
  reader = rg_journal_reader_open (j->dir, NULL);
  if (!reader)
    return;
  if (rg_journal_reader_seek_timestamp (reader, timestamp, FALSE, NULL)
      && rg_journal_reader_next (reader, &record, FALSE, -1, NULL) ==
      RG_JOURNAL_READ_OK && record.offset < hw) {
    *offset = MAX (record.offset, start);
    *found_timestamp = record.timestamp;
  }
  rg_journal_record_clear (&record);
  rg_journal_reader_free (reader);
}
