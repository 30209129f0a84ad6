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
 * InitProducerId, CreateTopics, DeleteTopics and CreatePartitions (see
 * rgbrokeradmin.h).
 * What each answers (docs/protocol.md has the same tables):
 *
 *  - InitProducerId: an idempotent producer gets a new producer id with
 *    epoch 0; from v3 a producer that names its current id and epoch gets
 *    the epoch bumped (rgbrokerproducers.h). A transactional id goes to
 *    the transaction coordinator (rgbrokertxnapi.h): the id maps to one
 *    producer id whose epoch each InitProducerId bumps, fencing the
 *    previous holder.
 *  - CreateTopics: only a broker that accepts ingest creates topics (they
 *    are ingest topics); otherwise POLICY_VIOLATION (44). One partition
 *    and one replica: NumPartitions and ReplicationFactor must be 1 or -1
 *    (INVALID_PARTITIONS 37, INVALID_REPLICATION_FACTOR 38); a manual
 *    assignment must be partition 0 on broker 0 (INVALID_REPLICA_ASSIGNMENT
 *    39); topic configs are checked as AlterConfigs checks them
 *    (rgbrokerconfigs.c: INVALID_CONFIG 40 naming the key for an unknown
 *    key or a refused value) and stored before the topic is made, and v5
 *    reports the topic's configs; a name twice in one request gets
 *    INVALID_REQUEST (42), as in Kafka; an existing or reserved name
 *    TOPIC_ALREADY_EXISTS (36). ValidateOnly checks all this and creates
 *    nothing.
 *  - DeleteTopics: only ingest topics are deleted; a pipeline's topic (or
 *    its .live view) gets TOPIC_AUTHORIZATION_FAILED (29), as a Produce
 *    into it does; an unknown name UNKNOWN_TOPIC_OR_PARTITION (3). A
 *    broker without ingest refuses every deletion as a Kafka broker with
 *    delete.topic.enable=false does: TOPIC_DELETION_DISABLED (73) from v3,
 *    INVALID_REQUEST (42) before. A deleted topic's producer state goes
 *    with it.
 *  - CreatePartitions: an in-memory ingest topic grows to the count asked
 *    for, at once (the next Metadata lists the new partitions, empty, at
 *    offset 0). A count not above the current one gets INVALID_PARTITIONS
 *    (37): topics never shrink, as in Kafka; so does any growth of a
 *    journal-backed ingest topic (one journal is one partition's log) and
 *    a count above 1024. A pipeline's topic (or its .live view) gets
 *    POLICY_VIOLATION (44): it has one partition by design (one stream,
 *    one order), a rule of this broker, not a missing grant, so not
 *    TOPIC_AUTHORIZATION_FAILED, which would send the user looking at
 *    ACLs. An unknown name gets UNKNOWN_TOPIC_OR_PARTITION (3); a name
 *    twice INVALID_REQUEST (42); manual assignments must name broker 0
 *    once for each new partition (INVALID_REPLICA_ASSIGNMENT 39).
 *    ValidateOnly checks all this and adds nothing.
 *  - With an ACL file, CreateTopics needs create on each topic,
 *    DeleteTopics delete and CreatePartitions alter (the file's create
 *    grants both, rgbrokeracl.h); a topic without the grant gets
 *    TOPIC_AUTHORIZATION_FAILED (29) and nothing is created or deleted.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokeradmin.h"
#include "broker/rgbrokerauth.h"
#include "broker/rgbrokerconfigs.h"
#include "broker/rgbrokertxnapi.h"

#define GST_CAT_DEFAULT rg_broker_debug

/* Counts the names a request repeats: name -> occurrences. */
static GHashTable *
count_names (const RgKafkaStr * names, gsize stride, guint n)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  guint i;

  for (i = 0; i < n; i++) {
    const RgKafkaStr *name = (const RgKafkaStr *) ((const guint8 *) names +
        i * stride);
    gchar *key = g_strndup ((const gchar *) name->data, MAX (name->len, 0));
    guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key));

    g_hash_table_insert (counts, key, GUINT_TO_POINTER (count + 1));
  }
  return counts;
}

static gboolean
repeated (GHashTable * counts, RgKafkaStr name)
{
  gchar *key = g_strndup ((const gchar *) name.data, MAX (name.len, 0));
  gboolean result = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) > 1;

  g_free (key);
  return result;
}

/* ---- InitProducerId ---- */

