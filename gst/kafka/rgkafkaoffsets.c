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

/*
 * The __consumer_offsets record schemas.
 *
 * Every key and every value starts with an int16 schema version; the rest
 * is big-endian, STRING = int16 length + bytes (-1 = null where nullable),
 * BYTES = int32 length + bytes, ARRAY = int32 count + elements. None of
 * these versions is flexible (no compact types, no tag buffers).
 *
 *   key v0, v1 (offset commit)   int16 version, STRING group,
 *                                STRING topic, int32 partition
 *   key v2 (group metadata)      int16 version, STRING group
 *
 *   OffsetCommitValue v0         int16 version, int64 offset,
 *                                STRING metadata, int64 commitTimestamp
 *   OffsetCommitValue v1         v0 + int64 expireTimestamp
 *   OffsetCommitValue v2         as v0
 *   OffsetCommitValue v3         int16 version, int64 offset,
 *                                int32 leaderEpoch, STRING metadata,
 *                                int64 commitTimestamp
 *
 *   GroupMetadataValue           int16 version, STRING protocolType,
 *                                int32 generation,
 *                                NULLABLE_STRING protocol,
 *                                NULLABLE_STRING leader,
 *                                [v2+ int64 currentStateTimestamp],
 *                                ARRAY members
 *   member                       STRING memberId,
 *                                [v3 NULLABLE_STRING groupInstanceId],
 *                                STRING clientId, STRING clientHost,
 *                                [v1+ int32 rebalanceTimeout],
 *                                int32 sessionTimeout,
 *                                BYTES subscription, BYTES assignment
 *
 * A record with a null value is a tombstone: the committed offset or the
 * group it names is gone. A reader replays records in log order and the
 * last one for a key wins.
 */

#include "kafka/rgkafkaoffsets.h"

#include <string.h>

/* ---------------------------------------------------------------------- */
/* Reading */

typedef struct
{
  const guint8 *p;
  gsize left;
} Reader;

static gboolean
truncated (GError ** error, const gchar * what)
{
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_TRUNCATED,
      "__consumer_offsets record ends inside its %s field", what);
  return FALSE;
}

static gboolean
read_n (Reader * r, gsize n, const guint8 ** out, const gchar * what,
    GError ** error)
{
  if (r->left < n)
    return truncated (error, what);
  *out = r->p;
  r->p += n;
  r->left -= n;
  return TRUE;
}

static gboolean
read_i16 (Reader * r, gint16 * v, const gchar * what, GError ** error)
{
  const guint8 *b;

  if (!read_n (r, 2, &b, what, error))
    return FALSE;
  *v = (gint16) (((guint16) b[0] << 8) | b[1]);
  return TRUE;
}

static gboolean
read_i32 (Reader * r, gint32 * v, const gchar * what, GError ** error)
{
  const guint8 *b;

  if (!read_n (r, 4, &b, what, error))
    return FALSE;
  *v = (gint32) (((guint32) b[0] << 24) | ((guint32) b[1] << 16) |
      ((guint32) b[2] << 8) | b[3]);
  return TRUE;
}

static gboolean
read_i64 (Reader * r, gint64 * v, const gchar * what, GError ** error)
{
  gint32 hi, lo;

  if (r->left < 8)
    return truncated (error, what);
  read_i32 (r, &hi, what, error);
  read_i32 (r, &lo, what, error);
  *v = (gint64) (((guint64) (guint32) hi << 32) | (guint32) lo);
  return TRUE;
}

static gboolean
read_string (Reader * r, gboolean nullable, RgKafkaStr * s,
    const gchar * what, GError ** error)
{
  gint16 len;
  const guint8 *b;

  if (!read_i16 (r, &len, what, error))
    return FALSE;
  if (len == -1 && nullable) {
    *s = RG_KAFKA_STR_NULL;
    return TRUE;
  }
  if (len < 0) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "__consumer_offsets record has a %s of length %d", what, len);
    return FALSE;
  }
  if (!read_n (r, (gsize) len, &b, what, error))
    return FALSE;
  s->data = (const gchar *) b;
  s->len = len;
  return TRUE;
}

