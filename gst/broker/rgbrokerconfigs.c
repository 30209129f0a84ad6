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
 * Topic and broker configs (contract in rgbrokerconfigs.h).
 *
 * Every topic key has one of four effects here (docs/protocol.md lists
 * them with their defaults):
 *  - APPLIED: the broker does what the key says on every ingest topic
 *    (max.message.bytes: a larger batch gets MESSAGE_TOO_LARGE).
 *  - JOURNAL: applied to a journal-backed ingest topic (the journal's
 *    rotation and retention, also on an open journal); an in-memory
 *    topic has no segments, so the segment keys are accepted without
 *    effect there, and the retention keys, which the user would notice
 *    being ignored (a ring keeps its last batches, whatever the time),
 *    are refused unless they say what is in force.
 *  - NO_EFFECT: accepted and reported as set, with no effect, where Kafka
 *    3.x itself ignores the key (message.format.version) or where the
 *    concept does not exist here (flush.*: durability is the element's
 *    sync policy; compression.type: batches are stored as the producer
 *    compressed them, never recompressed).
 *  - FIXED: one value only, the one in force; another would lie in a way
 *    the user notices (cleanup.policy=compact: nothing is compacted).
 * An unknown key is INVALID_CONFIG.
 *
 * The settings file of a topic, "<root>/<name>+configs", holds one
 * "key=value" line per setting, in no particular order; it is written to
 * a temporary file, synced and renamed over the old one, so a crash
 * leaves the old settings or the new ones. An empty set removes it.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerconfigs.h"
#include "broker/rgbrokerstats.h"
#include "kafka/rgkafkaadmin.h"
#include "util/rgfile.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GST_CAT_DEFAULT rg_broker_debug

#define FILE_SUFFIX "+configs"

/* The longest value kept: every key's legal values are far shorter, and a
 * client must not make the broker keep megabytes per key (at most the
 * table's keys per topic, and the named broker keys). */
#define MAX_VALUE_BYTES 1024

typedef enum
{
  EFFECT_APPLIED,
  EFFECT_JOURNAL,
  EFFECT_NO_EFFECT,
  EFFECT_FIXED,
} Effect;

/* Which journal setting a JOURNAL key is. */
typedef enum
{
  JOURNAL_NONE,
  JOURNAL_SEGMENT_BYTES,
  JOURNAL_SEGMENT_MS,
  JOURNAL_RETENTION_BYTES,
  JOURNAL_RETENTION_MS,
} JournalField;

typedef struct
{
  const gchar *name;
  gint8 type;
  Effect effect;
  JournalField journal;
  /* INT and LONG: the smallest value; STRING: the values allowed
   * (NULL-terminated, NULL: any). */
  gint64 min;
  const gchar *const *allowed;
  /* The default, when not computed from the broker's settings. */
  const gchar *fixed_default;
  const gchar *doc;
} TopicKey;

static const gchar *const compression_types[] = { "uncompressed", "zstd",
  "lz4", "snappy", "gzip", "producer", NULL
};

static const gchar *const booleans[] = { "true", "false", NULL };