RgBrokerHandleResult
rg_broker_handle_init_producer_id (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaInitProducerIdRequest *ip = req->body.other.body;
  gint16 version = req->header.api_version;
  gint64 id = -1;
  gint16 epoch = -1, code;
  GError *error = NULL;

  if (ip->transactional_id.len >= 0) {
    code = rg_broker_txn_api_init (ctx, ip, version, &id, &epoch);
  } else {
    code = rg_broker_producers_init_id (ctx->producers, ip->producer_id,
        ip->producer_epoch, version >= 4, g_get_monotonic_time () / 1000,
        &id, &epoch);
  }
  return rg_broker_answer (rg_kafka_build_init_producer_id_response
      (req->header.correlation_id, version, 0, code, id, epoch, &error),
      error, "InitProducerId", ctx, out);
}

/* ---- CreateTopics ---- */

/* The shape checks of one topic: what a one-partition, one-replica broker
 * can create. Returns the error code and sets @message. */
static gint16
check_topic_shape (const RgKafkaCreatableTopic * t, const gchar ** message)
{
  guint i;

  if (t->n_assignments > 0) {
    if (t->num_partitions != -1 || t->replication_factor != -1) {
      *message = "NumPartitions and ReplicationFactor must be -1 with a "
          "manual assignment";
      return RG_KAFKA_INVALID_REQUEST;
    }
    for (i = 0; i < t->n_assignments; i++) {
      const RgKafkaCreatableAssignment *a = &t->assignments[i];

      if (a->partition_index != (gint32) i) {
        *message = "Partitions must be assigned as 0, 1, 2, ... in order";
        return RG_KAFKA_INVALID_PARTITIONS;
      }
      if (a->n_broker_ids != 1 || a->broker_ids[0] != 0) {
        *message = "Partitions can only be on broker 0, the only one";
        return RG_KAFKA_INVALID_REPLICA_ASSIGNMENT;
      }
    }
  } else if (t->replication_factor != -1 && t->replication_factor != 1) {
    *message = "This broker is a single node: replication factor 1";
    return RG_KAFKA_INVALID_REPLICATION_FACTOR;
  }
  return RG_KAFKA_NONE;
}

/* The topic configs of a CreateTopics topic, checked as AlterConfigs
 * checks them (rgbrokerconfigs.c's table); a key named twice is
 * INVALID_REQUEST, as in Kafka. Returns the error code and sets @message
 * (held by @held). */
static gint16
check_topic_configs (const RgBrokerRequestContext * ctx,
    const RgKafkaCreatableTopic * t, GPtrArray * held, const gchar ** message)
{
  RgBrokerConfigsTopicKind kind =
      rg_broker_registry_is_journal_backed (ctx->registry) ?
      RG_BROKER_CONFIGS_JOURNAL : RG_BROKER_CONFIGS_MEMORY;
  RgBrokerConfigs *configs = rg_broker_registry_get_configs (ctx->registry);
  gint16 code = RG_KAFKA_NONE;
  guint i, j;

  for (i = 0; i < t->n_configs && code == RG_KAFKA_NONE; i++) {
    gchar *key = g_strndup ((const gchar *) t->configs[i].name.data,
        MAX (t->configs[i].name.len, 0));
    gchar *value = t->configs[i].value.len < 0 ? NULL :
        g_strndup ((const gchar *) t->configs[i].value.data,
        t->configs[i].value.len);
    gchar *why = NULL;

    for (j = 0; j < i; j++)
      if (rg_kafka_str_equal (t->configs[j].name, key))
        why = g_strdup_printf ("Config %s is named more than once", key);
    if (why)
      code = RG_KAFKA_INVALID_REQUEST;
    else
      code = rg_broker_configs_check_topic (configs, kind, key, value, &why);
    if (why) {
      g_ptr_array_add (held, why);
      *message = why;
    }
    g_free (key);
    g_free (value);
  }
  return code;
}

/* Stores the configs of topic @t before its creation (a journal opens with
 * them); FALSE with @message when they could not be stored. */
