/* gst-rg
 * Copyright (C) 2026 gst-rg contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Partitions of the embedded broker's topics (docs/protocol.md): an
 * ingest topic a client creates has RgBrokerConfig.ingest_partitions
 * partitions, as a Kafka broker's auto-created topic has num.partitions,
 * each with its own offsets; a pipeline's topic has partition 0 only. Over
 * real sockets, with requests written byte by byte (kafkawire.h), so that
 * the broker's codec does not only talk to itself: Metadata lists the
 * partitions, Produce, Fetch and ListOffsets address each one, and a
 * partition that does not exist gets UNKNOWN_TOPIC_OR_PARTITION (3). The
 * registry's CreateTopics function is tested directly. CreatePartitions
 * (37) grows an ingest topic over the wire, in its classic (v0) and
 * flexible (v2) encodings, and a broker with auto-create-topics off
 * creates topics on CreateTopics only. */

#include <gst/check/gstcheck.h>

#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokeringest.h"
#include "broker/rgbrokerregistry.h"
#include "broker/rgloop.h"
#include "kafka/rgkafkaadmin.h"
#include "record/rgbatch.h"
#include "kafkawire.h"

#define INGEST "multi"
#define SERVED "cam"
#define N_PARTITIONS 4
#define MAX_PARTITIONS_ASKED 8
#define MAX_RECORDS 16

/* ---- Records ----
 *
 * Record i of partition p of a topic has the value "p<p>-r<i>": a record
 * read back names the partition it was produced into. Its timestamp is
 * 1000 * (i + 1). */

static gchar *
record_value (gint32 partition, guint index)
{
  return g_strdup_printf ("p%d-r%u", partition, index);
}

/* One batch of records @first .. @first + @n - 1 of @partition. */
static GByteArray *
encode_batch (gint32 partition, guint first, guint n)
{
  RgRecord records[MAX_RECORDS];
  gchar *values[MAX_RECORDS];
  GByteArray *batch;
  GError *error = NULL;
  guint i;

  fail_unless (n <= MAX_RECORDS);
  memset (records, 0, sizeof (records));
  for (i = 0; i < n; i++) {
    values[i] = record_value (partition, first + i);
    records[i].timestamp = 1000 * (first + i + 1);
    records[i].value = (const guint8 *) values[i];
    records[i].value_len = strlen (values[i]);
  }
  batch = rg_batch_encode (0, records, n, &error);
  fail_unless (batch != NULL, "%s", error ? error->message : "?");
  for (i = 0; i < n; i++)
    g_free (values[i]);
  return batch;
}

/* ---- Requests (kafkawire.h writes the framing) ---- */

/* Produce v3 (acks 1) into @topic: for each of the @n partitions, one
 * batch of @counts[i] records starting at record @firsts[i]. */
static GByteArray *
produce_request (gint32 cid, const gchar * topic, const gint32 * partitions,
    const guint * firsts, const guint * counts, guint n)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  guint i;

  kw_putstr (b, NULL);             /* transactional id */
  kw_put16 (b, 1);                 /* acks */
  kw_put32 (b, 10000);             /* timeout */
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, n);
  for (i = 0; i < n; i++) {
    GByteArray *batch = encode_batch (partitions[i], firsts[i], counts[i]);

    kw_put32 (b, partitions[i]);
    kw_put32 (b, batch->len);
    g_byte_array_append (b, batch->data, batch->len);
    g_byte_array_unref (batch);
  }
  return kw_request_finish (b);
}

/* Fetch v4 of @n partitions of @topic, each from @offsets[i], without
 * waiting. */
static GByteArray *
fetch_request (gint32 cid, const gchar * topic, const gint32 * partitions,
    const gint64 * offsets, guint n)
{
  GByteArray *b = kw_request_new (1, 4, cid);
  guint i;

  kw_put32 (b, -1);                /* replica */
  kw_put32 (b, 0);                 /* max wait ms */
  kw_put32 (b, 0);                 /* min bytes */
  kw_put32 (b, 1024 * 1024);       /* max bytes */
  g_byte_array_append (b, (const guint8 *) "\0", 1);    /* isolation */
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, n);
  for (i = 0; i < n; i++) {
    kw_put32 (b, partitions[i]);
    kw_put64 (b, offsets[i]);
    kw_put32 (b, 64 * 1024);       /* partition max bytes */
  }
  return kw_request_finish (b);
}

/* ListOffsets v1 of @n partitions of @topic at @timestamp (-1 latest, -2
 * earliest). */
static GByteArray *
list_offsets_request (gint32 cid, const gchar * topic,
    const gint32 * partitions, guint n, gint64 timestamp)
{
  GByteArray *b = kw_request_new (2, 1, cid);
  guint i;

  kw_put32 (b, -1);                /* replica */
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, n);
  for (i = 0; i < n; i++) {
    kw_put32 (b, partitions[i]);
    kw_put64 (b, timestamp);
  }
  return kw_request_finish (b);
}

/* Metadata v1 of @topic, or of every topic when @topic is NULL. */
static GByteArray *
metadata_request (gint32 cid, const gchar * topic)
{
  GByteArray *b = kw_request_new (3, 1, cid);

  if (topic) {
    kw_put32 (b, 1);
    kw_putstr (b, topic);
  } else {
    kw_put32 (b, -1);              /* null array: every topic */
  }
  return kw_request_finish (b);
}

/* ---- Responses ---- */

typedef struct
{
  guint8 *start;
  KwReader r;
} Response;

static void
send_and_receive (int fd, GByteArray * req, gint32 cid, Response * resp)
{
  gsize size;

  kw_send_request (fd, req);
  resp->start = kw_recv_frame (fd, cid, &size);
  resp->r.p = resp->start;
  resp->r.end = resp->start + size;
  kw_get (&resp->r, 4);            /* correlation id, checked */
}

