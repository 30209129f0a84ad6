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

#ifndef __RG_KAFKA_H__
#define __RG_KAFKA_H__

#include <glib.h>
#include "util/rgapi.h"

G_BEGIN_DECLS

/**
 * SECTION:rgkafka
 * @title: RgKafka
 * @short_description: Kafka wire-protocol codec (no I/O)
 *
 * The subset of the Kafka protocol the embedded broker speaks: request
 * parsing and response building for ApiVersions 0-3, Metadata 0-12,
 * Produce 0-9, ListOffsets 0-7 and Fetch 0-12: every version clients
 * from Kafka 0.10 to the flexible versions of Kafka 3.x send. The
 * wire layouts are described at the top of rgkafka.c and in
 * docs/protocol.md; Kafka's JSON message specs are the authority.
 *
 * Parsing is strict and zero-copy: rg_kafka_request_parse() takes one
 * complete frame (the bytes after the int32 size prefix) and returns a
 * typed #RgKafkaRequest whose strings and record sets are views into the
 * frame. Every length and count is checked against the bytes that remain
 * before anything is read or allocated, so a frame can never make the
 * parser read outside it or allocate more than a small multiple of its own
 * size. Trailing bytes after a request body are an error.
 *
 * Building produces an #RgKafkaResponse: the whole response frame,
 * including its int32 size prefix, as a list of segments. Protocol bytes
 * live in the response; Fetch record sets stay where they are (a file
 * range for sendfile() or caller memory for writev()) and only their
 * length is written, so the broker never copies a batch.
 *
 * Thread-safety: every function is reentrant and touches only its
 * arguments. A request or response must not be used by two threads at
 * once. Nothing here blocks or performs I/O.
 */

/**
 * RG_KAFKA_MAX_FRAME_SIZE:
 *
 * Largest request frame (bytes after the size prefix) the codec accepts:
 * 100 MiB, Kafka's own default for socket.request.max.bytes. The broker
 * usually enforces a smaller, configurable limit.
 */
#define RG_KAFKA_MAX_FRAME_SIZE (100 * 1024 * 1024)

/**
 * RG_KAFKA_MIN_FRAME_SIZE:
 *
 * Smallest possible request frame: a v1 header with a null client id
 * (api key, api version, correlation id, int16 -1).
 */
#define RG_KAFKA_MIN_FRAME_SIZE 10

/**
 * RG_KAFKA_ERROR:
 *
 * Error domain for request parsing and response building. Errors in this
 * domain are from the #RgKafkaError enumeration. Parse messages name the
 * field and its byte position counted from the first byte of the frame
 * (the first byte of the api key).
 */
#define RG_KAFKA_ERROR (rg_kafka_error_quark ())
RG_API
GQuark rg_kafka_error_quark (void);

/**
 * RgKafkaError:
 * @RG_KAFKA_ERROR_TRUNCATED: the frame ends before a field, length or
 *   count says it should.
 * @RG_KAFKA_ERROR_MALFORMED: a field holds an impossible value (negative
 *   length, null where the spec forbids it, over-long varint, a count
 *   larger than the remaining bytes could hold, bytes left over).
 * @RG_KAFKA_ERROR_UNSUPPORTED_API: the api key is not one this codec
 *   implements. Kafka closes the connection in this case.
 * @RG_KAFKA_ERROR_UNSUPPORTED_VERSION: the api key is known but the version
 *   is outside the versions the codec implements. For ApiVersions answer
 *   with rg_kafka_build_api_versions_error(); otherwise close the
 *   connection.
 * @RG_KAFKA_ERROR_TOO_LARGE: a frame larger than the limit, or a response
 *   whose size would not fit the int32 size prefix.
 *
 * Why a frame could not be parsed or a response built.
 */
typedef enum
{
  RG_KAFKA_ERROR_TRUNCATED,
  RG_KAFKA_ERROR_MALFORMED,
  RG_KAFKA_ERROR_UNSUPPORTED_API,
  RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
  RG_KAFKA_ERROR_TOO_LARGE,
} RgKafkaError;

/**
 * RgKafkaApiKey:
 * @RG_KAFKA_API_PRODUCE: Produce (0)
 * @RG_KAFKA_API_FETCH: Fetch (1)
 * @RG_KAFKA_API_LIST_OFFSETS: ListOffsets (2)
 * @RG_KAFKA_API_METADATA: Metadata (3)
 * @RG_KAFKA_API_API_VERSIONS: ApiVersions (18)
 *
 * The api keys of phase 1, with Kafka's numbers.
 */
typedef enum
{
  RG_KAFKA_API_PRODUCE = 0,
  RG_KAFKA_API_FETCH = 1,
  RG_KAFKA_API_LIST_OFFSETS = 2,
  RG_KAFKA_API_METADATA = 3,
  RG_KAFKA_API_API_VERSIONS = 18,
} RgKafkaApiKey;