/* The topic keys, in the order DescribeConfigs lists them. */
static const TopicKey topic_keys[] = {
  {"cleanup.policy", RG_KAFKA_CONFIG_TYPE_LIST, EFFECT_FIXED, JOURNAL_NONE,
        0, NULL, "delete",
      "Old segments are deleted, never compacted: only delete is accepted"},
  {"compression.type", RG_KAFKA_CONFIG_TYPE_STRING, EFFECT_NO_EFFECT,
        JOURNAL_NONE, 0, compression_types, "producer",
        "Accepted without effect: batches are stored as the producer "
      "compressed them, never recompressed"},
  {"delete.retention.ms", RG_KAFKA_CONFIG_TYPE_LONG, EFFECT_NO_EFFECT,
        JOURNAL_NONE, 0, NULL, "86400000",
      "Accepted without effect: it concerns compaction, which never runs"},
  {"flush.messages", RG_KAFKA_CONFIG_TYPE_LONG, EFFECT_NO_EFFECT,
        JOURNAL_NONE, 1, NULL, "9223372036854775807",
        "Accepted without effect: durability is the element's sync policy "
      "(rgbrokersink ingest-sync)"},
  {"flush.ms", RG_KAFKA_CONFIG_TYPE_LONG, EFFECT_NO_EFFECT, JOURNAL_NONE, 0,
        NULL, "9223372036854775807",
        "Accepted without effect: durability is the element's sync policy "
      "(rgbrokersink ingest-sync)"},
  {"max.message.bytes", RG_KAFKA_CONFIG_TYPE_INT, EFFECT_APPLIED,
        JOURNAL_NONE, 0, NULL, NULL,
        "The largest record batch a Produce may carry (MESSAGE_TOO_LARGE "
      "past it); by default the broker's max-request-bytes"},
  {"message.format.version", RG_KAFKA_CONFIG_TYPE_STRING, EFFECT_NO_EFFECT,
        JOURNAL_NONE, 0, NULL, "3.0-IV1",
        "Accepted without effect, as by Kafka 3.x: batches are stored in "
      "the format the producer sent"},
  {"message.timestamp.type", RG_KAFKA_CONFIG_TYPE_STRING, EFFECT_FIXED,
        JOURNAL_NONE, 0, NULL, "CreateTime",
      "Records keep the producer's timestamps: only CreateTime"},
  {"min.insync.replicas", RG_KAFKA_CONFIG_TYPE_INT, EFFECT_FIXED,
        JOURNAL_NONE, 0, NULL, "1",
      "One broker, one replica: only 1"},
  {"preallocate", RG_KAFKA_CONFIG_TYPE_BOOLEAN, EFFECT_NO_EFFECT,
        JOURNAL_NONE, 0, booleans, "false",
      "Accepted without effect: segments grow as written"},
  {"retention.bytes", RG_KAFKA_CONFIG_TYPE_LONG, EFFECT_JOURNAL,
        JOURNAL_RETENTION_BYTES, -1, NULL, NULL,
        "Journal-backed topics: the oldest segments are deleted while the "
      "journal is larger (-1: keep all); in memory: only -1"},
  {"retention.ms", RG_KAFKA_CONFIG_TYPE_LONG, EFFECT_JOURNAL,
        JOURNAL_RETENTION_MS, -1, NULL, NULL,
        "Journal-backed topics: segments whose newest record is older are "
      "deleted (-1: keep all); in memory: only -1"},
  {"segment.bytes", RG_KAFKA_CONFIG_TYPE_INT, EFFECT_JOURNAL,
        JOURNAL_SEGMENT_BYTES, 14, NULL, NULL,
        "Journal-backed topics: a new segment starts past this size; in "
      "memory: accepted without effect (no segments)"},
  {"segment.ms", RG_KAFKA_CONFIG_TYPE_LONG, EFFECT_JOURNAL,
        JOURNAL_SEGMENT_MS, 1, NULL, NULL,
        "Journal-backed topics: a new segment starts once the first "
      "record is this old; in memory: accepted without effect"},
  {"unclean.leader.election.enable", RG_KAFKA_CONFIG_TYPE_BOOLEAN,
        EFFECT_NO_EFFECT, JOURNAL_NONE, 0, booleans, "false",
      "Accepted without effect: one replica, no election"},
};

/* Broker keys Kafka changes at run time (its DynamicBrokerConfig) whose
 * concept does not exist here: stored and reported, no effect. Named one
 * by one, never by prefix, so that the settings a client can make the
 * broker keep are bounded. */
static const gchar *const broker_dynamic_keys[] = {
  "sasl.kerberos.kinit.cmd", "sasl.kerberos.min.time.before.relogin",
  "sasl.kerberos.principal.to.local.rules", "sasl.kerberos.service.name",
  "sasl.kerberos.ticket.renew.jitter",
  "sasl.kerberos.ticket.renew.window.factor",
  "log.cleaner.threads", "log.cleaner.io.max.bytes.per.second",
  "log.cleaner.dedupe.buffer.size", "log.cleaner.io.buffer.size",
  "log.cleaner.io.buffer.load.factor", "log.cleaner.backoff.ms",
  "log.cleaner.min.cleanable.ratio", "log.cleaner.delete.retention.ms",
  "log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms",
  "background.threads", "num.io.threads", "num.network.threads",
  "num.replica.fetchers", "num.recovery.threads.per.data.dir",
  "unclean.leader.election.enable", "metric.reporters",
  "follower.replication.throttled.rate",
  "leader.replication.throttled.rate", NULL
};

/* Broker keys Kafka changes at run time that the broker applies at once
 * (the connection limits, checked at each accept), with their smallest
 * value. */
static const struct
{
  const gchar *key;
  gint64 min;
} broker_applied_keys[] = {
  {"max.connections", 1},
  {"max.connections.per.ip", 0},
};

/* Broker keys Kafka changes at run time that are properties of the
 * running element here: changing them would take a restart, so they are
 * refused as static ones. */
static const gchar *const broker_element_prefixes[] = {
  "ssl.", "sasl.", "listener.name.", "log.", NULL
};

