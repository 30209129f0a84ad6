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

#ifndef __RG_KAFKA_DELETE_H__
#define __RG_KAFKA_DELETE_H__

#include "kafka/rgkafka.h"
#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

/*
 * The codec of the deletion apis (rgkafkadelete.c): DeleteRecords (21),
 * DeleteGroups (42) and OffsetDelete (47), requests parsed and responses
 * built, no I/O. The byte layouts are described at the top of
 * rgkafkadelete.c and in docs/protocol.md; Kafka's JSON message specs are
 * the authority. Private to libgstrg: not installed, no RG_API.
 *
 * Parsers have the shape of RgKafkaBodyParseFunc (kafka/rgkafkawire.h):
 * the broker hands them to rg_kafka_request_parse_other() with the api's
 * first flexible version and frees the body with the matching free
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

#define RG_KAFKA_DELETE_API_DELETE_RECORDS 21
#define RG_KAFKA_DELETE_API_DELETE_GROUPS 42
#define RG_KAFKA_DELETE_API_OFFSET_DELETE 47

/* The versions this codec parses and builds, and the first flexible one
 * of each api (OffsetDelete has no flexible version: -1). */
#define RG_KAFKA_DELETE_RECORDS_MAX_VERSION 2
#define RG_KAFKA_DELETE_RECORDS_FIRST_FLEXIBLE 2
#define RG_KAFKA_DELETE_GROUPS_MAX_VERSION 2
#define RG_KAFKA_DELETE_GROUPS_FIRST_FLEXIBLE 2
#define RG_KAFKA_OFFSET_DELETE_MAX_VERSION 0
#define RG_KAFKA_OFFSET_DELETE_FIRST_FLEXIBLE -1

/*
 * One partition of a DeleteRecords request or response.
 * @offset: request: delete the records before it (-1: the high
 *   watermark); response: the partition's new low watermark (-1 on error)
 * @error_code: response only
 */
typedef struct
{
  gint32 partition;
  gint64 offset;
  gint16 error_code;
} RgKafkaDeleteRecordsPartition;

/* One topic of a DeleteRecords request or response. */
typedef struct
{
  RgKafkaStr name;
  RgKafkaDeleteRecordsPartition *partitions;
  guint n_partitions;
} RgKafkaDeleteRecordsTopic;

/* DeleteRecords (21) v0-2 request. */
typedef struct
{
  RgKafkaDeleteRecordsTopic *topics;
  guint n_topics;
  gint32 timeout_ms;
} RgKafkaDeleteRecordsRequest;

/* DeleteGroups (42) v0-2 request: the group ids. */
typedef struct
{
  RgKafkaStr *groups;
  guint n_groups;
} RgKafkaDeleteGroupsRequest;

/* One result of a DeleteGroups response. */
typedef struct
{
  RgKafkaStr group_id;
  gint16 error_code;
} RgKafkaDeletableGroupResult;

/* One partition of an OffsetDelete request (@error_code: response). */
typedef struct
{
  RgKafkaStr topic;
  gint32 partition;
  gint16 error_code;
} RgKafkaOffsetDeletePartition;

/* OffsetDelete (47) v0 request: a group and its partitions, flattened
 * in request order (consecutive partitions of one topic share a name). */
typedef struct
{
  RgKafkaStr group_id;
  RgKafkaOffsetDeletePartition *partitions;
  guint n_partitions;
} RgKafkaOffsetDeleteRequest;

/* Body parsers for rg_kafka_request_parse_other(), and their frees. */
gpointer rg_kafka_parse_delete_records (RgKafkaReader * r,
    gint16 api_version);
void rg_kafka_delete_records_request_free (gpointer body);
gpointer rg_kafka_parse_delete_groups (RgKafkaReader * r, gint16 api_version);
void rg_kafka_delete_groups_request_free (gpointer body);
gpointer rg_kafka_parse_offset_delete (RgKafkaReader * r, gint16 api_version);
void rg_kafka_offset_delete_request_free (gpointer body);

/* DeleteRecords response: ThrottleTimeMs, then each topic with its
 * partitions' low watermarks and errors. */
RgKafkaResponse *rg_kafka_build_delete_records_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDeleteRecordsTopic * topics, guint n_topics,
    GError ** error);

/* DeleteGroups response: ThrottleTimeMs, one result per group. */
RgKafkaResponse *rg_kafka_build_delete_groups_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDeletableGroupResult * results, guint n_results,
    GError ** error);

/* OffsetDelete response: the group's @error_code, ThrottleTimeMs, and
 * @partitions (in request order) grouped back into their topics. */
RgKafkaResponse *rg_kafka_build_offset_delete_response (gint32
    correlation_id, gint16 api_version, gint16 error_code,
    gint32 throttle_time_ms, const RgKafkaOffsetDeletePartition * partitions,
    guint n_partitions, GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_DELETE_H__ */
