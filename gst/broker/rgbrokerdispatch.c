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
 * Request dispatch of the embedded broker: one parsed request in, one
 * response queued (or none, or a parked Fetch). Runs on the broker's loop
 * thread only (rgbroker.c); the topics' storage is rgbrokertopic.c and
 * rgbrokerjournal.c.
 *
 * Answers, per api:
 *  - ApiVersions: the codec's table; an unsupported version gets error 35
 *    and the ApiVersions entry, so the client retries lower.
 *  - Metadata: this broker as node 0 (advertised host, or the address the
 *    client reached), every registered name (topics and .live views) with
 *    partition 0 led by node 0; unknown names get error 3.
 *  - ListOffsets: -1 latest, -2 earliest, else the first record at or after
 *    the timestamp.
 *  - Produce: refused with RG_BROKER_PRODUCE_REFUSED_ERROR (29) by a
 *    pipeline-owned topic. Any other topic is an ingest topic when the
 *    broker accepts ingest (created on first use, here or in Metadata):
 *    every batch is validated (2 CORRUPT_MESSAGE if one fails, nothing
 *    stored), stored with its baseOffset patched, and the response carries
 *    the first batch's offset; without ingest, 3. acks = 0 gets no
 *    response (the records are stored all the same).
 *  - Fetch: whole batches from each partition's fetch offset, within the
 *    partition and request limits but at least one batch (KIP-74);
 *    LastStableOffset = high watermark; parked (long poll) while fewer than
 *    MinBytes are available and MaxWaitMs has not passed.
 * Anything else, and any frame the codec rejects, closes the connection.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "broker/rgbrokerprivate.h"

#include <string.h>

#define GST_CAT_DEFAULT rg_broker_debug

/* ---- Requests ---- */

static const gint32 broker_replicas[1] = { 0 };

static const gchar *
conn_advertised_host (RgBrokerConn * conn)
{
  return conn->broker->advertised_host ? conn->broker->advertised_host :
      conn->local_host;
}

