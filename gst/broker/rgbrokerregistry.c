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
 * Ingest topics are counted against a limit, so that a client naming
 * random topics cannot grow the broker without bound: past it, nothing is
 * allocated for a new name. With an ingest directory, an ingest topic is a
 * journal there; opening one (a directory, a recovery, a syncer thread)
 * takes long enough that it is done outside the lock, with the name
 * checked again before it is published.
 *
 * An ingest topic's partitions are a third table, from its name to the
 * array of its partitions; partition 0 is also the topic the first table
 * names, so everything that knows one partition per name (reservations,
 * the list of names, a pipeline taking over a name) keeps working
 * unchanged. The array is trusted only while its partition 0 is the topic
 * the first table holds, so that a name unregistered and registered
 * again never shows another topic's partitions. Journal-backed ingest
 * topics have one partition (the journal directory is the topic's).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerregistry.h"
#include "broker/rgbrokerconfigs.h"
#include "broker/rgbrokerstats.h"
#include "kafka/rgkafkaadmin.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

struct _RgBrokerRegistry
{
  guint port;
  guint ingest_batches;
  /* Set once, before clients are served. */
  guint ingest_partitions;
  gboolean auto_create;
  RgWaker *waker;
  /* Durable ingest: the journals' directory (NULL: in memory). Set once,
   * before clients connect. */
  gchar *ingest_root;
  RgJournalConfig ingest_config;
  guint max_topics;
  /* The topics' and the broker's configs (its own lock). */
  RgBrokerConfigs *configs;

  pthread_mutex_t lock;
  /* Name (owned by the topic) -> topic (one reference). */
  GHashTable *topics;
  /* Name -> GUINT_TO_POINTER (number of reservations). */
  GHashTable *reserved;
  /* Ingest topics registered, and being opened (slots taken). */
  guint n_ingest;
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
  registry->auto_create = TRUE;
  registry->waker = rg_waker_ref (waker);
  pthread_mutex_init (&registry->lock, NULL);
  registry->topics = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) rg_broker_topic_unref);
  registry->reserved = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  registry->partitions = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) g_ptr_array_unref);
  /* The facade tells the store its request limit once it is decided. */
  registry->configs =
      rg_broker_configs_new (RG_BROKER_DEFAULT_MAX_REQUEST_BYTES);
  return registry;
}

void
rg_broker_registry_set_ingest_partitions (RgBrokerRegistry * registry,
    guint n_partitions)
{
  registry->ingest_partitions = CLAMP (n_partitions, 1,
      RG_BROKER_MAX_INGEST_PARTITIONS);
}

struct _RgBrokerConfigs *
rg_broker_registry_get_configs (RgBrokerRegistry * registry)
{
  return registry->configs;
}

gboolean
rg_broker_registry_is_journal_backed (RgBrokerRegistry * registry)
{
  return registry->ingest_root != NULL;
}

void
rg_broker_registry_set_auto_create (RgBrokerRegistry * registry,
    gboolean auto_create)
{
  registry->auto_create = auto_create;
}

guint
rg_broker_registry_get_ingest_partitions (RgBrokerRegistry * registry)
{
  /* A journal is one partition's log. */
  return registry->ingest_root ? 1 : registry->ingest_partitions;
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
  g_free (registry->ingest_root);
  rg_broker_configs_free (registry->configs);
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
          rg_broker_topic_get_name (topic)) == topic) {
    if (rg_broker_topic_is_ingest (topic))
      registry->n_ingest--;
    g_hash_table_remove (registry->topics, rg_broker_topic_get_name (topic));
  }
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

/* A new ingest topic named @name: in memory, or the journal under the
 * ingest directory. Called without the lock. */
static RgBrokerTopic *
ingest_topic_new (RgBrokerRegistry * registry, const gchar * name,
    GError ** error)
{
  RgBrokerTopic *topic;
  RgJournalConfig config;
  gchar *dir;

  if (!registry->ingest_root)
    return rg_broker_topic_new_ingest (registry->waker, name,
        registry->ingest_batches);
  /* The element's rotation and retention, with the topic's own configs
   * (segment.bytes, retention.ms, ...) over them. */
  rg_broker_configs_journal_config (registry->configs, name, &config);
  dir = rg_broker_ingest_dir (registry->ingest_root, name);
  topic = rg_broker_topic_new_ingest_journal (registry->waker, name, dir,
      &config, error);
  g_free (dir);
  return topic;
}

