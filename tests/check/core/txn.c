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

/* Transactions (docs/protocol.md, "Transactions").
 *
 * The codec of AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and
 * TxnOffsetCommit is checked against requests written byte by byte, in
 * every version, classic and flexible, and against every truncation and
 * single-byte change (under AddressSanitizer, nothing reads outside the
 * frame). The coordinator's state (rgbrokertxn.h) is driven directly:
 * commit and abort hand back the partitions to mark and the offsets to
 * apply, a re-init fences the old epoch and aborts what it left open,
 * a retried EndTxn is answered again, a timeout aborts and fences, only
 * added partitions take transactional batches, and the table is bounded. */

#include <gst/check/gstcheck.h>

#include <string.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokertxn.h"
#include "kafka/rgkafkatxn.h"
#include "record/rgbatch.h"
#include "record/rgcrc32c.h"
#include "kafkawire.h"

/* ---- Requests, byte by byte ---- */

static void
put8 (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

/* STRING, or COMPACT_STRING (names under 127 bytes) when @flexible; NULL
 * writes the null string. */
static void
put_str (GByteArray * b, const gchar * s, gboolean flexible)
{
  if (!flexible) {
    kw_putstr (b, s);
    return;
  }
  put8 (b, s ? strlen (s) + 1 : 0);
  if (s)
    g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

static void
put_count (GByteArray * b, guint n, gboolean flexible)
{
  if (flexible)
    put8 (b, n + 1);
  else
    kw_put32 (b, n);
}

static void
put_tags (GByteArray * b, gboolean flexible)
{
  if (flexible)
    put8 (b, 0);
}

static GByteArray *
request_new (gint16 key, gint16 version, gboolean * flexible)
{
  GByteArray *b = kw_request_new (key, version, 7);

  *flexible = version >= RG_KAFKA_TXN_FIRST_FLEXIBLE;
  put_tags (b, *flexible);      /* the v2 header's tag section */
  return b;
}

/* AddPartitionsToTxn "tx" (pid 42, epoch 3): "a" [0], "bb" [1, 2]. */
static GByteArray *
add_partitions_request (gint16 version)
{
  gboolean fx;
  GByteArray *b = request_new (RG_KAFKA_TXN_API_ADD_PARTITIONS, version, &fx);

  put_str (b, "tx", fx);
  kw_put64 (b, 42);
  kw_put16 (b, 3);
  put_count (b, 2, fx);
  put_str (b, "a", fx);
  put_count (b, 1, fx);
  kw_put32 (b, 0);
  put_tags (b, fx);
  put_str (b, "bb", fx);
  put_count (b, 2, fx);
  kw_put32 (b, 1);
  kw_put32 (b, 2);
  put_tags (b, fx);
  put_tags (b, fx);
  return kw_request_finish (b);
}

/* AddOffsetsToTxn "tx" (42, 3) for group "g". */
static GByteArray *
add_offsets_request (gint16 version)
{
  gboolean fx;
  GByteArray *b = request_new (RG_KAFKA_TXN_API_ADD_OFFSETS, version, &fx);

  put_str (b, "tx", fx);
  kw_put64 (b, 42);
  kw_put16 (b, 3);
  put_str (b, "g", fx);
  put_tags (b, fx);
  return kw_request_finish (b);
}

/* EndTxn "tx" (42, 3), commit. */
static GByteArray *
end_txn_request (gint16 version)
{
  gboolean fx;
  GByteArray *b = request_new (RG_KAFKA_TXN_API_END, version, &fx);

  put_str (b, "tx", fx);
  kw_put64 (b, 42);
  kw_put16 (b, 3);
  put8 (b, 1);
  put_tags (b, fx);
  return kw_request_finish (b);
}

/* TxnOffsetCommit "tx" group "g" (42, 3): "a" [0 at 10, metadata "m";
 * 1 at 11, null metadata]. */
static GByteArray *
txn_offset_commit_request (gint16 version)
{
  gboolean fx;
  GByteArray *b = request_new (RG_KAFKA_TXN_API_OFFSET_COMMIT, version, &fx);
  gint32 p;

  put_str (b, "tx", fx);
  put_str (b, "g", fx);
  kw_put64 (b, 42);
  kw_put16 (b, 3);
  if (version >= 3) {
    kw_put32 (b, 5);
    put_str (b, "member", fx);
    put_str (b, NULL, fx);
  }
  put_count (b, 1, fx);
  put_str (b, "a", fx);
  put_count (b, 2, fx);
  for (p = 0; p < 2; p++) {
    kw_put32 (b, p);
    kw_put64 (b, 10 + p);
    if (version >= 2)
      kw_put32 (b, 4);
    put_str (b, p == 0 ? "m" : NULL, fx);
    put_tags (b, fx);
  }
  put_tags (b, fx);
  put_tags (b, fx);
  return kw_request_finish (b);
}

static RgKafkaRequest *
parse (const guint8 * frame, gsize len, GError ** error)
{
  gint16 key = len >= 2 ? GST_READ_UINT16_BE (frame) : 0;

  switch (key) {
    case RG_KAFKA_TXN_API_ADD_PARTITIONS:
      return rg_kafka_request_parse_other (frame, len,
          RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_add_partitions_to_txn,
          rg_kafka_add_partitions_to_txn_request_free, NULL, error);
    case RG_KAFKA_TXN_API_ADD_OFFSETS:
      return rg_kafka_request_parse_other (frame, len,
          RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_add_offsets_to_txn,
          g_free, NULL, error);
    case RG_KAFKA_TXN_API_END:
      return rg_kafka_request_parse_other (frame, len,
          RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_end_txn, g_free, NULL,
          error);
    default:
      return rg_kafka_request_parse_other (frame, len,
          RG_KAFKA_TXN_FIRST_FLEXIBLE, rg_kafka_parse_txn_offset_commit,
          rg_kafka_txn_offset_commit_request_free, NULL, error);
  }
}

static RgKafkaRequest *
parse_ok (GByteArray * f, gint16 version)
{
  GError *error = NULL;
  RgKafkaRequest *req = parse (f->data + 4, f->len - 4, &error);

  fail_unless (req != NULL, "v%d: %s", version, error ? error->message :
      "?");
  fail_unless_equals_int (req->header.api_version, version);
  return req;
}

static gboolean
str_is (RgKafkaStr s, const gchar * c)
{
  if (!c)
    return s.data == NULL;
  return s.data && s.len == (gint32) strlen (c) &&
      memcmp (s.data, c, s.len) == 0;
}

static void
check_producer (const RgKafkaTxnProducer * p)
{
  fail_unless (str_is (p->transactional_id, "tx"));
  fail_unless_equals_int64 (p->producer_id, 42);
  fail_unless_equals_int (p->producer_epoch, 3);
}

/* Each api parses to what was written, in v0-3. */
GST_START_TEST (test_codec_parse)
{
  gint16 v;

  for (v = 0; v <= RG_KAFKA_TXN_MAX_VERSION; v++) {
    GByteArray *f = add_partitions_request (v);
    RgKafkaRequest *req = parse_ok (f, v);
    const RgKafkaAddPartitionsToTxnRequest *ap = req->body.other.body;
    const RgKafkaAddOffsetsToTxnRequest *ao;
    const RgKafkaEndTxnRequest *et;
    const RgKafkaTxnOffsetCommitRequest *oc;

    check_producer (&ap->producer);
    fail_unless_equals_int (ap->n_topics, 2);
    fail_unless (str_is (ap->topics[0].name, "a"));
    fail_unless_equals_int (ap->topics[0].n_partitions, 1);
    fail_unless_equals_int (ap->topics[0].partitions[0], 0);
    fail_unless (str_is (ap->topics[1].name, "bb"));
    fail_unless_equals_int (ap->topics[1].n_partitions, 2);
    fail_unless_equals_int (ap->topics[1].partitions[1], 2);
    rg_kafka_request_free (req);
    g_byte_array_unref (f);

    f = add_offsets_request (v);
    req = parse_ok (f, v);
    ao = req->body.other.body;
    check_producer (&ao->producer);
    fail_unless (str_is (ao->group_id, "g"));
    rg_kafka_request_free (req);
    g_byte_array_unref (f);

    f = end_txn_request (v);
    req = parse_ok (f, v);
    et = req->body.other.body;
    check_producer (&et->producer);
    fail_unless (et->committed);
    rg_kafka_request_free (req);
    g_byte_array_unref (f);

    f = txn_offset_commit_request (v);
    req = parse_ok (f, v);
    oc = req->body.other.body;
    check_producer (&oc->producer);
    fail_unless (str_is (oc->group_id, "g"));
    fail_unless_equals_int (oc->generation_id, v >= 3 ? 5 : -1);
    fail_unless (str_is (oc->member_id, v >= 3 ? "member" : ""));
    fail_unless (str_is (oc->group_instance_id, NULL));
    fail_unless_equals_int (oc->n_topics, 1);
    fail_unless_equals_int (oc->topics[0].n_partitions, 2);
    fail_unless_equals_int64 (oc->topics[0].partitions[1].committed_offset,
        11);
    fail_unless_equals_int (oc->topics[0].partitions[0].committed_leader_epoch,
        v >= 2 ? 4 : -1);
    fail_unless (str_is (oc->topics[0].partitions[0].metadata, "m"));
    fail_unless (str_is (oc->topics[0].partitions[1].metadata, NULL));
    rg_kafka_request_free (req);
    g_byte_array_unref (f);
  }
}

GST_END_TEST;

/* Every frame parses whole; every truncation is refused; every
 * single-byte change parses or is refused without reading outside the
 * frame (AddressSanitizer). */
GST_START_TEST (test_codec_bounds)
{
  GByteArray *(*makers[]) (gint16) = { add_partitions_request,
    add_offsets_request, end_txn_request, txn_offset_commit_request
  };
  guint m;
  gint16 v;

  for (m = 0; m < G_N_ELEMENTS (makers); m++) {
    for (v = 0; v <= RG_KAFKA_TXN_MAX_VERSION; v++) {
      GByteArray *f = makers[m] (v);
      const guint8 *frame = f->data + 4;
      gsize len = f->len - 4, cut, pos;
      GError *error = NULL;
      RgKafkaRequest *req;

      rg_kafka_request_free (parse_ok (f, v));
      for (cut = 0; cut < len; cut++) {
        guint8 *copy = g_memdup2 (frame, cut);

        req = parse (copy, cut, &error);
        fail_unless (req == NULL, "api %u v%d cut at %" G_GSIZE_FORMAT, m,
            v, cut);
        g_clear_error (&error);
        g_free (copy);
      }
      for (pos = 4; pos < len; pos++) {
        static const guint8 values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
        guint k;

        for (k = 0; k < G_N_ELEMENTS (values); k++) {
          guint8 *copy = g_memdup2 (frame, len);

          copy[pos] = values[k];
          req = parse (copy, len, &error);
          if (req)
            rg_kafka_request_free (req);
          g_clear_error (&error);
          g_free (copy);
        }
      }
      g_byte_array_unref (f);
    }
  }
}

GST_END_TEST;

/* Responses: the bytes Kafka's specs lay out, classic and flexible; a
 * version or api the builder does not know is refused. */
GST_START_TEST (test_codec_responses)
{
  RgKafkaTxnPartitionResult parts[2] = { {0, 0}, {3, 48} };
  RgKafkaTxnTopicResult topic = { {"a", 1}, parts, 2 };
  GError *error = NULL;
  RgKafkaResponse *resp;
  gint16 v;

  for (v = 0; v <= RG_KAFKA_TXN_MAX_VERSION; v++) {
    gboolean fx = v >= RG_KAFKA_TXN_FIRST_FLEXIBLE;
    GByteArray *bytes;
    KwReader r;

    resp = rg_kafka_build_txn_partitions_response
        (RG_KAFKA_TXN_API_ADD_PARTITIONS, 9, v, 5, &topic, 1, &error);
    fail_unless (resp != NULL);
    bytes = rg_kafka_response_flatten (resp);
    r.p = bytes->data;
    r.end = r.p + bytes->len;
    fail_unless_equals_int64 (kw_get (&r, 4), bytes->len - 4);
    fail_unless_equals_int64 (kw_get (&r, 4), 9);
    if (fx)
      fail_unless_equals_int64 (kw_get (&r, 1), 0);
    fail_unless_equals_int64 (kw_get (&r, 4), 5);
    fail_unless_equals_int64 (kw_get (&r, fx ? 1 : 4), fx ? 2 : 1);
    fail_unless_equals_int64 (kw_get (&r, fx ? 1 : 2), fx ? 2 : 1);
    fail_unless_equals_int64 (kw_get (&r, 1), 'a');
    fail_unless_equals_int64 (kw_get (&r, fx ? 1 : 4), fx ? 3 : 2);
    fail_unless_equals_int64 (kw_get (&r, 4), 0);
    fail_unless_equals_int64 (kw_get (&r, 2), 0);
    if (fx)
      fail_unless_equals_int64 (kw_get (&r, 1), 0);
    fail_unless_equals_int64 (kw_get (&r, 4), 3);
    fail_unless_equals_int64 (kw_get (&r, 2), 48);
    if (fx)
      fail_unless_equals_int64 (kw_get (&r, 3), 0);
    fail_unless (r.p == r.end);
    g_byte_array_unref (bytes);
    rg_kafka_response_free (resp);

    resp = rg_kafka_build_txn_error_response (RG_KAFKA_TXN_API_END, 9, v, 0,
        RG_KAFKA_INVALID_TXN_STATE, &error);
    fail_unless (resp != NULL);
    bytes = rg_kafka_response_flatten (resp);
    fail_unless_equals_int (bytes->len, 4 + 4 + 4 + 2 + (fx ? 2 : 0));
    r.p = bytes->data;
    r.end = r.p + bytes->len;
    r.p += 8 + (fx ? 1 : 0) + 4;
    fail_unless_equals_int64 (kw_get (&r, 2), RG_KAFKA_INVALID_TXN_STATE);
    g_byte_array_unref (bytes);
    rg_kafka_response_free (resp);
  }
  fail_unless (rg_kafka_build_txn_error_response (RG_KAFKA_TXN_API_END, 9,
          4, 0, 0, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_UNSUPPORTED_VERSION));
  g_clear_error (&error);
  fail_unless (rg_kafka_build_txn_error_response
      (RG_KAFKA_TXN_API_ADD_PARTITIONS, 9, 0, 0, 0, &error) == NULL);
  g_clear_error (&error);
}

GST_END_TEST;

/* ---- The coordinator's state, directly ---- */

typedef struct
{
  RgBrokerProducers *producers;
  RgBrokerTxn *txn;
} Coord;

static void
coord_init (Coord * c, guint max_ids)
{
  c->producers = rg_broker_producers_new (100, 3600 * 1000, 1000);
  c->txn = rg_broker_txn_new (c->producers, max_ids);
}

static void
coord_clear (Coord * c)
{
  rg_broker_txn_free (c->txn);
  rg_broker_producers_free (c->producers);
}

static gint16
init (Coord * c, const gchar * id, gint64 now, gint64 * pid, gint16 * epoch,
    RgBrokerTxnEnd ** aborted)
{
  RgBrokerTxnEnd *ignored = NULL;
  gint16 code = rg_broker_txn_init (c->txn, id, 60000, -1, -1, TRUE, now,
      pid, epoch, aborted ? aborted : &ignored);

  fail_unless (aborted || ignored == NULL);
  return code;
}

static gboolean
has_partition (const RgBrokerTxnEnd * end, const gchar * topic, gint32 p)
{
  guint i;

  for (i = 0; i < end->partitions->len; i++) {
    const RgBrokerTxnPartition *tp = g_ptr_array_index (end->partitions, i);

    if (g_str_equal (tp->topic, topic) && tp->partition == p)
      return TRUE;
  }
  return FALSE;
}

/* A committed transaction hands back each partition once and the last
 * offset committed per group partition; the producer may then start
 * another, and a retried commit is answered NONE with nothing to write. */
GST_START_TEST (test_commit)
{
  Coord c;
  gint64 pid;
  gint16 epoch;
  RgBrokerTxnEnd *end;
  const RgBrokerTxnOffset *o;
  guint n_ids, n_open;

  coord_init (&c, 10);
  fail_unless_equals_int (init (&c, "tx", 0, &pid, &epoch, NULL), 0);
  fail_unless (pid >= 1000);
  fail_unless_equals_int (epoch, 0);
  /* Nothing open yet: no batch is taken, EndTxn has nothing to end. */
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid, epoch,
          "t", 0), RG_KAFKA_INVALID_TXN_STATE);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, TRUE,
          TRUE, 1, &end), RG_KAFKA_INVALID_TXN_STATE);
  fail_unless (end == NULL);

  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, TRUE, "t", 0, 2), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, TRUE, "t", 0, 2), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, TRUE, "u", 3, 2), 0);
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid, epoch,
          "t", 0), 0);
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid, epoch,
          "t", 1), RG_KAFKA_INVALID_TXN_STATE);
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid + 999,
          epoch, "t", 0), RG_KAFKA_INVALID_PRODUCER_ID_MAPPING);
  /* Offsets need their group added first. */
  fail_unless_equals_int (rg_broker_txn_commit_offset (c.txn, "tx", pid,
          epoch, TRUE, "g", "in", 0, 5, -1, NULL, 3),
      RG_KAFKA_INVALID_TXN_STATE);
  fail_unless_equals_int (rg_broker_txn_add_group (c.txn, "tx", pid, epoch,
          TRUE, "g", 3), 0);
  fail_unless_equals_int (rg_broker_txn_commit_offset (c.txn, "tx", pid,
          epoch, TRUE, "g", "in", 0, 5, -1, NULL, 3), 0);
  fail_unless_equals_int (rg_broker_txn_commit_offset (c.txn, "tx", pid,
          epoch, TRUE, "g", "in", 0, 7, 2, "meta", 3), 0);
  rg_broker_txn_get_counts (c.txn, &n_ids, &n_open);
  fail_unless_equals_int (n_ids, 1);
  fail_unless_equals_int (n_open, 1);

  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, TRUE,
          TRUE, 4, &end), 0);
  fail_unless (end != NULL);
  fail_unless (end->commit);
  fail_unless_equals_int64 (end->producer_id, pid);
  fail_unless_equals_int (end->producer_epoch, epoch);
  fail_unless_equals_int (end->partitions->len, 2);
  fail_unless (has_partition (end, "t", 0) && has_partition (end, "u", 3));
  fail_unless_equals_int (end->offsets->len, 1);
  o = g_ptr_array_index (end->offsets, 0);
  fail_unless_equals_string (o->group, "g");
  fail_unless_equals_string (o->topic, "in");
  fail_unless_equals_int64 (o->offset, 7);
  fail_unless_equals_int (o->leader_epoch, 2);
  fail_unless_equals_string (o->metadata, "meta");
  rg_broker_txn_end_free (end);
  rg_broker_txn_get_counts (c.txn, &n_ids, &n_open);
  fail_unless_equals_int (n_open, 0);

  /* The partition is closed to the producer's batches again. */
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid, epoch,
          "t", 0), RG_KAFKA_INVALID_TXN_STATE);
  /* A retried commit (its answer lost) is answered again; an abort of
   * the same transaction is not. */
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, TRUE,
          TRUE, 5, &end), 0);
  fail_unless (end == NULL);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, TRUE,
          FALSE, 5, &end), RG_KAFKA_INVALID_TXN_STATE);
  coord_clear (&c);
}

