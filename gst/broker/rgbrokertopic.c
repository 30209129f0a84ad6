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
 * Topic storage of the embedded broker: an in-memory ring of the latest
 * records of one partition (the interface is rgbrokertopic.h). A topic
 * knows nothing of the loop or the connections above it: appends wake the
 * loop through the RgWaker the topic was created with (rgloop.h).
 *
 * Every record is one RecordBatch v2, encoded once at append by rgbatch's
 * encoder and kept as a list of iovecs: the batch header, record framing
 * and envelope headers in one small block the record owns, the value as
 * the GstBuffer's own memory (the buffer kept referenced, each GstMemory
 * mapped for reading while a record holds it). A GstMemory is mapped once
 * however many records hold it: its lock counts concurrent maps in 8 bits,
 * so a source that pushes one memory in more than 255 buffers (a still
 * image, a test pattern) would fail to map if every record mapped it.
 * Records share one RgBrokerMapping per memory, looked up by address in a
 * process-wide table (memories can be shared between topics, too). A Fetch
 * response references those iovecs (RgKafkaRecordsRef, one record
 * reference each), so a batch goes to the socket with writev() from the
 * buffer's memory and is never copied. Records are refcounted with C11
 * atomics: the ring holds one reference, every response that contains the
 * record another, so a record dropped from the ring while a slow client is
 * still being sent it stays valid until that response is freed.
 *
 * Offsets are dense: the ring holds [log start, high watermark), record o
 * at slot o % capacity. The ring is guarded by a pthread mutex held only
 * to insert, drop or reference records, never across I/O.
 *
 * Ingest topics (created when a client produces into a name no pipeline
 * owns) keep produced batches instead: each ring entry is one whole batch
 * as the producer sent it (validated, its baseOffset patched to the offset
 * it got; the CRC does not cover baseOffset, so the batch stays valid),
 * spanning lastOffsetDelta + 1 offsets. A batch stays in the connection's
 * input chunk it was read into (rgbrokerchunk.h), referenced, its
 * baseOffset written there in place, and a Fetch sends it from that
 * memory: the payload is never copied. Only a batch small against its
 * chunk (under 1/RG_BROKER_CHUNK_PIN_RATIO of it) is copied, so that a
 * few small batches cannot pin many large chunks; so are batches that
 * come from elsewhere (converted message sets, control batches).
 * Their slots are counted by batch
 * (seq_start, seq_next), and a fetch offset is found by binary search.
 * A durable ingest topic (the broker has an ingest directory) writes them
 * to its own journal instead (rgbrokeringest.h) and is read back like any
 * journal-backed topic.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokertopic.h"
#include "broker/rgbrokerstats.h"
#include "journal/rgjournalwatch.h"
#include "record/rgbatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Here, in the lowest file that uses them: the error domain rgbroker.h
 * declares, and the debug category of the broker's files (initialised by
 * rg_broker_acquire(), before any topic exists). */
G_DEFINE_QUARK (rg-broker-error-quark, rg_broker_error);
GST_DEBUG_CATEGORY (rg_broker_debug);

typedef struct
{
  atomic_int ref;
  guint64 offset;
  gint64 timestamp;
  GstBuffer *buffer;
  struct _RgBrokerMapping **maps;
  guint n_maps;
  guint8 *owned;
  /* A produced batch kept where the connection read it: the chunk it
   * lies in (referenced), its one iovec in iov_one. */
  RgBrokerChunk *chunk;
  struct iovec iov_one;
  struct iovec *iov;
  guint n_iov;
  gsize size;
  gboolean keyframe;
  /* Offsets the record spans: 1, or a produced batch's record count. */
  guint64 n_offsets;
} RgBrokerRecord;

struct _RgBrokerTopic
{
  atomic_int ref;
  RgWaker *waker;
  gchar *name;

  pthread_mutex_t lock;
  RgBrokerRecord **ring;
  guint capacity;
  guint64 start;
  guint64 next;
  atomic_bool detached;
  /* Journal-backed topics: the records are the journal's batches. The
   * hot tail (rg_broker_topic_keep_hot()) keeps the latest batches the
   * in-process writer appended, each an RgBrokerRecord holding its
   * buffer: slots [hot_start, hot_next) of hot, counted by batch, with
   * consecutive offsets. */
  RgBrokerJournal *journal;
  RgBrokerRecord **hot;
  guint hot_capacity;
  guint64 hot_start;
  guint64 hot_next;
  /* "<name>.live" and its lag budget, set once by rg_broker_topic_set_live()
   * before the name is published in the broker's table. */
  gchar *live_name;
  atomic_uint live_lag;
  /* Ingest topics: ring slots are batches [seq_start, seq_next); only the
   * broker's loop thread appends. */
  gboolean ingest;
  /* Durable ingest topics: the journal Produce writes (journal reads it). */
  RgBrokerIngestLog *ingest_log;
  /* The partition of @name it stores; set before it is published. */
  guint partition;
  guint64 seq_start;
  guint64 seq_next;

  /* Used by the appending thread only. */
  RgBatchEncoder *encoder;
  gchar *caps_string;
  gboolean caps_pending;

  atomic_ullong appended;
  atomic_ullong fetches;
  atomic_ullong bytes_served;
  atomic_ullong records_served;
};

/* ---- Shared read maps ---- */

/* One read map of a GstMemory, shared by every record that holds it. */
typedef struct _RgBrokerMapping
{
  GstMemory *memory;
  GstMapInfo info;
  /* Records holding it; under mappings_lock. */
  guint users;
} RgBrokerMapping;

/* GstMemory * -> RgBrokerMapping *. The table holds a reference on each
 * memory, so an address is not reused while its entry exists. */
static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *mappings;

/* Returns the shared read map of @memory (mapping it if no record holds
 * it yet), or NULL when it cannot be mapped. Any thread. */
