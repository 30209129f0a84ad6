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
 * You should have received a copy of the GNU Library General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

/* The Kafka wire protocol, phase 1 subset.
 *
 * Every integer is big-endian. Non-flexible encodings: STRING is an int16
 * length and the bytes (nullable: -1 is null), ARRAY an int32 count and
 * the elements (nullable: -1), BYTES and RECORDS an int32 length and the
 * bytes. Flexible encodings (only ApiVersions v3 here): COMPACT_STRING and
 * COMPACT_ARRAY carry an unsigned varint of N + 1 (0 is null), and every
 * struct, each array element included, ends with a tag buffer: an unsigned
 * varint count of {uvarint tag, uvarint size, size bytes}. We send empty
 * tag buffers (one 0x00 byte) and skip the ones we receive.
 *
 * Request frame: int32 size, then header v1 = int16 api key, int16 api
 * version, int32 correlation id, nullable STRING client id (int16 length
 * even in flexible versions), then for flexible requests (header v2) a
 * tag buffer, then the body:
 *
 *   ApiVersions 18 v0-2  (empty)
 *                  v3    COMPACT_STRING software name, COMPACT_STRING
 *                        software version, TAG
 *   Metadata 3 v0-4      ARRAY{STRING topic} (v0: empty = all topics;
 *                        v1+: null = all), [v4 int8 allow auto create]
 *   Produce 0 v3-7       nullable STRING transactional id, int16 acks,
 *                        int32 timeout, ARRAY{STRING topic,
 *                        ARRAY{int32 partition, nullable RECORDS}}
 *   ListOffsets 2 v1-2   int32 replica, [v2 int8 isolation],
 *                        ARRAY{STRING topic, ARRAY{int32 partition,
 *                        int64 timestamp}}
 *   Fetch 1 v4           int32 replica, int32 max wait, int32 min bytes,
 *                        int32 max bytes, int8 isolation, ARRAY{STRING
 *                        topic, ARRAY{int32 partition, int64 offset,
 *                        int32 partition max bytes}}
 *
 * Response frame: int32 size, int32 correlation id (header v0 for every
 * response here: ApiVersions keeps v0 even when flexible, KIP-511), then
 * the body; the layouts are next to each builder below.
 *
 * Parsing rules: a length or count is checked against the bytes left in
 * the frame before it is used, so nothing is ever read outside the frame;
 * an array count is also checked against the smallest encoding of its
 * element, so an absurd count fails before any allocation and the memory a
 * request holds is bounded by a small multiple of the frame size; bytes
 * left over after the body are an error. Strings and record sets are views
 * into the frame. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "kafka/rgkafka.h"

G_DEFINE_QUARK (rg-kafka-error-quark, rg_kafka_error);

/* The versions this codec parses and builds (phase 1 of DESIGN.md),
 * ascending by api key. Pure facts of the wire format: what a broker
 * advertises and how it answers is the broker's own table
 * (broker/rgbrokerdispatch.c), which must lie within this one. */
static const RgKafkaApiVersionRange supported_apis[] = {
  {RG_KAFKA_API_PRODUCE, 3, 7},
  {RG_KAFKA_API_FETCH, 4, 4},
  {RG_KAFKA_API_LIST_OFFSETS, 1, 2},
  {RG_KAFKA_API_METADATA, 0, 4},
  {RG_KAFKA_API_API_VERSIONS, 0, 3},
};

/* First flexible version of ApiVersions: compact types, tag buffers and
 * request header v2. */
#define API_VERSIONS_FIRST_FLEXIBLE 3

/* Longest unsigned varint for a 32-bit value. */
#define UVARINT_MAX_SIZE 5

const RgKafkaApiVersionRange *
rg_kafka_supported_apis (guint * n_apis)
{
  g_return_val_if_fail (n_apis != NULL, NULL);

  *n_apis = G_N_ELEMENTS (supported_apis);
  return supported_apis;
}

static const RgKafkaApiVersionRange *
find_api (gint16 api_key)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (supported_apis); i++)
    if (supported_apis[i].api_key == api_key)
      return &supported_apis[i];
  return NULL;
}

gboolean
rg_kafka_version_supported (gint16 api_key, gint16 api_version)
{
  const RgKafkaApiVersionRange *range = find_api (api_key);

  return range != NULL && api_version >= range->min_version
      && api_version <= range->max_version;
}

gint16
rg_kafka_first_flexible_version (gint16 api_key)
{
  return api_key == RG_KAFKA_API_API_VERSIONS ? API_VERSIONS_FIRST_FLEXIBLE :
      -1;
}

