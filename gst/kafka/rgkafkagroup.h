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

#ifndef __RG_KAFKA_GROUP_H__
#define __RG_KAFKA_GROUP_H__

#include "kafka/rgkafka.h"
#include "kafka/rgkafkaoffsets.h"
#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

/*
 * The consumer-group apis of the Kafka protocol (rgkafkagroup.c):
 * FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, ListGroups and DescribeGroups, request
 * parsing and response building over the wire primitives of
 * rgkafkawire.h. Private to libgstrg (no RG_API). The byte layouts are
 * at the top of rgkafkagroup.c and in docs/protocol.md; Kafka's JSON
 * message specs are the authority.
 *
 * The request and response structs are the ones the group coordinator
 * (broker/rgbrokergroup.h) takes and fills, so that a handler passes a
 * parsed request to it and its answer to a builder without a copy.
 *
 * Parsing: each rg_kafka_group_parse_*() is an #RgKafkaBodyParseFunc for
 * rg_kafka_request_parse_other(); it returns an #RgKafkaGroupRequest
 * (freed with rg_kafka_group_request_free(), the matching free_body)
 * whose strings and bytes point into the frame. Every count is checked
 * against the bytes left before anything is allocated (the reader's
 * rule), so a request holds at most a small multiple of its frame.
 *
 * Building: each rg_kafka_group_build_*() returns a finished response
 * (transfer full), or NULL with @error when a field cannot be encoded
 * (a string over 32767 bytes in a classic version).
 *
 * Thread-safety: reentrant; nothing global.
 */

/* The api keys, with Kafka's numbers. */
#define RG_KAFKA_API_OFFSET_COMMIT 8
#define RG_KAFKA_API_OFFSET_FETCH 9
#define RG_KAFKA_API_FIND_COORDINATOR 10
#define RG_KAFKA_API_JOIN_GROUP 11
#define RG_KAFKA_API_HEARTBEAT 12
#define RG_KAFKA_API_LEAVE_GROUP 13
#define RG_KAFKA_API_SYNC_GROUP 14
#define RG_KAFKA_API_DESCRIBE_GROUPS 15
#define RG_KAFKA_API_LIST_GROUPS 16

/* The first flexible version of each, from the JSON specs. */
#define RG_KAFKA_OFFSET_COMMIT_FIRST_FLEXIBLE 8
#define RG_KAFKA_OFFSET_FETCH_FIRST_FLEXIBLE 6
#define RG_KAFKA_FIND_COORDINATOR_FIRST_FLEXIBLE 3
#define RG_KAFKA_JOIN_GROUP_FIRST_FLEXIBLE 6
#define RG_KAFKA_HEARTBEAT_FIRST_FLEXIBLE 4
#define RG_KAFKA_LEAVE_GROUP_FIRST_FLEXIBLE 4
#define RG_KAFKA_SYNC_GROUP_FIRST_FLEXIBLE 4
#define RG_KAFKA_DESCRIBE_GROUPS_FIRST_FLEXIBLE 5
#define RG_KAFKA_LIST_GROUPS_FIRST_FLEXIBLE 3

/**
 * RgGroupError:
 *
 * The Kafka error codes the group APIs answer, with Kafka's numbers
 * (Errors.java). They belong with RgKafkaErrorCode once the codec grows
 * the group APIs.
 */
typedef enum
{
  RG_GROUP_ERR_UNKNOWN_SERVER_ERROR = -1,
  RG_GROUP_ERR_NONE = 0,
  RG_GROUP_ERR_OFFSET_METADATA_TOO_LARGE = 12,
  RG_GROUP_ERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
  RG_GROUP_ERR_COORDINATOR_NOT_AVAILABLE = 15,
  RG_GROUP_ERR_ILLEGAL_GENERATION = 22,
  RG_GROUP_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
  RG_GROUP_ERR_INVALID_GROUP_ID = 24,
  RG_GROUP_ERR_UNKNOWN_MEMBER_ID = 25,
  RG_GROUP_ERR_INVALID_SESSION_TIMEOUT = 26,
  RG_GROUP_ERR_REBALANCE_IN_PROGRESS = 27,
  RG_GROUP_ERR_GROUP_AUTHORIZATION_FAILED = 30,
  RG_GROUP_ERR_NON_EMPTY_GROUP = 68,
  RG_GROUP_ERR_GROUP_ID_NOT_FOUND = 69,
  RG_GROUP_ERR_MEMBER_ID_REQUIRED = 79,
  RG_GROUP_ERR_GROUP_MAX_SIZE_REACHED = 81,
  RG_GROUP_ERR_FENCED_INSTANCE_ID = 82,
  RG_GROUP_ERR_GROUP_SUBSCRIBED_TO_TOPIC = 86,
} RgGroupError;

