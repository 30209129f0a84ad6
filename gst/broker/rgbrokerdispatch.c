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
 * Request dispatch of the embedded broker: the api table and its handlers
 * (the contract is in rgbrokerdispatch.h). Runs on the broker's loop
 * thread; a handler reads and writes topics only through the registry
 * (rgbrokerregistry.h) and the topics' functions (rgbrokertopic.h), and
 * returns its response instead of queueing it, so this file calls nothing
 * above it: the facade (rgbroker.c) hands the outcome to the connection
 * layer (rgbrokerconn.c).
 *
 * The table (apis[] below) is the one source of what the broker
 * advertises: ApiVersions lists it, a request of an api or version not in
 * it closes the connection (a warning the first time per client and api,
 * INFO after that: clients retry in a loop), and each row names its
 * handler. Every version from Kafka 0.10's clients to Kafka 3.x's
 * flexible ones is served; what a version changes is the codec's business
 * (kafka/rgkafka.c), except the old message format (below). Answers, per
 * api:
 *  - ApiVersions: the table; an unsupported version gets error 35 and the
 *    ApiVersions row, so the client retries lower.
 *  - Metadata: this broker as node 0 (advertised host, or the address the
 *    client reached), every registered name (topics and .live views) with
 *    its partitions (0 only for a pipeline's topic, 0 .. n - 1 for an
 *    ingest topic) led by node 0; unknown names get error 3 (17 when the
 *    broker accepts ingest and the name is not one Kafka allows).
 *  - ListOffsets: -1 latest, -2 earliest, -3 (v7) the newest record, else
 *    the first record at or after the timestamp (looked for inside
 *    produced batches too); v0's old form gets the one offset found.
 *  - Produce: refused with RG_BROKER_PRODUCE_REFUSED_ERROR (29) by a
 *    pipeline-owned topic. Any other topic is an ingest topic when the
 *    broker accepts ingest (created on first use, here or in Metadata,
 *    unless an element reserved the name): every batch is validated (2
 *    CORRUPT_MESSAGE if one fails, nothing stored), stored with its
 *    baseOffset patched, and the response carries the first batch's
 *    offset; without ingest, 3; past the topic limit, 44. With durable
 *    ingest (rgbrokeringest.h) the handler PARKs until the records are
 *    durable (rgbrokeracks.h), 56 if the journal failed, 7 past the
 *    request's timeout. acks = 0 gets no response and never waits (the
 *    records are stored all the same). A transactional batch must belong
 *    to its producer's open transaction (rgbrokertxnapi.c); batches of
 *    idempotent producers go through their sequence checks
 *    (rgbrokerproducers.c) on the way.
 *    Produce v0-2 send MessageSet v0/v1: it is converted to one batch
 *    first (kafka/rgkafkalegacy.h), a copy.
 *  - InitProducerId, CreateTopics, DeleteTopics: rgbrokeradmin.c.
 *  - DeleteRecords, DeleteGroups, OffsetDelete: rgbrokerdelete.c.
 *  - AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit:
 *    rgbrokertxnapi.c.
 *  - Fetch: whole batches from each partition's fetch offset, within the
 *    partition and request limits but at least one batch (KIP-74);
 *    LastStableOffset: the first offset of the earliest open transaction,
 *    else the high watermark; read_committed stops there and gets the
 *    aborted transactions of its range; PARK (long poll) while fewer than
 *    MinBytes are available and MaxWaitMs has not passed. Fetch v0-3
 *    clients expect the old message format: their batches are converted
 *    to MessageSet v0/v1 (a copy, the only one on the fetch path). Fetch
 *    sessions (v7+) are declined: session id 0 in every answer, and an
 *    incremental request gets FETCH_SESSION_ID_NOT_FOUND.
 * A partition the registry does not know (a pipeline's topic has only 0,
 * an ingest topic 0 .. n - 1) gets error 3 in Produce, ListOffsets and
 * Fetch.
 * Any frame the codec rejects closes the connection.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerdispatch.h"
#include "broker/rgbrokeracks.h"
#include "broker/rgbrokeradmin.h"
#include "broker/rgbrokeraclapi.h"
#include "broker/rgbrokerdelete.h"
#include "broker/rgbrokergroups.h"
#include "broker/rgbrokerauth.h"
#include "broker/rgbrokerconfigsapi.h"
#include "broker/rgbrokertxnapi.h"
#include "kafka/rgkafkatxn.h"
#include "kafka/rgkafkalegacy.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

static const gint32 broker_replicas[1] = { 0 };

/* How long a Produce that gave no timeout (0 or less) waits for its
 * records to be durable: Kafka's request.timeout.ms default. */
#define PRODUCE_DEFAULT_TIMEOUT_MS (30 * 1000)

