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

#ifndef __RG_KAFKA_LEGACY_H__
#define __RG_KAFKA_LEGACY_H__

#include "kafka/rgkafka.h"

G_BEGIN_DECLS

/*
 * Conversions between Kafka's old message format (MessageSet v0 and v1,
 * "magic" 0 and 1) and RecordBatch v2 (rgkafkalegacy.c), for the old api
 * versions that carry it: Produce v0-2 send message sets, Fetch v0-3
 * clients expect them back. Private to libgstrg.
 *
 * These are the only places where the broker copies record bytes: a
 * client that speaks an old version gets (or gives) a converted copy, as
 * from a Kafka broker, which down-converts for them too. Clients of
 * Produce v3+ and Fetch v4+ never pay for it.
 *
 * Limits: compressed messages and compressed batches are not converted
 * (%RG_KAFKA_ERROR_UNSUPPORTED_VERSION: the caller answers error 43,
 * UNSUPPORTED_FOR_MESSAGE_FORMAT); record headers, which the old format
 * cannot carry, are dropped on the way down; control batches (transaction
 * markers) are skipped.
 *
 * Thread-safety: reentrant, no state.
 */

/* Converts a produced MessageSet v0/v1 (@data, @len bytes) into one
 * uncompressed RecordBatch v2 with base offset 0, keys, values and (v1)
 * timestamps kept; v0 messages get timestamp -1 (Kafka's NO_TIMESTAMP).
 * Errors: %RG_KAFKA_ERROR_MALFORMED for a message that is cut, has a bad
 * CRC-32 or an unknown magic, or for an empty set;
 * %RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a compressed message (or a set
 * that is already a RecordBatch: magic 2). Returns (transfer full) the
 * batch, or NULL. */
GBytes *rg_kafka_legacy_to_batch (const guint8 * data, gsize len,
    GError ** error);

/* Converts whole RecordBatch v2 batches (@data, @len bytes, back to back)
 * into a MessageSet of @magic (0 or 1): one message per record, at its
 * offset, with its key, value and (magic 1) timestamp and timestamp type.
 * Errors: %RG_KAFKA_ERROR_MALFORMED for a batch that does not validate;
 * %RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a compressed batch. Returns
 * (transfer full) the message set (possibly empty: control batches only),
 * or NULL. */
GBytes *rg_kafka_legacy_from_batches (const guint8 * data, gsize len,
    gint8 magic, GError ** error);

/* The message format a Fetch of @api_version expects: 0 for v0-1, 1 for
 * v2-3, 2 (RecordBatch, no conversion) for v4+. */
gint8 rg_kafka_legacy_fetch_magic (gint16 api_version);

G_END_DECLS

#endif /* __RG_KAFKA_LEGACY_H__ */
