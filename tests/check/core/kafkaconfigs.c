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

/* The codec of the config apis (gst/kafka/rgkafkaconfigs.c), without a
 * broker: requests of every version of DescribeConfigs (0-4), AlterConfigs
 * (0-2) and IncrementalAlterConfigs (0-1), encoded here by hand from
 * Kafka's specs, parse into the fields they carry, and every truncation of
 * them fails cleanly; responses of every version decode field by field to
 * what was built, to their last byte; CreateTopics v5 lists configs. */

#include <gst/check/gstcheck.h>

#include <string.h>

#include "kafka/rgkafkaadmin.h"
#include "kafka/rgkafkaconfigs.h"

/* ---- Encoding ---- */

static void
put8 (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static void
put16 (GByteArray * b, gint16 v)
{
  put8 (b, (guint16) v >> 8);
  put8 (b, v & 0xff);
}

static void
put32 (GByteArray * b, gint32 v)
{
  put16 (b, (guint32) v >> 16);
  put16 (b, v & 0xffff);
}

static void
put_str (GByteArray * b, gboolean flex, const gchar * s)
{
  gsize len = s ? strlen (s) : 0;

  if (flex)
    put8 (b, s ? len + 1 : 0);
  else
    put16 (b, s ? (gint16) len : -1);
  if (s)
    g_byte_array_append (b, (const guint8 *) s, len);
}

static void
put_count (GByteArray * b, gboolean flex, gint n)
{
  if (flex)
    put8 (b, n + 1);
  else
    put32 (b, n);
}

static void
put_tags (GByteArray * b, gboolean flex)
{
  if (flex)
    put8 (b, 0);
}

/* A frame (without its size prefix): header v1, or v2 when flexible. */
static GByteArray *
frame_new (gint16 key, gint16 version, gboolean flex)
{
  GByteArray *b = g_byte_array_new ();

  put16 (b, key);
  put16 (b, version);
  put32 (b, 77);
  put_str (b, FALSE, "codec");
  put_tags (b, flex);
  return b;
}

/* Parses @b; then checks that every shorter prefix of it fails. */
static RgKafkaRequest *
parse_all_ways (GByteArray * b, gint16 first_flexible,
    RgKafkaBodyParseFunc parse, GDestroyNotify free_body)
{
  RgKafkaRequest *req;
  GError *error = NULL;
  guint cut;

  req = rg_kafka_request_parse_other (b->data, b->len, first_flexible, parse,
      free_body, NULL, &error);
  fail_unless (req != NULL, "%s", error ? error->message : "?");
  fail_unless_equals_int (req->header.correlation_id, 77);
  for (cut = 0; cut < b->len; cut++) {
    RgKafkaRequest *bad = rg_kafka_request_parse_other (b->data, cut,
        first_flexible, parse, free_body, NULL, &error);

    fail_unless (bad == NULL, "a %u-byte prefix of %u parsed", cut, b->len);
    g_clear_error (&error);
  }
  return req;
}

static void
expect_str (RgKafkaStr s, const gchar * expected)
{
  fail_unless (rg_kafka_str_equal (s, expected), "got %.*s, expected %s",
      (int) MAX (s.len, 0), s.data, expected ? expected : "(null)");
}

/* ---- Decoding ---- */

typedef struct
{
  const guint8 *p, *end;
  gboolean flex;
} Reader;

static gint64
get (Reader * r, guint n)
{
  gint64 v = 0;
  guint i;

  fail_unless (r->p + n <= r->end);
  for (i = 0; i < n; i++)
    v = (v << 8) | *r->p++;
  /* Sign-extend. */
  if (n < 8 && (v >> (8 * n - 1)) & 1)
    v -= (gint64) 1 << (8 * n);
  return v;
}

static gint
get_count (Reader * r)
{
  return r->flex ? (gint) (get (r, 1) & 0xff) - 1 : (gint) get (r, 4);
}

static void
expect_rstr (Reader * r, const gchar * expected)
{
  gint len = r->flex ? (gint) (get (r, 1) & 0xff) - 1 : (gint) get (r, 2);

  if (!expected) {
    fail_unless_equals_int (len, -1);
    return;
  }
  fail_unless_equals_int (len, strlen (expected));
  fail_unless (r->p + len <= r->end && memcmp (r->p, expected, len) == 0);
  r->p += len;
}

static void
expect_tags (Reader * r)
{
  if (r->flex)
    fail_unless_equals_int (get (r, 1), 0);
}

/* Starts reading a built response: size, correlation id, header tags. */
static GByteArray *
response_bytes (RgKafkaResponse * resp, gboolean flex, Reader * r)
{
  GByteArray *bytes;

  fail_unless (resp != NULL);
  bytes = rg_kafka_response_flatten (resp);
  rg_kafka_response_free (resp);
  r->p = bytes->data;
  r->end = bytes->data + bytes->len;
  r->flex = flex;
  fail_unless_equals_int64 (get (r, 4), bytes->len - 4);
  fail_unless_equals_int64 (get (r, 4), 9);
  expect_tags (r);
  return bytes;
}

/* ---- Tests ---- */

GST_START_TEST (test_describe_request_versions)
{
  gint16 v;

  for (v = 0; v <= RG_KAFKA_DESCRIBE_CONFIGS_MAX_VERSION; v++) {
    gboolean flex = v >= RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE;
    GByteArray *b = frame_new (RG_KAFKA_CONFIGS_API_DESCRIBE, v, flex);
    const RgKafkaDescribeConfigsRequest *dc;
    RgKafkaRequest *req;

    put_count (b, flex, 2);
    put8 (b, RG_KAFKA_CONFIG_RESOURCE_TOPIC);
    put_str (b, flex, "topic-a");
    put_count (b, flex, 2);
    put_str (b, flex, "max.message.bytes");
    put_str (b, flex, "segment.bytes");
    put_tags (b, flex);
    put8 (b, RG_KAFKA_CONFIG_RESOURCE_BROKER);
    put_str (b, flex, "0");
    put_count (b, flex, -1);
    put_tags (b, flex);
    if (v >= 1)
      put8 (b, 1);
    if (v >= 3)
      put8 (b, 1);
    put_tags (b, flex);

    req = parse_all_ways (b, RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE,
        rg_kafka_parse_describe_configs,
        rg_kafka_describe_configs_request_free);
    dc = req->body.other.body;
    fail_unless_equals_int (dc->n_resources, 2);
    fail_unless_equals_int (dc->resources[0].type, RG_KAFKA_CONFIG_RESOURCE_TOPIC);
    expect_str (dc->resources[0].name, "topic-a");
    fail_unless (!dc->resources[0].all_keys);
    fail_unless_equals_int (dc->resources[0].n_keys, 2);
    expect_str (dc->resources[0].keys[1], "segment.bytes");
    fail_unless_equals_int (dc->resources[1].type, RG_KAFKA_CONFIG_RESOURCE_BROKER);
    fail_unless (dc->resources[1].all_keys);
    fail_unless_equals_int (dc->include_synonyms, v >= 1);
    fail_unless_equals_int (dc->include_documentation, v >= 3);
    rg_kafka_request_free (req);
    g_byte_array_unref (b);
  }
}

GST_END_TEST;

static void
check_alter_request (gboolean incremental, gint16 v)
{
  gint16 first_flexible = incremental ?
      RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_FIRST_FLEXIBLE :
      RG_KAFKA_ALTER_CONFIGS_FIRST_FLEXIBLE;
  gboolean flex = v >= first_flexible;
  GByteArray *b = frame_new (incremental ? 44 : 33, v, flex);
  const RgKafkaAlterConfigsRequest *ac;
  RgKafkaRequest *req;

  put_count (b, flex, 1);
  put8 (b, RG_KAFKA_CONFIG_RESOURCE_TOPIC);
  put_str (b, flex, "topic-b");
  put_count (b, flex, 2);
  put_str (b, flex, "retention.ms");
  if (incremental)
    put8 (b, RG_KAFKA_CONFIG_OP_SET);
  put_str (b, flex, "1000");
  put_tags (b, flex);
  put_str (b, flex, "flush.ms");
  if (incremental)
    put8 (b, RG_KAFKA_CONFIG_OP_DELETE);
  put_str (b, flex, NULL);
  put_tags (b, flex);
  put_tags (b, flex);
  put8 (b, 1);                     /* validate only */
  put_tags (b, flex);

  req = parse_all_ways (b, first_flexible, incremental ?
      rg_kafka_parse_incremental_alter_configs : rg_kafka_parse_alter_configs,
      rg_kafka_alter_configs_request_free);
  ac = req->body.other.body;
  fail_unless_equals_int (ac->incremental, incremental);
  fail_unless (ac->validate_only);
  fail_unless_equals_int (ac->n_resources, 1);
  expect_str (ac->resources[0].name, "topic-b");
  fail_unless_equals_int (ac->resources[0].n_configs, 2);
  expect_str (ac->resources[0].configs[0].name, "retention.ms");
  expect_str (ac->resources[0].configs[0].value, "1000");
  fail_unless_equals_int (ac->resources[0].configs[0].operation,
      RG_KAFKA_CONFIG_OP_SET);
  fail_unless (ac->resources[0].configs[1].value.len < 0);
  fail_unless_equals_int (ac->resources[0].configs[1].operation,
      incremental ? RG_KAFKA_CONFIG_OP_DELETE : RG_KAFKA_CONFIG_OP_SET);
  rg_kafka_request_free (req);
  g_byte_array_unref (b);
}

GST_START_TEST (test_alter_request_versions)
{
  gint16 v;

  for (v = 0; v <= RG_KAFKA_ALTER_CONFIGS_MAX_VERSION; v++)
    check_alter_request (FALSE, v);
  for (v = 0; v <= RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX_VERSION; v++)
    check_alter_request (TRUE, v);
}

GST_END_TEST;

static const RgKafkaConfigEntry entries[] = {
  {"max.message.bytes", "2000", FALSE, RG_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC,
      FALSE, RG_KAFKA_CONFIG_TYPE_INT, "The largest batch"},
  {"cleanup.policy", "delete", TRUE, RG_KAFKA_CONFIG_SOURCE_DEFAULT, FALSE,
      RG_KAFKA_CONFIG_TYPE_LIST, NULL},
};

GST_START_TEST (test_describe_response_versions)
{
  RgKafkaDescribeConfigsResult results[2] = {
    {0, NULL, RG_KAFKA_CONFIG_RESOURCE_TOPIC, {"t", 1}, entries, 2},
    {3, "no such topic", RG_KAFKA_CONFIG_RESOURCE_TOPIC, {"u", 1},
        NULL, 0},
  };
  gint16 v;

  for (v = 0; v <= RG_KAFKA_DESCRIBE_CONFIGS_MAX_VERSION; v++) {
    gboolean flex = v >= RG_KAFKA_DESCRIBE_CONFIGS_FIRST_FLEXIBLE;
    GError *error = NULL;
    GByteArray *bytes;
    Reader r;
    guint i;

    bytes = response_bytes (rg_kafka_build_describe_configs_response (9, v,
            5, results, 2, TRUE, TRUE, &error), flex, &r);
    fail_unless_equals_int (get (&r, 4), 5);
    fail_unless_equals_int (get_count (&r), 2);
    fail_unless_equals_int (get (&r, 2), 0);
    expect_rstr (&r, NULL);
    fail_unless_equals_int (get (&r, 1), RG_KAFKA_CONFIG_RESOURCE_TOPIC);
    expect_rstr (&r, "t");
    fail_unless_equals_int (get_count (&r), 2);
    for (i = 0; i < 2; i++) {
      const RgKafkaConfigEntry *e = &entries[i];

      expect_rstr (&r, e->name);
      expect_rstr (&r, e->value);
      fail_unless_equals_int (get (&r, 1), e->read_only);
      /* v0: IsDefault; v1+: ConfigSource. */
      fail_unless_equals_int (get (&r, 1), v == 0 ?
          e->source == RG_KAFKA_CONFIG_SOURCE_DEFAULT : e->source);
      fail_unless_equals_int (get (&r, 1), 0);
      if (v >= 1) {
        fail_unless_equals_int (get_count (&r), 1);
        expect_rstr (&r, e->name);
        expect_rstr (&r, e->value);
        fail_unless_equals_int (get (&r, 1), e->source);
        expect_tags (&r);
      }
      if (v >= 3) {
        fail_unless_equals_int (get (&r, 1), e->type);
        expect_rstr (&r, e->documentation);
      }
      expect_tags (&r);
    }
    expect_tags (&r);
    fail_unless_equals_int (get (&r, 2), 3);
    expect_rstr (&r, "no such topic");
    fail_unless_equals_int (get (&r, 1), RG_KAFKA_CONFIG_RESOURCE_TOPIC);
    expect_rstr (&r, "u");
    fail_unless_equals_int (get_count (&r), 0);
    expect_tags (&r);
    expect_tags (&r);
    fail_unless (r.p == r.end);
    g_byte_array_unref (bytes);
  }
}

GST_END_TEST;

GST_START_TEST (test_alter_response_versions)
{
  RgKafkaAlterConfigsResult results[2] = {
    {0, NULL, RG_KAFKA_CONFIG_RESOURCE_BROKER, {"0", 1}},
    {40, "Unknown topic config name: x", RG_KAFKA_CONFIG_RESOURCE_TOPIC,
        {"t", 1}},
  };
  gint inc;

  for (inc = 0; inc <= 1; inc++) {
    gint16 v, max = inc ? RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_MAX_VERSION :
        RG_KAFKA_ALTER_CONFIGS_MAX_VERSION;
    GError *error = NULL;

    for (v = 0; v <= max; v++) {
      gboolean flex = v >= (inc ?
          RG_KAFKA_INCREMENTAL_ALTER_CONFIGS_FIRST_FLEXIBLE :
          RG_KAFKA_ALTER_CONFIGS_FIRST_FLEXIBLE);
      GByteArray *bytes;
      Reader r;

      bytes = response_bytes (rg_kafka_build_alter_configs_response (9, inc,
              v, 0, results, 2, &error), flex, &r);
      fail_unless_equals_int (get (&r, 4), 0);
      fail_unless_equals_int (get_count (&r), 2);
      fail_unless_equals_int (get (&r, 2), 0);
      expect_rstr (&r, NULL);
      fail_unless_equals_int (get (&r, 1), RG_KAFKA_CONFIG_RESOURCE_BROKER);
      expect_rstr (&r, "0");
      expect_tags (&r);
      fail_unless_equals_int (get (&r, 2), 40);
      expect_rstr (&r, "Unknown topic config name: x");
      fail_unless_equals_int (get (&r, 1), RG_KAFKA_CONFIG_RESOURCE_TOPIC);
      expect_rstr (&r, "t");
      expect_tags (&r);
      expect_tags (&r);
      fail_unless (r.p == r.end);
      g_byte_array_unref (bytes);
    }
    /* One past the range is refused, not built wrong. */
    fail_unless (rg_kafka_build_alter_configs_response (9, inc, max + 1, 0,
            results, 2, &error) == NULL);
    fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
            RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
    /* The message names the api the caller asked for. */
    fail_unless (g_str_has_prefix (error->message, inc ?
            "IncrementalAlterConfigs v" : "AlterConfigs v"), "%s",
        error->message);
    g_clear_error (&error);
    fail_unless (rg_kafka_build_alter_configs_response (9, inc, -1, 0,
            results, 2, &error) == NULL);
    fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
            RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
    g_clear_error (&error);
  }
}

GST_END_TEST;

GST_START_TEST (test_create_topics_v5_configs)
{
  RgKafkaCreatableTopicResult t = { {"t", 1}, 0,
    RG_KAFKA_STR_NULL, 1, 1, entries, 2
  };
  GError *error = NULL;
  GByteArray *bytes;
  Reader r;
  guint i;

  bytes = response_bytes (rg_kafka_build_create_topics_response (9, 5, 0, &t,
          1, &error), TRUE, &r);
  fail_unless_equals_int (get (&r, 4), 0);
  fail_unless_equals_int (get_count (&r), 1);
  expect_rstr (&r, "t");
  fail_unless_equals_int (get (&r, 2), 0);
  expect_rstr (&r, NULL);
  fail_unless_equals_int (get (&r, 4), 1);
  fail_unless_equals_int (get (&r, 2), 1);
  fail_unless_equals_int (get_count (&r), 2);
  for (i = 0; i < 2; i++) {
    expect_rstr (&r, entries[i].name);
    expect_rstr (&r, entries[i].value);
    fail_unless_equals_int (get (&r, 1), entries[i].read_only);
    fail_unless_equals_int (get (&r, 1), entries[i].source);
    fail_unless_equals_int (get (&r, 1), 0);
    expect_tags (&r);
  }
  expect_tags (&r);
  expect_tags (&r);
  fail_unless (r.p == r.end);
  g_byte_array_unref (bytes);
}

GST_END_TEST;

static Suite *
kafkaconfigs_suite (void)
{
  Suite *s = suite_create ("kafkaconfigs");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_describe_request_versions);
  tcase_add_test (tc, test_alter_request_versions);
  tcase_add_test (tc, test_describe_response_versions);
  tcase_add_test (tc, test_alter_response_versions);
  tcase_add_test (tc, test_create_topics_v5_configs);
  return s;
}

GST_CHECK_MAIN (kafkaconfigs);