GST_END_TEST;

/* An abort hands back the partitions but drops the offsets. */
GST_START_TEST (test_abort)
{
  Coord c;
  gint64 pid;
  gint16 epoch;
  RgBrokerTxnEnd *end;

  coord_init (&c, 10);
  fail_unless_equals_int (init (&c, "tx", 0, &pid, &epoch, NULL), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, FALSE, "t", 0, 1), 0);
  fail_unless_equals_int (rg_broker_txn_add_group (c.txn, "tx", pid, epoch,
          FALSE, "g", 1), 0);
  fail_unless_equals_int (rg_broker_txn_commit_offset (c.txn, "tx", pid,
          epoch, FALSE, "g", "in", 0, 5, -1, NULL, 1), 0);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, FALSE,
          FALSE, 2, &end), 0);
  fail_unless (!end->commit);
  fail_unless_equals_int (end->partitions->len, 1);
  fail_unless_equals_int (end->offsets->len, 0);
  rg_broker_txn_end_free (end);
  /* A transaction with only a group still needs an EndTxn. */
  fail_unless_equals_int (rg_broker_txn_add_group (c.txn, "tx", pid, epoch,
          FALSE, "g", 3), 0);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, FALSE,
          TRUE, 4, &end), 0);
  fail_unless_equals_int (end->partitions->len, 0);
  rg_broker_txn_end_free (end);
  coord_clear (&c);
}

