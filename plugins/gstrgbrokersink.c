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

/**
 * SECTION:element-rgbrokersink
 * @title: rgbrokersink
 *
 * Serves the stream it receives to any Kafka client (kcat, librdkafka,
 * kafka-python, ...) through a Kafka-protocol broker embedded in the
 * process: no Kafka cluster is needed. Every buffer becomes one Kafka
 * record of the topic #GstRgBrokerSink:topic (partition 0), with the
 * buffer's bytes as the value, its PTS, DTS, duration and flags as `gst.*`
 * record headers and the caps as a `gst.caps` header (on the first record,
 * when the caps change and on every keyframe), so a consumer in any
 * language gets frames with their timing. The record timestamp is, in
 * every mode, the #GstRgMeta timestamp, else that of a
 * #GstReferenceTimestampMeta with `timestamp/x-unix` (or `x-ntp`)
 * reference caps, else the wall clock at append.
 *
 * The broker keeps the last #GstRgBrokerSink:ring-size buffers in memory,
 * by reference: a record's value is the buffer's own memory, sent to
 * clients with writev() and never copied. A consumer can start at any
 * offset still in the ring; a Fetch for new data waits (long poll) and is
 * answered as soon as the next buffer arrives.
 *
 * Every rgbrokersink of a process that names the same #GstRgBrokerSink:host
 * and #GstRgBrokerSink:port shares one broker (one listening socket), each
 * serving its own topic. The first one to start sets the broker's limits.
 * Clients cannot produce into the sink's topic: a Produce gets Kafka error
 * 29 (TOPIC_AUTHORIZATION_FAILED); a Produce into a topic nobody serves
 * gets 3 (UNKNOWN_TOPIC_OR_PARTITION), unless #GstRgBrokerSink:ingest is
 * set: then the broker accepts it, as a Kafka broker that creates topics
 * on first use, and keeps the latest ring-size produced batches of each
 * such topic in memory, for any client to fetch.
 *
 * With #GstRgBrokerSink:bootstrap-servers set, the sink embeds nothing: it
 * produces every buffer as one record (same value and headers) into
 * #GstRgBrokerSink:topic of that Kafka cluster with librdkafka, with
 * #GstRgBrokerSink:acks, and waits at EOS until every record is
 * delivered. A record that cannot be delivered within
 * #GstRgBrokerSink:message-timeout-ms (the cluster is unreachable, or
 * refuses it) is an element error carrying librdkafka's reason; transient
 * cluster trouble is a warning.
 *
 * In-memory sinks also serve `<topic>.live`: the same records, except that
 * a consumer more than #GstRgBrokerSink:live-max-lag records behind is
 * answered from the latest keyframe, so a stalled inference client resumes
 * on fresh, decodable data instead of working through a backlog.
 *
 * With #GstRgBrokerSink:location set, the sink writes a journal directory
 * (as rgjournalsink does, with the same sync, rotation and retention
 * settings) and the broker serves every record the journal keeps, sending
 * segment bytes with sendfile().
 *
 * The broker binds to 127.0.0.1 unless #GstRgBrokerSink:host says
 * otherwise; set #GstRgBrokerSink:advertised-host to the name clients on
 * other machines should dial when the broker listens on 0.0.0.0 behind NAT.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency \
 *     key-int-max=30 ! h264parse ! rgbrokersink topic=cam0 port=9092
 * kcat -C -b 127.0.0.1:9092 -t cam0 -o beginning -f '%o %S bytes\n'
 * ]| Serves H.264 access units; kcat prints the offset and size of each.
 *
 * |[
 * gst-launch-1.0 udpsrc port=5000 ! rgbrokersink topic=telemetry \
 *     ring-size=10000 host=0.0.0.0 advertised-host=sensor-box.local
 * ]| Serves the last 10,000 telemetry datagrams to the whole network.
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency \
 *     key-int-max=30 ! h264parse ! rgbrokersink topic=cam0 \
 *     bootstrap-servers=kafka1:9092,kafka2:9092 acks=-1
 * ]| The same stream, produced into a Kafka cluster instead.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgbrokersink.h"
#include "gstrgjournalprops.h"
#include "gstrgjournalsink.h"
#include "record/rgbatch.h"
#include "broker/rgbroker.h"
#include "journal/rgjournal.h"
#include "client/rgkafkaproducer.h"
#include "record/rgmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_rg_broker_sink_debug);
#define GST_CAT_DEFAULT gst_rg_broker_sink_debug

#define DEFAULT_PROP_HOST "127.0.0.1"
#define DEFAULT_PROP_PORT 9092
#define DEFAULT_PROP_TOPIC NULL
#define DEFAULT_PROP_RING_SIZE 256
#define DEFAULT_PROP_MAX_CONNECTIONS RG_BROKER_DEFAULT_MAX_CONNECTIONS
#define DEFAULT_PROP_SEND_THREADS -1
#define DEFAULT_PROP_MAX_REQUEST_BYTES RG_BROKER_DEFAULT_MAX_REQUEST_BYTES
#define DEFAULT_PROP_IDLE_TIMEOUT (RG_BROKER_DEFAULT_IDLE_TIMEOUT_MS / 1000)
#define DEFAULT_PROP_MAX_CONNECTIONS_PER_ADDRESS \
  RG_BROKER_DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
#define DEFAULT_PROP_REQUEST_TIMEOUT \
  (RG_BROKER_DEFAULT_REQUEST_TIMEOUT_MS / 1000)
#define DEFAULT_PROP_MAX_PARTIAL_BYTES RG_BROKER_DEFAULT_MAX_PARTIAL_BYTES
#define DEFAULT_PROP_ADVERTISED_HOST NULL
#define DEFAULT_PROP_LOCATION NULL
#define DEFAULT_PROP_LIVE_MAX_LAG 30
#define DEFAULT_PROP_INGEST FALSE
#define DEFAULT_PROP_BOOTSTRAP_SERVERS NULL
#define DEFAULT_PROP_ACKS -1
#define DEFAULT_PROP_MESSAGE_TIMEOUT_MS 30000

enum
{
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_BOUND_PORT,
  PROP_TOPIC,
  PROP_RING_SIZE,
  PROP_MAX_CONNECTIONS,
  PROP_SEND_THREADS,
  PROP_MAX_REQUEST_BYTES,
  PROP_IDLE_TIMEOUT,
  PROP_ADVERTISED_HOST,
  PROP_LIVE_MAX_LAG,
  PROP_LOCATION,
  PROP_JOURNAL_SYNC,
  PROP_SYNC_INTERVAL,
  PROP_MAX_SEGMENT_BYTES,
  PROP_MAX_SEGMENT_TIME,
  PROP_MAX_BYTES,
  PROP_MAX_AGE,
  PROP_STATS,
  PROP_INGEST,
  PROP_BOOTSTRAP_SERVERS,
  PROP_ACKS,
  PROP_MESSAGE_TIMEOUT_MS,
  PROP_MAX_CONNECTIONS_PER_ADDRESS,
  PROP_REQUEST_TIMEOUT,
  PROP_MAX_PARTIAL_BYTES,
};

enum
{
  SIGNAL_CLIENT_ADDED,
  SIGNAL_CLIENT_REMOVED,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

struct _GstRgBrokerSink
{
  GstBaseSink parent;

  /* Properties, under the object lock. */
  gchar *host;
  guint port;
  gchar *topic_name;
  guint ring_size;
  guint max_connections;
  gint send_threads;
  guint max_request_bytes;
  guint idle_timeout;
  gchar *advertised_host;
  guint live_max_lag;
  gchar *location;
  RgJournalConfig journal_config;
  gboolean ingest;
  gchar *bootstrap_servers;
  gint acks;
  guint message_timeout_ms;
  guint max_connections_per_address;
  guint request_timeout;
  guint64 max_partial_bytes;
  /* The name reserved on its broker from the configuration (topic, host,
   * port), so that no client takes it before the sink starts; NULL when
   * none. Under the object lock. */
  gchar *reserved_topic;
  gchar *reserved_host;
  guint reserved_port;

  /* From start() to stop(), under the object lock; the streaming thread
   * uses topic and writer without it (start and stop never run while it
   * streams). */
  RgBroker *broker;
  RgBrokerTopic *topic;
  RgJournalWriter *writer;
  guint watch_id;
  guint bound_port;
  /* bootstrap-servers mode: used by the streaming thread only. */
  RgKafkaProducer *producer;
  gchar *producer_topic;
  gchar *producer_servers;
  /* Set by unlock(): interrupts the wait for deliveries at EOS. */
  gint unlocked;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

