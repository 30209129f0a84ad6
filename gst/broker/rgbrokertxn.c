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
 * The transaction coordinator's state (contract in rgbrokertxn.h). The
 * rules, after KIP-98, for a single broker that is the coordinator of
 * every transactional id:
 *
 *  - A transactional id maps to one producer id. InitProducerId of a new
 *    id takes a fresh producer id with epoch 0; of a known id it bumps the
 *    epoch (through RgBrokerProducers, which keeps the idempotent
 *    sequences), so a zombie still holding the old epoch is fenced: every
 *    later request of its gets INVALID_PRODUCER_EPOCH, or PRODUCER_FENCED
 *    where the api version allows that code. A transaction the old epoch
 *    left open is aborted at that moment, and its ABORT markers carry the
 *    new epoch, as Kafka writes them.
 *  - A transaction opens with the first AddPartitionsToTxn or
 *    AddOffsetsToTxn after InitProducerId or after the last EndTxn, and
 *    ends with EndTxn. Only partitions added to the open transaction take
 *    the producer's transactional batches (rg_broker_txn_check_produce()).
 *  - TxnOffsetCommit offsets are kept aside, per group and partition (the
 *    last one wins), and handed back with the COMMIT so the caller applies
 *    them to the groups; an ABORT drops them.
 *  - EndTxn retried after it succeeded (the answer was lost) answers NONE
 *    again and writes nothing; EndTxn asking the opposite of what just
 *    happened, or with nothing open, is INVALID_TXN_STATE, as in Kafka.
 *  - A transaction open longer than its timeout (InitProducerId's
 *    TransactionTimeoutMs) is aborted by rg_broker_txn_expire(), with the
 *    epoch bumped, so the slow producer learns it was fenced.
 *
 * Not kept across a restart: the broker writes no transaction log, so a
 * restarted broker knows no transactional id and a producer must init
 * again (its old producer id is then unknown: INVALID_PRODUCER_ID_MAPPING).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <pthread.h>

#include "broker/rgbrokertxn.h"
#include "kafka/rgkafkatxn.h"
#include "record/rgbatch.h"
#include "record/rgcrc32c.h"

/* A control batch's attributes: transactional (bit 4) and control (5). */
#define MARKER_ATTRIBUTES 0x30

/* The state of one transactional id. */
typedef struct
{
  gchar *id;
  gint64 producer_id;
  gint16 epoch;
  gint32 timeout_ms;

  gboolean open;
  gint64 opened_ms;
  /* "topic\npartition" -> RgBrokerTxnPartition (owned). */
  GHashTable *partitions;
  /* Group names (owned keys, set). */
  GHashTable *groups;
  /* "group\ntopic\npartition" -> RgBrokerTxnOffset (owned). */
  GHashTable *offsets;
  /* How the last transaction ended, for a retried EndTxn: -1 none (or
   * re-inited since), 0 aborted, 1 committed. */
  gint last_end;

  GList link;
} Entry;

/* The transactions of one partition. */
typedef struct
{
  /* &producer id -> first offset (both in one gint64[2], owned). */
  GHashTable *open;
  /* RgKafkaAbortedTransaction plus the marker offset, by marker order. */
  GArray *aborted;
} PartitionState;

typedef struct
{
  gint64 producer_id;
  gint64 first_offset;
  gint64 marker_offset;
} Aborted;

struct _RgBrokerTxn
{
  RgBrokerProducers *producers;
  guint max_ids;
  /* "topic\npartition" -> PartitionState (owned). */
  GHashTable *partition_states;

  pthread_mutex_t lock;
  /* Transactional id -> Entry (owned); LRU: head most recent. */
  GHashTable *ids;
  GQueue lru;
  /* &Entry.producer_id -> Entry (not owned). */
  GHashTable *by_producer;
  guint n_open;
};

