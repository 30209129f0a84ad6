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
 * The transports of rgbrokersink: where its records go. The element
 * (gstrgbrokersink.c) owns the properties, the record timestamp and key
 * taken from each buffer, the stats structure and the signals; a
 * transport starts, takes records and stops. Two fill this table:
 * gstrgbrokerembedded.c (a broker embedded in the process, serving the
 * topic from memory or from a journal) and gstrgbrokerproducer.c (a
 * librdkafka producer into a Kafka cluster, with bootstrap-servers).
 *
 * Errors: every function that can fail posts the element error itself
 * (its message names what a person must fix, which only the transport
 * knows) and returns NULL, FALSE or GST_FLOW_ERROR.
 *
 * Threads: start() and stop() run in the state change, with no streaming;
 * set_caps(), render() and eos() in the streaming thread; stats() from
 * any thread, with the element's object lock held.
 */

#ifndef __GST_RG_BROKER_SINK_TRANSPORT_H__
#define __GST_RG_BROKER_SINK_TRANSPORT_H__

#include "gstrgbrokersink.h"
#include "journal/rgjournal.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_rg_broker_sink_debug);

typedef struct _GstRgBrokerSinkTransport GstRgBrokerSinkTransport;
typedef struct _GstRgBrokerSinkTransportClass GstRgBrokerSinkTransportClass;

/* The element's properties: under its object lock in the element, a copy
 * for a transport's start(). */
typedef struct
{
  /* The embedded broker. */
  gchar *host;
  guint port;
  gchar *topic;                 /* NULL: the element's name */
  guint ring_size;
  guint max_connections;
  gint send_threads;
  guint max_request_bytes;
  guint idle_timeout;
  guint max_connections_per_address;
  guint request_timeout;
  guint64 max_partial_bytes;
  guint64 produce_quota;
  guint64 max_inflight_bytes;
  guint busy_poll;
  gchar *advertised_host;
  guint live_max_lag;
  gchar *location;
  RgJournalConfig journal_config;
  gboolean ingest;
  gchar *ingest_location;       /* NULL: <location>.ingest, or memory */
  guint max_topics;
  guint ingest_partitions;
  gboolean auto_create_topics;
  /* Security of the embedded broker (docs/security.md). */
  gchar *tls_certificate;
  gchar *tls_key;
  gchar *tls_ca;
  gchar *sasl_mechanisms;
  gchar *credentials_file;
  gchar *acl_file;
  /* The producer. */
  gchar *bootstrap_servers;
  gint acks;
  guint message_timeout_ms;
} GstRgBrokerSinkSettings;

/* What the element does when a client connects to or leaves the broker
 * (it emits client-added or client-removed), handed to start() so that a
 * transport never calls into the element. Called from the broker's
 * thread. */
typedef void (*GstRgBrokerSinkClientFunc) (GstRgBrokerSink * sink,
    guint64 client_id, const gchar * address, gboolean added);

/* A started transport; each transport's own state follows it. */
struct _GstRgBrokerSinkTransport
{
  const GstRgBrokerSinkTransportClass *klass;
  GstRgBrokerSink *sink;
  /* The port the embedded broker listens on (0 for the producer). */
  guint bound_port;
};

struct _GstRgBrokerSinkTransportClass
{
  /* Starts with @settings (the element's copy, freed after this
   * returns); @client_changed is called for the broker's clients. */
  GstRgBrokerSinkTransport *(*start) (GstRgBrokerSink * sink,
      const GstRgBrokerSinkSettings * settings,
      GstRgBrokerSinkClientFunc client_changed);
  /* Stops and frees the transport. FALSE if it posted an error (records
   * could not be made durable). */
  gboolean (*stop) (GstRgBrokerSinkTransport * transport);

  void (*set_caps) (GstRgBrokerSinkTransport * transport, GstCaps * caps);
  /* One buffer as one record with @timestamp (ms since the epoch, -1:
   * the wall clock at append) and @key (nullable). */
  GstFlowReturn (*render) (GstRgBrokerSinkTransport * transport,
      GstBuffer * buffer, gint64 timestamp, GBytes * key);
  /* At EOS, before it is posted: makes every record durable or
   * delivered. Gives up (FALSE, no error posted) when *@unlocked becomes
   * non-zero (the sink is flushing or shutting down). */
  gboolean (*eos) (GstRgBrokerSinkTransport * transport,
      const gint * unlocked);

  /* Sets the fields of the element's stats structure it knows (the
   * element fills zeros first); NULL if it knows none. */
  void (*stats) (GstRgBrokerSinkTransport * transport, GstStructure * s);
};

extern const GstRgBrokerSinkTransportClass gst_rg_broker_embedded_transport;
extern const GstRgBrokerSinkTransportClass gst_rg_broker_producer_transport;

G_END_DECLS

#endif /* __GST_RG_BROKER_SINK_TRANSPORT_H__ */