#define gst_rg_broker_sink_parent_class parent_class
G_DEFINE_TYPE (GstRgBrokerSink, gst_rg_broker_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (rgbrokersink, "rgbrokersink", GST_RANK_NONE,
    GST_TYPE_RG_BROKER_SINK);



/* ------------------------------------------------------------------ */
/* Stats                                                                */

static GValue *
client_info_to_value (const RgBrokerClientInfo * info, GValue * value)
{
  GstStructure *s = gst_structure_new ("client",
      "id", G_TYPE_UINT64, info->id,
      "address", G_TYPE_STRING, info->address,
      "next-offset", G_TYPE_INT64, info->next_offset,
      "lag", G_TYPE_INT64, info->lag,
      "bytes-sent", G_TYPE_UINT64, info->bytes_sent,
      "fetches", G_TYPE_UINT64, info->fetches, NULL);

  g_value_init (value, GST_TYPE_STRUCTURE);
  g_value_take_boxed (value, s);
  return value;
}

/* Called with the object lock held. */
static GstStructure *
gst_rg_broker_sink_locked_stats (GstRgBrokerSink * self)
{
  RgBrokerTopicStats ts = { 0, };
  RgBrokerStats bs = { 0, };
  GValue clients = G_VALUE_INIT;
  GstStructure *s;

  g_value_init (&clients, GST_TYPE_ARRAY);
  if (self->broker) {
    GPtrArray *infos = rg_broker_get_clients (self->broker);
    const gchar *name = rg_broker_topic_get_name (self->topic);
    guint i;

    rg_broker_get_stats (self->broker, &bs);
    rg_broker_topic_get_stats (self->topic, &ts);
    /* The clients that read this topic last. */
    for (i = 0; i < infos->len; i++) {
      RgBrokerClientInfo *info = g_ptr_array_index (infos, i);
      GValue v = G_VALUE_INIT;

      if (g_strcmp0 (info->topic, name) != 0)
        continue;
      gst_value_array_append_and_take_value (&clients,
          client_info_to_value (info, &v));
    }
    g_ptr_array_unref (infos);
  }

  s = gst_structure_new ("application/x-rg-broker-stats",
      "connections", G_TYPE_UINT, bs.connections,
      "connections-total", G_TYPE_UINT64, bs.connections_total,
      "connections-refused", G_TYPE_UINT64, bs.connections_refused,
      "connections-refused-per-address", G_TYPE_UINT64,
      bs.connections_refused_per_address,
      "closed-request-timeout", G_TYPE_UINT64, bs.closed_request_timeout,
      "closed-partial-bytes", G_TYPE_UINT64, bs.closed_partial_bytes,
      "parallel-sends", G_TYPE_UINT64, bs.parallel_sends,
      "records-appended", G_TYPE_UINT64, ts.records_appended,
      "log-start-offset", G_TYPE_UINT64, ts.log_start_offset,
      "high-watermark", G_TYPE_UINT64, ts.high_watermark,
      "fetches", G_TYPE_UINT64, ts.fetches,
      "bytes-served", G_TYPE_UINT64, ts.bytes_served,
      "records-served", G_TYPE_UINT64, ts.records_served, NULL);
  gst_structure_take_value (s, "clients", &clients);
  return s;
}

/* ------------------------------------------------------------------ */
/* Broker life                                                          */

/* From the broker's thread. */
static void
client_changed (RgBroker * broker, guint64 client_id, const gchar * address,
    gboolean added, gpointer user_data)
{
  GstRgBrokerSink *self = user_data;

  GST_DEBUG_OBJECT (self, "client %" G_GUINT64_FORMAT " (%s) %s", client_id,
      address, added ? "connected" : "disconnected");
  g_signal_emit (self, signals[added ? SIGNAL_CLIENT_ADDED :
          SIGNAL_CLIENT_REMOVED], 0, client_id, address);
}

static gboolean
gst_rg_broker_sink_start_broker (GstRgBrokerSink * self)
{
  RgBrokerConfig config;
  RgJournalConfig journal_config;
  RgBroker *broker = NULL;
  RgBrokerTopic *topic;
  RgJournalWriter *writer = NULL;
  GError *error = NULL;
  gchar *host, *topic_name, *advertised, *location;
  guint port, ring_size, live_max_lag;

  rg_broker_config_init (&config);
  GST_OBJECT_LOCK (self);
  host = g_strdup (self->host);
  port = self->port;
  topic_name = g_strdup (self->topic_name ? self->topic_name :
      GST_OBJECT_NAME (self));
  ring_size = self->ring_size;
  advertised = g_strdup (self->advertised_host);
  config.max_connections = self->max_connections;
  if (self->send_threads >= 0)
    config.send_threads = self->send_threads;
  config.max_request_bytes = self->max_request_bytes;
  config.idle_timeout_ms = self->idle_timeout * 1000;
  config.max_connections_per_address = self->max_connections_per_address;
  config.request_timeout_ms = self->request_timeout * 1000;
  config.max_partial_bytes = self->max_partial_bytes;
  location = g_strdup (self->location);
  journal_config = self->journal_config;
  live_max_lag = self->live_max_lag;
  config.ingest_batches = self->ingest ? self->ring_size : 0;
  GST_OBJECT_UNLOCK (self);
  config.advertised_host = advertised;

  if (location) {
    writer = rg_journal_writer_open (location, &journal_config, &error);
    if (!writer)
      goto journal_failed;
  }
  broker = rg_broker_acquire (host, port, &config, &error);
  if (!broker)
    goto listen_failed;
  if (writer) {
    /* The broker trusts this writer's tail instead of re-reading and
     * checking every batch it wrote. */
    RgJournalTail *tail = rg_journal_writer_get_tail (writer);

    topic = rg_broker_add_journal_topic (broker, topic_name, location, tail,
        &error);
    rg_journal_tail_unref (tail);
  } else
    topic = rg_broker_add_topic (broker, topic_name, ring_size, &error);
  if (!topic)
    goto topic_failed;
  /* The .live view needs the keyframe flags only the ring keeps. */
  if (!writer && live_max_lag > 0
      && !rg_broker_add_live_view (broker, topic, live_max_lag, &error))
    goto live_failed;

  GST_OBJECT_LOCK (self);
  self->broker = broker;
  self->topic = topic;
  self->writer = writer;
  self->bound_port = rg_broker_get_port (broker);
  GST_OBJECT_UNLOCK (self);
  self->watch_id = rg_broker_add_client_watch (broker, client_changed, self);
  GST_INFO_OBJECT (self, "serving topic \"%s\" on %s port %u", topic_name,
      host, self->bound_port);

  g_free (host);
  g_free (topic_name);
  g_free (advertised);
  g_free (location);
  return TRUE;

  /* ERRORS */
journal_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open the journal directory \"%s\". Check that it is "
            "writable and that no other element or program writes to it.",
            location), ("%s", error->message));
    goto fail;
  }