static gboolean
store_topic_configs (const RgBrokerRequestContext * ctx,
    const RgKafkaCreatableTopic * t, GPtrArray * held, const gchar ** message)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  gchar *name = g_strndup ((const gchar *) t->name.data, t->name.len);
  gchar *why = NULL;
  gboolean ok;
  guint i;

  for (i = 0; i < t->n_configs; i++) {
    g_ptr_array_add (pairs, g_strndup ((const gchar *) t->configs[i].name.
            data, t->configs[i].name.len));
    g_ptr_array_add (pairs, g_strndup ((const gchar *) t->configs[i].value.
            data, t->configs[i].value.len));
  }
  g_ptr_array_add (pairs, NULL);
  ok = rg_broker_configs_set_topic (rg_broker_registry_get_configs
      (ctx->registry), name, (const gchar * const *) pairs->pdata, FALSE,
      &why);
  if (!ok) {
    g_ptr_array_add (held, why);
    *message = why;
  }
  g_ptr_array_unref (pairs);
  g_free (name);
  return ok;
}

/* Creates ingest topic @t with its configs: they are stored first (a
 * journal opens with its rotation and retention), and dropped again when
 * the creation fails. */
static gint16
create_with_configs (const RgBrokerRequestContext * ctx,
    const RgKafkaCreatableTopic * t, gint32 n_partitions, GPtrArray * held,
    const gchar ** message)
{
  gchar *name;
  gint16 code;

  if (t->n_configs == 0)
    return rg_broker_registry_create_ingest (ctx->registry, t->name,
        n_partitions, FALSE);
  /* Check first, so that the configs of an existing topic are never
   * touched. */
  code = rg_broker_registry_create_ingest (ctx->registry, t->name,
      n_partitions, TRUE);
  if (code != RG_KAFKA_NONE)
    return code;
  if (!store_topic_configs (ctx, t, held, message))
    return RG_KAFKA_KAFKA_STORAGE_ERROR;
  code = rg_broker_registry_create_ingest (ctx->registry, t->name,
      n_partitions, FALSE);
  if (code != RG_KAFKA_NONE) {
    name = g_strndup ((const gchar *) t->name.data, t->name.len);
    rg_broker_configs_forget_topic (rg_broker_registry_get_configs
        (ctx->registry), name);
    g_free (name);
  }
  return code;
}

/* The configs CreateTopics v5 reports for created topic @name (held by
 * @held_entries). */
static void
report_configs (const RgBrokerRequestContext * ctx, RgKafkaStr name,
    GPtrArray * held_entries, RgKafkaCreatableTopicResult * r)
{
  gchar *cname = g_strndup ((const gchar *) name.data, name.len);
  GArray *entries = rg_broker_configs_describe_topic
      (rg_broker_registry_get_configs (ctx->registry), cname,
      rg_broker_registry_is_journal_backed (ctx->registry) ?
      RG_BROKER_CONFIGS_JOURNAL : RG_BROKER_CONFIGS_MEMORY, NULL);

  r->configs = (const RgKafkaConfigEntry *) entries->data;
  r->n_configs = entries->len;
  g_ptr_array_add (held_entries, entries);
  g_free (cname);
}

static void
create_one (const RgBrokerRequestContext * ctx,
    const RgKafkaCreateTopicsRequest * ct, const RgKafkaCreatableTopic * t,
    GHashTable * counts, GPtrArray * held, GPtrArray * held_entries,
    RgKafkaCreatableTopicResult * r)
{
  const gchar *message = NULL;
  /* A manual assignment names the partitions; else -1 is the broker's
   * default (ingest-partitions). */
  gint32 n_partitions = t->n_assignments > 0 ?
      (gint32) t->n_assignments : t->num_partitions;

  r->name = t->name;
  r->num_partitions = -1;
  r->replication_factor = -1;
  if (!rg_broker_registry_accepts_ingest (ctx->registry)) {
    r->error_code = RG_KAFKA_POLICY_VIOLATION;
    message = "This broker does not accept ingest (rgbrokersink ingest=false)"
        ": it serves its pipelines' topics only";
  } else if (repeated (counts, t->name)) {
    r->error_code = RG_KAFKA_INVALID_REQUEST;
    message = "The topic is named more than once in the request";
  } else if ((r->error_code = rg_broker_auth_check (ctx, t->name,
              RG_BROKER_ACL_CREATE)) != RG_KAFKA_NONE) {
    message = "Not authorized to create this topic (ACL: create)";
  } else if ((r->error_code = check_topic_shape (t, &message)) ==
      RG_KAFKA_NONE && (r->error_code = check_topic_configs (ctx, t, held,
              &message)) == RG_KAFKA_NONE) {
    r->error_code = ct->validate_only ?
        rg_broker_registry_create_ingest (ctx->registry, t->name,
        n_partitions, TRUE) : create_with_configs (ctx, t, n_partitions,
        held, &message);
    if (r->error_code == RG_KAFKA_INVALID_PARTITIONS)
      message = "Partitions: 1 to 1024 in memory; a journal-backed ingest "
          "topic has one";
    else if (r->error_code == RG_KAFKA_TOPIC_ALREADY_EXISTS)
      message = "Topic already exists (or a pipeline reserved the name)";
    else if (r->error_code == RG_KAFKA_INVALID_TOPIC_EXCEPTION)
      message = "Topic names are 1 to 249 of [a-zA-Z0-9._-], not . or ..";
  }
  if (r->error_code == RG_KAFKA_NONE) {
    r->num_partitions = n_partitions == -1 ?
        (gint32) rg_broker_registry_get_ingest_partitions (ctx->registry) :
        n_partitions;
    r->replication_factor = 1;
    report_configs (ctx, t->name, held_entries, r);
  }
  r->error_message = message ? rg_kafka_str_from_cstr (message) :
      RG_KAFKA_STR_NULL;
}