static const gchar *const broker_element_keys[] = {
  "listeners", "advertised.listeners", "listener.security.protocol.map",
  "max.connections.per.ip.overrides", "max.connection.creation.rate",
  "message.max.bytes", "compression.type", NULL
};

/* Static broker keys (a Kafka broker needs a restart): refused. */
static const gchar *const broker_static_keys[] = {
  "broker.id", "node.id", "log.dirs", "log.dir", "zookeeper.connect",
  "auto.create.topics.enable", "num.partitions", "default.replication.factor",
  "socket.request.max.bytes", "connections.max.idle.ms",
  "request.timeout.ms", "authorizer.class.name", "process.roles",
  "offset.metadata.max.bytes", NULL
};

typedef struct
{
  gchar *key;
  gchar *value;
  gint8 type;
} BrokerStatic;

struct _RgBrokerConfigs
{
  gsize max_message_bytes;
  /* Set once, before clients connect. */
  gchar *root;
  gboolean journal_backed;
  RgJournalConfig journal;

  pthread_mutex_t lock;
  /* Topic name -> GHashTable (key -> value), both owned. */
  GHashTable *topics;
  /* Topics with a max.message.bytes setting: Produce skips the lookup
   * when none has. Read without the lock. */
  gint n_limited;
  /* The element's properties (BrokerStatic), and the dynamic broker
   * settings (key -> value). */
  GArray *broker_static;
  GHashTable *broker_dynamic;
  RgBrokerConfigsApplyFunc apply;
  gpointer apply_data;
};

static gboolean
in_list (const gchar * const *list, const gchar * s)
{
  for (; *list; list++)
    if (g_ascii_strcasecmp (*list, s) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_prefix_in (const gchar * const *list, const gchar * s)
{
  for (; *list; list++)
    if (g_str_has_prefix (s, *list))
      return TRUE;
  return FALSE;
}

static void
broker_static_clear (gpointer p)
{
  BrokerStatic *b = p;

  g_free (b->key);
  g_free (b->value);
}

static GHashTable *
settings_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

RgBrokerConfigs *
rg_broker_configs_new (gsize max_message_bytes)
{
  RgBrokerConfigs *c = g_new0 (RgBrokerConfigs, 1);

  c->max_message_bytes = max_message_bytes;
  rg_journal_config_init (&c->journal);
  pthread_mutex_init (&c->lock, NULL);
  c->topics = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_hash_table_unref);
  c->broker_static = g_array_new (FALSE, TRUE, sizeof (BrokerStatic));
  g_array_set_clear_func (c->broker_static, broker_static_clear);
  c->broker_dynamic = settings_new ();
  return c;
}

void
rg_broker_configs_set_max_message_bytes (RgBrokerConfigs * c,
    gsize max_message_bytes)
{
  pthread_mutex_lock (&c->lock);
  c->max_message_bytes = max_message_bytes;
  pthread_mutex_unlock (&c->lock);
}

void
rg_broker_configs_free (RgBrokerConfigs * c)
{
  if (!c)
    return;
  g_hash_table_unref (c->topics);
  g_hash_table_unref (c->broker_dynamic);
  g_array_unref (c->broker_static);
  pthread_mutex_destroy (&c->lock);
  g_free (c->root);
  g_free (c);
}

static const TopicKey *
find_topic_key (const gchar * key)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (topic_keys); i++)
    if (strcmp (topic_keys[i].name, key) == 0)
      return &topic_keys[i];
  return NULL;
}

/* ---- Persistence ---- */

static gchar *
settings_path (RgBrokerConfigs * c, const gchar * name)
{
  gchar *file = g_strconcat (name, FILE_SUFFIX, NULL);
  gchar *path = g_build_filename (c->root, file, NULL);

  g_free (file);
  return path;
}

/* Parses one settings file into a new table; unknown keys and malformed
 * lines are skipped with a warning (a newer version may have written
 * them). */
static GHashTable *
settings_load (const gchar * path)
{
  GHashTable *settings;
  gchar *text = NULL, **lines;
  GError *error = NULL;
  guint i;

  if (!g_file_get_contents (path, &text, NULL, &error)) {
    GST_WARNING ("topic configs %s: %s", path, error->message);
    g_clear_error (&error);
    return NULL;
  }
  settings = settings_new ();
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar *eq = strchr (lines[i], '=');

    if (lines[i][0] == '\0')
      continue;
    if (!eq || eq == lines[i]) {
      GST_WARNING ("topic configs %s: line %u skipped", path, i + 1);
      continue;
    }
    *eq = '\0';
    g_hash_table_replace (settings, g_strdup (lines[i]), g_strdup (eq + 1));
  }
  g_strfreev (lines);
  g_free (text);
  return settings;
}

