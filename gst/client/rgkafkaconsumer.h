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

#ifndef __RG_KAFKA_CONSUMER_H__
#define __RG_KAFKA_CONSUMER_H__

#include <gst/gst.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * RG_KAFKA_CONSUMER_ERROR:
 *
 * Error domain of #RgKafkaConsumer. Messages carry librdkafka's reason.
 */
#define RG_KAFKA_CONSUMER_ERROR (rg_kafka_consumer_error_quark ())
RG_API
GQuark rg_kafka_consumer_error_quark (void);

/**
 * RgKafkaConsumerError:
 * @RG_KAFKA_CONSUMER_ERROR_FAILED: librdkafka refused the configuration or
 *   reported a non-retriable error
 * @RG_KAFKA_CONSUMER_ERROR_UNREACHABLE: no broker answered in time
 * @RG_KAFKA_CONSUMER_ERROR_ENVELOPE: a record's gst.* headers are malformed
 * @RG_KAFKA_CONSUMER_ERROR_LOST: the broker's log ends before records this
 *   consumer already read (it lost them)
 */
typedef enum
{
  RG_KAFKA_CONSUMER_ERROR_FAILED,
  RG_KAFKA_CONSUMER_ERROR_UNREACHABLE,
  RG_KAFKA_CONSUMER_ERROR_ENVELOPE,
  RG_KAFKA_CONSUMER_ERROR_LOST,
} RgKafkaConsumerError;

/**
 * RgKafkaStart:
 * @RG_KAFKA_START_EARLIEST: the log start offset
 * @RG_KAFKA_START_LATEST: the high watermark (with snap: the last keyframe)
 * @RG_KAFKA_START_OFFSET: a given offset (clamped to the log)
 * @RG_KAFKA_START_TIME: the first record with a timestamp >= a given one
 */
typedef enum
{
  RG_KAFKA_START_EARLIEST,
  RG_KAFKA_START_LATEST,
  RG_KAFKA_START_OFFSET,
  RG_KAFKA_START_TIME,
} RgKafkaStart;

/**
 * RgKafkaReadResult:
 * @RG_KAFKA_READ_RECORD: a record was returned
 * @RG_KAFKA_READ_TIMEOUT: nothing yet (also while librdkafka reconnects)
 * @RG_KAFKA_READ_END: when not following: the end of the partition as it
 *   was when the consumer started (its high watermark then, or the one the
 *   answer to its first fetch carried, if higher), so that a read of a
 *   topic that keeps growing ends; records appended later are not
 *   returned
 * @RG_KAFKA_READ_ERROR: a fatal error, see the #GError
 */
typedef enum
{
  RG_KAFKA_READ_RECORD,
  RG_KAFKA_READ_TIMEOUT,
  RG_KAFKA_READ_END,
  RG_KAFKA_READ_ERROR,
} RgKafkaReadResult;

/**
 * RgKafkaRecord:
 * @offset: the record's offset
 * @timestamp: the record's timestamp, ms since the epoch
 * @discont: records were skipped before this one (deleted, compacted or a
 *   .live view's jump)
 * @buffer: (transfer full): the value, wrapping librdkafka's receive
 *   buffer without a copy, with the envelope's PTS, DTS, duration and flags
 *   applied and a #GstRgMeta attached
 * @caps: (transfer full) (nullable): the caps of a gst.caps header
 */
typedef struct
{
  gint64 offset;
  gint64 timestamp;
  gboolean discont;
  GstBuffer *buffer;
  GstCaps *caps;
} RgKafkaRecord;

/**
 * RgKafkaConsumer:
 *
 * A librdkafka consumer assigned to partition 0 of one topic, without a
 * consumer group. It remembers the next offset it owes its caller: when
 * librdkafka reconnects after the broker went away (it retries with
 * backoff on its own), records below that offset are dropped and a jump
 * past it is flagged DISCONT. Used by one thread at a time.
 */
