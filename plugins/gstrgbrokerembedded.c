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

/* rgbrokersink's embedded transport: a Kafka-protocol broker in this
 * process (broker/rgbroker.h), shared by every sink that names the same
 * host and port, serving the sink's topic. In memory the topic keeps the
 * last ring-size buffers by reference (plus the <topic>.live view); with a
 * location the sink writes a journal (journal/rgjournal.h) and the broker
 * serves what the journal keeps, trusting the writer's tail. With ingest
 * and a location, topics clients produce into are journals too, beside the
 * sink's (rgbrokeringest.h in the broker). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgbrokersinktransport.h"
#include "broker/rgbroker.h"
#include "journal/rgjournal.h"

#define GST_CAT_DEFAULT gst_rg_broker_sink_debug

typedef struct
{
  GstRgBrokerSinkTransport parent;
  RgBroker *broker;
  RgBrokerTopic *topic;
  /* With a location: the journal the topic is served from. */
  RgJournalWriter *writer;
  guint watch_id;
  GstRgBrokerSinkClientFunc client_changed;
} GstRgBrokerEmbedded;

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

/* Called with the element's object lock held, which keeps the broker and
 * the topic alive: stop() takes the transport away under it first. */
static void
embedded_stats (GstRgBrokerSinkTransport * transport, GstStructure * s)
{
  GstRgBrokerEmbedded *e = (GstRgBrokerEmbedded *) transport;
  GPtrArray *infos = rg_broker_get_clients (e->broker);
  const gchar *name = rg_broker_topic_get_name (e->topic);
  GValue clients = G_VALUE_INIT;
  RgBrokerTopicStats ts = { 0, };
  RgBrokerStats bs = { 0, };
  guint i;

  rg_broker_get_stats (e->broker, &bs);
  rg_broker_topic_get_stats (e->topic, &ts);
  g_value_init (&clients, GST_TYPE_ARRAY);
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
  gst_structure_set (s,
      "connections", G_TYPE_UINT, bs.connections,
      "connections-total", G_TYPE_UINT64, bs.connections_total,
      "connections-refused", G_TYPE_UINT64, bs.connections_refused,
      "connections-refused-per-address", G_TYPE_UINT64,
      bs.connections_refused_per_address,
      "closed-request-timeout", G_TYPE_UINT64, bs.closed_request_timeout,
      "closed-partial-bytes", G_TYPE_UINT64, bs.closed_partial_bytes,
      "produce-throttled", G_TYPE_UINT64, bs.produce_throttled,
      "inflight-pauses", G_TYPE_UINT64, bs.inflight_pauses,
      "inflight-bytes-max", G_TYPE_UINT64, bs.inflight_bytes_max,
      "parallel-sends", G_TYPE_UINT64, bs.parallel_sends,
      "records-appended", G_TYPE_UINT64, ts.records_appended,
      "log-start-offset", G_TYPE_UINT64, ts.log_start_offset,
      "high-watermark", G_TYPE_UINT64, ts.high_watermark,
      "fetches", G_TYPE_UINT64, ts.fetches,
      "bytes-served", G_TYPE_UINT64, ts.bytes_served,
      "records-served", G_TYPE_UINT64, ts.records_served, NULL);
  gst_structure_take_value (s, "clients", &clients);
}

/* ------------------------------------------------------------------ */
/* Start and stop                                                       */

/* From the broker's thread. */
static void
client_changed (RgBroker * broker, guint64 client_id, const gchar * address,
    gboolean added, gpointer user_data)
{
  GstRgBrokerEmbedded *e = user_data;

  e->client_changed (e->parent.sink, client_id, address, added);
}

static void
config_from_settings (RgBrokerConfig * config,
    const GstRgBrokerSinkSettings * settings)
{
  rg_broker_config_init (config);
  config->max_connections = settings->max_connections;
  if (settings->send_threads >= 0)
    config->send_threads = settings->send_threads;
  config->max_request_bytes = settings->max_request_bytes;
  config->idle_timeout_ms = settings->idle_timeout * 1000;
  config->max_connections_per_address = settings->max_connections_per_address;
  config->request_timeout_ms = settings->request_timeout * 1000;
  config->max_partial_bytes = settings->max_partial_bytes;
  config->produce_quota = settings->produce_quota;
  config->max_inflight_bytes = settings->max_inflight_bytes;
  config->busy_poll_us = settings->busy_poll;
  config->ingest_batches = settings->ingest ? settings->ring_size : 0;
  config->ingest_partitions = settings->ingest_partitions;
  config->auto_create_topics = settings->auto_create_topics;
  config->advertised_host = settings->advertised_host;
  config->max_topics = settings->max_topics;
  config->ingest_journal = settings->journal_config;
  config->tls_certificate = settings->tls_certificate;
  config->tls_key = settings->tls_key;
  config->tls_ca = settings->tls_ca;
  config->sasl_mechanisms = settings->sasl_mechanisms;
  config->credentials_file = settings->credentials_file;
  config->acl_file = settings->acl_file;
}

