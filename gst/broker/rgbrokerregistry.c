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
 * The topic registry: see rgbrokerregistry.h. One hash table maps every
 * served name to its topic (a topic with a .live view is there twice);
 * a second one counts the names elements reserved (rg_broker_reserve_topic()
 * in rgbroker.h) before they add their topic, so that a client producing
 * into that name first does not take it as an ingest topic.
 *
 * An ingest topic's partitions are a third table, from its name to the
 * array of its partitions; partition 0 is also the topic the first table
 * names, so everything that knows one partition per name (reservations,
 * the list of names, a pipeline taking over a name) keeps working
 * unchanged. The array is trusted only while its partition 0 is the topic
 * the first table holds, so that a name unregistered and registered
 * again never shows another topic's partitions.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerregistry.h"
#include "broker/rgbrokerstats.h"

#include <pthread.h>
#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* Kafka's error codes for CreateTopics that rgkafka.h does not name. */
#define TOPIC_ALREADY_EXISTS 36
#define INVALID_PARTITIONS 37

struct _RgBrokerRegistry
{
  guint port;
  guint ingest_batches;
  /* Set once, before clients are served. */
  guint ingest_partitions;
  RgWaker *waker;

  pthread_mutex_t lock;
  /* Name (owned by the topic) -> topic (one reference). */
  GHashTable *topics;
  /* Name -> GUINT_TO_POINTER (number of reservations). */
  GHashTable *reserved;
  /* Ingest topic name (owned) -> GPtrArray of its partitions (one
   * reference each, partition 0 first). */
  GHashTable *partitions;
};

RgBrokerRegistry *
rg_broker_registry_new (guint port, guint ingest_batches, RgWaker * waker)
{
  RgBrokerRegistry *registry = g_new0 (RgBrokerRegistry, 1);

  registry->port = port;
  registry->ingest_batches = ingest_batches;
  registry->ingest_partitions = 1;
  registry->waker = rg_waker_ref (waker);
  pthread_mutex_init (&registry->lock, NULL);
  registry->topics = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) rg_broker_topic_unref);
  registry->reserved = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  registry->partitions = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) g_ptr_array_unref);
  return registry;
}

void
rg_broker_registry_set_ingest_partitions (RgBrokerRegistry * registry,
    guint n_partitions)
{
  registry->ingest_partitions = CLAMP (n_partitions, 1,
      RG_BROKER_MAX_INGEST_PARTITIONS);
}

guint
rg_broker_registry_get_ingest_partitions (RgBrokerRegistry * registry)
{
  return registry->ingest_partitions;
}

/* Stops the wake-ups of journal writers' tails of the topics still
 * registered at the last release. */
static void
detach_topic (gpointer key, gpointer value, gpointer user_data)
{
  rg_broker_topic_detach (value);
}

static void
detach_partitions (gpointer key, gpointer value, gpointer user_data)
{
  g_ptr_array_foreach (value, (GFunc) rg_broker_topic_detach, NULL);
}

void
rg_broker_registry_free (RgBrokerRegistry * registry)
{
  if (!registry)
    return;
  g_hash_table_foreach (registry->topics, detach_topic, NULL);
  g_hash_table_foreach (registry->partitions, detach_partitions, NULL);
  g_hash_table_unref (registry->topics);
  g_hash_table_unref (registry->partitions);
  g_hash_table_unref (registry->reserved);
  pthread_mutex_destroy (&registry->lock);
  rg_waker_unref (registry->waker);
  g_free (registry);
}

/* The error for a name already held by @holder. Called with the lock
 * held (the holder cannot go away). */
static void
set_exists_error (RgBrokerRegistry * registry, RgBrokerTopic * holder,
    const gchar * name, GError ** error)
{
  if (rg_broker_topic_is_ingest (holder))
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_TOPIC_EXISTS,
        "Topic \"%s\" on port %u was created by a Kafka client producing "
        "into it (this broker accepts ingest) before an element reserved "
        "the name; start the element before clients produce, or choose "
        "another topic name", name, registry->port);
  else
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_TOPIC_EXISTS,
        "Topic \"%s\" is already served on port %u by another element",
        name, registry->port);
}