static RgBrokerMapping *
mapping_acquire (GstMemory * memory)
{
  RgBrokerMapping *m;

  pthread_mutex_lock (&mappings_lock);
  if (!mappings)
    mappings = g_hash_table_new (g_direct_hash, g_direct_equal);
  m = g_hash_table_lookup (mappings, memory);
  if (!m) {
    m = g_new0 (RgBrokerMapping, 1);
    if (!gst_memory_map (memory, &m->info, GST_MAP_READ)) {
      pthread_mutex_unlock (&mappings_lock);
      g_free (m);
      return NULL;
    }
    m->memory = gst_memory_ref (memory);
    g_hash_table_insert (mappings, memory, m);
  }
  m->users++;
  pthread_mutex_unlock (&mappings_lock);
  return m;
}

/* Drops a record's use of @m; the last one unmaps. Any thread. */
static void
mapping_release (RgBrokerMapping * m)
{
  gboolean last;

  pthread_mutex_lock (&mappings_lock);
  last = --m->users == 0;
  if (last)
    g_hash_table_remove (mappings, m->memory);
  pthread_mutex_unlock (&mappings_lock);
  if (!last)
    return;
  /* Outside the lock: a new record of the same memory maps it again
   * meanwhile, which is fine (a second, short-lived map). */
  gst_memory_unmap (m->memory, &m->info);
  gst_memory_unref (m->memory);
  g_free (m);
}

/* ---- Records ---- */

static void
record_unref (gpointer data)
{
  RgBrokerRecord *record = data;
  guint i;

  /* acq_rel: each release orders a thread's use of the record before the
   * decrement, and the last decrement acquires them all before the free
   * (a read-modify-write rather than a separate fence, which
   * ThreadSanitizer does not model). */
  if (atomic_fetch_sub_explicit (&record->ref, 1, memory_order_acq_rel) != 1)
    return;

  for (i = 0; i < record->n_maps; i++)
    mapping_release (record->maps[i]);
  if (record->buffer)
    gst_buffer_unref (record->buffer);
  if (record->chunk)
    rg_broker_chunk_unref (record->chunk);
  g_free (record->maps);
  g_free (record->owned);
  if (record->iov != &record->iov_one)
    g_free (record->iov);
  g_free (record);
}

static RgBrokerRecord *
record_ref (RgBrokerRecord * record)
{
  atomic_fetch_add_explicit (&record->ref, 1, memory_order_relaxed);
  return record;
}

/* Maps every memory of @buffer separately (gst_buffer_map() would merge
 * several memories into a copy) and fills @chunks with the mapped ranges.
 * A memory in the buffer twice is mapped once. */
static gboolean
record_map (RgBrokerRecord * record, GArray * chunks)
{
  guint i, n = gst_buffer_n_memory (record->buffer);

  record->maps = g_new0 (RgBrokerMapping *, MAX (n, 1));
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (record->buffer, i);
    RgBrokerMapping *m = mapping_acquire (mem);
    struct iovec chunk;

    if (!m)
      return FALSE;
    record->maps[record->n_maps++] = m;
    if (m->info.size == 0)
      continue;
    chunk.iov_base = m->info.data;
    chunk.iov_len = m->info.size;
    g_array_append_val (chunks, chunk);
  }
  return TRUE;
}

static gboolean
segment_is_value (const RgBrokerRecord * record, const struct iovec *seg)
{
  guint i;

  for (i = 0; i < record->n_maps; i++) {
    const guint8 *base = record->maps[i]->info.data;
    const guint8 *p = seg->iov_base;

    if (p >= base && p < base + record->maps[i]->info.size)
      return TRUE;
  }
  return FALSE;
}

/* Keeps the encoder's segments: protocol bytes are copied into one block
 * the record owns (consecutive ones merged), value segments keep pointing
 * at the mapped memory. */
static void
record_keep_segments (RgBrokerRecord * record, const struct iovec *segs,
    guint n_segs)
{
  gsize owned_size = 0, pos = 0;
  guint i;

  for (i = 0; i < n_segs; i++)
    if (!segment_is_value (record, &segs[i]))
      owned_size += segs[i].iov_len;

  record->owned = g_malloc (MAX (owned_size, 1));
  record->iov = g_new (struct iovec, n_segs);
  for (i = 0; i < n_segs; i++) {
    struct iovec *last =
        record->n_iov ? &record->iov[record->n_iov - 1] : NULL;

    if (segment_is_value (record, &segs[i])) {
      record->iov[record->n_iov++] = segs[i];
    } else {
      memcpy (record->owned + pos, segs[i].iov_base, segs[i].iov_len);
      if (last && (guint8 *) last->iov_base + last->iov_len ==
          record->owned + pos) {
        last->iov_len += segs[i].iov_len;
      } else {
        record->iov[record->n_iov].iov_base = record->owned + pos;
        record->iov[record->n_iov].iov_len = segs[i].iov_len;
        record->n_iov++;
      }
      pos += segs[i].iov_len;
    }
    record->size += segs[i].iov_len;
  }
}

/* ---- Topic ---- */

RgBrokerTopic *
rg_broker_topic_new (RgWaker * waker, const gchar * name, guint ring_size)
{
  RgBrokerTopic *topic = g_new0 (RgBrokerTopic, 1);

  atomic_init (&topic->ref, 1);
  topic->waker = rg_waker_ref (waker);
  topic->name = g_strdup (name);
  pthread_mutex_init (&topic->lock, NULL);
  topic->capacity = MAX (ring_size, 1);
  topic->ring = g_new0 (RgBrokerRecord *, topic->capacity);
  topic->encoder = rg_batch_encoder_new ();
  return topic;
}

/* Only wakes the loop: rg_broker_topic_notify() also counts an append,
 * which the sink does once per buffer itself. */
static void
tail_moved (gpointer data)
{
  RgBrokerTopic *topic = data;

  rg_waker_wake (topic->waker);
}

