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
 * Idempotent producers: see rgbrokerproducers.h for the contract.
 *
 * An idempotent producer gets a producer id and an epoch from
 * InitProducerId and numbers its records per partition: the RecordBatch
 * header carries producerId (bytes 43-50), producerEpoch (51-52) and
 * baseSequence (53-56), the sequence of the batch's first record; the
 * last record's is baseSequence + lastOffsetDelta, and sequences wrap from
 * 2^31 - 1 to 0. A producer retries a batch with the same numbers, so the
 * broker can tell a retry from new data. Per (producer id, topic
 * partition) it
 * keeps the epoch and the sequence range and offset of the last five
 * batches appended (a producer has at most five requests in flight), and
 * checks each new idempotent batch as Kafka does:
 *
 *  - epoch older than the one kept (or than the id's current epoch after
 *    an InitProducerId bump): INVALID_PRODUCER_EPOCH (47), the producer
 *    is a fenced zombie;
 *  - epoch newer: a fresh start, its sequence must be 0, else
 *    OUT_OF_ORDER_SEQUENCE_NUMBER (45);
 *  - same epoch, the same first and last sequence as one of the five
 *    kept batches: a duplicate. It is not appended again, and it is
 *    acknowledged with success and the offset the first copy got (what
 *    Kafka answers since 0.11.0.1; DUPLICATE_SEQUENCE_NUMBER, 46, is only
 *    the internal verdict);
 *  - same epoch, first sequence = last kept + 1: appended;
 *  - anything else (a gap, or an old batch no longer kept): 45;
 *  - nothing kept for (producer id, topic), e.g. forgotten after an idle
 *    day or pushed out by newer producers: a batch with sequence 0
 *    starts afresh, any other gets UNKNOWN_PRODUCER_ID (59), as Kafka
 *    0.11-2.4 answered when a producer's state was gone. Later Kafka
 *    accepts any sequence there; refusing is what keeps a replay of old
 *    batches out after the state is forgotten, and clients (librdkafka,
 *    Java) answer 59 by resetting their sequences.
 *
 * Transactional batches are checked here like any idempotent one, after
 * the transaction coordinator let them through (rgbrokertxnapi.h: the
 * partition belongs to the producer's open transaction). A batch is
 * appended only after it passed its CRC (the
 * check runs before the append and the append validates again): a
 * damaged retry must not be mistaken for a duplicate.
 *
 * InitProducerId hands out ids from a counter that starts at the wall
 * clock in ms times 1000 when the broker starts, so a restarted broker
 * does not give a new producer an id whose batches an older run stored.
 *
 * Bounds: both tables (ids, sequence states) hold at most max_producers
 * entries each, on an LRU list each; the least recently used entry goes
 * when a new one would not fit, and entries unused for idle_expiry_ms go
 * at the next call. About 200 bytes per sequence state, 80 per id.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerproducers.h"
#include "broker/rgbrokerstats.h"

#include <pthread.h>
#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Attributes bits of a RecordBatch (bytes 21-22). */
#define BATCH_CONTROL (1 << 5)

typedef struct
{
  gint32 first_seq;
  gint32 last_seq;
  gint64 base_offset;
  gint64 end_offset;
} BatchRange;

/* One id InitProducerId handed out. */
typedef struct
{
  gint64 id;
  gint16 epoch;
  /* The epoch before the last bump, so that a retried bump gets the same
   * answer; -1 when none. */
  gint16 previous_epoch;
  gint64 last_used;
  GList link;
} ProducerId;

/* The sequence state of one (producer id, topic). */
typedef struct
{
  gint64 producer_id;
  gchar *topic;
  gint16 epoch;
  /* batches[(newest - i) % N] for i < n_batches, newest last written. */
  guint n_batches;
  guint newest;
  BatchRange batches[RG_BROKER_PRODUCER_BATCHES];
  gint64 last_used;
  GList link;
} Sequence;

struct _RgBrokerProducers
{
  guint max;
  gint64 idle_ms;

  pthread_mutex_t lock;
  gint64 next_id;
  /* &ProducerId.id -> ProducerId (owned); LRU: head most recent. */
  GHashTable *ids;
  GQueue ids_lru;
  /* Sequence (as its own key) -> Sequence (owned). */
  GHashTable *sequences;
  GQueue sequences_lru;
};

static guint
sequence_hash (gconstpointer key)
{
  const Sequence *s = key;

  return g_int64_hash (&s->producer_id) * 31 + g_str_hash (s->topic);
}

static gboolean
sequence_equal (gconstpointer a, gconstpointer b)
{
  const Sequence *x = a, *y = b;

  return x->producer_id == y->producer_id && strcmp (x->topic, y->topic) == 0;
}

static void
sequence_free (gpointer data)
{
  Sequence *s = data;

  g_free (s->topic);
  g_free (s);
}

RgBrokerProducers *
rg_broker_producers_new (guint max_producers, gint64 idle_expiry_ms,
    gint64 first_id)
{
  RgBrokerProducers *producers = g_new0 (RgBrokerProducers, 1);

  producers->max = MAX (max_producers, 1);
  producers->idle_ms = MAX (idle_expiry_ms, 1);
  producers->next_id = MAX (first_id, 0);
  pthread_mutex_init (&producers->lock, NULL);
  producers->ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
      g_free);
  producers->sequences = g_hash_table_new_full (sequence_hash,
      sequence_equal, NULL, sequence_free);
  g_queue_init (&producers->ids_lru);
  g_queue_init (&producers->sequences_lru);
  return producers;
}

