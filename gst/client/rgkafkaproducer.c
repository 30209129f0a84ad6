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
 * A thin wrapper over librdkafka's producer: one topic, partition 0, the
 * envelope headers of rgbatch, delivery failures kept with librdkafka's
 * reason. Every librdkafka callback (delivery reports, errors) is served
 * by rd_kafka_poll() or rd_kafka_flush() on the thread that sends, so the
 * producer's state needs no lock; only librdkafka's log callback runs on
 * its own threads, and it touches nothing here.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "client/rgkafkaproducer.h"
#include "record/rgbatch.h"

#include <librdkafka/rdkafka.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rg_kafka_producer_debug);
#define GST_CAT_DEFAULT rg_kafka_producer_debug

/* How long one wait in a flush or a full queue lasts before the
 * cancellable is looked at again. */
#define WAIT_SLICE_MS 100

/* One queued record's value: the buffer stays mapped and referenced until
 * librdkafka reports the delivery, so the value is never copied by us. */
typedef struct
{
  GstBuffer *buffer;
  GstMapInfo map;
} RgProducerPending;

struct _RgKafkaProducer
{
  rd_kafka_t *rk;
  gchar *topic;
  RgKafkaProducerWarningFunc warning_func;
  gpointer user_data;

  gchar *caps_string;
  gboolean caps_pending;

  /* Records handed to librdkafka whose report has not come yet. */
  GHashTable *pending;
  guint64 delivered;
  gchar *failure;
};

G_DEFINE_QUARK (rg-kafka-producer-error-quark, rg_kafka_producer_error);

static void
pending_free (gpointer data)
{
  RgProducerPending *p = data;

  gst_buffer_unmap (p->buffer, &p->map);
  gst_buffer_unref (p->buffer);
  g_free (p);
}

/* Delivery report: served on the sending thread by rd_kafka_poll(). */
static void
on_delivery (rd_kafka_t * rk, const rd_kafka_message_t * msg, void *opaque)
{
  RgKafkaProducer *producer = opaque;

  if (msg->err) {
    GST_WARNING ("record not delivered to %s: %s", producer->topic,
        rd_kafka_err2str (msg->err));
    if (!producer->failure)
      producer->failure = g_strdup (rd_kafka_err2str (msg->err));
  } else {
    producer->delivered++;
  }
  if (msg->_private)
    g_hash_table_remove (producer->pending, msg->_private);
}

static void
on_error (rd_kafka_t * rk, int err, const char *reason, void *opaque)
{
  RgKafkaProducer *producer = opaque;

  GST_WARNING ("librdkafka: %s: %s", rd_kafka_err2name (err), reason);
  /* A fatal error ends the producer: every later record would fail. */
  if (err == RD_KAFKA_RESP_ERR__FATAL && !producer->failure)
    producer->failure = g_strdup (reason);
  if (producer->warning_func)
    producer->warning_func (reason, producer->user_data);
}

static void
on_log (const rd_kafka_t * rk, int level, const char *fac, const char *buf)
{
  GST_CAT_LEVEL_LOG (rg_kafka_producer_debug,
      level <= 4 ? GST_LEVEL_WARNING : GST_LEVEL_DEBUG, NULL,
      "librdkafka %s: %s", fac, buf);
}

static gboolean
conf_set (rd_kafka_conf_t * conf, const gchar * name, const gchar * value,
    GError ** error)
{
  char errstr[512];

  if (rd_kafka_conf_set (conf, name, value, errstr, sizeof (errstr)) ==
      RD_KAFKA_CONF_OK)
    return TRUE;
  g_set_error (error, RG_KAFKA_PRODUCER_ERROR, RG_KAFKA_PRODUCER_ERROR_CONFIG,
      "%s", errstr);
  return FALSE;
}