RgBrokerTopic *
rg_broker_topic_new_journal (RgWaker * waker, const gchar * name,
    const gchar * dir, RgJournalTail * tail)
{
  RgBrokerTopic *topic = rg_broker_topic_new (waker, name, 1);

  topic->journal = rg_broker_journal_new (dir, tail);
  /* Wakes parked fetches when the writer's own thread flushes small
   * records, which no append notifies. Stopped when the topic is
   * detached (its tail may outlive the broker). */
  rg_broker_journal_watch (topic->journal, tail_moved, topic);
  return topic;
}

RgBrokerTopic *
rg_broker_topic_new_ingest (RgWaker * waker, const gchar * name,
    guint max_batches)
{
  RgBrokerTopic *topic = rg_broker_topic_new (waker, name, max_batches);

  topic->ingest = TRUE;
  return topic;
}

RgBrokerTopic *
rg_broker_topic_new_ingest_journal (RgWaker * waker, const gchar * name,
    const gchar * dir, const RgJournalConfig * config, GError ** error)
{
  RgBrokerIngestLog *log;
  RgJournalTail *tail;
  RgBrokerTopic *topic;

  log = rg_broker_ingest_log_open (dir, config, waker, error);
  if (!log)
    return NULL;
  tail = rg_broker_ingest_log_get_tail (log);
  topic = rg_broker_topic_new_journal (waker, name, dir, tail);
  rg_journal_tail_unref (tail);
  topic->ingest = TRUE;
  topic->ingest_log = log;
  rg_broker_journal_set_log_start (topic->journal,
      rg_broker_ingest_log_get_log_start (log));
  return topic;
}

void
rg_broker_topic_set_partition (RgBrokerTopic * topic, guint partition)
{
  topic->partition = partition;
}

guint
rg_broker_topic_get_partition (RgBrokerTopic * topic)
{
  return topic->partition;
}

gboolean
rg_broker_topic_is_ingest (RgBrokerTopic * topic)
{
  return topic->ingest;
}

/* Checks that @records is a sequence of whole, valid batches; returns how
 * many, or -1. */
static gint
ingest_validate (const guint8 * records, gsize len)
{
  gsize pos = 0;
  gint n = 0;

  while (pos < len) {
    GError *error = NULL;
    RgBatchInfo info;
    gsize size = rg_batch_validate (records + pos, len - pos, &info, &error);

    if (size == 0 || info.last_offset_delta < 0) {
      GST_INFO ("produced batch at byte %" G_GSIZE_FORMAT " refused: %s",
          pos, error ? error->message : "negative lastOffsetDelta");
      g_clear_error (&error);
      return -1;
    }
    pos += size;
    n++;
  }
  return n;
}

/* Whether a batch of @size bytes at @data is kept by reference to
 * @chunk: it lies in it, and the chunk is not much larger than the batch
 * (what a stored batch pins is bounded, see rgbrokerchunk.h). */
static gboolean
ingest_keeps_chunk (RgBrokerChunk * chunk, const guint8 * data, gsize size)
{
  return chunk && rg_broker_chunk_contains (chunk, data, size)
      && size * RG_BROKER_CHUNK_PIN_RATIO >= rg_broker_chunk_get_size (chunk);
}

/* A record of one produced batch, at @offset: the batch where it was read
 * (in @chunk, nullable) when ingest_keeps_chunk() says so, else a copy.
 * Either way its baseOffset is set to @offset. */
static RgBrokerRecord *
ingest_record_new (RgBrokerChunk * chunk, const guint8 * data,
    guint64 offset, RgBatchInfo * info)
{
  RgBrokerRecord *record = g_new0 (RgBrokerRecord, 1);
  guint64 be = GUINT64_TO_BE (offset);
  guint8 *bytes;

  atomic_init (&record->ref, 1);
  record->offset = offset;
  record->size = RG_BATCH_LOG_OVERHEAD + info->batch_length;
  record->n_offsets = (guint64) info->last_offset_delta + 1;
  record->timestamp = info->max_timestamp;
  record->keyframe = TRUE;
  if (ingest_keeps_chunk (chunk, data, record->size)) {
    /* The chunk's bytes are the broker's (rgbrokerchunk.h): the offset is
     * written where the batch was read. */
    record->chunk = rg_broker_chunk_ref (chunk);
    bytes = (guint8 *) data;
  } else {
    record->owned = g_memdup2 (data, record->size);
    bytes = record->owned;
  }
  memcpy (bytes, &be, sizeof (be));
  record->iov = &record->iov_one;
  record->iov[0].iov_base = bytes;
  record->iov[0].iov_len = record->size;
  record->n_iov = 1;
  return record;
}

/* A durable ingest topic's produce: into its journal. */
static gint16
ingest_journal_produce (RgBrokerTopic * topic, const guint8 * records,
    gsize len, gint64 * base_offset, guint64 * ack_offset)
{
  guint64 n_records;
  gint16 code;

  code = rg_broker_ingest_log_append (topic->ingest_log, records, len,
      base_offset, ack_offset, &n_records);
  if (n_records > 0) {
    atomic_fetch_add_explicit (&topic->appended, n_records,
        memory_order_relaxed);
    rg_waker_wake (topic->waker);
  }
  return code;
}

gint16
rg_broker_topic_produce (RgBrokerTopic * topic, const guint8 * records,
    gsize len, gint64 * base_offset)
{
  guint64 ack_offset;

  return rg_broker_topic_produce_durable (topic, records, len, base_offset,
      &ack_offset);
}

RgBrokerIngestState
rg_broker_topic_ack_state (RgBrokerTopic * topic, guint64 ack_offset)
{
  if (!topic->ingest_log || ack_offset == 0)
    return RG_BROKER_INGEST_DURABLE;
  return rg_broker_ingest_log_state (topic->ingest_log, ack_offset);
}

void
rg_broker_topic_foreach_producer_batch (RgBrokerTopic * topic,
    RgBrokerIngestBatchFunc func, gpointer user_data)
{
  if (topic->ingest_log)
    rg_broker_ingest_log_foreach_producer_batch (topic->ingest_log, func,
        user_data);
}