static gboolean
read_bytes (Reader * r, RgKafkaBytes * v, const gchar * what,
    GError ** error)
{
  gint32 len;

  if (!read_i32 (r, &len, what, error))
    return FALSE;
  if (len < 0) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "__consumer_offsets record has a %s of length %d", what, len);
    return FALSE;
  }
  v->len = len;
  return read_n (r, (gsize) len, &v->data, what, error);
}

static gboolean
read_version (Reader * r, gint16 min, gint16 max, gint16 * version,
    const gchar * schema, GError ** error)
{
  if (!read_i16 (r, version, "version", error))
    return FALSE;
  if (*version < min || *version > max) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
        "%s version %d is not one of %d-%d", schema, *version, min, max);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_end (Reader * r, const gchar * schema, GError ** error)
{
  if (r->left == 0)
    return TRUE;
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
      "%" G_GSIZE_FORMAT " bytes left over after a %s", r->left, schema);
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* Writing: every encoder checks its input first, then appends, so that a
 * failed encode leaves the output as it was. */

static void
put_i16 (GByteArray * out, gint16 v)
{
  guint8 b[2] = { (guint8) ((guint16) v >> 8), (guint8) v };

  g_byte_array_append (out, b, 2);
}

static void
put_i32 (GByteArray * out, gint32 v)
{
  guint32 u = (guint32) v;
  guint8 b[4] = { u >> 24, u >> 16, u >> 8, u };

  g_byte_array_append (out, b, 4);
}

static void
put_i64 (GByteArray * out, gint64 v)
{
  put_i32 (out, (gint32) ((guint64) v >> 32));
  put_i32 (out, (gint32) (guint32) v);
}

static void
put_string (GByteArray * out, RgKafkaStr s)
{
  if (s.data == NULL || s.len < 0) {
    put_i16 (out, -1);
    return;
  }
  put_i16 (out, (gint16) s.len);
  g_byte_array_append (out, (const guint8 *) s.data, s.len);
}

static void
put_bytes (GByteArray * out, RgKafkaBytes v)
{
  gint32 len = v.data == NULL || v.len < 0 ? 0 : v.len;

  put_i32 (out, len);
  if (len > 0)
    g_byte_array_append (out, v.data, len);
}

static gboolean
string_ok (RgKafkaStr s, gboolean nullable, const gchar * what,
    GError ** error)
{
  gboolean is_null = s.data == NULL || s.len < 0;

  if (is_null && !nullable) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "the %s of a __consumer_offsets record cannot be null", what);
    return FALSE;
  }
  if (!is_null && s.len > G_MAXINT16) {
    g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_MALFORMED,
        "the %s of a __consumer_offsets record is %d bytes, more than "
        "a STRING holds (32767)", what, s.len);
    return FALSE;
  }
  return TRUE;
}

