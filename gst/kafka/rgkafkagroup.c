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
 * The consumer-group apis on the wire (the contract is in
 * rgkafkagroup.h). Layouts, after Kafka's JSON message specs; "str" is
 * STRING in classic versions and COMPACT_STRING in flexible ones, "[ ]"
 * an ARRAY or COMPACT_ARRAY, "bytes" BYTES or COMPACT_BYTES, "?" a
 * nullable field, TAG a tag section (flexible versions only). Every
 * flexible version also uses request header v2 and response header v1.
 *
 * FindCoordinator (10), v0-3, flexible from 3
 *   request   key str, v1+ key_type int8, TAG
 *   response  v1+ throttle int32, error int16, v1+ message str?,
 *             node_id int32, host str, port int32, TAG
 * JoinGroup (11), v0-7, flexible from 6
 *   request   group str, session_timeout int32, v1+ rebalance_timeout
 *             int32, member_id str, v5+ instance_id str?, protocol_type
 *             str, [name str, metadata bytes, TAG], TAG
 *   response  v2+ throttle, error, generation int32, v7+ protocol_type
 *             str?, protocol_name str (v7+ nullable), leader str,
 *             member_id str, [member_id str, v5+ instance_id str?,
 *             metadata bytes, TAG], TAG
 * SyncGroup (14), v0-5, flexible from 4
 *   request   group str, generation int32, member_id str, v3+
 *             instance_id str?, v5+ protocol_type str?, protocol_name
 *             str?, [member_id str, assignment bytes, TAG], TAG
 *   response  v1+ throttle, error, v5+ protocol_type str?, protocol_name
 *             str?, assignment bytes, TAG
 * Heartbeat (12), v0-4, flexible from 4
 *   request   group str, generation int32, member_id str, v3+
 *             instance_id str?, TAG
 *   response  v1+ throttle, error, TAG
 * LeaveGroup (13), v0-4, flexible from 4
 *   request   group str, v0-2 member_id str, v3+ [member_id str,
 *             instance_id str?, TAG], TAG
 *   response  v1+ throttle, error, v3+ [member_id str, instance_id str?,
 *             error int16, TAG], TAG
 * OffsetCommit (8), v0-8, flexible from 8
 *   request   group str, v1+ generation int32, member_id str, v7+
 *             instance_id str?, v2-4 retention_ms int64, [name str,
 *             [partition int32, offset int64, v6+ leader_epoch int32, v1
 *             commit_timestamp int64, metadata str?, TAG], TAG], TAG
 *   response  v3+ throttle, [name str, [partition int32, error int16,
 *             TAG], TAG], TAG
 * OffsetFetch (9), v0-7, flexible from 6
 *   request   group str, [name str, [partition int32], TAG] (v2+ null:
 *             every committed offset), v7+ require_stable int8, TAG
 *   response  v3+ throttle, [name str, [partition int32, offset int64,
 *             v5+ leader_epoch int32, metadata str?, error int16, TAG],
 *             TAG], v2+ error int16, TAG
 * ListGroups (16), v0-4, flexible from 3
 *   request   v4+ [state str], TAG
 *   response  v1+ throttle, error, [group str, protocol_type str, v4+
 *             state str, TAG], TAG
 * DescribeGroups (15), v0-5, flexible from 5
 *   request   [group str], v3+ include_authorized_operations int8, TAG
 *   response  v1+ throttle, [error int16, group str, state str,
 *             protocol_type str, protocol str, [member_id str, v4+
 *             instance_id str?, client_id str, client_host str, metadata
 *             bytes, assignment bytes, TAG], v3+ authorized_operations
 *             int32, TAG], TAG
 *
 * Versions below a field's first version simply lack it; the parsers fill
 * Kafka's defaults for them (rebalance timeout -1, generation -1 and
 * member "" for OffsetCommit v0, commit timestamp -1 outside v1, ...).
 * OffsetFetch v0-1 have no top-level error: a group-level error is
 * answered in every partition instead, as Kafka does.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkagroup.h"

#include <string.h>

