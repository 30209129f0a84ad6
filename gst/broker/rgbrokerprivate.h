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
 * Internal interface between the broker's event loop (rgbroker.c) and its
 * topic storage (rgbrokertopic.c). Not installed.
 */

#ifndef __RG_BROKER_PRIVATE_H__
#define __RG_BROKER_PRIVATE_H__

#include "broker/rgbroker.h"
#include "broker/rgbrokerio.h"
#include "kafka/rgkafka.h"

#include <pthread.h>
#include <stdatomic.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (rg_broker_debug);

/* ---- The broker and its connections (rgbroker.c owns them; the request
 * handlers of rgbrokerdispatch.c read them, on the loop thread) ---- */

typedef struct
{
  RgKafkaResponse *response;
  guint segment;
  gsize segment_offset;
} RgBrokerOutput;

typedef struct _RgBrokerConn RgBrokerConn;

struct _RgBrokerConn
{
  RgBroker *broker;
  int fd;
  guint64 id;
  gchar *address;
  gchar *local_host;
  guint32 events;

  guint8 *in;
  gsize in_len;
  gsize in_size;

  GQueue out;
  gsize out_bytes;
  gboolean send_blocked;

  /* Output left for the end of the loop's turn (broker->flush_pending),
   * and what the send phase did: sent by whichever thread sent it, read by
   * the loop after rg_broker_io_run() returns. */
  gboolean flush_queued;
  GList flush_link;
  gboolean flush_ok;
  gsize flush_sent;
  guint flush_done;             /* outputs at the head of out sent whole */

  RgKafkaRequest *parked;
  gboolean parked_polls;
  gsize parked_frame_size;
  gint64 parked_deadline;
  GList parked_link;

  gint64 last_activity;
  GList link;

  /* Under broker->lock: read by rg_broker_get_clients(). */
  guint64 bytes_sent;
  guint64 fetches;
  RgBrokerTopic *last_topic;
  gint64 next_offset;
};

typedef struct
{
  guint id;
  RgBrokerClientFunc func;
  gpointer user_data;
} RgBrokerWatch;

struct _RgBroker
{
  /* Under registry_lock. */
  gint refcount;
  gchar *host;

  guint port;
  RgBrokerConfig config;
  gchar *advertised_host;
  int listen_fd;
  int epoll_fd;
  int event_fd;
  /* An eventfd write is on its way and the loop has not yet drained it. */
  atomic_bool wake_pending;
  pthread_t thread;
  atomic_bool quit;

  /* Guards topics, conns (their list and stats fields) and next ids. */
  pthread_mutex_t lock;
  GHashTable *topics;
  GQueue conns;

  /* Held while watches are called, so removal waits for a running one. */
  pthread_mutex_t watch_lock;
  GArray *watches;
  guint next_watch_id;

  /* Loop thread only. */
  GQueue parked;
  GQueue flush_pending;
  GPtrArray *flush_items;
  RgBrokerIo *io;
  guint64 next_client_id;
  gint64 accept_resume;
  gint64 next_sweep;
  gint64 next_poll;
  GArray *refs;

  atomic_uint n_conns;
  atomic_ullong connections_total;
  atomic_ullong connections_refused;
  atomic_ullong requests;
  atomic_ullong fetches;
  atomic_ullong bytes_served;
  atomic_ullong records_served;
  atomic_ullong malformed;
  atomic_uint fetches_waiting;
  atomic_ullong parallel_sends;
};

/* What handling one request frame did. */
typedef enum
{
  RG_BROKER_HANDLE_DONE,
  RG_BROKER_HANDLE_PARKED,
  RG_BROKER_HANDLE_CLOSE,
} RgBrokerHandleResult;

/* Queues @response (transfer full; NULL is ignored) behind the
 * connection's earlier responses. Loop thread. */
void rg_broker_conn_queue (RgBrokerConn * conn, RgKafkaResponse * response);

/* Parks a Fetch that cannot be answered yet; its frame stays at the start
 * of the input buffer until rg_broker_conn_unpark(). @polls: it reads a
 * journal-backed topic, to be re-checked every few ms. Loop thread. */
void rg_broker_conn_park (RgBrokerConn * conn, RgKafkaRequest * req,
    gsize frame_size, gboolean polls);
