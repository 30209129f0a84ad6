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
 * The codec of the transaction apis (contract in rgkafkatxn.h). Kafka's
 * JSON message specs are the authority; the layouts, with [vN+] for
 * fields present from version N. All four are flexible from v3: strings
 * and arrays compact, and every struct (the body and each array element)
 * ends with a tag section; rgkafkawire.c switches the encodings on the
 * reader's or response's flexible flag. v1 and v2 of AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn change only the broker's behaviour (v2: a
 * fenced producer may be told PRODUCER_FENCED), not the bytes.
 *
 * AddPartitionsToTxn (24), v0-3:
 *   request  STRING TransactionalId, int64 ProducerId, int16 ProducerEpoch,
 *            ARRAY Topics {STRING Name, ARRAY int32 Partitions}
 *   response int32 ThrottleTimeMs, ARRAY Results {STRING Name,
 *            ARRAY Results {int32 PartitionIndex, int16 ErrorCode}}
 *
 * AddOffsetsToTxn (25), v0-3:
 *   request  STRING TransactionalId, int64 ProducerId, int16 ProducerEpoch,
 *            STRING GroupId
 *   response int32 ThrottleTimeMs, int16 ErrorCode
 *
 * EndTxn (26), v0-3:
 *   request  STRING TransactionalId, int64 ProducerId, int16 ProducerEpoch,
 *            bool Committed
 *   response int32 ThrottleTimeMs, int16 ErrorCode
 *
 * TxnOffsetCommit (28), v0-3:
 *   request  STRING TransactionalId, STRING GroupId, int64 ProducerId,
 *            int16 ProducerEpoch, [v3+ int32 GenerationId, STRING MemberId,
 *            NULLABLE_STRING GroupInstanceId], ARRAY Topics {STRING Name,
 *            ARRAY Partitions {int32 PartitionIndex, int64 CommittedOffset,
 *            [v2+ int32 CommittedLeaderEpoch], NULLABLE_STRING
 *            CommittedMetadata}}
 *   response int32 ThrottleTimeMs, ARRAY Topics {STRING Name,
 *            ARRAY Partitions {int32 PartitionIndex, int16 ErrorCode}}
 *
 * Bounds: array counts are checked against the smallest encoding of one
 * element before anything is allocated (rg_kafka_read_array_count()), so
 * a request holds at most a small multiple of its frame size.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkatxn.h"

/* Smallest encodings, for the array count checks. A topic of
 * AddPartitionsToTxn is a name and a count (a one-byte compact string and
 * count, and a tag section, when flexible); one of TxnOffsetCommit the
 * same; a TxnOffsetCommit partition is its fixed fields and a null
 * metadata string. */
#define TXN_TOPIC_MIN_SIZE(flexible) ((flexible) ? 3 : 6)
#define OFFSET_PARTITION_MIN_SIZE(v) \
  (12 + ((v) >= 2 ? 4 : 0) + 2)

static void
read_producer (RgKafkaReader * r, RgKafkaTxnProducer * p)
{
  p->producer_id = rg_kafka_read_int64 (r, "ProducerId");
  p->producer_epoch = rg_kafka_read_int16 (r, "ProducerEpoch");
}

/* ---- AddPartitionsToTxn ---- */

static void
parse_txn_topic (RgKafkaReader * r, RgKafkaTxnTopic * t)
{
  gint32 i, n;

  t->name = rg_kafka_read_str (r, FALSE, "Name");
  n = rg_kafka_read_array_count (r, FALSE, 4, "Partitions");
  t->partitions = g_new0 (gint32, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++)
    t->partitions[i] = rg_kafka_read_int32 (r, "Partition");
  t->n_partitions = r->failed ? 0 : n;
  rg_kafka_read_tags (r);
}