const gchar *
rg_kafka_error_code_name (gint16 code)
{
  switch (code) {
    case RG_KAFKA_UNKNOWN_SERVER_ERROR:
      return "UNKNOWN_SERVER_ERROR";
    case RG_KAFKA_NONE:
      return "NONE";
    case RG_KAFKA_OFFSET_OUT_OF_RANGE:
      return "OFFSET_OUT_OF_RANGE";
    case RG_KAFKA_CORRUPT_MESSAGE:
      return "CORRUPT_MESSAGE";
    case RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION:
      return "UNKNOWN_TOPIC_OR_PARTITION";
    case RG_KAFKA_INVALID_FETCH_SIZE:
      return "INVALID_FETCH_SIZE";
    case RG_KAFKA_LEADER_NOT_AVAILABLE:
      return "LEADER_NOT_AVAILABLE";
    case RG_KAFKA_NOT_LEADER_OR_FOLLOWER:
      return "NOT_LEADER_OR_FOLLOWER";
    case RG_KAFKA_REQUEST_TIMED_OUT:
      return "REQUEST_TIMED_OUT";
    case RG_KAFKA_MESSAGE_TOO_LARGE:
      return "MESSAGE_TOO_LARGE";
    case RG_KAFKA_INVALID_TOPIC_EXCEPTION:
      return "INVALID_TOPIC_EXCEPTION";
    case RG_KAFKA_RECORD_LIST_TOO_LARGE:
      return "RECORD_LIST_TOO_LARGE";
    case RG_KAFKA_INVALID_REQUIRED_ACKS:
      return "INVALID_REQUIRED_ACKS";
    case RG_KAFKA_TOPIC_AUTHORIZATION_FAILED:
      return "TOPIC_AUTHORIZATION_FAILED";
    case RG_KAFKA_UNSUPPORTED_VERSION:
      return "UNSUPPORTED_VERSION";
    case RG_KAFKA_INVALID_REQUEST:
      return "INVALID_REQUEST";
    case RG_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT:
      return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case RG_KAFKA_POLICY_VIOLATION:
      return "POLICY_VIOLATION";
    case RG_KAFKA_KAFKA_STORAGE_ERROR:
      return "KAFKA_STORAGE_ERROR";
    case RG_KAFKA_INVALID_RECORD:
      return "INVALID_RECORD";
    default:
      return "UNKNOWN_ERROR_CODE";
  }
}

const gchar *
rg_kafka_api_name (gint16 api_key)
{
  switch (api_key) {
    case RG_KAFKA_API_PRODUCE:
      return "Produce";
    case RG_KAFKA_API_FETCH:
      return "Fetch";
    case RG_KAFKA_API_LIST_OFFSETS:
      return "ListOffsets";
    case RG_KAFKA_API_METADATA:
      return "Metadata";
    case RG_KAFKA_API_API_VERSIONS:
      return "ApiVersions";
    default:
      return "Unknown";
  }
}

RgKafkaStr
rg_kafka_str_from_cstr (const gchar * cstr)
{
  RgKafkaStr str = RG_KAFKA_STR_NULL;
  gsize len;

  if (cstr == NULL)
    return str;
  len = strlen (cstr);
  str.data = cstr;
  str.len = (gint32) MIN (len, (gsize) G_MAXINT32);
  return str;
}

gboolean
rg_kafka_str_equal (RgKafkaStr str, const gchar * cstr)
{
  if (str.len < 0 || cstr == NULL)
    return str.len < 0 && cstr == NULL;
  return strlen (cstr) == (gsize) str.len
      && memcmp (str.data, cstr, str.len) == 0;
}

gchar *
rg_kafka_str_dup (RgKafkaStr str)
{
  if (str.len < 0)
    return NULL;
  return g_strndup (str.data, str.len);
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
      | ((guint32) p[2] << 8) | p[3];
}

gboolean
rg_kafka_frame_length (const guint8 * prefix, guint32 max_frame_size,
    gsize * length, GError ** error)
{
  gint32 size;

  g_return_val_if_fail (prefix != NULL, FALSE);
  g_return_val_if_fail (length != NULL, FALSE);

  size = (gint32) read_be32 (prefix);
  max_frame_size = MIN (max_frame_size, RG_KAFKA_MAX_FRAME_SIZE);
  if (size < RG_KAFKA_MIN_FRAME_SIZE)
    goto too_small;
  if ((guint32) size > max_frame_size)
    goto too_large;

  *length = size;
  return TRUE;

  /* ERRORS */
too_small:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "Request size %d is below the smallest possible request (%d bytes)",
        size, RG_KAFKA_MIN_FRAME_SIZE);
    return FALSE;
  }
too_large:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TOO_LARGE,
        "Request size %d exceeds the limit of %u bytes", size, max_frame_size);
    return FALSE;
  }
}

/* --- Reading ------------------------------------------------------------
 *
 * The reader's errors are sticky: after the first failure every read
 * returns a zero value without touching the frame, so a parser can read a
 * whole struct and check once. Loops over arrays also stop at a failure. */

typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  gboolean failed;
  GError **error;
} Reader;

static void reader_fail (Reader * r, RgKafkaError code, const gchar * format,
    ...) G_GNUC_PRINTF (3, 4);

static void
reader_fail (Reader * r, RgKafkaError code, const gchar * format, ...)
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

static gsize
reader_left (const Reader * r)
{
  return r->len - r->pos;
}

/* Returns the next @n bytes and advances, or NULL (and fails) when fewer
 * remain. The only place that hands out pointers into the frame. */