void rg_broker_conn_unpark (RgBrokerConn * conn);

/* Returns a new reference to the topic registered as @name (a topic's
 * name or its .live view's), or NULL. Any thread. */
RgBrokerTopic *rg_broker_lookup_topic (RgBroker * broker, RgKafkaStr name);

/* As rg_broker_lookup_topic(), but an unknown legal name becomes a new
 * ingest topic when the broker accepts ingest. Any thread. */
RgBrokerTopic *rg_broker_ensure_ingest_topic (RgBroker * broker,
    RgKafkaStr name);

/* ---- Request dispatch (rgbrokerdispatch.c), loop thread ---- */

/* Parses and answers one request frame (after its size prefix). */
RgBrokerHandleResult rg_broker_handle_frame (RgBrokerConn * conn,
    const guint8 * frame, gsize len);

/* Answers a Fetch if it can, or if @force (its MaxWaitMs is over), and
 * returns TRUE; FALSE when it should stay parked (@polls then says whether
 * it reads a journal-backed topic). @close is set when the connection must
 * be closed. */
gboolean rg_broker_fetch_try (RgBrokerConn * conn, const RgKafkaRequest * req,
    gboolean force, gboolean * close, gboolean * polls);

/* ---- Topics (rgbrokertopic.c) ---- */


/* Longest topic name Kafka accepts. */
#define RG_BROKER_MAX_TOPIC_NAME 249

/* Creates a topic that wakes @broker's loop when a record is appended.
 * Called by rg_broker_add_topic() with no lock held. */
RgBrokerTopic *rg_broker_topic_new (RgBroker * broker, const gchar * name,
    guint ring_size);

/* A topic whose records are the batches of the journal in @dir; @tail
 * (nullable) is its in-process writer's. */
RgBrokerTopic *rg_broker_topic_new_journal (RgBroker * broker,
    const gchar * name, const gchar * dir, RgJournalTail * tail);

/* An ingest topic: Produce appends whole batches to it, and it keeps the
 * latest @max_batches of them. */
RgBrokerTopic *rg_broker_topic_new_ingest (RgBroker * broker,
    const gchar * name, guint max_batches);

gboolean rg_broker_topic_is_ingest (RgBrokerTopic * topic);

/* Validates every batch of a produced record set (size, CRC-32C), then
 * appends them, setting each one's baseOffset to the offset it gets.
 * Returns the Kafka error code (NONE, CORRUPT_MESSAGE, or
 * INVALID_TOPIC_EXCEPTION when @topic is not an ingest topic) and the
 * first batch's offset in @base_offset. Nothing is appended on error. */
gint16 rg_broker_topic_produce (RgBrokerTopic * topic, const guint8 * records,
    gsize len, gint64 * base_offset);

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

/*
 * The result of reading one partition for a Fetch.
 * @error_code: Kafka error code of the partition
 * @high_watermark, @log_start_offset: the partition's range
 * @refs: RgKafkaRecordsRef, each holding a reference on its record (the
 *   notify releases it)
 * @bytes, @records: what @refs hold
 * @next_offset: the offset after the last record in @refs (the fetch
 *   offset when empty)
 */
typedef struct
{
  gint16 error_code;
  gint64 high_watermark;
  gint64 log_start_offset;
  gsize bytes;
  guint records;
  gint64 next_offset;
} RgBrokerCollect;

/* Appends whole batches from @fetch_offset to @refs, at most @max_bytes;
 * with @first_whole, the first batch is taken even when it alone is larger
 * (KIP-74: the response must make progress). @live_lag > 0 reads the
 * .live view: a fetch more than @live_lag records behind (or outside the
 * ring) starts at the latest keyframe instead. Any thread. */
void rg_broker_topic_collect (RgBrokerTopic * topic, gint64 fetch_offset,
    guint live_lag, gsize max_bytes, gboolean first_whole, GArray * refs,
    RgBrokerCollect * result);

/* Sets the .live view's lag budget and returns "<name>.live" (owned by the
 * topic). Called by the broker under its lock, once. */
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

/* Wakes the loop: long-polling fetches are re-evaluated. Any thread. */
void rg_broker_wake (RgBroker * broker);

G_END_DECLS

#endif /* __RG_BROKER_PRIVATE_H__ */
