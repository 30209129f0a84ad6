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

/* rgbrokersink's producer transport (bootstrap-servers set): no broker is
 * embedded; every buffer is produced as one record into the topic of a
 * Kafka cluster by RgKafkaProducer (client/rgkafkaproducer.h, over
 * librdkafka), and EOS waits until the cluster has every record. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgbrokersinktransport.h"
#include "client/rgkafkaproducer.h"

#define GST_CAT_DEFAULT gst_rg_broker_sink_debug

typedef struct
{
  GstRgBrokerSinkTransport parent;
  RgKafkaProducer *producer;
  gchar *topic;
  gchar *servers;
} GstRgBrokerProducer;

/* From the streaming thread (librdkafka's error callback is served by
 * the producer's calls). */
static void
producer_warning (const gchar * reason, gpointer user_data)
{
  GstRgBrokerProducer *p = user_data;

  GST_ELEMENT_WARNING (p->parent.sink, RESOURCE, WRITE,
      ("Trouble reaching Kafka cluster %s: %s. Records wait and are retried "
          "for message-timeout-ms.", p->servers, reason), ("%s", reason));
}

static void
producer_free (GstRgBrokerProducer * p)
{
  /* Records not delivered by now (no EOS, or a failed flush) are
   * dropped. */
  g_clear_pointer (&p->producer, rg_kafka_producer_free);
  g_free (p->topic);
  g_free (p->servers);
  g_free (p);
}

/* No broker, so no clients: @client_changed is never called. */
static GstRgBrokerSinkTransport *
producer_start (GstRgBrokerSink * sink,
    const GstRgBrokerSinkSettings * settings,
    GstRgBrokerSinkClientFunc client_changed)
{
  RgKafkaProducerConfig config = { 0, };
  GstRgBrokerProducer *p = g_new0 (GstRgBrokerProducer, 1);
  GError *error = NULL;

  p->parent.klass = &gst_rg_broker_producer_transport;
  p->parent.sink = sink;
  p->servers = g_strdup (settings->bootstrap_servers);
  p->topic = g_strdup (settings->topic);
  config.acks = settings->acks;
  config.message_timeout_ms = settings->message_timeout_ms;
  config.bootstrap_servers = p->servers;
  config.topic = p->topic;
  config.warning_func = producer_warning;
  config.user_data = p;

  p->producer = rg_kafka_producer_new (&config, &error);
  if (!p->producer)
    goto producer_failed;
  GST_INFO_OBJECT (sink, "producing into topic \"%s\" of %s", p->topic,
      p->servers);
  return &p->parent;

  /* ERRORS */
producer_failed:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("Could not create a Kafka producer for %s: %s. Check "
            "bootstrap-servers and acks.", p->servers, error->message),
        ("%s", error->message));
    g_clear_error (&error);
    producer_free (p);
    return NULL;
  }
}

static gboolean
producer_stop (GstRgBrokerSinkTransport * transport)
{
  producer_free ((GstRgBrokerProducer *) transport);
  return TRUE;
}

static void
producer_set_caps (GstRgBrokerSinkTransport * transport, GstCaps * caps)
{
  rg_kafka_producer_set_caps (((GstRgBrokerProducer *) transport)->producer,
      caps);
}

static GstFlowReturn
producer_render (GstRgBrokerSinkTransport * transport, GstBuffer * buffer,
    gint64 timestamp, GBytes * key)
{
  GstRgBrokerProducer *p = (GstRgBrokerProducer *) transport;
  GError *error = NULL;

  if (rg_kafka_producer_send (p->producer, buffer, timestamp, key, &error))
    return GST_FLOW_OK;
  GST_ELEMENT_ERROR (transport->sink, RESOURCE, WRITE,
      ("Could not deliver records to topic \"%s\" of Kafka cluster %s: "
          "%s. Check that the cluster is reachable and accepts the topic, "
          "or raise message-timeout-ms.", p->topic, p->servers,
          error->message), ("%s", error->message));
  g_clear_error (&error);
  return GST_FLOW_ERROR;
}

/* A producing sink posts EOS only once the cluster has every record. */
static gboolean
producer_eos (GstRgBrokerSinkTransport * transport, const gint * unlocked)
{
  GstRgBrokerProducer *p = (GstRgBrokerProducer *) transport;
  GError *error = NULL;

  if (rg_kafka_producer_flush (p->producer, unlocked, &error))
    return TRUE;
  if (g_error_matches (error, RG_KAFKA_PRODUCER_ERROR,
          RG_KAFKA_PRODUCER_ERROR_TIMEOUT)) {
    /* Flushing or shutting down: not an error of the stream. */
    GST_INFO_OBJECT (transport->sink, "stopped waiting for deliveries: %s",
        error->message);
  } else {
    GST_ELEMENT_ERROR (transport->sink, RESOURCE, WRITE,
        ("Could not deliver every record to topic \"%s\" of Kafka "
            "cluster %s: %s. Check that the cluster is reachable and "
            "accepts the topic, or raise message-timeout-ms.", p->topic,
            p->servers, error->message), ("%s", error->message));
  }
  g_clear_error (&error);
  return FALSE;
}

const GstRgBrokerSinkTransportClass gst_rg_broker_producer_transport = {
  .start = producer_start,
  .stop = producer_stop,
  .set_caps = producer_set_caps,
  .render = producer_render,
  .eos = producer_eos,
  .stats = NULL,
};