static const guint8 *
reader_take (Reader * r, gsize n, const gchar * field)
{
  const guint8 *p;

  if (r->failed)
    return NULL;
  if (reader_left (r) < n) {
    reader_fail (r, RG_KAFKA_ERROR_TRUNCATED,
        "%s at byte %" G_GSIZE_FORMAT " needs %" G_GSIZE_FORMAT
        " bytes, the frame has %" G_GSIZE_FORMAT " left", field, r->pos, n,
        reader_left (r));
    return NULL;
  }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

static gint8
read_int8 (Reader * r, const gchar * field)
{
  const guint8 *p = reader_take (r, 1, field);

  return p ? (gint8) p[0] : 0;
}

static gint16
read_int16 (Reader * r, const gchar * field)
{
  const guint8 *p = reader_take (r, 2, field);

  return p ? (gint16) (((guint16) p[0] << 8) | p[1]) : 0;
}

static gint32
read_int32 (Reader * r, const gchar * field)
{
  const guint8 *p = reader_take (r, 4, field);

  return p ? (gint32) read_be32 (p) : 0;
}

static gint64
read_int64 (Reader * r, const gchar * field)
{
  const guint8 *p = reader_take (r, 8, field);

  if (p == NULL)
    return 0;
  return (gint64) (((guint64) read_be32 (p) << 32) | read_be32 (p + 4));
}

static guint32
read_uvarint (Reader * r, const gchar * field)
{
  guint32 value = 0;
  guint i;

  for (i = 0; i < UVARINT_MAX_SIZE; i++) {
    const guint8 *p = reader_take (r, 1, field);

    if (p == NULL)
      return 0;
    /* The fifth byte may only carry the top four bits of a 32-bit value. */
    if (i == UVARINT_MAX_SIZE - 1 && (p[0] & 0xf0) != 0)
      break;
    value |= (guint32) (p[0] & 0x7f) << (7 * i);
    if ((p[0] & 0x80) == 0)
      return value;
  }
  reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
      "%s before byte %" G_GSIZE_FORMAT " is not a 32-bit unsigned varint",
      field, r->pos);
  return 0;
}

static RgKafkaStr
read_string_bytes (Reader * r, gint64 len, gboolean nullable,
    const gchar * field, gsize start)
{
  RgKafkaStr str = RG_KAFKA_STR_NULL;

  if (r->failed)
    return str;
  if (len < 0 && nullable)
    return str;
  if (len < 0) {
    reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " is null, which this field forbids",
        field, start);
    return str;
  }
  str.data = (const gchar *) reader_take (r, len, field);
  str.len = str.data ? (gint32) len : -1;
  return str;
}

/* STRING / NULLABLE_STRING: int16 length, -1 for null. */
static RgKafkaStr
read_string (Reader * r, gboolean nullable, const gchar * field)
{
  gsize start = r->pos;
  gint16 len = read_int16 (r, field);

  return read_string_bytes (r, len, nullable, field, start);
}

/* COMPACT_STRING: uvarint length + 1, 0 for null. */
static RgKafkaStr
read_compact_string (Reader * r, gboolean nullable, const gchar * field)
{
  gsize start = r->pos;
  guint32 len_plus_one = read_uvarint (r, field);

  return read_string_bytes (r, (gint64) len_plus_one - 1, nullable, field,
      start);
}

/* A tag buffer: uvarint count of {uvarint tag, uvarint size, bytes}. None
 * of the tagged fields in our versions matters to the broker, so all are
 * skipped, each one bounds-checked. */
static void
skip_tagged_fields (Reader * r)
{
  guint32 count = read_uvarint (r, "tagged field count");
  guint32 i;

  for (i = 0; i < count && !r->failed; i++) {
    guint32 size;

    read_uvarint (r, "tag");
    size = read_uvarint (r, "tagged field size");
    reader_take (r, size, "tagged field");
  }
}

/* ARRAY count. Returns -1 for a null array (only when @nullable), else the
 * count, which is known to fit: @min_element_size is the smallest encoding
 * of one element, so @count elements need at least count * min bytes. */
static gint32
read_array_count (Reader * r, gboolean nullable, gsize min_element_size,
    const gchar * field)
{
  gsize start = r->pos;
  gint32 count = read_int32 (r, field);

  if (r->failed)
    return 0;
  if (count < 0 && nullable)
    return -1;
  if (count < 0) {
    reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " has a negative count (%d)", field,
        start, count);
    return 0;
  }
  if ((gsize) count > reader_left (r) / min_element_size) {
    reader_fail (r, RG_KAFKA_ERROR_MALFORMED,
        "%s at byte %" G_GSIZE_FORMAT " claims %d elements of at least %"
        G_GSIZE_FORMAT " bytes, but only %" G_GSIZE_FORMAT " bytes remain",
        field, start, count, min_element_size, reader_left (r));
    return 0;
  }
  return count;
}

/* Nullable RECORDS / BYTES: int32 length, -1 for null. */
static const guint8 *
read_records (Reader * r, gint32 * len, gsize * position)
{
  gint32 length = read_int32 (r, "records length");
  const guint8 *records;

  *len = -1;
  *position = 0;
  if (r->failed || length < 0)
    return NULL;
  *position = r->pos;
  records = reader_take (r, length, "records");
  if (records != NULL)
    *len = length;
  return records;
}