GST_END_TEST;

/* A second InitProducerId of the same transactional id keeps the producer
 * id, bumps the epoch, aborts what the old epoch left open (markers with
 * the new epoch), and fences the old epoch in every call, with the code
 * each version allows. */
GST_START_TEST (test_fencing)
{
  Coord c;
  gint64 pid, pid2, pid3;
  gint16 epoch, epoch2, epoch3;
  RgBrokerTxnEnd *aborted, *end;

  coord_init (&c, 10);
  fail_unless_equals_int (init (&c, "tx", 0, &pid, &epoch, NULL), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, TRUE, "t", 0, 1), 0);
  fail_unless_equals_int (init (&c, "tx", 2, &pid2, &epoch2, &aborted), 0);
  fail_unless_equals_int64 (pid2, pid);
  fail_unless_equals_int (epoch2, epoch + 1);
  fail_unless (aborted != NULL);
  fail_unless (!aborted->commit);
  fail_unless_equals_int64 (aborted->producer_id, pid);
  fail_unless_equals_int (aborted->producer_epoch, epoch2);
  fail_unless (has_partition (aborted, "t", 0));
  rg_broker_txn_end_free (aborted);

  /* The zombie, in every call. */
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, TRUE, "t", 0, 3), RG_KAFKA_PRODUCER_FENCED);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch, FALSE, "t", 0, 3), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (rg_broker_txn_add_group (c.txn, "tx", pid, epoch,
          TRUE, "g", 3), RG_KAFKA_PRODUCER_FENCED);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "tx", pid, epoch, FALSE,
          TRUE, 3, &end), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless (end == NULL);
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid, epoch,
          "t", 0), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  /* An epoch never handed out is not "fenced" but invalid. */
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "tx", pid,
          epoch2 + 1, TRUE, "t", 0, 3), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  /* KIP-360: a re-init naming the current epoch bumps it; naming an old
   * one is fenced. */
  fail_unless_equals_int (rg_broker_txn_init (c.txn, "tx", 60000, pid, epoch,
          TRUE, 4, &pid3, &epoch3, &aborted), RG_KAFKA_PRODUCER_FENCED);
  fail_unless_equals_int (pid3, -1);
  fail_unless_equals_int (rg_broker_txn_init (c.txn, "tx", 60000, pid,
          epoch2, FALSE, 4, &pid3, &epoch3, &aborted), 0);
  fail_unless (aborted == NULL);
  fail_unless_equals_int64 (pid3, pid);
  fail_unless_equals_int (epoch3, epoch2 + 1);
  /* Another transactional id never shares the producer id. */
  fail_unless_equals_int (init (&c, "other", 5, &pid2, &epoch2, NULL), 0);
  fail_unless (pid2 != pid);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "other", pid,
          epoch3, TRUE, "t", 0, 5), RG_KAFKA_INVALID_PRODUCER_ID_MAPPING);
  /* Out-of-range timeouts. */
  fail_unless_equals_int (rg_broker_txn_init (c.txn, "x", 0, -1, -1, TRUE, 6,
          &pid3, &epoch3, &aborted), RG_KAFKA_INVALID_TRANSACTION_TIMEOUT);
  fail_unless_equals_int (rg_broker_txn_init (c.txn, "x",
          RG_BROKER_TXN_MAX_TIMEOUT_MS + 1, -1, -1, TRUE, 6, &pid3, &epoch3,
          &aborted), RG_KAFKA_INVALID_TRANSACTION_TIMEOUT);
  coord_clear (&c);
}

