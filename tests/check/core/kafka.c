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

/* Tests of the Kafka wire codec (gst/kafka/rgkafka.c).
 *
 * Golden request and response bytes below were written by hand from
 * Kafka's JSON message specs (clients/src/main/resources/common/message).
 * The corpus in kafka-corpus/ holds the first requests real clients sent
 * (kcat / librdkafka 2.0.2 and kafka-python 2.0.2, captured with
 * kafka-corpus/capture.py); each must parse to the fields those clients
 * are known to send. Every truncation of every corpus frame must fail and
 * single-byte mutations must never read outside the frame: run this under
 * AddressSanitizer (meson setup -Dsanitize=address). kafka_compat.py
 * checks the same code against kafka-python's own encoder and decoder. */

#include <gst/check/gstcheck.h>
#include <string.h>

#include "record/rgbatch.h"
#include "kafka/rgkafka.h"
#include "kafka/rgkafkawire.h"
#include "kafka/rgkafkalegacy.h"

#define CORPUS_DIR RG_TEST_SOURCE_DIR "/tests/check/core/kafka-corpus"

static RgKafkaRequest *
parse_ok (const guint8 * frame, gsize len)
{
  GError *error = NULL;
  RgKafkaRequest *req = rg_kafka_request_parse (frame, len, NULL, &error);

  g_assert_no_error (error);
  fail_unless (req != NULL);
  return req;
}

static void
parse_fails (const guint8 * frame, gsize len, RgKafkaError code)
{
  GError *error = NULL;
  RgKafkaRequest *req = rg_kafka_request_parse (frame, len, NULL, &error);

  fail_unless (req == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR, code),
      "expected error %d, got %s", code, error ? error->message : "none");
  g_clear_error (&error);
}

/* A string view must lie inside the frame (or be null). */
static void
assert_in_frame (RgKafkaStr str, const guint8 * frame, gsize len)
{
  if (str.len < 0) {
    fail_unless (str.data == NULL);
    return;
  }
  fail_unless ((const guint8 *) str.data >= frame);
  fail_unless ((const guint8 *) str.data + str.len <= frame + len);
}

static void
assert_str (RgKafkaStr str, const gchar * expected)
{
  fail_unless (rg_kafka_str_equal (str, expected), "got '%.*s', want '%s'",
      MAX (str.len, 0), str.data ? str.data : "", expected ? expected
      : "(null)");
}

/* --- Requests: golden bytes ------------------------------------------- */

/* Header v1: api key 18, version V, correlation id 7, client id "abc". */
#define HDR(key, ver, cid) 0x00, key, 0x00, ver, 0x00, 0x00, 0x00, cid, \
  0x00, 0x03, 'a', 'b', 'c'

GST_START_TEST (test_api_versions_request)
{
  const guint8 v0[] = { HDR (18, 0, 7) };
  /* v3: header v2 adds a tag buffer; the body is COMPACT_STRING name
   * ("rg": length 2 + 1), COMPACT_STRING version ("1.0") and a tag buffer
   * holding one unknown field (tag 5, two bytes), which must be skipped. */
  const guint8 v3[] = { HDR (18, 3, 8), 0x00, 0x03, 'r', 'g',
    0x04, '1', '.', '0', 0x01, 0x05, 0x02, 0xaa, 0xbb
  };
  guint8 frame[sizeof (v0)];
  RgKafkaRequest *req;
  gint v;

  for (v = 0; v <= 2; v++) {
    memcpy (frame, v0, sizeof (v0));
    frame[3] = v;
    req = parse_ok (frame, sizeof (frame));
    fail_unless_equals_int (req->header.api_key, RG_KAFKA_API_API_VERSIONS);
    fail_unless_equals_int (req->header.api_version, v);
    fail_unless_equals_int (req->header.correlation_id, 7);
    assert_str (req->header.client_id, "abc");
    fail_unless ((const guint8 *) req->header.client_id.data == frame + 10);
    assert_str (req->body.api_versions.client_software_name, NULL);
    rg_kafka_request_free (req);
  }

  req = parse_ok (v3, sizeof (v3));
  fail_unless_equals_int (req->header.api_version, 3);
  fail_unless_equals_int (req->header.correlation_id, 8);
  assert_str (req->body.api_versions.client_software_name, "rg");
  assert_str (req->body.api_versions.client_software_version, "1.0");
  rg_kafka_request_free (req);

  /* A tagged field whose size runs past the frame is truncation. */
  parse_fails (v3, sizeof (v3) - 1, RG_KAFKA_ERROR_TRUNCATED);
}

GST_END_TEST;

GST_START_TEST (test_metadata_request)
{
  /* v0: ARRAY of STRING; here two topics. Null client id. */
  const guint8 v0[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x02, 0x00, 0x03, 'c', 'a', 'm',
    0x00, 0x01, 'b'
  };
  /* v0 with an empty array means every topic. */
  const guint8 v0_all[] = { HDR (3, 0, 2), 0x00, 0x00, 0x00, 0x00 };
  /* v1-3 with a null array (-1) mean every topic; empty means none. */
  const guint8 v1_all[] = { HDR (3, 1, 3), 0xff, 0xff, 0xff, 0xff };
  const guint8 v2_none[] = { HDR (3, 2, 3), 0x00, 0x00, 0x00, 0x00 };
  /* v4 adds AllowAutoTopicCreation. */
  const guint8 v4[] = { HDR (3, 4, 4), 0x00, 0x00, 0x00, 0x01,
    0x00, 0x03, 'c', 'a', 'm', 0x00
  };
  RgKafkaRequest *req;

  req = parse_ok (v0, sizeof (v0));
  fail_unless_equals_int (req->header.api_key, RG_KAFKA_API_METADATA);
  assert_str (req->header.client_id, NULL);
  fail_if (req->body.metadata.all_topics);
  fail_unless_equals_int (req->body.metadata.n_topics, 2);
  assert_str (req->body.metadata.topics[0], "cam");
  assert_str (req->body.metadata.topics[1], "b");
  fail_unless ((const guint8 *) req->body.metadata.topics[1].data ==
      v0 + sizeof (v0) - 1);
  fail_unless (req->body.metadata.allow_auto_topic_creation);
  rg_kafka_request_free (req);

  req = parse_ok (v0_all, sizeof (v0_all));
  fail_unless (req->body.metadata.all_topics);
  rg_kafka_request_free (req);

  req = parse_ok (v1_all, sizeof (v1_all));
  fail_unless (req->body.metadata.all_topics);
  fail_unless_equals_int (req->body.metadata.n_topics, 0);
  rg_kafka_request_free (req);

  req = parse_ok (v2_none, sizeof (v2_none));
  fail_if (req->body.metadata.all_topics);
  fail_unless_equals_int (req->body.metadata.n_topics, 0);
  rg_kafka_request_free (req);

  req = parse_ok (v4, sizeof (v4));
  fail_unless_equals_int (req->header.api_version, 4);
  fail_unless_equals_int (req->body.metadata.n_topics, 1);
  assert_str (req->body.metadata.topics[0], "cam");
  fail_if (req->body.metadata.allow_auto_topic_creation);
  rg_kafka_request_free (req);

  /* A v3 request laid out like v4 has a byte left over. */
  {
    guint8 bad[sizeof (v4)];

    memcpy (bad, v4, sizeof (v4));
    bad[3] = 3;
    parse_fails (bad, sizeof (bad), RG_KAFKA_ERROR_MALFORMED);
  }
  /* A null topic name is not allowed before v10. */
  {
    const guint8 null_name[] = { HDR (3, 1, 5), 0x00, 0x00, 0x00, 0x01,
      0xff, 0xff
    };
    parse_fails (null_name, sizeof (null_name), RG_KAFKA_ERROR_MALFORMED);
  }
}

GST_END_TEST;

GST_START_TEST (test_produce_request)
{
  /* v3-7 share one layout: NULLABLE_STRING transactional id (null), acks
   * 1, timeout 1500, one topic "cam" with partition 0 holding 4 record
   * bytes and partition 1 with null records. */
  const guint8 body[] = { 0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x05, 0xdc,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm',
    0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
    0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff
  };
  const guint8 hdr[] = { HDR (0, 3, 9) };
  guint8 frame[sizeof (hdr) + sizeof (body)];
  gint v;

  memcpy (frame, hdr, sizeof (hdr));
  memcpy (frame + sizeof (hdr), body, sizeof (body));
  for (v = 3; v <= 7; v++) {
    RgKafkaRequest *req;
    const RgKafkaProduceRequest *p;

    frame[3] = v;
    req = parse_ok (frame, sizeof (frame));
    p = &req->body.produce;
    fail_unless_equals_int (req->header.api_key, RG_KAFKA_API_PRODUCE);
    fail_unless_equals_int (req->header.api_version, v);
    assert_str (p->transactional_id, NULL);
    fail_unless_equals_int (p->acks, 1);
    fail_unless_equals_int (p->timeout_ms, 1500);
    fail_unless_equals_int (p->n_topics, 1);
    assert_str (p->topics[0].topic, "cam");
    fail_unless_equals_int (p->topics[0].n_partitions, 2);
    fail_unless_equals_int (p->topics[0].partitions[0].partition, 0);
    fail_unless_equals_int (p->topics[0].partitions[0].records_len, 4);
    /* Zero-copy: the records are the frame's own bytes. */
    fail_unless (p->topics[0].partitions[0].records == frame + 42);
    fail_unless_equals_int (p->topics[0].partitions[0].records_position, 42);
    fail_unless_equals_int (p->topics[0].partitions[1].partition, 1);
    fail_unless (p->topics[0].partitions[1].records == NULL);
    fail_unless_equals_int (p->topics[0].partitions[1].records_len, -1);
    rg_kafka_request_free (req);
  }

  /* A records length pointing past the frame is truncation, not a read. */
  frame[41] = 0x40;
  parse_fails (frame, sizeof (frame), RG_KAFKA_ERROR_TRUNCATED);
}

GST_END_TEST;

