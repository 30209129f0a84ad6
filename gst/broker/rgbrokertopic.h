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
 * Topic storage of the embedded broker (rgbrokertopic.c, in memory, and
 * rgbrokerjournal.c beneath it, journal files). Not installed; the public
 * part of a topic (append, caps, stats, name) is declared in rgbroker.h.
 *
 * A topic knows nothing of connections, requests or the broker: when
 * records arrive it wakes the loop through the RgWaker it was handed
 * (rgloop.h), and the request handlers (rgbrokerdispatch.c) read it
 * with rg_broker_topic_collect() and rg_broker_topic_list_offset().
 *
 * Thread-safety: every function may be called from any thread, except
 * that appends to one topic come from one thread (rgbroker.h) and
 * produced batches from the loop thread. A topic's ring is guarded by its
 * own pthread mutex, held only to insert, drop or reference records.
 *
 * Ownership: topics are reference-counted (rg_broker_topic_ref/unref);
 * the RgKafkaRecordsRef entries collect() appends each hold a record
 * reference, released by their notify (or rg_broker_records_refs_clear()).
 */

#ifndef __RG_BROKER_TOPIC_H__
#define __RG_BROKER_TOPIC_H__

#include "broker/rgbroker.h"
#include "broker/rgbrokerchunk.h"
#include "broker/rgbrokeringest.h"
#include "broker/rgbrokerjournal.h"
#include "broker/rgloop.h"
#include "kafka/rgkafka.h"

G_BEGIN_DECLS

/* Longest topic name Kafka accepts. */
#define RG_BROKER_MAX_TOPIC_NAME 249

/* Creates an in-memory topic that wakes @waker (referenced) when a record
 * is appended. */
RgBrokerTopic *rg_broker_topic_new (RgWaker * waker, const gchar * name,
    guint ring_size);

/* A topic whose records are the batches of the journal in @dir; @tail
 * (nullable) is its in-process writer's. */
RgBrokerTopic *rg_broker_topic_new_journal (RgWaker * waker,
    const gchar * name, const gchar * dir, RgJournalTail * tail);

/* An ingest topic: Produce appends whole batches to it, and it keeps the
 * latest @max_batches of them. */
RgBrokerTopic *rg_broker_topic_new_ingest (RgWaker * waker,
    const gchar * name, guint max_batches);

/* A durable ingest topic: Produce appends whole batches to the journal in
 * @dir (created, or reopened with the offsets it has), written with
 * @config's sync policy, rotation and retention (rgbrokeringest.h);
 * fetches read that journal. NULL with the journal's error when it cannot
 * be opened. */
RgBrokerTopic *rg_broker_topic_new_ingest_journal (RgWaker * waker,
    const gchar * name, const gchar * dir, const RgJournalConfig * config,
    GError ** error);

gboolean rg_broker_topic_is_ingest (RgBrokerTopic * topic);

/* The partition of its topic's name that @topic stores: 0 unless set
 * (a pipeline's topic has only that one). Set by the registry before the
 * topic is published, so that per-partition state kept elsewhere (an
 * idempotent producer's sequence numbers) can tell partitions apart. */
void rg_broker_topic_set_partition (RgBrokerTopic * topic, guint partition);
guint rg_broker_topic_get_partition (RgBrokerTopic * topic);

/* Validates every batch of a produced record set (size, CRC-32C), then
 * appends them, setting each one's baseOffset to the offset it gets.
 * Returns the Kafka error code (NONE, CORRUPT_MESSAGE, or
 * INVALID_TOPIC_EXCEPTION when @topic is not an ingest topic) and the
 * first batch's offset in @base_offset. Nothing is appended on error. */
gint16 rg_broker_topic_produce (RgBrokerTopic * topic, const guint8 * records,
    gsize len, gint64 * base_offset);

/* As rg_broker_topic_produce(); for a durable ingest topic also sets
 * @ack_offset to the offset its acknowledgement waits for (see
 * rg_broker_topic_ack_state()), else to 0 (nothing to wait for). A journal
 * that failed gives KAFKA_STORAGE_ERROR. */
gint16 rg_broker_topic_produce_durable (RgBrokerTopic * topic,
    const guint8 * records, gsize len, gint64 * base_offset,
    guint64 * ack_offset);

/* DeleteRecords: moves an ingest topic's log start up to @offset (-1:
 * the high watermark; a lower one than the current start changes
 * nothing) and sets @low_watermark to the log start after it. In memory
 * the batches wholly below it are released; a journal-backed topic
 * checkpoints the start durably and deletes the segments wholly below it
 * (rgbrokeringest.h). Returns NONE, OFFSET_OUT_OF_RANGE (@offset past the
 * high watermark, or negative other than -1), POLICY_VIOLATION (a
 * pipeline's topic: its records belong to the pipeline), or
 * KAFKA_STORAGE_ERROR with @error (the checkpoint could not be written;
 * nothing changed). Loop thread. */
