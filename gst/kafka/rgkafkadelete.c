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
 * The codec of DeleteRecords, DeleteGroups and OffsetDelete (contract in
 * rgkafkadelete.h). Kafka's JSON message specs are the authority; the
 * layouts, with [vN+] for fields present from version N. In flexible
 * versions strings and arrays are compact and every struct (the body and
 * each array element) ends with a tag section; rgkafkawire.c switches the
 * encodings on the reader's or response's flexible flag.
 *
 * DeleteRecords (21), v0-2, flexible from v2 (v1 changes only the
 * broker's throttling, not the bytes):
 *   request  ARRAY Topics {STRING Name, ARRAY Partitions {int32
 *            PartitionIndex, int64 Offset}}, int32 TimeoutMs
 *   response int32 ThrottleTimeMs, ARRAY Topics {STRING Name, ARRAY
 *            Partitions {int32 PartitionIndex, int64 LowWatermark,
 *            int16 ErrorCode}}
 *   Offset -1 means the high watermark.
 *
 * DeleteGroups (42), v0-2, flexible from v2:
 *   request  ARRAY STRING GroupsNames
 *   response int32 ThrottleTimeMs, ARRAY Results {STRING GroupId,
 *            int16 ErrorCode}
 *
 * OffsetDelete (47), v0, never flexible:
 *   request  STRING GroupId, ARRAY Topics {STRING Name, ARRAY Partitions
 *            {int32 PartitionIndex}}
 *   response int16 ErrorCode, int32 ThrottleTimeMs, ARRAY Topics {STRING
 *            Name, ARRAY Partitions {int32 PartitionIndex, int16
 *            ErrorCode}}
 *   The top-level error comes first, before the throttle time, unlike
 *   every other api.
 *
 * Bounds: array counts are checked against the smallest encoding of one
 * element before anything is allocated (rg_kafka_read_array_count()), so
 * a request holds at most a small multiple of its frame size.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkadelete.h"

#include <string.h>

/* Smallest encodings of one element: a string is 2 bytes (1 compact), an
 * array count 4 (1 compact), a tag section 1 when flexible. */
#define MIN_STR(r) ((r)->flexible ? 1 : 2)
#define MIN_ARRAY(r) ((r)->flexible ? 1 : 4)
#define MIN_TAG(r) ((r)->flexible ? 1 : 0)

/* ---- DeleteRecords ---- */

static void
parse_records_topic (RgKafkaReader * r, RgKafkaDeleteRecordsTopic * t)
{
  gint32 i, n;

  t->name = rg_kafka_read_str (r, FALSE, "Name");
  n = rg_kafka_read_array_count (r, FALSE, 12 + MIN_TAG (r), "Partitions");
  t->partitions = g_new0 (RgKafkaDeleteRecordsPartition, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, t->n_partitions++) {
    t->partitions[i].partition = rg_kafka_read_int32 (r, "PartitionIndex");
    t->partitions[i].offset = rg_kafka_read_int64 (r, "Offset");
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
}

gpointer
rg_kafka_parse_delete_records (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaDeleteRecordsRequest *req = g_new0 (RgKafkaDeleteRecordsRequest, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE,
      MIN_STR (r) + MIN_ARRAY (r) + MIN_TAG (r), "Topics");
  req->topics = g_new0 (RgKafkaDeleteRecordsTopic, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_topics++)
    parse_records_topic (r, &req->topics[i]);
  req->timeout_ms = rg_kafka_read_int32 (r, "TimeoutMs");
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_delete_records_request_free (gpointer body)
{
  RgKafkaDeleteRecordsRequest *req = body;
  guint i;

  if (!req)
    return;
  for (i = 0; i < req->n_topics; i++)
    g_free (req->topics[i].partitions);
  g_free (req->topics);
  g_free (req);
}

RgKafkaResponse *
rg_kafka_build_delete_records_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDeleteRecordsTopic * topics, guint n_topics,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  if (!rg_kafka_check_build_version ("DeleteRecords", api_version,
          RG_KAFKA_DELETE_RECORDS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_DELETE_RECORDS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].name, FALSE, "Name");
    rg_kafka_put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++) {
      const RgKafkaDeleteRecordsPartition *p = &topics[i].partitions[j];

      rg_kafka_put_int32 (resp, p->partition);
      rg_kafka_put_int64 (resp, p->offset);
      rg_kafka_put_int16 (resp, p->error_code);
      rg_kafka_put_tags (resp);
    }
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- DeleteGroups ---- */

gpointer
rg_kafka_parse_delete_groups (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaDeleteGroupsRequest *req = g_new0 (RgKafkaDeleteGroupsRequest, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, MIN_STR (r), "GroupsNames");
  req->groups = g_new0 (RgKafkaStr, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_groups++)
    req->groups[i] = rg_kafka_read_str (r, FALSE, "GroupsName");
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_delete_groups_request_free (gpointer body)
{
  RgKafkaDeleteGroupsRequest *req = body;

  if (!req)
    return;
  g_free (req->groups);
  g_free (req);
}

RgKafkaResponse *
rg_kafka_build_delete_groups_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDeletableGroupResult * results, guint n_results,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i;

  if (!rg_kafka_check_build_version ("DeleteGroups", api_version,
          RG_KAFKA_DELETE_GROUPS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_DELETE_GROUPS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_results);
  for (i = 0; i < n_results; i++) {
    rg_kafka_put_str (resp, results[i].group_id, FALSE, "GroupId");
    rg_kafka_put_int16 (resp, results[i].error_code);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- OffsetDelete ---- */

gpointer
rg_kafka_parse_offset_delete (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaOffsetDeleteRequest *req = g_new0 (RgKafkaOffsetDeleteRequest, 1);
  GArray *parts = g_array_new (FALSE, TRUE,
      sizeof (RgKafkaOffsetDeletePartition));
  gint32 i, j, n_topics;

  req->group_id = rg_kafka_read_str (r, FALSE, "GroupId");
  n_topics = rg_kafka_read_array_count (r, FALSE, MIN_STR (r) +
      MIN_ARRAY (r), "Topics");
  for (i = 0; i < n_topics && !r->failed; i++) {
    RgKafkaStr name = rg_kafka_read_str (r, FALSE, "Name");
    gint32 n = rg_kafka_read_array_count (r, FALSE, 4, "Partitions");

    for (j = 0; j < n && !r->failed; j++) {
      RgKafkaOffsetDeletePartition p = { name, 0, 0 };

      p.partition = rg_kafka_read_int32 (r, "PartitionIndex");
      g_array_append_val (parts, p);
    }
  }
  req->n_partitions = parts->len;
  req->partitions = (RgKafkaOffsetDeletePartition *) g_array_free (parts,
      FALSE);
  return req;
}

void
rg_kafka_offset_delete_request_free (gpointer body)
{
  RgKafkaOffsetDeleteRequest *req = body;

  if (!req)
    return;
  g_free (req->partitions);
  g_free (req);
}

static gboolean
same_topic (const RgKafkaOffsetDeletePartition * a,
    const RgKafkaOffsetDeletePartition * b)
{
  return a->topic.len == b->topic.len && (a->topic.len <= 0
      || memcmp (a->topic.data, b->topic.data, a->topic.len) == 0);
}

RgKafkaResponse *
rg_kafka_build_offset_delete_response (gint32 correlation_id,
    gint16 api_version, gint16 error_code, gint32 throttle_time_ms,
    const RgKafkaOffsetDeletePartition * partitions, guint n_partitions,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j, start, n_topics = 0;

  if (!rg_kafka_check_build_version ("OffsetDelete", api_version,
          RG_KAFKA_OFFSET_DELETE_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_OFFSET_DELETE_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  /* Runs of one topic's partitions are one topic entry, as they came. */
  for (i = 0; i < n_partitions; i++)
    n_topics += i == 0 || !same_topic (&partitions[i - 1], &partitions[i]);
  rg_kafka_put_array_count (resp, n_topics);
  for (start = 0; start < n_partitions; start = i) {
    for (i = start + 1; i < n_partitions
        && same_topic (&partitions[start], &partitions[i]); i++);
    rg_kafka_put_str (resp, partitions[start].topic, FALSE, "Name");
    rg_kafka_put_array_count (resp, i - start);
    for (j = start; j < i; j++) {
      rg_kafka_put_int32 (resp, partitions[j].partition);
      rg_kafka_put_int16 (resp, partitions[j].error_code);
    }
  }
  return rg_kafka_response_finish (resp, error);
}