listen_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Could not start the Kafka broker on %s port %u. Choose another "
            "port (0 picks a free one) or stop the program using it.", host,
            port), ("%s", error->message));
    goto fail;
  }
topic_failed:
  {
    /* The broker's message says who holds the name: an element, or a
     * client that produced into it (ingest). */
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not serve topic \"%s\": %s", topic_name, error->message),
        ("%s", error->message));
    goto fail;
  }
live_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not serve topic \"%s.live\". Give every rgbrokersink on the "
            "same port its own topic, or set live-max-lag=0.", topic_name),
        ("%s", error->message));
    rg_broker_remove_topic (broker, topic);
    goto fail;
  }
fail:
  {
    if (broker)
      rg_broker_release (broker);
    if (writer)
      rg_journal_writer_close (writer, NULL);
    g_clear_error (&error);
    g_free (host);
    g_free (topic_name);
    g_free (advertised);
    g_free (location);
    return FALSE;
  }
}

/* From the streaming thread (librdkafka's error callback is served by
 * the producer's calls). */
static void
producer_warning (const gchar * reason, gpointer user_data)
{
  GstRgBrokerSink *self = user_data;

  GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
      ("Trouble reaching Kafka cluster %s: %s. Records wait and are retried "
          "for message-timeout-ms.", self->producer_servers, reason),
      ("%s", reason));
}

