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
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (see
 * rgbrokerconfigsapi.h). What each answers (docs/protocol.md has the
 * same):
 *
 *  - A TOPIC resource names a topic this broker serves, else
 *    UNKNOWN_TOPIC_OR_PARTITION (3). An ingest topic's configs are those
 *    of rgbrokerconfigs.c's table; a pipeline's topic (or its .live view)
 *    reports the same keys read-only, and a change of any of them gets
 *    POLICY_VIOLATION (44): its settings are its element's properties, a
 *    rule of this broker rather than a missing grant.
 *  - The BROKER resource is the node id, "0" (or "", the cluster
 *    default, which is the same one broker): its element's properties,
 *    read-only, and the dynamic broker configs a client set. Another id
 *    gets INVALID_REQUEST (42), BROKER_LOGGER and unknown types too.
 *  - AlterConfigs replaces a resource's whole set of settings (keys not
 *    named go back to their defaults), IncrementalAlterConfigs changes
 *    the keys named (SET, DELETE; APPEND and SUBTRACT get INVALID_CONFIG:
 *    no key here is a list with more than one legal value). Every config
 *    of a resource is checked before any is applied: one refusal refuses
 *    the resource, with a message naming the key. ValidateOnly checks
 *    and changes nothing.
 *  - ACLs (with an ACL file), as Kafka asks them: describing a topic's
 *    configs needs describe_configs on it (alter_configs implies it),
 *    changing them alter_configs, else TOPIC_AUTHORIZATION_FAILED (29);
 *    the broker's configs need the same on the cluster resource
 *    (cluster:kafka-cluster), else CLUSTER_AUTHORIZATION_FAILED (31).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerconfigsapi.h"
#include "broker/rgbrokerauth.h"

#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

RgBrokerConfigsTopicKind
rg_broker_configs_api_kind (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic)
{
  if (!rg_broker_topic_is_ingest (topic))
    return RG_BROKER_CONFIGS_SERVED;
  return rg_broker_registry_is_journal_backed (ctx->registry) ?
      RG_BROKER_CONFIGS_JOURNAL : RG_BROKER_CONFIGS_MEMORY;
}

static gchar *
str_dup (RgKafkaStr s)
{
  return s.len < 0 ? NULL : g_strndup ((const gchar *) s.data, s.len);
}

static gboolean
is_broker_name (RgKafkaStr name)
{
  return name.len == 0 || rg_kafka_str_equal (name, RG_BROKER_CONFIGS_NODE_ID);
}

/* ---- DescribeConfigs ---- */

/* Fills @res for one resource; the entries it reports go to @held. */
static void
describe_one (const RgBrokerRequestContext * ctx,
    const RgKafkaDescribeConfigsResource * r, GPtrArray * held_keys,
    GPtrArray * held_entries, RgKafkaDescribeConfigsResult * res)
{
  RgBrokerConfigs *configs = rg_broker_registry_get_configs (ctx->registry);
  GPtrArray *keys = NULL;
  GArray *entries = NULL;
  RgBrokerTopic *topic;
  guint i;

  res->type = r->type;
  res->name = r->name;
  if (!r->all_keys) {
    keys = g_ptr_array_new_with_free_func (g_free);
    for (i = 0; i < r->n_keys; i++)
      g_ptr_array_add (keys, str_dup (r->keys[i]));
    g_ptr_array_add (keys, NULL);
    g_ptr_array_add (held_keys, keys);
  }
  if (r->type == RG_KAFKA_CONFIG_RESOURCE_TOPIC) {
    if ((res->error_code = rg_broker_auth_check (ctx, r->name,
                RG_BROKER_ACL_DESCRIBE_CONFIGS)) != RG_KAFKA_NONE) {
      res->error_message = "Not authorized to describe this topic's configs "
          "(ACL: describe_configs)";
      return;
    }
    topic = rg_broker_registry_lookup (ctx->registry, r->name);
    if (!topic) {
      res->error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
      res->error_message = "This server does not host this topic";
      return;
    }
    entries = rg_broker_configs_describe_topic (configs,
        rg_broker_topic_get_name (topic), rg_broker_configs_api_kind (ctx,
            topic), keys ? (const gchar * const *) keys->pdata : NULL);
    rg_broker_topic_unref (topic);
  } else if (r->type == RG_KAFKA_CONFIG_RESOURCE_BROKER
      && is_broker_name (r->name)) {
    if ((res->error_code = rg_broker_auth_check_cluster (ctx,
                RG_BROKER_ACL_DESCRIBE_CONFIGS)) != RG_KAFKA_NONE) {
      res->error_message = "Not authorized to describe the broker's configs "
          "(ACL: describe_configs on cluster:kafka-cluster)";
      return;
    }
    entries = rg_broker_configs_describe_broker (configs,
        keys ? (const gchar * const *) keys->pdata : NULL);
  } else {
    res->error_code = RG_KAFKA_INVALID_REQUEST;
    res->error_message = r->type == RG_KAFKA_CONFIG_RESOURCE_BROKER ?
        "This broker's node id is 0" :
        "Only TOPIC and BROKER resources have configs here";
    return;
  }
  res->entries = (const RgKafkaConfigEntry *) entries->data;
  res->n_entries = entries->len;
  g_ptr_array_add (held_entries, entries);
}