/* Registers partitions @old->len (1 when @old is NULL) to @n_partitions
 * - 1 of the in-memory ingest topic @topic (its partition 0, published),
 * keeping the partitions in @old. The table gets a new array, so that it
 * never changes under a reader: lookups take a reference on one partition
 * under the lock, and the old array's references go with it. Called with
 * the lock held: in memory a partition is only an allocation. */
static void
ingest_add_partitions_locked (RgBrokerRegistry * registry,
    RgBrokerTopic * topic, GPtrArray * old, guint n_partitions)
{
  const gchar *name = rg_broker_topic_get_name (topic);
  GPtrArray *parts = g_ptr_array_new_full (n_partitions,
      (GDestroyNotify) rg_broker_topic_unref);
  guint p;

  g_ptr_array_add (parts, rg_broker_topic_ref (topic));
  for (p = 1; old && p < old->len; p++)
    g_ptr_array_add (parts, rg_broker_topic_ref (g_ptr_array_index (old,
                p)));
  for (p = parts->len; p < n_partitions; p++) {
    RgBrokerTopic *part = rg_broker_topic_new_ingest (registry->waker, name,
        registry->ingest_batches);

    /* Idempotent producers number each partition's batches apart. */
    rg_broker_topic_set_partition (part, p);
    g_ptr_array_add (parts, part);
  }
  g_hash_table_replace (registry->partitions, g_strdup (name), parts);
}

/* Publishes @topic (transfer full) unless its name was taken or reserved
 * while it was opened; returns the topic registered under the name (a new
 * reference) or NULL; an in-memory topic gets @n_partitions partitions.
 * A topic not published is handed back in @loser, for
 * the caller to drop after unlocking (its last reference closes the
 * journal it just opened). Called with the lock held, the slot taken. */
static RgBrokerTopic *
ingest_publish_locked (RgBrokerRegistry * registry, RgBrokerTopic * topic,
    guint n_partitions, RgBrokerTopic ** loser)
{
  const gchar *name = rg_broker_topic_get_name (topic);
  RgBrokerTopic *holder = g_hash_table_lookup (registry->topics, name);

  *loser = NULL;
  if (holder || g_hash_table_contains (registry->reserved, name)) {
    GST_INFO ("ingest topic \"%s\" not created: the name was taken "
        "meanwhile", name);
    registry->n_ingest--;
    *loser = topic;
    return holder ? rg_broker_topic_ref (holder) : NULL;
  }
  g_hash_table_insert (registry->topics, (gpointer) name,
      rg_broker_topic_ref (topic));
  /* A journal is one partition's log: journal-backed topics keep one. */
  if (n_partitions > 1 && !registry->ingest_root)
    ingest_add_partitions_locked (registry, topic, NULL, n_partitions);
  GST_INFO ("created ingest topic \"%s\"", name);
  return topic;
}

/* Takes a slot for a new ingest topic named @buf, or says why not.
 * Called with the lock held. */
static gint16
ingest_take_slot_locked (RgBrokerRegistry * registry, const gchar * buf)
{
  if (g_hash_table_contains (registry->reserved, buf)) {
    GST_INFO ("not creating ingest topic \"%s\": an element reserved it",
        buf);
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  }
  if (registry->max_topics > 0 && registry->n_ingest >= registry->max_topics) {
    GST_LOG ("not creating ingest topic \"%s\": %u topics already", buf,
        registry->n_ingest);
    return RG_KAFKA_POLICY_VIOLATION;
  }
  registry->n_ingest++;
  return RG_KAFKA_NONE;
}

