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

/* The Kafka wire protocol: the core apis, every version clients send.
 *
 * The encodings (classic and compact strings, arrays and bytes, varints,
 * tagged fields, request header v1/v2, response header v0/v1) are
 * described and implemented in rgkafkawire.c; this file holds the layouts
 * of the core apis' requests and responses. In a flexible version every
 * STRING, ARRAY and RECORDS below is its compact form and every struct
 * (array elements and the body too) ends with a tag section, TAG.
 *
 * Request frame: int32 size, header v1 (v2 when flexible), then the body;
 * [vN field] is present from version N on:
 *
 *   ApiVersions 18 v0-2  (empty)
 *                  v3    STRING software name, STRING software version, TAG
 *   Metadata 3 v0-12     ARRAY{[v10+ UUID topic id] STRING topic
 *                        (nullable v10+), TAG} (v0: empty = all topics;
 *                        v1+: null = all), [v4+ int8 allow auto create],
 *                        [v8-10 int8 include cluster operations], [v8+
 *                        int8 include topic operations], TAG
 *   Produce 0 v0-9       [v3+ nullable STRING transactional id], int16
 *                        acks, int32 timeout, ARRAY{STRING topic,
 *                        ARRAY{int32 partition, nullable RECORDS, TAG},
 *                        TAG}, TAG (RECORDS: MessageSet v0/v1 for v0-2,
 *                        RecordBatch v2 for v3+)
 *   ListOffsets 2 v0-7   int32 replica, [v2+ int8 isolation],
 *                        ARRAY{STRING topic, ARRAY{int32 partition, [v4+
 *                        int32 current leader epoch], int64 timestamp, [v0
 *                        int32 max num offsets], TAG}, TAG}, TAG
 *   Fetch 1 v0-12        int32 replica, int32 max wait, int32 min bytes,
 *                        [v3+ int32 max bytes], [v4+ int8 isolation], [v7+
 *                        int32 session id, int32 session epoch],
 *                        ARRAY{STRING topic, ARRAY{int32 partition, [v9+
 *                        int32 current leader epoch], int64 offset, [v12
 *                        int32 last fetched epoch], [v5+ int64 log start
 *                        offset], int32 partition max bytes, TAG}, TAG},
 *                        [v7+ ARRAY{STRING topic, ARRAY int32 partitions,
 *                        TAG} forgotten], [v11+ STRING rack id], TAG
 *
 * Response frame: int32 size, int32 correlation id, for flexible versions
 * an empty tag section (header v1; ApiVersions keeps header v0 even when
 * flexible, KIP-511), then the body; the layouts are next to each builder
 * below.
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

#include "kafka/rgkafkawire.h"

G_DEFINE_QUARK (rg-kafka-error-quark, rg_kafka_error);

/* The versions this codec parses and builds, ascending by api key: from
 * Kafka 0.10's clients to the flexible versions of Kafka 3.x. Pure facts
 * of the wire format: what a broker advertises and how it answers is the
 * broker's own table (broker/rgbrokerdispatch.c), which must lie within
 * this one. */
static const RgKafkaApiVersionRange supported_apis[] = {
  {RG_KAFKA_API_PRODUCE, 0, 9},
  {RG_KAFKA_API_FETCH, 0, 12},
  {RG_KAFKA_API_LIST_OFFSETS, 0, 7},
  {RG_KAFKA_API_METADATA, 0, 12},
  {RG_KAFKA_API_API_VERSIONS, 0, 3},
};

/* First flexible versions (compact encodings, tag sections, request header
 * v2 and, except for ApiVersions, response header v1), from the specs'
 * "flexibleVersions". */