GST_END_TEST;

/* A transaction open longer than its timeout is aborted with the epoch
 * bumped: the slow producer is fenced. One within its timeout is not. */
GST_START_TEST (test_timeout)
{
  Coord c;
  gint64 pid, pid2;
  gint16 epoch, epoch2;
  RgBrokerTxnEnd *aborted, *end;
  GPtrArray *ended;

  coord_init (&c, 10);
  fail_unless_equals_int (rg_broker_txn_init (c.txn, "slow", 1000, -1, -1,
          TRUE, 0, &pid, &epoch, &aborted), 0);
  fail_unless_equals_int (rg_broker_txn_init (c.txn, "fast", 5000, -1, -1,
          TRUE, 0, &pid2, &epoch2, &aborted), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "slow", pid,
          epoch, TRUE, "t", 0, 100), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "fast", pid2,
          epoch2, TRUE, "t", 0, 100), 0);
  ended = rg_broker_txn_expire (c.txn, 1100);
  fail_unless_equals_int (ended->len, 0);
  g_ptr_array_unref (ended);
  ended = rg_broker_txn_expire (c.txn, 1101);
  fail_unless_equals_int (ended->len, 1);
  end = g_ptr_array_index (ended, 0);
  fail_unless_equals_string (end->transactional_id, "slow");
  fail_unless (!end->commit);
  fail_unless_equals_int (end->producer_epoch, epoch + 1);
  fail_unless (has_partition (end, "t", 0));
  g_ptr_array_unref (ended);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "slow", pid, epoch, TRUE,
          TRUE, 1200, &end), RG_KAFKA_PRODUCER_FENCED);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "fast", pid2, epoch2,
          TRUE, TRUE, 1200, &end), 0);
  rg_broker_txn_end_free (end);
  coord_clear (&c);
}