/* --- Request bodies ----------------------------------------------------- */

static void
parse_api_versions (Reader * r, gint16 version, RgKafkaApiVersionsRequest * b)
{
  b->client_software_name = RG_KAFKA_STR_NULL;
  b->client_software_version = RG_KAFKA_STR_NULL;
  if (version < API_VERSIONS_FIRST_FLEXIBLE)
    return;
  b->client_software_name = read_compact_string (r, FALSE,
      "client software name");
  b->client_software_version = read_compact_string (r, FALSE,
      "client software version");
  skip_tagged_fields (r);
}

static void
parse_metadata (Reader * r, gint16 version, RgKafkaMetadataRequest * b)
{
  gint32 count = read_array_count (r, version >= 1, 2, "topics");
  gint32 i;

  b->allow_auto_topic_creation = TRUE;
  b->all_topics = count < 0 || (version == 0 && count == 0);
  if (count > 0) {
    b->topics = g_new0 (RgKafkaStr, count);
    b->n_topics = count;
  }
  for (i = 0; i < count && !r->failed; i++)
    b->topics[i] = read_string (r, FALSE, "topic name");
  if (version >= 4)
    b->allow_auto_topic_creation = read_int8 (r, "allow auto topic creation")
        != 0;
}

static void
parse_produce_topic (Reader * r, RgKafkaProduceTopic * t)
{
  gint32 count, i;

  t->topic = read_string (r, FALSE, "topic name");
  /* Smallest partition: int32 index + int32 records length. */
  count = read_array_count (r, FALSE, 8, "partitions");
  t->partitions = g_new0 (RgKafkaProducePartition, count);
  t->n_partitions = count;
  for (i = 0; i < count && !r->failed; i++) {
    RgKafkaProducePartition *p = &t->partitions[i];

    p->partition = read_int32 (r, "partition index");
    p->records = read_records (r, &p->records_len, &p->records_position);
  }
}

static void
parse_produce (Reader * r, gint16 version, RgKafkaProduceRequest * b)
{
  gint32 count, i;

  b->transactional_id = read_string (r, TRUE, "transactional id");
  b->acks = read_int16 (r, "acks");
  b->timeout_ms = read_int32 (r, "timeout");
  /* Smallest topic: int16 name length + int32 partition count. */
  count = read_array_count (r, FALSE, 6, "topics");
  b->topics = g_new0 (RgKafkaProduceTopic, count);
  b->n_topics = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_produce_topic (r, &b->topics[i]);
}

static void
parse_list_offsets_topic (Reader * r, RgKafkaListOffsetsTopic * t)
{
  gint32 count, i;

  t->topic = read_string (r, FALSE, "topic name");
  /* v1-2 partition: int32 index + int64 timestamp. */
  count = read_array_count (r, FALSE, 12, "partitions");
  t->partitions = g_new0 (RgKafkaListOffsetsPartition, count);
  t->n_partitions = count;
  for (i = 0; i < count && !r->failed; i++) {
    t->partitions[i].partition = read_int32 (r, "partition index");
    t->partitions[i].timestamp = read_int64 (r, "timestamp");
  }
}

static void
parse_list_offsets (Reader * r, gint16 version, RgKafkaListOffsetsRequest * b)
{
  gint32 count, i;

  b->replica_id = read_int32 (r, "replica id");
  b->isolation_level = version >= 2 ? read_int8 (r, "isolation level") : 0;
  count = read_array_count (r, FALSE, 6, "topics");
  b->topics = g_new0 (RgKafkaListOffsetsTopic, count);
  b->n_topics = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_list_offsets_topic (r, &b->topics[i]);
}

static void
parse_fetch_topic (Reader * r, RgKafkaFetchTopic * t)
{
  gint32 count, i;

  t->topic = read_string (r, FALSE, "topic name");
  /* v4 partition: int32 index + int64 offset + int32 max bytes. */
  count = read_array_count (r, FALSE, 16, "partitions");
  t->partitions = g_new0 (RgKafkaFetchPartition, count);
  t->n_partitions = count;
  for (i = 0; i < count && !r->failed; i++) {
    RgKafkaFetchPartition *p = &t->partitions[i];

    p->partition = read_int32 (r, "partition index");
    p->fetch_offset = read_int64 (r, "fetch offset");
    p->partition_max_bytes = read_int32 (r, "partition max bytes");
  }
}

static void
parse_fetch (Reader * r, gint16 version, RgKafkaFetchRequest * b)
{
  gint32 count, i;

  b->replica_id = read_int32 (r, "replica id");
  b->max_wait_ms = read_int32 (r, "max wait");
  b->min_bytes = read_int32 (r, "min bytes");
  b->max_bytes = read_int32 (r, "max bytes");
  b->isolation_level = read_int8 (r, "isolation level");
  count = read_array_count (r, FALSE, 6, "topics");
  b->topics = g_new0 (RgKafkaFetchTopic, count);
  b->n_topics = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_fetch_topic (r, &b->topics[i]);
}