RgBrokerHandleResult
rg_broker_configs_api_describe (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaDescribeConfigsRequest *dc = req->body.other.body;
  RgKafkaDescribeConfigsResult *results;
  GPtrArray *held_keys =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *held_entries =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  results = g_new0 (RgKafkaDescribeConfigsResult, MAX (dc->n_resources, 1));
  for (i = 0; i < dc->n_resources; i++)
    describe_one (ctx, &dc->resources[i], held_keys, held_entries,
        &results[i]);
  resp = rg_kafka_build_describe_configs_response
      (req->header.correlation_id, req->header.api_version, 0, results,
      dc->n_resources, dc->include_synonyms, dc->include_documentation,
      &error);
  g_free (results);
  g_ptr_array_unref (held_keys);
  g_ptr_array_unref (held_entries);
  return rg_broker_answer (resp, error, "DescribeConfigs", ctx, out);
}

/* ---- AlterConfigs and IncrementalAlterConfigs ---- */

/* Checks one config of a topic resource; NONE or the error and
 * *@message. */
static gint16
check_topic_config (RgBrokerConfigs * configs, RgBrokerConfigsTopicKind kind,
    const RgKafkaAlterableConfig * c, const gchar * key, gchar ** message)
{
  gchar *value = str_dup (c->value);
  gint16 code;

  switch (c->operation) {
    case RG_KAFKA_CONFIG_OP_SET:
      code = rg_broker_configs_check_topic (configs, kind, key, value,
          message);
      break;
    case RG_KAFKA_CONFIG_OP_DELETE:
      code = rg_broker_configs_check_topic_delete (configs, kind, key,
          message);
      break;
    case RG_KAFKA_CONFIG_OP_APPEND:
    case RG_KAFKA_CONFIG_OP_SUBTRACT:
      *message = g_strdup_printf ("Config value append or subtract is not "
          "allowed for config key %s: it has one legal value here", key);
      code = RG_KAFKA_INVALID_CONFIG;
      break;
    default:
      *message = g_strdup_printf ("Unknown config operation %d for %s",
          c->operation, key);
      code = RG_KAFKA_INVALID_REQUEST;
      break;
  }
  g_free (value);
  return code;
}

/* The pairs (key, value, ..., NULL) of a resource, DELETE as a NULL
 * value. */
static GPtrArray *
resource_pairs (const RgKafkaAlterConfigsResource * r)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; i < r->n_configs; i++) {
    g_ptr_array_add (pairs, str_dup (r->configs[i].name));
    g_ptr_array_add (pairs, r->configs[i].operation ==
        RG_KAFKA_CONFIG_OP_DELETE ? NULL : str_dup (r->configs[i].value));
  }
  g_ptr_array_add (pairs, NULL);
  return pairs;
}

/* Checks one config of the broker resource. */
static gint16
check_broker_config (RgBrokerConfigs * configs,
    const RgKafkaAlterableConfig * c, const gchar * key, gchar ** message)
{
  gchar *value;
  gint16 code;

  if (c->operation > RG_KAFKA_CONFIG_OP_DELETE) {
    *message = g_strdup_printf ("Config value append or subtract is not "
        "allowed for config key %s", key);
    return RG_KAFKA_INVALID_CONFIG;
  }
  value = c->operation == RG_KAFKA_CONFIG_OP_DELETE ? NULL :
      str_dup (c->value);
  code = rg_broker_configs_check_broker (configs, key, value, message);
  g_free (value);
  return code;
}