GST_START_TEST (test_list_offsets_request)
{
  /* v1: int32 replica -1, topic "cam", partition 0, timestamp -2. */
  const guint8 v1[] = { HDR (2, 1, 10), 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm', 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe
  };
  /* v2 adds int8 isolation level after the replica id. */
  const guint8 v2[] = { HDR (2, 2, 11), 0xff, 0xff, 0xff, 0xff, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm', 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00
  };
  RgKafkaRequest *req;
  const RgKafkaListOffsetsRequest *lo;

  req = parse_ok (v1, sizeof (v1));
  lo = &req->body.list_offsets;
  fail_unless_equals_int (req->header.api_key, RG_KAFKA_API_LIST_OFFSETS);
  fail_unless_equals_int (lo->replica_id, -1);
  fail_unless_equals_int (lo->isolation_level, 0);
  fail_unless_equals_int (lo->n_topics, 1);
  assert_str (lo->topics[0].topic, "cam");
  fail_unless_equals_int (lo->topics[0].n_partitions, 1);
  fail_unless_equals_int (lo->topics[0].partitions[0].partition, 0);
  fail_unless_equals_int64 (lo->topics[0].partitions[0].timestamp, -2);
  rg_kafka_request_free (req);

  req = parse_ok (v2, sizeof (v2));
  lo = &req->body.list_offsets;
  fail_unless_equals_int (req->header.api_version, 2);
  fail_unless_equals_int (lo->isolation_level, 1);
  fail_unless_equals_int64 (lo->topics[0].partitions[0].timestamp,
      1700000000000);
  rg_kafka_request_free (req);
}

GST_END_TEST;

/* Fetch v4: replica -1, max wait 500, min bytes 1, max bytes 52428800,
 * isolation 1, topic "cam", partition 0 at offset 42, max 1 MiB. */
static const guint8 fetch_v4[] = { HDR (1, 4, 12), 0xff, 0xff, 0xff, 0xff,
  0x00, 0x00, 0x01, 0xf4, 0x00, 0x00, 0x00, 0x01, 0x03, 0x20, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm',
  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x10, 0x00, 0x00
};

GST_START_TEST (test_fetch_request)
{
  RgKafkaRequest *req = parse_ok (fetch_v4, sizeof (fetch_v4));
  const RgKafkaFetchRequest *f = &req->body.fetch;

  fail_unless_equals_int (req->header.api_key, RG_KAFKA_API_FETCH);
  fail_unless_equals_int (req->header.api_version, 4);
  fail_unless_equals_int (req->header.correlation_id, 12);
  fail_unless_equals_int (f->replica_id, -1);
  fail_unless_equals_int (f->max_wait_ms, 500);
  fail_unless_equals_int (f->min_bytes, 1);
  fail_unless_equals_int (f->max_bytes, 52428800);
  fail_unless_equals_int (f->isolation_level, 1);
  fail_unless_equals_int (f->n_topics, 1);
  assert_str (f->topics[0].topic, "cam");
  fail_unless_equals_int (f->topics[0].n_partitions, 1);
  fail_unless_equals_int (f->topics[0].partitions[0].partition, 0);
  fail_unless_equals_int64 (f->topics[0].partitions[0].fetch_offset, 42);
  fail_unless_equals_int (f->topics[0].partitions[0].partition_max_bytes,
      1048576);
  rg_kafka_request_free (req);
}

GST_END_TEST;

GST_START_TEST (test_absurd_counts)
{
  guint8 frame[sizeof (fetch_v4)];

  /* The topics count (byte 30) claims 2^31-1 topics of at least 6 bytes
   * in a frame with 25 bytes left: rejected before allocating anything. */
  memcpy (frame, fetch_v4, sizeof (frame));
  frame[30] = 0x7f;
  frame[31] = frame[32] = frame[33] = 0xff;
  parse_fails (frame, sizeof (frame), RG_KAFKA_ERROR_MALFORMED);

  /* Two partitions need 32 bytes; only 16 remain. */
  memcpy (frame, fetch_v4, sizeof (frame));
  frame[42] = 2;
  parse_fails (frame, sizeof (frame), RG_KAFKA_ERROR_MALFORMED);

  /* A negative count in a non-nullable array. */
  memcpy (frame, fetch_v4, sizeof (frame));
  frame[30] = 0x80;
  parse_fails (frame, sizeof (frame), RG_KAFKA_ERROR_MALFORMED);

  /* A topic name length that points past the end of the frame. */
  memcpy (frame, fetch_v4, sizeof (frame));
  frame[34] = 0x7f;
  parse_fails (frame, sizeof (frame), RG_KAFKA_ERROR_TRUNCATED);

  /* A trailing byte after a complete body. */
  {
    guint8 longer[sizeof (fetch_v4) + 1];

    memcpy (longer, fetch_v4, sizeof (fetch_v4));
    longer[sizeof (fetch_v4)] = 0;
    parse_fails (longer, sizeof (longer), RG_KAFKA_ERROR_MALFORMED);
  }
  /* Over-long varint in a flexible request (tag buffer count). */
  {
    const guint8 v3[] = { HDR (18, 3, 8), 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
    };
    parse_fails (v3, sizeof (v3), RG_KAFKA_ERROR_MALFORMED);
  }
}

GST_END_TEST;