/* Where durable ingest topics live: ingest-location, else a sibling of
 * the sink's own journal, so that one directory tree holds a pipeline's
 * whole state; NULL (memory) without either. */
static gchar *
ingest_location (const GstRgBrokerSinkSettings * settings)
{
  if (!settings->ingest)
    return NULL;
  if (settings->ingest_location)
    return g_strdup (settings->ingest_location);
  if (settings->location)
    return g_strconcat (settings->location, ".ingest", NULL);
  return NULL;
}

/* The sink's topic on @broker: from the journal @writer writes, else in
 * memory. */
static RgBrokerTopic *
add_topic (RgBroker * broker, const GstRgBrokerSinkSettings * settings,
    RgJournalWriter * writer, GError ** error)
{
  RgJournalTail *tail;
  RgBrokerTopic *topic;

  if (!writer)
    return rg_broker_add_topic (broker, settings->topic, settings->ring_size,
        error);
  /* The broker trusts this writer's tail instead of re-reading and
   * checking every batch it wrote. */
  tail = rg_journal_writer_get_tail (writer);
  topic = rg_broker_add_journal_topic (broker, settings->topic,
      settings->location, tail, error);
  rg_journal_tail_unref (tail);
  /* Readers at the live edge get the latest ring-size buffers from their
   * memory, as in memory mode; older records come from the files. */
  if (topic)
    rg_broker_topic_keep_hot (topic, writer, settings->ring_size);
  return topic;
}

/* Committed offsets live beside the stream: in __consumer_offsets, a
 * sibling of the sink's journal directory, with the journal's sync
 * policy. Without it (another process holds that directory) the broker
 * keeps them in memory, which is worth a warning, not a failed start. */
static void
enable_offsets_journal (GstRgBrokerSink * sink, RgBroker * broker,
    const GstRgBrokerSinkSettings * settings)
{
  gchar *parent = g_path_get_dirname (settings->location);
  gchar *dir = g_build_filename (parent, "__consumer_offsets", NULL);
  GError *error = NULL;

  if (!rg_broker_enable_offsets_journal (broker, dir,
          settings->journal_config.sync, &error)) {
    GST_ELEMENT_WARNING (sink, RESOURCE, OPEN_WRITE,
        ("Committed consumer-group offsets are kept in memory only: the "
            "directory \"%s\" could not be used.", dir),
        ("%s", error->message));
    g_clear_error (&error);
  }
  g_free (dir);
  g_free (parent);
}

static GstRgBrokerSinkTransport *
embedded_start (GstRgBrokerSink * sink,
    const GstRgBrokerSinkSettings * settings,
    GstRgBrokerSinkClientFunc client_changed_func)
{
  RgJournalConfig journal_config = settings->journal_config;
  const gchar *topic_name = settings->topic;
  RgBrokerConfig config;
  RgBroker *broker = NULL;
  RgBrokerTopic *topic;
  RgJournalWriter *writer = NULL;
  GstRgBrokerEmbedded *e;
  GError *error = NULL;
  gchar *ingest_dir;

  config_from_settings (&config, settings);
  ingest_dir = ingest_location (settings);
  config.ingest_location = ingest_dir;
  if (settings->location) {
    writer = rg_journal_writer_open (settings->location, &journal_config,
        &error);
    if (!writer)
      goto journal_failed;
  }
  broker = rg_broker_acquire (settings->host, settings->port, &config,
      &error);
  g_free (ingest_dir);
  ingest_dir = NULL;
  if (!broker)
    goto listen_failed;
  topic = add_topic (broker, settings, writer, &error);
  if (!topic)
    goto topic_failed;
  if (settings->location)
    enable_offsets_journal (sink, broker, settings);
  /* The .live view needs the keyframe flags only the ring keeps. */
  if (!writer && settings->live_max_lag > 0
      && !rg_broker_add_live_view (broker, topic, settings->live_max_lag,
          &error))
    goto live_failed;

  e = g_new0 (GstRgBrokerEmbedded, 1);
  e->parent.klass = &gst_rg_broker_embedded_transport;
  e->parent.sink = sink;
  e->parent.bound_port = rg_broker_get_port (broker);
  e->broker = broker;
  e->topic = topic;
  e->writer = writer;
  e->client_changed = client_changed_func;
  e->watch_id = rg_broker_add_client_watch (broker, client_changed, e);
  GST_INFO_OBJECT (sink, "serving topic \"%s\" on %s port %u", topic_name,
      settings->host, e->parent.bound_port);
  return &e->parent;

  /* ERRORS */
journal_failed:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_WRITE,
        ("Could not open the journal directory \"%s\". Check that it is "
            "writable and that no other element or program writes to it.",
            settings->location), ("%s", error->message));
    goto fail;
  }