#define PRODUCE_FIRST_FLEXIBLE 9
#define FETCH_FIRST_FLEXIBLE 12
#define LIST_OFFSETS_FIRST_FLEXIBLE 6
#define METADATA_FIRST_FLEXIBLE 9
#define API_VERSIONS_FIRST_FLEXIBLE 3

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
  switch (api_key) {
    case RG_KAFKA_API_PRODUCE:
      return PRODUCE_FIRST_FLEXIBLE;
    case RG_KAFKA_API_FETCH:
      return FETCH_FIRST_FLEXIBLE;
    case RG_KAFKA_API_LIST_OFFSETS:
      return LIST_OFFSETS_FIRST_FLEXIBLE;
    case RG_KAFKA_API_METADATA:
      return METADATA_FIRST_FLEXIBLE;
    case RG_KAFKA_API_API_VERSIONS:
      return API_VERSIONS_FIRST_FLEXIBLE;
    default:
      return -1;
  }
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
    case RG_KAFKA_FETCH_SESSION_ID_NOT_FOUND:
      return "FETCH_SESSION_ID_NOT_FOUND";
    case RG_KAFKA_INVALID_RECORD:
      return "INVALID_RECORD";
    case RG_KAFKA_UNKNOWN_TOPIC_ID:
      return "UNKNOWN_TOPIC_ID";
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

/* --- Request bodies -----------------------------------------------------
 *
 * One parser per api for all its versions: a field absent from a version
 * is skipped by a version test, and the reader's flexible flag (set from
 * the header) picks classic or compact encodings and the tag sections. The
 * minimum element sizes given to array counts are those of the smallest
 * encoding (compact, or the oldest version), so they hold in every
 * version. */

static void
parse_api_versions (RgKafkaReader * r, gint16 version,
    RgKafkaApiVersionsRequest * b)
{
  b->client_software_name = RG_KAFKA_STR_NULL;
  b->client_software_version = RG_KAFKA_STR_NULL;
  if (version < API_VERSIONS_FIRST_FLEXIBLE)
    return;
  b->client_software_name = rg_kafka_read_str (r, FALSE,
      "client software name");
  b->client_software_version = rg_kafka_read_str (r, FALSE,
      "client software version");
  rg_kafka_read_tags (r);
}

/* Metadata v10+ names a topic by id too (a 16-byte UUID first), and its
 * name becomes nullable: a client may ask by id alone. */
static void
parse_metadata_topic (RgKafkaReader * r, gint16 version,
    RgKafkaMetadataRequest * b, gint32 i)
{
  if (version >= 10)
    b->topic_ids[i] = rg_kafka_reader_take (r, 16, "topic id");
  b->topics[i] = rg_kafka_read_str (r, version >= 10, "topic name");
  rg_kafka_read_tags (r);
}

static void
parse_metadata (RgKafkaReader * r, gint16 version,
    RgKafkaMetadataRequest * b)
{
  gint32 count = rg_kafka_read_array_count (r, version >= 1, 2, "topics");
  gint32 i;

  b->allow_auto_topic_creation = TRUE;
  b->all_topics = count < 0 || (version == 0 && count == 0);
  if (count > 0) {
    b->topics = g_new0 (RgKafkaStr, count);
    b->topic_ids = g_new0 (const guint8 *, count);
    b->n_topics = count;
  }
  for (i = 0; i < count && !r->failed; i++)
    parse_metadata_topic (r, version, b, i);
  if (version >= 4)
    b->allow_auto_topic_creation =
        rg_kafka_read_int8 (r, "allow auto topic creation") != 0;
  if (version >= 8 && version <= 10)
    b->include_cluster_authorized_operations =
        rg_kafka_read_int8 (r, "include cluster authorized operations") != 0;
  if (version >= 8)
    b->include_topic_authorized_operations =
        rg_kafka_read_int8 (r, "include topic authorized operations") != 0;
  rg_kafka_read_tags (r);
}

static void
parse_produce_topic (RgKafkaReader * r, RgKafkaProduceTopic * t)
{
  gint32 count, i;

  t->topic = rg_kafka_read_str (r, FALSE, "topic name");
  /* Smallest partition: int32 index + a compact null record set + tags. */
  count = rg_kafka_read_array_count (r, FALSE, 5, "partitions");
  t->partitions = g_new0 (RgKafkaProducePartition, count);
  t->n_partitions = count;
  for (i = 0; i < count && !r->failed; i++) {
    RgKafkaProducePartition *p = &t->partitions[i];

    p->partition = rg_kafka_read_int32 (r, "partition index");
    p->records = rg_kafka_read_bytes (r, TRUE, &p->records_len,
        &p->records_position, "records");
    rg_kafka_read_tags (r);
  }
  rg_kafka_read_tags (r);
}

