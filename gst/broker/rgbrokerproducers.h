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
 * Idempotent producers of the embedded broker (rgbrokerproducers.c): the
 * producer ids InitProducerId hands out, and per (producer id, topic) the
 * epoch and the sequence ranges of the last five batches appended, which
 * make a retried or replayed batch land in an ingest topic once. The
 * rules are Kafka's; they are described at the top of
 * rgbrokerproducers.c and in docs/protocol.md. Not installed.
 *
 * It sits between the request handlers (rgbrokerdispatch.c,
 * rgbrokeradmin.c) and the topics (rgbrokertopic.h): the Produce handler
 * hands it each partition of an ingest topic, and it appends through
 * rg_broker_topic_produce() what its checks let through.
 *
 * Memory is bounded: at most @max_producers producer ids and as many
 * (producer id, topic) sequence states are kept; past that, and for
 * entries unused for @idle_expiry_ms, the least recently used is
 * forgotten first. The state lives as long as the broker (not across a
 * restart).
 *
 * Thread-safety: every function may be called from any thread; one
 * mutex guards the tables. In the broker only the loop thread calls them.
 *
 * Time: functions that take @now_ms use it (monotonic milliseconds) for
 * expiry only, so that tests can drive it; rg_broker_producers_produce()
 * reads the monotonic clock itself.
 */

#ifndef __RG_BROKER_PRODUCERS_H__
#define __RG_BROKER_PRODUCERS_H__

#include "broker/rgbrokertopic.h"
#include "kafka/rgkafkaadmin.h"
#include "record/rgbatch.h"

G_BEGIN_DECLS

/* Batches per (producer id, topic) whose sequence ranges are kept for
 * duplicate detection: Kafka's number, and the most a client keeps in
 * flight (max.in.flight.requests.per.connection <= 5 with idempotence). */
#define RG_BROKER_PRODUCER_BATCHES 5

/* Defaults: producer ids and sequence states kept, and how long an
 * unused one is kept (Kafka's producer.id.expiration.ms, one day). */
#define RG_BROKER_PRODUCERS_DEFAULT_MAX 10000
#define RG_BROKER_PRODUCERS_DEFAULT_IDLE_MS (24 * 3600 * 1000)

typedef struct _RgBrokerProducers RgBrokerProducers;

/* @max_producers (at least 1) and @idle_expiry_ms (> 0) bound the state
 * as above. @first_id: the first producer id handed out; the broker uses
 * the wall clock in ms times 1000, so that a restarted broker does not
 * hand out the ids of its previous run again. */
RgBrokerProducers *rg_broker_producers_new (guint max_producers,
    gint64 idle_expiry_ms, gint64 first_id);
void rg_broker_producers_free (RgBrokerProducers * producers);

/* InitProducerId of an idempotent (non-transactional) producer.
 * @producer_id and @producer_epoch are the request's (v3+; -1 before):
 * when they name the current epoch of an id handed out here, the epoch is
 * bumped (KIP-360) and the same id returned; when they name the epoch
 * before it (a retry of that bump), the current one is returned again;
 * any other epoch of a known id is fenced (INVALID_PRODUCER_EPOCH, or
 * PRODUCER_FENCED when @fenced_code_ok: InitProducerId v4+). Otherwise a
 * new id with epoch 0. Returns the Kafka error code. */
gint16 rg_broker_producers_init_id (RgBrokerProducers * producers,
    gint64 producer_id, gint16 producer_epoch, gboolean fenced_code_ok,
    gint64 now_ms, gint64 * out_id, gint16 * out_epoch);

/* Checks an idempotent batch (@info->producer_id >= 0) for @topic_name
 * without changing anything. Returns NONE (append it), or
 * DUPLICATE_SEQUENCE_NUMBER with the offset it was appended at in
 * *@duplicate_offset and the offset after its last record in
 * *@duplicate_end (nullable) (acknowledge it, do not append), or the
 * error to
 * answer: OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH,
 * UNKNOWN_PRODUCER_ID. A transactional batch is checked the same way (the
 * transaction coordinator decided first whether it may be appended). */
gint16 rg_broker_producers_check (RgBrokerProducers * producers,
    const gchar * topic_name, const RgBatchInfo * info, gint64 now_ms,
    gint64 * duplicate_offset, gint64 * duplicate_end);

/* Records that the batch @info, which rg_broker_producers_check() let
 * through, was appended to @topic_name at @base_offset. */
void rg_broker_producers_record (RgBrokerProducers * producers,
    const gchar * topic_name, const RgBatchInfo * info, gint64 base_offset,
    gint64 now_ms);

/* One partition of a Produce into the ingest topic @topic: record sets
 * without a producer id are appended as they are; an idempotent one must
 * hold exactly one batch (INVALID_RECORD otherwise, as Kafka requires of
 * Produce v3+), is checked, appended and recorded. A duplicate answers
 * NONE with its original offset in *@base_offset. Control batches are
 * refused with INVALID_RECORD. Returns the Kafka error code.
 *
 * @end_offset (nullable) receives, on NONE, the offset after the last
 * record the answer covers: the appended records', or for a duplicate the
 * first copy's (0 on error). A durable topic acknowledges once that offset
 * is durable, so that a duplicate is not acknowledged before its first
 * copy is.
 *
 * @chunk (nullable): the input chunk @records were read into, handed to
 * rg_broker_topic_produce_input() so that a memory topic keeps the batches
 * there instead of copying them. */
gint16 rg_broker_producers_produce (RgBrokerProducers * producers,
    RgBrokerTopic * topic, RgBrokerChunk * chunk, const guint8 * records,
    gsize len, gint64 * base_offset, guint64 * end_offset);

/* Forgets every sequence state of @topic_name (the topic was deleted: a
 * topic created again under the name starts afresh). */
void rg_broker_producers_forget_topic (RgBrokerProducers * producers,
    const gchar * topic_name);

/* How many producer ids and sequence states are kept (for tests and
 * stats). */
void rg_broker_producers_get_counts (RgBrokerProducers * producers,
    guint * n_ids, guint * n_sequences);

G_END_DECLS

#endif /* __RG_BROKER_PRODUCERS_H__ */
