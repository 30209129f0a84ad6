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
 * The codec of DescribeAcls, CreateAcls and DeleteAcls (contract in
 * rgkafkaacls.h). Kafka's JSON message specs are the authority; the
 * layouts, with [vN+] for fields present from version N. The three apis
 * have versions 0-3 and are flexible from v2 (compact strings and arrays,
 * a tag section ending every struct); v1 added the pattern types
 * (KIP-290, prefixed ACLs), v3 changed nothing on the wire (it marks
 * brokers that answer CreateAcls with the user principal type checked).
 *
 * A binding or filter, as it appears in each request:
 *   int8 ResourceType, [NULLABLE_]STRING ResourceName,
 *   [v1+ int8 PatternType], [NULLABLE_]STRING Principal,
 *   [NULLABLE_]STRING Host, int8 Operation, int8 PermissionType
 * (the names nullable in filters only; v0 reads as pattern LITERAL).
 *
 * DescribeAcls (29):
 *   request  one filter, as above
 *   response int32 ThrottleTimeMs, int16 ErrorCode, NULLABLE_STRING
 *            ErrorMessage, ARRAY Resources {int8 ResourceType, STRING
 *            ResourceName, [v1+ int8 PatternType], ARRAY Acls {STRING
 *            Principal, STRING Host, int8 Operation, int8 PermissionType}}
 *
 * CreateAcls (30):
 *   request  ARRAY Creations {a binding}
 *   response int32 ThrottleTimeMs, ARRAY Results {int16 ErrorCode,
 *            NULLABLE_STRING ErrorMessage}, one per creation, in order
 *
 * DeleteAcls (31):
 *   request  ARRAY Filters {a filter}
 *   response int32 ThrottleTimeMs, ARRAY FilterResults {int16 ErrorCode,
 *            NULLABLE_STRING ErrorMessage, ARRAY MatchingAcls {int16
 *            ErrorCode, NULLABLE_STRING ErrorMessage, int8 ResourceType,
 *            STRING ResourceName, [v1+ int8 PatternType], STRING
 *            Principal, STRING Host, int8 Operation, int8
 *            PermissionType}}, one per filter, in order
 *
 * Bounds: array counts are checked against the smallest encoding of one
 * binding, so an absurd count fails before anything is allocated. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkaacls.h"

#include <string.h>

/* The smallest binding: four int8s and three strings of at least one
 * byte (compact) and a tag byte. */
#define BINDING_MIN_SIZE 8

static void
read_binding (RgKafkaReader * r, gint16 api_version, gboolean filter,
    RgKafkaAclBinding * b)
{
  b->resource_type = rg_kafka_read_int8 (r, "ResourceType");
  b->resource_name = rg_kafka_read_str (r, filter, "ResourceName");
  b->pattern_type = api_version >= 1 ?
      rg_kafka_read_int8 (r, "PatternType") : RG_KAFKA_PATTERN_LITERAL;
  b->principal = rg_kafka_read_str (r, filter, "Principal");
  b->host = rg_kafka_read_str (r, filter, "Host");
  b->operation = rg_kafka_read_int8 (r, "Operation");
  b->permission = rg_kafka_read_int8 (r, "PermissionType");
  b->error_message = RG_KAFKA_STR_NULL;
}

gpointer
rg_kafka_parse_describe_acls (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaAclBinding *filter = g_new0 (RgKafkaAclBinding, 1);

  read_binding (r, api_version, TRUE, filter);
  rg_kafka_read_tags (r);
  return filter;
}