static gboolean
gst_rg_broker_sink_start_producer (GstRgBrokerSink * self)
{
  RgKafkaProducerConfig config = { 0, };
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  self->producer_servers = g_strdup (self->bootstrap_servers);
  self->producer_topic = g_strdup (self->topic_name ? self->topic_name :
      GST_OBJECT_NAME (self));
  config.acks = self->acks;
  config.message_timeout_ms = self->message_timeout_ms;
  GST_OBJECT_UNLOCK (self);
  config.bootstrap_servers = self->producer_servers;
  config.topic = self->producer_topic;
  config.warning_func = producer_warning;
  config.user_data = self;
  g_atomic_int_set (&self->unlocked, 0);

  self->producer = rg_kafka_producer_new (&config, &error);
  if (!self->producer)
    goto producer_failed;
  GST_INFO_OBJECT (self, "producing into topic \"%s\" of %s",
      self->producer_topic, self->producer_servers);
  return TRUE;

  /* ERRORS */
producer_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not create a Kafka producer for %s: %s. Check "
            "bootstrap-servers and acks.", self->producer_servers,
            error->message), ("%s", error->message));
    g_clear_error (&error);
    return FALSE;
  }
}

static gboolean
gst_rg_broker_sink_start (GstBaseSink * sink)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  gboolean produce;

  GST_OBJECT_LOCK (self);
  produce = self->bootstrap_servers && self->bootstrap_servers[0];
  GST_OBJECT_UNLOCK (self);
  return produce ? gst_rg_broker_sink_start_producer (self) :
      gst_rg_broker_sink_start_broker (self);
}

static gboolean
gst_rg_broker_sink_unlock (GstBaseSink * sink)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);

  g_atomic_int_set (&self->unlocked, 1);
  return TRUE;
}

static gboolean
gst_rg_broker_sink_unlock_stop (GstBaseSink * sink)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);

  g_atomic_int_set (&self->unlocked, 0);
  return TRUE;
}

static gboolean
gst_rg_broker_sink_stop (GstBaseSink * sink)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  RgBroker *broker;
  RgBrokerTopic *topic;
  RgJournalWriter *writer;
  GError *error = NULL;
  gboolean ok = TRUE;

  /* Records not delivered by now (no EOS, or a failed flush) are
   * dropped. */
  g_clear_pointer (&self->producer, rg_kafka_producer_free);
  g_clear_pointer (&self->producer_topic, g_free);
  g_clear_pointer (&self->producer_servers, g_free);

  GST_OBJECT_LOCK (self);
  broker = self->broker;
  topic = self->topic;
  writer = self->writer;
  self->broker = NULL;
  self->topic = NULL;
  self->writer = NULL;
  GST_OBJECT_UNLOCK (self);
  if (!broker)
    return TRUE;

  /* Not under the object lock: a signal handler running on the broker's
   * thread may be taking it, and this waits for the handler. */
  rg_broker_remove_client_watch (broker, self->watch_id);
  self->watch_id = 0;
  rg_broker_remove_topic (broker, topic);
  rg_broker_release (broker);
  if (writer && !rg_journal_writer_close (writer, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("The journal could not be made durable when the stream stopped."),
        ("%s", error->message));
    g_clear_error (&error);
    ok = FALSE;
  }
  return ok;
}

static gboolean
gst_rg_broker_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);

  if (self->producer)
    rg_kafka_producer_set_caps (self->producer, caps);
  else if (self->writer)
    rg_journal_writer_set_caps (self->writer, caps);
  else
    rg_broker_topic_set_caps (self->topic, caps);
  return TRUE;
}

/* At EOS a journal-backed sink makes every record durable before the EOS
 * is posted, whatever the sync policy, as rgjournalsink does. */
