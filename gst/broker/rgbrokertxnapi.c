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
 * The transaction apis (contract in rgbrokertxnapi.h). What each answers
 * (docs/protocol.md, "Transactions", has the same):
 *
 *  - AddPartitionsToTxn: every partition is checked first (it exists:
 *    UNKNOWN_TOPIC_OR_PARTITION; the client may write it:
 *    TOPIC_AUTHORIZATION_FAILED; it is an in-memory ingest topic:
 *    TOPIC_AUTHORIZATION_FAILED for a pipeline's topic, POLICY_VIOLATION for
 *    a journal-backed one). If any fails, the others get
 *    OPERATION_NOT_ATTEMPTED (55) and nothing is added, as in Kafka; else
 *    all are added (the producer's id and epoch checked by the
 *    coordinator; PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before).
 *  - AddOffsetsToTxn: the group joins the transaction (the client must be
 *    allowed to read the group: GROUP_AUTHORIZATION_FAILED otherwise).
 *  - TxnOffsetCommit: offsets of a group added to the open transaction,
 *    kept until EndTxn; a partition that does not exist gets
 *    UNKNOWN_TOPIC_OR_PARTITION, one the client may not read
 *    TOPIC_AUTHORIZATION_FAILED. Fencing answers INVALID_PRODUCER_EPOCH in
 *    every version (TxnOffsetCommit has no PRODUCER_FENCED).
 *  - EndTxn: a control batch (COMMIT or ABORT) is appended to every
 *    partition of the transaction, and a commit applies its offsets to
 *    the groups. The answer comes after both, so the producer's next
 *    transaction starts after the markers.
 *  - Produce: see rg_broker_txn_api_check_produce().
 *  - Timeouts: the broker's turn aborts what is open past its timeout.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokertxnapi.h"
#include "broker/rgbrokerauth.h"
#include "broker/rgbrokergroups.h"
#include "broker/rgloop.h"
#include "broker/rgbrokertopic.h"
#include "broker/rgbrokerstats.h"
#include "kafka/rgkafkatxn.h"

#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Batch attributes: transactional (bit 4), control (bit 5). */
#define ATTR_TRANSACTIONAL (1 << 4)
#define ATTR_CONTROL (1 << 5)

/* Kafka's code for the partitions of a request that were not tried
 * because another one failed. */
#define RG_KAFKA_OPERATION_NOT_ATTEMPTED 55

/* A transaction open: how often its timeout is looked at. */
#define TURN_INTERVAL_MS 500

/* ---- Writing what a transaction leaves ---- */

/* Appends the marker of @end to one partition and tells the coordinator
 * where it went. */
static void
write_marker (RgBrokerTxn * txn, RgBrokerRegistry * registry,
    const RgBrokerTxnEnd * end, const RgBrokerTxnPartition * p)
{
  RgBrokerTopic *topic = rg_broker_registry_lookup_partition (registry,
      rg_kafka_str_from_cstr (p->topic), p->partition);
  GBytes *marker = rg_broker_txn_marker_batch (end->producer_id,
      end->producer_epoch, end->commit, g_get_real_time () / 1000);
  gint64 offset = -1;
  guint64 ack = 0;
  gint16 code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;

  if (topic)
    code = rg_broker_topic_produce_durable (topic, g_bytes_get_data (marker,
            NULL), g_bytes_get_size (marker), &offset, &ack);
  if (code != RG_KAFKA_NONE) {
    GST_WARNING ("transaction \"%s\": %s marker for %s/%d not written "
        "(error %d)", end->transactional_id, end->commit ? "COMMIT" :
        "ABORT", p->topic, p->partition, code);
    offset = -1;
  }
  rg_broker_txn_note_marker (txn, end, p->topic, p->partition, offset);
  g_bytes_unref (marker);
  if (topic)
    rg_broker_topic_unref (topic);
}

