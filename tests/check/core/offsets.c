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

/* Tests of the __consumer_offsets record schemas
 * (gst/kafka/rgkafkaoffsets.c).
 *
 * The golden bytes below were written by hand, field by field, from
 * Kafka's JSON specs (OffsetCommitKey, GroupMetadataKey, OffsetCommitValue,
 * GroupMetadataValue); each line is one field. offsets_compat.py checks the
 * same encodings against a separate encoder written in Python from the same
 * specs, and decodes them with its own decoder. Every truncation and
 * trailing byte must be refused; run under AddressSanitizer to see that no
 * decode reads outside its buffer. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "kafka/rgkafkaoffsets.h"

/* 1700000000123 ms: 0x0000018BCFE5687B. */
#define COMMIT_TS G_GINT64_CONSTANT (1700000000123)
#define COMMIT_TS_BYTES 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b
/* 1700086400123 ms (a day later): 0x0000018BD50BC47B. */
#define EXPIRE_TS G_GINT64_CONSTANT (1700086400123)
#define EXPIRE_TS_BYTES 0x00, 0x00, 0x01, 0x8b, 0xd5, 0x0b, 0xc4, 0x7b

static void
assert_bytes (GByteArray * out, const guint8 * want, gsize want_len)
{
  if (out->len != want_len || memcmp (out->data, want, want_len) != 0) {
    GString *s = g_string_new (NULL);
    guint i;

    for (i = 0; i < out->len; i++)
      g_string_append_printf (s, "%02x ", out->data[i]);
    fail ("encoding differs (%u bytes, want %" G_GSIZE_FORMAT "): %s",
        out->len, want_len, s->str);
  }
}

static const guint8 key_v1[] = {
  0x00, 0x01,                   /* version 1 */
  0x00, 0x06, 'v', 'i', 'e', 'w', 'e', 'r',     /* group */
  0x00, 0x05, 'v', 'i', 'd', 'e', 'o',  /* topic */
  0x00, 0x00, 0x00, 0x03,       /* partition 3 */
};

static const guint8 key_v2[] = {
  0x00, 0x02,                   /* version 2 */
  0x00, 0x06, 'v', 'i', 'e', 'w', 'e', 'r',     /* group */
};

GST_START_TEST (test_key_golden)
{
  RgKafkaOffsetsKey key = { 1, RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL, 3 };
  GByteArray *out = g_byte_array_new ();
  GError *err = NULL;

  key.group = rg_kafka_str_from_cstr ("viewer");
  key.topic = rg_kafka_str_from_cstr ("video");
  fail_unless (rg_kafka_offsets_key_encode (&key, out, &err));
  assert_bytes (out, key_v1, sizeof (key_v1));

  g_byte_array_set_size (out, 0);
  key.version = 2;
  fail_unless (rg_kafka_offsets_key_encode (&key, out, &err));
  assert_bytes (out, key_v2, sizeof (key_v2));

  memset (&key, 0x55, sizeof (key));
  fail_unless (rg_kafka_offsets_key_decode (key_v1, sizeof (key_v1), &key,
          &err));
  fail_unless_equals_int (key.version, 1);
  fail_unless (rg_kafka_str_equal (key.group, "viewer"));
  fail_unless (rg_kafka_str_equal (key.topic, "video"));
  fail_unless_equals_int (key.partition, 3);
  /* Zero-copy: the strings point into the record. */
  fail_unless (key.topic.data == (const gchar *) key_v1 + 12);

  fail_unless (rg_kafka_offsets_key_decode (key_v2, sizeof (key_v2), &key,
          &err));
  fail_unless_equals_int (key.version, 2);
  fail_unless (rg_kafka_str_equal (key.group, "viewer"));
  fail_unless (key.topic.data == NULL);
  fail_unless_equals_int (key.partition, -1);
  g_byte_array_unref (out);
}

GST_END_TEST;

/* One commit, offset 1234 with leader epoch 7 and metadata "m", in each of
 * the four value versions. */
static const guint8 value_v0[] = {
  0x00, 0x00,                   /* version 0 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2,       /* offset 1234 */
  0x00, 0x01, 'm',              /* metadata */
  COMMIT_TS_BYTES,              /* commitTimestamp */
};