GST_END_TEST;

/* The table keeps at most max_ids transactional ids: the least recently
 * used idle one is forgotten; when every one has a transaction open, a
 * new one is refused (retriable) until one ends. */
GST_START_TEST (test_bound)
{
  Coord c;
  gint64 pid[3];
  gint16 epoch[3];
  RgBrokerTxnEnd *end;
  guint n_ids, n_open;

  coord_init (&c, 2);
  fail_unless_equals_int (init (&c, "a", 0, &pid[0], &epoch[0], NULL), 0);
  fail_unless_equals_int (init (&c, "b", 1, &pid[1], &epoch[1], NULL), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "a", pid[0],
          epoch[0], TRUE, "t", 0, 2), 0);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "b", pid[1],
          epoch[1], TRUE, "t", 0, 2), 0);
  fail_unless_equals_int (init (&c, "c", 3, &pid[2], &epoch[2], NULL),
      RG_KAFKA_CONCURRENT_TRANSACTIONS);
  fail_unless_equals_int (rg_broker_txn_end (c.txn, "a", pid[0], epoch[0],
          TRUE, TRUE, 4, &end), 0);
  rg_broker_txn_end_free (end);
  /* "a" is idle now: "c" takes its place. */
  fail_unless_equals_int (init (&c, "c", 5, &pid[2], &epoch[2], NULL), 0);
  rg_broker_txn_get_counts (c.txn, &n_ids, &n_open);
  fail_unless_equals_int (n_ids, 2);
  fail_unless_equals_int (n_open, 1);
  fail_unless_equals_int (rg_broker_txn_add_partition (c.txn, "a", pid[0],
          epoch[0], TRUE, "t", 0, 6), RG_KAFKA_INVALID_PRODUCER_ID_MAPPING);
  fail_unless_equals_int (rg_broker_txn_check_produce (c.txn, pid[0],
          epoch[0], "t", 0), RG_KAFKA_INVALID_PRODUCER_ID_MAPPING);
  coord_clear (&c);
}

GST_END_TEST;

/* The partition index: the first batch of an open transaction holds the
 * partition's LSO; its marker releases it; an abort joins the aborted
 * list (a commit does not), which Fetch reads by range and which forgets
 * what is below the log start. */
GST_START_TEST (test_partition_index)
{
  Coord c;
  RgBrokerTxnEnd end = { NULL, 7, 0, FALSE, NULL, NULL };
  RgBrokerTxnEnd end8 = { NULL, 8, 0, TRUE, NULL, NULL };
  GArray *ab = g_array_new (FALSE, FALSE, sizeof (RgKafkaAbortedTransaction));
  const RgKafkaAbortedTransaction *a;

  coord_init (&c, 10);
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "t", 0),
      -1);
  rg_broker_txn_note_append (c.txn, 7, "t", 0, 10);
  rg_broker_txn_note_append (c.txn, 7, "t", 0, 12);
  rg_broker_txn_note_append (c.txn, 8, "t", 0, 11);
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "t", 0),
      10);
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "t", 1),
      -1);
  /* Producer 7 aborts (marker at 14): the LSO moves to producer 8's. */
  rg_broker_txn_note_marker (c.txn, &end, "t", 0, 14);
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "t", 0),
      11);
  rg_broker_txn_note_marker (c.txn, &end8, "t", 0, 15);
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "t", 0),
      -1);
  rg_broker_txn_aborted (c.txn, "t", 0, 0, 16, 0, ab);
  fail_unless_equals_int (ab->len, 1);
  a = &g_array_index (ab, RgKafkaAbortedTransaction, 0);
  fail_unless_equals_int64 (a->producer_id, 7);
  fail_unless_equals_int64 (a->first_offset, 10);
  /* Ranges: before its first record, after its marker. */
  g_array_set_size (ab, 0);
  rg_broker_txn_aborted (c.txn, "t", 0, 0, 10, 0, ab);
  fail_unless_equals_int (ab->len, 0);
  rg_broker_txn_aborted (c.txn, "t", 0, 15, 20, 0, ab);
  fail_unless_equals_int (ab->len, 0);
  rg_broker_txn_aborted (c.txn, "t", 0, 14, 15, 0, ab);
  fail_unless_equals_int (ab->len, 1);
  g_array_set_size (ab, 0);
  /* The log start passed the marker: forgotten. */
  rg_broker_txn_aborted (c.txn, "t", 0, 0, 20, 15, ab);
  fail_unless_equals_int (ab->len, 0);
  rg_broker_txn_aborted (c.txn, "t", 0, 0, 20, 0, ab);
  fail_unless_equals_int (ab->len, 0);
  /* A deleted topic's open transactions no longer hold an LSO. */
  rg_broker_txn_note_append (c.txn, 9, "t", 2, 3);
  rg_broker_txn_note_append (c.txn, 9, "tt", 2, 3);
  rg_broker_txn_forget_topic (c.txn, "t");
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "t", 2),
      -1);
  fail_unless_equals_int64 (rg_broker_txn_first_open_offset (c.txn, "tt",
          2), 3);
  g_array_unref (ab);
  coord_clear (&c);
}

