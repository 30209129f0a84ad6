/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Prints rgkafkaoffsets' encodings of a fixed set of __consumer_offsets
 * keys and values, one "name hex" line each, for offsets_compat.py to
 * compare with its own encoder. The inputs are written down twice, here
 * and in offsets_compat.py; change both together. */

#include <string.h>
#include <stdio.h>

#include "kafka/rgkafkaoffsets.h"

static void
print_hex (const gchar * name, GByteArray * out)
{
  guint i;

  printf ("%s ", name);
  for (i = 0; i < out->len; i++)
    printf ("%02x", out->data[i]);
  printf ("\n");
  g_byte_array_set_size (out, 0);
}

static void
dump_keys (GByteArray * out)
{
  RgKafkaOffsetsKey key = { 0, RG_KAFKA_STR_NULL, RG_KAFKA_STR_NULL, 0 };
  gchar *name;

  key.group = rg_kafka_str_from_cstr ("console-consumer-4711");
  key.topic = rg_kafka_str_from_cstr ("camera.front");
  for (key.version = 0; key.version <= 2; key.version++) {
    key.partition = 2147483647 - key.version;
    g_assert (rg_kafka_offsets_key_encode (&key, out, NULL));
    name = g_strdup_printf ("key-v%d", key.version);
    print_hex (name, out);
    g_free (name);
  }
}

static void
dump_commits (GByteArray * out)
{
  RgKafkaOffsetCommitValue value = { 0 };
  gchar *name;

  value.offset = G_GINT64_CONSTANT (81985529216486895);
  value.leader_epoch = 12;
  value.metadata = rg_kafka_str_from_cstr ("snapshot \xc3\xa9t\xc3\xa9");
  value.commit_timestamp = G_GINT64_CONSTANT (1764931200000);
  value.expire_timestamp = G_GINT64_CONSTANT (1765536000000);
  for (value.version = 0; value.version <= 3; value.version++) {
    g_assert (rg_kafka_offset_commit_value_encode (&value, out, NULL));
    name = g_strdup_printf ("commit-v%d", value.version);
    print_hex (name, out);
    g_free (name);
  }
}

static void
dump_groups (GByteArray * out)
{
  static const guint8 sub[] = { 0, 1, 0, 0, 0, 1, 0, 5, 'v', 'i', 'd', 'e',
    'o', 0xff, 0xff, 0xff, 0xff
  };
  static const guint8 assign[] = { 0, 1, 0, 0, 0, 0 };
  RgKafkaGroupMemberMetadata members[2];
  RgKafkaGroupMetadataValue value = { 0 };
  gchar *name;
  guint i;

  memset (members, 0, sizeof (members));
  for (i = 0; i < 2; i++) {
    members[i].member_id = rg_kafka_str_from_cstr (i == 0 ?
        "rdkafka-0b7a" : "rdkafka-91cc");
    members[i].group_instance_id = i == 0 ?
        rg_kafka_str_from_cstr ("cam-1") : RG_KAFKA_STR_NULL;
    members[i].client_id = rg_kafka_str_from_cstr ("rdkafka");
    members[i].client_host = rg_kafka_str_from_cstr ("/127.0.0.1");
    members[i].rebalance_timeout = 300000 + (gint32) i;
    members[i].session_timeout = 10000 + (gint32) i;
    members[i].subscription = (RgKafkaBytes) {
    sub, sizeof (sub)};
    members[i].assignment = (RgKafkaBytes) {
    assign, i == 0 ? (gint32) sizeof (assign) : 0};
  }
  value.protocol_type = rg_kafka_str_from_cstr ("consumer");
  value.generation = 3;
  value.protocol = rg_kafka_str_from_cstr ("cooperative-sticky");
  value.leader = rg_kafka_str_from_cstr ("rdkafka-0b7a");
  value.current_state_timestamp = G_GINT64_CONSTANT (1764931200000);
  value.members = members;
  value.n_members = 2;
  for (value.version = 0; value.version <= 3; value.version++) {
    g_assert (rg_kafka_group_metadata_value_encode (&value, out, NULL));
    name = g_strdup_printf ("group-v%d", value.version);
    print_hex (name, out);
    g_free (name);
  }
}

int
main (void)
{
  GByteArray *out = g_byte_array_new ();

  dump_keys (out);
  dump_commits (out);
  dump_groups (out);
  g_byte_array_unref (out);
  return 0;
}