/**
 * RgKafkaErrorCode:
 * @RG_KAFKA_UNKNOWN_SERVER_ERROR: -1, an unexpected server error
 * @RG_KAFKA_NONE: 0, success
 * @RG_KAFKA_OFFSET_OUT_OF_RANGE: 1, fetch offset outside [log start, high
 *   watermark]
 * @RG_KAFKA_CORRUPT_MESSAGE: 2, a produced batch failed its CRC or parse
 * @RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION: 3, no such topic or partition
 * @RG_KAFKA_INVALID_FETCH_SIZE: 4, a negative partition max bytes
 * @RG_KAFKA_LEADER_NOT_AVAILABLE: 5, the topic exists but is not ready
 * @RG_KAFKA_NOT_LEADER_OR_FOLLOWER: 6, this broker does not serve it
 * @RG_KAFKA_REQUEST_TIMED_OUT: 7, the request could not complete in time
 * @RG_KAFKA_MESSAGE_TOO_LARGE: 10, a record set over the size limit
 * @RG_KAFKA_INVALID_TOPIC_EXCEPTION: 17, an illegal topic name
 * @RG_KAFKA_RECORD_LIST_TOO_LARGE: 18, a produce request over the limit
 * @RG_KAFKA_INVALID_REQUIRED_ACKS: 21, acks not in {-1, 0, 1}
 * @RG_KAFKA_TOPIC_AUTHORIZATION_FAILED: 29, the topic refuses the
 *   operation (a pipeline-owned topic refuses Produce)
 * @RG_KAFKA_UNSUPPORTED_VERSION: 35, api version outside the advertised
 *   range
 * @RG_KAFKA_INVALID_REQUEST: 42, a request that parses but makes no sense
 * @RG_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT: 43, old message format or a
 *   feature the log cannot store
 * @RG_KAFKA_POLICY_VIOLATION: 44, refused by the broker's policy
 * @RG_KAFKA_KAFKA_STORAGE_ERROR: 56, the log could not be written or read
 * @RG_KAFKA_FETCH_SESSION_ID_NOT_FOUND: 70, an incremental fetch of a
 *   session the broker does not have (it creates none)
 * @RG_KAFKA_INVALID_RECORD: 87, a record failed validation
 * @RG_KAFKA_UNKNOWN_TOPIC_ID: 100, a topic asked for by id only (topic
 *   ids are not supported)
 *
 * The Kafka error codes gst-rg sends, with Kafka's numbers (the full list
 * is in Kafka's Errors.java). rg_kafka_error_code_name() gives the names.
 */
typedef enum
{
  RG_KAFKA_UNKNOWN_SERVER_ERROR = -1,
  RG_KAFKA_NONE = 0,
  RG_KAFKA_OFFSET_OUT_OF_RANGE = 1,
  RG_KAFKA_CORRUPT_MESSAGE = 2,
  RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION = 3,
  RG_KAFKA_INVALID_FETCH_SIZE = 4,
  RG_KAFKA_LEADER_NOT_AVAILABLE = 5,
  RG_KAFKA_NOT_LEADER_OR_FOLLOWER = 6,
  RG_KAFKA_REQUEST_TIMED_OUT = 7,
  RG_KAFKA_MESSAGE_TOO_LARGE = 10,
  RG_KAFKA_INVALID_TOPIC_EXCEPTION = 17,
  RG_KAFKA_RECORD_LIST_TOO_LARGE = 18,
  RG_KAFKA_INVALID_REQUIRED_ACKS = 21,
  RG_KAFKA_TOPIC_AUTHORIZATION_FAILED = 29,
  RG_KAFKA_UNSUPPORTED_VERSION = 35,
  RG_KAFKA_INVALID_REQUEST = 42,
  RG_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
  RG_KAFKA_POLICY_VIOLATION = 44,
  RG_KAFKA_KAFKA_STORAGE_ERROR = 56,
  RG_KAFKA_FETCH_SESSION_ID_NOT_FOUND = 70,
  RG_KAFKA_INVALID_RECORD = 87,
  RG_KAFKA_UNKNOWN_TOPIC_ID = 100,
} RgKafkaErrorCode;

/**
 * rg_kafka_error_code_name:
 * @code: a Kafka error code
 *
 * Returns: (transfer none): Kafka's name for @code (for example
 *   "OFFSET_OUT_OF_RANGE"), or "UNKNOWN_ERROR_CODE" for a code not in
 *   #RgKafkaErrorCode.
 */
RG_API
const gchar *rg_kafka_error_code_name (gint16 code);

/**
 * rg_kafka_api_name:
 * @api_key: an api key
 *
 * Returns: (transfer none): Kafka's name for the api ("Fetch"), or
 *   "Unknown" for a key not in #RgKafkaApiKey.
 */
RG_API
const gchar *rg_kafka_api_name (gint16 api_key);

/**
 * RgKafkaApiVersionRange:
 * @api_key: the api key
 * @min_version: lowest supported version
 * @max_version: highest supported version
 *
 * One entry of the ApiVersions table.
 */