gpointer
rg_kafka_parse_add_partitions_to_txn (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaAddPartitionsToTxnRequest *req =
      g_new0 (RgKafkaAddPartitionsToTxnRequest, 1);
  gint32 i, n;

  (void) api_version;
  req->producer.transactional_id = rg_kafka_read_str (r, FALSE,
      "TransactionalId");
  read_producer (r, &req->producer);
  n = rg_kafka_read_array_count (r, FALSE, TXN_TOPIC_MIN_SIZE (r->flexible),
      "Topics");
  req->topics = g_new0 (RgKafkaTxnTopic, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_topics++)
    parse_txn_topic (r, &req->topics[i]);
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_add_partitions_to_txn_request_free (gpointer body)
{
  RgKafkaAddPartitionsToTxnRequest *req = body;
  guint i;

  if (!req)
    return;
  for (i = 0; i < req->n_topics; i++)
    g_free (req->topics[i].partitions);
  g_free (req->topics);
  g_free (req);
}

/* ---- AddOffsetsToTxn and EndTxn ---- */

gpointer
rg_kafka_parse_add_offsets_to_txn (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaAddOffsetsToTxnRequest *req =
      g_new0 (RgKafkaAddOffsetsToTxnRequest, 1);

  (void) api_version;
  req->producer.transactional_id = rg_kafka_read_str (r, FALSE,
      "TransactionalId");
  read_producer (r, &req->producer);
  req->group_id = rg_kafka_read_str (r, FALSE, "GroupId");
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_parse_end_txn (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaEndTxnRequest *req = g_new0 (RgKafkaEndTxnRequest, 1);

  (void) api_version;
  req->producer.transactional_id = rg_kafka_read_str (r, FALSE,
      "TransactionalId");
  read_producer (r, &req->producer);
  req->committed = rg_kafka_read_int8 (r, "Committed") != 0;
  rg_kafka_read_tags (r);
  return req;
}

/* ---- TxnOffsetCommit ---- */

static void
parse_offset_topic (RgKafkaReader * r, gint16 api_version,
    RgKafkaTxnOffsetTopic * t)
{
  gint32 i, n;

  t->name = rg_kafka_read_str (r, FALSE, "Name");
  n = rg_kafka_read_array_count (r, FALSE,
      OFFSET_PARTITION_MIN_SIZE (api_version), "Partitions");
  t->partitions = g_new0 (RgKafkaTxnOffsetPartition, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, t->n_partitions++) {
    RgKafkaTxnOffsetPartition *p = &t->partitions[i];

    p->partition_index = rg_kafka_read_int32 (r, "PartitionIndex");
    p->committed_offset = rg_kafka_read_int64 (r, "CommittedOffset");
    p->committed_leader_epoch = api_version >= 2 ?
        rg_kafka_read_int32 (r, "CommittedLeaderEpoch") : -1;
    p->metadata = rg_kafka_read_str (r, TRUE, "CommittedMetadata");
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
}

gpointer
rg_kafka_parse_txn_offset_commit (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaTxnOffsetCommitRequest *req =
      g_new0 (RgKafkaTxnOffsetCommitRequest, 1);
  gint32 i, n;

  req->producer.transactional_id = rg_kafka_read_str (r, FALSE,
      "TransactionalId");
  req->group_id = rg_kafka_read_str (r, FALSE, "GroupId");
  read_producer (r, &req->producer);
  req->generation_id = -1;
  req->member_id = rg_kafka_str_from_cstr ("");
  req->group_instance_id = RG_KAFKA_STR_NULL;
  if (api_version >= 3) {
    req->generation_id = rg_kafka_read_int32 (r, "GenerationId");
    req->member_id = rg_kafka_read_str (r, FALSE, "MemberId");
    req->group_instance_id = rg_kafka_read_str (r, TRUE, "GroupInstanceId");
  }
  n = rg_kafka_read_array_count (r, FALSE, TXN_TOPIC_MIN_SIZE (r->flexible),
      "Topics");
  req->topics = g_new0 (RgKafkaTxnOffsetTopic, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_topics++)
    parse_offset_topic (r, api_version, &req->topics[i]);
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_txn_offset_commit_request_free (gpointer body)
{
  RgKafkaTxnOffsetCommitRequest *req = body;
  guint i;

  if (!req)
    return;
  for (i = 0; i < req->n_topics; i++)
    g_free (req->topics[i].partitions);
  g_free (req->topics);
  g_free (req);
}

/* ---- Responses ---- */

static const gchar *
api_name (gint16 api_key)
{
  switch (api_key) {
    case RG_KAFKA_TXN_API_ADD_PARTITIONS:
      return "AddPartitionsToTxn";
    case RG_KAFKA_TXN_API_ADD_OFFSETS:
      return "AddOffsetsToTxn";
    case RG_KAFKA_TXN_API_END:
      return "EndTxn";
    case RG_KAFKA_TXN_API_OFFSET_COMMIT:
      return "TxnOffsetCommit";
    default:
      return "api";
  }
}

static gboolean
check_version (gint16 api_key, gint16 api_version, gboolean partitions,
    GError ** error)
{
  gboolean known = partitions ?
      (api_key == RG_KAFKA_TXN_API_ADD_PARTITIONS ||
      api_key == RG_KAFKA_TXN_API_OFFSET_COMMIT) :
      (api_key == RG_KAFKA_TXN_API_ADD_OFFSETS ||
      api_key == RG_KAFKA_TXN_API_END);

  if (known && api_version >= 0 && api_version <= RG_KAFKA_TXN_MAX_VERSION)
    return TRUE;
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
      "%s (key %d) v%d cannot be built by this builder", api_name (api_key),
      api_key, api_version);
  return FALSE;
}

RgKafkaResponse *
rg_kafka_build_txn_partitions_response (gint16 api_key, gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaTxnTopicResult * topics, guint n_topics, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  if (!check_version (api_key, api_version, TRUE, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_TXN_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].name, FALSE, "Name");
    rg_kafka_put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++) {
      rg_kafka_put_int32 (resp, topics[i].partitions[j].partition_index);
      rg_kafka_put_int16 (resp, topics[i].partitions[j].error_code);
      rg_kafka_put_tags (resp);
    }
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_build_txn_error_response (gint16 api_key, gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms, gint16 error_code,
    GError ** error)
{
  RgKafkaResponse *resp;

  if (!check_version (api_key, api_version, FALSE, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_TXN_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}