GST_END_TEST;

/* The marker is a valid batch (CRC, lengths) with the control and
 * transactional bits, the producer's id and epoch, and one control record:
 * key version 0 + type (1 commit, 0 abort), value version 0 + epoch 0. */
GST_START_TEST (test_marker_batch)
{
  gint commit;

  for (commit = 0; commit <= 1; commit++) {
    GBytes *m = rg_broker_txn_marker_batch (77, 3, commit, 1700000000000);
    gsize len;
    const guint8 *data = g_bytes_get_data (m, &len);
    RgBatchReader reader;
    RgRecordView rec;
    const RgBatchInfo *info;
    static const guint8 value[6] = { 0, 0, 0, 0, 0, 0 };
    guint8 key[4] = { 0, 0, 0, 0 };

    key[3] = commit;
    fail_unless_equals_int (rg_batch_validate (data, len, NULL, NULL), len);
    fail_unless (rg_batch_reader_init (&reader, data, len, NULL));
    info = rg_batch_reader_get_info (&reader);
    fail_unless_equals_int (info->attributes, 0x30);
    fail_unless_equals_int64 (info->producer_id, 77);
    fail_unless_equals_int (info->producer_epoch, 3);
    fail_unless_equals_int (info->base_sequence, -1);
    fail_unless_equals_int (info->records_count, 1);
    fail_unless_equals_int64 (info->base_timestamp, 1700000000000);
    fail_unless (rg_batch_reader_next (&reader, &rec, NULL));
    fail_unless_equals_int (rec.key_len, 4);
    fail_unless (memcmp (rec.key, key, 4) == 0);
    fail_unless_equals_int (rec.value_len, 6);
    fail_unless (memcmp (rec.value, value, 6) == 0);
    fail_unless (!rg_batch_reader_next (&reader, &rec, NULL));
    g_bytes_unref (m);
  }
}

GST_END_TEST;

/* ---- Over sockets ---- */

static RgBroker *
start_broker (void)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;

  rg_broker_config_init (&config);
  config.ingest_batches = 64;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

static KwReader
response (int fd, gint32 cid, guint8 ** start)
{
  KwReader r;
  gsize size;

  *start = kw_recv_frame (fd, cid, &size);
  r.p = *start + 4;
  r.end = *start + size;
  return r;
}

/* InitProducerId v1 of @txn_id (NULL: idempotent only) with a
 * transaction timeout of @timeout_ms. */
static gint16
wire_init_timeout (int fd, gint32 cid, const gchar * txn_id,
    gint32 timeout_ms, gint64 * pid, gint16 * epoch)
{
  GByteArray *b = kw_request_new (22, 1, cid);
  guint8 *start;
  KwReader r;
  gint16 code;

  kw_putstr (b, txn_id);
  kw_put32 (b, timeout_ms);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
  kw_get (&r, 4);
  code = kw_get (&r, 2);
  *pid = kw_get (&r, 8);
  *epoch = kw_get (&r, 2);
  fail_unless (r.p == r.end);
  g_free (start);
  return code;
}

static gint16
wire_init (int fd, gint32 cid, const gchar * txn_id, gint64 * pid,
    gint16 * epoch)
{
  return wire_init_timeout (fd, cid, txn_id, 60000, pid, epoch);
}

/* AddPartitionsToTxn v0 of partition 0 of @topic. */
static gint16
wire_add_partition (int fd, gint32 cid, const gchar * txn_id, gint64 pid,
    gint16 epoch, const gchar * topic)
{
  GByteArray *b = kw_request_new (RG_KAFKA_TXN_API_ADD_PARTITIONS, 0, cid);
  guint8 *start;
  KwReader r;
  gint16 code;

  kw_putstr (b, txn_id);
  kw_put64 (b, pid);
  kw_put16 (b, epoch);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  code = kw_get (&r, 2);
  fail_unless (r.p == r.end);
  g_free (start);
  return code;
}

/* EndTxn v1. */
static gint16
wire_end (int fd, gint32 cid, const gchar * txn_id, gint64 pid,
    gint16 epoch, gboolean commit)
{
  GByteArray *b = kw_request_new (RG_KAFKA_TXN_API_END, 1, cid);
  guint8 *start;
  KwReader r;
  gint16 code;

  kw_putstr (b, txn_id);
  kw_put64 (b, pid);
  kw_put16 (b, epoch);
  put8 (b, commit);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
  kw_get (&r, 4);
  code = kw_get (&r, 2);
  fail_unless (r.p == r.end);
  g_free (start);
  return code;
}

/* A batch of @n records "<tag>-<i>" from producer @pid / @epoch at
 * sequence @seq, transactional when @txn. */
static GByteArray *
producer_batch (gint64 pid, gint16 epoch, gint32 seq, guint n,
    const gchar * tag, gboolean txn)
{
  RgRecord records[8];
  gchar *values[8];
  GByteArray *batch;
  guint i;

  memset (records, 0, sizeof (records));
  for (i = 0; i < n; i++) {
    values[i] = g_strdup_printf ("%s-%u", tag, i);
    records[i].timestamp = 1000 + i;
    records[i].value = (const guint8 *) values[i];
    records[i].value_len = strlen (values[i]);
  }
  batch = rg_batch_encode (0, records, n, NULL);
  fail_unless (batch != NULL);
  for (i = 0; i < n; i++)
    g_free (values[i]);
  GST_WRITE_UINT16_BE (batch->data + 21, txn ? 1 << 4 : 0);
  GST_WRITE_UINT64_BE (batch->data + 43, pid);
  GST_WRITE_UINT16_BE (batch->data + 51, epoch);
  GST_WRITE_UINT32_BE (batch->data + 53, seq);
  GST_WRITE_UINT32_BE (batch->data + RG_BATCH_CRC_OFFSET,
      rg_crc32c (0, batch->data + RG_BATCH_CRC_START,
          batch->len - RG_BATCH_CRC_START));
  return batch;
}