/* Whether config @i of @r repeats the key of an earlier one. */
static gboolean
named_before (const RgKafkaAlterConfigsResource * r, guint i)
{
  RgKafkaStr name = r->configs[i].name;
  guint j;

  for (j = 0; j < i; j++)
    if (r->configs[j].name.len == name.len
        && memcmp (r->configs[j].name.data, name.data, name.len) == 0)
      return TRUE;
  return FALSE;
}

/* Checks every config of @r (the first refusal wins). A key twice is
 * INVALID_REQUEST in IncrementalAlterConfigs, as in Kafka; AlterConfigs
 * takes the last value, as Kafka does (librdkafka's tests send a key they
 * described again with a new value). */
static gint16
check_resource (RgBrokerConfigs * configs, RgBrokerConfigsTopicKind kind,
    const RgKafkaAlterConfigsResource * r, gboolean incremental,
    gboolean topic, gchar ** message)
{
  gint16 code = RG_KAFKA_NONE;
  guint i;

  for (i = 0; i < r->n_configs && code == RG_KAFKA_NONE; i++) {
    gchar *key = str_dup (r->configs[i].name);

    if (incremental && named_before (r, i)) {
      *message = g_strdup_printf ("Config %s is named more than once", key);
      code = RG_KAFKA_INVALID_REQUEST;
    } else if (topic) {
      code = check_topic_config (configs, kind, &r->configs[i], key,
          message);
    } else {
      code = check_broker_config (configs, &r->configs[i], key, message);
    }
    g_free (key);
  }
  return code;
}

/* Applies a checked topic resource and hands the new rotation and
 * retention to an open journal. */
static gint16
alter_topic (const RgBrokerRequestContext * ctx, RgBrokerTopic * topic,
    RgBrokerConfigsTopicKind kind, const RgKafkaAlterConfigsResource * r,
    gboolean incremental, gchar ** message)
{
  RgBrokerConfigs *configs = rg_broker_registry_get_configs (ctx->registry);
  const gchar *name = rg_broker_topic_get_name (topic);
  GPtrArray *pairs;
  RgJournalConfig journal;
  gboolean stored;

  /* A pipeline's topic only ever gets here with values already in
   * force: nothing to store. */
  if (kind == RG_BROKER_CONFIGS_SERVED)
    return RG_KAFKA_NONE;
  pairs = resource_pairs (r);
  stored = rg_broker_configs_set_topic (configs, name,
      (const gchar * const *) pairs->pdata, incremental, message);
  g_ptr_array_unref (pairs);
  if (!stored)
    return RG_KAFKA_KAFKA_STORAGE_ERROR;
  if (kind == RG_BROKER_CONFIGS_JOURNAL) {
    rg_broker_configs_journal_config (configs, name, &journal);
    rg_broker_topic_set_journal_limits (topic, &journal);
  }
  GST_INFO ("client %s: configs of topic \"%s\" changed (%u keys)",
      ctx->peer, name, r->n_configs);
  return RG_KAFKA_NONE;
}

static gint16
alter_topic_resource (const RgBrokerRequestContext * ctx,
    const RgKafkaAlterConfigsRequest * ac,
    const RgKafkaAlterConfigsResource * r, gchar ** message)
{
  RgBrokerConfigs *configs = rg_broker_registry_get_configs (ctx->registry);
  RgBrokerConfigsTopicKind kind;
  RgBrokerTopic *topic;
  gint16 code;

  code = rg_broker_auth_check (ctx, r->name, RG_BROKER_ACL_ALTER_CONFIGS);
  if (code != RG_KAFKA_NONE) {
    *message = g_strdup ("Not authorized to alter this topic's configs "
        "(ACL: alter_configs)");
    return code;
  }
  topic = rg_broker_registry_lookup (ctx->registry, r->name);
  if (!topic) {
    *message = g_strdup ("This server does not host this topic");
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  }
  kind = rg_broker_configs_api_kind (ctx, topic);
  code = check_resource (configs, kind, r, ac->incremental, TRUE, message);
  if (code == RG_KAFKA_NONE && !ac->validate_only)
    code = alter_topic (ctx, topic, kind, r, ac->incremental, message);
  rg_broker_topic_unref (topic);
  return code;
}