static void
parse_produce (RgKafkaReader * r, gint16 version, RgKafkaProduceRequest * b)
{
  gint32 count, i;

  b->transactional_id = version >= 3 ?
      rg_kafka_read_str (r, TRUE, "transactional id") : RG_KAFKA_STR_NULL;
  b->acks = rg_kafka_read_int16 (r, "acks");
  b->timeout_ms = rg_kafka_read_int32 (r, "timeout");
  /* Smallest topic: an empty compact name, an empty array, tags. */
  count = rg_kafka_read_array_count (r, FALSE, 3, "topics");
  b->topics = g_new0 (RgKafkaProduceTopic, count);
  b->n_topics = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_produce_topic (r, &b->topics[i]);
  rg_kafka_read_tags (r);
}

static void
parse_list_offsets_partition (RgKafkaReader * r, gint16 version,
    RgKafkaListOffsetsPartition * p)
{
  p->partition = rg_kafka_read_int32 (r, "partition index");
  p->current_leader_epoch = version >= 4 ?
      rg_kafka_read_int32 (r, "current leader epoch") : -1;
  p->timestamp = rg_kafka_read_int64 (r, "timestamp");
  /* v0 asks for up to this many offsets (the old multi-offset form). */
  p->max_num_offsets = version == 0 ?
      rg_kafka_read_int32 (r, "max num offsets") : 1;
  rg_kafka_read_tags (r);
}

static void
parse_list_offsets_topic (RgKafkaReader * r, gint16 version,
    RgKafkaListOffsetsTopic * t)
{
  gint32 count, i;

  t->topic = rg_kafka_read_str (r, FALSE, "topic name");
  /* Smallest partition: int32 index + int64 timestamp (v1-3). */
  count = rg_kafka_read_array_count (r, FALSE, 12, "partitions");
  t->partitions = g_new0 (RgKafkaListOffsetsPartition, count);
  t->n_partitions = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_list_offsets_partition (r, version, &t->partitions[i]);
  rg_kafka_read_tags (r);
}

static void
parse_list_offsets (RgKafkaReader * r, gint16 version,
    RgKafkaListOffsetsRequest * b)
{
  gint32 count, i;

  b->replica_id = rg_kafka_read_int32 (r, "replica id");
  b->isolation_level = version >= 2 ?
      rg_kafka_read_int8 (r, "isolation level") : 0;
  count = rg_kafka_read_array_count (r, FALSE, 3, "topics");
  b->topics = g_new0 (RgKafkaListOffsetsTopic, count);
  b->n_topics = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_list_offsets_topic (r, version, &b->topics[i]);
  rg_kafka_read_tags (r);
}

static void
parse_fetch_partition (RgKafkaReader * r, gint16 version,
    RgKafkaFetchPartition * p)
{
  p->partition = rg_kafka_read_int32 (r, "partition index");
  p->current_leader_epoch = version >= 9 ?
      rg_kafka_read_int32 (r, "current leader epoch") : -1;
  p->fetch_offset = rg_kafka_read_int64 (r, "fetch offset");
  p->last_fetched_epoch = version >= 12 ?
      rg_kafka_read_int32 (r, "last fetched epoch") : -1;
  p->log_start_offset = version >= 5 ?
      rg_kafka_read_int64 (r, "log start offset") : -1;
  p->partition_max_bytes = rg_kafka_read_int32 (r, "partition max bytes");
  rg_kafka_read_tags (r);
}

static void
parse_fetch_topic (RgKafkaReader * r, gint16 version, RgKafkaFetchTopic * t)
{
  gint32 count, i;

  t->topic = rg_kafka_read_str (r, FALSE, "topic name");
  /* Smallest partition: int32 index + int64 offset + int32 max bytes. */
  count = rg_kafka_read_array_count (r, FALSE, 16, "partitions");
  t->partitions = g_new0 (RgKafkaFetchPartition, count);
  t->n_partitions = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_fetch_partition (r, version, &t->partitions[i]);
  rg_kafka_read_tags (r);
}

/* Forgotten topics (v7+) only matter to fetch sessions, which this codec's
 * users decline: they are checked and counted, not kept. */
