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

#ifndef __RG_KAFKA_ADMIN_H__
#define __RG_KAFKA_ADMIN_H__

#include "kafka/rgkafka.h"
#include "kafka/rgkafkawire.h"
#include "kafka/rgkafkaconfigs.h"

G_BEGIN_DECLS

/*
 * The codec of the producer and topic administration apis
 * (rgkafkaadmin.c): InitProducerId (22), CreateTopics (19), DeleteTopics
 * (20) and CreatePartitions (37), requests parsed and responses built, no
 * I/O. The
 * byte layouts are described at the top of rgkafkaadmin.c and in
 * docs/protocol.md; Kafka's JSON message specs are the authority.
 * Private to libgstrg: not installed, no RG_API.
 *
 * Parsers have the shape of RgKafkaBodyParseFunc (kafka/rgkafkawire.h):
 * the broker hands them to rg_kafka_request_parse_other() with the api's
 * first flexible version, and frees the body with the matching free
 * function. They read every version listed below, classic and flexible
 * alike (the reader's flexible flag picks the encodings).
 *
 * Ownership: a parsed body is allocated (transfer full, free it with its
 * free function); its strings point into the request frame, which must
 * outlive it. Builders copy what they are given.
 *
 * Errors: parsers report through the reader (truncated, malformed: a
 * negative count, a null where the spec has none); builders return NULL
 * and set @error (%RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a version
 * outside the ranges below, %RG_KAFKA_ERROR_MALFORMED for a null or
 * over-long name).
 *
 * Thread-safety: reentrant, no global state.
 */

/* The api keys (not in RgKafkaApiKey, which lists the core apis). */
#define RG_KAFKA_ADMIN_API_CREATE_TOPICS 19
#define RG_KAFKA_ADMIN_API_DELETE_TOPICS 20
#define RG_KAFKA_ADMIN_API_INIT_PRODUCER_ID 22
#define RG_KAFKA_ADMIN_API_CREATE_PARTITIONS 37

/* The versions this codec parses and builds, and the first flexible one
 * of each api. */
#define RG_KAFKA_INIT_PRODUCER_ID_MAX_VERSION 4
#define RG_KAFKA_INIT_PRODUCER_ID_FIRST_FLEXIBLE 2
#define RG_KAFKA_CREATE_TOPICS_MAX_VERSION 5
#define RG_KAFKA_CREATE_TOPICS_FIRST_FLEXIBLE 5
#define RG_KAFKA_DELETE_TOPICS_MAX_VERSION 5
#define RG_KAFKA_DELETE_TOPICS_FIRST_FLEXIBLE 4
#define RG_KAFKA_CREATE_PARTITIONS_MAX_VERSION 3
#define RG_KAFKA_CREATE_PARTITIONS_FIRST_FLEXIBLE 2

/* Kafka error codes of these apis and of idempotent produce that
 * RgKafkaErrorCode (kafka/rgkafka.h) does not list. */
#define RG_KAFKA_TOPIC_ALREADY_EXISTS 36
#define RG_KAFKA_INVALID_PARTITIONS 37
#define RG_KAFKA_INVALID_REPLICATION_FACTOR 38
#define RG_KAFKA_INVALID_REPLICA_ASSIGNMENT 39
#define RG_KAFKA_INVALID_CONFIG 40
#define RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER 45
#define RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER 46
#define RG_KAFKA_INVALID_PRODUCER_EPOCH 47
#define RG_KAFKA_INVALID_TXN_STATE 48
#define RG_KAFKA_TRANSACTIONAL_ID_AUTHORIZATION_FAILED 53
#define RG_KAFKA_UNKNOWN_PRODUCER_ID 59
#define RG_KAFKA_TOPIC_DELETION_DISABLED 73
#define RG_KAFKA_PRODUCER_FENCED 90

/*
 * InitProducerId (22) v0-4 request.
 * @transactional_id: null for an idempotent producer
 * @transaction_timeout_ms: meaningful with a transactional id only
 * @producer_id: v3+: the producer's current id, else -1
 * @producer_epoch: v3+: its current epoch, else -1
 */
typedef struct
{
  RgKafkaStr transactional_id;
  gint32 transaction_timeout_ms;
  gint64 producer_id;
  gint16 producer_epoch;
} RgKafkaInitProducerIdRequest;

/*
 * One manual assignment of a CreateTopics topic.
 * @partition_index: the partition
 * @broker_ids: (array length=n_broker_ids): its replicas
 */
typedef struct
{
  gint32 partition_index;
  gint32 *broker_ids;
  guint n_broker_ids;
} RgKafkaCreatableAssignment;