RgBrokerHandleResult
rg_broker_handle_create_topics (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaCreateTopicsRequest *ct = req->body.other.body;
  RgKafkaCreatableTopicResult *results;
  GPtrArray *held = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *held_entries =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  GHashTable *counts;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  counts = count_names (&ct->topics[0].name, sizeof (RgKafkaCreatableTopic),
      ct->n_topics);
  results = g_new0 (RgKafkaCreatableTopicResult, MAX (ct->n_topics, 1));
  for (i = 0; i < ct->n_topics; i++)
    create_one (ctx, ct, &ct->topics[i], counts, held, held_entries,
        &results[i]);
  resp = rg_kafka_build_create_topics_response (req->header.correlation_id,
      req->header.api_version, 0, results, ct->n_topics, &error);
  g_free (results);
  g_ptr_array_unref (held);
  g_ptr_array_unref (held_entries);
  g_hash_table_unref (counts);
  return rg_broker_answer (resp, error, "CreateTopics", ctx, out);
}

/* ---- DeleteTopics ---- */

static gint16
delete_one (const RgBrokerRequestContext * ctx, gint16 version,
    RgKafkaStr name, GHashTable * counts)
{
  gint16 code;
  gchar *cname;

  if (!rg_broker_registry_accepts_ingest (ctx->registry))
    return version >= 3 ? RG_KAFKA_TOPIC_DELETION_DISABLED :
        RG_KAFKA_INVALID_REQUEST;
  if (repeated (counts, name))
    return RG_KAFKA_INVALID_REQUEST;
  code = rg_broker_auth_check (ctx, name, RG_BROKER_ACL_DELETE);
  if (code != RG_KAFKA_NONE)
    return code;
  code = rg_broker_registry_delete_ingest (ctx->registry, name, FALSE);
  if (code == RG_KAFKA_NONE) {
    cname = g_strndup ((const gchar *) name.data, name.len);
    rg_broker_producers_forget_topic (ctx->producers, cname);
    rg_broker_txn_forget_topic (ctx->txn, cname);
    g_free (cname);
  }
  return code;
}

RgBrokerHandleResult
rg_broker_handle_delete_topics (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaDeleteTopicsRequest *dt = req->body.other.body;
  gint16 version = req->header.api_version;
  RgKafkaDeletableTopicResult *results;
  GHashTable *counts;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  counts = count_names (dt->names, sizeof (RgKafkaStr), dt->n_names);
  results = g_new0 (RgKafkaDeletableTopicResult, MAX (dt->n_names, 1));
  for (i = 0; i < dt->n_names; i++) {
    results[i].name = dt->names[i];
    results[i].error_code = delete_one (ctx, version, dt->names[i], counts);
    results[i].error_message = RG_KAFKA_STR_NULL;
  }
  resp = rg_kafka_build_delete_topics_response (req->header.correlation_id,
      version, 0, results, dt->n_names, &error);
  g_free (results);
  g_hash_table_unref (counts);
  return rg_broker_answer (resp, error, "DeleteTopics", ctx, out);
}

/* ---- CreatePartitions ---- */

/* Manual assignments of a topic growing from @current partitions: one per
 * new partition, each on broker 0 alone. Returns the error code and sets
 * @message. */