/* Checks that the next STRING is @expected. */
static void
expect_str (KwReader * r, const gchar * expected)
{
  gint16 len = kw_get (r, 2);

  fail_unless (len >= 0 && r->p + len <= r->end);
  fail_unless (len == (gint16) strlen (expected)
      && memcmp (r->p, expected, len) == 0, "topic %.*s, expected %s", len,
      r->p, expected);
  r->p += len;
}

/* A STRING, newly allocated. */
static gchar *
read_str (KwReader * r)
{
  gint16 len = kw_get (r, 2);
  gchar *s;

  fail_unless (len >= 0 && r->p + len <= r->end);
  s = g_strndup ((const gchar *) r->p, len);
  r->p += len;
  return s;
}

/* One partition's answer to a Produce, a Fetch or a ListOffsets. */
typedef struct
{
  gint32 partition;
  gint16 error_code;
  gint64 offset;                /* base offset, or ListOffsets' offset */
  gint64 timestamp;             /* ListOffsets */
  gint64 high_watermark;        /* Fetch */
  guint n_records;              /* Fetch: records at or after the offset */
  gint64 offsets[MAX_RECORDS];
  gchar *values[MAX_RECORDS];
} PartitionAnswer;

static void
answers_clear (PartitionAnswer * a, guint n)
{
  guint i, j;

  for (i = 0; i < n; i++)
    for (j = 0; j < a[i].n_records; j++)
      g_free (a[i].values[j]);
}

/* Reads the partitions of a one-topic response; returns how many. */
static guint
read_topic_header (KwReader * r, const gchar * topic)
{
  gint32 n;

  fail_unless_equals_int (kw_get (r, 4), 1);
  expect_str (r, topic);
  n = kw_get (r, 4);
  fail_unless (n >= 0 && n <= MAX_PARTITIONS_ASKED);
  return n;
}

static guint
produce (int fd, gint32 cid, const gchar * topic, const gint32 * partitions,
    const guint * firsts, const guint * counts, guint n,
    PartitionAnswer * answers)
{
  Response resp;
  guint i, got;

  send_and_receive (fd, produce_request (cid, topic, partitions, firsts,
          counts, n), cid, &resp);
  got = read_topic_header (&resp.r, topic);
  for (i = 0; i < got; i++) {
    memset (&answers[i], 0, sizeof (answers[i]));
    answers[i].partition = kw_get (&resp.r, 4);
    answers[i].error_code = kw_get (&resp.r, 2);
    answers[i].offset = kw_get (&resp.r, 8);
    kw_get (&resp.r, 8);           /* log append time */
  }
  kw_get (&resp.r, 4);             /* throttle */
  fail_unless (resp.r.p == resp.r.end);
  g_free (resp.start);
  return got;
}

/* The records of a Fetch partition at or after @from, into @a. */
static void
read_records (KwReader * r, gint64 from, PartitionAnswer * a)
{
  gint32 len = kw_get (r, 4);
  const guint8 *rec = r->p, *end;

  fail_unless (len >= -1 && r->p + MAX (len, 0) <= r->end);
  end = rec + MAX (len, 0);
  while (rec < end) {
    RgBatchReader br;
    RgRecordView view;
    GError *error = NULL;

    fail_unless (rg_batch_reader_init (&br, rec, end - rec, &error), "%s",
        error ? error->message : "?");
    while (rg_batch_reader_next (&br, &view, NULL)) {
      if (view.offset < from)
        continue;
      fail_unless (a->n_records < MAX_RECORDS);
      a->offsets[a->n_records] = view.offset;
      a->values[a->n_records++] = g_strndup ((const gchar *) view.value,
          view.value_len);
    }
    rec += RG_BATCH_LOG_OVERHEAD + rg_batch_reader_get_info (&br)->batch_length;
  }
  r->p = end;
}

static guint
fetch (int fd, gint32 cid, const gchar * topic, const gint32 * partitions,
    const gint64 * offsets, guint n, PartitionAnswer * answers)
{
  Response resp;
  guint i, got;

  send_and_receive (fd, fetch_request (cid, topic, partitions, offsets, n),
      cid, &resp);
  kw_get (&resp.r, 4);             /* throttle */
  got = read_topic_header (&resp.r, topic);
  fail_unless_equals_int (got, n);
  for (i = 0; i < got; i++) {
    gint32 aborted;

    memset (&answers[i], 0, sizeof (answers[i]));
    answers[i].partition = kw_get (&resp.r, 4);
    fail_unless_equals_int (answers[i].partition, partitions[i]);
    answers[i].error_code = kw_get (&resp.r, 2);
    answers[i].high_watermark = kw_get (&resp.r, 8);
    kw_get (&resp.r, 8);           /* last stable offset */
    aborted = kw_get (&resp.r, 4);
    fail_unless (aborted <= 0);
    read_records (&resp.r, offsets[i], &answers[i]);
  }
  fail_unless (resp.r.p == resp.r.end);
  g_free (resp.start);
  return got;
}

static guint
list_offsets (int fd, gint32 cid, const gchar * topic,
    const gint32 * partitions, guint n, gint64 timestamp,
    PartitionAnswer * answers)
{
  Response resp;
  guint i, got;

  send_and_receive (fd, list_offsets_request (cid, topic, partitions, n,
          timestamp), cid, &resp);
  got = read_topic_header (&resp.r, topic);
  fail_unless_equals_int (got, n);
  for (i = 0; i < got; i++) {
    memset (&answers[i], 0, sizeof (answers[i]));
    answers[i].partition = kw_get (&resp.r, 4);
    fail_unless_equals_int (answers[i].partition, partitions[i]);
    answers[i].error_code = kw_get (&resp.r, 2);
    answers[i].timestamp = kw_get (&resp.r, 8);
    answers[i].offset = kw_get (&resp.r, 8);
  }
  fail_unless (resp.r.p == resp.r.end);
  g_free (resp.start);
  return got;
}