static void
parse_body (Reader * r, RgKafkaRequest * request)
{
  gint16 version = request->header.api_version;

  switch (request->header.api_key) {
    case RG_KAFKA_API_API_VERSIONS:
      parse_api_versions (r, version, &request->body.api_versions);
      break;
    case RG_KAFKA_API_METADATA:
      parse_metadata (r, version, &request->body.metadata);
      break;
    case RG_KAFKA_API_PRODUCE:
      parse_produce (r, version, &request->body.produce);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:
      parse_list_offsets (r, version, &request->body.list_offsets);
      break;
    case RG_KAFKA_API_FETCH:
      parse_fetch (r, version, &request->body.fetch);
      break;
    default:
      g_assert_not_reached ();
  }
}

static void
read_header (Reader * r, RgKafkaRequestHeader * header)
{
  header->api_key = read_int16 (r, "api key");
  header->api_version = read_int16 (r, "api version");
  header->correlation_id = read_int32 (r, "correlation id");
  header->client_id = read_string (r, TRUE, "client id");
}

gboolean
rg_kafka_request_parse_header (const guint8 * frame, gsize len,
    RgKafkaRequestHeader * header, GError ** error)
{
  Reader r = { frame, len, 0, FALSE, error };

  g_return_val_if_fail (frame != NULL || len == 0, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  read_header (&r, header);
  return !r.failed;
}

static gboolean
check_version (const RgKafkaRequestHeader * header, GError ** error)
{
  const RgKafkaApiVersionRange *range = find_api (header->api_key);

  if (range == NULL) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_API,
        "Api key %d is not supported", header->api_key);
    return FALSE;
  }
  if (header->api_version < range->min_version
      || header->api_version > range->max_version) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
        "%s version %d is not supported (supported: %d-%d)",
        rg_kafka_api_name (header->api_key), header->api_version,
        range->min_version, range->max_version);
    return FALSE;
  }
  return TRUE;
}

RgKafkaRequest *
rg_kafka_request_parse (const guint8 * frame, gsize len,
    RgKafkaRequestHeader * header, GError ** error)
{
  Reader r = { frame, len, 0, FALSE, error };
  RgKafkaRequest *request;

  g_return_val_if_fail (frame != NULL || len == 0, NULL);

  if (len > RG_KAFKA_MAX_FRAME_SIZE)
    goto too_large;

  request = g_new0 (RgKafkaRequest, 1);
  read_header (&r, &request->header);
  if (r.failed)
    goto failed;
  if (header != NULL)
    *header = request->header;
  if (!check_version (&request->header, error))
    goto failed;
  if (request->header.api_key == RG_KAFKA_API_API_VERSIONS
      && request->header.api_version >= API_VERSIONS_FIRST_FLEXIBLE)
    skip_tagged_fields (&r);
  parse_body (&r, request);
  if (r.failed)
    goto failed;
  if (r.pos != len)
    goto trailing;

  return request;

  /* ERRORS */
too_large:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TOO_LARGE,
        "Frame of %" G_GSIZE_FORMAT " bytes exceeds the limit of %d bytes",
        len, RG_KAFKA_MAX_FRAME_SIZE);
    return NULL;
  }
trailing:
  {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "%s v%d request has %" G_GSIZE_FORMAT " bytes left over after its "
        "body (byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT ")",
        rg_kafka_api_name (request->header.api_key),
        request->header.api_version, len - r.pos, r.pos, len);
    rg_kafka_request_free (request);
    return NULL;
  }
failed:
  {
    /* The reader or check_version() has set @error already. */
    rg_kafka_request_free (request);
    return NULL;
  }
}

void
rg_kafka_request_free (RgKafkaRequest * request)
{
  guint i;

  if (request == NULL)
    return;

  switch (request->header.api_key) {
    case RG_KAFKA_API_METADATA:
      g_free (request->body.metadata.topics);
      break;
    case RG_KAFKA_API_PRODUCE:
      for (i = 0; i < request->body.produce.n_topics; i++)
        g_free (request->body.produce.topics[i].partitions);
      g_free (request->body.produce.topics);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:
      for (i = 0; i < request->body.list_offsets.n_topics; i++)
        g_free (request->body.list_offsets.topics[i].partitions);
      g_free (request->body.list_offsets.topics);
      break;
    case RG_KAFKA_API_FETCH:
      for (i = 0; i < request->body.fetch.n_topics; i++)
        g_free (request->body.fetch.topics[i].partitions);
      g_free (request->body.fetch.topics);
      break;
    default:
      break;
  }
  g_free (request);
}

/* --- Writing ------------------------------------------------------------
 *
 * A response accumulates protocol bytes in one GByteArray and a list of
 * segments. A BYTES segment records an offset into that array while the
 * array can still grow (and move); finish_response() turns offsets into
 * pointers once it cannot. Like the reader, the first encoding error is
 * kept and later writes are ignored, so builders check once at the end. */

struct _RgKafkaResponse
{
  GByteArray *bytes;
  GArray *segments;             /* RgKafkaSegment */
  GArray *refs;                 /* RgKafkaRecordsRef, for their notify */
  gsize bytes_mark;             /* start of the open BYTES segment */
  gsize size;
  GError *error;
};

