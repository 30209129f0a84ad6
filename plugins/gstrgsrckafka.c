/* gst-rg
 * Copyright (C) 2026 gst-rg authors
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

/* rgsrc's Kafka transport: a location kafka://host:port/topic, consumed
 * from partition 0 by RgKafkaConsumer (client/rgkafkaconsumer.h, over
 * librdkafka), whose buffers wrap librdkafka's message payloads. A Kafka
 * topic has no index by time or flags that would make seeks cheap, so
 * this transport does not seek: its seek and lookup entries are NULL. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrgsrctransport.h"
#include "client/rgkafkaconsumer.h"
#include <string.h>

#define GST_CAT_DEFAULT gst_rg_src_debug

/* How long one read polls the consumer, so that the element checks
 * whether it is flushing between polls. */
#define KAFKA_POLL_MS 100

#define KAFKA_SCHEME "kafka://"

typedef struct
{
  GstRgSrcTransport parent;
  RgKafkaConsumer *consumer;
  gchar *location;
  guint timeout;
  /* No record handed out yet: the first one gets the start caps. */
  gboolean first;
} GstRgSrcKafka;

static gboolean
kafka_handles (const gchar * location)
{
  return location && g_ascii_strncasecmp (location, KAFKA_SCHEME,
      strlen (KAFKA_SCHEME)) == 0;
}

gboolean
gst_rg_src_kafka_parse_location (const gchar * location, gchar ** brokers,
    gchar ** topic, GError ** error)
{
  GUri *uri = g_uri_parse (location, G_URI_FLAGS_ENCODED_QUERY, error);
  const gchar *host, *path;
  gint port;

  if (!uri)
    return FALSE;
  host = g_uri_get_host (uri);
  port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 9092;
  path = g_uri_get_path (uri);
  while (path && *path == '/')
    path++;
  if (!host || !*host || !path || !*path || strchr (path, '/')) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        "%s does not name a broker and a topic "
        "(kafka://host:port/topic)", location);
    g_uri_unref (uri);
    return FALSE;
  }
  *brokers = strchr (host, ':') ? g_strdup_printf ("[%s]:%d", host, port) :
      g_strdup_printf ("%s:%d", host, port);
  *topic = g_uri_unescape_string (path, NULL);
  g_uri_unref (uri);
  return TRUE;
}

static const RgKafkaStart kafka_starts[] = {
  [GST_RG_SRC_START_EARLIEST] = RG_KAFKA_START_EARLIEST,
  [GST_RG_SRC_START_LATEST] = RG_KAFKA_START_LATEST,
  [GST_RG_SRC_START_OFFSET] = RG_KAFKA_START_OFFSET,
  [GST_RG_SRC_START_TIME] = RG_KAFKA_START_TIME,
};

/* Positions @consumer where the start settings say. */
static gboolean
kafka_start (RgKafkaConsumer * consumer, const GstRgSrcSettings * settings,
    GError ** error)
{
  guint timeout = settings->timeout;
  gint64 value;

  value = settings->start == GST_RG_SRC_START_TIME ? settings->start_time :
      (gint64) MIN (settings->start_offset, (guint64) G_MAXINT64);
  rg_kafka_consumer_set_stall_timeout (consumer, timeout);
  return rg_kafka_consumer_start (consumer, kafka_starts[settings->start],
      value, settings->snap_to_keyframe, timeout ? timeout : G_MAXINT,
      error);
}

static GstRgSrcTransport *
kafka_open (GstRgSrc * src, const gchar * location,
    const GstRgSrcSettings * settings)
{
  gchar *brokers = NULL, *topic = NULL;
  RgKafkaConsumer *consumer;
  GstRgSrcKafka *k;
  GError *err = NULL;

  if (!gst_rg_src_kafka_parse_location (location, &brokers, &topic, &err))
    goto bad_location;
  consumer = rg_kafka_consumer_new (brokers, topic, &err);
  if (!consumer)
    goto consumer_failed;
  if (!kafka_start (consumer, settings, &err))
    goto start_failed;
  k = g_new0 (GstRgSrcKafka, 1);
  k->parent.klass = &gst_rg_src_kafka_transport;
  k->parent.src = src;
  k->consumer = consumer;
  k->location = g_strdup (location);
  k->timeout = settings->timeout;
  k->first = TRUE;
  g_free (brokers);
  g_free (topic);
  return &k->parent;

  /* ERRORS */
bad_location:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND,
        ("Invalid Kafka location %s.", location), ("%s", err->message));
    g_error_free (err);
    return NULL;
  }
