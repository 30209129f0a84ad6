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

/* The Kafka wire primitives (contract in rgkafkawire.h).
 *
 * Every integer is big-endian. Classic encodings: STRING is an int16
 * length and the bytes (NULLABLE_STRING: -1 is null), BYTES and RECORDS an
 * int32 length and the bytes (nullable: -1), ARRAY an int32 count and the
 * elements (nullable: -1).
 *
 * Flexible versions (KIP-482) use compact encodings instead: an
 * UNSIGNED_VARINT (7 bits a byte, least significant group first, the high
 * bit set on every byte but the last) carries N + 1 for COMPACT_STRING,
 * COMPACT_BYTES, COMPACT_RECORDS and COMPACT_ARRAY, 0 meaning null. Every
 * struct of a flexible version, each array element and the body itself
 * included, ends with a TAGGED_FIELDS section: an unsigned varint count,
 * then per field an unsigned varint tag, an unsigned varint size and that
 * many bytes, tags strictly ascending. Unknown tags are skipped, which is
 * what lets newer clients add fields.
 *
 * Headers: request header v1 is int16 api key, int16 api version, int32
 * correlation id, NULLABLE_STRING client id; header v2 (flexible
 * requests) adds a TAGGED_FIELDS section after it, the client id staying
 * a classic string so that a broker can read it before knowing whether
 * the api version is flexible. Response header v0 is the int32
 * correlation id; v1 adds a TAGGED_FIELDS section. ApiVersions answers
 * with header v0 in every version (KIP-511), so that a client that sent a
 * version the broker does not know can still read the error.
 *
 * VARINT and VARLONG (record fields) are zigzag-encoded signed values in
 * the unsigned varint form.
 *
 * A response is built in one GByteArray of protocol bytes plus a list of
 * segments. A BYTES segment records an offset into that array while the
 * array can still grow (and move); rg_kafka_response_finish() turns
 * offsets into pointers once it cannot. Record sets are their own MEMORY
 * or FILE segments, never copied. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "kafka/rgkafkawire.h"

/* Longest VARLONG: 64 bits in 7-bit groups. */
#define UVARLONG_MAX_SIZE 10

/* --- Reading ------------------------------------------------------------ */

void
rg_kafka_reader_init (RgKafkaReader * r, const guint8 * data, gsize len,
    GError ** error)
{
  r->data = data;
  r->len = len;
  r->pos = 0;
  r->failed = FALSE;
  r->flexible = FALSE;
  r->error = error;
}

void
rg_kafka_reader_fail (RgKafkaReader * r, RgKafkaError code,
    const gchar * format, ...)
{
  va_list args;
  gchar *message;

  if (r->failed)
    return;
  r->failed = TRUE;
  if (r->error == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, RG_KAFKA_ERROR, code, "%s", message);
  g_free (message);
}

gsize
rg_kafka_reader_left (const RgKafkaReader * r)
{
  return r->len - r->pos;
}

/* The only place that hands out pointers into the frame. */
const guint8 *
rg_kafka_reader_take (RgKafkaReader * r, gsize n, const gchar * field)
{
  const guint8 *p;

  if (r->failed)
    return NULL;
  if (rg_kafka_reader_left (r) < n) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_TRUNCATED,
        "%s at byte %" G_GSIZE_FORMAT " needs %" G_GSIZE_FORMAT
        " bytes, the frame has %" G_GSIZE_FORMAT " left", field, r->pos, n,
        rg_kafka_reader_left (r));
    return NULL;
  }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

gboolean
rg_kafka_reader_finish (RgKafkaReader * r, const gchar * what)
{
  if (!r->failed && r->pos != r->len)
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s has %" G_GSIZE_FORMAT " bytes left over after its body (byte %"
        G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT ")", what, r->len - r->pos,
        r->pos, r->len);
  return !r->failed;
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
      | ((guint32) p[2] << 8) | p[3];
}

gint8
rg_kafka_read_int8 (RgKafkaReader * r, const gchar * field)
{
  const guint8 *p = rg_kafka_reader_take (r, 1, field);

  return p ? (gint8) p[0] : 0;
}

gint16
rg_kafka_read_int16 (RgKafkaReader * r, const gchar * field)
{
  const guint8 *p = rg_kafka_reader_take (r, 2, field);

  return p ? (gint16) (((guint16) p[0] << 8) | p[1]) : 0;
}