/* Writes @settings of @name atomically (rg_file_replace()), or removes
 * the file when they are empty. */
static gboolean
settings_store (RgBrokerConfigs * c, const gchar * name,
    GHashTable * settings, GError ** error)
{
  gchar *path = settings_path (c, name);
  GString *text = g_string_new (NULL);
  GHashTableIter it;
  gpointer k, v;
  gboolean ok;

  g_hash_table_iter_init (&it, settings);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_string_append_printf (text, "%s=%s\n", (gchar *) k, (gchar *) v);
  if (text->len == 0)
    ok = rg_file_remove (path, error);
  else
    ok = rg_file_replace (path, text->str, text->len, error);
  g_string_free (text, TRUE);
  g_free (path);
  return ok;
}

static void
count_limited_locked (RgBrokerConfigs * c)
{
  GHashTableIter it;
  gpointer settings;
  gint n = 0;

  g_hash_table_iter_init (&it, c->topics);
  while (g_hash_table_iter_next (&it, NULL, &settings))
    n += g_hash_table_contains (settings, "max.message.bytes");
  g_atomic_int_set (&c->n_limited, n);
}

static gboolean
journal_exists (const gchar * root, const gchar * name)
{
  gchar *dir = g_build_filename (root, name, NULL);
  gboolean exists = g_file_test (dir, G_FILE_TEST_IS_DIR);

  g_free (dir);
  return exists;
}