static gint
compare_offset_groups (gconstpointer a, gconstpointer b)
{
  const RgBrokerTxnOffset *x = *(const RgBrokerTxnOffset * const *) a;
  const RgBrokerTxnOffset *y = *(const RgBrokerTxnOffset * const *) b;

  return strcmp (x->group, y->group);
}

/* Commits one group's offsets of a committed transaction: @offsets[0]
 * and the @n - 1 after it, all of the same group. */
static void
write_group_offsets (RgBrokerGroups * groups, const RgBrokerTxnEnd * end,
    RgBrokerTxnOffset ** offsets, guint n)
{
  RgGroupCommitPartition *parts = g_new0 (RgGroupCommitPartition, n);
  gint16 *errors = g_new0 (gint16, n);
  RgGroupCommitRequest req = { 0, };
  guint i;

  for (i = 0; i < n; i++) {
    parts[i].topic = rg_kafka_str_from_cstr (offsets[i]->topic);
    parts[i].partition = offsets[i]->partition;
    parts[i].offset = offsets[i]->offset;
    parts[i].leader_epoch = offsets[i]->leader_epoch;
    parts[i].metadata = rg_kafka_str_from_cstr (offsets[i]->metadata ?
        offsets[i]->metadata : "");
    parts[i].commit_timestamp = -1;
  }
  req.group_id = rg_kafka_str_from_cstr (offsets[0]->group);
  req.generation_id = -1;
  req.member_id = rg_kafka_str_from_cstr ("");
  req.group_instance_id = RG_KAFKA_STR_NULL;
  req.retention_ms = -1;
  req.partitions = parts;
  req.n_partitions = n;
  req.errors = errors;
  if (rg_broker_groups_commit_txn (groups, &req) != 0)
    GST_WARNING ("transaction \"%s\": offsets of group \"%s\" not "
        "committed (error %d)", end->transactional_id, offsets[0]->group,
        errors[0]);
  g_free (errors);
  g_free (parts);
}

/* Applies the offsets of a committed transaction, one commit per group:
 * a copy of the list sorted by group (stable, so each group's offsets
 * keep the order they were sent in) gives each group's run. */
static void
write_offsets (RgBrokerGroups * groups, const RgBrokerTxnEnd * end)
{
  GPtrArray *sorted = g_ptr_array_copy (end->offsets, NULL, NULL);
  RgBrokerTxnOffset **o;
  guint i, run;

  /* The copy inherits the list's free function: it must own nothing. */
  g_ptr_array_set_free_func (sorted, NULL);
  g_ptr_array_sort (sorted, compare_offset_groups);
  o = (RgBrokerTxnOffset **) sorted->pdata;
  for (i = 0; i < sorted->len; i += run) {
    for (run = 1; i + run < sorted->len; run++)
      if (!g_str_equal (o[i + run]->group, o[i]->group))
        break;
    write_group_offsets (groups, end, o + i, run);
  }
  g_ptr_array_unref (sorted);
}

static void
write_end (RgBrokerTxn * txn, RgBrokerRegistry * registry,
    RgBrokerGroups * groups, const RgBrokerTxnEnd * end)
{
  guint i;

  GST_INFO ("transaction \"%s\" (producer %" G_GINT64_FORMAT ") %s: %u "
      "partitions, %u offsets", end->transactional_id, end->producer_id,
      end->commit ? "committed" : "aborted", end->partitions->len,
      end->offsets->len);
  for (i = 0; i < end->partitions->len; i++)
    write_marker (txn, registry, end, g_ptr_array_index (end->partitions,
            i));
  if (end->commit)
    write_offsets (groups, end);
}

gint64
rg_broker_txn_api_turn (RgBrokerTxn * txn, RgBrokerRegistry * registry,
    RgBrokerGroups * groups, gint64 now)
{
  GPtrArray *ended = rg_broker_txn_expire (txn, now);
  guint i, n_ids, n_open;

  for (i = 0; i < ended->len; i++)
    write_end (txn, registry, groups, g_ptr_array_index (ended, i));
  g_ptr_array_unref (ended);
  rg_broker_txn_get_counts (txn, &n_ids, &n_open);
  return n_open > 0 ? now + TURN_INTERVAL_MS : G_MAXINT64;
}

