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
 * such topic in memory, for any client to fetch. Such a topic has
 * #GstRgBrokerSink:ingest-partitions partitions (Kafka's num.partitions);
 * the sink's own topic always has one, partition 0.
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
#include "gstrgbrokersinktransport.h"
#include "gstrgjournalprops.h"
#include "record/rgbatch.h"
#include "broker/rgbroker.h"
#include "record/rgmeta.h"

/* Shared with the transports (gstrgbrokersinktransport.h). */
GST_DEBUG_CATEGORY (gst_rg_broker_sink_debug);
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
#define DEFAULT_PROP_PRODUCE_QUOTA 0
#define DEFAULT_PROP_MAX_INFLIGHT_BYTES RG_BROKER_DEFAULT_MAX_INFLIGHT_BYTES
#define DEFAULT_PROP_BUSY_POLL 0
#define MAX_PROP_BUSY_POLL 1000
#define DEFAULT_PROP_ADVERTISED_HOST NULL
#define DEFAULT_PROP_SECURITY_FILE NULL
#define DEFAULT_PROP_LOCATION NULL
#define DEFAULT_PROP_LIVE_MAX_LAG 30
#define DEFAULT_PROP_INGEST FALSE
#define DEFAULT_PROP_INGEST_LOCATION NULL
#define DEFAULT_PROP_MAX_TOPICS RG_BROKER_DEFAULT_MAX_TOPICS
#define DEFAULT_PROP_INGEST_PARTITIONS 1
#define DEFAULT_PROP_AUTO_CREATE_TOPICS TRUE
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
  PROP_INGEST_LOCATION,
  PROP_MAX_TOPICS,
  PROP_INGEST_PARTITIONS,
  PROP_AUTO_CREATE_TOPICS,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_TLS_CA,
  PROP_SASL_MECHANISMS,
  PROP_CREDENTIALS_FILE,
  PROP_ACL_FILE,
  PROP_PRODUCE_QUOTA,
  PROP_MAX_INFLIGHT_BYTES,
  PROP_BUSY_POLL,
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
  GstRgBrokerSinkSettings props;
  /* The name reserved on its broker from the configuration (topic, host,
   * port), so that no client takes it before the sink starts; NULL when
   * none. Under the object lock. */
  gchar *reserved_topic;
  gchar *reserved_host;
  guint reserved_port;

  /* From start() to stop(), under the object lock; the streaming thread
   * uses the transport without it (start and stop never run while it
   * streams). */
  GstRgBrokerSinkTransport *transport;
  guint bound_port;
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
/* Settings                                                             */

/* Deep-copies @from into @to (the strings are duplicated; a NULL topic
 * becomes @name). */
static void
gst_rg_broker_sink_settings_copy (GstRgBrokerSinkSettings * to,
    const GstRgBrokerSinkSettings * from, const gchar * name)
{
  *to = *from;
  to->host = g_strdup (from->host);
  to->topic = g_strdup (from->topic ? from->topic : name);
  to->advertised_host = g_strdup (from->advertised_host);
  to->tls_certificate = g_strdup (from->tls_certificate);
  to->tls_key = g_strdup (from->tls_key);
  to->tls_ca = g_strdup (from->tls_ca);
  to->sasl_mechanisms = g_strdup (from->sasl_mechanisms);
  to->credentials_file = g_strdup (from->credentials_file);
  to->acl_file = g_strdup (from->acl_file);
  to->location = g_strdup (from->location);
  to->ingest_location = g_strdup (from->ingest_location);
  to->bootstrap_servers = g_strdup (from->bootstrap_servers);
}