void
rg_broker_producers_free (RgBrokerProducers * producers)
{
  if (!producers)
    return;
  g_hash_table_unref (producers->ids);
  g_hash_table_unref (producers->sequences);
  pthread_mutex_destroy (&producers->lock);
  g_free (producers);
}

/* ---- LRU bookkeeping (called with the lock held) ---- */

static void
touch (GQueue * lru, GList * link, gint64 * last_used, gint64 now_ms)
{
  *last_used = now_ms;
  if (lru->head != link) {
    g_queue_unlink (lru, link);
    g_queue_push_head_link (lru, link);
  }
}

/* Drops the least recently used ids while there are more than @keep or
 * the oldest has been idle too long. */
static void
expire_ids (RgBrokerProducers * producers, guint keep, gint64 now_ms)
{
  GList *tail;

  while ((tail = producers->ids_lru.tail)) {
    ProducerId *p = tail->data;

    if (producers->ids_lru.length <= keep
        && now_ms - p->last_used < producers->idle_ms)
      break;
    g_queue_unlink (&producers->ids_lru, tail);
    g_hash_table_remove (producers->ids, &p->id);
  }
}

static void
expire_sequences (RgBrokerProducers * producers, guint keep, gint64 now_ms)
{
  GList *tail;

  while ((tail = producers->sequences_lru.tail)) {
    Sequence *s = tail->data;

    if (producers->sequences_lru.length <= keep
        && now_ms - s->last_used < producers->idle_ms)
      break;
    GST_DEBUG ("forgetting producer %" G_GINT64_FORMAT " on \"%s\"",
        s->producer_id, s->topic);
    g_queue_unlink (&producers->sequences_lru, tail);
    g_hash_table_remove (producers->sequences, s);
  }
}

static Sequence *
lookup_sequence (RgBrokerProducers * producers, gint64 producer_id,
    const gchar * topic_name)
{
  Sequence key;

  key.producer_id = producer_id;
  key.topic = (gchar *) topic_name;
  return g_hash_table_lookup (producers->sequences, &key);
}

/* ---- InitProducerId ---- */

static ProducerId *
new_producer_id (RgBrokerProducers * producers, gint64 now_ms)
{
  ProducerId *p = g_new0 (ProducerId, 1);

  expire_ids (producers, producers->max - 1, now_ms);
  p->id = producers->next_id++;
  p->epoch = 0;
  p->previous_epoch = -1;
  p->last_used = now_ms;
  p->link.data = p;
  g_hash_table_insert (producers->ids, &p->id, p);
  g_queue_push_head_link (&producers->ids_lru, &p->link);
  return p;
}

/* A known id named with @epoch: bump, repeat a bump, or fence. Returns
 * FALSE when the epoch is used up and a new id must be handed out. */
static gboolean
bump_epoch (ProducerId * p, gint16 epoch, gboolean fenced_code_ok,
    gint16 * error_code)
{
  *error_code = RG_KAFKA_NONE;
  if (epoch == p->epoch) {
    if (p->epoch >= G_MAXINT16 - 1)
      return FALSE;
    p->previous_epoch = p->epoch;
    p->epoch++;
  } else if (epoch != p->previous_epoch) {
    *error_code = fenced_code_ok ? RG_KAFKA_PRODUCER_FENCED :
        RG_KAFKA_INVALID_PRODUCER_EPOCH;
  }
  return TRUE;
}