/* Kafka's "not requested" value of authorized_operations. */
#define AUTHORIZED_OPERATIONS_OMITTED G_MININT32

static const gchar *state_names[] = {
  "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"
};

const gchar *
rg_group_state_name (RgGroupState state)
{
  return state <= RG_GROUP_DEAD ? state_names[state] : "Unknown";
}

gboolean
rg_group_state_from_name (RgKafkaStr name, RgGroupState * state)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (state_names); i++) {
    if (rg_kafka_str_equal (name, state_names[i])) {
      *state = (RgGroupState) i;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- Parsing ---- */

static RgKafkaGroupRequest *
request_new (gint16 api_key, gint16 version)
{
  RgKafkaGroupRequest *req = g_new0 (RgKafkaGroupRequest, 1);

  req->api_key = api_key;
  req->version = version;
  return req;
}

void
rg_kafka_group_request_free (gpointer data)
{
  RgKafkaGroupRequest *req = data;

  if (!req)
    return;
  if (req->waiter && req->waiter_free)
    req->waiter_free (req->waiter);
  switch (req->api_key) {
    case RG_KAFKA_API_JOIN_GROUP:
      g_free ((gpointer) req->u.join.protocols);
      break;
    case RG_KAFKA_API_SYNC_GROUP:
      g_free ((gpointer) req->u.sync.assignments);
      break;
    case RG_KAFKA_API_LEAVE_GROUP:
      g_free ((gpointer) req->u.leave.members);
      break;
    case RG_KAFKA_API_OFFSET_COMMIT:
      g_free ((gpointer) req->u.commit.partitions);
      g_free (req->u.commit.errors);
      break;
    case RG_KAFKA_API_OFFSET_FETCH:
      g_free ((gpointer) req->u.fetch.partitions);
      break;
    case RG_KAFKA_API_LIST_GROUPS:
      g_free (req->u.list.states);
      break;
    case RG_KAFKA_API_DESCRIBE_GROUPS:
      g_free (req->u.describe.groups);
      break;
    default:
      break;
  }
  g_free (req);
}

/* The smallest encoding of a string and of a byte field: a classic
 * length is 2 (string) or 4 (bytes) bytes, a compact one at least 1. */
#define MIN_STR(r) ((r)->flexible ? 1 : 2)
#define MIN_BYTES(r) ((r)->flexible ? 1 : 4)
/* A struct in an array ends with a tag section (1 byte) when flexible. */
#define MIN_TAG(r) ((r)->flexible ? 1 : 0)

static RgKafkaBytes
read_bytes (RgKafkaReader * r, const gchar * field)
{
  RgKafkaBytes b;

  b.data = rg_kafka_read_bytes (r, FALSE, &b.len, NULL, field);
  if (!b.data) {
    b.data = (const guint8 *) "";
    b.len = 0;
  }
  return b;
}

gpointer
rg_kafka_group_parse_find_coordinator (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_FIND_COORDINATOR,
      version);
  RgGroupFindCoordinatorRequest *f = &req->u.find_coordinator;

  f->key = rg_kafka_read_str (r, FALSE, "key");
  if (version >= 1)
    f->key_type = rg_kafka_read_int8 (r, "key_type");
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_group_parse_join (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_JOIN_GROUP, version);
  RgGroupJoinRequest *j = &req->u.join;
  RgGroupProtocol *protocols;
  gint32 i, n;

  j->version = version;
  j->group_id = rg_kafka_read_str (r, FALSE, "group_id");
  j->session_timeout_ms = rg_kafka_read_int32 (r, "session_timeout_ms");
  j->rebalance_timeout_ms = version >= 1 ?
      rg_kafka_read_int32 (r, "rebalance_timeout_ms") : -1;
  j->member_id = rg_kafka_read_str (r, FALSE, "member_id");
  j->group_instance_id = version >= 5 ?
      rg_kafka_read_str (r, TRUE, "group_instance_id") : RG_KAFKA_STR_NULL;
  j->protocol_type = rg_kafka_read_str (r, FALSE, "protocol_type");
  n = rg_kafka_read_array_count (r, FALSE,
      MIN_STR (r) + MIN_BYTES (r) + MIN_TAG (r), "protocols");
  protocols = g_new0 (RgGroupProtocol, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++) {
    protocols[i].name = rg_kafka_read_str (r, FALSE, "protocol name");
    protocols[i].metadata = read_bytes (r, "protocol metadata");
    rg_kafka_read_tags (r);
  }
  j->protocols = protocols;
  j->n_protocols = MAX (n, 0);
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_group_parse_sync (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_SYNC_GROUP, version);
  RgGroupSyncRequest *s = &req->u.sync;
  RgGroupAssignment *assignments;
  gint32 i, n;

  s->group_id = rg_kafka_read_str (r, FALSE, "group_id");
  s->generation_id = rg_kafka_read_int32 (r, "generation_id");
  s->member_id = rg_kafka_read_str (r, FALSE, "member_id");
  s->group_instance_id = version >= 3 ?
      rg_kafka_read_str (r, TRUE, "group_instance_id") : RG_KAFKA_STR_NULL;
  s->protocol_type = s->protocol_name = RG_KAFKA_STR_NULL;
  if (version >= 5) {
    s->protocol_type = rg_kafka_read_str (r, TRUE, "protocol_type");
    s->protocol_name = rg_kafka_read_str (r, TRUE, "protocol_name");
  }
  n = rg_kafka_read_array_count (r, FALSE,
      MIN_STR (r) + MIN_BYTES (r) + MIN_TAG (r), "assignments");
  assignments = g_new0 (RgGroupAssignment, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++) {
    assignments[i].member_id = rg_kafka_read_str (r, FALSE,
        "assignment member_id");
    assignments[i].assignment = read_bytes (r, "assignment");
    rg_kafka_read_tags (r);
  }
  s->assignments = assignments;
  s->n_assignments = MAX (n, 0);
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_group_parse_heartbeat (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_HEARTBEAT, version);
  RgGroupHeartbeatRequest *h = &req->u.heartbeat;

  h->group_id = rg_kafka_read_str (r, FALSE, "group_id");
  h->generation_id = rg_kafka_read_int32 (r, "generation_id");
  h->member_id = rg_kafka_read_str (r, FALSE, "member_id");
  h->group_instance_id = version >= 3 ?
      rg_kafka_read_str (r, TRUE, "group_instance_id") : RG_KAFKA_STR_NULL;
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_group_parse_leave (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_LEAVE_GROUP, version);
  RgGroupLeaveRequest *l = &req->u.leave;
  RgGroupLeavingMember *members;
  gint32 i, n = 0;

  l->version = version;
  l->group_id = rg_kafka_read_str (r, FALSE, "group_id");
  l->member_id = RG_KAFKA_STR_NULL;
  if (version <= 2) {
    l->member_id = rg_kafka_read_str (r, FALSE, "member_id");
  } else {
    n = rg_kafka_read_array_count (r, FALSE,
        MIN_STR (r) * 2 + MIN_TAG (r), "members");
  }
  members = g_new0 (RgGroupLeavingMember, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++) {
    members[i].member_id = rg_kafka_read_str (r, FALSE, "member_id");
    members[i].group_instance_id = rg_kafka_read_str (r, TRUE,
        "group_instance_id");
    rg_kafka_read_tags (r);
  }
  l->members = members;
  l->n_members = MAX (n, 0);
  rg_kafka_read_tags (r);
  return req;
}

/* One partition of an OffsetCommit topic. */
static void
parse_commit_partition (RgKafkaReader * r, gint16 version, RgKafkaStr topic,
    RgGroupCommitPartition * p)
{
  p->topic = topic;
  p->partition = rg_kafka_read_int32 (r, "partition_index");
  p->offset = rg_kafka_read_int64 (r, "committed_offset");
  p->leader_epoch = version >= 6 ?
      rg_kafka_read_int32 (r, "committed_leader_epoch") : -1;
  p->commit_timestamp = version == 1 ?
      rg_kafka_read_int64 (r, "commit_timestamp") : -1;
  p->metadata = rg_kafka_read_str (r, TRUE, "committed_metadata");
  rg_kafka_read_tags (r);
}

/* The smallest OffsetCommit partition of @version. */
static gsize
commit_partition_min (RgKafkaReader * r, gint16 version)
{
  return 4 + 8 + (version >= 6 ? 4 : 0) + (version == 1 ? 8 : 0) +
      MIN_STR (r) + MIN_TAG (r);
}

gpointer
rg_kafka_group_parse_commit (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_OFFSET_COMMIT,
      version);
  RgGroupCommitRequest *c = &req->u.commit;
  GArray *parts = g_array_new (FALSE, TRUE, sizeof (RgGroupCommitPartition));
  gint32 i, j, n_topics;

  c->group_id = rg_kafka_read_str (r, FALSE, "group_id");
  c->generation_id = -1;
  c->member_id = rg_kafka_str_from_cstr ("");
  c->group_instance_id = RG_KAFKA_STR_NULL;
  c->retention_ms = -1;
  if (version >= 1) {
    c->generation_id = rg_kafka_read_int32 (r, "generation_id");
    c->member_id = rg_kafka_read_str (r, FALSE, "member_id");
  }
  if (version >= 7)
    c->group_instance_id = rg_kafka_read_str (r, TRUE, "group_instance_id");
  if (version >= 2 && version <= 4)
    c->retention_ms = rg_kafka_read_int64 (r, "retention_time_ms");
  n_topics = rg_kafka_read_array_count (r, FALSE,
      MIN_STR (r) + MIN_BYTES (r) + MIN_TAG (r), "topics");
  for (i = 0; i < n_topics && !r->failed; i++) {
    RgKafkaStr topic = rg_kafka_read_str (r, FALSE, "topic name");
    gint32 n = rg_kafka_read_array_count (r, FALSE,
        commit_partition_min (r, version), "partitions");

    for (j = 0; j < n && !r->failed; j++) {
      RgGroupCommitPartition p;

      parse_commit_partition (r, version, topic, &p);
      g_array_append_val (parts, p);
    }
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
  c->n_partitions = parts->len;
  c->errors = g_new0 (gint16, MAX (parts->len, 1));
  c->partitions = (RgGroupCommitPartition *) g_array_free (parts, FALSE);
  return req;
}

/* librdkafka up to 2.0.x asks for all of a group's offsets (its admin
 * client's ListConsumerGroupOffsets) in a flexible OffsetFetch with the
 * four zero bytes of a classic array count where the compact one belongs:
 * the first reads as a null array (all topics), three zero bytes follow.
 * Kafka reads the rest of the body from those and ignores what is left;
 * here the three are skipped when exactly they and the @rest bytes of the
 * body's remaining fields are left, so RequireStable is read where the
 * client wrote it and anything else still fails. */
static void
skip_int32_null_placeholder (RgKafkaReader * r, gsize rest)
{
  if (r->flexible && rg_kafka_reader_left (r) == 3 + rest
      && r->data[r->pos] == 0 && r->data[r->pos + 1] == 0
      && r->data[r->pos + 2] == 0)
    r->pos += 3;
}

gpointer
rg_kafka_group_parse_fetch (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_OFFSET_FETCH, version);
  RgGroupFetchRequest *f = &req->u.fetch;
  GArray *parts = g_array_new (FALSE, TRUE, sizeof (RgGroupTopicPartition));
  gint32 i, j, n_topics;

  f->group_id = rg_kafka_read_str (r, FALSE, "group_id");
  n_topics = rg_kafka_read_array_count (r, version >= 2,
      MIN_STR (r) + MIN_BYTES (r) + MIN_TAG (r), "topics");
  f->all = n_topics < 0;
  if (f->all)
    skip_int32_null_placeholder (r, version >= 7 ? 2 : 1);
  for (i = 0; i < n_topics && !r->failed; i++) {
    RgKafkaStr topic = rg_kafka_read_str (r, FALSE, "topic name");
    gint32 n = rg_kafka_read_array_count (r, FALSE, 4, "partition_indexes");

    for (j = 0; j < n && !r->failed; j++) {
      RgGroupTopicPartition p;

      p.topic = topic;
      p.partition = rg_kafka_read_int32 (r, "partition_index");
      g_array_append_val (parts, p);
    }
    rg_kafka_read_tags (r);
  }
  /* require_stable asks to wait for pending transactional offsets; this
   * broker stores a transaction's offsets only when it commits, so every
   * offset it shows is stable. */
  if (version >= 7)
    rg_kafka_read_int8 (r, "require_stable");
  rg_kafka_read_tags (r);
  f->n_partitions = parts->len;
  f->partitions = (RgGroupTopicPartition *) g_array_free (parts, FALSE);
  return req;
}