static gboolean
gst_rg_broker_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  GError *error = NULL;

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->writer
      && !rg_journal_writer_sync (self->writer, &error))
    goto sync_failed;
  /* A producing sink posts EOS only once the cluster has every record. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->producer
      && !rg_kafka_producer_flush (self->producer, &self->unlocked, &error))
    goto flush_failed;
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);

  /* ERRORS */
flush_failed:
  {
    if (g_error_matches (error, RG_KAFKA_PRODUCER_ERROR,
            RG_KAFKA_PRODUCER_ERROR_TIMEOUT)) {
      /* Flushing or shutting down: not an error of the stream. */
      GST_INFO_OBJECT (self, "stopped waiting for deliveries: %s",
          error->message);
    } else {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Could not deliver every record to topic \"%s\" of Kafka "
              "cluster %s: %s. Check that the cluster is reachable and "
              "accepts the topic, or raise message-timeout-ms.",
              self->producer_topic, self->producer_servers, error->message),
          ("%s", error->message));
    }
    g_clear_error (&error);
    gst_event_unref (event);
    return FALSE;
  }
sync_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("The journal could not be made durable at the end of the stream."),
        ("%s", error->message));
    g_clear_error (&error);
    gst_event_unref (event);
    return FALSE;
  }
}

/* The record timestamp, the same in every mode: a GstRgMeta's (a record
 * replayed by rgsrc keeps its time), else a timestamp/x-unix or x-ntp
 * reference timestamp meta's, else -1: the journal, the in-memory topic or
 * the producer take the wall clock at append. */
static gint64
record_timestamp (GstBuffer * buffer, GstRgMeta * meta)
{
  if (meta && gst_rg_meta_get_timestamp (meta) >= 0)
    return gst_rg_meta_get_timestamp (meta);
  return rg_envelope_timestamp (buffer, -1);
}

static GstFlowReturn
gst_rg_broker_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  GstRgMeta *meta = gst_buffer_get_rg_meta (buffer);
  GBytes *key = meta ? gst_rg_meta_get_key (meta) : NULL;
  gint64 timestamp = record_timestamp (buffer, meta);
  GError *error = NULL;
  gboolean ok;

  if (self->producer) {
    ok = rg_kafka_producer_send (self->producer, buffer, timestamp, key,
        &error);
    if (!ok)
      goto produce_failed;
  } else if (self->writer) {
    ok = rg_journal_writer_append (self->writer, buffer, timestamp, key, NULL,
        &error);
    if (ok)
      rg_broker_topic_notify (self->topic);
  } else {
    ok = rg_broker_topic_append (self->topic, buffer, timestamp, key, NULL,
        &error);
  }
  if (key)
    g_bytes_unref (key);
  if (!ok)
    goto append_failed;
  return GST_FLOW_OK;

  /* ERRORS */
produce_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not deliver records to topic \"%s\" of Kafka cluster %s: "
            "%s. Check that the cluster is reachable and accepts the topic, "
            "or raise message-timeout-ms.", self->producer_topic,
            self->producer_servers, error->message), ("%s", error->message));
    g_clear_error (&error);
    if (key)
      g_bytes_unref (key);
    return GST_FLOW_ERROR;
  }
append_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not serve a buffer of %" G_GSIZE_FORMAT " bytes as a Kafka "
            "record.", gst_buffer_get_size (buffer)), ("%s", error->message));
    g_clear_error (&error);
    return GST_FLOW_ERROR;
  }
}

/* ------------------------------------------------------------------ */
/* GObject                                                              */

/* Keeps the reservation (rg_broker_reserve_topic()) equal to the
 * configured topic, host and port: properties are set before any element
 * of a pipeline starts, so the name is reserved before any broker serves.
 * A name a client already took is not reserved; start() then fails with a
 * message that says so. Called with the object lock held. */
static void
gst_rg_broker_sink_locked_reserve (GstRgBrokerSink * self)
{
  gboolean produce = self->bootstrap_servers && self->bootstrap_servers[0];
  const gchar *want = produce || self->port == 0 ? NULL : self->topic_name;

  if (g_strcmp0 (want, self->reserved_topic) == 0
      && g_strcmp0 (self->host, self->reserved_host) == 0
      && self->port == self->reserved_port)
    return;
  if (self->reserved_topic)
    rg_broker_unreserve_topic (self->reserved_host, self->reserved_port,
        self->reserved_topic);
  g_clear_pointer (&self->reserved_topic, g_free);
  g_clear_pointer (&self->reserved_host, g_free);
  if (want && rg_broker_reserve_topic (self->host, self->port, want, NULL)) {
    self->reserved_topic = g_strdup (want);
    self->reserved_host = g_strdup (self->host);
    self->reserved_port = self->port;
  }
}