gboolean
rg_broker_topic_set_journal_limits (RgBrokerTopic * topic,
    const RgJournalConfig * config)
{
  if (!topic->ingest_log)
    return FALSE;
  rg_broker_ingest_log_set_limits (topic->ingest_log, config);
  return TRUE;
}

gboolean
rg_broker_topic_get_ingest_stats (RgBrokerTopic * topic,
    RgJournalStats * stats)
{
  if (!topic->ingest_log)
    return FALSE;
  rg_broker_ingest_log_get_stats (topic->ingest_log, stats);
  return TRUE;
}

gint16
rg_broker_topic_produce_durable (RgBrokerTopic * topic,
    const guint8 * records, gsize len, gint64 * base_offset,
    guint64 * ack_offset)
{
  return rg_broker_topic_produce_input (topic, NULL, records, len, FALSE,
      base_offset, ack_offset);
}

gint16
rg_broker_topic_produce_input (RgBrokerTopic * topic, RgBrokerChunk * chunk,
    const guint8 * records, gsize len, gboolean validated,
    gint64 * base_offset, guint64 * ack_offset)
{
  gsize pos = 0;

  *base_offset = -1;
  *ack_offset = 0;
  if (!topic->ingest)
    return RG_KAFKA_INVALID_TOPIC_EXCEPTION;
  if (!validated && ingest_validate (records, len) <= 0)
    return RG_KAFKA_CORRUPT_MESSAGE;
  if (topic->ingest_log)
    return ingest_journal_produce (topic, records, len, base_offset,
        ack_offset);

  while (pos < len) {
    RgBrokerRecord *record, *dropped = NULL;
    RgBatchInfo info;

    /* ingest_validate() has checked every batch, CRC-32C included: only
     * the header is read again here, not the whole batch. */
    rg_batch_parse_header (records + pos, len - pos, &info, NULL);
    pthread_mutex_lock (&topic->lock);
    record = ingest_record_new (chunk, records + pos, topic->next, &info);
    if (*base_offset < 0)
      *base_offset = topic->next;
    if (topic->seq_next - topic->seq_start == topic->capacity) {
      dropped = topic->ring[topic->seq_start % topic->capacity];
      topic->seq_start++;
      topic->start = dropped->offset + dropped->n_offsets;
    }
    topic->ring[topic->seq_next % topic->capacity] = record;
    topic->seq_next++;
    topic->next += record->n_offsets;
    pthread_mutex_unlock (&topic->lock);
    if (dropped)
      record_unref (dropped);
    atomic_fetch_add_explicit (&topic->appended, info.records_count,
        memory_order_relaxed);
    pos += RG_BATCH_LOG_OVERHEAD + info.batch_length;
  }
  rg_waker_wake (topic->waker);
  return RG_KAFKA_NONE;
}

/* DeleteRecords on an in-memory ingest topic: the batches whose records
 * all lie below @offset leave the ring (their memory is released once no
 * response holds them); a batch that straddles @offset stays, and fetches
 * below the log start are refused all the same. Called with the lock
 * held; the dropped records are unreferenced by the caller, unlocked. */
static void
ingest_drop_below_locked (RgBrokerTopic * topic, guint64 offset,
    GPtrArray * dropped)
{
  topic->start = MAX (topic->start, offset);
  while (topic->seq_start < topic->seq_next) {
    RgBrokerRecord *record = topic->ring[topic->seq_start % topic->capacity];

    if (record->offset + record->n_offsets > topic->start)
      break;
    topic->ring[topic->seq_start % topic->capacity] = NULL;
    topic->seq_start++;
    g_ptr_array_add (dropped, record);
  }
}

/* DeleteRecords on a durable ingest topic. The checkpoint is written and
 * the segments deleted without the topic's lock (it is never held across
 * I/O): the loop thread is the journal's only appender, so nothing else
 * moves the log meanwhile, and readers see the new start once it is
 * durable. */
static gint16
ingest_journal_delete_records (RgBrokerTopic * topic, gint64 offset,
    gint64 * low_watermark, GError ** error)
{
  guint64 start, hw;

  pthread_mutex_lock (&topic->lock);
  rg_broker_journal_range (topic->journal, &start, &hw);
  pthread_mutex_unlock (&topic->lock);
  if (offset == -1)
    offset = hw;
  if (offset < 0 || (guint64) offset > hw)
    return RG_KAFKA_OFFSET_OUT_OF_RANGE;
  if (!rg_broker_ingest_log_set_log_start (topic->ingest_log, offset, error))
    return RG_KAFKA_KAFKA_STORAGE_ERROR;
  pthread_mutex_lock (&topic->lock);
  rg_broker_journal_set_log_start (topic->journal, offset);
  rg_broker_journal_range (topic->journal, &start, &hw);
  pthread_mutex_unlock (&topic->lock);
  *low_watermark = start;
  return RG_KAFKA_NONE;
}

gint16
rg_broker_topic_delete_records (RgBrokerTopic * topic, gint64 offset,
    gint64 * low_watermark, GError ** error)
{
  GPtrArray *dropped;
  gint16 code = RG_KAFKA_NONE;

  *low_watermark = -1;
  if (!topic->ingest)
    return RG_KAFKA_POLICY_VIOLATION;
  if (atomic_load (&topic->detached))
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  if (topic->ingest_log)
    return ingest_journal_delete_records (topic, offset, low_watermark,
        error);
  dropped = g_ptr_array_new_with_free_func (record_unref);
  pthread_mutex_lock (&topic->lock);
  if (offset == -1)
    offset = topic->next;
  if (offset < 0 || (guint64) offset > topic->next) {
    code = RG_KAFKA_OFFSET_OUT_OF_RANGE;
  } else {
    ingest_drop_below_locked (topic, offset, dropped);
    *low_watermark = topic->start;
  }
  pthread_mutex_unlock (&topic->lock);
  /* Released unlocked: the last reference frees the batch. */
  g_ptr_array_unref (dropped);
  return code;
}