gint32
rg_kafka_read_int32 (RgKafkaReader * r, const gchar * field)
{
  const guint8 *p = rg_kafka_reader_take (r, 4, field);

  return p ? (gint32) read_be32 (p) : 0;
}

gint64
rg_kafka_read_int64 (RgKafkaReader * r, const gchar * field)
{
  const guint8 *p = rg_kafka_reader_take (r, 8, field);

  if (p == NULL)
    return 0;
  return (gint64) (((guint64) read_be32 (p) << 32) | read_be32 (p + 4));
}

/* An unsigned varint of at most @max_size bytes whose value fits @bits. */
static guint64
read_uvarlong (RgKafkaReader * r, guint max_size, guint bits,
    const gchar * field)
{
  guint64 value = 0;
  guint i;

  for (i = 0; i < max_size; i++) {
    const guint8 *p = rg_kafka_reader_take (r, 1, field);
    guint shift = 7 * i;

    if (p == NULL)
      return 0;
    /* The last byte may only carry the bits that are left. */
    if (bits - shift < 7 && (p[0] & 0x7f) >> (bits - shift) != 0)
      break;
    value |= (guint64) (p[0] & 0x7f) << shift;
    if ((p[0] & 0x80) == 0)
      return value;
  }
  rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
      "%s before byte %" G_GSIZE_FORMAT " is not a %u-bit varint", field,
      r->pos, bits);
  return 0;
}

guint32
rg_kafka_read_uvarint (RgKafkaReader * r, const gchar * field)
{
  return (guint32) read_uvarlong (r, RG_KAFKA_UVARINT_MAX_SIZE, 32, field);
}

gint32
rg_kafka_read_varint (RgKafkaReader * r, const gchar * field)
{
  guint32 u = rg_kafka_read_uvarint (r, field);

  return (gint32) ((u >> 1) ^ (~(u & 1) + 1));
}

gint64
rg_kafka_read_varlong (RgKafkaReader * r, const gchar * field)
{
  guint64 u = read_uvarlong (r, UVARLONG_MAX_SIZE, 64, field);

  return (gint64) ((u >> 1) ^ (~(u & 1) + 1));
}

static RgKafkaStr
read_string_bytes (RgKafkaReader * r, gint64 len, gboolean nullable,
    const gchar * field, gsize start)
{
  RgKafkaStr str = RG_KAFKA_STR_NULL;

  if (r->failed)
    return str;
  if (len == -1 && nullable)
    return str;
  if (len < 0) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " has length %" G_GINT64_FORMAT
        ", which this field forbids", field, start, len);
    return str;
  }
  str.data = (const gchar *) rg_kafka_reader_take (r, len, field);
  str.len = str.data ? (gint32) len : -1;
  return str;
}

RgKafkaStr
rg_kafka_read_string (RgKafkaReader * r, gboolean nullable,
    const gchar * field)
{
  gsize start = r->pos;
  gint16 len = rg_kafka_read_int16 (r, field);

  return read_string_bytes (r, len, nullable, field, start);
}

RgKafkaStr
rg_kafka_read_compact_string (RgKafkaReader * r, gboolean nullable,
    const gchar * field)
{
  gsize start = r->pos;
  guint32 len_plus_one = rg_kafka_read_uvarint (r, field);

  /* A compact string is at most 32767 bytes, like a classic one. */
  if (!r->failed && len_plus_one > (guint32) G_MAXINT16 + 1) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " claims %u bytes; strings hold at "
        "most %d", field, start, len_plus_one - 1, G_MAXINT16);
    return RG_KAFKA_STR_NULL;
  }
  return read_string_bytes (r, (gint64) len_plus_one - 1, nullable, field,
      start);
}

RgKafkaStr
rg_kafka_read_str (RgKafkaReader * r, gboolean nullable, const gchar * field)
{
  if (r->flexible)
    return rg_kafka_read_compact_string (r, nullable, field);
  return rg_kafka_read_string (r, nullable, field);
}