RgBrokerTopic *
rg_broker_registry_add (RgBrokerRegistry * registry, RgBrokerTopic * topic,
    GError ** error)
{
  const gchar *name = rg_broker_topic_get_name (topic);
  gsize len = strlen (name);
  RgBrokerTopic *holder;

  if (len == 0 || len > RG_BROKER_MAX_TOPIC_NAME)
    goto invalid_name;
  pthread_mutex_lock (&registry->lock);
  holder = g_hash_table_lookup (registry->topics, name);
  if (holder) {
    set_exists_error (registry, holder, name, error);
    pthread_mutex_unlock (&registry->lock);
    rg_broker_topic_unref (topic);
    return NULL;
  }
  g_hash_table_insert (registry->topics, (gpointer) name,
      rg_broker_topic_ref (topic));
  pthread_mutex_unlock (&registry->lock);
  return topic;

  /* ERRORS */
invalid_name:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_INVALID,
        "Invalid topic name \"%s\": it must have 1 to %d bytes", name,
        RG_BROKER_MAX_TOPIC_NAME);
    rg_broker_topic_unref (topic);
    return NULL;
  }
}

gboolean
rg_broker_registry_add_live (RgBrokerRegistry * registry,
    RgBrokerTopic * topic, guint max_lag, GError ** error)
{
  const gchar *live;
  RgBrokerTopic *holder;

  if (rg_broker_topic_is_journal (topic)
      || strlen (rg_broker_topic_get_name (topic)) + 5 >
      RG_BROKER_MAX_TOPIC_NAME)
    goto invalid;
  pthread_mutex_lock (&registry->lock);
  live = rg_broker_topic_set_live (topic, max_lag);
  holder = g_hash_table_lookup (registry->topics, live);
  if (holder) {
    set_exists_error (registry, holder, live, error);
    pthread_mutex_unlock (&registry->lock);
    return FALSE;
  }
  g_hash_table_insert (registry->topics, (gpointer) live,
      rg_broker_topic_ref (topic));
  pthread_mutex_unlock (&registry->lock);
  return TRUE;

  /* ERRORS */
invalid:
  {
    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_INVALID,
        "Topic \"%s\" cannot have a .live view: only in-memory topics with "
        "names of at most %d bytes can", rg_broker_topic_get_name (topic),
        RG_BROKER_MAX_TOPIC_NAME - 5);
    return FALSE;
  }
}

void
rg_broker_registry_remove (RgBrokerRegistry * registry,
    RgBrokerTopic * topic)
{
  const gchar *live;

  rg_broker_topic_detach (topic);
  pthread_mutex_lock (&registry->lock);
  live = rg_broker_topic_get_live_name (topic);
  if (live && g_hash_table_lookup (registry->topics, live) == topic)
    g_hash_table_remove (registry->topics, live);
  if (g_hash_table_lookup (registry->topics,
          rg_broker_topic_get_name (topic)) == topic)
    g_hash_table_remove (registry->topics, rg_broker_topic_get_name (topic));
  pthread_mutex_unlock (&registry->lock);
}

gboolean
rg_broker_registry_reserve (RgBrokerRegistry * registry, const gchar * name,
    GError ** error)
{
  RgBrokerTopic *holder;
  guint count;

  pthread_mutex_lock (&registry->lock);
  holder = g_hash_table_lookup (registry->topics, name);
  if (holder && rg_broker_topic_is_ingest (holder)) {
    set_exists_error (registry, holder, name, error);
    pthread_mutex_unlock (&registry->lock);
    return FALSE;
  }
  count = GPOINTER_TO_UINT (g_hash_table_lookup (registry->reserved, name));
  g_hash_table_insert (registry->reserved, g_strdup (name),
      GUINT_TO_POINTER (count + 1));
  pthread_mutex_unlock (&registry->lock);
  return TRUE;
}

