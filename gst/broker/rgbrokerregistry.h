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
 * The broker's topic registry (rgbrokerregistry.c): the table from names
 * (topics and their .live views) to topics, the lock that guards it, the
 * ingest topics clients create by naming them, and the names elements
 * reserved before they add their topic. Not installed.
 *
 * Partitions: a pipeline's topic and its .live view have one partition,
 * 0, by design (one stream, one order). An ingest topic has as many as
 * Kafka's num.partitions asks for (rg_broker_registry_set_ingest_partitions())
 * or as a CreateTopics request named (rg_broker_registry_create_ingest()),
 * each an RgBrokerTopic of its own with its own offsets, all carrying the
 * topic's name. Handlers find a partition with
 * rg_broker_registry_lookup_partition(): NULL there is Kafka's
 * UNKNOWN_TOPIC_OR_PARTITION.
 *
 * It sits between the topics (rgbrokertopic.h) and the request handlers
 * (rgbrokerdispatch.c), which look names up here; the facade (rgbroker.c)
 * adds and removes the pipelines' topics.
 *
 * Thread-safety: every function may be called from any thread; one
 * pthread mutex guards the table and is never held while anything but a
 * topic reference is taken.
 *
 * Ownership: the registry holds one reference on each registered topic;
 * lookups return a new reference.
 */

#ifndef __RG_BROKER_REGISTRY_H__
#define __RG_BROKER_REGISTRY_H__

#include "broker/rgbrokertopic.h"

G_BEGIN_DECLS

typedef struct _RgBrokerRegistry RgBrokerRegistry;

/* @port: named in error messages. @ingest_batches: 0 refuses ingest,
 * else the batches each ingest topic keeps. @waker: handed (referenced) to
 * the ingest topics it creates. */
RgBrokerRegistry *rg_broker_registry_new (guint port, guint ingest_batches,
    RgWaker * waker);

/* Ingest topics become journals under @root (rgbrokeringest.h), written
 * with @config (copied); the journals @root holds already are opened at
 * once as ingest topics, with their records and offsets, except names an
 * element reserved. Call once, before clients connect. Fails only when
 * @root cannot be created; a journal that cannot be opened is skipped
 * with a warning. */
gboolean rg_broker_registry_set_ingest_journal (RgBrokerRegistry * registry,
    const gchar * root, const RgJournalConfig * config, GError ** error);

/* At most @max_topics ingest topics (0: no limit); past it, creating one
 * fails with POLICY_VIOLATION and allocates nothing. Journals reopened at
 * start count, and are all opened even beyond the limit. */
void rg_broker_registry_set_max_topics (RgBrokerRegistry * registry,
    guint max_topics);

/* The number of ingest topics registered. */
guint rg_broker_registry_count_ingest (RgBrokerRegistry * registry);

/* The partitions of the ingest topics created from now on by a client
 * naming them (Metadata or Produce), Kafka's num.partitions: clamped to 1
 * .. %RG_BROKER_MAX_INGEST_PARTITIONS. 1 until set. Called before the
 * broker serves clients. */
void rg_broker_registry_set_ingest_partitions (RgBrokerRegistry * registry,
    guint n_partitions);

/* The partitions of the ingest topics a client creates by naming them
 * (what CreateTopics' -1 means). */
guint rg_broker_registry_get_ingest_partitions (RgBrokerRegistry * registry);

/* Detaches every topic still registered and frees the registry. */
void rg_broker_registry_free (RgBrokerRegistry * registry);

/* Registers @topic (transfer full) under its name and returns it, or NULL
 * with %RG_BROKER_ERROR_INVALID (bad name) or
 * %RG_BROKER_ERROR_TOPIC_EXISTS (the message says whether an element or a
 * producing client holds the name). A name reserved with
 * rg_broker_registry_reserve() may be registered. */
RgBrokerTopic *rg_broker_registry_add (RgBrokerRegistry * registry,
    RgBrokerTopic * topic, GError ** error);

/* Also registers @topic as "<name>.live" with a lag budget of @max_lag. */
gboolean rg_broker_registry_add_live (RgBrokerRegistry * registry,
    RgBrokerTopic * topic, guint max_lag, GError ** error);

/* Unregisters @topic and its view, detaches it, drops the registry's
 * references (not the caller's). */
void rg_broker_registry_remove (RgBrokerRegistry * registry,
    RgBrokerTopic * topic);

/* Reserves @name: no ingest topic is created under it, so that the
 * element that reserved it can register it later. Reservations are
 * counted. Fails with %RG_BROKER_ERROR_TOPIC_EXISTS when a client's
 * ingest topic already holds the name. */
gboolean rg_broker_registry_reserve (RgBrokerRegistry * registry,
    const gchar * name, GError ** error);
void rg_broker_registry_unreserve (RgBrokerRegistry * registry,
    const gchar * name);

/* A new reference to the topic registered as @name (an ingest topic's
 * partition 0), or NULL. */
RgBrokerTopic *rg_broker_registry_lookup (RgBrokerRegistry * registry,
    RgKafkaStr name);

/* As rg_broker_registry_lookup(), but an unknown, unreserved, legal name
 * becomes a new ingest topic when the registry accepts ingest and
 * auto-creates (rg_broker_registry_set_auto_create()), with the
 * registry's ingest partitions; returns its partition 0. */
RgBrokerTopic *rg_broker_registry_ensure_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name);

/* Whether the registry creates ingest topics (the broker's ingest). */
gboolean rg_broker_registry_accepts_ingest (RgBrokerRegistry * registry);