static const guint8 value_v1[] = {
  0x00, 0x01,                   /* version 1 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2,       /* offset */
  0x00, 0x01, 'm',              /* metadata */
  COMMIT_TS_BYTES,              /* commitTimestamp */
  EXPIRE_TS_BYTES,              /* expireTimestamp */
};

static const guint8 value_v2[] = {
  0x00, 0x02,                   /* version 2 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2,       /* offset */
  0x00, 0x01, 'm',              /* metadata */
  COMMIT_TS_BYTES,              /* commitTimestamp */
};

static const guint8 value_v3[] = {
  0x00, 0x03,                   /* version 3 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2,       /* offset */
  0x00, 0x00, 0x00, 0x07,       /* leaderEpoch 7 */
  0x00, 0x01, 'm',              /* metadata */
  COMMIT_TS_BYTES,              /* commitTimestamp */
};

static const struct
{
  const guint8 *bytes;
  gsize len;
} commit_values[] = {
  {value_v0, sizeof (value_v0)},
  {value_v1, sizeof (value_v1)},
  {value_v2, sizeof (value_v2)},
  {value_v3, sizeof (value_v3)},
};

GST_START_TEST (test_commit_value_golden)
{
  GByteArray *out = g_byte_array_new ();
  GError *err = NULL;
  gint16 v;

  for (v = 0; v <= 3; v++) {
    RgKafkaOffsetCommitValue value = { v, 1234, 7, RG_KAFKA_STR_NULL,
      COMMIT_TS, EXPIRE_TS
    };
    RgKafkaOffsetCommitValue back;

    value.metadata = rg_kafka_str_from_cstr ("m");
    g_byte_array_set_size (out, 0);
    fail_unless (rg_kafka_offset_commit_value_encode (&value, out, &err));
    assert_bytes (out, commit_values[v].bytes, commit_values[v].len);

    fail_unless (rg_kafka_offset_commit_value_decode (commit_values[v].bytes,
            commit_values[v].len, &back, &err));
    fail_unless_equals_int (back.version, v);
    fail_unless_equals_int64 (back.offset, 1234);
    fail_unless_equals_int (back.leader_epoch, v == 3 ? 7 : -1);
    fail_unless (rg_kafka_str_equal (back.metadata, "m"));
    fail_unless_equals_int64 (back.commit_timestamp, COMMIT_TS);
    fail_unless_equals_int64 (back.expire_timestamp, v == 1 ? EXPIRE_TS : -1);
  }
  g_byte_array_unref (out);
}

GST_END_TEST;

/* A Stable group of one member: "consumer" protocol type, generation 5,
 * assignor "range", leader and member "m-1", client "c", host "/h",
 * rebalance timeout 300000 (0x000493e0), session timeout 45000
 * (0x0000afc8), subscription {1,2}, assignment {3}. Version 3 adds the
 * instance id "i". */
#define GM_HEAD \
  0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',   /* protocolType */ \
  0x00, 0x00, 0x00, 0x05,                               /* generation */ \
  0x00, 0x05, 'r', 'a', 'n', 'g', 'e',                  /* protocol */ \
  0x00, 0x03, 'm', '-', '1'     /* leader */
#define GM_STATE_TS \
  COMMIT_TS_BYTES               /* currentStateTimestamp */
#define GM_ONE_MEMBER \
  0x00, 0x00, 0x00, 0x01        /* members: 1 */
#define GM_MEMBER_ID \
  0x00, 0x03, 'm', '-', '1'     /* memberId */
#define GM_CLIENT \
  0x00, 0x01, 'c',                                      /* clientId */ \
  0x00, 0x02, '/', 'h'          /* clientHost */
#define GM_REBALANCE 0x00, 0x04, 0x93, 0xe0     /* rebalanceTimeout */
#define GM_TAIL \
  0x00, 0x00, 0xaf, 0xc8,                               /* sessionTimeout */ \
  0x00, 0x00, 0x00, 0x02, 0x01, 0x02,                   /* subscription */ \
  0x00, 0x00, 0x00, 0x01, 0x03  /* assignment */