static void
partition_free (gpointer data)
{
  RgBrokerTxnPartition *p = data;

  g_free (p->topic);
  g_free (p);
}

static void
offset_free (gpointer data)
{
  RgBrokerTxnOffset *o = data;

  g_free (o->group);
  g_free (o->topic);
  g_free (o->metadata);
  g_free (o);
}

void
rg_broker_txn_end_free (RgBrokerTxnEnd * end)
{
  if (!end)
    return;
  g_free (end->transactional_id);
  g_ptr_array_unref (end->partitions);
  g_ptr_array_unref (end->offsets);
  g_free (end);
}

static Entry *
entry_new (const gchar * id)
{
  Entry *e = g_new0 (Entry, 1);

  e->id = g_strdup (id);
  e->partitions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      partition_free);
  e->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  e->offsets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      offset_free);
  e->last_end = -1;
  e->link.data = e;
  return e;
}

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_hash_table_unref (e->partitions);
  g_hash_table_unref (e->groups);
  g_hash_table_unref (e->offsets);
  g_free (e->id);
  g_free (e);
}

static void
partition_state_free (gpointer data)
{
  PartitionState *ps = data;

  g_hash_table_unref (ps->open);
  g_array_unref (ps->aborted);
  g_free (ps);
}

RgBrokerTxn *
rg_broker_txn_new (RgBrokerProducers * producers, guint max_ids)
{
  RgBrokerTxn *txn = g_new0 (RgBrokerTxn, 1);

  g_return_val_if_fail (producers != NULL && max_ids > 0, NULL);
  txn->producers = producers;
  txn->max_ids = max_ids;
  pthread_mutex_init (&txn->lock, NULL);
  txn->ids = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      entry_free);
  txn->by_producer = g_hash_table_new (g_int64_hash, g_int64_equal);
  txn->partition_states = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, partition_state_free);
  g_queue_init (&txn->lru);
  return txn;
}

void
rg_broker_txn_free (RgBrokerTxn * txn)
{
  if (!txn)
    return;
  g_hash_table_unref (txn->by_producer);
  g_hash_table_unref (txn->ids);
  g_hash_table_unref (txn->partition_states);
  pthread_mutex_destroy (&txn->lock);
  g_free (txn);
}

/* ---- Helpers (lock held) ---- */

/* A partition's key in the tables: its topic and index. */
static gchar *
partition_key (const gchar * topic, gint32 partition)
{
  return g_strdup_printf ("%s\n%d", topic, partition);
}

static void
touch (RgBrokerTxn * txn, Entry * e)
{
  if (e->link.prev || txn->lru.head == &e->link)
    g_queue_unlink (&txn->lru, &e->link);
  g_queue_push_head_link (&txn->lru, &e->link);
}

/* The code for a request naming an epoch that is not the current one. */
static gint16
fenced_code (gboolean fenced_code_ok)
{
  return fenced_code_ok ? RG_KAFKA_PRODUCER_FENCED :
      RG_KAFKA_INVALID_PRODUCER_EPOCH;
}

/* Checks that (@producer_id, @producer_epoch) is the current producer of
 * @e. An epoch above the current one was never handed out: Kafka answers
 * it with INVALID_PRODUCER_EPOCH in every version. */
static gint16
check_producer (const Entry * e, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok)
{
  if (!e || e->producer_id != producer_id)
    return RG_KAFKA_INVALID_PRODUCER_ID_MAPPING;
  if (producer_epoch < e->epoch)
    return fenced_code (fenced_code_ok);
  if (producer_epoch > e->epoch)
    return RG_KAFKA_INVALID_PRODUCER_EPOCH;
  return RG_KAFKA_NONE;
}

static void
open_transaction (RgBrokerTxn * txn, Entry * e, gint64 now_ms)
{
  if (e->open)
    return;
  e->open = TRUE;
  e->opened_ms = now_ms;
  e->last_end = -1;
  txn->n_open++;
}