/* One topic config of a CreateTopics topic (@value nullable). */
typedef struct
{
  RgKafkaStr name;
  RgKafkaStr value;
} RgKafkaCreatableConfig;

/*
 * One topic of a CreateTopics request.
 * @num_partitions: -1 for the broker's default (v4+) or with assignments
 * @replication_factor: -1 likewise
 */
typedef struct
{
  RgKafkaStr name;
  gint32 num_partitions;
  gint16 replication_factor;
  RgKafkaCreatableAssignment *assignments;
  guint n_assignments;
  RgKafkaCreatableConfig *configs;
  guint n_configs;
} RgKafkaCreatableTopic;

/*
 * CreateTopics (19) v0-5 request.
 * @validate_only: v1+: check only, create nothing
 */
typedef struct
{
  RgKafkaCreatableTopic *topics;
  guint n_topics;
  gint32 timeout_ms;
  gboolean validate_only;
} RgKafkaCreateTopicsRequest;

/* DeleteTopics (20) v0-5 request: the names to delete. */
typedef struct
{
  RgKafkaStr *names;
  guint n_names;
  gint32 timeout_ms;
} RgKafkaDeleteTopicsRequest;

/*
 * One topic of a CreateTopics response.
 * @error_message: v1+, nullable
 * @num_partitions, @replication_factor: v5+ (-1 on error)
 * @configs: (array length=n_configs): v5+: the created topic's configs
 *   (sent as a null array on error)
 */
typedef struct
{
  RgKafkaStr name;
  gint16 error_code;
  RgKafkaStr error_message;
  gint32 num_partitions;
  gint16 replication_factor;
  const RgKafkaConfigEntry *configs;
  guint n_configs;
} RgKafkaCreatableTopicResult;

/* One topic of a DeleteTopics response (@error_message: v5+, nullable). */
typedef struct
{
  RgKafkaStr name;
  gint16 error_code;
  RgKafkaStr error_message;
} RgKafkaDeletableTopicResult;

/*
 * The replicas of one new partition in a CreatePartitions request.
 * @broker_ids: (array length=n_broker_ids)
 */
typedef struct
{
  gint32 *broker_ids;
  guint n_broker_ids;
} RgKafkaPartitionsAssignment;

/*
 * One topic of a CreatePartitions request.
 * @count: the partition count the topic is to have (not the number added)
 * @assignments: (array length=n_assignments): the replicas of each new
 *   partition, in order
 * @has_assignments: FALSE when the array was null (the broker assigns)
 */
typedef struct
{
  RgKafkaStr name;
  gint32 count;
  RgKafkaPartitionsAssignment *assignments;
  guint n_assignments;
  gboolean has_assignments;
} RgKafkaCreatePartitionsTopic;

/*
 * CreatePartitions (37) v0-3 request.
 * @validate_only: check only, add nothing
 */
typedef struct
{
  RgKafkaCreatePartitionsTopic *topics;
  guint n_topics;
  gint32 timeout_ms;
  gboolean validate_only;
} RgKafkaCreatePartitionsRequest;

/* One topic of a CreatePartitions response (@error_message nullable). */
typedef struct
{
  RgKafkaStr name;
  gint16 error_code;
  RgKafkaStr error_message;
} RgKafkaCreatePartitionsResult;

/* Body parsers for rg_kafka_request_parse_other(), and their frees. */
gpointer rg_kafka_parse_init_producer_id (RgKafkaReader * r,
    gint16 api_version);
gpointer rg_kafka_parse_create_topics (RgKafkaReader * r, gint16 api_version);
void rg_kafka_create_topics_request_free (gpointer body);
gpointer rg_kafka_parse_delete_topics (RgKafkaReader * r, gint16 api_version);
void rg_kafka_delete_topics_request_free (gpointer body);
gpointer rg_kafka_parse_create_partitions (RgKafkaReader * r,
    gint16 api_version);
void rg_kafka_create_partitions_request_free (gpointer body);

/* InitProducerId response: ThrottleTimeMs, ErrorCode, ProducerId,
 * ProducerEpoch (the same fields in every version). */
RgKafkaResponse *rg_kafka_build_init_producer_id_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    gint16 error_code, gint64 producer_id, gint16 producer_epoch,
    GError ** error);

RgKafkaResponse *rg_kafka_build_create_topics_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaCreatableTopicResult * topics, guint n_topics,
    GError ** error);

RgKafkaResponse *rg_kafka_build_delete_topics_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDeletableTopicResult * topics, guint n_topics,
    GError ** error);

/* CreatePartitions response: ThrottleTimeMs, then one result per topic
 * (the same fields in every version). */
RgKafkaResponse *rg_kafka_build_create_partitions_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaCreatePartitionsResult * topics, guint n_topics,
    GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_ADMIN_H__ */