gint16
rg_broker_producers_init_id (RgBrokerProducers * producers,
    gint64 producer_id, gint16 producer_epoch, gboolean fenced_code_ok,
    gint64 now_ms, gint64 * out_id, gint16 * out_epoch)
{
  ProducerId *p = NULL;
  gint16 error_code = RG_KAFKA_NONE;

  pthread_mutex_lock (&producers->lock);
  expire_ids (producers, producers->max, now_ms);
  if (producer_id >= 0 && producer_epoch >= 0)
    p = g_hash_table_lookup (producers->ids, &producer_id);
  if (p && !bump_epoch (p, producer_epoch, fenced_code_ok, &error_code))
    p = NULL;
  if (!p)
    p = new_producer_id (producers, now_ms);
  touch (&producers->ids_lru, &p->link, &p->last_used, now_ms);
  *out_id = error_code == RG_KAFKA_NONE ? p->id : -1;
  *out_epoch = error_code == RG_KAFKA_NONE ? p->epoch : -1;
  pthread_mutex_unlock (&producers->lock);
  return error_code;
}

/* ---- Sequence checks ---- */

/* The sequence of the batch's last record: sequences wrap to 0 after
 * G_MAXINT32. */
static gint32
batch_last_sequence (const RgBatchInfo * info)
{
  gint32 delta = MAX (info->last_offset_delta, 0);

  if (info->base_sequence > G_MAXINT32 - delta)
    return delta - (G_MAXINT32 - info->base_sequence) - 1;
  return info->base_sequence + delta;
}

static gboolean
in_sequence (gint32 last, gint32 next)
{
  return last == G_MAXINT32 ? next == 0 : next == last + 1;
}

/* Same epoch: a duplicate of a kept batch, the next one, or a gap. */
static gint16
check_same_epoch (const Sequence * s, const RgBatchInfo * info,
    gint64 * duplicate_offset, gint64 * duplicate_end)
{
  gint32 last = batch_last_sequence (info);
  guint i;

  for (i = 0; i < s->n_batches; i++) {
    const BatchRange *b = &s->batches[(s->newest + RG_BROKER_PRODUCER_BATCHES
            - i) % RG_BROKER_PRODUCER_BATCHES];

    if (b->first_seq == info->base_sequence && b->last_seq == last) {
      *duplicate_offset = b->base_offset;
      *duplicate_end = b->end_offset;
      return RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER;
    }
  }
  if (s->n_batches > 0 && !in_sequence (s->batches[s->newest].last_seq,
          info->base_sequence))
    return RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER;
  return RG_KAFKA_NONE;
}

static gint16
check_locked (RgBrokerProducers * producers, const gchar * topic_name,
    const RgBatchInfo * info, gint64 * duplicate_offset,
    gint64 * duplicate_end)
{
  ProducerId *p;
  Sequence *s;

  if (info->producer_epoch < 0 || info->base_sequence < 0)
    return RG_KAFKA_INVALID_RECORD;
  p = g_hash_table_lookup (producers->ids, &info->producer_id);
  if (p && info->producer_epoch < p->epoch)
    return RG_KAFKA_INVALID_PRODUCER_EPOCH;
  s = lookup_sequence (producers, info->producer_id, topic_name);
  if (!s)
    return info->base_sequence == 0 ? RG_KAFKA_NONE :
        RG_KAFKA_UNKNOWN_PRODUCER_ID;
  if (info->producer_epoch < s->epoch)
    return RG_KAFKA_INVALID_PRODUCER_EPOCH;
  if (info->producer_epoch > s->epoch)
    return info->base_sequence == 0 ? RG_KAFKA_NONE :
        RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER;
  return check_same_epoch (s, info, duplicate_offset, duplicate_end);
}

gint16
rg_broker_producers_check (RgBrokerProducers * producers,
    const gchar * topic_name, const RgBatchInfo * info, gint64 now_ms,
    gint64 * duplicate_offset, gint64 * duplicate_end)
{
  gint64 end = -1;
  gint16 code;

  *duplicate_offset = -1;
  if (!duplicate_end)
    duplicate_end = &end;
  *duplicate_end = -1;
  pthread_mutex_lock (&producers->lock);
  expire_ids (producers, producers->max, now_ms);
  expire_sequences (producers, producers->max, now_ms);
  code = check_locked (producers, topic_name, info, duplicate_offset,
      duplicate_end);
  pthread_mutex_unlock (&producers->lock);
  return code;
}