typedef struct
{
  gint16 api_key;
  gint16 min_version;
  gint16 max_version;
} RgKafkaApiVersionRange;

/**
 * rg_kafka_supported_apis:
 * @n_apis: (out): number of entries
 *
 * The versions this codec parses and builds, in ascending api key order:
 * Produce 0-9, Fetch 0-12, ListOffsets 0-7, Metadata 0-12, ApiVersions
 * 0-3. rg_kafka_request_parse() refuses any other.
 * What a broker advertises is its own table, which must lie within this
 * one (the embedded broker's is in gst/broker/rgbrokerdispatch.c; it
 * passes it to rg_kafka_build_api_versions_response_for()).
 *
 * Returns: (transfer none) (array length=n_apis): a static table.
 */
RG_API
const RgKafkaApiVersionRange *rg_kafka_supported_apis (guint * n_apis);

/**
 * rg_kafka_version_supported:
 * @api_key: an api key
 * @api_version: a version
 *
 * Returns: %TRUE if the codec parses and builds @api_version of @api_key.
 */
RG_API
gboolean rg_kafka_version_supported (gint16 api_key, gint16 api_version);

/**
 * rg_kafka_first_flexible_version:
 * @api_key: an api key
 *
 * Kafka's first flexible version of @api_key (compact encodings, tagged
 * fields, request header v2), as far as this codec implements it.
 *
 * Returns: the version, or -1 when no version the codec implements is
 *   flexible (or the api is unknown).
 */
RG_API
gint16 rg_kafka_first_flexible_version (gint16 api_key);

/**
 * RgKafkaStr:
 * @data: (array length=len) (nullable): the bytes, not NUL-terminated when
 *   parsed; %NULL for a null string
 * @len: bytes in @data, or -1 for a null string
 *
 * A string view. Parsed strings point into the request frame and live as
 * long as it does. Builders take strings in this form too, so a topic name
 * from a request can be echoed without a copy; use RG_KAFKA_STR() or
 * rg_kafka_str_from_cstr() for C strings.
 */
typedef struct
{
  const gchar *data;
  gint32 len;
} RgKafkaStr;

/**
 * RG_KAFKA_STR_NULL:
 *
 * The null string (length -1 on the wire).
 */
#define RG_KAFKA_STR_NULL ((RgKafkaStr) { NULL, -1 })

/**
 * rg_kafka_str_from_cstr:
 * @cstr: (nullable): a NUL-terminated string, or %NULL
 *
 * Returns: a view of @cstr (not copied), the null string for %NULL.
 */
RG_API
RgKafkaStr rg_kafka_str_from_cstr (const gchar * cstr);

/**
 * rg_kafka_str_equal:
 * @str: a string view
 * @cstr: (nullable): a NUL-terminated string
 *
 * Returns: %TRUE if both are null, or both hold the same bytes.
 */
RG_API
gboolean rg_kafka_str_equal (RgKafkaStr str, const gchar * cstr);

/**
 * rg_kafka_str_dup:
 * @str: a string view
 *
 * Returns: (transfer full) (nullable): a NUL-terminated copy, %NULL for
 *   the null string. Free with g_free().
 */
RG_API
gchar *rg_kafka_str_dup (RgKafkaStr str);

/**
 * rg_kafka_frame_length:
 * @prefix: (array fixed-size=4): the four bytes of a frame's size prefix
 * @max_frame_size: largest frame the caller accepts, at most
 *   %RG_KAFKA_MAX_FRAME_SIZE
 * @length: (out): bytes in the frame that follows
 * @error: return location for a #GError, or %NULL
 *
 * Decodes and checks a request's size prefix, so the caller can refuse an
 * oversized frame before buffering it.
 *
 * Errors: %RG_KAFKA_ERROR_TOO_LARGE above @max_frame_size;
 * %RG_KAFKA_ERROR_MALFORMED for a negative size or one smaller than
 * %RG_KAFKA_MIN_FRAME_SIZE.
 *
 * Returns: %TRUE if @length is a frame size worth reading.
 */
RG_API
gboolean rg_kafka_frame_length (const guint8 * prefix, guint32 max_frame_size,
    gsize * length, GError ** error);

/**
 * RgKafkaRequestHeader:
 * @api_key: the api key
 * @api_version: the api version
 * @correlation_id: echoed in the response
 * @client_id: the client id (may be null)
 *
 * Request header v1 (v2 for flexible requests adds a tag buffer, which the
 * parser skips). @client_id points into the frame.
 */
typedef struct
{
  gint16 api_key;
  gint16 api_version;
  gint32 correlation_id;
  RgKafkaStr client_id;
} RgKafkaRequestHeader;

/**
 * RgKafkaApiVersionsRequest:
 * @client_software_name: v3+, else null
 * @client_software_version: v3+, else null
 *
 * ApiVersions (18) v0-3. v0-2 have an empty body.
 */