/* Produce v3 of @batch (freed) into partition 0 of @topic. */
static gint16
wire_produce (int fd, gint32 cid, const gchar * txn_id, const gchar * topic,
    GByteArray * batch, gint64 * base_offset)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  guint8 *start;
  KwReader r;
  gint16 code;

  kw_putstr (b, txn_id);
  kw_put16 (b, -1);
  kw_put32 (b, 10000);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, batch->len);
  g_byte_array_append (b, batch->data, batch->len);
  g_byte_array_unref (batch);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  code = kw_get (&r, 2);
  *base_offset = kw_get (&r, 8);
  g_free (start);
  return code;
}

/* What one Fetch v4 of partition 0 answered. */
typedef struct
{
  gint16 error;
  gint64 high_watermark;
  gint64 lso;
  gint n_aborted;
  gint64 aborted_pid[4];
  gint64 aborted_first[4];
  /* Per batch: its base offset, record count and attributes. */
  guint n_batches;
  gint64 base[32];
  gint32 count[32];
  gint16 attributes[32];
} Fetched;

static void
wire_fetch (int fd, gint32 cid, const gchar * topic, gint64 offset,
    gint8 isolation, Fetched * f)
{
  GByteArray *b = kw_request_new (1, 4, cid);
  guint8 *start;
  const guint8 *end;
  KwReader r;
  gint64 len;
  gint i;

  kw_put32 (b, -1);
  kw_put32 (b, 0);              /* max wait: answer at once */
  kw_put32 (b, 0);
  kw_put32 (b, 1 << 20);
  put8 (b, isolation);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, offset);
  kw_put32 (b, 1 << 20);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
  memset (f, 0, sizeof (*f));
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  f->error = kw_get (&r, 2);
  f->high_watermark = kw_get (&r, 8);
  f->lso = kw_get (&r, 8);
  f->n_aborted = kw_get (&r, 4);
  fail_unless (f->n_aborted <= 4);
  for (i = 0; i < f->n_aborted; i++) {
    f->aborted_pid[i] = kw_get (&r, 8);
    f->aborted_first[i] = kw_get (&r, 8);
  }
  len = kw_get (&r, 4);
  fail_unless (len >= 0 && r.p + len == r.end);
  end = r.p + len;
  while (r.p < end) {
    RgBatchInfo info;
    gsize size = rg_batch_validate (r.p, end - r.p, &info, NULL);

    fail_unless (size > 0 && f->n_batches < G_N_ELEMENTS (f->base));
    f->base[f->n_batches] = info.base_offset;
    f->count[f->n_batches] = info.records_count;
    f->attributes[f->n_batches] = info.attributes;
    f->n_batches++;
    r.p += size;
  }
  g_free (start);
}

/* ListOffsets v2 latest, read_committed or not. */
static gint64
wire_latest (int fd, gint32 cid, const gchar * topic, gint8 isolation)
{
  GByteArray *b = kw_request_new (2, 2, cid);
  guint8 *start;
  KwReader r;
  gint64 offset;

  kw_put32 (b, -1);
  put8 (b, isolation);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, -1);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
  kw_get (&r, 4);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (kw_get (&r, 2), 0);
  kw_get (&r, 8);
  offset = kw_get (&r, 8);
  g_free (start);
  return offset;
}

/* Over a socket, as a client sees it: a plain record, then an aborted
 * transaction, a committed one and another still open, interleaved with a
 * non-transactional producer. read_committed stops at the open
 * transaction's first offset (the LSO, also ListOffsets' latest) and
 * names the aborted one; read_uncommitted reads everything; each
 * transaction ends with a control batch; a batch outside the transaction
 * or from a fenced epoch is refused. */