/* ---- InitProducerId ---- */

gint16
rg_broker_txn_api_init (const RgBrokerRequestContext * ctx,
    const RgKafkaInitProducerIdRequest * ip, gint16 version, gint64 * id,
    gint16 * epoch)
{
  gchar *tid = rg_kafka_str_dup (ip->transactional_id);
  RgBrokerTxnEnd *aborted = NULL;
  gint16 code;

  code = rg_broker_txn_init (ctx->txn, tid, ip->transaction_timeout_ms,
      ip->producer_id, ip->producer_epoch, version >= 4, rg_loop_now_ms (), id,
      epoch, &aborted);
  if (aborted) {
    write_end (ctx->txn, ctx->registry, ctx->groups, aborted);
    rg_broker_txn_end_free (aborted);
  }
  GST_INFO ("client %s: InitProducerId \"%s\": error %d, producer %"
      G_GINT64_FORMAT " epoch %d", ctx->peer, tid, code, *id, *epoch);
  g_free (tid);
  return code;
}

/* ---- Produce ---- */

gint16
rg_broker_txn_api_check_produce (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, const guint8 * records, gsize len,
    RgBatchInfo * info, gboolean * transactional)
{
  gsize size;

  *transactional = FALSE;
  if (!rg_batch_parse_header (records, len, info, NULL) ||
      !(info->attributes & ATTR_TRANSACTIONAL) ||
      (info->attributes & ATTR_CONTROL))
    return RG_KAFKA_NONE;
  *transactional = TRUE;
  size = RG_BATCH_LOG_OVERHEAD + (gsize) info->batch_length;
  if (size != len)
    return RG_KAFKA_INVALID_RECORD;
  return rg_broker_txn_check_produce (ctx->txn, info->producer_id,
      info->producer_epoch, rg_broker_topic_get_name (topic),
      rg_broker_topic_get_partition (topic));
}

void
rg_broker_txn_api_note_produce (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, const RgBatchInfo * info, gint64 base_offset)
{
  rg_broker_txn_note_append (ctx->txn, info->producer_id,
      rg_broker_topic_get_name (topic), rg_broker_topic_get_partition (topic),
      base_offset);
}

/* ---- Fetch, ListOffsets ---- */

gint64
rg_broker_txn_api_lso (RgBrokerTxn * txn, RgBrokerTopic * topic,
    gint64 high_watermark)
{
  gint64 first;

  if (!rg_broker_topic_is_ingest (topic))
    return high_watermark;
  first = rg_broker_txn_first_open_offset (txn,
      rg_broker_topic_get_name (topic), rg_broker_topic_get_partition (topic));
  return first >= 0 && first < high_watermark ? first : high_watermark;
}

void
rg_broker_txn_api_aborted (RgBrokerTxn * txn, RgBrokerTopic * topic,
    gint64 from, gint64 to, gint64 log_start, GArray * out)
{
  if (!rg_broker_topic_is_ingest (topic))
    return;
  rg_broker_txn_aborted (txn, rg_broker_topic_get_name (topic),
      rg_broker_topic_get_partition (topic), from, to, log_start, out);
}

/* ---- AddPartitionsToTxn ---- */

/* Whether one partition may join a transaction. */
static gint16
check_partition (const RgBrokerRequestContext * ctx, RgKafkaStr name,
    gint32 partition)
{
  RgBrokerTopic *topic;
  gint16 code;

  if ((code = rg_broker_auth_check (ctx, name, RG_BROKER_ACL_WRITE)) != 0)
    return code;
  topic = rg_broker_registry_lookup_partition (ctx->registry, name,
      partition);
  if (!topic)
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  if (!rg_broker_topic_is_ingest (topic))
    code = RG_BROKER_PRODUCE_REFUSED_ERROR;
  else if (rg_broker_topic_is_journal (topic))
    code = RG_KAFKA_POLICY_VIOLATION;
  rg_broker_topic_unref (topic);
  return code;
}