static gint16
alter_broker_resource (const RgBrokerRequestContext * ctx,
    const RgKafkaAlterConfigsRequest * ac,
    const RgKafkaAlterConfigsResource * r, gchar ** message)
{
  RgBrokerConfigs *configs = rg_broker_registry_get_configs (ctx->registry);
  GPtrArray *pairs;
  gint16 code;

  if (!is_broker_name (r->name)) {
    *message = g_strdup ("This broker's node id is 0");
    return RG_KAFKA_INVALID_REQUEST;
  }
  code = rg_broker_auth_check_cluster (ctx, RG_BROKER_ACL_ALTER_CONFIGS);
  if (code != RG_KAFKA_NONE) {
    *message = g_strdup ("Not authorized to alter the broker's configs "
        "(ACL: alter_configs on cluster:kafka-cluster)");
    return code;
  }
  code = check_resource (configs, RG_BROKER_CONFIGS_SERVED, r,
      ac->incremental, FALSE, message);
  if (code != RG_KAFKA_NONE || ac->validate_only)
    return code;
  pairs = resource_pairs (r);
  rg_broker_configs_set_broker (configs,
      (const gchar * const *) pairs->pdata, ac->incremental);
  g_ptr_array_unref (pairs);
  return RG_KAFKA_NONE;
}

RgBrokerHandleResult
rg_broker_configs_api_alter (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaAlterConfigsRequest *ac = req->body.other.body;
  RgKafkaAlterConfigsResult *results;
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_free);
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  results = g_new0 (RgKafkaAlterConfigsResult, MAX (ac->n_resources, 1));
  for (i = 0; i < ac->n_resources; i++) {
    const RgKafkaAlterConfigsResource *r = &ac->resources[i];
    gchar *message = NULL;

    results[i].type = r->type;
    results[i].name = r->name;
    if (r->type == RG_KAFKA_CONFIG_RESOURCE_TOPIC)
      results[i].error_code = alter_topic_resource (ctx, ac, r, &message);
    else if (r->type == RG_KAFKA_CONFIG_RESOURCE_BROKER)
      results[i].error_code = alter_broker_resource (ctx, ac, r, &message);
    else {
      results[i].error_code = RG_KAFKA_INVALID_REQUEST;
      message = g_strdup ("Only TOPIC and BROKER resources have configs "
          "here");
    }
    if (message) {
      GST_INFO ("client %s: configs of %.*s refused: %s", ctx->peer,
          (int) MAX (r->name.len, 0), r->name.data, message);
      g_ptr_array_add (messages, message);
    }
    results[i].error_message = results[i].error_code ? message : NULL;
  }
  resp = rg_kafka_build_alter_configs_response (req->header.correlation_id,
      ac->incremental, req->header.api_version, 0, results, ac->n_resources,
      &error);
  g_free (results);
  g_ptr_array_unref (messages);
  return rg_broker_answer (resp, error, ac->incremental ?
      "IncrementalAlterConfigs" : "AlterConfigs", ctx, out);
}

/* ---- Produce ---- */

gint16
rg_broker_configs_api_check_produce (const RgBrokerRequestContext * ctx,
    RgBrokerTopic * topic, const guint8 * records, gsize len)
{
  gsize limit = rg_broker_configs_max_message_bytes
      (rg_broker_registry_get_configs (ctx->registry),
      rg_broker_topic_get_name (topic));
  gsize pos = 0;

  if (limit == 0)
    return RG_KAFKA_NONE;
  /* A RecordBatch starts with int64 baseOffset and int32 batchLength (the
   * bytes after that field); magic is byte 16. A legacy message set
   * counts whole. */
  if (len < 17 || records[16] < 2)
    return len > limit ? RG_KAFKA_MESSAGE_TOO_LARGE : RG_KAFKA_NONE;
  while (pos + 12 <= len) {
    guint32 batch_length = GST_READ_UINT32_BE (records + pos + 8);
    gsize size = (gsize) batch_length + 12;

    if (size > limit)
      return RG_KAFKA_MESSAGE_TOO_LARGE;
    pos += size;
  }
  return RG_KAFKA_NONE;
}