RgBrokerTopic *
rg_broker_registry_get_ingest (RgBrokerRegistry * registry, RgKafkaStr name,
    gint16 * error_code)
{
  RgBrokerTopic *topic = rg_broker_registry_lookup (registry, name);
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *loser = NULL;
  GError *error = NULL;
  gint16 code;

  if (error_code)
    *error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  if (topic || registry->ingest_batches == 0 || !registry->auto_create
      || !rg_broker_ingest_name_valid (name.data, name.len)
      || !name_to_cstr (name, buf))
    return topic;

  pthread_mutex_lock (&registry->lock);
  /* A pipeline may have registered the name since the lookup. */
  topic = g_hash_table_lookup (registry->topics, buf);
  code = topic ? RG_KAFKA_NONE : ingest_take_slot_locked (registry, buf);
  if (topic)
    rg_broker_topic_ref (topic);
  pthread_mutex_unlock (&registry->lock);
  if (topic || code != RG_KAFKA_NONE)
    goto done;

  topic = ingest_topic_new (registry, buf, &error);
  pthread_mutex_lock (&registry->lock);
  if (topic) {
    topic = ingest_publish_locked (registry, topic,
        registry->ingest_partitions, &loser);
  } else {
    registry->n_ingest--;
    code = RG_KAFKA_KAFKA_STORAGE_ERROR;
  }
  pthread_mutex_unlock (&registry->lock);
  if (loser)
    rg_broker_topic_unref (loser);
  if (error) {
    GST_WARNING ("could not create ingest topic \"%s\": %s", buf,
        error->message);
    g_clear_error (&error);
  }

done:
  if (error_code && !topic)
    *error_code = code;
  return topic;
}

RgBrokerTopic *
rg_broker_registry_ensure_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name)
{
  return rg_broker_registry_get_ingest (registry, name, NULL);
}

/* Opens the journal of ingest topic @name found at start. */
static void
ingest_reopen (RgBrokerRegistry * registry, const gchar * name)
{
  RgBrokerTopic *topic, *loser = NULL;
  GError *error = NULL;

  pthread_mutex_lock (&registry->lock);
  if (g_hash_table_contains (registry->topics, name)
      || g_hash_table_contains (registry->reserved, name)) {
    pthread_mutex_unlock (&registry->lock);
    GST_WARNING ("ingest journal \"%s\" not served: an element holds or "
        "reserved the name", name);
    return;
  }
  /* Past the limit too: refusing would hide records already
   * acknowledged. */
  registry->n_ingest++;
  pthread_mutex_unlock (&registry->lock);

  topic = ingest_topic_new (registry, name, &error);
  pthread_mutex_lock (&registry->lock);
  if (topic)
    topic = ingest_publish_locked (registry, topic, 1, &loser);
  else
    registry->n_ingest--;
  pthread_mutex_unlock (&registry->lock);
  if (loser)
    rg_broker_topic_unref (loser);
  if (topic) {
    GST_INFO ("reopened ingest topic \"%s\" at offset %" G_GUINT64_FORMAT,
        name, rg_broker_topic_get_high_watermark (topic));
    rg_broker_topic_unref (topic);
  } else if (error) {
    GST_WARNING ("ingest journal \"%s\" not served: %s", name,
        error->message);
    g_clear_error (&error);
  }
}

gboolean
rg_broker_registry_set_ingest_journal (RgBrokerRegistry * registry,
    const gchar * root, const RgJournalConfig * config, GError ** error)
{
  GPtrArray *names;
  guint i;

  if (g_mkdir_with_parents (root, 0755) < 0) {
    int errsv = errno;

    g_set_error (error, RG_BROKER_ERROR, RG_BROKER_ERROR_SYSTEM,
        "Could not create the ingest directory \"%s\": %s", root,
        g_strerror (errsv));
    return FALSE;
  }
  registry->ingest_root = g_strdup (root);
  registry->ingest_config = *config;
  /* The topics' configs first: a journal reopens with its own. */
  rg_broker_configs_set_journal (registry->configs, root, config);
  names = rg_broker_ingest_scan (root);
  for (i = 0; i < names->len; i++)
    ingest_reopen (registry, g_ptr_array_index (names, i));
  g_ptr_array_unref (names);
  return TRUE;
}

void
rg_broker_registry_set_max_topics (RgBrokerRegistry * registry,
    guint max_topics)
{
  pthread_mutex_lock (&registry->lock);
  registry->max_topics = max_topics;
  pthread_mutex_unlock (&registry->lock);
}