/* Closes @e's transaction; returns what to write (transfer full), with
 * the producer id and epoch the markers carry. */
static RgBrokerTxnEnd *
close_transaction (RgBrokerTxn * txn, Entry * e, gboolean commit,
    gint64 marker_id, gint16 marker_epoch)
{
  RgBrokerTxnEnd *end = g_new0 (RgBrokerTxnEnd, 1);
  GHashTableIter it;
  gpointer key, value;

  end->transactional_id = g_strdup (e->id);
  end->producer_id = marker_id;
  end->producer_epoch = marker_epoch;
  end->commit = commit;
  end->partitions = g_ptr_array_new_with_free_func (partition_free);
  end->offsets = g_ptr_array_new_with_free_func (offset_free);
  /* The tables give their values up to the arrays. */
  g_hash_table_iter_init (&it, e->partitions);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    g_hash_table_iter_steal (&it);
    g_free (key);
    g_ptr_array_add (end->partitions, value);
  }
  g_hash_table_iter_init (&it, e->offsets);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    g_hash_table_iter_steal (&it);
    g_free (key);
    if (commit)
      g_ptr_array_add (end->offsets, value);
    else
      offset_free (value);
  }
  g_hash_table_remove_all (e->groups);
  e->open = FALSE;
  e->last_end = commit ? 1 : 0;
  txn->n_open--;
  return end;
}

/* Moves @e to a new epoch (or, when RgBrokerProducers no longer knows its
 * id or cannot bump it, to a new producer id with epoch 0). */
static void
bump_epoch (RgBrokerTxn * txn, Entry * e, gint64 now_ms)
{
  gint64 id;
  gint16 epoch;

  if (rg_broker_producers_init_id (txn->producers, e->producer_id, e->epoch,
          TRUE, now_ms, &id, &epoch) != RG_KAFKA_NONE)
    rg_broker_producers_init_id (txn->producers, -1, -1, TRUE, now_ms, &id,
        &epoch);
  if (id != e->producer_id) {
    g_hash_table_remove (txn->by_producer, &e->producer_id);
    e->producer_id = id;
    g_hash_table_insert (txn->by_producer, &e->producer_id, e);
  }
  e->epoch = epoch;
}

/* Makes room for one more id: forgets the least recently used one that
 * has no open transaction. FALSE when every id has one open. */
static gboolean
make_room (RgBrokerTxn * txn)
{
  GList *l;

  if (g_hash_table_size (txn->ids) < txn->max_ids)
    return TRUE;
  for (l = txn->lru.tail; l; l = l->prev) {
    Entry *e = l->data;

    if (!e->open) {
      g_queue_unlink (&txn->lru, &e->link);
      g_hash_table_remove (txn->by_producer, &e->producer_id);
      g_hash_table_remove (txn->ids, e->id);
      return TRUE;
    }
  }
  return FALSE;
}

static Entry *
add_entry (RgBrokerTxn * txn, const gchar * transactional_id, gint64 now_ms)
{
  Entry *e = entry_new (transactional_id);

  rg_broker_producers_init_id (txn->producers, -1, -1, TRUE, now_ms,
      &e->producer_id, &e->epoch);
  g_hash_table_insert (txn->ids, e->id, e);
  g_hash_table_insert (txn->by_producer, &e->producer_id, e);
  return e;
}

/* ---- InitProducerId ---- */