static void
parse_fetch_forgotten (RgKafkaReader * r, RgKafkaFetchRequest * b)
{
  gint32 count = rg_kafka_read_array_count (r, FALSE, 2, "forgotten topics");
  gint32 i, j;

  for (i = 0; i < count && !r->failed; i++) {
    gint32 n;

    rg_kafka_read_str (r, FALSE, "forgotten topic name");
    n = rg_kafka_read_array_count (r, FALSE, 4, "forgotten partitions");
    for (j = 0; j < n && !r->failed; j++)
      rg_kafka_read_int32 (r, "forgotten partition");
    b->n_forgotten += n;
    rg_kafka_read_tags (r);
  }
}

static void
parse_fetch (RgKafkaReader * r, gint16 version, RgKafkaFetchRequest * b)
{
  gint32 count, i;

  b->replica_id = rg_kafka_read_int32 (r, "replica id");
  b->max_wait_ms = rg_kafka_read_int32 (r, "max wait");
  b->min_bytes = rg_kafka_read_int32 (r, "min bytes");
  b->max_bytes = version >= 3 ? rg_kafka_read_int32 (r, "max bytes") :
      G_MAXINT32;
  b->isolation_level = version >= 4 ?
      rg_kafka_read_int8 (r, "isolation level") : 0;
  b->session_id = version >= 7 ? rg_kafka_read_int32 (r, "session id") : 0;
  b->session_epoch = version >= 7 ?
      rg_kafka_read_int32 (r, "session epoch") : -1;
  count = rg_kafka_read_array_count (r, FALSE, 3, "topics");
  b->topics = g_new0 (RgKafkaFetchTopic, count);
  b->n_topics = count;
  for (i = 0; i < count && !r->failed; i++)
    parse_fetch_topic (r, version, &b->topics[i]);
  if (version >= 7)
    parse_fetch_forgotten (r, b);
  b->rack_id = version >= 11 ? rg_kafka_read_str (r, FALSE, "rack id") :
      rg_kafka_str_from_cstr ("");
  rg_kafka_read_tags (r);
}

static void
parse_body (RgKafkaReader * r, RgKafkaRequest * request)
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

