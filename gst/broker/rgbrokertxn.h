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
 * The transaction coordinator of the embedded broker (rgbrokertxn.c):
 * the state of each transactional id, as KIP-98 describes it for one
 * broker that coordinates every transaction itself. Not installed.
 *
 * It keeps, per transactional id: the producer id and epoch it maps to,
 * whether a transaction is open, the partitions added to it
 * (AddPartitionsToTxn), the groups added (AddOffsetsToTxn) and the offsets
 * committed into it (TxnOffsetCommit), which take effect only when the
 * transaction commits. It writes nothing itself: ending a transaction
 * (EndTxn, a re-init that fences an open one, a timeout) hands the caller
 * an RgBrokerTxnEnd listing the partitions that need a COMMIT or ABORT
 * control batch and the offsets to apply, and the caller writes them.
 * The rules are described at the top of rgbrokertxn.c and in
 * docs/protocol.md.
 *
 * Producer ids come from RgBrokerProducers (rgbrokerproducers.h), so that
 * the idempotent sequence checks of a transactional producer's batches
 * see the same ids and epochs.
 *
 * Memory is bounded: at most @max_ids transactional ids, the least
 * recently used one without an open transaction forgotten first; when all
 * have one open, a new id is refused with CONCURRENT_TRANSACTIONS
 * (retriable) until one ends. A transaction holds at most
 * RG_BROKER_TXN_MAX_PARTITIONS partitions and as many offsets.
 *
 * Thread-safety: every function may be called from any thread; one mutex
 * guards the table. In the broker only the loop thread calls them.
 *
 * Time: functions take @now_ms (monotonic milliseconds), so that tests
 * can drive timeouts.
 */

#ifndef __RG_BROKER_TXN_H__
#define __RG_BROKER_TXN_H__

#include "broker/rgbrokerproducers.h"

G_BEGIN_DECLS

/* The longest transaction timeout a producer may ask for: Kafka's
 * transaction.max.timeout.ms default, 15 minutes. */
#define RG_BROKER_TXN_MAX_TIMEOUT_MS (15 * 60 * 1000)
/* The most partitions (and offsets) one transaction may hold. */
#define RG_BROKER_TXN_MAX_PARTITIONS 10000
#define RG_BROKER_TXN_DEFAULT_MAX_IDS 10000

typedef struct _RgBrokerTxn RgBrokerTxn;

/* One partition of a transaction. */
typedef struct
{
  gchar *topic;
  gint32 partition;
} RgBrokerTxnPartition;

/* One offset committed in a transaction (@metadata nullable). */
typedef struct
{
  gchar *group;
  gchar *topic;
  gint32 partition;
  gint64 offset;
  gint32 leader_epoch;
  gchar *metadata;
} RgBrokerTxnOffset;

/*
 * A transaction that ended: what the caller must write.
 * @transactional_id: whose
 * @producer_id, @producer_epoch: the id and epoch the control batches
 *   carry (for a fenced or timed-out transaction, the bumped epoch, so
 *   that the old producer's late batches are refused)
 * @commit: TRUE for COMMIT markers (and apply @offsets), FALSE for ABORT
 *   (and drop them)
 * @partitions: (element-type RgBrokerTxnPartition): one control batch each
 * @offsets: (element-type RgBrokerTxnOffset): the group offsets to commit
 */
typedef struct
{
  gchar *transactional_id;
  gint64 producer_id;
  gint16 producer_epoch;
  gboolean commit;
  GPtrArray *partitions;
  GPtrArray *offsets;
} RgBrokerTxnEnd;

void rg_broker_txn_end_free (RgBrokerTxnEnd * end);

/* @producers (not owned; must outlive the coordinator) hands out the
 * producer ids. @max_ids: at least 1. */
RgBrokerTxn *rg_broker_txn_new (RgBrokerProducers * producers,
    guint max_ids);
void rg_broker_txn_free (RgBrokerTxn * txn);

/*
 * InitProducerId with a transactional id. A new id gets a new producer
 * id with epoch 0; a known one gets its epoch bumped, which fences the
 * producer that held the previous epoch. An open transaction of the
 * previous epoch is aborted: *@aborted (transfer full, else NULL) says
 * what to write. @producer_id and @producer_epoch are the request's (v3+,
 * -1 otherwise): when set they must name the id's current producer id and
 * epoch (fenced otherwise). @fenced_code_ok: answer PRODUCER_FENCED (v4+)
 * instead of INVALID_PRODUCER_EPOCH. Errors: INVALID_TRANSACTION_TIMEOUT
 * (@timeout_ms not in 1..RG_BROKER_TXN_MAX_TIMEOUT_MS),
 * CONCURRENT_TRANSACTIONS (table full of open transactions), the fencing
 * codes.
 */
gint16 rg_broker_txn_init (RgBrokerTxn * txn, const gchar * transactional_id,
    gint32 timeout_ms, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, gint64 now_ms, gint64 * out_id,
    gint16 * out_epoch, RgBrokerTxnEnd ** aborted);

/*
 * AddPartitionsToTxn for one partition: opens the transaction if none is
 * open and adds the partition (adding it twice is harmless). Errors:
 * INVALID_PRODUCER_ID_MAPPING (unknown transactional id, or another
 * producer id), INVALID_PRODUCER_EPOCH or PRODUCER_FENCED (an old epoch;
 * @fenced_code_ok as above, AddPartitionsToTxn v2+), INVALID_TXN_STATE
 * (more than RG_BROKER_TXN_MAX_PARTITIONS). The caller checks that the
 * partition exists first.
 */