static RgBrokerHandleResult handle_api_versions (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
static RgBrokerHandleResult handle_metadata (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
static RgBrokerHandleResult handle_produce (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
static RgBrokerHandleResult handle_list_offsets (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);
static RgBrokerHandleResult handle_fetch (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out);

/* A group api's row: its versions, first flexible version, handler and
 * parser. */
#define GROUP_API(name, min, max, func) \
  {RG_KAFKA_API_ ## name, min, max, RG_KAFKA_ ## name ## _FIRST_FLEXIBLE, \
   rg_broker_groups_ ## func, rg_kafka_group_parse_ ## func, \
   rg_kafka_group_request_free}

/* What the broker advertises and how it answers, ascending by api key:
 * every version from Kafka 0.10's clients to Kafka 3.x's flexible ones. */
static const RgBrokerApi apis[] = {
  {RG_KAFKA_API_PRODUCE, 0, 9, 9, handle_produce},
  {RG_KAFKA_API_FETCH, 0, 12, 12, handle_fetch},
  {RG_KAFKA_API_LIST_OFFSETS, 0, 7, 6, handle_list_offsets},
  {RG_KAFKA_API_METADATA, 0, 12, 9, handle_metadata},
  /* The consumer-group apis (rgbrokergroups.c, kafka/rgkafkagroup.c). */
  GROUP_API (OFFSET_COMMIT, 0, 8, commit),
  GROUP_API (OFFSET_FETCH, 0, 7, fetch),
  GROUP_API (FIND_COORDINATOR, 0, 3, find_coordinator),
  GROUP_API (JOIN_GROUP, 0, 7, join),
  GROUP_API (HEARTBEAT, 0, 4, heartbeat),
  GROUP_API (LEAVE_GROUP, 0, 4, leave),
  GROUP_API (SYNC_GROUP, 0, 5, sync),
  GROUP_API (DESCRIBE_GROUPS, 0, 5, describe),
  GROUP_API (LIST_GROUPS, 0, 4, list),
  {RG_KAFKA_API_SASL_HANDSHAKE, 0, 1, -1, rg_broker_auth_handle_handshake,
      rg_kafka_sasl_parse_handshake, g_free},
  {RG_KAFKA_API_API_VERSIONS, 0, 3, 3, handle_api_versions},
  {RG_KAFKA_ADMIN_API_CREATE_TOPICS, 0, RG_KAFKA_CREATE_TOPICS_MAX_VERSION,
      RG_KAFKA_CREATE_TOPICS_FIRST_FLEXIBLE, rg_broker_handle_create_topics,
      rg_kafka_parse_create_topics, rg_kafka_create_topics_request_free},
  {RG_KAFKA_ADMIN_API_DELETE_TOPICS, 0, RG_KAFKA_DELETE_TOPICS_MAX_VERSION,
      RG_KAFKA_DELETE_TOPICS_FIRST_FLEXIBLE, rg_broker_handle_delete_topics,
      rg_kafka_parse_delete_topics, rg_kafka_delete_topics_request_free},
  {RG_KAFKA_DELETE_API_DELETE_RECORDS, 0, RG_KAFKA_DELETE_RECORDS_MAX_VERSION,
      RG_KAFKA_DELETE_RECORDS_FIRST_FLEXIBLE, rg_broker_handle_delete_records,
      rg_kafka_parse_delete_records, rg_kafka_delete_records_request_free},
  {RG_KAFKA_ADMIN_API_INIT_PRODUCER_ID, 0,
        RG_KAFKA_INIT_PRODUCER_ID_MAX_VERSION,
        RG_KAFKA_INIT_PRODUCER_ID_FIRST_FLEXIBLE,
      rg_broker_handle_init_producer_id, rg_kafka_parse_init_producer_id,
      g_free},
  /* The transaction apis (rgbrokertxnapi.c, kafka/rgkafkatxn.c). */
  {RG_KAFKA_TXN_API_ADD_PARTITIONS, 0, RG_KAFKA_TXN_MAX_VERSION,
        RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_broker_txn_api_add_partitions,
        rg_kafka_parse_add_partitions_to_txn,
      rg_kafka_add_partitions_to_txn_request_free},
  {RG_KAFKA_TXN_API_ADD_OFFSETS, 0, RG_KAFKA_TXN_MAX_VERSION,
        RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_broker_txn_api_add_offsets,
      rg_kafka_parse_add_offsets_to_txn, g_free},
  {RG_KAFKA_TXN_API_END, 0, RG_KAFKA_TXN_MAX_VERSION,
        RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_broker_txn_api_end,
      rg_kafka_parse_end_txn, g_free},
  {RG_KAFKA_TXN_API_OFFSET_COMMIT, 0, RG_KAFKA_TXN_MAX_VERSION,
        RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_broker_txn_api_offset_commit,
        rg_kafka_parse_txn_offset_commit,
      rg_kafka_txn_offset_commit_request_free},
  /* The ACL apis (rgbrokeraclapi.c, kafka/rgkafkaacls.c). */
  {RG_KAFKA_ACLS_API_DESCRIBE, 0, RG_KAFKA_ACLS_MAX_VERSION,
        RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_broker_acl_api_describe,
      rg_kafka_parse_describe_acls, g_free},
  {RG_KAFKA_ACLS_API_CREATE, 0, RG_KAFKA_ACLS_MAX_VERSION,
        RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_broker_acl_api_create,
      rg_kafka_parse_create_acls, rg_kafka_acl_bindings_free},
  {RG_KAFKA_ACLS_API_DELETE, 0, RG_KAFKA_ACLS_MAX_VERSION,
        RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_broker_acl_api_delete,
      rg_kafka_parse_delete_acls, rg_kafka_acl_bindings_free},
  /* The config apis (rgbrokerconfigsapi.c, kafka/rgkafkaconfigs.c). */
  {RG_KAFKA_CONFIGS_API_DESCRIBE, 0, RG_KAFKA_DESCRIBE_CONFIGS_MAX_VERSION,
        RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE,
        rg_broker_configs_api_describe, rg_kafka_parse_describe_configs,
      rg_kafka_describe_configs_request_free},
  {RG_KAFKA_CONFIGS_API_ALTER, 0, RG_KAFKA_ALTER_CONFIGS_MAX_VERSION,
        RG_KAFKA_ALTER_CONFIGS_FIRST_FLEXIBLE, rg_broker_configs_api_alter,
      rg_kafka_parse_alter_configs, rg_kafka_alter_configs_request_free},
  {RG_KAFKA_API_SASL_AUTHENTICATE, 0, 2,
        RG_KAFKA_SASL_AUTHENTICATE_FIRST_FLEXIBLE,
      rg_broker_auth_handle_authenticate, rg_kafka_sasl_parse_authenticate,
      g_free},
  {RG_KAFKA_ADMIN_API_CREATE_PARTITIONS, 0,
        RG_KAFKA_CREATE_PARTITIONS_MAX_VERSION,
        RG_KAFKA_CREATE_PARTITIONS_FIRST_FLEXIBLE,
        rg_broker_handle_create_partitions,
        rg_kafka_parse_create_partitions,
      rg_kafka_create_partitions_request_free},
  {RG_KAFKA_DELETE_API_DELETE_GROUPS, 0, RG_KAFKA_DELETE_GROUPS_MAX_VERSION,
      RG_KAFKA_DELETE_GROUPS_FIRST_FLEXIBLE, rg_broker_handle_delete_groups,
      rg_kafka_parse_delete_groups, rg_kafka_delete_groups_request_free},
  {RG_KAFKA_CONFIGS_API_INCREMENTAL_ALTER, 0,
        RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX_VERSION,
        RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_FIRST_FLEXIBLE,
        rg_broker_configs_api_alter,
        rg_kafka_parse_incremental_alter_configs,
      rg_kafka_alter_configs_request_free},
  {RG_KAFKA_DELETE_API_OFFSET_DELETE, 0, RG_KAFKA_OFFSET_DELETE_MAX_VERSION,
      RG_KAFKA_OFFSET_DELETE_FIRST_FLEXIBLE, rg_broker_handle_offset_delete,
      rg_kafka_parse_offset_delete, rg_kafka_offset_delete_request_free},
};

const RgBrokerApi *
rg_broker_dispatch_apis (guint * n_apis)
{
  *n_apis = G_N_ELEMENTS (apis);
  return apis;
}

static const RgBrokerApi *
find_api (gint16 api_key)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (apis); i++)
    if (apis[i].api_key == api_key)
      return &apis[i];
  return NULL;
}

static RgKafkaApiVersionRange
api_range (const RgBrokerApi * api)
{
  RgKafkaApiVersionRange range;

  range.api_key = api->api_key;
  range.min_version = api->min_version;
  range.max_version = api->max_version;
  return range;
}

/* ---- ApiVersions ---- */

static RgBrokerHandleResult
handle_api_versions (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  RgKafkaApiVersionRange ranges[G_N_ELEMENTS (apis)];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (apis); i++)
    ranges[i] = api_range (&apis[i]);
  out->response = rg_kafka_build_api_versions_response_for
      (req->header.correlation_id, req->header.api_version, 0, ranges,
      G_N_ELEMENTS (apis));
  return RG_BROKER_HANDLE_DONE;
}