static rd_kafka_conf_t *
producer_conf (RgKafkaProducer * producer,
    const RgKafkaProducerConfig * config, GError ** error)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  gchar acks[16], timeout[16];

  g_snprintf (acks, sizeof (acks), "%d", config->acks);
  g_snprintf (timeout, sizeof (timeout), "%u",
      MAX (config->message_timeout_ms, 1));
  if (!conf_set (conf, "bootstrap.servers", config->bootstrap_servers, error)
      || !conf_set (conf, "acks", acks, error)
      || !conf_set (conf, "message.timeout.ms", timeout, error)
      || !conf_set (conf, "client.id", "gst-rg", error)) {
    rd_kafka_conf_destroy (conf);
    return NULL;
  }
  rd_kafka_conf_set_opaque (conf, producer);
  rd_kafka_conf_set_dr_msg_cb (conf, on_delivery);
  rd_kafka_conf_set_error_cb (conf, on_error);
  rd_kafka_conf_set_log_cb (conf, on_log);
  return conf;
}

RgKafkaProducer *
rg_kafka_producer_new (const RgKafkaProducerConfig * config, GError ** error)
{
  RgKafkaProducer *producer;
  rd_kafka_conf_t *conf;
  char errstr[512];

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->bootstrap_servers != NULL, NULL);
  g_return_val_if_fail (config->topic != NULL, NULL);

  GST_DEBUG_CATEGORY_INIT (rg_kafka_producer_debug, "rgkafkaproducer", 0,
      "librdkafka producer");
  producer = g_new0 (RgKafkaProducer, 1);
  producer->topic = g_strdup (config->topic);
  producer->warning_func = config->warning_func;
  producer->user_data = config->user_data;
  producer->pending = g_hash_table_new_full (NULL, NULL, pending_free, NULL);

  conf = producer_conf (producer, config, error);
  if (!conf)
    goto fail;
  /* rd_kafka_new() takes the configuration only when it succeeds. */
  producer->rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr,
      sizeof (errstr));
  if (!producer->rk) {
    rd_kafka_conf_destroy (conf);
    g_set_error (error, RG_KAFKA_PRODUCER_ERROR,
        RG_KAFKA_PRODUCER_ERROR_CONFIG, "%s", errstr);
    goto fail;
  }
  return producer;

fail:
  rg_kafka_producer_free (producer);
  return NULL;
}

void
rg_kafka_producer_set_caps (RgKafkaProducer * producer, GstCaps * caps)
{
  gchar *str;

  g_return_if_fail (producer != NULL);

  str = caps ? gst_caps_to_string (caps) : NULL;
  if (g_strcmp0 (str, producer->caps_string) == 0) {
    g_free (str);
    return;
  }
  g_free (producer->caps_string);
  producer->caps_string = str;
  producer->caps_pending = str != NULL;
}

static gboolean
producer_check (RgKafkaProducer * producer, GError ** error)
{
  if (!producer->failure)
    return TRUE;
  g_set_error (error, RG_KAFKA_PRODUCER_ERROR,
      RG_KAFKA_PRODUCER_ERROR_DELIVERY, "%s", producer->failure);
  return FALSE;
}

static rd_kafka_headers_t *
producer_headers (RgKafkaProducer * producer, GstBuffer * buffer)
{
  rd_kafka_headers_t *headers = rd_kafka_headers_new (RG_ENVELOPE_MAX_HEADERS);
  RgEnvelope envelope;
  guint i;

  rg_envelope_init (&envelope, buffer, producer->caps_pending ?
      producer->caps_string : NULL);
  for (i = 0; i < envelope.n_headers; i++) {
    const RgRecordHeader *h = &envelope.headers[i];

    rd_kafka_header_add (headers, h->key, h->key_len, h->value,
        h->value_len);
  }
  return headers;
}

