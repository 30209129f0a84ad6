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
 * The codec of DescribeConfigs, AlterConfigs and IncrementalAlterConfigs
 * (contract in rgkafkaconfigs.h). Kafka's JSON message specs are the
 * authority; the layouts, with [vN+] for fields present from version N
 * and [vN] for fields of version N only. In flexible versions strings and
 * arrays are compact and every struct ends with a tag section
 * (rgkafkawire.c switches on the reader's or response's flexible flag).
 *
 * DescribeConfigs (32), v0-4, flexible from v4 (v2 changes nothing on the
 * wire):
 *   request  ARRAY Resources {int8 ResourceType, STRING ResourceName,
 *            NULLABLE ARRAY STRING ConfigurationKeys (null: all)},
 *            [v1+ bool IncludeSynonyms], [v3+ bool IncludeDocumentation]
 *   response int32 ThrottleTimeMs, ARRAY Results {int16 ErrorCode,
 *            NULLABLE_STRING ErrorMessage, int8 ResourceType, STRING
 *            ResourceName, ARRAY Configs {STRING Name, NULLABLE_STRING
 *            Value, bool ReadOnly, [v0 bool IsDefault], [v1+ int8
 *            ConfigSource], bool IsSensitive, [v1+ ARRAY Synonyms {STRING
 *            Name, NULLABLE_STRING Value, int8 Source}], [v3+ int8
 *            ConfigType, NULLABLE_STRING Documentation]}}
 *
 * AlterConfigs (33), v0-2, flexible from v2:
 *   request  ARRAY Resources {int8 ResourceType, STRING ResourceName,
 *            ARRAY Configs {STRING Name, NULLABLE_STRING Value}},
 *            bool ValidateOnly
 *   response int32 ThrottleTimeMs, ARRAY Responses {int16 ErrorCode,
 *            NULLABLE_STRING ErrorMessage, int8 ResourceType, STRING
 *            ResourceName}
 *
 * IncrementalAlterConfigs (44), v0-1, flexible from v1:
 *   request  as AlterConfigs, each config {STRING Name, int8
 *            ConfigOperation (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT),
 *            NULLABLE_STRING Value}
 *   response as AlterConfigs
 *
 * CreateTopics v5's response lists the created topic's configs as
 * {COMPACT_STRING Name, COMPACT_NULLABLE_STRING Value, bool ReadOnly,
 * int8 ConfigSource, bool IsSensitive, tags}: written here
 * (rg_kafka_put_creatable_topic_config()) so that both apis report a
 * config the same way.
 *
 * Bounds: array counts are checked against the smallest encoding of one
 * element before anything is allocated.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "kafka/rgkafkaconfigs.h"

/* Smallest encodings: a resource is a type byte, a name and an array
 * count (and a tag section when flexible); a config of an alter request a
 * name and a value (and an operation byte, a tag section). */
#define RESOURCE_MIN_SIZE(flexible) ((flexible) ? 4 : 7)
#define ALTER_CONFIG_MIN_SIZE(flexible, incremental) \
  (((flexible) ? 3 : 4) + ((incremental) ? 1 : 0))

/* ---- DescribeConfigs ---- */

static void
parse_describe_resource (RgKafkaReader * r,
    RgKafkaDescribeConfigsResource * res)
{
  gint32 i, n;

  res->type = rg_kafka_read_int8 (r, "ResourceType");
  res->name = rg_kafka_read_str (r, FALSE, "ResourceName");
  n = rg_kafka_read_array_count (r, TRUE, r->flexible ? 1 : 2,
      "ConfigurationKeys");
  res->all_keys = n < 0;
  res->keys = g_new0 (RgKafkaStr, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, res->n_keys++)
    res->keys[i] = rg_kafka_read_str (r, FALSE, "ConfigurationKey");
  rg_kafka_read_tags (r);
}