static RgBrokerHandleResult
handle_metadata (RgBrokerConn * conn, const RgKafkaRequest * req)
{
  const RgKafkaMetadataRequest *m = &req->body.metadata;
  RgBroker *broker = conn->broker;
  RgKafkaMetadataPartition partition = { 0, 0, 0, 1, broker_replicas, 1,
    broker_replicas
  };
  RgKafkaMetadataBroker node = { 0, };
  RgKafkaMetadataResponse md = { 0, };
  GPtrArray *held = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rg_broker_topic_unref);
  GArray *topics = g_array_new (FALSE, TRUE, sizeof (RgKafkaMetadataTopic));
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i;

  if (m->all_topics) {
    GHashTableIter iter;
    gpointer key, value;

    /* Every name, .live views included; the names belong to the topics,
     * which the references keep alive. */
    pthread_mutex_lock (&broker->lock);
    g_hash_table_iter_init (&iter, broker->topics);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
      RgKafkaMetadataTopic t = { 0, };

      g_ptr_array_add (held, rg_broker_topic_ref (value));
      t.topic = rg_kafka_str_from_cstr (key);
      t.n_partitions = 1;
      t.partitions = &partition;
      g_array_append_val (topics, t);
    }
    pthread_mutex_unlock (&broker->lock);
  } else {
    for (i = 0; i < m->n_topics; i++) {
      /* As Kafka with auto-creation, naming an unknown topic creates it
       * when the broker accepts ingest. */
      RgBrokerTopic *topic = rg_broker_ensure_ingest_topic (broker,
          m->topics[i]);
      RgKafkaMetadataTopic t = { 0, };

      t.topic = m->topics[i];
      if (topic) {
        g_ptr_array_add (held, topic);
        t.n_partitions = 1;
        t.partitions = &partition;
      } else {
        t.error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
      }
      g_array_append_val (topics, t);
    }
  }

  node.host = rg_kafka_str_from_cstr (conn_advertised_host (conn));
  node.port = broker->port;
  node.rack = RG_KAFKA_STR_NULL;
  md.n_brokers = 1;
  md.brokers = &node;
  md.cluster_id = rg_kafka_str_from_cstr ("gst-rg");
  md.n_topics = topics->len;
  md.topics = (const RgKafkaMetadataTopic *) topics->data;
  resp = rg_kafka_build_metadata_response (req->header.correlation_id,
      req->header.api_version, &md, &error);
  g_array_unref (topics);
  g_ptr_array_unref (held);
  if (!resp) {
    GST_WARNING ("client %s: Metadata: %s", conn->address, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  rg_broker_conn_queue (conn, resp);
  return RG_BROKER_HANDLE_DONE;
}

static guint
produce_count_partitions (const RgKafkaProduceRequest * p)
{
  guint i, n = 0;

  for (i = 0; i < p->n_topics; i++)
    n += p->topics[i].n_partitions;
  return n;
}

/* One partition of a Produce: pipeline-owned topics refuse it, ingest
 * topics store it, unknown topics (ingest off) do not exist, as on a Kafka
 * broker without auto-creation. */
static void
produce_partition (RgBrokerTopic * topic, const RgKafkaProducePartition * pp,
    RgKafkaProducePartitionResponse * rp)
{
  rp->partition = pp->partition;
  rp->base_offset = -1;
  rp->log_append_time = -1;
  rp->log_start_offset = -1;
  if (!topic || pp->partition != 0) {
    rp->error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
  } else if (!rg_broker_topic_is_ingest (topic)) {
    rp->error_code = RG_BROKER_PRODUCE_REFUSED_ERROR;
  } else if (!pp->records || pp->records_len <= 0) {
    rp->error_code = RG_KAFKA_CORRUPT_MESSAGE;
  } else {
    RgBrokerTopicStats stats;

    rp->error_code = rg_broker_topic_produce (topic, pp->records,
        pp->records_len, &rp->base_offset);
    rg_broker_topic_get_stats (topic, &stats);
    rp->log_start_offset = stats.log_start_offset;
  }
}

static RgBrokerHandleResult
handle_produce (RgBrokerConn * conn, const RgKafkaRequest * req)
{
  const RgKafkaProduceRequest *p = &req->body.produce;
  RgKafkaProducePartitionResponse *parts;
  RgKafkaProduceTopicResponse *topics;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i, j, k = 0;

  parts = g_new0 (RgKafkaProducePartitionResponse,
      MAX (produce_count_partitions (p), 1));
  topics = g_new0 (RgKafkaProduceTopicResponse, MAX (p->n_topics, 1));
  for (i = 0; i < p->n_topics; i++) {
    RgBrokerTopic *topic = rg_broker_ensure_ingest_topic (conn->broker,
        p->topics[i].topic);

    topics[i].topic = p->topics[i].topic;
    topics[i].n_partitions = p->topics[i].n_partitions;
    topics[i].partitions = &parts[k];
    for (j = 0; j < p->topics[i].n_partitions; j++, k++)
      produce_partition (topic, &p->topics[i].partitions[j], &parts[k]);
    if (topic)
      rg_broker_topic_unref (topic);
  }
  if (p->acks == 0) {
    g_free (parts);
    g_free (topics);
    return RG_BROKER_HANDLE_DONE;
  }
  resp = rg_kafka_build_produce_response (req->header.correlation_id,
      req->header.api_version, 0, p->n_topics, topics, &error);
  g_free (parts);
  g_free (topics);
  if (!resp) {
    GST_WARNING ("client %s: Produce: %s", conn->address, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  rg_broker_conn_queue (conn, resp);
  return RG_BROKER_HANDLE_DONE;
}

static RgBrokerHandleResult
handle_list_offsets (RgBrokerConn * conn, const RgKafkaRequest * req)
{
  const RgKafkaListOffsetsRequest *l = &req->body.list_offsets;
  RgKafkaListOffsetsPartitionResponse *parts;
  RgKafkaListOffsetsTopicResponse *topics;
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint i, j, n = 0, k = 0;

  for (i = 0; i < l->n_topics; i++)
    n += l->topics[i].n_partitions;
  parts = g_new0 (RgKafkaListOffsetsPartitionResponse, MAX (n, 1));
  topics = g_new0 (RgKafkaListOffsetsTopicResponse, MAX (l->n_topics, 1));
  for (i = 0; i < l->n_topics; i++) {
    RgBrokerTopic *topic = rg_broker_lookup_topic (conn->broker,
        l->topics[i].topic);

    topics[i].topic = l->topics[i].topic;
    topics[i].n_partitions = l->topics[i].n_partitions;
    topics[i].partitions = &parts[k];
    for (j = 0; j < l->topics[i].n_partitions; j++, k++) {
      const RgKafkaListOffsetsPartition *rp = &l->topics[i].partitions[j];

      parts[k].partition = rp->partition;
      parts[k].timestamp = -1;
      parts[k].offset = -1;
      if (topic && rp->partition == 0)
        rg_broker_topic_list_offset (topic, rp->timestamp, &parts[k].offset,
            &parts[k].timestamp);
      else
        parts[k].error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (topic)
      rg_broker_topic_unref (topic);
  }
  resp = rg_kafka_build_list_offsets_response (req->header.correlation_id,
      req->header.api_version, 0, l->n_topics, topics, &error);
  g_free (parts);
  g_free (topics);
  if (!resp) {
    GST_WARNING ("client %s: ListOffsets: %s", conn->address,
        error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }
  rg_broker_conn_queue (conn, resp);
  return RG_BROKER_HANDLE_DONE;
}

/* Remembers where the client is in @topic, for its lag in the stats. */
static void
conn_note_position (RgBrokerConn * conn, RgBrokerTopic * topic,
    gint64 next_offset)
{
  RgBrokerTopic *old;

  pthread_mutex_lock (&conn->broker->lock);
  conn->fetches++;
  old = conn->last_topic;
  conn->last_topic = topic ? rg_broker_topic_ref (topic) : old;
  if (topic) {
    conn->next_offset = next_offset;
    if (old)
      rg_broker_topic_unref (old);
  }
  pthread_mutex_unlock (&conn->broker->lock);
}

typedef struct
{
  RgKafkaFetchPartitionResponse *parts;
  RgKafkaFetchTopicResponse *topics;
  guint *ref_start;
  RgBrokerTopic **held;
  gint64 *next_offsets;
  gsize *part_bytes;
  guint *part_records;
  guint n_parts;
  gsize bytes;
  guint records;
  gboolean any_error;
  gboolean polls;
} FetchState;

static void
fetch_state_clear (FetchState * st)
{
  guint i;

  for (i = 0; i < st->n_parts; i++)
    if (st->held[i])
      rg_broker_topic_unref (st->held[i]);
  g_free (st->parts);
  g_free (st->topics);
  g_free (st->ref_start);
  g_free (st->held);
  g_free (st->next_offsets);
  g_free (st->part_bytes);
  g_free (st->part_records);
}

static void
fetch_collect (RgBrokerConn * conn, const RgKafkaFetchRequest * f,
    FetchState * st)
{
  GArray *refs = conn->broker->refs;
  gsize remaining = MAX (f->max_bytes, 0);
  guint i, j, k = 0;

  for (i = 0; i < f->n_topics; i++)
    st->n_parts += f->topics[i].n_partitions;
  st->parts = g_new0 (RgKafkaFetchPartitionResponse, MAX (st->n_parts, 1));
  st->topics = g_new0 (RgKafkaFetchTopicResponse, MAX (f->n_topics, 1));
  st->ref_start = g_new0 (guint, MAX (st->n_parts, 1));
  st->held = g_new0 (RgBrokerTopic *, MAX (st->n_parts, 1));
  st->next_offsets = g_new0 (gint64, MAX (st->n_parts, 1));
  st->part_bytes = g_new0 (gsize, MAX (st->n_parts, 1));
  st->part_records = g_new0 (guint, MAX (st->n_parts, 1));

  for (i = 0; i < f->n_topics; i++) {
    RgBrokerTopic *topic = rg_broker_lookup_topic (conn->broker,
        f->topics[i].topic);

    st->topics[i].topic = f->topics[i].topic;
    st->topics[i].n_partitions = f->topics[i].n_partitions;
    st->topics[i].partitions = &st->parts[k];
    for (j = 0; j < f->topics[i].n_partitions; j++, k++) {
      const RgKafkaFetchPartition *fp = &f->topics[i].partitions[j];
      RgKafkaFetchPartitionResponse *rp = &st->parts[k];
      RgBrokerCollect c;

      rp->partition = fp->partition;
      rp->high_watermark = -1;
      rp->last_stable_offset = -1;
      st->ref_start[k] = refs->len;
      if (!topic || fp->partition != 0) {
        rp->error_code = RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
      } else if (fp->partition_max_bytes < 0) {
        rp->error_code = RG_KAFKA_INVALID_FETCH_SIZE;
      } else {
        /* The topic was found under its .live name: read the view. */
        gboolean live = !rg_kafka_str_equal (f->topics[i].topic,
            rg_broker_topic_get_name (topic));

        rg_broker_topic_collect (topic, fp->fetch_offset,
            live ? rg_broker_topic_get_live_lag (topic) : 0,
            MIN ((gsize) fp->partition_max_bytes, remaining),
            st->bytes == 0, refs, &c);
        rp->error_code = c.error_code;
        rp->high_watermark = c.high_watermark;
        rp->last_stable_offset = c.high_watermark;
        remaining -= MIN (remaining, c.bytes);
        st->bytes += c.bytes;
        st->records += c.records;
        st->held[k] = rg_broker_topic_ref (topic);
        if (rg_broker_topic_needs_poll (topic))
          st->polls = TRUE;
        st->next_offsets[k] = c.next_offset;
        st->part_bytes[k] = c.bytes;
        st->part_records[k] = c.records;
      }
      if (rp->error_code != RG_KAFKA_NONE)
        st->any_error = TRUE;
      rp->n_records = refs->len - st->ref_start[k];
    }
    if (topic)
      rg_broker_topic_unref (topic);
  }
}

/* Answers the Fetch now if it can, or if @force (its MaxWaitMs is over).
 * Returns FALSE when it should stay parked; RG_BROKER_HANDLE_CLOSE is reported
 * through @close. */
gboolean
rg_broker_fetch_try (RgBrokerConn * conn, const RgKafkaRequest * req,
    gboolean force, gboolean * close, gboolean * polls)
{
  const RgKafkaFetchRequest *f = &req->body.fetch;
  GArray *refs = conn->broker->refs;
  FetchState st = { 0, };
  RgKafkaResponse *resp;
  GError *error = NULL;
  guint k;

  *close = FALSE;
  fetch_collect (conn, f, &st);
  if (!force && !st.any_error && f->max_wait_ms > 0 &&
      (gint64) st.bytes < (gint64) f->min_bytes) {
    if (polls)
      *polls = st.polls;
    rg_broker_records_refs_clear (refs);
    fetch_state_clear (&st);
    return FALSE;
  }

  for (k = 0; k < st.n_parts; k++) {
    /* The records arrays are set only now: refs grew while collecting. */
    st.parts[k].records = st.parts[k].n_records ?
        &g_array_index (refs, RgKafkaRecordsRef, st.ref_start[k]) : NULL;
    if (st.held[k])
      rg_broker_topic_count_served (st.held[k], st.part_bytes[k],
          st.part_records[k]);
  }
  conn_note_position (conn, st.held[0], st.n_parts ? st.next_offsets[0] : -1);
  atomic_fetch_add_explicit (&conn->broker->fetches, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&conn->broker->records_served, st.records,
      memory_order_relaxed);

  /* The builder takes over every reference's notify, built or not. */
  resp = rg_kafka_build_fetch_response (req->header.correlation_id,
      req->header.api_version, 0, f->n_topics, st.topics, &error);
  g_array_set_size (refs, 0);
  fetch_state_clear (&st);
  if (!resp) {
    GST_WARNING ("client %s: Fetch: %s", conn->address, error->message);
    g_clear_error (&error);
    *close = TRUE;
    return TRUE;
  }
  rg_broker_conn_queue (conn, resp);
  return TRUE;
}

RgBrokerHandleResult
rg_broker_handle_frame (RgBrokerConn * conn, const guint8 * frame, gsize len)
{
  RgKafkaRequestHeader header = { 0, };
  RgKafkaRequest *req;
  RgBrokerHandleResult res = RG_BROKER_HANDLE_DONE;
  GError *error = NULL;
  gboolean close = FALSE, polls = FALSE;

  req = rg_kafka_request_parse (frame, len, &header, &error);
  if (!req) {
    if (g_error_matches (error, RG_KAFKA_ERROR,
            RG_KAFKA_ERROR_UNSUPPORTED_VERSION)
        && header.api_key == RG_KAFKA_API_API_VERSIONS) {
      g_clear_error (&error);
      rg_broker_conn_queue (conn,
          rg_kafka_build_api_versions_error (header.correlation_id));
      return RG_BROKER_HANDLE_DONE;
    }
    GST_INFO ("client %s: closing: %s", conn->address, error->message);
    g_clear_error (&error);
    return RG_BROKER_HANDLE_CLOSE;
  }

  switch (header.api_key) {
    case RG_KAFKA_API_API_VERSIONS:
      rg_broker_conn_queue (conn, rg_kafka_build_api_versions_response
          (header.correlation_id, header.api_version, 0));
      break;
    case RG_KAFKA_API_METADATA:
      res = handle_metadata (conn, req);
      break;
    case RG_KAFKA_API_PRODUCE:
      res = handle_produce (conn, req);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:
      res = handle_list_offsets (conn, req);
      break;
    case RG_KAFKA_API_FETCH:
      if (!rg_broker_fetch_try (conn, req, FALSE, &close, &polls)) {
        rg_broker_conn_park (conn, req, 4 + len, polls);
        return RG_BROKER_HANDLE_PARKED;
      }
      res = close ? RG_BROKER_HANDLE_CLOSE : RG_BROKER_HANDLE_DONE;
      break;
    default:
      res = RG_BROKER_HANDLE_CLOSE;
      break;
  }
  rg_kafka_request_free (req);
  return res;
}

