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

#ifndef __RG_KAFKA_CONFIGS_H__
#define __RG_KAFKA_CONFIGS_H__

#include "kafka/rgkafka.h"
#include "kafka/rgkafkawire.h"

G_BEGIN_DECLS

/*
 * The codec of the config apis (rgkafkaconfigs.c): DescribeConfigs (32),
 * AlterConfigs (33) and IncrementalAlterConfigs (44), requests parsed and
 * responses built, no I/O; and the config entry that CreateTopics v5's
 * response shares with DescribeConfigs (kafka/rgkafkaadmin.h). The byte
 * layouts are described at the top of rgkafkaconfigs.c and in
 * docs/protocol.md; Kafka's JSON message specs are the authority.
 * Private to libgstrg: not installed, no RG_API.
 *
 * Parsers have the shape of RgKafkaBodyParseFunc (kafka/rgkafkawire.h)
 * and read every version listed below, classic and flexible alike.
 *
 * Ownership: a parsed body is allocated (transfer full, free it with its
 * free function); its strings point into the request frame, which must
 * outlive it. Builders copy what they are given.
 *
 * Errors: parsers report through the reader; builders return NULL and set
 * @error (%RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a version outside the
 * ranges below, %RG_KAFKA_ERROR_MALFORMED for a null name).
 *
 * Thread-safety: reentrant, no global state.
 */

#define RG_KAFKA_CONFIGS_API_DESCRIBE 32
#define RG_KAFKA_CONFIGS_API_ALTER 33
#define RG_KAFKA_CONFIGS_API_INCREMENTAL_ALTER 44

#define RG_KAFKA_DESCRIBE_CONFIGS_MAX_VERSION 4
#define RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE 4
#define RG_KAFKA_ALTER_CONFIGS_MAX_VERSION 2
#define RG_KAFKA_ALTER_CONFIGS_FIRST_FLEXIBLE 2
#define RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX_VERSION 1
#define RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_FIRST_FLEXIBLE 1

/* Resource types (Kafka's ConfigResource.Type). */
#define RG_KAFKA_CONFIG_RESOURCE_UNKNOWN 0
#define RG_KAFKA_CONFIG_RESOURCE_TOPIC 2
#define RG_KAFKA_CONFIG_RESOURCE_BROKER 4
#define RG_KAFKA_CONFIG_RESOURCE_BROKER_LOGGER 8

/* Where a config's value comes from (DescribeConfigs v1+ ConfigSource). */
#define RG_KAFKA_CONFIG_SOURCE_UNKNOWN 0
#define RG_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC 1
#define RG_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER 2
#define RG_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER 3
#define RG_KAFKA_CONFIG_SOURCE_STATIC_BROKER 4
#define RG_KAFKA_CONFIG_SOURCE_DEFAULT 5

/* A config's type (DescribeConfigs v3+ ConfigType). */
#define RG_KAFKA_CONFIG_TYPE_UNKNOWN 0
#define RG_KAFKA_CONFIG_TYPE_BOOLEAN 1
#define RG_KAFKA_CONFIG_TYPE_STRING 2
#define RG_KAFKA_CONFIG_TYPE_INT 3
#define RG_KAFKA_CONFIG_TYPE_LONG 5
#define RG_KAFKA_CONFIG_TYPE_DOUBLE 6
#define RG_KAFKA_CONFIG_TYPE_LIST 7
#define RG_KAFKA_CONFIG_TYPE_PASSWORD 9

/* IncrementalAlterConfigs' operations. */
#define RG_KAFKA_CONFIG_OP_SET 0
#define RG_KAFKA_CONFIG_OP_DELETE 1
#define RG_KAFKA_CONFIG_OP_APPEND 2
#define RG_KAFKA_CONFIG_OP_SUBTRACT 3

/*
 * One resource of a DescribeConfigs request.
 * @keys: (array length=n_keys): the configs asked for
 * @all_keys: the key list was null: every config
 */
typedef struct
{
  gint8 type;
  RgKafkaStr name;
  RgKafkaStr *keys;
  guint n_keys;
  gboolean all_keys;
} RgKafkaDescribeConfigsResource;