static gint16
check_new_assignments (const RgKafkaCreatePartitionsTopic * t, guint current,
    const gchar ** message)
{
  guint i;

  if (!t->has_assignments || t->count <= (gint32) current)
    return RG_KAFKA_NONE;
  if (t->n_assignments != (guint) t->count - current) {
    *message = "Give one assignment for each new partition";
    return RG_KAFKA_INVALID_REPLICA_ASSIGNMENT;
  }
  for (i = 0; i < t->n_assignments; i++) {
    if (t->assignments[i].n_broker_ids != 1
        || t->assignments[i].broker_ids[0] != 0) {
      *message = "Partitions can only be on broker 0, the only one";
      return RG_KAFKA_INVALID_REPLICA_ASSIGNMENT;
    }
  }
  return RG_KAFKA_NONE;
}

/* The message of a registry refusal; @held keeps a formatted one alive
 * until the response is built. */
static const gchar *
grow_message (gint16 code, const RgKafkaCreatePartitionsTopic * t,
    guint current, gboolean journal, GPtrArray * held)
{
  gchar *message;

  switch (code) {
    case RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION:
      return "This server does not host this topic";
    case RG_KAFKA_POLICY_VIOLATION:
      return "A pipeline's topic has one partition, by design";
    case RG_KAFKA_INVALID_PARTITIONS:
      if (journal)
        return "A journal-backed ingest topic (rgbrokersink ingest-location)"
            " has one partition";
      if (t->count > RG_BROKER_MAX_INGEST_PARTITIONS)
        return "An ingest topic has at most 1024 partitions";
      message = g_strdup_printf ("Asked for %d partitions, and the topic "
          "has %u: partitions can be added, never removed", t->count,
          current);
      g_ptr_array_add (held, message);
      return message;
    default:
      return NULL;
  }
}

static void
grow_one (const RgBrokerRequestContext * ctx,
    const RgKafkaCreatePartitionsRequest * cp,
    const RgKafkaCreatePartitionsTopic * t, GHashTable * counts,
    GPtrArray * held, RgKafkaCreatePartitionsResult * r)
{
  const gchar *message = NULL;
  guint current = 0;

  r->name = t->name;
  if (repeated (counts, t->name)) {
    r->error_code = RG_KAFKA_INVALID_REQUEST;
    message = "The topic is named more than once in the request";
  } else if ((r->error_code = rg_broker_auth_check (ctx, t->name,
              RG_BROKER_ACL_ALTER)) != RG_KAFKA_NONE) {
    message = "Not authorized to add partitions to this topic (ACL: alter "
        "or create)";
  } else {
    /* Validate first, so that a bad assignment adds nothing. */
    r->error_code = rg_broker_registry_grow_ingest (ctx->registry, t->name,
        t->count, TRUE, &current);
    if (r->error_code == RG_KAFKA_NONE)
      r->error_code = check_new_assignments (t, current, &message);
    if (r->error_code == RG_KAFKA_NONE && !cp->validate_only)
      r->error_code = rg_broker_registry_grow_ingest (ctx->registry,
          t->name, t->count, FALSE, &current);
    if (!message)
      message = grow_message (r->error_code, t, current,
          rg_broker_registry_is_journal_backed (ctx->registry), held);
  }
  r->error_message = message ? rg_kafka_str_from_cstr (message) :
      RG_KAFKA_STR_NULL;
}

RgBrokerHandleResult
rg_broker_handle_create_partitions (const RgKafkaRequest * req,
    const RgBrokerRequestContext * ctx, RgBrokerHandleOutcome * out)
{
  const RgKafkaCreatePartitionsRequest *cp = req->body.other.body;
  RgKafkaCreatePartitionsResult *results;
  GPtrArray *held = g_ptr_array_new_with_free_func (g_free);
  GHashTable *counts;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  counts = count_names (&cp->topics[0].name,
      sizeof (RgKafkaCreatePartitionsTopic), cp->n_topics);
  results = g_new0 (RgKafkaCreatePartitionsResult, MAX (cp->n_topics, 1));
  for (i = 0; i < cp->n_topics; i++)
    grow_one (ctx, cp, &cp->topics[i], counts, held, &results[i]);
  resp = rg_kafka_build_create_partitions_response
      (req->header.correlation_id, req->header.api_version, 0, results,
      cp->n_topics, &error);
  g_free (results);
  g_ptr_array_unref (held);
  g_hash_table_unref (counts);
  return rg_broker_answer (resp, error, "CreatePartitions", ctx, out);
}