static void
gst_rg_broker_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_TOPIC:
      g_free (self->topic_name);
      self->topic_name = g_value_dup_string (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_RING_SIZE:
      self->ring_size = g_value_get_uint (value);
      break;
    case PROP_SEND_THREADS:
      self->send_threads = g_value_get_int (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_MAX_REQUEST_BYTES:
      self->max_request_bytes = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS_PER_ADDRESS:
      self->max_connections_per_address = g_value_get_uint (value);
      break;
    case PROP_REQUEST_TIMEOUT:
      self->request_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_PARTIAL_BYTES:
      self->max_partial_bytes = g_value_get_uint64 (value);
      break;
    case PROP_ADVERTISED_HOST:
      g_free (self->advertised_host);
      self->advertised_host = g_value_dup_string (value);
      break;
    case PROP_LIVE_MAX_LAG:
      self->live_max_lag = g_value_get_uint (value);
      break;
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_INGEST:
      self->ingest = g_value_get_boolean (value);
      break;
    case PROP_BOOTSTRAP_SERVERS:
      g_free (self->bootstrap_servers);
      self->bootstrap_servers = g_value_dup_string (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_ACKS:
      self->acks = g_value_get_int (value);
      break;
    case PROP_MESSAGE_TIMEOUT_MS:
      self->message_timeout_ms = g_value_get_uint (value);
      break;
    default:
      if (!gst_rg_journal_props_set (&self->journal_config, PROP_JOURNAL_SYNC,
              prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rg_broker_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_BOUND_PORT:
      g_value_set_uint (value, self->bound_port);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic_name ? self->topic_name :
          GST_OBJECT_NAME (self));
      break;
    case PROP_RING_SIZE:
      g_value_set_uint (value, self->ring_size);
      break;
    case PROP_SEND_THREADS:
      g_value_set_int (value, self->send_threads);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_MAX_REQUEST_BYTES:
      g_value_set_uint (value, self->max_request_bytes);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_MAX_CONNECTIONS_PER_ADDRESS:
      g_value_set_uint (value, self->max_connections_per_address);
      break;
    case PROP_REQUEST_TIMEOUT:
      g_value_set_uint (value, self->request_timeout);
      break;
    case PROP_MAX_PARTIAL_BYTES:
      g_value_set_uint64 (value, self->max_partial_bytes);
      break;
    case PROP_ADVERTISED_HOST:
      g_value_set_string (value, self->advertised_host);
      break;
    case PROP_LIVE_MAX_LAG:
      g_value_set_uint (value, self->live_max_lag);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_INGEST:
      g_value_set_boolean (value, self->ingest);
      break;
    case PROP_BOOTSTRAP_SERVERS:
      g_value_set_string (value, self->bootstrap_servers);
      break;
    case PROP_ACKS:
      g_value_set_int (value, self->acks);
      break;
    case PROP_MESSAGE_TIMEOUT_MS:
      g_value_set_uint (value, self->message_timeout_ms);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_rg_broker_sink_locked_stats (self));
      break;
    default:
      if (!gst_rg_journal_props_get (&self->journal_config, PROP_JOURNAL_SYNC,
              prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rg_broker_sink_finalize (GObject * object)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (object);

  if (self->reserved_topic)
    rg_broker_unreserve_topic (self->reserved_host, self->reserved_port,
        self->reserved_topic);
  g_free (self->reserved_topic);
  g_free (self->reserved_host);
  g_free (self->host);
  g_free (self->topic_name);
  g_free (self->advertised_host);
  g_free (self->location);
  g_free (self->bootstrap_servers);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rg_broker_sink_install_journal_properties (GObjectClass * gobject_class)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  /**
   * GstRgBrokerSink:location:
   *
   * A journal directory: the buffers are written there (as rgjournalsink
   * does) and served from the segment files with sendfile(), so clients
   * can read everything the journal keeps, not only the last ring-size
   * buffers. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Journal directory to write and serve from (unset: serve the last "
          "ring-size buffers from memory)", DEFAULT_PROP_LOCATION, flags));
  /**
   * GstRgBrokerSink:journal-sync:
   *
   * The journal's sync policy (as rgjournalsink's sync; named differently
   * because GstBaseSink's sync means clock synchronisation). The other
   * journal settings (sync-interval, max-segment-bytes, max-segment-time,
   * max-bytes, max-age) are those of rgjournalsink. Since: 0.1
   */
  gst_rg_journal_props_install (gobject_class, PROP_JOURNAL_SYNC,
      "journal-sync", "When journal records are made durable (named so "
      "because GstBaseSink's sync means clock synchronisation)");
}

static void
gst_rg_broker_sink_install_cluster_properties (GObjectClass * gobject_class)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  /**
   * GstRgBrokerSink:ingest:
   *
   * Accept Produce requests into topics no pipeline owns, as a Kafka
   * broker that creates topics on first use: each such topic keeps its
   * latest ring-size produced batches in memory. Set by the sink that
   * starts the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INGEST,
      g_param_spec_boolean ("ingest", "Ingest",
          "Accept records produced into topics no pipeline serves (kept in "
          "memory, ring-size batches per topic)", DEFAULT_PROP_INGEST,
          flags));
  /**
   * GstRgBrokerSink:bootstrap-servers:
   *
   * "host:port[,host:port...]" of a Kafka cluster: when set, no broker is
   * embedded and every buffer is produced into #GstRgBrokerSink:topic of
   * that cluster (the broker's properties are ignored). Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BOOTSTRAP_SERVERS,
      g_param_spec_string ("bootstrap-servers", "Bootstrap servers",
          "Kafka cluster to produce into instead of embedding a broker "
          "(host:port[,host:port...])", DEFAULT_PROP_BOOTSTRAP_SERVERS,
          flags));
  /**
   * GstRgBrokerSink:acks:
   *
   * With #GstRgBrokerSink:bootstrap-servers: the acknowledgement each
   * record waits for: -1 every in-sync replica, 1 the leader, 0 none (a
   * record counts as delivered once sent). Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ACKS,
      g_param_spec_int ("acks", "Acks",
          "Acknowledgement to wait for: -1 all in-sync replicas, 1 the "
          "leader, 0 none", -1, 1, DEFAULT_PROP_ACKS, flags));
  /**
   * GstRgBrokerSink:message-timeout-ms:
   *
   * With #GstRgBrokerSink:bootstrap-servers: how long a record may wait
   * for delivery, retries included, before the element fails with
   * librdkafka's reason (e.g. the cluster stayed unreachable). Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE_TIMEOUT_MS,
      g_param_spec_uint ("message-timeout-ms", "Message timeout",
          "Milliseconds a record may wait for delivery before it is an "
          "error", 1, G_MAXINT32, DEFAULT_PROP_MESSAGE_TIMEOUT_MS, flags));
}

static void
gst_rg_broker_sink_class_init (GstRgBrokerSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = gst_rg_broker_sink_set_property;
  gobject_class->get_property = gst_rg_broker_sink_get_property;
  gobject_class->finalize = gst_rg_broker_sink_finalize;

  /**
   * GstRgBrokerSink:host:
   *
   * Address the broker listens on. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_HOST,
      g_param_spec_string ("host", "Host",
          "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: "
          "every interface)", DEFAULT_PROP_HOST,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:port:
   *
   * TCP port of the broker; 0 picks a free one (read it from
   * #GstRgBrokerSink:bound-port). Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
          "TCP port to listen on (0 = pick a free port, see bound-port)", 0,
          65535, DEFAULT_PROP_PORT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:bound-port:
   *
   * The port the broker listens on, once started. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BOUND_PORT,
      g_param_spec_uint ("bound-port", "Bound port",
          "The port the broker listens on (0 before the element starts)", 0,
          65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstRgBrokerSink:topic:
   *
   * The Kafka topic this sink's buffers are served as. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOPIC,
      g_param_spec_string ("topic", "Topic",
          "Kafka topic the buffers are served as (default: the element's "
          "name)", DEFAULT_PROP_TOPIC, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:ring-size:
   *
   * How many of the latest buffers clients can read. The buffers are kept
   * by reference: an upstream buffer pool needs at least this many
   * buffers more than it would otherwise. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RING_SIZE,
      g_param_spec_uint ("ring-size", "Ring size",
          "Number of latest buffers kept (by reference) for clients", 1,
          G_MAXINT32, DEFAULT_PROP_RING_SIZE, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:max-connections:
   *
   * Connections the broker serves at once (set by the first sink that
   * starts the broker). Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_CONNECTIONS,
      g_param_spec_uint ("max-connections", "Max connections",
          "Connections served at once; more are closed at once", 1,
          G_MAXINT32, DEFAULT_PROP_MAX_CONNECTIONS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:send-threads:
   *
   * Threads besides the broker's event loop that send large responses in
   * parallel with it: the copy into each socket (and on loopback the
   * reader's TCP processing) is then spread over the cores. -1 picks one
   * fewer than the CPU cores, at most 3; 0 leaves all sending to the loop
   * thread. Set by the first sink that starts the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SEND_THREADS,
      g_param_spec_int ("send-threads", "Send threads",
          "Threads that send large responses beside the event loop "
          "(-1 = CPU cores - 1, at most 3; 0 = the loop alone)", -1, 16,
          DEFAULT_PROP_SEND_THREADS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:max-request-bytes:
   *
   * Largest request the broker reads; a larger one closes the connection.
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_REQUEST_BYTES,
      g_param_spec_uint ("max-request-bytes", "Max request bytes",
          "Largest request accepted; larger ones close the connection",
          64, 100 * 1024 * 1024, DEFAULT_PROP_MAX_REQUEST_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:idle-timeout:
   *
   * Seconds after which a connection that sent nothing is closed.
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint ("idle-timeout", "Idle timeout",
          "Close connections idle for this many seconds (0 = never)", 0,
          G_MAXINT32 / 1000, DEFAULT_PROP_IDLE_TIMEOUT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:max-connections-per-address:
   *
   * Connections the broker serves at once from one client IP address; more
   * are closed at once, so one host cannot take every connection. 0 = no
   * limit. Set by the first sink that starts the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class,
      PROP_MAX_CONNECTIONS_PER_ADDRESS,
      g_param_spec_uint ("max-connections-per-address",
          "Max connections per address",
          "Connections served at once from one IP address (0 = no limit)", 0,
          G_MAXINT32, DEFAULT_PROP_MAX_CONNECTIONS_PER_ADDRESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:request-timeout:
   *
   * Seconds within which a request must arrive whole once its first byte
   * has; a connection whose request takes longer is closed (a client
   * trickling bytes would otherwise never be idle). 0 = no limit. Set by
   * the first sink that starts the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint ("request-timeout", "Request timeout",
          "Close a connection whose request has not arrived whole this many "
          "seconds after its first byte (0 = never)", 0, G_MAXINT32 / 1000,
          DEFAULT_PROP_REQUEST_TIMEOUT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:max-partial-bytes:
   *
   * Bytes of requests not yet arrived whole, summed over all connections;
   * past it the connection with the largest partial request is closed. At
   * least max-request-bytes + 4. 0 = no limit. Set by the first sink that
   * starts the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PARTIAL_BYTES,
      g_param_spec_uint64 ("max-partial-bytes", "Max partial bytes",
          "Bytes of partially received requests over all connections before "
          "the largest is closed (0 = no limit)", 0, G_MAXUINT64,
          DEFAULT_PROP_MAX_PARTIAL_BYTES, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:advertised-host:
   *
   * The host name Metadata responses tell clients to connect to. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ADVERTISED_HOST,
      g_param_spec_string ("advertised-host", "Advertised host",
          "Host clients are told to connect to (default: the address they "
          "reached the broker on)", DEFAULT_PROP_ADVERTISED_HOST,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:live-max-lag:
   *
   * The lag budget of the `<topic>.live` view, in records: a consumer of
   * the view that falls further behind (or out of the ring) is answered
   * from the latest keyframe. 0 serves no view. In-memory mode only.
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LIVE_MAX_LAG,
      g_param_spec_uint ("live-max-lag", "Live max lag",
          "Records a consumer of <topic>.live may fall behind before it is "
          "moved to the latest keyframe (0 = no .live view)", 0, G_MAXINT32,
          DEFAULT_PROP_LIVE_MAX_LAG, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  gst_rg_broker_sink_install_journal_properties (gobject_class);
  gst_rg_broker_sink_install_cluster_properties (gobject_class);

  /**
   * GstRgBrokerSink:stats:
   *
   * `connections` (open now), `connections-total`, `connections-refused`,
   * `connections-refused-per-address`, `closed-request-timeout`,
   * `closed-partial-bytes`,
   * `records-appended`, `log-start-offset`, `high-watermark`, and for this
   * topic `fetches`, `bytes-served`, `records-served`, and `clients`: an
   * array of `client` structures (`id`, `address`, `next-offset`, `lag` in
   * records, `bytes-sent`, `fetches`) for the connections whose latest
   * fetch was of this topic. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Stats", "Broker and topic statistics",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstRgBrokerSink::client-added:
   * @sink: the sink
   * @id: the connection's id
   * @address: the client's "host:port"
   *
   * A client connected to the broker (any topic). Emitted from the
   * broker's thread. Since: 0.1
   */
  signals[SIGNAL_CLIENT_ADDED] = g_signal_new ("client-added",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
  /**
   * GstRgBrokerSink::client-removed:
   * @sink: the sink
   * @id: the connection's id
   * @address: the client's "host:port"
   *
   * A client's connection closed. Emitted from the broker's thread.
   * Since: 0.1
   */
  signals[SIGNAL_CLIENT_REMOVED] = g_signal_new ("client-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Kafka broker sink", "Sink/Network",
      "Serves buffers as Kafka records to any Kafka client through an "
      "embedded broker", "gst-rg contributors");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_rg_broker_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_rg_broker_sink_stop);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_rg_broker_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_rg_broker_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_rg_broker_sink_event);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_rg_broker_sink_unlock);
  basesink_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_rg_broker_sink_unlock_stop);

  GST_DEBUG_CATEGORY_INIT (gst_rg_broker_sink_debug, "rgbrokersink", 0,
      "Kafka broker sink");
}