/* The slot of the batch that holds @offset (start <= offset < next).
 * Called with the lock held. */
static guint64
ingest_find (RgBrokerTopic * topic, gint64 offset)
{
  guint64 lo = topic->seq_start, hi = topic->seq_next - 1;

  while (lo < hi) {
    guint64 mid = lo + (hi - lo + 1) / 2;

    if ((gint64) topic->ring[mid % topic->capacity]->offset <= offset)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

gboolean
rg_broker_topic_is_journal (RgBrokerTopic * topic)
{
  return topic->journal != NULL;
}

void
rg_broker_topic_notify (RgBrokerTopic * topic)
{
  g_return_if_fail (topic != NULL);

  atomic_fetch_add_explicit (&topic->appended, 1, memory_order_relaxed);
  rg_waker_wake (topic->waker);
}

RgBrokerTopic *
rg_broker_topic_ref (RgBrokerTopic * topic)
{
  atomic_fetch_add_explicit (&topic->ref, 1, memory_order_relaxed);
  return topic;
}

void
rg_broker_topic_unref (RgBrokerTopic * topic)
{
  guint64 o;

  /* acq_rel for the same reason as in record_unref(). */
  if (atomic_fetch_sub_explicit (&topic->ref, 1, memory_order_acq_rel) != 1)
    return;

  if (topic->ingest) {
    for (o = topic->seq_start; o < topic->seq_next; o++)
      record_unref (topic->ring[o % topic->capacity]);
  } else {
    for (o = topic->start; o < topic->next; o++)
      record_unref (topic->ring[o % topic->capacity]);
  }
  for (o = topic->hot_start; o < topic->hot_next; o++)
    record_unref (topic->hot[o % topic->hot_capacity]);
  g_free (topic->hot);
  g_free (topic->ring);
  /* The writer first: its close makes everything durable. */
  rg_broker_ingest_log_close (topic->ingest_log);
  rg_broker_journal_free (topic->journal);
  rg_batch_encoder_free (topic->encoder);
  pthread_mutex_destroy (&topic->lock);
  g_free (topic->caps_string);
  g_free (topic->live_name);
  g_free (topic->name);
  rg_waker_unref (topic->waker);
  g_free (topic);
}

const gchar *
rg_broker_topic_set_live (RgBrokerTopic * topic, guint max_lag)
{
  if (!topic->live_name)
    topic->live_name = g_strconcat (topic->name, ".live", NULL);
  atomic_store (&topic->live_lag, max_lag);
  return topic->live_name;
}

guint
rg_broker_topic_get_live_lag (RgBrokerTopic * topic)
{
  return atomic_load (&topic->live_lag);
}

const gchar *
rg_broker_topic_get_live_name (RgBrokerTopic * topic)
{
  return topic->live_name;
}

void
rg_broker_topic_detach (RgBrokerTopic * topic)
{
  atomic_store (&topic->detached, TRUE);
  if (topic->journal)
    rg_broker_journal_watch (topic->journal, NULL, NULL);
}

gboolean
rg_broker_topic_needs_poll (RgBrokerTopic * topic)
{
  return topic->journal != NULL
      && rg_broker_journal_needs_poll (topic->journal);
}

const gchar *
rg_broker_topic_get_name (RgBrokerTopic * topic)
{
  g_return_val_if_fail (topic != NULL, NULL);
  return topic->name;
}

void
rg_broker_topic_set_caps (RgBrokerTopic * topic, GstCaps * caps)
{
  gchar *str;

  g_return_if_fail (topic != NULL);

  str = caps ? gst_caps_to_string (caps) : NULL;
  if (g_strcmp0 (str, topic->caps_string) == 0) {
    g_free (str);
    return;
  }
  g_free (topic->caps_string);
  topic->caps_string = str;
  topic->caps_pending = TRUE;
}

static RgBrokerRecord *
topic_encode (RgBrokerTopic * topic, GstBuffer * buffer, gint64 timestamp,
    GBytes * key, guint64 base_offset, GError ** error)
{
  RgBrokerRecord *record = g_new0 (RgBrokerRecord, 1);
  GArray *chunks = g_array_new (FALSE, FALSE, sizeof (struct iovec));
  gboolean keyframe =
      !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  const struct iovec *segs;
  RgEnvelope envelope;
  RgRecord rec = { 0, };
  guint n_segs;
  gsize key_len = 0;

  atomic_init (&record->ref, 1);
  record->keyframe = keyframe;
  record->buffer = gst_buffer_ref (buffer);
  record->offset = base_offset;
  record->timestamp = timestamp >= 0 ? timestamp :
      rg_envelope_timestamp (buffer, g_get_real_time () / 1000);
  if (!record_map (record, chunks))
    goto map_failed;

  rg_envelope_init (&envelope, buffer, (topic->caps_pending || keyframe) ?
      topic->caps_string : NULL);
  rec.timestamp = record->timestamp;
  rec.key = key ? g_bytes_get_data (key, &key_len) : NULL;
  rec.key_len = key_len;
  /* An empty buffer is an empty value, not a null one. */
  rec.value = chunks->len ? NULL : (const guint8 *) "";
  rec.value_chunks = (const struct iovec *) chunks->data;
  rec.n_value_chunks = chunks->len;
  rec.headers = envelope.headers;
  rec.n_headers = envelope.n_headers;

  rg_batch_encoder_begin (topic->encoder, (gint64) base_offset);
  if (!rg_batch_encoder_add (topic->encoder, &rec, error))
    goto encode_failed;
  segs = rg_batch_encoder_finish (topic->encoder, &n_segs, NULL, NULL);
  record_keep_segments (record, segs, n_segs);
  g_array_unref (chunks);
  topic->caps_pending = FALSE;
  return record;

  /* ERRORS */
map_failed:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_ENCODE,
        "Could not map the memory of a buffer for reading");
    goto fail;
  }
encode_failed:
  {
    g_prefix_error (error, "Could not encode a buffer as a record: ");
    goto fail;
  }
fail:
  {
    g_array_unref (chunks);
    record_unref (record);
    return NULL;
  }
}