static RgKafkaResponse *
response_new (gint32 correlation_id)
{
  RgKafkaResponse *resp = g_new0 (RgKafkaResponse, 1);
  guint8 header[8] = { 0, 0, 0, 0,
    (guint32) correlation_id >> 24, (guint32) correlation_id >> 16,
    (guint32) correlation_id >> 8, (guint32) correlation_id
  };

  resp->bytes = g_byte_array_sized_new (256);
  resp->segments = g_array_new (FALSE, TRUE, sizeof (RgKafkaSegment));
  resp->refs = g_array_new (FALSE, TRUE, sizeof (RgKafkaRecordsRef));
  /* The size prefix is a placeholder until finish_response(). */
  g_byte_array_append (resp->bytes, header, sizeof (header));
  return resp;
}

static void
put_bytes (RgKafkaResponse * resp, const void *data, gsize len)
{
  if (resp->error == NULL)
    g_byte_array_append (resp->bytes, data, len);
}

static void
put_int8 (RgKafkaResponse * resp, gint8 value)
{
  put_bytes (resp, &value, 1);
}

static void
put_int16 (RgKafkaResponse * resp, gint16 value)
{
  guint16 be = GUINT16_TO_BE ((guint16) value);

  put_bytes (resp, &be, 2);
}

static void
put_int32 (RgKafkaResponse * resp, gint32 value)
{
  guint32 be = GUINT32_TO_BE ((guint32) value);

  put_bytes (resp, &be, 4);
}

static void
put_int64 (RgKafkaResponse * resp, gint64 value)
{
  guint64 be = GUINT64_TO_BE ((guint64) value);

  put_bytes (resp, &be, 8);
}

static void
put_uvarint (RgKafkaResponse * resp, guint32 value)
{
  guint8 out[UVARINT_MAX_SIZE];
  gsize n = 0;

  while (value >= 0x80) {
    out[n++] = (value & 0x7f) | 0x80;
    value >>= 7;
  }
  out[n++] = value;
  put_bytes (resp, out, n);
}

static void
put_array_count (RgKafkaResponse * resp, guint count)
{
  if (count > G_MAXINT32 && resp->error == NULL)
    g_set_error (&resp->error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TOO_LARGE,
        "Array of %u elements does not fit an int32 count", count);
  put_int32 (resp, (gint32) count);
}

/* STRING (nullable when @nullable): int16 length + bytes. */
static void
put_string (RgKafkaResponse * resp, RgKafkaStr str, gboolean nullable,
    const gchar * field)
{
  if (resp->error != NULL)
    return;
  if (str.len < 0 && !nullable) {
    g_set_error (&resp->error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "%s cannot be null in this response version", field);
    return;
  }
  if (str.len > G_MAXINT16) {
    g_set_error (&resp->error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "%s is %d bytes long; Kafka strings hold at most %d", field,
        str.len, G_MAXINT16);
    return;
  }
  put_int16 (resp, str.len < 0 ? -1 : (gint16) str.len);
  if (str.len > 0)
    put_bytes (resp, str.data, str.len);
}

static void
put_int32_array (RgKafkaResponse * resp, const gint32 * values, guint count)
{
  guint i;

  put_array_count (resp, count);
  for (i = 0; i < count; i++)
    put_int32 (resp, values[i]);
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

/* Appends a referenced record set piece as its own segment. */
static void
put_records_ref (RgKafkaResponse * resp, const RgKafkaRecordsRef * ref)
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

/* Patches the size prefix, resolves BYTES segments to pointers. On an
 * encoding error frees @resp and returns NULL with @error set. */
static RgKafkaResponse *
finish_response (RgKafkaResponse * resp, GError ** error)
{
  guint32 be;
  guint i;

  close_bytes_segment (resp);
  resp->size += resp->bytes->len;
  if (resp->error == NULL && resp->size - 4 > G_MAXINT32)
    g_set_error (&resp->error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TOO_LARGE,
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

  for (i = 0; i < response->refs->len; i++) {
    RgKafkaRecordsRef *ref =
        &g_array_index (response->refs, RgKafkaRecordsRef, i);

    if (ref->notify != NULL)
      ref->notify (ref->user_data);
  }
  g_array_unref (response->refs);
  g_array_unref (response->segments);
  g_byte_array_unref (response->bytes);
  g_clear_error (&response->error);
  g_free (response);
}

static gboolean
check_build_version (gint16 api_key, gint16 api_version, GError ** error)
{
  if (rg_kafka_version_supported (api_key, api_version))
    return TRUE;
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
      "Cannot build a %s v%d response", rg_kafka_api_name (api_key),
      api_version);
  return FALSE;
}

/* --- ApiVersions (18) ---------------------------------------------------
 *
 * v0    int16 error, ARRAY{int16 key, int16 min, int16 max}
 * v1-2  the same, then int32 throttle
 * v3    int16 error, COMPACT_ARRAY{int16 key, int16 min, int16 max, TAG},
 *       int32 throttle, TAG
 * The response header is v0 in every version. */

RgKafkaResponse *
rg_kafka_build_api_versions_response_for (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms,
    const RgKafkaApiVersionRange * apis, guint n_apis)
{
  gboolean flexible = api_version >= API_VERSIONS_FIRST_FLEXIBLE;
  RgKafkaResponse *resp;
  guint i;

  g_return_val_if_fail (rg_kafka_version_supported (RG_KAFKA_API_API_VERSIONS,
          api_version), NULL);
  g_return_val_if_fail (apis != NULL || n_apis == 0, NULL);

  resp = response_new (correlation_id);
  put_int16 (resp, RG_KAFKA_NONE);
  if (flexible)
    put_uvarint (resp, n_apis + 1);
  else
    put_array_count (resp, n_apis);
  for (i = 0; i < n_apis; i++) {
    put_int16 (resp, apis[i].api_key);
    put_int16 (resp, apis[i].min_version);
    put_int16 (resp, apis[i].max_version);
    if (flexible)
      put_uvarint (resp, 0);
  }
  if (api_version >= 1)
    put_int32 (resp, throttle_ms);
  if (flexible)
    put_uvarint (resp, 0);
  return finish_response (resp, NULL);
}

RgKafkaResponse *
rg_kafka_build_api_versions_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms)
{
  return rg_kafka_build_api_versions_response_for (correlation_id,
      api_version, throttle_ms, supported_apis,
      G_N_ELEMENTS (supported_apis));
}