/* DeleteTopics of @name: unregisters and detaches the ingest topic (a
 * parked fetch of it then answers UNKNOWN_TOPIC_OR_PARTITION), or with
 * @validate_only only checks that it could. Returns NONE,
 * UNKNOWN_TOPIC_OR_PARTITION (no such name), or
 * TOPIC_AUTHORIZATION_FAILED (a pipeline's topic or view: never deleted
 * by a client). A durable topic's journal is removed
 * (rg_broker_ingest_remove()); KAFKA_STORAGE_ERROR if that failed. */
gint16 rg_broker_registry_delete_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gboolean validate_only);

/* As rg_broker_registry_ensure_ingest(), and when no topic is returned,
 * @error_code (nullable) says why, as Kafka would: UNKNOWN_TOPIC_OR_PARTITION
 * (ingest off, a reserved or illegal name), POLICY_VIOLATION (the topic
 * limit), KAFKA_STORAGE_ERROR (its journal could not be opened). */
RgBrokerTopic *rg_broker_registry_get_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gint16 * error_code);

/* A new reference to partition @partition of the topic registered as
 * @name, or NULL when there is no such topic or no such partition. */
RgBrokerTopic *rg_broker_registry_lookup_partition (RgBrokerRegistry *
    registry, RgKafkaStr name, gint32 partition);

/* Whether the broker serves partition @partition of the topic registered
 * as @name (a commit or a deletion for one it does not serve is refused
 * with UNKNOWN_TOPIC_OR_PARTITION, as Kafka does). */
gboolean rg_broker_registry_has_partition (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 partition);

/* As rg_broker_registry_lookup_partition(), but creates the ingest topic
 * first as rg_broker_registry_ensure_ingest() does. */
RgBrokerTopic *rg_broker_registry_ensure_partition (RgBrokerRegistry *
    registry, RgKafkaStr name, gint32 partition);

/* The error Metadata answers for @name when no topic has it:
 * INVALID_TOPIC_EXCEPTION (17) when the registry accepts ingest,
 * auto-creates, and Kafka
 * would refuse the name (a Kafka broker that creates topics says so, and
 * a producer fails its records at once instead of waiting for the topic),
 * else UNKNOWN_TOPIC_OR_PARTITION (3). */
gint16 rg_broker_registry_missing_error (RgBrokerRegistry * registry,
    RgKafkaStr name);

/* How many partitions the topic registered as @name has: 0 for an
 * unknown name, 1 for a pipeline's topic or view. */
guint rg_broker_registry_count_partitions (RgBrokerRegistry * registry,
    RgKafkaStr name);

/* CreateTopics of @name with @n_partitions partitions (-1: the
 * registry's ingest partitions, as Kafka's default): creates an empty
 * ingest topic, or with @validate_only only checks that it could.
 * Returns the Kafka error code: NONE; POLICY_VIOLATION (44) when the
 * registry does not accept ingest; INVALID_TOPIC_EXCEPTION (17) for a name
 * Kafka would refuse; INVALID_PARTITIONS (37) for a count outside 1 ..
 * %RG_BROKER_MAX_INGEST_PARTITIONS; TOPIC_ALREADY_EXISTS (36) when the
 * name is registered (a pipeline's topic, its .live view, or an ingest
 * topic) or an element reserved it; POLICY_VIOLATION past the topic limit
 * too; KAFKA_STORAGE_ERROR when a durable topic's journal could not be
 * created. A journal-backed ingest topic has one partition (more are
 * INVALID_PARTITIONS). */
gint16 rg_broker_registry_create_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 n_partitions, gboolean validate_only);

/* CreatePartitions of @name: grows the in-memory ingest topic to
 * @count partitions (the new ones empty, at offset 0), or with
 * @validate_only only checks that it could. *@current (nullable) receives
 * the partitions it had (0 when unknown). Returns the Kafka error code:
 * NONE; UNKNOWN_TOPIC_OR_PARTITION (3) for a name no topic has;
 * POLICY_VIOLATION (44) for a pipeline's topic or its .live view (one
 * partition by design); INVALID_PARTITIONS (37) when @count is not above
 * the current count (topics never shrink), is above
 * %RG_BROKER_MAX_INGEST_PARTITIONS, or the topic is journal-backed (one
 * journal is one partition's log). The new partitions are served (Metadata,
 * Produce, Fetch) as soon as this returns. */
gint16 rg_broker_registry_grow_ingest (RgBrokerRegistry * registry,
    RgKafkaStr name, gint32 count, gboolean validate_only, guint * current);

/* The topics' and the broker's configs (rgbrokerconfigs.h), owned by
 * the registry (transfer none): a journal-backed ingest topic is opened
 * with its configs' rotation and retention, and a deleted topic's
 * configs are dropped. */
struct _RgBrokerConfigs *rg_broker_registry_get_configs (RgBrokerRegistry *
    registry);

/* Whether ingest topics are journals (rg_broker_registry_set_ingest_journal()
 * was called). */
gboolean rg_broker_registry_is_journal_backed (RgBrokerRegistry * registry);

/* Kafka's auto.create.topics.enable: with FALSE, a Metadata or Produce
 * that names an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION instead of
 * creating it (rg_broker_registry_get_ingest() only looks names up);
 * CreateTopics still creates. TRUE until set. Called before the broker
 * serves clients. */
void rg_broker_registry_set_auto_create (RgBrokerRegistry * registry,
    gboolean auto_create);

/* Appends a reference to every registered topic to @topics and the name
 * it is registered under (owned by that topic) to @names, one entry per
 * name (.live views included). */
void rg_broker_registry_list (RgBrokerRegistry * registry,
    GPtrArray * topics, GPtrArray * names);

G_END_DECLS

#endif /* __RG_BROKER_REGISTRY_H__ */