const guint8 *
rg_kafka_read_bytes (RgKafkaReader * r, gboolean nullable, gint32 * len,
    gsize * position, const gchar * field)
{
  gsize start = r->pos;
  gint64 length;
  const guint8 *data;

  *len = -1;
  if (position)
    *position = 0;
  if (r->flexible)
    length = (gint64) rg_kafka_read_uvarint (r, field) - 1;
  else
    length = rg_kafka_read_int32 (r, field);
  if (r->failed || (length == -1 && nullable))
    return NULL;
  if (length < 0 || length > G_MAXINT32) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " has length %" G_GINT64_FORMAT
        ", which this field forbids", field, start, length);
    return NULL;
  }
  if (position)
    *position = r->pos;
  data = rg_kafka_reader_take (r, length, field);
  if (data != NULL)
    *len = (gint32) length;
  return data;
}

gint32
rg_kafka_read_array_count (RgKafkaReader * r, gboolean nullable,
    gsize min_element_size, const gchar * field)
{
  gsize start = r->pos;
  gint64 count;

  if (r->flexible)
    count = (gint64) rg_kafka_read_uvarint (r, field) - 1;
  else
    count = rg_kafka_read_int32 (r, field);
  if (r->failed)
    return 0;
  if (count == -1 && nullable)
    return -1;
  if (count < 0) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " has count %" G_GINT64_FORMAT
        ", which this field forbids", field, start, count);
    return 0;
  }
  if ((guint64) count > rg_kafka_reader_left (r) / MAX (min_element_size, 1)) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " claims %" G_GINT64_FORMAT
        " elements of at least %" G_GSIZE_FORMAT " bytes, but only %"
        G_GSIZE_FORMAT " bytes remain", field, start, count,
        MAX (min_element_size, 1), rg_kafka_reader_left (r));
    return 0;
  }
  return (gint32) count;
}

/* One tagged field: hands @func a reader over exactly its bytes. */
static void
read_tagged_field (RgKafkaReader * r, guint32 tag, RgKafkaTagFunc func,
    gpointer user_data)
{
  guint32 size = rg_kafka_read_uvarint (r, "tagged field size");
  gsize start = r->pos;
  const guint8 *data = rg_kafka_reader_take (r, size, "tagged field");
  RgKafkaReader field;

  if (data == NULL || func == NULL)
    return;
  rg_kafka_reader_init (&field, data, size, r->error);
  field.flexible = r->flexible;
  func (tag, &field, user_data);
  if (field.failed) {
    /* The field reader reported its error already through r->error. */
    r->failed = TRUE;
    return;
  }
  (void) start;
}

void
rg_kafka_read_tags_with (RgKafkaReader * r, RgKafkaTagFunc func,
    gpointer user_data)
{
  /* Each field takes at least two bytes (tag and size). */
  guint32 count = rg_kafka_read_uvarint (r, "tagged field count");
  gint64 last_tag = -1;
  guint32 i;

  if (!r->failed && count > rg_kafka_reader_left (r) / 2) {
    rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "tagged field count %u before byte %" G_GSIZE_FORMAT " exceeds "
        "what the frame can hold", count, r->pos);
    return;
  }
  for (i = 0; i < count && !r->failed; i++) {
    gsize start = r->pos;
    guint32 tag = rg_kafka_read_uvarint (r, "tag");

    if (!r->failed && (gint64) tag <= last_tag) {
      rg_kafka_reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
          "tag %u at byte %" G_GSIZE_FORMAT " does not follow tag %"
          G_GINT64_FORMAT " in ascending order", tag, start, last_tag);
      return;
    }
    last_tag = tag;
    read_tagged_field (r, tag, func, user_data);
  }
}

void
rg_kafka_read_tags (RgKafkaReader * r)
{
  if (r->flexible)
    rg_kafka_read_tags_with (r, NULL, NULL);
}

gboolean
rg_kafka_read_request_header (RgKafkaReader * r, gint16 first_flexible,
    RgKafkaRequestHeader * header)
{
  header->api_key = rg_kafka_read_int16 (r, "api key");
  header->api_version = rg_kafka_read_int16 (r, "api version");
  header->correlation_id = rg_kafka_read_int32 (r, "correlation id");
  header->client_id = rg_kafka_read_string (r, TRUE, "client id");
  if (!r->failed
      && RG_KAFKA_IS_FLEXIBLE (first_flexible, header->api_version)) {
    rg_kafka_read_tags_with (r, NULL, NULL);
    r->flexible = TRUE;
  }
  return !r->failed;
}

/* --- Writing ------------------------------------------------------------ */

