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

/* Idempotent producers and topic administration of the embedded broker
 * (docs/protocol.md, "Idempotent producers" and "Topic administration").
 *
 * The first tests drive the sequence state (rgbrokerproducers.h)
 * directly with batch headers: duplicates of the last five batches, gaps,
 * epochs, unknown producers, sequence wrap-around, the LRU bound and idle
 * expiry, InitProducerId bumps. The others talk to a broker over real
 * sockets with requests written byte by byte (kafkawire.h): InitProducerId,
 * Produce of hand-built batches carrying a producer id and sequence
 * (a retried batch acknowledged with its first offset and stored once, a
 * gap refused, a fenced epoch refused), CreateTopics and DeleteTopics with
 * and without ingest. */

#include <gst/check/gstcheck.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/rgbroker.h"
#include "broker/rgbrokerproducers.h"
#include "broker/rgloop.h"
#include "broker/rgbrokerregistry.h"
#include "record/rgbatch.h"
#include "record/rgcrc32c.h"
#include "kafkawire.h"

/* ---- The sequence state, directly ---- */

static RgBatchInfo
batch_info (gint64 pid, gint16 epoch, gint32 seq, gint32 n_records)
{
  RgBatchInfo info;

  memset (&info, 0, sizeof (info));
  info.producer_id = pid;
  info.producer_epoch = epoch;
  info.base_sequence = seq;
  info.last_offset_delta = n_records - 1;
  info.records_count = n_records;
  return info;
}

/* Checks a batch and, when it may be appended, records it at @offset.
 * Returns the verdict and, for a duplicate, the first copy's offset. */
static gint16
offer (RgBrokerProducers * p, const gchar * topic, RgBatchInfo info,
    gint64 offset, gint64 now, gint64 * dup)
{
  gint64 end;
  gint16 code = rg_broker_producers_check (p, topic, &info, now, dup, &end);

  if (code == RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER)
    fail_unless_equals_int64 (end, *dup + info.last_offset_delta + 1);

  if (code == RG_KAFKA_NONE)
    rg_broker_producers_record (p, topic, &info, offset, now);
  return code;
}

