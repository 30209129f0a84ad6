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
 * The transaction apis of the embedded broker (rgbrokertxnapi.c): the
 * handlers of AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and
 * TxnOffsetCommit, InitProducerId with a transactional id, and the hooks
 * Produce, Fetch and ListOffsets call. They sit between the request
 * handlers (rgbrokerdispatch.c, rgbrokeradmin.c) and the coordinator's
 * state (rgbrokertxn.h): they check requests against topics and ACLs, and
 * write what an ended transaction leaves (a control batch on each of its
 * partitions, the group offsets of a commit). Not installed.
 *
 * Where transactions work: in-memory ingest topics. A journal-backed
 * ingest topic refuses to join a transaction (AddPartitionsToTxn answers
 * POLICY_VIOLATION, 44, an abortable error in clients): the coordinator
 * keeps no log, so after a restart the journal would hold transactional
 * records whose outcome no one remembers. A pipeline's topic takes no
 * Produce at all (TOPIC_AUTHORIZATION_FAILED, as for Produce).
 *
 * Thread-safety: the loop thread, as every handler.
 */

#ifndef __RG_BROKER_TXN_API_H__
#define __RG_BROKER_TXN_API_H__

#include "broker/rgbrokerhandler.h"
#include "broker/rgbrokertxn.h"
#include "kafka/rgkafkaadmin.h"
#include "record/rgbatch.h"

G_BEGIN_DECLS

struct _RgBrokerGroups;

/* InitProducerId of a transactional producer (@ip's transactional id is
 * set); @version picks PRODUCER_FENCED (v4+) over INVALID_PRODUCER_EPOCH.
 * An open transaction of the previous epoch is aborted and its markers
 * written. Returns the Kafka error code. */
gint16 rg_broker_txn_api_init (const RgBrokerRequestContext * ctx,
    const RgKafkaInitProducerIdRequest * ip, gint16 version, gint64 * id,
    gint16 * epoch);

/* Produce: checks a partition's record set into @topic before it is
 * appended. A set whose first batch is transactional must be one batch
 * (INVALID_RECORD otherwise) of the producer's open transaction, on a
 * partition added to it (rg_broker_txn_check_produce()'s codes); *@info
 * gets that batch's header and *@transactional is set. Anything else is
 * left to the idempotence checks (NONE, *@transactional FALSE). */
gint16 rg_broker_txn_api_check_produce (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, const guint8 * records, gsize len,
    RgBatchInfo * info, gboolean * transactional);

/* Produce: the transactional batch @info was appended at @base_offset. */
void rg_broker_txn_api_note_produce (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, const RgBatchInfo * info, gint64 base_offset);

/* The last stable offset of @topic's partition: the first offset of its
 * earliest open transaction, else @high_watermark. */
gint64 rg_broker_txn_api_lso (RgBrokerTxn * txn, RgBrokerTopic * topic,
    gint64 high_watermark);

/* Fetch, read_committed: the aborted transactions with records in
 * [@from, @to) of @topic's partition, whose oldest record kept is at
 * @log_start, appended to @out (RgKafkaAbortedTransaction). */
void rg_broker_txn_api_aborted (RgBrokerTxn * txn, RgBrokerTopic * topic,
    gint64 from, gint64 to, gint64 log_start, GArray * out);

/* Aborts the transactions open past their timeout and writes their
 * markers. Returns when to call again (monotonic ms; G_MAXINT64 when no
 * transaction is open). Loop thread. */
gint64 rg_broker_txn_api_turn (RgBrokerTxn * txn, RgBrokerRegistry * registry,
    struct _RgBrokerGroups *groups, gint64 now_ms);

/* The handlers of the api table. */
RgBrokerHandleResult rg_broker_txn_api_add_partitions (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_txn_api_add_offsets (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_txn_api_end (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
RgBrokerHandleResult rg_broker_txn_api_offset_commit (const RgKafkaRequest *
    req, const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

G_END_DECLS

#endif /* __RG_BROKER_TXN_API_H__ */