struct _RgKafkaResponse
{
  GByteArray *bytes;
  GArray *segments;             /* RgKafkaSegment */
  GArray *refs;                 /* RgKafkaRecordsRef, for their notify;
                                 * NULL until the first (most responses
                                 * carry no records) */
  gsize bytes_mark;             /* start of the open BYTES segment */
  gsize size;                   /* bytes of the closed segments */
  gboolean flexible;
  GError *error;
};

RgKafkaResponse *
rg_kafka_response_new (gint32 correlation_id, RgKafkaResponseHeader header,
    gboolean flexible)
{
  RgKafkaResponse *resp = g_new0 (RgKafkaResponse, 1);
  guint8 size_placeholder[4] = { 0, 0, 0, 0 };

  resp->bytes = g_byte_array_sized_new (256);
  resp->segments = g_array_new (FALSE, TRUE, sizeof (RgKafkaSegment));
  /* The size prefix is a placeholder until rg_kafka_response_finish(). */
  g_byte_array_append (resp->bytes, size_placeholder, 4);
  rg_kafka_put_int32 (resp, correlation_id);
  if (header == RG_KAFKA_RESPONSE_HEADER_V1)
    rg_kafka_put_uvarint (resp, 0);
  resp->flexible = flexible;
  return resp;
}

gboolean
rg_kafka_check_build_version (const gchar * api, gint16 api_version,
    gint16 max_version, GError ** error)
{
  if (api_version >= 0 && api_version <= max_version)
    return TRUE;
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
      "%s v%d cannot be built", api, api_version);
  return FALSE;
}

RgKafkaResponse *
rg_kafka_response_new_for (gint32 correlation_id, gint16 first_flexible,
    gint16 api_version)
{
  gboolean flexible = RG_KAFKA_IS_FLEXIBLE (first_flexible, api_version);

  return rg_kafka_response_new (correlation_id, flexible ?
      RG_KAFKA_RESPONSE_HEADER_V1 : RG_KAFKA_RESPONSE_HEADER_V0, flexible);
}

gboolean
rg_kafka_response_is_flexible (const RgKafkaResponse * resp)
{
  return resp->flexible;
}

void
rg_kafka_response_fail (RgKafkaResponse * resp, RgKafkaError code,
    const gchar * format, ...)
{
  va_list args;
  gchar *message;

  if (resp->error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (&resp->error, RG_KAFKA_ERROR, code, "%s", message);
  g_free (message);
}

void
rg_kafka_put_raw (RgKafkaResponse * resp, const void *data, gsize len)
{
  if (resp->error == NULL && len > 0)
    g_byte_array_append (resp->bytes, data, len);
}

void
rg_kafka_put_int8 (RgKafkaResponse * resp, gint8 value)
{
  rg_kafka_put_raw (resp, &value, 1);
}

void
rg_kafka_put_int16 (RgKafkaResponse * resp, gint16 value)
{
  guint16 be = GUINT16_TO_BE ((guint16) value);

  rg_kafka_put_raw (resp, &be, 2);
}

void
rg_kafka_put_int32 (RgKafkaResponse * resp, gint32 value)
{
  guint32 be = GUINT32_TO_BE ((guint32) value);

  rg_kafka_put_raw (resp, &be, 4);
}

void
rg_kafka_put_int64 (RgKafkaResponse * resp, gint64 value)
{
  guint64 be = GUINT64_TO_BE ((guint64) value);

  rg_kafka_put_raw (resp, &be, 8);
}

static void
put_uvarlong (RgKafkaResponse * resp, guint64 value)
{
  guint8 out[UVARLONG_MAX_SIZE];
  gsize n = 0;

  while (value >= 0x80) {
    out[n++] = (value & 0x7f) | 0x80;
    value >>= 7;
  }
  out[n++] = value;
  rg_kafka_put_raw (resp, out, n);
}

void
rg_kafka_put_uvarint (RgKafkaResponse * resp, guint32 value)
{
  put_uvarlong (resp, value);
}

void
rg_kafka_put_varint (RgKafkaResponse * resp, gint32 value)
{
  put_uvarlong (resp, ((guint32) value << 1) ^ (guint32) (value >> 31));
}

void
rg_kafka_put_varlong (RgKafkaResponse * resp, gint64 value)
{
  put_uvarlong (resp, ((guint64) value << 1) ^ (guint64) (value >> 63));
}

/* Checks what a STRING or COMPACT_STRING can hold. */
static gboolean
check_string (RgKafkaResponse * resp, RgKafkaStr str, gboolean nullable,
    const gchar * field)
{
  if (resp->error != NULL)
    return FALSE;
  if (str.len < 0 && !nullable) {
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_MALFORMED,
        "%s cannot be null in this response version", field);
    return FALSE;
  }
  if (str.len > G_MAXINT16) {
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_MALFORMED,
        "%s is %d bytes long; Kafka strings hold at most %d", field,
        str.len, G_MAXINT16);
    return FALSE;
  }
  return TRUE;
}

