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

#ifndef __RG_KAFKA_PRODUCER_H__
#define __RG_KAFKA_PRODUCER_H__

#include <gst/gst.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * SECTION:rgkafkaproducer
 * @title: RgKafkaProducer
 * @short_description: buffers as Kafka records into a cluster, through
 *   librdkafka
 *
 * Produces each #GstBuffer as one record of partition 0 of a topic, with
 * the envelope headers of docs/format.md: gst.pts, gst.dts, gst.duration,
 * gst.flags on every record, gst.caps on the first record and whenever the
 * caps change. The value is handed to librdkafka without a copy: the
 * buffer stays mapped and referenced until its delivery report.
 *
 * Delivery reports are served by rg_kafka_producer_send() and
 * rg_kafka_producer_flush() on the calling thread: the first failed
 * delivery is kept, with librdkafka's reason, and every later call
 * returns it. Transient cluster trouble ("all brokers are down") goes to
 * the warning function; a record that cannot be delivered within
 * message_timeout_ms fails ("Local: Message timed out").
 *
 * Thread-safety: one thread uses a producer at a time; the warning
 * function is called from that thread.
 */

/**
 * RG_KAFKA_PRODUCER_ERROR:
 *
 * Error domain of the producer; codes are from #RgKafkaProducerError.
 */
#define RG_KAFKA_PRODUCER_ERROR (rg_kafka_producer_error_quark ())
RG_API
GQuark rg_kafka_producer_error_quark (void);

/**
 * RgKafkaProducerError:
 * @RG_KAFKA_PRODUCER_ERROR_CONFIG: librdkafka refused a setting (the
 *   message is its own)
 * @RG_KAFKA_PRODUCER_ERROR_PRODUCE: a record could not be queued
 * @RG_KAFKA_PRODUCER_ERROR_DELIVERY: a record was not delivered (the
 *   message is librdkafka's reason, e.g. "Local: Message timed out")
 * @RG_KAFKA_PRODUCER_ERROR_TIMEOUT: a flush did not finish in time
 */
typedef enum
{
  RG_KAFKA_PRODUCER_ERROR_CONFIG,
  RG_KAFKA_PRODUCER_ERROR_PRODUCE,
  RG_KAFKA_PRODUCER_ERROR_DELIVERY,
  RG_KAFKA_PRODUCER_ERROR_TIMEOUT,
} RgKafkaProducerError;

/**
 * RgKafkaProducerWarningFunc:
 * @reason: librdkafka's description of the trouble
 * @user_data: user data
 *
 * Called on the thread that sends or flushes when librdkafka reports a
 * cluster-level error that it retries by itself (brokers down, name
 * resolution failed, ...).
 */
typedef void (*RgKafkaProducerWarningFunc) (const gchar * reason,
    gpointer user_data);

/**
 * RgKafkaProducerConfig:
 * @bootstrap_servers: "host:port[,host:port...]"
 * @topic: the topic to produce into (partition 0)
 * @acks: -1 (all in-sync replicas), 0 (no acknowledgement, no response)
 *   or 1 (the leader)
 * @message_timeout_ms: how long a record may wait for delivery (including
 *   retries while the cluster is unreachable) before it fails
 * @warning_func: (nullable): see #RgKafkaProducerWarningFunc
 * @user_data: for @warning_func
 */
typedef struct
{
  const gchar *bootstrap_servers;
  const gchar *topic;
  gint acks;
  guint message_timeout_ms;
  RgKafkaProducerWarningFunc warning_func;
  gpointer user_data;
} RgKafkaProducerConfig;

typedef struct _RgKafkaProducer RgKafkaProducer;

/**
 * rg_kafka_producer_new:
 * @config: the settings (copied)
 * @error: return location for a #GError, or %NULL
 *
 * Creates the librdkafka producer; it connects in the background.
 *
 * Errors: %RG_KAFKA_PRODUCER_ERROR_CONFIG.
 *
 * Returns: (transfer full) (nullable): the producer.
 */
RG_API
RgKafkaProducer *rg_kafka_producer_new (const RgKafkaProducerConfig * config,
    GError ** error);

/**
 * rg_kafka_producer_set_caps:
 * @producer: a producer
 * @caps: (nullable): the stream's caps
 *
 * The next record carries these caps in a gst.caps header, unless they
 * equal the caps already sent.
 */
RG_API
void rg_kafka_producer_set_caps (RgKafkaProducer * producer, GstCaps * caps);

/**
 * rg_kafka_producer_send:
 * @producer: a producer
 * @buffer: the record's value and envelope; referenced until delivered
 * @timestamp: record timestamp in ms since the epoch, -1 for the
 *   envelope's (rg_envelope_timestamp())
 * @key: (nullable): record key, copied
 * @error: return location for a #GError, or %NULL
 *
 * Queues one record (waiting while librdkafka's queue is full) and serves
 * the delivery reports that are ready.
 *
 * Errors: %RG_KAFKA_PRODUCER_ERROR_PRODUCE, or
 *   %RG_KAFKA_PRODUCER_ERROR_DELIVERY once any record failed.
 *
 * Returns: %TRUE when queued and no delivery has failed.
 */
RG_API
gboolean rg_kafka_producer_send (RgKafkaProducer * producer,
    GstBuffer * buffer, gint64 timestamp, GBytes * key, GError ** error);

/**
 * rg_kafka_producer_flush:
 * @producer: a producer
 * @cancel: (nullable): the wait stops when this becomes non-zero (read
 *   with g_atomic_int_get(): a flushing pipeline sets it)
 * @error: return location for a #GError, or %NULL
 *
 * Waits until every queued record is delivered or has failed; each record
 * fails after message_timeout_ms at the latest, so this ends.
 *
 * Errors: %RG_KAFKA_PRODUCER_ERROR_DELIVERY (the first failure's reason),
 *   %RG_KAFKA_PRODUCER_ERROR_TIMEOUT (cancelled).
 *
 * Returns: %TRUE when every record was delivered.
 */
RG_API
gboolean rg_kafka_producer_flush (RgKafkaProducer * producer,
    const gint * cancel, GError ** error);

/**
 * rg_kafka_producer_get_delivered:
 * @producer: a producer
 *
 * Returns: the number of records delivered (acknowledged as @acks asks).
 */
RG_API
guint64 rg_kafka_producer_get_delivered (RgKafkaProducer * producer);

/**
 * rg_kafka_producer_free:
 * @producer: (transfer full): a producer
 *
 * Drops what is still queued (call rg_kafka_producer_flush() first to
 * deliver it) and frees the producer.
 */
RG_API
void rg_kafka_producer_free (RgKafkaProducer * producer);

G_END_DECLS

#endif /* __RG_KAFKA_PRODUCER_H__ */