typedef struct
{
  RgKafkaStr client_software_name;
  RgKafkaStr client_software_version;
} RgKafkaApiVersionsRequest;

/**
 * RgKafkaMetadataRequest:
 * @all_topics: %TRUE when the client asks for every topic: a null array
 *   (v1+) or an empty one (v0)
 * @n_topics: number of @topics (0 when @all_topics)
 * @topics: (array length=n_topics): the topic names
 * @allow_auto_topic_creation: v4 field; %TRUE for v0-3 (the spec default)
 * @topic_ids: (array length=n_topics): v10+: each topic's 16-byte UUID,
 *   pointing into the frame (all zero when asked by name); %NULL below v10
 *   for each entry. In v10+ a name in @topics may be null (asked by id).
 * @include_cluster_authorized_operations: v8-10 field, else %FALSE
 * @include_topic_authorized_operations: v8+ field, else %FALSE
 *
 * Metadata (3) v0-12.
 */
typedef struct
{
  gboolean all_topics;
  guint n_topics;
  RgKafkaStr *topics;
  gboolean allow_auto_topic_creation;
  const guint8 **topic_ids;
  gboolean include_cluster_authorized_operations;
  gboolean include_topic_authorized_operations;
} RgKafkaMetadataRequest;

/**
 * RgKafkaProducePartition:
 * @partition: partition index
 * @records: (array length=records_len) (nullable): the record set (one or
 *   more RecordBatch v2), pointing into the frame; %NULL when null
 * @records_len: bytes in @records, -1 when null
 * @records_position: byte position of @records in the frame, so a broker
 *   that keeps the frame can reference the batch instead of copying it
 *
 * One partition of a Produce request. The batch bytes are not validated
 * here; that is rgbatch's job.
 */
typedef struct
{
  gint32 partition;
  const guint8 *records;
  gint32 records_len;
  gsize records_position;
} RgKafkaProducePartition;

/**
 * RgKafkaProduceTopic:
 * @topic: topic name
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  RgKafkaStr topic;
  guint n_partitions;
  RgKafkaProducePartition *partitions;
} RgKafkaProduceTopic;

/**
 * RgKafkaProduceRequest:
 * @transactional_id: null unless transactional
 * @acks: 0 (no response at all), 1 or -1 (all in-sync replicas)
 * @timeout_ms: how long the broker may wait for acks
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): the topics
 *
 * Produce (0) v0-9. v0-2 have no transactional id (null here) and carry
 * MessageSet v0/v1 record sets; v3+ carry RecordBatch v2.
 */
typedef struct
{
  RgKafkaStr transactional_id;
  gint16 acks;
  gint32 timeout_ms;
  guint n_topics;
  RgKafkaProduceTopic *topics;
} RgKafkaProduceRequest;

/**
 * RgKafkaListOffsetsPartition:
 * @partition: partition index
 * @timestamp: -1 latest, -2 earliest, -3 (v7+) the record with the
 *   largest timestamp, else the first offset whose timestamp is at or
 *   after it (ms since the epoch)
 * @current_leader_epoch: v4+ field, else -1
 * @max_num_offsets: v0 field (how many offsets the old form may return),
 *   1 for v1+
 */
typedef struct
{
  gint32 partition;
  gint64 timestamp;
  gint32 current_leader_epoch;
  gint32 max_num_offsets;
} RgKafkaListOffsetsPartition;

/**
 * RgKafkaListOffsetsTopic:
 * @topic: topic name
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  RgKafkaStr topic;
  guint n_partitions;
  RgKafkaListOffsetsPartition *partitions;
} RgKafkaListOffsetsTopic;

/**
 * RgKafkaListOffsetsRequest:
 * @replica_id: -1 for a consumer
 * @isolation_level: v2+ field (0 read uncommitted, 1 read committed); 0
 *   for v0-1
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): the topics
 *
 * ListOffsets (2) v0-7.
 */
typedef struct
{
  gint32 replica_id;
  gint8 isolation_level;
  guint n_topics;
  RgKafkaListOffsetsTopic *topics;
} RgKafkaListOffsetsRequest;

/**
 * RgKafkaFetchPartition:
 * @partition: partition index
 * @fetch_offset: first offset wanted
 * @partition_max_bytes: soft limit for this partition's record set
 * @current_leader_epoch: v9+ field, else -1
 * @last_fetched_epoch: v12+ field, else -1
 * @log_start_offset: v5+ field (followers only), else -1
 */
typedef struct
{
  gint32 partition;
  gint64 fetch_offset;
  gint32 partition_max_bytes;
  gint32 current_leader_epoch;
  gint32 last_fetched_epoch;
  gint64 log_start_offset;
} RgKafkaFetchPartition;