gint16 rg_broker_topic_delete_records (RgBrokerTopic * topic, gint64 offset,
    gint64 * low_watermark, GError ** error);

/* As rg_broker_topic_produce_durable(), for @records read into @chunk
 * (nullable: elsewhere). A memory ingest topic then keeps each batch by
 * reference to @chunk, without a copy, and writes its baseOffset into the
 * chunk's bytes in place (they are the broker's: the connection writes no
 * byte of a chunk another holds), unless the batch is small against the
 * chunk (RG_BROKER_CHUNK_PIN_RATIO), which would pin much memory for
 * little data: that one is copied. @validated: the caller already checked
 * every batch of @records with rg_batch_validate() (size, CRC-32C), so
 * they are not checked again. Loop thread. */
gint16 rg_broker_topic_produce_input (RgBrokerTopic * topic,
    RgBrokerChunk * chunk, const guint8 * records, gsize len,
    gboolean validated, gint64 * base_offset, guint64 * ack_offset);

/* Whether the records below @ack_offset of a durable ingest topic are
 * durable under its sync policy (DURABLE for any other topic). */
RgBrokerIngestState rg_broker_topic_ack_state (RgBrokerTopic * topic,
    guint64 ack_offset);

/* rg_broker_ingest_log_foreach_producer_batch() of a durable ingest
 * topic; nothing for others. */
void rg_broker_topic_foreach_producer_batch (RgBrokerTopic * topic,
    RgBrokerIngestBatchFunc func, gpointer user_data);

/* A durable ingest topic's journal takes @config's rotation and
 * retention (rg_broker_ingest_log_set_limits()); FALSE for other topics.
 * From the loop thread, which appends. */
gboolean rg_broker_topic_set_journal_limits (RgBrokerTopic * topic,
    const RgJournalConfig * config);

/* The journal counters of a durable ingest topic; FALSE for others. */
gboolean rg_broker_topic_get_ingest_stats (RgBrokerTopic * topic,
    RgJournalStats * stats);

/* TRUE for journal-backed topics: their high watermark is found by looking
 * at the files, so parked fetches on them are re-checked periodically. */
gboolean rg_broker_topic_is_journal (RgBrokerTopic * topic);

RgBrokerTopic *rg_broker_topic_ref (RgBrokerTopic * topic);
void rg_broker_topic_unref (RgBrokerTopic * topic);

/* Marks a topic as removed: later collects answer UNKNOWN_TOPIC. */
void rg_broker_topic_detach (RgBrokerTopic * topic);

/* Whether fetches parked on @topic must look for new records on a timer
 * (a journal whose writer tells nothing). */
gboolean rg_broker_topic_needs_poll (RgBrokerTopic * topic);


/* Appends whole batches from @fetch_offset to @refs, at most @max_bytes;
 * with @first_whole, the first batch is taken even when it alone is larger
 * (KIP-74: the response must make progress). No batch starting at or past
 * @end_offset is taken (read_committed's last stable offset; G_MAXINT64:
 * no end; only memory ingest topics hold transactions, so only they look
 * at it). @live_lag > 0 reads the .live view: a fetch more than @live_lag
 * records behind (or outside the ring) starts at the latest keyframe
 * instead. Any thread. */
void rg_broker_topic_collect (RgBrokerTopic * topic, gint64 fetch_offset,
    gint64 end_offset, guint live_lag, gsize max_bytes, gboolean first_whole,
    GArray * refs, RgBrokerCollect * result);

/* Sets the .live view's lag budget and returns "<name>.live" (owned by the
 * topic). Called by the topic registry under its lock, once. */
const gchar *rg_broker_topic_set_live (RgBrokerTopic * topic, guint max_lag);

/* The .live view's lag budget, 0 when the topic has no view. */
guint rg_broker_topic_get_live_lag (RgBrokerTopic * topic);

/* "<name>.live", or NULL. */
const gchar *rg_broker_topic_get_live_name (RgBrokerTopic * topic);

/* Releases the references of @refs (those not handed to a response). */
void rg_broker_records_refs_clear (GArray * refs);

/* ListOffsets: -1 latest, -2 earliest, else the first record whose
 * timestamp is >= @timestamp (@offset -1 when none). */
void rg_broker_topic_list_offset (RgBrokerTopic * topic, gint64 timestamp,
    gint64 * offset, gint64 * found_timestamp);

/* Counts a partition fetch that sent @bytes in @records. */
void rg_broker_topic_count_served (RgBrokerTopic * topic, gsize bytes,
    guint records);

guint64 rg_broker_topic_get_high_watermark (RgBrokerTopic * topic);

G_END_DECLS

#endif /* __RG_BROKER_TOPIC_H__ */
