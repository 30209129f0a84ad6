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
 * Topic and broker configs (rgbrokerconfigs.c): the table of the topic
 * config keys the broker knows (type, default, validation and what each
 * does here), the configs clients set on ingest topics (CreateTopics,
 * AlterConfigs, IncrementalAlterConfigs), kept in memory and, for a
 * journal-backed broker, in a small file beside each topic's journal so
 * they survive a restart; and the broker's own configs (its element's
 * properties, read-only, and the dynamic broker keys a client set).
 * docs/protocol.md ("Topic and broker configs") has the table.
 *
 * It sits beneath the registry (which owns one store, asks it for a new
 * journal's rotation and retention, and tells it when a topic is deleted)
 * and the config apis' handlers (rgbrokerconfigsapi.c); it knows nothing
 * of requests or topics, only names, keys and values.
 *
 * Thread-safety: every function may be called from any thread; one mutex
 * (pthread, as every broker lock: ThreadSanitizer sees it) guards the
 * store and is held only inside these functions.
 *
 * Errors: the checks return a Kafka error code and a message (owned by
 * the caller) naming the key, as a Kafka broker's answer does.
 */

#ifndef __RG_BROKER_CONFIGS_H__
#define __RG_BROKER_CONFIGS_H__

#include "broker/rgbroker.h"
#include "journal/rgjournal.h"
#include "kafka/rgkafkaconfigs.h"

G_BEGIN_DECLS

typedef struct _RgBrokerConfigs RgBrokerConfigs;

/* The kind of topic a config is read or set for. */
typedef enum
{
  RG_BROKER_CONFIGS_MEMORY,     /* an in-memory ingest topic */
  RG_BROKER_CONFIGS_JOURNAL,    /* a journal-backed ingest topic */
  RG_BROKER_CONFIGS_SERVED,     /* a pipeline's topic or its .live view */
} RgBrokerConfigsTopicKind;

/* A new, empty store. @max_message_bytes: the largest batch a Produce can
 * carry without a topic setting (the broker's request size limit, what is
 * in force then). */
RgBrokerConfigs *rg_broker_configs_new (gsize max_message_bytes);
void rg_broker_configs_free (RgBrokerConfigs * configs);

/* Changes what rg_broker_configs_new() was given (the facade knows the
 * request size limit once its settings are decided). */
void rg_broker_configs_set_max_message_bytes (RgBrokerConfigs * configs,
    gsize max_message_bytes);

/* Journal-backed ingest: @journal (copied) is the rotation and retention a
 * topic without settings gets, and the topics' settings are kept in
 * "<root>/<name>+configs" ('+' is not legal in a topic name, so no journal
 * directory can have the name). Loads the files @root holds. Call once,
 * before the journals are reopened. */
void rg_broker_configs_set_journal (RgBrokerConfigs * configs,
    const gchar * root, const RgJournalConfig * journal);

/* Checks @key=@value (@value nullable: null) for a topic of @kind. NONE
 * when it may be set; INVALID_CONFIG for an unknown key, a bad value, or a
 * value that would promise what the broker does not do (compaction, a
 * time retention in memory); INVALID_REQUEST for a null value. *@message
 * (transfer full) says why. A key a topic cannot change is accepted with
 * the value in force (a client writing back what it read). */
gint16 rg_broker_configs_check_topic (RgBrokerConfigs * configs,
    RgBrokerConfigsTopicKind kind, const gchar * key, const gchar * value,
    gchar ** message);

/* Checks IncrementalAlterConfigs' DELETE of @key (back to its default):
 * INVALID_CONFIG for an unknown key, POLICY_VIOLATION for a pipeline's
 * topic, else NONE. */
gint16 rg_broker_configs_check_topic_delete (RgBrokerConfigs * configs,
    RgBrokerConfigsTopicKind kind, const gchar * key, gchar ** message);

/* Replaces the settings of topic @name with @pairs (key, value, key,
 * value, ..., NULL; checked before), or with @incremental changes only the
 * keys named (a NULL value deletes the setting: back to the default).
 * Persists them when journal-backed. FALSE with *@message when the file
 * could not be written (the settings then are unchanged). */
gboolean rg_broker_configs_set_topic (RgBrokerConfigs * configs,
    const gchar * name, const gchar * const *pairs, gboolean incremental,
    gchar ** message);

/* Drops the settings of @name (its topic was deleted, or its creation
 * failed) and its file. */
void rg_broker_configs_forget_topic (RgBrokerConfigs * configs,
    const gchar * name);

/* The configs of topic @name (of @kind) as DescribeConfigs and CreateTopics
 * report them: @keys (nullable: every one) in table order, or in the
 * order asked with unknown keys left out, as Kafka does. Returns (transfer
 * full) an array of RgKafkaConfigEntry whose strings it owns (free with
 * g_array_unref()). */
GArray *rg_broker_configs_describe_topic (RgBrokerConfigs * configs,
    const gchar * name, RgBrokerConfigsTopicKind kind,
    const gchar * const *keys);

/* @base with the journal settings of topic @name applied (segment.bytes,
 * segment.ms, retention.bytes, retention.ms) into @out. */
void rg_broker_configs_journal_config (RgBrokerConfigs * configs,
    const gchar * name, RgJournalConfig * out);

/* The largest batch topic @name accepts (max.message.bytes), 0 when it
 * has no setting (the request size limit is then the only one). Cheap
 * when no topic has the setting. */
gsize rg_broker_configs_max_message_bytes (RgBrokerConfigs * configs,
    const gchar * name);

/* The broker's node id, the name of its BROKER resource. */
#define RG_BROKER_CONFIGS_NODE_ID "0"

/* Records a static broker config (an element property), reported
 * read-only by DescribeConfigs on the broker resource. Called by the
 * facade before clients connect. */
void rg_broker_configs_add_broker_static (RgBrokerConfigs * configs,
    const gchar * key, const gchar * value, gint8 type);

/* Checks a change of broker config @key to @value (NULL: delete): NONE for
 * a key Kafka can change at run time that the broker applies
 * (max.connections, max.connections.per.ip: a whole number, at least 1
 * and 0) or that has no effect here; INVALID_REQUEST for a key that
 * needs a restart ("Cannot update these configs dynamically", as Kafka
 * answers) or that names a property of the running element; INVALID_CONFIG
 * for an unknown key. *@message (transfer full) says why. */
gint16 rg_broker_configs_check_broker (RgBrokerConfigs * configs,
    const gchar * key, const gchar * value, gchar ** message);

/* Called when the value in force of a broker key the broker applies at
 * run time (max.connections, max.connections.per.ip) changed: @value is
 * the new one, NULL when the setting was deleted (back to the element's
 * property). Called from the thread that changed it, without the store's
 * lock. */
typedef void (*RgBrokerConfigsApplyFunc) (const gchar * key,
    const gchar * value, gpointer user_data);

/* Sets the one apply function (the facade's). Before clients connect. */
void rg_broker_configs_set_broker_apply (RgBrokerConfigs * configs,
    RgBrokerConfigsApplyFunc func, gpointer user_data);

/* As rg_broker_configs_set_topic() for the broker's dynamic configs (in
 * memory: a restart takes the element's properties again, as a Kafka
 * broker without ZooKeeper's copy would); the keys the broker applies go
 * to the apply function. */
void rg_broker_configs_set_broker (RgBrokerConfigs * configs,
    const gchar * const *pairs, gboolean incremental);

/* The broker's configs: its static ones, then the dynamic ones set; as
 * rg_broker_configs_describe_topic(). */
GArray *rg_broker_configs_describe_broker (RgBrokerConfigs * configs,
    const gchar * const *keys);

G_END_DECLS

#endif /* __RG_BROKER_CONFIGS_H__ */