GST_START_TEST (test_duplicates_of_last_five)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 100);
  gint64 dup, offset = 0;
  gint32 seq = 0;
  guint i;

  /* Seven batches of 3 records: sequences 0-2, 3-5, ... at offsets 0, 3 */
  for (i = 0; i < 7; i++, seq += 3, offset += 3)
    fail_unless_equals_int (offer (p, "t", batch_info (100, 0, seq, 3),
            offset, 1, &dup), RG_KAFKA_NONE);
  /* The last five (sequences 6 .. 20) are duplicates with their offset. */
  for (i = 2; i < 7; i++) {
    fail_unless_equals_int (offer (p, "t", batch_info (100, 0, i * 3, 3),
            999, 1, &dup), RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
    fail_unless_equals_int64 (dup, i * 3);
  }
  /* Older ones are no longer known: out of order, not re-appended. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 3, 3), 999, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  /* The same first sequence with another length is no duplicate. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 18, 2), 999, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  /* A gap. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 22, 1), 999, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  /* The next one. */
  fail_unless_equals_int (offer (p, "t", batch_info (100, 0, 21, 1), 21, 1,
          &dup), RG_KAFKA_NONE);
  /* Sequences are per topic: the same producer starts at 0 elsewhere. */
  fail_unless_equals_int (offer (p, "u", batch_info (100, 0, 0, 1), 0, 1,
          &dup), RG_KAFKA_NONE);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_epochs_and_unknown_producers)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 100);
  RgBatchInfo txn;
  gint64 dup;

  /* Nothing known: sequence 0 starts, anything else is unknown. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 3, 5, 1), 0, 1,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 3, 0, 2), 0, 1,
          &dup), RG_KAFKA_NONE);
  /* An older epoch is fenced, whatever its sequence. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 2, 2, 1), 2, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 2, 0, 2), 2, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  /* A newer epoch must start at 0. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 4, 2, 1), 2, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 4, 0, 1), 2, 1,
          &dup), RG_KAFKA_NONE);
  /* Now epoch 3 is fenced too, and epoch 4's batch 0 is a duplicate. */
  fail_unless_equals_int (offer (p, "t", batch_info (7, 3, 2, 1), 3, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "t", batch_info (7, 4, 0, 1), 3, 1,
          &dup), RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
  fail_unless_equals_int64 (dup, 2);
  /* Transactional batches follow the same sequence rules (the
   * coordinator decides beforehand whether they may be appended). */
  txn = batch_info (7, 4, 0, 1);
  txn.attributes = 1 << 4;
  fail_unless_equals_int (offer (p, "t", txn, 3, 1, &dup),
      RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
  txn = batch_info (7, 4, 2, 1);
  txn.attributes = 1 << 4;
  fail_unless_equals_int (offer (p, "t", txn, 3, 1, &dup),
      RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_sequence_wraps)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 100);
  RgBatchInfo wrapping = batch_info (1, 0, G_MAXINT32 - 1, 3);
  gint64 dup;

  /* A long-lived producer near the end of the sequence space (recorded
   * directly: getting there through the checks takes 2^31 records). Its
   * batch of 3 spans G_MAXINT32 - 1, G_MAXINT32, 0. */
  rg_broker_producers_record (p, "t", &wrapping, 40, 1);
  fail_unless_equals_int (offer (p, "t", wrapping, 99, 1, &dup),
      RG_KAFKA_DUPLICATE_SEQUENCE_NUMBER);
  fail_unless_equals_int64 (dup, 40);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 0, 1), 99, 1,
          &dup), RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 1, 2), 43, 1,
          &dup), RG_KAFKA_NONE);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 3, 1), 45, 1,
          &dup), RG_KAFKA_NONE);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_lru_bound_and_expiry)
{
  RgBrokerProducers *p = rg_broker_producers_new (3, 1000, 100);
  guint n_ids, n_seq;
  gint64 dup, id;
  gint16 epoch;
  gint64 pid;

  /* Four producers on a bound of 3: the least recently used goes. */
  for (pid = 1; pid <= 3; pid++)
    fail_unless_equals_int (offer (p, "t", batch_info (pid, 0, 0, 1), pid,
            10 + pid, &dup), RG_KAFKA_NONE);
  /* Producer 1 is used again: producer 2 is now the oldest. */
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 1, 1), 4, 20,
          &dup), RG_KAFKA_NONE);
  fail_unless_equals_int (offer (p, "t", batch_info (4, 0, 0, 1), 5, 21,
          &dup), RG_KAFKA_NONE);
  rg_broker_producers_get_counts (p, NULL, &n_seq);
  fail_unless_equals_int (n_seq, 3);
  fail_unless_equals_int (offer (p, "t", batch_info (2, 0, 1, 1), 6, 22,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 2, 1), 6, 22,
          &dup), RG_KAFKA_NONE);
  fail_unless_equals_int (offer (p, "t", batch_info (3, 0, 1, 1), 7, 23,
          &dup), RG_KAFKA_NONE);

  /* 1000 ms idle: everything expires at the next call. */
  fail_unless_equals_int (offer (p, "t", batch_info (1, 0, 3, 1), 8, 2000,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  rg_broker_producers_get_counts (p, NULL, &n_seq);
  fail_unless_equals_int (n_seq, 0);

  /* Ids too: 5 handed out on a bound of 3 keeps 3. */
  for (pid = 0; pid < 5; pid++)
    fail_unless_equals_int (rg_broker_producers_init_id (p, -1, -1, FALSE,
            3000, &id, &epoch), RG_KAFKA_NONE);
  rg_broker_producers_get_counts (p, &n_ids, NULL);
  fail_unless_equals_int (n_ids, 3);
  rg_broker_producers_free (p);
}

GST_END_TEST;

GST_START_TEST (test_init_producer_id)
{
  RgBrokerProducers *p = rg_broker_producers_new (16, 1000000, 5000);
  gint64 id, id2, dup;
  gint16 epoch, epoch2;

  fail_unless_equals_int (rg_broker_producers_init_id (p, -1, -1, FALSE, 1,
          &id, &epoch), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id, 5000);
  fail_unless_equals_int (epoch, 0);
  fail_unless_equals_int (rg_broker_producers_init_id (p, -1, -1, FALSE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, 5001);

  fail_unless_equals_int (offer (p, "t", batch_info (id, 0, 0, 1), 0, 1,
          &dup), RG_KAFKA_NONE);
  /* v3+: the current epoch is bumped, the same id kept. */
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 0, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, id);
  fail_unless_equals_int (epoch2, 1);
  /* A retry of the same bump gets the same answer. */
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 0, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, id);
  fail_unless_equals_int (epoch2, 1);
  /* The old epoch is fenced on Produce, here and on a topic it never
   * wrote to; the new one starts at sequence 0. */
  fail_unless_equals_int (offer (p, "t", batch_info (id, 0, 1, 1), 1, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "other", batch_info (id, 0, 0, 1), 0, 1,
          &dup), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (offer (p, "t", batch_info (id, 1, 0, 1), 1, 1,
          &dup), RG_KAFKA_NONE);
  /* An epoch that is neither current nor the one before: fenced (v4+
   * PRODUCER_FENCED, before INVALID_PRODUCER_EPOCH). */
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 7, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_PRODUCER_FENCED);
  fail_unless_equals_int (rg_broker_producers_init_id (p, id, 7, FALSE, 1,
          &id2, &epoch2), RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int64 (id2, -1);
  /* An id this broker never handed out: a new one. */
  fail_unless_equals_int (rg_broker_producers_init_id (p, 99, 0, TRUE, 1,
          &id2, &epoch2), RG_KAFKA_NONE);
  fail_unless_equals_int64 (id2, 5002);
  fail_unless_equals_int (epoch2, 0);

  /* A deleted topic forgets its producers: sequence 1 is unknown now. */
  rg_broker_producers_forget_topic (p, "t");
  fail_unless_equals_int (offer (p, "t", batch_info (id, 1, 1, 1), 1, 1,
          &dup), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  rg_broker_producers_free (p);
}

GST_END_TEST;

/* ---- Over sockets ---- */

static RgBroker *
start_broker (guint ingest_batches)
{
  RgBrokerConfig config;
  GError *error = NULL;
  RgBroker *broker;

  rg_broker_config_init (&config);
  config.ingest_batches = ingest_batches;
  broker = rg_broker_acquire ("127.0.0.1", 0, &config, &error);
  fail_unless (broker != NULL, "%s", error ? error->message : "?");
  return broker;
}

/* A response after its correlation id, as a reader; free with
 * g_free (*@start). */
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

static void
put8 (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

/* A COMPACT_STRING (unsigned varint length + 1, names under 127 bytes). */
static void
put_compact_str (GByteArray * b, const gchar * s)
{
  put8 (b, s ? strlen (s) + 1 : 0);
  if (s)
    g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

static gchar *
get_str (KwReader * r)
{
  gint64 len = kw_get (r, 2);
  gchar *s;

  if (len < 0)
    return NULL;
  fail_unless (r->p + len <= r->end);
  s = g_strndup ((const gchar *) r->p, len);
  r->p += len;
  return s;
}

static gchar *
get_compact_str (KwReader * r)
{
  gint64 len = 0;
  guint shift = 0;
  guint8 byte;
  gchar *s;

  /* The length + 1 as an unsigned varint (error messages may be over 126
   * bytes). */
  do {
    byte = kw_get (r, 1);
    len |= (gint64) (byte & 0x7f) << shift;
    shift += 7;
  } while ((byte & 0x80) && shift < 35);
  len -= 1;
  if (len < 0)
    return NULL;
  fail_unless (r->p + len <= r->end);
  s = g_strndup ((const gchar *) r->p, len);
  r->p += len;
  return s;
}

/* A batch of @n records whose values are "<tag>-<i>", with a producer id,
 * epoch and base sequence, its CRC computed again after setting them (as
 * a producer does: they are inside the CRC). */
static GByteArray *
idempotent_batch (gint64 pid, gint16 epoch, gint32 seq, guint n,
    const gchar * tag)
{
  RgRecord records[8];
  gchar *values[8];
  GByteArray *batch;
  GError *error = NULL;
  guint i;

  fail_unless (n <= G_N_ELEMENTS (records));
  memset (records, 0, sizeof (records));
  for (i = 0; i < n; i++) {
    values[i] = g_strdup_printf ("%s-%u", tag, i);
    records[i].timestamp = 1000 + i;
    records[i].value = (const guint8 *) values[i];
    records[i].value_len = strlen (values[i]);
  }
  batch = rg_batch_encode (0, records, n, &error);
  fail_unless (batch != NULL, "%s", error ? error->message : "?");
  for (i = 0; i < n; i++)
    g_free (values[i]);
  GST_WRITE_UINT64_BE (batch->data + 43, pid);
  GST_WRITE_UINT16_BE (batch->data + 51, epoch);
  GST_WRITE_UINT32_BE (batch->data + 53, seq);
  GST_WRITE_UINT32_BE (batch->data + RG_BATCH_CRC_OFFSET,
      rg_crc32c (0, batch->data + RG_BATCH_CRC_START,
          batch->len - RG_BATCH_CRC_START));
  return batch;
}

/* Produce v3, acks -1, of @records into partition 0 of @topic; returns the
 * partition's error code and its base offset in @base_offset. */
static gint16
produce (int fd, gint32 cid, const gchar * topic, GByteArray * records,
    gint64 * base_offset)
{
  GByteArray *b = kw_request_new (0, 3, cid);
  guint8 *start;
  KwReader r;
  gint16 code;

  kw_putstr (b, NULL);
  kw_put16 (b, -1);
  kw_put32 (b, 10000);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, records->len);
  g_byte_array_append (b, records->data, records->len);
  kw_send_request (fd, kw_request_finish (b));

  r = response (fd, cid, &start);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  kw_skip_str (&r);
  fail_unless_equals_int (kw_get (&r, 4), 1);
  fail_unless_equals_int (kw_get (&r, 4), 0);
  code = kw_get (&r, 2);
  *base_offset = kw_get (&r, 8);
  kw_get (&r, 8);                  /* log append time */
  kw_get (&r, 4);                  /* throttle */
  fail_unless (r.p == r.end);
  g_free (start);
  return code;
}

/* Produces one idempotent batch and frees it. */
static gint16
produce_batch (int fd, gint32 cid, const gchar * topic, GByteArray * batch,
    gint64 * base_offset)
{
  gint16 code = produce (fd, cid, topic, batch, base_offset);

  g_byte_array_unref (batch);
  return code;
}

/* The high watermark (ListOffsets v1, latest): records stored so far. */
static gint64
high_watermark (int fd, gint32 cid, const gchar * topic)
{
  GByteArray *b = kw_request_new (2, 1, cid);
  guint8 *start;
  KwReader r;
  gint64 offset;

  kw_put32 (b, -1);
  kw_put32 (b, 1);
  kw_putstr (b, topic);
  kw_put32 (b, 1);
  kw_put32 (b, 0);
  kw_put64 (b, -1);
  kw_send_request (fd, kw_request_finish (b));
  r = response (fd, cid, &start);
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

/* InitProducerId v1 (classic) or v4 (flexible: header v2, compact
 * strings, tag sections) with @txn_id, @pid and @epoch (v4 only). */
static GByteArray *
init_producer_id_request (gint32 cid, gint16 version, const gchar * txn_id,
    gint64 pid, gint16 epoch)
{
  GByteArray *b = kw_request_new (22, version, cid);

  if (version >= 2) {
    put8 (b, 0);                   /* header tags */
    put_compact_str (b, txn_id);
  } else {
    kw_putstr (b, txn_id);
  }
  kw_put32 (b, 60000);
  if (version >= 3) {
    kw_put64 (b, pid);
    kw_put16 (b, epoch);
  }
  if (version >= 2)
    put8 (b, 0);                   /* body tags */
  return kw_request_finish (b);
}

static gint16
init_producer_id (int fd, gint32 cid, gint16 version, const gchar * txn_id,
    gint64 pid, gint16 epoch, gint64 * out_pid, gint16 * out_epoch)
{
  guint8 *start;
  KwReader r;
  gint16 code;

  kw_send_request (fd, init_producer_id_request (cid, version, txn_id, pid,
          epoch));
  r = response (fd, cid, &start);
  if (version >= 2)
    fail_unless_equals_int (kw_get (&r, 1), 0);        /* header tags */
  fail_unless_equals_int (kw_get (&r, 4), 0);  /* throttle */
  code = kw_get (&r, 2);
  *out_pid = kw_get (&r, 8);
  *out_epoch = kw_get (&r, 2);
  if (version >= 2)
    fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless (r.p == r.end);
  g_free (start);
  return code;
}

GST_START_TEST (test_idempotent_produce)
{
  RgBroker *broker = start_broker (64);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  const gchar *t = "idem";
  GByteArray *two;
  gint64 pid, pid2, base;
  gint16 epoch;

  fail_unless_equals_int (init_producer_id (fd, 1, 1, NULL, -1, -1, &pid,
          &epoch), 0);
  fail_unless (pid >= 0);
  fail_unless_equals_int (epoch, 0);

  /* A batch, its retry, the next one, and the first again: two appends. */
  fail_unless_equals_int (produce_batch (fd, 2, t,
          idempotent_batch (pid, 0, 0, 3, "a"), &base), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_int (produce_batch (fd, 3, t,
          idempotent_batch (pid, 0, 0, 3, "a"), &base), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_int (produce_batch (fd, 4, t,
          idempotent_batch (pid, 0, 3, 2, "b"), &base), 0);
  fail_unless_equals_int64 (base, 3);
  fail_unless_equals_int (produce_batch (fd, 5, t,
          idempotent_batch (pid, 0, 0, 3, "a"), &base), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_int64 (high_watermark (fd, 6, t), 5);

  /* A gap: refused, nothing stored. */
  fail_unless_equals_int (produce_batch (fd, 7, t,
          idempotent_batch (pid, 0, 9, 1, "gap"), &base),
      RG_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER);
  fail_unless_equals_int64 (base, -1);
  fail_unless_equals_int64 (high_watermark (fd, 8, t), 5);

  /* A damaged retry is not taken for the duplicate it looks like. */
  two = idempotent_batch (pid, 0, 3, 2, "b");
  two->data[two->len - 1] ^= 1;
  fail_unless_equals_int (produce_batch (fd, 9, t, two, &base),
      RG_KAFKA_CORRUPT_MESSAGE);

  /* Two idempotent batches in one record set: Kafka allows one. */
  two = idempotent_batch (pid, 0, 5, 1, "c");
  {
    GByteArray *second = idempotent_batch (pid, 0, 6, 1, "d");

    g_byte_array_append (two, second->data, second->len);
    g_byte_array_unref (second);
  }
  fail_unless_equals_int (produce_batch (fd, 10, t, two, &base),
      RG_KAFKA_INVALID_RECORD);

  /* InitProducerId v4 (flexible) bumps the epoch: epoch 0 is fenced. */
  fail_unless_equals_int (init_producer_id (fd, 11, 4, NULL, pid, 0, &pid2,
          &epoch), 0);
  fail_unless_equals_int64 (pid2, pid);
  fail_unless_equals_int (epoch, 1);
  fail_unless_equals_int (produce_batch (fd, 12, t,
          idempotent_batch (pid, 0, 5, 1, "zombie"), &base),
      RG_KAFKA_INVALID_PRODUCER_EPOCH);
  fail_unless_equals_int (produce_batch (fd, 13, t,
          idempotent_batch (pid, 1, 0, 1, "e"), &base), 0);
  fail_unless_equals_int64 (base, 5);
  fail_unless_equals_int64 (high_watermark (fd, 14, t), 6);

  /* A producer this broker knows nothing of, in mid-sequence. */
  fail_unless_equals_int (produce_batch (fd, 15, t,
          idempotent_batch (pid + 1000, 0, 7, 1, "lost"), &base),
      RG_KAFKA_UNKNOWN_PRODUCER_ID);
  /* A transactional id gets its own producer id, its epoch bumped by a
   * second InitProducerId (test txn covers the rest); in both encodings. */
  fail_unless_equals_int (init_producer_id (fd, 16, 1, "tx", -1, -1, &pid2,
          &epoch), 0);
  fail_unless (pid2 >= 0 && pid2 != pid);
  fail_unless_equals_int (epoch, 0);
  fail_unless_equals_int (init_producer_id (fd, 17, 4, "tx", -1, -1, &pid,
          &epoch), 0);
  fail_unless_equals_int64 (pid, pid2);
  fail_unless_equals_int (epoch, 1);
  fail_unless_equals_int64 (high_watermark (fd, 18, t), 6);

  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

typedef struct
{
  const gchar *name;
  gint32 partitions;
  gint16 replication;
  gboolean with_config;
} NewTopic;

static GByteArray *
create_topics_request (gint32 cid, gint16 version, const NewTopic * topics,
    guint n, gboolean validate_only)
{
  GByteArray *b = kw_request_new (19, version, cid);
  gboolean flexible = version >= 5;
  guint i;

  if (flexible) {
    put8 (b, 0);
    put8 (b, n + 1);
  } else {
    kw_put32 (b, n);
  }
  for (i = 0; i < n; i++) {
    if (flexible)
      put_compact_str (b, topics[i].name);
    else
      kw_putstr (b, topics[i].name);
    kw_put32 (b, topics[i].partitions);
    kw_put16 (b, topics[i].replication);
    if (flexible) {
      put8 (b, 1);                 /* no assignments */
      put8 (b, topics[i].with_config ? 2 : 1);
      if (topics[i].with_config) {
        put_compact_str (b, "retention.ms");
        put_compact_str (b, "1000");
        put8 (b, 0);
      }
      put8 (b, 0);
    } else {
      kw_put32 (b, 0);
      kw_put32 (b, topics[i].with_config ? 1 : 0);
      if (topics[i].with_config) {
        kw_putstr (b, "retention.ms");
        kw_putstr (b, "1000");
      }
    }
  }
  kw_put32 (b, 5000);
  if (version >= 1)
    put8 (b, validate_only);
  if (flexible)
    put8 (b, 0);
  return kw_request_finish (b);
}

/* CreateTopics of @topics in @version; fills @codes (and checks the
 * names come back in order). */
static void
create_topics (int fd, gint32 cid, gint16 version, const NewTopic * topics,
    guint n, gboolean validate_only, gint16 * codes)
{
  gboolean flexible = version >= 5;
  guint8 *start;
  KwReader r;
  gint n_configs, j;
  guint i;

  kw_send_request (fd, create_topics_request (cid, version, topics, n,
          validate_only));
  r = response (fd, cid, &start);
  if (flexible)
    fail_unless_equals_int (kw_get (&r, 1), 0);
  if (version >= 2)
    fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (flexible ? kw_get (&r, 1) - 1 : kw_get (&r, 4), n);
  for (i = 0; i < n; i++) {
    gchar *name = flexible ? get_compact_str (&r) : get_str (&r);
    gchar *message = NULL;

    fail_unless_equals_string (name, topics[i].name);
    g_free (name);
    codes[i] = kw_get (&r, 2);
    if (version >= 1) {
      message = flexible ? get_compact_str (&r) : get_str (&r);
      /* An error says why; success says nothing. */
      fail_unless ((codes[i] != 0) == (message != NULL));
      g_free (message);
    }
    if (flexible) {
      fail_unless_equals_int (kw_get (&r, 4), codes[i] ? -1 : 1);
      fail_unless_equals_int (kw_get (&r, 2), codes[i] ? -1 : 1);
      /* Configs: null on error, the topic's configs on success (the
       * table's 15 keys: brokerconfigs tests their values). */
      n_configs = kw_get (&r, 1) - 1;
      fail_unless_equals_int (n_configs, codes[i] ? -1 : 15);
      for (j = 0; j < n_configs; j++) {
        g_free (get_compact_str (&r));
        g_free (get_compact_str (&r));
        kw_get (&r, 3);            /* read only, source, sensitive */
        fail_unless_equals_int (kw_get (&r, 1), 0);
      }
      fail_unless_equals_int (kw_get (&r, 1), 0);
    }
  }
  if (flexible)
    fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless (r.p == r.end);
  g_free (start);
}

static gint16
create_topic (int fd, gint32 cid, gint16 version, const gchar * name,
    gint32 partitions, gint16 replication, gboolean validate_only)
{
  NewTopic t = { name, partitions, replication, FALSE };
  gint16 code;

  create_topics (fd, cid, version, &t, 1, validate_only, &code);
  return code;
}

static GByteArray *
delete_topics_request (gint32 cid, gint16 version, const gchar ** names,
    guint n)
{
  GByteArray *b = kw_request_new (20, version, cid);
  gboolean flexible = version >= 4;
  guint i;

  if (flexible) {
    put8 (b, 0);
    put8 (b, n + 1);
  } else {
    kw_put32 (b, n);
  }
  for (i = 0; i < n; i++) {
    if (flexible)
      put_compact_str (b, names[i]);
    else
      kw_putstr (b, names[i]);
  }
  kw_put32 (b, 5000);
  if (flexible)
    put8 (b, 0);
  return kw_request_finish (b);
}

/* DeleteTopics of @names in @version (v4+ flexible). */
static void
delete_topics (int fd, gint32 cid, gint16 version, const gchar ** names,
    guint n, gint16 * codes)
{
  gboolean flexible = version >= 4;
  guint8 *start;
  KwReader r;
  guint i;

  kw_send_request (fd, delete_topics_request (cid, version, names, n));
  r = response (fd, cid, &start);
  if (flexible)
    fail_unless_equals_int (kw_get (&r, 1), 0);
  if (version >= 1)
    fail_unless_equals_int (kw_get (&r, 4), 0);
  fail_unless_equals_int (flexible ? kw_get (&r, 1) - 1 : kw_get (&r, 4), n);
  for (i = 0; i < n; i++) {
    gchar *name = flexible ? get_compact_str (&r) : get_str (&r);

    fail_unless_equals_string (name, names[i]);
    g_free (name);
    codes[i] = kw_get (&r, 2);
    if (version >= 5)
      g_free (get_compact_str (&r));
    if (flexible)
      fail_unless_equals_int (kw_get (&r, 1), 0);
  }
  if (flexible)
    fail_unless_equals_int (kw_get (&r, 1), 0);
  fail_unless (r.p == r.end);
  g_free (start);
}

static gint16
delete_topic (int fd, gint32 cid, gint16 version, const gchar * name)
{
  gint16 code;

  delete_topics (fd, cid, version, &name, 1, &code);
  return code;
}

static gint64
no_turn (gpointer user_data, gint64 now, gboolean woken)
{
  return G_MAXINT64;
}

/* The partition @p of ingest topic "parts" of @registry (a reference). */
static RgBrokerTopic *
partition_of (RgBrokerRegistry * registry, gint32 p)
{
  RgBrokerTopic *topic = rg_broker_registry_lookup_partition (registry,
      rg_kafka_str_from_cstr ("parts"), p);

  fail_unless (topic != NULL);
  return topic;
}

/* A producer numbers each partition's records apart, as Kafka's
 * producers do: sequence 0 in two partitions of one topic is new data in
 * both, a resend is a duplicate only in the partition it went to, and
 * deleting the topic forgets every partition's state. */
GST_START_TEST (test_sequences_per_partition)
{
  RgLoop *loop = rg_loop_new (no_turn, NULL);
  RgBrokerRegistry *registry = rg_broker_registry_new (9092, 8,
      rg_loop_get_waker (loop));
  RgBrokerProducers *producers = rg_broker_producers_new (16, 60000, 1000);
  GByteArray *opening = idempotent_batch (5, 0, 0, 2, "a");
  GByteArray *next = idempotent_batch (5, 0, 2, 1, "b");
  GByteArray *after = idempotent_batch (5, 0, 3, 1, "c");
  RgBrokerTopic *p1, *p2;
  gint64 base = -1;

  fail_unless_equals_int (rg_broker_registry_create_ingest (registry,
          rg_kafka_str_from_cstr ("parts"), 3, FALSE), 0);
  p1 = partition_of (registry, 1);
  p2 = partition_of (registry, 2);

  fail_unless_equals_int (rg_broker_producers_produce (producers, p1, NULL,
          opening->data, opening->len, &base, NULL), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_int (rg_broker_producers_produce (producers, p2, NULL,
          opening->data, opening->len, &base, NULL), 0);
  fail_unless_equals_int64 (base, 0);
  fail_unless_equals_uint64 (rg_broker_topic_get_high_watermark (p2), 2);

  fail_unless_equals_int (rg_broker_producers_produce (producers, p1, NULL,
          next->data, next->len, &base, NULL), 0);
  fail_unless_equals_int64 (base, 2);
  /* Resent to partition 1: acknowledged again, not stored again. */
  fail_unless_equals_int (rg_broker_producers_produce (producers, p1, NULL,
          next->data, next->len, &base, NULL), 0);
  fail_unless_equals_int64 (base, 2);
  fail_unless_equals_uint64 (rg_broker_topic_get_high_watermark (p1), 3);
  /* New in partition 2. */
  fail_unless_equals_int (rg_broker_producers_produce (producers, p2, NULL,
          next->data, next->len, &base, NULL), 0);
  fail_unless_equals_uint64 (rg_broker_topic_get_high_watermark (p2), 3);

  rg_broker_producers_forget_topic (producers, "parts");
  fail_unless_equals_int (rg_broker_producers_produce (producers, p1, NULL,
          after->data, after->len, &base, NULL), RG_KAFKA_UNKNOWN_PRODUCER_ID);
  fail_unless_equals_int (rg_broker_producers_produce (producers, p2, NULL,
          after->data, after->len, &base, NULL), RG_KAFKA_UNKNOWN_PRODUCER_ID);

  g_byte_array_unref (opening);
  g_byte_array_unref (next);
  g_byte_array_unref (after);
  rg_broker_topic_unref (p1);
  rg_broker_topic_unref (p2);
  rg_broker_producers_free (producers);
  rg_broker_registry_free (registry);
  rg_loop_free (loop);
}

GST_END_TEST;

GST_START_TEST (test_create_delete_topics)
{
  RgBroker *broker = start_broker (16);
  RgBrokerTopic *cam = rg_broker_add_topic (broker, "cam", 8, NULL);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  NewTopic twice[2] = { {"twice", 1, 1, FALSE}, {"twice", 1, 1, FALSE} };
  NewTopic configured = { "conf", 1, 1, TRUE };
  const gchar *names[3] = { "new1", "cam", "nope" };
  gint16 codes[3];
  gint64 base;
  gint16 v;

  fail_unless (cam != NULL);
  fail_unless (rg_broker_add_live_view (broker, cam, 4, NULL));
  /* Every classic version and the flexible v5. */
  for (v = 0; v <= 5; v++) {
    gchar *name = g_strdup_printf ("made-v%d", v);

    fail_unless_equals_int (create_topic (fd, 10 + v, v, name,
            v >= 4 ? -1 : 1, v >= 4 ? -1 : 1, FALSE), 0);
    fail_unless_equals_int (create_topic (fd, 20 + v, v, name, 1, 1,
            FALSE), RG_KAFKA_TOPIC_ALREADY_EXISTS);
    fail_unless_equals_int64 (high_watermark (fd, 30 + v, name), 0);
    g_free (name);
  }
  fail_unless_equals_int (create_topic (fd, 40, 4, "cam", 1, 1, FALSE),
      RG_KAFKA_TOPIC_ALREADY_EXISTS);
  fail_unless_equals_int (create_topic (fd, 41, 4, "cam.live", 1, 1,
          FALSE), RG_KAFKA_TOPIC_ALREADY_EXISTS);
  /* Several partitions in memory; past the broker's limit, 37. */
  fail_unless_equals_int (create_topic (fd, 42, 4, "p3", 3, 1, FALSE), 0);
  fail_unless_equals_int (create_topic (fd, 38, 4, "p2000", 2000, 1, FALSE),
      RG_KAFKA_INVALID_PARTITIONS);
  fail_unless_equals_int (create_topic (fd, 39, 4, "p0", 0, 1, FALSE),
      RG_KAFKA_INVALID_PARTITIONS);
  fail_unless_equals_int (create_topic (fd, 43, 4, "rf3", 1, 3, FALSE),
      RG_KAFKA_INVALID_REPLICATION_FACTOR);
  fail_unless_equals_int (create_topic (fd, 44, 4, "bad/name", 1, 1, FALSE),
      RG_KAFKA_INVALID_TOPIC_EXCEPTION);
  create_topics (fd, 45, 5, &configured, 1, FALSE, codes);
  fail_unless_equals_int (codes[0], RG_KAFKA_INVALID_CONFIG);
  create_topics (fd, 46, 3, twice, 2, FALSE, codes);
  fail_unless_equals_int (codes[0], RG_KAFKA_INVALID_REQUEST);
  fail_unless_equals_int (codes[1], RG_KAFKA_INVALID_REQUEST);

  /* validate_only checks and creates nothing. */
  fail_unless_equals_int (create_topic (fd, 47, 1, "vo", 1, 1, TRUE), 0);
  fail_unless_equals_int (create_topic (fd, 48, 1, "p4000", 4000, 1, TRUE),
      RG_KAFKA_INVALID_PARTITIONS);
  fail_unless_equals_int (delete_topic (fd, 49, 1, "vo"),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);

  /* Delete: ingest topics only; a pipeline's topic is never deleted. */
  fail_unless_equals_int (create_topic (fd, 50, 2, "new1", 1, 1, FALSE), 0);
  fail_unless_equals_int (produce_batch (fd, 51, "new1",
          idempotent_batch (77, 0, 0, 2, "x"), &base), 0);
  fail_unless_equals_int64 (high_watermark (fd, 52, "new1"), 2);
  delete_topics (fd, 53, 1, names, 3, codes);
  fail_unless_equals_int (codes[0], 0);
  fail_unless_equals_int (codes[1], RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);
  fail_unless_equals_int (codes[2], RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  fail_unless_equals_int (delete_topic (fd, 54, 0, "cam.live"),
      RG_KAFKA_TOPIC_AUTHORIZATION_FAILED);

  /* Created again: empty, and its producers start afresh (sequence 1 of
   * producer 77 is unknown now, sequence 0 is new data). */
  fail_unless_equals_int (create_topic (fd, 55, 5, "new1", 1, 1, FALSE), 0);
  fail_unless_equals_int64 (high_watermark (fd, 56, "new1"), 0);
  fail_unless_equals_int (produce_batch (fd, 57, "new1",
          idempotent_batch (77, 0, 2, 1, "y"), &base),
      RG_KAFKA_UNKNOWN_PRODUCER_ID);
  fail_unless_equals_int (produce_batch (fd, 58, "new1",
          idempotent_batch (77, 0, 0, 2, "x"), &base), 0);
  fail_unless_equals_int64 (base, 0);

  /* Flexible DeleteTopics (v4, and v5 with its error message). */
  fail_unless_equals_int (delete_topic (fd, 59, 4, "new1"), 0);
  fail_unless_equals_int (delete_topic (fd, 60, 5, "made-v5"), 0);
  fail_unless_equals_int (delete_topic (fd, 61, 5, "made-v5"),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);

  /* The pipeline's topic still serves. */
  fail_unless_equals_int64 (high_watermark (fd, 62, "cam"), 0);
  close (fd);
  rg_broker_remove_topic (broker, cam);
  rg_broker_release (broker);
}

GST_END_TEST;

GST_START_TEST (test_admin_without_ingest)
{
  RgBroker *broker = start_broker (0);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  gint64 pid, base;
  gint16 epoch;

  fail_unless_equals_int (create_topic (fd, 1, 1, "t", 1, 1, FALSE),
      RG_KAFKA_POLICY_VIOLATION);
  fail_unless_equals_int (create_topic (fd, 2, 5, "t", 1, 1, TRUE),
      RG_KAFKA_POLICY_VIOLATION);
  /* As Kafka with delete.topic.enable=false. */
  fail_unless_equals_int (delete_topic (fd, 3, 3, "t"),
      RG_KAFKA_TOPIC_DELETION_DISABLED);
  fail_unless_equals_int (delete_topic (fd, 4, 1, "t"),
      RG_KAFKA_INVALID_REQUEST);
  /* A producer id is handed out, but there is nothing to produce into. */
  fail_unless_equals_int (init_producer_id (fd, 5, 1, NULL, -1, -1, &pid,
          &epoch), 0);
  fail_unless_equals_int (produce_batch (fd, 6, "t",
          idempotent_batch (pid, epoch, 0, 1, "x"), &base),
      RG_KAFKA_UNKNOWN_TOPIC_OR_PARTITION);
  close (fd);
  rg_broker_release (broker);
}

GST_END_TEST;

/* ---- Malformed admin requests ---- */

typedef struct
{
  gint16 first_flexible;
  RgKafkaBodyParseFunc parse;
  GDestroyNotify free_body;
} AdminCodec;

/* CreatePartitions @version of "a" to 3 (null assignments) and "bb" to 4
 * (two assignments, [0] and [0, 1]). */
static GByteArray *
create_partitions_request (gint32 cid, gint16 version)
{
  GByteArray *b = kw_request_new (RG_KAFKA_ADMIN_API_CREATE_PARTITIONS,
      version, cid);
  gboolean flexible = version >= RG_KAFKA_CREATE_PARTITIONS_FIRST_FLEXIBLE;

  if (flexible) {
    put8 (b, 0);
    put8 (b, 3);
    put_compact_str (b, "a");
    kw_put32 (b, 3);
    put8 (b, 0);                   /* null assignments */
    put8 (b, 0);
    put_compact_str (b, "bb");
    kw_put32 (b, 4);
    put8 (b, 3);
    put8 (b, 2);
    kw_put32 (b, 0);
    put8 (b, 0);
    put8 (b, 3);
    kw_put32 (b, 0);
    kw_put32 (b, 1);
    put8 (b, 0);
    put8 (b, 0);
  } else {
    kw_put32 (b, 2);
    kw_putstr (b, "a");
    kw_put32 (b, 3);
    kw_put32 (b, -1);
    kw_putstr (b, "bb");
    kw_put32 (b, 4);
    kw_put32 (b, 2);
    kw_put32 (b, 1);
    kw_put32 (b, 0);
    kw_put32 (b, 2);
    kw_put32 (b, 0);
    kw_put32 (b, 1);
  }
  kw_put32 (b, 5000);
  put8 (b, 1);
  if (flexible)
    put8 (b, 0);
  return kw_request_finish (b);
}

static const AdminCodec *
admin_codec (gint16 api_key)
{
  static const AdminCodec create = { RG_KAFKA_CREATE_TOPICS_FIRST_FLEXIBLE,
    rg_kafka_parse_create_topics, rg_kafka_create_topics_request_free
  };
  static const AdminCodec del = { RG_KAFKA_DELETE_TOPICS_FIRST_FLEXIBLE,
    rg_kafka_parse_delete_topics, rg_kafka_delete_topics_request_free
  };
  static const AdminCodec init = { RG_KAFKA_INIT_PRODUCER_ID_FIRST_FLEXIBLE,
    rg_kafka_parse_init_producer_id, g_free
  };
  static const AdminCodec grow = { RG_KAFKA_CREATE_PARTITIONS_FIRST_FLEXIBLE,
    rg_kafka_parse_create_partitions, rg_kafka_create_partitions_request_free
  };

  if (api_key == RG_KAFKA_ADMIN_API_CREATE_PARTITIONS)
    return &grow;
  return api_key == 19 ? &create : api_key == 20 ? &del : &init;
}

static RgKafkaRequest *
parse_admin (const guint8 * frame, gsize len, GError ** error)
{
  const AdminCodec *c = admin_codec (len >= 2 ? GST_READ_UINT16_BE (frame) :
      0);

  return rg_kafka_request_parse_other (frame, len, c->first_flexible,
      c->parse, c->free_body, NULL, error);
}

/* Valid frames of every version of the four apis (size prefix kept). */
static GPtrArray *
admin_frames (void)
{
  NewTopic topics[2] = { {"a", 1, 1, TRUE}, {"bb", -1, -1, FALSE} };
  const gchar *names[2] = { "a", "bb" };
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_byte_array_unref);
  gint16 v;

  for (v = 0; v <= RG_KAFKA_CREATE_TOPICS_MAX_VERSION; v++)
    g_ptr_array_add (frames, create_topics_request (v, v, topics, 2, TRUE));
  for (v = 0; v <= RG_KAFKA_DELETE_TOPICS_MAX_VERSION; v++)
    g_ptr_array_add (frames, delete_topics_request (v, v, names, 2));
  for (v = 0; v <= RG_KAFKA_INIT_PRODUCER_ID_MAX_VERSION; v++)
    g_ptr_array_add (frames, init_producer_id_request (v, v, "tx", 5, 1));
  for (v = 0; v <= RG_KAFKA_CREATE_PARTITIONS_MAX_VERSION; v++)
    g_ptr_array_add (frames, create_partitions_request (v, v));
  return frames;
}

/* CreatePartitions parses to what was written, classic and flexible: the
 * null assignments apart from an empty list, each new partition's
 * replicas, ValidateOnly. */
GST_START_TEST (test_create_partitions_parse)
{
  gint16 v;

  for (v = 0; v <= RG_KAFKA_CREATE_PARTITIONS_MAX_VERSION; v++) {
    GByteArray *f = create_partitions_request (7, v);
    GError *error = NULL;
    RgKafkaRequest *req = parse_admin (f->data + 4, f->len - 4, &error);
    const RgKafkaCreatePartitionsRequest *cp;
    const RgKafkaCreatePartitionsTopic *t;

    fail_unless (req != NULL, "v%d: %s", v, error ? error->message : "?");
    cp = req->body.other.body;
    fail_unless_equals_int (cp->n_topics, 2);
    fail_unless_equals_int (cp->timeout_ms, 5000);
    fail_unless (cp->validate_only);
    t = &cp->topics[0];
    fail_unless (t->name.len == 1 && memcmp (t->name.data, "a", 1) == 0);
    fail_unless_equals_int (t->count, 3);
    fail_unless (!t->has_assignments);
    fail_unless_equals_int (t->n_assignments, 0);
    t = &cp->topics[1];
    fail_unless (t->name.len == 2 && memcmp (t->name.data, "bb", 2) == 0);
    fail_unless_equals_int (t->count, 4);
    fail_unless (t->has_assignments);
    fail_unless_equals_int (t->n_assignments, 2);
    fail_unless_equals_int (t->assignments[0].n_broker_ids, 1);
    fail_unless_equals_int (t->assignments[0].broker_ids[0], 0);
    fail_unless_equals_int (t->assignments[1].n_broker_ids, 2);
    fail_unless_equals_int (t->assignments[1].broker_ids[1], 1);
    rg_kafka_request_free (req);
    g_byte_array_unref (f);
  }
}

GST_END_TEST;

/* Every frame parses whole; every truncation of it is refused; every
 * single-byte change parses or is refused, and what parses reads only
 * inside the frame (checked by running under AddressSanitizer). */
GST_START_TEST (test_admin_codec_bounds)
{
  GPtrArray *frames = admin_frames ();
  guint i;

  for (i = 0; i < frames->len; i++) {
    GByteArray *f = g_ptr_array_index (frames, i);
    const guint8 *frame = f->data + 4;
    gsize len = f->len - 4, cut, pos;
    GError *error = NULL;
    RgKafkaRequest *req = parse_admin (frame, len, &error);

    fail_unless (req != NULL, "frame %u: %s", i, error ? error->message :
        "?");
    rg_kafka_request_free (req);
    for (cut = 0; cut < len; cut++) {
      guint8 *copy = g_memdup2 (frame, cut);

      req = parse_admin (copy, cut, &error);
      fail_unless (req == NULL, "frame %u cut at %" G_GSIZE_FORMAT, i, cut);
      g_clear_error (&error);
      g_free (copy);
    }
    for (pos = 4; pos < len; pos++) {
      static const guint8 values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
      guint k;

      for (k = 0; k < G_N_ELEMENTS (values); k++) {
        guint8 *copy = g_memdup2 (frame, len);

        copy[pos] = values[k];
        req = parse_admin (copy, len, &error);
        if (req)
          rg_kafka_request_free (req);
        g_clear_error (&error);
        g_free (copy);
      }
    }
  }
  g_ptr_array_unref (frames);
}

GST_END_TEST;

/* A frame claiming 2^31 - 1 topics is refused before anything is
 * allocated for them; over a socket, the broker closes the connection and
 * goes on serving others. */
GST_START_TEST (test_admin_absurd_counts)
{
  RgBroker *broker = start_broker (8);
  int fd = kw_connect (rg_broker_get_port (broker), 10);
  int fd2 = kw_connect (rg_broker_get_port (broker), 10);
  GByteArray *b = kw_request_new (19, 0, 1);
  GError *error = NULL;
  guint8 byte;

  kw_put32 (b, G_MAXINT32);
  kw_putstr (b, "a");
  kw_put32 (b, 1);
  kw_put16 (b, 1);
  kw_put32 (b, 0);
  kw_put32 (b, 0);
  kw_put32 (b, 100);
  kw_request_finish (b);
  fail_unless (parse_admin (b->data + 4, b->len - 4, &error) == NULL);
  fail_unless (g_error_matches (error, RG_KAFKA_ERROR,
          RG_KAFKA_ERROR_MALFORMED), "%s", error->message);
  g_clear_error (&error);

  kw_send_request (fd, b);
  fail_unless (recv (fd, &byte, 1, 0) == 0, "connection not closed");
  fail_unless_equals_int (create_topic (fd2, 2, 1, "still", 1, 1, FALSE), 0);
  close (fd);
  close (fd2);
  rg_broker_release (broker);
}

GST_END_TEST;

static Suite *
idempotent_suite (void)
{
  Suite *s = suite_create ("idempotent");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_duplicates_of_last_five);
  tcase_add_test (tc, test_epochs_and_unknown_producers);
  tcase_add_test (tc, test_sequence_wraps);
  tcase_add_test (tc, test_lru_bound_and_expiry);
  tcase_add_test (tc, test_init_producer_id);
  tcase_add_test (tc, test_idempotent_produce);
  tcase_add_test (tc, test_create_delete_topics);
  tcase_add_test (tc, test_sequences_per_partition);
  tcase_add_test (tc, test_admin_without_ingest);
  tcase_add_test (tc, test_admin_codec_bounds);
  tcase_add_test (tc, test_create_partitions_parse);
  tcase_add_test (tc, test_admin_absurd_counts);
  return s;
}

GST_CHECK_MAIN (idempotent);