static void
gst_rg_broker_sink_settings_clear (GstRgBrokerSinkSettings * settings)
{
  g_clear_pointer (&settings->host, g_free);
  g_clear_pointer (&settings->topic, g_free);
  g_clear_pointer (&settings->advertised_host, g_free);
  g_clear_pointer (&settings->tls_certificate, g_free);
  g_clear_pointer (&settings->tls_key, g_free);
  g_clear_pointer (&settings->tls_ca, g_free);
  g_clear_pointer (&settings->sasl_mechanisms, g_free);
  g_clear_pointer (&settings->credentials_file, g_free);
  g_clear_pointer (&settings->acl_file, g_free);
  g_clear_pointer (&settings->location, g_free);
  g_clear_pointer (&settings->ingest_location, g_free);
  g_clear_pointer (&settings->bootstrap_servers, g_free);
}

/* ------------------------------------------------------------------ */
/* Stats and signals                                                    */

/* Called with the object lock held: zeros, and what the transport knows. */
static GstStructure *
gst_rg_broker_sink_locked_stats (GstRgBrokerSink * self)
{
  GValue clients = G_VALUE_INIT;
  GstStructure *s;

  s = gst_structure_new ("application/x-rg-broker-stats",
      "connections", G_TYPE_UINT, 0,
      "connections-total", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "connections-refused", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "connections-refused-per-address", G_TYPE_UINT64,
      G_GUINT64_CONSTANT (0),
      "closed-request-timeout", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "closed-partial-bytes", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "parallel-sends", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "records-appended", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "log-start-offset", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "high-watermark", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "fetches", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "bytes-served", G_TYPE_UINT64, G_GUINT64_CONSTANT (0),
      "records-served", G_TYPE_UINT64, G_GUINT64_CONSTANT (0), NULL);
  g_value_init (&clients, GST_TYPE_ARRAY);
  gst_structure_take_value (s, "clients", &clients);
  if (self->transport && self->transport->klass->stats)
    self->transport->klass->stats (self->transport, s);
  return s;
}

/* From the broker's thread. */
static void
gst_rg_broker_sink_client_changed (GstRgBrokerSink * self,
    guint64 client_id, const gchar * address, gboolean added)
{
  GST_DEBUG_OBJECT (self, "client %" G_GUINT64_FORMAT " (%s) %s", client_id,
      address, added ? "connected" : "disconnected");
  g_signal_emit (self, signals[added ? SIGNAL_CLIENT_ADDED :
          SIGNAL_CLIENT_REMOVED], 0, client_id, address);
}

/* ------------------------------------------------------------------ */
/* GstBaseSink: dispatched to the transport                             */

/* With bootstrap-servers, the producer; else the embedded broker. */
static const GstRgBrokerSinkTransportClass *
gst_rg_broker_sink_locked_transport_class (GstRgBrokerSink * self)
{
  const gchar *servers = self->props.bootstrap_servers;

  if (servers && servers[0])
    return &gst_rg_broker_producer_transport;
  return &gst_rg_broker_embedded_transport;
}

static gboolean
gst_rg_broker_sink_start (GstBaseSink * sink)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  const GstRgBrokerSinkTransportClass *klass;
  GstRgBrokerSinkSettings settings;
  GstRgBrokerSinkTransport *transport;

  GST_OBJECT_LOCK (self);
  gst_rg_broker_sink_settings_copy (&settings, &self->props,
      GST_OBJECT_NAME (self));
  klass = gst_rg_broker_sink_locked_transport_class (self);
  GST_OBJECT_UNLOCK (self);
  g_atomic_int_set (&self->unlocked, 0);

  transport = klass->start (self, &settings,
      gst_rg_broker_sink_client_changed);
  gst_rg_broker_sink_settings_clear (&settings);
  if (!transport)
    return FALSE;
  GST_OBJECT_LOCK (self);
  self->transport = transport;
  if (transport->bound_port)
    self->bound_port = transport->bound_port;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
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

/* The transport leaves the element under the object lock, so the stats
 * never see one that is stopping. */
static gboolean
gst_rg_broker_sink_stop (GstBaseSink * sink)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  GstRgBrokerSinkTransport *transport;

  GST_OBJECT_LOCK (self);
  transport = self->transport;
  self->transport = NULL;
  GST_OBJECT_UNLOCK (self);
  if (!transport)
    return TRUE;
  return transport->klass->stop (transport);
}