void
rg_broker_configs_set_journal (RgBrokerConfigs * c, const gchar * root,
    const RgJournalConfig * journal)
{
  GDir *dir;
  const gchar *entry;

  pthread_mutex_lock (&c->lock);
  g_free (c->root);
  c->root = g_strdup (root);
  c->journal_backed = TRUE;
  c->journal = *journal;
  dir = g_dir_open (root, 0, NULL);
  while (dir && (entry = g_dir_read_name (dir))) {
    gchar *path, *name;
    GHashTable *settings;

    if (!g_str_has_suffix (entry, FILE_SUFFIX))
      continue;
    name = g_strndup (entry, strlen (entry) - strlen (FILE_SUFFIX));
    path = g_build_filename (root, entry, NULL);
    if (!journal_exists (root, name)) {
      /* Left by a deletion cut short (the journal goes first): a topic
       * created later under the name must not inherit them. */
      GST_INFO ("topic configs %s: no journal, removed", path);
      g_unlink (path);
      g_free (name);
      g_free (path);
      continue;
    }
    settings = settings_load (path);
    if (settings)
      g_hash_table_replace (c->topics, name, settings);
    else
      g_free (name);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  count_limited_locked (c);
  pthread_mutex_unlock (&c->lock);
}

/* ---- Topic keys ---- */

/* The value in force when topic @kind has no setting of @k (transfer
 * full). */
static gchar *
topic_default (RgBrokerConfigs * c, const TopicKey * k,
    RgBrokerConfigsTopicKind kind, gint8 * source)
{
  const RgJournalConfig *j = &c->journal;
  gboolean journal = kind == RG_BROKER_CONFIGS_JOURNAL;

  *source = RG_KAFKA_CONFIG_SOURCE_DEFAULT;
  if (k->fixed_default)
    return g_strdup (k->fixed_default);
  if (k->journal == JOURNAL_NONE) {
    /* max.message.bytes: the request size limit, an element property. */
    *source = RG_KAFKA_CONFIG_SOURCE_STATIC_BROKER;
    return g_strdup_printf ("%" G_GSIZE_FORMAT,
        MIN (c->max_message_bytes, (gsize) G_MAXINT32));
  }
  if (!journal) {
    /* In memory: no segments, no retention but the ring's. */
    return g_strdup (k->journal == JOURNAL_SEGMENT_BYTES ? "1073741824" :
        k->journal == JOURNAL_SEGMENT_MS ? "604800000" : "-1");
  }
  *source = RG_KAFKA_CONFIG_SOURCE_STATIC_BROKER;
  switch (k->journal) {
    case JOURNAL_SEGMENT_BYTES:
      return g_strdup_printf ("%" G_GUINT64_FORMAT,
          MIN (j->max_segment_bytes ? j->max_segment_bytes : G_MAXINT32,
              (guint64) G_MAXINT32));
    case JOURNAL_SEGMENT_MS:
      return GST_CLOCK_TIME_IS_VALID (j->max_segment_time) ?
          g_strdup_printf ("%" G_GUINT64_FORMAT,
          GST_TIME_AS_MSECONDS (j->max_segment_time)) :
          g_strdup ("9223372036854775807");
    case JOURNAL_RETENTION_BYTES:
      return j->max_bytes ? g_strdup_printf ("%" G_GUINT64_FORMAT,
          j->max_bytes) : g_strdup ("-1");
    default:
      return GST_CLOCK_TIME_IS_VALID (j->max_age) ?
          g_strdup_printf ("%" G_GUINT64_FORMAT,
          GST_TIME_AS_MSECONDS (j->max_age)) : g_strdup ("-1");
  }
}

/* Parses a decimal integer of the whole string within [@min, @max]. */
static gboolean
parse_int (const gchar * value, gint64 min, gint64 max, gint64 * out)
{
  gchar *end = NULL;
  gint64 v;

  if (!value || !*value)
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (value, &end, 10);
  if (errno || *end || v < min || v > max)
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

/* Whether @value is well-formed for @k. */
static gboolean
value_valid (const TopicKey * k, const gchar * value)
{
  if (strlen (value) > MAX_VALUE_BYTES)
    return FALSE;
  switch (k->type) {
    case RG_KAFKA_CONFIG_TYPE_INT:
      return parse_int (value, k->min, G_MAXINT32, NULL);
    case RG_KAFKA_CONFIG_TYPE_LONG:
      return parse_int (value, k->min, G_MAXINT64, NULL);
    default:
      return !k->allowed || in_list (k->allowed, value);
  }
}

gint16
rg_broker_configs_check_topic (RgBrokerConfigs * c,
    RgBrokerConfigsTopicKind kind, const gchar * key, const gchar * value,
    gchar ** message)
{
  const TopicKey *k = find_topic_key (key);
  gchar *in_force;
  gint8 source;
  gboolean same;

  if (!k)
    goto unknown;
  if (!value)
    goto null_value;
  if (!value_valid (k, value))
    goto invalid;
  /* A pipeline's journal has its element's rotation and retention, which
   * this store does not know: never reported, never "the same". */
  if (kind == RG_BROKER_CONFIGS_SERVED && k->effect == EFFECT_JOURNAL)
    goto served;
  in_force = topic_default (c, k, kind, &source);
  same = g_ascii_strcasecmp (in_force, value) == 0;
  g_free (in_force);
  if (same)
    return RG_KAFKA_NONE;
  if (kind == RG_BROKER_CONFIGS_SERVED)
    goto served;
  if (k->effect == EFFECT_FIXED)
    goto fixed;
  if (kind == RG_BROKER_CONFIGS_MEMORY
      && (k->journal == JOURNAL_RETENTION_BYTES
          || k->journal == JOURNAL_RETENTION_MS))
    goto memory_retention;
  return RG_KAFKA_NONE;

  /* ERRORS */
unknown:
  {
    *message = g_strdup_printf ("Unknown topic config name: %s", key);
    return RG_KAFKA_INVALID_CONFIG;
  }
null_value:
  {
    *message = g_strdup_printf ("Null value not supported for topic "
        "config %s", key);
    return RG_KAFKA_INVALID_REQUEST;
  }
invalid:
  {
    /* The value is quoted only when short: the message goes back in the
     * response and to the log. */
    *message = strlen (value) > 64 ?
        g_strdup_printf ("Invalid value for configuration %s (%"
        G_GSIZE_FORMAT " bytes; at most %d)", key, strlen (value),
        MAX_VALUE_BYTES) :
        g_strdup_printf ("Invalid value %s for configuration %s", value, key);
    return RG_KAFKA_INVALID_CONFIG;
  }
served:
  {
    *message = g_strdup_printf ("%s of a pipeline's topic is set by its "
        "element, not by clients", key);
    return RG_KAFKA_POLICY_VIOLATION;
  }
fixed:
  {
    *message = g_strdup_printf ("Invalid value %s for configuration %s: %s",
        value, key, k->doc);
    return RG_KAFKA_INVALID_CONFIG;
  }
memory_retention:
  {
    *message = g_strdup_printf ("Invalid value %s for configuration %s: an "
        "in-memory ingest topic keeps its last ingest-batches batches; a "
        "retention needs rgbrokersink ingest-location", value, key);
    return RG_KAFKA_INVALID_CONFIG;
  }
}

gint16
rg_broker_configs_check_topic_delete (RgBrokerConfigs * c,
    RgBrokerConfigsTopicKind kind, const gchar * key, gchar ** message)
{
  (void) c;
  if (!find_topic_key (key)) {
    *message = g_strdup_printf ("Unknown topic config name: %s", key);
    return RG_KAFKA_INVALID_CONFIG;
  }
  if (kind == RG_BROKER_CONFIGS_SERVED) {
    *message = g_strdup_printf ("%s of a pipeline's topic is set by its "
        "element, not by clients", key);
    return RG_KAFKA_POLICY_VIOLATION;
  }
  return RG_KAFKA_NONE;
}

/* Applies @pairs to @settings (a copy of the topic's), as
 * rg_broker_configs_set_topic() describes. */
static void
settings_apply (GHashTable * settings, const gchar * const *pairs,
    gboolean incremental)
{
  if (!incremental)
    g_hash_table_remove_all (settings);
  for (; pairs && pairs[0]; pairs += 2) {
    const TopicKey *k = find_topic_key (pairs[0]);

    /* A FIXED key is never stored: its one value is the default. */
    if (!pairs[1] || (k && k->effect == EFFECT_FIXED))
      g_hash_table_remove (settings, pairs[0]);
    else
      g_hash_table_replace (settings, g_strdup (pairs[0]),
          g_strdup (pairs[1]));
  }
}

static GHashTable *
settings_copy (GHashTable * settings)
{
  GHashTable *copy = settings_new ();
  GHashTableIter it;
  gpointer k, v;

  if (settings) {
    g_hash_table_iter_init (&it, settings);
    while (g_hash_table_iter_next (&it, &k, &v))
      g_hash_table_replace (copy, g_strdup (k), g_strdup (v));
  }
  return copy;
}

gboolean
rg_broker_configs_set_topic (RgBrokerConfigs * c, const gchar * name,
    const gchar * const *pairs, gboolean incremental, gchar ** message)
{
  GHashTable *settings;
  GError *error = NULL;

  pthread_mutex_lock (&c->lock);
  settings = settings_copy (g_hash_table_lookup (c->topics, name));
  settings_apply (settings, pairs, incremental);
  if (c->root && !settings_store (c, name, settings, &error))
    goto store_failed;
  if (g_hash_table_size (settings) == 0) {
    g_hash_table_remove (c->topics, name);
    g_hash_table_unref (settings);
  } else {
    g_hash_table_replace (c->topics, g_strdup (name), settings);
  }
  count_limited_locked (c);
  pthread_mutex_unlock (&c->lock);
  return TRUE;

  /* ERRORS */
store_failed:
  {
    pthread_mutex_unlock (&c->lock);
    GST_WARNING ("topic \"%s\": configs not stored: %s", name,
        error->message);
    *message = g_strdup_printf ("The configs could not be stored: %s",
        error->message);
    g_error_free (error);
    g_hash_table_unref (settings);
    return FALSE;
  }
}

void
rg_broker_configs_forget_topic (RgBrokerConfigs * c, const gchar * name)
{
  gchar *path;

  pthread_mutex_lock (&c->lock);
  g_hash_table_remove (c->topics, name);
  if (c->root) {
    GError *err = NULL;

    path = settings_path (c, name);
    if (!rg_file_remove (path, &err)) {
      GST_WARNING ("%s", err->message);
      g_error_free (err);
    }
    g_free (path);
  }
  count_limited_locked (c);
  pthread_mutex_unlock (&c->lock);
}

static void
entry_clear (gpointer p)
{
  RgKafkaConfigEntry *e = p;

  g_free ((gchar *) e->name);
  g_free ((gchar *) e->value);
  g_free ((gchar *) e->documentation);
}

static GArray *
entries_new (void)
{
  GArray *entries = g_array_new (FALSE, TRUE, sizeof (RgKafkaConfigEntry));

  g_array_set_clear_func (entries, entry_clear);
  return entries;
}

static void
describe_topic_key_locked (RgBrokerConfigs * c, GHashTable * settings,
    const TopicKey * k, RgBrokerConfigsTopicKind kind, GArray * entries)
{
  RgKafkaConfigEntry e = { 0 };
  const gchar *set = settings ? g_hash_table_lookup (settings, k->name) :
      NULL;
  gint8 source;

  /* A pipeline's journal rotates and retains by its element's properties
   * (rgjournalsink), not known here: left out rather than reported
   * wrong. */
  if (kind == RG_BROKER_CONFIGS_SERVED && k->effect == EFFECT_JOURNAL)
    return;

  e.name = g_strdup (k->name);
  e.value = topic_default (c, k, kind, &source);
  e.source = source;
  if (set) {
    g_free ((gchar *) e.value);
    e.value = g_strdup (set);
    e.source = RG_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC;
  }
  e.read_only = kind == RG_BROKER_CONFIGS_SERVED || k->effect == EFFECT_FIXED;
  e.type = k->type;
  e.documentation = g_strdup (k->doc);
  g_array_append_val (entries, e);
}

GArray *
rg_broker_configs_describe_topic (RgBrokerConfigs * c, const gchar * name,
    RgBrokerConfigsTopicKind kind, const gchar * const *keys)
{
  GArray *entries = entries_new ();
  GHashTable *settings;
  guint i;

  pthread_mutex_lock (&c->lock);
  settings = kind == RG_BROKER_CONFIGS_SERVED ? NULL :
      g_hash_table_lookup (c->topics, name);
  if (keys) {
    for (; *keys; keys++) {
      const TopicKey *k = find_topic_key (*keys);

      if (k)
        describe_topic_key_locked (c, settings, k, kind, entries);
    }
  } else {
    for (i = 0; i < G_N_ELEMENTS (topic_keys); i++)
      describe_topic_key_locked (c, settings, &topic_keys[i], kind, entries);
  }
  pthread_mutex_unlock (&c->lock);
  return entries;
}

void
rg_broker_configs_journal_config (RgBrokerConfigs * c, const gchar * name,
    RgJournalConfig * out)
{
  GHashTable *settings;
  const gchar *v;
  gint64 n;

  pthread_mutex_lock (&c->lock);
  *out = c->journal;
  settings = g_hash_table_lookup (c->topics, name);
  if (settings) {
    if ((v = g_hash_table_lookup (settings, "segment.bytes"))
        && parse_int (v, 1, G_MAXINT32, &n))
      out->max_segment_bytes = n;
    if ((v = g_hash_table_lookup (settings, "segment.ms"))
        && parse_int (v, 1, G_MAXINT64 / GST_MSECOND, &n))
      out->max_segment_time = (GstClockTime) n * GST_MSECOND;
    if ((v = g_hash_table_lookup (settings, "retention.bytes"))
        && parse_int (v, -1, G_MAXINT64, &n))
      out->max_bytes = n < 0 ? 0 : (guint64) n;
    if ((v = g_hash_table_lookup (settings, "retention.ms"))
        && parse_int (v, -1, G_MAXINT64 / GST_MSECOND, &n))
      out->max_age = n < 0 ? GST_CLOCK_TIME_NONE :
          (GstClockTime) n * GST_MSECOND;
  }
  pthread_mutex_unlock (&c->lock);
}

gsize
rg_broker_configs_max_message_bytes (RgBrokerConfigs * c, const gchar * name)
{
  GHashTable *settings;
  const gchar *v;
  gint64 n = 0;

  if (g_atomic_int_get (&c->n_limited) == 0)
    return 0;
  pthread_mutex_lock (&c->lock);
  settings = g_hash_table_lookup (c->topics, name);
  v = settings ? g_hash_table_lookup (settings, "max.message.bytes") : NULL;
  if (!v || !parse_int (v, 0, G_MAXINT32, &n))
    n = 0;
  pthread_mutex_unlock (&c->lock);
  return (gsize) n;
}

/* ---- Broker keys ---- */

void
rg_broker_configs_add_broker_static (RgBrokerConfigs * c, const gchar * key,
    const gchar * value, gint8 type)
{
  BrokerStatic b = { g_strdup (key), g_strdup (value), type };

  pthread_mutex_lock (&c->lock);
  g_array_append_val (c->broker_static, b);
  pthread_mutex_unlock (&c->lock);
}

static gboolean
broker_is_static_locked (RgBrokerConfigs * c, const gchar * key)
{
  guint i;

  for (i = 0; i < c->broker_static->len; i++)
    if (strcmp (g_array_index (c->broker_static, BrokerStatic, i).key,
            key) == 0)
      return TRUE;
  return in_list (broker_static_keys, key);
}

static gint
broker_applied_index (const gchar * key)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (broker_applied_keys); i++)
    if (strcmp (broker_applied_keys[i].key, key) == 0)
      return i;
  return -1;
}