void
rg_kafka_put_string (RgKafkaResponse * resp, RgKafkaStr str,
    gboolean nullable, const gchar * field)
{
  if (!check_string (resp, str, nullable, field))
    return;
  rg_kafka_put_int16 (resp, str.len < 0 ? -1 : (gint16) str.len);
  if (str.len > 0)
    rg_kafka_put_raw (resp, str.data, str.len);
}

void
rg_kafka_put_compact_string (RgKafkaResponse * resp, RgKafkaStr str,
    gboolean nullable, const gchar * field)
{
  if (!check_string (resp, str, nullable, field))
    return;
  rg_kafka_put_uvarint (resp, str.len < 0 ? 0 : (guint32) str.len + 1);
  if (str.len > 0)
    rg_kafka_put_raw (resp, str.data, str.len);
}

void
rg_kafka_put_str (RgKafkaResponse * resp, RgKafkaStr str, gboolean nullable,
    const gchar * field)
{
  if (resp->flexible)
    rg_kafka_put_compact_string (resp, str, nullable, field);
  else
    rg_kafka_put_string (resp, str, nullable, field);
}

void
rg_kafka_put_bytes (RgKafkaResponse * resp, const guint8 * data, gint32 len,
    gboolean nullable, const gchar * field)
{
  if (resp->error != NULL)
    return;
  if (len < 0 && !nullable) {
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_MALFORMED,
        "%s cannot be null in this response version", field);
    return;
  }
  if (resp->flexible)
    rg_kafka_put_uvarint (resp, len < 0 ? 0 : (guint32) len + 1);
  else
    rg_kafka_put_int32 (resp, len < 0 ? -1 : len);
  if (len > 0)
    rg_kafka_put_raw (resp, data, len);
}

void
rg_kafka_put_array_count (RgKafkaResponse * resp, gint64 count)
{
  if (count > G_MAXINT32 || count < -1) {
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_TOO_LARGE,
        "Array of %" G_GINT64_FORMAT " elements does not fit its count",
        count);
    return;
  }
  if (resp->flexible)
    rg_kafka_put_uvarint (resp, (guint32) (count + 1));
  else
    rg_kafka_put_int32 (resp, (gint32) count);
}

void
rg_kafka_put_int32_array (RgKafkaResponse * resp, const gint32 * values,
    guint count)
{
  guint i;

  rg_kafka_put_array_count (resp, count);
  for (i = 0; i < count; i++)
    rg_kafka_put_int32 (resp, values[i]);
}

void
rg_kafka_put_tagged_fields (RgKafkaResponse * resp,
    const RgKafkaTaggedField * fields, guint n_fields)
{
  guint i;

  for (i = 1; i < n_fields; i++)
    if (fields[i].tag <= fields[i - 1].tag) {
      rg_kafka_response_fail (resp, RG_KAFKA_ERROR_MALFORMED,
          "Tagged field %u follows tag %u: tags must ascend", fields[i].tag,
          fields[i - 1].tag);
      return;
    }
  rg_kafka_put_uvarint (resp, n_fields);
  for (i = 0; i < n_fields; i++) {
    if (fields[i].size > G_MAXUINT32) {
      rg_kafka_response_fail (resp, RG_KAFKA_ERROR_TOO_LARGE,
          "Tagged field %u is too large", fields[i].tag);
      return;
    }
    rg_kafka_put_uvarint (resp, fields[i].tag);
    rg_kafka_put_uvarint (resp, (guint32) fields[i].size);
    rg_kafka_put_raw (resp, fields[i].data, fields[i].size);
  }
}

void
rg_kafka_put_tags (RgKafkaResponse * resp)
{
  if (resp->flexible)
    rg_kafka_put_uvarint (resp, 0);
}