/* An ApiVersions version the table does not list: error 35 and the
 * ApiVersions row, so that the client retries with one it finds there. */
static RgBrokerHandleResult
refuse_api_versions (gint32 correlation_id, RgBrokerHandleOutcome * out)
{
  RgKafkaApiVersionRange range =
      api_range (find_api (RG_KAFKA_API_API_VERSIONS));

  out->response = rg_kafka_build_api_versions_error_for (correlation_id,
      &range);
  return RG_BROKER_HANDLE_DONE;
}

/* ---- Metadata ---- */

static RgKafkaMetadataPartition metadata_partition_table
    [RG_BROKER_MAX_INGEST_PARTITIONS];

static void
metadata_partition_table_init (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (metadata_partition_table); i++) {
    RgKafkaMetadataPartition *p = &metadata_partition_table[i];

    p->partition = i;
    p->leader = 0;
    p->n_replicas = 1;
    p->replicas = broker_replicas;
    p->n_isr = 1;
    p->isr = broker_replicas;
  }
}

/* Partitions 0 .. RG_BROKER_MAX_INGEST_PARTITIONS - 1, each led by this
 * broker (node 0), its only replica: a topic of n partitions points at the
 * first n. Built once (pthread_once, which ThreadSanitizer sees). */
static const RgKafkaMetadataPartition *
metadata_partitions (void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;

  pthread_once (&once, metadata_partition_table_init);
  return metadata_partition_table;
}

/* The topic a Metadata or Produce names, created as an ingest topic when
 * the broker accepts ingest and the ACL lets the client create it; when
 * there is none, @topic_error says why. */
static RgBrokerTopic *
dispatch_topic (const RgBrokerRequestContext * ctx, RgKafkaStr name,
    gint16 * topic_error)
{
  *topic_error = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  if (rg_broker_auth_check (ctx, name, RG_BROKER_ACL_CREATE) != 0)
    return rg_broker_registry_lookup (ctx->registry, name);
  return rg_broker_registry_get_ingest (ctx->registry, name, topic_error);
}

/* The topics a Metadata request asks about: all registered names, or the
 * ones it lists (creating ingest topics, as Kafka with auto-creation). The
 * names and partitions in @topics point into @held's topics and the
 * request. */
static void
metadata_topics (const RgKafkaMetadataRequest * m, gint16 version,
    const RgBrokerRequestContext * ctx,
    const RgKafkaMetadataPartition * partition, GPtrArray * held,
    GArray * topics)
{
  guint i;

  if (m->all_topics) {
    GPtrArray *names = g_ptr_array_new ();

    rg_broker_registry_list (ctx->registry, held, names);
    for (i = 0; i < names->len; i++) {
      RgKafkaMetadataTopic t = { 0, };

      t.topic = rg_kafka_str_from_cstr (g_ptr_array_index (names, i));
      if (!rg_broker_auth_describes (ctx, t.topic))
        continue;
      t.n_partitions = rg_broker_registry_count_partitions (ctx->registry,
          t.topic);
      t.partitions = partition;
      g_array_append_val (topics, t);
    }
    g_ptr_array_unref (names);
    return;
  }
  for (i = 0; i < m->n_topics; i++) {
    gint16 topic_error = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    RgBrokerTopic *topic;
    RgKafkaMetadataTopic t = { 0, };

    t.topic = m->topics[i];
    /* v10+ may ask by topic id alone; topics have no ids here. */
    if (t.topic.len < 0) {
      t.error_code = RG_KAFKA_UNKNOWN_TOPIC_ID;
      if (version < 12)
        t.topic = rg_kafka_str_from_cstr ("");
      g_array_append_val (topics, t);
      continue;
    }
    if (!rg_broker_auth_describes (ctx, t.topic)) {
      t.error_code = RG_BROKER_PRODUCE_REFUSED_ERROR;
      g_array_append_val (topics, t);
      continue;
    }
    /* Consumers ask with AllowAutoTopicCreation false (v4+): a topic
     * they subscribe to is not created by asking, nor brought back after
     * a DeleteTopics. */
    topic = m->allow_auto_topic_creation ?
        dispatch_topic (ctx, t.topic, &topic_error) :
        rg_broker_registry_lookup (ctx->registry, t.topic);
    if (topic) {
      g_ptr_array_add (held, topic);
      t.n_partitions = rg_broker_registry_count_partitions (ctx->registry,
          t.topic);
      t.partitions = partition;
    } else {
      /* Kafka's answer for a name it would never create is 17. */
      t.error_code = topic_error == RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION ?
          rg_broker_registry_missing_error (ctx->registry, m->topics[i]) :
          topic_error;
    }
    g_array_append_val (topics, t);
  }
}

