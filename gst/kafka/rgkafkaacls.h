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

#ifndef __RG_KAFKA_ACLS_H__
#define __RG_KAFKA_ACLS_H__

#include "kafka/rgkafka.h"
#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

/*
 * The codec of the ACL administration apis (rgkafkaacls.c):
 * DescribeAcls (29), CreateAcls (30) and DeleteAcls (31), requests parsed
 * and responses built, no I/O. The byte layouts are described at the top
 * of rgkafkaacls.c and in docs/protocol.md; Kafka's JSON message specs
 * are the authority. Private to libgstrg: not installed, no RG_API.
 *
 * Parsers have the shape of RgKafkaBodyParseFunc (kafka/rgkafkawire.h)
 * and read every version listed below, classic and flexible alike. A
 * version without a pattern type field (v0) reads as LITERAL, as Kafka
 * reads it.
 *
 * Ownership: a parsed body is allocated (transfer full, free it with its
 * free function); its strings point into the request frame, which must
 * outlive it. Builders copy what they are given.
 *
 * Errors: parsers report through the reader (truncated, malformed);
 * builders return NULL and set @error (%RG_KAFKA_ERROR_UNSUPPORTED_VERSION
 * for a version outside the ranges below, %RG_KAFKA_ERROR_MALFORMED for a
 * null where the spec has none).
 *
 * Thread-safety: reentrant, no global state.
 */

/* The api keys (not in RgKafkaApiKey, which lists the core apis). */
#define RG_KAFKA_ACLS_API_DESCRIBE 29
#define RG_KAFKA_ACLS_API_CREATE 30
#define RG_KAFKA_ACLS_API_DELETE 31

/* The versions this codec parses and builds (the same for the three
 * apis), and the first flexible one. */
#define RG_KAFKA_ACLS_MAX_VERSION 3
#define RG_KAFKA_ACLS_FIRST_FLEXIBLE 2

/* Error codes of these apis. */
#define RG_KAFKA_ACLS_CLUSTER_AUTHORIZATION_FAILED 31
#define RG_KAFKA_ACLS_INVALID_REQUEST 42
#define RG_KAFKA_ACLS_SECURITY_DISABLED 54

/* Kafka's resource types (ResourceType.java), as int8 on the wire. */
typedef enum
{
  RG_KAFKA_RESOURCE_UNKNOWN = 0,
  RG_KAFKA_RESOURCE_ANY = 1,
  RG_KAFKA_RESOURCE_TOPIC = 2,
  RG_KAFKA_RESOURCE_GROUP = 3,
  RG_KAFKA_RESOURCE_CLUSTER = 4,
  RG_KAFKA_RESOURCE_TRANSACTIONAL_ID = 5,
  RG_KAFKA_RESOURCE_DELEGATION_TOKEN = 6,
  RG_KAFKA_RESOURCE_USER = 7,
} RgKafkaResourceType;

/* Kafka's pattern types (PatternType.java). ANY and MATCH are for
 * filters only. */
typedef enum
{
  RG_KAFKA_PATTERN_UNKNOWN = 0,
  RG_KAFKA_PATTERN_ANY = 1,
  RG_KAFKA_PATTERN_MATCH = 2,
  RG_KAFKA_PATTERN_LITERAL = 3,
  RG_KAFKA_PATTERN_PREFIXED = 4,
} RgKafkaPatternType;

/* Kafka's ACL operations (AclOperation.java). ANY is for filters only. */
typedef enum
{
  RG_KAFKA_ACL_OP_UNKNOWN = 0,
  RG_KAFKA_ACL_OP_ANY = 1,
  RG_KAFKA_ACL_OP_ALL = 2,
  RG_KAFKA_ACL_OP_READ = 3,
  RG_KAFKA_ACL_OP_WRITE = 4,
  RG_KAFKA_ACL_OP_CREATE = 5,
  RG_KAFKA_ACL_OP_DELETE = 6,
  RG_KAFKA_ACL_OP_ALTER = 7,
  RG_KAFKA_ACL_OP_DESCRIBE = 8,
  RG_KAFKA_ACL_OP_CLUSTER_ACTION = 9,
  RG_KAFKA_ACL_OP_DESCRIBE_CONFIGS = 10,
  RG_KAFKA_ACL_OP_ALTER_CONFIGS = 11,
  RG_KAFKA_ACL_OP_IDEMPOTENT_WRITE = 12,
  RG_KAFKA_ACL_OP_CREATE_TOKENS = 13,
  RG_KAFKA_ACL_OP_DESCRIBE_TOKENS = 14,
} RgKafkaAclOperation;

