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

/* Topic and broker configs of the embedded broker (docs/protocol.md,
 * "Topic and broker configs"), over the wire: requests are encoded here
 * by hand, in every version of DescribeConfigs (0-4), AlterConfigs (0-2)
 * and IncrementalAlterConfigs (0-1), classic and flexible, so the
 * broker's codec does not only talk to itself. A topic created with
 * configs reports them (CreateTopics v5 and DescribeConfigs, values and
 * sources); max.message.bytes refuses a larger batch; segment.bytes makes
 * an ingest journal roll (segment files on disk), also when changed on an
 * open journal; configs survive a restart; a bad key or value is
 * INVALID_CONFIG naming the key; a pipeline's topic refuses changes; the
 * broker resource reports the element's properties and keeps dynamic
 * keys. */

#include <gst/check/gstcheck.h>

#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <string.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "kafka/rgkafkaadmin.h"
#include "kafka/rgkafkaconfigs.h"
#include "record/rgbatch.h"
#include "kafkawire.h"

#define SERVED "cam"

/* ---- Encoding: classic or compact per the request's version ---- */

static void
put8 (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
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

static void
put_str (GByteArray * b, gboolean flex, const gchar * s)
{
  if (!flex) {
    kw_putstr (b, s);
  } else if (!s) {
    put8 (b, 0);
  } else {
    put_uvarint (b, strlen (s) + 1);
    g_byte_array_append (b, (const guint8 *) s, strlen (s));
  }
}

static void
put_count (GByteArray * b, gboolean flex, gint n)
{
  if (flex)
    put_uvarint (b, n + 1);
  else
    kw_put32 (b, n);
}

static void
put_tags (GByteArray * b, gboolean flex)
{
  if (flex)
    put8 (b, 0);
}

/* A request of @key @version: the header, and its tag section when
 * flexible. */
static GByteArray *
request_new (gint16 key, gint16 version, gint32 cid, gboolean flex)
{
  GByteArray *b = kw_request_new (key, version, cid);

  put_tags (b, flex);
  return b;
}

/* ---- Decoding ---- */

typedef struct
{
  guint8 *start;
  KwReader r;
  gboolean flex;
} Response;

static guint32
get_uvarint (KwReader * r)
{
  guint32 v = 0;
  guint shift = 0;
  guint8 byte;

  do {
    fail_unless (r->p < r->end);
    byte = *r->p++;
    v |= (guint32) (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return v;
}

/* A string, newly allocated; NULL for null. */
static gchar *
get_str (Response * resp)
{
  KwReader *r = &resp->r;
  gint len = resp->flex ? (gint) get_uvarint (r) - 1 : (gint16) kw_get (r,
      2);
  gchar *s;

  if (len < 0)
    return NULL;
  fail_unless (r->p + len <= r->end);
  s = g_strndup ((const gchar *) r->p, len);
  r->p += len;
  return s;
}

static gint
get_count (Response * resp)
{
  return resp->flex ? (gint) get_uvarint (&resp->r) - 1 :
      (gint32) kw_get (&resp->r, 4);
}

static void
get_tags (Response * resp)
{
  if (resp->flex)
    fail_unless_equals_int (get_uvarint (&resp->r), 0);
}

static void
send_and_receive (int fd, GByteArray * req, gint32 cid, gboolean flex,
    Response * resp)
{
  gsize size;

  kw_send_request (fd, kw_request_finish (req));
  resp->start = kw_recv_frame (fd, cid, &size);
  resp->r.p = resp->start;
  resp->r.end = resp->start + size;
  resp->flex = flex;
  kw_get (&resp->r, 4);            /* correlation id, checked */
  get_tags (resp);
}

static void
response_done (Response * resp)
{
  fail_unless (resp->r.p == resp->r.end, "%d bytes left",
      (int) (resp->r.end - resp->r.p));
  g_free (resp->start);
}

/* ---- DescribeConfigs ---- */

/* One config as a response reported it. */
typedef struct
{
  gchar *value;
  gboolean read_only;
  gint source;                  /* v0: 5 (DEFAULT) when IsDefault, else -1 */
  gint type;                    /* v3+, else -1 */
} Config;

static void
config_free (gpointer p)
{
  Config *c = p;

  g_free (c->value);
  g_free (c);
}

/* DescribeConfigs @version of one resource; @keys NULL-terminated or NULL
 * for all. Returns the resource's error code and fills @configs (name ->
 * Config) and @message. */
static gint16
describe (int fd, gint32 cid, gint16 version, gint8 type, const gchar * name,
    const gchar * const *keys, GHashTable ** configs, gchar ** message)
{
  gboolean flex = version >= 4;
  GByteArray *b = request_new (32, version, cid, flex);
  Response resp;
  gint16 code;
  gint n, i;

  put_count (b, flex, 1);
  put8 (b, type);
  put_str (b, flex, name);
  if (keys) {
    put_count (b, flex, g_strv_length ((gchar **) keys));
    for (i = 0; keys[i]; i++)
      put_str (b, flex, keys[i]);
  } else {
    put_count (b, flex, -1);
  }
  put_tags (b, flex);
  if (version >= 1)
    put8 (b, 1);                   /* include synonyms */
  if (version >= 3)
    put8 (b, 1);                   /* include documentation */
  put_tags (b, flex);
  send_and_receive (fd, b, cid, flex, &resp);

  fail_unless_equals_int (kw_get (&resp.r, 4), 0);
  fail_unless_equals_int (get_count (&resp), 1);
  code = kw_get (&resp.r, 2);
  *message = get_str (&resp);
  fail_unless_equals_int (kw_get (&resp.r, 1), type);
  g_free (get_str (&resp));
  *configs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      config_free);
  n = get_count (&resp);
  for (i = 0; i < n; i++) {
    Config *c = g_new0 (Config, 1);
    gchar *key = get_str (&resp);
    gint j, n_syn;

    c->value = get_str (&resp);
    c->read_only = kw_get (&resp.r, 1);
    c->source = kw_get (&resp.r, 1);
    if (version == 0)
      c->source = c->source ? RG_KAFKA_CONFIG_SOURCE_DEFAULT : -1;
    kw_get (&resp.r, 1);           /* sensitive */
    c->type = -1;
    if (version >= 1) {
      /* The value's own source is its one synonym. */
      n_syn = get_count (&resp);
      fail_unless_equals_int (n_syn, 1);
      for (j = 0; j < n_syn; j++) {
        gchar *syn = get_str (&resp), *value = get_str (&resp);

        fail_unless_equals_string (syn, key);
        fail_unless_equals_string (value, c->value);
        fail_unless_equals_int (kw_get (&resp.r, 1), c->source);
        get_tags (&resp);
        g_free (syn);
        g_free (value);
      }
    }
    if (version >= 3) {
      gchar *doc;

      c->type = kw_get (&resp.r, 1);
      doc = get_str (&resp);
      fail_unless (doc != NULL && *doc);
      g_free (doc);
    }
    get_tags (&resp);
    g_hash_table_insert (*configs, key, c);
  }
  get_tags (&resp);
  get_tags (&resp);
  response_done (&resp);
  return code;
}

static const Config *
config_of (GHashTable * configs, const gchar * key)
{
  const Config *c = g_hash_table_lookup (configs, key);

  fail_unless (c != NULL, "no config %s", key);
  return c;
}

/* ---- AlterConfigs and IncrementalAlterConfigs ---- */

/* Alters one resource with @pairs (key, value, ..., NULL; with
 * @incremental an operation is given in @ops, one per pair). Returns the
 * error code and sets @message. */
static gint16
alter (int fd, gint32 cid, gboolean incremental, gint16 version, gint8 type,
    const gchar * name, const gchar * const *pairs, const gint8 * ops,
    gboolean validate_only, gchar ** message)
{
  gboolean flex = incremental ? version >= 1 : version >= 2;
  GByteArray *b = request_new (incremental ? 44 : 33, version, cid, flex);
  guint n = 0, i;
  Response resp;
  gint16 code;
  gchar *got;

  /* A pair's value may be NULL (DELETE): count keys. */
  while (pairs[2 * n])
    n++;
  put_count (b, flex, 1);
  put8 (b, type);
  put_str (b, flex, name);
  put_count (b, flex, n);
  for (i = 0; i < n; i++) {
    put_str (b, flex, pairs[2 * i]);
    if (incremental)
      put8 (b, ops ? ops[i] : RG_KAFKA_CONFIG_OP_SET);
    put_str (b, flex, pairs[2 * i + 1]);
    put_tags (b, flex);
  }
  put_tags (b, flex);
  put8 (b, validate_only);
  put_tags (b, flex);
  send_and_receive (fd, b, cid, flex, &resp);

  fail_unless_equals_int (kw_get (&resp.r, 4), 0);
  fail_unless_equals_int (get_count (&resp), 1);
  code = kw_get (&resp.r, 2);
  *message = get_str (&resp);
  fail_unless ((code != 0) == (*message != NULL));
  fail_unless_equals_int (kw_get (&resp.r, 1), type);
  got = get_str (&resp);
  fail_unless_equals_string (got, name);
  g_free (got);
  get_tags (&resp);
  get_tags (&resp);
  response_done (&resp);
  return code;
}

/* ---- CreateTopics v5 with configs ---- */

/* Creates @topic with @pairs; returns the code, @message, and the
 * configs the response lists (name -> value). */
static gint16
create_topic (int fd, gint32 cid, const gchar * topic,
    const gchar * const *pairs, gchar ** message, GHashTable ** configs)
{
  GByteArray *b = request_new (19, 5, cid, TRUE);
  guint n = g_strv_length ((gchar **) pairs) / 2, i;
  Response resp;
  gint16 code;
  gint n_configs;

  put_count (b, TRUE, 1);
  put_str (b, TRUE, topic);
  kw_put32 (b, -1);
  kw_put16 (b, -1);
  put_count (b, TRUE, 0);          /* assignments */
  put_count (b, TRUE, n);
  for (i = 0; i < n; i++) {
    put_str (b, TRUE, pairs[2 * i]);
    put_str (b, TRUE, pairs[2 * i + 1]);
    put_tags (b, TRUE);
  }
  put_tags (b, TRUE);
  kw_put32 (b, 5000);
  put8 (b, 0);
  put_tags (b, TRUE);
  send_and_receive (fd, b, cid, TRUE, &resp);

  fail_unless_equals_int (kw_get (&resp.r, 4), 0);
  fail_unless_equals_int (get_count (&resp), 1);
  g_free (get_str (&resp));
  code = kw_get (&resp.r, 2);
  *message = get_str (&resp);
  kw_get (&resp.r, 4);
  kw_get (&resp.r, 2);
  *configs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  n_configs = get_count (&resp);
  fail_unless (code ? n_configs == -1 : n_configs > 0);
  for (i = 0; (gint) i < n_configs; i++) {
    gchar *key = get_str (&resp), *value = get_str (&resp);
    gint source;

    kw_get (&resp.r, 1);           /* read only */
    source = kw_get (&resp.r, 1);
    kw_get (&resp.r, 1);           /* sensitive */
    get_tags (&resp);
    /* Only what was set is a topic's own (DYNAMIC_TOPIC_CONFIG). */
    fail_unless_equals_int (source == RG_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC,
        g_strv_contains ((const gchar * const *) pairs, key));
    g_hash_table_insert (*configs, key, value);
  }
  get_tags (&resp);
  get_tags (&resp);
  response_done (&resp);
  return code;
}

/* ---- Produce ---- */

/* Produce v3 (acks 1) of one batch of @n records of @size bytes each into
 * partition 0 of @topic; returns the error code and the base offset. */
static gint16
produce (int fd, gint32 cid, const gchar * topic, guint n, gsize size,
    gint64 * base_offset)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  RgRecord records[8];
  guint8 *value = g_malloc (size);
  GByteArray *batch;
  Response resp;
  gint16 code;
  guint i;

  fail_unless (n <= G_N_ELEMENTS (records));
  memset (value, 'v', size);
  memset (records, 0, sizeof (records));
  for (i = 0; i < n; i++) {
    records[i].timestamp = 1000 + i;
    records[i].value = value;
    records[i].value_len = size;
  }
  batch = rg_batch_encode (0, records, n, NULL);
  fail_unless (batch != NULL);
  kw_putstr (b, NULL);
  kw_put16 (b, 1);
  kw_put32 (b, 10000);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  g_free (value);
  send_and_receive (fd, b, cid, FALSE, &resp);
  fail_unless_equals_int (kw_get (&resp.r, 4), 1);
  g_free (get_str (&resp));
  fail_unless_equals_int (kw_get (&resp.r, 4), 1);
  fail_unless_equals_int (kw_get (&resp.r, 4), 0);
  code = kw_get (&resp.r, 2);
  *base_offset = kw_get (&resp.r, 8);
  kw_get (&resp.r, 8);
  kw_get (&resp.r, 4);
  response_done (&resp);
  return code;
}

/* ---- Brokers ---- */

static RgBroker *
start_broker_with (const gchar * root, const gchar * acl_file)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;

  rg_broker_config_init (&config);
  config.ingest_batches = 64;
  config.ingest_location = root;
  config.acl_file = acl_file;
  config.send_threads = 0;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

static RgBroker *
start_broker (const gchar * root)
{
  return start_broker_with (root, NULL);
}

static void
rm_rf (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir) {
    while ((name = g_dir_read_name (dir))) {
      gchar *child = g_build_filename (path, name, NULL);

      rm_rf (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_remove (path);
}

static guint
count_segments (const gchar * root, const gchar * topic)
{
  gchar *path = g_build_filename (root, topic, NULL);
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  guint n = 0;

  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)))
    n += g_str_has_suffix (name, ".log");
  g_dir_close (dir);
  g_free (path);
  return n;
}