gint16
rg_broker_configs_check_broker (RgBrokerConfigs * c, const gchar * key,
    const gchar * value, gchar ** message)
{
  gboolean is_static;
  gint applied = broker_applied_index (key);

  if (applied >= 0) {
    if (value && !parse_int (value, broker_applied_keys[applied].min,
            G_MAXINT32, NULL)) {
      *message = g_strdup_printf ("Invalid value %s for configuration %s",
          value, key);
      return RG_KAFKA_INVALID_CONFIG;
    }
    return RG_KAFKA_NONE;
  }
  if (in_list (broker_dynamic_keys, key)) {
    if (value && strlen (value) > MAX_VALUE_BYTES) {
      *message = g_strdup_printf ("Invalid value for configuration %s: "
          "longer than %d bytes", key, MAX_VALUE_BYTES);
      return RG_KAFKA_INVALID_CONFIG;
    }
    return RG_KAFKA_NONE;
  }
  pthread_mutex_lock (&c->lock);
  is_static = broker_is_static_locked (c, key);
  pthread_mutex_unlock (&c->lock);
  if (is_static || in_list (broker_element_keys, key)
      || has_prefix_in (broker_element_prefixes, key)) {
    *message = g_strdup_printf ("Cannot update these configs dynamically: "
        "%s (a property of the running rgbrokersink here)", key);
    return RG_KAFKA_INVALID_REQUEST;
  }
  *message = g_strdup_printf ("Unknown broker config name: %s", key);
  return RG_KAFKA_INVALID_CONFIG;
}