/**
 * RgKafkaFetchTopic:
 * @topic: topic name
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  RgKafkaStr topic;
  guint n_partitions;
  RgKafkaFetchPartition *partitions;
} RgKafkaFetchTopic;

/**
 * RgKafkaFetchRequest:
 * @replica_id: -1 for a consumer
 * @max_wait_ms: long-poll limit when fewer than @min_bytes are available
 * @min_bytes: bytes to wait for
 * @max_bytes: soft limit for the whole response
 * @isolation_level: 0 read uncommitted, 1 read committed (v4+, else 0)
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): the topics
 * @session_id: v7+ fetch session id, else 0
 * @session_epoch: v7+ fetch session epoch, else -1 (no session)
 * @n_forgotten: v7+: partitions listed as forgotten (only meaningful in
 *   an incremental fetch session)
 * @rack_id: v11+ the consumer's rack, else ""
 *
 * Fetch (1) v0-12. @max_bytes is G_MAXINT32 below v3 (no limit).
 */
typedef struct
{
  gint32 replica_id;
  gint32 max_wait_ms;
  gint32 min_bytes;
  gint32 max_bytes;
  gint8 isolation_level;
  guint n_topics;
  RgKafkaFetchTopic *topics;
  gint32 session_id;
  gint32 session_epoch;
  guint n_forgotten;
  RgKafkaStr rack_id;
} RgKafkaFetchRequest;

/**
 * RgKafkaOtherRequest:
 * @body: (nullable): the body parsed by the api's own parser
 * @free_body: (nullable): frees @body
 *
 * The body of a request of an api whose parser lives outside rgkafka.c
 * (a private codec module of gst-rg): what that parser returned.
 */
typedef struct
{
  gpointer body;
  GDestroyNotify free_body;
} RgKafkaOtherRequest;

/**
 * RgKafkaRequest:
 * @header: the request header
 * @api_versions: body when @header.api_key is %RG_KAFKA_API_API_VERSIONS
 * @metadata: body for %RG_KAFKA_API_METADATA
 * @produce: body for %RG_KAFKA_API_PRODUCE
 * @list_offsets: body for %RG_KAFKA_API_LIST_OFFSETS
 * @fetch: body for %RG_KAFKA_API_FETCH
 * @other: body for any other api, parsed by its own module
 *
 * A parsed request. Read the body member that matches the api key. All
 * strings and record sets point into the frame, which must outlive the
 * request; arrays belong to the request.
 */
typedef struct
{
  RgKafkaRequestHeader header;
  union
  {
    RgKafkaApiVersionsRequest api_versions;
    RgKafkaMetadataRequest metadata;
    RgKafkaProduceRequest produce;
    RgKafkaListOffsetsRequest list_offsets;
    RgKafkaFetchRequest fetch;
    RgKafkaOtherRequest other;
  } body;
} RgKafkaRequest;

/**
 * rg_kafka_request_parse_header:
 * @frame: (array length=len): one complete frame (after the size prefix)
 * @len: bytes in @frame
 * @header: (out caller-allocates): the header
 * @error: return location for a #GError, or %NULL
 *
 * Reads only the header v1 fields. This succeeds for any api key and
 * version, so the broker can learn the correlation id of a request it will
 * refuse.
 *
 * Errors: %RG_KAFKA_ERROR_TRUNCATED, %RG_KAFKA_ERROR_MALFORMED.
 *
 * Returns: %TRUE if @header was filled.
 */
RG_API
gboolean rg_kafka_request_parse_header (const guint8 * frame, gsize len,
    RgKafkaRequestHeader * header, GError ** error);

/**
 * rg_kafka_request_parse:
 * @frame: (array length=len): one complete frame (after the size prefix)
 * @len: bytes in @frame, at most %RG_KAFKA_MAX_FRAME_SIZE
 * @header: (out caller-allocates) (optional): filled whenever the header
 *   itself could be read, even if the function then fails, so that the
 *   caller can answer %RG_KAFKA_ERROR_UNSUPPORTED_VERSION with the right
 *   correlation id (not for %RG_KAFKA_ERROR_TOO_LARGE: such a frame is
 *   refused unread)
 * @error: return location for a #GError, or %NULL
 *
 * Parses one request frame. The frame is only read, never modified, and
 * must stay valid and unchanged while the request is used.
 *
 * Errors: %RG_KAFKA_ERROR_TRUNCATED, %RG_KAFKA_ERROR_MALFORMED,
 * %RG_KAFKA_ERROR_UNSUPPORTED_API, %RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
 * %RG_KAFKA_ERROR_TOO_LARGE (@len above %RG_KAFKA_MAX_FRAME_SIZE).
 *
 * Returns: (transfer full) (nullable): the request, or %NULL on error.
 *   Free with rg_kafka_request_free().
 */
RG_API
RgKafkaRequest *rg_kafka_request_parse (const guint8 * frame, gsize len,
    RgKafkaRequestHeader * header, GError ** error);

/**
 * rg_kafka_request_free:
 * @request: (transfer full) (nullable): a request
 *
 * Frees @request's arrays and itself (not the frame).
 */
RG_API
void rg_kafka_request_free (RgKafkaRequest * request);