gpointer
rg_kafka_parse_describe_configs (RgKafkaReader * r, gint16 api_version)
{
  RgKafkaDescribeConfigsRequest *req =
      g_new0 (RgKafkaDescribeConfigsRequest, 1);
  gint32 i, n;

  n = rg_kafka_read_array_count (r, FALSE, RESOURCE_MIN_SIZE (r->flexible),
      "Resources");
  req->resources = g_new0 (RgKafkaDescribeConfigsResource, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_resources++)
    parse_describe_resource (r, &req->resources[i]);
  if (api_version >= 1)
    req->include_synonyms = rg_kafka_read_int8 (r, "IncludeSynonyms") != 0;
  if (api_version >= 3)
    req->include_documentation =
        rg_kafka_read_int8 (r, "IncludeDocumentation") != 0;
  rg_kafka_read_tags (r);
  return req;
}

void
rg_kafka_describe_configs_request_free (gpointer body)
{
  RgKafkaDescribeConfigsRequest *req = body;
  guint i;

  if (!req)
    return;
  /* Resources past n_resources were never filled: zeroed, NULL keys. */
  for (i = 0; i < req->n_resources; i++)
    g_free (req->resources[i].keys);
  g_free (req->resources);
  g_free (req);
}

static void
put_cstr (RgKafkaResponse * resp, const gchar * s, gboolean nullable,
    const gchar * field)
{
  rg_kafka_put_str (resp, s ? rg_kafka_str_from_cstr (s) : RG_KAFKA_STR_NULL,
      nullable, field);
}

static void
put_describe_entry (RgKafkaResponse * resp, gint16 version,
    const RgKafkaConfigEntry * e, gboolean include_synonyms,
    gboolean include_documentation)
{
  put_cstr (resp, e->name, FALSE, "Name");
  put_cstr (resp, e->value, TRUE, "Value");
  rg_kafka_put_int8 (resp, e->read_only);
  if (version == 0)
    rg_kafka_put_int8 (resp, e->source == RG_KAFKA_CONFIG_SOURCE_DEFAULT);
  else
    rg_kafka_put_int8 (resp, e->source);
  rg_kafka_put_int8 (resp, e->sensitive);
  if (version >= 1) {
    /* The synonyms, highest precedence first: only the source in force
     * is known here, so it is the one synonym. */
    rg_kafka_put_array_count (resp, include_synonyms ? 1 : 0);
    if (include_synonyms) {
      put_cstr (resp, e->name, FALSE, "SynonymName");
      put_cstr (resp, e->value, TRUE, "SynonymValue");
      rg_kafka_put_int8 (resp, e->source);
      rg_kafka_put_tags (resp);
    }
  }
  if (version >= 3) {
    rg_kafka_put_int8 (resp, e->type);
    put_cstr (resp, include_documentation ? e->documentation : NULL, TRUE,
        "Documentation");
  }
  rg_kafka_put_tags (resp);
}