static gboolean
version_ok (gint16 version, gint16 min, gint16 max, const gchar * schema,
    GError ** error)
{
  if (version >= min && version <= max)
    return TRUE;
  g_set_error (error, RG_KAFKA_ERROR, RG_KAFKA_ERROR_UNSUPPORTED_VERSION,
      "%s version %d is not one of %d-%d", schema, version, min, max);
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* Keys */

gboolean
rg_kafka_offsets_key_encode (const RgKafkaOffsetsKey * key, GByteArray * out,
    GError ** error)
{
  gboolean commit = key->version <= 1;

  if (!version_ok (key->version, 0, 2, "__consumer_offsets key", error) ||
      !string_ok (key->group, FALSE, "group", error) ||
      (commit && !string_ok (key->topic, FALSE, "topic", error)))
    return FALSE;
  put_i16 (out, key->version);
  put_string (out, key->group);
  if (commit) {
    put_string (out, key->topic);
    put_i32 (out, key->partition);
  }
  return TRUE;
}

gboolean
rg_kafka_offsets_key_decode (const guint8 * data, gsize len,
    RgKafkaOffsetsKey * key, GError ** error)
{
  Reader r = { data, len };

  memset (key, 0, sizeof (*key));
  key->topic = RG_KAFKA_STR_NULL;
  key->partition = -1;
  if (!read_version (&r, 0, 2, &key->version, "__consumer_offsets key",
          error) || !read_string (&r, FALSE, &key->group, "group", error))
    return FALSE;
  if (key->version <= 1 &&
      (!read_string (&r, FALSE, &key->topic, "topic", error) ||
          !read_i32 (&r, &key->partition, "partition", error)))
    return FALSE;
  return read_end (&r, "__consumer_offsets key", error);
}

/* ---------------------------------------------------------------------- */
/* OffsetCommitValue */

gboolean
rg_kafka_offset_commit_value_encode (const RgKafkaOffsetCommitValue * value,
    GByteArray * out, GError ** error)
{
  if (!version_ok (value->version, 0, 3, "OffsetCommitValue", error) ||
      !string_ok (value->metadata, FALSE, "metadata", error))
    return FALSE;
  put_i16 (out, value->version);
  put_i64 (out, value->offset);
  if (value->version >= 3)
    put_i32 (out, value->leader_epoch);
  put_string (out, value->metadata);
  put_i64 (out, value->commit_timestamp);
  if (value->version == 1)
    put_i64 (out, value->expire_timestamp);
  return TRUE;
}

gboolean
rg_kafka_offset_commit_value_decode (const guint8 * data, gsize len,
    RgKafkaOffsetCommitValue * value, GError ** error)
{
  Reader r = { data, len };

  memset (value, 0, sizeof (*value));
  value->leader_epoch = -1;
  value->expire_timestamp = -1;
  if (!read_version (&r, 0, 3, &value->version, "OffsetCommitValue", error)
      || !read_i64 (&r, &value->offset, "offset", error))
    return FALSE;
  if (value->version >= 3 &&
      !read_i32 (&r, &value->leader_epoch, "leaderEpoch", error))
    return FALSE;
  if (!read_string (&r, FALSE, &value->metadata, "metadata", error) ||
      !read_i64 (&r, &value->commit_timestamp, "commitTimestamp", error))
    return FALSE;
  if (value->version == 1 &&
      !read_i64 (&r, &value->expire_timestamp, "expireTimestamp", error))
    return FALSE;
  return read_end (&r, "OffsetCommitValue", error);
}

/* ---------------------------------------------------------------------- */
/* GroupMetadataValue */

static gboolean
member_ok (const RgKafkaGroupMemberMetadata * m, GError ** error)
{
  return string_ok (m->member_id, FALSE, "memberId", error) &&
      string_ok (m->group_instance_id, TRUE, "groupInstanceId", error) &&
      string_ok (m->client_id, FALSE, "clientId", error) &&
      string_ok (m->client_host, FALSE, "clientHost", error);
}

static void
put_member (GByteArray * out, gint16 version,
    const RgKafkaGroupMemberMetadata * m)
{
  put_string (out, m->member_id);
  if (version >= 3)
    put_string (out, m->group_instance_id);
  put_string (out, m->client_id);
  put_string (out, m->client_host);
  if (version >= 1)
    put_i32 (out, m->rebalance_timeout);
  put_i32 (out, m->session_timeout);
  put_bytes (out, m->subscription);
  put_bytes (out, m->assignment);
}

gboolean
rg_kafka_group_metadata_value_encode (const RgKafkaGroupMetadataValue * value,
    GByteArray * out, GError ** error)
{
  guint i;

  if (!version_ok (value->version, 0, 3, "GroupMetadataValue", error) ||
      !string_ok (value->protocol_type, FALSE, "protocolType", error) ||
      !string_ok (value->protocol, TRUE, "protocol", error) ||
      !string_ok (value->leader, TRUE, "leader", error))
    return FALSE;
  for (i = 0; i < value->n_members; i++)
    if (!member_ok (&value->members[i], error))
      return FALSE;

  put_i16 (out, value->version);
  put_string (out, value->protocol_type);
  put_i32 (out, value->generation);
  put_string (out, value->protocol);
  put_string (out, value->leader);
  if (value->version >= 2)
    put_i64 (out, value->current_state_timestamp);
  put_i32 (out, (gint32) value->n_members);
  for (i = 0; i < value->n_members; i++)
    put_member (out, value->version, &value->members[i]);
  return TRUE;
}

static gboolean
read_member (Reader * r, gint16 version, RgKafkaGroupMemberMetadata * m,
    GError ** error)
{
  m->group_instance_id = RG_KAFKA_STR_NULL;
  m->rebalance_timeout = -1;
  if (!read_string (r, FALSE, &m->member_id, "memberId", error))
    return FALSE;
  if (version >= 3 && !read_string (r, TRUE, &m->group_instance_id,
          "groupInstanceId", error))
    return FALSE;
  if (!read_string (r, FALSE, &m->client_id, "clientId", error) ||
      !read_string (r, FALSE, &m->client_host, "clientHost", error))
    return FALSE;
  if (version >= 1 && !read_i32 (r, &m->rebalance_timeout,
          "rebalanceTimeout", error))
    return FALSE;
  return read_i32 (r, &m->session_timeout, "sessionTimeout", error) &&
      read_bytes (r, &m->subscription, "subscription", error) &&
      read_bytes (r, &m->assignment, "assignment", error);
}

/* The smallest member on the wire (empty strings and byte fields) takes 20
 * bytes; a count larger than the bytes left could hold is refused before
 * anything is allocated. */
#define MIN_MEMBER_SIZE 20

static gboolean
read_members (Reader * r, RgKafkaGroupMetadataValue * value, GError ** error)
{
  gint32 count;
  guint i;

  if (!read_i32 (r, &count, "members", error))
    return FALSE;
  if (count < 0 || (gsize) count > r->left / MIN_MEMBER_SIZE) {
    g_set_error (error, RG_KAFKA_ERROR, count < 0 ?
        RG_KAFKA_ERROR_MALFORMED : RG_KAFKA_ERROR_TRUNCATED,
        "GroupMetadataValue claims %d members in %" G_GSIZE_FORMAT
        " bytes", count, r->left);
    return FALSE;
  }
  value->members = g_new0 (RgKafkaGroupMemberMetadata, MAX (count, 1));
  value->n_members = count;
  for (i = 0; i < value->n_members; i++)
    if (!read_member (r, value->version, &value->members[i], error))
      return FALSE;
  return TRUE;
}

gboolean
rg_kafka_group_metadata_value_decode (const guint8 * data, gsize len,
    RgKafkaGroupMetadataValue * value, GError ** error)
{
  Reader r = { data, len };

  memset (value, 0, sizeof (*value));
  value->current_state_timestamp = -1;
  if (!read_version (&r, 0, 3, &value->version, "GroupMetadataValue", error)
      || !read_string (&r, FALSE, &value->protocol_type, "protocolType",
          error)
      || !read_i32 (&r, &value->generation, "generation", error)
      || !read_string (&r, TRUE, &value->protocol, "protocol", error)
      || !read_string (&r, TRUE, &value->leader, "leader", error))
    goto failed;
  if (value->version >= 2 && !read_i64 (&r, &value->current_state_timestamp,
          "currentStateTimestamp", error))
    goto failed;
  if (!read_members (&r, value, error) ||
      !read_end (&r, "GroupMetadataValue", error))
    goto failed;
  return TRUE;

failed:
  rg_kafka_group_metadata_value_clear (value);
  return FALSE;
}

void
rg_kafka_group_metadata_value_clear (RgKafkaGroupMetadataValue * value)
{
  g_free (value->members);
  memset (value, 0, sizeof (*value));
}