static const guint8 group_v0[] = {
  0x00, 0x00, GM_HEAD, GM_ONE_MEMBER, GM_MEMBER_ID, GM_CLIENT, GM_TAIL
};

static const guint8 group_v1[] = {
  0x00, 0x01, GM_HEAD, GM_ONE_MEMBER, GM_MEMBER_ID, GM_CLIENT, GM_REBALANCE,
  GM_TAIL
};

static const guint8 group_v2[] = {
  0x00, 0x02, GM_HEAD, GM_STATE_TS, GM_ONE_MEMBER, GM_MEMBER_ID, GM_CLIENT,
  GM_REBALANCE, GM_TAIL
};

static const guint8 group_v3[] = {
  0x00, 0x03, GM_HEAD, GM_STATE_TS, GM_ONE_MEMBER, GM_MEMBER_ID,
  0x00, 0x01, 'i',              /* groupInstanceId */
  GM_CLIENT, GM_REBALANCE, GM_TAIL
};

/* An Empty group after its last member left: no protocol, no leader. */
static const guint8 group_empty_v3[] = {
  0x00, 0x03,                   /* version 3 */
  0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',   /* protocolType */
  0x00, 0x00, 0x00, 0x06,       /* generation 6 */
  0xff, 0xff,                   /* protocol: null */
  0xff, 0xff,                   /* leader: null */
  COMMIT_TS_BYTES,              /* currentStateTimestamp */
  0x00, 0x00, 0x00, 0x00,       /* members: 0 */
};

static const struct
{
  const guint8 *bytes;
  gsize len;
} group_values[] = {
  {group_v0, sizeof (group_v0)},
  {group_v1, sizeof (group_v1)},
  {group_v2, sizeof (group_v2)},
  {group_v3, sizeof (group_v3)},
};

static const guint8 subscription[] = { 1, 2 };
static const guint8 assignment[] = { 3 };

static void
fill_group (RgKafkaGroupMetadataValue * value,
    RgKafkaGroupMemberMetadata * member, gint16 version)
{
  memset (member, 0, sizeof (*member));
  member->member_id = rg_kafka_str_from_cstr ("m-1");
  member->group_instance_id = rg_kafka_str_from_cstr ("i");
  member->client_id = rg_kafka_str_from_cstr ("c");
  member->client_host = rg_kafka_str_from_cstr ("/h");
  member->rebalance_timeout = 300000;
  member->session_timeout = 45000;
  member->subscription = (RgKafkaBytes) {
  subscription, 2};
  member->assignment = (RgKafkaBytes) {
  assignment, 1};

  memset (value, 0, sizeof (*value));
  value->version = version;
  value->protocol_type = rg_kafka_str_from_cstr ("consumer");
  value->generation = 5;
  value->protocol = rg_kafka_str_from_cstr ("range");
  value->leader = rg_kafka_str_from_cstr ("m-1");
  value->current_state_timestamp = COMMIT_TS;
  value->members = member;
  value->n_members = 1;
}

static void
check_decoded_group (const RgKafkaGroupMetadataValue * back, gint16 v)
{
  const RgKafkaGroupMemberMetadata *m = &back->members[0];

  fail_unless_equals_int (back->version, v);
  fail_unless (rg_kafka_str_equal (back->protocol_type, "consumer"));
  fail_unless_equals_int (back->generation, 5);
  fail_unless (rg_kafka_str_equal (back->protocol, "range"));
  fail_unless (rg_kafka_str_equal (back->leader, "m-1"));
  fail_unless_equals_int64 (back->current_state_timestamp,
      v >= 2 ? COMMIT_TS : -1);
  fail_unless_equals_int (back->n_members, 1);
  fail_unless (rg_kafka_str_equal (m->member_id, "m-1"));
  fail_unless (rg_kafka_str_equal (m->group_instance_id, v == 3 ? "i" : NULL));
  fail_unless (rg_kafka_str_equal (m->client_id, "c"));
  fail_unless (rg_kafka_str_equal (m->client_host, "/h"));
  fail_unless_equals_int (m->rebalance_timeout, v >= 1 ? 300000 : -1);
  fail_unless_equals_int (m->session_timeout, 45000);
  fail_unless_equals_int (m->subscription.len, 2);
  fail_unless (memcmp (m->subscription.data, subscription, 2) == 0);
  fail_unless_equals_int (m->assignment.len, 1);
  fail_unless_equals_int (m->assignment.data[0], 3);
}

