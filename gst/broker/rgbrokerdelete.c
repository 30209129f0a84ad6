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
 * DeleteRecords, DeleteGroups and OffsetDelete (see rgbrokerdelete.h).
 * What each answers (docs/protocol.md has the same):
 *
 *  - DeleteRecords: an ingest topic's partition has its log start moved
 *    up to the offset asked for (-1: the high watermark) and answers the
 *    new low watermark; an offset below the current start changes nothing
 *    and answers the current one, as Kafka does. An offset past the high
 *    watermark, or negative other than -1, gets OFFSET_OUT_OF_RANGE (1).
 *    In memory the batches wholly below the new start are released; a
 *    journal-backed ingest topic writes the start to its checkpoint file
 *    (durable before the answer) and deletes the segments wholly below it
 *    (rgbrokeringest.c); KAFKA_STORAGE_ERROR (56) if the checkpoint could
 *    not be written. A pipeline's topic (or its .live view) gets
 *    POLICY_VIOLATION (44): its records are what the pipeline wrote, and
 *    its own retention decides what it keeps. The response has no message
 *    field, so the reason is logged (INFO). An unknown topic or partition
 *    gets UNKNOWN_TOPIC_OR_PARTITION (3). With an ACL file, delete on the
 *    topic is needed, as in Kafka (create grants it on a topic, as for
 *    DeleteTopics): TOPIC_AUTHORIZATION_FAILED (29) otherwise.
 *  - DeleteGroups: an Empty group is deleted with its committed offsets
 *    (tombstones in __consumer_offsets: a restart replays them and Burrow
 *    sees them); a group with members gets NON_EMPTY_GROUP (68), an
 *    unknown one GROUP_ID_NOT_FOUND (69) (rgbrokergroup.h).
 *  - OffsetDelete: the coordinator's rules (rgbrokergroup.h:
 *    GROUP_SUBSCRIBED_TO_TOPIC (86) for a topic an active member
 *    subscribes to, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for a non-consumer
 *    group with members); a partition the broker does not serve gets
 *    UNKNOWN_TOPIC_OR_PARTITION (3), as in Kafka. A group-level error
 *    answers with no topics, as Kafka does.
 *  - With an ACL file, DeleteGroups and OffsetDelete need delete on the
 *    group, as in Kafka (GROUP_AUTHORIZATION_FAILED, 30), OffsetDelete
 *    also read on each topic (29 for that partition).
 *  - With durable offsets under sync=always, DeleteGroups and OffsetDelete
 *    are answered once an fdatasync covers their tombstones (the request
 *    is parked meanwhile, as an OffsetCommit is); a journal that failed,
 *    or a wait past 30 s, answers COORDINATOR_NOT_AVAILABLE (15), which
 *    clients retry.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerdelete.h"
#include "broker/rgbrokerauth.h"
#include "broker/rgbrokergroups.h"
#include "broker/rgbrokertopic.h"

#define GST_CAT_DEFAULT rg_broker_debug

/* How long a deletion may wait for its tombstones' fdatasync. */
#define DURABLE_WAIT_MS 30000

/* ---- DeleteRecords ---- */

static gint16
delete_records_partition (const RgBrokerRequestContext * ctx,
    RgKafkaStr topic, const RgKafkaDeleteRecordsPartition * asked,
    gint64 * low_watermark)
{
  RgBrokerTopic *t;
  GError *error = NULL;
  gint16 code;

  *low_watermark = -1;
  code = rg_broker_auth_check (ctx, topic, RG_BROKER_ACL_DELETE);
  if (code != RG_KAFKA_NONE)
    return code;
  t = rg_broker_registry_lookup_partition (ctx->registry, topic,
      asked->partition);
  if (!t)
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  code = rg_broker_topic_delete_records (t, asked->offset, low_watermark,
      &error);
  if (code == RG_KAFKA_POLICY_VIOLATION)
    GST_INFO ("client %s: DeleteRecords on \"%.*s\" refused: a pipeline's "
        "topic keeps what its pipeline wrote; only ingest topics can be "
        "trimmed", ctx->peer, topic.len, topic.data);
  else if (code == RG_KAFKA_KAFKA_STORAGE_ERROR)
    GST_ERROR ("client %s: DeleteRecords on \"%.*s\": %s", ctx->peer,
        topic.len, topic.data, error->message);
  g_clear_error (&error);
  rg_broker_topic_unref (t);
  return code;
}