void
rg_broker_configs_set_broker_apply (RgBrokerConfigs * c,
    RgBrokerConfigsApplyFunc func, gpointer user_data)
{
  pthread_mutex_lock (&c->lock);
  c->apply = func;
  c->apply_data = user_data;
  pthread_mutex_unlock (&c->lock);
}

void
rg_broker_configs_set_broker (RgBrokerConfigs * c,
    const gchar * const *pairs, gboolean incremental)
{
  gchar *before[G_N_ELEMENTS (broker_applied_keys)];
  gchar *after[G_N_ELEMENTS (broker_applied_keys)];
  guint i;

  pthread_mutex_lock (&c->lock);
  for (i = 0; i < G_N_ELEMENTS (broker_applied_keys); i++)
    before[i] = g_strdup (g_hash_table_lookup (c->broker_dynamic,
            broker_applied_keys[i].key));
  settings_apply (c->broker_dynamic, pairs, incremental);
  for (i = 0; i < G_N_ELEMENTS (broker_applied_keys); i++)
    after[i] = g_strdup (g_hash_table_lookup (c->broker_dynamic,
            broker_applied_keys[i].key));
  pthread_mutex_unlock (&c->lock);
  /* The keys whose value in force changed go to the broker, outside the
   * lock (the apply function may take its own). */
  for (i = 0; i < G_N_ELEMENTS (broker_applied_keys); i++) {
    if (c->apply && g_strcmp0 (before[i], after[i]) != 0)
      c->apply (broker_applied_keys[i].key, after[i], c->apply_data);
    g_free (before[i]);
    g_free (after[i]);
  }
}