static RgBrokerHandleResult
handle_metadata (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaMetadataPartition *partition = metadata_partitions ();
  RgKafkaMetadataBroker node = { 0, };
  RgKafkaMetadataResponse md = { 0, };
  GPtrArray *held = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rg_broker_topic_unref);
  GArray *topics = g_array_new (FALSE, TRUE, sizeof (RgKafkaMetadataTopic));
  GError *error = NULL;

  metadata_topics (&req->body.metadata, req->header.api_version, ctx,
      partition, held, topics);
  node.host = rg_kafka_str_from_cstr (ctx->node_host);
  node.port = ctx->node_port;
  node.rack = RG_KAFKA_STR_NULL;
  md.n_brokers = 1;
  md.brokers = &node;
  md.cluster_id = rg_kafka_str_from_cstr ("gst-rg");
  md.n_topics = topics->len;
  md.topics = (const RgKafkaMetadataTopic *) topics->data;
  out->response = rg_kafka_build_metadata_response
      (req->header.correlation_id, req->header.api_version, &md, &error);
  g_array_unref (topics);
  g_ptr_array_unref (held);
  if (!out->response) {
    GST_WARNING ("client %s: Metadata: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  return RG_BROKER_HANDLE_DONE;
}

/* ---- Produce ---- */

static guint
produce_count_partitions (const RgKafkaProduceRequest * p)
{
  guint i, n = 0;

  for (i = 0; i < p->n_topics; i++)
    n += p->topics[i].n_partitions;
  return n;
}

/* A RecordBatch v2 set: a transactional batch must belong to its
 * producer's open transaction (rgbrokertxnapi.h), and its first offset
 * there holds back the partition's last stable offset; then the
 * idempotence checks decide whether it is stored. */
static gint16
produce_batches (const RgBrokerRequestContext * ctx, RgBrokerTopic * topic,
    const RgKafkaProducePartition * pp, gint64 * base_offset,
    guint64 * ack_offset)
{
  gboolean transactional;
  RgBatchInfo info;
  gint16 code;

  code = rg_broker_txn_api_check_produce (ctx, topic, pp->records,
      pp->records_len, &info, &transactional);
  if (code != RG_KAFKA_NONE) {
    *base_offset = -1;
    *ack_offset = 0;
    GST_INFO ("client %s: transactional batch of producer %" G_GINT64_FORMAT
        " epoch %d refused with %d", ctx->peer, info.producer_id,
        info.producer_epoch, code);
    return code;
  }
  code = rg_broker_producers_produce (ctx->producers, topic, ctx->input,
      pp->records, pp->records_len, base_offset, ack_offset);
  if (code == RG_KAFKA_NONE && transactional)
    rg_broker_txn_api_note_produce (ctx, topic, &info, *base_offset);
  return code;
}

/* Stores a produced record set: a RecordBatch v2 set as it is, a
 * MessageSet v0/v1 (Produce v0-2) converted to one batch first, the one
 * copy old clients cost (rgkafkalegacy.h). *@ack_offset: what the answer
 * waits for (rg_broker_topic_produce_durable()). */
static gint16
produce_store (const RgBrokerRequestContext * ctx, RgBrokerTopic * topic,
    gint16 version, const RgKafkaProducePartition * pp, gint64 * base_offset,
    guint64 * ack_offset)
{
  GError *error = NULL;
  GBytes *batch;
  gint16 code;

  /* Record batches (v3+) may come from an idempotent producer: the
   * sequence check decides whether they are stored. Legacy message sets
   * carry no producer id. */
  if (version >= 3)
    return produce_batches (ctx, topic, pp, base_offset, ack_offset);
  batch = rg_kafka_legacy_to_batch (pp->records, pp->records_len, &error);
  if (batch == NULL) {
    GST_INFO ("client %s: Produce v%d: %s", ctx->peer, version,
        error->message);
    code = g_error_matches (error, RG_KAFKA_ERROR,
        RG_KAFKA_ERROR_UNSUPPORTED_VERSION) ?
        RG_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT : RG_KAFKA_CORRUPT_MESSAGE;
    g_clear_error (&error);
    return code;
  }
  code = rg_broker_topic_produce_durable (topic, g_bytes_get_data (batch,
          NULL), g_bytes_get_size (batch), base_offset, ack_offset);
  g_bytes_unref (batch);
  return code;
}

/* One partition of a Produce: pipeline-owned topics refuse it, ingest
 * topics store it, unknown topics (ingest off) and partitions do not
 * exist, as on a Kafka broker without auto-creation; @topic_error says
 * why @topic (the partition's) is NULL. A durable ingest topic's answer
 * waits in @acks for the records to be durable. */
static void
produce_partition (const RgBrokerRequestContext * ctx, RgBrokerTopic * topic,
    gint16 topic_error, gint16 version, const RgKafkaProducePartition * pp,
    RgBrokerAcks * acks, guint index)
{
  RgKafkaProducePartitionResponse *rp =
      &rg_broker_acks_get_partitions (acks)[index];

  rp->partition = pp->partition;
  rp->base_offset = -1;
  rp->log_append_time = -1;
  rp->log_start_offset = -1;
  if (!topic) {
    rp->error_code = topic_error;
  } else if (!rg_broker_topic_is_ingest (topic)) {
    rp->error_code = RG_BROKER_PRODUCE_REFUSED_ERROR;
  } else if (!pp->records || pp->records_len <= 0) {
    rp->error_code = RG_KAFKA_CORRUPT_MESSAGE;
  } else if ((rp->error_code = rg_broker_configs_api_check_produce (ctx,
              topic, pp->records, pp->records_len)) != RG_KAFKA_NONE) {
    /* A batch over the topic's max.message.bytes: nothing is stored. */
  } else {
    RgBrokerTopicStats stats;
    guint64 ack_offset;

    rp->error_code = produce_store (ctx, topic, version, pp, &rp->base_offset,
        &ack_offset);
    rg_broker_acks_wait (acks, index, topic, ack_offset);
    /* Only Produce v5+ answers carry the log start: not looked up (under
     * the topic's lock) for the others. */
    if (version >= 5) {
      rg_broker_topic_get_stats (topic, &stats);
      rp->log_start_offset = stats.log_start_offset;
    }
  }
  if (topic)
    rg_broker_topic_unref (topic);
}

/* Partition @j of @pt: @topic is the ingest topic's partition 0 (NULL,
 * with @topic_error, when the name has none); the others are looked up
 * among its partitions. */
static void
produce_partition_of (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, gint16 topic_error, gint16 version,
    const RgKafkaProduceTopic * pt, guint j, RgBrokerAcks * acks, guint index)
{
  const RgKafkaProducePartition *pp = &pt->partitions[j];
  RgBrokerTopic *part = NULL;

  if (topic) {
    part = rg_broker_registry_lookup_partition (ctx->registry, pt->topic,
        pp->partition);
    topic_error = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  }
  produce_partition (ctx, part, topic_error, version, pp, acks, index);
}

/* Builds the response from @acks' answers. */
static RgBrokerHandleResult
produce_respond (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerAcks * acks,
    RgBrokerHandleOutcome * out)
{
  GError *error = NULL;

  out->response = rg_kafka_build_produce_response
      (req->header.correlation_id, req->header.api_version,
      (gint32) rg_broker_acks_get_throttle (acks),
      req->body.produce.n_topics, rg_broker_acks_get_topics (acks), &error);
  if (!out->response) {
    GST_WARNING ("client %s: Produce: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  return RG_BROKER_HANDLE_DONE;
}

/* A Produce parked until its records are durable: answered once every
 * partition is settled (the state is the parked request's, freed with
 * it). */
static RgBrokerHandleResult
produce_settle (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  if (!rg_broker_acks_settle (ctx->state, ctx->expired))
    return RG_BROKER_HANDLE_PARK;
  return produce_respond (req, ctx, ctx->state, out);
}

/* Counts the request against its client's produce quota. Over it, the
 * records are stored and answered all the same, the answer carries the
 * delay that brings the client back to its quota, and the connection is
 * not read for that long (KIP-219; clients from Produce v6 also wait on
 * their own, older ones are held back by the unread socket). */
static void
produce_throttle (const RgBrokerRequestContext * ctx, RgBrokerAcks * acks,
    RgBrokerHandleOutcome * out)
{
  guint32 throttle_ms;

  if (!ctx->quota)
    return;
  throttle_ms = rg_broker_quota_record (ctx->quota, ctx->quota_key,
      ctx->request_bytes, ctx->now_ms);
  if (throttle_ms == 0)
    return;
  GST_DEBUG ("client %s (%s): over its produce quota: throttled %u ms",
      ctx->peer, ctx->quota_key, throttle_ms);
  rg_broker_count (ctx->counters, produce_throttled, 1);
  rg_broker_acks_set_throttle (acks, throttle_ms);
  out->throttle_ms = throttle_ms;
}

/* An acks=0 Produce's records: durable (or failed) yet? */
static gboolean
produce_held_settle (gpointer state)
{
  return rg_broker_acks_settle (state, FALSE);
}

static RgBrokerHandleResult
handle_produce (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaProduceRequest *p = &req->body.produce;
  RgKafkaProduceTopicResponse *topics;
  RgBrokerHandleResult res;
  RgBrokerAcks *acks;
  guint i, j, k = 0;

  if (ctx->state)
    return produce_settle (req, ctx, out);
  acks = rg_broker_acks_new (p->n_topics, produce_count_partitions (p));
  produce_throttle (ctx, acks, out);
  topics = rg_broker_acks_get_topics (acks);
  for (i = 0; i < p->n_topics; i++) {
    /* Without write permission nothing is created either. */
    gint16 topic_error = rg_broker_auth_check (ctx, p->topics[i].topic,
        RG_BROKER_ACL_WRITE);
    RgBrokerTopic *topic = topic_error ? NULL :
        dispatch_topic (ctx, p->topics[i].topic, &topic_error);

    topics[i].topic = p->topics[i].topic;
    topics[i].n_partitions = p->topics[i].n_partitions;
    topics[i].partitions = &rg_broker_acks_get_partitions (acks)[k];
    for (j = 0; j < p->topics[i].n_partitions; j++, k++)
      produce_partition_of (ctx, topic, topic_error, req->header.api_version,
          &p->topics[i], j, acks, k);
    if (topic)
      rg_broker_topic_unref (topic);
  }
  if (p->acks == 0) {
    /* No answer, but the connection counts the bytes until they are
     * durable, so an acks=0 producer cannot run ahead of the disk
     * without bound (max_inflight_bytes). */
    if (rg_broker_acks_settle (acks, FALSE)) {
      rg_broker_acks_free (acks);
    } else {
      out->state = acks;
      out->state_free = (GDestroyNotify) rg_broker_acks_free;
      out->hold = produce_held_settle;
    }
    return RG_BROKER_HANDLE_DONE;
  }
  if (!rg_broker_acks_settle (acks, FALSE)) {
    /* Woken by the journal's group commit (rgbrokeringest.h). */
    out->state = acks;
    out->state_free = (GDestroyNotify) rg_broker_acks_free;
    out->wait_ms = p->timeout_ms > 0 ? p->timeout_ms :
        PRODUCE_DEFAULT_TIMEOUT_MS;
    return RG_BROKER_HANDLE_PARK;
  }
  res = produce_respond (req, ctx, acks, out);
  rg_broker_acks_free (acks);
  return res;
}

/* ---- ListOffsets ---- */

/* ListOffsets v7's "the record with the largest timestamp" (KIP-734). */
#define LIST_OFFSETS_MAX_TIMESTAMP (-3)

/* One partition: -1 latest, -2 earliest, -3 (v7) the newest record,
 * else the first record at or after the timestamp. For -3 the newest
 * record stands for the largest timestamp (records are appended in
 * timestamp order); its timestamp is not looked up (-1). v0 with
 * MaxNumOffsets 0 asks for no offset at all. */
static void
list_offset_of (RgBrokerTopic * topic, const RgKafkaListOffsetsPartition * rp,
    RgKafkaListOffsetsPartitionResponse * out)
{
  gint64 start, ts;

  if (rp->max_num_offsets <= 0)
    return;
  if (rp->timestamp != LIST_OFFSETS_MAX_TIMESTAMP) {
    rg_broker_topic_list_offset (topic, rp->timestamp, &out->offset,
        &out->timestamp);
    return;
  }
  rg_broker_topic_list_offset (topic, -2, &start, &ts);
  rg_broker_topic_list_offset (topic, -1, &out->offset, &ts);
  out->offset = out->offset > start ? out->offset - 1 : -1;
}

static RgBrokerHandleResult
handle_list_offsets (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaListOffsetsRequest *l = &req->body.list_offsets;
  RgKafkaListOffsetsPartitionResponse *parts;
  RgKafkaListOffsetsTopicResponse *topics;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i, j, n = 0, k = 0;

  for (i = 0; i < l->n_topics; i++)
    n += l->topics[i].n_partitions;
  parts = g_new0 (RgKafkaListOffsetsPartitionResponse, MAX (n, 1));
  topics = g_new0 (RgKafkaListOffsetsTopicResponse, MAX (l->n_topics, 1));
  for (i = 0; i < l->n_topics; i++) {
    gint16 denied = rg_broker_auth_check (ctx, l->topics[i].topic,
        RG_BROKER_ACL_READ);

    topics[i].topic = l->topics[i].topic;
    topics[i].n_partitions = l->topics[i].n_partitions;
    topics[i].partitions = &parts[k];
    for (j = 0; j < l->topics[i].n_partitions; j++, k++) {
      const RgKafkaListOffsetsPartition *rp = &l->topics[i].partitions[j];
      RgBrokerTopic *topic = rg_broker_registry_lookup_partition
          (ctx->registry, l->topics[i].topic, rp->partition);

      parts[k].partition = rp->partition;
      parts[k].timestamp = -1;
      parts[k].offset = -1;
      if (denied) {
        parts[k].error_code = denied;
        if (topic)
          rg_broker_topic_unref (topic);
      } else if (topic) {
        list_offset_of (topic, rp, &parts[k]);
        /* read_committed's "latest" is the last stable offset. */
        if (l->isolation_level == 1 && rp->timestamp == -1 &&
            parts[k].offset >= 0)
          parts[k].offset = rg_broker_txn_api_lso (ctx->txn, topic,
              parts[k].offset);
        rg_broker_topic_unref (topic);
      } else {
        parts[k].error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
      }
    }
  }
  resp = rg_kafka_build_list_offsets_response (req->header.correlation_id,
      req->header.api_version, 0, l->n_topics, topics, &error);
  g_free (parts);
  g_free (topics);
  if (!resp) {
    GST_WARNING ("client %s: ListOffsets: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  out->response = resp;
  return RG_BROKER_HANDLE_DONE;
}

/* ---- Fetch ---- */

typedef struct
{
  RgKafkaFetchPartitionResponse *parts;
  RgKafkaFetchTopicResponse *topics;
  guint *ref_start;
  RgBrokerTopic **held;
  gint64 *next_offsets;
  gsize *part_bytes;
  guint *part_records;
  guint n_parts;
  gsize bytes;
  guint records;
  /* read_committed: per partition, its aborted transactions (or NULL). */
  GArray **aborted;
  gboolean any_error;
  gboolean polls;
} FetchState;

static void
fetch_state_clear (FetchState * st)
{
  guint i;

  for (i = 0; i < st->n_parts; i++) {
    if (st->held[i])
      rg_broker_topic_unref (st->held[i]);
    if (st->aborted[i])
      g_array_unref (st->aborted[i]);
  }
  g_free (st->aborted);
  g_free (st->parts);
  g_free (st->topics);
  g_free (st->ref_start);
  g_free (st->held);
  g_free (st->next_offsets);
  g_free (st->part_bytes);
  g_free (st->part_records);
}

static gint64
fetch_log_start (RgBrokerTopic * topic)
{
  RgBrokerTopicStats stats;

  rg_broker_topic_get_stats (topic, &stats);
  return stats.log_start_offset;
}

/* read_committed: the answer lists the aborted transactions of the range
 * (its records already end at the last stable offset: the collect
 * stopped there). */
static void
fetch_read_committed (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, gint64 fetch_offset, FetchState * st, guint k,
    RgBrokerCollect * c)
{
  RgKafkaFetchPartitionResponse *rp = &st->parts[k];
  gint64 lso = rp->last_stable_offset;
  GArray *aborted;

  /* A pipeline's topic never holds a transaction (rgbrokertxnapi.h): its
   * readers, read_committed by librdkafka's default, pay nothing here. */
  if (!rg_broker_topic_is_ingest (topic))
    return;
  aborted = g_array_new (FALSE, FALSE, sizeof (RgKafkaAbortedTransaction));
  rg_broker_txn_api_aborted (ctx->txn, topic, fetch_offset, lso,
      c->log_start_offset, aborted);
  st->aborted[k] = aborted;
  rp->n_aborted_transactions = aborted->len;
  rp->aborted_transactions = (const RgKafkaAbortedTransaction *)
      aborted->data;
}

static void
fetch_collect (const RgBrokerRequestContext * ctx,
    const RgKafkaFetchRequest * f, FetchState * st)
{
  GArray *refs = ctx->refs;
  gsize remaining = MAX (f->max_bytes, 0);
  guint i, j, k = 0;

  for (i = 0; i < f->n_topics; i++)
    st->n_parts += f->topics[i].n_partitions;
  st->parts = g_new0 (RgKafkaFetchPartitionResponse, MAX (st->n_parts, 1));
  st->topics = g_new0 (RgKafkaFetchTopicResponse, MAX (f->n_topics, 1));
  st->ref_start = g_new0 (guint, MAX (st->n_parts, 1));
  st->held = g_new0 (RgBrokerTopic *, MAX (st->n_parts, 1));
  st->next_offsets = g_new0 (gint64, MAX (st->n_parts, 1));
  st->part_bytes = g_new0 (gsize, MAX (st->n_parts, 1));
  st->part_records = g_new0 (guint, MAX (st->n_parts, 1));
  st->aborted = g_new0 (GArray *, MAX (st->n_parts, 1));

  for (i = 0; i < f->n_topics; i++) {
    gint16 denied = rg_broker_auth_check (ctx, f->topics[i].topic,
        RG_BROKER_ACL_READ);

    st->topics[i].topic = f->topics[i].topic;
    st->topics[i].n_partitions = f->topics[i].n_partitions;
    st->topics[i].partitions = &st->parts[k];
    for (j = 0; j < f->topics[i].n_partitions; j++, k++) {
      const RgKafkaFetchPartition *fp = &f->topics[i].partitions[j];
      RgKafkaFetchPartitionResponse *rp = &st->parts[k];
      RgBrokerTopic *topic = rg_broker_registry_lookup_partition
          (ctx->registry, f->topics[i].topic, fp->partition);
      RgBrokerCollect c;

      rp->partition = fp->partition;
      rp->high_watermark = -1;
      rp->last_stable_offset = -1;
      rp->log_start_offset = -1;
      st->ref_start[k] = refs->len;
      if (denied) {
        rp->error_code = denied;
      } else if (!topic) {
        rp->error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
      } else if (fp->partition_max_bytes < 0) {
        rp->error_code = RG_KAFKA_INVALID_FETCH_SIZE;
      } else {
        /* The topic was found under its .live name: read the view. */
        gboolean live = !rg_kafka_str_equal (f->topics[i].topic,
            rg_broker_topic_get_name (topic));
        /* Open transactions hold the last stable offset back; a
         * read_committed consumer (librdkafka's default) reads up to it,
         * so its collect stops there, and is told which transactions in
         * its range were aborted. */
        gint64 stable = live ? G_MAXINT64 :
            rg_broker_txn_api_lso (ctx->txn, topic, G_MAXINT64);

        rg_broker_topic_collect (topic, fp->fetch_offset,
            f->isolation_level == 1 ? stable : G_MAXINT64,
            live ? rg_broker_topic_get_live_lag (topic) : 0,
            MIN ((gsize) fp->partition_max_bytes, remaining),
            st->bytes == 0, refs, &c);
        rp->error_code = c.error_code;
        rp->high_watermark = c.high_watermark;
        rp->last_stable_offset = MIN (stable, c.high_watermark);
        if (f->isolation_level == 1 && !live && c.error_code == 0)
          fetch_read_committed (ctx, topic, fp->fetch_offset, st, k, &c);
        rp->log_start_offset = fetch_log_start (topic);
        remaining -= MIN (remaining, c.bytes);
        st->bytes += c.bytes;
        st->records += c.records;
        st->held[k] = rg_broker_topic_ref (topic);
        if (rg_broker_topic_needs_poll (topic))
          st->polls = TRUE;
        st->next_offsets[k] = c.next_offset;
        st->part_bytes[k] = c.bytes;
        st->part_records[k] = c.records;
      }
      if (rp->error_code != RG_KAFKA_NONE)
        st->any_error = TRUE;
      rp->n_records = refs->len - st->ref_start[k];
      if (topic)
        rg_broker_topic_unref (topic);
    }
  }
}

/* Appends the bytes @ref stands for to @out: memory as it is, a journal
 * file range read with pread(). */
static gboolean
fetch_ref_read (const RgKafkaRecordsRef * ref, GByteArray * out)
{
  gsize done = 0, start = out->len;

  if (ref->type != RG_KAFKA_SEGMENT_FILE) {
    g_byte_array_append (out, ref->data, ref->length);
    return TRUE;
  }
  g_byte_array_set_size (out, start + ref->length);
  while (done < ref->length) {
    ssize_t n = pread (ref->fd, out->data + start + done,
        ref->length - done, ref->offset + done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

/* Converts one partition's batches (@refs) into a MessageSet of @magic:
 * a copy, made only for Fetch v0-3 clients. Returns the Kafka error. */
static gint16
fetch_down_convert_one (const RgKafkaRecordsRef * refs, guint n_refs,
    gint8 magic, GArray * converted, const gchar * peer)
{
  GByteArray *raw = g_byte_array_new ();
  RgKafkaRecordsRef ref = { RG_KAFKA_SEGMENT_MEMORY, NULL, -1, 0, 0,
    (GDestroyNotify) g_bytes_unref, NULL
  };
  GError *error = NULL;
  gboolean read_ok = TRUE;
  GBytes *set = NULL;
  guint i;

  for (i = 0; i < n_refs && read_ok; i++)
    read_ok = fetch_ref_read (&refs[i], raw);
  if (read_ok)
    set = rg_kafka_legacy_from_batches (raw->data, raw->len, magic, &error);
  g_byte_array_unref (raw);
  if (!read_ok)
    return RG_KAFKA_KAFKA_STORAGE_ERROR;
  if (set == NULL) {
    GST_WARNING ("client %s: Fetch: %s", peer, error->message);
    g_clear_error (&error);
    return RG_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT;
  }
  ref.data = g_bytes_get_data (set, &ref.length);
  ref.user_data = set;
  g_array_append_val (converted, ref);
  return RG_KAFKA_NONE;
}

/* Fetch v0-3 clients expect the old message format: each partition's
 * batches are replaced by one converted MessageSet in @converted, and the
 * batches' references released. */
static void
fetch_down_convert (gint16 version, const RgBrokerRequestContext * ctx,
    FetchState * st, GArray * converted)
{
  gint8 magic = rg_kafka_legacy_fetch_magic (version);
  guint k;

  for (k = 0; k < st->n_parts; k++) {
    RgKafkaFetchPartitionResponse *rp = &st->parts[k];
    guint first = converted->len;

    if (rp->n_records == 0)
      continue;
    rp->error_code = fetch_down_convert_one (&g_array_index (ctx->refs,
            RgKafkaRecordsRef, st->ref_start[k]), rp->n_records, magic,
        converted, ctx->peer);
    st->ref_start[k] = first;
    rp->n_records = converted->len - first;
  }
  rg_broker_records_refs_clear (ctx->refs);
}

/* Builds the Fetch response from what fetch_collect() found; the builder
 * takes over every reference's notify, built or not. */
static RgBrokerHandleResult
fetch_answer (const RgKafkaRequest * req, const RgBrokerRequestContext * ctx,
    FetchState * st, RgBrokerHandleOutcome * out)
{
  const RgKafkaFetchRequest *f = &req->body.fetch;
  gint16 version = req->header.api_version;
  GArray *refs = ctx->refs;
  GArray *converted = NULL;
  GError *error = NULL;
  guint k;

  if (rg_kafka_legacy_fetch_magic (version) < 2) {
    converted = g_array_new (FALSE, TRUE, sizeof (RgKafkaRecordsRef));
    fetch_down_convert (version, ctx, st, converted);
    refs = converted;
  }
  for (k = 0; k < st->n_parts; k++) {
    /* The records arrays are set only now: refs grew while collecting. */
    st->parts[k].records = st->parts[k].n_records ?
        &g_array_index (refs, RgKafkaRecordsRef, st->ref_start[k]) : NULL;
    if (st->held[k])
      rg_broker_topic_count_served (st->held[k], st->part_bytes[k],
          st->part_records[k]);
  }
  out->fetched = TRUE;
  if (st->n_parts > 0 && st->held[0]) {
    out->position_topic = rg_broker_topic_ref (st->held[0]);
    out->position_offset = st->next_offsets[0];
  }
  rg_broker_count (ctx->counters, fetches, 1);
  rg_broker_count (ctx->counters, records_served, st->records);

  out->response = rg_kafka_build_fetch_response (req->header.correlation_id,
      version, 0, f->n_topics, st->topics, &error);
  g_array_set_size (ctx->refs, 0);
  if (converted)
    g_array_unref (converted);
  if (!out->response) {
    GST_WARNING ("client %s: Fetch: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  return RG_BROKER_HANDLE_DONE;
}

/* Fetch sessions (KIP-227, v7+) are declined: every answer carries
 * session id 0, so clients keep sending full requests (epoch -1, or 0 to
 * ask for a session). An incremental request (epoch > 0) names a session
 * this broker never created: FETCH_SESSION_ID_NOT_FOUND, after which the
 * client starts over with a full request. */
static gboolean
fetch_refuse_session (const RgKafkaRequest * req, RgBrokerHandleOutcome * out)
{
  if (req->header.api_version < 7 || req->body.fetch.session_epoch <= 0)
    return FALSE;
  out->response = rg_kafka_build_fetch_error_response
      (req->header.correlation_id, req->header.api_version,
      RG_KAFKA_FETCH_SESSION_ID_NOT_FOUND, NULL);
  return TRUE;
}

/* Answers the Fetch now if it can, or if its wait is over; else PARK. */
static RgBrokerHandleResult
handle_fetch (const RgKafkaRequest * req, const RgBrokerRequestContext * ctx,
    RgBrokerHandleOutcome * out)
{
  const RgKafkaFetchRequest *f = &req->body.fetch;
  FetchState st = { 0, };
  RgBrokerHandleResult res;

  if (fetch_refuse_session (req, out))
    return RG_BROKER_HANDLE_DONE;
  fetch_collect (ctx, f, &st);
  if (!ctx->expired && !st.any_error && f->max_wait_ms > 0 &&
      (gint64) st.bytes < (gint64) f->min_bytes) {
    out->polls = st.polls;
    out->wait_ms = f->max_wait_ms;
    rg_broker_records_refs_clear (ctx->refs);
    fetch_state_clear (&st);
    return RG_BROKER_HANDLE_PARK;
  }
  res = fetch_answer (req, ctx, &st, out);
  fetch_state_clear (&st);
  return res;
}

/* ---- Dispatch ---- */

RgBrokerHandleResult
rg_broker_dispatch_retry (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgBrokerApi *api = find_api (req->header.api_key);

  memset (out, 0, sizeof (*out));
  return api->handler (req, ctx, out);
}

GHashTable *
rg_broker_dispatch_refusals_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

gboolean
rg_broker_dispatch_first_refusal (GHashTable * refused, const gchar * peer,
    RgKafkaStr client_id, gint16 api_key)
{
  const gchar *colon;
  gchar *client, *key;

  if (refused == NULL)
    return TRUE;
  /* The host without the port: a refused client reconnects from another
   * port. */
  peer = peer ? peer : "";
  colon = strrchr (peer, ':');
  client = rg_kafka_str_dup (client_id);
  key = g_strdup_printf ("%.*s/%s/%d",
      colon ? (gint) (colon - peer) : (gint) strlen (peer), peer,
      client ? client : "", api_key);
  g_free (client);
  if (g_hash_table_size (refused) >= RG_BROKER_MAX_REFUSALS)
    g_hash_table_remove_all (refused);
  /* Takes @key either way; TRUE when it was not there yet. */
  return g_hash_table_add (refused, key);
}

/* Logs a refused version: a warning the first time a client asks for an
 * api at a version the table lacks, then only at INFO level, so a client
 * retrying in a loop does not flood the log. */
static void
log_refusal (const RgBrokerRequestContext * ctx,
    const RgKafkaRequestHeader * header)
{
  /* A NUL-terminated copy: GStreamer's log formatting does not honour a
   * precision on %s, and the client id points into the frame. */
  gchar *client = rg_kafka_str_dup (header->client_id);

  if (rg_broker_dispatch_first_refusal (ctx->refused, ctx->peer,
          header->client_id, header->api_key))
    GST_WARNING ("client %s (client id '%s'): closing: %s (api key %d) "
        "v%d is not served; further refusals of this api to this client "
        "are logged at INFO level", ctx->peer, client ? client : "",
        rg_kafka_api_name (header->api_key), header->api_key,
        header->api_version);
  else
    GST_INFO ("client %s: closing: %s v%d is not served", ctx->peer,
        rg_kafka_api_name (header->api_key), header->api_version);
  g_free (client);
}

/* Parses @frame with the codec that knows @api: rgkafka.c, or the api's
 * own parser. The header was read already (and the version checked). */
static RgKafkaRequest *
dispatch_parse (const RgBrokerApi * api, const guint8 * frame, gsize len,
    GError ** error)
{
  if (api->parse != NULL)
    return rg_kafka_request_parse_other (frame, len, api->first_flexible,
        api->parse, api->free_body, NULL, error);
  return rg_kafka_request_parse (frame, len, NULL, error);
}

RgBrokerHandleResult
rg_broker_dispatch_frame (const guint8 * frame, gsize len,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out,
    RgKafkaRequest ** parked)
{
  RgKafkaRequestHeader header = { 0, };
  const RgBrokerApi *api;
  RgKafkaRequest *req;
  RgBrokerHandleResult res;
  GError *error = NULL;

  memset (out, 0, sizeof (*out));
  if (rg_broker_auth_gate (frame, len, ctx, out, &res))
    return res;
  if (!rg_kafka_request_parse_header (frame, len, &header, &error))
    goto parse_failed;
  api = find_api (header.api_key);
  if (!api || header.api_version < api->min_version
      || header.api_version > api->max_version)
    goto not_advertised;
  req = dispatch_parse (api, frame, len, &error);
  if (!req)
    goto parse_failed;

  res = api->handler (req, ctx, out);
  if (res == RG_BROKER_HANDLE_PARK)
    *parked = req;
  else
    rg_kafka_request_free (req);
  return res;

  /* ERRORS */
not_advertised:
  {
    if (api && api->api_key == RG_KAFKA_API_API_VERSIONS)
      return refuse_api_versions (header.correlation_id, out);
    log_refusal (ctx, &header);
    return RG_BROKER_HANDLE_CLOSE;
  }
parse_failed:
  {
    GST_INFO ("client %s: closing: %s", ctx->peer, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
}
