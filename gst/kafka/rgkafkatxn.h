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

#ifndef __RG_KAFKA_TXN_H__
#define __RG_KAFKA_TXN_H__

#include "kafka/rgkafka.h"
#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

/*
 * The codec of the transaction apis (rgkafkatxn.c): AddPartitionsToTxn
 * (24), AddOffsetsToTxn (25), EndTxn (26) and TxnOffsetCommit (28),
 * requests parsed and responses built, no I/O. The byte layouts are
 * described at the top of rgkafkatxn.c and in docs/protocol.md; Kafka's
 * JSON message specs are the authority. Private to libgstrg: not
 * installed, no RG_API.
 *
 * Versions: v0-3 of each, flexible from v3. That covers what librdkafka
 * 2.0.2 (and so confluent-kafka) sends: AddPartitionsToTxn v0,
 * AddOffsetsToTxn v0, EndTxn v0-1, TxnOffsetCommit v0-3. AddPartitionsToTxn
 * v4 (KIP-890's batched form, sent by brokers to brokers) is not read.
 *
 * Parsers have the shape of RgKafkaBodyParseFunc (kafka/rgkafkawire.h):
 * the broker hands them to rg_kafka_request_parse_other() with
 * RG_KAFKA_TXN_FIRST_FLEXIBLE, and frees the body with the matching free
 * function (g_free for the two without arrays).
 *
 * Ownership: a parsed body is allocated (transfer full); its strings point
 * into the request frame, which must outlive it. Builders copy what they
 * are given.
 *
 * Errors: parsers report through the reader (truncated, malformed: a
 * negative count, a null where the spec has none); builders return NULL
 * and set @error (%RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a version
 * outside 0-3, %RG_KAFKA_ERROR_MALFORMED for a null or over-long name).
 *
 * Thread-safety: reentrant, no global state.
 */

#define RG_KAFKA_TXN_API_ADD_PARTITIONS 24
#define RG_KAFKA_TXN_API_ADD_OFFSETS 25
#define RG_KAFKA_TXN_API_END 26
#define RG_KAFKA_TXN_API_OFFSET_COMMIT 28

/* The versions read and built for each of the four apis, and the first
 * flexible one (the same for all four). */
#define RG_KAFKA_TXN_MAX_VERSION 3
#define RG_KAFKA_TXN_FIRST_FLEXIBLE 3

/* Kafka error codes of the transaction apis that neither RgKafkaErrorCode
 * nor kafka/rgkafkaadmin.h lists. */
#define RG_KAFKA_INVALID_PRODUCER_ID_MAPPING 49
#define RG_KAFKA_INVALID_TRANSACTION_TIMEOUT 50
#define RG_KAFKA_CONCURRENT_TRANSACTIONS 51
#define RG_KAFKA_TRANSACTION_COORDINATOR_FENCED 52

/* The fields every transaction request starts with (in TxnOffsetCommit the
 * group id comes between the transactional id and the producer id). */
typedef struct
{
  RgKafkaStr transactional_id;
  gint64 producer_id;
  gint16 producer_epoch;
} RgKafkaTxnProducer;

/*
 * One topic of an AddPartitionsToTxn request.
 * @partitions: (array length=n_partitions): the partition indexes
 */
typedef struct
{
  RgKafkaStr name;
  gint32 *partitions;
  guint n_partitions;
} RgKafkaTxnTopic;

/* AddPartitionsToTxn (24) v0-3 request. */
typedef struct
{
  RgKafkaTxnProducer producer;
  RgKafkaTxnTopic *topics;
  guint n_topics;
} RgKafkaAddPartitionsToTxnRequest;

/* AddOffsetsToTxn (25) v0-3 request: the group whose offsets the
 * transaction will commit. */
typedef struct
{
  RgKafkaTxnProducer producer;
  RgKafkaStr group_id;
} RgKafkaAddOffsetsToTxnRequest;

/* EndTxn (26) v0-3 request: @committed TRUE commits, FALSE aborts. */
typedef struct
{
  RgKafkaTxnProducer producer;
  gboolean committed;
} RgKafkaEndTxnRequest;

/*
 * One partition of a TxnOffsetCommit request.
 * @committed_leader_epoch: v2+, else -1
 * @metadata: nullable
 */
typedef struct
{
  gint32 partition_index;
  gint64 committed_offset;
  gint32 committed_leader_epoch;
  RgKafkaStr metadata;
} RgKafkaTxnOffsetPartition;

/* One topic of a TxnOffsetCommit request. */
typedef struct
{
  RgKafkaStr name;
  RgKafkaTxnOffsetPartition *partitions;
  guint n_partitions;
} RgKafkaTxnOffsetTopic;

/*
 * TxnOffsetCommit (28) v0-3 request.
 * @generation_id, @member_id, @group_instance_id: v3+ (KIP-447), else -1,
 *   "" and null
 */
typedef struct
{
  RgKafkaTxnProducer producer;
  RgKafkaStr group_id;
  gint32 generation_id;
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
  RgKafkaTxnOffsetTopic *topics;
  guint n_topics;
} RgKafkaTxnOffsetCommitRequest;

/* One partition's result, in AddPartitionsToTxn and TxnOffsetCommit
 * responses alike. */
typedef struct
{
  gint32 partition_index;
  gint16 error_code;
} RgKafkaTxnPartitionResult;

/* One topic's results (@partitions: array length=n_partitions). */
typedef struct
{
  RgKafkaStr name;
  const RgKafkaTxnPartitionResult *partitions;
  guint n_partitions;
} RgKafkaTxnTopicResult;

/* Body parsers for rg_kafka_request_parse_other(), and their frees. */
gpointer rg_kafka_parse_add_partitions_to_txn (RgKafkaReader * r,
    gint16 api_version);
void rg_kafka_add_partitions_to_txn_request_free (gpointer body);
gpointer rg_kafka_parse_add_offsets_to_txn (RgKafkaReader * r,
    gint16 api_version);
gpointer rg_kafka_parse_end_txn (RgKafkaReader * r, gint16 api_version);
gpointer rg_kafka_parse_txn_offset_commit (RgKafkaReader * r,
    gint16 api_version);
void rg_kafka_txn_offset_commit_request_free (gpointer body);

/* AddPartitionsToTxn (@api_key 24) and TxnOffsetCommit (28) responses:
 * ThrottleTimeMs, then per topic its partitions' error codes (the same
 * fields in every version). */
RgKafkaResponse *rg_kafka_build_txn_partitions_response (gint16 api_key,
    gint32 correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaTxnTopicResult * topics, guint n_topics, GError ** error);

/* AddOffsetsToTxn (@api_key 25) and EndTxn (26) responses:
 * ThrottleTimeMs, ErrorCode (the same fields in every version). */
RgKafkaResponse *rg_kafka_build_txn_error_response (gint16 api_key,
    gint32 correlation_id, gint16 api_version, gint32 throttle_time_ms,
    gint16 error_code, GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_TXN_H__ */