static gboolean
gst_rg_broker_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);

  self->transport->klass->set_caps (self->transport, caps);
  return TRUE;
}

static gboolean
gst_rg_broker_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstRgBrokerSink *self = GST_RG_BROKER_SINK (sink);
  GstRgBrokerSinkTransport *transport = self->transport;

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && transport
      && !transport->klass->eos (transport, &self->unlocked)) {
    gst_event_unref (event);
    return FALSE;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
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
  GstFlowReturn ret;

  ret = self->transport->klass->render (self->transport, buffer,
      record_timestamp (buffer, meta), key);
  if (key)
    g_bytes_unref (key);
  return ret;
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
  const GstRgBrokerSinkSettings *p = &self->props;
  gboolean produce = p->bootstrap_servers && p->bootstrap_servers[0];
  const gchar *want = produce || p->port == 0 ? NULL : p->topic;

  if (g_strcmp0 (want, self->reserved_topic) == 0
      && g_strcmp0 (p->host, self->reserved_host) == 0
      && p->port == self->reserved_port)
    return;
  if (self->reserved_topic)
    rg_broker_unreserve_topic (self->reserved_host, self->reserved_port,
        self->reserved_topic);
  g_clear_pointer (&self->reserved_topic, g_free);
  g_clear_pointer (&self->reserved_host, g_free);
  if (want && rg_broker_reserve_topic (p->host, p->port, want, NULL)) {
    self->reserved_topic = g_strdup (want);
    self->reserved_host = g_strdup (p->host);
    self->reserved_port = p->port;
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
      g_free (self->props.host);
      self->props.host = g_value_dup_string (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_PORT:
      self->props.port = g_value_get_uint (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_TOPIC:
      g_free (self->props.topic);
      self->props.topic = g_value_dup_string (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_RING_SIZE:
      self->props.ring_size = g_value_get_uint (value);
      break;
    case PROP_SEND_THREADS:
      self->props.send_threads = g_value_get_int (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->props.max_connections = g_value_get_uint (value);
      break;
    case PROP_MAX_REQUEST_BYTES:
      self->props.max_request_bytes = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      self->props.idle_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS_PER_ADDRESS:
      self->props.max_connections_per_address = g_value_get_uint (value);
      break;
    case PROP_REQUEST_TIMEOUT:
      self->props.request_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_PARTIAL_BYTES:
      self->props.max_partial_bytes = g_value_get_uint64 (value);
      break;
    case PROP_PRODUCE_QUOTA:
      self->props.produce_quota = g_value_get_uint64 (value);
      break;
    case PROP_BUSY_POLL:
      self->props.busy_poll = g_value_get_uint (value);
      break;
    case PROP_MAX_INFLIGHT_BYTES:
      self->props.max_inflight_bytes = g_value_get_uint64 (value);
      break;
    case PROP_ADVERTISED_HOST:
      g_free (self->props.advertised_host);
      self->props.advertised_host = g_value_dup_string (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_free (self->props.tls_certificate);
      self->props.tls_certificate = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (self->props.tls_key);
      self->props.tls_key = g_value_dup_string (value);
      break;
    case PROP_TLS_CA:
      g_free (self->props.tls_ca);
      self->props.tls_ca = g_value_dup_string (value);
      break;
    case PROP_SASL_MECHANISMS:
      g_free (self->props.sasl_mechanisms);
      self->props.sasl_mechanisms = g_value_dup_string (value);
      break;
    case PROP_CREDENTIALS_FILE:
      g_free (self->props.credentials_file);
      self->props.credentials_file = g_value_dup_string (value);
      break;
    case PROP_ACL_FILE:
      g_free (self->props.acl_file);
      self->props.acl_file = g_value_dup_string (value);
      break;
    case PROP_LIVE_MAX_LAG:
      self->props.live_max_lag = g_value_get_uint (value);
      break;
    case PROP_LOCATION:
      g_free (self->props.location);
      self->props.location = g_value_dup_string (value);
      break;
    case PROP_INGEST_LOCATION:
      g_free (self->props.ingest_location);
      self->props.ingest_location = g_value_dup_string (value);
      break;
    case PROP_MAX_TOPICS:
      self->props.max_topics = g_value_get_uint (value);
      break;
    case PROP_INGEST:
      self->props.ingest = g_value_get_boolean (value);
      break;
    case PROP_INGEST_PARTITIONS:
      self->props.ingest_partitions = g_value_get_uint (value);
      break;
    case PROP_AUTO_CREATE_TOPICS:
      self->props.auto_create_topics = g_value_get_boolean (value);
      break;
    case PROP_BOOTSTRAP_SERVERS:
      g_free (self->props.bootstrap_servers);
      self->props.bootstrap_servers = g_value_dup_string (value);
      gst_rg_broker_sink_locked_reserve (self);
      break;
    case PROP_ACKS:
      self->props.acks = g_value_get_int (value);
      break;
    case PROP_MESSAGE_TIMEOUT_MS:
      self->props.message_timeout_ms = g_value_get_uint (value);
      break;
    default:
      if (!gst_rg_journal_props_set (&self->props.journal_config,
              PROP_JOURNAL_SYNC, prop_id, value))
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
      g_value_set_string (value, self->props.host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->props.port);
      break;
    case PROP_BOUND_PORT:
      g_value_set_uint (value, self->bound_port);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->props.topic ? self->props.topic :
          GST_OBJECT_NAME (self));
      break;
    case PROP_RING_SIZE:
      g_value_set_uint (value, self->props.ring_size);
      break;
    case PROP_SEND_THREADS:
      g_value_set_int (value, self->props.send_threads);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->props.max_connections);
      break;
    case PROP_MAX_REQUEST_BYTES:
      g_value_set_uint (value, self->props.max_request_bytes);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->props.idle_timeout);
      break;
    case PROP_MAX_CONNECTIONS_PER_ADDRESS:
      g_value_set_uint (value, self->props.max_connections_per_address);
      break;
    case PROP_REQUEST_TIMEOUT:
      g_value_set_uint (value, self->props.request_timeout);
      break;
    case PROP_MAX_PARTIAL_BYTES:
      g_value_set_uint64 (value, self->props.max_partial_bytes);
      break;
    case PROP_PRODUCE_QUOTA:
      g_value_set_uint64 (value, self->props.produce_quota);
      break;
    case PROP_BUSY_POLL:
      g_value_set_uint (value, self->props.busy_poll);
      break;
    case PROP_MAX_INFLIGHT_BYTES:
      g_value_set_uint64 (value, self->props.max_inflight_bytes);
      break;
    case PROP_ADVERTISED_HOST:
      g_value_set_string (value, self->props.advertised_host);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_string (value, self->props.tls_certificate);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->props.tls_key);
      break;
    case PROP_TLS_CA:
      g_value_set_string (value, self->props.tls_ca);
      break;
    case PROP_SASL_MECHANISMS:
      g_value_set_string (value, self->props.sasl_mechanisms);
      break;
    case PROP_CREDENTIALS_FILE:
      g_value_set_string (value, self->props.credentials_file);
      break;
    case PROP_ACL_FILE:
      g_value_set_string (value, self->props.acl_file);
      break;
    case PROP_LIVE_MAX_LAG:
      g_value_set_uint (value, self->props.live_max_lag);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->props.location);
      break;
    case PROP_INGEST_LOCATION:
      g_value_set_string (value, self->props.ingest_location);
      break;
    case PROP_MAX_TOPICS:
      g_value_set_uint (value, self->props.max_topics);
      break;
    case PROP_INGEST:
      g_value_set_boolean (value, self->props.ingest);
      break;
    case PROP_INGEST_PARTITIONS:
      g_value_set_uint (value, self->props.ingest_partitions);
      break;
    case PROP_AUTO_CREATE_TOPICS:
      g_value_set_boolean (value, self->props.auto_create_topics);
      break;
    case PROP_BOOTSTRAP_SERVERS:
      g_value_set_string (value, self->props.bootstrap_servers);
      break;
    case PROP_ACKS:
      g_value_set_int (value, self->props.acks);
      break;
    case PROP_MESSAGE_TIMEOUT_MS:
      g_value_set_uint (value, self->props.message_timeout_ms);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_rg_broker_sink_locked_stats (self));
      break;
    default:
      if (!gst_rg_journal_props_get (&self->props.journal_config,
              PROP_JOURNAL_SYNC, prop_id, value))
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
  gst_rg_broker_sink_settings_clear (&self->props);
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
   * GstRgBrokerSink:ingest-location:
   *
   * With #GstRgBrokerSink:ingest, makes ingest topics durable: each is a
   * journal directory "<ingest-location>/<topic>" (the format rgjournalsink
   * writes, with this sink's sync, rotation and retention settings), and a
   * Produce with acks 1 or -1 is answered once its records are durable
   * under #GstRgBrokerSink:sync. The broker reopens the journals it finds
   * there when it starts. Unset: "<location>.ingest" when
   * #GstRgBrokerSink:location is set, else ingest topics live in memory.
   * Set by the sink that starts the broker. Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_INGEST_LOCATION,
      g_param_spec_string ("ingest-location", "Ingest location",
          "Directory holding one journal per ingest topic (default: "
          "<location>.ingest when location is set, else memory)",
          DEFAULT_PROP_INGEST_LOCATION, flags));
  /**
   * GstRgBrokerSink:max-topics:
   *
   * Ingest topics clients may create; past it a Produce or Metadata naming
   * a new topic gets Kafka error 44 (POLICY_VIOLATION). 0 = no limit. Set
   * by the sink that starts the broker. Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_TOPICS,
      g_param_spec_uint ("max-topics", "Max topics",
          "Ingest topics clients may create (0 = no limit)", 0, G_MAXUINT,
          DEFAULT_PROP_MAX_TOPICS, flags));
  /**
   * GstRgBrokerSink:ingest-partitions:
   *
   * The partitions of a topic a client creates by naming it, as Kafka's
   * num.partitions: each has its own offsets and keeps its own ring-size
   * produced batches. Kafka clients spread keyed records over them and
   * some (librdkafka's test suite) expect several. The sink's own topic
   * always has one partition. Set by the sink that starts the broker.
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INGEST_PARTITIONS,
      g_param_spec_uint ("ingest-partitions", "Ingest partitions",
          "Partitions of each topic clients create by producing into it or "
          "asking for it (Kafka's num.partitions)", 1,
          RG_BROKER_MAX_INGEST_PARTITIONS, DEFAULT_PROP_INGEST_PARTITIONS,
          flags));
  /**
   * GstRgBrokerSink:auto-create-topics:
   *
   * Kafka's auto.create.topics.enable. With #GstRgBrokerSink:ingest, TRUE
   * creates a topic on the first Metadata or Produce that names it; FALSE
   * answers those with UNKNOWN_TOPIC_OR_PARTITION, so that topics exist
   * only once a client creates them with CreateTopics (the admin API) and
   * a mistyped name is an error instead of a new topic. Set by the sink
   * that starts the broker.
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AUTO_CREATE_TOPICS,
      g_param_spec_boolean ("auto-create-topics", "Auto-create topics",
          "Create an ingest topic when a client's Metadata or Produce names "
          "it (Kafka's auto.create.topics.enable); else only CreateTopics "
          "creates topics", DEFAULT_PROP_AUTO_CREATE_TOPICS, flags));
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
   * buffers more than it would otherwise. Journal-backed (with
   * #GstRgBrokerSink:location), clients can read everything the journal
   * keeps and this many of the latest buffers are also kept, as the hot
   * tail that readers at the live edge are served from memory. Since: 0.1
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
   * thread. With threads, the broker measures both ways in turn under
   * real traffic and uses the threads only while they are faster. Set by
   * the first sink that starts the broker. Since: 0.1
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
   * GstRgBrokerSink:max-inflight-bytes:
   *
   * Bytes one connection may have in flight: responses queued and not
   * yet sent, plus acks=0 Produce requests whose records are not yet
   * durable. Past it the broker stops reading that connection until some
   * are sent or durable. 0 = no limit. Set by the first sink that starts
   * the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_INFLIGHT_BYTES,
      g_param_spec_uint64 ("max-inflight-bytes", "Max in-flight bytes",
          "Bytes of unsent responses and not yet durable acks=0 requests "
          "per connection before the broker stops reading it (0 = no limit)",
          0, G_MAXUINT64, DEFAULT_PROP_MAX_INFLIGHT_BYTES, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:busy-poll:
   *
   * Busy polling of the embedded broker's event loop, in microseconds:
   * after a wait that found work within this time, the loop polls for up
   * to this long before it sleeps. Round trips then skip the wake-up of
   * an idle CPU, which is slow on virtual machines (one producer's rate
   * doubled on a 2-core VM, docs/performance.md), and the loop uses the
   * CPU it polls with while traffic is that dense; a wait that slept
   * longer turns polling off until traffic is that dense again. 0 = off
   * (as Linux's net.core.busy_poll). Set by the first sink that starts
   * the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BUSY_POLL,
      g_param_spec_uint ("busy-poll", "Busy poll",
          "Microseconds the broker's loop polls for more work before it "
          "sleeps, after a wait that was that short (0 = off)",
          0, MAX_PROP_BUSY_POLL, DEFAULT_PROP_BUSY_POLL, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:produce-quota:
   *
   * Bytes per second each client may produce into ingest topics (Kafka's
   * producer_byte_rate), measured over 11 samples of 1 s. A client is its
   * principal when it authenticated, else its IP address. A Produce over
   * the quota is stored and answered with throttle_time_ms set, and the
   * connection is not read for that long (KIP-219). 0 = no quota. Set by
   * the first sink that starts the broker. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PRODUCE_QUOTA,
      g_param_spec_uint64 ("produce-quota", "Produce quota",
          "Bytes per second each client (principal, else IP address) may "
          "produce; over it the client is throttled (0 = no quota)", 0,
          G_MAXUINT64, DEFAULT_PROP_PRODUCE_QUOTA, G_PARAM_READWRITE |
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
   * GstRgBrokerSink:tls-certificate:
   *
   * The PEM file of the broker's certificate chain (leaf first). With it (and
   * #GstRgBrokerSink:tls-key) the listener speaks TLS only: Kafka's SSL
   * listener, or SASL_SSL with #GstRgBrokerSink:sasl-mechanisms. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CERTIFICATE,
      g_param_spec_string ("tls-certificate", "TLS certificate",
          "PEM file of the listener's certificate chain: clients must "
          "connect with TLS (default: clear text)", DEFAULT_PROP_SECURITY_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:tls-key:
   *
   * The PEM file of the private key of #GstRgBrokerSink:tls-certificate.
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_KEY,
      g_param_spec_string ("tls-key", "TLS key",
          "PEM file of the private key of tls-certificate",
          DEFAULT_PROP_SECURITY_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:tls-ca:
   *
   * The PEM file of the CA that signs client certificates. When set, a client
   * must present a certificate it signed, and a client that does not log in
   * with SASL is known by the certificate's common name (for
   * #GstRgBrokerSink:acl-file). Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA,
      g_param_spec_string ("tls-ca", "TLS client CA",
          "PEM file of the CA client certificates must be signed by: "
          "clients must present one (default: none asked)",
          DEFAULT_PROP_SECURITY_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:sasl-mechanisms:
   *
   * Comma-separated SASL mechanisms (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
   * clients must authenticate with before any request but ApiVersions and
   * the SASL ones. Needs #GstRgBrokerSink:credentials-file. Use it with TLS:
   * PLAIN sends the password itself. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SASL_MECHANISMS,
      g_param_spec_string ("sasl-mechanisms", "SASL mechanisms",
          "Comma-separated SASL mechanisms clients must log in with "
          "(PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; default: no SASL)",
          DEFAULT_PROP_SECURITY_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:credentials-file:
   *
   * The users of #GstRgBrokerSink:sasl-mechanisms: one salted SCRAM
   * credential per line (`user mechanism iterations salt stored-key
   * server-key`, docs/security.md says how to make one); no password is
   * stored. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CREDENTIALS_FILE,
      g_param_spec_string ("credentials-file", "Credentials file",
          "File of the users' salted SCRAM credentials "
          "(docs/security.md)", DEFAULT_PROP_SECURITY_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRgBrokerSink:acl-file:
   *
   * Which principal may read, write or create which topics: one rule per
   * line, `principal read,write,create topic|prefix*|*` (docs/security.md:
   * also groups, the cluster, deny rules, hosts and super users). With it
   * the broker serves the ACL apis (DescribeAcls, CreateAcls, DeleteAcls)
   * and writes their changes back to this file. Without it every client
   * may do what the broker serves. Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ACL_FILE,
      g_param_spec_string ("acl-file", "ACL file",
          "File of rules saying which principal may read, write or "
          "create which topics (default: no rules, everything served is"
          " allowed)", DEFAULT_PROP_SECURITY_FILE,
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
  self->props.host = g_strdup (DEFAULT_PROP_HOST);
  self->props.port = DEFAULT_PROP_PORT;
  self->props.topic = g_strdup (DEFAULT_PROP_TOPIC);
  self->props.ring_size = DEFAULT_PROP_RING_SIZE;
  self->props.max_connections = DEFAULT_PROP_MAX_CONNECTIONS;
  self->props.send_threads = DEFAULT_PROP_SEND_THREADS;
  self->props.max_request_bytes = DEFAULT_PROP_MAX_REQUEST_BYTES;
  self->props.idle_timeout = DEFAULT_PROP_IDLE_TIMEOUT;
  self->props.max_connections_per_address =
      DEFAULT_PROP_MAX_CONNECTIONS_PER_ADDRESS;
  self->props.request_timeout = DEFAULT_PROP_REQUEST_TIMEOUT;
  self->props.max_partial_bytes = DEFAULT_PROP_MAX_PARTIAL_BYTES;
  self->props.produce_quota = DEFAULT_PROP_PRODUCE_QUOTA;
  self->props.max_inflight_bytes = DEFAULT_PROP_MAX_INFLIGHT_BYTES;
  self->props.busy_poll = DEFAULT_PROP_BUSY_POLL;
  self->props.advertised_host = g_strdup (DEFAULT_PROP_ADVERTISED_HOST);
  self->props.location = g_strdup (DEFAULT_PROP_LOCATION);
  self->props.live_max_lag = DEFAULT_PROP_LIVE_MAX_LAG;
  rg_journal_config_init (&self->props.journal_config);
  self->props.ingest = DEFAULT_PROP_INGEST;
  self->props.ingest_location = g_strdup (DEFAULT_PROP_INGEST_LOCATION);
  self->props.max_topics = DEFAULT_PROP_MAX_TOPICS;
  self->props.ingest_partitions = DEFAULT_PROP_INGEST_PARTITIONS;
  self->props.auto_create_topics = DEFAULT_PROP_AUTO_CREATE_TOPICS;
  self->props.bootstrap_servers = g_strdup (DEFAULT_PROP_BOOTSTRAP_SERVERS);
  self->props.acks = DEFAULT_PROP_ACKS;
  self->props.message_timeout_ms = DEFAULT_PROP_MESSAGE_TIMEOUT_MS;
}