gboolean
rg_kafka_request_parse_header (const guint8 * frame, gsize len,
    RgKafkaRequestHeader * header, GError ** error)
{
  RgKafkaReader r;

  g_return_val_if_fail (frame != NULL || len == 0, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  /* Only the v1 fields: whether a tag section follows depends on the api
   * and version, which the caller has not checked yet. */
  rg_kafka_reader_init (&r, frame, len, error);
  return rg_kafka_read_request_header (&r, -1, header);
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

static gboolean
check_frame_size (gsize len, GError ** error)
{
  if (len <= RG_KAFKA_MAX_FRAME_SIZE)
    return TRUE;
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TOO_LARGE,
      "Frame of %" G_GSIZE_FORMAT " bytes exceeds the limit of %d bytes",
      len, RG_KAFKA_MAX_FRAME_SIZE);
  return FALSE;
}

/* Reads the header in two steps: the v1 fields say which api and version
 * this is, and only then is it known whether a v2 tag section follows. */
static gboolean
read_header (RgKafkaReader * r, RgKafkaRequestHeader * header,
    RgKafkaRequestHeader * out_header, gint16 first_flexible)
{
  if (!rg_kafka_read_request_header (r, -1, header))
    return FALSE;
  if (out_header != NULL)
    *out_header = *header;
  if (RG_KAFKA_IS_FLEXIBLE (first_flexible, header->api_version)) {
    rg_kafka_read_tags_with (r, NULL, NULL);
    r->flexible = TRUE;
  }
  return !r->failed;
}

static gboolean
finish_body (RgKafkaReader * r, const RgKafkaRequestHeader * header)
{
  gchar what[48];

  /* The request's name is only needed for an error: formatting it for
   * every request showed in the broker's profile. */
  if (r->failed || r->pos == r->len)
    return !r->failed;
  g_snprintf (what, sizeof (what), "%s v%d request",
      rg_kafka_api_name (header->api_key), header->api_version);
  return rg_kafka_reader_finish (r, what);
}

RgKafkaRequest *
rg_kafka_request_parse (const guint8 * frame, gsize len,
    RgKafkaRequestHeader * header, GError ** error)
{
  RgKafkaReader r;
  RgKafkaRequest *request;
  RgKafkaRequestHeader h = { 0, };

  g_return_val_if_fail (frame != NULL || len == 0, NULL);

  if (!check_frame_size (len, error))
    return NULL;

  rg_kafka_reader_init (&r, frame, len, error);
  if (!rg_kafka_read_request_header (&r, -1, &h))
    return NULL;
  if (header != NULL)
    *header = h;
  if (!check_version (&h, error))
    return NULL;

  /* Parse again from the start, now knowing whether header v2 applies. */
  rg_kafka_reader_init (&r, frame, len, error);
  request = g_new0 (RgKafkaRequest, 1);
  read_header (&r, &request->header, NULL,
      rg_kafka_first_flexible_version (h.api_key));
  parse_body (&r, request);
  if (!finish_body (&r, &request->header)) {
    rg_kafka_request_free (request);
    return NULL;
  }
  return request;
}

RgKafkaRequest *
rg_kafka_request_parse_other (const guint8 * frame, gsize len,
    gint16 first_flexible, RgKafkaBodyParseFunc parse,
    GDestroyNotify free_body, RgKafkaRequestHeader * header,
    GError ** error)
{
  RgKafkaReader r;
  RgKafkaRequest *request;

  g_return_val_if_fail (frame != NULL || len == 0, NULL);
  g_return_val_if_fail (parse != NULL, NULL);

  if (!check_frame_size (len, error))
    return NULL;

  rg_kafka_reader_init (&r, frame, len, error);
  request = g_new0 (RgKafkaRequest, 1);
  request->body.other.free_body = free_body;
  if (read_header (&r, &request->header, header, first_flexible))
    request->body.other.body = parse (&r, request->header.api_version);
  if (!finish_body (&r, &request->header)) {
    rg_kafka_request_free (request);
    return NULL;
  }
  return request;
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
      g_free (request->body.metadata.topic_ids);
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
      /* An api parsed by rg_kafka_request_parse_other() (ApiVersions has
       * no arrays and owns nothing). */
      if (find_api (request->header.api_key) == NULL
          && request->body.other.free_body != NULL
          && request->body.other.body != NULL)
        request->body.other.free_body (request->body.other.body);
      break;
  }
  g_free (request);
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

  /* KIP-511: the header stays v0 even when the body is flexible. */
  resp = rg_kafka_response_new (correlation_id, RG_KAFKA_RESPONSE_HEADER_V0,
      flexible);
  rg_kafka_put_int16 (resp, RG_KAFKA_NONE);
  rg_kafka_put_array_count (resp, n_apis);
  for (i = 0; i < n_apis; i++) {
    rg_kafka_put_int16 (resp, apis[i].api_key);
    rg_kafka_put_int16 (resp, apis[i].min_version);
    rg_kafka_put_int16 (resp, apis[i].max_version);
    rg_kafka_put_tags (resp);
  }
  if (api_version >= 1)
    rg_kafka_put_int32 (resp, throttle_ms);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, NULL);
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

  resp = rg_kafka_response_new (correlation_id,
      RG_KAFKA_RESPONSE_HEADER_V0, FALSE);
  rg_kafka_put_int16 (resp, RG_KAFKA_UNSUPPORTED_VERSION);
  rg_kafka_put_array_count (resp, 1);
  rg_kafka_put_int16 (resp, range->api_key);
  rg_kafka_put_int16 (resp, range->min_version);
  rg_kafka_put_int16 (resp, range->max_version);
  return rg_kafka_response_finish (resp, NULL);
}

RgKafkaResponse *
rg_kafka_build_api_versions_error (gint32 correlation_id)
{
  return rg_kafka_build_api_versions_error_for (correlation_id,
      find_api (RG_KAFKA_API_API_VERSIONS));
}

/* Starts the response to @api_version of @api_key: header v1 and compact
 * encodings when the version is flexible, else header v0. */
static RgKafkaResponse *
response_for (gint32 correlation_id, gint16 api_key, gint16 api_version)
{
  return rg_kafka_response_new_for (correlation_id,
      rg_kafka_first_flexible_version (api_key), api_version);
}

/* Kafka's "no id" topic UUID (v10+ Metadata, v13+ Fetch). */
static const guint8 zero_uuid[16] = { 0, };