guint
rg_broker_registry_count_ingest (RgBrokerRegistry * registry)
{
  guint n;

  pthread_mutex_lock (&registry->lock);
  n = registry->n_ingest;
  pthread_mutex_unlock (&registry->lock);
  return n;
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

gboolean
rg_broker_registry_accepts_ingest (RgBrokerRegistry * registry)
{
  return registry->ingest_batches > 0;
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

/* Partition @partition of topic @buf, without a reference, or NULL. */
static RgBrokerTopic *
lookup_partition_locked (RgBrokerRegistry * registry, const gchar * buf,
    gint32 partition)
{
  RgBrokerTopic *topic = g_hash_table_lookup (registry->topics, buf);
  GPtrArray *parts;

  if (topic && partition > 0) {
    parts = partitions_locked (registry, buf, topic);
    topic = parts && (guint) partition < parts->len ?
        g_ptr_array_index (parts, partition) : NULL;
  }
  return topic;
}

RgBrokerTopic *
rg_broker_registry_lookup_partition (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 partition)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;

  if (partition < 0 || !name_to_cstr (name, buf))
    return NULL;
  pthread_mutex_lock (&registry->lock);
  topic = lookup_partition_locked (registry, buf, partition);
  if (topic)
    rg_broker_topic_ref (topic);
  pthread_mutex_unlock (&registry->lock);
  return topic;
}

gboolean
rg_broker_registry_has_partition (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 partition)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  gboolean found;

  if (partition < 0 || !name_to_cstr (name, buf))
    return FALSE;
  pthread_mutex_lock (&registry->lock);
  found = lookup_partition_locked (registry, buf, partition) != NULL;
  pthread_mutex_unlock (&registry->lock);
  return found;
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
  if (registry->ingest_batches > 0 && registry->auto_create
      && !rg_broker_ingest_name_valid (name.data, name.len))
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

/* Creates and registers ingest topic @buf for CreateTopics, its slot
 * taken. Returns the Kafka error code. */
static gint16
ingest_create (RgBrokerRegistry * registry, const gchar * buf,
    guint n_partitions)
{
  RgBrokerTopic *topic, *loser = NULL;
  GError *error = NULL;
  gint16 code = RG_KAFKA_NONE;

  topic = ingest_topic_new (registry, buf, &error);
  pthread_mutex_lock (&registry->lock);
  if (topic)
    topic = ingest_publish_locked (registry, topic, n_partitions, &loser);
  else
    registry->n_ingest--;
  pthread_mutex_unlock (&registry->lock);
  if (error) {
    GST_WARNING ("could not create ingest topic \"%s\": %s", buf,
        error->message);
    g_clear_error (&error);
    return RG_KAFKA_KAFKA_STORAGE_ERROR;
  }
  if (loser) {
    rg_broker_topic_unref (loser);
    code = RG_KAFKA_TOPIC_ALREADY_EXISTS;
  }
  if (topic)
    rg_broker_topic_unref (topic);
  else
    code = RG_KAFKA_TOPIC_ALREADY_EXISTS;
  if (code == RG_KAFKA_NONE)
    GST_INFO ("created ingest topic \"%s\" (CreateTopics)", buf);
  return code;
}

gint16
rg_broker_registry_create_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 n_partitions, gboolean validate_only)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  gint16 code;

  if (registry->ingest_batches == 0)
    return RG_KAFKA_POLICY_VIOLATION;
  if (!rg_broker_ingest_name_valid (name.data, name.len)
      || !name_to_cstr (name, buf))
    return RG_KAFKA_INVALID_TOPIC_EXCEPTION;
  /* CreateTopics v4+ sends -1 for "the broker's default". */
  if (n_partitions == -1)
    n_partitions = rg_broker_registry_get_ingest_partitions (registry);
  if (n_partitions < 1 || n_partitions > RG_BROKER_MAX_INGEST_PARTITIONS
      || (n_partitions > 1 && registry->ingest_root)) {
    GST_INFO ("CreateTopics \"%s\": %d partitions refused (%s)", buf,
        n_partitions, registry->ingest_root ?
        "a journal-backed ingest topic has one" : "out of range");
    return RG_KAFKA_INVALID_PARTITIONS;
  }

  pthread_mutex_lock (&registry->lock);
  if (g_hash_table_contains (registry->topics, buf)
      || g_hash_table_contains (registry->reserved, buf))
    code = RG_KAFKA_TOPIC_ALREADY_EXISTS;
  else if (validate_only)
    code = registry->max_topics > 0
        && registry->n_ingest >= registry->max_topics ?
        RG_KAFKA_POLICY_VIOLATION : RG_KAFKA_NONE;
  else
    code = ingest_take_slot_locked (registry, buf);
  pthread_mutex_unlock (&registry->lock);
  if (code != RG_KAFKA_NONE || validate_only)
    return code;
  return ingest_create (registry, buf, n_partitions);
}