/* DescribeConfigs (32) v0-4 request. */
typedef struct
{
  RgKafkaDescribeConfigsResource *resources;
  guint n_resources;
  gboolean include_synonyms;
  gboolean include_documentation;
} RgKafkaDescribeConfigsRequest;

/*
 * One config of an AlterConfigs or IncrementalAlterConfigs resource.
 * @operation: IncrementalAlterConfigs' operation; AlterConfigs' entries
 *   say %RG_KAFKA_CONFIG_OP_SET
 * @value: nullable
 */
typedef struct
{
  RgKafkaStr name;
  gint8 operation;
  RgKafkaStr value;
} RgKafkaAlterableConfig;

/* One resource of an AlterConfigs or IncrementalAlterConfigs request. */
typedef struct
{
  gint8 type;
  RgKafkaStr name;
  RgKafkaAlterableConfig *configs;
  guint n_configs;
} RgKafkaAlterConfigsResource;

/*
 * AlterConfigs (33) v0-2 and IncrementalAlterConfigs (44) v0-1 request.
 * @incremental: parsed as IncrementalAlterConfigs (AlterConfigs replaces
 *   a resource's whole set of dynamic configs; the incremental api
 *   changes only the keys named)
 */
typedef struct
{
  RgKafkaAlterConfigsResource *resources;
  guint n_resources;
  gboolean validate_only;
  gboolean incremental;
} RgKafkaAlterConfigsRequest;

/*
 * One config as DescribeConfigs and CreateTopics v5 report it.
 * @value: (nullable): NULL for a sensitive or unset value
 * @source: an RG_KAFKA_CONFIG_SOURCE_*
 * @type: an RG_KAFKA_CONFIG_TYPE_*
 * @documentation: (nullable): sent with include_documentation (v3+)
 */
typedef struct
{
  const gchar *name;
  const gchar *value;
  gboolean read_only;
  gint8 source;
  gboolean sensitive;
  gint8 type;
  const gchar *documentation;
} RgKafkaConfigEntry;

/*
 * One resource of a DescribeConfigs response.
 * @error_message: (nullable)
 * @entries: (array length=n_entries)
 */
typedef struct
{
  gint16 error_code;
  const gchar *error_message;
  gint8 type;
  RgKafkaStr name;
  const RgKafkaConfigEntry *entries;
  guint n_entries;
} RgKafkaDescribeConfigsResult;

/* One resource of an AlterConfigs or IncrementalAlterConfigs response. */
typedef struct
{
  gint16 error_code;
  const gchar *error_message;
  gint8 type;
  RgKafkaStr name;
} RgKafkaAlterConfigsResult;

gpointer rg_kafka_parse_describe_configs (RgKafkaReader * r,
    gint16 api_version);
void rg_kafka_describe_configs_request_free (gpointer body);
gpointer rg_kafka_parse_alter_configs (RgKafkaReader * r, gint16 api_version);
gpointer rg_kafka_parse_incremental_alter_configs (RgKafkaReader * r,
    gint16 api_version);
void rg_kafka_alter_configs_request_free (gpointer body);

/* DescribeConfigs response; with @include_synonyms (v1+) each entry lists
 * itself as its one synonym, the source its value comes from. */
RgKafkaResponse *rg_kafka_build_describe_configs_response (gint32
    correlation_id, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDescribeConfigsResult * results, guint n_results,
    gboolean include_synonyms, gboolean include_documentation,
    GError ** error);

/* AlterConfigs (@incremental FALSE) or IncrementalAlterConfigs response:
 * the same fields in every version of both. */
RgKafkaResponse *rg_kafka_build_alter_configs_response (gint32
    correlation_id, gboolean incremental, gint16 api_version,
    gint32 throttle_time_ms, const RgKafkaAlterConfigsResult * results,
    guint n_results, GError ** error);

/* Writes one CreateTopics v5 CreatableTopicConfigs element: Name, Value,
 * ReadOnly, ConfigSource, IsSensitive, tags (the response must be
 * flexible). For rgkafkaadmin.c. */
void rg_kafka_put_creatable_topic_config (RgKafkaResponse * resp,
    const RgKafkaConfigEntry * entry);

G_END_DECLS

#endif /* __RG_KAFKA_CONFIGS_H__ */