/* A Metadata v1 answer: topic name -> GINT_TO_POINTER (partitions + 1), or
 * -(error code) for a topic in error. Checks every partition: numbered 0
 * .. n - 1 in order, led by node 0, which is also the only replica. */
static GHashTable *
metadata (int fd, gint32 cid, const gchar * topic)
{
  GHashTable *topics = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  Response resp;
  gint32 n, i, p;

  send_and_receive (fd, metadata_request (cid, topic), cid, &resp);
  fail_unless_equals_int (kw_get (&resp.r, 4), 1);      /* brokers */
  fail_unless_equals_int (kw_get (&resp.r, 4), 0);      /* node id */
  kw_skip_str (&resp.r);           /* host */
  kw_get (&resp.r, 4);             /* port */
  kw_skip_str (&resp.r);           /* rack */
  kw_get (&resp.r, 4);             /* controller */
  n = kw_get (&resp.r, 4);
  for (i = 0; i < n; i++) {
    gint16 error_code = kw_get (&resp.r, 2);
    gchar *name = read_str (&resp.r);
    gint32 n_partitions;

    kw_get (&resp.r, 1);           /* is internal */
    n_partitions = kw_get (&resp.r, 4);
    for (p = 0; p < n_partitions; p++) {
      fail_unless_equals_int (kw_get (&resp.r, 2), 0);
      fail_unless_equals_int (kw_get (&resp.r, 4), p);
      fail_unless_equals_int (kw_get (&resp.r, 4), 0);  /* leader */
      fail_unless_equals_int (kw_get (&resp.r, 4), 1);  /* replicas */
      fail_unless_equals_int (kw_get (&resp.r, 4), 0);
      fail_unless_equals_int (kw_get (&resp.r, 4), 1);  /* isr */
      fail_unless_equals_int (kw_get (&resp.r, 4), 0);
    }
    g_hash_table_insert (topics, name, GINT_TO_POINTER (error_code ?
            -error_code : n_partitions + 1));
  }
  fail_unless (resp.r.p == resp.r.end);
  g_free (resp.start);
  return topics;
}

/* The partitions Metadata lists for @topic (asking for it alone). */
static gint
metadata_partitions (int fd, gint32 cid, const gchar * topic)
{
  GHashTable *topics = metadata (fd, cid, topic);
  gint v;

  fail_unless_equals_int (g_hash_table_size (topics), 1);
  v = GPOINTER_TO_INT (g_hash_table_lookup (topics, topic));
  g_hash_table_unref (topics);
  fail_unless (v > 0, "%s: error %d", topic, -v);
  return v - 1;
}

/* ---- The broker ---- */

static RgBroker *
start_broker (guint ingest_partitions, gboolean set_partitions)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;

  rg_broker_config_init (&config);
  config.ingest_batches = 64;
  if (set_partitions)
    config.ingest_partitions = ingest_partitions;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

static const gint32 all_partitions[N_PARTITIONS] = { 0, 1, 2, 3 };

/* Produces two batches into each partition p of INGEST: p + 1 records,
 * then one more, so that every partition has other offsets. */
static void
produce_two_rounds (int fd)
{
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  guint firsts[N_PARTITIONS], counts[N_PARTITIONS];
  gint32 p;

  for (p = 0; p < N_PARTITIONS; p++) {
    firsts[p] = 0;
    counts[p] = p + 1;
  }
  fail_unless_equals_int (produce (fd, 10, INGEST, all_partitions, firsts,
          counts, N_PARTITIONS, answers), N_PARTITIONS);
  for (p = 0; p < N_PARTITIONS; p++) {
    fail_unless_equals_int (answers[p].partition, p);
    fail_unless_equals_int (answers[p].error_code, 0);
    fail_unless_equals_int64 (answers[p].offset, 0);
  }

  for (p = 0; p < N_PARTITIONS; p++) {
    firsts[p] = p + 1;
    counts[p] = 1;
  }
  fail_unless_equals_int (produce (fd, 11, INGEST, all_partitions, firsts,
          counts, N_PARTITIONS, answers), N_PARTITIONS);
  for (p = 0; p < N_PARTITIONS; p++) {
    fail_unless_equals_int (answers[p].error_code, 0);
    /* Each partition counts its own offsets. */
    fail_unless_equals_int64 (answers[p].offset, p + 1);
  }
}

/* Partition p holds p + 2 records, "p<p>-r0" .. at offsets 0 .. p + 1. */
static void
check_partition (const PartitionAnswer * a, gint32 p, guint from)
{
  guint i;

  fail_unless_equals_int (a->error_code, 0);
  fail_unless_equals_int64 (a->high_watermark, p + 2);
  fail_unless_equals_int (a->n_records, p + 2 - from);
  for (i = 0; i < a->n_records; i++) {
    gchar *expected = record_value (p, from + i);

    fail_unless_equals_int64 (a->offsets[i], from + i);
    fail_unless_equals_string (a->values[i], expected);
    g_free (expected);
  }
}

/* ---- Tests ---- */

/* A topic a client names is created with ingest-partitions partitions,
 * which Metadata lists one by one, beside the pipeline's one-partition
 * topic. */
GST_START_TEST (test_metadata_lists_partitions)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  GError *error = NULL;
  RgBrokerTopic *served = rg_broker_add_topic (broker, SERVED, 8, &error);
  GHashTable *topics;
  int fd;

  fail_unless (served != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (metadata_partitions (fd, 1, INGEST), N_PARTITIONS);
  fail_unless_equals_int (metadata_partitions (fd, 2, SERVED), 1);

  topics = metadata (fd, 3, NULL);
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              INGEST)), N_PARTITIONS + 1);
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              SERVED)), 1 + 1);
  g_hash_table_unref (topics);

  close (fd);
  rg_broker_remove_topic (broker, served);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Records produced into partitions 0 .. 3 of one topic come back from
 * each partition alone, at that partition's own offsets. */