gint16 rg_broker_txn_add_partition (RgBrokerTxn * txn,
    const gchar * transactional_id, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, const gchar * topic, gint32 partition,
    gint64 now_ms);

/* AddOffsetsToTxn: opens the transaction if none is open and adds
 * @group, whose offsets TxnOffsetCommit may then commit into it. Errors
 * as rg_broker_txn_add_partition(). */
gint16 rg_broker_txn_add_group (RgBrokerTxn * txn,
    const gchar * transactional_id, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, const gchar * group, gint64 now_ms);

/* TxnOffsetCommit of one partition: keeps the offset (a later one for the
 * same group and partition replaces it) until the transaction ends.
 * Errors: as above, and INVALID_TXN_STATE when @group was not added by
 * AddOffsetsToTxn to the open transaction. */
gint16 rg_broker_txn_commit_offset (RgBrokerTxn * txn,
    const gchar * transactional_id, gint64 producer_id, gint16 producer_epoch,
    gboolean fenced_code_ok, const gchar * group, const gchar * topic,
    gint32 partition, gint64 offset, gint32 leader_epoch,
    const gchar * metadata, gint64 now_ms);

/*
 * EndTxn: ends the open transaction, committing (@commit) or aborting it;
 * *@end (transfer full) says what to write, NULL when nothing (a retry of
 * the EndTxn that just ended it answers NONE again with nothing to
 * write). Errors: the mapping and fencing codes above, INVALID_TXN_STATE
 * (no transaction open, or a commit retried as an abort or the reverse).
 */
gint16 rg_broker_txn_end (RgBrokerTxn * txn, const gchar * transactional_id,
    gint64 producer_id, gint16 producer_epoch, gboolean fenced_code_ok,
    gboolean commit, gint64 now_ms, RgBrokerTxnEnd ** end);

/* Whether a transactional Produce of (@producer_id, @producer_epoch) into
 * @topic/@partition is allowed: NONE when the partition belongs to that
 * producer's open transaction; INVALID_PRODUCER_EPOCH for an old epoch;
 * INVALID_TXN_STATE when the partition was not added (or no transaction
 * is open); INVALID_PRODUCER_ID_MAPPING for a producer id no
 * transactional id maps to. */
gint16 rg_broker_txn_check_produce (RgBrokerTxn * txn, gint64 producer_id,
    gint16 producer_epoch, const gchar * topic, gint32 partition);

/* Aborts every transaction open longer than its timeout, bumping the
 * epoch as Kafka does (the producer is fenced and must init again).
 * Returns (transfer full) an array of RgBrokerTxnEnd to write, possibly
 * empty. */
GPtrArray *rg_broker_txn_expire (RgBrokerTxn * txn, gint64 now_ms);

/* ---- The transactions of each partition ----
 *
 * What Fetch and ListOffsets need: per partition, the first offset of
 * each transaction still open there (the last stable offset, LSO, is the
 * smallest of them, or the high watermark when none is open) and the
 * aborted transactions whose records a read_committed consumer must skip.
 * Partitions are named by topic and partition index. */

/* The most aborted transactions kept per partition; older ones are
 * forgotten first (their records have usually left the ring by then). */
#define RG_BROKER_TXN_MAX_ABORTED 10000

/* A transactional batch of @producer_id was appended at @base_offset:
 * the first one of its transaction on the partition holds the LSO there
 * until the transaction's marker is written. */
void rg_broker_txn_note_append (RgBrokerTxn * txn, gint64 producer_id,
    const gchar * topic, gint32 partition, gint64 base_offset);

/* The marker of @end was appended to the partition at @marker_offset (-1
 * when it could not be: the partition is gone): the transaction is no
 * longer open there, and an aborted one that wrote records there joins the
 * partition's aborted list, spanning its first offset to the marker. */
void rg_broker_txn_note_marker (RgBrokerTxn * txn, const RgBrokerTxnEnd * end,
    const gchar * topic, gint32 partition, gint64 marker_offset);

/* The first offset of the earliest transaction open on the partition, or
 * -1 when none is (the LSO is then the high watermark). */
gint64 rg_broker_txn_first_open_offset (RgBrokerTxn * txn,
    const gchar * topic, gint32 partition);

/* Appends to @out (of RgKafkaAbortedTransaction) the aborted transactions
 * of the partition with records in [@from, @to): first offset below @to
 * and marker at or above @from. Those whose marker is below @log_start
 * are forgotten (their records are gone). */
void rg_broker_txn_aborted (RgBrokerTxn * txn, const gchar * topic,
    gint32 partition, gint64 from, gint64 to, gint64 log_start,
    GArray * out);

/* Forgets the partitions of @topic (deleted): a topic created again under
 * the name starts with no transaction. Open transactions keep the
 * partition in their list; its marker then finds no partition. */
void rg_broker_txn_forget_topic (RgBrokerTxn * txn, const gchar * topic);

/* The control batch that ends a transaction on a partition: magic 2, the
 * transactional and control attribute bits, @producer_id and
 * @producer_epoch, base sequence -1, one record whose key is the control
 * record (version 0, type 0 ABORT or 1 COMMIT) and whose value is the end
 * transaction marker (version 0, coordinator epoch 0). Base offset 0: the
 * append sets it. (transfer full) */
GBytes *rg_broker_txn_marker_batch (gint64 producer_id, gint16 producer_epoch,
    gboolean commit, gint64 timestamp_ms);

/* How many transactional ids are kept and how many have a transaction
 * open (for tests and stats). */
void rg_broker_txn_get_counts (RgBrokerTxn * txn, guint * n_ids,
    guint * n_open);

G_END_DECLS

#endif /* __RG_BROKER_TXN_H__ */