void
rg_broker_registry_unreserve (RgBrokerRegistry * registry,
    const gchar * name)
{
  guint count;

  pthread_mutex_lock (&registry->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (registry->reserved, name));
  if (count > 1)
    g_hash_table_insert (registry->reserved, g_strdup (name),
        GUINT_TO_POINTER (count - 1));
  else
    g_hash_table_remove (registry->reserved, name);
  pthread_mutex_unlock (&registry->lock);
}

/* Copies @name into @buf as a C string; FALSE when it cannot be a topic
 * name (empty, null or too long). */
static gboolean
name_to_cstr (RgKafkaStr name, gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1])
{
  if (name.len <= 0 || name.len > RG_BROKER_MAX_TOPIC_NAME)
    return FALSE;
  memcpy (buf, name.data, name.len);
  buf[name.len] = '\0';
  return TRUE;
}

RgBrokerTopic *
rg_broker_registry_lookup (RgBrokerRegistry * registry, RgKafkaStr name)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;

  if (!name_to_cstr (name, buf))
    return NULL;
  pthread_mutex_lock (&registry->lock);
  topic = g_hash_table_lookup (registry->topics, buf);
  if (topic)
    rg_broker_topic_ref (topic);
  pthread_mutex_unlock (&registry->lock);
  return topic;
}

/* Kafka's legal topic characters: an ingest topic is created from a name a
 * client sent, so it must be one a Kafka cluster would accept too. */
static gboolean
ingest_name_valid (RgKafkaStr name)
{
  gint32 i;

  if (name.len <= 0 || name.len > RG_BROKER_MAX_TOPIC_NAME)
    return FALSE;
  for (i = 0; i < name.len; i++) {
    gchar c = name.data[i];

    if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return !(name.len <= 2 && name.data[0] == '.' &&
      (name.len == 1 || name.data[1] == '.'));
}

/* The storage of partition @partition of ingest topic @name: the one place
 * where a partition's storage is made. In memory, a partition needs no
 * name of its own; storage on disk would name it "<name>-<partition>", as
 * Kafka names a partition's log directory. */
static RgBrokerTopic *
ingest_partition_new (RgBrokerRegistry * registry, const gchar * name,
    guint partition)
{
  RgBrokerTopic *topic = rg_broker_topic_new_ingest (registry->waker, name,
      registry->ingest_batches);

  rg_broker_topic_set_partition (topic, partition);
  return topic;
}

/* Registers ingest topic @name (free, legal) with @n_partitions
 * partitions; returns its partition 0 (transfer none). Called with the
 * lock held. */
static RgBrokerTopic *
ingest_create_locked (RgBrokerRegistry * registry, const gchar * name,
    guint n_partitions)
{
  GPtrArray *parts = g_ptr_array_new_full (n_partitions,
      (GDestroyNotify) rg_broker_topic_unref);
  RgBrokerTopic *topic;
  guint p;

  for (p = 0; p < n_partitions; p++)
    g_ptr_array_add (parts, ingest_partition_new (registry, name, p));
  topic = g_ptr_array_index (parts, 0);
  g_hash_table_insert (registry->topics,
      (gpointer) rg_broker_topic_get_name (topic),
      rg_broker_topic_ref (topic));
  g_hash_table_replace (registry->partitions, g_strdup (name), parts);
  GST_INFO ("created ingest topic \"%s\" with %u partitions", name,
      n_partitions);
  return topic;
}

RgBrokerTopic *
rg_broker_registry_ensure_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name)
{
  RgBrokerTopic *topic = rg_broker_registry_lookup (registry, name);
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];

  if (topic || registry->ingest_batches == 0 || !ingest_name_valid (name)
      || !name_to_cstr (name, buf))
    return topic;

  pthread_mutex_lock (&registry->lock);
  /* A pipeline may have registered the name since the lookup. */
  topic = g_hash_table_lookup (registry->topics, buf);
  if (topic) {
    rg_broker_topic_ref (topic);
  } else if (g_hash_table_contains (registry->reserved, buf)) {
    GST_INFO ("not creating ingest topic \"%s\": an element reserved it",
        buf);
  } else {
    topic = rg_broker_topic_ref (ingest_create_locked (registry, buf,
            registry->ingest_partitions));
  }
  pthread_mutex_unlock (&registry->lock);
  return topic;
}