GST_START_TEST (test_group_value_golden)
{
  GByteArray *out = g_byte_array_new ();
  GError *err = NULL;
  gint16 v;

  for (v = 0; v <= 3; v++) {
    RgKafkaGroupMetadataValue value, back;
    RgKafkaGroupMemberMetadata member;

    fill_group (&value, &member, v);
    g_byte_array_set_size (out, 0);
    fail_unless (rg_kafka_group_metadata_value_encode (&value, out, &err));
    assert_bytes (out, group_values[v].bytes, group_values[v].len);

    fail_unless (rg_kafka_group_metadata_value_decode (group_values[v].bytes,
            group_values[v].len, &back, &err));
    check_decoded_group (&back, v);
    rg_kafka_group_metadata_value_clear (&back);
  }
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_group_value_empty)
{
  RgKafkaGroupMetadataValue value = { 0 }, back;
  GByteArray *out = g_byte_array_new ();
  GError *err = NULL;

  value.version = 3;
  value.protocol_type = rg_kafka_str_from_cstr ("consumer");
  value.generation = 6;
  value.protocol = RG_KAFKA_STR_NULL;
  value.leader = RG_KAFKA_STR_NULL;
  value.current_state_timestamp = COMMIT_TS;
  fail_unless (rg_kafka_group_metadata_value_encode (&value, out, &err));
  assert_bytes (out, group_empty_v3, sizeof (group_empty_v3));

  fail_unless (rg_kafka_group_metadata_value_decode (group_empty_v3,
          sizeof (group_empty_v3), &back, &err));
  fail_unless (back.protocol.data == NULL && back.protocol.len == -1);
  fail_unless (back.leader.data == NULL && back.leader.len == -1);
  fail_unless_equals_int (back.n_members, 0);
  fail_unless_equals_int (back.generation, 6);
  rg_kafka_group_metadata_value_clear (&back);
  g_byte_array_unref (out);
}

GST_END_TEST;

typedef gboolean (*DecodeFunc) (const guint8 * data, gsize len,
    GError ** error);

static gboolean
decode_key (const guint8 * data, gsize len, GError ** error)
{
  RgKafkaOffsetsKey key;

  return rg_kafka_offsets_key_decode (data, len, &key, error);
}

static gboolean
decode_commit (const guint8 * data, gsize len, GError ** error)
{
  RgKafkaOffsetCommitValue value;

  return rg_kafka_offset_commit_value_decode (data, len, &value, error);
}

static gboolean
decode_group (const guint8 * data, gsize len, GError ** error)
{
  RgKafkaGroupMetadataValue value;
  gboolean ok = rg_kafka_group_metadata_value_decode (data, len, &value,
      error);

  if (ok)
    rg_kafka_group_metadata_value_clear (&value);
  return ok;
}

/* Every proper prefix of a record is truncated, and one byte more is left
 * over; each is refused with the matching error. The prefixes are copied
 * into buffers of their exact size so AddressSanitizer sees any read past
 * the end. */
static void
check_truncations (DecodeFunc decode, const guint8 * bytes, gsize len)
{
  guint8 *longer = g_malloc (len + 1);
  GError *err = NULL;
  gsize cut;

  for (cut = 0; cut < len; cut++) {
    guint8 *prefix = g_memdup2 (bytes, cut);

    fail_if (decode (prefix, cut, &err), "a %" G_GSIZE_FORMAT
        "-byte prefix of %" G_GSIZE_FORMAT " decoded", cut, len);
    fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
            RG_KAFKA_ERROR_TRUNCATED), "cut at %" G_GSIZE_FORMAT ": %s",
        cut, err->message);
    g_clear_error (&err);
    g_free (prefix);
  }
  memcpy (longer, bytes, len);
  longer[len] = 0;
  fail_if (decode (longer, len + 1, &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&err);
  g_free (longer);
}