GST_START_TEST (test_produce_fetch_each_partition)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  gint64 offsets[N_PARTITIONS] = { 0, 0, 0, 0 };
  gint32 p, two = 2;
  gint64 from = 2;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  produce_two_rounds (fd);

  fetch (fd, 20, INGEST, all_partitions, offsets, N_PARTITIONS, answers);
  for (p = 0; p < N_PARTITIONS; p++)
    check_partition (&answers[p], p, 0);
  answers_clear (answers, N_PARTITIONS);

  /* From the middle of one partition: the others do not count. */
  fetch (fd, 21, INGEST, &two, &from, 1, answers);
  check_partition (&answers[0], 2, 2);
  answers_clear (answers, 1);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ListOffsets answers each partition with its own end and start. */
GST_START_TEST (test_list_offsets_each_partition)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  const gint32 asked[N_PARTITIONS + 1] = { 3, 0, 2, 1, 4 };
  guint i;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  produce_two_rounds (fd);

  list_offsets (fd, 30, INGEST, asked, N_PARTITIONS + 1, -1, answers);
  for (i = 0; i < N_PARTITIONS; i++) {
    fail_unless_equals_int (answers[i].error_code, 0);
    fail_unless_equals_int64 (answers[i].offset, asked[i] + 2);
  }
  fail_unless_equals_int (answers[N_PARTITIONS].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int64 (answers[N_PARTITIONS].offset, -1);

  list_offsets (fd, 31, INGEST, asked, N_PARTITIONS, -2, answers);
  for (i = 0; i < N_PARTITIONS; i++) {
    fail_unless_equals_int (answers[i].error_code, 0);
    fail_unless_equals_int64 (answers[i].offset, 0);
  }

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Partition 4 of a 4-partition topic and partition 1 of a pipeline's
 * topic do not exist: Produce, Fetch and ListOffsets answer 3, and nothing
 * is stored anywhere. */
GST_START_TEST (test_unknown_partition)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  GError *error = NULL;
  RgBrokerTopic *served = rg_broker_add_topic (broker, SERVED, 8, &error);
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  const gint32 beyond = N_PARTITIONS, negative = -1, one = 1, zero = 0;
  const guint start = 0, count = 1;
  gint64 offsets[N_PARTITIONS] = { 0, 0, 0, 0 };
  gint32 p;
  int fd;

  fail_unless (served != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);

  produce (fd, 40, INGEST, &beyond, &start, &count, 1, answers);
  fail_unless_equals_int (answers[0].partition, beyond);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int64 (answers[0].offset, -1);
  produce (fd, 41, INGEST, &negative, &start, &count, 1, answers);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  /* The topic was created by that Produce, empty in every partition. */
  fetch (fd, 42, INGEST, all_partitions, offsets, N_PARTITIONS, answers);
  for (p = 0; p < N_PARTITIONS; p++) {
    fail_unless_equals_int (answers[p].error_code, 0);
    fail_unless_equals_int64 (answers[p].high_watermark, 0);
  }
  fetch (fd, 43, INGEST, &beyond, offsets, 1, answers);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int64 (answers[0].high_watermark, -1);

  /* The pipeline's topic: partition 0 only. */
  produce (fd, 44, SERVED, &one, &start, &count, 1, answers);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fetch (fd, 45, SERVED, &one, offsets, 1, answers);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  list_offsets (fd, 46, SERVED, &one, 1, -1, answers);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fetch (fd, 47, SERVED, &zero, offsets, 1, answers);
  fail_unless_equals_int (answers[0].error_code, 0);
  produce (fd, 48, SERVED, &zero, &start, &count, 1, answers);
  fail_unless_equals_int (answers[0].error_code,
      RG_BROKER_PRODUCE_REFUSED_ERROR);

  close (fd);
  rg_broker_remove_topic (broker, served);
  rg_broker_release (broker);
}

GST_END_TEST;

/* Left at its default, a broker creates one-partition topics, as Kafka's
 * num.partitions = 1 does. */