GST_START_TEST (test_unsupported)
{
  /* Unknown api key 99, and versions just outside each advertised range:
   * the header is still returned so the broker can answer. */
  const struct
  {
    gint16 key, version;
    RgKafkaError code;
  } cases[] = {
    {99, 0, RG_KAFKA_ERROR_UNSUPPORTED_API},
    {10, 0, RG_KAFKA_ERROR_UNSUPPORTED_API},    /* FindCoordinator: phase 2 */
    {18, 4, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {3, 13, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {0, -1, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {0, 10, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {2, -1, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {2, 8, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {1, -1, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {1, 13, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
    {3, -1, RG_KAFKA_ERROR_UNSUPPORTED_VERSION},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    guint8 frame[] = { HDR (0, 0, 0x2a), 0x01, 0x02 };
    RgKafkaRequestHeader header = { 0, };
    GError *error = NULL;

    frame[0] = (guint16) cases[i].key >> 8;
    frame[1] = cases[i].key & 0xff;
    frame[2] = (guint16) cases[i].version >> 8;
    frame[3] = cases[i].version & 0xff;
    fail_unless (rg_kafka_request_parse (frame, sizeof (frame), &header,
            &error) == NULL);
    fail_unless (g_error_matches (error, RG_KAFKA_ERROR, cases[i].code),
        "case %u: %s", i, error->message);
    g_clear_error (&error);
    fail_unless_equals_int (header.api_key, cases[i].key);
    fail_unless_equals_int (header.api_version, cases[i].version);
    fail_unless_equals_int (header.correlation_id, 0x2a);
    assert_str (header.client_id, "abc");

    memset (&header, 0, sizeof (header));
    fail_unless (rg_kafka_request_parse_header (frame, sizeof (frame),
            &header, NULL));
    fail_unless_equals_int (header.correlation_id, 0x2a);
  }
}

GST_END_TEST;

GST_START_TEST (test_frame_length)
{
  const guint8 ok[] = { 0x00, 0x00, 0x01, 0x00 };
  const guint8 small[] = { 0x00, 0x00, 0x00, 0x09 };
  const guint8 negative[] = { 0x80, 0x00, 0x00, 0x00 };
  const guint8 big[] = { 0x06, 0x40, 0x00, 0x01 };
  GError *error = NULL;
  gsize len = 0;

  fail_unless (rg_kafka_frame_length (ok, 1024, &len, NULL));
  fail_unless_equals_int (len, 256);
  fail_if (rg_kafka_frame_length (ok, 255, &len, &error));
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_TOO_LARGE));
  g_clear_error (&error);
  fail_if (rg_kafka_frame_length (small, 1024, &len, &error));
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);
  fail_if (rg_kafka_frame_length (negative, 1024, &len, NULL));
  /* 100 MiB + 1 is refused even when the caller asks for more. */
  fail_if (rg_kafka_frame_length (big, G_MAXUINT32, &len, NULL));
}

GST_END_TEST;

GST_START_TEST (test_version_table)
{
  const RgKafkaApiVersionRange expected[] = {
    {0, 0, 9}, {1, 0, 12}, {2, 0, 7}, {3, 0, 12}, {18, 0, 3},
  };
  guint n, i;
  const RgKafkaApiVersionRange *table = rg_kafka_supported_apis (&n);

  fail_unless_equals_int (n, G_N_ELEMENTS (expected));
  for (i = 0; i < n; i++) {
    fail_unless_equals_int (table[i].api_key, expected[i].api_key);
    fail_unless_equals_int (table[i].min_version, expected[i].min_version);
    fail_unless_equals_int (table[i].max_version, expected[i].max_version);
  }
  /* Phase 2 group APIs are not advertised yet. */
  for (i = 8; i <= 14; i++)
    fail_if (rg_kafka_version_supported (i, 0));
  fail_unless (rg_kafka_version_supported (RG_KAFKA_API_FETCH, 4));

  fail_unless_equals_string (rg_kafka_error_code_name (35),
      "UNSUPPORTED_VERSION");
  fail_unless_equals_string (rg_kafka_error_code_name (1),
      "OFFSET_OUT_OF_RANGE");
  fail_unless_equals_string (rg_kafka_error_code_name (-1),
      "UNKNOWN_SERVER_ERROR");
  fail_unless_equals_string (rg_kafka_error_code_name (29),
      "TOPIC_AUTHORIZATION_FAILED");
  fail_unless_equals_string (rg_kafka_error_code_name (1234),
      "UNKNOWN_ERROR_CODE");
  fail_unless_equals_string (rg_kafka_api_name (1), "Fetch");
}

GST_END_TEST;

/* --- Requests: real clients ------------------------------------------- */

typedef struct
{
  const gchar *file;
  gint16 api_key;
  gint16 api_version;
  const gchar *client_id;
  /* Metadata: -1 for all topics; other APIs: topic count. */
  gint n_topics;
  const gchar *topic;
} CorpusCase;

static const CorpusCase corpus[] = {
  {"kcat-L-01-apiversions-v3.bin", 18, 3, "rdkafka", 0, NULL},
  {"kcat-L-02-metadata-v4.bin", 3, 4, "rdkafka", 0, NULL},
  {"kcat-C-01-apiversions-v3.bin", 18, 3, "rdkafka", 0, NULL},
  {"kcat-C-02-metadata-v4.bin", 3, 4, "rdkafka", 1, "x"},
  {"kcat-C-03-listoffsets-v2.bin", 2, 2, "rdkafka", 1, "x"},
  {"kcat-C-04-fetch-v4.bin", 1, 4, "rdkafka", 1, "x"},
  {"kcat-P-01-apiversions-v3.bin", 18, 3, "rdkafka", 0, NULL},
  {"kcat-P-02-metadata-v4.bin", 3, 4, "rdkafka", 1, "x"},
  {"kcat-P-03-produce-v7.bin", 0, 7, "rdkafka", 1, "x"},
  {"kafka-python-admin-01-apiversions-v0.bin", 18, 0, "kafka-python-admin",
      0, NULL},
  {"kafka-python-admin-02-metadata-v0.bin", 3, 0, "kafka-python-admin", -1,
      NULL},
  {"kafka-python-admin-03-metadata-v1.bin", 3, 1, "kafka-python-admin", -1,
      NULL},
  {"kafka-python-admin-04-metadata-v4.bin", 3, 4, "kafka-python-admin", -1,
      NULL},
  {"kafka-python-consumer-01-apiversions-v0.bin", 18, 0,
      "kafka-python-consumer", 0, NULL},
  {"kafka-python-consumer-02-metadata-v0.bin", 3, 0, "kafka-python-consumer",
      -1, NULL},
  {"kafka-python-consumer-03-metadata-v1.bin", 3, 1, "kafka-python-consumer",
      1, "x"},
  {"kafka-python-consumer-04-listoffsets-v1.bin", 2, 1,
      "kafka-python-consumer", 1, "x"},
  {"kafka-python-consumer-05-fetch-v4.bin", 1, 4, "kafka-python-consumer", 1,
      "x"},
  {"kafka-python-producer-01-apiversions-v0.bin", 18, 0,
      "kafka-python-producer", 0, NULL},
  {"kafka-python-producer-02-metadata-v0.bin", 3, 0, "kafka-python-producer",
      -1, NULL},
  {"kafka-python-producer-03-metadata-v1.bin", 3, 1, "kafka-python-producer",
      -1, NULL},
  {"kafka-python-producer-04-produce-v3.bin", 0, 3, "kafka-python-producer",
      1, "x"},
};

static guint8 *
load_corpus (const gchar * file, gsize * len)
{
  gchar *path = g_build_filename (CORPUS_DIR, file, NULL);
  gchar *data = NULL;
  GError *error = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  g_free (path);
  return (guint8 *) data;
}

static RgKafkaStr
first_topic (const RgKafkaRequest * req, gint * n_topics)
{
  const RgKafkaStr none = RG_KAFKA_STR_NULL;

  switch (req->header.api_key) {
    case RG_KAFKA_API_METADATA:
      *n_topics = req->body.metadata.all_topics ? -1
          : (gint) req->body.metadata.n_topics;
      return *n_topics > 0 ? req->body.metadata.topics[0] : none;
    case RG_KAFKA_API_PRODUCE:
      *n_topics = req->body.produce.n_topics;
      return *n_topics > 0 ? req->body.produce.topics[0].topic : none;
    case RG_KAFKA_API_LIST_OFFSETS:
      *n_topics = req->body.list_offsets.n_topics;
      return *n_topics > 0 ? req->body.list_offsets.topics[0].topic : none;
    case RG_KAFKA_API_FETCH:
      *n_topics = req->body.fetch.n_topics;
      return *n_topics > 0 ? req->body.fetch.topics[0].topic : none;
    default:
      *n_topics = 0;
      return none;
  }
}

/* Per-API facts the clients are known to send, beyond the topic. */
static void
check_corpus_body (const RgKafkaRequest * req)
{
  const RgKafkaProducePartition *pp;
  RgBatchInfo info;

  switch (req->header.api_key) {
    case RG_KAFKA_API_API_VERSIONS:
      if (req->header.api_version == 3) {
        assert_str (req->body.api_versions.client_software_name, "librdkafka");
        assert_str (req->body.api_versions.client_software_version, "2.0.2");
      }
      break;
    case RG_KAFKA_API_FETCH:
      fail_unless_equals_int (req->body.fetch.replica_id, -1);
      fail_unless_equals_int (req->body.fetch.max_wait_ms, 500);
      fail_unless_equals_int (req->body.fetch.topics[0].n_partitions, 1);
      fail_unless_equals_int (req->body.fetch.topics[0].partitions[0].
          partition, 0);
      fail_unless_equals_int64 (req->body.fetch.topics[0].partitions[0].
          fetch_offset, 0);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:
      /* Both clients were told "-o beginning": timestamp -2 (earliest). */
      fail_unless_equals_int64 (req->body.list_offsets.topics[0].
          partitions[0].timestamp, -2);
      break;
    case RG_KAFKA_API_PRODUCE:
      /* kcat defaults to acks=-1, kafka-python was told acks=1; each sent
       * one RecordBatch v2 with one record. */
      fail_unless_equals_int (req->body.produce.acks,
          req->header.api_version == 7 ? -1 : 1);
      pp = &req->body.produce.topics[0].partitions[0];
      fail_unless (rg_batch_parse_header (pp->records, pp->records_len,
              &info, NULL));
      fail_unless_equals_int (info.magic, 2);
      fail_unless_equals_int (info.records_count, 1);
      fail_unless_equals_int (pp->records_len,
          RG_BATCH_LOG_OVERHEAD + info.batch_length);
      break;
    default:
      break;
  }
}

GST_START_TEST (test_corpus_parses)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (corpus); i++) {
    const CorpusCase *c = &corpus[i];
    gsize len;
    guint8 *frame = load_corpus (c->file, &len);
    RgKafkaRequest *req = parse_ok (frame, len);
    gint n_topics;
    RgKafkaStr topic = first_topic (req, &n_topics);

    fail_unless_equals_int (req->header.api_key, c->api_key);
    fail_unless_equals_int (req->header.api_version, c->api_version);
    assert_str (req->header.client_id, c->client_id);
    fail_unless_equals_int (n_topics, c->n_topics);
    if (c->topic != NULL)
      assert_str (topic, c->topic);
    check_corpus_body (req);
    rg_kafka_request_free (req);
    g_free (frame);
  }
}

GST_END_TEST;

/* Checks that every view a parsed request holds lies inside the frame. */
static void
assert_views_in_frame (const RgKafkaRequest * req, const guint8 * frame,
    gsize len)
{
  guint i, j;

  assert_in_frame (req->header.client_id, frame, len);
  switch (req->header.api_key) {
    case RG_KAFKA_API_METADATA:
      for (i = 0; i < req->body.metadata.n_topics; i++)
        assert_in_frame (req->body.metadata.topics[i], frame, len);
      break;
    case RG_KAFKA_API_PRODUCE:
      for (i = 0; i < req->body.produce.n_topics; i++) {
        const RgKafkaProduceTopic *t = &req->body.produce.topics[i];

        assert_in_frame (t->topic, frame, len);
        for (j = 0; j < t->n_partitions; j++) {
          RgKafkaStr rec = { (const gchar *) t->partitions[j].records,
            t->partitions[j].records_len
          };
          assert_in_frame (rec, frame, len);
        }
      }
      break;
    case RG_KAFKA_API_FETCH:
      for (i = 0; i < req->body.fetch.n_topics; i++)
        assert_in_frame (req->body.fetch.topics[i].topic, frame, len);
      break;
    case RG_KAFKA_API_LIST_OFFSETS:
      for (i = 0; i < req->body.list_offsets.n_topics; i++)
        assert_in_frame (req->body.list_offsets.topics[i].topic, frame, len);
      break;
    case RG_KAFKA_API_API_VERSIONS:
      assert_in_frame (req->body.api_versions.client_software_name, frame,
          len);
      assert_in_frame (req->body.api_versions.client_software_version,
          frame, len);
      break;
    default:
      fail ("parsed an unsupported api key %d", req->header.api_key);
  }
}

GST_START_TEST (test_corpus_truncations)
{
  guint i;
  gsize cut;

  for (i = 0; i < G_N_ELEMENTS (corpus); i++) {
    gsize len;
    guint8 *frame = load_corpus (corpus[i].file, &len);

    /* Each prefix is copied into an exact-size allocation so that
     * AddressSanitizer catches a read of even one byte past it. */
    for (cut = 0; cut < len; cut++) {
      guint8 *prefix = g_memdup2 (frame, MAX (cut, 1));
      GError *error = NULL;

      fail_unless (rg_kafka_request_parse (prefix, cut, NULL, &error)
          == NULL, "%s cut at %" G_GSIZE_FORMAT " parsed", corpus[i].file,
          cut);
      fail_unless (error != NULL && error->domain == RG_KAFKA_ERROR);
      g_clear_error (&error);
      g_free (prefix);
    }
    g_free (frame);
  }
}

GST_END_TEST;

GST_START_TEST (test_corpus_mutations)
{
  static const guint8 xors[] = { 0x01, 0x80, 0xff, 0x7f, 0x40 };
  guint i, k, parsed = 0, rejected = 0;
  gsize pos;

  for (i = 0; i < G_N_ELEMENTS (corpus); i++) {
    gsize len;
    guint8 *frame = load_corpus (corpus[i].file, &len);

    /* One exact-size copy, restored before each mutation. */
    guint8 *copy = g_malloc (len);

    for (pos = 0; pos < len; pos++) {
      for (k = 0; k < G_N_ELEMENTS (xors); k++) {
        RgKafkaRequest *req;

        memcpy (copy, frame, len);
        copy[pos] ^= xors[k];
        req = rg_kafka_request_parse (copy, len, NULL, NULL);
        if (req != NULL) {
          assert_views_in_frame (req, copy, len);
          parsed++;
        } else {
          rejected++;
        }
        rg_kafka_request_free (req);
      }
    }
    g_free (copy);
    g_free (frame);
  }
  /* Both outcomes must occur: mutations of a topic name still parse,
   * mutations of a length or api key do not. */
  fail_unless (parsed > 0);
  fail_unless (rejected > 0);
}

GST_END_TEST;

/* --- Responses -------------------------------------------------------- */

static void
assert_frame (RgKafkaResponse * resp, const guint8 * expected, gsize len)
{
  GByteArray *bytes;

  fail_unless (resp != NULL);
  bytes = rg_kafka_response_flatten (resp);
  fail_unless_equals_int (bytes->len, len);
  fail_unless_equals_int (rg_kafka_response_get_size (resp), len);
  fail_unless (memcmp (bytes->data, expected, len) == 0);
  g_byte_array_unref (bytes);
  rg_kafka_response_free (resp);
}

/* The advertised table as the wire carries it. */
#define TABLE_ENTRIES 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, \
  0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07, \
  0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03

GST_START_TEST (test_api_versions_response)
{
  const guint8 v0[] = { 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x05, TABLE_ENTRIES
  };
  const guint8 v1[] = { 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x05, TABLE_ENTRIES,
    0x00, 0x00, 0x00, 0x09
  };
  /* v3: header v0 (no tag buffer), COMPACT_ARRAY count 5 + 1, a tag
   * buffer after each entry, throttle, and the body's tag buffer. */
  const guint8 v3[] = { 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x06,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00,
    0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00,
    0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x00, 0x09, 0x00
  };
  /* Unsupported version: v0 body, error 35, only the ApiVersions entry. */
  const guint8 err[] = { 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03
  };
  guint8 v2[sizeof (v1)];

  memcpy (v2, v1, sizeof (v1));
  assert_frame (rg_kafka_build_api_versions_response (5, 0, 9), v0,
      sizeof (v0));
  assert_frame (rg_kafka_build_api_versions_response (5, 1, 9), v1,
      sizeof (v1));
  assert_frame (rg_kafka_build_api_versions_response (5, 2, 9), v2,
      sizeof (v2));
  assert_frame (rg_kafka_build_api_versions_response (5, 3, 9), v3,
      sizeof (v3));
  assert_frame (rg_kafka_build_api_versions_error (6), err, sizeof (err));
}

GST_END_TEST;

static const gint32 one_replica[] = { 1 };
static const RgKafkaMetadataPartition md_partition = { 0, 0, 1, 1,
  one_replica, 1, one_replica
};

GST_START_TEST (test_metadata_response)
{
  const RgKafkaMetadataBroker broker = { 1,
    {"127.0.0.1", 9}, 9092, RG_KAFKA_STR_NULL
  };
  const RgKafkaMetadataTopic topic = { 0, {"cam", 3}, FALSE, 1,
    &md_partition
  };
  const RgKafkaMetadataResponse md = { 5, 1, &broker, {"rg", 2}, 1, 1,
    &topic
  };
  const guint8 v0[] = { 0x00, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01,     /* brokers */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x09, '1', '2', '7', '.', '0', '.', '0',
    '.', '1', 0x00, 0x00, 0x23, 0x84,
    0x00, 0x00, 0x00, 0x01,     /* topics */
    0x00, 0x00, 0x00, 0x03, 'c', 'a', 'm', 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01
  };
  /* v4: throttle first, rack (null), cluster id, controller, is_internal. */
  const guint8 v4[] = { 0x00, 0x00, 0x00, 0x53, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x05,     /* throttle */
    0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x09, '1', '2', '7', '.', '0', '.', '0',
    '.', '1', 0x00, 0x00, 0x23, 0x84, 0xff, 0xff,
    0x00, 0x02, 'r', 'g', 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x03, 'c', 'a', 'm', 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01
  };
  RgKafkaMetadataBroker no_host = broker;
  RgKafkaMetadataResponse bad = md;
  GError *error = NULL;

  assert_frame (rg_kafka_build_metadata_response (1, 0, &md, NULL), v0,
      sizeof (v0));
  assert_frame (rg_kafka_build_metadata_response (2, 4, &md, NULL), v4,
      sizeof (v4));

  /* A null host cannot be encoded; neither can version 5. */
  no_host.host = RG_KAFKA_STR_NULL;
  bad.brokers = &no_host;
  fail_unless (rg_kafka_build_metadata_response (1, 1, &bad, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);
  fail_unless (rg_kafka_build_metadata_response (1, 13, &md, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_produce_list_offsets_response)
{
  const RgKafkaProducePartitionResponse pp = { 0, 0, 42, -1, 7 };
  const RgKafkaProduceTopicResponse pt = { {"cam", 3}, 1, &pp };
  const RgKafkaListOffsetsPartitionResponse lp = { 0, 0, -1, 42 };
  const RgKafkaListOffsetsTopicResponse lt = { {"cam", 3}, 1, &lp };
  const guint8 produce_v3[] = { 0x00, 0x00, 0x00, 0x2b,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm',
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00
  };
  /* v5 adds LogStartOffset after LogAppendTime. */
  const guint8 produce_v5[] = { 0x00, 0x00, 0x00, 0x33,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm',
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00
  };
  const guint8 list_v1[] = { 0x00, 0x00, 0x00, 0x27,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm',
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a
  };
  /* v2 puts the throttle time first. */
  const guint8 list_v2[] = { 0x00, 0x00, 0x00, 0x2b,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'c', 'a', 'm',
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a
  };

  assert_frame (rg_kafka_build_produce_response (3, 3, 0, 1, &pt, NULL),
      produce_v3, sizeof (produce_v3));
  assert_frame (rg_kafka_build_produce_response (3, 4, 0, 1, &pt, NULL),
      produce_v3, sizeof (produce_v3));
  assert_frame (rg_kafka_build_produce_response (3, 5, 0, 1, &pt, NULL),
      produce_v5, sizeof (produce_v5));
  assert_frame (rg_kafka_build_produce_response (3, 7, 0, 1, &pt, NULL),
      produce_v5, sizeof (produce_v5));
  assert_frame (rg_kafka_build_list_offsets_response (4, 1, 0, 1, &lt, NULL),
      list_v1, sizeof (list_v1));
  assert_frame (rg_kafka_build_list_offsets_response (4, 2, 0, 1, &lt, NULL),
      list_v2, sizeof (list_v2));
}

GST_END_TEST;

static void
count_notify (gpointer data)
{
  (*(gint *) data)++;
}

GST_START_TEST (test_fetch_response_zero_copy)
{
  static const guint8 batch_a[100] = { 1, 2, 3 };
  static const guint8 batch_b[64] = { 9, 9, 9 };
  gint notified = 0;
  RgKafkaRecordsRef refs[3] = {
    {RG_KAFKA_SEGMENT_MEMORY, batch_a, -1, 0, sizeof (batch_a),
        count_notify, &notified},
    {RG_KAFKA_SEGMENT_FILE, NULL, 17, 4096, 1000, count_notify, &notified},
    {RG_KAFKA_SEGMENT_MEMORY, batch_b, -1, 0, sizeof (batch_b),
        count_notify, &notified},
  };
  const RgKafkaFetchPartitionResponse parts[2] = {
    {0, 0, 10, 10, -1, NULL, 3, refs},
    {1, RG_KAFKA_OFFSET_OUT_OF_RANGE, 5, 5, 0, NULL, 0, NULL},
  };
  const RgKafkaFetchTopicResponse topic = { {"cam", 3}, 2, parts };
  /* The protocol bytes up to partition 0's RECORDS length. */
  const guint8 head[] = { 0x00, 0x00, 0x04, 0xdd, 0x00, 0x00, 0x00, 0x0c,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x03, 'c', 'a', 'm', 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x04, 0x8c
  };
  /* Partition 1: error 1, HW 5, LSO 5, empty aborted array, no records. */
  const guint8 tail[] = { 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
  };
  RgKafkaResponse *resp;
  const RgKafkaSegment *segs;
  guint n;

  resp = rg_kafka_build_fetch_response (12, 4, 0, 1, &topic, NULL);
  fail_unless (resp != NULL);
  segs = rg_kafka_response_get_segments (resp, &n);
  fail_unless_equals_int (n, 5);
  fail_unless_equals_int (segs[0].type, RG_KAFKA_SEGMENT_BYTES);
  fail_unless_equals_int (segs[0].length, sizeof (head));
  fail_unless (memcmp (segs[0].data, head, sizeof (head)) == 0);
  /* Same pointer out as in: the batches are referenced, never copied. */
  fail_unless_equals_int (segs[1].type, RG_KAFKA_SEGMENT_MEMORY);
  fail_unless (segs[1].data == batch_a);
  fail_unless_equals_int (segs[1].length, 100);
  fail_unless_equals_int (segs[2].type, RG_KAFKA_SEGMENT_FILE);
  fail_unless_equals_int (segs[2].fd, 17);
  fail_unless_equals_int64 (segs[2].offset, 4096);
  fail_unless_equals_int (segs[2].length, 1000);
  fail_unless (segs[3].data == batch_b);
  fail_unless_equals_int (segs[4].type, RG_KAFKA_SEGMENT_BYTES);
  fail_unless_equals_int (segs[4].length, sizeof (tail));
  fail_unless (memcmp (segs[4].data, tail, sizeof (tail)) == 0);
  /* The size prefix (0x4dd) counts the referenced 1164 bytes too. */
  fail_unless_equals_int (rg_kafka_response_get_size (resp), 4 + 0x4dd);
  fail_unless_equals_int (rg_kafka_response_get_size (resp),
      sizeof (head) + 1164 + sizeof (tail));
  fail_unless (rg_kafka_response_flatten (resp) == NULL);
  fail_unless_equals_int (notified, 0);
  rg_kafka_response_free (resp);
  fail_unless_equals_int (notified, 3);

  /* A failed build still releases every reference exactly once. */
  notified = 0;
  fail_unless (rg_kafka_build_fetch_response (12, 13, 0, 1, &topic,
          NULL) == NULL);
  fail_unless_equals_int (notified, 3);
}

GST_END_TEST;

GST_START_TEST (test_fetch_response_too_large)
{
  gint notified = 0;
  RgKafkaRecordsRef refs[2] = {
    {RG_KAFKA_SEGMENT_FILE, NULL, 3, 0, G_MAXINT32, count_notify, &notified},
    {RG_KAFKA_SEGMENT_FILE, NULL, 3, 0, 1, count_notify, &notified},
  };
  const RgKafkaFetchPartitionResponse part = { 0, 0, 1, 1, -1, NULL, 2,
    refs
  };
  const RgKafkaFetchTopicResponse topic = { {"cam", 3}, 1, &part };
  GError *error = NULL;

  fail_unless (rg_kafka_build_fetch_response (1, 4, 0, 1, &topic,
          &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_TOO_LARGE));
  g_clear_error (&error);
  fail_unless_equals_int (notified, 2);
}

GST_END_TEST;

/* --- Version boundaries: golden bytes from the JSON specs ------------- */

#define I32(v) (((guint32) (v)) >> 24) & 0xff, (((guint32) (v)) >> 16) & 0xff, \
  (((guint32) (v)) >> 8) & 0xff, ((guint32) (v)) & 0xff
#define I64(v) I32 ((guint64) (v) >> 32), I32 (v)
#define CAM 0x00, 0x03, 'c', 'a', 'm'
/* COMPACT_STRING "cam" and an empty tag section. */
#define CCAM 0x04, 'c', 'a', 'm'
#define TAGS 0x00

GST_START_TEST (test_produce_request_versions)
{
  /* v0: no transactional id; the record set is a MessageSet. */
  const guint8 v0[] = { HDR (0, 0, 1), 0xff, 0xff, I32 (1500), I32 (1), CAM,
    I32 (1), I32 (0), I32 (3), 'x', 'y', 'z'
  };
  /* v9 (flexible): header v2, compact strings, arrays and records, tag
   * sections after each partition, topic and the body. */
  const guint8 v9[] = { HDR (0, 9, 2), TAGS, 0x00, 0x00, 0x01, I32 (1500),
    0x02, CCAM, 0x02, I32 (0), 0x04, 'x', 'y', 'z', TAGS, TAGS, TAGS
  };
  RgKafkaRequest *req;
  const RgKafkaProducePartition *p;

  req = parse_ok (v0, sizeof (v0));
  fail_unless (req->body.produce.transactional_id.len == -1);
  fail_unless_equals_int (req->body.produce.acks, -1);
  fail_unless_equals_int (req->body.produce.timeout_ms, 1500);
  assert_str (req->body.produce.topics[0].topic, "cam");
  p = &req->body.produce.topics[0].partitions[0];
  fail_unless_equals_int (p->records_len, 3);
  fail_unless_equals_int (p->records_position, sizeof (v0) - 3);
  rg_kafka_request_free (req);

  req = parse_ok (v9, sizeof (v9));
  fail_unless (req->body.produce.transactional_id.len == -1);
  fail_unless_equals_int (req->body.produce.acks, 1);
  assert_str (req->body.produce.topics[0].topic, "cam");
  p = &req->body.produce.topics[0].partitions[0];
  fail_unless_equals_int (p->records_len, 3);
  fail_unless (p->records == v9 + sizeof (v9) - 6);
  fail_unless (memcmp (p->records, "xyz", 3) == 0);
  rg_kafka_request_free (req);

  /* The same v9 body read as v8 (header v1, classic types) does not
   * parse: its compact topic count reads as an absurd int32. */
  {
    guint8 bad[sizeof (v9)];

    memcpy (bad, v9, sizeof (v9));
    bad[3] = 8;
    parse_fails (bad, sizeof (bad), RG_KAFKA_ERROR_MALFORMED);
  }
}

GST_END_TEST;

GST_START_TEST (test_fetch_request_versions)
{
  /* v0: no MaxBytes, no IsolationLevel. */
  const guint8 v0[] = { HDR (1, 0, 3), I32 (-1), I32 (500), I32 (1),
    I32 (1), CAM, I32 (1), I32 (0), I64 (42), I32 (1048576)
  };
  /* v7: session id and epoch, LogStartOffset (v5+) per partition, and
   * forgotten topics: "old" partitions 1 and 2. */
  const guint8 v7[] = { HDR (1, 7, 4), I32 (-1), I32 (500), I32 (1),
    I32 (4096), 0x01, I32 (0), I32 (-1), I32 (1), CAM, I32 (1), I32 (0),
    I64 (42), I64 (-1), I32 (1048576),
    I32 (1), 0x00, 0x03, 'o', 'l', 'd', I32 (2), I32 (1), I32 (2)
  };
  /* v12 (flexible): CurrentLeaderEpoch (v9+), LastFetchedEpoch (v12),
   * RackId (v11+), a body tag section holding ClusterId (tag 0). */
  const guint8 v12[] = { HDR (1, 12, 5), TAGS, I32 (-1), I32 (500),
    I32 (1), I32 (4096), 0x00, I32 (7), I32 (3), 0x02, CCAM, 0x02, I32 (0),
    I32 (9), I64 (42), I32 (8), I64 (-1), I32 (1048576), TAGS, TAGS,
    0x01, 0x03, 'r', '1', 0x01, 0x00, 0x03, 0x02, 'c', 'i'
  };
  RgKafkaRequest *req;
  const RgKafkaFetchRequest *f;

  req = parse_ok (v0, sizeof (v0));
  f = &req->body.fetch;
  fail_unless_equals_int (f->max_bytes, G_MAXINT32);
  fail_unless_equals_int (f->isolation_level, 0);
  fail_unless_equals_int (f->session_epoch, -1);
  fail_unless_equals_int (f->topics[0].partitions[0].fetch_offset, 42);
  fail_unless_equals_int (f->topics[0].partitions[0].partition_max_bytes,
      1048576);
  rg_kafka_request_free (req);

  req = parse_ok (v7, sizeof (v7));
  f = &req->body.fetch;
  fail_unless_equals_int (f->max_bytes, 4096);
  fail_unless_equals_int (f->isolation_level, 1);
  fail_unless_equals_int (f->session_id, 0);
  fail_unless_equals_int (f->session_epoch, -1);
  fail_unless_equals_int (f->n_forgotten, 2);
  fail_unless (f->topics[0].partitions[0].log_start_offset == -1);
  assert_str (f->rack_id, "");
  rg_kafka_request_free (req);

  req = parse_ok (v12, sizeof (v12));
  f = &req->body.fetch;
  fail_unless_equals_int (f->session_id, 7);
  fail_unless_equals_int (f->session_epoch, 3);
  assert_str (f->topics[0].topic, "cam");
  fail_unless_equals_int (f->topics[0].partitions[0].current_leader_epoch, 9);
  fail_unless_equals_int (f->topics[0].partitions[0].last_fetched_epoch, 8);
  fail_unless_equals_int (f->topics[0].partitions[0].fetch_offset, 42);
  fail_unless_equals_int (f->n_forgotten, 0);
  assert_str (f->rack_id, "r1");
  rg_kafka_request_free (req);
}

GST_END_TEST;

GST_START_TEST (test_list_offsets_metadata_request_versions)
{
  /* ListOffsets v0: the old form's MaxNumOffsets per partition. */
  const guint8 lo0[] = { HDR (2, 0, 6), I32 (-1), I32 (1), CAM, I32 (1),
    I32 (0), I64 (-1), I32 (1)
  };
  /* ListOffsets v6 (flexible): CurrentLeaderEpoch (v4+). */
  const guint8 lo6[] = { HDR (2, 6, 7), TAGS, I32 (-1), 0x00, 0x02, CCAM,
    0x02, I32 (0), I32 (5), I64 (-2), TAGS, TAGS, TAGS
  };
  /* Metadata v9 (flexible): both IncludeAuthorizedOperations flags. */
  const guint8 md9[] = { HDR (3, 9, 8), TAGS, 0x02, CCAM, TAGS, 0x01, 0x00,
    0x01, TAGS
  };
  /* Metadata v10: a topic id before each (now nullable) name; the second
   * topic is asked for by id alone. */
  const guint8 md10[] = { HDR (3, 10, 9), TAGS, 0x03,
    I64 (0), I64 (0), CCAM, TAGS,
    I64 (0x1111111111111111), I64 (0x2222222222222222), 0x00, TAGS,
    0x00, 0x00, 0x00, TAGS
  };
  /* Metadata v12: a null array is every topic; no cluster flag (v8-10). */
  const guint8 md12[] = { HDR (3, 12, 10), TAGS, 0x00, 0x01, 0x00, TAGS };
  RgKafkaRequest *req;
  const RgKafkaListOffsetsPartition *p;

  req = parse_ok (lo0, sizeof (lo0));
  p = &req->body.list_offsets.topics[0].partitions[0];
  fail_unless (p->timestamp == -1);
  fail_unless_equals_int (p->max_num_offsets, 1);
  fail_unless_equals_int (p->current_leader_epoch, -1);
  rg_kafka_request_free (req);

  req = parse_ok (lo6, sizeof (lo6));
  p = &req->body.list_offsets.topics[0].partitions[0];
  assert_str (req->body.list_offsets.topics[0].topic, "cam");
  fail_unless (p->timestamp == -2);
  fail_unless_equals_int (p->current_leader_epoch, 5);
  fail_unless_equals_int (p->max_num_offsets, 1);
  rg_kafka_request_free (req);

  req = parse_ok (md9, sizeof (md9));
  assert_str (req->body.metadata.topics[0], "cam");
  fail_unless (req->body.metadata.allow_auto_topic_creation);
  fail_if (req->body.metadata.include_cluster_authorized_operations);
  fail_unless (req->body.metadata.include_topic_authorized_operations);
  rg_kafka_request_free (req);

  req = parse_ok (md10, sizeof (md10));
  fail_unless_equals_int (req->body.metadata.n_topics, 2);
  assert_str (req->body.metadata.topics[0], "cam");
  fail_unless (req->body.metadata.topics[1].len == -1);
  fail_unless (req->body.metadata.topic_ids[1] == md10 + 36);
  fail_if (req->body.metadata.allow_auto_topic_creation);
  rg_kafka_request_free (req);

  req = parse_ok (md12, sizeof (md12));
  fail_unless (req->body.metadata.all_topics);
  fail_unless (req->body.metadata.allow_auto_topic_creation);
  rg_kafka_request_free (req);
}

GST_END_TEST;

static GByteArray *
build_flat (RgKafkaResponse * resp)
{
  GByteArray *out;

  fail_unless (resp != NULL);
  out = rg_kafka_response_flatten (resp);
  rg_kafka_response_free (resp);
  return out;
}

static void
assert_bytes (GByteArray * got, const guint8 * want, gsize len)
{
  gsize i;

  fail_unless_equals_int (got->len, len);
  for (i = 0; i < len; i++)
    fail_unless (got->data[i] == want[i], "byte %" G_GSIZE_FORMAT
        ": got 0x%02x, want 0x%02x", i, got->data[i], want[i]);
  g_byte_array_unref (got);
}

GST_START_TEST (test_produce_list_offsets_response_versions)
{
  const RgKafkaProducePartitionResponse part = { 0, 0, 42, -1, 10 };
  const RgKafkaProduceTopicResponse topic = { {"cam", 3}, 1, &part };
  const RgKafkaListOffsetsPartitionResponse lp = { 0, 0, -1, 42 };
  const RgKafkaListOffsetsTopicResponse lt = { {"cam", 3}, 1, &lp };
  /* Produce v0: no LogAppendTime, no throttle. */
  const guint8 p0[] = { I32 (31), I32 (1), I32 (1), CAM, I32 (1), I32 (0),
    0x00, 0x00, I64 (42)
  };
  /* Produce v8: RecordErrors (empty) and a null ErrorMessage. */
  const guint8 p8[] = { I32 (57), I32 (1), I32 (1), CAM, I32 (1), I32 (0),
    0x00, 0x00, I64 (42), I64 (-1), I64 (10), I32 (0), 0xff, 0xff, I32 (7)
  };
  /* Produce v9: header v1 and compact encodings. */
  const guint8 p9[] = { I32 (50), I32 (1), TAGS, 0x02, CCAM, 0x02, I32 (0),
    0x00, 0x00, I64 (42), I64 (-1), I64 (10), 0x01, 0x00, TAGS, TAGS,
    I32 (7), TAGS
  };
  /* ListOffsets v0: the old form, one offset. */
  const guint8 l0[] = { I32 (35), I32 (2), I32 (1), CAM, I32 (1), I32 (0),
    0x00, 0x00, I32 (1), I64 (42)
  };
  /* ListOffsets v6: LeaderEpoch (v4+), compact, tags. */
  const guint8 l6[] = { I32 (44), I32 (2), TAGS, I32 (9), 0x02, CCAM, 0x02,
    I32 (0), 0x00, 0x00, I64 (-1), I64 (42), I32 (0), TAGS, TAGS, TAGS
  };

  assert_bytes (build_flat (rg_kafka_build_produce_response (1, 0, 7, 1,
              &topic, NULL)), p0, sizeof (p0));
  assert_bytes (build_flat (rg_kafka_build_produce_response (1, 8, 7, 1,
              &topic, NULL)), p8, sizeof (p8));
  assert_bytes (build_flat (rg_kafka_build_produce_response (1, 9, 7, 1,
              &topic, NULL)), p9, sizeof (p9));
  assert_bytes (build_flat (rg_kafka_build_list_offsets_response (2, 0, 9, 1,
              &lt, NULL)), l0, sizeof (l0));
  assert_bytes (build_flat (rg_kafka_build_list_offsets_response (2, 6, 9, 1,
              &lt, NULL)), l6, sizeof (l6));
}

GST_END_TEST;

GST_START_TEST (test_fetch_metadata_response_versions)
{
  const RgKafkaRecordsRef ref = { RG_KAFKA_SEGMENT_MEMORY,
    (const guint8 *) "abc", -1, 0, 3, NULL, NULL
  };
  const RgKafkaFetchPartitionResponse part = { 0, 0, 3, 3, -1, NULL, 1,
    &ref, 1
  };
  const RgKafkaFetchTopicResponse topic = { {"cam", 3}, 1, &part };
  static const gint32 one[] = { 1 };
  const RgKafkaMetadataPartition mp = { 0, 0, 1, 1, one, 1, one };
  const RgKafkaMetadataTopic mt = { 0, {"cam", 3}, FALSE, 1, &mp };
  const RgKafkaMetadataBroker mb = { 1, {"127.0.0.1", 9}, 9092,
    RG_KAFKA_STR_NULL
  };
  const RgKafkaMetadataResponse md = { 5, 1, &mb, {"gst-rg", 6}, 1, 1, &mt };
  /* Fetch v0: no throttle, no LastStableOffset, no aborted list. */
  const guint8 f0[] = { I32 (38), I32 (3), I32 (1), CAM, I32 (1), I32 (0),
    0x00, 0x00, I64 (3), I32 (3), 'a', 'b', 'c'
  };
  /* Fetch v12: throttle, error, session 0; LogStartOffset, a null
   * aborted list, PreferredReadReplica -1, COMPACT_RECORDS, tags. */
  const guint8 f12[] = { I32 (63), I32 (3), TAGS, I32 (11), 0x00, 0x00,
    I32 (0), 0x02, CCAM, 0x02, I32 (0), 0x00, 0x00, I64 (3), I64 (3),
    I64 (1), 0x00, I32 (-1), 0x04, 'a', 'b', 'c', TAGS, TAGS, TAGS
  };
  /* Fetch v7 with a top-level error (70) and no topics. */
  const guint8 f7e[] = { I32 (18), I32 (4), I32 (0), 0x00, 0x46, I32 (0),
    I32 (0)
  };
  /* Metadata v12: header v1; brokers with rack and tags; cluster id;
   * controller; per topic a zero topic id, internal flag, partitions
   * with LeaderEpoch (v7+) and OfflineReplicas (v5+), then topic
   * authorized operations INT32_MIN (v8+); no cluster operations (v11+). */
  const guint8 m12[] = { I32 (98), I32 (6), TAGS, I32 (5),
    0x02, I32 (1), 0x0a, '1', '2', '7', '.', '0', '.', '0', '.', '1',
    I32 (9092), 0x00, TAGS,
    0x07, 'g', 's', 't', '-', 'r', 'g', I32 (1),
    0x02, 0x00, 0x00, CCAM, I64 (0), I64 (0), 0x00,
    0x02, 0x00, 0x00, I32 (0), I32 (1), I32 (0), 0x02, I32 (1), 0x02,
    I32 (1), 0x01, TAGS, I32 (G_MININT32), TAGS, TAGS
  };
  GError *error = NULL;

  assert_bytes (build_flat (rg_kafka_build_fetch_response (3, 0, 11, 1,
              &topic, NULL)), f0, sizeof (f0));
  assert_bytes (build_flat (rg_kafka_build_fetch_response (3, 12, 11, 1,
              &topic, NULL)), f12, sizeof (f12));
  assert_bytes (build_flat (rg_kafka_build_fetch_error_response (4, 7,
              RG_KAFKA_FETCH_SESSION_ID_NOT_FOUND, NULL)), f7e, sizeof (f7e));
  fail_unless (rg_kafka_build_fetch_error_response (4, 6, 70,
          &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  g_clear_error (&error);
  assert_bytes (build_flat (rg_kafka_build_metadata_response (6, 12, &md,
              NULL)), m12, sizeof (m12));
}

GST_END_TEST;

/* --- Old message format (rgkafkalegacy.c) ------------------------------
 *
 * Two messages at offsets 5 and 6: a null key with value "a" (timestamp
 * 1700000000005 in v1), key "k" with value "bc" (1700000000006). Each is
 * int64 offset, int32 size, uint32 CRC-32 (IEEE; these values were
 * computed with zlib's crc32()), int8 magic, int8 attributes, [v1 int64
 * timestamp], BYTES key, BYTES value. */

#define MS_V0_A 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, \
  0x00, 0x00, 0x00, 0x0f, 0x51, 0xdf, 0x3a, 0x32, 0x00, 0x00, \
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 'a'
#define MS_V0_B 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, \
  0x00, 0x00, 0x00, 0x11, 0xca, 0x9b, 0xb3, 0xaa, 0x00, 0x00, \
  0x00, 0x00, 0x00, 0x01, 'k', 0x00, 0x00, 0x00, 0x02, 'b', 'c'

static const guint8 message_set_v0[] = { MS_V0_A, MS_V0_B };

static const guint8 message_set_v1[] = {
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
  0x00, 0x00, 0x00, 0x17, 0xa4, 0x9d, 0x64, 0x46, 0x01, 0x00,
  0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05,
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 'a',
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
  0x00, 0x00, 0x00, 0x19, 0x7a, 0x85, 0x54, 0x19, 0x01, 0x00,
  0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x06,
  0x00, 0x00, 0x00, 0x01, 'k', 0x00, 0x00, 0x00, 0x02, 'b', 'c'
};

/* The same two records as one RecordBatch v2 at base offset 5. */
static GByteArray *
legacy_batch (void)
{
  RgRecord records[2] = { {0,}, {0,} };

  records[0].timestamp = 1700000000005;
  records[0].value = (const guint8 *) "a";
  records[0].value_len = 1;
  records[1].timestamp = 1700000000006;
  records[1].key = (const guint8 *) "k";
  records[1].key_len = 1;
  records[1].value = (const guint8 *) "bc";
  records[1].value_len = 2;
  return rg_batch_encode (5, records, 2, NULL);
}

GST_START_TEST (test_legacy_down)
{
  GByteArray *batch = legacy_batch ();
  GBytes *set;
  gsize len;
  const guint8 *data;

  set = rg_kafka_legacy_from_batches (batch->data, batch->len, 1, NULL);
  data = g_bytes_get_data (set, &len);
  fail_unless_equals_int (len, sizeof (message_set_v1));
  fail_unless (memcmp (data, message_set_v1, len) == 0);
  g_bytes_unref (set);

  set = rg_kafka_legacy_from_batches (batch->data, batch->len, 0, NULL);
  data = g_bytes_get_data (set, &len);
  fail_unless_equals_int (len, sizeof (message_set_v0));
  fail_unless (memcmp (data, message_set_v0, len) == 0);
  g_bytes_unref (set);

  fail_unless_equals_int (rg_kafka_legacy_fetch_magic (0), 0);
  fail_unless_equals_int (rg_kafka_legacy_fetch_magic (1), 0);
  fail_unless_equals_int (rg_kafka_legacy_fetch_magic (2), 1);
  fail_unless_equals_int (rg_kafka_legacy_fetch_magic (3), 1);
  fail_unless_equals_int (rg_kafka_legacy_fetch_magic (4), 2);

  /* A corrupted batch is refused, not converted. */
  batch->data[batch->len - 1] ^= 0xff;
  fail_unless (rg_kafka_legacy_from_batches (batch->data, batch->len, 1,
          NULL) == NULL);
  g_byte_array_unref (batch);
}

GST_END_TEST;

static void
assert_legacy_records (GBytes * batch, gboolean timestamps)
{
  RgBatchReader reader;
  RgRecordView rec;
  gsize len;
  const guint8 *data = g_bytes_get_data (batch, &len);

  fail_unless (rg_batch_reader_init (&reader, data, len, NULL));
  fail_unless (rg_batch_reader_next (&reader, &rec, NULL));
  fail_unless (rec.offset == 0 && rec.key == NULL);
  fail_unless (rec.value_len == 1 && memcmp (rec.value, "a", 1) == 0);
  fail_unless (rec.timestamp == (timestamps ? 1700000000005 : -1));
  fail_unless (rg_batch_reader_next (&reader, &rec, NULL));
  fail_unless (rec.offset == 1 && rec.key_len == 1 && rec.key[0] == 'k');
  fail_unless (rec.value_len == 2 && memcmp (rec.value, "bc", 2) == 0);
  fail_unless (rec.timestamp == (timestamps ? 1700000000006 : -1));
  fail_if (rg_batch_reader_next (&reader, &rec, NULL));
}

GST_START_TEST (test_legacy_up)
{
  /* Magic 1, attributes 1 (gzip), a value that would be the compressed
   * inner set; CRC-32 from zlib. */
  static const guint8 gzip_message[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x81, 0x5b, 0xfb, 0xf5, 0x01, 0x01,
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x02, 'z', 'z'
  };
  guint8 bad[sizeof (message_set_v1)];
  GError *error = NULL;
  GBytes *out;

  out = rg_kafka_legacy_to_batch (message_set_v0, sizeof (message_set_v0),
      &error);
  g_assert_no_error (error);
  assert_legacy_records (out, FALSE);
  g_bytes_unref (out);
  out = rg_kafka_legacy_to_batch (message_set_v1, sizeof (message_set_v1),
      &error);
  g_assert_no_error (error);
  assert_legacy_records (out, TRUE);
  g_bytes_unref (out);

  /* A flipped value byte fails the CRC-32. */
  memcpy (bad, message_set_v1, sizeof (bad));
  bad[sizeof (bad) - 1] ^= 1;
  fail_unless (rg_kafka_legacy_to_batch (bad, sizeof (bad), &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);
  /* Cut in the middle of the second message, or empty. */
  fail_unless (rg_kafka_legacy_to_batch (message_set_v1,
          sizeof (message_set_v1) - 1, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);
  fail_unless (rg_kafka_legacy_to_batch (message_set_v1, 0, NULL) == NULL);
  /* A gzip wrapper message (attributes 1, valid CRC) is refused as a
   * format the converter does not handle, not as corrupt. */
  fail_unless (rg_kafka_legacy_to_batch (gzip_message, sizeof (gzip_message),
          &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  g_clear_error (&error);
}

GST_END_TEST;

/* --- Wire primitives (rgkafkawire.c), hand-built bytes --------------- */

static void
reader_on (RgKafkaReader * r, const guint8 * data, gsize len,
    GError ** error)
{
  rg_kafka_reader_init (r, data, len, error);
}

static void
assert_reader_error (RgKafkaReader * r, GError ** error, RgKafkaError code)
{
  fail_unless (r->failed);
  fail_unless (g_error_matches (*error, RG_KAFKA_ERROR, code),
      "expected error %d, got %s", code, *error ? (*error)->message : "none");
  g_clear_error (error);
}

GST_START_TEST (test_wire_uvarint)
{
  static const guint8 ok[] = { 0x00, 0x7f, 0x80, 0x01, 0xac, 0x02,
    0xff, 0xff, 0xff, 0xff, 0x0f
  };
  static const guint8 too_big[] = { 0xff, 0xff, 0xff, 0xff, 0x10 };
  static const guint8 too_long[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
  static const guint8 cut[] = { 0x80 };
  GError *error = NULL;
  RgKafkaReader r;

  reader_on (&r, ok, sizeof (ok), &error);
  fail_unless_equals_int (rg_kafka_read_uvarint (&r, "a"), 0);
  fail_unless_equals_int (rg_kafka_read_uvarint (&r, "b"), 127);
  fail_unless_equals_int (rg_kafka_read_uvarint (&r, "c"), 128);
  fail_unless_equals_int (rg_kafka_read_uvarint (&r, "d"), 300);
  fail_unless (rg_kafka_read_uvarint (&r, "e") == G_MAXUINT32);
  fail_unless (rg_kafka_reader_finish (&r, "uvarints"));
  g_assert_no_error (error);

  reader_on (&r, too_big, sizeof (too_big), &error);
  fail_unless_equals_int (rg_kafka_read_uvarint (&r, "x"), 0);
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_MALFORMED);
  reader_on (&r, too_long, sizeof (too_long), &error);
  rg_kafka_read_uvarint (&r, "x");
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_MALFORMED);
  reader_on (&r, cut, sizeof (cut), &error);
  rg_kafka_read_uvarint (&r, "x");
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_TRUNCATED);
  /* Sticky: after a failure reads return zero and do not move. */
  fail_unless_equals_int (rg_kafka_read_int8 (&r, "y"), 0);
  fail_unless (error == NULL);
}

GST_END_TEST;

GST_START_TEST (test_wire_varint)
{
  /* Zigzag: 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, 150 -> 300 (0xac 0x02). */
  static const guint8 ints[] = { 0x00, 0x01, 0x02, 0x03, 0xac, 0x02,
    0xff, 0xff, 0xff, 0xff, 0x0f
  };
  /* G_MININT64 is zigzag 2^64 - 1: nine 0xff and 0x01. */
  static const guint8 longs[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0x01
  };
  RgKafkaReader r;
  RgKafkaResponse *resp;
  GByteArray *out;

  reader_on (&r, ints, sizeof (ints), NULL);
  fail_unless_equals_int (rg_kafka_read_varint (&r, "a"), 0);
  fail_unless_equals_int (rg_kafka_read_varint (&r, "b"), -1);
  fail_unless_equals_int (rg_kafka_read_varint (&r, "c"), 1);
  fail_unless_equals_int (rg_kafka_read_varint (&r, "d"), -2);
  fail_unless_equals_int (rg_kafka_read_varint (&r, "e"), 150);
  fail_unless_equals_int (rg_kafka_read_varint (&r, "f"), G_MININT32);
  fail_unless (rg_kafka_reader_finish (&r, "varints"));
  reader_on (&r, longs, sizeof (longs), NULL);
  fail_unless (rg_kafka_read_varlong (&r, "g") == G_MININT64);
  fail_unless (rg_kafka_reader_finish (&r, "varlong"));

  /* The writer produces the same bytes. */
  resp = rg_kafka_response_new (0, RG_KAFKA_RESPONSE_HEADER_V0, FALSE);
  rg_kafka_put_varint (resp, 0);
  rg_kafka_put_varint (resp, -1);
  rg_kafka_put_varint (resp, 1);
  rg_kafka_put_varint (resp, -2);
  rg_kafka_put_varint (resp, 150);
  rg_kafka_put_varint (resp, G_MININT32);
  rg_kafka_put_varlong (resp, G_MININT64);
  resp = rg_kafka_response_finish (resp, NULL);
  out = rg_kafka_response_flatten (resp);
  fail_unless_equals_int (out->len, 8 + sizeof (ints) + sizeof (longs));
  fail_unless (memcmp (out->data + 8, ints, sizeof (ints)) == 0);
  fail_unless (memcmp (out->data + 8 + sizeof (ints), longs,
          sizeof (longs)) == 0);
  g_byte_array_unref (out);
  rg_kafka_response_free (resp);
}

GST_END_TEST;

GST_START_TEST (test_wire_compact_types)
{
  static const guint8 data[] = {
    0x00,                       /* null compact string */
    0x01,                       /* empty compact string */
    0x04, 'a', 'b', 'c',        /* "abc" */
    0x00,                       /* null compact array */
    0x03,                       /* compact array of 2 */
    0x03, 0x01, 0x02,           /* compact bytes of 2 */
    0xff, 0xfe,                 /* classic string of length -2 */
  };
  static const guint8 null_string[] = { 0x00 };
  static const guint8 absurd[] = { 0xff, 0xff, 0x03, 0x00 };
  GError *error = NULL;
  RgKafkaReader r;
  const guint8 *bytes;
  gint32 len;
  gsize pos;

  reader_on (&r, data, sizeof (data), &error);
  r.flexible = TRUE;
  fail_unless (rg_kafka_read_str (&r, TRUE, "a").len == -1);
  assert_str (rg_kafka_read_str (&r, FALSE, "b"), "");
  assert_str (rg_kafka_read_str (&r, FALSE, "c"), "abc");
  fail_unless_equals_int (rg_kafka_read_array_count (&r, TRUE, 1, "d"), -1);
  fail_unless_equals_int (rg_kafka_read_array_count (&r, FALSE, 1, "e"), 2);
  bytes = rg_kafka_read_bytes (&r, FALSE, &len, &pos, "f");
  fail_unless_equals_int (len, 2);
  fail_unless_equals_int (pos, 9);
  fail_unless (bytes == data + 9);
  g_assert_no_error (error);
  rg_kafka_read_string (&r, TRUE, "g");
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_MALFORMED);

  reader_on (&r, null_string, sizeof (null_string), &error);
  r.flexible = TRUE;
  rg_kafka_read_str (&r, FALSE, "not nullable");
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_MALFORMED);

  /* A compact array of 49150 elements in four bytes fails before any
   * element is read (or allocated). */
  reader_on (&r, absurd, sizeof (absurd), &error);
  r.flexible = TRUE;
  fail_unless_equals_int (rg_kafka_read_array_count (&r, FALSE, 1, "x"), 0);
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_MALFORMED);
}

GST_END_TEST;

static void
collect_tag (guint32 tag, RgKafkaReader * field, gpointer user_data)
{
  GString *seen = user_data;

  /* Tag 5 is "known": read its int16; tag 0 is left unread (skipped). */
  if (tag == 5)
    g_string_append_printf (seen, "5=%d;", rg_kafka_read_int16 (field,
            "t5"));
  else
    g_string_append_printf (seen, "%u;", tag);
}

GST_START_TEST (test_wire_tags)
{
  static const guint8 tags[] = { 0x02, 0x00, 0x01, 'x', 0x05, 0x02, 0x01,
    0x02, 0x7e
  };
  static const guint8 descending[] = { 0x02, 0x05, 0x00, 0x01, 0x00 };
  static const guint8 overrun[] = { 0x01, 0x00, 0x05, 'x' };
  static const guint8 short_field[] = { 0x01, 0x05, 0x01, 0x01 };
  GString *seen = g_string_new (NULL);
  GError *error = NULL;
  RgKafkaReader r;

  reader_on (&r, tags, sizeof (tags), &error);
  rg_kafka_read_tags_with (&r, collect_tag, seen);
  fail_unless_equals_string (seen->str, "0;5=258;");
  fail_unless_equals_int (rg_kafka_read_int8 (&r, "after"), 0x7e);
  fail_unless (rg_kafka_reader_finish (&r, "tags"));

  /* rg_kafka_read_tags() skips the section only when flexible. */
  reader_on (&r, tags, sizeof (tags), &error);
  rg_kafka_read_tags (&r);
  fail_unless_equals_int (r.pos, 0);
  r.flexible = TRUE;
  rg_kafka_read_tags (&r);
  fail_unless_equals_int (r.pos, sizeof (tags) - 1);
  g_assert_no_error (error);

  reader_on (&r, descending, sizeof (descending), &error);
  rg_kafka_read_tags_with (&r, NULL, NULL);
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_MALFORMED);
  reader_on (&r, overrun, sizeof (overrun), &error);
  rg_kafka_read_tags_with (&r, NULL, NULL);
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_TRUNCATED);
  /* A known field shorter than its content fails the outer reader. */
  reader_on (&r, short_field, sizeof (short_field), &error);
  rg_kafka_read_tags_with (&r, collect_tag, seen);
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_TRUNCATED);
  g_string_free (seen, TRUE);
}

GST_END_TEST;

/* Metadata v9 (flexible): header v2 = header v1 fields, client id still a
 * classic STRING, then a tag section; the body in compact encodings. */
static const guint8 header_v2[] = { 0x00, 0x03, 0x00, 0x09, 0x00, 0x00,
  0x00, 0x2a, 0x00, 0x03, 'a', 'b', 'c',
  0x01, 0x00, 0x01, 'z',        /* header tags: one field, tag 0, 1 byte */
  0x03, 'c', 'a'                /* compact string "ca" */
};

GST_START_TEST (test_wire_request_header)
{
  RgKafkaRequestHeader h = { 0, };
  GError *error = NULL;
  RgKafkaReader r;

  reader_on (&r, header_v2, sizeof (header_v2), &error);
  fail_unless (rg_kafka_read_request_header (&r, 9, &h));
  fail_unless_equals_int (h.api_key, 3);
  fail_unless_equals_int (h.api_version, 9);
  fail_unless_equals_int (h.correlation_id, 42);
  assert_str (h.client_id, "abc");
  fail_unless (r.flexible);
  assert_str (rg_kafka_read_str (&r, FALSE, "topic"), "ca");
  fail_unless (rg_kafka_reader_finish (&r, "request"));

  /* Not flexible below the first flexible version: no tag section. */
  reader_on (&r, header_v2, sizeof (header_v2), &error);
  fail_unless (rg_kafka_read_request_header (&r, 10, &h));
  fail_if (r.flexible);
  fail_unless_equals_int (r.pos, 13);
  fail_if (rg_kafka_reader_finish (&r, "request"));
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);

  /* The header's tag section cut short: its one field lacks its byte. */
  reader_on (&r, header_v2, 16, &error);
  fail_if (rg_kafka_read_request_header (&r, 9, &h));
  assert_reader_error (&r, &error, RG_KAFKA_ERROR_TRUNCATED);
}

GST_END_TEST;

static GByteArray *
finish_flat (RgKafkaResponse * resp)
{
  GError *error = NULL;
  GByteArray *out;

  resp = rg_kafka_response_finish (resp, &error);
  g_assert_no_error (error);
  out = rg_kafka_response_flatten (resp);
  rg_kafka_response_free (resp);
  return out;
}

GST_START_TEST (test_wire_response_header)
{
  static const guint8 v1[] = { 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00,
    0x07, 0x00,                 /* correlation id 7, empty header tags */
    0x04, 'a', 'b', 'c',        /* compact string */
    0x00,                       /* null compact array */
    0x00                        /* body tags */
  };
  static const guint8 v0[] = { 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00,
    0x07, 0x00, 0x03, 'a', 'b', 'c', 0xff, 0xff, 0xff, 0xff
  };
  RgKafkaResponse *resp;
  GByteArray *out;

  resp = rg_kafka_response_new_for (7, 9, 9);
  fail_unless (rg_kafka_response_is_flexible (resp));
  rg_kafka_put_str (resp, rg_kafka_str_from_cstr ("abc"), FALSE, "s");
  rg_kafka_put_array_count (resp, -1);
  rg_kafka_put_tags (resp);
  out = finish_flat (resp);
  fail_unless_equals_int (out->len, sizeof (v1));
  fail_unless (memcmp (out->data, v1, sizeof (v1)) == 0);
  g_byte_array_unref (out);

  /* The same calls below the first flexible version: header v0, classic
   * encodings and no tag sections. */
  resp = rg_kafka_response_new_for (7, 9, 8);
  fail_if (rg_kafka_response_is_flexible (resp));
  rg_kafka_put_str (resp, rg_kafka_str_from_cstr ("abc"), FALSE, "s");
  rg_kafka_put_array_count (resp, -1);
  rg_kafka_put_tags (resp);
  out = finish_flat (resp);
  fail_unless_equals_int (out->len, sizeof (v0));
  fail_unless (memcmp (out->data, v0, sizeof (v0)) == 0);
  g_byte_array_unref (out);
}

GST_END_TEST;

GST_START_TEST (test_wire_put_tagged_fields)
{
  static const guint8 expected[] = { 0x00, 0x00, 0x00, 0x0d, 0x00, 0x00,
    0x00, 0x01, 0x02, 0x00, 0x01, 'x', 0x81, 0x01, 0x02, 'y', 'z'
  };
  const RgKafkaTaggedField fields[] = {
    {0, (const guint8 *) "x", 1}, {129, (const guint8 *) "yz", 2},
  };
  const RgKafkaTaggedField unordered[] = {
    {3, (const guint8 *) "x", 1}, {3, (const guint8 *) "y", 1},
  };
  RgKafkaResponse *resp;
  GError *error = NULL;
  GByteArray *out;

  resp = rg_kafka_response_new (1, RG_KAFKA_RESPONSE_HEADER_V0, TRUE);
  rg_kafka_put_tagged_fields (resp, fields, G_N_ELEMENTS (fields));
  out = finish_flat (resp);
  fail_unless_equals_int (out->len, sizeof (expected));
  fail_unless (memcmp (out->data, expected, sizeof (expected)) == 0);
  g_byte_array_unref (out);

  resp = rg_kafka_response_new (1, RG_KAFKA_RESPONSE_HEADER_V1, TRUE);
  rg_kafka_put_tagged_fields (resp, unordered, G_N_ELEMENTS (unordered));
  fail_unless (rg_kafka_response_finish (resp, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);

  /* A null string where the field forbids it fails the whole response. */
  resp = rg_kafka_response_new (1, RG_KAFKA_RESPONSE_HEADER_V1, TRUE);
  rg_kafka_put_str (resp, RG_KAFKA_STR_NULL, FALSE, "name");
  rg_kafka_put_int32 (resp, 5);
  fail_unless (rg_kafka_response_finish (resp, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);
}

GST_END_TEST;

/* A body parser of another module: FindCoordinator v3 (flexible), key
 * COMPACT_STRING, key type int8, tags. */
typedef struct
{
  gchar *key;
  gint8 key_type;
} CoordinatorBody;

static gint other_freed;

static void
free_coordinator_body (gpointer body)
{
  CoordinatorBody *b = body;

  other_freed++;
  g_free (b->key);
  g_free (b);
}

static gpointer
parse_coordinator_body (RgKafkaReader * r, gint16 version)
{
  CoordinatorBody *b = g_new0 (CoordinatorBody, 1);

  fail_unless_equals_int (version, 3);
  fail_unless (r->flexible);
  b->key = rg_kafka_str_dup (rg_kafka_read_str (r, FALSE, "key"));
  b->key_type = rg_kafka_read_int8 (r, "key type");
  rg_kafka_read_tags (r);
  return b;
}

GST_START_TEST (test_wire_parse_other)
{
  static const guint8 frame[] = { 0x00, 0x0a, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x05, 0xff, 0xff, 0x00, 0x03, 'g', '1', 0x00, 0x00, 0x99
  };
  RgKafkaRequestHeader h = { 0, };
  RgKafkaRequest *req;
  CoordinatorBody *b;
  GError *error = NULL;

  other_freed = 0;
  req = rg_kafka_request_parse_other (frame, sizeof (frame) - 1, 3,
      parse_coordinator_body, free_coordinator_body, &h, &error);
  g_assert_no_error (error);
  fail_unless_equals_int (h.api_key, 10);
  fail_unless_equals_int (h.correlation_id, 5);
  fail_unless (h.client_id.len == -1);
  b = req->body.other.body;
  fail_unless_equals_string (b->key, "g1");
  fail_unless_equals_int (b->key_type, 0);
  rg_kafka_request_free (req);
  fail_unless_equals_int (other_freed, 1);

  /* A byte left over: refused, and the parsed body freed. */
  fail_unless (rg_kafka_request_parse_other (frame, sizeof (frame), 3,
          parse_coordinator_body, free_coordinator_body, NULL,
          &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED));
  g_clear_error (&error);
  fail_unless_equals_int (other_freed, 2);
}

GST_END_TEST;

static Suite *
kafka_suite (void)
{
  Suite *s = suite_create ("kafka");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_api_versions_request);
  tcase_add_test (tc, test_metadata_request);
  tcase_add_test (tc, test_produce_request);
  tcase_add_test (tc, test_list_offsets_request);
  tcase_add_test (tc, test_fetch_request);
  tcase_add_test (tc, test_absurd_counts);
  tcase_add_test (tc, test_unsupported);
  tcase_add_test (tc, test_frame_length);
  tcase_add_test (tc, test_version_table);
  tcase_add_test (tc, test_corpus_parses);
  tcase_add_test (tc, test_corpus_truncations);
  tcase_add_test (tc, test_corpus_mutations);
  tcase_add_test (tc, test_api_versions_response);
  tcase_add_test (tc, test_metadata_response);
  tcase_add_test (tc, test_produce_list_offsets_response);
  tcase_add_test (tc, test_fetch_response_zero_copy);
  tcase_add_test (tc, test_fetch_response_too_large);
  tcase_add_test (tc, test_produce_request_versions);
  tcase_add_test (tc, test_fetch_request_versions);
  tcase_add_test (tc, test_list_offsets_metadata_request_versions);
  tcase_add_test (tc, test_produce_list_offsets_response_versions);
  tcase_add_test (tc, test_fetch_metadata_response_versions);
  tcase_add_test (tc, test_legacy_down);
  tcase_add_test (tc, test_legacy_up);
  tcase_add_test (tc, test_wire_uvarint);
  tcase_add_test (tc, test_wire_varint);
  tcase_add_test (tc, test_wire_compact_types);
  tcase_add_test (tc, test_wire_tags);
  tcase_add_test (tc, test_wire_request_header);
  tcase_add_test (tc, test_wire_response_header);
  tcase_add_test (tc, test_wire_put_tagged_fields);
  tcase_add_test (tc, test_wire_parse_other);
  return s;
}

GST_CHECK_MAIN (kafka);