/**
 * RgKafkaSegmentType:
 * @RG_KAFKA_SEGMENT_BYTES: protocol bytes owned by the response
 * @RG_KAFKA_SEGMENT_MEMORY: caller memory referenced by the response
 * @RG_KAFKA_SEGMENT_FILE: a range of a file descriptor (for sendfile())
 *
 * Where a segment's bytes are.
 */
typedef enum
{
  RG_KAFKA_SEGMENT_BYTES,
  RG_KAFKA_SEGMENT_MEMORY,
  RG_KAFKA_SEGMENT_FILE,
} RgKafkaSegmentType;

/**
 * RgKafkaSegment:
 * @type: where the bytes are
 * @data: (array length=length): for BYTES and MEMORY, the bytes
 * @fd: for FILE, the file descriptor
 * @offset: for FILE, the position of the first byte in @fd
 * @length: bytes in this segment
 *
 * One piece of a response frame. The frame is the concatenation of the
 * segments in order.
 */
typedef struct
{
  RgKafkaSegmentType type;
  const guint8 *data;
  gint fd;
  gint64 offset;
  gsize length;
} RgKafkaSegment;

/**
 * RgKafkaRecordsRef:
 * @type: %RG_KAFKA_SEGMENT_MEMORY or %RG_KAFKA_SEGMENT_FILE
 * @data: (array length=length): for MEMORY, the bytes
 * @fd: for FILE, a file descriptor
 * @offset: for FILE, position of the first byte
 * @length: bytes referenced
 * @notify: (nullable): called with @user_data when the response is freed
 *   (to unref a buffer or a journal segment), or %NULL
 * @user_data: passed to @notify
 *
 * A piece of a Fetch record set that the response references instead of
 * copying: whole batches, already in wire form. The bytes (or the file
 * range) must stay valid and unchanged until the response is freed.
 */
typedef struct
{
  RgKafkaSegmentType type;
  const guint8 *data;
  gint fd;
  gint64 offset;
  gsize length;
  GDestroyNotify notify;
  gpointer user_data;
} RgKafkaRecordsRef;

/**
 * RgKafkaResponse:
 *
 * An opaque response frame, ready to send.
 */
typedef struct _RgKafkaResponse RgKafkaResponse;

/**
 * rg_kafka_response_get_segments:
 * @response: a response
 * @n_segments: (out): number of segments
 *
 * Returns: (transfer none) (array length=n_segments): the frame's segments,
 *   starting with the int32 size prefix; owned by @response. BYTES
 *   segments are never empty; consecutive protocol bytes share a segment.
 */
RG_API
const RgKafkaSegment *rg_kafka_response_get_segments (RgKafkaResponse *
    response, guint * n_segments);

/**
 * rg_kafka_response_get_size:
 * @response: a response
 *
 * Returns: bytes in the whole frame, size prefix included (4 + the value
 *   of the prefix).
 */
RG_API
gsize rg_kafka_response_get_size (const RgKafkaResponse * response);

/**
 * rg_kafka_response_flatten:
 * @response: a response without FILE segments
 *
 * Copies the frame into one array, for tests and small responses.
 *
 * Returns: (transfer full) (nullable): the frame bytes, or %NULL if the
 *   response references a file.
 */
RG_API
GByteArray *rg_kafka_response_flatten (RgKafkaResponse * response);

/**
 * rg_kafka_response_free:
 * @response: (transfer full) (nullable): a response
 *
 * Frees @response and calls the notify of every record reference it holds.
 */
RG_API
void rg_kafka_response_free (RgKafkaResponse * response);

/**
 * rg_kafka_build_api_versions_response:
 * @correlation_id: from the request
 * @api_version: 0-3
 * @throttle_ms: throttle time (v1+)
 *
 * The ApiVersions response listing rg_kafka_supported_apis(). The response
 * header is v0 for every version (KIP-511), even the flexible v3.
 *
 * Returns: (transfer full): the response.
 */
RG_API
RgKafkaResponse *rg_kafka_build_api_versions_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms);

/**
 * rg_kafka_build_api_versions_response_for:
 * @correlation_id: from the request
 * @api_version: 0-3
 * @throttle_ms: throttle time (v1+)
 * @apis: (array length=n_apis): the table to advertise, each entry within
 *   rg_kafka_supported_apis()
 * @n_apis: entries in @apis
 *
 * As rg_kafka_build_api_versions_response(), listing @apis: a broker's
 * own table.
 *
 * Returns: (transfer full): the response.
 */
RG_API
RgKafkaResponse *rg_kafka_build_api_versions_response_for (gint32
    correlation_id, gint16 api_version, gint32 throttle_ms,
    const RgKafkaApiVersionRange * apis, guint n_apis);

/**
 * rg_kafka_build_api_versions_error:
 * @correlation_id: from the request
 *
 * The answer to an ApiVersions request of an unsupported version: a
 * v0-shaped body with error 35 (UNSUPPORTED_VERSION) and the ApiVersions
 * entry of the table, so the client retries with a version it finds there.
 *
 * Returns: (transfer full): the response.
 */