RgBrokerHandleResult
rg_broker_txn_api_add_partitions (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaAddPartitionsToTxnRequest *ap = req->body.other.body;
  RgKafkaTxnTopicResult *topics = g_new0 (RgKafkaTxnTopicResult,
      MAX (ap->n_topics, 1));
  RgKafkaTxnPartitionResult *parts;
  gchar *tid = rg_kafka_str_dup (ap->producer.transactional_id);
  gboolean failed = FALSE;
  guint i, j, n = 0, k = 0;
  GError *error = NULL;
  RgKafkaResponse *resp;

  for (i = 0; i < ap->n_topics; i++)
    n += ap->topics[i].n_partitions;
  parts = g_new0 (RgKafkaTxnPartitionResult, MAX (n, 1));
  /* First every check, then (only if all passed) every addition. */
  for (i = 0; i < ap->n_topics; i++) {
    topics[i].name = ap->topics[i].name;
    topics[i].partitions = &parts[k];
    topics[i].n_partitions = ap->topics[i].n_partitions;
    for (j = 0; j < ap->topics[i].n_partitions; j++, k++) {
      parts[k].partition_index = ap->topics[i].partitions[j];
      parts[k].error_code = check_partition (ctx, ap->topics[i].name,
          ap->topics[i].partitions[j]);
      failed |= parts[k].error_code != RG_KAFKA_NONE;
    }
  }
  for (i = 0, k = 0; i < ap->n_topics; i++) {
    gchar *name = rg_kafka_str_dup (ap->topics[i].name);

    for (j = 0; j < ap->topics[i].n_partitions; j++, k++) {
      if (failed) {
        if (parts[k].error_code == RG_KAFKA_NONE)
          parts[k].error_code = RG_KAFKA_OPERATION_NOT_ATTEMPTED;
        continue;
      }
      parts[k].error_code = rg_broker_txn_add_partition (ctx->txn, tid,
          ap->producer.producer_id, ap->producer.producer_epoch,
          req->header.api_version >= 2, name, parts[k].partition_index,
          rg_loop_now_ms ());
    }
    g_free (name);
  }
  resp = rg_kafka_build_txn_partitions_response (RG_KAFKA_TXN_API_ADD_PARTITIONS,
      req->header.correlation_id, req->header.api_version, 0, topics,
      ap->n_topics, &error);
  g_free (tid);
  g_free (topics);
  g_free (parts);
  return rg_broker_answer (resp, error, "AddPartitionsToTxn", ctx, out);
}

/* ---- AddOffsetsToTxn, EndTxn ---- */

RgBrokerHandleResult
rg_broker_txn_api_add_offsets (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaAddOffsetsToTxnRequest *ao = req->body.other.body;
  gchar *tid = rg_kafka_str_dup (ao->producer.transactional_id);
  gchar *group = rg_kafka_str_dup (ao->group_id);
  GError *error = NULL;
  gint16 code;

  code = rg_broker_auth_check_group (ctx, ao->group_id, RG_BROKER_ACL_READ);
  if (code == RG_KAFKA_NONE)
    code = rg_broker_txn_add_group (ctx->txn, tid, ao->producer.producer_id,
        ao->producer.producer_epoch, req->header.api_version >= 2, group,
        rg_loop_now_ms ());
  g_free (tid);
  g_free (group);
  return rg_broker_answer (rg_kafka_build_txn_error_response
      (RG_KAFKA_TXN_API_ADD_OFFSETS, req->header.correlation_id,
          req->header.api_version, 0, code, &error), error,
      "AddOffsetsToTxn", ctx, out);
}