gint16
rg_broker_txn_init (RgBrokerTxn * txn, const gchar * transactional_id,
    gint32 timeout_ms, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, gint64 now_ms, gint64 * out_id,
    gint16 * out_epoch, RgBrokerTxnEnd ** aborted)
{
  gint16 error_code = RG_KAFKA_NONE;
  Entry *e;

  *out_id = -1;
  *out_epoch = -1;
  *aborted = NULL;
  if (timeout_ms <= 0 || timeout_ms > RG_BROKER_TXN_MAX_TIMEOUT_MS)
    return RG_KAFKA_INVALID_TRANSACTION_TIMEOUT;
  pthread_mutex_lock (&txn->lock);
  e = g_hash_table_lookup (txn->ids, transactional_id);
  if (!e && producer_id >= 0) {
    /* KIP-360's re-init names an id and epoch this coordinator never gave
     * this transactional id (or forgot): the producer is a zombie. */
    error_code = fenced_code (fenced_code_ok);
  } else if (!e) {
    if (make_room (txn))
      e = add_entry (txn, transactional_id, now_ms);
    else
      error_code = RG_KAFKA_CONCURRENT_TRANSACTIONS;
  } else if (producer_id >= 0 && (producer_id != e->producer_id ||
          producer_epoch != e->epoch)) {
    error_code = fenced_code (fenced_code_ok);
  } else {
    gint64 old_id = e->producer_id;
    gint16 old_epoch = e->epoch;

    bump_epoch (txn, e, now_ms);
    if (e->open)
      *aborted = close_transaction (txn, e, FALSE, old_id,
          old_id == e->producer_id ? e->epoch : old_epoch);
    e->last_end = -1;
  }
  if (error_code == RG_KAFKA_NONE) {
    e->timeout_ms = timeout_ms;
    touch (txn, e);
    *out_id = e->producer_id;
    *out_epoch = e->epoch;
  }
  pthread_mutex_unlock (&txn->lock);
  return error_code;
}

/* ---- AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit ---- */

/* Looks @transactional_id up and checks its producer; returns the entry
 * (touched) or NULL with *@error_code set. */
static Entry *
current (RgBrokerTxn * txn, const gchar * transactional_id,
    gint64 producer_id, gint16 producer_epoch, gboolean fenced_code_ok,
    gint64 now_ms, gint16 * error_code)
{
  Entry *e = g_hash_table_lookup (txn->ids, transactional_id);

  *error_code = check_producer (e, producer_id, producer_epoch,
      fenced_code_ok);
  if (*error_code != RG_KAFKA_NONE)
    return NULL;
  touch (txn, e);
  return e;
}

gint16
rg_broker_txn_add_partition (RgBrokerTxn * txn,
    const gchar * transactional_id, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, const gchar * topic, gint32 partition,
    gint64 now_ms)
{
  gint16 error_code;
  Entry *e;
  gchar *key;

  pthread_mutex_lock (&txn->lock);
  e = current (txn, transactional_id, producer_id, producer_epoch,
      fenced_code_ok, now_ms, &error_code);
  if (e) {
    key = partition_key (topic, partition);
    if (g_hash_table_contains (e->partitions, key)) {
      g_free (key);
    } else if (g_hash_table_size (e->partitions) >=
        RG_BROKER_TXN_MAX_PARTITIONS) {
      g_free (key);
      error_code = RG_KAFKA_INVALID_TXN_STATE;
    } else {
      RgBrokerTxnPartition *p = g_new0 (RgBrokerTxnPartition, 1);

      p->topic = g_strdup (topic);
      p->partition = partition;
      g_hash_table_insert (e->partitions, key, p);
      open_transaction (txn, e, now_ms);
    }
  }
  pthread_mutex_unlock (&txn->lock);
  return error_code;
}

gint16
rg_broker_txn_add_group (RgBrokerTxn * txn,
    const gchar * transactional_id, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, const gchar * group, gint64 now_ms)
{
  gint16 error_code;
  Entry *e;

  pthread_mutex_lock (&txn->lock);
  e = current (txn, transactional_id, producer_id, producer_epoch,
      fenced_code_ok, now_ms, &error_code);
  if (e) {
    g_hash_table_add (e->groups, g_strdup (group));
    open_transaction (txn, e, now_ms);
  }
  pthread_mutex_unlock (&txn->lock);
  return error_code;
}