void
rg_broker_registry_list (RgBrokerRegistry * registry, GPtrArray * topics,
    GPtrArray * names)
{
  GHashTableIter iter;
  gpointer key, value;

  pthread_mutex_lock (&registry->lock);
  g_hash_table_iter_init (&iter, registry->topics);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    g_ptr_array_add (topics, rg_broker_topic_ref (value));
    g_ptr_array_add (names, key);
  }
  pthread_mutex_unlock (&registry->lock);
}

/* The partitions of @name when it is an ingest topic, else NULL. Called
 * with the lock held. */
static GPtrArray *
partitions_locked (RgBrokerRegistry * registry, const gchar * name,
    RgBrokerTopic * topic)
{
  GPtrArray *parts = g_hash_table_lookup (registry->partitions, name);

  return parts && g_ptr_array_index (parts, 0) == topic ? parts : NULL;
}

RgBrokerTopic *
rg_broker_registry_lookup_partition (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 partition)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;
  GPtrArray *parts;

  if (partition < 0 || !name_to_cstr (name, buf))
    return NULL;
  pthread_mutex_lock (&registry->lock);
  topic = g_hash_table_lookup (registry->topics, buf);
  if (topic && partition > 0) {
    parts = partitions_locked (registry, buf, topic);
    topic = parts && (guint) partition < parts->len ?
        g_ptr_array_index (parts, partition) : NULL;
  }
  if (topic)
    rg_broker_topic_ref (topic);
  pthread_mutex_unlock (&registry->lock);
  return topic;
}

RgBrokerTopic *
rg_broker_registry_ensure_partition (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 partition)
{
  RgBrokerTopic *topic = rg_broker_registry_ensure_ingest (registry, name);

  if (!topic)
    return NULL;
  rg_broker_topic_unref (topic);
  return rg_broker_registry_lookup_partition (registry, name, partition);
}

gint16
rg_broker_registry_missing_error (RgBrokerRegistry * registry,
    RgKafkaStr name)
{
  if (registry->ingest_batches > 0 && !ingest_name_valid (name))
    return RG_KAFKA_INVALID_TOPIC_EXCEPTION;
  return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
}

guint
rg_broker_registry_count_partitions (RgBrokerRegistry * registry,
    RgKafkaStr name)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;
  GPtrArray *parts;
  guint n = 0;

  if (!name_to_cstr (name, buf))
    return 0;
  pthread_mutex_lock (&registry->lock);
  topic = g_hash_table_lookup (registry->topics, buf);
  if (topic) {
    parts = partitions_locked (registry, buf, topic);
    n = parts ? parts->len : 1;
  }
  pthread_mutex_unlock (&registry->lock);
  return n;
}

gint16
rg_broker_registry_create_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 n_partitions, gboolean validate_only)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  gint16 code = RG_KAFKA_NONE;

  if (registry->ingest_batches == 0)
    return RG_KAFKA_POLICY_VIOLATION;
  if (!ingest_name_valid (name) || !name_to_cstr (name, buf))
    return RG_KAFKA_INVALID_TOPIC_EXCEPTION;
  /* CreateTopics v4+ sends -1 for "the broker's default". */
  if (n_partitions == -1)
    n_partitions = registry->ingest_partitions;
  if (n_partitions < 1 || n_partitions > RG_BROKER_MAX_INGEST_PARTITIONS)
    return INVALID_PARTITIONS;

  pthread_mutex_lock (&registry->lock);
  if (g_hash_table_contains (registry->topics, buf)
      || g_hash_table_contains (registry->reserved, buf))
    code = TOPIC_ALREADY_EXISTS;
  else if (!validate_only)
    ingest_create_locked (registry, buf, n_partitions);
  pthread_mutex_unlock (&registry->lock);
  return code;
}