RgBrokerHandleResult
rg_broker_handle_delete_records (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaDeleteRecordsRequest *dr = req->body.other.body;
  RgKafkaDeleteRecordsTopic *results;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i, j;

  results = g_new0 (RgKafkaDeleteRecordsTopic, MAX (dr->n_topics, 1));
  for (i = 0; i < dr->n_topics; i++) {
    const RgKafkaDeleteRecordsTopic *t = &dr->topics[i];

    results[i].name = t->name;
    results[i].n_partitions = t->n_partitions;
    results[i].partitions = g_new0 (RgKafkaDeleteRecordsPartition,
        MAX (t->n_partitions, 1));
    for (j = 0; j < t->n_partitions; j++) {
      RgKafkaDeleteRecordsPartition *r = &results[i].partitions[j];

      r->partition = t->partitions[j].partition;
      r->error_code = delete_records_partition (ctx, t->name,
          &t->partitions[j], &r->offset);
    }
  }
  resp = rg_kafka_build_delete_records_response (req->header.correlation_id,
      req->header.api_version, 0, results, dr->n_topics, &error);
  for (i = 0; i < dr->n_topics; i++)
    g_free (results[i].partitions);
  g_free (results);
  return rg_broker_answer (resp, error, "DeleteRecords", ctx, out);
}

/* ---- Waiting for tombstones ---- */

/* A deletion parked until its tombstones are durable: the answer, and the
 * one to send if they never will be. */
typedef struct
{
  guint64 durable_end;
  RgKafkaResponse *response;
  RgKafkaResponse *failed;
} DurableAnswer;

static void
durable_answer_free (gpointer data)
{
  DurableAnswer *a = data;

  rg_kafka_response_free (a->response);
  rg_kafka_response_free (a->failed);
  g_free (a);
}

/* Sends @response at once when nothing is to wait for, else parks with
 * both answers. Takes both responses. */
static RgBrokerHandleResult
answer_when_durable (RgKafkaResponse * response, RgKafkaResponse * failed,
    guint64 durable_end, const gchar * api,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  DurableAnswer *a;
  gboolean durable, broken;

  if (!response || !failed) {
    rg_kafka_response_free (response);
    rg_kafka_response_free (failed);
    return rg_broker_answer (NULL, NULL, api, ctx, out);
  }
  durable = rg_broker_groups_is_durable (ctx->groups, durable_end, &broken);
  if (durable || broken) {
    out->response = durable ? response : failed;
    rg_kafka_response_free (durable ? failed : response);
    return RG_BROKER_HANDLE_DONE;
  }
  a = g_new0 (DurableAnswer, 1);
  a->durable_end = durable_end;
  a->response = response;
  a->failed = failed;
  out->state = a;
  out->state_free = durable_answer_free;
  out->wait_ms = DURABLE_WAIT_MS;
  return RG_BROKER_HANDLE_PARK;
}

/* A parked deletion tried again. */
static RgBrokerHandleResult
durable_retry (const RgBrokerRequestContext * ctx,
    RgBrokerHandleOutcome * out)
{
  DurableAnswer *a = ctx->state;
  gboolean durable, broken;

  durable = rg_broker_groups_is_durable (ctx->groups, a->durable_end,
      &broken);
  if (!durable && !broken && !ctx->expired)
    return RG_BROKER_HANDLE_PARK;
  if (durable) {
    out->response = a->response;
    a->response = NULL;
  } else {
    out->response = a->failed;
    a->failed = NULL;
  }
  return RG_BROKER_HANDLE_DONE;
}

/* ---- DeleteGroups ---- */

static RgKafkaResponse *
build_delete_groups (const RgKafkaRequest * req,
    const RgKafkaDeletableGroupResult * results, guint n, GError ** error)
{
  return rg_kafka_build_delete_groups_response (req->header.correlation_id,
      req->header.api_version, 0, results, n, error);
}

