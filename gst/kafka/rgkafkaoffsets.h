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

#ifndef __RG_KAFKA_OFFSETS_H__
#define __RG_KAFKA_OFFSETS_H__

#include <glib.h>
#include "kafka/rgkafka.h"

G_BEGIN_DECLS

/*
 * The record schemas of Kafka's internal topic __consumer_offsets: the key
 * and value of each record the group coordinator writes there (no I/O).
 * The byte layouts are described at the top of rgkafkaoffsets.c and in
 * docs/clients.md; Kafka's JSON specs (OffsetCommitKey, OffsetCommitValue,
 * GroupMetadataKey, GroupMetadataValue) are the authority.
 *
 * A key says what a record is about: key versions 0 and 1 name a committed
 * offset (group, topic, partition), key version 2 names a group's metadata.
 * The value is the committed offset (OffsetCommitValue 0-3) or the group's
 * generation and members (GroupMetadataValue 0-3); a null value (a
 * tombstone) deletes what the key names. The last record for a key wins.
 *
 * This header is private to libgstrg (no RG_API): the broker's group
 * coordinator and its tests use it.
 *
 * Ownership: decoders are zero-copy. Strings and byte fields of a decoded
 * key or value point into the caller's buffer and live as long as it does;
 * only the member array of a decoded group metadata value is allocated
 * (free it with rg_kafka_group_metadata_value_clear()). Encoders append to
 * a caller's #GByteArray and never keep a pointer to their input.
 *
 * Errors: decoders report %RG_KAFKA_ERROR_TRUNCATED when the buffer ends
 * inside a field, %RG_KAFKA_ERROR_MALFORMED for a negative length where
 * none is allowed or bytes left over after the last field, and
 * %RG_KAFKA_ERROR_UNSUPPORTED_VERSION for a version outside the ranges
 * above. Encoders report %RG_KAFKA_ERROR_UNSUPPORTED_VERSION and
 * %RG_KAFKA_ERROR_MALFORMED (a null string where the schema has none, a
 * string longer than 32767 bytes). On error nothing is appended.
 *
 * Thread-safety: every function is reentrant and touches only its
 * arguments.
 */

/**
 * RG_KAFKA_OFFSETS_TOPIC:
 *
 * The name of Kafka's internal topic for committed offsets.
 */
#define RG_KAFKA_OFFSETS_TOPIC "__consumer_offsets"

/**
 * RgKafkaBytes:
 * @data: (array length=len) (nullable): the bytes
 * @len: bytes in @data, or -1 for null
 *
 * A byte-field view (BYTES on the wire: int32 length and the bytes).
 */
typedef struct
{
  const guint8 *data;
  gint32 len;
} RgKafkaBytes;

/**
 * RgKafkaOffsetsKey:
 * @version: 0 or 1 for an offset commit (the layouts are equal; Kafka
 *   writes 1), 2 for group metadata
 * @group: the group id
 * @topic: the topic (versions 0-1 only)
 * @partition: the partition (versions 0-1 only)
 *
 * The key of a __consumer_offsets record.
 */
typedef struct
{
  gint16 version;
  RgKafkaStr group;
  RgKafkaStr topic;
  gint32 partition;
} RgKafkaOffsetsKey;

/**
 * RgKafkaOffsetCommitValue:
 * @version: 0-3 (Kafka writes 3; 1 only when an expiry was asked for)
 * @offset: the committed offset
 * @leader_epoch: the leader epoch of the committed offset (version 3;
 *   -1 unknown)
 * @metadata: the client's metadata string (never null on disk)
 * @commit_timestamp: when the commit happened, ms since the epoch
 * @expire_timestamp: when it expires (version 1 only; -1 otherwise)
 *
 * The value of an offset-commit record.
 */
typedef struct
{
  gint16 version;
  gint64 offset;
  gint32 leader_epoch;
  RgKafkaStr metadata;
  gint64 commit_timestamp;
  gint64 expire_timestamp;
} RgKafkaOffsetCommitValue;