RgKafkaResponse *
rg_kafka_build_api_versions_error_for (gint32 correlation_id,
    const RgKafkaApiVersionRange * range)
{
  RgKafkaResponse *resp;

  g_return_val_if_fail (range != NULL, NULL);

  resp = response_new (correlation_id);
  put_int16 (resp, RG_KAFKA_UNSUPPORTED_VERSION);
  put_array_count (resp, 1);
  put_int16 (resp, range->api_key);
  put_int16 (resp, range->min_version);
  put_int16 (resp, range->max_version);
  return finish_response (resp, NULL);
}

RgKafkaResponse *
rg_kafka_build_api_versions_error (gint32 correlation_id)
{
  return rg_kafka_build_api_versions_error_for (correlation_id,
      find_api (RG_KAFKA_API_API_VERSIONS));
}

/* --- Metadata (3) -------------------------------------------------------
 *
 * [v3+ int32 throttle] ARRAY{int32 node, STRING host, int32 port,
 * [v1+ NULLABLE_STRING rack]} [v2+ NULLABLE_STRING cluster id]
 * [v1+ int32 controller] ARRAY{int16 error, STRING name, [v1+ int8
 * internal], ARRAY{int16 error, int32 index, int32 leader, ARRAY int32
 * replicas, ARRAY int32 isr}} */

static void
put_metadata_topic (RgKafkaResponse * resp, gint16 version,
    const RgKafkaMetadataTopic * t)
{
  guint i;

  put_int16 (resp, t->error_code);
  put_string (resp, t->topic, FALSE, "topic name");
  if (version >= 1)
    put_int8 (resp, t->is_internal ? 1 : 0);
  put_array_count (resp, t->n_partitions);
  for (i = 0; i < t->n_partitions; i++) {
    const RgKafkaMetadataPartition *p = &t->partitions[i];

    put_int16 (resp, p->error_code);
    put_int32 (resp, p->partition);
    put_int32 (resp, p->leader);
    put_int32_array (resp, p->replicas, p->n_replicas);
    put_int32_array (resp, p->isr, p->n_isr);
  }
}

RgKafkaResponse *
rg_kafka_build_metadata_response (gint32 correlation_id, gint16 api_version,
    const RgKafkaMetadataResponse * metadata, GError ** error)
{
  RgKafkaResponse *resp;
  guint i;

  g_return_val_if_fail (metadata != NULL, NULL);

  if (!check_build_version (RG_KAFKA_API_METADATA, api_version, error))
    return NULL;

  resp = response_new (correlation_id);
  if (api_version >= 3)
    put_int32 (resp, metadata->throttle_ms);
  put_array_count (resp, metadata->n_brokers);
  for (i = 0; i < metadata->n_brokers; i++) {
    const RgKafkaMetadataBroker *b = &metadata->brokers[i];

    put_int32 (resp, b->node_id);
    put_string (resp, b->host, FALSE, "broker host");
    put_int32 (resp, b->port);
    if (api_version >= 1)
      put_string (resp, b->rack, TRUE, "broker rack");
  }
  if (api_version >= 2)
    put_string (resp, metadata->cluster_id, TRUE, "cluster id");
  if (api_version >= 1)
    put_int32 (resp, metadata->controller_id);
  put_array_count (resp, metadata->n_topics);
  for (i = 0; i < metadata->n_topics; i++)
    put_metadata_topic (resp, api_version, &metadata->topics[i]);
  return finish_response (resp, error);
}

/* --- Produce (0) --------------------------------------------------------
 *
 * v3-7  ARRAY{STRING topic, ARRAY{int32 index, int16 error, int64 base
 *       offset, int64 log append time, [v5+ int64 log start offset]}},
 *       int32 throttle */

