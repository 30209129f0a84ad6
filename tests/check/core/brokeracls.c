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

/*
 * The ACL store (rgbrokeracl.c) and the codec of the ACL apis
 * (rgkafkaacls.c), without sockets: Kafka's filter semantics (literal,
 * prefixed, any, match), the checks (deny wins, hosts, super users, the
 * operations one implies), the file written back and read again, and
 * every version of the three apis encoded here byte by byte, parsed by
 * the codec, and its responses decoded here. The apis over sockets are in
 * brokerauth.c.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokeracl.h"
#include "kafka/rgkafkaacls.h"
#include "kafkawire.h"

static gchar *tmp_dir;

/* ---- Bindings and filters ---- */

static RgKafkaAclBinding
binding (gint8 type, const gchar * name, gint8 pattern,
    const gchar * principal, const gchar * host, gint8 op, gint8 permission)
{
  RgKafkaAclBinding b = { 0, };

  b.resource_type = type;
  b.resource_name = rg_kafka_str_from_cstr (name);
  b.pattern_type = pattern;
  b.principal = rg_kafka_str_from_cstr (principal);
  b.host = rg_kafka_str_from_cstr (host);
  b.operation = op;
  b.permission = permission;
  b.error_message = RG_KAFKA_STR_NULL;
  return b;
}

#define TOPIC RG_KAFKA_RESOURCE_TOPIC
#define GROUP RG_KAFKA_RESOURCE_GROUP
#define LITERAL RG_KAFKA_PATTERN_LITERAL
#define PREFIXED RG_KAFKA_PATTERN_PREFIXED
#define ALLOW RG_KAFKA_ACL_PERMISSION_ALLOW
#define DENY RG_KAFKA_ACL_PERMISSION_DENY

/* How many bindings @filter finds. */
static guint
count (RgBrokerAcl * acl, RgKafkaAclBinding filter)
{
  GArray *found = rg_broker_acl_find (acl, &filter);
  guint n = found->len;

  g_array_unref (found);
  return n;
}

static RgKafkaAclBinding
filter (gint8 type, const gchar * name, gint8 pattern)
{
  return binding (type, name, pattern, NULL, NULL, RG_KAFKA_ACL_OP_ANY,
      RG_KAFKA_ACL_PERMISSION_ANY);
}

GST_START_TEST (test_filters)
{
  GError *error = NULL;
  RgBrokerAcl *acl = rg_broker_acl_parse ("alice read cam.front\n"
      "alice read cam.*\n" "bob write topic:*\n" "bob read group:team-*\n"
      "carol read,write cam.front deny host=10.0.0.1\n", "acl", &error);
  GArray *found;
  const RgBrokerAclBinding *b;

  fail_unless (acl != NULL, "%s", error ? error->message : "?");
  /* LITERAL: the bindings of exactly that literal name. */
  fail_unless_equals_int (count (acl, filter (TOPIC, "cam.front", LITERAL)),
      3);
  /* PREFIXED: exactly that prefix. */
  fail_unless_equals_int (count (acl, filter (TOPIC, "cam.", PREFIXED)), 1);
  fail_unless_equals_int (count (acl, filter (TOPIC, "cam", PREFIXED)), 0);
  /* ANY: that name under any pattern type. */
  fail_unless_equals_int (count (acl, filter (TOPIC, "cam.",
              RG_KAFKA_PATTERN_ANY)), 1);
  /* MATCH: everything that applies to the topic: the literal, the
   * wildcard and the prefix. */
  fail_unless_equals_int (count (acl, filter (TOPIC, "cam.front",
              RG_KAFKA_PATTERN_MATCH)), 5);
  fail_unless_equals_int (count (acl, filter (TOPIC, "other",
              RG_KAFKA_PATTERN_MATCH)), 1);
  /* A null name matches every name; resource type ANY every type. */
  fail_unless_equals_int (count (acl, filter (GROUP, NULL,
              RG_KAFKA_PATTERN_ANY)), 1);
  fail_unless_equals_int (count (acl, filter (RG_KAFKA_RESOURCE_ANY, NULL,
              RG_KAFKA_PATTERN_ANY)), 6);
  /* Principal, host, operation and permission. */
  {
    RgKafkaAclBinding f = filter (RG_KAFKA_RESOURCE_ANY, NULL,
        RG_KAFKA_PATTERN_ANY);

    f.principal = rg_kafka_str_from_cstr ("User:carol");
    fail_unless_equals_int (count (acl, f), 2);
    f.operation = RG_KAFKA_ACL_OP_WRITE;
    fail_unless_equals_int (count (acl, f), 1);
    f.permission = ALLOW;
    fail_unless_equals_int (count (acl, f), 0);
    f.permission = DENY;
    f.host = rg_kafka_str_from_cstr ("10.0.0.2");
    fail_unless_equals_int (count (acl, f), 0);
    f.host = rg_kafka_str_from_cstr ("10.0.0.1");
    found = rg_broker_acl_find (acl, &f);
    fail_unless_equals_int (found->len, 1);
    b = &g_array_index (found, RgBrokerAclBinding, 0);
    fail_unless_equals_int (b->resource_type, TOPIC);
    fail_unless_equals_string (b->resource_name, "cam.front");
    fail_unless_equals_int (b->pattern_type, LITERAL);
    fail_unless_equals_string (b->principal, "User:carol");
    fail_unless_equals_string (b->host, "10.0.0.1");
    fail_unless_equals_int (b->operation, RG_KAFKA_ACL_OP_WRITE);
    fail_unless_equals_int (b->permission, DENY);
    g_array_unref (found);
    /* Kafka's principal carries its type: a bare name matches nothing. */
    f = filter (RG_KAFKA_RESOURCE_ANY, NULL, RG_KAFKA_PATTERN_ANY);
    f.principal = rg_kafka_str_from_cstr ("carol");
    fail_unless_equals_int (count (acl, f), 0);
  }
  /* The wildcard shows as User:* and a prefix as PREFIXED. */
  found = rg_broker_acl_find (acl, &(RgKafkaAclBinding) {
      .resource_type = GROUP,.pattern_type = RG_KAFKA_PATTERN_MATCH,
      .resource_name = rg_kafka_str_from_cstr ("team-blue"),
      .principal = RG_KAFKA_STR_NULL,.host = RG_KAFKA_STR_NULL,
      .operation = RG_KAFKA_ACL_OP_ANY,
      .permission = RG_KAFKA_ACL_PERMISSION_ANY});
  fail_unless_equals_int (found->len, 1);
  b = &g_array_index (found, RgBrokerAclBinding, 0);
  fail_unless_equals_string (b->resource_name, "team-");
  fail_unless_equals_int (b->pattern_type, PREFIXED);
  fail_unless_equals_string (b->principal, "User:bob");
  fail_unless_equals_string (b->host, "*");
  g_array_unref (found);
  rg_broker_acl_free (acl);
}