RG_API
RgKafkaResponse *rg_kafka_build_api_versions_error (gint32 correlation_id);

/**
 * rg_kafka_build_api_versions_error_for:
 * @correlation_id: from the request
 * @range: the ApiVersions entry of the broker's table
 *
 * As rg_kafka_build_api_versions_error(), with @range as the entry.
 *
 * Returns: (transfer full): the response.
 */
RG_API
RgKafkaResponse *rg_kafka_build_api_versions_error_for (gint32
    correlation_id, const RgKafkaApiVersionRange * range);

/**
 * RgKafkaMetadataBroker:
 * @node_id: broker id
 * @host: the host clients should dial (the advertised host)
 * @port: the port
 * @rack: (v1+) rack, usually null
 */
typedef struct
{
  gint32 node_id;
  RgKafkaStr host;
  gint32 port;
  RgKafkaStr rack;
} RgKafkaMetadataBroker;

/**
 * RgKafkaMetadataPartition:
 * @error_code: partition error
 * @partition: partition index
 * @leader: leader broker id
 * @n_replicas: number of @replicas
 * @replicas: (array length=n_replicas): replica broker ids
 * @n_isr: number of @isr
 * @isr: (array length=n_isr): in-sync replica broker ids
 */
typedef struct
{
  gint16 error_code;
  gint32 partition;
  gint32 leader;
  guint n_replicas;
  const gint32 *replicas;
  guint n_isr;
  const gint32 *isr;
} RgKafkaMetadataPartition;

/**
 * RgKafkaMetadataTopic:
 * @error_code: topic error (3 for a requested topic that does not exist)
 * @topic: topic name
 * @is_internal: (v1+) internal topic flag
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  gint16 error_code;
  RgKafkaStr topic;
  gboolean is_internal;
  guint n_partitions;
  const RgKafkaMetadataPartition *partitions;
} RgKafkaMetadataTopic;

/**
 * RgKafkaMetadataResponse:
 * @throttle_ms: (v3+) throttle time
 * @n_brokers: number of @brokers
 * @brokers: (array length=n_brokers): the brokers
 * @cluster_id: (v2+) cluster id, may be null
 * @controller_id: (v1+) controller broker id
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): the topics
 *
 * What a Metadata response says; fields absent from a version are skipped.
 */
typedef struct
{
  gint32 throttle_ms;
  guint n_brokers;
  const RgKafkaMetadataBroker *brokers;
  RgKafkaStr cluster_id;
  gint32 controller_id;
  guint n_topics;
  const RgKafkaMetadataTopic *topics;
} RgKafkaMetadataResponse;

/**
 * rg_kafka_build_metadata_response:
 * @correlation_id: from the request
 * @api_version: 0-12
 * @metadata: the content
 * @error: return location for a #GError, or %NULL
 *
 * Errors: %RG_KAFKA_ERROR_MALFORMED for a string that cannot be encoded
 * (longer than 32767 bytes, or null where the version forbids it),
 * %RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a version outside 0-12.
 *
 * Returns: (transfer full) (nullable): the response, or %NULL on error.
 */
RG_API
RgKafkaResponse *rg_kafka_build_metadata_response (gint32 correlation_id,
    gint16 api_version, const RgKafkaMetadataResponse * metadata,
    GError ** error);

/**
 * RgKafkaProducePartitionResponse:
 * @partition: partition index
 * @error_code: partition error
 * @base_offset: offset given to the first record, -1 on error
 * @log_append_time: -1 for CreateTime topics
 * @log_start_offset: (v5+) first offset still in the log
 */
typedef struct
{
  gint32 partition;
  gint16 error_code;
  gint64 base_offset;
  gint64 log_append_time;
  gint64 log_start_offset;
} RgKafkaProducePartitionResponse;

/**
 * RgKafkaProduceTopicResponse:
 * @topic: topic name
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  RgKafkaStr topic;
  guint n_partitions;
  const RgKafkaProducePartitionResponse *partitions;
} RgKafkaProduceTopicResponse;

/**
 * rg_kafka_build_produce_response:
 * @correlation_id: from the request
 * @api_version: 0-9
 * @throttle_ms: throttle time (v1+)
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): per-topic results
 * @error: return location for a #GError, or %NULL
 *
 * A request with acks = 0 gets no response at all: do not build one.
 *
 * Errors: as rg_kafka_build_metadata_response().
 *
 * Returns: (transfer full) (nullable): the response, or %NULL on error.
 */
RG_API
RgKafkaResponse *rg_kafka_build_produce_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms, guint n_topics,
    const RgKafkaProduceTopicResponse * topics, GError ** error);

/**
 * RgKafkaListOffsetsPartitionResponse:
 * @partition: partition index
 * @error_code: partition error
 * @timestamp: timestamp of the record found, -1 for latest/earliest
 * @offset: the offset, -1 when none
 */