GST_START_TEST (test_over_socket)
{
  RgBroker *broker = start_broker ();
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  gint64 pid, pid2, plain, base;
  gint16 epoch, epoch2, pe;
  Fetched f;
  gint32 cid = 1;

  /* Offset 0: a plain record creates the topic. */
  fail_unless_equals_int (wire_produce (fd, cid++, NULL, "t",
          producer_batch (-1, -1, -1, 1, "plain", FALSE), &base), 0);
  fail_unless_equals_int (wire_init (fd, cid++, "tx", &pid, &epoch), 0);
  fail_unless_equals_int (wire_init (fd, cid++, NULL, &plain, &pe), 0);
  /* Not added yet: refused. */
  fail_unless_equals_int (wire_produce (fd, cid++, "tx", "t",
          producer_batch (pid, epoch, 0, 2, "early", TRUE), &base),
      RG_KAFKA_INVALID_TXN_STATE);
  /* Offsets 1-2 aborted, 3 plain, 4 ABORT marker. */
  fail_unless_equals_int (wire_add_partition (fd, cid++, "tx", pid, epoch,
          "t"), 0);
  fail_unless_equals_int (wire_produce (fd, cid++, "tx", "t",
          producer_batch (pid, epoch, 0, 2, "aborted", TRUE), &base), 0);
  fail_unless_equals_int64 (base, 1);
  fail_unless_equals_int (wire_produce (fd, cid++, NULL, "t",
          producer_batch (plain, pe, 0, 1, "p", FALSE), &base), 0);
  fail_unless_equals_int64 (base, 3);
  wire_fetch (fd, cid++, "t", 0, 1, &f);
  fail_unless_equals_int64 (f.lso, 1);
  fail_unless_equals_int64 (f.high_watermark, 4);
  fail_unless_equals_int (f.n_batches, 1);
  fail_unless_equals_int64 (wire_latest (fd, cid++, "t", 1), 1);
  fail_unless_equals_int64 (wire_latest (fd, cid++, "t", 0), 4);
  fail_unless_equals_int (wire_end (fd, cid++, "tx", pid, epoch, FALSE), 0);
  /* Offsets 5-7 committed, 8 COMMIT marker. */
  fail_unless_equals_int (wire_add_partition (fd, cid++, "tx", pid, epoch,
          "t"), 0);
  fail_unless_equals_int (wire_produce (fd, cid++, "tx", "t",
          producer_batch (pid, epoch, 2, 3, "committed", TRUE), &base), 0);
  fail_unless_equals_int64 (base, 5);
  fail_unless_equals_int (wire_end (fd, cid++, "tx", pid, epoch, TRUE), 0);
  /* Offset 9 opens a transaction left open. */
  fail_unless_equals_int (wire_add_partition (fd, cid++, "tx", pid, epoch,
          "t"), 0);
  fail_unless_equals_int (wire_produce (fd, cid++, "tx", "t",
          producer_batch (pid, epoch, 5, 1, "open", TRUE), &base), 0);
  fail_unless_equals_int64 (base, 9);

  wire_fetch (fd, cid++, "t", 0, 1, &f);
  fail_unless_equals_int (f.error, 0);
  fail_unless_equals_int64 (f.high_watermark, 10);
  fail_unless_equals_int64 (f.lso, 9);
  fail_unless_equals_int (f.n_aborted, 1);
  fail_unless_equals_int64 (f.aborted_pid[0], pid);
  fail_unless_equals_int64 (f.aborted_first[0], 1);
  /* plain, aborted, plain, ABORT, committed, COMMIT; not the open one. */
  fail_unless_equals_int (f.n_batches, 6);
  fail_unless_equals_int64 (f.base[3], 4);
  fail_unless_equals_int (f.attributes[3], 0x30);
  fail_unless_equals_int (f.attributes[4], 0x10);
  fail_unless_equals_int (f.count[4], 3);
  fail_unless_equals_int64 (f.base[5], 8);
  fail_unless_equals_int (f.attributes[5], 0x30);
  fail_unless_equals_int64 (wire_latest (fd, cid++, "t", 1), 9);
  /* From past the aborted transaction's marker it is not listed. */
  wire_fetch (fd, cid++, "t", 5, 1, &f);
  fail_unless_equals_int (f.n_aborted, 0);
  fail_unless_equals_int (f.n_batches, 2);
  /* read_uncommitted: everything, no aborted list. */
  wire_fetch (fd, cid++, "t", 0, 0, &f);
  fail_unless_equals_int64 (f.lso, 9);
  fail_unless_equals_int (f.n_batches, 7);
  fail_unless_equals_int (f.n_aborted, 0);

  /* A second producer with the same id fences the first and aborts its
   * open transaction (marker at 10); the LSO is free again. */
  fail_unless_equals_int (wire_init (fd, cid++, "tx", &pid2, &epoch2), 0);
  fail_unless_equals_int64 (pid2, pid);
  fail_unless_equals_int (epoch2, epoch + 1);
  fail_unless_equals_int (wire_add_partition (fd, cid++, "tx", pid, epoch,
          "t"), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (wire_produce (fd, cid++, "tx", "t",
          producer_batch (pid, epoch, 6, 1, "zombie", TRUE), &base),
      RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (wire_end (fd, cid++, "tx", pid, epoch, TRUE),
      RG_KAFKA_INVALID_PRODUCER_EPOCH);
  wire_fetch (fd, cid++, "t", 0, 1, &f);
  fail_unless_equals_int64 (f.high_watermark, 11);
  fail_unless_equals_int64 (f.lso, 11);
  fail_unless_equals_int (f.n_aborted, 2);
  fail_unless_equals_int64 (f.aborted_first[1], 9);
  fail_unless_equals_int (f.n_batches, 8);
  fail_unless_equals_int (f.attributes[7], 0x30);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* The broker's turn aborts a transaction open past its timeout: the
 * ABORT marker lands without any request from the producer, the LSO moves
 * on, and the producer, fenced, cannot commit. */
GST_START_TEST (test_timeout_over_socket)
{
  RgBroker *broker = start_broker ();
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  gint64 pid, base;
  gint16 epoch;
  Fetched f;
  gint32 cid = 1;
  guint i;

  fail_unless_equals_int (wire_produce (fd, cid++, NULL, "t",
          producer_batch (-1, -1, -1, 1, "plain", FALSE), &base), 0);
  fail_unless_equals_int (wire_init_timeout (fd, cid++, "slow", 1, &pid,
          &epoch), 0);
  fail_unless_equals_int (wire_add_partition (fd, cid++, "slow", pid, epoch,
          "t"), 0);
  fail_unless_equals_int (wire_produce (fd, cid++, "slow", "t",
          producer_batch (pid, epoch, 0, 2, "late", TRUE), &base), 0);
  fail_unless_equals_int64 (base, 1);
  /* Polled, not timed: the test waits for what a client would see. */
  for (i = 0; i < 200; i++) {
    wire_fetch (fd, cid++, "t", 0, 1, &f);
    if (f.lso == f.high_watermark)
      break;
    g_usleep (50 * 1000);
  }
  fail_unless_equals_int64 (f.high_watermark, 4);
  fail_unless_equals_int64 (f.lso, 4);
  fail_unless_equals_int (f.n_aborted, 1);
  fail_unless_equals_int64 (f.aborted_first[0], 1);
  fail_unless_equals_int (f.attributes[f.n_batches - 1], 0x30);
  fail_unless_equals_int (wire_end (fd, cid++, "slow", pid, epoch, TRUE),
      RG_KAFKA_INVALID_PRODUCER_EPOCH);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

static Suite *
txn_suite (void)
{
  Suite *s = suite_create ("txn");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_codec_parse);
  tcase_add_test (tc, test_codec_bounds);
  tcase_add_test (tc, test_codec_responses);
  tcase_add_test (tc, test_commit);
  tcase_add_test (tc, test_abort);
  tcase_add_test (tc, test_fencing);
  tcase_add_test (tc, test_timeout);
  tcase_add_test (tc, test_bound);
  tcase_add_test (tc, test_partition_index);
  tcase_add_test (tc, test_marker_batch);
  tcase_add_test (tc, test_over_socket);
  tcase_add_test (tc, test_timeout_over_socket);
  return s;
}

GST_CHECK_MAIN (txn);