/* Why @topic, registered as @name, cannot grow to @count partitions
 * (it has @current): the error code, or NONE. Called with the lock held. */
static gint16
grow_check_locked (RgBrokerRegistry * registry, const gchar * name,
    RgBrokerTopic * topic, gint32 count, guint current)
{
  if (!rg_broker_topic_is_ingest (topic)
      || g_strcmp0 (rg_broker_topic_get_name (topic), name) != 0) {
    GST_INFO ("CreatePartitions \"%s\": a pipeline's topic has one "
        "partition", name);
    return RG_KAFKA_POLICY_VIOLATION;
  }
  if (registry->ingest_root || count <= (gint32) current
      || count > RG_BROKER_MAX_INGEST_PARTITIONS) {
    GST_INFO ("CreatePartitions \"%s\": %d partitions refused (it has %u%s)",
        name, count, current, registry->ingest_root ?
        "; a journal-backed ingest topic has one" : "");
    return RG_KAFKA_INVALID_PARTITIONS;
  }
  return RG_KAFKA_NONE;
}

gint16
rg_broker_registry_grow_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 count, gboolean validate_only, guint * current)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;
  GPtrArray *parts;
  guint had = 0;
  gint16 code;

  if (current)
    *current = 0;
  if (!name_to_cstr (name, buf))
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  pthread_mutex_lock (&registry->lock);
  topic = g_hash_table_lookup (registry->topics, buf);
  if (topic) {
    parts = partitions_locked (registry, buf, topic);
    had = parts ? parts->len : 1;
    code = grow_check_locked (registry, buf, topic, count, had);
    if (code == RG_KAFKA_NONE && !validate_only)
      ingest_add_partitions_locked (registry, topic, parts, count);
  } else {
    code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  }
  pthread_mutex_unlock (&registry->lock);
  if (current)
    *current = had;
  if (code == RG_KAFKA_NONE && !validate_only)
    GST_INFO ("ingest topic \"%s\": %u partitions, now %d (CreatePartitions)",
        buf, had, count);
  return code;
}

gint16
rg_broker_registry_delete_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gboolean validate_only)
{
  gchar buf[RG_BROKER_MAX_TOPIC_NAME + 1];
  RgBrokerTopic *topic;
  GPtrArray *parts = NULL;
  GError *error = NULL;
  gint16 code = RG_KAFKA_NONE;

  if (!name_to_cstr (name, buf))
    return RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  pthread_mutex_lock (&registry->lock);
  topic = g_hash_table_lookup (registry->topics, buf);
  if (!topic)
    code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  else if (!rg_broker_topic_is_ingest (topic))
    code = RG_KAFKA_TOPIC_AUTHORIZATION_FAILED;
  else if (!validate_only) {
    parts = partitions_locked (registry, buf, topic);
    if (parts) {
      g_ptr_array_ref (parts);
      g_hash_table_remove (registry->partitions, buf);
    }
    g_hash_table_steal (registry->topics, buf);
    registry->n_ingest--;
  }
  pthread_mutex_unlock (&registry->lock);
  if (code != RG_KAFKA_NONE || validate_only)
    return code;

  /* Fetches parked on the topic are woken to answer that it is gone. */
  rg_broker_topic_detach (topic);
  rg_broker_topic_unref (topic);
  if (parts) {
    g_ptr_array_foreach (parts, (GFunc) rg_broker_topic_detach, NULL);
    g_ptr_array_unref (parts);
  }
  rg_waker_wake (registry->waker);
  /* The journal goes first, its configs after: a crash in between leaves
   * a configs file without a journal, which the next start removes. */
  if (registry->ingest_root
      && !rg_broker_ingest_remove (registry->ingest_root, buf, &error)) {
    rg_broker_configs_forget_topic (registry->configs, buf);
    GST_WARNING ("deleted ingest topic \"%s\": %s", buf, error->message);
    g_clear_error (&error);
    return RG_KAFKA_KAFKA_STORAGE_ERROR;
  }
  rg_broker_configs_forget_topic (registry->configs, buf);
  GST_INFO ("deleted ingest topic \"%s\" (DeleteTopics)", buf);
  return code;
}