gint16
rg_broker_txn_commit_offset (RgBrokerTxn * txn,
    const gchar * transactional_id, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, const gchar * group, const gchar * topic,
    gint32 partition, gint64 offset, gint32 leader_epoch,
    const gchar * metadata, gint64 now_ms)
{
  gint16 error_code;
  Entry *e;

  pthread_mutex_lock (&txn->lock);
  e = current (txn, transactional_id, producer_id, producer_epoch,
      fenced_code_ok, now_ms, &error_code);
  if (e && (!e->open || !g_hash_table_contains (e->groups, group))) {
    error_code = RG_KAFKA_INVALID_TXN_STATE;
  } else if (e) {
    gchar *key = g_strdup_printf ("%s\n%s\n%d", group, topic, partition);

    if (!g_hash_table_contains (e->offsets, key) &&
        g_hash_table_size (e->offsets) >= RG_BROKER_TXN_MAX_PARTITIONS) {
      g_free (key);
      error_code = RG_KAFKA_INVALID_TXN_STATE;
    } else {
      RgBrokerTxnOffset *o = g_new0 (RgBrokerTxnOffset, 1);

      o->group = g_strdup (group);
      o->topic = g_strdup (topic);
      o->partition = partition;
      o->offset = offset;
      o->leader_epoch = leader_epoch;
      o->metadata = g_strdup (metadata);
      g_hash_table_replace (e->offsets, key, o);
    }
  }
  pthread_mutex_unlock (&txn->lock);
  return error_code;
}

/* ---- EndTxn ---- */

gint16
rg_broker_txn_end (RgBrokerTxn * txn, const gchar * transactional_id,
    gint64 producer_id, gint16 producer_epoch, gboolean fenced_code_ok,
    gboolean commit, gint64 now_ms, RgBrokerTxnEnd ** end)
{
  gint16 error_code;
  Entry *e;

  *end = NULL;
  pthread_mutex_lock (&txn->lock);
  e = current (txn, transactional_id, producer_id, producer_epoch,
      fenced_code_ok, now_ms, &error_code);
  if (e && e->open)
    *end = close_transaction (txn, e, commit, e->producer_id, e->epoch);
  else if (e && e->last_end != (commit ? 1 : 0))
    error_code = RG_KAFKA_INVALID_TXN_STATE;
  pthread_mutex_unlock (&txn->lock);
  return error_code;
}

/* ---- Produce ---- */

gint16
rg_broker_txn_check_produce (RgBrokerTxn * txn, gint64 producer_id,
    gint16 producer_epoch, const gchar * topic, gint32 partition)
{
  gint16 error_code = RG_KAFKA_NONE;
  gchar *key = NULL;
  Entry *e;

  pthread_mutex_lock (&txn->lock);
  e = g_hash_table_lookup (txn->by_producer, &producer_id);
  if (!e)
    error_code = RG_KAFKA_INVALID_PRODUCER_ID_MAPPING;
  else if (producer_epoch != e->epoch)
    error_code = RG_KAFKA_INVALID_PRODUCER_EPOCH;
  else if (!e->open || !g_hash_table_contains (e->partitions,
          (key = partition_key (topic, partition))))
    error_code = RG_KAFKA_INVALID_TXN_STATE;
  pthread_mutex_unlock (&txn->lock);
  g_free (key);
  return error_code;
}

/* ---- Timeouts ---- */

GPtrArray *
rg_broker_txn_expire (RgBrokerTxn * txn, gint64 now_ms)
{
  GPtrArray *ended = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rg_broker_txn_end_free);
  GHashTableIter it;
  gpointer value;

  pthread_mutex_lock (&txn->lock);
  g_hash_table_iter_init (&it, txn->ids);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Entry *e = value;
    gint64 old_id = e->producer_id;
    gint16 old_epoch = e->epoch;

    if (!e->open || now_ms - e->opened_ms <= e->timeout_ms)
      continue;
    /* The bump may change the id (and so by_producer, not ids). */
    bump_epoch (txn, e, now_ms);
    g_ptr_array_add (ended, close_transaction (txn, e, FALSE, old_id,
            old_id == e->producer_id ? e->epoch : old_epoch));
    e->last_end = -1;
  }
  pthread_mutex_unlock (&txn->lock);
  return ended;
}