GST_START_TEST (test_truncated_and_trailing)
{
  guint i;

  check_truncations (decode_key, key_v1, sizeof (key_v1));
  check_truncations (decode_key, key_v2, sizeof (key_v2));
  for (i = 0; i < G_N_ELEMENTS (commit_values); i++)
    check_truncations (decode_commit, commit_values[i].bytes,
        commit_values[i].len);
  for (i = 0; i < G_N_ELEMENTS (group_values); i++)
    check_truncations (decode_group, group_values[i].bytes,
        group_values[i].len);
  check_truncations (decode_group, group_empty_v3, sizeof (group_empty_v3));
}

GST_END_TEST;

GST_START_TEST (test_bad_records)
{
  /* Key version 3 does not exist; OffsetCommitValue v4 is flexible (Kafka
   * 3.5+) and not one we write or read. */
  static const guint8 key_v3[] = { 0x00, 0x03, 0x00, 0x00 };
  static const guint8 commit_v4[] = { 0x00, 0x04, 0x00 };
  /* A group id of length -2. */
  static const guint8 key_negative[] = { 0x00, 0x02, 0xff, 0xfe };
  /* A null metadata string: OffsetCommitValue's metadata is not nullable. */
  static const guint8 commit_null_metadata[] = {
    0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0
  };
  /* 2^31-1 members in a few bytes: refused before any allocation. */
  static const guint8 group_huge[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff,
    0x7f, 0xff, 0xff, 0xff, 0x00, 0x00
  };
  GError *err = NULL;

  fail_if (decode_key (key_v3, sizeof (key_v3), &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  fail_unless (strstr (err->message, "version 3") != NULL, "%s",
      err->message);
  g_clear_error (&err);

  fail_if (decode_commit (commit_v4, sizeof (commit_v4), &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  g_clear_error (&err);

  fail_if (decode_key (key_negative, sizeof (key_negative), &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&err);

  fail_if (decode_commit (commit_null_metadata,
          sizeof (commit_null_metadata), &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&err);

  fail_if (decode_group (group_huge, sizeof (group_huge), &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_TRUNCATED));
  g_clear_error (&err);
}

GST_END_TEST;

GST_START_TEST (test_encode_refusals)
{
  RgKafkaOffsetsKey key = { 1, RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL, 0 };
  RgKafkaOffsetCommitValue value = { 4, 1, -1, RG_KAFKA_STR_NULL, 0, -1 };
  GByteArray *out = g_byte_array_new ();
  gchar *long_group = g_strnfill (40000, 'g');
  GError *err = NULL;

  /* A null topic in an offset-commit key: nothing appended. */
  key.group = rg_kafka_str_from_cstr ("g");
  fail_if (rg_kafka_offsets_key_encode (&key, out, &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  fail_unless (strstr (err->message, "topic") != NULL, "%s", err->message);
  fail_unless_equals_int (out->len, 0);
  g_clear_error (&err);

  /* A group id longer than a STRING can hold. */
  key.version = 2;
  key.group = rg_kafka_str_from_cstr (long_group);
  fail_if (rg_kafka_offsets_key_encode (&key, out, &err));
  fail_unless (strstr (err->message, "40000") != NULL, "%s", err->message);
  fail_unless_equals_int (out->len, 0);
  g_clear_error (&err);

  value.metadata = rg_kafka_str_from_cstr ("");
  fail_if (rg_kafka_offset_commit_value_encode (&value, out, &err));
  fail_unless (g_error_matches (err, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  fail_unless_equals_int (out->len, 0);
  g_clear_error (&err);

  g_free (long_group);
  g_byte_array_unref (out);
}

GST_END_TEST;

static Suite *
offsets_suite (void)
{
  Suite *s = suite_create ("offsets");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_key_golden);
  tcase_add_test (tc, test_commit_value_golden);
  tcase_add_test (tc, test_group_value_golden);
  tcase_add_test (tc, test_group_value_empty);
  tcase_add_test (tc, test_truncated_and_trailing);
  tcase_add_test (tc, test_bad_records);
  tcase_add_test (tc, test_encode_refusals);
  return s;
}

GST_CHECK_MAIN (offsets);