static void
describe_broker_one (GArray * entries, const gchar * key, const gchar * value,
    gint8 type, gboolean read_only, gint8 source)
{
  RgKafkaConfigEntry e = { 0 };

  e.name = g_strdup (key);
  e.value = g_strdup (value);
  e.read_only = read_only;
  e.source = source;
  e.type = type;
  e.documentation = g_strdup (read_only ? "A property of the rgbrokersink "
      "element" : broker_applied_index (key) >= 0 ? "Set at run time, "
      "applied to the connections accepted from now on" :
      "Set at run time; no effect in gst-rg");
  g_array_append_val (entries, e);
}

static gboolean
wanted (const gchar * const *keys, const gchar * key)
{
  if (!keys)
    return TRUE;
  for (; *keys; keys++)
    if (strcmp (*keys, key) == 0)
      return TRUE;
  return FALSE;
}

GArray *
rg_broker_configs_describe_broker (RgBrokerConfigs * c,
    const gchar * const *keys)
{
  GArray *entries = entries_new ();
  GHashTableIter it;
  gpointer k, v;
  guint i;

  pthread_mutex_lock (&c->lock);
  for (i = 0; i < c->broker_static->len; i++) {
    BrokerStatic *b = &g_array_index (c->broker_static, BrokerStatic, i);

    /* A dynamic setting overrides the property: listed below. */
    if (wanted (keys, b->key) && !g_hash_table_contains (c->broker_dynamic,
            b->key))
      describe_broker_one (entries, b->key, b->value, b->type, TRUE,
          RG_KAFKA_CONFIG_SOURCE_STATIC_BROKER);
  }
  g_hash_table_iter_init (&it, c->broker_dynamic);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (wanted (keys, k))
      describe_broker_one (entries, k, v, RG_KAFKA_CONFIG_TYPE_STRING, FALSE,
          RG_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER);
  pthread_mutex_unlock (&c->lock);
  return entries;
}