/* Metadata's "authorized operations were not asked for" (INT32_MIN). */
#define AUTHORIZED_OPERATIONS_OMITTED G_MININT32

/* --- Metadata (3) -------------------------------------------------------
 *
 * [v3+ int32 throttle] ARRAY{int32 node, STRING host, int32 port,
 * [v1+ NULLABLE_STRING rack], TAG} [v2+ NULLABLE_STRING cluster id]
 * [v1+ int32 controller] ARRAY{int16 error, STRING name (nullable v12+),
 * [v10+ UUID topic id], [v1+ int8 internal], ARRAY{int16 error, int32
 * index, int32 leader, [v7+ int32 leader epoch], ARRAY int32 replicas,
 * ARRAY int32 isr, [v5+ ARRAY int32 offline], TAG}, [v8+ int32 topic
 * authorized operations], TAG} [v8-10 int32 cluster authorized
 * operations] TAG.
 *
 * The leader epoch is always 0 (one broker, leadership never moves) and
 * authorized operations are INT32_MIN, Kafka's "not computed". */

static void
put_metadata_partition (RgKafkaResponse * resp, gint16 version,
    const RgKafkaMetadataPartition * p)
{
  rg_kafka_put_int16 (resp, p->error_code);
  rg_kafka_put_int32 (resp, p->partition);
  rg_kafka_put_int32 (resp, p->leader);
  if (version >= 7)
    rg_kafka_put_int32 (resp, 0);
  rg_kafka_put_int32_array (resp, p->replicas, p->n_replicas);
  rg_kafka_put_int32_array (resp, p->isr, p->n_isr);
  if (version >= 5)
    rg_kafka_put_int32_array (resp, NULL, 0);
  rg_kafka_put_tags (resp);
}

static void
put_metadata_topic (RgKafkaResponse * resp, gint16 version,
    const RgKafkaMetadataTopic * t)
{
  guint i;

  rg_kafka_put_int16 (resp, t->error_code);
  rg_kafka_put_str (resp, t->topic, version >= 12, "topic name");
  if (version >= 10)
    rg_kafka_put_raw (resp, zero_uuid, sizeof (zero_uuid));
  if (version >= 1)
    rg_kafka_put_int8 (resp, t->is_internal ? 1 : 0);
  rg_kafka_put_array_count (resp, t->n_partitions);
  for (i = 0; i < t->n_partitions; i++)
    put_metadata_partition (resp, version, &t->partitions[i]);
  if (version >= 8)
    rg_kafka_put_int32 (resp, AUTHORIZED_OPERATIONS_OMITTED);
  rg_kafka_put_tags (resp);
}