gpointer
rg_kafka_group_parse_list (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_LIST_GROUPS, version);
  RgGroupListRequest *l = &req->u.list;
  gint32 i, n = 0;

  if (version >= 4)
    n = rg_kafka_read_array_count (r, FALSE, MIN_STR (r), "states_filter");
  l->states = g_new0 (RgGroupState, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++) {
    RgKafkaStr name = rg_kafka_read_str (r, FALSE, "state");

    if (rg_group_state_from_name (name, &l->states[l->n_states]))
      l->n_states++;
    else
      l->unknown_state = TRUE;
  }
  rg_kafka_read_tags (r);
  /* librdkafka up to 2.0.x writes the body's tag section twice in
   * ListGroups v3+ (its request builder writes one, and its framing adds
   * one to every flexible request). Kafka reads no further than the body,
   * so such clients work there: one empty tag section more is read here,
   * and nothing else is forgiven. */
  if (r->flexible && rg_kafka_reader_left (r) == 1
      && r->data[r->pos] == 0)
    rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_group_parse_describe (RgKafkaReader * r, gint16 version)
{
  RgKafkaGroupRequest *req = request_new (RG_KAFKA_API_DESCRIBE_GROUPS,
      version);
  RgGroupDescribeRequest *d = &req->u.describe;
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, MIN_STR (r), "groups");
  d->groups = g_new0 (RgKafkaStr, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++)
    d->groups[i] = rg_kafka_read_str (r, FALSE, "group");
  d->n_groups = MAX (n, 0);
  if (version >= 3)
    rg_kafka_read_int8 (r, "include_authorized_operations");
  rg_kafka_read_tags (r);
  return req;
}