GST_END_TEST;

#define CHECK(acl, who, host, type, name, ops) rg_broker_acl_authorize (acl, \
    who, host, type, name, strlen (name), ops)

GST_START_TEST (test_checks)
{
  GError *error = NULL;
  RgBrokerAcl *acl = rg_broker_acl_parse ("# admins\n" "super root\n"
      "alice all cam.*\n" "alice read cam.secret deny\n"
      "bob read cam.front host=192.168.1.5\n"
      "* write cam.shared\n" "mallory read * \n" "mallory all * deny host=10.6.6.6\n"
      "ops alter cluster:kafka-cluster\n" "viewer describe cluster:kafka-cluster\n"
      "owner create ingest.*\n" "deleter delete ingest.x\n"
      "txn write transactional-id:app-*\n"
      "cfg alter_configs topic:cfg.*\n" "peek describe_configs cfg.a\n",
      "acl", &error);

  fail_unless (acl != NULL, "%s", error ? error->message : "?");
  /* all grants every check; a deny of one operation wins over it. */
  fail_unless (CHECK (acl, "alice", "1.2.3.4", TOPIC, "cam.front",
          RG_BROKER_ACL_READ | RG_BROKER_ACL_WRITE | RG_BROKER_ACL_DELETE));
  fail_if (CHECK (acl, "alice", "1.2.3.4", TOPIC, "cam.secret",
          RG_BROKER_ACL_READ));
  fail_unless (CHECK (acl, "alice", "1.2.3.4", TOPIC, "cam.secret",
          RG_BROKER_ACL_WRITE));
  /* ...and describe stays (Kafka: only a deny of describe or all hides
   * a topic). */
  fail_unless (CHECK (acl, "alice", NULL, TOPIC, "cam.secret",
          RG_BROKER_ACL_DESCRIBE));
  /* Hosts: the rule for one address only; an unknown host gets none. */
  fail_unless (CHECK (acl, "bob", "192.168.1.5", TOPIC, "cam.front",
          RG_BROKER_ACL_READ));
  fail_if (CHECK (acl, "bob", "192.168.1.6", TOPIC, "cam.front",
          RG_BROKER_ACL_READ));
  fail_if (CHECK (acl, "bob", NULL, TOPIC, "cam.front", RG_BROKER_ACL_READ));
  /* The anyone principal; a deny of all from one host. */
  fail_unless (CHECK (acl, "zed", "1.1.1.1", TOPIC, "cam.shared",
          RG_BROKER_ACL_WRITE));
  fail_unless (CHECK (acl, "mallory", "1.1.1.1", GROUP, "g",
          RG_BROKER_ACL_READ));
  fail_if (CHECK (acl, "mallory", "10.6.6.6", GROUP, "g",
          RG_BROKER_ACL_READ));
  fail_if (CHECK (acl, "mallory", "10.6.6.6", TOPIC, "cam.shared",
          RG_BROKER_ACL_WRITE));
  /* '*' never allows the offsets topic. */
  fail_if (CHECK (acl, "mallory", "1.1.1.1", TOPIC, "__consumer_offsets",
          RG_BROKER_ACL_READ));
  /* Super users pass every check. */
  fail_unless (CHECK (acl, "root", "10.6.6.6", RG_KAFKA_RESOURCE_CLUSTER,
          "kafka-cluster", RG_BROKER_ACL_ALTER));
  fail_unless (CHECK (acl, "root", NULL, TOPIC, "__consumer_offsets",
          RG_BROKER_ACL_READ));
  /* The cluster: alter implies describe, describe not alter. */
  fail_unless (CHECK (acl, "ops", NULL, RG_KAFKA_RESOURCE_CLUSTER,
          "kafka-cluster", RG_BROKER_ACL_ALTER | RG_BROKER_ACL_DESCRIBE));
  fail_unless (CHECK (acl, "viewer", NULL, RG_KAFKA_RESOURCE_CLUSTER,
          "kafka-cluster", RG_BROKER_ACL_DESCRIBE));
  fail_if (CHECK (acl, "viewer", NULL, RG_KAFKA_RESOURCE_CLUSTER,
          "kafka-cluster", RG_BROKER_ACL_ALTER));
  /* The file's create owns a topic's life: delete and alter too; a
   * delete grant is only that. */
  fail_unless (CHECK (acl, "owner", NULL, TOPIC, "ingest.a",
          RG_BROKER_ACL_CREATE | RG_BROKER_ACL_DELETE | RG_BROKER_ACL_ALTER));
  fail_if (CHECK (acl, "owner", NULL, TOPIC, "ingest.a", RG_BROKER_ACL_READ));
  fail_unless (CHECK (acl, "deleter", NULL, TOPIC, "ingest.x",
          RG_BROKER_ACL_DELETE));
  fail_if (CHECK (acl, "deleter", NULL, TOPIC, "ingest.x",
          RG_BROKER_ACL_CREATE));
  /* Configs: alter implies describe, not the other way. */
  fail_unless (CHECK (acl, "cfg", NULL, TOPIC, "cfg.a",
          RG_BROKER_ACL_DESCRIBE_CONFIGS | RG_BROKER_ACL_ALTER_CONFIGS));
  fail_unless (CHECK (acl, "peek", NULL, TOPIC, "cfg.a",
          RG_BROKER_ACL_DESCRIBE_CONFIGS));
  fail_if (CHECK (acl, "peek", NULL, TOPIC, "cfg.a",
          RG_BROKER_ACL_ALTER_CONFIGS));
  fail_if (CHECK (acl, "peek", NULL, TOPIC, "cfg.a", RG_BROKER_ACL_READ));
  /* Transactional ids are their own resources. */
  fail_unless (CHECK (acl, "txn", NULL, RG_KAFKA_RESOURCE_TRANSACTIONAL_ID,
          "app-1", RG_BROKER_ACL_WRITE));
  fail_if (CHECK (acl, "txn", NULL, TOPIC, "app-1", RG_BROKER_ACL_WRITE));
  rg_broker_acl_free (acl);

  /* Lines that are not rules. */
  fail_if (rg_broker_acl_parse ("a read t maybe\n", "acl", &error));
  fail_unless (g_str_has_prefix (error->message, "acl:1:"));
  g_clear_error (&error);
  fail_if (rg_broker_acl_parse ("\na read cluster:other\n", "acl", &error));
  fail_unless (g_str_has_prefix (error->message, "acl:2:"));
  g_clear_error (&error);
  fail_if (rg_broker_acl_parse ("a read t host=\n", "acl", &error));
  g_clear_error (&error);
  fail_if (rg_broker_acl_parse ("super\n", "acl", &error));
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_binding_validation)
{
  static const struct
  {
    RgKafkaAclBinding b;
    const gchar *why;
  } bad[] = {
    {{RG_KAFKA_RESOURCE_USER, {"u", 1}, LITERAL, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "Resource type"},
    {{TOPIC, {"t", 1}, RG_KAFKA_PATTERN_MATCH, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "pattern type"},
    {{TOPIC, {"t*", 2}, LITERAL, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "'*'"},
    {{TOPIC, {"*", 1}, PREFIXED, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "'*'"},
    {{TOPIC, {"a b", 3}, LITERAL, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "blank"},
    {{RG_KAFKA_RESOURCE_CLUSTER, {"c", 1}, LITERAL, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_ALTER, ALLOW}, "kafka-cluster"},
    {{TOPIC, {"t", 1}, LITERAL, {"Group:a", 7}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "User:"},
    {{TOPIC, {"t", 1}, LITERAL, {"User:", 5}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "User:"},
    {{TOPIC, {"t", 1}, LITERAL, {"User:a", 6}, {"host", 4},
          RG_KAFKA_ACL_OP_READ, ALLOW}, "host"},
    {{TOPIC, {"t", 1}, LITERAL, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_ANY, ALLOW}, "Operation"},
    {{TOPIC, {"t", 1}, LITERAL, {"User:a", 6}, {"*", 1},
          RG_KAFKA_ACL_OP_READ, RG_KAFKA_ACL_PERMISSION_ANY}, "permission"},
  };
  RgKafkaAclBinding good = binding (TOPIC, "t", PREFIXED, "User:a",
      "::1", RG_KAFKA_ACL_OP_IDEMPOTENT_WRITE, DENY);
  RgKafkaAclBinding f = filter (RG_KAFKA_RESOURCE_UNKNOWN, NULL,
      RG_KAFKA_PATTERN_ANY);
  gchar *message;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (rg_broker_acl_binding_valid (&bad[i].b, &message), "%u", i);
    fail_unless (strstr (message, bad[i].why) != NULL, "%u: %s", i, message);
    g_free (message);
  }
  fail_unless (rg_broker_acl_binding_valid (&good, &message));
  fail_unless (message == NULL);
  fail_if (rg_broker_acl_filter_valid (&f, &message));
  g_free (message);
  f.resource_type = RG_KAFKA_RESOURCE_ANY;
  fail_unless (rg_broker_acl_filter_valid (&f, &message));
}

GST_END_TEST;

/* ---- Persistence ---- */

static gchar *
read_text (const gchar * path)
{
  gchar *text;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

GST_START_TEST (test_written_back)
{
  gchar *path = g_build_filename (tmp_dir, "acl", NULL);
  const gchar *original = "# who may do what\n" "super root\n\n"
      "alice read,write cam.front\n" "bob read *\n";
  RgKafkaAclBinding add[] = {
    binding (TOPIC, "cam.", PREFIXED, "User:carol", "*",
        RG_KAFKA_ACL_OP_READ, ALLOW),
    binding (GROUP, "*", LITERAL, "User:*", "10.0.0.7",
        RG_KAFKA_ACL_OP_ALL, DENY),
    binding (RG_KAFKA_RESOURCE_CLUSTER, "kafka-cluster", LITERAL,
        "User:ops", "*", RG_KAFKA_ACL_OP_ALTER, ALLOW),
    binding (RG_KAFKA_RESOURCE_TRANSACTIONAL_ID, "app", LITERAL,
        "User:carol", "*", RG_KAFKA_ACL_OP_DESCRIBE, ALLOW),
  };
  RgKafkaAclBinding f;
  GError *error = NULL;
  RgBrokerAcl *acl, *again;
  struct stat st;
  gchar *text;
  GArray *removed;

  fail_unless (g_file_set_contents (path, original, -1, NULL));
  fail_unless (chmod (path, 0640) == 0);
  acl = rg_broker_acl_load (path, &error);
  fail_unless (acl != NULL, "%s", error ? error->message : "?");
  fail_unless (rg_broker_acl_add (acl, add, G_N_ELEMENTS (add), &error));
  /* Adding what is there changes nothing. */
  fail_unless (rg_broker_acl_add (acl, add, 1, &error));
  text = read_text (path);
  fail_unless_equals_string (text, "# who may do what\n" "super root\n\n"
      "alice read,write cam.front\n" "bob read *\n"
      "carol read topic:cam.* allow host=*\n"
      "* all group:* deny host=10.0.0.7\n"
      "ops alter cluster:kafka-cluster allow host=*\n"
      "carol describe transactional-id:app allow host=*\n");
  g_free (text);
  fail_unless (stat (path, &st) == 0);
  fail_unless_equals_int (st.st_mode & 07777, 0640);

  /* Deleting one binding of a line writes what remains of it there. */
  f = binding (TOPIC, "cam.front", LITERAL, "User:alice", NULL,
      RG_KAFKA_ACL_OP_WRITE, RG_KAFKA_ACL_PERMISSION_ANY);
  removed = rg_broker_acl_remove (acl, &f, &error);
  fail_unless_equals_int (removed->len, 1);
  g_array_unref (removed);
  f = binding (GROUP, "*", LITERAL, "User:bob", NULL,
      RG_KAFKA_ACL_OP_ANY, RG_KAFKA_ACL_PERMISSION_ANY);
  removed = rg_broker_acl_remove (acl, &f, &error);
  fail_unless_equals_int (removed->len, 1);
  g_array_unref (removed);
  text = read_text (path);
  fail_unless_equals_string (text, "# who may do what\n" "super root\n\n"
      "alice read topic:cam.front allow host=*\n"
      "bob read topic:* allow host=*\n"
      "carol read topic:cam.* allow host=*\n"
      "* all group:* deny host=10.0.0.7\n"
      "ops alter cluster:kafka-cluster allow host=*\n"
      "carol describe transactional-id:app allow host=*\n");
  g_free (text);

  /* Read again, the file means what the ACL meant. */
  again = rg_broker_acl_load (path, &error);
  fail_unless (again != NULL, "%s", error ? error->message : "?");
  f = filter (RG_KAFKA_RESOURCE_ANY, NULL, RG_KAFKA_PATTERN_ANY);
  fail_unless_equals_int (count (again, f), 6);
  fail_unless_equals_int (count (acl, f), 6);
  fail_if (CHECK (again, "x", "10.0.0.7", GROUP, "g", RG_BROKER_ACL_READ));
  fail_unless (CHECK (again, "bob", "10.0.0.8", GROUP, "g",
          RG_BROKER_ACL_READ) == FALSE);
  fail_unless (CHECK (again, "bob", "10.0.0.8", TOPIC, "t",
          RG_BROKER_ACL_READ));
  fail_unless (CHECK (again, "root", "10.0.0.7", GROUP, "g",
          RG_BROKER_ACL_READ));
  rg_broker_acl_free (again);

  /* A file that cannot be replaced (a directory stands in its place now)
   * fails the change and keeps the ACL as it was. */
  {
    gchar *inside = g_build_filename (path, "x", NULL);
    RgKafkaAclBinding extra = binding (TOPIC, "new", LITERAL, "User:z", "*",
        RG_KAFKA_ACL_OP_READ, ALLOW);

    fail_unless (g_unlink (path) == 0);
    fail_unless (g_mkdir (path, 0700) == 0);
    fail_unless (g_file_set_contents (inside, "", -1, NULL));
    fail_if (rg_broker_acl_add (acl, &extra, 1, &error));
    fail_unless (error != NULL);
    g_clear_error (&error);
    f = filter (RG_KAFKA_RESOURCE_ANY, NULL, RG_KAFKA_PATTERN_ANY);
    fail_unless_equals_int (count (acl, f), 6);
    f = filter (GROUP, "*", LITERAL);
    fail_unless (rg_broker_acl_remove (acl, &f, &error) == NULL);
    fail_unless (error != NULL);
    g_clear_error (&error);
    fail_unless_equals_int (count (acl, f), 1);
    g_unlink (inside);
    g_rmdir (path);
    g_free (inside);
  }
  rg_broker_acl_free (acl);
  g_free (path);
}

GST_END_TEST;

/* ---- The codec, every version ---- */

static void
put8 (GByteArray * b, gint8 v)
{
  g_byte_array_append (b, (const guint8 *) &v, 1);
}

static void
put_uvarint (GByteArray * b, guint32 v)
{
  while (v >= 0x80) {
    put8 (b, (v & 0x7f) | 0x80);
    v >>= 7;
  }
  put8 (b, v);
}

/* A (nullable) string: COMPACT in flexible versions. */
static void
put_s (GByteArray * b, const gchar * s, gboolean flexible)
{
  if (!flexible) {
    kw_putstr (b, s);
    return;
  }
  put_uvarint (b, s ? strlen (s) + 1 : 0);
  if (s)
    g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

static GByteArray *
acl_request (gint16 key, gint16 version, gint32 cid)
{
  GByteArray *b = kw_request_new (key, version, cid);

  if (version >= 2)
    put8 (b, 0);                /* header v2's tag section */
  return b;
}

static void
put_binding (GByteArray * b, gint16 version, gint8 type, const gchar * name,
    gint8 pattern, const gchar * principal, const gchar * host, gint8 op,
    gint8 permission)
{
  gboolean flexible = version >= 2;

  put8 (b, type);
  put_s (b, name, flexible);
  if (version >= 1)
    put8 (b, pattern);
  put_s (b, principal, flexible);
  put_s (b, host, flexible);
  put8 (b, op);
  put8 (b, permission);
  if (flexible)
    put8 (b, 0);
}

static void
put_count (GByteArray * b, guint n, gboolean flexible)
{
  if (flexible)
    put_uvarint (b, n + 1);
  else
    kw_put32 (b, n);
}

static RgKafkaRequest *
parse (GByteArray * b, RgKafkaBodyParseFunc func, GDestroyNotify free_body,
    GError ** error)
{
  kw_request_finish (b);
  return rg_kafka_request_parse_other (b->data + 4, b->len - 4,
      RG_KAFKA_ACLS_FIRST_FLEXIBLE, func, free_body, NULL, error);
}

static void
assert_binding (const RgKafkaAclBinding * b, gint8 type, const gchar * name,
    gint8 pattern, const gchar * principal, const gchar * host, gint8 op,
    gint8 permission)
{
  fail_unless_equals_int (b->resource_type, type);
  fail_unless (rg_kafka_str_equal (b->resource_name, name));
  fail_unless_equals_int (b->pattern_type, pattern);
  fail_unless (rg_kafka_str_equal (b->principal, principal));
  fail_unless (rg_kafka_str_equal (b->host, host));
  fail_unless_equals_int (b->operation, op);
  fail_unless_equals_int (b->permission, permission);
}

GST_START_TEST (test_codec_requests)
{
  gint16 v;

  for (v = 0; v <= RG_KAFKA_ACLS_MAX_VERSION; v++) {
    gboolean flexible = v >= 2;
    gint8 expected = v >= 1 ? PREFIXED : LITERAL;
    GError *error = NULL;
    GByteArray *b;
    RgKafkaRequest *req;
    const RgKafkaAclBindings *list;
    const RgKafkaAclBinding *f;
    gsize cut;

    /* CreateAcls: two creations. */
    b = acl_request (RG_KAFKA_ACLS_API_CREATE, v, 7);
    put_count (b, 2, flexible);
    put_binding (b, v, TOPIC, "cam.", PREFIXED, "User:alice", "*",
        RG_KAFKA_ACL_OP_READ, ALLOW);
    put_binding (b, v, GROUP, "g", LITERAL, "User:bob", "10.0.0.1",
        RG_KAFKA_ACL_OP_ALL, DENY);
    if (flexible)
      put8 (b, 0);
    req = parse (b, rg_kafka_parse_create_acls, rg_kafka_acl_bindings_free,
        &error);
    fail_unless (req != NULL, "v%d: %s", v, error ? error->message : "?");
    list = req->body.other.body;
    fail_unless_equals_int (list->n_bindings, 2);
    /* v0 has no pattern type: it reads as LITERAL. */
    assert_binding (&list->bindings[0], TOPIC, "cam.", expected,
        "User:alice", "*", RG_KAFKA_ACL_OP_READ, ALLOW);
    assert_binding (&list->bindings[1], GROUP, "g", LITERAL, "User:bob",
        "10.0.0.1", RG_KAFKA_ACL_OP_ALL, DENY);
    rg_kafka_request_free (req);
    /* Every shorter frame is refused, never read past. */
    for (cut = 8; cut < b->len - 4; cut++) {
      req = rg_kafka_request_parse_other (b->data + 4, cut,
          RG_KAFKA_ACLS_FIRST_FLEXIBLE, rg_kafka_parse_create_acls,
          rg_kafka_acl_bindings_free, NULL, NULL);
      fail_unless (req == NULL, "v%d cut at %" G_GSIZE_FORMAT, v, cut);
    }
    g_byte_array_unref (b);

    /* DeleteAcls: one filter of nulls and ANYs. */
    b = acl_request (RG_KAFKA_ACLS_API_DELETE, v, 8);
    put_count (b, 1, flexible);
    put_binding (b, v, RG_KAFKA_RESOURCE_ANY, NULL, RG_KAFKA_PATTERN_MATCH,
        NULL, NULL, RG_KAFKA_ACL_OP_ANY, RG_KAFKA_ACL_PERMISSION_ANY);
    if (flexible)
      put8 (b, 0);
    req = parse (b, rg_kafka_parse_delete_acls, rg_kafka_acl_bindings_free,
        &error);
    fail_unless (req != NULL, "v%d: %s", v, error ? error->message : "?");
    list = req->body.other.body;
    fail_unless_equals_int (list->n_bindings, 1);
    assert_binding (&list->bindings[0], RG_KAFKA_RESOURCE_ANY, NULL,
        v >= 1 ? RG_KAFKA_PATTERN_MATCH : LITERAL, NULL, NULL,
        RG_KAFKA_ACL_OP_ANY, RG_KAFKA_ACL_PERMISSION_ANY);
    rg_kafka_request_free (req);
    g_byte_array_unref (b);

    /* DescribeAcls: the filter is the body. */
    b = acl_request (RG_KAFKA_ACLS_API_DESCRIBE, v, 9);
    put_binding (b, v, TOPIC, "t", RG_KAFKA_PATTERN_ANY, "User:x", NULL,
        RG_KAFKA_ACL_OP_WRITE, ALLOW);
    req = parse (b, rg_kafka_parse_describe_acls, g_free, &error);
    fail_unless (req != NULL, "v%d: %s", v, error ? error->message : "?");
    f = req->body.other.body;
    assert_binding (f, TOPIC, "t", v >= 1 ? RG_KAFKA_PATTERN_ANY : LITERAL,
        "User:x", NULL, RG_KAFKA_ACL_OP_WRITE, ALLOW);
    rg_kafka_request_free (req);
    g_byte_array_unref (b);
  }
}

GST_END_TEST;

/* A response reader that knows the flexible encodings. */
typedef struct
{
  KwReader r;
  gboolean flexible;
} Resp;

static Resp
resp_open (RgKafkaResponse * resp, gint32 cid, gboolean flexible,
    GByteArray ** bytes)
{
  Resp r;

  fail_unless (resp != NULL);
  *bytes = rg_kafka_response_flatten (resp);
  rg_kafka_response_free (resp);
  r.r.p = (*bytes)->data;
  r.r.end = r.r.p + (*bytes)->len;
  r.flexible = flexible;
  fail_unless_equals_int (kw_get (&r.r, 4), (*bytes)->len - 4);
  fail_unless_equals_int (kw_get (&r.r, 4), cid);
  if (flexible)
    fail_unless_equals_int (kw_get (&r.r, 1), 0);
  return r;
}

static guint32
get_uvarint (Resp * r)
{
  guint32 v = 0;
  guint shift = 0, byte;

  do {
    byte = kw_get (&r->r, 1) & 0xff;
    v |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return v;
}

static gint
get_count (Resp * r)
{
  return r->flexible ? (gint) get_uvarint (r) - 1 : kw_get (&r->r, 4);
}

/* A string, (transfer full), NULL for null. */
static gchar *
get_s (Resp * r)
{
  gint len = r->flexible ? (gint) get_uvarint (r) - 1 : kw_get (&r->r, 2);
  gchar *s;

  if (len < 0)
    return NULL;
  fail_unless (r->r.p + len <= r->r.end);
  s = g_strndup ((const gchar *) r->r.p, len);
  r->r.p += len;
  return s;
}

static void
get_tags (Resp * r)
{
  if (r->flexible)
    fail_unless_equals_int (kw_get (&r->r, 1), 0);
}

static void
expect_s (Resp * r, const gchar * expected)
{
  gchar *s = get_s (r);

  fail_unless_equals_string (s, expected);
  g_free (s);
}

GST_START_TEST (test_codec_responses)
{
  RgKafkaAclBinding found[3];
  gint16 v;

  found[0] = binding (TOPIC, "t", LITERAL, "User:a", "*",
      RG_KAFKA_ACL_OP_READ, ALLOW);
  found[1] = binding (GROUP, "g", LITERAL, "User:b", "1.2.3.4",
      RG_KAFKA_ACL_OP_ALL, DENY);
  found[2] = binding (TOPIC, "t", LITERAL, "User:c", "*",
      RG_KAFKA_ACL_OP_WRITE, ALLOW);
  for (v = 0; v <= RG_KAFKA_ACLS_MAX_VERSION; v++) {
    gboolean flexible = v >= 2;
    RgKafkaAclResult results[2] = {
      {0, RG_KAFKA_STR_NULL}, {42, {"bad", 3}},
    };
    RgKafkaAclFilterResult deleted[2] = {
      {0, RG_KAFKA_STR_NULL, found, 2}, {31, {"no", 2}, NULL, 0},
    };
    GError *error = NULL;
    GByteArray *bytes;
    Resp r;

    /* DescribeAcls: bindings nested under their resources. */
    r = resp_open (rg_kafka_build_describe_acls_response (5, v, 0, 0,
            RG_KAFKA_STR_NULL, found, 3, &error), 5, flexible, &bytes);
    fail_unless_equals_int (kw_get (&r.r, 4), 0);
    fail_unless_equals_int (kw_get (&r.r, 2), 0);
    expect_s (&r, NULL);
    fail_unless_equals_int (get_count (&r), 2);
    fail_unless_equals_int (kw_get (&r.r, 1), TOPIC);
    expect_s (&r, "t");
    if (v >= 1)
      fail_unless_equals_int (kw_get (&r.r, 1), LITERAL);
    fail_unless_equals_int (get_count (&r), 2);
    expect_s (&r, "User:a");
    expect_s (&r, "*");
    fail_unless_equals_int (kw_get (&r.r, 1), RG_KAFKA_ACL_OP_READ);
    fail_unless_equals_int (kw_get (&r.r, 1), ALLOW);
    get_tags (&r);
    expect_s (&r, "User:c");
    expect_s (&r, "*");
    fail_unless_equals_int (kw_get (&r.r, 1), RG_KAFKA_ACL_OP_WRITE);
    fail_unless_equals_int (kw_get (&r.r, 1), ALLOW);
    get_tags (&r);
    get_tags (&r);
    fail_unless_equals_int (kw_get (&r.r, 1), GROUP);
    expect_s (&r, "g");
    if (v >= 1)
      fail_unless_equals_int (kw_get (&r.r, 1), LITERAL);
    fail_unless_equals_int (get_count (&r), 1);
    expect_s (&r, "User:b");
    expect_s (&r, "1.2.3.4");
    fail_unless_equals_int (kw_get (&r.r, 1), RG_KAFKA_ACL_OP_ALL);
    fail_unless_equals_int (kw_get (&r.r, 1), DENY);
    get_tags (&r);
    get_tags (&r);
    get_tags (&r);
    fail_unless (r.r.p == r.r.end);
    g_byte_array_unref (bytes);

    /* CreateAcls: one result per creation. */
    r = resp_open (rg_kafka_build_create_acls_response (6, v, 0, results, 2,
            &error), 6, flexible, &bytes);
    fail_unless_equals_int (kw_get (&r.r, 4), 0);
    fail_unless_equals_int (get_count (&r), 2);
    fail_unless_equals_int (kw_get (&r.r, 2), 0);
    expect_s (&r, NULL);
    get_tags (&r);
    fail_unless_equals_int (kw_get (&r.r, 2), 42);
    expect_s (&r, "bad");
    get_tags (&r);
    get_tags (&r);
    fail_unless (r.r.p == r.r.end);
    g_byte_array_unref (bytes);

    /* DeleteAcls: per filter, its error and the bindings it deleted. */
    r = resp_open (rg_kafka_build_delete_acls_response (7, v, 0, deleted, 2,
            &error), 7, flexible, &bytes);
    fail_unless_equals_int (kw_get (&r.r, 4), 0);
    fail_unless_equals_int (get_count (&r), 2);
    fail_unless_equals_int (kw_get (&r.r, 2), 0);
    expect_s (&r, NULL);
    fail_unless_equals_int (get_count (&r), 2);
    fail_unless_equals_int (kw_get (&r.r, 2), 0);
    expect_s (&r, NULL);
    fail_unless_equals_int (kw_get (&r.r, 1), TOPIC);
    expect_s (&r, "t");
    if (v >= 1)
      fail_unless_equals_int (kw_get (&r.r, 1), LITERAL);
    expect_s (&r, "User:a");
    expect_s (&r, "*");
    fail_unless_equals_int (kw_get (&r.r, 1), RG_KAFKA_ACL_OP_READ);
    fail_unless_equals_int (kw_get (&r.r, 1), ALLOW);
    get_tags (&r);
    fail_unless_equals_int (kw_get (&r.r, 2), 0);
    expect_s (&r, NULL);
    fail_unless_equals_int (kw_get (&r.r, 1), GROUP);
    expect_s (&r, "g");
    if (v >= 1)
      fail_unless_equals_int (kw_get (&r.r, 1), LITERAL);
    expect_s (&r, "User:b");
    expect_s (&r, "1.2.3.4");
    fail_unless_equals_int (kw_get (&r.r, 1), RG_KAFKA_ACL_OP_ALL);
    fail_unless_equals_int (kw_get (&r.r, 1), DENY);
    get_tags (&r);
    get_tags (&r);
    fail_unless_equals_int (kw_get (&r.r, 2), 31);
    expect_s (&r, "no");
    fail_unless_equals_int (get_count (&r), 0);
    get_tags (&r);
    get_tags (&r);
    fail_unless (r.r.p == r.r.end);
    g_byte_array_unref (bytes);
  }
  /* v0 cannot say "prefixed": such a binding is refused, not sent as a
   * literal. */
  {
    RgKafkaAclBinding prefixed = binding (TOPIC, "t", PREFIXED, "User:a",
        "*", RG_KAFKA_ACL_OP_READ, ALLOW);
    GError *error = NULL;

    fail_unless (rg_kafka_build_describe_acls_response (1, 0, 0, 0,
            RG_KAFKA_STR_NULL, &prefixed, 1, &error) == NULL);
    g_clear_error (&error);
    fail_unless (rg_kafka_build_create_acls_response (1, 4, 0, NULL, 0,
            &error) == NULL);
    g_clear_error (&error);
  }
}

GST_END_TEST;

static void
setup (void)
{
  tmp_dir = g_dir_make_tmp ("rg-brokeracls-XXXXXX", NULL);
  fail_unless (tmp_dir != NULL);
}

static void
teardown (void)
{
  gchar *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);

  fail_unless (system (cmd) == 0);
  g_free (cmd);
  g_free (tmp_dir);
}

static Suite *
brokeracls_suite (void)
{
  Suite *s = suite_create ("brokeracls");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_filters);
  tcase_add_test (tc, test_checks);
  tcase_add_test (tc, test_binding_validation);
  tcase_add_test (tc, test_written_back);
  tcase_add_test (tc, test_codec_requests);
  tcase_add_test (tc, test_codec_responses);
  return s;
}

GST_CHECK_MAIN (brokeracls);