/**
 * RgGroupState:
 *
 * A group's state, as Kafka's GroupMetadata names it (DescribeGroups and
 * ListGroups answer these names, rg_group_state_name()).
 */
typedef enum
{
  RG_GROUP_EMPTY,
  RG_GROUP_PREPARING_REBALANCE,
  RG_GROUP_COMPLETING_REBALANCE,
  RG_GROUP_STABLE,
  RG_GROUP_DEAD,
} RgGroupState;

const gchar *rg_group_state_name (RgGroupState state);

/* ---- JoinGroup ---- */

typedef struct
{
  RgKafkaStr name;
  RgKafkaBytes metadata;
} RgGroupProtocol;

/**
 * RgGroupJoinRequest:
 * @version: the JoinGroup version; from 4 a new member first gets
 *   MEMBER_ID_REQUIRED and its id (KIP-394)
 * @group_id: the group
 * @session_timeout_ms: the member's session timeout
 * @rebalance_timeout_ms: v1+; -1 for v0 (then the session timeout)
 * @member_id: "" (or null) for a new member
 * @group_instance_id: v5+ static membership (KIP-345), null if dynamic
 * @protocol_type: "consumer" for Kafka consumers
 * @protocols: (array length=n_protocols): the assignors the member
 *   supports, most preferred first, with their metadata
 * @client_id: from the request header
 * @client_host: the peer address, as DescribeGroups shows it
 */
typedef struct
{
  gint16 version;
  RgKafkaStr group_id;
  gint32 session_timeout_ms;
  gint32 rebalance_timeout_ms;
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
  RgKafkaStr protocol_type;
  const RgGroupProtocol *protocols;
  guint n_protocols;
  RgKafkaStr client_id;
  RgKafkaStr client_host;
} RgGroupJoinRequest;

typedef struct
{
  const gchar *member_id;
  const gchar *group_instance_id;
  GBytes *metadata;
} RgGroupJoinMember;

/**
 * RgGroupJoinResponse:
 * @members: (array length=n_members): every member with its metadata for
 *   the chosen protocol, for the leader only (empty for the others)
 *
 * JoinGroup's answer. On error only @error and @member_id are meaningful
 * (@member_id carries the assigned id with MEMBER_ID_REQUIRED);
 * @generation_id is -1.
 */
typedef struct
{
  gint16 error;
  gint32 generation_id;
  const gchar *protocol_type;
  const gchar *protocol_name;
  const gchar *leader;
  const gchar *member_id;
  const RgGroupJoinMember *members;
  guint n_members;
} RgGroupJoinResponse;

/* ---- SyncGroup ---- */

typedef struct
{
  RgKafkaStr member_id;
  RgKafkaBytes assignment;
} RgGroupAssignment;

/**
 * RgGroupSyncRequest:
 * @protocol_type: v5+, null if not sent
 * @protocol_name: v5+, null if not sent
 * @assignments: (array length=n_assignments): the leader's assignment,
 *   opaque bytes per member; empty from followers
 */
typedef struct
{
  RgKafkaStr group_id;
  gint32 generation_id;
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
  RgKafkaStr protocol_type;
  RgKafkaStr protocol_name;
  const RgGroupAssignment *assignments;
  guint n_assignments;
} RgGroupSyncRequest;

typedef struct
{
  gint16 error;
  const gchar *protocol_type;
  const gchar *protocol_name;
  GBytes *assignment;           /* never NULL; empty on error */
} RgGroupSyncResponse;

/* ---- Heartbeat ---- */

typedef struct
{
  RgKafkaStr group_id;
  gint32 generation_id;
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
} RgGroupHeartbeatRequest;

/* ---- LeaveGroup ---- */

typedef struct
{
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
} RgGroupLeavingMember;