/* ---- Building ---- */

static RgKafkaStr
cstr (const gchar * s)
{
  return rg_kafka_str_from_cstr (s);
}

/* A non-null string field: NULL is written as "". */
static void
put_cstr (RgKafkaResponse * resp, const gchar * s, const gchar * field)
{
  rg_kafka_put_str (resp, cstr (s ? s : ""), FALSE, field);
}

static void
put_gbytes (RgKafkaResponse * resp, GBytes * bytes, const gchar * field)
{
  gsize len = 0;
  const guint8 *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  rg_kafka_put_bytes (resp, data ? data : (const guint8 *) "",
      (gint32) MIN (len, (gsize) G_MAXINT32), FALSE, field);
}

RgKafkaResponse *
rg_kafka_group_build_find_coordinator (gint32 correlation_id,
    gint16 version, const RgGroupFindCoordinatorResponse * f,
    GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_FIND_COORDINATOR_FIRST_FLEXIBLE, version);

  if (version >= 1)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int16 (resp, f->error);
  if (version >= 1)
    rg_kafka_put_str (resp, RG_KAFKA_STR_NULL, TRUE, "error_message");
  rg_kafka_put_int32 (resp, f->node_id);
  put_cstr (resp, f->host, "host");
  rg_kafka_put_int32 (resp, f->port);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_group_build_join (gint32 correlation_id, gint16 version,
    const RgGroupJoinResponse * j, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_JOIN_GROUP_FIRST_FLEXIBLE, version);
  guint i;

  if (version >= 2)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int16 (resp, j->error);
  rg_kafka_put_int32 (resp, j->generation_id);
  if (version >= 7) {
    rg_kafka_put_str (resp, cstr (j->protocol_type), TRUE, "protocol_type");
    rg_kafka_put_str (resp, cstr (j->protocol_name), TRUE, "protocol_name");
  } else {
    put_cstr (resp, j->protocol_name, "protocol_name");
  }
  put_cstr (resp, j->leader, "leader");
  put_cstr (resp, j->member_id, "member_id");
  rg_kafka_put_array_count (resp, j->n_members);
  for (i = 0; i < j->n_members; i++) {
    put_cstr (resp, j->members[i].member_id, "member_id");
    if (version >= 5)
      rg_kafka_put_str (resp, cstr (j->members[i].group_instance_id), TRUE,
          "group_instance_id");
    put_gbytes (resp, j->members[i].metadata, "metadata");
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_group_build_sync (gint32 correlation_id, gint16 version,
    const RgGroupSyncResponse * s, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_SYNC_GROUP_FIRST_FLEXIBLE, version);

  if (version >= 1)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int16 (resp, s->error);
  if (version >= 5) {
    rg_kafka_put_str (resp, cstr (s->protocol_type), TRUE, "protocol_type");
    rg_kafka_put_str (resp, cstr (s->protocol_name), TRUE, "protocol_name");
  }
  put_gbytes (resp, s->assignment, "assignment");
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_group_build_heartbeat (gint32 correlation_id, gint16 version,
    gint16 error_code, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_HEARTBEAT_FIRST_FLEXIBLE, version);

  if (version >= 1)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_group_build_leave (gint32 correlation_id, gint16 version,
    const RgGroupLeaveRequest * req, const RgGroupLeaveResponse * l,
    GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_LEAVE_GROUP_FIRST_FLEXIBLE, version);
  guint i;

  if (version >= 1)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int16 (resp, l->error);
  if (version >= 3) {
    rg_kafka_put_array_count (resp, req->n_members);
    for (i = 0; i < req->n_members; i++) {
      rg_kafka_put_str (resp, req->members[i].member_id, FALSE, "member_id");
      rg_kafka_put_str (resp, req->members[i].group_instance_id, TRUE,
          "group_instance_id");
      rg_kafka_put_int16 (resp, i < l->n_members ? l->member_errors[i] :
          l->error);
      rg_kafka_put_tags (resp);
    }
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

static gboolean
str_same (RgKafkaStr a, RgKafkaStr b)
{
  return a.len == b.len && (a.len <= 0 || memcmp (a.data, b.data, a.len) == 0);
}

/* How many topics a flattened partition list has: runs of one name. */
static guint
count_commit_topics (const RgGroupCommitRequest * c)
{
  guint i, n = 0;

  for (i = 0; i < c->n_partitions; i++)
    if (i == 0 || !str_same (c->partitions[i].topic,
            c->partitions[i - 1].topic))
      n++;
  return n;
}

RgKafkaResponse *
rg_kafka_group_build_commit (gint32 correlation_id, gint16 version,
    const RgGroupCommitRequest * c, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_OFFSET_COMMIT_FIRST_FLEXIBLE, version);
  guint i = 0;

  if (version >= 3)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_array_count (resp, count_commit_topics (c));
  while (i < c->n_partitions) {
    guint end = i + 1;

    while (end < c->n_partitions && str_same (c->partitions[end].topic,
            c->partitions[i].topic))
      end++;
    rg_kafka_put_str (resp, c->partitions[i].topic, FALSE, "name");
    rg_kafka_put_array_count (resp, end - i);
    for (; i < end; i++) {
      rg_kafka_put_int32 (resp, c->partitions[i].partition);
      rg_kafka_put_int16 (resp, c->errors[i]);
      rg_kafka_put_tags (resp);
    }
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

static gboolean
same_topic (const gchar * a, const gchar * b)
{
  return g_strcmp0 (a, b) == 0;
}

static void
put_fetch_partition (RgKafkaResponse * resp, gint16 version,
    const RgGroupFetchPartition * p, gint16 group_error)
{
  rg_kafka_put_int32 (resp, p->partition);
  rg_kafka_put_int64 (resp, p->offset);
  if (version >= 5)
    rg_kafka_put_int32 (resp, p->leader_epoch);
  rg_kafka_put_str (resp, cstr (p->metadata ? p->metadata : ""), TRUE,
      "metadata");
  /* v0-1 have no top-level error: the group's goes in each partition. */
  rg_kafka_put_int16 (resp, version < 2 && p->error == 0 ? group_error :
      p->error);
  rg_kafka_put_tags (resp);
}

RgKafkaResponse *
rg_kafka_group_build_fetch (gint32 correlation_id, gint16 version,
    const RgGroupFetchResponse * f, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_OFFSET_FETCH_FIRST_FLEXIBLE, version);
  guint i = 0, n_topics = 0;

  for (i = 0; i < f->n_partitions; i++)
    if (i == 0 || !same_topic (f->partitions[i].topic,
            f->partitions[i - 1].topic))
      n_topics++;
  if (version >= 3)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_array_count (resp, n_topics);
  i = 0;
  while (i < f->n_partitions) {
    guint end = i + 1;

    while (end < f->n_partitions && same_topic (f->partitions[end].topic,
            f->partitions[i].topic))
      end++;
    put_cstr (resp, f->partitions[i].topic, "name");
    rg_kafka_put_array_count (resp, end - i);
    for (; i < end; i++)
      put_fetch_partition (resp, version, &f->partitions[i], f->error);
    rg_kafka_put_tags (resp);
  }
  if (version >= 2)
    rg_kafka_put_int16 (resp, f->error);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_group_build_list (gint32 correlation_id, gint16 version,
    gint16 error_code, const RgGroupListing * groups, guint n_groups,
    GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_LIST_GROUPS_FIRST_FLEXIBLE, version);
  guint i;

  if (version >= 1)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_array_count (resp, n_groups);
  for (i = 0; i < n_groups; i++) {
    put_cstr (resp, groups[i].group_id, "group_id");
    put_cstr (resp, groups[i].protocol_type, "protocol_type");
    if (version >= 4)
      put_cstr (resp, rg_group_state_name (groups[i].state), "group_state");
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

static void
put_described_member (RgKafkaResponse * resp, gint16 version,
    const RgGroupMemberDescription * m)
{
  put_cstr (resp, m->member_id, "member_id");
  if (version >= 4)
    rg_kafka_put_str (resp, cstr (m->group_instance_id), TRUE,
        "group_instance_id");
  put_cstr (resp, m->client_id, "client_id");
  put_cstr (resp, m->client_host, "client_host");
  put_gbytes (resp, m->metadata, "member_metadata");
  put_gbytes (resp, m->assignment, "member_assignment");
  rg_kafka_put_tags (resp);
}

RgKafkaResponse *
rg_kafka_group_build_describe (gint32 correlation_id, gint16 version,
    const RgGroupDescription * groups, guint n_groups, GError ** error)
{
  RgKafkaResponse *resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_DESCRIBE_GROUPS_FIRST_FLEXIBLE, version);
  guint i, j;

  if (version >= 1)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_array_count (resp, n_groups);
  for (i = 0; i < n_groups; i++) {
    const RgGroupDescription *g = &groups[i];

    rg_kafka_put_int16 (resp, g->error);
    put_cstr (resp, g->group_id, "group_id");
    put_cstr (resp, rg_group_state_name (g->state), "group_state");
    put_cstr (resp, g->protocol_type, "protocol_type");
    put_cstr (resp, g->protocol, "protocol_data");
    rg_kafka_put_array_count (resp, g->n_members);
    for (j = 0; j < g->n_members; j++)
      put_described_member (resp, version, &g->members[j]);
    if (version >= 3)
      rg_kafka_put_int32 (resp, AUTHORIZED_OPERATIONS_OMITTED);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}