typedef struct
{
  gint32 partition;
  gint16 error_code;
  gint64 timestamp;
  gint64 offset;
} RgKafkaListOffsetsPartitionResponse;

/**
 * RgKafkaListOffsetsTopicResponse:
 * @topic: topic name
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  RgKafkaStr topic;
  guint n_partitions;
  const RgKafkaListOffsetsPartitionResponse *partitions;
} RgKafkaListOffsetsTopicResponse;

/**
 * rg_kafka_build_list_offsets_response:
 * @correlation_id: from the request
 * @api_version: 0-7 (v0 lists @offset as its one old-style offset, or
 *   none when it is negative or the partition has an error)
 * @throttle_ms: (v2+) throttle time
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): per-topic results
 * @error: return location for a #GError, or %NULL
 *
 * Errors: as rg_kafka_build_metadata_response().
 *
 * Returns: (transfer full) (nullable): the response, or %NULL on error.
 */
RG_API
RgKafkaResponse *rg_kafka_build_list_offsets_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms, guint n_topics,
    const RgKafkaListOffsetsTopicResponse * topics, GError ** error);

/**
 * RgKafkaAbortedTransaction:
 * @producer_id: producer of the aborted transaction
 * @first_offset: its first offset
 */
typedef struct
{
  gint64 producer_id;
  gint64 first_offset;
} RgKafkaAbortedTransaction;

/**
 * RgKafkaFetchPartitionResponse:
 * @partition: partition index
 * @error_code: partition error
 * @high_watermark: offset after the last readable record
 * @last_stable_offset: set it to @high_watermark (librdkafka reads
 *   committed by default and stops at the LSO)
 * @n_aborted_transactions: number of @aborted_transactions, or -1 to send
 *   a null array
 * @aborted_transactions: (array length=n_aborted_transactions) (nullable):
 *   aborted transactions
 * @n_records: number of @records
 * @records: (array length=n_records) (nullable): the record set, by
 *   reference: whole batches back to back; may be empty
 * @log_start_offset: (v5+) first offset still in the log
 *
 * One partition of a Fetch response.
 */
typedef struct
{
  gint32 partition;
  gint16 error_code;
  gint64 high_watermark;
  gint64 last_stable_offset;
  gint n_aborted_transactions;
  const RgKafkaAbortedTransaction *aborted_transactions;
  guint n_records;
  const RgKafkaRecordsRef *records;
  gint64 log_start_offset;
} RgKafkaFetchPartitionResponse;

/**
 * RgKafkaFetchTopicResponse:
 * @topic: topic name
 * @n_partitions: number of @partitions
 * @partitions: (array length=n_partitions): the partitions
 */
typedef struct
{
  RgKafkaStr topic;
  guint n_partitions;
  const RgKafkaFetchPartitionResponse *partitions;
} RgKafkaFetchTopicResponse;

/**
 * rg_kafka_build_fetch_response:
 * @correlation_id: from the request
 * @api_version: 0-12 (record sets are written as given: a caller serving
 *   v0-3 passes MessageSet v0/v1, see rgkafkalegacy.h)
 * @throttle_ms: (v1+) throttle time
 * @n_topics: number of @topics
 * @topics: (array length=n_topics): per-topic results
 * @error: return location for a #GError, or %NULL
 *
 * Builds a Fetch response whose record sets stay where they are: the
 * response holds the protocol bytes and one MEMORY or FILE segment per
 * record reference, and the size prefix and RECORDS lengths count them.
 *
 * Ownership: the response takes over every reference's @notify, whether
 * it is built or not; on error each notify has been called when this
 * returns.
 *
 * Errors: as rg_kafka_build_metadata_response(), plus
 * %RG_KAFKA_ERROR_TOO_LARGE when a record set or the frame would exceed
 * int32 sizes.
 *
 * Returns: (transfer full) (nullable): the response, or %NULL on error.
 */
RG_API
RgKafkaResponse *rg_kafka_build_fetch_response (gint32 correlation_id,
    gint16 api_version, gint32 throttle_ms, guint n_topics,
    const RgKafkaFetchTopicResponse * topics, GError ** error);

/**
 * rg_kafka_build_fetch_error_response:
 * @correlation_id: from the request
 * @api_version: 7-12 (the versions with a top-level error code)
 * @error_code: the error, e.g. 70 FETCH_SESSION_ID_NOT_FOUND for an
 *   incremental fetch of a session the broker does not know
 * @error: return location for a #GError, or %NULL
 *
 * A Fetch response with a top-level error and no topics.
 *
 * Errors: %RG_KAFKA_ERROR_UNSUPPORTED_VERSION below v7 or above 12.
 *
 * Returns: (transfer full) (nullable): the response, or %NULL on error.
 */
RG_API
RgKafkaResponse *rg_kafka_build_fetch_error_response (gint32 correlation_id,
    gint16 api_version, gint16 error_code, GError ** error);

G_END_DECLS

#endif /* __RG_KAFKA_H__ */
