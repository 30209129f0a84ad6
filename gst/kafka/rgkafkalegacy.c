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

/* MessageSet v0/v1 <-> RecordBatch v2 (contract in rgkafkalegacy.h).
 *
 * The old format, big-endian, one entry per message:
 *
 *   int64 offset
 *   int32 message size (bytes from crc to the end of value)
 *   uint32 crc       CRC-32 (IEEE, zlib's) of every byte after it
 *   int8 magic       0 or 1
 *   int8 attributes  bits 0-2 compression codec, bit 3 (magic 1)
 *                    timestamp type (1 = log append time)
 *   int64 timestamp  magic 1 only, ms since the epoch
 *   int32 key length (-1 null), key bytes
 *   int32 value length (-1 null), value bytes
 *
 * A compressed message's value is itself a compressed message set; such
 * wrappers are refused, not unpacked (see the header). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "kafka/rgkafkalegacy.h"
#include "record/rgbatch.h"

/* Bytes of a message up to its key: crc, magic, attributes. */
#define MESSAGE_V0_HEADER 6
/* offset + message size. */
#define LOG_OVERHEAD 12
#define ATTR_COMPRESSION_MASK 0x07
#define ATTR_LOG_APPEND_TIME 0x08
/* RecordBatch attributes: the control flag. */
#define BATCH_ATTR_CONTROL 0x20

/* CRC-32 with the IEEE polynomial (reflected 0xedb88320), as zlib and the
 * old message format use; a table built once. */
static guint32 crc_table[256];

static gpointer
crc_table_init (gpointer unused)
{
  guint32 i, j;

  for (i = 0; i < 256; i++) {
    guint32 c = i;

    for (j = 0; j < 8; j++)
      c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  return NULL;
}

static guint32
crc32_ieee (const guint8 * data, gsize len)
{
  static GOnce once = G_ONCE_INIT;
  guint32 c = 0xffffffffu;
  gsize i;

  g_once (&once, crc_table_init, NULL);
  for (i = 0; i < len; i++)
    c = crc_table[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

static guint32
get_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
      | ((guint32) p[2] << 8) | p[3];
}

static guint64
get_be64 (const guint8 * p)
{
  return ((guint64) get_be32 (p) << 32) | get_be32 (p + 4);
}

gint8
rg_kafka_legacy_fetch_magic (gint16 api_version)
{
  if (api_version <= 1)
    return 0;
  return api_version <= 3 ? 1 : 2;
}

/* ---- Up: MessageSet -> RecordBatch ---- */

/* Reads a nullable int32-length byte field of a message at *pos. */
static gboolean
message_bytes (const guint8 * msg, gsize len, gsize * pos,
    const guint8 ** data, gsize * data_len)
{
  gint32 n;

  if (len - *pos < 4)
    return FALSE;
  n = (gint32) get_be32 (msg + *pos);
  *pos += 4;
  *data = NULL;
  *data_len = 0;
  if (n == -1)
    return TRUE;
  if (n < 0 || (gsize) n > len - *pos)
    return FALSE;
  /* A non-null empty field still needs a non-NULL pointer. */
  *data = msg + *pos;
  *data_len = n;
  *pos += n;
  return TRUE;
}

/* Decodes one message (the bytes after offset and size) into @record. */
static gboolean
message_decode (const guint8 * msg, gsize len, RgRecord * record,
    GError ** error)
{
  gsize pos = MESSAGE_V0_HEADER;
  gint8 magic, attributes;

  if (len < MESSAGE_V0_HEADER)
    goto malformed;
  if (crc32_ieee (msg + 4, len - 4) != get_be32 (msg))
    goto bad_crc;
  magic = msg[4];
  attributes = msg[5];
  if (magic == RG_BATCH_MAGIC || (attributes & ATTR_COMPRESSION_MASK))
    goto unsupported;
  if (magic != 0 && magic != 1)
    goto malformed;
  record->timestamp = -1;
  if (magic == 1) {
    if (len - pos < 8)
      goto malformed;
    record->timestamp = (gint64) get_be64 (msg + pos);
    pos += 8;
  }
  if (!message_bytes (msg, len, &pos, &record->key, &record->key_len)
      || !message_bytes (msg, len, &pos, &record->value, &record->value_len)
      || pos != len)
    goto malformed;
  return TRUE;

  /* ERRORS */
malformed:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "Message of %" G_GSIZE_FORMAT " bytes does not parse", len);
    return FALSE;
  }
bad_crc:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "Message CRC-32 mismatch");
    return FALSE;
  }
unsupported:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
        "Message of magic %d with attributes 0x%02x cannot be converted "
        "(compressed, or already a record batch)", magic, attributes);
    return FALSE;
  }
}