/* Kafka's permission types (AclPermissionType.java). ANY is for filters
 * only. */
typedef enum
{
  RG_KAFKA_ACL_PERMISSION_UNKNOWN = 0,
  RG_KAFKA_ACL_PERMISSION_ANY = 1,
  RG_KAFKA_ACL_PERMISSION_DENY = 2,
  RG_KAFKA_ACL_PERMISSION_ALLOW = 3,
} RgKafkaAclPermission;

/*
 * RgKafkaAclBinding:
 * @resource_type: an #RgKafkaResourceType
 * @resource_name: the resource's name (a filter's may be null: any)
 * @pattern_type: an #RgKafkaPatternType
 * @principal: "User:<name>" (a filter's may be null: any)
 * @host: "*" or an address (a filter's may be null: any)
 * @operation: an #RgKafkaAclOperation
 * @permission: an #RgKafkaAclPermission
 * @error_code: in a DeleteAcls response only: this binding's error
 * @error_message: (nullable): ditto
 *
 * One ACL (a creation, a described or deleted binding) or one filter
 * (DescribeAcls, DeleteAcls): the same fields on the wire.
 */
typedef struct
{
  gint8 resource_type;
  RgKafkaStr resource_name;
  gint8 pattern_type;
  RgKafkaStr principal;
  RgKafkaStr host;
  gint8 operation;
  gint8 permission;
  gint16 error_code;
  RgKafkaStr error_message;
} RgKafkaAclBinding;

/* CreateAcls request (the creations) and DeleteAcls request (the
 * filters). */
typedef struct
{
  RgKafkaAclBinding *bindings;
  guint n_bindings;
} RgKafkaAclBindings;

/* One result of CreateAcls (@error_message nullable). */
typedef struct
{
  gint16 error_code;
  RgKafkaStr error_message;
} RgKafkaAclResult;

/* One filter's result of DeleteAcls: its error and the bindings it
 * deleted. */
typedef struct
{
  gint16 error_code;
  RgKafkaStr error_message;
  const RgKafkaAclBinding *matching;
  guint n_matching;
} RgKafkaAclFilterResult;

/* Body parsers for rg_kafka_request_parse_other(), and their frees:
 * DescribeAcls returns an #RgKafkaAclBinding (the filter, g_free() it),
 * CreateAcls and DeleteAcls an #RgKafkaAclBindings. */
gpointer rg_kafka_parse_describe_acls (RgKafkaReader * r, gint16 api_version);
gpointer rg_kafka_parse_create_acls (RgKafkaReader * r, gint16 api_version);
gpointer rg_kafka_parse_delete_acls (RgKafkaReader * r, gint16 api_version);
void rg_kafka_acl_bindings_free (gpointer body);

/* DescribeAcls response: the bindings are grouped by resource (type, name,
 * pattern) as the response nests them; a v0 response carries no pattern
 * type, so it must hold LITERAL bindings only (MALFORMED otherwise). */
RgKafkaResponse *rg_kafka_build_describe_acls_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    gint16 error_code, RgKafkaStr error_message,
    const RgKafkaAclBinding * bindings, guint n_bindings, GError ** error);

RgKafkaResponse *rg_kafka_build_create_acls_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaAclResult * results, guint n_results, GError ** error);

RgKafkaResponse *rg_kafka_build_delete_acls_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaAclFilterResult * results, guint n_results,
    GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_ACLS_H__ */