RgBrokerHandleResult
rg_broker_txn_api_end (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaEndTxnRequest *et = req->body.other.body;
  gchar *tid = rg_kafka_str_dup (et->producer.transactional_id);
  RgBrokerTxnEnd *end = NULL;
  GError *error = NULL;
  gint16 code;

  code = rg_broker_txn_end (ctx->txn, tid, et->producer.producer_id,
      et->producer.producer_epoch, req->header.api_version >= 2,
      et->committed, rg_loop_now_ms (), &end);
  if (end) {
    write_end (ctx->txn, ctx->registry, ctx->groups, end);
    rg_broker_txn_end_free (end);
  }
  g_free (tid);
  return rg_broker_answer (rg_kafka_build_txn_error_response
      (RG_KAFKA_TXN_API_END, req->header.correlation_id,
          req->header.api_version, 0, code, &error), error, "EndTxn", ctx,
      out);
}

/* ---- TxnOffsetCommit ---- */

static gint16
commit_one (const RgBrokerRequestContext * ctx,
    const RgKafkaTxnOffsetCommitRequest * oc, const gchar * tid,
    const gchar * group, RgKafkaStr topic, const RgKafkaTxnOffsetPartition * p)
{
  gchar *name, *metadata;
  gint16 code;

  if ((code = rg_broker_auth_check (ctx, topic, RG_BROKER_ACL_READ)) != 0)
    return code;
  if (!rg_broker_registry_has_partition (ctx->registry, topic,
          p->partition_index))
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  name = rg_kafka_str_dup (topic);
  metadata = rg_kafka_str_dup (p->metadata);
  code = rg_broker_txn_commit_offset (ctx->txn, tid,
      oc->producer.producer_id, oc->producer.producer_epoch, FALSE, group,
      name, p->partition_index, p->committed_offset,
      p->committed_leader_epoch, metadata, rg_loop_now_ms ());
  g_free (name);
  g_free (metadata);
  return code;
}

RgBrokerHandleResult
rg_broker_txn_api_offset_commit (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaTxnOffsetCommitRequest *oc = req->body.other.body;
  RgKafkaTxnTopicResult *topics = g_new0 (RgKafkaTxnTopicResult,
      MAX (oc->n_topics, 1));
  RgKafkaTxnPartitionResult *parts;
  gchar *tid = rg_kafka_str_dup (oc->producer.transactional_id);
  gchar *group = rg_kafka_str_dup (oc->group_id);
  gint16 denied = rg_broker_auth_check_group (ctx, oc->group_id,
      RG_BROKER_ACL_READ);
  guint i, j, n = 0, k = 0;
  GError *error = NULL;
  RgKafkaResponse *resp;

  for (i = 0; i < oc->n_topics; i++)
    n += oc->topics[i].n_partitions;
  parts = g_new0 (RgKafkaTxnPartitionResult, MAX (n, 1));
  for (i = 0; i < oc->n_topics; i++) {
    topics[i].name = oc->topics[i].name;
    topics[i].partitions = &parts[k];
    topics[i].n_partitions = oc->topics[i].n_partitions;
    for (j = 0; j < oc->topics[i].n_partitions; j++, k++) {
      const RgKafkaTxnOffsetPartition *p = &oc->topics[i].partitions[j];

      parts[k].partition_index = p->partition_index;
      parts[k].error_code = denied ? denied : commit_one (ctx, oc, tid, group,
          oc->topics[i].name, p);
    }
  }
  resp = rg_kafka_build_txn_partitions_response
      (RG_KAFKA_TXN_API_OFFSET_COMMIT, req->header.correlation_id,
      req->header.api_version, 0, topics, oc->n_topics, &error);
  g_free (tid);
  g_free (group);
  g_free (topics);
  g_free (parts);
  return rg_broker_answer (resp, error, "TxnOffsetCommit", ctx, out);
}