/* Closes the open BYTES segment, if it holds anything. */
static void
close_bytes_segment (RgKafkaResponse * resp)
{
  RgKafkaSegment seg = { RG_KAFKA_SEGMENT_BYTES, NULL, -1, 0, 0 };

  if (resp->bytes->len == resp->bytes_mark)
    return;
  seg.offset = resp->bytes_mark;
  seg.length = resp->bytes->len - resp->bytes_mark;
  g_array_append_val (resp->segments, seg);
  resp->bytes_mark = resp->bytes->len;
}

void
rg_kafka_response_adopt_refs (RgKafkaResponse * resp,
    const RgKafkaRecordsRef * refs, guint n_refs)
{
  if (n_refs == 0)
    return;
  if (!resp->refs)
    resp->refs = g_array_new (FALSE, TRUE, sizeof (RgKafkaRecordsRef));
  g_array_append_vals (resp->refs, refs, n_refs);
}

void
rg_kafka_put_records_ref (RgKafkaResponse * resp,
    const RgKafkaRecordsRef * ref)
{
  RgKafkaSegment seg = { RG_KAFKA_SEGMENT_MEMORY, NULL, -1, 0, 0 };

  if (resp->error != NULL || ref->length == 0)
    return;
  close_bytes_segment (resp);
  if (ref->type == RG_KAFKA_SEGMENT_FILE) {
    seg.type = RG_KAFKA_SEGMENT_FILE;
    seg.fd = ref->fd;
    seg.offset = ref->offset;
  } else {
    seg.data = ref->data;
  }
  seg.length = ref->length;
  g_array_append_val (resp->segments, seg);
  resp->size += ref->length;
}

RgKafkaResponse *
rg_kafka_response_finish (RgKafkaResponse * resp, GError ** error)
{
  guint32 be;
  guint i;

  close_bytes_segment (resp);
  resp->size += resp->bytes->len;
  if (resp->error == NULL && resp->size - 4 > G_MAXINT32)
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_TOO_LARGE,
        "Response of %" G_GSIZE_FORMAT " bytes does not fit the int32 size "
        "prefix", resp->size);
  if (resp->error != NULL) {
    g_propagate_error (error, resp->error);
    resp->error = NULL;
    rg_kafka_response_free (resp);
    return NULL;
  }

  be = GUINT32_TO_BE ((guint32) (resp->size - 4));
  memcpy (resp->bytes->data, &be, 4);
  for (i = 0; i < resp->segments->len; i++) {
    RgKafkaSegment *seg = &g_array_index (resp->segments, RgKafkaSegment, i);

    if (seg->type == RG_KAFKA_SEGMENT_BYTES) {
      seg->data = resp->bytes->data + seg->offset;
      seg->offset = 0;
    }
  }
  return resp;
}

/* The public accessors of rgkafka.h live here, beside the struct. */

const RgKafkaSegment *
rg_kafka_response_get_segments (RgKafkaResponse * response, guint * n_segments)
{
  g_return_val_if_fail (response != NULL, NULL);
  g_return_val_if_fail (n_segments != NULL, NULL);

  *n_segments = response->segments->len;
  return (const RgKafkaSegment *) response->segments->data;
}

gsize
rg_kafka_response_get_size (const RgKafkaResponse * response)
{
  g_return_val_if_fail (response != NULL, 0);

  return response->size;
}

GByteArray *
rg_kafka_response_flatten (RgKafkaResponse * response)
{
  GByteArray *out;
  guint i;

  g_return_val_if_fail (response != NULL, NULL);

  out = g_byte_array_sized_new (response->size);
  for (i = 0; i < response->segments->len; i++) {
    const RgKafkaSegment *seg =
        &g_array_index (response->segments, RgKafkaSegment, i);

    if (seg->type == RG_KAFKA_SEGMENT_FILE) {
      g_byte_array_unref (out);
      return NULL;
    }
    g_byte_array_append (out, seg->data, seg->length);
  }
  return out;
}

void
rg_kafka_response_free (RgKafkaResponse * response)
{
  guint i;

  if (response == NULL)
    return;

  for (i = 0; response->refs && i < response->refs->len; i++) {
    RgKafkaRecordsRef *ref =
        &g_array_index (response->refs, RgKafkaRecordsRef, i);

    if (ref->notify != NULL)
      ref->notify (ref->user_data);
  }
  if (response->refs)
    g_array_unref (response->refs);
  g_array_unref (response->segments);
  g_byte_array_unref (response->bytes);
  g_clear_error (&response->error);
  g_free (response);
}