/**
 * RgKafkaGroupMemberMetadata:
 * @member_id: the member id
 * @group_instance_id: the static member's instance id (version 3; null
 *   for a dynamic member)
 * @client_id: the member's client id
 * @client_host: the member's address as the broker saw it
 * @rebalance_timeout: ms (version 1+; -1 when decoded from version 0)
 * @session_timeout: ms
 * @subscription: the member's metadata for the chosen protocol
 * @assignment: what the leader assigned to it
 *
 * One member of a group metadata value.
 */
typedef struct
{
  RgKafkaStr member_id;
  RgKafkaStr group_instance_id;
  RgKafkaStr client_id;
  RgKafkaStr client_host;
  gint32 rebalance_timeout;
  gint32 session_timeout;
  RgKafkaBytes subscription;
  RgKafkaBytes assignment;
} RgKafkaGroupMemberMetadata;

/**
 * RgKafkaGroupMetadataValue:
 * @version: 0-3 (Kafka writes 3)
 * @protocol_type: "consumer" for Kafka consumers; "" for a group that
 *   only commits offsets
 * @generation: the generation id
 * @protocol: the chosen protocol (assignor) name, null when Empty
 * @leader: the leader's member id, null when Empty
 * @current_state_timestamp: ms since the epoch of the last state change
 *   (version 2+; -1 otherwise)
 * @members: (array length=n_members): the members
 * @n_members: number of @members
 *
 * The value of a group-metadata record.
 */
typedef struct
{
  gint16 version;
  RgKafkaStr protocol_type;
  gint32 generation;
  RgKafkaStr protocol;
  RgKafkaStr leader;
  gint64 current_state_timestamp;
  RgKafkaGroupMemberMetadata *members;
  guint n_members;
} RgKafkaGroupMetadataValue;

/* rg_kafka_offsets_key_encode: appends @key to @out. Errors: unsupported
 * version, a null or over-long string. */
gboolean rg_kafka_offsets_key_encode (const RgKafkaOffsetsKey * key,
    GByteArray * out, GError ** error);

/* rg_kafka_offsets_key_decode: decodes the whole of @data into @key
 * (strings point into @data). Errors: truncated, malformed, unsupported
 * version (a newer Kafka's key). */
gboolean rg_kafka_offsets_key_decode (const guint8 * data, gsize len,
    RgKafkaOffsetsKey * key, GError ** error);

/* rg_kafka_offset_commit_value_encode: appends @value in @value->version's
 * layout. Fields the version lacks are left out. */
gboolean rg_kafka_offset_commit_value_encode (const RgKafkaOffsetCommitValue *
    value, GByteArray * out, GError ** error);

/* rg_kafka_offset_commit_value_decode: decodes the whole of @data; fields
 * the version lacks are set to -1. */
gboolean rg_kafka_offset_commit_value_decode (const guint8 * data, gsize len,
    RgKafkaOffsetCommitValue * value, GError ** error);

/* rg_kafka_group_metadata_value_encode: appends @value in @value->version's
 * layout. */
gboolean rg_kafka_group_metadata_value_encode (const RgKafkaGroupMetadataValue
    * value, GByteArray * out, GError ** error);

/* rg_kafka_group_metadata_value_decode: decodes the whole of @data; the
 * member array is allocated (rg_kafka_group_metadata_value_clear() frees
 * it), everything else points into @data. On error @value holds nothing
 * to free. */
gboolean rg_kafka_group_metadata_value_decode (const guint8 * data, gsize len,
    RgKafkaGroupMetadataValue * value, GError ** error);

/* rg_kafka_group_metadata_value_clear: frees a decoded value's member
 * array and zeroes @value. */
void rg_kafka_group_metadata_value_clear (RgKafkaGroupMetadataValue * value);

G_END_DECLS

#endif /* __RG_KAFKA_OFFSETS_H__ */