gboolean
rg_broker_topic_append (RgBrokerTopic * topic, GstBuffer * buffer,
    gint64 timestamp, GBytes * key, guint64 * offset, GError ** error)
{
  RgBrokerRecord *record, *dropped = NULL;
  guint64 base;

  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (topic->journal == NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  /* Only this (appending) thread changes topic->next. */
  pthread_mutex_lock (&topic->lock);
  base = topic->next;
  pthread_mutex_unlock (&topic->lock);

  record = topic_encode (topic, buffer, timestamp, key, base, error);
  if (!record)
    return FALSE;
  record->n_offsets = 1;

  pthread_mutex_lock (&topic->lock);
  if (topic->next - topic->start == topic->capacity) {
    dropped = topic->ring[topic->start % topic->capacity];
    topic->start++;
  }
  topic->ring[topic->next % topic->capacity] = record;
  topic->next++;
  pthread_mutex_unlock (&topic->lock);

  if (dropped)
    record_unref (dropped);
  atomic_fetch_add_explicit (&topic->appended, 1, memory_order_relaxed);
  if (offset)
    *offset = base;
  rg_waker_wake (topic->waker);
  return TRUE;
}

static void
collect_record (RgBrokerRecord * record, GArray * refs)
{
  guint i;

  for (i = 0; i < record->n_iov; i++) {
    RgKafkaRecordsRef ref = { 0, };

    ref.type = RG_KAFKA_SEGMENT_MEMORY;
    ref.data = record->iov[i].iov_base;
    ref.length = record->iov[i].iov_len;
    ref.fd = -1;
    ref.notify = record_unref;
    ref.user_data = record_ref (record);
    g_array_append_val (refs, ref);
  }
}

/* The .live view's start: @fetch_offset while the consumer is within
 * @live_lag records of the head, else the latest keyframe (a consumer
 * that fell behind, or whose offset left the ring, skips ahead to where
 * it can decode). Called with the lock held. */
static gint64
topic_live_start (RgBrokerTopic * topic, gint64 fetch_offset, guint live_lag)
{
  guint64 o;

  if (fetch_offset >= (gint64) topic->start
      && fetch_offset <= (gint64) topic->next
      && topic->next - fetch_offset <= live_lag)
    return fetch_offset;
  for (o = topic->next; o > topic->start; o--)
    if (topic->ring[(o - 1) % topic->capacity]->keyframe)
      return o - 1;
  /* No keyframe kept: the latest record. */
  return topic->next > topic->start ? (gint64) topic->next - 1 :
      (gint64) topic->next;
}

/* Whole produced batches from the one holding @fetch_offset (clients skip
 * the records before their offset, as with any Kafka broker). Called with
 * the lock held, @fetch_offset within [start, next]. */
static void
ingest_collect (RgBrokerTopic * topic, gint64 fetch_offset, gint64 end_offset,
    gsize max_bytes, gboolean first_whole, GArray * refs,
    RgBrokerCollect * result)
{
  guint64 seq;

  if (fetch_offset == (gint64) topic->next)
    return;
  for (seq = ingest_find (topic, fetch_offset); seq < topic->seq_next; seq++) {
    RgBrokerRecord *record = topic->ring[seq % topic->capacity];
    gboolean fits = result->bytes + record->size <= max_bytes;

    /* Each record is one produced batch (or control batch). */
    if ((gint64) record->offset >= end_offset)
      break;
    if (!fits && !(first_whole && result->bytes == 0))
      break;
    collect_record (record, refs);
    result->bytes += record->size;
    result->records += record->n_offsets;
    result->next_offset = record->offset + record->n_offsets;
  }
}

/* ---- Hot tail of journal-backed topics ---- */

/* The record of one journal batch: the writer's own encoded bytes, the
 * protocol bytes copied (they are small and live in the writer's
 * scratch), the values pointing at the buffer's memory as this topic maps
 * it. The writer mapped the same memories in the same order (@values), so
 * a value segment at some place in the writer's map of memory k is at the
 * same place in the topic's map of memory k. */
static RgBrokerRecord *
hot_record_new (const RgJournalBatch * batch)
{
  RgBrokerRecord *record = g_new0 (RgBrokerRecord, 1);
  GArray *chunks = g_array_new (FALSE, FALSE, sizeof (struct iovec));
  struct iovec *segs = g_memdup2 (batch->segs,
      batch->n_segs * sizeof (struct iovec));
  guint i, k;

  atomic_init (&record->ref, 1);
  record->buffer = gst_buffer_ref (batch->buffers[0]);
  record->offset = batch->base_offset;
  record->n_offsets = batch->n_records;
  if (!record_map (record, chunks) || record->n_maps != batch->n_values) {
    record_unref (record);
    record = NULL;
    goto done;
  }
  for (i = 0; i < batch->n_segs; i++)
    for (k = 0; k < batch->n_values; k++) {
      const guint8 *p = segs[i].iov_base;
      const guint8 *base = batch->values[k].iov_base;

      if (p >= base && p < base + batch->values[k].iov_len) {
        segs[i].iov_base = record->maps[k]->info.data + (p - base);
        break;
      }
    }
  record_keep_segments (record, segs, batch->n_segs);

done:
  g_free (segs);
  g_array_unref (chunks);
  return record;
}

/* Empties the hot tail, handing the records to @dropped. Called with the
 * lock held. */
static void
hot_clear_locked (RgBrokerTopic * topic, GPtrArray * dropped)
{
  for (; topic->hot_start < topic->hot_next; topic->hot_start++)
    g_ptr_array_add (dropped,
        topic->hot[topic->hot_start % topic->hot_capacity]);
}

/* Adds @record at the head, dropping the oldest when full; a record that
 * does not follow the head (the writer lost a batch) starts the tail
 * anew, so its offsets stay consecutive. Called with the lock held. */
static void
hot_push_locked (RgBrokerTopic * topic, RgBrokerRecord * record,
    GPtrArray * dropped)
{
  if (topic->hot_next > topic->hot_start) {
    RgBrokerRecord *head =
        topic->hot[(topic->hot_next - 1) % topic->hot_capacity];

    if (head->offset + head->n_offsets != record->offset)
      hot_clear_locked (topic, dropped);
  }
  if (topic->hot_next - topic->hot_start == topic->hot_capacity)
    g_ptr_array_add (dropped,
        topic->hot[topic->hot_start++ % topic->hot_capacity]);
  topic->hot[topic->hot_next++ % topic->hot_capacity] = record;
}

/* The writer's batch watch (rgjournalwatch.h), on the appending thread.
 * A batch of several buffers (a buffer list) is not kept: the record of
 * this file holds one buffer, and the files serve it as well. */
static void
hot_batch_appended (const RgJournalBatch * batch, gpointer data)
{
  RgBrokerTopic *topic = data;
  RgBrokerRecord *record = NULL;
  GPtrArray *dropped = g_ptr_array_new_with_free_func (record_unref);

  if (batch->n_buffers == 1)
    record = hot_record_new (batch);
  pthread_mutex_lock (&topic->lock);
  if (record)
    hot_push_locked (topic, record, dropped);
  else
    hot_clear_locked (topic, dropped);
  pthread_mutex_unlock (&topic->lock);
  /* Outside the lock: the last reference unmaps and unrefs a buffer. */
  g_ptr_array_unref (dropped);
}

void
rg_broker_topic_keep_hot (RgBrokerTopic * topic, RgJournalWriter * writer,
    guint max_batches)
{
  g_return_if_fail (topic != NULL && topic->journal != NULL);
  g_return_if_fail (writer != NULL);

  if (max_batches == 0) {
    rg_journal_writer_watch_batches (writer, NULL, NULL, NULL);
    return;
  }
  pthread_mutex_lock (&topic->lock);
  if (topic->hot == NULL) {
    topic->hot_capacity = max_batches;
    topic->hot = g_new0 (RgBrokerRecord *, max_batches);
  }
  pthread_mutex_unlock (&topic->lock);
  rg_journal_writer_watch_batches (writer, hot_batch_appended,
      rg_broker_topic_ref (topic), (GDestroyNotify) rg_broker_topic_unref);
}

/* The slot of the hot batch holding @offset; hot_next when none does.
 * Called with the lock held. */
static guint64
hot_find_locked (RgBrokerTopic * topic, guint64 offset)
{
  guint64 lo = topic->hot_start, hi = topic->hot_next;

  while (lo < hi) {
    guint64 mid = lo + (hi - lo) / 2;
    RgBrokerRecord *r = topic->hot[mid % topic->hot_capacity];

    if (offset < r->offset)
      hi = mid;
    else if (offset >= r->offset + r->n_offsets)
      lo = mid + 1;
    else
      return mid;
  }
  return topic->hot_next;
}

/* The first offset the hot tail holds, G_MAXUINT64 when empty. Called with
 * the lock held. */
static guint64
hot_first_offset_locked (RgBrokerTopic * topic)
{
  if (topic->hot_next == topic->hot_start)
    return G_MAXUINT64;
  return topic->hot[topic->hot_start % topic->hot_capacity]->offset;
}

/* Appends hot batches from the one holding @result->next_offset, as the
 * files would serve them: whole batches below the high watermark the
 * journal published, up to @max_bytes (the first one whole when
 * @first_whole and nothing is collected yet). Called with the lock held. */
static void
hot_collect_locked (RgBrokerTopic * topic, gsize max_bytes,
    gboolean first_whole, GArray * refs, RgBrokerCollect * result)
{
  guint64 slot = hot_find_locked (topic, result->next_offset);

  for (; slot < topic->hot_next; slot++) {
    RgBrokerRecord *record = topic->hot[slot % topic->hot_capacity];

    if (record->offset + record->n_offsets > (guint64) result->high_watermark)
      break;
    if (result->bytes + record->size > max_bytes
        && !(first_whole && result->bytes == 0))
      break;
    collect_record (record, refs);
    result->bytes += record->size;
    result->records += record->n_offsets;
    result->next_offset = record->offset + record->n_offsets;
  }
}

/* A journal-backed fetch: from the hot tail when it holds the fetch
 * offset, else the files up to where the hot tail begins, then the hot
 * tail. The offsets, batches and bytes are the journal's either
 * way; only where the bytes come from changes. Called with the lock
 * held. */
static void
journal_collect_locked (RgBrokerTopic * topic, gint64 fetch_offset,
    gsize max_bytes, gboolean first_whole, GArray * refs,
    RgBrokerCollect * result)
{
  guint64 hot_first = hot_first_offset_locked (topic);

  if (fetch_offset >= 0
      && hot_find_locked (topic, fetch_offset) != topic->hot_next) {
    guint64 log_start, high_watermark;

    /* At the live edge: no file is looked at, only the published range. */
    rg_broker_journal_range (topic->journal, &log_start, &high_watermark);
    result->high_watermark = high_watermark;
    result->log_start_offset = log_start;
    if ((guint64) fetch_offset < log_start
        || (guint64) fetch_offset > high_watermark)
      result->error_code = RG_KAFKA_OFFSET_OUT_OF_RANGE;
    else
      hot_collect_locked (topic, max_bytes, first_whole, refs, result);
    return;
  }
  /* Below the hot tail the files serve up to its start; past its head
   * (a batch published but not handed over yet) they serve all. */
  rg_broker_journal_collect (topic->journal, fetch_offset,
      fetch_offset < (gint64) MIN (hot_first, G_MAXINT64) ? hot_first :
      G_MAXUINT64, max_bytes, first_whole, refs, result);
  if (result->error_code != RG_KAFKA_NONE || hot_first == G_MAXUINT64
      || (guint64) result->next_offset < hot_first)
    return;
  hot_collect_locked (topic, max_bytes, first_whole, refs, result);
}

void
rg_broker_topic_collect (RgBrokerTopic * topic, gint64 fetch_offset,
    gint64 end_offset, guint live_lag, gsize max_bytes, gboolean first_whole,
    GArray * refs, RgBrokerCollect * result)
{
  guint64 o;

  memset (result, 0, sizeof (*result));
  result->next_offset = fetch_offset;

  pthread_mutex_lock (&topic->lock);
  result->high_watermark = topic->next;
  result->log_start_offset = topic->start;
  if (atomic_load (&topic->detached)) {
    result->error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    goto done;
  }
  if (topic->journal) {
    journal_collect_locked (topic, fetch_offset, max_bytes, first_whole,
        refs, result);
    goto done;
  }
  if (live_lag > 0)
    fetch_offset = topic_live_start (topic, fetch_offset, live_lag);
  if (fetch_offset < (gint64) topic->start
      || fetch_offset > (gint64) topic->next) {
    result->error_code = RG_KAFKA_OFFSET_OUT_OF_RANGE;
    goto done;
  }
  if (topic->ingest) {
    ingest_collect (topic, fetch_offset, end_offset, max_bytes, first_whole,
        refs, result);
    goto done;
  }
  for (o = fetch_offset; o < topic->next; o++) {
    RgBrokerRecord *record = topic->ring[o % topic->capacity];
    gboolean fits = result->bytes + record->size <= max_bytes;

    if (!fits && !(first_whole && result->records == 0))
      break;
    collect_record (record, refs);
    result->bytes += record->size;
    result->records++;
  }
  result->next_offset = o;

done:
  pthread_mutex_unlock (&topic->lock);
}

void
rg_broker_records_refs_clear (GArray * refs)
{
  guint i;

  for (i = 0; i < refs->len; i++) {
    RgKafkaRecordsRef *ref = &g_array_index (refs, RgKafkaRecordsRef, i);

    if (ref->notify)
      ref->notify (ref->user_data);
  }
  g_array_set_size (refs, 0);
}

/* The first record of produced batch @record whose timestamp is at or
 * after @timestamp, as Kafka answers ListOffsets: a batch's timestamp is its
 * newest record's, so older records may come first in it. A batch that
 * cannot be decoded here (a compressed one) answers with its first offset.
 * Called with the topic's lock held. */
static void
ingest_find_timestamp (const RgBrokerRecord * record, gint64 timestamp,
    gint64 * offset, gint64 * found_timestamp)
{
  RgBatchReader reader;
  RgRecordView view;

  *offset = record->offset;
  *found_timestamp = record->timestamp;
  if (!rg_batch_reader_init (&reader, record->iov[0].iov_base, record->size,
          NULL))
    return;
  while (rg_batch_reader_next (&reader, &view, NULL)) {
    if (view.timestamp >= timestamp) {
      *offset = view.offset;
      *found_timestamp = view.timestamp;
      return;
    }
  }
}

void
rg_broker_topic_list_offset (RgBrokerTopic * topic, gint64 timestamp,
    gint64 * offset, gint64 * found_timestamp)
{
  guint64 o;

  *offset = -1;
  *found_timestamp = -1;
  pthread_mutex_lock (&topic->lock);
  if (topic->journal) {
    rg_broker_journal_list_offset (topic->journal, timestamp, offset,
        found_timestamp);
  } else if (timestamp == -1) {
    *offset = topic->next;
  } else if (timestamp == -2) {
    *offset = topic->start;
  } else if (topic->ingest) {
    /* The first batch whose newest record is at or after @timestamp, and
     * in it the first such record. */
    for (o = topic->seq_start; o < topic->seq_next; o++) {
      RgBrokerRecord *record = topic->ring[o % topic->capacity];

      if (record->timestamp >= timestamp) {
        ingest_find_timestamp (record, timestamp, offset, found_timestamp);
        *offset = MAX (*offset, (gint64) topic->start);
        break;
      }
    }
  } else {
    for (o = topic->start; o < topic->next; o++) {
      RgBrokerRecord *record = topic->ring[o % topic->capacity];

      if (record->timestamp >= timestamp) {
        *offset = o;
        *found_timestamp = record->timestamp;
        break;
      }
    }
  }
  pthread_mutex_unlock (&topic->lock);
}

void
rg_broker_topic_count_served (RgBrokerTopic * topic, gsize bytes,
    guint records)
{
  atomic_fetch_add_explicit (&topic->fetches, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&topic->bytes_served, bytes,
      memory_order_relaxed);
  atomic_fetch_add_explicit (&topic->records_served, records,
      memory_order_relaxed);
}

guint64
rg_broker_topic_get_high_watermark (RgBrokerTopic * topic)
{
  guint64 hw, start;

  pthread_mutex_lock (&topic->lock);
  if (topic->journal)
    rg_broker_journal_range (topic->journal, &start, &hw);
  else
    hw = topic->next;
  pthread_mutex_unlock (&topic->lock);
  return hw;
}

void
rg_broker_topic_get_stats (RgBrokerTopic * topic, RgBrokerTopicStats * stats)
{
  g_return_if_fail (topic != NULL && stats != NULL);

  pthread_mutex_lock (&topic->lock);
  if (topic->journal) {
    rg_broker_journal_range (topic->journal, &stats->log_start_offset,
        &stats->high_watermark);
  } else {
    stats->log_start_offset = topic->start;
    stats->high_watermark = topic->next;
  }
  pthread_mutex_unlock (&topic->lock);
  stats->records_appended = atomic_load (&topic->appended);
  stats->fetches = atomic_load (&topic->fetches);
  stats->bytes_served = atomic_load (&topic->bytes_served);
  stats->records_served = atomic_load (&topic->records_served);
}