RgBrokerHandleResult
rg_broker_handle_delete_groups (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaDeleteGroupsRequest *dg = req->body.other.body;
  RgKafkaDeletableGroupResult *results, *failed;
  RgKafkaResponse *resp, *failed_resp;
  guint64 end = 0, group_end;
  GError *error = NULL;
  guint i;

  if (ctx->state)
    return durable_retry (ctx, out);
  results = g_new0 (RgKafkaDeletableGroupResult, MAX (dg->n_groups, 1));
  failed = g_new0 (RgKafkaDeletableGroupResult, MAX (dg->n_groups, 1));
  for (i = 0; i < dg->n_groups; i++) {
    results[i].group_id = failed[i].group_id = dg->groups[i];
    results[i].error_code = rg_broker_auth_check_group (ctx, dg->groups[i],
        RG_BROKER_ACL_DELETE);
    if (results[i].error_code == RG_KAFKA_NONE) {
      results[i].error_code = rg_broker_groups_delete_group (ctx->groups,
          dg->groups[i], &group_end);
      end = MAX (end, group_end);
    }
    failed[i].error_code = results[i].error_code != RG_KAFKA_NONE ?
        results[i].error_code : RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE;
  }
  resp = build_delete_groups (req, results, dg->n_groups, &error);
  failed_resp = resp ? build_delete_groups (req, failed, dg->n_groups,
      NULL) : NULL;
  g_free (results);
  g_free (failed);
  if (!resp)
    return rg_broker_answer (NULL, error, "DeleteGroups", ctx, out);
  return answer_when_durable (resp, failed_resp, end, "DeleteGroups", ctx,
      out);
}

/* ---- OffsetDelete ---- */

/* Hands the partitions the principal may read and the broker serves to
 * the coordinator; the others get 29 or 3. Returns the group-level
 * error. */
static gint16
offset_delete_known (const RgBrokerRequestContext * ctx,
    const RgKafkaOffsetDeleteRequest * od, gint16 * errors,
    guint64 * durable_end)
{
  RgGroupTopicPartition *known = g_new (RgGroupTopicPartition,
      MAX (od->n_partitions, 1));
  gint16 *known_errors = g_new0 (gint16, MAX (od->n_partitions, 1));
  guint *index = g_new (guint, MAX (od->n_partitions, 1));
  guint i, n = 0;
  gint16 err;

  for (i = 0; i < od->n_partitions; i++) {
    const RgKafkaOffsetDeletePartition *p = &od->partitions[i];

    errors[i] = rg_broker_auth_check (ctx, p->topic, RG_BROKER_ACL_READ);
    if (errors[i] != RG_KAFKA_NONE)
      continue;
    errors[i] = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    if (rg_broker_registry_has_partition (ctx->registry, p->topic,
            p->partition)) {
      index[n] = i;
      known[n].topic = p->topic;
      known[n++].partition = p->partition;
    }
  }
  err = rg_broker_groups_delete_offsets (ctx->groups, od->group_id, known,
      n, known_errors, durable_end);
  for (i = 0; i < n; i++)
    errors[index[i]] = known_errors[i];
  g_free (known);
  g_free (known_errors);
  g_free (index);
  return err;
}

static RgKafkaResponse *
build_offset_delete (const RgKafkaRequest * req, gint16 error_code,
    const RgKafkaOffsetDeletePartition * partitions, guint n,
    GError ** error)
{
  /* A group-level error answers with no topics (Kafka's error
   * response). */
  return rg_kafka_build_offset_delete_response (req->header.correlation_id,
      req->header.api_version, error_code, 0, partitions,
      error_code == RG_KAFKA_NONE ? n : 0, error);
}

RgBrokerHandleResult
rg_broker_handle_offset_delete (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaOffsetDeleteRequest *od = req->body.other.body;
  RgKafkaOffsetDeletePartition *results;
  RgKafkaResponse *resp, *failed_resp;
  gint16 *errors, err;
  guint64 end = 0;
  GError *error = NULL;
  guint i;

  if (ctx->state)
    return durable_retry (ctx, out);
  err = rg_broker_auth_check_group (ctx, od->group_id, RG_BROKER_ACL_DELETE);
  if (err != RG_KAFKA_NONE)
    return rg_broker_answer (build_offset_delete (req, err, NULL, 0, &error),
        error, "OffsetDelete", ctx, out);
  results = g_new0 (RgKafkaOffsetDeletePartition, MAX (od->n_partitions, 1));
  errors = g_new0 (gint16, MAX (od->n_partitions, 1));
  err = offset_delete_known (ctx, od, errors, &end);
  for (i = 0; i < od->n_partitions; i++) {
    results[i] = od->partitions[i];
    results[i].error_code = errors[i];
  }
  resp = build_offset_delete (req, err, results, od->n_partitions, &error);
  failed_resp = resp ? build_offset_delete (req,
      err != RG_KAFKA_NONE ? err : RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE,
      results, od->n_partitions, NULL) : NULL;
  g_free (results);
  g_free (errors);
  if (!resp)
    return rg_broker_answer (NULL, error, "OffsetDelete", ctx, out);
  return answer_when_durable (resp, failed_resp, end, "OffsetDelete", ctx,
      out);
}