/**
 * RgGroupLeaveRequest:
 * @version: v0-2 carry one member id; v3+ a batch of members, each
 *   answered on its own (KIP-345)
 * @member_id: v0-2
 * @members: (array length=n_members): v3+
 */
typedef struct
{
  gint16 version;
  RgKafkaStr group_id;
  RgKafkaStr member_id;
  const RgGroupLeavingMember *members;
  guint n_members;
} RgGroupLeaveRequest;

/**
 * RgGroupLeaveResponse:
 * @error: the top-level error; for v0-2 the one member's error
 * @member_errors: (array length=n_members): v3+, one per request member
 */
typedef struct
{
  gint16 error;
  const gint16 *member_errors;
  guint n_members;
} RgGroupLeaveResponse;

/* ---- OffsetCommit ---- */

/**
 * RgGroupCommitPartition:
 * @leader_epoch: v6+, -1 if not sent
 * @metadata: null is stored as ""
 * @commit_timestamp: v1 only, -1 for "now"
 */
typedef struct
{
  RgKafkaStr topic;
  gint32 partition;
  gint64 offset;
  gint32 leader_epoch;
  RgKafkaStr metadata;
  gint64 commit_timestamp;
} RgGroupCommitPartition;

/**
 * RgGroupCommitRequest:
 * @generation_id: -1 for a "simple" commit outside any group protocol
 *   (allowed only while the group is Empty)
 * @retention_ms: v2-4, -1 for the broker default (no expiry recorded)
 * @partitions: (array length=n_partitions): the topics' partitions,
 *   flattened in request order
 * @errors: (array length=n_partitions) (out caller-allocates): one error
 *   per partition, filled by the call
 */
typedef struct
{
  RgKafkaStr group_id;
  gint32 generation_id;
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
  gint64 retention_ms;
  const RgGroupCommitPartition *partitions;
  guint n_partitions;
  gint16 *errors;
} RgGroupCommitRequest;

/* ---- OffsetFetch ---- */

typedef struct
{
  RgKafkaStr topic;
  gint32 partition;
} RgGroupTopicPartition;

/**
 * RgGroupFetchRequest:
 * @all: v2+ null topic array: every committed offset of the group
 * @partitions: (array length=n_partitions): otherwise, these
 */
typedef struct
{
  RgKafkaStr group_id;
  gboolean all;
  const RgGroupTopicPartition *partitions;
  guint n_partitions;
} RgGroupFetchRequest;

/**
 * RgGroupFetchPartition:
 * @offset: -1 if nothing was committed
 * @metadata: "" if nothing was committed
 */
typedef struct
{
  const gchar *topic;
  gint32 partition;
  gint64 offset;
  gint32 leader_epoch;
  const gchar *metadata;
  gint16 error;
} RgGroupFetchPartition;

typedef struct
{
  gint16 error;
  const RgGroupFetchPartition *partitions;
  guint n_partitions;
} RgGroupFetchResponse;

/* ---- ListGroups, DescribeGroups, DeleteGroups ---- */

typedef struct
{
  const gchar *group_id;
  const gchar *protocol_type;
  RgGroupState state;
} RgGroupListing;

typedef struct
{
  const gchar *member_id;
  const gchar *group_instance_id;
  const gchar *client_id;
  const gchar *client_host;
  GBytes *metadata;             /* empty unless the group is Stable */
  GBytes *assignment;           /* empty unless the group is Stable */
} RgGroupMemberDescription;

/**
 * RgGroupDescription:
 * @protocol: the chosen protocol while Stable, "" otherwise (as Kafka)
 *
 * An unknown group is described as Dead with no error, as Kafka does.
 */
typedef struct
{
  gint16 error;
  const gchar *group_id;
  RgGroupState state;
  const gchar *protocol_type;
  const gchar *protocol;
  const RgGroupMemberDescription *members;
  guint n_members;
} RgGroupDescription;

/* rg_group_state_from_name: the state Kafka names @name (ListGroups v4
 * filters), FALSE for a name that is none of them. */
gboolean rg_group_state_from_name (RgKafkaStr name, RgGroupState * state);

/* ---- FindCoordinator ---- */

/**
 * RgGroupFindCoordinatorRequest:
 * @key: the group id (or transactional id)
 * @key_type: v1+: 0 group, 1 transaction; 0 for v0
 */