/* Queues one record; FALSE with @err set when librdkafka refused it. */
static gboolean
producer_produce (RgKafkaProducer * producer, RgProducerPending * p,
    gint64 timestamp, GBytes * key, rd_kafka_resp_err_t * err)
{
  rd_kafka_headers_t *headers = producer_headers (producer, p->buffer);
  gsize key_len = 0;
  const void *key_data = key ? g_bytes_get_data (key, &key_len) : NULL;

  /* No RD_KAFKA_MSG_F_COPY: librdkafka reads the mapped buffer until the
   * delivery report releases it. */
  *err = rd_kafka_producev (producer->rk,
      RD_KAFKA_V_TOPIC (producer->topic),
      RD_KAFKA_V_PARTITION (0),
      RD_KAFKA_V_VALUE (p->map.data, p->map.size),
      RD_KAFKA_V_KEY (key_data, key_len),
      RD_KAFKA_V_TIMESTAMP (timestamp),
      RD_KAFKA_V_HEADERS (headers),
      RD_KAFKA_V_OPAQUE (p), RD_KAFKA_V_END);
  if (*err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return TRUE;
  /* The headers are librdkafka's only when the record was queued. */
  rd_kafka_headers_destroy (headers);
  return FALSE;
}

gboolean
rg_kafka_producer_send (RgKafkaProducer * producer, GstBuffer * buffer,
    gint64 timestamp, GBytes * key, GError ** error)
{
  RgProducerPending *p;
  rd_kafka_resp_err_t err;

  g_return_val_if_fail (producer != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), FALSE);

  rd_kafka_poll (producer->rk, 0);
  if (!producer_check (producer, error))
    return FALSE;

  p = g_new0 (RgProducerPending, 1);
  p->buffer = gst_buffer_ref (buffer);
  if (!gst_buffer_map (buffer, &p->map, GST_MAP_READ)) {
    gst_buffer_unref (p->buffer);
    g_free (p);
    g_set_error (error, RG_KAFKA_PRODUCER_ERROR,
        RG_KAFKA_PRODUCER_ERROR_PRODUCE,
        "Could not map the memory of a buffer for reading");
    return FALSE;
  }
  if (timestamp < 0)
    timestamp = rg_envelope_timestamp (buffer, g_get_real_time () / 1000);

  /* A full queue drains as the cluster acknowledges (or as records time
   * out), so this wait ends. */
  while (!producer_produce (producer, p, timestamp, key, &err)) {
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      goto produce_failed;
    rd_kafka_poll (producer->rk, WAIT_SLICE_MS);
    if (producer->failure)
      goto delivery_failed;
  }
  g_hash_table_add (producer->pending, p);
  producer->caps_pending = FALSE;
  rd_kafka_poll (producer->rk, 0);
  return producer_check (producer, error);

  /* ERRORS */
produce_failed:
  {
    g_set_error (error, RG_KAFKA_PRODUCER_ERROR,
        RG_KAFKA_PRODUCER_ERROR_PRODUCE, "%s", rd_kafka_err2str (err));
    pending_free (p);
    return FALSE;
  }
delivery_failed:
  {
    pending_free (p);
    return producer_check (producer, error);
  }
}

gboolean
rg_kafka_producer_flush (RgKafkaProducer * producer,
    const gint * cancel, GError ** error)
{
  g_return_val_if_fail (producer != NULL, FALSE);

  /* Each record is delivered or fails within message.timeout.ms. */
  while (rd_kafka_flush (producer->rk, WAIT_SLICE_MS) ==
      RD_KAFKA_RESP_ERR__TIMED_OUT) {
    if (cancel && g_atomic_int_get (cancel)) {
      g_set_error (error, RG_KAFKA_PRODUCER_ERROR,
          RG_KAFKA_PRODUCER_ERROR_TIMEOUT,
          "Cancelled with %d records not yet delivered",
          rd_kafka_outq_len (producer->rk));
      return FALSE;
    }
  }
  rd_kafka_poll (producer->rk, 0);
  return producer_check (producer, error);
}

guint64
rg_kafka_producer_get_delivered (RgKafkaProducer * producer)
{
  g_return_val_if_fail (producer != NULL, 0);
  return producer->delivered;
}

void
rg_kafka_producer_free (RgKafkaProducer * producer)
{
  if (!producer)
    return;

  if (producer->rk) {
    /* Undelivered records are dropped: their reports release the
     * buffers; destroying the handle drops anything left. */
    rd_kafka_purge (producer->rk,
        RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll (producer->rk, 0);
    rd_kafka_destroy (producer->rk);
  }
  /* Records librdkafka dropped without a report. */
  g_hash_table_unref (producer->pending);
  g_free (producer->failure);
  g_free (producer->caps_string);
  g_free (producer->topic);
  g_free (producer);
}