static Sequence *
ensure_sequence (RgBrokerProducers * producers, gint64 producer_id,
    const gchar * topic_name, gint64 now_ms)
{
  Sequence *s = lookup_sequence (producers, producer_id, topic_name);

  if (s)
    return s;
  expire_sequences (producers, producers->max - 1, now_ms);
  s = g_new0 (Sequence, 1);
  s->producer_id = producer_id;
  s->topic = g_strdup (topic_name);
  s->epoch = -1;
  s->link.data = s;
  g_hash_table_add (producers->sequences, s);
  g_queue_push_head_link (&producers->sequences_lru, &s->link);
  return s;
}

void
rg_broker_producers_record (RgBrokerProducers * producers,
    const gchar * topic_name, const RgBatchInfo * info, gint64 base_offset,
    gint64 now_ms)
{
  Sequence *s;
  ProducerId *p;
  BatchRange *b;

  pthread_mutex_lock (&producers->lock);
  s = ensure_sequence (producers, info->producer_id, topic_name, now_ms);
  if (info->producer_epoch != s->epoch) {
    s->epoch = info->producer_epoch;
    s->n_batches = 0;
  }
  s->newest = (s->newest + 1) % RG_BROKER_PRODUCER_BATCHES;
  s->n_batches = MIN (s->n_batches + 1, RG_BROKER_PRODUCER_BATCHES);
  b = &s->batches[s->newest];
  b->first_seq = info->base_sequence;
  b->last_seq = batch_last_sequence (info);
  b->base_offset = base_offset;
  b->end_offset = base_offset + MAX (info->last_offset_delta, 0) + 1;
  touch (&producers->sequences_lru, &s->link, &s->last_used, now_ms);

  /* A Java producer may bump its epoch itself (KIP-360): the id follows,
   * so that older epochs are fenced on every topic. */
  p = g_hash_table_lookup (producers->ids, &info->producer_id);
  if (p) {
    if (info->producer_epoch > p->epoch)
      p->epoch = info->producer_epoch;
    touch (&producers->ids_lru, &p->link, &p->last_used, now_ms);
  }
  pthread_mutex_unlock (&producers->lock);
}

/* ---- One partition of a Produce ---- */

/* Walks the batch headers of @records: whether one carries a producer id
 * or is a control batch, how many there are, and the first's header.
 * Stops at a header it cannot parse (the append validates and refuses). */
static guint
scan_batches (const guint8 * records, gsize len, gboolean * idempotent,
    gboolean * control, RgBatchInfo * first)
{
  gsize pos = 0;
  guint n = 0;

  *idempotent = *control = FALSE;
  while (len - pos >= RG_BATCH_HEADER_SIZE) {
    RgBatchInfo info;

    if (!rg_batch_parse_header (records + pos, len - pos, &info, NULL))
      break;
    if (n == 0)
      *first = info;
    if (info.producer_id >= 0)
      *idempotent = TRUE;
    if (info.attributes & BATCH_CONTROL)
      *control = TRUE;
    n++;
    if ((gsize) info.batch_length > len - pos - RG_BATCH_LOG_OVERHEAD)
      break;
    pos += RG_BATCH_LOG_OVERHEAD + (gsize) info.batch_length;
  }
  return n;
}

/* The append itself; @end_offset: after the last record appended. */
static gint16
append (RgBrokerTopic * topic, RgBrokerChunk * chunk, const guint8 * records,
    gsize len, gboolean validated, gint64 * base_offset,
    guint64 * end_offset)
{
  guint64 ack_offset;
  gint16 code = rg_broker_topic_produce_input (topic, chunk, records, len,
      validated, base_offset, &ack_offset);

  /* A durable topic names the offset its acknowledgement waits for; a
   * memory topic's records are all there once appended. */
  if (code == RG_KAFKA_NONE)
    *end_offset = ack_offset ? ack_offset :
        rg_broker_topic_get_high_watermark (topic);
  return code;
}

/* The sequence state's key of @topic's partition: the topic's name for
 * partition 0, "<name>/<partition>" for the others ('/' is never in a
 * topic name), as a producer numbers each partition's records apart. */