consumer_failed:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, OPEN_READ,
        ("Cannot create a Kafka consumer for %s.", location),
        ("%s", err->message));
    goto cleanup;
  }
start_failed:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, OPEN_READ,
        ("Cannot start reading topic %s from %s: is the broker running?",
            topic, brokers), ("%s", err->message));
    rg_kafka_consumer_close (consumer);
    goto cleanup;
  }
cleanup:
  g_error_free (err);
  g_free (brokers);
  g_free (topic);
  return NULL;
}

static void
kafka_close (GstRgSrcTransport * transport)
{
  GstRgSrcKafka *k = (GstRgSrcKafka *) transport;

  rg_kafka_consumer_close (k->consumer);
  g_free (k->location);
  g_free (k);
}

static void
kafka_post_read_error (GstRgSrcKafka * k, GError * err)
{
  GstRgSrc *src = k->parent.src;

  if (g_error_matches (err, RG_KAFKA_CONSUMER_ERROR,
          RG_KAFKA_CONSUMER_ERROR_ENVELOPE))
    GST_ELEMENT_ERROR (src, STREAM, DECODE,
        ("A record in %s has malformed gst.* headers.", k->location),
        ("%s", err->message));
  else if (g_error_matches (err, RG_KAFKA_CONSUMER_ERROR,
          RG_KAFKA_CONSUMER_ERROR_UNREACHABLE))
    GST_ELEMENT_ERROR (src, RESOURCE, READ,
        ("Gave up reading %s: the broker did not answer for %u ms. Is "
            "it running? Raise timeout, or set follow=true to wait for "
            "it.", k->location, k->timeout), ("%s", err->message));
  else
    GST_ELEMENT_ERROR (src, RESOURCE, READ,
        ("Could not read %s.", k->location), ("%s", err->message));
}

/* While the broker is away librdkafka reconnects with backoff and this
 * keeps returning TIMEOUT: forever when following, else until the
 * consumer's stall timeout (the timeout property) fails the read. */
static GstRgSrcReadResult
kafka_read (GstRgSrcTransport * transport, gboolean follow,
    GstRgSrcRecord * record)
{
  GstRgSrcKafka *k = (GstRgSrcKafka *) transport;
  RgKafkaRecord rec;
  GError *err = NULL;

  switch (rg_kafka_consumer_next (k->consumer, follow, KAFKA_POLL_MS, &rec,
          &err)) {
    case RG_KAFKA_READ_RECORD:
      break;
    case RG_KAFKA_READ_END:
      return GST_RG_SRC_READ_END;
    case RG_KAFKA_READ_TIMEOUT:
      return GST_RG_SRC_READ_TIMEOUT;
    case RG_KAFKA_READ_ERROR:
    default:
      kafka_post_read_error (k, err);
      g_error_free (err);
      return GST_RG_SRC_READ_ERROR;
  }
  /* The first record may carry no caps: use those in force there. */
  if (!rec.caps && k->first)
    rec.caps = rg_kafka_consumer_get_start_caps (k->consumer);
  k->first = FALSE;
  if (rec.discont)
    GST_BUFFER_FLAG_SET (rec.buffer, GST_BUFFER_FLAG_DISCONT);
  record->offset = rec.offset;
  record->timestamp = rec.timestamp;
  record->buffer = g_steal_pointer (&rec.buffer);
  record->caps = g_steal_pointer (&rec.caps);
  rg_kafka_record_clear (&rec);
  return GST_RG_SRC_READ_RECORD;
}

const GstRgSrcTransportClass gst_rg_src_kafka_transport = {
  .what = "topic",
  .handles = kafka_handles,
  .open = kafka_open,
  .close = kafka_close,
  .read = kafka_read,
};