static gpointer
parse_bindings (RgKafkaReader * r, gint16 api_version, gboolean filter,
    const gchar * field)
{
  RgKafkaAclBindings *req = g_new0 (RgKafkaAclBindings, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, BINDING_MIN_SIZE, field);
  req->bindings = g_new0 (RgKafkaAclBinding, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_bindings++) {
    read_binding (r, api_version, filter, &req->bindings[i]);
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_parse_create_acls (RgKafkaReader * r, gint16 api_version)
{
  return parse_bindings (r, api_version, FALSE, "Creations");
}

gpointer
rg_kafka_parse_delete_acls (RgKafkaReader * r, gint16 api_version)
{
  return parse_bindings (r, api_version, TRUE, "Filters");
}

void
rg_kafka_acl_bindings_free (gpointer body)
{
  RgKafkaAclBindings *req = body;

  if (!req)
    return;
  g_free (req->bindings);
  g_free (req);
}

static gboolean
same_str (RgKafkaStr a, RgKafkaStr b)
{
  return a.len == b.len && (a.len <= 0 || memcmp (a.data, b.data,
          a.len) == 0);
}

static gboolean
same_resource (const RgKafkaAclBinding * a, const RgKafkaAclBinding * b)
{
  return a->resource_type == b->resource_type
      && a->pattern_type == b->pattern_type
      && same_str (a->resource_name, b->resource_name);
}

/* Whether an earlier binding than @i has @i's resource (then @i was
 * written with it). */
static gboolean
resource_seen (const RgKafkaAclBinding * bindings, guint i)
{
  guint j;

  for (j = 0; j < i; j++)
    if (same_resource (&bindings[j], &bindings[i]))
      return TRUE;
  return FALSE;
}

static void
put_resource (RgKafkaResponse * resp, gint16 api_version,
    const RgKafkaAclBinding * bindings, guint n, guint first)
{
  const RgKafkaAclBinding *res = &bindings[first];
  guint i, count = 0;

  if (api_version == 0 && res->pattern_type != RG_KAFKA_PATTERN_LITERAL)
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_MALFORMED,
        "DescribeAcls v0 cannot carry a non-literal pattern");
  rg_kafka_put_int8 (resp, res->resource_type);
  rg_kafka_put_str (resp, res->resource_name, FALSE, "ResourceName");
  if (api_version >= 1)
    rg_kafka_put_int8 (resp, res->pattern_type);
  for (i = first; i < n; i++)
    count += same_resource (&bindings[i], res);
  rg_kafka_put_array_count (resp, count);
  for (i = first; i < n; i++) {
    if (!same_resource (&bindings[i], res))
      continue;
    rg_kafka_put_str (resp, bindings[i].principal, FALSE, "Principal");
    rg_kafka_put_str (resp, bindings[i].host, FALSE, "Host");
    rg_kafka_put_int8 (resp, bindings[i].operation);
    rg_kafka_put_int8 (resp, bindings[i].permission);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
}

RgKafkaResponse *
rg_kafka_build_describe_acls_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms, gint16 error_code,
    RgKafkaStr error_message, const RgKafkaAclBinding * bindings,
    guint n_bindings, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, resources = 0;

  if (!rg_kafka_check_build_version ("DescribeAcls", api_version,
          RG_KAFKA_ACLS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_ACLS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_int16 (resp, error_code);
  rg_kafka_put_str (resp, error_message, TRUE, "ErrorMessage");
  for (i = 0; i < n_bindings; i++)
    resources += !resource_seen (bindings, i);
  rg_kafka_put_array_count (resp, resources);
  for (i = 0; i < n_bindings; i++)
    if (!resource_seen (bindings, i))
      put_resource (resp, api_version, bindings, n_bindings, i);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_build_create_acls_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaAclResult * results, guint n_results, GError ** error)
{
  RgKafkaResponse *resp;
  guint i;

  if (!rg_kafka_check_build_version ("CreateAcls", api_version,
          RG_KAFKA_ACLS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_ACLS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_results);
  for (i = 0; i < n_results; i++) {
    rg_kafka_put_int16 (resp, results[i].error_code);
    rg_kafka_put_str (resp, results[i].error_message, TRUE, "ErrorMessage");
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

static void
put_matching (RgKafkaResponse * resp, gint16 api_version,
    const RgKafkaAclBinding * b)
{
  if (api_version == 0 && b->pattern_type != RG_KAFKA_PATTERN_LITERAL)
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_MALFORMED,
        "DeleteAcls v0 cannot carry a non-literal pattern");
  rg_kafka_put_int16 (resp, b->error_code);
  rg_kafka_put_str (resp, b->error_message, TRUE, "ErrorMessage");
  rg_kafka_put_int8 (resp, b->resource_type);
  rg_kafka_put_str (resp, b->resource_name, FALSE, "ResourceName");
  if (api_version >= 1)
    rg_kafka_put_int8 (resp, b->pattern_type);
  rg_kafka_put_str (resp, b->principal, FALSE, "Principal");
  rg_kafka_put_str (resp, b->host, FALSE, "Host");
  rg_kafka_put_int8 (resp, b->operation);
  rg_kafka_put_int8 (resp, b->permission);
  rg_kafka_put_tags (resp);
}

RgKafkaResponse *
rg_kafka_build_delete_acls_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaAclFilterResult * results, guint n_results, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  if (!rg_kafka_check_build_version ("DeleteAcls", api_version,
          RG_KAFKA_ACLS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_ACLS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_results);
  for (i = 0; i < n_results; i++) {
    rg_kafka_put_int16 (resp, results[i].error_code);
    rg_kafka_put_str (resp, results[i].error_message, TRUE, "ErrorMessage");
    rg_kafka_put_array_count (resp, results[i].n_matching);
    for (j = 0; j < results[i].n_matching; j++)
      put_matching (resp, api_version, &results[i].matching[j]);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}