static void
put_metadata_broker (RgKafkaResponse * resp, gint16 version,
    const RgKafkaMetadataBroker * b)
{
  rg_kafka_put_int32 (resp, b->node_id);
  rg_kafka_put_str (resp, b->host, FALSE, "broker host");
  rg_kafka_put_int32 (resp, b->port);
  if (version >= 1)
    rg_kafka_put_str (resp, b->rack, TRUE, "broker rack");
  rg_kafka_put_tags (resp);
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

  resp = response_for (correlation_id, RG_KAFKA_API_METADATA, api_version);
  if (api_version >= 3)
    rg_kafka_put_int32 (resp, metadata->throttle_ms);
  rg_kafka_put_array_count (resp, metadata->n_brokers);
  for (i = 0; i < metadata->n_brokers; i++)
    put_metadata_broker (resp, api_version, &metadata->brokers[i]);
  if (api_version >= 2)
    rg_kafka_put_str (resp, metadata->cluster_id, TRUE, "cluster id");
  if (api_version >= 1)
    rg_kafka_put_int32 (resp, metadata->controller_id);
  rg_kafka_put_array_count (resp, metadata->n_topics);
  for (i = 0; i < metadata->n_topics; i++)
    put_metadata_topic (resp, api_version, &metadata->topics[i]);
  if (api_version >= 8 && api_version <= 10)
    rg_kafka_put_int32 (resp, AUTHORIZED_OPERATIONS_OMITTED);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* --- Produce (0) --------------------------------------------------------
 *
 * ARRAY{STRING topic, ARRAY{int32 index, int16 error, int64 base offset,
 * [v2+ int64 log append time], [v5+ int64 log start offset], [v8+
 * ARRAY{int32 batch index, NULLABLE_STRING message, TAG} record errors,
 * NULLABLE_STRING error message], TAG}, TAG} [v1+ int32 throttle] TAG.
 * Record errors are always empty and the error message null: the error
 * code says it all. */

static void
put_produce_partition (RgKafkaResponse * resp, gint16 version,
    const RgKafkaProducePartitionResponse * p)
{
  rg_kafka_put_int32 (resp, p->partition);
  rg_kafka_put_int16 (resp, p->error_code);
  rg_kafka_put_int64 (resp, p->base_offset);
  if (version >= 2)
    rg_kafka_put_int64 (resp, p->log_append_time);
  if (version >= 5)
    rg_kafka_put_int64 (resp, p->log_start_offset);
  if (version >= 8) {
    rg_kafka_put_array_count (resp, 0);
    rg_kafka_put_str (resp, RG_KAFKA_STR_NULL, TRUE, "error message");
  }
  rg_kafka_put_tags (resp);
}

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

  resp = response_for (correlation_id, RG_KAFKA_API_PRODUCE, api_version);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].topic, FALSE, "topic name");
    rg_kafka_put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++)
      put_produce_partition (resp, api_version, &topics[i].partitions[j]);
    rg_kafka_put_tags (resp);
  }
  if (api_version >= 1)
    rg_kafka_put_int32 (resp, throttle_ms);
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* --- ListOffsets (2) ----------------------------------------------------
 *
 * [v2+ int32 throttle] ARRAY{STRING topic, ARRAY{int32 index, int16
 * error, v0: ARRAY int64 old-style offsets | v1+: int64 timestamp, int64
 * offset, [v4+ int32 leader epoch], TAG}, TAG} TAG.
 *
 * v0's old form lists offsets (Kafka: segment base offsets, newest first,
 * up to MaxNumOffsets); here it holds the one offset found, or nothing
 * when there is none. The leader epoch is always 0, as in Metadata. */

static void
put_list_offsets_partition (RgKafkaResponse * resp, gint16 version,
    const RgKafkaListOffsetsPartitionResponse * p)
{
  rg_kafka_put_int32 (resp, p->partition);
  rg_kafka_put_int16 (resp, p->error_code);
  if (version == 0) {
    gboolean found = p->error_code == RG_KAFKA_NONE && p->offset >= 0;

    rg_kafka_put_array_count (resp, found ? 1 : 0);
    if (found)
      rg_kafka_put_int64 (resp, p->offset);
  } else {
    rg_kafka_put_int64 (resp, p->timestamp);
    rg_kafka_put_int64 (resp, p->offset);
    if (version >= 4)
      rg_kafka_put_int32 (resp, p->error_code == RG_KAFKA_NONE ? 0 : -1);
  }
  rg_kafka_put_tags (resp);
}

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

  resp = response_for (correlation_id, RG_KAFKA_API_LIST_OFFSETS,
      api_version);
  if (api_version >= 2)
    rg_kafka_put_int32 (resp, throttle_ms);
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].topic, FALSE, "topic name");
    rg_kafka_put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++)
      put_list_offsets_partition (resp, api_version,
          &topics[i].partitions[j]);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

/* --- Fetch (1) ----------------------------------------------------------
 *
 * [v1+ int32 throttle] [v7+ int16 error, int32 session id]
 * ARRAY{STRING topic, ARRAY{int32 index, int16 error, int64 high
 * watermark, [v4+ int64 last stable offset], [v5+ int64 log start
 * offset], [v4+ nullable ARRAY{int64 producer id, int64 first offset,
 * TAG} aborted], [v11+ int32 preferred read replica], RECORDS, TAG}, TAG}
 * TAG.
 *
 * RECORDS (COMPACT_RECORDS in v12) is a length followed by the batches,
 * which are added as their own segments. The session id is always 0:
 * fetch sessions are declined (KIP-227 allows it), so every request is a
 * full one. The preferred read replica is always -1 (none). */