static void
gst_rg_broker_sink_init (GstRgBrokerSink * self)
{
  self->host = g_strdup (DEFAULT_PROP_HOST);
  self->port = DEFAULT_PROP_PORT;
  self->topic_name = g_strdup (DEFAULT_PROP_TOPIC);
  self->ring_size = DEFAULT_PROP_RING_SIZE;
  self->max_connections = DEFAULT_PROP_MAX_CONNECTIONS;
  self->send_threads = DEFAULT_PROP_SEND_THREADS;
  self->max_request_bytes = DEFAULT_PROP_MAX_REQUEST_BYTES;
  self->idle_timeout = DEFAULT_PROP_IDLE_TIMEOUT;
  self->advertised_host = g_strdup (DEFAULT_PROP_ADVERTISED_HOST);
  self->location = g_strdup (DEFAULT_PROP_LOCATION);
  self->live_max_lag = DEFAULT_PROP_LIVE_MAX_LAG;
  rg_journal_config_init (&self->journal_config);
  self->ingest = DEFAULT_PROP_INGEST;
  self->bootstrap_servers = g_strdup (DEFAULT_PROP_BOOTSTRAP_SERVERS);
  self->acks = DEFAULT_PROP_ACKS;
  self->message_timeout_ms = DEFAULT_PROP_MESSAGE_TIMEOUT_MS;
  self->max_connections_per_address =
      DEFAULT_PROP_MAX_CONNECTIONS_PER_ADDRESS;
  self->request_timeout = DEFAULT_PROP_REQUEST_TIMEOUT;
  self->max_partial_bytes = DEFAULT_PROP_MAX_PARTIAL_BYTES;
}