GST_START_TEST (test_default_one_partition)
{
  RgBroker *broker = start_broker (0, FALSE);
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  const gint32 partitions[2] = { 0, 1 };
  const guint firsts[2] = { 0, 0 }, counts[2] = { 1, 1 };
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  produce (fd, 50, INGEST, partitions, firsts, counts, 2, answers);
  fail_unless_equals_int (answers[0].error_code, 0);
  fail_unless_equals_int (answers[1].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int (metadata_partitions (fd, 51, INGEST), 1);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ListOffsets by timestamp finds a record inside a produced batch, as
 * Kafka does (a batch's own timestamp is its newest record's), in the
 * partition asked for. */
GST_START_TEST (test_list_offsets_by_timestamp)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  const gint32 one = 1, three = 3;
  const guint start = 0, count = 3;
  const gint64 asked[] = { 1, 1000, 1500, 2000, 2500, 3000, 3001 };
  const gint64 offsets[] = { 0, 0, 1, 1, 2, 2, -1 };
  guint i;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  /* One batch: timestamps 1000, 2000, 3000 at offsets 0, 1, 2. */
  produce (fd, 60, INGEST, &one, &start, &count, 1, answers);
  fail_unless_equals_int (answers[0].error_code, 0);

  for (i = 0; i < G_N_ELEMENTS (asked); i++) {
    list_offsets (fd, 61 + i, INGEST, &one, 1, asked[i], answers);
    fail_unless_equals_int (answers[0].error_code, 0);
    fail_unless_equals_int64 (answers[0].offset, offsets[i]);
    fail_unless_equals_int64 (answers[0].timestamp, offsets[i] < 0 ? -1 :
        1000 * (offsets[i] + 1));
  }
  /* Another partition has nothing at any time. */
  list_offsets (fd, 70, INGEST, &three, 1, 1, answers);
  fail_unless_equals_int (answers[0].error_code, 0);
  fail_unless_equals_int64 (answers[0].offset, -1);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* A name Kafka would refuse gets INVALID_TOPIC_EXCEPTION from a broker
 * that creates topics, as from Kafka with auto-creation (producers then
 * fail its records at once, librdkafka's 0057_invalid_topic), and
 * UNKNOWN_TOPIC_OR_PARTITION from one that does not. */
/* The error Metadata v4 answers for @topic alone, asked with
 * AllowAutoTopicCreation @allow. */
static gint16
metadata_v4_error (int fd, gint32 cid, const gchar * topic, gboolean allow)
{
  GByteArray *b = kw_request_new (3, 4, cid);
  Response resp;
  gint16 error_code;

  kw_put32 (b, 1);
  kw_putstr (b, topic);
  g_byte_array_append (b, (const guint8 *) (allow ? "\1" : "\0"), 1);
  send_and_receive (fd, kw_request_finish (b), cid, &resp);
  kw_get (&resp.r, 4);             /* throttle */
  fail_unless_equals_int (kw_get (&resp.r, 4), 1);      /* brokers */
  kw_get (&resp.r, 4);             /* node id */
  kw_skip_str (&resp.r);           /* host */
  kw_get (&resp.r, 4);             /* port */
  kw_skip_str (&resp.r);           /* rack */
  kw_skip_str (&resp.r);           /* cluster id */
  kw_get (&resp.r, 4);             /* controller */
  fail_unless_equals_int (kw_get (&resp.r, 4), 1);      /* topics */
  error_code = kw_get (&resp.r, 2);
  g_free (resp.start);
  return error_code;
}

/* A consumer asks with AllowAutoTopicCreation false: the name is looked
 * up, not created; a producer's Metadata (true) creates it. */
GST_START_TEST (test_metadata_no_auto_creation)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  fail_unless_equals_int (metadata_v4_error (fd, 90, "later", FALSE),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int (metadata_v4_error (fd, 91, "later", FALSE),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int (metadata_v4_error (fd, 93, "later", TRUE), 0);
  fail_unless_equals_int (metadata_v4_error (fd, 94, "later", FALSE), 0);
  fail_unless_equals_int (metadata_partitions (fd, 95, "later"),
      N_PARTITIONS);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_metadata_invalid_name)
{
  RgBroker *broker = start_broker (N_PARTITIONS, TRUE);
  RgBrokerConfig config;
  RgBroker *closed;
  GHashTable *topics;
  int fd = kw_connect (rg_broker_get_port (broker), 30);

  topics = metadata (fd, 80, "bad$#!");
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              "bad$#!")), -RG_KAFKA_INVALID_TOPIC_EXCEPTION);
  g_hash_table_unref (topics);
  topics = metadata (fd, 81, "..");
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              "..")), -RG_KAFKA_INVALID_TOPIC_EXCEPTION);
  g_hash_table_unref (topics);
  close (fd);

  rg_broker_config_init (&config);
  closed = rg_broker_acquire ("127.0.0.1", 0, &config, NULL);
  fail_unless (closed != NULL);
  fd = kw_connect (rg_broker_get_port (closed), 30);
  topics = metadata (fd, 82, "bad$#!");
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              "bad$#!")), -RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  g_hash_table_unref (topics);
  topics = metadata (fd, 83, "fine");
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              "fine")), -RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  g_hash_table_unref (topics);
  close (fd);

  rg_broker_release (closed);
  rg_broker_release (broker);
}

GST_END_TEST;

static gint64
no_turn (gpointer user_data, gint64 now, gboolean woken)
{
  return G_MAXINT64;
}

static RgKafkaStr
str (const gchar * s)
{
  return rg_kafka_str_from_cstr (s);
}

/* The registry's CreateTopics: a topic of any partition count in range,
 * once per name, its partitions distinct topics under one name. */
GST_START_TEST (test_registry_create_ingest)
{
  RgLoop *loop = rg_loop_new (no_turn, NULL);
  RgBrokerRegistry *registry = rg_broker_registry_new (9092, 8,
      rg_loop_get_waker (loop));
  RgBrokerRegistry *closed = rg_broker_registry_new (9092, 0,
      rg_loop_get_waker (loop));
  RgBrokerTopic *p0, *p2, *beyond;
  gint64 base = -1;
  GByteArray *batch;

  fail_unless_equals_int (rg_broker_registry_get_ingest_partitions
      (registry), 1);
  rg_broker_registry_set_ingest_partitions (registry, 5);
  fail_unless_equals_int (rg_broker_registry_get_ingest_partitions
      (registry), 5);
  fail_unless (rg_broker_registry_reserve (registry, "kept", NULL));

  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("made"), 3, FALSE), RG_KAFKA_NONE);
  fail_unless_equals_int (rg_broker_registry_count_partitions (registry,
          str ("made")), 3);
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("made"), 3, FALSE), 36);
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("kept"), 1, FALSE), 36);
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("zero"), 0, FALSE), 37);
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("huge"), RG_BROKER_MAX_INGEST_PARTITIONS + 1, FALSE), 37);
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("bad name"), 1, FALSE), RG_KAFKA_INVALID_TOPIC_EXCEPTION);
  fail_unless_equals_int (rg_broker_registry_create_ingest (closed,
          str ("made"), 1, FALSE), RG_KAFKA_POLICY_VIOLATION);
  /* Validation only creates nothing. */
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("checked"), 2, TRUE), RG_KAFKA_NONE);
  fail_unless_equals_int (rg_broker_registry_count_partitions (registry,
          str ("checked")), 0);
  /* -1 is the broker's default. */
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("default"), -1, FALSE), RG_KAFKA_NONE);
  fail_unless_equals_int (rg_broker_registry_count_partitions (registry,
          str ("default")), 5);

  p0 = rg_broker_registry_lookup_partition (registry, str ("made"), 0);
  p2 = rg_broker_registry_lookup_partition (registry, str ("made"), 2);
  beyond = rg_broker_registry_lookup_partition (registry, str ("made"), 3);
  fail_unless (p0 != NULL && p2 != NULL && p0 != p2);
  fail_unless (beyond == NULL);
  fail_unless_equals_string (rg_broker_topic_get_name (p2), "made");
  fail_unless (rg_broker_topic_is_ingest (p2));
  /* Each knows which partition it is (per-partition state elsewhere, an
   * idempotent producer's sequences, is keyed by it). */
  fail_unless_equals_int (rg_broker_topic_get_partition (p0), 0);
  fail_unless_equals_int (rg_broker_topic_get_partition (p2), 2);
  /* Partition 0 is the topic the name alone finds. */
  beyond = rg_broker_registry_lookup (registry, str ("made"));
  fail_unless (beyond == p0);
  rg_broker_topic_unref (beyond);

  batch = encode_batch (2, 0, 3);
  fail_unless_equals_int (rg_broker_topic_produce (p2, batch->data,
          batch->len, &base), RG_KAFKA_NONE);
  g_byte_array_unref (batch);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_uint64 (rg_broker_topic_get_high_watermark (p2), 3);
  fail_unless_equals_uint64 (rg_broker_topic_get_high_watermark (p0), 0);
  rg_broker_topic_unref (p0);
  rg_broker_topic_unref (p2);

  rg_broker_registry_free (closed);
  rg_broker_registry_free (registry);
  rg_loop_free (loop);
}