static void
put_fetch_aborted (RgKafkaResponse * resp,
    const RgKafkaFetchPartitionResponse * p)
{
  gint i;

  rg_kafka_put_array_count (resp, MAX (p->n_aborted_transactions, -1));
  for (i = 0; i < p->n_aborted_transactions; i++) {
    rg_kafka_put_int64 (resp, p->aborted_transactions[i].producer_id);
    rg_kafka_put_int64 (resp, p->aborted_transactions[i].first_offset);
    rg_kafka_put_tags (resp);
  }
}

static void
put_fetch_records (RgKafkaResponse * resp,
    const RgKafkaFetchPartitionResponse * p)
{
  guint64 records_len = 0;
  guint i;

  for (i = 0; i < p->n_records; i++)
    records_len += p->records[i].length;
  if (records_len >= G_MAXINT32)
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_TOO_LARGE,
        "Record set of %" G_GUINT64_FORMAT " bytes for partition %d does "
        "not fit an int32 length", records_len, p->partition);
  if (rg_kafka_response_is_flexible (resp))
    rg_kafka_put_uvarint (resp, (guint32) records_len + 1);
  else
    rg_kafka_put_int32 (resp, (gint32) records_len);
  for (i = 0; i < p->n_records; i++)
    rg_kafka_put_records_ref (resp, &p->records[i]);
}

static void
put_fetch_partition (RgKafkaResponse * resp, gint16 version,
    const RgKafkaFetchPartitionResponse * p)
{
  rg_kafka_put_int32 (resp, p->partition);
  rg_kafka_put_int16 (resp, p->error_code);
  rg_kafka_put_int64 (resp, p->high_watermark);
  if (version >= 4)
    rg_kafka_put_int64 (resp, p->last_stable_offset);
  if (version >= 5)
    rg_kafka_put_int64 (resp, p->log_start_offset);
  if (version >= 4)
    put_fetch_aborted (resp, p);
  if (version >= 11)
    rg_kafka_put_int32 (resp, -1);
  put_fetch_records (resp, p);
  rg_kafka_put_tags (resp);
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

      rg_kafka_response_adopt_refs (resp, p->records, p->n_records);
    }
}

static RgKafkaResponse *
build_fetch (gint32 correlation_id, gint16 api_version, gint32 throttle_ms,
    gint16 error_code, guint n_topics,
    const RgKafkaFetchTopicResponse * topics, GError ** error)
{
  RgKafkaResponse *resp;
  guint i, j;

  resp = response_for (correlation_id, RG_KAFKA_API_FETCH, api_version);
  adopt_record_refs (resp, n_topics, topics);
  if (!rg_kafka_version_supported (RG_KAFKA_API_FETCH, api_version)) {
    rg_kafka_response_fail (resp, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
        "Cannot build a Fetch v%d response", api_version);
    return rg_kafka_response_finish (resp, error);
  }

  if (api_version >= 1)
    rg_kafka_put_int32 (resp, throttle_ms);
  if (api_version >= 7) {
    rg_kafka_put_int16 (resp, error_code);
    rg_kafka_put_int32 (resp, 0);
  }
  rg_kafka_put_array_count (resp, n_topics);
  for (i = 0; i < n_topics; i++) {
    rg_kafka_put_str (resp, topics[i].topic, FALSE, "topic name");
    rg_kafka_put_array_count (resp, topics[i].n_partitions);
    for (j = 0; j < topics[i].n_partitions; j++)
      put_fetch_partition (resp, api_version, &topics[i].partitions[j]);
    rg_kafka_put_tags (resp);
  }
  rg_kafka_put_tags (resp);
  return rg_kafka_response_finish (resp, error);
}

RgKafkaResponse *
rg_kafka_build_fetch_response (gint32 correlation_id, gint16 api_version,
    gint32 throttle_ms, guint n_topics,
    const RgKafkaFetchTopicResponse * topics, GError ** error)
{
  g_return_val_if_fail (topics != NULL || n_topics == 0, NULL);

  return build_fetch (correlation_id, api_version, throttle_ms,
      RG_KAFKA_NONE, n_topics, topics, error);
}

RgKafkaResponse *
rg_kafka_build_fetch_error_response (gint32 correlation_id,
    gint16 api_version, gint16 error_code, GError ** error)
{
  if (api_version < 7) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
        "Fetch v%d has no top-level error code", api_version);
    return NULL;
  }
  return build_fetch (correlation_id, api_version, 0, error_code, 0, NULL,
      error);
}