/* ---- The transactions of each partition ---- */

/* The state of a partition (created when @create), lock held. */
static PartitionState *
partition_state (RgBrokerTxn * txn, const gchar * topic, gint32 partition,
    gboolean create)
{
  gchar *key;
  PartitionState *ps;

  /* No partition has seen a transaction (the usual broker): every Fetch
   * asks, and pays no key for it. */
  if (!create && g_hash_table_size (txn->partition_states) == 0)
    return NULL;
  key = partition_key (topic, partition);
  ps = g_hash_table_lookup (txn->partition_states, key);
  if (!ps && create) {
    ps = g_new0 (PartitionState, 1);
    ps->open = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
        NULL);
    ps->aborted = g_array_new (FALSE, FALSE, sizeof (Aborted));
    g_hash_table_insert (txn->partition_states, key, ps);
    key = NULL;
  }
  g_free (key);
  return ps;
}

void
rg_broker_txn_note_append (RgBrokerTxn * txn, gint64 producer_id,
    const gchar * topic, gint32 partition, gint64 base_offset)
{
  PartitionState *ps;

  pthread_mutex_lock (&txn->lock);
  ps = partition_state (txn, topic, partition, TRUE);
  if (!g_hash_table_contains (ps->open, &producer_id)) {
    gint64 *pair = g_new (gint64, 2);

    pair[0] = producer_id;
    pair[1] = base_offset;
    g_hash_table_insert (ps->open, pair, pair);
  }
  pthread_mutex_unlock (&txn->lock);
}

void
rg_broker_txn_note_marker (RgBrokerTxn * txn, const RgBrokerTxnEnd * end,
    const gchar * topic, gint32 partition, gint64 marker_offset)
{
  PartitionState *ps;
  gint64 *pair;

  pthread_mutex_lock (&txn->lock);
  ps = partition_state (txn, topic, partition, FALSE);
  pair = ps ? g_hash_table_lookup (ps->open, &end->producer_id) : NULL;
  if (pair && !end->commit && marker_offset >= 0) {
    Aborted a = { end->producer_id, pair[1], marker_offset };

    if (ps->aborted->len >= RG_BROKER_TXN_MAX_ABORTED)
      g_array_remove_index (ps->aborted, 0);
    g_array_append_val (ps->aborted, a);
  }
  if (pair)
    g_hash_table_remove (ps->open, &end->producer_id);
  pthread_mutex_unlock (&txn->lock);
}

gint64
rg_broker_txn_first_open_offset (RgBrokerTxn * txn, const gchar * topic,
    gint32 partition)
{
  gint64 first = -1;
  PartitionState *ps;
  GHashTableIter it;
  gpointer value;

  pthread_mutex_lock (&txn->lock);
  ps = partition_state (txn, topic, partition, FALSE);
  if (ps) {
    g_hash_table_iter_init (&it, ps->open);
    while (g_hash_table_iter_next (&it, NULL, &value)) {
      gint64 offset = ((gint64 *) value)[1];

      if (first < 0 || offset < first)
        first = offset;
    }
  }
  pthread_mutex_unlock (&txn->lock);
  return first;
}