GST_END_TEST;

/* ---- CreatePartitions ---- */

static void
put8 (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

/* A COMPACT_STRING (names under 127 bytes). */
static void
put_compact_str (GByteArray * b, const gchar * s)
{
  put8 (b, strlen (s) + 1);
  g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

/* One topic of a CreatePartitions request: grow @name to @count; with
 * @n_assignments >= 0, that many manual assignments, each of the one
 * broker @broker (-1: a null array). */
typedef struct
{
  const gchar *name;
  gint32 count;
  gint32 n_assignments;
  gint32 broker;
} GrowTopic;

/* CreatePartitions @version (0, 1: classic; 2, 3: flexible) of @topics. */
static GByteArray *
create_partitions_request (gint32 cid, gint16 version,
    const GrowTopic * topics, guint n, gboolean validate_only)
{
  GByteArray *b = kw_request_new (RG_KAFKA_ADMIN_API_CREATE_PARTITIONS,
      version, cid);
  gboolean flexible = version >= 2;
  guint i;
  gint32 a;

  if (flexible) {
    put8 (b, 0);                   /* header tags */
    put8 (b, n + 1);
  } else {
    kw_put32 (b, n);
  }
  for (i = 0; i < n; i++) {
    const GrowTopic *t = &topics[i];

    if (flexible)
      put_compact_str (b, t->name);
    else
      kw_putstr (b, t->name);
    kw_put32 (b, t->count);
    if (flexible)
      put8 (b, t->n_assignments + 1);   /* 0: null */
    else
      kw_put32 (b, t->n_assignments);
    for (a = 0; a < t->n_assignments; a++) {
      if (flexible) {
        put8 (b, 2);
        kw_put32 (b, t->broker);
        put8 (b, 0);
      } else {
        kw_put32 (b, 1);
        kw_put32 (b, t->broker);
      }
    }
    if (flexible)
      put8 (b, 0);
  }
  kw_put32 (b, 5000);
  put8 (b, validate_only);
  if (flexible)
    put8 (b, 0);
  return kw_request_finish (b);
}

/* Sends CreatePartitions and fills @codes, one per topic, checking that
 * the names come back in order and that every refusal says why. */
static void
create_partitions (int fd, gint32 cid, gint16 version,
    const GrowTopic * topics, guint n, gboolean validate_only,
    gint16 * codes)
{
  gboolean flexible = version >= 2;
  Response resp;
  guint i;
  gint64 len;

  send_and_receive (fd, create_partitions_request (cid, version, topics, n,
          validate_only), cid, &resp);
  if (flexible)
    fail_unless_equals_int (kw_get (&resp.r, 1), 0);    /* header tags */
  fail_unless_equals_int (kw_get (&resp.r, 4), 0);      /* throttle */
  fail_unless_equals_int (flexible ? kw_get (&resp.r, 1) - 1 :
      kw_get (&resp.r, 4), n);
  for (i = 0; i < n; i++) {
    len = flexible ? kw_get (&resp.r, 1) - 1 : kw_get (&resp.r, 2);
    fail_unless (len == (gint64) strlen (topics[i].name)
        && resp.r.p + len <= resp.r.end
        && memcmp (resp.r.p, topics[i].name, len) == 0);
    resp.r.p += len;
    codes[i] = kw_get (&resp.r, 2);
    len = flexible ? kw_get (&resp.r, 1) - 1 : kw_get (&resp.r, 2);
    /* A message with every error, none without. */
    fail_unless ((codes[i] != 0) == (len > 0), "%s: error %d, message "
        "length %" G_GINT64_FORMAT, topics[i].name, codes[i], len);
    fail_unless (len <= 0 || resp.r.p + len <= resp.r.end);
    resp.r.p += MAX (len, 0);
    if (flexible)
      fail_unless_equals_int (kw_get (&resp.r, 1), 0);
  }
  if (flexible)
    fail_unless_equals_int (kw_get (&resp.r, 1), 0);
  fail_unless (resp.r.p == resp.r.end);
  g_free (resp.start);
}

/* CreatePartitions of one topic; returns its error code. */
static gint16
grow (int fd, gint32 cid, gint16 version, const gchar * name, gint32 count,
    gboolean validate_only)
{
  GrowTopic t = { name, count, -1, 0 };
  gint16 code = -1;

  create_partitions (fd, cid, version, &t, 1, validate_only, &code);
  return code;
}

/* A topic created with one partition grows to three (v0) and four (v2):
 * Metadata lists them at once, and records produced into partition 2
 * come back from it at its own offsets, the others untouched. */
GST_START_TEST (test_create_partitions_grow)
{
  RgBroker *broker = start_broker (1, FALSE);
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  static const gint32 two[1] = { 2 };
  static const gint32 zero_three[2] = { 0, 3 };
  const guint firsts[1] = { 0 }, counts[1] = { 5 };
  const gint64 from[2] = { 0, 0 };
  int fd = kw_connect (rg_broker_get_port (broker), 30);
  gchar *expected;
  guint i;

  fail_unless_equals_int (metadata_partitions (fd, 1, INGEST), 1);
  fail_unless_equals_int (grow (fd, 2, 0, INGEST, 3, FALSE), 0);
  fail_unless_equals_int (metadata_partitions (fd, 3, INGEST), 3);

  fail_unless_equals_int (produce (fd, 4, INGEST, two, firsts, counts, 1,
          answers), 1);
  fail_unless_equals_int (answers[0].error_code, 0);
  fail_unless_equals_int64 (answers[0].offset, 0);
  fail_unless_equals_int (fetch (fd, 5, INGEST, two, from, 1, answers), 1);
  fail_unless_equals_int (answers[0].error_code, 0);
  fail_unless_equals_int64 (answers[0].high_watermark, 5);
  fail_unless_equals_int (answers[0].n_records, 5);
  for (i = 0; i < 5; i++) {
    expected = record_value (2, i);
    fail_unless_equals_int64 (answers[0].offsets[i], i);
    fail_unless_equals_string (answers[0].values[i], expected);
    g_free (expected);
  }
  answers_clear (answers, 1);

  /* The flexible encoding; partition 0 is the topic it was, empty. */
  fail_unless_equals_int (grow (fd, 6, 2, INGEST, 4, FALSE), 0);
  fail_unless_equals_int (metadata_partitions (fd, 7, INGEST), 4);
  fail_unless_equals_int (fetch (fd, 8, INGEST, zero_three, from, 2,
          answers), 2);
  fail_unless_equals_int (answers[0].error_code, 0);
  fail_unless_equals_int64 (answers[0].high_watermark, 0);
  fail_unless_equals_int (answers[1].error_code, 0);
  fail_unless_equals_int64 (answers[1].high_watermark, 0);
  answers_clear (answers, 2);
  /* Partition 2 kept its records through the second growth. */
  fail_unless_equals_int (fetch (fd, 9, INGEST, two, from, 1, answers), 1);
  fail_unless_equals_int64 (answers[0].high_watermark, 5);
  fail_unless_equals_int (answers[0].n_records, 5);
  answers_clear (answers, 1);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* What CreatePartitions refuses, each with its Kafka error, and that a
 * refusal or a ValidateOnly changes nothing. */
GST_START_TEST (test_create_partitions_refused)
{
  RgBroker *broker = start_broker (3, TRUE);
  GError *error = NULL;
  RgBrokerTopic *served = rg_broker_add_topic (broker, SERVED, 8, &error);
  GrowTopic twice[2] = { {INGEST, 5, -1, 0}, {INGEST, 6, -1, 0} };
  GrowTopic assigned[3] = { {INGEST, 5, 2, 0}, {INGEST, 5, 1, 0},
  {INGEST, 5, 2, 1}
  };
  gint16 codes[2];
  int fd;

  fail_unless (served != NULL, "%s", error ? error->message : "?");
  fd = kw_connect (rg_broker_get_port (broker), 30);
  fail_unless_equals_int (metadata_partitions (fd, 1, INGEST), 3);

  /* Never shrink, nor "grow" to the same count. */
  fail_unless_equals_int (grow (fd, 2, 0, INGEST, 2, FALSE),
      RG_KAFKA_INVALID_PARTITIONS);
  fail_unless_equals_int (grow (fd, 3, 3, INGEST, 3, FALSE),
      RG_KAFKA_INVALID_PARTITIONS);
  fail_unless_equals_int (grow (fd, 4, 1, INGEST,
          RG_BROKER_MAX_INGEST_PARTITIONS + 1, FALSE),
      RG_KAFKA_INVALID_PARTITIONS);
  /* A pipeline's topic and its view keep their one partition. */
  fail_unless_equals_int (grow (fd, 5, 0, SERVED, 2, FALSE),
      RG_KAFKA_POLICY_VIOLATION);
  fail_unless_equals_int (grow (fd, 6, 2, "nobody", 2, FALSE),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  /* Validation only adds nothing. */
  fail_unless_equals_int (grow (fd, 7, 1, INGEST, 5, TRUE), 0);
  fail_unless_equals_int (metadata_partitions (fd, 8, INGEST), 3);
  /* A name twice: both refused, as Kafka does. */
  create_partitions (fd, 9, 0, twice, 2, FALSE, codes);
  fail_unless_equals_int (codes[0], RG_KAFKA_INVALID_REQUEST);
  fail_unless_equals_int (codes[1], RG_KAFKA_INVALID_REQUEST);
  /* Manual assignments: one per new partition, on broker 0. */
  create_partitions (fd, 10, 2, &assigned[1], 1, FALSE, codes);
  fail_unless_equals_int (codes[0], RG_KAFKA_INVALID_REPLICA_ASSIGNMENT);
  create_partitions (fd, 11, 0, &assigned[2], 1, FALSE, codes);
  fail_unless_equals_int (codes[0], RG_KAFKA_INVALID_REPLICA_ASSIGNMENT);
  fail_unless_equals_int (metadata_partitions (fd, 12, INGEST), 3);
  create_partitions (fd, 13, 0, &assigned[0], 1, FALSE, codes);
  fail_unless_equals_int (codes[0], 0);
  fail_unless_equals_int (metadata_partitions (fd, 14, INGEST), 5);
  fail_unless_equals_int (metadata_partitions (fd, 15, SERVED), 1);

  close (fd);
  rg_broker_remove_topic (broker, served);
  rg_broker_release (broker);
}

GST_END_TEST;

/* The registry refuses to grow a journal-backed ingest topic (a journal
 * is one partition's log) instead of pretending. */
GST_START_TEST (test_create_partitions_journal)
{
  RgLoop *loop = rg_loop_new (no_turn, NULL);
  RgBrokerRegistry *registry = rg_broker_registry_new (9092, 8,
      rg_loop_get_waker (loop));
  gchar *root = g_dir_make_tmp ("rg-parts-XXXXXX", NULL);
  RgJournalConfig config;
  GError *error = NULL;
  guint current = 0;

  fail_unless (root != NULL);
  rg_journal_config_init (&config);
  fail_unless (rg_broker_registry_set_ingest_journal (registry, root,
          &config, &error), "%s", error ? error->message : "?");
  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          str ("durable"), 1, FALSE), RG_KAFKA_NONE);
  fail_unless (rg_broker_registry_is_journal_backed (registry));
  fail_unless_equals_int (rg_broker_registry_grow_ingest (registry,
          str ("durable"), 2, FALSE, &current), RG_KAFKA_INVALID_PARTITIONS);
  fail_unless_equals_int (current, 1);
  fail_unless_equals_int (rg_broker_registry_count_partitions (registry,
          str ("durable")), 1);

  rg_broker_registry_free (registry);
  rg_loop_free (loop);
  fail_unless (rg_broker_ingest_remove (root, "durable", NULL));
  fail_unless_equals_int (rmdir (root), 0);
  g_free (root);
}

GST_END_TEST;

/* CreateTopics v0 of @name with @partitions; returns its error code. */
static gint16
create_topic (int fd, gint32 cid, const gchar * name, gint32 partitions)
{
  GByteArray *b = kw_request_new (RG_KAFKA_ADMIN_API_CREATE_TOPICS, 0, cid);
  Response resp;
  gint16 code;

  kw_put32 (b, 1);
  kw_putstr (b, name);
  kw_put32 (b, partitions);
  kw_put16 (b, 1);
  kw_put32 (b, 0);                 /* assignments */
  kw_put32 (b, 0);                 /* configs */
  kw_put32 (b, 5000);
  send_and_receive (fd, kw_request_finish (b), cid, &resp);
  fail_unless_equals_int (kw_get (&resp.r, 4), 1);
  expect_str (&resp.r, name);
  code = kw_get (&resp.r, 2);
  fail_unless (resp.r.p == resp.r.end);
  g_free (resp.start);
  return code;
}

/* With auto-create-topics off, naming a topic in Metadata or Produce
 * creates nothing (UNKNOWN_TOPIC_OR_PARTITION, also for a name Kafka
 * would refuse, as a Kafka broker without auto-creation answers);
 * CreateTopics creates it, and then it serves as any ingest topic. */
GST_START_TEST (test_auto_create_off)
{
  RgBrokerConfig config;
  PartitionAnswer answers[MAX_PARTITIONS_ASKED];
  static const gint32 one[1] = { 1 };
  const guint firsts[1] = { 0 }, counts[1] = { 2 };
  GHashTable *topics;
  RgBroker *broker;
  int fd;

  rg_broker_config_init (&config);
  fail_unless (config.auto_create_topics);
  config.ingest_batches = 64;
  config.auto_create_topics = FALSE;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, NULL);
  fail_unless (broker != NULL);
  fd = kw_connect (rg_broker_get_port (broker), 30);

  topics = metadata (fd, 1, "fresh");
  fail_unless_equals_int (GPOINTER_TO_INT (g_hash_table_lookup (topics,
              "fresh")), -RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  g_hash_table_unref (topics);
  fail_unless_equals_int (metadata_v4_error (fd, 2, "fresh", TRUE),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int (metadata_v4_error (fd, 3, "bad$#!", TRUE),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int (produce (fd, 4, "fresh", one, firsts, counts, 1,
          answers), 1);
  fail_unless_equals_int (answers[0].error_code,
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  topics = metadata (fd, 5, NULL);
  fail_unless_equals_int (g_hash_table_size (topics), 0);
  g_hash_table_unref (topics);

  fail_unless_equals_int (create_topic (fd, 6, "fresh", 2), 0);
  fail_unless_equals_int (metadata_partitions (fd, 7, "fresh"), 2);
  fail_unless_equals_int (produce (fd, 8, "fresh", one, firsts, counts, 1,
          answers), 1);
  fail_unless_equals_int (answers[0].error_code, 0);
  fail_unless_equals_int64 (answers[0].offset, 0);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

static Suite *
brokerpartitions_suite (void)
{
  Suite *s = suite_create ("brokerpartitions");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_metadata_lists_partitions);
  tcase_add_test (tc, test_produce_fetch_each_partition);
  tcase_add_test (tc, test_list_offsets_each_partition);
  tcase_add_test (tc, test_unknown_partition);
  tcase_add_test (tc, test_default_one_partition);
  tcase_add_test (tc, test_list_offsets_by_timestamp);
  tcase_add_test (tc, test_metadata_invalid_name);
  tcase_add_test (tc, test_metadata_no_auto_creation);
  tcase_add_test (tc, test_registry_create_ingest);
  tcase_add_test (tc, test_create_partitions_grow);
  tcase_add_test (tc, test_create_partitions_refused);
  tcase_add_test (tc, test_create_partitions_journal);
  tcase_add_test (tc, test_auto_create_off);
  return s;
}

GST_CHECK_MAIN (brokerpartitions);