RgKafkaResponse *
rg_kafka_build_describe_configs_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaDescribeConfigsResult * results, guint n_results,
    gboolean include_synonyms, gboolean include_documentation,
    GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  if (!rg_kafka_check_build_version ("DescribeConfigs", api_version,
          RG_KAFKA_DESCRIBE_CONFIGS_MAX_VERSION, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id,
      RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_results);
  for (i = 0; i < n_results; i++) {
    const RgKafkaDescribeConfigsResult *res = &results[i];

    rg_kafka_put_int16 (resp, res->error_code);
    put_cstr (resp, res->error_message, TRUE, "ErrorMessage");
    rg_kafka_put_int8 (resp, res->type);
    rg_kafka_put_str (resp, res->name, FALSE, "ResourceName");
    rg_kafka_put_array_count (resp, res->n_entries);
    for (j = 0; j < res->n_entries; j++)
      put_describe_entry (resp, api_version, &res->entries[j],
          include_synonyms, include_documentation);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- AlterConfigs and IncrementalAlterConfigs ---- */

static void
parse_alter_resource (RgKafkaReader * r, gboolean incremental,
    RgKafkaAlterConfigsResource * res)
{
  gint32 i, n;

  res->type = rg_kafka_read_int8 (r, "ResourceType");
  res->name = rg_kafka_read_str (r, FALSE, "ResourceName");
  n = rg_kafka_read_array_count (r, FALSE,
      ALTER_CONFIG_MIN_SIZE (r->flexible, incremental), "Configs");
  res->configs = g_new0 (RgKafkaAlterableConfig, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, res->n_configs++) {
    RgKafkaAlterableConfig *c = &res->configs[i];

    c->name = rg_kafka_read_str (r, FALSE, "Name");
    c->operation = incremental ?
        rg_kafka_read_int8 (r, "ConfigOperation") : RG_KAFKA_CONFIG_OP_SET;
    c->value = rg_kafka_read_str (r, TRUE, "Value");
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
}

static gpointer
parse_alter (RgKafkaReader * r, gboolean incremental)
{
  RgKafkaAlterConfigsRequest *req = g_new0 (RgKafkaAlterConfigsRequest, 1);
  gint32 i, n;

  req->incremental = incremental;
  n = rg_kafka_read_array_count (r, FALSE, RESOURCE_MIN_SIZE (r->flexible),
      "Resources");
  req->resources = g_new0 (RgKafkaAlterConfigsResource, MAX (n, 1));
  for (i = 0; i < n && !r->failed; i++, req->n_resources++)
    parse_alter_resource (r, incremental, &req->resources[i]);
  req->validate_only = rg_kafka_read_int8 (r, "ValidateOnly") != 0;
  rg_kafka_read_tags (r);
  return req;
}

gpointer
rg_kafka_parse_alter_configs (RgKafkaReader * r, gint16 api_version)
{
  (void) api_version;
  return parse_alter (r, FALSE);
}

gpointer
rg_kafka_parse_incremental_alter_configs (RgKafkaReader * r,
    gint16 api_version)
{
  (void) api_version;
  return parse_alter (r, TRUE);
}

void
rg_kafka_alter_configs_request_free (gpointer body)
{
  RgKafkaAlterConfigsRequest *req = body;
  guint i;

  if (!req)
    return;
  for (i = 0; i < req->n_resources; i++)
    g_free (req->resources[i].configs);
  g_free (req->resources);
  g_free (req);
}

RgKafkaResponse *
rg_kafka_build_alter_configs_response (gint32 correlation_id,
    gboolean incremental, gint16 api_version, gint32 throttle_time_ms,
    const RgKafkaAlterConfigsResult * results, guint n_results,
    GError ** error)
{
  gint16 max_version = incremental ?
      RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX_VERSION :
      RG_KAFKA_ALTER_CONFIGS_MAX_VERSION;
  RgKafkaResponse *resp;
  guint i;

  if (!rg_kafka_check_build_version (incremental ?
          "IncrementalAlterConfigs" : "AlterConfigs", api_version,
          max_version, error))
    return NULL;
  resp = rg_kafka_response_new_for (correlation_id, incremental ?
      RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_FIRST_FLEXIBLE :
      RG_KAFKA_ALTER_CONFIGS_FIRST_FLEXIBLE, api_version);
  rg_kafka_put_int32 (resp, throttle_time_ms);
  rg_kafka_put_array_count (resp, n_results);
  for (i = 0; i < n_results; i++) {
    rg_kafka_put_int16 (resp, results[i].error_code);
    put_cstr (resp, results[i].error_message, TRUE, "ErrorMessage");
    rg_kafka_put_int8 (resp, results[i].type);
    rg_kafka_put_str (resp, results[i].name, FALSE, "ResourceName");
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* ---- CreateTopics v5's configs ---- */

void
rg_kafka_put_creatable_topic_config (RgKafkaResponse * resp,
    const RgKafkaConfigEntry * entry)
{
  put_cstr (resp, entry->name, FALSE, "Name");
  put_cstr (resp, entry->value, TRUE, "Value");
  rg_kafka_put_int8 (resp, entry->read_only);
  rg_kafka_put_int8 (resp, entry->source);
  rg_kafka_put_int8 (resp, entry->sensitive);
  rg_kafka_put_tags (resp);
}