/* ---- Tests ---- */

/* A topic created with configs reports them in CreateTopics v5 and in
 * every DescribeConfigs version, with their sources: set ones as the
 * topic's own, the others as defaults. */
GST_START_TEST (test_create_then_describe)
{
  RgBroker *broker = start_broker (NULL);
  const gchar *pairs[] = { "max.message.bytes", "2000", "compression.type",
    "gzip", "message.format.version", "0.10.0.0", NULL
  };
  const gchar *some[] = { "max.message.bytes", "no.such.key", NULL };
  GHashTable *configs;
  gchar *message;
  gint16 v;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  fail_unless_equals_int (create_topic (fd, 1, "configured", pairs,
          &message, &configs), 0);
  fail_unless (message == NULL);
  fail_unless_equals_string (g_hash_table_lookup (configs,
          "max.message.bytes"), "2000");
  fail_unless_equals_string (g_hash_table_lookup (configs,
          "cleanup.policy"), "delete");
  g_hash_table_unref (configs);

  for (v = 0; v <= 4; v++) {
    const Config *c;

    fail_unless_equals_int (describe (fd, 10 + v, v, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
            "configured", NULL, &configs, &message), 0);
    fail_unless (message == NULL);
    c = config_of (configs, "max.message.bytes");
    fail_unless_equals_string (c->value, "2000");
    fail_unless (!c->read_only);
    fail_unless_equals_int (c->source, v == 0 ? -1 :
        RG_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC);
    fail_unless_equals_int (c->type, v >= 3 ? RG_KAFKA_CONFIG_TYPE_INT : -1);
    fail_unless_equals_string (config_of (configs,
            "compression.type")->value, "gzip");
    c = config_of (configs, "cleanup.policy");
    fail_unless_equals_string (c->value, "delete");
    fail_unless (c->read_only);
    fail_unless_equals_int (c->source, RG_KAFKA_CONFIG_SOURCE_DEFAULT);
    /* In memory there is no time retention but the ring's. */
    fail_unless_equals_string (config_of (configs, "retention.ms")->value,
        "-1");
    g_hash_table_unref (configs);
  }

  /* Keys asked for: unknown ones are left out, as Kafka does. */
  fail_unless_equals_int (describe (fd, 20, 4, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "configured", some, &configs, &message), 0);
  fail_unless_equals_int (g_hash_table_size (configs), 1);
  g_hash_table_unref (configs);
  fail_unless_equals_int (describe (fd, 21, 2, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "nowhere", NULL, &configs, &message),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  g_free (message);
  g_hash_table_unref (configs);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* max.message.bytes: a batch over it is refused whole, nothing stored;
 * after AlterConfigs raised it (every version), the same batch goes in. */
GST_START_TEST (test_max_message_bytes)
{
  RgBroker *broker = start_broker (NULL);
  const gchar *pairs[] = { "max.message.bytes", "1000", NULL };
  const gchar *raised[] = { "max.message.bytes", "100000", NULL };
  const gchar *lowered[] = { "max.message.bytes", "500", NULL };
  GHashTable *configs;
  gchar *message;
  gint64 base;
  gint16 v;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  fail_unless_equals_int (create_topic (fd, 1, "small", pairs, &message,
          &configs), 0);
  g_hash_table_unref (configs);
  fail_unless_equals_int (produce (fd, 2, "small", 2, 100, &base), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_int (produce (fd, 3, "small", 4, 400, &base),
      RG_KAFKA_MESSAGE_TOO_LARGE);
  fail_unless_equals_int (produce (fd, 4, "small", 1, 10, &base), 0);
  fail_unless_equals_int64 (base, 2);

  for (v = 0; v <= 2; v++) {
    fail_unless_equals_int (alter (fd, 10 + v, FALSE, v,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "small", lowered, NULL, FALSE,
            &message), 0);
    fail_unless_equals_int (produce (fd, 20 + v, "small", 1, 600, &base),
        RG_KAFKA_MESSAGE_TOO_LARGE);
    fail_unless_equals_int (alter (fd, 30 + v, FALSE, v,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "small", raised, NULL, FALSE,
            &message), 0);
    fail_unless_equals_int (produce (fd, 40 + v, "small", 1, 600, &base),
        0);
    fail_unless_equals_int64 (base, 3 + v);
  }
  /* ValidateOnly changes nothing. */
  fail_unless_equals_int (alter (fd, 50, TRUE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "small", lowered, NULL, TRUE, &message), 0);
  fail_unless_equals_int (produce (fd, 51, "small", 1, 600, &base), 0);
  /* AlterConfigs replaces the whole set: without the key, no limit but
   * the request's. */
  {
    const gchar *other[] = { "compression.type", "lz4", NULL };

    fail_unless_equals_int (alter (fd, 52, FALSE, 0,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "small", lowered, NULL, FALSE,
            &message), 0);
    fail_unless_equals_int (alter (fd, 53, FALSE, 0,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "small", other, NULL, FALSE, &message),
        0);
    fail_unless_equals_int (produce (fd, 54, "small", 4, 400, &base), 0);
  }

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Refusals: each names the key; nothing of a refused resource changes. */
GST_START_TEST (test_refusals)
{
  RgBroker *broker = start_broker (NULL);
  GError *error = NULL;
  RgBrokerTopic *served = rg_broker_add_topic (broker, SERVED, 8, &error);
  const gchar *unknown[] = { "no.such.key", "1", NULL };
  const gchar *compact[] = { "cleanup.policy", "compact", NULL };
  const gchar *bad_int[] = { "max.message.bytes", "12ab", NULL };
  const gchar *mixed[] = { "max.message.bytes", "777", "retention.ms",
    "1000", NULL
  };
  const gchar *same[] = { "cleanup.policy", "delete", NULL };
  const gchar *append[] = { "cleanup.policy", "compact", NULL };
  const gint8 append_op[] = { RG_KAFKA_CONFIG_OP_APPEND };
  const gchar *kerberos[] = { "sasl.kerberos.min.time.before.relogin",
    "58000", NULL
  };
  const gchar *static_key[] = { "auto.create.topics.enable", "false", NULL };
  const gchar *listeners[] = { "listeners", "PLAINTEXT://:1", NULL };
  const gchar *none[] = { NULL };
  GHashTable *configs;
  gchar *message;
  int fd;

  fail_unless (served != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (create_topic (fd, 1, "t1", unknown, &message,
          &configs), RG_KAFKA_INVALID_CONFIG);
  fail_unless (strstr (message, "no.such.key") != NULL, "%s", message);
  g_free (message);
  g_hash_table_unref (configs);
  fail_unless_equals_int (create_topic (fd, 2, "t1", compact, &message,
          &configs), RG_KAFKA_INVALID_CONFIG);
  fail_unless (strstr (message, "cleanup.policy") != NULL, "%s", message);
  g_free (message);
  g_hash_table_unref (configs);
  /* Not created: a Metadata-free check, DescribeConfigs. */
  fail_unless_equals_int (describe (fd, 3, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC, "t1",
          NULL, &configs, &message), RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  g_free (message);
  g_hash_table_unref (configs);

  fail_unless_equals_int (create_topic (fd, 4, "t1", none, &message,
          &configs), 0);
  g_hash_table_unref (configs);
  fail_unless_equals_int (alter (fd, 5, FALSE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "t1", bad_int, NULL, FALSE, &message), RG_KAFKA_INVALID_CONFIG);
  fail_unless (strstr (message, "max.message.bytes") != NULL, "%s", message);
  g_free (message);
  /* In memory a time retention would be ignored: refused, and the whole
   * resource with it. */
  fail_unless_equals_int (alter (fd, 6, TRUE, 0, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "t1", mixed, NULL, FALSE, &message), RG_KAFKA_INVALID_CONFIG);
  fail_unless (strstr (message, "retention.ms") != NULL, "%s", message);
  g_free (message);
  fail_unless_equals_int (describe (fd, 7, 3, RG_KAFKA_CONFIG_RESOURCE_TOPIC, "t1",
          NULL, &configs, &message), 0);
  fail_unless (strcmp (config_of (configs, "max.message.bytes")->value,
          "777") != 0);
  g_hash_table_unref (configs);
  /* Writing back the value in force of a fixed key is fine. */
  fail_unless_equals_int (alter (fd, 8, FALSE, 2, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "t1", same, NULL, FALSE, &message), 0);
  fail_unless_equals_int (alter (fd, 9, TRUE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "t1", append, append_op, FALSE, &message),
      RG_KAFKA_INVALID_CONFIG);
  g_free (message);
  {
    const gchar *twice[] = { "flush.ms", "1", "flush.ms", "2", NULL };

    /* IncrementalAlterConfigs refuses a key twice; AlterConfigs takes the
     * last value, as Kafka does. */
    fail_unless_equals_int (alter (fd, 23, TRUE, 1,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "t1", twice, NULL, FALSE, &message),
        RG_KAFKA_INVALID_REQUEST);
    fail_unless (strstr (message, "flush.ms") != NULL);
    g_free (message);
    fail_unless_equals_int (alter (fd, 24, FALSE, 2,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "t1", twice, NULL, FALSE, &message), 0);
    fail_unless_equals_int (describe (fd, 25, 4, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
            "t1", NULL, &configs, &message), 0);
    fail_unless_equals_string (config_of (configs, "flush.ms")->value, "2");
    g_hash_table_unref (configs);
  }

  /* A value the broker would keep is bounded (1024 bytes). */
  {
    gchar *huge = g_strnfill (2000, '9');
    const gchar *big[] = { "message.format.version", huge, NULL };

    fail_unless_equals_int (alter (fd, 26, TRUE, 0,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "t1", big, NULL, FALSE, &message),
        RG_KAFKA_INVALID_CONFIG);
    fail_unless (strstr (message, "message.format.version") != NULL);
    g_free (message);
    g_free (huge);
  }

  /* A pipeline's topic: read-only configs, changes refused. */
  fail_unless_equals_int (describe (fd, 10, 4, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          SERVED, NULL, &configs, &message), 0);
  fail_unless (config_of (configs, "compression.type")->read_only);
  g_hash_table_unref (configs);
  fail_unless_equals_int (alter (fd, 11, TRUE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          SERVED, bad_int + 0, NULL, FALSE, &message),
      RG_KAFKA_INVALID_CONFIG);
  g_free (message);
  {
    const gchar *size[] = { "max.message.bytes", "5000", NULL };

    fail_unless_equals_int (alter (fd, 12, FALSE, 0,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, SERVED, size, NULL, FALSE, &message),
        RG_KAFKA_POLICY_VIOLATION);
    fail_unless (strstr (message, "max.message.bytes") != NULL);
    g_free (message);
  }

  /* The broker: a dynamic key without effect is kept, static ones and
   * the running element's properties are refused. */
  fail_unless_equals_int (alter (fd, 13, FALSE, 0, RG_KAFKA_CONFIG_RESOURCE_BROKER,
          "0", kerberos, NULL, FALSE, &message), 0);
  fail_unless_equals_int (alter (fd, 14, TRUE, 0, RG_KAFKA_CONFIG_RESOURCE_BROKER,
          "0", static_key, NULL, FALSE, &message), RG_KAFKA_INVALID_REQUEST);
  fail_unless (strstr (message, "auto.create.topics.enable") != NULL);
  g_free (message);
  fail_unless_equals_int (alter (fd, 15, FALSE, 1, RG_KAFKA_CONFIG_RESOURCE_BROKER,
          "0", listeners, NULL, FALSE, &message), RG_KAFKA_INVALID_REQUEST);
  g_free (message);
  fail_unless_equals_int (alter (fd, 16, FALSE, 1, RG_KAFKA_CONFIG_RESOURCE_BROKER,
          "7", kerberos, NULL, FALSE, &message), RG_KAFKA_INVALID_REQUEST);
  g_free (message);
  fail_unless_equals_int (describe (fd, 17, 4, RG_KAFKA_CONFIG_RESOURCE_BROKER, "0",
          NULL, &configs, &message), 0);
  fail_unless_equals_string (config_of (configs,
          "sasl.kerberos.min.time.before.relogin")->value, "58000");
  fail_unless (config_of (configs, "auto.create.topics.enable")->read_only);
  fail_unless_equals_string (config_of (configs,
          "auto.create.topics.enable")->value, "true");
  fail_unless_equals_int (config_of (configs, "listeners")->source,
      RG_KAFKA_CONFIG_SOURCE_STATIC_BROKER);
  g_hash_table_unref (configs);

  /* max.connections is applied: with 1, a second connection is closed
   * at once; deleted, the element's property is back. */
  {
    const gchar *one[] = { "max.connections", "1", NULL };
    const gchar *zero[] = { "max.connections", "0", NULL };
    const gchar *unset[] = { "max.connections", NULL, NULL };
    const gint8 delete_op[] = { RG_KAFKA_CONFIG_OP_DELETE };
    struct timeval tv = { 10, 0 };
    guint8 byte;
    int fd2;

    fail_unless_equals_int (alter (fd, 18, TRUE, 1,
            RG_KAFKA_CONFIG_RESOURCE_BROKER, "0", zero, NULL, FALSE, &message),
        RG_KAFKA_INVALID_CONFIG);
    g_free (message);
    fail_unless_equals_int (alter (fd, 19, TRUE, 1,
            RG_KAFKA_CONFIG_RESOURCE_BROKER, "0", one, NULL, FALSE, &message), 0);
    fail_unless_equals_int (describe (fd, 20, 2, RG_KAFKA_CONFIG_RESOURCE_BROKER,
            "0", NULL, &configs, &message), 0);
    fail_unless_equals_string (config_of (configs, "max.connections")->value,
        "1");
    fail_unless_equals_int (config_of (configs, "max.connections")->source,
        RG_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER);
    g_hash_table_unref (configs);
    fd2 = kw_connect (rg_broker_get_port (broker), 30);
    setsockopt (fd2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
    fail_unless_equals_int (recv (fd2, &byte, 1, 0), 0);
    close (fd2);
    /* IncrementalAlterConfigs DELETE (a null value). */
    fail_unless_equals_int (alter (fd, 21, TRUE, 0,
            RG_KAFKA_CONFIG_RESOURCE_BROKER, "0", unset, delete_op, FALSE,
            &message), 0);
    fd2 = kw_connect (rg_broker_get_port (broker), 30);
    fail_unless_equals_int (describe (fd2, 22, 0, RG_KAFKA_CONFIG_RESOURCE_BROKER,
            "0", NULL, &configs, &message), 0);
    fail_unless_equals_int (config_of (configs, "max.connections")->source,
        -1);
    fail_unless_equals_string (config_of (configs, "max.connections")->value,
        "10000");
    g_hash_table_unref (configs);
    close (fd2);
  }

  close (fd);
  rg_broker_remove_topic (broker, served);
  rg_broker_release (broker);
}

GST_END_TEST;

/* A journal-backed topic: segment.bytes set at creation makes the journal
 * roll at that size, and a change on the open journal (incremental,
 * flexible) takes effect at once; the configs survive a restart, and go
 * with the topic when it is deleted. */
GST_START_TEST (test_journal_segments_and_restart)
{
  gchar *root = g_dir_make_tmp ("rg-configs-XXXXXX", NULL);
  const gchar *pairs[] = { "segment.bytes", "2000", "retention.bytes",
    "100000000", NULL
  };
  const gchar *bigger[] = { "segment.bytes", "100000000", NULL };
  const gchar *smaller[] = { "segment.bytes", "2000", "retention.bytes",
    "100000000", NULL
  };
  const gint8 set_op[] = { RG_KAFKA_CONFIG_OP_SET };
  RgBroker *broker = start_broker (root);
  GHashTable *configs;
  gchar *message, *file;
  gint64 base;
  guint i, segments;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  fail_unless_equals_int (create_topic (fd, 1, "rolling", pairs, &message,
          &configs), 0);
  g_hash_table_unref (configs);
  /* Five batches of ~1 KiB: a new segment at least every second one. */
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (produce (fd, 2 + i, "rolling", 1, 1000, &base),
        0);
  segments = count_segments (root, "rolling");
  fail_unless (segments >= 3, "%u segments", segments);
  file = g_build_filename (root, "rolling+configs", NULL);
  fail_unless (g_file_test (file, G_FILE_TEST_EXISTS));

  /* Larger segments from now on, on the open journal. */
  fail_unless_equals_int (alter (fd, 10, TRUE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "rolling", bigger, set_op, FALSE, &message), 0);
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (produce (fd, 11 + i, "rolling", 1, 1000, &base),
        0);
  fail_unless_equals_int64 (base, 9);
  /* Without the change these would have made two segments more. */
  fail_unless_equals_int (count_segments (root, "rolling"), segments);
  /* Small segments again (AlterConfigs v2, flexible: the whole set). */
  fail_unless_equals_int (alter (fd, 16, FALSE, 2, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "rolling", smaller, NULL, FALSE, &message), 0);
  close (fd);
  rg_broker_release (broker);

  /* A restart keeps the topic's configs, and the journal reopens with
   * them: it rolls at 2000 bytes again (the element's default rotation
   * is far larger). */
  broker = start_broker (root);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (describe (fd, 20, 4, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "rolling", NULL, &configs, &message), 0);
  fail_unless_equals_string (config_of (configs, "segment.bytes")->value,
      "2000");
  fail_unless_equals_int (config_of (configs, "segment.bytes")->source,
      RG_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC);
  fail_unless_equals_string (config_of (configs, "retention.bytes")->value,
      "100000000");
  /* The element's rotation for what the topic did not set. */
  fail_unless_equals_int (config_of (configs, "segment.ms")->source,
      RG_KAFKA_CONFIG_SOURCE_STATIC_BROKER);
  g_hash_table_unref (configs);
  segments = count_segments (root, "rolling");
  for (i = 0; i < 4; i++)
    fail_unless_equals_int (produce (fd, 21 + i, "rolling", 1, 1000, &base),
        0);
  fail_unless_equals_int64 (base, 13);
  fail_unless (count_segments (root, "rolling") >= segments + 2, "%u, %u",
      count_segments (root, "rolling"), segments);

  /* AlterConfigs of the empty set removes the file; setting keys again
   * writes it again. */
  {
    const gchar *none[] = { NULL };

    fail_unless_equals_int (alter (fd, 25, FALSE, 0,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "rolling", none, NULL, FALSE,
            &message), 0);
    fail_unless (!g_file_test (file, G_FILE_TEST_EXISTS));
    fail_unless_equals_int (alter (fd, 26, FALSE, 0,
            RG_KAFKA_CONFIG_RESOURCE_TOPIC, "rolling", smaller, NULL, FALSE,
            &message), 0);
    fail_unless (g_file_test (file, G_FILE_TEST_EXISTS));
  }

  /* DeleteTopics v0 takes the configs with the topic. */
  {
    GByteArray *b = kw_request_new (20, 0, 22);
    Response resp;

    kw_put32 (b, 1);
    kw_putstr (b, "rolling");
    kw_put32 (b, 5000);
    send_and_receive (fd, b, 22, FALSE, &resp);
    fail_unless_equals_int (kw_get (&resp.r, 4), 1);
    g_free (get_str (&resp));
    fail_unless_equals_int (kw_get (&resp.r, 2), 0);
    response_done (&resp);
  }
  fail_unless (!g_file_test (file, G_FILE_TEST_EXISTS));
  close (fd);
  rg_broker_release (broker);
  g_free (file);

  /* A configs file without its journal (a deletion cut short) is removed
   * at start: a topic created later under the name starts clean. */
  file = g_build_filename (root, "ghost+configs", NULL);
  fail_unless (g_file_set_contents (file, "max.message.bytes=10\n", -1,
          NULL));
  broker = start_broker (root);
  fail_unless (!g_file_test (file, G_FILE_TEST_EXISTS));
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (produce (fd, 30, "ghost", 1, 100, &base), 0);
  close (fd);
  rg_broker_release (broker);
  g_free (file);
  rm_rf (root);
  g_free (root);
}

GST_END_TEST;

/* With an ACL file, Kafka's operations: describing a topic's configs needs
 * describe_configs (alter_configs implies it), changing them
 * alter_configs; the broker's need the same on the cluster. */
GST_START_TEST (test_acls)
{
  gchar *dir = g_dir_make_tmp ("rg-configs-acl-XXXXXX", NULL);
  gchar *acl = g_build_filename (dir, "acl", NULL);
  const gchar *size[] = { "max.message.bytes", "3000", NULL };
  const gchar *kerberos[] = { "sasl.kerberos.min.time.before.relogin",
    "58000", NULL
  };
  const gchar *none[] = { NULL };
  RgBrokerTopic *watched, *hidden;
  GError *error = NULL;
  GHashTable *configs;
  RgBroker *broker;
  gchar *message;
  int fd;

  fail_unless (g_file_set_contents (acl, "ANONYMOUS create,alter_configs "
          "owned\n" "ANONYMOUS read,describe_configs watched\n"
          "ANONYMOUS read hidden\n"
          "ANONYMOUS describe_configs cluster:kafka-cluster\n", -1, NULL));
  broker = start_broker_with (NULL, acl);
  watched = rg_broker_add_topic (broker, "watched", 8, &error);
  hidden = rg_broker_add_topic (broker, "hidden", 8, &error);
  fail_unless (watched && hidden);
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (create_topic (fd, 1, "owned", none, &message,
          &configs), 0);
  g_hash_table_unref (configs);
  fail_unless_equals_int (alter (fd, 2, FALSE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "owned", size, NULL, FALSE, &message), 0);
  fail_unless_equals_int (describe (fd, 3, 2, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "owned", NULL, &configs, &message), 0);
  fail_unless_equals_string (config_of (configs, "max.message.bytes")->value,
      "3000");
  g_hash_table_unref (configs);
  fail_unless_equals_int (describe (fd, 4, 2, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "watched", NULL, &configs, &message), 0);
  g_hash_table_unref (configs);
  fail_unless_equals_int (describe (fd, 5, 2, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "hidden", NULL, &configs, &message),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  g_free (message);
  g_hash_table_unref (configs);
  fail_unless_equals_int (alter (fd, 6, TRUE, 1, RG_KAFKA_CONFIG_RESOURCE_TOPIC,
          "watched", size, NULL, FALSE, &message),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  g_free (message);
  fail_unless_equals_int (alter (fd, 7, FALSE, 0, RG_KAFKA_CONFIG_RESOURCE_BROKER,
          "0", kerberos, NULL, FALSE, &message), 31);
  g_free (message);
  fail_unless_equals_int (describe (fd, 8, 1, RG_KAFKA_CONFIG_RESOURCE_BROKER, "0",
          NULL, &configs, &message), 0);
  g_hash_table_unref (configs);

  close (fd);
  rg_broker_remove_topic (broker, watched);
  rg_broker_remove_topic (broker, hidden);
  rg_broker_release (broker);
  g_unlink (acl);
  g_rmdir (dir);
  g_free (acl);
  g_free (dir);
}

GST_END_TEST;

static Suite *
brokerconfigs_suite (void)
{
  Suite *s = suite_create ("brokerconfigs");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_create_then_describe);
  tcase_add_test (tc, test_max_message_bytes);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_journal_segments_and_restart);
  tcase_add_test (tc, test_acls);
  return s;
}

GST_CHECK_MAIN (brokerconfigs);