GBytes *
rg_kafka_legacy_to_batch (const guint8 * data, gsize len, GError ** error)
{
  GArray *records = g_array_new (FALSE, TRUE, sizeof (RgRecord));
  GByteArray *batch = NULL;
  gsize pos = 0;

  while (pos < len) {
    RgRecord record = { 0, };
    gint32 size;

    if (len - pos < LOG_OVERHEAD)
      goto cut;
    size = (gint32) get_be32 (data + pos + 8);
    if (size < 0 || (gsize) size > len - pos - LOG_OVERHEAD)
      goto cut;
    if (!message_decode (data + pos + LOG_OVERHEAD, size, &record, error))
      goto failed;
    g_array_append_val (records, record);
    pos += LOG_OVERHEAD + size;
  }
  if (records->len == 0)
    goto cut;
  batch = rg_batch_encode (0, (const RgRecord *) records->data,
      records->len, NULL);
  if (batch == NULL)
    goto cut;
  g_array_unref (records);
  return g_byte_array_free_to_bytes (batch);

  /* ERRORS */
cut:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "Message set of %" G_GSIZE_FORMAT " bytes is cut or empty at byte %"
        G_GSIZE_FORMAT, len, pos);
    goto failed;
  }
failed:
  {
    g_array_unref (records);
    return NULL;
  }
}

/* ---- Down: RecordBatch -> MessageSet ---- */

static void
append_be32 (GByteArray * out, guint32 v)
{
  guint32 be = GUINT32_TO_BE (v);

  g_byte_array_append (out, (const guint8 *) &be, 4);
}

static void
append_be64 (GByteArray * out, guint64 v)
{
  guint64 be = GUINT64_TO_BE (v);

  g_byte_array_append (out, (const guint8 *) &be, 8);
}

static void
append_nullable (GByteArray * out, const guint8 * data, gsize len)
{
  append_be32 (out, data ? (guint32) len : (guint32) - 1);
  if (data && len > 0)
    g_byte_array_append (out, data, len);
}

/* Appends @record as one message of @magic; @log_append is the batch's
 * timestamp type. */
static void
append_message (GByteArray * out, const RgRecordView * record, gint8 magic,
    gboolean log_append, gint64 timestamp)
{
  gsize start = out->len;
  guint8 head[2] = { magic, 0 };

  append_be64 (out, record->offset);
  append_be32 (out, 0);         /* size, patched below */
  append_be32 (out, 0);         /* crc, patched below */
  if (magic == 1 && log_append)
    head[1] = ATTR_LOG_APPEND_TIME;
  g_byte_array_append (out, head, 2);
  if (magic == 1)
    append_be64 (out, timestamp);
  append_nullable (out, record->key, record->key_len);
  append_nullable (out, record->value, record->value_len);
  {
    guint32 size = GUINT32_TO_BE (out->len - start - LOG_OVERHEAD);
    guint32 crc = GUINT32_TO_BE (crc32_ieee (out->data + start + 16,
            out->len - start - 16));

    memcpy (out->data + start + 8, &size, 4);
    memcpy (out->data + start + 12, &crc, 4);
  }
}

static gboolean
batch_down (GByteArray * out, const guint8 * data, gsize len, gint8 magic,
    GError ** error)
{
  RgBatchReader reader;
  RgRecordView record;
  const RgBatchInfo *info;
  GError *err = NULL;
  gboolean log_append;

  if (!rg_batch_reader_init (&reader, data, len, &err))
    goto failed;
  info = rg_batch_reader_get_info (&reader);
  if (info->attributes & BATCH_ATTR_CONTROL)
    return TRUE;
  log_append = (info->attributes & ATTR_LOG_APPEND_TIME) != 0;
  while (rg_batch_reader_next (&reader, &record, &err))
    append_message (out, &record, magic, log_append,
        log_append ? info->max_timestamp : record.timestamp);
  if (err != NULL)
    goto failed;
  return TRUE;

  /* ERRORS */
failed:
  {
    gboolean compressed = g_error_matches (err, RG_BATCH_ERROR,
        RG_BATCH_ERROR_UNSUPPORTED);

    g_set_error (error, RG_KAFKA_ERROR, compressed ?
        RG_KAFKA_ERROR_UNSUPPORTED_VERSION : RG_KAFKA_ERROR_MALFORMED,
        "Batch cannot be converted to message format %d: %s", magic,
        err->message);
    g_clear_error (&err);
    return FALSE;
  }
}

GBytes *
rg_kafka_legacy_from_batches (const guint8 * data, gsize len, gint8 magic,
    GError ** error)
{
  GByteArray *out;
  gsize pos = 0;

  g_return_val_if_fail (magic == 0 || magic == 1, NULL);

  /* Old-format messages are about as large as the records they hold. */
  out = g_byte_array_sized_new (len);
  while (pos < len) {
    RgBatchInfo info;
    gsize size = rg_batch_validate (data + pos, len - pos, &info, NULL);

    if (size == 0 || !batch_down (out, data + pos, size, magic, error)) {
      if (size == 0)
        g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
            "Record batch at byte %" G_GSIZE_FORMAT " does not validate",
            pos);
      g_byte_array_unref (out);
      return NULL;
    }
    pos += size;
  }
  return g_byte_array_free_to_bytes (out);
}