typedef struct _RgKafkaConsumer RgKafkaConsumer;

RG_API
RgKafkaConsumer *rg_kafka_consumer_new (const gchar * bootstrap_servers,
    const gchar * topic, GError ** error);

RG_API
gboolean rg_kafka_consumer_start (RgKafkaConsumer * consumer,
    RgKafkaStart start, gint64 value, gboolean snap_to_keyframe,
    gint timeout_ms, GError ** error);

/**
 * rg_kafka_consumer_next:
 * @consumer: a started consumer
 * @follow: wait for new records at the end instead of returning
 *   %RG_KAFKA_READ_END at the high watermark found by
 *   rg_kafka_consumer_start()
 * @timeout_ms: how long this call may wait
 * @record: (out caller-allocates): the record, for %RG_KAFKA_READ_RECORD
 * @error: return location for a #GError, or %NULL
 *
 * Returns the next record. Records fetched twice around a reconnect are
 * dropped; a jump forward sets @record->discont. While the broker is away
 * librdkafka reconnects with backoff and this returns
 * %RG_KAFKA_READ_TIMEOUT; without @follow, once the calls since the last
 * record (or the start) waited the stall timeout in all, it fails with
 * %RG_KAFKA_CONSUMER_ERROR_UNREACHABLE naming the topic, the bootstrap
 * servers and librdkafka's latest reason.
 *
 * Errors: %RG_KAFKA_CONSUMER_ERROR_UNREACHABLE,
 *   %RG_KAFKA_CONSUMER_ERROR_LOST, %RG_KAFKA_CONSUMER_ERROR_ENVELOPE,
 *   %RG_KAFKA_CONSUMER_ERROR_FAILED.
 */
RG_API
RgKafkaReadResult rg_kafka_consumer_next (RgKafkaConsumer * consumer,
    gboolean follow, gint timeout_ms, RgKafkaRecord * record,
    GError ** error);

/**
 * RG_KAFKA_CONSUMER_DEFAULT_STALL_TIMEOUT_MS:
 *
 * The default stall timeout (10 s).
 */
#define RG_KAFKA_CONSUMER_DEFAULT_STALL_TIMEOUT_MS 10000

/**
 * rg_kafka_consumer_set_stall_timeout:
 * @consumer: a consumer
 * @timeout_ms: how long rg_kafka_consumer_next() without follow may wait
 *   for a record or the end of the partition before it fails; 0 = forever
 *
 * Bounds the wait of a consumer that does not follow, so that a broker
 * that went away ends the read with an error instead of a hang.
 */
RG_API
void rg_kafka_consumer_set_stall_timeout (RgKafkaConsumer * consumer,
    gint timeout_ms);

/**
 * rg_kafka_memory_get_message:
 * @memory: a #GstMemory of a record's buffer
 *
 * For tests and diagnostics: the librdkafka message whose payload
 * @memory wraps (its data is the message's payload, not a copy; the
 * message is destroyed when the memory is freed).
 *
 * Returns: (transfer none) (nullable): the `rd_kafka_message_t`, or
 *   %NULL if @memory does not wrap one.
 */
RG_API
gconstpointer rg_kafka_memory_get_message (GstMemory * memory);

/**
 * rg_kafka_consumer_get_start_caps:
 * @consumer: a started consumer
 *
 * Returns: (transfer full) (nullable): the caps of the last gst.caps
 *   header before the start position (or at it), for a start on a record
 *   that carries none; at the end of the topic, those of its last record
 *   with caps, for the next record to be produced.
 */
RG_API
GstCaps *rg_kafka_consumer_get_start_caps (RgKafkaConsumer * consumer);

RG_API
void rg_kafka_record_clear (RgKafkaRecord * record);

RG_API
void rg_kafka_consumer_close (RgKafkaConsumer * consumer);

G_END_DECLS

#endif /* __RG_KAFKA_CONSUMER_H__ */