typedef struct
{
  RgKafkaStr key;
  gint8 key_type;
} RgGroupFindCoordinatorRequest;

typedef struct
{
  gint16 error;
  gint32 node_id;
  const gchar *host;
  gint32 port;
} RgGroupFindCoordinatorResponse;

/* ---- ListGroups, DescribeGroups requests ---- */

/**
 * RgGroupListRequest:
 * @states: (array length=n_states): v4+ filter, empty for all
 * @unknown_state: a filter named a state that does not exist (nothing
 *   matches it)
 */
typedef struct
{
  RgGroupState *states;
  guint n_states;
  gboolean unknown_state;
} RgGroupListRequest;

typedef struct
{
  RgKafkaStr *groups;
  guint n_groups;
} RgGroupDescribeRequest;

/**
 * RgKafkaGroupRequest:
 * @api_key: which member of the union is set
 * @version: the request's api version
 * @waiter: (nullable): the broker's state for a parked request, freed
 *   with @waiter_free when the request is (the codec never reads it)
 * @waiter_free: (nullable): frees @waiter
 *
 * A parsed group request: the body of an #RgKafkaRequest made by
 * rg_kafka_request_parse_other(). Arrays are owned by it; strings and
 * bytes point into the frame.
 */
typedef struct
{
  gint16 api_key;
  gint16 version;
  gpointer waiter;
  GDestroyNotify waiter_free;
  union
  {
    RgGroupFindCoordinatorRequest find_coordinator;
    RgGroupJoinRequest join;
    RgGroupSyncRequest sync;
    RgGroupHeartbeatRequest heartbeat;
    RgGroupLeaveRequest leave;
    RgGroupCommitRequest commit;
    RgGroupFetchRequest fetch;
    RgGroupListRequest list;
    RgGroupDescribeRequest describe;
  } u;
} RgKafkaGroupRequest;

/* Frees @request's arrays, its waiter and itself (GDestroyNotify). */
void rg_kafka_group_request_free (gpointer request);

/* The parsers: one #RgKafkaBodyParseFunc per api. */
gpointer rg_kafka_group_parse_find_coordinator (RgKafkaReader * r,
    gint16 version);
gpointer rg_kafka_group_parse_join (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_sync (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_heartbeat (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_leave (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_commit (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_fetch (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_list (RgKafkaReader * r, gint16 version);
gpointer rg_kafka_group_parse_describe (RgKafkaReader * r, gint16 version);

/* The builders. @first_flexible and @version select the encoding. */
RgKafkaResponse *rg_kafka_group_build_find_coordinator (gint32
    correlation_id, gint16 version,
    const RgGroupFindCoordinatorResponse * resp, GError ** error);
RgKafkaResponse *rg_kafka_group_build_join (gint32 correlation_id,
    gint16 version, const RgGroupJoinResponse * resp, GError ** error);
RgKafkaResponse *rg_kafka_group_build_sync (gint32 correlation_id,
    gint16 version, const RgGroupSyncResponse * resp, GError ** error);
RgKafkaResponse *rg_kafka_group_build_heartbeat (gint32 correlation_id,
    gint16 version, gint16 error_code, GError ** error);
/* @req: the request, whose members v3+ answers name. */
RgKafkaResponse *rg_kafka_group_build_leave (gint32 correlation_id,
    gint16 version, const RgGroupLeaveRequest * req,
    const RgGroupLeaveResponse * resp, GError ** error);
/* One error per partition of @req (its @errors), topics regrouped as the
 * request listed them. */
RgKafkaResponse *rg_kafka_group_build_commit (gint32 correlation_id,
    gint16 version, const RgGroupCommitRequest * req, GError ** error);
RgKafkaResponse *rg_kafka_group_build_fetch (gint32 correlation_id,
    gint16 version, const RgGroupFetchResponse * resp, GError ** error);
RgKafkaResponse *rg_kafka_group_build_list (gint32 correlation_id,
    gint16 version, gint16 error_code, const RgGroupListing * groups,
    guint n_groups, GError ** error);
RgKafkaResponse *rg_kafka_group_build_describe (gint32 correlation_id,
    gint16 version, const RgGroupDescription * groups, guint n_groups,
    GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_GROUP_H__ */