void
rg_broker_txn_aborted (RgBrokerTxn * txn, const gchar * topic,
    gint32 partition, gint64 from, gint64 to, gint64 log_start, GArray * out)
{
  PartitionState *ps;
  guint i, gone = 0;

  pthread_mutex_lock (&txn->lock);
  ps = partition_state (txn, topic, partition, FALSE);
  if (ps) {
    /* Markers are in offset order: the forgotten ones are a prefix. */
    while (gone < ps->aborted->len &&
        g_array_index (ps->aborted, Aborted, gone).marker_offset < log_start)
      gone++;
    if (gone > 0)
      g_array_remove_range (ps->aborted, 0, gone);
    for (i = 0; i < ps->aborted->len; i++) {
      const Aborted *a = &g_array_index (ps->aborted, Aborted, i);
      RgKafkaAbortedTransaction t = { a->producer_id, a->first_offset };

      if (a->first_offset < to && a->marker_offset >= from)
        g_array_append_val (out, t);
    }
  }
  pthread_mutex_unlock (&txn->lock);
}

void
rg_broker_txn_forget_topic (RgBrokerTxn * txn, const gchar * topic)
{
  gchar *prefix = g_strdup_printf ("%s\n", topic);
  GHashTableIter it;
  gpointer key;

  pthread_mutex_lock (&txn->lock);
  g_hash_table_iter_init (&it, txn->partition_states);
  while (g_hash_table_iter_next (&it, &key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&it);
  pthread_mutex_unlock (&txn->lock);
  g_free (prefix);
}

/* ---- Markers ---- */

/* The control record: length, attributes, timestamp delta, offset delta,
 * key (int16 version, int16 type), value (int16 version, int32
 * coordinator epoch), no headers. Every varint here fits one byte. */
#define MARKER_RECORD_BODY 16
#define MARKER_SIZE (RG_BATCH_HEADER_SIZE + 1 + MARKER_RECORD_BODY)

GBytes *
rg_broker_txn_marker_batch (gint64 producer_id, gint16 producer_epoch,
    gboolean commit, gint64 timestamp_ms)
{
  guint8 *b = g_malloc0 (MARKER_SIZE);
  guint8 *r = b + RG_BATCH_HEADER_SIZE;

  GST_WRITE_UINT64_BE (b, 0);
  GST_WRITE_UINT32_BE (b + 8, MARKER_SIZE - 12);
  GST_WRITE_UINT32_BE (b + 12, 0);
  b[16] = 2;
  GST_WRITE_UINT16_BE (b + 21, MARKER_ATTRIBUTES);
  GST_WRITE_UINT32_BE (b + 23, 0);
  GST_WRITE_UINT64_BE (b + 27, timestamp_ms);
  GST_WRITE_UINT64_BE (b + 35, timestamp_ms);
  GST_WRITE_UINT64_BE (b + 43, producer_id);
  GST_WRITE_UINT16_BE (b + 51, producer_epoch);
  GST_WRITE_UINT32_BE (b + 53, (guint32) - 1);
  GST_WRITE_UINT32_BE (b + 57, 1);
  /* Zigzag varints: 16 -> 32, 0 -> 0, 4 -> 8, 6 -> 12. */
  r[0] = MARKER_RECORD_BODY * 2;
  r[1] = 0;
  r[2] = 0;
  r[3] = 0;
  r[4] = 4 * 2;
  GST_WRITE_UINT16_BE (r + 5, 0);
  GST_WRITE_UINT16_BE (r + 7, commit ? 1 : 0);
  r[9] = 6 * 2;
  GST_WRITE_UINT16_BE (r + 10, 0);
  GST_WRITE_UINT32_BE (r + 12, 0);
  r[16] = 0;
  GST_WRITE_UINT32_BE (b + 17, rg_crc32c (0, b + 21, MARKER_SIZE - 21));
  return g_bytes_new_take (b, MARKER_SIZE);
}

void
rg_broker_txn_get_counts (RgBrokerTxn * txn, guint * n_ids, guint * n_open)
{
  pthread_mutex_lock (&txn->lock);
  *n_ids = g_hash_table_size (txn->ids);
  *n_open = txn->n_open;
  pthread_mutex_unlock (&txn->lock);
}