listen_failed:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_READ_WRITE,
        ("Could not start the Kafka broker on %s port %u. Choose another "
            "port (0 picks a free one) or stop the program using it.",
            settings->host, settings->port), ("%s", error->message));
    goto fail;
  }
topic_failed:
  {
    /* The broker's message says who holds the name: an element, or a
     * client that produced into it (ingest). */
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("Could not serve topic \"%s\": %s", topic_name, error->message),
        ("%s", error->message));
    goto fail;
  }
live_failed:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("Could not serve topic \"%s.live\". Give every rgbrokersink on the "
            "same port its own topic, or set live-max-lag=0.", topic_name),
        ("%s", error->message));
    rg_broker_remove_topic (broker, topic);
    goto fail;
  }
fail:
  {
    g_free (ingest_dir);
    if (broker)
      rg_broker_release (broker);
    if (writer)
      rg_journal_writer_close (writer, NULL);
    g_clear_error (&error);
    return NULL;
  }
}

static gboolean
embedded_stop (GstRgBrokerSinkTransport * transport)
{
  GstRgBrokerEmbedded *e = (GstRgBrokerEmbedded *) transport;
  GstRgBrokerSink *sink = transport->sink;
  GError *error = NULL;
  gboolean ok = TRUE;

  /* Not under the object lock: a signal handler running on the broker's
   * thread may be taking it, and this waits for the handler. */
  rg_broker_remove_client_watch (e->broker, e->watch_id);
  rg_broker_remove_topic (e->broker, e->topic);
  rg_broker_release (e->broker);
  if (e->writer && !rg_journal_writer_close (e->writer, &error)) {
    GST_ELEMENT_ERROR (sink, RESOURCE, WRITE,
        ("The journal could not be made durable when the stream stopped."),
        ("%s", error->message));
    g_clear_error (&error);
    ok = FALSE;
  }
  g_free (e);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Streaming                                                            */

static void
embedded_set_caps (GstRgBrokerSinkTransport * transport, GstCaps * caps)
{
  GstRgBrokerEmbedded *e = (GstRgBrokerEmbedded *) transport;

  if (e->writer)
    rg_journal_writer_set_caps (e->writer, caps);
  else
    rg_broker_topic_set_caps (e->topic, caps);
}

/* A journal-backed topic is served from what the writer wrote: it is told
 * after each append. */
static GstFlowReturn
embedded_render (GstRgBrokerSinkTransport * transport, GstBuffer * buffer,
    gint64 timestamp, GBytes * key)
{
  GstRgBrokerEmbedded *e = (GstRgBrokerEmbedded *) transport;
  GError *error = NULL;
  gboolean ok;

  if (e->writer) {
    ok = rg_journal_writer_append (e->writer, buffer, timestamp, key, NULL,
        &error);
    if (ok)
      rg_broker_topic_notify (e->topic);
  } else {
    ok = rg_broker_topic_append (e->topic, buffer, timestamp, key, NULL,
        &error);
  }
  if (!ok)
    goto append_failed;
  return GST_FLOW_OK;

  /* ERRORS */
append_failed:
  {
    GST_ELEMENT_ERROR (transport->sink, STREAM, FAILED,
        ("Could not serve a buffer of %" G_GSIZE_FORMAT " bytes as a Kafka "
            "record.", gst_buffer_get_size (buffer)), ("%s", error->message));
    g_clear_error (&error);
    return GST_FLOW_ERROR;
  }
}

/* At EOS a journal-backed sink makes every record durable before the EOS
 * is posted, whatever the sync policy, as rgjournalsink does. */
static gboolean
embedded_eos (GstRgBrokerSinkTransport * transport, const gint * unlocked)
{
  GstRgBrokerEmbedded *e = (GstRgBrokerEmbedded *) transport;
  GError *error = NULL;

  if (!e->writer || rg_journal_writer_sync (e->writer, &error))
    return TRUE;
  GST_ELEMENT_ERROR (transport->sink, RESOURCE, WRITE,
      ("The journal could not be made durable at the end of the stream."),
      ("%s", error->message));
  g_clear_error (&error);
  return FALSE;
}

const GstRgBrokerSinkTransportClass gst_rg_broker_embedded_transport = {
  .start = embedded_start,
  .stop = embedded_stop,
  .set_caps = embedded_set_caps,
  .render = embedded_render,
  .eos = embedded_eos,
  .stats = embedded_stats,
};