RgKafkaResponse *
rg_kafka_build_produce_response (gint32 correlation_id, gint16 api_version,
    gint32 throttle_ms, guint n_topics,
    const RgKafkaProduceTopicResponse * topics, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  g_return_val_if_fail (topics != NULL || n_topics == 0, NULL);

  if (!check_build_version (RG_KAFKA_API_PRODUCE, api_version, error))
    return NULL;

  resp = response_new (correlation_id);
  put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    put_string (resp, topics[i].topic, FALSE, "topic name");
    put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++) {
      const RgKafkaProducePartitionResponse *p = &topics[i].partitions[j];

      put_int32 (resp, p->partition);
      put_int16 (resp, p->error_code);
      put_int64 (resp, p->base_offset);
      put_int64 (resp, p->log_append_time);
      if (api_version >= 5)
        put_int64 (resp, p->log_start_offset);
    }
  }
  put_int32 (resp, throttle_ms);
  return finish_response (resp, error);
}

/* --- ListOffsets (2) ----------------------------------------------------
 *
 * [v2 int32 throttle] ARRAY{STRING topic, ARRAY{int32 index, int16 error,
 * int64 timestamp, int64 offset}} */

RgKafkaResponse *
rg_kafka_build_list_offsets_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms, guint n_topics,
    const RgKafkaListOffsetsTopicResponse * topics, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  g_return_val_if_fail (topics != NULL || n_topics == 0, NULL);

  if (!check_build_version (RG_KAFKA_API_LIST_OFFSETS, api_version, error))
    return NULL;

  resp = response_new (correlation_id);
  if (api_version >= 2)
    put_int32 (resp, throttle_ms);
  put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    put_string (resp, topics[i].topic, FALSE, "topic name");
    put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++) {
      const RgKafkaListOffsetsPartitionResponse *p = &topics[i].partitions[j];

      put_int32 (resp, p->partition);
      put_int16 (resp, p->error_code);
      put_int64 (resp, p->timestamp);
      put_int64 (resp, p->offset);
    }
  }
  return finish_response (resp, error);
}

/* --- Fetch (1) ----------------------------------------------------------
 *
 * v4  int32 throttle, ARRAY{STRING topic, ARRAY{int32 index, int16 error,
 *     int64 high watermark, int64 last stable offset, nullable
 *     ARRAY{int64 producer id, int64 first offset} aborted, RECORDS}}
 *
 * RECORDS is an int32 length followed by the batches, which are added as
 * their own segments. */

static void
put_fetch_partition (RgKafkaResponse * resp,
    const RgKafkaFetchPartitionResponse * p)
{
  guint64 records_len = 0;
  guint i;

  put_int32 (resp, p->partition);
  put_int16 (resp, p->error_code);
  put_int64 (resp, p->high_watermark);
  put_int64 (resp, p->last_stable_offset);
  if (p->n_aborted_transactions < 0) {
    put_int32 (resp, -1);
  } else {
    put_array_count (resp, p->n_aborted_transactions);
    for (i = 0; i < (guint) p->n_aborted_transactions; i++) {
      put_int64 (resp, p->aborted_transactions[i].producer_id);
      put_int64 (resp, p->aborted_transactions[i].first_offset);
    }
  }
  for (i = 0; i < p->n_records; i++)
    records_len += p->records[i].length;
  if (records_len > G_MAXINT32 && resp->error == NULL)
    g_set_error (&resp->error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TOO_LARGE,
        "Record set of %" G_GUINT64_FORMAT " bytes for partition %d does "
        "not fit an int32 length", records_len, p->partition);
  put_int32 (resp, (gint32) records_len);
  for (i = 0; i < p->n_records; i++)
    put_records_ref (resp, &p->records[i]);
}

/* Takes over every reference's notify first, so that they run exactly
 * once whether the build succeeds or fails. */
static void
adopt_record_refs (RgKafkaResponse * resp, guint n_topics,
    const RgKafkaFetchTopicResponse * topics)
{
  guint i, j;

  for (i = 0; i < n_topics; i++)
    for (j = 0; j < topics[i].n_partitions; j++) {
      const RgKafkaFetchPartitionResponse *p = &topics[i].partitions[j];

      if (p->n_records > 0)
        g_array_append_vals (resp->refs, p->records, p->n_records);
    }
}

RgKafkaResponse *
rg_kafka_build_fetch_response (gint32 correlation_id, gint16 api_version,
    gint32 throttle_ms, guint n_topics,
    const RgKafkaFetchTopicResponse * topics, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  g_return_val_if_fail (topics != NULL || n_topics == 0, NULL);

  resp = response_new (correlation_id);
  adopt_record_refs (resp, n_topics, topics);
  if (!check_build_version (RG_KAFKA_API_FETCH, api_version, &resp->error))
    return finish_response (resp, error);

  put_int32 (resp, throttle_ms);
  put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    put_string (resp, topics[i].topic, FALSE, "topic name");
    put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++)
      put_fetch_partition (resp, &topics[i].partitions[j]);
  }
  return finish_response (resp, error);
}