static gchar *
partition_key (RgBrokerTopic * topic)
{
  guint partition = rg_broker_topic_get_partition (topic);

  if (partition == 0)
    return g_strdup (rg_broker_topic_get_name (topic));
  return g_strdup_printf ("%s/%u", rg_broker_topic_get_name (topic),
      partition);
}

static gint16 produce_keyed (RgBrokerProducers * producers,
    RgBrokerTopic * topic, RgBrokerChunk * chunk, const gchar * name,
    const guint8 * records, gsize len, gint64 * base_offset,
    guint64 * end_offset);

gint16
rg_broker_producers_produce (RgBrokerProducers * producers,
    RgBrokerTopic * topic, RgBrokerChunk * chunk, const guint8 * records,
    gsize len, gint64 * base_offset, guint64 * end_offset)
{
  gchar *name = partition_key (topic);
  gint16 code = produce_keyed (producers, topic, chunk, name, records, len,
      base_offset, end_offset);

  g_free (name);
  return code;
}

static gint16
produce_keyed (RgBrokerProducers * producers, RgBrokerTopic * topic,
    RgBrokerChunk * chunk, const gchar * name, const guint8 * records,
    gsize len, gint64 * base_offset, guint64 * end_offset)
{
  gint64 now_ms;
  gboolean idempotent, control;
  gint64 duplicate, duplicate_end;
  guint64 end = 0;
  RgBatchInfo info;
  gint16 code;
  guint n;

  *base_offset = -1;
  if (!end_offset)
    end_offset = &end;
  *end_offset = 0;
  n = scan_batches (records, len, &idempotent, &control, &info);
  if (control)
    return RG_KAFKA_INVALID_RECORD;
  if (!idempotent)
    return append (topic, chunk, records, len, FALSE, base_offset,
        end_offset);
  if (n != 1)
    return RG_KAFKA_INVALID_RECORD;
  if (rg_batch_validate (records, len, NULL, NULL) != len)
    return RG_KAFKA_CORRUPT_MESSAGE;
  /* The clock only for idempotent batches: the others need no time. */
  now_ms = g_get_monotonic_time () / 1000;

  code = rg_broker_producers_check (producers, name, &info, now_ms,
      &duplicate, &duplicate_end);
  if (code == RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER) {
    GST_INFO ("\"%s\": producer %" G_GINT64_FORMAT " resent sequence %d, "
        "acknowledged at offset %" G_GINT64_FORMAT " again", name,
        info.producer_id, info.base_sequence, duplicate);
    *base_offset = duplicate;
    *end_offset = duplicate_end;
    return RG_KAFKA_NONE;
  }
  if (code != RG_KAFKA_NONE) {
    GST_INFO ("\"%s\": producer %" G_GINT64_FORMAT " epoch %d sequence %d "
        "refused with %d", name, info.producer_id, info.producer_epoch,
        info.base_sequence, code);
    return code;
  }
  /* Validated above (the one batch, CRC-32C included): not again. */
  code = append (topic, chunk, records, len, TRUE, base_offset, end_offset);
  if (code == RG_KAFKA_NONE)
    rg_broker_producers_record (producers, name, &info, *base_offset,
        now_ms);
  return code;
}

void
rg_broker_producers_forget_topic (RgBrokerProducers * producers,
    const gchar * topic_name)
{
  gsize len = strlen (topic_name);
  GList *l, *next;

  pthread_mutex_lock (&producers->lock);
  for (l = producers->sequences_lru.head; l; l = next) {
    Sequence *s = l->data;

    next = l->next;
    /* The topic's partition 0, or another partition of it. */
    if (g_str_has_prefix (s->topic, topic_name)
        && (s->topic[len] == '\0' || s->topic[len] == '/')) {
      g_queue_unlink (&producers->sequences_lru, l);
      g_hash_table_remove (producers->sequences, s);
    }
  }
  pthread_mutex_unlock (&producers->lock);
}

void
rg_broker_producers_get_counts (RgBrokerProducers * producers,
    guint * n_ids, guint * n_sequences)
{
  pthread_mutex_lock (&producers->lock);
  if (n_ids)
    *n_ids = g_hash_table_size (producers->ids);
  if (n_sequences)
    *n_sequences = g_hash_table_size (producers->sequences);
  pthread_mutex_unlock (&producers->lock);
}
