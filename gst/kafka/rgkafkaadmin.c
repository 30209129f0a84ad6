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
 * The codec of InitProducerId, CreateTopics, DeleteTopics and
 * CreatePartitions (contract in
 * rgkafkaadmin.h). Kafka's JSON message specs are the authority; the
 * layouts, with [vN+] for fields present from version N. In flexible
 * versions strings and arrays are compact and every struct (the body and
 * each array element) ends with a tag section; rgkafkawire.c switches the
 * encodings on the reader's or response's flexible flag.
 *
 * InitProducerId (22), v0-4, flexible from v2:
 *   request  NULLABLE_STRING TransactionalId, int32 TransactionTimeoutMs,
 *            [v3+ int64 ProducerId, int16 ProducerEpoch]
 *   response int32 ThrottleTimeMs, int16 ErrorCode, int64 ProducerId,
 *            int16 ProducerEpoch
 *
 * CreateTopics (19), v0-5, flexible from v5:
 *   request  ARRAY Topics {STRING Name, int32 NumPartitions,
 *            int16 ReplicationFactor, ARRAY Assignments {int32
 *            PartitionIndex, ARRAY int32 BrokerIds}, ARRAY Configs
 *            {STRING Name, NULLABLE_STRING Value}}, int32 TimeoutMs,
 *            [v1+ bool ValidateOnly]
 *   response [v2+ int32 ThrottleTimeMs] ARRAY Topics {STRING Name,
 *            int16 ErrorCode, [v1+ NULLABLE_STRING ErrorMessage],
 *            [v5+ int32 NumPartitions, int16 ReplicationFactor,
 *            NULLABLE ARRAY Configs (rgkafkaconfigs.c)]}; v5's tagged
 *            TopicConfigErrorCode is never sent (the configs are listed)
 *
 * DeleteTopics (20), v0-5, flexible from v4:
 *   request  ARRAY STRING TopicNames, int32 TimeoutMs
 *   response [v1+ int32 ThrottleTimeMs] ARRAY Responses {STRING Name,
 *            int16 ErrorCode, [v5+ NULLABLE_STRING ErrorMessage]}
 *
 * CreatePartitions (37), v0-3, flexible from v2 (v1 and v3 change only
 * the broker's throttling, not the bytes):
 *   request  ARRAY Topics {STRING Name, int32 Count, NULLABLE ARRAY
 *            Assignments {ARRAY int32 BrokerIds}}, int32 TimeoutMs,
 *            bool ValidateOnly
 *   response int32 ThrottleTimeMs, ARRAY Results {STRING Name,
 *            int16 ErrorCode, NULLABLE_STRING ErrorMessage}
 *   Count is the partition count the topic is to have, not how many are
 *   added; Assignments, when not null, lists the replicas of each new
 *   partition in order.
 *
 * Bounds: array counts are checked against the smallest encoding of one
 * element before anything is allocated (rg_kafka_read_array_count()), so
 * a request holds at most a small multiple of its frame size.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkaadmin.h"

/* ---- InitProducerId ---- */

gpointer
rg_kafka_parse_init_producer_id (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaInitProducerIdRequest *req = g_new0 (RgKafkaInitProducerIdRequest,
      1);

  req->transactional_id = rg_kafka_read_str (r, TRUE, "TransactionalId");
  req->transaction_timeout_ms = rg_kafka_read_int32 (r,
      "TransactionTimeoutMs");
  req->producer_id = -1;
  req->producer_epoch = -1;
  if (api_version >= 3) {
    req->producer_id = rg_kafka_read_int64 (r, "ProducerId");
    req->producer_epoch = rg_kafka_read_int16 (r, "ProducerEpoch");
  }
  rg_kafka_read_tags (r);
  return req;
}

RgKafkaResponse *
rg_kafka_build_init_producer_id_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms, gint16 error_code,
    gint64 producer_id, gint16 producer_epoch, GError ** error)
{
  RgKafkaResponse *resp;

  if (!rg_kafka_check_build_version ("InitProducerId", api_version,
          RG_KAFKA_INIT_PRODUCER_ID_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_INIT_PRODUCER_ID_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_int64 (resp, producer_id);
  rg_kafka_put_int16 (resp, producer_epoch);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- CreateTopics ---- */

/* Smallest encodings, for the array count checks: a topic is a name and
 * two counts besides its fixed fields; compact strings and counts take one
 * byte, and each struct has a one-byte tag section. */
#define TOPIC_MIN_SIZE(flexible) ((flexible) ? 10 : 16)
#define ASSIGNMENT_MIN_SIZE(flexible) ((flexible) ? 6 : 8)
#define CONFIG_MIN_SIZE(flexible) ((flexible) ? 3 : 4)

static void
parse_assignment (RgKafkaReader * r, RgKafkaCreatableAssignment * a)
{
  gint32 i, n;

  a->partition_index = rg_kafka_read_int32 (r, "PartitionIndex");
  n = rg_kafka_read_array_count (r, FALSE, 4, "BrokerIds");
  a->broker_ids = g_new0 (gint32, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++)
    a->broker_ids[i] = rg_kafka_read_int32 (r, "BrokerId");
  a->n_broker_ids = r->failed ? 0 : n;
  rg_kafka_read_tags (r);
}

static void
parse_creatable_topic (RgKafkaReader * r, RgKafkaCreatableTopic * t)
{
  gint32 i, n;

  t->name = rg_kafka_read_str (r, FALSE, "Name");
  t->num_partitions = rg_kafka_read_int32 (r, "NumPartitions");
  t->replication_factor = rg_kafka_read_int16 (r, "ReplicationFactor");

  n = rg_kafka_read_array_count (r, FALSE, ASSIGNMENT_MIN_SIZE (r->flexible),
      "Assignments");
  t->assignments = g_new0 (RgKafkaCreatableAssignment, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, t->n_assignments++)
    parse_assignment (r, &t->assignments[i]);

  n = rg_kafka_read_array_count (r, FALSE, CONFIG_MIN_SIZE (r->flexible),
      "Configs");
  t->configs = g_new0 (RgKafkaCreatableConfig, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, t->n_configs++) {
    t->configs[i].name = rg_kafka_read_str (r, FALSE, "ConfigName");
    t->configs[i].value = rg_kafka_read_str (r, TRUE, "ConfigValue");
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
}

gpointer
rg_kafka_parse_create_topics (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaCreateTopicsRequest *req = g_new0 (RgKafkaCreateTopicsRequest, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, TOPIC_MIN_SIZE (r->flexible),
      "Topics");
  req->topics = g_new0 (RgKafkaCreatableTopic, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_topics++)
    parse_creatable_topic (r, &req->topics[i]);
  req->timeout_ms = rg_kafka_read_int32 (r, "timeoutMs");
  if (api_version >= 1)
    req->validate_only = rg_kafka_read_int8 (r, "validateOnly") != 0;
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_create_topics_request_free (gpointer body)
{
  RgKafkaCreateTopicsRequest *req = body;
  guint i, j;

  if (!req)
    return;
  /* Elements past n_topics / n_assignments were never filled: they are
   * zeroed, and g_free (NULL) is harmless. */
  for (i = 0; i < req->n_topics; i++) {
    RgKafkaCreatableTopic *t = &req->topics[i];

    for (j = 0; j < t->n_assignments; j++)
      g_free (t->assignments[j].broker_ids);
    g_free (t->assignments);
    g_free (t->configs);
  }
  g_free (req->topics);
  g_free (req);
}

RgKafkaResponse *
rg_kafka_build_create_topics_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaCreatableTopicResult * topics, guint n_topics,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  if (!rg_kafka_check_build_version ("CreateTopics", api_version,
          RG_KAFKA_CREATE_TOPICS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_CREATE_TOPICS_FIRST_FLEXIBLE, api_version);
  if (api_version >= 2)
    rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    const RgKafkaCreatableTopicResult *t = &topics[i];

    rg_kafka_put_str (resp, t->name, FALSE, "Name");
    rg_kafka_put_int16 (resp, t->error_code);
    if (api_version >= 1)
      rg_kafka_put_str (resp, t->error_message, TRUE, "ErrorMessage");
    if (api_version >= 5) {
      rg_kafka_put_int32 (resp, t->num_partitions);
      rg_kafka_put_int16 (resp, t->replication_factor);
      /* The topic's configs; null on error, as Kafka sends it. */
      rg_kafka_put_array_count (resp, t->error_code ? -1 :
          (gint64) t->n_configs);
      for (j = 0; !t->error_code && j < t->n_configs; j++)
        rg_kafka_put_creatable_topic_config (resp, &t->configs[j]);
    }
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- DeleteTopics ---- */

gpointer
rg_kafka_parse_delete_topics (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaDeleteTopicsRequest *req = g_new0 (RgKafkaDeleteTopicsRequest, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, r->flexible ? 1 : 2,
      "TopicNames");
  req->names = g_new0 (RgKafkaStr, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_names++)
    req->names[i] = rg_kafka_read_str (r, FALSE, "TopicName");
  req->timeout_ms = rg_kafka_read_int32 (r, "TimeoutMs");
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_delete_topics_request_free (gpointer body)
{
  RgKafkaDeleteTopicsRequest *req = body;

  if (!req)
    return;
  g_free (req->names);
  g_free (req);
}

RgKafkaResponse *
rg_kafka_build_delete_topics_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDeletableTopicResult * topics, guint n_topics,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i;

  if (!rg_kafka_check_build_version ("DeleteTopics", api_version,
          RG_KAFKA_DELETE_TOPICS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_DELETE_TOPICS_FIRST_FLEXIBLE, api_version);
  if (api_version >= 1)
    rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].name, FALSE, "Name");
    rg_kafka_put_int16 (resp, topics[i].error_code);
    if (api_version >= 5)
      rg_kafka_put_str (resp, topics[i].error_message, TRUE, "ErrorMessage");
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- CreatePartitions ---- */

/* Smallest encodings: a topic is a name, a count and an assignment array
 * count (plus its tag section when flexible); an assignment is one array
 * count (and a tag section). */
#define PARTITIONS_TOPIC_MIN_SIZE(flexible) ((flexible) ? 7 : 10)
#define PARTITIONS_ASSIGNMENT_MIN_SIZE(flexible) ((flexible) ? 2 : 4)

static void
parse_partitions_assignment (RgKafkaReader * r,
    RgKafkaPartitionsAssignment * a)
{
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, 4, "BrokerIds");
  a->broker_ids = g_new0 (gint32, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++)
    a->broker_ids[i] = rg_kafka_read_int32 (r, "BrokerId");
  a->n_broker_ids = r->failed ? 0 : n;
  rg_kafka_read_tags (r);
}

static void
parse_partitions_topic (RgKafkaReader * r, RgKafkaCreatePartitionsTopic * t)
{
  gint32 i, n;

  t->name = rg_kafka_read_str (r, FALSE, "Name");
  t->count = rg_kafka_read_int32 (r, "Count");
  n = rg_kafka_read_array_count (r, TRUE,
      PARTITIONS_ASSIGNMENT_MIN_SIZE (r->flexible), "Assignments");
  t->has_assignments = n >= 0;
  t->assignments = g_new0 (RgKafkaPartitionsAssignment, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, t->n_assignments++)
    parse_partitions_assignment (r, &t->assignments[i]);
  rg_kafka_read_tags (r);
}

gpointer
rg_kafka_parse_create_partitions (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaCreatePartitionsRequest *req =
      g_new0 (RgKafkaCreatePartitionsRequest, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE,
      PARTITIONS_TOPIC_MIN_SIZE (r->flexible), "Topics");
  req->topics = g_new0 (RgKafkaCreatePartitionsTopic, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_topics++)
    parse_partitions_topic (r, &req->topics[i]);
  req->timeout_ms = rg_kafka_read_int32 (r, "TimeoutMs");
  req->validate_only = rg_kafka_read_int8 (r, "ValidateOnly") != 0;
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_create_partitions_request_free (gpointer body)
{
  RgKafkaCreatePartitionsRequest *req = body;
  guint i, j;

  if (!req)
    return;
  for (i = 0; i < req->n_topics; i++) {
    RgKafkaCreatePartitionsTopic *t = &req->topics[i];

    for (j = 0; j < t->n_assignments; j++)
      g_free (t->assignments[j].broker_ids);
    g_free (t->assignments);
  }
  g_free (req->topics);
  g_free (req);
}

RgKafkaResponse *
rg_kafka_build_create_partitions_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaCreatePartitionsResult * topics, guint n_topics,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i;

  if (!rg_kafka_check_build_version ("CreatePartitions", api_version,
          RG_KAFKA_CREATE_PARTITIONS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_CREATE_PARTITIONS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].name, FALSE, "Name");
    rg_kafka_put_int16 (resp, topics[i].error_code);
    rg_kafka_put_str (resp, topics[i].error_message, TRUE, "ErrorMessage");
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}
